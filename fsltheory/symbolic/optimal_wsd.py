"""The optimal WSD decay fraction from a second-order balance (issue #9 item 3).

Theorem 5.4 (eq. (26)) with ``a = 1`` (hard regime: the peak sits at the cap), ``b = a/K``
and ``M = oo`` gives, for ``K = N`` steps of which ``K_2 = r N`` decay,

.. math::

    \\mathcal E(K_2) \\eqsim \\bigl(N - K_2 + T_2\\bigr)^{-s} + T_2^{-(1-1/\\beta)} + \\tfrac1N,
    \\qquad T_2 = \\frac{(1-b) K_2}{\\log K} \\eqsim \\frac{K_2}{\\log N}.

The leading ``N^{-s}`` does not depend on ``K_2`` as long as the noise stays below it; that
is the paper's bound (Theorem D.12) ``r_opt >~ D^{(s beta+1-beta)/(beta-1)} log D``, i.e.
``T_2^{-(1-1/beta)} <~ D^{-s}``.  The *optimum* is pinned down one order further
(BALANCE): the signal cost of the decay, ``d/dK_2 (N-K_2+T_2)^{-s} ~ s N^{-s-1}``, against
the noise gain, ``d/dK_2 T_2^{-(1-1/beta)} ~ (log N)^{1-1/beta} K_2^{-(2-1/beta)}``, give

.. math::

    K_2 \\eqsim N^{\\frac{(s+1)\\beta}{2\\beta-1}} (\\log N)^{\\frac{\\beta-1}{2\\beta-1}},
    \\qquad r_{\\rm opt} \\eqsim D^{-\\frac{\\beta-1-s\\beta}{2\\beta-1}}
    (\\log D)^{\\frac{\\beta-1}{2\\beta-1}}\\quad(\\text{an equality}),

e.g. ``D^{-1/7} (log D)^{3/7}`` at ``(s, beta) = (1/2, 4)``.  It lies above the paper's
bound because ``(s+1) beta/(2 beta-1) > s beta/(beta-1)  <=>  s < 1 - 1/beta`` (PROOF,
:func:`decay_exceeds_paper_bound`).  The bound is the condition for the *rate*; the
optimum is the best ``r`` at that rate.  In the easy regime ``r_opt \\eqsim 1`` (paper).

Compute budget (``C = M D``, hard): WSD's ``D_opt \\eqsim C^{beta/(1+beta)}`` carries no log,
the decay stays inside the window ``T_2 <~ M^beta`` of eq. (10), so every exponent of ``D``
is multiplied by ``beta/(1+beta)`` and the log power is unchanged (BALANCE).

References
----------
arXiv 2509.19189 v4: Theorem 5.4 / D.11 (eq. (26)), Theorem D.12, Lemma D.10.
"""

from __future__ import annotations

from functools import cache

import mpmath
import sympy as sp

from fsltheory.symbolic.results import Exponent, _q, paper_regime
from fsltheory.symbolic.terms import BETA, S

__all__ = [
    "wsd_decay_fraction",
    "wsd_decay_balance",
    "decay_exceeds_paper_bound",
    "wsd_fsl_loss",
    "wsd_optimal_decay",
]


_N = sp.Symbol("N", positive=True)
_LOG = sp.Symbol("ell", positive=True)  # log N, an independent variable (reference §8.3)


@cache
def wsd_decay_balance() -> dict:
    """Exponents of ``K_2 = N^x (log N)^y`` and ``r = N^{x-1} (log N)^y`` (BALANCE).

    Balances ``s N^{-s-1}`` (signal cost per decay step) against the derivative of the noise
    ``(K_2/log N)^{-(1-1/beta)}``, power and log power separately.
    """
    x, y = sp.symbols("x y", real=True)
    k2 = _N**x * _LOG**y
    cost = S * _N ** (-S - 1)
    gain = -sp.diff((k2 / _LOG) ** (-(1 - 1 / BETA)), x) / sp.diff(k2, x)  # d noise / d K_2
    ratio = sp.powsimp(sp.expand_power_base(gain / cost, force=True), force=True)
    ratio = sp.expand_log(sp.log(ratio), force=True)
    eqs = [sp.expand(ratio.coeff(sp.log(_N))), sp.expand(ratio.coeff(sp.log(_LOG)))]
    sol = sp.solve(eqs, [x, y], dict=True)
    if len(sol) != 1:  # pragma: no cover - guards the derivation
        raise RuntimeError(f"balance {eqs} has solutions {sol}")
    xs, ys = sp.factor(sol[0][x]), sp.factor(sol[0][y])
    return {"K2_power": xs, "K2_log": ys, "r_power": sp.factor(xs - 1), "r_log": ys}


@cache
def decay_exceeds_paper_bound() -> dict:
    """PROOF that the optimal ``K_2`` exponent exceeds the paper's bound iff ``s < 1 - 1/beta``.

    Returns ``{'difference', 'numerator', 'denominator', 'sign_factor', 'proved'}`` with
    ``difference = (s+1) beta/(2beta-1) - s beta/(beta-1)`` factored as
    ``beta (beta - 1 - s beta) / ((2 beta - 1)(beta - 1))``; ``proved`` is ``True`` when the
    denominator and the prefactor are positive for every ``beta > 1`` (checked by SymPy with
    ``beta = 1 + u``, ``u > 0``), so the sign is that of ``beta - 1 - s beta``.
    """
    bal = wsd_decay_balance()
    bound = S * BETA / (BETA - 1)  # Theorem D.12: (D_2)_opt >~ D^{s beta/(beta-1)} log D
    diff = sp.factor(bal["K2_power"] - bound)
    num, den = sp.fraction(diff)
    sign_factor = BETA - 1 - S * BETA
    prefactor = sp.cancel(num / sign_factor)
    u = sp.Symbol("u", positive=True)
    at = {BETA: 1 + u}
    proved = bool(
        sp.cancel(num - prefactor * sign_factor) == 0
        and sp.factor(den.subs(at)).is_positive
        and sp.factor(prefactor.subs(at)).is_positive
    )
    return {
        "difference": diff,
        "numerator": num,
        "denominator": den,
        "sign_factor": sign_factor,
        "proved": proved,
    }


