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

from fsltheory._util.loops import decay_into, dot, scratch
from fsltheory.exact._recursion import DIVERGED, step_modes

__all__ = [
    "exact_forward",
    "exact_replay",
    "exact_backward",
    "fsl_forward",
    "fsl_backward",
    "fsl_adjoint",
    "DIVERGED",
]


_FLAGS = {"reassoc", "contract"}


@njit(cache=True, nogil=True, fastmath=_FLAGS)
def exact_forward(lam, w, r, C, sigma2, lrs, invb, k0, k1, R, hist, every, ckpts):
    """Run steps ``k0..k1-1`` in place on ``r``; ``R[k] = C + sum_i w_i r_i(k)`` for
    ``k = k0..k1``.

    ``hist.shape[0] > 0``: row ``k - k0`` receives ``w lambda r(k)`` (before step ``k``; the
    product the reverse sweep needs, formed here in the pass that stores it).
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
                hist[k - k0, i] = w[i] * lam[i] * r[i]
        if every > 0 and k % every == 0:
            for i in range(n):
                ckpts[k // every, i] = r[i]
        Rk = step_modes(lam, w, r, lrs[k], invb[k], Rk, C, sigma2)
        if not (abs(Rk) < DIVERGED):
            return k
    R[k1] = Rk
    return -1


@njit(cache=True, nogil=True, fastmath=_FLAGS)
def exact_replay(lam, wl, r, sigma2, lrs, invb, R, k0, k1, hist):
    """Recompute steps ``k0..k1-1`` of a segment in place on ``r`` (its checkpoint on
    entry), writing ``w lambda r(k)`` to row ``k - k0`` of ``hist`` (``wl = w lambda``).

    ``R(k)`` is read from the forward pass instead of being summed again: the update of
    each mode then has no reduction over the nodes (no dependency chain between steps
    through ``R``), and the states are bit-identical to the forward pass's, because the
    same ``R(k)`` enters the same increment form in the same order.
    """
    n = lam.size
    for k in range(k0, k1):
        eta = lrs[k]
        ib = invb[k]
        q = 1.0 + ib
        G = ib * (R[k] + sigma2)
        row = hist[k - k0]
        for i in range(n):
            ri = r[i]
            row[i] = wl[i] * ri
            t = eta * lam[i]
            r[i] = ri + t * (t * (q * ri + G) - 2.0 * ri)


@njit(cache=True, nogil=True, fastmath=_FLAGS)
def _adjoint_step(pp, lam, wl2, v, Z, c1, c2):
    """One step of :func:`exact_backward` over the nodes (its own function: written inline
    in the step loop, LLVM did not vectorise it, and the sweep ran 4-5x slower).

    In the scaled adjoint ``p_i = w_i P_i`` (no weight in the update), with ``v = w lambda r``
    (what the history stores), ``wl2 = w lambda^2``, ``c1 = -2 eta``, ``c2 = q eta^2``: four
    loads and eight floating-point operations per node.  Returns
    ``(sum p lambda r, sum p lambda^2 r, sum p lambda^2)``.
    """
    b1 = 0.0
    b2 = 0.0
    b3 = 0.0
    for i in range(pp.size):
        pi = pp[i] + Z
        li = lam[i]
        pv = pi * v[i]
        b1 += pv
        b2 += pv * li
        b3 += pi * wl2[i]
        # a_i P_i = P_i + (a_i - 1) P_i, a_i - 1 = t (q t - 2): the increment form of the
        # forward loop, so that modes with eta lambda << eps keep their slow decay
        pp[i] = pi + pi * (li * (li * c2 + c1))
    return b1, b2, b3


@njit(cache=True, nogil=True, fastmath=_FLAGS)
def exact_backward(lam, wl2, hist, R, sigma2, lrs, invb, omega, k0, k1, pp, Z, g_eta, g_b):
    """Reverse sweep over steps ``k1-1 .. k0`` of the adjoint recursion.

    The scaled adjoint ``P(k+1) = p(k+1) / w`` is held as ``pp + Z`` (``pp_i = a_i(k+1)
    P_i(k+2)``, ``Z`` a scalar), so one pass over the nodes per step forms ``P(k+1)``,
    accumulates the three sums the gradients need and leaves ``pp`` for the next step.
    ``hist`` rows hold ``w_i lambda_i r_i(k)``.  Returns the new ``Z``.
    """
    for k in range(k1 - 1, k0 - 1, -1):
        eta = lrs[k]
        ib = invb[k]
        q = 1.0 + ib
        Rs = R[k] + sigma2
        e2 = eta * eta
        # b1 = sum p lambda r, b2 = sum p lambda^2 r, b3 = sum p lambda^2; with t = eta lambda
        # the sums of the gradient are sum p lambda (q t - 1) r = q eta b2 - b1,
        # sum p t lambda = eta b3, sum p t^2 = eta^2 b3 and sum p t^2 r = eta^2 b2
        b1, b2, b3 = _adjoint_step(pp, lam, wl2, hist[k - k0], Z, -2.0 * eta, q * e2)
        g_eta[k] = 2.0 * (q * eta * b2 - b1) + 2.0 * ib * Rs * eta * b3
        g_b[k] = -ib * ib * e2 * (b2 + Rs * b3)
        Z = 0.5 * omega[k] + ib * e2 * b3
    return Z


@njit(cache=True, nogil=True, fastmath=_FLAGS)
def fsl_forward(rates, wq, U, lrs, v, k0, k1, y, hist, dhist, every, ckpts):
    """``U_q(k+1) = exp(-rho_q eta_k) U_q(k) + v_k`` over steps ``k0..k1-1`` in place;
    ``y[k] = sum_q w_q U_q(k)`` for ``k = k0..k1`` (skipped when ``y`` is empty: a
    recomputed segment needs the states only); ``hist``/``ckpts`` as in
    :func:`exact_forward`, and with ``hist`` row ``k - k0`` of ``dhist`` receives the decay
    factors ``d_q(k)``, so that the reverse sweep needs no exponentials."""
    q = rates.size
    keep = hist.shape[0] > 0
    want = y.size > 0
    x, dec, bits, fb = scratch(q)
    last = -1.0
    for k in range(k0, k1):
        if want:
            y[k] = dot(wq, U)
        e = lrs[k]
        if e != last:  # constant stretches cost no exponentials
            decay_into(rates, e, x, dec, bits, fb)
            last = e
        if keep:
            for j in range(q):
                hist[k - k0, j] = U[j]
                dhist[k - k0, j] = dec[j]
        if every > 0 and k % every == 0:
            for j in range(q):
                ckpts[k // every, j] = U[j]
        vk = v[k]
        for j in range(q):
            U[j] = dec[j] * U[j] + vk
    if want:
        y[k1] = dot(wq, U)


@njit(cache=True, nogil=True, fastmath=_FLAGS)
def fsl_backward(rates, wq, hist, dhist, omega, k0, k1, mu, g_dir, m_out):
    """Reverse sweep of the FSL adjoint ``mu_q(k) = omega_k w_q + d_q(k) mu_q(k+1)``:
    ``m_out[k] = sum_q mu_q(k+1)`` and ``g_dir[k] = -sum_q mu_q(k+1) rho_q d_q(k) U_q(k)``
    (the dependence of the decay factors on ``eta_k``), with ``U`` and ``d`` read from
    ``hist`` and ``dhist``.  ``mu`` holds ``mu(k1)`` on entry and ``mu(k0)`` on exit."""
    q = rates.size
    for k in range(k1 - 1, k0 - 1, -1):
        m = 0.0
        gd = 0.0
        row = k - k0
        ok = omega[k]
        for j in range(q):
            mj = mu[j]
            dj = dhist[row, j]
            m += mj
            gd += mj * rates[j] * dj * hist[row, j]
            mu[j] = ok * wq[j] + dj * mj
        m_out[k] = m
        g_dir[k] = -gd


@njit(cache=True, nogil=True)
def _restore(state, ckpts, j, seg, K):
    """Bounds ``(k0, k1)`` of segment ``j`` and whether it must be replayed: with checkpoints
    ``state`` is set to the segment's first step; with the whole history (one segment) the
    forward pass already stored it and there is nothing to restore or replay."""
    replay = ckpts.shape[0] > 1
    if replay:
        for i in range(state.size):
            state[i] = ckpts[j, i]
    k0 = j * seg
    return k0, min(K, k0 + seg), replay


@njit(cache=True, nogil=True)
def exact_adjoint(lam, w, r0, C, sigma2, lrs, invb, omega, seg, R, g_eta, g_b):
    """Forward pass with checkpoints every ``seg`` steps (or the whole history when
    ``seg >= K``), then, segment by segment from the last, recomputation
    (:func:`exact_replay`) and reverse sweep.  All in one compiled call: driving the
    segments from Python cost more than the sweeps.  Returns the diverging step or -1."""
    K = lrs.size
    n = lam.size
    nseg = (K + seg - 1) // seg
    r = r0.copy()
    empty = np.empty((0, n))
    hist = np.empty((min(seg, K), n))
    ckpts = np.empty((nseg, n))
    if nseg == 1:
        bad = exact_forward(lam, w, r, C, sigma2, lrs, invb, 0, K, R, hist, 0, empty)
    else:
        bad = exact_forward(lam, w, r, C, sigma2, lrs, invb, 0, K, R, empty, seg, ckpts)
    if bad >= 0:
        return bad
    pp = np.zeros(n)
    wl = w * lam
    wl2 = wl * lam
    Z = 0.5 * omega[K]
    for j in range(nseg - 1, -1, -1):
        k0, k1, replay = _restore(r, ckpts, j, seg, K)
        if replay:
            exact_replay(lam, wl, r, sigma2, lrs, invb, R, k0, k1, hist)
        Z = exact_backward(lam, wl2, hist, R, sigma2, lrs, invb, omega, k0, k1, pp, Z, g_eta, g_b)
    return -1


@njit(cache=True, nogil=True)
def fsl_adjoint(rates, wq, lrs, v, omega, seg, y, g_dir, m_out):
    """:func:`exact_adjoint` for the FSL: forward pass (``y``) with the whole history
    (``seg >= K``) or checkpoints every ``seg`` steps, then per segment from the last,
    recomputation and reverse sweep, in one compiled call."""
    K = lrs.size
    q = rates.size
    nseg = (K + seg - 1) // seg
    U = np.zeros(q)
    empty = np.empty((0, q))
    hist = np.empty((seg, q))
    dhist = np.empty((seg, q))
    ckpts = np.empty((nseg, q))
    if nseg == 1:
        fsl_forward(rates, wq, U, lrs, v, 0, K, y, hist, dhist, 0, empty)
    else:
        fsl_forward(rates, wq, U, lrs, v, 0, K, y, empty, empty, seg, ckpts)
    mu = omega[K] * wq
    no_y = np.empty(0)
    for j in range(nseg - 1, -1, -1):
        k0, k1, replay = _restore(U, ckpts, j, seg, K)
        if replay:
            fsl_forward(rates, wq, U, lrs, v, k0, k1, no_y, hist, dhist, 0, empty)
        fsl_backward(rates, wq, hist, dhist, omega, k0, k1, mu, g_dir, m_out)
