"""Masks as editable vector shapes: JSON, SVG and a Nuke Roto node.

``laika-fx batch ... --export-shapes`` turns each frame's seam mask (the mask the
``seam_removal`` plugin painted out, the one ``--save-masks`` writes) into shapes a
compositor can refine in the tools they already use:

- ``OUTPUT/shapes/<frame stem>.<mask>.json``: the shapes of one frame (:func:`mask_to_shapes`,
  schema in ``docs/shapes.md``);
- ``OUTPUT/shapes/<frame stem>.<mask>.svg``: the same outlines as SVG paths;
- ``OUTPUT/shapes/<mask>.nk``: one Nuke script with a Roto node holding every frame's
  shapes, each shape alive on its own frame only (:func:`nuke_script`).

Coordinates are pixels with the origin at the top-left *corner* of the top-left pixel, x
right, y down (as SVG): pixel ``(row, col)`` covers ``[col, col+1] x [row, row+1]`` and its
centre is ``(col + 0.5, row + 0.5)``. An outline is the boundary between mask and
background pixels (pixel edges, not pixel centres), simplified by at most ``tolerance``
pixels, so it covers the mask's pixels as area, which is how SVG and Nuke fill it.
:func:`rasterize` turns shapes back into a mask (a pixel is in when its centre is inside or
on an outline); the tests check it against the masks the shapes came from.

Each mask region (8-connected) is one shape: a closed ``outline``, its ``holes``, and for a
line-like region (a band without holes whose skeleton is one path) a ``centerline`` with a
``width``, as a paint stroke would describe it.

numpy and OpenCV only.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "SHAPES_FOLDER",
    "ShapesError",
    "mask_to_shapes",
    "shapes_document",
    "rasterize",
    "rasterize_centerlines",
    "shapes_json",
    "shapes_svg",
    "nuke_script",
    "read_shapes",
    "shape_file_names",
    "write_nuke_script",
]

SCHEMA = "laika_fx.shapes"
#: version of the shapes JSON written by :func:`shapes_json`; readers refuse newer ones
SCHEMA_VERSION = 1
#: folder in OUTPUT the batch writes shapes to (``--export-shapes``)
SHAPES_FOLDER = "shapes"
_DECIMALS = 3


class ShapesError(ValueError):
    """A shapes file cannot be read or is not valid (one line)."""


# ---------------------------------------------------------------------------------------------
# mask -> outlines (pixel-edge boundaries)

_E, _S, _W, _N = (1, 0), (0, 1), (-1, 0), (0, -1)


def _left(d: tuple[int, int]) -> tuple[int, int]:
    """The direction to the left of ``d`` on screen (y down)."""
    return (d[1], -d[0])


def _trace_boundaries(mask: np.ndarray) -> list[np.ndarray]:
    """Every boundary loop of ``mask`` along pixel edges, as (N, 2) int32 corner points.

    Edges run with the mask on their right (y down): outer boundaries are clockwise on screen
    (positive shoelace area), holes the other way. Where two mask pixels touch only at a
    corner, the loop goes on to the diagonal pixel (8-connected regions, as OpenCV's
    ``findContours``). Only the corners where the direction changes are kept. Loops come in
    the order of their first edge (top row first, then left to right): deterministic.
    """
    h, w = mask.shape
    p = np.zeros((h + 2, w + 2), dtype=bool)
    p[1:-1, 1:-1] = mask
    out: dict[tuple[int, int], list[tuple[int, int]]] = {}  # start corner -> directions
    # horizontal edges at y (between rows y-1 and y), column x
    above, below = p[:-1, 1:-1], p[1:, 1:-1]
    for y, x in zip(*np.nonzero(~above & below), strict=True):  # top edge of a mask pixel: east
        out.setdefault((int(x), int(y)), []).append(_E)
    for y, x in zip(*np.nonzero(above & ~below), strict=True):  # bottom edge: west, from (x+1, y)
        out.setdefault((int(x) + 1, int(y)), []).append(_W)
    left, right = p[1:-1, :-1], p[1:-1, 1:]
    for y, x in zip(*np.nonzero(~left & right), strict=True):  # left edge of a mask pixel: north, from (x, y+1)
        out.setdefault((int(x), int(y) + 1), []).append(_N)
    for y, x in zip(*np.nonzero(left & ~right), strict=True):  # right edge: south, from (x, y)
        out.setdefault((int(x), int(y)), []).append(_S)
    loops: list[np.ndarray] = []
    for start in sorted(out, key=lambda c: (c[1], c[0])):
        while out.get(start):
            d = out[start][0]
            corners = []
            at, heading = start, d
            out[start].remove(d)
            prev = None
            while True:
                if heading != prev:
                    corners.append(at)
                prev = heading
                at = (at[0] + heading[0], at[1] + heading[1])
                choices = out.get(at) or []
                # where two mask pixels meet at a corner, two edges leave it: turn left, onto
                # the diagonal pixel (counting the start edge, taken first, at the start)
                pinch = len(choices) + (at == start) == 2
                nxt = _left(heading) if pinch else (choices[0] if choices else d)
                if at == start and nxt == d:
                    break  # the loop is closed
                if nxt not in choices:  # not reached for a boolean mask's edges
                    raise AssertionError(f"boundary trace lost at corner {at}")
                choices.remove(nxt)
                heading = nxt
            if len(corners) > 1 and corners[0] != at:
                corners.append(at)
            # the first corner is kept only if the direction changes there
            if len(corners) > 2 and _collinear(corners[-1], corners[0], corners[1]):
                corners = corners[1:]
            loops.append(np.asarray(corners, dtype=np.int32))
    return loops


def _collinear(a, b, c) -> bool:
    return (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]) == 0


def _area(points: np.ndarray) -> float:
    """Shoelace area; positive for an outer boundary (clockwise on screen, y down)."""
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _simplify(loop: np.ndarray, tolerance: float) -> np.ndarray:
    if tolerance <= 0 or len(loop) <= 4:
        return loop
    out = cv2.approxPolyDP(loop.reshape(-1, 1, 2), float(tolerance), True).reshape(-1, 2)
    return out if len(out) >= 3 else loop


# ---------------------------------------------------------------------------------------------
# centre lines of line-like regions


def _thin(region: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a bool image (one pixel wide, 8-connected skeleton)."""
    img = np.pad(region, 1).astype(np.uint8)
    while True:
        changed = False
        for step in (0, 1):
            p2, p3, p4 = img[:-2, 1:-1], img[:-2, 2:], img[1:-1, 2:]
            p5, p6, p7 = img[2:, 2:], img[2:, 1:-1], img[2:, :-2]
            p8, p9 = img[1:-1, :-2], img[:-2, :-2]
            ring = (p2, p3, p4, p5, p6, p7, p8, p9, p2)
            b = sum(r.astype(np.int32) for r in ring[:8])
            a = sum(((ring[i] == 0) & (ring[i + 1] == 1)).astype(np.int32) for i in range(8))
            if step == 0:
                c, d = p2 * p4 * p6, p4 * p6 * p8
            else:
                c, d = p2 * p4 * p8, p2 * p6 * p8
            remove = (img[1:-1, 1:-1] == 1) & (b >= 2) & (b <= 6) & (a == 1) & (c == 0) & (d == 0)
            if remove.any():
                img[1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


_NEIGHBOURS = ((0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1))  # 4-neighbours first


def _skeleton_path(skeleton: np.ndarray) -> list[tuple[int, int]] | None:
    """The skeleton's pixels (row, col) in order along it, if it is one path; else None.

    Spurs (side branches) up to 1/4 of the longest path are ignored."""
    pixels = {(int(r), int(c)) for r, c in zip(*np.nonzero(skeleton), strict=True)}
    if len(pixels) < 2:
        return None

    def neighbours(p):
        return [(p[0] + dr, p[1] + dc) for dr, dc in _NEIGHBOURS if (p[0] + dr, p[1] + dc) in pixels]

    def walk(start):
        """Farthest pixel from ``start`` (breadth first, 8-connected) and the path to it."""
        parent = {start: None}
        order = [start]
        for p in order:
            for q in neighbours(p):
                if q not in parent:
                    parent[q] = p
                    order.append(q)
        end = order[-1]
        path = [end]
        while parent[path[-1]] is not None:
            path.append(parent[path[-1]])
        return end, path, len(parent)

    first = min(pixels)
    a, _, reached = walk(first)
    if reached != len(pixels):
        return None  # not one piece
    _, path, _ = walk(a)
    on_path = set(path)
    # what is off the path must be thin spurs: every such pixel near the path
    spur_limit = max(2, len(path) // 4)
    off = pixels - on_path
    if off:
        dist = {p: 0 for p in on_path}
        frontier = list(on_path)
        while frontier:
            nxt = []
            for p in frontier:
                for q in neighbours(p):
                    if q not in dist:
                        dist[q] = dist[p] + 1
                        nxt.append(q)
            frontier = nxt
        if max(dist[p] for p in off) > spur_limit:
            return None
    return path


#: regions smaller than this (pixels) get no centre line
_MIN_LINE_AREA = 3
#: regions wider than this (pixels, twice the largest inscribed radius) get no centre line
_MAX_LINE_WIDTH = 64


def _centerline(region: np.ndarray, origin: tuple[int, int], area: int, tolerance: float) -> dict | None:
    """``{"points", "width"}`` of a line-like region (bool crop at ``origin`` = (x0, y0)).

    Only bands: a region whose inscribed circle is wide compared with its extent (a blob)
    is refused before it is thinned (thinning a full frame would take a minute)."""
    inscribed = float(cv2.distanceTransform(np.pad(region, 1).astype(np.uint8), cv2.DIST_L2, 3).max())
    if 2 * inscribed > min(_MAX_LINE_WIDTH, max(region.shape) / 2.0):
        return None
    path = _skeleton_path(_thin(region))
    if path is None:
        return None
    pts = np.array([(c + 0.5 + origin[0], r + 0.5 + origin[1]) for r, c in path], dtype=np.float64)
    length = float(np.sum(np.hypot(*np.diff(pts, axis=0).T)))
    # the stroke's caps reach half a width past the end points: area = width * (length + width)
    width = (-length + math.sqrt(length * length + 4.0 * area)) / 2.0
    if length < 2.0 * width:
        return None  # a blob, not a line
    # a skeleton pixel sits beside the middle of an even-width band: move each point to the
    # centroid of the band's pixels around it
    if len(path) < 0.9 * area:  # not a one-pixel line already
        pts = _recentre(pts, region, origin, max(1.0, width))
    # the skeleton stops short of the ends of a wide band: extend it to the band's ends
    pts = _extend_ends(pts, width)
    simple = cv2.approxPolyDP(pts.astype(np.float32).reshape(-1, 1, 2), float(max(tolerance, 0.5)), False)
    return {"points": _round_points(simple.reshape(-1, 2)), "width": round(width, _DECIMALS)}


def _recentre(pts: np.ndarray, region: np.ndarray, origin: tuple[int, int], radius: float) -> np.ndarray:
    """Each point moved to the centroid of ``region``'s pixel centres within ``radius``; the
    two end points only across the line (along it, the centroid of an end falls inside)."""
    ys, xs = np.nonzero(region)
    cx, cy = xs + 0.5 + origin[0], ys + 0.5 + origin[1]
    out = pts.copy()
    for i, (x, y) in enumerate(pts):
        near = (cx - x) ** 2 + (cy - y) ** 2 <= radius * radius
        if near.any():
            out[i] = (cx[near].mean(), cy[near].mean())
    if len(pts) >= 2:
        for end, inner in ((0, 1), (-1, -2)):
            d = pts[end] - pts[inner]
            n = float(np.hypot(*d))
            if n > 0:
                u = d / n
                shift = out[end] - pts[end]
                out[end] = pts[end] + shift - u * float(shift @ u)  # keep the move across the line only
    return out


def _extend_ends(pts: np.ndarray, width: float) -> np.ndarray:
    """Thinning eats about half a width minus a pixel off each end of a band; give it back."""
    reach = max(0.0, width / 2.0 - 1.0)
    if reach <= 0 or len(pts) < 2:
        return pts
    out = pts.copy()
    for end, inner in ((0, min(len(pts) - 1, 3)), (-1, max(0, len(pts) - 4))):
        d = pts[end] - pts[inner]
        n = float(np.hypot(*d))
        if n > 0:
            out[end] = pts[end] + d / n * reach
    return out


def _round_points(points: np.ndarray) -> list[list[float]]:
    return [[_num(x), _num(y)] for x, y in np.asarray(points, dtype=np.float64)]


def _num(v: float) -> float | int:
    r = round(float(v), _DECIMALS)
    return int(r) if r.is_integer() else r


# ---------------------------------------------------------------------------------------------
# public: mask -> shapes


def mask_to_shapes(mask: np.ndarray, *, tolerance: float = 0.5) -> list[dict[str, Any]]:
    """Vector shapes of a mask, one per 8-connected region.

    Parameters
    ----------
    mask : (H, W) ndarray; non-zero = in the mask.
    tolerance : how far (pixels) a simplified outline may stray from the pixel boundary
        (``cv2.approxPolyDP``); 0 keeps every corner.

    Returns
    -------
    shapes : list of ``{"outline": [[x, y], ...], "holes": [[[x, y], ...], ...], "area": n,
        "bbox": [x, y, w, h]}`` in the order of each region's top-left pixel (row first), and
        for a line-like region also ``"centerline": {"points": [[x, y], ...], "width": w}``.
        Outlines are clockwise on screen, holes anticlockwise. Empty for an empty mask.
    """
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"mask must be (H, W), got shape {m.shape}")
    m8 = (m > 0).astype(np.uint8)
    bx, by, bw_all, bh_all = cv2.boundingRect(m8)  # work on the mask's bounding box only
    if bw_all == 0 or bh_all == 0:
        return []
    crop = m8[by : by + bh_all, bx : bx + bw_all]
    count, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    shapes = []
    for label in range(1, count):  # labels follow the raster order of each region's first pixel
        x0, y0, bw, bh, area = (int(v) for v in stats[label])
        region = labels[y0 : y0 + bh, x0 : x0 + bw] == label
        origin = np.array([bx + x0, by + y0], dtype=np.int32)
        loops = [loop + origin for loop in _trace_boundaries(region)]
        areas = [_area(loop) for loop in loops]
        outer = int(np.argmax(areas))  # one region: one outer boundary, the others are holes
        shape: dict[str, Any] = {
            "outline": _round_points(_simplify(loops[outer], tolerance)),
            "holes": [_round_points(_simplify(loop, tolerance)) for i, loop in enumerate(loops) if i != outer],
            "area": area,
            "bbox": [bx + x0, by + y0, bw, bh],
        }
        if not shape["holes"] and area >= _MIN_LINE_AREA:
            line = _centerline(region, (bx + x0, by + y0), area, tolerance)
            if line is not None:
                shape["centerline"] = line
        shapes.append(shape)
    return shapes


def shapes_document(mask: np.ndarray, *, frame: int, mask_name: str = "seam", source: str | None = None,
                    tolerance: float = 0.5) -> dict[str, Any]:  # fmt: skip
    """The shapes JSON document of one frame's mask (see ``docs/shapes.md``)."""
    m = np.asarray(mask)
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "frame": int(frame),
        "mask": mask_name,
        "width": int(m.shape[1]),
        "height": int(m.shape[0]),
        "coordinates": "pixels, origin at the top-left corner of the top-left pixel, y down",
        "shapes": mask_to_shapes(m, tolerance=tolerance),
    }
    if source is not None:
        doc["source"] = source
    return doc


