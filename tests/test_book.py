"""The book's build machinery (issue #4).

The central check: breaking a claim breaks the build.  A tiny book is built twice with
``book/build.sh`` (the script CI runs, with the book's own ``_config.yml``): once from the
code cells of ``book/intro.md`` as they are, which must succeed, and once with one of its
asserted claims negated, which must fail.  The cheap static checks keep every page in the
table of contents executable (header), checked (asserts) and accessible (figure metadata).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")  # ships with jupyter-book (the [book] extra)

BOOK = Path(__file__).resolve().parents[1] / "book"

FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
CELL_META = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def toc_pages() -> list[Path]:
    """Every page named in ``book/_toc.yml`` (root first)."""
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    names = [toc["root"]]
    for part in toc.get("parts", []):
        names += [ch["file"] for ch in part.get("chapters", [])]
    names += [ch["file"] for ch in toc.get("chapters", [])]
    return [BOOK / f"{name}.md" for name in names]


PAGES = toc_pages()


def code_cells(text: str) -> list[str]:
    return [m.group(0) for m in CODE_CELL.finditer(text)]


def cell_metadata(cell: str) -> dict:
    body = cell.split("\n", 1)[1]
    m = CELL_META.match(body)
    return yaml.safe_load(m.group(1)) if m else {}


# ----------------------------------------------------------------------------- static
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_is_an_executed_notebook_with_asserts(page):
    text = page.read_text()
    m = FRONT_MATTER.match(text)
    assert m, f"{page.name}: no front matter"
    header = yaml.safe_load(m.group(1))
    # without both blocks MyST-NB shows the code cells but silently never runs them
    assert header["jupytext"]["text_representation"]["format_name"] == "myst"
    assert header["kernelspec"]["name"] == "python3"
    cells = code_cells(text)
    assert cells, f"{page.name}: no code cells"
    assert any(re.search(r"^\s*assert ", c, re.M) for c in cells), f"{page.name}: no assert"
    for cell in cells:
        # pages use the package; they must not grow their own copies of its internals
        assert "import fsltheory._" not in cell and "from fsltheory._" not in cell


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_figure_cells_have_name_caption_and_alt_text(page):
    for cell in code_cells(page.read_text()):
        meta = cell_metadata(cell).get("mystnb", {})
        if "figure" not in meta:
            continue
        fig = meta["figure"]
        assert fig.get("name", "").startswith("fig-"), fig
        assert fig.get("caption", "").strip(), fig
        assert meta.get("image", {}).get("alt", "").strip(), f"{fig['name']}: no alt text"
        assert "plotting.finalize(fig)" in cell, f"{fig['name']}: labels not checked"


def test_config_is_strict_and_offline():
    cfg = yaml.safe_load((BOOK / "_config.yml").read_text())
    ex = cfg["execute"]
    # a failing cell is a warning (with traceback), which -W turns into a failed build
    assert ex["allow_errors"] is False and ex["show_tb"] is True
    assert cfg["only_build_toc_files"] is True
    exts = cfg["sphinx"]["extra_extensions"]
    assert "sphinx_proof" in exts and "sphinx-mathjax-offline" in exts
    macros = cfg["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    assert {"lam", "thetastar", "Exc", "Kern", "EE"} <= set(macros)
    bib = (BOOK / "references.bib").read_text()
    for eprint in ["2509.19189", "2503.12811", "2408.11029", "2501.18965", "2405.18392"]:
        assert eprint in bib
    assert "Bordelon" in bib and "Caponnetto" in bib
    assert "-W -n --keep-going" in (BOOK / "build.sh").read_text()


# ------------------------------------------------------------------ break a claim
def flip_first_assert(cells: list[str]) -> tuple[list[str], str]:
    """Negate the first one-line ``assert`` without a message: ``assert X`` -> ``assert not (X)``."""
    for i, cell in enumerate(cells):
        lines = cell.split("\n")
        for k, line in enumerate(lines):
            stripped = line.strip()
            if not stripped.startswith("assert "):
                continue
            try:
                node = ast.parse(stripped.split("  #")[0]).body[0]
            except SyntaxError:
                continue  # a multi-line assert: try the next one
            if isinstance(node, ast.Assert) and node.msg is None:
                indent = line[: len(line) - len(line.lstrip())]
                lines[k] = f"{indent}assert not ({ast.unparse(node.test)})"
                return cells[:i] + ["\n".join(lines)] + cells[i + 1 :], stripped
    raise AssertionError("no one-line assert to flip")


def make_tiny_book(root: Path, cells: list[str]) -> Path:
    """A one-page book with the real configuration and the given code cells."""
    root.mkdir()
    for name in ("_config.yml", "references.bib"):
        shutil.copy(BOOK / name, root / name)
    shutil.copytree(BOOK / "_ext", root / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    header = FRONT_MATTER.match((BOOK / "intro.md").read_text()).group(0)
    (root / "page.md").write_text(header + "\n# Claims\n\n" + "\n\n".join(cells) + "\n")
    return root


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("jupyter-book") is None, reason="needs the [book] extra")
def test_flipping_a_claim_breaks_the_strict_build(tmp_path):
    cells = code_cells((BOOK / "intro.md").read_text())
    flipped, claim = flip_first_assert(cells)
    books = {
        "control": make_tiny_book(tmp_path / "control", cells),
        "flipped": make_tiny_book(tmp_path / "flipped", flipped),
    }
    # the two builds run side by side: each is mostly kernel and Sphinx start-up
    procs = {
        name: subprocess.Popen(
            ["bash", str(BOOK / "build.sh"), "--no-render-check", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, path in books.items()
    }
    out = {name: p.communicate(timeout=300)[0] for name, p in procs.items()}
    rc = {name: p.returncode for name, p in procs.items()}
    assert rc["control"] == 0, out["control"][-3000:]
    assert (books["control"] / "_build" / "html" / "page.html").exists()
    assert rc["flipped"] != 0, f"negating {claim!r} did not fail the build"
    assert "AssertionError" in out["flipped"], out["flipped"][-3000:]


# ------------------------------------------------------------------ render check
def load_check_render():
    spec = importlib.util.spec_from_file_location("check_render", BOOK / "check_render.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_render"] = module
    spec.loader.exec_module(module)
    return module


def mathjax_dir() -> Path | None:
    import site

    for base in [*site.getsitepackages(), site.getusersitepackages()]:
        d = Path(base) / "sphinx-mathjax-offline" / "static" / "mathjax"
        if (d / "tex-chtml.js").exists():
            return d
    return None


PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<script>window.MathJax = {{tex: {{macros: {{lam: "\\\\lambda"}}}}}};</script>
<script defer src="mathjax/tex-chtml.js"></script></head>
<body><main><p>Inline <span class="math">\\({tex}\\)</span>.</p>
<img src="{img}" alt="{alt}"></main></body></html>"""


