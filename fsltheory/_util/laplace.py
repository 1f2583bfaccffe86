"""``(1 + x)^{-p}`` as a mixture of decaying exponentials: one quadrature rule, two users.

Both the FSL's power-law kernels (:func:`fsltheory.fsl.functions.power_expsum`) and the
surrogate laws' sums over past learning-rate decrements
(:mod:`fsltheory.surrogate._decrement_sums`) rest on the Laplace identity

.. math:: (1 + x)^{-p} = \\frac{1}{\\Gamma(p)} \\int_0^\\infty u^{p-1} e^{-u} e^{-u x}\\,du
   = \\int_{\\mathbb R} \\phi_p(y)\\, e^{-e^{y} x}\\, dy,
   \\qquad \\phi_p(y) = \\frac{e^{p y - e^{y}}}{\\Gamma(p)},

(``u = e^y``: the Gamma density in log-rate), discretised by **the trapezoid rule on a
uniform grid** ``y_j = y_0 + j h`` with weights ``h phi_p(y_j)`` and rates ``e^{y_j}``.

Accuracy.  ``phi_p`` is analytic in the strip ``|Im y| < pi/2`` and decays
doubly-exponentially to the right and exponentially to the left, so the rule on the whole
line converges geometrically, ``err ~ C(p) exp(-pi^2 / h)``, relative and *uniformly in*
``x >= 0`` (a shift of ``x`` only moves the bump in ``y``).  Measured, ``C(p)`` grows like
``e^{2.5 p}``; :func:`trapezoid_step` turns a relative tolerance into ``h`` from that bound.
Measured maximum relative errors over ``x`` in ``[0, 1e7]``, ``p`` in ``[0.1, 6]``
(``tests/test_laplace.py``): at most ``3.4e-8`` for ``rtol = 1e-6`` and ``5.8e-12`` for
``rtol = 1e-10``, i.e. the step is conservative by a factor 17-30.

Truncation.  Nodes right of :data:`Y_MAX` carry weights below ``1e-300``; nodes left of
:func:`left_cutoff` together weigh less than ``1e-3 rtol (1 + x_max)^{-p}``, so dropping
them keeps the relative tolerance for ``x <= x_max``.  (The surrogate instead keeps its
slow rates, lumped to first order, because its grid serves every ``p`` at once.)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

__all__ = ["Y_MAX", "trapezoid_step", "left_cutoff", "gamma_weights"]

#: exp(p y - e^y) < 1e-300 for every p <= 6 once e^y > 750: nothing to the right matters
Y_MAX = math.log(750.0)


def trapezoid_step(rtol: float, p: float) -> float:
    """The grid step ``h`` in ``y = log u`` for relative accuracy ``rtol`` at powers ``<= p``.

    From ``err ~ C(p) exp(-pi^2 / h)`` with the measured ``C(p) <= e^{4 + 2.5 p}``.
    """
    return math.pi**2 / (math.log(1.0 / rtol) + 4.0 + 2.5 * p)


def left_cutoff(p: float, rtol: float, x_max: float) -> float:
    """The smallest ``y`` worth a node for ``x <= x_max`` at relative accuracy ``rtol``.

    The left tail ``int_{-inf}^{y} phi_p ~ e^{p y} / (p Gamma(p))`` is held below
    ``1e-3 rtol (1 + x_max)^{-p}`` (one extra unit of ``y`` for the trapezoid's end sum).
    """
    return (math.log(1e-3 * rtol) + math.log(p) + gammaln(p)) / p - math.log1p(x_max) - 1.0


def gamma_weights(y, p: float, h: float) -> np.ndarray:
    """Trapezoid weights ``h phi_p(y) = h exp(p y - e^y - log Gamma(p))`` at the nodes ``y``."""
    with np.errstate(under="ignore"):
        return h * np.exp(p * np.asarray(y, dtype=float) - np.exp(y) - gammaln(p))
