"""Measured exponents of the optimised schedules vs the derived ones (issue #9 item 4).

Three layers: a fast measurement at small N (easy and hard point), the committed data of
``scripts/optimal_schedules.py`` (N = 2e3 .. 1.28e5) checked against the derived values
with bands that shrink from the lower to the upper half of the grid, a freshness check of
that data against a fresh optimisation at its smallest N, and (slow) the whole grid
recomputed.
"""

from __future__ import annotations

import importlib.util
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from fsltheory import PowerLawModel
from fsltheory.optimal import (
    decay_shape,
    derived_optimal_exponents,
    load_measurements,
    measure_optimal_scaling,
    optimize_schedule,
)
from fsltheory.optimal.measure import BASELINES, KNOTS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "book" / "data" / "optimal_schedules.npz"
SMALL = [1000, 2000, 4000, 8000]


def _script():
    spec = importlib.util.spec_from_file_location("optimal_schedules", ROOT / "scripts" /
                                                  "optimal_schedules.py")  # fmt: skip
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def small_easy():
    return measure_optimal_scaling(2.0, 1.0, SMALL, rng=0)


@pytest.fixture(scope="module")
def small_hard():
    return measure_optimal_scaling(4.0, 0.5, SMALL, rng=0)


@pytest.fixture(scope="module")
def data():
    return load_measurements(DATA)


def test_derived_values_are_those_of_the_symbolic_module():
    e = derived_optimal_exponents(2, 1)
    h = derived_optimal_exponents(4, "1/2")
    assert e == {"loss": Fraction(-2, 3), "lr": Fraction(-1, 3), "decay_length": 1, "shape": 3}
    assert h == {"loss": Fraction(-1, 2), "lr": 0, "decay_length": Fraction(6, 7), "shape": 7}


def test_decay_shape_recovers_a_truncated_power_law():
    # eq. (4.2) with p = 3, L' = 1.5 L after a flat phase: the fit must return p, L, L'
    K, L, p = 4000, 3000, 3.0
    z = np.arange(L)
    lrs = np.concatenate([np.full(K - L, 0.1), 0.0899 * (1.0 - z / (1.5 * L)) ** p])
    sh = decay_shape(lrs)
    assert sh.start == K - L and sh.length == L and sh.peak == 0.1
    assert sh.power == pytest.approx(p, rel=1e-6) and sh.scale == pytest.approx(1.5 * L)


def test_easy_point_at_small_n(small_easy):
    m = small_easy
    # N = 1e3..8e3: the balance keeps leading orders only, so the local slopes still drift
    # by O(1/log N); measured loss -0.629 (derived -2/3), band 0.06 catches a wrong
    # exponent such as WSD's -1/2 or the peak's -1/3
    assert abs(m.deviations("loss")[0]) < 0.06
    # peak: measured -0.274 vs -1/3 (the warm-up peak of the exact optimum sits ~5% into
    # the run and its height converges slowly); band 0.1 still excludes 0 (hard) and -2/3
    assert abs(m.deviations("peak")[0]) < 0.1
    # the decay spans the run (L/N ~ 0.91..0.94): slope 1 within 0.05
    assert abs(m.deviations("decay")[0]) < 0.05
    # local power: 4.56, 4.06, 3.76, 3.57 -> 3 = 2 beta - 1 from above; it must approach
    # 3 monotonically and be within 0.75 of it at N = 8e3 (not 2 = beta or 5 = 3 beta - 1)
    p, d = m.power, float(m.derived["shape"])
    assert np.all(np.diff(np.abs(p - d)) < 0) and abs(p[-1] - d) < 0.75


def test_hard_point_at_small_n(small_hard):
    m = small_hard
    # flat at the cap: the peak is the cap at every N (slope exactly the derived 0)
    np.testing.assert_allclose(m.peak, m.cap, rtol=1e-9)
    assert m.derived["lr"] == 0
    # measured loss slope -0.528 vs -1/2 (the noise term N^{-(s+1)(beta-1)/(2 beta-1)} =
    # N^{-9/14} adds to N^{-s} and steepens it at small N); band 0.05
    assert abs(m.deviations("loss")[0]) < 0.05
    # a separate decay: L/N < 1/2 at every N, unlike the easy point
    assert np.all(m.decay / m.steps < 0.5)


@pytest.mark.parametrize("name", ["easy", "hard"])
def test_committed_data_is_fresh(data, name):
    """The committed npz must match a fresh optimisation at its smallest N (the code and
    the data cannot drift apart silently)."""
    m = data[name]
    n = int(m.steps[0])
    model = PowerLawModel(beta=m.beta, s=m.s, sigma2=m.sigma2, M=m.M)
    opt = optimize_schedule(model, n, cap=m.cap, starts=2, knots=KNOTS, baselines=BASELINES,
                            rng=np.random.default_rng(0))  # fmt: skip
    # L-BFGS-B is deterministic: only BLAS round-off may differ between machines
    assert opt.final_risk == pytest.approx(m.loss[0], rel=1e-6)
    np.testing.assert_allclose(opt.lrs[m.positions[0]], m.schedules[0], rtol=1e-3)
    sh = decay_shape(opt.lrs)
    assert sh.length == m.decay[0] and sh.power == pytest.approx(m.power[0], rel=1e-3)


