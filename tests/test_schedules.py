"""Schedules: values, closed-form intrinsic time, invariants and the SPEC parser."""

import math

import numpy as np
import pytest
from helpers import ALL_SCHEDULES, F64, F64_SUM
from hypothesis import example, given
from hypothesis import strategies as st

from fsltheory import (
    WSD,
    ArraySchedule,
    Constant,
    Cosine,
    Cyclic,
    Exponential,
    Linear,
    MultiStep,
    Power,
    parse_schedule,
)


@pytest.mark.parametrize("sched", ALL_SCHEDULES, ids=lambda s: s.spec())
@pytest.mark.parametrize("steps", [1000, 4321, 100_000])
def test_total_time_closed_form_matches_cumsum(sched, steps):
    T = sched.intrinsic_time(steps)
    assert T.shape == (steps + 1,)
    assert T[0] == 0.0
    assert math.isclose(sched.total_time(steps), T[-1], rel_tol=F64_SUM)


def test_exponential_is_linear_in_intrinsic_time():
    # Theorem 5.3: gamma(t) = a - zeta t.  The discrete schedule follows this line to
    # O(zeta * eta) = O(a^2 log(a/b) / K), so we compare at that scale.
    a, b, K = 0.05, 0.0005, 20_000
    sched = Exponential(peak=a, final=b)
    zeta = sched.decay_rate(K)
    T = sched.intrinsic_time(K)[:-1]
    err = np.max(np.abs(sched.lrs(K) - (a - zeta * T)))
    assert err < 2 * zeta * a
    assert math.isclose(sched.continuous_total_time(K), (a - b) * K / math.log(a / b))
    # the discrete sum differs from the integral by O(a)
    assert abs(sched.total_time(K) - sched.continuous_total_time(K)) < a


def test_gamma_is_lr_over_batch_on_intrinsic_grid():
    sched = Cosine(peak=0.1, final=0.01)
    K, B = 500, 4
    T = sched.intrinsic_time(K)
    eta = sched.lrs(K)
    mid = 0.5 * (T[:-1] + T[1:])
    np.testing.assert_allclose(sched.gamma(mid, K, batch=B), eta / B, rtol=F64)
    assert sched.gamma(T[-1] + 1.0, K)[()] == 0.0


def test_values_of_named_shapes():
    K = 10
    assert np.all(Constant(peak=0.3).lrs(K) == 0.3)
    np.testing.assert_allclose(Linear(peak=1.0, final=0.0).lrs(K), 1 - np.arange(K) / K)
    np.testing.assert_allclose(Power(peak=1.0, p=2).lrs(K), (1 - np.arange(K) / K) ** 2)
    lr = MultiStep(peak=1.0).lrs(10)
    np.testing.assert_allclose(lr, [1] * 8 + [10**-0.5, 0.1])
    w = WSD(peak=1.0, decay=0.5, final=0.0, shape="linear").lrs(10)
    np.testing.assert_allclose(w, [1, 1, 1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2])
    c = Cyclic(peak=1.0, low=0.0, period=4).lrs(8)
    np.testing.assert_allclose(c, [1, 0.5, 0, 0.5, 1, 0.5, 0, 0.5])
    warm = Constant(peak=1.0, warmup=4).lrs(6)
    np.testing.assert_allclose(warm, [0.25, 0.5, 0.75, 1, 1, 1])


def test_wsd_stable_fraction_alias():
    assert WSD(peak=1.0, stable=0.8).decay == pytest.approx(0.2)
    assert WSD(peak=1.0, stable=0.8).phases(100) == (80, 20)


@given(
    peak=st.floats(1e-6, 10.0),
    frac=st.floats(0.0, 1.0),
    decay=st.floats(0.01, 1.0),
    steps=st.integers(2, 3000),
    shape=st.sampled_from(["exponential", "linear", "cosine", "1-sqrt"]),
)
@example(peak=1.0, frac=0.0, decay=1.0, steps=2, shape="exponential")
def test_wsd_positive_monotone(peak, frac, decay, steps, shape):
    final = peak * frac if shape != "exponential" else peak * max(frac, 1e-3)
    sched = WSD(peak=peak, decay=decay, final=final, shape=shape)
    lr = sched.lrs(steps)
    assert np.all(lr >= 0) and np.all(np.isfinite(lr))
    assert np.all(np.diff(lr) <= 1e-12 * peak)  # non-increasing
    assert np.all(np.diff(sched.intrinsic_time(steps)) >= 0)  # intrinsic time monotone


