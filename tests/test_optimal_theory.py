"""The FSL-optimal schedule and the optimal WSD decay fraction (issue #9 item 3).

Exact results (``fsltheory.symbolic.optimal``, ``optimal_wsd``) are asserted with ``==``;
each has a numeric twin:

* the closed forms of the EL branches vs ``mpmath.quad`` of the FSL integrals (eq. (9));
* the KKT optimum vs a brute-force L-BFGS-B optimisation of the discretised FSL over all
  ``N`` learning rates (an independent implementation: no EL profile inside);
* the exponents vs log-log slopes of the exact one-parameter optimum over ``N``;
* the WSD decay fraction vs the numerically optimised ``K_2`` of the WSD FSL.
"""

from __future__ import annotations

import json
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.integrate import cumulative_trapezoid
from scipy.optimize import brentq, curve_fit, minimize, minimize_scalar

from fsltheory.symbolic.optimal import (
    CEL,
    EL_POWER,
    MU,
    NREM,
    SIGMA2,
    TAU,
    TSTAR,
    N,
    T,
    capped_branch,
    decay_lr,
    el_optimum,
    euler_lagrange_profile,
    optimal_exponents,
    optimal_lr_schedule,
    optimal_schedule_scaling,
    shape_power,
    uncapped_branch,
)
from fsltheory.symbolic.optimal_wsd import (
    decay_exceeds_paper_bound,
    wsd_decay_balance,
    wsd_decay_fraction,
    wsd_fsl_loss,
    wsd_optimal_decay,
)
from fsltheory.symbolic.results import ScalingResult
from fsltheory.symbolic.terms import BETA, S

R = sp.Rational
EASY_PT = (R(1), R(2))  # (s, beta), easy: s >= 1 - 1/beta
HARD_PT = (R(1, 2), R(4))  # the paper's Fig. 1, hard


def _slope(xs, ys) -> float:
    x = np.log(np.asarray(xs, dtype=float))
    y = np.log(np.asarray(ys, dtype=float))
    return float(np.polyfit(x, y, 1)[0])


def _fit_shape(n, eta, cap=0.999):
    """Fit ``log eta = log c + p log(1 + c n/(p+1))`` (the EL form with free ``p``).

    Only the final decay is fitted: remaining steps ``n`` below the last capped point (or
    below the peak when nothing is capped, which drops a warmup if there is one).
    """
    capped = eta >= cap
    edge = n[capped].min() if capped.any() else n[np.argmax(eta)]
    m = (n <= edge) & ~capped
    f = lambda n, lc, p: lc + p * np.log1p(np.exp(lc) * n / (p + 1))  # noqa: E731
    lc0 = np.log(eta[m][np.argmin(n[m])])
    popt, _ = curve_fit(f, n[m], np.log(eta[m]), p0=(lc0, 2.0), maxfev=20000)
    return popt[1]


# ------------------------------------------------------------------ exact values
@pytest.mark.parametrize(
    "pt, regime, loss, lr, df, p",
    [
        (EASY_PT, "easy", R(-2, 3), R(-1, 3), R(0), R(3)),
        (HARD_PT, "hard", R(-1, 2), R(0), R(-1, 7), R(7)),
    ],
)
def test_data_exponents_exact(pt, regime, loss, lr, df, p):
    s, beta = pt
    r = optimal_schedule_scaling("data", beta=beta, s=s)
    assert isinstance(r, ScalingResult)
    assert r.regime == regime
    assert (r.loss.power, r.loss.log, r.loss.relation) == (loss, 0, "eq")
    assert (r.lr.power, r.lr.log) == (lr, 0)
    assert (r.decay_fraction.power, r.decay_fraction.log, r.decay_fraction.relation) == (
        df,
        0,
        "eq",
    )
    assert r.shape.power == p
    assert r.M.relation == "inf" and r.D is None


