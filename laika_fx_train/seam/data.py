"""Synthetic training and evaluation data for seam detection and inpainting.

Every sample is built here from real photographs that ship inside pip packages plus
procedural textures; nothing is downloaded. Scenes are rendered at the detector's
*working scale* (a frame's short side brought to about 540 px, see
``laika_fx.seam_removal.detector.WORKING_HEIGHT``), where seams are 0.5-4 px wide.

A scene: a photographic or procedural "set", natural thin lines that must stay
(plank gaps with bevel highlights, wires and hair strands, stripes, text, table
edges -- the hard negatives), and usually a puppet head (``synth.render_puppet_head``)
whose own eyelids, lips and hair are negatives too; most heads carry a replacement-
face seam (``synth.draw_seam``). Then camera-like degradations: defocus, noise, JPEG,
exposure and gamma changes, 8-bit quantisation (or not: 16-bit).

Photos come from the one registry, :mod:`laika_fx_train.sources`: training scenes from
``TRAIN_PHOTOS`` (its ``TRAIN``), evaluation and calibration scenes from ``HELD_OUT``
(and the frames of ``sample_frames/``).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import cv2
import numpy as np

from .. import sources
from .synth import draw_seam, render_puppet_head, seam_curve

__all__ = [
    "TRAIN_PHOTOS",
    "HELD_OUT",
    "load_photo",
    "Scene",
    "make_scene",
    "detector_scenes",
    "face_scenes",
    "inpainter_samples",
]

#: photos of training scenes, and of evaluation / calibration scenes (the one split)
TRAIN_PHOTOS = sources.TRAIN
HELD_OUT = sources.HELD_OUT


def load_photo(name: str) -> np.ndarray:
    """Photo ``name`` as float32 RGB in [0, 1], ``(H, W, 3)`` (cached; do not modify)."""
    return sources.load_photo(name, np.float32)


# Photographed faces, labelled by hand as ellipses (centre x, y; half-axes x, y in the
# photo's pixels; the skin below the hair, chin included): for the face finder they are
# faces like a puppet's, not background - so it is not taught that a realistic face is
# not a face. The astronaut is a training photo, Grace Hopper is held out.
PHOTO_FACES = {
    "astronaut": ((222, 120), (42, 52)),
    "grace_hopper": ((258, 240), (88, 100)),
}


def photo_face(name: str) -> np.ndarray | None:
    """The hand-labelled face of photo ``name`` as an ``(H, W)`` uint8 mask (255 = face), or None."""
    if name not in PHOTO_FACES:
        return None
    (cx, cy), (ax, ay) = PHOTO_FACES[name]
    mask = np.zeros(load_photo(name).shape[:2], np.uint8)
    cv2.ellipse(mask, (cx, cy), (ax, ay), 0, 0, 360, 255, -1)
    return mask


# --------------------------------------------------------------------------- backgrounds
def _photo_background(rng: np.random.Generator, hw: tuple[int, int],
                      photos: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray | None]:  # fmt: skip
    """A crop of a photo, and its labelled face there (``PHOTO_FACES``) or None."""
    h, w = hw
    name = photos[rng.integers(len(photos))]
    img = load_photo(name)
    face = photo_face(name)
    scale = rng.uniform(0.6, 2.5) * max(h / img.shape[0], w / img.shape[1])
    scale = max(scale, 1.02 * max(h / img.shape[0], w / img.shape[1]))
    img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA)
    y = rng.integers(0, img.shape[0] - h + 1)
    x = rng.integers(0, img.shape[1] - w + 1)
    out = img[y : y + h, x : x + w].copy()
    if face is not None:
        face = cv2.resize(face, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_NEAREST)[y : y + h, x : x + w]
    if rng.random() < 0.3:
        out = out[:, ::-1].copy()
        face = None if face is None else face[:, ::-1].copy()
    if rng.random() < 0.4:  # shallow depth of field behind the puppet
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.8, 4.0))
    if rng.random() < 0.5:  # colour cast
        out = out * rng.uniform(0.75, 1.2, 3).astype(np.float32)
    return np.clip(out, 0, 1).astype(np.float32), face


def _procedural_background(rng: np.random.Generator, hw: tuple[int, int]) -> np.ndarray:
    h, w = hw
    kind = rng.integers(4)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.uniform(0.15, 0.85, 3).astype(np.float32)
    if kind == 0:  # wood: grain along x, planks separated by gaps (drawn as distractors later)
        grain = np.sin(yy * rng.uniform(0.05, 0.4) + 3 * np.sin(xx * rng.uniform(0.005, 0.03)))
        val = 0.85 + 0.12 * grain
    elif kind == 1:  # fabric / stripes
        f = rng.uniform(0.05, 0.6)
        a = rng.uniform(0, math.pi)
        val = 0.8 + 0.2 * np.sign(np.sin((xx * math.cos(a) + yy * math.sin(a)) * f))
        val = cv2.GaussianBlur(val.astype(np.float32), (0, 0), rng.uniform(0.3, 1.2))
    elif kind == 2:  # painted flat with a gradient
        val = 0.75 + 0.25 * (xx / w * rng.uniform(-1, 1) + yy / h * rng.uniform(-1, 1))
    else:  # blotchy noise (plaster, foliage out of focus)
        noise = rng.random((h // 8 + 2, w // 8 + 2)).astype(np.float32)
        val = 0.6 + 0.5 * cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    img = np.clip(val[..., None] * base[None, None, :], 0, 1)
    return img.astype(np.float32)


# --------------------------------------------------------------------------- hard negatives
def _aa_polyline(img: np.ndarray, pts: np.ndarray, color: np.ndarray, thickness: float, alpha: float) -> None:
    """Blend an anti-aliased polyline (sub-pixel thickness via supersampling) into ``img``."""
    h, w = img.shape[:2]
    ss = 4
    layer = np.zeros((h * ss, w * ss), np.uint8)
    t = max(1, int(round(thickness * ss)))
    cv2.polylines(layer, [np.round(pts * ss).astype(np.int32)], False, 255, t, cv2.LINE_AA)
    cov = cv2.resize(layer, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0 * alpha
    img[:] = img * (1 - cov[..., None]) + color[None, None, :] * cov[..., None]


LINE_KINDS = (0, 1)  # plank gaps and wires: the negatives the detector confused most


def add_distractors(img: np.ndarray, rng: np.random.Generator, *, count: int | None = None,
                    kinds: tuple[int, ...] = (0, 1, 2, 3, 4, 5), long_wires: bool = False) -> None:  # fmt: skip
    """Draw natural thin lines that are *not* seams into ``img`` (in place).

    ``kinds``: 0 plank gap, 1 wire / hair strand, 2 text, 3 table edge, 4 wrinkles,
    5 stripes. ``long_wires``: a wire crosses the whole image (drawn over a finished
    scene, a short dark curve may lie wholly on a face, where it is what a thin seam
    looks like: a label the detector cannot learn).
    """
    h, w = img.shape[:2]
    n = rng.integers(1, 6) if count is None else count
    for _ in range(n):
        kind = int(rng.choice(kinds))
        local = img[int(rng.integers(h)), int(rng.integers(w))]
        if kind == 0:  # plank gap: long straight dark line, maybe with a bevel highlight
            a = rng.uniform(0, math.pi) if rng.random() < 0.4 else rng.choice([0.0, math.pi / 2]) + rng.normal(0, 0.03)
            c = np.array([rng.uniform(0, w), rng.uniform(0, h)])
            d = np.array([math.cos(a), math.sin(a)]) * 2 * (h + w)
            pts = np.stack([c - d, c + d])
            thick = rng.uniform(0.6, 3.5)
            _aa_polyline(img, pts, local * rng.uniform(0.1, 0.5), thick, rng.uniform(0.5, 1.0))
            if rng.random() < 0.5:
                nrm = np.array([-d[1], d[0]]) / np.linalg.norm(d) * (thick / 2 + 1.0)
                _aa_polyline(img, pts + nrm, np.minimum(local * 1.5 + 0.1, 1), 0.8, rng.uniform(0.2, 0.5))
        elif kind == 1:  # wire / hair strand: a curve, dark or bright
            p0 = np.array([rng.uniform(0, w), rng.uniform(0, h)])
            ang = rng.uniform(0, 2 * math.pi)
            length = rng.uniform(30, 2 * max(h, w))
            t = np.linspace(0, 1, 40)[:, None]
            bend = rng.normal(0, 0.3)
            dirv = np.array([math.cos(ang), math.sin(ang)])
            nrm = np.array([-dirv[1], dirv[0]])
            if long_wires:  # centred in the image, both ends well outside it (gently bent)
                length = 2.5 * math.hypot(h, w)
                p0 = p0 - 0.5 * length * dirv
                bend = float(np.clip(bend, -0.3, 0.3))
            pts = p0 + t * length * dirv + (t * (1 - t)) * bend * length * nrm
            col = np.full(3, rng.uniform(0.0, 0.25)) if rng.random() < 0.7 else np.full(3, rng.uniform(0.75, 1.0))
            _aa_polyline(img, pts, col.astype(np.float32), rng.uniform(0.5, 2.0), rng.uniform(0.5, 1.0))
        elif kind == 2:  # text
            txt = "".join(rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "), rng.integers(3, 12)))
            layer = np.zeros((h, w), np.uint8)
            cv2.putText(layer, txt, (int(rng.integers(0, w // 2)), int(rng.integers(10, h))),
                        int(rng.integers(0, 8)), rng.uniform(0.3, 1.2), 255, int(rng.integers(1, 3)), cv2.LINE_AA)
            cov = layer.astype(np.float32)[..., None] / 255.0
            img[:] = img * (1 - cov) + rng.uniform(0, 1, 3).astype(np.float32) * cov
        elif kind == 3:  # table / set edge: a step edge with a thin dark crease
            a = rng.uniform(-0.3, 0.3) + (math.pi / 2 if rng.random() < 0.3 else 0.0)
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            c = np.array([rng.uniform(0, w), rng.uniform(0, h)])
            sd = (xx - c[0]) * -math.sin(a) + (yy - c[1]) * math.cos(a)
            edge = 0.5 * (1 + np.tanh(sd / (2 * rng.uniform(0.4, 1.5))))
            img[:] = img * (1 + (rng.uniform(0.6, 1.4) - 1) * edge[..., None])
            if rng.random() < 0.5:
                img[:] = img * (1 - 0.5 * np.exp(-0.5 * (sd / rng.uniform(0.5, 1.5)) ** 2))[..., None]
        elif kind == 4:  # short wrinkles / scratches
            for _ in range(rng.integers(2, 8)):
                p0 = np.array([rng.uniform(0, w), rng.uniform(0, h)])
                ang = rng.uniform(0, 2 * math.pi)
                L = rng.uniform(5, 40)
                t = np.linspace(0, 1, 10)[:, None]
                pts = p0 + t * L * np.array([math.cos(ang), math.sin(ang)]) + (t * (1 - t)) * rng.normal(0, 8, 2)
                _aa_polyline(img, pts, local * rng.uniform(0.3, 0.8), rng.uniform(0.5, 1.5), rng.uniform(0.3, 0.8))
        else:  # parallel stripes (a striped costume / wallpaper)
            spacing = rng.uniform(4, 20)
            a = rng.uniform(0, math.pi)
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            ph = (xx * math.cos(a) + yy * math.sin(a)) / spacing
            line = np.exp(-0.5 * ((ph - np.round(ph)) * spacing / rng.uniform(0.4, 1.2)) ** 2)
            region = np.zeros((h, w), np.float32)
            x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
            region[y0 : y0 + int(rng.integers(20, h)), x0 : x0 + int(rng.integers(20, w))] = 1
            img[:] = img * (1 - 0.6 * (line * region)[..., None])
    np.clip(img, 0, 1, out=img)


# --------------------------------------------------------------------------- scenes
@dataclass
class Scene:
    """One synthetic frame: ``frame`` (seamed), ``clean`` (no seam line; the half-to-half
    step kept, so it is the inpainting target), ``mask`` (uint8, 255 = seam line) --
    float32 RGB in [0, 1] at working scale; ``face`` (uint8, 255 = the puppet's
    replaceable face, where a seam can lie: the head without its hair; and a face in the
    background photograph, ``PHOTO_FACES``; all 0 without either). ``clean`` is None in scenes
    built for a detector's calibration (``world.source_scenes(clean=False)``)."""

    frame: np.ndarray
    clean: np.ndarray | None
    mask: np.ndarray
    has_head: bool
    face: np.ndarray | None = None


