"""The top-M recursion of reference §8.1 at ``dps`` significant digits (``precision='mpmath'``).

The full spectrum ``j = 1..M`` is run exactly as in the float64 engine, but

* every constant (``lambda_j = j^-beta``, ``lambda_j theta*_j^2 = j^{-1-s beta}``, the tail
  ``delta_M`` via Hurwitz zeta, ``1/B``) is evaluated by mpmath at ``dps + 10`` digits;
* the learning rates, which are float64 numbers, are taken exactly;
* the recursion runs in binary fixed point on Python integers (mpmath's own arithmetic
  backend here), with ``P`` fractional bits chosen so that the *smallest* quantity that
  enters an update (``(eta lambda_M)^2 r_M / B``) still carries ``dps`` digits after the
  round-off of ``K (M + 4)`` operations.  Each operation errs by at most ``2^-P`` absolute,
  so every recorded ``R(k)`` is correct to about ``10^-dps`` relative.

Fixed point avoids mpmath's per-operation object overhead (3 us per ``mpf`` multiply-add
without gmpy2), and numpy object arrays apply each integer operation to all modes without a
Python-level loop: ``M = 64, K = 1e4`` takes about a second.  Use it for small ``M`` to
measure the float64 engines' round-off (tests/test_exact_precise.py).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from fsltheory.exact._numpy_recursion import DIVERGED
from fsltheory.model import PowerLawModel

__all__ = ["precise_recursion"]


def _fix(x, P: int) -> int:
    """Nearest integer to ``x 2^P`` for an mpf ``x``."""
    return int(mpmath.nint(mpmath.ldexp(x, P)))


def precise_recursion(
    model: PowerLawModel,
    lrs: np.ndarray,
    batch: np.ndarray,
    rec: np.ndarray,
    dps: int,
    *,
    progress: bool = False,
) -> tuple[np.ndarray, list, int, int]:
    """``R(k) = 2 E[E(v_k)]`` at steps ``rec``, as floats and as mpf at ``dps`` digits.

    Returns ``(R_float, R_mpf, bits, bad)``: ``bits`` is the fixed-point precision used and
    ``bad`` the step at which ``R`` exceeded :data:`~fsltheory.exact._recursion.DIVERGED`
    (``-1`` if none; the other outputs are then empty).
    """
    M, K = model.M, lrs.size
    pos_lrs = lrs[lrs > 0]
    with mpmath.workdps(dps + 10):
        beta = mpmath.mpf(model.beta)
        expo = 1 + mpmath.mpf(model.s) * beta
        j = [mpmath.mpf(i) for i in range(1, M + 1)]
        lam = [x**-beta for x in j]
        r0 = [x**-expo for x in j]
        tail = mpmath.zeta(expo, M + 1)
        if not math.isinf(model.N):
            tail -= mpmath.zeta(expo, int(model.N) + 1)
        # smallest increment magnitude that must keep dps digits
        eta_min = mpmath.mpf(float(pos_lrs.min())) if pos_lrs.size else mpmath.mpf(1)
        smallest = (eta_min * lam[-1]) ** 2 * r0[-1] / int(batch.max())
        guard = int(-mpmath.floor(mpmath.log(smallest, 2)))
        P = math.ceil((dps + 5) * math.log2(10)) + guard + math.ceil(math.log2(K * (M + 4))) + 8
        ONE = 1 << P
        LAM = np.array([_fix(x, P) for x in lam], dtype=object)
        r = np.array([_fix(x, P) for x in r0], dtype=object)
        TAIL = _fix(tail, P)
        S2 = _fix(mpmath.mpf(model.sigma2), P)
        invb_cache = {int(b): _fix(1 / mpmath.mpf(int(b)), P) for b in np.unique(batch)}
    # a float64 learning rate is a dyadic rational: ldexp(eta, P) is exact and int() only
    # drops the bits below 2^-P (none, unless eta < 2^(52-P))
    E = [int(math.ldexp(float(x), P)) for x in lrs]
    limit = int(DIVERGED) << P
    out = []
    want = iter(rec.tolist())
    nxt = next(want, None)
    R = TAIL + int(r.sum())
    bad = -1
    steps = range(K + 1)
    if progress:
        from tqdm.std import tqdm

        steps = tqdm(steps, desc="exact (mpmath)", unit="step")
    for k in steps:
        while nxt == k:
            out.append(R)
            nxt = next(want, None)
        if k == K:
            break
        IB = invb_cache[int(batch[k])]
        # the float64 kernel's r + t (t (q r + G) - 2 r), each product rounded to 2^-P
        T = (E[k] * LAM) >> P
        G = (IB * (R + S2)) >> P
        inner = (T * (((ONE + IB) * r >> P) + G)) >> P
        r = r + ((T * (inner - 2 * r)) >> P)
        R = TAIL + int(r.sum())
        if R > limit:
            bad = k
            break
    if bad >= 0:
        return np.full(rec.size, np.nan), [], P, bad
    with mpmath.workdps(dps):
        R_mp = [mpmath.ldexp(mpmath.mpf(x), -P) for x in out]
    return np.array([float(x) for x in R_mp]), R_mp, P, -1
