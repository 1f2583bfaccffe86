"""``fsl fit``: fit a loss-curve law (FSL-fast by default, the FSL ansatz, FSL-LR, the
multi-power law or the momentum law) to curves.

Examples::

    fsl fit cosine.csv constant.csv --save fast.json
    fsl fit cosine.csv constant.csv --law fsl --save fsl.json
    fsl fit csv_25/cosine_24000.csv csv_25/constant_24000.csv csv_25/wsdcon_9.csv \\
        --format mpl --law mpl --save mpl25.json

Each CSV has columns ``step,lr,loss`` (the validation loss at logged steps).  The fit uses the
post-warmup points, the papers' Huber loss on log loss (delta = 1e-3) and several starts; the
parameters and fit diagnostics are written as JSON (never over an existing file without
``--force``) for ``fsl predict`` and ``fsl optimize-schedule``.
"""

from __future__ import annotations

import argparse

from fsltheory.cli._surrogate_io import add_curve_args, read_curves

__all__ = ["register", "run"]


def register(sub) -> None:
    p = sub.add_parser(
        "fit",
        help="fit a loss-curve law (fsl-fast, fsl, fsl-lr, mpl, momentum) to step,lr,loss files",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_curve_args(p)
    p.add_argument(
        "--law",
        choices=("fsl-fast", "fsl", "fsl-lr", "mpl", "momentum"),
        default="fsl-fast",
        help="which law (default fsl-fast: the best predictions on the MPL and Schaipp data)",
    )
    p.add_argument("--save", metavar="PARAMS.json", required=True, help="where to write the fit")
    p.add_argument(
        "--starts",
        type=int,
        default=None,
        help="least-squares refinements (default 4; 2 for fsl-fast), the best of a fixed "
        "design of max(8 x starts, the law's minimum: 64 for fsl-fast) points",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random starting points")
    p.add_argument(
        "--smooth", default=None, help="smoothing: ema:SPAN or rolling:WINDOW (default none)"
    )
    p.add_argument("--min-step", type=int, default=None, help="ignore loss points before this step")
    p.add_argument(
        "--xi",
        choices=("start", "end"),
        default=None,
        help="FSL only: where the LRD weight is evaluated",
    )
    p.add_argument(
        "--zeta",
        action="store_true",
        help="FSL only: fit an 8th parameter, the per-decrement time scale eta_k^-zeta (an extension)",
    )
    p.add_argument(
        "--bootstrap",
        type=int,
        default=0,
        metavar="N",
        help="store a 90%% prediction band from N bootstrap refits (drawn by fsl predict --plot)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing PARAMS.json")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from fsltheory._util.output import strict_json
    from fsltheory.surrogate import LAWS

    if args.bootstrap and args.bootstrap < 2:
        raise ValueError(f"--bootstrap={args.bootstrap} is invalid: expected 0 or an integer >= 2")
    if args.starts is not None and args.starts < 1:
        raise ValueError(f"--starts={args.starts} is invalid: expected an integer >= 1")
    if (args.xi is not None or args.zeta) and args.law != "fsl":
        raise ValueError("--xi and --zeta apply only to --law fsl")
    curves = read_curves(args)
    opts = {"xi": args.xi} if args.xi else {}
    if args.zeta:
        opts["zeta"] = True
    law = LAWS[args.law](**opts)
    res = law.fit(
        list(curves.values()),
        starts=args.starts,
        rng=args.seed,
        smoothing=args.smooth,
        min_step=args.min_step,
        progress=args.progress,
    )
    if args.bootstrap:
        from fsltheory.surrogate.bands import attach_band

        attach_band(res.law, list(curves.values()), n_boot=args.bootstrap, rng=args.seed)
    path = res.law.save(args.save, force=args.force)
    print(
        f"{res.law.title}: fitted to {len(curves)} curve(s), {res.n_points} points, {res.seconds:.2f} s"
    )
    print(strict_json(res.law.params, indent=2))
    print(f"objective {res.cost:.6g}, rms log residual {res.rmse_log:.3g}")
    for d in res.diagnostics:
        print(f"warning: {d}")
    print(f"wrote {path}")
    return 0
