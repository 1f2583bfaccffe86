"""The power-law model: spectra, tail sums and validation."""

import math

import numpy as np
import pytest
from helpers import F64

from fsltheory import PowerLawModel


def test_source_condition_exact():
    m = PowerLawModel(beta=3.0, s=0.4, M=50)
    j = np.arange(1, 51)
    np.testing.assert_allclose(m.eigenvalues() * m.theta_star() ** 2, j ** (-1 - 1.2), rtol=F64)
    np.testing.assert_allclose(m.signal(j), j ** (-1 - 1.2), rtol=F64)


@pytest.mark.parametrize("N", [200, 5000])
def test_tail_error_matches_direct_sum(N):
    m = PowerLawModel(beta=2.0, s=0.5, M=100, N=N)
    direct = np.sum(np.arange(101, N + 1, dtype=float) ** (-2.0))
    assert math.isclose(m.tail_error(), direct, rel_tol=F64)


@pytest.mark.parametrize(
    "x, q", [(2.0, 1.0), (1.0001, 1e6), (1.3, 1e9 + 1), (5.5, 2.0), (3.0, 101.0), (1.5, 0.25)]
)
def test_hurwitz_zeta_matches_scipy(x, q):
    """The SciPy-free Hurwitz zeta (start-up: no scipy.special import) is SciPy's algorithm."""
    from scipy.special import zeta

    from fsltheory._util.zeta import hurwitz_zeta

    assert math.isclose(hurwitz_zeta(x, q), float(zeta(x, q)), rel_tol=F64)


def test_hurwitz_zeta_rejects_bad_arguments():
    from fsltheory._util.zeta import hurwitz_zeta

    with pytest.raises(ValueError, match=r"x=1.0 is invalid: expected x > 1"):
        hurwitz_zeta(1.0, 2.0)
    with pytest.raises(ValueError, match=r"q=0.0 is invalid: expected q > 0"):
        hurwitz_zeta(2.0, 0.0)


def test_regime_boundary():
    # easy iff s >= 1 - 1/beta (Section 5); boundary belongs to easy
    assert PowerLawModel(beta=4.0, s=0.75).regime == "easy"
    assert PowerLawModel(beta=4.0, s=0.5).regime == "hard"


def test_random_features_reproducible():
    m = PowerLawModel(beta=2.0, s=0.5, M=8, N=32, features="random")
    np.testing.assert_array_equal(m.random_projection(3), m.random_projection(3))
    lam = m.effective_eigenvalues(m.random_projection(3))
    assert lam.shape == (8,) and np.all(np.diff(lam) <= 0)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(beta=1.0, s=0.5), r"beta=1.0 is invalid: expected beta > 1"),
        (dict(beta=0.5, s=0.5), r"beta=0.5 is invalid"),
        (dict(beta=2.0, s=0.0), r"s=0.0 is invalid: expected s > 0"),
        (dict(beta=2.0, s=0.5, sigma2=-1.0), r"sigma2=-1.0 is invalid: expected sigma2 >= 0"),
        (dict(beta=2.0, s=0.5, M=0), r"M=0 is invalid"),
        (dict(beta=2.0, s=0.5, M=10, N=5), r"N=5 is invalid: expected N >= M"),
        (dict(beta=2.0, s=0.5, features="random"), r"N=inf is invalid for features='random'"),
        (dict(beta=float("nan"), s=0.5), r"beta=nan is invalid"),
    ],
)
def test_bad_model_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        PowerLawModel(**kw)


def test_random_feature_eigenvalues_track_lambda():
    # Lemma 4.7: hat lambda_j ~ lambda_j with constants free of M.  With the N(0, 1/M)
    # normalisation the ratio stays in a fixed band as M grows; unit variance would make it
    # grow like M.
    for M in (16, 64, 256):
        m = PowerLawModel(beta=2.0, s=0.5, M=M, N=4 * M, features="random")
        ratio = m.effective_eigenvalues(m.random_projection(0)) / m.eigenvalues()
        head = ratio[: M // 2]  # the last few random eigenvalues feel the finite N
        assert 0.2 < head.min() and head.max() < 5.0
