"""Random streams of the Monte-Carlo simulator: one independent stream per run.

A simulation is defined by one integer *seed* (:func:`fsltheory._util.rng.root_seed`).
Run ``r`` draws its Gaussian features and noise from its own xoshiro256++ state
(:mod:`.normal`), seeded by ``SeedSequence(seed, spawn_key=(1, r))``; a random projection
``W`` (random-M features, when not given) comes from
:meth:`fsltheory.PowerLawModel.seeded_projection` (a PCG64 generator on
``spawn_key=(0,)``, the same matrix the exact engine uses for that seed).  Consequences,
all tested:

* the result does not depend on how runs are grouped (``chunk``) or on threads;
* run ``r`` of a simulation with ``runs = R`` is the same sample path for every ``R > r``;
* the float64 and mpmath paths see exactly the same draws.
"""

from __future__ import annotations

import numpy as np

from fsltheory._util.rng import RUNS, projection_generator, root_seed
from fsltheory.sgd.normal import seed_state

__all__ = ["root_seed", "run_state", "projection_generator"]


def run_state(seed: int, run: int) -> np.ndarray:
    """The xoshiro256++ state (4 x uint64) that run ``run`` starts from."""
    return seed_state(np.random.SeedSequence(seed, spawn_key=(RUNS, int(run))))
