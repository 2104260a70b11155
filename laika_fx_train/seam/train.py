"""Training, export and INT8 quantization of the seam models ([train] extra).

``laika-fx train seam-detector`` and ``laika-fx train inpainter`` call these. Each run:

1. builds (or loads from the run folder's cache) a synthetic data set (``data.py``),
2. trains with a fixed seed for a time budget (:func:`laika_fx_train.fit.fit`), logging
   metrics to ``log.jsonl`` and checkpointing to ``checkpoint.pt`` (a rerun resumes from it),
3. ships the model (:func:`laika_fx_train.ship.ship`): FP32 IR checked against torch,
   INT8 IR (NNCF), both validated with the same function, the metrics in the model's
   ``<name>.json`` beside the IRs in ``laika_fx/models/``.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import numpy as np

from laika_fx.accelerators.runtime import MODELS_DIR

from ..fit import cached, fit, log_record, start_run
from . import data as sdata

__all__ = ["train_detector", "train_face_finder", "train_inpainter", "calibrate_detector"]


# --------------------------------------------------------------------------- detector
def _dice_bce(logits, target, pos_weight: float):
    import torch
    import torch.nn.functional as F

    bce = F.binary_cross_entropy_with_logits(logits, target, pos_weight=torch.tensor(pos_weight))
    p = torch.sigmoid(logits)
    inter = (p * target).sum((1, 2, 3))
    dice = 1 - (2 * inter + 1) / (p.sum((1, 2, 3)) + target.sum((1, 2, 3)) + 1)
    return bce + 0.5 * dice.mean()


def train_detector(
    *,
    run_dir: Path = Path("runs/seam_detector"),
    out_dir: Path = MODELS_DIR,
    minutes: float = 20.0,
    samples: int = 2400,
    crop: int = 352,
    batch: int = 6,
    seed: int = 0,
    threads: int = 1,
    lr: float = 2e-3,
    pos_weight: float = 3.0,
    qat_minutes: float = 0.0,
    p_lines: float = 0.5,
    p_paint: float = 0.0,
    init_from: Path | None = None,
    world: str = "wide",
    sources_root: Path | None = None,
    widths: tuple[int, int, int, int] | None = None,
    context: int = 64,
    long_wires: bool = False,
) -> dict:
    """Train the seam detector and ship FP32 + INT8 IRs; return the validation metrics.

    ``samples`` whole 352 px scenes (built in chunks of 1200, each cached in the run
    folder), seen whole (``crop`` = 352, the default) or as random ``crop`` px windows,
    so the network learns from the context around a line (the 1/32 level of
    :class:`SeamNet`) and frame borders are real borders, as at inference. Measured on
    the calibration scenes (FP32, best F1 at <= 0.05 % of seam-free pixels flagged): the
    four-level net 0.896; the five-level net after 35 min on 256 px windows 0.885, after
    30 more on whole scenes 0.940. ``p_lines``:
    probability that a training window gets one or two more plank gaps / wires drawn
    over it on the fly (hard negatives; the false positives on seam-free frames are such
    lines); ``long_wires``: those wires cross the whole window (a short one drawn over a
    face is a thin seam's look labelled "no seam"). ``init_from``: a checkpoint of the
    four-level net, or an FP32 IR of this net
    (``laika_fx/models/seam_detector_fp32.xml``), to start from (ignored when the
    run folder has its own checkpoint to resume). ``qat_minutes`` > 0: after
    the FP32 training, quantization-aware training with NNCF for that long, and the INT8
    IR comes from it (every convolution INT8); 0: post-training quantization with the
    stem and head kept FP32. ``p_paint``: share of the wide world's heads made to look
    painted or drawn (``world.paint_style``; half that share of the sets). ``widths`` /
    ``context``: the :class:`SeamNet`'s channels (default: those of ``init_from``, else the
    shipped ``(16, 24, 32, 48)`` / 64); wider than ``init_from``, the net starts as
    :meth:`SeamNet.widened` of it, computing what it did.

    ``world``: ``wide`` (default) builds the scenes from the ``train`` package sources
    (:mod:`.world`, fetched under ``sources_root``; uint16 frames, chunks of 400) and the
    thresholds are calibrated on scenes of the ``validation`` sources without the face
    gate; ``synthetic`` is the earlier world of 16 photographs and one procedural puppet
    (``data.detector_scenes``), calibrated on held-out photographs with the face gate.
    """
    import torch

    from .nets import SeamNet

    if world not in WORLDS:
        raise ValueError(f"world must be one of {', '.join(WORLDS)}, got {world!r}")
    t0 = start_run(run_dir, seed=seed, threads=threads)
    if world == "wide":
        from .world import world_scenes

        chunk = min(samples, 400)
        parts = [
            cached(run_dir / f"world_v{WORLD_DATA_VERSION}{f'_paint{p_paint:g}' if p_paint else ''}_{chunk}_{seed}_{k}.npz",
                   lambda k=k: world_scenes(chunk, seed=7000 + 100 * seed + k, split="train", root=sources_root,
                                            p_paint=p_paint))
            for k in range(-(-samples // chunk))
        ]  # fmt: skip
    else:
        chunk = min(samples, 1200)
        parts = [
            cached(run_dir / f"scenes_{chunk}_{seed}_{k}.npz",
                    lambda k=k: sdata.detector_scenes(chunk, seed=100 + 100 * seed + k))
            for k in range(-(-samples // chunk))
        ]  # fmt: skip
    frames = np.concatenate([f for f, _ in parts])[:samples]
    masks = np.concatenate([m for _, m in parts])[:samples]
    del parts
    unit = np.float32(1 / (65535.0 if frames.dtype == np.uint16 else 255.0))
    log_record(run_dir, {"event": "data", "world": world, "scenes": len(frames), "seconds": round(time.time() - t0, 1),
                         "seam_fraction": float(masks.mean()), **_training_record(world)})  # fmt: skip
    n, h, w = masks.shape
    crop = min(crop, h, w) // 32 * 32

    def loss_fn(net, rng):
        idx = rng.integers(0, n, batch)
        ys, xs = rng.integers(0, h - crop + 1, batch), rng.integers(0, w - crop + 1, batch)
        x = np.stack([frames[i, r : r + crop, c : c + crop] for i, r, c in zip(idx, ys, xs, strict=True)])
        y = np.stack([masks[i, r : r + crop, c : c + crop] for i, r, c in zip(idx, ys, xs, strict=True)])
        x = x.transpose(0, 3, 1, 2).astype(np.float32) * unit
        if p_lines > 0:
            x = _with_lines(x, rng, p_lines, long_wires=long_wires)
        x, y = torch.from_numpy(x), torch.from_numpy(y[:, None].astype(np.float32))
        if rng.random() < 0.5:
            x, y = x.flip(3), y.flip(3)
        if rng.random() < 0.3:
            x, y = x.flip(2), y.flip(2)
        x = (x * float(rng.uniform(0.8, 1.2))).clamp(0, 1)
        return _dice_bce(net(x), y, pos_weight=pos_weight)

    if (run_dir / "checkpoint.pt").exists():  # resumed: the architecture the checkpoint has
        net = SeamNet.like(torch.load(run_dir / "checkpoint.pt")["model"])
    elif init_from is not None:
        if Path(init_from).suffix == ".xml":  # a shipped FP32 IR of this net, at its own widths
            from ..ship import seam_net_from_ir

            net = seam_net_from_ir(init_from)
        else:
            net = SeamNet()
            net.load_four_level(torch.load(init_from)["model"])
        if widths is not None and (tuple(widths), context) != (net.arch["widths"], net.arch["context"]):
            net = net.widened(tuple(widths), context)  # computes what init_from did, more room to learn
        log_record(run_dir, {"event": "init", "from": str(init_from), **net.arch})
    else:
        net = SeamNet(**({} if widths is None else {"widths": tuple(widths), "context": context}))
    log_record(run_dir, {"event": "architecture", **net.arch,
                         "parameters": sum(p.numel() for p in net.parameters())})  # fmt: skip
    net = fit(net, loss_fn, run_dir=run_dir, minutes=minutes, lr=lr, weight_decay=1e-4, seed=seed,
               metric="loss", started=t0)  # fmt: skip
    qat = _qat_phase(net, _calibration(frames, seed + 2, scale=float(unit), channels_last=True), loss_fn,
                     run_dir=run_dir, minutes=minutes, qat_minutes=qat_minutes, lr=lr / 10, seed=seed,
                     started=t0)  # fmt: skip
    return export_detector(net, run_dir=run_dir, out_dir=out_dir, frames=frames, seed=seed, qat=qat, world=world,
                           sources_root=sources_root)  # fmt: skip


#: the training worlds of the detector
WORLDS = ("wide", "synthetic")
#: version of what ``world.world_scenes`` makes (names the run's data cache)
WORLD_DATA_VERSION = 1


def _with_lines(x: np.ndarray, rng: np.random.Generator, p: float, *, long_wires: bool = False) -> np.ndarray:
    """``(B, 3, H, W)`` crops, some with one or two plank gaps / wires drawn over them
    (``long_wires``: every wire crosses the whole crop, see :func:`.data.add_distractors`)."""
    x = x.copy()
    for i in range(len(x)):
        if rng.random() < p:
            img = np.ascontiguousarray(x[i].transpose(1, 2, 0))
            sdata.add_distractors(img, rng, count=int(rng.integers(1, 3)), kinds=sdata.LINE_KINDS,
                                  long_wires=long_wires)  # fmt: skip
            x[i] = img.transpose(2, 0, 1)
    return x


def _qat_phase(net, calib, loss_fn, *, run_dir: Path, minutes: float, qat_minutes: float, **kwargs):
    """The quantization-aware phase of a training run, or ``None`` when there is none.

    After FP32 training (``minutes`` > 0) any old QAT checkpoint is stale and is dropped;
    QAT then runs ``qat_minutes`` from the new weights. With ``minutes == 0`` the QAT
    checkpoint is continued for ``qat_minutes`` (0 = export it again as it is).
    """
    qat_ckpt = run_dir / "checkpoint_qat.pt"
    if minutes > 0 and qat_ckpt.exists():
        qat_ckpt.unlink()
    if qat_minutes <= 0 and not qat_ckpt.exists():
        return None
    return _quantization_aware(net, calib, loss_fn, run_dir=run_dir, minutes=qat_minutes, **kwargs)


def _quantization_aware(net, calib: list[np.ndarray], loss_fn, *, run_dir: Path, minutes: float, lr: float,
                        seed: int, started: float, ignored_types: tuple[str, ...] = ()):  # fmt: skip
    """NNCF quantization-aware training of a copy of ``net``; returns the quantized model.

    ``nncf.quantize`` on the torch model inserts fake-quantize operations (ranges from
    the ``calib`` inputs, ``(1, C, H, W)`` arrays); training then adapts weights and
    ranges to INT8 rounding, so layers that post-training quantization could not take
    (the detector's stem and head, the inpainter's output conv) can be INT8 too.
    ``ignored_types``: torch operations left unquantized (e.g. the inpainter's residual
    add). Checkpointed to ``checkpoint_qat.pt``.
    """
    import copy

    import nncf
    import torch

    dataset = nncf.Dataset([torch.from_numpy(np.ascontiguousarray(c, np.float32)) for c in calib])
    kwargs = {}
    if ignored_types:
        kwargs["ignored_scope"] = nncf.IgnoredScope(types=list(ignored_types), validate=False)
    qnet = nncf.quantize(copy.deepcopy(net).eval(), dataset, subset_size=len(calib), **kwargs)
    return fit(qnet, loss_fn, run_dir=run_dir, minutes=minutes, lr=lr, weight_decay=1e-4, seed=seed + 1,
                metric="loss", started=started, checkpoint="checkpoint_qat.pt")  # fmt: skip


def _calibration(arrays: np.ndarray, seed: int, count: int = 300, *, scale: float = 1.0,
                 channels_last: bool = False) -> list[np.ndarray]:  # fmt: skip
    """``count`` random samples of ``arrays`` (NCHW, or NHWC with ``channels_last``) as
    ``(1, C, H, W)`` float32 network inputs, multiplied by ``scale``."""
    rng = np.random.default_rng(seed)
    picks = [arrays[i : i + 1] for i in rng.integers(0, len(arrays), count)]
    if channels_last:
        picks = [p.transpose(0, 3, 1, 2) for p in picks]
    return [p.astype(np.float32) * np.float32(scale) for p in picks]


#: what the detector's thresholds are calibrated on and the face finder is validated on
CALIBRATION_SCENES = ("64 synthetic scenes of held-out photos (seed 2024, 352x480), not the scenes "
                      "`laika-fx eval seams` reports on")  # fmt: skip
CALIBRATION_DATA = (CALIBRATION_SCENES + "; thresholds per precision: the best F1 (3 px tolerance) flagging at most "
                    "0.05 % of the seam-free scenes' pixels, with the face gate when a face finder is there")  # fmt: skip


def _training_record(world: str = "synthetic") -> dict:
    if world == "wide":
        from .. import sources

        return {"world": "wide", "sources": list(sources.source_ids("train")),
                "validation_sources": list(sources.source_ids("validation"))}  # fmt: skip
    return {"photos": list(sdata.TRAIN_PHOTOS)}


#: what the inpainter is validated on
INPAINT_VALIDATION_DATA = ("24 synthetic scenes of held-out photos with a seam 1-6 px wide (seed 4321, 256x256); "
                           "PSNR inside the seam region and over the frame, learned inpainter vs OpenCV Telea")  # fmt: skip


def export_detector(net, *, run_dir: Path, out_dir: Path, frames: np.ndarray, seed: int, qat=None,
                    world: str = "synthetic", sources_root: Path | None = None) -> dict:  # fmt: skip
    """Ship the detector: FP32 and INT8 IRs, thresholds calibrated per precision on held-out
    scenes (the validation of both), ``seam_detector.json``.

    ``qat``: the quantization-aware trained copy of ``net``; its IR is the INT8 model.
    Without it, post-training quantization of the FP32 IR.
    """
    from ..ship import ship

    unit = np.float32(1 / (65535.0 if frames.dtype == np.uint16 else 255.0))
    example = frames[:1].transpose(0, 3, 1, 2).astype(np.float32) * unit
    if qat is not None:  # the FP32 IR is the network the INT8 IR quantizes, not the one before QAT
        net = qat_float_weights(qat)
        qat.full_resolution = False
        quantization = "nncf quantization-aware training, every convolution int8"
    else:
        quantization = "nncf post-training, stem convolutions and head fp32"
    net.full_resolution = False  # the runtime upsamples the logits itself (nets.py)

    def quantize_options(fp32: Path) -> dict:
        # Keep the two stem convolutions and the head in FP32: post-training int8 there lost
        # the faint contrast of thin lines (a table edge went from p=2e-5 to p=0.96 on
        # sample_frames, F1 there 1.0 -> 0.88). Quantization-aware training avoids this.
        convs = _conv_names(fp32)
        return {"subset_size": 300, "ignored_names": convs[:2] + convs[-1:]}

    motion_bar = _has_motion_bar(out_dir)  # the model there was calibrated with it: so is this one
    validate = _detector_validation(out_dir, world, sources_root, motion_bar, face_cuts=_face_cuts(out_dir),
                                    line_scorer=_has_line_scorer(out_dir))  # fmt: skip
    meta = ship(net, "seam_detector", out_dir=out_dir, example_inputs=[example],
                check_inputs=[frames[:2].transpose(0, 3, 1, 2).astype(np.float32) * unit],
                validate=validate, quantization=quantization,
                qat=qat, calibration=None if qat is not None else _calibration(frames, seed + 1, scale=float(unit),
                                                                               channels_last=True),
                quantize_options=quantize_options, **_detector_record(world, motion_bar),
                training=_training_record(world))  # fmt: skip
    log_record(run_dir, {"event": "exported", **meta})
    return meta


def qat_float_weights(qat):
    """A plain :class:`~.nets.SeamNet` holding the float weights of ``qat`` (NNCF's
    quantization-aware copy): the same network without its fake-quantize operations. Its
    FP32 IR and the INT8 IR of ``qat`` are one network at two precisions (the pre-QAT
    weights, exported before, scored 0.05 F1 apart from INT8 at the same thresholds)."""
    from .nets import SeamNet

    state = qat.state_dict()
    plain = SeamNet.like(state)
    plain.load_state_dict({k: state[k] for k in plain.state_dict()}, strict=True)
    return plain.eval()


def _detector_validation(out_dir: Path, world: str = "synthetic", sources_root: Path | None = None,
                         motion_bar: bool = False, shot_work: Path | None = None,
                         face_cuts: dict[str, float] | None = None, line_scorer: bool = False):  # fmt: skip
    """``validate(xml, precision)`` of the ship flow for the detector: calibrate its thresholds.

    ``synthetic``: on the held-out calibration scenes, with the face finder of that
    precision in ``out_dir``. ``wide``: on scenes of the validation sources
    (``VALIDATION_SCENES``), with the gating chosen there too: no face finder, or the face
    finder as ``auto``'s soft prior with its ``confident`` bar (:data:`CONFIDENTS`).
    ``motion_bar`` (wide, with the face finder): then the motion prior's bar too, on the
    validation sources' shots (:data:`CALIBRATION_SHOTS`, :func:`_motion_bar`); ``shot_work``:
    where those shots are written and analysed (kept, and reused when already analysed there;
    default a temporary folder). ``face_cuts``: the face finder's cut per precision (the gate's
    face is where its probability exceeds it; 0.5 when not given), kept in the runtime settings.
    ``line_scorer`` (wide, with the face finder): a third gating option, ``auto`` judging lines
    by a :class:`~laika_fx.seam_removal.lines.LineScorer` fitted per precision on the training
    sources' scenes (:mod:`.line_scorer`), its bar swept over :data:`LINE_BARS`.
    """
    from laika_fx.seam_removal.detector import SeamDetector

    from .evaluate import calibrate_threshold, heldout_scenes

    face_cuts = face_cuts or {}
    if world == "wide":
        from .world import split_scenes

        # no clean frames: a calibration reads the frames and their truth (half the memory)
        scenes = split_scenes("validation", 32, seed=2024, hw=(352, 480), root=sources_root, clean=False)
        # hundreds of seam-free scenes more, for the flagged-pixel bar alone (see VALIDATION_SCENES)
        free = split_scenes("validation", VALIDATION_FREE_PER_SOURCE, seed=VALIDATION_FREE_SEED, hw=(352, 480),
                            p_seam=0.0, root=sources_root, clean=False)  # fmt: skip
        shots = functools.cache(lambda: _calibration_shots(sources_root, shot_work))
    else:
        # threshold calibration scenes: held-out photographs, but not the scenes `eval seams`
        # reports on (seed 1234), so the threshold is not chosen on the evaluation set
        scenes = heldout_scenes(count=64, seed=2024, hw=(352, 480))

    def validate(xml: Path, precision: str) -> dict:
        face_xml = out_dir / f"face_finder_{precision}.xml"
        if world == "wide" and not face_xml.exists():  # a run folder: the shipped face finder
            face_xml = MODELS_DIR / f"face_finder_{precision}.xml"
        if world != "wide":
            gate = face_xml.exists()
            det = SeamDetector(model_xml=xml, precision=precision, face_gate=gate,
                               face_xml=face_xml if gate else None)  # fmt: skip
            thr, ratio, metrics = calibrate_threshold(det, scenes)
            return {"threshold": thr, "low_ratio": ratio, "face_gate": det.face_finder is not None, **metrics}
        # the gating is a model choice made here, on the validation sources: no face finder
        # at all, or the face finder as a soft prior (`auto`) with its bar swept too
        bar = dict(free_scenes=free, max_clean_flagged_pct=VALIDATION_BAR)
        plain = SeamDetector(model_xml=xml, precision=precision, face_gate=False)
        options = [(False, calibrate_threshold(plain, scenes, **bar))]
        dets = {False: plain}
        if face_xml.exists():

            def with_finder() -> SeamDetector:
                gated = SeamDetector(model_xml=xml, precision=precision, face_gate=True, face_xml=face_xml, gate="auto")
                gated.face_cut = face_cuts.get(precision, 0.5)  # the folder's own cut (not the shipped model's)
                # the finder option is the median rule: not the line scorer the *shipped* JSON may hold
                # (the detector reads the shipped runtime; with it this option's figures followed
                # whatever was shipped: INT8's changed in session 10, FP32's in session 11)
                gated.scorer = None
                return gated

            dets[True] = det = with_finder()
            options.append((True, calibrate_threshold(det, scenes, confidents=CONFIDENTS, **bar)))
            if line_scorer:
                from .line_scorer import fit_line_scorer, fit_scenes

                scored = with_finder()
                scored.scorer, fitted = fit_line_scorer(scored, fit_scenes(sources_root))  # a generator: not kept
                dets["scorer"] = scored
                thr, ratio, m = calibrate_threshold(scored, scenes, confidents=LINE_BARS, **bar)
                options.append(("scorer", (thr, ratio, {**m, "line_scorer": scored.scorer.to_dict(),
                                                        "line_scorer_fit": fitted})))  # fmt: skip
        judge = (lambda g, t, r, m: _motion_bar(dets[g], t, r, m["confident"], *shots())) if motion_bar else None
        gate, (thr, ratio, metrics), options = _choose_gating(options, judge)
        if gate and precision in face_cuts:
            metrics = {**metrics, "face_cut": face_cuts[precision]}
        if gate == "scorer":  # `auto`'s bar is the score's; the median bar plays no part
            metrics = {**{k: v for k, v in metrics.items() if k != "confident"}, "line_bar": metrics["confident"]}
        names = {False: "no_face_finder", True: "face_finder", "scorer": "line_scorer"}
        alternatives = {names[g]: {"threshold": t, "low_ratio": r, **{k: v for k, v in m.items() if k != "line_scorer"}}
                        for g, (t, r, m) in options}  # fmt: skip
        return {"threshold": thr, "low_ratio": ratio, "face_gate": bool(gate), **metrics, "alternatives": alternatives}

    return validate


def _choose_gating(options: list, judge_shots=None) -> tuple:
    """The wide-world detector's gating choice among ``options`` (``(face_finder, (threshold,
    low_ratio, metrics))``, no finder first, each calibrated on the validation stills): those
    flagging at most :data:`VALIDATION_BAR` % (else the fewest) stay; a face finder is worth
    loading only for a clear gain, 0.01 of :func:`_choice_score`. ``judge_shots(face_finder,
    threshold, low_ratio, metrics)``: the calibration shots' figures of an option at its
    thresholds (:func:`_motion_bar`; None: the stills alone choose): with them the options also
    hold :data:`MOTION_BAR` on the seam-free shots (else the fewest flagged), and the score
    weighs the shots' F1 (the motion prior works only with the finder, so a finder that gains
    little on stills can gain much on shots). Returns the gate, its ``(threshold, low_ratio,
    metrics)`` and ``options`` with the shots' figures of those judged on them."""
    limit = max(VALIDATION_BAR, min(m["clean_flagged_pct"] or 0.0 for _, (_, _, m) in options))
    ok = [o for o in options if (o[1][2]["clean_flagged_pct"] or 0.0) <= limit]
    if judge_shots is not None and any(g for g, _ in ok):
        ok = [(g, (t, r, {**m, **judge_shots(g, t, r, m)})) for g, (t, r, m) in ok]
        shot_limit = max(MOTION_BAR, min(m["shot_flagged_pct"] or 0.0 for _, (_, _, m) in ok))
        ok = [o for o in ok if (o[1][2]["shot_flagged_pct"] or 0.0) <= shot_limit]
    best = max(_choice_score(m) for _, (_, _, m) in ok)
    gate, (thr, ratio, metrics) = next(o for o in ok if _choice_score(o[1][2]) >= best - 0.01)
    if not gate:  # the motion prior needs the finder: without it there is no bar to keep
        metrics = {k: v for k, v in metrics.items() if k != "moving_confident"}
    judged = dict(ok)
    return gate, (thr, ratio, metrics), [(g, judged.get(g, calibrated)) for g, calibrated in options]


