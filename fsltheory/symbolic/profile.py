"""Intrinsic-time descriptions of learning-rate schedule families (reference §2.2, §3).

The FSL sees a schedule only through its intrinsic-time form ``gamma(t)`` (eq. 8).  For the
final-step risk three facts about a family matter, and :class:`IntrinsicProfile` derives
each of them with SymPy from the family's step profile ``eta_k / peak = f(u)``, ``u = k/K``:

* the total intrinsic time ``T = gamma K int_0^1 f``, up to a power of ``log K``
  (exponential decay to ``b = a/K`` has ``int f ~ 1/log K``: Theorem 5.3's ``D~ = D/log D``);
* how the learning rate approaches its final value ``b`` in *remaining* intrinsic time
  ``tau``: ``gamma(tau) - b ~ gamma (tau/T_2)^q``.  With ``f - b ~ (1-u)^p`` and ``b = 0``,
  ``tau ~ (1-u)^{p+1}`` so ``q = p/(p+1)``; exponential decay is linear in intrinsic time,
  ``q = 1`` (Section 5.2);
* the final learning rate: zero, a fixed fraction of the peak, or ``a/K`` (the paper's
  choice for exponential and WSD decays).
"""

from __future__ import annotations

import fractions
import math
import sys
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

__all__ = [
    "IntrinsicProfile",
    "U",
    "V",
    "K",
    "R",
    "exact",
    "flat_profile",
    "decay_profile",
    "wsd_profile",
]

#: normalised step ``u = k/K``, decay-phase clock ``v`` and horizon ``K``
U = sp.Symbol("u", nonnegative=True)
V = sp.Symbol("v", nonnegative=True)
K = sp.Symbol("K", positive=True)
_W = sp.Symbol("w", positive=True)
#: WSD decay fraction (the same symbol as the balancing variable)
R = sp.Symbol("r", positive=True)


def exact(x) -> sp.Expr:
    """A float parameter as an exact SymPy number (``0.1 -> 1/10``, ``10**-0.5 -> sqrt(10)/10``)."""
    return sp.nsimplify(x) if isinstance(x, float) else sp.sympify(x)


#: largest denominator of an exponent parameter the derivation accepts
MAX_DENOMINATOR = 10**4


def exact_rational(x, name: str = "p") -> sp.Rational:
    """An exponent parameter as an exact rational with a small denominator (``2.5 -> 5/2``,
    ``0.14285714285714285 -> 1/7``); a ``ValueError`` for one without (``0.814349``).

    Exponents must stay rational: the derivation solves linear programs over the field of
    rational functions of ``(s, beta)``.  :func:`exact` would turn ``0.814349`` into a
    radical (``nsimplify`` finds ``3**(81/206)``-like forms), which that field cannot hold.
    """
    if isinstance(x, float) and math.isfinite(x):
        # the simplest fraction within round-off of the float (1/7 from 0.14285714285714285)
        r = sp.Rational(fractions.Fraction(x).limit_denominator(MAX_DENOMINATOR))
        if abs(float(r) - x) > 4 * sys.float_info.epsilon * abs(x):
            r = sp.Rational(repr(x))
    else:
        r = sp.sympify(x)
    if not r.is_Rational or r.q > MAX_DENOMINATOR:
        # the exact exponents are rational functions of p: with a long decimal their integers
        # outgrow a float in the region search (p = 0.814349 overflowed, and came back off
        # by 4e-17 where it did not), so such a p is refused rather than approximated
        raise ValueError(
            f"{name}={x!r} is invalid for the derivation: expected a rational with denominator "
            f"<= {MAX_DENOMINATOR} (at most 4 decimals, e.g. 0.8143)"
        )
    return r


