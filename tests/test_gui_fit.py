"""The app fits and keeps its word (pytest-qt): every tool reachable at 1280x720 without an
overflow menu, shape export chosen per batch job, the shot's settings written only when
they changed."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QToolBar, QToolButton  # noqa: E402

from laika_fx.plugins import registry  # noqa: E402

from . import test_gui as base  # noqa: E402

pytestmark = pytest.mark.gui

seam_plugin, shot, window, open_and_wait = base.seam_plugin, base.shot, base.window, base.open_and_wait


def _hidden_tools(win) -> list[str]:
    """The controls of the window's toolbars that are not on screen (cut off into the »
    overflow menu, or outside their bar)."""
    hidden = []
    for bar in win.findChildren(QToolBar):
        ext = bar.findChild(QToolButton, "qt_toolbar_ext_button")
        if ext is not None and ext.isVisible():
            hidden.append(f"{bar.windowTitle()}: overflow menu shown")
        for act in bar.actions():
            if act.isSeparator():
                continue
            w = bar.widgetForAction(act)
            if w is None or not w.isVisible() or not bar.rect().contains(w.geometry()):
                hidden.append(f"{bar.windowTitle()}: {act.text() or w}")
    return hidden


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_every_tool_is_on_screen_at_1280x720_and_1920x1080(qtbot, tmp_path, seam_plugin, shot, size):
    from gui.app import MainWindow

    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    for name, panel in win.plugins.panels.items():
        panel.setChecked(name == "seamtest")
    open_and_wait(qtbot, win, shot)
    QApplication.processEvents()
    assert win.width() == size[0]
    assert _hidden_tools(win) == []
    # the tools named in the issue among them: Carry, the soft brush, undo
    for w in (win.carry_button, win.softness, win.brush, win.paint_bar.widgetForAction(win.undo_action)):
        assert w.isVisible() and w.width() >= w.minimumSizeHint().width() // 2
    # the viewer keeps most of the window; the panels beside and below it do not crowd it
    assert win.viewer.width() >= 0.6 * size[0] and win.viewer.height() >= 0.3 * size[1]
    # the batch dock is no wider than the Effects dock needs (its buttons in two rows)
    assert win.batch.minimumSizeHint().width() <= 360
    rows = win.tool_rows.layout().rows(win.tool_rows.width())
    assert len(rows) == (3 if size[0] == 1280 else 2)

    # the Batch dock raised with a job and its result: still all on screen, the window as big
    win.batch_dock.raise_()
    win.batch.output.setText(str(tmp_path / "out"))
    win.add_current_to_batch()
    win.batch.run()
    job = win.batch.jobs[0]
    base.wait_jobs_ended(qtbot, win, job)
    win.batch.progress_label.setText("step 2/3  ·  analyze · stabilize 0/24  ·  0 frames/min  ·  ETA --:--")
    QApplication.processEvents()
    assert job.status == "done" and win.batch.result.cleaned_label.isVisible()
    assert _hidden_tools(win) == [] and (win.width(), win.height()) == size
    # the queue's Status and Shapes columns are in view without scrolling sideways
    from gui.batch_queue import SHAPES_COLUMN

    tree = win.batch.tree
    for column in (0, 1, 3, SHAPES_COLUMN):
        assert tree.columnViewportPosition(column) + tree.columnWidth(column) <= tree.viewport().width(), column
    win.close()


def test_the_result_pane_follows_a_job_that_starts(qtbot, tmp_path, window, shot):
    open_and_wait(qtbot, window, shot)
    window.plugins.panels["seamtest"].controls["delay_ms"].set_value(150)
    window.batch.output.setText(str(tmp_path / "out"))
    window.add_current_to_batch()
    job = window.batch.jobs[0]
    assert "queued" in window.batch.result.title.text()
    window.batch.run()
    qtbot.waitUntil(lambda: "running" in window.batch.result.title.text(), timeout=5000)
    qtbot.waitUntil(lambda: job.status == "done", timeout=20000)
    qtbot.waitUntil(lambda: "done" in window.batch.result.title.text(), timeout=5000)


def test_a_narrower_window_wraps_the_tool_groups_into_more_rows(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    flow = window.tool_rows.layout()
    wide, narrow = flow.rows(3000), flow.rows(700)
    assert len(wide) == 1 and len(narrow) == 3
    assert flow.heightForWidth(700) > flow.heightForWidth(3000)


def test_shape_export_is_chosen_per_batch_job(qtbot, tmp_path, window, shot, monkeypatch):
    from gui.batch_queue import SHAPES_COLUMN

    # the test seam plugin saves its band mask as the real seam removal does
    monkeypatch.setattr(registry.get("seamtest"), "saved_masks", {"seam": "masks"})
    open_and_wait(qtbot, window, shot)
    q = window.batch
    q.output.setText(str(tmp_path / "with_shapes"))
    q.shapes_box.setChecked(True)
    window.add_current_to_batch()
    q.output.setText(str(tmp_path / "without"))
    window.add_current_to_batch()
    q.output.setText(str(tmp_path / "ticked_later"))
    q.shapes_box.setChecked(False)
    window.add_current_to_batch()
    with_shapes, without, later = q.jobs
    assert with_shapes.export_shapes and without.export_shapes and not later.export_shapes
    # a queued job's Shapes box changes that job only
    q._item(without.id).setCheckState(SHAPES_COLUMN, Qt.Unchecked)
    q._item(later.id).setCheckState(SHAPES_COLUMN, Qt.Checked)
    assert (with_shapes.export_shapes, without.export_shapes, later.export_shapes) == (True, False, True)

    q.run()
    base.wait_jobs_ended(qtbot, window, *q.jobs, timeout=30000)
    assert [j.status for j in q.jobs] == ["done"] * 3, [j.error for j in q.jobs]
    for job, shapes in ((with_shapes, True), (without, False), (later, True)):
        folder = job.output / "shapes"
        assert folder.is_dir() == shapes, job.output
        if shapes:
            stems = [p.name.split(".seam.")[0] for p in sorted(folder.glob("*.seam.json"))]
            assert stems == [p.stem for p in sorted(shot.glob("*.png"))]
            assert len(list(folder.glob("*.seam.svg"))) == 6 and (folder / "seam.nk").is_file()
            doc = json.loads(next(folder.glob("*.seam.json")).read_text())
            assert doc["shapes"], "the band mask became a shape"
        assert len(list((job.output / "masks").glob("*.png"))) == 6  # the masks as before

    # the result says where the shapes went
    q.tree.setCurrentItem(q._item(with_shapes.id))
    assert q.result.shapes_label.isVisible() and str(with_shapes.output / "shapes") in q.result.shapes_label.text()
    assert "seam.nk" in q.result.shapes_label.text()
    q.tree.setCurrentItem(q._item(without.id))
    assert not q.result.shapes_label.isVisible()
    # a job that ran keeps what it ran with
    q._item(without.id).setCheckState(SHAPES_COLUMN, Qt.Checked)
    assert not without.export_shapes and q._item(without.id).checkState(SHAPES_COLUMN) == Qt.Unchecked


def test_shapes_asked_for_without_a_mask_saving_plugin_are_explained(qtbot, tmp_path, window, shot):
    open_and_wait(qtbot, window, shot)
    q = window.batch
    q.output.setText(str(tmp_path / "out"))
    q.shapes_box.setChecked(True)
    window.add_current_to_batch()
    q.run()
    job = q.jobs[0]
    base.wait_jobs_ended(qtbot, window, job)
    assert job.status == "done", job.error
    assert not (tmp_path / "out" / "shapes").exists()
    # the runner's thread ends right after it signals the job's end; the window shows the
    # result when its event loop gets that signal (on a loaded machine, after the wait above)
    qtbot.waitUntil(lambda: "no plugin in the chain saves a mask" in q.result.shapes_label.text(), timeout=5000)


def test_the_shots_settings_are_written_only_when_they_changed(qtbot, tmp_path, window, shot):
    from gui.app import MainWindow

    settings_file = shot.parent / "shot.laika_fx" / "settings.json"
    # open and leave a shot, open and close a window on it: nothing is written
    open_and_wait(qtbot, window, shot)
    window.model.set_frame(1003)  # looking around is not a change
    window.set_view_mode("after")
    window.exposure_slider.setValue(10)
    window.close()
    assert not settings_file.exists()

    # a change is written (after a short pause, and at the latest on close)
    win = MainWindow(window.settings)
    qtbot.addWidget(win)
    for name, panel in win.plugins.panels.items():
        panel.setChecked(name == "seamtest")
    win.show()
    open_and_wait(qtbot, win, shot)
    assert not settings_file.exists()  # switching the panels off before opening is no change of this shot's
    win.plugins.panels["seamtest"].controls["width"].editor.setValue(0.2)
    qtbot.waitUntil(settings_file.is_file, timeout=3000)
    written, stamp = settings_file.read_bytes(), settings_file.stat().st_mtime_ns
    win.close()
    assert settings_file.stat().st_mtime_ns == stamp  # closing wrote nothing more

    # opened again: unchanged, closed: the file is not touched; a change undone: not either
    again = MainWindow(window.settings)
    qtbot.addWidget(again)
    again.show()
    open_and_wait(qtbot, again, shot)
    width = again.plugins.panels["seamtest"].controls["width"]
    assert width.value() == pytest.approx(0.2)
    width.editor.setValue(0.3)
    width.editor.setValue(0.2)
    again.save_shot_settings()
    again.add_current_to_batch()  # queued with the settings on disk: nothing to write
    again.close()
    assert settings_file.stat().st_mtime_ns == stamp and settings_file.read_bytes() == written


def test_the_labels_on_the_viewer_never_cover_each_other(qtbot, window, shot):
    open_and_wait(qtbot, window, shot)
    window.exposure_slider.setValue(20)
    window.gamma_slider.setValue(180)
    window.toggle_channel("y")
    viewer = window.viewer
    for width in (1400, 700, 420):
        viewer.resize(width, 400)
        viewer.set_wipe(0.55)
        labels = viewer.label_boxes()
        badges, view_label = labels[:-1], labels[-1]
        assert not any(view_label.intersects(b) for b in badges), width
        assert view_label.left() >= 0
        for tag, _text in viewer.wipe_tags(viewer.image_rect()):
            assert not any(tag.intersects(b) for b in labels), width


def test_nothing_shows_through_the_docked_panels(qtbot, tmp_path, window):
    """Qt can leave the tab bar of the docks' first layout (before the window is resized)
    behind the bottom docks; it showed between the camera panel's buttons and its plot.
    The panels are opaque: a widget left behind one never shows."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QWidget

    for dock in (window.camera_dock, window.log_dock):
        dock.raise_()
        panel = dock.widget()
        stray = QWidget(window)  # stands in for Qt's stale tab bar
        stray.setAutoFillBackground(True)
        pal = stray.palette()
        pal.setColor(stray.backgroundRole(), QColor(255, 0, 0))
        stray.setPalette(pal)
        stray.setGeometry(QRect(panel.mapTo(window, QPoint(0, 0)), panel.size()))
        stray.show()
        stray.lower()
        QApplication.processEvents()
        image = window.grab().toImage()
        origin = panel.mapTo(window, QPoint(0, 0))
        red = sum(QColor(image.pixel(origin.x() + x, origin.y() + y)) == QColor(255, 0, 0)
                  for y in range(0, panel.height(), 3) for x in range(0, panel.width(), 5))  # fmt: skip
        stray.deleteLater()
        assert red == 0, dock.windowTitle()


