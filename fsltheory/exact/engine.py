"""``expected_risk``: the exact expected excess risk of one-pass SGD (reference §8.1).

For Gaussian features the second moments of the SGD iterates obey a closed linear
recursion, so ``E[E(v_k)]`` is computed exactly, without Monte Carlo.  Top-M features:

.. math:: m_j(k+1) = (1-\\eta_k\\lambda_j)^2 m_j(k) + \\frac{\\eta_k^2}{B_k}\\Big[
   \\lambda_j\\Big(\\sum_{i \\le N}\\lambda_i m_i(k) + \\sigma^2\\Big)
   + \\lambda_j^2 m_j(k)\\Big], \\qquad j \\le M,

with ``m_j(0) = theta*_j^2``, ``m_i = theta*_i^2`` for ``i > M`` and
``E[E_k] = 1/2 sum_i lambda_i m_i(k)`` (note the 1/2 of eq. 3).  Methods:

``'full'``      every mode ``j <= M``, the tail ``j > M`` summed exactly;
``'compressed'`` the spectrum compressed to a few hundred nodes
                (:mod:`fsltheory.exact.spectrum`), ``M, N`` up to ``1e9``/``inf``;
``'matrix'``    random-M features, the ``N x N`` recursion reduced exactly to ``M``
                scalar ones (:mod:`fsltheory.exact.matrix`).

``'auto'`` is ``'matrix'`` for random features (or when ``W`` is given), else
``'compressed'`` (which is the full spectrum whenever compression would not pay).

A constant learning rate without warmup at a fixed batch, recorded at a few steps, runs
``'compressed'`` as matrix powers (:mod:`fsltheory.exact.constant`, ``meta['powers']``)
wherever that is cheaper than stepping, so its cost no longer grows with the horizon
(``10^15`` steps in milliseconds); the two agree to round-off.

``precision='mpmath'`` runs ``'full'`` at ``dps`` digits instead of float64
(:mod:`fsltheory.exact.precise`); the simulator spells its replay the same way.

Every float64 method propagates its modes with one recursion, compiled by numba
(:mod:`fsltheory.exact._recursion`), or in plain numpy for runs too small to repay numba's
start-up (:mod:`fsltheory.exact._numpy_recursion`; the choice depends only on the size).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable

import mpmath
import numpy as np
from numpy.typing import ArrayLike

from fsltheory._util.errors import DivergenceError
from fsltheory._util.rng import RNGLike
from fsltheory._util.validate import check_choice, check_int
from fsltheory.curve import ExactInfo, RecordLike, RiskCurve, record_steps
from fsltheory.exact._numpy_recursion import is_small, run_small
from fsltheory.exact.constant import constant_recursion, worth_it
from fsltheory.exact.matrix import reduce_random_features, top_W
from fsltheory.exact.precise import precise_recursion
from fsltheory.exact.spectrum import SpectrumRule, spectrum_rule
from fsltheory.exact.stability import max_stable_lr, stable_lr_bound
from fsltheory.model import PowerLawModel, check_model
from fsltheory.schedules import Constant, Schedule, parse_schedule
from fsltheory.schedules.inputs import ScheduleLike, batch_sizes, learning_rates

__all__ = ["expected_risk", "ExactDivergenceError", "METHODS", "PRECISIONS"]

METHODS = ("auto", "compressed", "full", "matrix")
PRECISIONS = ("float64", "mpmath")
#: beyond this many modes 'full' would need gigabytes: use 'compressed'
FULL_LIMIT = 100_000_000
#: the longest horizon run as matrix powers (step indices stay well inside int64)
MAX_POWER_STEPS = 10**18


class ExactDivergenceError(DivergenceError):
    """The exact recursion overflowed: raised with the step index instead of inf/nan."""


def _check_stable(lrs: np.ndarray, bsz: np.ndarray, bound_for: Callable[[int], float]) -> None:
    """Refuse any step whose ``(eta_k, B_k)`` lies on or beyond the stability bound."""
    for b in np.unique(bsz):
        mask = bsz == b
        k = int(np.flatnonzero(mask)[np.argmax(lrs[mask])])
        bound = bound_for(int(b))
        if lrs[k] >= bound:
            raise ValueError(
                f"lr={lrs[k]:.6g} (at step {k}; schedule peak {lrs.max():.6g}) is invalid: "
                f"expected lr < max_stable_lr = {bound:.6g} for batch={int(b)}; beyond it the "
                "second moments of SGD grow without bound (pass check_stability=False to run "
                "anyway)"
            )


def run_recursion(
    lam: np.ndarray,
    r0: np.ndarray,
    C: float,
    sigma2: float,
    lrs: np.ndarray,
    invb: np.ndarray,
    rec: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, int]:
    """The recursion, in numpy for small problems and compiled (numba) otherwise.

    Loading numba and the cached kernel takes about a second per process, far more than a
    short run needs (:mod:`fsltheory.exact._numpy_recursion`); the choice depends only on
    the problem's size.
    """
    if is_small(lrs.size, lam.size):
        return run_small(lam, r0, C, sigma2, lrs, invb, rec, weights=weights, progress=progress)
    from fsltheory.exact._recursion import run_recursion as compiled

    return compiled(lam, r0, C, sigma2, lrs, invb, rec, weights=weights, progress=progress)


def _zeta_sum(expo: float, first: int, last: int) -> float:
    """``sum_{j=first}^{last} j^-expo`` via Hurwitz zeta at 30 digits."""
    with mpmath.workdps(30):
        return float(mpmath.zeta(expo, first) - mpmath.zeta(expo, last + 1))


def _topm_float(
    model: PowerLawModel,
    lrs: np.ndarray,
    bsz: np.ndarray,
    rec: np.ndarray,
    method: str,
    progress: bool,
    refine: int = 1,
) -> tuple[np.ndarray, int, dict[str, int]]:
    """Full or compressed top-M spectrum in float64; returns ``(R_rec, bad, meta)``."""
    M, beta, expo = model.M, model.beta, 1.0 + model.alpha
    tail = model.tail_error()
    if method == "compressed":
        rule = spectrum_rule(M, beta, float(np.sum(lrs)), refine=refine)
    if method == "full" or not rule.compressed:
        if M > FULL_LIMIT:
            raise ValueError(
                f"M={M} is too large for method='full' (about {16 * M / 1e9:.1f} GB): "
                "use method='compressed'"
            )
        x = np.arange(1, M + 1, dtype=float)
        lam, r0 = x**-beta, x**-expo
        R, bad = run_recursion(lam, r0, tail, model.sigma2, lrs, 1.0 / bsz, rec, progress=progress)
        return R, bad, {"nodes": M, "exact_modes": M, "panels": 0}
    lam, r0, w, C = _compressed_nodes(model, rule)
    R, bad = run_recursion(
        lam, r0, C, model.sigma2, lrs, 1.0 / bsz, rec, weights=w, progress=progress
    )
    return R, bad, {"nodes": len(rule), "exact_modes": rule.exact, "panels": rule.panels}


def _compressed_nodes(
    model: PowerLawModel, rule: SpectrumRule
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``(lambda, r0, weights, C)`` of the compressed rule's nodes for ``model``."""
    x, w = rule.nodes, rule.weights
    expo = 1.0 + model.alpha
    lam, r0 = x**-model.beta, x**-expo
    J = rule.exact
    # control variate: the initial profile is summed exactly, the rule only sees changes
    C = model.tail_error() + (_zeta_sum(expo, J + 1, model.M) - math.fsum(w[J:] * r0[J:]))
    return lam, r0, w, C


