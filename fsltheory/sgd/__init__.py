"""Monte-Carlo one-pass SGD simulator (issue #2 item 5): see :func:`simulate_sgd`.

Modules: :mod:`.simulate` (API, validation, run orchestration), :mod:`.kernels` (numba
inner loops), :mod:`.precise` (mpmath replay of the same draws), :mod:`.streams` (seeds).
"""

from fsltheory.sgd.simulate import SGDDivergenceError, simulate_sgd

__all__ = ["SGDDivergenceError", "simulate_sgd"]
