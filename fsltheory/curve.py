"""The result type shared by every risk engine: a (possibly sub-sampled) risk curve."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

import numpy as np

from fsltheory._util.output import prepare_output

__all__ = ["RiskCurve", "record_steps"]


@dataclass
class RiskCurve:
    """Expected excess risk ``E[E(v_k)]`` at recorded steps ``k``.

    Attributes
    ----------
    step : ndarray of int
        Recorded step indices ``k`` (0 is the initialisation).
    lr : ndarray
        ``eta_k``, the learning rate of the update *leaving* step ``k`` (``nan`` at ``k = K``).
    intrinsic_time : ndarray
        ``T_k = sum_{j<k} eta_j`` (see :mod:`fsltheory.schedules.base`).
    excess_risk : ndarray
        Expected excess risk ``E[E(v_k)]``, risk minus ``sigma^2 / 2`` (eq. 3).
    excess_risk_se : ndarray or None
        Standard error of the Monte-Carlo mean (``None`` for deterministic engines).
    engine : str
        Which engine produced the curve.
    meta : dict
        Engine-specific details (method, nodes, runs, seed, ...).
    """

    step: np.ndarray
    lr: np.ndarray
    intrinsic_time: np.ndarray
    excess_risk: np.ndarray
    excess_risk_se: np.ndarray | None = None
    engine: str = ""
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_schedule(cls, lrs: np.ndarray, step: np.ndarray, risk: np.ndarray, **kw) -> RiskCurve:
        """Fill ``lr`` and ``intrinsic_time`` at ``step`` from the full learning-rate array."""
        lrs = np.asarray(lrs, dtype=float)
        step = np.asarray(step, dtype=np.int64)
        T = np.concatenate([[0.0], np.cumsum(lrs)])
        lr_ext = np.concatenate([lrs, [np.nan]])
        return cls(
            step=step, lr=lr_ext[step], intrinsic_time=T[step], excess_risk=np.asarray(risk), **kw
        )

    @property
    def final(self) -> float:
        """Excess risk at the last recorded step."""
        return float(self.excess_risk[-1])

    def to_csv(self, path, *, force: bool = False) -> None:
        """Write ``step,lr,intrinsic_time,excess_risk[,excess_risk_se]``."""
        path = prepare_output(path, force=force)
        cols = ["step", "lr", "intrinsic_time", "excess_risk"]
        data = [self.step, self.lr, self.intrinsic_time, self.excess_risk]
        if self.excess_risk_se is not None:
            cols.append("excess_risk_se")
            data.append(self.excess_risk_se)
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            for row in zip(*data, strict=True):
                w.writerow([int(row[0])] + [repr(float(x)) for x in row[1:]])


def record_steps(record, steps: int) -> np.ndarray:
    """Normalise an engine's ``record`` argument to sorted unique step indices in ``[0, steps]``.

    ``None`` records every step ``0..steps``; an int ``n`` records about ``n`` steps spaced
    evenly on a log scale (always including 0 and ``steps``); an array is used as given.
    """
    if record is None:
        return np.arange(steps + 1, dtype=np.int64)
    if np.isscalar(record):
        n = int(record)
        if n < 2:
            raise ValueError(f"record={record!r} is invalid: expected an int >= 2 or an array")
        grid = np.unique(np.round(np.geomspace(1, steps, n - 1)).astype(np.int64))
        return np.concatenate([[0], grid])
    arr = np.unique(np.asarray(record, dtype=np.int64))
    if arr.size == 0 or arr[0] < 0 or arr[-1] > steps:
        raise ValueError(f"record is invalid: expected step indices in [0, {steps}]")
    return arr
