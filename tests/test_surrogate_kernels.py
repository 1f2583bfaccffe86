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
    weighted_sums,
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
# found by hypothesis: c S_max = 2e-3, so the grid starts inside the mixing density
# (y0 = -2.1); the tail's series stopped at second order there and missed by 1.2e-7
@example(levels=[1.0000000000000003e-05, 1e-05], p=1.0, scale=0.25, seed=0)
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


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, derandomize=True, database=None)
@given(
    levels=st.lists(st.floats(1e-6, 1e-1), min_size=2, max_size=6),
    p=st.floats(0.02, 3.0),
    scale=st.floats(1e-7, 1e5),
    gamma=st.one_of(st.just(0.0), st.floats(0.0, 1.5)),
    warmup=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_fast_sums_match_naive_over_the_whole_parameter_range(
    levels, p, scale, gamma, warmup, seed
):
    # the default suite's property test over every scale a law can reach (c S_max from 1e-10
    # to 1e7: grids starting far inside the mixing density and far below it), per-step
    # weights eta^-gamma, powers down to 0.02 and a warmup from ~0.  Zero learning rates are
    # out: a term whose Delta stays 0 keeps its mass above the grid (rate_grid's scale_max)
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.choice(np.arange(1, 800), len(levels) - 1, replace=False))
    eta = np.concatenate(
        [np.full(n, lv) for n, lv in zip(np.diff(np.r_[0, cuts, 800]), levels, strict=True)]
    )
    if warmup:
        eta[:50] = np.linspace(levels[0] / 50, levels[0], 50)
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    obs = np.unique(rng.integers(1, 800, 30))
    logw = -gamma * np.log(eta) if gamma else None
    for own in (True, False):
        fast = power_sums_fast(eta, d, obs, scale=scale, p=p, own=own, logw=logw)
        naive = power_sums_naive(eta, d, obs, scale=scale, p=p, own=own, logw=logw)
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


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), zeros=st.floats(0.0, 0.95), rows=st.integers(1, 3))
def test_events_and_grid_span_match_their_definitions(seed, zeros, rows):
    # the compiled one-pass Events and rate_grid span against their definitions written out
    from fsltheory.surrogate._decrement_sums import Events

    rng = np.random.default_rng(seed)
    K = int(rng.integers(5, 400))
    eta = np.where(rng.random(K) < zeros, 0.0, rng.uniform(1e-5, 1e-3, K))
    eta[int(rng.integers(0, K))] = 3e-4  # at least one positive learning rate
    amps = np.where(rng.random((rows, K)) < zeros, 0.0, rng.normal(size=(rows, K)))
    obs = np.unique(rng.integers(0, K, size=int(rng.integers(1, K + 1))))
    ev = Events(eta, amps, obs)
    last = obs[-1]
    steps = np.union1d(np.flatnonzero(np.any(amps[:, : last + 1] != 0, axis=0)), obs)
    assert np.array_equal(ev.steps, steps)
    assert np.array_equal(ev.steps[ev.obs_pos], obs)
    assert np.array_equal(np.flatnonzero(ev.is_obs), ev.obs_pos)
    S = np.cumsum(eta[: last + 1])
    assert np.array_equal(ev.S, S)
    assert ev.gap[0] == np.inf and np.array_equal(ev.gap[1:], S[steps[1:]] - S[steps[:-1]])
    if eta[: last + 1].sum() > 0:
        recent = [eta[: t + 1][eta[: t + 1] > 0] for t in obs]
        recent = [r[-1] for r in recent if r.size]
        dmin = min(recent) if recent else eta[: last + 1][eta[: last + 1] > 0].min()
        z = rate_grid(eta, obs).z
        assert z[-1] >= math.log(40.0 / dmin) > z[-1] - rate_grid(eta, obs).h - 1e-12


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


@pytest.mark.parametrize("own", [True, False])
@pytest.mark.parametrize("name", ["cosine", "steps", "to-zero"])
@pytest.mark.parametrize(
    "p, logc, g", [(0.09, math.log(0.5), 0.9), (0.6, 0.7, 0.6), (2.0, 3.0, 0.0)]
)
def test_value_kernel_equals_the_derivative_kernels_value(own, name, p, logc, g):
    # predictions run their own recursion (_value_sums: dead fast rates skipped, a term's
    # first decay folded into its weight, clamped rather than cut exponentials), fits the
    # derivative one: the same sums to round-off (measured <= 2e-15 of sum|a|), with and
    # without the fit's decay table, observed from step 1 (the warmup's tiny rates set the
    # top of the grid) or sparsely
    from fsltheory.surrogate._decrement_sums import Events, weighted_sums

    eta = _schedules()[name]
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    u = -np.log(eta, where=eta > 0, out=np.full_like(eta, np.inf))
    for obs in (np.arange(1, eta.size), np.r_[np.arange(210, eta.size, 97), eta.size - 1]):
        grid = rate_grid(eta, obs, h=0.55)
        ev = Events(eta, d, obs)
        kw = dict(logc=logc, g=g, own=own, events=ev)
        ref = weighted_sums(eta, d, u, obs, grid, p, derivs=True, **kw)[0]
        for table in (None, ev.decay_table(grid)):
            val = weighted_sums(eta, d, u, obs, grid, p, derivs=False, table=table, **kw)[0]
            np.testing.assert_allclose(val, ref, rtol=0, atol=SURR_ROUNDOFF * np.abs(d).sum())


