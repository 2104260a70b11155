"""The camera solve of one frame against the reference still, robust to a moving puppet.

Three stages on grayscale proxies (:mod:`.proxies`: a pyramid from ~120 px up to
``finest_width``):

1. **Starting points**, cheap ones first, each verified by the robust cell-median cost
   (:mod:`.starts`, :mod:`.cost`); the exhaustive shift search runs only when no cheap
   start verifies, and its two best candidates are compared by that cost at the
   candidate level (~240 px).
2. **Static set** (:mod:`.static_set`): at every level but the finest, the current
   solution warps the frame onto the reference and what moves against it is masked out.
3. **Sparse inverse-compositional Gauss-Newton** per level on the static set
   (:mod:`.refine`). At the two coarsest levels it matches locally contrast-normalised
   images (a faint set pulls as hard as a contrasty puppet), and below the finest level
   it uses only the better-aligned half of the cost's grid cells. The winning start is
   refined to the finest level (typically 1/2 resolution at 1080p), where a last static
   set without slack is made and refined once more.

:func:`~.shot.refine_shot` then uses the shot rather than the pair. Matrices follow
:mod:`.motion`'s convention (moving -> reference pixel coordinates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from .cost import CandidateCost
from .motion import MOTION_MODELS, project_to_motion, scale_inverse, to_level
from .moving import moving_grid
from .proxies import Pyramid, build_pyramid, gray_proxy, level_widths, local_contrast
from .refine import PointLevel, refine
from .starts import Refined, choose_candidates, learned_start
from .static_set import reference_gradient, static_set

__all__ = ["Alignment", "CameraSolver", "CoarseEstimate", "estimate_transform"]

#: a coarse initial estimate: (moving proxy, reference proxy) -> (3, 3) matrix in the
#: proxies' pixel coordinates, moving -> reference
CoarseEstimate = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: static-set slack (level pixels) while candidates are tried at the candidate level
CANDIDATE_SLACK = 0.75
#: static-set slack (level pixels) at the finer levels, once the candidate has converged
SETTLED_SLACK = 0.3


@dataclass
class Alignment:
    """Result of one frame's solve.

    Attributes
    ----------
    matrix : (3, 3) float64, moving pixel coordinates -> reference pixel coordinates.
    correlation : correlation of the reference and frame values at the refinement points
        kept at the finest level (1 = perfect).
    static_fraction : fraction of the reference kept as static set (not puppet).
    initial : which start won (``"identity"``, ``"learned"``, ``"search"``, ``"given"``, or
        ``"neighbour"`` when :func:`~.shot.refine_shot` replaced the solve).
    searched : whether the exhaustive shift search ran (no cheap start verified).
    proxy : (h, w) float16, the frame's gray proxy at the candidate level (~240 px wide):
        lets :func:`~.shot.refine_shot` check a neighbour's solution without reading the
        frame again; None for a solve from a given start.
    moving : (rows, cols) bool, the cells of this frame whose content moved against the
        reference (:func:`~.moving.moving_grid` at the finest level), or None when the
        solve kept no static set (``reject_foreground`` off).
    """

    matrix: np.ndarray
    correlation: float
    static_fraction: float
    initial: str = "identity"
    searched: bool = False
    proxy: np.ndarray | None = field(default=None, repr=False, compare=False)
    moving: np.ndarray | None = field(default=None, repr=False, compare=False)


class CameraSolver:
    """Solves frames against one reference still; holds everything made from the reference.

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
    cell_trim : below the finest level, refine on the better-aligned half of the cost's
        grid cells only (:func:`~.refine.trim_cells`).
    """

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
        cell_trim: bool = True,
    ) -> None:
        if motion not in MOTION_MODELS:
            raise ValueError(f"motion must be one of {MOTION_MODELS}, got {motion!r}")
        self.motion = motion
        self.coarse = coarse
        self.reject_foreground = reject_foreground
        self.search = search
        self.cell_trim = cell_trim
        self.height, self.width = reference.shape[:2]
        #: pyramid widths, coarsest first
        self.widths = level_widths(self.width, finest_width=finest_width, coarsest_width=coarsest_width)
        n = len(self.widths)
        #: the level where candidates are compared (the second coarsest, ~240 px wide)
        self.candidate_level = min(1, n - 1)
        self.reference_levels = self._pyramid(reference)
        self.reference_gradients = [reference_gradient(img) for img, _ in self.reference_levels]
        self.cost = CandidateCost(self.reference_levels, levels=(0, self.candidate_level))
        self.point_levels = [
            PointLevel(local_contrast(img) if self._matches_contrast(i) else img, motion)
            for i, (img, _) in enumerate(self.reference_levels)
        ]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        return self.width, self.height

    def _matches_contrast(self, level: int) -> bool:
        """Whether the refinement matches locally contrast-normalised images at ``level``
        (the candidate levels, not the finest: every region pulls by its area, not its
        contrast) rather than the proxies."""
        return level <= self.candidate_level and level < len(self.widths) - 1

    # ------------------------------------------------------------------ proxies
    def finest_proxy(self, frame: np.ndarray) -> np.ndarray:
        """The frame's (h, w) float32 grayscale proxy at the finest level (all a solve needs of it)."""
        if frame.shape[:2] != (self.height, self.width):
            raise ValueError(
                f"frame is {frame.shape[1]}x{frame.shape[0]}, the reference is {self.width}x{self.height}"
            )
        return gray_proxy(frame, width=self.widths[-1])

    def pyramid_from_proxy(self, finest: np.ndarray) -> Pyramid:
        """The solve's pyramid from :meth:`finest_proxy` (for :meth:`solve_pyramid`)."""
        return build_pyramid(finest, self.widths, size=self.size)

    def pyramid(self, frame: np.ndarray) -> Pyramid:
        """The frame's proxies for :meth:`solve_pyramid` (OpenCV resizes: no GIL held, so
        threads can prepare frames while another one solves)."""
        return self._pyramid(frame)

    def _pyramid(self, frame: np.ndarray) -> Pyramid:
        return self.pyramid_from_proxy(self.finest_proxy(frame))

    def candidate_pyramid(self, proxy: np.ndarray) -> Pyramid:
        """A pyramid holding only the candidate level's proxy (an :attr:`Alignment.proxy`):
        enough for :meth:`refine_candidate` and :meth:`candidate_cost`."""
        lv = self.candidate_level
        levels = Pyramid((None, s) for _, s in self.reference_levels)
        levels[lv] = (proxy.astype(np.float32), self.reference_levels[lv][1])
        return levels

    # ------------------------------------------------------------------ solving
    def solve(self, moving: np.ndarray, *, initial: np.ndarray | None = None) -> Alignment:
        """Transform of ``moving`` to the reference.

        Parameters
        ----------
        moving : (H, W[, C]) ndarray, same size as the reference.
        initial : (3, 3) starting estimate (moving -> reference); default: the starts of
            :func:`~.starts.choose_candidates`.

        Returns
        -------
        alignment : :class:`Alignment`.
        """
        return self.solve_pyramid(self._pyramid(moving), initial=initial)

    def solve_pyramid(
        self, levels: Pyramid, *, initial: np.ndarray | None = None, keep: np.ndarray | None = None
    ) -> Alignment:
        """:meth:`solve` on proxies made by :meth:`pyramid`.

        ``keep``: (h, w) uint8 mask in reference coordinates (any level's size; 255 = may
        be used), or None: with ``initial`` only, the solve uses the reference's pixels in
        ``keep`` alone at every level (:func:`~.shot.set_hypothesis`: the set seen where
        another solution found no support).
        """
        reject = self.reject_foreground
        if initial is None:
            keep = None
        lv = self.candidate_level
        searched = False
        if initial is not None:
            candidates = [("given", self.refine_candidate(levels, initial, keep=keep))]
        else:
            candidates, searched = choose_candidates(
                levels, cost=self.cost, candidate_level=lv,
                polish=(lambda m: self._polish(levels, m)) if len(self.widths) > 1 else None,
                refine=lambda m: self.refine_candidate(levels, m),
                guess=(lambda: self._learned_guess(levels)) if self.coarse is not None else None,
                search=self.search,
            )  # fmt: skip
        if len(candidates) > 1:  # the better by the same robust cost at the candidate level
            costs = [self.candidate_cost(levels, c[1][0]) for c in candidates]
            candidates = [candidates[int(np.argmin(costs))]]
        initial_name, (matrix, rho, mask) = candidates[0]
        if reject:  # one more static-set round for the winner
            mask = self._static_set(lv, levels, matrix, mask, slack=CANDIDATE_SLACK, keep=keep)
            matrix, rho = self._refine(lv, levels, matrix, mask, iterations=10, tolerance=0.02)
        last = len(levels) - 1
        for level in range(lv + 1, len(levels)):
            finest = level == last
            if reject and not finest:
                mask = self._static_set(level, levels, matrix, mask, slack=SETTLED_SLACK, keep=keep)
            matrix, rho = self._refine(
                level, levels, matrix, mask,
                iterations=10 if finest else 15, tolerance=0.002 if finest else 0.01,
            )  # fmt: skip
        if reject:  # a last static set at the finest level, without slack
            mask = self._static_set(last, levels, matrix, mask, slack=0.0, keep=keep)
            matrix, rho = self._refine(last, levels, matrix, mask, iterations=10, tolerance=0.002)
        static = float((mask > 0).mean()) if mask is not None else 1.0
        matrix = project_to_motion(matrix, self.motion, size=self.size)
        proxy = levels[lv][0].astype(np.float16) if initial is None else None
        moving = None
        if reject:
            reference, s = self.reference_levels[last]
            moving = moving_grid(reference, levels[last][0], to_level(matrix, s), self.reference_gradients[last])
        return Alignment(matrix=matrix, correlation=rho, static_fraction=static, initial=initial_name,
                         searched=searched, proxy=proxy, moving=moving)  # fmt: skip

    def refine_candidate(self, levels: Pyramid, start: np.ndarray, *, keep: np.ndarray | None = None) -> Refined:
        """(matrix, correlation, static set) after the candidate level's static set and
        Gauss-Newton refinement from the full-resolution ``start`` (on the pixels of
        ``keep`` only, when given: see :meth:`solve_pyramid`)."""
        lv = self.candidate_level
        m, mask = np.asarray(start, float), None
        if self.reject_foreground:
            mask = self._static_set(lv, levels, m, None, slack=CANDIDATE_SLACK, keep=keep)
        elif keep is not None:
            mask = _resized(keep, levels[lv][0].shape)
        m, rho = self._refine(lv, levels, m, mask, iterations=10, tolerance=0.02)
        return m, rho, mask

    def candidate_cost(self, levels: Pyramid, matrix: np.ndarray) -> float:
        """The robust, mask-independent cost candidates are compared by (lower is better):
        :class:`~.cost.CandidateCost` at the candidate level (~240 px wide) of ``matrix``
        (full resolution, moving -> reference) for the frame of ``levels``."""
        return self.cost(levels, matrix, level=self.candidate_level)

    def verification_ratio(self, levels: Pyramid, matrix: np.ndarray) -> float:
        """How sharply :meth:`candidate_cost` rises when ``matrix`` is moved off by 2
        candidate-level pixels (:meth:`~.cost.CandidateCost.ratio`); a cheap start
        verifies at :data:`~.starts.VERIFY_RATIO` or more."""
        return self.cost.ratio(levels, matrix, level=self.candidate_level)

    def _polish(self, levels: Pyramid, matrix: np.ndarray) -> np.ndarray:
        """A few Gauss-Newton steps at the coarsest level (static set first)."""
        mask0 = self._static_set(0, levels, matrix, None, slack=CANDIDATE_SLACK) if self.reject_foreground else None
        return self._refine(0, levels, matrix, mask0, iterations=6, tolerance=0.02)[0]

    def _learned_guess(self, levels: Pyramid) -> np.ndarray | None:
        return learned_start(self.coarse, levels[0][0], self.reference_levels[0][0], levels[0][1],
                             motion=self.motion, size=self.size)  # fmt: skip

    def _refine(
        self, level: int, levels: Pyramid, matrix: np.ndarray, mask: np.ndarray | None, *, iterations: int, tolerance: float
    ) -> tuple[np.ndarray, float]:
        """:func:`~.refine.refine` at ``level`` of a full-resolution matrix; (matrix, correlation)."""
        s = self.reference_levels[level][1]
        m, rho, _ = refine(
            self.point_levels[level], levels.sampling(level, contrast=self._matches_contrast(level)),
            to_level(matrix, s), mask, robust=self.reject_foreground,
            trim=self.cell_trim and level < len(self.widths) - 1, iterations=iterations, tolerance=tolerance,
        )  # fmt: skip
        return scale_inverse(s) @ m @ s, rho

    def _static_set(
        self, level: int, levels: Pyramid, matrix: np.ndarray, previous: np.ndarray | None, *, slack: float,
        keep: np.ndarray | None = None,
    ) -> np.ndarray:
        """:func:`~.static_set.static_set` at ``level`` for a full-resolution matrix (within
        ``keep``, when given)."""
        reference, s = self.reference_levels[level]
        mask = static_set(reference, levels[level][0], to_level(matrix, s), previous, slack=slack,
                          gradient=self.reference_gradients[level])  # fmt: skip
        if keep is not None:
            mask = cv2.bitwise_and(mask, _resized(keep, mask.shape))
        return mask


def _resized(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``mask`` (uint8) at ``shape`` (nearest neighbour)."""
    return mask if mask.shape == shape else cv2.resize(mask, shape[::-1], interpolation=cv2.INTER_NEAREST)


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
