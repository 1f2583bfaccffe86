"""Intrinsic-time profiles and reduced objectives (issue #3 item 2; reference §3, §8.3)."""

import mpmath
import pytest
import sympy as sp
from helpers import NOISE_SLOPE
from hypothesis import example, given
from hypothesis import strategies as st

from fsltheory import (
    WSD,
    ArraySchedule,
    Constant,
    Cosine,
    Cyclic,
    Exponential,
    Linear,
    MultiStep,
    Power,
    derive_scaling,
    exp_decay_noise_I2,
    forgetting_asymptotic,
    intrinsic_profile,
    reduced_objective,
    wsd_forgetting_bound,
)
from fsltheory.symbolic.objectives import T2_SYM, T_SYM
from fsltheory.symbolic.profile import K, R
from fsltheory.symbolic.terms import BETA, GAMMA, CaseTerm, D, M, MinTerm, Monomial, S

# the families and what their profiles must give:
# (schedule, final kind, q (remaining-time power), log power of T_2, log power of T)
PROFILES = [
    (Constant(peak=1), "ratio", None, 0, 0),
    (Exponential(peak=1, final=0.01), "inverse_K", 1, 1, 1),
    (WSD(peak=1, shape="exponential", final=0.01), "inverse_K", 1, 1, 0),
    (Linear(peak=1), "zero", sp.Rational(1, 2), 0, 0),
    (Cosine(peak=1), "zero", sp.Rational(2, 3), 0, 0),
    (Power(peak=1, p=3.0), "zero", sp.Rational(3, 4), 0, 0),
    (Power(peak=1, p=0.5), "zero", sp.Rational(1, 3), 0, 0),
    (WSD(peak=1, shape="linear"), "zero", sp.Rational(1, 2), 0, 0),
    (WSD(peak=1, shape="cosine"), "zero", sp.Rational(2, 3), 0, 0),
    # 1 - sqrt(v) vanishes linearly at v = 1, like linear decay
    (WSD(peak=1, shape="1-sqrt"), "zero", sp.Rational(1, 2), 0, 0),
    (MultiStep(peak=1), "ratio", None, 0, 0),
    (Cyclic(peak=1, low=0.1), "ratio", None, 0, 0),
    (Cosine(peak=1, final=0.1), "ratio", 2, 0, 0),
]


@pytest.mark.parametrize("case", PROFILES, ids=lambda c: intrinsic_profile(c[0]).family)
def test_profile_derivations(case):
    sched, kind, q, l2, l = case
    prof = intrinsic_profile(sched)
    assert prof.final_kind == kind
    assert prof.remaining_time_power == q
    assert prof.decay_time_log_power == l2
    assert prof.time_log_power == l


def test_total_intrinsic_time_factors():
    # T = peak K int_0^1 f: exact integrals of the profiles (Section 5.2 for exp decay)
    assert intrinsic_profile(Linear(peak=1)).total_time_factor == sp.Rational(1, 2)
    assert intrinsic_profile(Cosine(peak=1)).total_time_factor == sp.Rational(1, 2)
    assert intrinsic_profile(Power(peak=1, p=3.0)).total_time_factor == sp.Rational(1, 4)
    exp = intrinsic_profile(Exponential(peak=1, final=0.01)).total_time_factor
    assert sp.simplify(exp - (1 - 1 / K) / sp.log(K)) == 0
    wsd = intrinsic_profile(WSD(peak=1, shape="exponential", final=0.01)).total_time_factor
    assert sp.simplify(wsd - ((1 - R) + R * (1 - 1 / K) / sp.log(K))) == 0


@given(p=st.fractions(min_value="1/7", max_value=6, max_denominator=7))
@example(p=1)
def test_power_decay_remaining_time_power(p):
    # eta ~ (1-u)^p and tau ~ (1-u)^{p+1} give gamma(tau) ~ (tau/T)^{p/(p+1)} (issue brief)
    p = sp.Rational(p.numerator, p.denominator)
    prof = intrinsic_profile(Power(peak=1, p=float(p)))
    p_exact = sp.nsimplify(float(p))
    assert prof.end_power == p_exact
    assert prof.remaining_time_power == p_exact / (p_exact + 1)


