"""A small shot of one puppet head moving, with its true seam masks: what learning from an
artist's corrections is measured on (``benchmarks/learn_from_corrections.py``, the slow test).

The head is an ellipsoid textured with a photograph of the training registry (shaded, soft
outline), on a backdrop made from another training photograph, moving ``step`` px right and
``drift`` px down per frame and turning slowly; it carries a replacement-face seam drawn by
the training package's renderer (:func:`.synth.draw_seam`), of the same shape on every frame
and moving with the head. The seam's look and the exposure are the caller's: the default is
a thin faint seam in a low-key (dim) shot, where the shipped detector is weak.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .. import sources
from . import synth

__all__ = ["HeadShot", "moving_head_shot", "write_shot"]


@dataclass
class HeadShot:
    """``frames``: (H, W, 3) uint8 RGB; ``masks``: (H, W) bool true seam pixels, per frame."""

    frames: list[np.ndarray]
    masks: list[np.ndarray]


def _photo(name: str, hw: tuple[int, int]) -> np.ndarray:
    if sources.PHOTOS[name].split != "train":
        raise ValueError(f"{name} is a held-out photograph: build shots from training photographs")
    img = sources.load_photo(name, np.float32)
    h, w = hw
    s = max(h / img.shape[0], w / img.shape[1])
    img = cv2.resize(img, (max(w, round(img.shape[1] * s)), max(h, round(img.shape[0] * s))),
                     interpolation=cv2.INTER_AREA)  # fmt: skip
    return np.ascontiguousarray(img[:h, :w])


def moving_head_shot(n: int = 16, *, hw: tuple[int, int] = (360, 640), head: str = "astronaut",
                     backdrop: str = "camera", step: float = 6.0, drift: float = 1.0, turn: float = 0.6,
                     width: float = 1.4, darkness: float = 0.35, highlight: float = 0.0, exposure: float = 0.22,
                     seed: int = 1) -> HeadShot:  # fmt: skip
    """``n`` frames of one head moving across a backdrop, with the true seam masks.

    Parameters
    ----------
    hw : frame size (H, W).
    head, backdrop : training photographs (``sources.TRAIN``) for the head's texture and the set.
    step, drift : px per frame to the right and down; ``turn``: degrees per frame.
    width, darkness, highlight : of the seam (:func:`.synth.draw_seam`).
    exposure : the whole picture is multiplied by it (< 1: a low-key, dim shot; the default
        0.22 is where the shipped detector is weak: F1 0.54 INT8 / 0.0 FP32 on the 13 frames
        ``benchmarks/bench_learn.py`` measures on).
    """
    h, w = hw
    rng = np.random.default_rng(seed)
    bg = 0.25 + 0.6 * _photo(backdrop, hw)
    tex = _photo(head, (2 * h, 2 * w))
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    frames, masks = [], []
    for i in range(n):
        cx = w * 0.3 + step * (i - (n - 1) / 2) + w * 0.2
        cy = h * 0.5 + drift * (i - (n - 1) / 2)
        rx, ry = w * 0.17, h * 0.36
        d = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
        alpha = np.clip((1 - d) * 8, 0, 1).astype(np.float32)
        shade = np.clip(1 - 0.35 * ((xx - cx + rx * 0.4) / rx) ** 2 - 0.2 * ((yy - cy + ry * 0.3) / ry) ** 2, 0.4, 1)
        m = cv2.getRotationMatrix2D((w, h), turn * i, 1.0)
        m[:, 2] += (cx - w, cy - h)  # the texture moves and turns with the head
        tex_i = cv2.warpAffine(tex, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        skin = 0.3 + 0.7 * tex_i * np.float32([1.0, 0.85, 0.75])
        img = bg * (1 - alpha[..., None]) + skin * shade.astype(np.float32)[..., None] * alpha[..., None]
        seam_rng = np.random.default_rng(seed + 1000)  # the same seam on every frame
        curve = synth.seam_curve((cx, cy + ry * 0.15), rx * 0.95, rng=seam_rng, angle_deg=turn * i)
        out, mask = synth.draw_seam(img.astype(np.float32), curve, alpha, width=width, rng=seam_rng,
                                    darkness=darkness, highlight=highlight)  # fmt: skip
        noise = rng.normal(0, 0.006, out.shape).astype(np.float32)
        frames.append((np.clip(out * exposure + noise, 0, 1) * 255 + 0.5).astype(np.uint8))
        masks.append(mask > 0)
    return HeadShot(frames, masks)


def write_shot(shot: HeadShot, folder: str | os.PathLike, *, name: str = "head", start: int = 1001) -> list[Path]:
    """Write the frames as ``folder/<name>.NNNN.png`` and the true masks beside the shot folder,
    in ``<folder>_truth/`` (never inside the shot); returns the frame paths."""
    from laika_fx.io import write_frame

    folder = Path(folder)
    truth = folder.parent / f"{folder.name}_truth"
    folder.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, (frame, mask) in enumerate(zip(shot.frames, shot.masks, strict=True)):
        p = folder / f"{name}.{start + k:04d}.png"
        write_frame(p, frame)
        write_frame(truth / f"{p.stem}.png", mask.astype(np.uint8) * 255)
        paths.append(p)
    return paths
