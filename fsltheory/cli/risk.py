"""``fsl risk``: one expected-risk curve from the exact, SGD or FSL engine, written as CSV.

Examples::

    fsl risk --schedule wsd:peak=0.1,decay=0.2,final=0.001,shape=exponential \\
        --steps 100000 --M 1000000 --out wsd.csv --plot wsd.png
    fsl risk --engine sgd --runs 200 --seed 1 --schedule cosine:peak=0.05 --steps 10000 \\
        --M 128 --N 128 --sigma2 9 --beta 3 --s 0.5 --out sgd.csv

The CSV has columns ``step,lr,intrinsic_time,excess_risk`` (plus ``excess_risk_se`` for
``--engine sgd``); an existing file is never replaced without ``--force``.
"""

from __future__ import annotations

import argparse
import math
import time

__all__ = ["register", "run"]

ENGINES = ("exact", "sgd", "fsl")
#: default record grid: every step up to this horizon, else this many log-spaced steps
RECORD_ALL = 10_000
RECORD_LOG = 1000


def _positive_int(name):
    def parse(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name}={text!r} is invalid: expected an integer >= 1"
            ) from None
        if not (math.isfinite(v) and v.is_integer() and v >= 1):
            raise argparse.ArgumentTypeError(
                f"{name}={text!r} is invalid: expected an integer >= 1"
            )
        return int(v)

    return parse


def _real(name):
    def parse(text):
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name}={text!r} is invalid: expected a number"
            ) from None

    return parse


def _width(text):
    if text.strip().lower() in ("inf", "infinity"):
        return math.inf
    return _positive_int("N")(text)


