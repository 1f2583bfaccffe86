"""FSL kernels (reference §2.4): proxies, finite sums, their exponential-sum forms."""

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from helpers import EXPSUM, F64, VEXP
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.special import zeta

from fsltheory import (
    PowerLawModel,
    approximation_error,
    forgetting_kernel,
    kernel_expsum,
    power_expsum,
    signal_function,
    spectral_expsum,
)
from fsltheory._util.vexp import vexp
from fsltheory.fsl._loops import _psi, expsum_values
from fsltheory.fsl.functions import GREGORY_ORDER, gregory_weights


def _direct(p, beta, M, t):
    """``sum_{j<=M} j^-p exp(-2 j^-beta t)`` term by term, in chunks of modes."""
    out = np.zeros_like(t)
    for lo in range(1, M + 1, 20_000):
        j = np.arange(lo, min(M, lo + 19_999) + 1, dtype=float)
        out += np.exp(-np.multiply.outer(t, 2.0 * j**-beta)) @ j**-p
    return out


def test_vexp_matches_numpy_on_its_range():
    # the FSL loops use x <= 0, the surrogate's Laplace mixtures also positive x up to 700
    mag = np.geomspace(1e-12, 700.0, 20_001)
    x = np.concatenate([-mag, [0.0], mag])
    np.testing.assert_allclose(vexp(x), np.exp(x), rtol=VEXP, atol=0)


@pytest.mark.parametrize("y", [1e-9, 0.1, 0.2499, 0.25, 0.2501, 0.9, 3.0, 40.0, 700.0])
def test_psi_functions_match_quadrature(y):
    # psi_n(y) = int_0^1 exp(-y (1-u)) u^n / n! du: series below 1/4, recurrence above
    ps = np.empty((4, 1))
    _psi(np.array([y]), np.exp(-np.array([y])), ps)
    for n in range(4):
        ref = mpmath.quad(
            lambda u, n=n: mpmath.e ** (-y * (1 - u)) * u**n / mpmath.factorial(n), [0, 1]
        )
        assert ps[n, 0] == pytest.approx(float(ref), rel=1e-12)


@pytest.mark.parametrize("a", [0.1, 0.5, 0.8, 4 / 3, 5 / 3, 1.8, 2.0, 3.0])
@pytest.mark.parametrize("t_max", [0.0, 1.0, 1e2, 1e4, 1e7])
def test_power_expsum_relative_error(a, t_max):
    f = power_expsum(a, t_max)
    t = np.concatenate([[0.0], np.geomspace(1e-6, t_max, 2000)]) if t_max > 0 else np.zeros(1)
    np.testing.assert_allclose(f(t), (1.0 + t) ** -a, rtol=EXPSUM, atol=0)
    # q ~ 50-150 nodes (issue #2 item 6 asks for 50-200); t_max = 0 merges all into one
    assert len(f) <= 200
    assert np.all(f.rates > 0) and np.all(f.weights > 0)


@pytest.mark.parametrize("beta", [1.2, 1.5, 3.0, 5.0])
@pytest.mark.parametrize("which", ["signal", "forgetting"])
def test_spectral_expsum_vs_direct_sum_large_M(beta, which):
    # M = 1e5: the compressed form (exact head + Gregory ends + Gauss panels in log rate)
    # against the sum of all 1e5 terms, up to t = 1e7 (past M^beta for beta = 1.2: the
    # regime where the slowest modes dominate)
    M, s = 100_000, 0.8
    p = 1 + s * beta if which == "signal" else 2 * beta
    t = np.concatenate([[0.0], np.geomspace(1e-3, 1e7, 120)])
    f = spectral_expsum(p, beta, M, 1e7)
    np.testing.assert_allclose(f(t), _direct(p, beta, M, t), rtol=EXPSUM, atol=0)
    assert len(f) <= 400


@pytest.mark.parametrize("beta", [1.5, 5.0])
def test_spectral_expsum_huge_M_is_cheap_and_exact_at_zero(beta):
    # M = 1e9: no direct sum; S(0) = zeta(p) - zeta(p, M+1) exactly (Hurwitz), and a build
    # at rtol 1e-13 (finer panels, larger slow cut) agrees at every t
    M, p = 10**9, 2 * beta
    f = spectral_expsum(p, beta, M, 1e6)
    assert len(f) <= 400
    assert f(0.0) == pytest.approx(float(zeta(p) - zeta(p, M + 1)), rel=EXPSUM)
    t = np.geomspace(1e-3, 1e6, 60)
    np.testing.assert_allclose(f(t), spectral_expsum(p, beta, M, 1e6, rtol=1e-13)(t), rtol=EXPSUM)


def test_spectral_expsum_small_M_is_exact():
    f = spectral_expsum(6.0, 3.0, 128, 100.0)
    assert len(f) == 128
    j = np.arange(1, 129, dtype=float)
    np.testing.assert_array_equal(f.rates, 2 * j**-3.0)


