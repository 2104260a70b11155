"""The ``seam_removal`` plugin: detect the replacement-face seam, paint it out.

Per frame: the learned detector proposes a mask (or the artist's mask override is
used instead), the mask is dilated, and only the mask's pixels are filled by the
inpainter. The mask goes to ``ctx.masks["seam"]``, declared in ``saved_masks`` so that
``--save-masks`` writes it to ``OUTPUT/masks/<frame stem>.png``; lines the face gate
left alone (found off any face) go to ``ctx.masks["seam_rejected"]``, display only (not
saved), which the app overlays so an artist can paint them in where they are seams.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from ..plugins import FrameContext, Param, Plugin
from .detector import SeamDetector, runtime_settings
from .inpaint import INPAINTERS, Inpainter

__all__ = ["SeamRemoval"]

_CALIBRATED = ", ".join(f"{p.upper()} {runtime_settings('seam_detector', p).get('threshold', 0.5)}"
                        for p in ("int8", "fp32"))


class SeamRemoval(Plugin):
    name = "seam_removal"
    label = "Seam removal"
    description = "Find the replacement-face seam (learned detector) and paint it out (learned inpainter)."
    saved_masks = MappingProxyType({"seam": "masks"})  # "seam_rejected" is display only
    params = (
        Param("threshold", float, 0.0, minimum=0.0, maximum=0.9999,
              help="detector probability above which a pixel is seam; 0 = the value calibrated on held-out "
                   f"data for the chosen precision ({_CALIBRATED})"),
        Param("dilation", int, 2, minimum=0, maximum=20, help="grow the mask by this many pixels before filling"),
        Param("min_area", int, 12, minimum=0, maximum=10000,
              help="drop detections smaller than this (pixels at working scale)"),
        Param("face_gate", bool, True,
              help="keep only lines that lie on a puppet face (learned face finder): a seam lies on a face, a wire "
                   "or a plank gap on the set; off = every line the detector finds"),
        Param("inpainter", str, "learned", choices=INPAINTERS,
              help="learned (residual over Telea), or OpenCV telea / ns"),
        Param("precision", str, "int8", choices=("int8", "fp32"), help="model precision on OpenVINO"),
        Param("detect_only", bool, False, help="write the mask, leave the frame unchanged"),
    )  # fmt: skip

    def __init__(self, settings=None) -> None:
        super().__init__(settings)
        self._detector: SeamDetector | None = None
        self._inpainter: Inpainter | None = None

    def prepare(self) -> None:
        if self._detector is None:
            self._detector = SeamDetector(precision=self.settings["precision"], face_gate=self.settings["face_gate"])
        if self._inpainter is None:
            self._inpainter = Inpainter(self.settings["inpainter"], precision=self.settings["precision"])

    def detect(self, frame: np.ndarray) -> np.ndarray:
        """Seam mask of ``frame`` with this plugin's settings, ``(H, W)`` uint8 255 = seam."""
        return self._detect_lines(frame)[0]

    def _detect_lines(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        self.prepare()
        return self._detector.detect_lines(
            frame, threshold=self.settings["threshold"] or None, dilation=self.settings["dilation"],
            min_area=self.settings["min_area"],
        )  # fmt: skip

    def remove(self, frame: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """``frame`` with the seam painted out (``mask`` given, or detected)."""
        self.prepare()
        mask = self.detect(frame) if mask is None else mask
        return self._inpainter(frame, mask)

    def render(self, frame: np.ndarray, ctx: FrameContext) -> np.ndarray:
        if ctx.mask_override is not None:
            mask = ctx.mask_override
        else:
            mask, rejected = self._detect_lines(frame)
            if rejected is not None:  # lines off any face, left alone (the app shows them)
                ctx.masks["seam_rejected"] = rejected
        ctx.masks["seam"] = mask
        if self.settings["detect_only"]:
            return frame
        self.prepare()
        return self._inpainter(frame, mask)
