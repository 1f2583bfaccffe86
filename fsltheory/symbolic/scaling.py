"""``derive_scaling``: a schedule's intrinsic profile -> reduced objective -> balanced exponents.

A schedule's intrinsic-time description (:func:`~fsltheory.symbolic.profiles.intrinsic_profile`)
is turned into optimal exponents here, in one place.
It sits above the schedules so that the engines, which parse schedules, never reach SymPy.
"""

from __future__ import annotations

from dataclasses import replace

from fsltheory.schedules.registry import schedule_from_spec
from fsltheory.symbolic.balance import balance
from fsltheory.symbolic.objectives import reduced_objective
from fsltheory.symbolic.profiles import intrinsic_profile
from fsltheory.symbolic.results import ScalingResult

__all__ = ["derive_scaling", "scaling_for_spec", "scaling_of_profile"]


def scaling_of_profile(profile, budget: str = "data") -> ScalingResult:
    """Symbolic optimal scaling of a family given by its :class:`IntrinsicProfile`."""
    result = balance(reduced_objective(profile), budget)
    return replace(result, schedule=profile.family)


def derive_scaling(schedule, budget: str = "data", *, beta=None, s=None) -> ScalingResult:
    """Optimal scaling exponents of a schedule family (Section 5, Table 1; reference §3, §8.3).

    Parameters
    ----------
    schedule : Schedule
        Any family with an intrinsic-time description
        (:func:`~fsltheory.symbolic.profiles.intrinsic_profile`).
    budget : {'data', 'compute'}
        ``D`` fixed, or compute ``C = MD`` fixed.
    beta, s : number, optional
        Evaluate at this capacity / difficulty; otherwise the result is symbolic and
        Piecewise over ``(s, beta)``.

    Returns
    -------
    ScalingResult
        Exact SymPy exponents.

    Notes
    -----
    Exponents do not depend on the numbers of the instance (``peak``, ``warmup``; the paper
    omits warmup, Section 5.3); see each family's ``intrinsic_profile`` for which options
    matter.

    Examples
    --------
    >>> from fsltheory import WSD
    >>> derive_scaling(WSD(peak=1), "data", beta=4, s=0.5).loss.power
    -1/2
    """
    result = scaling_of_profile(intrinsic_profile(schedule), budget)
    return result.at(beta=beta, s=s)


def scaling_for_spec(spec: str, budget: str = "data", *, beta=None, s=None) -> ScalingResult:
    """Optimal exponents for a SPEC string whose numbers may be omitted (``fsl exponents``).

    ``"optimal"`` is the FSL-optimal schedule itself
    (:func:`fsltheory.symbolic.optimal.optimal_schedule_scaling`: derived from the
    variational problem, not from a family's profile); any other SPEC names a family
    (:func:`fsltheory.schedules.registry.schedule_from_spec`).

    Examples
    --------
    >>> scaling_for_spec("optimal", "data", beta=2, s=1).loss.power
    -2/3
    """
    if isinstance(spec, str) and spec.strip().lower() == "optimal":
        from fsltheory.symbolic.optimal import optimal_schedule_scaling

        return optimal_schedule_scaling(budget, beta=beta, s=s)
    return derive_scaling(schedule_from_spec(spec), budget, beta=beta, s=s)
