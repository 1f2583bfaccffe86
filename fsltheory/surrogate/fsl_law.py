"""The practical FSL ansatz as a loss-curve law (reference §6.2, paper eq. 30 and Appendix B.2).

.. math::
   \\mathcal L_\\Theta(t) = L_0 + \\frac{c_1}{T(t)^s}
   - c_2 \\sum_{k \\le t} (\\eta_{k-1}-\\eta_k)^+ \\Big(c_3 + \\frac1{T(k)^s}\\Big)
     \\Big(1 - \\big(1 + c_4 (T(t) - T(k))\\big)^{-\\gamma}\\Big),
   \\qquad T(t) = \\sum_{\\tau \\le t} \\eta_\\tau,

seven parameters ``Theta = (L0, c1, c2, c3, c4, s, gamma)``.  ``T`` counts the warmup's
learning-rate area (the loss at step ``t`` has seen all of it).

Choices, and why
----------------
* **Clipped decrements** ``(eta_{k-1} - eta_k)^+`` (option ``clip=True``, the default): the
  derivation (Step 2 of §6.2) splits ``phi(u) = phi(0) + int phi'`` for a *decaying*
  schedule; a warmup ramp is not a decay, and unclipped it would enter as a negative
  "loss drop" of size ``c2 c3 eta_peak`` that the constant ``L0`` must then absorb.  The
  paper fits post-warmup only and does not say; a third-party reimplementation clips.
* **Where the noise level is read** (option ``xi``).  Step 3 of §6.2 pulls
  ``sigma^2 + e(t)`` out of ``int_{T(i)}^{T(k)} K(T(k) - t) (sigma^2 + e(t)) dt`` at a
  mean-value point ``xi_i in [T(i), T(k)]`` and takes ``xi_i = T(i)`` (``xi="start"``: weight
  ``c3 + T(i)^-s`` inside the sum, as printed).  The forgetting kernel ``K(T(k) - t)`` is
  largest at ``t = T(k)`` and decays as a power, so the integral is dominated by recent
  times and ``xi_i = T(k)`` is the better point when ``T(k) - T(i)`` is large; both agree when
  it is small.  ``xi="end"`` (the default) uses it: the weight ``c3 + T(k)^-s`` leaves the
  sum, one kernel sum remains (about 5x faster to fit), and ``c2, c3`` stop trading off
  (with ``xi="start"`` fits often push ``c3`` to its bound).  On the multi-power-law data
  ``"end"`` predicts as well or better (README table); both are kept.
* The same ``s`` in the signal term and in the LRD weight, ``gamma`` free (theory:
  ``gamma = 1 - 1/beta``), as the paper fits.
* The ``k = t`` term is zero (``T(t) - T(t) = 0``) and is left out exactly.

Evaluation is O(K q) (see :mod:`fsltheory.surrogate._decrement_sums`): the mixing weights of the
kernel ``(1 + c4 x)^-gamma`` do not depend on ``k``, so the decayed sums of the
decrements are parameter-free and cached per curve; the ``T(k)^-s`` factor is expanded in
Chebyshev polynomials of ``log T(k)``, so that all ``s``-dependence is in a few coefficients
and each evaluation during a fit costs only small matrix products.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import chebyshev as npcheb

from fsltheory._util.validate import check_choice
from fsltheory.surrogate._decrement_sums import (
    Events,
    contracted_sums,
    decayed_sums,
    grid_eps,
    grid_step,
    grid_window,
    mixture_weights,
    rate_grid,
    weighted_sums,
)
from fsltheory.surrogate._expanded_sums import ExpandedSums
from fsltheory.surrogate.law import SurrogateLaw, _register

__all__ = ["FSLLaw"]

#: largest ``s`` the Chebyshev expansion is sized for (also the fit's upper bound)
_S_MAX = 3.0
#: target accuracy of the Chebyshev expansion of T^-s, relative to its largest value
_CHEB_TOL = 1e-13


def _cheb_degree(width: float, s_max: float = _S_MAX) -> int:
    """Degree at which the Chebyshev coefficients of ``exp(-s x)`` on an interval of this width fall below tolerance."""
    half = 0.5 * max(width, 1e-12)
    for n in range(4, 200, 2):
        c = npcheb.chebinterpolate(lambda u: np.exp(-s_max * half * u), n + 8)
        if np.all(np.abs(c[n:]) < _CHEB_TOL * np.abs(c).max()):
            return n
    return 200


class _Prep:
    __slots__ = (
        "eta",
        "obs",
        "S",
        "Sk",
        "d",
        "active",
        "A1",
        "B1",
        "H1",
        "HB",
        "CA",
        "CB",
        "xa",
        "xb",
        "grid",
        "deg",
        "events",
        "cache",
        "u",
    )


def _before(a, obs):
    """``A = sum_{k<t} a_k`` at the steps ``obs`` (rows of a 2-d ``a`` alike)."""
    return np.cumsum(a, axis=-1)[..., obs] - a[..., obs]


def _below(a, S, obs):
    """``A = sum_{k<t} a_k`` and ``B = sum_{k<t} a_k (S_t - S_k)`` at the steps ``obs``, for
    one amplitude row ``a`` or every row of a 2-d ``a``."""
    at = a[..., obs]
    ca = _before(a, obs)
    cs = np.cumsum(a * S, axis=-1)[..., obs] - at * S[obs]
    return ca, S[obs] * ca - cs


def _check_area(S, active):
    if np.any(S[active] <= 0):
        raise ValueError("the FSL law needs a positive learning-rate area T(k) at every decrement")


@_register
class FSLLaw(SurrogateLaw):
    """The FSL ansatz of §6.2 as a fit-and-predict law (7 parameters).

    Options
    -------
    clip : bool
        Use ``max(eta_{k-1} - eta_k, 0)`` (default ``True``; see the module docstring).
    xi : {"end", "start"}
        Read the LRD weight ``c3 + T^-s`` at the current step (default) or at each
        decrement (the paper's printed form).
    zeta : bool
        Add an 8th parameter ``zeta``: the kernel's time is rescaled per decrement,
        ``1 - (1 + c4 eta_k^-zeta (T(t) - T(k)))^-gamma`` (default ``False``; needs
        ``xi="end"``).  ``zeta = 0`` is the FSL's intrinsic time; the multi-power law's
        ``eta_k^-gamma`` scaling is the same device.  Not in the paper: an empirical
        extension for adaptive optimisers, reported separately in the README tables.

    Examples
    --------
    >>> import numpy as np
    >>> law = FSLLaw(dict(L0=2.8, c1=1.2, c2=1.5, c3=175.0, c4=0.6, s=1.15, gamma=1.36))
    >>> lrs = np.r_[np.linspace(1e-5, 1e-3, 100), np.full(900, 1e-3)]
    >>> float(law.predict(lrs, at=[999])[0]) > 2.8
    True
    """

    name = "fsl"
    title = "FSL ansatz (Li et al. 2025, eq. 30)"
    param_names = ("L0", "c1", "c2", "c3", "c4", "s", "gamma")
    # c3 is fitted through log(c2 c3) (see fsltheory.surrogate.fsl_lr, "Fit coordinates"): the
    # data fix the drop amplitude c2 c3, and the MPL limit c3 -> oo is then the face c2 = lower
    transforms = ("lin", "log", "log", "logprod:2", "log", "lin", "lin")
    option_defaults = {"clip": True, "xi": "end", "zeta": False}
    #: what :meth:`_prepare` fills (a subclass that prepares more extends its slots)
    _prep_class = _Prep

    def __init__(self, params=None, **options):
        if options.get("zeta"):
            self.param_names = (*FSLLaw.param_names, "zeta")
            self.transforms = (*FSLLaw.transforms, "lin")
            if options.get("xi", "end") != "end":
                raise ValueError("zeta=True needs xi='end'")
        super().__init__(params, **options)
        check_choice("xi", self.options["xi"], ("start", "end"))

    @property
    def requires_positive_lr(self) -> bool:
        """``eta_k^-zeta`` diverges at a zero learning rate (schedule optimisation floors it)."""
        return bool(self.options["zeta"])

    def _decrements(self, eta):
        d = np.zeros_like(eta)
        d[1:] = eta[:-1] - eta[1:]
        return np.maximum(d, 0.0) if self.options["clip"] else d

    def _prepare(self, lrs, obs, *, for_fit: bool = False, expand: bool = True):
        p = self._prep_class()
        eta = np.ascontiguousarray(lrs, dtype=float)
        obs = np.ascontiguousarray(obs, dtype=np.int64)
        n = int(obs[-1]) + 1
        d = self._decrements(eta)[:n]
        S = np.cumsum(eta[:n])
        p.eta, p.obs, p.d, p.Sk = eta, obs, d, S
        p.S = S[obs]
        if self.options["zeta"]:  # B1 only enters the fixed-clock sums (1.5 ms at 72k steps)
            p.A1, p.B1 = _before(d, obs), None
        else:
            p.A1, p.B1 = _below(d, S, obs)
        # a fit's grid serves every gamma it tries; a prediction's only its own (as in the
        # one-pass route of _predict)
        own = not for_fit and self.params is not None
        power = self.params["gamma"] if own else None
        active = np.flatnonzero(d != 0)
        window = {}
        if own and active.size:  # per-term scales c4 eta_k^-zeta
            zeta = self.params["zeta"] if self.options["zeta"] else 0.0
            window = grid_window(power, math.log(self.params["c4"]), zeta, eta[active])
        p.grid = rate_grid(eta, obs, h=grid_step(power), eps=grid_eps(power), **window)
        p.active = active
        q = len(p.grid)
        if active.size == 0:
            p.H1 = np.zeros((q, obs.size))
            p.HB = np.zeros((1, q, obs.size))
            p.CA = p.CB = np.zeros((1, obs.size))
            p.xa, p.xb, p.deg = 0.0, 1.0, 0
            return p
        _check_area(S, active)
        if self.options["zeta"]:  # per-decrement scale: weighted recursion at every evaluation
            p.H1, p.HB, p.deg = None, None, 0
            p.xa, p.xb = 0.0, 1.0  # no expansion in T(k)
            if for_fit:  # the evaluations share the sums' parameter-free part
                p.cache = ExpandedSums(eta, d, obs, p.grid, own=False, expand=expand)
                return p
            with np.errstate(divide="ignore"):
                p.u = -np.log(eta[:n])  # l_k = log c4 + zeta u_k; +inf at a zero LR
            p.cache, p.events = None, Events(eta, d, obs)
            return p
        x = np.log(S[active])
        xa, xb = float(x.min()), float(x.max())
        if xb - xa < 1e-9:
            xa, xb = xa - 0.5, xb + 0.5
        p.xa, p.xb = xa, xb
        if self.options["xi"] == "end":  # one kernel sum, no T(k)^-s inside it
            p.H1 = decayed_sums(eta, d, obs, p.grid, own=False)[0]
            p.HB, p.deg = None, 0
            return p
        p.deg = _cheb_degree(xb - xa)
        xh = (2.0 * x - xa - xb) / (xb - xa)
        rows = np.zeros((p.deg + 2, n))
        rows[0] = d
        rows[1:, active] = d[active] * npcheb.chebvander(xh, p.deg).T
        sums = decayed_sums(eta, rows, obs, p.grid, own=False)
        p.H1, p.HB = sums[0], sums[1:]
        # the undecayed sums A, B of the same rows: then every s-dependent quantity of an
        # evaluation is a small product with the Chebyshev coefficients (no O(K) pass)
        p.CA, p.CB = _below(rows[1:], S, obs)
        return p

    def _cheb_parts(self, p, s, derivative=False):
        """``(H, A, B)`` of the amplitudes ``d_k T(k)^-s`` (or of their ``s``-derivative,
        ``-d_k log T(k) T(k)^-s``), from the Chebyshev rows cached by :meth:`_prepare`."""
        if not p.active.size:
            return np.zeros_like(p.H1), np.zeros(p.obs.size), np.zeros(p.obs.size)
        half, mid = 0.5 * (p.xb - p.xa), 0.5 * (p.xa + p.xb)
        if derivative:
            coef = npcheb.chebinterpolate(
                lambda u: -(mid + half * u) * np.exp(-s * (mid + half * u)), p.deg
            )
        else:
            coef = npcheb.chebinterpolate(lambda u: np.exp(-s * (mid + half * u)), p.deg)
        return np.tensordot(coef, p.HB, axes=(0, 0)), coef @ p.CA, coef @ p.CB

    def _predict(self, lrs, obs):
        """One evaluation without the fit-time cache: the LRD weight is folded into the
        decrements, ``a_k = d_k`` (``xi="end"``) or ``d_k (c3 + T(k)^-s)`` (``xi="start"``,
        exactly, where the fit expands ``T^-s`` in Chebyshev polynomials), and the kernel sum
        is contracted with the mixture weights in the recursion itself
        (:func:`contracted_sums`): O(K q) time and O(q) memory, where :meth:`_prepare` keeps
        ``(deg + 2) x q x n`` decayed sums for the fit to reuse."""
        if self.options["zeta"]:
            return super()._predict(lrs, obs)
        L0, c1, c2, c3, c4, s, gamma = (float(x) for x in self.theta)
        eta = np.ascontiguousarray(lrs, dtype=float)
        obs = np.ascontiguousarray(obs, dtype=np.int64)
        n = int(obs[-1]) + 1
        d = self._decrements(eta)[:n]
        S = np.cumsum(eta[:n])
        active = d != 0
        _check_area(S, active)
        end = self.options["xi"] == "end"
        a = d.copy()
        if not end:
            a[active] *= c3 + S[active] ** (-s)
        A, B = _below(a, S, obs)
        grid = rate_grid(
            eta, obs, h=grid_step(gamma), eps=grid_eps(gamma), **grid_window(gamma, math.log(c4))
        )
        W, T0, T1 = mixture_weights(grid, math.log(c4), gamma)
        P = contracted_sums(eta, a, obs, grid, W) + T0 * A - T1 * B
        pw = S[obs] ** (-s)
        drop = A - P
        return L0 + c1 * pw - c2 * ((c3 + pw) * drop if end else drop)

    def _zeta_sums(self, p, c4, gamma, zeta, derivs):
        """``sum_{k<t} d_k (1 + c4 eta_k^-zeta Delta)^-gamma`` and derivatives (log c4, gamma, zeta)."""
        if p.active.size == 0:
            return np.zeros((4 if derivs else 1, p.obs.size))
        if p.cache is not None:
            return p.cache(gamma, logc=math.log(c4), g=zeta, derivs=derivs)
        return weighted_sums(
            p.eta,
            p.d,
            p.u,
            p.obs,
            p.grid,
            gamma,
            logc=math.log(c4),
            g=zeta,
            events=p.events,
            derivs=derivs,
            own=False,
        )

    def _evaluate_zeta(self, p, theta, jac):
        L0, c1, c2, c3, c4, s, gamma, zeta = (float(x) for x in theta)
        sums = self._zeta_sums(p, c4, gamma, zeta, jac)
        pw = p.S ** (-s)
        drop1 = p.A1 - sums[0]
        pred = L0 + c1 * pw - c2 * (c3 + pw) * drop1
        if not jac:
            return pred, None
        J = np.empty((p.obs.size, 8))
        J[:, 0] = 1.0
        J[:, 1] = pw
        J[:, 2] = -(c3 + pw) * drop1
        J[:, 3] = -c2 * drop1
        J[:, 4] = c2 * (c3 + pw) * sums[1] / c4
        J[:, 5] = -np.log(p.S) * pw * (c1 - c2 * drop1)
        J[:, 6] = c2 * (c3 + pw) * sums[2]
        J[:, 7] = c2 * (c3 + pw) * sums[3]
        return pred, J

    def _evaluate(self, p, theta, jac=False):
        if self.options["zeta"]:
            return self._evaluate_zeta(p, theta, jac)
        L0, c1, c2, c3, c4, s, gamma = (float(x) for x in theta)
        mw = mixture_weights(p.grid, math.log(c4), gamma, derivs=jac)
        W, T0, T1 = mw[:3]
        if self.options["xi"] == "end":
            return self._evaluate_end(p, theta, mw, jac)
        H2, A2, B2 = self._cheb_parts(p, s)
        P1 = W @ p.H1 + T0 * p.A1 - T1 * p.B1
        P2 = W @ H2 + T0 * A2 - T1 * B2
        pw = p.S ** (-s)
        drop1, drop2 = p.A1 - P1, A2 - P2
        lrd = c2 * (c3 * drop1 + drop2)
        pred = L0 + c1 * pw - lrd
        if not jac:
            return pred, None
        Wl, Wg, T0l, T0g, T1l, T1g = mw[3:]
        H3, dA2, dB2 = self._cheb_parts(p, s, derivative=True)
        P3 = W @ H3 + T0 * dA2 - T1 * dB2
        dP1c = Wl @ p.H1 + T0l * p.A1 - T1l * p.B1
        dP2c = Wl @ H2 + T0l * A2 - T1l * B2
        dP1g = Wg @ p.H1 + T0g * p.A1 - T1g * p.B1
        dP2g = Wg @ H2 + T0g * A2 - T1g * B2
        J = np.empty((p.obs.size, 7))
        J[:, 0] = 1.0
        J[:, 1] = pw
        J[:, 2] = -(c3 * drop1 + drop2)
        J[:, 3] = -c2 * drop1
        J[:, 4] = c2 * (c3 * dP1c + dP2c) / c4
        J[:, 5] = -c1 * np.log(p.S) * pw - c2 * (dA2 - P3)
        J[:, 6] = c2 * (c3 * dP1g + dP2g)
        return pred, J

    def _evaluate_end(self, p, theta, mw, jac):
        """``xi = end``: the LRD weight ``c3 + T(t)^-s`` at the current step (one kernel sum)."""
        L0, c1, c2, c3, c4, s, gamma = (float(x) for x in theta)
        W, T0, T1 = mw[:3]
        P1 = W @ p.H1 + T0 * p.A1 - T1 * p.B1
        pw = p.S ** (-s)
        drop1 = p.A1 - P1
        pred = L0 + c1 * pw - c2 * (c3 + pw) * drop1
        if not jac:
            return pred, None
        Wl, Wg, T0l, T0g, T1l, T1g = mw[3:]
        dP1c = Wl @ p.H1 + T0l * p.A1 - T1l * p.B1
        dP1g = Wg @ p.H1 + T0g * p.A1 - T1g * p.B1
        J = np.empty((p.obs.size, 7))
        J[:, 0] = 1.0
        J[:, 1] = pw
        J[:, 2] = -(c3 + pw) * drop1
        J[:, 3] = -c2 * drop1
        J[:, 4] = c2 * (c3 + pw) * dP1c / c4
        J[:, 5] = -np.log(p.S) * pw * (c1 - c2 * drop1)
        J[:, 6] = c2 * (c3 + pw) * dP1g
        return pred, J

    # ------------------------------------------------------------------ fitting
    def default_bounds(self, curves):
        ymin = min(float(c.loss.min()) for c in curves)
        lo = np.array([0.0, 1e-6, 1e-4, 1e-4, 1e-4, 0.01, 0.02])
        hi = np.array([ymin, 1e3, 1e4, 1e6, 1e5, _S_MAX, 3.0])
        if self.options["zeta"]:
            lo, hi = np.r_[lo, 0.0], np.r_[hi, 1.5]
            lo[4], hi[4] = 1e-8, 1e8  # c4 now multiplies eta^-zeta
        return lo, hi

    # linear parameters given (s, c4, gamma): pred = L0 + c1 T^-s - a drop1 - b drop2
    def sample_nonlinear(self, curves, n, rng):
        peak = max(float(c.lrs.max()) for c in curves)
        area = max(float(c.lr_area[-1]) for c in curves)
        lo, hi = math.log(0.1 / area), math.log(10.0 / peak)
        out = [{"s": 0.5, "c4": 0.03 / peak, "gamma": 0.6}]
        for _ in range(n - 1):
            out.append(
                {
                    "s": rng.uniform(0.05, 2.0),
                    "c4": math.exp(rng.uniform(lo, hi)),
                    "gamma": rng.uniform(0.1, 2.5),
                }
            )
        if self.options["zeta"]:  # same effective scale c4 eta^-zeta at the peak
            for i, phi in enumerate(out):
                phi["zeta"] = 0.6 if i == 0 else rng.uniform(0.0, 1.2)
                phi["c4"] *= peak ** phi["zeta"]
        return out

    @property
    def n_nonlinear(self) -> int:
        """Number of nonlinear parameters (``s, c4, gamma`` and ``zeta`` if fitted)."""
        return 4 if self.options["zeta"] else 3

    def nonlinear_from_unit(self, curves, U):
        """Map points of ``[0, 1)^n_nonlinear`` to nonlinear parameters (the random box of
        :meth:`sample_nonlinear`): used by the deterministic Sobol design of the fitter."""
        peak = max(float(c.lrs.max()) for c in curves)
        area = max(float(c.lr_area[-1]) for c in curves)
        lo, hi = math.log(0.1 / area), math.log(10.0 / peak)
        out = []
        for u in np.asarray(U, dtype=float):
            phi = {
                "s": 0.05 + 1.95 * u[0],
                "c4": math.exp(lo + (hi - lo) * u[1]),
                "gamma": 0.1 + 2.4 * u[2],
            }
            if self.options["zeta"]:  # same effective scale c4 eta^-zeta at the peak
                phi["zeta"] = 1.2 * u[3]
                phi["c4"] *= peak ** phi["zeta"]
            out.append(phi)
        return out

    def design(self, p, phi):
        """Columns ``B`` with ``pred = B @ (L0, c1, a, b)``, ``a = c2 c3``, ``b = c2``."""
        s, c4, gamma = phi["s"], phi["c4"], phi["gamma"]
        if self.options["zeta"]:
            pw = p.S ** (-s)
            drop1 = p.A1 - self._zeta_sums(p, c4, gamma, phi["zeta"], False)[0]
            return np.column_stack([np.ones_like(pw), pw, -drop1, -pw * drop1])
        W, T0, T1 = mixture_weights(p.grid, math.log(c4), gamma)
        P1 = W @ p.H1 + T0 * p.A1 - T1 * p.B1
        pw = p.S ** (-s)
        drop1 = p.A1 - P1
        if self.options["xi"] == "end":
            drop2 = pw * drop1
        else:
            H2, A2, B2 = self._cheb_parts(p, s)
            drop2 = A2 - (W @ H2 + T0 * A2 - T1 * B2)
        return np.column_stack([np.ones_like(pw), pw, -drop1, -drop2])

    def linear_params(self, theta):
        """``(L0, c1, c2 c3, c2)``: the coefficients of :meth:`design`'s columns."""
        return np.array([theta[0], theta[1], theta[2] * theta[3], theta[2]])

    def assemble(self, lin, phi, bounds):
        L0, c1, a, b = lin
        lo, hi = bounds
        c2 = min(max(b, lo[2]), hi[2])
        c3 = a / c2  # into the box by the caller (fitting.clip_to_box bounds c2 c3)
        th = [L0, max(c1, lo[1]), c2, c3, phi["c4"], phi["s"], phi["gamma"]]
        return np.array(th + ([phi["zeta"]] if self.options["zeta"] else []))

    def initial_guesses(self, curves, n, rng):
        ymin = min(float(c.loss.min()) for c in curves)
        peak = max(float(c.lrs.max()) for c in curves)
        c0 = max(curves, key=lambda c: c.loss.size)
        S0, y0 = float(c0.lr_area[0]), float(c0.loss[0])
        out = []
        for i in range(n):
            L0 = ymin - (0.3 if i == 0 else rng.uniform(0.05, 1.0))
            s = 0.5 if i == 0 else rng.uniform(0.2, 1.5)
            c1 = max(y0 - L0, 1e-3) * S0**s
            c2 = 1.0 if i == 0 else math.exp(rng.uniform(-3, 3))
            c3 = 0.1 / (c2 * peak) if i == 0 else math.exp(rng.uniform(-3, 3)) / (c2 * peak)
            c4 = 0.03 / peak * (1.0 if i == 0 else math.exp(rng.uniform(-2.5, 2.5)))
            gamma = 0.6 if i == 0 else rng.uniform(0.2, 1.5)
            th = [L0, c1, c2, c3, c4, s, gamma]
            if self.options["zeta"]:
                th[4] *= peak**0.6
                th.append(0.6)
            out.append(np.array(th))
        return out

    # ------------------------------------------------------------------ final loss
    def _final_loss(self, lrs, *, grad: bool = False):
        """``L(K-1)`` and ``dL/d eta_m`` for every ``m``, in O(K)."""
        th = [float(x) for x in self.theta]
        L0, c1, c2, c3, c4, s, gamma = th[:7]
        zeta = th[7] if self.options["zeta"] else 0.0
        eta = np.asarray(lrs, dtype=float)
        K = eta.size
        Tk = np.cumsum(eta)
        T = float(Tk[-1])
        raw = np.zeros(K)
        raw[1:] = eta[:-1] - eta[1:]
        if self.options["clip"]:
            mask = raw >= 0
            d = np.where(mask, raw, 0.0)
        else:
            mask = np.ones(K, dtype=bool)
            d = raw
        act = d != 0
        _check_area(Tk, act)
        end = self.options["xi"] == "end"
        v = np.zeros(K)
        v[act] = c3 + (T if end else Tk[act]) ** (-s)
        delta = T - Tk  # T(K-1) - T(k)
        scale = np.full(K, c4)
        if zeta:
            if np.any(eta[act] <= 0):
                raise ValueError("FSL with zeta needs a positive learning rate at every decrement")
            scale[act] = c4 * eta[act] ** (-zeta)
        lg = np.log1p(scale * delta)
        g = -np.expm1(-gamma * lg)  # 1 - (1 + c4 delta)^-gamma
        L = L0 + c1 * T ** (-s) - c2 * float(np.sum(d * v * g))
        if not grad:
            return L
        if end:
            vT = c3 + T ** (-s)
            gm = np.where(mask, g, 0.0)
            ta = np.zeros(K)
            ta[1:] -= gm[1:]
            ta[:-1] += gm[1:]
            q = gamma * np.exp(-(gamma + 1) * lg)  # dg/dx at x = scale * delta
            wc = d * q * scale
            tc = np.concatenate([[0.0], np.cumsum(wc)[:-1]])
            own = np.zeros(K)
            if zeta:  # through eta_m^-zeta in the m-th term's own scale
                own[act] = d[act] * q[act] * scale[act] * delta[act] * (-zeta / eta[act])
            dweight = -s * T ** (-s - 1) * float(np.sum(d * g))
            dL = -s * c1 * T ** (-s - 1) - c2 * (vT * (ta + tc + own) + dweight)
            return L, dL
        # (a) through the decrements
        vg = np.where(mask, v * g, 0.0)
        vg[~act & mask] = (c3 + np.where(Tk > 0, Tk, 1.0) ** (-s))[~act & mask] * g[~act & mask]
        ta = np.zeros(K)
        ta[1:] -= vg[1:]
        ta[:-1] += vg[1:]
        # (b) through T(k) in the weight: dT_k/d eta_m = [m <= k]
        wb = np.zeros(K)
        wb[act] = d[act] * g[act] * (-s) * Tk[act] ** (-s - 1)
        tb = np.cumsum(wb[::-1])[::-1]
        # (c) through T(K-1) - T(k): d/d eta_m = [m > k]
        wc = d * v * gamma * c4 * np.exp(-(gamma + 1) * lg)
        tc = np.concatenate([[0.0], np.cumsum(wc)[:-1]])
        dL = -s * c1 * T ** (-s - 1) - c2 * (ta + tb + tc)
        return L, dL
