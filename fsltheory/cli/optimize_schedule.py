"""``fsl optimize-schedule``: the learning-rate schedule that minimises a law's predicted final loss.

Examples::

    fsl optimize-schedule fsl.json --steps 34000 --peak 1e-3 --warmup 500 \\
        --out schedule.csv --plot schedule.png
    fsl optimize-schedule --model kernel --beta 2 --s 0.5 --sigma2 1 --M 1000 \\
        --steps 10000 --peak 0.05 --out kernel_schedule.csv

The schedule is monotone non-increasing with ``0 <= lr <= peak`` (§6.4(b) of the paper:
non-negative decrements), optimised with L-BFGS-B from the best baseline, and compared
with constant, cosine, WSD and 8-1-1 under the same law.  With ``--model kernel`` the
objective is the final excess risk of the power-law kernel model (``fsltheory.fsl_curve``,
or the exact engine with ``--engine exact``).  The CSV has ``step,lr`` plus the predicted
loss and the baselines' learning rates.
"""

from __future__ import annotations

import argparse
import json

__all__ = ["register", "run"]


def register(sub) -> None:
    p = sub.add_parser(
        "optimize-schedule",
        help="optimise the learning-rate schedule under a fitted law or the kernel model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "params", metavar="PARAMS.json", nargs="?", default=None, help="a law saved by fsl fit"
    )
    p.add_argument("--steps", type=int, required=True, help="horizon K (warmup included)")
    p.add_argument("--peak", type=float, required=True, help="peak learning rate")
    p.add_argument("--warmup", type=int, default=0, help="linear warmup steps (kept fixed)")
    p.add_argument(
        "--knots",
        type=int,
        default=None,
        help="decision knots (default 256; 24 for the kernel model)",
    )
    p.add_argument(
        "--out", metavar="SCHEDULE.csv", required=True, help="where to write the schedule"
    )
    p.add_argument(
        "--plot", metavar="FILE.png", default=None, help="plot schedules and predicted curves"
    )
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument(
        "--model",
        choices=("law", "kernel"),
        default="law",
        help="objective: a fitted law or the kernel model",
    )
    g = p.add_argument_group("kernel model (--model kernel)")
    g.add_argument("--beta", type=float, default=None, help="capacity exponent beta > 1")
    g.add_argument("--s", type=float, default=None, help="source exponent s > 0")
    g.add_argument("--sigma2", type=float, default=1.0, help="label-noise variance")
    g.add_argument("--M", type=int, default=1000, help="model width")
    g.add_argument("--batch", type=int, default=1, help="batch size")
    g.add_argument(
        "--engine", choices=("fsl", "exact"), default="fsl", help="FSL evaluator or exact engine"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from fsltheory.surrogate.optimize import optimize_schedule

    if args.model == "kernel":
        from fsltheory.surrogate.kernel_objective import kernel_objective

        if args.beta is None or args.s is None:
            raise ValueError("--model kernel needs --beta and --s")
        obj = kernel_objective(
            args.beta, args.s, args.sigma2, args.M, args.steps, batch=args.batch, engine=args.engine
        )
        knots = args.knots or 24
    else:
        from fsltheory.surrogate import load_law

        if args.params is None:
            raise ValueError("PARAMS.json is required unless --model kernel")
        obj = load_law(args.params)
        if obj.params is None:
            raise ValueError(f"{args.params}: the law has no parameters (fit it first)")
        knots = args.knots or 256
    res = optimize_schedule(obj, args.steps, args.peak, warmup=args.warmup, knots=knots)
    print(res.table())
    print(json.dumps({k: v for k, v in res.info.items() if k != "message"}, default=float))
    path = res.to_csv(args.out, force=args.force)
    print(f"wrote {path}")
    if args.plot:
        print(f"wrote {res.plot(args.plot, force=args.force)}")
    return 0
