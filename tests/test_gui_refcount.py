"""The app's Qt calls keep Python's reference counts intact, and long playback does not die.

PySide6 6.12.0 on Python 3.11 takes one reference from ``None`` on every Qt call that
returns nothing (``QLabel.setText``, ``QWidget.update``, ``QSpinBox.setValue``...); once
``None``'s count reaches zero the interpreter aborts with ``Fatal Python error:
none_dealloc`` (minutes of painting, seconds of playback). Short GUI tests never get
there, so these tests make the calls an artist's session makes, in bulk:

* ``test_qt_calls_keep_none_refcount``: 50,000 calls into PySide6 (about 20,000 of them
  returning nothing) through the real ``MainWindow`` on ``sample_frames/`` (scrubbing,
  playing, painting the mask, previews); ``sys.getrefcount(None)`` must not fall by more
  than a little noise;
* ``test_playback_soak``: the real window plays the shot for 30 s in a separate
  process, so a fatal error is a failed test, not a dead test run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QEvent, QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from shiboken6 import Shiboken  # noqa: E402

from .conftest import SAMPLE  # noqa: E402

pytestmark = pytest.mark.gui

# None's count moves a little when objects holding None are created or freed (a few
# dozen here); a PySide6 that drops one reference per call loses one per Qt call made.
ALLOWED_DROP = 300
TARGET_CALLS = 50_000  # into PySide6; about 20,000 of them return nothing
SOAK_SECONDS = 30


@pytest.fixture
def sample_shot(tmp_path: Path) -> Path:
    """The sample shot, copied (mask corrections are written beside the shot)."""
    frames = sorted(SAMPLE.glob("frame.*.png"))
    if not frames:
        pytest.fail("sample_frames/ is missing: run python sample_frames/make_sample_frames.py")
    folder = tmp_path / "shot"
    folder.mkdir()
    for p in frames:
        shutil.copy(p, folder / p.name)
    return folder


@pytest.fixture
def main_window(qtbot, tmp_path: Path):
    from gui.app import MainWindow
    from gui.style import apply_theme

    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path / "qt-user"))
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "qt-user"))
    apply_theme(QApplication.instance())
    win = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 860)
    for panel in win.plugins.panels.values():  # the window, not the models
        panel.setChecked(False)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def _mouse(
    widget, kind: QEvent.Type, pos: QPointF, button=Qt.LeftButton, buttons=Qt.LeftButton
) -> None:
    QApplication.sendEvent(
        widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.NoModifier)
    )


def _drag(widget, points: list[QPointF]) -> None:
    """Press, move through, release."""
    _mouse(widget, QEvent.MouseButtonPress, points[0])
    for p in points[1:]:
        _mouse(widget, QEvent.MouseMove, p, Qt.NoButton, Qt.LeftButton)
    _mouse(widget, QEvent.MouseButtonRelease, points[-1], Qt.LeftButton, Qt.NoButton)


class QtCalls:
    """Counts calls from Python into PySide6 on this thread (the test's and the app's).

    A profile hook sees each call of a built-in function; Qt's own C++ calls are not
    Python calls and cannot touch Python reference counts, so they need no counting.
    """

    def __init__(self) -> None:
        self.count = 0

    def _hook(self, frame, event, arg) -> None:
        if event != "c_call":
            return
        owner = getattr(arg, "__self__", None)  # the Qt object, class or signal called
        if (isinstance(owner, Shiboken.Object) or (isinstance(owner, type) and issubclass(owner, Shiboken.Object))
                or type(owner).__module__.startswith("PySide6")):  # fmt: skip
            self.count += 1

    def __enter__(self) -> QtCalls:
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc) -> None:
        sys.setprofile(None)


class NoneRefs:
    """Watches the reference counts of ``None``, ``True`` and ``False`` against the start.

    The broken PySide6 loses a reference to ``None`` per call returning nothing, and one
    to ``True`` per signal emitted (``Fatal Python error: bool_dealloc`` at exit).
    """

    SINGLETONS = {"None": None, "True": True, "False": False}

    def __init__(self) -> None:
        self.starts = {k: sys.getrefcount(v) for k, v in self.SINGLETONS.items()}
        self.start = self.starts["None"]

    def drops(self) -> dict[str, int]:
        return {k: self.starts[k] - sys.getrefcount(v) for k, v in self.SINGLETONS.items()}

    @property
    def drop(self) -> int:
        return max(self.drops().values())

    @property
    def dangerous(self) -> bool:
        """Half of any singleton's references gone: stop before the interpreter aborts."""
        return any(d > self.starts[k] // 2 for k, d in self.drops().items())


def _session_round(qtbot, win, k: int) -> None:
    """One round of what an artist does: scrub, paint, change view settings, preview, play."""
    frames = win.model.shot.frames
    ruler, viewer = win.timeline.ruler, win.viewer
    # scrub: the frame box, then a drag along the ruler
    for i in range(8):
        win.timeline.frame_box.setValue(frames[(k * 7 + i * 3) % len(frames)])
    y = ruler.height() / 2
    _drag(ruler, [QPointF(ruler.width() * f, y) for f in (0.1, 0.3, 0.5, 0.7, 0.9)])
    # paint (or erase) a stroke on the mask, saved as a correction; undo every other one
    win.set_tool("paint" if k % 3 else "erase")
    r = viewer.image_rect()
    cy = r.top() + r.height() * (0.2 + 0.6 * ((k * 0.37) % 1))
    _drag(viewer, [QPointF(r.left() + r.width() * f, cy) for f in (0.2, 0.35, 0.5, 0.65, 0.8)])
    if k % 2:
        win.undo()
    win.set_tool("view")
    # the view bar and status widgets
    win.brush.setValue(5 + k % 40)
    win.opacity.setValue(20 + k % 60)
    win.header.setText(f"<b>round {k}</b>")
    win.preview_status.setText(f"round {k}")
    viewer.set_wipe(0.2 + 0.6 * ((k * 0.13) % 1))
    viewer.update()
    ruler.update()
    win.mode_actions[("before", "wipe", "after")[k % 3]].setChecked(True)
    # a preview of the frame shown (waits for the render)
    if k % 5 == 0:
        win.request_preview()
        qtbot.waitUntil(lambda: win.preview_ready, timeout=10000)
    # play for a moment
    if k % 10 == 7:
        start = win.model.current
        win.timeline.toggle_play()
        qtbot.waitUntil(lambda: win.model.current != start, timeout=5000)
        qtbot.wait(150)
        win.timeline.toggle_play()
    QApplication.processEvents()  # paint what changed


def test_qt_calls_keep_none_refcount(qtbot, main_window, sample_shot):
    win = main_window
    assert win.open_shot(sample_shot), win.notifier.last_error
    qtbot.waitUntil(lambda: win.preview_ready, timeout=10000)
    for n in win.model.shot.frames:
        win.model.read(n)  # decoded once: the loop measures Qt calls, not PNG decoding
    refs = NoneRefs()
    rounds = 0
    t0 = time.perf_counter()
    with QtCalls() as qt:
        while qt.count < TARGET_CALLS and not refs.dangerous:
            _session_round(qtbot, win, rounds)
            rounds += 1
    summary = (f"{qt.count} calls into PySide6 ({rounds} rounds of scrub/paint/preview/play, "
               f"{time.perf_counter() - t0:.1f} s): references lost by None/True/False {refs.drops()} "
               f"(counts at start {refs.starts})")  # fmt: skip
    print(summary)
    assert not refs.dangerous, "stopped early, None was about to be freed: " + summary
    assert refs.drop <= ALLOWED_DROP, "Qt calls take references from None/True/False: " + summary
    assert qt.count >= TARGET_CALLS
    assert win.isVisible() and win.model.current in win.model.shot.frames


@pytest.mark.timeout(SOAK_SECONDS + 90)
def test_playback_soak(tmp_path, sample_shot):
    result = tmp_path / "soak.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    script = Path(__file__).with_name("gui_soak.py")
    proc = subprocess.run([sys.executable, str(script), str(sample_shot), str(SOAK_SECONDS), str(result)],
                          capture_output=True, text=True, env=env, timeout=SOAK_SECONDS + 80)  # fmt: skip
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, (
        f"the window died during playback (exit {proc.returncode}):\n{tail}"
    )
    stats = json.loads(result.read_text())
    print(stats)
    assert stats["seconds"] >= SOAK_SECONDS
    # 24 fps for 30 s is 720 frames; a loaded machine may show fewer, never a stalled few
    assert stats["frames_shown"] >= 8 * SOAK_SECONDS, stats
    assert stats["none_start"] - stats["none_min"] <= ALLOWED_DROP, stats
