"""Learning-rate schedules: one module per family, a shared base, and the SPEC parser."""

from .array import ArraySchedule
from .base import Schedule
from .constant import Constant
from .cosine import Cosine
from .cyclic import Cyclic
from .exponential import Exponential
from .linear import Linear
from .multistep import MultiStep
from .power import Power
from .spec import SCHEDULE_FAMILIES, parse_schedule
from .wsd import WSD

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