def test_compute_exponents_exact():
    # hard (0.5, 4): same M, D, loss as WSD compute-hard (Table 3.5), no log; decay in C
    r = optimal_schedule_scaling("compute", beta=4, s=0.5)
    got = {k: (getattr(r, k).power, getattr(r, k).log) for k in ("loss", "lr", "M", "D")}
    assert got == {"loss": (R(-2, 5), 0), "lr": (0, 0), "M": (R(1, 5), 0), "D": (R(4, 5), 0)}
    assert r.decay_fraction.power == R(-4, 35)
    # easy (1, 2): the polynomial exponents of WSD compute-easy, without its log factors
    r = optimal_schedule_scaling("compute", beta=2, s=1)
    got = {k: (getattr(r, k).power, getattr(r, k).log) for k in ("loss", "lr", "M", "D")}
    assert got == {"loss": (R(-1, 2), 0), "lr": (R(-1, 4), 0), "M": (R(1, 4), 0), "D": (R(3, 4), 0)}
    # the balance puts T at the edge M^beta of the window of eq. (10), in both regimes
    ex = optimal_exponents("compute")
    assert ex["easy"]["T_over_M_beta"] == 0 and ex["hard"]["T_over_M_beta"] == 0


def test_symbolic_piecewise_and_point_agree():
    r = optimal_schedule_scaling("data")
    assert isinstance(r.loss.power, sp.Piecewise)
    assert r.loss.log == 0 and r.lr.log == 0  # no log factor anywhere (WSD/exp carry logs)
    assert r.shape.power == 2 * BETA - 1
    at = r.at(beta=4, s=R(1, 2))
    assert at.loss.power == -R(1, 2) and at.decay_fraction.power == -R(1, 7)
    assert [g.regime for g in r.regions] == ["easy", "hard"]
    assert r.region("hard").values["decay_fraction"].power == (BETA * S - BETA + 1) / (2 * BETA - 1)
    with pytest.raises(ValueError):
        optimal_schedule_scaling("tokens")


def test_json_contract():
    d = json.loads(optimal_schedule_scaling("data", beta=4, s=0.5).to_json())
    assert d["schedule"] == "optimal" and d["regime"] == "hard"
    assert d["loss"] == {"power": "-1/2", "log": "0"}
    assert d["lr"] == {"power": "0", "log": "0"}
    assert d["decay_fraction"] == {"power": "-1/7", "log": "0"}
    assert d["shape"] == {"power": "7"}
    assert d["M"] == "inf" and d["D"] is None
    assert d["relations"] == {
        "loss": "eq",
        "lr": "eq",
        "M": "inf",
        "decay_fraction": "eq",
        "shape": "eq",
    }
    d = json.loads(optimal_schedule_scaling("data", beta=2, s=1).to_json())
    assert d["decay_fraction"] == {"power": "0", "log": "0"} and d["shape"] == {"power": "3"}
    tex = optimal_schedule_scaling("data", beta=2, s=1).to_latex()
    assert r"p_{\rm shape} &= 3" in tex and tex.endswith("\\end{align*}\n")
    assert "p = 3" in str(optimal_schedule_scaling("data", beta=2, s=1))


# ------------------------------------------------------------------ PROOF steps 1-2
def test_euler_lagrange_profile():
    prof = euler_lagrange_profile()
    ratio = sp.simplify(prof / (1 + TAU) ** EL_POWER)
    assert ratio == sp.sqrt(MU / SIGMA2)
    assert shape_power() == 2 * BETA - 1
    assert decay_lr() == CEL * (1 + CEL * NREM / (2 * BETA)) ** (2 * BETA - 1)


