"""One way to turn a user's ``rng`` argument into a ``numpy.random.Generator``."""

from __future__ import annotations

import numpy as np

__all__ = ["as_generator"]


def as_generator(rng=None) -> np.random.Generator:
    """Return a Generator from a Generator, an integer seed, a SeedSequence or ``None``.

    Passing the same integer twice gives bit-identical streams, which is what makes every
    seeded run in fsltheory reproducible.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, int | np.integer | np.random.SeedSequence):
        return np.random.default_rng(rng)
    raise ValueError(f"rng={rng!r} is invalid: expected a numpy Generator, an integer seed or None")
