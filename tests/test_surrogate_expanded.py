"""A fit's cached decrement sums (weights expanded in log eta) vs the exact recursion."""

import math

import numpy as np
import pytest
from helpers import SURR_EXPANDED, SURR_FAST, SURR_ROUNDOFF, law_id, surrogate_laws

from fsltheory import FSLLRLaw, LossCurve, MultiPowerLaw
from fsltheory.surrogate._decrement_sums import rate_grid, weighted_sums
from fsltheory.surrogate._expanded_sums import ExpandedSums


def _curve(name):
    """A warmup from ~0 (its first tenth lies below the expanded decade), then a decay."""
    warm = np.linspace(1.5e-6, 3e-4, 200)
    K = 3000
    if name == "cosine":
        body = 3e-5 + 0.5 * 2.7e-4 * (1 + np.cos(np.pi * np.arange(K) / K))
    elif name == "to-zero":  # a decay to 0: its end stays on the exact recursion
        body = np.r_[np.full(K - 800, 3e-4), np.linspace(3e-4, 0.0, 800)]
    else:  # a linear decay over two decades: its last tenth lies below the expanded decade
        body = np.linspace(3e-4, 3e-6, K)
    eta = np.r_[warm, body]
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    obs = np.r_[np.arange(150, eta.size, 97), eta.size - 1]
    return eta, d, obs


#: (C, p, gamma) across the fit boxes of MPL and fsl-lr (C is c4, gamma is zeta): the fitted
#: optima first, then points of the screening design up to its corners (where an evaluation
#: may fall back to the exact recursion; either way the answer must agree)
POINTS = [
    (0.378, 0.113, 0.895),  # MPL's fit on MPL's 25M protocol
    (0.509, 0.093, 0.894),  # fsl-lr's fit there
    (2.0, 0.6, 0.6),  # MPL's first screening point
    (50.0, 2.0, 1.2),
    (0.05, 0.1, 0.1),
    (5.0, 1.4, 0.0),
]


def _exact(eta, d, obs, grid, C, p, g, own):
    with np.errstate(divide="ignore"):
        u = -np.log(eta)
    return weighted_sums(eta, d, u, obs, grid, p, logc=math.log(C), g=g, own=own)


@pytest.mark.parametrize("name", ["cosine", "to-zero", "linear"])
@pytest.mark.parametrize("own", [True, False])
def test_expanded_sums_equal_the_exact_recursion(name, own):
    eta, d, obs = _curve(name)
    grid = rate_grid(eta, obs)
    cache = ExpandedSums(eta, d, obs, grid, own=own)
    # most steps go through the expansion, some (warmup start, decay end) stay exact
    assert 0.5 * np.count_nonzero(d) < cache.n_expanded < np.count_nonzero(d)
    for i, (C, p, g) in enumerate(POINTS):
        fast = cache(p, logc=math.log(C), g=g)
        if i < 2:  # near the fitted optima the interpolant is used, not the fallback
            assert cache.fallbacks == 0
        exact = _exact(eta, d, obs, grid, C, p, g, own)
        assert np.max(np.abs(fast[0] - exact[0])) < SURR_EXPANDED * np.abs(d).sum()
        for k in (1, 2, 3):  # derivative weights are O(1) multiples of the weights
            scale = max(np.abs(exact[k]).max(), np.abs(d).sum())
            assert np.max(np.abs(fast[k] - exact[k])) < SURR_EXPANDED * scale
        value = cache(p, logc=math.log(C), g=g, derivs=False)
        assert value.shape == (1, obs.size)
        assert np.max(np.abs(value[0] - fast[0])) < SURR_ROUNDOFF * np.abs(d).sum()


def test_expanded_sums_fall_back_where_the_interpolant_is_not_accurate():
    # C = 1e-4, p = 3, gamma = 1.5: the weights sweep across the whole Gamma density within
    # the decade, which degree 48 does not resolve to 1e-13: the exact recursion answers
    eta, d, obs = _curve("cosine")
    grid = rate_grid(eta, obs)
    cache = ExpandedSums(eta, d, obs, grid, own=True)
    out = cache(3.0, logc=math.log(1e-4), g=1.5)
    assert cache.fallbacks == 1
    exact = _exact(eta, d, obs, grid, 1e-4, 3.0, 1.5, True)
    assert np.max(np.abs(out - exact)) <= SURR_ROUNDOFF * np.abs(d).sum()


def test_expanded_sums_stay_exact_where_the_expansion_does_not_pay():
    # a constant schedule after a short warmup: 30 decrements against 60 wanted steps
    eta = np.r_[np.linspace(1e-5, 3e-4, 30), np.full(3000, 3e-4)]
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    obs = np.arange(40, eta.size, 50)
    grid = rate_grid(eta, obs)
    cache = ExpandedSums(eta, d, obs, grid, own=True)
    assert cache.n_expanded == 0
    exact = _exact(eta, d, obs, grid, 2.0, 0.6, 0.6, True)
    out = cache(0.6, logc=math.log(2.0), g=0.6)  # the recursion with a cached decay table
    assert np.max(np.abs(out - exact)) <= SURR_ROUNDOFF * np.abs(d).sum()


