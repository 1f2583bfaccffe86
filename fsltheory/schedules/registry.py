"""The registry of schedule families with a symbolic description (``fsl exponents``).

Every family listed here has an intrinsic-time description
(:func:`fsltheory.symbolic.profiles.intrinsic_profile`), so :func:`fsltheory.derive_scaling`
can derive its optimal exponents.  It lives with the
schedules (not with the derivations) so that every engine can parse a SPEC string without
reaching the symbolic layer.
"""

from __future__ import annotations

from fsltheory.schedules.spec import parse_schedule, parse_spec

__all__ = ["SUPPORTED_SPECS", "schedule_from_spec"]

#: every family with an intrinsic-time description, as SPEC strings (``fsl exponents``)
SUPPORTED_SPECS = (
    "constant",
    "exponential",
    "wsd",
    "linear",
    "cosine",
    "power:p=2",
    "power:p=3",
    "multistep",
    "cyclic",
    "wsd:shape=linear,final=0",
    "wsd:shape=cosine,final=0",
    "wsd:shape=1-sqrt,final=0",
)


def schedule_from_spec(spec: str):
    """A schedule for the exponents from a SPEC string whose numbers may be omitted.

    ``peak`` defaults to 1 (exponents do not depend on it); a bare ``wsd`` is the paper's
    WSD, exponential decay to ``b = a/K`` (Theorem 5.4), and so is ``wsd`` without ``shape``.
    """
    family, opts = parse_spec(spec)
    defaults: dict = {"peak": 1.0}
    if family == "wsd" and "shape" not in opts:
        defaults.update(shape="exponential", final=1e-3)
    if family == "exponential" and "final" not in opts:
        defaults["final"] = 1e-3
    return parse_schedule(spec, defaults=defaults)
