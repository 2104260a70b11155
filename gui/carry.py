"""Carry a correction to a frame range: a worker thread runs :mod:`laika_fx.carry` (track
the picture around the strokes, move them) and builds each frame's new mask (its override,
or its detection with the preview's settings, with the carried strokes laid on it). The
result is held for review; nothing is written until the artist applies it
(``MaskEditor.write_masks``: one undo step for all its frames)."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal

from laika_fx.carry import Stroke, apply_strokes, carry_strokes
from laika_fx.io import FrameReadError
from laika_fx.overrides import load_mask_override
from laika_fx.pipeline import render_frame
from laika_fx.plugins import PluginSpec, build_plugins
from laika_fx.prompts import region_mask

__all__ = ["CarryRequest", "CarryResult", "CarryWorker", "carry_order"]


def carry_order(frames: Sequence[int], source: int, lo: int, hi: int) -> tuple[list[int], list[int]]:
    """The frames to carry through, each list starting at ``source``: forwards to ``hi``,
    backwards to ``lo`` (frames of the shot only, so gaps are stepped over)."""
    fwd = [source] + [n for n in frames if source < n <= hi]
    bwd = [source] + [n for n in sorted(frames, reverse=True) if lo <= n < source]
    return fwd, bwd


def encode(mask: np.ndarray) -> bytes:
    """A mask held in memory as PNG bytes (a pending correction of a long shot stays small)."""
    ok, buf = cv2.imencode(".png", mask)
    if not ok:
        raise ValueError("cannot encode the mask")
    return buf.tobytes()


def decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


@dataclass
class CarryRequest:
    """Carry ``strokes`` (drawn on frame ``source``) over ``lo``..``hi`` of the shot."""

    source: int
    lo: int
    hi: int
    strokes: list[Stroke]
    frames: list[int]  # the shot's frame numbers
    path: Callable[[int], Path]  # frame number -> its file
    read: Callable[[int], np.ndarray]  # frame number -> its pixels
    folder: Path  # the override folder
    plugins: list[PluginSpec]  # the preview's chain: detects the masks the strokes go on
    analyses: dict[str, dict] = field(default_factory=dict)
    prompt: Callable[[int], list] = lambda n: []
    id: int = 0


@dataclass
class CarryResult:
    """A carried correction waiting for review: per frame, its new mask and where the
    carried strokes went (both PNG bytes), the frames the track did not reach, errors."""

    id: int
    source: int
    lo: int
    hi: int
    masks: dict[int, bytes] = field(default_factory=dict)
    carried: dict[int, bytes] = field(default_factory=dict)
    lost: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0

    def mask(self, frame: int) -> np.ndarray | None:
        return decode(self.masks[frame]) if frame in self.masks else None

    def coverage(self, frame: int) -> np.ndarray | None:
        return decode(self.carried[frame]) if frame in self.carried else None


class CarryWorker(QObject):
    """Runs one carry at a time on a background thread.

    Signals
    -------
    progress(int, int) : frames done, frames in all.
    finished(CarryResult) : on the GUI thread.
    """

    progress = Signal(int, int)
    finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._id = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, request: CarryRequest) -> int:
        if self.running:
            raise RuntimeError("a carry is already running")
        self._id += 1
        request.id = self._id
        self._cancel.clear()
        self._thread = threading.Thread(target=self._run, args=(request,), name="laika-gui-carry", daemon=True)
        self._thread.start()
        return request.id

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, req: CarryRequest) -> None:
        t0 = time.perf_counter()
        result = CarryResult(req.id, req.source, req.lo, req.hi)
        try:
            self._carry(req, result)
        except Exception as exc:  # one message, never a dead window
            traceback.print_exc()
            result.errors.append(f"{type(exc).__name__}: {exc}")
        result.cancelled = self._cancel.is_set()
        result.seconds = time.perf_counter() - t0
        self.finished.emit(result)

    def _carry(self, req: CarryRequest, result: CarryResult) -> None:
        plugins = build_plugins([(name, {**s, "detect_only": True} if "detect_only" in s else s)
                                 for name, s in req.plugins])  # fmt: skip
        for p in plugins:
            p.prepare()
            if p.name in req.analyses:
                p.set_analysis(req.analyses[p.name])
        fwd, bwd = carry_order(req.frames, req.source, req.lo, req.hi)
        total, done = len(fwd) + len(bwd) - 2, 0
        self.progress.emit(0, total)
        for order in (fwd, bwd):
            shown: dict[str, Any] = {}

            def frames(order=order, shown=shown) -> Iterator[np.ndarray]:
                for n in order:
                    shown["frame"] = req.read(n)
                    yield shown["frame"]

            def puppet(order=order, shape=req.strokes[0].coverage.shape) -> Iterator[np.ndarray | None]:
                for n in order:  # where the artist's prompt says the puppet is
                    regions = req.prompt(n)
                    yield region_mask(regions, shape) if regions else None

            carried = carry_strokes(req.strokes, frames(), puppet=puppet())
            for n, strokes in zip(order[1:], carried, strict=False):
                if self._cancel.is_set():
                    return
                done += 1
                if strokes is None:
                    result.lost.append(n)
                else:
                    try:
                        base = self._base(req, plugins, n, shown["frame"])
                    except (FrameReadError, OSError) as exc:
                        result.errors.append(f"frame {n}: {exc}")
                    else:
                        result.masks[n] = encode(apply_strokes(base, strokes))
                        union = np.zeros(base.shape, np.uint8)
                        for s in strokes:
                            np.maximum(union, s.coverage, out=union)
                        result.carried[n] = encode(union)
                self.progress.emit(done, total)
        result.lost.sort()

    @staticmethod
    def _base(req: CarryRequest, plugins, n: int, frame: np.ndarray) -> np.ndarray:
        """Frame ``n``'s mask now: its override, else its detection (the preview's chain)."""
        override = load_mask_override(req.folder, req.path(n), frame)
        if override is not None:
            return override
        _, masks = render_frame(frame, plugins, frame=n, path=req.path(n), read_source=req.read,
                                prompt=req.prompt(n), notes={})  # fmt: skip
        seam = masks.get("seam")
        if seam is None or seam.shape != frame.shape[:2]:
            return np.zeros(frame.shape[:2], np.uint8)
        return ((seam > 0) * 255).astype(np.uint8)