def test_decay_lr_numeric_twin():
    # eta(n) from inverting n(tau) = int_0^tau dtau'/gamma, twin: mpmath.quad + findroot
    beta, c, n = 3, mpmath.mpf("0.01"), mpmath.mpf(250)
    gam = lambda t: c * (1 + t) ** (1 - mpmath.mpf(1) / (2 * beta))  # noqa: E731
    tau = mpmath.findroot(
        lambda t: mpmath.quad(lambda u: 1 / gam(u), [0, t]) - n, (1, 50), solver="anderson"
    )
    closed = decay_lr().subs({BETA: beta, CEL: sp.Float(str(c)), NREM: 250})
    assert abs(gam(tau) / float(closed) - 1) < 1e-12


# ------------------------------------------------------------------ PROOF steps 3-4
@pytest.mark.parametrize("beta, s, n_steps, t", [(2, 1, 1000, 30), (4, R(1, 2), 10**5, 500)])
def test_uncapped_branch_numeric_twin(beta, s, n_steps, t):
    sub = {BETA: beta, S: s, SIGMA2: 1, N: n_steps, T: t}
    ub = {k: v.subs(sub) for k, v in uncapped_branch().items()}
    c = float(ub["c"])
    a = 1 - 1 / (2 * beta)
    gam = lambda tau: c * (1 + tau) ** a  # noqa: E731
    kern = lambda tau: (1 + tau) ** (-(2 - 1 / beta))  # noqa: E731
    assert abs(mpmath.quad(lambda u: 1 / gam(u), [0, t]) / n_steps - 1) < 1e-12
    noise = mpmath.quad(lambda u: kern(u) * gam(u), [0, t])
    assert abs(noise / float(ub["noise"]) - 1) < 1e-12


@pytest.mark.parametrize("beta, s, n_steps, ts", [(2, R(1, 4), 1000, 50), (4, R(1, 2), 10**5, 900)])
def test_capped_branch_numeric_twin(beta, s, n_steps, ts):
    sub = {BETA: beta, S: s, SIGMA2: 1, N: n_steps, TSTAR: ts}
    cb = {k: float(v.subs(sub)) for k, v in capped_branch().items()}
    a = 1 - 1 / (2 * beta)
    gam = lambda tau: min(1, cb["c"] * (1 + tau) ** a)  # noqa: E731
    kern = lambda tau: (1 + tau) ** (-(2 - 1 / beta))  # noqa: E731
    assert abs(mpmath.quad(lambda u: 1 / gam(u), [0, ts]) / cb["L"] - 1) < 1e-12
    steps = mpmath.quad(lambda u: 1 / gam(u), [0, ts, cb["T"]])
    assert abs(steps / n_steps - 1) < 1e-12
    noise = mpmath.quad(lambda u: kern(u) * gam(u), [0, ts, cb["T"]])
    assert abs(noise / cb["noise"] - 1) < 1e-12


def test_leading_constants_of_the_noise():
    # uncapped: noise * N / T^{1/beta} -> 4 beta^2 sigma^2; capped: tau*^{1-1/beta} * noise(N = oo)
    # -> sigma^2 beta (2beta - 1)/(beta - 1)
    for beta in (2, 4):
        un = uncapped_branch()["noise"].subs({BETA: beta, SIGMA2: 1}) * N / T ** R(1, beta)
        assert sp.limit(un, T, sp.oo) == 4 * beta**2
        cn = capped_branch()["noise"].subs({BETA: beta, SIGMA2: 1, S: R(1, 2)})
        cn = sp.limit(cn, N, sp.oo) * TSTAR ** (1 - R(1, beta))
        assert sp.limit(cn, TSTAR, sp.oo) == R(beta * (2 * beta - 1), beta - 1)


