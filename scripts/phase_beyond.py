"""Re-measure the points of a phase-diagram sweep beyond the agreement band, in their own window.

The committed 20 x 20 sweep (``book/data/phase-diagram``) measures every point at data
budgets 1e3..1e5.  Away from the region boundaries the points beyond the 0.05 band are all
*outside the asymptotic range* there (their tuned optimum does not resolve the spectrum,
or sits on the peak cap where the derived optimal peak falls): ``book/phase-diagram.md``.
This script takes exactly those points and runs them again with ``settings={'resolve':
MAX}``, the rule of :func:`fsltheory.measure.resolving_budgets`: each point's budgets move
up by decades until its optimum is asymptotic, with the largest budget at most ``MAX``.
The rule reads the tuned optimum, never the slope.

    python scripts/phase_beyond.py --sweep book/data/phase-diagram \\
        --schedules cosine,exponential,linear,power --resolve 1e7 --out beyond
    python scripts/phase_beyond.py --sweep book/data/phase-diagram \\
        --schedules wsd --resolve 1e6 --out beyond

The output is a sweep folder (resumable; ``fsltheory.sweep.read_sweep`` reads it).
``--control N`` takes instead ``N`` seeded random points per schedule that are already
within the band with a window before the asymptotic range, as a control: the same rule must
not push them out.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fsltheory.measure import SLOPE_BAND  # noqa: E402
from fsltheory.sweep import read_sweep, run_sweep  # noqa: E402
from fsltheory.sweep.plot import near_boundaries  # noqa: E402


def _away(df, schedules, beyond: bool):
    """Rows away from the boundaries (of ``schedules``) beyond the band, or within it."""
    if schedules:
        df = df[df["schedule"].isin(schedules)]
    away = df[~near_boundaries(df)]
    off = (away["measured_slope"] - away["derived_power"]).abs() > SLOPE_BAND
    return away[off if beyond else ~off]


def _points(sub) -> list[tuple[float, float]]:
    return [(float(r.s), float(r.beta)) for r in sub.itertuples()]


def beyond_points(df, schedules=None) -> dict[str, list[tuple[float, float]]]:
    """``{schedule: [(s, beta), ...]}`` of the rows away from the boundaries beyond the band."""
    return {name: _points(sub) for name, sub in _away(df, schedules, True).groupby("schedule")}


def control_points(df, n: int, rng, schedules=None) -> dict[str, list[tuple[float, float]]]:
    """``n`` seeded random rows per schedule that are *within* the band with a window before
    the asymptotic range, away from the boundaries: moved by the same rule, they show that
    moving a window does not push a point out of the band."""
    import numpy as np

    from fsltheory.sweep.plot import asymptotic_rows

    inside = _away(df, schedules, False)
    out = {}
    for name, sub in inside[~asymptotic_rows(inside)].groupby("schedule"):
        # one stream per schedule: a family's points do not depend on the others asked for
        gen = np.random.default_rng([int(rng), zlib.crc32(name.encode())])
        out[name] = _points(sub.iloc[np.sort(gen.choice(len(sub), min(n, len(sub)), False))])
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sweep", required=True, help="the sweep folder to take the points from")
    p.add_argument("--schedules", default=None, help="only these families (comma-separated)")
    p.add_argument("--resolve", type=float, required=True, help="largest budget of a window")
    p.add_argument("--workers", type=int, default=None, help="local cluster processes")
    p.add_argument("--serial", action="store_true", help="no Dask: run in this process")
    p.add_argument("--out", required=True, help="sweep folder for the new rows")
    p.add_argument(
        "--control",
        type=int,
        default=0,
        help="instead: this many seeded random points per schedule that are within the band "
        "with a window before the asymptotic range",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of --control's choice")
    args = p.parse_args(argv)
    df = read_sweep(args.sweep)
    names = [x.strip() for x in args.schedules.split(",")] if args.schedules else None
    budgets = sorted({tuple(b) for b in df["budgets"]})
    if len(budgets) != 1:
        raise SystemExit(f"{args.sweep}: expected one budget list, found {len(budgets)}")
    total = 0
    if args.control:
        chosen = control_points(df, args.control, args.seed, names)
    else:
        chosen = beyond_points(df, names)
    for name, points in chosen.items():
        res = run_sweep(
            points,
            [name],
            "data",
            list(budgets[0]),
            out=args.out,
            scheduler="serial" if args.serial else None,
            workers=args.workers,
            settings={"resolve": args.resolve},
        )
        total += len(res)
        print(f"{name}: {len(res)} points (computed {res.attrs['computed']})", flush=True)
    print(f"{total} points in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
