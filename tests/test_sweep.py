"""``fsl sweep`` (issue #13): Dask execution, exactly-once storage, resume, CLI, plot.

The sweeps here are tiny (budgets 300..3000, a few points) so that a real
``distributed.LocalCluster`` costs seconds; the science of the slopes is checked in
``tests/test_slopes.py`` and on the book page ``phase-diagram``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

from fsltheory import Constant, derive_scaling  # noqa: E402
from fsltheory.cli import main  # noqa: E402
from fsltheory.sweep import (  # noqa: E402
    FAMILIES,
    SERIAL,
    build_tasks,
    grid,
    near_boundary,
    read_sweep,
    register_family,
    run_sweep,
)

ROOT = Path(__file__).resolve().parents[1]
POINTS = grid([0.5, 1.0], [2.0, 4.0])
SCHEDULES = ["constant", "wsd"]
BUDGETS = [300, 1000, 3000]
#: result columns that must be reproduced exactly by any execution path (same arithmetic)
EXACT_COLUMNS = ["derived_power", "measured_slope", "difference", "risks", "peaks"]


def _same_results(a, b) -> None:
    a, b = a.set_index("key").sort_index(), b.set_index("key").sort_index()
    assert list(a.index) == list(b.index)
    for col in EXACT_COLUMNS:
        np.testing.assert_array_equal(np.stack(a[col].to_numpy()), np.stack(b[col].to_numpy()))
    assert (a["regime"] == b["regime"]).all()


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The reference: the same sweep run in this process, in order."""
    out = tmp_path_factory.mktemp("serial") / "sweep"
    return run_sweep(POINTS, SCHEDULES, "data", BUDGETS, out=out, scheduler=SERIAL)


def test_serial_rows_follow_the_derivation(serial):
    assert len(serial) == len(POINTS) * len(SCHEDULES)
    assert {"s", "beta", "schedule", "regime", "derived_power", "measured_slope"} <= set(
        serial.columns
    )
    for r in serial.itertuples():
        theory = derive_scaling(FAMILIES[r.schedule], "data").at(beta=r.beta, s=r.s)
        assert sp.Rational(r.derived_power_exact) == theory.loss.power
        assert sp.Rational(r.derived_log_exact) == theory.loss.log
        assert r.regime == theory.regime
        assert len(r.risks) == len(BUDGETS) and len(r.peaks) == len(BUDGETS)
        # tiny budgets: only a coarse agreement is expected (one decade, 300..3000)
        assert abs(r.difference) < 0.1


def test_local_cluster_survives_a_killed_worker(serial, tmp_path):
    import dask
    from distributed import Client, LocalCluster

    from fsltheory.sweep.runner import local_cluster

    out = tmp_path / "sweep"
    killed = []
    # (read before the cluster starts: Dask's nanny writes its variables into this process)
    user_trim = "MALLOC_TRIM_THRESHOLD_" in os.environ
    with local_cluster(2) as cluster, Client(cluster) as client:
        assert isinstance(cluster, LocalCluster)  # a real one: processes, a scheduler, nannies
        # the workers run with glibc's default allocator (Dask's MALLOC_TRIM_THRESHOLD_
        # made the tasks 1.4-1.9x slower) and without the stack sampler
        if not user_trim:
            env = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
            assert set(env.values()) == {None}
        profiling = client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
        assert set(profiling.values()) == {False}

        def kill_one(row, n):
            if not killed:  # after the first stored result, while the others are running
                pid = next(iter(client.run(os.getpid).values()))
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        df = run_sweep(
            POINTS, SCHEDULES, "data", BUDGETS, out=out, scheduler=client, on_result=kill_one
        )
    assert killed
    tasks = build_tasks(POINTS, SCHEDULES, "data", BUDGETS)
    files = sorted(out.glob("part-*.parquet"))
    # every point stored exactly once: one file per key, no duplicates, no stray temp files
    assert df.attrs["computed"] == len(tasks) == len(files) == df["key"].nunique()
    assert {f.name[5:-8] for f in files} == {t.key() for t in tasks}
    assert not list(out.glob(".tmp-*"))
    _same_results(df, serial)
    _same_results(pd.read_parquet(out), serial)