# ------------------------------------------------------------------ brute-force twin
def _brute_force(n_steps, beta, s, sigma2):
    """Minimise the discretised FSL over all ``n_steps`` learning rates (no EL inside)."""
    k = 2 - 1 / beta

    def f(eta):
        tt = eta.sum()
        r = np.cumsum(eta[::-1])[::-1] - eta / 2  # remaining intrinsic time, midpoint
        kern, dkern = (1 + r) ** (-k), -k * (1 + r) ** (-k - 1)
        w = sigma2 * dkern * eta**2
        grad = -s * (1 + tt) ** (-s - 1) + sigma2 * (2 * eta * kern + 0.5 * w)
        grad += np.concatenate(([0.0], np.cumsum(w)[:-1]))
        return (1 + tt) ** (-s) + sigma2 * np.sum(kern * eta**2), grad

    res = minimize(
        f,
        np.full(n_steps, 0.3),
        jac=True,
        method="L-BFGS-B",
        bounds=[(1e-9, 1.0)] * n_steps,
        options={"maxiter": 20000, "maxfun": 40000, "ftol": 1e-15, "gtol": 1e-12},
    )
    return res.x, res.fun


@pytest.mark.parametrize(
    "beta, s, sigma2, n_steps, capped, p_band",
    [
        # easy: the decay spans the run; measured p = 2.99998
        (2, 1, 1.0, 1000, False, 1e-2),
        # hard: flat at the cap, then the EL decay over ~400 steps, whose final learning
        # rates ~0.02 feel the midpoint discretisation: measured p = 3.076 (N = 1000), 3.046
        # (N = 2000), converging to 3; the band covers N = 1000
        (2, 0.25, 0.1, 1000, True, 0.1),
    ],
)
def test_brute_force_matches_kkt(beta, s, sigma2, n_steps, capped, p_band):
    eta, loss = _brute_force(n_steps, beta, s, sigma2)
    opt = el_optimum(n_steps, beta, s, sigma2)
    assert opt.capped is capped
    # the discretisation (midpoint rule, eta <= 1 steps) costs ~1e-6 relative: measured
    # -8e-7 (easy) and -3e-7 (hard at N = 2000); 1e-4 leaves room for the optimiser
    assert abs(loss / float(opt.loss) - 1) < 1e-4
    # (a) the EL shape exponent p = 2 beta - 1
    n = np.arange(n_steps)[::-1] + 0.5
    assert abs(_fit_shape(n, eta) - (2 * beta - 1)) < p_band
    # the decay length: steps below the cap vs the closed form L
    below = int((eta < 1 - 1e-6).sum())
    assert abs(below - float(opt.L)) <= 0.02 * n_steps
    # and the schedule of optimal_lr_schedule is the brute-force one
    # (measured max |difference| 1e-3 easy, 1.3e-2 hard, at the cap edge)
    assert np.max(np.abs(np.array(optimal_lr_schedule(n_steps, beta, s, sigma2)) - eta)) < 2e-2


# ------------------------------------------------------------------ slopes over N
NS = [mpmath.mpf(10) ** k for k in (24, 28, 32, 36, 40)]


def test_easy_slopes():
    s, beta = 1, 2
    opts = [el_optimum(n, beta, s) for n in NS]
    assert not any(o.capped for o in opts)
    # (b) exponents as slopes: corrections are (1+T) vs T and ((1+T)^{1/2beta} - 1)^2 vs
    # T^{1/beta}, relative T^{-1/4} ~ 1e-4 here, so 1e-3 is generous
    assert abs(_slope(NS, [o.loss for o in opts]) - (-2 / 3)) < 1e-3
    assert abs(_slope(NS, [o.peak for o in opts]) - (-1 / 3)) < 1e-3
    assert abs(_slope(NS, [o.T for o in opts]) - 2 / 3) < 1e-3
    # leading constant of the balance: T* ~ (s N / (4 beta sigma^2))^{beta/(1+s beta)}
    lead = (s * NS[-1] / (4 * beta)) ** (mpmath.mpf(beta) / (1 + s * beta))
    assert abs(opts[-1].T / lead - 1) < 1e-3


