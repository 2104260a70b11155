"""A synthetic shot for carrying corrections: a textured puppet head moving by a known
number of pixels per frame in front of a set (shared by the runtime and the app tests)."""

from __future__ import annotations

import cv2
import numpy as np

SIZE = (240, 320)  # (H, W)
CENTRE = (130.0, 120.0)  # the head's centre on frame 0 (x, y)
RADIUS = 52


def _texture(rng: np.random.Generator, shape: tuple[int, int], blur: float) -> np.ndarray:
    t = rng.random(shape).astype(np.float32)
    return cv2.GaussianBlur(t, (0, 0), blur)


def make_frames(n: int, velocity: tuple[float, float], *, seed: int = 3, set_texture: bool = True,
                head_contrast: float = 1.6, set_contrast: float = 0.4) -> list[np.ndarray]:  # fmt: skip
    """``n`` (H, W, 3) uint8 frames; frame k shows the head moved by ``k * velocity`` (x, y)
    (sub-pixel shifts by bilinear warping), in front of a still set (textured unless
    ``set_texture`` is False; the contrasts scale the head's and the set's texture)."""
    rng = np.random.default_rng(seed)
    h, w = SIZE
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bg = 0.35 + 0.25 * xx / w
    if set_texture:  # a still set with texture of its own (it must not pull the track)
        bg = bg + set_contrast * (_texture(rng, (h, w), 2.0) - 0.5)
    head = 0.55 + head_contrast * (_texture(rng, (h, w), 1.6) - 0.5)  # skin with pores and paint strokes
    inside = (((xx - CENTRE[0]) ** 2 + (yy - CENTRE[1]) ** 2) <= RADIUS**2).astype(np.float32)
    inside = cv2.GaussianBlur(inside, (0, 0), 1.0)
    frames = []
    for k in range(n):
        m = np.float32([[1, 0, k * velocity[0]], [0, 1, k * velocity[1]]])
        hk = cv2.warpAffine(head, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        ik = cv2.warpAffine(inside, m, (w, h), flags=cv2.INTER_LINEAR)
        grey = np.clip(bg * (1 - ik) + hk * ik, 0, 1)
        rgb = np.stack([grey * 0.95, grey * 0.8, grey * 0.7], axis=2)
        frames.append((rgb * 255 + 0.5).astype(np.uint8))
    return frames


def stroke_line(k: int, velocity: tuple[float, float]) -> tuple[float, float, float, float]:
    """The seam line across the head on frame k: (x0, y0, x1, y1), frame pixels."""
    cx, cy = CENTRE[0] + k * velocity[0], CENTRE[1] + k * velocity[1]
    return cx - 30, cy + 18, cx + 28, cy + 22


def centroid(mask: np.ndarray) -> np.ndarray:
    """(x, y) of a mask's weight."""
    w = mask.astype(np.float64)
    yy, xx = np.mgrid[0 : mask.shape[0], 0 : mask.shape[1]]
    return np.array([(xx * w).sum() / w.sum(), (yy * w).sum() / w.sum()])
