"""Smoke tests of the main job (``fsl`` with no arguments runs ``fsl report``)."""

import json
import subprocess
import sys

import pytest

from fsltheory.cli import main


@pytest.mark.slow
def test_report_quick_writes_everything(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", "--quick", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Derived optimal scaling" in text and "verdict" in text
    for name in ("crosscheck.png", "engines.png", "summary.json", "latex/fsltheory-scaling.tex"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert {r["schedule"] for r in summary["crosscheck"]} == {"constant", "exponential", "wsd"}


def test_report_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "mine.txt").write_text("user data")
    assert main(["report", "--quick", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (out / "mine.txt").read_text() == "user data"


def test_module_entry_point_help():
    res = subprocess.run(
        [sys.executable, "-m", "fsltheory", "report", "--help"], capture_output=True, text=True
    )
    assert res.returncode == 0 and "main job" in res.stdout
