"""Turning a user's ``rng`` argument into a seed or a ``numpy.random.Generator``.

Every seeded engine is defined by one integer *seed* (:func:`root_seed`); independent
streams are spawned from it by tag, so that, e.g., the random-feature matrix ``W`` drawn
by the exact engine and by the simulator for the same seed is the same matrix
(:func:`projection_generator`, used by :meth:`fsltheory.PowerLawModel.seeded_projection`).
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

__all__ = ["as_generator", "root_seed", "projection_generator", "RNGLike", "PROJECTION", "RUNS"]

#: what every ``rng`` argument accepts
RNGLike: TypeAlias = np.random.Generator | np.random.SeedSequence | int | np.integer | None

#: tags in the spawn key that keep the projection stream apart from the simulator's runs
PROJECTION, RUNS = 0, 1


def as_generator(rng: RNGLike = None) -> np.random.Generator:
    """Return a Generator from a Generator, an integer seed, a SeedSequence or ``None``.

    Passing the same integer twice gives bit-identical streams, which is what makes every
    seeded run in fsltheory reproducible.

    Examples
    --------
    >>> a, b = as_generator(3), as_generator(3)
    >>> bool(a.random() == b.random())
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, int | np.integer | np.random.SeedSequence):
        return np.random.default_rng(rng)
    raise ValueError(f"rng={rng!r} is invalid: expected a numpy Generator, an integer seed or None")


def root_seed(rng: RNGLike) -> int:
    """The integer that defines a seeded run.

    An integer ``rng`` (``>= 0``) is used as is; otherwise (a Generator, a SeedSequence or
    ``None``) a 63-bit seed is drawn from ``as_generator(rng)``.  Passing the returned seed
    back as ``rng`` reproduces the run bit for bit.

    Examples
    --------
    >>> root_seed(7)
    7
    """
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng={rng!r} is invalid: expected a seed >= 0")
        return int(rng)
    gen = as_generator(rng)
    return int(gen.integers(0, 2**63, dtype=np.int64))


def projection_generator(seed: int) -> np.random.Generator:
    """The generator that draws ``W`` (random-M features) for ``seed`` when none is given."""
    ss = np.random.SeedSequence(seed, spawn_key=(PROJECTION,))
    return np.random.Generator(np.random.PCG64(ss))
