"""The SPEC syntax: ``family:key=value,...`` (``fsl risk --schedule SPEC``).

Examples: ``constant:peak=0.1``, ``exponential:peak=0.1,final=0.001``,
``wsd:peak=0.1,decay=0.2,final=0.001,shape=exponential``, ``cosine:peak=0.1,final=0.01``,
``linear:peak=0.1,final=0``, ``power:peak=0.1,p=3``,
``multistep:peak=0.1,at=0.8:0.9,factor=0.316:0.1``, ``cyclic:peak=0.1,low=0.01,period=2000``;
any family accepts ``warmup=W``; ``file:PATH.csv`` reads an ``lr`` column.
"""

from __future__ import annotations

from dataclasses import fields

from fsltheory.schedules.array import ArraySchedule
from fsltheory.schedules.base import Schedule
from fsltheory.schedules.constant import Constant
from fsltheory.schedules.cosine import Cosine
from fsltheory.schedules.cyclic import Cyclic
from fsltheory.schedules.exponential import Exponential
from fsltheory.schedules.linear import Linear
from fsltheory.schedules.multistep import MultiStep
from fsltheory.schedules.power import Power
from fsltheory.schedules.wsd import WSD

__all__ = ["SCHEDULE_FAMILIES", "parse_schedule", "parse_spec"]

#: family name -> class, for every parametric family
SCHEDULE_FAMILIES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (Constant, Exponential, WSD, Cosine, Linear, Power, MultiStep, Cyclic)
}
_ALIASES = {"exp": "exponential", "cos": "cosine", "step": "multistep", "8-1-1": "multistep"}


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """Split ``'family:k=v,...'`` into the family name and a dict of raw string values."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"schedule={spec!r} is invalid: expected 'family:key=value,...'")
    family, _, rest = spec.strip().partition(":")
    family = _ALIASES.get(family.strip().lower(), family.strip().lower())
    opts: dict[str, str] = {}
    if family == "file":
        return family, {"path": rest}
    for item in filter(None, (x.strip() for x in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"schedule option {item!r} is invalid: expected key=value")
        key = key.strip().lower()
        if key in opts:  # the last value silently winning hides a typo
            raise ValueError(
                f"schedule option {key!r} is invalid: given twice in {spec!r} (expected once)"
            )
        opts[key] = value.strip()
    return family, opts


def _convert(name: str, raw: str, annotation) -> object:
    if name in ("at", "factor"):
        return tuple(float(x) for x in raw.split(":") if x)
    if name in ("warmup", "period"):
        f = float(raw)
        if not f.is_integer():
            raise ValueError(f"{name}={raw!r} is invalid: expected an integer")
        return int(f)
    if name == "shape":
        return raw.lower()
    return float(raw)


def parse_schedule(spec: str, *, defaults: dict | None = None) -> Schedule:
    """Build a :class:`Schedule` from a SPEC string.

    Parameters
    ----------
    spec : str
        ``family:key=value,...`` or ``file:PATH.csv``.
    defaults : dict, optional
        Values for keys the SPEC leaves out (e.g. ``{"peak": 0.01}``).

    Examples
    --------
    >>> parse_schedule("wsd:peak=0.1,decay=0.2,final=0.001,shape=exponential").phases(1000)
    (800, 200)
    """
    family, opts = parse_spec(spec)
    if family == "file":
        try:
            return ArraySchedule.from_csv(opts["path"])
        except OSError as err:  # a name too long, a folder, no permission: bad input too
            raise ValueError(
                f"schedule file {opts['path'][:80]!r} is invalid: {err.strerror or err}"
            ) from None
    if family not in SCHEDULE_FAMILIES:
        raise ValueError(
            f"schedule family {family!r} is unknown: expected one of "
            f"{sorted(SCHEDULE_FAMILIES) + ['file']}"
        )
    cls = SCHEDULE_FAMILIES[family]
    known = {f.name: f.type for f in fields(cls)}
    kwargs = dict(defaults or {})
    for key, raw in opts.items():
        if key not in known:
            raise ValueError(
                f"schedule option {key!r} is unknown for {family!r}: expected one of {sorted(known)}"
            )
        try:
            kwargs[key] = _convert(key, raw, known[key])
        except ValueError as err:
            if "invalid" in str(err):
                raise
            raise ValueError(f"{key}={raw!r} is invalid: expected a number") from None
    kwargs = {k: v for k, v in kwargs.items() if k in known}
    if "peak" not in kwargs:
        raise ValueError(f"peak is missing in schedule {spec!r}: expected peak=VALUE > 0")
    return cls(**kwargs)
