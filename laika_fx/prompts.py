"""Artist prompts: where the puppet is, told by the artist for a shot.

A prompt is a box (or a click with a radius) on the puppet's face. Plugins that look for
something on the puppet (the seam detector) keep what they find inside a prompt and
leave alone what lies outside it, whatever their own automatic prior says. A prompt
holds for the whole shot, for a frame range, or moves with the puppet through keyed
frames (linearly interpolated between keys, held before the first and after the last).

Prompts are stored beside the shot, never inside it, like mask overrides:
``<shot folder>.laika_fx/prompt.json`` (:func:`default_prompt_path`). ``laika-fx batch``
reads that file when it exists (or ``--prompt FILE``, or ``--puppet-box X,Y,W,H``); the
app draws, moves and deletes boxes and saves the same file. Schema (version 1)::

    {"schema_version": 1,
     "prompts": [
       {"box": [x, y, w, h]},                                    # the whole shot
       {"point": [x, y], "radius": r, "frames": "1001-1010"},    # a click, in a range
       {"keys": [{"frame": 1001, "box": [x, y, w, h]},           # keyed, interpolated
                 {"frame": 1024, "box": [x, y, w, h]}]}
     ]}

Coordinates are pixels of the shot's frames (x right, y down; a box's x, y is its
top-left corner). A key holds either a ``box`` or a ``point`` (+ ``radius``, default
``DEFAULT_RADIUS``); all keys of one prompt hold the same kind.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .io import atomic_write_bytes

__all__ = [
    "PROMPT_SCHEMA_VERSION",
    "PROMPT_NAME",
    "DEFAULT_RADIUS",
    "PromptError",
    "Region",
    "PromptKey",
    "Prompt",
    "ShotPrompts",
    "default_prompt_path",
    "load_prompts",
    "prompts_from_json",
    "save_prompts",
    "parse_box",
    "parse_point",
    "region_mask",
]

PROMPT_SCHEMA_VERSION = 1
PROMPT_NAME = "prompt.json"
DEFAULT_RADIUS = 60.0  # px: a click marks a disc of this radius unless the prompt says otherwise


class PromptError(ValueError):
    """A prompt file or option is not valid (one line, naming what is wrong)."""


@dataclass(frozen=True)
class Region:
    """Where the puppet is on one frame: a box ``(x, y, w, h)`` or a disc ``(x, y, r)``."""

    kind: str  # "box" or "point"
    values: tuple[float, ...]

    def as_json(self) -> dict:
        if self.kind == "box":
            return {"box": [round(v, 2) for v in self.values]}
        x, y, r = self.values
        return {"point": [round(x, 2), round(y, 2)], "radius": round(r, 2)}


@dataclass(frozen=True)
class PromptKey:
    frame: int | None  # None: a prompt without keys (holds for every frame it covers)
    region: Region


@dataclass(frozen=True)
class Prompt:
    """One box or click, constant or keyed, on all frames or ``first``-``last``."""

    keys: tuple[PromptKey, ...]
    first: int | None = None
    last: int | None = None

    def covers(self, frame: int) -> bool:
        return (self.first is None or frame >= self.first) and (self.last is None or frame <= self.last)

    def at(self, frame: int) -> Region | None:
        """The region on ``frame`` (interpolated between keys), or None outside the range."""
        if not self.covers(frame):
            return None
        keys = self.keys
        if len(keys) == 1 or keys[0].frame is None or frame <= keys[0].frame:
            return keys[0].region
        if frame >= keys[-1].frame:
            return keys[-1].region
        for a, b in zip(keys, keys[1:], strict=False):
            if a.frame <= frame <= b.frame:
                t = (frame - a.frame) / (b.frame - a.frame)
                vals = tuple((1 - t) * va + t * vb for va, vb in zip(a.region.values, b.region.values, strict=True))
                return Region(a.region.kind, vals)
        return keys[-1].region  # not reached: keys are sorted

    def as_json(self) -> dict:
        out: dict[str, Any] = {}
        if len(self.keys) == 1 and self.keys[0].frame is None:
            out.update(self.keys[0].region.as_json())
        else:
            out["keys"] = [{"frame": k.frame, **k.region.as_json()} for k in self.keys]
        if self.first is not None or self.last is not None:
            out["frames"] = f"{self.first}-{self.last}" if self.first != self.last else str(self.first)
        return out


@dataclass(frozen=True)
class ShotPrompts:
    """Every prompt of a shot."""

    prompts: tuple[Prompt, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.prompts)

    def regions(self, frame: int) -> list[Region]:
        """Where the puppet is on ``frame`` (an empty list: the artist said nothing)."""
        return [r for p in self.prompts if (r := p.at(frame)) is not None]

    def as_json(self) -> dict:
        return {"schema_version": PROMPT_SCHEMA_VERSION, "prompts": [p.as_json() for p in self.prompts]}


def default_prompt_path(shot_dir: str | os.PathLike) -> Path:
    """``<shot folder>.laika_fx/prompt.json``: the artist's prompt, outside the shot folder."""
    d = Path(shot_dir).resolve()
    return d.parent / f"{d.name}.laika_fx" / PROMPT_NAME


