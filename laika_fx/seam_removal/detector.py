"""Seam detection at run time (OpenVINO; no torch).

The frame is brought to a *working scale* where its short side is about
``WORKING_HEIGHT`` px (1080p: 1/2, 4K: 1/4; smaller frames are used as they are),
so seams have the width the network was trained on whatever the delivery
resolution. The whole working image goes through the network in one inference
(compiled once per shape, cached), so there are no tile borders at all; frames whose
working image exceeds ``MAX_WORKING_PIXELS`` are tiled with overlap and only each
tile's centre is kept. Then hysteresis thresholding, removal of tiny components, the
choice of the lines to paint out (:func:`select_lines`), upsampling to the frame and an
optional dilation.

Which lines are painted out: where the artist said the puppet is (a prompt,
:mod:`laika_fx.prompts`), the lines inside it (at least ``MIN_IN_PROMPT`` of their pixels)
and no others. Elsewhere the ``gate`` policy decides (see :data:`GATES`): a seam lies on a
face, a wire or a plank gap on the set, and the learned face finder (``face.py``) tells
where faces are, but it knows only the heads it was trained on, so by default (``auto``) it
may raise a line's standing, never veto a confident one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..accelerators.runtime import compile_model, model_digest, model_path
from ..overrides import default_shot_model_dir
from ..prompts import Region, region_mask
from .face import FaceFinder, face_finder_available
from .lines import LineScorer, frame_face_features, line_features

__all__ = ["WORKING_HEIGHT", "MIN_ON_FACE", "MIN_IN_PROMPT", "GATES", "CONFIDENT", "SeamDetector", "DetectedLines",
           "hysteresis", "select_lines", "moving_cells", "to_unit_rgb", "model_meta", "runtime_settings", "upscale_mask",
           "ShotModel", "shot_model"]  # fmt: skip

WORKING_HEIGHT = 540
MAX_WORKING_PIXELS = 1_400_000
TILE = 512
OVERLAP = 48
_ALIGN = 32  # the five-level SeamNet halves the frame five times
MIN_ON_FACE = 0.5  # share of a detected line's pixels that must lie on a face (face gate)
MIN_IN_PROMPT = 0.5  # share of a detected line's pixels that must lie in the artist's prompt
#: gate policies for frames the artist gave no prompt on:
#: ``auto`` -- a soft face prior: on a face the face finder sees, a line needs only the
#:   detector's threshold; off any face it is painted out when the detector is confident of
#:   it (median probability along the line at least ``confident``): no veto of a sure line;
#: ``face`` -- only lines on a face the face finder sees (a veto: a seam on a head unlike
#:   the training heads is left alone);
#: ``prompt`` -- only lines inside the artist's prompt (none on frames without one);
#: ``off`` -- every line the detector finds.
GATES = ("auto", "face", "prompt", "off")
#: ``auto``'s bar when the model's JSON calibrated none: median seam probability along a
#: line off any face (logit 6.0). Set on the synthetic world's calibration scenes (64 scenes
#: seed 2024 + 96 seam-free scenes seeds 2025-2026, 352x480: the training data's own
#: generator, not the validation sources), where no set line off a face reached a median
#: logit above 4.84 (INT8) / 4.79 (FP32); seams of `sample_frames/` lie at 6.3-7.2. A model
#: calibrated on the validation sources records its own (``runtime.<precision>.confident``).
CONFIDENT = 0.9975


def model_meta(name: str) -> dict:
    """The metrics JSON shipped beside model ``name`` (``models/<name>.json``; {} if missing).

    Its ``runtime`` section holds the settings inference reads, per precision (the seam
    detector's calibrated ``threshold`` and ``low_ratio``).
    """
    p = model_path(name, "fp32").with_name(f"{name}.json")
    return json.loads(p.read_text()) if p.exists() else {}


def runtime_settings(name: str, precision: str) -> dict:
    """``runtime`` settings of model ``name`` for ``precision`` from its metrics JSON ({} if none);
    every precision but ``fp32`` runs the INT8 model's."""
    return model_meta(name).get("runtime", {}).get("fp32" if precision == "fp32" else "int8", {})


@dataclass(frozen=True)
class ShotModel:
    """A seam detector learned from one shot's corrections, in ``<shot folder>.laika_fx/models/``.

    Attributes
    ----------
    xml : the IR of the precision asked for.
    digest : its sha256 (:func:`~laika_fx.accelerators.runtime.model_digest`).
    settings : the ``runtime`` settings calibrated with it for that precision (its JSON).
    """

    xml: Path
    precision: str
    digest: str
    settings: dict

    def describe(self) -> dict:
        """What the report says of it: ``{"path", "sha256", "precision"}``."""
        return {"path": str(self.xml), "sha256": self.digest, "precision": self.precision}


def shot_model(shot_dir: str | os.PathLike, precision: str = "int8") -> ShotModel | None:
    """The per-shot seam detector of the shot in ``shot_dir`` for ``precision``, or None when
    the shot has none. Raises ``ValueError`` (one line) when it is there but unusable (its
    ``.bin`` or ``seam_detector.json`` missing or unreadable)."""
    folder = default_shot_model_dir(shot_dir)
    precision = "fp32" if precision == "fp32" else "int8"
    xml = folder / f"seam_detector_{precision}.xml"
    if not xml.exists():
        return None
    meta_path = folder / "seam_detector.json"
    try:
        meta = json.loads(meta_path.read_text())
        settings = dict(meta["runtime"][precision])
        float(settings["threshold"])
        digest = model_digest(xml)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        what = f"{type(exc).__name__}: {exc}" if not isinstance(exc, KeyError) else f"no runtime {exc} in its JSON"
        raise ValueError(f"the per-shot model in {folder} cannot be used ({what}); learn it again, remove it, "
                         "or set seam_removal.shot_model=off") from None  # fmt: skip
    return ShotModel(xml, precision, digest, settings)


def to_unit_rgb(frame: np.ndarray) -> tuple[np.ndarray, float]:
    """``(H, W, 3)`` float32 RGB in [0, 1] from any frame, and the scale that was divided.

    uint8 / 255, uint16 / 65535; float frames are divided by their 99.9th percentile
    when it exceeds 1 (HDR), so the network sees a display-like range. Gray is
    replicated, alpha dropped (and never modified).
    """
    colour = frame if frame.ndim == 2 else frame[:, :, :3]
    if colour.ndim == 2:
        colour = np.repeat(colour[:, :, None], 3, axis=2)
    # one pass: the integers cast to float32 and multiplied in float32 (as astype, then *)
    if frame.dtype == np.uint8:
        return np.multiply(colour, np.float32(1 / 255), dtype=np.float32), 255.0
    if frame.dtype == np.uint16:
        return np.multiply(colour, np.float32(1 / 65535), dtype=np.float32), 65535.0
    scale = max(1.0, float(np.percentile(colour[::4, ::4], 99.9)))
    return np.clip(colour.astype(np.float32) / np.float32(scale), 0.0, 1.0), scale


def _nchw_reflect_padded(rgb: np.ndarray, H: int, W: int) -> np.ndarray:
    """``(1, 3, H, W)`` float32 network input of an ``(h, w, 3)`` image padded at the bottom
    and right as ``cv2.BORDER_REFLECT_101`` pads it (``H - h < h``, ``W - w < w``): the same
    values as padding and then transposing, in one strided copy instead of two full ones."""
    h, w = rgb.shape[:2]
    if H - h >= h or W - w >= w:  # a pad as large as the image (tiny frames): OpenCV's reflection
        padded = cv2.copyMakeBorder(rgb, 0, H - h, 0, W - w, cv2.BORDER_REFLECT_101)
        return np.ascontiguousarray(padded.transpose(2, 0, 1)[None], dtype=np.float32)
    x = np.empty((1, 3, H, W), np.float32)
    x[0, :, :h, :w] = rgb.transpose(2, 0, 1)
    if W > w:  # columns w, w+1, ... mirror w-2, w-3, ... (the edge column not repeated)
        x[0, :, :h, w:] = x[0, :, :h, w - 2 : 2 * w - W - 2 : -1] if 2 * w - W - 2 >= 0 else x[0, :, :h, w - 2 :: -1]
    if H > h:  # then rows, the padded columns included (the corner as OpenCV fills it)
        x[0, :, h:, :] = x[0, :, h - 2 : 2 * h - H - 2 : -1, :] if 2 * h - H - 2 >= 0 else x[0, :, h - 2 :: -1, :]
    return x


class SeamDetector:
    """Seam detector on OpenVINO.

    Parameters
    ----------
    precision : ``int8`` (default, shipped quantized IR) or ``fp32``.
    model_xml : explicit IR path (overrides ``precision``'s shipped file).
    threads : inference threads (default: all cores).
    gate : which lines to paint out where the artist gave no prompt (:data:`GATES`).
    confident : ``auto``'s bar; None (default): the one calibrated with the model (its
        JSON's ``runtime`` section), else :data:`CONFIDENT`. A model calibrated with a line
        scorer (``runtime.line_scorer``) judges lines by it unless ``confident`` is given.
    face_gate : load the face finder; None (default): as the model's thresholds were
        calibrated (its JSON's ``runtime`` ``face_gate``, true when it does not say).
        Without it (or its model), ``auto`` and ``face`` keep every line the detector finds.
    face_xml : explicit face finder IR path (default: the shipped one of ``precision``).
    settings : the ``runtime`` settings to use (threshold, low_ratio, face_gate, confident,
        moving_confident, face_cut, line_scorer, line_bar)
        instead of the shipped model's JSON's, e.g. those of a per-shot model (:class:`ShotModel`).
    """

    def __init__(self, *, precision: str = "int8", model_xml: str | os.PathLike | None = None,
                 threads: int | None = None, face_gate: bool | None = None, gate: str = "auto",
                 confident: float | None = None, face_xml: str | os.PathLike | None = None,
                 settings: dict | None = None) -> None:  # fmt: skip
        self.xml = Path(model_xml) if model_xml else model_path("seam_detector", precision)
        if not self.xml.exists():
            raise FileNotFoundError(f"seam detector model not found: {self.xml} (run laika-fx train seam-detector)")
        if gate not in GATES:
            raise ValueError(f"gate must be one of {', '.join(GATES)}, got {gate!r}")
        self.precision = precision
        self.threads = threads
        self.gate = gate
        if settings is None:
            settings = runtime_settings("seam_detector", precision)  # the shipped model's calibration
        self.confident = float(settings.get("confident", CONFIDENT) if confident is None else confident)
        if face_gate is None:
            face_gate = bool(settings.get("face_gate", True))
        self.face_finder: FaceFinder | None = None
        if face_gate and gate in ("auto", "face") and (face_xml is not None or face_finder_available(precision)):
            self.face_finder = FaceFinder(precision=precision, model_xml=face_xml, threads=threads)
        # ``auto``/``face``: the median a line on what moved against the set (not on a face the
        # face finder sees) needs; 0 (models calibrated before it): moving counts as a face
        self.moving_confident = float(settings.get("moving_confident", 0.0))
        # the face finder's probability above which a pixel is face for the gate (0.5 when the
        # model's JSON does not say; a per-shot model's settings: the shipped model's cut)
        shipped_cut = runtime_settings("seam_detector", precision).get("face_cut", 0.5)
        self.face_cut = float(settings.get("face_cut", shipped_cut))
        # ``auto``'s learned judge of lines (with the face finder), and its bar, when calibrated
        # (an explicit ``confident`` asks for the median rule at that bar instead)
        self.scorer = LineScorer(settings["line_scorer"]) if settings.get("line_scorer") and confident is None else None
        self.line_bar = float(settings.get("line_bar", 0.5))
        self.default_threshold = float(settings.get("threshold", 0.5))
        # hysteresis low threshold = ratio * threshold (calibrated with it)
        self.default_low_ratio = float(settings.get("low_ratio", 0.5))

    def _net(self, h: int, w: int):
        return compile_model(self.xml, precision="f32", shape=[(1, 3, h, w)], threads=self.threads)

    def warm(self, shape: tuple[int, ...]) -> None:
        """Compile the networks frames of ``shape`` need (the detector at the working size,
        the face finder); no inference. Frames tiled at working scale compile per tile."""
        size = self.input_size(shape)
        if size is not None:
            self._net(*size)
        if self.face_finder is not None:
            self.face_finder.warm(self.working_size(shape))

    @staticmethod
    def working_scale(shape: tuple[int, ...]) -> float:
        return min(1.0, WORKING_HEIGHT / min(shape[0], shape[1]))

    @staticmethod
    def working_size(shape: tuple[int, ...], scale: float | None = None) -> tuple[int, int]:
        """``(h, w)`` of a frame of ``shape`` at working scale, or at ``scale`` when given
        (:meth:`working_rgb`'s size)."""
        s = SeamDetector.working_scale(shape) if scale is None else scale
        return (max(1, round(shape[0] * s)), max(1, round(shape[1] * s))) if s < 1.0 else tuple(shape[:2])

    @staticmethod
    def input_size(shape: tuple[int, ...]) -> tuple[int, int] | None:
        """``(H, W)`` of the network's input for a frame of ``shape``: the working size padded
        to the net's alignment; None when the working image is tiled (beyond
        ``MAX_WORKING_PIXELS``)."""
        h, w = SeamDetector.working_size(shape)
        return (h + (-h) % _ALIGN, w + (-w) % _ALIGN) if h * w <= MAX_WORKING_PIXELS else None

    @staticmethod
    def working_rgb(frame: np.ndarray, *, scale: float | None = None) -> np.ndarray:
        """``frame`` at working scale as ``(h, w, 3)`` float32 RGB in [0, 1]."""
        s = SeamDetector.working_scale(frame.shape) if scale is None else scale
        if s < 1.0:  # shrink first (in the frame's own dtype), convert the small image
            colour = frame if frame.ndim == 2 else np.ascontiguousarray(frame[:, :, :3])
            h, w = SeamDetector.working_size(frame.shape, s)
            frame = cv2.resize(colour, (w, h), interpolation=cv2.INTER_AREA)
        return to_unit_rgb(frame)[0]

    def probability(self, frame: np.ndarray, *, scale: float | None = None) -> np.ndarray:
        """Seam probability at working scale, ``(h, w)`` float32 in [0, 1]."""
        return self.seam_probability(self.working_rgb(frame, scale=scale))

    def face_mask(self, frame: np.ndarray, *, scale: float | None = None) -> np.ndarray | None:
        """Where the face finder sees a face, at working scale, ``(h, w)`` bool; ``None``
        without a face gate."""
        if self.face_finder is None:
            return None
        return self.face_finder.mask(self.working_rgb(frame, scale=scale), cut=self.face_cut)

    def face_maps(self, frame: np.ndarray, *, scale: float | None = None) -> tuple:
        """:meth:`face_mask` and, with a line scorer for ``auto``, the face probability too (else None):
        ``(mask, probability)`` at working scale; ``(None, None)`` without a face gate."""
        if self.face_finder is None:
            return None, None
        return self._faces(self.working_rgb(frame, scale=scale))

    def _faces(self, rgb: np.ndarray) -> tuple:
        """The face finder's mask of a working-scale image and, when ``auto`` judges lines by a
        line scorer, its probability too (one inference), else None."""
        if self.scorer is not None and self.gate == "auto":
            return self.face_finder.mask_and_probability(rgb, cut=self.face_cut)
        return self.face_finder.mask(rgb, cut=self.face_cut), None

    def seam_probability(self, rgb: np.ndarray) -> np.ndarray:
        """Seam probability of a working-scale ``(h, w, 3)`` float32 RGB image."""
        h, w = rgb.shape[:2]
        if h * w <= MAX_WORKING_PIXELS:
            return self._infer_padded(rgb)
        out = np.zeros((h, w), np.float32)
        step = TILE - 2 * OVERLAP
        for y in range(0, h, step):
            for x in range(0, w, step):
                y0, x0 = max(0, y - OVERLAP), max(0, x - OVERLAP)
                y1, x1 = min(h, y + step + OVERLAP), min(w, x + step + OVERLAP)
                prob = self._infer_padded(rgb[y0:y1, x0:x1])
                # keep only the tile's core (slices clip at the frame's edge alike)
                out[y : y + step, x : x + step] = prob[y - y0 : y - y0 + step, x - x0 : x - x0 + step]
        return out

    def _infer_padded(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        x = _nchw_reflect_padded(rgb, h + (-h) % _ALIGN, w + (-w) % _ALIGN)
        H, W = x.shape[2:]
        logits = self._net(H, W)(x)[0][0, 0]
        if logits.shape != (H, W):  # the shipped IR returns half-resolution logits
            logits = cv2.resize(logits, (W, H), interpolation=cv2.INTER_LINEAR)
        # the logistic function, without overflow: 0.5 * (1 + tanh(0.5 * logits)), in place
        p = np.multiply(logits[:h, :w], np.float32(0.5))
        np.tanh(p, out=p)
        p += np.float32(1.0)
        p *= np.float32(0.5)
        return p

    def detect(
        self,
        frame: np.ndarray,
        *,
        threshold: float | None = None,
        dilation: int = 2,
        min_area: int = 12,
        low_ratio: float | None = None,
        puppet: list[Region] | None = None,
    ) -> np.ndarray:
        """Seam mask of ``frame``: ``(H, W)`` uint8, 255 = seam pixel to paint out."""
        return self.detect_lines(frame, threshold=threshold, dilation=dilation, min_area=min_area,
                                 low_ratio=low_ratio, puppet=puppet).mask  # fmt: skip

    def detect_lines(
        self,
        frame: np.ndarray,
        *,
        threshold: float | None = None,
        dilation: int = 2,
        min_area: int = 12,
        low_ratio: float | None = None,
        puppet: list[Region] | None = None,
        moving: np.ndarray | None = None,
    ) -> DetectedLines:
        """The lines found on ``frame``: those painted out and those left alone.

        Parameters
        ----------
        frame : (H, W[, C]) ndarray.
        puppet : where the artist says the puppet is on this frame (prompt regions, frame
            pixels); then lines inside it are painted out and the others left alone, whatever
            the gate. None or empty: the gate decides.
        moving : where the frame moved against the set (a bool grid laid over the frame,
            ``FrameContext.moving``), or None: with a face finder, the gate paints out a line
            on moving cells when its median probability reaches ``moving_confident`` (the
            puppet moves, set lines do not; 0: as a line on a face).
        """
        rgb = self.working_rgb(frame)
        prob = self.seam_probability(rgb)
        thr = self.default_threshold if threshold is None else threshold
        ratio = self.default_low_ratio if low_ratio is None else low_ratio
        region = region_mask(puppet, prob.shape, scale=prob.shape[0] / frame.shape[0]) if puppet else None
        # the face finder runs only when it has lines to judge (hysteresis keeps only
        # components that reach the high threshold)
        face = moved = face_prob = None
        if region is None and self.face_finder is not None and prob.max() > thr:
            face, face_prob = self._faces(rgb)
            if moving is not None and np.any(moving):
                moved = moving_cells(moving, prob.shape)
        kept, left, counts = select_lines(prob, thr, thr * ratio, min_area=min_area, gate=self.gate, face=face,
                                          puppet=region, confident=self.confident, moving=moved,
                                          moving_confident=self.moving_confident, face_prob=face_prob,
                                          scorer=self.scorer, line_bar=self.line_bar)  # fmt: skip
        return DetectedLines(
            mask=upscale_mask(kept, frame.shape[:2], dilation),
            left_alone=upscale_mask(left, frame.shape[:2]) if left.any() else None,
            outside_prompt=counts["outside_prompt"],
            rejected_by_gate=counts["rejected_by_gate"],
            rejected_on_puppet=counts["rejected_on_puppet"],
        )


@dataclass
class DetectedLines:
    """What :meth:`SeamDetector.detect_lines` found on a frame.

    Attributes
    ----------
    mask : (H, W) uint8, 255 = seam pixel to paint out (dilated).
    left_alone : (H, W) uint8, 255 = a line the detector found but left alone (not
        dilated), or None when there is none (the app shows them, so an artist can paint
        them in where they are seams).
    outside_prompt : lines left alone because they lie outside the artist's prompt.
    rejected_by_gate : lines left alone by the gate (no prompt on this frame).
    rejected_on_puppet : of those, the lines on a face or on what moved (where a missed seam
        would be; the others lie off both: set lines, or a head neither the finder nor the
        motion saw).
    """

    mask: np.ndarray
    left_alone: np.ndarray | None = None
    outside_prompt: int = 0
    rejected_by_gate: int = 0
    rejected_on_puppet: int = 0

    @property
    def lines_left_alone(self) -> int:
        return self.outside_prompt + self.rejected_by_gate


def moving_cells(grid: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A moving grid (``FrameContext.moving``, cells laid evenly over the frame) as an
    ``shape`` bool mask (nearest cell)."""
    return cv2.resize(np.asarray(grid, np.uint8), (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST) > 0


def upscale_mask(mask: np.ndarray, shape: tuple[int, int], dilation: int = 0) -> np.ndarray:
    """Working-scale bool mask -> ``shape`` uint8 mask (255 = seam), dilated by ``dilation`` px.

    Bilinear upsampling thresholded at 0.25, as ``cv2.resize`` of the whole mask would
    give, but computed only around the mask's bounding box (a seam covers ~0.5% of a
    frame; resizing and dilating the whole 1080p mask cost ~5 ms per frame).
    """
    h, w = shape
    out = np.zeros((h, w), np.uint8)
    m8 = mask.astype(np.uint8)
    bx, by, bw, bh = cv2.boundingRect(m8)
    if bw == 0:
        return out
    mh, mw = mask.shape
    sx, sy = w / mw, h / mh
    # frame pixels whose bilinear sample can touch the box, plus room for the dilation
    pad = dilation + 2
    fx0, fy0 = max(0, int((bx - 1) * sx) - pad), max(0, int((by - 1) * sy) - pad)
    fx1, fy1 = min(w, int((bx + bw + 1) * sx) + 1 + pad), min(h, int((by + bh + 1) * sy) + 1 + pad)
    if (mh, mw) == (h, w):
        region = m8[fy0:fy1, fx0:fx1] * np.uint8(255)
    else:  # inverse map of cv2.resize (pixel centres): x_src = (x + 0.5) / sx - 0.5
        ax, ay = 1 / sx, 1 / sy
        m = np.float32([[ax, 0, (fx0 + 0.5) * ax - 0.5], [0, ay, (fy0 + 0.5) * ay - 0.5]])
        up = cv2.warpAffine(m8.astype(np.float32), m, (fx1 - fx0, fy1 - fy0),
                            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        region = (up > 0.25).astype(np.uint8) * np.uint8(255)
    if dilation > 0:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilation + 1, 2 * dilation + 1))
        region = cv2.dilate(region, k)
    out[fy0:fy1, fx0:fx1] = region
    return out


def hysteresis(prob: np.ndarray, high: float, low: float, *, min_area: int = 0, face: np.ndarray | None = None,
               min_on_face: float = MIN_ON_FACE, return_rejected: bool = False):  # fmt: skip
    """Pixels above ``low`` connected to a pixel above ``high``; small components dropped.

    ``face``: ``(h, w)`` bool, where a face is (same shape as ``prob``); then a component
    is kept only when at least ``min_on_face`` of its pixels lie on the face.
    ``return_rejected``: also return the components the face gate dropped, ``(kept,
    rejected)``, both ``(h, w)`` bool.
    """
    weak = (prob > low).astype(np.uint8)
    out = np.zeros(prob.shape, bool)
    rejected = np.zeros(prob.shape, bool)
    bx, by, bw, bh = cv2.boundingRect(weak)  # label only the box holding weak pixels
    if bw == 0:
        return (out, rejected) if return_rejected else out
    box = np.s_[by : by + bh, bx : bx + bw]
    n, labels, stats, _ = cv2.connectedComponentsWithStats(weak[box], connectivity=8)
    strong_labels = np.unique(labels[prob[box] > high])
    keep = np.zeros(n, bool)
    keep[strong_labels] = True
    keep[0] = False
    keep &= stats[:, cv2.CC_STAT_AREA] >= min_area
    if face is not None:
        on_face = np.bincount(labels[face[box]], minlength=n)
        gated = keep & (on_face >= min_on_face * stats[:, cv2.CC_STAT_AREA])
        if return_rejected and (keep & ~gated).any():
            rejected[box] = (keep & ~gated)[labels]
        keep = gated
    out[box] = keep[labels]
    return (out, rejected) if return_rejected else out


def select_lines(prob: np.ndarray, high: float, low: float, *, min_area: int = 0, gate: str = "auto",
                 face: np.ndarray | None = None, puppet: np.ndarray | None = None,
                 confident: float = CONFIDENT, moving: np.ndarray | None = None,
                 moving_confident: float = 0.0, face_prob: np.ndarray | None = None,
                 scorer: LineScorer | None = None, line_bar: float = 0.5) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:  # fmt: skip
    """The lines of :func:`hysteresis` to paint out, and those to leave alone.

    Parameters
    ----------
    prob : (h, w) float32, seam probability.
    high, low, min_area : as :func:`hysteresis`.
    gate : policy where there is no ``puppet`` region (:data:`GATES`).
    face : (h, w) bool, where the face finder sees a face, or None (no face finder: ``auto``
        and ``face`` keep every line).
    puppet : (h, w) bool, where the artist says the puppet is, or None; given, a line is
        painted out when at least ``MIN_IN_PROMPT`` of it lies there, else left alone.
    confident : ``auto``'s bar on a line's median probability.
    moving : (h, w) bool, what moved against the set (the puppet, as the camera solve saw it),
        or None; used only with ``face`` (gates ``auto`` and ``face``): a line with at least
        ``MIN_ON_FACE`` of it there or on ``face`` is painted out when its median probability
        reaches ``moving_confident`` (0: as a line on a face).
    face_prob, scorer, line_bar : the face finder's probability (float, ``prob``'s shape) and a
        learned :class:`~.lines.LineScorer`: given both, ``auto`` paints out a line when its
        score reaches ``line_bar`` (or, on what moved, as above) instead of the face/median rule.

    Returns
    -------
    kept, left_alone : (h, w) bool.
    counts : ``{"outside_prompt": n, "rejected_by_gate": n, "rejected_on_puppet": n}``, lines
        left alone and why; ``rejected_on_puppet``: of those rejected by the gate, the lines at
        least ``MIN_ON_FACE`` on a face the face finder sees or on what moved (``moving``) - where
        a missed seam would be, so the report names their frames apart from lines on the set.
    """
    if gate not in GATES:
        raise ValueError(f"gate must be one of {', '.join(GATES)}, got {gate!r}")
    kept = np.zeros(prob.shape, bool)
    left = np.zeros(prob.shape, bool)
    counts = {"outside_prompt": 0, "rejected_by_gate": 0, "rejected_on_puppet": 0}
    weak = (prob > low).astype(np.uint8)
    bx, by, bw, bh = cv2.boundingRect(weak)
    if bw == 0:
        return kept, left, counts
    box = np.s_[by : by + bh, bx : bx + bw]
    n, labels, stats, _ = cv2.connectedComponentsWithStats(weak[box], connectivity=8)
    lines = np.zeros(n, bool)
    lines[np.unique(labels[prob[box] > high])] = True
    lines[0] = False
    lines &= stats[:, cv2.CC_STAT_AREA] >= min_area
    area = stats[:, cv2.CC_STAT_AREA]
    on_puppet = None  # the gate's branch: lines on a face or on what moved
    if puppet is not None:
        inside = np.bincount(labels[puppet[box]], minlength=n) >= MIN_IN_PROMPT * area
        keep, reason = lines & inside, "outside_prompt"
    elif gate == "prompt":
        keep, reason = np.zeros(n, bool), "outside_prompt"
    elif gate == "off" or face is None:
        keep, reason = lines, "rejected_by_gate"
    else:
        on_face = np.bincount(labels[face[box]], minlength=n) >= MIN_ON_FACE * area
        keep = lines & on_face
        # on the puppet: on a face or what moved, together (a line half on each is on it)
        on_moving = (np.bincount(labels[(face | moving)[box]], minlength=n) >= MIN_ON_FACE * area
                     if moving is not None else np.zeros(n, bool))  # fmt: skip
        p = prob[box]
        if gate == "auto" and scorer is not None and face_prob is not None:
            ids = np.flatnonzero(lines)
            score = np.zeros(n)
            score[ids] = scorer.scores(line_features(p, face_prob[box], labels, stats, ids,
                                                     frame=frame_face_features(face_prob), origin=(by, bx),
                                                     frame_shape=prob.shape))  # fmt: skip
            keep = lines & (score >= line_bar)
            for i in np.flatnonzero(lines & ~keep & on_moving):  # on what moved: the motion prior's bar
                keep[i] = moving_confident <= 0.0 or np.median(p[labels == i]) >= moving_confident
        else:
            for i in np.flatnonzero(lines & ~keep):
                # a line on what moved needs `moving_confident`; off any face (auto) `confident`
                bar = min(moving_confident if on_moving[i] else 2.0, confident if gate == "auto" else 2.0)
                keep[i] = bar <= 0.0 or (bar <= 1.0 and np.median(p[labels == i]) >= bar)
        reason = "rejected_by_gate"
        on_puppet = on_face | on_moving
    dropped = lines & ~keep
    counts[reason] = int(dropped.sum())
    if on_puppet is not None:
        counts["rejected_on_puppet"] = int((dropped & on_puppet).sum())
    kept[box] = keep[labels]
    if dropped.any():
        left[box] = dropped[labels]
    return kept, left, counts