@dataclass(frozen=True)
class IntrinsicProfile:
    """Symbolic intrinsic-time description of a schedule family.

    Parameters
    ----------
    family : str
        Name used in tables (``constant``, ``exponential``, ``wsd``, ...).
    shape : sympy.Lambda
        ``eta_k / peak`` as a function of ``u = k/K`` (may contain ``K`` and ``r``).
    decay : sympy.Lambda or None
        The decay that ends training, as ``eta / peak`` on its own clock ``v in [0, 1]``;
        ``None`` when the last phase is flat (constant, multi-step, cyclic).
    final_ratio : sympy expression
        ``b / a``, the final over the peak learning rate: ``0``, ``1/K``, or a constant.
    stable : bool
        A stable phase at the peak precedes the decay, whose length is the free decay
        fraction ``r`` (WSD, eq. 25).
    note : str
        One line on the modelling choice (shown in tables and LaTeX).
    """

    family: str
    shape: sp.Lambda
    decay: sp.Lambda | None
    final_ratio: sp.Expr
    stable: bool = False
    note: str = ""

    # ------------------------------------------------------------------ final LR
    @cached_property
    def final_kind(self) -> str:
        """``'zero'``, ``'inverse_K'`` (``b = a/K``) or ``'ratio'`` (``b`` a fixed fraction)."""
        b = sp.sympify(self.final_ratio)
        if b == 0:
            return "zero"
        if K in b.free_symbols:
            if sp.cancel(b * K).free_symbols & {K}:
                raise ValueError(f"final_ratio={b} is invalid: expected 0, a constant or c/K")
            return "inverse_K"
        return "ratio"

    # ------------------------------------------------------------------ decay phase
    @cached_property
    def _remaining(self) -> tuple[sp.Expr, sp.Expr]:
        """``(f(v) - f(1), int_v^1 f)`` for the decay profile ``f``."""
        f = self.decay
        g = f(V) - f(1)
        tau = sp.integrate(f(_W), (_W, V, 1), conds="none")
        return g, tau

    @cached_property
    def end_power(self) -> sp.Expr | None:
        """``p`` with ``f(v) - f(1) ~ (1 - v)^p`` as ``v -> 1`` (``None`` without a decay)."""
        if self.decay is None:
            return None
        g, _ = self._remaining
        return _leading_power(g)

    @cached_property
    def remaining_time_power(self) -> sp.Expr | None:
        """``q`` with ``gamma(tau) - b ~ gamma (tau / T_2)^q`` in remaining intrinsic time.

        Linear-in-intrinsic-time decays (``f - f(1)`` proportional to ``int_v^1 f``, which
        is exponential decay in steps) give ``q = 1`` exactly; otherwise ``q`` is the ratio
        of the orders of vanishing of ``f - f(1)`` and of ``int_v^1 f`` at ``v = 1``.
        """
        if self.decay is None:
            return None
        g, tau = self._remaining
        if V not in sp.cancel(g / tau).free_symbols:
            return sp.S.One
        return sp.nsimplify(_leading_power(g) / _leading_power(tau))

    @cached_property
    def decay_time_log_power(self) -> int:
        """``l`` with ``int_0^1 f ~ (log K)^-l``: the decay's intrinsic time is ``gamma r K / (log K)^l``."""
        if self.decay is None:
            return 0
        _, tau = self._remaining
        return _log_power(tau.subs(V, 0))

    @cached_property
    def time_log_power(self) -> int:
        """The same for the whole run: 0 with a stable phase (``T >= (1 - r) gamma K``)."""
        return 0 if (self.stable or self.decay is None) else self.decay_time_log_power

    @cached_property
    def total_time_factor(self) -> sp.Expr:
        """``int_0^1 f(u) du``: ``T = peak * K * factor`` (``r`` and ``K`` symbolic).

        With a stable phase, ``u = 1 - r + r v`` maps the decay onto ``v in [0, 1]``, so the
        factor is ``(1 - r) + r int_0^1 decay``.
        """
        if self.stable:
            tail = sp.integrate(self.decay(V), (V, 0, 1), conds="none")
            return sp.simplify((1 - R) + R * tail)
        return sp.simplify(sp.integrate(self.shape(U), (U, 0, 1), conds="none"))


def _leading_power(expr: sp.Expr) -> sp.Expr:
    """Order of vanishing of ``expr(v)`` at ``v = 1`` (``expr ~ c (1 - v)^p``)."""
    lead = sp.expand(expr.subs(V, 1 - _W)).as_leading_term(_W)
    _, p = lead.as_coeff_exponent(_W)
    if p == 0 or _W in sp.sympify(_).free_symbols:
        raise ValueError(f"cannot find the order of vanishing of {expr} at v = 1")
    return p


def _log_power(integral: sp.Expr) -> int:
    """``l`` with ``integral * (log K)^l`` tending to a finite non-zero limit as ``K -> oo``."""
    if K not in integral.free_symbols:
        return 0
    for l in range(0, 4):
        lim = sp.limit(integral * sp.log(K) ** l, K, sp.oo)
        if lim.is_finite and lim != 0:
            return l
    raise ValueError(f"cannot find the log order of {integral} as K -> oo")


def flat_profile(family: str, shape: sp.Expr, final_ratio, note: str = "") -> IntrinsicProfile:
    """A family whose last phase is flat at ``final_ratio * peak`` (constant, multi-step...)."""
    return IntrinsicProfile(family, sp.Lambda(U, shape), None, exact(final_ratio), note=note)


def decay_profile(family: str, decay: sp.Expr, note: str = "") -> IntrinsicProfile:
    """A family that decays over the whole run: ``eta/peak = decay(u)`` with ``decay`` in ``V``."""
    lam = sp.Lambda(V, decay)
    return IntrinsicProfile(family, sp.Lambda(U, lam(U)), lam, lam(1), note=note)


def wsd_profile(family: str, decay: sp.Expr, note: str = "") -> IntrinsicProfile:
    """Stable at the peak for ``(1 - r) K`` steps, then ``decay(v)``, ``v = (u - 1 + r)/r`` (eq. 25)."""
    lam = sp.Lambda(V, decay)
    shape = sp.Lambda(U, sp.Piecewise((1, U <= 1 - R), (lam((U - 1 + R) / R), True)))
    return IntrinsicProfile(family, shape, lam, lam(1), stable=True, note=note)
