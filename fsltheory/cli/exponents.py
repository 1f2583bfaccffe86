"""``fsl exponents``: the optimal scaling exponents of a schedule family (Section 5).

Prints the derived result -- symbolic (Piecewise over ``s`` and ``beta``) or evaluated at
``--beta B --s S`` -- as text, LaTeX or JSON.  ``--schedule`` takes the SPEC syntax of
``fsl risk`` with the numbers optional (``wsd``, ``cosine:final=0``, ``power:p=3``).
"""

from __future__ import annotations

import argparse

__all__ = ["register", "run"]


def register(sub) -> None:
    p = sub.add_parser(
        "exponents",
        help="optimal scaling exponents of a schedule (data- or compute-limited)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--schedule",
        default="wsd",
        help="schedule SPEC, e.g. wsd, power:p=3, or optimal (the FSL-optimal schedule)",
    )
    p.add_argument("--budget", choices=("data", "compute"), default="data")
    p.add_argument("--beta", type=float, default=None, help="capacity exponent (> 1)")
    p.add_argument("--s", type=float, default=None, help="relative task difficulty (> 0)")
    p.add_argument("--format", choices=("text", "latex", "json"), default="text")
    p.set_defaults(func=run)


def run(args) -> int:
    from fsltheory.symbolic.scaling import scaling_for_spec

    result = scaling_for_spec(args.schedule, args.budget, beta=args.beta, s=args.s)
    if args.format == "json":
        print(result.to_json())
    elif args.format == "latex":
        print(result.to_latex(), end="")
    else:
        print(result)
    return 0
