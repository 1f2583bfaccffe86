"""Loss curves in and out: ``step,lr,loss`` files, validation, warmup detection, smoothing.

A :class:`LossCurve` pairs *sparse* loss observations (the logged validation loss at some
steps) with the *full per-step* learning-rate schedule that produced them, because every law
needs sums over all steps while losses are logged only every ~100 steps.

Step convention
---------------
``lrs[k]`` is the learning rate of optimiser step ``k`` (``k = 0..K-1``, warmup included), and
the loss logged at step ``t`` is taken after that step, so the learning-rate area it has seen
is ``S_t = lrs[0] + ... + lrs[t]`` (the multi-power-law code's ``cumsum(lrs)[t]``).  In the
notation of :mod:`fsltheory.schedules.base` this is ``T_{t+1}``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from fsltheory._util.output import prepare_output
from fsltheory._util.validate import check_memory

__all__ = [
    "LossCurve",
    "read_loss_csv",
    "write_loss_csv",
    "detect_warmup",
    "smooth_loss",
    "parse_smoothing",
]


def detect_warmup(lrs) -> int:
    """Length of the initial warmup ramp: the first step at which the learning rate stops rising.

    Returns ``W`` such that ``lrs[0] < lrs[1] < ... < lrs[W]`` and ``lrs[W+1] <= lrs[W]``
    (``W = 0`` when the schedule does not start by rising).  For the multi-power-law runs
    (``linspace(0, 3e-4, 2160)`` then constant or decaying) this is ``2159``: step 2159 is the
    first at the peak.
    """
    eta = np.asarray(lrs, dtype=float)
    if eta.size < 2:
        return 0
    # relative tolerance: logged schedules are often rounded, so plateaus can wiggle
    tol = 1e-9 * float(np.max(np.abs(eta)) or 1.0)
    rising = np.diff(eta) > tol
    if not rising[0]:
        return 0
    stop = np.flatnonzero(~rising)
    return int(stop[0]) if stop.size else eta.size - 1


@dataclass(frozen=True)
class LossCurve:
    """Sparse loss observations plus the full per-step learning-rate schedule.

    Parameters
    ----------
    step : array of int
        Strictly increasing steps at which the loss was logged (``0 <= step < len(lrs)``).
    loss : array of float
        Logged loss values (finite, positive).
    lrs : array of float
        Learning rate of every step ``0..K-1``, warmup included (finite, ``>= 0``).
    name : str
        A label (file name or run id) used in tables and JSON output.
    warmup : int, optional
        Warmup length; detected with :func:`detect_warmup` when omitted.
    meta : dict
        Provenance (file, how the schedule was obtained, smoothing applied, ...).

    Examples
    --------
    >>> import numpy as np
    >>> lrs = np.r_[np.linspace(0, 1e-3, 100), np.full(900, 1e-3)]
    >>> c = LossCurve(step=[200, 600, 999], loss=[3.2, 3.0, 2.9], lrs=lrs, name="demo")
    >>> c.warmup, c.total_steps
    (99, 1000)
    """

    step: np.ndarray
    loss: np.ndarray
    lrs: np.ndarray
    name: str = ""
    warmup: int | None = None
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        label = self.name or "curve"
        step = np.asarray(self.step)
        loss = np.asarray(self.loss, dtype=float)
        lrs = np.asarray(self.lrs, dtype=float)
        if step.ndim != 1 or loss.ndim != 1 or step.size != loss.size:
            raise ValueError(
                f"{label}: step and loss must be 1-d arrays of the same length "
                f"(got shapes {step.shape} and {loss.shape})"
            )
        if step.size == 0:
            raise ValueError(f"{label}: no loss points")
        if not np.all(np.isfinite(step)) or np.any(step != np.round(step)):
            raise ValueError(f"{label}: steps must be integers")
        step = step.astype(np.int64)
        _check_steps(step, label)
        bad = ~np.isfinite(loss) | (loss <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{label}: loss at step {int(step[i])} is {float(loss[i])!r}; losses must be finite and > 0"
            )
        if lrs.ndim != 1 or lrs.size == 0:
            raise ValueError(
                f"{label}: lrs must be a non-empty 1-d array of per-step learning rates"
            )
        badlr = ~np.isfinite(lrs) | (lrs < 0)
        if badlr.any():
            k = int(np.flatnonzero(badlr)[0])
            raise ValueError(
                f"{label}: learning rate at step {k} is {float(lrs[k])!r}; expected finite and >= 0"
            )
        if step[0] < 0 or step[-1] >= lrs.size:
            raise ValueError(
                f"{label}: loss steps span [{int(step[0])}, {int(step[-1])}] but the schedule "
                f"covers steps 0..{lrs.size - 1}; give the learning rate of every step up to the last"
            )
        for arr in (step, loss, lrs):
            arr.setflags(write=False)
        object.__setattr__(self, "step", step)
        object.__setattr__(self, "loss", loss)
        object.__setattr__(self, "lrs", lrs)
        w = detect_warmup(lrs) if self.warmup is None else int(self.warmup)
        object.__setattr__(self, "warmup", w)

    @property
    def total_steps(self) -> int:
        """``K``, the number of steps in the schedule."""
        return int(self.lrs.size)

    @property
    def lr_area(self) -> np.ndarray:
        """``S_t = sum_{tau <= t} lrs[tau]`` at the logged steps."""
        return np.cumsum(self.lrs)[self.step]

    def after(self, min_step: int) -> LossCurve:
        """The same curve with loss points before ``min_step`` dropped (schedule kept)."""
        keep = self.step >= int(min_step)
        if not keep.any():
            raise ValueError(f"{self.name or 'curve'}: no loss points at or after step {min_step}")
        return replace(self, step=self.step[keep], loss=self.loss[keep])

    def post_warmup(self) -> LossCurve:
        """Loss points after the warmup ramp only (the fitting protocol of refs [40, 61])."""
        return self.after(self.warmup + 1) if self.warmup else self

    def truncate(self, total_steps: int) -> LossCurve:
        """Keep only steps ``< total_steps`` (schedule and loss points)."""
        n = int(total_steps)
        return replace(
            self, lrs=self.lrs[:n], step=self.step[self.step < n], loss=self.loss[self.step < n]
        )

    def with_loss(self, loss, **meta) -> LossCurve:
        return replace(self, loss=np.asarray(loss, dtype=float), meta={**self.meta, **meta})


def _check_steps(step: np.ndarray, label: str) -> None:
    d = np.diff(step)
    if (d == 0).any():
        i = int(np.flatnonzero(d == 0)[0])
        raise ValueError(f"{label}: duplicated step {int(step[i])} (each step must appear once)")
    if (d < 0).any():
        i = int(np.flatnonzero(d < 0)[0])
        raise ValueError(
            f"{label}: steps are not sorted (step {int(step[i + 1])} follows {int(step[i])})"
        )


def _read_columns(path: Path, wanted: list[str], optional: tuple[str, ...] = ()) -> dict:
    """Read numeric columns from a CSV file with one-line errors naming the file."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise ValueError(f"{path}: empty file (expected a header {','.join(wanted)})") from None
        missing = [c for c in wanted if c not in header]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(header)})"
            )
        cols = {c: header.index(c) for c in wanted + [c for c in optional if c in header]}
        out = {c: [] for c in cols}
        for lineno, row in enumerate(reader, start=2):
            if not row or all(not x.strip() for x in row):
                continue
            for c, j in cols.items():
                raw = row[j].strip() if j < len(row) else ""
                try:
                    val = float(raw)
                except ValueError:
                    raise ValueError(
                        f"{path}: line {lineno}: {c}={raw!r} is not a number"
                    ) from None
                if math.isnan(val) and c in wanted:
                    raise ValueError(f"{path}: line {lineno}: {c} is NaN")
                out[c].append(val)
    if not out[wanted[0]]:
        raise ValueError(f"{path}: no data rows")
    return {c: np.array(v, dtype=float) for c, v in out.items()}


