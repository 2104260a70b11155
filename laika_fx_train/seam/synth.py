"""Procedural rendering of replacement-face seams and simple puppet heads.

Stop-motion replacement faces are printed as an upper and a lower half. Where the
halves meet, a thin line crosses the face: a dark gap with a soft shadow, sometimes
a bright edge highlight on one side, curving with the face, with a slight colour or
brightness step between the two halves. This module renders that appearance (and a
plausible clay/resin puppet head to put it on) so it can be used for sample shots
and, later, for synthetic training data for a seam detector.

Everything is NumPy/OpenCV only and driven by an explicit
``rng: numpy.random.Generator`` so results are reproducible. Images are float32
RGB in ``[0, 1]`` with shape ``(H, W, 3)``; masks are ``(H, W)``.

Coordinates are pixel coordinates ``(x, y)`` with ``y`` pointing down and the
centre of pixel ``(i, j)`` (row, column) at ``x = j, y = i``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

__all__ = [
    "PuppetHead",
    "draw_seam",
    "render_puppet_head",
    "seam_curve",
]

_F = np.float32


# --------------------------------------------------------------------------- helpers


def _smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _smooth_noise_1d(rng: np.random.Generator, n_ctrl: int, n_out: int) -> np.ndarray:
    """Smooth random function sampled at ``n_out`` points, roughly in [-1, 1]."""
    ctrl = rng.uniform(-1.0, 1.0, size=(1, n_ctrl)).astype(_F)
    out = cv2.resize(ctrl, (n_out, 1), interpolation=cv2.INTER_CUBIC)[0]
    return np.clip(out, -1.0, 1.0)


def _value_noise(rng: np.random.Generator, shape_hw: tuple[int, int], cell: float) -> np.ndarray:
    """Smooth value noise of shape ``shape_hw`` with feature size ``cell`` px, zero mean."""
    h, w = shape_hw
    gh = max(2, int(math.ceil(h / cell)) + 1)
    gw = max(2, int(math.ceil(w / cell)) + 1)
    grid = rng.standard_normal((gh, gw)).astype(_F)
    out = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
    return out - out.mean()


def _polyline_distance(
    pts: np.ndarray, x0: int, y0: int, w: int, h: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact distance from pixel centres of a window to a polyline.

    Parameters
    ----------
    pts : ndarray, shape (N, 2)
        Polyline vertices ``(x, y)``, N >= 2.
    x0, y0, w, h : int
        Window origin and size in pixels.

    Returns
    -------
    dist : ndarray, shape (h, w), float32
        Euclidean distance in pixels to the nearest point of the polyline.
    side : ndarray, shape (h, w), float32
        +1 if the pixel lies to the right of the travel direction (below a curve
        running left to right in y-down coordinates), -1 otherwise.
    t : ndarray, shape (h, w), float32
        Normalised arc-length position (0..1) of the nearest point.
    """
    pts = np.asarray(pts, dtype=np.float64)
    xs = np.arange(x0, x0 + w, dtype=_F)
    ys = np.arange(y0, y0 + h, dtype=_F)
    gx, gy = np.meshgrid(xs, ys)
    seg = np.diff(pts, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    total = max(cum[-1], 1e-6)
    best = np.full((h, w), np.inf, dtype=_F)
    side = np.ones((h, w), dtype=_F)
    tpar = np.zeros((h, w), dtype=_F)
    for i in range(len(seg)):
        ax, ay = pts[i]
        dx, dy = seg[i]
        l2 = dx * dx + dy * dy
        if l2 < 1e-12:
            continue
        rx = gx - _F(ax)
        ry = gy - _F(ay)
        t = np.clip((rx * _F(dx) + ry * _F(dy)) / _F(l2), 0.0, 1.0)
        px = rx - t * _F(dx)
        py = ry - t * _F(dy)
        d2 = px * px + py * py
        upd = d2 < best
        best = np.where(upd, d2, best)
        cross = _F(dx) * ry - _F(dy) * rx
        side = np.where(upd, np.where(cross >= 0, _F(1), _F(-1)), side)
        tpar = np.where(upd, (_F(cum[i]) + t * _F(seg_len[i])) / _F(total), tpar)
    return np.sqrt(best), side, tpar


def _local_polyline_distance(
    pts: np.ndarray, x0: int, y0: int, w: int, h: int, margin: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Like :func:`_polyline_distance` but only evaluated within ``margin`` px of the
    polyline's bounding box; elsewhere ``dist`` is a large number."""
    dist = np.full((h, w), 1e6, _F)
    side = np.ones((h, w), _F)
    tpar = np.zeros((h, w), _F)
    pts = np.asarray(pts, np.float64)
    bx0 = max(x0, int(math.floor(pts[:, 0].min() - margin)))
    bx1 = min(x0 + w, int(math.ceil(pts[:, 0].max() + margin)) + 1)
    by0 = max(y0, int(math.floor(pts[:, 1].min() - margin)))
    by1 = min(y0 + h, int(math.ceil(pts[:, 1].max() + margin)) + 1)
    if bx1 > bx0 and by1 > by0:
        sub = (slice(by0 - y0, by1 - y0), slice(bx0 - x0, bx1 - x0))
        dist[sub], side[sub], tpar[sub] = _polyline_distance(pts, bx0, by0, bx1 - bx0, by1 - by0)
    return dist, side, tpar


def _as_float_mask(mask: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    m = np.asarray(mask)
    if m.shape != shape_hw:
        raise ValueError(f"mask shape {m.shape} does not match image shape {shape_hw}")
    if m.dtype == bool:
        return m.astype(_F)
    if m.dtype == np.uint8:
        return m.astype(_F) / 255.0
    return np.clip(m.astype(_F), 0.0, 1.0)


# --------------------------------------------------------------------------- seam


def seam_curve(
    center: tuple[float, float],
    half_width: float,
    *,
    rng: np.random.Generator,
    n_points: int = 64,
    angle_deg: float = 0.0,
    sag: float | None = None,
    wobble: float | None = None,
    extend: float = 1.2,
) -> np.ndarray:
    """Smooth seam curve crossing a face.

    The curve is a gently bent arc (parabola plus a low-frequency wobble) that
    runs left to right through ``center``, rotated by ``angle_deg``. A horizontal
    cut around a roughly ellipsoidal head seen from slightly above projects to a
    "smile" shaped arc whose ends rise towards the temples; that is the default.

    Parameters
    ----------
    center : (float, float)
        Point ``(x, y)`` in pixels where the curve crosses the face centre line.
    half_width : float
        Half the face width at the seam height, in pixels.
    rng : numpy.random.Generator
        Random state for the unspecified shape parameters.
    n_points : int, optional
        Number of vertices of the returned polyline.
    angle_deg : float, optional
        Rotation of the whole curve (positive = clockwise on screen).
    sag : float, optional
        Vertical offset of the curve ends relative to the centre, as a fraction of
        ``half_width``; negative values make the ends rise (a "smile"). Random in
        ``[-0.22, 0.08]`` (mostly rising) when ``None``.
    wobble : float, optional
        Amplitude of the low-frequency wobble as a fraction of ``half_width``.
        Random in ``[0, 0.012]`` when ``None``.
    extend : float, optional
        The curve spans ``extend * half_width`` to either side so it runs past the
        face silhouette (the face mask crops it).

    Returns
    -------
    ndarray, shape (n_points, 2), float32
        Polyline vertices ``(x, y)`` ordered left to right (before rotation).
    """
    if sag is None:
        sag = float(rng.uniform(-0.22, 0.08))
    if wobble is None:
        wobble = float(rng.uniform(0.0, 0.012))
    s = np.linspace(-1.0, 1.0, n_points)
    x = s * half_width * extend
    y = sag * half_width * s**2
    for k in (1.5, 2.5, 3.5):
        amp = wobble * half_width * float(rng.uniform(0.3, 1.0)) / k
        y = y + amp * np.sin(math.pi * k * s + float(rng.uniform(0.0, 2 * math.pi)))
    # Make the curve pass exactly through the centre.
    y = y - np.interp(0.0, s, y)
    a = math.radians(angle_deg)
    ca, sa = math.cos(a), math.sin(a)
    px = center[0] + ca * x - sa * y
    py = center[1] + sa * x + ca * y
    return np.stack([px, py], axis=1).astype(_F)


def draw_seam(
    image: np.ndarray,
    curve: np.ndarray,
    face_mask: np.ndarray,
    *,
    width: float | None = None,
    rng: np.random.Generator,
    darkness: float | None = None,
    highlight: float | None = None,
    step: float | None = None,
    softness: float | None = None,
    shadow: float | None = None,
    shadow_side: int | None = None,
    step_tint: tuple[float, float, float] | None = None,
    jitter: float | None = None,
    highlight_rgb: tuple[float, float, float] = (1.0, 0.97, 0.92),
    mask_threshold: float = 0.02,
) -> tuple[np.ndarray, np.ndarray]:
    """Render a replacement-face seam along ``curve``.

    The seam is built from a signed distance field to the curve (no rasterised
    line, hence no jaggies): a dark gap of ``width`` px with box-filtered edges,
    a soft exponential shadow mostly on ``shadow_side``, an optional thin bright
    edge highlight on the other side, and a slight brightness/colour step between
    the two halves. Gap width and darkness vary slowly along the curve. Every
    effect is multiplied by ``face_mask``.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3), float32
        RGB image in ``[0, 1]``.
    curve : ndarray, shape (N, 2)
        Polyline ``(x, y)`` in pixels, e.g. from :func:`seam_curve`. The side to
        the right of the travel direction (below a left-to-right curve) is the
        "lower" half.
    face_mask : ndarray, shape (H, W), bool, uint8 or float
        Where the replacement face is (1 inside). The seam is confined to it.
    width : float, optional
        Gap width in pixels (1-8 px at 1080p). Random in ``[0.9, 2.4]`` if ``None``.
    rng : numpy.random.Generator
        Random state for all parameters left as ``None`` and the along-curve
        variation.
    darkness : float, optional
        Fractional darkening in the gap core (0..1). Random in ``[0.45, 0.8]``.
    highlight : float, optional
        Strength of the bright edge line (0 = none). Random: 0 half of the time,
        else ``[0.15, 0.45]``.
    step : float, optional
        Relative brightness change of the lower half (e.g. ``0.03`` = 3 % brighter).
        Random in ``+-[0.01, 0.05]``.
    softness : float, optional
        Exponential fall-off length of the shadow in pixels. Random in ``[0.8, 2.2]``.
    shadow : float, optional
        Shadow strength at the gap edge (0..1). Random in ``[0.15, 0.4]``.
    shadow_side : {1, -1}, optional
        +1 puts the main shadow on the lower half (light from above), -1 on the
        upper half. Random (mostly +1).
    step_tint : (float, float, float), optional
        Additive RGB offset of the lower half (a print colour mismatch).
        Random, within ``+-0.012`` per channel.
    jitter : float, optional
        Relative variation of width/darkness along the curve. Random in ``[0, 0.35]``.
    highlight_rgb : (float, float, float), optional
        Colour the highlight blends towards.
    mask_threshold : float, optional
        A pixel is in ``seam_mask`` when the gap/shadow/highlight changed any channel
        by more than this (the half-to-half step is excluded).

    Returns
    -------
    seamed : ndarray, shape (H, W, 3), float32
        Image with the seam, clipped to ``[0, 1]``.
    seam_mask : ndarray, shape (H, W), uint8
        255 where the line (gap + shadow/highlight band) changed the image
        noticeably, 0 elsewhere. The broad step between halves is not included.
    """
    img = np.asarray(image, dtype=_F)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"image must be (H, W, 3), got {img.shape}")
    h, w = img.shape[:2]
    fm = _as_float_mask(face_mask, (h, w))
    pts = np.asarray(curve, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 2:
        raise ValueError("curve must be an (N, 2) array with N >= 2")

    if width is None:
        width = float(rng.uniform(0.9, 2.4))
    if darkness is None:
        darkness = float(rng.uniform(0.45, 0.8))
    if highlight is None:
        highlight = 0.0 if rng.random() < 0.5 else float(rng.uniform(0.15, 0.45))
    if step is None:
        step = float(rng.uniform(0.01, 0.05)) * (1.0 if rng.random() < 0.5 else -1.0)
    if softness is None:
        softness = float(rng.uniform(0.8, 2.2))
    if shadow is None:
        shadow = float(rng.uniform(0.15, 0.4))
    if shadow_side is None:
        shadow_side = 1 if rng.random() < 0.8 else -1
    if step_tint is None:
        step_tint = tuple(float(v) for v in rng.uniform(-0.012, 0.012, size=3))
    if jitter is None:
        jitter = float(rng.uniform(0.0, 0.35))
    width = max(float(width), 0.05)
    n_w = _smooth_noise_1d(rng, 7, 256)
    n_d = _smooth_noise_1d(rng, 5, 256)

    # Lower-half weight everywhere (anti-aliased polygon), refined near the line below.
    big = 4.0 * (h + w)
    d0 = pts[1] - pts[0]
    d1 = pts[-1] - pts[-2]
    ext0 = pts[0] - d0 / max(np.hypot(*d0), 1e-9) * big
    ext1 = pts[-1] + d1 / max(np.hypot(*d1), 1e-9) * big
    nrm = np.array([-d1[1], d1[0]]) / max(np.hypot(*d1), 1e-9)  # right-hand normal
    poly = np.vstack([ext0, pts, ext1, ext1 + nrm * big, ext0 + nrm * big])
    lower_u8 = np.zeros((h, w), np.uint8)
    cv2.fillPoly(lower_u8, [np.round(poly * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    lower = lower_u8.astype(_F) / 255.0

    # Window around the curve where the line itself has an effect.
    reach = width / 2 + 1.0 + 8.0 * softness + 4.0
    x0 = int(max(0, math.floor(pts[:, 0].min() - reach)))
    x1 = int(min(w, math.ceil(pts[:, 0].max() + reach) + 1))
    y0 = int(max(0, math.floor(pts[:, 1].min() - reach)))
    y1 = int(min(h, math.ceil(pts[:, 1].max() + reach) + 1))

    stepped = img * (1.0 + step * (lower * fm))[..., None]
    stepped = stepped + (lower * fm)[..., None] * np.asarray(step_tint, _F)
    out = stepped.copy()
    seam_mask = np.zeros((h, w), np.uint8)
    if x1 <= x0 or y1 <= y0:
        return np.clip(out, 0.0, 1.0), seam_mask

    dist, side, tpar = _polyline_distance(pts, x0, y0, x1 - x0, y1 - y0)
    ti = np.clip((tpar * 255.0).astype(np.int32), 0, 255)
    wt = width * np.clip(1.0 + jitter * n_w[ti], 0.3, None)
    dk = np.clip(darkness * (1.0 + 0.6 * jitter * n_d[ti]), 0.0, 0.97)
    half = wt / 2.0
    sd = side * dist  # signed: + on the lower half

    # Recompute the step weight exactly near the line (continuous with the polygon).
    sub = (slice(y0, y1), slice(x0, x1))
    lower_w = _smoothstep(-0.6, 0.6, sd)
    fm_w = fm[sub]
    img_w = img[sub]
    stp = img_w * (1.0 + step * lower_w * fm_w)[..., None]
    stp = stp + (lower_w * fm_w)[..., None] * np.asarray(step_tint, _F)
    stepped[sub] = stp

    # Gap: box-filtered band of width wt (exact coverage for a straight edge).
    core = np.clip(np.minimum(half + 0.5 - dist, wt), 0.0, 1.0)
    # Shadow: exponential beyond the gap edge, mostly on shadow_side; ambient both sides.
    beyond = np.maximum(dist - half, 0.0)
    on_side = _smoothstep(-0.5, 0.5, shadow_side * sd)
    sh = shadow * np.exp(-beyond / softness) * (0.3 + 0.7 * on_side)
    # Highlight: thin bright line just past the gap edge on the opposite side.
    opp = -shadow_side * sd
    hl = highlight * np.exp(-0.5 * ((opp - (half + 0.7)) / 0.6) ** 2)

    dark = 1.0 - (1.0 - dk * core) * (1.0 - sh)
    res = stp * (1.0 - fm_w * dark)[..., None]
    hlw = (fm_w * hl)[..., None]
    res = res + hlw * (np.asarray(highlight_rgb, _F) - res)
    out = stepped
    out[sub] = res

    change = np.abs(res - stp).max(axis=2)
    seam_mask[sub] = np.where(change > mask_threshold, 255, 0).astype(np.uint8)
    return np.clip(out, 0.0, 1.0).astype(_F), seam_mask


# --------------------------------------------------------------------------- puppet head


class PuppetHead(NamedTuple):
    """Result of :func:`render_puppet_head`.

    Attributes
    ----------
    rgb : ndarray, shape (H, W, 3), float32
        Un-premultiplied colour in ``[0, 1]`` (valid where ``alpha > 0``).
    alpha : ndarray, shape (H, W), float32
        Coverage of the head including hair, anti-aliased, in ``[0, 1]``.
    face_mask : ndarray, shape (H, W), float32
        Replaceable face region (head minus hair), in ``[0, 1]``.
    landmarks : dict
        ``"uv_to_px"``: (2, 3) float64 affine map from normalised head coordinates
        ``(u, v, 1)`` (``u`` = +-1 at the cheeks, ``v`` = +-1 at crown/chin) to
        pixels; ``"eye_left"``, ``"eye_right"``, ``"nose_tip"``, ``"mouth"``,
        ``"seam_center"`` as ``(x, y)`` pixels; ``"seam_half_width"`` in pixels;
        ``"tilt_deg"``.
    """

    rgb: np.ndarray
    alpha: np.ndarray
    face_mask: np.ndarray
    landmarks: dict


def _gauss(
    u: np.ndarray, v: np.ndarray, cu: float, cv: float, su: float, sv: float, amp: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian bump and its analytic gradient (value, d/du, d/dv)."""
    du = (u - cu) / su
    dv = (v - cv) / sv
    g = amp * np.exp(-0.5 * (du * du + dv * dv))
    return g, -g * du / su, -g * dv / sv


def render_puppet_head(
    size_hw: tuple[int, int],
    *,
    center: tuple[float, float],
    radius_xy: tuple[float, float],
    rng: np.random.Generator,
    skin_rgb: tuple[float, float, float] = (0.93, 0.75, 0.63),
    light_dir: tuple[float, float, float] = (-0.45, -0.5, 0.74),
    tilt_deg: float = 0.0,
    blink: float = 0.0,
    gaze: tuple[float, float] = (0.0, 0.0),
    mouth_open: float = 0.0,
    smile: float = 0.3,
    brow_raise: float = 0.0,
    hair_rgb: tuple[float, float, float] | None = None,
    iris_rgb: tuple[float, float, float] | None = None,
    hair: bool = True,
    texture: float = 1.0,
    seam_v: float = 0.1,
) -> PuppetHead:
    """Render a simple resin/clay puppet head with an alpha map.

    The head is an ellipsoid with a slightly tapered jaw, Lambert + wrap key light,
    a weak fill, a satin specular and silhouette ambient occlusion. Facial relief
    (nose, brow, cheeks, eye sockets, chin) is a sum of Gaussian height bumps that
    perturb the normals. Painted details: eyes (white, iris, pupil, catch light,
    upper lid with lash line, lower lid crease), eyebrows, nostrils, lips, cheek
    blush, a hair cap with strand texture and a fringe of thin stray strands, and
    a subtle printed texture (grain + faint layer lines).

    Parameters
    ----------
    size_hw : (int, int)
        Output image size ``(H, W)``.
    center : (float, float)
        Head centre ``(x, y)`` in pixels.
    radius_xy : (float, float)
        Head half-width and half-height in pixels.
    rng : numpy.random.Generator
        Random state (texture, hair strands, default colours).
    skin_rgb : (float, float, float), optional
        Base skin/resin colour.
    light_dir : (float, float, float), optional
        Direction towards the key light ``(x right, y down, z towards camera)``.
    tilt_deg : float, optional
        In-plane head tilt, positive = clockwise on screen.
    blink : float, optional
        0 = eyes open, 1 = closed.
    gaze : (float, float), optional
        Iris offset in ``[-1, 1]`` (x, y).
    mouth_open : float, optional
        0 = closed, 1 = wide open.
    smile : float, optional
        Mouth corner lift, roughly ``[-1, 1]``.
    brow_raise : float, optional
        Eyebrow lift, roughly ``[-1, 1]``.
    hair_rgb, iris_rgb : (float, float, float), optional
        Colours; random when ``None``.
    hair : bool, optional
        Draw the hair cap and fringe.
    texture : float, optional
        Scale of the printed texture (0 disables).
    seam_v : float, optional
        Normalised height (``v``) reported as ``landmarks["seam_center"]``; the
        default sits below the eyes, across the nose.

    Returns
    -------
    PuppetHead
        ``(rgb, alpha, face_mask, landmarks)``; see :class:`PuppetHead`.
    """
    H, W = int(size_hw[0]), int(size_hw[1])
    cx, cy = float(center[0]), float(center[1])
    rx, ry = float(radius_xy[0]), float(radius_xy[1])
    if hair_rgb is None:
        base = np.array([0.30, 0.17, 0.09]) * rng.uniform(0.6, 1.4)
        hair_rgb = tuple(float(c) for c in np.clip(base, 0.02, 0.9))
    if iris_rgb is None:
        choices = np.array([[0.35, 0.22, 0.12], [0.22, 0.38, 0.55], [0.28, 0.42, 0.25]])
        iris_rgb = tuple(float(c) for c in choices[rng.integers(len(choices))])

    rgb = np.zeros((H, W, 3), _F)
    alpha = np.zeros((H, W), _F)
    face = np.zeros((H, W), _F)

    ta = math.radians(tilt_deg)
    ca, sa = math.cos(ta), math.sin(ta)
    uv_to_px = np.array([[ca * rx, -sa * ry, cx], [sa * rx, ca * ry, cy]], dtype=np.float64)

    def to_px(u: float, v: float) -> tuple[float, float]:
        p = uv_to_px @ np.array([u, v, 1.0])
        return float(p[0]), float(p[1])

    seam_half = rx * math.sqrt(max(1.0 - seam_v**2, 0.05)) * (1.0 - 0.18 * max(seam_v, 0) ** 2)
    landmarks: dict = {
        "uv_to_px": uv_to_px,
        "eye_left": to_px(-0.36, -0.1),
        "eye_right": to_px(0.36, -0.1),
        "nose_tip": to_px(0.0, 0.3),
        "mouth": to_px(0.0, 0.56),
        "seam_center": to_px(0.0, seam_v),
        "seam_half_width": float(seam_half),
        "tilt_deg": float(tilt_deg),
    }

    reach = 1.35 * max(rx, ry) + 4
    x0, x1 = max(0, int(cx - reach)), min(W, int(cx + reach) + 1)
    y0, y1 = max(0, int(cy - reach)), min(H, int(cy + reach) + 1)
    if x1 <= x0 or y1 <= y0:
        return PuppetHead(rgb, alpha, face, landmarks)
    hh, ww = y1 - y0, x1 - x0
    gx, gy = np.meshgrid(np.arange(x0, x1, dtype=_F), np.arange(y0, y1, dtype=_F))
    dx, dy = gx - _F(cx), gy - _F(cy)
    u = (ca * dx + sa * dy) / _F(rx)
    v = (-sa * dx + ca * dy) / _F(ry)
    rmin = min(rx, ry)

    # --- silhouette: ellipse with tapered jaw
    taper = 1.0 - 0.18 * np.clip(v, 0.0, 1.0) ** 2
    uu = u / taper
    r2 = uu * uu + v * v
    r = np.sqrt(r2)
    head_a = np.clip((1.0 - r) * rmin + 0.5, 0.0, 1.0)

    # --- relief height field (bumps) -> normal perturbation
    bumps = [
        (0.0, 0.14, 0.07, 0.2, 0.05),  # nose bridge/ridge
        (0.0, 0.29, 0.08, 0.07, 0.04),  # nose tip
        (-0.36, -0.1, 0.16, 0.1, -0.035),  # eye sockets
        (0.36, -0.1, 0.16, 0.1, -0.035),
        (-0.34, -0.31, 0.22, 0.07, 0.02),  # brow ridge
        (0.34, -0.31, 0.22, 0.07, 0.02),
        (-0.45, 0.27, 0.2, 0.18, 0.03),  # cheeks
        (0.45, 0.27, 0.2, 0.18, 0.03),
        (0.0, 0.82, 0.18, 0.09, 0.025),  # chin
        (0.0, 0.64, 0.22, 0.05, 0.012),  # lower lip
        (0.0, 0.44, 0.05, 0.06, -0.012),  # philtrum
    ]
    hx = np.zeros_like(u)
    hy = np.zeros_like(u)
    for cu_, cv_, su_, sv_, amp in bumps:
        _, gu, gv = _gauss(u, v, cu_, cv_, su_, sv_, amp)
        hx += gu
        hy += gv
    # Eyeballs bulge inside their openings.
    for sgn in (-1.0, 1.0):
        p = (u - sgn * 0.36) / 0.17
        q = (v + 0.1) / 0.1
        inside = np.clip(1.0 - p * p - q * q, 0.0, 1.0)
        hx += -0.04 * p * inside / 0.17
        hy += -0.04 * q * inside / 0.1

    nz = np.sqrt(np.clip(1.0 - r2, 0.0, 1.0))
    nx = uu - 1.6 * hx
    ny = v * _F(rx / ry) - 1.6 * hy
    nn = np.sqrt(nx * nx + ny * ny + nz * nz) + 1e-6
    nx, ny, nzz = nx / nn, ny / nn, nz / nn
    # Rotate the normal's in-plane component back to screen orientation.
    snx = ca * nx - sa * ny
    sny = sa * nx + ca * ny
    L = np.asarray(light_dir, np.float64)
    L = L / np.linalg.norm(L)
    ndl = snx * L[0] + sny * L[1] + nzz * L[2]
    key = np.clip((ndl + 0.2) / 1.2, 0.0, 1.0) ** 1.2
    fill = np.clip(-0.6 * snx + 0.1 * sny + 0.75 * nzz, 0.0, 1.0)
    hv = np.array([L[0], L[1], L[2] + 1.0])
    hv /= np.linalg.norm(hv)
    spec = np.clip(snx * hv[0] + sny * hv[1] + nzz * hv[2], 0.0, 1.0) ** 30
    ao = 0.72 + 0.28 * np.sqrt(np.clip(nz, 0.0, 1.0))

    # --- base albedo with blush and printed texture
    skin = np.asarray(skin_rgb, _F)
    alb = np.broadcast_to(skin, (hh, ww, 3)).copy()
    blush = np.zeros_like(u)
    for sgn in (-1.0, 1.0):
        blush += _gauss(u, v, sgn * 0.5, 0.3, 0.17, 0.13, 1.0)[0]
    alb = alb * (1.0 - 0.22 * blush[..., None]) + 0.22 * blush[..., None] * np.array(
        [0.9, 0.45, 0.45], _F
    )
    if texture > 0:
        grain = _value_noise(rng, (hh, ww), max(rmin * 0.25, 4.0)) * 0.018
        grain += _value_noise(rng, (hh, ww), 3.0) * 0.004
        layers = 0.0025 * np.sin(2.0 * math.pi * v * _F(ry) / 3.1)
        alb = alb * (1.0 + texture * (grain + layers))[..., None]

    # --- painted features (albedo edits), all anti-aliased via distances in px
    paint = alb
    # Eyes
    lid = 0.18 + 0.82 * float(np.clip(blink, 0.0, 1.0))
    iris_c = np.asarray(iris_rgb, _F)
    for sgn in (-1.0, 1.0):
        ecu, ecv, eru, erv = sgn * 0.36, -0.1, 0.16, 0.095
        p = (u - ecu) / eru
        q = (v - ecv) / erv
        er = np.sqrt(p * p + q * q)
        eye_a = np.clip((1.0 - er) * erv * ry + 0.5, 0.0, 1.0)
        ball = 0.8 + 0.2 * np.sqrt(np.clip(1.0 - er * er, 0.0, 1.0))
        white = np.array([0.94, 0.92, 0.87], _F) * ball[..., None]
        # iris / pupil in pixels from the (gaze-shifted) iris centre
        icu = ecu + 0.35 * eru * float(gaze[0])
        icv = ecv + 0.25 * erv * float(gaze[1]) + 0.05 * erv
        di = np.hypot((u - icu) * rx, (v - icv) * ry)
        ri = 0.85 * erv * ry
        iris_a = np.clip(ri - di + 0.5, 0.0, 1.0)
        rim = np.clip(di / ri, 0.0, 1.0)
        ang = np.arctan2(v - icv, u - icu)
        streak = 1.0 + 0.12 * np.sin(ang * 23.0 + sgn)
        iris_col = iris_c * (1.1 - 0.45 * rim**3)[..., None] * streak[..., None]
        pupil_a = np.clip(0.45 * ri - di + 0.5, 0.0, 1.0)
        col = white * (1 - iris_a[..., None]) + iris_col * iris_a[..., None]
        col = col * (1 - pupil_a[..., None]) + np.array([0.03, 0.02, 0.02], _F) * pupil_a[..., None]
        cl_u, cl_v = icu - 0.3 * ri / rx, icv - 0.35 * ri / ry
        dcl = np.hypot((u - cl_u) * rx, (v - cl_v) * ry)
        catch = np.clip(0.2 * ri - dcl + 0.5, 0.0, 1.0) * iris_a
        col = col + catch[..., None] * (1.0 - col) * 0.9
        # upper lid: covers q < q_edge
        semi = np.sqrt(np.clip(1.0 - p * p, 0.0, 1.0))
        q_edge = (2.0 * lid - 1.0) * semi
        lid_d = (q - q_edge) * erv * ry  # px below the lid edge
        lid_a = np.clip(0.5 - lid_d, 0.0, 1.0)
        lid_shadow = np.exp(-np.maximum(lid_d, 0.0) / (0.25 * erv * ry)) * 0.35
        col = col * (1.0 - lid_shadow[..., None])
        lid_col = alb * 0.93
        col = col * (1 - lid_a[..., None]) + lid_col * lid_a[..., None]
        paint = paint * (1 - eye_a[..., None]) + col * eye_a[..., None]
        # lash line along the lid edge (slightly beyond the eye corners)
        wing = np.clip(1.15 - np.abs(p), 0.0, 1.0)
        lash = np.exp(-0.5 * (lid_d / max(0.06 * erv * ry, 0.6)) ** 2) * wing
        paint = paint * (1.0 - 0.8 * lash[..., None])
        # lower lid crease
        crease_d = (q - 1.15 * semi) * erv * ry
        crease = 0.18 * np.exp(-0.5 * (crease_d / 1.0) ** 2) * np.clip(1.0 - np.abs(p), 0, 1)
        paint = paint * (1.0 - crease[..., None])

    # Eyebrows (polyline distance, tapered)
    hair_c = np.asarray(hair_rgb, _F)
    for sgn in (-1.0, 1.0):
        s = np.linspace(0.0, 1.0, 16)
        bu = sgn * (0.16 + 0.44 * s)
        bv = -0.28 - 0.06 * brow_raise - 0.07 * np.sin(math.pi * (0.3 + 0.7 * s)) + 0.02 * s
        bpts = np.array([to_px(a, b) for a, b in zip(bu, bv, strict=True)])
        bd, _, bt = _local_polyline_distance(bpts, x0, y0, ww, hh, 0.08 * ry + 3)
        thick = (0.055 * ry) * (1.0 - 0.6 * bt)
        brow_a = np.clip(thick - bd + 0.5, 0.0, 1.0) * 0.9
        paint = paint * (1 - brow_a[..., None]) + hair_c * 0.9 * brow_a[..., None]

    # Nostrils
    for sgn in (-1.0, 1.0):
        g = _gauss(u, v, sgn * 0.07, 0.35, 0.022, 0.013, 1.0)[0]
        paint = paint * (1.0 - 0.4 * g[..., None])

    # Mouth: lips around a curve, optional opening
    s = np.linspace(-1.0, 1.0, 24)
    mu = 0.27 * s
    mv = 0.57 - 0.05 * smile * s**2 + 0.02 * smile
    mpts = np.array([to_px(a, b) for a, b in zip(mu, mv, strict=True)])
    md, mside, mt = _local_polyline_distance(mpts, x0, y0, ww, hh, 0.2 * ry + 3)
    # mside: +1 below the mouth line (lower lip side)
    prof = np.clip(np.sin(math.pi * np.clip(mt, 0.0, 1.0)), 0.0, 1.0)
    open_half = 0.06 * ry * float(np.clip(mouth_open, 0.0, 1.0)) * prof
    msd = mside * md
    up_th = 0.045 * ry * prof**0.7
    lo_th = 0.06 * ry * prof**0.7
    upper = np.clip(0.5 - (-msd - open_half - up_th), 0.0, 1.0) * np.clip(
        0.5 + (-msd - open_half), 0.0, 1.0
    )
    lower_l = np.clip(0.5 - (msd - open_half - lo_th), 0.0, 1.0) * np.clip(
        0.5 + (msd - open_half), 0.0, 1.0
    )
    lip_col = alb * np.array([0.88, 0.6, 0.6], _F)
    lip_a = np.clip(upper * 0.85 + lower_l * 0.75, 0.0, 1.0)
    paint = paint * (1 - lip_a[..., None]) + lip_col * lip_a[..., None]
    inner = np.clip(open_half - md + 0.5, 0.0, 1.0) * (open_half > 0.3)
    mouth_in = np.array([0.2, 0.05, 0.06], _F)
    paint = paint * (1 - inner[..., None]) + mouth_in * inner[..., None]
    line = 0.7 * np.exp(-0.5 * ((md - open_half) / 0.7) ** 2) * np.clip(prof * 3.0, 0.0, 1.0)
    paint = paint * (1.0 - line[..., None])

    # --- lighting
    shade = 0.24 + 0.7 * key[..., None] * np.array([1.0, 0.96, 0.9], _F)
    shade = shade + 0.16 * fill[..., None] * np.array([0.95, 0.95, 1.0], _F)
    bounce = np.clip(0.8 * sny + 0.4 * nzz, 0.0, 1.0)  # warm light bounced from below
    shade = shade + 0.14 * bounce[..., None] * np.array([1.0, 0.78, 0.55], _F)
    # warm subsurface tint in the half-shadow
    term = np.exp(-(((ndl - 0.05) / 0.25) ** 2))
    shade = shade + 0.05 * term[..., None] * np.array([1.0, 0.3, 0.2], _F)
    col = paint * shade * ao[..., None] + (0.16 * spec)[..., None]

    face_a = head_a.copy()

    # --- hair cap + fringe
    hair_a = np.zeros_like(u)
    if hair:
        hu = u / 1.07
        hv_ = (v + 0.03) / 1.06
        hr = np.sqrt(hu * hu + hv_ * hv_)
        cap = np.clip((1.0 - hr) * rmin * 1.06 + 0.5, 0.0, 1.0)
        n_sc = float(rng.uniform(6.0, 9.0))
        ph = float(rng.uniform(0.0, 2 * math.pi))
        scallop = np.abs(np.sin(n_sc * u + ph))
        hairline = -0.56 + 0.2 * u * u + 0.12 * scallop**0.6
        # hair also hangs down at the sides (over the temples, behind the cheeks)
        side_drop = 0.55 * np.clip((np.abs(u) - 0.75) / 0.3, 0.0, 1.0)
        hairline = hairline + side_drop
        above = np.clip((hairline - v) * ry + 0.5, 0.0, 1.0)
        hair_a = cap * above
        # strands radiating from the crown
        ang = np.arctan2(v + 1.1, u - 0.12)
        strands = _smooth_noise_1d(rng, 140, 2048)
        ai = np.clip(((ang + math.pi) / (2 * math.pi) * 2047).astype(np.int32), 0, 2047)
        st = strands[ai]
        hn = np.sqrt(np.clip(1.0 - hr * hr, 0.0, 1.0))
        hnx, hny = hu / (hr + 1e-6) * (1 - hn), hv_ / (hr + 1e-6) * (1 - hn)
        hndl = (ca * hnx - sa * hny) * L[0] + (sa * hnx + ca * hny) * L[1] + hn * L[2]
        hkey = np.clip((hndl + 0.3) / 1.3, 0.0, 1.0)
        hcol = hair_c * (0.35 + 0.9 * hkey)[..., None] * (1.0 + 0.25 * st)[..., None]
        sheen = 0.12 * np.exp(-(((hndl - 0.75) / 0.12) ** 2)) * (0.5 + 0.5 * st)
        hcol = hcol + sheen[..., None]
        # stray thin strands over the forehead (natural thin lines)
        layer = np.zeros((hh, ww), np.uint8)
        n_str = int(rng.integers(10, 18))
        for _ in range(n_str):
            su0 = float(rng.uniform(-0.7, 0.7))
            sv0 = -0.58 + 0.2 * su0 * su0
            length = float(rng.uniform(0.12, 0.3))
            bend = float(rng.uniform(-0.12, 0.12))
            tt = np.linspace(0.0, 1.0, 12)
            pu = su0 + bend * tt**2 + 0.05 * su0 * tt
            pv = sv0 + length * tt
            pp = np.array([to_px(a, b) for a, b in zip(pu, pv, strict=True)])
            pp = np.round((pp - [x0, y0]) * 16).astype(np.int32)
            cv2.polylines(layer, [pp], False, int(rng.integers(120, 230)), 1, cv2.LINE_AA, 4)
        stray = layer.astype(_F) / 255.0 * head_a * (1.0 - hair_a)
        dark_strand = hair_c * 0.55
        col = col * (1 - stray[..., None]) + dark_strand * stray[..., None]
        # hair shadow on the forehead just below the hairline
        hs = np.exp(-np.maximum((v - hairline) * ry, 0.0) / (0.05 * ry)) * (1 - hair_a)
        col = col * (1.0 - 0.3 * hs * head_a)[..., None]
        col = col * (1 - hair_a[..., None]) + hcol * hair_a[..., None]
        face_a = head_a * (1.0 - hair_a) * (1.0 - stray)

    a_tot = np.clip(np.maximum(head_a, hair_a), 0.0, 1.0)
    rgb[y0:y1, x0:x1] = np.clip(col, 0.0, 1.0)
    alpha[y0:y1, x0:x1] = a_tot
    face[y0:y1, x0:x1] = np.clip(face_a, 0.0, 1.0)
    return PuppetHead(rgb, alpha, face, landmarks)
