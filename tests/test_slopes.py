"""Derived scaling exponents vs log-log slopes measured on the exact engine (issue #3 item 5).

For each (s, beta) point and schedule family the hyper-parameters are tuned numerically at
every budget (peak LR below the theory cap, WSD's decay fraction, and M for compute budgets,
see :mod:`fsltheory.measure`), the optimal final risks are fitted on a log-log scale with the
*derived* log factor divided out, and the slope is compared with the *derived* power, both
read from the schedule object (``derive_scaling``).  The simulator-like engine and the
symbolic engine never import each other; only this test joins them.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SLOPE_RESOLUTION

from fsltheory import SLOPE_BAND, WSD, Constant, Exponential, compare_scaling

#: (s, beta): two hard points (s < 1 - 1/beta) and two easy ones
POINTS = [(0.5, 4.0), (0.3, 2.0), (1.0, 2.0), (0.8, 3.0)]
FAMILIES = {
    "constant": Constant(peak=0.1),
    "exponential": Exponential(peak=0.1, final=0.01),  # final is reset to peak/K (b = a/K)
    "wsd": WSD(peak=0.1, final=0.001, shape="exponential"),
}
#: three decades, half-decade spacing, so the lower and upper halves each span 1.5 decades
BUDGETS = {
    "data": np.geomspace(1e3, 1e6, 7),
    "compute": np.geomspace(1e4, 1e7, 7),
}


#: Cases whose slope error is not expected to shrink within three decades.  WSD in the hard
#: regime at (0.5, 4): the tuned r falls only like D^(-1/7) (the balance of the (1 - r)
#: loss of intrinsic time against the decay-phase noise, r^(2 - 1/beta) ~ D^(s - 1 + 1/beta)),
#: so its O(s r) correction to the loss decays too slowly to be seen between 1e3 and 1e6.
#: The paper's bound r >~ D^(-1/3) log D is the smallest admissible r, not the optimum.
#: WSD in the easy regime with compute budgets at (1, 2): the loss carries (log C)^(1/4) and
#: the tuned M, D and r all carry log factors of their own (reference §3.5), so the remaining
#: error is a 1/log C effect (0.018 at both ends of 1e4..1e7).
SLOW_CONVERGENCE = {
    ("wsd", 0.5, 4.0, "data"),
    ("wsd", 0.5, 4.0, "compute"),
    ("wsd", 1.0, 2.0, "compute"),
}


def measured(family: str, s: float, beta: float, budget: str):
    row = compare_scaling(beta, s, {family: FAMILIES[family]}, budget, BUDGETS[budget])[family]
    return row.derived, row.measured


CASES = [(f, s, b, budget) for budget in ("data", "compute") for (s, b) in POINTS for f in FAMILIES]


@pytest.mark.slow
@pytest.mark.parametrize("family, s, beta, budget", CASES)
def test_measured_scaling_matches_derivation(family, s, beta, budget):
    theory, m = measured(family, s, beta, budget)
    predicted = float(theory.loss.power)
    hard = s < 1 - 1 / beta

    # 1. the loss exponent, with the derived log factor divided out
    assert abs(m.slope - predicted) < SLOPE_BAND, (m.slope, predicted)

    # 2. the error shrinks from the lower to the upper half of the sweep
    lower, upper = abs(m.lower_slope - predicted), abs(m.upper_slope - predicted)
    if (family, s, beta, budget) in SLOW_CONVERGENCE:
        assert max(lower, upper) < SLOPE_BAND  # see SLOW_CONVERGENCE for why it cannot shrink
    else:
        assert upper < max(lower, SLOPE_RESOLUTION[budget]), (lower, upper)

    if budget != "data":
        return
    # 3. the tuned hyper-parameters follow the derived ones
    if family == "constant":
        # gamma_opt ~ D^(-s/(s+1)) (Theorem D.2) in both regimes: the cap never binds
        assert abs(m.slope_of("peak") - float(theory.lr.power)) < SLOPE_BAND
    elif hard:
        # gamma_opt ~ 1 (Theorems D.8, D.12): the cap binds at every D
        assert theory.lr.power == 0 and theory.lr.log == 0
        assert np.ptp(np.log([p.peak for p in m.points])) < 0.05
    if family == "wsd" and hard:
        # Theorem D.12: every r between ~D^((s beta + 1 - beta)/(beta - 1)) log D and 1 is
        # optimal ('ge'); the tuned r may fall no faster than that lower end, and not grow
        r = theory.decay_fraction
        assert r.relation == "ge"
        assert float(r.power) - SLOPE_BAND < m.slope_of("decay") < SLOPE_BAND
