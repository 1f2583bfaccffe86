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


CELL = st.one_of(
    st.integers(-5, 300).map(str),
    st.floats(1e-5, 10.0).map(repr),
    NUMBERS.map(lambda x: repr(float(x)) if isinstance(x, float) else str(x)),
    st.sampled_from(["", "nan", "inf", "-inf", "abc", "1e999", " 3 ", "0x10"]),
)
HEADER = st.sampled_from(
    ["step,lr,loss", "step,loss,lr", "step,loss", "lr,loss", "step,lr,loss,extra", "", "a,b,c"]
)


@st.composite
def csv_texts(draw) -> str:
    header = draw(HEADER)
    if draw(st.booleans()):  # a mostly valid curve, then maybe a mutated row
        n = draw(st.integers(1, 12))
        steps = sorted(draw(st.sets(st.integers(0, 400), min_size=n, max_size=n)))
        rows = [f"{k},{1e-3!r},{4.0 / (1 + k) ** 0.1!r}" for k in steps]
        if draw(st.booleans()) and rows:
            i = draw(st.integers(0, len(rows) - 1))
            rows[i] = ",".join(draw(st.lists(CELL, min_size=0, max_size=4)))
        header = "step,lr,loss"
    else:
        rows = [
            ",".join(draw(st.lists(CELL, min_size=0, max_size=4)))
            for _ in range(draw(st.integers(0, 6)))
        ]
    return "\n".join([header, *rows]) + "\n"


PARAM = st.one_of(st.floats(0.01, 3.0), NUMBERS, JUNK)


@st.composite
def law_dicts(draw):
    from fsltheory.surrogate.law import LAWS

    name = draw(st.sampled_from([*LAWS, "bogus"]))
    names = LAWS[name].param_names if name in LAWS else ("a",)
    params = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries({n: PARAM for n in names}),
            st.dictionaries(st.sampled_from([*names, "zz"]), PARAM, max_size=len(names)),
            st.lists(PARAM, max_size=len(names) + 1),
            JUNK,
        )
    )
    d = {"law": name, "params": params}
    if draw(st.booleans()):
        d["options"] = draw(
            st.one_of(
                st.dictionaries(st.sampled_from(["clip", "xi", "zeta", "q"]), JUNK, max_size=2),
                JUNK,
            )
        )
    if draw(st.booleans()):
        d["fit"] = draw(st.one_of(st.dictionaries(st.text(max_size=3), JUNK, max_size=2), JUNK))
    return d
