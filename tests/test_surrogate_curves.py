"""Loss curves in and out: CSV reading, one-line errors, warmup detection, smoothing, data sets."""

import numpy as np
import pytest
from helpers import F64
from hypothesis import example, given
from hypothesis import strategies as st

from fsltheory import (
    MPL_TEST,
    MPL_TRAIN,
    WSD,
    Constant,
    Cosine,
    LossCurve,
    SchaippRuns,
    detect_warmup,
    load_mpl_curves,
    mpl_schedule,
    read_loss_csv,
    smooth_loss,
)


def write(path, text):
    path.write_text(text)
    return path


# ------------------------------------------------------------------ reading and errors
def test_read_dense_csv_uses_lr_column(tmp_path):
    lrs = np.r_[np.linspace(1e-4, 1e-3, 10), np.full(40, 1e-3)]
    rows = "\n".join(f"{k},{float(lrs[k])!r},{3 - 0.01 * k}" for k in range(50))
    c = read_loss_csv(write(tmp_path / "a.csv", "step,lr,loss\n" + rows + "\n"))
    assert np.array_equal(c.lrs, lrs)
    assert c.warmup == 9 and c.name == "a.csv"


def test_read_sparse_csv_interpolates_and_accepts_separate_lrs(tmp_path):
    f = write(tmp_path / "s.csv", "step,lr,loss\n100,0.001,3.0\n200,0.0005,2.9\n")
    c = read_loss_csv(f)
    assert c.total_steps == 201 and c.lrs[150] == pytest.approx(0.00075)
    assert c.lrs[0] == 0.0  # assumed linear ramp from 0 before the first logged step
    lrs = Cosine(peak=1e-3).lrs(300)
    c2 = read_loss_csv(f, lrs=lrs)
    assert c2.total_steps == 300 and np.array_equal(c2.lrs, lrs)
    c3 = read_loss_csv(f, lrs=Cosine(peak=1e-3), total_steps=300)
    assert np.array_equal(c3.lrs, lrs)
    sched = write(tmp_path / "lr.csv", "lr\n" + "\n".join(repr(float(x)) for x in lrs) + "\n")
    assert np.array_equal(read_loss_csv(f, lrs=sched).lrs, lrs)


