"""Writing files for users without overwriting what they wrote."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

__all__ = ["prepare_output", "prepare_figure", "strict_json", "plain_float"]


def prepare_output(path, *, force: bool = False) -> Path:
    """Return ``path`` ready to be written, refusing to clobber an existing file.

    An existing file is replaced only with ``force=True`` or after the user says yes at an
    interactive prompt; otherwise ``FileExistsError`` explains how to proceed.  Parent
    folders are created.
    """
    path = Path(path)
    if path.is_dir():
        # --force replaces files, never folders: say so instead of an IsADirectoryError
        raise ValueError(f"{path} is invalid: it is a folder; expected a file name")
    if any(p.exists() and not p.is_dir() for p in path.parents):
        bad = next(p for p in path.parents if p.exists() and not p.is_dir())
        raise ValueError(f"{path} is invalid: {bad} is a file, not a folder")
    if path.exists() and not force:
        if sys.stdin is not None and sys.stdin.isatty():
            answer = input(f"{path} exists. Overwrite? [y/N] ").strip().lower()
            if answer in ("y", "yes"):
                return path
        raise FileExistsError(
            f"{path} exists; refusing to overwrite it (pass --force to replace it)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def prepare_figure(path, *, force: bool = False, name: str = "out") -> Path:
    """:func:`prepare_output` for a figure: the suffix must name a format matplotlib writes.

    Called before the work that draws the figure, so that ``p.txt`` is refused at once, in
    the one-line form, instead of by matplotlib after the run.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in formats:
        raise ValueError(
            f"{name}={str(path)!r} is invalid: expected a figure file ending in one of "
            + ", ".join("." + f for f in sorted(formats))
        )
    return prepare_output(path, force=force)


def _finite_or_null(obj, where: str, nulls: list[str]):
    """``obj`` with numpy scalars made plain and non-finite floats made ``None``."""
    if isinstance(obj, dict):
        return {
            k: _finite_or_null(v, f"{where}.{k}" if where else str(k), nulls)
            for k, v in obj.items()
        }
    if isinstance(obj, list | tuple):
        return [_finite_or_null(v, f"{where}[{i}]", nulls) for i, v in enumerate(obj)]
    if hasattr(obj, "tolist") and not isinstance(obj, str):  # numpy scalars and arrays
        return _finite_or_null(obj.tolist(), where, nulls)
    if isinstance(obj, float) and not math.isfinite(obj):
        nulls.append(where)
        return None
    return obj


def strict_json(obj, *, reason: str = "not finite", **kw) -> str:
    """JSON that every parser reads: ``NaN``/``Infinity`` (not JSON) become ``null``.

    Each replaced value is listed, with ``reason``, under a top-level ``"nulls"`` key (for a
    dict) so that a ``null`` is never mistaken for a missing value.  ``allow_nan=False``
    makes any non-finite float left over an error rather than invalid output.
    """
    nulls: list[str] = []
    clean = _finite_or_null(obj, "", nulls)
    if nulls and isinstance(clean, dict):
        clean["nulls"] = {path: reason for path in nulls}
    return json.dumps(clean, allow_nan=False, **kw)


def plain_float(x) -> str:
    """An accumulated float for a CSV cell: the shortest of 15-17 significant digits that
    stays within two units in the last place of ``x``.

    Running sums such as ``0.1 + 0.2`` carry round-off in their last bit
    (``0.30000000000000004``); 15 digits write the intended ``0.3``, which differs from ``x``
    by less than the round-off already in it.  Values that need 16 or 17 digits keep them.
    Measured or optimised values are written with ``repr`` instead (an exact round trip).

    >>> plain_float(0.1 + 0.2), plain_float(1 / 3), plain_float(float("nan"))
    ('0.3', '0.3333333333333333', 'nan')
    """
    x = float(x)
    if not math.isfinite(x):
        return repr(x)
    ulp = math.ulp(x)
    for digits in (15, 16):
        text = format(x, f".{digits}g")
        if abs(float(text) - x) <= 2 * ulp:
            return text
    return repr(x)
