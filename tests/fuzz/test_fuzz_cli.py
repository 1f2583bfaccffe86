"""Every ``fsl`` verb in-process with fuzzed arguments (issue #11).

The contract: exit 0, or exit 2 with exactly one stderr line ``fsl VERB: error: ...``; never a
traceback, never another exit code.  Sizes stay small (steps <= 200, M <= 64, runs <= 4).
"""

from __future__ import annotations

import pytest
from fuzz_helpers import FUZZ, FUZZ_COSTLY, assert_cli_contract, run_cli
from hypothesis import given
from hypothesis import strategies as st
from strategies import NUMBERS, csv_texts, good_specs, law_dicts, specs

NUM_TEXT = st.one_of(
    st.integers(-3, 200).map(str),
    st.floats(0.01, 5.0).map(repr),
    NUMBERS.map(lambda x: repr(float(x)) if isinstance(x, float) else str(x)),
    st.sampled_from(["", "x", "1e999", "nan", "-inf", "1.5", "0"]),
)


def _opt(name, values):
    return st.one_of(st.just([]), values.map(lambda v: [name, v]))


@st.composite
def risk_argv(draw, out):
    argv = ["risk", "--schedule", draw(st.one_of(good_specs(), specs())), "--out", out, "--force"]
    argv += ["--steps", draw(st.one_of(st.integers(1, 200).map(str), NUM_TEXT))]
    argv += draw(_opt("--engine", st.sampled_from(["exact", "sgd", "fsl", "bogus"])))
    argv += draw(_opt("--beta", NUM_TEXT)) + draw(_opt("--s", NUM_TEXT))
    argv += draw(_opt("--sigma2", NUM_TEXT))
    argv += ["--M", draw(st.one_of(st.integers(1, 64).map(str), NUM_TEXT))]
    argv += draw(_opt("--N", st.one_of(st.sampled_from(["inf", "64", "128"]), NUM_TEXT)))
    argv += ["--runs", draw(st.integers(1, 4).map(str) | st.sampled_from(["0", "-1", "x"]))]
    argv += draw(_opt("--batch", NUM_TEXT)) + draw(_opt("--record", NUM_TEXT))
    argv += draw(_opt("--kernel", st.sampled_from(["proxy", "finite", "x"])))
    argv += draw(_opt("--method", st.sampled_from(["auto", "full", "naive", "fast", "x"])))
    argv += draw(st.sampled_from([[], ["--allow-unstable"], ["--bogus"]]))
    return argv


@FUZZ
@given(st.data())
def test_fsl_risk(tmp_path_factory, data):
    out = str(tmp_path_factory.mktemp("r") / "r.csv")
    code, _, err = run_cli(data.draw(risk_argv(out)))
    assert_cli_contract(code, err, "risk")


@FUZZ_COSTLY
@given(
    st.one_of(st.sampled_from(["wsd", "cosine", "power:p=3", "optimal", "constant"]), specs()),
    st.sampled_from(["data", "compute", "x"]),
    _opt("--beta", NUM_TEXT),
    _opt("--s", NUM_TEXT),
    st.sampled_from(["text", "json", "latex", "x"]),
)
def test_fsl_exponents(spec, budget, beta, s, fmt):
    argv = ["exponents", "--schedule", spec, "--budget", budget, *beta, *s, "--format", fmt]
    code, out, err = run_cli(argv)
    assert_cli_contract(code, err, "exponents")
    if code == 0 and fmt == "json":
        import json

        json.loads(out, parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))


@FUZZ
@given(st.lists(st.sampled_from(["--budgets", "--quick", "--out", "--force", "x", "-1", "2", "0"])))
def test_fsl_report_bad_arguments(tmp_path_factory, extra):
    # only invalid argument lists: a valid report is a 30 s job
    out = str(tmp_path_factory.mktemp("rep") / "r")
    argv = ["report", "--out", out, "--budgets", "2", *extra]
    code, _, err = run_cli(argv)
    assert code == 2
    assert_cli_contract(code, err, "report")


