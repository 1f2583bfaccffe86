"""The surrogate scripts run end to end on tiny settings (``--quick``)."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_surrogate_tables_quick(tmp_path, capsys):
    out = tmp_path / "tables.md"
    assert load("surrogate_tables").main(["--quick", "--out", str(out)]) == 0
    text = out.read_text()
    assert (
        "| MPL (published params, our code) | 0.9988 | 0.00376 | 0.00465 | 0.110% | 0.409% |"
        in text
    )
    assert "FSL (ours" in text and "Schaipp" in text and "### Optimised schedules" in text
    assert "vs MPL published" in text


def test_surrogate_tables_refuses_an_existing_out_before_fitting(tmp_path, monkeypatch):
    out = tmp_path / "tables.md"
    out.write_text("mine")
    mod = load("surrogate_tables")

    def no_fitting(*args, **kw):
        raise AssertionError("fitted before checking --out")

    monkeypatch.setattr(mod, "mpl_section", no_fitting)
    monkeypatch.setattr("sys.stdin", None)  # no prompt: the refusal itself
    with pytest.raises(FileExistsError, match="--force"):
        mod.main(["--quick", "--out", str(out)])
    assert out.read_text() == "mine"


@pytest.mark.slow
def test_bench_surrogate_quick(capsys):
    assert load("bench_surrogate").main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "speed-up" in out and "== fit" in out and "== optimise" in out
