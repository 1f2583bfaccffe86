"""``fsl predict``: predict loss curves with a fitted law, and score the predictions.

Examples::

    fsl predict fsl.json wsd.csv --metrics
    fsl predict fsl.json wsd.csv cosine.csv --plot pred.png --out pred.csv

With ``--metrics`` one JSON object is printed: ``{"curves": {FILE: {"r2", "mae", "rmse",
"prede", "worste"}}, "mean": {...}}`` (the multi-power-law protocol's metrics, on the
post-warmup points, with the smoothing recorded at fit time).  Without it the predictions
are printed (or written with ``--out``) as ``file,step,lr,loss,predicted`` rows.
"""

from __future__ import annotations

import argparse
import csv
import sys

from fsltheory.cli._surrogate_io import add_curve_args, read_curves

__all__ = ["register", "run"]


def register(sub) -> None:
    p = sub.add_parser(
        "predict",
        help="predict loss curves with a fitted law (PARAMS.json from fsl fit)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("params", metavar="PARAMS.json", help="a law saved by fsl fit")
    add_curve_args(p)
    p.add_argument(
        "--metrics", action="store_true", help="print prediction metrics as one JSON object"
    )
    p.add_argument("--plot", metavar="FILE.png", default=None, help="plot observed vs predicted")
    p.add_argument("--out", metavar="FILE.csv", default=None, help="write predictions here")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.set_defaults(func=run)


def run(args) -> int:
    from fsltheory._util.output import prepare_figure, prepare_output, strict_json
    from fsltheory.surrogate import load_law, smooth_loss
    from fsltheory.surrogate.metrics import evaluate_law

    plot = prepare_figure(args.plot, force=args.force, name="plot") if args.plot else None
    law = load_law(args.params)
    if law.params is None:
        raise ValueError(f"{args.params}: the law has no parameters (fit it first)")
    curves = read_curves(args)
    spec = law.fit_info.get("smoothing")
    shown = {f: smooth_loss(c, spec).post_warmup() for f, c in curves.items()}
    preds = {f: law.predict(c) for f, c in shown.items()}
    if args.metrics:
        res = evaluate_law(law, curves)
        # strict JSON: a metric undefined on these points (r2 of a flat or 1-point curve)
        # is null, listed with its reason under "nulls", never the non-JSON NaN
        print(strict_json(res, reason="undefined on these points (too few or constant losses)"))
    if args.out is not None or not args.metrics:
        fh = (
            prepare_output(args.out, force=args.force).open("w", newline="")
            if args.out
            else sys.stdout
        )
        w = csv.writer(fh)
        w.writerow(["file", "step", "lr", "loss", "predicted"])
        for f, c in shown.items():
            for s, y, yh in zip(c.step, c.loss, preds[f], strict=True):
                w.writerow([f, int(s), repr(float(c.lrs[s])), repr(float(y)), repr(float(yh))])
        if args.out:
            fh.close()
            print(f"wrote {args.out}", file=sys.stderr if args.metrics else sys.stdout)
    if plot is not None:
        _plot(law, shown, preds, plot, True)  # the overwrite was settled above
        print(f"wrote {args.plot}", file=sys.stderr if args.metrics else sys.stdout)
    return 0


def _plot(law, shown, preds, path, force):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fsltheory._util.output import prepare_output
    from fsltheory.plotting import figure, label_axes
    from fsltheory.surrogate.bands import stored_band

    path = prepare_output(path, force=force)
    fig, ax = figure(1, 1, width=7.0, height=4.2)
    for f, c in shown.items():
        line = ax.plot(c.step, c.loss, lw=1, label=f"{c.name} (observed)")[0]
        ax.plot(
            c.step, preds[f], "--", color=line.get_color(), lw=1.5, label=f"{c.name} ({law.name})"
        )
        band = stored_band(law, c)  # saved by fsl fit --bootstrap N
        if band is not None:
            ax.fill_between(c.step, *band, color=line.get_color(), alpha=0.2, lw=0)
    label_axes(ax, "step", "loss", f"{law.title}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
