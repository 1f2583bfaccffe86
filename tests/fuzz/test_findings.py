"""Regression tests for the fuzzer's findings (issue #11): each failed before its fix."""

from __future__ import annotations

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


# ---------------------------------------------------- uncaught exceptions become ValueError
def test_exponents_nonnumeric_beta_is_valueerror():
    from fsltheory import derive_scaling, scaling_for_spec
    from fsltheory.schedules import WSD
    from fsltheory.symbolic.results import _q

    with pytest.raises(ValueError, match="beta='n' is invalid"):
        derive_scaling(WSD(peak=0.1, final=0.001), "data", beta="n")
    with pytest.raises(ValueError, match="s=.* is invalid"):
        scaling_for_spec("wsd", "data", beta=2, s=[1])
    with pytest.raises(ValueError):
        _q([1])


@pytest.mark.parametrize(
    "d",
    [
        {
            "law": "mpl",
            "params": {"L0": "a", "A": 1, "alpha": 1, "B": 1, "C": 1, "beta": 1, "gamma": 1},
        },
        {
            "law": "mpl",
            "params": {"L0": None, "A": 1, "alpha": 1, "B": 1, "C": 1, "beta": 1, "gamma": 1},
        },
        {"law": "mpl", "params": 5},
        {"law": "mpl", "params": "abc"},
        {"law": "mpl", "options": [1]},
        {"law": "mpl", "options": {"clip": "yes"}},
        {"law": "mpl", "fit": 3},
        {"law": ["mpl"]},
    ],
)
def test_law_from_dict_refuses_bad_params(d):
    from fsltheory.surrogate.law import law_from_dict

    with pytest.raises(ValueError):
        law_from_dict(d)


def test_momentum_final_loss_lam_one_is_finite_or_refused():
    from fsltheory import MomentumLaw

    law = MomentumLaw({"L0": 2.0, "A": 0.5, "alpha": 0.5, "C": 1.0, "lam": 0.999})
    assert np.isfinite(law.final_loss(np.full(10, 1e-3)))
    try:
        v = MomentumLaw({"L0": 2.0, "A": 0.5, "alpha": 0.5, "C": 1.0, "lam": 1.0}).final_loss(
            np.linspace(1e-3, 1e-4, 10)
        )
    except ValueError:
        return
    assert np.isfinite(v)


def test_momentum_final_loss_zero_lrs_refused():
    from fsltheory import MomentumLaw

    law = MomentumLaw({"L0": 2.0, "A": 0.5, "alpha": 0.5, "C": 1.0, "lam": 0.9})
    with pytest.raises(ValueError):
        law.final_loss(np.zeros(5))


@pytest.mark.parametrize("steps", ["-100000", "nan", "inf", "1e30", "-1"])
def test_read_mpl_curve_bad_steps(tmp_path, steps):
    from fsltheory import read_mpl_curve

    f = tmp_path / "constant_24000.csv"
    f.write_text(f"step,lr,loss\n{steps},0.0003,3.0\n")
    with pytest.raises(ValueError):
        read_mpl_curve(f)


@pytest.mark.parametrize(
    "name", ["cosine_99999999999999", "cosine_5", "wsd_24000_100", "wsd_10_24000"]
)
def test_mpl_schedule_bad_names(name):
    from fsltheory import mpl_schedule

    with pytest.raises(ValueError, match=name.split("_")[0]):
        mpl_schedule(name)


def test_check_finite_huge_int():
    from fsltheory import PowerLawModel
    from fsltheory._util.validate import check_finite

    with pytest.raises(ValueError, match="finite"):
        check_finite("x", 10**400)
    with pytest.raises(ValueError, match="beta"):
        PowerLawModel(beta=10**400, s=0.5)


@pytest.mark.parametrize("record", [10**30, 1e300, float("nan"), [10**30]])
def test_record_steps_huge(record):
    from fsltheory.curve import record_steps

    try:
        r = record_steps(record, 10)
    except ValueError:
        return
    assert r[0] == 0 and r[-1] == 10


