"""The robust, mask-independent cost that compares and verifies camera solutions.

The truncated absolute difference of locally contrast-normalised images
(:func:`~.proxies.local_contrast`) after warping the frame by a solution, taken as the
*median over a grid of cells* (:data:`CELLS`) of each cell's mean. It needs no static
set, so solutions are compared fairly: what moves costs at most ``clip`` per pixel
wherever a solution puts it; and every part of the frame votes once, so a large
textured puppet that a wrong solution lines up wins only the cells it covers, while the
set around it, however plain, wins the rest.

A solution is *verified* when this cost rises sharply once the solution is moved off by
:data:`VERIFY_SHIFT` pixels (:meth:`CandidateCost.ratio`): aligned on the set, most cells
go from aligned to misaligned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from .motion import to_level
from .proxies import Pyramid, local_contrast, warp_to_reference
from .robust import median

__all__ = ["CELLS", "VERIFY_SHIFT", "CandidateCost", "contrast_cost"]

#: grid (columns, rows) of the cells whose median is the cost
CELLS = (8, 5)
#: shift (level pixels) by which :meth:`CandidateCost.ratio` moves a solution off
VERIFY_SHIFT = 2.0


def contrast_cost(reference: np.ndarray, moving: np.ndarray, matrix: np.ndarray, *, clip: float = 1.0) -> float:
    """Median over :data:`CELLS` of each cell's mean truncated difference after warping ``moving``.

    Parameters
    ----------
    reference, moving : (h, w) float32 :func:`~.proxies.local_contrast` images of one level.
    matrix : (3, 3) moving -> reference in the level's pixels.
    clip : largest cost of one pixel.

    Returns
    -------
    cost : lower is better; inf when less than half the reference is covered.
    """
    h, w = reference.shape
    warped, _ = warp_to_reference(moving, matrix, (w, h), fill=-1e6)
    valid = warped > -100  # no mixing with the outside at all
    if valid.mean() < 0.5:
        return np.inf
    d = np.where(valid, np.minimum(np.abs(reference - warped), clip), 0).astype(np.float32)
    v = valid.astype(np.float32)
    dsum = cv2.resize(d, CELLS, interpolation=cv2.INTER_AREA)
    vsum = cv2.resize(v, CELLS, interpolation=cv2.INTER_AREA)
    use = vsum > 0.5
    return float(median(dsum[use] / vsum[use]))


class CandidateCost:
    """:func:`contrast_cost` against one reference, at the levels where solutions are compared.

    Parameters
    ----------
    reference_levels : the reference's pyramid, ``(image, s)`` per level, coarsest first.
    levels : the levels the cost is taken at (the reference's contrast images are made once).
    """

    def __init__(self, reference_levels: Sequence[tuple[np.ndarray, np.ndarray]], *, levels: Iterable[int]) -> None:
        #: level -> (h, w) float32 local contrast of the reference proxy
        self.reference = {level: local_contrast(reference_levels[level][0]) for level in levels}

    def __call__(self, levels: Pyramid, matrix: np.ndarray, *, level: int) -> float:
        """The cost of ``matrix`` (full-resolution, moving -> reference) for the frame of ``levels`` at ``level``."""
        return contrast_cost(self.reference[level], levels.contrast(level), to_level(matrix, levels[level][1]))

    def ratio(self, levels: Pyramid, matrix: np.ndarray, *, level: int, cost: float | None = None) -> float:
        """How sharply the cost rises when ``matrix`` is moved off by :data:`VERIFY_SHIFT`
        level pixels: the least rise of four directions, ``cost(moved) / cost``.

        Aligned on the set, most cells (the set) go from aligned to misaligned and the
        cell-median cost roughly doubles or more (measured 2.1-5.5 on correct starts at
        the candidate level); a start that is off, or locked onto the puppet (which owns
        only a minority of the cells), barely changes it (0.9-1.5). ``cost``: the cost of
        ``matrix`` if already known. 0 when the cost is not finite.
        """
        cost = self(levels, matrix, level=level) if cost is None else cost
        if not np.isfinite(cost):
            return 0.0
        ml = to_level(matrix, levels[level][1])
        reference, contrast = self.reference[level], levels.contrast(level)
        d = VERIFY_SHIFT
        worst = np.inf
        for dx, dy in ((d, 0.0), (-d, 0.0), (0.0, d), (0.0, -d)):
            t = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])
            worst = min(worst, contrast_cost(reference, contrast, t @ ml))
        return float(worst / max(cost, 1e-6))
