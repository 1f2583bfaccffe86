"""The package's architecture as a test: layers, no cycles, no upward imports.

The import graph is read from the source (every ``import`` statement, including those
inside functions, so a lazy import cannot hide a dependency), and each edge must point to
the same unit or to a lower layer.  Units that share a layer never import each other (the
exact engine and the simulator are independent implementations).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "fsltheory"

#: lowest first; a module may import from its own unit or from an earlier layer
LAYERS: list[tuple[str, ...]] = [
    ("fsltheory._util",),
    ("fsltheory.plotting",),
    ("fsltheory.model", "fsltheory.curve"),
    ("fsltheory.schedules",),
    ("fsltheory.exact", "fsltheory.sgd"),
    ("fsltheory.fsl",),
    ("fsltheory.symbolic",),
    ("fsltheory.measure",),
    ("fsltheory.surrogate", "fsltheory.optimal", "fsltheory.sweep"),
    ("fsltheory.cli",),
]
#: modules that belong to another unit than their name says
ALIASES = {"fsltheory.__main__": "fsltheory.cli"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(name: str, modules: set[str]) -> str | None:
    """The longest known module that ``name`` (a dotted import target) refers to."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (never imported at run time)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                todo.extend(child.orelse)
                continue
            todo.append(child)


def import_graph() -> dict[str, set[str]]:
    """``{module: {imported fsltheory modules}}`` from every import statement in the source."""
    files = {_module_name(p): p for p in PKG.rglob("*.py")}
    modules = set(files)
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        edges = set()
        for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    raise AssertionError(
                        f"{mod}: relative import; the layer test reads absolute ones"
                    )
                base = node.module or ""
                targets = [f"{base}.{a.name}" for a in node.names]
            for t in targets:
                if t.split(".")[0] != "fsltheory":
                    continue
                hit = _resolve(t, modules)
                if hit is not None and hit != mod:
                    edges.add(hit)
        graph[mod] = edges
    return graph


def _unit(mod: str) -> tuple[int, str]:
    mod = ALIASES.get(mod, mod)
    for level, units in enumerate(LAYERS):
        for u in units:
            if mod == u or mod.startswith(u + "."):
                return level, u
    raise AssertionError(f"{mod} belongs to no layer: add it to LAYERS")


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every edge that goes up a layer, across units of one layer, or to the package root."""
    out = []
    for a, targets in sorted(graph.items()):
        if a == "fsltheory":
            continue
        la, ua = _unit(a)
        for b in sorted(targets):
            if b == "fsltheory":
                out.append(f"{a} -> the package root (import from the defining module)")
                continue
            lb, ub = _unit(b)
            if lb > la:
                out.append(f"{a} (layer {la}) -> {b} (layer {lb}): upward")
            elif lb == la and ua != ub:
                out.append(f"{a} -> {b}: two units of layer {la}")
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def closure(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [m for m in graph if m == start or m.startswith(start + ".")]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(graph.get(m, ()))
    return seen


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_every_module_has_a_layer(graph):
    for mod in graph:
        if mod != "fsltheory":
            _unit(mod)


def test_no_upward_imports(graph):
    assert violations(graph) == []


def test_no_import_cycles(graph):
    assert cycles(graph) == []


@pytest.mark.parametrize(
    "edge",
    [
        ("fsltheory.model", "fsltheory.symbolic.balance"),  # upward
        ("fsltheory.exact.engine", "fsltheory.sgd.simulate"),  # across a layer's units
        ("fsltheory.schedules.base", "fsltheory"),  # the package root
    ],
)
def test_a_bad_edge_is_caught(graph, edge):
    """The checker is not vacuous: adding one bad import to the real graph is reported."""
    bad = {k: set(v) for k, v in graph.items()}
    bad[edge[0]].add(edge[1])
    assert any(edge[0] in v and (edge[1] in v or "root" in v) for v in violations(bad))


def test_a_cycle_is_caught(graph):
    bad = {k: set(v) for k, v in graph.items()}
    bad["fsltheory.schedules.spec"].add("fsltheory.schedules.registry")
    assert ["fsltheory.schedules.registry", "fsltheory.schedules.spec"] in cycles(bad)


@pytest.mark.parametrize("engine", ["fsltheory.exact", "fsltheory.sgd"])
def test_engines_never_reach_the_formulas_they_check(graph, engine):
    """The exact engine and the simulator never import the FSL or the symbolic derivations."""
    reach = closure(graph, engine)
    assert not [m for m in reach if m.startswith(("fsltheory.fsl", "fsltheory.symbolic"))]


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {m.split(".")[0] for m in out} | {m for m in out if m.startswith("scipy.")}


def test_import_is_light():
    """``import fsltheory`` loads neither SymPy, numba nor SciPy's optimisers (PEP 562)."""
    loaded = _loaded_after("import fsltheory")
    assert not loaded & {"sympy", "numba", "scipy.optimize", "matplotlib"}


def _quiet_cli(argv: list[str]) -> str:
    """Code that runs ``fsl ARGV`` in-process with its output swallowed."""
    return (
        "import contextlib, io\n"
        "from fsltheory.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
    )


def test_cli_help_is_light():
    """``fsl --help`` builds every parser but loads no library: start-up is Python's own."""
    loaded = _loaded_after(_quiet_cli(["--help"]))
    assert not loaded & {"sympy", "numba", "scipy", "matplotlib", "numpy"}


def test_short_exact_run_loads_neither_numba_nor_scipy(tmp_path):
    """A 10-step ``fsl risk`` runs the numpy recursion and the SciPy-free zeta (start-up)."""
    out = tmp_path / "r.csv"
    argv = ["risk", "--steps", "10", "--M", "100", "--schedule", "constant:peak=0.1"]
    loaded = _loaded_after(_quiet_cli([*argv, "--out", str(out)]))
    assert out.exists()
    assert not loaded & {"sympy", "numba", "scipy", "matplotlib"}


def test_engines_run_without_sympy():
    """Running each engine on a SPEC string never loads SymPy (nor the FSL modules)."""
    code = (
        "from fsltheory import PowerLawModel, expected_risk, simulate_sgd\n"
        "m = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=16)\n"
        "expected_risk(m, 'cosine:peak=0.1', 20)\n"
        "simulate_sgd(m, 'constant:peak=0.1', 20, runs=2, rng=1)\n"
    )
    loaded = _loaded_after(code)
    assert "sympy" not in loaded
