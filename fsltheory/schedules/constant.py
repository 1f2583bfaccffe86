"""Constant learning rate (Theorem 5.2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fsltheory.schedules.base import Schedule

__all__ = ["Constant"]


@dataclass(frozen=True)
class Constant(Schedule):
    """``eta_k = peak``; intrinsic time is ``T_k = peak k`` and ``gamma(t) = peak / B``."""

    name = "constant"

    def _shape(self, n: int) -> np.ndarray:
        return np.full(n, self.peak)

    def _shape_total(self, n: int) -> float:
        return self.peak * n
