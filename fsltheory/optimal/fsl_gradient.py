"""Exact gradient of the physical-time FSL (reference §2.7, Appendix B.1) w.r.t. ``eta_k``, ``B_k``.

The physical-time FSL of :func:`fsltheory.fsl_curve` (``time='physical'``) is

.. math:: E_k = c_0\\delta + c_1 e(T_k) + \\sum_{i<k} \\mathcal K(T_k - T_{i+1})\\,
   \\big(c_2 e(T_i) + c_3\\sigma^2\\big)\\,\\frac{\\eta_i^2}{B_i},

and with the forgetting kernel as an exponential sum ``K(t) = sum_q w_q exp(-rho_q t)``
(:func:`fsltheory.kernel_expsum`, as the fast evaluator) the convolution is
``sum_q w_q U_q(k)`` with ``U_q(k+1) = d_q(k) U_q(k) + v_k``, ``d_q(k) = exp(-rho_q eta_k)``,
``v_k = (c_2 e(T_k) + c_3 sigma^2) eta_k^2 / B_k``.  For ``J = sum_k omega_k E_k`` the
adjoint ``mu_q(k) = dJ/dU_q(k)`` obeys ``mu_q(k) = omega_k w_q + d_q(k) mu_q(k+1)``, and
with ``m_k = sum_q mu_q(k+1)``:

.. math:: \\frac{\\partial J}{\\partial \\eta_k} = -\\sum_q \\mu_q(k+1)\\rho_q d_q(k) U_q(k)
   + m_k \\big(c_2 e(T_k) + c_3\\sigma^2\\big)\\frac{2\\eta_k}{B_k}
   + \\sum_{l > k} g_T(l), \\qquad
   \\frac{\\partial J}{\\partial B_k} = -m_k\\big(c_2 e(T_k) + c_3\\sigma^2\\big)
   \\frac{\\eta_k^2}{B_k^2},

where ``g_T(l) = e'(T_l) (c_1 omega_l + c_2 m_l eta_l^2 / B_l)`` is the derivative with
respect to the intrinsic time ``T_l = sum_{k<l} eta_k`` (a reverse cumulative sum).  Storage
is that of :mod:`fsltheory.optimal.gradient` (full history or ``sqrt(K)`` checkpoints); the
recomputed segment keeps the decay factors ``d_q(k)`` beside the states, so the reverse
sweep computes no exponentials (the forward passes compute ``q`` per step, vectorised).  The
kernel's exponential sum is fixed by ``t_max`` (default ``sum eta``), as the rule of the
exact engine is.
"""

from __future__ import annotations

import math
import time

import numpy as np

from fsltheory._util.validate import check_int, check_lr_array
from fsltheory.fsl.evaluate import coefficients
from fsltheory.model import PowerLawModel
from fsltheory.optimal._loops import fsl_adjoint
from fsltheory.optimal.gradient import (
    HISTORY_BYTES,
    RiskGradient,
    _batch_array,
    _omega,
    _storage,
    check_stable,
)

__all__ = ["fsl_gradient"]


