"""``laika-fx eval seams``: detection and inpainting quality on held-out data, and the
calibration of the detector's thresholds (:func:`calibrate_threshold`).

Held-out data: synthetic scenes built only from photographs never used in training
(``data.HELD_OUT``) and the frames of ``sample_frames/`` (their own ground truth).

Measures (one column per precision):

- detection precision / recall / F1 with a 3-px tolerance (a predicted pixel counts as
  right if a true seam pixel is within 3 px, and vice versa), pooled over frames, with
  the gate policy the plugin runs by default and with the gate off (what the gate
  contributes at the same thresholds), on the held-out scenes and on close-ups (the face fills the frame: head
  radius 0.7-1.6 x the short side, its outline partly outside the frame);
- on seam-free frames: fraction of pixels flagged, and PSNR of the full seam_removal
  output against its input;
- inpainting PSNR inside the seam region (true mask dilated 3 px) against the clean
  image, for the learned inpainter vs OpenCV Telea and Navier-Stokes given the *same*
  mask (the true mask dilated 1 px), and full-frame PSNR;
- temporal stability: a static head with a seam, 12 frames differing only by noise and
  flicker; mean frame-to-frame change inside the seam band of our output vs the same
  measure on the clean frames (1.0 = as stable as the clean footage); on the source rows
  the static head is the first seamed scene of each source.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from laika_fx.seam_removal.detector import select_lines, upscale_mask
from laika_fx.seam_removal.lines import LineScorer, frame_face_features, line_features

from . import data as sdata

__all__ = [
    "heldout_scenes", "detection_metrics", "inpaint_quality", "run_eval", "format_table", "calibrate_threshold",
]  # fmt: skip

TOLERANCE = 3


def _disk(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def heldout_scenes(count: int = 24, *, seed: int = 1234, hw: tuple[int, int] = (352, 480),
                   seam_width: tuple[float, float] = (0.6, 4.0), p_seam: float = 0.7, p_head: float = 0.85,
                   head_radius: tuple[float, float] = (0.18, 0.7)) -> list[sdata.Scene]:  # fmt: skip
    """Synthetic scenes from held-out photographs only (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    return [
        sdata.make_scene(rng, hw, photos=sdata.HELD_OUT, p_head=p_head, p_seam=p_seam, seam_width=seam_width,
                         head_radius=head_radius)  # fmt: skip
        for _ in range(count)
    ]


def detection_metrics(preds, truths, has_seam) -> dict:
    """Pooled precision/recall/F1 with a 3-px tolerance, and flagged fraction on clean frames."""
    totals = np.zeros(6, np.int64)
    for pred, truth, seam in zip(preds, truths, has_seam, strict=True):
        totals += _scene_counts(pred, truth, seam)
    return _pooled_metrics(totals)


def _scene_counts(pred, truth, seam: bool, near_truth: np.ndarray | None = None) -> np.ndarray:
    """One scene's share of :func:`detection_metrics`: predicted pixels near the truth, predicted
    pixels, true pixels near the prediction, true pixels, flagged and seam-free pixels.
    ``near_truth``: the truth grown by the tolerance, when the caller has it already."""
    pred = np.asarray(pred, bool)
    truth = np.asarray(truth, bool)
    if pred.shape != truth.shape:
        raise ValueError("prediction and truth differ in shape")
    n_p, n_t = int(pred.sum()), int(truth.sum())
    out = np.array([0, n_p, 0, n_t, 0 if seam else n_p, 0 if seam else pred.size], np.int64)
    if n_p and n_t:
        k = _disk(TOLERANCE)
        if near_truth is None:
            near_truth = cv2.dilate(truth.astype(np.uint8), k) > 0
        near_pred = cv2.dilate(pred.astype(np.uint8), k) > 0
        out[0], out[2] = int((pred & near_truth).sum()), int((truth & near_pred).sum())
    return out


def _pooled_metrics(totals) -> dict:
    tp_p, n_p, tp_t, n_t, flagged, clean_px = (int(v) for v in totals)
    precision = tp_p / n_p if n_p else 1.0
    recall = tp_t / n_t if n_t else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "clean_flagged_pct": round(100 * flagged / clean_px, 4) if clean_px else None,
    }


def _psnr(a: np.ndarray, b: np.ndarray, region: np.ndarray | None = None) -> float:
    diff = (a.astype(np.float64) - b.astype(np.float64)) ** 2
    if region is not None:
        diff = diff[region]
    mse = float(diff.mean()) if diff.size else 0.0
    return 99.0 if mse <= 1e-12 else 10 * np.log10(1.0 / mse)


def inpaint_quality(scenes, *, method: str, model_xml: str | Path | None = None, precision: str = "int8") -> dict:
    """Mean PSNR in the seam region and over the frame, filling the true mask (dilated 1 px)."""
    from laika_fx.seam_removal.inpaint import Inpainter

    inp = Inpainter(method, precision=precision, model_xml=model_xml)
    seam_psnr, full_psnr = [], []
    for s in scenes:
        if not s.mask.any():
            continue
        hole = cv2.dilate((s.mask > 0).astype(np.uint8), _disk(1)) > 0
        region = cv2.dilate((s.mask > 0).astype(np.uint8), _disk(3)) > 0
        frame16 = (s.frame * 65535 + 0.5).astype(np.uint16)
        out = inp(frame16, hole).astype(np.float32) / 65535
        seam_psnr.append(_psnr(out, s.clean, region))
        full_psnr.append(_psnr(out, s.clean))
    return {
        "method": inp.method,
        "psnr_seam": round(float(np.mean(seam_psnr)), 3),
        "psnr_full": round(float(np.mean(full_psnr)), 3),
        "frames": len(seam_psnr),
    }


def _static_head_frames(seed: int = 77, n: int = 12, hw=(288, 384)):
    """A static head with a seam: n frames that differ only by noise and +-2% flicker."""
    rng = np.random.default_rng(seed)
    scene = sdata.make_scene(rng, hw, photos=sdata.HELD_OUT, p_head=1.0, p_seam=1.0, degrade=False,
                             seam_width=(1.5, 3.0))  # fmt: skip
    return _static_frames_of(scene, rng=rng, n=n)


