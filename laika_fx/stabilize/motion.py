"""Camera motion models and the 3x3 matrices that hold them.

Matrix convention everywhere in :mod:`laika_fx.stabilize`: a (3, 3) float64 matrix maps
pixel coordinates ``(x, y, 1)`` of the *moving* frame to those of the *reference* frame,
pixel centres at integer coordinates. A matrix of full-resolution pixels becomes one of
a resized proxy's pixels by conjugation with :func:`scale_matrix` (:func:`to_level`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MOTION_MODELS",
    "apply_matrix",
    "corner_error",
    "normalise",
    "project_to_motion",
    "scale_matrix",
    "to_level",
]

#: the camera motions a solve may be restricted to, simplest first
MOTION_MODELS = ("translation", "similarity", "homography")


def scale_matrix(sx: float, sy: float) -> np.ndarray:
    """(3, 3) map from full-resolution pixel centres to those of an image resized by (sx, sy)."""
    return np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])


_INVERSES: dict[tuple[str, bytes], np.ndarray] = {}


def scale_inverse(s: np.ndarray) -> np.ndarray:
    """``np.linalg.inv(s)`` of a level's :func:`scale_matrix`, computed once per matrix (a
    solve asks for the same few levels' inverses dozens of times). Read-only."""
    s = np.asarray(s)
    key = (s.dtype.str, s.tobytes())
    inv = _INVERSES.get(key)
    if inv is None:
        if len(_INVERSES) > 256:  # levels of many frame sizes: start again
            _INVERSES.clear()
        inv = np.linalg.inv(s)
        inv.flags.writeable = False
        _INVERSES[key] = inv
    return inv


def is_affine(matrix: np.ndarray) -> bool:
    """``np.allclose(matrix[2], [0, 0, 1])`` (its default tolerances, NaN never close), for a
    (3, 3) matrix, without the array machinery (called ~20 times per solve)."""
    a, b, c = (float(v) for v in matrix[2])
    return abs(a) <= 1e-08 and abs(b) <= 1e-08 and abs(c - 1.0) <= 1e-08 + 1e-05


def to_level(matrix: np.ndarray, s: np.ndarray) -> np.ndarray:
    """A full-resolution (3, 3) ``matrix`` in the pixels of the level whose :func:`scale_matrix` is ``s``."""
    return s @ matrix @ scale_inverse(s)


def normalise(matrix: np.ndarray) -> np.ndarray:
    """(3, 3) ``matrix`` scaled so that its bottom-right entry is 1."""
    return matrix / matrix[2, 2]


def apply_matrix(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map (N, 2) points by a (3, 3) matrix (homogeneous division included)."""
    pts = np.asarray(points, float)
    hom = pts @ matrix[:2, :2].T + matrix[:2, 2]
    den = pts @ matrix[2, :2] + matrix[2, 2]
    return hom / den[:, None]


def project_to_motion(matrix: np.ndarray, motion: str, *, size: tuple[int, int]) -> np.ndarray:
    """Closest transform of the given motion model (least squares on the frame corners).

    Parameters
    ----------
    matrix : (3, 3) transform.
    motion : ``translation``, ``similarity`` or ``homography``.
    size : (width, height) of the frame whose corners (and centre) are fitted.

    Returns
    -------
    matrix : (3, 3) float64 transform of that model.
    """
    if motion == "homography":
        return normalise(matrix)
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
