"""Prediction bands for a fitted law: bootstrap over training curves and blocks of residuals.

A law fitted to a few curves predicts unseen schedules with an error dominated by *which*
curves it saw (the schedule extrapolation), not by the logged noise.  The bootstrap
therefore resamples at two levels:

1. **curves**: draw the training curves with replacement (a curve drawn twice weighs twice);
2. **residual blocks**: on each drawn curve, replace the log residuals
   ``r_t = log y_t - log L_Theta(t)`` of the base fit by a circular moving-block bootstrap of
   them (blocks of ``block`` consecutive logged points keep their autocorrelation),
   ``y*_t = L_Theta(t) exp(r*_t)``;

then refits from the base parameters (one TRF polish: the bootstrap fits stay in the base
fit's basin, the spread measured is the local one) and predicts.  The band at level ``p`` is
the pointwise ``(1-p)/2 .. (1+p)/2`` quantile range of the bootstrap predictions, widened by
the same quantiles ``q_lo, q_hi`` of out-of-sample log residuals: leave-one-curve-out
(:func:`cv_residuals`: fit on the other training curves, residuals on the one left out), the
deviation a new schedule shows that the parameter spread alone misses (in-sample residuals
measured 66 % coverage of a nominal 90 % band on the MPL 25M test curves),

.. math:: (1)\\quad \\big[\\,Q_{(1-p)/2}(\\hat L^*)\\,e^{q_{lo}},\\;
          Q_{(1+p)/2}(\\hat L^*)\\,e^{q_{hi}}\\,\\big].

:func:`band_coverage` measures the fraction of held-back points inside the band.
"""

from __future__ import annotations

import numpy as np

from fsltheory._util.rng import as_generator
from fsltheory.surrogate.fitting import _as_curves

__all__ = [
    "attach_band",
    "band_coverage",
    "bootstrap_laws",
    "cv_residuals",
    "prediction_band",
    "stored_band",
]


def _block_resample(r: np.ndarray, block: int, gen) -> np.ndarray:
    """Circular moving-block bootstrap of a 1-d residual series."""
    n = r.size
    nb = -(-n // block)
    starts = gen.integers(0, n, size=nb)
    idx = (starts[:, None] + np.arange(block)[None, :]).ravel()[:n] % n
    return r[idx]


def bootstrap_laws(law, curves, *, n_boot: int = 20, block: int = 20, rng=None, **fit_kw) -> list:
    """Refit ``law`` (a fitted law) on ``n_boot`` bootstrap resamples of ``curves``.

    Parameters
    ----------
    law : SurrogateLaw
        A fitted law (its parameters start every refit).
    curves : LossCurve or list of LossCurve
        The training curves it was fitted to.
    n_boot : int
        Number of bootstrap refits (``>= 2``).
    block : int
        Residual block length in logged points (``>= 1``).
    rng : Generator, int or None
        Source of the resampling.
    **fit_kw
        Passed to :meth:`SurrogateLaw.fit` (default one start, one screened point).

    Returns
    -------
    list of SurrogateLaw
        The refitted laws.
    """
    if n_boot < 2:
        raise ValueError(f"n_boot={n_boot} is invalid: expected an integer >= 2")
    if block < 1:
        raise ValueError(f"block={block} is invalid: expected an integer >= 1")
    if law.params is None:
        raise ValueError("law is invalid: expected a fitted law (params set)")
    gen = as_generator(rng)
    cl = [c.post_warmup() for c in _as_curves(curves)]
    base = [law.predict(c) for c in cl]
    resid = [np.log(c.loss) - np.log(b) for c, b in zip(cl, base, strict=True)]
    kw = {"starts": 1, "screen": 1, **fit_kw}
    out = []
    for _ in range(n_boot):
        pick = gen.integers(0, len(cl), size=len(cl)) if len(cl) > 1 else np.zeros(1, int)
        boot = []
        for j in pick:
            r = _block_resample(resid[j], min(block, resid[j].size), gen)
            c = cl[j]
            boot.append(type(c)(step=c.step, loss=base[j] * np.exp(r), lrs=c.lrs, name=c.name))
        out.append(law.fit(boot, **kw).law)
    return out


def cv_residuals(law, curves, **fit_kw) -> np.ndarray:
    """Leave-one-curve-out log residuals of a fitted ``law`` (in-sample ones for one curve)."""
    cl = [c.post_warmup() for c in _as_curves(curves)]
    if len(cl) == 1:
        return np.log(cl[0].loss) - np.log(law.predict(cl[0]))
    kw = {"starts": 1, "screen": 1, **fit_kw}
    out = []
    for j, c in enumerate(cl):
        fitted = law.fit([d for i, d in enumerate(cl) if i != j], **kw).law
        out.append(np.log(c.loss) - np.log(fitted.predict(c)))
    return np.concatenate(out)


def prediction_band(laws, base, target, *, level: float = 0.9, residuals=None):
    """Pointwise band (1) for ``target`` (a LossCurve) from bootstrap ``laws``.

    ``residuals`` are the base fit's training log residuals (``None``: no widening).
    Returns ``(lo, hi)`` at the target's logged steps.
    """
    if not 0 < level < 1:
        raise ValueError(f"level={level} is invalid: expected a number in (0, 1)")
    P = np.array([lw.predict(target) for lw in laws] + [base.predict(target)])
    a = (1 - level) / 2
    lo, hi = np.quantile(P, a, axis=0), np.quantile(P, 1 - a, axis=0)
    if residuals is not None and np.size(residuals):
        lo = lo * np.exp(min(np.quantile(residuals, a), 0.0))
        hi = hi * np.exp(max(np.quantile(residuals, 1 - a), 0.0))
    return lo, hi


def band_coverage(laws, base, train, test, *, level: float = 0.9, residuals=None) -> float:
    """Fraction of the held-back curves' logged points inside the band (1).

    ``residuals`` default to :func:`cv_residuals` of ``base`` on ``train``.
    """
    res = cv_residuals(base, train) if residuals is None else residuals
    inside, total = 0, 0
    for c in _as_curves(test):
        lo, hi = prediction_band(laws, base, c, level=level, residuals=res)
        inside += int(np.sum((c.loss >= lo) & (c.loss <= hi)))
        total += c.loss.size
    return inside / total


def attach_band(law, curves, *, n_boot: int = 20, block: int = 20, level: float = 0.9, rng=None):
    """Store a bootstrap band in ``law.fit_info["band"]`` (saved with the law's JSON).

    Keeps the bootstrap parameter sets and the quantiles of the leave-one-curve-out
    residuals, so that :func:`stored_band` can draw (1) for any schedule later.
    """
    boots = bootstrap_laws(law, curves, n_boot=n_boot, block=block, rng=rng)
    res = cv_residuals(law, curves)
    a = (1 - level) / 2
    law.fit_info["band"] = {
        "level": level,
        "n_boot": n_boot,
        "block": block,
        "params": [b.theta.tolist() for b in boots],
        "log_resid_q": [
            min(float(np.quantile(res, a)), 0.0),
            max(float(np.quantile(res, 1 - a)), 0.0),
        ],
    }
    return law


def stored_band(law, target):
    """Band (1) from ``law.fit_info["band"]`` for ``target``; ``None`` if the law has none."""
    band = law.fit_info.get("band")
    if not band:
        return None
    laws = [law.with_params(p) for p in band["params"]]
    lo, hi = prediction_band(laws, law, target, level=band["level"])
    qlo, qhi = band["log_resid_q"]
    return lo * np.exp(qlo), hi * np.exp(qhi)
