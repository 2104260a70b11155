"""Render side of stabilisation: warp frames by the solve and handle the uncovered border.

Border modes:

``crop``
    every frame is cut to the rectangle valid in *all* frames of the shot (no zoom);
    the rectangle is the same for the whole shot, so the output is smaller.
``zoom``
    the largest rectangle of the frame's aspect ratio inside the common valid area
    is scaled up to the full frame size.
``fill`` (default)
    full frame size and scale; pixels the frame does not cover are taken from the
    nearest aligned frames (only the uncovered border strips are warped), then edge
    replication where no neighbour covers them.

Dtype (uint8/uint16/float32) and channels (gray/RGB/RGBA) are kept; alpha is warped
with the same transform as the colour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from .motion import apply_matrix

__all__ = [
    "INTERPOLATIONS",
    "BORDER_MODES",
    "warp_frame",
    "coverage",
    "common_valid_rectangle",
    "zoom_rectangle",
    "crop_matrix",
    "fill_from_neighbours",
    "hole_bands",
]

INTERPOLATIONS = {"bilinear": cv2.INTER_LINEAR, "bicubic": cv2.INTER_CUBIC, "lanczos": cv2.INTER_LANCZOS4}
BORDER_MODES = ("crop", "zoom", "fill")


def _is_affine(matrix: np.ndarray) -> bool:
    """``np.allclose(matrix[2], [0, 0, 1], atol=1e-12)`` (NaN never close) without the array
    machinery: a rendered frame asks ~16 times (its warp, its coverage and its neighbours')."""
    a, b, c = (float(v) for v in matrix[2])
    return abs(a) <= 1e-12 and abs(b) <= 1e-12 and abs(c - 1.0) <= 1e-12 + 1e-05


def warp_frame(
    frame: np.ndarray,
    matrix: np.ndarray,
    *,
    size: tuple[int, int] | None = None,
    interpolation: str = "bilinear",
    border: str = "replicate",
) -> np.ndarray:
    """Warp ``frame`` so that input pixel ``p`` lands at ``matrix @ p``.

    Parameters
    ----------
    frame : (H, W) or (H, W, C) ndarray, uint8/uint16/float32, C in 1..4 (alpha warped too).
    matrix : (3, 3) transform, input pixel coordinates -> output pixel coordinates.
    size : output (width, height); default the input size.
    interpolation : ``bilinear``, ``bicubic`` or ``lanczos``.
    border : ``replicate`` (edge pixels) or ``constant`` (zeros).

    Returns
    -------
    warped : (h, w[, C]) ndarray, same dtype and channels as ``frame``.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {tuple(INTERPOLATIONS)}, got {interpolation!r}")
    h, w = frame.shape[:2]
    size = size or (w, h)
    flags = INTERPOLATIONS[interpolation] | cv2.WARP_INVERSE_MAP
    mode = cv2.BORDER_REPLICATE if border == "replicate" else cv2.BORDER_CONSTANT
    inverse = np.linalg.inv(np.asarray(matrix, float))
    inverse /= inverse[2, 2]
    src = frame
    squeeze = False
    if frame.ndim == 3 and frame.shape[2] == 1:
        src, squeeze = frame[:, :, 0], True
    if _is_affine(inverse):
        out = cv2.warpAffine(src, inverse[:2], size, flags=flags, borderMode=mode)
    else:
        out = cv2.warpPerspective(src, inverse, size, flags=flags, borderMode=mode)
    if squeeze:
        out = out[:, :, None]
    return out


def _shifted(matrix: np.ndarray, region: tuple[int, int, int, int] | None) -> np.ndarray:
    """``matrix`` followed by a shift so that output pixel ``(x, y)`` of ``region`` becomes ``(0, 0)``."""
    if region is None:
        return np.asarray(matrix, float)
    x, y = region[:2]
    return np.array([[1.0, 0.0, -x], [0.0, 1.0, -y], [0.0, 0.0, 1.0]]) @ np.asarray(matrix, float)


_INNER: dict[tuple[int, int], np.ndarray] = {}


def _inner(size: tuple[int, int]) -> np.ndarray:
    """(h, w) uint8: 1 at least one pixel inside a ``size`` = (w, h) frame, 0 on its edge;
    made once per size and read-only (a rendered frame asks ~10 times: its coverage and
    its neighbours' bands, 2 MB each at 1080p)."""
    inner = _INNER.get(size)
    if inner is None:
        w, h = size
        inner = np.zeros((h, w), np.uint8)
        inner[1:-1, 1:-1] = 1
        inner.flags.writeable = False
        if len(_INNER) > 8:  # frames of many sizes (the app): start again
            _INNER.clear()
        _INNER[size] = inner
    return inner


def coverage(
    matrix: np.ndarray,
    input_size: tuple[int, int],
    output_size: tuple[int, int],
    *,
    region: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Output pixels whose source lies inside the input frame: (h, w) bool.

    Conservative: a pixel counts as covered when its source position, rounded to the
    nearest pixel, is at least one pixel inside the frame, so its source lies within
    ``[0.5, W-1.5] x [0.5, H-1.5]`` where interpolation needs no border value.
    ``region`` = (x, y, w, h) computes only that part of the output.
    """
    w, h = input_size
    inner = _inner((int(w), int(h)))
    inverse = np.linalg.inv(_shifted(matrix, region))
    inverse /= inverse[2, 2]
    size = output_size if region is None else tuple(region[2:])
    flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    if _is_affine(inverse):
        out = cv2.warpAffine(inner, inverse[:2], size, flags=flags, borderValue=0)
    else:
        out = cv2.warpPerspective(inner, inverse, size, flags=flags, borderValue=0)
    return out > 0


def hole_bands(matrix: np.ndarray, size: tuple[int, int], holes: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Rectangles (x, y, w, h) along the frame edges that contain every hole pixel.

    The covered part of a warped frame is a convex quadrilateral; the axis-aligned
    rectangle between its corners' innermost coordinates (less a pixel) lies inside it,
    so the four bands around that rectangle hold all the holes. If the check on
    ``holes`` disagrees (a wild perspective), the whole frame is one band.
    """
    w, h = size
    quad = apply_matrix(np.asarray(matrix, float), np.array([[1, 1], [w - 2, 1], [w - 2, h - 2], [1, h - 2]], float))
    x0 = int(np.clip(np.ceil(max(quad[0, 0], quad[3, 0])) + 1, 0, w))
    x1 = int(np.clip(np.floor(min(quad[1, 0], quad[2, 0])), x0, w))
    y0 = int(np.clip(np.ceil(max(quad[0, 1], quad[1, 1])) + 1, 0, h))
    y1 = int(np.clip(np.floor(min(quad[2, 1], quad[3, 1])), y0, h))
    if x1 - x0 < 2 or y1 - y0 < 2 or holes[y0:y1, x0:x1].any():
        return [(0, 0, w, h)] if holes.any() else []
    bands = [(0, 0, w, y0), (0, y1, w, h - y1), (0, y0, x0, y1 - y0), (x1, y0, w - x1, y1 - y0)]
    return [b for b in bands if b[2] > 0 and b[3] > 0 and holes[b[1] : b[1] + b[3], b[0] : b[0] + b[2]].any()]


def _clip_polygon(polygon: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman: part of convex ``polygon`` inside convex counter-clockwise ``quad``."""
    out = polygon
    n = len(quad)
    for i in range(n):
        a, b = quad[i], quad[(i + 1) % n]
        edge = b - a

        def inside(p, a=a, edge=edge):
            return edge[0] * (p[1] - a[1]) - edge[1] * (p[0] - a[0]) >= 0

        src, out = out, []
        if len(src) == 0:
            break
        for j in range(len(src)):
            cur, prev = src[j], src[j - 1]
            if inside(cur):
                if not inside(prev):
                    out.append(_intersect(prev, cur, a, b))
                out.append(cur)
            elif inside(prev):
                out.append(_intersect(prev, cur, a, b))
        out = np.array(out) if out else np.zeros((0, 2))
    return np.asarray(out, float)


def _intersect(p1, p2, a, b):
    d1, d2 = p2 - p1, b - a
    den = d1[0] * d2[1] - d1[1] * d2[0]
    t = ((a[0] - p1[0]) * d2[1] - (a[1] - p1[1]) * d2[0]) / den
    return p1 + t * d1


def _ccw(quad: np.ndarray) -> np.ndarray:
    area = 0.5 * np.sum(quad[:, 0] * np.roll(quad[:, 1], -1) - np.roll(quad[:, 0], -1) * quad[:, 1])
    return quad if area > 0 else quad[::-1]


def _valid_polygon(matrices: Sequence[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    w, h = size
    # one pixel inside the frame on every side: the margin :func:`coverage` also keeps
    frame_quad = np.array([[1, 1], [w - 2, 1], [w - 2, h - 2], [1, h - 2]], float)
    polygon = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], float)
    for m in matrices:
        polygon = _clip_polygon(polygon, _ccw(apply_matrix(np.asarray(m, float), frame_quad)))
        if len(polygon) < 3:
            raise ValueError("the frames of this shot share no common valid area")
    return polygon


def _inside_convex(polygon: np.ndarray, pts: np.ndarray) -> np.ndarray:
    poly = _ccw(polygon)
    ok = np.ones(len(pts), bool)
    for i in range(len(poly)):
        a, b = poly[i], poly[(i + 1) % len(poly)]
        e = b - a
        ok &= e[0] * (pts[:, 1] - a[1]) - e[1] * (pts[:, 0] - a[0]) >= -1e-9
    return ok


def common_valid_rectangle(matrices: Sequence[np.ndarray], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Largest integer axis-aligned rectangle valid in every warped frame.

    Parameters
    ----------
    matrices : (3, 3) transforms, input -> output, one per frame.
    size : (width, height) of the frames.

    Returns
    -------
    rect : (x, y, width, height) in output pixels; the pixel centres ``x..x+width-1``,
        ``y..y+height-1`` are covered by every frame.
    """
    polygon = _valid_polygon(matrices, size)
    w, h = size
    xs = np.arange(int(np.ceil(polygon[:, 0].min())), int(np.floor(polygon[:, 0].max())) + 1)
    ys = np.arange(int(np.ceil(polygon[:, 1].min())), int(np.floor(polygon[:, 1].max())) + 1)
    # a column x is valid between the polygon's lower and upper boundary at x (convex)
    lo = np.full(len(xs), np.inf)
    hi = np.full(len(xs), -np.inf)
    grid_y = ys.astype(float)
    for i, x in enumerate(xs):
        col = np.stack([np.full(len(grid_y), float(x)), grid_y], axis=1)
        ok = _inside_convex(polygon, col)
        if ok.any():
            lo[i], hi[i] = grid_y[ok].min(), grid_y[ok].max()
    best = (0, 0, 0, 0)
    best_area = -1
    step = max(1, len(xs) // 160)
    cand = np.arange(0, len(xs), step)
    for i in cand:
        if not np.isfinite(lo[i]):
            continue
        js = cand[cand >= i]
        # convexity: the rectangle's y range is limited by its two end columns
        y0 = np.maximum(lo[i], lo[js])
        y1 = np.minimum(hi[i], hi[js])
        area = (xs[js] - xs[i] + 1) * np.maximum(y1 - y0 + 1, 0)
        k = int(np.argmax(area))
        if area[k] > best_area:
            best_area = area[k]
            best = (int(xs[i]), int(y0[k]), int(xs[js[k]] - xs[i] + 1), int(y1[k] - y0[k] + 1))
    x, y, rw, rh = best
    # refine the end columns to single-pixel precision around the coarse optimum
    if step > 1:
        i0 = int(np.searchsorted(xs, x))
        i1 = i0 + rw - 1
        best_area = rw * rh
        for a in range(max(0, i0 - step), min(len(xs), i0 + step + 1)):
            for b in range(max(a, i1 - step), min(len(xs), i1 + step + 1)):
                y0 = max(lo[a], lo[b])
                y1 = min(hi[a], hi[b])
                area = (b - a + 1) * max(y1 - y0 + 1, 0)
                if area > best_area:
                    best_area = area
                    best = (int(xs[a]), int(y0), int(b - a + 1), int(y1 - y0 + 1))
    x, y, rw, rh = best
    x, y = max(0, x), max(0, y)
    rw, rh = min(rw, w - x), min(rh, h - y)
    if rw < 1 or rh < 1:
        raise ValueError("the frames of this shot share no common valid area")
    return x, y, rw, rh


def zoom_rectangle(rect: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[float, float, float, float]:
    """Largest rectangle of the frame's aspect ratio centred in ``rect``: (x, y, w, h), float."""
    x, y, rw, rh = rect
    w, h = size
    aspect = w / h
    zw = min(rw - 1, (rh - 1) * aspect)
    zh = zw / aspect
    cx, cy = x + (rw - 1) / 2, y + (rh - 1) / 2
    return cx - zw / 2, cy - zh / 2, zw, zh


def crop_matrix(rect: tuple[float, float, float, float], size: tuple[int, int], *, zoom: bool) -> np.ndarray:
    """(3, 3) map from stabilised full-frame coordinates to the output frame.

    For ``zoom`` the rectangle's pixel-centre span maps onto ``0..W-1`` x ``0..H-1``;
    otherwise it is a pure shift by ``(-x, -y)``.
    """
    x, y, rw, rh = rect
    if not zoom:
        return np.array([[1.0, 0.0, -x], [0.0, 1.0, -y], [0.0, 0.0, 1.0]])
    w, h = size
    s = (w - 1) / rw
    return np.array([[s, 0.0, -x * s], [0.0, (h - 1) / rh, -y * (h - 1) / rh], [0.0, 0.0, 1.0]])


def fill_from_neighbours(
    frame: np.ndarray,
    matrix: np.ndarray,
    neighbours: Sequence[tuple[Callable[[], np.ndarray], np.ndarray]],
    *,
    interpolation: str = "bilinear",
) -> np.ndarray:
    """Full-size warp of ``frame`` with the uncovered border filled from other frames.

    Only the border bands that hold holes are computed for the neighbours (coverage and
    warp), so a neighbour costs a strip, not a frame; a neighbour is read only if it
    covers a remaining hole.

    Parameters
    ----------
    frame : (H, W[, C]) ndarray.
    matrix : (3, 3) transform of ``frame`` to the output.
    neighbours : ``(read, matrix)`` pairs in order of preference; ``read()`` returns the
        neighbour's input frame (it is called only while holes remain).
    interpolation : ``bilinear``, ``bicubic`` or ``lanczos``.

    Returns
    -------
    filled : same shape and dtype as ``frame``; holes no neighbour covers are edge-replicated.
    """
    h, w = frame.shape[:2]
    out = warp_frame(frame, matrix, interpolation=interpolation, border="replicate")
    holes = ~coverage(matrix, (w, h), (w, h))
    for band in hole_bands(matrix, (w, h), holes):
        x, y, bw, bh = band
        band_holes = holes[y : y + bh, x : x + bw].copy()
        target = out[y : y + bh, x : x + bw]
        for read, m in neighbours:
            if not band_holes.any():
                break
            cover = coverage(m, (w, h), (w, h), region=band) & band_holes
            if not cover.any():
                continue
            try:
                other = read()
            except Exception:  # an unreadable neighbour only means fewer candidates
                continue
            strip = warp_frame(other, _shifted(m, band), size=(bw, bh), interpolation=interpolation,
                               border="replicate")  # fmt: skip
            target[cover] = strip[cover]
            band_holes &= ~cover
    return out
