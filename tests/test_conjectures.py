"""Open statements of the paper as strict xfails that run a real check (issue #3 item 6).

Each conjecture is stated in the strongest form the paper suggests and checked numerically;
today each check fails for the reason given, so the test XFAILs.  If one ever passes (XPASS),
``xfail_strict`` turns the suite red: either the claim became demonstrable or an engine broke.
Next to each, a plain test checks the part that *is* a theorem, so the contrast is visible.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fsltheory import (
    CONJECTURE_BAND,
    LOCAL_SLOPE_BAND,
    WSD,
    Constant,
    Exponential,
    PowerLawModel,
    expected_risk,
    fsl_curve,
    local_slopes,
    max_stable_lr,
    ratio_spread,
)


# ------------------------------------------- (a) random-M vs top-M for s > 1 (Thm 4.6)
def _converged_risk_ratio(s: float, M: int, seed: int) -> float:
    """Exact final excess risk, random-M over top-M, both trained to their floor.

    ``sigma^2 = 0`` and a constant LR at half the stability bound, for ``30 / (eta lambda_min)``
    steps, so the slowest trained direction has decayed by ``e^-60``: what is left is the
    approximation floor plus the multiplicative-noise floor of each feature set.
    """
    top = PowerLawModel(beta=2.0, s=s, sigma2=0.0, M=M, N=4 * M)
    rnd = PowerLawModel(beta=2.0, s=s, sigma2=0.0, M=M, N=4 * M, features="random")
    W = rnd.random_projection(seed)
    eta_t, eta_r = 0.5 * max_stable_lr(top, 1), 0.5 * max_stable_lr(rnd, 1, W)
    lam_r = np.linalg.eigvalsh((W * rnd.eigenvalues(4 * M)) @ W.T).min()
    k_t, k_r = math.ceil(30 / (eta_t * M**-2.0)), math.ceil(30 / (eta_r * lam_r))
    risk_t = expected_risk(top, Constant(peak=eta_t), k_t, record=[k_t]).final
    risk_r = expected_risk(rnd, Constant(peak=eta_r), k_r, record=[k_r], W=W).final
    return risk_r / risk_t


WIDTHS = (8, 16, 32, 64)


@pytest.mark.conjecture
@pytest.mark.xfail(
    strict=True,
    reason=(
        "Open (Theorem 4.6 needs s <= 1; Section 7): for s > 1 the paper leaves open whether "
        "random-M features still obey the top-M FSL; 'top-M and random-M may diverge'. "
        "Claim checked: random-M exact risk = top-M exact risk up to an M-independent factor, "
        "at s = 2.  Fails: the ratio grows ~27x from M = 8 to 64 (random features cannot fit "
        "the fast-decaying target, floor ~ M^-beta instead of M^-(s beta))."
    ),
)
def test_random_features_track_top_features_for_s_above_1():
    ratios = [_converged_risk_ratio(2.0, M, seed=1) for M in WIDTHS]
    assert ratio_spread(ratios) <= CONJECTURE_BAND


def test_random_features_track_top_features_for_s_below_1():
    # the proved side (Theorem 4.6, s <= 1): the same ratio stays in the band (observed 1.9x)
    ratios = [_converged_risk_ratio(0.5, M, seed=1) for M in WIDTHS]
    assert ratio_spread(ratios) <= CONJECTURE_BAND


# ------------------------------------------------ (b) the FSL beyond t ~ M^beta (eq. 12)
#: s = 3 keeps the approximation floor M^{-s beta} ~ 4e-6 below the noise terms, so the
#: forgetting of the stable-phase noise is what the final risk measures
BEYOND = PowerLawModel(beta=2.0, s=3.0, sigma2=1.0, M=8, N=64)
HORIZONS = (10**4, 10**5, 10**6)  # intrinsic time T from ~5 M^beta to ~2500 M^beta


def _schedules(K: int):
    return {
        "exponential": Exponential(peak=0.3, final=0.3 / K),
        "wsd": WSD(peak=0.3, decay=0.5, final=0.3 / K, shape="exponential"),
    }


def _fsl_over_exact(name: str, kernel: str) -> list[float]:
    out = []
    for K in HORIZONS:
        sched = _schedules(K)[name]
        exact = expected_risk(BEYOND, sched, K, record=[K]).final
        out.append(fsl_curve(BEYOND, sched, K, kernel=kernel, record=[K]).final / exact)
    return out


@pytest.mark.conjecture
@pytest.mark.xfail(
    strict=True,
    reason=(
        "Open (Theorem 4.3, eq. 12; Section 7): for t >~ c M^beta only the two-sided bound "
        "M^-sb + F_M <~ E <~ M^-sb + F_oo holds, not an FSL.  Claim checked: the FSL with the "
        "infinite-width proxies still tracks the exact risk up to a constant beyond M^beta.  "
        "Fails: K_M forgets exponentially once t >> M^beta (Lemma D.10's integral is "
        "M e^{-2T/M^beta}/(4 beta T), see wsd_forgetting_bound) while the proxy K keeps a "
        "T^{1/beta}/T tail, so FSL/exact grows ~9x as T goes from 5 to 2500 M^beta."
    ),
)
@pytest.mark.parametrize("name", ["exponential", "wsd"])
def test_proxy_fsl_tracks_exact_risk_beyond_m_beta(name):
    assert ratio_spread(_fsl_over_exact(name, "proxy")) <= CONJECTURE_BAND


@pytest.mark.parametrize("name", ["exponential", "wsd"])
def test_finite_fsl_tracks_exact_risk_beyond_m_beta(name):
    # the proved side: with sigma >~ 1 the finite-M FSL holds for all t (Theorem 4.4), and
    # coef = 1 is twice the first Neumann order (the 1/2 of eq. 3): ratio ~2 throughout
    assert ratio_spread(_fsl_over_exact(name, "finite")) <= CONJECTURE_BAND


# ------------------------------- (c) Remark 4.11: task accumulation, non-exponential tasks
BETA, S, TASKS = 2.0, 1.5, 200_000
_j = np.arange(1, TASKS + 1, dtype=float)
_lam = _j**-BETA
_theta = _j ** (-(1 + S * BETA - BETA) / 2)  # lambda_j theta_j^2 = j^{-1-s beta}
#: three decades inside 1 << t << M^beta = 4e10
WINDOW = np.logspace(5, 8, 13)


def _local_slopes(loss) -> np.ndarray:
    return local_slopes(WINDOW, loss)


def _accumulated(per_task) -> np.ndarray:
    """``1/2 sum_j lambda_j theta_j^2 phi_j(t)`` over the window."""
    return np.array([0.5 * np.sum(_lam * _theta**2 * per_task(t)) for t in WINDOW])


def _logistic(t: float) -> np.ndarray:
    """Squared relative error of ``du/dt = 2 lambda u (theta - u)``, ``u(0) = 1e-12``.

    Sigmoidal single-task curves (a plateau, then a drop), as in incremental learning of
    diagonal networks: a non-exponential per-task curve from a simple nonlinear dynamics.
    """
    log_r = np.log(_theta / 1e-12 - 1)
    z = np.exp(np.minimum(log_r - 2 * _lam * _theta * t, 700.0))
    return (z / (1 + z)) ** 2


@pytest.mark.conjecture
@pytest.mark.xfail(
    strict=True,
    reason=(
        "Open (Remark 4.11): the power law comes from accumulating exponentially learned "
        "sub-tasks, and the authors anticipate the same when single-task curves are not "
        "exponential.  Claim checked in its FSL form: the accumulated loss still follows "
        "e(t) ~ t^-s.  Fails for sigmoidal (logistic) per-task curves: the sum IS a power "
        "law, but each task's time scale becomes 1/(lambda_j theta_j) instead of 1/lambda_j, "
        "so the exponent is 2 s beta/(1 + s beta + beta) = 1, not s = 1.5."
    ),
)
def test_non_exponential_tasks_accumulate_to_the_fsl_exponent():
    slopes = _local_slopes(_accumulated(_logistic))
    assert np.all(np.abs(slopes + S) <= LOCAL_SLOPE_BAND)


def test_non_exponential_tasks_weak_form_and_proved_part():
    # weak form: the logistic superposition is a clean power law, with the exponent of its
    # own time scales (log corrections from the plateau length stay within the band)
    slopes = _local_slopes(_accumulated(_logistic))
    assert np.all(np.abs(slopes + 2 * S * BETA / (1 + S * BETA + BETA)) <= LOCAL_SLOPE_BAND)
    # proved part: per-task curves phi(lambda_j t) with int u^{s-1} phi(u) du < oo give t^-s
    # for any phi (the Mellin argument of fsltheory.fsl.integrals)
    rational = _accumulated(lambda t: (1 + _lam * t) ** -(S + 2))
    assert np.all(np.abs(_local_slopes(rational) + S) <= LOCAL_SLOPE_BAND)
