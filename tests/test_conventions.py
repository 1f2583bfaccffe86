"""One convention across the engines (issue #10 item 4).

``expected_risk``, ``simulate_sgd``, ``fsl_curve`` and ``fit_fsl`` take the same arguments
in the same order, read the same inputs (SPEC strings included), check ``model`` the same
way, draw the same random features for the same seed, spell high precision the same way,
raise divergence errors with one base class and return typed run details.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from helpers import F64

from fsltheory import (
    Constant,
    Cosine,
    DivergenceError,
    ExactDivergenceError,
    ExactInfo,
    FSLInfo,
    PowerLawModel,
    RunInfo,
    SGDDivergenceError,
    SGDInfo,
    expected_risk,
    fit_fsl,
    fsl_curve,
    simulate_sgd,
)

TOP = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=16)
RAND = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=4, N=12, features="random")
ENGINES = [expected_risk, simulate_sgd, fsl_curve]
#: the shared arguments, in their common order (each engine adds its own in between)
SHARED = ["model", "schedule", "steps", "batch", "record", "progress"]


def _names(fn) -> list[str]:
    return list(inspect.signature(fn).parameters)


@pytest.mark.parametrize("fn", [*ENGINES, fit_fsl], ids=lambda f: f.__name__)
def test_shared_arguments_in_one_order(fn):
    names = _names(fn)
    if fn is fit_fsl:  # the curve to fit comes first; fitting has no record or progress
        assert names[:4] == ["target", "model", "schedule", "steps"] and names[4] == "batch"
        return
    assert [n for n in names if n in SHARED] == SHARED
    assert names[:3] == ["model", "schedule", "steps"]
    params = inspect.signature(fn).parameters
    assert all(params[n].kind is inspect.Parameter.KEYWORD_ONLY for n in names[3:])
    for a, b in [("rng", "W"), ("W", "precision"), ("precision", "dps")]:
        if a in names and b in names:
            assert names.index(a) < names.index(b)


def test_high_precision_is_spelled_alike():
    for fn in (expected_risk, simulate_sgd):
        params = inspect.signature(fn).parameters
        assert params["precision"].default == "float64" and "dps" in params
    assert "mpmath" not in str(inspect.signature(expected_risk).parameters["method"].default)


@pytest.mark.parametrize("rng", [5, "generator"])
def test_same_seed_same_random_features(rng):
    """``rng`` -> ``W`` is one function: both engines train the same features."""
    make = (lambda: np.random.default_rng(2)) if rng == "generator" else (lambda: rng)
    sched = Constant(peak=0.05)
    exact = expected_risk(RAND, sched, 20, rng=make())
    sgd = simulate_sgd(RAND, sched, 20, runs=2, rng=make())
    np.testing.assert_array_equal(exact.meta["W"], sgd.meta["W"])
    assert exact.meta["seed"] == sgd.meta["seed"]
    W, seed = RAND.seeded_projection(make())
    np.testing.assert_array_equal(W, sgd.meta["W"])
    assert seed == sgd.meta["seed"]


def test_different_seeds_different_features():
    a = expected_risk(RAND, Constant(peak=0.05), 5, rng=5).meta["W"]
    b = expected_risk(RAND, Constant(peak=0.05), 5, rng=6).meta["W"]
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("fn", ENGINES, ids=lambda f: f.__name__)
def test_model_is_checked(fn):
    with pytest.raises(ValueError, match=r"model=.* is invalid: expected a PowerLawModel"):
        fn({"beta": 2.0}, Constant(peak=0.1), 10)


def test_fit_fsl_checks_model():
    target = expected_risk(TOP, Constant(peak=0.1), 50, record=20)
    with pytest.raises(ValueError, match=r"model=.* is invalid: expected a PowerLawModel"):
        fit_fsl(target, "model", Constant(peak=0.1))


def test_simulate_sgd_reads_a_spec_string():
    kw = dict(runs=3, rng=4, record=6)
    a = simulate_sgd(TOP, "cosine:peak=0.1,final=0.01", 60, **kw)
    b = simulate_sgd(TOP, Cosine(peak=0.1, final=0.01), 60, **kw)
    np.testing.assert_array_equal(a.excess_risk, b.excess_risk)


def test_fsl_curve_reads_a_spec_string():
    a = fsl_curve(TOP, "cosine:peak=0.1,final=0.01", 200, record=10)
    b = fsl_curve(TOP, Cosine(peak=0.1, final=0.01), 200, record=10)
    np.testing.assert_allclose(a.excess_risk, b.excess_risk, rtol=F64)


def test_fit_fsl_reads_a_spec_string():
    sched = Cosine(peak=0.1, final=0.01)
    target = expected_risk(TOP, sched, 400, record=40)
    a = fit_fsl(target, TOP, "cosine:peak=0.1,final=0.01", kernel="finite")
    b = fit_fsl(target, TOP, sched, kernel="finite")
    np.testing.assert_allclose(a.all_coef, b.all_coef, rtol=F64)


def test_divergence_errors_share_a_base():
    for err in (ExactDivergenceError, SGDDivergenceError):
        assert issubclass(err, DivergenceError)
    assert issubclass(DivergenceError, FloatingPointError) and issubclass(
        DivergenceError, ValueError
    )
    peak = 1.9 * 2.0  # far beyond max_stable_lr of this model
    with pytest.raises(DivergenceError):
        expected_risk(TOP, Constant(peak=peak), 500, check_stability=False)
    with pytest.raises(DivergenceError):
        simulate_sgd(TOP, Constant(peak=20.0), 400, runs=2, rng=0)


def test_results_carry_typed_details():
    sched = Constant(peak=0.1)
    exact = expected_risk(TOP, sched, 30)
    sgd = simulate_sgd(TOP, sched, 30, runs=2, rng=1)
    fsl = fsl_curve(TOP, sched, 30)
    assert isinstance(exact.meta, ExactInfo) and exact.meta.method == exact.meta["method"]
    assert isinstance(sgd.meta, SGDInfo) and sgd.meta.seed == 1 and "W" not in sgd.meta
    assert isinstance(fsl.meta, FSLInfo) and fsl.meta.coef == (1.0, 1.0, 1.0, 1.0)
    for info in (exact.meta, sgd.meta, fsl.meta):
        assert isinstance(info, RunInfo)
        assert dict(info) == {k: info[k] for k in info}
        with pytest.raises(KeyError):
            info["no such key"]
    with pytest.raises(AttributeError):
        exact.meta.method = "full"  # frozen: the record of a run is not edited
