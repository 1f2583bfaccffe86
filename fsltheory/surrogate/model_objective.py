"""The power-law kernel model as a schedule-optimisation objective (``--model kernel``).

The final excess risk of :class:`~fsltheory.PowerLawModel` under a learning-rate array,
from the numeric core: the discretised FSL evaluator :func:`fsltheory.fsl_curve` (default)
or the exact expected-risk engine :func:`fsltheory.expected_risk`.  Neither gives a gradient,
so :func:`~fsltheory.surrogate.optimize.optimize_law_schedule` uses forward differences over a
few knots for it.
"""

from __future__ import annotations

from fsltheory._util.validate import check_choice

__all__ = ["kernel_objective"]


def kernel_objective(beta, s, sigma2, M, steps, *, batch=1, engine="fsl", kernel="proxy"):
    """``f(lrs) -> final excess risk`` for the kernel model with these parameters."""
    from fsltheory.exact import expected_risk
    from fsltheory.fsl import fsl_curve
    from fsltheory.model import PowerLawModel

    model = PowerLawModel(beta=beta, s=s, sigma2=sigma2, M=M)
    steps = int(steps)
    check_choice("engine", engine, ("fsl", "exact"))

    def f(lrs):
        if engine == "fsl":
            curve = fsl_curve(model, lrs, steps, batch=batch, kernel=kernel, record=[steps])
        else:
            curve = expected_risk(model, lrs, steps, batch=batch, record=[steps])
        return float(curve.final)

    f.__name__ = f"kernel model (beta={beta:g}, s={s:g}, sigma2={sigma2:g}, M={M}, {engine})"
    return f
