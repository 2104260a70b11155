"""The app: carry a correction over a range (reviewed, then applied), undo per shot, the
soft brush, the timeline's marks (pytest-qt, offscreen, real files)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPointF, Qt  # noqa: E402

from laika_fx.io import read_frame, write_frame  # noqa: E402
from laika_fx.overrides import default_mask_override_dir  # noqa: E402

from . import test_gui as base  # noqa: E402
from .carry_scene import CENTRE, centroid, make_frames, stroke_line  # noqa: E402

# the fixtures of test_gui: a window with only the test seam plugin on
seam_plugin, window = base.seam_plugin, base.window
ARTIFACTS, drag, open_and_wait = base.ARTIFACTS, base.drag, base.open_and_wait

pytestmark = pytest.mark.gui

VELOCITY = (3.0, -1.0)  # the head moves this many pixels per frame (x, y)


@pytest.fixture
def moving_shot(tmp_path: Path) -> Path:
    """Ten frames (1001-1010) of a textured head moving by VELOCITY per frame."""
    folder = tmp_path / "moving"
    folder.mkdir()
    for i, frame in enumerate(make_frames(10, VELOCITY)):
        write_frame(folder / f"frame.{1001 + i}.png", frame)
    return folder


def _grab(win, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    win.grab().save(str(ARTIFACTS / name))


def _band(shape: tuple[int, int]) -> np.ndarray:
    """The test seam plugin's detection (a band at 45 % of the height, 5 % high)."""
    band = np.zeros(shape, bool)
    top = int(shape[0] * 0.45)
    band[top : top + max(1, int(shape[0] * 0.05))] = True
    return band


def _paint_line(qtbot, win, k: int, *, radius: int = 4) -> None:
    """Paint the head's seam line on frame index k (as the scene draws it) with the brush."""
    v = win.viewer
    qtbot.keyClick(v, Qt.Key_B)
    win.brush.setValue(radius)
    x0, y0, x1, y1 = stroke_line(k, VELOCITY)
    pts = [v.to_widget(QPointF(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)) for t in np.linspace(0, 1, 12)]
    drag(v, pts)


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.png")} if folder.is_dir() else set()


def test_carry_a_correction_over_the_in_out_range(qtbot, window, moving_shot):
    win = window
    open_and_wait(qtbot, win, moving_shot)
    folder = default_mask_override_dir(moving_shot)
    win.model.set_frame(1002)
    qtbot.keyClick(win.viewer, Qt.Key_I)  # in point 1002
    win.model.set_frame(1009)
    qtbot.keyClick(win.viewer, Qt.Key_O)  # out point 1009
    win.model.set_frame(1004)
    qtbot.waitUntil(lambda: win.preview_ready, timeout=5000)
    assert not win.carry_range_action.isEnabled()  # nothing painted on this frame yet
    _paint_line(qtbot, win, 3)
    assert _files(folder) == {"frame.1004.png"}
    assert win.carry_range_action.isEnabled() and win.carry_range_action.text() == "Carry 1 stroke"
    source = read_frame(folder / "frame.1004.png")
    band = _band(source.shape)
    c0 = centroid((source > 0) & ~band)

    qtbot.keyClick(win.viewer, Qt.Key_C)  # carry to the in/out range
    qtbot.waitUntil(lambda: win.pending is not None, timeout=30000)
    # under review: nothing written yet, the frames it reached marked, the result shown
    assert _files(folder) == {"frame.1004.png"}
    assert win.pending_bar.isVisible() and "Apply or Discard" in win.pending_label.text()
    assert win.timeline.ruler.pending == {1002, 1003, 1005, 1006, 1007, 1008, 1009}
    win.model.set_frame(1007)
    qtbot.waitUntil(lambda: win.preview_ready, timeout=5000)
    assert win.viewer.has_pending and "not applied yet" in win.viewer.badge
    _grab(win, "carry_pending.png")
    # the preview shows the frame as it will be: the carried stroke "inpainted" (black)
    x0, y0, x1, y1 = stroke_line(6, VELOCITY)
    assert (win.preview_output[round((y0 + y1) / 2), round((x0 + x1) / 2)] == 0).all()

    # undo and painting wait while a correction is under review (it is built on the files as they are)
    win.undo()
    assert "before undoing" in win.notifier.last_error and (folder / "frame.1004.png").is_file()
    before = win.mask_editor.mask.copy() if win.mask_editor.mask is not None else None
    _paint_line(qtbot, win, 0)
    assert "Apply or discard" in win.notifier.last_error
    np.testing.assert_array_equal(win.mask_editor.mask, before)

    qtbot.mouseClick(win.apply_button, Qt.LeftButton)
    assert win.pending is None and not win.pending_bar.isVisible() and not win.timeline.ruler.pending
    expected = {f"frame.{n}.png" for n in range(1002, 1010)}
    assert _files(folder) == expected  # 1001 and 1010 are outside the range
    assert {1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009} <= win.timeline.ruler.marked
    for n in range(1002, 1010):
        mask = read_frame(folder / f"frame.{n}.png")
        assert set(np.unique(mask)) <= {0, 255}  # a hard stroke stays hard
        assert (mask[band] == 255).all()  # the detection of that frame is kept
        err = np.linalg.norm(centroid((mask > 0) & ~band) - c0 - (n - 1004) * np.array(VELOCITY))
        assert err < 1.5, f"frame {n}: the carried stroke is {err:.2f} px off the head's motion"
    qtbot.waitUntil(lambda: win.preview_ready, timeout=5000)
    _grab(win, "carry_applied.png")

    # one undo takes the whole carried correction back (from any frame), then the stroke
    win.model.set_frame(1001)
    win.undo()
    assert _files(folder) == {"frame.1004.png"}
    assert win.model.current == 1001  # a step over many frames does not move the playhead
    win.undo()
    assert _files(folder) == set()
    assert win.model.current == 1004  # the undone stroke's frame is shown
    win.redo()
    win.redo()
    assert _files(folder) == expected


