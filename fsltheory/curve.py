"""The result type shared by every risk engine: a (possibly sub-sampled) risk curve.

A :class:`RiskCurve` carries its run's details in ``meta``, a frozen dataclass per engine
(:class:`ExactInfo`, :class:`SGDInfo`, :class:`FSLInfo`; all :class:`RunInfo`).  The
fields are typed and documented; read access by key (``meta["method"]``,
``meta.get("seed")``, ``"W" in meta``) also works, with the fields left at ``None`` absent.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from fsltheory._util.output import plain_float, prepare_output

__all__ = [
    "RiskCurve",
    "record_steps",
    "RecordLike",
    "RunInfo",
    "ExactInfo",
    "SGDInfo",
    "FSLInfo",
]

#: what every ``record`` argument accepts (see :func:`record_steps`)
RecordLike: TypeAlias = int | ArrayLike | None


@dataclass(frozen=True, eq=False)
class RunInfo(Mapping[str, Any]):
    """Details of one engine run: the base of the per-engine records.

    A read-only mapping over its fields whose value is not ``None``, so that
    ``meta["method"]`` and ``meta.get("seed")`` work as on a dict.

    Examples
    --------
    >>> info = FSLInfo(kernel="proxy", time="physical", coef=(1.0, 1.0, 1.0, 1.0))
    >>> info.kernel, info["time"], info.get("window"), "nodes" in info
    ('proxy', 'physical', None, False)
    """

    def __getitem__(self, key: str) -> Any:
        value = getattr(self, key, None) if key in self._names() else None
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (k for k in self._names() if getattr(self, k) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @classmethod
    def _names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={_short(v)}" for k, v in self.items())
        return f"{type(self).__name__}({items})"


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<array {value.shape}>"
    if isinstance(value, list) and len(value) > 4:
        return f"<{len(value)} values>"
    return repr(value)


@dataclass(frozen=True, eq=False, repr=False)
class ExactInfo(RunInfo):
    """What :func:`fsltheory.expected_risk` did.

    Attributes
    ----------
    method : str
        The algorithm run: ``'full'``, ``'compressed'`` or ``'matrix'`` (``'auto'`` resolved).
    precision : str
        ``'float64'`` or ``'mpmath'``.
    M, N : int or float
        Width and total features of the model (``N`` may be ``inf``).
    schedule : str
        The schedule's SPEC (``'array:<K values>'`` for an array).
    bound : float
        The stability bound ``max_stable_lr`` at the smallest batch.
    nodes, exact_modes, panels : int
        Modes (or quadrature nodes) propagated, how many of them are single modes, and the
        compressed rule's panels (0 without compression).
    elapsed_s : float
        Wall time of the call.
    dps, bits : int, optional
        Digits asked for and fixed-point bits used (``precision='mpmath'``).
    excess_risk_mp : list of mpf, optional
        The recorded risks at ``dps`` digits (``precision='mpmath'``).
    W : ndarray, optional
        The feature matrix used (``method='matrix'``; a copy).
    seed : int, optional
        The seed ``W`` was drawn from (``W`` not given).
    tail : float, optional
        ``2 delta``, the constant part of ``2 E`` for random features.
    powers : bool, optional
        ``True`` when a constant learning rate was run as matrix powers
        (:mod:`fsltheory.exact.constant`) instead of step by step.
    """

    method: str = ""
    precision: str = "float64"
    M: int = 0
    N: float = 0
    schedule: str = ""
    bound: float = float("nan")
    nodes: int = 0
    exact_modes: int = 0
    panels: int = 0
    elapsed_s: float = 0.0
    dps: int | None = None
    bits: int | None = None
    excess_risk_mp: list | None = None
    W: np.ndarray | None = None
    seed: int | None = None
    tail: float | None = None
    powers: bool | None = None


@dataclass(frozen=True, eq=False, repr=False)
class SGDInfo(RunInfo):
    """What :func:`fsltheory.simulate_sgd` did.

    Attributes
    ----------
    runs : int
        Independent runs averaged.
    seed : int
        The simulation's seed: passing it back as ``rng`` reproduces the curve.
    precision : str
        ``'float64'`` or ``'mpmath'``.
    features : str
        ``'top'`` or ``'random'``.
    batch : int or ndarray
        The batch size, or the per-step sizes when they vary.
    chunk : int
        Runs held in memory at once.
    bit_generator : str
        The random streams used.
    dps : int, optional
        Digits of the mpmath replay (``precision='mpmath'``).
    W : ndarray, optional
        The random-M feature matrix used.
    per_run : ndarray, optional
        Per-run curves, ``runs x records`` (``keep_runs=True``).
    """

    runs: int = 0
    seed: int = 0
    precision: str = "float64"
    features: str = "top"
    batch: int | np.ndarray = 1
    chunk: int = 0
    bit_generator: str = "xoshiro256++/ziggurat"
    dps: int | None = None
    W: np.ndarray | None = None
    per_run: np.ndarray | None = None


@dataclass(frozen=True, eq=False, repr=False)
class FSLInfo(RunInfo):
    """What :func:`fsltheory.fsl_curve` (or :func:`fsltheory.fit_fsl`) computed.

    Attributes
    ----------
    kernel : str
        ``'proxy'`` or ``'finite'``.
    time : str
        ``'physical'`` or ``'intrinsic'``.
    coef : tuple of float
        ``(c0, c1, c2, c3)`` used.
    method : str, optional
        ``'fast'`` or ``'naive'`` (:func:`fsl_curve`).
    rtol : float, optional
        Accuracy of the exponential sums (:func:`fsl_curve`).
    nodes : int, optional
        Exponential-sum nodes of the kernel (``method='fast'``).
    fit : str, optional
        The least-squares solver (:func:`fit_fsl`).
    window : int, optional
        First fitted step (:func:`fit_fsl`).
    note : str
        Set when the constants are the unfitted defaults (``fsl risk`` prints it): the level
        is then not the exact risk's.
    """

    kernel: str = "proxy"
    time: str = "physical"
    coef: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)
    note: str = ""
    method: str | None = None
    rtol: float | None = None
    nodes: int | None = None
    fit: str | None = None
    window: int | None = None


@dataclass
class RiskCurve:
    """Expected excess risk ``E[E(v_k)]`` at recorded steps ``k``.

    Attributes
    ----------
    step : ndarray of int
        Recorded step indices ``k`` (0 is the initialisation).
    lr : ndarray
        ``eta_k``, the learning rate of the update *leaving* step ``k`` (``nan`` at ``k = K``).
    intrinsic_time : ndarray
        ``T_k = sum_{j<k} eta_j`` (see :mod:`fsltheory.schedules.base`).
    excess_risk : ndarray
        Expected excess risk ``E[E(v_k)]``, risk minus ``sigma^2 / 2`` (eq. 3).
    excess_risk_se : ndarray or None
        Standard error of the Monte-Carlo mean (``None`` for deterministic engines).
    engine : str
        Which engine produced the curve.
    meta : RunInfo
        The engine's run details (:class:`ExactInfo`, :class:`SGDInfo`, :class:`FSLInfo`),
        also readable by key: ``meta["method"]``.
    """

    step: np.ndarray
    lr: np.ndarray
    intrinsic_time: np.ndarray
    excess_risk: np.ndarray
    excess_risk_se: np.ndarray | None = None
    engine: str = ""
    meta: RunInfo = field(default_factory=RunInfo)

    @classmethod
    def from_schedule(
        cls, lrs: np.ndarray, step: np.ndarray, risk: np.ndarray, **kw: Any
    ) -> RiskCurve:
        """Fill ``lr`` and ``intrinsic_time`` at ``step`` from the full learning-rate array."""
        lrs = np.asarray(lrs, dtype=float)
        step = np.asarray(step, dtype=np.int64)
        T = np.concatenate([[0.0], np.cumsum(lrs)])
        lr_ext = np.concatenate([lrs, [np.nan]])
        return cls(
            step=step, lr=lr_ext[step], intrinsic_time=T[step], excess_risk=np.asarray(risk), **kw
        )

    @property
    def final(self) -> float:
        """Excess risk at the last recorded step."""
        return float(self.excess_risk[-1])

    def to_csv(self, path: str | os.PathLike[str], *, force: bool = False) -> None:
        """Write ``step,lr,intrinsic_time,excess_risk[,excess_risk_se]``."""
        path = prepare_output(path, force=force)
        cols = ["step", "lr", "intrinsic_time", "excess_risk"]
        data = [self.step, self.lr, self.intrinsic_time, self.excess_risk]
        if self.excess_risk_se is not None:
            cols.append("excess_risk_se")
            data.append(self.excess_risk_se)
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            for row in zip(*data, strict=True):
                # measured values round-trip exactly; the intrinsic time, a running sum whose
                # last bit is round-off (0.1 + 0.2), is written as its intended decimal
                w.writerow(
                    [int(row[0]), repr(float(row[1])), plain_float(row[2])]
                    + [repr(float(x)) for x in row[3:]]
                )


def record_steps(record: RecordLike, steps: int) -> np.ndarray:
    """Normalise an engine's ``record`` argument to sorted unique step indices in ``[0, steps]``.

    ``None`` records every step ``0..steps``; an int ``n`` records about ``n`` steps spaced
    evenly on a log scale (always including 0 and ``steps``); an array is used as given.
    """
    if record is None:
        return np.arange(steps + 1, dtype=np.int64)
    if np.isscalar(record):
        try:
            n = int(np.asarray(record).item())
        except (TypeError, ValueError, OverflowError):
            n = 0  # nan, inf or not a number: refused just below
        if n < 2:
            raise ValueError(f"record={record!r} is invalid: expected an int >= 2 or an array")
        # more points than steps only repeats steps: capping keeps a huge n from a huge grid
        n = min(n, steps + 2)
        grid = np.unique(np.round(np.geomspace(1, steps, n - 1)).astype(np.int64))
        return np.concatenate([[0], grid])
    try:
        arr = np.unique(np.asarray(record, dtype=np.int64))
    except (TypeError, ValueError, OverflowError):
        raise ValueError(
            f"record is invalid: expected integer step indices in [0, {steps}]"
        ) from None
    if arr.size == 0 or arr[0] < 0 or arr[-1] > steps:
        raise ValueError(f"record is invalid: expected step indices in [0, {steps}]")
    return arr
