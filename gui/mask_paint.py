"""Mask corrections: paint to add to or erase from a frame's seam mask (hard or soft brush),
undo/redo across the whole shot, save, and write a correction carried to other frames.

A correction is a whole mask (uint8, 255 = seam; a soft brush leaves values in between),
saved and read with the library's :mod:`laika_fx.overrides` (``save_mask_override``,
``load_mask_override``, ``remove_mask_override``) in the folder the batch (GUI or
``laika-fx batch``) reads automatically, using that mask instead of the detection for that
frame. The app and the batch therefore cannot disagree about which file belongs to a frame
or what it holds.

Undo is per shot: each step (a stroke, a revert, a correction carried to many frames)
remembers the override files it changed, as they were before and after, and undoing it
puts all of them back at once, whichever frame is on screen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal

from laika_fx.carry import Stroke, apply_strokes
from laika_fx.io import FrameReadError, atomic_write_bytes
from laika_fx.overrides import (
    load_mask_override,
    mask_override_path,
    remove_mask_override,
    save_mask_override,
)

__all__ = ["MaskEditor", "Edit", "brush_coverage"]


def brush_coverage(shape: tuple[int, int], x0: float, y0: float, x1: float, y1: float, radius: float,
                   softness: float = 0.0) -> tuple[tuple[slice, slice], np.ndarray] | None:  # fmt: skip
    """Where a round brush dragged from (x0, y0) to (x1, y1) covers a frame of ``shape``.

    Hard (``softness`` 0): 255 within ``radius`` of the segment (OpenCV's line and discs).
    Soft: 255 out to ``radius * (1 - softness)``, then falling smoothly (smoothstep) to 0 at
    ``radius``: ``softness`` 1 is a brush that is all feather.

    Returns ``(rows, cols)`` slices and the uint8 coverage inside them, or None if the
    brush misses the frame.
    """
    h, w = shape
    r = max(1.0, float(radius))
    pad = int(np.ceil(r)) + 1
    bx0, bx1 = max(0, int(min(x0, x1)) - pad), min(w, int(max(x0, x1)) + pad + 1)
    by0, by1 = max(0, int(min(y0, y1)) - pad), min(h, int(max(y0, y1)) + pad + 1)
    if bx1 <= bx0 or by1 <= by0:
        return None
    sl = np.s_[by0:by1, bx0:bx1]
    if softness <= 0:
        cov = np.zeros((by1 - by0, bx1 - bx0), np.uint8)
        ri = max(1, round(r))
        p0, p1 = (round(x0) - bx0, round(y0) - by0), (round(x1) - bx0, round(y1) - by0)
        cv2.line(cov, p0, p1, 255, thickness=2 * ri, lineType=cv2.LINE_8)
        cv2.circle(cov, p1, ri, 255, thickness=-1)
        cv2.circle(cov, p0, ri, 255, thickness=-1)
        return sl, cov
    yy, xx = np.mgrid[by0:by1, bx0:bx1].astype(np.float32)
    dx, dy = x1 - x0, y1 - y0
    seg = dx * dx + dy * dy
    t = np.zeros_like(xx) if seg == 0 else np.clip(((xx - x0) * dx + (yy - y0) * dy) / seg, 0.0, 1.0)
    d = np.hypot(xx - (x0 + t * dx), yy - (y0 + t * dy))
    core = r * (1.0 - min(1.0, softness))
    u = np.clip((r - d) / max(r - core, 1e-6), 0.0, 1.0)
    cov = (u * u * (3.0 - 2.0 * u) * 255.0 + 0.5).astype(np.uint8)
    return sl, cov


@dataclass
class Edit:
    """One undo step: the override files it changed, as bytes before and after (None: no file).

    Attributes
    ----------
    label : what the step did, for the status bar.
    files : ``{frame path: (before, after)}``.
    stroke : for a stroke, the stroke (so the strokes of a frame can be carried).
    """

    label: str
    files: dict[Path, tuple[bytes | None, bytes | None]] = field(default_factory=dict)
    stroke: Stroke | None = None


class MaskEditor(QObject):
    """The editable mask of the current frame, the shot's undo history, and saving.

    Signals
    -------
    changed() : the mask (or whether it is an override) changed.
    saved(str) : an override file was written or removed (its path).
    load_failed(str) : the frame's override exists but cannot be used (the batch would
        fail that frame for the same reason); the detection is shown instead.
    """

    changed = Signal()
    saved = Signal(str)
    load_failed = Signal(str)

    def __init__(self, parent: QObject | None = None, *, max_undo: int = 60) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self.frame_path: Path | None = None
        self._shape: tuple[int, ...] = (0, 0)
        self.mask: np.ndarray | None = None
        self.is_override = False
        self._detected: np.ndarray | None = None
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []
        self._max_undo = max_undo
        self._stroke: dict | None = None  # the stroke being drawn
        #: the strokes drawn on the frame on screen since it was shown (what Carry carries)
        self.strokes: list[Stroke] = []

    # -- which frame -------------------------------------------------------------------
    @property
    def stem(self) -> str | None:
        return None if self.frame_path is None else self.frame_path.stem

    def path(self) -> Path | None:
        """This frame's override file (``mask_override_path``), whether it exists or not."""
        if self.folder is None or self.frame_path is None:
            return None
        return mask_override_path(self.folder, self.frame_path)

    def load(self, folder: str | os.PathLike, frame_path: str | os.PathLike, frame: np.ndarray,
             detected: np.ndarray | None) -> None:  # fmt: skip
        """Show the frame at ``frame_path`` (pixels ``frame``): its override, else ``detected``.

        The undo history is the shot's: it is kept when the frame changes, and cleared
        only when the override folder (the shot) changes."""
        folder, frame_path = Path(folder), Path(frame_path)
        if folder != self.folder:
            self._undo.clear()
            self._redo.clear()
        if (folder, frame_path) != (self.folder, self.frame_path):
            self.strokes = []
        self.folder, self.frame_path = folder, frame_path
        self._shape = tuple(frame.shape[:2])
        self._detected = None if detected is None else ((detected > 0) * 255).astype(np.uint8)
        self._reload()

    def _reload(self) -> None:
        """Show the current frame's override file, else the detection."""
        try:
            override = load_mask_override(self.folder, self.frame_path, np.broadcast_to(np.uint8(0), self._shape))
        except (FrameReadError, OSError) as exc:
            override = None
            self.load_failed.emit(f"mask override for {self.frame_path.name} not used: {exc}")
        self.is_override = override is not None
        self.mask = override if override is not None else self._detected
        self.changed.emit()

    def set_detected(self, detected: np.ndarray | None) -> None:
        """A fresh detection arrived; shown unless the frame has an override."""
        if self.stem is None:
            return
        if detected is not None and detected.shape != self._shape:
            return  # a plugin changed the frame size; the mask no longer lines up
        self._detected = None if detected is None else ((detected > 0) * 255).astype(np.uint8)
        if self.is_override:
            return
        self.mask = self._detected
        self.changed.emit()

    # -- painting ------------------------------------------------------------------
    def begin_stroke(self, *, erase: bool = False) -> None:
        """Remember the mask before a stroke (one undo step per stroke)."""
        if self.stem is None:
            return
        base = np.zeros(self._shape, np.uint8) if self.mask is None else self.mask.copy()
        self._stroke = {"before": self._file_bytes(self.frame_path), "base": base,
                        "coverage": np.zeros(self._shape, np.uint8), "erase": erase}  # fmt: skip

    def paint(self, x0: float, y0: float, x1: float, y1: float, radius: float, *, erase: bool = False,
              softness: float = 0.0) -> None:  # fmt: skip
        """Add (or erase) a round brush stroke from (x0, y0) to (x1, y1), image pixels;
        ``softness`` 0 is a hard brush, up to 1 all feather (:func:`brush_coverage`)."""
        if self.stem is None:
            return
        if self._stroke is None:  # a segment without begin_stroke: the stroke starts here
            self.begin_stroke(erase=erase)
        self._stroke["erase"] = erase
        hit = brush_coverage(self._shape, x0, y0, x1, y1, radius, softness)
        if hit is None:
            return
        sl, cov = hit
        st = self._stroke
        np.maximum(st["coverage"][sl], cov, out=st["coverage"][sl])
        if self.mask is None or self.mask is self._detected:
            self.mask = st["base"].copy()
        self.mask[sl] = apply_strokes(st["base"][sl], [Stroke(st["coverage"][sl], erase)])
        self.changed.emit()

    def end_stroke(self) -> None:
        """Finish a stroke and save the correction (one undo step)."""
        st, self._stroke = self._stroke, None
        if st is None or not st["coverage"].any():
            return
        path = self.save()
        if path is None:
            return
        stroke = Stroke(st["coverage"], st["erase"])
        self.strokes.append(stroke)
        label = f"{'erase' if st['erase'] else 'paint'} stroke on {self.frame_path.name}"
        self._push(Edit(label, {self.frame_path: (st["before"], self._file_bytes(self.frame_path))}, stroke))

    # -- undo ----------------------------------------------------------------------
    def undo(self) -> Edit | None:
        """Undo the shot's last step (all the frames it changed); the step, or None."""
        if not self._undo:
            return None
        edit = self._undo.pop()
        self._redo.append(edit)
        self._put_back(edit, 0)
        if edit.stroke is not None and self.strokes and self.strokes[-1] is edit.stroke:
            self.strokes.pop()
        return edit

    def redo(self) -> Edit | None:
        if not self._redo:
            return None
        edit = self._redo.pop()
        self._undo.append(edit)
        self._put_back(edit, 1)
        if edit.stroke is not None and self.frame_path in edit.files:
            self.strokes.append(edit.stroke)
        return edit

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_label(self) -> str:
        return self._undo[-1].label if self._undo else ""

    @property
    def redo_label(self) -> str:
        return self._redo[-1].label if self._redo else ""

    # -- files ---------------------------------------------------------------------
    def save(self) -> Path | None:
        """Write the current mask as this frame's override (atomic)."""
        if self.path() is None or self.mask is None:
            return None
        path = save_mask_override(self.folder, self.frame_path, self.mask)
        self.is_override = True
        self.changed.emit()
        self.saved.emit(str(path))
        return path

    def revert(self, detected: np.ndarray | None = None) -> None:
        """Delete this frame's override (undoable) and go back to the detection."""
        path = self.path()
        if path is None:
            return
        before = self._file_bytes(self.frame_path)
        if detected is not None:
            self._detected = ((detected > 0) * 255).astype(np.uint8)
        remove_mask_override(self.folder, self.frame_path)
        if before is not None:
            self._push(Edit(f"revert {self.frame_path.name}", {self.frame_path: (before, None)}))
        self._reload()
        self.saved.emit(str(path))

    def write_masks(self, masks: dict[Path, np.ndarray], label: str) -> list[Path]:
        """Write ``masks`` (``{frame path: mask}``) as those frames' overrides, as one undo
        step; the files written."""
        if self.folder is None or not masks:
            return []
        files, written = {}, []
        for frame_path, mask in masks.items():
            before = self._file_bytes(frame_path)
            written.append(save_mask_override(self.folder, frame_path, mask))
            files[Path(frame_path)] = (before, self._file_bytes(frame_path))
        self._push(Edit(label, files))
        if self.frame_path in files:
            self._reload()
        for p in written:
            self.saved.emit(str(p))
        return written

    # -- undo internals ------------------------------------------------------------
    def _file_bytes(self, frame_path: Path) -> bytes | None:
        try:
            return mask_override_path(self.folder, frame_path).read_bytes()
        except FileNotFoundError:
            return None

    def _push(self, edit: Edit) -> None:
        self._undo.append(edit)
        del self._undo[: -self._max_undo]
        self._redo.clear()
        self.changed.emit()

    def _put_back(self, edit: Edit, side: int) -> None:
        """Write every file of ``edit`` as it was before (side 0) or after (side 1) it."""
        for frame_path, states in edit.files.items():
            data = states[side]
            target = mask_override_path(self.folder, frame_path)
            if data is None:
                remove_mask_override(self.folder, frame_path)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(target, data)
            self.saved.emit(str(target))
        if self.frame_path in edit.files:
            self._reload()
        else:
            self.changed.emit()
