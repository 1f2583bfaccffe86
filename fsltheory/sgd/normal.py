"""Fast reproducible standard normals for the compiled kernels.

Sampling dominates the simulator's cost (``M + 1`` normals per sample), so the kernels
draw their own normals inside the SGD loop instead of reading a buffer filled by numpy:

* **Uniform bits**: xoshiro256++ (Blackman & Vigna, 2018), a 256-bit-state generator,
  one independent state per run, seeded from ``numpy.random.SeedSequence`` (see
  :mod:`.streams`), so streams are reproducible and statistically independent.
* **Normals**: the ziggurat method (Marsaglia & Tsang, 2000) with 256 equal-area layers
  under ``f(x) = exp(-x^2 / 2)``.  Layer ``0`` is the base strip: a rectangle of width ``r``
  plus the tail ``x > r``, sampled with Marsaglia's exponential rejection.  The table is
  computed here from its defining equations (``r`` is solved for, not copied), and one
  64-bit draw supplies the layer (8 bits), the sign (1 bit) and a 53-bit uniform.

``fill_normals`` writes the exact sequence the kernels consume, so a run can be replayed
(the mpmath path does this).  Tests check moments, a Kolmogorov-Smirnov statistic, the
tail mass beyond ``r``, and the equal areas of the layers.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["ZIG_R", "ZIG_V", "ZIG_X", "ZIG_F", "seed_state", "fill_normals", "next_normal"]

_LAYERS = 256


def _f(x: float) -> float:
    return math.exp(-0.5 * x * x)


def _area(r: float) -> float:
    """Common layer area ``v(r) = r f(r) + int_r^inf f``."""
    return r * _f(r) + math.sqrt(math.pi / 2) * math.erfc(r / math.sqrt(2))


def _edges(r: float) -> list[float]:
    """Right edges ``x_1 = r > x_2 > ... > x_255`` of the layers, for a given ``r``.

    Layer ``i`` (``1 <= i <= 255``) spans heights ``f(x_i)..f(x_{i+1})`` and has width
    ``x_i``; equal areas give ``f(x_{i+1}) = f(x_i) + v / x_i``.
    """
    v, x = _area(r), [r]
    for _ in range(_LAYERS - 2):
        y = _f(x[-1]) + v / x[-1]
        if y >= 1.0:  # ran out of room: r too small
            return x
        x.append(math.sqrt(-2.0 * math.log(y)))
    return x


def _top_mismatch(r: float) -> float:
    """Top layer's area minus ``v``; zero at the right ``r`` (negative while r is too small)."""
    x = _edges(r)
    if len(x) < _LAYERS - 1:
        return -1.0
    return x[-1] * (1.0 - _f(x[-1])) - _area(r)


def _solve_r() -> float:
    """Bisect ``_top_mismatch`` (negative below the root, positive above) to full precision."""
    lo, hi = 3.0, 4.0
    while True:
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            return lo
        if _top_mismatch(mid) < 0:
            lo = mid
        else:
            hi = mid


#: right edge of the base rectangle, solved so the 256 layers have equal area
ZIG_R = _solve_r()
#: area of each layer
ZIG_V = _area(ZIG_R)
#: widths: ZIG_X[0] = v / f(r) (base strip), ZIG_X[i] = x_i, ZIG_X[256] = 0
ZIG_X = np.array([ZIG_V / _f(ZIG_R), *_edges(ZIG_R), 0.0])
#: heights f(ZIG_X[i]) (ZIG_F[0] is unused by the sampler)
ZIG_F = np.exp(-0.5 * ZIG_X**2)

_U53 = 1.0 / 9007199254740992.0  # 2^-53


def seed_state(ss: np.random.SeedSequence) -> np.ndarray:
    """Four uint64 words of xoshiro256++ state from a SeedSequence (never all zero)."""
    st = ss.generate_state(4, np.uint64)
    if not st.any():  # pragma: no cover - probability 2^-256
        st[0] = np.uint64(1)
    return st


@njit(cache=True, nogil=True, inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True, nogil=True, inline="always")
def _next(s0, s1, s2, s3):
    """xoshiro256++: one 64-bit output and the new state."""
    out = _rotl(s0 + s3, 23) + s0
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return out, s0, s1, s2, s3


@njit(cache=True, nogil=True, inline="always")
def _uniform(bits):
    """53-bit uniform in [0, 1) from the top bits of a 64-bit word."""
    return np.float64(bits >> np.uint64(11)) * _U53


@njit(cache=True, nogil=True, inline="always")
def next_normal(s0, s1, s2, s3, X, F, r):
    """One standard normal (ziggurat) and the new generator state."""
    while True:
        bits, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        i = np.int64(bits & np.uint64(0xFF))
        neg = (bits >> np.uint64(8)) & np.uint64(1)
        x = _uniform(bits) * X[i]
        if x < X[i + 1]:  # strictly inside the curve: accept (~98.8% of draws)
            return (-x if neg else x), s0, s1, s2, s3
        if i == 0:  # base strip beyond r: the tail, by exponential rejection
            while True:
                b1, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                b2, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                e1 = -math.log(1.0 - _uniform(b1)) / r  # 1 - u in (0, 1]
                e2 = -math.log(1.0 - _uniform(b2))
                if 2.0 * e2 > e1 * e1:
                    x = r + e1
                    return (-x if neg else x), s0, s1, s2, s3
        else:  # wedge: uniform height in the layer, accept below the curve
            b1, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
            y = F[i] + _uniform(b1) * (F[i + 1] - F[i])
            if y < math.exp(-0.5 * x * x):
                return (-x if neg else x), s0, s1, s2, s3


@njit(cache=True, nogil=True)
def fill_normals(state, out, X, F, r):
    """Fill ``out`` (C order) with the stream's next normals; advances ``state`` in place."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    flat = out.reshape(out.size)
    for n in range(flat.size):
        z, s0, s1, s2, s3 = next_normal(s0, s1, s2, s3, X, F, r)
        flat[n] = z
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
