"""The largest stable constant learning rate of the mean recursion (reference §8.1).

For a constant step ``eta`` and batch ``B`` the second moments ``m_j`` of the trained modes
follow ``m(k+1) = L m(k) + const`` with

.. math:: L = D + \\frac{\\eta^2}{B}\\,\\lambda\\lambda^\\top, \\qquad
   D_{jj} = A_j = (1 - \\eta\\lambda_j)^2 + \\frac{\\eta^2}{B}\\lambda_j^2 ,

a diagonal matrix plus a rank-one term (the untrained tail only enters ``const``).  ``L`` is
symmetric with non-negative entries, so its spectral radius is its largest eigenvalue, and
``||L||_2 = rho(L)``: below the bound every step contracts, even when ``eta_k`` and ``B_k``
vary.  By the secular equation of a rank-one update, ``rho(L) < 1`` iff every ``A_j < 1``
and ``(eta^2/B) sum_j lambda_j^2 / (1 - A_j) < 1``; with
``1 - A_j = eta lambda_j (2 - eta lambda_j (1 + 1/B))`` that is

.. math:: \\phi(\\eta) = \\sum_{j \\le M} \\frac{\\eta\\lambda_j / B}
   {2 - \\eta\\lambda_j(1 + 1/B)} < 1, \\qquad \\eta < \\frac{2B}{(B+1)\\lambda_1} .

``phi`` increases from 0 to ``+inf`` on that interval, so the bound ``eta*`` is its unique
root (found by bisection: ~50 cheap evaluations, and no import of ``scipy.optimize``, which
would cost every exact run ~0.3 s of start-up).  For large ``M`` the sum is exact up to ``j = 10^4`` and the rest is the
convergent series ``sum_n c^n 2^{-n-1} sum_j lambda_j^{n+1}`` (``c = eta (1 + 1/B)``), each
inner sum a difference of Hurwitz zeta values, so ``M = 1e9`` and ``M = inf`` cost the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from fsltheory._util.validate import check_int
from fsltheory._util.zeta import hurwitz_zeta as zeta
from fsltheory.model import PowerLawModel, check_model

__all__ = ["max_stable_lr", "stable_lr_bound", "stability_sum"]

_HEAD = 10_000


def _spectrum_for(model: PowerLawModel, W) -> tuple[np.ndarray, float, int]:
    """(exact eigenvalues, beta for the zeta tail or nan, number of tail modes)."""
    if model.features == "random" or W is not None:
        from fsltheory.exact.matrix import reduce_random_features

        red = reduce_random_features(model, W)
        return red.lam, math.nan, 0
    head = min(model.M, _HEAD)
    return model.eigenvalues(head), model.beta, model.M - head


def stability_sum(eta: float, lam: np.ndarray, batch: int, beta=math.nan, M=None) -> float:
    """``phi(eta)`` of the module docstring (``beta``/``M``: add modes ``len(lam)+1..M``)."""
    c = eta * (1.0 + 1.0 / batch)
    total = float(np.sum((eta * lam / batch) / (2.0 - c * lam)))
    if M is not None and M > lam.size and not math.isnan(beta):
        first = lam.size + 1
        # sum_{j=first}^{M} lambda_j / (2 - c lambda_j) = sum_n c^n / 2^{n+1} S_{n+1}
        x = c * first**-beta / 2.0  # ratio of successive terms, << 1 here
        n = 0
        while True:
            p = (n + 1) * beta
            s = float(zeta(p, first)) - (0.0 if math.isinf(M) else float(zeta(p, M + 1)))
            term = c**n / 2.0 ** (n + 1) * s
            total += eta / batch * term
            n += 1
            if x**n < 1e-17 or n > 60:
                break
    return total


def stable_lr_bound(lam: np.ndarray, batch: int, beta: float = math.nan, M=None) -> float:
    """Root ``eta*`` of ``phi(eta) = 1`` for the eigenvalues ``lam`` (plus zeta-summed modes
    ``len(lam)+1..M`` of ``j^-beta`` when given); see the module docstring."""
    lam = np.asarray(lam, dtype=float)
    hi = 2.0 * batch / ((batch + 1.0) * float(np.max(lam)))

    def f(eta):
        return stability_sum(eta, lam, batch, beta, M) - 1.0

    # phi -> +inf as eta -> hi, so phi(top) > 1 just inside the interval
    top = hi * (1.0 - 1e-15)
    if f(top) <= 0.0:  # pragma: no cover - cannot happen: the lambda_1 term alone diverges
        return top
    return _bisect(f, 0.0, top, xtol=1e-15 * hi)


def _bisect(f: Callable[[float], float], lo: float, hi: float, xtol: float) -> float:
    """Root of an increasing ``f`` with ``f(lo) <= 0 < f(hi)``, to ``xtol`` (absolute)."""
    while hi - lo > xtol:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:  # the bracket is down to adjacent floats
            break
        if f(mid) <= 0.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def max_stable_lr(model: PowerLawModel, batch: int = 1, W=None) -> float:
    """Largest constant learning rate for which the exact mean recursion is stable.

    Parameters
    ----------
    model : PowerLawModel
        The model; top-M uses ``lambda_j = j^-beta`` (``j <= M``), random-M the eigenvalues
        of ``W H W^T`` (Theorem 4.6).
    batch : int
        Batch size ``B >= 1``.
    W : ndarray, optional
        Feature matrix (``M x N``); required for ``features='random'``.  Given with top-M
        features it is used as is (``[I_M, 0]`` reproduces the top-M bound).

    Returns
    -------
    float
        ``eta*`` with ``rho(L(eta)) < 1`` exactly for ``0 < eta < eta*`` (module docstring).
        Constant runs at ``eta >= eta*`` have unbounded second moments.

    Examples
    --------
    >>> m = PowerLawModel(beta=2.0, s=0.5, M=1)
    >>> round(max_stable_lr(m), 12)  # one mode, lambda = 1: eta / (2 - 2 eta) = 1
    0.666666666667
    """
    check_model(model)
    batch = check_int("batch", batch, 1)
    if model.features == "random" and W is None:
        raise ValueError("W is required for features='random': pass the M x N feature matrix")
    lam, beta, extra = _spectrum_for(model, W)
    return stable_lr_bound(lam, batch, beta, lam.size + extra if extra else None)
