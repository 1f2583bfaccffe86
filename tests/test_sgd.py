"""The Monte-Carlo SGD simulator: API, reproducibility, golden numbers, mpmath replay,
independence from the formulas it checks, parameter validation and divergence.

The statistical agreement with the exact engine is in ``test_sgd_vs_exact.py``; the
Gaussian sampler's own checks are in ``test_sgd_normal.py``.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import numpy as np
import pytest
from helpers import F64, SGD_GOLDEN, SGD_REPLAY
from hypothesis import given
from hypothesis import strategies as st

import fsltheory
from fsltheory import ArraySchedule, Constant, Cosine, PowerLawModel, simulate_sgd

TOP = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=8)
RAND = PowerLawModel(beta=2.0, s=0.5, sigma2=0.5, M=4, N=10, features="random")
REC = [0, 1, 10, 50, 100]


# ------------------------------------------------------------------ independence
def _imports(path: Path) -> set[str]:
    """Absolute names of the fsltheory modules and packages that ``path`` imports."""
    pkg = Path(fsltheory.__file__).parent
    rel = path.relative_to(pkg.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    here = parts if path.name == "__init__.py" else parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
    return found


def _module_file(name: str) -> Path | None:
    pkg = Path(fsltheory.__file__).parent.parent
    p = pkg.joinpath(*name.split("."))
    if p.with_suffix(".py").is_file():
        return p.with_suffix(".py")
    if (p / "__init__.py").is_file():
        return p / "__init__.py"
    return None


def test_simulator_never_imports_the_formulas_it_checks():
    # walk the simulator's imports transitively inside fsltheory
    todo = [p for p in (Path(fsltheory.__file__).parent / "sgd").glob("*.py")]
    seen, reached = set(), set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            reached.add(name)
            if name.startswith("fsltheory") and name != "fsltheory":
                f = _module_file(name)
                if f is not None:
                    todo.append(f)
    forbidden = ("fsltheory.exact", "fsltheory.fsl.evaluate", "fsltheory.symbolic", "sympy")
    bad = sorted(n for n in reached if n.startswith(forbidden))
    assert not bad, f"the simulator reaches {bad}"
    assert "fsltheory" not in reached  # the package root imports every engine
    assert any(n.startswith("fsltheory.sgd._loops") for n in reached)  # the walk works


# ------------------------------------------------------------------ result shape
def test_curve_fields_and_meta():
    sched = Cosine(peak=0.2, final=0.02)
    c = simulate_sgd(TOP, sched, 100, runs=5, rng=1, record=REC, keep_runs=True)
    np.testing.assert_array_equal(c.step, REC)
    np.testing.assert_allclose(c.lr[:-1], sched.lrs(100)[REC[:-1]], rtol=F64)
    assert np.isnan(c.lr[-1])
    np.testing.assert_allclose(c.intrinsic_time, sched.intrinsic_time(100)[REC], rtol=F64)
    assert c.engine == "sgd"
    assert c.meta["runs"] == 5 and c.meta["seed"] == 1 and c.meta["precision"] == "float64"
    per = c.meta["per_run"]
    assert per.shape == (5, len(REC))
    np.testing.assert_allclose(c.excess_risk, per.mean(axis=0), rtol=F64)
    np.testing.assert_allclose(c.excess_risk_se, per.std(axis=0, ddof=1) / np.sqrt(5), rtol=F64)
    # the iterate starts at v = 0, whose excess risk is E(0) for every run
    np.testing.assert_allclose(per[:, 0], TOP.initial_excess_risk(), rtol=F64)


def test_single_run_has_undefined_standard_error():
    c = simulate_sgd(TOP, Constant(peak=0.1), 20, runs=1, rng=0, record=[0, 20])
    assert np.all(np.isnan(c.excess_risk_se))


def test_zero_learning_rate_keeps_initial_risk():
    c = simulate_sgd(TOP, np.zeros(30), runs=4, rng=0, keep_runs=True)
    np.testing.assert_allclose(c.meta["per_run"], TOP.initial_excess_risk(), rtol=F64)


def test_array_schedule_and_array_infer_steps():
    lrs = Cosine(peak=0.1).lrs(40)
    a = simulate_sgd(TOP, lrs, runs=3, rng=5)
    b = simulate_sgd(TOP, ArraySchedule(lrs), runs=3, rng=5)
    c = simulate_sgd(TOP, Cosine(peak=0.1), 40, runs=3, rng=5)
    assert a.step[-1] == 40
    np.testing.assert_array_equal(a.excess_risk, b.excess_risk)
    np.testing.assert_array_equal(a.excess_risk, c.excess_risk)


def test_progress_bar_runs(capsys):
    simulate_sgd(TOP, Constant(peak=0.1), 10, runs=3, rng=0, progress=True)
    assert "sgd runs" in capsys.readouterr().err


# ------------------------------------------------------------------ reproducibility
@pytest.mark.parametrize("model", [TOP, RAND], ids=["top", "random"])
def test_same_seed_bit_identical(model):
    kw = dict(batch=2, runs=6, record=REC, keep_runs=True)
    a = simulate_sgd(model, Cosine(peak=0.1), 100, rng=7, **kw)
    b = simulate_sgd(model, Cosine(peak=0.1), 100, rng=7, **kw)
    np.testing.assert_array_equal(a.meta["per_run"], b.meta["per_run"])
    np.testing.assert_array_equal(a.excess_risk_se, b.excess_risk_se)
    c = simulate_sgd(model, Cosine(peak=0.1), 100, rng=8, **kw)
    assert not np.array_equal(a.meta["per_run"][:, 1:], c.meta["per_run"][:, 1:])


def test_generator_seed_is_recorded_and_replays():
    a = simulate_sgd(TOP, Constant(peak=0.1), 50, runs=4, rng=np.random.default_rng(3))
    b = simulate_sgd(TOP, Constant(peak=0.1), 50, runs=4, rng=a.meta["seed"])
    np.testing.assert_array_equal(a.excess_risk, b.excess_risk)
    c = simulate_sgd(TOP, Constant(peak=0.1), 50, runs=4, rng=None)
    assert isinstance(c.meta["seed"], int)


def test_random_projection_drawn_from_seed_and_replayable():
    a = simulate_sgd(RAND, Constant(peak=0.05), 50, runs=3, rng=11)
    b = simulate_sgd(RAND, Constant(peak=0.05), 50, runs=3, rng=11, W=a.meta["W"])
    np.testing.assert_array_equal(a.excess_risk, b.excess_risk)
    assert a.meta["W"].shape == (RAND.M, RAND.N)


def test_thread_count_does_not_change_results(monkeypatch):
    kw = dict(runs=5, rng=2, record=REC, keep_runs=True)
    a = simulate_sgd(TOP, Constant(peak=0.1), 100, **kw)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    b = simulate_sgd(TOP, Constant(peak=0.1), 100, **kw)
    np.testing.assert_array_equal(a.meta["per_run"], b.meta["per_run"])


@given(
    runs=st.integers(1, 9),
    extra=st.integers(0, 4),
    chunk=st.integers(1, 10),
    seed=st.integers(0, 2**40),
)
def test_runs_are_independent_of_chunk_and_run_count(runs, extra, chunk, seed):
    """Each run owns its stream: grouping and the total count never change a sample path."""
    kw = dict(rng=seed, record=[0, 3, 20], keep_runs=True)
    base = simulate_sgd(TOP, Constant(peak=0.1), 20, runs=runs, **kw)
    more = simulate_sgd(TOP, Constant(peak=0.1), 20, runs=runs + extra, chunk=chunk, **kw)
    np.testing.assert_array_equal(more.meta["per_run"][:runs], base.meta["per_run"])
    if extra == 0:
        np.testing.assert_allclose(more.excess_risk, base.excess_risk, rtol=F64)
    # the excess risk never drops below the untrained tail (eq. 13)
    assert np.all(more.meta["per_run"] >= TOP.tail_error() / 2)


# ------------------------------------------------------------------ golden numbers
# Stored from simulate_sgd(..., rng=20250919, keep_runs=True) when the simulator was written;
# a change here means the random stream or the update changed: bump them only on purpose.
GOLDEN_TOP = [
    [0.8224670334241132, 0.5323139084915743, 0.31314977268410515, 0.11000893986943693, 0.1023960146234329],
    [0.8224670334241132, 0.7977565127503885, 0.2273928578953, 0.1474847745029777, 0.10495880717912454],
    [0.8224670334241132, 0.7619549853910473, 0.5539370788522681, 0.16227773102466728, 0.11896244610522468],
]  # fmt: skip
GOLDEN_RAND = [
    [0.7748838655832705, 0.7305214093646575, 0.17109158710436007, 0.18494798955233044, 0.15374068587497697],
    [0.7748838655832705, 0.48290729542691, 0.2521725865426057, 0.28070396378656415, 0.16433129441847916],
    [0.7748838655832705, 0.6143342138355465, 0.270985205519641, 0.26083920735255983, 0.19062846787625956],
]  # fmt: skip
GOLDEN_W0 = [0.35772073232801593, 0.18515744909978699, 0.12845163201709608, 0.5779473509715888, -0.2150220979900198, 0.36505020008575345, -0.27254331555885125, -0.6193808952448698, 0.05350144899892314, -0.12898246485766177]  # fmt: skip


def test_golden_top_m():
    c = simulate_sgd(
        TOP, Cosine(peak=0.2, final=0.02), 100, batch=2, runs=3, rng=20250919, record=REC,
        keep_runs=True,
    )  # fmt: skip
    np.testing.assert_allclose(c.meta["per_run"], GOLDEN_TOP, rtol=SGD_GOLDEN)


def test_golden_random_m():
    c = simulate_sgd(
        RAND, Cosine(peak=0.1, final=0.01), 100, runs=3, rng=20250919, record=REC, keep_runs=True
    )
    np.testing.assert_allclose(c.meta["W"][0], GOLDEN_W0, rtol=SGD_GOLDEN)
    np.testing.assert_allclose(c.meta["per_run"], GOLDEN_RAND, rtol=SGD_GOLDEN)


# ------------------------------------------------------------------ mpmath replay
@pytest.mark.parametrize(
    "model, steps, batch",
    [
        (PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=4), 2000, 1),
        (PowerLawModel(beta=3.0, s=0.3, sigma2=0.5, M=3, N=20), 300, 3),
        (PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=3, N=6, features="random"), 300, 2),
    ],
    ids=["top-B1-2000", "top-B3", "random-B2"],
)
def test_mpmath_replay_matches_float64(model, steps, batch):
    kw = dict(batch=batch, runs=2, rng=99, record=25, keep_runs=True)
    sched = Cosine(peak=0.1, final=0.01)
    f64 = simulate_sgd(model, sched, steps, **kw)
    mp = simulate_sgd(model, sched, steps, precision="mpmath", **kw)
    assert mp.meta["precision"] == "mpmath" and mp.meta["dps"] >= 30
    np.testing.assert_allclose(f64.meta["per_run"], mp.meta["per_run"], rtol=SGD_REPLAY)


# ------------------------------------------------------------------ divergence
@pytest.mark.parametrize("precision", ["float64", "mpmath"])
def test_divergence_names_the_step(precision):
    model = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=3)
    with pytest.raises(FloatingPointError, match=r"step k=\d+.*learning rate") as info:
        simulate_sgd(model, Constant(peak=20.0), 400, runs=2, rng=0, precision=precision)
    assert isinstance(info.value, ValueError)  # the CLI reports it as bad input


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(runs=0), "runs"),
        (dict(runs=2.5), "runs"),
        (dict(batch=0), "batch"),
        (dict(batch=np.ones(7, dtype=int)), "batch"),
        (dict(batch=np.full(10, 1.5)), "batch"),
        (dict(batch=np.r_[np.ones(9, dtype=int), 0]), r"batch\[9\]"),
        (dict(precision="float32"), "precision"),
        (dict(chunk=0), "chunk"),
        (dict(rng=-1), "rng"),
        (dict(rng="seed"), "rng"),
        (dict(W=np.ones((8, 8))), "W"),
        (dict(record=[0, 11]), "record"),
    ],
)
def test_invalid_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        simulate_sgd(TOP, Constant(peak=0.1), 10, **{"runs": 2, **kw})


def test_invalid_schedule_and_steps():
    with pytest.raises(ValueError, match="steps"):
        simulate_sgd(TOP, Constant(peak=0.1), runs=2)
    with pytest.raises(ValueError, match="steps"):
        simulate_sgd(TOP, np.full(10, 0.1), 12, runs=2)
    with pytest.raises(ValueError, match="steps"):
        simulate_sgd(TOP, Constant(peak=0.1), 0, runs=2)
    with pytest.raises(ValueError, match=r"schedule\[1\]"):
        simulate_sgd(TOP, [0.1, -0.1], runs=2)
    with pytest.raises(ValueError, match="W"):
        simulate_sgd(RAND, Constant(peak=0.1), 10, runs=2, W=np.ones((4, 9)))
    with pytest.raises(ValueError, match="W"):
        simulate_sgd(RAND, Constant(peak=0.1), 10, runs=2, W=np.full((4, 10), np.inf))


# ------------------------------------------------------------------ benchmark smoke test
def test_bench_mc_quick(capsys):
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "scripts" / "bench_core.py"
    spec = importlib.util.spec_from_file_location("bench_core", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.bench_mc(quick=True)
    assert "[mc]" in capsys.readouterr().out
