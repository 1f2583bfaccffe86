"""Fuzz-suite set-up (profiles and helpers live in fuzz_helpers.py).

``FSL_FUZZ_EXAMPLES`` (default 1000) sets the examples per entry point; the slow run of
``.ci/run`` sets it (and ``FSL_FUZZ_COSTLY_EXAMPLES``) to 10,000 and selects this suite
with ``-m "slow or fuzz"``.
"""

from pathlib import Path

import numpy as np
import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    """Every test under ``tests/fuzz`` carries the ``fuzz`` marker (hooks of a conftest see
    the whole session's items, hence the path test)."""
    for item in items:
        if _HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.fuzz)


@pytest.fixture(autouse=True)
def _strict_floats():
    """Users run with numpy's default error state, so the fuzz suite does too (overriding the
    root conftest's raise-on-overflow): what must hold is the result, finite or refused."""
    with np.errstate(all="ignore"):
        yield
