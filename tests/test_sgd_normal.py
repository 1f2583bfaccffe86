"""The simulator's own Gaussian sampler (xoshiro256++ + ziggurat, ``fsltheory.sgd.normal``).

All draws are seeded, so every statistical bound below is deterministic; the bounds are
k-sigma bands from ``helpers.MC`` or p-value floors of standard goodness-of-fit tests.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import F64, MC
from scipy import stats

from fsltheory.sgd.normal import ZIG_F, ZIG_R, ZIG_V, ZIG_X, fill_normals, seed_state
from fsltheory.sgd.streams import run_state

N_DRAWS = 4_000_000
#: smallest p-value accepted from a goodness-of-fit test on one fixed seeded sample
P_FLOOR = 1e-4


@pytest.fixture(scope="module")
def draws():
    out = np.empty(N_DRAWS)
    fill_normals(seed_state(np.random.SeedSequence(12345)), out, ZIG_X, ZIG_F, ZIG_R)
    return out


def test_layers_have_equal_area():
    # base strip: rectangle [0, r] x [0, f(r)] plus the tail; the layers above it
    assert ZIG_X[1] == ZIG_R and ZIG_X[-1] == 0.0 and ZIG_X.size == 257
    areas = ZIG_X[1:-1] * (ZIG_F[2:] - ZIG_F[1:-1])
    np.testing.assert_allclose(areas, ZIG_V, rtol=F64)  # recursion round-off is ~1e-13
    assert ZIG_X[0] * ZIG_F[1] == pytest.approx(ZIG_V, rel=F64)
    # the 256 layers cover the half-Gaussian (area sqrt(pi/2)) with < 1% overhang: the
    # fraction of draws that need the slow path
    half = math.sqrt(math.pi / 2)
    assert half < 256 * ZIG_V < 1.01 * half


def test_mc_band_follows_the_number_of_runs():
    """MC(n) is the t quantile of the normal k-sigma tail: wider for few runs, k for many."""
    assert MC(5) > 4 * MC(10**6)
    assert MC(1000) > MC(10**6) > 4.0
    assert MC(10**6) == pytest.approx(4.0, abs=1e-3)
    assert MC(20, k=3.0) == pytest.approx(stats.t.isf(stats.norm.sf(3.0), 19))


def test_moments(draws):
    n = draws.size
    k = MC(n)
    assert abs(draws.mean()) < k / math.sqrt(n)
    assert abs(draws.var() - 1) < k * math.sqrt(2 / n)
    assert abs(np.mean(draws**3)) < k * math.sqrt(15 / n)
    assert abs(np.mean(draws**4) - 3) < k * math.sqrt(96 / n)  # Var(z^4) = 105 - 9


def test_tail_mass_beyond_r(draws):
    # the tail branch handles |z| > r; its mass must be erfc(r / sqrt 2)
    p = math.erfc(ZIG_R / math.sqrt(2))
    hits = np.count_nonzero(np.abs(draws) > ZIG_R)
    assert abs(hits - p * draws.size) < MC(draws.size) * math.sqrt(p * draws.size)
    far = np.count_nonzero(np.abs(draws) > 4.5)  # deep in the tail
    p45 = math.erfc(4.5 / math.sqrt(2))
    assert abs(far - p45 * draws.size) < MC(draws.size) * math.sqrt(p45 * draws.size) + 1


def test_goodness_of_fit(draws):
    assert stats.kstest(draws[:1_000_000], "norm").pvalue > P_FLOOR
    # 200 equiprobable bins: chi-square with 199 degrees of freedom
    edges = stats.norm.ppf(np.linspace(0, 1, 201)[1:-1])
    counts = np.bincount(np.searchsorted(edges, draws), minlength=200)
    assert stats.chisquare(counts).pvalue > P_FLOOR
    # consecutive draws are uncorrelated
    assert abs(np.corrcoef(draws[:-1], draws[1:])[0, 1]) < MC(draws.size) / math.sqrt(draws.size)


def test_streams_reproducible_and_distinct():
    a, b, c = np.empty(1000), np.empty(1000), np.empty(1000)
    fill_normals(run_state(5, 0), a, ZIG_X, ZIG_F, ZIG_R)
    fill_normals(run_state(5, 0), b, ZIG_X, ZIG_F, ZIG_R)
    fill_normals(run_state(5, 1), c, ZIG_X, ZIG_F, ZIG_R)
    np.testing.assert_array_equal(a, b)
    assert abs(np.corrcoef(a, c)[0, 1]) < MC(1000) / math.sqrt(1000)
    # drawing in pieces continues the same stream
    st = run_state(5, 0)
    d = np.empty((2, 500))
    fill_normals(st, d[0], ZIG_X, ZIG_F, ZIG_R)
    fill_normals(st, d[1], ZIG_X, ZIG_F, ZIG_R)
    np.testing.assert_array_equal(d.ravel(), a)
