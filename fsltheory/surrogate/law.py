"""The common interface of the three loss-curve laws: evaluate, fit, predict, save and load.

A law is a parametric map from a learning-rate schedule to a loss curve.  Each subclass gives

* ``param_names`` and, per parameter, how the fitter moves it (``"lin"``, ``"log"`` for a
  positive scale, ``"log1m"`` for a decay factor in ``(0, 1)``), default bounds and starting
  points;
* ``_prepare(lrs, obs)``: everything about a schedule that does not depend on the parameters
  (cumulative sums, rate grids, decay tables, cached kernel sums), computed once per curve;
* ``_evaluate(prep, theta, jac)``: the predicted loss at the prepared steps and, if asked,
  its Jacobian with respect to the parameters (analytic);
* ``final_loss(lrs, grad)``: the loss after the last step and its gradient with respect to
  every learning rate, in O(K), for schedule optimisation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fsltheory._util.output import prepare_output, strict_json
from fsltheory._util.validate import check_lr_array
from fsltheory.schedules.inputs import learning_rates
from fsltheory.surrogate.curves import LossCurve, detect_warmup

__all__ = ["SurrogateLaw", "LAWS", "law_from_dict", "load_law"]

#: registry name -> class, filled by the law modules
LAWS: dict[str, type] = {}


def _register(cls):
    LAWS[cls.name] = cls
    return cls


class SurrogateLaw:
    """Base class of :class:`FSLLaw`, :class:`MultiPowerLaw` and :class:`MomentumLaw`.

    Parameters
    ----------
    params : dict or sequence, optional
        Parameter values (by name, or in ``param_names`` order); ``None`` for an unfitted law.
    **options
        Law-specific options (see each subclass).
    """

    name = "base"
    title = "base law"
    param_names: tuple[str, ...] = ()
    transforms: tuple[str, ...] = ()
    option_defaults: dict = {}
    #: whether predictions need every learning rate > 0 (schedule optimisation floors them)
    requires_positive_lr = False
    #: the fewest starting points a fit screens by default (``fit_law``'s ``screen``)
    min_screen = 0
    #: the number of screened points a fit polishes by default (``fit_law``'s ``starts``)
    default_starts = 4

    def __init__(self, params=None, **options):
        unknown = set(options) - set(self.option_defaults)
        if unknown:
            raise ValueError(
                f"{self.name}: unknown option(s) {sorted(unknown)}; valid: {sorted(self.option_defaults)}"
            )
        for k, v in options.items():
            if isinstance(self.option_defaults[k], bool) and not isinstance(v, bool):
                raise ValueError(
                    f"{self.name}: option {k}={v!r} is invalid: expected true or false"
                )
        self.options = {**self.option_defaults, **options}
        self.params = None if params is None else self._coerce(params)
        self.fit_info: dict = {}

    # ------------------------------------------------------------------ parameters
    def _coerce(self, params) -> dict:
        if isinstance(params, dict):
            missing = [p for p in self.param_names if p not in params]
            if missing:
                raise ValueError(f"{self.name}: missing parameter(s) {missing}")
            vals = [params[p] for p in self.param_names]
        elif isinstance(params, str | bytes) or not hasattr(params, "__iter__"):
            raise ValueError(
                f"{self.name}: params={params!r} is invalid: expected a dict or a sequence of "
                f"{len(self.param_names)} numbers {self.param_names}"
            )
        else:
            vals = list(params)
            if len(vals) != len(self.param_names):
                raise ValueError(
                    f"{self.name}: expected {len(self.param_names)} parameters "
                    f"{self.param_names}, got {len(vals)}"
                )
        out = {}
        for n, v in zip(self.param_names, vals, strict=True):
            try:
                v = float(v)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(
                    f"{self.name}: parameter {n}={v!r} is invalid: expected a finite number"
                ) from None
            if not np.isfinite(v):
                raise ValueError(f"{self.name}: parameter {n}={v!r} is not finite")
            out[n] = v
        return out

    @property
    def theta(self) -> np.ndarray:
        """Parameters as an array in ``param_names`` order."""
        if self.params is None:
            raise ValueError(f"{self.name}: the law has no parameters yet (fit it or give params)")
        return np.array([self.params[p] for p in self.param_names])

    def with_params(self, params) -> SurrogateLaw:
        new = type(self)(params, **self.options)
        return new

    # ------------------------------------------------------------------ to override
    def _prepare(
        self, lrs: np.ndarray, obs: np.ndarray, *, for_fit: bool = False, expand: bool = True
    ):
        """Everything about a schedule that does not depend on the parameters.  ``for_fit``:
        the result serves many evaluations (and every parameter in the fit box);
        ``expand=False`` keeps such a fit on the exact recursion where the law would cache
        expanded sums (:mod:`fsltheory.surrogate._expanded_sums`)."""
        raise NotImplementedError

    def _evaluate(self, prep, theta: np.ndarray, jac: bool = False):
        raise NotImplementedError

    def _predict(self, lrs: np.ndarray, obs: np.ndarray) -> np.ndarray:
        """Values at ``obs`` for the law's own parameters; laws whose fit-time preparation
        caches more than one evaluation needs override it."""
        return self._evaluate(self._prepare(lrs, obs), self.theta, jac=False)[0]

    def default_bounds(self, curves) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def initial_guesses(self, curves, n: int, rng) -> list[np.ndarray]:
        raise NotImplementedError

    def final_loss(self, lrs, *, grad: bool = False):
        """Loss after the last step of ``lrs`` (and its gradient wrt each ``lrs[k]``).

        The same input and output checks for every law: ``lrs`` must be a non-empty 1-d
        array of finite, non-negative rates with a finite sum; a loss or gradient that is
        not finite (huge rates overflow inside the laws' sums), or a loss that is not
        positive, is refused with a ``ValueError`` rather than handed to an optimiser.
        """
        eta = check_lr_array("lrs", lrs)
        with np.errstate(over="ignore"):
            if not np.isfinite(np.sum(eta)):
                raise ValueError("lrs sum to inf: expected learning rates with a finite sum")
        out = _overflow_safe(lambda: self._final_loss(eta, grad=grad))
        values = [] if out is None else [out[0], out[1]] if grad else [out]
        # a loss is positive: a law driven to <= 0 (a huge decrement against a small area)
        # is outside the range it describes, and an optimiser would exploit it
        if not values or not all(np.all(np.isfinite(v)) for v in values) or not values[0] > 0:
            raise self._out_of_range("final loss is not finite and positive", eta)
        return out

    def _out_of_range(self, what: str, lrs: np.ndarray) -> ValueError:
        return ValueError(
            f"{self.name}: the {what} for these learning rates (peak {float(lrs.max())!r}, "
            f"{lrs.size} steps): expected rates of the order of those the law was fitted on"
        )

    def _final_loss(self, lrs, *, grad: bool = False):
        raise NotImplementedError(f"{self.name}: no closed-form final loss")

    # ------------------------------------------------------------------ prediction
    def predict(self, schedule, at=None, *, total: int | None = None) -> np.ndarray:
        """Predicted loss for a schedule.

        Parameters
        ----------
        schedule : LossCurve, Schedule or array
            A :class:`LossCurve` (its schedule; ``at`` defaults to its logged steps), a
            :class:`~fsltheory.Schedule` (needs ``total``) or the per-step learning rates.
        at : array of int, optional
            Steps at which to predict; default: the curve's logged steps, else every step
            from the end of warmup on.
        """
        lrs, default_at = _schedule_lrs(schedule, total)
        at = default_at if at is None else np.asarray(at, dtype=np.int64)
        if at is None:
            at = np.arange(detect_warmup(lrs), lrs.size)
        if at.size == 0:
            return np.empty(0)
        if np.any(np.diff(at) <= 0) or at[0] < 0 or at[-1] >= lrs.size:
            raise ValueError(f"at is invalid: expected increasing steps in [0, {lrs.size - 1}]")
        if lrs[: at[0] + 1].sum() <= 0:
            raise ValueError(
                f"at[0]={int(at[0])} is invalid: the learning-rate area is 0 there, where every law diverges"
            )
        pred = _overflow_safe(lambda: self._predict(lrs, at))
        if pred is None or not np.all(np.isfinite(pred)):
            raise self._out_of_range("prediction is not finite", lrs)
        return pred

    def fit(self, curves, **kw):
        """Fit the parameters to one or more loss curves; see :func:`fsltheory.surrogate.fitting.fit_law`."""
        from fsltheory.surrogate.fitting import fit_law

        return fit_law(self, curves, **kw)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        from fsltheory._util.version import __version__

        return {
            "law": self.name,
            "params": self.params,
            "options": self.options,
            "fit": self.fit_info,
            "fsltheory_version": __version__,
        }

    def save(self, path, *, force: bool = False) -> Path:
        """Write the law as JSON (refuses to overwrite without ``force``)."""
        path = prepare_output(path, force=force)
        path.write_text(strict_json(self.to_dict(), indent=2, default=_jsonable) + "\n")
        return path

    def __repr__(self) -> str:
        if self.params is None:
            return f"{type(self).__name__}(unfitted)"
        inner = ", ".join(f"{k}={v:.6g}" for k, v in self.params.items())
        return f"{type(self).__name__}({inner})"


def _jsonable(x):
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def law_from_dict(d: dict) -> SurrogateLaw:
    """Rebuild a law from :meth:`SurrogateLaw.to_dict` output."""
    if not isinstance(d, dict) or "law" not in d:
        raise ValueError("not a fsltheory law: expected a JSON object with a 'law' key")
    if not isinstance(d["law"], str) or d["law"] not in LAWS:
        raise ValueError(f"law={d['law']!r} is unknown: expected one of {sorted(LAWS)}")
    options = d.get("options") or {}
    if not isinstance(options, dict):
        raise ValueError(f"options={options!r} is invalid: expected a JSON object")
    fit = d.get("fit") or {}
    if not isinstance(fit, dict):
        raise ValueError(f"fit={fit!r} is invalid: expected a JSON object")
    law = LAWS[d["law"]](d.get("params"), **options)
    law.fit_info = fit
    return law


def load_law(path) -> SurrogateLaw:
    """Read a law saved with :meth:`SurrogateLaw.save` (``fsl fit --save``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        d = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
    try:
        return law_from_dict(d)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def _schedule_lrs(schedule, total):
    """``(eta, logged steps or None)`` from a LossCurve, a Schedule or an array."""
    if isinstance(schedule, LossCurve):
        return np.asarray(schedule.lrs, dtype=float), schedule.step
    return learning_rates(schedule, total)[0], None


def _overflow_safe(fn):
    """``fn()``, or ``None`` where huge but finite rates overflowed inside a law's sums.

    The sums raise ``OverflowError`` (Python floats), ``ZeroDivisionError`` or a math-domain
    ``ValueError``, or return inf/nan (numpy, warnings silenced here): the callers refuse
    both with one message naming the input.
    """
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return fn()
    except (OverflowError, ZeroDivisionError, FloatingPointError):
        return None
    except ValueError as err:
        if "math domain" not in str(err):
            raise
        return None
