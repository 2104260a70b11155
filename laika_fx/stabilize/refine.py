"""Sparse inverse-compositional Gauss-Newton refinement at one pyramid level.

The reference's strongest-gradient pixels - an equal quota per grid cell, so a strongly
textured puppet does not outweigh a plainer set by its number of edges - and their
steepest-descent images are computed once per shot (:class:`PointLevel`). A frame then
costs one sparse ``remap`` and a tiny least-squares solve per iteration
(:func:`refine`): gain and offset are fitted every iteration (flicker), points outside
the static set (:mod:`.static_set`) or beyond 3 robust standard deviations are dropped,
and - below the finest level - only the better-aligned half of the cost's grid cells
(:data:`~.cost.CELLS`) is used (:func:`trim_cells`): the majority of cells, not of
points, decides, as in the cost.

Parameters live in normalised coordinates ``u = (x - cx) / s, v = (y - cy) / s``
(``s`` = half the larger side): translation (tx, ty); similarity (a, b, tx, ty) with
``x' = (1+a)u - b v + tx``; homography (the 8 entries of ``H - I``, row-major without h33).
"""

from __future__ import annotations

import cv2
import numpy as np

from .cost import CELLS
from .motion import apply_matrix, normalise
from .robust import median

__all__ = ["PointLevel", "balanced_points", "refine", "trim_cells"]


