"""Least-squares fit of the FSL constants to a risk curve (Appendix B.1, reference §5).

The FSL is linear in its constants, ``E ~ c0 approx + c1 signal + c2 noise_signal +
c3 noise_label`` (:func:`fsltheory.fsl_terms`), so B.1 fits ``c1, c2, c3`` by ordinary least
squares of the absolute residuals, ``min_c sum_k (E_target(k) - E_k(c))^2``.  Here ``c0`` is
fitted as well when the approximation term is non-zero (``N > M``; in B.1, ``M = N``, it is
0 and ``c0`` is reported as 0).  A term that vanishes identically (``noise_label`` when
``sigma^2 = 0``) gets coefficient 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import nnls

from fsltheory._util.validate import check_choice, check_in_interval
from fsltheory.curve import FSLInfo, RiskCurve
from fsltheory.fsl.evaluate import TERMS, TIMES, coefficients, fsl_terms
from fsltheory.fsl.functions import KERNELS
from fsltheory.model import PowerLawModel, check_model
from fsltheory.schedules import ArraySchedule, Schedule, parse_schedule
from fsltheory.schedules.inputs import ScheduleLike, learning_rates

__all__ = ["FSLFit", "fit_fsl", "SOLVERS"]

#: ``'ols'``: plain least squares (the paper's choice); ``'nnls'``: constrained to ``c >= 0``
SOLVERS = ("ols", "nnls")


@dataclass
class FSLFit:
    """Result of :func:`fit_fsl`.

    Attributes
    ----------
    coef : tuple of float
        ``(c1, c2, c3)``: signal, noise-signal and label-noise constants.
    curve : RiskCurve
        The fitted FSL at the target's recorded steps (``engine='fsl'``).
    max_rel_err, rms_rel_err : float
        Max and root-mean-square of ``|fit - target| / target`` over the fitted window.
    kernel : str
        ``'proxy'`` or ``'finite'``.
    c0 : float
        Coefficient of the approximation term (0 when that term vanishes).
    solver : str
        ``'ols'`` or ``'nnls'``.
    time : str
        ``'physical'`` or ``'intrinsic'``.
    window : int
        First step of the fitted window (steps ``k >= window`` enter the fit and the errors).
    """

    coef: tuple
    curve: RiskCurve
    max_rel_err: float
    rms_rel_err: float
    kernel: str
    c0: float = 0.0
    solver: str = "ols"
    time: str = "physical"
    window: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def all_coef(self) -> tuple:
        """``(c0, c1, c2, c3)``, ready for ``fsl_curve(..., coef=...)``."""
        return (self.c0, *self.coef)


def _horizon(target: RiskCurve, schedule: ScheduleLike, steps: int | None) -> int | None:
    """``steps`` for the schedule: given, the array length, or the target's last step."""
    if steps is not None or not isinstance(schedule, Schedule):
        return steps
    if isinstance(schedule, ArraySchedule):
        return None
    return int(np.max(target.step))


def fit_fsl(
    target: RiskCurve,
    model: PowerLawModel,
    schedule: ScheduleLike,
    steps: int | None = None,
    *,
    batch: ArrayLike = 1,
    kernel: str = "proxy",
    skip: float = 0.01,
    time: str = "physical",
    solver: str = "ols",
) -> FSLFit:
    """Fit the FSL constants to ``target`` by least squares, as in Appendix B.1.

    Parameters
    ----------
    target : RiskCurve
        The curve to fit (e.g. :func:`fsltheory.expected_risk` or a Monte-Carlo mean), at any
        recorded steps; its ``intrinsic_time`` must match ``schedule``.
    model, schedule, steps, batch, kernel, time
        As for :func:`fsltheory.fsl_terms` (``schedule`` may be a SPEC string).  With a parametric schedule and ``steps=None``
        the horizon is the target's last recorded step.
    skip : float
        Fraction of the horizon ``K`` left out at the start: steps ``k >= skip K`` (and
        ``k >= 1``) enter the fit and the reported errors.  Default 1%, as B.1's figures.
    solver : {'ols', 'nnls'}
        Ordinary least squares (the paper's), or non-negative least squares.

    Returns
    -------
    FSLFit

    Examples
    --------
    >>> from fsltheory import PowerLawModel, Cosine, expected_risk
    >>> m = PowerLawModel(beta=3.0, s=0.5, sigma2=9.0, M=128, N=128)
    >>> sch = Cosine(peak=0.01, final=0.001)
    >>> fit = fit_fsl(expected_risk(m, sch, 2000, record=200), m, sch, kernel="finite")
    >>> bool(fit.max_rel_err < 0.05)
    True
    """
    if not isinstance(target, RiskCurve):
        raise ValueError(f"target={type(target).__name__} is invalid: expected a RiskCurve")
    check_model(model)
    check_choice("kernel", kernel, KERNELS)
    check_choice("time", time, TIMES)
    check_choice("solver", solver, SOLVERS)
    skip = check_in_interval("skip", skip, 0.0, 1.0, closed="left")
    if isinstance(schedule, str):
        schedule = parse_schedule(schedule)  # parsed here: its horizon may come from target
    steps = _horizon(target, schedule, steps)
    eta, K = learning_rates(schedule, steps)
    step = np.asarray(target.step, dtype=np.int64)
    if step.size == 0 or step.min() < 0 or step.max() > K:
        raise ValueError(f"target.step is invalid: expected steps in [0, {K}] for this schedule")
    T = np.concatenate([[0.0], np.cumsum(eta)])
    if not np.allclose(np.asarray(target.intrinsic_time, float), T[step], rtol=1e-9, atol=0):
        raise ValueError(
            "target is invalid for this schedule: its intrinsic_time differs from the "
            "schedule's cumulative learning rate (wrong schedule or steps?)"
        )
    y = np.asarray(target.excess_risk, dtype=float)
    terms = fsl_terms(model, eta, batch=batch, kernel=kernel, time=time, record=step)
    window = max(1, int(np.ceil(skip * K)))
    sel = step >= window
    if sel.sum() < 3:
        raise ValueError(
            f"skip={skip!r} is invalid for this target: fewer than 3 recorded steps are >= {window}"
        )
    if np.any(y[sel] <= 0):
        raise ValueError("target is invalid: expected a positive excess risk in the window")
    A = np.stack([terms[name] for name in TERMS], axis=1)
    used = np.flatnonzero(np.any(A[sel] != 0, axis=0))
    X = A[sel][:, used]
    scale = np.linalg.norm(X, axis=0)  # unit columns: the terms differ by decades
    Xs = X / scale
    if solver == "ols":
        sol = np.linalg.lstsq(Xs, y[sel], rcond=None)[0]
    else:
        sol = nnls(Xs, y[sel])[0]
    raw = np.zeros(len(TERMS))
    raw[used] = sol / scale
    c = coefficients(raw)
    fitted = A @ np.asarray(c)
    rel = np.abs(fitted[sel] - y[sel]) / y[sel]
    curve = RiskCurve.from_schedule(
        eta,
        step,
        fitted,
        engine="fsl",
        meta=FSLInfo(kernel=kernel, time=time, coef=c, fit=solver, window=window),
    )
    return FSLFit(
        coef=tuple(c[1:]),
        curve=curve,
        max_rel_err=float(rel.max()),
        rms_rel_err=float(np.sqrt(np.mean(rel**2))),
        kernel=kernel,
        c0=c[0],
        solver=solver,
        time=time,
        window=window,
    )
