"""Camera solve: each frame's transform to the reference still, robust to a moving puppet.

Three stages on grayscale proxies (a pyramid from ~120 px up to ``finest_width``):

1. **Starting points**, cheap ones first: the identity, then the learned coarse
   aligner's guess (:mod:`laika_fx.stabilize.coarse`, when given) and a small shift
   search around it. Each gets a few Gauss-Newton steps at the coarsest level (kept only
   if they lower the cost below), is refined at the candidate level (~240 px) and is
   *verified*: one mask-independent robust cost - the truncated difference of locally
   contrast-normalised images, taken as the *median over a grid of cells* of each cell's
   mean, so every part of the frame votes once and a large textured puppet that a wrong
   solution lines up wins only the cells it covers - must rise sharply when the solution
   is moved off by 2 px (:meth:`CameraSolver.verification_ratio`). The first start that
   verifies is the answer's start. Only if none does, the best translations of an
   exhaustive shift search and up to two similarities fitted (RANSAC, the second to the
   cells the first left out) to each grid cell's sub-pixel best shift (a bump's
   zoom/rotation; the set and a puppet) join; all are scored by that cost at the coarsest level and
   the two best, refined at the candidate level, are compared there.
2. **Static set**: at every level but the finest, the current solution warps the frame
   onto the reference and pixels whose gain-normalised residual is too large to be a
   small misalignment (the puppet, in either frame) are masked out (blurred residual,
   robust MAD threshold, slack proportional to the local gradient, dilation).
3. **Sparse inverse-compositional Gauss-Newton** per level on the static set: the
   reference's strongest-gradient pixels (an equal quota per grid cell) and their
   steepest-descent images are computed once per shot; a frame costs one sparse
   ``remap`` and a tiny least-squares solve per iteration, with gain and offset fitted
   every iteration (flicker) and points beyond 3 robust standard deviations dropped.
   At the two coarsest levels it matches locally contrast-normalised images (a faint set
   pulls as hard as a contrasty puppet), and below the finest level it uses only the
   better-aligned half of the cost's grid cells (:meth:`CameraSolver._trim_cells`): the
   majority of cells, not of points, decides, as in the cost. The winning start is
   refined to the finest level, which is typically 1/2 resolution at 1080p.

:func:`refine_shot` then uses the shot rather than the pair: frames whose solve
disagrees with a neighbour's are checked on the candidate-level proxy each solve keeps
and, where the neighbour's solution does better there, re-solved from it; the cheaper
solve by the same cost is kept.

Matrix convention everywhere in this package: a 3x3 matrix maps pixel coordinates
``(x, y, 1)`` of the *moving* frame to those of the *reference* frame (pixel
centres at integer coordinates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

__all__ = [
    "MOTION_MODELS",
    "Alignment",
    "CameraSolver",
    "estimate_transform",
    "refine_shot",
    "gray_proxy",
    "project_to_motion",
    "corner_error",
    "scale_matrix",
]

MOTION_MODELS = ("translation", "similarity", "homography")
#: grid (columns, rows) of the cells whose median scores a candidate
_CELLS = (8, 5)

#: a coarse initial estimate: (moving proxy, reference proxy) -> 3x3 matrix in the
#: proxies' full-resolution pixel coordinates, moving -> reference
CoarseEstimate = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Alignment:
    """Result of one frame's solve.

    Attributes
    ----------
    matrix : (3, 3) float64, moving pixel coordinates -> reference pixel coordinates.
    correlation : masked ECC correlation coefficient at the finest level (1 = perfect).
    static_fraction : fraction of the overlap kept as static set (not puppet).
    initial : which initial estimate won (``"identity"``, ``"learned"``, ``"search"``, ``"given"``, or
        ``"neighbour"`` when :func:`refine_shot` replaced the solve).
    searched : whether the exhaustive shift search ran (no cheap start verified).
    """

    matrix: np.ndarray
    correlation: float
    static_fraction: float
    initial: str = "identity"
    searched: bool = False
    #: the frame's gray proxy at the candidate level (float16, ~240 px wide): lets
    #: :func:`refine_shot` check a neighbour's solution without reading the frame again
    proxy: np.ndarray | None = field(default=None, repr=False, compare=False)


def gray_proxy(frame: np.ndarray, *, width: int | None = None) -> np.ndarray:
    """Grayscale float32 proxy of a frame, integer input scaled to [0, 1].

    Parameters
    ----------
    frame : (H, W) or (H, W, C) ndarray, uint8/uint16/float32; alpha is ignored.
    width : resize to this width (area interpolation, aspect kept); None keeps the size.

    Returns
    -------
    proxy : (h, w) float32.
    """
    colour = frame if frame.ndim == 2 else frame[:, :, :3]
    if colour.ndim == 3 and colour.shape[2] == 1:
        colour = colour[:, :, 0]
    h, w = colour.shape[:2]
    if width is not None and width != w:
        height = max(1, round(h * width / w))
        colour = cv2.resize(colour, (width, height), interpolation=cv2.INTER_AREA)
    gray = colour.astype(np.float32)
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_RGB2GRAY)
    if frame.dtype == np.uint8:
        gray *= 1.0 / 255.0
    elif frame.dtype == np.uint16:
        gray *= 1.0 / 65535.0
    return gray


def scale_matrix(sx: float, sy: float) -> np.ndarray:
    """(3, 3) map from full-resolution pixel centres to those of an image resized by (sx, sy)."""
    return np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])


def _normalise(matrix: np.ndarray) -> np.ndarray:
    return matrix / matrix[2, 2]


def project_to_motion(matrix: np.ndarray, motion: str, *, size: tuple[int, int]) -> np.ndarray:
    """Closest transform of the given motion model (least squares on the frame corners).

    Parameters
    ----------
    matrix : (3, 3) transform.
    motion : ``translation``, ``similarity`` or ``homography``.
    size : (width, height) of the frame whose corners are fitted.
    """
    if motion == "homography":
        return _normalise(matrix)
    w, h = size
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1], [(w - 1) / 2, (h - 1) / 2]], float)
    dst = apply_matrix(matrix, src)
    if motion == "translation":
        t = (dst - src).mean(axis=0)
        return np.array([[1.0, 0.0, t[0]], [0.0, 1.0, t[1]], [0.0, 0.0, 1.0]])
    # similarity: x' = a x - b y + tx, y' = b x + a y + ty
    rows = []
    rhs = []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, -y, 1.0, 0.0])
        rhs.append(u)
        rows.append([y, x, 0.0, 1.0])
        rhs.append(v)
    a, b, tx, ty = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0]
    return np.array([[a, -b, tx], [b, a, ty], [0.0, 0.0, 1.0]])


def apply_matrix(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map (N, 2) points by a (3, 3) matrix (homogeneous division included)."""
    pts = np.asarray(points, float)
    hom = pts @ matrix[:2, :2].T + matrix[:2, 2]
    den = pts @ matrix[2, :2] + matrix[2, 2]
    return hom / den[:, None]


