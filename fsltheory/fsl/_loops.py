"""The numba hot loops of the FSL evaluator: exponential-sum convolutions in ``O(K q)``.

With the forgetting kernel written as ``K(t) = sum_q w_q exp(-rho_q t)``
(:class:`fsltheory.fsl.functions.ExpSum`), a convolution ``sum_i K(T_k - tau_i) x_i`` over the
past is ``sum_q w_q S_q(k)`` with per-node states that obey a one-step recursion: the state
decays by ``exp(-rho_q eta_k)`` across step ``k`` and then receives that step's input.

The loops are dominated by those ``q`` exponentials per step, computed with the shared
vectorisable exponential of :mod:`fsltheory._util.vexp`; the read-out of the states is
:func:`fsltheory._util.loops.reduce_pair`.  The allocation and decay blocks stay written out
in each loop: factored into inlined helpers they measured 10-20% slower here (issue #10).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fsltheory._util.loops import decay_into, dot, record_pair, reduce_pair, scratch
from fsltheory._util.vexp import FASTMATH as _FM
from fsltheory._util.vexp import vexp_into as _vexp

__all__ = ["physical_sums", "physical_sums_shared", "intrinsic_sums", "expsum_values"]


@njit(cache=True, fastmath=_FM, error_model="numpy")
def expsum_values(weights, rates, t):
    """``f(t_i) = sum_q w_q exp(-rho_q t_i)`` for every ``t_i >= 0`` (``O(len(t) q)``)."""
    q = rates.size
    out = np.empty(t.size)
    x = np.empty(q)
    d = np.empty(q)
    bits = np.empty(q, np.int64)
    fb = bits.view(np.float64)
    for i in range(t.size):
        for j in range(q):
            x[j] = -rates[j] * t[i]
        _vexp(x, d, bits, fb)
        acc = 0.0
        for j in range(q):
            acc += weights[j] * d[j]
        out[i] = acc
    return out


@njit(cache=True, fastmath=_FM, error_model="numpy")
def physical_sums(eta, u_label, u_signal, rates, weights, rec):
    """``sum_{i<k} K(T_k - T_{i+1}) u_i`` for ``u = u_label, u_signal`` at steps ``rec``.

    ``S_q(k+1) = exp(-rho_q eta_k) S_q(k) + u_k``, ``S_q(0) = 0``: the input of update ``k``
    lands at ``T_{k+1}`` and is then forgotten over ``T_k' - T_{k+1}``.  ``rec`` must be
    sorted, unique, within ``[0, K]``.  The decay factors are reused while ``eta_k`` repeats
    (constant and WSD-stable phases cost no exponentials).
    """
    K = eta.size
    q = rates.size
    R = rec.size
    s_lab = np.zeros(q)
    s_sig = np.zeros(q)
    x, dec, bits, fb = scratch(q)
    out_lab = np.zeros(R)
    out_sig = np.zeros(R)
    last = -1.0
    r = 0
    for k in range(K + 1):
        r = record_pair(rec, r, k, out_lab, out_sig, s_lab, s_sig, weights)
        if r == R or k == K:
            break
        e = eta[k]
        if e != last:  # reuse the factors while eta repeats (constant, WSD-stable phases)
            decay_into(rates, e, x, dec, bits, fb)
            last = e
        ul = u_label[k]
        us = u_signal[k]
        for j in range(q):
            s_lab[j] = dec[j] * s_lab[j] + ul
            s_sig[j] = dec[j] * s_sig[j] + us
    return out_lab, out_sig


@njit(cache=True, fastmath=_FM, error_model="numpy")
def physical_sums_shared(eta, u_label, rates, weights, sig_weights, rec):
    """:func:`physical_sums` when ``e(t) = sum_q sig_weights[q] exp(-rates[q] t)`` shares the
    kernel's rates (the finite sums ``e_M, K_M`` of a small top-M model, both over
    ``2 lambda_j``): ``e(T_k)`` then comes from the running products
    ``D_q(k) = exp(-rho_q T_k)`` and the same per-step decay factors, at no extra exponential.

    Returns ``(label sums, signal sums, e(T_k))`` at ``rec``.
    """
    K = eta.size
    q = rates.size
    R = rec.size
    s_lab = np.zeros(q)
    s_sig = np.zeros(q)
    D = np.ones(q)
    x, dec, bits, fb = scratch(q)
    out_lab = np.zeros(R)
    out_sig = np.zeros(R)
    out_e = np.zeros(R)
    last = -1.0
    r = 0
    for k in range(K + 1):
        ek = dot(sig_weights, D)
        while r < R and rec[r] == k:
            out_lab[r], out_sig[r] = reduce_pair(s_lab, s_sig, weights)
            out_e[r] = ek
            r += 1
        if r == R or k == K:
            break
        e = eta[k]
        if e != last:  # reuse the factors while eta repeats (constant, WSD-stable phases)
            decay_into(rates, e, x, dec, bits, fb)
            last = e
        ul = u_label[k]
        us = ek * ul
        for j in range(q):
            s_lab[j] = dec[j] * s_lab[j] + ul
            s_sig[j] = dec[j] * s_sig[j] + us
            d = D[j] * dec[j]
            D[j] = d if d > 1e-290 else 0.0  # skip the slow subnormal range on the way to 0
    return out_lab, out_sig, out_e


@njit(cache=True, fastmath=_FM, error_model="numpy")
def _psi(y, E, ps):
    """``ps[n, :] = psi_n(y)``, ``psi_n(y) = int_0^1 e^{-y(1-u)} u^n/n! du``, ``n = 0..3``.

    ``E = exp(-y)``.  Series ``sum_m (-y)^m / (m+n+1)!`` (11 terms) for ``y < 1/4``, where
    the first omitted term is below ``4^-11 / 12! < 1e-15`` relative; the recurrence
    ``psi_n = (1/n! - psi_{n-1}) / y`` otherwise (cancellation costs at most a factor
    ``24 / y^4 < 7e3`` on ``psi_3``, i.e. < 1e-12).  Both are computed and one is selected,
    and the loops run over the nodes innermost, so everything vectorises.
    """
    q = y.size
    for n in range(4):
        for j in range(q):
            ps[n, j] = 1.0
    # (n+1)! psi_n = 1 + m/(n+2) (1 + m/(n+3) (1 + ...)), m = -y, nested from the inside
    for i in range(10, 0, -1):
        for n in range(4):
            c = 1.0 / (i + 1.0 + n)
            for j in range(q):
                ps[n, j] = 1.0 - y[j] * c * ps[n, j]
    for j in range(q):
        v = y[j]
        vs = v if v > 0.25 else 0.25  # keep the unused branch finite
        inv = 1.0 / vs
        r0 = (1.0 - E[j]) * inv
        r1 = (1.0 - r0) * inv
        r2 = (0.5 - r1) * inv
        r3 = (1.0 / 6.0 - r2) * inv
        small = v < 0.25
        ps[0, j] = ps[0, j] if small else r0
        ps[1, j] = ps[1, j] / 2.0 if small else r1
        ps[2, j] = ps[2, j] / 6.0 if small else r2
        ps[3, j] = ps[3, j] / 24.0 if small else r3


@njit(cache=True, fastmath=_FM, error_model="numpy")
def intrinsic_sums(eta, gam, cubic, rates, weights, rec):
    """Intrinsic-time convolutions ``int_0^{T_k} K(T_k - z) gamma(z) [1 | e(z)] dz`` at ``rec``.

    On step ``k`` (``z = T_k + x``, ``0 <= x <= eta_k``) ``gamma = gam[k]`` is constant and
    ``e`` is the cubic ``sum_n cubic[k, n] (x/eta)^n`` through its values at
    ``x/eta = 0, 1/3, 2/3, 1``, so each step's input is exact up to ``O(e^(4) eta^4)``:
    ``int_0^eta e^{-rho (eta - x)} x^n dx = eta^{n+1} n! psi_n(rho eta)``.
    """
    K = eta.size
    q = rates.size
    R = rec.size
    s_lab = np.zeros(q)
    s_sig = np.zeros(q)
    y = np.empty(q)
    x, dec, bits, fb = scratch(q)
    ps = np.empty((4, q))
    out_lab = np.zeros(R)
    out_sig = np.zeros(R)
    last = -1.0
    r = 0
    for k in range(K + 1):
        r = record_pair(rec, r, k, out_lab, out_sig, s_lab, s_sig, weights)
        if r == R or k == K:
            break
        e = eta[k]
        if e != last:
            for j in range(q):
                y[j] = rates[j] * e
                x[j] = -y[j]
            _vexp(x, dec, bits, fb)
            _psi(y, dec, ps)
            last = e
        g = gam[k] * e
        a0 = cubic[k, 0]
        a1 = cubic[k, 1]
        a2 = 2.0 * cubic[k, 2]
        a3 = 6.0 * cubic[k, 3]
        for j in range(q):
            s_lab[j] = dec[j] * s_lab[j] + g * ps[0, j]
            s_sig[j] = dec[j] * s_sig[j] + g * (
                a0 * ps[0, j] + a1 * ps[1, j] + a2 * ps[2, j] + a3 * ps[3, j]
            )
    return out_lab, out_sig
