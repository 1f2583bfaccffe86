"""fsltheory: the Functional Scaling Law of SGD under learning-rate schedules.

Li, Chen, Huang, Wang, Wu, "Functional Scaling Laws in Kernel Regression: Loss Dynamics and
Learning Rate Schedules", arXiv 2509.19189 (NeurIPS 2025).

Every public name has exactly one import path: ``from fsltheory import X``.
"""

from importlib.metadata import PackageNotFoundError, version

from .curve import RiskCurve
from .exact import expected_risk, max_stable_lr
from .fsl import fsl_curve, fsl_terms
from .fsl_fit import FSLFit, fit_fsl
from .kernels import (
    ExpSum,
    approximation_error,
    forgetting_kernel,
    kernel_expsum,
    power_expsum,
    signal_function,
    spectral_expsum,
)
from .measure import (
    SlopeMeasurement,
    TunedPoint,
    default_peak_cap,
    measure_scaling,
    tune_compute_limited,
    tune_data_limited,
)
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
from .surrogate import (
    MPL_PUBLISHED_METRICS,
    MPL_PUBLISHED_PARAMS,
    MPL_TEST,
    MPL_TRAIN,
    FitResult,
    FSLLaw,
    LossCurve,
    MomentumLaw,
    MultiPowerLaw,
    OptimizedSchedule,
    SchaippRuns,
    SurrogateLaw,
    baseline_schedules,
    detect_warmup,
    evaluate_law,
    fit_law,
    load_law,
    load_mpl_curves,
    mpl_schedule,
    optimize_schedule,
    prediction_metrics,
    read_loss_csv,
    read_mpl_curve,
    smooth_loss,
)
from .symbolic import (
    ClaimCheck,
    Exponent,
    IntrinsicProfile,
    ReducedObjective,
    Region,
    ScalingResult,
    balance,
    claim_checks,
    derived_table1,
    derived_table35,
    export_latex,
    objective_value,
    reduced_objective,
    schedule_from_spec,
    solve_point,
    supported_schedules,
)
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
    "RiskCurve",
    # numeric scaling measurements (exact engine)
    "SlopeMeasurement",
    "TunedPoint",
    "default_peak_cap",
    "measure_scaling",
    "tune_compute_limited",
    "tune_data_limited",
    "as_generator",
    # exact expected risk (reference §8.1)
    "expected_risk",
    "max_stable_lr",
    # the FSL: kernels, evaluator, B.1 fit (reference §2, §8.2)
    "ExpSum",
    "FSLFit",
    "approximation_error",
    "fit_fsl",
    "forgetting_kernel",
    "fsl_curve",
    "fsl_terms",
    "kernel_expsum",
    "power_expsum",
    "signal_function",
    "spectral_expsum",
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
    # loss-curve surrogate: FSL vs multi-power law vs momentum law (issue #5)
    "FSLLaw",
    "FitResult",
    "LossCurve",
    "MPL_PUBLISHED_METRICS",
    "MPL_PUBLISHED_PARAMS",
    "MPL_TEST",
    "MPL_TRAIN",
    "MomentumLaw",
    "MultiPowerLaw",
    "OptimizedSchedule",
    "SchaippRuns",
    "SurrogateLaw",
    "baseline_schedules",
    "detect_warmup",
    "evaluate_law",
    "fit_law",
    "load_law",
    "load_mpl_curves",
    "mpl_schedule",
    "optimize_schedule",
    "prediction_metrics",
    "read_loss_csv",
    "read_mpl_curve",
    "smooth_loss",
    # kernel asymptotics (SymPy)
    "KernelAsymptotic",
    "constant_lr_noise",
    "exp_decay_noise_I1",
    "exp_decay_noise_I2",
    "forgetting_asymptotic",
    "signal_asymptotic",
    "wsd_forgetting_bound",
    # reduced objectives, optimal exponents, claims, LaTeX (SymPy; issue #3)
    "ClaimCheck",
    "Exponent",
    "IntrinsicProfile",
    "ReducedObjective",
    "Region",
    "ScalingResult",
    "balance",
    "claim_checks",
    "derived_table1",
    "derived_table35",
    "export_latex",
    "objective_value",
    "reduced_objective",
    "schedule_from_spec",
    "solve_point",
    "supported_schedules",
]