def test_hard_slopes_and_second_order_balance():
    s, beta = mpmath.mpf(1) / 2, 4
    opts = [el_optimum(n, beta, s) for n in NS]
    assert all(o.capped for o in opts)
    # (b) the loss is N^{-s} up to a relative correction (2beta-1) s tau*/N ~ N^{-1/7}
    assert abs(_slope(NS, [o.loss for o in opts]) - (-0.5)) < 1e-3
    assert all(o.peak == 1 for o in opts)
    # (c) the decay length from the second-order balance: tau* ~ N^{beta(s+1)/(2beta-1)} =
    # N^{6/7}, with the leading constant (sigma^2 N^{s+1}/s)^{beta/(2beta-1)} (corrections
    # relative tau*^{-1/(2beta)} ~ 1e-4 and tau*/N ~ 1e-5 at N = 1e40)
    assert abs(_slope(NS, [o.tau_star for o in opts]) - 6 / 7) < 2e-3
    assert abs(_slope(NS, [o.L / o.N for o in opts]) - (-1 / 7)) < 2e-3
    lead = (NS[-1] ** (s + 1) / s) ** (mpmath.mpf(beta) / (2 * beta - 1))
    assert abs(opts[-1].tau_star / lead - 1) < 2e-3
    assert abs(opts[-1].L / (2 * beta * opts[-1].tau_star) - 1) < 2e-3
    # the noise is the lower-order term N^{-(s+1)(beta-1)/(2beta-1)} = N^{-9/14}
    assert abs(_slope(NS, [o.noise for o in opts]) - (-9 / 14)) < 2e-3


def test_boundary_point_has_no_log():
    # s = 1 - 1/beta: T ~ N, peak -> s / (2 sigma^2) (cap not binding at sigma^2 = 1), loss ~ N^{-s}
    s, beta = mpmath.mpf(3) / 4, 4
    opts = [el_optimum(n, beta, s) for n in NS]
    assert abs(_slope(NS, [o.loss for o in opts]) - (-0.75)) < 1e-3
    assert abs(opts[-1].peak - s / 2) < 1e-3
    r = optimal_schedule_scaling("data", beta=4, s=R(3, 4))
    assert (r.loss.power, r.loss.log, r.lr.power, r.decay_fraction.power) == (R(-3, 4), 0, 0, 0)


# ------------------------------------------------------------------ regime boundary
@given(
    st.fractions(min_value=Fraction(101, 100), max_value=Fraction(20)),
)
@example(Fraction(4))
@example(Fraction(2))
def test_exponents_continuous_at_the_boundary(beta):
    beta = R(beta.numerator, beta.denominator)
    sb = 1 - 1 / beta
    r = optimal_schedule_scaling("data")
    easy, hard = r.region("easy").values, r.region("hard").values
    for q in ("loss", "lr", "decay_fraction", "shape"):
        lo = sp.limit(hard[q].power.subs(BETA, beta), S, sb, dir="-")
        assert lo == easy[q].power.subs({BETA: beta, S: sb}), q
        assert hard[q].log == 0 and easy[q].log == 0
    c = optimal_schedule_scaling("compute")
    for q in ("loss", "lr", "M", "D", "decay_fraction"):
        lo = c.region("hard").values[q].power.subs({BETA: beta, S: sb})
        assert lo == c.region("easy").values[q].power.subs({BETA: beta, S: sb}), q


@settings(max_examples=30)
@given(
    st.fractions(min_value=Fraction(101, 100), max_value=Fraction(20)),
    st.fractions(min_value=Fraction(1, 100), max_value=Fraction(99, 100)),
)
@example(Fraction(4), Fraction(1, 3))
def test_optimum_is_above_the_paper_bound_in_the_hard_regime(beta, u):
    beta = R(beta.numerator, beta.denominator)
    s = (1 - 1 / beta) * R(u.numerator, u.denominator)  # hard: 0 < s < 1 - 1/beta
    at = {BETA: beta, S: s}
    assert decay_exceeds_paper_bound()["difference"].subs(at) > 0
    # the optimal schedule's decay fraction and the optimal WSD one share their power
    hard = optimal_schedule_scaling("data").region("hard").values
    assert hard["decay_fraction"].power.subs(at) == wsd_decay_fraction("data", beta=beta, s=s).power


