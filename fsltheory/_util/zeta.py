"""The Hurwitz zeta function for real arguments, in plain Python (no SciPy import).

``scipy.special`` costs about 0.3 s to import (it pulls in ``numpy.f2py``), which is most
of the start-up of a short ``fsl risk`` run, for a handful of scalar tail sums.  This is
the algorithm SciPy itself uses (Cephes ``zeta``: Euler-Maclaurin summation after at least
nine terms, and the asymptotic expansion for large ``q``), so the two agree to round-off
(``tests/test_model.py``).
"""

from __future__ import annotations

__all__ = ["hurwitz_zeta"]

_EPS = 1.11022302462515654042e-16
#: ``(2k)! / B_{2k}`` for ``k = 1..12``: the Euler-Maclaurin correction denominators
_A = (
    12.0,
    -720.0,
    30240.0,
    -1209600.0,
    47900160.0,
    -1.8924375803183791606e9,
    7.47242496e10,
    -2.950130727918164224e12,
    1.1646782814350067249e14,
    -4.5979787224074726105e15,
    1.8152105401943546773e17,
    -7.1661652561756670113e18,
)


def hurwitz_zeta(x: float, q: float) -> float:
    """``zeta(x, q) = sum_{j >= 0} (j + q)^-x`` for ``x > 1``, ``q > 0``.

    Examples
    --------
    >>> import math
    >>> math.isclose(hurwitz_zeta(2.0, 1.0), math.pi**2 / 6, rel_tol=1e-15)
    True
    """
    x, q = float(x), float(q)
    if not x > 1.0:
        raise ValueError(f"x={x!r} is invalid: expected x > 1")
    if not q > 0.0:
        raise ValueError(f"q={q!r} is invalid: expected q > 0")
    if q > 1e8:  # DLMF 25.11.43: the next term is O(x q^(-x-1)), below round-off
        return (1.0 / (x - 1.0) + 1.0 / (2.0 * q)) * q ** (1.0 - x)
    s = q**-x
    if s == 0.0:
        # every term underflows (q^-x < 5e-324, e.g. x = 65, q = 1e5): only the integral
        # part q^(1-x)/(x-1) can still be a (subnormal) float; its relative correction,
        # O(x / q^2), is below the few bits such a number carries
        return (1.0 / (x - 1.0) + 0.5 / q) * q ** (1.0 - x)
    a, b, i = q, 0.0, 0
    while i < 9 or a <= 9.0:
        i += 1
        a += 1.0
        b = a**-x
        s += b
        if abs(b) < _EPS * s:
            return s
    w = a
    s += b * w / (x - 1.0)
    s -= 0.5 * b
    fac, k = 1.0, 0.0
    for denom in _A:
        fac *= x + k
        b /= w
        t = fac * b / denom
        s += t
        if abs(t) < _EPS * abs(s):
            break
        k += 1.0
        fac *= x + k
        b /= w
        k += 1.0
    return s