@pytest.mark.skipif(
    shutil.which(os.environ.get("CHROMIUM", "chromium")) is None or mathjax_dir() is None,
    reason="needs Chromium and sphinx-mathjax-offline",
)
def test_render_check_accepts_good_and_rejects_broken_pages(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    check_render = load_check_render()
    shutil.copytree(mathjax_dir(), tmp_path / "mathjax")
    fig = plt.figure(figsize=(1, 1))
    fig.savefig(tmp_path / "ok.png")
    plt.close(fig)
    good = tmp_path / "good.html"
    good.write_text(PAGE.format(tex=r"\lam_j^2", img="ok.png", alt="a blank square"))
    bad = tmp_path / "bad.html"
    bad.write_text(PAGE.format(tex=r"\nosuchmacro x", img="missing.png", alt=""))
    # a block wider than the column outside a scroll box, and the first figure far below
    # the fold; the same wide block inside an overflow-x: auto box is fine
    wide = '<div style="width:4000px">wide</div>'
    layout = tmp_path / "layout.html"
    layout.write_text(
        PAGE.format(tex="x", img="ok.png", alt="a blank square").replace(
            "<main>",
            f'<main>{wide}<div style="overflow-x:auto">{wide}</div><div style="height:3000px"></div>',
        )
    )
    browser = check_render.Chromium(check_render.find_chromium(), timeout=60)
    try:
        for domain in ("Page", "Runtime", "Network"):
            browser.send(f"{domain}.enable")
        assert check_render.check_page(browser, good, tmp_path / "good.png") == []
        assert (tmp_path / "good.png").read_bytes()[:4] == b"\x89PNG"
        problems = " | ".join(check_render.check_page(browser, bad))
        layout_problems = check_render.check_page(browser, layout)
    finally:
        browser.close()
    assert "undefined macro" in problems
    assert "image did not load: missing.png" in problems
    assert "without alt text" in problems
    assert sum("horizontal overflow: div ends at" in p for p in layout_problems) == 1
    assert any(p.startswith("first figure starts at") for p in layout_problems)
