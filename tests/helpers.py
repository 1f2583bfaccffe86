"""Named tolerance tiers and shared case lists (import from tests as ``from helpers import ...``)."""

from __future__ import annotations

import math

import mpmath

from fsltheory import (
    WSD,
    Constant,
    Cosine,
    Cyclic,
    Exponential,
    Linear,
    MultiStep,
    Power,
)

#: float64 arithmetic on well-conditioned sums of up to ~1e6 terms
F64 = 1e-10
#: closed form vs cumulative sum over long horizons (round-off grows like sqrt(K) eps)
F64_SUM = 1e-11
#: the compressed exact engine vs the full spectrum (issue #2 acceptance)
COMPRESSED = 1e-6


def MP(dps: int | None = None) -> float:
    """mpmath agreement at the working precision, with 5 digits of slack (mpmath's ``ae``)."""
    return 10.0 ** (-(dps if dps is not None else mpmath.mp.dps) + 5)


def MC(n: int, k: float = 4.0) -> float:
    """Number of standard errors allowed for a Monte-Carlo mean of ``n`` runs.

    ``k = 4`` sigma: with a few hundred logged steps, a 4-sigma excursion has probability
    ~6e-5 per step, so a correct engine fails a whole curve test well under 1% of the time.
    """
    del n
    return k


def rel_err(a, b) -> float:
    a, b = float(a), float(b)
    return abs(a - b) / max(abs(b), 1e-300)


#: one representative of every parametric family (peak 0.05), used across tests
ALL_SCHEDULES = [
    Constant(peak=0.05),
    Exponential(peak=0.05, final=0.0005),
    WSD(peak=0.05, decay=0.2, final=0.0005, shape="exponential"),
    WSD(peak=0.05, decay=0.3, final=0.0, shape="linear"),
    WSD(peak=0.05, decay=0.1, final=0.001, shape="cosine"),
    WSD(peak=0.05, decay=0.2, final=0.0, shape="1-sqrt"),
    Cosine(peak=0.05, final=0.005),
    Linear(peak=0.05, final=0.0),
    Power(peak=0.05, p=3.0),
    MultiStep(peak=0.05),
    Cyclic(peak=0.05, low=0.005, period=400),
    Cosine(peak=0.05, final=0.0, warmup=50),
]

__all__ = ["F64", "F64_SUM", "COMPRESSED", "MP", "MC", "rel_err", "ALL_SCHEDULES", "math"]
