"""``fsl optimize-schedule``: the learning-rate schedule that minimises a law's predicted final loss.

Examples::

    fsl optimize-schedule fsl.json --steps 34000 --peak 1e-3 --warmup 500 \\
        --out schedule.csv --plot schedule.png
    fsl optimize-schedule --model kernel --beta 2 --s 1 --sigma2 1 --M 1000000000 \\
        --steps 32000 --out kernel_schedule.csv

Under a fitted law the schedule is monotone non-increasing with ``0 <= lr <= peak`` (§6.4(b)
of the paper: non-negative decrements), optimised with L-BFGS-B from the best baseline, and
compared with constant, cosine, WSD and 8-1-1 under the same law; the CSV has ``step,lr``
plus the predicted loss and the baselines' learning rates.

With ``--model kernel`` the objective is the final excess risk of the power-law kernel
model: by default (``--engine exact``) the exact expected risk, minimised over free-form
schedules with its adjoint gradient (``fsltheory.optimal.optimize_schedule``): not forced
monotone unless ``--monotone``, capped by ``--peak`` or by default by the stability bound
``max_stable_lr`` (times 0.99), from ``--starts`` starts seeded by ``--seed``, and compared
with tuned baselines.  ``--engine fsl`` minimises instead the physical-time FSL with unit
constants (the law, a different objective from the risk) under the same stability cap.
The CSV has ``step,lr,excess_risk``, with a JSON sidecar (baselines, diagnostics).
"""

from __future__ import annotations

import argparse

from fsltheory._util.output import strict_json

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
    p.add_argument(
        "--peak",
        type=float,
        default=None,
        help="peak learning rate (a law: required; the kernel model: an optional cap, "
        "default 0.99 x the stability bound)",
    )
    p.add_argument("--warmup", type=int, default=0, help="linear warmup steps (kept fixed)")
    p.add_argument(
        "--knots",
        type=int,
        default=None,
        help="decision knots (default 256; 48 for the kernel model)",
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
        "--engine",
        choices=("exact", "fsl"),
        default="exact",
        help="exact expected risk (default) or the physical-time FSL (a different objective)",
    )
    g.add_argument("--monotone", action="store_true", help="force a non-increasing schedule")
    g.add_argument("--starts", type=int, default=4, help="optimiser starts (default 4)")
    g.add_argument("--seed", type=int, default=0, help="seed of the random starts")
    p.set_defaults(func=run)


def _run_kernel(args) -> int:
    from fsltheory.model import PowerLawModel
    from fsltheory.optimal import optimize_schedule as optimize_kernel

    if args.beta is None or args.s is None:
        raise ValueError("--model kernel needs --beta and --s")
    if args.warmup:
        raise ValueError(
            f"--warmup={args.warmup} is invalid with --model kernel: expected 0 (the "
            "schedule is free-form, a warmup emerges if it lowers the risk)"
        )
    model = PowerLawModel(beta=args.beta, s=args.s, sigma2=args.sigma2, M=args.M)
    res = optimize_kernel(
        model,
        args.steps,
        batch=args.batch,
        engine=args.engine,
        cap=args.peak,
        monotone=args.monotone,
        knots=args.knots or 48,
        starts=args.starts,
        rng=args.seed,
    )
    print(res.table())
    d = res.diagnostics
    print(strict_json({k: v for k, v in d.items() if k != "messages"}, default=float))
    print(f"wrote {res.save(args.out, force=args.force)}")
    if args.plot:
        print(f"wrote {res.plot(args.plot, force=args.force)}")
    return 0


def run(args) -> int:
    from fsltheory.surrogate.optimize import optimize_law_schedule

    if args.model == "kernel":
        return _run_kernel(args)
    from fsltheory.surrogate import load_law

    if args.params is None:
        raise ValueError("PARAMS.json is required unless --model kernel")
    if args.peak is None:
        raise ValueError("--peak is required with a fitted law")
    obj = load_law(args.params)
    if obj.params is None:
        raise ValueError(f"{args.params}: the law has no parameters (fit it first)")
    knots = args.knots or 256
    res = optimize_law_schedule(obj, args.steps, args.peak, warmup=args.warmup, knots=knots)
    print(res.table())
    print(strict_json({k: v for k, v in res.info.items() if k != "message"}, default=float))
    path = res.to_csv(args.out, force=args.force)
    print(f"wrote {path}")
    if args.plot:
        print(f"wrote {res.plot(args.plot, force=args.force)}")
    return 0
