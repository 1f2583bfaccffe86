"""``fsl fit``, ``fsl predict``, ``fsl optimize-schedule``: smoke tests and error handling."""

import json
import subprocess
import sys

import pytest

from fsltheory.cli import main
from fsltheory.surrogate.datasets import data_path

MPL25 = data_path("multipowerlaw", "csv_25")


def mpl(name):
    return str(MPL25 / f"{name}.csv")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A momentum-law fit on two MPL training curves (the fastest law to fit)."""
    out = tmp_path_factory.mktemp("fit") / "m.json"
    rc = main(
        [
            "fit",
            mpl("cosine_24000"),
            mpl("wsdcon_9"),
            "--format",
            "mpl",
            "--law",
            "momentum",
            "--save",
            str(out),
            "--starts",
            "1",
        ]
    )
    assert rc == 0
    return out


def test_fit_writes_json_and_refuses_to_overwrite(fitted, capsys):
    d = json.loads(fitted.read_text())
    assert d["law"] == "momentum" and set(d["params"]) == {"L0", "A", "alpha", "C", "lam"}
    assert d["fit"]["train"] == ["cosine_24000", "wsdcon_9"]
    rc = main(
        ["fit", mpl("cosine_24000"), "--format", "mpl", "--law", "momentum", "--save", str(fitted)]
    )
    assert rc == 2
    assert "refusing to overwrite" in capsys.readouterr().err


def test_predict_metrics_is_one_json_object(fitted, capsys):
    rc = main(
        [
            "predict",
            str(fitted),
            mpl("wsd_20000_24000"),
            mpl("wsdcon_3"),
            "--format",
            "mpl",
            "--metrics",
        ]
    )
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"curves", "mean"}
    assert set(out["curves"]) == {mpl("wsd_20000_24000"), mpl("wsdcon_3")}
    for m in [*out["curves"].values(), out["mean"]]:
        assert set(m) == {"r2", "mae", "rmse", "prede", "worste"}
        assert 0.99 < m["r2"] <= 1 and 0 < m["prede"] < 0.01


def test_predict_rows_plot_and_plain_csv(fitted, tmp_path, capsys):
    # a plain step,lr,loss file (lr interpolated between logged steps)
    csv = tmp_path / "wsd.csv"
    csv.write_text((MPL25 / "wsd_20000_24000.csv").read_text())
    png = tmp_path / "p.png"
    rc = main(
        ["predict", str(fitted), str(csv), "--plot", str(png), "--out", str(tmp_path / "p.csv")]
    )
    assert rc == 0 and png.stat().st_size > 1000
    rows = (tmp_path / "p.csv").read_text().splitlines()
    assert rows[0] == "file,step,lr,loss,predicted" and len(rows) > 100


def test_optimize_schedule_law_and_kernel(fitted, tmp_path, capsys):
    out = tmp_path / "s.csv"
    rc = main(
        [
            "optimize-schedule",
            str(fitted),
            "--steps",
            "4000",
            "--peak",
            "3e-4",
            "--warmup",
            "200",
            "--knots",
            "32",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "| optimised |" in text and "wsd-exp-0.2" in text
    assert out.read_text().splitlines()[0].startswith("step,lr,predicted_loss")
    rc = main(
        [
            "optimize-schedule",
            "--model",
            "kernel",
            "--beta",
            "2",
            "--s",
            "0.5",
            "--M",
            "100",
            "--steps",
            "800",
            "--peak",
            "0.05",
            "--knots",
            "6",
            "--out",
            str(tmp_path / "k.csv"),
        ]
    )
    assert rc == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fit", "missing.csv", "--save", "x.json"], "missing.csv: no such file"),
        (["predict", "missing.json", "missing.csv"], "missing.json: no such file"),
        (
            ["optimize-schedule", "--steps", "100", "--peak", "0.1", "--out", "x.csv"],
            "PARAMS.json is required",
        ),
        (
            [
                "optimize-schedule",
                "--model",
                "kernel",
                "--steps",
                "100",
                "--peak",
                "0.1",
                "--out",
                "x.csv",
            ],
            "needs --beta and --s",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_bad_csv_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("step,lr,loss\n10,0.1,3.0\n5,0.1,2.9\n")
    assert main(["fit", str(bad), "--save", str(tmp_path / "x.json")]) == 2
    assert "steps are not sorted" in capsys.readouterr().err


def test_subprocess_predict(fitted):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "fsltheory",
            "predict",
            str(fitted),
            mpl("wsdld_20000_24000"),
            "--format",
            "mpl",
            "--metrics",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(r.stdout)["mean"]["r2"] > 0.99
