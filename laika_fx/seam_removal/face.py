"""Face finder at run time (OpenVINO; no torch): where does a puppet's replaceable face lie?

A replacement-face seam lies on a face, by definition. The seam detector's remaining
false positives on seam-free frames were wires and plank gaps on the set, scored as high
as real seams, so :class:`~laika_fx.seam_removal.detector.SeamDetector` keeps a detected
line only when most of it lies on a face this network finds (``face_gate``).

The frame (at the detector's working scale) is shrunk so its short side is
``FACE_SHORT_SIDE`` px: a face is large, its outline, eyes and mouth tell it, and the
network then costs ~1-2 ms per frame at any delivery resolution. The map it returns is at
half that size; :meth:`FaceFinder.probability` brings it to any requested size.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import cv2
import numpy as np

from ..accelerators.runtime import available, compile_model, model_path

__all__ = ["FACE_SHORT_SIDE", "FaceFinder", "face_finder_available"]

FACE_SHORT_SIDE = 136
_ALIGN = 16  # FaceNet halves its input four times


def face_finder_available(precision: str = "int8") -> bool:
    """Whether the shipped face finder IR of ``precision`` is on disk."""
    return available("face_finder", precision)


class FaceFinder:
    """Face finder on OpenVINO.

    Parameters
    ----------
    precision : ``int8`` (default, shipped quantized IR) or ``fp32``.
    model_xml : explicit IR path (overrides ``precision``'s shipped file).
    threads : inference threads (default: all cores).
    """

    def __init__(self, *, precision: str = "int8", model_xml: str | os.PathLike | None = None,
                 threads: int | None = None) -> None:  # fmt: skip
        self.xml = Path(model_xml) if model_xml else model_path("face_finder", precision)
        if not self.xml.exists():
            raise FileNotFoundError(f"face finder model not found: {self.xml} (run laika-fx train face-finder)")
        self.precision = precision
        self.threads = threads

    @staticmethod
    def input_size(shape: tuple[int, ...]) -> tuple[int, int]:
        """``(h, w)`` the network sees for a frame of ``shape`` (short side ``FACE_SHORT_SIDE``)."""
        s = FACE_SHORT_SIDE / min(shape[0], shape[1])
        return max(1, round(shape[0] * s)), max(1, round(shape[1] * s))

    def logits(self, rgb: np.ndarray) -> np.ndarray:
        """Face logits of ``rgb`` ``(H, W, 3)`` float32 in [0, 1], at half the input size."""
        h, w = self.input_size(rgb.shape)
        small = rgb
        while min(small.shape[:2]) >= 3 * FACE_SHORT_SIDE:  # halve first: a 2x2 mean, 20x cheaper than INTER_AREA
            small = cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2), interpolation=cv2.INTER_LINEAR)
        small = cv2.resize(small, (w, h), interpolation=cv2.INTER_AREA if h < small.shape[0] else cv2.INTER_LINEAR)
        ph, pw = (-h) % _ALIGN, (-w) % _ALIGN
        if ph or pw:
            small = cv2.copyMakeBorder(small, 0, ph, 0, pw, cv2.BORDER_REFLECT_101)
        out = self._net(h + ph, w + pw)(small.transpose(2, 0, 1)[None])[0][0, 0]
        return out[: (h + 1) // 2, : (w + 1) // 2]

    def _net(self, h: int, w: int):
        return compile_model(self.xml, precision="f32", shape=[(1, 3, h, w)], threads=self.threads)

    def warm(self, shape: tuple[int, ...]) -> None:
        """Compile the network for images of ``shape`` (``(H, W[, 3])``); no inference."""
        self._net(*self.padded_input_size(shape))

    @staticmethod
    def padded_input_size(shape: tuple[int, ...]) -> tuple[int, int]:
        """The network's input ``(H, W)`` for images of ``shape``: :meth:`input_size` padded
        to the net's alignment."""
        h, w = FaceFinder.input_size(shape)
        return h + (-h) % _ALIGN, w + (-w) % _ALIGN

    def probability(self, rgb: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
        """Face probability of ``rgb`` ``(H, W, 3)`` float32 in [0, 1], as ``(h, w)`` float32.

        ``size``: ``(h, w)`` of the returned map (bilinear); default ``rgb``'s own size.
        """
        h, w = rgb.shape[:2] if size is None else size
        logits = cv2.resize(self.logits(rgb), (w, h), interpolation=cv2.INTER_LINEAR)
        return 0.5 * (1.0 + np.tanh(0.5 * logits))

    def mask_and_probability(self, rgb: np.ndarray, *, cut: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`mask` and :meth:`probability` of ``rgb`` at its own size, from one inference."""
        bar = _cut_logit(cut)
        logits = cv2.resize(self.logits(rgb), (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
        return logits > bar, 0.5 * (1.0 + np.tanh(0.5 * logits))

    def mask(self, rgb: np.ndarray, size: tuple[int, int] | None = None, *, cut: float = 0.5) -> np.ndarray:
        """Where the face is (probability above ``cut``), ``(h, w)`` bool; as :meth:`probability`
        without computing the probability itself (the logit compared with the cut's)."""
        bar = _cut_logit(cut)
        h, w = rgb.shape[:2] if size is None else size
        return cv2.resize(self.logits(rgb), (w, h), interpolation=cv2.INTER_LINEAR) > bar


def _cut_logit(cut: float) -> float:
    """The logit a face probability above ``cut`` exceeds (0 at the usual 0.5)."""
    if not 0.0 < cut < 1.0:
        raise ValueError(f"a face cut is a probability in (0, 1), got {cut}")
    return 0.0 if cut == 0.5 else math.log(cut / (1.0 - cut))
