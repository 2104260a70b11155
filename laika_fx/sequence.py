"""Frame sequences on disk: discovery, frame ranges, gaps.

A *shot* is one numbered image sequence (``frame.1001.png`` ... ``frame.1100.png``).
It is found from a folder or from a pattern in any of the spellings pipelines use::

    shot/                         a folder holding exactly one sequence
    shot/frame.####.png           fileseq / Nuke hash padding
    shot/frame.%04d.png           printf padding
    shot/frame.@@@@.png, $F4      fileseq / Houdini padding
    shot/frame.1001-1100#.png     a fileseq string with an explicit range

Missing frame numbers inside a shot's range are reported as *gaps*; frames are
never renumbered.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import fileseq

from .io import SUPPORTED_EXTENSIONS

__all__ = ["ShotError", "Shot", "open_shot", "parse_frame_range", "format_frame_range"]


#: most frames one range may request (a feature film is ~130,000 frames)
MAX_FRAMES = 1_000_000
#: largest frame number (in magnitude) a range may name
MAX_FRAME_NUMBER = 10**9 - 1


class ShotError(Exception):
    """The input does not name a usable frame sequence (one-line message for the user)."""


def parse_frame_range(spec: str) -> list[int]:
    """Parse a frame range such as ``1001-1100``, ``1-20x2``, ``1,5,9-12`` to sorted frames.

    Raises
    ------
    ValueError
        If ``spec`` is not a valid frame range.
    """
    spec = str(spec).strip()
    if not spec:
        raise ValueError("empty frame range")
    try:
        frames = fileseq.FrameSet(spec)
        count = len(frames)
        first, last = (frames.start(), frames.end()) if count else (0, 0)
    except Exception:  # fileseq raises ParseException, MaxSizeException, decimal errors, ...
        raise ValueError(f"invalid frame range {spec!r}") from None
    if count > MAX_FRAMES:
        raise ValueError(f"frame range {spec!r} has {count} frames, more than {MAX_FRAMES}")
    if min(first, last) < -MAX_FRAME_NUMBER or max(first, last) > MAX_FRAME_NUMBER:
        raise ValueError(f"frame range {spec!r}: frame numbers must lie within +-{MAX_FRAME_NUMBER}")
    if any(f != int(f) for f in frames):  # fileseq reads 1.5 as a sub-frame
        raise ValueError(f"invalid frame range {spec!r}: frames are whole numbers")
    return sorted(set(int(f) for f in frames))


def format_frame_range(frames: list[int]) -> str:
    """The compact fileseq spelling of a list of frames (``1001-1010,1012``)."""
    if not frames:
        return ""
    return str(fileseq.FrameSet(sorted(frames)).frameRange())


@dataclass(frozen=True)
class Shot:
    """A numbered frame sequence found on disk.

    Attributes
    ----------
    directory : folder holding the frames.
    pattern : fileseq spelling, e.g. ``frame.1001-1024#.png``.
    frames : frame numbers present on disk, sorted.
    requested : frame numbers the user asked for (default: ``frames``); may contain
        numbers that are not on disk, which the pipeline reports as failed.
    """

    directory: Path
    pattern: str
    frames: tuple[int, ...]
    requested: tuple[int, ...]
    _seq: fileseq.FileSequence = field(repr=False, compare=False)

    @property
    def first(self) -> int:
        return self.frames[0]

    @property
    def last(self) -> int:
        return self.frames[-1]

    @property
    def gaps(self) -> list[int]:
        """Frame numbers missing between the first and the last frame on disk."""
        present = set(self.frames)
        return [f for f in range(self.first, self.last + 1) if f not in present]

    @property
    def frame_range(self) -> str:
        return format_frame_range(list(self.frames))

    @property
    def extension(self) -> str:
        return self._seq.extension()

    def path(self, frame: int) -> Path:
        """Path of ``frame`` (whether or not the file exists)."""
        return Path(self._seq.frame(frame))

    def with_frames(self, spec: str | None) -> Shot:
        """The same shot restricted to the frames of ``spec`` (None: all frames)."""
        requested = tuple(self.frames) if spec is None else tuple(parse_frame_range(spec))
        return Shot(self.directory, self.pattern, self.frames, requested, self._seq)


def _is_frame_sequence(seq: fileseq.FileSequence) -> bool:
    return seq.frameSet() is not None and seq.extension().lower() in SUPPORTED_EXTENSIONS


def open_shot(source: str | os.PathLike, *, frames: str | None = None) -> Shot:
    """Find the frame sequence named by a folder or a pattern.

    Parameters
    ----------
    source : a folder holding one numbered sequence, or a pattern (see module doc).
    frames : optional frame range to restrict to (``1001-1100``, ``1-20x2``).

    Raises
    ------
    ShotError
        If the path does not exist, holds no sequence, or holds several (ambiguous).
    ValueError
        If ``frames`` is not a valid frame range.
    """
    src = Path(source).expanduser()
    if src.is_dir():
        seqs = [s for s in fileseq.findSequencesOnDisk(str(src)) if _is_frame_sequence(s)]
        if not seqs:
            raise ShotError(
                f"no numbered frames ({', '.join(SUPPORTED_EXTENSIONS)}) in folder {src}"
            )
        if len(seqs) > 1:
            names = ", ".join(f"{s.basename()}{'#' * 4}{s.extension()} ({len(s)} frames)" for s in seqs)
            raise ShotError(f"folder {src} holds {len(seqs)} sequences ({names}); pass a pattern instead")
        seq = seqs[0]
        pattern_range = None
    else:
        if not src.parent.is_dir():
            raise ShotError(f"input not found: {src}")
        if any(ch in src.name for ch in "#@%$") or fileseq.FileSequence(str(src)).frameSet():
            try:
                seq = fileseq.findSequenceOnDisk(str(src))
            except fileseq.FileSeqException:
                raise ShotError(f"no frames on disk match {src}") from None
            parsed = fileseq.FileSequence(str(src))
            pattern_range = parsed.frameSet()
        elif src.exists():
            raise ShotError(f"{src} is a single file, not a frame sequence; pass its folder or a pattern")
        else:
            raise ShotError(f"input not found: {src}")
        if not _is_frame_sequence(seq):
            raise ShotError(f"{src} is not a sequence of supported images")

    on_disk = tuple(sorted(int(f) for f in seq.frameSet()))
    shot = Shot(src if src.is_dir() else src.parent, Path(str(seq)).name, on_disk, on_disk, seq)
    if pattern_range is not None:
        shot = shot.with_frames(str(pattern_range))
    if frames is not None:
        shot = shot.with_frames(frames)
    return shot
