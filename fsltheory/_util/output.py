"""Writing files for users without overwriting what they wrote."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["prepare_output"]


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
