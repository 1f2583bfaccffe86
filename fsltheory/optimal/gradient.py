"""Exact gradients of the expected risk with respect to every learning rate and batch size.

The exact engine (reference §8.1) propagates per-node risks ``r_i`` on a quadrature rule of
the spectrum (:func:`fsltheory.exact.spectrum.spectrum_rule`): with ``t = eta_k lambda_i``,
``q_k = 1 + 1/B_k``,

.. math:: r_i(k+1) = a_i(k)\\,r_i(k) + c_i(k)\\,(R(k) + \\sigma^2), \\qquad
   a = 1 - 2t + q t^2, \\quad c = t^2 / B_k, \\qquad R(k) = C + \\sum_i w_i r_i(k),

and the expected excess risk is ``E_k = R(k)/2`` (eq. 3).  For an objective
``J = sum_k omega_k R(k)/2`` (the final risk: ``omega = e_K``) the adjoint
``p_i(k) = dJ/dr_i(k)`` runs backwards,

.. math:: p_i(k) = \\tfrac12\\omega_k w_i + a_i(k)\\,p_i(k+1) + w_i \\sum_j c_j(k)\\,p_j(k+1),
   \\qquad p_i(K) = \\tfrac12\\omega_K w_i,

and gives every partial derivative from one reverse sweep (the loops carry the scaled
adjoint ``P_i = p_i / w_i``, whose update has no weight in it, and the history stores
``w_i lambda_i r_i``: four loads and eight operations per node and step):

.. math:: \\frac{\\partial J}{\\partial\\eta_k} = \\sum_i p_i(k+1)\\Big[\\lambda_i(2 q_k t - 2)\\,
   r_i(k) + \\frac{2 t\\lambda_i}{B_k}(R(k) + \\sigma^2)\\Big], \\qquad
   \\frac{\\partial J}{\\partial B_k} = -\\frac{1}{B_k^2}\\sum_i p_i(k+1)\\,t^2\\,
   \\big(r_i(k) + R(k) + \\sigma^2\\big).

Cost and memory
---------------
The reverse sweep needs ``r(k)`` in reverse order, and the recursion cannot be run
backwards stably (``a_i`` is tiny for the fast modes).  When the whole history fits in
``max_history_bytes`` (default 4 MB, about the size of a core's cache) it is stored: one
forward pass plus one reverse sweep, ``O(K x nodes)`` time.  Otherwise the forward pass
keeps only ``r`` at every ``S = ceil(sqrt(K))``-th step (checkpoints), and each segment is
recomputed from its checkpoint just before it is swept backwards: memory
``2 S x nodes = O(nodes sqrt(K))``, time one extra pass over the steps (each step is
recomputed exactly once, reading ``R(k)`` from the forward pass instead of summing it
again, so the recomputation has no reduction over the nodes).  The threshold is low on
purpose: the forward loop runs at about one node update per cycle, faster than a stored
history can be written to and read back from main memory (46 MB at ``K = 3.2e4``; measured
2-3x slower, page faults included), while a ``sqrt(K)`` segment stays in cache.
Recomputation from checkpoints was preferred over multi-level (binomial) checkpointing
because a single level already meets the ``sqrt(K)`` memory target at the price of one
extra pass, and the recomputed states are bit-identical to the stored ones, so both storage
modes give the same gradient.

The rule is *fixed* (built once from an upper bound ``t_max`` of the intrinsic time, e.g.
``cap x steps``), so that ``J`` is one smooth function of ``(eta, B)``: the production engine
rebuilds its rule from ``sum eta``, which would make the objective piecewise.  Both rules
are accurate to ``~1e-9`` (:mod:`fsltheory.exact.spectrum`), so the values agree.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field

import mpmath
import numpy as np

from fsltheory._util.validate import check_int, check_lr_array
from fsltheory.exact.spectrum import spectrum_rule
from fsltheory.exact.stability import max_stable_lr
from fsltheory.model import PowerLawModel
from fsltheory.optimal._loops import exact_adjoint, exact_forward

__all__ = [
    "CompressedSpectrum",
    "RiskGradient",
    "compressed_spectrum",
    "exact_gradient",
    "exact_final_risk",
    "HISTORY_BYTES",
]

#: store the whole history below this many bytes, else checkpoint every sqrt(K) steps
HISTORY_BYTES = 4 * 2**20


def _storage(K: int, row_bytes: int, max_history_bytes: int) -> tuple[int, str]:
    """Segment length and storage mode of an adjoint over ``K`` steps whose stored history
    takes ``row_bytes`` per step: the whole history when it fits in ``max_history_bytes``,
    else checkpoints every ``ceil(sqrt(K))`` steps (module docstring, *Cost and memory*)."""
    if K * row_bytes <= max_history_bytes:
        return K, "history"
    return max(1, math.isqrt(K - 1) + 1), "checkpoints"


#: beyond this many modes the uncompressed spectrum would need gigabytes
FULL_LIMIT = 10_000_000


@dataclass(frozen=True)
class CompressedSpectrum:
    """The fixed quadrature rule of one model: ``lam = x^-beta``, ``r0 = x^{-1-s beta}``,
    weights ``w`` and the constant ``C`` (untrained tail plus the control variate of
    :mod:`fsltheory.exact.spectrum`), valid for runs with ``sum eta <= t_max``."""

    lam: np.ndarray
    r0: np.ndarray
    w: np.ndarray
    C: float
    sigma2: float
    t_max: float
    M: int

    @property
    def nodes(self) -> int:
        return int(self.lam.size)

    @property
    def initial_risk(self) -> float:
        """``R(0) = C + sum w r0`` (twice the initial excess risk)."""
        return float(self.C + math.fsum(self.w * self.r0))


def _zeta_sum(expo: float, first: int, last: int) -> float:
    """``sum_{j=first}^{last} j^-expo`` via Hurwitz zeta at 30 digits (as the exact engine)."""
    with mpmath.workdps(30):
        return float(mpmath.zeta(expo, first) - mpmath.zeta(expo, last + 1))


def compressed_spectrum(model: PowerLawModel, t_max: float) -> CompressedSpectrum:
    """The rule of the exact engine (method ``'compressed'``) for runs with ``sum eta <= t_max``.

    Parameters
    ----------
    model : PowerLawModel
        Top-M features (random features are not supported by the adjoint engine).
    t_max : float
        Upper bound of the intrinsic time ``T_K = sum_k eta_k`` (``> 0``).

    Returns
    -------
    CompressedSpectrum
        The compressed rule (or every mode, when compression would not pay), with the
        control-variate constant ``C`` computed exactly as :func:`fsltheory.expected_risk`
        does.
    """
    if not isinstance(model, PowerLawModel):
        raise ValueError(f"model={model!r} is invalid: expected a PowerLawModel")
    if model.features != "top":
        raise ValueError(
            f"model.features={model.features!r} is invalid for the adjoint engine: expected 'top'"
        )
    if not (math.isfinite(t_max) and t_max > 0):
        raise ValueError(f"t_max={t_max!r} is invalid: expected a finite t_max > 0")
    M, beta, expo = model.M, model.beta, 1.0 + model.alpha
    rule = spectrum_rule(M, beta, float(t_max))
    tail = model.tail_error()
    if not rule.compressed:
        if M > FULL_LIMIT:  # pragma: no cover - compression always pays at this size
            raise ValueError(f"M={M} is too large for the uncompressed spectrum")
        x = np.arange(1, M + 1, dtype=float)
        return CompressedSpectrum(x**-beta, x**-expo, np.ones(M), tail, model.sigma2, t_max, M)
    x, w = rule.nodes, rule.weights
    lam, r0 = x**-beta, x**-expo
    J = rule.exact
    C = tail + (_zeta_sum(expo, J + 1, M) - math.fsum(w[J:] * r0[J:]))
    return CompressedSpectrum(lam, r0, w, C, model.sigma2, float(t_max), M)


@dataclass
class RiskGradient:
    """Value and gradient of ``J = sum_k omega_k E_k`` (``E_k = R(k)/2``).

    Attributes
    ----------
    value : float
        ``J`` (the final excess risk for the default ``omega = e_K``).
    lr : ndarray
        ``dJ/d eta_k``, ``k = 0..K-1``.
    batch : ndarray
        ``dJ/d B_k``, ``k = 0..K-1`` (``B_k`` treated as a real number).
    excess_risk : ndarray
        ``E_k`` for every ``k = 0..K``.
    meta : dict
        ``storage`` ('history' or 'checkpoints'), ``segment``, ``nodes``, ``elapsed_s``.
    """

    value: float
    lr: np.ndarray
    batch: np.ndarray
    excess_risk: np.ndarray
    meta: dict = field(default_factory=dict)


def _batch_array(batch, K: int) -> np.ndarray:
    b = np.asarray(batch, dtype=float)
    if b.ndim == 0:
        b = np.full(K, float(b))
    if b.shape != (K,):
        raise ValueError(
            f"batch of shape {b.shape} is invalid: expected a scalar or shape ({K},) (one per step)"
        )
    bad = ~np.isfinite(b) | (b < 1.0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"batch[{k}]={float(b[k])!r} is invalid: expected a finite batch >= 1")
    return b


def _omega(weights, K: int) -> np.ndarray:
    if weights is None:
        om = np.zeros(K + 1)
        om[K] = 1.0
        return om
    om = np.asarray(weights, dtype=float)
    if om.shape != (K + 1,) or not np.all(np.isfinite(om)):
        raise ValueError(
            f"weights of shape {om.shape} is invalid: expected {K + 1} finite values "
            "(one per step 0..K)"
        )
    return om


@functools.lru_cache(maxsize=256)
def _bound(model: PowerLawModel, b: int) -> float:
    return max_stable_lr(model, b)


def check_stable(model: PowerLawModel, lrs: np.ndarray, bsz: np.ndarray) -> None:
    """Refuse a step with ``eta_k >= max_stable_lr(model, floor(B_k))``.

    The bound grows with ``B`` (the stability sum of :mod:`fsltheory.exact.stability`
    decreases in ``B``), so ``floor(B_k)`` gives a safe bound for a real batch.
    """
    fl = np.floor(bsz).astype(np.int64)
    for b in np.unique(fl):
        mask = fl == b
        k = int(np.flatnonzero(mask)[np.argmax(lrs[mask])])
        bound = _bound(model, int(b))
        if lrs[k] >= bound:
            raise ValueError(
                f"lr={lrs[k]:.6g} (at step {k}) is invalid: expected lr < max_stable_lr = "
                f"{bound:.6g} for batch={bsz[k]:g}; beyond it the second moments of SGD grow "
                "without bound"
            )


def _diverged(bad: int, lrs, bsz) -> ValueError:
    return ValueError(
        f"lr={lrs[bad]:.6g} (at step {bad}, batch={bsz[bad]:g}) is invalid: the exact "
        "recursion diverged there; expected lr below the stability bound max_stable_lr"
    )


def _prepare(model, lrs, batch, spectrum, check_stability):
    lrs = np.ascontiguousarray(check_lr_array("lrs", lrs))
    K = lrs.size
    bsz = _batch_array(batch, K)
    if spectrum is None:
        spectrum = compressed_spectrum(model, max(float(np.sum(lrs)), 1e-12))
    elif not isinstance(spectrum, CompressedSpectrum):
        raise ValueError(f"spectrum={spectrum!r} is invalid: expected a CompressedSpectrum")
    if check_stability:
        check_stable(model, lrs, bsz)
    return lrs, bsz, spectrum


def exact_final_risk(
    model: PowerLawModel, lrs, *, batch=1, spectrum=None, check_stability=True
) -> float:
    """Final expected excess risk ``E_K`` on a fixed rule (forward pass only, no storage).

    Parameters are those of :func:`exact_gradient`.
    """
    lrs, bsz, sp = _prepare(model, lrs, batch, spectrum, check_stability)
    K = lrs.size
    R = np.empty(K + 1)
    r = sp.r0.copy()
    empty = np.empty((0, sp.nodes))
    bad = exact_forward(sp.lam, sp.w, r, sp.C, sp.sigma2, lrs, 1.0 / bsz, 0, K, R, empty, 0, empty)
    if bad >= 0:
        raise _diverged(bad, lrs, bsz)
    return 0.5 * float(R[K])


def exact_gradient(
    model: PowerLawModel,
    lrs,
    *,
    batch=1,
    weights=None,
    spectrum: CompressedSpectrum | None = None,
    check_stability: bool = True,
    max_history_bytes: int = HISTORY_BYTES,
) -> RiskGradient:
    """Reverse-mode gradient of the exact expected risk w.r.t. every ``eta_k`` and ``B_k``.

    Parameters
    ----------
    model : PowerLawModel
        Top-M power-law model (reference §8.1).
    lrs : 1-d array
        Learning rates ``eta_0..eta_{K-1}`` (finite, ``>= 0``).
    batch : float or 1-d array
        Batch sizes ``B_k >= 1``; real values are allowed (the recursion is a formula in
        ``1/B``), which the joint optimisation of :mod:`fsltheory.optimal.batch` uses.
    weights : 1-d array of length ``K + 1``, optional
        ``omega_k`` of ``J = sum_k omega_k E_k``; default: the final risk only.
    spectrum : CompressedSpectrum, optional
        A fixed rule (:func:`compressed_spectrum`); default: built from ``sum eta``, i.e.
        the rule :func:`fsltheory.expected_risk` would use.
    check_stability : bool
        Refuse ``eta_k >= max_stable_lr(model, floor(B_k))`` (``ValueError``).
    max_history_bytes : int
        Store the whole history up to this size, else checkpoint (module docstring).

    Returns
    -------
    RiskGradient

    Raises
    ------
    ValueError
        Invalid input, an unstable schedule, or a diverging recursion (never NaN).

    Examples
    --------
    >>> m = PowerLawModel(beta=2.0, s=1.0, sigma2=1.0, M=1000)
    >>> g = exact_gradient(m, np.full(100, 0.2))
    >>> bool(g.value < g.excess_risk[0]), g.lr.shape
    (True, (100,))
    """
    t0 = time.perf_counter()
    lrs, bsz, sp = _prepare(model, lrs, batch, spectrum, check_stability)
    max_history_bytes = check_int("max_history_bytes", max_history_bytes, 1)
    K, n = lrs.size, sp.nodes
    om = _omega(weights, K)
    invb = 1.0 / bsz
    R = np.empty(K + 1)
    seg, storage = _storage(K, n * 8, max_history_bytes)
    g_eta = np.empty(K)
    g_b = np.empty(K)
    bad = exact_adjoint(sp.lam, sp.w, sp.r0, sp.C, sp.sigma2, lrs, invb, om, seg, R, g_eta, g_b)
    if bad >= 0:
        raise _diverged(bad, lrs, bsz)
    value = 0.5 * float(np.dot(om, R))
    R *= 0.5  # E_k = R(k)/2 in place: a fresh K-array costs its page faults again
    meta = {
        "storage": storage,
        "segment": seg,
        "nodes": n,
        "t_max": sp.t_max,
        "elapsed_s": time.perf_counter() - t0,
    }
    return RiskGradient(value=value, lr=g_eta, batch=g_b, excess_risk=R, meta=meta)
