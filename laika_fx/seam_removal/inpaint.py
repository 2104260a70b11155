"""Seam inpainting at run time: learned residual over Telea, or classical Telea / NS.

Only the pixels of the mask change. The learned inpainter works on tiles laid over the
mask's pixels (a core with 8 px of context on each side), so its cost grows with the
seam's length, not the frame's area. Tiles are 320 or 128 px wide (per frame, whichever
tiling of its mask costs less: wide flat tiles for a seam running across a face, narrow
ones for a seam that wanders or several lines) and 48, 64, 96, ... 256 px high (each core
just tall enough for one run of mask rows in its band, see ``_tiles``); the network
costs ~200 ns per tile pixel in INT8 here whatever the tile's size. Each tile gets a Telea
fill first (per channel, at 16-bit precision, so 16-bit frames are not put through an
8-bit round trip); the network predicts a correction of that fill. Frames narrower or
lower than a tile get tiles as large as fit (multiples of 8).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ..accelerators.runtime import compile_model, model_path
from .detector import to_unit_rgb

__all__ = ["INPAINTERS", "telea_fill", "Inpainter"]

INPAINTERS = ("learned", "telea", "ns")
TILE_H, TILE_W = 48, 320  # the smallest tile height; the default width
#: px of context around a tile's core on each side. 8 (was 16 until session 17): on the 1080p bench
#: shot's masks 36 % fewer tile pixels; the validation inpainting rows unchanged (gain over Telea
#: 2.13 dB, every source within 0.01 dB) and 32 validation-source scenes at 1080p +0.05 dB in the
#: seam band (docs/benchmarks.md, make bench, "Session 17")
CONTEXT = 8
#: the tile widths a frame's mask is tiled with, the cheaper tiling chosen per frame (a
#: seam running across a face: wide tiles; a wandering seam or several lines: narrow ones,
#: 0.56x the tile pixels of 320-wide tiles on a 1080p shot of real photographs), and their
#: relative cost per tile pixel (a 128-wide tile costs ~1.1x per pixel, measured in INT8)
TILE_WIDTHS = {320: 1.0, 128: 1.1}
#: tile heights: TILE_H (a core of up to 32 rows: a seam running across a band), then 64
#: to MAX_TILE_H in steps of TILE_STEP (each distinct size is one compiled network, at most 16);
#: mask rows less than 2 * CONTEXT apart share a core
MAX_TILE_H, TILE_STEP = 256, 32
#: the height most seams' tiles have (every tile of the 1080p bench shot), compiled when the inpainter is made
FIRST_TILE_H = TILE_H
TELEA_RADIUS = 3


def telea_fill(rgb: np.ndarray, hole: np.ndarray, *, method: str = "telea", radius: int = TELEA_RADIUS) -> np.ndarray:
    """Classical fill of ``hole`` in ``rgb`` ((H, W, 3) float32 in [0, 1]) at 16-bit precision.

    Returns the filled image, float32, same shape; pixels outside the hole are the input
    (up to 16-bit quantisation).
    """
    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    hole8 = (np.asarray(hole) > 0).astype(np.uint8)
    if not hole8.any():
        return rgb.astype(np.float32, copy=True)
    x16 = (np.clip(rgb, 0, 1) * 65535 + 0.5).astype(np.uint16)
    out = np.empty(rgb.shape, np.float32)
    for c in range(rgb.shape[2]):
        out[:, :, c] = cv2.inpaint(x16[:, :, c], hole8, radius, flag).astype(np.float32) / 65535
    return out


def _from_unit(fill: np.ndarray, frame: np.ndarray, scale: float) -> np.ndarray:
    """Convert a unit-range RGB fill back to ``frame``'s dtype and layout (colour only)."""
    if frame.dtype == np.float32:
        vals = fill * np.float32(scale)
    else:
        vals = np.clip(fill * scale + 0.5, 0, scale)
    if frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] < 3):
        vals = vals.mean(axis=-1)
    return vals.astype(frame.dtype)


