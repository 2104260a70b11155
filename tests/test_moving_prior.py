"""Shot-level evidence for the seam gate: what moved against the set (the stabilize solve's
moving grid) counts as the puppet."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from laika_fx.pipeline import render_frame
from laika_fx.plugins import FrameContext, Plugin
from laika_fx.seam_removal.plugin import SeamRemoval
from laika_fx.stabilize.moving import CELL, moving_grid, pack_grid, unpack_grid
from laika_fx.stabilize.plugin import StabilizePlugin
from laika_fx.stabilize.sidecar import SidecarError, check_sidecar
from laika_fx.stabilize.static_set import reference_gradient


def _texture(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 2.0)
    return (img - img.min()) / (img.max() - img.min())


def test_pack_round_trip_and_malformed():
    grid = np.random.default_rng(0).random((7, 13)) > 0.5
    doc = json.loads(json.dumps(pack_grid(grid)))
    assert np.array_equal(unpack_grid(doc), grid)
    for bad in ({"grid": [7, 13], "bits": "!!"}, {"grid": [7], "bits": doc["bits"]},
                {"grid": [70, 13], "bits": doc["bits"]}, [1, 2], {"grid": [True, 3], "bits": ""}):  # fmt: skip
        with pytest.raises(ValueError):
            unpack_grid(bad)


def test_grid_marks_what_moved_not_the_shaken_set():
    h, w = 270, 480
    ref = _texture(h, w, 1)
    patch = _texture(60, 60, 2)
    ref[100:160, 200:260] = patch
    # the camera shifted by (2.5, -1.5) px; the square moved 6 px more to the right
    shift = np.float32([[1, 0, 2.5], [0, 1, -1.5]])
    frame = cv2.warpAffine(ref, shift, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    frame[98:158, 208:268] = patch  # where the moved square lands in the frame
    noise = np.random.default_rng(3)  # a camera's noise, in both stills
    ref = ref + noise.normal(0, 0.01, ref.shape).astype(np.float32)
    frame = frame + noise.normal(0, 0.01, frame.shape).astype(np.float32)
    matrix = np.array([[1, 0, -2.5], [0, 1, 1.5], [0, 0, 1]], float)  # frame -> reference
    grid = moving_grid(ref, frame, matrix, reference_gradient(ref))
    assert grid.shape == (-(-h // CELL), -(-w // CELL))
    # frame cells over the square's old and new place (4 px around them: dilation, blur)
    gh, gw = grid.shape
    ys, xs = (np.arange(gh + 1) * h / gh), (np.arange(gw + 1) * w / gw)
    rows = (ys[1:] > 94) & (ys[:-1] < 162)
    cols = (xs[1:] > 196) & (xs[:-1] < 272)
    cells = rows[:, None] & cols[None, :]
    assert grid[cells].mean() > 0.5
    assert not grid[~cells].any()


def test_sidecar_rejects_a_bad_moving_entry():
    doc = {"schema_version": 1, "reference_frame": 1, "frames": [
        {"frame": 1, "matrix": np.eye(3).tolist(), "moving": {"grid": [2, 2], "bits": "AAAA"}}]}  # fmt: skip
    with pytest.raises(SidecarError, match="frame 1: 'moving'"):
        check_sidecar(doc)
    doc["frames"][0]["moving"] = pack_grid(np.ones((2, 2), bool))
    assert check_sidecar(doc) is doc


class _Looks(Plugin):
    name = "looks"

    def __init__(self) -> None:
        super().__init__()
        self.seen: list = []

    def render(self, frame, ctx: FrameContext):
        self.seen.append(ctx.moving)
        return frame


def test_render_frame_hands_the_stabilize_grid_to_earlier_plugins():
    grid = np.zeros((4, 6), bool)
    grid[1, 2] = True
    stab = StabilizePlugin()
    stab.set_analysis({"schema_version": 1, "reference_frame": 1, "frame_size": [96, 64], "frames": [
        {"frame": 1, "matrix": np.eye(3).tolist(), "moving": pack_grid(grid)},
        {"frame": 2, "matrix": np.eye(3).tolist()}]})  # fmt: skip
    looks = _Looks()
    frame = np.zeros((64, 96, 3), np.uint8)
    render_frame(frame, [looks, stab], frame=1)
    render_frame(frame, [looks, stab], frame=2)
    assert np.array_equal(looks.seen[0], grid)
    assert looks.seen[1] is None


@pytest.fixture(scope="module")
def set_lines_frame() -> np.ndarray:
    """A seam-free held-out frame of the synthetic world (352x480) with a line of the set
    that the shipped detector finds off any face and the gate leaves alone."""
    from laika_fx_train.seam.evaluate import heldout_scenes

    return (heldout_scenes(25, seed=999, p_seam=0.0)[24].frame * 255 + 0.5).astype(np.uint8)


def _render(frame: np.ndarray, moving, **settings) -> FrameContext:
    ctx = FrameContext(frame=1, moving=moving)
    SeamRemoval({"detect_only": True, **settings}).render(frame, ctx)
    return ctx


def test_a_line_on_what_moved_counts_as_on_the_puppet(set_lines_frame):
    alone = _render(set_lines_frame, None)
    left = alone.notes["seam_removal"]["lines_left_alone"]
    assert left >= 1 and alone.masks["seam_rejected"].any()
    # nothing moved: the same as no evidence
    still = _render(set_lines_frame, np.zeros((22, 30), bool))
    assert np.array_equal(still.masks["seam"], alone.masks["seam"])
    # where the rejected lines lie moved: they count as on the puppet and are painted out
    rej = cv2.resize(alone.masks["seam_rejected"], (30, 22), interpolation=cv2.INTER_AREA) > 0
    moved = _render(set_lines_frame, cv2.dilate(rej.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    assert moved.notes.get("seam_removal", {}).get("lines_left_alone", 0) < left
    assert (moved.masks["seam"] > 0).sum() > (alone.masks["seam"] > 0).sum()
    # the parameter turns it off
    off = _render(set_lines_frame, np.ones((22, 30), bool), motion="off")
    assert np.array_equal(off.masks["seam"], alone.masks["seam"])
