"""Start-up time of the command line (issue #10): whole-process wall time, best of a few.

Run ``python scripts/bench_startup.py`` (``--repeat 1`` for a smoke run).  Two commands are
timed as separate processes, each the best of ``--repeat`` runs (the first run of a fresh
checkout also compiles bytecode and the numba cache; best-of skips that):

* ``fsl --help``: the parser only; target <= 0.3 s;
* ``fsl risk --engine exact --steps 10 --M 100 --schedule constant:peak=0.1``: a 10-step
  exact run written as CSV; target <= 1 s.

``fsl`` is run as ``python -m fsltheory`` with ``PYTHONPATH`` set to the tree measured, which
is the console script without the launcher's own start-up (a pyenv shim adds ~0.3 s that is
not fsltheory's).  The "before" figures were measured with this script on the commit before
the start-up work (5493abb), on the same machine, by
``--tree /tmp/before`` after ``git worktree add /tmp/before 5493abb``; ``--tree`` re-measures
any other checkout.  The ratios printed are before / after (> 1: faster now).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "help": ["--help"],
    "risk": [
        "risk",
        "--engine",
        "exact",
        "--steps",
        "10",
        "--M",
        "100",
        "--schedule",
        "constant:peak=0.1",
    ],
}
#: seconds, the issue's targets
TARGETS = {"help": 0.3, "risk": 1.0}
#: seconds, best of 5 on the commit before the start-up work (5493abb), measured with
#: ``--tree`` on the development machine (2 shared cores)
BEFORE = {"help": 3.50, "risk": 4.96}


def wall_time(tree: Path, args: list[str], repeat: int) -> float:
    """Best wall time of ``repeat`` runs of ``python -m fsltheory ARGS`` on ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "MPLBACKEND": "Agg"}
    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            cmd = [sys.executable, "-m", "fsltheory", *args]
            if args[0] == "risk":
                cmd += ["--out", str(Path(tmp) / f"risk{i}.csv")]
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=tmp, env=env, check=True, capture_output=True)
            best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (best of)")
    parser.add_argument(
        "--tree", type=Path, default=None, help="also time this checkout (the 'before')"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat={args.repeat} is invalid: expected an integer >= 1")
    before = dict(BEFORE)
    if args.tree is not None:
        before = {k: wall_time(args.tree, cmd, args.repeat) for k, cmd in COMMANDS.items()}
    print(f"start-up, best of {args.repeat} (python -m fsltheory, whole process)")
    for name, cmd in COMMANDS.items():
        now = wall_time(ROOT, cmd, args.repeat)
        verdict = "ok" if now <= TARGETS[name] else "over target"
        print(
            f"  fsl {' '.join(cmd[:3]):<22} {now:6.3f} s  (target <= {TARGETS[name]:g} s: "
            f"{verdict}); before {before[name]:.3f} s, before/after = {before[name] / now:.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
