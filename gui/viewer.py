"""Frame viewer: zoom/pan, before/after wipe, A/B compare, onion skin, mask overlay (a fill,
or an outline over the result), exposure / gamma / single-channel display, brush strokes,
puppet prompt boxes, labels saying what is shown.

The viewer only draws what it is given (8-bit display copies of frames) and reports
what the user does with the mouse; it never reads files and never alters frames: the
display controls change what is drawn, never the arrays it was given.
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from .display import CHANNEL_NAMES, CHANNELS, apply_display
from .style import ACCENT, MASK_COLOUR, PROMPT_COLOUR, REJECTED_COLOUR

__all__ = ["Viewer", "rgb_image", "mask_image", "mask_outline"]

#: before, wipe (before | after), after, ab (version A | version B, see ``ab_view``)
VIEW_MODES = ("before", "wipe", "after", "ab")
AB_VIEWS = ("wipe", "a", "b")
TOOLS = ("view", "paint", "erase", "prompt")
_HANDLE = 9.0  # widget px: grab a box's bottom-right corner within this to resize it


def rgb_image(frame8: np.ndarray) -> QImage:
    """A QImage owning a copy of an ``(H, W, 3)`` uint8 RGB array."""
    arr = np.ascontiguousarray(frame8)
    h, w = arr.shape[:2]
    return QImage(arr.data, w, h, arr.strides[0], QImage.Format_RGB888).copy()


def mask_image(mask: np.ndarray, colour: QColor = MASK_COLOUR, *, soft: bool = False) -> QImage:
    """A QImage of ``mask`` (> 0 = seam) in ``colour``, transparent elsewhere; ``soft``: a
    uint8 mask's values (a feathered brush) are its opacity. 8-bit indexed either way (a
    colour table of 256 opacities when soft): a 1080p mask takes ~2 ms, not the ~20 ms of
    filling a 32-bit image."""
    r, g, b = colour.red(), colour.green(), colour.blue()
    if soft and mask.dtype == np.uint8:
        index = np.ascontiguousarray(mask)
        table = [QColor(r, g, b, a).rgba() for a in range(256)]
    else:
        index = (np.asarray(mask) > 0).view(np.uint8)  # (np.minimum(mask, 1): ~7 ms at 1080p)
        table = [0, QColor(r, g, b, 255).rgba()]
    h, w = index.shape[:2]
    img = QImage(index.data, w, h, index.strides[0], QImage.Format_Indexed8)
    img.setColorTable(table)
    return img.copy()


def mask_outline(mask: np.ndarray) -> QPainterPath:
    """The outline of ``mask`` (> 0 = inside) as a path in image pixel coordinates (pixel
    edges: a one-pixel mask at (x, y) is outlined around the square x..x+1, y..y+1)."""
    on = (np.asarray(mask) > 0).astype(np.uint8)
    path = QPainterPath()
    x0, y0, w, h = cv2.boundingRect(on)
    if w == 0 or h == 0:
        return path
    # contours of the pixel centres on a 2x grid of the masked area, so that a one-pixel-wide
    # line keeps an inside and each point maps back to a pixel edge
    crop = np.pad(on[y0 : y0 + h, x0 : x0 + w], 1)
    big = cv2.resize(crop, (crop.shape[1] * 2, crop.shape[0] * 2), interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(big, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    for c in contours:
        pts = c.reshape(-1, 2).astype(np.float64)
        pts = (pts + (pts % 2 == 1)) / 2.0 + (x0 - 1, y0 - 1)  # odd: the far edge of the pixel
        path.addPolygon(QPolygonF([QPointF(x, y) for x, y in pts]))
        path.closeSubpath()
    return path


class Viewer(QWidget):
    """Shows the current frame with its preview, onion skin and seam mask.

    Signals
    -------
    stroke_started() : the artist pressed the brush on the frame.
    stroke_segment(float, float, float, float) : brush moved from (x0, y0) to (x1, y1), image pixels.
    stroke_finished() : brush released.
    hovered(int, int) : image pixel under the cursor.
    view_changed() : zoom, pan, wipe, mode or a display control changed.
    prompt_drawn(float, float, float, float) : the artist drew a new puppet box (x, y, w, h), image pixels.
    prompt_edited(int, float, float, float, float) : the artist moved or resized box ``index``.
    prompt_clicked(float, float) : the artist clicked the face outside any prompt (a click prompt).
    prompt_point_moved(int, float, float) : the artist dragged click ``index`` to (x, y).
    prompt_selected(int) : the artist clicked box ``index`` (-1: none).
    """

    stroke_started = Signal()
    stroke_segment = Signal(float, float, float, float)
    stroke_finished = Signal()
    hovered = Signal(int, int)
    view_changed = Signal()
    prompt_drawn = Signal(float, float, float, float)
    prompt_edited = Signal(int, float, float, float, float)
    prompt_clicked = Signal(float, float)
    prompt_point_moved = Signal(int, float, float)
    prompt_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(320, 200)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self._before: QImage | None = None
        self._after: QImage | None = None
        self._onion: QImage | None = None
        self._compare: QImage | None = None
        self._mask: QImage | None = None
        self._rejected: QImage | None = None
        self._pending: QImage | None = None  # a carried correction under review
        # the arrays given ((H, W, 3) uint8, alpha, the frame as stored or None), kept to redraw
        # with other display controls
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None] = {
            "before": None, "after": None, "onion": None, "compare": None}  # fmt: skip
        self._masks: dict[str, np.ndarray | None] = {"mask": None, "rejected": None}
        self._outlines: dict[str, QPainterPath] = {}
        self.exposure = 0.0  # stops
        self.gamma = 1.0
        self.channel = "rgb"  # display.CHANNELS
        self.ab_view = "wipe"  # in "ab" mode: "wipe" (A | B), "a" or "b" alone
        self.ab_names = ("live", "")  # what versions A and B are ("" : no B)
        self.frame_label = ""  # the frame number shown in the view label
        self.playback = ""  # e.g. "▶ 23.8 fps": shown while playing
        self.smooth = True  # smooth scaling (off while playing: drawing costs less)
        self.mode = "wipe"
        self.wipe = 0.5  # fraction of the image width
        self.onion = False
        self.onion_opacity = 0.4
        self.mask_visible = True
        self.mask_opacity = 0.40
        self.tool = "view"
        self.brush_size = 12.0  # radius in image pixels
        self.brush_softness = 0.0  # feathered fraction of the radius (0: hard)
        self.zoom = 1.0
        self._center = QPointF(0, 0)  # image point at the widget centre
        self._fit = True
        self._drag: str | None = None
        self._last = QPointF()
        self._last_image = QPointF()
        self._cursor: QPointF | None = None
        self.message = ""  # shown when there is nothing to draw
        self.badge = ""  # small text in the top-left corner (frame number, override state)
        self.busy = False  # a preview is being rendered
        self._prompts: list[tuple[int, str, tuple[float, ...]]] = []  # (index, "box"/"point", values)
        self.prompt_selected_index: int | None = None
        # prompt being moved/resized/drawn (-1: new) and its box (a click's: the disc's square), image px
        self._edit: tuple[int, QRectF] | None = None
        self._edit_kind = "box"
        self._edit_before = QRectF()
        self._edit_start = QPointF()

    # -- content -------------------------------------------------------------------
    def _shown(self, which: str) -> QImage | None:
        """The image drawn for ``which`` ("before", "after", ...) with the display controls."""
        given = self._arrays[which]
        if given is None:
            return None
        frame8, alpha, deep = given
        return rgb_image(apply_display(frame8, exposure=self.exposure, gamma=self.gamma, channel=self.channel,
                                       alpha=alpha, deep=deep))  # fmt: skip

    def set_frame(self, frame8: np.ndarray | None, alpha: np.ndarray | None = None,
                  deep: np.ndarray | None = None) -> None:  # fmt: skip
        """Show ``(H, W, 3)`` uint8 as the current ("before") frame (``alpha``: its alpha,
        ``(H, W)`` uint8, for the alpha view; ``deep``: the frame as stored when it is 16-bit
        or float, for exposure and gamma at its own precision)."""
        size_changed = self._before is None or frame8 is None or (
            (self._before.width(), self._before.height()) != (frame8.shape[1], frame8.shape[0])
        )
        self._arrays["before"] = None if frame8 is None else (frame8, alpha, deep)
        self._before = self._shown("before")
        if size_changed:
            self._fit = True
        self._update_fit()
        self.update()

    def set_after(self, frame8: np.ndarray | None, alpha: np.ndarray | None = None,
                  deep: np.ndarray | None = None) -> None:  # fmt: skip
        """Show the plugin preview of the current frame (None: no preview); version A."""
        self._arrays["after"] = None if frame8 is None else (frame8, alpha, deep)
        self._after = self._shown("after")
        self.update()

    def set_onion(self, frame8: np.ndarray | None) -> None:
        """The previous frame, faded over the current one when onion skin is on."""
        self._arrays["onion"] = None if frame8 is None else (frame8, None, None)
        self._onion = self._shown("onion")
        self.update()

    def set_compare(self, frame8: np.ndarray | None, alpha: np.ndarray | None = None) -> None:
        """Version B of the current frame for the A/B mode (None: none for this frame)."""
        self._arrays["compare"] = None if frame8 is None else (frame8, alpha, None)
        self._compare = self._shown("compare")
        self.update()

    def array(self, which: str) -> np.ndarray | None:
        """The 8-bit display copy given for ``which`` ("before", "after", "onion", "compare")."""
        given = self._arrays[which]
        return None if given is None else given[0]

    def set_display(self, *, exposure: float | None = None, gamma: float | None = None,
                    channel: str | None = None) -> None:  # fmt: skip
        """Exposure (stops), gamma and channel (``display.CHANNELS``) of what is drawn;
        display only: the arrays given are never changed."""
        if channel is not None and channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        if gamma is not None and gamma <= 0:
            raise ValueError(f"gamma must be > 0, not {gamma}")
        self.exposure = self.exposure if exposure is None else float(exposure)
        self.gamma = self.gamma if gamma is None else float(gamma)
        self.channel = self.channel if channel is None else channel
        self._before, self._after = self._shown("before"), self._shown("after")
        self._onion, self._compare = self._shown("onion"), self._shown("compare")
        self.view_changed.emit()
        self.update()

    def set_mask(self, mask: np.ndarray | None) -> None:
        """Seam mask of the current frame, ``(H, W)`` uint8, 255 = seam."""
        self._masks["mask"] = mask
        self._outlines.pop("mask", None)
        self._mask = None if mask is None else mask_image(mask, soft=True)
        self.update()

    def set_rejected(self, mask: np.ndarray | None) -> None:
        """Lines the detector found off any face and left alone, ``(H, W)`` uint8, 255 =
        line; drawn in cyan with the seam mask so the artist can paint them in."""
        self._masks["rejected"] = mask
        self._outlines.pop("rejected", None)
        self._rejected = None if mask is None else mask_image(mask, REJECTED_COLOUR)
        self.update()

    def set_pending(self, coverage: np.ndarray | None) -> None:
        """Where a carried correction not yet applied lands on this frame, ``(H, W)``
        uint8 coverage; drawn in the accent colour over the mask."""
        self._pending = None if coverage is None else mask_image(coverage, QColor(ACCENT), soft=True)
        self.update()

    @property
    def has_pending(self) -> bool:
        return self._pending is not None

    def _outline(self, which: str) -> QPainterPath | None:
        if self._masks[which] is None:
            return None
        if which not in self._outlines:
            self._outlines[which] = mask_outline(self._masks[which])
        return self._outlines[which]

    @property
    def outlined(self) -> bool:
        """True when the masks are drawn as outlines (over a result), not filled."""
        return self.mode in ("after", "ab")

    @property
    def has_compare(self) -> bool:
        return self._compare is not None

    def set_prompts(self, prompts: list[tuple[int, str, tuple[float, ...]]], selected: int | None = None) -> None:
        """The artist's puppet prompts on this frame: ``(index, kind, values)`` with kind
        ``"box"`` (x, y, w, h) or ``"point"`` (x, y, radius), image pixels."""
        self._prompts = list(prompts)
        self.prompt_selected_index = selected
        self.update()

    @property
    def prompt_boxes(self) -> list[tuple[int, str, tuple[float, ...]]]:
        return list(self._prompts)

    @property
    def has_rejected(self) -> bool:
        return self._rejected is not None

    @property
    def has_after(self) -> bool:
        return self._after is not None

    @property
    def has_mask(self) -> bool:
        return self._mask is not None

    # -- view controls ---------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in VIEW_MODES:
            raise ValueError(f"unknown view mode {mode!r}")
        self.mode = mode
        self.view_changed.emit()
        self.update()

    def set_ab_view(self, view: str) -> None:
        """In A/B mode: ``"wipe"`` (A left of the wipe line, B right), ``"a"`` or ``"b"``."""
        if view not in AB_VIEWS:
            raise ValueError(f"unknown A/B view {view!r}")
        self.ab_view = view
        self.view_changed.emit()
        self.update()

    def view_label(self) -> str:
        """What is shown, in words: the version(s), the channel, exposure, gamma, the frame."""
        if self.mode == "ab":
            a = f"A: {self.ab_names[0]}"
            b = f"B: {self.ab_names[1] or 'none'}"
            what = {"wipe": f"{a}  |  {b}", "a": a, "b": b}[self.ab_view]
        elif self.mode == "after" and self._after is None:
            what = "AFTER (rendering)"
        else:
            what = {"before": "BEFORE", "wipe": "BEFORE  |  AFTER", "after": "AFTER"}[self.mode]
        parts = [what]
        if self.channel != "rgb":
            name = CHANNEL_NAMES[self.channel]
            if self.channel == "a" and self._arrays["before"] is not None and self._arrays["before"][1] is None:
                name = "luma (no alpha)"
            parts.append(name.upper())
        if self.exposure:
            parts.append(f"{self.exposure:+.1f} stops")
        if self.gamma != 1.0:
            parts.append(f"gamma {self.gamma:.2f}")
        if self.frame_label:
            parts.append(self.frame_label)
        return "   ·   ".join(parts)

    def set_wipe(self, fraction: float) -> None:
        self.wipe = float(min(1.0, max(0.0, fraction)))
        self.view_changed.emit()
        self.update()

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}")
        self.tool = tool
        self.setCursor({"view": Qt.ArrowCursor, "prompt": Qt.CrossCursor}.get(tool, Qt.BlankCursor))
        self.update()

    def fit(self) -> None:
        """Zoom so the whole frame is visible."""
        self._fit = True
        self._update_fit()
        self.view_changed.emit()
        self.update()

    def actual_size(self) -> None:
        """100 %: one frame pixel per screen pixel."""
        self._fit = False
        self.zoom = 1.0
        self.view_changed.emit()
        self.update()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom by ``factor`` keeping the image point under ``anchor`` (widget coords) fixed."""
        if self._before is None:
            return
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        before = self.to_image(anchor)
        self._fit = False
        self.zoom = float(min(32.0, max(0.05, self.zoom * factor)))
        after = self.to_image(anchor)
        self._center += before - after
        self.view_changed.emit()
        self.update()

    def _update_fit(self) -> None:
        if not self._fit or self._before is None:
            return
        w, h = self._before.width(), self._before.height()
        self.zoom = max(0.01, min((self.width() - 16) / w, (self.height() - 16) / h))
        self._center = QPointF(w / 2, h / 2)

    # -- coordinates -------------------------------------------------------------------
    def to_image(self, p: QPointF) -> QPointF:
        """Widget point to image pixel coordinates."""
        return QPointF(
            (p.x() - self.width() / 2) / self.zoom + self._center.x(),
            (p.y() - self.height() / 2) / self.zoom + self._center.y(),
        )

    def to_widget(self, p: QPointF) -> QPointF:
        """Image pixel coordinates to a widget point."""
        return QPointF(
            (p.x() - self._center.x()) * self.zoom + self.width() / 2,
            (p.y() - self._center.y()) * self.zoom + self.height() / 2,
        )

    def image_rect(self) -> QRectF:
        """Where the frame is drawn, in widget coordinates."""
        if self._before is None:
            return QRectF()
        tl = self.to_widget(QPointF(0, 0))
        return QRectF(tl.x(), tl.y(), self._before.width() * self.zoom, self._before.height() * self.zoom)

    def wipe_x(self) -> float:
        r = self.image_rect()
        return r.left() + self.wipe * r.width()

    # -- painting ------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#111214"))
        if self._before is None:
            p.setPen(QColor("#8b8f96"))
            f = QFont(self.font())
            f.setPointSize(13)
            p.setFont(f)
            p.drawText(self.rect(), Qt.AlignCenter, self.message or "Open a shot  (Ctrl+O, or drop a folder here)")
            return
        p.setRenderHint(QPainter.SmoothPixmapTransform, self.smooth and self.zoom < 2.0)
        rect = self.image_rect()
        src = QRectF(0, 0, self._before.width(), self._before.height())
        show_after = self._after is not None and self.mode in ("after", "wipe")
        if self.mode == "ab":
            version_a = self._after if self._after is not None else self._before
            shown = self._compare if self.ab_view == "b" and self._compare is not None else version_a
            if self.ab_view == "b" and self._compare is None:
                shown = None  # B asked for and not there: say so, show no stand-in
            if shown is not None:
                p.drawImage(rect, shown, QRectF(shown.rect()))
            if self.ab_view == "wipe" and self._compare is not None:
                x = self.wipe_x()
                p.save()
                p.setClipRect(QRectF(x, rect.top(), rect.right() - x, rect.height()))
                p.drawImage(rect, self._compare, QRectF(self._compare.rect()))
                p.restore()
        elif self.mode == "after" and self._after is not None:
            p.drawImage(rect, self._after, QRectF(self._after.rect()))
        else:
            p.drawImage(rect, self._before, src)
        if self.onion and self._onion is not None:
            p.setOpacity(self.onion_opacity)
            p.drawImage(rect, self._onion, QRectF(self._onion.rect()))
            p.setOpacity(1.0)
        if self.mode == "wipe" and show_after:
            x = self.wipe_x()
            p.save()
            p.setClipRect(QRectF(x, rect.top(), rect.right() - x, rect.height()))
            p.drawImage(rect, self._after, QRectF(self._after.rect()))
            p.restore()
        if self.mask_visible and self.outlined:  # over a result: outlines, the result stays visible
            p.save()
            if self.mode == "ab" and self._compare is not None and self.ab_view != "a":
                # the live mask outlines version A only: none over B, whose render it is not
                x = self.wipe_x() if self.ab_view == "wipe" else rect.left()
                p.setClipRect(QRectF(rect.left(), rect.top(), x - rect.left(), rect.height()))
            self._draw_outlines(p)
            p.restore()
        elif self.mask_visible and self._mask is not None:
            p.save()
            if self.mode == "wipe" and show_after and self.tool in ("view", "prompt"):
                # the mask marks what is painted out: over the before side only, so the
                # after side shows the clean result (while painting it is drawn everywhere)
                p.setClipRect(QRectF(rect.left(), rect.top(), self.wipe_x() - rect.left(), rect.height()))
            p.setOpacity(self.mask_opacity)
            p.drawImage(rect, self._mask, src)
            p.restore()
        if self.mask_visible and self._rejected is not None and not self.outlined:  # the same on both sides
            p.setOpacity(max(self.mask_opacity, 0.6))
            p.drawImage(rect, self._rejected, QRectF(self._rejected.rect()))
            p.setOpacity(1.0)
        if self.mask_visible and self._pending is not None:
            p.setOpacity(0.75)
            p.drawImage(rect, self._pending, QRectF(self._pending.rect()))
            p.setOpacity(1.0)
        p.setPen(QPen(QColor("#3a3d43"), 1))
        p.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
        if self.mode == "wipe" and show_after:
            self._draw_wipe(p, rect)
        elif self.mode == "ab" and self.ab_view == "wipe" and self._compare is not None:
            self._draw_wipe(p, rect, ("A", "B"))
        self._draw_prompts(p)
        self._draw_badges(p, rect)
        if self.tool in ("paint", "erase") and self._cursor is not None:
            colour = QColor(ACCENT) if self.tool == "paint" else QColor("#6ec6ff")
            r = self.brush_size * self.zoom
            p.setRenderHint(QPainter.Antialiasing, True)
            p.setPen(QPen(QColor(0, 0, 0, 160), 3))
            p.drawEllipse(self._cursor, r, r)
            p.setPen(QPen(colour, 1.5))
            p.drawEllipse(self._cursor, r, r)
            if self.brush_softness > 0:  # the soft brush's full-strength core
                core = r * (1.0 - min(1.0, self.brush_softness))
                p.setPen(QPen(colour, 1, Qt.DotLine))
                p.drawEllipse(self._cursor, core, core)
                p.setPen(QPen(colour, 1.5))
            p.drawLine(self._cursor - QPointF(3, 0), self._cursor + QPointF(3, 0))
            p.drawLine(self._cursor - QPointF(0, 3), self._cursor + QPointF(0, 3))

    def _prompt_rect(self, values: tuple[float, ...]) -> QRectF:
        tl = self.to_widget(QPointF(values[0], values[1]))
        return QRectF(tl.x(), tl.y(), values[2] * self.zoom, values[3] * self.zoom)

    def _draw_prompts(self, p: QPainter) -> None:
        shapes = [(i, k, v) for i, k, v in self._prompts if self._edit is None or i != self._edit[0]]
        if self._edit is not None:
            r = self._edit[1]
            if self._edit_kind == "box":
                shapes.append((self._edit[0], "box", (r.x(), r.y(), r.width(), r.height())))
            else:
                shapes.append((self._edit[0], "point", (r.center().x(), r.center().y(), r.width() / 2)))
        if not shapes:
            return
        p.save()
        p.setRenderHint(QPainter.Antialiasing, True)
        f = QFont(self.font())
        f.setPointSize(8)
        f.setBold(True)
        p.setFont(f)
        for index, kind, values in shapes:
            selected = index == self.prompt_selected_index or (self._edit is not None and index == self._edit[0])
            if kind == "box":
                r = self._prompt_rect(values)
                label_at = r.topLeft()
            else:
                c = self.to_widget(QPointF(values[0], values[1]))
                rad = values[2] * self.zoom
                r = QRectF(c.x() - rad, c.y() - rad, 2 * rad, 2 * rad)
                label_at = QPointF(c.x() - rad, c.y() - rad)
            draw = p.drawRect if kind == "box" else p.drawEllipse
            p.setPen(QPen(QColor(0, 0, 0, 150), 3))
            draw(r)
            p.setPen(QPen(PROMPT_COLOUR, 2 if selected else 1.5, Qt.SolidLine if selected else Qt.DashLine))
            draw(r)
            if kind == "box" and selected:
                br = r.bottomRight()
                p.fillRect(QRectF(br.x() - 4, br.y() - 4, 8, 8), PROMPT_COLOUR)
            text = "puppet"
            w = p.fontMetrics().horizontalAdvance(text) + 8
            tag = QRectF(label_at.x(), label_at.y() - 16, w, 15)
            p.fillRect(tag, QColor(0, 0, 0, 160))
            p.setPen(PROMPT_COLOUR)
            p.drawText(tag, Qt.AlignCenter, text)
        p.restore()

    def _prompt_at(self, pos: QPointF) -> tuple[int, str] | None:
        """The box under ``pos`` (widget) and the grip: ``"resize"`` at its corner, else ``"move"``."""
        for index, kind, values in reversed(self._prompts):
            if kind == "point":
                c = self.to_widget(QPointF(values[0], values[1]))
                d = pos - c
                if d.x() ** 2 + d.y() ** 2 <= (values[2] * self.zoom) ** 2:
                    return index, "move"
                continue
            r = self._prompt_rect(values)
            if (pos - r.bottomRight()).manhattanLength() <= 2 * _HANDLE:
                return index, "resize"
            if r.contains(pos):
                return index, "move"
        return None

    def _draw_outlines(self, p: QPainter) -> None:
        """The seam mask (magenta) and the lines left alone (cyan) as outlines, a constant
        1.5 screen pixels wide at any zoom, with a dark edge so they read on any colour."""
        to_widget = QTransform(self.zoom, 0, 0, self.zoom, self.width() / 2 - self._center.x() * self.zoom,
                               self.height() / 2 - self._center.y() * self.zoom)  # fmt: skip
        p.save()
        p.setRenderHint(QPainter.Antialiasing, True)
        for which, colour in (("mask", MASK_COLOUR), ("rejected", REJECTED_COLOUR)):
            path = self._outline(which)
            if path is None or path.isEmpty():
                continue
            shown = to_widget.map(path)
            p.setPen(QPen(QColor(0, 0, 0, 150), 3.0))
            p.drawPath(shown)
            p.setPen(QPen(colour, 1.5))
            p.drawPath(shown)
        p.restore()

    def _draw_wipe(self, p: QPainter, rect: QRectF, names: tuple[str, str] = ("BEFORE", "AFTER")) -> None:
        x = self.wipe_x()
        top, bottom = max(0.0, rect.top()), min(float(self.height()), rect.bottom())
        p.setRenderHint(QPainter.Antialiasing, True)
        p.setPen(QPen(QColor(0, 0, 0, 140), 3))
        p.drawLine(QPointF(x, top), QPointF(x, bottom))
        p.setPen(QPen(QColor(ACCENT), 1.5))
        p.drawLine(QPointF(x, top), QPointF(x, bottom))
        mid = (top + bottom) / 2
        p.setBrush(QColor(ACCENT))
        p.drawEllipse(QPointF(x, mid), 7, 7)
        p.setBrush(Qt.NoBrush)
        f = QFont(self.font())
        f.setPointSize(9)
        f.setBold(True)
        p.setFont(f)
        for box, text in self.wipe_tags(rect, names):
            p.fillRect(box, QColor(0, 0, 0, 150))
            p.setPen(QColor("#e6e6e6"))
            p.drawText(box, Qt.AlignCenter, text)

    def wipe_tags(self, rect: QRectF, names: tuple[str, str] = ("BEFORE", "AFTER")) -> list[tuple[QRectF, str]]:
        """The names either side of the wipe line and their boxes: at the top of the frame,
        or under the corner labels where they would meet them (a long view label on a
        narrow viewer)."""
        f = QFont(self.font())
        f.setPointSize(9)
        f.setBold(True)
        fm = QFontMetricsF(f)
        x, top = self.wipe_x(), max(0.0, rect.top())
        boxes = []
        for text, right in ((names[0], True), (names[1], False)):
            w = fm.horizontalAdvance(text) + 12
            boxes.append((QRectF(x - w - 6 if right else x + 6, top + 8, w, 18), text))
        below = max((b.bottom() for b in self.label_boxes() if any(b.intersects(t) for t, _ in boxes)), default=None)
        if below is not None:
            for box, _text in boxes:
                box.moveTop(below + 4)
        return boxes

    def _badge_lines(self) -> list[str]:
        busy = "rendering preview…" if self.busy else ""
        return [t for t in (self.badge, f"{self.zoom * 100:.0f}%", busy, self.playback) if t]

    def _label_layout(self) -> tuple[list[tuple[QRectF, str]], tuple[QRectF, str]]:
        """Where the corner labels go: the badges top left, one a line, and the view label
        top right, shortened (…) so that it never runs into the badges."""
        f = QFont(self.font())
        f.setPointSize(9)
        fm = QFontMetricsF(f)
        badges = []
        y = 8.0
        for text in self._badge_lines():
            badges.append((QRectF(8, y, fm.horizontalAdvance(text) + 14, 20), text))
            y += 24
        f.setBold(True)
        fm = QFontMetricsF(f)
        label = self.view_label()
        first = badges[0][0].right() if badges else 0.0
        room = self.width() - 8 - first - 12 - 16
        if fm.horizontalAdvance(label) > room:
            label = fm.elidedText(label, Qt.ElideMiddle, max(0.0, room))
        w = fm.horizontalAdvance(label) + 16
        return badges, (QRectF(self.width() - w - 8, 8, w, 20), label)

    def label_boxes(self) -> list[QRectF]:
        """The corner labels' boxes in widget pixels (the badges, then the view label)."""
        badges, (box, _label) = self._label_layout()
        return [b for b, _ in badges] + [box]

    def _draw_badges(self, p: QPainter, rect: QRectF) -> None:
        f = QFont(self.font())
        f.setPointSize(9)
        p.setFont(f)
        badges, (box, label) = self._label_layout()
        for badge, text in badges:
            p.fillRect(badge, QColor(0, 0, 0, 160))
            p.setPen(QColor("#e6e6e6"))
            p.drawText(badge, Qt.AlignCenter, text)
        # what is shown, top right: the version(s), channel, exposure, gamma, frame
        f.setBold(True)
        p.setFont(f)
        p.fillRect(box, QColor(0, 0, 0, 170))
        p.setPen(QColor(ACCENT) if (self.channel != "rgb" or self.exposure or self.gamma != 1.0)
                 else QColor("#e6e6e6"))  # fmt: skip
        p.drawText(box, Qt.AlignCenter, label)

    # -- events --------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self._update_fit()
        super().resizeEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25**steps, event.position())

    def _near_wipe(self, pos: QPointF) -> bool:
        wipe = (self.mode == "wipe" and self._after is not None) or (
            self.mode == "ab" and self.ab_view == "wipe" and self._compare is not None)
        return wipe and abs(pos.x() - self.wipe_x()) < 8

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        self._last = pos
        if self._before is None:
            return
        pan_mod = event.modifiers() & Qt.AltModifier
        if event.button() == Qt.MiddleButton or (event.button() == Qt.LeftButton and pan_mod):
            self._drag = "pan"
        elif event.button() == Qt.LeftButton and self.tool == "prompt":
            ip = self.to_image(pos)
            hit = self._prompt_at(pos)
            self._edit_start = ip
            if hit is None:
                self._drag = "draw"
                self._edit, self._edit_kind = (-1, QRectF(ip, ip)), "box"
                self.prompt_selected.emit(-1)
            else:
                index, grip = hit
                kind, values = next((k, v) for i, k, v in self._prompts if i == index)
                self._drag = grip
                self._edit_kind = kind
                if kind == "box":
                    self._edit = (index, QRectF(*values))
                else:
                    x, y, rad = values
                    self._edit = (index, QRectF(x - rad, y - rad, 2 * rad, 2 * rad))
                self._edit_before = QRectF(self._edit[1])
                self.prompt_selected_index = index
                self.prompt_selected.emit(index)
        elif event.button() == Qt.LeftButton and self.tool != "view":
            self._drag = "brush"
            self._last_image = self.to_image(pos)
            self.stroke_started.emit()
            self.stroke_segment.emit(
                self._last_image.x(), self._last_image.y(), self._last_image.x(), self._last_image.y()
            )
        elif event.button() == Qt.LeftButton and self._near_wipe(pos):
            self._drag = "wipe"
        elif event.button() == Qt.LeftButton:
            self._drag = "pan"

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        self._cursor = pos
        if self._before is not None:
            ip = self.to_image(pos)
            self.hovered.emit(int(ip.x()), int(ip.y()))
        if self._drag == "pan":
            self._fit = False
            self._center -= (pos - self._last) / self.zoom
            self.view_changed.emit()
        elif self._drag == "wipe":
            r = self.image_rect()
            self.set_wipe((pos.x() - r.left()) / max(1.0, r.width()))
        elif self._drag == "brush":
            ip = self.to_image(pos)
            self.stroke_segment.emit(self._last_image.x(), self._last_image.y(), ip.x(), ip.y())
            self._last_image = ip
        elif self._drag in ("draw", "move", "resize") and self._edit is not None:
            ip = self.to_image(pos)
            index, r = self._edit
            if self._drag == "draw":
                r = QRectF(self._edit_start, ip).normalized()
            elif self._drag == "move":
                r = QRectF(r)
                r.translate(ip - self._edit_start)
                self._edit_start = ip
            else:
                r = QRectF(r.topLeft(), ip).normalized()
            self._edit = (index, r)
        elif self.tool == "view":
            self.setCursor(Qt.SplitHCursor if self._near_wipe(pos) else Qt.ArrowCursor)
        self._last = pos
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag == "brush":
            self.stroke_finished.emit()
        elif self._drag in ("draw", "move", "resize") and self._edit is not None:
            index, r = self._edit
            self._edit = None
            values = (round(r.x(), 1), round(r.y(), 1), round(r.width(), 1), round(r.height(), 1))
            if index >= 0 and r == self._edit_before:
                pass  # a click on a prompt selects it; nothing moved, nothing to save (or key)
            elif self._edit_kind == "point":
                self.prompt_point_moved.emit(index, round(r.center().x(), 1), round(r.center().y(), 1))
            elif r.width() >= 4 and r.height() >= 4:
                if index < 0:
                    self.prompt_drawn.emit(*values)
                else:
                    self.prompt_edited.emit(index, *values)
            elif index < 0:  # a click without a drag: a click prompt on the face
                self.prompt_clicked.emit(round(self._edit_start.x(), 1), round(self._edit_start.y(), 1))
            self.update()
        self._drag = None

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._cursor = None
        self.update()