def shapes_json(document: Mapping[str, Any]) -> bytes:
    """The bytes of a shapes file: the same document gives the same bytes."""
    text = json.dumps(document, indent=1)
    text = _NUMBERS.sub(lambda m: "[" + ", ".join(_NUMBER.findall(m.group(0))) + "]", text)
    return (text + "\n").encode()


# a list of numbers only (a point, a bbox): on one line
_NUMBERS = re.compile(r"\[\s*-?[0-9.eE+-]+(?:,\s*-?[0-9.eE+-]+)*\s*\]")
_NUMBER = re.compile(r"-?[0-9.eE+-]+")


def shape_file_names(stem: str, mask_name: str) -> tuple[str, str]:
    """File names (JSON, SVG) of the shapes of frame ``stem``'s mask ``mask_name``."""
    return f"{stem}.{mask_name}.json", f"{stem}.{mask_name}.svg"


# ---------------------------------------------------------------------------------------------
# shapes -> mask


def _to_cv(points: Sequence[Sequence[float]], shift: int) -> np.ndarray:
    # OpenCV's integer coordinates are pixel centres: pixel-edge x is OpenCV x + 0.5
    arr = (np.asarray(points, dtype=np.float64) - 0.5) * (1 << shift)
    return np.round(arr).astype(np.int32).reshape(-1, 1, 2)


