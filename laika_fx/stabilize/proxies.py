"""Grayscale proxies of a frame: the pyramid a solve works on and the images derived from it.

A solve never touches the full-resolution frame: it makes one grayscale float32 proxy
``finest_width`` wide (:func:`gray_proxy`; typically 960 px, half resolution at 1080p)
and halves it down to ~120 px (:func:`level_widths`), coarsest level first
(:class:`Pyramid`). At the coarse levels the solve compares *locally
contrast-normalised* images (:func:`local_contrast`): every region's texture counts
alike, so a faint set pulls as hard as a contrasty puppet. The refinement samples a
blurred copy with a NaN frame (:func:`sampling_image`).
"""

from __future__ import annotations

import cv2
import numpy as np

from .motion import is_affine, scale_matrix

__all__ = [
    "Pyramid",
    "build_pyramid",
    "gray_proxy",
    "level_widths",
    "local_contrast",
    "sampling_image",
    "warp_to_reference",
]


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


def level_widths(width: int, *, finest_width: int, coarsest_width: int) -> list[int]:
    """Pyramid widths, coarsest first: ``min(width, finest_width)`` halved while at least ``coarsest_width``."""
    w = min(width, finest_width)
    widths = [w]
    while w // 2 >= coarsest_width:
        w //= 2
        widths.append(w)
    return widths[::-1]


def local_contrast(image: np.ndarray, *, sigma: float = 2.0, floor: float = 0.01) -> np.ndarray:
    """Local contrast normalisation: every region's texture counts alike, flat areas stay flat.

    Parameters
    ----------
    image : (h, w) float32 proxy.
    sigma : Gaussian scale (pixels) of the local mean and spread.
    floor : added to the local spread, so that flat areas are not amplified.

    Returns
    -------
    contrast : (h, w) float32, ``(image - local mean) / (local spread + floor)``.
    """
    mean = cv2.GaussianBlur(image, (0, 0), sigma)
    detail = image - mean
    spread = np.sqrt(cv2.GaussianBlur(detail * detail, (0, 0), sigma))
    return detail / (spread + floor)


def sampling_image(image: np.ndarray, *, border: int = 3) -> np.ndarray:
    """What the refinement samples (:meth:`~.refine.PointLevel.sample`): ``image`` blurred
    like the reference points' values, with a ``border``-pixel frame of NaN (the blur is
    padded by reflection there).

    Parameters
    ----------
    image : (h, w) float32.

    Returns
    -------
    sampling : (h, w) float32.
    """
    smooth = cv2.GaussianBlur(image, (5, 5), 0)
    smooth[:border], smooth[-border:], smooth[:, :border], smooth[:, -border:] = np.nan, np.nan, np.nan, np.nan
    return smooth


def warp_to_reference(
    moving: np.ndarray, matrix: np.ndarray, size: tuple[int, int], *, fill: float = -1.0
) -> tuple[np.ndarray, np.ndarray]:
    """A proxy warped into reference coordinates (bilinear) and where it is defined.

    Parameters
    ----------
    moving : (h, w) float32 proxy.
    matrix : (3, 3) moving -> reference, in the proxy's pixels.
    size : (width, height) of the reference proxy.
    fill : value of pixels from outside the frame; it must lie below every image value.

    Returns
    -------
    warped : (height, width) float32.
    valid : (height, width) bool, ``warped > fill / 2``.
    """
    flags = cv2.INTER_LINEAR
    if is_affine(matrix):
        warped = cv2.warpAffine(moving, matrix[:2], size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    else:
        warped = cv2.warpPerspective(moving, matrix, size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    return warped, warped > fill / 2


class Pyramid(list):
    """A frame's proxies ``(image, s)`` per level, coarsest first, where ``image`` is the
    (h, w) float32 proxy and ``s`` its :func:`~.motion.scale_matrix`; plus a cache of the
    images derived from them during one solve."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.cache: dict = {}

    def contrast(self, level: int) -> np.ndarray:
        """:func:`local_contrast` of the proxy at ``level`` (cached)."""
        key = ("contrast", level)
        if key not in self.cache:
            self.cache[key] = local_contrast(self[level][0])
        return self.cache[key]

    def sampling(self, level: int, *, contrast: bool) -> np.ndarray:
        """:func:`sampling_image` of the proxy at ``level``, or of its :meth:`contrast` (cached)."""
        key = ("sampling", level, contrast)
        if key not in self.cache:
            self.cache[key] = sampling_image(self.contrast(level) if contrast else self[level][0])
        return self.cache[key]


def build_pyramid(finest: np.ndarray, widths: list[int], *, size: tuple[int, int]) -> Pyramid:
    """The :class:`Pyramid` of one frame from its finest proxy.

    Parameters
    ----------
    finest : (h, w) float32 proxy ``widths[-1]`` wide (:func:`gray_proxy`).
    widths : :func:`level_widths`, coarsest first.
    size : (width, height) of the full-resolution frame.
    """
    width, height = size
    levels = [np.asarray(finest, np.float32)]
    for w in reversed(widths[:-1]):
        h = max(1, round(height * w / width))
        levels.append(cv2.resize(levels[-1], (w, h), interpolation=cv2.INTER_AREA))
    out = Pyramid()
    for img in reversed(levels):
        h, w = img.shape
        out.append((img, scale_matrix(w / width, h / height)))
    return out
