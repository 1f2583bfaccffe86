"""The 50-digit recursion (precision='mpmath') and the float64 engines' round-off (issue #2 item 4).

Acceptance: float64 vs mpmath at 50 digits within ``F64`` (1e-10) relative at ``M = 64``,
``K = 1e4`` (measured: <= 6e-16).  The fixed-point arithmetic of ``precision='mpmath'`` is in
turn checked against a plain mpmath ``mpf`` loop of reference §8.1 in its literal ``m_j``
form at a tiny size.
"""

import mpmath
import numpy as np
import pytest
from helpers import F64, MP

from fsltheory import WSD, Cosine, PowerLawModel, expected_risk


@pytest.mark.parametrize(
    "model, schedule, batch",
    [
        (PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=64), Cosine(peak=0.3, final=0.0), 1),
        (
            PowerLawModel(beta=4.0, s=1.0, sigma2=0.0, M=64, N=200),
            WSD(peak=0.5, decay=0.3, final=0.001, shape="exponential"),
            2,
        ),
    ],
    ids=["cosine-B1", "wsd-B2-sigma0"],
)
def test_float64_matches_50_digits(model, schedule, batch):
    steps = 10_000
    ref = expected_risk(model, schedule, steps, batch=batch, precision="mpmath", dps=50, record=100)
    assert ref.meta["dps"] == 50 and ref.meta["bits"] > 166  # 50 digits = 166 bits + guard
    for method in ("full", "compressed"):
        got = expected_risk(model, schedule, steps, batch=batch, method=method, record=100)
        np.testing.assert_array_equal(got.step, ref.step)
        np.testing.assert_allclose(got.excess_risk, ref.excess_risk, rtol=F64, atol=0)
    assert ref.excess_risk[-1] < 0.1 * ref.excess_risk[0]  # the risk really moved


def _mpf_reference(model, lrs, batch, dps):
    """Reference §8.1 verbatim in mpf arithmetic: m_j(k), j <= M, and the zeta tail."""
    with mpmath.workdps(dps):
        beta, s = mpmath.mpf(model.beta), mpmath.mpf(model.s)
        lam = [mpmath.mpf(j) ** -beta for j in range(1, model.M + 1)]
        m = [mpmath.mpf(j) ** (beta - 1 - s * beta) for j in range(1, model.M + 1)]
        tail = mpmath.zeta(1 + s * beta, model.M + 1)
        sigma2 = mpmath.mpf(model.sigma2)
        out = []
        for k in range(len(lrs) + 1):
            total = mpmath.fsum(a * b for a, b in zip(lam, m, strict=True)) + tail
            out.append(total / 2)
            if k == len(lrs):
                return out
            eta, B = mpmath.mpf(float(lrs[k])), int(batch[k])
            m = [
                (1 - eta * a) ** 2 * b + eta**2 / B * (a * (total + sigma2) + a**2 * b)
                for a, b in zip(lam, m, strict=True)
            ]


def test_fixed_point_matches_plain_mpmath():
    model = PowerLawModel(beta=1.5, s=0.7, sigma2=0.3, M=5)
    steps = 60
    lrs = Cosine(peak=0.4, final=0.0).lrs(steps)
    batch = np.array([1, 3] * (steps // 2))
    got = expected_risk(model, lrs, batch=batch, precision="mpmath", dps=50)
    want = _mpf_reference(model, lrs, batch, dps=60)
    with mpmath.workdps(50):
        worst = max(abs(g / w - 1) for g, w in zip(got.meta["excess_risk_mp"], want, strict=True))
    assert worst < MP(50)


def test_dps_controls_the_precision():
    model = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=8)
    sched = Cosine(peak=0.5, final=0.0)
    lo = expected_risk(model, sched, 200, precision="mpmath", dps=30, record=20)
    hi = expected_risk(model, sched, 200, precision="mpmath", dps=60, record=20)
    assert hi.meta["bits"] > lo.meta["bits"] + 90  # 30 more digits ~ 100 more bits
    with mpmath.workdps(60):
        worst = max(
            abs(a / b - 1)
            for a, b in zip(lo.meta["excess_risk_mp"], hi.meta["excess_risk_mp"], strict=True)
        )
    assert worst < MP(30)
