"""Fuzz-suite set-up (profiles and helpers live in fuzz_helpers.py).

``FSL_FUZZ_EXAMPLES`` (default 1000) sets the examples per entry point, e.g.
``FSL_FUZZ_EXAMPLES=10000 python -m pytest tests/fuzz -n 0`` for the long run.
"""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _strict_floats():
    """Users run with numpy's default error state, so the fuzz suite does too (overriding the
    root conftest's raise-on-overflow): what must hold is the result, finite or refused."""
    with np.errstate(all="ignore"):
        yield
