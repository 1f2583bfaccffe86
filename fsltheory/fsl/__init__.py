"""The Functional Scaling Law itself (reference §2): its functions, evaluator and fit.

Modules: :mod:`.functions` (``e``, ``𝒦``, ``δ_M`` as proxies or finite top-M sums, and
their exponential-sum forms), :mod:`.evaluate` (:func:`fsl_curve`, :func:`fsl_terms` in
intrinsic and physical time), :mod:`._loops` (the numba recursions behind the evaluator),
:mod:`.fit` (the B.1 least-squares fit), :mod:`.asymptotics` and :mod:`.integrals` (SymPy:
the kernels' power laws with their Gamma-function constants; imported only when asked for).
"""

from fsltheory.fsl.evaluate import fsl_curve, fsl_terms
from fsltheory.fsl.fit import FSLFit, fit_fsl
from fsltheory.fsl.functions import (
    ExpSum,
    approximation_error,
    forgetting_kernel,
    kernel_expsum,
    power_expsum,
    signal_function,
    spectral_expsum,
)

__all__ = [
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
]