#: ``auto``'s bar values tried on a line scorer's score (the probability a line is a seam)
LINE_BARS = (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def _choice_score(metrics: dict) -> float:
    """What the gating choice compares: the stills' F1, or with the calibration shots (the
    motion bar) the mean of the stills' and the shots' F1 (a finder that gains little on
    stills but carries the motion prior on shots is worth loading)."""
    if metrics.get("shot_f1") is None:
        return metrics["f1"]
    return (metrics["f1"] + metrics["shot_f1"]) / 2


#: ``auto``'s bar values tried when the wide-world detector is calibrated with the face finder
CONFIDENTS = (0.9, 0.95, 0.98, 0.99, 0.995, 0.9975, 0.999, 0.9995)
#: the motion prior's bar values tried once the stills chose the thresholds (0: a line on what
#: moved counts as on a face; at ``confident`` or above the prior adds nothing)
MOVING_CONFIDENTS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.97, 0.98, 0.985, 0.99, 0.995)
#: the validation shots the motion prior's bar is calibrated on (what the plugin meets in a batch:
#: moving heads, their moving grids): seed, seamed and seam-free shots per source, frames, size.
#: Many seam-free shots: 8 per source held a 0.03 % bar that other shots exceeded 2x.
#: the flagged-pixel bar (% of the seam-free calibration shots' pixels) the motion prior's bar is
#: held to: the 0.05 % target less a margin. Not the stills' 0.03: at the thresholds the stills
#: chose, the seam-free shots flag 0.031 % with the prior off (shipped round 3 and round 4 alike),
#: so a 0.03 bar always turned the prior off (docs/benchmarks.md, "Shot-aware calibration")
MOTION_BAR = 0.04
CALIBRATION_SHOTS = {"seed": 6262, "seamed_per_source": 8, "free_per_source": 32, "frames": 8, "hw": (540, 960)}