def corner_error(estimate: np.ndarray, truth: np.ndarray, *, size: tuple[int, int]) -> float:
    """Mean distance in pixels between the frame corners mapped by two transforms.

    Parameters
    ----------
    estimate, truth : (3, 3) matrices, moving -> reference.
    size : (width, height) of the frame.
    """
    w, h = size
    corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], float)
    return float(np.linalg.norm(apply_matrix(estimate, corners) - apply_matrix(truth, corners), axis=1).mean())


def _level_widths(width: int, *, finest_width: int, coarsest_width: int) -> list[int]:
    """Pyramid widths, coarsest first."""
    w = min(width, finest_width)
    widths = [w]
    while w // 2 >= coarsest_width:
        w //= 2
        widths.append(w)
    return widths[::-1]


def _to_level(matrix: np.ndarray, s: np.ndarray) -> np.ndarray:
    return s @ matrix @ np.linalg.inv(s)


def _warp_to_reference(
    moving: np.ndarray, matrix: np.ndarray, size: tuple[int, int], *, fill: float = -1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Moving proxy warped into reference coordinates and its validity (bool).

    ``fill`` marks pixels from outside the frame; it must lie below every image value.
    """
    flags = cv2.INTER_LINEAR
    if np.allclose(matrix[2], [0, 0, 1]):
        warped = cv2.warpAffine(moving, matrix[:2], size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    else:
        warped = cv2.warpPerspective(moving, matrix, size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    return warped, warped > fill / 2


def reference_gradient(reference: np.ndarray) -> np.ndarray:
    """Blurred gradient magnitude ``|gx| + |gy|`` of a proxy (what :func:`static_mask`'s
    slack multiplies); it depends on the reference only, so a solver computes it once."""
    gx = cv2.Sobel(reference, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)
    gy = cv2.Sobel(reference, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)
    return cv2.GaussianBlur(cv2.add(cv2.absdiff(gx, 0.0), cv2.absdiff(gy, 0.0)), (0, 0), 1.5)


def static_mask(
    reference: np.ndarray,
    warped: np.ndarray,
    valid: np.ndarray,
    *,
    previous: np.ndarray | None = None,
    threshold: float = 3.5,
    dilate: int = 2,
    floor: float = 0.02,
    slack: float = 0.75,
    gradient: np.ndarray | None = None,
) -> np.ndarray:
    """Pixels that agree with the camera solution: the static set (uint8, 255 = static).

    Parameters
    ----------
    reference, warped : (h, w) float32 proxies in reference coordinates.
    valid : (h, w) bool or uint8 (non-zero = valid), where ``warped`` is defined.
    previous : (h, w) uint8 static mask used for the gain normalisation, or None.
    threshold : residual above ``threshold`` robust standard deviations counts as moving.
    dilate : dilation radius of the moving regions in pixels.
    floor : smallest residual (in standard deviations of the image) counted as moving.
    slack : a residual that a misalignment of up to ``slack`` pixels explains (local
        gradient times ``slack``) is not motion: an unfinished solve does not mask out
        the very edges it still needs.
    gradient : :func:`reference_gradient` of ``reference`` if already computed.

    All per-pixel work is done by OpenCV (a 960x540 mask costs ~1.5 ms, not ~5 ms in NumPy).
    """
    valid8 = valid.view(np.uint8) if valid.dtype == bool else valid
    use = valid8 if previous is None else cv2.bitwise_and(valid8, previous)
    if cv2.countNonZero(use) < 64:
        use = valid8
    # statistics on a regular subsample (~20k pixels): as good, and cheaper
    h, w = reference.shape
    step = max(1, int(np.sqrt(h * w / 20000)))
    sub = use[::step, ::step] > 0
    if not sub.any():
        sub = np.ones_like(sub)
    # gain/offset normalisation (flicker): match mean and std over the static set
    ref_v, war_v = reference[::step, ::step][sub], warped[::step, ::step][sub]
    rm, rs = float(ref_v.mean()), float(ref_v.std()) + 1e-6
    wm, ws = float(war_v.mean()), float(war_v.std()) + 1e-6
    diff = cv2.addWeighted(reference, 1.0 / rs, warped, -1.0 / ws, wm / ws - rm / rs)
    residual = cv2.GaussianBlur(cv2.absdiff(diff, 0.0), (0, 0), 1.5)
    r_static = residual[::step, ::step][sub]
    med = float(np.median(r_static))
    mad = float(np.median(np.abs(r_static - med))) * 1.4826
    limit = max(med + threshold * mad, floor)
    if slack > 0:
        grad = gradient if gradient is not None else reference_gradient(reference)
        moving = cv2.compare(residual, cv2.addWeighted(grad, slack / rs, grad, 0.0, limit), cv2.CMP_GT)
    else:
        moving = cv2.compare(residual, limit, cv2.CMP_GT)
    moving = cv2.bitwise_and(moving, moving, mask=valid8)
    if dilate > 0:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilate + 1, 2 * dilate + 1))
        moving = cv2.dilate(moving, k)
    keep = cv2.bitwise_and(cv2.bitwise_not(moving), cv2.bitwise_not(moving), mask=valid8)
    # keep a 1-pixel margin off the invalid border (bilinear mixes in the fill value)
    return cv2.erode(keep, np.ones((3, 3), np.uint8))


def _motion_jacobian(motion: str, u: np.ndarray, v: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Steepest-descent images (K, P) of the inverse-compositional update at the identity.

    ``u, v`` are normalised point coordinates, ``gx, gy`` the reference gradients with
    respect to them. Parameters: translation (tx, ty); similarity (a, b, tx, ty) with
    ``x' = (1+a)u - b v + tx``; homography (8 entries of ``H - I``, row-major without h33).
    """
    if motion == "translation":
        cols = [gx, gy]
    elif motion == "similarity":
        cols = [gx * u + gy * v, -gx * v + gy * u, gx, gy]
    else:
        cols = [gx * u, gx * v, gx, gy * u, gy * v, gy, -(gx * u + gy * v) * u, -(gx * u + gy * v) * v]
    return np.stack(cols, axis=1).astype(np.float64)


def _delta_matrix(motion: str, p: np.ndarray) -> np.ndarray:
    """(3, 3) warp of the parameter update ``p`` in normalised coordinates."""
    if motion == "translation":
        return np.array([[1.0, 0.0, p[0]], [0.0, 1.0, p[1]], [0.0, 0.0, 1.0]])
    if motion == "similarity":
        a, b, tx, ty = p
        return np.array([[1.0 + a, -b, tx], [b, 1.0 + a, ty], [0.0, 0.0, 1.0]])
    return np.eye(3) + np.array([[p[0], p[1], p[2]], [p[3], p[4], p[5]], [p[6], p[7], 0.0]])


def _balanced_points(mag: np.ndarray, *, fraction: float, max_points: int, cells: int = 24) -> np.ndarray:
    """Flat indices of the strongest-gradient pixels, the same quota in every grid cell.

    An equal share per cell keeps a strongly textured puppet from outweighing a plainer
    set just by its number of edges: the static set wins by area, not by texture.
    Pixels whose gradient is below 1/4 of the image's 90th percentile are never taken.
    """
    h, w = mag.shape
    cell = max(4, int(np.ceil(max(w, h) / cells)))
    cy, cx = np.divmod(np.arange(h * w), w)
    cid = (cy // cell) * (-(-w // cell)) + (cx // cell)
    flat = mag.ravel()
    order = np.lexsort((-flat, cid))
    sorted_cid = cid[order]
    starts = np.searchsorted(sorted_cid, sorted_cid, side="left")
    rank = np.arange(len(order)) - starts
    per_cell = max(1, int(fraction * cell * cell))
    floor = 0.25 * float(np.percentile(flat, 90))
    keep = order[(rank < per_cell) & (flat[order] > max(floor, 1e-6))]
    if len(keep) > max_points:
        keep = np.random.default_rng(0).choice(keep, max_points, replace=False)
    return np.sort(keep)


class _PointLevel:
    """Reference side of the inverse-compositional refinement at one pyramid level.

    Holds the textured reference pixels (strongest gradients, deterministic subset), their
    values and the steepest-descent images: all that depends on the reference only, so a
    frame costs one sparse ``remap`` and a small least-squares solve per iteration.
    """

    def __init__(self, reference: np.ndarray, motion: str, *, fraction: float = 0.3, max_points: int = 40000) -> None:
        smooth = cv2.GaussianBlur(reference, (5, 5), 0)
        h, w = smooth.shape
        gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)
        gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)
        mag = np.hypot(gx, gy)
        border = 3
        mag[:border], mag[-border:], mag[:, :border], mag[:, -border:] = 0, 0, 0, 0
        idx = _balanced_points(mag, fraction=fraction, max_points=max_points)
        ys, xs = np.divmod(idx, w)
        self.size = (w, h)
        self.xs, self.ys = xs.astype(np.float64), ys.astype(np.float64)
        self.values = smooth.ravel()[idx].astype(np.float64)
        # normalised coordinates: u = (x - cx) / s, v = (y - cy) / s
        self.centre = ((w - 1) / 2, (h - 1) / 2)
        self.scale = max(w, h) / 2
        self.to_norm = np.array(
            [[1 / self.scale, 0, -self.centre[0] / self.scale], [0, 1 / self.scale, -self.centre[1] / self.scale], [0, 0, 1.0]]
        )
        u = (self.xs - self.centre[0]) / self.scale
        v = (self.ys - self.centre[1]) / self.scale
        g = self.scale  # gradient with respect to normalised coordinates
        self.sd = _motion_jacobian(motion, u, v, gx.ravel()[idx] * g, gy.ravel()[idx] * g)
        self.motion = motion
        # remap wants a 2-D map narrower than SHRT_MAX: pad to rows of 256
        self.n = len(idx)
        self.rows = -(-self.n // 256)
        pts = np.zeros((self.rows * 256, 1, 2), np.float32)
        pts[: self.n, 0, 0], pts[: self.n, 0, 1] = xs, ys
        self.points = pts
        # the point's cell of the grid the candidate cost takes its median over
        cw, ch = _CELLS
        self.cell = (np.minimum(ys * ch // h, ch - 1) * cw + np.minimum(xs * cw // w, cw - 1)).astype(np.intp)
        self.cells = cw * ch
        # cell statistics on a regular subsample (points are in raster order): ~4k points
        self.cell_step = max(1, self.n // 4000)
        self.cell_sub = self.cell[:: self.cell_step]

    def sample(self, image: np.ndarray, warp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values of ``image`` at ``warp @ point`` (reference -> moving) and their validity.

        ``image`` comes from :func:`_sampling_image`: NaN in a 3-pixel frame, so a point
        whose bilinear footprint touches the border (or lies outside) reads NaN = invalid.
        """
        if self.motion == "homography":
            mapped = cv2.perspectiveTransform(self.points, warp)
        else:
            mapped = cv2.transform(self.points, warp[:2])
        vals = cv2.remap(image, mapped.reshape(self.rows, 256, 2), None, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=float("nan"))  # fmt: skip
        vals = vals.ravel()[: self.n].astype(np.float64)
        return vals, ~np.isnan(vals)


def _sampling_image(image: np.ndarray, *, border: int = 3) -> np.ndarray:
    """What :meth:`_PointLevel.sample` reads: the image blurred like the reference points'
    values, with a ``border``-pixel frame of NaN (the blur is padded by reflection there)."""
    smooth = cv2.GaussianBlur(image, (5, 5), 0)
    smooth[:border], smooth[-border:], smooth[:, :border], smooth[:, -border:] = np.nan, np.nan, np.nan, np.nan
    return smooth


def _contrast_cost(
    reference: np.ndarray, moving: np.ndarray, matrix: np.ndarray, *, clip: float = 1.0, cells: tuple[int, int] | None = _CELLS
) -> float:
    """Truncated absolute difference of locally contrast-normalised images after warping ``moving``.

    ``reference``/``moving`` come from :func:`_local_contrast`; lower is better. Independent
    of any foreground mask, so candidates are compared fairly: what moves costs at most
    ``clip`` per pixel wherever the camera solution puts it. The cost is the *median over
    a grid of cells* of each cell's mean: every part of the frame votes once, so a large,
    textured puppet that a wrong solution lines up wins only the cells it covers, while
    the set around it, however plain, wins the rest. ``cells=None`` gives the plain mean.
    """
    h, w = reference.shape
    warped, _ = _warp_to_reference(moving, matrix, (w, h), fill=-1e6)
    valid = warped > -100  # no mixing with the outside at all
    if valid.mean() < 0.5:
        return np.inf
    if cells is None:
        return float(np.minimum(np.abs(reference[valid] - warped[valid]), clip).mean())
    d = np.where(valid, np.minimum(np.abs(reference - warped), clip), 0).astype(np.float32)
    v = valid.astype(np.float32)
    dsum = cv2.resize(d, cells, interpolation=cv2.INTER_AREA)
    vsum = cv2.resize(v, cells, interpolation=cv2.INTER_AREA)
    use = vsum > 0.5
    return float(np.median(dsum[use] / vsum[use]))


def _local_contrast(image: np.ndarray, *, sigma: float = 4.0, floor: float = 0.01) -> np.ndarray:
    """Local contrast normalisation: every region's texture counts alike, flat areas stay flat."""
    mean = cv2.GaussianBlur(image, (0, 0), sigma)
    detail = image - mean
    spread = np.sqrt(cv2.GaussianBlur(detail * detail, (0, 0), sigma))
    return detail / (spread + floor)


def _shift_candidates(
    reference: np.ndarray,
    moving: np.ndarray,
    *,
    radius: int,
    peaks: int = 3,
    clip: float = 1.0,
    cells: tuple[int, int] | None = _CELLS,
) -> list[np.ndarray]:
    """Integer translations (level pixels, moving -> reference) with the lowest robust cost.

    ``reference`` and ``moving`` are locally contrast-normalised (:func:`_local_contrast`).
    Exhaustive search over ``[-radius, radius]^2`` at a coarse level of the truncated
    absolute difference of the locally contrast-normalised images: every region votes
    with its area whatever its contrast, and a puppet, however textured, can only cost
    ``clip`` per pixel; the cost is the median over a grid of ``cells`` of each cell's
    mean, as in :func:`_contrast_cost`. Returns the ``peaks`` best shifts that are local minima.
    """
    a, b = reference, moving
    h, w = a.shape
    r = int(radius)
    fitted = None
    if cells is None:
        costs = np.full((2 * r + 1, 2 * r + 1), np.inf, np.float32)
        for dy in range(-r, r + 1):
            ya, yb = max(0, dy), min(h, h + dy)  # reference rows; moving rows are shifted by -dy
            for dx in range(-r, r + 1):
                xa, xb = max(0, dx), min(w, w + dx)
                d = cv2.absdiff(a[ya:yb, xa:xb], b[ya - dy : yb - dy, xa - dx : xb - dx])
                costs[dy + r, dx + r] = cv2.mean(cv2.min(d, clip))[0]
    else:
        # cells of whole pixels: crop to a multiple of the grid (a few rows/columns at most)
        cw, ch = cells
        hh, ww = h // ch, w // cw
        a = np.ascontiguousarray(a[: ch * hh, : cw * ww], np.float32)
        hc, wc = a.shape
        # outside the moving frame a pixel costs exactly ``clip``: pad with a far value
        padded = cv2.copyMakeBorder(b.astype(np.float32), r, r, r, r, cv2.BORDER_CONSTANT, value=1e6)
        means = np.empty((2 * r + 1, 2 * r + 1, ch, cw), np.float32)
        for i in range(2 * r + 1):
            for j in range(2 * r + 1):
                d = cv2.min(cv2.absdiff(a, padded[i : i + hc, j : j + wc]), clip)
                means[i, j] = cv2.resize(d, (cw, ch), interpolation=cv2.INTER_AREA)
        # fraction of each cell inside the moving frame: window i is the shift dy = r - i
        shifts = r - np.arange(2 * r + 1)
        ys, xs = np.arange(hc), np.arange(wc)
        rows = ((ys[None] - shifts[:, None] >= 0) & (ys[None] - shifts[:, None] < h)).reshape(-1, ch, hh).mean(2)
        cols = ((xs[None] - shifts[:, None] >= 0) & (xs[None] - shifts[:, None] < w)).reshape(-1, cw, ww).mean(2)
        cover = rows[:, None, :, None] * cols[None, :, None, :]
        with np.errstate(all="ignore"):
            per_cell = np.where(cover > 0.5, (means - clip * (1 - cover)) / cover, np.nan)
            costs = np.nanmedian(per_cell.reshape(2 * r + 1, 2 * r + 1, -1), axis=2)[::-1, ::-1]
        costs = np.where(np.isfinite(costs), costs, np.inf).astype(np.float32)
        fitted = _fit_cell_shifts(per_cell[::-1, ::-1], r, hh, ww)
    local_min = costs <= cv2.erode(costs, np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero(local_min & np.isfinite(costs))
    order = np.argsort(costs[ys, xs])[:peaks]
    out = [np.array([[1.0, 0.0, xs[i] - r], [0.0, 1.0, ys[i] - r], [0.0, 0.0, 1.0]]) for i in order]
    if cells is not None and fitted:
        out.extend(fitted)
    return out


def _fit_cell_shifts(per_cell: np.ndarray, r: int, hh: int, ww: int, *, models: int = 2) -> list[np.ndarray]:
    """Similarities (moving -> reference) fitted by RANSAC to each cell's best shift.

    ``per_cell[dy + r, dx + r, row, col]`` is a cell's cost at shift (dx, dy). A bump is
    rarely a pure translation: its zoom or rotation moves the frame's cells by different
    shifts, which a single shift cannot follow but a similarity through the cells that
    agree can - a start a few pixels from the truth. The cells' shifts are refined to
    sub-pixel (a parabola through the neighbouring shifts' costs) and up to ``models``
    similarities are fitted in turn, each to the cells the previous ones left out: the
    set and a large puppet can differ by only a pixel at this level, and the puppet may
    hold the most cells that agree (a plain set leaves few cells with a clear shift).
    """
    n = 2 * r + 1
    ch, cw = per_cell.shape[2:]
    cube = np.where(np.isfinite(per_cell), per_cell, np.inf)
    flat = cube.reshape(n * n, ch, cw)
    best = flat.argmin(axis=0)
    usable = np.isfinite(flat.min(axis=0))
    if usable.sum() < 6:
        return []
    iy, ix = best // n, best % n
    rows, cols = np.mgrid[0:ch, 0:cw]

    def offset(lo, mid, hi):  # parabola vertex, in [-0.5, 0.5]; 0 where a side is missing
        den = lo - 2 * mid + hi
        with np.errstate(all="ignore"):
            o = np.where(np.isfinite(den) & (den > 1e-9), 0.5 * (lo - hi) / den, 0.0)
        return np.clip(o, -0.5, 0.5)

    c0 = cube[iy, ix, rows, cols]
    ox = offset(cube[iy, np.maximum(ix - 1, 0), rows, cols], c0, cube[iy, np.minimum(ix + 1, n - 1), rows, cols])
    oy = offset(cube[np.maximum(iy - 1, 0), ix, rows, cols], c0, cube[np.minimum(iy + 1, n - 1), ix, rows, cols])
    dx, dy = ix - r + np.where((ix > 0) & (ix < n - 1), ox, 0), iy - r + np.where((iy > 0) & (iy < n - 1), oy, 0)
    ref = np.stack([cols * ww + (ww - 1) / 2, rows * hh + (hh - 1) / 2], axis=-1)[usable].astype(np.float32)
    mov = ref - np.stack([dx, dy], axis=-1)[usable].astype(np.float32)
    out = []
    left = np.ones(len(ref), bool)
    for _ in range(models):
        if left.sum() < 6:
            break
        m, inliers = cv2.estimateAffinePartial2D(mov[left], ref[left], method=cv2.RANSAC, ransacReprojThreshold=0.6)
        if m is None or inliers is None or inliers.sum() < 4:
            break
        out.append(np.vstack([m, [0.0, 0.0, 1.0]]))
        idx = np.flatnonzero(left)
        left[idx[inliers.ravel() > 0]] = False
    return out


class _Pyramid(list):
    """A frame's proxies ``(image, scale matrix)`` per level, coarsest first, plus a cache
    of what is derived from them during one solve (contrast images, sampling images)."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.cache: dict = {}


class CameraSolver:
    """Solves frames against one reference still; holds the reference pyramid.

    Safe to call from several threads at once (state is read-only after construction).

    Parameters
    ----------
    reference : (H, W[, C]) ndarray, the reference still.
    motion : ``translation``, ``similarity`` (default) or ``homography``.
    coarse : learned coarse aligner (callable on two proxies) or None (no learned start).
    finest_width : width of the finest pyramid level (the solve is sub-pixel there).
    coarsest_width : smallest pyramid level width.
    reject_foreground : mask out pixels that move against the camera (the puppet).
    search : also start from the best translations of an exhaustive coarse search up to
        this fraction of the frame width (big bumps); 0 disables it.
    """

    #: misalignment (level pixels) the static mask tolerates once candidates are settled
    slack = 0.3
    #: a last static set at the finest level (no slack) and one more refinement there
    #: (computing it one level below, or before the first finest refinement, was
    #: measured: rocket's median error 0.026 -> 0.045-0.055 px)
    final_round = True
    #: static-set rounds per candidate at the candidate level (the winner gets one more)
    candidate_rounds = 1
    #: a few Gauss-Newton steps at the coarsest level before the candidates are scored
    coarse_polish = True
    #: translations kept from the coarse shift search
    search_peaks = 3
    #: blur (coarsest-level pixels) of the contrast images in the shift search
    search_blur = 1.0
    #: refinement points (strongest reference gradients) at the finest level
    finest_points = 20000
    #: candidates refined and compared at the candidate level
    finalists = 2
    #: a cheap start (identity, learned guess) is taken alone, without the shift search,
    #: when its candidate-level cost rises at least this factor once it is moved off by
    #: ``verify_shift`` candidate-level pixels (:meth:`verification_ratio`); 0 disables
    verify_ratio = 1.8
    verify_shift = 2.0
    #: the same ratio at the coarsest level below which a cheap start is not even verified
    precheck_ratio = 1.2
    #: radius (coarsest-level pixels) of the small shift search around an unverified
    #: learned guess (0: none)
    local_radius = 3
    #: refine on locally contrast-normalised images at the candidate levels
    contrast_refine = True
    #: the refinement uses only the cells (of the candidate cost's grid) whose residual is
    #: at most ``cell_trim_slack`` x the median cell's (:meth:`_trim_cells`)
    cell_trim = True
    cell_trim_slack = 1.0
    #: ... also at the finest level
    cell_trim_finest = False

    def __init__(
        self,
        reference: np.ndarray,
        *,
        motion: str = "similarity",
        coarse: CoarseEstimate | None = None,
        finest_width: int = 960,
        coarsest_width: int = 100,
        reject_foreground: bool = True,
        search: float = 0.06,
    ) -> None:
        if motion not in MOTION_MODELS:
            raise ValueError(f"motion must be one of {MOTION_MODELS}, got {motion!r}")
        self.motion = motion
        self.coarse = coarse
        self.reject_foreground = reject_foreground
        self.search = search
        self.height, self.width = reference.shape[:2]
        self.widths = _level_widths(self.width, finest_width=finest_width, coarsest_width=coarsest_width)
        self.reference_levels = self._pyramid(reference)
        self.reference_gradients = [reference_gradient(img) for img, _ in self.reference_levels]
        n = len(self.widths)
        self.reference_contrast = _local_contrast(self.reference_levels[0][0], sigma=2.0)
        #: the level where candidates are compared (the second coarsest, ~240 px wide)
        self.candidate_level = min(1, n - 1)
        self.reference_contrast1 = _local_contrast(self.reference_levels[self.candidate_level][0], sigma=2.0)
        # the static (foreground) mask is estimated once, at the level nearest 240 px wide
        self.mask_level = min(range(n), key=lambda i: abs(self.widths[i] - 240)) if n > 1 else 0
        self.point_levels = {
            i: _PointLevel(self._level_image(i, self.reference_levels[i][0]), motion,
                           max_points=self.finest_points if i == n - 1 else 20000)
            for i in range(n)
        }  # fmt: skip

    def _level_image(self, level: int, image: np.ndarray) -> np.ndarray:
        """What the refinement matches at ``level``: locally contrast-normalised at the
        candidate levels (every region pulls by its area, not its contrast), raw above."""
        if self.contrast_refine and level <= self.candidate_level and level < len(self.widths) - 1:
            return _local_contrast(image, sigma=2.0)
        return image

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def _contrast(self, levels: _Pyramid, level: int) -> np.ndarray:
        """Locally contrast-normalised proxy of the frame at ``level`` (cached)."""
        key = ("contrast", level)
        if key not in levels.cache:
            levels.cache[key] = _local_contrast(levels[level][0], sigma=2.0)
        return levels.cache[key]

    def _sampling(self, levels: _Pyramid, level: int) -> np.ndarray:
        """The frame at ``level`` as the refinement samples it (cached)."""
        key = ("sampling", level)
        if key not in levels.cache:
            use_contrast = self.contrast_refine and level <= self.candidate_level and level < len(self.widths) - 1
            image = self._contrast(levels, level) if use_contrast else levels[level][0]
            levels.cache[key] = _sampling_image(image)
        return levels.cache[key]

    def finest_proxy(self, frame: np.ndarray) -> np.ndarray:
        """The frame's grayscale proxy at the finest level (all a solve needs of it)."""
        if frame.shape[:2] != (self.height, self.width):
            raise ValueError(
                f"frame is {frame.shape[1]}x{frame.shape[0]}, the reference is {self.width}x{self.height}"
            )
        return gray_proxy(frame, width=self.widths[-1])

    def _pyramid(self, frame: np.ndarray) -> _Pyramid:
        return self.pyramid_from_proxy(self.finest_proxy(frame))

    def pyramid_from_proxy(self, finest: np.ndarray) -> _Pyramid:
        """The solve's pyramid from :meth:`finest_proxy` (for :meth:`solve_pyramid`)."""
        levels = [np.asarray(finest, np.float32)]
        for w in reversed(self.widths[:-1]):
            h = max(1, round(self.height * w / self.width))
            levels.append(cv2.resize(levels[-1], (w, h), interpolation=cv2.INTER_AREA))
        out = _Pyramid()
        for img in reversed(levels):
            h, w = img.shape
            out.append((img, scale_matrix(w / self.width, h / self.height)))
        return out

    def _refine_points(
        self,
        level: int,
        levels: _Pyramid,
        matrix_full: np.ndarray,
        mask: np.ndarray | None,
        *,
        iterations: int = 12,
        tolerance: float = 0.003,
        cutoff: float = 3.0,
        trim: bool | None = None,
    ) -> tuple[np.ndarray, float, float]:
        """Sparse inverse-compositional Gauss-Newton at one level, robust to what moves.

        Each iteration samples the moving proxy at the warped reference points, fits gain
        and offset (flicker), drops points outside the static ``mask`` or with a residual
        above ``cutoff`` robust standard deviations, and composes the inverse update.

        Returns the refined full-resolution matrix, the correlation of the kept points and
        the fraction of points kept.
        """
        pl = self.point_levels[level]
        reference, s = self.reference_levels[level]
        h, w = reference.shape
        smooth = self._sampling(levels, level)
        if trim is None:
            trim = self.cell_trim and (self.cell_trim_finest or level < len(self.widths) - 1)
        trim = trim and self.reject_foreground
        # warp: reference -> moving in normalised coordinates
        warp_px = _normalise(np.linalg.inv(_to_level(matrix_full, s)))
        warp_n = pl.to_norm @ warp_px @ np.linalg.inv(pl.to_norm)
        if mask is not None and self.reject_foreground:
            m = mask if mask.shape == (h, w) else cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
            in_mask = m[pl.ys.astype(np.intp), pl.xs.astype(np.intp)] > 0
        else:
            in_mask = np.ones(pl.n, bool)
        corners = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]) * np.array(pl.centre) / pl.scale
        kept = 0.0
        from_norm = np.linalg.inv(pl.to_norm)
        weight = in_mask
        err = np.zeros(pl.n)
        for _ in range(iterations):
            vals, valid = pl.sample(smooth, from_norm @ warp_n @ pl.to_norm)
            use = valid & in_mask
            n_use = int(use.sum())
            if n_use < 32:
                break
            r, m = pl.values[use], vals[use]
            # gain/offset: moving ~ a * reference + b over the points in use
            rm, mm = r.mean(), m.mean()
            rc = r - rm
            # (elementwise sums, not BLAS dot: a threaded ddot stalls on a busy machine)
            a = float((rc * (m - mm)).sum()) / (float((rc * rc).sum()) + 1e-12)
            if not np.isfinite(a) or a <= 0.05:
                break
            b = mm - a * rm
            err = (vals - b) * (1.0 / a) - pl.values
            weight = use
            if self.reject_foreground:
                e_use = np.abs(err[use])
                if e_use.size > 8000:  # a regular subsample estimates the median as well
                    e_use = e_use[:: e_use.size // 4000]
                sigma = 1.4826 * float(np.median(e_use)) + 1e-4
                weight = use & (np.abs(err) < cutoff * sigma)
                if trim:
                    weight = self._trim_cells(pl, use, err, weight, cutoff * sigma)
            sd = np.compress(weight, pl.sd, axis=0)
            hess = sd.T @ sd
            grad = (sd * err[weight][:, None]).sum(axis=0)
            try:
                dp = np.linalg.solve(hess, grad)
            except np.linalg.LinAlgError:
                break
            delta = _delta_matrix(self.motion, dp)
            warp_n = _normalise(warp_n @ np.linalg.inv(delta))
            kept = float(weight.sum() / n_use)
            step = np.abs(apply_matrix(delta, corners) - corners).max() * pl.scale
            if step < tolerance:
                break
        rho = -1.0
        if weight.sum() > 2:
            rk = pl.values[weight]
            ek = rk + err[weight]
            rk, ek = rk - rk.mean(), ek - ek.mean()
            rho = float((rk * ek).sum() / np.sqrt((rk * rk).sum() * (ek * ek).sum() + 1e-30))
        warp_px = from_norm @ warp_n @ pl.to_norm
        matrix = _normalise(np.linalg.inv(warp_px))
        return np.linalg.inv(s) @ matrix @ s, rho, kept

    def _trim_cells(self, pl: _PointLevel, use: np.ndarray, err: np.ndarray, weight: np.ndarray, clip: float) -> np.ndarray:
        """``weight`` restricted to the better-aligned cells (the cost's grid): the cells
        whose mean truncated residual is at most the median over the cells with points.

        The candidate cost is a median over cells: a solution is right when the majority
        of the cells agree with it, whatever the number of points each holds. The
        refinement follows the same rule - a textured puppet owning most of the points but
        a minority of the cells cannot pull the solve off the set's cells (without this a
        near-static puppet over a plain sky dragged solves started at the truth 5-7 px off).
        """
        k = pl.cell_step
        u = use[::k]
        c = pl.cell_sub[u]
        cnt = np.bincount(c, minlength=pl.cells)
        tot = np.bincount(c, weights=np.minimum(np.abs(err[::k][u]), clip), minlength=pl.cells)
        has = cnt * k >= 8
        if has.sum() < 6:
            return weight
        cell_err = np.full(pl.cells, np.inf)
        cell_err[has] = tot[has] / cnt[has]
        good = cell_err <= np.median(cell_err[has]) * self.cell_trim_slack
        return weight & good[pl.cell]

    def _cost0(self, contrast: np.ndarray, matrix: np.ndarray, s0: np.ndarray) -> float:
        return _contrast_cost(self.reference_contrast, contrast, _to_level(matrix, s0))

    def _polished(self, levels, contrast: np.ndarray, matrix: np.ndarray) -> tuple[float, np.ndarray]:
        """(coarsest-level cost, start) after a few Gauss-Newton steps at the coarsest level.

        A start that is right up to a rotation or zoom then scores as what it is. The
        steps are kept only if they lower the cost (they can drift onto a puppet that owns
        most of the textured points).
        """
        s0 = levels[0][1]
        cost = self._cost0(contrast, matrix, s0)
        if not self.coarse_polish or len(levels) < 2:
            return cost, matrix
        mask0 = self._static_mask(0, levels[0][0], matrix, None) if self.reject_foreground else None
        p = self._refine_points(0, levels, matrix, mask0, iterations=6, tolerance=0.02)[0]
        cost_p = self._cost0(contrast, p, s0)
        return (cost_p, p) if cost_p < cost else (cost, matrix)

    def _at_candidate_level(self, levels, start: np.ndarray) -> tuple[np.ndarray, float, np.ndarray | None]:
        """(matrix, correlation, static mask) after the candidate level's static set and
        Gauss-Newton refinement from ``start``."""
        lv = self.candidate_level
        m, mask, rho = np.asarray(start, float), None, -1.0
        for _ in range(self.candidate_rounds if self.reject_foreground else 1):
            if self.reject_foreground:
                mask = self._static_mask(lv, levels[lv][0], m, mask)
            m, rho, _ = self._refine_points(lv, levels, m, mask, iterations=10, tolerance=0.02)
        return m, rho, mask

    def _ratio0(self, contrast: np.ndarray, matrix: np.ndarray, cost: float, s0: np.ndarray) -> float:
        """:meth:`verification_ratio` at the coarsest level (2 px there): a cheap pre-check."""
        if not np.isfinite(cost):
            return 0.0
        d = self.verify_shift
        ml = _to_level(matrix, s0)
        worst = min(
            _contrast_cost(self.reference_contrast, contrast, np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]]) @ ml)
            for dx, dy in ((d, 0.0), (-d, 0.0), (0.0, d), (0.0, -d))
        )
        return float(worst / max(cost, 1e-6))

    def _cost1(self, levels, matrix: np.ndarray) -> float:
        lv = self.candidate_level
        return _contrast_cost(self.reference_contrast1, self._contrast(levels, lv), _to_level(matrix, levels[lv][1]))

    def verification_ratio(self, levels, matrix: np.ndarray, cost: float | None = None) -> float:
        """How sharply the candidate-level cost rises when ``matrix`` is moved off by
        :attr:`verify_shift` candidate-level pixels (the least rise of four directions).

        Aligned on the set, most cells (the set) go from aligned to misaligned and the
        cell-median cost roughly doubles or more (measured 2.1-5.5 on correct starts); a
        start that is off, or locked onto the puppet (which owns only a minority of the
        cells), barely changes it (0.9-1.5).
        """
        cost = self._cost1(levels, matrix) if cost is None else cost
        if not np.isfinite(cost):
            return 0.0
        lv = self.candidate_level
        ml = _to_level(matrix, levels[lv][1])
        contrast = self._contrast(levels, lv)
        d = self.verify_shift
        worst = np.inf
        for dx, dy in ((d, 0.0), (-d, 0.0), (0.0, d), (0.0, -d)):
            t = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])
            worst = min(worst, _contrast_cost(self.reference_contrast1, contrast, t @ ml))
        return float(worst / max(cost, 1e-6))

    def _search_starts(self, levels, moving_contrast: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """The exhaustive coarse shift search's best translations and the similarity
        fitted to the cells' best shifts (full-resolution matrices)."""
        s = levels[0][1]
        radius = max(2, int(np.ceil(self.search * levels[0][0].shape[1])))
        ref_c, mov_c = self.reference_contrast, moving_contrast
        if self.search_blur > 0:  # a wider basin: a rotation or zoom still lands near its shift
            ref_c = cv2.GaussianBlur(ref_c, (0, 0), self.search_blur)
            mov_c = cv2.GaussianBlur(mov_c, (0, 0), self.search_blur)
        return [("search", np.linalg.inv(s) @ t @ s)
                for t in _shift_candidates(ref_c, mov_c, radius=radius, peaks=self.search_peaks)]  # fmt: skip

    def _local_starts(self, levels, moving_contrast: np.ndarray, around: np.ndarray) -> list[np.ndarray]:
        """A small shift search (:attr:`local_radius` coarsest-level pixels) around a guess:
        its best translation and the similarity fitted to the cells' best shifts, composed
        with the guess (full-resolution matrices). A learned guess 10-30 px off at 1080p is
        1-2 px off here: this finds its basin for a fraction of the exhaustive search."""
        s = levels[0][1]
        a0 = _normalise(_to_level(around, s))
        h, w = moving_contrast.shape
        ref_c = self.reference_contrast
        mov_c, _ = _warp_to_reference(moving_contrast, a0, (w, h), fill=1e6)
        if self.search_blur > 0:
            ref_c = cv2.GaussianBlur(ref_c, (0, 0), self.search_blur)
            mov_c = cv2.GaussianBlur(mov_c, (0, 0), self.search_blur)
        mov_c = np.where(mov_c > 1e3, np.float32(1e6), mov_c).astype(np.float32)  # the outside stays outside
        shifts = _shift_candidates(ref_c, mov_c, radius=self.local_radius, peaks=1)
        return [np.linalg.inv(s) @ t @ a0 @ s for t in shifts]

    def _learned_start(self, levels) -> np.ndarray | None:
        try:
            guess = self.coarse(levels[0][0], self.reference_levels[0][0])
            guess = np.linalg.inv(levels[0][1]) @ guess @ levels[0][1]
            return project_to_motion(guess, self.motion, size=self.size)
        except (cv2.error, np.linalg.LinAlgError):
            return None

    def _candidates(self, levels, contrast: np.ndarray) -> tuple[list, bool]:
        """The candidates refined at the candidate level: ``[(name, (matrix, rho, mask))]``.

        Cheap starts first - the identity, then the learned coarse aligner's guess (if
        any) - each polished at the coarsest level and refined at the candidate level;
        the first that passes :meth:`verification_ratio` goes on alone. Only when none
        verifies is the exhaustive shift search run; every start is then scored by the
        coarsest-level cost and the best :attr:`finalists` are refined at the candidate
        level (a cheap start's refinement is reused). Returns them and whether the
        search ran.
        """
        s0 = levels[0][1]
        w0, h0 = levels[0][0].shape[::-1]
        scored: list[tuple[float, str, np.ndarray]] = []
        refined: dict[int, tuple] = {}
        seen: list[np.ndarray] = []

        def add(name: str, m: np.ndarray) -> tuple[float, np.ndarray] | None:
            ml = _to_level(m, s0)  # drop starts within half a coarsest-level pixel of an earlier one
            if any(corner_error(ml, o, size=(w0, h0)) <= 0.5 for o in seen):
                return None
            seen.append(ml)
            cost, p = self._polished(levels, contrast, m)
            scored.append((cost, name, p))
            return cost, p

        failed: list[np.ndarray] = []  # polished starts (coarsest level) that did not verify

        def verified(name: str, m: np.ndarray) -> list | None:
            got = add(name, m)
            if got is None or self.verify_ratio <= 0:
                return None
            pl = _to_level(got[1], s0)
            if any(corner_error(pl, f, size=(w0, h0)) <= 0.5 for f in failed):
                return None  # polished onto a solution that already failed
            # a start whose coarsest-level cost barely changes when moved is off (or on the
            # puppet): no candidate-level refinement for its verification (3 of 88 starts
            # that verified were dropped this way, 32 of 56 that did not were spared it)
            if self._ratio0(contrast, got[1], got[0], s0) >= self.precheck_ratio:
                r = refined[len(scored) - 1] = self._at_candidate_level(levels, got[1])
                if self.verification_ratio(levels, r[0]) >= self.verify_ratio:
                    return [(name, r)]
            failed.append(pl)
            return None

        if (out := verified("identity", np.eye(3))) is not None:
            return out, False
        guess = self._learned_start(levels) if self.coarse is not None else None
        if guess is not None:
            if (out := verified("learned", guess)) is not None:
                return out, False
            if self.local_radius > 0:  # the guess's neighbourhood: a small search around it
                for m in self._local_starts(levels, contrast, guess):
                    if (out := verified("learned", m)) is not None:
                        return out, False
        if self.search > 0:
            for name, m in self._search_starts(levels, contrast):
                add(name, m)
        order = sorted(range(len(scored)), key=lambda i: scored[i][0])[: self.finalists]  # stable: ties keep order
        out = [(scored[i][1], refined[i] if i in refined else self._at_candidate_level(levels, scored[i][2]))
               for i in order]  # fmt: skip
        return out, self.search > 0

    def solve(self, moving: np.ndarray, *, initial: np.ndarray | None = None) -> Alignment:
        """Transform of ``moving`` to the reference.

        Parameters
        ----------
        moving : (H, W[, C]) ndarray, same size as the reference.
        initial : (3, 3) starting estimate (moving -> reference); default: the identity,
            then the coarse aligner's guess (if any), each verified by the robust cost;
            if neither verifies, also the best translations of a coarse shift search
            (see :meth:`_candidates`).

        Returns
        -------
        alignment : :class:`Alignment`.
        """
        return self._solve_levels(self._pyramid(moving), initial)

    def pyramid(self, frame: np.ndarray) -> list:
        """The frame's proxies for :meth:`solve_pyramid` (OpenCV resizes: no GIL held, so
        threads can prepare frames while another one solves)."""
        return self._pyramid(frame)

    def solve_pyramid(self, levels: list, *, initial: np.ndarray | None = None) -> Alignment:
        """:meth:`solve` on proxies made by :meth:`pyramid`."""
        return self._solve_levels(levels, initial)

    def _solve_levels(self, levels, initial: np.ndarray | None) -> Alignment:
        reject = self.reject_foreground
        searched = False
        lv = self.candidate_level
        if initial is not None:
            candidates = [("given", self._at_candidate_level(levels, initial))]
        else:
            candidates, searched = self._candidates(levels, self._contrast(levels, 0))
        if len(candidates) > 1:  # the better by the same robust cost at the candidate level
            costs = [self._cost1(levels, c[1][0]) for c in candidates]
            candidates = [candidates[int(np.argmin(costs))]]
        initial_name, (matrix, rho, mask) = candidates[0]
        if reject and self.candidate_rounds < 2:  # one more static-set round for the winner
            mask = self._static_mask(lv, levels[lv][0], matrix, mask)
            matrix, rho, kept = self._refine_points(lv, levels, matrix, mask, iterations=10, tolerance=0.02)
        last = len(levels) - 1
        for level in range(lv + 1, len(levels)):
            finest = level == last
            if reject and not finest:
                mask = self._static_mask(level, levels[level][0], matrix, mask, slack=self.slack)
            matrix, rho, kept = self._refine_points(
                level, levels, matrix, mask,
                iterations=10 if finest else 15, tolerance=0.002 if finest else 0.01,
            )  # fmt: skip
        if reject and self.final_round:
            mask = self._static_mask(last, levels[last][0], matrix, mask, slack=0.0)
            matrix, rho, kept = self._refine_points(last, levels, matrix, mask, iterations=10, tolerance=0.002)
        static = float((mask > 0).mean()) if mask is not None else 1.0
        matrix = project_to_motion(matrix, self.motion, size=self.size)
        proxy = levels[lv][0].astype(np.float16) if initial is None else None
        return Alignment(matrix=matrix, correlation=rho, static_fraction=static, initial=initial_name,
                         searched=searched, proxy=proxy)  # fmt: skip

    def candidate_cost(self, moving: np.ndarray, matrix: np.ndarray) -> float:
        """The robust, mask-independent cost candidates are compared by (lower is better).

        Truncated difference of locally contrast-normalised images at the candidate level
        (~240 px wide) after warping ``moving`` by ``matrix`` (moving -> reference).
        """
        return self._candidate_cost(self._pyramid(moving), matrix)

    def _candidate_cost(self, levels, matrix: np.ndarray) -> float:
        img, s = levels[self.candidate_level]
        return _contrast_cost(self.reference_contrast1, self._contrast(levels, self.candidate_level), _to_level(matrix, s))

    def resolve(self, moving: np.ndarray, current: Alignment, starts: list[np.ndarray]) -> Alignment:
        """Re-solve ``moving`` from other starting points; keep whichever solve costs least.

        Used by :func:`refine_shot` with the neighbouring frames' solutions as starts. The
        winner is chosen by :meth:`candidate_cost`, the same cost that picks among a
        frame's own candidates; a start within 1 px of ``current`` is skipped.
        """
        best, best_cost, levels = current, None, None
        for start in starts:
            if corner_error(start, current.matrix, size=self.size) < 1.0:
                continue
            if levels is None:
                levels = self._pyramid(moving)
                best_cost = self._candidate_cost(levels, current.matrix)
            a = self._solve_levels(levels, start)
            cost = self._candidate_cost(levels, a.matrix)
            if cost < best_cost:
                best = Alignment(a.matrix, a.correlation, a.static_fraction, "neighbour", current.searched, current.proxy)
                best_cost = cost
        return best

    def worth_resolving(self, current: Alignment, start: np.ndarray) -> bool:
        """Whether :meth:`resolve` from ``start`` could beat ``current``, judged without the frame.

        ``start`` is refined at the candidate level only (static set, a few Gauss-Newton
        steps) on the proxy kept in ``current``; it is worth the full re-solve (a frame
        read and all levels) only if that beats ``current`` by the candidate cost. True
        when ``current`` kept no proxy.
        """
        if current.proxy is None:
            return True
        lv = self.candidate_level
        levels = _Pyramid((None, s) for _, s in self.reference_levels)
        levels[lv] = (current.proxy.astype(np.float32), self.reference_levels[lv][1])
        m = np.asarray(start, float)
        mask = self._static_mask(lv, levels[lv][0], m, None) if self.reject_foreground else None
        m = self._refine_points(lv, levels, m, mask, iterations=10, tolerance=0.02)[0]
        return self._candidate_cost(levels, m) < self._candidate_cost(levels, current.matrix)

    def _static_mask(
        self, level: int, moving: np.ndarray, matrix_full: np.ndarray, previous: np.ndarray | None, *, slack: float = 0.75
    ) -> np.ndarray:
        """Static set (uint8, reference coordinates) at one level for the current solution.

        ``slack`` (level pixels) is the misalignment the solution may still have: large
        while candidates are being tried, small once a coarser level has converged.
        """
        reference, s = self.reference_levels[level]
        h, w = reference.shape
        warped, valid = _warp_to_reference(moving, _to_level(matrix_full, s), (w, h))
        if previous is not None and previous.shape != (h, w):
            previous = cv2.resize(previous, (w, h), interpolation=cv2.INTER_NEAREST)
        mask = static_mask(reference, warped, valid, previous=previous, slack=slack, gradient=self.reference_gradients[level])
        if (mask > 0).sum() < 0.1 * h * w:
            return previous if previous is not None else np.full((h, w), 255, np.uint8)
        return mask


def refine_shot(
    solver: CameraSolver,
    order: list,
    alignments: dict,
    read: Callable[[object], np.ndarray],
    *,
    reference=None,
    threshold: float = 0.002,
) -> dict:
    """Use the shot, not just the pair: re-solve frames that disagree with their neighbours.

    The set is static over the whole shot while the puppet moves from frame to frame, so
    a solve that locked onto a near-static puppet in one frame disagrees with the
    neighbouring frames' solves, which the puppet no longer fools. One pass forwards and
    one backwards: a frame whose solve differs from a neighbour's by more than
    ``threshold`` x frame width (mean corner distance) is re-solved starting from that
    neighbour's solution (:meth:`CameraSolver.resolve`), and the solve with the lower
    robust cost is kept; corrections propagate along the pass.

    Parameters
    ----------
    solver : the shot's :class:`CameraSolver`.
    order : frame keys in shot order (the reference included).
    alignments : key -> :class:`Alignment` for every key but ``reference``.
    read : key -> frame (called only for frames that are re-solved, at most twice each).
    reference : key of the reference frame (its transform is the identity), or None.

    Returns
    -------
    alignments : a new dict, replaced solves have ``initial == "neighbour"``.
    """
    out = dict(alignments)
    limit = threshold * solver.width

    def matrix(k):
        return np.eye(3) if k == reference else out[k].matrix

    for seq in (order, order[::-1]):
        for i in range(1, len(seq)):
            k, prev = seq[i], seq[i - 1]
            if k == reference or k not in out or (prev != reference and prev not in out):
                continue
            m_prev = matrix(prev)
            if corner_error(out[k].matrix, m_prev, size=solver.size) <= limit:
                continue
            if not solver.worth_resolving(out[k], m_prev):  # a cheap check on the kept proxy first
                continue
            out[k] = solver.resolve(read(k), out[k], [m_prev])
    return out


def estimate_transform(
    moving: np.ndarray,
    reference: np.ndarray,
    *,
    motion: str = "similarity",
    coarse: CoarseEstimate | None = None,
    reject_foreground: bool = True,
    finest_width: int = 960,
) -> np.ndarray:
    """(3, 3) transform mapping pixel coordinates of ``moving`` to those of ``reference``.

    Parameters
    ----------
    moving, reference : (H, W[, C]) ndarrays of the same size and dtype.
    motion : ``translation``, ``similarity`` or ``homography``.
    coarse : learned coarse aligner used for the initial estimate, or None.
    reject_foreground : mask out what moves against the camera (the puppet).
    finest_width : width of the finest pyramid level.
    """
    solver = CameraSolver(
        reference, motion=motion, coarse=coarse, reject_foreground=reject_foreground, finest_width=finest_width
    )
    return solver.solve(moving).matrix
