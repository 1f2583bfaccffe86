"""Measured scaling of the optimised schedules against the derived exponents (issue #9 item 4).

At each horizon ``N`` (batch 1, so ``N`` steps = ``N`` samples) the free-form schedule that
minimises the exact final excess risk is computed (:func:`fsltheory.optimal.optimize_schedule`)
and four numbers are read off it:

* the final excess risk ``E_N``, derived ``E_N ~ N^{a_loss}``;
* the peak learning rate ``eta_max = max_k eta_k``, derived ``~ N^{a_lr}``;
* the decay length ``L``: the number of steps from the first step after the peak where
  ``eta_k < DROP x eta_max`` to the end (``DROP = 0.9``), derived ``L ~ N^{1 + a_r}`` with
  ``a_r`` the decay-fraction exponent (``0`` in the easy regime, where the decay spans the
  run);
* the local power ``p`` of the decaying part, derived ``p = 2 beta - 1`` (eq. 4.2 below).

The derived values come from :func:`fsltheory.symbolic.optimal.optimal_schedule_scaling`.
In the FSL problem of :mod:`fsltheory.symbolic.optimal` (eq. (9) with the kernel of eq. (10))
the uncapped part of the optimum is, in remaining steps ``n`` (PROOF 2 there),

.. math:: \\eta(n) = c\\,\\Bigl(1 + \\frac{c\\,n}{2\\beta}\\Bigr)^{2\\beta-1}
          = \\eta_0\\Bigl(1 - \\frac{z}{L'}\\Bigr)^{p},\\qquad p = 2\\beta - 1,   \\tag{4.2}

with ``z = L - n`` the steps since the decay started and ``L' = L + 2 beta / c`` the length
after which the power would reach zero: the decay is truncated at its final value ``c > 0``,
so ``L' > L``.  The offset ``2 beta / c`` is *not* small at these sizes (it is a sizeable
fraction of ``L``: ``c N`` grows only like ``N^{1/6}`` in the easy point ``(s, beta) = (1,
2)``), so fitting ``log eta`` against ``log(1 - z/L)`` would bias ``p`` low at every ``N``.
:func:`decay_shape` therefore fits the three parameters ``eta_0, L', p`` of (4.2) by least
squares in ``log eta`` over the window ``z in [z_sh, (1 - TAIL) L]``, where ``z_sh`` is the
first step with ``eta < SHOULDER x eta_max`` (the exact optimum rounds the kink where the
FSL solution leaves the cap or the peak; ``SHOULDER = 0.8``) and the last ``TAIL = 1%`` of
the decay is left out (the final knots of the piecewise-linear ``log eta`` carry the end
condition).  ``p`` is then a *local* power: the exponent of the best power law with offset.

Slopes over ``N`` are least-squares fits of ``log y`` on ``log N`` over the whole grid and
over its lower and upper halves (they share the middle point), and the local slopes are
those of successive grid points: that is how the convergence (or the pre-asymptotic trend)
of each exponent is shown.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from fsltheory._util.validate import check_int
from fsltheory.measure import default_peak_cap
from fsltheory.model import PowerLawModel
from fsltheory.optimal.optimize import optimize_schedule

__all__ = [
    "DecayShape",
    "OptimalScalingMeasurement",
    "QUANTITIES",
    "decay_shape",
    "derived_optimal_exponents",
    "load_measurements",
    "measure_optimal_scaling",
]

#: the decay starts at the first step after the peak below DROP x peak
DROP = 0.9
#: the fit of (4.2) starts below SHOULDER x peak (the exact optimum rounds the kink)
SHOULDER = 0.8
#: fraction of the decay left out of the fit at its end
TAIL = 0.01
#: schedules are stored down-sampled to at most this many points
STORED_POINTS = 512
#: the measured quantities, in table order: (key, label, derived-exponent key)
QUANTITIES = (
    ("loss", "final excess risk E_N", "loss"),
    ("peak", "peak learning rate", "lr"),
    ("decay", "decay length L", "decay_length"),
    ("power", "local power p of the decay", "shape"),
)
#: knots of the piecewise-linear log eta: twice the optimiser's default, because the decay
#: start of the hard regime (a kink in the FSL solution) is located only to about a knot
#: spacing; with 48 knots the decay length jittered by ~10% between neighbouring N (its
#: local slope read 0.79 between N = 8e3 and 1.6e4), with 96 the final risk moves < 0.1%
KNOTS = 96
#: baselines tuned at each N: the best one is the first L-BFGS-B start (the derived shape
#: p = 2 beta - 1 is close to power-3 in the easy point, WSD in the hard one)
BASELINES = ("power-2", "power-3", "wsd-1-sqrt", "wsd-linear")


def derived_optimal_exponents(beta, s) -> dict[str, Fraction]:
    """Derived exponents at ``(beta, s)``: ``loss``, ``lr`` (peak), ``decay_length``
    (``1 + decay_fraction``) and ``shape`` (the power ``p``, a value, not a slope)."""
    from fsltheory.symbolic.optimal import optimal_schedule_scaling

    r = optimal_schedule_scaling("data", beta=beta, s=s)
    frac = lambda x: Fraction(str(x))  # noqa: E731  (SymPy Rational -> exact Fraction)
    return {
        "loss": frac(r.loss.power),
        "lr": frac(r.lr.power),
        "decay_length": 1 + frac(r.decay_fraction.power),
        "shape": frac(r.shape.power),
    }


@dataclass(frozen=True)
class DecayShape:
    """The decaying part of one schedule (:func:`decay_shape`).

    ``peak`` = ``max eta``; ``start`` = first index of the decay (``eta < DROP x peak`` after
    the peak); ``length`` = ``L`` = steps from ``start`` to the end; ``eta0``, ``scale`` =
    ``L'`` and ``power`` = ``p`` of (4.2), fitted over ``fit = (first, last)`` indices.
    """

    peak: float
    start: int
    length: int
    eta0: float
    scale: float
    power: float
    fit: tuple[int, int]

    def rescaled(self, lrs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(z/L', eta/eta_0)`` over the decay: (4.2) maps it onto ``(1 - x)^p``."""
        z = np.arange(len(lrs) - self.start, dtype=float)
        return z / self.scale, np.asarray(lrs[self.start :]) / self.eta0


