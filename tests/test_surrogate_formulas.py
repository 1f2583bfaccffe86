"""Every decrement-sum law's prediction and fit-path evaluation against its formula summed
directly, O(K^2).

The laws evaluate their sums by the Laplace-mixture recursion (``_decrement_sums``) on a
rate grid that does not know the parameters; here each law's printed formula is written
out term by term in numpy, for schedules and parameters drawn across the whole fit box
(the box's corners are where the grid's ends matter: a tiny ``c`` puts the grid's start
inside the mixing density, a huge one its end).
"""

import math

import numpy as np
import pytest
from helpers import SURR_FAST
from hypothesis import given, settings
from hypothesis import strategies as st

from fsltheory import FSLFastLaw, FSLLaw, FSLLRLaw, MultiPowerLaw

LAWS = {
    "fsl (xi=end, clip)": FSLLaw(),
    "fsl (xi=end, unclipped)": FSLLaw(clip=False),
    "fsl (xi=start, clip)": FSLLaw(xi="start"),
    "fsl-lr": FSLLRLaw(),
    "fsl-fast": FSLFastLaw(),
    "mpl": MultiPowerLaw(),
    "mpl (clip)": MultiPowerLaw(clip=True),
}


def _schedule(kind, peak, floor, warmup, K=400):
    x = np.arange(K) / K
    lo = peak * floor
    body = {
        "cosine": lo + 0.5 * (peak - lo) * (1 + np.cos(np.pi * x)),
        "linear": peak + (lo - peak) * x,
        "wsd": np.where(x < 0.7, peak, peak + (lo - peak) * (x - 0.7) / 0.3),
        "steps": peak * np.where(x < 0.5, 1.0, np.where(x < 0.8, 0.3, floor)),
    }[kind]
    return np.r_[np.linspace(peak / warmup, peak, warmup), body] if warmup else body


def _direct(law, eta, obs):
    """The law's formula, each sum over decrements written out (no recursion, no grid)."""
    th = law.params
    S = np.cumsum(eta)
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    if law.options["clip"]:
        d = np.maximum(d, 0.0)
    out, scale = np.empty(obs.size), np.empty(obs.size)
    for i, t in enumerate(obs):
        if law.name == "mpl":
            # L0 + A S1^-alpha - B sum_{k<=t} d_k (1 - (1 + C eta_k^-gamma S_k(t))^-beta)
            k = np.arange(1, t + 1)
            x = th["C"] * eta[k] ** -th["gamma"] * (S[t] - S[k - 1])
            drop = np.sum(d[k] * (1.0 - (1.0 + x) ** -th["beta"]))
            out[i] = th["L0"] + th["A"] * S[t] ** -th["alpha"] - th["B"] * drop
            scale[i] = th["B"] * np.abs(d[k]).sum()
            continue
        # FSL, eq. 30 (paper §6.2), k < t: L0 + c1 T^-s - c2 sum_k d_k w_k (1 - (1 + c4 x_k)^-gamma)
        k = np.arange(1, t)
        clock = th["c4"] * (eta[k] ** -th["zeta"] if law.options["zeta"] else 1.0)
        kernel = 1.0 - (1.0 + clock * (S[t] - S[k])) ** -th["gamma"]
        pw = S[t] ** -th["s"]
        if law.options["xi"] == "end":
            weight = np.full(k.size, th["c3"] + pw)
        else:
            weight = th["c3"] + S[k] ** -th["s"]
        out[i] = th["L0"] + th["c1"] * pw - th["c2"] * np.sum(d[k] * weight * kernel)
        scale[i] = th["c2"] * np.sum(np.abs(d[k]) * weight)
        if law.name == "fsl-fast":
            # eq. 6: c5 d_k + c6 [eta (1 + log(m_k / eta))] from eta_k to eta_{k-1}, of
            # which the share 1 - exp(-kappa (T(t) - T(k))) has arrived
            for j in k:
                m = eta[: j + 1].max()
                step = eta[j - 1] * (1 + math.log(m / eta[j - 1])) - eta[j] * (
                    1 + math.log(m / eta[j])
                )
                share = 1.0 - math.exp(-th["kappa"] * (S[t] - S[j]))
                out[i] -= (th["c5"] * d[j] + th["c6"] * step) * share
    return out, scale


@st.composite
def _params(draw, law):
    """A point of the law's fit box, log-uniform along its log-transformed coordinates."""
    lo, hi = law.default_bounds([_Stub()])
    vals = []
    for a, b, tr in zip(lo, hi, law.transforms, strict=True):
        if tr == "log":
            vals.append(math.exp(draw(st.floats(math.log(a), math.log(b)))))
        else:
            vals.append(draw(st.floats(a, b)))
    return dict(zip(law.param_names, vals, strict=True))


class _Stub:
    """What ``default_bounds`` reads of the training curves: the smallest loss."""

    loss = np.array([3.0])


@pytest.mark.parametrize("name", list(LAWS))
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    data=st.data(),
    kind=st.sampled_from(["cosine", "linear", "wsd", "steps"]),
    peak=st.floats(1e-4, 1e-2),
    floor=st.floats(1e-3, 0.5),
    warmup=st.sampled_from([0, 40]),
)
def test_prediction_is_the_formula_summed_directly(name, data, kind, peak, floor, warmup):
    law = LAWS[name]
    eta = _schedule(kind, peak, floor, warmup)
    obs = np.r_[np.arange(45, eta.size, 23), eta.size - 1]
    fitted = law.with_params(data.draw(_params(law)))
    direct, scale = _direct(fitted, eta, obs)
    # the recursion's error is the mixture's, <= SURR_FAST of each term's size (each kernel
    # term is at most 1), so of the sum of |amplitude x weight| the law multiplies it by
    fast = fitted.predict(eta, at=obs)
    assert np.all(np.abs(fast - direct) <= SURR_FAST * scale + 1e-13 * np.abs(direct))
    # the fit's path (a grid for every power, cached sums, Chebyshev expansions) too
    fit = fitted._evaluate(fitted._prepare(eta, obs, for_fit=True), fitted.theta)[0]
    assert np.all(np.abs(fit - direct) <= SURR_FAST * scale + 1e-13 * np.abs(direct))
