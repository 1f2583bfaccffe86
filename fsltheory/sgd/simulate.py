"""Monte-Carlo one-pass SGD on the power-law model with sampled Gaussian features.

This is the *independent* check of the exact and FSL engines: it draws real features
``phi ~ N(0, H)``, labels ``y = <phi, theta*> + eps``, runs the SGD recursion (eq. 4) from
``v_0 = 0`` and records the exact population excess risk of each iterate (eq. 3, eq. 13).
It deliberately imports nothing from the modules whose formulas it checks (a test inspects
its imports).

Layout of the work: runs are independent; each run has its own random stream
(:mod:`.streams`) and is one call of a compiled kernel (:mod:`.kernels`) that draws its
normals as it goes (:mod:`.normal`; sampling is most of the cost).  Runs go to a thread
pool (the kernels release the GIL), in groups of ``chunk`` runs whose per-run curves are
reduced to a mean and a variance before the next group starts.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import ArrayLike
from tqdm.std import tqdm

from fsltheory._util.errors import DivergenceError
from fsltheory._util.rng import RNGLike, root_seed
from fsltheory._util.validate import check_choice, check_int, check_memory, check_work
from fsltheory.curve import RecordLike, RiskCurve, SGDInfo, record_steps
from fsltheory.model import PowerLawModel, check_model
from fsltheory.schedules.inputs import ScheduleLike, batch_sizes, learning_rates
from fsltheory.sgd import _loops
from fsltheory.sgd.normal import ZIG_F, ZIG_R, ZIG_X
from fsltheory.sgd.precise import precise_run
from fsltheory.sgd.streams import run_state

__all__ = ["simulate_sgd", "SGDDivergenceError"]

#: default cap on the per-run curves held at once (runs x records float64 values)
_HOLD = 1 << 23
PRECISIONS = ("float64", "mpmath")


class SGDDivergenceError(DivergenceError):
    """An SGD run overflowed: raised with the step index instead of returning inf/nan."""


def _projection(model: PowerLawModel, W: ArrayLike | None, seed: int) -> np.ndarray | None:
    """The trained-feature map: ``None`` for top-M, else a validated ``W`` (M x N)."""
    if model.features == "top":
        if W is not None:
            raise ValueError("W is invalid for features='top': pass W=None")
        return None
    if W is None:
        return model.seeded_projection(seed)[0]
    return np.array(model.check_projection(W))  # a private copy: the runs never alias W


def _diverged(run: int, k: int, lrs: np.ndarray, bsz: np.ndarray) -> SGDDivergenceError:
    return SGDDivergenceError(
        f"SGD diverged in run {run} at step k={k} (lr={lrs[k]:.6g}, batch={int(bsz[k])}): "
        f"the residual exceeded {_loops.BLOWUP:g}.  The learning rate is most likely too "
        f"large for stability; lower the schedule's peak"
    )


class _Problem:
    """Everything a run needs, prepared once (float64 arrays in the kernels' layout)."""

    def __init__(
        self,
        model: PowerLawModel,
        W: np.ndarray | None,
        lrs: np.ndarray,
        bsz: np.ndarray,
        slot: np.ndarray,
        n_rec: int,
    ) -> None:
        self.model, self.W, self.lrs, self.bsz = model, W, lrs, bsz
        self.slot, self.n_rec = slot, n_rec
        if W is None:
            self.lam = model.eigenvalues()
            self.theta = model.theta_star()
            self.tail = float(model.tail_error())
            self.c = math.sqrt(self.tail + model.sigma2)
        else:
            sq = np.sqrt(model.eigenvalues(int(model.N)))
            self.A = np.ascontiguousarray(W * sq)
            self.t = sq * model.theta_star(int(model.N))
            self.c = math.sqrt(model.sigma2)

    def run(self, seed: int, r: int, out: np.ndarray) -> None:
        """Run ``r`` (float64 kernels) into ``out``, its recorded risks."""
        state = run_state(seed, r)
        zig = (ZIG_X, ZIG_F, ZIG_R)
        if self.W is None:
            M = self.model.M
            w = -np.sqrt(self.lam) * self.theta  # whitened v_0 - theta* at v_0 = 0
            ws_top = (np.empty(M + 1), np.empty(M))
            k = _loops.topm_run(
                state, w, self.lam, self.tail, self.c, self.lrs, self.bsz, self.slot, out,
                *ws_top, *zig,
            )  # fmt: skip
        else:
            N = self.A.shape[1]
            v = np.zeros(self.model.M)
            ws_rand = (np.empty(N), np.empty(N), np.empty(N + 1))
            k = _loops.randm_run(
                state, v, self.A, self.t, self.c, self.lrs, self.bsz, self.slot, out,
                *ws_rand, *zig,
            )  # fmt: skip
        if k >= 0:
            raise _diverged(r, k, self.lrs, self.bsz)

    def run_precise(self, seed: int, r: int, out: np.ndarray, dps: int) -> None:
        """Run ``r`` replayed in mpmath at ``dps`` digits."""
        risk, k = precise_run(
            self.model, self.W, self.lrs, self.bsz, self.slot, self.n_rec,
            run_state(seed, r), dps, _loops.BLOWUP,
        )  # fmt: skip
        if k >= 0:
            raise _diverged(r, k, self.lrs, self.bsz)
        out[:] = risk


def simulate_sgd(
    model: PowerLawModel,
    schedule: ScheduleLike,
    steps: int | None = None,
    *,
    batch: ArrayLike = 1,
    record: RecordLike = None,
    rng: RNGLike = None,
    W: ArrayLike | None = None,
    runs: int = 1000,
    precision: str = "float64",
    dps: int = 30,
    chunk: int | None = None,
    progress: bool = False,
    keep_runs: bool = False,
) -> RiskCurve:
    """Expected excess risk of one-pass SGD, estimated from independent simulated runs.

    Each run samples fresh Gaussian features ``phi ~ N(0, diag(lambda_1..lambda_N))`` and
    labels ``y = <phi, theta*> + eps``, ``eps ~ N(0, sigma^2)``, and applies eq. (4),
    ``v_{k+1} = v_k - (eta_k / B_k) sum_{z in S_k} (f(x; v_k) - y) W phi``, from
    ``v_0 = 0``.  At the recorded steps it stores the population excess risk of the
    iterate, ``E(v) = 1/2 ||W^T v - theta*||_H^2`` (eq. 3; eq. 13 for top-M), computed
    exactly from ``v`` (not an empirical loss).

    Top-M features train the first ``M`` coordinates while the label uses all ``N``; the
    untrained part of the label, ``sum_{j>M} phi_j theta*_j``, is exactly Gaussian with
    variance ``model.tail_error()``, so it is drawn (together with the label noise) as one
    scalar per sample and ``N = inf`` costs nothing extra.  Random-M features draw all
    ``N`` coordinates (``N`` finite).

    Parameters
    ----------
    model : PowerLawModel
        Spectrum, target, noise, width and feature type.
    schedule : Schedule, SPEC string or array_like
        Learning rates ``eta_0..eta_{K-1}``: a schedule (with ``steps``) or a 1-d array.
    steps : int, optional
        Horizon ``K``; defaults to the length of an array (must match it if given).
    batch : int or array_like of int
        Batch size ``B >= 1``, or per-step sizes ``B_k`` (length ``steps``).
    record : None, int or array_like
        Steps to record, see :func:`fsltheory.curve.record_steps` (``None``: every step).
    rng : numpy.random.Generator, int or None
        An int is the simulation's seed; otherwise a seed is drawn from the generator.
        The seed used is ``meta["seed"]``; passing it back reproduces the curve exactly.
    W : ndarray, optional
        Random-M projection ``(M, N)``; when omitted, ``model.seeded_projection(seed)``
        (``meta["W"]``), the matrix :func:`fsltheory.expected_risk` uses for that seed.
    runs : int
        Number of independent runs (``>= 1``).
    precision : {'float64', 'mpmath'}
        ``'mpmath'`` replays the same draws at ``dps`` digits (tiny models).
    dps : int
        Decimal digits (``>= 15``) for ``precision='mpmath'``.
    chunk : int, optional
        Runs held in memory at once (default: as many as fit in ~64 MiB of curves).  It
        does not change the random draws; the mean may differ in the last bits.
    progress : bool
        Show a tqdm bar over runs.
    keep_runs : bool
        Also return the per-run curves as ``meta["per_run"]`` (``runs x records``).

    Returns
    -------
    RiskCurve
        ``excess_risk`` = mean over runs, ``excess_risk_se`` = sample standard deviation
        (``ddof=1``) over ``sqrt(runs)`` (``nan`` when ``runs == 1``), ``engine='sgd'``;
        ``meta`` is an :class:`fsltheory.curve.SGDInfo`.

    Raises
    ------
    ValueError
        Invalid parameters (named in the message).
    SGDDivergenceError
        A run overflowed (a ``FloatingPointError`` and a ``ValueError``); the message names
        the run and the step and points at the learning rate.

    Examples
    --------
    >>> from fsltheory import Constant, PowerLawModel, simulate_sgd
    >>> m = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=16)
    >>> c = simulate_sgd(m, Constant(peak=0.1), 200, runs=50, rng=0, record=5)
    >>> c.step.tolist(), bool(c.excess_risk[-1] < c.excess_risk[0])
    ([0, 1, 6, 34, 200], True)
    """
    check_model(model)
    lrs, steps = learning_rates(schedule, steps)
    bsz = batch_sizes(batch, steps)
    runs = check_int("runs", runs, 1)
    # each worker thread holds a few width-M (or N) work vectors; the record block is per run
    width = model.M if math.isinf(model.N) else max(model.M, int(model.N))
    check_memory("M", model.M, 8.0 * 4 * width * min(runs, os.cpu_count() or 1))
    # each sample of each step touches a few width-long vectors (draw, dot product, update)
    check_work("runs", runs, 4.0 * runs * float(np.sum(bsz)) * width)
    check_choice("precision", precision, PRECISIONS)
    rec = record_steps(record, steps)
    n_rec = rec.size
    if keep_runs:
        check_memory("runs", runs, 8.0 * runs * n_rec)
    if chunk is None:
        chunk = max(1, min(runs, _HOLD // n_rec))
    chunk = check_int("chunk", chunk, 1)
    seed = root_seed(rng)
    W = _projection(model, W, seed)

    slot = np.full(steps + 1, -1, dtype=np.int64)
    slot[rec] = np.arange(n_rec)
    prob = _Problem(model, W, lrs, bsz, slot, n_rec)
    dps = check_int("dps", dps, 15)

    n_seen, mean, m2 = 0, np.zeros(n_rec), np.zeros(n_rec)
    kept = []
    workers = max(1, min(os.cpu_count() or 1, chunk)) if precision == "float64" else 1
    stop = threading.Event()
    bar = tqdm(total=runs, disable=not progress, desc="sgd runs", unit="run")
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for r0 in range(0, runs, chunk):
                r1 = min(runs, r0 + chunk)
                block = np.empty((r1 - r0, n_rec))

                def one(r: int, block: np.ndarray = block, r0: int = r0) -> None:
                    if stop.is_set():  # a run already failed: skip the rest
                        return
                    try:
                        if precision == "float64":
                            prob.run(seed, r, block[r - r0])
                        else:
                            prob.run_precise(seed, r, block[r - r0], dps)
                    except BaseException:
                        stop.set()
                        raise
                    bar.update(1)

                for fut in [pool.submit(one, r) for r in range(r0, r1)]:
                    fut.result()
                # Chan et al.'s pairwise update: merge this block's mean / sum of squares
                nb = r1 - r0
                bmean = block.mean(axis=0)
                bm2 = ((block - bmean) ** 2).sum(axis=0)
                n_new = n_seen + nb
                delta = bmean - mean
                mean = mean + delta * (nb / n_new)
                m2 = m2 + bm2 + delta**2 * (n_seen * nb / n_new)
                n_seen = n_new
                if keep_runs:
                    kept.append(block)
    finally:
        bar.close()

    if runs > 1:
        se = np.sqrt(m2 / (runs - 1) / runs)
    else:
        se = np.full(n_rec, np.nan)
    meta = SGDInfo(
        runs=runs,
        seed=seed,
        precision=precision,
        features=model.features,
        batch=int(bsz[0]) if np.all(bsz == bsz[0]) else bsz.copy(),
        chunk=chunk,
        dps=dps if precision == "mpmath" else None,
        W=W,
        per_run=np.concatenate(kept, axis=0) if keep_runs else None,
    )
    return RiskCurve.from_schedule(lrs, rec, mean, excess_risk_se=se, engine="sgd", meta=meta)
