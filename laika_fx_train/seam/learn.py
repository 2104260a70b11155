"""Learning from an artist's corrections: a seam detector fine-tuned for one shot.

``laika-fx train seam-detector --from-shot SHOT`` (and the app's "Learn from corrections")
call :func:`learn_from_shot`. The artist's corrections are the shot's mask overrides
(``<shot folder>.laika_fx/mask_overrides/<frame stem>.png``, :mod:`laika_fx.overrides`): an
override is the whole mask used on that frame instead of the detection, so it is the
detector's target there. The run:

1. starts from the shipped detector: its FP32 IR's weights loaded into :class:`.nets.SeamNet`
   (:func:`laika_fx_train.ship.load_ir_weights`; no torch checkpoint is needed);
2. trains on crops of the corrected frames at the detector's working scale (mostly around
   the corrected mask, some anywhere and some away from it: seam-free negatives of the shot
   itself), flipped, rescaled by up to +-10 % and brightened or darkened by up to 15 %, with
   one crop in four from scenes of the shipped training world so the detector does not forget
   it (the synthetic generator always; the wide world's package sources too when they are
   fetched, ``$LAIKA_FX_SOURCES``);
3. ships it through the one ship flow (:func:`laika_fx_train.ship.ship`): FP32 IR checked
   against torch, INT8 IR by NNCF post-training quantization on crops of the shot (stem and
   head kept FP32, as the shipped detector's PTQ variant), thresholds calibrated per precision
   on the corrected frames held back from training (or, when none is held back, on the
   corrected frames themselves) together with seam-free windows of the corrected frames (at
   most 0.05 % of their pixels flagged), without the face gate. Among the pairs within 0.005
   of the best F1 the highest threshold is taken on held-back frames, the middle pair on
   trained-on frames: there F1 is flat up to 0.9998, and the highest threshold lost recall on
   the other frames (``benchmarks/learn_thresholds.py``: F1 on the 13 uncorrected frames of
   the 1280x720 look 0.69 -> 0.99 INT8, 0.86 -> 0.99 FP32, same model; the other looks equal
   or better, docs/benchmarks.md);
4. writes ``seam_detector_{fp32,int8}.{xml,bin}`` and ``seam_detector.json`` (base model
   digests, the frames used and held back, steps, minutes, the metrics) into
   ``<shot folder>.laika_fx/models/``, replacing what was there only once all is written.

The batch and the app then detect on that shot with it (``seam_removal.shot_model=auto``).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np

from laika_fx.accelerators.runtime import MODELS_DIR, model_digest
from laika_fx.overrides import default_mask_override_dir, default_shot_model_dir, load_mask_override
from laika_fx.seam_removal.detector import SeamDetector

__all__ = ["LearnError", "Correction", "load_corrections", "learn_from_shot"]

_ALIGN = 32


class LearnError(Exception):
    """A shot the detector cannot learn from (one line for the user)."""


@dataclass
class Correction:
    """One corrected frame at the detector's working scale.

    ``rgb``: (h, w, 3) float32 in [0, 1]; ``mask``: (h, w) bool, the override (>= half on).
    """

    frame: int
    path: Path
    rgb: np.ndarray
    mask: np.ndarray


def _working(frame: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``frame`` (and ``mask``, uint8 0..255) brought to the detector's working scale."""
    rgb = SeamDetector.working_rgb(frame)
    if mask is not None and rgb.shape[:2] != mask.shape[:2]:
        h, w = rgb.shape[:2]
        mask = cv2.resize(mask.astype(np.float32) / 255.0, (w, h), interpolation=cv2.INTER_AREA) * 255.0
    return rgb, (None if mask is None else np.asarray(mask) >= 64)


def load_corrections(shot) -> list[Correction]:
    """The shot's corrected frames (those with a mask override), in frame order.

    Raises :class:`LearnError` when it has none, ``FrameReadError`` for an override that
    cannot be read or does not fit its frame."""
    from laika_fx.io import read_frame

    folder = default_mask_override_dir(shot.directory)
    out = []
    for n in shot.frames:
        path = shot.path(n)
        if not (folder / f"{path.stem}.png").exists():
            continue
        frame = read_frame(path)
        mask = load_mask_override(folder, path, frame)
        rgb, m = _working(frame, mask)
        out.append(Correction(n, path, rgb, m))
    if not out:
        raise LearnError(f"the shot has no mask overrides in {folder}: correct the mask on a few frames first "
                         "(the app's paint tool, or PNG masks named like the frames)")  # fmt: skip
    return out


