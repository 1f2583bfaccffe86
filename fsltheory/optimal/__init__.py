"""Exact adjoint gradients and free-form schedule optimisation (issue #9)."""

from .baselines import BASELINE_NAMES, TunedBaseline, tune_baselines
from .batch import optimize_schedule_and_batch
from .fsl_gradient import fsl_gradient
from .gradient import (
    CompressedSpectrum,
    RiskGradient,
    compressed_spectrum,
    exact_final_risk,
    exact_gradient,
)
from .knots import LogKnots, knot_positions
from .optimize import KernelOptimum, optimize_schedule

__all__ = [
    "BASELINE_NAMES",
    "KernelOptimum",
    "LogKnots",
    "TunedBaseline",
    "knot_positions",
    "optimize_schedule",
    "optimize_schedule_and_batch",
    "tune_baselines",
    "CompressedSpectrum",
    "RiskGradient",
    "compressed_spectrum",
    "exact_final_risk",
    "exact_gradient",
    "fsl_gradient",
]
