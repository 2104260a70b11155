"""Where a frame moves against the set: the shot-level evidence the camera solve gives.

The solve of a frame against the reference keeps a *static set* (the pixels that agree
once the camera is taken out) and rejects what moved: the puppet, whose pose, face and
seam change from frame to frame, while set lines stay put. :func:`moving_grid` turns the
last static set into a coarse grid over the frame (cells of :data:`CELL` proxy pixels, in
the frame's own coordinates), the stabilize sidecar keeps it per frame (``moving``,
packed bits), and the seam plugin takes a line on moving cells as a line on the puppet
(``laika_fx.seam_removal``: ``motion`` parameter).
"""

from __future__ import annotations

import base64

import cv2
import numpy as np

from .motion import is_affine
from .proxies import warp_to_reference
from .static_set import static_mask

__all__ = ["CELL", "moving_grid", "pack_grid", "unpack_grid"]

#: cell size of the grid, in pixels of the solve's finest proxy (~960 px wide): 16 px
#: there is ~32 px of a 1080p frame
CELL = 16
#: a cell is moving when at least this share of its pixels moved
MIN_SHARE = 0.15
#: misalignment (proxy pixels) a still part may show and not count as moved
SLACK = 1.0
#: margin (proxy pixels) kept off the part of the reference the frame does not cover
EDGE = 8


def moving_grid(reference: np.ndarray, proxy: np.ndarray, matrix: np.ndarray, gradient: np.ndarray) -> np.ndarray:
    """Cells of the moving frame whose content moved against the reference.

    The static set of :func:`~.static_set.static_mask` with a misalignment allowance of
    :data:`SLACK` px: the solve's own static set (no allowance) also rejects set texture
    that sub-pixel interpolation and noise leave a residual on (~27 % of a still shot
    of photographs), this one what really moved (~2 % there: the frame's edge).

    Parameters
    ----------
    reference : (h, w) float32, the reference proxy at the solve's finest level.
    proxy : (h, w) float32, the moving frame's proxy at that level.
    matrix : (3, 3) moving -> reference in that level's pixels.
    gradient : :func:`~.static_set.reference_gradient` of ``reference``.

    Returns
    -------
    grid : (ceil(h / CELL), ceil(w / CELL)) bool, laid evenly over the moving frame;
        pixels within :data:`EDGE` px of where the frame does not cover the reference never
        count.
    """
    h, w = reference.shape
    warped, valid = warp_to_reference(proxy, matrix, (w, h))
    static = static_mask(reference, warped, valid, slack=SLACK, gradient=gradient)
    # not near the part of the reference the frame does not cover: the residual's blur and
    # the dilation of static_mask spread the uncovered border ~7 px into the covered part
    inner = cv2.erode(valid.astype(np.uint8), np.ones((2 * EDGE + 1, 2 * EDGE + 1), np.uint8))
    moved = ((static == 0) & (inner > 0)).astype(np.uint8)
    flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP  # matrix maps the output (moving) to the input (reference)
    m = np.asarray(matrix, float)
    if is_affine(m):
        back = cv2.warpAffine(moved, m[:2], (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    else:
        back = cv2.warpPerspective(moved, m, (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    gh, gw = -(-h // CELL), -(-w // CELL)  # cells of ~CELL px laid evenly over the frame
    share = cv2.resize(back.astype(np.float32), (gw, gh), interpolation=cv2.INTER_AREA)
    return share >= MIN_SHARE


def pack_grid(grid: np.ndarray) -> dict:
    """``{"grid": [rows, cols], "bits": base64}`` of a bool grid (JSON-ready)."""
    g = np.asarray(grid, bool)
    return {"grid": [int(g.shape[0]), int(g.shape[1])], "bits": base64.b64encode(np.packbits(g.ravel())).decode()}


def unpack_grid(doc: object) -> np.ndarray:
    """The bool grid of :func:`pack_grid`'s document; ValueError if it is malformed."""
    if not isinstance(doc, dict):
        raise ValueError("not a {'grid': [rows, cols], 'bits': ...} object")
    shape = doc.get("grid")
    if not (isinstance(shape, list) and len(shape) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 4096 for v in shape)):  # fmt: skip
        raise ValueError(f"grid is {shape!r}, not [rows, cols]")
    try:
        raw = base64.b64decode(str(doc.get("bits", "")), validate=True)
    except ValueError:
        raise ValueError("bits is not base64") from None
    n = shape[0] * shape[1]
    if len(raw) != -(-n // 8):
        raise ValueError(f"bits hold {len(raw) * 8} cells, the grid {n}")
    return np.unpackbits(np.frombuffer(raw, np.uint8))[:n].reshape(shape).astype(bool)
