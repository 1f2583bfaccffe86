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
  *same* trapezoid rule's tail (two geometric series): ``T0 = h e^{p y_0}/(Gamma(p)(e^{ph}-1))``
  and ``T1 = h e^{p y_0} r_0/(Gamma(p)(e^{(p+1)h}-1))``, so ``Z = sum_k a_k (T0_k - T1_k Delta)``.
  The neglected second order is ``(r_0 Delta)^2 / 2 <= eps^2 / 2`` times the lumped mass.
* The grid does not depend on the law's parameters, so the event-to-event decay factors
  can be tabulated once per curve and reused by every evaluation of a fit.

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
from fsltheory._util.vexp import vexp_into as _exp

__all__ = [
    "DEFAULT_H",
    "DEFAULT_RTOL",
    "P_MAX",
    "DEFAULT_EPS",
    "RateGrid",
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
        learning rate of exactly zero keeps ``Delta = 0`` over several steps.
    """
    eta = np.asarray(lrs, dtype=float)
    obs = np.arange(eta.size) if obs is None else np.asarray(obs, dtype=np.int64)
    head = eta[: int(obs[-1]) + 1]
    total = float(head.sum())
    if not total > 0:
        raise ValueError("lrs is invalid: expected a positive learning rate before the last step")
    # last positive learning rate at or before each step (0 before the first positive one)
    idx = np.maximum.accumulate(np.where(head > 0, np.arange(head.size), -1))
    last_pos = np.where(idx >= 0, head[np.maximum(idx, 0)], 0.0)[obs]
    last_pos = last_pos[last_pos > 0]
    dmin = float(last_pos.min()) if last_pos.size else float(head[head > 0].min())
    z_lo = math.log(eps / total)
    z_hi = math.log(_FAST / dmin)
    if scale_max > 0:
        z_hi = max(z_hi, math.log(50.0 * scale_max))
    n = int(math.ceil((z_hi - z_lo) / h)) + 1
    return RateGrid(z_lo + h * np.arange(n), h)


class Events:
    """The steps a recursion must visit: non-zero amplitudes and wanted steps, merged.

    Attributes
    ----------
    steps : ndarray of int
        Sorted unique event steps.
    obs_pos : ndarray of int
        Position in ``steps`` of each wanted step.
    gap : ndarray
        ``S[steps[i]] - S[steps[i-1]]`` (learning-rate area between events; ``inf`` before
        the first, where the state is still zero).
    """

    __slots__ = ("steps", "obs_pos", "gap", "S", "eta")

    def __init__(self, lrs, amps, obs):
        eta = np.asarray(lrs, dtype=float)
        obs = np.asarray(obs, dtype=np.int64)
        last = int(obs[-1])
        amps = np.atleast_2d(amps)[:, : last + 1]
        # sorted union of the active and the wanted steps through a mask: O(K), where
        # np.union1d's hashing and sorting cost more than a whole prediction's recursion
        mask = np.any(amps != 0, axis=0)
        mask[obs] = True
        steps = np.flatnonzero(mask)
        S = np.cumsum(eta[: last + 1])
        gap = np.empty(steps.size)
        gap[0] = np.inf
        gap[1:] = S[steps[1:]] - S[steps[:-1]]
        self.steps, self.obs_pos, self.gap = steps, (np.cumsum(mask) - 1)[obs], gap
        self.S, self.eta = S, eta[: last + 1]

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
    is_obs = np.zeros(ev.steps.size, dtype=np.bool_)
    is_obs[ev.obs_pos] = True
    use = table is not None
    tab = table if use else np.empty((1, 1))
    return _decayed_sums(ev.gap, a, grid.z, is_obs, bool(own), tab, use)


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
    is_obs = np.zeros(ev.steps.size, dtype=np.bool_)
    is_obs[ev.obs_pos] = True
    a = np.ascontiguousarray(amp[ev.steps])
    return _contracted_sums(ev.gap, a, grid.z, np.ascontiguousarray(W, dtype=float), is_obs)


@numba.njit(cache=True, fastmath=_FM, error_model="numpy")
def _weighted_sums(
    gap, amp, ell, v, dell, etaw, p, lgam, psi, h, z, is_obs, table, use_table, derivs, own
):
    """Per-step weights: value and derivatives wrt l (log c), p and g.

    out[0] value, out[1] d/dlog c, out[2] d/dp, out[3] d/dg with dl_k/dg = dell[k].  With
    ``own`` (MPL) the term born at an event step enters before it is recorded, with
    ``W exp(-r eta_k)`` (its own step's decay) folded into the single ``exp`` of its weight,
    ``h exp(p y - r (v_k + eta_k) - log Gamma(p))`` with ``y = z_j - l_k`` and
    ``v_k = exp(-l_k)``; without (FSL) it enters after, undecayed (``k < t`` terms only).
    The events are visited in order and all ``q`` rates are updated together, so the
    exponentials vectorise (:func:`_exp`); the rates are summed at each wanted step, so
    the output is ``(4, n)``, not ``(4, q, n)`` (a 72k-step prediction wrote 38 MB).
    """
    ne = amp.size
    q = z.size
    nobs = count_true(is_obs)
    nout = 4 if derivs else 1
    out = np.zeros((nout, nobs))
    r = np.exp(z)
    H0 = np.zeros(q)
    H1 = np.zeros(q)
    H2 = np.zeros(q)
    H3 = np.zeros(q)
    x, e, ib, fb = scratch(q)
    W = np.empty(q)
    Hs = (H0, H1, H2, H3)
    work = (x, W, ib, fb)
    law = (p, lgam, psi, h)
    o = 0
    for i in range(ne):
        d = _event_decay(i, gap, r, table, use_table, x, e, ib, fb)
        if derivs:
            for j in range(q):
                t = d[j]
                H0[j] *= t
                H1[j] *= t
                H2[j] *= t
                H3[j] *= t
        else:
            for j in range(q):
                H0[j] *= d[j]
        a = amp[i]
        live = a != 0.0 and v[i] > 0.0
        if live and own:
            _add_term(Hs, work, z, r, ell[i], v[i], etaw[i], dell[i], a, law, derivs)
        if is_obs[i]:
            out[0, o] = total(H0)
            if derivs:
                out[1, o] = total(H1)
                out[2, o] = total(H2)
                out[3, o] = total(H3)
            o += 1
        if live and not own:
            _add_term(Hs, work, z, r, ell[i], v[i], 0.0, dell[i], a, law, derivs)
    return out


@numba.njit(cache=True, fastmath=_FM, error_model="numpy", inline="always")
def _add_term(Hs, work, z, r, ell, v, eta, dell, a, law, derivs):
    """Add one step's term ``a h phi_p(z_j - l) exp(-r_j eta)`` (and derivatives) to every rate.

    ``Hs = (H0, H1, H2, H3)`` are the value and derivative states, ``work = (x, W, ib, fb)``
    workspace, ``law = (p, log Gamma(p), digamma(p), h)``.
    """
    H0, H1, H2, H3 = Hs
    x, W, ib, fb = work
    p, lgam, psi, h = law
    q = z.size
    for j in range(q):
        x[j] = p * (z[j] - ell) - r[j] * (v + eta) - lgam
    # weights below exp(-40) at the fast end of the grid (the Gamma density's right tail)
    # are 0 without an exponential
    m = q
    while m > 0 and x[m - 1] < -_FAST:
        m -= 1
    _exp(x[:m], W[:m], ib[:m], fb[:m])
    for j in range(m):
        W[j] *= h * a
        H0[j] += W[j]
    if derivs:
        for j in range(m):
            g = W[j] * (r[j] * v - p)
            H1[j] += g
            H2[j] += W[j] * ((z[j] - ell) - psi)
            H3[j] += g * dell


def _tails(p: float, y0, r0: float, h: float, derivs: bool = False):
    """Lumped trapezoid tail below the grid, ``sum_{i<0} h phi_p(y_0 + i h) exp(-r_i Delta)``.

    To first order in ``r_i Delta <= eps`` and second order in ``u_i = e^{y_i} <= e^{y_0}``
    (``e^{-u} ~ 1 - u + u^2/2``): ``T0 - T1 Delta`` with the mass
    ``T0 = G(p) - G(p+1) + G(p+2)/2`` and first moment ``T1 = r_0 e^{-y_0} G(p+1)``, where
    ``G(a) = h e^{a y_0} / (Gamma(p) (e^{a h} - 1))`` sums ``h sum_{i>=1} e^{a (y_0 - i h)} / Gamma(p)``.
    With ``derivs`` also returns ``dT0/dl, dT0/dp, dT1/dl, dT1/dp`` (``l`` shifts ``y_0`` by -1).
    """
    lg = gammaln(p)
    ea = [math.expm1((p + m) * h) for m in range(3)]
    E = [np.exp((p + m) * y0 - lg) for m in range(3)]
    G = [h * E[m] / ea[m] for m in range(3)]
    T0 = G[0] - G[1] + 0.5 * G[2]
    T1 = r0 * h * E[0] / ea[1]  # E[0] = exp(p y0 - lg): (p + 0) is p exactly
    if not derivs:
        return T0, T1
    ps = float(digamma(p))
    k = [h * (ea[m] + 1) / ea[m] for m in range(3)]  # d log(e^{(p+m)h} - 1) / dp
    dT0_l = -p * G[0] + (p + 1) * G[1] - 0.5 * (p + 2) * G[2]
    dT0_p = G[0] * (y0 - ps - k[0]) - G[1] * (y0 - ps - k[1]) + 0.5 * G[2] * (y0 - ps - k[2])
    dT1_l = -p * T1
    dT1_p = T1 * (y0 - ps - k[1])
    return T0, T1, dT0_l, dT0_p, dT1_l, dT1_p


def mixture_weights(grid: RateGrid, ell: float, p: float, *, derivs: bool = False):
    """``k``-independent weights for ``(1 + e^l Delta)^-p`` on ``grid`` (the FSL case).

    Returns ``(W, T0, T1)`` or, with ``derivs``, also ``(dW/dl, dW/dp, dT0/dl, dT0/dp,
    dT1/dl, dT1/dp)``: ``P = W @ H + T0 * A - T1 * B`` with ``A = sum a_k`` and
    ``B = sum a_k Delta_{k,t}``.
    """
    y = grid.z - ell
    W = gamma_weights(y, p, grid.h)
    tails = _tails(p, y[0], math.exp(grid.z[0]), grid.h, derivs=derivs)
    T0, T1 = float(tails[0]), float(tails[1])
    if not derivs:
        return W, T0, T1
    dT0_l, dT0_p, dT1_l, dT1_p = (float(x) for x in tails[2:])
    return (W, T0, T1, W * (np.exp(y) - p), W * (y - digamma(p)), dT0_l, dT0_p, dT1_l, dT1_p)


def weighted_sums(
    lrs,
    amp,
    ell,
    obs,
    grid: RateGrid,
    p: float,
    *,
    dell=None,
    events=None,
    table=None,
    derivs=True,
    own: bool = True,
):
    """``P(t) = sum_k amp_k (1 + exp(l_k) Delta_{k,t})^-p`` with per-step scales, and derivatives.

    ``own=True`` (MPL): ``k <= t``, ``Delta = S_t - S_{k-1}``; ``own=False`` (FSL with an
    LR-dependent scale): ``k < t`` only (the ``k = t`` term, ``amp_t``, is the caller's),
    ``Delta = S_t - S_k``.

    Parameters
    ----------
    lrs : ndarray
        Per-step learning rates ``eta``.
    amp : ndarray
        Amplitudes ``a_k`` (zero entries are skipped).
    ell : ndarray
        ``l_k = log(c w_k)``; ``+inf`` (a zero learning rate under MPL) makes the term's
        kernel vanish.
    obs : ndarray of int
        Sorted steps at which ``P`` is wanted.
    p : float
        The power.
    dell : ndarray, optional
        ``dl_k / dg`` for a parameter ``g`` (MPL: ``g = gamma``, ``dl_k/dg = -log eta_k``).
    events, table : optional
        A cached :class:`Events` for ``(lrs, amp, obs)`` and its decay table.

    Returns
    -------
    ndarray
        Shape ``(4, n)``: value, ``dP/dlog c``, ``dP/dp``, ``dP/dg`` (``(1, n)`` when
        ``derivs=False``).
    """
    eta = np.asarray(lrs, dtype=float)
    amp = np.asarray(amp, dtype=float)
    ell = np.asarray(ell, dtype=float)
    obs = np.asarray(obs, dtype=np.int64)
    ev = Events(eta, amp, obs) if events is None else events
    st = ev.steps
    # every step with a non-zero amplitude is an event, so all per-step work (weights, tails,
    # their running sums) runs over the events only: a fit evaluates this hundreds of times
    # and piecewise-constant schedules have a few events among many steps
    a_ev = amp[st]
    ell_ev = ell[st]
    dell_ev = np.zeros(st.size) if dell is None else np.asarray(dell, dtype=float)[st]
    fin = np.isfinite(ell_ev)
    ell0 = np.where(fin, ell_ev, 0.0)
    v = np.where(fin, np.exp(-ell0), 0.0)
    is_obs = np.zeros(st.size, dtype=np.bool_)
    is_obs[ev.obs_pos] = True
    use = table is not None
    tab = table if use else np.empty((1, 1))
    lgam, psi = float(gammaln(p)), float(digamma(p))
    out = _weighted_sums(
        ev.gap,
        np.ascontiguousarray(a_ev),
        np.ascontiguousarray(ell0),
        np.ascontiguousarray(v),
        np.ascontiguousarray(dell_ev),
        np.ascontiguousarray(eta[st]),
        float(p),
        lgam,
        psi,
        grid.h,
        grid.z,
        is_obs,
        tab,
        use,
        derivs,
        bool(own),
    )
    # lumped first-order tail below the grid: sum_k a_k (T0_k - T1_k Delta_{k,t}), as running
    # sums over the events (the steps in between add exact zeros: the same numbers as a
    # running sum over every step)
    # only at the live events (a prediction at every step of a piecewise-constant schedule
    # has many events without an amplitude)
    live = np.flatnonzero(fin & (a_ev != 0))
    with np.errstate(under="ignore"):
        tails = _tails(p, grid.z[0] - ell0[live], math.exp(grid.z[0]), grid.h, derivs=derivs)

    def spread(t):
        full = np.zeros(st.size)
        full[live] = t * a_ev[live]
        return full

    T0, T1 = (spread(t) for t in tails[:2])
    S_ev = ev.S[st]
    start = np.where(st > 0, ev.S[st - 1], 0.0) if own else S_ev  # Delta_{k,t} = S_t - start_k
    if derivs:
        dT0_l, dT0_p, dT1_l, dT1_p = (spread(t) for t in tails[2:])
        t0 = np.stack([T0, dT0_l, dT0_p, dT0_l * dell_ev])
        t1 = np.stack([T1, dT1_l, dT1_p, dT1_l * dell_ev])
    else:
        t0, t1 = T0[None, :], T1[None, :]
    out += _lumped_tails(t0, t1, start, S_ev, is_obs, bool(own))
    return out


@numba.njit(cache=True)
def _lumped_tails(t0, t1, start, S, is_obs, own):
    """Running sums ``sum_{k<=t} t0_k - S_t sum t1_k + sum t1_k start_k`` at the wanted events.

    One pass for every row instead of three ``np.cumsum`` per row (a sequential loop too, so
    the same numbers; no fastmath here, which could fuse the products into the sums).
    Without ``own`` the ``k = t`` term (``Delta = 0``) is dropped: it contributes ``t0_t``.
    """
    nr, ne = t0.shape
    out = np.empty((nr, count_true(is_obs)))
    for m in range(nr):
        c0 = 0.0
        c1 = 0.0
        c2 = 0.0
        o = 0
        for i in range(ne):
            c0 = c0 + t0[m, i]
            c1 = c1 + t1[m, i]
            c2 = c2 + t1[m, i] * start[i]
            if is_obs[i]:
                val = c0 - S[i] * c1 + c2
                if not own:
                    val = val - t0[m, i]
                out[m, o] = val
                o += 1
    return out


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
    ell = math.log(scale) + logw
    if own:
        return weighted_sums(eta, amp, ell, obs, grid, p, derivs=False)[0]
    if np.any(logw != 0):  # per-step scales: the weighted recursion, k < t, plus the k = t term
        P = weighted_sums(eta, amp, ell, obs, grid, p, derivs=False, own=False)[0]
        return P + np.where(np.isfinite(ell[obs]), amp[obs], 0.0)
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
