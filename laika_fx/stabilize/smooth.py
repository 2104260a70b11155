"""Smooth mode: keep an intended camera move, remove only the bumps and jitter.

The camera path is described by where the reference frame's four corners land in each
frame (``inverse(matrix)`` applied to the corners): eight numbers per frame that mean
the same for every motion model. Each number is smoothed over time by a Gaussian-
weighted *local linear* fit, which reproduces a linear motion-control move exactly
(also at the ends of the shot, where a plain Gaussian would pull the path back), and
the correction of frame ``n`` maps it from its real camera onto the smoothed one.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .motion import apply_matrix, project_to_motion

__all__ = ["smooth_path", "smoothed_corrections"]


def smooth_path(path: np.ndarray, *, sigma: float) -> np.ndarray:
    """Gaussian-weighted local linear regression of each column of ``path`` over time.

    Parameters
    ----------
    path : (N, D) float, one row per frame.
    sigma : width of the Gaussian in frames (0 returns the path unchanged).

    Returns
    -------
    smoothed : (N, D) float64.
    """
    path = np.asarray(path, float)
    n = len(path)
    if sigma <= 0 or n < 3:
        return path.copy()
    t = np.arange(n, dtype=float)
    out = np.empty_like(path)
    radius = int(np.ceil(3 * sigma))
    for i in range(n):
        lo, hi = max(0, i - radius), min(n, i + radius + 1)
        dt = t[lo:hi] - i
        wgt = np.exp(-0.5 * (dt / sigma) ** 2)
        design = np.stack([np.ones_like(dt), dt], axis=1)
        a = design.T @ (design * wgt[:, None])
        b = design.T @ (path[lo:hi] * wgt[:, None])
        coef = np.linalg.lstsq(a, b, rcond=None)[0]
        out[i] = coef[0]
    return out


def smoothed_corrections(
    matrices: Sequence[np.ndarray], *, size: tuple[int, int], sigma: float, motion: str
) -> list[np.ndarray]:
    """Per-frame corrections that follow the smoothed camera path.

    Parameters
    ----------
    matrices : (3, 3) transforms, frame -> reference, in frame order.
    size : (width, height) of the frames.
    sigma : smoothing width in frames.
    motion : motion model of the result (``translation``, ``similarity``, ``homography``).

    Returns
    -------
    corrections : (3, 3) transforms, frame -> smoothed camera of that frame.
    """
    w, h = size
    corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float64)
    cams = [np.linalg.inv(np.asarray(m, float)) for m in matrices]  # reference -> frame
    path = np.stack([apply_matrix(c, corners).ravel() for c in cams])
    smooth = smooth_path(path, sigma=sigma)
    out = []
    for m, row in zip(matrices, smooth, strict=True):
        cam_smooth = cv2.getPerspectiveTransform(
            corners.astype(np.float32), row.reshape(4, 2).astype(np.float32)
        ).astype(np.float64)
        cam_smooth = project_to_motion(cam_smooth, motion, size=size)
        corr = cam_smooth @ np.asarray(m, float)
        out.append(corr / corr[2, 2])
    return out