def test_gregory_weights_exact_on_polynomials():
    # sum_{j=a}^{b} P(j) = int_a^b P + sum_m w_m (P(a+m) + P(b-m)) for deg P <= order,
    # checked in exact rational arithmetic after rounding the weights' float values
    w = gregory_weights()
    assert len(w) == GREGORY_ORDER + 1
    assert sum(w) == pytest.approx(0.5, abs=1e-14)  # constant: the trapezoid half-ends
    a, b = 3, 40
    for n in range(GREGORY_ORDER + 1):
        exact = sum(Fraction(j) ** n for j in range(a, b + 1))
        integral = (Fraction(b) ** (n + 1) - Fraction(a) ** (n + 1)) / (n + 1)
        ends = sum(
            Fraction(float(w[m])) * (Fraction(a + m) ** n + Fraction(b - m) ** n)
            for m in range(len(w))
        )
        assert float(abs(integral + ends - exact) / exact) < 1e-13


def test_expsum_values_matches_python_evaluation():
    f = power_expsum(5 / 3, 1e3)
    t = np.linspace(0.0, 1e3, 777)
    np.testing.assert_allclose(expsum_values(f.weights, f.rates, t), f(t), rtol=F64)


def test_finite_functions_are_the_top_M_sums():
    m = PowerLawModel(beta=2.0, s=0.7, sigma2=1.0, M=64, N=200)
    lam, th = m.eigenvalues(), m.theta_star()
    t = np.array([0.0, 0.3, 7.0, 500.0])
    e = (lam * th**2 * np.exp(-2 * np.outer(t, lam))).sum(axis=1)
    K = (lam**2 * np.exp(-2 * np.outer(t, lam))).sum(axis=1)
    np.testing.assert_allclose(signal_function(t, m, "finite"), e, rtol=F64)
    np.testing.assert_allclose(forgetting_kernel(t, m, "finite"), K, rtol=F64)
    assert approximation_error(m, "finite") == pytest.approx(m.tail_error(), rel=F64)
    # 2 E(v=0) = e_M(0) + delta_M: the finite functions split the initial risk exactly
    assert 0.5 * (e[0] + m.tail_error()) == pytest.approx(m.initial_excess_risk(), rel=F64)


def test_finite_functions_large_M_use_the_compressed_sum():
    m = PowerLawModel(beta=1.5, s=0.5, sigma2=1.0, M=50_000)
    t = np.array([0.0, 1.0, 1e3, 1e5])
    p = 2 * 1.5
    np.testing.assert_allclose(
        forgetting_kernel(t, m, "finite"), _direct(p, 1.5, 50_000, t), rtol=EXPSUM
    )


@given(
    beta=st.floats(1.1, 6.0),
    s=st.floats(0.05, 3.0),
    t=st.floats(0.0, 1e6),
)
@example(beta=1.5, s=0.5, t=0.0)
def test_proxies_closed_form(beta, s, t):
    m = PowerLawModel(beta=beta, s=s, M=10, N=20)
    assert signal_function(t, m) == pytest.approx((1 + t) ** -s, rel=F64)
    assert forgetting_kernel(t, m) == pytest.approx((1 + t) ** -(2 - 1 / beta), rel=F64)
    # proxies are probability-like: 1 at t = 0, decreasing
    assert signal_function(0.0, m) == 1.0 and forgetting_kernel(t, m) <= 1.0


def test_proxy_approximation_error():
    assert approximation_error(PowerLawModel(beta=2.0, s=0.5, M=100, N=1000)) == pytest.approx(
        100.0**-1.0, rel=F64
    )
    # M = N: nothing is left untrained, for both kernels (the B.1 setting)
    for kernel in ("proxy", "finite"):
        assert approximation_error(PowerLawModel(beta=2.0, s=0.5, M=128, N=128), kernel) == 0.0


def test_kernel_expsum_dispatch():
    m = PowerLawModel(beta=3.0, s=0.5, M=128, N=128)
    assert len(kernel_expsum(m, "forgetting", "finite", 100.0)) == 128
    f = kernel_expsum(m, "signal", "proxy", 100.0)
    assert f(3.0) == pytest.approx(4.0**-0.5, rel=EXPSUM)
    assert not f.weights.flags.writeable  # cached nodes are shared: read-only


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: signal_function(1.0, m, "exact"), r"kernel='exact' is invalid: expected one of"),
        (lambda m: forgetting_kernel(-1.0, m), r"t is invalid: expected finite times t >= 0"),
        (lambda m: kernel_expsum(m, "noise", "proxy", 1.0), r"which='noise' is invalid"),
        (lambda m: power_expsum(0.0, 1.0), r"a=0.0 is invalid: expected a > 0"),
        (lambda m: power_expsum(1.0, -1.0), r"t_max=-1.0 is invalid: expected t_max >= 0"),
        (lambda m: power_expsum(1.0, 1.0, rtol=0.5), r"rtol=0.5 is invalid: expected rtol in"),
        (lambda m: spectral_expsum(1.0, 2.0, 10, 1.0), r"p=1.0 is invalid: expected p > 1"),
        (
            lambda m: signal_function(
                1.0, PowerLawModel(beta=2, s=0.5, M=4, N=8, features="random"), "finite"
            ),
            r"kernel='finite' is invalid for features='random'",
        ),
    ],
)
def test_kernel_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call(PowerLawModel(beta=2.0, s=0.5, M=16, N=32))


def test_spectral_expsum_accuracy_is_math_isclose_at_origin():
    # the compressed form keeps S(0) = sum_j j^-p: a sanity anchor independent of t grids
    f = spectral_expsum(3.0, 1.5, 10**6, 10.0)
    assert math.isclose(f(0.0), float(zeta(3.0) - zeta(3.0, 10**6 + 1)), rel_tol=EXPSUM)
