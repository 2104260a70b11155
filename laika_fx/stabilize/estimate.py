"""Camera solve: each frame's transform to the reference still, robust to a moving puppet.

The solve is a coarse-to-fine masked ECC (enhanced correlation coefficient,
``cv2.findTransformECCWithMask``) on grayscale proxies. At every pyramid level the
current solution warps the moving frame onto the reference; pixels whose residual
``|reference - warped|`` is large after gain normalisation (the puppet, in either
frame) are masked out (blurred residual, robust MAD threshold, dilated) and the
level is solved again on the static set only. ECC is invariant to gain and offset,
so lamp flicker does not bias the solve.

The initial estimate comes from the learned coarse aligner
(:mod:`laika_fx.stabilize.coarse`) when one is given; the coarsest level is also
solved from the identity and the better of the two (masked correlation) is kept, so
a wrong network guess cannot make things worse than the classical solve.

Matrix convention everywhere in this package: a 3x3 matrix maps pixel coordinates
``(x, y, 1)`` of the *moving* frame to those of the *reference* frame (pixel
centres at integer coordinates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "MOTION_MODELS",
    "Alignment",
    "CameraSolver",
    "estimate_transform",
    "gray_proxy",
    "project_to_motion",
    "corner_error",
    "scale_matrix",
]

MOTION_MODELS = ("translation", "similarity", "homography")
_ECC_MOTION = {
    "translation": cv2.MOTION_TRANSLATION,
    "similarity": cv2.MOTION_AFFINE,  # solved as affine, projected to similarity
    "homography": cv2.MOTION_HOMOGRAPHY,
}

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
    initial : which initial estimate won at the coarsest level (``"learned"``/``"identity"``).
    """

    matrix: np.ndarray
    correlation: float
    static_fraction: float
    initial: str = "identity"


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


