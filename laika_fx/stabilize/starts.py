"""Starting points of a solve, cheap ones first, each verified by the robust cost.

1. The identity, then the learned coarse aligner's guess (:mod:`.coarse`, when given)
   and a small shift search around that guess (:func:`local_starts`). Each start gets a
   few Gauss-Newton steps at the coarsest level (~120 px; kept only if they lower the
   cost there), is refined at the candidate level (~240 px) and is *verified*: the
   cell-median cost (:mod:`.cost`) must rise at least :data:`VERIFY_RATIO` times when the
   solution is moved off by 2 px (:meth:`~.cost.CandidateCost.ratio`). The first start
   that verifies is the answer's start.
2. Only if none does, the best translations of an exhaustive shift search at the
   coarsest level and up to two similarities fitted (RANSAC, the second to the cells the
   first left out) to each grid cell's sub-pixel best shift - a bump's zoom or rotation;
   the set and a puppet - join (:func:`search_starts`). All starts are scored by the
   cost at the coarsest level and the :data:`FINALISTS` best, refined at the candidate
   level, are handed back for the solver to compare there.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from .cost import CELLS, CandidateCost
from .motion import corner_error, normalise, project_to_motion, to_level
from .proxies import Pyramid, warp_to_reference

__all__ = [
    "FINALISTS",
    "PRECHECK_RATIO",
    "VERIFY_RATIO",
    "Refined",
    "choose_candidates",
    "fit_cell_shifts",
    "learned_start",
    "local_starts",
    "search_starts",
    "shift_candidates",
]

#: a cheap start is taken alone, without the exhaustive search, when its candidate-level
#: cost rises at least this factor once it is moved off (:meth:`~.cost.CandidateCost.ratio`)
VERIFY_RATIO = 1.8
#: the same ratio at the coarsest level below which a cheap start is not even verified
PRECHECK_RATIO = 1.2
#: candidates refined at the candidate level when no cheap start verifies
FINALISTS = 2
#: translations kept from the exhaustive shift search
SEARCH_PEAKS = 3
#: blur (coarsest-level pixels) of the contrast images in the shift searches: a wider
#: basin, so a rotation or zoom still lands near its shift
SEARCH_BLUR = 1.0
#: radius (coarsest-level pixels) of the small shift search around an unverified learned guess
LOCAL_RADIUS = 3

#: a start refined at the candidate level: (matrix (3, 3) full resolution, correlation,
#: static set (uint8) or None)
Refined = tuple[np.ndarray, float, "np.ndarray | None"]


def shift_candidates(
    reference: np.ndarray, moving: np.ndarray, *, radius: int, peaks: int = 3, clip: float = 1.0
) -> list[np.ndarray]:
    """Integer translations (level pixels, moving -> reference) with the lowest robust
    cost, then the similarities :func:`fit_cell_shifts` finds.

    Exhaustive search over ``[-radius, radius]^2`` of the cost of :mod:`.cost`: the
    truncated absolute difference of locally contrast-normalised images, every region
    voting with its area whatever its contrast, a puppet however textured costing at
    most ``clip`` per pixel, as the median over :data:`~.cost.CELLS` of each cell's mean
    (a pixel outside the moving frame costs ``clip``; cells less than half covered do
    not vote).

    Parameters
    ----------
    reference, moving : (h, w) float32 :func:`~.proxies.local_contrast` images of one level.
    radius : largest shift (level pixels).
    peaks : translations returned: the best shifts that are local minima.

    Returns
    -------
    starts : (3, 3) matrices in level pixels, the ``peaks`` translations first.
    """
    a, b = reference, moving
    h, w = a.shape
    r = int(radius)
    # cells of whole pixels: crop to a multiple of the grid (a few rows/columns at most)
    cw, ch = CELLS
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
    fitted = fit_cell_shifts(per_cell[::-1, ::-1], r, hh, ww)
    local_min = costs <= cv2.erode(costs, np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero(local_min & np.isfinite(costs))
    order = np.argsort(costs[ys, xs])[:peaks]
    out = [np.array([[1.0, 0.0, xs[i] - r], [0.0, 1.0, ys[i] - r], [0.0, 0.0, 1.0]]) for i in order]
    if fitted:
        out.extend(fitted)
    return out


def fit_cell_shifts(per_cell: np.ndarray, r: int, hh: int, ww: int, *, models: int = 2) -> list[np.ndarray]:
    """Similarities (moving -> reference, level pixels) fitted by RANSAC to each cell's best shift.

    A bump is rarely a pure translation: its zoom or rotation moves the frame's cells by
    different shifts, which a single shift cannot follow but a similarity through the
    cells that agree can - a start a few pixels from the truth. The cells' shifts are
    refined to sub-pixel (a parabola through the neighbouring shifts' costs) and up to
    ``models`` similarities are fitted in turn, each to the cells the previous ones left
    out: the set and a large puppet can differ by only a pixel at this level, and the
    puppet may hold the most cells that agree (a plain set leaves few cells with a clear
    shift).

    Parameters
    ----------
    per_cell : (2r+1, 2r+1, rows, cols) cost of each cell at each shift,
        ``per_cell[dy + r, dx + r, row, col]``; NaN where the cell does not vote.
    r : the search radius.
    hh, ww : cell height and width in pixels.

    Returns
    -------
    similarities : up to ``models`` (3, 3) matrices.
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


def search_starts(reference: np.ndarray, moving: np.ndarray, s: np.ndarray, *, search: float) -> list[np.ndarray]:
    """The exhaustive shift search's starts (:func:`shift_candidates`) as full-resolution matrices.

    Parameters
    ----------
    reference, moving : (h, w) float32 local contrast images of the coarsest level.
    s : the coarsest level's :func:`~.motion.scale_matrix`.
    search : largest shift as a fraction of the width (at least 2 level pixels).
    """
    radius = max(2, int(np.ceil(search * moving.shape[1])))
    ref_c = cv2.GaussianBlur(reference, (0, 0), SEARCH_BLUR)
    mov_c = cv2.GaussianBlur(moving, (0, 0), SEARCH_BLUR)
    return [np.linalg.inv(s) @ t @ s for t in shift_candidates(ref_c, mov_c, radius=radius, peaks=SEARCH_PEAKS)]


def local_starts(reference: np.ndarray, moving: np.ndarray, s: np.ndarray, around: np.ndarray) -> list[np.ndarray]:
    """A small shift search (:data:`LOCAL_RADIUS` coarsest-level pixels) around a guess.

    Its best translation and the similarities fitted to the cells' best shifts, composed
    with the guess. A learned guess 10-30 px off at 1080p is 1-2 px off at the coarsest
    level: this finds its basin for a fraction of the exhaustive search.

    Parameters
    ----------
    reference, moving : (h, w) float32 local contrast images of the coarsest level.
    s : the coarsest level's :func:`~.motion.scale_matrix`.
    around : (3, 3) full-resolution guess, moving -> reference.

    Returns
    -------
    starts : (3, 3) full-resolution matrices.
    """
    a0 = normalise(to_level(around, s))
    h, w = moving.shape
    mov_c, _ = warp_to_reference(moving, a0, (w, h), fill=1e6)
    ref_c = cv2.GaussianBlur(reference, (0, 0), SEARCH_BLUR)
    mov_c = cv2.GaussianBlur(mov_c, (0, 0), SEARCH_BLUR)
    mov_c = np.where(mov_c > 1e3, np.float32(1e6), mov_c).astype(np.float32)  # the outside stays outside
    shifts = shift_candidates(ref_c, mov_c, radius=LOCAL_RADIUS, peaks=1)
    return [np.linalg.inv(s) @ t @ a0 @ s for t in shifts]


def learned_start(
    coarse: Callable[[np.ndarray, np.ndarray], np.ndarray],
    moving: np.ndarray,
    reference: np.ndarray,
    s: np.ndarray,
    *,
    motion: str,
    size: tuple[int, int],
) -> np.ndarray | None:
    """The learned coarse aligner's guess as a full-resolution matrix of ``motion``.

    Parameters
    ----------
    coarse : (moving proxy, reference proxy) -> (3, 3) in the proxies' pixels.
    moving, reference : (h, w) float32 proxies of the coarsest level.
    s : their :func:`~.motion.scale_matrix`.
    size : (width, height) of the full-resolution frame.

    Returns
    -------
    guess : (3, 3), or None when the aligner or the projection fails.
    """
    try:
        guess = coarse(moving, reference)
        guess = np.linalg.inv(s) @ guess @ s
        return project_to_motion(guess, motion, size=size)
    except (cv2.error, np.linalg.LinAlgError):
        return None


def choose_candidates(
    levels: Pyramid,
    *,
    cost: CandidateCost,
    candidate_level: int,
    polish: Callable[[np.ndarray], np.ndarray] | None,
    refine: Callable[[np.ndarray], Refined],
    guess: Callable[[], np.ndarray | None] | None,
    search: float,
) -> tuple[list[tuple[str, Refined]], bool]:
    """The candidates refined at the candidate level, cheap starts first.

    The identity, then the learned guess and the starts around it: each polished at the
    coarsest level and, unless its coarsest-level :meth:`~.cost.CandidateCost.ratio` is
    below :data:`PRECHECK_RATIO` (off, or on the puppet), refined at the candidate level
    and verified there; the first that verifies goes on alone. Only when none does is the
    exhaustive shift search run; every start is then scored by the coarsest-level cost
    and the :data:`FINALISTS` best are refined at the candidate level (a cheap start's
    refinement is reused). Starts within half a coarsest-level pixel of an earlier one,
    or polished onto a solution that already failed, are skipped.

    Parameters
    ----------
    levels : the frame's :class:`~.proxies.Pyramid`.
    cost : the reference's :class:`~.cost.CandidateCost` (coarsest and candidate levels).
    candidate_level : the level where candidates are verified (~240 px wide).
    polish : a few Gauss-Newton steps at the coarsest level from a full-resolution
        start (None: no polishing).
    refine : static set and Gauss-Newton at the candidate level from a start.
    guess : the learned coarse aligner's guess (None: no learned start).
    search : largest shift of the exhaustive search as a fraction of the width; 0: none.

    Returns
    -------
    candidates : ``[(name, refined)]``, name ``"identity"``, ``"learned"`` or ``"search"``.
    searched : whether the exhaustive search ran.
    """
    s0 = levels[0][1]
    w0, h0 = levels[0][0].shape[::-1]
    contrast = levels.contrast(0)
    scored: list[tuple[float, str, np.ndarray]] = []
    refined: dict[int, Refined] = {}
    seen: list[np.ndarray] = []

    def polished(matrix: np.ndarray) -> tuple[float, np.ndarray]:
        # a start right up to a rotation or zoom then scores as what it is; the steps are
        # kept only if they lower the cost (they can drift onto a puppet that owns most
        # of the textured points)
        c = cost(levels, matrix, level=0)
        if polish is None:
            return c, matrix
        p = polish(matrix)
        cost_p = cost(levels, p, level=0)
        return (cost_p, p) if cost_p < c else (c, matrix)

    def add(name: str, m: np.ndarray) -> tuple[float, np.ndarray] | None:
        ml = to_level(m, s0)
        if any(corner_error(ml, o, size=(w0, h0)) <= 0.5 for o in seen):
            return None
        seen.append(ml)
        c, p = polished(m)
        scored.append((c, name, p))
        return c, p

    failed: list[np.ndarray] = []  # polished starts (coarsest level) that did not verify

    def verified(name: str, m: np.ndarray) -> list | None:
        got = add(name, m)
        if got is None:
            return None
        pl = to_level(got[1], s0)
        if any(corner_error(pl, f, size=(w0, h0)) <= 0.5 for f in failed):
            return None
        # a start whose coarsest-level cost barely changes when moved is off (or on the
        # puppet): no candidate-level refinement for its verification (3 of 88 starts
        # that verified were dropped this way, 32 of 56 that did not were spared it)
        if cost.ratio(levels, got[1], level=0, cost=got[0]) >= PRECHECK_RATIO:
            r = refined[len(scored) - 1] = refine(got[1])
            if cost.ratio(levels, r[0], level=candidate_level) >= VERIFY_RATIO:
                return [(name, r)]
        failed.append(pl)
        return None

    if (out := verified("identity", np.eye(3))) is not None:
        return out, False
    learned = guess() if guess is not None else None
    if learned is not None:
        if (out := verified("learned", learned)) is not None:
            return out, False
        for m in local_starts(cost.reference[0], contrast, s0, learned):
            if (out := verified("learned", m)) is not None:
                return out, False
    if search > 0:
        for m in search_starts(cost.reference[0], contrast, s0, search=search):
            add("search", m)
    order = sorted(range(len(scored)), key=lambda i: scored[i][0])[:FINALISTS]  # stable: ties keep order
    out = [(scored[i][1], refined[i] if i in refined else refine(scored[i][2])) for i in order]
    return out, search > 0
