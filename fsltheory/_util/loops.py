"""Scaffolding shared by the numba hot loops (FSL evaluator, surrogate sums, exact engine).

Every exponential-sum recursion in the package has the same skeleton: per-rate states that
decay by ``exp(-rho_q dt)`` between two visited steps, then receive that step's input, and
that are reduced and written out at the wanted steps.  The pieces that do not depend on
what the states receive live here, once; the loops keep only their own update.  All but
:func:`reduce_pair` are ``inline="always"``: numba splices them into the caller's IR, as if
written out by hand.  :func:`reduce_pair` runs only at recorded steps and stays a call
(inlined, it measured ~15% slower on the FSL loops); so do :func:`dot` and :func:`total`,
compiled with re-association (which vectorises a reduction) that the callers must not have:
it would undo the rounding trick of their exponential.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fsltheory._util.vexp import FASTMATH, vexp_into

__all__ = [
    "scratch",
    "decay_into",
    "dot",
    "total",
    "reduce_pair",
    "record_pair",
    "record_value",
    "count_true",
]


@njit(cache=True, inline="always")
def scratch(q):
    """Workspace of :func:`decay_into` for ``q`` rates: ``(x, out, bits, fbits)``."""
    x = np.empty(q)
    out = np.empty(q)
    bits = np.empty(q, np.int64)
    return x, out, bits, bits.view(np.float64)


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def decay_into(rates, dt, x, out, bits, fbits):
    """``out[j] = exp(-rates[j] dt)`` for every rate (vectorised, :func:`vexp_into`)."""
    for j in range(rates.size):
        x[j] = -rates[j] * dt
    vexp_into(x, out, bits, fbits)


@njit(cache=True, fastmath=True)
def dot(a, b):
    """``a @ b`` with re-association allowed, so that the reduction vectorises."""
    acc = 0.0
    for j in range(a.size):
        acc += a[j] * b[j]
    return acc


@njit(cache=True, fastmath=True)
def total(a):
    """``sum(a)`` with re-association allowed, so that the reduction vectorises."""
    acc = 0.0
    for j in range(a.size):
        acc += a[j]
    return acc


@njit(cache=True)
def reduce_pair(s_a, s_b, weights):
    """``(weights @ s_a, weights @ s_b)``: two exponential-sum states read out at once.

    Called, not inlined: spliced into the step loop it cost the FSL loops ~15% (measured), as
    the rarely taken recording branch then gets in the way of the per-step update.
    """
    a = 0.0
    b = 0.0
    for j in range(weights.size):
        a += weights[j] * s_a[j]
        b += weights[j] * s_b[j]
    return a, b


@njit(cache=True, inline="always")
def record_pair(rec, r, k, out_a, out_b, s_a, s_b, weights):
    """Read out two exponential-sum states into every slot ``r`` with ``rec[r] == k``."""
    while r < rec.size and rec[r] == k:
        out_a[r], out_b[r] = reduce_pair(s_a, s_b, weights)
        r += 1
    return r


@njit(cache=True, inline="always")
def record_value(rec, r, k, out, value):
    """Write ``value`` into every slot ``r`` with ``rec[r] == k`` (sorted ``rec``); next slot."""
    while r < rec.size and rec[r] == k:
        out[r] = value
        r += 1
    return r


@njit(cache=True, inline="always")
def count_true(mask):
    """Number of true entries of a boolean array."""
    n = 0
    for i in range(mask.size):
        if mask[i]:
            n += 1
    return n
