"""Exact adjoint gradients and free-form schedule optimisation (issue #9; reference §8.1).

* :func:`exact_gradient` / :func:`fsl_gradient`: value and reverse-mode gradient of the exact
  expected risk (or of the physical-time FSL) w.r.t. every ``eta_k`` and ``B_k``, in
  ``O(K x nodes)`` time and ``O(nodes sqrt(K))`` memory.
* :func:`optimize_schedule`: the free-form schedule that minimises the exact final excess
  risk under the stability cap, with tuned baselines (:class:`KernelOptimum`).
* :func:`optimize_schedule_and_batch`: learning rates and real batch sizes jointly, at a
  fixed sample budget.
* :func:`measure_optimal_scaling`: optimised schedules over a grid of horizons and their
  measured exponents (loss, peak, decay length, decay power) beside the derived ones
  (:class:`OptimalScalingMeasurement`).
"""

from fsltheory.optimal.baselines import BASELINE_NAMES, TunedBaseline, tune_baselines
from fsltheory.optimal.batch import optimize_schedule_and_batch
from fsltheory.optimal.fsl_gradient import fsl_gradient
from fsltheory.optimal.gradient import (
    CompressedSpectrum,
    RiskGradient,
    compressed_spectrum,
    exact_final_risk,
    exact_gradient,
)
from fsltheory.optimal.knots import LogKnots, knot_positions
from fsltheory.optimal.measure import (
    DecayShape,
    OptimalScalingMeasurement,
    decay_shape,
    derived_optimal_exponents,
    load_measurements,
    measure_optimal_scaling,
)
from fsltheory.optimal.optimize import KernelOptimum, optimize_schedule

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
    "DecayShape",
    "OptimalScalingMeasurement",
    "decay_shape",
    "derived_optimal_exponents",
    "load_measurements",
    "measure_optimal_scaling",
]
