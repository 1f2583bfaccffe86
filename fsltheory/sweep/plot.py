"""The phase diagram of a sweep: symbolic regime regions and measured-minus-derived colour.

One panel per schedule over the ``(beta, s)`` plane.  The regions are those of the derived
result (``derive_scaling(schedule, budget).regions``): shaded by evaluating each region's SymPy
condition on a mesh, and their boundaries drawn exactly, as the curves ``s = f(beta)``
solved from the conditions' relations (``s = 1 - 1/beta`` for the paper's schedules).  The
markers are the sweep's points, coloured by ``measured_slope - derived_power``; a ring marks
points within :data:`fsltheory.sweep.grid.NEAR_BOUNDARY` of a boundary, where the log
corrections are large, a dot the points whose window lies before the asymptotic range
(:func:`asymptotic_rows`), and a cross marks points outside the agreement band.
"""

from __future__ import annotations

import math

import numpy as np

from fsltheory.measure import SLOPE_BAND
from fsltheory.sweep.families import resolve_schedule
from fsltheory.sweep.grid import NEAR_BOUNDARY, NEAR_BOUNDARY_BETA

__all__ = [
    "plot_phase_diagram",
    "boundary_curves",
    "boundary_betas",
    "boundary_distance",
    "near_boundaries",
    "resolutions",
    "asymptotic_rows",
    "AGREEMENT_BAND",
]

#: |measured - derived| accepted away from the boundaries: the package's one slope band
AGREEMENT_BAND = SLOPE_BAND
_REGION_COLORS = {"easy": "#e8f1fb", "hard": "#fbeee6", "any": "#f2f2f2"}


def boundary_curves(template, budget: str = "data"):
    """The region boundaries of ``template``'s derived result, as SymPy ``s(beta)``."""
    import sympy as sp

    from fsltheory.sweep.tasks import _symbolic
    from fsltheory.symbolic.terms import BETA, S

    curves = []
    for reg in _symbolic(template, budget).regions:
        cond = sp.sympify(reg.condition)
        for rel in cond.atoms(sp.core.relational.Relational):
            for sol in sp.solve(sp.Eq(rel.lhs, rel.rhs), S):
                sol = sp.simplify(sol)
                if sol.free_symbols <= {BETA} and all(sol != c for c in curves):
                    curves.append(sol)
    return curves


def boundary_betas(template, budget: str = "data") -> list:
    """Boundaries of the derived result at fixed ``beta`` (conditions free of ``s``)."""
    import sympy as sp

    from fsltheory.sweep.tasks import _symbolic
    from fsltheory.symbolic.terms import BETA, S

    out = []
    for reg in _symbolic(template, budget).regions:
        for rel in sp.sympify(reg.condition).atoms(sp.core.relational.Relational):
            if S in rel.free_symbols:
                continue
            for sol in sp.solve(sp.Eq(rel.lhs, rel.rhs), BETA):
                if sol.is_number and sol not in out:
                    out.append(sol)
    return sorted(out)


def boundary_distance(schedule: str, s, beta, budget: str = "data") -> np.ndarray:
    """Distance in ``s`` from ``(s, beta)`` to the nearest region boundary of ``schedule``.

    The boundaries are those of the derived result (:func:`boundary_curves`) and always
    the paper's ``s = 1 - 1/beta``, where the optimal hyper-parameters change regime even
    when the loss exponent does not.
    """
    import sympy as sp

    from fsltheory.symbolic.terms import BETA

    s, beta = np.asarray(s, dtype=float), np.asarray(beta, dtype=float)
    dist = np.abs(s - (1.0 - 1.0 / beta))
    for curve in boundary_curves(resolve_schedule(schedule), budget):
        c = sp.lambdify(BETA, curve, "numpy")(beta) * np.ones_like(beta)
        dist = np.minimum(dist, np.abs(s - c))
    return dist


def near_boundaries(
    df, margin: float = NEAR_BOUNDARY, beta_margin: float = NEAR_BOUNDARY_BETA
) -> np.ndarray:
    """Rows of a sweep near a region boundary of their schedule.

    Near: within ``margin`` in ``s`` of a boundary curve ``s(beta)``
    (:func:`boundary_distance`), or within ``beta_margin`` in ``beta`` of a boundary at
    fixed ``beta`` (:func:`boundary_betas`) or of the model's edge ``beta = 1``.
    """
    out = np.zeros(len(df), dtype=bool)
    for name, sub in df.groupby("schedule"):
        budget = str(sub["budget"].iloc[0]) if "budget" in sub else "data"
        idx = df.index.get_indexer(sub.index)
        beta = sub["beta"].to_numpy(dtype=float)
        near = boundary_distance(name, sub["s"], beta, budget) < margin
        for b0 in [1.0] + [float(b) for b in boundary_betas(resolve_schedule(name), budget)]:
            near |= np.abs(beta - b0) < beta_margin
        out[idx] = near
    return out


