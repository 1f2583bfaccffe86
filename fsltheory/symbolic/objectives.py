"""From a schedule's intrinsic-time description to its reduced objective (reference §3, §8.3).

Under Assumption 5.1 (``sigma >~ 1``, constant batch) the simplified FSL at the last step is

.. math:: \\mathcal E \\eqsim M^{-s\\beta} + T^{-s}
          + \\frac{\\sigma^2}{B}\\int_0^T \\mathcal K_M(\\tau)\\,\\gamma_{\\rm rem}(\\tau)\\,d\\tau,

with ``tau`` the *remaining* intrinsic time and ``K_M(tau) ~ tau^{-(2-1/beta)}`` for
``1 <~ tau <~ M^beta``, negligible beyond (eq. 10, Lemma C.4).  Writing the learning rate
near the end as ``gamma_rem(tau) ~ b + gamma (tau/T_2)^q`` (:class:`IntrinsicProfile`), the
noise integral splits into

* the final learning rate ``b`` times ``int K_M ~ 1`` (Theorem 5.2's ``gamma``, Theorem 5.3's
  ``b/B``);
* the decay: ``gamma T_2^{-q} int_0^{min(T_2, M^beta)} tau^{q-2+1/beta} dtau``, which
  converges at large ``tau`` iff ``q < 1 - 1/beta``.  Hence the Piecewise term

  - ``q > 1 - 1/beta``: ``gamma T_2^{-q} min(T_2, M^beta)^{q-1+1/beta}``
    (``q = 1``: Theorem 5.3's ``gamma min(M, T^{1/beta}) / T``);
  - ``q = 1 - 1/beta``: ``gamma T_2^{-q} log D``;
  - ``q < 1 - 1/beta``: ``gamma T_2^{-q}``;
* for WSD, the noise of the stable phase, forgotten during the decay:
  ``gamma min(M, T_2^{1/beta}) / T_2`` (Lemma D.10).

Intrinsic times: ``T = gamma D (log D)^{-l}`` and ``T_2 = gamma r D (log D)^{-l_2}`` (``D = BK``
with the batch ``B`` fixed, so ``K ~ D`` and ``log K ~ log D``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from fsltheory.symbolic.positivity import sign_on_domain
from fsltheory.symbolic.profile import IntrinsicProfile
from fsltheory.symbolic.terms import BETA, GAMMA, CaseTerm, D, M, MinTerm, Monomial, S, Term, mono

__all__ = ["ReducedObjective", "reduced_objective", "T_SYM", "T2_SYM"]

#: display symbols for the total and the decay-phase intrinsic times
T_SYM = sp.Symbol("T", positive=True)
T2_SYM = sp.Symbol("T_2", positive=True)


@dataclass(frozen=True)
class ReducedObjective:
    """The final-step excess risk as a sum of power-law-and-log terms.

    Attributes
    ----------
    family : str
        Schedule family it was derived for.
    terms : tuple of Term
        The summands (approximation, signal, noise ...).
    constraints : tuple of (str, Monomial)
        Side conditions ``monomial <~ 1`` (``gamma <~ 1`` from Assumption 4.1, ``T >~ 1``...).
    definitions : tuple of (sympy.Symbol, Monomial)
        The intrinsic times used by ``Term.display``.
    variables : tuple of str
        Free hyperparameters besides ``M`` and ``D`` (``'lr'`` and, for WSD, ``'r'``).
    profile : IntrinsicProfile
        The description it was derived from.
    """

    family: str
    terms: tuple[Term, ...]
    constraints: tuple[tuple[str, Monomial], ...]
    definitions: tuple[tuple[sp.Symbol, Monomial], ...]
    variables: tuple[str, ...]
    profile: IntrinsicProfile

    def cases(self) -> tuple[tuple[sp.Basic, tuple[Monomial | MinTerm, ...]], ...]:
        """Expand every :class:`CaseTerm`: ``((condition, bodies), ...)``, conditions exclusive."""
        out: list[tuple[sp.Basic, list]] = [(sp.true, [])]
        for term in self.terms:
            body = term.body
            if isinstance(body, CaseTerm):
                out = [
                    (sp.And(cond, c), [*bodies, b] if b is not None else list(bodies))
                    for cond, bodies in out
                    for c, b in body.cases
                ]
            else:
                out = [(cond, [*bodies, body]) for cond, bodies in out]
        return tuple((cond, tuple(dict.fromkeys(bodies))) for cond, bodies in out)

    def display(self) -> sp.Expr:
        """The objective written with ``T`` and ``T_2`` (terms in the order derived)."""
        return sp.Add(*(t.display for t in self.terms), evaluate=False)


def _decay_noise(q: sp.Expr, T2: Monomial, T2_disp: sp.Expr) -> Term:
    """The decay-phase noise term, Piecewise in ``q`` vs ``1 - 1/beta`` (module docstring)."""
    lr = mono(lr=1)
    common = lr * T2 ** (-q)
    excess = q - 1 + 1 / BETA  # > 0: the integral grows like min(T_2, M^beta)^excess
    conv = Term(
        "noise: decay",
        common,
        GAMMA * T2_disp ** (-q),
    )
    grow_body = MinTerm(common, (T2**excess, mono(M=BETA * excess)))
    grow = Term(
        "noise: decay",
        grow_body,
        GAMMA * T2_disp ** (-q) * sp.Min(T2_disp**excess, M ** (BETA * excess)),
    )
    sign = sign_on_domain(excess)
    if sign == 1:
        return grow
    if sign == -1:
        return conv
    edge = 1 / (1 - q)  # excess = 0 <=> beta = 1/(1 - q) (= p + 1 for a decay to zero)
    log_body = common * mono(log=1)
    cases = (
        (sp.Lt(BETA, edge), grow_body),
        (sp.Eq(BETA, edge), log_body),
        (sp.Gt(BETA, edge), common),
    )
    disp = sp.Piecewise(
        (grow.display, sp.Lt(BETA, edge)),
        (GAMMA * T2_disp ** (-q) * sp.log(D), sp.Eq(BETA, edge)),
        (conv.display, True),
    )
    return Term("noise: decay", CaseTerm(cases), disp)


# bounded: every distinct schedule parameter (a WSD fraction, a power p) is a new key, and
# each entry holds SymPy trees (a fuzz run of 1e4 specs grew an unbounded cache to 24 GB)
@lru_cache(maxsize=512)
def reduced_objective(profile: IntrinsicProfile) -> ReducedObjective:
    """Derive the reduced objective of a schedule family from its intrinsic-time profile.

    Reproduces Theorems 5.2-5.4 (reference §8.3) for constant, exponential (``b = a/K``)
    and WSD (``b = a/K``) schedules, and extends them to any family with a profile.
    """
    lr = mono(lr=1)
    T = mono(lr=1, D=1, log=-profile.time_log_power)
    terms = [
        Term("approximation", mono(M=-S * BETA), M ** (-S * BETA)),
        Term("signal", T ** (-S), T_SYM ** (-S)),
    ]
    definitions = [(T_SYM, T)]
    constraints = [("gamma <~ 1", lr), ("T >~ 1", T ** (-1))]
    variables = ["lr"]

    kind = profile.final_kind
    if kind == "ratio":
        rho = sp.nsimplify(profile.final_ratio)
        terms.append(Term("noise: final LR", mono(lr=1, coef=rho), rho * GAMMA))
    elif kind == "inverse_K":
        # b / B = gamma / K and K = D / B with B fixed
        terms.append(Term("noise: final LR", mono(lr=1, D=-1), GAMMA / D))

    if profile.decay is not None and kind != "ratio":
        # with b ~ gamma the final-LR term gamma dominates every decay term (T_2 >~ 1)
        if profile.stable:
            T2 = mono(lr=1, D=1, r=1, log=-profile.decay_time_log_power)
            T2_disp = T2_SYM
            definitions.append((T2_SYM, T2))
            constraints.append(("T_2 >~ 1", T2 ** (-1)))
            constraints.append(("r <~ 1", mono(r=1)))
            variables.append("r")
        else:
            T2, T2_disp = T, T_SYM
        q = profile.remaining_time_power
        decay = _decay_noise(q, T2, T2_disp)
        terms.append(decay)
        if profile.stable:
            stable = MinTerm(lr / T2, (T2 ** (1 / BETA), mono(M=1)))
            if decay.body != stable:
                disp = GAMMA * sp.Min(M, T2_disp ** (1 / BETA)) / T2_disp
                terms.append(Term("noise: stable phase", stable, disp))

    return ReducedObjective(
        family=profile.family,
        terms=tuple(terms),
        constraints=tuple(constraints),
        definitions=tuple(definitions),
        variables=tuple(variables),
        profile=profile,
    )
