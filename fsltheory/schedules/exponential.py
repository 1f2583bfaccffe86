"""Exponential (geometric) decay (Theorem 5.3)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fsltheory._util.validate import check_in_interval
from fsltheory.schedules._sums import geometric_sum
from fsltheory.schedules.base import Schedule

__all__ = ["Exponential"]


@dataclass(frozen=True)
class Exponential(Schedule):
    """``eta_k = peak (final/peak)^(k/K)``: the paper's ``phi(tau) = a e^{-zeta tau}``, ``phi(K) = b``.

    In intrinsic time the schedule is *linear*: ``gamma(t) = a - zeta t`` with
    ``zeta = log(a/b) / K``, and ``T(K) = (a - b) K / log(a/b)`` (Section 5.2).
    """

    final: float = 1e-3

    name = "exponential"

    def _validate(self):
        object.__setattr__(
            self,
            "final",
            check_in_interval("final", self.final, 0.0, self.peak, closed="right"),
        )

    def decay_rate(self, n: int) -> float:
        """``zeta = log(peak/final) / n`` per step."""
        return math.log(self.peak / self.final) / n

    def _shape(self, n: int) -> np.ndarray:
        return self.peak * np.exp(-self.decay_rate(n) * np.arange(n))

    def _shape_total(self, n: int) -> float:
        return geometric_sum(self.peak, math.exp(-self.decay_rate(n)), n)

    def continuous_total_time(self, n: int) -> float:
        """``int_0^n phi = (a - b) n / log(a/b)``, the paper's ``T`` in Theorem 5.3."""
        if self.final == self.peak:
            return self.peak * n
        return (self.peak - self.final) / self.decay_rate(n)
