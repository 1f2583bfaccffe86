"""Asymptotics of power-law eigen-sums, derived by SymPy (reference §2.4, eqs. 18-20).

Every kernel quantity of the FSL with ``lambda_j = j^-beta`` and ``lambda_j theta*_j^2 =
j^(-1-s beta)`` is a *power-law sum*

.. math:: S_M(t) = c(t) \\sum_{j=1}^{M} j^{-a}\\, g(t\\, j^{-\\beta}),

with an exponent ``a``, an optional prefactor ``c(t)`` and a profile ``g`` that is analytic at
0 and tends to a constant ``g_inf`` as ``g_inf + P(x) e^{-kappa x}`` (``P`` a polynomial).
For example ``e_M(t)`` is ``a = 1 + s beta``, ``g = e^{-2x}``.  This module derives, for any
such sum, four pieces (``p := (a - 1)/beta``, assumed ``p != 0``):

1. **the continuum form** (eqs. 18-20): ``sum_j -> int_1^M dj``, then the substitution
   ``u = j^-beta`` gives ``(1/beta) int_{M^-beta}^1 u^{p-1} g(t u) du``;
2. **the expansion of the infinite sum** ``S_inf(t)`` for ``t -> oo``, from the Mellin-Barnes
   representation ``S_inf(t) = (1/2 pi i) int G(z) zeta(a - beta z) t^{-z} dz`` with
   ``G = Mellin[g]``.  Closing the contour to the right picks up exactly two poles:

   * ``z = p`` (the pole of zeta): ``G(p) t^{-p} / beta`` -- the power law.  This is the
     continuum integral with its limits dropped, ``(1/beta) int_0^oo u^{p-1} g(tu) du``;
     ``G(p)`` is evaluated as ``-(1/p) int_0^oo v^p g'(v) dv`` (one integration by parts,
     whose boundary terms vanish), which is also the analytic continuation needed when
     ``int_0^oo v^{p-1} g`` itself diverges;
   * ``z = 0``, present when ``g_inf != 0``: ``g_inf zeta(a)`` (the residue of ``G`` at 0 is
     ``-g_inf``).

   ``G`` has no other poles on the right (``Mellin[P e^{-kappa x}]`` is a sum of Gamma
   functions), so the remainder is smaller than every power of ``1/t``.  Poisson summation
   locates it: the ``k = +-1`` Fourier terms have a saddle at ``j* ~ t^{1/(beta+1)}`` and are
   of relative size ``exp(-c_beta t^{1/(beta+1)})`` (:func:`poisson_remainder`).  This is the
   precise content of "the upper cutoff ``j = 1`` is negligible for ``t >> 1``";
3. **the finite-width tail** ``-c(t) sum_{j>M} j^{-a} g(t j^-beta)``: for ``t << M^beta`` every
   argument is small, so the Taylor series of ``g`` gives
   ``-c(t) g_k0 t^k0 zeta(a + k0 beta, M + 1)`` to leading order (``g ~ g_k0 x^k0``; Hurwitz
   zeta, ``~ M^{1 - a - k0 beta}/(a + k0 beta - 1)``).  This is the lower cutoff ``u = M^-beta``;
4. **the saturated regime** ``M^beta << t << M^{beta+1}``: ``g_inf`` times the generalised
   harmonic number ``H_M(a)``, plus the edge ``j ~ M`` of the decaying part, from Watson's
   lemma at the lower limit ``u = M^-beta`` of the continuum form; the next order adds the
   next Watson term and the Euler-Maclaurin end-point term ``f(M)/2``.

All symbols are ``positive=True`` SymPy symbols; conditions that SymPy cannot carry on a
symbol (``beta > 1``) are stated as preconditions and enforced by substituting
``beta = 1 + b`` (``b > 0``) where a sign or a convergence test needs it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

__all__ = [
    "PowerSum",
    "SYMBOLS",
    "profile_symbol",
    "continuum_integral",
    "mellin_profile",
    "power_law_term",
    "zeta_term",
    "infinite_sum_terms",
    "width_tail",
    "saturated_terms",
    "poisson_remainder",
]

#: the shared symbols: same names and assumptions give equal SymPy symbols everywhere
SYMBOLS: dict[str, sp.Symbol] = {
    name: sp.Symbol(name, positive=True) for name in ("beta", "s", "t", "T", "T_2", "M", "j", "u")
}
_x, _z = sp.Symbol("x", positive=True), sp.Symbol("z")
_b = sp.Symbol("b", positive=True)  # beta - 1 > 0


def _with_beta_gt_1(expr: sp.Expr, beta: sp.Symbol) -> sp.Expr:
    """``expr`` with ``beta = 1 + b``, ``b > 0``: lets SymPy use ``beta > 1`` (Assumption 2.3)."""
    return sp.simplify(expr.subs(beta, 1 + _b))


@dataclass(frozen=True)
class PowerSum:
    """The sum ``prefactor * sum_{j=1}^M j^{-a} g(t j^{-beta})``.

    Parameters
    ----------
    a : sympy.Expr
        Exponent of ``j`` (e.g. ``1 + s*beta`` for the signal ``e_M``).
    g : sympy.Expr
        Profile in the module's dummy ``x`` (use :func:`profile_symbol`).
    t : sympy.Symbol
        The time variable.
    prefactor : sympy.Expr
        Factor in front of the sum (``1/T`` for ``I_2``).
    """

    a: sp.Expr
    g: sp.Expr
    t: sp.Symbol
    prefactor: sp.Expr = sp.S.One

    def __post_init__(self):
        if sp.simplify(self.a - 1) == 0:
            # p = 0: the zeta pole meets the z = 0 pole and the expansion has a log t
            raise ValueError(f"a={self.a!r} is invalid: expected a != 1 (p = (a-1)/beta != 0)")

    @property
    def beta(self) -> sp.Symbol:
        return SYMBOLS["beta"]

    @property
    def p(self) -> sp.Expr:
        """``p = (a - 1)/beta``: the power law is ``t^{-p}``."""
        return sp.expand((self.a - 1) / self.beta)

    @property
    def g_inf(self) -> sp.Expr:
        """``lim_{x->oo} g(x)``."""
        return sp.limit(self.g, _x, sp.oo)

    def summand(self, j: sp.Symbol | None = None) -> sp.Expr:
        j = SYMBOLS["j"] if j is None else j
        return j ** (-self.a) * self.g.subs(_x, self.t * j ** (-self.beta))

    def exact(self) -> sp.Expr:
        """The defining finite sum as an unevaluated SymPy ``Sum``."""
        j, M = SYMBOLS["j"], SYMBOLS["M"]
        return self.prefactor * sp.Sum(self.summand(j), (j, 1, M))


def profile_symbol() -> sp.Symbol:
    """The dummy variable ``x`` in which :class:`PowerSum` profiles are written."""
    return _x


def continuum_integral(ps: PowerSum) -> sp.Expr:
    """Eqs. (18)-(20): the sum as an integral over ``u = j^-beta`` (unevaluated).

    ``sum_{j=1}^M j^{-a} g(t j^-beta) ~ int_1^M ... dj = (1/beta) int_{M^-beta}^1 u^{p-1} g(tu) du``.
    The substitution is done by SymPy (``Integral.transform``); powers are then combined
    using ``u > 0``.
    """
    j, u, M = SYMBOLS["j"], SYMBOLS["u"], SYMBOLS["M"]
    beta = ps.beta
    integral = sp.Integral(ps.summand(j), (j, 1, M)).transform(j, (u ** (-1 / beta), u))
    f, (_, lo, hi) = integral.function, integral.limits[0]
    # transform keeps the orientation (1 -> M^-beta); flip it so the limits increase
    f = sp.powsimp(sp.expand_power_base(-f, force=True), force=True)
    f = sp.simplify(f)
    if sp.simplify(lo - 1) != 0 or sp.simplify(hi - M ** (-beta)) != 0:  # pragma: no cover
        raise RuntimeError(f"unexpected limits ({lo}, {hi}) after u = j^-beta")
    return ps.prefactor * sp.Integral(f, (u, M ** (-beta), 1))


def _leading_taylor(g: sp.Expr) -> tuple[int, sp.Expr]:
    """``(k0, g_k0)`` with ``g(x) = g_k0 x^k0 + O(x^{k0+1})`` at ``x = 0``."""
    for k in range(12):
        c = sp.simplify(sp.diff(g, _x, k).subs(_x, 0) / sp.factorial(k))
        if c != 0:
            return k, c
    raise ValueError("g vanishes to order >= 12 at 0: not a supported profile")


def mellin_profile(ps: PowerSum) -> sp.Expr:
    """``G(z) = int_0^oo x^{z-1} g(x) dx`` continued analytically, as ``-Mellin[g'](z+1)/z``.

    One integration by parts; the derivative ``g'`` decays exponentially, so its Mellin
    transform converges for ``Re z > -1`` and SymPy evaluates it in closed form.
    """
    gp = sp.simplify(sp.diff(ps.g, _x))
    mt, _strip, _cond = sp.mellin_transform(gp, _x, _z + 1)
    return -mt / _z


def power_law_term(ps: PowerSum) -> sp.Expr:
    """The ``z = p`` residue: ``c(t) G(p) t^{-p} / beta`` (the leading power law).

    ``G(z) = -Mellin[g'](z + 1)/z`` is simplified as a function of ``z`` first (so
    ``gamma(z + 1)/z`` becomes ``gamma(z)``) and then evaluated at ``z = p``.
    """
    G = sp.gammasimp(mellin_profile(ps))
    return ps.prefactor * G.subs(_z, ps.p) / ps.beta * ps.t ** (-ps.p)


def zeta_term(ps: PowerSum) -> sp.Expr:
    """The ``z = 0`` residue: ``c(t) g_inf zeta(a)`` (zero when ``g_inf = 0``).

    Only right of the fundamental strip when ``g(0) = 0``; then ``Res_{z=0} G = -g_inf``.
    """
    ginf = ps.g_inf
    if ginf == 0:
        return sp.S.Zero
    k0, _ = _leading_taylor(ps.g)
    if k0 == 0:  # pragma: no cover - no supported profile has g(0) != 0 and g_inf != 0
        raise ValueError("a profile with g(0) != 0 and g_inf != 0 has a divergent sum")
    res_G = sp.limit(_z * mellin_profile(ps), _z, 0)
    if sp.simplify(res_G + ginf) != 0:  # pragma: no cover - Res_{z=0} G = -g_inf always
        raise RuntimeError(f"Res G(z=0) = {res_G} != -g_inf = {-ginf}")
    return ps.prefactor * ginf * sp.zeta(ps.a)


def infinite_sum_terms(ps: PowerSum) -> tuple[sp.Expr, ...]:
    """The full large-``t`` expansion of the ``M = oo`` sum, leading term first.

    Two Mellin-Barnes residues (module docstring, item 2); the remainder is beyond all
    orders.  Ordering uses ``beta > 1``: the power law leads iff ``p < 0`` or ``g_inf = 0``.
    """
    law, zt = power_law_term(ps), zeta_term(ps)
    if zt == 0:
        return (law,)
    p_sign = _with_beta_gt_1(ps.p, ps.beta)
    if p_sign.is_negative:
        return (law, zt)
    if p_sign.is_positive:
        return (zt, law)
    raise ValueError(f"cannot order the terms: sign of p = {ps.p} unknown")


def width_tail(ps: PowerSum) -> sp.Expr:
    """Leading finite-``M`` correction ``-c(t) g_k0 t^k0 zeta(a + k0 beta, M + 1)``.

    Valid for ``t << M^beta``; the next Taylor term is smaller by ``O(t/M^beta)``.
    """
    k0, gk0 = _leading_taylor(ps.g)
    w = sp.expand(ps.a + k0 * ps.beta)
    return -ps.prefactor * gk0 * ps.t**k0 * sp.zeta(w, SYMBOLS["M"] + 1)


def _decay(ps: PowerSum) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """``(h, kappa, P)`` with ``g - g_inf = h = P(x) e^{-kappa x}``, ``P`` a polynomial."""
    h = sp.simplify(ps.g - ps.g_inf)
    kappa = sp.limit(-sp.diff(h, _x) / h, _x, sp.oo)
    P = sp.expand(sp.simplify(h * sp.exp(kappa * _x)))
    if not P.is_polynomial(_x):
        raise ValueError(f"g - g_inf = {h} is not a polynomial times an exponential")
    return h, kappa, P


def saturated_terms(ps: PowerSum) -> tuple[sp.Expr, sp.Expr]:
    """``(leading, next)`` for ``M^beta << t << M^{beta+1}`` (module docstring, item 4).

    ``leading = c(t) [g_inf H_M(a) + (1/beta) M^{1+beta-a} h(t M^-beta) / (kappa t)]`` and
    ``next`` = the second Watson term plus the Euler-Maclaurin end-point ``f(M)/2``; their
    relative sizes are ``O(M^beta/t)`` and ``O(t/M^{beta+1})``.
    """
    M, u, t, beta = SYMBOLS["M"], SYMBOLS["u"], ps.t, ps.beta
    h, kappa, P = _decay(ps)
    u0 = M ** (-beta)
    # continuum form of the decaying part: (1/beta) int_{u0}^.. u^{p-1} P(tu) e^{-kappa t u} du;
    # Watson: int_{u0}^oo phi(u) e^{-kappa t u} du = e^{-kappa t u0} sum_n phi^(n)(u0)/(kappa t)^{n+1}
    phi = u ** (ps.p - 1) * P.subs(_x, t * u) / beta
    w0 = sp.exp(-kappa * t * u0) * phi.subs(u, u0) / (kappa * t)
    w1 = sp.exp(-kappa * t * u0) * sp.diff(phi, u).subs(u, u0) / (kappa * t) ** 2
    em = (M ** (-ps.a) * h.subs(_x, t * u0)) / 2
    ginf = ps.g_inf
    # H_M(a) = zeta(a) - zeta(a, M + 1) (Hurwitz); for a = 0 it is M, as SymPy evaluates
    harmonic = sp.zeta(ps.a) - sp.zeta(ps.a, M + 1)
    lead = ginf * harmonic + w0
    nxt = w1 + em
    simp = lambda e: sp.powsimp(sp.expand_power_base(sp.expand(e), force=True), force=True)
    return ps.prefactor * simp(lead), ps.prefactor * simp(nxt)


def poisson_remainder(ps: PowerSum) -> sp.Expr:
    """Saddle-point size of the beyond-all-orders remainder, relative to the leading term.

    Poisson summation writes ``sum_j f(j) = sum_k int f(j) e^{-2 pi i k j} dj``; ``k = 0`` is
    the Mellin expansion above, and ``k = +-1`` dominate the rest.  With
    ``f = c(t) j^-a P(t j^-beta) e^{-kappa t j^-beta}`` the phase
    ``phi(j) = -kappa t j^-beta - 2 pi i j`` has its saddle at ``j*^{beta+1} = kappa beta t/(2 pi i)``,
    where ``Re phi = -(beta + 1) kappa t |j*|^-beta cos(pi beta/(2 beta + 2))`` and
    ``|phi''| = kappa beta (beta + 1) t |j*|^{-beta-2}``.  The estimate is
    ``2 |c| |j*|^-a |p_d| |x*|^d sqrt(2 pi/|phi''|) e^{Re phi}`` divided by the leading term
    (``p_d x^d`` the top term of ``P``, ``|x*| = t |j*|^-beta``): the scale of the upper-cutoff
    error, ``exp(-c_beta t^{1/(beta+1)})`` times a power of ``t``.  An estimate, not a bound:
    the ``k = +-1`` terms oscillate, and the next saddle order is ``O(t^{-1/(beta+1)})``.
    """
    beta, t = ps.beta, ps.t
    _, kappa, P = _decay(ps)
    poly = sp.Poly(P, _x)
    d, p_d = poly.degree(), poly.LC()
    jmod = (kappa * beta * t / (2 * sp.pi)) ** (1 / (beta + 1))
    xmod = t * jmod ** (-beta)
    re_phi = -(beta + 1) * kappa * xmod * sp.cos(sp.pi * beta / (2 * beta + 2))
    phi2 = kappa * beta * (beta + 1) * t * jmod ** (-beta - 2)
    amp = 2 * sp.Abs(ps.prefactor * p_d) * jmod ** (-ps.a) * xmod**d
    lead = infinite_sum_terms(ps)[0]
    est = amp * sp.sqrt(2 * sp.pi / phi2) * sp.exp(re_phi) / sp.Abs(lead)
    return sp.powsimp(sp.expand_power_base(est, force=True), force=True)
