"""Run a sweep's tasks on Dask (a local cluster by default) and stream results to Parquet.

Tasks are per (point, schedule).  Each result is written by the client as it arrives
(:func:`fsltheory.sweep.store.write_row`), so an interrupted sweep keeps every finished
task and a rerun submits only the missing ones; a worker that dies has its unfinished tasks
rescheduled by Dask, and a result is stored under its key once.  Workers warm the numba
caches and the symbolic derivations once, in a worker plugin (also on a restarted worker).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence

from fsltheory.sweep.families import resolve_schedule
from fsltheory.sweep.store import done_keys, open_store, read_sweep, write_row
from fsltheory.sweep.tasks import KINDS, SweepTask, compute

__all__ = ["build_tasks", "run_sweep", "warm_up", "SERIAL"]

#: ``scheduler=SERIAL`` runs the tasks in this process, in order (the reference run)
SERIAL = "serial"


def build_tasks(
    points: Iterable[tuple[float, float]],
    schedules: Sequence[str],
    budget: str = "data",
    budgets: Sequence[float] = (),
    *,
    kind: str = "exact",
    settings: dict | None = None,
) -> list[SweepTask]:
    """The task list of a sweep, validated (``points`` are ``(s, beta)`` pairs)."""
    from fsltheory._util.validate import check_choice, check_greater

    check_choice("kind", kind, KINDS)
    check_choice("budget", budget, ("data", "compute"))
    pts = []
    for s, beta in points:
        pts.append((check_greater("s", s, 0.0), check_greater("beta", beta, 1.0)))
    if not pts:
        raise ValueError("points=[] is invalid: expected at least one (s, beta) point")
    if not schedules:
        raise ValueError("schedules=[] is invalid: expected at least one schedule family")
    templates = {name: resolve_schedule(name) for name in schedules}
    bud: tuple[float, ...] = ()
    if kind == "exact":
        lowest = 2.0 if budget == "data" else 40.0  # compute: M in [2, C/20] needs C >= 40
        bud = tuple(check_greater("budgets", b, lowest - 1e-9) for b in budgets)
        if len(bud) < 3 or len(set(bud)) != len(bud):
            raise ValueError(
                f"budgets={list(budgets)!r} is invalid: expected at least 3 distinct values "
                f">= {lowest:g} (a slope needs two halves of >= 2 points)"
            )
        bud = tuple(sorted(bud))
    tasks = [
        SweepTask(s, b, name, templates[name], budget, bud, kind, dict(settings or {}))
        for s, b in pts
        for name in schedules
    ]
    seen, unique = set(), []
    for t in tasks:  # a point listed twice is one task
        if t.key() not in seen:
            seen.add(t.key())
            unique.append(t)
    return unique


def warm_up() -> None:
    """Compile the numba kernels and import the derivations once in this process."""
    from fsltheory.sweep.families import FAMILIES

    for name in ("constant", "wsd"):
        compute(SweepTask(0.5, 2.0, name, FAMILIES[name], "data", (8.0, 16.0, 32.0)))


class _WarmUp:
    """Worker plugin: :func:`warm_up` when a worker starts (restarted workers included)."""

    name = "fsltheory-sweep-warm-up"

    def setup(self, worker=None):
        warm_up()

    def teardown(self, worker=None):
        pass


def _register_plugin(client) -> None:
    from distributed.diagnostics.plugin import WorkerPlugin

    plugin = type("FslSweepWarmUp", (_WarmUp, WorkerPlugin), {})()
    if hasattr(client, "register_plugin"):
        client.register_plugin(plugin)
    else:  # pragma: no cover - distributed < 2023.9
        client.register_worker_plugin(plugin)


def local_cluster(workers: int | None = None):
    """A ``distributed.LocalCluster`` of ``workers`` processes (default: the cores), one
    thread each, set up for the sweep's tasks.

    Dask's nanny exports ``MALLOC_TRIM_THRESHOLD_=65536`` to the workers it spawns (to give
    memory back to the OS sooner).  Setting it also turns off glibc's dynamic mmap
    threshold, so every array above 128 KiB becomes a fresh ``mmap`` with its page faults:
    the exact engine's tasks ran 1.4-1.9x slower in such a worker than in a plain loop
    (measured: 62 s vs 39 s of task time on a 5 x 5 x 3 grid).  The tasks hold a few MiB,
    so the workers of this cluster keep the allocator's default instead, and skip the
    dashboard's stack sampling (another few per cent).  Workers started elsewhere
    (``dask worker``) should be started without that variable for the same speed.
    """
    import dask
    from distributed import LocalCluster

    quiet = {
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
        # the dashboard's statistical profiler samples the task's stack every 10 ms
        "distributed.worker.profile.enabled": False,
    }
    with dask.config.set(quiet):
        return LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=40,
        )


def _client(scheduler, workers: int | None):
    """``(client, owned)``: a new LocalCluster, a given Client, or one at an address."""
    from distributed import Client

    if scheduler is None:
        return Client(local_cluster(workers)), True
    if isinstance(scheduler, Client):
        return scheduler, False
    return Client(scheduler), True


def _progress_bar(total: int, initial: int, progress: bool | None):
    from tqdm.std import tqdm

    enabled = progress if progress is not None else sys.stderr.isatty()
    return tqdm(total=total, initial=initial, disable=not enabled, unit="task", desc="fsl sweep")


def run_sweep(
    points: Iterable[tuple[float, float]],
    schedules: Sequence[str],
    budget: str = "data",
    budgets: Sequence[float] = (),
    *,
    out,
    kind: str = "exact",
    scheduler=None,
    workers: int | None = None,
    progress: bool | None = None,
    settings: dict | None = None,
    on_result: Callable[[dict, int], None] | None = None,
):
    """Compute a grid of (s, beta) points x schedule families and store it at ``out``.

    Parameters
    ----------
    points : iterable of (s, beta)
        The points (``s > 0``, ``beta > 1``); see :func:`grid` for a product grid.
    schedules : sequence of str
        Family names of :data:`fsltheory.sweep.FAMILIES` or schedule SPECs.
    budget : {'data', 'compute'}
        What the budgets count: data ``D`` or compute ``C = M D``.
    budgets : sequence of float
        The budgets of every point's slope (kind ``'exact'``; ignored for ``'mc'``).
    out : path
        The sweep folder (created; reopened to resume; a non-sweep folder is refused).
    kind : {'exact', 'mc'}
        Exact-engine slopes vs derivation, or Monte-Carlo random-M vs exact top-M.
    scheduler : None, str or distributed.Client
        ``None``: a new ``LocalCluster`` (``workers`` processes, one thread each), closed at
        the end; an address: a running scheduler; a Client: used as is (not closed);
        ``'serial'``: in this process, no Dask.
    workers : int, optional
        Local cluster size (default: the number of cores).
    progress : bool, optional
        tqdm bar on stderr (default: only when stderr is a terminal).
    settings : dict, optional
        Overrides of :data:`fsltheory.sweep.EXACT_SETTINGS` / :data:`MC_SETTINGS` (part of
        each task's key).  ``{'resolve': MAX}`` (exact, data budgets): each point's budgets
        move up by whole decades until its tuned optimum is asymptotic (resolves the
        spectrum, off the peak cap), with the largest budget at most ``MAX``
        (:func:`fsltheory.measure.resolving_budgets`).
    on_result : callable, optional
        Called as ``on_result(row, n_written)`` after each result is stored.

    Returns
    -------
    pandas.DataFrame
        One row per task of this sweep (stored earlier or now); ``df.attrs`` holds
        ``computed`` (tasks run by this call), ``reused`` and ``seconds``.

    A ``KeyboardInterrupt`` cancels the pending tasks, closes a cluster this call started
    and propagates; every finished task stays on disk.
    """
    t0 = time.perf_counter()
    tasks = build_tasks(points, schedules, budget, budgets, kind=kind, settings=settings)
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers={workers!r} is invalid: expected an integer >= 1")
    root = open_store(out, kind)
    done = done_keys(root)
    pending = [t for t in tasks if t.key() not in done]
    written = 0
    bar = _progress_bar(len(tasks), len(tasks) - len(pending), progress)

    def store(row: dict) -> None:
        nonlocal written
        write_row(root, row, kind)
        written += 1
        bar.update(1)
        if on_result is not None:
            on_result(row, written)

    try:
        if pending and scheduler == SERIAL:
            for task in pending:
                store(compute(task))
        elif pending:
            _run_dask(pending, scheduler, workers, store)
    finally:
        bar.close()
    df = read_sweep(root, [t.key() for t in tasks])
    df.attrs.update(
        computed=written, reused=len(tasks) - len(pending), seconds=time.perf_counter() - t0
    )
    return df


def _run_dask(pending: list[SweepTask], scheduler, workers, store) -> None:
    from distributed import as_completed

    client, owned = _client(scheduler, workers)
    futures = []
    try:
        _register_plugin(client)
        futures = [
            client.submit(compute, task, key=f"fsl-sweep-{task.key()}", pure=False)
            for task in pending
        ]
        for fut in as_completed(futures):
            row = fut.result()
            fut.release()
            store(row)
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        if owned:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
