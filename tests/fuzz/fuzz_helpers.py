"""Helpers of the fuzz suite: the hypothesis profile and an in-process CLI runner."""

from __future__ import annotations

import contextlib
import io
import os

from hypothesis import HealthCheck, settings

_EXAMPLES = int(os.environ.get("FSL_FUZZ_EXAMPLES", "1000"))

#: examples per entry point from FSL_FUZZ_EXAMPLES (1000 by default, as the issue asks of the CI run; 10000 for the long run);
#: derandomised and without the example database, so runs are bit-identical across processes
FUZZ = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``fsl ARGV`` in-process: ``(exit code, stdout, stderr)``; SystemExit becomes a code."""
    from fsltheory.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    return code, out.getvalue(), err.getvalue()


def assert_cli_contract(code: int, err: str, verb: str) -> None:
    """Exit 0, or exit 2 with exactly one stderr line ``fsl VERB: error: ...``."""
    assert code in (0, 2), (code, err)
    if code == 2:
        lines = err.strip("\n").splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith(f"fsl {verb}: error: "), err


#: for entry points where a valid example costs a SymPy derivation or a least-squares fit:
#: a tenth of the examples in the default suite (``FSL_FUZZ_COSTLY_EXAMPLES`` overrides it;
#: the long run sets both to 10000)
FUZZ_COSTLY = settings(
    FUZZ, max_examples=int(os.environ.get("FSL_FUZZ_COSTLY_EXAMPLES", max(20, _EXAMPLES // 10)))
)