def test_an_output_the_batch_would_refuse_is_refused_when_queued(qtbot, tmp_path, window, shot):
    open_and_wait(qtbot, window, shot)
    for output, why in ((shot, "is the input folder"), (shot / "render", "inside the input folder")):
        window.batch.output.setText(str(output))
        window.add_current_to_batch()
        assert not window.batch.jobs
        assert "Not queued" in window.notifier.last_error and why in window.notifier.last_error
    assert not (shot / "render").exists()
    window.batch.output.setText(str(tmp_path / "fine"))
    window.add_current_to_batch()
    assert len(window.batch.jobs) == 1


def test_quitting_while_the_batch_renders_asks_first(qtbot, tmp_path, window, shot):
    from .conftest import make_shot

    open_and_wait(qtbot, window, shot)
    big = tmp_path / "big"
    make_shot(big, 10, shape=(60, 80, 3))
    from gui.workers import BatchJob

    job = window.batch.add_job(BatchJob(str(big), tmp_path / "out", [("seamtest", {"delay_ms": 200})], workers=1))
    answers = []
    window.confirm_stop_batch = lambda: answers.append("asked") or len(answers) > 1  # no, then yes
    window.batch.run()
    qtbot.waitUntil(lambda: job.status == "running", timeout=5000)
    window.quit_action.trigger()  # Ctrl+Q: "Keep rendering"
    assert answers == ["asked"] and window.isVisible() and window.runner.running
    window.quit_action.trigger()  # again: "Stop and quit"
    assert answers == ["asked", "asked"] and not window.isVisible()
    assert not window.runner.running and job.status == "cancelled"
    assert len(list((tmp_path / "out").glob("frame.*.png"))) < 10  # stopped, not rendered to the end


def test_with_no_shot_open_the_editing_tools_are_greyed_out(qtbot, tmp_path, seam_plugin):
    from gui.app import MainWindow

    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    for act in (win.carry_range_action, win.carry_shot_action, win.undo_action, win.redo_action,
                win.revert_action, win.key_box_action, win.delete_box_action):  # fmt: skip
        assert not act.isEnabled(), act.text()
    assert win.viewer.badge == ""
