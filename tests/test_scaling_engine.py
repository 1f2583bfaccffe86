"""The generic balancing engine and the ScalingResult type (issue #3 item 3; reference §8.3)."""

import itertools

import numpy as np
import pytest
import sympy as sp
from helpers import GRID_MINIMAX
from hypothesis import assume, example, given
from hypothesis import strategies as st

from fsltheory import (
    SCHEDULE_FAMILIES,
    WSD,
    Constant,
    Cosine,
    Exponential,
    Linear,
    Power,
    Schedule,
    derive_scaling,
    intrinsic_profile,
    objective_value,
    reduced_objective,
    solve_point,
)
from fsltheory.symbolic.results import Exponent, paper_regime
from fsltheory.symbolic.terms import BETA, S

PAPER = {
    "constant": Constant(peak=1),
    "exponential": Exponential(peak=1, final=0.01),
    "wsd": WSD(peak=1, shape="exponential", final=0.01),
}
# families outside the paper, balanced by the same code from their profiles alone
OTHERS = {
    "linear": Linear(peak=1),
    "cosine": Cosine(peak=1),
    "power-3": Power(peak=1, p=3.0),
    "wsd-linear": WSD(peak=1, shape="linear"),
}
ALL = {**PAPER, **OTHERS}

#: generic rationals (two decimals) for property tests
betas = st.integers(101, 600).map(lambda k: sp.Rational(k, 100))
ss = st.integers(1, 300).map(lambda k: sp.Rational(k, 100))


def test_scaling_lives_on_the_schedule():
    res = derive_scaling(WSD(peak=1, shape="exponential", final=0.01), "data")
    assert res.schedule == "wsd" and res.budget == "data"
    easy = res.region("easy").values["loss"]
    assert easy.power == -S * BETA / (S * BETA + 1)
    assert sp.simplify(easy.log - (S * BETA - S) / (1 + S * BETA)) == 0
    # the Piecewise attribute and a point evaluation
    assert isinstance(res.loss.power, sp.Piecewise)
    at = derive_scaling(WSD(peak=1, shape="exponential", final=0.01), "data", beta=2, s=1)
    assert (at.loss.power, at.loss.log) == (sp.Rational(-2, 3), sp.Rational(1, 3))
    assert at.regime == "easy" and at.M.relation == "inf"


def test_invalid_arguments():
    sched = Constant(peak=1)
    with pytest.raises(ValueError, match="budget='time' is invalid"):
        derive_scaling(sched, "time")
    with pytest.raises(ValueError, match="beta=1 is invalid"):
        derive_scaling(sched, "data", beta=1, s=1)
    with pytest.raises(ValueError, match="s=0 is invalid"):
        derive_scaling(sched, "data", beta=2, s=0)
    # one implementation, derive_scaling: no schedule class carries its own derivation
    assert not any(hasattr(c, "scaling") for c in (Schedule, *SCHEDULE_FAMILIES.values()))


def test_floats_are_read_exactly():
    a = derive_scaling(Exponential(peak=1, final=0.01), "compute", beta=4.0, s=0.5)
    b = derive_scaling(Exponential(peak=1, final=0.01), "compute", beta=4, s=sp.Rational(1, 2))
    assert a.loss == b.loss and a.loss.power == sp.Rational(-2, 5)


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize("budget", ["data", "compute"])
def test_regions_cover_and_are_labelled(name, budget):
    res = derive_scaling(ALL[name], budget)
    for beta, s in itertools.product(
        [sp.Rational(13, 10), 2, 3, 4, sp.Rational(23, 3)],
        [sp.Rational(1, 10), sp.Rational(7, 10), 2],
    ):
        hits = [r for r in res.regions if r.holds(beta, s)]
        assert hits, (beta, s)
        if hits[0].regime != "any":
            assert hits[0].regime == paper_regime(beta, s)


