"""Fit-time cache of the LR-weighted decrement sums: the weights expanded in ``log eta`` (issue #12).

The multi-power law and the ``fsl-lr`` law evaluate, at every step ``t`` of a fit,

.. math:: P(t) = \\sum_k a_k \\big(1 + e^{l_k}\\,\\Delta_{k,t}\\big)^{-p},
   \\qquad l_k = \\log c - g \\log \\eta_k ,

by the Laplace-mixture recursion of :mod:`fsltheory.surrogate._decrement_sums`:
``P(t) = sum_j sum_k a_k w_j(x_k) exp(-r_j Delta_{k,t})`` plus lumped tails, with
``x_k = log eta_k`` and the mixing weight (own-step decay included for ``own=True``)

.. math:: w_j(x) = h\\,\\phi_p(z_j - \\log c + g x)\\,e^{-r_j e^{x}\\,[\\mathrm{own}]}.

Because ``l_k`` moves with ``(c, g)``, the recursion computes ``q`` exponentials per step at
*every* evaluation: nearly all of an MPL or fsl-lr fit's time (1.7 of 2.0 s on the MPL
protocol).  But ``w_j`` is an entire function of ``x`` and, over the narrow range of learning
rates of a decay (``log eta`` spans ``log 10 = 2.3`` on the MPL cosine curves), a Chebyshev
interpolant of low degree reproduces it to rounding:

.. math:: w_j(x) \\approx \\sum_{n=0}^{N} c_{nj}(\\theta)\\,T_n(\\xi(x)),\\qquad
   P(t) \\approx \\sum_{n,j} c_{nj}(\\theta)\\,D_{nj}(t),\\qquad
   D_{nj}(t) = \\sum_k a_k\\,T_n(\\xi_k)\\,e^{-r_j \\Delta_{k,t}} .

``D`` does not depend on the parameters: it is computed once per curve (``N + 1`` amplitude
rows through :func:`~fsltheory.surrogate._decrement_sums.decayed_sums`), and each evaluation
costs ``q (N + 1)`` exponentials at the interpolation nodes and one matrix product.  The
lumped tails below the grid are smooth in ``x`` too; they are expanded the same way against
the undecayed sums ``A_n(t) = sum_k a_k T_n(xi_k)`` and ``B_n(t) = sum_k a_k T_n(xi_k) Delta_{k,t}``.

Steps whose ``x`` lies outside the interval (the start of a warmup, a decay to zero) stay on
the exact recursion, and the two parts are added.

**Accuracy is checked at every evaluation.**  The interpolant's error is bounded by the size
of its last coefficients (they decay geometrically for an entire function); where they exceed
``TOL`` times the weights' scale (an extreme corner of the parameter box, where the weight
sweeps across the whole Gamma density within the interval: ``c = 1e-4, p = 3, g = 1.5``), the
evaluation falls back to the exact recursion over every step.  With ``N = 48`` and
``TOL = 1e-13`` the expanded sums agree with the recursion to ``~2e-14`` of ``sum |a_k|`` on
the MPL curves; 350 random points of the MPL fit box (50 of them at ``p = 0.02, g = 1.5``,
where the Schaipp et al. fits end) never fall back on the 25M cosine curve, where ``N = 36``
fell back at 26 (and at a third of the Schaipp fits' evaluations).  The contraction stops at
the degree the weights need (the coefficients' sum from there up below ``TOL``): 27 near the
MPL protocol's optima, so the higher degree costs only its one-off rows and the exponentials
at the nodes.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.polynomial import chebyshev as npcheb
from scipy.special import digamma, gammaln

from fsltheory.surrogate._decrement_sums import (
    Events,
    RateGrid,
    _tail_constants,
    _tail_values,
    decayed_sums,
    weighted_sums,
)

__all__ = ["ExpandedSums", "DEGREE", "WIDTH", "TOL"]

#: degree of the Chebyshev interpolant in log eta (module docstring)
DEGREE = 48
#: widest log-eta interval expanded: one decade of learning rates and a margin
WIDTH = math.log(10.0) + 0.05
#: the interpolant is used only while its last two coefficients stay below TOL x scale
TOL = 1e-13
#: decay tables, expanded sums and their amplitude rows above this many entries are not
#: built (memory: 96 MB each)
_CACHE_MAX = 12_000_000
#: exact-recursion cost per (step, rate) over the expansion's per (row, rate, wanted step)
#: cost, both with derivatives: ~3.3 ns against ~0.3 ns measured (a blocked matrix product)
_COST_RATIO = 10.0


class ExpandedSums:
    """``weighted_sums(lrs, amp, -log(lrs), obs, grid, p, logc=, g=, own=)`` for many
    parameter sets on one curve: the steps with ``log eta`` in one interval through the
    Chebyshev expansion of their weights (module docstring), the others exactly.

    Parameters
    ----------
    lrs, amp, obs, grid, own
        As for :func:`~fsltheory.surrogate._decrement_sums.weighted_sums`, with the per-step
        log-scale ``u_k = -log eta_k`` (MPL's ``eta_k^-gamma``, fsl-lr's ``eta_k^-zeta``).
    expand : bool
        ``False``: no expansion (degree 0), the exact recursion with its decay table: the
        reference of ``fit(..., expand=False)``.
    degree : int, optional
        Chebyshev degree ``N`` (default :data:`DEGREE` if ``expand``, else 0).

    Attributes
    ----------
    n_expanded : int
        Steps summed through the expansion (0: the cache is the exact recursion with its
        decay table, where the expansion would not pay or would not fit in memory).
    fallbacks : int
        Evaluations that failed the accuracy check and ran exactly.
    xa, xb : float
        The ``log eta`` interval of the steps expanded (``nan`` where no step has a nonzero
        amplitude and a positive learning rate).
    """

    def __init__(
        self,
        lrs,
        amp,
        obs,
        grid: RateGrid,
        *,
        own: bool,
        expand: bool = True,
        degree: int | None = None,
    ):
        eta = np.ascontiguousarray(lrs, dtype=float)
        amp = np.ascontiguousarray(amp, dtype=float)
        obs = np.ascontiguousarray(obs, dtype=np.int64)
        n = int(obs[-1]) + 1
        self.eta, self.amp, self.obs, self.grid, self.own = eta, amp, obs, grid, bool(own)
        self.degree = int((DEGREE if expand else 0) if degree is None else degree)
        with np.errstate(divide="ignore"):
            self.u = -np.log(eta)  # +inf at a zero learning rate: the term vanishes
        self.fallbacks = 0
        self._full = None  # (events, table) of the exact recursion over every step
        q, nobs = len(grid), obs.size
        live = np.flatnonzero((amp[:n] != 0) & np.isfinite(self.u[:n]))
        inside = np.zeros(amp.size, dtype=bool)  # steps after the last wanted one stay out
        self.xa = self.xb = math.nan  # the interval expanded (none without a live step)
        if live.size:
            x = -self.u[live]
            xb = float(x.max())
            xa = max(float(x.min()), xb - WIDTH)
            if xb - xa < 1e-9:  # a single learning-rate level: any interval around it
                xa, xb = xa - 0.5, xb + 0.5
            self.xa, self.xb = xa, xb
            inside[live[(x >= xa) & (x <= xb)]] = True
        rows = self.degree + 1
        entries = rows * (q + 2) * nobs
        pays = inside.sum() * q * _COST_RATIO > entries
        fits = max(entries, rows * n) <= _CACHE_MAX  # D and the amplitude rows R below
        if not (self.degree > 0 and pays and fits):
            self.n_expanded = 0
            self._rest = self._exact_cache(amp)
            return
        self.n_expanded = int(inside.sum())
        k = np.flatnonzero(inside)
        xi = (2.0 * (-self.u[k]) - self.xa - self.xb) / (self.xb - self.xa)
        R = np.zeros((rows, n))  # k < n: inside is False beyond
        R[:, k] = amp[k] * npcheb.chebvander(xi, self.degree).T
        D = np.empty((rows, q + 2, nobs))
        D[:, :q] = decayed_sums(eta, R, obs, grid, own=own)
        D[:, q], D[:, q + 1] = _undecayed(R, np.cumsum(eta[:n]), obs, own)
        D[:, q + 1] *= -1.0  # the tail is T0 A - T1 B
        self._D = D.reshape(rows * (q + 2), nobs)
        nodes = np.cos(math.pi * (np.arange(rows) + 0.5) / rows)
        self._unodes = -(0.5 * (self.xa + self.xb) + 0.5 * (self.xb - self.xa) * nodes)
        # values at the nodes -> coefficients: c_n = (2 - [n = 0]) / (N + 1) sum_m f_m T_n(x_m)
        self._V = npcheb.chebvander(nodes, self.degree).T * (2.0 / rows)
        self._V[0] *= 0.5
        rest = np.where(inside, 0.0, amp)
        self._rest = self._exact_cache(rest) if np.any(rest[:n] != 0) else None

    def _exact_cache(self, amp):
        ev = Events(self.eta, amp, self.obs)
        table = None
        if ev.steps.size * len(self.grid) <= _CACHE_MAX:
            table = ev.decay_table(self.grid)
        return amp, ev, table

    def _exact(self, cache, p, logc, g, derivs):
        amp, ev, table = cache
        return weighted_sums(
            self.eta,
            amp,
            self.u,
            self.obs,
            self.grid,
            p,
            logc=logc,
            g=g,
            events=ev,
            table=table,
            derivs=derivs,
            own=self.own,
        )

    def __call__(self, p: float, *, logc: float, g: float, derivs: bool = True) -> np.ndarray:
        """Value and derivatives (``log c``, ``p``, ``g``) at the wanted steps, shape ``(4, n)``
        (``(1, n)`` without ``derivs``), as :func:`weighted_sums` returns them."""
        p, logc, g = float(p), float(logc), float(g)
        if self.n_expanded == 0:
            return self._exact(self._rest, p, logc, g, derivs)
        z, h = self.grid.z, self.grid.h
        law = (p, float(gammaln(p)), float(digamma(p)), h)
        tail = _tail_constants(p, float(z[0]), h)
        F = _node_values(self._unodes, z, logc, g, law, tail, self.own, derivs)
        coef = np.matmul(self._V, F)  # (nout, N + 1, q + 2)
        # |coefficients| summed from degree n up: the error of the interpolant truncated
        # below n (the last two stand for the unseen ones beyond N)
        beyond = np.cumsum(np.abs(coef).sum(axis=2)[:, ::-1], axis=1)[:, ::-1]
        scale = np.maximum(np.abs(F).sum(axis=2).max(axis=1), 1.0)
        small = np.all(beyond <= TOL * scale[:, None], axis=0)
        if not small[-2]:
            self.fallbacks += 1
            if self._full is None:
                self._full = self._exact_cache(self.amp)
            return self._exact(self._full, p, logc, g, derivs)
        # the contraction is most of an evaluation: stop at the degree the weights need
        # (14-20 near the MPL fits' optima, out of 28)
        n = int(np.argmax(small))
        cols = n * coef.shape[2]
        out = coef[:, :n].reshape(coef.shape[0], cols) @ self._D[:cols]
        if self._rest is not None:
            out += self._exact(self._rest, p, logc, g, derivs)
        return out


def _undecayed(R, S, obs, own):
    """``A_n(t) = sum_k R[n, k]`` and ``B_n(t) = sum_k R[n, k] (S_t - start_k)`` over the terms
    present at ``t`` (``k <= t``, ``start_k = S_{k-1}`` with ``own``; ``k < t``, ``start_k = S_k``
    without), the sums the lumped tails multiply."""
    start = np.concatenate(([0.0], S[:-1])) if own else S
    A = np.cumsum(R, axis=1)[:, obs]
    C = np.cumsum(R * start, axis=1)[:, obs]
    if not own:
        A -= R[:, obs]
        C -= R[:, obs] * S[obs]
    return A, S[obs] * A - C


@numba.njit(cache=True, error_model="numpy")
def _node_values(unodes, z, logc, g, law, tail, own, derivs):
    """The weights ``w_j`` and the tails ``(T0, T1)`` at the interpolation nodes, with their
    derivatives (``log c``, ``p``, ``g``): shape ``(nout, N + 1, q + 2)``, in the layout of
    :func:`fsltheory.surrogate._decrement_sums._add_term` and ``_tail_values``."""
    p, lgam, psi, h = law
    q = z.size
    nout = 4 if derivs else 1
    F = np.zeros((nout, unodes.size, q + 2))
    for m in range(unodes.size):
        u = unodes[m]
        ell = logc + g * u
        v = math.exp(-ell)
        eta = math.exp(-u) if own else 0.0
        for j in range(q):
            r = math.exp(z[j])
            y = z[j] - ell
            w = h * math.exp(p * y - r * (v + eta) - lgam)
            F[0, m, j] = w
            if derivs:
                dl = w * (r * v - p)
                F[1, m, j] = dl
                F[2, m, j] = w * (y - psi)
                F[3, m, j] = dl * u
        T0, T0l, T0p, T1, T1l, T1p = _tail_values(tail[0] - ell, tail[1] * v, law, tail, derivs)
        F[0, m, q] = T0
        F[0, m, q + 1] = T1
        if derivs:
            F[1, m, q], F[2, m, q], F[3, m, q] = T0l, T0p, T0l * u
            F[1, m, q + 1], F[2, m, q + 1], F[3, m, q + 1] = T1l, T1p, T1l * u
    return F