def _tiles(mask: np.ndarray, width: int = TILE_W, *, max_h: int = MAX_TILE_H) -> list[tuple[int, ...]]:
    """Tiles ``width`` wide covering the mask: ``(y0, x0, th, cy0, cy1, cx0, cx1)`` per tile,
    ``th`` its height.

    The mask's bounding box is cut into vertical bands ``width - 2 * CONTEXT`` wide, the
    first starting at the box's left edge (not on a fixed grid of the frame: a seam
    426 px wide then needs two bands, not three). In each band the rows holding mask
    pixels are split into runs (rows less than ``2 * CONTEXT`` apart stay in one run: a
    gap that short costs less inside one tile than the context a second tile adds), each
    at most ``max_h - 2 * CONTEXT`` rows; each run is one *core* ``[cy0, cy1) x [cx0,
    cx1)`` with a tile around it, ``th`` the run's height plus the context: :data:`TILE_H`
    when that fits, else rounded up to :data:`TILE_STEP`, shifted inwards at the frame's edges so the
    core always lies inside. A tile writes only its core's pixels: every mask pixel is
    written exactly once, always with context around it. The frame must be at least
    ``width`` wide and ``2 * CONTEXT + 8`` high; ``max_h`` is cut to the frame's height
    (a multiple of 8).
    """
    h, w = mask.shape
    max_h = min(max_h, h - h % 8)
    min_h = min(TILE_H, max_h)
    cw, max_core = width - 2 * CONTEXT, max_h - 2 * CONTEXT
    m8 = np.asarray(mask).view(np.uint8) if mask.dtype == bool else (np.asarray(mask) > 0).astype(np.uint8)
    bx, by, bw, bh = cv2.boundingRect(m8)
    out = []
    for cx0 in range(bx, bx + bw, cw):
        cx1 = min(cx0 + cw, w)
        rows = np.flatnonzero(m8[by : by + bh, cx0:cx1].max(axis=1)) + by
        x0 = int(min(max(cx0 - CONTEXT, 0), w - width))
        i = 0
        while i < len(rows):
            cy0, j = int(rows[i]), i
            while j + 1 < len(rows) and rows[j + 1] - rows[j] <= 2 * CONTEXT and rows[j + 1] < cy0 + max_core:
                j += 1
            cy1 = int(rows[j]) + 1
            need = cy1 - cy0 + 2 * CONTEXT
            th = min_h if need <= TILE_H else min(-(-need // TILE_STEP) * TILE_STEP, max_h)
            # centre the core in the tile (context above and below alike), keeping the core
            # inside the tile and the tile inside the frame
            y0 = (cy0 + cy1 - th) // 2
            y0 = min(max(y0, cy1 - th, 0), cy0, h - th)
            out.append((int(y0), x0, int(th), cy0, cy1, cx0, cx1))
            i = j + 1
    return out


def _plan(hole: np.ndarray) -> tuple[int, list[tuple[int, ...]]] | None:
    """The tile width and tiles (:func:`_tiles`) of the cheapest tiling of ``hole`` among
    :data:`TILE_WIDTHS` (the first on a tie: the widths' order decides, so the same mask
    always gets the same tiles); None when the frame is smaller than the smallest tile."""
    h, w = hole.shape
    if h - h % 8 < 2 * CONTEXT + 8:
        return None
    best = None
    for width, cost_px in TILE_WIDTHS.items():
        tw = min(width, w - w % 8)  # smaller tiles for small frames
        if tw < 2 * CONTEXT + 8:
            continue
        tiles = _tiles(hole, tw)
        cost = cost_px * tw * sum(t[2] for t in tiles)
        if best is None or cost < best[0]:
            best = (cost, tw, tiles)
    return None if best is None else best[1:]


class Inpainter:
    """Fills seam masks. ``method``: ``learned`` (default), ``telea`` or ``ns``.

    With ``learned`` and no model file, falls back to Telea and says so in ``method``.
    """

    def __init__(self, method: str = "learned", *, precision: str = "int8",
                 model_xml: str | os.PathLike | None = None, threads: int | None = None) -> None:  # fmt: skip
        if method not in INPAINTERS:
            raise ValueError(f"inpainter must be one of {INPAINTERS}, got {method!r}")
        self.requested = method
        self.method = method
        self.xml: Path | None = None
        self.threads = threads
        if method == "learned":
            xml = Path(model_xml) if model_xml else model_path("inpainter", precision)
            if xml.exists():
                self.xml = xml
                self._net(FIRST_TILE_H, TILE_W)  # compile now: a broken model fails here, not mid-shot
            else:
                self.method = "telea"  # classical fallback when the model is unavailable

    def _net(self, th: int, tw: int):
        return compile_model(self.xml, precision="f32", shape=[(1, 7, th, tw)], threads=self.threads)

    def __call__(self, frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Frame with the mask's pixels filled; every other pixel (and alpha) unchanged."""
        hole = np.asarray(mask) > 0
        if not hole.any():
            return frame
        plan = _plan(hole) if self.xml is not None else None
        if plan is None:
            return self._classical(frame, hole)
        tw, tiles = plan
        out = frame.copy()
        # one Telea fill (and one range scale) for the region all tiles cover: tiles overlap,
        # and a fill that sees past a tile's edge is better than one that stops there
        ry0, rx0 = min(t[0] for t in tiles), min(t[1] for t in tiles)
        ry1, rx1 = max(t[0] + t[2] for t in tiles), max(t[1] for t in tiles) + tw
        region = frame[ry0:ry1, rx0:rx1]
        if region.dtype == np.uint8 and region.ndim == 3:  # 8-bit in: one 3-channel 8-bit Telea
            bgr8 = np.ascontiguousarray(region[:, :, :3])
            hole8 = hole[ry0:ry1, rx0:rx1].astype(np.uint8)
            telea8 = cv2.inpaint(bgr8, hole8, TELEA_RADIUS, cv2.INPAINT_TELEA)
            scale = 255.0

            def unit(sl, rl):  # each tile's pixels to float, not the whole region's (~2 ms at 1080p)
                return to_unit_rgb(frame[sl])[0], telea8[rl].astype(np.float32) / 255

        else:  # 16-bit and float: per channel at 16-bit precision
            rgb_r, scale = to_unit_rgb(region)
            telea_r = telea_fill(rgb_r, hole[ry0:ry1, rx0:rx1])

            def unit(sl, rl):
                return rgb_r[rl], telea_r[rl]

        inputs: dict[int, np.ndarray] = {}  # per tile height: the network's input (RGB with the hole zeroed, hole, Telea)
        for y0, x0, th, cy0, cy1, cx0, cx1 in tiles:
            net = self._net(th, tw)
            x = inputs.get(th)
            if x is None:
                x = inputs[th] = np.empty((1, 7, th, tw), np.float32)
            sl = np.s_[y0 : y0 + th, x0 : x0 + tw]
            rl = np.s_[y0 - ry0 : y0 - ry0 + th, x0 - rx0 : x0 - rx0 + tw]
            tile_hole = hole[sl]
            hf = tile_hole.astype(np.float32)
            rgb, telea = unit(sl, rl)
            x[0, :3] = (rgb * (1 - hf[..., None])).transpose(2, 0, 1)
            x[0, 3] = hf
            x[0, 4:] = telea.transpose(2, 0, 1)
            # a tile writes its core's mask pixels only: convert just the core (per pixel,
            # so the same values; ~45 % of the tile's pixels)
            core = np.s_[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
            fill = np.clip(net(x)[0][0][(slice(None), *core)].transpose(1, 2, 0), 0, 1)
            _paste(out[cy0:cy1, cx0:cx1], _from_unit(fill, frame, scale), tile_hole[core])
        return out

    def _classical(self, frame: np.ndarray, hole: np.ndarray) -> np.ndarray:
        method = "ns" if self.method == "ns" else "telea"
        bx, by, bw, bh = cv2.boundingRect(hole.view(np.uint8))
        pad = 3 * TELEA_RADIUS + 2
        y0, y1 = max(0, by - pad), min(frame.shape[0], by + bh + pad)
        x0, x1 = max(0, bx - pad), min(frame.shape[1], bx + bw + pad)
        sl = np.s_[y0:y1, x0:x1]
        rgb, scale = to_unit_rgb(frame[sl])
        fill = telea_fill(rgb, hole[sl], method=method)
        out = frame.copy()
        _paste(out[sl], _from_unit(fill, frame, scale), hole[sl])
        return out


def _paste(dst: np.ndarray, fill: np.ndarray, where: np.ndarray) -> None:
    """Write ``fill``'s colour into ``dst`` at ``where`` (alpha channel untouched)."""
    if dst.ndim == 2:
        dst[where] = fill[where]
    elif dst.shape[2] in (1, 2):
        dst[..., 0][where] = fill[where]
    else:
        colour = dst[..., :3]
        colour[where] = fill[where]
