"""The open shot and the current frame: the model the viewer and timeline observe."""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from laika_fx.io import atomic_write_bytes, read_frame
from laika_fx.overrides import default_mask_override_dir
from laika_fx.sequence import Shot, format_frame_range, open_shot

__all__ = ["SHOT_SETTINGS_VERSION", "ShotInfo", "ShotModel", "default_output_dir", "describe_dtype",
           "load_shot_settings", "save_shot_settings", "shot_settings_path"]

#: version of ``<shot folder>.laika_fx/settings.json`` this app writes and reads (and older)
SHOT_SETTINGS_VERSION = 1
_SHOT_SETTINGS_FORMAT = "laika_fx.gui_settings"


def describe_dtype(dtype: np.dtype) -> str:
    """``8-bit``, ``16-bit`` or ``32-bit float``."""
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return "8-bit"
    if dtype == np.uint16:
        return "16-bit"
    return "32-bit float" if dtype == np.float32 else str(dtype)


def default_output_dir(shot: Shot) -> Path:
    """Where the GUI renders a shot unless told otherwise: ``<shot folder>.laika_fx/render``."""
    return default_mask_override_dir(shot.directory).parent / "render"


def shot_settings_path(shot: Shot) -> Path:
    """The app's settings for a shot: ``<shot folder>.laika_fx/settings.json``."""
    return default_mask_override_dir(shot.directory).parent / "settings.json"


def load_shot_settings(path: Path) -> dict | None:
    """The settings saved with a shot (None when it has none); ValueError (one line) when the
    file cannot be used: unreadable, not this format, or written by a newer version."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != _SHOT_SETTINGS_FORMAT:
        raise ValueError(f"{path} is not a laika_fx settings file")
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise ValueError(f"{path} has no valid version")
    if version > SHOT_SETTINGS_VERSION:
        raise ValueError(f"{path} was written by a newer laika_fx (settings version {version}, "
                         f"this app reads up to {SHOT_SETTINGS_VERSION})")  # fmt: skip
    return doc


def save_shot_settings(path: Path, plugins: dict, view: dict, frame_range: dict) -> None:
    """Write the settings beside the shot atomically (a reader sees the old file or the new one)."""
    doc = {"format": _SHOT_SETTINGS_FORMAT, "version": SHOT_SETTINGS_VERSION,
           "plugins": plugins, "view": view, "range": frame_range}  # fmt: skip
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8"))


@dataclass(frozen=True)
class ShotInfo:
    """What the header shows about a shot (from its first readable frame)."""

    width: int
    height: int
    channels: int
    dtype: np.dtype

    @property
    def channel_text(self) -> str:
        return {1: "gray", 2: "gray+alpha", 3: "RGB", 4: "RGBA"}.get(self.channels, f"{self.channels} ch")

    def summary(self, shot: Shot) -> str:
        gaps = shot.gaps
        gap_text = f"{len(gaps)} missing ({format_frame_range(gaps)})" if gaps else "none"
        return (
            f"{shot.frame_range}  ·  {len(shot.frames)} frames  ·  gaps {gap_text}  ·  "
            f"{self.width}×{self.height}  ·  {describe_dtype(self.dtype)}  ·  {self.channel_text}"
        )


class ShotModel(QObject):
    """The open shot, the current frame number and a small cache of decoded frames.

    Signals
    -------
    shot_changed() : a new shot was opened.
    frame_changed(int) : the current frame number changed.
    """

    shot_changed = Signal()
    frame_changed = Signal(int)

    def __init__(self, parent: QObject | None = None, *, cache_size: int = 48) -> None:
        super().__init__(parent)
        self.shot: Shot | None = None
        self.info: ShotInfo | None = None
        self.source: str = ""
        self.current: int | None = None
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    # -- opening -------------------------------------------------------------------
    def open(self, source: str | os.PathLike) -> Shot:
        """Open a folder or a pattern; raises ShotError/FrameReadError with a readable message."""
        shot = open_shot(source)
        first = None
        error: Exception | None = None
        for n in shot.frames:
            try:
                first = read_frame(shot.path(n))
                break
            except Exception as exc:  # keep looking for a readable frame
                error = exc
        if first is None:
            raise ValueError(f"no frame of {shot.pattern} could be read ({error})")
        ch = 1 if first.ndim == 2 else first.shape[2]
        self.shot = shot
        self.source = str(source)
        self.info = ShotInfo(first.shape[1], first.shape[0], ch, first.dtype)
        self._cache.clear()
        self.current = None
        self.shot_changed.emit()
        self.set_frame(shot.frames[0])
        return shot

    # -- navigation ----------------------------------------------------------------
    def set_frame(self, frame: int) -> None:
        """Go to ``frame``, or to the nearest frame on disk (gaps are skipped)."""
        if self.shot is None:
            return
        frames = self.shot.frames
        frame = min(frames, key=lambda f: (abs(f - frame), f))
        if frame != self.current:
            self.current = frame
            self.frame_changed.emit(frame)

    def step(self, delta: int, *, wrap: bool = False, within: tuple[int, int] | None = None) -> None:
        """Move ``delta`` frames on disk forward (or back); clamp or wrap at the ends (of the
        frames numbered ``within`` first..last, when given: playback between in and out)."""
        target = self.next_frame(delta, wrap=wrap, within=within)
        if target is not None:
            self.set_frame(target)

    def next_frame(self, delta: int, *, wrap: bool = False, within: tuple[int, int] | None = None) -> int | None:
        """The frame ``step`` would go to (None: no shot)."""
        if self.shot is None or self.current is None:
            return None
        frames = self.shot.frames
        if within is not None:
            frames = [f for f in frames if within[0] <= f <= within[1]] or frames
            if self.current not in frames:  # outside the range: start at its near end
                return frames[0] if delta >= 0 else frames[-1]
        i = frames.index(self.current) + delta
        i = i % len(frames) if wrap else max(0, min(len(frames) - 1, i))
        return frames[i]

    def previous_frame(self, frame: int) -> int | None:
        """The frame on disk before ``frame`` (None at the start)."""
        if self.shot is None:
            return None
        i = self.shot.frames.index(frame)
        return self.shot.frames[i - 1] if i > 0 else None

    # -- pixels --------------------------------------------------------------------
    def read(self, frame: int) -> np.ndarray:
        """The frame's array as stored (dtype and channels kept); cached."""
        if self.shot is None:
            raise RuntimeError("no shot is open")
        if frame in self._cache:
            self._cache.move_to_end(frame)
            return self._cache[frame]
        arr = read_frame(self.shot.path(frame))
        arr.setflags(write=False)  # shared with worker threads: nobody may alter it
        self._cache[frame] = arr
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return arr

    @property
    def override_dir(self) -> Path | None:
        """Where mask corrections for this shot live."""
        return default_mask_override_dir(self.shot.directory) if self.shot else None