def test_huge_sizes_refused_with_memory_estimate():
    from fsltheory import PowerLawModel, expected_risk, fsl_curve, read_mpl_curve, simulate_sgd

    m = PowerLawModel(beta=2, s=0.5, sigma2=1, M=16)
    for f in (expected_risk, fsl_curve):
        with pytest.raises(ValueError, match="steps=.*GiB"):
            f(m, "constant:peak=0.1", 10**12)
    with pytest.raises(ValueError, match="steps=.*GiB"):
        simulate_sgd(m, "constant:peak=0.1", 10**12, runs=2)
    big = PowerLawModel(beta=2, s=0.5, sigma2=1, M=10**6, N=10**6)
    with pytest.raises(ValueError, match="GiB"):
        expected_risk(big, "constant:peak=0.1", 10, method="matrix")
    with pytest.raises(ValueError, match="GiB"):
        simulate_sgd(PowerLawModel(beta=2, s=0.5, M=10**9), "constant:peak=0.1", 10, runs=4)
    with pytest.raises(ValueError, match="GiB"):
        read_mpl_curve("constant_99999999999.csv")


# ----------------------------------------------------------- non-finite results refused
@pytest.mark.parametrize(
    "beta,s,N",
    [(1e200, 1e200, None), (2.0, 300.0, None), (1e308, 1e308, 10), (1.0000001, 1e-300, None)],
)
def test_model_sums_finite_or_refused(beta, s, N):
    from fsltheory import PowerLawModel

    m = PowerLawModel(beta=beta, s=s, sigma2=1.0, M=4, N=N)
    try:
        vals = (m.tail_error(), m.initial_excess_risk())
    except ValueError:
        return
    assert all(np.isfinite(v) and v >= 0 for v in vals)


@pytest.mark.parametrize("s", [300.0, 1e-8, 60.0])
def test_fsl_finite_kernel_extreme_s(s):
    from fsltheory import PowerLawModel, fsl_curve

    m = PowerLawModel(beta=2.0, s=s, sigma2=1.0, M=16)
    try:
        c = fsl_curve(m, "constant:peak=0.1", 10, kernel="finite")
    except ValueError:
        return
    assert np.all(np.isfinite(c.excess_risk)) and np.all(c.excess_risk >= 0)


# ------------------------------------------------------------------ silent wrong answers
def test_fsl_curve_refuses_unstable_like_exact():
    from fsltheory import PowerLawModel, expected_risk, fsl_curve

    m = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=16)
    with pytest.raises(ValueError) as e1:
        expected_risk(m, "constant:peak=100", 10)
    with pytest.raises(ValueError) as e2:
        fsl_curve(m, "constant:peak=100", 10)
    assert str(e1.value) == str(e2.value)
    assert np.isfinite(fsl_curve(m, "constant:peak=100", 10, check_stability=False).final)


def test_cli_fsl_refuses_unstable_and_names_flag(tmp_path):
    out = str(tmp_path / "r.csv")
    argv = ["risk", "--engine", "fsl", "--schedule", "constant:peak=100", "--steps", "10"]
    code, _, err = run_cli([*argv, "--out", out])
    assert_cli_contract(code, err, "risk")
    assert code == 2 and "--allow-unstable" in err and "check_stability" not in err
    code, out_, _ = run_cli([*argv, "--out", out, "--force", "--allow-unstable"])
    assert code == 0


def test_cli_fsl_prints_unfitted_note(tmp_path):
    argv = ["risk", "--engine", "fsl", "--schedule", "constant:peak=0.1", "--steps", "10"]
    code, out, _ = run_cli([*argv, "--out", str(tmp_path / "r.csv")])
    assert code == 0 and "unfitted" in out


def test_cli_risk_no_progress_bar_unless_asked(tmp_path, monkeypatch):
    import fsltheory.cli.risk as risk

    assert not hasattr(risk, "PROGRESS_STEPS")


