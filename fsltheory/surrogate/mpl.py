"""The multi-power law (MPL) of Luo et al. 2025 (arXiv 2503.12811, ICLR 2025), reference §6.5.

.. math::
   L(t) = L_0 + A\\,S_1(t)^{-\\alpha} - B \\sum_{k=1}^{t} (\\eta_{k-1}-\\eta_k)\\,
   G\\big(\\eta_k^{-\\gamma} S_k(t)\\big),\\qquad G(x) = 1 - (C x + 1)^{-\\beta},

with ``S_1(t) = sum_{tau<=t} eta_tau`` (warmup area included, the ``S_1 + S_W`` of the paper)
and ``S_k(t) = sum_{tau=k}^{t} eta_tau``.  Seven parameters ``(L0, A, alpha, B, C, beta, gamma)``.
The FSL digest's transcription (reference §6.5) prints ``S_i = sum_{j<=i} eta_j`` inside
``G``; the original paper and code use the suffix sum ``S_k(t)``, as here.

Indices follow the official code exactly (checked by reproducing the published test metrics
to every printed digit from the published parameters): the sum runs over *every* step from
``k = 1``, warmup included, so the warmup's learning-rate *increments* enter with negative
sign (no clipping).  ``clip=True`` drops negative decrements instead.

The decrement sum is the Laplace-mixture recursion of
:mod:`fsltheory.surrogate._decrement_sums` with the per-step scale ``C eta_k^-gamma``; a fit
caches its parameter-free part once per curve (:mod:`fsltheory.surrogate._expanded_sums`).
"""

from __future__ import annotations

import math

import numpy as np

from fsltheory.surrogate._decrement_sums import (
    Events,
    grid_eps,
    grid_step,
    grid_window,
    rate_grid,
    weighted_sums,
)
from fsltheory.surrogate._expanded_sums import ExpandedSums
from fsltheory.surrogate.law import SurrogateLaw, _register

__all__ = ["MultiPowerLaw"]


class _Prep:
    __slots__ = ("eta", "obs", "S", "d", "u", "dcum", "grid", "events", "cache")


