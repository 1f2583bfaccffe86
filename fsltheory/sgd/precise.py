"""High-precision (mpmath) replay of the simulator, for tiny models.

It consumes exactly the same standard normals as the float64 kernels (same per-run
state, same order: for each step, ``B_k`` rows of ``n + 1`` normals), but does every
multiplication and sum in mpmath at ``dps`` digits and tracks the parameter ``v`` itself
rather than whitened coordinates.  Agreement with the float64 path on the same draws
therefore checks the float64 arithmetic (round-off accumulation) and the change of
variables used by the kernels.  Cost is about ``runs * sum(B_k) * M * N`` mpf operations:
keep it to a few runs, ``M <= 8`` and a few thousand steps.
"""

from __future__ import annotations

import mpmath
import numpy as np

from fsltheory.sgd.normal import ZIG_F, ZIG_R, ZIG_X, fill_normals

__all__ = ["precise_run"]


def precise_run(model, W, lrs, bsz, slot, n_rec, state: np.ndarray, dps: int, stop_at: float):
    """One SGD run in mpmath, drawing from the xoshiro state ``state`` (advanced in place).

    Returns ``(risk, k_fail)``: the recorded excess risks as float64, and ``-1`` or the
    first step whose residual exceeded ``stop_at`` in absolute value.
    """
    out = np.empty(n_rec)
    with mpmath.workdps(dps):
        mpf = mpmath.mpf
        beta = mpf(model.beta)
        expo = (1 + mpf(model.s) * beta - beta) / 2
        sigma2 = mpf(model.sigma2)
        if W is None:  # top-M: features 1..M trained, tail + noise one Gaussian scalar
            n_feat = model.M
            lam = [mpf(j) ** (-beta) for j in range(1, n_feat + 1)]
            theta = [mpf(j) ** (-expo) for j in range(1, n_feat + 1)]
            tail = mpf(model.tail_error())
            c = mpmath.sqrt(tail + sigma2)
            A = None
        else:  # random-M: all N features, W phi computed in full
            n_feat = W.shape[1]
            lam = [mpf(j) ** (-beta) for j in range(1, n_feat + 1)]
            theta = [mpf(j) ** (-expo) for j in range(1, n_feat + 1)]
            tail = mpf(0)
            c = mpmath.sqrt(sigma2)
            A = [[mpf(float(x)) for x in row] for row in W]
        sq = [mpmath.sqrt(x) for x in lam]
        M = model.M
        v = [mpf(0)] * M

        def error():
            """``W^T v - theta*`` on the features that carry ``H``."""
            if A is None:
                return [v[j] - theta[j] for j in range(M)]
            return [mpmath.fsum(A[i][j] * v[i] for i in range(M)) - theta[j] for j in range(n_feat)]

        def risk(u):
            return (mpmath.fsum(lam[j] * u[j] ** 2 for j in range(n_feat)) + tail) / 2

        K = lrs.size
        for k in range(K + 1):
            u = error()
            if slot[k] >= 0:
                out[slot[k]] = float(risk(u))
            if k == K:
                break
            B = int(bsz[k])
            z = np.empty((B, n_feat + 1))
            fill_normals(state, z, ZIG_X, ZIG_F, ZIG_R)
            grad = [mpf(0)] * n_feat  # sum_b r_b phi_b
            for b in range(B):
                phi = [sq[j] * mpf(float(z[b, j])) for j in range(n_feat)]
                r = mpmath.fdot(phi, u) - c * mpf(float(z[b, n_feat]))
                if not abs(r) < stop_at:
                    return out, k
                for j in range(n_feat):
                    grad[j] += r * phi[j]
            f = mpf(float(lrs[k])) / B
            if A is None:
                v = [v[j] - f * grad[j] for j in range(M)]
            else:
                v = [v[i] - f * mpmath.fdot(A[i], grad) for i in range(M)]
    return out, -1
