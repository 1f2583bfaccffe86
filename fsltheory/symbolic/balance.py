"""The generic balancing engine: reduced objective in, optimal exponents out (reference §8.3).

Write every quantity as ``X = B^{x_1} (log B)^{x_2}`` in the budget ``B`` (``D``, or ``C`` with
``D = C/M``).  Up to constants a sum of terms is its largest term, so minimising the
objective is minimising the largest term exponent, *lexicographically*: first the power of
``B``, then the power of ``log B`` (log powers are independent, §8.3).  That is a linear
program over the ordered pairs ``x_1 + epsilon x_2`` (``epsilon`` infinitesimal):

    minimise t  subject to  exponent(term_i) <= t,  constraints (gamma <~ 1, T >~ 1, ...).

A ``min(a, b)`` term is a union of two polyhedra, so every choice of branches is solved and
the best kept.  Optimal points need not be unique: the engine also reports the range of each
hyperparameter over the optimal set (the smallest optimal peak learning rate, the smallest
sufficient WSD decay fraction, ...), each again an LP.

How exact symbolic answers come out of small LPs
------------------------------------------------
1. At a grid of generic parameter points ``(s, beta)`` each LP is solved by enumerating its
   vertices in floating point (at most a few thousand ``4 x 4`` solves).  That identifies
   the optimal *basis*: which terms balance, which constraints bind, which branch is taken.
2. The basis's linear system is re-solved exactly in ``QQ(s, beta)`` (SymPy DomainMatrix):
   the answer is a rational function of ``(s, beta)``, valid wherever that basis stays optimal.
3. Points are grouped by their exact answers; the factors of the differences between groups
   that change sign on ``s > 0, beta > 1`` (:func:`~fsltheory.symbolic.positivity.critical_factors`)
   are the candidate regime boundaries, and each group is described by the fewest sign
   conditions that separate it from the others.  Groups become the pieces of a Piecewise.
4. Every piece is checked against the numeric optimum at every grid point.

In the data-limited budget ``M = oo`` is taken (``M`` enters only through ``M^{-s beta}`` and
``min(M, .)``); the smallest ``M`` that still attains the optimal rate is reported as a lower
bound, and a finite-``M`` optimum that would beat ``M = oo`` raises an error.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from fsltheory._util.validate import check_choice
from fsltheory.symbolic._lp import (
    _BIG_SYM,
    _F,
    _best_t,
    _compile,
    _exact_solve,
    _Family,
    _lex_less,
    _monomial_row,
    _optimal_face,
    _project,
    _Row,
    _unit_row,
)
from fsltheory.symbolic.objectives import ReducedObjective
from fsltheory.symbolic.positivity import critical_factors, sign_on_domain
from fsltheory.symbolic.results import Exponent, Region, ScalingResult, paper_regime
from fsltheory.symbolic.terms import BETA, MinTerm, Monomial, S

__all__ = ["balance", "solve_point", "objective_value", "S_GRID", "BETA_GRID"]

#: generic sample points (no rational relation with the regime boundaries met in practice)
S_GRID = tuple(sp.Rational(x) for x in ("0.07", "0.29", "0.61", "1.07", "2.9"))
BETA_GRID = tuple(sp.Rational(x) for x in ("1.31", "2.23", "4.41", "9.7"))

BUDGETS = ("data", "compute")


# ---------------------------------------------------------------------------- one case
def _m_sign(expr, samples) -> int:
    sg = sign_on_domain(expr)
    if sg is not None:
        return sg
    vals = {int(np.sign(float(sp.sympify(expr).subs({S: s, BETA: b})))) for s, b in samples}
    if len(vals) != 1:
        raise ValueError(f"the sign of the M exponent {expr} changes within a case")
    return vals.pop()


def _at_infinite_M(bodies, samples) -> list:
    """Bodies with ``M -> oo``: ``M^{-x}`` terms vanish, ``min(M^{+x}, .)`` keeps the other branch."""
    out = []
    for body in bodies:
        flats = body.flat() if isinstance(body, MinTerm) else (body,)
        keep, vanish = [], False
        for m in flats:
            e = m.exponent("M")
            sg = 0 if e == 0 else _m_sign(e, samples)
            if sg < 0:
                vanish = True  # this branch (hence the min, or the monomial) tends to 0
            elif sg == 0:
                keep.append(m)
        if vanish:
            continue
        if not keep:
            raise ValueError(f"term {body} diverges as M -> oo")
        out.append(keep)
    return out


_FAMILIES: dict = {}
_FAMILIES_MAX = 512


def _family(objective, budget, mode, bodies, samples, fixed) -> _Family:
    """The LP family of a case: ``mode='inf'`` (data budget, ``M = oo``) or ``'full'``."""
    head = (objective.variables, tuple(m.without_coef() for _, m in objective.constraints))
    key = (head, budget, mode, bodies, tuple(sorted(fixed.items(), key=str)))
    fam = _FAMILIES.get(key)
    if fam is not None:
        return fam
    bodies = [b if not fixed else _subs_body(b, fixed) for b in bodies]
    if mode == "inf":
        flats = _at_infinite_M(bodies, samples)
        unknowns = (*objective.variables, "t")
    else:
        flats = [list(b.flat()) if isinstance(b, MinTerm) else [b] for b in bodies]
        unknowns = (*objective.variables[:1], "M", *objective.variables[1:], "t")
    base: list[_Row] = []
    for _, m in objective.constraints:
        base.append(_monomial_row(m.subs(fixed) if fixed else m, unknowns, budget, term=False))
    if "M" in unknowns:
        base.append(_unit_row(unknowns, "M", -1, sp.S.Zero, "constraint"))  # M >~ 1
        if budget == "compute":
            base.append(_unit_row(unknowns, "M", 1, sp.S.One, "constraint"))  # D >~ 1
    for u in unknowns:
        if u != "t":
            base.append(_unit_row(unknowns, u, 1, _BIG_SYM, "box"))
            base.append(_unit_row(unknowns, u, -1, _BIG_SYM, "box"))
    combos = []
    for choice in itertools.product(*[range(len(f)) for f in flats]):
        rows = [
            _monomial_row(f[i], unknowns, budget, term=True)
            for f, i in zip(flats, choice, strict=True)
        ]
        combos.append(rows + base)
    while _FAMILIES and len(_FAMILIES) >= _FAMILIES_MAX:
        # every distinct schedule parameter is a new key: keep the memory bounded (a 1e4-spec
        # fuzz run grew this and the derivation caches to 24 GB)
        _FAMILIES.pop(next(iter(_FAMILIES)))
    fam = _FAMILIES[key] = _Family(unknowns, combos)
    return fam


def _subs_body(body, fixed):
    if isinstance(body, MinTerm):
        return MinTerm(body.common.subs(fixed), tuple(b.subs(fixed) for b in body.branches))
    return body.subs(fixed)


def _strip(body):
    """A body without its constant (constants do not change exponents)."""
    if isinstance(body, MinTerm):
        return MinTerm(body.common.without_coef(), tuple(b.without_coef() for b in body.branches))
    return body.without_coef()


def _structure_key(objective) -> tuple:
    """What the engine sees of an objective: exponents only."""
    return (
        objective.variables,
        tuple(m.without_coef() for _, m in objective.constraints),
        tuple((cond, tuple(_strip(b) for b in bodies)) for cond, bodies in objective.cases()),
    )


@dataclass
class _PointResult:
    values: dict  # quantity -> (power, log) exact field elements
    numeric: dict  # quantity -> (power, log) floats


def _solve_at(objective, budget, bodies, samples, s, beta, fixed) -> _PointResult:
    """All quantities at one point: exact pairs (from the optimal bases) and floats."""
    sf, bf = float(s), float(beta)
    mode = "inf" if budget == "data" else "full"
    fam = _family(objective, budget, mode, bodies, samples, fixed)
    k, sub, x, obj = _best_t(fam, sf, bf)
    tcol = fam.unknowns.index("t")
    t_exact = _exact_solve(fam, k, sub)[tcol]
    values = {"loss": t_exact}
    numeric = {"loss": (obj[0], obj[1])}
    free = [u for u in fam.unknowns if u != "t"]
    face = _optimal_face(fam, sf, bf, obj)
    for var in free:
        j = free.index(var)
        for sense in ("min", "max"):
            kk, ss, xx, _ = _project(fam, face, var, sense)
            values[f"{var}_{sense}"] = _exact_solve(fam, kk, ss, t_exact)[j]
            numeric[f"{var}_{sense}"] = (xx[j, 0], xx[j, 1])
    if budget == "data":
        famM = _family(objective, budget, "full", bodies, samples, fixed)
        _, _, _, objM = _best_t(famM, sf, bf)
        if _lex_less(objM, obj):
            raise NotImplementedError(
                f"{objective.family}: a finite model size beats M = oo in the data budget"
            )
        kk, ss, xx, _ = _project(famM, _optimal_face(famM, sf, bf, obj), "M", "min")
        j = [u for u in famM.unknowns if u != "t"].index("M")
        values["M_min"] = _exact_solve(famM, kk, ss, t_exact)[j]
        numeric["M_min"] = (xx[j, 0], xx[j, 1])
    return _PointResult(values, numeric)


# ---------------------------------------------------------------------------- regions
def _case_samples(cond) -> list[tuple[sp.Rational, sp.Rational]]:
    """Generic ``(s, beta)`` points inside a case condition on ``beta``."""
    if cond == sp.true:
        betas = list(BETA_GRID)
    else:
        if isinstance(cond, sp.And):
            simple = None
        elif isinstance(cond, sp.Eq):
            simple = sp.FiniteSet(cond.rhs if cond.lhs == BETA else cond.lhs)
        elif isinstance(cond, (sp.StrictLessThan, sp.StrictGreaterThan)) and cond.lhs == BETA:
            edge = cond.rhs
            simple = (
                sp.Interval.open(1, edge)
                if isinstance(cond, sp.StrictLessThan)
                else sp.Interval.open(edge, sp.oo)
            )
        else:
            simple = None
        dom = simple if simple is not None else cond.as_set()
        dom = dom.intersect(sp.Interval.open(1, sp.oo))
        if isinstance(dom, sp.FiniteSet):
            betas = list(dom)
        elif isinstance(dom, sp.Interval):
            lo, hi = dom.start, dom.end
            if hi == sp.oo:
                betas = [lo * sp.Rational(x) for x in ("1.13", "1.61", "2.7", "5.3")]
            else:
                betas = [lo + (hi - lo) * sp.Rational(x) for x in ("0.13", "0.41", "0.67", "0.91")]
        else:
            raise ValueError(f"cannot sample the case condition {cond}")
    return [(s, b) for b in betas for s in S_GRID]


def _dense_points(samples) -> list[tuple[float, float]]:
    """A dense float grid over the sampled beta range, to label regions easy/hard/any."""
    bs = sorted({float(b) for _, b in samples})
    lo, hi = bs[0], bs[-1]
    if lo != hi:  # stretch to the case's range (open intervals: stay inside)
        lo, hi = 1 + (lo - 1) * 0.5, hi * 4 if hi > 4 * lo else hi + (hi - lo)
    grid_b = np.unique(np.concatenate([bs, np.geomspace(lo, hi, 25)])) if lo != hi else bs
    grid_s = np.geomspace(1e-3, 20.0, 60)
    return [(float(s), float(b)) for b in grid_b for s in grid_s]


def _compile_condition(cond):
    """Fast float test of a condition made of relations, ``&`` and ``Eq``."""
    code = compile(str(cond), "<condition>", "eval")
    ns = {"Eq": lambda a, b: a == b, "True": True, "False": False}

    def f(s, beta):
        return bool(eval(code, {**ns, "s": s, "beta": beta}))

    return f


def _sign_at(f, point) -> int:
    s, b = point
    return int(sp.sign(sp.sympify(f).subs({S: s, BETA: b})))


def _separate(groups: list[list], factors: list[sp.Expr]):
    """For each group of points, the fewest sign conditions false on every other group.

    Returns ``None`` when the factors cannot separate the groups.
    """
    signs = {(f, p): _sign_at(f, p) for f in factors for g in groups for p in g}
    out = []
    for gi, pts in enumerate(groups):
        others = [p for gj, g in enumerate(groups) if gj != gi for p in g]
        cands = []
        for f in factors:
            sg = {signs[f, p] for p in pts}
            if len(sg) == 1 and 0 not in sg:
                sg = sg.pop()
                killed = frozenset(i for i, p in enumerate(others) if signs[f, p] != sg)
                cands.append((f, sg, killed))
        chosen, alive = [], set(range(len(others)))
        while alive:
            best = max(cands, key=lambda c: len(c[2] & alive), default=None)
            if best is None or not (best[2] & alive):
                return None
            chosen.append((best[0], best[1]))
            alive -= best[2]
        out.append(chosen)
    return out


def _condition(conds: list[tuple[sp.Expr, int]]) -> sp.Basic:
    """``f >= 0`` / ``f < 0`` conditions, solved for ``s`` (or ``beta``) when linear in it."""
    parts = []
    for f, sg in conds:
        rel = sp.Ge(f, 0) if sg > 0 else sp.Lt(f, 0)
        var = S if f.has(S) else BETA
        poly = sp.Poly(f, var)
        if poly.degree() == 1 and sign_on_domain(poly.LC()) == 1:
            root = sp.cancel(-poly.nth(0) / poly.LC())
            if root.has(BETA):
                root = sp.apart(root, BETA)
            rel = sp.Ge(var, root) if sg > 0 else sp.Lt(var, root)
        parts.append(rel)
    return sp.And(*parts)


def _factored(x) -> sp.Expr:
    """A field element as a factored SymPy expression (factoring in the polynomial ring)."""
    coef, parts = sp.S.One, []
    for poly, sign in ((x.numer, 1), (x.denom, -1)):
        c, facs = poly.factor_list()
        coef *= _F.domain.to_sympy(c) ** sign
        parts += [f.as_expr() ** (k * sign) for f, k in facs]
    # one Mul, so that -(beta - 1)/beta is not distributed into (1 - beta)/beta
    return sp.Mul(coef, *parts)


def _to_sympy(pair) -> tuple[sp.Expr, sp.Expr]:
    return tuple(_factored(x) for x in pair)


def _case_regions(objective, budget, cond, bodies) -> list[Region]:
    samples = _case_samples(cond)
    fixed = {BETA: samples[0][1]} if isinstance(cond, sp.Eq) else {}
    results = [_solve_at(objective, budget, bodies, samples, s, b, fixed) for s, b in samples]
    keys = list(results[0].values)
    # group points by their exact answers (field elements are canonical)
    groups: dict[tuple, list] = {}
    for pt, res in zip(samples, results, strict=True):
        groups.setdefault(tuple(res.values[k] for k in keys), []).append(pt)
    # order: larger s first, so the boundary belongs to the easier side (paper: s >= 1-1/beta)
    ordered = sorted(groups.items(), key=lambda g: -float(sum(p[0] for p in g[1])) / len(g[1]))
    conds: list = [[]]
    if len(ordered) > 1:
        factors: list = []
        # candidate boundaries: where the loss exponents of two groups cross, then the rest
        for stage in (keys[:1], keys[1:]):
            for (va, _), (vb, _) in itertools.combinations(ordered, 2):
                for j in (keys.index(k) for k in stage):
                    for part in (0, 1):
                        d = va[j][part] - vb[j][part]
                        if d != 0:
                            for f in critical_factors(_F.to_sympy(d)):
                                if f not in factors:
                                    factors.append(f)
            conds = _separate([g[1] for g in ordered], factors)
            if conds is not None:
                break
        if conds is None:
            raise RuntimeError(
                f"{objective.family}/{budget}: cannot separate the regimes by the critical "
                f"factors {factors}"
            )
    regions = []
    dense = _dense_points(samples)
    for (vals, pts), cs in zip(ordered, conds, strict=True):
        rc = _condition(cs) if cs else sp.true
        inside = _compile_condition(sp.And(cond, rc))
        regimes = {paper_regime(b, s) for s, b in pts}
        regimes |= {"easy" if s >= 1 - 1 / b else "hard" for s, b in dense if inside(s, b)}
        exact = dict(zip(keys, vals, strict=True))
        if "M_max" in exact:  # D = C / M
            lo, hi = exact["M_min"], exact["M_max"]
            exact["D_min"] = (_F.one - hi[0], -hi[1])
            exact["D_max"] = (_F.one - lo[0], -lo[1])
        exact = {k: _to_sympy(v) for k, v in exact.items()}
        regions.append(
            Region(
                condition=sp.And(cond, rc),
                values=_exponents(exact, objective, budget),
                regime=regimes.pop() if len(regimes) == 1 else "any",
            )
        )
    _self_check(objective, budget, regions, samples, results, keys)
    return regions


def _self_check(objective, budget, regions, samples, results, keys) -> None:
    """Every piece must reproduce the numeric optimum at every sample point."""
    for reg in regions:
        raw = _raw(reg.values, budget)
        exprs = [raw[k][part] for k in keys for part in (0, 1)]
        reg_fn = _compile([exprs])
        for (s, b), res in zip(samples, results, strict=True):
            if next(r for r in regions if _holds(r.condition, s, b)) is not reg:
                continue
            got = np.array(reg_fn(s, b)[0], dtype=float)
            want = np.array([res.numeric[k][part] for k in keys for part in (0, 1)])
            if not np.allclose(got, want, atol=1e-7):
                raise RuntimeError(
                    f"{objective.family}/{budget}: a piece fails its check at s={s}, beta={b}"
                )


def _holds(cond, s, b) -> bool:
    return bool(cond.subs({S: s, BETA: b}))


def _relation(lo, hi) -> str:
    return "eq" if lo == hi else "ge"


def _exponents(vals: dict, objective, budget) -> dict:
    """Exact LP pairs -> the :class:`Exponent` of each reported quantity."""
    out = {"loss": Exponent(*vals["loss"])}
    lo, hi = vals["lr_min"], vals["lr_max"]
    rel = _relation(lo, hi)
    out["lr"] = Exponent(*lo, relation=rel, upper=None if rel == "eq" else hi)
    if "r" in objective.variables:
        lo, hi = vals["r_min"], vals["r_max"]
        rel = _relation(lo, hi)
        out["decay_fraction"] = Exponent(*lo, relation=rel, upper=None if rel == "eq" else hi)
    else:
        out["decay_fraction"] = None
    if budget == "data":
        out["M"] = Exponent(sp.oo, sp.S.Zero, relation="inf", lower=vals["M_min"])
        out["D"] = None
    else:
        lo, hi = vals["M_min"], vals["M_max"]
        rel = _relation(lo, hi)
        out["M"] = Exponent(*lo, relation=rel, upper=None if rel == "eq" else hi)
        dlo, dhi = vals["D_min"], vals["D_max"]
        out["D"] = Exponent(*dlo, relation=rel, upper=None if rel == "eq" else dhi)
    for k, v in out.items():
        if v is not None and (v.power.has(_BIG_SYM) or v.log.has(_BIG_SYM)):
            raise RuntimeError(f"{objective.family}: {k} is unbounded (it depends on the box)")
    return out


def _raw(values: dict, budget) -> dict:
    """Back from Exponents to the LP pairs (for the self-check)."""
    out = {"loss": (values["loss"].power, values["loss"].log)}
    for name, var in (("lr", "lr"), ("decay_fraction", "r")):
        e = values.get(name)
        if e is None:
            continue
        out[f"{var}_min"] = (e.power, e.log)
        out[f"{var}_max"] = e.upper if e.upper is not None else (e.power, e.log)
    e = values["M"]
    if budget == "data":
        out["M_min"] = e.lower
    else:
        out["M_min"] = (e.power, e.log)
        out["M_max"] = e.upper if e.upper is not None else (e.power, e.log)
    return out


# ---------------------------------------------------------------------------- public
# bounded: every distinct schedule parameter (a WSD fraction, a power p) is a new key, and
# each entry holds SymPy trees (a fuzz run of 1e4 specs grew an unbounded cache to 24 GB)
@lru_cache(maxsize=512)
def balance(objective: ReducedObjective, budget: str = "data") -> ScalingResult:
    """Optimal exponents of a reduced objective under a data or compute budget.

    Parameters
    ----------
    objective : ReducedObjective
        From :func:`~fsltheory.symbolic.objectives.reduced_objective`.
    budget : {'data', 'compute'}
        ``D`` fixed (``M = oo`` optimal), or ``C = MD`` fixed.

    Returns
    -------
    ScalingResult
        Exact exponents, Piecewise over ``(s, beta)``.
    """
    budget = check_choice("budget", budget, BUDGETS)
    regions = _regions(_structure_key(objective), budget, objective)
    return ScalingResult(
        schedule=objective.family, budget=budget, regions=tuple(regions), objective=objective
    )


_REGIONS: dict = {}


def _regions(key, budget, objective) -> tuple[Region, ...]:
    """Regions of every case of an objective, cached by its exponent structure."""
    hit = _REGIONS.get((key, budget))
    if hit is None:
        regions = []
        for cond, bodies in key[2]:
            regions.extend(_case_regions(objective, budget, cond, bodies))
        # equality cases (a fixed beta) first: they are the most specific
        regions.sort(key=lambda r: 0 if r.condition.has(sp.Eq) else 1)
        hit = _REGIONS[(key, budget)] = tuple(regions)
    return hit


def solve_point(objective: ReducedObjective, budget: str, beta, s) -> dict:
    """Exact optimum at one point, straight from the LP (independent of the Piecewise).

    Returns ``{quantity: (power, log)}`` with keys ``loss``, ``lr_min``, ``lr_max``,
    ``M_min`` (and ``M_max``, ``r_min``, ``r_max`` where they apply).
    """
    budget = check_choice("budget", budget, BUDGETS)
    beta, s = sp.Rational(str(beta)), sp.Rational(str(s))
    for cond, bodies in _structure_key(objective)[2]:
        if _holds(cond, s, beta):
            res = _solve_at(objective, budget, bodies, [(s, beta)], s, beta, {})
            point = {S: s, BETA: beta}
            return {
                k: tuple(sp.cancel(_F.to_sympy(x).subs(point)) for x in pair)
                for k, pair in res.values.items()
            }
    raise ValueError(f"no case of {objective.family} holds at beta={beta}")


def objective_value(
    objective: ReducedObjective, budget: str, *, beta, s, lr, M=None, r=(0, 0)
) -> tuple[sp.Expr, sp.Expr]:
    """Exponent pair of the objective at given hyperparameters (the largest term wins).

    ``lr``, ``M``, ``r`` are ``(power, log)`` pairs in the budget; ``M=None`` in the data
    budget means ``M = oo``.  Used to test printed optima against the objective.
    """
    budget = check_choice("budget", budget, BUDGETS)
    beta, s = sp.Rational(str(beta)), sp.Rational(str(s))
    point = {S: s, BETA: beta}
    cases = _structure_key(objective)[2]
    bodies = next((b for cond, b in cases if _holds(cond, s, beta)), None)
    if bodies is None:  # pragma: no cover - the cases cover the domain
        raise ValueError(f"no case of {objective.family} holds at beta={beta}")
    if M is None:
        if budget != "data":
            raise ValueError("M=None (M = oo) is only meaningful in the data budget")
        flats = _at_infinite_M(bodies, [(s, beta)])
        M = (0, 0)
    else:
        flats = [list(b.flat()) if isinstance(b, MinTerm) else [b] for b in bodies]
    d = (1, 0) if budget == "data" else (1 - sp.sympify(M[0]), -sp.sympify(M[1]))
    pairs = {"lr": lr, "M": M, "r": r, "D": d}

    def value(m: Monomial):
        p = sum((sp.sympify(x).subs(point) * sp.sympify(pairs[v][0]) for v, x in m.exps), 0)
        q = sum((sp.sympify(x).subs(point) * sp.sympify(pairs[v][1]) for v, x in m.exps), 0)
        return (sp.cancel(p), sp.cancel(q + sp.sympify(m.log).subs(point)))

    return max(min(value(m) for m in branches) for branches in flats)
