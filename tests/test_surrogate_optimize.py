"""Schedule optimisation under a fitted law (§6.4(b)): beats every baseline, stays feasible."""

import numpy as np
import pytest
from helpers import law_id, surrogate_laws

from fsltheory import (
    baseline_schedules,
    optimize_law_schedule,
)
from fsltheory.surrogate.optimize import knot_interpolation

LAWS = surrogate_laws()


@pytest.mark.parametrize(
    "law",
    LAWS,
    ids=law_id,
)
def test_optimised_schedule_beats_every_baseline(law):
    res = optimize_law_schedule(law, 6000, 3e-4, warmup=400, knots=64, maxiter=60, curves=False)
    for name, b in res.baselines.items():
        assert res.final_loss < b["final_loss"], name
    eta = res.lrs
    assert eta.size == 6000
    assert np.all(np.diff(eta[400:]) <= 0) and eta[400:].max() <= 3e-4 and eta.min() >= 0
    assert np.array_equal(eta[:400], baseline_schedules(6000, 3e-4, 400)["constant"][:400])
    assert res.final_loss == pytest.approx(
        law.final_loss(np.maximum(eta, res.info["floor"])), rel=1e-12
    )
    assert "optimised" in res.table() and res.best_baseline[1] > res.final_loss


def test_knot_interpolation_reproduces_linear_schedules():
    pos, left, w = knot_interpolation(1000, 17)
    v = 5.0 - 0.003 * pos
    eta = v[left] * (1 - w) + v[np.minimum(left + 1, pos.size - 1)] * w
    assert np.allclose(eta, 5.0 - 0.003 * np.arange(1000), rtol=1e-12)


def test_exports_refuse_to_overwrite(tmp_path):
    res = optimize_law_schedule(LAWS[3], 3000, 3e-4, warmup=100, knots=32, maxiter=50)
    path = res.to_csv(tmp_path / "s.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert header[:3] == ["step", "lr", "predicted_loss"] and "lr_cosine" in header
    with pytest.raises(FileExistsError):
        res.to_csv(path)
    png = res.plot(tmp_path / "s.png")
    assert png.stat().st_size > 1000
    with pytest.raises(FileExistsError):
        res.plot(png)


def test_validation():
    with pytest.raises(ValueError, match="warmup=3000"):
        optimize_law_schedule(LAWS[3], 3000, 3e-4, warmup=3000)
    with pytest.raises(ValueError, match="peak"):
        optimize_law_schedule(LAWS[3], 3000, -1.0)
    with pytest.raises(ValueError, match="objective is invalid"):
        optimize_law_schedule("mpl", 3000, 3e-4)


def test_kernel_model_objective_improves_on_the_baselines():
    from fsltheory.surrogate.model_objective import kernel_objective

    f = kernel_objective(2.0, 0.5, 1.0, 200, 1500)
    res = optimize_law_schedule(f, 1500, 0.05, knots=8, maxiter=15)
    assert res.final_loss <= min(b["final_loss"] for b in res.baselines.values())
    assert np.all(np.diff(res.lrs) <= 0)
