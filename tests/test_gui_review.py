"""Review at speed (issue 12 part 3): the render cache and playback of the result, exposure,
gamma and channel views, A/B compare, the mask outline in After, the viewer's labels.
Real windows offscreen (pytest-qt), the test seam plugin of test_gui, real files on disk."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPointF, Qt, QTimer  # noqa: E402

from laika_fx.io import read_frame, write_frame  # noqa: E402
from laika_fx.overrides import default_mask_override_dir  # noqa: E402
from laika_fx.preview import to_display8  # noqa: E402

from . import test_gui as base  # noqa: E402
from .conftest import digest_tree, make_shot  # noqa: E402

pytestmark = pytest.mark.gui

# the fixtures of test_gui: a window with only the test seam plugin on, a six-frame shot
seam_plugin, shot, window = base.seam_plugin, base.shot, base.window
ARTIFACTS, drag, open_and_wait = base.ARTIFACTS, base.drag, base.open_and_wait


def band_rows(mask: np.ndarray) -> int:
    return int((mask > 0).any(axis=1).sum())


def shown(viewer, x: float, y: float) -> tuple[int, int, int]:
    """The colour the viewer draws at image pixel (x, y)."""
    c = viewer.grab().toImage().pixelColor(viewer.to_widget(QPointF(x + 0.5, y + 0.5)).toPoint())
    return c.red(), c.green(), c.blue()


def near(colour, expect, tol: int = 2) -> bool:
    """Equal within ``tol`` per channel (the viewer scales the frame smoothly)."""
    return all(abs(int(a) - int(b)) <= tol for a, b in zip(colour, expect, strict=True))


def wait_cached(qtbot, cache, frames, timeout=10000) -> None:
    qtbot.waitUntil(lambda: set(frames) <= cache.cached_frames, timeout=timeout)


# --------------------------------------------------------------------------- render cache
def test_cache_fills_ahead_and_is_dropped_when_settings_or_corrections_change(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    cache, h = window.cache, window.model.info.height
    frames = window.model.shot.frames
    wait_cached(qtbot, cache, frames)
    qtbot.waitUntil(lambda: window.cache_bar.frames == set(frames), timeout=2000)  # the cache bar shows them
    assert "cache 6/" in window.cache_status.text()
    entry = cache.get(1003)
    assert band_rows(entry.masks["seam"]) == int(h * 0.05)
    # a cached frame is the render the preview (and the batch) makes of it
    source = read_frame(shot / "frame.1003.png")
    np.testing.assert_array_equal(entry.before, to_display8(source))
    expect = source.copy()
    expect[entry.masks["seam"] > 0] = 0
    np.testing.assert_array_equal(entry.after, expect)

    # a settings change drops everything at once, then the new settings fill it again
    rendered = cache.rendered
    window.plugins.panels["seamtest"].controls["width"].editor.setValue(0.2)
    assert all(band_rows(cache.get(f).masks["seam"]) == int(h * 0.2) for f in cache.cached_frames)
    wait_cached(qtbot, cache, frames)
    assert cache.rendered >= rendered + 6
    assert all(band_rows(cache.get(f).masks["seam"]) == int(h * 0.2) for f in frames)

    # a mask correction saved for one frame: rendered again with it
    window.model.set_frame(1002)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    v = window.viewer
    qtbot.keyClick(v, Qt.Key_B)
    window.brush.setValue(4)
    drag(v, [v.to_widget(QPointF(window.model.info.width * f, h * 0.1)) for f in (0.2, 0.5)])
    assert (default_mask_override_dir(shot) / "frame.1002.png").is_file()
    wait_cached(qtbot, cache, frames)
    assert cache.get(1002).masks["seam"][int(h * 0.1), int(window.model.info.width * 0.3)] == 255
    assert cache.get(1003).masks["seam"][int(h * 0.1), int(window.model.info.width * 0.3)] == 0


def test_cache_memory_budget_keeps_the_frames_the_playhead_reaches_next(qtbot, tmp_path, seam_plugin):
    from gui.render_cache import RenderCache, RenderSetup
    from laika_fx.sequence import open_shot

    make_shot(tmp_path / "s", 10, shape=(100, 120, 3))
    shot10 = open_shot(tmp_path / "s")
    per_frame = 100 * 120 * 3 * 2 + 100 * 120  # before + after + seam mask
    cache = RenderCache(budget_mb=3.5 * per_frame / 2**20)
    try:
        cache.configure(RenderSetup(shot10, [("seamtest", {})]))
        cache.set_playhead(1008, within=(1001, 1010))
        qtbot.waitUntil(lambda: cache.cached_frames == {1008, 1009, 1010}, timeout=10000)
        time.sleep(0.3)
        assert cache.cached_frames == {1008, 1009, 1010}  # it stops at the budget
        assert cache.capacity == 3 and cache.nbytes <= cache.budget
        # looping: after the out point comes the in point; playing backward, the frames before
        cache.set_playhead(1010, within=(1001, 1010))
        qtbot.waitUntil(lambda: cache.cached_frames == {1010, 1001, 1002}, timeout=10000)
        cache.set_playhead(1005, direction=-1)
        qtbot.waitUntil(lambda: cache.cached_frames == {1005, 1004, 1003}, timeout=10000)
        assert cache.nbytes <= cache.budget
        cache.set_paused(True)  # paused: nothing more is rendered
        n = cache.rendered
        cache.set_playhead(1001)
        time.sleep(0.3)
        assert cache.rendered == n
    finally:
        cache.stop()


def test_playback_of_the_result_shows_cached_frames_and_never_blocks(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    window.plugins.panels["seamtest"].controls["delay_ms"].set_value(250)
    window.plugins.panels["seamtest"].changed.emit()
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    qtbot.keyClick(window.viewer, Qt.Key_E)  # After
    window.model.set_frame(1001)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    shown_frames, gaps = [], []
    last = [time.perf_counter()]

    def tick() -> None:  # the event loop's pulse while playing
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    pulse = QTimer()
    pulse.timeout.connect(tick)
    pulse.start(10)

    def on_frame(frame: int) -> None:
        entry = window.cache.get(frame)
        shown_frames.append((frame, entry is not None and window.viewer.array("after") is entry.after))

    window.model.frame_changed.connect(on_frame)
    window.timeline.play(1)
    qtbot.waitUntil(lambda: len(shown_frames) >= 4, timeout=15000)
    assert window.viewer.playback.startswith("▶")
    fps = window.playback_fps
    window.timeline.stop()
    pulse.stop()
    # every frame played was the cached render, shown as soon as the cache had it: the
    # 250 ms renders throttle the frame rate (real rate shown), never the event loop
    assert all(ok for _f, ok in shown_frames), shown_frames
    assert [f for f, _ in shown_frames][:4] == [1002, 1003, 1004, 1005]
    assert 0 < fps < 10
    assert max(gaps) < 0.2, max(gaps)
    # stopped: the mask editor and the preview follow the frame again
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    assert window.viewer.playback == ""
    assert window.mask_editor.frame_path.name == f"frame.{window.model.current}.png"


def test_turning_playback_around_turns_the_cache_around(qtbot, tmp_path, window):
    """With room for 3 frames, J after L: the cache renders the frames behind the playhead."""
    make_shot(tmp_path / "ten", 10, shape=(60, 80, 3))
    window.cache.budget = 3 * (60 * 80 * 3 * 2 + 60 * 80) + 100
    open_and_wait(qtbot, window, tmp_path / "ten")
    qtbot.keyClick(window.viewer, Qt.Key_E)
    window.model.set_frame(1005)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    window.timeline.play(1)
    qtbot.waitUntil(lambda: window.model.current >= 1007, timeout=5000)
    window.timeline.play(-1)
    turn = window.model.current
    qtbot.waitUntil(lambda: window.model.current <= turn - 2, timeout=5000)
    window.timeline.stop()
    assert len(window.cache.cached_frames) <= 3


def test_cached_playback_reaches_the_frame_rate(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    qtbot.keyClick(window.viewer, Qt.Key_E)
    wait_cached(qtbot, window.cache, window.model.shot.frames)
    held = []
    window.timeline.step_requested.connect(lambda _d: held.append(window._waiting))
    window.timeline.play(1)
    qtbot.wait(1500)
    fps = window.playback_fps
    window.timeline.stop()
    # 24 fps asked for; the frames are all cached: never held (the bound leaves room for a
    # busy machine's late timer ticks)
    assert held and not any(held)
    assert 12 <= fps <= 26, fps


# --------------------------------------------------------------------------- display controls
def test_display_lut_is_exposure_in_linear_light_then_gamma():
    from gui.display import apply_display, display_lut

    def lin(v):
        v = v / 255.0
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    lut = display_lut(1.0, 1.0)
    for v in (20, 60, 118):
        target = min(1.0, 2 * lin(v))
        assert abs(lin(int(lut[v])) - target) <= 0.04 * target  # within 8-bit rounding
    assert (display_lut(0.0, 1.0) == np.arange(256)).all()
    assert display_lut(0.0, 2.0)[60] > 60 and display_lut(0.0, 0.5)[60] < 60
    frame = np.zeros((2, 2, 3), np.uint8)
    frame[..., 0], frame[..., 1], frame[..., 2] = 200, 100, 30
    assert apply_display(frame) is frame
    for ch, v in (("r", 200), ("g", 100), ("b", 30)):
        out = apply_display(frame, channel=ch)
        assert (out == v).all() and out.shape == frame.shape
    luma = apply_display(frame, channel="y")
    assert (luma == apply_display(frame, channel="a")).all()  # no alpha: luma
    assert 100 < int(luma[0, 0, 0]) < 200
    alpha = np.full((2, 2), 77, np.uint8)
    assert (apply_display(frame, channel="a", alpha=alpha) == 77).all()
    with pytest.raises(ValueError):
        apply_display(frame, channel="z")


def test_exposure_gamma_and_channels_change_what_is_shown_not_the_outputs(qtbot, tmp_path, window, shot):
    open_and_wait(qtbot, window, shot)
    v = window.viewer
    output = window.preview_output.copy()
    specs = window.current_job().plugins
    before_files = digest_tree(shot)
    x, y = window.model.info.width * 0.3, window.model.info.height * 0.2
    source = read_frame(shot / "frame.1001.png")[int(y), int(x)]
    base = shown(v, x, y)
    assert near(base, source)

    window.exposure_slider.setValue(20)  # +2 stops
    brighter = shown(v, x, y)
    assert sum(brighter) > sum(base) + 60
    assert "+2.0 stops" in v.view_label()
    window.gamma_slider.setValue(200)
    assert sum(shown(v, x, y)) > sum(brighter)
    assert "gamma 2.00" in v.view_label()
    window.reset_display_action.trigger()
    assert near(shown(v, x, y), base) and v.exposure == 0 and v.gamma == 1

    qtbot.keyClick(v, Qt.Key_R)
    assert v.channel == "r" and near(shown(v, x, y), (source[0],) * 3) and "RED" in v.view_label()
    qtbot.keyClick(v, Qt.Key_G)
    assert near(shown(v, x, y), (source[1],) * 3)
    qtbot.keyClick(v, Qt.Key_B, Qt.ShiftModifier)
    assert near(shown(v, x, y), (source[2],) * 3) and v.tool == "view"  # B alone stays the brush
    qtbot.keyClick(v, Qt.Key_A)
    assert v.channel == "a" and "LUMA (NO ALPHA)" in v.view_label()
    r, g, b = shown(v, x, y)
    assert r == g == b and min(source) - 2 <= r <= max(source) + 2
    qtbot.keyClick(v, Qt.Key_A)  # the same key again: all channels
    assert v.channel == "rgb" and near(shown(v, x, y), base)

    # none of it reaches a render, the batch's settings, the shot's saved settings or the files
    window.exposure_slider.setValue(-30)
    window.gamma_slider.setValue(150)
    window.model.set_frame(1002)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    window.model.set_frame(1001)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    np.testing.assert_array_equal(window.preview_output, output)
    np.testing.assert_array_equal(window.cache.get(1001).after, output)
    assert window.current_job().plugins == specs
    assert not window._shot_settings.exists()  # display changes are no change of the shot's settings
    window.save_shot_settings(force=True)  # (as queueing the shot writes them)
    saved = (window._shot_settings).read_text()
    assert "exposure" not in saved and "gamma" not in saved
    assert digest_tree(shot) == before_files


def test_exposure_of_a_16_bit_frame_shows_its_own_gradations(qtbot, tmp_path, window):
    """Lifting the shadows works on the stored 16-bit values, not on the 8-bit copy."""
    folder = tmp_path / "deep"
    folder.mkdir()
    frame = np.zeros((40, 512, 3), np.uint16)
    frame[:] = np.arange(512, dtype=np.uint16)[None, :, None] * 4  # 0..2044: 8 steps in 8 bits
    for n in (1, 2):
        write_frame(folder / f"d.{n:04d}.tif", frame)
    open_and_wait(qtbot, window, folder)
    v = window.viewer

    def levels() -> int:
        img = v._before
        return len({img.pixelColor(x, 20).red() for x in range(512)})

    assert levels() == 8  # the display copy: the top 8 bits
    window.exposure_slider.setValue(40)  # +4 stops
    assert levels() > 40  # (0-2044 lifted 4 stops spans 56 display codes)
    from gui.display import apply_display

    # the same lift on the 8-bit copy would show no more than its 8 steps
    assert len(np.unique(apply_display(v.array("before"), exposure=4.0))) <= 8


def test_alpha_view_shows_the_frames_alpha(qtbot, tmp_path, window):
    folder = tmp_path / "rgba"
    folder.mkdir()
    frame = np.zeros((60, 80, 4), np.uint8)
    frame[..., :3] = 90
    frame[..., 3] = np.linspace(0, 255, 80, dtype=np.uint8)[None, :]
    for n in (1, 2):
        write_frame(folder / f"f.{n:04d}.png", frame)
    open_and_wait(qtbot, window, folder)
    qtbot.keyClick(window.viewer, Qt.Key_A)
    assert "ALPHA" in window.viewer.view_label() and "LUMA" not in window.viewer.view_label()
    assert near(shown(window.viewer, 70, 10), (frame[10, 70, 3],) * 3, tol=4)


# --------------------------------------------------------------------------- A/B, outline, labels
def test_ab_compares_the_batch_output_and_a_snapshot_with_the_live_result(qtbot, tmp_path, window, shot):
    from laika_fx.pipeline import BatchOptions, run_batch
    from laika_fx.plugins import build_plugins
    from laika_fx.sequence import open_shot

    open_and_wait(qtbot, window, shot)
    h, w = window.model.info.height, window.model.info.width
    v = window.viewer
    qtbot.keyClick(v, Qt.Key_A, Qt.ShiftModifier)
    assert v.mode == "ab" and "B: batch output: none" in v.view_label()

    # a batch at width 0.05, then the live settings go to 0.2
    out = tmp_path / "out"
    window.batch.output.setText(str(out))
    run_batch(open_shot(shot), out, build_plugins([("seamtest", {"width": 0.05})]), BatchOptions(workers=1))
    window.plugins.panels["seamtest"].controls["width"].editor.setValue(0.2)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    window._configure_compare()  # (a batch run from the app does this when it ends)
    qtbot.waitUntil(lambda: v.has_compare, timeout=5000)
    assert "A: live" in v.view_label() and "B: batch output (out)" in v.view_label()
    row = int(h * 0.45) + int(h * 0.1)  # inside the wide live band, below the narrow batch band
    v.set_wipe(0.5)
    assert shown(v, w * 0.25, row) == (0, 0, 0)  # A, left of the wipe: painted out
    assert shown(v, w * 0.75, row) != (0, 0, 0)  # B, right: the batch's frame
    np.testing.assert_array_equal(v.array("compare"), read_frame(out / "frame.1001.png"))
    qtbot.keyClick(v, Qt.Key_Tab)
    assert v.ab_view == "b" and "A:" not in v.view_label()
    assert shown(v, w * 0.25, row) != (0, 0, 0)
    qtbot.keyClick(v, Qt.Key_Tab)
    assert v.ab_view == "a" and shown(v, w * 0.75, row) == (0, 0, 0)

    # a snapshot of the settings (0.2) as B, then the live width goes to 0.01
    qtbot.keyClick(v, Qt.Key_S, Qt.ShiftModifier)
    assert window.compare_source == "snapshot" and v.mode == "ab" and v.ab_view == "wipe"
    window.plugins.panels["seamtest"].controls["width"].editor.setValue(0.01)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    qtbot.waitUntil(lambda: v.has_compare and band_rows(v.array("compare")[:, :, 0] == 0) >= int(h * 0.2),
                    timeout=10000)  # fmt: skip
    assert "B: snapshot" in v.view_label()
    assert shown(v, w * 0.75, row) == (0, 0, 0) and shown(v, w * 0.25, row) != (0, 0, 0)
    # B plays from its own cache too
    window.model.set_frame(1004)
    qtbot.waitUntil(lambda: v.has_compare, timeout=10000)
    assert 1004 in window.compare_cache.cached_frames
    # leaving A/B and coming back keeps B's frames: nothing is rendered again
    qtbot.waitUntil(lambda: len(window.compare_cache.cached_frames) == 6, timeout=10000)
    rendered = window.compare_cache.rendered
    qtbot.keyClick(v, Qt.Key_E)
    qtbot.keyClick(v, Qt.Key_A, Qt.ShiftModifier)
    assert v.has_compare and window.compare_cache.rendered == rendered


def test_after_mode_outlines_the_mask_instead_of_covering_the_result(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    h, w = window.model.info.height, window.model.info.width
    v = window.viewer
    window.opacity.setValue(80)
    top, rows = int(h * 0.45), int(h * 0.05)
    inside = top + rows // 2

    def magenta(c) -> bool:
        return c[0] > 150 and c[1] < 100 and c[2] > 90

    qtbot.keyClick(v, Qt.Key_Q)  # Before: the mask is a fill
    assert magenta(shown(v, w * 0.5, inside)) and not v.outlined
    qtbot.keyClick(v, Qt.Key_E)  # After: the result shows inside, the outline around it
    assert v.outlined
    assert shown(v, w * 0.5, inside) == (0, 0, 0)
    img = v.grab().toImage()
    edge = v.to_widget(QPointF(w * 0.5, top))
    found = [img.pixelColor(int(edge.x()), int(edge.y()) + dy) for dy in range(-2, 3)]
    assert any(magenta((c.red(), c.green(), c.blue())) for c in found)
    # the outline is the mask's edge: a one-pixel mask is outlined around its pixel
    from gui.viewer import mask_outline

    m = np.zeros((5, 6), np.uint8)
    m[2, 3] = 255
    r = mask_outline(m).boundingRect()
    assert (r.x(), r.y(), r.width(), r.height()) == (3, 2, 1, 1)


def test_screenshots_of_the_review_states(qtbot, tmp_path, window, shot):
    """The main states, saved for review by eye (test-artifacts/review_*.png)."""
    from laika_fx.pipeline import BatchOptions, run_batch
    from laika_fx.plugins import build_plugins
    from laika_fx.sequence import open_shot

    out = tmp_path / "out"
    run_batch(open_shot(shot), out, build_plugins([("seamtest", {"width": 0.03})]), BatchOptions(workers=1))
    open_and_wait(qtbot, window, shot)
    window.batch.output.setText(str(out))
    window.plugins.panels["seamtest"].controls["width"].editor.setValue(0.08)
    window.model.set_frame(1003)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    wait_cached(qtbot, window.cache, window.model.shot.frames)
    ARTIFACTS.mkdir(exist_ok=True)
    v = window.viewer

    def save(name: str) -> None:
        qtbot.wait(50)
        assert window.grab().save(str(ARTIFACTS / f"review_{name}.png"))

    qtbot.keyClick(v, Qt.Key_E)
    window.exposure_slider.setValue(15)
    save("after_outline_exposure")
    window.reset_display()
    qtbot.keyClick(v, Qt.Key_G)
    save("green_channel")
    qtbot.keyClick(v, Qt.Key_G)
    qtbot.keyClick(v, Qt.Key_A, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: v.has_compare, timeout=5000)
    save("ab_batch_output")
    window.timeline.play(1)
    qtbot.wait(700)
    save("ab_playing")
    window.timeline.stop()
    for name in ("after_outline_exposure", "green_channel", "ab_batch_output", "ab_playing"):
        img = read_frame(ARTIFACTS / f"review_{name}.png")
        assert img.shape[0] > 600 and img.shape[1] > 1000