@pytest.mark.parametrize(
    "text, message",
    [
        ("step,loss\n1,3.0\n", "missing column(s) lr"),
        ("step,lr\n1,0.1\n", "missing column(s) loss"),
        ("step,lr,loss\n1,0.1,nan\n", "line 2: loss is NaN"),
        ("step,lr,loss\n1,0.1,3.0\n2,0.1,abc\n", "line 3: loss='abc' is not a number"),
        (
            "step,lr,loss\n1,0.1,3.0\n3,0.1,2.9\n2,0.1,2.8\n",
            "steps are not sorted (step 2 follows 3)",
        ),
        ("step,lr,loss\n1,0.1,3.0\n2,0.1,2.9\n2,0.1,2.8\n", "duplicated step 2"),
        ("step,lr,loss\n", "no data rows"),
        ("", "empty file"),
        ("step,lr,loss\n1,0.1,-3.0\n", "losses must be finite and > 0"),
        ("step,lr,loss\n1.5,0.1,3.0\n", "is not a non-negative integer"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, text, message):
    f = write(tmp_path / "bad.csv", text)
    with pytest.raises(ValueError) as err:
        read_loss_csv(f)
    msg = str(err.value)
    assert message in msg and "bad.csv" in msg and "\n" not in msg


def test_missing_file_and_short_schedule(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_loss_csv(tmp_path / "none.csv")
    f = write(tmp_path / "s.csv", "step,lr,loss\n100,0.001,3.0\n")
    with pytest.raises(ValueError, match="covers steps 0..49"):
        read_loss_csv(f, lrs=np.full(50, 1e-3))


def test_losscurve_validation():
    lrs = np.full(10, 0.1)
    with pytest.raises(ValueError, match="same length"):
        LossCurve(step=[1, 2], loss=[3.0], lrs=lrs)
    with pytest.raises(ValueError, match=r"learning rate at step 3"):
        LossCurve(step=[1], loss=[3.0], lrs=np.r_[lrs[:3], -1.0, lrs[4:]])
    c = LossCurve(step=[1, 5, 9], loss=[3.0, 2.5, 2.0], lrs=lrs, name="x")
    assert c.after(5).step.tolist() == [5, 9]
    with pytest.raises(ValueError, match="no loss points at or after step 10"):
        c.after(10)


# ------------------------------------------------------------------ warmup detection
@given(
    W=st.integers(1, 300), n=st.integers(5, 500), fam=st.sampled_from(["constant", "cosine", "wsd"])
)
@example(W=1, n=5, fam="constant")
def test_detect_warmup_finds_the_ramp(W, n, fam):
    # fsltheory's warmup convention: eta_k = peak (k+1)/W for k < W, then the shape starts
    # at the peak, so the ramp's last rising step is W - 1 (the first at the peak)
    sched = {"constant": Constant, "cosine": Cosine, "wsd": WSD}[fam](peak=0.01, warmup=W)
    lrs = sched.lrs(W + n)
    expected = W - 1 if W > 1 else 0
    assert detect_warmup(lrs) == expected


def test_detect_warmup_mpl_and_no_warmup():
    assert detect_warmup(mpl_schedule("cosine_24000")) == 2159
    assert detect_warmup(Cosine(peak=1.0).lrs(100)) == 0
    assert detect_warmup([1.0]) == 0


# ------------------------------------------------------------------ smoothing
def test_smoothing_is_exact_on_constants_and_lines():
    lrs = np.full(100, 0.1)
    const = LossCurve(step=np.arange(0, 100, 5), loss=np.full(20, 3.0), lrs=lrs)
    for spec in ("ema:9", "rolling:5"):
        assert np.allclose(smooth_loss(const, spec).loss, 3.0, rtol=F64)
    line = const.with_loss(3.0 - 0.01 * np.arange(20))
    mid = smooth_loss(line, "rolling:5").loss[2:-2]
    assert np.allclose(mid, line.loss[2:-2], rtol=F64)
    assert smooth_loss(line, None) is line
    assert smooth_loss(line, "ema:3").meta["smoothing"] == "ema:3"
    with pytest.raises(ValueError, match="expected 'ema:SPAN'"):
        smooth_loss(line, "median:3")
    with pytest.raises(ValueError, match="size >= 1"):
        smooth_loss(line, "ema:0")


# ------------------------------------------------------------------ data sets
def test_mpl_curves_regenerated_schedules_match_lr_column():
    # read_mpl_curve raises if the regenerated schedule misses the lr column anywhere
    curves = load_mpl_curves(100)
    assert set(curves) == set(MPL_TRAIN) | set(MPL_TEST)
    c = curves["wsdcon_9"]
    assert c.total_steps == 16000 and c.lrs[7999] == 3e-4 and c.lrs[8000] == pytest.approx(9e-5)
    assert curves["cosine_72000"].lrs[-1] == pytest.approx(3e-5, rel=1e-6)
    assert curves["wsd_20000_24000"].lrs[20000] == pytest.approx(3e-4)
    with pytest.raises(ValueError, match="not an MPL run name"):
        mpl_schedule("linear_100")
    with pytest.raises(ValueError, match="size=7"):
        load_mpl_curves(7)


def test_mpl_lr_column_mismatch_is_reported(tmp_path):
    f = write(tmp_path / "constant_24000.csv", "step,lr,loss\n2176,0.0002,4.1\n")
    from fsltheory.surrogate.datasets import read_mpl_curve

    with pytest.raises(ValueError, match="does not match the schedule"):
        read_mpl_curve(f)


def test_schaipp_branches_are_spliced_onto_their_parent():
    data = SchaippRuns.load()  # the vendored extract
    c = data.curve(52)  # WSD, 20% linear cooldown branched at 40000
    assert c.meta["parent"] == 232 and c.meta["branch_step"] == 40000
    parent = data.curve(232)
    before = c.step < 40000
    assert np.array_equal(c.step[before], parent.step[parent.step < 40000])
    assert np.array_equal(c.loss[before], parent.loss[parent.step < 40000])
    assert c.lrs[30000] == pytest.approx(1e-3) and c.lrs[45000] == pytest.approx(5e-4)
    assert c.warmup == 300 and c.total_steps == 50000
    assert data.label(127).startswith("cosine") and data.label(54).startswith("wsd 1-sqrt")
    with pytest.raises(ValueError, match="run_id=999"):
        data.curve(999)