def test_discard_writes_nothing_and_lost_track_is_reported(qtbot, window, moving_shot):
    win = window
    write_frame(moving_shot / "frame.1008.png", np.zeros_like(read_frame(moving_shot / "frame.1008.png")))
    open_and_wait(qtbot, win, moving_shot)
    folder = default_mask_override_dir(moving_shot)
    win.model.set_frame(1005)
    qtbot.waitUntil(lambda: win.preview_ready, timeout=5000)
    _paint_line(qtbot, win, 4)
    assert win.carry_correction(whole_shot=True)
    qtbot.waitUntil(lambda: win.pending is not None, timeout=30000)
    assert win.pending.lost == [1008, 1009, 1010]  # a black frame: nothing to follow from there
    assert "Track lost, not carried: 1008-1010" in win.pending_label.text()
    assert win.timeline.ruler.pending == {1001, 1002, 1003, 1004, 1006, 1007}
    win.discard_carry()
    assert win.pending is None and _files(folder) == {"frame.1005.png"}
    assert not win.timeline.ruler.pending
    # carried again, applied with Ctrl+Return: the frames the track reached get overrides
    qtbot.keyClick(win.viewer, Qt.Key_C, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: win.pending is not None, timeout=30000)
    qtbot.keyClick(win.viewer, Qt.Key_Return, Qt.ControlModifier)
    assert win.pending is None
    assert _files(folder) == {f"frame.{n}.png" for n in range(1001, 1008)}


def test_undo_history_is_the_shots(qtbot, window, moving_shot):
    win = window
    open_and_wait(qtbot, win, moving_shot)
    folder = default_mask_override_dir(moving_shot)
    for n in (1002, 1003):
        win.model.set_frame(n)
        qtbot.waitUntil(lambda: win.preview_ready, timeout=5000)
        _paint_line(qtbot, win, n - 1001)
    win.model.set_frame(1006)
    assert win.undo_action.isEnabled()
    assert "frame.1003.png" in win.undo_action.toolTip()
    qtbot.keyClick(win.viewer, Qt.Key_Z, Qt.ControlModifier)
    assert _files(folder) == {"frame.1002.png"} and win.model.current == 1003
    win.model.set_frame(1005)
    qtbot.keyClick(win.viewer, Qt.Key_Z, Qt.ControlModifier)
    assert _files(folder) == set() and win.model.current == 1002
    assert not win.undo_action.isEnabled()
    win.redo()
    assert _files(folder) == {"frame.1002.png"}
    # another shot has its own (empty) history
    other = moving_shot.parent / "other"
    other.mkdir()
    for p in sorted(moving_shot.glob("*.png"))[:3]:
        (other / p.name).write_bytes(p.read_bytes())
    open_and_wait(qtbot, win, other)
    assert not win.mask_editor.can_undo