def _static_frames_of(scene, seed: int = 77, n: int = 12, *, rng: np.random.Generator | None = None):
    """``n`` frames of ``scene`` (static) that differ only by noise and +-2 % flicker
    (``rng``: go on drawing from it, else a new one seeded with ``seed``)."""
    rng = np.random.default_rng(seed) if rng is None else rng
    frames, cleans = [], []
    for _ in range(n):
        gain = rng.uniform(0.98, 1.02)
        noise = rng.normal(0, 0.004, scene.frame.shape).astype(np.float32)
        frames.append(np.clip(scene.frame * gain + noise, 0, 1))
        cleans.append(np.clip(scene.clean * gain + noise, 0, 1))
    return frames, cleans, scene.mask


def temporal_flicker(method: str, *, precision: str = "int8", model_xml=None, scene=None) -> dict:
    """Frame-to-frame change in the seam band: our output vs the clean frames.

    ``scene``: the static head (a scene with a seam; its frames differ only by noise and
    +-2 % flicker, as :func:`_static_head_frames`); default the held-out synthetic one."""
    from laika_fx.seam_removal.inpaint import Inpainter

    frames, cleans, mask = _static_head_frames() if scene is None else _static_frames_of(scene)
    inp = Inpainter(method, precision=precision, model_xml=model_xml)
    hole = cv2.dilate((mask > 0).astype(np.uint8), _disk(1)) > 0
    band = cv2.dilate((mask > 0).astype(np.uint8), _disk(3)) > 0
    outs = [inp((f * 65535 + 0.5).astype(np.uint16), hole).astype(np.float32) / 65535 for f in frames]

    def change(seq):
        return float(np.mean([np.abs(b - a)[band].mean() for a, b in zip(seq, seq[1:], strict=False)]))

    ours, ref = change(outs), change(cleans)
    return {"change_out": round(ours, 6), "change_clean": round(ref, 6), "ratio": round(ours / ref, 3)}


