"""Carry a mask correction through a shot: the strokes an artist painted on one frame,
moved with the puppet onto the frames before and after it.

A correction is a list of :class:`Stroke` (brush coverage, paint or erase) drawn on one
frame. :func:`track_region` follows the picture around the strokes from that frame to
the next, and the next (pyramidal Lucas-Kanade on corners inside the strokes' rotated
rectangle widened across them, :func:`tracked_area`; checked forwards-backwards, a
similarity transform fitted with RANSAC; phase correlation of the area where too few
corners are found), chaining the frame-to-frame motions into one transform per frame. :func:`carry_strokes` warps the strokes by it and
:func:`apply_strokes` lays them on a frame's mask, as painting them there would have.

Array in, array out: the caller reads the frames (in the order to carry: the frame the
strokes were drawn on first, then away from it) and writes the overrides
(:mod:`laika_fx.overrides`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Stroke", "apply_strokes", "strokes_box", "tracked_area", "track_region", "warp_strokes",
           "carry_strokes"]  # fmt: skip

#: corners with less than this many surviving the forwards-backwards check: the step
#: falls back to phase correlation of the window
MIN_POINTS = 8
#: a phase-correlation peak weaker than this is no match: the track is lost there
MIN_RESPONSE = 0.08


@dataclass(frozen=True)
class Stroke:
    """One brush stroke on a frame.

    Attributes
    ----------
    coverage : (H, W) uint8, how much the brush covered each pixel (255 = fully; a soft
        brush's feather is in between).
    erase : True for an eraser stroke (takes coverage away from the mask).
    """

    coverage: np.ndarray
    erase: bool = False


def apply_strokes(mask: np.ndarray | None, strokes: Sequence[Stroke], *, shape: tuple[int, int] | None = None
                  ) -> np.ndarray:  # fmt: skip
    """``mask`` with ``strokes`` laid on it in order: paint raises each pixel to the
    stroke's coverage (``max``), erase lowers it by the coverage (``mask * (1 - c/255)``).

    Parameters
    ----------
    mask : (H, W) uint8 (255 = seam), or None for an empty mask of ``shape``.
    strokes : strokes of the same size.

    Returns
    -------
    (H, W) uint8, a new array.
    """
    if mask is None:
        if shape is None:
            shape = strokes[0].coverage.shape if strokes else None
        if shape is None:
            raise ValueError("apply_strokes: no mask, no strokes and no shape")
        out = np.zeros(shape, np.uint8)
    else:
        out = np.array(mask, np.uint8, copy=True)
    for s in strokes:
        if s.coverage.shape != out.shape:
            raise ValueError(f"a stroke of {s.coverage.shape} does not fit a mask of {out.shape}")
        if s.erase:
            keep = 255 - s.coverage.astype(np.uint16)
            out = ((out.astype(np.uint16) * keep + 127) // 255).astype(np.uint8)
        else:
            np.maximum(out, s.coverage, out=out)
    return out


def strokes_box(strokes: Sequence[Stroke]) -> tuple[int, int, int, int] | None:
    """``(x, y, w, h)`` around every pixel the strokes touch, or None if they touch none."""
    if not strokes:
        return None
    union = np.zeros(strokes[0].coverage.shape, np.uint8)
    for s in strokes:
        np.maximum(union, s.coverage, out=union)
    if not union.any():
        return None
    return tuple(int(v) for v in cv2.boundingRect((union > 0).astype(np.uint8)))


def _gray8(frame: np.ndarray) -> np.ndarray:
    """An 8-bit grey picture of ``frame`` (uint8, uint16 or float 0..1; grey, RGB or RGBA)."""
    a = np.asarray(frame)
    if a.ndim == 3:
        a = a[:, :, :3].mean(axis=2, dtype=np.float32) if a.shape[2] >= 3 else a[:, :, 0]
    scale = {np.dtype(np.uint8): 1.0, np.dtype(np.uint16): 1 / 257.0}.get(
        np.asarray(frame).dtype, 255.0
    )
    a = np.nan_to_num(a.astype(np.float32)) * scale
    return (np.clip(a, 0.0, 255.0) + 0.5).astype(np.uint8)


def tracked_area(region: np.ndarray, *, margin: float | None = None) -> np.ndarray:
    """The quadrilateral of picture followed to carry ``region``: ``(4, 2)`` float64 corners.

    The region's smallest rotated rectangle, widened by ``margin`` across it; a line-like
    region (at least twice as long as it is wide: a seam stroke) is not lengthened, so a
    stroke drawn across the whole face follows the face, not the set at its two ends; a
    blob-like one is grown by ``margin`` all round. ``margin`` defaults to a third of the
    region's length, 12 to 64 px.
    """
    ys, xs = np.nonzero(region)
    if xs.size == 0:
        raise ValueError("the region to track is empty")
    pts = np.stack([xs, ys], axis=1).astype(np.float32)
    (cx, cy), (w, h), angle = cv2.minAreaRect(pts)
    w, h = w + 1.0, h + 1.0  # pixel centres -> pixel extents
    long_, short = max(w, h), min(w, h)
    if margin is None:
        margin = float(np.clip(long_ / 3.0, 12.0, 64.0))
    grow_along = 0.0 if long_ >= 2.0 * short else margin
    if w >= h:
        w, h = w + 2 * grow_along, h + 2 * margin
    else:
        w, h = w + 2 * margin, h + 2 * grow_along
    return cv2.boxPoints(((cx, cy), (w, h), angle)).astype(np.float64)


def _compose(step: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The 2x3 affine doing ``matrix`` then ``step``."""
    a = np.vstack([step, [0, 0, 1]]) @ np.vstack([matrix, [0, 0, 1]])
    return a[:2]


def _step_motion(prev: np.ndarray, cur: np.ndarray, area: np.ndarray, puppet: np.ndarray | None = None
                 ) -> np.ndarray | None:  # fmt: skip
    """The 2x3 similarity moving the picture inside the quadrilateral ``area`` of ``prev``
    onto ``cur`` (corners inside ``puppet`` too, where it covers a quarter of the area),
    or None."""
    h, w = prev.shape
    x0, y0 = np.floor(area.min(axis=0)).astype(int)
    x1, y1 = np.ceil(area.max(axis=0)).astype(int) + 1
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None  # the area left the frame
    inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(inside, np.round(area - (x0, y0)).astype(np.int32), 255)
    if puppet is not None:
        # corners whose LK window (21 px) stays on the puppet
        on = np.where(puppet[y0:y1, x0:x1] > 0, 255, 0).astype(np.uint8)
        on = cv2.erode(on, np.ones((11, 11), np.uint8), borderType=cv2.BORDER_REPLICATE)
        on_puppet = inside & on
        if np.count_nonzero(on_puppet) >= 0.25 * np.count_nonzero(inside):
            inside = on_puppet  # else the strokes are not on the puppet: the area as it is
    corners = cv2.goodFeaturesToTrack(prev[y0:y1, x0:x1], maxCorners=300, qualityLevel=0.01, minDistance=3,
                                      blockSize=5, mask=inside)  # fmt: skip
    if corners is not None and len(corners) >= MIN_POINTS:
        p0 = (corners.reshape(-1, 2) + (x0, y0)).astype(np.float32)
        lk = {"winSize": (21, 21), "maxLevel": 3,
              "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)}  # fmt: skip
        p1, st1, _ = cv2.calcOpticalFlowPyrLK(prev, cur, p0, None, **lk)
        back, st2, _ = cv2.calcOpticalFlowPyrLK(cur, prev, p1, None, **lk)
        ok = (st1.ravel() == 1) & (st2.ravel() == 1) & (np.linalg.norm(back - p0, axis=1) < 0.5)
        if ok.sum() >= MIN_POINTS:
            m, inliers = cv2.estimateAffinePartial2D(p0[ok], p1[ok], method=cv2.RANSAC,
                                                     ransacReprojThreshold=1.0, maxIters=2000,
                                                     confidence=0.995, refineIters=10)  # fmt: skip
            if m is not None and inliers is not None and inliers.sum() >= MIN_POINTS:
                return m
    # too few corners (a smooth area): the shift of the picture around the area
    a, b = prev[y0:y1, x0:x1].astype(np.float32), cur[y0:y1, x0:x1].astype(np.float32)
    if a.std() < 1.0 or b.std() < 1.0:
        return None
    hann = cv2.createHanningWindow((x1 - x0, y1 - y0), cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(a, b, hann)
    if response < MIN_RESPONSE:
        return None
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])


def track_region(frames: Iterable[np.ndarray], region: np.ndarray, *, margin: float | None = None,
                 puppet: Iterable[np.ndarray | None] | None = None) -> Iterator[np.ndarray | None]:  # fmt: skip
    """Follow the picture around ``region`` of the first frame through the frames after it.

    Parameters
    ----------
    frames : (H, W[, C]) arrays, all one size: the frame ``region`` is on first, then the
        frames to follow it to, in order (forwards or backwards in the shot).
    region : (H, W) array, nonzero where the thing to carry is on the first frame.
    margin : pixels of picture around the region that are tracked with it
        (:func:`tracked_area`).
    puppet : where the artist says the puppet is, one entry per frame of ``frames``:
        (H, W) arrays, nonzero on the puppet (``laika_fx.prompts.region_mask`` of the
        prompt's regions), or None where nothing is said. Where given and covering a
        quarter of the tracked area, only the picture on the puppet is followed (the set
        behind a face's edge moves otherwise).

    Yields
    ------
    For each frame after the first, the 2x3 float64 affine (a similarity: shift, rotation,
    scale) taking first-frame pixels to that frame's, or None once the track is lost (no
    texture to follow, or the area left the frame); after a None, only None.

    Raises
    ------
    ValueError
        If ``region`` is empty or the frames differ in size.
    """
    area = tracked_area(region, margin=margin)
    it = iter(frames)
    bounds = iter(puppet) if puppet is not None else None
    try:
        prev = _gray8(next(it))
    except StopIteration:
        return
    prev_puppet = next(bounds, None) if bounds is not None else None
    if prev.shape != np.shape(region):
        raise ValueError(f"a region of {np.shape(region)} on a frame of {prev.shape}")
    matrix = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    lost = False
    for frame in it:
        if lost:
            yield None
            continue
        cur = _gray8(frame)
        cur_puppet = next(bounds, None) if bounds is not None else None
        if cur.shape != prev.shape:
            raise ValueError(f"frames of different sizes: {prev.shape[::-1]} then {cur.shape[::-1]}")
        if prev_puppet is not None and np.shape(prev_puppet) != prev.shape:
            raise ValueError(f"a puppet region of {np.shape(prev_puppet)} on a frame of {prev.shape}")
        step = _step_motion(prev, cur, area @ matrix[:, :2].T + matrix[:, 2], prev_puppet)
        if step is None:
            lost = True
            yield None
            continue
        matrix = _compose(step, matrix)
        prev, prev_puppet = cur, cur_puppet
        yield matrix.copy()


def warp_strokes(strokes: Sequence[Stroke], matrix: np.ndarray) -> list[Stroke]:
    """``strokes`` moved by the 2x3 affine ``matrix`` (bilinear; a hard stroke stays hard:
    its warped coverage is cut at half)."""
    out = []
    for s in strokes:
        h, w = s.coverage.shape
        moved = cv2.warpAffine(s.coverage, np.asarray(matrix, np.float64), (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)  # fmt: skip
        values = np.unique(s.coverage)
        if len(values) <= 2:  # a hard stroke (0 and one value)
            moved = np.where(moved >= (int(values.max()) + 1) // 2, values.max(), 0).astype(
                np.uint8
            )
        out.append(Stroke(moved, s.erase))
    return out


def carry_strokes(strokes: Sequence[Stroke], frames: Iterable[np.ndarray], *, margin: float | None = None,
                  puppet: Iterable[np.ndarray | None] | None = None) -> Iterator[list[Stroke] | None]:  # fmt: skip
    """The strokes drawn on the first of ``frames``, carried onto each frame after it.

    Yields, for each frame after the first, the warped strokes (lay them on that frame's
    mask with :func:`apply_strokes`), or None where the track is lost (and after).
    ``margin`` and ``puppet`` as in :func:`track_region`.

    Raises
    ------
    ValueError
        If the strokes touch no pixel.
    """
    if strokes_box(strokes) is None:
        raise ValueError("the correction has no painted pixels to carry")
    union = np.zeros(strokes[0].coverage.shape, np.uint8)
    for s in strokes:
        np.maximum(union, s.coverage, out=union)
    for matrix in track_region(frames, union, margin=margin, puppet=puppet):
        yield None if matrix is None else warp_strokes(strokes, matrix)
