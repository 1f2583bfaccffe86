"""The result of a balancing: optimal exponents as exact SymPy, Piecewise over ``(s, beta)``.

Every quantity ``X`` (the loss, the peak learning rate, ``M``, ``D``, the decay fraction) is
reported as ``X \\eqsim B^{power} (\\log B)^{log}`` in the budget ``B`` (``D`` for the
data-limited budget, ``C = MD`` for the compute-limited one), log powers treated as
independent of the polynomial ones (reference §8.3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import sympy as sp

from fsltheory.symbolic.terms import BETA, C, D, S

__all__ = [
    "Exponent",
    "Region",
    "ScalingResult",
    "QUANTITIES",
    "paper_regime",
    "exponent_to_text",
    "result_to_text",
    "result_to_latex",
]

#: quantities of a result, in display order (JSON keys)
QUANTITIES = ("loss", "lr", "M", "D", "decay_fraction")


def paper_regime(beta, s) -> str:
    """``'easy'`` if ``s >= 1 - 1/beta`` else ``'hard'`` (Section 5's task regimes)."""
    return "easy" if _q(s, "s") >= 1 - 1 / _q(beta, "beta") else "hard"


def _q(x, name: str = "value") -> sp.Expr:
    """Exact SymPy number from an int, float (via its decimal string) or numeric expression.

    Anything else (a symbol, a list, ``nan``, ``oo``, a bool) is refused with ``ValueError``
    here: left to SymPy, a comparison such as ``beta > 1`` would fail later with
    ``TypeError: cannot determine truth value of Relational``.
    """
    if isinstance(x, bool):
        raise ValueError(f"{name}={x!r} is invalid: expected a finite real number")
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            raise ValueError(f"{name}={x!r} is invalid: expected a finite real number")
        return sp.Rational(repr(x))
    try:
        q = sp.sympify(x)
    except Exception:
        # parsing text evaluates it: SymPy raises whatever the text does ('A.A' an
        # AttributeError, '1/0' a ZeroDivisionError, tokenizer and syntax errors, ...)
        raise ValueError(f"{name}={x!r} is invalid: expected a finite real number") from None
    if not (isinstance(q, sp.Expr) and q.is_number and q.is_real and q.is_finite):
        raise ValueError(f"{name}={x!r} is invalid: expected a finite real number")
    return q


@dataclass(frozen=True)
class Exponent:
    """``B^power (log B)^log`` with how the optimum pins the quantity down.

    Attributes
    ----------
    power, log : sympy expressions
        Exponents of the budget and of its logarithm (``power = oo`` for ``M = oo``).
    relation : {'eq', 'ge', 'inf'}
        ``'eq'``: the optimum has ``X \\eqsim`` this; ``'ge'``: this is the smallest optimal
        value and every value up to ``upper`` is optimal too (``X \\gtrsim``); ``'inf'``: the
        optimum is ``X = oo`` and any ``X \\gtrsim lower`` attains the same rate.
    upper, lower : (power, log) or None
        The other end of the optimal range for ``'ge'`` / the sufficient size for ``'inf'``.
    """

    power: sp.Expr
    log: sp.Expr = sp.S.Zero
    relation: str = "eq"
    upper: tuple[sp.Expr, sp.Expr] | None = None
    lower: tuple[sp.Expr, sp.Expr] | None = None

    def subs(self, mapping: dict) -> Exponent:
        def f(x):
            return None if x is None else sp.sympify(x).subs(mapping)

        def g(pair):
            return None if pair is None else (f(pair[0]), f(pair[1]))

        return replace(
            self, power=f(self.power), log=f(self.log), upper=g(self.upper), lower=g(self.lower)
        )

    def simplify(self) -> Exponent:
        def f(x):
            return sp.factor(x) if x.is_rational_function() else x

        def g(pair):
            return None if pair is None else (f(pair[0]), f(pair[1]))

        return replace(
            self, power=f(self.power), log=f(self.log), upper=g(self.upper), lower=g(self.lower)
        )

    def as_expr(self, budget_symbol: sp.Symbol) -> sp.Expr:
        """``B^power (log B)^log`` as one SymPy expression (``oo`` for ``'inf'``)."""
        if self.relation == "inf":
            return sp.oo
        return budget_symbol**self.power * sp.log(budget_symbol) ** self.log

    def to_json(self):
        """``{"power": "p", "log": "l"}`` with exact strings, or ``"inf"``."""
        if self.relation == "inf":
            return "inf"
        return {"power": str(self.power), "log": str(self.log)}

    def to_latex(self, budget_symbol: sp.Symbol) -> str:
        """E.g. ``D^{-\\frac{2}{3}} (\\log D)^{\\frac{1}{3}}``; ``\\infty`` for ``'inf'``."""
        if self.relation == "inf":
            return r"\infty"
        b = sp.latex(budget_symbol)
        parts = []
        if self.power != 0:
            parts.append(f"{b}^{{{sp.latex(self.power)}}}")
        if self.log == 1:
            parts.append(rf"\log {b}")
        elif self.log != 0:
            parts.append(rf"(\log {b})^{{{sp.latex(self.log)}}}")
        body = " ".join(parts) if parts else "1"
        return (r"\gtrsim " + body) if self.relation == "ge" else body


@dataclass(frozen=True)
class Region:
    """One piece of a Piecewise result: where it holds and the exponents there."""

    condition: sp.Basic
    values: dict = field(hash=False)  # quantity -> Exponent or None
    regime: str = "any"  # 'easy', 'hard' (paper's s vs 1 - 1/beta) or 'any'

    def holds(self, beta, s) -> bool:
        """Whether the region's condition holds at ``(beta, s)``."""
        return bool(sp.sympify(self.condition).subs({BETA: _q(beta), S: _q(s)}))


@dataclass(frozen=True)
class ScalingResult:
    """Optimal scaling of one schedule family under one budget.

    Read the exponents from the attributes (each an :class:`Exponent` whose parts are
    Piecewise over the regions, or plain numbers at a point), e.g.
    ``derive_scaling(WSD(peak=1), "data").loss``.

    Attributes
    ----------
    schedule : str
        Family name (with its shape options when they matter).
    budget : {'data', 'compute'}
        Data-limited (``D`` fixed) or compute-limited (``C = MD`` fixed).
    regions : tuple of Region
        Pieces in order; the first whose condition holds applies.
    objective : ReducedObjective
        The reduced objective that was balanced.
    beta, s : sympy numbers or None
        The point the result was evaluated at, if any.
    """

    schedule: str
    budget: str
    regions: tuple[Region, ...]
    objective: object = field(default=None, compare=False, repr=False)
    beta: sp.Expr | None = None
    s: sp.Expr | None = None

    # ------------------------------------------------------------------ access
    @property
    def budget_symbol(self) -> sp.Symbol:
        return D if self.budget == "data" else C

    def _piecewise(self, name: str) -> Exponent | None:
        vals = [r.values.get(name) for r in self.regions]
        if all(v is None for v in vals):
            return None
        if any(v is None for v in vals):
            raise ValueError(f"{name} is defined in some regions only")
        if len(vals) == 1 or all(v == vals[0] for v in vals[1:]):
            return vals[0]
        conds = [r.condition for r in self.regions]
        conds[-1] = sp.true

        def pw(get):
            pieces = [get(v) for v in vals]
            if all(p == pieces[0] for p in pieces[1:]):
                return pieces[0]
            if any(p is None for p in pieces):
                return None
            if isinstance(pieces[0], tuple):
                return (
                    sp.Piecewise(*zip((p[0] for p in pieces), conds, strict=True)),
                    sp.Piecewise(*zip((p[1] for p in pieces), conds, strict=True)),
                )
            return sp.Piecewise(*zip(pieces, conds, strict=True))

        rels = {v.relation for v in vals}
        return Exponent(
            power=pw(lambda v: v.power),
            log=pw(lambda v: v.log),
            relation=rels.pop() if len(rels) == 1 else "piecewise",
            upper=pw(lambda v: v.upper),
            lower=pw(lambda v: v.lower),
        )

    @property
    def loss(self) -> Exponent:
        """Optimal final excess risk ``E_opt``."""
        return self._piecewise("loss")

    @property
    def lr(self) -> Exponent:
        """Optimal peak effective learning rate ``gamma = eta/B``."""
        return self._piecewise("lr")

    @property
    def M(self) -> Exponent:
        """Optimal model size (``relation='inf'`` when ``M = oo`` is optimal)."""
        return self._piecewise("M")

    @property
    def D(self) -> Exponent | None:
        """Optimal data size (compute budget only; ``None`` when ``D`` is the budget)."""
        return self._piecewise("D")

    @property
    def decay_fraction(self) -> Exponent | None:
        """Optimal WSD decay fraction ``r`` (``None`` for families without one)."""
        return self._piecewise("decay_fraction")

    @property
    def regime(self) -> str | None:
        """Paper's task regime at the evaluated point (``None`` when symbolic)."""
        if self.beta is None or self.s is None:
            return None
        return paper_regime(self.beta, self.s)

    def region(self, regime: str) -> Region:
        """The single region labelled ``regime`` (``'easy'``, ``'hard'`` or ``'any'``)."""
        hits = [r for r in self.regions if r.regime in (regime, "any")]
        if len(hits) != 1:
            raise ValueError(
                f"regime={regime!r} is ambiguous or absent for {self.schedule}/{self.budget}: "
                f"regions are {[r.regime for r in self.regions]}"
            )
        return hits[0]

    def in_regime(self, regime: str) -> ScalingResult:
        """The result restricted to the region labelled ``regime``."""
        return replace(self, regions=(self.region(regime),))

    # ------------------------------------------------------------------ evaluation
    def at(self, beta=None, s=None) -> ScalingResult:
        """Evaluate at ``beta`` and/or ``s`` (exact: floats are read as their decimals)."""
        mapping = {}
        if beta is not None:
            beta = _q(beta, "beta")
            if not beta > 1:
                raise ValueError(f"beta={beta} is invalid: expected beta > 1")
            mapping[BETA] = beta
        if s is not None:
            s = _q(s, "s")
            if not s > 0:
                raise ValueError(f"s={s} is invalid: expected s > 0")
            mapping[S] = s
        if not mapping:
            return self
        regions = []
        for reg in self.regions:
            cond = sp.sympify(reg.condition).subs(mapping)
            if cond == sp.false:
                continue
            vals = {
                k: (None if v is None else v.subs(mapping).simplify())
                for k, v in reg.values.items()
            }
            regions.append(replace(reg, condition=cond, values=vals))
            if cond == sp.true:
                break
        if not regions:
            raise ValueError(
                f"no region of {self.schedule}/{self.budget} holds at {mapping}: "
                "the regions do not cover this point"
            )
        return replace(
            self,
            regions=tuple(regions),
            beta=beta if beta is not None else self.beta,
            s=s if s is not None else self.s,
        )

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict:
        """JSON-ready dict with exact strings (the ``fsl exponents --format json`` object).

        Keys: ``schedule``, ``budget``, ``beta``, ``s``, ``regime`` (``'easy'``/``'hard'`` at
        a point, else ``None``), one entry per quantity (``{"power", "log"}``, ``"inf"`` or
        ``None``) and ``relations`` (``'eq'``, ``'ge'``, ``'inf'``: see :class:`Exponent`).
        Symbolic results keep Piecewise strings.
        """
        out = {
            "schedule": self.schedule,
            "budget": self.budget,
            "beta": None if self.beta is None else str(self.beta),
            "s": None if self.s is None else str(self.s),
            "regime": self.regime,
        }
        relations = {}
        for name in QUANTITIES:
            v = self._piecewise(name)
            out[name] = None if v is None else v.to_json()
            if v is not None:
                relations[name] = v.relation
        out["relations"] = relations
        return out

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)

    def to_latex(self) -> str:
        """A LaTeX ``align*`` body: one line per quantity ."""
        return result_to_latex(self)

    def __str__(self) -> str:
        return result_to_text(self)