def _first_optima(df):
    """``(schedule, D, row)`` of each row's tuned optimum at its smallest budget, rebuilt
    from the row (its SPEC, tuned peak and decay fraction, data ``D``)."""
    from fsltheory.measure import _instantiate
    from fsltheory.schedules import parse_schedule

    for r in df.itertuples():
        D = int(r.data[0])
        decay = None if math.isnan(r.decays[0]) else float(r.decays[0])
        yield _instantiate(parse_schedule(r.spec), float(r.peaks[0]), D, decay), D, r


def resolutions(df) -> np.ndarray:
    """:func:`fsltheory.measure.resolution` of each row's optimum at its smallest budget.

    How many eigen-modes the peak of the remaining signal spans there (below ~1 the
    spectral sums are a staircase and the window's slope is pre-asymptotic).
    """
    from fsltheory.measure import schedule_resolution

    return np.array(
        [schedule_resolution(sc, D, r.beta, r.s) for sc, D, r in _first_optima(df)], dtype=float
    )


def asymptotic_rows(df) -> np.ndarray:
    """Rows whose window starts in the asymptotic range (:func:`fsltheory.measure.is_asymptotic`).

    As the rule of ``fsl sweep --resolve`` judges it: the optimum at the smallest budget
    resolves the spectrum and, where the derived optimal peak falls with the budget
    (``derived_lr_power < 0``), sits below the peak cap.
    """
    from fsltheory.measure import is_asymptotic

    return np.array(
        [
            is_asymptotic(sc, D, r.beta, r.s, off_cap=bool(r.derived_lr_power < 0))
            for sc, D, r in _first_optima(df)
        ],
        dtype=bool,
    )


def _region_mask(template, budget, B, Sg):
    """Index of the region that applies at each mesh point (-1: none)."""
    import sympy as sp

    from fsltheory.sweep.tasks import _symbolic
    from fsltheory.symbolic.terms import BETA, S

    res = _symbolic(template, budget)
    idx = np.full(B.shape, -1)
    labels = []
    for i, reg in enumerate(res.regions):
        f = sp.lambdify((BETA, S), sp.sympify(reg.condition), "numpy")
        hit = np.broadcast_to(np.asarray(f(B, Sg), dtype=bool), B.shape)
        idx[(idx < 0) & hit] = i
        labels.append(reg.regime)
    return idx, labels


#: |random-M MC - top-M exact| / exact above which a Monte-Carlo point gets a cross
MC_BAND = 0.25


def _deviation(df) -> tuple[np.ndarray, str, str]:
    """The coloured quantity of a sweep: (values, colour-bar label, legend text)."""
    if "measured_slope" in df:
        d = (df["measured_slope"] - df["derived_power"]).to_numpy()
        return d, "measured slope − derived exponent (dimensionless)", "|measured − derived|"
    if "final_rel_diff" in df:
        d = df["final_rel_diff"].to_numpy()
        return d, "(random-M SGD − top-M exact) / exact (dimensionless)", "|relative difference|"
    raise ValueError("df is invalid: expected rows of fsltheory.sweep.run_sweep")


