"""Learning-rate schedules: one module per family, a shared base, and the SPEC parser."""

from fsltheory.schedules.array import ArraySchedule
from fsltheory.schedules.base import Schedule
from fsltheory.schedules.constant import Constant
from fsltheory.schedules.cosine import Cosine
from fsltheory.schedules.cyclic import Cyclic
from fsltheory.schedules.exponential import Exponential
from fsltheory.schedules.linear import Linear
from fsltheory.schedules.multistep import MultiStep
from fsltheory.schedules.power import Power
from fsltheory.schedules.spec import SCHEDULE_FAMILIES, parse_schedule
from fsltheory.schedules.wsd import WSD

__all__ = [
    "ArraySchedule",
    "Constant",
    "Cosine",
    "Cyclic",
    "Exponential",
    "Linear",
    "MultiStep",
    "Power",
    "SCHEDULE_FAMILIES",
    "Schedule",
    "WSD",
    "parse_schedule",
]
