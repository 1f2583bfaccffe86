"""The learning-rate schedule abstraction and its intrinsic-time map (reference §2.2).

Conventions, used everywhere in fsltheory
-----------------------------------------
* A schedule of horizon ``K`` is the array ``eta_k``, ``k = 0..K-1``; step ``k`` maps the
  iterate ``v_k`` to ``v_{k+1}`` with learning rate ``eta_k`` (eq. 4).
* Intrinsic time is the cumulative learning rate *before* the iterate:
  ``T_0 = 0`` and ``T_k = eta_0 + ... + eta_{k-1}``, so ``v_k`` lives at intrinsic time
  ``T_k`` (eq. 7 with ``h = 1``; Appendix A.4 grid ``t_k``).  ``intrinsic_time(K)``
  returns ``T_0..T_K`` (length ``K + 1``).
* The intrinsic-time schedule is ``gamma(t) = eta_k / B`` on ``T_k <= t < T_{k+1}`` (eq. 8).
* A shape parameter that names a value *at the end* (``final``) is the value the
  continuous profile reaches at ``k = K``, one step after the last update, as in the
  paper's ``phi(K) = b`` (Theorem 5.3).  Every shape is evaluated at ``u = k / n``.
* ``warmup = W`` prepends a linear ramp ``eta_k = peak (k + 1) / W`` for ``k < W``; the
  family's shape then runs over the remaining ``K - W`` steps.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from fsltheory._util.validate import check_greater, check_int

__all__ = ["Schedule"]


@dataclass(frozen=True)
class Schedule:
    """Base class: a family of learning-rate schedules with a fixed peak.

    Subclasses implement :meth:`_shape` (the post-warmup learning rates) and may give
    :meth:`_shape_total` (the closed-form sum of those rates).
    """

    peak: float
    warmup: int = 0

    #: family name used by the SPEC syntax (``family:key=value,...``)
    name = "schedule"

    def __post_init__(self):
        object.__setattr__(self, "peak", check_greater("peak", self.peak, 0.0))
        object.__setattr__(self, "warmup", check_int("warmup", self.warmup, 0))
        self._validate()

    # ---------------------------------------------------------------- to override
    def _validate(self) -> None:
        """Check the family's own parameters (raise ValueError)."""

    def _shape(self, n: int) -> np.ndarray:
        raise NotImplementedError

    def _shape_total(self, n: int) -> float | None:
        """Closed form of ``sum(self._shape(n))``; ``None`` when there is none."""
        return None

    # ---------------------------------------------------------------- public API
    def _post_warmup_steps(self, steps: int) -> int:
        steps = check_int("steps", steps, 1)
        if self.warmup >= steps:
            raise ValueError(
                f"warmup={self.warmup!r} is invalid for steps={steps}: expected warmup < steps"
            )
        return steps - self.warmup

    def _warmup_lrs(self) -> np.ndarray:
        w = self.warmup
        return self.peak * np.arange(1, w + 1, dtype=float) / w if w else np.empty(0)

    def lrs(self, steps: int) -> np.ndarray:
        """Learning rates ``eta_k`` for ``k = 0..steps-1`` (float64, all finite, >= 0)."""
        n = self._post_warmup_steps(steps)
        out = np.concatenate([self._warmup_lrs(), np.asarray(self._shape(n), dtype=float)])
        return out

    def intrinsic_time(self, steps: int) -> np.ndarray:
        """``T_k = sum_{j<k} eta_j`` for ``k = 0..steps`` (length ``steps + 1``), eq. (7)."""
        return np.concatenate([[0.0], np.cumsum(self.lrs(steps))])

    def total_time(self, steps: int) -> float:
        """``T_K``, from the family's closed form where it has one (else the sum)."""
        n = self._post_warmup_steps(steps)
        closed = self._shape_total(n)
        if closed is None:
            closed = float(np.sum(self._shape(n)))
        return self.peak * (self.warmup + 1) / 2.0 + closed if self.warmup else closed

    def gamma(self, t, steps: int, batch: float = 1.0) -> np.ndarray:
        """Intrinsic-time schedule ``gamma(t) = eta_k / B`` on ``[T_k, T_{k+1})`` (eq. 8).

        Times at or beyond ``T_K`` get 0: no noise is injected after training ends.
        """
        batch = check_greater("batch", batch, 0.0)
        eta = self.lrs(steps)
        T = np.concatenate([[0.0], np.cumsum(eta)])
        t = np.asarray(t, dtype=float)
        k = np.searchsorted(T, t, side="right") - 1
        inside = (k >= 0) & (k < steps)
        return np.where(inside, eta[np.clip(k, 0, steps - 1)] / batch, 0.0)

    def final_lr(self, steps: int) -> float:
        """The last learning rate actually used, ``eta_{K-1}``."""
        return float(self.lrs(steps)[-1])

    def spec(self) -> str:
        """The SPEC string that rebuilds this schedule (see :func:`parse_schedule`)."""
        parts = []
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None or (f.name == "warmup" and v == 0):
                continue
            if isinstance(v, tuple):
                v = ":".join(f"{x:g}" for x in v)
            elif isinstance(v, float):
                v = f"{v:g}"
            parts.append(f"{f.name}={v}")
        return f"{self.name}:" + ",".join(parts)

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.spec()
