"""The per-shot result in the batch queue: frames cleaned, frames where a line was left alone
(click to look), frames that failed (pytest-qt, offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from . import test_gui as _gui  # noqa: E402
from .conftest import make_foreign_head_shot, make_shot  # noqa: E402

# the app window with the test seam plugin, and a six-frame shot (fixtures of test_gui)
seam_plugin, shot, window = _gui.seam_plugin, _gui.shot, _gui.window
ARTIFACTS, open_and_wait, _seam_models_missing = _gui.ARTIFACTS, _gui.open_and_wait, _gui._seam_models_missing

pytestmark = pytest.mark.gui


def _report(written, left_alone=(), failed=()):
    """A report as run_batch writes it, with the seam_removal notes of ``left_alone``."""
    notes = {
        "frames_with_lines_left_alone": list(left_alone),
        "frames_with_lines_left_on_puppet": [n for n in left_alone if n % 2],
        "lines_left_alone": {str(n): {"lines_left_alone": 2 if n % 2 else 1, "outside_prompt": 1 if n % 2 else 0,
                                      "rejected_by_gate": 1, "rejected_on_puppet": 1 if n % 2 else 0}
                             for n in left_alone},  # fmt: skip
        "summary": "",
    }
    return {
        "frames_written": written, "frames_total": written + len(failed), "frames_skipped": 0,
        "frames_failed": [{"frame": n, "file": f"frame.{n}.png", "error": "read failed: truncated"} for n in failed],
        "notes": {"seam_removal": notes} if left_alone else {},
        "wall_seconds": 2.0, "frames_per_minute": 60.0 * written / 2.0, "stages": {"seam_removal": {
            "ms_per_frame": 120.0, "frames_per_minute": 500.0, "share": 1.0, "frames": written}},
        "resolution": [960, 540], "precision": "int8", "workers": 2, "cancelled": False, "version": "test",
        "input": "shot/frame.####.png", "output": "out", "dtype": "uint8", "channels": 3, "gaps": [], "prompt": None,
    }  # fmt: skip


def _job(source, output, report, status="done", plugins=(("seam_removal", {}),)):
    from gui.workers import BatchJob

    job = BatchJob(str(source), Path(output), [tuple(p) for p in plugins])
    job.status, job.report = status, report
    return job


def test_shot_result_reads_the_report(tmp_path):
    from gui.batch_queue import shot_result

    result = shot_result(_job(tmp_path / "s", tmp_path / "o", _report(20, left_alone=[1004, 1005], failed=[1009])))
    assert result.cleaned == 20 and result.seam_removal
    assert [f for f, _ in result.left_alone] == [1004, 1005]
    assert result.left_alone[1][1] == ("frame 1005  ·  2 lines (1 outside the puppet prompt, 1 rejected by the gate, "
                                       "1 on a face or what moved)")
    assert result.left_alone[0][1] == "frame 1004  ·  1 line (1 rejected by the gate, none on a face or what moved)"
    assert result.failed == [(1009, "frame 1009  ·  frame.1009.png: read failed: truncated")]
    old = _report(20, left_alone=[1004])  # a report of a laika_fx before it counted where the lines lay
    del old["notes"]["seam_removal"]["lines_left_alone"]["1004"]["rejected_on_puppet"]
    assert shot_result(_job(tmp_path / "s", tmp_path / "o", old)).left_alone[0][1] == "frame 1004  ·  1 line (1 rejected by the gate)"
    assert result.headline == "20 frames cleaned  ·  line left alone on 2 (1 on a face or what moved)  ·  1 failed"
    assert result.on_puppet == {1005}
    # no seam removal in the job: frames are "written", nothing about lines
    other = shot_result(_job(tmp_path / "s", tmp_path / "o", _report(3), plugins=[("deflicker", {})]))
    assert other.headline == "3 frames written  ·  0 failed"
    # a job that never ran
    failed = _job(tmp_path / "s", tmp_path / "o", None, status="failed")
    failed.error = "input not found: s"
    assert shot_result(failed).headline == "failed: input not found: s"


def test_result_panel_lists_frames_and_emits_clicks(qtbot, tmp_path):
    from gui.batch_queue import ResultPanel

    panel = ResultPanel()
    qtbot.addWidget(panel)
    panel.show()
    job = _job(tmp_path / "shot", tmp_path / "out", _report(22, left_alone=[1003, 1007], failed=[1010, 1011]))
    panel.show_job(job)
    assert panel.frames("left_alone") == [1003, 1007]
    assert panel.frames("failed") == [1010, 1011]
    assert "22</span> frames cleaned" in panel.cleaned_label.text()
    assert "with a line left alone (1003,1007); <b>2</b> on a face or what moved" in panel.left_alone_label.text()
    # a warning where a missed seam could be, a dot where the lines lay off any face and motion
    assert [panel.left_alone_list.item(i).text()[0] for i in range(2)] == ["⚠", "⚠"]
    job = _job(tmp_path / "shot", tmp_path / "out", _report(22, left_alone=[1002, 1003]))
    panel.show_job(job)
    assert [panel.left_alone_list.item(i).text()[0] for i in range(2)] == ["·", "⚠"]
    job = _job(tmp_path / "shot", tmp_path / "out", _report(22, left_alone=[1003, 1007], failed=[1010, 1011]))
    panel.show_job(job)
    assert "2</span> failed" in panel.failed_label.text()
    # the stage timings are not what the artist sees first: behind "Details"
    assert not panel.details.isVisible() and "ms/frame" in panel.details.toPlainText()
    panel.details_button.click()
    assert panel.details.isVisible()
    with qtbot.waitSignal(panel.frame_requested, timeout=1000) as blocker:
        item = panel.left_alone_list.item(1)
        rect = panel.left_alone_list.visualItemRect(item)
        qtbot.mouseClick(panel.left_alone_list.viewport(), Qt.LeftButton, pos=rect.center())
    assert blocker.args == [1007]
    with qtbot.waitSignal(panel.frame_requested, timeout=1000) as blocker:
        rect = panel.failed_list.visualItemRect(panel.failed_list.item(0))
        qtbot.mouseClick(panel.failed_list.viewport(), Qt.LeftButton, pos=rect.center())
    assert blocker.args == [1010]
    # nothing left alone, nothing failed: a line that says so, not clickable
    panel.show_job(_job(tmp_path / "shot", tmp_path / "out", _report(5)))
    assert panel.frames("left_alone") == [] and panel.left_alone_list.item(0).text() == "no line left alone"
    assert panel.failed_list.item(0).text() == "no frame failed"
    with qtbot.assertNotEmitted(panel.frame_requested):
        rect = panel.left_alone_list.visualItemRect(panel.left_alone_list.item(0))
        qtbot.mouseClick(panel.left_alone_list.viewport(), Qt.LeftButton, pos=rect.center())
    # a running job has no result yet
    panel.show_job(_job(tmp_path / "shot", tmp_path / "out", None, status="running"))
    assert not panel.left_alone_list.isVisible() and "running" in panel.title.text()
    # a job that failed as a whole says why
    failed = _job(tmp_path / "shot", tmp_path / "out", None, status="failed")
    failed.error = "input not found: shot"
    panel.show_job(failed)
    assert "input not found: shot" in panel.title.text()
    assert panel.failed_list.item(0).text() == "job failed: input not found: shot"


def test_clicking_a_frame_opens_that_shot_at_that_frame(qtbot, tmp_path, window, shot):
    """A job of another shot than the open one: clicking its left-alone frame opens it there."""
    other = tmp_path / "other"
    make_shot(other, 8, shape=(90, 160, 3))
    open_and_wait(qtbot, window, shot)
    job = window.batch.add_job(_job(other, tmp_path / "out", None, status="queued"))
    job.status, job.report = "done", _report(8, left_alone=[1002, 1006])
    window.batch._on_finished(job.id)  # as the runner reports a finished job
    window.batch.tree.setCurrentItem(window.batch._item(job.id))
    assert window.batch.result.frames("left_alone") == [1002, 1006]
    lst = window.batch.result.left_alone_list
    qtbot.mouseClick(lst.viewport(), Qt.LeftButton, pos=lst.visualItemRect(lst.item(1)).center())
    qtbot.waitUntil(lambda: window.model.shot is not None and window.model.shot.directory == other, timeout=5000)
    qtbot.waitUntil(lambda: window.model.current == 1006, timeout=5000)
    assert window.timeline.ruler.current == 1006 and window.timeline.frame_box.value() == 1006
    # the open shot: only the frame changes
    qtbot.mouseClick(lst.viewport(), Qt.LeftButton, pos=lst.visualItemRect(lst.item(0)).center())
    qtbot.waitUntil(lambda: window.model.current == 1002, timeout=5000)
    assert window.model.shot.directory == other


def test_real_batch_result_failed_frame(qtbot, tmp_path, window):
    """A real run through the queue: a damaged frame is listed as failed with its error and the
    others count as written."""
    src = tmp_path / "damaged"
    make_shot(src, 5, shape=(90, 160, 3))
    (src / "frame.1003.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    job = window.batch.add_job(_job(src, tmp_path / "out", None, status="queued", plugins=[("seamtest", {})]))
    with qtbot.waitSignal(window.batch.job_done, timeout=20000):  # the queue has the finished job
        window.batch.run()
    window.batch.tree.setCurrentItem(window.batch._item(job.id))
    result = window.batch.result
    assert result.frames("failed") == [1003]
    assert "frame.1003.png" in result.failed_list.item(0).text()
    assert "4</span> frames written" in result.cleaned_label.text()
    assert not result.left_alone_label.isVisible()  # no seam removal in this job


def test_real_seam_removal_result_lists_lines_left_alone(qtbot, tmp_path, window):
    """The shipped seam_removal through the queue on a head the face finder does not know,
    with the face veto (the default soft prior paints this seam out): the frames where it
    left a line alone are listed, and a click shows that frame."""
    if _seam_models_missing():
        pytest.skip(_seam_models_missing())
    src = tmp_path / "head"
    make_foreign_head_shot(src, 3)
    job = _job(src, tmp_path / "out", None, status="queued", plugins=(("seam_removal", {"gate": "face"}),))
    job.frames = "1002-1003"
    window.batch.add_job(job)
    with qtbot.waitSignal(window.batch.job_done, timeout=120000):
        window.batch.run()
    assert job.status == "done", job.error
    window.batch.tree.setCurrentItem(window.batch._item(job.id))
    result = window.batch.result
    expected = job.report["notes"]["seam_removal"]["frames_with_lines_left_alone"]
    assert expected == [1002, 1003]  # as the timeline test sees for this shot
    assert result.frames("left_alone") == expected
    assert "2</span> frames cleaned" in result.cleaned_label.text()
    assert "line left alone on 2" in window.batch._item(job.id).toolTip(0)
    window.resize(1400, 900)
    window.batch_dock.raise_()
    lst = result.left_alone_list
    qtbot.mouseClick(lst.viewport(), Qt.LeftButton, pos=lst.visualItemRect(lst.item(1)).center())
    qtbot.waitUntil(lambda: window.model.shot is not None and window.model.current == 1003, timeout=10000)
    qtbot.waitUntil(lambda: window.preview_ready, timeout=20000)
    ARTIFACTS.mkdir(exist_ok=True)
    window.grab().save(str(ARTIFACTS / "batch_result.png"))