def register(sub) -> None:
    p = sub.add_parser(
        "risk",
        help="one expected excess-risk curve (exact, sgd or fsl engine) written as CSV",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = p.add_argument_group("engine")
    g.add_argument(
        "--engine", choices=ENGINES, default="exact", help="which engine (default exact)"
    )
    g.add_argument(
        "--method",
        default=None,
        help="exact: auto|compressed|full|matrix (default auto); fsl: fast|naive",
    )
    g.add_argument(
        "--precision",
        choices=("float64", "mpmath"),
        default="float64",
        help="exact and sgd: float64 or mpmath at --dps digits (default float64)",
    )
    g.add_argument(
        "--dps", type=_positive_int("dps"), default=None, help="digits for --precision mpmath"
    )
    g.add_argument(
        "--kernel", default="proxy", help="fsl only: 'proxy' or 'finite' (default proxy)"
    )
    g.add_argument("--runs", type=_positive_int("runs"), default=1000, help="sgd: runs (1000)")
    g.add_argument("--seed", type=int, default=None, help="seed for sgd and random features")
    g.add_argument(
        "--allow-unstable",
        action="store_true",
        help="exact and fsl: run even if the peak LR reaches max_stable_lr",
    )
    m = p.add_argument_group("model")
    m.add_argument("--beta", type=_real("beta"), default=2.0, help="capacity exponent (2)")
    m.add_argument("--s", type=_real("s"), default=0.5, help="source exponent (0.5)")
    m.add_argument("--sigma2", type=_real("sigma2"), default=1.0, help="label noise (1)")
    m.add_argument("--M", type=_positive_int("M"), default=128, help="model width (128)")
    m.add_argument("--N", type=_width, default=math.inf, help="features, int or inf (inf)")
    m.add_argument("--features", choices=("top", "random"), default="top", help="(top)")
    t = p.add_argument_group("training")
    t.add_argument("--schedule", required=True, help="SPEC, e.g. cosine:peak=0.05,final=0")
    t.add_argument("--steps", type=_positive_int("steps"), required=True, help="horizon K")
    t.add_argument("--batch", type=_positive_int("batch"), default=1, help="batch size (1)")
    o = p.add_argument_group("output")
    o.add_argument(
        "--record",
        type=_positive_int("record"),
        default=None,
        help=f"record ~N log-spaced steps (default: every step if K <= {RECORD_ALL}, "
        f"else {RECORD_LOG})",
    )
    o.add_argument("--out", required=True, help="CSV file to write")
    o.add_argument("--plot", default=None, help="also write a log-log figure (PNG)")
    o.add_argument("--force", action="store_true", help="replace existing output files")
    o.add_argument("--progress", action="store_true", help="show a progress bar (stderr)")
    p.set_defaults(func=run)


def _precision(args) -> dict:
    """``precision`` and ``dps`` as the engines spell them (``dps`` only when given)."""
    kw: dict = {"precision": args.precision}
    if args.dps is not None:
        kw["dps"] = args.dps
    return kw


def _curve(args, model, schedule, record, progress):
    if args.engine == "exact":
        from fsltheory.exact import expected_risk

        return expected_risk(
            model,
            schedule,
            args.steps,
            batch=args.batch,
            record=record,
            rng=args.seed,
            method=args.method or "auto",
            progress=progress,
            **_precision(args),
            check_stability=not args.allow_unstable,
        )
    if args.engine == "sgd":
        from fsltheory.sgd import simulate_sgd

        if args.method is not None:
            raise ValueError("--method is invalid with --engine sgd: it has no methods")
        return simulate_sgd(
            model,
            schedule,
            args.steps,
            batch=args.batch,
            record=record,
            rng=args.seed,
            runs=args.runs,
            progress=progress,
            **_precision(args),
        )
    from fsltheory.fsl import fsl_curve

    if args.precision != "float64" or args.dps is not None:
        raise ValueError("--precision/--dps are invalid with --engine fsl: it runs in float64")
    extra = {} if args.method is None else {"method": args.method}
    return fsl_curve(
        model,
        schedule,
        args.steps,
        batch=args.batch,
        kernel=args.kernel,
        record=record,
        progress=progress,
        check_stability=not args.allow_unstable,
        **extra,
    )


def _plot(curve, args, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    from fsltheory.plotting import figure, label_axes, savefig

    fig, ax = figure()
    keep = curve.step > 0  # log axes: step 0 cannot be shown
    k, e = curve.step[keep], curve.excess_risk[keep]
    ax.plot(k, e, label=f"{args.engine}: {args.schedule}")
    if curve.excess_risk_se is not None:
        se = np.nan_to_num(curve.excess_risk_se[keep])
        ax.fill_between(k, np.maximum(e - 2 * se, e * 1e-3), e + 2 * se, alpha=0.25, lw=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    label_axes(ax, "step k (steps)", "expected excess risk (dimensionless)")
    ax.legend(fontsize=8)
    model = f"beta={args.beta:g}, s={args.s:g}, sigma2={args.sigma2:g}, M={args.M}, N={args.N}"
    ax.set_title(model, fontsize=9)
    alt = (
        f"Log-log plot of the expected excess risk against the step for the {args.engine} "
        f"engine, schedule {args.schedule}, {model}."
    )
    savefig(fig, path, alt=alt, force=True)
    import matplotlib.pyplot as plt

    plt.close(fig)


def run(args) -> int:
    from fsltheory._util.output import prepare_figure, prepare_output
    from fsltheory.model import PowerLawModel
    from fsltheory.schedules import parse_schedule

    model = PowerLawModel(
        beta=args.beta, s=args.s, sigma2=args.sigma2, M=args.M, N=args.N, features=args.features
    )
    schedule = parse_schedule(args.schedule)
    if args.plot is not None and args.plot == args.out:
        raise ValueError(f"--plot {args.plot!r} is invalid: it is the same file as --out")
    # refuse to clobber before spending time on the run (the writes below then go ahead)
    out = prepare_output(args.out, force=args.force)
    plot = prepare_figure(args.plot, force=args.force, name="plot") if args.plot else None
    record = args.record
    if record is None:
        record = None if args.steps <= RECORD_ALL else RECORD_LOG
    elif record < 2:
        raise ValueError(f"record={record} is invalid: expected an integer >= 2")
    t0 = time.perf_counter()
    try:
        # no bar unless asked: stderr is for errors, and scripts capture it
        curve = _curve(args, model, schedule, record, args.progress)
    except ValueError as err:
        # the API's advice names its keyword; a CLI user needs the flag
        raise ValueError(
            str(err).replace("pass check_stability=False", "pass --allow-unstable")
        ) from None
    elapsed = time.perf_counter() - t0
    curve.to_csv(out, force=True)
    detail = curve.meta.get("method", "")
    print(
        f"{args.engine}{f' ({detail})' if detail else ''}: K={args.steps}, "
        f"final excess risk {curve.final:.6g} (initial {curve.excess_risk[0]:.6g}), "
        f"{elapsed:.2f} s; wrote {out}"
    )
    note = getattr(curve.meta, "note", "")
    if note:
        print(note)
    if plot is not None:
        _plot(curve, args, plot)
        print(f"wrote {plot}")
    return 0
