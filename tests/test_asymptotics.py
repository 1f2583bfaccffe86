"""Kernel asymptotics (issue #3 item 1): exact SymPy results and their numeric twins.

The twins never use the library's derivation: each quantity is re-defined here from the
paper (per-mode summand as a combination ``c lambda^m e^{-k lambda}``, ``lambda = j^-beta``)
and summed exactly: float64 for ``j <= J`` and, for ``j > J``, the Taylor series in ``lambda``
summed against Hurwitz zeta values (``sum_{j>J} j^-w = zeta(w, J + 1)``, Euler-Maclaurin
written out below) at 40 digits, so
``M`` can be ``1e15`` at no cost.  Where the edge ``j ~ M`` dominates (``t >> M^beta``), the
terms near ``M`` are summed in float64 relative to the last one.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from helpers import ASYMPTOTIC, ASYMPTOTIC_MISS, MP, rel_err
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fsltheory import (
    KernelAsymptotic,
    constant_lr_noise,
    exp_decay_noise_I1,
    exp_decay_noise_I2,
    forgetting_asymptotic,
    signal_asymptotic,
    wsd_forgetting_bound,
)

beta, s, t, T, T2, M, u, j = (
    sp.Symbol(n, positive=True) for n in ("beta", "s", "t", "T", "T_2", "M", "u", "j")
)


# ------------------------------------------------------------------------------ twins
def hurwitz(w, a, order=40):
    """Hurwitz ``zeta(w, a) = sum_{j>=0} (a + j)^-w`` by Euler-Maclaurin, at mpmath precision.

    Written out because ``mpmath.zeta(w, a)`` loses ~10 digits for ``w ~ 25``, ``a ~ 100``
    (checked against direct sums), exactly the range the tail series below needs.  The
    first ``n`` terms are summed directly so that ``q = a + n >= w + 30``; the Bernoulli terms
    then shrink like ``((w + 2k)/(2 pi q))^2`` per order.
    """
    w, a = mpmath.mpf(w), mpmath.mpf(a)
    n = max(0, math.ceil(float(w)) + 30 - int(a))
    head = mpmath.fsum(mpmath.power(a + i, -w) for i in range(n))
    q = a + n
    tail = q ** (1 - w) / (w - 1) + q ** (-w) / 2
    rising = w  # w (w + 1) ... (w + 2k - 2)
    eps = mpmath.mpf(10) ** (-mpmath.mp.dps - 2) * tail
    for k in range(1, order + 1):
        term = mpmath.bernoulli(2 * k) / mpmath.factorial(2 * k) * rising * q ** (-w - 2 * k + 1)
        tail += term
        if abs(term) < eps:
            break
        rising *= (w + 2 * k - 1) * (w + 2 * k)
    return head + tail


def power_sum(a0, b, terms, m_width=None, *, dps=40, j_max=2 * 10**6):
    """``sum_{j=1}^{M} j^-a0 sum_i c_i lam^m_i exp(-k_i lam)``, ``lam = j^-b`` (``M=None``: oo).

    ``J`` is chosen so that ``ratio = k lam_J`` is 1 (or up to 20 when that would need more than
    ``j_max`` head terms): the tail's Taylor series then has terms of size at most
    ``e^ratio``, harmless at ``dps`` digits.
    """
    kmax = max(float(k) for _, _, k in terms)
    ratio = min(20.0, max(1.0, kmax / j_max**b))
    J = int(math.ceil((kmax / ratio) ** (1.0 / b))) + 10
    if m_width is not None and m_width <= J:
        J = int(m_width)
    jj = np.arange(1, J + 1, dtype=float)
    lam = jj ** (-b)
    head = np.zeros_like(jj)
    for c, m, k in terms:
        head += float(c) * lam**m * np.exp(-float(k) * lam)
    total = mpmath.mpf(float(np.sum(jj ** (-a0) * head)))
    if m_width is not None and m_width == J:
        return total
    with mpmath.workdps(dps):
        acc, quiet = mpmath.mpf(0), 0
        scale = max(abs(mpmath.mpf(c)) for c, _, _ in terms)
        for n in range(4000):
            cn = mpmath.fsum(
                mpmath.mpf(c) * (-mpmath.mpf(k)) ** (n - m) / mpmath.factorial(n - m)
                for c, m, k in terms
                if n >= m
            )
            w = a0 + n * b
            if w <= 1:  # such a coefficient must cancel, else the sum diverges
                assert abs(cn) <= mpmath.mpf(10) ** (-dps + 5) * scale
                continue
            zeta_part = hurwitz(w, J + 1)
            if m_width is not None:
                zeta_part -= hurwitz(w, m_width + 1)
            term = cn * zeta_part
            acc += term
            if n > 3 * ratio and abs(term) <= mpmath.mpf(10) ** (-dps + 3) * abs(acc):
                quiet += 1
                if quiet > 3:
                    break
        return total + acc


def edge_sum(a0, b, m, k, m_width):
    """``sum_{j<=M} j^-a0 lam^m e^{-k lam}`` when ``k M^-b >> 1`` (only ``j ~ M`` matters)."""
    lam_m = float(m_width) ** (-b)
    # terms fall by e^{-k b lam_M (M - j)/M}; 80 e-folds is far below float64 round-off
    span = int(min(m_width - 1, math.ceil(80.0 / (k * b * lam_m / m_width))))
    jj = np.arange(m_width - span, m_width + 1, dtype=float)
    dlam = lam_m * np.expm1(-b * np.log(jj / m_width))  # lam_j - lam_M without cancellation
    ratio = np.sum(np.exp(-(a0 + m * b) * np.log(jj / m_width) - k * dlam))
    with mpmath.workdps(30):
        mm = mpmath.mpf(m_width)
        return mm ** (-a0 - m * b) * mpmath.exp(-mpmath.mpf(k) * mm ** (-b)) * float(ratio)


#: the paper's definitions, per mode, as (coefficient, power of lambda, decay rate)
def paper_sum(name, b, sv, x):
    """``(a0, terms, time keyword)`` of each quantity at time ``x``."""
    if name == "signal":  # e_M: lambda_j theta_j^2 e^{-2 lambda t}, lambda theta^2 = j^(-1-s beta)
        return 1 + sv * b, [(1, 0, 2 * x)], "t"
    if name == "forgetting":  # K_M: lambda^2 e^{-2 lambda t}
        return 0, [(1, 2, 2 * x)], "t"
    if name in ("constant_lr", "I1"):  # lambda (1 - e^{-2 lambda T}) / 2
        return 0, [(0.5, 1, 0), (-0.5, 1, 2 * x)], "T"
    if name == "I2":  # -lambda e^{-2 lambda T}/2 + (1 - e^{-2 lambda T})/(4T)
        return 0, [(-0.5, 1, 2 * x), (1 / (4 * x), 0, 0), (-1 / (4 * x), 0, 2 * x)], "T"
    if name == "wsd":  # lambda e^{-2 lambda T_2} / 2
        return 0, [(0.5, 1, 2 * x)], "T_2"
    raise KeyError(name)


KERNELS = {
    "signal": signal_asymptotic,
    "forgetting": forgetting_asymptotic,
    "constant_lr": constant_lr_noise,
    "I1": exp_decay_noise_I1,
    "I2": exp_decay_noise_I2,
    "wsd": wsd_forgetting_bound,
}


def values_for(name, b, sv, x):
    """Keyword values for ``KernelAsymptotic.evaluate`` (without ``M``)."""
    key = paper_sum(name, b, sv, x)[2]
    return {"beta": b, key: x} | ({"s": sv} if name == "signal" else {})


def twin_and_values(name, b, sv, x, m_width):
    a0, terms, _ = paper_sum(name, b, sv, x)
    return power_sum(a0, b, terms, m_width), values_for(name, b, sv, x)


# ------------------------------------------------------------------- exact (SymPy ==)
def test_signal_law_exact():
    sig = signal_asymptotic()
    assert sig.exponent == -s
    assert sig.constant == sp.gamma(s) / beta * 2 ** (-s)
    assert sig.tail == -sp.zeta(1 + s * beta, M + 1)
    # eq. (18): the continuum form after u = j^-beta
    assert sig.proxy == sp.Integral(u ** (s - 1) * sp.exp(-2 * u * t) / beta, (u, M**-beta, 1))
    assert sig.window == (1, M**beta)
    assert sig.saturated == M ** (beta * (1 - s)) * sp.exp(-2 * t / M**beta) / (2 * beta * t)


def test_forgetting_law_exact():
    K = forgetting_asymptotic()
    assert K.exponent == -(2 - 1 / beta)
    assert K.constant == sp.gamma(2 - 1 / beta) / beta * 2 ** (-(2 - 1 / beta))
    assert K.tail == -sp.zeta(2 * beta, M + 1)
    (f, (_, lo, hi)) = K.proxy.function, K.proxy.limits[0]
    # eq. (20): (1/beta) z^{1 - 1/beta} e^{-2 z t} on [M^-beta, 1]
    assert sp.simplify(f - u ** (1 - 1 / beta) * sp.exp(-2 * u * t) / beta) == 0
    assert (lo, hi) == (M**-beta, 1)


@pytest.mark.parametrize(
    "factory", [signal_asymptotic, forgetting_asymptotic, wsd_forgetting_bound]
)
def test_dropping_the_limits_is_the_law(factory):
    # the brief's route: integrate the continuum form over (0, oo) instead of [M^-beta, 1]
    r = factory()
    full = sp.integrate(r.proxy.function, (u, 0, sp.oo), conds="none")
    assert sp.simplify(full - r.law) == 0


def test_exact_sums_are_the_paper_definitions():
    lam = j**-beta
    cases = {
        signal_asymptotic: j ** (-1 - s * beta) * sp.exp(-2 * lam * t),
        forgetting_asymptotic: lam**2 * sp.exp(-2 * lam * t),
        constant_lr_noise: lam * (1 - sp.exp(-2 * lam * T)) / 2,
        exp_decay_noise_I1: lam * (1 - sp.exp(-2 * lam * T)) / 2,
        exp_decay_noise_I2: -lam * sp.exp(-2 * lam * T) / 2 + (1 - sp.exp(-2 * lam * T)) / (4 * T),
        wsd_forgetting_bound: lam * sp.exp(-2 * lam * T2) / 2,
    }
    for factory, summand in cases.items():
        ex = factory().exact
        body = ex.args[0] * ex.args[1].function if ex.is_Mul else ex.function
        assert sp.simplify(body - summand) == 0, factory.__name__


def test_constant_lr_limit_and_rate_exact():
    c = constant_lr_noise()
    assert c.limit == sp.zeta(beta) / 2  # C_beta, by dominated convergence
    assert c.law == c.limit  # ... and as the z = 0 Mellin residue
    assert c.exponent == 0
    rate = -sp.gamma(1 - 1 / beta) / (2 * beta) * 2 ** (-(1 - 1 / beta)) * T ** (-(1 - 1 / beta))
    assert c.approach == rate
    assert c.tail == -T * sp.zeta(2 * beta, M + 1)
    assert c.saturated.subs(T, sp.oo) == (sp.zeta(beta) - sp.zeta(beta, M + 1)) / 2


def test_I1_is_the_constant_lr_integral():
    a, b = exp_decay_noise_I1(), constant_lr_noise()
    assert a.terms == b.terms and a.tail == b.tail and a.limit == b.limit


def test_I2_two_regimes_exact():
    i2 = exp_decay_noise_I2()
    assert i2.exponent == -(1 - 1 / beta)
    assert i2.constant == sp.gamma(2 - 1 / beta) * 2 ** (1 / beta - 2)
    assert i2.terms[1] == -1 / (8 * T)  # zeta(0)/4, the z = 0 residue
    assert i2.tail == -T * sp.zeta(2 * beta, M + 1) / 2
    # T >> M^beta: every mode is saturated, I_2 = M/(4T)
    assert sp.limit(i2.saturated * T, T, sp.oo) == M / 4
    assert i2.crossover == (M / sp.gamma(2 - 1 / beta)) ** beta / 2
    # ... where the window law meets M/(4T); Gamma(2 - 1/beta) > 0 named G so powers combine
    G = sp.Symbol("G", positive=True)
    meet = (i2.law / (M / (4 * T))).subs(T, i2.crossover).subs(sp.gamma(2 - 1 / beta), G)
    assert sp.simplify(sp.powdenest(sp.expand_power_base(meet, force=True), force=True)) == 1


@pytest.mark.parametrize("b", [1.1, 1.5, 2.0, 3.0, 7.0])
def test_I2_constant_is_the_papers_integral(b):
    # Lemma D.6's integral int_0^oo (1 - e^-u - u e^-u) u^{-1-1/beta} du, by quadrature,
    # against the closed form beta Gamma(2 - 1/beta) behind the derived constant
    mpmath.mp.dps = 30
    nu = mpmath.mpf(1) / b

    def f(x):
        with mpmath.extradps(60):  # 1 - e^-x - x e^-x ~ x^2/2 cancels near 0
            return (-mpmath.expm1(-x) - x * mpmath.exp(-x)) * x ** (-1 - nu)

    # on [10, oo) the algebraic tail x^{-1-nu} is integrated in closed form, so quadrature
    # only meets smooth or exponentially decaying integrands
    quad = mpmath.quad(f, [0, 1, 10]) + mpmath.mpf(10) ** (-nu) / nu
    quad -= mpmath.quad(lambda x: (1 + x) * mpmath.exp(-x) * x ** (-1 - nu), [10, mpmath.inf])
    closed = b * mpmath.gamma(2 - nu)
    assert rel_err(quad, closed) <= MP()
    # I_2 ~ (1/T)(1/beta) T^{1/beta} int_0^oo v^{-1-1/beta} g(v) dv with g(v) = (1 - e^{-2v}
    # - 2v e^{-2v})/4; u = 2v turns that integral into 2^{1/beta}/4 times the paper's
    paper = beta * sp.gamma(2 - 1 / beta)
    assert sp.simplify(exp_decay_noise_I2().constant - 2 ** (1 / beta) / (4 * beta) * paper) == 0


def test_wsd_forgetting_two_regimes_exact():
    w = wsd_forgetting_bound()
    assert w.exponent == -(1 - 1 / beta)
    assert w.constant == sp.gamma(1 - 1 / beta) / beta * 2 ** (1 / beta - 2)
    assert w.tail == -sp.zeta(beta, M + 1) / 2
    assert w.saturated == M * sp.exp(-2 * T2 / M**beta) / (4 * beta * T2)
    # Lemma D.10's bound min(M, T2^{1/beta})/T2: attained in the window, loose beyond it
    assert sp.simplify(w.law * T2 / T2 ** (1 / beta)) == w.constant
    assert sp.simplify(w.saturated * T2 / M - sp.exp(-2 * T2 / M**beta) / (4 * beta)) == 0
    # the deficit of the constant-LR integral is the forgetting integral (M = oo)
    assert sp.simplify(constant_lr_noise().approach + w.law.subs(T2, T)) == 0


def test_exponent_limits():
    sig, K, w, i2 = (
        signal_asymptotic(),
        forgetting_asymptotic(),
        wsd_forgetting_bound(),
        exp_decay_noise_I2(),
    )
    assert sp.limit(sig.exponent, s, 0) == 0
    assert sp.limit(K.exponent, beta, sp.oo) == -2  # high capacity cost vanishes
    assert sp.limit(K.exponent, beta, 1) == -1
    assert sp.limit(w.exponent, beta, sp.oo) == -1
    assert sp.limit(w.exponent, beta, 1) == 0
    assert i2.exponent == w.exponent  # both are T^{1/beta}/T (Theorems 5.3, 5.4)


# ------------------------------------------------------------------- numeric twins
# (name, beta, s, time, M): far inside the window, large enough M that the finite-M tail is
# below 1e-9 relative, and large enough t that the Poisson remainder is below 1e-9
LAW_POINTS = [
    ("signal", 2.0, 0.5, 1e3, 10**12),
    ("signal", 1.5, 1.0, 1e3, 10**12),
    ("forgetting", 2.0, None, 1e3, 10**9),
    ("forgetting", 3.0, None, 1e4, 10**9),
    ("wsd", 2.0, None, 1e3, 10**15),
    ("wsd", 1.5, None, 1e4, 10**15),
    # the approach to zeta(beta)/2 is T^{-(1-1/beta)}: 1e-7 at T = 1e13
    ("constant_lr", 2.0, None, 1e13, None),
    # I_2's next term -1/(8T) is 1/(2 Gamma(3/2) (2T)^{1/2}) relative: 4e-8 at T = 1e14
    ("I2", 2.0, None, 1e14, None),
]


@pytest.mark.parametrize("name, b, sv, x, m_width", LAW_POINTS)
def test_leading_law_matches_the_sum(name, b, sv, x, m_width):
    exact, values = twin_and_values(name, b, sv, x, m_width)
    law = KERNELS[name]().evaluate("law", **values)
    assert rel_err(law, exact) <= ASYMPTOTIC


# moderate M and t: the leading law alone misses, law + derived correction hits
CORRECTION_POINTS = [
    ("signal", 2.0, 0.5, 1e3, 10**5),
    ("signal", 3.0, 0.3, 1e4, 10**5),
    ("forgetting", 2.0, None, 1e3, 10**3),
    ("constant_lr", 2.0, None, 1e3, 10**5),
    ("I1", 1.5, None, 1e3, 10**9),
    ("I2", 2.0, None, 1e3, 10**5),
    ("I2", 1.5, None, 1e3, 10**9),
    ("wsd", 2.0, None, 1e3, 10**5),
]


@pytest.mark.parametrize("name, b, sv, x, m_width", CORRECTION_POINTS)
def test_law_plus_correction_matches_the_sum(name, b, sv, x, m_width):
    exact, values = twin_and_values(name, b, sv, x, m_width)
    r = KERNELS[name]()
    law = r.evaluate("law", **values)
    corrected = law + r.evaluate("correction", **values, M=m_width)
    assert rel_err(law, exact) > ASYMPTOTIC_MISS
    assert rel_err(corrected, exact) <= ASYMPTOTIC


@pytest.mark.parametrize("b, m_width, x", [(2.0, 10**7, 3000.0), (1.5, 10**8, 1000.0)])
@pytest.mark.parametrize("name", ["signal", "forgetting", "wsd"])
def test_saturated_regime_edge_law(name, b, m_width, x):
    # t = x M^beta: M^beta << t << M^{beta+1}; Watson's lemma leaves O(1/x^2), the
    # Euler-Maclaurin end point O((x/M)^2): both <= 1e-7 here
    sv = 0.5
    tt = x * m_width**b
    a0, terms, key = paper_sum(name, b, sv, tt)
    ((c, m, k),) = terms
    exact = c * edge_sum(a0, b, m, k, m_width)
    values = values_for(name, b, sv, tt) | {"M": m_width}
    r = KERNELS[name]()
    lead, nxt = r.evaluate("saturated", **values), r.evaluate("saturated_next", **values)
    assert rel_err(lead + nxt, exact) <= ASYMPTOTIC
    # the leading form alone is off by about its own next term, no more
    assert abs(lead - exact) <= 2 * abs(nxt)


@pytest.mark.parametrize("name", ["I2", "constant_lr"])
def test_saturated_regime_constant_part(name):
    # T = 30 M^beta: the saturated forms are exact up to e^{-60}
    b, m_width = 2.0, 200
    x = 30.0 * m_width**b
    exact, values = twin_and_values(name, b, None, x, m_width)
    r = KERNELS[name]()
    assert rel_err(r.evaluate("saturated", **values, M=m_width), exact) <= ASYMPTOTIC
    if name == "I2":
        assert rel_err(m_width / (4 * x), exact) <= ASYMPTOTIC


REMAINDER_CASES = [
    ("signal", 2.0),
    ("signal", 3.0),
    ("forgetting", 3.0),
    ("wsd", 1.5),
    ("constant_lr", 2.0),
    ("I2", 2.0),
]


@pytest.mark.parametrize("name, b", REMAINDER_CASES)
def test_upper_cutoff_remainder_estimate(name, b):
    # M = oo: the full expansion's only error is the oscillating k = +-1 Poisson term, whose
    # saddle-point envelope is `remainder`.  Envelope within its next order O(t^{-1/(b+1)})
    # (<= 50% here); the oscillation can only make the error smaller, but at one of three
    # points it reaches a third of the envelope (observed 0.7-1.1), so the scale is right
    r = KERNELS[name]()
    ratios = []
    for x in (10.0, 30.0, 100.0, 300.0):
        estimate = float(r.evaluate("remainder", **values_for(name, b, 0.5, x)))
        if not 1e-13 < estimate < 1e-2:  # below: the twin's float64 head; above: not small
            continue
        exact, values = twin_and_values(name, b, 0.5, x, None)
        err = rel_err(r.evaluate(sp.Add(*r.terms), **values), exact)
        ratios.append(err / estimate)
    assert len(ratios) >= 2
    assert max(ratios) <= 1.5
    assert max(ratios) >= 1 / 3
    # ... and it is O(1) at t ~ 1: the window starts at t_min ~ 1
    values = values_for(name, b, 0.5, 1.0)
    assert float(r.evaluate("remainder", **values)) > 1e-2


# ----------------------------------------------------------------- property tests
def _inside(b: float, sv: float) -> tuple[float, int]:
    """A time where every ``remainder`` is <= 1e-10, and a width with ``t/M^beta = 1e-9``."""
    c = 2 * (b + 1) * (math.pi / b) ** (b / (b + 1)) * math.cos(math.pi * b / (2 * b + 2))
    x = (math.log(1e10) / c) ** (b + 1)  # the exponential alone; the prefactor may need more
    while True:
        worst = 0.0
        for name in ("signal", "forgetting", "constant_lr", "I2", "wsd"):
            values = values_for(name, b, sv, x)
            worst = max(worst, float(KERNELS[name]().evaluate("remainder", **values)))
        if worst <= 1e-10:
            return x, int(math.ceil((1e9 * x) ** (1 / b)))
        x *= 2


@settings(max_examples=8, deadline=None)
@given(b=st.floats(1.2, 4.0), sv=st.floats(0.2, 2.0))
@example(b=1.2, sv=0.2)
@example(b=4.0, sv=2.0)
def test_law_plus_correction_everywhere(b, sv):
    x, m_width = _inside(b, sv)
    for name in ("signal", "forgetting", "constant_lr", "I2", "wsd"):
        exact, values = twin_and_values(name, b, sv, x, m_width)
        r = KERNELS[name]()
        got = r.evaluate("law", **values) + r.evaluate("correction", **values, M=m_width)
        assert rel_err(got, exact) <= ASYMPTOTIC, name


@settings(max_examples=40, deadline=None)
@given(b=st.floats(1.01, 20.0), sv=st.floats(0.01, 5.0))
def test_constants_positive_and_exponents_in_range(b, sv):
    v = {"beta": b, "s": sv}
    sig, K, w, i2 = (
        signal_asymptotic(),
        forgetting_asymptotic(),
        wsd_forgetting_bound(),
        exp_decay_noise_I2(),
    )
    for r in (sig, K, w, i2):
        c = float(r.evaluate(r.constant, **{k: v[k] for k in map(str, r.constant.free_symbols)}))
        assert math.isfinite(c) and c > 0
    assert -2 < float(K.evaluate(K.exponent, beta=b)) < -1
    assert -1 < float(w.evaluate(w.exponent, beta=b)) < 0
    # the constant-LR integral approaches C_beta from below
    assert float(constant_lr_noise().evaluate("approach", beta=b, T=10.0)) < 0


# ------------------------------------------------------------------- API behaviour
def test_result_type_and_symbols():
    r = signal_asymptotic()
    assert isinstance(r, KernelAsymptotic)
    assert r is signal_asymptotic()  # derived once per session
    assert set(r.symbols) == {"beta", "s", "t", "M"}
    assert r.saturated_window == (M**beta, M ** (beta + 1))
    assert sp.Gt(beta, 1) in r.conditions and sp.Gt(s, 0) in r.conditions


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(beta=1.0, s=0.5, t=10.0), r"beta=1.0 is invalid: expected beta > 1"),
        (dict(beta=2.0, s=-1.0, t=10.0), r"s=-1.0 is invalid: expected s > 0"),
        (dict(beta=2.0, s=0.5), r"values for \['t'\] are required"),
        (dict(beta=2.0, s=0.5, t=1.0, q=3), r"q=3 is invalid"),
    ],
)
def test_evaluate_rejects_bad_values(kw, match):
    with pytest.raises(ValueError, match=match):
        signal_asymptotic().evaluate("law", **kw)
