"""The exact-engine tuner of :mod:`fsltheory.measure` against brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fsltheory import WSD, PowerLawModel
from fsltheory.measure import _M_INFINITE, _final_risk, default_peak_cap, tune_data_limited


def test_wsd_joint_tuning_finds_the_interior_optimum():
    """Deep in the easy regime the WSD risk over (peak, r) has two basins: r ~ 0 (constant LR
    and a last drop) and r ~ 0.5.  At D = 3e4 the optimum is the second; a fixed-start
    Nelder-Mead collapsed onto the face r = 1 and stopped 21 % above it.  The tuner must do
    at least as well as a 29 x 15 grid over the same box, to within its tolerance."""
    model = PowerLawModel(beta=1.5, s=2.0, sigma2=1.0, M=_M_INFINITE)
    tmpl = WSD(peak=0.1, final=0.001, shape="exponential")
    D = 30_000
    tuned = tune_data_limited(model, tmpl, D)
    cap = default_peak_cap(1.5)
    grid = min(
        _final_risk(model, tmpl, math.exp(lp), D, math.exp(lr), 1)
        for lp in np.linspace(math.log(cap) - 7, math.log(cap), 29)
        for lr in np.linspace(math.log(2.0 / D), 0.0, 15)
    )
    # xatol = 0.02 in log peak and log r moves the risk by well under 1 % near the optimum
    assert tuned.risk <= 1.01 * grid
    assert 0.2 < tuned.decay < 0.8


def test_the_constant_rate_staircase_is_a_budget_effect():
    """Deep in the easy regime (s, beta) = (1.5, 6) the optimum at D <= 1e5 learns about two
    eigen-modes; the measured slope is 0.21 shallower than -s/(1+s).  Moving the window up
    until the optimum resolves the spectrum (matrix powers make D = 1e17 cheap) brings it
    onto the derived exponent: the theory holds, the default window is pre-asymptotic."""
    from fsltheory import Constant
    from fsltheory.measure import (
        RESOLVED,
        SLOPE_BAND,
        measure_scaling,
        resolution,
        resolving_budgets,
    )

    beta, s, tmpl = 6.0, 1.5, Constant(peak=0.1)
    window = [1e3, 3e3, 1e4, 3e4, 1e5]
    low = measure_scaling(beta, s, tmpl, window)
    assert all(resolution(p, beta, s) < RESOLVED / 2 for p in low.points)
    assert low.slope - (-s / (1 + s)) > 3 * SLOPE_BAND  # measured +0.21
    moved = resolving_budgets(beta, s, tmpl, window, max_budget=1e18)
    k = round(math.log10(moved[0] / window[0]))
    assert moved == [b * 10**k for b in window] and 9 <= k <= 14  # measured 12
    high = measure_scaling(beta, s, tmpl, moved)
    assert resolution(high.points[0], beta, s) >= RESOLVED
    res = [resolution(p, beta, s) for p in high.points]
    assert res == sorted(res)  # more data, more intrinsic time, more modes resolved
    # resolved: the log-log slope band of the whole package (SLOPE_BAND); measured 2e-5
    assert abs(high.slope - (-s / (1 + s))) <= SLOPE_BAND / 10
    # a cap on the budgets stops the shift where the window's top would pass it
    capped = resolving_budgets(beta, s, tmpl, window, max_budget=1e8)
    assert capped[-1] <= 1e8 < capped[-1] * 10


def test_resolving_budgets_refuses_a_cap_below_the_budgets():
    from fsltheory import Constant
    from fsltheory.measure import resolving_budgets

    for cap in (1e4, 1e19):
        with pytest.raises(ValueError, match="max_budget=.* is invalid"):
            resolving_budgets(2.0, 1.0, Constant(peak=0.1), [1e3, 1e4, 1e5], max_budget=cap)


def test_an_optimum_held_on_the_cap_is_not_yet_asymptotic():
    """Exponential decay at (s, beta) = (0.7, 1.5): the spectrum is resolved already at
    D = 1e3 (rho ~ 3), but the tuned peak sits on the cap while the derived optimal peak
    falls like D^-0.27: the hard regime's optimum, so the window is not yet asymptotic."""
    from fsltheory import Exponential
    from fsltheory.measure import RESOLVED, is_asymptotic, peak_ceiling, resolution

    model = PowerLawModel(beta=1.5, s=0.7, sigma2=1.0, M=_M_INFINITE)
    pt = tune_data_limited(model, Exponential(peak=0.1, final=0.001), 1000)
    assert resolution(pt, 1.5, 0.7) > 2 * RESOLVED
    assert pt.peak == pytest.approx(peak_ceiling(model), rel=1e-9)
    assert is_asymptotic(pt.schedule, pt.D, 1.5, 0.7, off_cap=False)
    assert not is_asymptotic(pt.schedule, pt.D, 1.5, 0.7, off_cap=True)
