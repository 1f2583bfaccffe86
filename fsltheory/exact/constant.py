"""The exact recursion at a constant learning rate, for any horizon (reference §8.1).

With ``eta_k = eta`` and ``B_k = B`` the recursion of :mod:`fsltheory.exact._recursion` is
linear and time-invariant in the per-node risks ``r``:

.. math:: r(k+1) = A\\,r(k) + c, \\qquad A = I - G, \\quad
   G = \\mathrm{diag}\\big(t_i(2 - t_i(1 + 1/B))\\big) - \\frac{t^2}{B} w^\\top, \\quad
   c = \\frac{t^2}{B}(C + \\sigma^2),

with ``t_i = eta lambda_i``.  So ``K`` steps are one matrix power: ``r(K) = A^K r(0) +
S_K c`` with ``S_K = sum_{k<K} A^k``, and the cost is ``O(n^3 log K)`` on ``n`` nodes
instead of ``O(n K)``: a horizon of ``10^15`` steps takes as long as one of ``10^5``.  This
is what lets the constant learning rate be measured where its optimum resolves the spectrum
(``book/phase-diagram.md``).

Accuracy: a power is never formed as ``A^n`` (slow modes have ``1 - a_i`` far below the
float64 spacing of 1, and repeated squaring would round their decay away) but as
``Phi_n = I - A^n``, doubled by ``Phi_{2n} = Phi_n (2 I - Phi_n)``, which keeps the
relative accuracy of small entries; ``S_{2n} c = S_n c + A^n S_n c``.  A decayed node's value
``r - Phi r`` then carries an absolute error of a few ``eps r`` per doubling, far below the
noise floor such a node has reached.  Agreement with the step-by-step recursion is checked
to 1e-9 relative in ``tests/test_exact_constant.py``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["constant_recursion", "worth_it"]


def worth_it(steps: int, nodes: int, records: int) -> bool:
    """Whether the matrix power beats ``steps`` steps of the recursion on ``nodes`` nodes.

    Measured costs (this engine, a few hundred nodes): a doubling is one dense product,
    ``~ n^3 / 1e10`` s with BLAS, and a record ``log2 K`` matrix-vector products; a step of
    the compiled recursion ``~ n / 3e9`` s.  So powers pay once
    ``log2(K) n (n + records) < 2 K`` (about ``K > 3e5`` at 170 nodes).
    """
    levels = max(1, int(steps).bit_length())
    return levels * nodes * (nodes + records) < 2 * steps


def constant_recursion(
    lam: np.ndarray,
    r0: np.ndarray,
    C: float,
    sigma2: float,
    eta: float,
    batch: int,
    rec: np.ndarray,
    *,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """``R(rec)``, twice the expected excess risk at the recorded steps.

    As the ``R_rec`` of :func:`fsltheory.exact._recursion.run_recursion`; a stable constant
    rate cannot diverge, so there is no failing step to report.

    Parameters
    ----------
    lam, r0 : ndarray
        Node eigenvalues and initial per-node risks.
    C, sigma2 : float
        Constant part of ``R = 2 E`` and the label noise.
    eta : float
        The learning rate (stable: the caller checks ``eta < max_stable_lr``).
    batch : int
        The batch size.
    rec : ndarray
        Sorted steps to record, ``0 <= rec <= K``.
    weights : ndarray, optional
        Node weights (``1`` for the full spectrum).
    """
    lam = np.asarray(lam, dtype=float)
    n = lam.size
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    ib = 1.0 / float(batch)
    t = eta * lam
    b = t * t * ib
    # the generator, formed without 1 - a (which rounds slow modes' decay away)
    Phi = -np.outer(b, w)
    Phi[np.diag_indices(n)] += t * (2.0 - t * (1.0 + ib))
    s = b * (C + sigma2)  # S_1 c
    rec = np.asarray(rec, dtype=np.int64)
    out = np.empty(rec.size)
    r = np.array(r0, dtype=float)
    done = 0
    # powers of two of the step map, (Phi_{2^i}, S_{2^i} c), made as the gaps need them
    blocks = [(Phi, s)]
    for pos, k in enumerate(rec):
        gap, bit = int(k) - done, 0
        while gap:
            while bit >= len(blocks):
                P, v = blocks[-1]
                blocks.append((P @ (2.0 * np.eye(n) - P), 2.0 * v - P @ v))
            if gap & 1:
                P, v = blocks[bit]
                r = r - P @ r + v
            gap >>= 1
            bit += 1
        done = int(k)
        out[pos] = C + float(w @ r)
    return out