def test_cli_risk_out_is_a_directory(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    argv = ["risk", "--schedule", "constant:peak=0.1", "--steps", "5", "--out", str(d), "--force"]
    code, _, err = run_cli(argv)
    assert code == 2
    assert_cli_contract(code, err, "risk")


def test_cli_latex_out_is_a_file(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    code, _, err = run_cli(["latex", "--out", str(f)])
    assert code == 2
    assert_cli_contract(code, err, "latex")


@pytest.mark.parametrize("verb", ["risk", "predict", "sweep"])
def test_figure_suffix_refused_before_the_work(verb, tmp_path):
    # found by the sweep fuzzer: a figure named p.txt was refused by matplotlib's own
    # multi-format message after the run (risk had already written its CSV)
    fig = tmp_path / "p.txt"
    argv = {
        "risk": ["risk", "--schedule", "constant:peak=0.1", "--steps", "10"]
        + ["--out", str(tmp_path / "r.csv"), "--plot", str(fig)],
        "predict": ["predict", str(tmp_path / "law.json"), "x.csv", "--plot", str(fig)],
        "sweep": ["sweep", "plot", str(tmp_path), "--out", str(fig)],
    }[verb]
    if verb == "sweep":  # an (empty) sweep folder, so that only the figure name is wrong
        (tmp_path / "_fsl_sweep.json").write_text('{"kind": "exact"}')
    code, out, err = run_cli(argv)
    assert_cli_contract(code, err, verb)
    assert code == 2 and "is invalid: expected a figure file ending in one of" in err
    assert ".png" in err and not (tmp_path / "r.csv").exists() and not out


@pytest.mark.parametrize(
    "marker, part",
    [("{", None), ("[1]", None), ('{"kind": 3}', None), ('{"kind": "exact"}', "not parquet")],
)
def test_damaged_sweep_folder_is_one_line(marker, part, tmp_path):
    # found by the sweep fuzzer: a damaged marker gave KeyError/JSONDecodeError tracebacks,
    # a damaged part file pyarrow's ArrowInvalid
    (tmp_path / "_fsl_sweep.json").write_text(marker)
    if part is not None:
        (tmp_path / "part-compact-0.parquet").write_text(part)
    for argv in (
        ["sweep", "plot", str(tmp_path), "--out", str(tmp_path / "p.png")],
        ["sweep", "--s", "1", "--beta", "2", "--budgets", "8,16,32", "--serial"]
        + ["--schedules", "constant", "--out", str(tmp_path)],
    ):
        code, _, err = run_cli(argv)
        assert code == 2, err
        assert_cli_contract(code, err, "sweep")
        assert "is invalid" in err


def _two_row_csv(tmp_path):
    f = tmp_path / "two.csv"
    f.write_text("step,lr,loss\n0,0.001,4.0\n1,0.001,3.9\n")
    return f


def test_fit_refuses_fewer_points_than_parameters(tmp_path):
    f = _two_row_csv(tmp_path)
    code, _, err = run_cli(["fit", str(f), "--law", "mpl", "--save", str(tmp_path / "p.json")])
    assert code == 2 and "expected at least 7" in err
    assert_cli_contract(code, err, "fit")


@pytest.mark.parametrize("n", ["0", "-3", "2", "x"])
def test_report_budgets_below_three_refused(n, tmp_path):
    code, _, err = run_cli(["report", "--budgets", n, "--out", str(tmp_path / "r")])
    assert code == 2 and "budgets" in err
    assert_cli_contract(code, err, "report")


def test_report_quick_prints_its_budget_range(tmp_path, monkeypatch):
    import fsltheory.cli.report as report

    class Stop(ValueError):
        pass

    def stop(*a, **k):
        raise Stop("stop after the header")

    monkeypatch.setattr(report, "_derive_tables", lambda: ({}, 0.0))
    monkeypatch.setattr(report, "_crosscheck", stop)
    code, out, _ = run_cli(["report", "--quick", "--out", str(tmp_path / "r")])
    assert code == 2 and "D = 1e3..1e4" in out


def test_duplicate_spec_keys_refused():
    from fsltheory import parse_schedule

    with pytest.raises(ValueError, match="'peak'.*twice"):
        parse_schedule("constant:peak=0.1,peak=0.2")


def test_predict_metrics_is_strict_json(tmp_path):
    import json as js

    from fsltheory import MPL_PUBLISHED_PARAMS, MultiPowerLaw

    law = MultiPowerLaw(MPL_PUBLISHED_PARAMS[25])
    p = law.save(tmp_path / "law.json")
    f = tmp_path / "two.csv"  # one post-warmup point: r2 is undefined
    f.write_text("step,lr,loss\n100,0.001,4.0\n200,0.001,3.9\n")
    code, out, err = run_cli(["predict", str(p), str(f), "--metrics"])
    assert code == 0, err
    res = js.loads(out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert res["mean"]["r2"] is None and "mean.r2" in res["nulls"]


def test_negative_loss_message_is_plain():
    from fsltheory import LossCurve

    with pytest.raises(ValueError) as e:
        LossCurve(step=np.array([0, 1]), loss=np.array([1.0, -1.0]), lrs=np.ones(2))
    assert "np.float64" not in str(e.value) and "-1.0" in str(e.value)


def test_csv_floats_are_the_intended_decimals(tmp_path):
    from fsltheory import PowerLawModel, expected_risk

    m = PowerLawModel(beta=2, s=0.5, sigma2=1, M=4)
    c = expected_risk(m, "constant:peak=0.1", 3)
    f = c.to_csv(tmp_path / "c.csv")
    text = (tmp_path / "c.csv").read_text() if f is None else open(f).read()
    assert "0.30000000000000004" not in text and "0.3" in text


def test_file_spec_with_too_long_name_is_valueerror():
    # found by tests/fuzz/test_fuzz_api.py::test_scaling_for_spec (OSError: File name too long)
    from fsltheory import parse_schedule, scaling_for_spec

    spec = "file:peak=" + "1" * 300
    with pytest.raises(ValueError):
        parse_schedule(spec)
    with pytest.raises(ValueError):
        scaling_for_spec(spec, "data")


@pytest.mark.parametrize("batch", [10**30, [10**30], 2**60])
def test_huge_batch_is_valueerror(batch):
    # found by tests/fuzz/test_fuzz_api.py::test_expected_risk (OverflowError in np.full)
    from fsltheory import PowerLawModel, expected_risk

    m = PowerLawModel(beta=2.0, s=1.0, sigma2=0.0, M=1)
    b = batch if not isinstance(batch, list) else batch * 1
    with pytest.raises(ValueError, match="batch"):
        expected_risk(m, "constant:peak=0.5", 1, batch=b)


@pytest.mark.parametrize("value", ["inf", "nan", "1e400"])
def test_cli_exponents_nonfinite_beta_is_one_line(value):
    code, _, err = run_cli(["exponents", "--beta", value, "--s", "1"])
    assert code == 2
    assert_cli_contract(code, err, "exponents")


@pytest.mark.parametrize("name", ["mpl", "fsl", "momentum"])
def test_surrogate_prediction_huge_rates_refused(name):
    from fsltheory import MPL_PUBLISHED_PARAMS
    from fsltheory.surrogate import LAWS

    law = LAWS[name](
        MPL_PUBLISHED_PARAMS[25] if name == "mpl" else [0.5] * len(LAWS[name].param_names)
    )
    lrs = np.array([1e308, 1e-308] * 25)
    try:
        y = law.predict(lrs)
    except ValueError:
        return
    assert np.all(np.isfinite(y))


@pytest.mark.parametrize("kw", [{"M": 10**300}, {"M": 31, "N": 10**300}])
def test_model_width_beyond_float_is_valueerror(kw):
    # found by the long fuzz run (tests/fuzz/test_fuzz_api.py::test_model): OverflowError
    from fsltheory import PowerLawModel

    with pytest.raises(ValueError, match="2\\*\\*53"):
        PowerLawModel(beta=1.01, s=4.8e285, sigma2=0.0, **kw)


def test_trace_h_at_huge_beta_is_finite():
    # found by the long fuzz run: ZeroDivisionError in the Hurwitz zeta at beta = 1075
    from fsltheory import PowerLawModel

    assert PowerLawModel(beta=1075.0, s=1.0, sigma2=0.0, M=1, N=1).trace_H() == 1.0


#: one parameter set per law, of the order of the fits to the shipped 25M curves
_FITTED = {
    "mpl": {
        "law": "mpl",
        "params": dict(
            zip(
                ("L0", "A", "alpha", "B", "C", "beta", "gamma"),
                (3.04, 0.52, 0.51, 364.0, 2.07, 0.58, 0.64),
                strict=True,
            )
        ),
    },
    "fsl": {
        "law": "fsl",
        "params": {
            "L0": 2.5,
            "c1": 1.0,
            "c2": 0.5,
            "c3": 0.5,
            "c4": 1000.0,
            "s": 0.5,
            "gamma": 0.5,
        },
    },
    "momentum": {
        "law": "momentum",
        "params": {"L0": 2.0, "A": 0.5, "alpha": 0.5, "C": 1.0, "lam": 0.999},
    },
}


@pytest.mark.parametrize("law_name", ["mpl", "fsl", "momentum"])
@pytest.mark.parametrize(
    "lrs",
    [
        [1e308] * 8,
        [1e308, 1e308, 1e-5],
        [3e-4, np.nan, 1e-4],
        [3e-4, -1e-4, 1e-4],
        [],
        [[3e-4, 1e-4]],
    ],
)
def test_final_loss_refuses_overflow_and_bad_rates(law_name, lrs):
    """Every law's ``final_loss`` (the optimiser's objective) refuses what it cannot evaluate:
    huge rates overflow inside the sums and used to come back as inf or nan."""
    from fsltheory.surrogate.law import law_from_dict

    law = law_from_dict(_FITTED[law_name])
    assert np.isfinite(law.final_loss(np.linspace(3e-4, 3e-5, 50)))
    for grad in (False, True):
        with pytest.raises(ValueError, match="lrs|not finite and positive"):
            law.final_loss(np.array(lrs, dtype=float), grad=grad)


@pytest.mark.parametrize("runs", [10**30, 1e30, 2**62])
def test_simulate_sgd_refuses_endless_runs(runs):
    """``runs=1e30`` used to start a computation that never returns."""
    from fsltheory import PowerLawModel, simulate_sgd

    with pytest.raises(ValueError, match=r"runs=.*floating-point operations"):
        simulate_sgd(PowerLawModel(beta=2.0, s=1.0, M=64), "constant:peak=0.1", 1000, runs=runs)
    with pytest.raises(ValueError, match=r"runs=.*GiB"):
        simulate_sgd(
            PowerLawModel(beta=2.0, s=1.0, M=2),
            "constant:peak=0.1",
            10,
            runs=10**12,
            keep_runs=True,
        )


@pytest.mark.parametrize("M", [95185, 10**6, 2**40])
def test_tail_sums_underflow_to_zero_not_zerodivision(M):
    """Found by the long fuzz run: ``s beta = 64`` and ``M ~ 1e5`` made every term of the
    Hurwitz zeta tail underflow, and its stopping rule divided by the zero sum."""
    import math

    from fsltheory import PowerLawModel
    from fsltheory._util.zeta import hurwitz_zeta

    m = PowerLawModel(beta=8.0, s=8.0, sigma2=0.0, M=M)
    assert 0.0 <= m.tail_error() < 1e-300
    assert math.isfinite(m.initial_excess_risk()) and m.initial_excess_risk() > 0
    assert hurwitz_zeta(65.0, 95186.0) >= 0.0


def test_power_exponent_with_long_decimal_refused():
    """Found by the 1e4-example run: ``power:p=0.814349`` became a radical under
    ``nsimplify`` (CoercionFailed in the rational LP) or overflowed a float; a short decimal
    is derived exactly."""
    import sympy as sp

    from fsltheory import scaling_for_spec

    with pytest.raises(ValueError, match=r"p=0\.814349 is invalid"):
        scaling_for_spec("power:p=0.814349", "data")
    x = scaling_for_spec("power:p=0.8143", "data").at(beta=2, s=0.5).loss.power
    assert isinstance(x, sp.Rational) and x.q < 10**6


def test_derivation_caches_are_bounded(monkeypatch):
    """Every distinct schedule parameter is a new cache key: a 1e4-spec fuzz run grew the
    unbounded caches to 24 GB and was killed."""
    import importlib

    from fsltheory import scaling_for_spec

    bal = importlib.import_module("fsltheory.symbolic.balance")
    from fsltheory.symbolic.objectives import reduced_objective

    assert reduced_objective.cache_info().maxsize == bal.balance.cache_info().maxsize == 512
    monkeypatch.setattr(bal, "_FAMILIES_MAX", 2)
    for p in ("1.25", "1.75", "2.25", "2.75"):
        scaling_for_spec(f"power:p={p}", "data")
        assert len(bal._FAMILIES) <= 2


@pytest.mark.parametrize("s", ["A.A", "x.y.z", "1/0", "(", "__import__"])
def test_derive_scaling_text_parameters_refused(s):
    """Found by the 1e4-example run: ``s='A.A'`` reached SymPy's parser and came back as an
    AttributeError."""
    from fsltheory import WSD, derive_scaling

    with pytest.raises(ValueError, match="s=.* is invalid"):
        derive_scaling(WSD(peak=0.1, final=0.001), "data", s=s)


def test_read_mpl_curve_huge_horizon_refused_before_allocating(tmp_path):
    """Found by the 1e4-example run: ``cosine_752381868`` passed the one-array memory check
    and then asked numpy for several 5.6 GiB work arrays."""
    from fsltheory import read_mpl_curve

    f = tmp_path / "cosine_752381868.csv"
    f.write_text("step,lr,loss\n1,0.0003,3.0\n")
    with pytest.raises(ValueError, match="GiB"):
        read_mpl_curve(f)
