"""User-supplied learning-rate arrays."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fsltheory._util.validate import check_lr_array
from fsltheory.schedules.base import Schedule

__all__ = ["ArraySchedule"]


@dataclass(frozen=True)
class ArraySchedule(Schedule):
    """An arbitrary schedule given as the array ``eta_0..eta_{K-1}``.

    ``peak`` is taken from the array; the horizon must equal the array's length.
    """

    values: np.ndarray = field(default_factory=lambda: np.empty(0), compare=False, repr=False)
    source: str = ""

    name = "array"

    def __init__(self, values, source: str = ""):
        arr = check_lr_array("lr", values)
        if not arr.max() > 0:
            raise ValueError("lr is invalid: expected at least one positive learning rate")
        arr.setflags(write=False)
        object.__setattr__(self, "values", arr)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "warmup", 0)
        object.__setattr__(self, "peak", float(arr.max()))

    def lrs(self, steps: int | None = None) -> np.ndarray:
        if steps is not None and int(steps) != self.values.size:
            raise ValueError(
                f"steps={steps!r} is invalid for this schedule: the learning-rate array "
                f"has length {self.values.size}, so steps must equal {self.values.size}"
            )
        return self.values.copy()

    def _post_warmup_steps(self, steps: int) -> int:
        self.lrs(steps)
        return self.values.size

    def _shape(self, n: int) -> np.ndarray:
        return self.values

    @property
    def steps(self) -> int:
        return self.values.size

    def spec(self) -> str:
        return f"file:{self.source}" if self.source else f"array:<{self.values.size} values>"

    @classmethod
    def from_csv(cls, path, column: str = "lr") -> ArraySchedule:
        """Read the ``lr`` column of a CSV file (one row per step, in step order)."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"schedule file {str(path)!r} does not exist")
        with path.open(newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or column not in reader.fieldnames:
                raise ValueError(
                    f"schedule file {str(path)!r} has no {column!r} column "
                    f"(columns: {reader.fieldnames})"
                )
            raw = [row[column] for row in reader]
        values = []
        for i, r in enumerate(raw):
            try:
                values.append(float(r))
            except (TypeError, ValueError):
                raise ValueError(
                    f"schedule file {str(path)!r}: row {i + 1} has {column}={r!r}, not a number"
                ) from None
        return cls(np.array(values), source=str(path))
