"""Playback soak of the real main window, run as its own process (offscreen).

``python tests/gui_soak.py SHOT SECONDS RESULT.json`` opens SHOT in ``MainWindow``, plays it
at 24 fps for SECONDS, then stops, closes the window and writes a JSON summary (frames
shown, ``sys.getrefcount(None)`` at start, lowest and end). A PySide6 that corrupts
reference counts ends this process with ``Fatal Python error: none_dealloc`` instead,
which the calling test sees as a non-zero exit code. All plugins are switched off: the
soak exercises the window (timeline, viewer, status bar), not the models.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's gui package

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def main(argv: list[str]) -> int:
    shot, seconds, result_path = Path(argv[0]), float(argv[1]), Path(argv[2])
    from gui.app import MainWindow
    from gui.style import apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app)
    home = Path(tempfile.mkdtemp(prefix="laika-soak-"))
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(home))
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(home))
    window = MainWindow(QSettings(str(home / "settings.ini"), QSettings.IniFormat))
    for panel in window.plugins.panels.values():
        panel.setChecked(False)
    window.resize(1400, 860)
    window.show()
    if not window.open_shot(shot):
        print(window.notifier.last_error, file=sys.stderr)
        return 2

    stats = {"frames_shown": 0, "none_start": sys.getrefcount(None)}
    stats["none_min"] = stats["none_start"]

    def on_frame(_frame: int) -> None:
        stats["frames_shown"] += 1
        stats["none_min"] = min(stats["none_min"], sys.getrefcount(None))

    window.model.frame_changed.connect(on_frame)
    t0 = time.perf_counter()
    window.timeline.toggle_play()

    def finish() -> None:
        left = seconds - (time.perf_counter() - t0)
        if left > 0:  # long single shots are coarse timers: they may fire up to 5 % early
            QTimer.singleShot(round(left * 1000) + 20, finish)
            return
        window.timeline.toggle_play()
        stats["seconds"] = round(time.perf_counter() - t0, 2)
        window.close()
        app.quit()

    def heartbeat() -> None:  # the last line before a fatal error says how far playback got
        print(f"t={time.perf_counter() - t0:5.1f}s frames_shown={stats['frames_shown']} "
              f"refcount(None)={sys.getrefcount(None)}", file=sys.stderr, flush=True)  # fmt: skip

    beat = QTimer()
    beat.timeout.connect(heartbeat)
    beat.start(1000)
    QTimer.singleShot(round(seconds * 1000), finish)
    app.exec()
    stats["none_end"] = sys.getrefcount(None)
    result_path.write_text(json.dumps(stats))
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
