"""A benchmark shot built from real photographs: a seamed puppet head, camera shake, flicker.

Deterministic (fixed seeds), no downloads: the set is a 3x2 collage of photographs that ship
inside scikit-image (``skimage.data``: astronaut, coffee, chelsea, rocket and the left and
right views of the Middlebury motorcycle), each scaled with bicubic interpolation to cover
its cell at the target resolution. A procedural puppet head (``laika_fx_train.seam.synth``)
stands in the middle with a replacement-face seam across it (3 px wide at 1080p, scaled
with the frame). Every frame is the plate moved by a smooth camera shake (translation up
to ~0.6 % of the width, rotation up to ~0.3 degrees, bilinear, reflected borders), a
brightness flicker (gain 1 +- ~3 %) and sensor noise (sigma 0.4 % of full scale), then
quantised to the file's sample type. The plate (head included) is rendered at each
resolution, not upscaled from a smaller one.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle_left", "motorcycle_right")
FORMATS = {"png8": (".png", np.uint8), "tif16": (".tif", np.uint16), "jpg": (".jpg", np.uint8)}
FIRST = 1001


def _photo(name: str) -> np.ndarray:
    import skimage.data

    if name.startswith("motorcycle_"):
        left, right, _ = skimage.data.stereo_motorcycle()
        img = left if name.endswith("left") else right
    else:
        img = getattr(skimage.data, name)()
    return np.ascontiguousarray(img[:, :, :3]).astype(np.float32) / 255.0


def _cover(img: np.ndarray, h: int, w: int) -> np.ndarray:
    ih, iw = img.shape[:2]
    s = max(h / ih, w / iw)
    big = cv2.resize(img, (max(w, math.ceil(iw * s)), max(h, math.ceil(ih * s))), interpolation=cv2.INTER_CUBIC)
    y0, x0 = (big.shape[0] - h) // 2, (big.shape[1] - w) // 2
    return big[y0 : y0 + h, x0 : x0 + w]


def plate(height: int, width: int) -> tuple[np.ndarray, int]:
    """The set with the seamed head, float32 RGB in [0, 1], and the seam's pixel count."""
    from laika_fx_train.seam.synth import draw_seam, render_puppet_head, seam_curve

    canvas = np.zeros((height, width, 3), np.float32)
    rows, cols = 2, 3
    for i, name in enumerate(PHOTOS):
        r, c = divmod(i, cols)
        y0, y1 = r * height // rows, (r + 1) * height // rows
        x0, x1 = c * width // cols, (c + 1) * width // cols
        canvas[y0:y1, x0:x1] = np.clip(_cover(_photo(name), y1 - y0, x1 - x0), 0, 1)
    rng = np.random.default_rng(13)
    head = render_puppet_head(
        (height, width), center=(0.5 * width, 0.52 * height), radius_xy=(0.2 * height, 0.26 * height), rng=rng,
        skin_rgb=(0.9, 0.72, 0.6), tilt_deg=6.0, seam_v=0.15, smile=0.3,
    )  # fmt: skip
    a = head.alpha[..., None]
    frame = (canvas * (1 - a) + head.rgb * a).astype(np.float32)
    lm = head.landmarks
    curve = seam_curve(lm["seam_center"], lm["seam_half_width"], rng=rng, angle_deg=lm["tilt_deg"])
    frame, mask = draw_seam(
        frame, curve, head.face_mask, rng=rng, width=3.0 * height / 1080, darkness=0.6, highlight=0.2, step=0.02,
        softness=1.5 * height / 1080, shadow=0.25, shadow_side=1, step_tint=(0.004, 0.0, -0.004), jitter=0.2,
    )  # fmt: skip
    return np.clip(frame, 0, 1).astype(np.float32), int((mask > 0).sum())


def _shake(n: int, seed: int = 7) -> list[tuple[float, float, float, float]]:
    """(dx, dy as a fraction of the width, rotation in degrees, gain) per frame: smooth and random."""
    rng = np.random.default_rng(seed)
    out = []
    p = np.zeros(3)
    v = np.zeros(3)
    for i in range(n):
        v = 0.6 * v + rng.normal(0, [0.0015, 0.0015, 0.08])
        p = np.clip(0.85 * p + v, [-0.006, -0.006, -0.3], [0.006, 0.006, 0.3])
        gain = 1.0 + 0.02 * math.sin(2.3 * i) + rng.normal(0, 0.012)
        out.append((float(p[0]), float(p[1]), float(p[2]), float(gain)))
    return out


def frames(base: np.ndarray, n: int, dtype=np.uint8):
    """Yield ``n`` shaken, flickering, noisy frames of ``base`` in ``dtype`` (RGB)."""
    h, w = base.shape[:2]
    rng = np.random.default_rng(11)
    top = np.float32(np.iinfo(dtype).max)
    for dx, dy, rot, gain in _shake(n):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), rot, 1.0)
        m[0, 2] += dx * w
        m[1, 2] += dy * w
        f = cv2.warpAffine(base, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        f *= np.float32(gain)
        f += rng.standard_normal(f.shape, dtype=np.float32) * np.float32(0.004)
        np.clip(f, 0, 1, out=f)
        yield (f * top + 0.5).astype(dtype)


def build(folder: Path, height: int, width: int, fmt: str, n: int, base: np.ndarray | None = None) -> list[str]:
    """Write the shot's ``n`` frames as ``frame.1001.<ext>`` ... into ``folder``; the file names.

    8-bit PNG with OpenCV's default compression, 16-bit TIFF uncompressed, JPEG quality 95.
    """
    ext, dtype = FORMATS[fmt]
    if base is None:
        base = plate(height, width)[0]
    folder.mkdir(parents=True, exist_ok=True)
    params = {".jpg": [cv2.IMWRITE_JPEG_QUALITY, 95], ".tif": [cv2.IMWRITE_TIFF_COMPRESSION, 1], ".png": []}[ext]
    names = []
    for i, f in enumerate(frames(base, n, dtype)):
        name = f"frame.{FIRST + i}{ext}"
        if not cv2.imwrite(str(folder / name), cv2.cvtColor(f, cv2.COLOR_RGB2BGR), params):
            raise RuntimeError(f"could not write {folder / name}")
        names.append(name)
    return names
