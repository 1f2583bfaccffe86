"""The plotting style module: labelling convention, safe saving, schedule panels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before pyplot: tests never open windows

import matplotlib.pyplot as plt
import numpy as np
import pytest
from helpers import ALL_SCHEDULES, LOGLOG_SLOPE
from hypothesis import given
from hypothesis import strategies as st

from fsltheory import Constant, plotting


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_finalize_requires_labels_with_units():
    fig, ax = plotting.figure()
    with pytest.raises(ValueError, match="no x label"):
        plotting.finalize(fig)
    plotting.label_axes(ax, "step k", "risk (dimensionless)")
    with pytest.raises(ValueError, match="unit in trailing parentheses"):
        plotting.finalize(fig)
    plotting.label_axes(ax, "step k (steps)", "risk (dimensionless)", title="t")
    assert plotting.finalize(fig) is fig


def test_finalize_ignores_hidden_axes():
    fig, (a, b) = plotting.figure(1, 2)
    plotting.label_axes(a, "x (m)", "y (s)")
    b.set_axis_off()  # e.g. an empty slot in a grid
    assert plotting.finalize(fig) is fig
    # the same unlabelled axes, shown, are refused: the pass above is the hiding's doing
    b.set_axis_on()
    with pytest.raises(ValueError, match=r"axes\[1\] has no x label"):
        plotting.finalize(fig)


def test_figure_keeps_interactive_mode():
    # Regression: a style context restored rcParams on exit, which reset `interactive`
    # and stopped the notebook inline backend from showing every figure after the first.
    was = matplotlib.is_interactive()
    try:
        matplotlib.interactive(True)
        plotting.figure()
        assert matplotlib.is_interactive()
    finally:
        matplotlib.interactive(was)


def test_savefig_stores_alt_text_and_never_overwrites(tmp_path):
    from PIL import Image

    fig, ax = plotting.figure()
    ax.plot([1, 2], [3, 4])
    plotting.label_axes(ax, "x (m)", "y (dimensionless)")
    path = plotting.savefig(fig, tmp_path / "sub" / "f.png", alt="a rising line")
    with Image.open(path) as im:
        assert im.info["Description"] == "a rising line"
    with pytest.raises(FileExistsError, match="--force"):
        plotting.savefig(fig, path, alt="again")
    assert plotting.savefig(fig, path, alt="again", force=True) == path
    with pytest.raises(ValueError, match="alt="):
        plotting.savefig(fig, tmp_path / "g.png", alt=" ")
    plotting.savefig(fig, tmp_path / "g.svg", alt="vector")  # no PNG metadata for SVG


def test_schedule_color():
    assert plotting.schedule_color("wsd") == plotting.SCHEDULE_COLORS["wsd"]
    assert plotting.schedule_color(Constant(peak=0.1)) == plotting.SCHEDULE_COLORS["constant"]
    with pytest.raises(ValueError, match="schedule="):
        plotting.schedule_color("nope")


@pytest.mark.parametrize("sched", ALL_SCHEDULES, ids=lambda s: s.spec())
def test_plot_schedule_draws_both_clocks(sched):
    K = 600
    fig, (ax_k, ax_t) = plotting.plot_schedule(sched, K, batch=2.0)
    plotting.finalize(fig)  # labels carry units
    (line_k,) = ax_k.get_lines()
    (line_t,) = ax_t.get_lines()
    np.testing.assert_array_equal(line_k.get_ydata(), sched.lrs(K))
    np.testing.assert_array_equal(line_t.get_xdata(), sched.intrinsic_time(K))
    # the right panel is gamma = eta / B, held constant on each [T_k, T_{k+1})
    np.testing.assert_array_equal(line_t.get_ydata()[:-1], sched.lrs(K) / 2.0)
    assert line_k.get_color() == plotting.SCHEDULE_COLORS[sched.name]


def test_plot_schedule_into_given_axes_with_style():
    fig, axes = plotting.figure(1, 2)
    plotting.plot_schedule(Constant(peak=0.1), 10, axes=axes, label="c", linestyle="--")
    assert axes[0].get_lines()[0].get_linestyle() == "--"
    assert axes[1].get_lines()[0].get_label() == "c"


@given(
    p=st.floats(-4.0, 4.0),
    c=st.floats(1e-3, 1e3),
    n=st.integers(2, 200),
)
def test_loglog_slope_recovers_power_laws(p, c, n):
    x = np.arange(1, n + 1, dtype=float)
    assert abs(plotting.loglog_slope(x, c * x**p) - p) < LOGLOG_SLOPE


@pytest.mark.parametrize(
    "x, y",
    [([1.0], [1.0]), ([1.0, 2.0], [1.0]), ([0.0, 1.0], [1.0, 2.0]), ([1.0, 2.0], [-1.0, 2.0])],
)
def test_loglog_slope_rejects_bad_input(x, y):
    with pytest.raises(ValueError, match="invalid"):
        plotting.loglog_slope(x, y)
