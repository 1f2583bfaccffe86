"""LaTeX export (issue #3 item 7): structure of the document, golden formulas, no clobbering.

The document is checked by parsing (every ``\\input`` resolves, braces and environments
balance, a few formulas match golden strings) and, where ``pdflatex`` exists (CI installs
it), compiled: no errors and no overfull box beyond a small tolerance.
"""

import re
import shutil
import subprocess

import pytest
import sympy as sp

from fsltheory import Constant, derive_scaling, export_latex
from fsltheory.schedules.registry import schedule_from_spec
from fsltheory.symbolic.latex import (
    objective_to_latex,
    scaling_table_latex,
)
from fsltheory.symbolic.results import Exponent, result_to_latex

D = sp.Symbol("D", positive=True)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("latex")
    return out, export_latex(out)


def _resolve(path, root) -> str:
    """The document with every ``\\input{x}`` replaced by ``root/x.tex`` (must exist)."""
    text = path.read_text()

    def sub(m):
        f = root / (m.group(1) + ".tex")
        assert f.exists(), f
        return f.read_text()

    return re.sub(r"\\input\{([^}]*)\}", sub, text)


def _check_balanced(text: str) -> None:
    depth = 0
    for ch in re.sub(r"\\[{}]", "", text):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    stack = []
    for kind, env in re.findall(r"\\(begin|end)\{([^}]*)\}", text):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env, env
    assert not stack


def test_document_is_standalone_and_balanced(exported):
    out, paths = exported
    main = paths[0]
    assert main.name == "fsltheory-scaling.tex" and main.parent == out
    text = main.read_text()
    assert text.startswith("\\documentclass") and text.rstrip().endswith("\\end{document}")
    for pkg in ("amsmath", "booktabs"):
        assert pkg in text
    full = _resolve(main, out)
    _check_balanced(full)
    assert "\\input" not in full
    # every snippet is used and balanced on its own (so it can be \input anywhere)
    for snip in paths[1:]:
        assert f"\\input{{snippets/{snip.stem}}}" in text
        _check_balanced(snip.read_text())


def test_tables_cover_every_schedule_budget_and_regime(exported):
    out, _ = exported
    data = (out / "snippets" / "table-data.tex").read_text()
    compute = (out / "snippets" / "table-compute.tex").read_text()
    for table in (data, compute):
        assert "\\toprule" in table and "\\bottomrule" in table
        for name in ("constant", "exponential", "wsd", "linear", "cosine", "power-3"):
            assert f"\n{name} & " in table
        assert "s \\geq 1 - \\frac{1}{\\beta}" in table and "s < 1 - \\frac{1}{\\beta}" in table
    assert "$D_{\\rm opt}$" in compute and "$D_{\\rm opt}$" not in data


def test_golden_exponent_strings():
    assert Exponent(sp.Rational(-2, 3), sp.Rational(1, 3)).to_latex(D) == (
        "D^{- \\frac{2}{3}} (\\log D)^{\\frac{1}{3}}"
    )
    assert (
        Exponent(sp.Rational(-1, 3), 1, "ge").to_latex(D) == "\\gtrsim D^{- \\frac{1}{3}} \\log D"
    )
    assert Exponent(0, 0).to_latex(D) == "1"
    assert Exponent(sp.oo, relation="inf").to_latex(D) == "\\infty"


def test_golden_objective_and_result():
    obj = derive_scaling(Constant(peak=1), "data").objective
    assert objective_to_latex(obj) == (
        "\\begin{equation*}\n"
        "\\mathcal{E}_{\\rm constant} \\eqsim M^{- \\beta s} + T^{- s} + \\gamma,"
        "\\qquad T = D \\gamma,\\qquad \\gamma \\lesssim 1,\\ T \\gtrsim 1\n"
        "\\end{equation*}\n"
    )
    tex = result_to_latex(derive_scaling(schedule_from_spec("wsd"), "data"))
    assert "\\mathcal{E}_{\\rm opt} &\\eqsim D^{- \\frac{\\beta s}{\\beta s + 1}}" in tex
    assert "r_{\\rm opt} & \\gtrsim D^{\\frac{\\beta s - \\beta + 1}{\\beta - 1}} \\log D" in tex
    at = result_to_latex(derive_scaling(schedule_from_spec("wsd"), "data", beta=2, s=1))
    assert "D^{- \\frac{2}{3}} (\\log D)^{\\frac{1}{3}}" in at


def test_table_rows_match_results():
    res = [derive_scaling(schedule_from_spec("exponential"), "compute")]
    table = scaling_table_latex(res, "compute")
    rows = [line for line in table.splitlines() if line.startswith("exponential &")]
    assert len(rows) == 2  # easy and hard
    assert rows[0].count("&") == 6


def test_export_never_overwrites_without_force(tmp_path):
    sched = {"constant": Constant(peak=1)}
    paths = export_latex(tmp_path, schedules=sched)
    paths[0].write_text("my edits")
    with pytest.raises(FileExistsError, match="--force"):
        export_latex(tmp_path, schedules=sched)
    assert paths[0].read_text() == "my edits"
    export_latex(tmp_path, schedules=sched, force=True)
    assert paths[0].read_text().startswith("\\documentclass")


#: overfull boxes up to this much are invisible in print; anything wider sticks into the margin
OVERFULL_TOLERANCE_PT = 5.0


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_document_compiles(exported):  # pragma: no cover - needs a TeX installation
    """The export compiles with a real TeX (CI installs Debian's texlive-latex-base and
    texlive-latex-recommended), without errors, floats too large for a page, or boxes
    overfull by more than the tolerance, on portrait pages."""
    out, paths = exported
    for _ in range(2):  # longtable settles its column widths on the second run
        run = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", paths[0].name],
            cwd=out,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout[-2000:]
    log = (out / "fsltheory-scaling.log").read_text(errors="replace")
    assert "\n! " not in log, log[-2000:]
    assert "Float too large" not in log
    assert "Rerun LaTeX" not in log
    overfull = [float(x) for x in re.findall(r"Overfull \\[hv]box \((\d+\.?\d*)pt too", log)]
    assert all(x <= OVERFULL_TOLERANCE_PT for x in overfull), overfull
    pages = int(re.search(r"Output written on .*\((\d+) pages?", log).group(1))
    assert pages <= 30, pages  # 22 today: two tables, then one section per schedule
