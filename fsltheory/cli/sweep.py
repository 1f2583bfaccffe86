"""``fsl sweep``: derived vs measured exponents over a grid of (s, beta) x schedules, on Dask.

For every point and schedule family: the derived loss exponent and regime (SymPy), the
log-log slope measured on the exact engine with the derived log factor divided out, their
difference, and the tuned hyper-parameters at each budget.  Tasks run on a local Dask
cluster (one process per core; ``--workers N``) or on a running scheduler
(``--scheduler ADDRESS``), and each finished task is written at once as one Parquet file
under ``--out DIR``: rerunning the same command resumes, and recomputes nothing finished.
``--kind mc`` runs Monte-Carlo SGD with random features against the exact top-M risk.

    fsl sweep --s 0.5,1 --beta 2,4 --schedules constant,wsd --budgets 1000,3000,10000 --out DIR
    fsl sweep --s 0.1:2:20 --beta 1.25:6:20 --schedules constant,exponential,wsd --out DIR
    fsl sweep plot DIR --out phase.png

Lists are comma-separated values or ``START:STOP:N`` (N evenly spaced values).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import sys
import threading
import time

__all__ = ["register", "run", "run_plot", "parse_values"]

#: default budgets of a data- / compute-limited sweep (two decades, half-decade steps)
DEFAULT_BUDGETS = {
    "data": "1000,3000,10000,30000,100000",
    "compute": "10000,30000,100000,300000,1000000",
}


def register(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="derived vs measured exponents over an (s, beta) grid, on Dask (resumable)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--s", default="0.5,1", help="difficulties s > 0 (list or START:STOP:N)")
    p.add_argument("--beta", default="2,4", help="capacity exponents beta > 1")
    p.add_argument(
        "--schedules",
        default="constant,exponential,wsd",
        help="families (constant, exponential, wsd, cosine, linear, power) or SPECs, "
        "separated by commas",
    )
    p.add_argument("--budget", default="data", help="'data' (D) or 'compute' (C = M D)")
    p.add_argument("--budgets", default=None, help="budgets of each slope (default 1e3..1e5)")
    p.add_argument(
        "--resolve",
        default=None,
        help="largest budget: move each point's budgets up by decades until its optimum is "
        "asymptotic (fsltheory.measure.resolving_budgets; data budgets)",
    )
    p.add_argument("--kind", default="exact", help="'exact' (slopes) or 'mc' (random-M SGD)")
    p.add_argument("--workers", default=None, help="local cluster processes (default: cores)")
    p.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    p.add_argument("--serial", action="store_true", help="no Dask: run in this process")
    p.add_argument("--out", default=None, help="sweep folder (created, or resumed)")
    p.add_argument("--progress", action="store_true", help="progress bar even off a TTY")
    for name, default in (("M", 32), ("N", 256), ("steps", 2000), ("runs", 100)):
        p.add_argument(f"--mc-{name}", default=None, help=f"--kind mc: {name} (default {default})")
    p.set_defaults(func=run)
    sp = p.add_subparsers(dest="sweep_command", metavar="plot")
    q = sp.add_parser("plot", help="phase diagram of a sweep folder", description=run_plot.__doc__)
    q.add_argument("dir", help="sweep folder written by fsl sweep")
    q.add_argument("--out", required=True, help="figure file (.png, .pdf, .svg)")
    q.add_argument("--schedules", default=None, help="panels (default: all in the sweep)")
    q.add_argument("--force", action="store_true", help="replace an existing figure")
    q.set_defaults(func=run_plot)


def parse_values(name: str, text: str) -> list[float]:
    """``'a,b,c'`` or ``'start:stop:n'`` -> floats; ``ValueError`` naming ``name`` otherwise."""
    import numpy as np

    bad = f"{name}={text!r} is invalid: expected comma-separated numbers or START:STOP:N"
    text = str(text).strip()
    try:
        if ":" in text:
            a, b, n = text.split(":")
            n_f = float(n)
            if not (n_f.is_integer() and n_f >= 1):
                raise ValueError
            vals = np.linspace(float(a), float(b), int(n_f)).tolist()
        else:
            vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(bad) from None
    if not vals or not all(math.isfinite(v) for v in vals):
        raise ValueError(bad)
    return [round(v, 12) for v in vals]


def _int_option(name: str, text, minimum: int = 1) -> int | None:
    if text is None:
        return None
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v.is_integer() and v >= minimum):
        raise ValueError(f"{name}={text!r} is invalid: expected an integer >= {minimum}")
    return int(v)


def run(args) -> int:
    from fsltheory._util.validate import check_choice
    from fsltheory.sweep import KINDS, grid, run_sweep

    if args.out is None:
        raise ValueError("--out is required: expected a folder for the sweep's Parquet files")
    check_choice("kind", args.kind, KINDS)
    check_choice("budget", args.budget, ("data", "compute"))
    s_vals = parse_values("s", args.s)
    beta_vals = parse_values("beta", args.beta)
    budgets = parse_values("budgets", args.budgets or DEFAULT_BUDGETS[args.budget])
    schedules = [x.strip() for x in args.schedules.split(",") if x.strip()]
    workers = _int_option("workers", args.workers)
    if args.serial and args.scheduler:
        raise ValueError("--serial is invalid with --scheduler: pick one")
    if args.serial and workers is not None:
        # a serial run has no workers: accepting the option would let a user believe that
        # the sweep ran on N processes
        raise ValueError(f"--workers={workers} is invalid with --serial: pick one")
    settings = {}
    for name in ("M", "N", "steps", "runs"):
        v = _int_option(f"mc-{name}", getattr(args, f"mc_{name}"), 2 if name == "steps" else 1)
        if v is not None:
            settings[name] = v
    if settings and args.kind != "mc":
        raise ValueError(f"--mc-* options are invalid with kind={args.kind!r}: expected --kind mc")
    if args.resolve is not None:
        if args.kind != "exact" or args.budget != "data":
            raise ValueError(
                f"--resolve={args.resolve} is invalid with kind={args.kind!r}, "
                f"budget={args.budget!r}: expected --kind exact --budget data"
            )
        top = parse_values("resolve", args.resolve)
        if len(top) != 1 or top[0] < max(budgets):
            raise ValueError(
                f"--resolve={args.resolve!r} is invalid: expected one budget >= the largest "
                f"of --budgets ({max(budgets):g})"
            )
        settings["resolve"] = float(top[0])
    t0 = time.perf_counter()
    with _terminate_as_interrupt():
        df = run_sweep(
            grid(s_vals, beta_vals),
            schedules,
            args.budget,
            budgets,
            out=args.out,
            kind=args.kind,
            scheduler="serial" if args.serial else args.scheduler,
            workers=workers,
            progress=True if args.progress else None,
            settings=settings or None,
        )
    _print_table(df, args.kind)
    print(
        f"{len(df)} tasks in {args.out}: computed {df.attrs['computed']}, reused "
        f"{df.attrs['reused']} ({time.perf_counter() - t0:.1f} s); "
        f"plot with: fsl sweep plot {args.out} --out phase.png"
    )
    return 0


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM (``kill``, a batch system) stops the sweep like Ctrl-C: cluster closed,
    finished files kept.  Background jobs of a non-interactive shell ignore SIGINT."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _print_table(df, kind: str) -> None:
    if kind == "exact":
        print(
            f"{'schedule':<12}{'s':>7}{'beta':>7} {'regime':<7}{'derived':>10}{'measured':>10}{'diff':>8}"
        )
        for r in df.itertuples():
            print(
                f"{r.schedule:<12}{r.s:>7.3g}{r.beta:>7.3g} {r.regime:<7}"
                f"{r.derived_power:>10.4f}{r.measured_slope:>10.4f}{r.difference:>+8.3f}"
            )
    else:
        print(
            f"{'schedule':<12}{'s':>7}{'beta':>7} {'regime':<7}{'final rel. diff':>16}{'z':>8}{'slope diff':>11}"
        )
        for r in df.itertuples():
            print(
                f"{r.schedule:<12}{r.s:>7.3g}{r.beta:>7.3g} {r.regime:<7}"
                f"{r.final_rel_diff:>+16.3f}{r.final_z:>8.1f}{r.slope_difference:>+11.3f}"
            )
    sys.stdout.flush()


def run_plot(args) -> int:
    """Phase diagram of a sweep folder: regime regions, exact boundary, deviation colours."""
    import matplotlib

    matplotlib.use("Agg")
    from fsltheory._util.output import prepare_figure
    from fsltheory.sweep import plot_phase_diagram, read_sweep
    from fsltheory.sweep.plot import save_phase_diagram

    df = read_sweep(args.dir)
    out = prepare_figure(args.out, force=args.force)  # refuse before drawing
    schedules = [x.strip() for x in args.schedules.split(",")] if args.schedules else None
    if schedules:
        missing = sorted(set(schedules) - set(df["schedule"]))
        if missing:
            raise ValueError(
                f"schedules={args.schedules!r} is invalid: {missing} not in the sweep "
                f"(it has {sorted(set(df['schedule']))})"
            )
    fig = plot_phase_diagram(df, schedules=schedules)
    path = save_phase_diagram(fig, out, force=True)  # the overwrite was settled above
    print(f"wrote {path}")
    return 0
