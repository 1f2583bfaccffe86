"""Prediction metrics exactly as in the multi-power-law protocol (Luo et al. 2025, Table 1).

Per curve: ``R^2`` (coefficient of determination), ``MAE``, ``RMSE``, ``PredE = mean |y - yhat| / y``
and ``WorstE = max |y - yhat| / y``; across curves: the plain average of each metric.
"""

from __future__ import annotations

import numpy as np

from fsltheory.surrogate.curves import LossCurve, smooth_loss

__all__ = ["METRIC_NAMES", "prediction_metrics", "evaluate_law", "mean_metrics"]

#: metric keys, in table order
METRIC_NAMES = ("r2", "mae", "rmse", "prede", "worste")


def prediction_metrics(y, yhat) -> dict[str, float]:
    """``{"r2", "mae", "rmse", "prede", "worste"}`` for observed ``y`` and predicted ``yhat``.

    Examples
    --------
    >>> m = prediction_metrics([2.0, 3.0], [2.0, 3.3])
    >>> round(m["prede"], 4), round(m["worste"], 4)
    (0.05, 0.1)
    """
    y = np.asarray(y, dtype=float)
    yhat = np.asarray(yhat, dtype=float)
    if y.shape != yhat.shape or y.ndim != 1 or y.size == 0:
        raise ValueError(
            f"y and yhat must be non-empty 1-d arrays of equal length ({y.shape} vs {yhat.shape})"
        )
    err = y - yhat
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else float("nan")
    rel = np.abs(err) / np.abs(y)
    return {
        "r2": r2,
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "prede": float(np.mean(rel)),
        "worste": float(np.max(rel)),
    }


def mean_metrics(per_curve: dict[str, dict]) -> dict[str, float]:
    """Average each metric over curves (the protocol's headline numbers)."""
    if not per_curve:
        raise ValueError("no curves to average")
    return {k: float(np.mean([m[k] for m in per_curve.values()])) for k in METRIC_NAMES}


def evaluate_law(law, curves, *, smoothing="fit", min_step: int | None = None) -> dict:
    """Metrics of a law's predictions on curves: ``{"curves": {name: {...}}, "mean": {...}}``.

    ``smoothing="fit"`` applies the smoothing recorded when the law was fitted (so fitting
    and evaluation see the same transform); pass ``None`` or a spec to override.  Points
    inside the warmup ramp are left out (default) or those before ``min_step``.
    """
    if isinstance(curves, LossCurve):
        curves = [curves]
    items = curves.items() if isinstance(curves, dict) else ((c.name, c) for c in curves)
    spec = law.fit_info.get("smoothing") if smoothing == "fit" else smoothing
    per = {}
    for name, c in items:
        c = smooth_loss(c, spec)
        c = c.after(min_step) if min_step is not None else c.post_warmup()
        per[name] = prediction_metrics(c.loss, law.predict(c))
    return {"curves": per, "mean": mean_metrics(per)}
