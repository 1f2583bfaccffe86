"""Sweeps over (s, beta) x schedule families: derived vs measured exponents, on Dask.

``fsl sweep`` and :func:`run_sweep` compute, for every point and schedule, the derived loss
exponent and regime (SymPy) and the slope measured on the exact engine, store one Parquet
file per finished task (resumable), and :func:`plot_phase_diagram` draws the result over
the symbolic regime regions.  ``kind='mc'`` runs Monte-Carlo SGD with random features
against the exact top-M risk instead.  Heavy dependencies (dask, pandas, pyarrow) are
imported only when a sweep runs (``pip install fsltheory[sweep]``).
"""

from __future__ import annotations

from fsltheory.sweep.families import DEFAULT_SCHEDULES, FAMILIES, register_family, resolve_schedule
from fsltheory.sweep.grid import grid, near_boundary
from fsltheory.sweep.runner import SERIAL, build_tasks, run_sweep, warm_up
from fsltheory.sweep.store import read_sweep
from fsltheory.sweep.tasks import (
    EXACT_SETTINGS,
    KINDS,
    MC_SETTINGS,
    SWEEP_VERSION,
    SweepTask,
    boundary_s,
)


def plot_phase_diagram(*args, **kwargs):
    """See :func:`fsltheory.sweep.plot.plot_phase_diagram` (imports matplotlib lazily)."""
    from fsltheory.sweep.plot import plot_phase_diagram as f

    return f(*args, **kwargs)


__all__ = [
    "DEFAULT_SCHEDULES",
    "EXACT_SETTINGS",
    "FAMILIES",
    "KINDS",
    "MC_SETTINGS",
    "SERIAL",
    "SWEEP_VERSION",
    "SweepTask",
    "boundary_s",
    "build_tasks",
    "grid",
    "near_boundary",
    "plot_phase_diagram",
    "read_sweep",
    "register_family",
    "resolve_schedule",
    "run_sweep",
    "warm_up",
]