# ------------------------------------------------------------------ names
_NAMES_TEX = {
    "loss": r"\mathcal{E}_{\rm opt}",
    "lr": r"\gamma_{\rm opt}",
    "M": r"M_{\rm opt}",
    "D": r"D_{\rm opt}",
    "decay_fraction": r"r_{\rm opt}",
}
_NAMES_TEXT = {
    "loss": "loss E_opt",
    "lr": "peak lr gamma=eta/B",
    "M": "model size M",
    "D": "data D",
    "decay_fraction": "decay fraction r",
}


# ------------------------------------------------------------------ text
def _pair_text(power, log, base: str) -> str:
    parts = []
    if power != 0:
        parts.append(f"{base}^({power})")
    if log != 0:
        parts.append(f"(log {base})^({log})")
    return " ".join(parts) if parts else "1"


def exponent_to_text(e: Exponent | None, base: str) -> str:
    """E.g. ``D^(-2/3) (log D)^(1/3)``; ``oo (any M >~ ...)``; ``>~ ... (up to ...)``."""
    if e is None:
        return "-"
    if e.relation == "inf":
        low = _pair_text(*e.lower, base) if e.lower is not None else "?"
        return f"oo  (any >~ {low} attains the rate)"
    body = _pair_text(e.power, e.log, base)
    if e.relation == "ge":
        up = _pair_text(*e.upper, base) if e.upper is not None else "?"
        return f">~ {body}  (optimal up to {up})"
    if e.relation == "piecewise":
        return f"{body}  (relation depends on the region)"
    return f"~ {body}"


