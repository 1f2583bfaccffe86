"""Fuzzing the loss-curve readers, law loading, fitting and prediction (issue #11).

Malformed CSV and JSON files are written to ``tmp_path``; each call returns a valid result
or raises ``ValueError`` (``FileNotFoundError`` for a missing file), nothing else.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from fuzz_helpers import FUZZ, FUZZ_COSTLY
from hypothesis import given
from hypothesis import strategies as st
from strategies import JUNK, csv_texts, law_dicts


@FUZZ
@given(csv_texts())
def test_read_loss_csv(tmp_path_factory, text):
    from fsltheory import read_loss_csv

    f = tmp_path_factory.mktemp("c") / "curve.csv"
    f.write_text(text)
    try:
        c = read_loss_csv(f)
    except ValueError:
        return
    assert np.all(np.isfinite(c.loss)) and np.all(c.loss > 0)
    assert np.all(np.isfinite(c.lrs)) and c.step[-1] < c.lrs.size


MPL_NAMES = st.one_of(
    st.sampled_from(
        ["constant_24000", "cosine_24000", "wsd_20000_24000", "wsdcon_9", "wsdld_20000_24000"]
    ),
    st.tuples(
        st.sampled_from(["constant", "cosine", "wsd", "wsdld", "wsdcon", "bogus"]),
        st.lists(st.integers(0, 10**15), min_size=1, max_size=2),
    ).map(lambda t: "_".join([t[0], *map(str, t[1])])),
)


@FUZZ
@given(MPL_NAMES, csv_texts())
def test_read_mpl_curve(tmp_path_factory, name, text):
    from fsltheory import read_mpl_curve

    f = tmp_path_factory.mktemp("m") / f"{name}.csv"
    f.write_text(text)
    try:
        c = read_mpl_curve(f)
    except ValueError:
        return
    assert c.step.size > 0 and np.all(np.isfinite(c.loss))


def _dumps(d) -> str:
    try:
        return json.dumps(d)
    except (ValueError, OverflowError):
        return "{not json"


@FUZZ
@given(st.one_of(law_dicts(), JUNK, st.text(max_size=20)))
def test_load_law(tmp_path_factory, d):
    from fsltheory import load_law

    f = tmp_path_factory.mktemp("l") / "law.json"
    f.write_text(d if isinstance(d, str) else _dumps(d))
    try:
        law = load_law(f)
    except ValueError:
        return
    if law.params is not None:
        assert all(math.isfinite(v) for v in law.params.values())


@FUZZ_COSTLY
@given(
    st.sampled_from(["mpl", "momentum"]),
    st.integers(1, 12),
    st.floats(1e-5, 1e-2),
    st.one_of(st.none(), st.integers(0, 30)),
)
def test_fit_law_tiny(law_name, n, peak, min_step):
    from fsltheory import LossCurve
    from fsltheory.surrogate import LAWS, fit_law

    k = np.arange(n * 10)
    lrs = np.full(k.size, peak)
    step = k[:: max(1, k.size // n)]
    c = LossCurve(step=step, loss=3.0 + 1.0 / (1 + step) ** 0.3, lrs=lrs)
    try:
        res = fit_law(LAWS[law_name](), [c], starts=1, screen=2, rng=0, min_step=min_step)
    except ValueError:
        return
    assert res.n_points >= len(res.law.param_names)
    assert all(math.isfinite(v) for v in res.law.params.values())


@FUZZ
@given(
    st.sampled_from(["mpl", "fsl", "momentum"]),
    st.lists(st.one_of(st.floats(0, 1e-2), st.floats()), min_size=1, max_size=50),
)
def test_predict(law_name, lrs):
    from fsltheory import MPL_PUBLISHED_PARAMS
    from fsltheory.surrogate import LAWS

    law = LAWS[law_name]
    params = MPL_PUBLISHED_PARAMS[25] if law_name == "mpl" else np.full(len(law.param_names), 0.5)
    try:
        y = law(params).predict(np.asarray([float(x) for x in lrs]))
    except ValueError:
        return
    assert np.all(np.isfinite(y))


pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