# --------------------------------------------------------------- Piecewise vs the LP
@given(
    name=st.sampled_from(sorted(ALL)), budget=st.sampled_from(["data", "compute"]), beta=betas, s=ss
)
@example(name="linear", budget="data", beta=sp.Integer(2), s=sp.Rational(3, 10))
@example(name="power-3", budget="compute", beta=sp.Integer(4), s=sp.Rational(9, 10))
def test_piecewise_matches_pointwise_lp(name, budget, beta, s):
    # the symbolic Piecewise (built from a grid of points) vs a fresh exact LP at this point
    assume(s != 1 - 1 / beta)
    sched = ALL[name]
    got = derive_scaling(sched, budget, beta=beta, s=s)
    ((region,),) = [got.regions]
    want = solve_point(reduced_objective(intrinsic_profile(sched)), budget, beta, s)
    assert (region.values["loss"].power, region.values["loss"].log) == want["loss"]
    lr = region.values["lr"]
    assert (lr.power, lr.log) == want["lr_min"]
    assert (lr.upper or (lr.power, lr.log)) == want["lr_max"]
    M = region.values["M"]
    if budget == "data":
        assert M.relation == "inf" and M.lower == want["M_min"]
    else:
        assert (M.power, M.log) == want["M_min"]
    r = region.values["decay_fraction"]
    if r is not None:
        assert (r.power, r.log) == want["r_min"]


def _grid_minimax(terms, bounds, h=0.01):
    """Brute force: min over a grid of the largest term exponent (polynomial parts only)."""
    axes = [np.arange(lo, hi + h / 2, h) for lo, hi in bounds]
    grids = np.meshgrid(*axes, indexing="ij")
    worst = np.max([f(*grids) for f in terms], axis=0)
    return float(worst.min())


@pytest.mark.parametrize(
    "beta,s", [(2.0, 1.0), (4.0, 0.5), (1.5, 0.2), (3.0, 1.5)], ids=lambda v: str(v)
)
def test_grid_search_twin(beta, s):
    # independent twin: the paper's §8.3 objectives typed here as exponent functions of
    # (g, m, r) = log_B of (gamma, M, r), minimised by brute force on a grid
    Dc = lambda m: 1 - m  # D = C / M
    const_C = [lambda g, m: -s * beta * m, lambda g, m: -s * (g + Dc(m)), lambda g, m: g]
    exp_C = [
        lambda g, m: -s * beta * m,
        lambda g, m: -s * (g + Dc(m)),
        lambda g, m: np.minimum(m - Dc(m), (g + Dc(m)) / beta - Dc(m)),
    ]
    wsd_C = [
        lambda g, m, r: -s * beta * m,
        lambda g, m, r: -s * (g + Dc(m)),
        lambda g, m, r: np.minimum(m - r - Dc(m), (g + r + Dc(m)) / beta - r - Dc(m)),
    ]
    cases = [
        ("constant", const_C, [(-1, 0), (0, 1)]),
        ("exponential", exp_C, [(-1, 0), (0, 1)]),
        ("wsd", wsd_C, [(-1, 0), (0, 1), (-1, 0)]),
    ]
    for name, terms, bounds in cases:
        want = derive_scaling(PAPER[name], "compute", beta=beta, s=s).loss.power
        assert abs(_grid_minimax(terms, bounds) - float(want)) < GRID_MINIMAX, name


# --------------------------------------------------------------- boundaries and limits
@given(beta=betas)
@example(beta=sp.Integer(2))
def test_polynomial_exponents_are_continuous_at_the_regime_boundary(beta):
    # the paper: "the exponents coincide at the boundary" s = 1 - 1/beta (reference §9 item 9)
    s0 = 1 - 1 / beta
    for name in ("exponential", "wsd"):
        for budget in ("data", "compute"):
            res = derive_scaling(PAPER[name], budget)
            easy, hard = res.region("easy").values, res.region("hard").values
            for q in ("loss", "lr", "M", "D", "decay_fraction"):
                if easy[q] is None:
                    continue
                if easy[q].relation == "inf":
                    a, b = easy[q].lower[0], hard[q].lower[0]
                else:
                    a, b = easy[q].power, hard[q].power
                assert sp.simplify((a - b).subs({S: s0, BETA: beta})) == 0, (name, budget, q)


@given(beta=betas)
def test_boundary_belongs_to_the_easy_side(beta):
    # at s = 1 - 1/beta exactly the LP optimum is the easy formula (main text: easy s >= ...)
    s0 = 1 - 1 / beta
    for name in ("exponential", "wsd"):
        for budget in ("data", "compute"):
            sched = PAPER[name]
            easy = derive_scaling(sched, budget).region("easy").values["loss"]
            want = solve_point(reduced_objective(intrinsic_profile(sched)), budget, beta, s0)
            got = (easy.power.subs({S: s0, BETA: beta}), easy.log.subs({S: s0, BETA: beta}))
            assert got == want["loss"]


