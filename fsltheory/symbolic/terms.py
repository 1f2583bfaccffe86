"""The term algebra of reduced objectives (reference §8.3).

A reduced objective is a sum of power-law-and-log terms

.. math:: c\\,\\gamma^{a} M^{b} D^{c} r^{e} (\\log D)^{k},

in the peak effective learning rate ``gamma = eta/B`` (Section 5's ``gamma``, *not* the
intrinsic-time schedule ``gamma(t)``), the model size ``M``, the data ``D``, the WSD decay
fraction ``r`` and ``log D``.  Up to constants (the paper's ``\\eqsim``) a sum is its largest
term, so only the exponents matter; constants ``c`` are kept for display.

Three shapes of term appear in Theorems 5.2-5.4 and in the decays derived here:

* :class:`Monomial` -- one power-law-and-log product;
* :class:`MinTerm` -- ``common * min(branch_1, branch_2, ...)``, e.g. the
  ``min(M, (gamma D~)^{1/beta}) / D~`` noise term of Theorem 5.3;
* :class:`CaseTerm` -- a Piecewise choice of term by a condition on ``beta`` (the
  convergence of the noise integral for decays to zero).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import sympy as sp

__all__ = [
    "S",
    "BETA",
    "GAMMA",
    "M",
    "D",
    "C",
    "R",
    "VARIABLES",
    "Monomial",
    "MinTerm",
    "CaseTerm",
    "Term",
    "mono",
]

#: relative task difficulty ``s`` (Assumption 2.5) and capacity exponent ``beta`` (2.3)
S = sp.Symbol("s", positive=True)
BETA = sp.Symbol("beta", positive=True)
#: peak effective learning rate ``eta/B`` (Section 5); model size; data; compute
GAMMA = sp.Symbol("gamma", positive=True)
M = sp.Symbol("M", positive=True)
D = sp.Symbol("D", positive=True)
C = sp.Symbol("C", positive=True)
#: WSD decay fraction ``r = K_2 / K``
R = sp.Symbol("r", positive=True)

#: the variables a monomial may carry, with their display symbols
VARIABLES: dict[str, sp.Symbol] = {"lr": GAMMA, "M": M, "D": D, "r": R}


def _sym(x) -> sp.Expr:
    return sp.nsimplify(x) if isinstance(x, float) else sp.sympify(x)


@lru_cache(maxsize=4096)
def _canon(x: sp.Expr) -> sp.Expr:
    """Canonical form of an exponent (a rational function of ``s``, ``beta``)."""
    return sp.cancel(x)


@dataclass(frozen=True)
class Monomial:
    """``coef * prod_v v^{exps[v]} * (log D)^log``; build with :func:`mono`.

    ``exps`` is a sorted tuple of ``(variable, exponent)`` pairs with non-zero exponents,
    so equal monomials compare and hash equal.
    """

    exps: tuple[tuple[str, sp.Expr], ...] = ()
    log: sp.Expr = sp.S.Zero
    coef: sp.Expr = sp.S.One

    def exponent(self, var: str) -> sp.Expr:
        """Exponent of ``var`` (0 when absent)."""
        return dict(self.exps).get(var, sp.S.Zero)

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(v for v, _ in self.exps)

    def __mul__(self, other: Monomial) -> Monomial:
        e = dict(self.exps)
        for v, x in other.exps:
            e[v] = e.get(v, sp.S.Zero) + x
        return mono(**e, log=self.log + other.log, coef=self.coef * other.coef)

    def __pow__(self, p) -> Monomial:
        p = _sym(p)
        return mono(**{v: x * p for v, x in self.exps}, log=self.log * p, coef=self.coef**p)

    def __truediv__(self, other: Monomial) -> Monomial:
        return self * other ** (-1)

    def without_coef(self) -> Monomial:
        return Monomial(self.exps, self.log, sp.S.One)

    def subs(self, mapping: dict) -> Monomial:
        """Substitute parameters (``s``, ``beta``) in every exponent."""
        return mono(
            **{v: sp.sympify(x).subs(mapping) for v, x in self.exps},
            log=sp.sympify(self.log).subs(mapping),
            coef=sp.sympify(self.coef).subs(mapping),
        )

    def to_sympy(self, budget_symbol: sp.Symbol = D) -> sp.Expr:
        """The monomial as a SymPy product of powers (``log`` of ``budget_symbol``)."""
        out = self.coef * sp.log(budget_symbol) ** self.log
        for v, x in self.exps:
            out *= VARIABLES[v] ** x
        return out


def mono(*, lr=0, M=0, D=0, r=0, log=0, coef=1) -> Monomial:
    """Build a :class:`Monomial` from exponents (numbers or SymPy expressions)."""
    raw = {"lr": lr, "M": M, "D": D, "r": r}
    exps = []
    for v in VARIABLES:
        x = _canon(_sym(raw[v]))
        if x != 0:
            exps.append((v, x))
    return Monomial(tuple(exps), _canon(_sym(log)), _sym(coef))


@dataclass(frozen=True)
class MinTerm:
    """``common * min(branches)``: the value is the smallest of ``common * branch``."""

    common: Monomial
    branches: tuple[Monomial, ...]

    @cached_property
    def _flat(self) -> tuple[Monomial, ...]:
        return tuple(self.common * b for b in self.branches)

    def flat(self) -> tuple[Monomial, ...]:
        """The branches multiplied out: ``(common * b for b in branches)``."""
        return self._flat

    def to_sympy(self, budget_symbol: sp.Symbol = D) -> sp.Expr:
        return self.common.to_sympy(budget_symbol) * sp.Min(
            *(b.to_sympy(budget_symbol) for b in self.branches)
        )


@dataclass(frozen=True)
class CaseTerm:
    """A term chosen by conditions on the parameters: ``((condition, body or None), ...)``.

    The conditions must be mutually exclusive and cover the domain ``beta > 1, s > 0``.
    """

    cases: tuple[tuple[sp.Basic, Monomial | MinTerm | None], ...]


@dataclass(frozen=True)
class Term:
    """One named term of a reduced objective.

    Attributes
    ----------
    label : str
        What the term is (``approximation``, ``signal``, ``noise: ...``).
    body : Monomial, MinTerm or CaseTerm
        The term in exponent form, used by the balancing engine.
    display : sympy expression
        The same term written with the intrinsic times ``T`` (and ``T_2``) for LaTeX.
    """

    label: str
    body: Monomial | MinTerm | CaseTerm
    display: sp.Expr
