"""Shared test set-up: precision reset, strict numerics and hypothesis profiles."""

import os

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _reset_precision():
    """Every test starts at mpmath's default 15 digits and leaves it there."""
    mpmath.mp.dps = 15
    yield
    mpmath.mp.dps = 15


@pytest.fixture(autouse=True)
def _strict_floats():
    """Overflow and invalid operations raise instead of silently producing inf/nan."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield
