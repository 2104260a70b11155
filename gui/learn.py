"""Learn from corrections, in the background: ``laika-fx train seam-detector --from-shot``
as a child process of the same Python, its progress lines read as it goes.

A child process, not a thread: training needs the ``[train]`` extra (torch, NNCF), which the
app never imports, it must not make the app stutter, and cancelling it is ending it (the
per-shot model is only replaced once the new one is fully written, so a cancelled run
leaves the old one, or none, in place).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

__all__ = ["LearnRunner"]

_PROGRESS = re.compile(r"^learn: \[\s*(\d+)%\]\s*(.*)$")


class LearnRunner(QObject):
    """Runs one learning at a time.

    Signals
    -------
    progress(int, str) : percent done and the latest progress line.
    finished(bool, str) : success, and the last line (the result, or the error in one line).
    """

    progress = Signal(int, str)
    finished = Signal(bool, str)

    def __init__(self, parent: QObject | None = None, *, command: list[str] | None = None) -> None:
        super().__init__(parent)
        self._command = command or [sys.executable, "-m", "laika_fx", "train", "seam-detector"]
        self._process: QProcess | None = None
        self._last = ""
        self._errors: list[str] = []
        self._cancelled = False
        self._buffer = b""

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self, shot_dir: str | Path, *, minutes: float = 4.0, extra: list[str] | None = None) -> bool:
        """Learn from the corrections of the shot in ``shot_dir``; False if one is running."""
        if self._process is not None:
            return False
        self._last, self._errors, self._cancelled, self._buffer = "", [], False, b""
        proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        env.insert("NNCF_EXTENSION_LOAD_TIMEOUT", env.value("NNCF_EXTENSION_LOAD_TIMEOUT", "900"))
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(self._read_out)
        proc.readyReadStandardError.connect(self._read_err)
        proc.finished.connect(self._done)
        proc.errorOccurred.connect(self._failed_to_start)
        self._process = proc
        args = [*self._command[1:], "--from-shot", str(shot_dir), "--minutes", f"{minutes:g}", *(extra or [])]
        proc.start(self._command[0], args)
        return True

    def cancel(self) -> None:
        """End the learning under way (nothing of it is kept)."""
        if self._process is not None:
            self._cancelled = True
            self._process.kill()

    def wait(self, msecs: int = 30000) -> None:
        if self._process is not None:
            self._process.waitForFinished(msecs)

    def _read_out(self) -> None:
        if self._process is None:
            return
        self._buffer += bytes(self._process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for raw in lines:
            line = raw.decode(errors="replace").strip()
            m = _PROGRESS.match(line)
            if m:
                self._last = line.removeprefix("learn: ")
                self.progress.emit(int(m.group(1)), m.group(2))
            elif line.startswith("learn: "):
                self._last = line.removeprefix("learn: ")
                self.progress.emit(-1, self._last)

    def _read_err(self) -> None:
        if self._process is None:
            return
        text = bytes(self._process.readAllStandardError()).decode(errors="replace")
        self._errors += [ln.strip() for ln in text.splitlines() if ln.strip().startswith("laika-fx: error:")]

    def _failed_to_start(self, error) -> None:
        if error == QProcess.FailedToStart and self._process is not None:
            self._process = None
            self.finished.emit(False, "learning could not start: the laika-fx command was not found")

    def _done(self, code: int, _status) -> None:
        if self._process is None:
            return
        self._read_out()
        self._read_err()
        self._process.deleteLater()
        self._process = None
        if self._cancelled:
            self.finished.emit(False, "learning cancelled: the shot's model is unchanged")
        elif code == 0:
            self.finished.emit(True, self._last)
        else:
            why = self._errors[-1].removeprefix("laika-fx: error: ") if self._errors else f"exit code {code}"
            self.finished.emit(False, f"learning failed: {why}")
