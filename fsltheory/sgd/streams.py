"""Random streams of the Monte-Carlo simulator: one independent stream per run.

A simulation is defined by one integer *seed*.  Run ``r`` draws its Gaussian features and
noise from its own xoshiro256++ state (:mod:`.normal`), seeded by
``SeedSequence(seed, spawn_key=(1, r))``; a random projection ``W`` (random-M features,
when not given) comes from a numpy PCG64 generator on ``spawn_key=(0,)``.  Consequences,
all tested:

* the result does not depend on how runs are grouped (``chunk``) or on threads;
* run ``r`` of a simulation with ``runs = R`` is the same sample path for every ``R > r``;
* the float64 and mpmath paths see exactly the same draws.
"""

from __future__ import annotations

import numpy as np

from fsltheory._util.rng import as_generator
from fsltheory.sgd.normal import seed_state

__all__ = ["root_seed", "run_state", "projection_generator"]

#: tags in the spawn key that keep the projection stream apart from the run streams
_PROJECTION, _RUNS = 0, 1


def root_seed(rng) -> int:
    """The integer that defines a simulation.

    An integer ``rng`` (``>= 0``) is used as is; otherwise (a Generator, a SeedSequence or
    ``None``) a 63-bit seed is drawn from ``as_generator(rng)``.  Passing the returned seed
    back as ``rng`` reproduces the simulation bit for bit.
    """
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng={rng!r} is invalid: expected a seed >= 0")
        return int(rng)
    gen = as_generator(rng)
    return int(gen.integers(0, 2**63, dtype=np.int64))


def run_state(seed: int, run: int) -> np.ndarray:
    """The xoshiro256++ state (4 x uint64) that run ``run`` starts from."""
    return seed_state(np.random.SeedSequence(seed, spawn_key=(_RUNS, int(run))))


def projection_generator(seed: int) -> np.random.Generator:
    """The generator used to draw ``W`` for random-M features when none is given."""
    ss = np.random.SeedSequence(seed, spawn_key=(_PROJECTION,))
    return np.random.Generator(np.random.PCG64(ss))