# ------------------------------------------------------------------ WSD decay fraction
def test_wsd_decay_fraction_exact():
    e = wsd_decay_fraction("data", beta=4, s=R(1, 2))
    assert (e.power, e.log, e.relation) == (R(-1, 7), R(3, 7), "eq")
    bal = wsd_decay_balance()
    assert bal["K2_power"] == BETA * (S + 1) / (2 * BETA - 1)
    assert bal["r_log"] == (BETA - 1) / (2 * BETA - 1)
    assert sp.simplify(bal["r_power"] + (BETA - 1 - S * BETA) / (2 * BETA - 1)) == 0
    assert wsd_decay_fraction("data", beta=2, s=1) == wsd_decay_fraction("compute", beta=2, s=1)
    assert wsd_decay_fraction("data", beta=2, s=1).power == 0
    c = wsd_decay_fraction("compute", beta=4, s=R(1, 2))
    assert (c.power, c.log) == (R(-4, 35), R(3, 7))
    proof = decay_exceeds_paper_bound()
    assert proof["proved"] is True
    assert proof["difference"] == sp.factor(
        BETA * (BETA - 1 - S * BETA) / ((2 * BETA - 1) * (BETA - 1))
    )


def test_wsd_fsl_loss_numeric_twin():
    n, k2, beta, s = 10**4, 700, 4, 0.5
    b = mpmath.mpf(1) / n
    t2 = (1 - b) * k2 / mpmath.log(1 / b)
    tt = n - k2 + t2
    gam = lambda tau: b + (1 - b) * tau / t2 if tau < t2 else mpmath.mpf(1)  # noqa: E731
    kern = lambda tau: (1 + tau) ** (-(2 - mpmath.mpf(1) / beta))  # noqa: E731
    direct = (1 + tt) ** (-s) + mpmath.quad(lambda u: kern(u) * gam(u), [0, t2, tt])
    assert abs(wsd_fsl_loss(k2, n, beta, s) / direct - 1) < 1e-12


def test_wsd_decay_fraction_slope():
    # numerically optimised K_2 of the WSD FSL: once the (log D)^{3/7} is divided out the
    # slope is -1/7 (measured -0.1429 on the last decades); without it, the fit is visibly
    # shallower (-0.138): the log factor is real.  Corrections ~ 1/log N, hence the band.
    ns = [mpmath.mpf(10) ** k for k in (28, 32, 36, 40)]
    rs = [wsd_optimal_decay(n, 4, 0.5)[0] for n in ns]
    corrected = [r / mpmath.log(n) ** (mpmath.mpf(3) / 7) for r, n in zip(rs, ns, strict=True)]
    assert abs(_slope(ns, corrected) - (-1 / 7)) < 3e-3
    assert _slope(ns, rs) - (-1 / 7) > 3e-3
    # the band tells the log power apart: dividing by (log D)^1 (the paper's bound) misses
    wrong = [r / mpmath.log(n) for r, n in zip(rs, ns, strict=True)]
    assert abs(_slope(ns, wrong) - (-1 / 7)) > 3e-3


