"""Loaders for the two public loss-curve data sets the surrogate is validated on.

* **Multi-power law (MPL) curves** (Luo et al. 2025, arXiv 2503.12811; MIT licence): 25M, 100M
  and 400M models, ``step,lr,loss`` files logged every ~128 steps after a 2160-step warmup.
  The per-step schedule is regenerated from the file name with the formulas of the official
  code (``linspace(0, 3e-4, 2160)`` warmup, then constant / cosine to 3e-5 / WSD with
  geometric or linear decay from step 20000 / two-stage 3e-4 -> eta_B at step 8000) and
  checked against the logged ``lr`` column.  A copy ships in ``fsltheory/data/multipowerlaw``.
* **Schaipp, Hägele et al. (ICML 2025)** W&B logs (MIT licence): ``runs.csv``, ``val.csv``,
  ``train.csv``.  Cooldown branches resumed from a constant-LR parent are spliced onto the
  parent's stable phase; the per-step schedule is the logged train ``lr`` (ground truth, per
  the data set's notes) interpolated between its 50-step log points.  A small extract (the
  124M, peak 1e-3, 50k-step cooldown sweep) ships in ``fsltheory/data/schaipp``.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from fsltheory._util.validate import check_choice, check_memory
from fsltheory.surrogate.curves import LossCurve, _read_columns

__all__ = [
    "MPL_TRAIN",
    "MPL_TEST",
    "MPL_PUBLISHED_METRICS",
    "MPL_PUBLISHED_PARAMS",
    "mpl_schedule",
    "read_mpl_curve",
    "load_mpl_curves",
    "data_path",
    "SchaippRuns",
]

#: MPL protocol (official ``src/config.py``): fit on these ...
MPL_TRAIN = ("cosine_24000", "constant_24000", "wsdcon_9")
#: ... and predict these
MPL_TEST = (
    "constant_72000",
    "cosine_72000",
    "wsd_20000_24000",
    "wsdld_20000_24000",
    "wsdcon_3",
    "wsdcon_18",
)
#: MPL's published test metrics (repository README), averaged over the six test curves
MPL_PUBLISHED_METRICS = {
    25: {"r2": 0.9988, "mae": 0.00376, "rmse": 0.00465, "prede": 0.00110, "worste": 0.00409},
    100: {"r2": 0.9983, "mae": 0.00435, "rmse": 0.00592, "prede": 0.00142, "worste": 0.00583},
    400: {"r2": 0.9978, "mae": 0.00484, "rmse": 0.00730, "prede": 0.00168, "worste": 0.00995},
}
#: MPL's published fitted parameters ``(L0, A, alpha, B, C, beta, gamma)`` (``src/config.py``)
MPL_PUBLISHED_PARAMS = {
    25: (3.04045406, 0.52468604, 0.50786857, 363.78751622, 2.06560812, 0.58279013, 0.64142257),
    100: (2.6514477, 0.60115152, 0.45295811, 437.9464276, 2.13245612, 0.59785199, 0.65523644),
    400: (2.37474466, 0.65421216, 0.42878731, 523.42464371, 2.02462735, 0.59350493, 0.63472457),
}

_MPL_WARMUP, _MPL_PEAK, _MPL_END = 2160, 3e-4, 3e-5


def data_path(*parts: str) -> Path:
    """Path of a file shipped in ``fsltheory/data`` (e.g. ``data_path("multipowerlaw")``)."""
    return Path(str(resources.files("fsltheory").joinpath("data", *parts)))


def mpl_schedule(name: str) -> np.ndarray:
    """Per-step learning rates of an MPL run, regenerated from its file name.

    ``name`` is e.g. ``"cosine_24000"``, ``"wsd_20000_24000"`` or ``"wsdcon_9"`` (with or
    without ``.csv``).  The formulas are those of the official ``src/lr_schedules.py``.
    """
    stem = Path(name).name.removesuffix(".csv")
    W, a, b = _MPL_WARMUP, _MPL_PEAK, _MPL_END

    def horizon(total: int, decay_start: int = W) -> int:
        # the schedule is one float64 per step, built from about four work arrays of that
        # length (step index, decay fraction, decay, the concatenation)
        check_memory(f"{stem}: total steps", total, 4 * 8.0 * total)
        if not W <= decay_start <= total:
            raise ValueError(
                f"{stem!r} is invalid: expected warmup {W} <= decay start {decay_start} <= "
                f"total steps {total}"
            )
        return total

    warm = np.linspace(0.0, a, W)
    m = re.fullmatch(r"(cosine|constant)_(\d+)", stem)
    if m:
        total = horizon(int(m.group(2)))
        k = np.arange(W, total)
        if m.group(1) == "constant":
            return np.concatenate([warm, np.full(total - W, a)])
        return np.concatenate(
            [warm, b + 0.5 * (a - b) * (1 + np.cos(np.pi * (k - W) / (total - W)))]
        )
    m = re.fullmatch(r"(wsd|wsdld)_(\d+)_(\d+)", stem)
    if m:
        D, total = int(m.group(2)), int(m.group(3))
        horizon(total, D)
        k = np.arange(D, total)
        v = (k - D) / (total - D)
        decay = a ** (1 - v) * b**v if m.group(1) == "wsd" else a * (1 - v) + b * v
        return np.concatenate([warm, np.full(D - W, a), decay])
    m = re.fullmatch(r"wsdcon_(\d+)", stem)
    if m:
        lr_b = int(m.group(1)) * 1e-5
        return np.concatenate([warm, np.full(8000 - W, a), np.full(16000 - 8000, lr_b)])
    raise ValueError(
        f"{name!r} is not an MPL run name: expected cosine_T, constant_T, wsd_D_T, wsdld_D_T or wsdcon_X"
    )


def read_mpl_curve(path) -> LossCurve:
    """Read one MPL ``csv_*/NAME.csv`` file with its regenerated per-step schedule.

    The official loader drops a row at step ``>= total`` (one past the last step of a
    24k-step run) if present; so do we.  The regenerated schedule must match the logged
    ``lr`` column at every logged step.
    """
    path = Path(path)
    lrs = mpl_schedule(path.name)
    cols = _read_columns(path, ["step", "lr", "loss"])
    raw = cols["step"]
    bad = ~(np.isfinite(raw) & (raw >= 0) & (raw == np.round(raw)))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{path}: step={raw[k]!r} (row {k + 1}) is invalid: expected an integer >= 0"
        )
    keep = raw < lrs.size
    step = np.where(keep, raw, 0).astype(np.int64)
    step, loss, logged = step[keep], cols["loss"][keep], cols["lr"][keep]
    if not np.allclose(lrs[step], logged, rtol=1e-9, atol=0):
        k = int(np.flatnonzero(~np.isclose(lrs[step], logged, rtol=1e-9, atol=0))[0])
        raise ValueError(
            f"{path}: lr column ({logged[k]!r} at step {int(step[k])}) does not match the "
            f"schedule named by the file ({lrs[step[k]]!r})"
        )
    if step.size == 0:
        raise ValueError(f"{path}: no rows with step < {lrs.size} (the run's total steps)")
    return LossCurve(
        step=step,
        loss=loss,
        lrs=lrs,
        name=path.stem,
        warmup=_MPL_WARMUP - 1,
        meta={"file": str(path), "lr_source": "regenerated from the MPL file name"},
    )


def load_mpl_curves(size: int = 25, folder=None, names=None) -> dict[str, LossCurve]:
    """The MPL curves for one model size (25, 100 or 400), keyed by run name.

    ``folder`` defaults to the copy shipped with fsltheory (``csv_<size>`` inside it).
    """
    check_choice("size", int(size), (25, 100, 400))
    base = Path(folder) if folder is not None else data_path("multipowerlaw")
    sub = base / f"csv_{int(size)}"
    if not sub.is_dir():
        raise FileNotFoundError(f"{sub}: no such folder")
    names = names or (*MPL_TRAIN, *MPL_TEST)
    out = {}
    for n in names:
        out[n] = read_mpl_curve(sub / f"{n}.csv")
    return out


# --------------------------------------------------------------------- Schaipp et al.
@dataclass
class SchaippRuns:
    """The Schaipp et al. training-log extract: run table, validation and train-lr series.

    Use :meth:`load` on a folder holding ``runs.csv``, ``val.csv`` and ``train.csv`` (the full
    shared extract or the small copy in ``fsltheory/data/schaipp``) and :meth:`curve` to get a
    spliced :class:`LossCurve` of validation loss.
    """

    runs: dict[int, dict]
    val: dict[int, tuple[np.ndarray, np.ndarray]]
    lr: dict[int, tuple[np.ndarray, np.ndarray]]
    folder: str = ""

    @classmethod
    def load(cls, folder=None) -> SchaippRuns:
        folder = Path(folder) if folder is not None else data_path("schaipp")
        for f in ("runs.csv", "val.csv", "train.csv"):
            if not (folder / f).is_file():
                raise FileNotFoundError(f"{folder / f}: no such file")
        with (folder / "runs.csv").open(newline="") as fh:
            runs = {int(r["run_id"]): r for r in csv.DictReader(fh)}
        val = cls._series(folder / "val.csv", "val_loss")
        lr = cls._series(folder / "train.csv", "lr")
        return cls(runs=runs, val=val, lr=lr, folder=str(folder))

    @staticmethod
    def _series(path: Path, col: str) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """run_id -> (iters, values); for repeated iters the last logged value wins."""
        acc: dict[int, dict[int, float]] = defaultdict(dict)
        with path.open(newline="") as fh:
            for r in csv.DictReader(fh):
                v = r.get(col, "")
                if v in ("", "nan", "NaN"):
                    continue
                acc[int(r["run_id"])][int(r["iter"])] = float(v)
        out = {}
        for rid, d in acc.items():
            it = np.array(sorted(d), dtype=np.int64)
            out[rid] = (it, np.array([d[i] for i in it]))
        return out

    # ------------------------------------------------------------------ queries
    def find(self, **criteria) -> list[int]:
        """Run ids whose ``runs.csv`` fields equal the given values (compared as text or number)."""
        out = []
        for rid, r in self.runs.items():
            ok = True
            for k, want in criteria.items():
                got = r.get(k, "")
                if isinstance(want, int | float) and not isinstance(want, bool):
                    try:
                        ok = ok and float(got) == float(want)
                    except ValueError:
                        ok = False
                else:
                    ok = ok and got == str(want)
            if ok:
                out.append(rid)
        return sorted(out)

    def start(self, run_id: int) -> int:
        """First logged iteration: 0 for runs from scratch, the branch point for cooldowns.

        The branch point is the first validation iteration (branches evaluate their
        checkpoint first); without validation points, one train-log interval (50) before the
        first train iteration.
        """
        if run_id in self.val:
            s = int(self.val[run_id][0][0])
        elif run_id in self.lr:
            s = int(self.lr[run_id][0][0]) - 50
        else:
            raise ValueError(f"run {run_id}: no validation or train log")
        return 0 if s <= 50 else s

    @staticmethod
    def _family(group: str) -> str:
        return group.split("/")[0] if "/" in group else "main"

    def parent(self, run_id: int) -> int:
        """The constant-LR run a cooldown branch was resumed from.

        Candidates: same data set, architecture, batch and peak LR; trained from scratch; the
        logged learning rate at the branch point equals the peak.  Preference: the same group
        family (``grad_norm/...`` branches come from ``grad_norm/stable-124m``, plain
        ``ann*`` branches from ``stable-*`` or ``sl`` runs), then the closest validation loss
        at the branch point (a branch evaluates its parent's checkpoint first), then a
        constant-LR run.
        """
        r = self.runs[run_id]
        s0 = self.start(run_id)
        keys = (
            "dataset",
            "model",
            "n_layer",
            "n_head",
            "n_embd",
            "sequence_length",
            "batch_size",
            "acc_steps",
        )
        v_it, v = self.val.get(run_id, (np.empty(0, dtype=np.int64), np.empty(0)))
        first = float(v[0]) if v.size and v_it[0] == s0 else None
        cands = []
        for rid, q in self.runs.items():
            if rid == run_id or any(q[k] != r[k] for k in keys):
                continue
            if float(q["lr"]) != float(r["lr"]) or rid not in self.lr or self.start(rid) != 0:
                continue
            it, lr = self.lr[rid]
            if it[-1] < s0 or not np.isclose(np.interp(s0, it, lr), float(r["lr"]), rtol=1e-6):
                continue
            gap = 1.0
            if first is not None and rid in self.val:
                pit, pv = self.val[rid]
                at = np.flatnonzero(pit == s0)
                if at.size:
                    gap = abs(float(pv[at[0]]) - first)
            fam = self._family(q["group"]) != self._family(r["group"])
            stable = float(q["wsd_fract_decay"] or 0) == 0.0
            cands.append((fam, round(gap, 6), not stable, rid))
        if not cands:
            raise ValueError(f"run {run_id}: no constant-LR parent found to splice the branch onto")
        return sorted(cands)[0][3]

    def curve(self, run_id: int, *, splice: bool = True, min_step: int = 0) -> LossCurve:
        """Validation-loss curve of a run with its per-step learning rate.

        Branches (runs whose log starts mid-training) are spliced onto their parent's
        stable phase: the parent's validation points and learning rates before the branch
        point, the branch's from it on.
        """
        if run_id not in self.runs:
            raise ValueError(f"run_id={run_id!r} is not in {self.folder or 'the run table'}")
        r = self.runs[run_id]
        it_v, v = self.val[run_id]
        it_l, lr = self.lr[run_id]
        s0 = self.start(run_id)
        meta = {"run_id": run_id, "group": r["group"], "source": self.folder}
        if s0 > 0:
            if not splice:
                raise ValueError(f"run {run_id} starts at step {s0}; pass splice=True")
            p = self.parent(run_id)
            pv_it, pv = self.val[p]
            pl_it, pl = self.lr[p]
            m = pv_it < s0
            it_v, v = np.concatenate([pv_it[m], it_v]), np.concatenate([pv[m], v])
            ml = pl_it <= s0
            it_l, lr = (
                np.concatenate([pl_it[ml], it_l[it_l > s0]]),
                np.concatenate([pl[ml], lr[it_l > s0]]),
            )
            meta.update(parent=p, branch_step=s0)
        total = max(int(r["iterations"] or 0), int(it_v[-1]) + 1)
        xs = np.concatenate([[0], it_l]) if it_l[0] > 0 else it_l
        ys = np.concatenate([[0.0], lr]) if it_l[0] > 0 else lr
        lrs = np.interp(np.arange(total, dtype=float), xs.astype(float), ys)
        keep = (it_v >= min_step) & (it_v < total)
        name = r["wandb_name"] if r.get("wandb_name") else f"run{run_id}"
        return LossCurve(
            step=it_v[keep],
            loss=v[keep],
            lrs=lrs,
            name=name,
            warmup=int(float(r["warmup_steps"] or 0)),
            meta=meta,
        )

    def label(self, run_id: int) -> str:
        """A short human label: schedule, cooldown fraction/shape and horizon."""
        r = self.runs[run_id]
        T = int(r["iterations"])
        if r["scheduler"] == "cos":
            fin = float(r["cos_final_lr"] or 0)
            return f"cosine(final={'10%' if fin < 0 else f'{fin:g}'}) T={T}"
        f = float(r["wsd_fract_decay"] or 0)
        if f == 0:
            return f"constant T={T}"
        shape = "1-sqrt" if r["decay_type"] == "sqrt" else "linear"
        return f"wsd {shape} cooldown={f:g} T={T}"
