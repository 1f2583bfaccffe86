"""Regression tests for the fuzzer's findings (issue #11): each failed before its fix."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fuzz_helpers import assert_cli_contract, run_cli


# ------------------------------------------------------------------ CLI: one error line
@pytest.mark.parametrize(
    "argv",
    [
        ["risk", "--schedule", "constant:peak=0.1", "--steps", "x", "--out", "o.csv"],
        ["exponents", "--beta", "abc"],
        ["exponents", "--budget", "nope"],
        ["report", "--budgets", "x"],
        ["fit", "a.csv"],  # --save missing
        ["predict"],
        ["optimize-schedule", "--steps", "1.5", "--out", "s.csv"],
        ["latex", "--bogus"],
        ["nosuchverb"],
    ],
)
def test_bad_option_values_give_one_line(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(argv)
    verb = argv[0] if argv[0] != "nosuchverb" else ""
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"fsl {verb}".strip() + ": error: "), err