@FUZZ
@given(st.sampled_from(["file", "dir", "nested-under-file", "missing-parent"]), st.booleans())
def test_fsl_latex_out_paths(tmp_path_factory, kind, force):
    base = tmp_path_factory.mktemp("lx")
    (base / "f").write_text("x")
    out = {
        "file": base / "f",
        "dir": base,
        "nested-under-file": base / "f" / "sub",
        "missing-parent": base / "f2" / "sub",
    }[kind]
    if kind in ("dir", "missing-parent"):
        return  # valid: a full export (seconds); its success is tested in tests/test_latex.py
    code, _, err = run_cli(["latex", "--out", str(out), *(["--force"] if force else [])])
    assert code == 2
    assert_cli_contract(code, err, "latex")


@st.composite
def surrogate_files(draw, base):
    csv = base / draw(st.sampled_from(["a.csv", "constant_24000.csv", "wsdcon_9.csv"]))
    csv.write_text(draw(csv_texts()))
    law = base / "law.json"
    d = draw(law_dicts())
    import json

    try:
        law.write_text(json.dumps(d))
    except (ValueError, OverflowError):
        law.write_text("{")
    return csv, law


@FUZZ_COSTLY
@given(st.data(), st.sampled_from(["mpl", "momentum", "fsl"]), st.sampled_from(["csv", "mpl"]))
def test_fsl_fit(tmp_path_factory, data, law, fmt):
    base = tmp_path_factory.mktemp("fit")
    csv, _ = data.draw(surrogate_files(base))
    argv = ["fit", str(csv), "--law", law, "--format", fmt, "--save", str(base / "p.json")]
    argv += ["--starts", data.draw(st.sampled_from(["1", "0", "-2", "x"]))]
    code, _, err = run_cli(argv)
    assert_cli_contract(code, err, "fit")


@FUZZ
@given(st.data(), st.sampled_from(["csv", "mpl"]), st.booleans())
def test_fsl_predict(tmp_path_factory, data, fmt, metrics):
    base = tmp_path_factory.mktemp("pr")
    csv, law = data.draw(surrogate_files(base))
    if data.draw(st.booleans()):
        from fsltheory import MPL_PUBLISHED_PARAMS, MultiPowerLaw

        MultiPowerLaw(MPL_PUBLISHED_PARAMS[25]).save(law, force=True)
    argv = ["predict", str(law), str(csv), "--format", fmt, *(["--metrics"] if metrics else [])]
    code, out, err = run_cli(argv)
    assert_cli_contract(code, err, "predict")
    if code == 0 and metrics:
        import json

        json.loads(out.splitlines()[0], parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))


@FUZZ_COSTLY
@given(
    st.data(),
    st.sampled_from(["law", "kernel"]),
    st.one_of(st.integers(2, 60).map(str), NUM_TEXT),
    _opt("--peak", NUM_TEXT),
    _opt("--warmup", NUM_TEXT),
)
def test_fsl_optimize_schedule(tmp_path_factory, data, model, steps, peak, warmup):
    base = tmp_path_factory.mktemp("op")
    _, law = data.draw(surrogate_files(base))
    argv = ["optimize-schedule", "--model", model, "--steps", steps, *peak, *warmup]
    argv += ["--out", str(base / "s.csv"), "--force", "--knots", "4", "--starts", "1"]
    if model == "law":
        argv.insert(1, str(law))
    else:
        argv += ["--beta", data.draw(NUM_TEXT), "--s", data.draw(NUM_TEXT), "--M", "16"]
    code, _, err = run_cli(argv)
    assert_cli_contract(code, err, "optimize-schedule")


@FUZZ
@given(
    st.lists(
        st.sampled_from(["list", "path", "mpl/25M", "mpl/25M/cosine_24000", "x", "--x"]), max_size=3
    )
)
def test_fsl_data(argv):
    code, _, err = run_cli(["data", *argv])
    assert_cli_contract(code, err, "data")


pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


