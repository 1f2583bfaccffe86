"""Property-based fuzzing of the numeric and symbolic API (issue #11).

Every call ends in a valid result (finite, the right shape, risk >= 0) or a documented
refusal: a ``ValueError`` (``DivergenceError`` included).  Any other exception, or a
non-finite number returned, is a defect.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from fuzz_helpers import FUZZ, FUZZ_COSTLY
from hypothesis import given
from hypothesis import strategies as st
from strategies import JUNK, NUMBERS, good_specs, models, small_models, specs

STEPS = st.one_of(st.integers(1, 200), st.sampled_from([0, -1, 1.5, math.nan, 10**30]))
RECORD = st.one_of(
    st.none(), st.integers(-2, 300), st.lists(st.integers(-5, 250), max_size=5), NUMBERS
)
BATCH = st.one_of(st.integers(1, 8), st.sampled_from([0, -1, 0.5, math.inf, math.nan, 10**30]))


def _model(kw):
    from fsltheory import PowerLawModel

    return PowerLawModel(**kw)


def _check_curve(c, steps=None):
    assert c.step.shape == c.excess_risk.shape == c.lr.shape
    assert np.all(np.isfinite(c.excess_risk)), c.excess_risk
    assert np.all(c.excess_risk >= 0)
    if steps is not None:
        assert c.step[-1] <= steps


@FUZZ
@given(models())
def test_model(kw):
    try:
        m = _model(kw)
    except ValueError:
        return
    try:
        vals = (m.tail_error(), m.initial_excess_risk(), m.trace_H())
    except ValueError:
        return
    assert all(math.isfinite(v) and v >= 0 for v in vals), vals


@FUZZ
@given(specs(), STEPS)
def test_parse_schedule(spec, steps):
    from fsltheory import parse_schedule

    try:
        sched = parse_schedule(spec)
        lrs = sched.lrs(steps)
    except ValueError:
        return
    assert np.all(np.isfinite(lrs)) and np.all(lrs >= 0)


@FUZZ
@given(
    st.one_of(small_models(), models()),
    st.one_of(good_specs(), specs()),
    STEPS,
    RECORD,
    BATCH,
    st.sampled_from(["auto", "compressed", "full", "bogus"]),
)
def test_expected_risk(kw, spec, steps, record, batch, method):
    from fsltheory import expected_risk

    try:
        c = expected_risk(_model(kw), spec, steps, record=record, batch=batch, method=method)
    except ValueError:
        return
    _check_curve(c, steps)


@FUZZ
@given(
    st.one_of(small_models(), models()),
    st.one_of(good_specs(), specs()),
    st.one_of(st.integers(1, 100), STEPS),
    st.one_of(st.integers(1, 4), st.sampled_from([0, -1, 2.5, 10**30, 1e30, 2**62])),
    st.integers(0, 2**32),
)
def test_simulate_sgd(kw, spec, steps, runs, seed):
    from fsltheory import simulate_sgd

    try:
        c = simulate_sgd(_model(kw), spec, steps, runs=runs, rng=seed, record=10)
    except ValueError:
        return
    _check_curve(c, steps)


@FUZZ
@given(
    st.one_of(small_models(), models()),
    st.one_of(good_specs(), specs()),
    STEPS,
    RECORD,
    st.sampled_from(["proxy", "finite", "bogus"]),
    st.sampled_from(["physical", "intrinsic"]),
    st.one_of(st.integers(1, 8), st.floats(0.1, 8.0), BATCH),
)
def test_fsl_curve(kw, spec, steps, record, kernel, time, batch):
    from fsltheory import fsl_curve

    try:
        c = fsl_curve(_model(kw), spec, steps, record=record, kernel=kernel, time=time, batch=batch)
    except ValueError:
        return
    _check_curve(c, steps)


@FUZZ_COSTLY
@given(small_models(), good_specs(), st.integers(20, 200), st.sampled_from(["proxy", "finite"]))
def test_fit_fsl(kw, spec, steps, kernel):
    from fsltheory import expected_risk, fit_fsl

    m = _model(kw)
    try:
        target = expected_risk(m, spec, steps)
        fit = fit_fsl(target, m, spec, steps, kernel=kernel)
    except ValueError:
        return
    assert np.all(np.isfinite(fit.curve.excess_risk)) if hasattr(fit, "curve") else True
    assert math.isfinite(fit.max_rel_err)


SYM_VALUES = st.one_of(
    st.none(),
    st.floats(1.05, 5.0),
    st.sampled_from([1, 2, 3, "1/2", "3/2", 0.5, 1.0, -1, 0, "n", "oo", "nan", math.nan, math.inf]),
    JUNK,
)


@FUZZ_COSTLY
@given(
    st.sampled_from(["wsd", "cosine", "constant", "exponential", "power:p=3", "linear", "optimal"])
    | specs(),
    st.sampled_from(["data", "compute", "bogus"]),
    SYM_VALUES,
    SYM_VALUES,
)
def test_scaling_for_spec(spec, budget, beta, s):
    from fsltheory import scaling_for_spec

    try:
        res = scaling_for_spec(spec, budget, beta=beta, s=s)
        text = str(res)
        res.to_json()
    except ValueError:
        return
    assert text


@FUZZ_COSTLY
@given(st.sampled_from(["data", "compute"]), SYM_VALUES, SYM_VALUES)
def test_derive_scaling(budget, beta, s):
    from fsltheory import WSD, derive_scaling

    try:
        res = derive_scaling(WSD(peak=0.1, final=0.001), budget, beta=beta, s=s)
    except ValueError:
        return
    assert res.regions


def test_profile_is_derandomized():
    assert FUZZ.derandomize and FUZZ.database is None


pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
