"""The exact engine's recursion in plain numpy, for problems too small to repay numba.

The same update as the compiled kernel of :mod:`fsltheory.exact._recursion` (see its
docstring for the formula), one vectorised numpy step at a time.  Loading numba and its
cached kernel costs about a second per process, while a run of ``K`` steps on ``n`` nodes
costs here ~10 us per step plus ``O(K n)``; below :data:`SMALL_STEPS` steps and
:data:`SMALL_WORK` node-steps (a few milliseconds at most) this path is taken, so a
short ``fsl risk`` never imports numba.  Which path runs depends only on the problem's
size, so a given call always returns the same numbers; the two agree to round-off
(``tests/test_exact_engine.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["run_small", "is_small", "DIVERGED", "SMALL_STEPS", "SMALL_WORK"]

#: ``R`` beyond this is treated as divergence (and NaN fails every comparison)
DIVERGED = 1e250
#: at most this many steps ...
SMALL_STEPS = 500
#: ... and this many node-updates (steps x nodes) run in numpy
SMALL_WORK = 100_000


def is_small(steps: int, nodes: int) -> bool:
    """Whether a run of ``steps`` steps on ``nodes`` nodes takes the numpy path."""
    return steps <= SMALL_STEPS and steps * nodes <= SMALL_WORK


def run_small(
    lam: np.ndarray,
    r0: np.ndarray,
    C: float,
    sigma2: float,
    lrs: np.ndarray,
    invb: np.ndarray,
    rec: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    progress: bool = False,
    desc: str = "",
) -> tuple[np.ndarray, int]:
    """``(R_rec, bad)`` as :func:`fsltheory.exact._recursion.run_recursion` returns them.

    ``R_rec[i]`` is ``R(rec[i])`` (twice the expected excess risk); ``bad`` is the step whose
    update made ``R`` non-finite or larger than :data:`DIVERGED`, or ``-1``.

    Examples
    --------
    >>> lam = np.array([1.0]); r0 = np.array([1.0]); lrs = np.full(3, 0.5)
    >>> R, bad = run_small(lam, r0, 0.0, 0.0, lrs, np.ones(3), np.arange(4))
    >>> R.tolist(), bad  # one mode, B = 1, t = 1/2: r <- r + t (t (2 r + R) - 2 r) = 3 r / 4
    ([1.0, 0.75, 0.5625, 0.421875], -1)
    """
    lam = np.asarray(lam, dtype=float)
    r = np.array(r0, dtype=float)
    w = np.ones(lam.size) if weights is None else np.asarray(weights, dtype=float)
    rec = np.asarray(rec, dtype=np.int64)
    out = np.full(rec.size, np.nan)
    C = float(C)
    R = C + float(w @ r)
    bar = None
    if progress:
        from tqdm.std import tqdm

        bar = tqdm(total=lrs.size, desc=desc or "exact", unit="step", unit_scale=True)
    try:
        bad = _steps(lam, r, w, C, sigma2, lrs, invb, rec, out, R, bar)
    finally:
        if bar is not None:
            bar.close()
    return out, bad


def _steps(
    lam: np.ndarray,
    r: np.ndarray,
    w: np.ndarray,
    C: float,
    sigma2: float,
    lrs: np.ndarray,
    invb: np.ndarray,
    rec: np.ndarray,
    out: np.ndarray,
    R: float,
    bar: Any,
) -> int:
    """The loop of :func:`run_small`; returns the failing step or ``-1``."""
    K, pos = lrs.size, 0
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported, not warned
        for k in range(K):
            while pos < rec.size and rec[pos] == k:
                out[pos] = R
                pos += 1
            t = lrs[k] * lam
            ib = float(invb[k])
            # the increment is formed, then added, as in the compiled kernel (slow modes)
            r += t * (t * ((1.0 + ib) * r + ib * (R + sigma2)) - 2.0 * r)
            R = C + float(w @ r)
            if bar is not None:
                bar.update(1)
            if not abs(R) < DIVERGED:
                return k
    while pos < rec.size and rec[pos] == K:
        out[pos] = R
        pos += 1
    return -1
