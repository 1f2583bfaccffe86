"""compare_scaling: the one derive -> measure -> compare join (issue #10 item 5)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fsltheory import (
    SLOPE_BAND,
    Constant,
    Exponential,
    PowerLawModel,
    ScalingComparison,
    compare_scaling,
    derive_scaling,
    expected_risk,
    local_slopes,
    ratio_spread,
)

BUDGETS = [300, 1000, 3000]


@pytest.fixture(scope="module")
def comparison() -> ScalingComparison:
    return compare_scaling(
        2.0, 1.0, {"constant": Constant(peak=0.1), "exp": "exponential:peak=0.1"}, "data", BUDGETS
    )


def test_rows_join_the_derivation_and_the_measurement(comparison):
    assert [r.name for r in comparison] == ["constant", "exp"]
    row = comparison["constant"]
    assert row.derived == derive_scaling(Constant(peak=0.1), "data").at(beta=2.0, s=1.0)
    assert (row.power, row.log) == (row.derived.loss.power, row.derived.loss.log)
    assert row.difference == pytest.approx(row.slope - float(row.power), abs=0)
    assert row.within_band == (abs(row.difference) < SLOPE_BAND) and row.band == SLOPE_BAND
    assert [p.budget for p in row.points] == BUDGETS
    # the log factor divided out is the derived one
    assert comparison["exp"].measured.log_power == float(comparison["exp"].log) > 0


def test_a_tuned_point_carries_the_schedule_it_measured(comparison):
    for row in comparison:
        for pt in row.points:
            assert pt.schedule.peak == pt.peak
            model = PowerLawModel(beta=2.0, s=1.0, M=10**9)
            risk = expected_risk(model, pt.schedule, pt.D, record=[pt.D]).final
            assert risk == pytest.approx(pt.risk, rel=1e-12)
    assert comparison["exp"].points[-1].schedule.final == pytest.approx(
        comparison["exp"].points[-1].peak / BUDGETS[-1]
    )  # decays end at b = a / K (Theorems 5.3-5.4)


def test_the_verdict_follows_the_band(comparison):
    assert comparison.all_within_band == (comparison.outside_band() == [])
    row = comparison["constant"]
    tight = compare_scaling(2.0, 1.0, {"constant": Constant(peak=0.1)}, budgets=BUDGETS, band=0.0)
    assert tight.outside_band() == ["constant"] and not tight.all_within_band
    assert tight["constant"].slope == row.slope  # same measurement, other verdict
    assert "OFF (> 0)" in tight.table() and "constant" in str(comparison)
    summary = json.loads(json.dumps(row.as_dict()))
    assert summary["derived_power"] == str(row.power) and summary["agrees"] == row.within_band


def test_schedules_may_be_a_sequence_and_budgets_per_schedule():
    c = compare_scaling(2.0, 1.0, [Constant(peak=0.1)], budgets={"constant": [300, 1000]})
    assert [p.budget for p in c["constant"].points] == [300, 1000]
    with pytest.raises(ValueError, match="share a name"):
        compare_scaling(2.0, 1.0, [Constant(peak=0.1), Constant(peak=0.2)], budgets=BUDGETS)
    with pytest.raises(ValueError, match="budget='time' is invalid"):
        compare_scaling(2.0, 1.0, [Exponential(peak=0.1)], "time")


def test_conjecture_helpers():
    assert ratio_spread([2.0, 8.0, 4.0]) == 4.0
    t = np.logspace(0, 3, 4)
    np.testing.assert_allclose(local_slopes(t, 3 * t**-0.5), -0.5)