def test_expanded_sums_without_a_live_step_are_zero_and_have_no_interval():
    # no decrement at all (a constant schedule): nothing to expand, nothing to sum
    eta = np.full(500, 3e-4)
    obs = np.arange(10, 500, 70)
    cache = ExpandedSums(eta, np.zeros_like(eta), obs, rate_grid(eta, obs), own=True)
    assert cache.n_expanded == 0
    assert math.isnan(cache.xa) and math.isnan(cache.xb)
    assert np.all(cache(0.6, logc=0.0, g=0.6) == 0.0)


WEIGHTED = [law for law in surrogate_laws() if law.name == "mpl" or law.options.get("zeta")] + [
    FSLLRLaw(dict(L0=2.98, c1=0.57, c2=1e-3, c3=8e5, c4=0.51, s=0.49, gamma=0.093, zeta=0.89))
]


@pytest.mark.parametrize("law", WEIGHTED, ids=law_id)
@pytest.mark.parametrize("name", ["cosine", "to-zero", "linear"])
def test_fit_path_equals_the_prediction_path(law, name):
    # _prepare(for_fit=True) caches ExpandedSums; a prediction runs the recursion once
    eta, _, obs = _curve(name)
    if isinstance(law, MultiPowerLaw):
        eta = np.maximum(eta, 1e-7)  # MPL needs positive learning rates
    fit_prep, pred_prep = law._prepare(eta, obs, for_fit=True), law._prepare(eta, obs)
    assert pred_prep.grid.h > fit_prep.grid.h  # a prediction's grid is for its own power
    pred_prep.grid = fit_prep.grid  # here: the same sums, two ways
    fit = law._evaluate(fit_prep, law.theta, jac=True)
    pred = law._evaluate(pred_prep, law.theta, jac=True)
    assert fit[0] == pytest.approx(pred[0], rel=SURR_EXPANDED, abs=0)
    scale = np.abs(pred[1]).max(axis=0)
    assert np.all(np.abs(fit[1] - pred[1]) <= SURR_EXPANDED * scale)


@pytest.mark.parametrize("law", WEIGHTED, ids=law_id)
def test_a_fit_without_expansion_runs_the_exact_recursion(law):
    # fit(..., expand=False) is the reference path of bench_surrogate.py: its preparation
    # must not expand, and must give the expanded preparation's values
    eta, _, obs = _curve("cosine")
    expanded = law._prepare(eta, obs, for_fit=True)
    exact = law._prepare(eta, obs, for_fit=True, expand=False)
    assert expanded.cache.n_expanded > 0 and exact.cache.n_expanded == 0
    a = law._evaluate(expanded, law.theta, jac=True)
    b = law._evaluate(exact, law.theta, jac=True)
    assert a[0] == pytest.approx(b[0], rel=SURR_EXPANDED, abs=0)
    assert np.all(np.abs(a[1] - b[1]) <= SURR_EXPANDED * np.abs(b[1]).max(axis=0))


def test_fit_passes_expand_to_every_preparation():
    seen = []

    class Recording(MultiPowerLaw):
        def _prepare(self, lrs, obs, **kw):
            seen.append(kw)
            return super()._prepare(lrs, obs, **kw)

    eta, _, _ = _curve("cosine")
    curve = LossCurve(np.arange(eta.size), 3.0 + 0.1 * np.exp(-np.cumsum(eta) * 50), eta)
    res = Recording().fit(curve, starts=1, max_nfev=5, expand=False)
    assert seen == [dict(for_fit=True, expand=False)]
    assert np.isfinite(res.cost)


@pytest.mark.parametrize("law", WEIGHTED, ids=law_id)
def test_prediction_on_its_own_power_grid_equals_the_direct_sum(law):
    # the prediction's coarser grid (the rule's step for the law's own power) keeps the
    # Laplace mixture's accuracy: the law's decrement sum against the O(K^2) double sum
    eta, d, obs = _curve("cosine")
    th = law.params
    if isinstance(law, MultiPowerLaw):
        C, p, g, S0 = th["C"], th["beta"], th["gamma"], 1  # k <= t, S_k(t) from k's start
    else:
        C, p, g, S0 = th["c4"], th["gamma"], th["zeta"], 0  # k < t, T(t) - T(k)
        d = np.where(d > 0, d, 0.0) if law.options["clip"] else d
    S = np.cumsum(eta)
    direct = np.empty(obs.size)
    for i, t in enumerate(obs):
        k = np.arange(1, t + S0)
        delta = S[t] - S[k] + (eta[k] if S0 else 0.0)
        direct[i] = np.sum(d[k] * (1 + C * eta[k] ** -g * delta) ** -p)
    prep = law._prepare(eta, obs)
    if isinstance(law, MultiPowerLaw):
        sums = law._sums(prep, C, p, g, False)[0]
    else:
        sums = law._zeta_sums(prep, C, p, g, False)[0]
    assert np.max(np.abs(sums - direct)) < SURR_FAST * np.abs(d).sum()