def _lrs_from_logged(step: np.ndarray, lr: np.ndarray, total: int) -> np.ndarray:
    """Per-step learning rates from a logged ``lr`` column (dense, or interpolated if sparse)."""
    if step[0] == 0 and np.all(np.diff(step) == 1) and step.size == total:
        return lr.copy()
    # sparse log: linear interpolation between logged steps, and a linear warmup from 0
    # before the first logged step (documented assumption; pass ``lrs=`` to override)
    xs = np.concatenate([[0.0], step]) if step[0] > 0 else step.astype(float)
    ys = np.concatenate([[0.0], lr]) if step[0] > 0 else lr
    return np.interp(np.arange(total, dtype=float), xs, ys)


def read_loss_csv(
    path,
    *,
    lrs=None,
    total_steps: int | None = None,
    name: str | None = None,
    warmup: int | None = None,
    step_column: str = "step",
    lr_column: str = "lr",
    loss_column: str = "loss",
) -> LossCurve:
    """Read a ``step,lr,loss`` CSV file into a :class:`LossCurve`.

    Parameters
    ----------
    path : str or Path
        The file.  Columns ``step`` and ``loss`` are required; ``lr`` is required unless
        ``lrs`` is given.
    lrs : array, Schedule, str or Path, optional
        The per-step learning rates, given separately from the (sparse) loss points: an
        array ``eta_0..eta_{K-1}``, a :class:`~fsltheory.Schedule` (evaluated for
        ``total_steps`` or ``last step + 1`` steps), or a CSV file with an ``lr`` column
        (one row per step).  Without it the ``lr`` column is used: as is when it covers
        every step, otherwise interpolated linearly between logged steps, with a linear
        ramp from 0 before the first one (step changes between two logged steps are then
        smeared; pass ``lrs`` to be exact).
    total_steps : int, optional
        Schedule length when it cannot be read off (default: last logged step + 1).

    Raises
    ------
    ValueError
        One line naming the file and the problem: missing column, NaN or non-numeric
        entry, unsorted or duplicated steps, non-positive loss.
    """
    from fsltheory.schedules import ArraySchedule, Schedule

    path = Path(path)
    need = [step_column, loss_column] + ([lr_column] if lrs is None else [])
    cols = _read_columns(path, need, optional=(lr_column,))
    step = cols[step_column]
    badmask = ~np.isfinite(step) | (step != np.round(step)) | (step < 0)
    if badmask.any():
        bad = float(step[badmask][0])
        raise ValueError(f"{path}: step {bad!r} is not a non-negative integer")
    # the per-step learning rates are one float64 per step up to the last logged one
    check_memory("step", float(step.max()), 8.0 * 3 * (float(step.max()) + 1))
    step = step.astype(np.int64)
    _check_steps(step, str(path))
    total = int(step[-1]) + 1 if total_steps is None else int(total_steps)
    meta = {"file": str(path)}
    if lrs is None:
        eta = _lrs_from_logged(step, cols[lr_column], total)
        meta["lr_source"] = "lr column" + ("" if eta.size == step.size else " (interpolated)")
    elif isinstance(lrs, Schedule) and not isinstance(lrs, ArraySchedule):
        eta = lrs.lrs(total)
        meta["lr_source"] = lrs.spec()
    elif isinstance(lrs, str | Path):
        eta = ArraySchedule.from_csv(lrs).lrs()
        meta["lr_source"] = str(lrs)
    else:
        eta = np.asarray(lrs.lrs() if isinstance(lrs, ArraySchedule) else lrs, dtype=float)
        meta["lr_source"] = "array"
    return LossCurve(
        step=step,
        loss=cols[loss_column],
        lrs=eta,
        name=name if name is not None else path.name,
        warmup=warmup,
        meta=meta,
    )


