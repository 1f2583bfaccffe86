"""One law across model sizes: shared exponents, size-dependent amplitudes (variable projection).

Every law here is linear in its amplitudes given its nonlinear parameters ``phi`` (the
exponents and time scales): ``pred = B(phi) @ lin``.  A joint fit over sizes ``N`` shares
``phi`` and gives each size its own amplitudes,

.. math::
   (1)\\quad \\min_{\\phi} \\sum_N \\min_{\\mathrm{lin}_N \\ge 0}
   \\Big\\| \\frac{B_N(\\phi)\\,\\mathrm{lin}_N}{y_N} - 1 \\Big\\|^2,

the inner problem solved exactly by NNLS (relative errors, i.e. log residuals to first
order).  The outer problem runs over the law's unit box (``nonlinear_from_unit``): a fixed
Sobol design screens it and bounded least squares (finite differences, 3-4 parameters)
polishes the best points, so the result is deterministic.

Leave-one-size-out (:func:`leave_one_size_out`) freezes ``phi`` from the other sizes and
fits only the held-out size's amplitudes, by NNLS on its training curves: a test of whether
the exponents transfer across sizes.  (Extrapolating the amplitudes themselves to an unseen
size needs a law for ``lin(N)``, which three sizes cannot support.)
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares, nnls

from fsltheory._util.threads import one_blas_thread
from fsltheory.surrogate.fitting import _as_curves, clip_to_box, sobol_unit

__all__ = ["fit_across_sizes", "leave_one_size_out"]


def _projected(law, preps, y, phi, bounds):
    """Relative residuals and assembled parameters of one size at ``phi`` (inner NNLS of (1))."""
    with np.errstate(all="ignore"):
        B = np.concatenate([law.design(p, phi) for p in preps]) / y[:, None]
    if not np.all(np.isfinite(B)):
        return None, None
    norm = np.linalg.norm(B, axis=0)
    norm[norm == 0] = 1.0
    lin = nnls(B / norm, np.ones_like(y))[0] / norm
    th = clip_to_box(law.assemble(lin, phi, bounds), *bounds, law.transforms)
    # the residual of the law as assembled: where the box clips an amplitude the NNLS
    # solution is not the law that will be returned.  The law is linear in these
    # amplitudes, so the design gives it without evaluating the law again (which doubled
    # the cost of a joint fit, x7 for fsl-lr)
    return B @ law.linear_params(th) - 1.0, th


@one_blas_thread
def fit_across_sizes(law, curves_by_size: dict, *, design: int = 64, polish: int = 2) -> dict:
    """Joint fit (1): shared nonlinear parameters, NNLS amplitudes per size.

    Parameters
    ----------
    law : SurrogateLaw
        A law with ``design``, ``assemble`` and ``nonlinear_from_unit`` (all four laws).
    curves_by_size : dict
        Size -> training curves (post-warmup points are used).
    design, polish : int
        Sobol points screened and best points polished (``>= 1``).

    Returns
    -------
    dict
        ``laws`` (size -> fitted law), ``phi`` (shared nonlinear parameters), ``cost``
        (sum of squared relative residuals).
    """
    if not hasattr(law, "nonlinear_from_unit"):
        raise ValueError(f"law={law.name!r} is invalid: it has no nonlinear_from_unit map")
    if design < 1 or polish < 1:
        raise ValueError(f"design={design}, polish={polish} are invalid: expected integers >= 1")
    if not curves_by_size:
        raise ValueError("curves_by_size is invalid: expected at least one size")
    data = {}
    for size, cs in curves_by_size.items():
        cl = [c.post_warmup() for c in _as_curves(cs)]
        preps = [law._prepare(c.lrs, c.step, for_fit=True) for c in cl]
        data[size] = (preps, np.concatenate([c.loss for c in cl]), law.default_bounds(cl), cl)
    all_curves = [c for v in data.values() for c in v[3]]

    def residual(u):
        phi = law.nonlinear_from_unit(all_curves, np.clip(u, 0.0, 1.0)[None, :])[0]
        out = []
        for preps, y, bounds, _ in data.values():
            r, _ = _projected(law, preps, y, phi, bounds)
            out.append(np.full(y.size, 1.0) if r is None else r)
        return np.concatenate(out)

    U = sobol_unit(design, law.n_nonlinear)
    costs = np.array([float(np.sum(residual(u) ** 2)) for u in U])
    polished = [
        least_squares(residual, U[i], bounds=(0.0, 1.0), diff_step=1e-4, max_nfev=60)
        for i in np.argsort(costs)[:polish]
    ]
    best = min(polished, key=lambda r: r.cost)
    phi = law.nonlinear_from_unit(all_curves, np.clip(best.x, 0.0, 1.0)[None, :])[0]
    laws = {}
    for size, (preps, y, bounds, _) in data.items():
        _, th = _projected(law, preps, y, phi, bounds)
        laws[size] = law.with_params(th)
    return {"laws": laws, "phi": phi, "cost": 2.0 * float(best.cost)}


def leave_one_size_out(law, train_by_size: dict, test_by_size: dict, **kw) -> dict:
    """For each size: shared ``phi`` from the other sizes, amplitudes by NNLS on its own
    training curves; returns size -> mean metrics on its test curves."""
    from fsltheory.surrogate.metrics import evaluate_law

    if len(train_by_size) < 2:
        raise ValueError(
            f"train_by_size has {len(train_by_size)} size(s): expected at least 2 for leave-one-out"
        )
    out = {}
    for held in train_by_size:
        others = {s: c for s, c in train_by_size.items() if s != held}
        phi = fit_across_sizes(law, others, **kw)["phi"]
        cl = [c.post_warmup() for c in _as_curves(train_by_size[held])]
        preps = [law._prepare(c.lrs, c.step, for_fit=True) for c in cl]
        bounds = law.default_bounds(cl)
        _, th = _projected(law, preps, np.concatenate([c.loss for c in cl]), phi, bounds)
        fitted = law.with_params(th)
        out[held] = evaluate_law(fitted, test_by_size[held])["mean"]
    return out
