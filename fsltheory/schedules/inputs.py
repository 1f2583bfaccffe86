"""Turning the ``schedule``, ``steps`` and ``batch`` arguments of every engine into arrays.

The exact engine, the Monte-Carlo simulator and the FSL evaluator accept the same inputs --
a :class:`~fsltheory.schedules.Schedule`, a SPEC string (``"cosine:peak=0.1"``) or a 1-d
array of learning rates -- and share this normalisation.  It holds no formula; the schedule
classes it imports are numeric (their symbolic side is loaded only by
``Schedule.intrinsic_profile``, which no engine calls; ``tests/test_layers.py``).
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from fsltheory._util.validate import check_greater, check_int, check_lr_array, check_memory
from fsltheory.schedules.base import Schedule
from fsltheory.schedules.spec import parse_schedule

__all__ = ["learning_rates", "batch_sizes", "ScheduleLike"]

#: what every ``schedule`` argument accepts: a schedule, a SPEC string or the rates
ScheduleLike: TypeAlias = Schedule | str | ArrayLike


def learning_rates(
    schedule: ScheduleLike, steps: int | None = None, *, name: str = "schedule"
) -> tuple[np.ndarray, int]:
    """``(eta_0..eta_{K-1}, K)`` from a :class:`Schedule`, a SPEC string or a 1-d array.

    ``steps`` is required for a parametric schedule; for an array (or an
    :class:`ArraySchedule`) it defaults to the length and must equal it if given.
    ``name`` is how error messages call an offending array entry (``name[k]=...``).
    """
    if isinstance(schedule, str):
        schedule = parse_schedule(schedule)
    if isinstance(schedule, Schedule):
        if steps is None:
            steps = getattr(schedule, "steps", None)  # an ArraySchedule knows its horizon
            if steps is None:
                raise ValueError(
                    "steps=None is invalid for a parametric schedule: expected an integer >= 1"
                )
        steps = check_int("steps", steps, 1)
        # the engines hold a few per-step float64 arrays (rates, batches, recorded risks)
        check_memory("steps", steps, 4 * 8.0 * steps)
        return check_lr_array(name, schedule.lrs(steps)), steps
    lrs = check_lr_array(name, schedule)
    if steps is not None and check_int("steps", steps, 1) != lrs.size:
        raise ValueError(
            f"steps={steps!r} is invalid: the learning-rate array has length {lrs.size}, "
            f"so steps must be {lrs.size} (or None)"
        )
    return lrs, lrs.size


#: largest integer batch: exact in float64, far inside int64
MAX_BATCH = 2**53


def batch_sizes(batch: ArrayLike, steps: int, *, integer: bool = True) -> np.ndarray:
    """Per-step batch sizes ``B_k``, ``k < steps``, from a number or an array of that length.

    ``integer=True`` (SGD and its exact moments) asks for integers ``>= 1`` and returns
    int64; ``integer=False`` (the FSL, a continuous-time law) accepts any real ``B > 0``.
    """
    try:
        arr = np.asarray(batch)
    except (OverflowError, ValueError):  # e.g. a list holding an int beyond int64
        raise ValueError("batch is invalid: expected numbers below 2**53") from None
    if arr.ndim == 0:
        value = arr.item()
        if integer:
            b = check_int("batch", value, 1)
            if b > MAX_BATCH:  # beyond int64 (and any real batch): refused, not an overflow
                raise ValueError(f"batch={b!r} is invalid: expected an integer in [1, 2**53]")
            return np.full(steps, b, dtype=np.int64)
        return np.full(steps, check_greater("batch", value, 0.0))
    if arr.shape != (steps,):
        raise ValueError(
            f"batch has shape {arr.shape}: expected a number or an array of length steps={steps}"
        )
    try:
        f = arr.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"batch is invalid: expected numbers, got dtype {arr.dtype}") from None
    if integer:
        bad = ~np.isfinite(f) | (f < 1) | (f != np.round(f)) | (f > MAX_BATCH)
        valid = "an integer >= 1"
    else:
        bad = ~np.isfinite(f) | (f <= 0)
        valid = "batch > 0"
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"batch[{k}]={arr.tolist()[k]!r} is invalid: expected {valid}")
    return f.astype(np.int64) if integer else f
