"""Schedule optimisation under a fitted law (reference §6.4(b), problem (31)).

Given a fitted law (or any final-loss functional), a horizon ``K`` and a peak learning rate,
find the schedule that minimises the predicted final loss over monotone non-increasing
schedules with ``0 <= eta <= peak``.  As in §6.4(b) the schedule is parametrised by
non-negative decrements: at ``n`` knots spread over the post-warmup steps

.. math:: v_i = \\max\\Big(\\eta_{\\max}\\big(1 - \\textstyle\\sum_{m \\le i} u_m\\big),\\ \\eta_{\\rm floor}\\Big),
   \\qquad u_m \\ge 0,

which is monotone and within ``[floor, peak]`` by construction (``sum u <= 1`` is implied by the
clip), and the per-step schedule is the linear interpolation of the knots.  The objective's
gradient with respect to every learning rate is analytic and O(K) (each law's
``final_loss(lrs, grad=True)``), chained through the interpolation and the cumulative sum;
the box-constrained problem is solved with L-BFGS-B in two stages: a few hundred knots
started from the best baseline, then (if that did not already beat it, or on request) every
step as a variable, started from the better of that and the exact best baseline (a step
schedule such as 8-1-1 loses accuracy when sampled at knots).  Each stage only descends, so
the result is never worse than a baseline.

Baselines evaluated under the same law: constant, cosine to ``peak/10`` (Appendix A.2, with
the ``pi``), WSD with exponential decay to ``peak/10`` at decay fractions 0.1/0.2/0.3, WSD with
linear decay to 0 at fraction 0.2, and 8-1-1 (§6.1); all with the same warmup.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from fsltheory._util.output import prepare_output
from fsltheory._util.validate import check_greater, check_int

__all__ = ["OptimizedSchedule", "optimize_law_schedule", "baseline_schedules", "knot_interpolation"]


def baseline_schedules(steps: int, peak: float, warmup: int = 0) -> dict[str, np.ndarray]:
    """The comparison schedules, each as per-step learning rates of length ``steps``."""
    from fsltheory.schedules import WSD, Constant, Cosine, MultiStep

    fams = {
        "constant": Constant(peak=peak, warmup=warmup),
        "cosine": Cosine(peak=peak, final=0.1 * peak, warmup=warmup),
        "wsd-exp-0.1": WSD(
            peak=peak, decay=0.1, final=0.1 * peak, shape="exponential", warmup=warmup
        ),
        "wsd-exp-0.2": WSD(
            peak=peak, decay=0.2, final=0.1 * peak, shape="exponential", warmup=warmup
        ),
        "wsd-exp-0.3": WSD(
            peak=peak, decay=0.3, final=0.1 * peak, shape="exponential", warmup=warmup
        ),
        "wsd-linear0-0.2": WSD(peak=peak, decay=0.2, final=0.0, shape="linear", warmup=warmup),
        "8-1-1": MultiStep(peak=peak, warmup=warmup),
    }
    return {k: s.lrs(steps) for k, s in fams.items()}


def knot_interpolation(n_steps: int, knots: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Knot positions and, per step, the left knot index and right weight of linear interpolation."""
    n = min(int(knots), n_steps)
    pos = np.unique(np.round(np.linspace(0, n_steps - 1, n)).astype(np.int64))
    k = np.arange(n_steps)
    left = np.clip(np.searchsorted(pos, k, side="right") - 1, 0, max(pos.size - 2, 0))
    if pos.size == 1:
        return pos, np.zeros(n_steps, dtype=np.int64), np.zeros(n_steps)
    w = (k - pos[left]) / (pos[left + 1] - pos[left])
    return pos, left, np.clip(w, 0.0, 1.0)


