"""Schedule families a sweep can run, by name; extensible with :func:`register_family`.

Each family is a *template*: :func:`fsltheory.measure.tune_data_limited` replaces its peak
(and the WSD decay fraction) by the tuned values and keeps the ``final / peak`` ratio, except
for exponential-like families, which end at ``b = a/K`` as in Theorems 5.3-5.4.  The
templates of ``constant``, ``exponential`` and ``wsd`` are those of ``tests/test_slopes.py``
and ``fsl report``; the decaying families without a final value decay to zero.

A name that is not registered is read as a SPEC (``power:p=3``, ``wsd:shape=linear,final=0``)
through :func:`fsltheory.symbolic.tables.schedule_from_spec`, so a family added to
:data:`fsltheory.schedules.SCHEDULE_FAMILIES` (e.g. ``optimal``) is sweepable by its name
with no change here.
"""

from __future__ import annotations

from fsltheory.schedules import WSD, Constant, Cosine, Exponential, Linear, Power, Schedule

__all__ = ["FAMILIES", "DEFAULT_SCHEDULES", "register_family", "resolve_schedule"]

#: name -> template, in the order the phase diagram draws them
FAMILIES: dict[str, Schedule] = {
    "constant": Constant(peak=0.1),
    "exponential": Exponential(peak=0.1, final=0.01),  # final is reset to peak/K (b = a/K)
    "wsd": WSD(peak=0.1, final=0.001, shape="exponential"),
    "cosine": Cosine(peak=0.1, final=0.0),
    "linear": Linear(peak=0.1, final=0.0),
    "power": Power(peak=0.1, final=0.0, p=2.0),
}
#: what ``fsl sweep`` runs without ``--schedules``
DEFAULT_SCHEDULES = ("constant", "exponential", "wsd")


def register_family(name: str, template: Schedule) -> None:
    """Make ``name`` sweepable with ``template`` (e.g. the optimal schedule once it lands).

    Workers of a remote cluster need the same registration (a worker plugin, or a module
    they import); a SPEC name needs none.
    """
    if not isinstance(template, Schedule):
        raise ValueError(f"template={template!r} is invalid: expected a Schedule")
    FAMILIES[name] = template


def resolve_schedule(name: str) -> Schedule:
    """The template registered as ``name``, else the schedule its SPEC describes."""
    key = name.strip().lower()
    if key in FAMILIES:
        return FAMILIES[key]
    from fsltheory.schedules.registry import schedule_from_spec
    from fsltheory.symbolic.profiles import intrinsic_profile

    try:
        sched = schedule_from_spec(key)
    except ValueError as err:
        raise ValueError(
            f"schedules={name!r} is invalid: expected a family name {sorted(FAMILIES)} "
            f"or a schedule SPEC ({err})"
        ) from None
    intrinsic_profile(sched)  # families without an exponent theory fail here, not on a worker
    return sched
