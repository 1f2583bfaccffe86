"""Exception types shared by the engines."""

from __future__ import annotations

__all__ = ["DivergenceError"]


class DivergenceError(FloatingPointError, ValueError):
    """A run overflowed; raised with the step index instead of returning inf/nan.

    The base of :class:`fsltheory.ExactDivergenceError` and
    :class:`fsltheory.SGDDivergenceError`, so that one ``except DivergenceError`` catches
    either engine.  It is a ``ValueError`` because the cause is an input (a learning rate
    too large for stability), which the command line reports as bad input.
    """
