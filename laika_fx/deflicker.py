"""Deflicker: take out the frame-to-frame exposure flicker of practical lights.

Stop-motion stills are shot minutes apart; lamps drift and flicker by a few percent,
which plays back as a shimmer. The analyze step measures each frame's exposure
against a rolling median of its neighbours *per pixel* on a small proxy and takes
the median of the log ratios, so a moving puppet does not read as a change of light.
The render step multiplies the colour channels by the gain (alpha untouched).

Sidecar ``OUTPUT/deflicker.json``::

    {"window": 9, "frames": [{"frame": 1001, "gain": 1.012}, ...]}
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from .plugins import FrameContext, Param, Plugin

__all__ = ["DeflickerPlugin", "measure_log_exposure", "apply_gain", "check_gains"]

_PROXY_WIDTH = 160


def _luma_proxy(frame: np.ndarray) -> np.ndarray:
    """Small float32 luminance image of a frame, scaled to [0, 1] for integer input."""
    colour = frame if frame.ndim == 2 else frame[:, :, :3]
    h, w = colour.shape[:2]
    scale = _PROXY_WIDTH / w
    small = cv2.resize(colour, (_PROXY_WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32)
    if frame.dtype == np.uint8:
        small /= 255.0
    elif frame.dtype == np.uint16:
        small /= 65535.0
    if small.ndim == 3:
        small = small @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    return small


def measure_log_exposure(proxies: np.ndarray, *, window: int) -> np.ndarray:
    """Log gain that brings each proxy to the rolling per-pixel median of its neighbours.

    Parameters
    ----------
    proxies : (N, h, w) float32 luminance proxies of consecutive frames.
    window : frames in the rolling median (odd; clipped to the shot length).

    Returns
    -------
    log_gain : (N,) float64, ``log(target / frame)`` per frame.
    """
    n = proxies.shape[0]
    half = max(0, window // 2)
    logs = np.log(np.clip(proxies, 1e-3, None))
    valid = (proxies > 0.02) & (proxies < 0.98)  # ignore black and clipped pixels
    out = np.zeros(n)
    for i in range(n):
        lo, hi = max(0, i - half), min(n, i + half + 1)
        target = np.median(logs[lo:hi], axis=0)
        diff = (target - logs[i])[valid[i]]
        out[i] = float(np.median(diff)) if diff.size else 0.0
    return out


def apply_gain(frame: np.ndarray, gain: float) -> np.ndarray:
    """Multiply the colour channels of ``frame`` by ``gain``; dtype and alpha kept."""
    if gain == 1.0:
        return frame
    colour = frame if frame.ndim == 2 else frame[:, :, :3]
    if frame.dtype == np.float32:
        scaled = colour * np.float32(gain)
    else:
        info = np.iinfo(frame.dtype)
        scaled = np.clip(colour.astype(np.float32) * gain + 0.5, 0, info.max).astype(frame.dtype)
    if frame.ndim == 2:
        return scaled
    out = frame.copy()
    out[:, :, :3] = scaled
    return out


def check_gains(doc: dict, *, name: str = "deflicker.json") -> dict:
    """Check a deflicker analysis document; return it unchanged (ValueError naming the field)."""
    frames = doc.get("frames")
    if not isinstance(frames, list):
        raise ValueError(f"{name}: not a deflicker analysis (no 'frames' list)")
    window = doc.get("window")
    if window is not None and (not isinstance(window, int) or isinstance(window, bool)):
        raise ValueError(f"{name}: window is {window!r}, not a whole number")
    seen: set[int] = set()
    for i, entry in enumerate(frames):
        n = entry.get("frame") if isinstance(entry, dict) else None
        if not isinstance(n, int) or isinstance(n, bool):
            raise ValueError(f"{name}: frames[{i}] is {entry!r:.80}, not {{'frame': int, 'gain': number}}")
        if n in seen:
            raise ValueError(f"{name}: frame {n} is listed twice")
        seen.add(n)
        gain = entry.get("gain")
        if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not math.isfinite(gain) or gain <= 0:
            raise ValueError(f"{name}: frame {n}: gain is {gain!r}, not a finite number above 0")
    return doc


class DeflickerPlugin(Plugin):
    name = "deflicker"
    label = "Deflicker"
    description = "Even out frame-to-frame exposure flicker (robust to a moving puppet)."
    has_analyze = True
    params = (
        Param("window", int, 9, minimum=3, maximum=101, help="frames in the rolling median the exposure is matched to"),
        Param("strength", float, 1.0, minimum=0.0, maximum=1.0, help="fraction of the measured flicker removed"),
        Param("max_gain", float, 0.15, minimum=0.0, maximum=1.0, help="largest correction applied, as a fraction (0.15 = +-15%)"),
    )  # fmt: skip

    def analyze(self, source) -> dict:
        proxies = source.map(lambda n, frame: _luma_proxy(frame))
        frames = sorted(proxies)
        if not frames:
            return {"window": self.settings["window"], "frames": []}
        stack = np.stack([proxies[n] for n in frames])
        log_gain = measure_log_exposure(stack, window=self.settings["window"])
        return {
            "window": self.settings["window"],
            "frames": [{"frame": n, "gain": round(float(np.exp(g)), 6)} for n, g in zip(frames, log_gain, strict=True)],
        }

    @classmethod
    def read_analysis(cls, path) -> dict:
        """``deflicker.json``, checked: ``frames`` a list of ``{"frame": int, "gain": number > 0}``
        (NaN and infinite gains are refused naming the frame), ``window`` an int."""
        doc = super().read_analysis(path)
        return check_gains(doc, name=Path(path).name)

    def set_analysis(self, analysis: dict) -> None:
        super().set_analysis(analysis)
        self._gains = {int(f["frame"]): float(f["gain"]) for f in analysis.get("frames", [])}

    def render(self, frame: np.ndarray, ctx: FrameContext) -> np.ndarray:
        gain = getattr(self, "_gains", {}).get(ctx.frame, 1.0)
        limit = self.settings["max_gain"]
        gain = 1.0 + float(np.clip((gain - 1.0) * self.settings["strength"], -limit, limit))
        return apply_gain(frame, gain)
