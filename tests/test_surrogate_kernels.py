"""Fast O(K q) sums over learning-rate decrements vs the direct sums; analytic derivatives."""

import math

import numpy as np
import pytest
from helpers import SURR_FAST, SURR_FD, SURR_QUAD, SURR_ROUNDOFF, law_id, surrogate_laws
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fsltheory import FSLLaw, mpl_schedule
from fsltheory.surrogate._decrement_sums import (
    RateGrid,
    contracted_sums,
    decayed_sums,
    mixture_weights,
    power_sums_fast,
    power_sums_naive,
    rate_grid,
)


@pytest.mark.parametrize("p", [0.05, 0.2, 0.6, 1.0, 1.5, 3.0])
def test_laplace_mixture_reproduces_the_power(p):
    # one decay rate per grid node: P(x) = sum_j W_j exp(-r_j x) + T0 - T1 x
    x = np.concatenate([[0.0], np.geomspace(1e-8, 1e4, 300)])
    grid = RateGrid(np.arange(math.log(1e-4 / 1e4), math.log(60.0), 0.4), 0.4)
    W, T0, T1 = mixture_weights(grid, 0.0, p)
    approx = np.exp(-np.outer(x, grid.rates)) @ W + T0 - T1 * x
    assert np.max(np.abs(approx - (1 + x) ** -p)) < SURR_QUAD


def _schedules():
    K = 3000
    warm = np.linspace(0.0, 3e-4, 200)
    cos = 3e-5 + 0.5 * 2.7e-4 * (1 + np.cos(np.pi * np.arange(K - 200) / (K - 200)))
    step = np.r_[np.full(1500, 1e-3), np.full(1000, 3e-4), np.full(500, 1e-5)]
    zero_end = np.r_[np.full(2000, 1e-3), np.linspace(1e-3, 0.0, 1000)]
    return {"cosine": np.r_[warm, cos], "steps": step, "to-zero": zero_end}


@pytest.mark.parametrize("name", ["cosine", "steps", "to-zero"])
@pytest.mark.parametrize(
    "own, p, scale, gamma",
    [
        (True, 0.58, 2.07, 0.64),
        (True, 2.5, 0.5, 1.0),
        (False, 1.36, 620.0, 0.0),
        (False, 0.3, 5e4, 0.0),
    ],
)
def test_fast_sums_match_naive(name, own, p, scale, gamma):
    eta = _schedules()[name]
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    obs = np.r_[np.arange(210, eta.size, 97), eta.size - 1]
    logw = None
    if gamma:
        with np.errstate(divide="ignore"):
            logw = np.where(eta > 0, -gamma * np.log(eta), np.inf)
    fast = power_sums_fast(eta, d, obs, scale=scale, p=p, own=own, logw=logw)
    lw = None if logw is None else np.where(np.isfinite(logw), logw, 0.0)
    amp = d if logw is None else np.where(np.isfinite(logw), d, 0.0)
    naive = power_sums_naive(eta, amp, obs, scale=scale, p=p, own=own, logw=lw)
    assert np.max(np.abs(fast - naive)) < SURR_FAST * np.abs(d).sum()


@settings(max_examples=25, deadline=None)
@example(levels=[2.9e-4, 4.8e-4], p=0.125, scale=0.125, seed=0)  # kernel ~flat: all in the tail
@given(
    levels=st.lists(st.floats(1e-5, 1e-2), min_size=2, max_size=6),
    p=st.floats(0.1, 2.5),
    scale=st.floats(0.1, 1e4),
    seed=st.integers(0, 2**16),
)
def test_fast_sums_match_naive_on_random_piecewise_schedules(levels, p, scale, seed):
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.choice(np.arange(1, 800), len(levels) - 1, replace=False))
    eta = np.concatenate(
        [np.full(n, lv) for n, lv in zip(np.diff(np.r_[0, cuts, 800]), levels, strict=True)]
    )
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    obs = np.unique(rng.integers(1, 800, 30))
    for own in (True, False):
        fast = power_sums_fast(eta, d, obs, scale=scale, p=p, own=own)
        naive = power_sums_naive(eta, d, obs, scale=scale, p=p, own=own)
        assert np.max(np.abs(fast - naive)) <= SURR_FAST * np.abs(d).sum()


