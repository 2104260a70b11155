"""The stabilize sidecar ``OUTPUT/stabilize.json``: its schema, checks and reading.

Written by the stabilize plugin's analyze pass::

    {"reference_frame": 1001,
     "frames": [{"frame": 1001, "matrix": [[...], [...], [...]],
                 "to_reference": [[...]], "correlation": 0.999, "static_fraction": 0.7,
                 "initial": "learned", "searched": false}, ...],
     "mode": "lock", "motion": "similarity", "frame_size": [1920, 1080],
     "coarse_aligner": "aligner_int8", "schema_version": 1}

``matrix`` maps pixel coordinates (x, y, 1) of the input frame to those of the
reference frame (``lock`` mode) or of the smoothed camera of that frame (``smooth``
mode); ``to_reference`` is always the raw solve to the reference still. The render pass
uses ``matrix``; edit it to correct a frame by hand.

:func:`read_sidecar` checks a file and returns the document the plugin renders from
(the batch reads it so with ``--resume``); :func:`load_solve` reads it as per-frame
camera curves for display (the app's camera plot). A file without ``schema_version``
(written by hand after the output contract, which names only ``reference_frame`` and
``frames``) is read as version 1; any other version is refused.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..plugins import check_analysis_document
from .moving import unpack_grid

__all__ = [
    "SCHEMA_VERSION",
    "SIDECAR_NAME",
    "SidecarError",
    "check_sidecar",
    "read_sidecar",
    "CameraSolve",
    "load_solve",
    "motion_of",
]

#: version of the sidecar written by the stabilize plugin and read here
SCHEMA_VERSION = 1
#: file name of the sidecar in the output folder
SIDECAR_NAME = "stabilize.json"


class SidecarError(ValueError):
    """A stabilize sidecar cannot be used: the message names the file and what is wrong."""


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_matrix(m: object) -> bool:
    """True for a 3x3 list of finite numbers."""
    return (isinstance(m, list) and len(m) == 3
            and all(isinstance(r, list) and len(r) == 3 and all(_is_number(v) for v in r) for r in m))  # fmt: skip


def check_sidecar(doc: object, *, name: str = SIDECAR_NAME) -> dict:
    """Check a parsed sidecar document; return it unchanged.

    Raises
    ------
    SidecarError
        If the schema version is not :data:`SCHEMA_VERSION`, or the document lacks a
        ``frames`` list of ``{"frame": int, "matrix": 3x3}`` entries (one per frame),
        or ``reference_frame``, ``to_reference`` or ``frame_size`` are malformed.
    """
    if not isinstance(doc, dict):
        raise SidecarError(f"{name}: not a camera solve (not a JSON object)")
    try:
        check_analysis_document(doc, name=name)  # finite numbers, notes: what every sidecar passes
    except ValueError as exc:
        raise SidecarError(str(exc)) from None
    version = doc.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise SidecarError(f"{name}: schema version {version!r}, this laika_fx reads version {SCHEMA_VERSION}")
    if not isinstance(doc.get("frames"), list):
        raise SidecarError(f"{name}: not a camera solve (no 'frames' list)")
    ref = doc.get("reference_frame")
    if ref is not None and (not isinstance(ref, int) or isinstance(ref, bool)):
        raise SidecarError(f"{name}: reference_frame is {ref!r}, not a frame number")
    seen: set[int] = set()
    for entry in doc["frames"]:
        n = entry.get("frame") if isinstance(entry, dict) else None
        if not isinstance(n, int) or isinstance(n, bool):
            raise SidecarError(f"{name}: bad frame entry {entry!r:.80}")
        if n in seen:
            raise SidecarError(f"{name}: frame {n} is listed twice")
        seen.add(n)
        if not _is_matrix(entry.get("matrix")):
            raise SidecarError(f"{name}: frame {n}: 'matrix' is not a 3x3 matrix of numbers")
        if "to_reference" in entry and not _is_matrix(entry["to_reference"]):
            raise SidecarError(f"{name}: frame {n}: 'to_reference' is not a 3x3 matrix of numbers")
        if "moving" in entry:
            try:
                unpack_grid(entry["moving"])
            except ValueError as exc:
                raise SidecarError(f"{name}: frame {n}: 'moving': {exc}") from None
    size = doc.get("frame_size")
    if size is not None and not (isinstance(size, list) and len(size) == 2
                                 and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):  # fmt: skip
        raise SidecarError(f"{name}: frame_size is {size!r}, not [width, height]")
    return doc


def read_sidecar(path: str | os.PathLike) -> dict:
    """Read and check ``stabilize.json``: the document the stabilize plugin renders from.

    Raises
    ------
    OSError
        If the file cannot be read.
    SidecarError
        If it is not valid JSON or not a valid sidecar (see :func:`check_sidecar`).
    """
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise SidecarError(f"{p.name} is not valid JSON ({exc})") from None
    return check_sidecar(doc, name=p.name)


def motion_of(matrix) -> tuple[float, float, float]:
    """``(x shift px, y shift px, rotation degrees)`` of a 3x3 matrix (nested lists or array)."""
    return (
        float(matrix[0][2]),
        float(matrix[1][2]),
        math.degrees(math.atan2(float(matrix[1][0]), float(matrix[0][0]))),
    )


@dataclass
class CameraSolve:
    """A camera solve as curves over frame number, for display.

    Attributes
    ----------
    reference : the reference frame, or None.
    frames : frame numbers with a solve, sorted.
    smoothed : ``{"x"|"y"|"rotation": {frame: value}}`` of ``matrix``, the solve the
        render applies (smoothed in ``smooth`` mode, the raw solve in ``lock`` mode).
    raw : the same of ``to_reference`` (the raw solve), or empty if the file has none.
    path : the file read, if any.
    """

    reference: int | None
    frames: list[int]
    smoothed: dict[str, dict[int, float]] = field(default_factory=dict)
    raw: dict[str, dict[int, float]] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def from_document(cls, doc: object, path: Path | None = None) -> CameraSolve:
        """Curves of a sidecar document (checked first: SidecarError if invalid)."""
        check_sidecar(doc, name=path.name if path is not None else SIDECAR_NAME)
        smoothed: dict[str, dict[int, float]] = {"x": {}, "y": {}, "rotation": {}}
        raw: dict[str, dict[int, float]] = {"x": {}, "y": {}, "rotation": {}}
        for entry in doc["frames"]:
            n = entry["frame"]
            for key, v in zip(("x", "y", "rotation"), motion_of(entry["matrix"]), strict=True):
                smoothed[key][n] = v
            if "to_reference" in entry:
                for key, v in zip(("x", "y", "rotation"), motion_of(entry["to_reference"]), strict=True):
                    raw[key][n] = v
        return cls(doc.get("reference_frame"), sorted(e["frame"] for e in doc["frames"]), smoothed,
                   raw if any(raw.values()) else {}, path)  # fmt: skip

    @property
    def has_raw_difference(self) -> bool:
        """True when raw and smoothed differ (smooth mode), so both are worth drawing."""
        return bool(self.raw) and any(
            abs(self.raw[k].get(n, 0.0) - self.smoothed[k].get(n, 0.0)) > 1e-6
            for k in self.raw for n in self.frames
        )


def load_solve(path: str | os.PathLike) -> CameraSolve:
    """Read ``stabilize.json`` as camera curves (:class:`CameraSolve`).

    Raises
    ------
    OSError
        If the file cannot be read.
    SidecarError
        If it is not a valid sidecar (wrong schema version, malformed entries).
    """
    p = Path(path)
    return CameraSolve.from_document(read_sidecar(p), p)
