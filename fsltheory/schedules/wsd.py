"""Warmup-stable-decay (WSD) schedules (eq. 25, Theorem 5.4)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fsltheory._util.validate import check_choice, check_in_interval
from fsltheory.schedules._sums import cosine_sum, geometric_sum, power_sum
from fsltheory.schedules.base import Schedule

__all__ = ["WSD"]

_SHAPES = ("exponential", "linear", "cosine", "1-sqrt")


@dataclass(frozen=True)
class WSD(Schedule):
    """Stable at ``peak`` for ``K1 = K - K2`` steps, then a ``K2 = round(decay K)`` step decay.

    Parameters
    ----------
    peak : float
        Stable-phase learning rate ``a``.
    decay : float
        Decay fraction ``r = K2 / K`` in ``(0, 1]``.  Give ``stable = 1 - r`` instead if
        you prefer; exactly one of the two is used.
    final : float
        Value the decay reaches at ``k = K`` (``b`` in eq. 25).  ``shape='exponential'``
        needs ``final > 0``.
    shape : {'exponential', 'linear', 'cosine', '1-sqrt'}
        Decay-phase profile in ``v = (k - K1) / K2``: ``a (b/a)^v``, ``a + (b - a) v``,
        ``b + (a - b)(1 + cos(pi v))/2`` or ``b + (a - b)(1 - sqrt(v))``.
    """

    decay: float | None = None
    final: float = 0.0
    shape: str = "linear"
    stable: float | None = None

    name = "wsd"

    def _validate(self):
        if self.decay is not None and self.stable is not None:
            if not math.isclose(self.decay + self.stable, 1.0):
                raise ValueError(
                    f"decay={self.decay!r} and stable={self.stable!r} are inconsistent: "
                    "expected decay + stable = 1 (give only one)"
                )
        if self.decay is None:
            decay = 0.2 if self.stable is None else 1.0 - float(self.stable)
            object.__setattr__(self, "decay", decay)
        object.__setattr__(self, "stable", None)
        object.__setattr__(
            self, "decay", check_in_interval("decay", self.decay, 0.0, 1.0, closed="right")
        )
        object.__setattr__(self, "final", check_in_interval("final", self.final, 0.0, self.peak))
        check_choice("shape", self.shape, _SHAPES)
        if self.shape == "exponential" and self.final <= 0:
            raise ValueError(
                f"final={self.final!r} is invalid for shape='exponential': expected final > 0"
            )

    def phases(self, n: int) -> tuple[int, int]:
        """``(K1, K2)``: stable and decay step counts for a post-warmup horizon ``n``."""
        decay = float(self.decay)  # type: ignore[arg-type]  # set by __post_init__
        k2 = min(n, max(1, round(decay * n)))
        return n - k2, k2

    def _decay_profile(self, v: np.ndarray) -> np.ndarray:
        a, b = self.peak, self.final
        if self.shape == "exponential":
            return a * (b / a) ** v
        if self.shape == "linear":
            return a + (b - a) * v
        if self.shape == "cosine":
            return b + (a - b) * 0.5 * (1 + np.cos(np.pi * v))
        return b + (a - b) * (1 - np.sqrt(v))

    def _shape(self, n: int) -> np.ndarray:
        k1, k2 = self.phases(n)
        v = np.arange(k2) / k2
        return np.concatenate([np.full(k1, self.peak), self._decay_profile(v)])

    def _shape_total(self, n: int) -> float:
        k1, k2 = self.phases(n)
        a, b = self.peak, self.final
        if self.shape == "exponential":
            tail = geometric_sum(a, (b / a) ** (1.0 / k2), k2)
        elif self.shape == "linear":
            tail = k2 * a + (b - a) * (k2 - 1) / 2.0
        elif self.shape == "cosine":
            tail = k2 * (a + b) / 2.0 + (a - b) / 2.0 * cosine_sum(k2)
        else:  # sum_{m<k2} (1 - sqrt(m/k2)) = k2 - k2^-1/2 sum_{m=1}^{k2-1} m^1/2
            tail = k2 * a - (a - b) * power_sum(0.5, k2 - 1) / math.sqrt(k2)
        return a * k1 + tail