def make_scene(
    rng: np.random.Generator,
    hw: tuple[int, int] = (256, 256),
    *,
    photos: tuple[str, ...] = TRAIN_PHOTOS,
    p_head: float = 0.8,
    p_seam: float = 0.8,
    seam_width: tuple[float, float] = (0.6, 4.0),
    degrade: bool = True,
    head_radius: tuple[float, float] = (0.18, 0.7),
) -> Scene:
    """Render one synthetic scene (see module doc).

    ``head_radius``: range of the head's radius as a fraction of the short side (above
    ~0.7 the face fills the frame: a close-up).
    """
    h, w = hw
    bg, face = _photo_background(rng, hw, photos) if rng.random() < 0.7 else (_procedural_background(rng, hw), None)
    add_distractors(bg, rng)
    frame = bg
    clean = bg.copy()
    mask = np.zeros(hw, np.uint8)
    face = np.zeros(hw, np.uint8) if face is None else face  # a photographed face counts as a face
    has_head = rng.random() < p_head
    if has_head:
        r = rng.uniform(*head_radius) * min(h, w)
        rx, ry = r * rng.uniform(0.8, 1.0), r * rng.uniform(1.05, 1.3)
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        skin = np.clip(rng.uniform([0.55, 0.35, 0.25], [1.0, 0.9, 0.85]), 0, 1)
        if rng.random() < 0.2:  # painted/non-skin puppets: greens, blues, greys
            skin = rng.uniform(0.2, 0.95, 3)
        light = np.array([rng.uniform(-0.8, 0.8), rng.uniform(-0.9, 0.2), rng.uniform(0.4, 1.0)])
        seam_v = rng.uniform(-0.15, 0.4)
        head = render_puppet_head(
            hw, center=(cx, cy), radius_xy=(rx, ry), rng=rng, skin_rgb=tuple(skin),
            light_dir=tuple(light / np.linalg.norm(light)), tilt_deg=rng.normal(0, 12),
            blink=float(rng.random() < 0.2), gaze=tuple(rng.uniform(-1, 1, 2)),
            mouth_open=float(rng.uniform(0, 0.8) if rng.random() < 0.4 else 0.0),
            smile=rng.uniform(-0.5, 0.8), brow_raise=rng.uniform(-0.5, 0.5), hair=rng.random() < 0.7,
            texture=rng.uniform(0, 1.5), seam_v=seam_v,
        )  # fmt: skip
        face = np.where(head.alpha > 0.5, 0, face).astype(np.uint8)  # the head hides the photo's face
        face[(head.face_mask * head.alpha) > 0.5] = 255
        a = head.alpha[..., None]
        frame = (bg * (1 - a) + head.rgb * a).astype(np.float32)
        clean = frame.copy()
        if rng.random() < p_seam:
            lm = head.landmarks
            curve = seam_curve(lm["seam_center"], lm["seam_half_width"], rng=rng, angle_deg=lm["tilt_deg"])
            params = dict(
                width=float(rng.uniform(*seam_width)), darkness=float(rng.uniform(0.25, 0.85)),
                highlight=0.0 if rng.random() < 0.5 else float(rng.uniform(0.1, 0.45)),
                step=float(rng.uniform(0.0, 0.05) * rng.choice([-1, 1])), softness=float(rng.uniform(0.5, 2.2)),
                shadow=float(rng.uniform(0.05, 0.4)), shadow_side=int(1 if rng.random() < 0.8 else -1),
                step_tint=tuple(float(v) for v in rng.uniform(-0.012, 0.012, 3)), jitter=float(rng.uniform(0, 0.35)),
            )  # fmt: skip
            rng_clean = copy.deepcopy(rng)
            frame, mask = draw_seam(frame, curve, head.face_mask, rng=rng, **params)
            params.update(darkness=0.0, highlight=0.0, shadow=0.0)
            clean, _ = draw_seam(clean, curve, head.face_mask, rng=rng_clean, **params)
    if degrade:
        frame, clean = _degrade_pair(rng, frame, clean)
    return Scene(frame.astype(np.float32), clean.astype(np.float32), mask, has_head, face)


