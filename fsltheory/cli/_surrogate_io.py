"""Shared argument handling for the loss-curve surrogate subcommands (fit, predict)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["add_curve_args", "read_curves"]


def add_curve_args(p) -> None:
    p.add_argument(
        "csv", nargs="+", metavar="CSV", help="loss-curve files with columns step,lr,loss"
    )
    p.add_argument(
        "--format",
        choices=("csv", "mpl"),
        default="csv",
        help="csv: plain step,lr,loss (lr interpolated if sparse); "
        "mpl: multi-power-law files, schedule regenerated from the file name",
    )
    p.add_argument(
        "--lrs",
        metavar="FILE",
        default=None,
        help="per-step learning rates (a CSV with an lr column, one row per step), "
        "used for every CSV instead of its lr column",
    )


def read_curves(args) -> dict:
    """``{path as given: LossCurve}`` from the parsed arguments."""
    from fsltheory.surrogate import read_loss_csv, read_mpl_curve

    out = {}
    for f in args.csv:
        if args.format == "mpl":
            if not Path(f).is_file():
                raise FileNotFoundError(f"{f}: no such file")
            out[f] = read_mpl_curve(f)
        else:
            out[f] = read_loss_csv(f, lrs=args.lrs)
    return out
