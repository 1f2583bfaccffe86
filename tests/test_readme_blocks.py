"""Every fenced ``bash`` / ``python`` block of README.md runs as written (issue #11).

Each block runs in a fresh temporary folder with ``fsl`` and ``import fsltheory`` resolving to
this checkout; a bash block runs under ``set -e`` so every command's exit status counts.
The two set-up ``pip install`` commands are skipped (the suite runs on an installed copy);
a block after a ``<!-- slow -->`` marker (more than ~20 s) runs only under ``-m slow``, and
so does the lint block, which runs at the repository root (it checks the repository).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"(<!--\s*slow\s*-->\s*\n)?```(bash|python)\n(.*?)```", re.S)


def _blocks() -> list:
    params = []
    for i, m in enumerate(FENCE.finditer((ROOT / "README.md").read_text())):
        slow, lang, code = bool(m.group(1)), m.group(2), m.group(3)
        if lang == "bash" and "pip install" in code:
            continue  # set-up: the suite already runs on an installed copy
        lint = lang == "bash" and "mypy" in code
        marks = [pytest.mark.slow] if (slow or lint) else []
        line = code.strip().splitlines()[0][:40]
        params.append(pytest.param(lang, code, lint, id=f"{i}-{lang}-{line}", marks=marks))
    return params


def test_readme_has_blocks():
    assert len(_blocks()) >= 4


@pytest.mark.parametrize("lang,code,lint", _blocks())
def test_readme_block_runs(lang, code, lint, tmp_path):
    bin_dir = tmp_path / "_bin"
    bin_dir.mkdir()
    shim = bin_dir / "fsl"  # `fsl` as installed, but from this checkout
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m fsltheory "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["MPLBACKEND"] = "Agg"
    work = ROOT if lint else tmp_path / "work"
    work.mkdir(exist_ok=True)
    if lang == "bash":
        cmd = ["bash", "-e", "-o", "pipefail", "-c", code]
    else:
        cmd = [sys.executable, "-c", code]
    res = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