# ``fsl sweep``: serial only (a LocalCluster per example costs seconds; the cluster path has
# its own tests in tests/test_sweep.py), and valid values from a few small sets, so that a
# valid example computes each (point, schedule, budgets) task once and later ones resume it
_S = ["1", "0.5,1", "2:1:2", "", "x", "0", "-1", "nan", "1e999", "1:2:0", "1:2:x", ",", "0.5,,1"]
_BETA = ["2", "2,4", "", "1", "0.5", "x", "inf", "1:3:0", "4:2:-1"]
_SCHED = ["constant", "constant,wsd", "wsd", "", "bogus", "constant,,wsd", "power:p=0", "wsd:x=1"]
_BUDGETS = ["8,16,32", "8,16,32,64", "150", "100,100", "", "x", "-8,16,32", "0,1,2", "1e999,2,3"]


@pytest.fixture(scope="module")
def sweep_dirs(tmp_path_factory):
    """A finished tiny sweep (for ``plot``), a folder that fuzzed sweeps share, a file and
    a folder with a broken part file."""
    base = tmp_path_factory.mktemp("sweep")
    done = base / "done"
    code, _, err = run_cli(
        ["sweep", "--s", "1", "--beta", "2", "--schedules", "constant", "--budgets", "8,16,32"]
        + ["--serial", "--out", str(done)]
    )
    assert code == 0, err
    (base / "file").write_text("x")
    broken = base / "broken"  # a sweep folder with a damaged part file
    broken.mkdir()
    (broken / "_fsl_sweep.json").write_text('{"kind": "exact"}')
    (broken / "part-compact-0.parquet").write_text("not parquet")
    badmark = base / "badmark"  # and one with a damaged marker
    badmark.mkdir()
    (badmark / "_fsl_sweep.json").write_text('{"kind": ')
    dirs = {"done": done, "shared": base / "shared", "file": base / "file", "broken": broken}
    return dirs | {"badmark": badmark}


@st.composite
def sweep_argv(draw, dirs, out):
    if draw(st.integers(0, 3)) == 0:  # a quarter: the plot sub-verb
        folder = draw(st.sampled_from(["done", "file", "broken", "badmark", "missing"]))
        where = dirs.get(folder, dirs["done"].parent / "missing")
        fig = draw(st.sampled_from(["p.png", "p.svg", "p.txt", "", "missing/p.png", "."]))
        argv = ["sweep", "plot", str(where), "--out", str(out / fig) if fig else ""]
        argv += draw(_opt("--schedules", st.sampled_from(["constant", "wsd", "x", ""])))
        return argv + draw(st.sampled_from([[], ["--force"], ["--bogus"]]))
    where = draw(st.sampled_from(["shared", "shared", "file", "broken", "badmark"]))
    argv = ["sweep", "--serial", "--out", str(dirs[where])]
    argv += ["--s", draw(st.sampled_from(_S)), "--beta", draw(st.sampled_from(_BETA))]
    argv += ["--schedules", draw(st.sampled_from(_SCHED))]
    argv += ["--budgets", draw(st.sampled_from(_BUDGETS))]
    argv += draw(_opt("--budget", st.sampled_from(["data", "compute", "x"])))
    argv += draw(_opt("--kind", st.sampled_from(["exact", "mc", "x"])))
    # --kind mc: always small (its defaults are a 2000-step, 100-run job per task)
    argv += [
        "--mc-M",
        draw(st.sampled_from(["4", "0", "x"])),
        "--mc-N",
        draw(st.sampled_from(["8", "2", "x"])),
    ]
    argv += ["--mc-steps", draw(st.sampled_from(["20", "0", "x"]))]
    argv += ["--mc-runs", draw(st.sampled_from(["2", "0", "-1"]))]
    argv += draw(_opt("--workers", st.sampled_from(["1", "0", "x", "-2"])))
    argv += draw(st.sampled_from([[], ["--scheduler", "x"], ["--bogus"], ["--progress"]]))
    return argv


@FUZZ_COSTLY
@given(st.data())
def test_fsl_sweep(tmp_path_factory, sweep_dirs, data):
    out = tmp_path_factory.mktemp("sw")
    code, _, err = run_cli(data.draw(sweep_argv(sweep_dirs, out)))
    assert_cli_contract(code, err, "sweep")
