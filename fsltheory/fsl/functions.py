"""The FSL's signal function, forgetting kernel and approximation error (reference §2.4).

Two families, chosen by ``kernel``:

* ``"proxy"``: the infinite-width proxies of Theorem 4.2,
  ``e(t) = (1 + t)^{-s}`` and ``K(t) = (1 + t)^{-(2 - 1/beta)}``, with the approximation
  error ``delta_M ~ M^{-s beta}`` (eq. 9; ``0`` when ``N == M``, i.e. no untrained features).
* ``"finite"``: the top-M sums of Section 4.2 (Theorems 4.3-4.5),
  ``e_M(t) = sum_{j<=M} lambda_j theta*_j^2 exp(-2 lambda_j t)``,
  ``K_M(t) = sum_{j<=M} lambda_j^2 exp(-2 lambda_j t)`` and
  ``delta_M = sum_{M<j<=N} lambda_j theta*_j^2`` exactly (:meth:`PowerLawModel.tail_error`).

Every one of these functions of ``t`` is a (possibly continuous) sum of decaying
exponentials, so each has a compressed form ``f(t) ~ sum_q w_q exp(-rho_q t)`` with tens to
a few hundred terms (:class:`ExpSum`).  That form is what makes the FSL convolutions run in
``O(K q)`` instead of ``O(K^2)`` (:mod:`fsltheory.fsl.evaluate`).  How each is built:

* **Power law (Laplace transform).**  ``(1+t)^{-a} = Gamma(a)^{-1} int_R exp(a x - e^x)
  exp(-e^x t) dx``, discretised by the package's one rule for it, the trapezoid rule in
  log-rate of :mod:`fsltheory._util.laplace` (shared with the surrogate laws): geometric
  convergence ``err ~ C(a) exp(-pi^2 / h)`` *uniformly in t*, the step set from that bound
  and the node range from the tails: 50-120 nodes for ``rtol = 1e-10`` after compression;
  measured errors are 5e-13 to 6e-12 for ``a`` in ``[0.1, 6]`` and ``t_max`` up to ``1e7``
  (tests/test_fsl_kernels.py, tests/test_laplace.py).
* **Finite spectral sums.**  ``sum_{j=1}^M j^{-p} exp(-2 j^{-beta} t)``: the first ``J0``
  modes are kept exactly; the rest, ``j = J0..M``, use the end-corrected trapezoidal rule
  (Euler-Maclaurin with the derivative terms replaced by Gregory-type end weights on the
  values ``f(J0 + m)`` and ``f(M - m)``, exact for polynomials of degree ``GREGORY_ORDER``)
  plus the integral ``int_{J0}^{M} f(x) dx``.  That integral is a truncated Laplace
  transform in the rate ``u = 2 x^{-beta}``; it is done by composite Gauss-Legendre panels
  in ``log(u - u_min)``, which keeps the integrand smooth both when ``t u_min << 1`` (the
  power-law window) and when ``t u_min >> 1`` (past ``M^beta``, where the slowest modes
  dominate).  All pieces are exponentials in ``t``, so the result stays an exponential sum:
  ``M = 1e9`` costs what ``M = 1e4`` costs (a few hundred terms at most), with measured
  errors below 1.2e-11 against direct sums at ``M = 1e5``.
* **Slow-mode merge.**  All terms with ``rho_q t_max < eps`` are replaced by one term with the
  same total weight and weight-averaged rate; for ``t <= t_max`` this changes ``f`` by at most
  ``eps^2 / 2`` relative (second moment of the rates).  Terms whose total ``|weight|`` is
  below ``1e-3 rtol f(t_max)`` are dropped.  Hence every :class:`ExpSum` carries the range
  ``[0, t_max]`` on which its relative accuracy ``rtol`` holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from fsltheory._util.laplace import Y_MAX, gamma_weights, left_cutoff, trapezoid_step
from fsltheory._util.validate import (
    check_at_least,
    check_choice,
    check_greater,
    check_in_interval,
)

__all__ = [
    "KERNELS",
    "ExpSum",
    "power_expsum",
    "spectral_expsum",
    "kernel_expsum",
    "signal_function",
    "forgetting_kernel",
    "approximation_error",
]

#: the two kernel families accepted everywhere as ``kernel=``
KERNELS = ("proxy", "finite")

#: end-correction order of the trapezoidal rule for the spectral tail (exact for degree <= 8)
GREGORY_ORDER = 8
#: Gauss-Legendre nodes per panel of width <= 2 in log-rate (error ~ 3.4^-24 per panel, the
#: Bernstein ellipse of a strip of half-width pi/2; 10 nodes measured 5e-10, 12 below 1e-11)
_GL_NODES = 12
_GL_PANEL = 2.0
#: signal_function / forgetting_kernel sum term by term up to this many modes
DIRECT_MAX = 2048


@dataclass(frozen=True)
class ExpSum:
    """A sum of decaying exponentials ``f(t) = sum_q weights[q] exp(-rates[q] t)``.

    Attributes
    ----------
    weights, rates : ndarray
        Non-negative weights and rates (float64, same length).
    t_max : float
        Largest ``t`` for which the representation is guaranteed to relative accuracy
        ``rtol`` (slow terms were merged assuming ``t <= t_max``).
    rtol : float
        The relative accuracy the builder aimed at on ``[0, t_max]``.
    """

    weights: np.ndarray
    rates: np.ndarray
    t_max: float
    rtol: float

    def __len__(self) -> int:
        return int(self.weights.size)

    def __call__(self, t) -> np.ndarray:
        """Evaluate at ``t`` (array-like, ``0 <= t``; accurate for ``t <= t_max``)."""
        t = np.asarray(t, dtype=float)
        flat = t.reshape(-1)
        out = np.empty_like(flat)
        chunk = max(1, 2**20 // max(1, self.rates.size))
        for lo in range(0, flat.size, chunk):
            tt = flat[lo : lo + chunk]
            out[lo : lo + chunk] = np.exp(-np.multiply.outer(tt, self.rates)) @ self.weights
        return out.reshape(t.shape)


def _compress(w: np.ndarray, r: np.ndarray, f_tmax: float, t_max: float, rtol: float) -> tuple:
    """Merge slow terms (``r t_max < eps``) into one, then drop negligible weights."""
    order = np.argsort(r)
    w, r = w[order], r[order]
    eps = 0.1 * math.sqrt(rtol)  # merge error <= eps^2/2 = rtol/200 relative
    slow = r * t_max < eps if t_max > 0 else np.ones(r.size, bool)
    if slow.sum() > 1:
        W = float(w[slow].sum())
        rbar = float((w[slow] * r[slow]).sum() / W) if W > 0 else 0.0
        w = np.concatenate([[W], w[~slow]])
        r = np.concatenate([[rbar], r[~slow]])
    # drop the smallest |weights| (end weights may be negative) while their total stays
    # below 1e-3 rtol f(t_max)
    budget = 1e-3 * rtol * f_tmax
    idx = np.argsort(np.abs(w))
    drop = np.cumsum(np.abs(w[idx])) <= budget
    keep = np.ones(w.size, bool)
    keep[idx[drop]] = False
    return np.ascontiguousarray(w[keep]), np.ascontiguousarray(r[keep])


@lru_cache(maxsize=64)
def _power_nodes(a: float, t_max: float, rtol: float) -> tuple[np.ndarray, np.ndarray]:
    h = trapezoid_step(rtol, a)
    # nodes on multiples of h, so that nearby (a, t_max) share most of them
    x = h * np.arange(math.floor(left_cutoff(a, rtol, t_max) / h), math.ceil(Y_MAX / h) + 1)
    return _compress(gamma_weights(x, a, h), np.exp(x), (1.0 + t_max) ** (-a), t_max, rtol)


def power_expsum(a: float, t_max: float, rtol: float = 1e-10) -> ExpSum:
    """Exponential sum for ``(1 + t)^{-a}`` on ``0 <= t <= t_max`` (Laplace transform).

    Parameters
    ----------
    a : float
        Exponent ``a > 0``; ``a = s`` for ``e(t)``, ``a = 2 - 1/beta`` for ``K(t)`` (eq. 9).
    t_max : float
        Largest time needed (``>= 0``).
    rtol : float
        Target relative accuracy on ``[0, t_max]``, in ``[1e-14, 1e-2]``.

    Examples
    --------
    >>> f = power_expsum(1.5, 1e3)
    >>> bool(abs(f(10.0) / 11.0**-1.5 - 1) < 1e-9)
    True
    """
    a = check_greater("a", a, 0.0)
    t_max = check_at_least("t_max", t_max, 0.0)
    rtol = check_in_interval("rtol", rtol, 1e-14, 1e-2)
    w, r = _power_nodes(a, t_max, rtol)  # cached: hand out read-only views
    w, r = w.view(), r.view()
    w.flags.writeable = r.flags.writeable = False
    return ExpSum(w, r, t_max, rtol)


@lru_cache(maxsize=1)
def gregory_weights(order: int = GREGORY_ORDER) -> np.ndarray:
    """End weights ``omega_0..omega_P`` of the end-corrected trapezoidal sum rule.

    ``sum_{j=a}^{b} f(j) = int_a^b f + sum_m omega_m (f(a + m) + f(b - m))`` exactly for
    polynomials of degree ``<= P``.  They solve the Euler-Maclaurin moment conditions
    ``sum_m omega_m m^n = [n = 0]/2 - [n odd] B_{n+1}/(n+1)`` in exact rational arithmetic.
    """
    bern = {
        2: Fraction(1, 6),
        4: Fraction(-1, 30),
        6: Fraction(1, 42),
        8: Fraction(-1, 30),
        10: Fraction(5, 66),
        12: Fraction(-691, 2730),
    }
    P = order
    rhs = [Fraction(1, 2) if n == 0 else Fraction(0) for n in range(P + 1)]
    for n in range(1, P + 1, 2):
        rhs[n] -= bern[n + 1] / (n + 1)
    A = [[Fraction(m) ** n for m in range(P + 1)] for n in range(P + 1)]
    # Gaussian elimination over the rationals (a (P+1)^2 Vandermonde system, P <= 11)
    for c in range(P + 1):
        piv = next(r for r in range(c, P + 1) if A[r][c] != 0)
        A[c], A[piv] = A[piv], A[c]
        rhs[c], rhs[piv] = rhs[piv], rhs[c]
        for r in range(P + 1):
            if r != c and A[r][c] != 0:
                f = A[r][c] / A[c][c]
                A[r] = [x - f * y for x, y in zip(A[r], A[c], strict=True)]
                rhs[r] -= f * rhs[c]
    return np.array([float(rhs[i] / A[i][i]) for i in range(P + 1)])


def _head_size(p: float, beta: float) -> int:
    # The end-correction error is ~ f^{(P+1)}(J0) relative to the sum; with
    # f = x^-p exp(-2 t x^-beta) each derivative costs a factor ~ (p + beta z + n)/J0 with
    # z = 2 t J0^-beta, and max_z z^n e^-z is bounded, so J0 ~ 4 (p + 2 beta + P) keeps it
    # below ~1e-11 for every t (measured against direct sums at M = 1e5, beta in [1.2, 5],
    # p up to 11, t up to 1e7; see tests/test_fsl_kernels.py).
    return int(math.ceil(4 * (p + 2 * beta + GREGORY_ORDER)))


def _spectral_nodes(p, beta, M, t_max, rtol):
    J0 = _head_size(p, beta)
    P = GREGORY_ORDER
    if M <= J0 + 4 * P + 64:
        j = np.arange(1, M + 1, dtype=float)
        return j**-p, 2.0 * j**-beta, True
    head = np.arange(1, J0, dtype=float)
    w = [head**-p]
    r = [2.0 * head**-beta]
    om = gregory_weights(P)
    left = J0 + np.arange(P + 1, dtype=float)
    right = M - np.arange(P + 1, dtype=float)
    w += [om * left**-p, om * right**-p]
    r += [2.0 * left**-beta, 2.0 * right**-beta]
    # int_{J0}^{M} x^-p e^{-2 t x^-beta} dx = int_{u_b}^{u_a} G(u) e^{-u t} du with the rate
    # u = 2 x^-beta and G(u) = x^{1-p} / (beta u).  Shifting u = u_b + v and integrating in
    # log v keeps the integrand smooth at both ends for every t: for t u_b >> 1 (t beyond the
    # spectrum's reach, where the lowest rates dominate) e^{-v t} is a plain exponential
    # in v, and for t u_b << 1 it is the usual log-scale bump.  Below v_lo, G is constant
    # to relative 1e-9 and e^{-v t} ~ 1, so that sliver is one node at rate u_b.
    u_a = 2.0 * J0**-beta
    u_b = 2.0 * M**-beta
    G = lambda u: np.exp((1.0 - p) / beta * np.log(2.0 / u)) / (beta * u)  # x = (u/2)^(-1/beta)
    v_lo = 1e-9 * min(u_b, 1.0 / max(t_max, 1e-300))
    y_lo, y_hi = math.log(v_lo), math.log(u_a - u_b)
    n_pan = max(1, math.ceil((y_hi - y_lo) / _GL_PANEL))
    edges = np.linspace(y_lo, y_hi, n_pan + 1)
    xg, wg = np.polynomial.legendre.leggauss(_GL_NODES)
    half = 0.5 * np.diff(edges)
    y = ((0.5 * (edges[:-1] + edges[1:]))[:, None] + half[:, None] * xg[None, :]).ravel()
    wy = (half[:, None] * wg[None, :]).ravel()
    v = np.exp(y)
    w += [wy * v * G(u_b + v), np.array([v_lo * float(G(u_b))])]
    r += [u_b + v, np.array([u_b])]
    return np.concatenate(w), np.concatenate(r), False


def spectral_expsum(p: float, beta: float, M: int, t_max: float, rtol: float = 1e-10) -> ExpSum:
    """Exponential sum for ``S(t) = sum_{j=1}^{M} j^{-p} exp(-2 j^{-beta} t)``.

    ``p = 1 + s beta`` gives ``e_M``, ``p = 2 beta`` gives ``K_M`` (Section 4.2).  For small
    ``M`` (up to a few hundred) every term is kept (exact); beyond, the tail is compressed (see
    the module docstring) to relative accuracy ``rtol`` on ``[0, t_max]`` with a few hundred
    terms at most, whatever ``M``.
    """
    p = check_greater("p", p, 1.0)
    beta = check_greater("beta", beta, 1.0)
    M = int(check_at_least("M", M, 1))
    t_max = check_at_least("t_max", t_max, 0.0)
    rtol = check_in_interval("rtol", rtol, 1e-14, 1e-2)
    w, r, exact = _spectral_nodes(p, beta, M, t_max, rtol)
    if exact:
        return ExpSum(np.ascontiguousarray(w), np.ascontiguousarray(r), t_max, rtol)
    # f(t_max) >= the exact head at t_max, a safe lower bound for the drop budget
    J0 = _head_size(p, beta)
    head = np.arange(1, J0, dtype=float)
    f_tmax = float(np.sum(head**-p * np.exp(-2.0 * head**-beta * t_max)))
    w, r = _compress(w, r, f_tmax, t_max, rtol)
    return ExpSum(w, r, t_max, rtol)


def _exponents(model, which: str) -> tuple[float, float]:
    """``(a, p)``: proxy exponent ``a`` and spectral weight exponent ``p`` of a function."""
    if which == "signal":
        return model.s, 1.0 + model.alpha
    if which == "forgetting":
        return 2.0 - 1.0 / model.beta, 2.0 * model.beta
    raise ValueError(f"which={which!r} is invalid: expected 'signal' or 'forgetting'")


def _check_finite_ok(model, kernel: str) -> None:
    if kernel == "finite" and model.features != "top":
        raise ValueError(
            f"kernel='finite' is invalid for features={model.features!r}: the finite sums "
            "e_M, K_M are defined for top-M features (use kernel='proxy')"
        )


def kernel_expsum(model, which: str, kernel: str, t_max: float, rtol: float = 1e-10) -> ExpSum:
    """The :class:`ExpSum` of ``e``/``e_M`` (``which='signal'``) or ``K``/``K_M``
    (``which='forgetting'``) for ``model``, accurate on ``[0, t_max]``."""
    check_choice("kernel", kernel, KERNELS)
    _check_finite_ok(model, kernel)
    a, p = _exponents(model, which)
    if kernel == "proxy":
        return power_expsum(a, t_max, rtol)
    return spectral_expsum(p, model.beta, model.M, t_max, rtol)


def _evaluate(model, which: str, t, kernel: str) -> np.ndarray:
    check_choice("kernel", kernel, KERNELS)
    _check_finite_ok(model, kernel)
    t = np.asarray(t, dtype=float)
    if t.size and (not np.all(np.isfinite(t)) or t.min() < 0):
        raise ValueError("t is invalid: expected finite times t >= 0")
    a, p = _exponents(model, which)
    if kernel == "proxy":
        return (1.0 + t) ** (-a)
    if model.M <= DIRECT_MAX:
        j = np.arange(1, model.M + 1, dtype=float)
        f = ExpSum(j**-p, 2.0 * j**-model.beta, math.inf, 0.0)
        return f(t)
    t_max = float(t.max()) if t.size else 0.0
    return spectral_expsum(p, model.beta, model.M, t_max)(t)


def signal_function(t, model, kernel: str = "proxy") -> np.ndarray:
    """Signal-learning function: ``e(t) = (1+t)^{-s}`` (proxy) or ``e_M(t)`` (finite).

    ``e_M(t) = sum_{j<=M} lambda_j theta*_j^2 exp(-2 lambda_j t)`` equals ``2 E`` of
    noiseless gradient flow on the trained modes (Section 4.2; Lemma C.4: ``e_M ~ t^{-s}``
    for ``1 <~ t <~ M^beta``).  For ``M > DIRECT_MAX`` the compressed sum is used
    (relative accuracy 1e-10).
    """
    return _evaluate(model, "signal", t, kernel)


def forgetting_kernel(t, model, kernel: str = "proxy") -> np.ndarray:
    """Forgetting kernel: ``K(t) = (1+t)^{-(2-1/beta)}`` (proxy) or
    ``K_M(t) = sum_{j<=M} lambda_j^2 exp(-2 lambda_j t)`` (finite; Section 4.2, Lemma C.4)."""
    return _evaluate(model, "forgetting", t, kernel)


def approximation_error(model, kernel: str = "proxy") -> float:
    """The approximation term: ``M^{-s beta}`` (proxy, eq. 9) or ``delta_M`` exactly (finite).

    With ``N == M`` there are no untrained features, so both are ``0`` (the paper's B.1
    setting ``M = N = 128`` has no approximation term).
    """
    check_choice("kernel", kernel, KERNELS)
    _check_finite_ok(model, kernel)
    if model.N == model.M:
        return 0.0
    if kernel == "proxy":
        return float(model.M ** (-model.alpha))
    return float(model.tail_error())
