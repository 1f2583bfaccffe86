"""One vectorisable exponential for every numba hot loop (FSL evaluator, surrogate laws).

``math.exp`` does not vectorise in numba without Intel's SVML, and the exponential-sum
recursions spend most of their time on ``q`` exponentials per step.  :func:`vexp_into` is
branch-free so that LLVM emits SIMD code: Cody-Waite reduction ``x = k ln2 + r`` with
``|r| <= ln2/2`` (ln 2 split in two parts so ``k ln2`` is exact), ``exp(r)`` by its Taylor
polynomial of degree 13 (remainder below ``(ln2/2)^14 / 14! ~ 4e-18``), and ``2^k`` built
directly in the exponent bits.  Valid for ``x <= 700``; inputs below ``-700`` are clamped,
i.e. ``exp(-700) ~ 1e-304`` stands for 0.  About 4x faster than scalar ``math.exp``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["vexp_into", "vexp_head", "vexp", "FASTMATH"]

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238
_LN2_LO = 1.9082149292705877e-10
#: adding 1.5 * 2^52 rounds a double to an integer kept in its low mantissa bits
_SHIFT = 6755399441055744.0
#: no reassociation (it would undo the rounding trick), but contraction to FMA is fine
FASTMATH = {"contract", "arcp", "nsz", "afn"}


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def vexp_into(x, out, bits, fbits):
    """``out[:] = exp(x[:])``; ``bits`` is int64 scratch and ``fbits`` its float64 view."""
    vexp_head(x, out, bits, fbits, x.size)


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def vexp_head(x, out, bits, fbits, n):
    """``out[:n] = exp(x[:n])``: the first ``n`` entries, without building slices (a view
    made per call in a per-step loop costs its reference counting)."""
    for j in range(n):
        xv = max(x[j], -700.0)
        t = xv * _LOG2E + _SHIFT
        kf = t - _SHIFT
        r = (xv - kf * _LN2_HI) - kf * _LN2_LO
        p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        out[j] = p * r + 1.0
        fbits[j] = t + 1023.0  # the low mantissa bits now hold k + 1023
    for j in range(n):
        bits[j] = bits[j] << 52  # ... shifted into the exponent field: the double 2^k
    for j in range(n):
        out[j] *= fbits[j]


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def vexp(x):
    """Array front end of :func:`vexp_into` (tests, and callers outside hot loops)."""
    out = np.empty(x.size)
    bits = np.empty(x.size, np.int64)
    vexp_into(x, out, bits, bits.view(np.float64))
    return out
