"""The exact expected-risk engine for Gaussian features (reference §8.1).

Public names (re-exported by :mod:`fsltheory`): :func:`expected_risk`, :func:`max_stable_lr`.
"""

from fsltheory.exact.engine import ExactDivergenceError, expected_risk
from fsltheory.exact.stability import max_stable_lr

__all__ = ["expected_risk", "max_stable_lr", "ExactDivergenceError"]
