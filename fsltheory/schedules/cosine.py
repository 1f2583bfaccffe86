"""Cosine decay to a floor."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fsltheory._util.validate import check_in_interval
from fsltheory.schedules._sums import cosine_sum
from fsltheory.schedules.base import Schedule

__all__ = ["Cosine"]


@dataclass(frozen=True)
class Cosine(Schedule):
    """``eta_k = final + (peak - final) (1 + cos(pi k / K)) / 2``.

    (Appendix A.2 prints the argument without ``pi``; the reference flags that misprint.)
    """

    final: float = 0.0

    name = "cosine"

    def _validate(self):
        object.__setattr__(self, "final", check_in_interval("final", self.final, 0.0, self.peak))

    def _shape(self, n: int) -> np.ndarray:
        return self.final + (self.peak - self.final) * 0.5 * (1 + np.cos(np.pi * np.arange(n) / n))

    def _shape_total(self, n: int) -> float:
        return n * (self.peak + self.final) / 2.0 + (self.peak - self.final) / 2.0 * cosine_sum(n)
