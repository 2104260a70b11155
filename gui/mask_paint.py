"""Mask corrections: paint to add to or erase from a frame's seam mask, undo/redo, save.

A correction is a whole mask (uint8, 255 = seam), saved and read with the library's
:mod:`laika_fx.overrides` (``save_mask_override``, ``load_mask_override``,
``remove_mask_override``) in the folder the batch (GUI or ``laika-fx batch``) reads
automatically, using that mask instead of the detection for that frame. The app and the
batch therefore cannot disagree about which file belongs to a frame or what it holds.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal

from laika_fx.io import FrameReadError
from laika_fx.overrides import (
    load_mask_override,
    mask_override_path,
    remove_mask_override,
    save_mask_override,
)

__all__ = ["MaskEditor"]


class MaskEditor(QObject):
    """The editable mask of the current frame, with undo/redo and saving.

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

    def __init__(self, parent: QObject | None = None, *, max_undo: int = 40) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self.frame_path: Path | None = None
        self._shape: tuple[int, ...] = (0, 0)
        self.mask: np.ndarray | None = None
        self.is_override = False
        self._undo: list[np.ndarray | None] = []
        self._redo: list[np.ndarray | None] = []
        self._max_undo = max_undo
        self._stroke_open = False

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
        """Show the frame at ``frame_path`` (pixels ``frame``): its override, else ``detected``."""
        folder, frame_path = Path(folder), Path(frame_path)
        same_frame = (folder, frame_path) == (self.folder, self.frame_path)
        self.folder, self.frame_path = folder, frame_path
        if not same_frame:
            self._undo.clear()
            self._redo.clear()
        self._shape = tuple(frame.shape[:2])
        try:
            override = load_mask_override(folder, frame_path, frame)
        except (FrameReadError, OSError) as exc:
            override = None
            self.load_failed.emit(f"mask override for {frame_path.name} not used: {exc}")
        self.is_override = override is not None
        if override is not None:
            self.mask = override
        elif detected is not None:
            self.mask = ((detected > 0) * 255).astype(np.uint8)
        else:
            self.mask = None
        self.changed.emit()

    def set_detected(self, detected: np.ndarray | None) -> None:
        """A fresh detection arrived; shown unless the frame has an override."""
        if self.is_override or self.stem is None:
            return
        if detected is not None and detected.shape != self._shape:
            return  # a plugin changed the frame size; the mask no longer lines up
        self.mask = None if detected is None else ((detected > 0) * 255).astype(np.uint8)
        self.changed.emit()

    # -- painting ------------------------------------------------------------------
    def begin_stroke(self) -> None:
        """Remember the mask before a stroke (one undo step per stroke)."""
        if self.stem is None:
            return
        self._push_undo()
        self._stroke_open = True

    def paint(self, x0: float, y0: float, x1: float, y1: float, radius: float, *, erase: bool = False) -> None:
        """Add (or erase) a round brush stroke from (x0, y0) to (x1, y1), image pixels."""
        if self.stem is None:
            return
        if self.mask is None:
            self.mask = np.zeros(self._shape, np.uint8)
        r = max(1, round(radius))
        p0, p1 = (round(x0), round(y0)), (round(x1), round(y1))
        cv2.line(self.mask, p0, p1, 0 if erase else 255, thickness=2 * r, lineType=cv2.LINE_8)
        cv2.circle(self.mask, p1, r, 0 if erase else 255, thickness=-1)
        cv2.circle(self.mask, p0, r, 0 if erase else 255, thickness=-1)
        self.changed.emit()

    def end_stroke(self) -> None:
        """Finish a stroke and save the correction."""
        if not self._stroke_open:
            return
        self._stroke_open = False
        self.save()

    def undo(self) -> bool:
        """Step back one stroke (saved at once); False if there is nothing to undo."""
        if not self._undo:
            return False
        self._redo.append(self._state())
        self._restore(self._undo.pop())
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append(self._state())
        self._restore(self._redo.pop())
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

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

    def revert(self, detected: np.ndarray | None) -> None:
        """Delete this frame's override (undoable) and go back to ``detected``."""
        path = self.path()
        if path is None:
            return
        self._push_undo()
        remove_mask_override(self.folder, self.frame_path)
        self.is_override = False
        self.mask = None if detected is None else ((detected > 0) * 255).astype(np.uint8)
        self.changed.emit()
        self.saved.emit(str(path))

    # -- undo internals ------------------------------------------------------------
    def _state(self) -> tuple[np.ndarray | None, bool]:
        return (None if self.mask is None else self.mask.copy(), self.is_override)

    def _push_undo(self) -> None:
        self._undo.append(self._state())
        del self._undo[: -self._max_undo]
        self._redo.clear()

    def _restore(self, state: tuple[np.ndarray | None, bool]) -> None:
        mask, was_override = state
        self.mask = mask
        path = self.path()
        if was_override and mask is not None:
            self.save()
            return
        if path is not None and remove_mask_override(self.folder, self.frame_path):
            self.saved.emit(str(path))
        self.is_override = False
        self.changed.emit()
