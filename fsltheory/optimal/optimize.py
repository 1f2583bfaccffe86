"""Free-form learning-rate schedules that minimise the exact final excess risk (issue #9).

The objective is the final expected excess risk ``E_K`` of the exact engine (reference
§8.1) on a *fixed* compressed rule (built from ``cap x steps``, an upper bound of ``T_K``),
so that it is one smooth function of the schedule; its gradient with respect to every
``eta_k`` comes from one adjoint sweep (:func:`fsltheory.optimal.exact_gradient`, about
three forward passes).  The schedule is ``log eta`` piecewise linear over knots
(:mod:`fsltheory.optimal.knots`), bounded by ``lo <= eta_k <= cap`` with ``cap`` the
stability bound ``max_stable_lr(model, B)`` times a safety factor just below one (or a
user cap below that bound), and *not* forced monotone unless ``monotone=True``: a warmup or
a flat phase emerges only if it lowers the risk.  L-BFGS-B (scipy) minimises ``log E_K``
(scale-free) from several starts: the best tuned baseline and random decaying schedules
drawn from ``rng``.

What the optimum does (checked in ``tests/test_optimal_schedule.py``): in the easy regime
(``s >= 1 - 1/beta``) it starts below the cap and decays smoothly, beating every tuned
baseline (constant, cosine, linear, power ``p = 1..5`` and WSD with four decay shapes); in
the hard regime it stays flat at the cap and then decays, as the FSL variational solution
``eta ~ (1 - z/L)^{2 beta - 1}`` predicts, and beats tuned WSD.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from fsltheory._util.output import strict_json
from fsltheory._util.validate import check_choice, check_greater, check_in_interval, check_int
from fsltheory.curve import RiskCurve
from fsltheory.exact.stability import max_stable_lr
from fsltheory.model import PowerLawModel
from fsltheory.optimal.baselines import BASELINE_NAMES, TunedBaseline, tune_baselines
from fsltheory.optimal.fsl_gradient import fsl_gradient
from fsltheory.optimal.gradient import compressed_spectrum, exact_final_risk, exact_gradient
from fsltheory.optimal.knots import LogKnots

__all__ = ["KernelOptimum", "optimize_schedule", "SAFETY", "ENGINES"]

#: default cap = SAFETY x max_stable_lr: just inside the stability region, where the
#: second moments still contract at every step
SAFETY = 0.99
#: smallest learning rate, relative to the cap (log eta must stay finite)
LR_FLOOR = 1e-6
ENGINES = ("exact", "fsl")


@dataclass
class KernelOptimum:
    """Result of :func:`optimize_schedule` (and of
    :func:`fsltheory.optimal.optimize_schedule_and_batch`).

    Attributes
    ----------
    lrs : ndarray
        The optimised per-step learning rates, length ``steps``.
    final_risk : float
        Its final excess risk under the objective (exact engine or FSL).
    curve : RiskCurve
        Its risk curve at every step (:func:`fsltheory.expected_risk` for the exact engine,
        :func:`fsltheory.fsl_curve` for the FSL).
    baselines : list of TunedBaseline
        Tuned baselines (name, params, final risk) under the same objective.
    diagnostics : dict
        ``starts_final`` (each start's final risk), ``starts_spread`` (``max/min - 1``),
        ``iterations``, ``grad_norm`` (projected, of ``log E_K`` in the variables),
        ``messages``, ``converged``, ``seconds``, ``baseline_seconds``, ``knots``,
        ``rule_check`` (relative difference between the fixed-rule objective and the
        production engine).
    batch : ndarray or None
        Per-step batch sizes when they were optimised too.
    """

    lrs: np.ndarray
    final_risk: float
    curve: RiskCurve
    baselines: list
    model: PowerLawModel
    steps: int
    cap: float
    engine: str
    monotone: bool
    diagnostics: dict = field(default_factory=dict)
    batch: np.ndarray | None = None

    @property
    def best_baseline(self) -> TunedBaseline | None:
        return min(self.baselines, key=lambda b: b.final_risk) if self.baselines else None

    def table(self) -> str:
        """Markdown table: optimised first, then the tuned baselines, best first."""
        out = ["| schedule | params | final excess risk | vs optimised |", "|---|---|---|---|"]
        out.append(f"| optimised | - | {self.final_risk:.6e} | +0.00% |")
        for b in sorted(self.baselines, key=lambda b: b.final_risk):
            par = ", ".join(f"{k}={v:.4g}" for k, v in b.params.items())
            rel = b.final_risk / self.final_risk - 1.0
            out.append(f"| {b.name} | {par} | {b.final_risk:.6e} | {100 * rel:+.2f}% |")
        return "\n".join(out)

    def _summary(self) -> dict:
        m = self.model
        return {
            "model": {"beta": m.beta, "s": m.s, "sigma2": m.sigma2, "M": m.M, "N": str(m.N)},
            "steps": self.steps,
            "cap": self.cap,
            "engine": self.engine,
            "monotone": self.monotone,
            "final_risk": self.final_risk,
            "baselines": [
                {"name": b.name, "params": b.params, "final_risk": b.final_risk}
                for b in self.baselines
            ],
            "diagnostics": self.diagnostics,
        }

    def save(self, path, *, force: bool = False) -> Path:
        """Write ``step,lr[,batch],excess_risk`` to ``path`` and a JSON sidecar
        (``path`` with suffix ``.json``: model, baselines, diagnostics).

        Raises ``FileExistsError`` if either file exists and ``force`` is false.
        """
        path = Path(path)
        side = path.with_suffix(".json")
        for p in (path, side):
            if p.exists() and not force:
                raise FileExistsError(f"{p} exists; refusing to overwrite it (pass force=True)")
        path.parent.mkdir(parents=True, exist_ok=True)
        risk = np.asarray(self.curve.excess_risk)
        cols = ["step", "lr"] + (["batch"] if self.batch is not None else []) + ["excess_risk"]
        with path.open("w") as fh:
            fh.write(",".join(cols) + "\n")
            for k in range(self.steps):
                row = [str(k), repr(float(self.lrs[k]))]
                if self.batch is not None:
                    row.append(repr(float(self.batch[k])))
                row.append(repr(float(risk[k])) if risk.size == self.steps + 1 else "")
                fh.write(",".join(row) + "\n")
        side.write_text(strict_json(self._summary(), indent=2, default=_jsonable))
        return path

    def plot(self, path, *, force: bool = False) -> Path:
        """Schedules (top, with the tuned baselines) and risk curves (bottom), Agg backend."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from fsltheory.plotting import figure, label_axes

        path = Path(path)
        if path.exists() and not force:
            raise FileExistsError(f"{path} exists; refusing to overwrite it (pass force=True)")
        path.parent.mkdir(parents=True, exist_ok=True)
        fig, axes = figure(2, 1, width=7.0, height=3.2)
        k = np.arange(self.steps)
        for b in self.baselines:
            axes[0].plot(k, b.lrs, lw=0.8, alpha=0.6, label=f"{b.name} ({b.final_risk:.4g})")
        axes[0].plot(k, self.lrs, color="k", lw=2, label=f"optimised ({self.final_risk:.4g})")
        axes[0].axhline(self.cap, color="r", ls=":", lw=1, label="cap")
        label_axes(axes[0], "step", "learning rate", f"optimal schedule ({self.engine})")
        axes[0].legend(fontsize=6, ncol=3)
        c = self.curve
        axes[1].loglog(np.maximum(c.step, 1), c.excess_risk, color="k", lw=2, label="optimised")
        label_axes(axes[1], "step", "expected excess risk")
        axes[1].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
        return path


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.integer | np.floating | np.bool_):
        return x.item()
    return str(x)


