"""Parameter checks shared by every public constructor.

Each check raises ``ValueError`` naming the parameter, the value received and the
valid range, so that a user can fix a call without reading the source.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "check_choice",
    "check_finite",
    "check_greater",
    "check_at_least",
    "check_in_interval",
    "check_int",
    "check_lr_array",
    "check_memory",
    "MAX_BYTES",
]

#: largest working array an entry point allocates before refusing the size (bytes): far
#: above any documented use, far below a MemoryError or the swap storm before one
MAX_BYTES = 8 * 2**30

#: most floating-point operations an entry point starts on (about a week of one core at a
#: few GFLOP/s): far above any documented use, far below a call that never returns
MAX_FLOPS = 1e15


def _fail(name: str, value, valid: str) -> None:
    raise ValueError(f"{name}={value!r} is invalid: expected {valid}")


def check_choice(name: str, value, choices):
    """Check that ``value`` is one of ``choices`` and return it.

    Parameters
    ----------
    name : str
        The parameter's name, as the caller spells it.
    value
        The value received.
    choices : sequence
        The valid values; the message lists them as given (a tuple reads ``('a', 'b')``).

    Raises
    ------
    ValueError
        ``"{name}={value!r} is invalid: expected one of {choices}"``.
    """
    try:
        ok = value in choices
    except TypeError:  # an unhashable value tested against a set or dict
        ok = False
    if not ok:
        _fail(name, value, f"one of {tuple(choices)!r}")
    return value


def check_finite(name: str, value) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        _fail(name, value, "a real number")
    except OverflowError:  # an int or Fraction beyond float64 (~1.8e308)
        _fail(name, value, "a finite real number (|x| < 1.8e308)")
    if not math.isfinite(x):
        _fail(name, value, "a finite real number")
    return x


def check_greater(name: str, value, bound: float) -> float:
    x = check_finite(name, value)
    if not x > bound:
        _fail(name, value, f"{name} > {bound:g}")
    return x


def check_at_least(name: str, value, bound: float) -> float:
    x = check_finite(name, value)
    if not x >= bound:
        _fail(name, value, f"{name} >= {bound:g}")
    return x


def check_in_interval(name: str, value, lo: float, hi: float, *, closed: str = "both") -> float:
    """Check ``lo <= value <= hi``; ``closed`` is 'both', 'left', 'right' or 'neither'."""
    x = check_finite(name, value)
    left = x >= lo if closed in ("both", "left") else x > lo
    right = x <= hi if closed in ("both", "right") else x < hi
    if not (left and right):
        lb = "[" if closed in ("both", "left") else "("
        rb = "]" if closed in ("both", "right") else ")"
        _fail(name, value, f"{name} in {lb}{lo:g}, {hi:g}{rb}")
    return x


def check_int(name: str, value, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            _fail(name, value, f"an integer >= {minimum}")
    if value < minimum:
        _fail(name, value, f"an integer >= {minimum}")
    return int(value)


def check_lr_array(name: str, values) -> np.ndarray:
    """A 1-d float64 array of finite, non-negative learning rates."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        _fail(name, f"array of shape {arr.shape}", "a non-empty 1-d array")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name}[{k}]={float(arr[k])!r} is invalid: learning rates must be finite and >= 0"
        )
    return arr


def check_work(name: str, value, flops: float, limit: float = MAX_FLOPS) -> None:
    """Refuse a size whose computation would take more than ``limit`` operations.

    Raises ``ValueError`` naming the parameter, its value and the estimated work, instead
    of a call that runs for weeks (a fuzzer's ``runs=1e30``, a misplaced exponent).
    """
    if not flops <= limit:
        raise ValueError(
            f"{name}={value!r} is invalid: it needs about {flops:.3g} floating-point operations "
            f"(the limit is {limit:.3g}, about a week of one core); expected a smaller {name}"
        )


def check_memory(name: str, value, n_bytes: float, limit: float = MAX_BYTES) -> None:
    """Refuse a size whose working arrays would need more than ``limit`` bytes.

    Raises ``ValueError`` naming the parameter, its value and the estimated memory, instead
    of a ``MemoryError`` (or minutes of swapping) from deep inside an engine.
    """
    if not n_bytes <= limit:
        raise ValueError(
            f"{name}={value!r} is invalid: it needs about {n_bytes / 2**30:.3g} GiB of working "
            f"memory (the limit is {limit / 2**30:.3g} GiB); expected a smaller {name}"
        )
