"""The cache bar: a green line along the bottom of the timeline's ruler under each frame the
render cache holds (as in Nuke and Resolve), drawn on a layer of its own over the ruler, in a
strip the ruler keeps clear (its own marks, such as the green line of a frame cleaned, stay
above it)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from .render_cache import RenderCache
from .timeline import FrameRuler

__all__ = ["CacheBar", "CACHED_COLOUR"]

CACHED_COLOUR = QColor(70, 200, 90)
_HEIGHT = 3


class CacheBar(QWidget):
    """Covers ``ruler`` (mouse events pass through to it) and paints the frames ``cache``
    holds as a strip ``_HEIGHT`` pixels high along its bottom edge."""

    def __init__(self, ruler: FrameRuler, cache: RenderCache) -> None:
        super().__init__(ruler)
        self.ruler = ruler
        self.cache = cache
        self.setAttribute(Qt.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WA_NoSystemBackground, True)
        self.setFocusPolicy(Qt.NoFocus)
        self.frames: set[int] = set()
        ruler.bottom_strip = _HEIGHT + 1  # the ruler's marks end a pixel above the line
        ruler.setMinimumHeight(ruler.minimumHeight() + ruler.bottom_strip)
        cache.changed.connect(self.refresh)
        ruler.installEventFilter(self)
        self.setGeometry(ruler.rect())
        self.raise_()

    def refresh(self) -> None:
        self.frames = self.cache.cached_frames
        self.update()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if obj is self.ruler and event.type() in (QEvent.Resize, QEvent.Show):
            self.setGeometry(self.ruler.rect())
            self.raise_()
        return False

    def cell(self) -> float:
        r = self.ruler
        return (r.width() - 16) / max(1, r.last - r.first + 1)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        r = self.ruler
        if not self.frames or r.last < r.first:
            return
        p = QPainter(self)
        cell = self.cell()
        y = self.height() - _HEIGHT
        for n in sorted(self.frames):
            if r.first <= n <= r.last:
                x = r._x(n)
                p.fillRect(QRectF(x - cell / 2, y, max(1.0, cell), _HEIGHT), CACHED_COLOUR)
