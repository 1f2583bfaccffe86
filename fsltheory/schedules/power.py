"""Power decay ``(1 - k/K)^p`` to a final value."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fsltheory._util.validate import check_greater, check_in_interval
from fsltheory.schedules._sums import power_sum
from fsltheory.schedules.base import Schedule

__all__ = ["Power"]


@dataclass(frozen=True)
class Power(Schedule):
    """``eta_k = final + (peak - final) (1 - k/K)^p``; ``p = 1`` is linear decay."""

    p: float = 1.0
    final: float = 0.0

    name = "power"

    def _validate(self):
        object.__setattr__(self, "p", check_greater("p", self.p, 0.0))
        object.__setattr__(self, "final", check_in_interval("final", self.final, 0.0, self.peak))

    def _shape(self, n: int) -> np.ndarray:
        return self.final + (self.peak - self.final) * (1.0 - np.arange(n) / n) ** self.p

    def _shape_total(self, n: int) -> float:
        # sum_{k<n} (1 - k/n)^p = n^-p sum_{m=1}^{n} m^p
        return n * self.final + (self.peak - self.final) * power_sum(self.p, n) / n**self.p
