"""Benchmarks for the numeric core (issue #2): prints ratios measured in this run.

Run ``python scripts/bench_core.py`` (``--quick`` for a tiny smoke run).  Each section
times fsltheory against a simple reference measured in the same process and prints the
absolute time and the ratio; the tests check correctness, not time.
"""

from __future__ import annotations

import argparse
import time


def timed(fn, *args, repeat: int = 1, **kw):
    """Best wall time of ``repeat`` calls, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_exact(quick: bool) -> None:
    """Exact engine, M = 1e6 and N = inf, K = 1e6 WSD steps vs the plain full recursion."""
    raise NotImplementedError


def bench_mc(quick: bool) -> None:
    """Monte Carlo on the B.1 workload: 200 runs x M = 128 x 1e4 steps."""
    raise NotImplementedError


def bench_fsl(quick: bool) -> None:
    """FSL curve for K = 1e6 steps vs the naive O(K^2) double sum."""
    raise NotImplementedError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--only", choices=["exact", "mc", "fsl"], default=None)
    args = parser.parse_args(argv)
    for name, fn in (("exact", bench_exact), ("mc", bench_mc), ("fsl", bench_fsl)):
        if args.only in (None, name):
            fn(args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
