"""Numba loops of the adjoint engine: forward recursions that keep what the reverse sweep
needs, and the reverse sweeps themselves (reference §8.1; derivation in
:mod:`fsltheory.optimal.gradient`).

The exact forward loop is the recursion of :mod:`fsltheory.exact.kernel`, rewritten here so
that it can store the per-node state of every step of a segment (``hist``) or of the first
step of every segment (checkpoints).  The same increment form ``r + t (t (q r + G) - 2 r)``
is used, so that the values agree with :func:`fsltheory.expected_risk` to round-off, and
modes with ``t << eps`` keep their slow decay.  ``fastmath`` is limited to re-association
and FMA contraction (vectorised sums over nodes; NaN/inf semantics intact).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["exact_forward", "exact_backward", "fsl_forward", "fsl_backward", "DIVERGED"]

#: ``R`` beyond this is divergence (and NaN fails every comparison); as the exact engine
DIVERGED = 1e250

_FLAGS = {"reassoc", "contract"}


@njit(cache=True, nogil=True, fastmath=_FLAGS)
def exact_forward(lam, w, r, C, sigma2, lrs, invb, k0, k1, R, hist, every, ckpts):
    """Run steps ``k0..k1-1`` in place on ``r``; ``R[k] = C + sum_i w_i r_i(k)`` for
    ``k = k0..k1``.

    ``hist.shape[0] > 0``: row ``k - k0`` receives ``r(k)`` (before step ``k``).
    ``every > 0``: ``ckpts[k // every]`` receives ``r(k)`` whenever ``k % every == 0``.
    Returns the first step whose update made ``R`` non-finite or ``> DIVERGED``, else -1.
    """
    n = lam.size
    keep = hist.shape[0] > 0
    acc = 0.0
    for i in range(n):
        acc += w[i] * r[i]
    Rk = C + acc
    for k in range(k0, k1):
        R[k] = Rk
        if keep:
            for i in range(n):
                hist[k - k0, i] = r[i]
        if every > 0 and k % every == 0:
            for i in range(n):
                ckpts[k // every, i] = r[i]
        eta = lrs[k]
        ib = invb[k]
        q = 1.0 + ib
        G = ib * (Rk + sigma2)
        acc = 0.0
        for i in range(n):
            t = eta * lam[i]
            ri = r[i]
            ri = ri + t * (t * (q * ri + G) - 2.0 * ri)
            r[i] = ri
            acc += w[i] * ri
        Rk = C + acc
        if not (abs(Rk) < DIVERGED):
            return k
    R[k1] = Rk
    return -1


@njit(cache=True, nogil=True, fastmath=_FLAGS)
def exact_backward(lam, w, hist, R, sigma2, lrs, invb, omega, k0, k1, pp, Z, g_eta, g_b):
    """Reverse sweep over steps ``k1-1 .. k0`` of the adjoint recursion.

    The adjoint ``p(k+1)`` is held as ``pp + w Z`` (``pp_i = a_i(k+1) p_i(k+2)``, ``Z`` a
    scalar), so one pass over the nodes per step forms ``p(k+1)``, accumulates the four sums
    the gradients need and leaves ``pp`` for the next step.  Returns the new ``Z``.
    """
    n = lam.size
    for k in range(k1 - 1, k0 - 1, -1):
        eta = lrs[k]
        ib = invb[k]
        q = 1.0 + ib
        Rs = R[k] + sigma2
        a1 = 0.0  # sum p lambda (q t - 1) r
        a2 = 0.0  # sum p t lambda
        a3 = 0.0  # sum p t^2
        a4 = 0.0  # sum p t^2 r
        row = k - k0
        for i in range(n):
            pi = pp[i] + w[i] * Z
            li = lam[i]
            t = eta * li
            ri = hist[row, i]
            qt = q * t
            pt = pi * t
            a1 += pi * li * (qt - 1.0) * ri
            a2 += pt * li
            pt2 = pt * t
            a3 += pt2
            a4 += pt2 * ri
            # a_i p_i = p_i + t (q t - 2) p_i, the increment form (as the forward loop)
            pp[i] = pi + pt * (qt - 2.0)
        g_eta[k] = 2.0 * a1 + 2.0 * ib * Rs * a2
        g_b[k] = -ib * ib * (a4 + Rs * a3)
        Z = 0.5 * omega[k] + ib * a3
    return Z


@njit(cache=True, nogil=True)
def _decay(rates, eta, dec):
    for j in range(rates.size):
        dec[j] = np.exp(-rates[j] * eta)


@njit(cache=True, nogil=True, fastmath=_FLAGS)
def fsl_forward(rates, wq, U, lrs, v, k0, k1, y, hist, every, ckpts):
    """``U_q(k+1) = exp(-rho_q eta_k) U_q(k) + v_k`` over steps ``k0..k1-1`` in place;
    ``y[k] = sum_q w_q U_q(k)`` for ``k = k0..k1``; ``hist``/``ckpts`` as in
    :func:`exact_forward`."""
    q = rates.size
    keep = hist.shape[0] > 0
    dec = np.empty(q)
    last = -1.0
    for k in range(k0, k1):
        acc = 0.0
        for j in range(q):
            acc += wq[j] * U[j]
        y[k] = acc
        if keep:
            for j in range(q):
                hist[k - k0, j] = U[j]
        if every > 0 and k % every == 0:
            for j in range(q):
                ckpts[k // every, j] = U[j]
        e = lrs[k]
        if e != last:  # constant stretches cost no exponentials
            _decay(rates, e, dec)
            last = e
        vk = v[k]
        for j in range(q):
            U[j] = dec[j] * U[j] + vk
    acc = 0.0
    for j in range(q):
        acc += wq[j] * U[j]
    y[k1] = acc


@njit(cache=True, nogil=True, fastmath=_FLAGS)
def fsl_backward(rates, wq, hist, lrs, omega, k0, k1, mu, g_dir, m_out):
    """Reverse sweep of the FSL adjoint ``mu_q(k) = omega_k w_q + d_q(k) mu_q(k+1)``:
    ``m_out[k] = sum_q mu_q(k+1)`` and ``g_dir[k] = -sum_q mu_q(k+1) rho_q d_q(k) U_q(k)``
    (the dependence of the decay factors on ``eta_k``).  ``mu`` holds ``mu(k1)`` on entry
    and ``mu(k0)`` on exit."""
    q = rates.size
    dec = np.empty(q)
    last = -1.0
    for k in range(k1 - 1, k0 - 1, -1):
        e = lrs[k]
        if e != last:
            _decay(rates, e, dec)
            last = e
        m = 0.0
        gd = 0.0
        row = k - k0
        ok = omega[k]
        for j in range(q):
            mj = mu[j]
            m += mj
            gd += mj * rates[j] * dec[j] * hist[row, j]
            mu[j] = ok * wq[j] + dec[j] * mj
        m_out[k] = m
        g_dir[k] = -gd