def test_rate_grid_span_follows_the_schedule():
    eta = mpl_schedule("cosine_24000")
    obs = np.arange(2160, 24000, 128)
    g = rate_grid(eta, obs)
    # slowest rate never decays over the run, fastest kills a step of the smallest lr
    assert math.exp(g.z[0]) * eta[: obs[-1] + 1].sum() == pytest.approx(1e-4)
    assert math.exp(g.z[-1]) * eta[obs].min() >= 40.0
    with pytest.raises(ValueError, match="positive learning rate"):
        rate_grid(np.zeros(10), [5])


LAWS = surrogate_laws((3.04, 0.525, 0.508, 363.8, 2.07, 0.583, 0.641))


@pytest.mark.parametrize(
    "law",
    LAWS,
    ids=law_id,
)
def test_analytic_jacobian_matches_central_differences(law):
    eta = mpl_schedule("wsdld_20000_24000")[:8000]
    eta[5000:] = np.linspace(3e-4, 3e-5, 3000)
    obs = np.arange(2200, 8000, 150)
    prep = law._prepare(eta, obs, for_fit=True)
    th = law.theta
    _, J = law._evaluate(prep, th, jac=True)
    for i in range(th.size):
        h = 1e-6 * abs(th[i])
        up, dn = th.copy(), th.copy()
        up[i] += h
        dn[i] -= h
        fd = (law._evaluate(prep, up)[0] - law._evaluate(prep, dn)[0]) / (2 * h)
        assert np.max(np.abs(J[:, i] - fd)) <= SURR_FD * max(np.max(np.abs(fd)), 1e-12), (
            law.param_names[i]
        )


@pytest.mark.parametrize(
    "law",
    LAWS,
    ids=law_id,
)
def test_final_loss_and_its_gradient(law):
    # a strictly decreasing schedule (no ties, so the clipped decrements are differentiable)
    K = 2500
    eta = np.r_[np.linspace(1e-5, 3e-4, 100), 3e-4 * np.exp(-np.linspace(0.0, 2.0, K - 100))]
    eta[100:] -= 1e-9 * np.arange(K - 100)
    L, g = law.final_loss(eta, grad=True)
    assert L == pytest.approx(law.predict(eta, at=[K - 1])[0], rel=1e-10)
    rng = np.random.default_rng(1)
    for m in rng.choice(K, 8, replace=False):
        h = 1e-10
        up, dn = eta.copy(), eta.copy()
        up[m] += h
        dn[m] -= h
        fd = (law.final_loss(up) - law.final_loss(dn)) / (2 * h)
        assert abs(fd - g[m]) <= SURR_FD * np.max(np.abs(g)) + 1e-6 * abs(g[m])


@pytest.mark.parametrize("name", ["cosine", "steps", "to-zero"])
@pytest.mark.parametrize("p, scale", [(1.36, 620.0), (0.3, 5e4)])
def test_contracted_sums_equal_the_decayed_sums_contracted(name, p, scale):
    # one pass with the weights inside (predictions) vs the per-rate sums a fit caches:
    # the same terms summed in another order, and rates decayed below exp(-40) dropped
    # (4e-18 of sum |d|), so agreement to round-off
    eta = _schedules()[name]
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    obs = np.r_[np.arange(1, eta.size, 7), eta.size - 1]
    grid = rate_grid(eta, obs)
    W = mixture_weights(grid, math.log(scale), p)[0]
    one = contracted_sums(eta, d, obs, grid, W)
    cached = W @ decayed_sums(eta, d, obs, grid, own=False)[0]
    assert np.max(np.abs(one - cached)) < SURR_ROUNDOFF * np.abs(d).sum()


#: the laws whose predict() has its own one-pass route (FSLLaw._predict; MPL, momentum and the
#: zeta form predict through _evaluate itself, where this comparison would be an identity)
ONE_PASS = [
    law for law in surrogate_laws() if law.name == "fsl" and not law.options.get("zeta")
] + [FSLLaw(surrogate_laws()[1].params, clip=False)]


@pytest.mark.parametrize("law", ONE_PASS, ids=law_id)
@pytest.mark.parametrize("name", ["cosine", "steps", "to-zero"])
def test_prediction_equals_the_fit_path(law, name):
    # predict() takes the one-pass route (LRD weight folded into the decrements, T^-s exact,
    # sums over rates formed in the recursion), the fit the cached one (printed form: T^-s in
    # Chebyshev polynomials to 1e-13): equal to round-off
    eta = _schedules()[name]
    at = np.arange(210, eta.size, 3)
    fit_path = law._evaluate(law._prepare(eta, at), law.theta, jac=False)[0]
    assert law.predict(eta, at=at) == pytest.approx(fit_path, rel=SURR_ROUNDOFF, abs=0)