def _signal_and_slope(model, kernel, T, t_max, rtol):
    """``e(T)`` and ``e'(T)``: closed form (proxy) or the exponential sum of ``e_M``."""
    if kernel == "proxy":
        s = model.s
        e = (1.0 + T) ** -s
        return e, -s * e / (1.0 + T)
    from fsltheory.fsl.functions import kernel_expsum

    f = kernel_expsum(model, "signal", "finite", t_max, rtol)
    e = np.empty_like(T)
    de = np.empty_like(T)
    chunk = max(1, 2_000_000 // max(1, f.rates.size))
    for i in range(0, T.size, chunk):
        x = np.exp(-np.outer(T[i : i + chunk], f.rates))
        e[i : i + chunk] = x @ f.weights
        de[i : i + chunk] = -(x @ (f.weights * f.rates))
    return e, de


def fsl_gradient(
    model: PowerLawModel,
    lrs,
    *,
    batch=1,
    kernel: str = "proxy",
    coef=None,
    weights=None,
    t_max: float | None = None,
    rtol: float = 1e-10,
    check_stability: bool = True,
    max_history_bytes: int = HISTORY_BYTES,
) -> RiskGradient:
    """Reverse-mode gradient of the physical-time FSL w.r.t. every ``eta_k`` and ``B_k``.

    Parameters
    ----------
    model : PowerLawModel
        Supplies ``s, beta, sigma^2, M``.
    lrs : 1-d array
        Learning rates ``eta_0..eta_{K-1}``.
    batch : float or 1-d array
        Batch sizes ``B_k > 0`` (real values allowed, as in :func:`fsltheory.fsl_curve`).
    kernel : {'proxy', 'finite'}
        As :func:`fsltheory.fsl_curve`.
    coef : None, (c1, c2, c3) or (c0, c1, c2, c3)
        The FSL constants (all ones by default, as B.1).
    weights : 1-d array of length ``K + 1``, optional
        ``omega_k`` of ``J = sum_k omega_k E_k``; default: the final value.
    t_max : float, optional
        Horizon for which the kernel's exponential sum is built (default ``sum eta``); fix
        it while optimising, so that ``J`` is one smooth function.
    rtol : float
        Relative accuracy of the exponential sums.
    check_stability : bool
        Refuse learning rates at or beyond the exact engine's stability bound
        ``max_stable_lr(model, floor(B_k))`` (``ValueError``), as the exact engine does:
        the FSL itself stays finite there, but describes no convergent SGD run.
    max_history_bytes : int
        Full history up to this size, else ``sqrt(K)`` checkpoints.

    Returns
    -------
    RiskGradient
        ``value`` agrees with ``fsl_curve(..., time='physical')`` (same ``coef``).
    """
    t0 = time.perf_counter()
    if not isinstance(model, PowerLawModel):
        raise ValueError(f"model={model!r} is invalid: expected a PowerLawModel")
    if kernel not in ("proxy", "finite"):
        raise ValueError(f"kernel={kernel!r} is invalid: expected 'proxy' or 'finite'")
    from fsltheory.fsl.functions import approximation_error, kernel_expsum

    c0, c1, c2, c3 = coefficients(coef)
    lrs = np.ascontiguousarray(check_lr_array("lrs", lrs))
    K = lrs.size
    bsz = _batch_array(batch, K)
    if check_stability:
        check_stable(model, lrs, bsz)
    max_history_bytes = check_int("max_history_bytes", max_history_bytes, 1)
    om = _omega(weights, K)
    T = np.concatenate([[0.0], np.cumsum(lrs)])
    if t_max is None:
        t_max = float(T[-1])
    if not (math.isfinite(t_max) and t_max >= T[-1] * (1 - 1e-12)):
        raise ValueError(f"t_max={t_max!r} is invalid: expected t_max >= sum(lrs) = {T[-1]:g}")
    kern = kernel_expsum(model, "forgetting", kernel, t_max, rtol)
    rates = np.ascontiguousarray(kern.rates, dtype=float)
    wq = np.ascontiguousarray(kern.weights, dtype=float)
    e, de = _signal_and_slope(model, kernel, T, t_max, rtol)
    src = c2 * e[:-1] + c3 * model.sigma2
    v = np.ascontiguousarray(src * lrs**2 / bsz)
    q = rates.size
    y = np.empty(K + 1)
    # a stored step holds the q states and their q decay factors
    seg, storage = _storage(K, 2 * q * 8, max_history_bytes)
    g_dir = np.empty(K)
    m = np.empty(K)
    fsl_adjoint(rates, wq, lrs, v, om, seg, y, g_dir, m)
    gT = de * c1 * om
    gT[:-1] += de[:-1] * c2 * m * lrs**2 / bsz
    # dT_l / d eta_k = 1 for l > k: reverse cumulative sum of g_T over l = k+1..K
    tail = np.cumsum(gT[::-1])[::-1][1:]
    g_eta = g_dir + m * src * 2.0 * lrs / bsz + tail
    g_b = -m * src * lrs**2 / bsz**2
    risk = c0 * approximation_error(model, kernel) + c1 * e + y
    value = float(np.dot(om, risk))
    meta = {
        "storage": storage,
        "segment": seg,
        "nodes": q,
        "t_max": t_max,
        "kernel": kernel,
        "coef": (c0, c1, c2, c3),
        "elapsed_s": time.perf_counter() - t0,
    }
    return RiskGradient(value=value, lr=g_eta, batch=g_b, excess_risk=risk, meta=meta)
