"""One plotting style for the CLI, the scripts and the book.

Every figure made by fsltheory goes through :func:`figure`, so fonts, sizes, colours per
schedule family and axis-label conventions stay consistent.  Conventions:

* every axis carries a label *with its unit* in parentheses, ``(dimensionless)`` when the
  quantity has none; :func:`finalize` checks this and raises ``ValueError`` otherwise;
* a schedule family always gets the same colour, :data:`SCHEDULE_COLORS`;
* a figure written to disk goes through :func:`savefig`, which never overwrites a file
  silently (:func:`fsltheory._util.output.prepare_output`) and stores the figure's alt text in
  the PNG metadata; in the book the alt text is given as cell metadata instead
  (``mystnb: image: alt: ...``, see ``book/CONTRIBUTING.md``).

matplotlib is imported lazily, so ``import fsltheory`` stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from fsltheory._util.output import prepare_output

__all__ = [
    "SCHEDULE_COLORS",
    "figure",
    "label_axes",
    "schedule_color",
    "finalize",
    "savefig",
    "plot_schedule",
    "plot_engines",
    "loglog_slope",
]

#: a fixed colour per schedule family, so a schedule looks the same in every figure
SCHEDULE_COLORS = {
    "constant": "#4c72b0",
    "exponential": "#dd8452",
    "wsd": "#55a868",
    "cosine": "#c44e52",
    "linear": "#8172b3",
    "power": "#937860",
    "multistep": "#da8bc3",
    "cyclic": "#8c8c8c",
    "array": "#ccb974",
}

_RC = {
    "figure.dpi": 110,
    "savefig.dpi": 130,
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}

# an axis label names its unit in trailing parentheses, e.g. "step k (steps)"
_UNIT = re.compile(r"\([^()]+\)\s*$")


def figure(nrows: int = 1, ncols: int = 1, *, width: float = 6.0, height: float = 4.0, **kw):
    """A new ``(fig, axes)`` in the fsltheory style (non-interactive backend safe).

    ``width`` and ``height`` are per panel, in inches; extra keywords go to
    :func:`matplotlib.pyplot.subplots`.  The style is written into ``matplotlib.rcParams``
    (fonts, grid, legend frame, dpi only): labels, ticks and legends are created after the
    figure, so a style confined to a context around its creation would not reach them.  A
    context manager is also avoided because restoring ``rcParams`` on exit resets
    ``interactive``, and the notebook inline backend then stops showing later figures.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update(_RC)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), **kw)
    for ax in fig.axes:
        ax.grid(True, alpha=_RC["grid.alpha"])
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
    return fig, axes


def label_axes(ax, xlabel: str, ylabel: str, title: str | None = None) -> None:
    """Set axis labels (with units or '(dimensionless)') and an optional title."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)


def schedule_color(schedule) -> str:
    """The colour of a schedule family: accepts a family name or a ``Schedule``."""
    name = schedule if isinstance(schedule, str) else getattr(schedule, "name", "")
    try:
        return SCHEDULE_COLORS[name]
    except KeyError:
        raise ValueError(
            f"schedule={schedule!r} is invalid: expected a family in {sorted(SCHEDULE_COLORS)}"
        ) from None


def finalize(fig):
    """Check the labelling convention and tidy the layout; returns ``fig``.

    Raises
    ------
    ValueError
        If a visible axis lacks an x or y label, or a label has no unit in trailing
        parentheses (write ``(dimensionless)`` for pure numbers).
    """
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison:
            continue
        for which, text in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())):
            if not text.strip():
                raise ValueError(f"axes[{i}] has no {which} label: expected 'quantity (unit)'")
            if not _UNIT.search(text):
                raise ValueError(
                    f"axes[{i}] {which} label {text!r} is invalid: expected a unit in "
                    "trailing parentheses, e.g. '(steps)' or '(dimensionless)'"
                )
    fig.tight_layout()
    return fig


def savefig(fig, path, *, alt: str, force: bool = False) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix), refusing to overwrite silently.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure that passes :func:`finalize`.
    path : str or Path
        Output file; parent folders are created.
    alt : str
        Alt text (what the figure shows, for readers who cannot see it); stored as the
        PNG ``Description`` metadata.
    force : bool
        Replace an existing file.
    """
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt={alt!r} is invalid: expected a non-empty description")
    finalize(fig)
    path = prepare_output(path, force=force)
    meta = {"Description": alt} if path.suffix.lower() == ".png" else {}
    fig.savefig(path, dpi=_RC["savefig.dpi"], metadata=meta or None)
    return path