@given(
    idx=st.integers(0, len(ALL_SCHEDULES) - 1),
    steps=st.integers(60, 5000),
)
def test_all_families_positive_and_time_monotone(idx, steps):
    sched = ALL_SCHEDULES[idx]
    lr = sched.lrs(steps)
    assert lr.shape == (steps,)
    assert np.all(lr >= 0) and np.all(lr <= sched.peak * (1 + 1e-12))
    assert np.all(np.diff(sched.intrinsic_time(steps)) >= 0)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("constant:peak=0.1", Constant(peak=0.1)),
        ("exponential:peak=0.1,final=0.001", Exponential(peak=0.1, final=0.001)),
        (
            "wsd:peak=0.1,decay=0.2,final=0.001,shape=exponential",
            WSD(peak=0.1, decay=0.2, final=0.001, shape="exponential"),
        ),
        ("cosine:peak=0.1,final=0.01", Cosine(peak=0.1, final=0.01)),
        ("linear:peak=0.1,final=0", Linear(peak=0.1, final=0.0)),
        ("power:peak=0.1,p=3", Power(peak=0.1, p=3.0)),
        (
            "multistep:peak=0.1,at=0.8:0.9,factor=0.316:0.1",
            MultiStep(peak=0.1, at=(0.8, 0.9), factor=(0.316, 0.1)),
        ),
        ("cyclic:peak=0.1,low=0.01,period=2000", Cyclic(peak=0.1, low=0.01, period=2000)),
        ("cosine:peak=0.1,warmup=100", Cosine(peak=0.1, warmup=100)),
    ],
)
def test_spec_parser_roundtrip(spec, expected):
    sched = parse_schedule(spec)
    assert sched == expected
    assert parse_schedule(sched.spec()) == sched


def test_file_schedule(tmp_path):
    p = tmp_path / "lr.csv"
    p.write_text("step,lr\n0,0.1\n1,0.05\n2,0.01\n")
    sched = parse_schedule(f"file:{p}")
    assert isinstance(sched, ArraySchedule)
    np.testing.assert_allclose(sched.lrs(3), [0.1, 0.05, 0.01])
    with pytest.raises(ValueError, match="steps=4 is invalid.*length 3"):
        sched.lrs(4)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Constant(peak=-0.1), r"peak=-0.1 is invalid: expected peak > 0"),
        (lambda: Constant(peak=float("nan")), r"peak=nan is invalid"),
        (
            lambda: Cosine(peak=0.1, final=0.2),
            r"final=0.2 is invalid: expected final in \[0, 0.1\]",
        ),
        (lambda: WSD(peak=0.1, decay=1.5), r"decay=1.5 is invalid"),
        (lambda: WSD(peak=0.1, shape="exponential", final=0.0), r"final=0.0 is invalid"),
        (lambda: WSD(peak=0.1, shape="bogus"), r"shape='bogus' is invalid"),
        (lambda: Cyclic(peak=0.1, period=1), r"period=1 is invalid"),
        (lambda: MultiStep(peak=0.1, at=(0.9, 0.8)), r"strictly increasing"),
        (lambda: ArraySchedule([0.1, -0.1]), r"lr\[1\]=-0.1 is invalid"),
        (lambda: ArraySchedule([0.1, float("inf")]), r"lr\[1\]=inf is invalid"),
        (lambda: Constant(peak=0.1, warmup=10).lrs(10), r"warmup=10 is invalid for steps=10"),
        (lambda: parse_schedule("nope:peak=1"), r"family 'nope' is unknown"),
        (lambda: parse_schedule("cosine:peak=abc"), r"peak='abc' is invalid"),
        (lambda: parse_schedule("cosine:final=0.1"), r"peak is missing"),
        (lambda: parse_schedule("cosine:peak=0.1,foo=2"), r"option 'foo' is unknown"),
    ],
)
def test_bad_schedules_raise_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()