def plot_phase_diagram(df, *, schedules=None, margin: float = NEAR_BOUNDARY, band=None):
    """Draw the phase diagram of an exact-kind sweep; returns the matplotlib figure.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows of :func:`fsltheory.sweep.run_sweep` (or :func:`read_sweep`).
    schedules : sequence of str, optional
        Panels, in order (default: the schedules present).
    margin : float
        Distance in ``s`` from the boundary within which points are marked.
    band : float
        ``|measured - derived|`` above which points get a cross (default
        :data:`AGREEMENT_BAND`; for a Monte-Carlo sweep, ``|relative difference|`` of the
        final risks, default :data:`MC_BAND`).
    """
    import sympy as sp
    from matplotlib.colors import ListedColormap, TwoSlopeNorm

    from fsltheory.plotting import figure, label_axes
    from fsltheory.symbolic.terms import BETA

    if df.empty:
        raise ValueError("df is invalid: expected a sweep with at least one row")
    dev, bar_label, off_label = _deviation(df)
    if band is None:
        band = AGREEMENT_BAND if "measured_slope" in df else MC_BAND
    names = list(schedules) if schedules else list(dict.fromkeys(df["schedule"]))
    budget = str(df["budget"].iloc[0]) if "budget" in df else "data"
    vmax = max(2 * band, float(np.nanmax(np.abs(dev))))
    norm = TwoSlopeNorm(0.0, -vmax, vmax)
    b_lo, b_hi = df["beta"].min(), df["beta"].max()
    s_lo, s_hi = df["s"].min(), df["s"].max()
    pad_b, pad_s = 0.05 * (b_hi - b_lo or 1), 0.05 * (s_hi - s_lo or 1)
    bb = np.linspace(max(1.0 + 1e-6, b_lo - pad_b), b_hi + pad_b, 300)
    ss = np.linspace(max(1e-6, s_lo - pad_s), s_hi + pad_s, 300)
    B, Sg = np.meshgrid(bb, ss)

    ncols = min(3, len(names))
    nrows = -(-len(names) // ncols)
    # the colour bar gets its own grid column, so tight_layout (plotting.finalize) can place it
    fig, grid_axes = figure(
        nrows,
        ncols + 1,
        width=4.2,
        height=3.6,
        squeeze=False,
        gridspec_kw={"width_ratios": [1.0] * ncols + [0.06]},
    )
    fig.set_figwidth(4.2 * ncols + 1.6)
    axes, cax = grid_axes[:, :ncols], grid_axes[0, ncols]
    for extra in grid_axes[1:, ncols]:
        extra.set_visible(False)
    size = float(np.clip(6000 / max(1, len(df) // max(1, len(names))), 25, 160))
    sc = None
    for ax, name in zip(axes.flat, names, strict=False):
        template = resolve_schedule(name)
        idx, labels = _region_mask(template, budget, B, Sg)
        colors = [_REGION_COLORS.get(lab, "#f2f2f2") for lab in labels] or ["#f2f2f2"]
        if idx.max() >= 0:
            ax.pcolormesh(
                B,
                Sg,
                np.ma.masked_less(idx, 0),
                cmap=ListedColormap(colors),
                vmin=-0.5,
                vmax=len(colors) - 0.5,
                shading="auto",
                rasterized=True,
            )
        for i, lab in enumerate(labels):
            where = idx == i
            if where.any():
                x, y = B[where].mean(), Sg[where].mean()
                ax.text(x, y, lab, ha="center", va="center", fontsize=9, color="0.35")
        curves = boundary_curves(template, budget)
        for curve in curves:
            y = sp.lambdify(BETA, curve, "numpy")(bb) * np.ones_like(bb)
            ax.plot(bb, y, "k-", lw=1.2, label=f"region boundary s = {sp.sstr(curve)}")
        for b0 in boundary_betas(template, budget):
            ax.axvline(float(b0), color="k", lw=1.2, ls=":", label=f"region boundary β = {b0}")
        if not curves:  # one region: the exponent is the same on both sides
            label = "s = 1 − 1/β (exponent unchanged across it)"
            ax.plot(bb, 1 - 1 / bb, "k--", lw=1.0, label=label)
        sub = df[df["schedule"] == name]
        d = _deviation(sub)[0]
        sc = ax.scatter(
            sub["beta"],
            sub["s"],
            c=d,
            cmap="RdBu_r",
            norm=norm,
            s=size,
            marker="s",
            edgecolors="none",
            zorder=3,
        )
        near = near_boundaries(sub, margin)
        ax.scatter(
            sub["beta"][near],
            sub["s"][near],
            s=1.8 * size,
            facecolors="none",
            edgecolors="k",
            linewidths=0.7,
            zorder=4,
            label="near a boundary",
        )
        if "measured_slope" in sub and budget == "data":
            early = ~asymptotic_rows(sub)
            ax.scatter(
                sub["beta"][early],
                sub["s"][early],
                s=4,
                color="k",
                zorder=5,
                label="window before the asymptotic range",
            )
        off = np.abs(d) > band
        if off.any():
            ax.scatter(
                sub["beta"][off],
                sub["s"][off],
                s=30,
                marker="x",
                c="k",
                linewidths=0.9,
                zorder=5,
                label=f"{off_label} > {band:g}",
            )
        ax.set_xlim(bb[0], bb[-1])
        ax.set_ylim(ss[0], ss[-1])
        title = (
            f"{name} ({budget}-limited)" if "measured_slope" in df else f"{name} (random vs top M)"
        )
        label_axes(ax, "capacity exponent β (dimensionless)", "difficulty s (dimensionless)", title)
        ax.legend(fontsize=6, loc="best")
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    cbar = fig.colorbar(sc, cax=cax)
    cbar.set_label(bar_label)
    cax.set_xlabel("Δ (dimensionless)")
    return fig


def save_phase_diagram(fig, path, *, force: bool = False):
    """Write the figure (refusing to overwrite without ``force``), alt text in PNG metadata."""
    import matplotlib.pyplot as plt

    from fsltheory._util.output import prepare_output
    from fsltheory.plotting import finalize

    finalize(fig)

    path = prepare_output(path, force=force)
    meta = {
        "Description": "Phase diagram over capacity beta and difficulty s: one panel per "
        "schedule, easy and hard regions with the boundary s = 1 - 1/beta, points coloured "
        "by measured slope minus derived exponent, rings near the boundary."
    }
    fig.savefig(path, dpi=120, metadata=meta if path.suffix.lower() == ".png" else None)
    plt.close(fig)
    return path
