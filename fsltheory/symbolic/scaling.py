"""``Schedule.scaling``: profile -> reduced objective -> balanced exponents, cached."""

from __future__ import annotations

from dataclasses import replace

from .balance import balance
from .objectives import reduced_objective
from .results import ScalingResult

__all__ = ["schedule_scaling", "scaling_of_profile"]


def scaling_of_profile(profile, budget: str = "data") -> ScalingResult:
    """Symbolic optimal scaling of a family given by its :class:`IntrinsicProfile`."""
    result = balance(reduced_objective(profile), budget)
    return replace(result, schedule=profile.family)


def schedule_scaling(schedule, budget: str = "data", *, beta=None, s=None) -> ScalingResult:
    """The body of :meth:`fsltheory.Schedule.scaling`."""
    result = scaling_of_profile(schedule.intrinsic_profile(), budget)
    return result.at(beta=beta, s=s)
