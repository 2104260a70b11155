"""Timeline: a frame ruler to scrub, step buttons, play at 12/24 fps forward or backward
(J / K / L), in and out points (I / O)."""

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

from .style import ACCENT, CLEANED_COLOUR, ERROR, MASK_COLOUR, REJECTED_COLOUR

__all__ = ["FrameRuler", "Timeline"]


class FrameRuler(QWidget):
    """Painted frame ruler: ticks, gaps (red), frames with mask corrections (magenta square),
    frames where a seam was painted out (green line at the bottom), frames where detected
    lines were left alone (cyan, at the top), frames a carried correction waits to be
    applied to (orange square), in/out range (outside it darkened, brackets at its ends),
    playhead.

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
        self.cleaned: set[int] = set()  # frames where a seam was painted out
        self.pending: set[int] = set()  # frames a carried correction waits to be applied to
        self.reference: int | None = None
        self.in_point: int | None = None
        self.out_point: int | None = None
        self.bottom_strip = 0  # px kept clear along the bottom edge (the render cache's line, gui/cache_bar.py)
        self.setFocusPolicy(Qt.ClickFocus)  # a click on the ruler takes the keys out of a text field
        self.setToolTip("Marks: green line = seam painted out (under it, a thin green strip: frames in "
                        "the render cache) · cyan at the top = a detected line left "
                        "alone · magenta square = mask corrected by hand · orange square = carried "
                        "correction waiting for Apply")  # fmt: skip

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
        h = self.height() - self.bottom_strip  # the marks and ticks: above the cache's strip
        for n in range(self.first, self.last + 1):
            x = self._x(n)
            if n in self.gaps:
                p.fillRect(QRectF(x - cell / 2, 4, max(1.0, cell), h - 8), QColor(ERROR).darker(160))
            if n in self.cleaned:
                p.fillRect(QRectF(x - max(1.5, cell / 2 - 1), h - 2, max(3.0, cell - 2), 2), CLEANED_COLOUR)
            if n in self.marked:
                p.fillRect(QRectF(x - 2, h - 7, 4, 4), MASK_COLOUR)
            if n in self.pending:
                p.fillRect(QRectF(x - 2.5, h - 13, 5, 5), QColor(ACCENT))
            if n in self.left_alone:
                p.fillRect(QRectF(x - max(1.5, cell / 2 - 1), 0, max(3.0, cell - 2), 3), REJECTED_COLOUR)
            major = (n - self.first) % label_every == 0
            if major or cell >= 5:
                p.setPen(QColor("#5c6066") if not major else QColor("#8b8f96"))
                p.drawLine(QPointF(x, h - 12 if not major else h - 18), QPointF(x, h - 9))
            if major:
                p.setPen(QColor("#8b8f96"))
                p.drawText(QRectF(x - 30, 2, 60, 14), Qt.AlignCenter, str(n))
        h = self.height()  # the range, the reference and the playhead: the full height
        if self.in_point is not None or self.out_point is not None:
            lo = self.first if self.in_point is None else self.in_point
            hi = self.last if self.out_point is None else self.out_point
            shade = QColor(0, 0, 0, 150)
            x_lo, x_hi = self._x(lo) - cell / 2, self._x(hi) + cell / 2
            p.fillRect(QRectF(0, 0, x_lo, h), shade)
            p.fillRect(QRectF(x_hi, 0, self.width() - x_hi, h), shade)
            p.setPen(QPen(QColor(ACCENT), 2))
            for x, d in ((x_lo, 5), (x_hi, -5)):
                if (d > 0 and self.in_point is not None) or (d < 0 and self.out_point is not None):
                    p.drawLine(QPointF(x, 1), QPointF(x, h - 1))
                    p.drawLine(QPointF(x, 1), QPointF(x + d, 1))
                    p.drawLine(QPointF(x, h - 1), QPointF(x + d, h - 1))
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
    range_changed() : the in or out point changed.
    """

    #: J / L pressed again while playing that way: 1x, 2x, 4x the frame rate
    SPEEDS = (1, 2, 4)

    frame_requested = Signal(int)
    step_requested = Signal(int)
    range_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ruler = FrameRuler(self)
        self.ruler.scrubbed.connect(self.frame_requested)
        self._timer = QTimer(self)
        self._timer.timeout.connect(lambda: self.step_requested.emit(self.direction))
        self.direction = 1  # 1 forward, -1 backward
        self.speed = 1

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
        """Space: play forward at the frame rate, or stop."""
        if self.play_button.isChecked():
            self.stop()
        else:
            self.play(1)

    def play(self, direction: int) -> None:
        """L (1) / J (-1): play that way; pressed again while playing that way, faster (2x, 4x)."""
        if self.playing and self.direction == direction:
            i = self.SPEEDS.index(self.speed)
            self.speed = self.SPEEDS[min(i + 1, len(self.SPEEDS) - 1)]
        else:
            self.speed = 1
        self.direction = direction
        self._apply_fps()
        self.play_button.setChecked(True)

    def stop(self) -> None:
        """K: stop playing (back to forward at 1x for the next play)."""
        self.play_button.setChecked(False)
        self.direction, self.speed = 1, 1

    def set_in(self, frame: int | None) -> None:
        """I: the in point (an out point before it is dropped); None clears it."""
        r = self.ruler
        r.in_point = frame
        if frame is not None and r.out_point is not None and r.out_point < frame:
            r.out_point = None
        r.update()
        self.range_changed.emit()

    def set_out(self, frame: int | None) -> None:
        """O: the out point (an in point after it is dropped); None clears it."""
        r = self.ruler
        r.out_point = frame
        if frame is not None and r.in_point is not None and r.in_point > frame:
            r.in_point = None
        r.update()
        self.range_changed.emit()

    @property
    def play_range(self) -> tuple[int, int]:
        """The frames playback loops over: in to out (the shot's ends where not set)."""
        r = self.ruler
        return (r.first if r.in_point is None else r.in_point, r.last if r.out_point is None else r.out_point)

    def _on_play(self, on: bool) -> None:
        self.play_button.setText("❚❚" if on else "▶")
        if on:
            self._apply_fps()
            self._timer.start()
        else:
            self._timer.stop()
            self.direction, self.speed = 1, 1

    def _apply_fps(self) -> None:
        self._timer.setInterval(round(1000 / (self.rate * self.speed)))
