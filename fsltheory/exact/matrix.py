"""Random-M features: the ``N x N`` recursion of reference §8.1 in a basis where it is diagonal.

Reference §8.1 gives, for ``u = W^T v - theta*``, ``P = W^T W`` and ``S = E[u u^T]``,

.. math:: S_{k+1} = (I - \\eta P H) S (I - \\eta H P)
   + \\frac{\\eta^2}{B} P\\,[H S H + (\\mathrm{tr}(HS) + \\sigma^2) H]\\,P,
   \\qquad \\mathbb E\\mathcal E_k = \\tfrac12 \\mathrm{tr}(H S_k),

which costs ``O(N^3)`` per step.  It reduces exactly to ``M`` scalar recursions:

* Let ``A = W H^{1/2} = U diag(sigma) V^T`` (thin SVD, ``M x N``), so that
  ``hat H = W H W^T = U diag(sigma^2) U^T`` and ``hat lambda_j = sigma_j^2``.
* The best predictor in the model is ``v_opt = hat H^{-1} W H theta*``; its residual
  ``u_perp = W^T v_opt - theta*`` satisfies ``W H u_perp = 0`` and gives the approximation
  error ``delta = 1/2 u_perp^T H u_perp = 1/2 ||(I - V V^T) b||^2`` with
  ``b = H^{1/2} theta*`` (``b_i = i^{-(1 + s beta)/2}``).
* With ``d = v - v_opt`` one has ``u = W^T d + u_perp``, ``tr(H S) = tr(hat H D) + 2 delta``
  for ``D = E[d d^T]``, and, by the Gaussian fourth-moment identity (Lemma E.1), ``D``
  follows the top-M recursion with ``H -> hat H`` and ``sigma^2 -> sigma^2 + 2 delta``.
* In the eigenbasis ``U`` of ``hat H`` the diagonal of ``D`` closes on itself: it is the
  §8.1 top-M recursion with eigenvalues ``hat lambda_j``, initial per-mode risks
  ``hat lambda_j m_j(0) = (V^T b)_j^2`` (from ``d_0 = -v_opt``) and constant tail
  ``2 delta``.

So random-M costs one SVD (``O(M^2 N)``) and then ``O(M)`` per step, and the quantities are
well conditioned: ``sigma_j`` and ``(V^T b)_j`` come from the SVD of ``A`` directly, never
from inverting ``hat H``.  The plain ``N x N`` recursion is kept in the tests as an
independent check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fsltheory._util.validate import check_memory
from fsltheory.model import PowerLawModel

__all__ = ["RandomFeatureSpectrum", "reduce_random_features", "check_W"]


@dataclass(frozen=True)
class RandomFeatureSpectrum:
    """The diagonal form of random-M features: ``hat lambda``, ``r(0)`` and ``2 delta``."""

    lam: np.ndarray
    r0: np.ndarray
    tail: float


def check_W(model: PowerLawModel, W) -> np.ndarray:
    """Validate a feature matrix: finite, shape ``(M, N)``."""
    if math.isinf(model.N):
        raise ValueError("N=inf is invalid for method='matrix': expected a finite N (W is M x N)")
    return model.check_projection(W)


def top_W(model: PowerLawModel) -> np.ndarray:
    """``[I_M, 0]``: top-M features as a feature matrix (random ones are drawn by
    :meth:`fsltheory.PowerLawModel.seeded_projection`)."""
    if math.isinf(model.N):
        raise ValueError("N=inf is invalid for method='matrix': expected a finite N (W is M x N)")
    check_memory("M", model.M, 8.0 * 3 * model.M * float(model.N))  # W and W H W^T's work
    return np.eye(model.M, int(model.N))


def reduce_random_features(model: PowerLawModel, W) -> RandomFeatureSpectrum:
    """Diagonalise the random-M recursion for this ``W`` (see the module docstring)."""
    W = check_W(model, W)
    N = int(model.N)
    sqrt_lam = np.sqrt(model.eigenvalues(N))
    b = np.arange(1, N + 1, dtype=float) ** (-(1.0 + model.alpha) / 2.0)
    _, sig, Vt = np.linalg.svd(W * sqrt_lam, full_matrices=False)
    c = Vt @ b
    resid = b - Vt.T @ c  # (I - V V^T) b: the part of the target the model cannot fit
    return RandomFeatureSpectrum(lam=sig**2, r0=c**2, tail=float(resid @ resid))