def _degrade_pair(rng: np.random.Generator, frame: np.ndarray, clean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Same camera degradations on both images (noise realisation shared)."""
    gain = rng.uniform(0.7, 1.25)
    gamma = rng.uniform(0.8, 1.25)
    sigma = rng.uniform(0, 0.9) if rng.random() < 0.5 else 0.0
    noise_sd = rng.uniform(0, 0.02)
    noise = rng.normal(0, noise_sd, frame.shape).astype(np.float32) if noise_sd > 0.002 else None
    jpeg_q = int(rng.integers(55, 96)) if rng.random() < 0.3 else None
    quant8 = rng.random() < 0.6
    cam = dict(gain=gain, gamma=gamma, sigma=sigma, jpeg_q=jpeg_q, quant8=quant8)
    return apply_camera(frame, noise, **cam), apply_camera(clean, noise, **cam)


def apply_camera(img: np.ndarray, noise: np.ndarray | None, *, gain: float, gamma: float, sigma: float,
                 jpeg_q: int | None, quant8: bool) -> np.ndarray:  # fmt: skip
    """One image through a camera's degradations (:func:`_degrade_pair` draws them): exposure
    ``gain`` and ``gamma``, defocus ``sigma``, additive ``noise``, then JPEG at ``jpeg_q`` or
    8-bit quantisation (``quant8``) or neither; float32 in [0, 1]."""
    x = np.clip(img * gain, 0, 1) ** gamma
    if sigma > 0.05:
        x = cv2.GaussianBlur(x, (0, 0), sigma)
    if noise is not None:
        x = x + noise
    x = np.clip(x, 0, 1).astype(np.float32)
    if jpeg_q is not None:
        ok, buf = cv2.imencode(".jpg", (x * 255 + 0.5).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, jpeg_q])
        x = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED).astype(np.float32) / 255.0
    elif quant8:
        x = np.round(x * 255) / 255.0
    return x.astype(np.float32)


# --------------------------------------------------------------------------- datasets
def detector_scenes(
    n: int, *, seed: int = 0, photos: tuple[str, ...] = TRAIN_PHOTOS, hw: tuple[int, int] = (352, 352),
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` whole training scenes for the detector (cropped on the fly while training).

    Whole scenes, unlike the 128 px crops the four-level net was trained on, keep the context a seam
    is told apart by: it lies on a face and ends at the face's outline, while a wire or
    a plank gap runs on across the set.

    Returns ``frames`` ``(n, H, W, 3)`` uint8 RGB and ``masks`` ``(n, H, W)`` uint8 (1 = seam).
    """
    rng = np.random.default_rng(seed)
    frames = np.zeros((n, *hw, 3), np.uint8)
    masks = np.zeros((n, *hw), np.uint8)
    for i in range(n):
        scene = make_scene(rng, hw, photos=photos)
        frames[i] = (scene.frame * 255 + 0.5).astype(np.uint8)
        masks[i] = scene.mask > 0
    return frames, masks


FACE_SCALE = 0.5  # face scenes are rendered at twice the face finder's input size


#: version of what ``face_scenes`` makes (names the training run's data cache): 2 added
#: close-ups, 3 the labelled faces of photographs
FACE_DATA_VERSION = 3
CLOSE_UP_RADIUS = (0.7, 1.6)  # head radius / short side of close-ups: the face fills the frame


def face_scenes(
    n: int, *, seed: int = 0, photos: tuple[str, ...] = TRAIN_PHOTOS, hw: tuple[int, int] = (272, 400),
    p_close_up: float = 0.3,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` scenes for the face finder, at half the rendered size (short side 136 px by
    default, the size the face finder works at); ``p_close_up`` of them close-ups (head
    radius ``CLOSE_UP_RADIUS`` x the short side: the face fills the frame, its outline
    partly outside it).

    Returns ``frames`` ``(n, H/2, W/2, 3)`` uint8 RGB and ``faces`` ``(n, H/2, W/2)`` uint8
    (1 = replaceable face: more than half of the pixel's area is face).
    """
    rng = np.random.default_rng(seed)
    h, w = round(hw[0] * FACE_SCALE), round(hw[1] * FACE_SCALE)
    frames = np.zeros((n, h, w, 3), np.uint8)
    faces = np.zeros((n, h, w), np.uint8)
    for i in range(n):
        radius = CLOSE_UP_RADIUS if rng.random() < p_close_up else (0.18, 0.7)
        scene = make_scene(rng, hw, photos=photos, p_head=0.8, p_seam=0.6, head_radius=radius)
        small = cv2.resize(scene.frame, (w, h), interpolation=cv2.INTER_AREA)
        frames[i] = (np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8)
        face = cv2.resize(scene.face.astype(np.float32) / 255.0, (w, h), interpolation=cv2.INTER_AREA)
        faces[i] = face > 0.5
    return frames, faces


def inpainter_samples(
    n: int, *, crop: int = 64, seed: int = 0, photos: tuple[str, ...] = TRAIN_PHOTOS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` inpainting crops centred on seams, at full (1080p-like) seam widths.

    Returns
    -------
    frames : (n, crop, crop, 3) float32 seamed crops.
    clean : (n, crop, crop, 3) float32 targets.
    holes : (n, crop, crop) uint8, 1 = pixel to fill (seam mask dilated 0-3 px).
    """
    rng = np.random.default_rng(seed)
    frames = np.zeros((n, crop, crop, 3), np.float32)
    clean = np.zeros_like(frames)
    holes = np.zeros((n, crop, crop), np.uint8)
    i = 0
    while i < n:
        scene = make_scene(rng, (288, 288), photos=photos, p_head=1.0, p_seam=1.0, seam_width=(1.0, 8.0))
        ys, xs = np.nonzero(scene.mask)
        if not len(ys):
            continue
        grow = int(rng.integers(0, 4))
        hole = scene.mask > 0
        if grow:
            hole = cv2.dilate(hole.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1,) * 2)) > 0
        for _ in range(6):
            if i >= n:
                break
            k = rng.integers(len(ys))
            y0 = int(np.clip(ys[k] - crop // 2 + rng.integers(-12, 13), 0, 288 - crop))
            x0 = int(np.clip(xs[k] - crop // 2 + rng.integers(-12, 13), 0, 288 - crop))
            sl = np.s_[y0 : y0 + crop, x0 : x0 + crop]
            frames[i], clean[i], holes[i] = scene.frame[sl], scene.clean[sl], hole[sl]
            i += 1
    return frames, clean, holes
