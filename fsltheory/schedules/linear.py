"""Linear decay to a final value."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fsltheory._util.validate import check_in_interval
from fsltheory.schedules.base import Schedule

__all__ = ["Linear"]


@dataclass(frozen=True)
class Linear(Schedule):
    """``eta_k = peak + (final - peak) k / K``."""

    final: float = 0.0

    name = "linear"

    def _validate(self):
        object.__setattr__(self, "final", check_in_interval("final", self.final, 0.0, self.peak))

    def _shape(self, n: int) -> np.ndarray:
        return self.peak + (self.final - self.peak) * np.arange(n) / n

    def _shape_total(self, n: int) -> float:
        return n * self.peak + (self.final - self.peak) * (n - 1) / 2.0
