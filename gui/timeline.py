"""Timeline: a frame ruler to scrub, step buttons, play at 12/24 fps."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .style import ACCENT, ERROR, MASK_COLOUR, REJECTED_COLOUR

__all__ = ["FrameRuler", "Timeline"]


class FrameRuler(QWidget):
    """Painted frame ruler: ticks, gaps (red), frames with mask corrections (magenta), frames
    where detected lines were left alone (cyan, at the top), playhead.

    Signals
    -------
    scrubbed(int) : the user clicked or dragged to a frame number.
    """

    scrubbed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(34)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.first, self.last = 0, 0
        self.current: int | None = None
        self.gaps: set[int] = set()
        self.marked: set[int] = set()  # frames with mask overrides
        self.left_alone: set[int] = set()  # frames where detected lines were left alone
        self.reference: int | None = None

    def set_range(self, first: int, last: int, gaps: list[int]) -> None:
        self.first, self.last, self.gaps = first, last, set(gaps)
        self.update()

    def _x(self, frame: float) -> float:
        span = max(1, self.last - self.first + 1)
        return 8 + (frame - self.first + 0.5) * (self.width() - 16) / span

    def frame_at(self, x: float) -> int:
        span = max(1, self.last - self.first + 1)
        f = self.first + int((x - 8) * span / max(1, self.width() - 16))
        return max(self.first, min(self.last, f))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#141518"))
        if self.last < self.first or self.current is None:
            return
        span = self.last - self.first + 1
        cell = (self.width() - 16) / span
        label_every = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10**9) if s * cell >= 38)
        f = QFont(self.font())
        f.setPointSize(8)
        p.setFont(f)
        h = self.height()
        for n in range(self.first, self.last + 1):
            x = self._x(n)
            if n in self.gaps:
                p.fillRect(QRectF(x - cell / 2, 4, max(1.0, cell), h - 8), QColor(ERROR).darker(160))
            if n in self.marked:
                p.fillRect(QRectF(x - 2, h - 7, 4, 4), MASK_COLOUR)
            if n in self.left_alone:
                p.fillRect(QRectF(x - max(1.5, cell / 2 - 1), 0, max(3.0, cell - 2), 3), REJECTED_COLOUR)
            major = (n - self.first) % label_every == 0
            if major or cell >= 5:
                p.setPen(QColor("#5c6066") if not major else QColor("#8b8f96"))
                p.drawLine(QPointF(x, h - 12 if not major else h - 18), QPointF(x, h - 9))
            if major:
                p.setPen(QColor("#8b8f96"))
                p.drawText(QRectF(x - 30, 2, 60, 14), Qt.AlignCenter, str(n))
        if self.reference is not None and self.first <= self.reference <= self.last:
            x = self._x(self.reference)
            p.setPen(QPen(QColor("#6ec6ff"), 1, Qt.DashLine))
            p.drawLine(QPointF(x, 0), QPointF(x, h))
        x = self._x(self.current)
        p.fillRect(QRectF(x - max(1.5, cell / 2), 0, max(3.0, cell), h), QColor(232, 150, 46, 60))
        p.setPen(QPen(QColor(ACCENT), 2))
        p.drawLine(QPointF(x, 0), QPointF(x, h))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.scrubbed.emit(self.frame_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.LeftButton:
            self.scrubbed.emit(self.frame_at(event.position().x()))


class Timeline(QWidget):
    """Transport controls and the ruler; talks to a ShotModel.

    Signals
    -------
    frame_requested(int) : go to this frame.
    step_requested(int) : step this many frames on disk (wraps while playing).
    """

    frame_requested = Signal(int)
    step_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ruler = FrameRuler(self)
        self.ruler.scrubbed.connect(self.frame_requested)
        self._timer = QTimer(self)
        self._timer.timeout.connect(lambda: self.step_requested.emit(1))

        def button(text: str, tip: str) -> QToolButton:
            b = QToolButton(self)
            b.setText(text)
            b.setToolTip(tip)
            b.setAutoRaise(False)
            b.setMinimumWidth(30)
            return b

        self.first_button = button("|◀◀", "First frame (Home)")
        self.prev_button = button("|◀", "Previous frame (Left arrow)")
        self.play_button = button("▶", "Play / pause (Space)")
        self.play_button.setCheckable(True)
        self.next_button = button("▶|", "Next frame (Right arrow)")
        self.last_button = button("▶▶|", "Last frame (End)")
        self.fps = QComboBox(self)
        self.fps.addItems(["12 fps", "24 fps"])
        self.fps.setCurrentIndex(1)
        self.fps.setToolTip("Playback rate (stop-motion is often shot on twos: 12 fps)")
        self.frame_box = QSpinBox(self)
        self.frame_box.setKeyboardTracking(False)
        self.frame_box.setToolTip("Current frame")
        self.frame_box.setMinimumWidth(70)
        self.range_label = QLabel("", self)
        self.range_label.setObjectName("dim")

        self.first_button.clicked.connect(lambda: self.frame_requested.emit(self.ruler.first))
        self.last_button.clicked.connect(lambda: self.frame_requested.emit(self.ruler.last))
        self.prev_button.clicked.connect(lambda: self.step_requested.emit(-1))
        self.next_button.clicked.connect(lambda: self.step_requested.emit(1))
        self.play_button.toggled.connect(self._on_play)
        self.fps.currentIndexChanged.connect(self._apply_fps)
        self.frame_box.valueChanged.connect(self.frame_requested)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        for w in (self.first_button, self.prev_button, self.play_button, self.next_button, self.last_button):
            row.addWidget(w)
        row.addSpacing(8)
        row.addWidget(self.frame_box)
        row.addWidget(self.fps)
        row.addSpacing(8)
        row.addWidget(self.range_label, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(3)
        lay.addWidget(self.ruler)
        lay.addLayout(row)
        self.setEnabled(False)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    @property
    def rate(self) -> int:
        return 12 if self.fps.currentIndex() == 0 else 24

    def set_shot(self, first: int, last: int, gaps: list[int], text: str) -> None:
        """Show a shot's range (``text`` goes beside the transport)."""
        self.ruler.set_range(first, last, gaps)
        self.frame_box.blockSignals(True)
        self.frame_box.setRange(first, last)
        self.frame_box.blockSignals(False)
        self.range_label.setText(text)
        self.setEnabled(True)

    def set_current(self, frame: int) -> None:
        self.ruler.current = frame
        self.ruler.update()
        self.frame_box.blockSignals(True)
        self.frame_box.setValue(frame)
        self.frame_box.blockSignals(False)

    def toggle_play(self) -> None:
        self.play_button.setChecked(not self.play_button.isChecked())

    def _on_play(self, on: bool) -> None:
        self.play_button.setText("❚❚" if on else "▶")
        if on:
            self._apply_fps()
            self._timer.start()
        else:
            self._timer.stop()

    def _apply_fps(self) -> None:
        self._timer.setInterval(round(1000 / self.rate))