def _shapes_of(shapes: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Sequence[Mapping[str, Any]]:
    return shapes["shapes"] if isinstance(shapes, Mapping) else shapes


def _fill_even_odd(polygons: Sequence[Sequence[Sequence[float]]], h: int, w: int) -> np.ndarray:
    """(H, W) bool: pixels whose centre is inside ``polygons`` by the even-odd rule.

    Exact scanline fill at pixel centres (``cv2.fillPoly`` also fills pixels whose centre is
    on the right or bottom edge, which a pixel-edge outline always touches). A centre exactly
    on an edge is in on the left of a span and out on its right (the top-left rule).
    """
    rows: list[np.ndarray] = []
    xs: list[np.ndarray] = []
    for poly in polygons:
        p = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
        if len(p) < 3:
            continue
        a, b = p, np.roll(p, -1, axis=0)
        for (x0, y0), (x1, y1) in zip(a, b, strict=True):
            if y0 == y1:
                continue
            lo, hi = min(y0, y1), max(y0, y1)
            # rows whose centre y = r + 0.5 satisfies lo <= y < hi (half-open: no double count)
            r0 = max(0, math.ceil(lo - 0.5))
            r1 = min(h - 1, math.ceil(hi - 0.5) - 1)
            if r1 < r0:
                continue
            r = np.arange(r0, r1 + 1)
            yc = r + 0.5
            rows.append(r)
            xs.append(x0 + (yc - y0) * (x1 - x0) / (y1 - y0))
    out = np.zeros((h, w + 1), dtype=np.int32)
    if not rows:
        return out[:, :w] > 0
    r = np.concatenate(rows)
    x = np.concatenate(xs)
    order = np.lexsort((x, r))
    r, x = r[order], x[order]
    # crossings pair up in each row (closed polygons cross every row an even number of times)
    r_in, x_in, x_out = r[0::2], x[0::2], x[1::2]
    c0 = np.clip(np.ceil(x_in - 0.5), 0, w).astype(np.int64)  # first centre at or right of x_in
    c1 = np.clip(np.ceil(x_out - 0.5), 0, w).astype(np.int64)  # first centre at or right of x_out
    keep = c1 > c0
    np.add.at(out, (r_in[keep], c0[keep]), 1)
    np.add.at(out, (r_in[keep], c1[keep]), -1)
    return np.cumsum(out, axis=1)[:, :w] > 0


def rasterize(shapes: Mapping[str, Any] | Sequence[Mapping[str, Any]], size: tuple[int, int] | None = None) -> np.ndarray:
    """A mask from shapes' outlines and holes: (H, W) uint8, 255 where a pixel's centre is
    inside an outline and not inside one of its holes (even-odd rule; a centre exactly on an
    edge counts on the left and top edges of a span, as in most renderers).

    ``shapes``: a shapes document (its size is used) or a list of shapes with ``size`` =
    (height, width).
    """
    h, w = _size(shapes, size)
    out = np.zeros((h, w), dtype=bool)
    for shape in _shapes_of(shapes):
        out |= _fill_even_odd([shape["outline"], *shape.get("holes", ())], h, w)
    return out.astype(np.uint8) * 255


def rasterize_centerlines(shapes: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                          size: tuple[int, int] | None = None) -> np.ndarray:  # fmt: skip
    """A mask from the shapes' centre lines: (H, W) uint8, 255 where a pixel's centre lies
    within half the line's width of its centre line (round joins and caps); shapes without a
    centre line are drawn from their outlines (:func:`rasterize`)."""
    h, w = _size(shapes, size)
    out = np.zeros((h, w), dtype=bool)
    rest = []
    for shape in _shapes_of(shapes):
        line = shape.get("centerline")
        if not line:
            rest.append(shape)
            continue
        half = float(line["width"]) / 2.0
        pts = np.asarray(line["points"], dtype=np.float64).reshape(-1, 2)
        x0 = max(0, int(math.floor(pts[:, 0].min() - half)))
        x1 = min(w, int(math.ceil(pts[:, 0].max() + half)) + 1)
        y0 = max(0, int(math.floor(pts[:, 1].min() - half)))
        y1 = min(h, int(math.ceil(pts[:, 1].max() + half)) + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        cx, cy = np.meshgrid(np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5)
        best = np.full(cx.shape, np.inf)
        segments = zip(pts[:-1], pts[1:], strict=True) if len(pts) > 1 else [(pts[0], pts[0])]
        for a, b in segments:  # distance from each pixel centre to the segment
            d = b - a
            n = float(d @ d)
            t = np.clip(((cx - a[0]) * d[0] + (cy - a[1]) * d[1]) / n, 0.0, 1.0) if n > 0 else 0.0
            best = np.minimum(best, np.hypot(cx - (a[0] + t * d[0]), cy - (a[1] + t * d[1])))
        out[y0:y1, x0:x1] |= best <= half + 1e-9
    out = out.astype(np.uint8) * 255
    if rest:
        out |= rasterize(rest, (h, w))
    return out


def _size(shapes, size) -> tuple[int, int]:
    if size is not None:
        return int(size[0]), int(size[1])
    if isinstance(shapes, Mapping):
        return int(shapes["height"]), int(shapes["width"])
    raise ValueError("size (height, width) is needed for a list of shapes")


# ---------------------------------------------------------------------------------------------
# SVG


def _path_data(points: Sequence[Sequence[float]]) -> str:
    return "M" + " L".join(f"{_fmt(x)} {_fmt(y)}" for x, y in points) + " Z"


def _fmt(v: float) -> str:
    return f"{_num(v)}"


def shapes_svg(document: Mapping[str, Any], *, color: str = "#ff00ff") -> str:
    """An SVG of one frame's shapes: one filled path per shape (holes by the even-odd rule),
    same coordinates as the JSON; centre lines in a hidden group ``centerlines``."""
    w, h = int(document["width"]), int(document["height"])
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
        f"<title>{_xml(str(document.get('mask', 'mask')))} shapes, frame {int(document['frame'])}</title>",
        f'<g id="shapes" fill="{color}" fill-rule="evenodd" stroke="none">',
    ]
    for i, shape in enumerate(document["shapes"]):
        d = " ".join(_path_data(p) for p in [shape["outline"], *shape.get("holes", ())] if len(p) >= 2)
        lines.append(f'<path id="shape{i}" d="{d}"/>')
    lines.append("</g>")
    strokes = [(i, s["centerline"]) for i, s in enumerate(document["shapes"]) if s.get("centerline")]
    if strokes:
        lines.append(f'<g id="centerlines" visibility="hidden" fill="none" stroke="{color}" '
                     'stroke-linecap="round" stroke-linejoin="round">')  # fmt: skip
        for i, line in strokes:
            pts = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in line["points"])
            lines.append(f'<polyline id="centerline{i}" points="{pts}" stroke-width="{_fmt(line["width"])}"/>')
        lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# ---------------------------------------------------------------------------------------------