def _motion_bar(det, thr: float, ratio: float, confident: float, seamed: list, free: list) -> dict:
    """The motion prior's ``moving_confident`` for ``det`` at the thresholds the stills chose:
    the best F1 on the calibration shots' seamed frames with their seam-free frames flagged at
    most :data:`MOTION_BAR` % (else the fewest flagged); the stills play no part (they have no
    moving grid). Returns ``{"moving_confident", "shot_f1", "shot_precision", "shot_recall",
    "shot_flagged_pct", "shot_frames"}``."""
    from .evaluate import calibrate_threshold

    _, _, m = calibrate_threshold(det, [], candidates=[thr], low_ratios=(ratio,), confidents=(confident,),
                                  moving_confidents=MOVING_CONFIDENTS, shot_scenes=seamed, shot_free_scenes=free,
                                  max_clean_flagged_pct=MOTION_BAR)  # fmt: skip
    return {"moving_confident": m["moving_confident"], "shot_f1": m["shot_f1"], "shot_precision": m["precision"],
            "shot_recall": m["recall"], "shot_flagged_pct": m["shot_flagged_pct"], "shot_frames": m["shot_frames"]}


def _calibration_shots(sources_root: Path | None, work: Path | None) -> tuple[list, list]:
    """The frames of :data:`CALIBRATION_SHOTS` (:func:`.shot_eval.calibration_shots`), written
    and analysed under ``work`` (a temporary folder, removed, when None)."""
    import tempfile

    from .shot_eval import calibration_shots

    if work is not None:
        return calibration_shots(**CALIBRATION_SHOTS, work=Path(work), root=sources_root)
    with tempfile.TemporaryDirectory(prefix="laika_fx_calibration_shots_") as tmp:
        return calibration_shots(**CALIBRATION_SHOTS, work=Path(tmp), root=sources_root)


