"""The exact engine at a constant learning rate as matrix powers (fsltheory.exact.constant)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from helpers import F64

from fsltheory import Constant, PowerLawModel, expected_risk
from fsltheory.exact.constant import constant_recursion, worth_it
from fsltheory.exact.engine import _compressed_nodes, run_recursion
from fsltheory.exact.spectrum import spectrum_rule


def _nodes(model, horizon):
    return _compressed_nodes(model, spectrum_rule(model.M, model.beta, horizon))


@pytest.mark.parametrize(
    "beta, s, eta, batch, K",
    [(2.0, 0.5, 0.1, 1, 40_000), (6.0, 1.5, 0.02, 1, 100_000), (1.5, 0.7, 0.05, 4, 30_000)],
)
def test_powers_equal_the_step_by_step_recursion(beta, s, eta, batch, K):
    model = PowerLawModel(beta=beta, s=s, sigma2=1.0, M=10**9)
    lam, r0, w, C = _nodes(model, eta * K)
    rec = np.array([0, 1, 7, 1000, K // 3, K - 1, K])
    ref, _ = run_recursion(
        lam, r0, C, 1.0, np.full(K, eta), np.full(K, 1.0 / batch), rec, weights=w
    )
    got = constant_recursion(lam, r0, C, 1.0, eta, batch, rec, weights=w)
    # the same products regrouped into log2(K) doubling steps: round-off only (F64 tier)
    np.testing.assert_allclose(got, ref, rtol=F64)
    assert np.all(np.isfinite(got)) and np.all(got > 0)


def test_expected_risk_runs_a_long_constant_rate_as_powers():
    model = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=10**9)
    K = 2_000_000
    rec = [0, 1000, K // 2, K]
    fast = expected_risk(model, Constant(peak=0.05), K, record=rec)
    slow = expected_risk(model, np.full(K, 0.05), record=rec)  # an array always steps
    assert fast.meta["powers"] is True and "powers" not in slow.meta
    np.testing.assert_allclose(fast.excess_risk, slow.excess_risk, rtol=F64)
    np.testing.assert_array_equal(fast.step, slow.step)
    np.testing.assert_allclose(fast.intrinsic_time, slow.intrinsic_time, rtol=F64)
    np.testing.assert_array_equal(np.isnan(fast.lr), np.isnan(slow.lr))
    # a short run, or every step recorded, keeps stepping (cheaper there)
    assert "powers" not in expected_risk(model, Constant(peak=0.05), 1000, record=[1000]).meta
    assert not worth_it(1000, 150, 1) and worth_it(10**7, 150, 1)


def test_a_horizon_of_1e15_steps_reaches_the_stationary_risk():
    """Independent twin: the fixed point ``r = A r + c`` solved as one linear system."""
    model = PowerLawModel(beta=2.0, s=1.0, sigma2=1.0, M=10**5)
    eta, K = 0.01, 10**15  # T = 1e13 >> 1 / lambda_M = 1e10: every mode has converged
    curve = expected_risk(model, Constant(peak=eta), K, record=[K])
    assert curve.meta["powers"] is True and curve.meta["elapsed_s"] < 5
    lam, r0, w, C = _nodes(model, eta * K)
    t = eta * lam
    G = np.diag(t * (2 - 2 * t)) - np.outer(t * t, w)  # batch 1: 1 - (1 - t)^2 - t^2 and R
    c = t * t * (C + model.sigma2)
    stationary = 0.5 * (C + w @ np.linalg.solve(G, c))
    # a dense solve and 50 doublings of the same generator: round-off only, ~1e-13 measured
    assert curve.final == pytest.approx(stationary, rel=F64)


def test_an_unstable_constant_rate_is_refused_before_any_power():
    model = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=10**9)
    with pytest.raises(ValueError, match="max_stable_lr"):
        expected_risk(model, Constant(peak=5.0), 10**9, record=[10**9])


def test_an_unstable_rate_without_the_check_still_names_the_overflowing_step():
    from fsltheory.exact import ExactDivergenceError

    model = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=10**9)
    with pytest.raises(ExactDivergenceError, match="overflowed at step"):
        expected_risk(model, Constant(peak=5.0), 10**6, record=[10**6], check_stability=False)


def test_bench_core_constant_section_runs(capsys):
    path = Path(__file__).resolve().parents[1] / "scripts" / "bench_core.py"
    spec = importlib.util.spec_from_file_location("bench_core", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--only", "constant"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[constant]") and "ratio" in out
    assert float(out.split("rel. diff ")[1].split(";")[0]) < 1e-9
