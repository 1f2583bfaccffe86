"""Kernel asymptotics of the FSL with their constants (reference §2.4, §3.1-3.3; issue #3 item 1).

Each public function returns a :class:`KernelAsymptotic` built by SymPy from the defining
finite sum, through :mod:`fsltheory.fsl.integrals`:

================================  ==========================================  =====================
function                          quantity                                    leading law
================================  ==========================================  =====================
:func:`signal_asymptotic`         ``e_M(t)`` (§2.4, eq. 18)                   ``G(s)(2t)^-s/beta``
:func:`forgetting_asymptotic`     ``K_M(t)`` (§2.4, eq. 19)                   ``G(2-1/b)(2t)^-(2-1/b)/b``
:func:`constant_lr_noise`         ``int_0^T K_M(T-t) dt`` (Thm 5.2)           ``zeta(beta)/2``
:func:`exp_decay_noise_I1`        ``I_1`` (Lemma D.4)                         ``zeta(beta)/2``
:func:`exp_decay_noise_I2`        ``I_2`` (Lemmas D.5-D.6)                    ``G(2-1/b)(2T)^{1/b}/(4T)``
:func:`wsd_forgetting_bound`      ``int_0^oo K_M(T_2 + t) dt`` (Lemma D.10)   ``G(1-1/b)(2T_2)^{1/b}/(4 b T_2)``
================================  ==========================================  =====================

The noise integrals are first reduced per eigen-mode by SymPy (``int_0^T lambda^2
e^{-2 lambda (T - t)} gamma(t) dt``), then written as a power-law sum in ``x = lambda T``.
All constants are the paper's ``≂`` made exact for ``lambda_j = j^-beta`` and
``lambda_j theta*_j^2 = j^(-1-s beta)`` (the choice of :class:`fsltheory.PowerLawModel`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import mpmath
import sympy as sp

from fsltheory._util.validate import check_at_least, check_greater
from fsltheory.fsl.integrals import (
    SYMBOLS,
    PowerSum,
    continuum_integral,
    infinite_sum_terms,
    poisson_remainder,
    profile_symbol,
    saturated_terms,
    width_tail,
)

__all__ = [
    "KernelAsymptotic",
    "signal_asymptotic",
    "forgetting_asymptotic",
    "constant_lr_noise",
    "exp_decay_noise_I1",
    "exp_decay_noise_I2",
    "wsd_forgetting_bound",
]

beta, s, M = SYMBOLS["beta"], SYMBOLS["s"], SYMBOLS["M"]
_lam = sp.Symbol("lambda", positive=True)
_tau = sp.Symbol("tau", positive=True)
_EVAL_NAMES = ("beta", "s", "t", "T", "T_2", "M")


@dataclass(frozen=True)
class KernelAsymptotic:
    """A power-law eigen-sum with its derived asymptotics (all fields are SymPy objects).

    Attributes
    ----------
    name, reference : str
        What the quantity is, and where the paper defines or bounds it.
    t : sympy.Symbol
        The time variable (``t``, ``T`` or ``T_2``).
    exact : sympy.Expr
        The defining finite sum (unevaluated ``Sum`` over ``j = 1..M``).
    proxy : sympy.Expr
        Its continuum form after ``u = j^-beta`` (eqs. 18-20; unevaluated ``Integral``).
    terms : tuple of sympy.Expr
        Large-``t`` expansion of the ``M = oo`` sum, leading term first; the remainder is
        beyond all orders (of relative size :attr:`remainder`).
    tail : sympy.Expr
        Leading finite-``M`` correction (Hurwitz zeta), valid for ``t << M^beta``.
    window : tuple of sympy.Expr
        ``(t_min, t_max) = (1, M^beta)``: :attr:`law` holds for ``t_min << t << t_max``.
    remainder : sympy.Expr
        Saddle-point estimate of the neglected upper-cutoff (Poisson) error relative to the
        leading term, ``~ t^nu exp(-c_beta t^{1/(beta+1)})``.
    saturated, saturated_next : sympy.Expr
        Leading form and next-order terms in the saturated regime ``t`` in
        :attr:`saturated_window` ``= (M^beta, M^{beta+1})``.
    conditions : tuple of sympy.Rel
        Parameter conditions under which everything holds.
    exponent, constant : sympy.Expr
        :attr:`law` ``== constant * t**exponent``.
    limit : sympy.Expr or None
        ``lim_{t->oo}`` of the ``M = oo`` sum where it is finite and nonzero (else ``None``).
    crossover : sympy.Expr or None
        Where :attr:`law` meets the power part of :attr:`saturated` (when that is algebraic).
    """

    name: str
    reference: str
    t: sp.Symbol
    exact: sp.Expr
    proxy: sp.Expr
    terms: tuple
    tail: sp.Expr
    window: tuple
    remainder: sp.Expr
    saturated: sp.Expr
    saturated_next: sp.Expr
    saturated_window: tuple
    conditions: tuple
    exponent: sp.Expr
    constant: sp.Expr
    limit: sp.Expr | None = None
    crossover: sp.Expr | None = None

    @property
    def law(self) -> sp.Expr:
        """Leading term in the window, ``constant * t**exponent``."""
        return self.constant * self.t**self.exponent

    @property
    def correction(self) -> sp.Expr:
        """Next-order terms: the rest of :attr:`terms` plus the finite-width :attr:`tail`."""
        return sp.Add(*self.terms[1:]) + self.tail

    @property
    def approach(self) -> sp.Expr | None:
        """Second term of :attr:`terms` (how the leading term is approached), if any."""
        return self.terms[1] if len(self.terms) > 1 else None

    @property
    def symbols(self) -> dict[str, sp.Symbol]:
        """The free symbols of :attr:`exact` by name (``beta``, ``s``, ``M``, time)."""
        return {str(x): x for x in self.exact.free_symbols}

    def evaluate(self, which: str | sp.Expr = "law", *, dps: int = 30, **values) -> mpmath.mpf:
        """Evaluate a field (or any expression in these symbols) with mpmath.

        Parameters
        ----------
        which : str or sympy.Expr
            Name of a field or property (``"law"``, ``"correction"``, ``"saturated"``, ...).
        dps : int
            Decimal digits for the evaluation.
        **values
            ``beta``, ``s``, ``M`` and the time symbol by name; ``beta > 1``, ``s > 0``,
            ``M >= 1`` and time ``> 0`` are required.

        Examples
        --------
        >>> K = forgetting_asymptotic()
        >>> float(K.evaluate("law", beta=2, t=0.5))  # Gamma(3/2) (2 t)^(-3/2) / 2
        0.443113462726379
        """
        expr = getattr(self, which) if isinstance(which, str) else sp.sympify(which)
        names = {str(x) for x in expr.free_symbols}
        missing = names - set(values)
        if missing:
            raise ValueError(f"values for {sorted(missing)} are required to evaluate {which!r}")
        subs = {}
        for key, val in values.items():
            if key not in _EVAL_NAMES:  # an unknown keyword, not a bad value: no check_choice
                raise ValueError(
                    f"{key}={val!r} is invalid: expected a value for one of {_EVAL_NAMES}"
                )
            if key == "beta":
                v = check_greater("beta", val, 1.0)
            elif key == "M":
                v = check_at_least("M", val, 1.0)
            else:
                v = check_greater(key, val, 0.0)
            exact_int = key == "M" and v.is_integer()
            subs[SYMBOLS[key]] = sp.Integer(int(v)) if exact_int else sp.Float(v, dps + 5)
        with mpmath.workdps(dps):
            return mpmath.mpf(sp.N(expr.xreplace(subs), dps))


# ---------------------------------------------------------------------------- builders
def _force_powers(expr: sp.Expr) -> sp.Expr:
    """Combine powers of positive quantities: ``(2^{2-1/b} M / 4)^b -> 2^{-1} M^b`` etc."""
    expr = sp.powdenest(sp.expand_power_base(expr, force=True), force=True)
    return sp.powsimp(sp.expand_power_base(expr, force=True), force=True)


def _split_power(expr: sp.Expr, t: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """``(constant, exponent)`` with ``expr == constant * t**exponent``."""
    exponent = sp.expand(sp.simplify(t * sp.diff(expr, t) / expr))
    if exponent.has(t):
        raise ValueError(f"{expr} is not a power of {t}")
    constant = sp.powsimp(sp.expand_power_base(expr / t**exponent, force=True), force=True)
    return constant, exponent


def _build(
    name: str, reference: str, ps: PowerSum, conditions: tuple, limit: sp.Expr | None = None
) -> KernelAsymptotic:
    terms = infinite_sum_terms(ps)
    constant, exponent = _split_power(terms[0], ps.t)
    sat, sat_next = saturated_terms(ps)
    crossover = None
    if exponent != 0 and ps.g_inf != 0 and sp.simplify(ps.a) == 0:
        # the power law meets the saturated part c(t) g_inf H_M(0) = c(t) g_inf M, where
        # c(t) = t^k: constant t^exponent = g_inf M t^k
        _, k = _split_power(ps.prefactor, ps.t)
        root = (ps.g_inf * M / constant) ** (1 / (exponent - k))
        crossover = _force_powers(root)
    return KernelAsymptotic(
        name=name,
        reference=reference,
        t=ps.t,
        exact=ps.exact(),
        proxy=continuum_integral(ps),
        terms=terms,
        tail=width_tail(ps),
        window=(sp.S.One, M**beta),
        remainder=poisson_remainder(ps),
        saturated=sat,
        saturated_next=sat_next,
        saturated_window=(M**beta, M ** (beta + 1)),
        conditions=conditions,
        exponent=exponent,
        constant=constant,
        limit=limit,
        crossover=crossover,
    )


def _mode_profile(
    per_mode: sp.Expr, T: sp.Symbol, lam_power: sp.Expr, prefactor: sp.Expr = sp.S.One
) -> sp.Expr:
    """Write a per-mode result ``r(lambda, T)`` as ``prefactor * lambda^lam_power * g(lambda T)``.

    Returns ``g(x)``; raises if ``r`` does not have that form (then it is no power-law sum).
    """
    x = profile_symbol()
    g = sp.simplify(per_mode.subs(_lam, x / T) / (prefactor * (x / T) ** lam_power))
    g = sp.expand(sp.powsimp(sp.expand_power_base(g, force=True), force=True))
    if g.has(T):
        raise ValueError(f"{per_mode} is not of the form c(T) lambda^k g(lambda T)")
    return g


_BASE = (sp.Gt(beta, 1),)


@cache
def signal_asymptotic() -> KernelAsymptotic:
    """Signal-learning function ``e_M(t) = sum_{j<=M} j^(-1-s beta) e^{-2 t j^-beta}``.

    Section 4.2 / eq. (18): with ``u = j^-beta`` the sum becomes
    ``(1/beta) int_{M^-beta}^1 u^{s-1} e^{-2ut} du``; dropping the limits gives

    .. math:: e_M(t) = \\frac{\\Gamma(s)}{\\beta}(2t)^{-s} - \\zeta(1+s\\beta, M+1) + \\dots,
       \\qquad 1 \\ll t \\ll M^\\beta,

    the correction being the lower cutoff ``~ M^{-s beta}/(s beta)`` (Lemma C.5's
    ``e_oo - e_M <~ M^{-s beta}``).  Beyond ``M^beta`` the sum is dominated by ``j ~ M`` and
    decays like ``M^{beta(1-s)} e^{-2t/M^beta} / (2 beta t)``.
    """
    x, t = profile_symbol(), SYMBOLS["t"]
    ps = PowerSum(a=1 + s * beta, g=sp.exp(-2 * x), t=t)
    return _build("signal e_M(t)", "Section 4.2, eq. (18), Lemma C.4", ps, _BASE + (sp.Gt(s, 0),))


@cache
def forgetting_asymptotic() -> KernelAsymptotic:
    """Forgetting kernel ``K_M(t) = sum_{j<=M} j^(-2 beta) e^{-2 t j^-beta}``.

    Section 4.2 / eq. (19)-(20): ``(1/beta) int_{M^-beta}^1 z^{1-1/beta} e^{-2zt} dz``, so

    .. math:: \\mathcal K_M(t) = \\frac{\\Gamma(2-1/\\beta)}{\\beta}(2t)^{-(2-1/\\beta)}
       - \\zeta(2\\beta, M+1) + \\dots, \\qquad 1 \\ll t \\ll M^\\beta .
    """
    x, t = profile_symbol(), SYMBOLS["t"]
    ps = PowerSum(a=2 * beta, g=sp.exp(-2 * x), t=t)
    return _build("forgetting kernel K_M(t)", "Section 4.2, eqs. (19)-(20), Lemma C.4", ps, _BASE)


def _noise_sum_from_modes(
    integrand: sp.Expr, lims: tuple, T: sp.Symbol, lam_power, prefactor=sp.S.One
) -> PowerSum:
    """Integrate one mode of a noise integral, then rewrite it as a power-law sum."""
    per_mode = sp.simplify(sp.integrate(integrand, lims, conds="none"))
    g = _mode_profile(per_mode, T, lam_power, prefactor)
    return PowerSum(a=sp.expand(lam_power * beta), g=g, t=T, prefactor=prefactor)


def _I1_sum() -> PowerSum:
    T = SYMBOLS["T"]
    # one mode of int_0^T K_M(T - tau) dtau: lambda^2 e^{-2 lambda (T - tau)}
    return _noise_sum_from_modes(
        _lam**2 * sp.exp(-2 * _lam * (T - _tau)), (_tau, 0, T), T, lam_power=1
    )


def _termwise_limit(ps: PowerSum) -> sp.Expr:
    """``lim_{t->oo}`` of the ``M = oo`` sum, exchanging limit and sum.

    Dominated convergence: ``0 <= summand <= g_max j^-a`` with ``a = beta > 1``.
    """
    j = SYMBOLS["j"]
    lim = sp.limit(ps.prefactor * ps.summand(j), ps.t, sp.oo)
    b = sp.Symbol("b", positive=True)  # beta = 1 + b: the sum converges
    coeff, power = lim.subs(beta, 1 + b).as_independent(j)
    total = coeff * sp.summation(power, (j, 1, sp.oo))
    return sp.simplify(total.subs(b, beta - 1))


@cache
def constant_lr_noise() -> KernelAsymptotic:
    """Constant-LR noise integral per unit ``gamma``: ``int_0^T K_M(T-t) dt`` (Theorem 5.2).

    Per mode ``int_0^T lambda^2 e^{-2 lambda (T-t)} dt = lambda (1 - e^{-2 lambda T})/2``, so the
    integral is ``sum_j lambda_j (1 - e^{-2 lambda_j T})/2``; multiply by ``gamma`` for the noise
    term of eq. (21).  Its limit (:attr:`~KernelAsymptotic.limit`, by dominated convergence,
    and the leading Mellin term) is ``C_beta = zeta(beta)/2``, approached as

    .. math:: \\frac{\\zeta(\\beta)}{2} - \\frac{\\Gamma(1-1/\\beta)}{2\\beta}(2T)^{-(1-1/\\beta)}
       - T\\,\\zeta(2\\beta, M+1) + \\dots

    (:attr:`~KernelAsymptotic.approach`); for ``T >> M^beta`` it saturates at
    ``H_M(beta)/2 = (zeta(beta) - zeta(beta, M+1))/2``.
    """
    ps = _I1_sum()
    return _build(
        "constant-LR noise int_0^T K_M(T-t) dt",
        "Theorem 5.2 / D.1, eq. (21)",
        ps,
        _BASE,
        limit=_termwise_limit(ps),
    )


@cache
def exp_decay_noise_I1() -> KernelAsymptotic:
    """``I_1 = sum_j (1 - e^{-2 lambda_j T}) lambda_j / 2`` (Lemma D.4): ``I_1 = C_beta + o(1)``.

    The ``b``-part of the exponential-decay noise integral
    ``int_0^T K_M(T-t) gamma(t) dt = b I_1 + (a - b) I_2`` (Theorem 5.3).  It is the same sum as
    :func:`constant_lr_noise`; see there for the expansion.
    """
    ps = _I1_sum()
    return _build("I_1", "Lemma D.4, Theorem 5.3 / D.7", ps, _BASE, limit=_termwise_limit(ps))


@cache
def exp_decay_noise_I2() -> KernelAsymptotic:
    """``I_2 = sum_j (-lambda_j e^{-2 lambda_j T}/2 + (1 - e^{-2 lambda_j T})/(4T))`` (Lemmas D.5-D.6).

    The ``(a - b)``-part of the exponential-decay noise integral: in intrinsic time the schedule
    is linear, ``gamma(t) = b + (a - b)(1 - t/T)``, and one mode of
    ``int_0^T K_M(T-t)(1 - t/T) dt`` gives the summand above.  With ``x = lambda T`` it is
    ``(1/T) sum_j g(T j^-beta)``, ``g(x) = (1 - e^{-2x} - 2x e^{-2x})/4``, and the paper's
    integral ``int_0^oo (1 - e^{-u} - u e^{-u}) u^{-1-1/beta} du = beta Gamma(2 - 1/beta)`` yields

    .. math:: I_2 = \\frac{\\Gamma(2-1/\\beta)}{4}\\,\\frac{(2T)^{1/\\beta}}{T} - \\frac1{8T}
       + \\dots \\quad (1 \\ll T \\ll M^\\beta), \\qquad
       I_2 = \\frac{M}{4T} + O(e^{-2T/M^\\beta}) \\quad (T \\gg M^\\beta),

    i.e. ``I_2 ≂ min(M, T^{1/beta})/T`` with the two constants made explicit;
    :attr:`~KernelAsymptotic.crossover` is where the two laws meet,
    ``T* = (M/Gamma(2 - 1/beta))^beta / 2``.
    """
    T = SYMBOLS["T"]
    ps = _noise_sum_from_modes(
        _lam**2 * sp.exp(-2 * _lam * (T - _tau)) * (1 - _tau / T),
        (_tau, 0, T),
        T,
        lam_power=0,
        prefactor=1 / T,
    )
    return _build("I_2", "Lemmas D.5-D.6, Theorem 5.3 / D.7", ps, _BASE)


@cache
def wsd_forgetting_bound() -> KernelAsymptotic:
    """WSD forgetting integral ``int_0^oo K_M(T_2 + t) dt`` (Lemma D.10).

    Per mode ``int_0^oo lambda^2 e^{-2 lambda (T_2 + t)} dt = lambda e^{-2 lambda T_2}/2``: the
    noise injected in the stable phase still present after a decay of intrinsic length
    ``T_2``.  Lemma D.10 bounds it by ``min(M, T_2^{1/beta})/T_2``; the derived forms are

    .. math:: \\frac{\\Gamma(1-1/\\beta)}{4\\beta}\\frac{(2T_2)^{1/\\beta}}{T_2}
       - \\frac{\\zeta(\\beta, M+1)}{2}\\quad (1 \\ll T_2 \\ll M^\\beta), \\qquad
       \\frac{M}{4\\beta T_2}e^{-2T_2/M^\\beta}\\quad (M^\\beta \\ll T_2 \\ll M^{\\beta+1}),

    so the bound is attained (up to ``Gamma(1 - 1/beta) 2^{1/beta}/(4 beta)``) in the window and
    is loose by the factor ``e^{-2 T_2/M^beta}/beta`` beyond it.  It is also the deficit of the
    constant-LR integral: ``constant_lr_noise().limit - I_1(T) = this(T)`` at ``M = oo``.
    """
    T2 = SYMBOLS["T_2"]
    ps = _noise_sum_from_modes(
        _lam**2 * sp.exp(-2 * _lam * (T2 + _tau)), (_tau, 0, sp.oo), T2, lam_power=1
    )
    return _build("WSD forgetting int_0^oo K_M(T_2+t) dt", "Lemma D.10, Theorem 5.4", ps, _BASE)