def _constant_powers(
    model: PowerLawModel,
    schedule: Constant,
    steps: int,
    batch: ArrayLike,
    record: RecordLike,
    check_stability: bool,
    t0: float,
) -> RiskCurve | None:
    """The compressed engine as matrix powers, or ``None`` where stepping is cheaper."""
    if record is None:  # every step recorded: the step-by-step path (and its memory check)
        return None
    steps = check_int("steps", steps, 1)
    if steps > MAX_POWER_STEPS:  # beyond int64 step indices: the stepping path refuses it
        return None
    b = check_int("batch", np.asarray(batch).item(), 1)
    rec = record_steps(record, steps)
    eta = schedule.peak
    rule = spectrum_rule(model.M, model.beta, eta * steps)
    nodes = len(rule) if rule.compressed else model.M
    if not rule.compressed or not worth_it(steps, nodes, rec.size):
        return None
    bound = max_stable_lr(model, b)
    if eta >= bound:
        if check_stability:
            _check_stable(np.array([eta]), np.array([b]), lambda _: bound)
        return None  # stepping reports the step at which the risk overflows
    lam, r0, w, C = _compressed_nodes(model, rule)
    R = constant_recursion(lam, r0, C, model.sigma2, eta, b, rec, weights=w)
    meta = ExactInfo(
        method="compressed",
        M=model.M,
        N=model.N,
        schedule=schedule.spec(),
        bound=bound,
        nodes=len(rule),
        exact_modes=rule.exact,
        panels=rule.panels,
        powers=True,
        elapsed_s=time.perf_counter() - t0,
    )
    lr = np.where(rec < steps, eta, np.nan)
    return RiskCurve(
        step=rec,
        lr=lr,
        intrinsic_time=eta * rec.astype(float),
        excess_risk=0.5 * R,
        engine="exact",
        meta=meta,
    )


