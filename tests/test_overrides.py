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