def result_to_text(result: ScalingResult) -> str:
    """Human-readable summary, one block per region."""
    base = str(result.budget_symbol)
    head = f"{result.schedule} / {result.budget} budget ({base} fixed)"
    if result.beta is not None or result.s is not None:
        head += f" at beta={result.beta}, s={result.s}"
        if result.regime is not None:
            head += f"  [{result.regime} regime]"
    lines = [head]
    for reg in result.regions:
        if len(result.regions) > 1 or reg.condition != sp.true:
            lines.append(f"  where {reg.condition}  [{reg.regime}]")
        for name in QUANTITIES:
            v = reg.values.get(name)
            if v is None and name in ("D", "decay_fraction"):
                continue
            lines.append(f"    {_NAMES_TEXT[name]:<22} {exponent_to_text(v, base)}")
    return "\n".join(lines)


# ------------------------------------------------------------------ LaTeX
def _latex_exp(e: Exponent | None, base: sp.Symbol) -> str:
    if e is None:
        return "--"
    if e.relation == "inf":
        low = Exponent(*e.lower).to_latex(base) if e.lower is not None else ""
        return r"\infty" + (rf"\ (\gtrsim {low})" if low else "")
    return e.to_latex(base)


def _latex_condition(cond) -> str:
    return "any" if cond == sp.true else sp.latex(cond)


def result_to_latex(result: ScalingResult) -> str:
    """``align*`` environment: one line per quantity and region."""
    base = result.budget_symbol
    rows = []
    for reg in result.regions:
        where = _latex_condition(reg.condition)
        rows.append(rf"&\text{{{result.schedule}, {result.budget} budget, region: }} {where}")
        for name in QUANTITIES:
            v = reg.values.get(name)
            if v is None:
                continue
            sym = r"\eqsim" if v.relation in ("eq", "inf") else ""
            rows.append(rf"{_NAMES_TEX[name]} &{sym} {_latex_exp(v, base)}")
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"
