"""The app behaves like an editor: keys wherever the focus is (not while typing), J/K/L,
in/out, Ctrl+Q, the wheel leaves unfocused controls alone, per-shot settings (pytest-qt)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from . import test_gui as base  # noqa: E402

pytestmark = pytest.mark.gui

# the fixtures of test_gui: a window with only the test seam plugin on, a six-frame shot
seam_plugin, shot, window, open_and_wait = base.seam_plugin, base.shot, base.window, base.open_and_wait


def focus(qtbot, widget) -> None:
    widget.window().activateWindow()
    widget.setFocus(Qt.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=2000)


def key(qtbot, k, modifier=Qt.NoModifier) -> None:
    """A key press where the keyboard focus is now (as a user would type it)."""
    qtbot.keyClick(QApplication.focusWidget(), k, modifier)


def test_keys_reach_the_app_after_typing_in_a_field(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    box = window.plugins.panels["seamtest"].controls["width"].editor
    focus(qtbot, box)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "0.2")
    key(qtbot, Qt.Key_Right)  # typing: the arrow moves the text cursor, not the frame
    assert window.model.current == 1001
    key(qtbot, Qt.Key_Return)
    assert box.value() == pytest.approx(0.2)
    assert QApplication.focusWidget() is window.viewer  # Enter handed the keys back
    key(qtbot, Qt.Key_Right)
    assert window.model.current == 1002
    key(qtbot, Qt.Key_Space)
    assert window.timeline.playing
    key(qtbot, Qt.Key_Space)
    assert not window.timeline.playing

    # Esc leaves a field too; the frame box is one
    focus(qtbot, window.timeline.frame_box)
    key(qtbot, Qt.Key_Escape)
    assert QApplication.focusWidget() is window.viewer


def test_keys_work_with_the_focus_on_a_slider_or_a_floating_dock(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    control = window.plugins.panels["seamtest"].controls["width"]
    focus(qtbot, control.slider)
    before = control.value()
    key(qtbot, Qt.Key_Right)
    assert window.model.current == 1002 and control.value() == before  # the frame, not the slider

    window.effects_dock.setFloating(True)
    qtbot.waitUntil(lambda: window.effects_dock.isWindow() and window.effects_dock.isVisible(), timeout=2000)
    check = window.plugins.panels["seamtest"]
    focus(qtbot, control.slider)
    assert QApplication.focusWidget().window() is window.effects_dock
    key(qtbot, Qt.Key_Right)
    assert window.model.current == 1003
    assert check.isChecked()


def test_j_k_l_play_backward_stop_forward_faster(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    t = window.timeline
    focus(qtbot, window.viewer)
    window.model.set_frame(1004)
    key(qtbot, Qt.Key_J)
    assert t.playing and t.direction == -1 and t._timer.interval() == 42
    qtbot.waitUntil(lambda: window.model.current < 1004, timeout=2000)
    key(qtbot, Qt.Key_K)
    assert not t.playing
    key(qtbot, Qt.Key_L)
    assert t.playing and t.direction == 1 and t._timer.interval() == 42
    key(qtbot, Qt.Key_L)
    assert t.speed == 2 and t._timer.interval() == 21
    key(qtbot, Qt.Key_L)
    key(qtbot, Qt.Key_L)
    assert t.speed == 4  # at most 4x
    key(qtbot, Qt.Key_J)  # the other way: back to 1x
    assert t.direction == -1 and t.speed == 1
    key(qtbot, Qt.Key_K)
    assert not t.playing


def test_in_and_out_points_mark_the_timeline_and_bound_playback(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    t = window.timeline
    focus(qtbot, window.viewer)
    window.model.set_frame(1002)
    key(qtbot, Qt.Key_I)
    window.model.set_frame(1004)
    key(qtbot, Qt.Key_O)
    assert (t.ruler.in_point, t.ruler.out_point) == (1002, 1004)
    assert t.play_range == (1002, 1004)
    # the ruler paints the range: the frame outside it is darker than inside
    image = t.ruler.grab().toImage()
    y = t.ruler.height() - 4
    inside, outside = image.pixelColor(round(t.ruler._x(1003)) + 3, y), image.pixelColor(round(t.ruler._x(1006)), y)
    assert outside.lightness() < inside.lightness()
    seen: list[int] = []
    window.model.frame_changed.connect(seen.append)
    key(qtbot, Qt.Key_L)
    qtbot.waitUntil(lambda: len(seen) >= 7, timeout=4000)
    key(qtbot, Qt.Key_K)
    assert set(seen) == {1002, 1003, 1004}  # looped between in and out
    window.model.set_frame(1001)
    key(qtbot, Qt.Key_O)  # an out point before the in point drops the in point
    assert (t.ruler.in_point, t.ruler.out_point) == (None, 1001)
    key(qtbot, Qt.Key_X, Qt.AltModifier)
    assert (t.ruler.in_point, t.ruler.out_point) == (None, None)


def test_ctrl_q_quits(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    box = window.plugins.panels["seamtest"].controls["width"].editor
    focus(qtbot, box)  # even from a text field
    key(qtbot, Qt.Key_Q, Qt.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2000)


def _wheel(widget, steps: int = -1) -> None:
    """One notch of the mouse wheel over the middle of ``widget`` (negative: towards you)."""
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(pos, widget.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120 * steps), Qt.NoButton,
                        Qt.NoModifier, Qt.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_effects_panel_not_an_unfocused_control(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    window.resize(1400, 500)  # the Effects panel is taller than its dock: it scrolls
    bar = window.effects_scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=2000)
    bar.setValue(0)
    for name in ("deflicker", "stabilize"):  # on (enabled controls); no preview: no analysis yet
        window.plugins.panels[name].setChecked(True)
    deflicker = window.plugins.panels["deflicker"].controls
    stabilize = window.plugins.panels["stabilize"].controls
    assert deflicker["max_gain"].slider.isEnabled()
    focus(qtbot, window.viewer)
    for w in (deflicker["max_gain"].slider, deflicker["max_gain"].editor, stabilize["motion"].editor):
        before = {n: c.value() for n, c in {**deflicker, **stabilize}.items()}
        position = bar.value()
        _wheel(w)
        assert {n: c.value() for n, c in {**deflicker, **stabilize}.items()} == before
        assert bar.value() > position or bar.value() == bar.maximum()
        assert w.focusPolicy() == Qt.StrongFocus  # the wheel does not give it the focus either
    # once clicked into (focused), the wheel changes it
    bar.setValue(0)
    focus(qtbot, deflicker["max_gain"].slider)
    _wheel(deflicker["max_gain"].slider, +1)
    assert deflicker["max_gain"].value() != pytest.approx(0.15)
    # the same holds outside the panel: the frame box under the viewer
    focus(qtbot, window.viewer)
    _wheel(window.timeline.frame_box, +1)
    assert window.model.current == 1001


def test_recent_stores_absolute_paths(qtbot, tmp_path, window, shot, monkeypatch):
    monkeypatch.chdir(shot.parent)
    open_and_wait(qtbot, window, shot.name)  # typed as a relative path
    first = sorted(shot.glob("*.png"))[0].name
    pattern = f"{shot.name}/{first.split('.')[0]}.####.png"
    open_and_wait(qtbot, window, pattern)
    assert window.recent_shots()[:2] == [str(shot.parent / pattern), str(shot)]
    assert window.model.source == str(shot.parent / pattern)
    monkeypatch.chdir(tmp_path.parent)  # from another folder, Recent still opens them
    for source in window.recent_shots()[:2]:
        assert window.open_shot(source), window.notifier.last_error


def test_artist_words_expert_section_and_changed_marks(qtbot, window, shot):
    from gui.plugin_panel import CHANGED_MARK

    seam, stab = window.plugins.panels["seam_removal"], window.plugins.panels["stabilize"]
    threshold, reference = seam.controls["threshold"], stab.controls["reference"]
    assert threshold.editor.text() == "auto" and threshold.value() == 0.0
    assert reference.editor.text() == "first frame" and reference.value() == -1
    assert seam.labels["threshold"].text() == "detection threshold"
    assert "threshold" in seam.labels["threshold"].toolTip()  # the CLI name stays findable
    threshold.set_value(0.5)
    assert threshold.editor.text() == "0.5"  # as many decimals as the value needs
    threshold.set_value(0.9995)
    assert threshold.editor.text() == "0.9995" and threshold.value() == pytest.approx(0.9995)
    deflicker = window.plugins.panels["deflicker"].controls
    assert deflicker["strength"].editor.text() == "1.0" and deflicker["max_gain"].editor.text() == "0.15"
    assert stab.labels["processes"].text() == "faster solve on long shots"
    threshold.set_value(0.0)
    assert threshold.editor.text() == "auto"

    # expert options sit in a collapsed section
    for panel, names in ((stab, ("processes", "shot_pass", "learned")), (seam, ("precision", "confident"))):
        assert not panel.expert_box.isVisible()
        for n in names:
            assert panel.expert_box.isAncestorOf(panel.controls[n]), n
        assert not panel.expert_box.isAncestorOf(panel.controls["reference" if panel is stab else "threshold"])
    window.plugins.panels["stabilize"].setChecked(True)
    stab.expert_button.click()
    assert stab.expert_box.isVisible() and stab.controls["processes"].isVisible()
    stab.expert_button.click()
    assert not stab.controls["processes"].isVisible()

    # a mark on values changed from the default, also on the collapsed Expert button
    assert not stab.changed_from_default and CHANGED_MARK not in stab.expert_button.text()
    stab.controls["shot_pass"].editor.setChecked(False)  # as a click would
    reference.editor.setValue(1003)
    assert set(stab.changed_from_default) == {"shot_pass", "reference"}
    assert CHANGED_MARK in stab.labels["reference"].text() and CHANGED_MARK in stab.labels["shot_pass"].text()
    assert CHANGED_MARK not in stab.labels["motion"].text()
    assert f"{CHANGED_MARK} 1 changed" in stab.expert_button.text()
    stab.reset()
    assert not any(CHANGED_MARK in lab.text() for lab in stab.labels.values())
    assert CHANGED_MARK not in stab.expert_button.text()


def _copy_shot(shot, name):
    import shutil

    other = shot.parent / name
    shutil.copytree(shot, other)
    return other


def test_settings_are_stored_per_shot_beside_it(qtbot, tmp_path, window, shot):
    import json

    from gui.app import MainWindow

    width = window.plugins.panels["seamtest"].controls["width"]
    settings_file = shot.parent / "shot.laika_fx" / "settings.json"
    open_and_wait(qtbot, window, shot)
    assert "none saved with this shot yet" in window.shot_settings_label.text()
    width.editor.setValue(0.2)  # as the artist types it
    window.opacity.setValue(25)
    focus(qtbot, window.viewer)
    window.model.set_frame(1002)
    key(qtbot, Qt.Key_I)
    qtbot.waitUntil(settings_file.is_file, timeout=3000)
    qtbot.waitUntil(lambda: json.loads(settings_file.read_text())["range"]["in"] == 1002, timeout=3000)
    doc = json.loads(settings_file.read_text())
    assert doc["format"] == "laika_fx.gui_settings" and doc["version"] == 1
    assert doc["plugins"]["seamtest"] == {"enabled": True, "settings": {"width": 0.2, "delay_ms": 0}}
    assert doc["view"]["mask_opacity"] == 25 and doc["range"] == {"in": 1002, "out": None}
    assert "shot.laika_fx/settings.json" in window.shot_settings_label.text()
    assert window.shot_settings_label.toolTip() == str(settings_file)

    # another shot keeps its own settings
    other = _copy_shot(shot, "other")
    open_and_wait(qtbot, window, other)
    assert window.timeline.ruler.in_point is None
    width.editor.setValue(0.3)
    open_and_wait(qtbot, window, shot)  # leaving 'other' saves its change at once
    assert width.value() == pytest.approx(0.2) and window.opacity.value() == 25
    assert window.timeline.ruler.in_point == 1002
    open_and_wait(qtbot, window, other)
    assert width.value() == pytest.approx(0.3)

    # nothing of it is global: a new session starts from the defaults, the shot brings its own
    window.save_settings()
    assert not [k for k in window.settings.allKeys() if k.startswith(("plugins", "view"))]
    again = MainWindow(window.settings)
    qtbot.addWidget(again)
    assert again.plugins.panels["seamtest"].controls["width"].value() == pytest.approx(0.05)
    assert again.open_shot(shot)
    assert again.plugins.panels["seamtest"].controls["width"].value() == pytest.approx(0.2)
    assert again.timeline.play_range == (1002, 1006)
    again.close()


@pytest.mark.parametrize("content", ["{not json", '{"format": "laika_fx.gui_settings", "version": 99}'])
def test_a_bad_settings_file_is_reported_and_left_alone(qtbot, window, shot, content):
    settings_file = shot.parent / "shot.laika_fx" / "settings.json"
    settings_file.parent.mkdir()
    settings_file.write_text(content)
    open_and_wait(qtbot, window, shot)
    assert "settings were not used" in window.notifier.last_error
    assert ("newer laika_fx" if "99" in content else "not valid JSON") in window.notifier.last_error
    window.plugins.panels["seamtest"].controls["width"].editor.setValue(0.3)
    window.save_settings()
    assert settings_file.read_text() == content  # loses nothing


def test_batch_renders_in_to_out_and_refuses_a_second_job_into_the_same_output(qtbot, tmp_path, window, shot):
    open_and_wait(qtbot, window, shot)
    focus(qtbot, window.viewer)
    window.model.set_frame(1002)
    key(qtbot, Qt.Key_I)
    window.model.set_frame(1004)
    key(qtbot, Qt.Key_O)
    out = tmp_path / "out_range"
    window.batch.output.setText(str(out))
    window.add_current_to_batch()
    job = window.batch.jobs[0]
    assert job.frames == "1002-1004"
    assert window.batch.tree.topLevelItem(0).text(1) == "1002-1004"

    # the same output again (the same shot, or another): refused, said, nothing queued
    window.add_current_to_batch()
    assert len(window.batch.jobs) == 1
    assert "Not queued" in window.notifier.last_error and str(out) in window.notifier.last_error
    other = _copy_shot(shot, "other")
    open_and_wait(qtbot, window, other)
    window.batch.output.setText(str(out) + "/")  # the same folder, spelled differently
    window.add_current_to_batch()
    assert len(window.batch.jobs) == 1

    window.batch.run()
    base.wait_jobs_ended(qtbot, window, job)
    assert job.status == "done", job.error
    assert sorted(p.name for p in out.glob("frame.*.png")) == [f"frame.{n}.png" for n in (1002, 1003, 1004)]
    # once that job is done, a new one may write there again (a re-render)
    window.add_current_to_batch()
    assert len(window.batch.jobs) == 2 and window.batch.jobs[1].frames is None  # 'other' has no in/out


def test_one_progress_bar_across_analyze_and_render(qtbot, tmp_path, window, shot):
    from gui.batch_queue import JobProgress
    from gui.workers import BatchJob
    from laika_fx.pipeline import ProgressEvent

    # the arithmetic: analyze (deflicker) then render, each half of the bar, never back
    tracker = JobProgress(BatchJob(str(shot), tmp_path / "x", [("deflicker", {}), ("seamtest", {})]))
    assert tracker.phases == 2
    fractions = [tracker.update(ProgressEvent(phase, done, 6, 0, 1.0))
                 for phase in ("analyze:deflicker", "render") for done in range(7)]  # fmt: skip
    assert fractions == sorted(fractions) and fractions[6] == 0.5 and fractions[-1] == 1.0

    # a real run: the bar only moves forward, and says which step it is on
    open_and_wait(qtbot, window, shot)
    window.plugins.panels["deflicker"].setChecked(True)
    window.batch.output.setText(str(tmp_path / "out"))
    window.add_current_to_batch()
    job = window.batch.jobs[0]
    seen: list[tuple[int, str]] = []
    bar = window.batch.progress
    window.runner.progress.connect(lambda _i, _ev: seen.append((bar.value(), window.batch.progress_label.text())))
    window.batch.run()
    base.wait_jobs_ended(qtbot, window, job, timeout=30000)
    assert job.status == "done", job.error
    values = [v for v, _ in seen]
    assert values == sorted(values) and values[-1] == 1000  # full when done
    assert any(text.startswith("step 1/2") for _, text in seen) and any(t.startswith("step 2/2") for _, t in seen)


def test_cancel_one_job_the_queue_goes_on_then_retry_it(qtbot, tmp_path, window, shot):
    from gui.workers import BatchJob

    from .conftest import make_shot

    open_and_wait(qtbot, window, shot)
    big = tmp_path / "big"
    make_shot(big, 12, shape=(120, 160, 3))
    q = window.batch
    slow = q.add_job(BatchJob(str(big), tmp_path / "out_slow", [("seamtest", {"delay_ms": 300})], workers=1))
    quick = q.add_job(BatchJob(str(shot), tmp_path / "out_quick", [("seamtest", {})]))
    later = q.add_job(BatchJob(str(shot), tmp_path / "out_later", [("seamtest", {})]))
    q.tree.setCurrentItem(q._item(later.id))
    q.cancel_job_button.click()  # a queued job: skipped, at once
    assert later.status == "cancelled" and q.tree.topLevelItem(2).text(3) == "cancelled"
    assert q.retry_button.isEnabled()

    events = []
    window.runner.progress.connect(lambda i, ev: events.append((i, ev)))
    q.run()
    qtbot.waitUntil(lambda: any(i == slow.id and ev.phase == "render" and ev.done >= 1 for i, ev in events),
                    timeout=10000)  # fmt: skip
    q.tree.setCurrentItem(q._item(slow.id))
    q.cancel_job_button.click()  # the running job: stops after the frames in flight
    base.wait_jobs_ended(qtbot, window, slow, quick)
    assert slow.status == "cancelled" and slow.report["cancelled"] is True
    assert 1 <= len(list((tmp_path / "out_slow").glob("frame.*.png"))) < 12
    assert quick.status == "done", quick.error  # the queue went on
    assert len(list((tmp_path / "out_quick").glob("frame.*.png"))) == 6
    assert later.status == "cancelled" and not (tmp_path / "out_later").exists()

    # retry the one cancelled while queued: queued again, then rendered
    q.tree.setCurrentItem(q._item(later.id))
    q.retry_button.click()
    assert later.status == "queued" and q.tree.topLevelItem(2).text(3) == "queued"
    q.run()
    base.wait_jobs_ended(qtbot, window, later)
    assert later.status == "done" and len(list((tmp_path / "out_later").glob("frame.*.png"))) == 6


def test_recent_button_draws_one_menu_arrow(window):
    from PySide6.QtWidgets import QToolButton

    button = window.recent_button
    assert button.menu() is window.recent_menu and button.popupMode() == QToolButton.InstantPopup
    # Qt draws the menu indicator of an InstantPopup button itself: the text has no arrow of its own
    assert button.text() == "Recent" and not any(c in button.text() for c in "▾▼▿⌄")