#: seam-free scenes per validation source that hold the detector's flagged-pixel bar (beside
#: the ~38 of the 128 F1 scenes; ~38 were too few: the bar held on them was exceeded 3-4x on
#: other validation scenes), and their seed (+ the source's index)
VALIDATION_FREE_PER_SOURCE = 450
VALIDATION_FREE_SEED = 3024
#: the flagged-pixel bar (% of seam-free pixels) the wide-world detector's thresholds are held to
#: at calibration: the 0.05 % target less a margin, since the best F1 under a bar sits at the bar
#: and flags more on scenes it was not chosen on (chosen on 600 other seam-free validation scenes,
#: seed 7024: a 0.05 bar there flagged 0.065 % INT8 / 0.051 % FP32, a 0.03 bar 0.023 % / 0.028 %)
VALIDATION_BAR = 0.03

#: what the wide-world detector's thresholds are calibrated on
VALIDATION_SCENES = ("128 scenes of the validation sources (32 per V-* source of laika_fx_train/sources.py, seed "
                     "2024, 352x480: sets and heads from that source only) for F1, and their seam-free scenes with "
                     f"{VALIDATION_FREE_PER_SOURCE} more seam-free scenes per source (seed {VALIDATION_FREE_SEED}) "
                     "for the flagged-pixel bar; thresholds per precision: the best F1 "
                     f"(3 px tolerance) flagging at most {VALIDATION_BAR} % of the seam-free scenes' pixels (the 0.05 % "
                     "target less a margin, so it holds on other scenes; lines chosen as the "
                     "plugin chooses them, mask grown 2 px as the plugin grows it); gating chosen there too: no face "
                     "finder, or the face finder as the 'auto' soft prior with its 'confident' bar swept, kept only "
                     "for a gain of 0.01 F1")  # fmt: skip
