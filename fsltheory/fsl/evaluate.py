"""The Functional Scaling Law evaluator, in intrinsic and in physical time (reference §2).

The FSL (Theorems 4.2-4.5, eqs. 9 and 11) predicts the expected excess risk as

.. math::

   \\mathcal E(t) \\approx c_0\\,\\delta_M + c_1\\,e(t)
     + c_2 \\int_0^t \\mathcal K(t-z)\\,e(z)\\,\\gamma(z)\\,dz
     + c_3\\,\\sigma^2 \\int_0^t \\mathcal K(t-z)\\,\\gamma(z)\\,dz ,

with the intrinsic-time schedule ``gamma`` (``eta_k / B_k`` on ``[T_k, T_{k+1})``, eq. 8) and
``e, K, delta_M`` the proxies or the finite top-M sums of :mod:`fsltheory.fsl.functions`.  The
four pieces are returned by :func:`fsl_terms` under the keys ``approx``, ``signal``,
``noise_signal`` and ``noise_label`` (the latter already multiplied by ``sigma^2``).

Time conventions
----------------
``time="intrinsic"`` evaluates the integrals above exactly for the piecewise-constant
``gamma`` at ``t = T_k`` (up to a cubic interpolation of ``e`` inside each step, an
error ``O(e^(4) eta^4)`` per step).

``time="physical"`` is the step-indexed discretisation of Appendix B.1 (reference §2.7,
§8.2), with ``gamma dz -> eta_i^2 / B_i`` per update::

    E_k = c0 delta + c1 e(T_k) + c2 sum_{i<k} K(T_k - T_{i+1}) e(T_i) eta_i^2/B_i
                               + c3 sigma^2 sum_{i<k} K(T_k - T_{i+1}) eta_i^2/B_i .

Index alignment (our ``T_k = eta_0 + ... + eta_{k-1}``, :mod:`fsltheory.schedules.base`):
update ``i`` (``v_i -> v_{i+1}``) injects noise whose size is set by the state it starts
from, hence ``e(T_i)``, and the injected noise then sits in ``v_{i+1}`` at time ``T_{i+1}``
and is forgotten over ``T_k - T_{i+1}``.  This is what the exact mean recursion does
(reference §8.1: the noise added at step ``i`` is damped by
``prod_{l=i+1}^{k-1} (1 - eta_l lambda_j)^2 ~ exp(-2 lambda_j (T_k - T_{i+1}))``).  The
paper's 1-based ``T(i) = sum_{j<=i} eta_j`` in B.1 is our ``T_{i+1}``, so its
``K(T(k) - T(i))`` is the same forgetting time.  Its ``T(k)^{-s}`` signal is replaced by the
proxy ``e(T_k) = (1 + T_k)^{-s}``, finite at ``k = 0`` (the two agree for ``T >> 1``).

Constants and the factor 1/2
----------------------------
The paper's FSL holds up to unspecified constants (``~=``).  ``coef=None`` means all ones,
as in B.1.  Every engine of fsltheory reports ``E = 1/2 ||W^T v - theta*||_H^2`` (eq. 3)
including the 1/2; with the finite kernels, the first-order truncation of the exact mean
recursion is the FSL with every coefficient equal to ``1/2`` (see the Neumann series,
reference §2.6), while for the proxies the constants also absorb ``Gamma(s)/(beta 2^s)``-type
factors.  :func:`fsltheory.fit_fsl` fits them by least squares, as B.1 does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from fsltheory._util.validate import check_choice, check_in_interval
from fsltheory.curve import FSLInfo, RecordLike, RiskCurve, record_steps
from fsltheory.fsl._loops import expsum_values, intrinsic_sums, physical_sums, physical_sums_shared
from fsltheory.fsl.functions import (
    DIRECT_MAX,
    KERNELS,
    _check_finite_ok,
    approximation_error,
    forgetting_kernel,
    kernel_expsum,
    signal_function,
)
from fsltheory.model import PowerLawModel, check_model
from fsltheory.schedules.inputs import ScheduleLike, batch_sizes, learning_rates

__all__ = ["fsl_curve", "fsl_terms", "TERMS", "TIMES", "METHODS"]

#: the keys of :func:`fsl_terms`, in the order of the coefficients ``c0..c3``
TERMS = ("approx", "signal", "noise_signal", "noise_label")
TIMES = ("physical", "intrinsic")
METHODS = ("fast", "naive")
#: ``K(t)`` or ``e(t)`` evaluated on an array of times
Kernel = Callable[[np.ndarray], np.ndarray]


def _kernel_function(model: PowerLawModel, kernel: str, t_max: float, rtol: float) -> Kernel:
    """``K`` as a direct callable (closed form or term-by-term sum; the naive reference)."""
    if kernel == "finite" and model.M > DIRECT_MAX:
        return kernel_expsum(model, "forgetting", kernel, t_max, rtol)
    return lambda t: forgetting_kernel(t, model, kernel)


def _signal_values(
    model: PowerLawModel, kernel: str, t: np.ndarray, rtol: float, method: str
) -> np.ndarray:
    """``e(t)``: closed form (proxy), compiled exponential sum (finite, fast) or the direct
    term-by-term sum (finite, naive; compressed beyond ``DIRECT_MAX`` modes)."""
    if kernel == "finite" and (method == "fast" or model.M > DIRECT_MAX):
        f = kernel_expsum(model, "signal", kernel, float(t.max()), rtol)
        return expsum_values(f.weights, f.rates, np.ascontiguousarray(t, dtype=float))
    return signal_function(t, model, kernel)


def _naive_physical(
    kern: Kernel,
    T: np.ndarray,
    u_lab: np.ndarray,
    u_sig: np.ndarray,
    rec: np.ndarray,
    progress: bool,
) -> tuple[np.ndarray, np.ndarray]:
    from tqdm.std import tqdm

    lab = np.zeros(rec.size)
    sig = np.zeros(rec.size)
    for r, k in enumerate(tqdm(rec, disable=not progress, desc="FSL (naive)")):
        if k == 0:
            continue
        kv = kern(T[k] - T[1 : k + 1])
        lab[r] = kv @ u_lab[:k]
        sig[r] = kv @ u_sig[:k]
    return lab, sig


def _naive_intrinsic(
    kern: Kernel,
    sig_fn: Kernel,
    T: np.ndarray,
    eta: np.ndarray,
    gam: np.ndarray,
    rec: np.ndarray,
    progress: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """4-point Gauss-Legendre on every step, with ``K`` and ``e`` evaluated directly."""
    from tqdm.std import tqdm

    xg, wg = np.polynomial.legendre.leggauss(4)
    z = T[:-1, None] + eta[:, None] * (1.0 + xg[None, :]) / 2.0
    wz = (gam * eta / 2.0)[:, None] * wg[None, :]
    ez = sig_fn(z.ravel()).reshape(z.shape)
    lab = np.zeros(rec.size)
    sig = np.zeros(rec.size)
    for r, k in enumerate(tqdm(rec, disable=not progress, desc="FSL (naive)")):
        if k == 0:
            continue
        kv = kern(T[k] - z[:k]) * wz[:k]
        lab[r] = kv.sum()
        sig[r] = (kv * ez[:k]).sum()
    return lab, sig


def _compute_terms(
    model: PowerLawModel,
    schedule: ScheduleLike,
    steps: int | None,
    batch: ArrayLike,
    kernel: str,
    time: str,
    record: RecordLike,
    method: str,
    rtol: float,
    progress: bool,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, dict[str, Any]]:
    check_model(model)
    check_choice("kernel", kernel, KERNELS)
    _check_finite_ok(model, kernel)
    check_choice("time", time, TIMES)
    check_choice("method", method, METHODS)
    rtol = check_in_interval("rtol", rtol, 1e-14, 1e-2)
    eta, K = learning_rates(schedule, steps)
    b = batch_sizes(batch, K, integer=False)
    rec = record_steps(record, K)
    T = np.concatenate([[0.0], np.cumsum(eta)])
    t_max = float(T[-1])
    meta = {"kernel": kernel, "time": time, "method": method, "rtol": rtol}
    kern: Any  # an ExpSum ('fast', whose rates and weights the loops read) or a callable
    if method == "fast":
        kern = kernel_expsum(model, "forgetting", kernel, t_max, rtol)
        meta["nodes"] = len(kern)
        sig_f = kernel_expsum(model, "signal", kernel, t_max, rtol) if kernel == "finite" else None
    else:
        kern = _kernel_function(model, kernel, t_max, rtol)
        sig_f = None
    if time == "physical" and sig_f is not None and np.array_equal(sig_f.rates, kern.rates):
        # e_M and K_M over the same rates 2 lambda_j: one set of exponentials serves both
        u_lab = eta**2 / b
        lab, sig, e_rec = physical_sums_shared(
            eta, u_lab, kern.rates, kern.weights, sig_f.weights, rec
        )
        e_T = np.zeros(K + 1)
        e_T[rec] = e_rec
    elif time == "physical":
        e_T = _signal_values(model, kernel, T, rtol, method)
        u_lab = eta**2 / b
        u_sig = e_T[:-1] * u_lab
        if method == "fast":
            lab, sig = physical_sums(eta, u_lab, u_sig, kern.rates, kern.weights, rec)
        else:
            lab, sig = _naive_physical(kern, T, u_lab, u_sig, rec, progress)
    else:
        e_T = _signal_values(model, kernel, T, rtol, method)
        gam = eta / b
        if method == "fast":
            # cubic through e at x/eta = 0, 1/3, 2/3, 1 of each step, in powers of x/eta
            f0, f3 = e_T[:-1], e_T[1:]
            inner = np.concatenate([T[:-1] + eta / 3.0, T[:-1] + 2.0 * eta / 3.0])
            inner = _signal_values(model, kernel, inner, rtol, method)
            f1, f2 = inner[:K], inner[K:]
            cubic = np.stack(
                [
                    f0,
                    (-11.0 * f0 + 18.0 * f1 - 9.0 * f2 + 2.0 * f3) / 2.0,
                    (18.0 * f0 - 45.0 * f1 + 36.0 * f2 - 9.0 * f3) / 2.0,
                    (-9.0 * f0 + 27.0 * f1 - 27.0 * f2 + 9.0 * f3) / 2.0,
                ],
                axis=1,
            )
            lab, sig = intrinsic_sums(eta, gam, cubic, kern.rates, kern.weights, rec)
        else:
            sig_fn = lambda t: _signal_values(model, kernel, t, rtol, method)
            lab, sig = _naive_intrinsic(kern, sig_fn, T, eta, gam, rec, progress)
    terms = {
        "approx": np.full(rec.size, approximation_error(model, kernel)),
        "signal": e_T[rec],
        "noise_signal": sig,
        "noise_label": model.sigma2 * lab,
    }
    return terms, eta, rec, meta


def fsl_terms(
    model: PowerLawModel,
    schedule: ScheduleLike,
    steps: int | None = None,
    *,
    batch: ArrayLike = 1,
    record: RecordLike = None,
    kernel: str = "proxy",
    time: str = "physical",
    method: str = "fast",
    rtol: float = 1e-10,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """The four FSL terms at the recorded steps: the basis of the B.1 least-squares fit.

    Parameters
    ----------
    model : PowerLawModel
        Supplies ``s, beta, sigma^2, M`` (and ``N``: ``approx`` is 0 when ``N == M``).
    schedule : Schedule, SPEC string or array_like
        Learning rates; a 1-d array gives ``eta_k`` directly.
    steps : int, optional
        Horizon ``K``; required for a parametric :class:`Schedule`.
    batch : float or array_like
        Batch size ``B`` (``> 0``), or one per step; ``gamma = eta / B`` (eq. 8).
    record : None, int or array_like
        Steps to report (:func:`fsltheory.curve.record_steps`).
    kernel : {'proxy', 'finite'}
        ``e, K = (1+t)^{-s}, (1+t)^{-(2-1/beta)}`` with ``delta ~ M^{-s beta}``, or the top-M
        sums ``e_M, K_M`` with the exact ``delta_M`` (:mod:`fsltheory.fsl.functions`).
    time : {'physical', 'intrinsic'}
        B.1's step sums, or the intrinsic-time integrals of eq. (9)/(11) (module docstring).
    method : {'fast', 'naive'}
        ``'fast'``: exponential-sum recursion, ``O(K q)`` with ``q ~ 50-300`` nodes.
        ``'naive'``: the direct ``O(K x len(record))`` double sum with ``K`` evaluated in
        closed form / term by term; kept as the reference.
    rtol : float
        Relative accuracy of the exponential-sum kernels (``'fast'``).
    progress : bool
        Show a progress bar (``'naive'`` only; ``'fast'`` is a single compiled loop).

    Returns
    -------
    dict
        ``{"approx", "signal", "noise_signal", "noise_label"}``, each an array over the
        recorded steps; ``noise_label`` includes the factor ``sigma^2``.

    Examples
    --------
    >>> from fsltheory import PowerLawModel, Constant
    >>> m = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=64, N=64)
    >>> terms = fsl_terms(m, Constant(peak=0.05), 100, record=[0, 100])
    >>> sorted(terms), float(terms["noise_label"][0])
    (['approx', 'noise_label', 'noise_signal', 'signal'], 0.0)
    """
    terms, *_ = _compute_terms(
        model, schedule, steps, batch, kernel, time, record, method, rtol, progress
    )
    return terms


def coefficients(coef: ArrayLike | None) -> tuple[float, float, float, float]:
    """``(c0, c1, c2, c3)`` from ``None`` (all ones), ``(c1, c2, c3)`` (``c0 = 1``) or 4 values."""
    if coef is None:
        return (1.0, 1.0, 1.0, 1.0)
    c = [float(x) for x in np.asarray(coef, dtype=float).ravel()]
    if len(c) == 3:
        c = [1.0, *c]
    if len(c) != 4 or not all(math.isfinite(x) for x in c):
        raise ValueError(
            f"coef={coef!r} is invalid: expected None, (c1, c2, c3) or (c0, c1, c2, c3), finite"
        )
    return (c[0], c[1], c[2], c[3])


#: what a curve with the default constants is (printed by ``fsl risk --engine fsl``)
UNFITTED_NOTE = (
    "note: the FSL's constants are unfitted (c = 1; with kernel='finite' the exact first "
    "order is c = 1/2): its level differs from the exact risk, its shape is the prediction"
)


def _check_fsl_stable(model: PowerLawModel, eta: np.ndarray, b: np.ndarray) -> None:
    """The exact engine's stability check, so both refuse the same schedules.

    The FSL itself stays finite beyond the bound, but SGD does not: a finite FSL there
    would be a silently wrong answer.  A real batch ``B`` is checked at ``floor(B)`` (at
    least 1), the bound at the next smaller integer batch, so never looser than SGD's.
    """
    from dataclasses import replace

    from fsltheory.exact.engine import _check_stable
    from fsltheory.exact.stability import max_stable_lr

    top = model if model.features == "top" else replace(model, features="top")
    bsz = np.maximum(np.floor(b), 1.0).astype(np.int64)
    _check_stable(eta, bsz, lambda bb: max_stable_lr(top, bb))


def fsl_curve(
    model: PowerLawModel,
    schedule: ScheduleLike,
    steps: int | None = None,
    *,
    batch: ArrayLike = 1,
    record: RecordLike = None,
    kernel: str = "proxy",
    time: str = "physical",
    coef: ArrayLike | None = None,
    method: str = "fast",
    rtol: float = 1e-10,
    progress: bool = False,
    check_stability: bool = True,
) -> RiskCurve:
    """The FSL prediction of the expected excess risk as a :class:`RiskCurve`.

    ``E = c0 approx + c1 signal + c2 noise_signal + c3 noise_label`` with the terms of
    :func:`fsl_terms` (same parameters).  ``coef=None`` sets every constant to 1, as the
    paper's B.1 does; pass ``(c1, c2, c3)`` (then ``c0 = 1``) or ``(c0, c1, c2, c3)``, e.g.
    from :func:`fsltheory.fit_fsl`.  With ``kernel='finite'`` the first-order Neumann
    truncation of the exact dynamics corresponds to ``coef=(0.5, 0.5, 0.5, 0.5)`` (the
    factor 1/2 of eq. 3).  ``meta`` is an :class:`fsltheory.curve.FSLInfo`; with
    ``coef=None`` its ``note`` says that the constants are unfitted.

    Like :func:`fsltheory.expected_risk`, a schedule whose learning rate reaches
    :func:`fsltheory.max_stable_lr` (at ``floor(batch)``) is refused with ``ValueError``
    unless ``check_stability=False``: SGD diverges there while the FSL stays finite.  A
    model whose kernel sums leave float64 (e.g. extreme ``s``) is refused, never returned
    as inf or nan.

    Examples
    --------
    >>> from fsltheory import PowerLawModel, Cosine
    >>> m = PowerLawModel(beta=3.0, s=0.5, sigma2=9.0, M=128, N=128)
    >>> c = fsl_curve(m, Cosine(peak=0.01, final=0.001), 10_000, record=50)
    >>> c.engine, int(c.step[-1]), bool(c.final < c.excess_risk[0])
    ('fsl', 10000, True)
    """
    c = coefficients(coef)
    if check_stability:
        check_model(model)
        eta, K = learning_rates(schedule, steps)
        _check_fsl_stable(model, eta, batch_sizes(batch, K, integer=False))
    terms, eta, rec, meta = _compute_terms(
        model, schedule, steps, batch, kernel, time, record, method, rtol, progress
    )
    risk = sum((ci * terms[name] for ci, name in zip(c, TERMS, strict=True)), np.zeros(rec.size))
    if not np.all(np.isfinite(risk)):
        k = int(np.flatnonzero(~np.isfinite(risk))[0])
        raise ValueError(
            f"the FSL is not finite at step {int(rec[k])} for this model (beta={model.beta!r}, "
            f"s={model.s!r}, kernel={kernel!r}): expected parameters whose kernel sums are "
            "representable in float64"
        )
    if coef is None:
        meta["note"] = UNFITTED_NOTE
    info = FSLInfo(coef=c, **meta)
    return RiskCurve.from_schedule(eta, rec, risk, engine="fsl", meta=info)