# Nuke


def _hex(v: float) -> str:
    """A number as Nuke writes it in a Roto node's curves: ``0``, or ``x`` + the 8 hex digits
    of the IEEE-754 single (``x44800000`` = 1024)."""
    f = float(np.float32(v))
    if f == 0.0:
        return "0"
    return "x" + struct.pack(">f", f).hex()


def _keyhole(outline: list, holes: Sequence[list]) -> list:
    """One closed polygon for an outline with holes: each hole joined to the outline by a
    zero-width cut at their nearest corners (a Roto shape has no holes)."""
    poly = [tuple(p) for p in outline]
    for hole in holes:
        if len(hole) < 3:
            continue
        hp = np.asarray(hole, dtype=np.float64)
        pp = np.asarray(poly, dtype=np.float64)
        d = ((pp[:, None, :] - hp[None, :, :]) ** 2).sum(-1)
        i, j = np.unravel_index(int(np.argmin(d)), d.shape)
        ring = [tuple(p) for p in hole[j:]] + [tuple(p) for p in hole[:j]]
        poly = poly[: i + 1] + ring + [tuple(hole[j]), poly[i]] + poly[i + 1 :]
    return poly


def _nuke_shape(name: str, frame: int, points: list, height: int, width: int) -> list[str]:
    key = _hex(frame)
    ys = [height - y for _, y in points]  # Nuke: y up, origin at the bottom-left corner
    cx = (min(x for x, _ in points) + max(x for x, _ in points)) / 2.0
    cy = (min(ys) + max(ys)) / 2.0
    body = []
    for (x, _), y in zip(points, ys, strict=True):
        body += ["        {0 0}", f"        {{{_hex(x)} {_hex(y)}}}", "        {0 0}"]
    return [
        f"    {{curvegroup {name} 512 bezier",
        "     {{cc",
        "       {f 8192}",
        f"       {{px {key}",
        *body[:-1],
        body[-1] + "}}     idem}",
        f"     {{tx {key} {_hex(cx)} {_hex(cy)}}}",
        # lifetime "frame range" (ltt 4) from ltn to ltm: the shape lives on its frame only
        f"     {{a spx {_hex(width / 2)} spy {_hex(height / 2)} sb 1 ltn {key} ltm {key} ltt {_hex(4)} "
        f"tt {_hex(4)}}}}}",
    ]  # fmt: skip