def _shot_crop(c: Correction, crop: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A ``crop`` px window of a corrected frame, rescaled by up to +-10 %: around the mask
    (half the time), away from it (a quarter: seam-free), or anywhere."""
    h, w = c.mask.shape
    scale = float(rng.uniform(0.9, 1.1))
    win = min(h, w, max(8, round(crop / scale)))
    ys, xs = np.nonzero(c.mask)
    kind = rng.random()
    y0 = x0 = None
    if kind < 0.5 and len(ys):
        i = int(rng.integers(len(ys)))
        y0 = int(ys[i]) - win // 2 + int(rng.integers(-win // 3, win // 3 + 1))
        x0 = int(xs[i]) - win // 2 + int(rng.integers(-win // 3, win // 3 + 1))
    elif kind < 0.75 and len(ys):
        near = cv2.dilate(c.mask.astype(np.uint8), np.ones((17, 17), np.uint8)) > 0
        for _ in range(20):
            ty, tx = int(rng.integers(0, h - win + 1)), int(rng.integers(0, w - win + 1))
            if not near[ty : ty + win, tx : tx + win].any():
                y0, x0 = ty, tx
                break
    if y0 is None:
        y0, x0 = int(rng.integers(0, h - win + 1)), int(rng.integers(0, w - win + 1))
    y0, x0 = min(max(0, y0), h - win), min(max(0, x0), w - win)
    rgb = c.rgb[y0 : y0 + win, x0 : x0 + win]
    mask = c.mask[y0 : y0 + win, x0 : x0 + win].astype(np.float32)
    if win != crop:
        rgb = cv2.resize(rgb, (crop, crop), interpolation=cv2.INTER_LINEAR)
        mask = cv2.resize(mask, (crop, crop), interpolation=cv2.INTER_LINEAR)
    return rgb, (mask >= 0.5).astype(np.float32)


def _world(count: int, *, seed: int, hw: tuple[int, int], sources_root: Path | None, log) -> tuple[list, str]:
    """Scenes of the shipped training world as ``[(rgb float32, mask float32)]`` and what they
    are, in words: synthetic scenes always, wide-world scenes of the ``train`` package
    sources too when they are fetched."""
    from .. import sources
    from . import data as sdata

    have_wide = any(sources.manifest_paths(sid, sources_root) for sid in sources.source_ids("train"))
    n_syn = count if not have_wide else count // 2
    frames, masks = sdata.detector_scenes(n_syn, seed=seed, hw=hw)
    scenes = [(f.astype(np.float32) / 255.0, m.astype(np.float32)) for f, m in zip(frames, masks, strict=True)]
    words = f"{n_syn} synthetic-world scenes (data.detector_scenes, seed {seed}, {hw[0]}x{hw[1]})"
    if have_wide:
        from .world import world_scenes

        root = sources.sources_root(sources_root)
        frames, masks = world_scenes(count - n_syn, seed=seed + 1, split="train", hw=hw, root=sources_root)
        scenes += [(f.astype(np.float32) / 65535.0, m.astype(np.float32)) for f, m in zip(frames, masks, strict=True)]
        words += f" and {count - n_syn} wide-world scenes of the train package sources in {root} (seed {seed + 1})"
    else:
        words += "; the wide world's package sources are not fetched ($LAIKA_FX_SOURCES), so none of its scenes"
    log(f"learn: the shipped world mixed in: {words}")
    return scenes, words


def _world_crop(scene, crop: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    rgb, mask = scene
    h, w = mask.shape
    y0, x0 = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
    return rgb[y0 : y0 + crop, x0 : x0 + crop], mask[y0 : y0 + crop, x0 : x0 + crop]


def _augment(rgb: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if rng.random() < 0.5:
        rgb, mask = rgb[:, ::-1], mask[:, ::-1]
    if rng.random() < 0.2:
        rgb, mask = rgb[::-1], mask[::-1]
    gain = float(rng.uniform(0.85, 1.15))
    return np.clip(rgb * gain, 0.0, 1.0), mask


def _padded(rgb: np.ndarray) -> np.ndarray:
    """``(1, 3, H, W)`` network input, H and W padded (reflected) to multiples of 32."""
    h, w = rgb.shape[:2]
    ph, pw = (-h) % _ALIGN, (-w) % _ALIGN
    if ph or pw:
        rgb = cv2.copyMakeBorder(rgb, 0, ph, 0, pw, cv2.BORDER_REFLECT_101)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], dtype=np.float32)


def _loss(logits, target):
    """Dice + BCE (seam pixels weigh 3x) as the detector was trained, the BCE targets smoothed
    to 0.01 / 0.99: a few corrected frames are learned quickly, and without the smoothing the
    logits ran to -190 within minutes, a range INT8 cannot hold (every seam was lost)."""
    import torch
    import torch.nn.functional as F

    bce = F.binary_cross_entropy_with_logits(logits, target * 0.98 + 0.01, pos_weight=torch.tensor(3.0))
    p = torch.sigmoid(logits)
    inter = (p * target).sum((1, 2, 3))
    dice = 1 - (2 * inter + 1) / (p.sum((1, 2, 3)) + target.sum((1, 2, 3)) + 1)
    return bce + 0.5 * dice.mean()


def _free_crops(corrections: list[Correction], size: int = 128, per_frame: int = 6) -> list[SimpleNamespace]:
    """Seam-free windows of the corrected frames: ``size`` px, at least 16 px from the mask,
    up to ``per_frame`` per frame spread over it (the shot's own negatives)."""
    out = []
    for c in corrections:
        near = cv2.dilate(c.mask.astype(np.uint8), np.ones((33, 33), np.uint8)) > 0
        h, w = near.shape
        spots = [(y, x) for y in range(0, h - size + 1, size // 2) for x in range(0, w - size + 1, size // 2)
                 if not near[y : y + size, x : x + size].any()]  # fmt: skip
        for k in np.linspace(0, len(spots) - 1, min(per_frame, len(spots))).round().astype(int) if spots else []:
            y, x = spots[k]
            out.append(SimpleNamespace(frame=np.ascontiguousarray(c.rgb[y : y + size, x : x + size]),
                                       mask=np.zeros((size, size), np.uint8)))  # fmt: skip
    return out


def _metrics(det: SeamDetector, scenes) -> dict:
    from .evaluate import detection_metrics

    preds = [det.detect(s.frame, dilation=0) > 0 for s in scenes]
    return detection_metrics(preds, [s.mask > 0 for s in scenes], [bool(s.mask.any()) for s in scenes])


def _install(tmp: Path, dest: Path) -> None:
    """Put the finished model folder ``tmp`` in place of ``dest`` (renames only)."""
    old = dest.with_name(f"{dest.name}.old-{os.getpid()}")
    if dest.exists():
        os.replace(dest, old)
    os.replace(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)


def learn_from_shot(
    source: str | os.PathLike,
    *,
    minutes: float = 4.0,
    steps: int | None = None,
    threads: int = 1,
    seed: int = 0,
    lr: float = 5e-4,
    batch: int = 4,
    crop: int = 256,
    hold_back: int | None = None,
    world_count: int = 48,
    world_share: float = 0.5,
    sources_root: Path | None = None,
    base_dir: Path = MODELS_DIR,
    log: Callable[[str], None] = print,
) -> dict:
    """Fine-tune the shipped seam detector on the shot's corrections; write the per-shot model.

    Parameters
    ----------
    source : the shot (a folder of numbered frames or a pattern).
    minutes, steps : training budget: stop at whichever comes first (``steps`` None: time only);
        the learning rate warms up then decays over it.
    threads : torch threads.
    lr, batch, crop : peak learning rate, crops per step,
        crop size in px at the detector's working scale.
    hold_back : corrected frames kept out of training to calibrate and measure on (None: 1
        when there are at least 4, else 0: the corrected frames calibrate the thresholds).
    world_count : scenes of the shipped world built once and mixed in.
    world_share : share of each batch's crops taken from them (at least one; half of them get
        a plank gap or wire drawn over them, as the shipped detector was trained).
    base_dir : the folder of the model started from (the shipped one).
    log : called with each progress line (``learn: [ 40%] ...``).

    Returns the model's metrics JSON (``<shot folder>.laika_fx/models/seam_detector.json``).
    Raises :class:`LearnError` when the shot has no corrections.
    """
    import torch

    from laika_fx.sequence import open_shot

    from ..fit import set_lr
    from ..ship import seam_net_from_ir, ship
    from . import data as sdata
    from .evaluate import calibrate_threshold, heldout_scenes
    from .train import _conv_names

    t0 = time.time()
    shot = open_shot(source)
    corrections = load_corrections(shot)
    if hold_back is None:
        hold_back = 1 if len(corrections) >= 4 else 0
    if hold_back >= len(corrections):
        raise LearnError(f"cannot hold back {hold_back} of {len(corrections)} corrected frames: none would be left "
                         "to learn from")  # fmt: skip
    # held back: evenly spread over the corrected frames
    held_idx = set(np.linspace(0, len(corrections) - 1, hold_back + 2)[1:-1].round().astype(int)) if hold_back else set()
    train_set = [c for i, c in enumerate(corrections) if i not in held_idx]
    held = [c for i, c in enumerate(corrections) if i in held_idx]
    models_dir = default_shot_model_dir(shot.directory)
    run_dir = models_dir.parent / "learn"
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in models_dir.parent.glob("models.part-*"):  # a run killed while writing
        shutil.rmtree(stale, ignore_errors=True)
    log(f"learn: {len(corrections)} corrected frame(s) of {shot.directory / shot.pattern}: training on "
        f"{[c.frame for c in train_set]}, held back {[c.frame for c in held]}")  # fmt: skip

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    rng = np.random.default_rng(seed)
    h, w = corrections[0].mask.shape
    crop = max(_ALIGN, min(crop, h, w) // _ALIGN * _ALIGN)
    world, world_words = _world(world_count, seed=4200 + seed, hw=(max(crop, 256),) * 2, sources_root=sources_root,
                                log=log)  # fmt: skip
    base_xml = Path(base_dir) / "seam_detector_fp32.xml"
    net = seam_net_from_ir(base_xml)
    base = {p: {"path": str(Path(base_dir) / f"seam_detector_{p}.xml"),
                "sha256": model_digest(Path(base_dir) / f"seam_detector_{p}.xml")} for p in ("fp32", "int8")}  # fmt: skip
    n_world = min(batch - 1, max(1, round(batch * world_share)))

    def sample(r: np.random.Generator):
        xs, ys = [], []
        for k in range(batch):
            if k < batch - n_world:
                rgb, m = _shot_crop(train_set[int(r.integers(len(train_set)))], crop, r)
            else:
                rgb, m = _world_crop(world[int(r.integers(len(world)))], crop, r)
                if r.random() < 0.5:  # hard negatives: a plank gap or a wire that is no seam
                    rgb = rgb.copy()
                    sdata.add_distractors(rgb, r, count=int(r.integers(1, 3)), kinds=sdata.LINE_KINDS)
            rgb, m = _augment(rgb, m, r)
            xs.append(rgb.transpose(2, 0, 1))
            ys.append(m[None])
        return torch.from_numpy(np.ascontiguousarray(xs, np.float32)), torch.from_numpy(np.ascontiguousarray(ys))

    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    net.train()
    budget = minutes * 60.0
    start = time.time()
    step, losses, first = 0, [], None
    with open(run_dir / "log.jsonl", "w") as log_file:
        while True:
            progress = (time.time() - start) / budget if budget > 0 else 1.0
            if steps is not None:
                progress = max(progress, step / max(1, steps))
            if progress >= 1.0:
                break
            set_lr(opt, lr, progress)
            x, y = sample(rng)
            loss = _loss(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss))
            step += 1
            if step % 25 == 0 or step == 1:
                mean = float(np.mean(losses[-25:]))
                first = mean if first is None else first
                log_file.write(json.dumps({"step": step, "loss": round(mean, 5),
                                           "seconds": round(time.time() - start, 1)}) + "\n")  # fmt: skip
                log_file.flush()
                log(f"learn: [{min(99, int(80 * progress)):3d}%] step {step}, loss {mean:.4f} "
                    f"({(time.time() - start) / 60:.1f} of {minutes:g} min)")  # fmt: skip
    net.eval()
    train_minutes = (time.time() - start) / 60.0
    log(f"learn: [ 80%] trained {step} steps in {train_minutes:.1f} min; exporting FP32 and INT8")

    # calibration / validation: the held-back corrected frames (else the corrected frames) and
    # seam-free windows of the corrected frames; seam-free held-out scenes of the synthetic
    # world show how much of the world the model forgot (recorded, not calibrated on)
    shown = held or corrections
    cal = [SimpleNamespace(frame=c.rgb, mask=c.mask.astype(np.uint8)) for c in shown]
    cal_free = _free_crops(corrections)
    world_free = heldout_scenes(16, seed=999, p_seam=0.0)
    cal_words = (f"{'held-back' if held else 'the (trained-on) corrected'} frames {[c.frame for c in shown]} of "
                 f"the shot (their overrides as truth) and {len(cal_free)} seam-free 128 px windows of the corrected "
                 "frames (>= 16 px from the mask); thresholds per precision: the best F1 (3 px) flagging at most "
                 "0.05 % of the seam-free windows' pixels, no face gate, F1 ties within 0.005 to the "
                 f"{'highest threshold' if held else 'middle pair (the frames were trained on)'}; 'world_free_flagged_pct': % of the pixels "
                 "of 16 seam-free held-out synthetic scenes (seed 999) flagged at those thresholds (what the shot's "
                 "model does off the shot)")  # fmt: skip

    def validate(xml: Path, precision: str) -> dict:
        det = SeamDetector(model_xml=xml, precision=precision, face_gate=False, settings={})
        thr, ratio, metrics = calibrate_threshold(det, cal + cal_free, ties="high" if held else "middle")
        det.default_threshold, det.default_low_ratio = thr, ratio
        world = float(np.mean([(det.detect(s.frame) > 0).mean() for s in world_free]))
        return {"threshold": thr, "low_ratio": ratio, "face_gate": False, **metrics,
                "world_free_flagged_pct": round(100 * world, 4)}  # fmt: skip

    shipped = {f"shipped_{p}": {**_metrics(SeamDetector(precision=p, model_xml=Path(base_dir) / f"seam_detector_{p}.xml"),
                                           cal), "note": "the shipped detector with its own settings on the same frames"}
               for p in ("fp32", "int8")}  # fmt: skip
    calib_rng = np.random.default_rng(seed + 7)
    calibration = [sample(calib_rng)[0][i : i + 1].numpy() for _ in range(12) for i in range(batch)]
    example = calibration[:1]
    net.full_resolution = False  # the runtime upsamples the logits itself (nets.py)
    tmp = models_dir.parent / f"models.part-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    training = {
        "from_shot": str(shot.directory / shot.pattern),
        "base_model": base,
        "override_frames": [c.frame for c in train_set],
        "held_back_frames": [c.frame for c in held],
        "steps": step,
        "minutes_training": round(train_minutes, 2),
        "loss_first_last": [round(first or 0.0, 4), round(float(np.mean(losses[-25:])) if losses else 0.0, 4)],
        "world": world_words,
        "recipe": f"crops {crop} px at working scale, batch {batch} ({n_world} of the world), AdamW lr {lr} "
                  f"(warm-up, cosine), dice + BCE (pos_weight 3), flips, scale +-10 %, gain +-15 %, seed {seed}, "
                  f"{threads} torch thread(s)",
    }  # fmt: skip
    meta = ship(net, "seam_detector", out_dir=tmp, example_inputs=example, check_inputs=[_padded(cal[0].frame)],
                validate=validate, quantization="nncf post-training on crops of the shot and the world, stem "
                                                 "convolutions and head fp32",
                calibration=calibration,
                quantize_options=lambda fp32: {"subset_size": len(calibration),
                                               "ignored_names": _conv_names(fp32)[:2] + _conv_names(fp32)[-1:]},
                int8_drop={"f1": "higher"}, validation_data=cal_words,
                runtime=lambda v: {p: {"threshold": v[p]["threshold"], "low_ratio": v[p]["low_ratio"],
                                       "face_gate": False} for p in ("int8", "fp32")},
                training=training, extra_validation=shipped)  # fmt: skip
    meta["training"]["minutes_total"] = round((time.time() - t0) / 60.0, 2)
    (tmp / "seam_detector.json").write_text(json.dumps(meta, indent=2) + "\n")
    _install(tmp, models_dir)
    v = meta["validation"]
    log(f"learn: [100%] per-shot model written to {models_dir} in {meta['training']['minutes_total']:.1f} min: "
        f"F1 on {'held-back' if held else 'corrected'} frames INT8 {v['int8']['f1']} (shipped "
        f"{v['shipped_int8']['f1']}), FP32 {v['fp32']['f1']} (shipped {v['shipped_fp32']['f1']})")  # fmt: skip
    return meta
