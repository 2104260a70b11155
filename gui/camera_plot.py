"""Camera solve plot: per-frame x/y shift and rotation, raw and smoothed, drawn with QPainter.

Draws a :class:`laika_fx.stabilize.sidecar.CameraSolve`, read from the
``OUTPUT/stabilize.json`` sidecar by the library (``load_solve`` checks it): the applied
solve (``matrix``) in colour, the raw solve (``to_reference``) grey where it differs.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from laika_fx.stabilize.sidecar import CameraSolve

from .style import ACCENT

__all__ = ["CameraPlot"]


_LANES = (("x", "X shift", "px", QColor("#e8962e")), ("y", "Y shift", "px", QColor("#6ec6ff")),
          ("rotation", "Rotation", "°", QColor("#9ad66b")))  # fmt: skip


def _value(v: float) -> str:
    text = f"{v:+.1f}"
    return "0.0" if float(text) == 0 else text  # never "-0.0"


def lane_labels(lo: float, hi: float, unit: str, *, both: bool) -> tuple[str, str]:
    """The labels beside a lane whose bottom is ``lo`` and top ``hi``: (top, bottom).

    A tall lane gets its top value at the top and its bottom value at the bottom; a short
    one (the docked panel) has room for one line only, so the bottom line gives the range
    ``"-3.0…+0.6px"`` rather than a lone bound an artist reads as the frame's value.
    """
    low, high = _value(lo), _value(hi)
    if both:
        return f"{high}{unit}", f"{low}{unit}"
    return "", f"{low}{unit}" if low == high else f"{low}…{high}{unit}"


class CameraPlot(QWidget):
    """Three lanes (x shift, y shift, rotation) over frame number.

    Raw solve thin and grey, applied (smoothed) solve in colour, reference frame a dashed
    line, current frame the playhead. Click to go to a frame; double-click to make it
    the reference.

    Signals
    -------
    frame_selected(int), reference_selected(int)
    """

    frame_selected = Signal(int)
    reference_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(90)  # a 1280x720 window keeps room for the viewer
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.solve: CameraSolve | None = None
        self.current: int | None = None
        self.message = "No camera solve yet: run Analyze (or a batch) with stabilize on."
        self._left = 118

    def set_solve(self, solve: CameraSolve | None) -> None:
        self.solve = solve
        self.update()

    def set_current(self, frame: int | None) -> None:
        self.current = frame
        self.update()

    def _frame_x(self, n: float) -> float:
        f = self.solve.frames
        span = max(1, f[-1] - f[0])
        return self._left + (n - f[0]) * (self.width() - self._left - 12) / span

    def frame_at(self, x: float) -> int | None:
        if not self.solve or not self.solve.frames:
            return None
        f = self.solve.frames
        span = max(1, f[-1] - f[0])
        n = f[0] + (x - self._left) * span / max(1, self.width() - self._left - 12)
        return min(f, key=lambda k: abs(k - n))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#141518"))
        font = QFont(self.font())
        font.setPointSize(8)
        p.setFont(font)
        if not self.solve or not self.solve.frames:
            p.setPen(QColor("#8b8f96"))
            p.drawText(self.rect(), Qt.AlignCenter | Qt.TextWordWrap, self.message)
            return
        p.setRenderHint(QPainter.Antialiasing, True)
        lane_h = (self.height() - 22) / len(_LANES)
        for i, (key, title, unit, colour) in enumerate(_LANES):
            top = 4 + i * lane_h
            self._draw_lane(p, QRectF(self._left, top, self.width() - self._left - 12, lane_h - 6),
                            key, title, unit, colour)  # fmt: skip
        frames = self.solve.frames
        p.setPen(QColor("#8b8f96"))
        for n in (frames[0], frames[len(frames) // 2], frames[-1]):
            x = self._frame_x(n)
            box = QRectF(min(max(0.0, x - 30), self.width() - 62), self.height() - 16, 60, 14)
            p.drawText(box, Qt.AlignCenter, str(n))
        bottom = self.height() - 18
        if self.solve.reference is not None:
            x = self._frame_x(self.solve.reference)
            p.setPen(QPen(QColor("#ffffff"), 1, Qt.DashLine))
            p.drawLine(QPointF(x, 2), QPointF(x, bottom))
            p.setPen(QColor("#ffffff"))
            p.drawText(QRectF(x + 3, 2, 60, 12), Qt.AlignLeft, f"REF {self.solve.reference}")
        if self.current is not None and frames[0] <= self.current <= frames[-1]:
            x = self._frame_x(self.current)
            p.setPen(QPen(QColor(ACCENT), 1.5))
            p.drawLine(QPointF(x, 2), QPointF(x, bottom))
        legend = "━ applied   ┅ raw solve" if self.solve.has_raw_difference else "━ solve"
        box = QRectF(self.width() - 12 - p.fontMetrics().horizontalAdvance(legend) - 12, 6,
                     p.fontMetrics().horizontalAdvance(legend) + 8, 14)  # fmt: skip
        p.fillRect(box, QColor(20, 21, 24, 220))
        p.setPen(QColor("#b0b3b8"))
        p.drawText(box, Qt.AlignCenter, legend)

    def _draw_lane(self, p: QPainter, r: QRectF, key: str, title: str, unit: str, colour: QColor) -> None:
        p.fillRect(r, QColor("#1b1c1f"))
        series = [self.solve.smoothed.get(key, {})]
        if self.solve.has_raw_difference:
            series.append(self.solve.raw.get(key, {}))
        values = [v for s in series for v in s.values()]
        lo, hi = (min(values), max(values)) if values else (0.0, 0.0)
        pad = max(1e-3, (hi - lo) * 0.1)
        lo, hi = lo - pad, hi + pad

        def y(v: float) -> float:
            return r.bottom() - (v - lo) / (hi - lo) * r.height()

        if lo < 0 < hi:
            p.setPen(QPen(QColor("#34363b"), 1))
            p.drawLine(QPointF(r.left(), y(0)), QPointF(r.right(), y(0)))
        p.setPen(colour)
        p.drawText(QRectF(4, r.top(), self._left - 8, 13), Qt.AlignLeft | Qt.AlignTop, title)
        p.setPen(QColor("#8b8f96"))
        top_label, bottom_label = lane_labels(lo, hi, unit, both=r.height() >= 40)
        p.drawText(QRectF(4, r.top(), self._left - 8, r.height()), Qt.AlignRight | Qt.AlignTop, top_label)
        p.drawText(QRectF(4, r.top(), self._left - 8, r.height()), Qt.AlignRight | Qt.AlignBottom, bottom_label)
        styles = [QPen(colour, 1.6)]
        if len(series) > 1:
            styles.append(QPen(QColor("#9a9ea5"), 1.0, Qt.DashLine))
        for s, pen in zip(reversed(series), reversed(styles), strict=True):
            pts = sorted(s.items())
            if not pts:
                continue
            path = QPainterPath(QPointF(self._frame_x(pts[0][0]), y(pts[0][1])))
            for n, v in pts[1:]:
                path.lineTo(QPointF(self._frame_x(n), y(v)))
            p.setPen(pen)
            p.drawPath(path)
            if pen.style() == Qt.SolidLine and len(pts) <= 200:
                p.setBrush(colour)
                for n, v in pts:
                    p.drawEllipse(QPointF(self._frame_x(n), y(v)), 1.8, 1.8)
                p.setBrush(Qt.NoBrush)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        n = self.frame_at(event.position().x())
        if n is not None:
            self.frame_selected.emit(n)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        n = self.frame_at(event.position().x())
        if n is not None:
            self.reference_selected.emit(n)