def test_interrupted_sweep_resumes_without_recomputing(serial, tmp_path):
    out = tmp_path / "sweep"

    def interrupt(row, n):
        if n == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(POINTS, SCHEDULES, "data", BUDGETS, out=out, workers=1, on_result=interrupt)
    finished = {p: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}
    assert len(finished) == 2 and not list(out.glob(".tmp-*"))

    recomputed = []
    df = run_sweep(
        POINTS,
        SCHEDULES,
        "data",
        BUDGETS,
        out=out,
        scheduler=SERIAL,
        on_result=lambda row, n: recomputed.append(row["key"]),
    )
    assert df.attrs == {**df.attrs, "computed": len(serial) - 2, "reused": 2}
    assert not {p.name[5:-8] for p in finished} & set(recomputed)
    assert all(p.stat().st_mtime_ns == t for p, t in finished.items())
    _same_results(df, serial)
    again = run_sweep(POINTS, SCHEDULES, "data", BUDGETS, out=out, scheduler=SERIAL)
    assert again.attrs["computed"] == 0


def test_keys_follow_what_the_result_depends_on():
    [a] = build_tasks([(0.5, 2.0)], ["wsd"], "data", BUDGETS)
    [b] = build_tasks([(0.5, 2.0)], ["wsd"], "data", BUDGETS + [10_000])
    [c] = build_tasks([(0.5, 2.0)], ["wsd"], "data", BUDGETS, settings={"xatol": 0.01})
    [d] = build_tasks([(0.5, 2.0)], ["wsd:shape=linear,final=0"], "data", BUDGETS)
    [a2] = build_tasks([(0.5, 2.0)], ["wsd"], "data", list(reversed(BUDGETS)))
    assert len({a.key(), b.key(), c.key(), d.key()}) == 4 and a.key() == a2.key()
    assert len(build_tasks([(0.5, 2.0), (0.5, 2.0)], ["wsd"], "data", BUDGETS)) == 1


def test_families_are_extensible():
    register_family("constant-low", Constant(peak=0.01))
    try:
        [t] = build_tasks([(1.0, 2.0)], ["constant-low"], "data", BUDGETS)
        assert t.template == Constant(peak=0.01)
    finally:
        del FAMILIES["constant-low"]
    with pytest.raises(ValueError, match="schedules='nope' is invalid"):
        build_tasks([(1.0, 2.0)], ["nope"], "data", BUDGETS)


def test_monte_carlo_kind(tmp_path):
    tiny = {"M": 8, "N": 32, "steps": 200, "runs": 8, "records": 6}
    df = run_sweep(
        [(1.0, 2.0)], ["constant"], out=tmp_path / "mc", kind="mc", scheduler=SERIAL, settings=tiny
    )
    [r] = df.itertuples()
    assert r.regime == "easy" and r.steps == 200 and len(r.exact_top) == len(r.mc_random)
    assert np.isfinite(r.final_rel_diff) and np.isfinite(r.final_z)
    assert np.isfinite(r.exact_top_slope) and np.isfinite(r.mc_random_slope)
    from fsltheory.sweep import plot_phase_diagram

    plot_phase_diagram(df).clf()
    again = run_sweep(
        [(1.0, 2.0)], ["constant"], out=tmp_path / "mc", kind="mc", scheduler=SERIAL, settings=tiny
    )
    assert again.attrs["computed"] == 0
    with pytest.raises(ValueError, match="kind='exact' is invalid"):
        run_sweep([(1.0, 2.0)], ["constant"], "data", BUDGETS, out=tmp_path / "mc")