def test_committed_grid_spans_two_decades(data):
    for m in data.values():
        assert m.steps[0] <= 2000 and m.steps[-1] >= 100 * m.steps[0]  # >= 2 decades
        assert all(len(x) <= 512 for x in m.schedules)


def _easy_point_converges(m):
    for key in ("loss", "peak"):
        a, lo, hi = m.deviations(key)
        # the deviation from the derived slope shrinks from the lower to the upper half
        # (sub-leading terms fade as O(1/log N)); measured overall deviations 0.029 (loss)
        # and 0.035 (peak), lower half 0.034 / 0.045, upper half 0.024 / 0.023; band 0.05
        assert abs(hi) < abs(lo), key
        assert abs(a) < 0.05, key
    # decay spans the run: L ~ N^1 within 0.02 over the whole grid
    assert abs(m.deviations("decay")[0]) < 0.02
    # the local power approaches 2 beta - 1 = 3 monotonically from above (4.06 .. 3.17),
    # within 0.3 at the largest N
    p, d = m.power, float(m.derived["shape"])
    assert np.all(np.diff(p) < 0) and np.all(p > d) and p[-1] - d < 0.3


def _hard_point_trend(m):
    np.testing.assert_allclose(m.peak, m.cap, rtol=1e-9)
    # loss slope -1/2: measured -0.531 overall, local slopes steady at -0.529..-0.532 (not
    # shrinking): the decay fraction L/N still falls (0.39 -> 0.28), so the intrinsic time
    # T ~ cap (N - L) grows faster than N and steepens e(T) ~ T^{-1/2}; the FSL optimum
    # with unit constants shows the same (local slopes -0.53..-0.578).  Band 0.04 overall,
    # each local slope in [-0.55, -0.50]
    assert abs(m.deviations("loss")[0]) < 0.04
    _, ls = m.local_slopes("loss")
    assert np.all((ls > -0.55) & (ls < -0.50))
    # decay length: derived N^{6/7} asymptotically, but with the FSL's constants the local
    # slope is ~0.94 at these N (documented strict xfail in tests/test_optimal_theory.py);
    # measured 0.928 overall (FSL optimum with unit constants 0.943).  The measurement must show L/N falling (a separate decay)
    # and a slope between 6/7 and 1 -- the pre-asymptotic trend, not the asymptotic value
    s_all = m.slopes("decay")[0]
    assert 6 / 7 - 0.02 < s_all < 1.0 and np.all(np.diff(m.decay / m.steps) < 0)
    # the fitted power falls towards 2 beta - 1 = 7 from above as the decay covers more
    # of the power law (at small N it is nearly exponential, so p is ill-conditioned):
    # measured 49.7 at N = 2e3 down to 7.47 at 2.56e5; within 1 of 7 at the largest N
    d = float(m.derived["shape"])
    assert np.all(np.diff(m.power) < 0) and np.all(m.power > d) and m.power[-1] - d < 1.0


def test_committed_easy_point_converges(data):
    _easy_point_converges(data["easy"])


def test_committed_hard_point_trend(data):
    _hard_point_trend(data["hard"])


@pytest.mark.slow  # ~8 minutes of one core: the whole grid of the script
def test_full_grid_reproduces_the_committed_data(data):
    """A fresh grid gives the committed losses and supports the committed conclusions.

    The loss at the optimum is stationary in the schedule, so it is well conditioned and is
    compared to 1e-6.  The decay length (a threshold crossing) and the decay power (fitted to
    that decay) are read off knots that the optimiser fixes only to ~sqrt(its tolerance):
    within one environment they are bit-for-bit reproducible (two processes here gave the
    same bits), but across numpy/scipy builds they move (measured: 20 of 61k steps, power
    1.3e-3 relative at N = 128k), so they are not compared digit by digit.  What the data
    are used for is compared instead: the exponents (slopes over the grid) to 1e-3
    (measured 4e-5), and every trend the committed-data tests above assert.
    """
    mod = _script()
    fresh = {}
    for name, (beta, s) in mod.POINTS.items():
        m = fresh[name] = measure_optimal_scaling(beta, s, mod.GRID, rng=0)
        ref = data[name]
        np.testing.assert_array_equal(m.steps, ref.steps)
        np.testing.assert_allclose(m.loss, ref.loss, rtol=1e-6)
        for key in ("loss", "peak", "decay"):
            np.testing.assert_allclose(m.slopes(key), ref.slopes(key), rtol=0, atol=1e-3)
    _easy_point_converges(fresh["easy"])
    _hard_point_trend(fresh["hard"])
