"""The shared parameter checks of :mod:`fsltheory._util.validate`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fsltheory._util.validate import check_choice

PKG = Path(__file__).resolve().parents[1] / "fsltheory"
#: the validator itself, and the two engines whose argument conventions are being reworked
#: in a parallel change of issue #10 (they move to check_choice there)
_ELSEWHERE = {"_util/validate.py"}


def test_check_choice_returns_a_valid_value():
    assert check_choice("kernel", "proxy", ("proxy", "finite")) == "proxy"


@pytest.mark.parametrize("value", ["exact", ["proxy"], None])
def test_check_choice_names_the_parameter_the_value_and_the_choices(value):
    with pytest.raises(ValueError) as err:
        check_choice("kernel", value, ("proxy", "finite"))
    assert str(err.value) == f"kernel={value!r} is invalid: expected one of ('proxy', 'finite')"


def test_no_module_writes_its_own_choice_check():
    """Every "expected one of" message comes from :func:`check_choice` (issue #10)."""
    own = []
    for path in PKG.rglob("*.py"):
        if path.relative_to(PKG).as_posix() in _ELSEWHERE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr) and "is invalid: expected one of" in ast.unparse(
                node
            ):
                own.append(f"{path.relative_to(PKG)}:{node.lineno}")
    assert own == []