def _numbers(value: Any, n: int, what: str) -> tuple[float, ...]:
    if not isinstance(value, list | tuple) or len(value) != n:
        raise PromptError(f"{what} must be a list of {n} numbers, got {value!r}")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise PromptError(f"{what} must be a list of {n} numbers, got {value!r}")
        out.append(float(v))
    return tuple(out)


def _region(entry: dict, where: str) -> Region:
    if not isinstance(entry, dict):
        raise PromptError(f"{where}: expected an object, got {entry!r}")
    if ("box" in entry) == ("point" in entry):
        raise PromptError(f"{where}: give exactly one of 'box' or 'point'")
    if "box" in entry:
        x, y, w, h = _numbers(entry["box"], 4, f"{where}: box")
        if w <= 0 or h <= 0:
            raise PromptError(f"{where}: box width and height must be positive, got {w:g}x{h:g}")
        return Region("box", (x, y, w, h))
    x, y = _numbers(entry["point"], 2, f"{where}: point")
    (r,) = _numbers([entry.get("radius", DEFAULT_RADIUS)], 1, f"{where}: radius")
    if r <= 0:
        raise PromptError(f"{where}: radius must be positive, got {r:g}")
    return Region("point", (x, y, r))


def _frame_range(text: Any, where: str) -> tuple[int, int]:
    if isinstance(text, int) and not isinstance(text, bool):
        return text, text
    if not isinstance(text, str):
        raise PromptError(f"{where}: frames must be 'A-B' or 'N', got {text!r}")
    a, sep, b = text.strip().partition("-")
    try:
        first, last = int(a), int(b) if sep else int(a)
    except ValueError:
        raise PromptError(f"{where}: frames must be 'A-B' or 'N', got {text!r}") from None
    if last < first:
        raise PromptError(f"{where}: frames {text!r} end before they start")
    return first, last


_PROMPT_FIELDS = {"box", "point", "radius", "keys", "frames"}


def _prompt(entry: Any, where: str) -> Prompt:
    if not isinstance(entry, dict):
        raise PromptError(f"{where}: expected an object, got {entry!r}")
    unknown = set(entry) - _PROMPT_FIELDS
    if unknown:
        raise PromptError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    first = last = None
    if "frames" in entry:
        first, last = _frame_range(entry["frames"], where)
    if "keys" in entry:
        if "box" in entry or "point" in entry:
            raise PromptError(f"{where}: give 'keys' or a 'box'/'point', not both")
        raw = entry["keys"]
        if not isinstance(raw, list) or not raw:
            raise PromptError(f"{where}: keys must be a non-empty list")
        keys = []
        for j, k in enumerate(raw):
            kw = f"{where} key {j + 1}"
            if not isinstance(k, dict) or isinstance(k.get("frame"), bool) or not isinstance(k.get("frame"), int):
                raise PromptError(f"{kw}: needs an integer 'frame'")
            keys.append(PromptKey(k["frame"], _region(k, kw)))
        keys.sort(key=lambda k: k.frame)
        if len({k.frame for k in keys}) != len(keys):
            raise PromptError(f"{where}: two keys on one frame")
        if len({k.region.kind for k in keys}) != 1:
            raise PromptError(f"{where}: keys mix boxes and points")
        return Prompt(tuple(keys), first, last)
    return Prompt((PromptKey(None, _region(entry, where)),), first, last)