def decay_shape(lrs, *, drop: float = DROP, shoulder: float = SHOULDER, tail: float = TAIL):
    """Peak, decay length and the fitted power law with offset (4.2) of one schedule."""
    lrs = np.asarray(lrs, dtype=float)
    K = lrs.size
    k_peak = int(np.argmax(lrs))
    peak = float(lrs[k_peak])
    after = np.nonzero(lrs[k_peak:] < drop * peak)[0]
    if after.size == 0:
        raise ValueError("the schedule never decays below drop x peak")
    start = k_peak + int(after[0])
    length = K - start
    first = k_peak + int(np.nonzero(lrs[k_peak:] < shoulder * peak)[0][0])
    last = start + int(math.floor((1.0 - tail) * length))
    if last - first < 8:
        raise ValueError(f"decay too short to fit (fit window {first}..{last})")
    z = np.arange(first, last, dtype=float) - start
    y = np.log(lrs[first:last])

    def resid(x):
        log_eta0, log_extra, p = x  # L' = L (1 + e^{log_extra}) > L
        scale = length * (1.0 + math.exp(log_extra))
        return log_eta0 + p * np.log1p(-z / scale) - y

    x0 = (math.log(lrs[start]), 0.0, 2.0)
    sol = least_squares(resid, x0, method="lm", xtol=1e-12, ftol=1e-12)
    log_eta0, log_extra, p = sol.x
    scale = length * (1.0 + math.exp(log_extra))
    return DecayShape(peak, start, length, math.exp(log_eta0), scale, float(p), (first, last))


def _slope(n, y) -> float:
    return float(np.polyfit(np.log(n), np.log(y), 1)[0])