def _sample_frames(root: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(frame, clean, mask) of sample_frames/ as uint8 arrays, if the folder exists."""
    from laika_fx.io import read_frame

    out = []
    gt = root / "ground_truth"
    for p in sorted(root.glob("frame.*.png")):
        clean_p, mask_p = gt / "clean" / p.name, gt / "masks" / p.name
        if clean_p.exists() and mask_p.exists():
            out.append((read_frame(p), read_frame(clean_p), read_frame(mask_p)))
    return out


#: the gate policies ``eval seams`` measures: the runtime's default, the face veto, none
POLICIES = ("auto", "face", "off")


def _policy_masks(det, frame: np.ndarray, *, dilation: int = 0, policies=POLICIES,
                  auto_face: bool = True) -> dict[str, np.ndarray]:  # fmt: skip
    """``det``'s masks of ``frame`` under each gate policy (bool, frame size), chosen by the
    runtime's own :func:`select_lines` with ``det``'s thresholds and ``confident`` bar (one
    inference; the face finder runs when ``det`` has one and a line reaches the threshold,
    as the plugin runs it). ``auto_face``: whether ``auto`` has the face finder (the model's
    calibrated ``face_gate``; without it ``auto`` keeps every line, as the plugin does)."""
    rgb = det.working_rgb(frame)
    prob = det.seam_probability(rgb)
    high = det.default_threshold
    low = high * det.default_low_ratio
    face = face_prob = None
    if det.face_finder is not None and prob.max() > high:
        face, face_prob = det._faces(rgb)  # the working image above: not brought to scale again
    out = {}
    for gate in policies:
        f = face if gate != "auto" or auto_face else None
        kept, _, _ = select_lines(prob, high, low, min_area=12, gate=gate, face=f, confident=det.confident,
                                  face_prob=face_prob, scorer=det.scorer, line_bar=det.line_bar)  # fmt: skip
        out[gate] = upscale_mask(kept, frame.shape[:2], dilation) > 0
    return out


def run_eval(*, precisions=("fp32", "int8"), count: int = 96, sample_root: Path | None = None,
             models_dir: Path | None = None, detect: bool = True) -> dict:  # fmt: skip
    """Run every measure for each precision; returns ``{precision: {...}, "telea": ..., "ns": ...}``.

    ``models_dir``: evaluate the detector IRs there (with their JSON's thresholds and gate
    setting) and the inpainter IRs there (when it has them) instead of the shipped ones.
    ``detect=False``: only the inpainting measures."""
    from laika_fx.seam_removal.inpaint import Inpainter

    inpaint_scenes = heldout_scenes(max(8, count // 2), seed=4321, hw=(256, 256), seam_width=(1.0, 6.0), p_seam=1.0)
    if not detect:
        results: dict = {}
        for precision in precisions:
            xml = _inpainter_xml(models_dir, precision)
            results[precision] = {
                "inpaint": inpaint_quality(inpaint_scenes, method="learned", precision=precision, model_xml=xml),
                "temporal": temporal_flicker("learned", precision=precision, model_xml=xml),
            }
        for name in ("telea", "ns"):
            results[name] = {"inpaint": inpaint_quality(inpaint_scenes, method=name), "temporal": temporal_flicker(name)}
        return results
    scenes = heldout_scenes(count)
    free = heldout_scenes(max(8, count // 2), seed=999, p_seam=0.0)
    close_ups = heldout_scenes(max(8, count // 4), seed=555, p_seam=1.0, p_head=1.0, head_radius=sdata.CLOSE_UP_RADIUS)
    samples = _sample_frames(sample_root) if sample_root else []
    results: dict = {}
    for precision in precisions:
        det = load_detector(precision, models_dir=models_dir)
        xml = _inpainter_xml(models_dir, precision)
        fill = Inpainter("learned", precision=precision, model_xml=xml)
        r: dict = {"face_gate": det.face_finder is not None}
        both = [_policy_masks(det, s.frame, policies=(det.gate, "off")) for s in scenes]
        truth, has_seam = [s.mask > 0 for s in scenes], [bool(s.mask.any()) for s in scenes]
        r["synthetic"] = detection_metrics([m[det.gate] for m in both], truth, has_seam)
        r["synthetic_no_gate"] = detection_metrics([m["off"] for m in both], truth, has_seam)
        both = [_policy_masks(det, s.frame, policies=(det.gate, "off")) for s in close_ups]
        truth, has_seam = [s.mask > 0 for s in close_ups], [True] * len(close_ups)
        r["close_ups"] = detection_metrics([m[det.gate] for m in both], truth, has_seam)
        r["close_ups_no_gate"] = detection_metrics([m["off"] for m in both], truth, has_seam)
        if samples:
            preds = [det.detect(f, dilation=0) > 0 for f, _, _ in samples]
            r["sample_frames"] = detection_metrics(preds, [m > 0 for _, _, m in samples], [True] * len(samples))
            outs = [fill(f, det.detect(f)) for f, _, _ in samples]  # as the plugin does
            r["sample_psnr_full"] = round(float(np.mean([_psnr(o / 255.0, c / 255.0) for o, (_, c, _) in zip(outs, samples, strict=True)])), 3)
            r["sample_psnr_input"] = round(float(np.mean([_psnr(f / 255.0, c / 255.0) for f, c, _ in samples])), 3)
        flagged, flagged_plain, psnrs = [], [], []
        for s in free:
            frame8 = (s.frame * 255 + 0.5).astype(np.uint8)
            m = _policy_masks(det, frame8, dilation=2, policies=(det.gate, "off"))  # the plugin's dilation
            gated, plain = m[det.gate], m["off"]
            flagged.append(float(gated.mean()))
            flagged_plain.append(float(plain.mean()))
            psnrs.append(_psnr(fill(frame8, det.detect(frame8)) / 255.0, frame8 / 255.0))
        r["seam_free_flagged_pct"] = round(100 * float(np.mean(flagged)), 4)
        r["seam_free_flagged_pct_no_gate"] = round(100 * float(np.mean(flagged_plain)), 4)
        r["seam_free_frames_flagged"] = int(sum(f > 0 for f in flagged))
        r["seam_free_psnr"] = round(float(np.mean(psnrs)), 2)
        r["inpaint"] = inpaint_quality(inpaint_scenes, method="learned", precision=precision, model_xml=xml)
        r["temporal"] = temporal_flicker("learned", precision=precision, model_xml=xml)
        results[precision] = r
    results["telea"] = {"inpaint": inpaint_quality(inpaint_scenes, method="telea"), "temporal": temporal_flicker("telea")}
    results["ns"] = {"inpaint": inpaint_quality(inpaint_scenes, method="ns"), "temporal": temporal_flicker("ns")}
    return results


def format_table(results: dict) -> str:
    """The eval results as a plain-text table."""
    precs = [p for p in ("fp32", "int8") if p in results]
    rows: list[tuple[str, ...]] = [("measure", *precs)]

    def row(label, getter):
        vals = []
        for p in precs:
            try:
                v = getter(results[p])
            except (KeyError, TypeError):
                v = None
            vals.append("-" if v is None else f"{v}")
        if any(v != "-" for v in vals):  # measures not run (e.g. --inpaint-only) are left out
            rows.append((label, *vals))

    row("held-out synthetic: precision (3 px)", lambda r: r["synthetic"]["precision"])
    row("held-out synthetic: recall (3 px)", lambda r: r["synthetic"]["recall"])
    row("held-out synthetic: F1 (3 px)", lambda r: r["synthetic"]["f1"])
    row("held-out synthetic: % flagged, seam-free", lambda r: r["synthetic"]["clean_flagged_pct"])
    row("  gate off: precision", lambda r: r["synthetic_no_gate"]["precision"])
    row("  gate off: recall", lambda r: r["synthetic_no_gate"]["recall"])
    row("  gate off: F1", lambda r: r["synthetic_no_gate"]["f1"])
    row("  gate off: % flagged, seam-free", lambda r: r["synthetic_no_gate"]["clean_flagged_pct"])
    row("close-ups: precision (3 px)", lambda r: r["close_ups"]["precision"])
    row("close-ups: recall (3 px)", lambda r: r["close_ups"]["recall"])
    row("close-ups: F1 (3 px)", lambda r: r["close_ups"]["f1"])
    row("  gate off: F1", lambda r: r["close_ups_no_gate"]["f1"])
    row("sample_frames: precision (3 px)", lambda r: r["sample_frames"]["precision"])
    row("sample_frames: recall (3 px)", lambda r: r["sample_frames"]["recall"])
    row("sample_frames: F1 (3 px)", lambda r: r["sample_frames"]["f1"])
    row("sample_frames: PSNR out vs clean (dB)", lambda r: r["sample_psnr_full"])
    row("sample_frames: PSNR in vs clean (dB)", lambda r: r["sample_psnr_input"])
    row("seam-free frames: % pixels flagged", lambda r: r["seam_free_flagged_pct"])
    row("seam-free frames: frames with a detection", lambda r: r["seam_free_frames_flagged"])
    row("  gate off: % pixels flagged", lambda r: r["seam_free_flagged_pct_no_gate"])
    row("seam-free frames: PSNR out vs in (dB)", lambda r: r["seam_free_psnr"])
    row("inpaint PSNR seam region, learned (dB)", lambda r: r["inpaint"]["psnr_seam"])
    row("inpaint PSNR full frame, learned (dB)", lambda r: r["inpaint"]["psnr_full"])
    row("fill flicker vs clean, learned (x)", lambda r: r["temporal"]["ratio"])
    width = max(len(r[0]) for r in rows) + 2
    lines = ["".join([r[0].ljust(width)] + [c.rjust(10) for c in r[1:]]) for r in rows]
    lines.insert(1, "-" * (width + 10 * len(precs)))
    for name in ("telea", "ns"):
        if name in results:
            q = results[name]["inpaint"]
            lines.append(f"{('inpaint ' + name + ': PSNR seam / full (dB)').ljust(width)}"
                         f"{q['psnr_seam']:>10} {q['psnr_full']:>9}   flicker x{results[name]['temporal']['ratio']}")
    return "\n".join(lines)


def _line_table(prob: np.ndarray, high: float, low: float, *, face: np.ndarray | None, min_area: int,
                medians: bool, moving: np.ndarray | None = None, face_prob: np.ndarray | None = None,
                scorer: LineScorer | None = None, frame_feats: tuple | None = None,
                frame_origin: tuple[int, int] = (0, 0), frame_shape: tuple[int, int] | None = None) -> dict:  # fmt: skip
    """The lines :func:`select_lines` would judge on ``prob``, labelled once, with what each
    gate policy asks of them: whether at least ``MIN_ON_FACE`` of a line lies on ``face``
    and (``medians``) its median probability; :func:`_pick_lines` then applies a policy and
    a ``confident`` bar without labelling again (the calibration sweeps hundreds of them).
    ``moving``: what moved against the set (bool, ``prob``'s shape), as :func:`select_lines`
    takes it: whether a line lies on the face or the moving cells together. ``face_prob`` and
    ``scorer``: each line's score too (``auto`` then judges by it, as :func:`select_lines`).
    The maps may be a window of the frame at ``frame_origin`` (of ``frame_shape``) holding
    every pixel above ``low``; ``frame_feats``: then the whole frame's
    :func:`~laika_fx.seam_removal.lines.frame_face_features`, its near map cropped alike."""
    from laika_fx.seam_removal.detector import MIN_ON_FACE

    out = {"shape": prob.shape, "box": None, "face": face is not None}
    weak = (prob > low).astype(np.uint8)
    bx, by, bw, bh = cv2.boundingRect(weak)
    if bw == 0:
        return out
    box = np.s_[by : by + bh, bx : bx + bw]
    n, labels, stats, _ = cv2.connectedComponentsWithStats(weak[box], connectivity=8)
    area = stats[:, cv2.CC_STAT_AREA]
    lines = np.zeros(n, bool)
    lines[np.unique(labels[prob[box] > high])] = True
    lines[0] = False
    lines &= area >= min_area
    on_face = np.bincount(labels[face[box]], minlength=n) >= MIN_ON_FACE * area if face is not None else lines
    on_moving = (np.bincount(labels[(face | moving)[box]], minlength=n) >= MIN_ON_FACE * area
                 if face is not None and moving is not None else np.zeros(n, bool))  # fmt: skip
    score = None
    if scorer is not None and face_prob is not None:
        ids = np.flatnonzero(lines)
        score = np.zeros(n)
        score[ids] = scorer.scores(line_features(prob[box], face_prob[box], labels, stats, ids,
                                                 frame=frame_feats or frame_face_features(face_prob), origin=(by, bx),
                                                 frame_shape=frame_shape or prob.shape,
                                                 frame_origin=frame_origin))  # fmt: skip
    median = np.full(n, np.nan)
    ask = np.flatnonzero(lines & (~on_face if score is None else on_moving))
    if medians and ask.size:  # np.median of each line's pixels, all lines at once
        lab, val = labels.ravel(), prob[box].ravel()
        sel = np.isin(lab, ask)
        lab, val = lab[sel], val[sel]
        order = np.lexsort((val, lab))
        lab, val = lab[order], val[order]
        start = np.searchsorted(lab, ask)
        cnt = area[ask]
        median[ask] = 0.5 * (val[start + (cnt - 1) // 2] + val[start + cnt // 2])
    out.update(box=box, labels=labels, stats=stats, lines=lines, on_face=on_face, on_moving=on_moving, median=median,
               score=score)  # fmt: skip
    return out


def _pick_lines(table: dict, gate: str, confident: float, moving_confident: float = 0.0) -> np.ndarray:
    """The mask :func:`select_lines` returns (``kept``, no prompt) from a :func:`_line_table`."""
    return _lines_mask(table, _kept_lines(table, gate, confident, moving_confident))


def _lines_mask(table: dict, keep: np.ndarray | None) -> np.ndarray:
    """The mask of a :func:`_line_table`'s labels ``keep`` (None: empty)."""
    pred = np.zeros(table["shape"], bool)
    if keep is not None:
        pred[table["box"]] = keep[table["labels"]]
    return pred


def _kept_lines(table: dict, gate: str, confident: float, moving_confident: float = 0.0) -> np.ndarray | None:
    """Which of a :func:`_line_table`'s labels :func:`_pick_lines` keeps (None: no line at all)."""
    if table["box"] is None or gate == "prompt":
        return None
    lines, on_face = table["lines"], table["on_face"]
    if gate == "off" or not table["face"]:
        keep = lines
    else:
        median, score = table["median"], table.get("score")
        with np.errstate(invalid="ignore"):
            moved = table["on_moving"] & ((moving_confident <= 0.0) | (median >= moving_confident))
            if gate == "auto" and score is not None:  # the learned judge, its bar swept as `confident`
                keep = lines & ((score >= confident) | moved)
            else:
                keep = lines & (on_face | moved)
                if gate == "auto":
                    keep |= lines & (median >= confident)
    return keep if keep.any() else None


def calibrate_threshold(detector, scenes, *, candidates=None, low_ratios=(0.5, 0.8, 0.9, 0.95, 0.98),
                        max_clean_flagged_pct: float = 0.05, dilation: int = 2,
                        confidents=(None,), free_scenes=(), ties: str = "high", shot_scenes=(),
                        shot_free_scenes=(), moving_confidents=(0.0,)) -> tuple[float, float, dict]:  # fmt: skip
    """Pick the hysteresis thresholds (high, and low as a ratio of it) on held-out ``scenes``.

    Best F1 (3-px tolerance) among the (threshold, low ratio) pairs that flag at most
    ``max_clean_flagged_pct`` % of the seam-free scenes' pixels (the target for seam-free
    frames: painting out a wire or a plank gap damages a frame, a missed seam pixel is
    visible and can be painted in by hand); if none does, the pair flagging the fewest.
    The lines are chosen as the plugin chooses them (:func:`select_lines` with the
    detector's ``gate`` and face finder), and seam-free pixels are counted on the mask
    grown by ``dilation`` px as the plugin grows it before filling (what a frame loses).
    The low threshold matters as much as the high one: a wire that reaches the high
    threshold somewhere grows along its whole length above a low one. Ties (within 0.005
    F1) go to the higher threshold, then the lower ratio. ``confidents``: ``auto``'s bar
    values to try too (None: the detector's own); the chosen one is in the metrics as
    ``confident``. ``free_scenes``: more seam-free scenes that count only towards the
    flagged rate (``clean_flagged_pct`` is then over the seam-free scenes of both, and
    ``free_scenes`` the number of them), not towards F1: a 0.05 % bar needs hundreds of
    seam-free scenes to hold on scenes it was not chosen on, and that many would swamp the
    precision of the seam scenes. ``ties="middle"``: the middle of those ties instead (in the
    same order), for scenes the model was trained on, where F1 is flat up to the highest
    threshold and the highest one loses recall elsewhere (a per-shot model calibrated on its
    corrected frames, ``learn.py``).

    Shots (what the plugin meets in a batch): ``shot_scenes`` (frames of seamed shots) and
    ``shot_free_scenes`` (frames of seam-free shots), each with a ``moving`` attribute (the
    frame's moving grid from the stabilize analysis, or None), are judged as the plugin judges
    them with the motion prior: a line on what moved needs ``moving_confident``
    (:func:`select_lines`; the values of ``moving_confidents`` are swept, the chosen one in the
    metrics). Their seamed frames count towards F1 with ``scenes``; their seam-free pixels are
    held to the same bar *separately* (``shot_flagged_pct``), so a bar held on stills cannot hide
    lines flagged on moving heads. ``shot_f1`` is the F1 of the shots' frames alone.
    Returns the threshold, the low ratio and the metrics there.
    """
    from laika_fx.seam_removal.detector import moving_cells

    if ties not in ("high", "middle"):
        raise ValueError(f"ties must be 'high' or 'middle', got {ties!r}")
    candidates = candidates or [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.993, 0.995, 0.996,
                                0.997, 0.998, 0.9985, 0.999, 0.9993, 0.9995, 0.9997, 0.9998]  # fmt: skip
    gate = getattr(detector, "gate", "off")
    # a detector with a line scorer: ``auto``'s bar is its score's (``line_bar``), swept alike
    own = detector.line_bar if getattr(detector, "scorer", None) is not None else getattr(detector, "confident", 1.0)
    extra = list(free_scenes)
    shot_free = list(shot_free_scenes)
    if any(s.mask.any() for s in extra + shot_free):
        raise ValueError("free_scenes and shot_free_scenes must be seam-free")
    # every item: its group (0 scenes, 1 free scenes, 2 shot frames, 3 seam-free shot frames)
    groups = [(0, s) for s in scenes] + [(1, s) for s in extra] + [(2, s) for s in shot_scenes] + \
             [(3, s) for s in shot_free]  # fmt: skip
    face_maps = getattr(detector, "face_maps", None) or (lambda frame: (detector.face_mask(frame), None))
    scorer = getattr(detector, "scorer", None) if gate == "auto" else None
    k = _disk(TOLERANCE)
    disk = _disk(dilation) if dilation > 0 else None
    # Each item is kept as the window of its frame that holds every pixel above the lowest low
    # threshold tried, grown by a margin the tolerance and the dilation stay inside (the lines,
    # their grown masks and the truth near them all lie there), plus the truth's pixel count
    # and the frame's size: full maps of thousands of frames took 15-20 GB.
    lo = min(candidates) * min(low_ratios)
    margin = max(TOLERANCE, dilation) + 1
    items = []
    for g, s in groups:
        prob = detector.probability(s.frame)
        face, face_prob = face_maps(s.frame)
        moving = (moving_cells(s.moving, prob.shape) if g >= 2 and face is not None and getattr(s, "moving", None)
                  is not None and np.any(s.moving) else None)  # fmt: skip
        truth = s.mask > 0 if g in (0, 2) else None  # counted with their truth (F1); the others: flagged only
        item = {"group": g, "truth": truth is not None, "seam": bool(truth.any()) if truth is not None else False,
                "n_t": int(truth.sum()) if truth is not None else 0, "px": int(prob.size),
                "peak": float(prob.max()) if prob.size else 0.0, "face": face is not None, "moving": moving is not None,
                "win": None}  # fmt: skip
        weak = (prob > lo).astype(np.uint8)
        bx, by, bw, bh = cv2.boundingRect(weak)
        if bw:
            h, w = prob.shape
            y0, x0 = max(0, by - margin), max(0, bx - margin)
            win = np.s_[y0 : min(h, by + bh + margin), x0 : min(w, bx + bw + margin)]

            def crop(a, win=win):
                return None if a is None else np.ascontiguousarray(a[win])

            near_truth = cv2.dilate(truth.astype(np.uint8), k) > 0 if truth is not None else None
            feats = None
            if scorer is not None and face_prob is not None:
                near, fmax, fshare = frame_face_features(face_prob)
                feats = (crop(near), fmax, fshare)
            item.update(win=(y0, x0), shape=prob.shape, prob=crop(prob), face_map=crop(face), face_prob=crop(face_prob),
                        moving_map=crop(moving), truth_map=crop(truth), near_truth=crop(near_truth), feats=feats)  # fmt: skip
        items.append(item)
    has_seam = [it["seam"] for it in items]
    faces_seen = [it["face"] for it in items]
    sweep = gate == "auto" and any(faces_seen)
    confs = list(dict.fromkeys(own if c is None else c for c in confidents)) if sweep else [own]
    moves = list(dict.fromkeys(moving_confidents)) if any(it["moving"] for it in items) else [0.0]

    empty = [np.array([0, 0, 0, it["n_t"], 0, 0 if it["seam"] else it["px"]], np.int64) for it in items]

    def counts(table, i, keep) -> np.ndarray:
        """A scene's counts (its window's lines; the truth's and the frame's totals as a whole
        frame would give them), the flagged pixels those of the mask grown by ``dilation``."""
        if keep is None:
            return empty[i]
        it = items[i]
        pred = _lines_mask(table, keep)
        n_p = int(pred.sum())
        # a seam-free frame without truth counts only its flagged pixels (not towards precision)
        c = np.array([0, n_p if it["truth"] else 0, 0, it["n_t"], 0 if it["seam"] else n_p,
                      0 if it["seam"] else it["px"]], np.int64)  # fmt: skip
        if it["truth"] and n_p and it["n_t"]:
            c[0] = int((pred & it["near_truth"]).sum())
            c[2] = int((it["truth_map"] & (cv2.dilate(pred.astype(np.uint8), k) > 0)).sum())
        if c[5] and disk is not None:
            c[4] = int((cv2.dilate(pred.astype(np.uint8), disk) > 0).sum())
        return c

    peaks = [it["peak"] for it in items]
    n_free_scenes = sum(1 for i, (g, _) in enumerate(groups) if g == 1 or (g == 0 and not has_seam[i]))
    results = []
    for thr in candidates:
        for ratio in low_ratios:
            tables = [_line_table(it["prob"], thr, thr * ratio, face=it["face_map"], min_area=12,
                                  medians=sweep or it["moving"], moving=it["moving_map"], face_prob=it["face_prob"],
                                  scorer=scorer, frame_feats=it["feats"], frame_origin=it["win"],
                                  frame_shape=it["shape"]) if top > thr else None
                      for it, top in zip(items, peaks, strict=True)]  # fmt: skip
            memo: dict = {}  # the bars of one table often keep the same lines of a scene
            for conf in confs:
                for mc in moves:
                    totals = np.zeros((4, 6), np.int64)
                    for i, t in enumerate(tables):
                        keep = None if t is None else _kept_lines(t, gate, conf, mc)  # None: nothing > thr
                        key = (i, None if keep is None else keep.tobytes())
                        if key not in memo:
                            memo[key] = counts(t, i, keep)
                        totals[groups[i][0]] += memo[key]
                    m = _pooled_metrics(totals[0] + totals[1] + totals[2])
                    if extra:
                        m["free_scenes"] = n_free_scenes
                    if shot_scenes or shot_free:
                        stills = _pooled_metrics(totals[0] + totals[1])
                        shots = _pooled_metrics(totals[2] + totals[3])
                        m.update(stills_f1=stills["f1"], stills_flagged_pct=stills["clean_flagged_pct"],
                                 shot_f1=shots["f1"], shot_flagged_pct=_pooled_metrics(totals[3])["clean_flagged_pct"],
                                 shot_frames=int(len(shot_scenes) + len(shot_free)))  # fmt: skip
                        m["clean_flagged_pct"] = stills["clean_flagged_pct"]  # the stills' bar; the shots' its own
                        m["moving_confident"] = mc
                    m["confident"] = conf if sweep else None  # the bar plays no part without a face finder
                    results.append((thr, ratio, m))

    def worst(m) -> float:
        return max(m["clean_flagged_pct"] or 0.0, m.get("shot_flagged_pct") or 0.0)  # None: no seam-free scene

    flagged = [worst(m) for *_, m in results]
    limit = max(max_clean_flagged_pct, min(flagged))
    allowed = [r for r, f in zip(results, flagged, strict=True) if f <= limit]
    best_f1 = max(m["f1"] for *_, m in allowed)
    plateau = sorted((r for r in allowed if r[2]["f1"] >= best_f1 - 0.005),
                     key=lambda r: (r[0], -r[1], r[2]["confident"] or 0.0, r[2].get("moving_confident", 0.0)))  # fmt: skip
    return plateau[-1] if ties == "high" else plateau[len(plateau) // 2]


# --------------------------------------------------------------------------- source rows
#: seeds of the source rows' scenes (frozen: the foreign scene set is the same for every model)
SOURCE_SEEDS = {"seam": 1234, "free": 999}


def _calibrated_face_gate(precision: str, models_dir: Path | None) -> bool:
    """Whether the model's thresholds were calibrated with the face finder (its JSON's
    ``runtime`` ``face_gate``; true when it does not say): what ``auto`` runs with."""
    import json

    from laika_fx.seam_removal.detector import runtime_settings

    if models_dir is None:
        return bool(runtime_settings("seam_detector", precision).get("face_gate", True))
    runtime = json.loads((Path(models_dir) / "seam_detector.json").read_text()).get("runtime", {})
    return bool(runtime.get("fp32" if precision == "fp32" else "int8", {}).get("face_gate", True))


def load_detector(precision: str, *, models_dir: Path | None = None, face_gate: bool | None = None):
    """A :class:`SeamDetector` of ``precision``: the shipped IR, or the IR in ``models_dir``
    with the thresholds of ``models_dir/seam_detector.json``; the face finder of
    ``models_dir`` (else the shipped one) as the gate when ``face_gate`` (None: as the thresholds were calibrated, the JSON's
    ``runtime`` ``face_gate``, true when it does not say)."""
    import json

    from laika_fx.seam_removal.detector import SeamDetector, runtime_settings

    if models_dir is None:
        if face_gate is None:
            face_gate = bool(runtime_settings("seam_detector", precision).get("face_gate", True))
        return SeamDetector(precision=precision, face_gate=face_gate)
    models_dir = Path(models_dir)
    if face_gate is None:
        runtime = json.loads((models_dir / "seam_detector.json").read_text()).get("runtime", {})
        face_gate = bool(runtime.get("fp32" if precision == "fp32" else "int8", {}).get("face_gate", True))
    # the face finder beside the detector when the folder has one (it was calibrated with it), else the shipped one
    face_xml = models_dir / f"face_finder_{precision}.xml"
    det = SeamDetector(precision=precision, model_xml=models_dir / f"seam_detector_{precision}.xml", face_gate=face_gate,
                       face_xml=face_xml if face_xml.exists() else None)  # fmt: skip
    runtime = json.loads((models_dir / "seam_detector.json").read_text()).get("runtime", {})
    settings = runtime.get("fp32" if precision == "fp32" else "int8", {})
    det.default_threshold = float(settings.get("threshold", det.default_threshold))
    det.default_low_ratio = float(settings.get("low_ratio", det.default_low_ratio))
    det.confident = float(settings.get("confident", det.confident))
    det.moving_confident = float(settings.get("moving_confident", 0.0))
    det.face_cut = float(settings.get("face_cut", 0.5))
    det.scorer = LineScorer(settings["line_scorer"]) if settings.get("line_scorer") and det.face_finder else None
    det.line_bar = float(settings.get("line_bar", 0.5))
    return det


def source_scenes_of(sid: str, count: int, *, root: Path | None = None, seam: bool = True) -> list:
    """The frozen scenes of one source's rows: ``count`` scenes (~70 % with a seam; seed
    ``SOURCE_SEEDS['seam']``) or, ``seam=False``, seam-free ones (seed ``SOURCE_SEEDS['free']``),
    offset by the source's index among all foreign then validation sources (so a source's
    scenes do not depend on which other rows are asked for)."""
    from .. import sources
    from .world import source_scenes

    order = sources.source_ids("foreign") + sources.source_ids("validation")
    key = "seam" if seam else "free"
    return source_scenes(sid, count, seed=SOURCE_SEEDS[key] + order.index(sid), root=root,
                         **({} if seam else {"p_seam": 0.0}))  # fmt: skip


def source_inpaint_quality(scenes_by_source: dict, *, method: str, model_xml=None, precision: str = "int8",
                           flicker: bool = True) -> dict:  # fmt: skip
    """Inpainting with the true mask on source rows: per source the mean PSNR in the seam
    band and over the frame (:func:`inpaint_quality`) and, with ``flicker``, the fill
    flicker on a static head of that source (its first scene with a seam held still,
    :func:`temporal_flicker`); and the means over sources (each source weighs the same).
    ``{"psnr_seam": .., "psnr_full": .., "flicker": worst ratio, "sources": {sid: {...}}}``."""
    rows = {}
    for sid, scenes in scenes_by_source.items():
        r = inpaint_quality(scenes, method=method, model_xml=model_xml, precision=precision)
        if flicker:
            still = next(s for s in scenes if s.mask.any())
            r["flicker"] = temporal_flicker(method, precision=precision, model_xml=model_xml, scene=still)["ratio"]
        rows[sid] = r
    out = {
        "method": next(iter(rows.values()))["method"] if rows else method,
        "psnr_seam": round(float(np.mean([r["psnr_seam"] for r in rows.values()])), 3),
        "psnr_full": round(float(np.mean([r["psnr_full"] for r in rows.values()])), 3),
    }
    if flicker:
        out["flicker"] = max(r["flicker"] for r in rows.values())
    out["sources"] = rows
    return out


def source_rows(*, splits=("foreign", "validation"), precisions=("fp32", "int8"), count: int = 32,
                root: Path | None = None, models_dir: Path | None = None, inpaint: bool = True,
                detect: bool = True) -> dict:  # fmt: skip
    """Rows built only from one package source each (``world.source_scenes``): per source,
    ``count`` scenes (seed ``SOURCE_SEEDS['seam']``; ~70 % with a seam) and ``count // 2``
    seam-free scenes (heads without seams), for each precision and gate policy
    (:data:`POLICIES`: ``auto`` the runtime's default, ``face`` the veto, ``off`` none; the
    model's calibrated thresholds and ``confident`` bar): detection P/R/F1 (3 px), % of
    seam-free pixels flagged (mask dilated 2 px as the plugin does) and PSNR of the filled
    frame vs its input (``detect=False``: none of these); and inpainting with the true mask,
    learned (the IRs of ``models_dir`` when it has them) vs Telea, with the fill flicker on
    a static head of the source (:func:`source_inpaint_quality`). Returns ``{"sources":
    [...], "split": {sid: split}, precision: {policy: {sid: {...}}}, "inpaint": {sid:
    {"telea": .., precision: ..}}}``;
    ``{}`` when no source is fetched under ``root``.
    """
    from laika_fx.seam_removal.inpaint import Inpainter

    from .. import sources

    ids = [sid for split in splits for sid in sources.source_ids(split) if sources.manifest_paths(sid, root)]
    if not ids:
        return {}
    out: dict = {"sources": ids, "split": {p.id: p.split for p in sources.PACKAGE_SOURCES}}
    scenes = {sid: source_scenes_of(sid, count, root=root) for sid in ids}
    free = {sid: source_scenes_of(sid, max(4, count // 2), root=root, seam=False) for sid in ids} if detect else {}
    for precision in precisions if detect else ():
        # with the face finder loaded, so the three policies can be compared on one model
        det = load_detector(precision, models_dir=models_dir, face_gate=True)
        auto_face = _calibrated_face_gate(precision, models_dir)
        rows = {gate: {} for gate in POLICIES}
        fill = Inpainter("learned", precision=precision, model_xml=_inpainter_xml(models_dir, precision))
        auto_by_split: dict[str, tuple[list, list]] = {}  # the default policy's masks, by split
        for sid in ids:
            masks = [_policy_masks(det, s.frame, auto_face=auto_face) for s in scenes[sid]]
            pooled = auto_by_split.setdefault(out["split"][sid], ([], []))
            pooled[0].extend(scenes[sid])
            pooled[1].extend(m["auto"] for m in masks)
            truth, has = [s.mask > 0 for s in scenes[sid]], [bool(s.mask.any()) for s in scenes[sid]]
            free_masks = [_policy_masks(det, (s.frame * 255 + 0.5).astype(np.uint8), dilation=2, auto_face=auto_face)
                          for s in free[sid]]  # fmt: skip
            for gate in POLICIES:
                r = detection_metrics([m[gate] for m in masks], truth, has)
                flagged, psnr = [], []
                for s, m in zip(free[sid], free_masks, strict=True):
                    frame8 = (s.frame * 255 + 0.5).astype(np.uint8)
                    flagged.append(float(m[gate].mean()))
                    psnr.append(_psnr(fill(frame8, m[gate]) / 255.0, frame8 / 255.0) if m[gate].any() else 99.0)
                r.update(free_flagged_pct=round(100 * float(np.mean(flagged)), 4), free_psnr=round(float(np.mean(psnr)), 2),
                         free_frames_flagged=int(sum(f > 0 for f in flagged)))  # fmt: skip
                rows[gate][sid] = r
        out[precision] = rows
        out.setdefault("by_face", {})[precision] = {split: face_bucket_rows(sc, pr)
                                                    for split, (sc, pr) in auto_by_split.items()}  # fmt: skip
    if inpaint:
        out["inpaint"] = {}
        for sid in ids:
            one = {sid: scenes[sid]}
            row = {"telea": source_inpaint_quality(one, method="telea")["sources"][sid]}
            for precision in precisions:
                xml = _inpainter_xml(models_dir, precision)
                row[precision] = source_inpaint_quality(one, method="learned", model_xml=xml,
                                                        precision=precision)["sources"][sid]  # fmt: skip
            out["inpaint"][sid] = row
    return out


#: the face-share buckets of the rows by face size (share of the frame's pixels on a head's
#: face, the scene's true face mask): where a face is small its seam is short and thin, and
#: the validation scenes lose most of it there (docs/benchmarks.md, "Session 12")
FACE_BUCKETS = ((0.0, 0.05), (0.05, 0.15), (0.15, 0.3), (0.3, 1.0))


def face_share(scene) -> float:
    """The share of ``scene``'s pixels on a face (its true face mask)."""
    return float((scene.face > 0).mean())


def face_bucket_rows(scenes, preds) -> dict:
    """Detection P/R/F1 (3 px) of ``preds`` (one mask per scene) on the seamed ``scenes``,
    pooled by :data:`FACE_BUCKETS` of :func:`face_share`: ``{"0-0.05": {..., "scenes": n}}``
    (a bucket without a seamed scene is left out; the last bucket includes 1)."""
    out = {}
    shares = [face_share(sc) for sc in scenes]
    for lo, hi in FACE_BUCKETS:
        idx = [i for i, (sc, f) in enumerate(zip(scenes, shares, strict=True))
               if sc.mask.any() and lo <= f and (f < hi or hi >= 1.0)]  # fmt: skip
        if idx:
            r = detection_metrics([preds[i] for i in idx], [scenes[i].mask > 0 for i in idx], [True] * len(idx))
            out[f"{lo:g}-{hi:g}"] = {"precision": r["precision"], "recall": r["recall"], "f1": r["f1"],
                                     "scenes": len(idx)}  # fmt: skip
    return out


def _inpainter_xml(models_dir: Path | None, precision: str) -> Path | None:
    """The inpainter IR of ``precision`` in ``models_dir`` when there is one there, else
    None (the shipped one)."""
    if models_dir is None:
        return None
    xml = Path(models_dir) / f"inpainter_{precision}.xml"
    return xml if xml.exists() else None


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None


def format_source_table(rows: dict) -> str:
    """The source rows as plain text: one line per source and gate setting, per precision."""
    if not rows:
        return "source rows: no package source fetched (laika-fx train fetch-sources DEST; --sources DEST)"
    precs = [p for p in ("fp32", "int8") if p in rows]
    fills = [p for p in ("fp32", "int8") if "inpaint" in rows and all(p in r for r in rows["inpaint"].values())]
    lines = []
    head = f"{'source':<26}{'split':<11}{'model':<12}{'P':>7}{'R':>7}{'F1':>7}{'free %':>9}{'free dB':>9}"
    for split in ("foreign", "validation"):
        ids = [s for s in rows["sources"] if rows["split"][s] == split]
        if not ids:
            continue
        if precs:
            lines += ["", f"{split} sources (scenes from that source only; seam-free frames: % pixels flagged, PSNR "
                          "out vs in)", head, "-" * len(head)]  # fmt: skip
        for prec in precs:
            for gate in POLICIES:
                label = f"{prec} {gate}"
                for sid in ids:
                    r = rows[prec][gate][sid]
                    lines.append(f"{sid:<26}{split:<11}{label:<12}{r['precision']:>7}{r['recall']:>7}{r['f1']:>7}"
                                 f"{r['free_flagged_pct']:>9}{r['free_psnr']:>9}")  # fmt: skip
                rs = [rows[prec][gate][s] for s in ids]
                lines.append(f"{'mean':<26}{split:<11}{label:<12}{_mean(r['precision'] for r in rs):>7}"
                             f"{_mean(r['recall'] for r in rs):>7}{_mean(r['f1'] for r in rs):>7}"
                             f"{_mean(r['free_flagged_pct'] for r in rs):>9}{_mean(r['free_psnr'] for r in rs):>9}")  # fmt: skip
        for prec in precs:
            buckets = rows.get("by_face", {}).get(prec, {}).get(split)
            if buckets:
                lines += ["", f"{split}, {prec} auto, pooled over the sources by the face's share of the frame "
                              "(seamed scenes)", f"{'face share':<26}{'scenes':>7}{'P':>7}{'R':>7}{'F1':>7}"]  # fmt: skip
                lines += [f"{b:<26}{r['scenes']:>7}{r['precision']:>7}{r['recall']:>7}{r['f1']:>7}"
                          for b, r in buckets.items()]  # fmt: skip
        if "inpaint" in rows:
            lines += ["", f"{split}: inpainting with the true mask, PSNR in the seam band (dB); fill flicker on a "
                          "static head of the source (x the clean frames')",
                      f"{'source':<26}{'telea':>8}{'flicker':>9}"
                      + "".join(f"{'learned ' + p:>15}{'gain':>7}{'flicker':>9}" for p in fills)]  # fmt: skip
            gains: dict = {p: [] for p in fills}
            for sid in ids:
                r = rows["inpaint"][sid]
                t = r["telea"]["psnr_seam"]
                for p in fills:
                    gains[p].append(r[p]["psnr_seam"] - t)
                lines.append(f"{sid:<26}{t:>8}{r['telea'].get('flicker', '-'):>9}" + "".join(
                    f"{r[p]['psnr_seam']:>15}{round(r[p]['psnr_seam'] - t, 2):>7}{r[p].get('flicker', '-'):>9}"
                    for p in fills))  # fmt: skip
            lines.append(f"{'mean gain (min)':<26}{'':>8}{'':>9}" + "".join(
                f"{'':>15}{round(float(np.mean(gains[p])), 2):>7}{'(' + str(round(min(gains[p]), 2)) + ')':>9}"
                for p in fills))  # fmt: skip
    return "\n".join(lines)


# --------------------------------------------------------------------------- frozen foreign subset
#: the frozen foreign subset: scenes per foreign source with a seam, and seam-free ones
FROZEN_SEED = 31337


def freeze_foreign_subset(dest: Path, *, root: Path | None = None, seams: int = 3, free: int = 1,
                          hw: tuple[int, int] = (352, 480)) -> dict:  # fmt: skip
    """Write a small frozen foreign subset to ``dest`` for a test that needs no sources:
    per foreign source, ``seams`` scenes with a seam (retried until the seam is there) and
    ``free`` seam-free scenes, as PNG (``<source>_<k>.png``; the first of every source
    16-bit), their true masks (``masks/``) and ``subset.json`` (per frame: source, seam or
    not, the image files it was built from, relative to the sources folder, and the
    source's packages and licences). Deterministic (seed ``FROZEN_SEED``)."""
    import json

    from laika_fx.io import write_frame

    from .. import sources
    from .world import source_scenes

    root_path = sources.sources_root(root)
    dest = Path(dest)
    (dest / "masks").mkdir(parents=True, exist_ok=True)
    frames = []
    for k, sid in enumerate(sources.source_ids("foreign")):
        used: list = []
        pool = source_scenes(sid, 4 * seams, seed=FROZEN_SEED + k, p_seam=1.0, p_head=1.0, hw=hw, root=root, used=used)
        picks = [(s, u) for s, u in zip(pool, used, strict=True) if s.mask.any()][:seams]
        used_free: list = []
        picks += list(zip(source_scenes(sid, free, seed=FROZEN_SEED + 100 + k, p_seam=0.0, hw=hw, root=root,
                                        used=used_free), used_free, strict=True))  # fmt: skip
        for j, (scene, files) in enumerate(picks):
            name = f"{sid}_{j}.png"
            if j == 0:
                write_frame(dest / name, (scene.frame * 65535 + 0.5).astype(np.uint16))
            else:
                write_frame(dest / name, (scene.frame * 255 + 0.5).astype(np.uint8))
            write_frame(dest / "masks" / name, (scene.mask > 0).astype(np.uint8) * 255)
            frames.append({
                "frame": name, "source": sid, "seam": bool(scene.mask.any()),
                "images": [str(Path(f).relative_to(root_path)) if Path(f).is_relative_to(root_path) else str(f)
                           for f in files],
            })  # fmt: skip
    packages = {sid: [{"package": f"{p.name}={p.version}", "licence": p.licence} for p in sources.PACKAGE_SOURCES
                      if p.id == sid] for sid in sources.source_ids("foreign")}  # fmt: skip
    meta = {"seed": FROZEN_SEED, "hw": list(hw), "frames": frames, "sources": packages}
    (dest / "subset.json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta
