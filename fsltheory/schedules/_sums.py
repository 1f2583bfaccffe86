"""Closed forms of the finite sums that schedules' total intrinsic time reduces to."""

from __future__ import annotations

import math

import mpmath

__all__ = ["power_sum", "geometric_sum", "cosine_sum"]


def power_sum(p: float, n: int) -> float:
    """``sum_{m=1}^{n} m^p`` for real ``p > -1``, via Hurwitz zeta: ``zeta(-p) - zeta(-p, n+1)``."""
    if n <= 0:
        return 0.0
    if p == 0:
        return float(n)
    with mpmath.workdps(30):
        return float(mpmath.zeta(-p) - mpmath.zeta(-p, n + 1))


def geometric_sum(first: float, ratio: float, n: int) -> float:
    """``first * (1 + ratio + ... + ratio^(n-1))``, stable for ``ratio`` near 1."""
    if n <= 0:
        return 0.0
    if ratio == 1.0:
        return first * n
    lr = math.log(ratio)
    return first * math.expm1(n * lr) / math.expm1(lr)


def cosine_sum(n: int) -> float:
    """``sum_{m=0}^{n-1} cos(pi m / n)``, which equals 1 for every ``n >= 1``.

    (The terms pair up as ``cos(pi m/n) + cos(pi (n-m)/n) = 0`` for ``m = 1..n-1``.)
    """
    return 1.0 if n >= 1 else 0.0
