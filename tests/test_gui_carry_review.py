"""Carry a correction (issue 12 part 1) and review at speed (part 3) together: their keys,
the render cache after a carried correction is applied or undone, the soft mask overlay
in the indexed overlay (pytest-qt, offscreen, real files)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from . import test_gui_carry as carry  # noqa: E402
from .carry_scene import stroke_line  # noqa: E402

seam_plugin, window, moving_shot = carry.seam_plugin, carry.window, carry.moving_shot
open_and_wait, VELOCITY = carry.open_and_wait, carry.VELOCITY

pytestmark = pytest.mark.gui


def _wait_cached(qtbot, cache, frames, timeout=20000) -> None:
    qtbot.waitUntil(lambda: set(frames) <= cache.cached_frames, timeout=timeout)


def test_no_two_actions_share_a_key(window):
    keys = Counter(seq.toString() for act in window.actions() for seq in act.shortcuts() if not seq.isEmpty())
    assert not [k for k, n in keys.items() if n > 1], keys  # Qt fires neither of two actions on one key


def test_c_carries_and_shift_a_is_the_ab_compare(qtbot, window, moving_shot):
    win, v = window, window.viewer
    open_and_wait(qtbot, win, moving_shot)
    carry._paint_line(qtbot, win, 0)
    qtbot.keyClick(v, Qt.Key_C)
    assert v.mode != "ab" and (win.carry_worker.running or win.pending is not None)
    qtbot.waitUntil(lambda: win.pending is not None, timeout=30000)
    win.discard_carry()
    qtbot.keyClick(v, Qt.Key_A, Qt.ShiftModifier)
    assert v.mode == "ab" and v.ab_view == "wipe" and v.channel == "rgb"  # not the alpha view
    assert win.mode_actions["ab"].isChecked()
    qtbot.keyClick(v, Qt.Key_A)  # A alone: still the alpha (or luma) view
    assert v.channel == "a" and v.mode == "ab"


def test_applying_or_undoing_a_carry_drops_the_cached_renders_once(qtbot, window, moving_shot, monkeypatch):
    win = window
    cache = win.cache
    open_and_wait(qtbot, win, moving_shot)
    frames = win.model.shot.frames
    win.model.set_frame(1004)
    qtbot.waitUntil(lambda: win.preview_ready, timeout=5000)
    carry._paint_line(qtbot, win, 3)
    x0, y0, x1, y1 = stroke_line(6, VELOCITY)  # where the carried stroke lands on frame 1007
    mid = round((y0 + y1) / 2), round((x0 + x1) / 2)
    _wait_cached(qtbot, cache, frames)
    assert (cache.get(1007).after[mid] != 0).any()  # not painted out before the carry

    assert win.carry_correction(whole_shot=True)
    qtbot.waitUntil(lambda: win.pending is not None, timeout=30000)
    carried = sorted(win.pending.masks)
    assert 1007 in carried
    _wait_cached(qtbot, cache, frames)  # a correction under review writes nothing, renders nothing new

    configured = []
    real = cache.configure
    monkeypatch.setattr(cache, "configure", lambda setup: (configured.append(setup), real(setup))[1])
    win.apply_carry()
    assert len(configured) == 1  # once for all the frames written, not once per file
    assert not set(carried) & cache.cached_frames  # the renders of those frames are dropped
    _wait_cached(qtbot, cache, frames)
    assert (cache.get(1007).after[mid] == 0).all()  # rendered again with the carried correction

    configured.clear()
    win.undo()  # the whole carried correction, one step
    assert len(configured) == 1 and not set(carried) & cache.cached_frames
    _wait_cached(qtbot, cache, frames)
    assert (cache.get(1007).after[mid] != 0).any()

    configured.clear()
    win.redo()
    assert len(configured) == 1 and not set(carried) & cache.cached_frames


def test_soft_mask_overlay_is_indexed_with_its_values_as_opacity():
    from PySide6.QtGui import QColor, QImage

    from gui.viewer import mask_image

    mask = np.zeros((3, 256), np.uint8)
    mask[1] = np.arange(256)
    soft = mask_image(mask, QColor(255, 128, 0), soft=True)
    hard = mask_image(mask, QColor(255, 128, 0))
    assert soft.format() == QImage.Format_Indexed8 and hard.format() == QImage.Format_Indexed8
    for x in (0, 1, 64, 200, 255):
        c = soft.pixelColor(x, 1)
        assert c.alpha() == x and (x == 0 or (c.red(), c.green(), c.blue()) == (255, 128, 0))
        assert hard.pixelColor(x, 1).alpha() == (255 if x else 0)  # hard: any value > 0 is opaque
    assert soft.pixelColor(100, 0).alpha() == 0
    # a soft request on a mask that is not uint8 draws it hard
    assert mask_image(mask.astype(bool), soft=True).pixelColor(7, 1).alpha() == 255
    assert mask_image(np.full((2, 2), 0.4, np.float32)).pixelColor(1, 1).alpha() == 255  # > 0 is seam


def test_playback_shows_a_carried_correction_under_review_on_each_frame(qtbot, window, moving_shot):
    win, v = window, window.viewer
    open_and_wait(qtbot, win, moving_shot)
    win.model.set_frame(1004)
    qtbot.waitUntil(lambda: win.preview_ready, timeout=5000)
    carry._paint_line(qtbot, win, 3)
    assert win.carry_correction(whole_shot=True)
    qtbot.waitUntil(lambda: win.pending is not None, timeout=30000)
    _wait_cached(qtbot, win.cache, win.model.shot.frames)
    assert not v.has_pending  # frame 1004: the strokes themselves, nothing carried onto it
    win._show_cached(win.cache.get(1007))  # what playback does on each frame
    assert v.has_pending and "carried" not in v.badge
    np.testing.assert_array_equal(v._masks["mask"], win.pending.mask(1007))
    win._show_cached(win.cache.get(1004))
    assert not v.has_pending
    # played for real: frames carried onto show it
    seen = set()
    win.timeline.play(1)
    qtbot.waitUntil(lambda: (seen.add((win._light_frame, v.has_pending)), len(seen) >= 4)[1], timeout=10000)
    win.timeline.stop()
    assert all(has == (frame in win.pending.masks) for frame, has in seen if frame is not None)
