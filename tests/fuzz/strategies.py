"""Hypothesis strategies for the fuzz suite: valid, boundary and invalid inputs mixed."""

from __future__ import annotations

import math

from hypothesis import strategies as st

#: numbers a user (or a script bug) can pass: ordinary, boundary, tiny, huge, non-finite
NASTY_FLOATS = st.sampled_from(
    [0.0, -0.0, -1.0, 1.0, 1e-300, 5e-324, 1e300, 1.7e308, math.inf, -math.inf, math.nan]
)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(min_value=-10, max_value=10),
    NASTY_FLOATS,
    st.integers(min_value=-(10**400), max_value=10**400),
)
#: something that is not a number at all
JUNK = st.one_of(st.none(), st.text(max_size=4), st.lists(st.integers(), max_size=2), st.booleans())

FAMILIES = ["constant", "exponential", "wsd", "cosine", "linear", "power", "multistep", "cyclic"]
KEYS = ["peak", "final", "decay", "shape", "warmup", "p", "low", "period", "at", "factor", "x"]


def _value_text():
    return st.one_of(
        st.floats(min_value=1e-4, max_value=0.5).map(repr),
        NUMBERS.map(lambda x: repr(float(x)) if isinstance(x, float) else str(x)),
        st.sampled_from(["", "abc", "nan", "1:2", "0.8:0.9", "exponential", "cosine", "1e999"]),
        st.text(alphabet="0123456789.-e:,=", max_size=6),
    )


@st.composite
def specs(draw) -> str:
    """SPEC strings: well-formed with odd values, and mutated (keys, separators, junk)."""
    fam = draw(st.sampled_from([*FAMILIES, "file", "bogus", ""]))
    items = draw(st.lists(st.tuples(st.sampled_from(KEYS), _value_text()), min_size=0, max_size=4))
    body = ",".join(f"{k}={v}" for k, v in items)
    spec = f"{fam}:{body}" if body or draw(st.booleans()) else fam
    mutate = draw(st.integers(min_value=0, max_value=4))
    if mutate == 1:
        spec = spec.replace("=", "", 1)
    elif mutate == 2:
        spec = spec + "," + draw(st.text(max_size=5))
    elif mutate == 3:
        spec = spec.upper()
    return spec


def good_specs():
    """Well-formed specs with valid, smallish values (most of these must run)."""
    peak = st.floats(min_value=1e-4, max_value=0.6)
    return st.one_of(
        peak.map(lambda p: f"constant:peak={p!r}"),
        st.tuples(peak, st.floats(0.0, 1.0)).map(
            lambda t: f"cosine:peak={t[0]!r},final={t[0] * t[1]!r}"
        ),
        st.tuples(peak, st.floats(0.01, 0.9)).map(
            lambda t: f"wsd:peak={t[0]!r},decay={t[1]!r},final={t[0] / 100!r},shape=linear"
        ),
        peak.map(lambda p: f"exponential:peak={p!r},final={p / 10!r}"),
    )


def models():
    """Keyword arguments of PowerLawModel: valid ones and every kind of bad value."""
    return st.fixed_dictionaries(
        {
            "beta": st.one_of(st.floats(1.01, 6.0), NUMBERS, JUNK),
            "s": st.one_of(st.floats(0.05, 3.0), NUMBERS, JUNK),
            "sigma2": st.one_of(st.floats(0.0, 10.0), NUMBERS),
            "M": st.one_of(st.integers(1, 64), st.integers(-5, 10**30), NUMBERS),
            "N": st.one_of(st.none(), st.just(math.inf), st.integers(1, 128), NUMBERS),
        }
    )


def small_models():
    """Valid small models (what the engines must handle without error)."""
    return st.fixed_dictionaries(
        {
            "beta": st.floats(1.05, 5.0),
            "s": st.floats(0.05, 2.0),
            "sigma2": st.floats(0.0, 10.0),
            "M": st.integers(1, 64),
        }
    )
