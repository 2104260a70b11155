"""Viewer display controls: exposure, gamma and single-channel views of 8-bit display copies.

Array in, array out; display only: nothing here is ever applied to a frame that is
rendered or written. The 8-bit values are taken as sRGB-encoded (what ``to_display8``
gives for the usual camera frames): exposure multiplies linear light by ``2 ** stops``
(as a camera's or Nuke's viewer f-stop does), gamma then lifts (> 1) or lowers (< 1) the
mid-tones (``value ** (1 / gamma)``, Nuke's viewer gamma), and the result is encoded to
sRGB again. One 256-entry table does all of it, so a 1080p frame costs ~2 ms.

Given the frame as stored (``deep``: 16-bit or float), the controls work on its own values
through a 65536-entry table instead (~20 ms at 1080p), so lifting the shadows of a 16-bit
frame by 4 stops shows its 16-bit gradations, not the 8-bit display copy's steps.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

__all__ = ["CHANNELS", "CHANNEL_NAMES", "alpha8", "display_lut", "display_lut16", "apply_display", "is_identity"]

#: single-channel views: "rgb" (all), "r", "g", "b", "a" (alpha; luma when there is none), "y" (luma)
CHANNELS = ("rgb", "r", "g", "b", "a", "y")
CHANNEL_NAMES = {"rgb": "RGB", "r": "red", "g": "green", "b": "blue", "a": "alpha", "y": "luma"}
_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)  # Rec. 709 / sRGB primaries


def is_identity(exposure: float, gamma: float, channel: str = "rgb") -> bool:
    """True when the display controls leave the frame as it is."""
    return exposure == 0.0 and gamma == 1.0 and channel == "rgb"


def _srgb_to_linear(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def _lut(levels: int, exposure: float, gamma: float) -> np.ndarray:
    """``(levels,)`` uint8: display value ``0..levels-1`` -> 8-bit value shown with
    ``exposure`` (stops) and ``gamma`` (in linear light)."""
    if gamma <= 0:
        raise ValueError(f"gamma must be > 0, not {gamma}")
    v = _srgb_to_linear(np.arange(levels, dtype=np.float64) / (levels - 1)) * 2.0**exposure
    v = np.clip(v, 0.0, None) ** (1.0 / gamma)
    lut = np.round(_linear_to_srgb(v) * 255.0).astype(np.uint8)
    lut.setflags(write=False)
    return lut


@lru_cache(maxsize=16)
def display_lut(exposure: float, gamma: float) -> np.ndarray:
    """``(256,)`` uint8: display value -> value shown with ``exposure`` (stops) and ``gamma``."""
    return _lut(256, exposure, gamma)


@lru_cache(maxsize=4)
def display_lut16(exposure: float, gamma: float) -> np.ndarray:
    """``(65536,)`` uint8: 16-bit display value -> 8-bit value shown (as ``display_lut``)."""
    return _lut(65536, exposure, gamma)


def _as16(frame: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint16 display values of a 16-bit or float frame (float: 0-1 clipped)."""
    if frame.ndim == 2:
        frame = frame[:, :, None]
    rgb = frame[:, :, :3] if frame.shape[2] >= 3 else np.repeat(frame[:, :, :1], 3, axis=2)
    if rgb.dtype == np.uint16:
        return rgb
    return (np.clip(rgb, 0.0, 1.0) * 65535.0 + 0.5).astype(np.uint16)


def alpha8(frame: np.ndarray) -> np.ndarray | None:
    """The alpha channel of ``frame`` ``(H, W, 2 or 4)`` as ``(H, W)`` uint8 for display, or None."""
    if frame.ndim != 3 or frame.shape[2] not in (2, 4):
        return None
    a = frame[:, :, -1]
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    if a.dtype == np.uint16:
        return (a >> 8).astype(np.uint8)
    return (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def apply_display(frame8: np.ndarray, *, exposure: float = 0.0, gamma: float = 1.0, channel: str = "rgb",
                  alpha: np.ndarray | None = None, deep: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """What the viewer shows of a display copy.

    Parameters
    ----------
    frame8 : (H, W, 3) uint8 RGB display copy (not modified).
    exposure : stops, applied in linear light.
    gamma : viewer gamma (1: none).
    channel : one of ``CHANNELS``; a single channel is shown as grey.
    alpha : (H, W) uint8, the frame's alpha for the ``"a"`` view; None: ``"a"`` shows luma.
    deep : the frame as stored, ``(H, W[, C])`` uint16 or float32, that ``frame8`` was made
        from: the controls then work on its values (uint8 or None: on ``frame8``'s).

    Returns
    -------
    (H, W, 3) uint8, a new array (``frame8`` itself when nothing changes).
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r} (one of {', '.join(CHANNELS)})")
    if is_identity(exposure, gamma, channel):
        return frame8
    if deep is not None and deep.dtype != np.uint8 and not (channel == "a" and alpha is not None):
        return _apply_deep(_as16(deep), float(exposure), float(gamma), channel)
    if channel in ("r", "g", "b"):
        plane = frame8[:, :, "rgb".index(channel)]
    elif channel == "a" and alpha is not None:
        plane = alpha  # coverage, not light: exposure and gamma apply as to any grey
    elif channel in ("a", "y"):
        lin = _LUT_LINEAR[frame8]  # luma of linear light, encoded again for display
        plane = _LUT_ENCODE[np.clip(lin @ _LUMA * 4095.0 + 0.5, 0, 4095).astype(np.uint16)]
    else:
        plane = None
    lut = display_lut(float(exposure), float(gamma))
    if plane is None:
        return cv2.LUT(np.ascontiguousarray(frame8), lut)
    shown = cv2.LUT(np.ascontiguousarray(plane), lut)
    return np.repeat(shown[:, :, None], 3, axis=2)


_LUT_LINEAR = _srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)
_LUT_ENCODE = np.round(_linear_to_srgb(np.arange(4096) / 4095.0) * 255.0).astype(np.uint8)


def _apply_deep(rgb16: np.ndarray, exposure: float, gamma: float, channel: str) -> np.ndarray:
    lut = display_lut16(exposure, gamma)
    if channel in ("r", "g", "b"):
        shown = lut[rgb16[:, :, "rgb".index(channel)]]
    elif channel in ("a", "y"):  # luma of linear light (no alpha here: "a" shows luma)
        lin = _srgb_to_linear(rgb16.astype(np.float32) / 65535.0) @ _LUMA
        encoded = np.round(_linear_to_srgb(lin) * 65535.0).astype(np.uint16)
        shown = lut[encoded]
    else:
        return lut[rgb16]
    return np.repeat(shown[:, :, None], 3, axis=2)
