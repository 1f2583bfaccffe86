"""Adjoint gradients of the exact expected risk and of the physical-time FSL (issue #9, item 1).

Three independent references: the production engines (values), central differences of the
same fixed-rule objective (float64), and a 50-digit mpmath forward recursion of the full
spectrum differentiated by central differences with a tiny step.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from helpers import ADJOINT_FD as FD
from helpers import ADJOINT_MPMATH as MPREF
from helpers import FIXED_RULE as RULE
from helpers import SAME_SUMS as F64

from fsltheory import PowerLawModel, expected_risk, fsl_curve
from fsltheory.optimal import compressed_spectrum, exact_final_risk, exact_gradient, fsl_gradient

RNG_SEED = 20250919


def _schedule(K, scale, seed=RNG_SEED):
    rng = np.random.default_rng(seed)
    lrs = scale * np.exp(rng.normal(0.0, 0.4, K)) * np.linspace(1.0, 0.2, K)
    B = rng.uniform(1.0, 5.0, K)
    return lrs, B


def _fd(f, x, k, rel=1e-5):
    h = rel * x[k]
    e = np.zeros_like(x)
    e[k] = h
    return (f(x + e) - f(x - e)) / (2.0 * h)


def _max_rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b)))


# ------------------------------------------------------------------ exact engine: values
@pytest.mark.parametrize("s, beta", [(1.0, 2.0), (0.5, 4.0)])
def test_fixed_rule_value_matches_expected_risk(s, beta):
    # the optimiser's rule is built from cap x steps, far beyond sum(eta): the value must
    # still be the engine's (compressed rule, M = 1e9)
    m = PowerLawModel(beta=beta, s=s, sigma2=1.0, M=10**9)
    K = 3000
    lrs = 0.3 * (1.0 - np.arange(K) / K) ** 2 + 1e-3
    sp = compressed_spectrum(m, 0.6 * K)
    g = exact_gradient(m, lrs, spectrum=sp, weights=None)
    ref = expected_risk(m, lrs, record=None)
    assert abs(g.value / ref.final - 1.0) < RULE
    assert _max_rel(g.excess_risk, ref.excess_risk) < RULE


def test_default_rule_is_the_engines_rule():
    # s beta = 1: the untrained tail sum_{j > M} j^-2 ~ 1e-4 is part of C, and visible
    m = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=10**4)
    lrs, _ = _schedule(500, 0.2)
    g = exact_gradient(m, lrs, batch=2)
    assert abs(g.value / expected_risk(m, lrs, batch=2, record=[500]).final - 1.0) < F64


# ------------------------------------------------------------ exact engine: gradients
@pytest.mark.parametrize("M", [200, 10**6])
def test_exact_gradient_matches_central_differences(M):
    # M = 200: every mode is a node; M = 1e6: the compressed rule (negative weights included)
    m = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=M)
    K = 300
    lrs, B = _schedule(K, 0.15)
    sp = compressed_spectrum(m, 0.6 * K)
    # a weighted sum over recorded steps, not only the final value
    w = np.zeros(K + 1)
    w[[50, 150, K]] = [0.5, 1.0, 2.0]
    g = exact_gradient(m, lrs, batch=B, weights=w, spectrum=sp)

    def J(lr, b):
        return float(w @ exact_gradient(m, lr, batch=b, spectrum=sp).excess_risk)

    assert abs(g.value - J(lrs, B)) < F64 * g.value
    ks = [0, 1, 49, 50, 120, 151, K - 2, K - 1]
    fd_eta = [_fd(lambda x: J(x, B), lrs, k) for k in ks]
    fd_b = [_fd(lambda x: J(lrs, x), B, k) for k in ks]
    assert _max_rel(g.lr[ks], fd_eta) < FD
    assert _max_rel(g.batch[ks], fd_b) < FD


def test_checkpointing_is_bit_identical_to_the_stored_history():
    m = PowerLawModel(beta=2.0, s=1.0, sigma2=1.0, M=10**6)
    lrs, B = _schedule(1000, 0.2)
    full = exact_gradient(m, lrs, batch=B)
    ck = exact_gradient(m, lrs, batch=B, max_history_bytes=1)
    assert full.meta["storage"] == "history" and ck.meta["storage"] == "checkpoints"
    assert ck.meta["segment"] == math.isqrt(999) + 1  # O(sqrt K) memory
    np.testing.assert_array_equal(full.lr, ck.lr)
    np.testing.assert_array_equal(full.batch, ck.batch)


def _mp_final_risk(model, lrs, bsz, dps=50):
    """Full-spectrum forward recursion of reference §8.1 at ``dps`` digits (independent code)."""
    with mpmath.workdps(dps):
        M, beta, a = model.M, mpmath.mpf(model.beta), mpmath.mpf(model.alpha)
        lam = [mpmath.mpf(j) ** -beta for j in range(1, M + 1)]
        r = [mpmath.mpf(j) ** (-1 - a) for j in range(1, M + 1)]
        tail = mpmath.zeta(1 + a, M + 1)
        s2 = mpmath.mpf(model.sigma2)
        for eta, b in zip(lrs, bsz, strict=True):
            R = tail + mpmath.fsum(r)
            # m_j(k+1) = (1 - eta l)^2 m_j + eta^2/B (l^2 m_j + l (R + sigma^2)), times l
            r = [
                (1 - eta * l) ** 2 * ri + eta**2 / b * (l * l * ri + l * l * (R + s2))
                for ri, l in zip(r, lam, strict=True)
            ]
        return (tail + mpmath.fsum(r)) / 2


def test_exact_gradient_matches_a_50_digit_reference():
    m = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=12)
    K = 25
    lrs, B = _schedule(K, 0.2)
    g = exact_gradient(m, lrs, batch=B)
    dps = 50
    with mpmath.workdps(dps):
        L = [mpmath.mpf(float(x)) for x in lrs]
        Bm = [mpmath.mpf(float(x)) for x in B]
        assert abs(float(_mp_final_risk(m, L, Bm)) / g.value - 1.0) < MPREF
        h = mpmath.mpf(10) ** -20  # truncation h^2 ~ 1e-40, round-off 1e-50 / h = 1e-30
        for k in (0, 7, K - 1):
            up, dn = list(L), list(L)
            up[k] += h
            dn[k] -= h
            d_eta = (_mp_final_risk(m, up, Bm) - _mp_final_risk(m, dn, Bm)) / (2 * h)
            assert abs(g.lr[k] / float(d_eta) - 1.0) < MPREF
            up, dn = list(Bm), list(Bm)
            up[k] += h
            dn[k] -= h
            d_b = (_mp_final_risk(m, L, up) - _mp_final_risk(m, L, dn)) / (2 * h)
            assert abs(g.batch[k] / float(d_b) - 1.0) < MPREF


# --------------------------------------------------------------------- exact: bad input
def test_unstable_and_invalid_inputs_raise_naming_the_parameter():
    m = PowerLawModel(beta=2.0, s=1.0, sigma2=1.0, M=1000)
    with pytest.raises(ValueError, match=r"lr=.* max_stable_lr"):
        exact_gradient(m, np.full(10, 0.9))
    with pytest.raises(ValueError, match=r"diverged"):  # never NaN, even unchecked
        exact_gradient(m, np.full(3000, 1.5), check_stability=False)
    with pytest.raises(
        ValueError, match=r"batch\[3\]=0.5 is invalid: expected a finite batch >= 1"
    ):
        exact_gradient(m, np.full(10, 0.1), batch=[1, 1, 1, 0.5, 1, 1, 1, 1, 1, 1])
    with pytest.raises(ValueError, match=r"weights of shape \(10,\) is invalid"):
        exact_gradient(m, np.full(10, 0.1), weights=np.ones(10))
    with pytest.raises(ValueError, match=r"t_max=-1"):
        compressed_spectrum(m, -1.0)
    with pytest.raises(ValueError, match=r"diverged"):
        exact_final_risk(m, np.full(3000, 1.5), check_stability=False)


# ------------------------------------------------------------------------ physical FSL
@pytest.mark.parametrize("kernel, M", [("proxy", 10**6), ("finite", 64)])
def test_fsl_gradient_value_and_central_differences(kernel, M):
    m = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=M)
    K = 300
    lrs, B = _schedule(K, 0.2)
    coef = (0.7, 1.1, 0.9, 1.3)
    ref = fsl_curve(m, lrs, batch=B, kernel=kernel, coef=coef, record=None)
    g = fsl_gradient(m, lrs, batch=B, kernel=kernel, coef=coef)
    assert _max_rel(g.excess_risk, ref.excess_risk) < F64
    t_max = 0.5 * K  # fixed exponential sums, as in optimisation

    def J(lr, b):
        return fsl_gradient(m, lr, batch=b, kernel=kernel, coef=coef, t_max=t_max).value

    g = fsl_gradient(m, lrs, batch=B, kernel=kernel, coef=coef, t_max=t_max)
    ks = [0, 1, 100, K - 2, K - 1]
    assert _max_rel(g.lr[ks], [_fd(lambda x: J(x, B), lrs, k) for k in ks]) < FD
    assert _max_rel(g.batch[ks], [_fd(lambda x: J(lrs, x), B, k) for k in ks]) < FD
    ck = fsl_gradient(m, lrs, batch=B, kernel=kernel, coef=coef, t_max=t_max, max_history_bytes=1)
    assert ck.meta["storage"] == "checkpoints"
    np.testing.assert_array_equal(ck.lr, g.lr)


def _mp_fsl(model, lrs, bsz, coef):
    """The physical-time FSL with the finite kernels, as a direct double sum at 50 digits."""
    c0, c1, c2, c3 = coef
    M, beta = model.M, mpmath.mpf(model.beta)
    lam = [mpmath.mpf(j) ** -beta for j in range(1, M + 1)]
    sig = [mpmath.mpf(j) ** -(1 + mpmath.mpf(model.alpha)) for j in range(1, M + 1)]

    def e(t):
        return mpmath.fsum(s * mpmath.exp(-2 * l * t) for s, l in zip(sig, lam, strict=True))

    def Kf(t):
        return mpmath.fsum(l * l * mpmath.exp(-2 * l * t) for l in lam)

    T = [mpmath.mpf(0)]
    for x in lrs:
        T.append(T[-1] + x)
    K = len(lrs)
    noise = mpmath.fsum(
        Kf(T[K] - T[i + 1]) * (c2 * e(T[i]) + c3 * model.sigma2) * lrs[i] ** 2 / bsz[i]
        for i in range(K)
    )
    return c0 * mpmath.zeta(1 + mpmath.mpf(model.alpha), M + 1) + c1 * e(T[K]) + noise


def test_fsl_gradient_matches_a_50_digit_reference():
    m = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=6)
    K = 12
    lrs, B = _schedule(K, 0.2)
    coef = (1.0, 1.0, 0.8, 1.2)
    g = fsl_gradient(m, lrs, batch=B, kernel="finite", coef=coef)
    with mpmath.workdps(50):
        L = [mpmath.mpf(float(x)) for x in lrs]
        Bm = [mpmath.mpf(float(x)) for x in B]
        assert abs(float(_mp_fsl(m, L, Bm, coef)) / g.value - 1.0) < MPREF
        h = mpmath.mpf(10) ** -20
        for k in (0, 5, K - 1):
            up, dn = list(L), list(L)
            up[k] += h
            dn[k] -= h
            d = (_mp_fsl(m, up, Bm, coef) - _mp_fsl(m, dn, Bm, coef)) / (2 * h)
            assert abs(g.lr[k] / float(d) - 1.0) < MPREF
            up, dn = list(Bm), list(Bm)
            up[k] += h
            dn[k] -= h
            d = (_mp_fsl(m, L, up, coef) - _mp_fsl(m, L, dn, coef)) / (2 * h)
            assert abs(g.batch[k] / float(d) - 1.0) < MPREF


def test_fsl_gradient_refuses_unstable_rates():
    m = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=1000)
    with pytest.raises(ValueError, match=r"lr=.* max_stable_lr"):
        fsl_gradient(m, np.full(10, 0.9))
    with pytest.raises(ValueError, match=r"kernel='bad' is invalid"):
        fsl_gradient(m, np.full(10, 0.1), kernel="bad")