def test_array_schedule_has_no_profile():
    with pytest.raises(ValueError, match="no intrinsic-time description"):
        derive_scaling(ArraySchedule([0.1, 0.1]), "data")


# ---------------------------------------------------------------- Theorems 5.2-5.4 (§8.3)
def _powers(expr) -> dict:
    """``{base: exponent}`` of a product of powers of positive symbols (and log D)."""
    e = sp.expand_power_base(sp.powsimp(sp.sympify(expr), force=True), force=True)
    out = {}
    for factor in sp.Mul.make_args(e):
        base, k = factor.as_base_exp()
        while True:  # (1/log D)^k -> log(D)^-k
            inner, j = base.as_base_exp()
            if j == 1:
                break
            base, k = inner, k * j
        if base != 1:
            out[base] = sp.simplify(out.get(base, 0) + k)
    return {b: k for b, k in out.items() if k != 0}


def _flat_bodies(obj):
    ((cond, bodies),) = obj.cases()
    assert cond == sp.true
    out = set()
    for b in bodies:
        if isinstance(b, MinTerm):
            out.add(frozenset(frozenset(_powers(m.to_sympy()).items()) for m in b.flat()))
        else:
            out.add(frozenset(_powers(b.to_sympy()).items()))
    return out


def _expected(*terms):
    out = set()
    for t in terms:
        if isinstance(t, tuple):  # a min(...) term: its branches
            out.add(frozenset(frozenset(_powers(x).items()) for x in t))
        else:
            out.add(frozenset(_powers(t).items()))
    return out


Dt = D / sp.log(D)  # D~ = D / log D (Theorem D.8)


def test_constant_objective_is_theorem_5_2():
    obj = reduced_objective(intrinsic_profile(Constant(peak=1)))
    assert _flat_bodies(obj) == _expected(M ** (-S * BETA), (GAMMA * D) ** (-S), GAMMA)


def test_exponential_objective_is_theorem_5_3():
    obj = reduced_objective(intrinsic_profile(Exponential(peak=1, final=0.01)))
    want = _expected(
        M ** (-S * BETA),
        (GAMMA * Dt) ** (-S),
        GAMMA / D,  # sigma^2 b / B with b = a/K (eq. 24)
        (M / Dt, (GAMMA * Dt) ** (1 / BETA) / Dt),
    )
    assert _flat_bodies(obj) == want


def test_wsd_objective_is_theorem_5_4():
    obj = reduced_objective(intrinsic_profile(WSD(peak=1, shape="exponential", final=0.01)))
    D2t = R * D / sp.log(D)
    want = _expected(
        M ** (-S * BETA),
        (GAMMA * D) ** (-S),
        GAMMA / D,
        (M / D2t, (GAMMA * D2t) ** (1 / BETA) / D2t),
    )
    assert _flat_bodies(obj) == want
    assert obj.variables == ("lr", "r")


def test_final_lr_term_is_dominated():
    # Theorem D.8 drops sigma^2 b/B: balancing without it gives the same exponents
    from dataclasses import replace

    from fsltheory import balance

    obj = reduced_objective(intrinsic_profile(Exponential(peak=1, final=0.01)))
    slim = replace(obj, terms=tuple(t for t in obj.terms if t.label != "noise: final LR"))
    full, cut = balance(obj, "data"), balance(slim, "data")
    assert [r.values for r in full.regions] == [r.values for r in cut.regions]


@pytest.mark.parametrize("p", [0.5, 1.0, 2.0, 3.0])
def test_power_decay_noise_is_piecewise_at_beta_p_plus_1(p):
    # convergence of int tau^{q - 2 + 1/beta} at large tau: q = p/(p+1) vs 1 - 1/beta
    obj = reduced_objective(intrinsic_profile(Power(peak=1, p=p)))
    (term,) = [t for t in obj.terms if isinstance(t.body, CaseTerm)]
    conds = [c for c, _ in term.body.cases]
    edge = sp.nsimplify(p) + 1
    assert conds == [sp.Lt(BETA, edge), sp.Eq(BETA, edge), sp.Gt(BETA, edge)]
    grow, edge_body, conv = (b for _, b in term.body.cases)
    assert isinstance(grow, MinTerm) and isinstance(conv, Monomial)
    assert edge_body.log == 1  # the boundary case carries log D


