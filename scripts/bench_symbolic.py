"""Benchmark: derive the whole exponent table for every supported schedule (issue #3: <= 10 s).

Run ``python scripts/bench_symbolic.py`` (``--quick``: the paper's three schedules only).
Caches are cleared first, so every reduced objective, every balancing and every Piecewise
is derived from scratch; the script prints per-schedule and total wall/CPU times.
"""

from __future__ import annotations

import argparse
import time

LIMIT_S = 10.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the paper's three schedules only")
    args = parser.parse_args(argv)

    from fsltheory import derive_scaling
    from fsltheory.symbolic import clear_caches
    from fsltheory.symbolic.profiles import supported_schedules
    from fsltheory.symbolic.tables import PAPER_SCHEDULES

    clear_caches()
    schedules = supported_schedules()
    if args.quick:
        schedules = {k: v for k, v in schedules.items() if k in PAPER_SCHEDULES}
    w0, c0 = time.perf_counter(), time.process_time()
    n_regions = 0
    print(f"{'schedule':<16} {'budget':<8} {'regions':>7} {'wall [s]':>9}")
    for label, sched in schedules.items():
        for budget in ("data", "compute"):
            t = time.perf_counter()
            res = derive_scaling(sched, budget)
            n_regions += len(res.regions)
            print(f"{label:<16} {budget:<8} {len(res.regions):>7} {time.perf_counter() - t:>9.3f}")
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    verdict = "within" if wall <= LIMIT_S else "OVER"
    print(
        f"derived {len(schedules)} schedules x 2 budgets ({n_regions} regions) in "
        f"{wall:.2f} s wall, {cpu:.2f} s CPU: {verdict} the {LIMIT_S:g} s target"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
