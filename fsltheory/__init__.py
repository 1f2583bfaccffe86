"""fsltheory: the Functional Scaling Law of SGD under learning-rate schedules.

Li, Chen, Huang, Wang, Wu, "Functional Scaling Laws in Kernel Regression: Loss Dynamics and
Learning Rate Schedules", arXiv 2509.19189 (NeurIPS 2025).

Every public name has exactly one import path: ``from fsltheory import X``.
"""

from importlib.metadata import PackageNotFoundError, version

from .exact import expected_risk, max_stable_lr
from .model import PowerLawModel
from .rng import as_generator
from .schedules import (
    SCHEDULE_FAMILIES,
    WSD,
    ArraySchedule,
    Constant,
    Cosine,
    Cyclic,
    Exponential,
    Linear,
    MultiStep,
    Power,
    Schedule,
    parse_schedule,
)
from .sgd import simulate_sgd
from .symbolic.asymptotics import (
    KernelAsymptotic,
    constant_lr_noise,
    exp_decay_noise_I1,
    exp_decay_noise_I2,
    forgetting_asymptotic,
    signal_asymptotic,
    wsd_forgetting_bound,
)

try:
    __version__ = version("fsltheory")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    # model
    "PowerLawModel",
    "as_generator",
    # exact expected risk (reference §8.1)
    "expected_risk",
    "max_stable_lr",
    # schedules
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
    # Monte-Carlo SGD
    "simulate_sgd",
    # kernel asymptotics (SymPy)
    "KernelAsymptotic",
    "constant_lr_noise",
    "exp_decay_noise_I1",
    "exp_decay_noise_I2",
    "forgetting_asymptotic",
    "signal_asymptotic",
    "wsd_forgetting_bound",
]