def test_fixed_sign_cases_collapse():
    # q = 1 > 1 - 1/beta for every beta: exponential decay needs no Piecewise
    obj = reduced_objective(intrinsic_profile(Exponential(peak=1, final=0.01)))
    assert not any(isinstance(t.body, CaseTerm) for t in obj.terms)


def _t_power(expr, sym) -> sp.Expr:
    return sp.sympify(expr).as_powers_dict().get(sym, 0)


def _noise(T, q, beta) -> mpmath.mpf:
    """The FSL noise of a decay gamma(tau) = (tau/T)^q with the M = oo kernel (1+tau)^-(2-1/b)."""
    f = lambda t: (1 + t) ** (-(2 - mpmath.mpf(1) / beta)) * t**q
    pts = [0, 1] + [mpmath.mpf(10) ** k for k in range(1, int(mpmath.log10(T)) + 1)]
    return T ** (-q) * mpmath.quad(f, pts)


@pytest.mark.parametrize(
    "sched,beta",
    [
        (Linear(peak=1), sp.Integer(6)),  # q = 1/2 < 1 - 1/beta: converges
        (Linear(peak=1), sp.Rational(5, 4)),  # q = 1/2 > 1 - 1/beta: grows
        (Cosine(peak=1), sp.Rational(6, 5)),
        (Power(peak=1, p=0.5), sp.Integer(10)),
        (Exponential(peak=1, final=0.01), sp.Integer(3)),
    ],
    ids=["linear-6", "linear-5/4", "cosine-6/5", "power-1/2-10", "exp-3"],
)
def test_noise_term_exponent_numeric_twin(sched, beta):
    # numeric twin of the Piecewise decay-noise term: log-log slope of the noise integral
    mpmath.mp.dps = 30
    obj = reduced_objective(intrinsic_profile(sched))
    (term,) = [t for t in obj.terms if t.label == "noise: decay"]
    disp = term.display
    if isinstance(disp, sp.Piecewise):
        disp = disp.subs(BETA, beta)
    disp = disp.subs(BETA, beta)
    # M = oo: min(T^x, M^y) is its T branch
    disp = disp.replace(sp.Min, lambda *a: next(x for x in a if x.has(T_SYM)))
    want = _t_power(sp.powsimp(disp / GAMMA, force=True), T_SYM)
    q = intrinsic_profile(sched).remaining_time_power
    T1, T2 = mpmath.mpf(10) ** 14, mpmath.mpf(10) ** 16
    slope = (mpmath.log(_noise(T2, q, beta)) - mpmath.log(_noise(T1, q, beta))) / (
        mpmath.log(T2) - mpmath.log(T1)
    )
    assert abs(float(slope) - float(want)) < NOISE_SLOPE


def test_kernel_exponents_agree_with_kernel_asymptotics():
    # the objectives use K_M(tau) ~ tau^-(2-1/beta) (eq. 10); H4's derived asymptotics agree
    b = [x for x in forgetting_asymptotic().exponent.free_symbols][0]
    assert sp.simplify(forgetting_asymptotic().exponent.subs(b, BETA) - (-(2 - 1 / BETA))) == 0
    exp_obj = reduced_objective(intrinsic_profile(Exponential(peak=1, final=0.01)))
    (noise,) = [t for t in exp_obj.terms if t.label == "noise: decay"]
    t_branch = noise.display.replace(sp.Min, lambda a, b_: a if a.has(T_SYM) else b_)
    mine = _t_power(sp.powsimp(t_branch / GAMMA, force=True), T_SYM)
    i2 = exp_decay_noise_I2().exponent
    assert sp.simplify(i2.subs(list(i2.free_symbols)[0], BETA) - mine) == 0
    wsd_obj = reduced_objective(intrinsic_profile(WSD(peak=1, shape="linear")))
    (stable,) = [t for t in wsd_obj.terms if t.label == "noise: stable phase"]
    t_branch = stable.display.replace(sp.Min, lambda a, b_: a if a.has(T2_SYM) else b_)
    mine = _t_power(sp.powsimp(t_branch / GAMMA, force=True), T2_SYM)
    bound = wsd_forgetting_bound().exponent
    assert sp.simplify(bound.subs(list(bound.free_symbols)[0], BETA) - mine) == 0
