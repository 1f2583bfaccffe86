"""The paper's three claims as symbolic inequalities between derived exponents (reference §4).

1. *Capacity*: at fixed intrinsic difficulty ``alpha = s beta``, a smaller ``beta`` (higher
   capacity) gives a faster loss decay -- for a constant LR in both regimes and for
   exponential/WSD decay in the hard regime; in their easy regime the rate depends on
   ``alpha`` only.
2. *Decay*: exponential decay (``b = a/K``) has a strictly larger polynomial rate than a
   constant LR, in every regime and budget.
3. *WSD*: WSD and exponential decay share the polynomial rate; WSD wins by a log factor.

Each :class:`ClaimCheck` holds a difference of exponents read from
``derive_scaling(Schedule, ...)`` and a parametrisation of its region by positive symbols; the claim
is *proven* when the difference becomes a ratio of polynomials with positive coefficients
(or vanishes identically, for equalities).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from fsltheory.symbolic.positivity import manifestly_positive
from fsltheory.symbolic.scaling import derive_scaling
from fsltheory.symbolic.terms import BETA, S

__all__ = ["ClaimCheck", "ALPHA", "claim_checks", "region_parametrisation"]

#: intrinsic difficulty ``alpha = s beta``, and positive slack symbols for the regions
ALPHA = sp.Symbol("alpha", positive=True)
_B = sp.Symbol("b", positive=True)
_C = sp.Symbol("c", positive=True)


def region_parametrisation(regime: str) -> dict:
    """Substitution mapping positive ``b, c`` onto a regime (``beta = 1 + b``).

    * ``'easy'``: ``s = b/(1+b) + c``, i.e. ``s > 1 - 1/beta``;
    * ``'hard'``: ``s = b/((1+b)(1+c))``, i.e. ``0 < s < 1 - 1/beta``;
    * ``'any'``: ``s = c``.
    """
    beta = 1 + _B
    if regime == "easy":
        return {BETA: beta, S: _B / (1 + _B) + _C}
    if regime == "hard":
        return {BETA: beta, S: _B / ((1 + _B) * (1 + _C))}
    if regime == "any":
        return {BETA: beta, S: _C}
    raise ValueError(f"regime={regime!r} is invalid: expected 'easy', 'hard' or 'any'")


@dataclass(frozen=True)
class ClaimCheck:
    """One inequality (``difference > 0``) or equality (``difference == 0``) to prove.

    Attributes
    ----------
    claim : int
        1 (capacity), 2 (decay) or 3 (WSD), as in reference §4.
    statement : str
        What is compared.
    budget, regime : str
        Where it is claimed.
    difference : sympy expression
        In ``s`` and ``beta`` (claim 1: in ``alpha`` and ``beta``).
    relation : {'>', '=='}
    """

    claim: int
    statement: str
    budget: str
    regime: str
    difference: sp.Expr
    relation: str = ">"

    def parametrised(self) -> sp.Expr:
        """The difference over the region's positive parametrisation."""
        sub = region_parametrisation(self.regime)
        d = self.difference
        if self.claim == 1:
            # fixed alpha: beta = 1 + b; hard region alpha < beta - 1, easy alpha > beta - 1
            beta = 1 + _B
            alpha = {"hard": _B / (1 + _C), "easy": _B + _C, "any": _C}[self.regime]
            return sp.cancel(d.subs({BETA: beta}).subs({ALPHA: alpha}))
        return sp.cancel(sp.together(d.subs(sub)))

    def proven(self) -> bool:
        """True when the claim follows over the whole region (see module docstring)."""
        p = self.parametrised()
        if self.relation == "==":
            return sp.simplify(p) == 0
        return manifestly_positive(p)

    def holds_at(self, beta, s) -> bool:
        """Numeric twin: evaluate the difference at one point of the region."""
        beta, s = sp.Rational(str(beta)), sp.Rational(str(s))
        point = {BETA: beta, S: s, ALPHA: s * beta}
        v = self.difference.subs(point)
        return v == 0 if self.relation == "==" else bool(v > 0)


def _rate(name: str, budget: str, regime: str, part: str = "power") -> sp.Expr:
    from fsltheory.schedules.registry import schedule_from_spec

    e = derive_scaling(schedule_from_spec(name), budget).region(regime).values["loss"]
    return -e.power if part == "power" else e.log


@cache
def claim_checks() -> tuple[ClaimCheck, ...]:
    """Every check of the three claims, with exponents read from the derived results."""
    out = []
    # Claim 1: d(rate)/d(beta) at fixed alpha = s beta is < 0 (so -d/dbeta > 0), or == 0
    for name in ("constant", "exponential", "wsd"):
        for budget in ("data", "compute"):
            for regime in ("easy", "hard"):
                rate = _rate(name, budget, regime).subs(S, ALPHA / BETA)
                d = sp.cancel(-sp.diff(rate, BETA))
                rel = "==" if (name != "constant" and regime == "easy") else ">"
                out.append(
                    ClaimCheck(
                        1,
                        f"{name}: the rate grows as beta decreases at fixed alpha"
                        if rel == ">"
                        else f"{name}: the rate depends on alpha only",
                        budget,
                        regime,
                        d,
                        rel,
                    )
                )
    # Claim 2: exponential decay beats a constant LR (polynomial rates)
    for budget in ("data", "compute"):
        for regime in ("easy", "hard"):
            d = sp.cancel(_rate("exponential", budget, regime) - _rate("constant", budget, regime))
            out.append(ClaimCheck(2, "rate(exp) - rate(constant) > 0", budget, regime, d))
    # Claim 3: WSD = exp in the polynomial rate, smaller log power
    for budget in ("data", "compute"):
        for regime in ("easy", "hard"):
            d = sp.cancel(_rate("wsd", budget, regime) - _rate("exponential", budget, regime))
            out.append(ClaimCheck(3, "rate(WSD) == rate(exp)", budget, regime, d, "=="))
            d = sp.cancel(
                _rate("exponential", budget, regime, "log") - _rate("wsd", budget, regime, "log")
            )
            out.append(ClaimCheck(3, "log power(exp) - log power(WSD) > 0", budget, regime, d))
    return tuple(out)
