"""The one Laplace-mixture rule for (1 + x)^-p shared by the FSL and the surrogate laws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fsltheory._util.laplace import Y_MAX, gamma_weights, left_cutoff, trapezoid_step
from fsltheory.surrogate._decrement_sums import DEFAULT_H, DEFAULT_RTOL, P_MAX

X = np.concatenate([[0.0], np.logspace(-3, 7, 300)])


def _mixture(p: float, rtol: float, x_max: float) -> np.ndarray:
    h = trapezoid_step(rtol, p)
    y = h * np.arange(math.floor(left_cutoff(p, rtol, x_max) / h), math.ceil(Y_MAX / h) + 1)
    return np.exp(-np.multiply.outer(X[X <= x_max], np.exp(y))) @ gamma_weights(y, p, h)


@pytest.mark.parametrize("rtol", [1e-6, 1e-10])
@pytest.mark.parametrize("p", [0.1, 0.5, 1.0, 2.0, 3.0, 6.0])
def test_the_rule_meets_its_relative_tolerance_uniformly(p, rtol):
    # measured: <= 3.4e-8 at rtol = 1e-6 and <= 5.8e-12 at 1e-10 (the module docstring);
    # rtol / 10 keeps the documented margin honest without pinning the last digit
    x = X[X <= 1e7]
    err = np.max(np.abs(_mixture(p, rtol, 1e7) * (1 + x) ** p - 1))
    assert err <= rtol / 10, err


def test_a_coarser_step_is_visibly_worse():
    """The step is what buys the accuracy: twice the step misses the tolerance."""
    p, rtol = 2.0, 1e-10
    h = 2 * trapezoid_step(rtol, p)
    y = h * np.arange(math.floor(left_cutoff(p, rtol, 1e7) / h), math.ceil(Y_MAX / h) + 1)
    approx = np.exp(-np.multiply.outer(X, np.exp(y))) @ gamma_weights(y, p, h)
    assert np.max(np.abs(approx * (1 + X) ** p - 1)) > rtol


def test_the_surrogate_grid_uses_the_rule():
    assert DEFAULT_H == trapezoid_step(DEFAULT_RTOL, P_MAX) == pytest.approx(0.39, abs=0.005)