def test_refuses_a_folder_that_is_not_a_sweep(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a sweep folder"):
        run_sweep([(1.0, 2.0)], ["constant"], "data", BUDGETS, out=tmp_path, scheduler=SERIAL)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--s", "-1"], "s=-1.0 is invalid: expected s > 0"),
        (["--beta", "2,0.5"], "beta=0.5 is invalid: expected beta > 1"),
        (["--s", "a,b"], "s='a,b' is invalid"),
        (["--budgets", "1000"], "budgets=[1000.0] is invalid: expected at least 3"),
        (["--budget", "time"], "budget='time' is invalid: expected one of ('data', 'compute')"),
        (["--workers", "0"], "workers='0' is invalid: expected an integer >= 1"),
        (["--kind", "gpu"], "kind='gpu' is invalid"),
        (["--schedules", "nope"], "schedules='nope' is invalid"),
        (["--resolve", "1e4"], "resolve='1e4' is invalid: expected one budget >= the largest"),
        (["--resolve", "1e9", "--kind", "mc"], "--resolve=1e9 is invalid with kind='mc'"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(capsys, tmp_path, argv, message):
    out = tmp_path / "sweep"
    assert main(["sweep", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not out.exists()


def test_cli_in_process_resume_and_plot(capsys, tmp_path):
    out = tmp_path / "sweep"
    argv = ["sweep", "--s", "1", "--beta", "2,4", "--schedules", "constant"]
    argv += ["--budgets", "300,1000,3000", "--serial", "--out", str(out)]
    assert main(argv) == 0
    assert "computed 2, reused 0" in capsys.readouterr().out
    assert main(argv) == 0
    assert "computed 0, reused 2" in capsys.readouterr().out
    df = pd.read_parquet(out)
    assert len(df) == 2 and set(df["beta"]) == {2.0, 4.0}

    fig = tmp_path / "phase.png"
    assert main(["sweep", "plot", str(out), "--out", str(fig)]) == 0
    assert fig.stat().st_size > 0
    assert main(["sweep", "plot", str(out), "--out", str(fig)]) == 2  # no silent overwrite
    assert main(["sweep", "plot", str(tmp_path), "--out", str(tmp_path / "x.png")]) == 2


def test_cli_resolve_moves_each_point_to_its_own_window(capsys, tmp_path):
    out = tmp_path / "sweep"
    argv = ["sweep", "--s", "0.5,1.5", "--beta", "6", "--schedules", "constant", "--serial"]
    argv += ["--budgets", "1000,10000,100000", "--resolve", "1e18", "--out", str(out)]
    assert main(argv) == 0
    assert "computed 2, reused 0" in capsys.readouterr().out
    df = pd.read_parquet(out).sort_values("s")
    first = [b[0] for b in df["budgets"]]
    # the hard point resolves the spectrum at a smaller budget than the deep-easy one
    assert first[0] < first[1] and first[1] >= 1e12
    assert (df["measured_slope"] - df["derived_power"]).abs().max() <= 0.05
    # the rule is part of the task's key: without --resolve the same points are new tasks
    assert main(argv[:-4] + ["--out", str(out)]) == 0
    assert "computed 2, reused 0" in capsys.readouterr().out


def test_default_budgets_are_half_decades():
    from fsltheory.cli.sweep import DEFAULT_BUDGETS, parse_values

    for budget, first in (("data", 1e3), ("compute", 1e4)):
        b = np.array(parse_values("budgets", DEFAULT_BUDGETS[budget]))
        assert b[0] == first and b[-1] == 100 * first
        assert np.all(np.abs(np.diff(np.log10(b)) - 0.5) < 0.03)


def test_cli_subprocess_on_a_local_cluster(tmp_path):
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "fsltheory", "sweep", "--s", "1", "--beta", "2"]
    cmd += ["--schedules", "constant", "--budgets", "300,1000,3000", "--workers", "1"]
    cmd += ["--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "computed 1, reused 0" in first.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert "computed 0, reused 1" in again.stdout
    meta = json.loads((out / "_fsl_sweep.json").read_text())
    assert meta["kind"] == "exact"


def test_near_boundary_marks_the_regime_boundary():
    assert near_boundary(0.5, 2.0) and near_boundary(0.8, 4.0)
    assert not near_boundary(1.5, 2.0) and not near_boundary(0.2, 4.0)


def test_sweep_stays_out_of_a_plain_import():
    code = "import sys, fsltheory; print(sorted({'dask', 'pandas', 'pyarrow', 'distributed'} & set(sys.modules)))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.stdout.strip() == "[]"


def test_bench_script_smoke(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "bench_sweep", ROOT / "scripts" / "bench_sweep.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    res = bench.main(["--n", "2", "--schedules", "constant", "--budgets", "300,1000,3000"])
    assert res["tasks"] == 4 and res["speedup"] > 0 and np.isfinite(res["overhead"])


def test_phase_beyond_script_moves_only_the_points_beyond(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "phase_beyond", ROOT / "scripts" / "phase_beyond.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    src = tmp_path / "grid"
    # (1.5, 6): the staircase, 0.2 off at D <= 1e5; (0.5, 3): within the band already
    run_sweep(
        [(1.5, 6.0), (0.5, 3.0)], ["constant"], "data", [1e3, 1e4, 1e5], out=src, scheduler=SERIAL
    )
    assert script.beyond_points(read_sweep(src)) == {"constant": [(1.5, 6.0)]}
    out = tmp_path / "beyond"
    argv = ["--sweep", str(src), "--resolve", "1e18", "--serial", "--out", str(out)]
    assert script.main(argv) == 0
    assert "constant: 1 points (computed 1)" in capsys.readouterr().out
    (row,) = read_sweep(out).itertuples()
    assert row.budgets[0] >= 1e12 and abs(row.measured_slope - row.derived_power) <= 0.05
    # the control: seeded, within the band, window before the asymptotic range
    from fsltheory.sweep.plot import asymptotic_rows

    book = read_sweep(ROOT / "book" / "data" / "phase-diagram")
    picked = script.control_points(book, 2, 0, ["cosine", "wsd"])
    assert picked == script.control_points(book, 2, 0, ["cosine", "wsd"])
    assert picked["wsd"] == script.control_points(book, 2, 0, ["wsd"])["wsd"]
    assert sorted(picked) == ["cosine", "wsd"] and all(len(v) == 2 for v in picked.values())
    for name, points in picked.items():
        rows = book[
            (book["schedule"] == name) & book[["s", "beta"]].apply(tuple, axis=1).isin(points)
        ]
        assert len(rows) == 2 and not asymptotic_rows(rows).any()
        assert ((rows["measured_slope"] - rows["derived_power"]).abs() <= 0.05).all()


def test_compacted_sweep_is_still_a_resumable_sweep(serial, tmp_path):
    from fsltheory.sweep.store import compact

    src = tmp_path / "src"
    run_sweep(POINTS, SCHEDULES, "data", BUDGETS, out=src, scheduler=SERIAL)
    keep = list(serial["key"][:3])
    path = compact(src, tmp_path / "small", keys=keep)
    assert len(list(path.parent.glob("part-*.parquet"))) == 1
    assert sorted(pd.read_parquet(path.parent)["key"]) == sorted(keep)
    df = run_sweep(POINTS, SCHEDULES, "data", BUDGETS, out=path.parent, scheduler=SERIAL)
    assert df.attrs["reused"] == 3 and df.attrs["computed"] == len(serial) - 3
    _same_results(df, serial)


@pytest.mark.parametrize(
    "sig",
    # SIGTERM takes the same path (raised as KeyboardInterrupt); one subprocess pair is enough
    [signal.SIGINT, pytest.param(signal.SIGTERM, marks=pytest.mark.slow)],
    ids=["SIGINT", "SIGTERM"],
)
def test_ctrl_c_stops_cleanly_and_the_rerun_resumes(tmp_path, sig):
    import time

    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "fsltheory", "sweep", "--s", "0.5,1", "--beta", "2,4"]
    cmd += ["--schedules", "constant,wsd", "--budgets", "300,1000,3000"]
    cmd += ["--workers", "1", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 240
    while not list(out.glob("part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "fsl sweep: interrupted" in err
    finished = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}
    assert 1 <= len(finished) < 8 and not list(out.glob(".tmp-*"))
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"computed {8 - len(finished)}, reused {len(finished)}" in again.stdout
    assert all((out / n).stat().st_mtime_ns == t for n, t in finished.items())


def test_compute_budget_tunes_the_width_too(tmp_path):
    df = run_sweep(
        [(1.0, 2.0)], ["constant"], "compute", [1000, 3000, 10000], out=tmp_path, scheduler=SERIAL
    )
    [r] = df.itertuples()
    theory = derive_scaling(FAMILIES["constant"], "compute").at(beta=2.0, s=1.0)
    assert sp.Rational(r.derived_power_exact) == theory.loss.power
    assert r.budget == "compute" and max(r.widths) < 1e9  # a finite tuned M at each C
    assert abs(r.difference) < 0.05  # measured 0.012 over one decade of C


@pytest.mark.parametrize("extra", [["--workers", "2"], ["--scheduler", "tcp://127.0.0.1:1"]])
def test_serial_refuses_cluster_options(extra, tmp_path, capsys):
    # a serial run has no workers and no scheduler: accepting either would misreport the run
    argv = ["--s", "1", "--beta", "2", "--budgets", "8,16,32", "--schedules", "constant"]
    assert main(["sweep", *argv, "--serial", *extra, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--serial" in err and "pick one" in err
    assert not (tmp_path / "o").exists()


#: the book's committed corner sweep (page phase-diagram): its commands, as printed there
CORNER_BUDGETS = [1000, 3162, 10000, 31623, 100000, 316228, 1000000, 3162278, 10000000]
CORNER_RUNS = [
    ((1.5, 6.0), ["constant"]),
    ((1.9, 5.75), ["cosine", "linear", "power"]),
    ((0.7, 1.5), ["exponential"]),
    ((2.0, 6.0), ["wsd"]),
]


def test_committed_corner_sweep_is_what_the_book_commands_compute():
    # a rerun of the printed commands on the committed folder recomputes nothing: every
    # task key (code version, settings, budgets) is one the folder holds
    from fsltheory.sweep.store import done_keys

    held = done_keys(ROOT / "book" / "data" / "phase-diagram-corners")
    keys = {
        t.key()
        for point, names in CORNER_RUNS
        for t in build_tasks([point], names, "data", CORNER_BUDGETS)
    }
    assert keys == held


@pytest.mark.slow  # one task of the corner sweep, ~35-55 s of one core
def test_committed_corner_sweep_is_reproduced():
    from fsltheory.sweep import read_sweep
    from fsltheory.sweep.tasks import compute

    (task,) = build_tasks([CORNER_RUNS[0][0]], CORNER_RUNS[0][1], "data", CORNER_BUDGETS)
    row = compute(task)
    held = read_sweep(ROOT / "book" / "data" / "phase-diagram-corners", keys=[task.key()])
    assert len(held) == 1
    # the tuned risks are stationary at the optimum (as the optimal-schedule data's losses,
    # tests/test_optimal_scaling.py), so they repeat to far below the slopes' meaning; the
    # slopes then to 1e-6 of the book's 0.05 band
    np.testing.assert_allclose(row["risks"], held["risks"].iloc[0], rtol=1e-6)
    for col in ("measured_slope", "lower_slope", "upper_slope"):
        assert row[col] == pytest.approx(held[col].iloc[0], abs=1e-6)


def test_committed_resolved_sweeps_are_what_the_book_commands_compute():
    # the page's commands on the committed folders recompute nothing: the keys (code
    # version, settings including --resolve, budgets) are exactly those the folders hold
    from fsltheory.cli.sweep import parse_values
    from fsltheory.sweep.store import done_keys

    spec = importlib.util.spec_from_file_location(
        "phase_beyond", ROOT / "scripts" / "phase_beyond.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    data = ROOT / "book" / "data"
    window = [1000, 3000, 10000, 30000, 100000]
    points = grid(parse_values("s", "0.1:2:20"), parse_values("beta", "1.25:6:20"))
    keys = {
        t.key()
        for t in build_tasks(points, ["constant"], "data", window, settings={"resolve": 1e18})
    }
    assert keys == done_keys(data / "phase-diagram-resolved")
    book = read_sweep(data / "phase-diagram")
    decaying = ["cosine", "exponential", "linear", "power"]
    for folder, choose in (
        ("phase-diagram-beyond", lambda names: script.beyond_points(book, names)),
        ("phase-diagram-control", lambda names: script.control_points(book, 4, 0, names)),
    ):
        keys = set()
        for names, top in ((decaying, 1e7), (["wsd"], 1e6)):
            for name, pts in choose(names).items():
                tasks = build_tasks(pts, [name], "data", window, settings={"resolve": top})
                keys |= {t.key() for t in tasks}
        assert keys == done_keys(data / folder), folder