@dataclass
class OptimalScalingMeasurement:
    """Optimised schedules over a grid of horizons and their measured exponents.

    Attributes
    ----------
    beta, s, sigma2, M, cap
        The task and the learning-rate cap used at every ``N``.
    steps : ndarray
        The horizons ``N``.
    loss, peak, decay, power : ndarray
        Final excess risk, peak learning rate, decay length ``L`` and fitted power ``p``.
    scale : ndarray
        ``L'`` of (4.2) (``>= L``).
    schedules : list of ndarray
        The optimised learning rates (full length, or down-sampled after :meth:`load`).
    positions : list of ndarray
        Step indices of ``schedules`` (``arange(N)`` when not down-sampled).
    seconds : ndarray
        Wall time of each optimisation.
    derived : dict
        :func:`derived_optimal_exponents`.
    """

    beta: float
    s: float
    sigma2: float
    M: int
    cap: float
    steps: np.ndarray
    loss: np.ndarray
    peak: np.ndarray
    decay: np.ndarray
    power: np.ndarray
    scale: np.ndarray
    schedules: list
    positions: list
    seconds: np.ndarray
    derived: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.derived:
            self.derived = derived_optimal_exponents(self.beta, self.s)

    def shape(self, i: int) -> DecayShape:
        """:func:`decay_shape` of the ``i``-th stored schedule (exact only if not down-sampled)."""
        return decay_shape(self.schedules[i])

    def rescaled(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """``(1 - z/L', eta/eta_0)`` over the decay of the ``i``-th schedule, from the stored
        (possibly down-sampled) points: (4.2) maps every ``N`` onto ``u^p``.

        ``L'`` and ``p`` are the stored fits; ``log eta_0`` is re-estimated as the mean of
        ``log eta - p log(1 - z/L')`` over the stored points of the fit window (its
        least-squares value given ``p`` and ``L'``).
        """
        n, L, scale, p = int(self.steps[i]), int(self.decay[i]), self.scale[i], self.power[i]
        pos, lrs = np.asarray(self.positions[i]), np.asarray(self.schedules[i])
        start = n - L
        keep = pos >= start
        z, eta = (pos[keep] - start).astype(float), lrs[keep]
        u = 1.0 - z / scale
        first = np.nonzero(eta < SHOULDER * self.peak[i])[0][0]
        win = slice(first, np.searchsorted(z, (1.0 - TAIL) * L))
        log_eta0 = float(np.mean(np.log(eta[win]) - p * np.log(u[win])))
        return u, eta / math.exp(log_eta0)

    def slopes(self, key: str) -> tuple[float, float, float]:
        """``(overall, lower half, upper half)`` log-log slopes of ``key`` over ``N``;
        for ``'power'`` the values ``(mean, first, last)`` of ``p``."""
        y = getattr(self, key)
        n = self.steps
        h = len(n) // 2
        if key == "power":
            return float(np.mean(y)), float(y[0]), float(y[-1])
        return _slope(n, y), _slope(n[: h + 1], y[: h + 1]), _slope(n[h:], y[h:])

    def local_slopes(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """``(N_mid, slope)``: slopes between successive horizons (geometric midpoints);
        for ``'power'`` ``(N, p)``."""
        n, y = self.steps, getattr(self, key)
        if key == "power":
            return n.astype(float), y.copy()
        return np.sqrt(n[1:] * n[:-1]), np.diff(np.log(y)) / np.diff(np.log(n))

    def deviations(self, key: str) -> tuple[float, float, float]:
        """``slopes(key)`` minus the derived value."""
        d = float(self.derived[dict((q[0], q[2]) for q in QUANTITIES)[key]])
        return tuple(v - d for v in self.slopes(key))

    def table(self) -> str:
        """Markdown: derived vs measured exponent (overall, lower and upper half of N)."""
        regime = "easy" if self.s >= 1.0 - 1.0 / self.beta else "hard"
        n0, n1 = int(self.steps[0]), int(self.steps[-1])
        out = [
            f"| ({self.s:g}, {self.beta:g}) {regime} | derived | measured N = {n0:.3g}..{n1:.3g} "
            "| lower half | upper half |",
            "|---|---|---|---|---|",
        ]
        for key, label, dkey in QUANTITIES:
            d = self.derived[dkey]
            a, lo, hi = self.slopes(key)
            what = "p (mean, first N, last N)" if key == "power" else f"slope of {label}"
            out.append(f"| {what} | {d} = {float(d):+.3f} | {a:+.3f} | {lo:+.3f} | {hi:+.3f} |")
        return "\n".join(out)

    def arrays(self, prefix: str = "") -> dict:
        """Flat dict of arrays for ``np.savez`` (schedules down-sampled to
        ``STORED_POINTS``, always keeping the decay's last points)."""
        out = {}
        for name in ("steps", "loss", "peak", "decay", "power", "scale", "seconds"):
            out[prefix + name] = np.asarray(getattr(self, name))
        out[prefix + "params"] = np.array([self.beta, self.s, self.sigma2, self.M, self.cap])
        for i, (pos, lrs) in enumerate(zip(self.positions, self.schedules, strict=True)):
            idx = _downsample(len(lrs))
            out[f"{prefix}pos{i}"] = np.asarray(pos)[idx]
            out[f"{prefix}lrs{i}"] = np.asarray(lrs)[idx]
        return out

    @classmethod
    def from_arrays(cls, data, prefix: str = "") -> OptimalScalingMeasurement:
        """Inverse of :meth:`arrays` (schedules stay down-sampled)."""
        beta, s, sigma2, M, cap = (float(x) for x in data[prefix + "params"])
        steps = np.asarray(data[prefix + "steps"])
        return cls(
            beta=beta, s=s, sigma2=sigma2, M=int(M), cap=cap, steps=steps,
            **{k: np.asarray(data[prefix + k]) for k in ("loss", "peak", "decay", "power", "scale")},
            schedules=[np.asarray(data[f"{prefix}lrs{i}"]) for i in range(steps.size)],
            positions=[np.asarray(data[f"{prefix}pos{i}"]) for i in range(steps.size)],
            seconds=np.asarray(data[prefix + "seconds"]),
        )  # fmt: skip


def _downsample(n: int) -> np.ndarray:
    """At most ``STORED_POINTS`` indices of ``range(n)``, geometric towards the end (where
    the decay is fastest) and uniform elsewhere, ends included."""
    if n <= STORED_POINTS:
        return np.arange(n)
    half = STORED_POINTS // 2
    uni = np.linspace(0, n - 1, half)
    end = n - np.geomspace(1, n, half)
    return np.unique(np.clip(np.round(np.concatenate([uni, end])), 0, n - 1).astype(np.int64))


def measure_optimal_scaling(
    beta: float,
    s: float,
    steps_grid,
    *,
    sigma2: float = 1.0,
    M: int = 10**9,
    cap: float | None = None,
    starts: int = 2,
    knots: int = KNOTS,
    baselines=BASELINES,
    rng=0,
    progress: bool = False,
) -> OptimalScalingMeasurement:
    """Optimise the schedule at every ``N`` in ``steps_grid`` and measure its exponents.

    Parameters
    ----------
    beta, s, sigma2, M
        The task (:class:`fsltheory.PowerLawModel`); ``M = 1e9`` is effectively infinite
        width (the data-limited optimum has ``M_opt = oo``).
    steps_grid : sequence of int
        Horizons ``N`` (increasing, at least 3).
    cap : float, optional
        Learning-rate cap (default :func:`fsltheory.measure.default_peak_cap`, ``1/4 /
        tr(H)``, as ``book/scaling-measured.md``): the numerical face of Assumption 4.1's
        ``gamma <~ 1``.  Near ``max_stable_lr`` the exact risk's noise amplification pulls
        the optimum off the cap, so the hard regime's flat phase is only clean well inside.
    starts, knots, baselines, rng
        As :func:`fsltheory.optimal.optimize_schedule` (``rng`` seeds a generator shared by
        the whole grid).
    progress : bool
        Print one line per ``N``.

    Returns
    -------
    OptimalScalingMeasurement

    Examples
    --------
    >>> m = measure_optimal_scaling(2.0, 1.0, [300, 600, 1200], starts=1, knots=24,
    ...                             baselines=("power-3",))
    >>> bool(m.slopes("loss")[0] < 0 and m.slopes("peak")[0] < 0)
    True
    """
    steps = np.array([check_int("steps_grid", n, 50) for n in steps_grid], dtype=np.int64)
    if steps.size < 3 or np.any(np.diff(steps) <= 0):
        raise ValueError(f"steps_grid={list(steps_grid)!r} is invalid: expected >= 3 increasing")
    model = PowerLawModel(beta=beta, s=s, sigma2=sigma2, M=M)
    cap = default_peak_cap(beta) if cap is None else float(cap)
    gen = np.random.default_rng(rng)
    rows, schedules, seconds = [], [], []
    for n in steps:
        t0 = time.perf_counter()
        opt = optimize_schedule(
            model, int(n), cap=cap, starts=starts, knots=knots, baselines=baselines, rng=gen
        )
        sh = decay_shape(opt.lrs)
        seconds.append(time.perf_counter() - t0)
        rows.append((opt.final_risk, sh.peak, sh.length, sh.power, sh.scale))
        schedules.append(opt.lrs)
        if progress:
            print(
                f"  beta={beta:g} s={s:g} N={n:>7d}: E={opt.final_risk:.4e} peak={sh.peak:.4g} "
                f"L={sh.length} p={sh.power:.3f}  ({seconds[-1]:.1f} s)",
                flush=True,
            )
    loss, peak, decay, power, scale = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    return OptimalScalingMeasurement(
        beta=float(beta), s=float(s), sigma2=float(sigma2), M=int(M), cap=cap, steps=steps,
        loss=loss, peak=peak, decay=decay, power=power, scale=scale, schedules=schedules,
        positions=[np.arange(n) for n in steps], seconds=np.array(seconds),
    )  # fmt: skip


def load_measurements(path) -> dict[str, OptimalScalingMeasurement]:
    """Read the ``{'easy': ..., 'hard': ...}`` measurements written by
    ``scripts/optimal_schedules.py``."""
    with np.load(Path(path)) as data:
        names = sorted({k.split("_", 1)[0] for k in data.files})
        return {n: OptimalScalingMeasurement.from_arrays(data, prefix=n + "_") for n in names}
