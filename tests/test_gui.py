"""GUI tests: real windows offscreen, real frames and files on disk (pytest-qt)."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QEvent, QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from laika_fx.io import read_frame, write_frame  # noqa: E402
from laika_fx.overrides import default_mask_override_dir  # noqa: E402
from laika_fx.plugins import registry  # noqa: E402

from .conftest import SAMPLE, make_shot  # noqa: E402

pytestmark = pytest.mark.gui

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# A seam plugin with a predictable mask, installed through the real entry point group:
# the mask is a horizontal band whose height follows `width`; an artist's override
# replaces it; "inpainting" paints the masked pixels black so tests can see what ran.
SEAMTEST = '''
import time
import numpy as np
from laika_fx.plugins import Param, Plugin

class SeamTest(Plugin):
    name = "seamtest"
    label = "Seam (test)"
    description = "band mask, masked pixels painted black"
    params = (
        Param("width", float, 0.05, minimum=0.01, maximum=0.5, help="band height as a fraction"),
        Param("delay_ms", int, 0, minimum=0, maximum=5000, help="sleep per frame"),
    )

    def render(self, frame, ctx):
        time.sleep(self.settings["delay_ms"] / 1000.0)
        h, w = frame.shape[:2]
        if ctx.mask_override is not None:
            mask = ctx.mask_override
        else:
            mask = np.zeros((h, w), np.uint8)
            top = int(h * 0.45)
            mask[top: top + max(1, int(h * self.settings["width"]))] = 255
        ctx.masks["seam"] = mask
        out = frame.copy()
        out[mask > 0] = 0
        return out
'''


@pytest.fixture
def seam_plugin(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    (site / "seamtest_plugin").mkdir(parents=True)
    (site / "seamtest_plugin" / "__init__.py").write_text(SEAMTEST)
    info = site / "seamtest_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: seamtest_plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[laika_fx.plugins]\nseamtest = seamtest_plugin:SeamTest\n")
    monkeypatch.syspath_prepend(str(site))
    registry.refresh()
    yield
    registry.refresh()
    sys.modules.pop("seamtest_plugin", None)


@pytest.fixture
def shot(tmp_path: Path) -> Path:
    """Six frames of the sample shot (copied: mask overrides are written beside the shot)."""
    folder = tmp_path / "shot"
    frames = sorted(SAMPLE.glob("frame.*.png"))[:6]
    if frames:
        folder.mkdir()
        for p in frames:
            shutil.copy(p, folder / p.name)
    else:
        make_shot(folder, 6, shape=(270, 480, 3))
    return folder


@pytest.fixture
def window(qtbot, tmp_path: Path, seam_plugin):
    from gui.app import MainWindow
    from gui.style import apply_theme

    # never the user's settings: both the explicit file and Qt's default locations
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path / "qt-user"))
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "qt-user"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    apply_theme(QApplication.instance())
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.resize(1400, 860)
    # only the test seam plugin: the real ones may load models and are tested elsewhere
    for name, panel in win.plugins.panels.items():
        panel.setChecked(name == "seamtest")
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def _mouse(widget, kind: QEvent.Type, pos: QPointF, button=Qt.LeftButton, buttons=Qt.LeftButton) -> None:
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.NoModifier)
    QApplication.sendEvent(widget, event)


def drag(widget, points: list[QPointF]) -> None:
    """Press at the first point, move through the others, release at the last."""
    _mouse(widget, QEvent.MouseButtonPress, points[0])
    for p in points[1:]:
        _mouse(widget, QEvent.MouseMove, p, Qt.NoButton, Qt.LeftButton)
    _mouse(widget, QEvent.MouseButtonRelease, points[-1], Qt.LeftButton, Qt.NoButton)


def open_and_wait(qtbot, win, source) -> None:
    assert win.open_shot(source), win.notifier.last_error
    qtbot.waitUntil(lambda: win.preview_ready, timeout=5000)


def wait_jobs_ended(qtbot, win, *jobs, timeout: int = 20000) -> None:
    """Wait until the window has shown each job's end. The worker thread sets ``job.status``
    before the GUI thread has handled that job's last queued progress signals; the queue's row
    says the end only once they are handled (the job-finished signal comes after them)."""
    from gui.batch_queue import _STATUS_TEXT

    def ended(job) -> bool:
        item = win.batch._item(job.id)
        return job.status in ("done", "failed", "cancelled") and item is not None \
            and item.text(3) == _STATUS_TEXT[job.status]  # fmt: skip

    qtbot.waitUntil(lambda: all(ended(j) for j in jobs) and not win.runner.running, timeout=timeout)


# --------------------------------------------------------------------------- open, look
def test_open_shot_header_and_frame_stepping(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    shape = read_frame(sorted(shot.glob("*.png"))[0]).shape
    header = window.header.text()
    assert "1001-1006" in header and f"{shape[1]}×{shape[0]}" in header
    assert "8-bit" in header and "RGB" in header and "gaps none" in header
    assert window.model.current == 1001

    qtbot.keyClick(window.viewer, Qt.Key_Right)
    assert window.model.current == 1002
    qtbot.keyClick(window.viewer, Qt.Key_Right)
    qtbot.keyClick(window.viewer, Qt.Key_Left)
    assert window.model.current == 1002
    qtbot.keyClick(window.viewer, Qt.Key_End)
    assert window.model.current == 1006
    assert window.timeline.frame_box.value() == 1006

    # scrub on the ruler
    ruler = window.timeline.ruler
    drag(ruler, [QPointF(ruler.width() * 0.05, 10), QPointF(ruler.width() * 0.3, 10)])
    assert window.model.current == ruler.frame_at(ruler.width() * 0.3) < 1006

    # play at 24 fps wraps around the shot
    window.model.set_frame(1006)
    window.timeline.toggle_play()
    assert window.timeline._timer.interval() == 42
    qtbot.waitUntil(lambda: window.model.current not in (1006,), timeout=2000)
    window.timeline.toggle_play()
    assert not window.timeline.playing
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)  # preview follows when play stops

    # zoom: wheel zooms in, fit, 100 %
    window.viewer.fit()
    fit_zoom = window.viewer.zoom
    window.viewer.zoom_by(1.25**2)
    assert window.viewer.zoom == pytest.approx(fit_zoom * 1.5625)
    qtbot.keyClick(window.viewer, Qt.Key_1)
    assert window.viewer.zoom == 1.0


def test_recent_shots_and_settings_persist(qtbot, tmp_path, window, shot):
    from gui.app import MainWindow

    open_and_wait(qtbot, window, shot)
    window.plugins.panels["seamtest"].controls["width"].set_value(0.2)
    window.opacity.setValue(30)
    window.save_settings()
    again = MainWindow(window.settings)
    qtbot.addWidget(again)
    assert again.recent_shots()[0] == str(shot)
    assert again.plugins.panels["seamtest"].controls["width"].value() == pytest.approx(0.05)  # not global
    assert again.open_shot(again.recent_shots()[0])
    assert again.plugins.panels["seamtest"].controls["width"].value() == pytest.approx(0.2)  # the shot's
    assert again.opacity.value() == 30
    assert Path(window.settings.fileName()).parent == tmp_path
    again.close()


def test_errors_are_messages_not_crashes(qtbot, tmp_path, window):
    assert not window.open_shot(tmp_path / "no_such_shot")
    assert window.notifier.isVisible()
    assert "no_such_shot" in window.notifier.last_error
    (tmp_path / "empty").mkdir()
    assert not window.open_shot(tmp_path / "empty")
    assert "no numbered frames" in window.notifier.last_error
    assert window.isVisible()


@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_high_bit_depth_is_scaled_for_display_never_altered(qtbot, tmp_path, window, dtype):
    ext = ".tif"
    paths = make_shot(tmp_path / "deep", 4, shape=(40, 60, 3), dtype=dtype, ext=ext)
    paths[2].unlink()  # a gap at 1003
    open_and_wait(qtbot, window, tmp_path / "deep")
    assert "gaps 1 missing (1003)" in window.header.text()
    assert ("16-bit" if dtype == np.uint16 else "32-bit float") in window.header.text()
    arr = window.model.read(1001)
    assert arr.dtype == dtype
    np.testing.assert_array_equal(arr, read_frame(paths[0]))
    img = window.viewer._before
    x, y = 7, 5
    shown = img.pixelColor(x, y)
    expect = arr[y, x] >> 8 if dtype == np.uint16 else np.round(np.clip(arr[y, x], 0, 1) * 255)
    assert [shown.red(), shown.green(), shown.blue()] == [int(v) for v in expect]
    # stepping skips the gap
    window.model.set_frame(1002)
    qtbot.keyClick(window.viewer, Qt.Key_Right)
    assert window.model.current == 1004


# --------------------------------------------------------------------------- preview
def test_parameter_change_reruns_preview_in_background(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    h = window.model.info.height
    band = int((window.mask_editor.mask > 0).any(axis=1).sum())
    assert band == int(h * 0.05)
    control = window.plugins.panels["seamtest"].controls["width"]
    control.editor.setValue(0.2)  # as if typed: emits changed
    qtbot.waitUntil(lambda: window.preview_ready and
                    int((window.mask_editor.mask > 0).any(axis=1).sum()) == int(h * 0.2), timeout=5000)
    assert window.viewer.has_after and window.viewer.has_mask

    # the slider drives the same setting
    control.slider.setValue(0)
    assert control.value() == pytest.approx(0.01)


def test_newer_preview_supersedes_older(qtbot, shot, seam_plugin):
    from gui.workers import PreviewRequest, PreviewWorker

    worker = PreviewWorker()
    got = []
    worker.finished.connect(got.append)
    frame = np.zeros((20, 30, 3), np.uint8)
    t0 = time.perf_counter()
    for i in range(8):
        worker.submit(PreviewRequest(1001, frame, [("seamtest", {"delay_ms": 150, "width": 0.05 + i / 100})]))
    qtbot.waitUntil(lambda: any(r.id == 8 for r in got), timeout=5000)
    # at most the one already running when the others arrived was rendered besides the last
    assert time.perf_counter() - t0 < 1.0
    assert [r.id for r in got] == [8]
    assert got[0].masks["seam"].shape == (20, 30)
    worker.stop()


def test_wipe_toggle_and_mask_overlay(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    v = window.viewer
    assert v.mode == "wipe"
    rect = v.image_rect()
    y = rect.center().y()
    drag(v, [QPointF(v.wipe_x(), y), QPointF(rect.left() + rect.width() * 0.25, y)])
    assert v.wipe == pytest.approx(0.25, abs=0.01)
    qtbot.keyClick(v, Qt.Key_Tab)
    assert v.mode == "before"
    qtbot.keyClick(v, Qt.Key_Tab)
    assert v.mode == "after"
    qtbot.keyClick(v, Qt.Key_W)
    assert v.mode == "wipe"
    window.opacity.setValue(80)
    assert v.mask_opacity == pytest.approx(0.8)
    # in wipe mode the mask is drawn over the before side only; the after side shows the result
    v.set_wipe(0.5)
    img = v.grab().toImage()
    band = v.to_widget(QPointF(0, window.model.info.height * 0.45 + 3)).y()
    rect = v.image_rect()

    def magenta(fx: float) -> bool:
        c = img.pixelColor(int(rect.left() + rect.width() * fx), int(band))
        return c.red() > 150 and c.green() < 100 and c.blue() > 90

    assert magenta(0.25) and not magenta(0.75)
    qtbot.keyClick(v, Qt.Key_B)  # painting: drawn everywhere
    img = v.grab().toImage()
    assert magenta(0.25) and magenta(0.75)
    qtbot.keyClick(v, Qt.Key_V)
    qtbot.keyClick(v, Qt.Key_M)
    assert not v.mask_visible
    qtbot.keyClick(v, Qt.Key_O, Qt.ShiftModifier)
    assert v.onion


def _seam_models_missing() -> str | None:
    from laika_fx.accelerators.runtime import available

    missing = [n for n in ("seam_detector", "inpainter") if not available(n, "int8")]
    return f"seam_removal models not in laika_fx/models: {', '.join(missing)} (train them)" if missing else None


def test_real_seam_removal_detects_the_seam_in_the_sample(qtbot, tmp_path, window):
    """The shipped seam_removal plugin on a sample frame: overlay where the true seam is."""
    reason = _seam_models_missing()
    if reason:
        pytest.skip(reason)
    frame = 1012
    gt_path = SAMPLE / "ground_truth" / "masks" / f"frame.{frame}.png"
    if not gt_path.is_file():
        pytest.skip("sample_frames ground truth not present")
    folder = tmp_path / "sample"
    folder.mkdir()
    for n in (frame - 1, frame, frame + 1):
        shutil.copy(SAMPLE / f"frame.{n}.png", folder / f"frame.{n}.png")
    assert window.plugins.panels["seam_removal"].plugin is registry.get("seam_removal")
    for name, panel in window.plugins.panels.items():
        panel.setChecked(name == "seam_removal")
    assert window.open_shot(folder), window.notifier.last_error
    window.model.set_frame(frame)
    qtbot.waitUntil(lambda: window.preview_ready and window.model.current == frame, timeout=60000)
    assert not window.notifier.last_error, window.notifier.last_error
    gt = read_frame(gt_path) > 0
    mask = window.mask_editor.mask
    assert window.viewer.has_mask and mask is not None and mask.shape == gt.shape
    found = mask > 0
    covered = (found & gt).sum() / gt.sum()
    assert covered > 0.6, f"only {covered:.0%} of the true seam is in the overlay"
    assert found.sum() < 6 * gt.sum(), "the overlay spreads far beyond the seam"
    # the after side: the seam is painted out (closer to the clean plate than the input)
    src = read_frame(folder / f"frame.{frame}.png").astype(np.float32)
    clean = read_frame(SAMPLE / "ground_truth" / "clean" / f"frame.{frame}.png").astype(np.float32)
    after = window.preview_output.astype(np.float32)
    err_in = np.abs(src - clean)[gt].mean()
    err_out = np.abs(after - clean)[gt].mean()
    assert err_out < 0.5 * err_in, (err_in, err_out)
    np.testing.assert_array_equal(after[~found], src[~found])  # nothing outside the mask changes


def test_lines_off_the_face_are_shown_in_cyan_not_painted_out(qtbot, tmp_path, window):
    """A seam-free held-out frame whose set lines the detector flags and the face veto
    (``gate=face``) leaves alone: the app shows them (cyan, both sides of the wipe) and says
    so, and the frame is not changed."""
    reason = _seam_models_missing()
    if reason:
        pytest.skip(reason)
    from laika_fx.accelerators.runtime import available
    from laika_fx.seam_removal.detector import SeamDetector
    from laika_fx_train.seam.evaluate import heldout_scenes

    if not available("face_finder"):
        pytest.skip("face finder model missing")
    folder = tmp_path / "plank"
    folder.mkdir()
    frame8 = (heldout_scenes(25, seed=999, p_seam=0.0)[24].frame * 255 + 0.5).astype(np.uint8)
    lines = SeamDetector(gate="face").detect_lines(frame8)
    assert not lines.mask.any() and lines.rejected_by_gate >= 1
    for n in (1, 2):
        write_frame(folder / f"plank.{n:04d}.png", frame8)
    for name, panel in window.plugins.panels.items():
        panel.setChecked(name == "seam_removal")
    assert window.open_shot(folder), window.notifier.last_error
    qtbot.waitUntil(lambda: window.preview_ready, timeout=60000)
    window.plugins.panels["seam_removal"].set_settings({"gate": "face"})
    window.plugins.changed.emit()  # as an edit of the control does
    words = f"{lines.rejected_by_gate} detected line{'s' if lines.rejected_by_gate > 1 else ''} left alone"
    qtbot.waitUntil(lambda: window.preview_ready and words in window.preview_status.text(), timeout=60000)
    v = window.viewer
    assert v.has_rejected and "rejected by the gate" in window.preview_status.text()
    assert window.timeline.ruler.left_alone == {1}  # the frame on screen (plank.0001)
    np.testing.assert_array_equal(window.preview_output, frame8)  # nothing painted out
    # cyan where the lines left alone are, on both sides of the wipe
    ys, xs = np.nonzero(lines.left_alone)
    img = v.grab().toImage()

    def cyan_near(k: int) -> int:
        found = 0
        for dy in range(-3, 4):
            c = img.pixelColor(v.to_widget(QPointF(xs[k] + 0.5, ys[k] + 0.5 + dy)).toPoint())
            found += c.blue() > 150 and c.green() > 120 and c.red() < 120
        return found

    left = [k for k in range(len(xs)) if xs[k] < 0.45 * frame8.shape[1]]
    right = [k for k in range(len(xs)) if xs[k] > 0.55 * frame8.shape[1]]
    assert left or right
    for side in (left, right):
        if side:
            assert any(cyan_near(k) for k in side[:: max(1, len(side) // 20)]), "no cyan line on this side"
    qtbot.keyClick(v, Qt.Key_M)  # hidden with the seam mask
    img = v.grab().toImage()
    assert not any(cyan_near(k) for k in range(0, len(xs), max(1, len(xs) // 40)))


# --------------------------------------------------------------------------- mask painting
def test_paint_mask_correction_is_saved_and_used_by_batch(qtbot, tmp_path, window, shot):
    open_and_wait(qtbot, window, shot)
    qtbot.keyClick(window.viewer, Qt.Key_Right)  # frame 1002
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    v = window.viewer
    qtbot.keyClick(v, Qt.Key_B)
    assert v.tool == "paint"
    window.brush.setValue(6)
    info = window.model.info
    # a stroke across the top quarter of the frame, far from the detected band
    pts = [v.to_widget(QPointF(info.width * f, info.height * 0.2)) for f in (0.2, 0.4, 0.6)]
    drag(v, pts)
    override = default_mask_override_dir(shot) / "frame.1002.png"
    assert override.is_file()
    saved = read_frame(override)
    assert saved.dtype == np.uint8 and saved.shape == (info.height, info.width)
    row = int(info.height * 0.2)
    assert saved[row, int(info.width * 0.3)] == 255  # painted
    assert saved[int(info.height * 0.45) + 1, 5] == 255  # detection kept
    assert set(np.unique(saved)) == {0, 255}
    assert 1002 in window.timeline.ruler.marked

    # erase part of the band, undo it, redo it
    qtbot.keyClick(v, Qt.Key_X)
    band_y = info.height * 0.45 + 2
    drag(v, [v.to_widget(QPointF(5, band_y)), v.to_widget(QPointF(40, band_y))])
    assert read_frame(override)[int(band_y), 10] == 0
    qtbot.keyClick(v, Qt.Key_Z, Qt.ControlModifier)
    assert read_frame(override)[int(band_y), 10] == 255
    window.redo()
    assert read_frame(override)[int(band_y), 10] == 0

    # the preview uses the correction, and so does the batch
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    assert window.mask_editor.is_override
    window.batch.output.setText(str(tmp_path / "out"))
    window.add_current_to_batch()
    job = window.batch.jobs[-1]
    assert job.plugins == [("seamtest", {"width": 0.05, "delay_ms": 0})]
    window.batch.run()
    wait_jobs_ended(qtbot, window, job)
    assert job.status == "done", job.error
    corrected = read_frame(tmp_path / "out" / "frame.1002.png")
    untouched = read_frame(tmp_path / "out" / "frame.1003.png")
    assert (corrected[row, int(info.width * 0.3)] == 0).all()  # painted area was "inpainted"
    src = read_frame(shot / "frame.1003.png")
    np.testing.assert_array_equal(untouched[row], src[row])  # no correction on 1003
    assert job.report["mask_overrides"] == str(default_mask_override_dir(shot))

    # the command line batch reads the same folder
    from laika_fx.cli import main as cli_main

    assert cli_main(["batch", str(shot), str(tmp_path / "cli_out"), "--plugins", "seamtest"]) == 0
    np.testing.assert_array_equal(read_frame(tmp_path / "cli_out" / "frame.1002.png"), corrected)

    # undo back to the detection removes the override file
    while window.mask_editor.can_undo:
        window.undo()
    assert not override.exists()
    assert 1002 not in window.timeline.ruler.marked


def test_override_files_come_from_the_library(qtbot, window, shot):
    """The app reads and writes the very file the batch reads (``mask_override_path``)."""
    from laika_fx.overrides import load_mask_override, mask_override_path

    folder = default_mask_override_dir(shot)
    folder.mkdir(parents=True)
    good = np.zeros(read_frame(shot / "frame.1002.png").shape[:2], np.uint8)
    good[10:20, 10:60] = 255
    write_frame(mask_override_path(folder, shot / "frame.1002.png"), good)
    # an override of the wrong size: the batch would fail the frame, the app says so
    write_frame(mask_override_path(folder, shot / "frame.1003.png"), np.zeros((8, 8), np.uint8))
    open_and_wait(qtbot, window, shot)
    assert window.timeline.ruler.marked == {1002, 1003}
    window.model.set_frame(1002)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    assert window.mask_editor.is_override
    assert window.mask_editor.path() == mask_override_path(folder, shot / "frame.1002.png")
    np.testing.assert_array_equal(window.mask_editor.mask,
                                  load_mask_override(folder, shot / "frame.1002.png", good))  # fmt: skip
    window.model.set_frame(1003)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    assert not window.mask_editor.is_override
    assert "frame.1003.png not used" in window.notifier.last_error
    assert window.mask_editor.mask is not None  # the detection is shown instead


def test_analyze_shot_writes_sidecars_through_run_analyze(qtbot, tmp_path, window, shot):
    if "deflicker" not in window.plugins.panels:
        pytest.skip("deflicker plugin not installed")
    open_and_wait(qtbot, window, shot)
    window.plugins.panels["deflicker"].setChecked(True)
    window.batch.output.setText(str(tmp_path / "out"))
    window.analyze_current()
    job = window._analysis_job
    qtbot.waitUntil(lambda: not window.analysis_runner.running and job.status != "running", timeout=30000)
    assert job.status == "done", job.error
    assert job.report["analyzed"] == ["deflicker"]
    # the window reads the sidecars when the job's (queued) finished signal arrives
    qtbot.waitUntil(lambda: "deflicker" in window._analyses, timeout=5000)
    sidecar = tmp_path / "out" / "deflicker.json"
    assert sidecar.is_file()
    assert window._analyses["deflicker"] == json.loads(sidecar.read_text())
    from gui.batch_queue import report_text

    assert "analysis written for: deflicker" in report_text(job)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=10000)  # deflicker now previews


# --------------------------------------------------------------------------- batch
def test_batch_completes_then_cancel_leaves_no_partial_outputs(qtbot, tmp_path, window, shot):
    from gui.workers import BatchJob

    open_and_wait(qtbot, window, shot)
    window.batch.output.setText(str(tmp_path / "out_a"))
    window.add_current_to_batch()
    first = window.batch.jobs[0]
    window.batch.run()
    row = window.batch.tree.topLevelItem(0)
    wait_jobs_ended(qtbot, window, first)
    assert first.status == "done", first.error
    assert first.report["frames_written"] == 6 and not first.report["frames_failed"]
    assert len(list((tmp_path / "out_a").glob("frame.*.png"))) == 6
    window.batch.tree.setCurrentItem(row)
    text = window.batch.report.toPlainText()
    assert "frames per minute" in text and "seamtest" in text
    assert row.text(3) == "✔ done"

    # a slow shot: 12 frames at 300 ms each on one worker, cancelled after the first frames
    big = tmp_path / "big"
    make_shot(big, 12, shape=(120, 160, 3))
    out = tmp_path / "out_b"
    slow = window.batch.add_job(BatchJob(str(big), out, [("seamtest", {"delay_ms": 300})], workers=1))
    events = []
    window.runner.progress.connect(lambda _i, ev: events.append(ev))
    window.batch.run()
    assert window.batch.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: any(e.phase == "render" and e.done >= 1 for e in events), timeout=10000)
    assert "frames/min" in window.batch.progress_label.text() and "ETA" in window.batch.progress_label.text()
    window.batch.cancel()
    wait_jobs_ended(qtbot, window, slow, timeout=10000)
    assert slow.status == "cancelled"
    assert slow.report["cancelled"] is True
    written = sorted(out.glob("frame.*.png"))
    assert 1 <= len(written) < 12
    assert not [p for p in out.iterdir() if ".part" in p.name]
    for p in written:  # every file there is complete
        assert read_frame(p).shape == (120, 160, 3)
    assert slow.report["frames_written"] == len(written)
    assert window.isVisible()


def test_failed_job_is_reported(qtbot, tmp_path, window, shot):
    from gui.workers import BatchJob

    job = window.batch.add_job(BatchJob(str(tmp_path / "missing"), tmp_path / "o", [("seamtest", {})]))
    window.batch.run()
    qtbot.waitUntil(lambda: job.status == "failed", timeout=10000)
    qtbot.waitUntil(lambda: "missing" in window.notifier.last_error, timeout=2000)
    assert "input not found" in job.error


# --------------------------------------------------------------------------- camera solve
def _write_solve(path: Path, frames: list[int], reference: int) -> None:
    entries = []
    for i, n in enumerate(frames):
        a = np.radians(0.1 * i)
        raw = [[np.cos(a), -np.sin(a), 2.0 * i], [np.sin(a), np.cos(a), -1.0 * i], [0, 0, 1]]
        smooth = [[1, 0, 1.5 * i], [0, 1, -0.5 * i], [0, 0, 1]]
        entries.append({"frame": n, "matrix": smooth, "to_reference": raw})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"reference_frame": reference, "frames": entries, "mode": "smooth"}))


def test_camera_plot_reads_solve_and_selects_frames(qtbot, tmp_path, window, shot):
    from laika_fx.stabilize.sidecar import load_solve

    frames = list(range(1001, 1007))
    _write_solve(tmp_path / "out" / "stabilize.json", frames, 1003)
    solve = load_solve(tmp_path / "out" / "stabilize.json")
    assert solve.reference == 1003
    assert solve.smoothed["x"][1005] == pytest.approx(6.0)
    assert solve.raw["x"][1005] == pytest.approx(8.0)
    assert solve.raw["rotation"][1005] == pytest.approx(0.4)
    assert solve.has_raw_difference

    open_and_wait(qtbot, window, shot)
    window.batch.output.setText(str(tmp_path / "out"))
    window._refresh_analyses()
    plot = window.camera_plot
    assert plot.solve is not None and plot.solve.reference == 1003
    assert window.timeline.ruler.reference == 1003
    x = plot._frame_x(1005)
    _mouse(plot, QEvent.MouseButtonPress, QPointF(x, 40))
    assert window.model.current == 1005
    _mouse(plot, QEvent.MouseButtonDblClick, QPointF(plot._frame_x(1002), 40))
    if "stabilize" in window.plugins.panels:
        assert window.plugins.panels["stabilize"].controls["reference"].value() == 1002
    else:
        assert "reference" in window.notifier.last_error

    with pytest.raises(ValueError):
        (tmp_path / "bad.json").write_text("{}")
        load_solve(tmp_path / "bad.json")


def test_an_unreadable_frame_leaves_no_other_frames_preview_status(qtbot, window, shot):
    path = sorted(shot.glob("*.png"))[3]
    path.write_bytes(path.read_bytes()[:200])  # truncated
    open_and_wait(qtbot, window, shot)
    assert "preview of 1001" in window.preview_status.text()
    window.model.set_frame(1004)
    assert window.viewer.message == "Frame 1004 cannot be read"
    assert window.preview_status.text() == "no preview: frame 1004 cannot be read"


# --------------------------------------------------------------------------- screenshot
def test_screenshot_main_window(qtbot, tmp_path, window, shot):
    frames = list(range(1001, 1007))
    _write_solve(tmp_path / "out" / "stabilize.json", frames, 1001)
    open_and_wait(qtbot, window, shot)
    window.batch.output.setText(str(tmp_path / "out"))
    window._refresh_analyses()
    window.model.set_frame(1003)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=5000)
    window.viewer.set_wipe(0.55)
    window.opacity.setValue(60)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "gui_main.png"
    image = window.grab()
    assert image.save(str(path))
    img = read_frame(path)
    assert img.shape[0] > 600 and img.shape[1] > 1000
    # the magenta mask overlay is visible somewhere in the viewer
    magenta = (img[:, :, 0] > 150) & (img[:, :, 1] < 90) & (img[:, :, 2] > 90)
    assert magenta.sum() > 200



def test_drop_a_frame_opens_its_sequence(qtbot, window, shot):
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(shot / "frame.1003.png"))])
    event = QDropEvent(QPointF(100, 100), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)
    assert window.model.shot is not None and window.model.shot.frames[0] == 1001
    assert window.recent_shots()[0] == str(shot / "frame.####.png")


def test_controls_follow_the_parameter_schema(qtbot):
    from gui.plugin_panel import ParamControl
    from laika_fx.plugins import Param

    cases = [
        (Param("amount", float, 0.5, minimum=0.0, maximum=2.0), 1.25),
        (Param("radius", int, 3, minimum=1, maximum=9), 7),
        (Param("count", int, 3), -4),
        (Param("fast", bool, True), False),
        (Param("mode", str, "lock", choices=("lock", "smooth")), "smooth"),
        (Param("name", str, "a"), "b"),
    ]
    for param, new in cases:
        control = ParamControl(param)
        qtbot.addWidget(control)
        assert control.value() == param.default
        changed = []
        control.changed.connect(lambda c=changed: c.append(1))
        control.set_value(new)
        assert control.value() == new and not changed  # set_value is silent
        assert (control.slider is not None) == (param.minimum is not None and param.maximum is not None)
    # a bounded int spin box clamps to the schema's range
    control = ParamControl(Param("radius", int, 3, minimum=1, maximum=9))
    qtbot.addWidget(control)
    control.editor.setValue(50)
    assert control.value() == 9


# --------------------------------------------------------------------------- one render path
def test_preview_is_the_batch_output(qtbot, tmp_path, shot):
    """The preview worker renders a frame byte for byte as the batch wrote it (real plugins)."""
    from gui.workers import PreviewRequest, PreviewWorker
    from laika_fx.pipeline import BatchOptions, load_analyses, run_batch
    from laika_fx.plugins import build_plugins
    from laika_fx.sequence import open_shot

    specs = [("deflicker", {}), ("seam_removal", {}), ("stabilize", {"learned": False, "fill_radius": 1})]
    out = tmp_path / "out"
    report = run_batch(open_shot(shot), out, build_plugins(specs), BatchOptions(workers=2, save_masks=True))
    assert report["frames_written"] == 6, report["frames_failed"]
    analyses = load_analyses(out, [registry.get(name) for name, _ in specs])
    assert set(analyses) == {"deflicker", "stabilize"}
    worker = PreviewWorker()
    got = []
    worker.finished.connect(got.append)
    path = shot / "frame.1003.png"
    worker.submit(PreviewRequest(1003, read_frame(path), specs, path=path, analyses=analyses,
                                 read_source=lambda n: read_frame(shot / f"frame.{n}.png")))  # fmt: skip
    qtbot.waitUntil(lambda: bool(got), timeout=60000)
    worker.stop()
    assert got[0].error is None, got[0].error
    np.testing.assert_array_equal(got[0].output, read_frame(out / "frame.1003.png"))
    assert np.abs(got[0].output.astype(int) - read_frame(path)).mean() > 0.5  # the chain did change it
    np.testing.assert_array_equal(got[0].masks["seam"] > 0, read_frame(out / "masks" / "frame.1003.png") > 0)


# --------------------------------------------------------------------------- puppet prompt
def _prompt_doc(shot: Path) -> dict | None:
    from laika_fx.prompts import default_prompt_path

    p = default_prompt_path(shot)
    return json.loads(p.read_text()) if p.is_file() else None


def test_puppet_box_drawn_moved_keyed_and_deleted(qtbot, window, shot):
    """The Puppet tool writes the prompt file the batch reads: draw, move, key, delete."""
    open_and_wait(qtbot, window, shot)
    v = window.viewer
    qtbot.keyClick(v, Qt.Key_P)
    assert v.tool == "prompt"
    drag(v, [v.to_widget(QPointF(100, 50)), v.to_widget(QPointF(200, 120)), v.to_widget(QPointF(300, 200))])
    doc = _prompt_doc(shot)
    assert doc["schema_version"] == 1 and len(doc["prompts"]) == 1
    assert doc["prompts"][0]["box"] == pytest.approx([100, 50, 200, 150], abs=1.0)
    assert [k for k, *_ in v.prompt_boxes] == [0] and window.prompt_editor.selected == 0
    # move it (drag from inside): the whole-shot box moves
    drag(v, [v.to_widget(QPointF(150, 100)), v.to_widget(QPointF(170, 110))])
    assert _prompt_doc(shot)["prompts"][0]["box"] == pytest.approx([120, 60, 200, 150], abs=1.0)
    # key it on 1001, move it on 1003: two keys, interpolated on 1002
    qtbot.keyClick(v, Qt.Key_K, Qt.ShiftModifier)
    window.model.set_frame(1003)
    drag(v, [v.to_widget(QPointF(150, 100)), v.to_widget(QPointF(190, 100))])
    keys = _prompt_doc(shot)["prompts"][0]["keys"]
    assert [k["frame"] for k in keys] == [1001, 1003]
    assert keys[1]["box"] == pytest.approx([160, 60, 200, 150], abs=1.0)
    window.model.set_frame(1002)
    assert v.prompt_boxes[0][2] == pytest.approx((140, 60, 200, 150), abs=1.0)
    # a click on the box selects it and changes nothing (no key on 1002)
    before = _prompt_doc(shot)
    window.prompt_editor.select(None)
    drag(v, [v.to_widget(QPointF(200, 100))])
    assert window.prompt_editor.selected == 0 and _prompt_doc(shot) == before
    # a click elsewhere on the frame is a click prompt (a disc); drag it to move it
    drag(v, [v.to_widget(QPointF(400, 60))])
    assert _prompt_doc(shot)["prompts"][1] == {"point": [400, 60], "radius": 60.0}
    drag(v, [v.to_widget(QPointF(400, 60)), v.to_widget(QPointF(420, 80))])
    assert _prompt_doc(shot)["prompts"][1]["point"] == pytest.approx([420, 80], abs=1.0)
    assert [k for k, *_ in v.prompt_boxes] == [0, 1] and v.prompt_boxes[1][1] == "point"
    # Delete removes the selected one; the file goes with the last
    qtbot.keyClick(v, Qt.Key_Delete)
    assert len(_prompt_doc(shot)["prompts"]) == 1
    drag(v, [v.to_widget(QPointF(200, 100))])
    qtbot.keyClick(v, Qt.Key_Delete)
    assert _prompt_doc(shot) is None and v.prompt_boxes == []


def test_puppet_box_brings_back_a_seam_the_gate_left_alone(qtbot, tmp_path, window):
    """A head the face finder does not know: the preview leaves its seam alone and says so
    (status bar, timeline mark); a puppet box drawn on it makes the preview paint it out."""
    reason = _seam_models_missing()
    if reason:
        pytest.skip(reason)
    from laika_fx.accelerators.runtime import available

    from .conftest import make_foreign_head_shot

    if not available("face_finder"):
        pytest.skip("face finder model missing")
    shot = tmp_path / "head"
    paths, truths = make_foreign_head_shot(shot, 2)
    for name, panel in window.plugins.panels.items():
        panel.setChecked(name == "seam_removal")
    assert window.open_shot(shot), window.notifier.last_error
    qtbot.waitUntil(lambda: window.preview_ready, timeout=60000)
    src = read_frame(paths[0])
    assert not np.array_equal(window.preview_output, src)  # the default soft prior paints it out ...
    window.plugins.panels["seam_removal"].set_settings({"gate": "face"})  # ... the face veto does not
    window.plugins.changed.emit()  # as an edit of the control does
    qtbot.waitUntil(lambda: window.preview_ready and np.array_equal(window.preview_output, src), timeout=60000)
    # the finder does not see this head and the preview has no motion: not counted on the puppet
    assert "1 detected line left alone (1 rejected by the gate, none on a face or what moved)" in window.preview_status.text()
    assert window.viewer.has_rejected and 1001 in window.timeline.ruler.left_alone
    np.testing.assert_array_equal(window.preview_output, src)

    v = window.viewer
    qtbot.keyClick(v, Qt.Key_P)
    drag(v, [v.to_widget(QPointF(150, 60)), v.to_widget(QPointF(500, 320))])
    assert _prompt_doc(shot)["prompts"][0]["box"] == pytest.approx([150, 60, 350, 260], abs=1.0)
    qtbot.waitUntil(lambda: window.preview_ready and window.preview_output is not None
                    and not np.array_equal(window.preview_output, src), timeout=60000)  # fmt: skip
    truth = truths[0]
    found = window._detected > 0
    assert (found & truth).sum() > 0.9 * truth.sum()
    changed = np.any(window.preview_output != src, axis=2)
    assert changed[truth].mean() > 0.8 and not changed[~found].any()
    assert "left alone" not in window.preview_status.text() and 1001 not in window.timeline.ruler.left_alone
    assert not window.viewer.has_rejected


def test_timeline_marks_the_frames_the_last_batch_left_lines_alone_on(qtbot, tmp_path, window):
    """The report of the last batch into the shot's output folder marks its frames."""
    import subprocess

    from gui.shot_model import default_output_dir
    from laika_fx.sequence import open_shot

    from .conftest import make_foreign_head_shot

    if _seam_models_missing():
        pytest.skip(_seam_models_missing())
    shot = tmp_path / "head"
    make_foreign_head_shot(shot, 3)
    out = default_output_dir(open_shot(shot))
    # the face veto leaves this head's seam alone (the default soft prior paints it out)
    res = subprocess.run([sys.executable, "-m", "laika_fx", "batch", str(shot), str(out), "--plugins", "seam_removal",
                          "-q", "--frames", "1002-1003", "--set", "seam_removal.gate=face"],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr
    open_and_wait(qtbot, window, shot)  # previews with the test plugin: frame 1001 has no note
    assert window.timeline.ruler.left_alone == {1002, 1003}


def test_camera_plot_lane_labels_give_the_range_not_one_bound():
    from gui.camera_plot import lane_labels

    # a short lane (the docked panel): one line, the whole range, never a lone bound
    assert lane_labels(-2.98, 0.56, "px", both=False) == ("", "-3.0…+0.6px")
    assert lane_labels(-2.98, 0.56, "px", both=True) == ("+0.6px", "-3.0px")
    # tiny rotations: no "-0.0"
    assert lane_labels(-0.001, 0.001, "°", both=False) == ("", "0.0°")
    assert lane_labels(-0.04, 0.3, "°", both=True) == ("+0.3°", "0.0°")
