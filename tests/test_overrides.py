from pathlib import Path

import numpy as np
import pytest

from laika_fx.io import FrameReadError, read_frame
from laika_fx.overrides import (
    default_mask_override_dir,
    load_mask_override,
    mask_override_path,
    remove_mask_override,
    save_mask_override,
)


def test_saved_override_is_what_the_batch_loads(shot_dir: Path):
    folder = default_mask_override_dir(shot_dir)
    assert folder == shot_dir.parent / "shot.laika_fx" / "mask_overrides"
    frame_path = shot_dir / "frame.1002.png"
    frame = read_frame(frame_path)
    mask = np.zeros(frame.shape[:2], np.uint8)
    mask[3:7, 5:20] = 1  # any nonzero value is seam
    path = save_mask_override(folder, frame_path, mask)
    assert path == mask_override_path(folder, frame_path) == folder / "frame.1002.png"
    loaded = load_mask_override(folder, frame_path, frame)
    assert loaded.dtype == np.uint8 and set(np.unique(loaded)) == {0, 255}
    np.testing.assert_array_equal(loaded > 0, mask > 0)
    assert not list(shot_dir.parent.glob("shot/*.laika_fx"))  # never inside the shot folder
    assert remove_mask_override(folder, frame_path) is True
    assert load_mask_override(folder, frame_path, frame) is None
    assert remove_mask_override(folder, frame_path) is False


def test_override_of_another_size_or_shape_is_refused(shot_dir: Path):
    folder = default_mask_override_dir(shot_dir)
    frame_path = shot_dir / "frame.1001.png"
    save_mask_override(folder, frame_path, np.zeros((10, 10), np.uint8))
    with pytest.raises(FrameReadError, match="is 10x10, the frame is 64x48"):
        load_mask_override(folder, frame_path, read_frame(frame_path))
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        save_mask_override(folder, frame_path, np.zeros((10, 10, 3), np.uint8))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_soft_override_keeps_its_feather(shot_dir: Path, dtype):
    folder = default_mask_override_dir(shot_dir)
    frame_path = shot_dir / "frame.1001.png"
    frame = read_frame(frame_path)
    ramp = np.zeros(frame.shape[:2], np.float64)
    ramp[10:20, 10:42] = np.linspace(0.05, 1.0, 32)  # a feathered edge: 5 % to full
    scale = {np.uint8: 255, np.uint16: 65535, np.float32: 1.0}[dtype]
    save_mask_override(folder, frame_path, (ramp * scale).astype(dtype))
    loaded = load_mask_override(folder, frame_path, frame)
    assert loaded.dtype == np.uint8
    assert loaded[15, 41] == 255 and 10 <= loaded[15, 10] <= 14 and loaded[0, 0] == 0
    assert len(np.unique(loaded)) > 20  # the feather survives the file
    assert np.all(np.diff(loaded[15, 10:42].astype(int)) >= 0)


def test_blend_soft_mixes_fill_and_frame_by_the_mask():
    from laika_fx.overrides import blend_soft

    frame = np.full((4, 6, 4), 1000, np.uint16)
    frame[..., 3] = 65535  # alpha
    filled = frame.copy()
    filled[:, 1:, :3] = 3000  # the fill: only where the mask is nonzero
    mask = np.array([[0, 64, 128, 191, 255, 255]] * 4, np.uint8)
    out = blend_soft(frame, filled, mask)
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out[0, :, 0], [1000, 1502, 2004, 2498, 3000, 3000])
    assert np.all(out[..., 3] == 65535)
    hard = (mask > 0).astype(np.uint8) * 255
    assert blend_soft(frame, filled, hard) is filled  # a hard mask: the fill as it is


def test_batch_feathers_a_soft_override(shot_dir: Path, tmp_path: Path):
    """A soft override through `laika-fx batch`: full fill at 255, the original where
    the mask is 0, and in between a mix proportional to the mask."""
    from laika_fx.cli import main

    folder = default_mask_override_dir(shot_dir)
    frame_path = shot_dir / "frame.1002.png"
    frame = read_frame(frame_path)
    mask = np.zeros(frame.shape[:2], np.uint8)
    mask[20:28, 8:56] = 255
    mask[18:20, 8:56] = 100  # feather above the core
    mask[28:30, 8:56] = 100  # and below
    save_mask_override(folder, frame_path, mask)
    hard_dir = tmp_path / "hard"
    save_mask_override(hard_dir, frame_path, mask > 0)
    soft_out, hard_out = tmp_path / "soft_out", tmp_path / "hard_out"
    args = [
        "--plugins",
        "seam_removal",
        "--set",
        "seam_removal.inpainter=telea",
        "--frames",
        "1002",
        "-q",
    ]
    assert main(["batch", str(shot_dir), str(soft_out), *args]) == 0
    assert (
        main(["batch", str(shot_dir), str(hard_out), *args, "--mask-overrides", str(hard_dir)]) == 0
    )
    soft, hard = read_frame(soft_out / "frame.1002.png"), read_frame(hard_out / "frame.1002.png")
    # the core is filled alike; outside the mask both are the original
    assert not np.array_equal(hard[20:28, 8:56], frame[20:28, 8:56])
    np.testing.assert_array_equal(soft[0:16], frame[0:16])
    np.testing.assert_array_equal(hard[0:16], frame[0:16])
    # the feather: 100/255 of the way from the original to the hard fill
    f, h, s = (a[18:20, 8:56].astype(np.float64) for a in (frame, hard, soft))
    expected = f + (h - f) * 100 / 255
    assert np.abs(s - expected).max() <= 1.0
    assert np.abs(s - h).mean() > 0.5  # and not the hard fill


def test_blend_soft_fast_path_matches_the_plain_one():
    """uint8 masks take OpenCV's one-pass test for feathered pixels; the result is the plain
    NumPy path's (an int32 copy of the mask takes that one), and a hard mask costs nothing."""
    from laika_fx.overrides import blend_soft

    rng = np.random.default_rng(5)
    for shape in ((40, 60, 3), (40, 60), (40, 60, 4)):
        frame = rng.integers(0, 256, shape, dtype=np.uint8)
        filled = rng.integers(0, 256, shape, dtype=np.uint8)
        hard = np.where(rng.random((40, 60)) < 0.2, 255, 0).astype(np.uint8)
        assert blend_soft(frame, filled, hard) is filled
        soft = hard.copy()
        soft[10:17, 5:33] = rng.integers(0, 256, (7, 28), dtype=np.uint8)
        fast = blend_soft(frame, filled, soft)
        assert np.array_equal(fast, blend_soft(frame, filled, soft.astype(np.int32)))
        assert not np.array_equal(fast, filled)