def prompts_from_json(doc: Any, where: str = "prompt") -> ShotPrompts:
    """Validate a prompt document (see the module doc) and build its :class:`ShotPrompts`."""
    if not isinstance(doc, dict):
        raise PromptError(f"{where}: expected a JSON object")
    version = doc.get("schema_version")
    if version != PROMPT_SCHEMA_VERSION:
        raise PromptError(f"{where}: schema_version {version!r}, expected {PROMPT_SCHEMA_VERSION}")
    raw = doc.get("prompts")
    if not isinstance(raw, list):
        raise PromptError(f"{where}: 'prompts' must be a list")
    return ShotPrompts(tuple(_prompt(p, f"{where}: prompt {i + 1}") for i, p in enumerate(raw)))


def load_prompts(path: str | os.PathLike) -> ShotPrompts:
    """Read and validate a prompt file.

    Raises
    ------
    PromptError
        If the file cannot be read, is not JSON or does not follow the schema (one line
        naming the file and what is wrong).
    """
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except OSError as exc:
        raise PromptError(f"cannot read prompt file {p}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise PromptError(f"{p.name}: not valid JSON ({exc})") from None
    return prompts_from_json(doc, p.name)


def save_prompts(path: str | os.PathLike, prompts: ShotPrompts) -> Path:
    """Write ``prompts`` to ``path`` atomically (the folder is created); its path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(p, (json.dumps(prompts.as_json(), indent=1) + "\n").encode())
    return p


def parse_box(text: str) -> Region:
    """``"X,Y,W,H"`` (the ``--puppet-box`` option) as a box region."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise PromptError(f"expected X,Y,W,H in pixels, got {text!r}")
    if values[2] <= 0 or values[3] <= 0:
        raise PromptError(f"the box's width and height must be positive, got {text!r}")
    return Region("box", tuple(values))


def parse_point(text: str) -> Region:
    """``"X,Y"`` or ``"X,Y,R"`` (the ``--puppet-point`` option) as a disc region."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in (2, 3) or not all(math.isfinite(v) for v in values):
        raise PromptError(f"expected X,Y or X,Y,R in pixels, got {text!r}")
    if len(values) == 3 and values[2] <= 0:
        raise PromptError(f"the radius must be positive, got {text!r}")
    return Region("point", (values[0], values[1], values[2] if len(values) == 3 else DEFAULT_RADIUS))


def region_mask(regions: list[Region], shape: tuple[int, int], *, scale: float = 1.0) -> np.ndarray:
    """Where the puppet is, ``(h, w)`` bool, for regions given in frame pixels.

    ``scale``: size of ``shape`` relative to the frame (the detector's working scale).
    """
    h, w = shape
    out = np.zeros((h, w), bool)
    for r in regions:
        if r.kind == "box":
            x, y, bw, bh = (v * scale for v in r.values)
            x0, y0 = max(0, math.floor(x)), max(0, math.floor(y))
            x1, y1 = min(w, math.ceil(x + bw)), min(h, math.ceil(y + bh))
            if x1 > x0 and y1 > y0:
                out[y0:y1, x0:x1] = True
        else:
            cx, cy, rad = (v * scale for v in r.values)
            y0, y1 = max(0, math.floor(cy - rad)), min(h, math.ceil(cy + rad) + 1)
            x0, x1 = max(0, math.floor(cx - rad)), min(w, math.ceil(cx + rad) + 1)
            if x1 > x0 and y1 > y0:
                yy, xx = np.mgrid[y0:y1, x0:x1]
                out[y0:y1, x0:x1] |= (xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2 <= rad * rad
    return out