#: what ``--motion-bar`` adds to :data:`VALIDATION_SCENES`
MOTION_BAR_DATA = ("; then, with the face finder, the motion prior's 'moving_confident' (the median probability a "
                   "line on what moved against the set needs) on validation shots as a batch meets them "
                   f"({CALIBRATION_SHOTS['seamed_per_source']} seamed and {CALIBRATION_SHOTS['free_per_source']} "
                   f"seam-free shots per source, seed {CALIBRATION_SHOTS['seed']}, {CALIBRATION_SHOTS['frames']} frames "
                   f"at {CALIBRATION_SHOTS['hw'][1]}x{CALIBRATION_SHOTS['hw'][0]}, each frame's moving grid from the "
                   "real stabilize analysis): the best F1 on the seamed shots with the seam-free shots' frames flagged "
                   f"at most {MOTION_BAR} % (shot_f1, shot_flagged_pct); the gating choice then weighs the shots: "
                   "each option judged there at its stills thresholds, the face finder kept for a gain of 0.01 in the "
                   "mean of the stills' and the shots' F1")  # fmt: skip


def _detector_record(world: str = "synthetic", motion_bar: bool = False) -> dict:
    """Arguments of the ship flow that the detector's export and re-calibration share."""
    gate = world != "wide"
    return {
        "int8_drop": {"f1": "higher"},
        "validation_data": (VALIDATION_SCENES + (MOTION_BAR_DATA if motion_bar else "")) if world == "wide"
        else CALIBRATION_DATA,
        # the runtime reads the thresholds calibrated for its precision, and whether they
        # were calibrated with the face gate
        "runtime": lambda v: {p: {"threshold": v[p]["threshold"], "low_ratio": v[p]["low_ratio"],
                                  "face_gate": bool(v[p].get("face_gate", gate)),
                                  **({"confident": v[p]["confident"]} if v[p].get("confident") else {}),
                                  **({"moving_confident": v[p]["moving_confident"]}
                                     if v[p].get("moving_confident") is not None else {}),
                                  **({"face_cut": v[p]["face_cut"]} if v[p].get("face_cut") else {}),
                                  **({"line_scorer": v[p]["line_scorer"], "line_bar": v[p]["line_bar"]}
                                     if v[p].get("line_scorer") else {})}
                              for p in ("int8", "fp32")},  # fmt: skip
    }


def detector_world(out_dir: Path = MODELS_DIR) -> str:
    """The training world of the detector in ``out_dir`` (its JSON's ``training.world``):
    what its thresholds are calibrated on."""
    path = out_dir / "seam_detector.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    return old.get("training", {}).get("world", "synthetic")


def _runtime_of(out_dir: Path) -> dict:
    """The ``runtime`` section of the detector JSON in ``out_dir`` (empty without one)."""
    path = Path(out_dir) / "seam_detector.json"
    return json.loads(path.read_text()).get("runtime", {}) if path.exists() else {}


def _has_motion_bar(out_dir: Path) -> bool:
    """Whether the detector JSON in ``out_dir`` was calibrated with the motion prior's bar (its
    ``runtime`` has a ``moving_confident``, 0 included): recalibrations keep doing so."""
    return any("moving_confident" in v for v in _runtime_of(out_dir).values())


def _face_cuts(out_dir: Path) -> dict[str, float]:
    """The face cut per precision of the detector JSON in ``out_dir`` (its ``runtime``'s
    ``face_cut``; none: 0.5): a cut chosen for the face finder there stays with it through
    recalibrations and retraining into that folder, like the motion bar. A folder without a
    detector JSON whose detector is judged with the shipped face finder (none there, or a
    byte-identical copy) takes the shipped model's cuts: a new run folder beside the shipped
    finder is calibrated with its cut, not 0.5."""
    out_dir = Path(out_dir)
    if not (out_dir / "seam_detector.json").exists() and _shipped_face_finder(out_dir):
        out_dir = MODELS_DIR
    return {p: float(v["face_cut"]) for p, v in _runtime_of(out_dir).items() if v.get("face_cut")}


def _shipped_face_finder(out_dir: Path) -> bool:
    """Whether a detector in ``out_dir`` is judged with the shipped face finder: the folder
    has no face finder IR (the shipped one is used) or byte-identical copies of it."""
    for name in ("face_finder_int8.xml", "face_finder_int8.bin", "face_finder_fp32.xml", "face_finder_fp32.bin"):
        mine, shipped = out_dir / name, MODELS_DIR / name
        if mine.exists() and (not shipped.exists() or mine.read_bytes() != shipped.read_bytes()):
            return False
    return True


def _has_line_scorer(out_dir: Path) -> bool:
    """Whether the detector JSON in ``out_dir`` chose a line scorer: recalibrations fit one again."""
    return any(v.get("line_scorer") for v in _runtime_of(out_dir).values())


def calibrate_detector(out_dir: Path = MODELS_DIR, *, sources_root: Path | None = None,
                       motion_bar: bool | None = None, shot_work: Path | None = None,
                       line_scorer: bool | None = None) -> dict:  # fmt: skip
    """Calibrate the hysteresis thresholds of the detector IRs in ``out_dir`` again, per
    precision, with the face gate when a face finder is there too; rewrite
    ``seam_detector.json`` (its quantization, torch check and training record are kept).

    Runs on OpenVINO alone (no torch): ``laika-fx train seam-detector --calibrate-only``
    after the face finder was retrained. ``motion_bar``: calibrate the motion prior's bar on
    validation shots as well (``--motion-bar``; see :func:`_detector_validation`); None: as the
    model was calibrated (its JSON's ``runtime`` has a ``moving_confident``). ``line_scorer``:
    offer a fitted line scorer as a gating option (``--line-scorer``); None: when the model
    chose one before.
    """
    from ..ship import record_metrics

    path = out_dir / "seam_detector.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    world = old.get("training", {}).get("world", "synthetic")
    if motion_bar is None:
        motion_bar = _has_motion_bar(out_dir)
    if line_scorer is None:
        line_scorer = _has_line_scorer(out_dir)
    validate = _detector_validation(out_dir, world, sources_root, motion_bar, shot_work, _face_cuts(out_dir),
                                    line_scorer)  # fmt: skip
    return record_metrics("seam_detector", out_dir, validate, quantization=old.get("quantization", "unknown"),
                          torch_ir_max_abs_diff=old.get("torch_ir_max_abs_diff"),
                          training=old.get("training", {}), **_detector_record(world, motion_bar))  # fmt: skip


