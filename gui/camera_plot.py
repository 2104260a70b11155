"""Camera solve plot: per-frame x/y shift and rotation, raw and smoothed, drawn with QPainter.

Reads the ``OUTPUT/stabilize.json`` sidecar::

    {"reference_frame": N, "frames": [{"frame": n, "matrix": [[3x3]], "to_reference": [[3x3]]}]}

``matrix`` (what the render applies) maps input-frame pixels to the reference frame;
``to_reference`` (if present) is the raw solve before smoothing. Shift is
``matrix[0][2], matrix[1][2]``; rotation is ``atan2(matrix[1][0], matrix[0][0])``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .style import ACCENT

__all__ = ["CameraSolve", "CameraPlot", "load_solve", "motion_of"]

_RAW_KEYS = ("to_reference", "raw", "raw_matrix")
_SMOOTH_KEYS = ("smoothed", "smoothed_matrix")


def motion_of(matrix: list[list[float]]) -> tuple[float, float, float]:
    """``(x shift px, y shift px, rotation degrees)`` of a 3x3 matrix."""
    return (
        float(matrix[0][2]),
        float(matrix[1][2]),
        math.degrees(math.atan2(float(matrix[1][0]), float(matrix[0][0]))),
    )


def _is_matrix(m: object) -> bool:
    return isinstance(m, list) and len(m) >= 2 and all(isinstance(r, list) and len(r) >= 3 for r in m[:2])


@dataclass
class CameraSolve:
    """Curves of one solve: ``{"x"|"y"|"rotation": {frame: value}}`` for ``raw`` and ``smoothed``."""

    reference: int | None
    frames: list[int]
    smoothed: dict[str, dict[int, float]] = field(default_factory=dict)
    raw: dict[str, dict[int, float]] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def from_document(cls, doc: dict, path: Path | None = None) -> CameraSolve:
        """Parse a stabilize sidecar (raises ValueError with a readable message)."""
        if not isinstance(doc, dict) or not isinstance(doc.get("frames"), list):
            raise ValueError("not a camera solve: no 'frames' list")
        smoothed: dict[str, dict[int, float]] = {"x": {}, "y": {}, "rotation": {}}
        raw: dict[str, dict[int, float]] = {"x": {}, "y": {}, "rotation": {}}
        frames = []
        # top-level "raw"/"smoothed" lists of {"frame", "matrix"} are accepted too
        extra = {k: {int(e["frame"]): e["matrix"] for e in doc.get(k, []) if _is_matrix(e.get("matrix"))}
                 for k in ("raw", "smoothed") if isinstance(doc.get(k), list)}  # fmt: skip
        for entry in doc["frames"]:
            try:
                n = int(entry["frame"])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"bad frame entry in camera solve: {entry!r}") from None
            frames.append(n)
            m = next((entry[k] for k in _SMOOTH_KEYS if _is_matrix(entry.get(k))), None)
            m = m or extra.get("smoothed", {}).get(n) or entry.get("matrix")
            if _is_matrix(m):
                for key, v in zip(("x", "y", "rotation"), motion_of(m), strict=True):
                    smoothed[key][n] = v
            r = next((entry[k] for k in _RAW_KEYS if _is_matrix(entry.get(k))), None)
            r = r or extra.get("raw", {}).get(n)
            if _is_matrix(r):
                for key, v in zip(("x", "y", "rotation"), motion_of(r), strict=True):
                    raw[key][n] = v
        ref = doc.get("reference_frame")
        return cls(int(ref) if ref is not None else None, sorted(frames), smoothed,
                   raw if any(raw.values()) else {}, path)  # fmt: skip

    @property
    def has_raw_difference(self) -> bool:
        """True when raw and smoothed differ (smooth mode), so both are worth drawing."""
        return bool(self.raw) and any(
            abs(self.raw[k].get(n, 0.0) - self.smoothed[k].get(n, 0.0)) > 1e-6
            for k in self.raw for n in self.frames
        )


def load_solve(path: str | Path) -> CameraSolve:
    """Read ``stabilize.json``; raises ValueError/OSError with a readable message."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p.name} is not valid JSON ({exc})") from None
    return CameraSolve.from_document(doc, p)


_LANES = (("x", "X shift", "px", QColor("#e8962e")), ("y", "Y shift", "px", QColor("#6ec6ff")),
          ("rotation", "Rotation", "°", QColor("#9ad66b")))  # fmt: skip


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
        self.setMinimumHeight(150)
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
        p.drawText(QRectF(4, r.top(), self._left - 8, r.height()), Qt.AlignRight | Qt.AlignTop,
                   f"{hi:+.1f}{unit}" if r.height() >= 40 else "")  # fmt: skip
        p.drawText(QRectF(4, r.top(), self._left - 8, r.height()), Qt.AlignRight | Qt.AlignBottom,
                   f"{lo:+.1f}{unit}")  # fmt: skip
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
