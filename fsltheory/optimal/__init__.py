"""Exact adjoint gradients and free-form schedule optimisation (issue #9)."""

from .fsl_gradient import fsl_gradient
from .gradient import (
    CompressedSpectrum,
    RiskGradient,
    compressed_spectrum,
    exact_final_risk,
    exact_gradient,
)

__all__ = [
    "CompressedSpectrum",
    "RiskGradient",
    "compressed_spectrum",
    "exact_final_risk",
    "exact_gradient",
    "fsl_gradient",
]