def plot_schedule(schedule, steps: int, *, batch: float = 1.0, axes=None, label=None, **line_kw):
    """Two panels: ``eta_k`` against step ``k``, and ``gamma(t)`` against intrinsic time.

    The right panel is the schedule as the intrinsic-time SDE (eq. 8) sees it: the step
    function ``gamma(t) = eta_k / B`` on ``[T_k, T_{k+1})`` (see
    :mod:`fsltheory.schedules.base`).

    Parameters
    ----------
    schedule : Schedule
        Any fsltheory schedule.
    steps : int
        Horizon ``K``.
    batch : float
        Batch size ``B`` in ``gamma = eta / B``.
    axes : pair of Axes, optional
        Draw into these instead of a new figure.
    label : str, optional
        Legend label (default: the schedule's SPEC string).
    **line_kw
        Passed to both line plots (e.g. ``linestyle``); ``color`` defaults to the family's
        colour in :data:`SCHEDULE_COLORS`.

    Returns
    -------
    fig, (ax_steps, ax_time)
    """
    if axes is None:
        fig, axes = figure(1, 2, width=4.2, height=3.2)
    ax_k, ax_t = axes
    fig = ax_k.figure
    eta = schedule.lrs(steps)
    T = schedule.intrinsic_time(steps)
    line_kw.setdefault("color", SCHEDULE_COLORS.get(schedule.name))
    line_kw["label"] = schedule.spec() if label is None else label
    ax_k.plot(np.arange(steps), eta, **line_kw)
    # gamma is piecewise constant on [T_k, T_{k+1}): a post-step plot draws exactly that
    ax_t.step(T, np.append(eta, eta[-1]) / batch, where="post", **line_kw)
    label_axes(ax_k, "step k (steps)", r"learning rate $\eta_k$ (dimensionless)")
    label_axes(ax_t, "intrinsic time t (dimensionless)", r"$\gamma(t)=\eta/B$ (dimensionless)")
    for ax in (ax_k, ax_t):
        ax.set_ylim(bottom=0.0)
    return fig, (ax_k, ax_t)


def plot_engines(exact, sgd, fsl, *, title: str | None = None, fsl_label: str = "FSL"):
    """Exact vs Monte-Carlo SGD vs FSL risk curves, with a residual panel below.

    The three curves agree to a fraction of a percent, so on a shared log axis they hide
    each other; the lower panel shows what the eye cannot: the relative deviation of SGD
    (with its +-2 standard-error band) and of the FSL from the exact expected risk.  Each
    argument has ``step`` and ``excess_risk``; ``sgd`` also ``excess_risk_se``.  The exact
    curve must be recorded at least at the steps of the other two.  Returns ``(fig, (ax,
    ax_res))``; step 0 (the deterministic start) is left out of the log axes.
    """
    from matplotlib.ticker import PercentFormatter

    fig, (ax, ax_res) = figure(
        2, 1, width=6.4, height=2.2, sharex=True, gridspec_kw={"height_ratios": [1.6, 1]}
    )
    ref = dict(zip(np.asarray(exact.step).tolist(), np.asarray(exact.excess_risk), strict=True))

    def after_start(curve, *values):  # steps > 0 with an exact value: values, exact there
        steps = np.asarray(curve.step)
        keep = (steps > 0) & np.isin(steps, list(ref))
        at = np.array([ref[int(k)] for k in steps[keep]])
        return (steps[keep], *(np.asarray(v)[keep] for v in values), at)

    k_e, r_e, _ = after_start(exact, exact.excess_risk)
    k_s, r_s, se_s, ex_s = after_start(sgd, sgd.excess_risk, sgd.excess_risk_se)
    k_f, r_f, ex_f = after_start(fsl, fsl.excess_risk)
    # exact: a thick light line underneath, so that the thin FSL dashes drawn on top of it
    # leave it visible where the two coincide
    ax.plot(k_e, r_e, color="0.65", lw=4, label="exact expected risk", zorder=1)
    ax.errorbar(
        k_s,
        r_s,
        yerr=2 * se_s,
        fmt="o",
        ms=2.5,
        color="C0",
        elinewidth=0.8,
        label="SGD mean, \u00b12 s.e.",
        zorder=2,
    )
    k_all = np.asarray(fsl.step) > 0  # the FSL line at every step it has
    ax.plot(
        np.asarray(fsl.step)[k_all],
        np.asarray(fsl.excess_risk)[k_all],
        "--",
        color="C3",
        lw=1.2,
        label=fsl_label,
        zorder=3,
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    label_axes(ax, "step k (steps)", "excess risk (dimensionless)", title)
    ax.xaxis.label.set_visible(False)  # shared with the residual panel below
    ax_res.axhline(0.0, color="0.65", lw=4, zorder=1)
    ax_res.fill_between(
        k_s,
        r_s / ex_s - 1 - 2 * se_s / ex_s,
        r_s / ex_s - 1 + 2 * se_s / ex_s,
        color="C0",
        alpha=0.25,
        lw=0,
    )
    ax_res.plot(k_s, r_s / ex_s - 1, "o", ms=2.5, color="C0")
    ax_res.plot(k_f, r_f / ex_f - 1, "--", color="C3", lw=1.2)
    ax_res.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))
    label_axes(ax_res, "step k (steps)", "vs exact (relative, dimensionless)")
    return fig, (ax, ax_res)


def loglog_slope(x, y) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (what a log-log plot shows)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(
            f"x and y are invalid (shapes {x.shape}, {y.shape}): expected equal shapes, >= 2 points"
        )
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y are invalid: expected strictly positive values on a log-log plot")
    lx, ly = np.log(x), np.log(y)
    lx0 = lx - lx.mean()
    return float(np.dot(lx0, ly - ly.mean()) / np.dot(lx0, lx0))
