"""Benchmark ``fsl sweep``: Dask on 2 workers vs 1 worker, and Dask vs a plain loop.

An ``n x n`` grid of (s, beta) x schedules at data budgets 1e3..1e5 (issue #13: 10 x 10 x 3,
speed-up >= 1.7x on 2 workers, Dask overhead <= 10% of a plain loop).  Every path runs in
this one process and is timed on the same tasks, after warming the numba caches: the plain
loop calls :func:`fsltheory.sweep.tasks.compute` in order (no files), the Dask runs go
through :func:`fsltheory.run_sweep` (tasks, Parquet files and all) on clusters started and
warmed beforehand; cluster start-up is reported separately.  On a shared machine the
figures move with the other load: the script prints the load average next to them.

    python scripts/bench_sweep.py            # 10 x 10 x 3, a few minutes on 2 free cores
    python scripts/bench_sweep.py --quick    # 4 x 4 x 3 at 1e3..1e4, seconds
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fsltheory.sweep import build_tasks, grid, run_sweep, warm_up  # noqa: E402
from fsltheory.sweep.tasks import compute  # noqa: E402


def _values(text):
    return [float(x) for x in text.split(",")]


def _dask_run(tasks_args, workers: int, out: Path) -> tuple[float, float]:
    from distributed import Client

    from fsltheory.sweep.runner import _register_plugin, local_cluster

    t0 = time.perf_counter()
    with local_cluster(workers) as cluster, Client(cluster) as client:
        _register_plugin(client)  # warm every worker before the clock starts
        startup = time.perf_counter() - t0
        t1 = time.perf_counter()
        df = run_sweep(*tasks_args, out=out, scheduler=client, progress=False)
        elapsed = time.perf_counter() - t1
    assert df.attrs["computed"] == len(df)
    return elapsed, startup


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=10, help="grid side (n x n points)")
    p.add_argument("--schedules", default="constant,exponential,wsd")
    p.add_argument("--budgets", default="1000,3000,10000,30000,100000")
    p.add_argument("--quick", action="store_true", help="4 x 4 grid at budgets 1e3..1e4")
    p.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = p.parse_args(argv)
    n, budgets = args.n, _values(args.budgets)
    if args.quick:
        n, budgets = 4, [1000.0, 3000.0, 10000.0]
    points = grid(np.linspace(0.2, 1.8, n), np.linspace(1.5, 5.0, n))
    schedules = args.schedules.split(",")
    tasks_args = (points, schedules, "data", budgets)
    tasks = build_tasks(*tasks_args)
    load0 = os.getloadavg()[0]

    warm_up()
    t0 = time.perf_counter()
    for task in tasks:
        compute(task)
    loop = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        one, start1 = _dask_run(tasks_args, 1, Path(tmp) / "one")
        two, start2 = _dask_run(tasks_args, 2, Path(tmp) / "two")
    res = {
        "tasks": len(tasks),
        "grid": f"{n} x {n} x {len(schedules)}",
        "budgets": budgets,
        "loop_s": loop,
        "dask1_s": one,
        "dask2_s": two,
        "startup_s": [start1, start2],
        "speedup": one / two,
        "overhead": (one - loop) / loop,
        "overhead_per_task_ms": 1e3 * (one - loop) / len(tasks),
        "seconds_per_task": loop / len(tasks),
        "cores": os.cpu_count(),
        "loadavg": [load0, os.getloadavg()[0]],
    }
    print(
        f"{res['grid']} = {len(tasks)} tasks at budgets {budgets[0]:g}..{budgets[-1]:g}: "
        f"plain loop {loop:.1f} s ({res['seconds_per_task']:.3f} s/task), "
        f"Dask 1 worker {one:.1f} s, 2 workers {two:.1f} s"
    )
    print(
        f"speed-up 2 vs 1 workers: {res['speedup']:.2f}x (target >= 1.7); "
        f"Dask overhead vs loop: {res['overhead']:+.1%} "
        f"({res['overhead_per_task_ms']:+.1f} ms/task; target <= 10%); cluster start-up "
        f"{start1:.1f} s / {start2:.1f} s (not counted); load average "
        f"{load0:.2f} -> {res['loadavg'][1]:.2f} on {res['cores']} cores"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    main()