def _at(e: Exponent, beta, s) -> Exponent:
    mapping = {}
    if beta is not None:
        mapping[BETA] = _q(beta, "beta")
    if s is not None:
        mapping[S] = _q(s, "s")
    return e.subs(mapping).simplify() if mapping else e


def wsd_decay_fraction(budget: str = "data", *, beta=None, s=None) -> Exponent:
    """Optimal WSD decay fraction ``r_opt`` (relation ``'eq'``) from the second-order balance.

    Parameters
    ----------
    budget : {'data', 'compute'}
        Exponents in ``D`` or in ``C = M D``.
    beta, s : number, optional
        Evaluate at a point; symbolic Piecewise over the regimes otherwise.

    Returns
    -------
    Exponent
        Hard regime: ``D^{-(beta-1-s beta)/(2beta-1)} (log D)^{(beta-1)/(2beta-1)}``
        (times ``beta/(1+beta)`` on the power of ``C`` for the compute budget); easy regime:
        ``1`` (power 0, log 0), as in the paper.

    Examples
    --------
    >>> e = wsd_decay_fraction("data", beta=4, s="1/2")
    >>> e.power, e.log, e.relation
    (-1/7, 3/7, 'eq')
    """
    if budget not in ("data", "compute"):
        raise ValueError(f"budget={budget!r}: expected 'data' or 'compute'")
    bal = wsd_decay_balance()
    power, log = bal["r_power"], bal["r_log"]
    if budget == "compute":
        power = sp.factor(power * BETA / (1 + BETA))
    if beta is not None and s is not None:
        if paper_regime(_q(beta), _q(s)) == "easy":
            return Exponent(sp.S.Zero, sp.S.Zero, "eq")
        return _at(Exponent(power, log, "eq"), beta, s)
    easy = S >= 1 - 1 / BETA
    e = Exponent(
        sp.Piecewise((0, easy), (power, True)),
        sp.Piecewise((0, easy), (log, True)),
        "eq",
    )
    return _at(e, beta, s)


# ---------------------------------------------------------------------------- numerics
def wsd_fsl_loss(k2, n_steps, beta, s, sigma2=1):
    """FSL loss of WSD (peak 1, exponential decay to ``b = 1/N`` over ``k2`` steps), mpmath.

    Intrinsic time: flat ``T_1 = N - k2``, then ``gamma`` linear from 1 to ``b`` over
    ``T_2 = (1-b) k2 / log(1/b)`` (Section 5.2: exponential in steps is linear in intrinsic
    time).  Returns ``e(T) + sigma^2 int_0^T K(T-z) gamma(z) dz`` (eq. (9)), integrals in
    closed form.
    """
    beta, s, sigma2 = (mpmath.mpf(x) for x in (beta, s, sigma2))
    n, k2 = mpmath.mpf(n_steps), mpmath.mpf(k2)
    b = 1 / n
    t2 = (1 - b) * k2 / mpmath.log(1 / b)
    t = n - k2 + t2
    g = 1 - 1 / beta  # K(u) = u^{-(1+g)} in u = 1 + tau

    def int_k(u0, u1):  # int u^{-(1+g)} du
        return (u0 ** (-g) - u1 ** (-g)) / g

    def int_k_tau(u1):  # int_1^{u1} (u - 1) u^{-(1+g)} du
        return (u1 ** (1 - g) - 1) / (1 - g) - int_k(1, u1)

    decay = b * int_k(1, 1 + t2) + (1 - b) / t2 * int_k_tau(1 + t2)
    flat = int_k(1 + t2, 1 + t)
    return (1 + t) ** (-s) + sigma2 * (decay + flat)


def wsd_optimal_decay(n_steps, beta, s, sigma2=1, dps: int = 30):
    """``(r_opt, loss)`` minimising :func:`wsd_fsl_loss` over ``k2`` (golden section in log)."""
    with mpmath.workdps(dps):
        n = mpmath.mpf(n_steps)
        f = lambda x: wsd_fsl_loss(mpmath.exp(x), n, beta, s, sigma2)  # noqa: E731
        lo, hi = mpmath.mpf(0), mpmath.log(n)
        grid = [lo + (hi - lo) * k / 64 for k in range(65)]
        k = min(range(65), key=lambda i: f(grid[i]))
        a, b = grid[max(k - 1, 0)], grid[min(k + 1, 64)]
        gr = (mpmath.sqrt(5) - 1) / 2
        x1, x2 = b - gr * (b - a), a + gr * (b - a)
        f1, f2 = f(x1), f(x2)
        for _ in range(160):
            if f1 < f2:
                b, x2, f2 = x2, x1, f1
                x1 = b - gr * (b - a)
                f1 = f(x1)
            else:
                a, x1, f1 = x1, x2, f2
                x2 = a + gr * (b - a)
                f2 = f(x2)
        x = (a + b) / 2
        return mpmath.exp(x) / n, f(x)