def _motion_jacobian(motion: str, u: np.ndarray, v: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """(N, K) steepest-descent images of the inverse-compositional update at the identity.

    ``u, v`` are (N,) normalised point coordinates, ``gx, gy`` the reference gradients
    with respect to them; K = 2, 4 or 8 parameters of ``motion``.
    """
    if motion == "translation":
        cols = [gx, gy]
    elif motion == "similarity":
        cols = [gx * u + gy * v, -gx * v + gy * u, gx, gy]
    else:
        cols = [gx * u, gx * v, gx, gy * u, gy * v, gy, -(gx * u + gy * v) * u, -(gx * u + gy * v) * v]
    return np.stack(cols, axis=1).astype(np.float64)


def _delta_matrix(motion: str, p: np.ndarray) -> np.ndarray:
    """(3, 3) warp of the (K,) parameter update ``p`` in normalised coordinates."""
    if motion == "translation":
        return np.array([[1.0, 0.0, p[0]], [0.0, 1.0, p[1]], [0.0, 0.0, 1.0]])
    if motion == "similarity":
        a, b, tx, ty = p
        return np.array([[1.0 + a, -b, tx], [b, 1.0 + a, ty], [0.0, 0.0, 1.0]])
    return np.eye(3) + np.array([[p[0], p[1], p[2]], [p[3], p[4], p[5]], [p[6], p[7], 0.0]])


def balanced_points(mag: np.ndarray, *, fraction: float, max_points: int, cells: int = 24) -> np.ndarray:
    """Flat indices of the strongest-gradient pixels, the same quota in every grid cell.

    An equal share per cell keeps a strongly textured puppet from outweighing a plainer
    set just by its number of edges: the static set wins by area, not by texture.
    Pixels whose gradient is below 1/4 of the image's 90th percentile are never taken.

    Parameters
    ----------
    mag : (h, w) gradient magnitude.
    fraction : share of each cell's pixels taken.
    max_points : at most this many (a fixed-seed random subset beyond).
    cells : grid cells along the longer side.

    Returns
    -------
    idx : (N,) sorted flat indices into ``mag``.
    """
    h, w = mag.shape
    cell = max(4, int(np.ceil(max(w, h) / cells)))
    flat = mag.ravel()
    floor = max(0.25 * float(np.percentile(flat, 90)), 1e-6)
    # Only pixels above the floor can be taken, and a pixel's rank in its cell counts only
    # the stronger pixels, which are above the floor too: rank those alone. One stable sort
    # on (cell, -magnitude, index) -- the order np.lexsort((-flat, cid)) gives over every
    # pixel, which the fixed-seed subset below depends on -- as a single integer key:
    # the bits of a non-negative float32 ascend with its value. (4-6x faster at 960x540.)
    cand = np.flatnonzero(flat > floor)
    cy, cx = np.divmod(cand, w)
    cid = (cy // cell) * (-(-w // cell)) + (cx // cell)
    desc = ~np.ascontiguousarray(flat[cand], np.float32).view(np.uint32)
    key = (cid.astype(np.uint64) << np.uint64(32)) | desc.astype(np.uint64)
    order = np.argsort(key, kind="stable")
    sorted_cid = cid[order]
    first = np.flatnonzero(np.r_[True, sorted_cid[1:] != sorted_cid[:-1]])  # where each cell's run starts
    rank = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
    per_cell = max(1, int(fraction * cell * cell))
    keep = cand[order[rank < per_cell]]
    if len(keep) > max_points:
        keep = np.random.default_rng(0).choice(keep, max_points, replace=False)
    return np.sort(keep)


class PointLevel:
    """Reference side of the refinement at one pyramid level.

    Holds the textured reference pixels (:func:`balanced_points`), their values and the
    steepest-descent images: all that depends on the reference only.

    Parameters
    ----------
    reference : (h, w) float32, the image the level matches (the proxy or its local contrast).
    motion : ``translation``, ``similarity`` or ``homography``.
    fraction, max_points : see :func:`balanced_points`.
    """

    def __init__(self, reference: np.ndarray, motion: str, *, fraction: float = 0.3, max_points: int = 20000) -> None:
        smooth = cv2.GaussianBlur(reference, (5, 5), 0)
        h, w = smooth.shape
        gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)
        gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)
        mag = np.hypot(gx, gy)
        border = 3
        mag[:border], mag[-border:], mag[:, :border], mag[:, -border:] = 0, 0, 0, 0
        idx = balanced_points(mag, fraction=fraction, max_points=max_points)
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
        self.from_norm = np.linalg.inv(self.to_norm)
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
        cw, ch = CELLS
        self.cell = (np.minimum(ys * ch // h, ch - 1) * cw + np.minimum(xs * cw // w, cw - 1)).astype(np.intp)
        self.cells = cw * ch
        # cell statistics on a regular subsample (points are in raster order): ~4k points
        self.cell_step = max(1, self.n // 4000)
        self.cell_sub = self.cell[:: self.cell_step]

    def sample(self, image: np.ndarray, warp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values of ``image`` at ``warp @ point`` (reference -> moving) and their validity.

        ``image`` comes from :func:`~.proxies.sampling_image`: NaN in a 3-pixel frame, so a
        point whose bilinear footprint touches the border (or lies outside) reads NaN =
        invalid. Returns (N,) float64 values and (N,) bool validity.
        """
        if self.motion == "homography":
            mapped = cv2.perspectiveTransform(self.points, warp)
        else:
            mapped = cv2.transform(self.points, warp[:2])
        vals = cv2.remap(image, mapped.reshape(self.rows, 256, 2), None, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=float("nan"))  # fmt: skip
        vals = vals.ravel()[: self.n].astype(np.float64)
        return vals, ~np.isnan(vals)


def refine(
    points: PointLevel,
    image: np.ndarray,
    matrix: np.ndarray,
    mask: np.ndarray | None,
    *,
    robust: bool,
    trim: bool,
    iterations: int,
    tolerance: float,
    cutoff: float = 3.0,
) -> tuple[np.ndarray, float, float]:
    """Sparse inverse-compositional Gauss-Newton at one level, robust to what moves.

    Each iteration samples the frame at the warped reference points, fits gain and
    offset (flicker), drops points outside the static ``mask`` and, when ``robust``, those
    with a residual above ``cutoff`` robust standard deviations (and, when ``trim``,
    those of the worse-aligned cells: :func:`trim_cells`), and composes the inverse update.

    Parameters
    ----------
    points : the level's :class:`PointLevel`.
    image : (h, w) float32 :func:`~.proxies.sampling_image` of the frame at the level.
    matrix : (3, 3) start, moving -> reference in the level's pixels.
    mask : static set (uint8, any size: resized to the level) or None for all points.
    robust : drop points beyond ``cutoff`` robust standard deviations (what moves).
    trim : with ``robust``, keep only the better-aligned cells' points (:func:`trim_cells`).
    iterations : at most this many steps.
    tolerance : stop once a step moves no frame corner by more (level pixels).
    cutoff : outlier threshold in robust standard deviations of the residual.

    Returns
    -------
    matrix : (3, 3) refined, moving -> reference in the level's pixels.
    correlation : of the reference and frame values at the points kept (-1 if too few).
    kept : fraction of the valid points kept in the last step.
    """
    pl = points
    w, h = pl.size
    # warp: reference -> moving in normalised coordinates
    warp_px = normalise(np.linalg.inv(matrix))
    warp_n = pl.to_norm @ warp_px @ pl.from_norm
    if mask is not None:
        m = mask if mask.shape == (h, w) else cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
        in_mask = m[pl.ys.astype(np.intp), pl.xs.astype(np.intp)] > 0
    else:
        in_mask = np.ones(pl.n, bool)
    corners = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]) * np.array(pl.centre) / pl.scale
    kept = 0.0
    from_norm = pl.from_norm
    weight = in_mask
    err = np.zeros(pl.n)
    for _ in range(iterations):
        vals, valid = pl.sample(image, from_norm @ warp_n @ pl.to_norm)
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
        if robust:
            e_use = np.abs(err[use])
            if e_use.size > 8000:  # a regular subsample estimates the median as well
                e_use = e_use[:: e_use.size // 4000]
            sigma = 1.4826 * float(median(e_use)) + 1e-4
            weight = use & (np.abs(err) < cutoff * sigma)
            if trim:
                weight = trim_cells(pl, use, err, weight, cutoff * sigma)
        sd = np.compress(weight, pl.sd, axis=0)
        hess = sd.T @ sd
        grad = (sd * err[weight][:, None]).sum(axis=0)
        try:
            dp = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        delta = _delta_matrix(pl.motion, dp)
        warp_n = normalise(warp_n @ np.linalg.inv(delta))
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
    return normalise(np.linalg.inv(warp_px)), rho, kept


def trim_cells(points: PointLevel, use: np.ndarray, err: np.ndarray, weight: np.ndarray, clip: float) -> np.ndarray:
    """``weight`` restricted to the better-aligned cells of :data:`~.cost.CELLS`: those
    whose mean truncated residual is at most the median over the cells with points.

    The candidate cost is a median over cells: a solution is right when the majority of
    the cells agree with it, whatever the number of points each holds. The refinement
    follows the same rule - a textured puppet owning most of the points but a minority of
    the cells cannot pull the solve off the set's cells (a near-static puppet over a plain
    sky otherwise drags solves started at the truth 5-7 px off).

    Parameters
    ----------
    points : the level's :class:`PointLevel`.
    use, weight : (N,) bool, the valid points in the mask and those kept so far.
    err : (N,) residuals.
    clip : residuals are truncated at this before the cells' means.

    Returns
    -------
    weight : (N,) bool; unchanged when fewer than 6 cells hold points.
    """
    pl = points
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
    good = cell_err <= median(cell_err[has])
    return weight & good[pl.cell]
