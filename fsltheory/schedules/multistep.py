"""Multi-step (piecewise-constant) schedules, e.g. the 8-1-1 schedule of Section 6.1."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fsltheory._util.validate import check_at_least, check_in_interval
from fsltheory.schedules.base import Schedule

__all__ = ["MultiStep"]


@dataclass(frozen=True)
class MultiStep(Schedule):
    """``eta_k = peak * factor[i]`` from step ``round(at[i] K)`` on.

    The defaults give the 8-1-1 schedule: peak until ``0.8 K``, ``peak / sqrt(10)`` until
    ``0.9 K``, then ``peak / 10``.
    """

    at: tuple[float, ...] = (0.8, 0.9)
    factor: tuple[float, ...] = (10**-0.5, 0.1)

    name = "multistep"

    def _validate(self):
        at = tuple(
            check_in_interval(f"at[{i}]", a, 0.0, 1.0, closed="neither")
            for i, a in enumerate(np.atleast_1d(self.at))
        )
        factor = tuple(
            check_at_least(f"factor[{i}]", f, 0.0) for i, f in enumerate(np.atleast_1d(self.factor))
        )
        if len(at) != len(factor):
            raise ValueError(
                f"at={at!r} and factor={factor!r} are invalid: expected the same length"
            )
        if any(b <= a for a, b in zip(at, at[1:], strict=False)):
            raise ValueError(f"at={at!r} is invalid: expected strictly increasing fractions")
        object.__setattr__(self, "at", at)
        object.__setattr__(self, "factor", factor)

    def _boundaries(self, n: int) -> list[int]:
        return [0] + [min(n, max(0, math.floor(a * n + 0.5))) for a in self.at] + [n]

    def _levels(self) -> list[float]:
        return [self.peak] + [self.peak * f for f in self.factor]

    def _shape(self, n: int) -> np.ndarray:
        edges = self._boundaries(n)
        return np.concatenate(
            [
                np.full(e1 - e0, lv)
                for e0, e1, lv in zip(edges[:-1], edges[1:], self._levels(), strict=True)
            ]
        )

    def _shape_total(self, n: int) -> float:
        edges = self._boundaries(n)
        return float(
            sum(
                (e1 - e0) * lv
                for e0, e1, lv in zip(edges[:-1], edges[1:], self._levels(), strict=True)
            )
        )
