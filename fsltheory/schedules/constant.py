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

    def intrinsic_profile(self):
        """``gamma(t) = peak/B`` throughout: the final learning rate is the peak (Theorem 5.2)."""
        from fsltheory.schedules.profile import flat_profile

        return flat_profile("constant", 1, 1)
