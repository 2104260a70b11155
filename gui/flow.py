"""A layout that lines its widgets up in rows and starts a new row when one is full.

The app's tool groups (view, paint, display) sit in one: two rows on a wide window, three on
a narrow one, so no group is cut short into a toolbar's overflow menu.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget

__all__ = ["FlowLayout"]


class FlowLayout(QLayout):
    """Items left to right at their preferred width, wrapped into as many rows as needed;
    each row as tall as its tallest item. An item wider than the whole row gets the row."""

    def __init__(self, parent: QWidget | None = None, *, spacing: int = 0, whole_items: bool = False) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self._whole = whole_items  # never narrower than an item's preferred width
        self.setContentsMargins(0, 0, 0, 0)

    # -- QLayout API ------------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        """One row of everything (what the layout would like)."""
        visible = [i for i in self._items if not i.isEmpty()]
        w = sum(i.sizeHint().width() for i in visible) + self._spacing * max(0, len(visible) - 1)
        h = max((i.sizeHint().height() for i in visible), default=0)
        m = self.contentsMargins()
        return QSize(w + m.left() + m.right(), h + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802
        """As narrow as the widest item (then one item a row); with ``whole_items`` at its
        preferred width: a toolbar is never squeezed into its overflow menu by a dock beside."""
        w = max(((i.sizeHint() if self._whole else i.minimumSize()).width() for i in self._items
                 if not i.isEmpty()), default=0)  # fmt: skip
        h = max((i.minimumSize().height() for i in self._items if not i.isEmpty()), default=0)
        m = self.contentsMargins()
        return QSize(w + m.left() + m.right(), h + m.top() + m.bottom())

    # -- placing ----------------------------------------------------------------------
    def rows(self, width: int) -> list[list[QLayoutItem]]:
        """The items of each row at ``width`` (hidden widgets left out)."""
        m: QMargins = self.contentsMargins()
        avail = max(1, width - m.left() - m.right())
        rows: list[list[QLayoutItem]] = [[]]
        x = 0
        for item in self._items:
            if item.isEmpty():
                continue
            w = min(item.sizeHint().width(), avail)
            if rows[-1] and x + self._spacing + w > avail:
                rows.append([])
                x = 0
            x += (self._spacing if rows[-1] else 0) + w
            rows[-1].append(item)
        return [r for r in rows if r]

    def _place(self, rect: QRect, *, move: bool) -> int:
        m = self.contentsMargins()
        avail = max(1, rect.width() - m.left() - m.right())
        y = rect.y() + m.top()
        for row in self.rows(rect.width()):
            height = max(i.sizeHint().height() for i in row)
            x = rect.x() + m.left()
            for item in row:
                w = min(item.sizeHint().width(), avail)
                if move:
                    item.setGeometry(QRect(QPoint(x, y), QSize(w, height)))
                x += w + self._spacing
            y += height
        return y + m.bottom() - rect.y()