# ------------------------------------------------------------------ full FSL with e(z)
def _kkt_full(n_steps, beta, s, sigma2, m=40001):
    """KKT optimum of the FSL (9) *with* the minibatch term e(z), over T (numeric)."""
    k, a = 2 - 1 / beta, 1 - 1 / (2 * beta)
    del a

    def at(t):
        tau = np.expm1(np.linspace(0, np.log1p(t), m))
        w = (1 + tau) ** (-k) * (sigma2 + (1 + t - tau) ** (-s))  # noise weight
        g = w**-0.5  # pointwise KKT: gamma ~ w^{-1/2}, then capped
        c = brentq(lambda c: np.trapezoid(1 / np.minimum(1, c * g), tau) - n_steps, 1e-14, 1e8)
        gam = np.minimum(1, c * g)
        return tau, gam, (1 + t) ** (-s) + np.trapezoid(w * gam, tau)

    lt = minimize_scalar(
        lambda x: at(np.exp(x))[2],
        bounds=(0, np.log(n_steps)),
        method="bounded",
        options={"xatol": 1e-6},
    ).x
    tau, gam, _ = at(np.exp(lt))
    return cumulative_trapezoid(1 / gam, tau, initial=0), gam


def test_minibatch_term_keeps_the_shape_at_sigma_1():
    # Assumption 5.1 absorbs e(z) into sigma^2 >~ 1; with e(z) kept the EL profile is tilted by
    # (sigma^2 + e(z))^{-1/2}, which matters only at the start: measured p = 2.9992 at N = 1e6
    n, gam = _kkt_full(10**6, 2, 1, 1.0)
    assert abs(_fit_shape(n, gam) - 3) < 1e-2


def test_zero_noise_optimum_warms_up_then_decays_with_the_same_shape():
    # Theorem 4.5 (sigma = 0): the KKT profile (1+tau)^{1-1/(2beta)} (1+T-tau)^{s/2} rises
    # from the start (the minibatch noise e(z) is largest there: a warmup), reaches the cap,
    # and its final decay, where e(T - tau) ~ e(T) is nearly constant, has the same p = 2beta-1
    # asymptotically (BALANCE + numerical evidence, not a proof): measured p = 2.9963 at
    # N = 1e6, decaying over ~2/3 of the steps
    n, gam = _kkt_full(10**6, 2, 1, 0.0)
    assert gam[-1] < 0.1 and gam.max() == 1.0  # index -1 is the first step (tau = T)
    assert abs(_fit_shape(n, gam) - 3) < 1e-2


@pytest.mark.conjecture
@pytest.mark.xfail(
    strict=True,
    reason=(
        "Claim (measured, does not hold): the asymptotic optimal decay fraction "
        "D^{-1/7} (log D)^{3/7} of (s, beta) = (1/2, 4) is already visible as a D^{-1/7} "
        "fall over the paper's Fig. 1b range D in [1e3, 4e4].  In the FSL with unit "
        "constants and sigma^2 = 1 the local slopes there are -0.05 (WSD) and -0.06 (the "
        "optimal schedule, whose cap only starts binding at D ~ 2e3); the asymptotic slope "
        "appears only for D >~ 1e20.  An earlier D^{-1/7} measurement must come from other "
        "constants (or from SGD), not from this pre-asymptotic FSL."
    ),
)
def test_decay_fraction_exponent_visible_at_paper_sizes():
    ns = np.geomspace(1e3, 4e4, 6)
    r_wsd = [wsd_optimal_decay(n, 4, 0.5, dps=20)[0] for n in ns]
    r_opt = [el_optimum(n, 4, 0.5, dps=20) for n in ns]
    assert abs(_slope(ns, r_wsd) - (-1 / 7)) < 0.03
    assert abs(_slope(ns, [o.L / o.N for o in r_opt]) - (-1 / 7)) < 0.03


# ------------------------------------------------------------------ CLI contract
def test_cli_contract(capsys):
    # `fsl exponents --schedule optimal` prints the same object as
    # optimal_schedule_scaling(...).to_json()
    from fsltheory.cli import main

    argv = ["exponents", "--schedule", "optimal", "--budget", "data", "--beta", "4", "--s", "0.5"]
    assert main([*argv, "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(optimal_schedule_scaling("data", beta=4, s=0.5).to_json())
    assert printed["shape"] == {"power": "7"} and printed["decay_fraction"]["power"] == "-1/7"
