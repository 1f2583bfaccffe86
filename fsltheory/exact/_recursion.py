"""The hot loop of the exact engine: the diagonal second-moment recursion (reference §8.1).

For per-mode risks ``r_i = lambda_i m_i`` the recursion of §8.1 reads

.. math:: r_i(k+1) = r_i(k) + \\eta\\lambda_i(\\eta\\lambda_i(1 + 1/B) - 2)\\,r_i(k)
   + \\frac{(\\eta\\lambda_i)^2}{B}\\,\\big(R(k) + \\sigma^2\\big),
   \\qquad R(k) = C + \\sum_i w_i r_i(k),

with ``C`` the constant part of ``2 E`` (untrained tail, plus the quadrature correction of
the compressed rule) and ``w_i`` the node weights.  With ``t = eta lambda_i`` and
``G = (R + sigma^2) / B`` the update is evaluated as ``r + t (t (q r + G) - 2 r)``,
``q = 1 + 1/B``: three fused multiply-adds, and the increment is formed separately and then
added to ``r_i`` (rather than multiplying by ``A = (1 - t)^2 + t^2 / B``), so that modes with
``t << eps`` keep their slow decay instead of rounding ``A`` to 1.

The kernels are compiled by numba (``cache=True``: the first call in a fresh environment
compiles for a few seconds, later processes load the cache) and release the GIL, so that
independent runs can share a thread pool.  ``fastmath`` is limited to re-association and
FMA contraction, which lets LLVM vectorise the sum over nodes; NaN/inf semantics stay
intact so that a divergent run is detected.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fsltheory._util.loops import record_value
from fsltheory.exact._numpy_recursion import DIVERGED

__all__ = ["advance", "step_modes", "run_recursion", "DIVERGED"]

_FLAGS = {"reassoc", "contract"}


@njit(cache=True, nogil=True, fastmath=_FLAGS, inline="always")
def step_modes(lam, w, r, eta, ib, R, C, sigma2):
    """One step of every mode in place; returns the new ``R = C + sum_i w_i r_i``.

    The one copy of the update of reference §8.1, shared by :func:`advance` and the
    adjoint's forward pass (:mod:`fsltheory.optimal._loops`); inlined at the numba IR level,
    so the callers' loops vectorise as if it were written in place.
    """
    q = 1.0 + ib
    G = ib * (R + sigma2)
    acc = 0.0
    for i in range(lam.size):
        t = eta * lam[i]
        ri = r[i]
        ri = ri + t * (t * (q * ri + G) - 2.0 * ri)
        r[i] = ri
        acc += w[i] * ri
    return C + acc


@njit(cache=True, nogil=True, fastmath=_FLAGS)
def advance(lam, w, r, C, sigma2, lrs, invb, k0, k1, rec, pos, out):
    """Run steps ``k0..k1-1`` in place on ``r``; record ``R(k)`` for ``k`` in ``rec[pos:]``.

    Returns ``(bad, pos)``: ``bad`` is the step whose update made ``R`` non-finite or
    larger than :data:`DIVERGED` (``-1`` if none), ``pos`` the next record slot.
    """
    n = lam.size
    R = C
    for i in range(n):
        R += w[i] * r[i]
    for k in range(k0, k1):
        pos = record_value(rec, pos, k, out, R)
        R = step_modes(lam, w, r, lrs[k], invb[k], R, C, sigma2)
        if not (abs(R) < DIVERGED):
            return k, pos
    pos = record_value(rec, pos, k1, out, R)
    return -1, pos


def run_recursion(lam, r0, C, sigma2, lrs, invb, rec, *, weights=None, progress=False, desc=""):
    """Drive a kernel over all steps (in chunks when ``progress``); returns ``(R_rec, bad)``.

    ``R_rec[i]`` is ``R(rec[i])`` (twice the expected excess risk); ``bad`` is the failing
    step or ``-1``.
    """
    lam = np.ascontiguousarray(lam, dtype=float)
    r = np.array(r0, dtype=float)
    lrs = np.ascontiguousarray(lrs, dtype=float)
    invb = np.ascontiguousarray(invb, dtype=float)
    rec = np.ascontiguousarray(rec, dtype=np.int64)
    out = np.full(rec.size, np.nan)
    K = lrs.size
    # the full spectrum is the weighted kernel with unit weights (one kernel, not two copies)
    w = np.ones(lam.size) if weights is None else np.ascontiguousarray(weights, dtype=float)

    def step(k0, k1, pos):
        return advance(lam, w, r, float(C), float(sigma2), lrs, invb, k0, k1, rec, pos, out)

    if not progress:
        bad, _ = step(0, K, 0)
        return out, int(bad)
    from tqdm.std import tqdm

    # chunks of ~1e7 node-updates: each is a few ms, so the bar moves smoothly
    chunk = max(1, min(K, int(1e7 // max(1, lam.size))))
    pos = 0
    with tqdm(total=K, desc=desc or "exact", unit="step", unit_scale=True) as bar:
        for k0 in range(0, K, chunk):
            k1 = min(K, k0 + chunk)
            bad, pos = step(k0, k1, pos)
            if bad >= 0:
                return out, int(bad)
            bar.update(k1 - k0)
    return out, -1
