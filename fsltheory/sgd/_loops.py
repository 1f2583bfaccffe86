"""Compiled inner loops of the Monte-Carlo simulator (numba, ``nogil`` so runs go in threads).

Each kernel advances ONE run through all its steps, drawing its standard normals from the
run's own xoshiro256++ state with the ziggurat of :mod:`.normal`.  The draw order is fixed:
for each step ``k``, for each of its ``B_k`` samples, the feature coordinates ``z_1..z_n``
then one noise coordinate; :func:`.normal.fill_normals` on a ``(B_k, n + 1)`` block
reproduces it, which is how the mpmath path replays a run.

Both kernels return ``-1``, or the index of the first step whose residual is not finite
or exceeds ``BLOWUP`` (the caller turns it into an error).  Numba does not raise on
overflow, so this explicit check is what stops a diverging run from returning garbage.
"""

from __future__ import annotations

from numba import njit

from fsltheory.sgd.normal import next_normal

__all__ = ["BLOWUP", "topm_run", "randm_run"]

#: a residual beyond this size means the run is diverging; its square still fits in float64
BLOWUP = 1e150


@njit(cache=True, nogil=True, inline="always")
def _dot(a, b, n):
    """``sum_{j<n} a_j b_j`` with four partial sums (lets LLVM vectorise the reduction)."""
    a0 = 0.0
    a1 = 0.0
    a2 = 0.0
    a3 = 0.0
    m = n - n % 4
    for j in range(0, m, 4):
        a0 += a[j] * b[j]
        a1 += a[j + 1] * b[j + 1]
        a2 += a[j + 2] * b[j + 2]
        a3 += a[j + 3] * b[j + 3]
    for j in range(m, n):
        a0 += a[j] * b[j]
    return (a0 + a1) + (a2 + a3)


@njit(cache=True, nogil=True, inline="always")
def _sample_residual(zb, u, n, c, s0, s1, s2, s3, X, F, r0):
    """Draw one sample, ``z_1..z_n`` then the noise coordinate, into ``zb``; return the
    residual ``<z, u> - c xi`` and the advanced stream state ``s0..s3`` (the fixed draw
    order of the module docstring, shared by both kernels)."""
    for j in range(n + 1):
        zb[j], s0, s1, s2, s3 = next_normal(s0, s1, s2, s3, X, F, r0)
    return _dot(zb, u, n) - c * zb[n], s0, s1, s2, s3


@njit(cache=True, nogil=True)
def topm_run(state, w, lam, tail, c, eta, bsz, slot, out, zb, grad, X, F, r0):
    """One top-M SGD run over all steps, in whitened coordinates.

    With ``x_j = sqrt(lambda_j) z_j`` and ``w_j = sqrt(lambda_j)(v_j - theta*_j)`` the SGD
    step (eq. 4) ``v_j <- v_j - (eta/B) sum_b r_b x_bj`` reads
    ``w_j <- w_j - (eta/B) lambda_j sum_b r_b z_bj``, where the residual
    ``r = f(x; v) - y = <z, w> - c xi`` and ``c xi`` (``c^2 = tail + sigma^2``) is the
    untrained tail ``sum_{j>M} x_j theta*_j`` plus the label noise: a single Gaussian.
    The excess risk (eq. 13) is ``E = (sum_j w_j^2 + tail) / 2``.

    ``slot[k] >= 0`` stores the risk of ``v_k`` (before step ``k``) in ``out[slot[k]]``;
    ``zb`` (length M + 1) and ``grad`` (length M) are workspace.
    """
    M = w.size
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    K = eta.size
    fail = -1
    for k in range(K + 1):
        if slot[k] >= 0:
            out[slot[k]] = 0.5 * (_dot(w, w, M) + tail)
        if k == K:
            break
        B = bsz[k]
        if B > 1:
            for j in range(M):
                grad[j] = 0.0
        for _ in range(B):
            res, s0, s1, s2, s3 = _sample_residual(zb, w, M, c, s0, s1, s2, s3, X, F, r0)
            if not abs(res) < BLOWUP:
                fail = k
                break
            if B == 1:
                f = eta[k] * res
                for j in range(M):
                    w[j] -= f * lam[j] * zb[j]
            else:
                for j in range(M):
                    grad[j] += res * zb[j]
        if fail >= 0:
            break
        if B > 1:
            f = eta[k] / B
            for j in range(M):
                w[j] -= f * lam[j] * grad[j]
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return fail


@njit(cache=True, nogil=True)
def _residual_vector(v, A, t, u):
    """``u = A^T v - t``: the whitened error ``H^{1/2}(W^T v - theta*)``."""
    M, N = A.shape
    for j in range(N):
        u[j] = -t[j]
    for i in range(M):
        vi = v[i]
        for j in range(N):
            u[j] += A[i, j] * vi


@njit(cache=True, nogil=True)
def randm_run(state, v, A, t, c, eta, bsz, slot, out, u, s, zb, X, F, r0):
    """One random-M SGD run over all steps, tracking ``v`` itself.

    ``A = W H^{1/2}`` (M x N) and ``t = H^{1/2} theta*``, so that with ``phi = H^{1/2} z``
    the model output is ``<v, W phi> = <v, A z>`` and the residual is
    ``r = <A^T v - t, z> - c xi`` (``c = sigma``).  The update is
    ``v <- v - (eta/B) A sum_b r_b z_b`` (eq. 4), and ``E = ||A^T v - t||^2 / 2`` (eq. 3).
    ``u``, ``s`` (length N) and ``zb`` (length N + 1) are workspace.
    """
    M, N = A.shape
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    K = eta.size
    fail = -1
    for k in range(K + 1):
        _residual_vector(v, A, t, u)
        if slot[k] >= 0:
            out[slot[k]] = 0.5 * _dot(u, u, N)
        if k == K:
            break
        for j in range(N):
            s[j] = 0.0
        B = bsz[k]
        for _ in range(B):
            res, s0, s1, s2, s3 = _sample_residual(zb, u, N, c, s0, s1, s2, s3, X, F, r0)
            if not abs(res) < BLOWUP:
                fail = k
                break
            for j in range(N):
                s[j] += res * zb[j]
        if fail >= 0:
            break
        f = eta[k] / B
        for m in range(M):
            v[m] -= f * _dot(A[m], s, N)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return fail