def write_loss_csv(path, step, lr, loss, *, extra: dict | None = None, force: bool = False) -> Path:
    """Write ``step,lr,loss[,extra...]`` rows (refuses to overwrite without ``force``)."""
    path = prepare_output(path, force=force)
    extra = extra or {}
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["step", "lr", "loss", *extra])
        for i, (s, e, v) in enumerate(zip(step, lr, loss, strict=True)):
            w.writerow(
                [
                    int(s),
                    repr(float(e)),
                    repr(float(v)),
                    *(repr(float(x[i])) for x in extra.values()),
                ]
            )
    return path


def parse_smoothing(spec) -> tuple[str, float] | None:
    """``None``/``"none"``, ``"ema:SPAN"`` or ``"rolling:WINDOW"`` -> ``(kind, size)``."""
    if spec is None or spec == "none" or spec == ("none", 0):
        return None
    if isinstance(spec, tuple | list):
        kind, size = spec
    else:
        kind, _, size = str(spec).partition(":")
    if kind not in ("ema", "rolling"):
        raise ValueError(
            f"smoothing={spec!r} is invalid: expected 'ema:SPAN', 'rolling:WINDOW' or 'none'"
        )
    try:
        size = float(size)
    except ValueError:
        raise ValueError(f"smoothing={spec!r} is invalid: the size must be a number") from None
    if not size >= 1:
        raise ValueError(f"smoothing={spec!r} is invalid: expected a size >= 1 (in logged points)")
    return kind, size


def smooth_loss(curve: LossCurve, smoothing) -> LossCurve:
    """Smooth a curve's loss values (the same transform is applied in fitting and evaluation).

    ``ema:SPAN`` is the bias-corrected exponential moving average with ``alpha = 2/(SPAN+1)``
    over logged points (it lags on a falling curve); ``rolling:W`` is a centred moving mean
    over ``W`` points, shrinking at the ends (no lag).  ``None`` returns the curve unchanged.
    """
    spec = parse_smoothing(smoothing)
    if spec is None:
        return curve
    kind, size = spec
    y = curve.loss
    if kind == "ema":
        a = 2.0 / (size + 1.0)
        out = np.empty_like(y)
        m, norm = 0.0, 0.0
        for i, v in enumerate(y):
            m = (1 - a) * m + a * v
            norm = (1 - a) * norm + a
            out[i] = m / norm
    else:
        half = int(size) // 2
        c = np.concatenate([[0.0], np.cumsum(y)])
        lo = np.maximum(np.arange(y.size) - half, 0)
        hi = np.minimum(np.arange(y.size) + half + 1, y.size)
        out = (c[hi] - c[lo]) / (hi - lo)
    return curve.with_loss(out, smoothing=f"{kind}:{size:g}")
