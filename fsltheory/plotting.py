"""One plotting style for the CLI, the scripts and the book.

Every figure made by fsltheory goes through :func:`figure`, so fonts, sizes, colours per
schedule family and axis-label conventions stay consistent.
"""

from __future__ import annotations

__all__ = ["figure", "SCHEDULE_COLORS", "label_axes"]

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


def figure(nrows: int = 1, ncols: int = 1, *, width: float = 6.0, height: float = 4.0, **kw):
    """A new ``(fig, axes)`` in the fsltheory style (non-interactive backend safe)."""
    import matplotlib.pyplot as plt

    with plt.rc_context(_RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), **kw)
    for ax in fig.axes:
        for k, v in _RC.items():
            if k == "axes.grid" and v:
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