def test_soft_brush_leaves_a_feathered_override(qtbot, window, moving_shot):
    win = window
    open_and_wait(qtbot, win, moving_shot)
    folder = default_mask_override_dir(moving_shot)
    v = win.viewer
    qtbot.keyClick(v, Qt.Key_B)
    win.brush.setValue(10)
    win.softness.setValue(60)  # full strength out to 4 px, feathered from 4 to 10 px
    drag(v, [v.to_widget(QPointF(x, 40.0)) for x in (100, 140, 180)])
    mask = read_frame(folder / "frame.1001.png")
    profile = mask[30:51, 140].astype(int)  # across the stroke, centre at index 10
    assert profile[10] == 255 and profile[7] == 255 and profile[13] == 255  # the core
    assert 0 < profile[17] < 255 and 0 < profile[3] < 255  # the feather
    assert profile[0] == 0 and profile[20] == 0  # beyond the radius
    assert np.all(np.diff(profile[10:]) <= 0) and np.all(np.diff(profile[:11]) >= 0)
    assert len(np.unique(mask)) > 10
    assert np.isclose(v.brush_softness, 0.6)
    _grab(win, "soft_brush.png")
    # the softness is saved with the shot's settings
    win.save_shot_settings()
    settings = json.loads((moving_shot.parent / "moving.laika_fx" / "settings.json").read_text())
    assert settings["view"]["softness"] == 60
    # a hard brush leaves only 0 and 255
    win.softness.setValue(0)
    drag(v, [v.to_widget(QPointF(x, 80.0)) for x in (100, 180)])
    hard = read_frame(folder / "frame.1001.png")[64:97, 140]
    assert set(np.unique(hard)) == {0, 255}
    # erasing with a soft brush lowers the mask by its coverage
    qtbot.keyClick(v, Qt.Key_X)
    win.softness.setValue(100)
    drag(v, [v.to_widget(QPointF(140.0, 40.0)), v.to_widget(QPointF(140.0, 40.0))])
    erased = read_frame(folder / "frame.1001.png")
    assert erased[40, 140] == 0 and 0 < erased[40, 146] < mask[40, 146]


def test_timeline_marks_cleaned_left_alone_and_override(qtbot, window, moving_shot, tmp_path):
    win = window
    folder = default_mask_override_dir(moving_shot)
    folder.mkdir(parents=True)
    empty = np.zeros(read_frame(moving_shot / "frame.1001.png").shape[:2], np.uint8)
    write_frame(folder / "frame.1003.png", empty)  # the artist erased the whole seam here
    open_and_wait(qtbot, win, moving_shot)
    ruler = win.timeline.ruler
    assert ruler.marked == {1003}
    assert 1001 in ruler.cleaned  # the band was painted out in the preview
    win.model.set_frame(1003)
    qtbot.waitUntil(lambda: win.preview_ready, timeout=5000)
    assert 1003 not in ruler.cleaned  # an empty override: nothing painted out
    # the last batch's report marks the frames it cleaned and those where it left a line alone
    output = Path(win.batch.output.text())
    output.mkdir(parents=True, exist_ok=True)
    (output / "laika_fx_report.json").write_text(json.dumps({"notes": {"seam_removal": {
        "frames_with_lines_left_alone": [1007, 1008], "frames_cleaned": [1001, 1002, 1004, 1005, 1006]}}}))
    win.model.set_frame(1010)  # the playhead away from the frames looked at
    qtbot.waitUntil(lambda: win.preview_ready, timeout=5000)
    win._mark_left_alone_from_report()
    assert ruler.left_alone == {1007, 1008} and ruler.cleaned == {1001, 1002, 1004, 1005, 1006}
    # the render cache's line (the timeline's lowest strip) does not cover the marks
    qtbot.waitUntil(lambda: {1002, 1003} <= win.cache_bar.frames, timeout=20000)
    img = ruler.grab().toImage()
    h = ruler.height() - ruler.bottom_strip
    assert ruler.bottom_strip > 0

    def colour_at(n: int, y: int):
        c = img.pixelColor(round(ruler._x(n)), y)
        return c.red(), c.green(), c.blue()

    assert colour_at(1002, h - 1)[1] > 150  # green: cleaned
    assert colour_at(1003, h - 1)[1] < 100
    assert colour_at(1003, ruler.height() - 1)[1] > 150  # cached
    assert colour_at(1007, 1)[2] > 200 and colour_at(1007, 1)[0] < 100  # cyan: left alone
    r, g, b = colour_at(1003, h - 5)
    assert r > 200 and b > 100 and g < 100  # magenta: override
    _grab(win, "timeline_marks.png")


