"""Cyclic (triangular) schedules, as in the paper's Figure 1a / Figure 3."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fsltheory._util.validate import check_in_interval, check_int
from fsltheory.schedules.base import Schedule

__all__ = ["Cyclic"]


@dataclass(frozen=True)
class Cyclic(Schedule):
    """Triangular wave between ``peak`` and ``low`` with a period of ``period`` steps.

    ``eta_k = low + (peak - low) |1 - 2 phase|`` with ``phase = (k mod period) / period``,
    so the wave starts at the peak and reaches ``low`` at half a period.
    """

    low: float = 0.0
    period: int = 2000

    name = "cyclic"

    def _validate(self):
        object.__setattr__(self, "low", check_in_interval("low", self.low, 0.0, self.peak))
        object.__setattr__(self, "period", check_int("period", self.period, 2))

    def _shape(self, n: int) -> np.ndarray:
        phase = (np.arange(n) % self.period) / self.period
        return self.low + (self.peak - self.low) * np.abs(1.0 - 2.0 * phase)