def _warp_to_reference(moving: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Moving proxy warped into reference coordinates and its validity (bool)."""
    flags = cv2.INTER_LINEAR
    if np.allclose(matrix[2], [0, 0, 1]):
        warped = cv2.warpAffine(moving, matrix[:2], size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0)
    else:
        warped = cv2.warpPerspective(moving, matrix, size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0)
    return warped, warped > -0.5


def static_mask(
    reference: np.ndarray,
    warped: np.ndarray,
    valid: np.ndarray,
    *,
    previous: np.ndarray | None = None,
    threshold: float = 3.5,
    dilate: int = 2,
    floor: float = 0.02,
) -> np.ndarray:
    """Pixels that agree with the camera solution: the static set (uint8, 255 = static).

    Parameters
    ----------
    reference, warped : (h, w) float32 proxies in reference coordinates.
    valid : (h, w) bool, where ``warped`` is defined.
    previous : (h, w) uint8 static mask used for the gain normalisation, or None.
    threshold : residual above ``threshold`` robust standard deviations counts as moving.
    dilate : dilation radius of the moving regions in pixels.
    floor : smallest residual (in standard deviations of the image) counted as moving.
    """
    use = valid if previous is None else (valid & (previous > 0))
    if use.sum() < 64:
        use = valid
    ref_v, war_v = reference[use], warped[use]
    # gain/offset normalisation (flicker): match mean and std over the static set
    ref_n = (reference - ref_v.mean()) / (ref_v.std() + 1e-6)
    war_n = (warped - war_v.mean()) / (war_v.std() + 1e-6)
    residual = cv2.GaussianBlur(np.abs(ref_n - war_n), (0, 0), 1.5)
    r_static = residual[use]
    med = float(np.median(r_static))
    mad = float(np.median(np.abs(r_static - med))) * 1.4826
    limit = max(med + threshold * mad, floor)
    moving = ((residual > limit) & valid).astype(np.uint8)
    if dilate > 0:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilate + 1, 2 * dilate + 1))
        moving = cv2.dilate(moving, k)
    keep = valid & (moving == 0)
    # keep a 1-pixel margin off the invalid border (bilinear mixes in the fill value)
    keep = cv2.erode(keep.astype(np.uint8), np.ones((3, 3), np.uint8))
    return keep * np.uint8(255)


def _plausible(candidate: np.ndarray, previous: np.ndarray, size: tuple[int, int], *, max_step: float) -> bool:
    """A camera bump, not a divergence: limited corner motion, near-similarity linear part."""
    if not np.all(np.isfinite(candidate)):
        return False
    w, h = size
    corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], float)
    step = np.linalg.norm(apply_matrix(candidate, corners) - apply_matrix(previous, corners), axis=1).max()
    if step > max_step:
        return False
    sv = np.linalg.svd(candidate[:2, :2], compute_uv=False)
    return bool(0.8 < sv[1] and sv[0] < 1.25 and sv[0] / sv[1] < 1.1)


class CameraSolver:
    """Solves frames against one reference still; holds the reference pyramid.

    Safe to call from several threads at once (state is read-only after construction).

    Parameters
    ----------
    reference : (H, W[, C]) ndarray, the reference still.
    motion : ``translation``, ``similarity`` (default) or ``homography``.
    coarse : learned coarse aligner (callable on two proxies) or None (identity start).
    finest_width : width of the finest pyramid level (the solve is sub-pixel there).
    coarsest_width : smallest pyramid level width.
    reject_foreground : mask out pixels that move against the camera (the puppet).
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
    ) -> None:
        if motion not in MOTION_MODELS:
            raise ValueError(f"motion must be one of {MOTION_MODELS}, got {motion!r}")
        self.motion = motion
        self.coarse = coarse
        self.reject_foreground = reject_foreground
        self.height, self.width = reference.shape[:2]
        self.widths = _level_widths(self.width, finest_width=finest_width, coarsest_width=coarsest_width)
        self.reference_levels = self._pyramid(reference)

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def _pyramid(self, frame: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        if frame.shape[:2] != (self.height, self.width):
            raise ValueError(
                f"frame is {frame.shape[1]}x{frame.shape[0]}, the reference is {self.width}x{self.height}"
            )
        finest = gray_proxy(frame, width=self.widths[-1])
        levels = [finest]
        for w in reversed(self.widths[:-1]):
            h = max(1, round(self.height * w / self.width))
            levels.append(cv2.resize(levels[-1], (w, h), interpolation=cv2.INTER_AREA))
        out = []
        for img in reversed(levels):
            h, w = img.shape
            out.append((img, scale_matrix(w / self.width, h / self.height)))
        return out

    def _ecc(
        self, reference: np.ndarray, moving: np.ndarray, matrix: np.ndarray, mask: np.ndarray, *, iterations: int, eps: float
    ) -> tuple[np.ndarray, float]:
        """One masked ECC solve at one level; ``matrix`` is moving -> reference (level pixels)."""
        warp = np.linalg.inv(matrix)  # ECC's warp maps template (reference) -> input (moving)
        warp = _normalise(warp)
        if self.motion != "homography":
            warp = warp[:2].astype(np.float32)
        else:
            warp = warp.astype(np.float32)
        ones = np.full(moving.shape, 255, np.uint8)
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations, eps)
        rho, warp = cv2.findTransformECCWithMask(
            reference, moving, mask, ones, warp, _ECC_MOTION[self.motion], criteria, 5
        )
        full = np.eye(3)
        full[: warp.shape[0]] = warp
        return _normalise(np.linalg.inv(full)), float(rho)

    def _solve_level(
        self,
        level: int,
        moving: np.ndarray,
        matrix_full: np.ndarray,
        mask: np.ndarray | None,
        *,
        rounds: int,
        iterations: int,
        eps: float,
    ) -> tuple[np.ndarray, float, np.ndarray]:
        reference, s = self.reference_levels[level]
        h, w = reference.shape
        matrix = _to_level(matrix_full, s)
        if mask is None or mask.shape != (h, w):
            mask = (
                np.full((h, w), 255, np.uint8)
                if mask is None
                else (cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST))
            )
        rho = -1.0
        # largest plausible change of the solution at this level (level pixels): a whole
        # bump at the coarsest level, a few pixels once a coarser level has solved it
        max_step = 0.35 * w
        for i in range(rounds):
            try:
                candidate, rho = self._ecc(reference, moving, matrix, mask, iterations=iterations, eps=eps)
                if _plausible(candidate, matrix, (w, h), max_step=max_step):
                    matrix = candidate
                else:
                    rho = -1.0  # diverged: keep the previous estimate
            except cv2.error:
                rho = -1.0  # not converged: keep the previous estimate
            if self.reject_foreground and (i < rounds - 1 or level < len(self.reference_levels) - 1):
                warped, valid = _warp_to_reference(moving, matrix, (w, h))
                new_mask = static_mask(reference, warped, valid, previous=mask)
                if (new_mask > 0).sum() > 0.1 * h * w:
                    mask = new_mask
        return np.linalg.inv(s) @ matrix @ s, rho, mask

    def solve(self, moving: np.ndarray, *, initial: np.ndarray | None = None) -> Alignment:
        """Transform of ``moving`` to the reference.

        Parameters
        ----------
        moving : (H, W[, C]) ndarray, same size as the reference.
        initial : (3, 3) starting estimate (moving -> reference); default: the coarse
            aligner's guess (if any), checked against the identity.

        Returns
        -------
        alignment : :class:`Alignment`.
        """
        levels = self._pyramid(moving)
        n_levels = len(levels)
        rounds_coarse = 3 if self.reject_foreground else 1
        starts: list[tuple[str, np.ndarray]] = []
        if initial is not None:
            starts.append(("given", np.asarray(initial, float)))
        else:
            if self.coarse is not None:
                try:
                    guess = self.coarse(levels[0][0], self.reference_levels[0][0])
                    guess = np.linalg.inv(levels[0][1]) @ guess @ levels[0][1]
                    starts.append(("learned", project_to_motion(guess, self.motion, size=self.size)))
                except (cv2.error, np.linalg.LinAlgError):
                    pass
            starts.append(("identity", np.eye(3)))
        best = None
        for name, start in starts:
            m, rho, mask = self._solve_level(
                0, levels[0][0], start, None, rounds=rounds_coarse, iterations=60, eps=1e-4
            )
            if best is None or rho > best[2] + 1e-3:
                best = (name, m, rho, mask)
        assert best is not None
        initial_name, matrix, rho, mask = best
        for level in range(1, n_levels):
            finest = level == n_levels - 1
            matrix, rho, mask = self._solve_level(
                level, levels[level][0], matrix, mask,
                rounds=2 if (finest and self.reject_foreground) else 1,
                iterations=40 if finest else 30, eps=1e-6 if finest else 1e-5,
            )  # fmt: skip
        matrix = project_to_motion(matrix, self.motion, size=self.size)
        static = float((mask > 0).mean()) if mask is not None else 1.0
        return Alignment(matrix=matrix, correlation=rho, static_fraction=static, initial=initial_name)


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