@_register
class MultiPowerLaw(SurrogateLaw):
    """The multi-power law (Luo et al. 2025): ``L0 + A S1^-alpha - LD(t)``.

    Options
    -------
    clip : bool
        Clip negative learning-rate decrements (warmup increments) to 0.  Default
        ``False``: the published parameters were fitted without clipping.

    Examples
    --------
    >>> from fsltheory.surrogate.datasets import MPL_PUBLISHED_PARAMS, load_mpl_curves
    >>> law = MultiPowerLaw(MPL_PUBLISHED_PARAMS[25])
    >>> c = load_mpl_curves(25, names=["cosine_24000"])["cosine_24000"]
    >>> round(float(law.predict(c)[-1]), 3)
    3.315
    """

    name = "mpl"
    title = "multi-power law (Luo et al. 2025)"
    param_names = ("L0", "A", "alpha", "B", "C", "beta", "gamma")
    transforms = ("lin", "log", "lin", "log", "log", "lin", "lin")
    option_defaults = {"clip": False}
    requires_positive_lr = True

    # ------------------------------------------------------------------ set-up
    def _prepare(self, lrs, obs, *, for_fit: bool = False, expand: bool = True):
        p = _Prep()
        eta = np.ascontiguousarray(lrs, dtype=float)
        obs = np.ascontiguousarray(obs, dtype=np.int64)
        d = np.zeros_like(eta)
        d[1:] = eta[:-1] - eta[1:]
        if self.options["clip"]:
            d = np.maximum(d, 0.0)
        p.eta, p.obs, p.d = eta, obs, d
        p.S = np.cumsum(eta)[obs]
        p.dcum = np.cumsum(d)[obs]
        # a fit's grid serves every beta it tries; a prediction's only its own
        beta = None if for_fit or self.params is None else self.params["beta"]
        window = {}
        if beta is not None:  # per-term scales C eta_k^-gamma
            live = d[: int(obs[-1]) + 1] != 0
            if live.any():
                rates = eta[: live.size][live]
                window = grid_window(beta, math.log(self.params["C"]), self.params["gamma"], rates)
        p.grid = rate_grid(eta, obs, h=grid_step(beta), eps=grid_eps(beta), **window)
        if for_fit:
            # a fit evaluates the sums hundreds of times on one curve: cache their
            # parameter-free part (ExpandedSums keeps its own log-scales)
            p.cache = ExpandedSums(eta, d, obs, p.grid, own=True, expand=expand)
            p.u = p.events = None
            return p
        # a prediction runs the recursion once
        with np.errstate(divide="ignore"):
            p.u = -np.log(eta)  # l_k = log C + gamma u_k; +inf at a zero learning rate
        p.cache, p.events = None, Events(eta, d, obs)
        return p

    @staticmethod
    def _sums(p, C, beta, gamma, derivs):
        """``sum_k d_k (1 + C eta_k^-gamma S_k(t))^-beta`` and its derivatives (log C, beta,
        gamma): the Laplace-mixture recursion with the per-step scale ``l_k = log C + gamma u_k``
        (from the fit-time cache where :meth:`_prepare` built one)."""
        if p.cache is not None:
            return p.cache(beta, logc=math.log(C), g=gamma, derivs=derivs)
        return weighted_sums(
            p.eta,
            p.d,
            p.u,
            p.obs,
            p.grid,
            beta,
            logc=math.log(C),
            g=gamma,
            events=p.events,
            derivs=derivs,
        )

    def _evaluate(self, p, theta, jac=False):
        L0, A, alpha, B, C, beta, gamma = (float(x) for x in theta)
        sums = self._sums(p, C, beta, gamma, jac)
        P = sums[0]
        pw = p.S ** (-alpha)
        drop = p.dcum - P
        pred = L0 + A * pw - B * drop
        if not jac:
            return pred, None
        J = np.empty((p.obs.size, 7))
        J[:, 0] = 1.0
        J[:, 1] = pw
        J[:, 2] = -A * pw * np.log(p.S)
        J[:, 3] = -drop
        J[:, 4] = B * sums[1] / C
        J[:, 5] = B * sums[2]
        J[:, 6] = B * sums[3]
        return pred, J

    # ------------------------------------------------------------------ fitting
    def default_bounds(self, curves):
        ymin = min(float(c.loss.min()) for c in curves)
        lo = np.array([0.0, 1e-4, 0.01, 1e-3, 1e-4, 0.02, 0.0])
        hi = np.array([ymin, 1e2, 3.0, 1e7, 1e4, 3.0, 1.5])
        return lo, hi

    # linear parameters given (alpha, C, beta, gamma): pred = L0 + A S^-alpha - B (D - P)
    def sample_nonlinear(self, curves, n, rng):
        out = [{"alpha": 0.5, "C": 2.0, "beta": 0.6, "gamma": 0.6}]
        for _ in range(n - 1):
            out.append(
                {
                    "alpha": rng.uniform(0.1, 1.2),
                    "C": math.exp(rng.uniform(math.log(0.05), math.log(50.0))),
                    "beta": rng.uniform(0.1, 2.0),
                    "gamma": rng.uniform(0.1, 1.2),
                }
            )
        return out

    #: nonlinear parameters (alpha, C, beta, gamma)
    n_nonlinear = 4

    def nonlinear_from_unit(self, curves, U):
        """Map ``[0, 1)^4`` to ``(alpha, C, beta, gamma)`` (the box of :meth:`sample_nonlinear`)."""
        lc0, lc1 = math.log(0.05), math.log(50.0)
        return [
            {
                "alpha": 0.1 + 1.1 * u[0],
                "C": math.exp(lc0 + (lc1 - lc0) * u[1]),
                "beta": 0.1 + 1.9 * u[2],
                "gamma": 0.1 + 1.1 * u[3],
            }
            for u in np.asarray(U, dtype=float)
        ]

    def design(self, p, phi):
        """Columns ``B`` with ``pred = B @ (L0, A, B)``."""
        P = self._sums(p, phi["C"], phi["beta"], phi["gamma"], False)[0]
        pw = p.S ** (-phi["alpha"])
        return np.column_stack([np.ones_like(pw), pw, -(p.dcum - P)])

    def linear_params(self, theta):
        """``(L0, A, B)``: the coefficients of :meth:`design`'s columns."""
        return np.array([theta[0], theta[1], theta[3]])

    def assemble(self, lin, phi, bounds):
        L0, A, B = lin
        lo = bounds[0]
        return np.array(
            [L0, max(A, lo[1]), phi["alpha"], max(B, lo[3]), phi["C"], phi["beta"], phi["gamma"]]
        )

    def initial_guesses(self, curves, n, rng):
        ymin = min(float(c.loss.min()) for c in curves)
        peak = max(float(c.lrs.max()) for c in curves)
        base = np.array([ymin - 0.3, 0.5, 0.5, 0.1 / peak, 2.0, 0.6, 0.6])
        out = [base]
        for _ in range(n - 1):
            f = np.exp(rng.uniform(-1.5, 1.5, size=7))
            g = base * np.array([1, f[1], 1, f[3], f[4], 1, 1])
            g[0] = ymin - rng.uniform(0.05, 1.0)
            g[2] = rng.uniform(0.2, 1.0)
            g[5] = rng.uniform(0.2, 1.5)
            g[6] = rng.uniform(0.2, 1.0)
            out.append(g)
        return out

    # ------------------------------------------------------------------ final loss
    def _final_loss(self, lrs, *, grad: bool = False):
        """``L(K-1)`` and ``dL/d eta_m`` for all ``m`` in O(K) (needs ``eta > 0`` after step 0)."""
        L0, A, alpha, B, C, beta, gamma = (float(x) for x in self.theta)
        eta = np.asarray(lrs, dtype=float)
        K = eta.size
        S = float(eta.sum())
        R = np.cumsum(eta[::-1])[::-1]  # R_k = sum_{tau >= k} eta_tau
        d = np.zeros(K)
        d[1:] = eta[:-1] - eta[1:]
        if self.options["clip"]:
            mask = d >= 0
            d = np.where(mask, d, 0.0)
        else:
            mask = np.ones(K, dtype=bool)
        k = np.arange(1, K)
        if np.any(eta[k] <= 0):
            raise ValueError("MPL final_loss needs positive learning rates after step 0")
        w = eta[k] ** (-gamma)
        y = C * w * R[k]
        g = np.zeros(K)
        g[k] = -np.expm1(-beta * np.log1p(y))  # 1 - (1 + y)^-beta
        L = L0 + A * S ** (-alpha) - B * float(np.sum(d * g))
        if not grad:
            return L
        q = np.zeros(K)
        q[k] = beta * np.exp(-(beta + 1) * np.log1p(y))  # dg/dy
        # through the decrements: d_m = eta_{m-1} - eta_m
        gm = np.where(mask, g, 0.0)
        t1 = np.zeros(K)
        t1[1:] -= gm[1:]
        t1[:-1] += gm[1:]
        # through w_m (only k = m) and R_k (all k <= m)
        own = np.zeros(K)
        own[k] = d[k] * q[k] * (-gamma * y / eta[k])
        pref = np.zeros(K)
        pref[k] = d[k] * q[k] * C * w
        t2 = own + np.cumsum(pref)
        dL = -alpha * A * S ** (-alpha - 1) - B * (t1 + t2)
        return L, dL
