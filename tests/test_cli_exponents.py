"""``fsl exponents`` and ``fsl latex`` (issue #3 item 7), and the symbolic benchmark script."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fsltheory.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_contract_wsd_data(capsys):
    code, out, _ = _run(
        capsys,
        "exponents",
        "--schedule",
        "wsd",
        "--budget",
        "data",
        "--beta",
        "2",
        "--s",
        "1",
        "--format",
        "json",
    )
    assert code == 0
    obj = json.loads(out)  # exactly one JSON object
    assert obj["schedule"] == "wsd" and obj["budget"] == "data" and obj["regime"] == "easy"
    assert obj["loss"] == {"power": "-2/3", "log": "1/3"}
    assert obj["lr"] == {"power": "-1/3", "log": "-1/3"}
    assert obj["M"] == "inf"
    assert obj["D"] is None
    assert obj["decay_fraction"] == {"power": "0", "log": "0"}
    for key in ("schedule", "budget", "regime", "loss", "lr", "M", "D", "decay_fraction"):
        assert key in obj


def test_json_compute_and_hard_regime(capsys):
    code, out, _ = _run(
        capsys,
        "exponents",
        "--schedule",
        "wsd",
        "--budget",
        "compute",
        "--beta",
        "4",
        "--s",
        "0.5",
        "--format",
        "json",
    )
    obj = json.loads(out)
    assert code == 0 and obj["regime"] == "hard"
    assert obj["loss"] == {"power": "-2/5", "log": "0"}
    assert obj["M"] == {"power": "1/5", "log": "0"} and obj["D"] == {"power": "4/5", "log": "0"}
    assert obj["relations"]["decay_fraction"] == "ge"


def test_json_families_outside_the_paper(capsys):
    code, out, _ = _run(
        capsys,
        "exponents",
        "--schedule",
        "power:p=3",
        "--beta",
        "2",
        "--s",
        "1",
        "--format",
        "json",
    )
    obj = json.loads(out)
    assert code == 0 and obj["schedule"] == "power-3"
    assert obj["loss"] == {"power": "-2/3", "log": "0"}  # no log: decay to zero, beta < p + 1
    assert obj["decay_fraction"] is None
    code, out, _ = _run(capsys, "exponents", "--schedule", "cosine:final=0", "--format", "json")
    sym = json.loads(out)
    assert code == 0 and "Piecewise" in sym["loss"]["power"] and sym["regime"] is None


def test_text_and_latex_formats(capsys):
    code, out, _ = _run(capsys, "exponents", "--schedule", "exponential", "--budget", "compute")
    assert code == 0 and "s >= 1 - 1/beta" in out and "[hard]" in out
    code, out, _ = _run(
        capsys,
        "exponents",
        "--schedule",
        "constant",
        "--format",
        "latex",
        "--beta",
        "2",
        "--s",
        "1",
    )
    assert code == 0 and out.startswith("\\begin{align*}") and "D^{- \\frac{1}{2}}" in out


def test_bad_input_exits_2(capsys):
    code, _, err = _run(capsys, "exponents", "--schedule", "nosuch")
    assert code == 2 and "unknown" in err
    code, _, err = _run(capsys, "exponents", "--schedule", "constant", "--beta", "0.5", "--s", "1")
    assert code == 2 and "beta" in err
    code, _, err = _run(capsys, "exponents", "--schedule", "file:x.csv")
    assert code == 2


def test_latex_command_refuses_to_overwrite(capsys, tmp_path):
    out = tmp_path / "tex"
    code, msg, _ = _run(capsys, "latex", "--out", str(out))
    assert code == 0 and (out / "fsltheory-scaling.tex").exists() and "snippets" in msg
    code, _, err = _run(capsys, "latex", "--out", str(out))
    assert code == 2 and "--force" in err
    code, _, _ = _run(capsys, "latex", "--out", str(out), "--force")
    assert code == 0


def test_module_entry_point():
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "fsltheory",
            "exponents",
            "--schedule",
            "exp",
            "--beta",
            "4",
            "--s",
            "0.5",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["loss"] == {"power": "-1/2", "log": "1/2"}


def test_bench_symbolic_smoke(capsys):
    spec = importlib.util.spec_from_file_location(
        "bench_symbolic", ROOT / "scripts" / "bench_symbolic.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "derived 3 schedules x 2 budgets" in out


@pytest.mark.parametrize("spec", ["wsd:shape=1-sqrt,final=0", "multistep", "cyclic", "linear"])
def test_every_supported_spec_parses(capsys, spec):
    code, out, _ = _run(
        capsys, "exponents", "--schedule", spec, "--beta", "3", "--s", "0.4", "--format", "json"
    )
    assert code == 0 and json.loads(out)["loss"]["power"].startswith("-")
