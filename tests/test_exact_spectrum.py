"""The compressed spectrum rule (fsltheory.exact.spectrum): a quadrature in the mode index."""

import math

import numpy as np
import pytest
from helpers import F64, FD_WEIGHTS, RULE
from hypothesis import assume, example, given
from hypothesis import strategies as st

from fsltheory.exact.spectrum import EXACT_MODES, fornberg_weights, spectrum_rule

M_BIG = 100_000
J = np.arange(1, M_BIG + 1, dtype=float)


def _family(x, beta, alpha):
    """The shapes per-mode risks take in §8.1 at modes ``x``: signal decay, noise fill and
    relaxation fronts, for intrinsic times ``T`` across the whole range."""
    lam, signal = x**-beta, x ** (-1.0 - alpha)
    for T in np.geomspace(1e-3, 1e7, 21):
        yield signal * np.expm1(-2 * T * lam)
        yield -lam * np.expm1(-2 * T * lam)
        yield lam * (np.exp(-2 * T * lam) - np.exp(-2.6 * T * lam))


@pytest.mark.parametrize("beta", [1.5, 2.0, 4.0])
def test_rule_sums_the_per_mode_family(beta):
    rule = spectrum_rule(M_BIG, beta, t_max=1e7)
    assert rule.compressed and len(rule) < 250  # ~500x fewer nodes than modes
    worst = 0.0
    pairs = zip(_family(J, beta, 0.5 * beta), _family(rule.nodes, beta, 0.5 * beta), strict=True)
    for f_all, f_nodes in pairs:
        err = abs(rule.weights @ f_nodes - np.sum(f_all)) / np.sum(np.abs(f_all))
        worst = max(worst, err)
    assert worst < RULE


def test_rule_head_is_exact_and_weights_sum_to_M():
    rule = spectrum_rule(10**9, 2.0, t_max=1e5)
    np.testing.assert_array_equal(rule.nodes[:EXACT_MODES], np.arange(1, EXACT_MODES + 1))
    np.testing.assert_array_equal(rule.weights[:EXACT_MODES], 1.0)
    # f = 1 and f = x are integrated exactly: sum_j 1 = M, sum_j j = M (M + 1) / 2
    assert math.isclose(rule.weights.sum(), 1e9, rel_tol=F64)
    assert math.isclose(rule.weights @ rule.nodes, 1e9 * (1e9 + 1) / 2, rel_tol=F64)
    assert len(rule) < 250 and rule.nodes[-1] == 1e9


@pytest.mark.parametrize("M", [1, 7, 60, 84])
def test_small_M_is_the_identity_rule(M):
    rule = spectrum_rule(M, 2.0, t_max=100.0)
    assert not rule.compressed
    np.testing.assert_array_equal(rule.nodes, np.arange(1, M + 1))
    np.testing.assert_array_equal(rule.weights, 1.0)


@given(
    st.lists(st.floats(-3.0, 3.0), min_size=3, max_size=9, unique=True),
    st.floats(-1.0, 1.0),
    st.integers(0, 3),
)
@example([0.0, 1.0, 2.0], 0.0, 2)
def test_fornberg_is_exact_on_polynomials(xs, z, order):
    # differentiation weights from n nodes are exact for polynomials of degree n - 1
    x = np.array(xs)
    assume(np.min(np.diff(np.sort(x))) >= 0.05)  # near-coincident nodes are ill-posed
    n = x.size
    coef = np.arange(1.0, n + 1)  # p(x) = sum_i coef_i x^i, degree n - 1
    p = np.polynomial.Polynomial(coef)
    c = fornberg_weights(z, x, order)
    for m in range(order + 1):
        want = p.deriv(m)(z) if m else p(z)
        scale = np.sum(np.abs(c[m] * p(x))) + 1.0
        assert abs(c[m] @ p(x) - want) <= FD_WEIGHTS * scale


@pytest.mark.parametrize("kw", [dict(M=0), dict(beta=1.0), dict(refine=0)])
def test_rule_rejects_bad_parameters(kw):
    args = dict(M=1000, beta=2.0, t_max=10.0) | kw
    name = next(iter(kw))
    with pytest.raises(ValueError, match=f"{name}="):
        spectrum_rule(args.pop("M"), args.pop("beta"), **args)
