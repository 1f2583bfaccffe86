"""The paper's three claims, proven symbolically over their regions (reference §4).

Each check is a difference of derived exponents; ``proven()`` rewrites it over a
parametrisation of the region by positive symbols and asks for a ratio of polynomials with
positive coefficients.  The numeric twins evaluate the same differences at random points of
the region (hypothesis).
"""

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from fsltheory import claim_checks, derive_scaling
from fsltheory.symbolic.claims import ALPHA, region_parametrisation
from fsltheory.symbolic.positivity import manifestly_positive, sign_on_domain
from fsltheory.symbolic.terms import BETA, S

CHECKS = claim_checks()


def _id(c):
    return f"claim{c.claim}-{c.budget}-{c.regime}-{'eq' if c.relation == '==' else 'gt'}-{CHECKS.index(c)}"


def test_every_claim_is_covered():
    # claim 1: 3 schedules x 2 budgets x 2 regimes; claim 2: 2 x 2; claim 3: 2 x 2 x (=, >)
    counts = {k: sum(c.claim == k for c in CHECKS) for k in (1, 2, 3)}
    assert counts == {1: 12, 2: 4, 3: 8}


@pytest.mark.parametrize("check", CHECKS, ids=_id)
def test_claim_is_proven_on_its_region(check):
    assert check.proven(), (check.statement, check.parametrised())


def test_capacity_gain_is_nil_in_the_easy_regime_of_decays():
    # exp/WSD easy: the rate depends on alpha = s beta only (Section 5.2 remarks)
    easy = [c for c in CHECKS if c.claim == 1 and c.regime == "easy" and c.relation == "=="]
    assert len(easy) == 4 and all(c.difference == 0 for c in easy)


def test_wsd_gain_over_exp_is_exactly_these_logs():
    # reference §4 claim 3: (log D)^{s/(1+s beta)}, (log D)^s, (log C)^{s/(2+s beta)},
    # (log C)^{s beta/(1+beta)}
    gains = {
        (c.budget, c.regime): c.difference for c in CHECKS if c.claim == 3 and c.relation == ">"
    }
    want = {
        ("data", "easy"): S / (1 + S * BETA),
        ("data", "hard"): S,
        ("compute", "easy"): S / (2 + S * BETA),
        ("compute", "hard"): S * BETA / (1 + BETA),
    }
    assert all(sp.simplify(gains[k] - v) == 0 for k, v in want.items())


def test_region_parametrisations_cover_their_regions():
    # easy: s - (1 - 1/beta) = c > 0; hard: 1 - 1/beta - s > 0 and s > 0
    gap = S - (1 - 1 / BETA)
    assert manifestly_positive(gap.subs(region_parametrisation("easy")))
    assert manifestly_positive((-gap).subs(region_parametrisation("hard")))
    assert manifestly_positive(S.subs(region_parametrisation("hard")))


def test_proof_rejects_a_false_claim():
    # sanity: the same machinery does not "prove" constant LR beats exp decay
    (c,) = [c for c in CHECKS if c.claim == 2 and c.budget == "data" and c.regime == "hard"]
    assert not manifestly_positive((-c.difference).subs(region_parametrisation("hard")))
    assert sign_on_domain(1 + S * BETA - BETA) is None  # the regime boundary changes sign


@st.composite
def region_points(draw, regime):
    beta = sp.Rational(draw(st.integers(105, 800)), 100)
    edge = 1 - 1 / beta
    if regime == "easy":
        s = edge + sp.Rational(draw(st.integers(1, 300)), 100)
    else:
        s = edge * sp.Rational(draw(st.integers(1, 99)), 100)
    return beta, s


@pytest.mark.parametrize("regime", ["easy", "hard"])
@given(data=st.data())
def test_claims_numeric_twin(regime, data):
    beta, s = data.draw(region_points(regime))
    for check in CHECKS:
        if check.regime == regime:
            assert check.holds_at(beta, s), (check.statement, beta, s)


@settings(max_examples=20)  # each example evaluates six Piecewise results
@given(data=st.data())
def test_capacity_claim_numeric_twin_by_finite_difference(data):
    # claim 1 without derivatives: at fixed alpha, shrinking beta (hard regime) raises the
    # data-limited rate s = alpha/beta of exp decay and the constant-LR rate alpha/(alpha+beta)
    from fsltheory.schedules.registry import schedule_from_spec

    beta = sp.Rational(data.draw(st.integers(260, 800)), 100)
    alpha = sp.Rational(data.draw(st.integers(10, 100)), 100)  # alpha < beta - 1: hard
    smaller = beta - sp.Rational(1, 2)
    assert alpha < smaller - 1
    for name in ("constant", "exponential", "wsd"):
        rates = [
            -derive_scaling(schedule_from_spec(name), "data", beta=b, s=alpha / b).loss.power
            for b in (beta, smaller)
        ]
        assert rates[1] > rates[0], name
    assert ALPHA.is_positive