# --------------------------------------------------------------------------- face finder
def _init_from_ir(net, init_from: Path | None, run_dir: Path):
    """``net`` with the weights of the FP32 IR ``init_from`` (logged), unless None or the run
    folder has a checkpoint to resume (then ``fit`` loads that)."""
    if init_from is not None and not (run_dir / "checkpoint.pt").exists():
        from ..ship import load_ir_weights

        load_ir_weights(net, init_from)
        log_record(run_dir, {"event": "init", "from": str(init_from)})
    return net


#: version of what ``world.world_face_scenes`` makes (names the run's data cache)
WIDE_FACE_DATA_VERSION = 1
#: what a wide-world face finder is validated on
WIDE_FACE_VALIDATION = ("32 wide-world scenes per validation source (seed 2024, 352x480: the detector's calibration "
                        "scenes); IoU of the found face, seam pixels on it, false face pixels on head-less scenes")


def train_face_finder(
    *,
    run_dir: Path = Path("runs/face_finder"),
    out_dir: Path = MODELS_DIR,
    minutes: float = 12.0,
    samples: int = 2400,
    batch: int = 16,
    seed: int = 0,
    threads: int = 1,
    lr: float = 2e-3,
    world: str = "synthetic",
    sources_root: Path | None = None,
    init_from: Path | None = None,
    p_paint: float = 0.0,
) -> dict:
    """Train the face finder (:class:`~.nets.FaceNet`) and ship FP32 + INT8 IRs.

    ``samples`` scenes rendered at 272x400 and shrunk to 136x200, seen as random 128x192
    windows with flips and exposure changes. The target is where a seam can lie (the
    replaceable face: head without hair), downsampled to the network's output (1/2).
    ``world``: ``synthetic`` (``data.face_scenes``: the procedural puppet on the 16 bundled
    photographs) or ``wide`` (``world.world_face_scenes``: the ``train`` package sources'
    photographs, textures and cut-outs, heads of every kind - puppets, photo-textured blobs,
    cut-out objects - ``p_paint`` of them painted; validated on the validation sources'
    scenes). ``init_from``: an FP32 IR of this net (e.g. the shipped
    ``laika_fx/models/face_finder_fp32.xml``) to start from (ignored when the run folder has
    a checkpoint to resume). INT8 by NNCF post-training quantization (a coarse map: no
    layer needs FP32).
    """
    import torch
    import torch.nn.functional as F

    from .nets import FaceNet

    if world not in WORLDS:
        raise ValueError(f"world must be one of {', '.join(WORLDS)}, got {world!r}")
    t0 = start_run(run_dir, seed=seed, threads=threads)
    if world == "wide":
        from .world import world_face_scenes

        frames, faces = cached(run_dir / f"faces_wide_v{WIDE_FACE_DATA_VERSION}_{samples}_{seed}_{p_paint}.npz",
                               lambda: world_face_scenes(samples, seed=500 + seed, root=sources_root,
                                                         p_paint=p_paint))  # fmt: skip
    else:
        frames, faces = cached(run_dir / f"faces_v{sdata.FACE_DATA_VERSION}_{samples}_{seed}.npz",
                                lambda: sdata.face_scenes(samples, seed=500 + seed))  # fmt: skip
    log_record(run_dir, {"event": "data", "world": world, "scenes": len(frames),
                         "seconds": round(time.time() - t0, 1), "face_fraction": float(faces.mean()),
                         **_training_record(world)})  # fmt: skip
    n, h, w = faces.shape
    ch, cw = h // 16 * 16, w // 16 * 16

    def loss_fn(net, rng):
        idx = rng.integers(0, n, batch)
        ys, xs = rng.integers(0, h - ch + 1, batch), rng.integers(0, w - cw + 1, batch)
        x = np.stack([frames[i, r : r + ch, c : c + cw] for i, r, c in zip(idx, ys, xs, strict=True)])
        y = np.stack([faces[i, r : r + ch, c : c + cw] for i, r, c in zip(idx, ys, xs, strict=True)])
        x = torch.from_numpy(x.transpose(0, 3, 1, 2).astype(np.float32) / 255.0)
        y = torch.from_numpy(y[:, None].astype(np.float32))
        if rng.random() < 0.5:
            x, y = x.flip(3), y.flip(3)
        x = (x * float(rng.uniform(0.7, 1.3))).clamp(0, 1)
        target = F.avg_pool2d(y, 2)  # the output is at 1/2
        return _dice_bce(net(x), target, pos_weight=1.0)

    net = _init_from_ir(FaceNet(), init_from, run_dir)
    net = fit(net, loss_fn, run_dir=run_dir, minutes=minutes, lr=lr, weight_decay=1e-4, seed=seed,
              metric="loss", started=t0)  # fmt: skip
    return export_face_finder(net, run_dir=run_dir, out_dir=out_dir, frames=frames, seed=seed, world=world,
                              sources_root=sources_root)  # fmt: skip


def face_metrics(finder, scenes) -> dict:
    """How well ``finder`` (a :class:`~laika_fx.seam_removal.face.FaceFinder`) finds faces in ``scenes``.

    ``iou``: intersection over union of the predicted (p > 0.5, as the gate uses it) and
    true face, pooled; ``seam_on_face``: the share of true seam pixels the predicted face
    covers (what the detector's face gate keeps); ``false_face_pct``: % of the pixels of
    head-less scenes called face where no face is (a labelled photographed face is one).
    """
    inter = union = seam_in = seam_all = false_px = free_px = 0
    for s in scenes:
        face = finder.mask(s.frame)
        truth = s.face > 0
        inter += int((face & truth).sum())
        union += int((face | truth).sum())
        seam = s.mask > 0
        seam_in += int((face & seam).sum())
        seam_all += int(seam.sum())
        if not s.has_head:
            false_px += int((face & ~truth).sum())
            free_px += face.size
    return {
        "iou": round(inter / union, 4) if union else None,
        "seam_on_face": round(seam_in / seam_all, 4) if seam_all else None,
        "false_face_pct": round(100 * false_px / free_px, 4) if free_px else None,
    }


def export_face_finder(net, *, run_dir: Path, out_dir: Path, frames: np.ndarray, seed: int,
                       world: str = "synthetic", sources_root: Path | None = None) -> dict:  # fmt: skip
    """Ship the face finder: FP32 IR, INT8 by NNCF post-training quantization, both
    validated (synthetic world: on the detector's calibration scenes of held-out photographs;
    wide: on 32 scenes per validation source, seed 2024, the calibration's), ``face_finder.json``."""
    from laika_fx.seam_removal.face import FaceFinder

    from ..ship import ship
    from .evaluate import heldout_scenes

    h, w = frames.shape[1] // 16 * 16, frames.shape[2] // 16 * 16
    inputs = frames[:2, :h, :w].transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    if world == "wide":
        from .world import split_scenes

        scenes = split_scenes("validation", 32, seed=2024, hw=(352, 480), root=sources_root)
        validation = WIDE_FACE_VALIDATION
    else:  # the detector's threshold calibration scenes (held-out photographs, not the scenes `eval seams` reports on)
        scenes = heldout_scenes(count=64, seed=2024, hw=(352, 480))
        validation = CALIBRATION_SCENES
    meta = ship(net, "face_finder", out_dir=out_dir, example_inputs=[inputs[:1]], check_inputs=[inputs],
                validate=lambda xml, precision: face_metrics(FaceFinder(model_xml=xml), scenes),
                quantization="nncf post-training, every convolution int8",
                calibration=_calibration(frames[:, :h, :w], seed + 1, scale=1 / 255, channels_last=True),
                quantize_options={"subset_size": 300}, int8_drop={"iou": "higher"},
                validation_data=validation,
                training=_training_record(world))  # fmt: skip
    log_record(run_dir, {"event": "exported", **meta})
    return meta


