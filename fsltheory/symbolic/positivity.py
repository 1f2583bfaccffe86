"""Signs of rational expressions on the parameter domain ``s > 0, beta > 1``.

A rational function of ``s`` and ``beta`` has a fixed sign on the whole domain when, after
``beta = 1 + b``, its numerator and denominator are polynomials in positive symbols whose
coefficients all share one sign: that is a proof, not a sampled check.  Expressions that
change sign over the domain are the *critical factors* that bound regimes.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from fsltheory.symbolic.terms import BETA, S

__all__ = ["manifestly_positive", "sign_on_domain", "critical_factors", "B_SHIFT"]

#: ``beta = 1 + b`` with ``b > 0``
B_SHIFT = sp.Symbol("b", positive=True)


def _poly_sign(p: sp.Expr) -> int | None:
    p = sp.expand(p)
    if p == 0:
        return 0
    syms = sorted(p.free_symbols, key=str)
    if not syms:
        return 1 if p > 0 else -1
    if not all(x.is_positive for x in syms):
        return None
    try:
        coeffs = sp.Poly(p, *syms).coeffs()
    except sp.PolynomialError:
        return None
    if not all(c.is_real and c.is_number for c in coeffs):
        return None
    if all(c > 0 for c in coeffs):
        return 1
    if all(c < 0 for c in coeffs):
        return -1
    return None


def manifestly_positive(expr: sp.Expr) -> bool:
    """True when ``expr`` is a ratio of polynomials with positive coefficients in positive symbols."""
    num, den = sp.fraction(sp.cancel(sp.together(expr)))
    sn, sd = _poly_sign(num), _poly_sign(den)
    return sn is not None and sd is not None and sn * sd == 1


def sign_on_domain(expr: sp.Expr, extra: dict | None = None) -> int | None:
    """``+1``/``-1`` if ``expr`` has that sign for every ``s > 0, beta > 1``; 0 if it is 0.

    ``None`` when the sign changes over the domain (or cannot be decided this way).
    ``extra`` substitutes further parameters first (e.g. ``{s: alpha/beta}``).
    """
    e = sp.sympify(expr)
    return _sign(e.subs(extra) if extra else e)


@lru_cache(maxsize=4096)
def _sign(e: sp.Expr) -> int | None:
    e = sp.cancel(sp.together(e.subs(BETA, 1 + B_SHIFT)))
    if e == 0:
        return 0
    num, den = sp.fraction(e)
    sn, sd = _poly_sign(num), _poly_sign(den)
    if sn is None or sd is None:
        return None
    return sn * sd


@lru_cache(maxsize=1024)
def critical_factors(expr: sp.Expr) -> tuple[sp.Expr, ...]:
    """Factors of ``expr``'s numerator and denominator whose sign changes on the domain.

    Each is returned normalised so that its coefficient of ``s`` (or else of ``beta``) is
    positive.
    """
    num, den = sp.fraction(sp.cancel(sp.together(sp.sympify(expr))))
    out = []
    for part in (num, den):
        _, facs = sp.factor_list(part)
        for f, _mult in facs:
            if not (f.free_symbols & {S, BETA}):
                continue
            if sign_on_domain(f) is not None:
                continue
            var = S if f.has(S) else BETA
            if sign_on_domain(sp.Poly(f, var).LC()) == -1:
                f = -f
            f = sp.expand(f)
            if f not in out:
                out.append(f)
    return tuple(out)