def stability_cap(model: PowerLawModel, batch_min: int, cap, safety: float) -> float:
    """``cap`` checked against the stability bound, or ``safety x max_stable_lr``."""
    bound = max_stable_lr(model, int(batch_min))
    if cap is None:
        return safety * bound
    cap = check_greater("cap", cap, 0.0)
    if cap >= bound:
        raise ValueError(
            f"cap={cap!r} is invalid: expected 0 < cap < max_stable_lr = {bound:.6g} "
            f"(batch={int(batch_min)}); beyond it the exact risk diverges"
        )
    return cap


def random_start(rng, steps: int, cap: float) -> np.ndarray:
    """A random decaying schedule: a level in ``[cap/10, cap]`` held, then a power decay
    ``(1 - v)^p`` (``p`` in ``[1, 4]``) over a random final fraction ``[0.2, 1]``."""
    level = cap * math.exp(rng.uniform(math.log(0.1), 0.0))
    frac = rng.uniform(0.2, 1.0)
    p = rng.uniform(1.0, 4.0)
    k2 = max(1, int(round(frac * steps)))
    v = np.arange(k2) / k2
    return np.concatenate([np.full(steps - k2, level), level * (1.0 - v) ** p + 1e-3 * level])


def _projected_norm(x, g, bounds) -> float:
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    pg = np.where((x <= lo) & (g > 0), 0.0, g)
    pg = np.where((x >= hi) & (pg < 0), 0.0, pg)
    return float(np.max(np.abs(pg))) if pg.size else 0.0


