"""The FSL as a loss-curve surrogate: fit real LLM loss curves, predict unseen schedules,
optimise the schedule, side by side with the multi-power law and the momentum law (issue #5).

Modules: :mod:`.curves` (loss curves in and out), :mod:`.datasets` (the MPL and Schaipp et al.
data sets), :mod:`._decrement_sums` (fast sums over learning-rate decrements), :mod:`.law`
(the common interface), :mod:`.fsl_law`, :mod:`.fsl_lr`, :mod:`.fsl_fast`, :mod:`.mpl`,
:mod:`.momentum` (the laws),
:mod:`.fitting`, :mod:`.metrics`, :mod:`.optimize`, :mod:`.model_objective`.
Users import the public names from :mod:`fsltheory`.
"""

from fsltheory.surrogate.curves import (
    LossCurve,
    detect_warmup,
    read_loss_csv,
    smooth_loss,
    write_loss_csv,
)
from fsltheory.surrogate.datasets import (
    MPL_PUBLISHED_METRICS,
    MPL_PUBLISHED_PARAMS,
    MPL_TEST,
    MPL_TRAIN,
    SchaippRuns,
    load_mpl_curves,
    mpl_schedule,
    read_mpl_curve,
)
from fsltheory.surrogate.fitting import FitResult, fit_law
from fsltheory.surrogate.fsl_fast import FSLFastLaw
from fsltheory.surrogate.fsl_law import FSLLaw
from fsltheory.surrogate.fsl_lr import FSLLRLaw
from fsltheory.surrogate.law import LAWS, SurrogateLaw, law_from_dict, load_law
from fsltheory.surrogate.metrics import evaluate_law, prediction_metrics
from fsltheory.surrogate.momentum import MomentumLaw
from fsltheory.surrogate.mpl import MultiPowerLaw
from fsltheory.surrogate.optimize import (
    OptimizedSchedule,
    baseline_schedules,
    optimize_law_schedule,
)

__all__ = [
    "LossCurve",
    "detect_warmup",
    "read_loss_csv",
    "smooth_loss",
    "write_loss_csv",
    "MPL_PUBLISHED_METRICS",
    "MPL_PUBLISHED_PARAMS",
    "MPL_TEST",
    "MPL_TRAIN",
    "SchaippRuns",
    "load_mpl_curves",
    "mpl_schedule",
    "read_mpl_curve",
    "FitResult",
    "fit_law",
    "FSLLaw",
    "FSLLRLaw",
    "FSLFastLaw",
    "LAWS",
    "SurrogateLaw",
    "law_from_dict",
    "load_law",
    "evaluate_law",
    "prediction_metrics",
    "MomentumLaw",
    "MultiPowerLaw",
    "OptimizedSchedule",
    "baseline_schedules",
    "optimize_law_schedule",
]
