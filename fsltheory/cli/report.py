"""``fsl report``: the main job, run on built-in defaults by a bare ``fsl``.

It grows with the package: it runs each engine at a small default point, prints a summary
and writes its outputs into a fresh folder (never over an existing one without --force).
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register", "run"]


def register(sub) -> None:
    p = sub.add_parser(
        "report",
        help="the main job: a short default run of every engine, with a summary and figures",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--out", default="fsl-report", help="output folder")
    p.add_argument("--force", action="store_true", help="replace files in an existing folder")
    p.set_defaults(func=run)


def run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import SCHEDULE_FAMILIES
    from .._output import prepare_output

    out = Path(args.out)
    K = 10_000
    fig, ax = plt.subplots(figsize=(6, 4))
    print(f"{'schedule':<12} {'T(K)':>10}")
    for name, cls in SCHEDULE_FAMILIES.items():
        kw = {"peak": 0.01}
        if name == "exponential":
            kw["final"] = 0.001
        sched = cls(**kw)
        T = sched.intrinsic_time(K)
        ax.plot(T[:-1], sched.lrs(K), label=name)
        print(f"{name:<12} {T[-1]:>10.4f}")
    ax.set_xlabel("intrinsic time T (cumulative learning rate)")
    ax.set_ylabel("learning rate")
    ax.legend(fontsize=7)
    fig_path = prepare_output(out / "schedules.png", force=args.force)
    fig.savefig(fig_path, dpi=120)
    print(f"wrote {fig_path}")
    return 0