@pytest.mark.parametrize("own", [True, False])
@pytest.mark.parametrize("p", [0.12, 0.9])
def test_weighted_sums_derivatives_match_central_differences(own, p):
    # the recursion's own derivatives (log c, p, g; the lumped tails' included) against
    # central differences of its values, on the sums themselves (no loss of ~3 around them).
    # Small p puts much of the mixture's mass below the grid, where only the tails carry it
    from fsltheory.surrogate._decrement_sums import weighted_sums

    eta = _schedules()["cosine"]
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    obs = np.r_[np.arange(210, eta.size, 97), eta.size - 1]
    u = -np.log(eta, where=eta > 0, out=np.full_like(eta, np.inf))
    grid = rate_grid(eta, obs)
    par = {"logc": math.log(2.07), "p": p, "g": 0.64}

    def sums(derivs=False, **kw):
        q = par | kw
        return weighted_sums(
            eta, d, u, obs, grid, q["p"], logc=q["logc"], g=q["g"], derivs=derivs, own=own
        )

    out = sums(derivs=True)
    # the value alone comes from the other kernel (_value_sums): equal to round-off
    np.testing.assert_allclose(out[0], sums()[0], rtol=0, atol=SURR_ROUNDOFF * np.abs(d).sum())
    for row, name in ((1, "logc"), (2, "p"), (3, "g")):
        h = 1e-6 * max(abs(par[name]), 1.0)
        fd = (sums(**{name: par[name] + h})[0] - sums(**{name: par[name] - h})[0]) / (2 * h)
        # truncation ~h^2 and round-off ~eps sum|a| / h: ~1e-9 of the derivative's scale
        np.testing.assert_allclose(out[row], fd, rtol=0, atol=SURR_FD * np.abs(fd).max())


@pytest.mark.parametrize("p", [0.12, 0.9, 2.5])
@pytest.mark.parametrize("y0", [-10.0, -2.5, 0.9, 1.1, 4.0])
def test_lumped_tail_is_the_trapezoid_rule_below_the_grid(p, y0):
    # T0 - T1 Delta lumps sum_{i>=1} h phi_p(y0 - i h) exp(-r_{-i} Delta) (rates r0 e^{-ih})
    # to first order in r Delta; its mass and first moment are the series summed directly.
    # y0 = z0 - l: far below the density (-10, the usual case), inside its left tail (-2.5:
    # a law scale c with c S_max ~ 1e-3), and on both sides of the switch to the complement
    from scipy.special import gammaln

    from fsltheory.surrogate._decrement_sums import _Y_SERIES, DEFAULT_H, DEFAULT_RTOL, _tails

    h, z0 = DEFAULT_H, math.log(1e-6)
    i = np.arange(1, 4000)
    y = y0 - i * h
    terms = h * np.exp(p * y - np.exp(y) - gammaln(p))
    moment = (terms * math.exp(z0) * np.exp(-i * h)).sum()
    T0, T1 = _tails(p, y0, z0, h)
    if y0 <= _Y_SERIES:
        # the series of geometric sums, summed until a term is below 1e-17 of the mass:
        # round-off of ~10 terms (the earlier second-/zeroth-order sums missed by 1e-3 at -2.5)
        assert T0 == pytest.approx(terms.sum(), rel=1e-13, abs=0)
        assert T1 == pytest.approx(moment, rel=1e-13, abs=0)
    else:
        # the complement: with the weights at and above y0 it makes the density's mass 1 and
        # mean p (times e^l) to round-off ...
        up = y0 + h * np.arange(200)
        w = h * np.exp(p * up - np.exp(up) - gammaln(p))
        el = math.exp(z0 - y0)
        assert T0 + w.sum() == pytest.approx(1.0, rel=1e-15)
        assert T1 / el + (w * np.exp(up)).sum() == pytest.approx(p, rel=1e-15)
        # ... and differs from the trapezoid sum below the grid by the rule's own error on the
        # whole line (aliasing; the step is chosen for DEFAULT_RTOL at p <= 3, measured <= 2e-7)
        assert T0 == pytest.approx(terms.sum(), rel=0, abs=DEFAULT_RTOL)
        assert T1 / el == pytest.approx(moment / el, rel=0, abs=DEFAULT_RTOL * (p + 1))


