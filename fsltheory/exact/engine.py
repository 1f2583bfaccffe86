"""``expected_risk``: the exact expected excess risk of one-pass SGD (reference §8.1).

For Gaussian features the second moments of the SGD iterates obey a closed linear
recursion, so ``E[E(v_k)]`` is computed exactly, without Monte Carlo.  Top-M features:

.. math:: m_j(k+1) = (1-\\eta_k\\lambda_j)^2 m_j(k) + \\frac{\\eta_k^2}{B_k}\\Big[
   \\lambda_j\\Big(\\sum_{i \\le N}\\lambda_i m_i(k) + \\sigma^2\\Big)
   + \\lambda_j^2 m_j(k)\\Big], \\qquad j \\le M,

with ``m_j(0) = theta*_j^2``, ``m_i = theta*_i^2`` for ``i > M`` and
``E[E_k] = 1/2 sum_i lambda_i m_i(k)`` (note the 1/2 of eq. 3).  Methods:

``'full'``      every mode ``j <= M`` (numba), the tail ``j > M`` summed exactly;
``'compressed'`` the spectrum compressed to a few hundred nodes
                (:mod:`fsltheory.exact.spectrum`), ``M, N`` up to ``1e9``/``inf``;
``'mpmath'``    the full spectrum at ``dps`` digits (:mod:`fsltheory.exact.precise`);
``'matrix'``    random-M features, the ``N x N`` recursion reduced exactly to ``M``
                scalar ones (:mod:`fsltheory.exact.matrix`).

``'auto'`` is ``'matrix'`` for random features (or when ``W`` is given), else
``'compressed'`` (which is the full spectrum whenever compression would not pay).
"""

from __future__ import annotations

import functools
import math
import time

import mpmath
import numpy as np

from fsltheory._util.validate import check_int
from fsltheory.curve import RiskCurve, record_steps
from fsltheory.exact._recursion import run_recursion
from fsltheory.exact.matrix import default_W, reduce_random_features
from fsltheory.exact.precise import precise_recursion
from fsltheory.exact.spectrum import spectrum_rule
from fsltheory.exact.stability import max_stable_lr, stable_lr_bound
from fsltheory.model import PowerLawModel
from fsltheory.schedules import Schedule, parse_schedule
from fsltheory.schedules.inputs import batch_sizes, learning_rates

__all__ = ["expected_risk", "ExactDivergenceError", "METHODS"]

METHODS = ("auto", "compressed", "full", "mpmath", "matrix")
#: beyond this many modes 'full' would need gigabytes: use 'compressed'
FULL_LIMIT = 100_000_000


class ExactDivergenceError(FloatingPointError, ValueError):
    """The exact recursion overflowed: raised with the step index instead of inf/nan."""


def _check_stable(lrs, bsz, bound_for) -> None:
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


def _zeta_sum(expo: float, first: int, last: int) -> float:
    """``sum_{j=first}^{last} j^-expo`` via Hurwitz zeta at 30 digits."""
    with mpmath.workdps(30):
        return float(mpmath.zeta(expo, first) - mpmath.zeta(expo, last + 1))


def _topm_float(model, lrs, bsz, rec, method, progress, refine=1):
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
    x, w = rule.nodes, rule.weights
    lam, r0 = x**-beta, x**-expo
    J = rule.exact
    # control variate: the initial profile is summed exactly, the rule only sees changes
    C = tail + (_zeta_sum(expo, J + 1, M) - math.fsum(w[J:] * r0[J:]))
    R, bad = run_recursion(
        lam, r0, C, model.sigma2, lrs, 1.0 / bsz, rec, weights=w, progress=progress
    )
    return R, bad, {"nodes": len(rule), "exact_modes": J, "panels": rule.panels}


def expected_risk(
    model: PowerLawModel,
    schedule,
    steps: int | None = None,
    *,
    batch=1,
    method: str = "auto",
    record=None,
    W=None,
    rng=None,
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
    method : {'auto', 'compressed', 'full', 'mpmath', 'matrix'}
        See :mod:`fsltheory.exact.engine`.
    record : None, int or array
        Steps to record (:func:`fsltheory.curve.record_steps`): all by default.
    W : ndarray, optional
        ``M x N`` feature matrix for ``'matrix'``; drawn with ``model.random_projection(rng)``
        when omitted (``[I_M, 0]`` for top-M features).
    rng : Generator, int or None
        Randomness for drawing ``W``.
    dps : int
        Decimal digits for ``'mpmath'``.
    progress : bool
        Show a tqdm progress bar (stderr).
    check_stability : bool
        Refuse (``ValueError``) a schedule with some ``eta_k >= max_stable_lr(model, B_k)``.

    Returns
    -------
    RiskCurve
        ``engine='exact'``; ``meta`` holds ``method``, ``nodes`` (modes or quadrature nodes
        actually propagated), ``exact_modes``, ``panels``, ``elapsed_s``, ``bound`` (the
        stability bound at the smallest batch) and, for ``'matrix'``, the ``W`` used.

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
    >>> bool(c.excess_risk[0] == m.initial_excess_risk())
    True
    """
    t0 = time.perf_counter()
    if not isinstance(model, PowerLawModel):
        raise ValueError(f"model={model!r} is invalid: expected a PowerLawModel")
    if method not in METHODS:
        raise ValueError(f"method={method!r} is invalid: expected one of {METHODS}")
    if isinstance(schedule, str):
        schedule = parse_schedule(schedule)  # once here too: the spec goes into the metadata
    lrs, steps = learning_rates(schedule, steps, name="lr")
    spec = schedule.spec() if isinstance(schedule, Schedule) else f"array:<{steps} values>"
    bsz = batch_sizes(batch, steps)
    rec = record_steps(record, steps)
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
    meta = {"method": method, "M": model.M, "N": model.N, "schedule": spec}

    if method == "matrix":
        W = default_W(model, rng) if W is None else W
        red = reduce_random_features(model, W)
        meta["W"] = np.array(W, dtype=float)  # a copy: later edits to W do not alter it
        if isinstance(rng, int | np.integer):
            meta["seed"] = int(rng)

    @functools.cache
    def bound_for(b: int) -> float:
        return stable_lr_bound(red.lam, b) if method == "matrix" else max_stable_lr(model, b)

    if check_stability:
        _check_stable(lrs, bsz, bound_for)
    meta["bound"] = bound_for(int(bsz.min()))

    if method == "matrix":
        R, bad = run_recursion(
            red.lam, red.r0, red.tail, model.sigma2, lrs, 1.0 / bsz, rec, progress=progress
        )
        meta.update(nodes=model.M, exact_modes=model.M, panels=0, tail=red.tail)
    elif method == "mpmath":
        R, R_mp, bits, bad = precise_recursion(model, lrs, bsz, rec, dps, progress=progress)
        meta.update(nodes=model.M, exact_modes=model.M, panels=0, dps=dps, bits=bits)
        meta["excess_risk_mp"] = [mpmath.ldexp(x, -1) for x in R_mp]  # exact halving
    else:
        R, bad, info = _topm_float(model, lrs, bsz, rec, method, progress)
        meta.update(info)
    if bad >= 0:
        raise ExactDivergenceError(
            f"the expected risk overflowed at step {bad} (lr={lrs[bad]:.6g}, "
            f"batch={int(bsz[bad])}): the step size is too large for this model "
            f"(max_stable_lr = {bound_for(int(bsz[bad])):.6g})"
        )
    meta["elapsed_s"] = time.perf_counter() - t0
    return RiskCurve.from_schedule(lrs, rec, 0.5 * R, engine="exact", meta=meta)
