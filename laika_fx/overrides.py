"""Artist mask overrides: masks painted by hand, used instead of a plugin's detection.

An override is a PNG mask named like its frame (``<frame stem>.png``, ``(H, W)`` uint8,
255 = seam) in a folder beside the shot, never inside it: by default
``<shot folder>.laika_fx/mask_overrides/`` (:func:`default_mask_override_dir`). The
batch (``laika-fx batch ... --mask-overrides DIR``, or that default folder if it
exists) hands a frame's override to the plugins as ``FrameContext.mask_override``; the
app paints, saves and removes the same files with these functions, so the two cannot
disagree about which file belongs to a frame or what it holds.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .io import FrameReadError, read_frame, write_frame

__all__ = [
    "default_mask_override_dir",
    "mask_override_path",
    "load_mask_override",
    "save_mask_override",
    "remove_mask_override",
]


def default_mask_override_dir(shot_dir: str | os.PathLike) -> Path:
    """``<shot folder>.laika_fx/mask_overrides``: artist corrections, outside the shot folder."""
    d = Path(shot_dir).resolve()
    return d.parent / f"{d.name}.laika_fx" / "mask_overrides"


def mask_override_path(override_dir: str | os.PathLike, frame_path: str | os.PathLike) -> Path:
    """Where the artist's mask for a frame lives: ``<override_dir>/<frame stem>.png``."""
    return Path(override_dir) / f"{Path(frame_path).stem}.png"


def load_mask_override(override_dir: str | os.PathLike, frame_path: str | os.PathLike,
                       frame: np.ndarray) -> np.ndarray | None:  # fmt: skip
    """The artist's mask for this frame (``(H, W)`` uint8, 255 = seam), or None if there is none.

    Parameters
    ----------
    override_dir : the override folder.
    frame_path : the frame's source file (only its stem is used).
    frame : (H, W[, C]) ndarray, the frame the mask must fit.

    Raises
    ------
    FrameReadError
        If the override cannot be read or its size differs from ``frame``.
    """
    p = mask_override_path(override_dir, frame_path)
    if not p.exists():
        return None
    mask = read_frame(p)
    if mask.ndim == 3:
        mask = mask[:, :, 0]
    if mask.shape != frame.shape[:2]:
        raise FrameReadError(
            f"mask override {p.name} is {mask.shape[1]}x{mask.shape[0]}, the frame is "
            f"{frame.shape[1]}x{frame.shape[0]}"
        )
    if mask.dtype != np.uint8:
        mask = (mask > 0).astype(np.uint8) * 255
    return mask


def save_mask_override(override_dir: str | os.PathLike, frame_path: str | os.PathLike,
                       mask: np.ndarray) -> Path:  # fmt: skip
    """Write ``mask`` as the frame's override (atomically; the folder is created); its path.

    Parameters
    ----------
    mask : (H, W) ndarray; nonzero = seam. Saved as uint8, 255 = seam.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"a mask override is (H, W), got shape {mask.shape}")
    path = mask_override_path(override_dir, frame_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_frame(path, (mask > 0).astype(np.uint8) * 255)
    return path


def remove_mask_override(override_dir: str | os.PathLike, frame_path: str | os.PathLike) -> bool:
    """Delete the frame's override (the frame goes back to the detection); True if one existed."""
    path = mask_override_path(override_dir, frame_path)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
