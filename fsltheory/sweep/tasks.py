"""One sweep task = one (s, beta) point x one schedule family; what it computes and its key.

Two kinds:

``exact``
    The derived loss exponent and regime (SymPy, the symbolic result cached per schedule
    and budget in each process), the measured log-log slope from
    :func:`fsltheory.measure_scaling` on the exact engine with the derived log factor
    divided out (as ``fsl report`` and ``tests/test_slopes.py`` do), their difference, and
    the tuned hyper-parameters at every budget.
``mc``
    Monte-Carlo SGD with ``M`` random features (:func:`fsltheory.simulate_sgd`) against the
    exact risk of the top-``M`` model, same schedule and learning rate: where the two agree
    the random-feature model scales like the top-M one (Lemma 4.7).

A task is a frozen, picklable dataclass; :meth:`SweepTask.key` hashes everything its result
depends on (including :data:`SWEEP_VERSION`, bumped when a computation changes), so a
stored result is reused exactly when it would be recomputed identically.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from functools import cache, lru_cache

import numpy as np

from fsltheory.schedules import Schedule

__all__ = [
    "SWEEP_VERSION",
    "KINDS",
    "EXACT_SETTINGS",
    "MC_SETTINGS",
    "SweepTask",
    "derived",
    "compute",
    "boundary_s",
]

#: bump when what a task computes changes: old results then stop matching their keys
SWEEP_VERSION = 1
KINDS = ("exact", "mc")
#: settings of the exact-engine tuner (those of fsltheory.measure_scaling)
EXACT_SETTINGS = {"sigma2": 1.0, "batch": 1, "xatol": 0.02, "peak_cap": None}
#: Monte-Carlo sizes: small, so a grid of tasks takes seconds each
MC_SETTINGS = {
    "sigma2": 1.0,
    "M": 32,
    "N": 256,
    "steps": 2000,
    "runs": 100,
    "peak_fraction": 0.5,  # of the tuner's cap (and of the random model's stability limit)
    "records": 20,
}


def boundary_s(beta):
    """The regime boundary ``s = 1 - 1/beta`` (Section 5: easy above, hard below)."""
    return 1.0 - 1.0 / np.asarray(beta, dtype=float)


@dataclass(frozen=True)
class SweepTask:
    """One (point, schedule) task of a sweep.

    ``budgets`` are data sizes ``D`` (``budget='data'``) or compute ``C = M D``
    (``'compute'``); ``settings`` override :data:`EXACT_SETTINGS` / :data:`MC_SETTINGS`.
    """

    s: float
    beta: float
    schedule: str
    template: Schedule
    budget: str = "data"
    budgets: tuple[float, ...] = ()
    kind: str = "exact"
    settings: dict = field(default_factory=dict, hash=False, compare=False)

    def resolved_settings(self) -> dict:
        base = EXACT_SETTINGS if self.kind == "exact" else MC_SETTINGS
        return {**base, **self.settings}

    def identity(self) -> dict:
        """Everything the result depends on, as plain JSON values."""
        from fsltheory.measure import CAP_TIMES_TRACE

        return {
            "version": SWEEP_VERSION,
            "kind": self.kind,
            "s": float(self.s),
            "beta": float(self.beta),
            "schedule": self.schedule,
            "spec": self.template.spec(),
            "budget": self.budget if self.kind == "exact" else None,
            "budgets": [float(b) for b in self.budgets] if self.kind == "exact" else None,
            "settings": self.resolved_settings(),
            "cap_times_trace": CAP_TIMES_TRACE,
        }

    def key(self) -> str:
        text = json.dumps(self.identity(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:20]


@cache
def _symbolic(template: Schedule, budget: str):
    """The Piecewise result over (s, beta): derived once per family and budget per process."""
    from fsltheory.symbolic.scaling import derive_scaling

    return derive_scaling(template, budget)


@lru_cache(maxsize=4096)
def derived(template: Schedule, budget: str, s: float, beta: float) -> dict:
    """Derived loss exponent and regime at ``(s, beta)`` (exact strings and floats)."""
    res = _symbolic(template, budget).at(beta=beta, s=s)
    loss = res.loss
    region = res.regions[0]
    return {
        "regime": str(res.regime),
        "region": str(region.regime),
        "derived_power": float(loss.power),
        "derived_log": float(loss.log),
        "derived_power_exact": str(loss.power),
        "derived_log_exact": str(loss.log),
        "derived_lr_power": float(res.lr.power) if res.lr.relation != "inf" else math.nan,
    }


def _common(task: SweepTask) -> dict:
    return {
        "key": task.key(),
        "kind": task.kind,
        "s": float(task.s),
        "beta": float(task.beta),
        "schedule": task.schedule,
        "spec": task.template.spec(),
        "boundary_distance": float(task.s - boundary_s(task.beta)),
    }


def _compute_exact(task: SweepTask) -> dict:
    from fsltheory.measure import measure_scaling, resolving_budgets

    cfg = task.resolved_settings()
    d = derived(task.template, task.budget, task.s, task.beta)
    budgets = list(task.budgets)
    if cfg.get("resolve") and task.budget == "data":
        budgets = resolving_budgets(
            task.beta,
            task.s,
            task.template,
            budgets,
            max_budget=float(cfg["resolve"]),
            sigma2=cfg["sigma2"],
            peak_cap=cfg["peak_cap"],
            xatol=cfg["xatol"],
            # the derived optimal peak falls with the budget: a peak on the cap is not yet
            # the easy regime's optimum
            off_cap=d["derived_lr_power"] < 0,
        )
    m = measure_scaling(
        task.beta,
        task.s,
        task.template,
        budgets,
        budget=task.budget,
        sigma2=cfg["sigma2"],
        log_power=d["derived_log"],
        batch=cfg["batch"],
        peak_cap=cfg["peak_cap"],
        xatol=cfg["xatol"],
    )
    pts = m.points
    return {
        **d,
        "budget": task.budget,
        "budgets": [float(p.budget) for p in pts],
        "measured_slope": m.slope,
        "difference": m.slope - d["derived_power"],
        "lower_slope": m.lower_slope,
        "upper_slope": m.upper_slope,
        "risks": [float(p.risk) for p in pts],
        "peaks": [float(p.peak) for p in pts],
        "decays": [math.nan if p.decay is None else float(p.decay) for p in pts],
        "widths": [float(p.M) for p in pts],
        "data": [float(p.D) for p in pts],
        "evaluations": int(sum(p.evaluations for p in pts)),
    }


def _compute_mc(task: SweepTask) -> dict:
    from fsltheory.exact import expected_risk, max_stable_lr
    from fsltheory.measure import _instantiate, default_peak_cap
    from fsltheory.model import PowerLawModel
    from fsltheory.sgd import simulate_sgd

    cfg = task.resolved_settings()
    d = derived(task.template, "data", task.s, task.beta)
    seed = int(task.key()[:8], 16)
    kw = {"beta": task.beta, "s": task.s, "sigma2": cfg["sigma2"], "M": cfg["M"], "N": cfg["N"]}
    top = PowerLawModel(**kw, features="top")
    rnd = PowerLawModel(**kw, features="random")
    W = rnd.random_projection(seed)
    K = int(cfg["steps"])
    peak = cfg["peak_fraction"] * min(
        default_peak_cap(task.beta), max_stable_lr(top), max_stable_lr(rnd, W=W)
    )
    sched = _instantiate(task.template, peak, K, getattr(task.template, "decay", None))
    record = np.unique(np.round(np.geomspace(1, K, int(cfg["records"]))).astype(int))
    exact = expected_risk(top, sched, K, record=record)
    mc = simulate_sgd(rnd, sched, K, runs=int(cfg["runs"]), rng=seed, record=record, W=W)
    ex, mv, se = exact.excess_risk, mc.excess_risk, mc.excess_risk_se
    rel = (mv - ex) / ex
    late = exact.step >= max(2, K // 10)  # the last decade of steps: the scaling regime
    x = np.log(exact.step[late])
    slopes = [float(np.polyfit(x, np.log(y[late]), 1)[0]) for y in (ex, mv)]
    return {
        "regime": d["regime"],
        "region": d["region"],
        "steps": K,
        "peak": float(peak),
        "record": [float(x) for x in exact.step],
        "exact_top": [float(x) for x in ex],
        "mc_random": [float(x) for x in mv],
        "mc_random_se": [float(x) for x in se],
        "final_rel_diff": float(rel[-1]),
        "max_abs_rel_diff": float(np.max(np.abs(rel[1:]))),
        "final_z": float((mv[-1] - ex[-1]) / se[-1]),
        "exact_top_slope": slopes[0],
        "mc_random_slope": slopes[1],
        "slope_difference": slopes[1] - slopes[0],
    }


def compute(task: SweepTask) -> dict:
    """Run one task; returns its result row (plain Python values)."""
    t0 = time.perf_counter()
    body = _compute_exact(task) if task.kind == "exact" else _compute_mc(task)
    return {**_common(task), **body, "seconds": time.perf_counter() - t0}


def replace_settings(task: SweepTask, **settings) -> SweepTask:
    return dataclasses.replace(task, settings={**task.settings, **settings})