def test_discard_stops_a_carry_under_way(qtbot, window, moving_shot):
    win = window
    open_and_wait(qtbot, win, moving_shot)
    folder = default_mask_override_dir(moving_shot)
    _paint_line(qtbot, win, 0)
    win.plugins.panels["seamtest"].controls["delay_ms"].set_value(300)  # a slow detector
    assert win.carry_correction(whole_shot=True)
    assert win.pending_bar.isVisible() and not win.apply_button.isEnabled()
    assert not win.carry_range_action.isEnabled()  # one carry at a time
    qtbot.mouseClick(win.discard_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not win.carry_worker.running, timeout=10000)
    qtbot.wait(50)  # the worker's last signal
    assert win.pending is None and not win.pending_bar.isVisible()
    assert _files(folder) == {"frame.1001.png"}
    # and a new carry can start
    win.plugins.panels["seamtest"].controls["delay_ms"].set_value(0)
    assert win.carry_correction(whole_shot=True)
    qtbot.waitUntil(lambda: win.pending is not None, timeout=30000)
    assert sorted(win.pending.masks) == list(range(1002, 1011))


def test_the_shots_puppet_prompt_guides_the_carry(qtbot, window, tmp_path):
    """A dab at the edge of a smooth face with a busy set behind: carried by the picture
    alone it drifts with the set; with the shot's puppet prompt (a click keyed on the face
    on the first and last frames) it stays on the face."""
    from laika_fx.prompts import default_prompt_path

    win = window
    shot = tmp_path / "edge"
    shot.mkdir()
    for i, frame in enumerate(make_frames(10, VELOCITY, head_contrast=0.3, set_contrast=1.0)):
        write_frame(shot / f"frame.{1001 + i}.png", frame)
    open_and_wait(qtbot, win, shot)
    v = win.viewer
    qtbot.keyClick(v, Qt.Key_B)
    win.brush.setValue(7)
    x, y = CENTRE[0] + 40, CENTRE[1] + 20
    drag(v, [v.to_widget(QPointF(x, y)), v.to_widget(QPointF(x, y))])
    band = _band((240, 320))
    c0 = centroid((read_frame(default_mask_override_dir(shot) / "frame.1001.png") > 0) & ~band)

    def worst() -> float:
        assert win.carry_correction(whole_shot=True)
        qtbot.waitUntil(lambda: win.pending is not None, timeout=30000)
        errs = [np.linalg.norm(centroid((win.pending.mask(n) > 0) & ~band) - c0 - (n - 1001) * np.array(VELOCITY))
                for n in range(1002, 1011)]  # fmt: skip
        win.discard_carry()
        return max(errs)

    free = worst()
    last = (CENTRE[0] + 9 * VELOCITY[0], CENTRE[1] + 9 * VELOCITY[1])
    default_prompt_path(shot).write_text(json.dumps({"schema_version": 1, "prompts": [{"keys": [
        {"frame": 1001, "point": list(CENTRE), "radius": 50}, {"frame": 1010, "point": list(last), "radius": 50}]}]}))
    win.prompt_editor.load(default_prompt_path(shot))
    guided = worst()
    assert free > 4.0 and guided < 1.0, (free, guided)