def nuke_script(documents: Iterable[Mapping[str, Any]], *, name: str = "LaikaSeams", comment: str = "") -> str:
    """A Nuke script (``.nk``) with one Roto node holding the shapes of every document.

    Each shape becomes a Bezier with cusped (corner) points, keyed on its frame and alive on
    that frame only (lifetime: frame range ``frame``-``frame``), named ``f<frame>_<i>``; a
    shape's holes are joined to its outline by zero-width cuts. The Root format is the
    frames' size and the frame range that of the documents. Coordinates are Nuke's: y up
    from the bottom-left corner. Written from the Roto serialisation of public ``.nk``
    files (see ``docs/shapes.md``); not opened in Nuke here.
    """
    docs = sorted(documents, key=lambda d: int(d["frame"]))
    if docs:
        width, height = int(docs[0]["width"]), int(docs[0]["height"])
    else:
        width, height = 0, 0
    fmt = f'"{width} {height} 0 0 {width} {height} 1 laika_fx_{width}x{height}"'
    lines = ["#! nuke -nx"]
    for text in comment.splitlines():
        lines.append(f"# {text}")
    lines += ["version 12.0 v1", "Root {", " inputs 0"]
    if docs:
        lines += [f" first_frame {int(docs[0]['frame'])}", f" last_frame {int(docs[-1]['frame'])}", f" format {fmt}"]
    lines += ["}", "Roto {", " inputs 0", " output alpha", " cliptype none"]
    if docs:
        lines.append(f" format {fmt}")
    lines += [" curves {{{v x3f99999a}", "  {f 0}", "  {n", "   {layer Root", "    {f 512}",
              f"    {{t {_hex(width / 2)} {_hex(height / 2)}}}", "    {a}"]  # fmt: skip
    for doc in docs:
        if (int(doc["width"]), int(doc["height"])) != (width, height):
            raise ShapesError(f"frame {doc['frame']} is {doc['width']}x{doc['height']}, "
                              f"frame {docs[0]['frame']} is {width}x{height}")  # fmt: skip
        frame = int(doc["frame"])
        for i, shape in enumerate(doc["shapes"]):
            points = _keyhole(shape["outline"], shape.get("holes", ()))
            if len(points) >= 3:
                lines += _nuke_shape(f"f{frame}_{i}", frame, points, height, width)
    lines[-1] += "}}}}"
    lines += [f" name {name}", "}"]
    return "\n".join(lines) + "\n"


