"""Grids of (s, beta) points and the "near a regime boundary" criterion."""

from __future__ import annotations

import numpy as np

__all__ = ["grid", "near_boundary", "NEAR_BOUNDARY", "NEAR_BOUNDARY_BETA"]

#: ``|s - (1 - 1/beta)|`` below which a point counts as near the regime boundary, where the
#: log corrections of the exponents (and the pre-asymptotic drift of measured slopes) are
#: large: the two regimes' exponents meet there and the optimum switches between them
NEAR_BOUNDARY = 0.15
#: the same in ``beta`` for boundaries at fixed beta (the model's edge beta = 1, and beta = 2
#: or 3 where linear / cosine and power decay gain a log factor): the exponents change
#: continuously there but the log corrections are O(1/log D) on both sides
NEAR_BOUNDARY_BETA = 0.5


def grid(s_values, beta_values) -> list[tuple[float, float]]:
    """The product grid as ``(s, beta)`` pairs, ``s`` varying slowest."""
    return [(float(s), float(b)) for s in s_values for b in beta_values]


def near_boundary(s, beta, margin: float = NEAR_BOUNDARY):
    """Whether ``(s, beta)`` lies within ``margin`` (in ``s``) of ``s = 1 - 1/beta``."""
    s, beta = np.asarray(s, dtype=float), np.asarray(beta, dtype=float)
    return np.abs(s - (1.0 - 1.0 / beta)) < margin
