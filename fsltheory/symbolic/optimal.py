"""The FSL-optimal learning-rate schedule, derived in intrinsic time (issue #9 item 3).

Problem (Theorems 4.2/4.4, eq. (9), with Assumption 5.1: ``sigma^2 >~ 1``, ``B = 1``, so the
minibatch term ``e(z)`` is absorbed into ``sigma^2``; ``M = oo`` for the data budget):

.. math::

    \\min_{T,\\ \\gamma(\\cdot)}\\ e(T) + \\sigma^2\\int_0^T \\mathcal K(T-z)\\,\\gamma(z)\\,dz
    \\quad\\text{s.t.}\\quad \\int_0^T \\frac{dz}{\\gamma(z)} = N,\\qquad 0<\\gamma\\le 1,

with ``e(t) = (1+t)^{-s}``, ``K(t) = (1+t)^{-(2-1/beta)}`` (eq. (10)), ``N`` the number of
steps (= data ``D`` at ``B = 1``) and the cap ``gamma <= 1`` standing for Assumption 4.1's
"sufficiently small" ``sup gamma``.  Write ``tau = T - z`` for the remaining intrinsic time.

What is proved, what is balanced, what is conjectured
-----------------------------------------------------
PROOF (within the FSL functional, exact, constants kept):

1. *Convexity / KKT.*  For fixed ``T`` the objective is linear in ``gamma``, ``1/gamma`` is
   convex, and the objective increases with every ``gamma(z)`` (``K > 0``), so relaxing the
   step constraint to ``int 1/gamma <= N`` is a convex problem whose constraint binds.  The
   pointwise Lagrangian ``sigma^2 K(tau) g + mu/g`` is strictly convex in ``g``; its
   stationary point (:func:`euler_lagrange_profile`) clipped at the cap is the *global*
   minimiser:  ``gamma(tau) = min(1, c (1+tau)^{1-1/(2 beta)})``.  Without the cap this is
   Cauchy-Schwarz, ``noise >= sigma^2 (int_0^T sqrt K)^2 / N`` with equality iff
   ``gamma ~ K^{-1/2}``.
2. *Shape.*  In remaining steps ``n`` (``dn = dtau/gamma``) the uncapped part is exactly
   ``eta(n) = c (1 + c n / (2 beta))^{2 beta - 1}``: the decay is ``(1 - z/L')^p`` in the
   steps ``z`` of the decay with ``p = 2 beta - 1`` (:func:`shape_power`), truncated at the
   final value ``c > 0``.
3. *Reduced one-parameter problem.*  With the EL profile the integrals are elementary
   (:func:`uncapped_branch`, :func:`capped_branch`), so the optimum over ``(T, gamma)`` is a
   minimisation over one scalar (``T`` uncapped, ``tau*`` = length of the decay in intrinsic
   time when capped); :func:`el_optimum` does it numerically to any precision.
4. *Asymptotics of those closed forms*: ``noise = sigma^2 c^2 N ~ 4 beta^2 sigma^2 T^{1/beta}/N``
   (uncapped) and ``noise ~ sigma^2 beta (2beta-1)/(beta-1) * tau*^{-(1-1/beta)}`` (capped).
5. The WSD-bound comparison ``(s+1) beta/(2 beta-1) > s beta/(beta-1)  <=>  s < 1-1/beta``
   (:func:`fsltheory.symbolic.optimal_wsd.decay_exceeds_paper_bound`).

BALANCE (exponents up to constants, dominant terms of the closed forms of step 4):

* easy (``s >= 1-1/beta``, cap not binding): ``T^{-s} ~ T^{1/beta}/N`` gives
  ``T ~ N^{beta/(1+s beta)}``, loss ``N^{-s beta/(1+s beta)}`` with **no log factor**,
  peak ``~ 2 beta T/N ~ N^{-(1+s beta-beta)/(1+s beta)}``, the decay spans the run;
* hard (``s < 1-1/beta``): flat at the cap, loss ``N^{-s}``, and the decay length follows
  from the *second-order* balance ``d/dtau* [e(N-(L-tau*)) + noise(tau*)] = 0``, with
  leading solution ``tau* = (sigma^2 N^{s+1}/s)^{beta/(2 beta-1)}``, ``L ~ 2 beta tau*``,
  decay fraction ``N^{-(beta-1-s beta)/(2 beta-1)}``, noise ``N^{-(s+1)(beta-1)/(2beta-1)}``
  (below ``N^{-s}``);
* boundary ``s = 1 - 1/beta``: both regions give loss ``N^{-s}``, peak and decay fraction
  ``N^0`` and no log on either side, so every exponent is continuous (WSD's loss log power
  jumps there from ``(s beta - s)/(1 + s beta)`` to 0); with unit constants the cap does not
  bind on the boundary (peak ``-> s/(2 sigma^2)``);
* compute (``C = M D``): the FSL with finite ``M`` adds ``M^{-s beta}`` and cuts ``K_M``
  off at ``M^beta``; balancing ``M^{-s beta}`` against the data-limited loss at
  ``D = C/M`` gives ``M ~ C^{1/(2+s beta)}`` (easy) and ``C^{1/(1+beta)}`` (hard).  The
  optimum sits at ``T ~ M^beta``, the edge of the window of eq. (10), so only exponents
  (not constants) are claimed.  The Cauchy-Schwarz bound of step 1 with ``K_M`` gives the
  matching lower bound ``noise >~ min(T, M^beta)^{1/beta}/D`` (sketch, not formalised).

Consequence (PROOF, given Theorem 4.4): its constants do not depend on the schedule, so
``c_1 F(gamma) <= E R - sigma^2/2 <= c_2 F(gamma)`` for every admissible ``gamma`` and hence
``min_gamma (E R - sigma^2/2) \\eqsim min_gamma F``: the exponents above are those of the best
schedule for SGD itself (among schedules obeying the cap), not only for the functional.

Zero noise (Theorem 4.5, ``sigma = 0``; BALANCE + numerical evidence): the pointwise KKT
argument still holds with weight ``K(tau) e(T - tau)``, so ``gamma ~ (1+tau)^{1-1/(2beta)}
(1+T-tau)^{s/2}``: a *warmup* (``e(z)`` is largest at the start), the cap, then a final
decay where ``e ~ e(T)`` is nearly constant, whose shape tends to the same ``p = 2beta - 1``.

CONJECTURE / OPEN (``tests/test_optimal_theory.py``):

* that the FSL-optimal *shape* ``p = 2 beta - 1`` is the optimal shape for the SGD risk
  itself: the FSL is only ``\\eqsim``, so it fixes the exponents of the optimum but not the
  shape.  Evidence, not proof: the exact-risk optimum of :func:`fsltheory.optimize_schedule`
  (``fsltheory.optimal.measure``, book page *Optimal schedules*) has fitted decay powers
  falling towards ``2 beta - 1`` from above as ``N`` grows (3.17 at ``beta = 2``, 7.5 at
  ``beta = 4``, ``N = 2.56e5``);
* that the asymptotic decay-fraction exponent is visible at the paper's sizes
  ``D in [1e3, 4e4]``: it is *not* in the FSL with unit constants (local slopes -0.05 to
  -0.06 instead of -1/7 at ``(s, beta) = (1/2, 4)``): a strict xfail.

References
----------
Li, Chen, Huang, Wang, Wu, "Functional Scaling Laws in Kernel Regression", arXiv 2509.19189
v4: eqs. (9)-(10), Theorems 4.2-4.5, Assumption 4.1, Section 5, Theorem 5.4 / D.12.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import mpmath
import sympy as sp

from fsltheory.symbolic.results import Exponent, Region, ScalingResult, _q
from fsltheory.symbolic.terms import BETA, S

__all__ = [
    "TAU",
    "EL_POWER",
    "OptimalScalingResult",
    "ElOptimum",
    "euler_lagrange_profile",
    "shape_power",
    "decay_lr",
    "uncapped_branch",
    "capped_branch",
    "optimal_exponents",
    "optimal_schedule_scaling",
    "el_optimum",
    "optimal_lr_schedule",
]


#: remaining intrinsic time ``tau = T - z``; multiplier ``mu`` of the step constraint
TAU = sp.Symbol("tau", nonnegative=True)
MU = sp.Symbol("mu", positive=True)
SIGMA2 = sp.Symbol("sigma2", positive=True)
#: intrinsic horizon, steps, EL constant, remaining steps, decay length in intrinsic time
T = sp.Symbol("T", positive=True)
N = sp.Symbol("N", positive=True)
CEL = sp.Symbol("c", positive=True)
NREM = sp.Symbol("n", nonnegative=True)
TSTAR = sp.Symbol("tau_star", positive=True)

#: exponent of the EL profile in intrinsic time, ``gamma ~ (1+tau)^{EL_POWER}``
EL_POWER = 1 - 1 / (2 * BETA)


def signal(t):
    """``e(t) = (1+t)^{-s}`` (eq. (10))."""
    return (1 + t) ** (-S)


def kernel(t):
    """Forgetting kernel ``K(t) = (1+t)^{-(2-1/beta)}`` (eq. (10))."""
    return (1 + t) ** (-(2 - 1 / BETA))


# ---------------------------------------------------------------------------- PROOF 1-2
@cache
def euler_lagrange_profile() -> sp.Expr:
    """Uncapped KKT profile ``gamma(tau) = sqrt(mu/sigma^2) (1+tau)^{1-1/(2beta)}`` (PROOF).

    Minimises the pointwise Lagrangian ``sigma^2 K(tau) g + mu/g`` of the convex problem in
    the module docstring; its second derivative ``2 mu/g^3 > 0`` makes the root a minimum.
    """
    g = sp.Symbol("g", positive=True)
    lag = SIGMA2 * kernel(TAU) * g + MU / g
    roots = sp.solve(sp.diff(lag, g), g)
    if len(roots) != 1:  # pragma: no cover - guards the derivation
        raise RuntimeError(f"expected one positive stationary point, got {roots}")
    root = roots[0]
    if not sp.simplify(sp.diff(lag, g, 2).subs(g, root)).is_positive:  # pragma: no cover
        raise RuntimeError("stationary point is not a minimum")
    return sp.powsimp(sp.simplify(root), force=True)


@cache
def _steps_of_tau() -> sp.Expr:
    """Remaining steps ``n(tau) = int_0^tau dtau'/(c (1+tau')^{a})`` for the uncapped profile."""
    u = sp.Symbol("u", positive=True)
    return sp.simplify(sp.integrate((u ** (-EL_POWER)) / CEL, (u, 1, 1 + TAU), conds="none"))


@cache
def decay_lr() -> sp.Expr:
    """``eta(n) = c (1 + c n/(2 beta))^{2 beta - 1}`` in remaining steps ``n`` (PROOF 2).

    Obtained by inverting :func:`_steps_of_tau` and substituting into ``c (1+tau)^{a}``.
    """
    n_of_tau = _steps_of_tau()
    # (1+tau)^{1-a} = 1 + c (1-a) n  <=>  n = ((1+tau)^{1-a} - 1)/(c (1-a))
    base = 1 + CEL * (1 - EL_POWER) * NREM
    check = sp.simplify(n_of_tau.subs(TAU, base ** (1 / (1 - EL_POWER)) - 1) - NREM)
    if check != 0:  # pragma: no cover - guards the derivation
        raise RuntimeError(f"inverse of n(tau) failed: residual {check}")
    return CEL * base ** sp.simplify(EL_POWER / (1 - EL_POWER))


@cache
def shape_power() -> sp.Expr:
    """Exponent ``p`` of the decaying part ``(1 - z/L)^p`` in steps: ``p = 2 beta - 1``."""
    pows = [f for f in sp.Mul.make_args(decay_lr()) if f.is_Pow and f.base.has(NREM)]
    if len(pows) != 1:  # pragma: no cover - guards the derivation
        raise RuntimeError(f"decay_lr is not c * (1 + c n / (2 beta))^p: {decay_lr()}")
    return sp.factor(pows[0].exp)


# ---------------------------------------------------------------------------- PROOF 3-4
@cache
def uncapped_branch() -> dict:
    """Closed forms when the cap does not bind (whole run decays), parametrised by ``T``.

    Returns ``{'c', 'peak', 'noise', 'loss'}`` as SymPy expressions in ``T, N, sigma2``:
    ``c = 2 beta ((1+T)^{1/(2beta)} - 1)/N`` from the step constraint, ``noise = sigma^2 c^2 N``.
    """
    u = sp.Symbol("u", positive=True)
    steps = sp.integrate(u ** (-EL_POWER), (u, 1, 1 + T), conds="none")  # = c N
    c = sp.simplify(steps / N)
    noise = sp.simplify(
        SIGMA2 * c * sp.integrate(u ** (-(2 - 1 / BETA) + EL_POWER), (u, 1, 1 + T), conds="none")
    )
    return {
        "c": c,
        "peak": c * (1 + T) ** EL_POWER,
        "noise": noise,
        "loss": signal(T) + noise,
    }


@cache
def capped_branch() -> dict:
    """Closed forms when the cap binds: flat at 1, then the EL decay over ``tau*`` (PROOF 3).

    Returns ``{'c', 'L', 'T', 'noise', 'loss'}`` in ``tau_star, N, sigma2``: ``c =
    (1+tau*)^{-a}`` (continuity at the cap), ``L`` the decay length in steps, ``T = N - L +
    tau*`` (flat steps = flat intrinsic time).
    """
    u = sp.Symbol("u", positive=True)
    c = (1 + TSTAR) ** (-EL_POWER)
    L = sp.expand(sp.integrate(u ** (-EL_POWER), (u, 1, 1 + TSTAR), conds="none") / c)
    L = sp.powsimp(L, force=True)
    Tt = N - L + TSTAR
    flat = sp.integrate(u ** (-(2 - 1 / BETA)), (u, 1 + TSTAR, 1 + T), conds="none")
    dec = c * sp.integrate(u ** (-(2 - 1 / BETA) + EL_POWER), (u, 1, 1 + TSTAR), conds="none")
    noise = SIGMA2 * (flat.subs(T, Tt) + sp.powsimp(sp.expand(dec), force=True))
    return {"c": c, "L": L, "T": Tt, "noise": noise, "loss": signal(Tt) + noise}


# ---------------------------------------------------------------------------- BALANCE
def _solve_exponent(eq, x):
    sol = sp.solve(eq, x)
    if len(sol) != 1:  # pragma: no cover
        raise RuntimeError(f"balance {eq} = 0 has solutions {sol}")
    return sp.factor(sol[0])


@cache
def _data_exponents() -> dict:
    """Data-limited exponents of ``T``, ``tau*``, loss, peak, decay fraction (BALANCE)."""
    t, q = sp.symbols("t q", real=True)
    # easy: signal T^{-s} against noise T^{1/beta} / N (PROOF 4 leading term)
    t_easy = _solve_exponent(-S * t - (t / BETA - 1), t)
    peak_easy = sp.factor(t_easy / (2 * BETA) - 1 + EL_POWER * t_easy)  # c (1+T)^a
    # hard: d/dtau* of signal ~ N^{-s-1} vs d/dtau* of noise ~ tau*^{-(2-1/beta)}
    q_hard = _solve_exponent((-S - 1) - (-(2 - 1 / BETA) * q), q)
    return {
        "easy": {
            "T": t_easy,
            "loss": sp.factor(-S * t_easy),
            "lr": peak_easy,
            "decay_fraction": sp.S.Zero,
            "M_lower": sp.factor(t_easy / BETA),  # T <~ M^beta and M^{-s beta} <~ loss
        },
        "hard": {
            "tau_star": q_hard,
            "loss": -S,
            "lr": sp.S.Zero,
            "decay_fraction": sp.factor(q_hard - 1),
            "noise": sp.factor(-(1 - 1 / BETA) * q_hard),
            "M_lower": 1 / BETA,  # T ~ N <~ M^beta
        },
    }


@cache
def optimal_exponents(budget: str = "data") -> dict:
    """Exponents of the optimal schedule per regime, ``{'easy': {...}, 'hard': {...}}``.

    Data: from :func:`_data_exponents`.  Compute (``C = M D``): ``M = C^m`` with
    ``-s beta m = loss_data (1 - m)`` (balance of ``M^{-s beta}`` and the data-limited loss
    at ``D = C/M``); every data-limited exponent ``x`` of ``D`` becomes ``x (1-m)`` in ``C``.
    """
    data = _data_exponents()
    if budget == "data":
        return data
    if budget != "compute":
        raise ValueError(f"budget={budget!r}: expected 'data' or 'compute'")
    m = sp.Symbol("m", real=True)
    out = {}
    for regime, ex in data.items():
        mm = _solve_exponent(-S * BETA * m - ex["loss"] * (1 - m), m)
        d = sp.factor(1 - mm)
        out[regime] = {
            "M": mm,
            "D": d,
            "loss": sp.factor(-S * BETA * mm),
            "lr": sp.factor(ex["lr"] * d),
            "decay_fraction": sp.factor(ex["decay_fraction"] * d),
            "T_over_M_beta": sp.factor((ex.get("T", 1) * d) - BETA * mm),
        }
    return out


# ---------------------------------------------------------------------------- result
@dataclass(frozen=True)
class OptimalScalingResult(ScalingResult):
    """A :class:`ScalingResult` with the decay shape ``(1 - z/L)^p`` of the optimum.

    Regions carry an extra ``'shape'`` :class:`Exponent` (power ``p = 2 beta - 1``, log 0);
    :meth:`to_dict` adds ``"shape": {"power": "p"}`` and ``relations["shape"] = "eq"``.
    """

    @property
    def shape(self) -> Exponent:
        """Exponent ``p`` of the decaying part ``(1 - z/L)^p`` (``p = 2 beta - 1``)."""
        return self._piecewise("shape")

    def to_dict(self) -> dict:
        out = super().to_dict()
        sh = self.shape
        relations = out.pop("relations")
        relations["shape"] = sh.relation
        out["shape"] = {"power": str(sh.power)}
        out["relations"] = relations
        return out

    def to_latex(self) -> str:
        body = super().to_latex()
        line = r" \\" + "\n" + rf"p_{{\rm shape}} &= {sp.latex(self.shape.power)}"
        return body.replace("\n\\end{align*}", line + "\n\\end{align*}")

    def __str__(self) -> str:
        return super().__str__() + f"\n  decay shape (1 - z/L)^p, p = {self.shape.power}"


def _regions(budget: str) -> tuple[Region, ...]:
    ex = optimal_exponents(budget)
    p = Exponent(shape_power())
    easy, hard = ex["easy"], ex["hard"]
    cond_easy = S >= 1 - 1 / BETA
    cond_hard = S < 1 - 1 / BETA
    if budget == "data":
        vals_e = {
            "loss": Exponent(easy["loss"]),
            "lr": Exponent(easy["lr"]),
            "decay_fraction": Exponent(sp.S.Zero),
            "M": Exponent(sp.oo, relation="inf", lower=(easy["M_lower"], sp.S.Zero)),
            "D": None,
            "shape": p,
        }
        vals_h = {
            "loss": Exponent(hard["loss"]),
            "lr": Exponent(hard["lr"]),
            "decay_fraction": Exponent(hard["decay_fraction"]),
            "M": Exponent(sp.oo, relation="inf", lower=(hard["M_lower"], sp.S.Zero)),
            "D": None,
            "shape": p,
        }
    else:
        vals_e, vals_h = (
            {
                "loss": Exponent(x["loss"]),
                "lr": Exponent(x["lr"]),
                "decay_fraction": Exponent(x["decay_fraction"]),
                "M": Exponent(x["M"]),
                "D": Exponent(x["D"]),
                "shape": p,
            }
            for x in (easy, hard)
        )
    return (
        Region(condition=cond_easy, values=vals_e, regime="easy"),
        Region(condition=cond_hard, values=vals_h, regime="hard"),
    )


def optimal_schedule_scaling(budget: str = "data", *, beta=None, s=None) -> ScalingResult:
    """Optimal scaling of the FSL-optimal schedule (``fsl exponents --schedule optimal``).

    Parameters
    ----------
    budget : {'data', 'compute'}
        Data-limited (``D = N`` steps at ``B = 1``) or compute-limited (``C = M D``).
    beta, s : number, optional
        Evaluate at a point (exact: floats are read as their decimals).

    Returns
    -------
    OptimalScalingResult
        Same object as :func:`fsltheory.symbolic.scaling.schedule_scaling` plus ``.shape``:
        ``loss``, ``lr`` (peak), ``decay_fraction`` (``L/N``; ``D^0`` when the decay spans the
        run), ``M`` (``'inf'`` with the sufficient size for data), ``D`` (compute), all
        relation ``'eq'``.

    Examples
    --------
    >>> r = optimal_schedule_scaling("data", beta=4, s="1/2")
    >>> r.loss.power, r.lr.power, r.decay_fraction.power, r.shape.power
    (-1/2, 0, -1/7, 7)
    """
    if budget not in ("data", "compute"):
        raise ValueError(f"budget={budget!r}: expected 'data' or 'compute'")
    result = OptimalScalingResult(schedule="optimal", budget=budget, regions=_regions(budget))
    return result.at(beta=beta, s=s)


# ---------------------------------------------------------------------------- numerics
@dataclass(frozen=True)
class ElOptimum:
    """The exact optimum of the FSL functional for one ``N`` (from :func:`el_optimum`).

    ``capped`` tells whether the cap binds; ``T`` intrinsic horizon, ``tau_star`` decay
    length in intrinsic time (``= T`` uncapped), ``L`` decay length in steps (``= N``
    uncapped), ``c`` final learning rate, ``peak`` the first step's learning rate.
    """

    N: mpmath.mpf
    loss: mpmath.mpf
    T: mpmath.mpf
    tau_star: mpmath.mpf
    L: mpmath.mpf
    c: mpmath.mpf
    peak: mpmath.mpf
    noise: mpmath.mpf
    capped: bool


def _golden(f, lo, hi, iters=160):
    """Minimise a unimodal ``f`` on ``[lo, hi]`` (log-spaced scan first, then golden section)."""
    grid = [lo + (hi - lo) * k / 64 for k in range(65)]
    vals = [f(x) for x in grid]
    k = min(range(len(grid)), key=vals.__getitem__)
    a, b = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    g = (mpmath.sqrt(5) - 1) / 2
    x1, x2 = b - g * (b - a), a + g * (b - a)
    f1, f2 = f(x1), f(x2)
    for _ in range(iters):
        if f1 < f2:
            b, x2, f2 = x2, x1, f1
            x1 = b - g * (b - a)
            f1 = f(x1)
        else:
            a, x1, f1 = x1, x2, f2
            x2 = a + g * (b - a)
            f2 = f(x2)
    x = (a + b) / 2
    return x, f(x)


def _bisect(f, lo, hi, iters=200):
    """Root of an increasing ``f`` on ``[lo, hi]`` by bisection."""
    lo, hi = mpmath.mpf(lo), mpmath.mpf(hi)
    for _ in range(iters):
        mid = (lo + hi) / 2
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def el_optimum(n_steps, beta, s, sigma2=1, dps: int = 30) -> ElOptimum:
    """Exact optimum of the FSL problem of the module docstring at ``N = n_steps`` (PROOF 3).

    Minimises the closed forms of :func:`uncapped_branch` over ``T`` (where the EL peak is
    ``<= 1``) and of :func:`capped_branch` over ``tau*`` (where ``L <= N``), in mpmath at
    ``dps`` digits, by a log-spaced scan refined by golden section.
    """
    beta, s, sigma2 = _q(beta, "beta"), _q(s, "s"), _q(sigma2, "sigma2")
    ub, cb = uncapped_branch(), capped_branch()
    with mpmath.workdps(dps):
        Nn = mpmath.mpf(n_steps)
        sub = {BETA: beta, S: s, SIGMA2: sigma2, N: sp.Float(str(n_steps), dps)}
        peak_u = sp.lambdify(T, ub["peak"].subs(sub), "mpmath")
        loss_u = sp.lambdify(T, ub["loss"].subs(sub), "mpmath")
        L_c = sp.lambdify(TSTAR, cb["L"].subs(sub), "mpmath")
        loss_c = sp.lambdify(TSTAR, cb["loss"].subs(sub), "mpmath")
        # boundary between the branches: EL peak = 1 <=> whole run decays with L = N
        lt_b = _bisect(
            lambda x: mpmath.log(L_c(mpmath.exp(x))) - mpmath.log(Nn), -4, mpmath.log(Nn)
        )
        lt_lo = mpmath.mpf(-4)
        # uncapped: T in (0, T_b] (peak increasing in T); capped: tau* in (0, tau_b]
        xu, fu = _golden(lambda x: loss_u(mpmath.exp(x)), lt_lo, lt_b)
        xc, fc = _golden(lambda x: loss_c(mpmath.exp(x)), lt_lo, lt_b)
        if fu <= fc:
            Tt = mpmath.exp(xu)
            c = sp.lambdify(T, ub["c"].subs(sub), "mpmath")(Tt)
            out = ElOptimum(Nn, fu, Tt, Tt, Nn, c, peak_u(Tt), fu - (1 + Tt) ** (-s), False)
        else:
            ts = mpmath.exp(xc)
            Tt = sp.lambdify(TSTAR, cb["T"].subs(sub), "mpmath")(ts)
            c = (1 + ts) ** (-(1 - mpmath.mpf(1) / (2 * beta)))
            noise = fc - (1 + Tt) ** (-s)
            out = ElOptimum(Nn, fc, Tt, ts, L_c(ts), c, mpmath.mpf(1), noise, True)
    return out


def optimal_lr_schedule(n_steps: int, beta, s, sigma2=1) -> list[float]:
    """The optimal learning rates ``eta_1..eta_N`` (floats) of :func:`el_optimum`.

    Step ``k`` (1-based) has ``n = N - k + 1/2`` remaining steps (midpoint); the decay is
    :func:`decay_lr`, ``min(1, c (1 + c n/(2 beta))^{2 beta - 1})``.
    """
    opt = el_optimum(n_steps, beta, s, sigma2, dps=20)
    c, b = float(opt.c), float(beta)
    out = []
    for k in range(1, n_steps + 1):
        n = n_steps - k + 0.5
        out.append(min(1.0, c * (1 + c * n / (2 * b)) ** (2 * b - 1)))
    return out
