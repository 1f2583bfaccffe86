"""Fast sums over past learning-rate decrements: O((K_active + n) q) instead of O(K^2) (issue #5, item 3).

Both the FSL ansatz (reference §6.2, eq. 30) and the multi-power law (MPL, Luo et al. 2025)
contain, at every evaluated step ``t``, a sum over all earlier steps ``k``

.. math:: P(t) = \\sum_{k} a_k \\, (1 + c\\, w_k \\Delta_{k,t})^{-p},
   \\qquad S_t = \\sum_{\\tau \\le t} \\eta_\\tau,

with amplitudes ``a_k`` (learning-rate decrements, possibly weighted) and a per-step scale
``w_k`` (``1`` for FSL, ``eta_k^-gamma`` for MPL).  Two index conventions occur:

* ``own=True`` (MPL): ``k <= t`` and ``Delta_{k,t} = S_t - S_{k-1} = sum_{tau=k}^t eta_tau``;
* ``own=False`` (FSL): ``k < t`` and ``Delta_{k,t} = S_t - S_k = T(t) - T(k)`` (the ``k = t``
  term has ``Delta = 0`` and is added exactly by the caller).

Evaluated directly this costs O(K) per step, O(K^2) for a whole curve.

**Laplace representation.** ``(1 + x)^-p = int phi_p(y) exp(-e^y x) dy`` with
``phi_p(y) = exp(p y - e^y) / Gamma(p)`` (the Gamma density written in ``y = log u``).  With
``x = c w_k Delta`` and the *rate* ``r = e^y c w_k`` this is a mixture of exponentials
``exp(-r Delta)`` whose mixing weights depend on ``k`` only through ``l_k = log(c w_k)``.
All steps share one log-spaced grid of rates ``r_j = exp(z_j)``, ``z_j = z_0 + j h``, so

.. math:: P(t) \\approx \\sum_j H_j(t) + Z(t),\\qquad
   H_j(t) = \\sum_{k} a_k W_{kj} e^{-r_j \\Delta_{k,t}},\\qquad
   W_{kj} = h\\,\\phi_p(z_j - l_k),

and ``H_j`` obeys a one-step recursion because ``Delta_{k,t'} = Delta_{k,t} + (S_{t'} - S_t)``:
between two *events* (a step with a non-zero amplitude, or a step where ``P`` is wanted)
every ``H_j`` is just multiplied by ``exp(-r_j (S_{t'} - S_t))``.  The cost is
O((K_active + n) q) for ``n`` wanted steps: O(K q) for a dense curve, much less for piecewise
constant schedules.

Accuracy (tested in ``tests/test_surrogate_kernels.py`` against the direct sum):

* The weights are the package's one rule for this identity, the trapezoid rule in log-rate
  of :mod:`fsltheory._util.laplace` (shared with the FSL's power-law kernels), which
  converges geometrically for the entire function ``phi_p``.  One grid serves every ``p`` of
  a fit, so its step is that rule's step for ``rtol = DEFAULT_RTOL = 1e-6`` at the largest
  power the laws use, ``P_MAX = 3``: ``h = 0.39``, measured errors below ``3.4e-8``
  (relative to ``(1+0)^-p = 1``) for ``p <= 3``; larger powers lose accuracy gradually.
* Rates above ``z_max = log(40 / Delta_min)`` are dropped: there ``exp(-r Delta) < e^-40``
  for every ``Delta >= Delta_min``, the smallest ``Delta`` that can occur at a wanted step.
* Rates below ``z_0 = log(eps / S_max)`` hardly decay within the curve (``r Delta <= eps``):
  their mass is lumped into ``Z(t)`` to first order, ``exp(-r Delta) ~ 1 - r Delta``, using the
  *same* trapezoid rule's tail, mass ``T0`` and first moment ``T1`` summed in full (series of
  geometric sums, :func:`_tail_values`), so ``Z = sum_k a_k (T0_k - T1_k Delta)``.  The
  neglected second order is ``(r_0 Delta)^2 / 2 <= eps^2 / 2`` times the lumped mass.  The
  grid does not know the law's scale ``c``: where ``c S_max`` is small the grid starts inside
  the mixing density, not in its left tail, which is why the tail's series are summed in
  full (they once stopped at second and zeroth order: 1e-6 to 1e-2 errors below
  ``c S_max ~ 1e-2``).
* A prediction knows its parameters and trims the grid to the rates its terms weigh
  (:func:`grid_window`): above 50 times the largest per-term scale ``c w_k`` no power puts
  weight, and below ``e^-D`` times the smallest a power ``p`` puts less than
  ``DEFAULT_RTOL`` (``D = 4`` at ``p = 3``; at the small powers of most fits the density's
  left tail reaches below the grid's start and the floor stays).  A 72k-step cosine
  prediction at the fitted FSL-fast power 3 runs on 34 rates instead of 75.
* A fit's grid does not depend on the law's parameters, so the event-to-event decay factors
  can be tabulated once per curve and reused by every evaluation of a fit.
* Predictions need values only and run their own recursion (:func:`_value_sums`): it also
  drops, event by event, the rates that the event's gap decays below ``e^-40``, and clamps
  exponent arguments at ``-40`` where a cut would leave ragged vector loops (a weight of
  ``e^-40`` of its term where the cut gives 0).  Fits run the derivative recursion
  (:func:`_weighted_sums`); the two agree to round-off (tested).

Derivatives with respect to ``log c``, ``p`` and any parameter that moves ``l_k`` come from
differentiating the weights: ``dW/dl = W (e^y - p)``, ``dW/dp = W (y - psi(p))``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy.special import digamma, gammaln

from fsltheory._util.laplace import gamma_weights, trapezoid_step
from fsltheory._util.loops import count_true, decay_into, dot, scratch, total
from fsltheory._util.vexp import FASTMATH as _FM
from fsltheory._util.vexp import vexp_head as _exp_head
from fsltheory._util.vexp import vexp_into as _exp

__all__ = [
    "DEFAULT_H",
    "DEFAULT_RTOL",
    "P_MAX",
    "DEFAULT_EPS",
    "RateGrid",
    "grid_step",
    "grid_eps",
    "grid_window",
    "PREDICT_EPS",
    "rate_grid",
    "Events",
    "decayed_sums",
    "contracted_sums",
    "weighted_sums",
    "mixture_weights",
    "power_sums_naive",
    "power_sums_fast",
]

#: relative accuracy of the Laplace mixture, for powers up to P_MAX (module docstring)
DEFAULT_RTOL = 1e-6
P_MAX = 3.0
#: trapezoid step in log-rate: the shared rule's step for DEFAULT_RTOL at P_MAX (0.39)
DEFAULT_H = trapezoid_step(DEFAULT_RTOL, P_MAX)
#: exp(-r Delta) is linearised below r = EPS / S_max
DEFAULT_EPS = 1e-4
#: exp(-40) ~ 4e-18: rates this fast relative to the smallest Delta are dropped
_FAST = 40.0
#: placeholder for an absent decay table (typed for numba)
_NO_TABLE = np.empty((1, 1))


def grid_step(p: float | None = None) -> float:
    """The grid's step for the Laplace mixture at power ``p`` to ``DEFAULT_RTOL``.

    ``None``: :data:`DEFAULT_H`, the step for every power up to ``P_MAX`` (a fit's one grid,
    shared by all its parameter sets).  A prediction knows its power and takes that power's
    step: ``0.55`` instead of ``0.39`` at the fitted MPL and fsl-lr powers (~0.1), so 30 %
    fewer rates, at the same relative accuracy (the rule's own tests,
    ``tests/test_laplace.py``).
    """
    if p is None:
        return DEFAULT_H
    return trapezoid_step(DEFAULT_RTOL, float(p))


#: a prediction's linearisation threshold: the neglected second order, ``eps^2 / 2``, equals
#: the grid rule's own accuracy ``DEFAULT_RTOL`` (module docstring)
PREDICT_EPS = math.sqrt(2.0 * DEFAULT_RTOL)


def grid_window(p: float | None, logc: float, g: float = 0.0, rates=None) -> dict:
    """``floor`` and ``ceiling`` for :func:`rate_grid`: the rates a prediction at power ``p``
    needs when its terms' scales are ``c w_k = c eta_k^-g`` over the learning rates ``rates``
    of its terms (``g = 0``: the one scale ``c``; zero rates put no weight anywhere and are
    skipped).

    Every term's mixing density ``phi_p`` puts mass at most ``e^{-p D} / Gamma(p + 1)``
    below ``r = c w_k e^{-D}``; with ``D`` set so that this is ``DEFAULT_RTOL``, rates below
    ``min log(c w_k) - D`` carry less than the mixture's own error, and lumping them linearly
    costs at most that mass times ``(r_0 S_max)^2 / 2`` (:func:`rate_grid` keeps
    ``r_0 S_max <= 1``).  ``D`` is 4.0 at ``p = 3`` but 23 at ``p = 0.6``, below every
    grid's start: only sharp kernels gain.  Above ``max log(c w_k) + log 50`` the weights are
    below ``50^p e^-50``.  ``None`` (a fit's grid, for every power): no window.
    """
    if p is None:
        return {}
    lo = hi = float(logc)
    if g != 0.0:
        pos = np.asarray(rates, dtype=float)
        pos = pos[pos > 0]
        if pos.size == 0:
            return {}
        # log(c w) is monotone in log eta: its extremes sit at the extreme rates
        ends = (logc - g * math.log(float(pos.max())), logc - g * math.log(float(pos.min())))
        lo, hi = min(ends), max(ends)
    p = float(p)
    depth = (math.log(1.0 / DEFAULT_RTOL) - math.lgamma(p + 1.0)) / p
    return {"floor": lo - depth, "ceiling": hi + math.log(50.0)}


def grid_eps(p: float | None = None) -> float:
    """The linearisation threshold ``eps`` to pair with :func:`grid_step` ``(p)``.

    ``None`` (a fit's grid): :data:`DEFAULT_EPS`, as before.  A prediction (its own power)
    takes :data:`PREDICT_EPS` (1.4e-3): no less accurate than its rule, and about 5 fewer
    slow rates (a 72k-step MPL prediction: 1 ms of 20; the predictions move by 3e-10).
    """
    return DEFAULT_EPS if p is None else PREDICT_EPS


class RateGrid:
    """A log-spaced grid of decay rates ``r_j = exp(z_0 + j h)`` for one curve."""

    __slots__ = ("z", "h")

    def __init__(self, z: np.ndarray, h: float):
        self.z = np.ascontiguousarray(z, dtype=float)
        self.h = float(h)

    @property
    def rates(self) -> np.ndarray:
        return np.exp(self.z)

    def __len__(self) -> int:
        return self.z.size


def rate_grid(
    lrs: np.ndarray,
    obs=None,
    *,
    h: float = DEFAULT_H,
    eps: float = DEFAULT_EPS,
    scale_max: float = 0.0,
    floor: float = -math.inf,
    ceiling: float = math.inf,
) -> RateGrid:
    """The rate grid for sums evaluated at the steps ``obs`` of the learning rates ``lrs``.

    Parameters
    ----------
    lrs : ndarray
        Per-step learning rates.
    obs : array of int, optional
        Steps at which sums will be evaluated (default: every step).  Every positive
        ``Delta_{k,t}`` with ``t`` in ``obs`` is at least the last positive learning rate
        at or before ``t``, which sets the fastest rate kept.
    h, eps : float
        Grid spacing in ``log r`` and the linearisation threshold ``r S_max <= eps``.
    scale_max : float
        Largest ``c w_k`` the caller will use; the grid then also covers the whole
        mixing density (rates up to ``50 c w``), which matters only where a
        learning rate of exactly zero keeps ``Delta = 0`` over several steps: such a term
        loses its weights above the default grid, up to ``exp(-40 / (c w Delta_min))`` of
        its mass (1e-7 of the curve's decrements in an example found by fuzzing, at
        ``c w Delta_min = 4.7``; nothing at the scales fitted to real curves, where
        ``c w Delta_min << 1``).  The laws build their grids before they know ``c`` and
        leave it at 0.
    floor : float
        A prediction's lowest needed rate (:func:`grid_window`): the grid starts there instead of at
        ``log(eps / S_max)`` where that is higher, but never above ``log(1 / S_max)``, so
        the lumped rates still satisfy ``r Delta <= 1``.  At the fitted FSL-fast power 3 it
        drops 7 of the slowest rates of a 72k-step cosine prediction.
    ceiling : float
        A prediction's highest needed rate (:func:`grid_window`): every term's mixing
        density lies below it, so the grid stops there where that is lower than
        ``log(40 / Delta_min)``.
    """
    eta = np.ascontiguousarray(lrs, dtype=float)
    obs = np.arange(eta.size) if obs is None else np.ascontiguousarray(obs, dtype=np.int64)
    head = eta[: int(obs[-1]) + 1]
    total = float(head.sum())
    if not total > 0:
        raise ValueError("lrs is invalid: expected a positive learning rate before the last step")
    dmin = _smallest_recent_lr(head, obs)
    z_lo = math.log(eps / total)
    if floor > z_lo:
        z_lo = min(floor, -math.log(total))
    z_hi = math.log(_FAST / dmin)
    if ceiling < z_hi:
        z_hi = max(ceiling, z_lo + h)
    if scale_max > 0:
        z_hi = max(z_hi, math.log(50.0 * scale_max))
    n = int(math.ceil((z_hi - z_lo) / h)) + 1
    return RateGrid(z_lo + h * np.arange(n), h)


@numba.njit(cache=True)
def _smallest_recent_lr(head, obs):
    """The smallest, over the wanted steps, of the last positive learning rate at or before
    each (wanted steps before the first positive one skipped); the smallest positive learning
    rate if every wanted step is such.  One pass: a 72k-step prediction spent 1.6 ms on the
    numpy version's five whole-curve temporaries."""
    last = 0.0
    best = np.inf
    j = 0
    for k in range(head.size):
        if head[k] > 0:
            last = head[k]
        while j < obs.size and obs[j] == k:
            if 0 < last < best:
                best = last
            j += 1
    if best == np.inf:
        for k in range(head.size):
            if 0 < head[k] < best:
                best = head[k]
    return best


@numba.njit(cache=True)
def _event_arrays(eta, amps, obs):
    """``(steps, obs_pos, is_obs, gap, S)`` of :class:`Events` in one pass over the steps."""
    n = obs[-1] + 1
    mask = np.zeros(n, dtype=np.bool_)
    for m in range(amps.shape[0]):
        for k in range(n):
            if amps[m, k] != 0:
                mask[k] = True
    for o in obs:
        mask[o] = True
    count = 0
    for k in range(n):
        count += mask[k]
    steps = np.empty(count, dtype=np.int64)
    pos = np.empty(n, dtype=np.int64)
    S = np.empty(n)
    acc = 0.0
    c = 0
    for k in range(n):
        acc += eta[k]  # sequential, as np.cumsum
        S[k] = acc
        if mask[k]:
            steps[c] = k
            c += 1
        pos[k] = c - 1
    gap = np.empty(count)
    gap[0] = np.inf
    for i in range(1, count):
        gap[i] = S[steps[i]] - S[steps[i - 1]]
    obs_pos = np.empty(obs.size, dtype=np.int64)
    is_obs = np.zeros(count, dtype=np.bool_)
    for i in range(obs.size):
        obs_pos[i] = pos[obs[i]]
        is_obs[obs_pos[i]] = True
    return steps, obs_pos, is_obs, gap, S


class Events:
    """The steps a recursion must visit: non-zero amplitudes and wanted steps, merged.

    Attributes
    ----------
    steps : ndarray of int
        Sorted unique event steps.
    obs_pos : ndarray of int
        Position in ``steps`` of each wanted step.
    is_obs : ndarray of bool
        Whether each event is a wanted step.
    gap : ndarray
        ``S[steps[i]] - S[steps[i-1]]`` (learning-rate area between events; ``inf`` before
        the first, where the state is still zero).
    """

    __slots__ = ("steps", "obs_pos", "is_obs", "gap", "S", "eta")

    def __init__(self, lrs, amps, obs):
        eta = np.ascontiguousarray(lrs, dtype=float)
        obs = np.ascontiguousarray(obs, dtype=np.int64)
        amps = np.ascontiguousarray(np.atleast_2d(amps), dtype=float)
        # sorted union of the active and the wanted steps through a mask, compiled: O(K),
        # where np.union1d's hashing and sorting cost more than a whole prediction's
        # recursion, and numpy's seven whole-curve passes 2 ms of a 72k-step prediction
        steps, self.obs_pos, self.is_obs, self.gap, self.S = _event_arrays(eta, amps, obs)
        self.steps, self.eta = steps, eta[: int(obs[-1]) + 1]

    def decay_table(self, grid: RateGrid) -> np.ndarray:
        """``exp(-r_j gap_i)``, shape ``(n_events, q)`` (parameter-free: cache it per curve)."""
        return _decay_table(self.gap, grid.z)


@numba.njit(cache=True)
def _decay_table(gap, z):
    q, n = z.size, gap.size
    out = np.empty((n, q))
    for i in range(n):
        for j in range(q):
            out[i, j] = 0.0 if gap[i] == np.inf else math.exp(-math.exp(z[j]) * gap[i])
    return out


@numba.njit(cache=True, fastmath=_FM, error_model="numpy", inline="always")
def _event_decay(i, gap, r, table, use_table, x, e, ib, fb):
    """``exp(-r gap[i])``, the decay of every rate since the previous event: the cached
    table's row itself (no copy: the table streams 8 q bytes per event, and these loops are
    most of a fit's time), else computed into ``e`` (zero before the first event, where
    ``gap = inf``) and ``e`` returned.  Called for every event in order, and ``e`` written
    by nothing else, so an event whose gap repeats the previous one returns ``e`` as is."""
    if use_table:
        return table[i]
    if i > 0 and gap[i] == gap[i - 1]:
        return e  # a repeated gap (a constant stretch): e still holds its decay
    if gap[i] == np.inf:
        e[:] = 0.0
        return e
    # the rates are ascending: those with r gap > _FAST decay below exp(-40) ~ 4e-18 and
    # are set to 0 without an exponential (a fifth of the grid on a cosine curve, whose
    # smallest learning rates set the top of the grid)
    m = np.searchsorted(r, _FAST / gap[i], side="right")
    decay_into(r[:m], gap[i], x[:m], e[:m], ib[:m], fb[:m])
    e[m:] = 0.0
    return e


@numba.njit(cache=True, fastmath=_FM, error_model="numpy")
def _decayed_sums(gap, amps, z, is_obs, own, table, use_table):
    """H[m, j, i] over wanted events i: sum_k amps[m, k] exp(-r_j Delta_{k, t_i}).

    Events in order, all ``q`` rates together (the exponentials vectorise, :func:`_exp`).
    """
    nm, ne = amps.shape
    q = z.size
    nobs = count_true(is_obs)
    out = np.zeros((nm, q, nobs))
    r = np.exp(z)
    H = np.zeros((nm, q))
    x, e, ib, fb = scratch(q)
    o = 0
    for i in range(ne):
        d = _event_decay(i, gap, r, table, use_table, x, e, ib, fb)
        for m in range(nm):
            for j in range(q):
                H[m, j] *= d[j]
        if own:
            for m in range(nm):
                a = amps[m, i]
                for j in range(q):
                    H[m, j] += a
        if is_obs[i]:
            for m in range(nm):
                for j in range(q):
                    out[m, j, o] = H[m, j]
            o += 1
        if not own:
            for m in range(nm):
                a = amps[m, i]
                for j in range(q):
                    H[m, j] += a
    return out


def decayed_sums(lrs, amps, obs, grid: RateGrid, *, own: bool, events=None, table=None):
    """Weight-free sums ``H[m, j, i] = sum_k amps[m, k] exp(-r_j Delta_{k, obs_i})``.

    For ``own=True`` the term ``k = t`` is included with ``Delta = 0`` *without* its own
    step's decay (callers fold ``exp(-r_j eta_t)`` into its weight); for ``own=False`` it is
    left out (callers add it exactly).  Used where the mixing weights do not depend on ``k``
    (FSL: ``w_k = 1``), so that ``P = sum_j W_j H_j`` for any ``(c, p)`` from one pass.
    """
    amps = np.atleast_2d(np.asarray(amps, dtype=float))
    ev = Events(lrs, amps, obs) if events is None else events
    a = np.ascontiguousarray(amps[:, ev.steps])
    use = table is not None
    tab = table if use else _NO_TABLE
    return _decayed_sums(ev.gap, a, grid.z, ev.is_obs, bool(own), tab, use)


@numba.njit(cache=True, fastmath=_FM, error_model="numpy")
def _contracted_sums(gap, amp, z, W, is_obs):
    """``sum_j W_j H_j`` at the wanted events for one amplitude row, ``k < t`` (the FSL
    convention of :func:`_decayed_sums`, whose per-rate output a single evaluation does not
    need: q x n numbers written and read back)."""
    ne = amp.size
    q = z.size
    out = np.empty(count_true(is_obs))
    r = np.exp(z)
    H = np.zeros(q)
    x, e, ib, fb = scratch(q)
    tab = np.empty((1, 1))
    o = 0
    for i in range(ne):
        d = _event_decay(i, gap, r, tab, False, x, e, ib, fb)
        for j in range(q):
            H[j] *= d[j]
        if is_obs[i]:
            out[o] = dot(W, H)
            o += 1
        a = amp[i]
        for j in range(q):
            H[j] += a
    return out


def contracted_sums(lrs, amp, obs, grid: RateGrid, W) -> np.ndarray:
    """``sum_j W_j sum_{k<t} amp_k exp(-r_j Delta_{k,t})`` at the steps ``obs``: the grid part
    of ``P = W @ H + T0 A - T1 B`` (:func:`mixture_weights`) for one parameter set, in one
    pass without the ``(q, n)`` array of :func:`decayed_sums` (used by predictions)."""
    amp = np.asarray(amp, dtype=float)
    ev = Events(lrs, amp, obs)
    a = np.ascontiguousarray(amp[ev.steps])
    return _contracted_sums(ev.gap, a, grid.z, np.ascontiguousarray(W, dtype=float), ev.is_obs)


@numba.njit(cache=True, fastmath=_FM, error_model="numpy")
def _weighted_sums(
    steps, gap, is_obs, S, amp, u, logc, g, eta, law, tail, z, table, use_table, own
):
    """Per-step weights: value and derivatives wrt l (log c), p and g, lumped tails included.

    out[0] value, out[1] d/dlog c, out[2] d/dp, out[3] d/dg, with ``l_k = logc + g u_k``
    computed here (a non-finite ``u_k`` kills the term).  ``amp``, ``u``, ``eta`` and ``S``
    are per step; the events ``steps`` index them, so no per-event copy is built (a
    72k-step prediction spent a third of its time gathering and combining such arrays in
    numpy).  With ``own`` (MPL) the term born at an event step enters before it is
    recorded, with ``W exp(-r eta_k)`` (its own step's decay) folded into the single
    ``exp`` of its weight, ``h exp(p y - r (v_k + eta_k) - log Gamma(p))`` with
    ``y = z_j - l_k`` and ``v_k = exp(-l_k)``; without (FSL) it enters after, undecayed
    (``k < t`` terms only).  The events are visited in order and all ``q`` rates are
    updated together, so the exponentials vectorise (:func:`_exp`); the rates are summed at
    each wanted step, so the output is ``(4, n)``, not ``(4, q, n)``.
    ``law = (p, log Gamma(p), digamma(p), h)``; ``tail`` holds the constants of the lumped
    tails below the grid (:func:`_tail_constants`), added as running sums
    (:func:`_tail_values`).  The value alone (predictions) is :func:`_value_sums`.
    """
    ne = steps.size
    q = z.size
    nobs = count_true(is_obs)
    out = np.zeros((4, nobs))
    r = np.exp(z)
    H0 = np.zeros(q)
    H1 = np.zeros(q)
    H2 = np.zeros(q)
    H3 = np.zeros(q)
    x, e, ib, fb = scratch(q)
    W = np.empty(q)
    # running tail sums: sum_k t0_k, sum_k t1_k, sum_k t1_k start_k (Delta = S_t - start_k)
    c0 = np.zeros(4)
    c1 = np.zeros(4)
    c2 = np.zeros(4)
    t0 = np.zeros(4)
    t1 = np.zeros(4)
    o = 0
    for i in range(ne):
        k = steps[i]
        d = _event_decay(i, gap, r, table, use_table, x, e, ib, fb)
        for j in range(q):
            t = d[j]
            H0[j] *= t
            H1[j] *= t
            H2[j] *= t
            H3[j] *= t
        a = amp[k]
        uk = u[k]
        fin = math.isfinite(uk)
        dl = uk if fin else 0.0
        l0 = logc + g * dl
        v = math.exp(-l0) if fin else 0.0
        live = a != 0.0 and v > 0.0
        if live and own:
            _add_term(H0, H1, H2, H3, x, W, ib, fb, z, r, l0, v, eta[k], dl, a, law)
        if fin and a != 0.0:
            T0, T0l, T0p, T1, T1l, T1p = _tail_values(tail[0] - l0, tail[1] * v, law, tail, True)
            t0[0], t0[1], t0[2] = T0 * a, T0l * a, T0p * a
            t0[3] = t0[1] * dl
            t1[0], t1[1], t1[2] = T1 * a, T1l * a, T1p * a
            t1[3] = t1[1] * dl
        else:
            t0[:] = 0.0
            t1[:] = 0.0
        start = (S[k - 1] if k > 0 else 0.0) if own else S[k]
        for m in range(4):
            c0[m] += t0[m]
            c1[m] += t1[m]
            c2[m] += t1[m] * start
        if is_obs[i]:
            # without own the k = t term (Delta = 0) is the caller's: its tail t0 is dropped
            for m in range(4):
                lump = c0[m] - S[k] * c1[m] + c2[m]
                if not own:
                    lump -= t0[m]
                out[m, o] = lump
            out[0, o] += total(H0)
            out[1, o] += total(H1)
            out[2, o] += total(H2)
            out[3, o] += total(H3)
            o += 1
        if live and not own:
            _add_term(H0, H1, H2, H3, x, W, ib, fb, z, r, l0, v, 0.0, dl, a, law)
    return out


@numba.njit(cache=True, inline="always")
def _live_rates(gap, z0, h, q):
    """How many of the ascending rates ``r_j = exp(z0 + j h)`` have ``r_j gap <= _FAST``,
    rounded up to a multiple of 4 (whole vectors: a ragged loop end costs more than the
    rates it would skip) and at most ``q``; the others decay below ``exp(-40)`` ~ 4e-18 over
    ``gap``.  In closed form, since the grid is uniform in log-rate (no search per event)."""
    if gap == np.inf:
        return 0
    if not gap > 0.0:
        return q
    n = int(math.floor((math.log(_FAST / gap) - z0) / h)) + 1
    return min(q, max(0, (n + 3) & ~3))


@numba.njit(cache=True, fastmath=_FM, error_model="numpy")
def _value_sums(steps, gap, is_obs, S, amp, u, logc, g, eta, law, tail, z, table, use_table, own):
    """The values of :func:`_weighted_sums` alone (``derivs=False``: predictions), shape ``(1, n)``.

    The same recursion with two economies that only the value allows.  (i) Only the rates
    that can still hold a term are visited: ``H_j`` is 0 above ``hi``, and an event whose
    gap kills every rate with ``r_j gap > _FAST`` (decay below ``exp(-40)``) shrinks ``hi``
    to :func:`_live_rates`; after a warmup, whose tiny learning rates set the top of the
    grid, a cosine curve never touches its fastest ~10 of ~55 rates again.  (ii) Without
    ``own`` (FSL) a term waits one event and enters already decayed, its weight and its
    first decay in one exponential, ``h a exp(p y - r (v + gap) - log Gamma(p))`` (``y =
    z_j - l_k``), as ``own`` terms fold in their own step: so its weights are needed only
    on the rates that survive that decay.  Exponent arguments are clamped at
    ``-_FAST`` rather than cut, so that every loop runs over whole vectors; a clamped
    weight or decay is ``exp(-40)`` ~ 4e-18 of the term where it would be 0.
    """
    ne = steps.size
    q = z.size
    nobs = count_true(is_obs)
    p_, lgam_, _, h_ = law
    z0 = z[0]
    out = np.zeros((1, nobs))
    r = np.exp(z)
    H = np.zeros(q)
    x, e, ib, fb = scratch(q)
    W = np.empty(q)
    c0 = c1 = c2 = 0.0
    hi = 0  # H[j] == 0 for j >= hi
    ne_ = -1  # rates whose decay e holds (-1: none yet)
    pend = False  # without own: the previous event's term, not yet entered
    pl = pv = pa = 0.0
    o = 0
    for i in range(ne):
        k = steps[i]
        gi = gap[i]
        n = _live_rates(gi, z0, h_, q)
        for j in range(n, hi):
            H[j] = 0.0
        if use_table:
            d = table[i]
        else:
            d = e
            if not (i > 0 and gi == gap[i - 1] and ne_ == n):
                for j in range(n):
                    x[j] = max(-r[j] * gi, -_FAST)
                _exp_head(x, e, ib, fb, n)
                ne_ = n
        hi = min(hi, n)
        for j in range(hi):
            H[j] *= d[j]
        if pend:  # born at the previous event: its weight and its decay over gi at once
            for j in range(n):
                x[j] = max(p_ * (z[j] - pl) - r[j] * (pv + gi) - lgam_, -_FAST)
            _exp_head(x, W, ib, fb, n)
            for j in range(n):
                H[j] += pa * W[j]
            hi = n
            pend = False
        a = amp[k]
        uk = u[k]
        fin = math.isfinite(uk)
        l0 = logc + g * (uk if fin else 0.0)
        v = math.exp(-l0) if fin else 0.0
        live = a != 0.0 and v > 0.0
        if live and own:  # born here, with its own step's decay exp(-r eta_k)
            nb = _live_rates(eta[k], z0, h_, q)
            for j in range(nb):
                x[j] = max(p_ * (z[j] - l0) - r[j] * (v + eta[k]) - lgam_, -_FAST)
            _exp_head(x, W, ib, fb, nb)
            ha = h_ * a
            for j in range(nb):
                H[j] += ha * W[j]
            hi = max(hi, nb)
        t0 = t1 = 0.0
        if fin and a != 0.0:
            T0, _0, _1, T1, _2, _3 = _tail_values(tail[0] - l0, tail[1] * v, law, tail, False)
            t0, t1 = T0 * a, T1 * a
        c0 += t0
        c1 += t1
        c2 += t1 * ((S[k - 1] if k > 0 else 0.0) if own else S[k])
        if is_obs[i]:
            # without own the k = t term (Delta = 0) is the caller's: its tail t0 is dropped
            acc = c0 - S[k] * c1 + c2 - (0.0 if own else t0)
            for j in range(hi):
                acc += H[j]
            out[0, o] = acc
            o += 1
        if live and not own:
            pend, pl, pv, pa = True, l0, v, h_ * a
    return out


#: terms of the lumped tail's series in ``u = e^y`` (enough for ``u <= e^{_Y_SERIES}``)
_TAIL_TERMS = 32
#: above ``y_0 = _Y_SERIES`` the tail is the complement of the weights at and above the grid
#: (the series' terms would grow before they fall, and cancel)
_Y_SERIES = 1.0


@numba.njit(cache=True, error_model="numpy", inline="always")
def _tail_values(y0, ey, law, tail, derivs):
    """The lumped trapezoid tail below the grid, for amplitude 1.

    ``sum_{i>=1} h phi_p(y_i) exp(-r_i Delta) ~ T0 - T1 Delta`` (``y_i = y_0 - i h``,
    ``r_i = r_0 e^{-ih}``) to first order in ``r_i Delta <= eps``, with the mass ``T0`` and the
    first moment ``T1 = sum_i h phi_p(y_i) r_i`` summed in full.  Expanding ``e^{-u}``
    (``u_i = e^{y_i}``) turns each into a series of geometric sums,
    ``T0 = sum_m (-1)^m / m! G(p + m)`` and ``T1 = r_0 e^{-y_0} sum_m (-1)^m / m! G(p + 1 + m)``,
    where ``G(b) = h e^{b y_0} / (Gamma(p) (e^{b h} - 1))`` is ``h sum_{i>=1} e^{b y_i} / Gamma(p)``;
    the terms fall like ``e^{m (y_0 - h)} / m!`` and the sum stops once one is below 1e-17 of
    the mass.  Where the grid starts inside the density rather than in its left tail
    (``y_0 > _Y_SERIES``: a scale so small that ``c S_max < eps e^{-1}``, the kernel nearly
    flat over the whole curve), the series would cancel, and the tail is the complement of
    the weights at and above ``y_0`` instead: ``T0 = 1 - sum_{i>=0} h phi_p(y_0 + i h)`` and
    ``T1 = e^l (p - sum_{i>=0} h phi_p(y_0 + i h) e^{y_0 + i h})`` (the density's mass 1 and
    mean ``p``).  Returns ``(T0, dT0/dl, dT0/dp, T1, dT1/dl, dT1/dp)`` (``l`` shifts ``y_0`` by
    -1; zeros for the derivatives without ``derivs``), scalars rather than arrays filled in
    place: numba reference-counts array arguments at every call, and the recursion calls
    this at every event.  ``ey = e^{y_0}`` is the caller's (``r_0 e^{-l}``
    in the recursion, where ``e^{-l}`` is at hand).  ``law = (p, log Gamma(p), digamma(p), h)``,
    ``tail`` from :func:`_tail_constants`.  The one implementation of these formulas:
    :func:`mixture_weights` calls it too.
    """
    p, lgam, psi, h = law
    r0 = tail[1]
    nterm = _TAIL_TERMS
    T0 = T0l = T0p = T1 = T1l = T1p = 0.0
    if y0 > _Y_SERIES:
        s0 = s0l = s0p = s1 = s1l = s1p = 0.0
        y_ = y0
        while True:
            u_ = math.exp(y_)
            w_ = h * math.exp(p * y_ - u_ - lgam)
            s0 += w_
            s1 += w_ * u_
            if derivs:
                s0l += w_ * (u_ - p)
                s0p += w_ * (y_ - psi)
                s1l += w_ * u_ * (u_ - p - 1.0)
                s1p += w_ * u_ * (y_ - psi)
            if u_ > 45.0:  # the rest is below e^-45 and falls superexponentially
                break
            y_ += h
        el = r0 / ey
        T0, T0l, T0p = 1.0 - s0, -s0l, -s0p
        T1 = el * (p - s1)
        T1l, T1p = T1 - el * s1l, el * (1.0 - s1p)
    else:
        # (-1)^n / n! e^{(p + n) y_0 - log Gamma(p)}; the names differ from the callers':
        # numba 0.6x mis-inlines a loop variable that shares a caller's name
        e_m = math.exp(p * y0 - lgam)
        for n_ in range(nterm):
            g_m = e_m * tail[2 + n_]
            u_m = r0 * e_m * tail[3 + n_]
            T0 += g_m
            T1 += u_m
            if derivs:
                T0l -= (p + n_) * g_m
                T0p += g_m * (y0 - psi - tail[3 + nterm + n_])
                T1l -= (p + n_) * u_m
                T1p += u_m * (y0 - psi - tail[4 + nterm + n_])
            if n_ > 0 and abs(g_m) <= 1e-17 * abs(T0):
                break
            e_m *= -ey / (n_ + 1)
    return T0, T0l, T0p, T1, T1l, T1p


def _tail_constants(p: float, z0: float, h: float) -> np.ndarray:
    """``(z_0, r_0, h / (e^{(p+m)h} - 1), d log(e^{(p+m)h} - 1)/dp)`` for ``m = 0.._TAIL_TERMS``:
    the parameter-only factors of :func:`_tail_values`, once per evaluation."""
    b = p + np.arange(_TAIL_TERMS + 1)
    ea = np.expm1(b * h)
    return np.concatenate(([z0, math.exp(z0)], h / ea, h * (ea + 1.0) / ea))


@numba.njit(cache=True, fastmath=_FM, error_model="numpy", inline="always")
def _add_term(H0, H1, H2, H3, x, W, ib, fb, z, r, ell, v, eta_k, dell, a, law):
    """Add one step's term ``a h phi_p(z_j - l) exp(-r_j eta_k)`` and its derivatives to every rate.

    ``H0..H3`` are the value and derivative states, ``x, W, ib, fb`` workspace,
    ``law = (p, log Gamma(p), digamma(p), h)``.  A fit's path (:func:`_weighted_sums`); a
    prediction's recursion (:func:`_value_sums`) writes the value alone out.
    """
    p, lgam, psi, h = law
    nq = z.size
    for j in range(nq):
        x[j] = p * (z[j] - ell) - r[j] * (v + eta_k) - lgam
    # weights below exp(-40) at the fast end of the grid (the Gamma density's right tail)
    # are 0 without an exponential
    top = nq
    while top > 0 and x[top - 1] < -_FAST:
        top -= 1
    _exp(x[:top], W[:top], ib[:top], fb[:top])
    for j in range(top):
        W[j] *= h * a
        H0[j] += W[j]
        g = W[j] * (r[j] * v - p)
        H1[j] += g
        H2[j] += W[j] * ((z[j] - ell) - psi)
        H3[j] += g * dell


def _tails(p: float, y0: float, z0: float, h: float, derivs: bool = False):
    """``(T0, T1)`` (and ``dT0/dl, dT0/dp, dT1/dl, dT1/dp``) of :func:`_tail_values` for one
    scale, ``y_0 = z_0 - l`` (amplitude 1)."""
    law = (float(p), float(gammaln(p)), float(digamma(p)), float(h))
    tail = _tail_constants(float(p), float(z0), float(h))
    T0, T0l, T0p, T1, T1l, T1p = _tail_values(float(y0), math.exp(y0), law, tail, derivs)
    if not derivs:
        return float(T0), float(T1)
    return float(T0), float(T1), float(T0l), float(T0p), float(T1l), float(T1p)


def mixture_weights(grid: RateGrid, ell: float, p: float, *, derivs: bool = False):
    """``k``-independent weights for ``(1 + e^l Delta)^-p`` on ``grid`` (the FSL case).

    Returns ``(W, T0, T1)`` or, with ``derivs``, also ``(dW/dl, dW/dp, dT0/dl, dT0/dp,
    dT1/dl, dT1/dp)``: ``P = W @ H + T0 * A - T1 * B`` with ``A = sum a_k`` and
    ``B = sum a_k Delta_{k,t}``.
    """
    y = grid.z - ell
    W = gamma_weights(y, p, grid.h)
    tails = _tails(p, y[0], grid.z[0], grid.h, derivs=derivs)
    T0, T1 = tails[:2]
    if not derivs:
        return W, T0, T1
    dT0_l, dT0_p, dT1_l, dT1_p = tails[2:]
    return (W, T0, T1, W * (np.exp(y) - p), W * (y - digamma(p)), dT0_l, dT0_p, dT1_l, dT1_p)


def weighted_sums(
    lrs,
    amp,
    u,
    obs,
    grid: RateGrid,
    p: float,
    *,
    logc: float,
    g: float = 1.0,
    events=None,
    table=None,
    derivs=True,
    own: bool = True,
):
    """``P(t) = sum_k amp_k (1 + exp(l_k) Delta_{k,t})^-p`` with per-step scales
    ``l_k = log c + g u_k``, and derivatives.

    ``own=True`` (MPL): ``k <= t``, ``Delta = S_t - S_{k-1}``; ``own=False`` (FSL with an
    LR-dependent scale): ``k < t`` only (the ``k = t`` term, ``amp_t``, is the caller's),
    ``Delta = S_t - S_k``.

    Parameters
    ----------
    lrs : ndarray
        Per-step learning rates ``eta``.
    amp : ndarray
        Amplitudes ``a_k`` (zero entries are skipped).
    u : ndarray
        Per-step log-scale ``u_k`` (MPL and fsl-lr: ``u_k = -log eta_k``, ``g`` the LR
        exponent); ``+inf`` (a zero learning rate) makes the term's kernel vanish.
    obs : ndarray of int
        Sorted steps at which ``P`` is wanted.
    p : float
        The power.
    logc, g : float
        ``l_k = logc + g u_k``.
    events, table : optional
        A cached :class:`Events` for ``(lrs, amp, obs)`` and its decay table.

    Returns
    -------
    ndarray
        Shape ``(4, n)``: value, ``dP/dlog c``, ``dP/dp``, ``dP/dg`` (``(1, n)`` when
        ``derivs=False``).
    """
    eta = np.ascontiguousarray(lrs, dtype=float)
    amp = np.ascontiguousarray(amp, dtype=float)
    u = np.ascontiguousarray(u, dtype=float)
    obs = np.asarray(obs, dtype=np.int64)
    ev = Events(eta, amp, obs) if events is None else events
    use = table is not None
    law = (float(p), float(gammaln(p)), float(digamma(p)), grid.h)
    # every step with a non-zero amplitude is an event, so all per-step work (weights, tails,
    # their running sums) runs over the events only: a fit evaluates this hundreds of times
    # and piecewise-constant schedules have a few events among many steps
    # derivatives (fits) and values alone (predictions) are two kernels: the value's
    # recursion skips dead rates and folds a term's first decay into its weight
    kernel = _weighted_sums if derivs else _value_sums
    return kernel(
        ev.steps,
        ev.gap,
        ev.is_obs,
        ev.S,
        amp,
        u,
        float(logc),
        float(g),
        eta,
        law,
        _tail_constants(float(p), float(grid.z[0]), grid.h),
        grid.z,
        table if use else _NO_TABLE,
        use,
        bool(own),
    )


def power_sums_fast(lrs, amp, obs, *, scale, p, own: bool, logw=None, grid=None) -> np.ndarray:
    """``P(t_i) = sum_k amp_k (1 + scale w_k Delta_{k,t_i})^-p`` by the fast recursion.

    A values-only wrapper used by the tests and the benchmark; the laws call
    :func:`decayed_sums` / :func:`weighted_sums` directly to get derivatives too.
    ``own=False`` includes the exact ``k = t`` term ``amp_t``.
    """
    eta = np.asarray(lrs, dtype=float)
    obs = np.asarray(obs, dtype=np.int64)
    amp = np.asarray(amp, dtype=float)
    grid = rate_grid(eta, obs) if grid is None else grid
    logw = np.zeros_like(eta) if logw is None else np.asarray(logw, dtype=float)
    lc = math.log(scale)
    if own:
        return weighted_sums(eta, amp, logw, obs, grid, p, logc=lc, derivs=False)[0]
    if np.any(logw != 0):  # per-step scales: the weighted recursion, k < t, plus the k = t term
        P = weighted_sums(eta, amp, logw, obs, grid, p, logc=lc, derivs=False, own=False)[0]
        return P + np.where(np.isfinite(logw[obs]), amp[obs], 0.0)
    n = int(obs[-1]) + 1
    a = amp[:n].copy()
    S = np.cumsum(eta[:n])
    W, T0, T1 = mixture_weights(grid, math.log(scale), p)
    A = np.cumsum(a)[obs] - a[obs]  # sum over k < t
    B = S[obs] * A - (np.cumsum(a * S)[obs] - a[obs] * S[obs])  # sum_{k<t} a_k (S_t - S_k)
    return contracted_sums(eta, a, obs, grid, W) + T0 * A - T1 * B + a[obs]


def power_sums_naive(lrs, amp, obs, *, scale, p, own: bool, logw=None) -> np.ndarray:
    """The direct O(K) per point sum (the reference the fast path is tested against)."""
    eta = np.asarray(lrs, dtype=float)
    amp = np.asarray(amp, dtype=float)
    w = np.ones_like(eta) if logw is None else np.exp(np.asarray(logw, dtype=float))
    S = np.cumsum(eta)
    out = np.empty(len(obs))
    for i, t in enumerate(np.asarray(obs, dtype=np.int64)):
        k = np.arange(t + 1)
        delta = S[t] - S[k] + (eta[k] if own else 0.0)
        out[i] = np.sum(amp[k] * (1.0 + scale * w[k] * delta) ** (-p))
    return out
