"""``fsl risk``: the CSV and figure it writes, every engine, and one-line errors on bad input."""

import csv
import subprocess
import sys

import numpy as np
import pytest
from helpers import F64

from fsltheory import PowerLawModel, expected_risk, parse_schedule
from fsltheory.cli import main

SPEC = "wsd:peak=0.1,decay=0.2,final=0.001,shape=exponential"


def read_csv(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return list(rows[0]), {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def test_exact_csv_and_plot(tmp_path, capsys):
    out, png = tmp_path / "risk.csv", tmp_path / "risk.png"
    argv = ["risk", "--schedule", SPEC, "--steps", "3000", "--M", "5000", "--beta", "1.5"]
    argv += ["--s", "0.3", "--sigma2", "0.5", "--batch", "2", "--record", "60"]
    rc = main(argv + ["--out", str(out), "--plot", str(png)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "exact (compressed)" in printed and str(out) in printed and str(png) in printed
    cols, data = read_csv(out)
    assert cols == ["step", "lr", "intrinsic_time", "excess_risk"]
    want = expected_risk(
        PowerLawModel(beta=1.5, s=0.3, sigma2=0.5, M=5000), parse_schedule(SPEC), 3000,
        batch=2, record=60,
    )  # fmt: skip
    np.testing.assert_array_equal(data["step"], want.step)
    np.testing.assert_allclose(data["excess_risk"], want.excess_risk, rtol=F64)
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "r.csv"
    out.write_text("mine\n")
    argv = ["risk", "--schedule", "constant:peak=0.05", "--steps", "50", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("fsl risk: error:") and "--force" in err and err.count("\n") == 1
    assert out.read_text() == "mine\n"
    assert main(argv + ["--force"]) == 0
    assert read_csv(out)[1]["step"][-1] == 50


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--steps", "x"], "argument --steps: steps='x' is invalid: expected an integer >= 1"),
        (["--M", "0"], "argument --M: M='0' is invalid: expected an integer >= 1"),
        (["--N", "5", "--M", "10"], "N=5 is invalid: expected N >= M"),
        (["--beta", "1"], "beta=1.0 is invalid: expected beta > 1"),
        (["--s", "abc"], "argument --s: s='abc' is invalid: expected a number"),
        (["--sigma2", "-1"], "sigma2=-1.0 is invalid"),
        (["--batch", "0"], "argument --batch: batch='0' is invalid"),
        (["--schedule", "bogus:peak=1"], "schedule family 'bogus' is unknown"),
        (["--schedule", "constant:peak=-1"], "peak=-1.0 is invalid"),
        (["--schedule", "constant:peak=5"], "lr=5 (at step 0; schedule peak 5) is invalid"),
        (["--method", "nope"], "method='nope' is invalid"),
        (["--engine", "magic"], "argument --engine: invalid choice: 'magic'"),
        (["--features", "random"], "N=inf is invalid for features='random'"),
        (["--record", "1"], "record=1 is invalid"),
        (["--engine", "sgd", "--method", "full"], "--method is invalid with --engine sgd"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, extra, message):
    argv = ["risk", "--schedule", "constant:peak=0.05", "--steps", "20"]
    argv += ["--out", str(tmp_path / "x.csv")] + extra
    try:
        rc = main(argv)
    except SystemExit as stop:  # argparse-level errors exit through parser.error
        rc = stop.code
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("fsl risk: error: ") and err.count("\n") == 1, err
    assert message in err
    assert not (tmp_path / "x.csv").exists()


def test_random_features_exact(tmp_path):
    out = tmp_path / "rnd.csv"
    argv = ["risk", "--schedule", "cosine:peak=0.01", "--steps", "200", "--M", "6", "--N", "20"]
    assert main(argv + ["--features", "random", "--seed", "4", "--out", str(out)]) == 0
    model = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=6, N=20, features="random")
    want = expected_risk(model, parse_schedule("cosine:peak=0.01"), 200, rng=4)
    np.testing.assert_allclose(read_csv(out)[1]["excess_risk"], want.excess_risk, rtol=F64)


def test_sgd_engine_writes_standard_errors(tmp_path):
    out = tmp_path / "sgd.csv"
    argv = ["risk", "--engine", "sgd", "--runs", "50", "--seed", "1", "--M", "16"]
    argv += ["--schedule", "constant:peak=0.05", "--steps", "200", "--out", str(out)]
    assert main(argv) == 0
    cols, data = read_csv(out)
    assert cols[-1] == "excess_risk_se" and np.all(data["excess_risk_se"][1:] > 0)


def test_fsl_engine(tmp_path):
    out = tmp_path / "fsl.csv"
    argv = ["risk", "--engine", "fsl", "--M", "128", "--schedule", "cosine:peak=0.01"]
    assert main(argv + ["--steps", "500", "--record", "40", "--out", str(out)]) == 0
    cols, data = read_csv(out)
    assert cols == ["step", "lr", "intrinsic_time", "excess_risk"] and data["step"][-1] == 500


def test_python_m_fsltheory_risk(tmp_path):
    out = tmp_path / "sub.csv"
    cmd = [sys.executable, "-m", "fsltheory", "risk", "--schedule", "constant:peak=0.05"]
    done = subprocess.run(
        cmd + ["--steps", "100", "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("exact (compressed): K=100")
    assert read_csv(out)[1]["step"][-1] == 100


def test_bench_startup_script_runs(capsys):
    """``scripts/bench_startup.py`` times both commands and prints targets and ratios."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "bench_startup.py"
    spec = importlib.util.spec_from_file_location("bench_startup", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--repeat", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("start-up, best of 1")
    assert [line.split()[1] for line in lines[1:]] == ["--help", "risk"]
    for line in lines[1:]:
        seconds = float(line.split(" s ")[0].split()[-1])
        assert 0 < seconds < 60 and "target <=" in line and "before/after =" in line
