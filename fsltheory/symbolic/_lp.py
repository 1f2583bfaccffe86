"""Lexicographic LPs over (power, log) pairs, by vertex enumeration, with exact re-solves.

The LPs of :mod:`fsltheory.symbolic.balance` have at most four unknowns (``log_B`` of
``gamma``, ``M``, ``r`` and the objective level ``t``) and a few dozen rows, so every vertex
is enumerated in floating point (vectorised ``n x n`` solves).  Each unknown is a pair
``x_1 + epsilon x_2`` (power of ``B``, power of ``log B``): feasibility and optimality are
lexicographic.  The optimal vertex's basis is then re-solved exactly over ``QQ(s, beta)``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import sympy as sp
from sympy.polys.matrices import DomainMatrix

from fsltheory.symbolic.terms import BETA, Monomial, S

_BIG = 40.0  # box on every exponent, so each LP is bounded (hit only by M = oo directions)
_BIG_SYM = sp.Symbol("BIG")
_TOL = 1e-9

# ---------------------------------------------------------------------------- rows
#: exact arithmetic: rational functions of (s, beta, BIG), and the polynomial ring below
_F = sp.QQ.frac_field(S, BETA, _BIG_SYM)
_P = _F.get_ring()


@lru_cache(maxsize=8192)
def _to_F(expr):
    return _F.from_sympy(sp.sympify(expr))


@dataclass(frozen=True)
class _Row:
    coef: tuple  # per unknown
    rhs: tuple  # (power part, log part)
    kind: str  # 'term' | 'constraint' | 'box'


def _monomial_row(m: Monomial, unknowns: tuple[str, ...], budget: str, term: bool) -> _Row:
    cD = m.exponent("D")
    lin = {"lr": m.exponent("lr"), "r": m.exponent("r"), "M": m.exponent("M")}
    if budget == "compute":
        lin["M"] = lin["M"] - cD  # D = C / M
    for v, x in lin.items():
        if x != 0 and v not in unknowns:
            raise ValueError(f"monomial {m} involves {v}, which is not a free variable here")
    coef = tuple(
        (sp.S.NegativeOne if term else sp.S.Zero) if u == "t" else lin.get(u, sp.S.Zero)
        for u in unknowns
    )
    return _Row(coef, (-cD, -m.log), "term" if term else "constraint")


def _unit_row(unknowns, var, sign, rhs, kind) -> _Row:
    coef = tuple(sp.Integer(sign) if u == var else sp.S.Zero for u in unknowns)
    return _Row(coef, (rhs, sp.S.Zero), kind)


class _Family:
    """An LP family: fixed unknowns, one row list per choice of min-branches."""

    def __init__(self, unknowns, combos: list[list[_Row]]):
        self.unknowns = tuple(unknowns)
        self.combos = combos
        self.n = len(self.unknowns)
        self.exact = [
            [(tuple(_to_F(c) for c in r.coef), tuple(_to_F(x) for x in r.rhs)) for r in rows]
            for rows in combos
        ]
        self._num = []
        for rows in combos:
            A = [list(r.coef) for r in rows]
            b = [list(r.rhs) for r in rows]
            box = np.array([r.kind == "box" for r in rows])
            self._num.append((_compile(A), _compile(b), box))
        self._cache: dict = {}

    def numeric(self, k: int, s: float, beta: float):
        key = (k, s, beta)
        hit = self._cache.get(key)
        if hit is None:
            fA, fb, box = self._num[k]
            A = np.array(fA(s, beta), dtype=float).reshape(len(self.combos[k]), self.n)
            b = np.array(fb(s, beta), dtype=float).reshape(len(self.combos[k]), 2)
            hit = self._cache[key] = (A, b, box)
        return hit


def _compile(matrix):
    """Fast float evaluator ``f(s, beta)`` of a nested list of rational expressions.

    The expressions are rational functions with rational coefficients, so their ``str``
    is valid Python; this avoids ``lambdify``'s printer, which dominated the run time.
    """
    src = "[" + ",".join("[" + ",".join(f"({x})" for x in row) + "]" for row in matrix) + "]"
    code = compile(src, "<exponents>", "eval")

    def f(s, beta):
        return eval(code, {"s": float(s), "beta": float(beta), "BIG": _BIG})

    return f


@cache
def _subsets(R: int, n: int) -> np.ndarray:
    return np.array(list(itertools.combinations(range(R), n)), dtype=np.int64).reshape(-1, n)


def _vertices(A: np.ndarray, b: np.ndarray):
    """Feasible vertices of ``{x : A x <= b}`` over pairs (lexicographic feasibility).

    Returns ``(subsets, X)`` with ``X[i]`` the ``(n, 2)`` power/log solution of basis
    ``subsets[i]``; both empty when the polyhedron is empty.
    """
    R, n = A.shape
    sub = _subsets(R, n)
    AB = A[sub]
    with np.errstate(all="ignore"):
        det = np.linalg.det(AB)
    ok = np.abs(det) > 1e-10
    sub, AB = sub[ok], AB[ok]
    if len(sub) == 0:
        return sub, np.empty((0, n, 2))
    X = np.linalg.solve(AB, b[sub])  # (S, n, 2)
    slack = b[None, :, :] - np.matmul(A[None, :, :], X)
    s1, s2 = slack[..., 0], slack[..., 1]
    feas = ((s1 > _TOL) | ((np.abs(s1) <= _TOL) & (s2 >= -_TOL))).all(axis=1)
    return sub[feas], X[feas]


def _pick(sub, X, c: np.ndarray, box: np.ndarray):
    """Lexicographic minimiser of ``c.x`` among vertices: ``(subset, x, objective)`` or ``None``.

    Ties prefer vertices off the artificial box.
    """
    if len(sub) == 0:
        return None
    obj = np.tensordot(X, c, axes=([1], [0]))  # (S, 2)
    idx = np.flatnonzero(obj[:, 0] <= obj[:, 0].min() + _TOL)
    idx = idx[obj[idx, 1] <= obj[idx, 1].min() + _TOL]
    i = idx[int(np.argmin(box[sub[idx]].sum(axis=1)))]
    return sub[i], X[i], obj[i]


# ---------------------------------------------------------------------------- exact solve
def _clear(x, den):
    """``x * den`` as a polynomial (``den`` clears ``x``'s denominator up to a constant)."""
    q = x * den
    return q.numer.quo_ground(q.denom.LC) if q.denom.is_ground else _fail_clear(x)


def _fail_clear(x):
    raise ArithmeticError(f"cannot clear the denominator of {x}")


def _exact_solve(fam: _Family, k: int, subset, tstar=None) -> list[tuple]:
    """Solve the basis ``subset`` of combo ``k`` exactly over ``QQ(s, beta)``.

    Returns one ``(power, log)`` pair of field elements per unknown.  With ``tstar`` (a
    pair of field elements) the ``t`` column is fixed to it and dropped.
    """
    key = (k, tuple(int(i) for i in subset), tstar)
    hit = fam._cache.get(key)
    if hit is not None:
        return hit
    tcol = fam.unknowns.index("t")
    A, b = [], []
    for i in subset:
        coef, rhs = fam.exact[k][int(i)]
        coef, rhs = list(coef), list(rhs)
        if tstar is not None:
            ct = coef.pop(tcol)
            rhs = [rhs[0] - ct * tstar[0], rhs[1] - ct * tstar[1]]
        row = coef + rhs
        den = row[0].denom
        for x in row[1:]:
            den = den.lcm(x.denom)
        A.append([_clear(x, den) for x in coef])
        b.append([_clear(x, den) for x in rhs])
    n = len(A)
    num, den = DomainMatrix(A, (n, n), _P).solve_den(DomainMatrix(b, (n, 2), _P))
    rows = num.to_list()
    out = [(_F.field.new(r[0], den), _F.field.new(r[1], den)) for r in rows]
    fam._cache[key] = out
    return out


def _lex_less(a, b) -> bool:
    return a[0] < b[0] - _TOL or (abs(a[0] - b[0]) <= _TOL and a[1] < b[1] - _TOL)


def _best_t(fam: _Family, s, beta):
    """Best ``t`` over branch combos: ``(combo, subset, x, obj)``."""
    c = np.zeros(fam.n)
    c[fam.unknowns.index("t")] = 1.0
    best = None
    for k in range(len(fam.combos)):
        A, b, box = fam.numeric(k, s, beta)
        res = _pick(*_vertices(A, b), c, box)
        if res is not None and (best is None or _lex_less(res[2], best[3])):
            best = (k, *res)
    if best is None:
        raise ValueError("the reduced objective is infeasible at this point")
    return best


def _optimal_face(fam: _Family, s, beta, tstar_num) -> list:
    """Per combo, the vertices of the optimal set ``{terms <= t*}`` (``t`` column dropped)."""
    tcol = fam.unknowns.index("t")
    cols = [i for i in range(fam.n) if i != tcol]
    out = []
    for k in range(len(fam.combos)):
        A, b, box = fam.numeric(k, s, beta)
        sub, X = _vertices(A[:, cols], b - np.outer(A[:, tcol], tstar_num))
        out.append((sub, X, box))
    return out


def _project(fam: _Family, face: list, var: str, sense: str):
    """Extreme of ``var`` over the optimal set (all combos): ``(combo, subset, x, obj)``."""
    names = [u for u in fam.unknowns if u != "t"]
    c = np.zeros(len(names))
    c[names.index(var)] = 1.0 if sense == "min" else -1.0
    best = None
    for k, (sub, X, box) in enumerate(face):
        res = _pick(sub, X, c, box)
        if res is not None and (best is None or _lex_less(res[2], best[3])):
            best = (k, *res)
    return best
