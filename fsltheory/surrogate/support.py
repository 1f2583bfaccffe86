"""How far a schedule leaves the support of a law's training data.

A fitted law is an interpolant over the schedules it saw; its optimum is trustworthy only
where the optimised schedule resembles them.  :func:`data_support` summarises the training
schedules (stored in ``fit_info["support"]`` by :func:`~fsltheory.surrogate.fitting.fit_law`),
:func:`support_check` compares a schedule against it:

* **LR range**: the fraction of post-warmup steps whose LR lies below the smallest (or
  above the largest) post-warmup LR seen in training, and the ratio of the lowest LR used to
  the lowest seen (the law's kernel was never asked about relaxation at a lower level);
* **decrement pattern**: the largest single-step decrement and the final LR, both relative to
  the peak, against the same in training (a sharper drop, or a deeper anneal, is new);
* **horizon**: steps and LR area against the longest training curve.

``outside`` lists every criterion that is exceeded; an empty list means inside the support.
"""

from __future__ import annotations

import numpy as np

__all__ = ["data_support", "support_check"]

#: relative slack before a value counts as outside the training range
_SLACK = 0.05


def _post(lrs, warmup: int) -> np.ndarray:
    return np.asarray(lrs, dtype=float)[warmup:]


def data_support(curves) -> dict:
    """Summary of the training schedules (post-warmup) that :func:`support_check` compares to."""
    lr_min, lr_max, drop, final, steps, area = np.inf, 0.0, 0.0, np.inf, 0, 0.0
    for c in curves:
        eta = _post(c.lrs, int(c.warmup or 0))
        if eta.size == 0:
            continue
        peak = float(eta.max())
        lr_min, lr_max = min(lr_min, float(eta.min())), max(lr_max, peak)
        if eta.size > 1:
            drop = max(drop, float(np.max(eta[:-1] - eta[1:])) / peak)
        final = min(final, float(eta[-1]) / peak)
        steps = max(steps, int(np.asarray(c.lrs).size))
        area = max(area, float(np.sum(c.lrs)))
    return {
        "lr_min": lr_min,
        "lr_max": lr_max,
        "max_step_drop": drop,
        "min_final_frac": final,
        "max_steps": steps,
        "max_area": area,
    }


def support_check(support: dict, lrs, warmup: int = 0) -> dict:
    """Compare a schedule with a :func:`data_support` summary; see the module docstring."""
    eta = _post(lrs, warmup)
    if eta.size == 0:
        raise ValueError(f"warmup={warmup} is invalid: expected fewer than {np.size(lrs)} steps")
    peak = float(eta.max())
    lo, hi = support["lr_min"], support["lr_max"]
    below = float(np.mean(eta < lo * (1 - _SLACK)))
    above = float(np.mean(eta > hi * (1 + _SLACK)))
    drop = float(np.max(eta[:-1] - eta[1:])) / peak if eta.size > 1 else 0.0
    final = float(eta[-1]) / peak
    rep = {
        "frac_steps_below_lr_seen": below,
        "frac_steps_above_lr_seen": above,
        "lowest_lr_over_lowest_seen": float(eta.min()) / lo if lo > 0 else float("inf"),
        "max_step_drop": drop,
        "final_frac": final,
        "steps_over_longest_seen": np.size(lrs) / max(support["max_steps"], 1),
        "area_over_largest_seen": float(np.sum(lrs)) / max(support["max_area"], 1e-300),
    }
    outside = []
    if below > 0:
        outside.append(f"{100 * below:.1f}% of steps below the lowest LR seen ({lo:.3g})")
    if above > 0:
        outside.append(f"{100 * above:.1f}% of steps above the highest LR seen ({hi:.3g})")
    if drop > support["max_step_drop"] * (1 + _SLACK) + 1e-12:
        outside.append(
            f"a one-step drop of {drop:.3g} x peak, sharper than any seen ({support['max_step_drop']:.3g})"
        )
    if final < support["min_final_frac"] * (1 - _SLACK):
        outside.append(
            f"anneals to {final:.3g} x peak, deeper than any seen ({support['min_final_frac']:.3g})"
        )
    if rep["area_over_largest_seen"] > 1 + _SLACK:
        outside.append(f"LR area {rep['area_over_largest_seen']:.2f}x the largest seen")
    rep["outside"] = outside
    return rep