# --------------------------------------------------------------------------- inpainter
#: version of what ``world.inpaint_crops`` makes (names the run's data cache)
INPAINT_DATA_VERSION = 1


def train_inpainter(
    *,
    run_dir: Path = Path("runs/inpainter"),
    out_dir: Path = MODELS_DIR,
    minutes: float = 15.0,
    samples: int = 16000,
    batch: int = 16,
    seed: int = 0,
    threads: int = 1,
    lr: float = 2e-3,
    qat_minutes: float = 0.0,
    world: str = "wide",
    sources_root: Path | None = None,
    init_from: Path | None = None,
    grad_weight: float = 0.5,
    ship_if_better: bool = False,
) -> dict:
    """Train the residual-over-Telea inpainter and ship FP32 + INT8 IRs.

    ``world``: ``wide`` (default) trains on 64 px crops of wide-world scenes of the
    ``train`` package sources (``world.inpaint_crops``: shading and photo texture under
    the seam, 8- and 16-bit, holes like the plugin's masks; built in chunks of 4000, each
    cached in the run folder) and validates on the rows of the ``validation`` sources
    (:func:`_inpaint_validation`); ``synthetic`` is the earlier world of 16 photographs
    (``data.inpainter_samples``) validated on held-out photographs. Loss: L1 per hole
    pixel plus ``grad_weight`` x the L1 of the image gradients' error in the seam band (the
    hole grown 1 px: a fill must also join its surroundings without a step).
    ``init_from``: an FP32 IR of this net (e.g. the shipped
    ``laika_fx/models/inpainter_fp32.xml``) to start from (ignored when the run folder has a
    checkpoint to resume). ``qat_minutes`` > 0: quantization-aware training after the FP32
    run and the INT8 IR comes from it (the output conv INT8 too; the residual add and mask
    multiply stay FP32 so 16-bit frames keep their precision); 0: post-training quantization
    with the output conv kept FP32. ``--minutes 0`` re-exports both checkpoints.
    ``ship_if_better``: export to ``run_dir/candidate`` and copy to ``out_dir`` only when
    :func:`ship_decision` says the candidate beats the IRs in ``out_dir`` on the validation
    rows (the decision is logged and returned under ``"ship"``).
    """
    import torch
    import torch.nn.functional as F

    from .nets import InpaintNet

    if world not in WORLDS:
        raise ValueError(f"world must be one of {', '.join(WORLDS)}, got {world!r}")
    t0 = start_run(run_dir, seed=seed, threads=threads)
    if world == "wide":
        from .world import SplitPools, inpaint_crops

        chunk = min(samples, 4000)
        pools = []

        def build(k):
            if not pools:
                pools.append(SplitPools.of("train", sources_root))
            return inpaint_crops(chunk, seed=9000 + 100 * seed + k, pools=pools[0])

        parts = [cached(run_dir / f"inpaint_v{INPAINT_DATA_VERSION}_{chunk}_{seed}_{k}.npz", lambda k=k: build(k))
                 for k in range(-(-samples // chunk))]  # fmt: skip
        frames, clean, telea, holes = (np.concatenate([p[j] for p in parts])[:samples] for j in range(4))
        del parts
    else:
        from laika_fx.seam_removal.inpaint import telea_fill

        def build_synthetic():
            f, c, h = sdata.inpainter_samples(samples, seed=seed)
            t = np.stack([telea_fill(a, b) for a, b in zip(f, h, strict=True)])
            return [(x * 65535 + 0.5).astype(np.uint16) for x in (f, c, t)] + [h]

        frames, clean, telea, holes = cached(run_dir / f"train16_{samples}_{seed}.npz", build_synthetic)
    log_record(run_dir, {"event": "data", "world": world, "samples": len(frames), "seconds": round(time.time() - t0, 1),
                         "hole_fraction": float(holes.mean()), **_training_record(world)})  # fmt: skip

    def inputs(idx: np.ndarray):
        h = holes[idx][:, None].astype(np.float32)
        f = frames[idx].transpose(0, 3, 1, 2).astype(np.float32) / 65535
        t = telea[idx].transpose(0, 3, 1, 2).astype(np.float32) / 65535
        y = clean[idx].transpose(0, 3, 1, 2).astype(np.float32) / 65535
        return np.concatenate([f * (1 - h), h, t], axis=1), y, h

    band_kernel = torch.ones(1, 1, 3, 3)

    def loss_fn(net, rng):
        x, y, hole = (torch.from_numpy(a) for a in inputs(rng.integers(0, len(frames), batch)))
        if rng.random() < 0.5:
            x, y, hole = x.flip(3), y.flip(3), hole.flip(3)
        if rng.random() < 0.3:
            x, y, hole = x.flip(2), y.flip(2), hole.flip(2)
        if rng.random() < 0.5:  # exposure: Telea is a weighted mean, so it scales with the image
            g = float(rng.uniform(0.7, 1.2))
            x = torch.cat([(x[:, :3] * g).clamp(0, 1), x[:, 3:4], (x[:, 4:] * g).clamp(0, 1)], 1)
            y = (y * g).clamp(0, 1)
        err = net(x) - y
        # mean absolute error per hole pixel, summed over the 3 colour channels
        loss = (err.abs() * hole).sum() / hole.sum().clamp(min=1)
        if grad_weight > 0:
            band = (F.conv2d(hole, band_kernel, padding=1) > 0).float()
            bx, by = band[..., :, 1:] * band[..., :, :-1], band[..., 1:, :] * band[..., :-1, :]
            gx = (err[..., :, 1:] - err[..., :, :-1]).abs() * bx
            gy = (err[..., 1:, :] - err[..., :-1, :]).abs() * by
            loss = loss + grad_weight * (gx.sum() + gy.sum()) / (bx.sum() + by.sum()).clamp(min=1)
        return loss

    net = _init_from_ir(InpaintNet(), init_from, run_dir)
    net = fit(net, loss_fn, run_dir=run_dir, minutes=minutes, lr=lr, weight_decay=1e-5, seed=seed,
               metric="loss", started=t0)  # fmt: skip
    calib_rng = np.random.default_rng(seed + 2)
    x_calib = inputs(calib_rng.integers(0, len(frames), 300))[0]
    qat = _qat_phase(net, _calibration(x_calib, seed + 2), loss_fn, run_dir=run_dir, minutes=minutes,
                     qat_minutes=qat_minutes, lr=lr / 10, seed=seed, started=t0,
                     ignored_types=("__add__", "__mul__", "add", "mul"))  # fmt: skip
    target = run_dir / "candidate" if ship_if_better else out_dir
    meta = export_inpainter(net, run_dir=run_dir, out_dir=target, x_all=x_calib, seed=seed, qat=qat, world=world,
                            root=sources_root)  # fmt: skip
    if ship_if_better:
        meta = {**meta, "ship": ship_candidate(target, out_dir, run_dir=run_dir, world=world, root=sources_root)}
    return meta


def _inpaint_inputs(frames: np.ndarray, holes: np.ndarray, telea: np.ndarray) -> np.ndarray:
    """(N, 7, H, W) float32 network inputs from (N, H, W, 3) crops, holes and Telea fills."""
    h = holes[..., None].astype(np.float32)
    x = np.concatenate([frames * (1 - h), h, telea], axis=3)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype=np.float32)


#: scenes per validation source of the inpainter's validation (the rows of ``eval seams``)
INPAINT_VALIDATION_COUNT = 32


def _inpaint_validation(world: str, root: Path | None = None):
    """``(validate(xml, precision), telea row, description)`` of the inpainter's ship flow.

    ``wide``: the validation rows of ``laika-fx eval seams`` (the same frozen scenes of each
    ``validation`` source, ``evaluate.source_scenes_of``), the true mask dilated 1 px: PSNR
    in the seam band and over the frame per source and their means over sources, and the
    fill flicker on a static head of each source (the worst source's ratio).
    ``synthetic``: held-out photographs (the earlier validation)."""
    from .evaluate import heldout_scenes, inpaint_quality, source_inpaint_quality, source_scenes_of

    if world == "wide":
        from .. import sources

        scenes = {sid: source_scenes_of(sid, INPAINT_VALIDATION_COUNT, root=root)
                  for sid in sources.source_ids("validation")}  # fmt: skip

        def validate(xml: Path, precision: str) -> dict:
            return source_inpaint_quality(scenes, method="learned", model_xml=xml, precision=precision)

        return validate, source_inpaint_quality(scenes, method="telea"), INPAINT_VALIDATION_SOURCES
    scenes_s = heldout_scenes(count=24, seed=4321, hw=(256, 256), seam_width=(1.0, 6.0), p_seam=1.0)
    return (lambda xml, precision: inpaint_quality(scenes_s, method="learned", model_xml=xml),
            inpaint_quality(scenes_s, method="telea"), INPAINT_VALIDATION_DATA)  # fmt: skip


#: what the inpainter is validated on
INPAINT_VALIDATION_DATA = ("24 synthetic scenes of held-out photos with a seam 1-6 px wide (seed 4321, 256x256); "
                           "PSNR inside the seam region and over the frame, learned inpainter vs OpenCV Telea")  # fmt: skip
INPAINT_VALIDATION_SOURCES = (f"the validation rows of `laika-fx eval seams`: {INPAINT_VALIDATION_COUNT} scenes per "
                              "V-* source of laika_fx_train/sources.py (seed 1234 + the source's index, 352x480, "
                              "~70 % with a seam), filled with the true mask dilated 1 px; PSNR in the seam band "
                              "(true mask dilated 3 px) and over the frame, per source ('sources') and the mean over "
                              "sources; 'flicker': fill flicker on a static head of each source, x the clean "
                              "frames' (the worst source); learned inpainter vs OpenCV Telea")  # fmt: skip


def ship_decision(candidate: dict, shipped: dict | None) -> dict:
    """Whether a candidate inpainter replaces the shipped one, from their ``validation``
    records (``inpainter.json``) on the same validation rows.

    Ships only when, for both precisions, the candidate's mean PSNR in the seam band beats
    the shipped one's and no validation source is below Telea; a shipped record without
    per-source rows (validated on other data) counts as beaten. Returns ``{"ship": bool,
    "reasons": [...]}`` (what failed, or what passed)."""
    reasons, ok = [], True
    telea = candidate.get("telea", {}).get("sources", {})
    for p in ("fp32", "int8"):
        cand = candidate[p]
        for sid, row in cand.get("sources", {}).items():
            gain = row["psnr_seam"] - telea[sid]["psnr_seam"]
            if gain < 0:
                ok = False
                reasons.append(f"{p}: {sid} {gain:+.2f} dB below Telea")
        old = (shipped or {}).get(p, {})
        if "sources" in old and set(old["sources"]) == set(cand.get("sources", {})):
            if cand["psnr_seam"] <= old["psnr_seam"]:
                ok = False
                reasons.append(f"{p}: {cand['psnr_seam']} dB, not above the shipped {old['psnr_seam']} dB")
            else:
                reasons.append(f"{p}: {cand['psnr_seam']} dB > shipped {old['psnr_seam']} dB")
        else:
            reasons.append(f"{p}: the shipped model has no validation on these rows")
    return {"ship": ok, "reasons": reasons}


def ship_candidate(candidate_dir: Path, out_dir: Path, *, run_dir: Path, world: str = "wide",
                   root: Path | None = None) -> dict:  # fmt: skip
    """Copy the inpainter IRs and JSON of ``candidate_dir`` to ``out_dir`` when
    :func:`ship_decision` says so. The IRs in ``out_dir`` are validated again on the
    candidate's validation rows first (their JSON may hold other data's figures)."""
    import shutil

    from ..ship import PRECISIONS

    cand = json.loads((candidate_dir / "inpainter.json").read_text())["validation"]
    shipped = None
    if all((out_dir / f"inpainter_{p}.xml").exists() for p in PRECISIONS):
        validate, _, _ = _inpaint_validation(world, root)
        shipped = {p: validate(out_dir / f"inpainter_{p}.xml", p) for p in PRECISIONS}
    decision = ship_decision(cand, shipped)
    decision["shipped_before"] = shipped
    if decision["ship"]:
        out_dir.mkdir(parents=True, exist_ok=True)
        for p in PRECISIONS:
            for ext in ("xml", "bin"):
                shutil.copyfile(candidate_dir / f"inpainter_{p}.{ext}", out_dir / f"inpainter_{p}.{ext}")
        shutil.copyfile(candidate_dir / "inpainter.json", out_dir / "inpainter.json")
    log_record(run_dir, {"event": "ship_decision", **decision})
    return decision


def export_inpainter(net, *, run_dir: Path, out_dir: Path, x_all: np.ndarray, seed: int, qat=None,
                     world: str = "synthetic", root: Path | None = None) -> dict:  # fmt: skip
    """Ship the inpainter: FP32 IR, INT8 (the QAT model, or post-training quantization),
    both validated against Telea (:func:`_inpaint_validation`), ``inpainter.json``."""
    from ..ship import ship

    if qat is not None:
        quantization = "nncf quantization-aware training, every convolution int8, residual add fp32"
    else:
        quantization = "nncf post-training, output conv and residual add fp32"
    validate, telea, described = _inpaint_validation(world, root)
    meta = ship(net, "inpainter", out_dir=out_dir, example_inputs=[x_all[:1]], check_inputs=[x_all[:2]],
                validate=validate, quantization=quantization, qat=qat,
                calibration=None if qat is not None else _calibration(x_all, seed + 1),
                # Keep the output conv and the residual add in FP32: default INT8 there cost up
                # to 1 dB on real frames (docs/research.md).
                quantize_options=lambda fp32: {"subset_size": 300, "ignored_types": ("Add", "Multiply"),
                                               "ignored_names": _conv_names(fp32)[-1:]},
                int8_drop={"psnr_seam": "higher"},
                validation_data=described,
                extra_validation={"telea": telea},
                training=_training_record(world))  # fmt: skip
    log_record(run_dir, {"event": "exported", **meta})
    return meta


def _conv_names(xml: Path) -> list[str]:
    """Friendly names of the model's convolutions, in execution order."""
    import openvino as ov

    model = ov.Core().read_model(str(xml))
    return [op.get_friendly_name() for op in model.get_ordered_ops() if op.get_type_name() == "Convolution"]
