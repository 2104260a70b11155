"""Playback in the app: real frames per second at 1080p, the frames as shot and the result.

Makes a 1080p shot from ``sample_frames/`` (each frame scaled up 2x), opens it in the real
main window (offscreen, so the numbers leave out the screen's compositor) and plays it at
24 fps for a few seconds in Before mode (frames decoded on the GUI thread, as before the
render cache: the cache switched off) and in After mode, once the render cache holds the frames, with the plugins
named on the command line switched on. Prints a table: cache fill time, real fps, the
longest the event loop went without running.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_playback.py [--frames 24] [--seconds 4]
        [--plugins seam_removal]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.machine import cpu_model  # noqa: E402
from laika_fx.io import read_frame, write_frame  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def make_shot(folder: Path, frames: int) -> None:
    folder.mkdir(parents=True)
    sources = sorted((ROOT / "sample_frames").glob("frame.*.png"))
    for i in range(frames):
        arr = read_frame(sources[i % len(sources)])
        write_frame(folder / f"frame.{1001 + i:04d}.png", cv2.resize(arr, (1920, 1080), interpolation=cv2.INTER_LINEAR))


def wait(app: QApplication, until, timeout: float) -> bool:
    t0 = time.perf_counter()
    while not until():
        app.processEvents()
        time.sleep(0.002)
        if time.perf_counter() - t0 > timeout:
            return False
    return True


def play(app, win, seconds: float) -> tuple[float, float]:
    """Real fps and the longest event-loop stall (ms) while playing ``seconds``."""
    shown, stalls = [0], [0.0]
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        stalls[0] = max(stalls[0], now - last[0])
        last[0] = now

    pulse = QTimer()
    pulse.timeout.connect(tick)
    pulse.start(5)
    count = lambda _f: shown.__setitem__(0, shown[0] + 1)  # noqa: E731
    win.model.frame_changed.connect(count)
    win.timeline.play(1)
    t0 = time.perf_counter()
    wait(app, lambda: time.perf_counter() - t0 > seconds, seconds + 5)
    win.timeline.stop()
    elapsed = time.perf_counter() - t0
    pulse.stop()
    win.model.frame_changed.disconnect(count)
    return shown[0] / elapsed, stalls[0] * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--plugins", nargs="*", default=[], help="plugins switched on (default: none)")
    args = ap.parse_args()
    from gui.app import MainWindow
    from gui.style import apply_theme

    app = QApplication.instance() or QApplication(sys.argv)
    apply_theme(app)
    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "shot1080"
        make_shot(shot, args.frames)
        win = MainWindow(QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat))
        win.resize(1500, 920)
        win.show()
        for name, panel in win.plugins.panels.items():
            panel.setChecked(name in args.plugins)
        t0 = time.perf_counter()
        assert win.open_shot(shot), win.notifier.last_error
        wait(app, lambda: win.preview_ready, 600)
        win.cache_action.setChecked(False)  # the frames decoded on the GUI thread, as before the cache
        rows = [("before, no cache (decoded while playing)", "-", *play(app, win, args.seconds))]
        win.cache_action.setChecked(True)
        t0 = time.perf_counter()
        win.mode_actions["after"].setChecked(True)
        win.model.set_frame(1001)
        filled = wait(app, lambda: len(win.cache.cached_frames) >= min(args.frames, win.cache.capacity or 1e9), 1200)
        fill = time.perf_counter() - t0
        failed = [f for f in win.cache.cached_frames if win.cache.get(f).error]
        if failed:
            print(f"frames the cache could not render: {sorted(failed)}: {win.cache.get(failed[0]).error}")
        rows.append((f"after, cached ({', '.join(args.plugins) or 'no plugin'})",
                     f"{fill:.1f} s" if filled else "not filled", *play(app, win, args.seconds)))  # fmt: skip
        win.close()
    print(f"CPU: {cpu_model()} ({os.cpu_count()} cores); {args.frames} frames 1920x1080 8-bit PNG; 24 fps asked")
    print(f"{'mode':44s} {'cache filled':>12s} {'real fps':>9s} {'max stall':>10s}")
    for name, fill_text, fps, stall in rows:
        print(f"{name:44s} {fill_text:>12s} {fps:9.1f} {stall:8.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
