"""Optimised schedules over two decades of N and their measured exponents (issue #9 item 4).

Run ``PYTHONPATH=. python scripts/optimal_schedules.py`` from the repository root.  It
optimises the free-form schedule (:func:`fsltheory.optimal.optimize_schedule`, exact final
excess risk, cap ``1/4 / tr(H)``, ``M = 1e9``, ``sigma^2 = 1``, two starts, 96 knots,
seed 0) at
``N = 2e3 x 2^k``, ``k = 0..7`` (up to 2.56e5, 2.1 decades) for the easy point ``(s, beta) = (1, 2)`` and
the hard point ``(0.5, 4)``, prints the derived-vs-measured table and writes
``book/data/optimal_schedules.npz`` (schedules down-sampled to <= 512 points each, ~100 KB),
which ``book/optimal-schedules.md`` and ``tests/test_optimal_scaling.py`` read.  About 8
minutes of one core in total (measured 2026-12: see the printed times; the optimisation is
linear in N).  ``--quick`` runs a three-point grid to ``/tmp`` as a smoke test.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "data" / "optimal_schedules.npz"
#: the two regimes: name -> (beta, s)
POINTS = {"easy": (2.0, 1.0), "hard": (4.0, 0.5)}
GRID = [2000 * 2**k for k in range(8)]
QUICK_GRID = [500, 1000, 2000]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="three small N, written to /tmp")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    import numpy as np

    from fsltheory.optimal.measure import measure_optimal_scaling

    grid = QUICK_GRID if args.quick else GRID
    out = args.out or (Path(os.environ.get("TMPDIR", "/tmp")) / "optimal_quick.npz"
                       if args.quick else OUT)  # fmt: skip
    arrays, tables = {}, []
    t0 = time.perf_counter()
    for name, (beta, s) in POINTS.items():
        m = measure_optimal_scaling(beta, s, grid, rng=0, progress=True)
        arrays.update(m.arrays(prefix=name + "_"))
        tables.append(m.table())
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    print("\n\n".join(tables))
    print(f"\nwrote {out} ({out.stat().st_size / 1e3:.0f} KB) in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