@dataclass
class OptimizedSchedule:
    """Result of :func:`optimize_law_schedule`.

    Attributes
    ----------
    lrs : ndarray
        The optimised per-step schedule (warmup included), length ``steps``.
    final_loss : float
        Its predicted final loss (or excess risk, for the kernel model).
    baselines : dict
        ``name -> {"lrs": ndarray, "final_loss": float}`` under the same objective.
    """

    lrs: np.ndarray
    final_loss: float
    baselines: dict
    steps: int
    peak: float
    warmup: int
    objective: str
    info: dict = field(default_factory=dict)
    curves: dict = field(default_factory=dict)

    @property
    def best_baseline(self) -> tuple[str, float]:
        name = min(self.baselines, key=lambda k: self.baselines[k]["final_loss"])
        return name, self.baselines[name]["final_loss"]

    def table(self) -> str:
        """A Markdown table of final losses: optimised first, then baselines, best first."""
        rows = [("optimised", self.final_loss)] + sorted(
            ((k, v["final_loss"]) for k, v in self.baselines.items()), key=lambda x: x[1]
        )
        out = ["| schedule | predicted final | vs optimised |", "|---|---|---|"]
        for name, v in rows:
            out.append(f"| {name} | {v:.6f} | {v - self.final_loss:+.6f} |")
        return "\n".join(out)

    def to_csv(self, path, *, force: bool = False):
        """Write ``step,lr[,predicted_loss],lr_<baseline>...`` (never overwrites without ``force``)."""
        path = prepare_output(path, force=force)
        cols = {"lr": self.lrs}
        if "optimised" in self.curves:
            cols["predicted_loss"] = self.curves["optimised"]
        for k, v in self.baselines.items():
            cols[f"lr_{k}"] = v["lrs"]
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["step", *cols])
            for i in range(self.steps):
                w.writerow([i, *(repr(float(c[i])) for c in cols.values())])
        return path

    def plot(self, path, *, force: bool = False):
        """Schedules (top) and their predicted curves (bottom, when available)."""
        import matplotlib

        matplotlib.use("Agg")
        from fsltheory.plotting import figure, label_axes

        path = prepare_output(path, force=force)
        two = bool(self.curves)
        fig, axes = figure(2 if two else 1, 1, width=7.0, height=3.4)
        axes = np.atleast_1d(axes)
        k = np.arange(self.steps)
        for name, v in self.baselines.items():
            axes[0].plot(k, v["lrs"], lw=1, alpha=0.7, label=f"{name} ({v['final_loss']:.4f})")
        axes[0].plot(k, self.lrs, color="k", lw=2, label=f"optimised ({self.final_loss:.4f})")
        label_axes(axes[0], "step", "learning rate", f"schedules under {self.objective}")
        axes[0].legend(fontsize=7, ncol=2)
        if two:
            for name, y in self.curves.items():
                start = self.warmup
                kw = {"color": "k", "lw": 2} if name == "optimised" else {"lw": 1, "alpha": 0.7}
                axes[1].plot(k[start:], y[start:], label=name, **kw)
            label_axes(axes[1], "step", "predicted loss")
            lo = min(float(np.min(y[-max(1, self.steps // 3) :])) for y in self.curves.values())
            hi = max(float(np.max(y[-max(1, self.steps // 3) :])) for y in self.curves.values())
            axes[1].set_ylim(lo - 0.1 * (hi - lo), hi + 0.6 * (hi - lo))
        fig.tight_layout()
        fig.savefig(path)
        import matplotlib.pyplot as plt

        plt.close(fig)
        return path


def _objective_fn(objective):
    """``(name, f)`` with ``f(lrs) -> (value, grad or None)``."""
    from fsltheory.surrogate.law import SurrogateLaw

    if isinstance(objective, SurrogateLaw):
        return objective.name, lambda lrs: objective.final_loss(lrs, grad=True)
    if callable(objective):
        name = getattr(objective, "__name__", "objective")

        def f(lrs):
            out = objective(lrs)
            return out if isinstance(out, tuple) else (float(out), None)

        return name, f
    raise ValueError("objective is invalid: expected a fitted law or a callable f(lrs)")


def optimize_law_schedule(
    objective,
    steps: int,
    peak: float,
    *,
    warmup: int = 0,
    knots: int = 256,
    floor: float | None = None,
    maxiter: int = 500,
    fd_step: float = 1e-3,
    curves: bool = True,
    refine: bool | None = None,
    progress: bool = False,
) -> OptimizedSchedule:
    """Minimise the predicted final loss over monotone schedules (§6.4(b), eq. 31).

    Parameters
    ----------
    objective : SurrogateLaw or callable
        A fitted law (its analytic O(K) gradient is used) or ``f(lrs) -> float`` (or
        ``-> (float, grad)``); without a gradient, forward differences over the knots are
        used (keep ``knots`` small then).
    steps, peak : int, float
        Horizon ``K`` (warmup included) and peak learning rate.
    warmup : int
        Linear warmup steps ``eta_k = peak (k+1)/W`` kept fixed (as in the baselines).
    knots : int
        Number of decision knots over the post-warmup steps.
    floor : float, optional
        Smallest learning rate allowed (default: ``1e-7 peak`` for laws whose per-step scale
        ``eta^-gamma`` diverges at 0 — the multi-power law, FSL with ``zeta`` — else 0).
    maxiter : int
        L-BFGS-B iteration limit (stage 1; stage 2 gets at most 200).
    refine : bool, optional
        Run stage 2 (every step a variable): ``None`` (default) only when stage 1 did not
        beat the best baseline, ``True`` always, ``False`` never.
    curves : bool
        Also compute predicted loss curves (laws only) for plotting and the CSV.
    """
    from fsltheory.surrogate.law import SurrogateLaw

    steps = check_int("steps", steps, 2)
    peak = check_greater("peak", peak, 0.0)
    warmup = check_int("warmup", warmup, 0)
    if warmup >= steps - 1:
        raise ValueError(
            f"warmup={warmup!r} is invalid for steps={steps}: expected warmup < steps - 1"
        )
    knots = check_int("knots", knots, 2)
    name, f = _objective_fn(objective)
    if floor is None:
        floor = 1e-7 * peak if getattr(objective, "requires_positive_lr", False) else 0.0
    t0 = time.perf_counter()
    base = baseline_schedules(steps, peak, warmup)
    base_res = {
        k: {"lrs": v, "final_loss": float(f(np.maximum(v, floor))[0])} for k, v in base.items()
    }
    head = base["constant"][:warmup]
    n_post = steps - warmup
    has_grad = f(base["constant"])[1] is not None
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=2 * maxiter if has_grad else maxiter, desc=f"optimise under {name}", unit="it"
        )

    def solve(n_knots, start_post, iters):
        """L-BFGS-B over non-negative decrements at ``n_knots`` knots, from a post-warmup schedule."""
        pos, left, wr = knot_interpolation(n_post, n_knots)
        n = pos.size
        right = np.minimum(left + 1, n - 1)

        def expand(u):
            raw = peak * (1.0 - np.cumsum(u))
            v = np.maximum(raw, floor)
            vl = v[left]
            post = vl + (v[right] - vl) * wr  # exact on flat stretches
            return np.concatenate([head, post]), raw > floor

        def fun(u):
            lrs, live = expand(u)
            val, g = f(lrs)
            if g is None:  # forward differences in knot space
                g_u = np.empty(n)
                for i in range(n):
                    e = np.zeros(n)
                    e[i] = fd_step if u[i] + fd_step <= 1 else -fd_step
                    g_u[i] = (f(expand(u + e)[0])[0] - val) / e[i]
                return val, g_u
            gp = np.asarray(g)[warmup:]
            gv = np.bincount(left, weights=gp * (1 - wr), minlength=n)
            gv += np.bincount(right, weights=gp * wr, minlength=n)
            gv = np.where(live, gv, 0.0)
            return val, -peak * np.cumsum(gv[::-1])[::-1]

        v0 = np.minimum.accumulate(np.clip(start_post[pos], floor, peak))
        u0 = np.clip(-np.diff(np.concatenate([[peak], v0])) / peak, 0.0, 1.0)
        res = minimize(
            fun,
            u0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * n,
            options={"maxiter": iters, "ftol": 1e-12, "gtol": 1e-10, "maxcor": 10},
            callback=(lambda *_: bar.update(1)) if bar is not None else None,
        )
        lrs = expand(res.x)[0]
        return lrs, float(f(lrs)[0]), res

    # stage 1: a few hundred knots, from the best baseline sampled at the knots
    best_name = min(base_res, key=lambda k: base_res[k]["final_loss"])
    lrs, final, res = solve(knots, base[best_name][warmup:], maxiter)
    stages = [
        {
            "knots": int(min(knots, n_post)),
            "iterations": int(res.nit),
            "final": final,
            "message": str(res.message),
        }
    ]
    # stage 2 (with a gradient): every post-warmup step is a variable, started from the better
    # of stage 1 and the exact best baseline (no knot projection), so the result is never
    # worse than any baseline; L-BFGS-B costs O(K) per iteration here, but its own work
    # (O(K m) per iteration) dominates at K ~ 1e4-1e5, hence only when needed by default
    beaten = final < base_res[best_name]["final_loss"]
    if has_grad and knots < n_post and (refine or (refine is None and not beaten)):
        start = lrs if beaten else np.maximum(base[best_name], floor)
        lrs2, final2, res2 = solve(n_post, start[warmup:], min(maxiter, 200))
        stages.append(
            {
                "knots": n_post,
                "iterations": int(res2.nit),
                "final": final2,
                "message": str(res2.message),
            }
        )
        if final2 <= final:
            lrs, final = lrs2, final2
    if bar is not None:
        bar.close()
    info = {
        "iterations": int(sum(st["iterations"] for st in stages)),
        "seconds": time.perf_counter() - t0,
        "knots": stages[0]["knots"],
        "start": best_name,
        "stages": stages,
        "floor": floor,
        "message": stages[-1]["message"],
    }
    out = OptimizedSchedule(
        lrs=lrs,
        final_loss=final,
        baselines=base_res,
        steps=steps,
        peak=peak,
        warmup=warmup,
        objective=name,
        info=info,
    )
    if curves and isinstance(objective, SurrogateLaw):
        at = np.arange(warmup, steps)
        full = lambda x: np.concatenate(
            [np.full(warmup, np.nan), objective.predict(np.maximum(x, floor), at=at)]
        )
        out.curves = {"optimised": full(lrs)}
        for k, v in base.items():
            out.curves[k] = full(v)
    return out