def write_nuke_script(folder: str | os.PathLike, mask_name: str, *, comment: str = "") -> Path | None:
    """Write ``folder/<mask_name>.nk`` (atomically) from every shapes file of that mask in
    ``folder`` (``*.<mask_name>.json``), in frame order. The script depends only on those
    files, so a run in chunks, resumed or on many workers writes the same bytes as one run.
    Returns its path, or None when there is no shapes file (nothing written).

    Raises
    ------
    ShapesError
        If a shapes file is not valid, or two are of one frame.
    OSError
        If the script cannot be written.
    """
    from .io import atomic_write_bytes

    folder = Path(folder)
    docs = [read_shapes(p) for p in sorted(folder.glob(f"*.{mask_name}.json"))]
    if not docs:
        return None
    frames = [int(d["frame"]) for d in docs]
    twice = sorted({n for n in frames if frames.count(n) > 1})
    if twice:
        raise ShapesError(f"{folder}: two shapes files of frame {twice[0]} (two shots in one output folder?)")
    target = folder / f"{mask_name}.nk"
    atomic_write_bytes(target, nuke_script(docs, comment=comment).encode())
    return target


# ---------------------------------------------------------------------------------------------
# reading


def read_shapes(path: str | os.PathLike) -> dict[str, Any]:
    """A shapes file, checked. Raises ShapesError (one line naming the file) when it cannot be
    read, is of a newer version, or is not valid."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ShapesError(f"{p.name}: cannot read shapes: {exc}") from None
    try:
        _check(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise ShapesError(f"{p.name}: not a valid shapes file: {exc}") from None
    return doc


def _check(doc: Any) -> None:
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ValueError(f"schema is not {SCHEMA!r}")
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise ValueError("version must be a positive integer")
    if version > SCHEMA_VERSION:
        raise ValueError(f"version {version} is newer than this laika_fx reads ({SCHEMA_VERSION})")
    for key in ("frame", "width", "height"):
        if not isinstance(doc[key], int) or isinstance(doc[key], bool):
            raise ValueError(f"{key} must be an integer")
    if doc["width"] < 0 or doc["height"] < 0:
        raise ValueError("width and height must not be negative")
    if not isinstance(doc["shapes"], list):
        raise ValueError("shapes must be a list")
    for i, shape in enumerate(doc["shapes"]):
        where = f"shape {i}"
        _check_points(shape["outline"], f"{where} outline")
        for hole in shape.get("holes", []):
            _check_points(hole, f"{where} hole")
        line = shape.get("centerline")
        if line is not None:
            _check_points(line["points"], f"{where} centerline")
            if not _finite(line["width"]) or line["width"] <= 0:
                raise ValueError(f"{where} centerline width must be a positive number")


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_points(points: Any, where: str) -> None:
    if not isinstance(points, list):
        raise ValueError(f"{where} must be a list of [x, y]")
    for p in points:
        if not (isinstance(p, list) and len(p) == 2 and _finite(p[0]) and _finite(p[1])):
            raise ValueError(f"{where} must be a list of [x, y] numbers")