def multistart(fun, x0s, bounds, maxiter, bar=None, ftol=1e-10):
    """L-BFGS-B on ``fun(x) -> (value, grad)`` from every start; list of scipy results."""
    out = []
    for x0 in x0s:
        res = minimize(
            fun,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": maxiter, "ftol": ftol, "gtol": 1e-7, "maxcor": 20},
        )
        res.pgnorm = _projected_norm(res.x, res.jac, bounds)
        out.append(res)
        if bar is not None:
            bar.update(1)
    return out


def optimize_schedule(
    model: PowerLawModel,
    steps: int,
    *,
    batch: int = 1,
    engine: str = "exact",
    cap: float | None = None,
    safety: float = SAFETY,
    monotone: bool = False,
    knots: int = 48,
    starts: int = 4,
    rng=None,
    maxiter: int = 300,
    ftol: float = 1e-10,
    baselines=BASELINE_NAMES,
    kernel: str = "proxy",
    coef=None,
    progress: bool = False,
) -> KernelOptimum:
    """The learning-rate schedule that minimises the final excess risk of the kernel model.

    Parameters
    ----------
    model : PowerLawModel
        Top-M power-law model (reference §1).
    steps : int
        Horizon ``K >= 2``.
    batch : int
        Batch size (fixed; see :func:`fsltheory.optimal.optimize_schedule_and_batch` for a
        batch schedule at a fixed sample budget).
    engine : {'exact', 'fsl'}
        ``'exact'``: the exact expected risk (reference §8.1).  ``'fsl'``: the physical-time
        FSL with constants ``coef`` and ``kernel`` (a different objective: the law, not the
        risk), under the same stability cap.
    cap : float, optional
        Largest learning rate; must be below ``max_stable_lr(model, batch)`` (default:
        ``safety`` times that bound).
    safety : float
        Factor in ``(0, 1)`` applied to the stability bound when ``cap`` is not given.
    monotone : bool
        Force a non-increasing schedule (non-negative decrements in ``log eta``).
    knots : int
        Number of knots of the piecewise-linear ``log eta`` (:mod:`fsltheory.optimal.knots`).
    starts : int
        L-BFGS-B starts: the best tuned baseline (if any) and random decaying schedules.
    rng : Generator, int or None
        Randomness of the random starts (seeded runs are reproducible).
    maxiter : int
        L-BFGS-B iterations per start.
    ftol : float
        L-BFGS-B's relative-reduction stop on ``log E_K`` (1e-10: the starts then agree to
        ~1e-4 in final risk, far inside the 0.5% required).
    baselines : sequence of str
        Baselines to tune (:data:`fsltheory.optimal.baselines.BASELINE_NAMES`); ``()`` for
        none.
    kernel, coef
        FSL kernel and constants (``engine='fsl'`` only).
    progress : bool
        tqdm bar over the starts.

    Returns
    -------
    KernelOptimum

    Examples
    --------
    >>> m = PowerLawModel(beta=2.0, s=1.0, sigma2=1.0, M=1000)
    >>> opt = optimize_schedule(m, 200, knots=12, starts=1, baselines=("constant",), rng=0)
    >>> bool(opt.final_risk <= opt.baselines[0].final_risk)
    True
    """
    t0, c0 = time.perf_counter(), time.process_time()
    if not isinstance(model, PowerLawModel):
        raise ValueError(f"model={model!r} is invalid: expected a PowerLawModel")
    steps = check_int("steps", steps, 2)
    batch = check_int("batch", batch, 1)
    check_choice("engine", engine, ENGINES)
    safety = check_in_interval("safety", safety, 0.0, 1.0, closed="neither")
    knots = check_int("knots", knots, 2)
    starts = check_int("starts", starts, 1)
    maxiter = check_int("maxiter", maxiter, 1)
    unknown = [b for b in baselines if b not in BASELINE_NAMES]
    if unknown:
        raise ValueError(f"baselines={unknown!r} are invalid: expected names in {BASELINE_NAMES}")
    rng = np.random.default_rng(rng)
    cap = stability_cap(model, batch, cap, safety)
    t_max = cap * steps  # an upper bound of T_K for every admissible schedule
    if engine == "exact":
        sp = compressed_spectrum(model, t_max)

        def grad(lrs):
            g = exact_gradient(model, lrs, batch=batch, spectrum=sp, check_stability=False)
            return g.value, g.lr

        def final(lrs):
            return exact_final_risk(model, lrs, batch=batch, spectrum=sp, check_stability=False)
    else:

        def grad(lrs):
            g = fsl_gradient(
                model, lrs, batch=batch, kernel=kernel, coef=coef, t_max=t_max,
                check_stability=False,
            )  # fmt: skip
            return g.value, g.lr

        def final(lrs):
            return grad(lrs)[0]

    tb = time.perf_counter()
    tuned = tune_baselines(final, steps, cap, tuple(baselines))
    baseline_seconds = time.perf_counter() - tb

    par = LogKnots(steps, knots, LR_FLOOR * cap, cap, monotone=monotone)
    fun = par.log_objective(grad)

    x0s = []
    if tuned:
        best = min(tuned, key=lambda b: b.final_risk)
        x0s.append(par.from_lrs(best.lrs))
    while len(x0s) < starts:
        x0s.append(par.from_lrs(random_start(rng, steps, cap)))
    bar = None
    if progress:
        from tqdm.std import tqdm

        bar = tqdm(total=len(x0s), desc="optimise schedule", unit="start")
    to, co = time.perf_counter(), time.process_time()
    results = multistart(fun, x0s, par.bounds, maxiter, bar, ftol)
    opt_seconds = time.perf_counter() - to
    opt_cpu = time.process_time() - co
    if bar is not None:
        bar.close()
    finals = [math.exp(r.fun) for r in results]
    ib = int(np.argmin(finals))
    lrs = par.expand(results[ib].x)
    value = final(lrs)
    if engine == "exact":
        from fsltheory.exact import expected_risk

        curve = expected_risk(model, lrs, batch=batch, check_stability=False)
    else:
        from fsltheory.fsl import fsl_curve

        curve = fsl_curve(model, lrs, batch=batch, kernel=kernel, coef=coef)
    diag = {
        "starts_final": finals,
        "starts_spread": max(finals) / min(finals) - 1.0,
        "best_start": ib,
        "iterations": [int(r.nit) for r in results],
        "evaluations": [int(r.nfev) for r in results],
        "grad_norm": [float(r.pgnorm) for r in results],
        "messages": [str(r.message) for r in results],
        "converged": [bool(r.success) for r in results],
        "knots": int(par.n),
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - c0,
        "optimise_seconds": opt_seconds,
        "optimise_cpu_seconds": opt_cpu,
        "baseline_seconds": baseline_seconds,
        "rule_check": abs(curve.final / value - 1.0),
    }
    return KernelOptimum(
        lrs=lrs,
        final_risk=value,
        curve=curve,
        baselines=tuned,
        model=model,
        steps=steps,
        cap=cap,
        engine=engine,
        monotone=bool(monotone),
        diagnostics=diag,
    )