@pytest.mark.parametrize("p", [0.12, 0.9, 2.5])
def test_lumped_tail_is_continuous_where_it_switches_to_the_complement(p):
    # a fit crossing y0 = _Y_SERIES sees no step larger than the rule's aliasing error
    # (the series sums the trapezoid tail, the complement completes the exact mass)
    from fsltheory.surrogate._decrement_sums import _Y_SERIES, DEFAULT_H, DEFAULT_RTOL, _tails

    z0 = math.log(1e-6)
    below = _tails(p, _Y_SERIES, z0, DEFAULT_H, derivs=True)
    above = _tails(p, math.nextafter(_Y_SERIES, 2.0), z0, DEFAULT_H, derivs=True)
    el = math.exp(z0 - _Y_SERIES)
    # (T0, T1, dT0/dl, dT0/dp, dT1/dl, dT1/dp): the T0 rows are O(1), the T1 rows O((p + 1) e^l)
    e1 = (p + 1) * el
    for a, b, s in zip(below, above, [1.0, e1, 1.0, 1.0, e1, e1], strict=True):
        assert abs(a - b) <= DEFAULT_RTOL * s
    assert below != above  # the two branches do run


@pytest.mark.parametrize("p", [0.12, 0.9, 2.5])
@pytest.mark.parametrize("y0", [-17.8, -2.5, 3.0])  # far tail, inside the density, complement
def test_lumped_tail_derivatives_match_central_differences(p, y0):
    # each of dT0/dl, dT0/dp, dT1/dl, dT1/dp on its own: inside a whole sum these terms are
    # below the finite-difference tolerance, so only here can an error in them show
    from fsltheory.surrogate._decrement_sums import DEFAULT_H, _tails

    h, z0 = DEFAULT_H, math.log(1e-6)
    ell = z0 - y0
    T0, T1, T0l, T0p, T1l, T1p = _tails(p, z0 - ell, z0, h, derivs=True)
    e = 1e-6
    dl = [
        (a - b) / (2 * e)
        for a, b in zip(_tails(p, z0 - ell - e, z0, h), _tails(p, z0 - ell + e, z0, h), strict=True)
    ]
    dp = [
        (a - b) / (2 * e)
        for a, b in zip(_tails(p + e, z0 - ell, z0, h), _tails(p - e, z0 - ell, z0, h), strict=True)
    ]
    # central differences at relative step ~1e-6 of smooth closed forms: ~1e-10 relative; the
    # complement (y0 > _Y_SERIES) is 1 - s0 with s0 ~ 1, so its differences carry the
    # round-off of O(1) values, 1e-16 / 1e-6 (the T1 rows scaled by e^l)
    el = math.exp(ell)
    atol = np.array([1.0, el, 1.0, el]) * (1e-9 if y0 > 1.0 else 0.0)
    got, fd = np.array([T0l, T1l, T0p, T1p]), np.array(dl + dp)
    assert np.all(np.abs(got - fd) <= SURR_FD * 1e-3 * np.abs(fd) + atol), (got, fd)


@pytest.mark.parametrize("power, raised", [(3.0, True), (0.6, False)])
def test_prediction_grid_window_drops_only_weightless_rates(power, raised):
    # a prediction knows its power and per-term scales: above 50 times the largest scale no
    # power puts weight (the ceiling); at power 3 the slowest rates carry less than 1e-6 of
    # each term too (the floor), at 0.6 the density's left tail reaches below the grid's
    # start and the floor stays.  The sums move by at most SURR_FAST.
    from fsltheory.surrogate._decrement_sums import grid_eps, grid_step, grid_window

    eta = mpl_schedule("cosine_24000")
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    obs = np.r_[np.arange(2200, eta.size, 25), eta.size - 1]
    logc, zeta = math.log(7.5e-4), 0.61  # the 25M FSL-fast fit's clock
    with np.errstate(divide="ignore"):
        u = -np.log(eta)  # +inf at the warmup's zero first rate, as the laws pass it
    h, eps = grid_step(power), grid_eps(power)
    full = rate_grid(eta, obs, h=h, eps=eps)
    window = grid_window(power, logc, zeta, eta[d != 0])
    cut = rate_grid(eta, obs, h=h, eps=eps, **window)
    assert (cut.z[0] > full.z[0] + 1.0) == raised and cut.z[0] >= full.z[0]
    assert cut.z[-1] < full.z[-1] - 5.0  # the warmup's small rates set the grid's top
    a, b = (
        weighted_sums(eta, d, u, obs, g, power, logc=logc, g=zeta, own=False, derivs=False)[0]
        for g in (full, cut)
    )
    assert np.max(np.abs(a - b)) <= SURR_FAST * np.abs(d).sum()
