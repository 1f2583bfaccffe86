"""The README is part of the interface: its architecture table names every module by its path
under ``fsltheory/`` (a package's ``__init__.py`` is named by its folder)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> list[str]:
    out = []
    for p in sorted((ROOT / "fsltheory").rglob("*.py")):
        rel = p.relative_to(ROOT / "fsltheory").as_posix()
        if rel.endswith("__init__.py") and rel != "__init__.py":
            continue  # a package's __init__ is named by its folder
        out.append(rel)
    return out


def _table() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Architecture")
    end = text.index("\n## ", start + 1)
    return "\n".join(line for line in text[start:end].splitlines() if line.startswith("|"))


def test_architecture_table_lists_every_module():
    table = _table()
    named = set(re.findall(r"`([\w/]+\.py)`", table))
    missing = [m for m in _modules() if m not in named]
    assert missing == [], f"README's architecture table does not name {missing}"


def test_architecture_table_names_only_existing_modules():
    """A module renamed or removed must leave the table too."""
    table = _table()
    files = {
        p.relative_to(ROOT / "fsltheory").as_posix() for p in (ROOT / "fsltheory").rglob("*.py")
    }
    stale = [n for n in re.findall(r"`([\w/]+\.py)`", table) if n not in files]
    assert stale == []
