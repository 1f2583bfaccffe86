"""The momentum law of Tissue, Wang & Wang 2024 ("Scaling law with learning rate annealing"), reference §6.5.

.. math::
   L(t) = L_0 + A\\,S_1(t)^{-\\alpha} - C\\,S_2(t),\\qquad
   S_1(t) = \\sum_{\\tau \\le t} \\eta_\\tau,\\qquad
   S_2(t) = \\sum_{i=1}^{t} m_i,\\quad m_i = \\lambda\\, m_{i-1} + (\\eta_{i-1} - \\eta_i)^+ ,

five parameters ``(L0, A, alpha, C, lam)``: ``S_2`` is the "annealing area", a sum of
learning-rate decrements smoothed by a momentum with decay ``lam`` (0.99-0.999 in the paper,
fitted here).  Decrements are clipped at 0 (option ``clip``) so the warmup ramp does not count
as negative annealing.  One pass, O(K), with ``d S_2 / d lam`` from the differentiated recursion.
"""

from __future__ import annotations

import math

import numpy as np

from fsltheory.surrogate.law import SurrogateLaw, _register

__all__ = ["MomentumLaw"]


class _Prep:
    __slots__ = ("eta", "obs", "S", "d")


@_register
class MomentumLaw(SurrogateLaw):
    """The momentum law (Tissue et al. 2024): ``L0 + A S1^-alpha - C S2``.

    Options
    -------
    clip : bool
        Clip negative decrements (warmup increments) to 0 (default ``True``).
    """

    name = "momentum"
    title = "momentum law (Tissue et al. 2024)"
    param_names = ("L0", "A", "alpha", "C", "lam")
    transforms = ("lin", "log", "lin", "log", "log1m")
    option_defaults = {"clip": True}

    def _decrements(self, eta):
        d = np.zeros_like(eta)
        d[1:] = eta[:-1] - eta[1:]
        return np.maximum(d, 0.0) if self.options["clip"] else d

    def _prepare(self, lrs, obs, *, for_fit: bool = False, expand: bool = True):
        p = _Prep()
        p.eta = np.asarray(lrs, dtype=float)
        p.obs = np.asarray(obs, dtype=np.int64)
        last = int(p.obs[-1])
        p.S = np.cumsum(p.eta)[p.obs]
        p.d = self._decrements(p.eta[: last + 1])
        return p

    def _evaluate(self, p, theta, jac=False):
        from scipy.signal import lfilter

        L0, A, alpha, C, lam = (float(x) for x in theta)
        m = lfilter([1.0], [1.0, -lam], p.d)
        S2 = np.cumsum(m)[p.obs]
        pw = p.S ** (-alpha)
        pred = L0 + A * pw - C * S2
        if not jac:
            return pred, None
        # dm_i/dlam = m_{i-1} + lam dm_{i-1}/dlam
        mprev = np.concatenate([[0.0], m[:-1]])
        dm = lfilter([1.0], [1.0, -lam], mprev)
        dS2 = np.cumsum(dm)[p.obs]
        J = np.empty((p.obs.size, 5))
        J[:, 0] = 1.0
        J[:, 1] = pw
        J[:, 2] = -A * pw * np.log(p.S)
        J[:, 3] = -S2
        J[:, 4] = -C * dS2
        return pred, J

    def default_bounds(self, curves):
        ymin = min(float(c.loss.min()) for c in curves)
        lo = np.array([0.0, 1e-4, 0.01, 1e-6, 0.5])
        hi = np.array([ymin, 1e2, 3.0, 1e6, 1.0 - 1e-6])
        return lo, hi

    # linear parameters given (alpha, lam): pred = L0 + A S^-alpha - C S2
    def sample_nonlinear(self, curves, n, rng):
        out = [{"alpha": 0.5, "lam": 0.999}]
        for _ in range(n - 1):
            out.append({"alpha": rng.uniform(0.1, 1.2), "lam": 1.0 - 10.0 ** rng.uniform(-4, -1.5)})
        return out

    #: nonlinear parameters (alpha, lam)
    n_nonlinear = 2

    def nonlinear_from_unit(self, curves, U):
        """Map ``[0, 1)^2`` to ``(alpha, lam)`` (the box of :meth:`sample_nonlinear`)."""
        return [
            {"alpha": 0.1 + 1.1 * u[0], "lam": 1.0 - 10.0 ** (-4 + 2.5 * u[1])}
            for u in np.asarray(U, dtype=float)
        ]

    def design(self, p, phi):
        """Columns ``B`` with ``pred = B @ (L0, A, C)``."""
        from scipy.signal import lfilter

        S2 = np.cumsum(lfilter([1.0], [1.0, -phi["lam"]], p.d))[p.obs]
        pw = p.S ** (-phi["alpha"])
        return np.column_stack([np.ones_like(pw), pw, -S2])

    def linear_params(self, theta):
        """``(L0, A, C)``: the coefficients of :meth:`design`'s columns."""
        return np.array([theta[0], theta[1], theta[3]])

    def assemble(self, lin, phi, bounds):
        L0, A, C = lin
        lo = bounds[0]
        return np.array([L0, max(A, lo[1]), phi["alpha"], max(C, lo[3]), phi["lam"]])

    def initial_guesses(self, curves, n, rng):
        ymin = min(float(c.loss.min()) for c in curves)
        peak = max(float(c.lrs.max()) for c in curves)
        out = []
        for i in range(n):
            lam = 0.999 if i == 0 else 1.0 - 10.0 ** rng.uniform(-4, -1.5)
            C = 0.1 * (1 - lam) / peak * (1.0 if i == 0 else np.exp(rng.uniform(-2, 2)))
            out.append(
                np.array(
                    [
                        ymin - (0.3 if i == 0 else rng.uniform(0.05, 1.0)),
                        0.5 if i == 0 else np.exp(rng.uniform(-2, 1)),
                        0.5 if i == 0 else rng.uniform(0.2, 1.0),
                        C,
                        lam,
                    ]
                )
            )
        return out

    def _final_loss(self, lrs, *, grad: bool = False):
        """``L(K-1)`` and its gradient in O(K): ``S_2 = sum_j d_j (1 - lam^{K-j}) / (1 - lam)``."""
        L0, A, alpha, C, lam = (float(x) for x in self.theta)
        eta = np.asarray(lrs, dtype=float)
        K = eta.size
        if not 0.0 < lam <= 1.0:
            raise ValueError(f"lam={lam!r} is invalid: expected lam in (0, 1]")
        S = math.fsum(eta)
        if not S > 0.0:
            # S^-alpha: the law's power term is undefined before any learning happens
            raise ValueError(f"lrs sum to {S!r}: expected a positive total learning rate")
        raw = np.zeros(K)
        raw[1:] = eta[:-1] - eta[1:]
        mask = raw >= 0 if self.options["clip"] else np.ones(K, dtype=bool)
        d = np.where(mask, raw, 0.0)
        j = np.arange(K)
        if lam == 1.0:  # the geometric sum's limit; the closed form would be 0/0
            e = (K - j).astype(float)
        else:
            e = -np.expm1((K - j) * np.log(lam)) / (1.0 - lam)  # sum_{i=j}^{K-1} lam^{i-j}
        L = L0 + A * S ** (-alpha) - C * float(np.sum(d * e))
        if not grad:
            return L
        em = np.where(mask, e, 0.0)
        em[0] = 0.0
        t = np.zeros(K)
        t[1:] -= em[1:]
        t[:-1] += em[1:]
        dL = -alpha * A * S ** (-alpha - 1) - C * t
        return L, dL
