"""Background render cache: the processed shot rendered ahead of the playhead, for playback.

Worker threads run the batch's own ``laika_fx.pipeline.render_frame`` (the path the preview
uses), with each frame's mask correction and puppet prompt read as the batch reads them,
on the frames ahead of the playhead in playback order (looping between the in and out
points). Each rendered frame is kept as 8-bit display copies (before, after, masks), up to
a memory budget; the frames kept are the next ones the playhead will reach, so the cache
never evicts what it is about to show. A change of settings, corrections, prompts or
analyses replaces the setup: everything cached is dropped at once and renders of the old
setup still in flight are thrown away when they finish.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from laika_fx.overrides import load_mask_override
from laika_fx.pipeline import read_input, render_frame
from laika_fx.plugins import PluginSpec
from laika_fx.preview import to_display8
from laika_fx.prompts import ShotPrompts
from laika_fx.sequence import Shot

from .display import alpha8
from .workers import PluginPool

__all__ = ["CachedFrame", "RenderCache", "RenderSetup"]


@dataclass(frozen=True)
class RenderSetup:
    """What the cache renders: the shot through ``plugins`` with their ``analyses``, the mask
    corrections in ``override_dir`` (None: none) and the puppet ``prompts``."""

    shot: Shot
    plugins: list[PluginSpec]
    analyses: dict[str, dict] = field(default_factory=dict)
    override_dir: Path | None = None
    prompts: ShotPrompts | None = None


@dataclass
class CachedFrame:
    """One rendered frame as the viewer shows it (8-bit display copies)."""

    frame: int
    before: np.ndarray  # (H, W, 3) uint8, the source
    after: np.ndarray | None  # (h, w, 3) uint8, the render; None when it failed
    masks: dict[str, np.ndarray]  # (H, W) uint8 masks the plugins made ("seam", "seam_rejected")
    notes: dict[str, Any]
    seconds: float
    error: str | None = None
    before_alpha: np.ndarray | None = None
    after_alpha: np.ndarray | None = None
    readable: bool = True  # False: the source could not be read (``before`` is a 1x1 stand-in)

    @property
    def nbytes(self) -> int:
        arrays = [self.before, self.after, self.before_alpha, self.after_alpha, *self.masks.values()]
        return sum(a.nbytes for a in arrays if a is not None)


class RenderCache(QObject):
    """Renders frames ahead of the playhead on ``workers`` background threads.

    ``budget_mb`` bounds the memory the cached frames take. The work pauses while
    ``paused`` is set (the app sets it while the single-frame preview renders, so the
    frame the artist looks at comes first).

    Signals
    -------
    frame_ready(int) : a frame of the current setup was cached (on the GUI thread).
    changed() : the set of cached frames changed (cached, evicted or dropped).
    """

    frame_ready = Signal(int)
    changed = Signal()

    def __init__(self, parent: QObject | None = None, *, budget_mb: float = 1024.0, workers: int = 1) -> None:
        super().__init__(parent)
        self.budget = int(budget_mb * 2**20)
        self._cond = threading.Condition()
        self._setup: RenderSetup | None = None
        self._generation = 0
        self._frames: dict[int, CachedFrame] = {}
        self._bytes = 0
        self._frame_bytes = 0  # size of one cached frame (known after the first)
        self._in_flight: set[int] = set()
        self._order: list[int] = []  # frames in the order the playhead reaches them
        self._paused = False
        self._enabled = True
        self._stop = False
        self._pool = PluginPool()
        self.rendered = 0  # frames rendered since start (for tests and the status bar)
        self._threads = [threading.Thread(target=self._loop, name=f"laika-gui-cache-{i}", daemon=True)
                         for i in range(max(1, workers))]  # fmt: skip
        for t in self._threads:
            t.start()

    # -- what to render ----------------------------------------------------------------
    def configure(self, setup: RenderSetup | None) -> None:
        """Render ``setup`` from now on (None: nothing); drops every cached frame."""
        with self._cond:
            self._setup = setup
            self._generation += 1
            had = bool(self._frames)
            self._frames.clear()
            self._bytes = 0
            self._frame_bytes = 0
            self._order = [] if setup is None else self._order
            self._cond.notify_all()
        if had:
            self.changed.emit()

    def set_playhead(self, frame: int, *, direction: int = 1, within: tuple[int, int] | None = None) -> None:
        """Render from ``frame`` on, the way playback goes (``direction`` 1 or -1, looping
        over the frames numbered ``within`` first..last, default the whole shot)."""
        with self._cond:
            if self._setup is None:
                return
            frames = self._setup.shot.frames
            if within is not None:
                frames = [f for f in frames if within[0] <= f <= within[1]] or frames
            if direction < 0:
                frames = frames[::-1]
            # the playhead's frame first (or the first of the range at or after it)
            i = next((k for k, f in enumerate(frames) if (f >= frame if direction > 0 else f <= frame)), 0)
            self._order = frames[i:] + frames[:i]
            self._cond.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    def set_paused(self, paused: bool) -> None:
        with self._cond:
            self._paused = bool(paused)
            self._cond.notify_all()

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, on: bool) -> None:
        """Switch the background rendering on or off (off: the cache is emptied)."""
        with self._cond:
            self._enabled = bool(on)
            self._cond.notify_all()
        if not on:
            self.configure(self._setup)

    # -- what is cached ----------------------------------------------------------------
    def get(self, frame: int) -> CachedFrame | None:
        with self._cond:
            return self._frames.get(frame)

    def __contains__(self, frame: int) -> bool:
        with self._cond:
            return frame in self._frames

    @property
    def cached_frames(self) -> set[int]:
        with self._cond:
            return set(self._frames)

    @property
    def nbytes(self) -> int:
        with self._cond:
            return self._bytes

    @property
    def capacity(self) -> int | None:
        """How many frames fit in the budget (None until one frame was rendered)."""
        with self._cond:
            return self._capacity()

    def _capacity(self) -> int | None:
        return max(1, self.budget // self._frame_bytes) if self._frame_bytes else None

    def stop(self) -> None:
        """End the threads (after the renders in flight)."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        for t in self._threads:
            t.join(timeout=5)

    # -- the workers -----------------------------------------------------------------
    def _window(self) -> list[int]:
        """The frames to keep: the next ones the playhead reaches, as many as fit."""
        cap = self._capacity()
        return self._order if cap is None else self._order[:cap]

    def _next(self) -> int | None:
        """The first frame of the window neither cached nor being rendered; frames outside
        the window are evicted to make room for it."""
        window = self._window()
        wanted = next((f for f in window if f not in self._frames and f not in self._in_flight), None)
        if wanted is None:
            return None
        keep = set(window)
        for f in [f for f in self._frames if f not in keep]:
            if self._bytes + self._frame_bytes <= self.budget:
                break
            self._bytes -= self._frames.pop(f).nbytes
        return wanted

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stop and (
                    self._paused or not self._enabled or self._setup is None or (frame := self._next()) is None
                ):
                    self._cond.wait()
                if self._stop:
                    return
                setup, generation = self._setup, self._generation
                self._in_flight.add(frame)
            entry = self._render(setup, generation, frame)
            evicted = False
            with self._cond:
                self._in_flight.discard(frame)
                current = generation == self._generation
                if current:
                    self._frame_bytes = max(self._frame_bytes, entry.nbytes)
                    self._frames[frame] = entry
                    self._bytes += entry.nbytes
                    cap = self._capacity()
                    while len(self._frames) > cap:  # the budget shrank, or a frame grew: the farthest go
                        rank = {f: i for i, f in enumerate(self._order)}
                        far = max(self._frames, key=lambda f: rank.get(f, len(rank)))
                        self._bytes -= self._frames.pop(far).nbytes
                        evicted = True
                    current = frame in self._frames
                self._cond.notify_all()
            if current:
                self.rendered += 1
                self.frame_ready.emit(frame)
            if current or evicted:
                self.changed.emit()

    def _render(self, setup: RenderSetup, generation: int, frame: int) -> CachedFrame:
        t0 = time.perf_counter()
        path = setup.shot.path(frame)
        try:
            source = read_input(path)
        except Exception as exc:  # kept as unreadable (the app reads it again and says why)
            return CachedFrame(frame, np.zeros((1, 1, 3), np.uint8), None, {}, {}, 0.0, f"cannot read: {exc}",
                               readable=False)  # fmt: skip
        before, before_alpha = to_display8(source), alpha8(source)
        notes: dict[str, Any] = {}
        try:
            plugins = self._pool.chain(setup.plugins, setup.analyses)
            override = None
            if setup.override_dir is not None and setup.override_dir.is_dir():
                override = load_mask_override(setup.override_dir, path, source)
            prompt = setup.prompts.regions(frame) if setup.prompts is not None else []
            with self._pool.first_render_guard(setup.plugins):  # a new plugin's first frame: alone
                out, masks = render_frame(source, plugins, frame=frame, path=path, mask_override=override,
                                          read_source=lambda n: read_input(setup.shot.path(n)), prompt=prompt,
                                          notes=notes)  # fmt: skip
        except Exception as exc:  # the viewer says so; playback goes on
            traceback.print_exc()
            return CachedFrame(frame, before, None, {}, {}, time.perf_counter() - t0,
                               f"{type(exc).__name__}: {exc}", before_alpha)  # fmt: skip
        masks8 = {k: np.ascontiguousarray(m, np.uint8) for k, m in masks.items() if m is not None and m.ndim == 2}
        return CachedFrame(frame, before, to_display8(out), masks8, notes, time.perf_counter() - t0,
                           None, before_alpha, alpha8(out))  # fmt: skip
