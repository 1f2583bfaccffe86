"""Tuned baseline schedules: each family's peak (and WSD's decay fraction) optimised on the
same objective as the free-form schedule, so that the comparison is fair (issue #9).

Families: constant, cosine (to 0), linear (to 0), power decay ``(1 - k/K)^p`` for
``p = 1..5`` (to 0), and WSD with each decay shape (exponential to ``peak/1000``, linear,
cosine and 1-sqrt to 0).  The peak is searched in ``log`` over ``[cap 1e-4, cap]`` with a
bounded Brent search (the final risk is unimodal in the peak for these families in all our
runs); for WSD the decay fraction is first scanned on a coarse grid (the objective is a
step function of the integer decay length, so a derivative-free scan is safer than a local
search) and then refined by a bounded search around the best grid point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar

from fsltheory._util.validate import check_choice
from fsltheory.schedules import WSD, Constant, Cosine, Linear, Power

__all__ = ["TunedBaseline", "tune_baselines", "BASELINE_NAMES", "baseline_lrs"]

#: exponential WSD decays to this fraction of its peak (it cannot reach 0)
EXP_FINAL = 1e-3
#: lowest peak searched, relative to the cap
PEAK_RANGE = 1e-4
#: Brent tolerance in log(peak): 0.3% of the peak, far below the optimum's flatness
LOG_PEAK_TOL = 3e-3
#: coarse grid of WSD decay fractions before the local refinement
DECAY_GRID = (0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 1.0)
WSD_SHAPES = ("exponential", "linear", "cosine", "1-sqrt")

BASELINE_NAMES = (
    "constant",
    "cosine",
    "linear",
    *(f"power-{p}" for p in range(1, 6)),
    *(f"wsd-{s}" for s in WSD_SHAPES),
)


def baseline_lrs(name: str, steps: int, peak: float, decay: float | None = None) -> np.ndarray:
    """Per-step learning rates of baseline ``name`` (one of :data:`BASELINE_NAMES`)."""
    if name == "constant":
        return Constant(peak=peak).lrs(steps)
    if name == "cosine":
        return Cosine(peak=peak, final=0.0).lrs(steps)
    if name == "linear":
        return Linear(peak=peak, final=0.0).lrs(steps)
    if name.startswith("power-"):
        return Power(peak=peak, p=float(name[6:]), final=0.0).lrs(steps)
    if name.startswith("wsd-"):
        shape = name[4:]
        final = EXP_FINAL * peak if shape == "exponential" else 0.0
        return WSD(peak=peak, decay=decay, final=final, shape=shape).lrs(steps)
    check_choice("name", name, BASELINE_NAMES)  # raises: every valid name returned above
    raise AssertionError(name)


@dataclass
class TunedBaseline:
    """One tuned baseline: ``params`` (``peak``, and ``decay`` for WSD) and its final risk."""

    name: str
    params: dict
    final_risk: float
    lrs: np.ndarray = field(repr=False)
    evaluations: int = 0


def _tune_peak(f, name, steps, cap, decay=None):
    """Bounded Brent search of ``log(peak)``; returns ``(peak, value, evaluations)``."""
    count = 0

    def g(u):
        nonlocal count
        count += 1
        return f(baseline_lrs(name, steps, math.exp(u), decay))

    hi = math.log(cap)
    res = minimize_scalar(
        g, bounds=(hi + math.log(PEAK_RANGE), hi), method="bounded", options={"xatol": LOG_PEAK_TOL}
    )
    best_u, best = float(res.x), float(res.fun)
    at_cap = g(hi)  # the bounded search never evaluates the end point itself
    if at_cap <= best:
        best_u, best = hi, at_cap
    return math.exp(best_u), best, count


def tune_baselines(f, steps: int, cap: float, names=BASELINE_NAMES) -> list[TunedBaseline]:
    """Tune every baseline in ``names`` on the objective ``f(lrs) -> final risk``.

    Parameters
    ----------
    f : callable
        The objective (the same one the free-form optimiser minimises).
    steps : int
        Horizon ``K``.
    cap : float
        Largest peak allowed (the stability bound times a safety factor, or a user cap).
    names : sequence of str
        Subset of :data:`BASELINE_NAMES`.

    Returns
    -------
    list of TunedBaseline
        In the order of ``names``.
    """
    out = []
    for name in names:
        if not name.startswith("wsd-"):
            peak, val, n = _tune_peak(f, name, steps, cap)
            params = {"peak": peak}
            lrs = baseline_lrs(name, steps, peak)
        else:
            results = {}

            def h(decay, name=name, results=results):
                decay = min(1.0, max(decay, 1.0 / steps))
                if decay not in results:
                    results[decay] = _tune_peak(f, name, steps, cap, decay)
                return results[decay][1]

            grid = [h(d) for d in DECAY_GRID]
            i = int(np.argmin(grid))
            lo = DECAY_GRID[max(i - 1, 0)]
            hi = DECAY_GRID[min(i + 1, len(DECAY_GRID) - 1)]
            minimize_scalar(h, bounds=(lo, hi), method="bounded", options={"xatol": 5e-3})
            decay = min(results, key=lambda d: results[d][1])
            peak, val, _ = results[decay]
            n = sum(r[2] for r in results.values())
            params = {"peak": peak, "decay": decay}
            lrs = baseline_lrs(name, steps, peak, decay)
        out.append(TunedBaseline(name, params, float(val), lrs, n))
    return out