def expected_risk(
    model: PowerLawModel,
    schedule: ScheduleLike,
    steps: int | None = None,
    *,
    batch: ArrayLike = 1,
    record: RecordLike = None,
    rng: RNGLike = None,
    W: ArrayLike | None = None,
    method: str = "auto",
    precision: str = "float64",
    dps: int = 50,
    progress: bool = False,
    check_stability: bool = True,
) -> RiskCurve:
    """Exact expected excess risk ``E[E(v_k)]`` of one-pass SGD with Gaussian features.

    Parameters
    ----------
    model : PowerLawModel
        Spectrum ``lambda_j = j^-beta``, target ``lambda_j theta*_j^2 = j^{-1-s beta}``,
        label noise ``sigma2``, width ``M``, total features ``N`` (may be ``inf``).
    schedule : Schedule, SPEC string or 1-d array
        Learning rates ``eta_0..eta_{K-1}`` (finite, ``>= 0``).
    steps : int, optional
        Horizon ``K``; required for a parametric schedule, defaults to the array's length
        (and must equal it if given).
    batch : int or 1-d int array
        Batch size ``B >= 1``, or one per step (a batch-size schedule).
    record : None, int or array
        Steps to record (:func:`fsltheory.curve.record_steps`): all by default.
    rng : Generator, int or None
        Seed for drawing ``W`` (random features, ``W`` not given):
        ``model.seeded_projection(rng)``, the matrix :func:`fsltheory.simulate_sgd` draws
        for the same seed.
    W : ndarray, optional
        ``M x N`` feature matrix for ``'matrix'`` (``[I_M, 0]`` for top-M features when
        omitted).
    method : {'auto', 'compressed', 'full', 'matrix'}
        The algorithm; see :mod:`fsltheory.exact.engine`.
    precision : {'float64', 'mpmath'}
        ``'mpmath'`` runs the full top-M spectrum at ``dps`` digits (small ``M``; the
        method must be ``'auto'`` or ``'full'``).
    dps : int
        Decimal digits (``>= 15``) for ``precision='mpmath'``.
    progress : bool
        Show a tqdm progress bar (stderr).
    check_stability : bool
        Refuse (``ValueError``) a schedule with some ``eta_k >= max_stable_lr(model, B_k)``.

    Returns
    -------
    RiskCurve
        ``engine='exact'``; ``meta`` is an :class:`fsltheory.curve.ExactInfo` (``method``,
        ``nodes``, ``bound``, ``elapsed_s``, and for ``'matrix'`` the ``W`` used, ...).

    Raises
    ------
    ValueError
        Invalid input, or an unstable schedule (``check_stability=True``).
    ExactDivergenceError
        The recursion overflowed (possible only with ``check_stability=False``); the
        message names the step.

    Examples
    --------
    >>> from fsltheory import Constant, PowerLawModel
    >>> m = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=1000)
    >>> c = expected_risk(m, Constant(peak=0.1), steps=100, record=[0, 100])
    >>> import math
    >>> math.isclose(c.excess_risk[0], m.initial_excess_risk(), rel_tol=1e-12), c.meta["method"]
    (True, 'compressed')
    """
    t0 = time.perf_counter()
    check_model(model)
    check_choice("method", method, METHODS)
    check_choice("precision", precision, PRECISIONS)
    if isinstance(schedule, str):
        schedule = parse_schedule(schedule)  # once here too: the spec goes into the metadata
    if (
        type(schedule) is Constant
        and schedule.warmup == 0
        and steps is not None
        and np.ndim(batch) == 0
        and method in ("auto", "compressed")
        and precision == "float64"
        and model.features != "random"
        and W is None
    ):
        curve = _constant_powers(model, schedule, steps, batch, record, check_stability, t0)
        if curve is not None:
            return curve
    lrs, steps = learning_rates(schedule, steps, name="lr")
    spec = schedule.spec() if isinstance(schedule, Schedule) else f"array:<{steps} values>"
    bsz = batch_sizes(batch, steps)
    rec = record_steps(record, steps)
    if precision == "mpmath":
        if method not in ("auto", "full"):
            raise ValueError(
                f"method={method!r} is invalid with precision='mpmath': expected 'full' or "
                "'auto' (the mpmath recursion runs the full top-M spectrum)"
            )
        method = "full"
    if method == "auto":
        method = "matrix" if (model.features == "random" or W is not None) else "compressed"
    if method != "matrix":
        if model.features == "random":
            raise ValueError(
                f"method={method!r} is invalid for features='random': expected 'matrix' (or 'auto')"
            )
        if W is not None:
            raise ValueError(f"W is only used by method='matrix', not method={method!r}")
    dps = check_int("dps", dps, 15)
    info: dict = {"method": method, "precision": precision, "M": model.M, "N": model.N}
    info["schedule"] = spec

    if method == "matrix":
        if W is None and model.features == "random":
            W, info["seed"] = model.seeded_projection(rng)
        elif W is None:
            W = top_W(model)
        red = reduce_random_features(model, W)
        info["W"] = np.array(W, dtype=float)  # a copy: later edits to W do not alter it

    @functools.cache
    def bound_for(b: int) -> float:
        return stable_lr_bound(red.lam, b) if method == "matrix" else max_stable_lr(model, b)

    if check_stability:
        _check_stable(lrs, bsz, bound_for)
    info["bound"] = bound_for(int(bsz.min()))

    if method == "matrix":
        R, bad = run_recursion(
            red.lam, red.r0, red.tail, model.sigma2, lrs, 1.0 / bsz, rec, progress=progress
        )
        info.update(nodes=model.M, exact_modes=model.M, panels=0, tail=red.tail)
    elif precision == "mpmath":
        R, R_mp, bits, bad = precise_recursion(model, lrs, bsz, rec, dps, progress=progress)
        info.update(nodes=model.M, exact_modes=model.M, panels=0, dps=dps, bits=bits)
        info["excess_risk_mp"] = [mpmath.ldexp(x, -1) for x in R_mp]  # exact halving
    else:
        R, bad, nodes = _topm_float(model, lrs, bsz, rec, method, progress)
        info.update(nodes)
    if bad >= 0:
        raise ExactDivergenceError(
            f"the expected risk overflowed at step {bad} (lr={lrs[bad]:.6g}, "
            f"batch={int(bsz[bad])}): the step size is too large for this model "
            f"(max_stable_lr = {bound_for(int(bsz[bad])):.6g})"
        )
    meta = ExactInfo(elapsed_s=time.perf_counter() - t0, **info)
    return RiskCurve.from_schedule(lrs, rec, 0.5 * R, engine="exact", meta=meta)
