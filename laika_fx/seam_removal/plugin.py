"""The ``seam_removal`` plugin: detect the replacement-face seam, paint it out.

Per frame: the learned detector proposes a mask (or the artist's mask override is
used instead), the mask is dilated, and only the mask's pixels are filled by the
inpainter. Where the artist said the puppet is (a prompt, ``ctx.prompt``), lines inside
it are painted out and lines outside it left alone; elsewhere the ``gate`` policy decides
(:data:`~laika_fx.seam_removal.detector.GATES`). The mask goes to ``ctx.masks["seam"]``,
declared in ``saved_masks`` so that ``--save-masks`` writes it to
``OUTPUT/masks/<frame stem>.png``; lines left alone go to ``ctx.masks["seam_rejected"]``,
display only (not saved), which the app overlays so an artist can paint them in where they
are seams, and to the frame's note (``ctx.notes["seam_removal"]``), from which the report
lists the frames with lines left alone.

Per-shot models: when the frame's shot has a seam detector learned from its corrections
(``<shot folder>.laika_fx/models/``, ``laika-fx train seam-detector --from-shot``) it
detects on that shot instead of the shipped one, with the thresholds calibrated with it
(``shot_model=off``: always the shipped one). The shot is the folder of the frame's file
(``ctx.path``); the report names the model used (path and sha256). A model written again
while a process runs (the app learning anew) is picked up at the next frame.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ..accelerators.runtime import file_stamp
from ..overrides import blend_soft, default_shot_model_dir
from ..plugins import FrameContext, Param, Plugin
from ..sequence import format_frame_range
from .detector import (
    CONFIDENT,
    GATES,
    DetectedLines,
    SeamDetector,
    ShotModel,
    runtime_settings,
    shot_model,
)
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
        Param("gate", str, "auto", choices=GATES,
              help="which lines to paint out on frames without an artist prompt: auto = those the model's "
                   "learned line scorer calls seams (when it was calibrated with one), else on a face the face "
                   "finder sees or anywhere when the detector is confident (see 'confident'); face = only on a "
                   "face the face finder sees; prompt = only inside the artist's prompt; off = every line found"),
        Param("confident", float, 0.0, minimum=0.0, maximum=1.0,
              help="gate auto: median seam probability along a line off any face above which it is painted out; "
                   f"0 = the value calibrated with the model (else {CONFIDENT}); set, it replaces the model's line "
                   "scorer with this rule"),
        Param("motion", str, "on", choices=("on", "off"),
              help="gates auto and face: on = a line on what moved against the set in this frame (the puppet, "
                   "as the stabilize analysis saw it) is painted out when the detector's median along it reaches "
                   "the model's moving_confident (0: as on a face); off = only the face finder"),
        Param("inpainter", str, "learned", choices=INPAINTERS,
              help="learned (residual over Telea), or OpenCV telea / ns"),
        Param("precision", str, "int8", choices=("int8", "fp32"), help="model precision on OpenVINO"),
        Param("shot_model", str, "auto", choices=("auto", "off"),
              help="auto = detect with the model learned from this shot's corrections when it has one "
                   "(<shot folder>.laika_fx/models, laika-fx train seam-detector --from-shot); off = always the "
                   "shipped detector"),
        Param("detect_only", bool, False, help="write the mask, leave the frame unchanged"),
    )  # fmt: skip

    def __init__(self, settings=None) -> None:
        super().__init__(settings)
        self._detector: SeamDetector | None = None
        self._inpainter: Inpainter | None = None
        # per-shot detectors by model folder: (files' stamp, detector, model) or None
        self._shot_detectors: dict[Path, tuple[tuple, SeamDetector | None, ShotModel | None]] = {}
        self._shot_lock = threading.Lock()

    def prepare(self) -> None:
        if self._detector is None:
            self._detector = SeamDetector(precision=self.settings["precision"], gate=self.settings["gate"],
                                          confident=self.settings["confident"] or None)  # fmt: skip
        if self._inpainter is None:
            self._inpainter = Inpainter(self.settings["inpainter"], precision=self.settings["precision"])

    def warm(self, shape, dtype) -> None:
        """Compile the detector's and face finder's networks for frames of ``shape`` (the
        inpainter's tile is compiled by :meth:`prepare`); no inference is run."""
        self.prepare()
        self._detector.warm(shape)

    def detect(self, frame: np.ndarray, *, puppet=None) -> np.ndarray:
        """Seam mask of ``frame`` with this plugin's settings, ``(H, W)`` uint8 255 = seam.

        ``puppet``: where the artist says the puppet is (prompt regions), or None.
        """
        return self._detect_lines(frame, puppet).mask

    def shot_detector(self, path: str | os.PathLike | None) -> tuple[SeamDetector, ShotModel | None]:
        """The detector for a frame of the shot whose file is ``path``: that shot's learned
        model when it has one and ``shot_model`` is ``auto``, else the shipped one (and
        None). Raises ValueError when the shot's model is there but unusable."""
        self.prepare()
        if self.settings["shot_model"] == "off" or path is None:
            return self._detector, None
        shot_dir = Path(path).parent
        folder = default_shot_model_dir(shot_dir)
        precision = "fp32" if self.settings["precision"] == "fp32" else "int8"
        names = (f"seam_detector_{precision}.xml", f"seam_detector_{precision}.bin", "seam_detector.json")
        stamp = tuple(file_stamp(folder / n) for n in names)
        with self._shot_lock:
            known = self._shot_detectors.get(folder)
            if known is None or known[0] != stamp:
                model = shot_model(shot_dir, precision) if stamp[0] is not None else None
                det = None
                if model is not None:
                    det = SeamDetector(precision=precision, model_xml=model.xml, gate=self.settings["gate"],
                                       confident=self.settings["confident"] or None, settings=model.settings)  # fmt: skip
                known = self._shot_detectors[folder] = (stamp, det, model)
        _, det, model = known
        return (det, model) if det is not None else (self._detector, None)

    def _detect_lines(self, frame: np.ndarray, puppet=None, detector: SeamDetector | None = None,
                      moving: np.ndarray | None = None) -> DetectedLines:  # fmt: skip
        self.prepare()
        return (detector or self._detector).detect_lines(
            frame, threshold=self.settings["threshold"] or None, dilation=self.settings["dilation"],
            min_area=self.settings["min_area"], puppet=puppet, moving=moving,
        )  # fmt: skip

    def remove(self, frame: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """``frame`` with the seam painted out (``mask`` given, or detected)."""
        self.prepare()
        mask = self.detect(frame) if mask is None else mask
        return self._inpainter(frame, mask)

    def render(self, frame: np.ndarray, ctx: FrameContext) -> np.ndarray:
        note: dict[str, Any] = {}
        if ctx.mask_override is not None:
            mask = ctx.mask_override
        else:
            detector, model = self.shot_detector(ctx.path)
            if model is not None:
                note["shot_model"] = model.describe()
            moving = ctx.moving if self.settings["motion"] == "on" else None
            lines = self._detect_lines(frame, ctx.prompt or None, detector, moving)
            mask = lines.mask
            if lines.left_alone is not None:  # found, not painted out (the app shows them)
                ctx.masks["seam_rejected"] = lines.left_alone
            if lines.lines_left_alone:
                note |= {"lines_left_alone": lines.lines_left_alone, "outside_prompt": lines.outside_prompt,
                         "rejected_by_gate": lines.rejected_by_gate, "rejected_on_puppet": lines.rejected_on_puppet}  # fmt: skip
        if mask.any():  # a seam is painted out on this frame (the app's timeline marks it)
            note["cleaned"] = True
        if note:
            ctx.notes[self.name] = note
        ctx.masks["seam"] = mask
        if self.settings["detect_only"]:
            return frame
        self.prepare()
        # a soft override's feather mixes the fill into the original (1..254: part fill)
        return blend_soft(frame, self._inpainter(frame, mask), mask)

    @classmethod
    def summarize_notes(cls, notes: Mapping[int, Any]) -> dict:
        """``{"frames_with_lines_left_alone": [...], "frames_with_lines_left_on_puppet": [...],
        "lines_left_alone": {frame: counts}, "frames_cleaned": [...], "shot_models": [{"path",
        "sha256", "precision", "frames"}], "summary"}`` (on_puppet: a line the gate left alone lay
        on a face or on what moved, where a missed seam would be; cleaned: a seam was painted
        out; shot_models: the per-shot detectors used, on how many frames)."""
        frames = sorted(n for n, v in notes.items() if v.get("lines_left_alone"))
        on_puppet = [n for n in frames if notes[n].get("rejected_on_puppet")]
        cleaned = sorted(n for n, v in notes.items() if v.get("cleaned"))
        outside = sum(notes[n]["outside_prompt"] for n in frames)
        gated = sum(notes[n]["rejected_by_gate"] for n in frames)
        puppet = sum(notes[n].get("rejected_on_puppet", 0) for n in on_puppet)
        # notes carried from a run before the count (--resume) say nothing of where their lines lay
        counted = all("rejected_on_puppet" in notes[n] for n in frames if notes[n]["rejected_by_gate"])
        gate_why = (f"{gated} rejected by the gate" + (f", {puppet or 'none'} of them on a face or what moved"
                                                        if counted else "")) if gated else ""  # fmt: skip
        why = ", ".join(t for t in (f"{outside} outside the prompt" if outside else "", gate_why) if t)
        models: dict[tuple, dict] = {}
        for v in notes.values():
            if isinstance(v.get("shot_model"), dict):
                m = v["shot_model"]
                row = models.setdefault((m.get("path"), m.get("sha256")), {**m, "frames": 0})
                row["frames"] += 1
        summary = [f"detected lines left alone (not painted out) on {len(frames)} frame"
                   f"{'s' if len(frames) != 1 else ''}: {format_frame_range(frames)} ({why})" if frames else ""]
        summary += [f"lines on a face or what moved left alone (check these for seams) on {len(on_puppet)} frame"
                    f"{'s' if len(on_puppet) != 1 else ''}: {format_frame_range(on_puppet)}" if on_puppet else ""]
        summary += [f"per-shot detector {m['path']} (sha256 {str(m['sha256'])[:12]}) on {m['frames']} frame"
                    f"{'s' if m['frames'] != 1 else ''}" for m in models.values()]  # fmt: skip
        return {
            "frames_with_lines_left_alone": frames,
            "frames_with_lines_left_on_puppet": on_puppet,
            "lines_left_alone": {str(n): {k: v for k, v in notes[n].items() if k not in ("cleaned", "shot_model")}
                                 for n in frames},
            "frames_cleaned": cleaned,
            "shot_models": list(models.values()),
            "summary": "; ".join(t for t in summary if t),
        }  # fmt: skip

