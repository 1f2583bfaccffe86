"""Measure optimal scaling numerically with the exact engine (issue #3 item 5).

For a budget ``D`` (data-limited, ``M = infinity``) or ``C = M D`` (compute-limited) the
hyper-parameters the theory optimises over are tuned *numerically* on the exact expected
risk of :func:`fsltheory.expected_risk`: the peak learning rate ``gamma`` (capped by the
stability limit, the numerical face of the paper's ``gamma <~ 1``), the decay fraction ``r``
for WSD, and the width ``M`` for compute budgets.  The optimal final risks over a sweep of
budgets give a log-log slope, which :mod:`fsltheory.symbolic` predicts; the two are compared
with the predicted log factor divided out.

This module never imports the symbolic engine: the comparison happens in the tests, the
book and ``fsl report``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

from fsltheory._util.validate import check_choice
from fsltheory.model import PowerLawModel
from fsltheory.schedules import Schedule

__all__ = [
    "TunedPoint",
    "SlopeMeasurement",
    "tune_data_limited",
    "tune_compute_limited",
    "default_peak_cap",
    "measure_scaling",
]

#: fraction of the stability limit used as the largest admissible peak learning rate
_STABILITY_MARGIN = 0.9
#: widths treated as "infinite" for data-limited budgets: M^beta far beyond any T reached
_M_INFINITE = 10**9
#: default cap on the peak, as a multiple of 1/tr(H): the numerical face of the paper's
#: ``gamma <~ 1`` (Assumption 4.1 asks for sup gamma below a small constant).  With
#: gamma tr(H) <= 1/4 the higher Volterra orders the FSL drops stay below ~25% of the first,
#: and a fixed cap cannot change any exponent.
CAP_TIMES_TRACE = 0.25


def default_peak_cap(beta: float) -> float:
    """``CAP_TIMES_TRACE / tr(H)`` with ``tr(H) = zeta(beta)`` (infinite width)."""
    return CAP_TIMES_TRACE / PowerLawModel(beta=beta, s=1.0).trace_H()


@dataclass(frozen=True)
class TunedPoint:
    """The numerically optimal configuration at one budget."""

    budget: float
    risk: float
    peak: float
    decay: float | None
    M: int
    D: int
    evaluations: int


@dataclass
class SlopeMeasurement:
    """Optimal final risk over a budget sweep and its fitted log-log slope."""

    budget: str
    points: list[TunedPoint]
    log_power: float = 0.0
    slope: float = field(init=False)
    lower_slope: float = field(init=False)
    upper_slope: float = field(init=False)

    def __post_init__(self):
        x = np.log([p.budget for p in self.points])
        y = self.corrected_log_risk()
        self.slope = float(stats.linregress(x, y).slope)
        half = max(2, (len(x) + 1) // 2)
        self.lower_slope = float(stats.linregress(x[:half], y[:half]).slope)
        self.upper_slope = float(stats.linregress(x[-half:], y[-half:]).slope)

    def corrected_log_risk(self) -> np.ndarray:
        """``log E_opt - log_power * log log(budget)``: the predicted log factor divided out."""
        b = np.array([p.budget for p in self.points], dtype=float)
        r = np.array([p.risk for p in self.points], dtype=float)
        return np.log(r) - self.log_power * np.log(np.log(b))

    def slope_of(self, attr: str) -> float:
        """Fitted log-log slope of a tuned hyper-parameter (``'peak'``, ``'M'``, ``'D'``...)."""
        x = np.log([p.budget for p in self.points])
        y = np.log([float(getattr(p, attr)) for p in self.points])
        return float(stats.linregress(x, y).slope)


def _instantiate(template: Schedule, peak: float, steps: int, decay: float | None) -> Schedule:
    """The template's family at a new peak (and decay fraction).

    Families whose theory uses the final value ``b = a / K`` (exponential decay and WSD with
    exponential decay, Theorems 5.3-5.4) get exactly that; other families keep their
    ``final / peak`` ratio.
    """
    kw: dict = {"peak": peak}
    names = {f.name for f in dataclasses.fields(template)}
    if "final" in names:
        exp_like = template.name == "exponential" or getattr(template, "shape", "") == "exponential"
        kw["final"] = peak / steps if exp_like else template.final * peak / template.peak
    if decay is not None:
        kw["decay"] = decay
    return dataclasses.replace(template, **kw)


def _final_risk(model, template, peak, steps, decay, batch) -> float:
    from fsltheory.exact import expected_risk  # the engine under test is a dependency only here

    sched = _instantiate(template, peak, steps, decay)
    curve = expected_risk(model, sched, steps, batch=batch, record=[steps])
    return curve.final


def tune_data_limited(
    model: PowerLawModel,
    template: Schedule,
    D: int,
    *,
    batch: int = 1,
    tune_decay: bool | None = None,
    peak_cap: float | None = None,
    xatol: float = 0.02,
) -> TunedPoint:
    """Minimise the exact final risk over the peak LR (and WSD's decay fraction) at data ``D``.

    Parameters
    ----------
    model : PowerLawModel
        The model (its width is used as given; pass a huge ``M`` for ``M_opt = infinity``).
    template : Schedule
        The schedule family; its peak (and decay) are replaced by the tuned values.
    D : int
        Samples; the horizon is ``K = D / batch`` steps.
    tune_decay : bool, optional
        Tune ``r`` too (default: when the template has a ``decay`` field).
    peak_cap : float, optional
        Largest admissible peak (default :func:`default_peak_cap`); it is also never above
        90% of the stability limit :func:`fsltheory.max_stable_lr`.  The search covers six
        decades below it.
    xatol : float
        Tolerance on ``log(peak)`` (and ``log(r)``).
    """
    from fsltheory.exact import max_stable_lr

    steps = max(2, int(D // batch))
    if tune_decay is None:
        tune_decay = hasattr(template, "decay")
    cap = default_peak_cap(model.beta) if peak_cap is None else float(peak_cap)
    hi = min(cap, _STABILITY_MARGIN * max_stable_lr(model, batch=batch))
    lo = 1e-6 * hi
    count = 0

    def f_peak(logp, decay=None):
        nonlocal count
        count += 1
        return math.log(_final_risk(model, template, math.exp(logp), steps, decay, batch))

    if not tune_decay:
        res = optimize.minimize_scalar(
            f_peak,
            bounds=(math.log(lo), math.log(hi)),
            method="bounded",
            options={"xatol": xatol},
        )
        # the bounded search never evaluates the cap itself, where hard-regime optima sit
        at_cap = f_peak(math.log(hi))
        logp, fx = (math.log(hi), at_cap) if at_cap <= res.fun else (res.x, res.fun)
        peak, decay, risk = math.exp(logp), None, math.exp(fx)
    else:
        # Joint search over (log peak, log r): Nelder-Mead needs ~3x fewer risk evaluations
        # than nesting two scalar searches, and both optima are smooth and unimodal here.
        r_lo = min(0.5, 2.0 / steps)
        bounds = [(math.log(lo), math.log(hi)), (math.log(r_lo), 0.0)]
        seen: dict = {}

        def f2(x):
            key = (min(max(x[0], bounds[0][0]), bounds[0][1]), min(max(x[1], bounds[1][0]), 0.0))
            if key not in seen:
                seen[key] = f_peak(key[0], math.exp(key[1]))
            return seen[key]

        x0 = np.array([math.log(hi) - 1.0, math.log(0.3)])
        simplex = np.array([x0, x0 + [1.0, 0.0], x0 + [0.0, 1.0]])
        optimize.minimize(
            f2,
            x0,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": xatol, "fatol": 1e-6, "initial_simplex": simplex},
        )
        x, fx = min(seen.items(), key=lambda kv: kv[1])
        peak, decay, risk = math.exp(x[0]), math.exp(x[1]), math.exp(fx)
    return TunedPoint(
        budget=D, risk=risk, peak=peak, decay=decay, M=model.M, D=steps * batch, evaluations=count
    )


def tune_compute_limited(
    beta: float,
    s: float,
    template: Schedule,
    C: float,
    *,
    sigma2: float = 1.0,
    batch: int = 1,
    M_range: tuple[float, float] | None = None,
    peak_cap: float | None = None,
    xatol: float = 0.02,
) -> TunedPoint:
    """Minimise the exact final risk over ``M`` (with ``D = C / M``) and the LR (and ``r``).

    ``M`` is searched on a log scale over ``M_range`` (default ``[2, C / 20]``), rounded to
    integers; each width gets its own :func:`tune_data_limited`.
    """
    lo, hi = M_range if M_range is not None else (2.0, C / 20.0)
    cache: dict[int, TunedPoint] = {}

    def inner(logm):
        M = max(1, int(round(math.exp(logm))))
        if M not in cache:
            model = PowerLawModel(beta=beta, s=s, sigma2=sigma2, M=M)
            cache[M] = tune_data_limited(
                model, template, int(C // M), batch=batch, xatol=xatol, peak_cap=peak_cap
            )
        return math.log(cache[M].risk)

    optimize.minimize_scalar(
        inner, bounds=(math.log(lo), math.log(hi)), method="bounded", options={"xatol": xatol}
    )
    best = min(cache.values(), key=lambda p: p.risk)
    return dataclasses.replace(
        best, budget=C, evaluations=sum(p.evaluations for p in cache.values())
    )


def measure_scaling(
    beta: float,
    s: float,
    template: Schedule,
    budgets,
    *,
    budget: str = "data",
    sigma2: float = 1.0,
    log_power: float = 0.0,
    batch: int = 1,
    peak_cap: float | None = None,
    xatol: float = 0.02,
) -> SlopeMeasurement:
    """Tune at each budget and fit the slope of ``log E_opt - log_power log log(budget)``.

    ``log_power`` is the predicted exponent of the budget's logarithm, so the fitted slope
    estimates the predicted power of the budget itself.
    """
    check_choice("budget", budget, ("data", "compute"))
    pts = []
    for b in budgets:
        if budget == "data":
            model = PowerLawModel(beta=beta, s=s, sigma2=sigma2, M=_M_INFINITE)
            pts.append(
                tune_data_limited(
                    model, template, int(b), batch=batch, xatol=xatol, peak_cap=peak_cap
                )
            )
        else:
            pts.append(
                tune_compute_limited(
                    beta,
                    s,
                    template,
                    float(b),
                    sigma2=sigma2,
                    batch=batch,
                    xatol=xatol,
                    peak_cap=peak_cap,
                )
            )
    return SlopeMeasurement(budget=budget, points=pts, log_power=log_power)