def test_log_factor_jumps_at_the_boundary_for_wsd():
    # logs are independent of powers: where the powers tie, a log can switch on.  At the
    # boundary WSD's loss keeps the easy log (beta-1)^2/beta^2 > 0, just inside hard it is 1
    res = derive_scaling(PAPER["wsd"], "data")
    e = res.region("easy").values["loss"].log.subs(S, 1 - 1 / BETA)
    assert sp.simplify(e - (BETA - 1) ** 2 / BETA**2) == 0
    assert res.region("hard").values["loss"].log == 0


@given(s=ss)
def test_limits_large_and_small_capacity(s):
    # beta -> oo: constant-LR compute exponent -> -s/(s+1), the data exponent
    res = derive_scaling(PAPER["constant"], "compute").region("easy").values["loss"].power
    assert sp.limit(res.subs(S, s), BETA, sp.oo) == -s / (s + 1)
    # beta -> 1+: every task is easy and exp decay's data exponent -> -s/(1+s) (log aside)
    e = derive_scaling(PAPER["exponential"], "data").region("easy").values["loss"].power
    assert sp.limit(e.subs(S, s), BETA, 1) == -s / (1 + s)


# --------------------------------------------------------------- optimal ranges
def test_exp_compute_easy_lr_is_the_smallest_optimal_one():
    # finding: in the easy regime any gamma from the paper's gamma_opt up to 1 is optimal for
    # exponential decay under a compute budget (min(M, T^{1/beta}) = M there)
    sched = PAPER["exponential"]
    obj = reduced_objective(intrinsic_profile(sched))
    at = derive_scaling(sched, "compute", beta=2, s=1)
    lr, M = at.lr, at.M
    assert lr.relation == "ge" and lr.upper == (0, 0)
    best = (at.loss.power, at.loss.log)
    for g in [(lr.power, lr.log), (lr.power / 2, lr.log / 2), (0, 0)]:
        v = objective_value(obj, "compute", beta=2, s=1, lr=g, M=(M.power, M.log))
        assert v == best
    below = (lr.power - sp.Rational(1, 10), lr.log)
    assert objective_value(obj, "compute", beta=2, s=1, lr=below, M=(M.power, M.log)) > best


def test_wsd_hard_decay_fraction_is_a_lower_bound():
    sched = PAPER["wsd"]
    obj = reduced_objective(intrinsic_profile(sched))
    at = derive_scaling(sched, "data", beta=4, s=sp.Rational(1, 2))
    r = at.decay_fraction
    assert (r.power, r.log, r.relation) == (sp.Rational(-1, 3), 1, "ge")  # reference §3.5
    best = (at.loss.power, at.loss.log)
    kw = dict(beta=4, s=sp.Rational(1, 2), lr=(0, 0))
    assert objective_value(obj, "data", r=(r.power, r.log), **kw) == best
    assert objective_value(obj, "data", r=(r.power, r.log - 1), **kw) > best


def test_data_budget_takes_infinite_model_with_sufficient_size():
    at = derive_scaling(PAPER["constant"], "data", beta=2, s=1)
    assert at.M.relation == "inf" and at.M.lower == (sp.Rational(1, 4), 0)
    obj = reduced_objective(intrinsic_profile(PAPER["constant"]))
    lr = (at.lr.power, at.lr.log)
    best = (at.loss.power, at.loss.log)
    assert objective_value(obj, "data", beta=2, s=1, lr=lr, M=at.M.lower) == best
    assert objective_value(obj, "data", beta=2, s=1, lr=lr, M=(sp.Rational(1, 5), 0)) > best


def test_exponent_export_helpers():
    e = Exponent(sp.Rational(-2, 3), sp.Rational(1, 3))
    assert e.to_json() == {"power": "-2/3", "log": "1/3"}
    assert Exponent(sp.oo, relation="inf").to_json() == "inf"
    assert e.as_expr(sp.Symbol("D", positive=True)) == sp.Symbol("D", positive=True) ** (
        sp.Rational(-2, 3)
    ) * sp.log(sp.Symbol("D", positive=True)) ** sp.Rational(1, 3)
