"""fsltheory: the Functional Scaling Law of SGD under learning-rate schedules.

Li, Chen, Huang, Wang, Wu, "Functional Scaling Laws in Kernel Regression: Loss Dynamics and
Learning Rate Schedules", arXiv 2509.19189 (NeurIPS 2025).

Every public name has exactly one import path: ``from fsltheory import X``.  The names are
loaded on first use (PEP 562), so ``import fsltheory`` is cheap and pulls in neither SymPy
nor numba nor SciPy's optimisers until a name that needs them is touched.

Layers, each importing only from the ones before it (``tests/test_layers.py``)::

    _util -> model, curve -> schedules -> exact, sgd -> fsl -> symbolic -> measure
          -> surrogate, optimal, sweep -> cli
"""

from __future__ import annotations

import importlib

#: public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # read from the installed metadata on first use (importlib.metadata costs ~40 ms)
    "__version__": "fsltheory._util.version",
    # model and results
    "PowerLawModel": "fsltheory.model",
    "RiskCurve": "fsltheory.curve",
    "RunInfo": "fsltheory.curve",
    "ExactInfo": "fsltheory.curve",
    "SGDInfo": "fsltheory.curve",
    "FSLInfo": "fsltheory.curve",
    "DivergenceError": "fsltheory._util.errors",
    "as_generator": "fsltheory._util.rng",
    # schedules (reference §2.2)
    "ArraySchedule": "fsltheory.schedules",
    "Constant": "fsltheory.schedules",
    "Cosine": "fsltheory.schedules",
    "Cyclic": "fsltheory.schedules",
    "Exponential": "fsltheory.schedules",
    "Linear": "fsltheory.schedules",
    "MultiStep": "fsltheory.schedules",
    "Power": "fsltheory.schedules",
    "SCHEDULE_FAMILIES": "fsltheory.schedules",
    "Schedule": "fsltheory.schedules",
    "WSD": "fsltheory.schedules",
    "parse_schedule": "fsltheory.schedules",
    "IntrinsicProfile": "fsltheory.symbolic.profile",
    "schedule_from_spec": "fsltheory.schedules.registry",
    "supported_schedules": "fsltheory.symbolic.profiles",
    "intrinsic_profile": "fsltheory.symbolic.profiles",
    # exact expected risk (reference §8.1)
    "ExactDivergenceError": "fsltheory.exact",
    "expected_risk": "fsltheory.exact",
    "max_stable_lr": "fsltheory.exact",
    # Monte-Carlo SGD
    "SGDDivergenceError": "fsltheory.sgd",
    "simulate_sgd": "fsltheory.sgd",
    # the FSL: functions, evaluator, B.1 fit (reference §2, §8.2)
    "ExpSum": "fsltheory.fsl",
    "FSLFit": "fsltheory.fsl",
    "approximation_error": "fsltheory.fsl",
    "fit_fsl": "fsltheory.fsl",
    "forgetting_kernel": "fsltheory.fsl",
    "fsl_curve": "fsltheory.fsl",
    "fsl_terms": "fsltheory.fsl",
    "kernel_expsum": "fsltheory.fsl",
    "power_expsum": "fsltheory.fsl",
    "signal_function": "fsltheory.fsl",
    "spectral_expsum": "fsltheory.fsl",
    # kernel asymptotics (SymPy)
    "KernelAsymptotic": "fsltheory.fsl.asymptotics",
    "constant_lr_noise": "fsltheory.fsl.asymptotics",
    "exp_decay_noise_I1": "fsltheory.fsl.asymptotics",
    "exp_decay_noise_I2": "fsltheory.fsl.asymptotics",
    "forgetting_asymptotic": "fsltheory.fsl.asymptotics",
    "signal_asymptotic": "fsltheory.fsl.asymptotics",
    "wsd_forgetting_bound": "fsltheory.fsl.asymptotics",
    # reduced objectives, optimal exponents, claims, LaTeX (SymPy)
    "ClaimCheck": "fsltheory.symbolic",
    "Exponent": "fsltheory.symbolic",
    "ReducedObjective": "fsltheory.symbolic",
    "Region": "fsltheory.symbolic",
    "ScalingResult": "fsltheory.symbolic",
    "balance": "fsltheory.symbolic",
    "claim_checks": "fsltheory.symbolic",
    "derive_scaling": "fsltheory.symbolic",
    "derived_table1": "fsltheory.symbolic",
    "derived_table35": "fsltheory.symbolic",
    "export_latex": "fsltheory.symbolic",
    "objective_value": "fsltheory.symbolic",
    "reduced_objective": "fsltheory.symbolic",
    "solve_point": "fsltheory.symbolic",
    # numeric scaling measurements (exact engine vs derived exponents)
    "CONJECTURE_BAND": "fsltheory.measure",
    "LOCAL_SLOPE_BAND": "fsltheory.measure",
    "SLOPE_BAND": "fsltheory.measure",
    "ScalingComparison": "fsltheory.measure",
    "ScalingRow": "fsltheory.measure",
    "SlopeMeasurement": "fsltheory.measure",
    "TunedPoint": "fsltheory.measure",
    "compare_scaling": "fsltheory.measure",
    "default_peak_cap": "fsltheory.measure",
    "local_slopes": "fsltheory.measure",
    "ratio_spread": "fsltheory.measure",
    "measure_scaling": "fsltheory.measure",
    "tune_compute_limited": "fsltheory.measure",
    "tune_data_limited": "fsltheory.measure",
    # the FSL-optimal schedule, derived (SymPy) and found with exact gradients (issue #9)
    "optimal_schedule_scaling": "fsltheory.symbolic.optimal",
    "el_optimum": "fsltheory.symbolic.optimal",
    "wsd_decay_fraction": "fsltheory.symbolic.optimal_wsd",
    "scaling_for_spec": "fsltheory.symbolic.scaling",
    "KernelOptimum": "fsltheory.optimal",
    "RiskGradient": "fsltheory.optimal",
    "TunedBaseline": "fsltheory.optimal",
    "exact_gradient": "fsltheory.optimal",
    "fsl_gradient": "fsltheory.optimal",
    "optimize_schedule": "fsltheory.optimal",
    "optimize_schedule_and_batch": "fsltheory.optimal",
    "tune_baselines": "fsltheory.optimal",
    "OptimalScalingMeasurement": "fsltheory.optimal",
    "measure_optimal_scaling": "fsltheory.optimal",
    # loss-curve surrogate: FSL vs multi-power law vs momentum law
    "FSLLaw": "fsltheory.surrogate",
    "FSLLRLaw": "fsltheory.surrogate",
    "FSLFastLaw": "fsltheory.surrogate",
    "FitResult": "fsltheory.surrogate",
    "LossCurve": "fsltheory.surrogate",
    "MPL_PUBLISHED_METRICS": "fsltheory.surrogate",
    "MPL_PUBLISHED_PARAMS": "fsltheory.surrogate",
    "MPL_TEST": "fsltheory.surrogate",
    "MPL_TRAIN": "fsltheory.surrogate",
    "MomentumLaw": "fsltheory.surrogate",
    "MultiPowerLaw": "fsltheory.surrogate",
    "OptimizedSchedule": "fsltheory.surrogate",
    "SchaippRuns": "fsltheory.surrogate",
    "SurrogateLaw": "fsltheory.surrogate",
    "baseline_schedules": "fsltheory.surrogate",
    "detect_warmup": "fsltheory.surrogate",
    "evaluate_law": "fsltheory.surrogate",
    "fit_law": "fsltheory.surrogate",
    "load_law": "fsltheory.surrogate",
    "load_mpl_curves": "fsltheory.surrogate",
    "mpl_schedule": "fsltheory.surrogate",
    "optimize_law_schedule": "fsltheory.surrogate",
    "prediction_metrics": "fsltheory.surrogate",
    "read_loss_csv": "fsltheory.surrogate",
    "read_mpl_curve": "fsltheory.surrogate",
    "smooth_loss": "fsltheory.surrogate",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> object:
    """Load a public name from its module on first access (PEP 562)."""
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'fsltheory' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
