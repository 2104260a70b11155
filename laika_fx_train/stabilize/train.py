"""Train the learned coarse aligner, export it to OpenVINO IR and quantize it to INT8.

``laika-fx train aligner`` runs :func:`train_aligner` then :func:`export_aligner`.
Training-time only: imports torch and nncf (the ``[train]`` extra).

Reproducible: fixed seed, a fixed number of steps, single-threaded torch by default,
a checkpoint every ``checkpoint_every`` steps (``--resume`` continues from it) and one
JSON line of metrics per log interval in ``<work>/train_log.jsonl``.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np

from laika_fx.stabilize.coarse import OFFSET_SCALE, PAIR_SIZE, normalise_pair

from .. import sources
from .data import EVAL_PHOTOS, PairGenerator

__all__ = ["train_aligner", "export_aligner", "validate_ir", "holdout_pairs"]

#: what the aligner's IRs are validated on
VALIDATION_DATA = (f"300 synthetic pairs from the held-out photos {', '.join(EVAL_PHOTOS)} (seed 1234); "
                   f"corner error in pixels at {PAIR_SIZE}x{PAIR_SIZE}")  # fmt: skip


def holdout_pairs(count: int = 300, *, seed: int = 1234) -> list:
    """Fixed validation pairs from held-out photos (:data:`~.data.EVAL_PHOTOS`)."""
    gen = PairGenerator(sources.load_photos(EVAL_PHOTOS, np.uint8), seed=seed)
    return [gen.sample() for _ in range(count)]


def _corner_error(pred_offsets: np.ndarray, true_offsets: np.ndarray) -> np.ndarray:
    """Mean corner distance per sample in pixels at PAIR_SIZE; inputs (N, 8) pixels."""
    d = (pred_offsets - true_offsets).reshape(-1, 4, 2)
    return np.linalg.norm(d, axis=2).mean(axis=1)


def train_aligner(
    work_dir: str | os.PathLike,
    *,
    steps: int = 6000,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 0,
    threads: int = 1,
    resume: bool = False,
    checkpoint_every: int = 250,
    log_every: int = 50,
) -> Path:
    """Train :class:`~.nets.CoarseAlignerNet` on pairs from the training photos (``sources.TRAIN``); returns the checkpoint path.

    Parameters
    ----------
    work_dir : folder for ``checkpoint.pt`` and ``train_log.jsonl``.
    steps : optimiser steps (batches).
    threads : ``torch.set_num_threads`` (the machine is shared; 1 by default).
    resume : continue from ``work_dir/checkpoint.pt`` if it exists.
    """
    import torch

    from .nets import CoarseAlignerNet

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    ckpt_path = work / "checkpoint.pt"
    log_path = work / "train_log.jsonl"

    model = CoarseAlignerNet()
    opt = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=1e-4)
    start = 0
    gen = PairGenerator(sources.load_photos(sources.TRAIN, np.uint8), seed=seed)
    if resume and ckpt_path.exists():
        state = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start = int(state["step"])
        gen.rng = np.random.default_rng([seed, start])  # continue with a fresh, reproducible stream
    val = holdout_pairs(200, seed=99)
    val_x = torch.from_numpy(np.stack([normalise_pair(s.moving, s.reference) for s in val]))
    val_y = np.stack([s.offsets for s in val])

    def lr_at(step: int) -> float:
        warm = 200
        if step < warm:
            return learning_rate * (step + 1) / warm
        return learning_rate * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))

    t0 = time.perf_counter()
    running = []
    with log_path.open("a") as log:
        for step in range(start, steps):
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            x, y = gen.batch(batch_size)
            model.train()
            pred = model(torch.from_numpy(x))
            loss = torch.nn.functional.smooth_l1_loss(pred, torch.from_numpy(y), beta=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running.append(loss.item())
            last = step + 1 == steps
            if (step + 1) % log_every == 0 or last:
                model.eval()
                with torch.no_grad():
                    vp = model(val_x).numpy() * OFFSET_SCALE
                err = _corner_error(vp, val_y)
                entry = {
                    "step": step + 1, "loss": float(np.mean(running)), "lr": lr_at(step),
                    "val_corner_px_mean": float(err.mean()), "val_corner_px_median": float(np.median(err)),
                    "val_fail_gt2px": float((err > 2).mean()), "seconds": round(time.perf_counter() - t0, 1),
                }  # fmt: skip
                running.clear()
                log.write(json.dumps(entry) + "\n")
                log.flush()
                print(json.dumps(entry), flush=True)
            if (step + 1) % checkpoint_every == 0 or last:
                tmp = ckpt_path.with_suffix(".tmp")
                torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step + 1,
                            "seed": seed, "steps": steps}, tmp)  # fmt: skip
                os.replace(tmp, ckpt_path)
    return ckpt_path


def validate_ir(xml_path: str | os.PathLike, pairs: list) -> dict:
    """Corner error (pixels at 128x128) of an IR on ``pairs``, run with an explicit f32 hint.

    INT8 layers run in int8; the same function validates FP32 and INT8 models.
    """
    from laika_fx.accelerators.runtime import compile_model

    net = compile_model(xml_path, precision="f32", shape=[(1, 2, 128, 128)])
    preds = np.stack([net(normalise_pair(s.moving, s.reference)[None])[0][0] * OFFSET_SCALE for s in pairs])
    truth = np.stack([s.offsets for s in pairs])
    err = _corner_error(preds, truth)
    t0 = time.perf_counter()
    x = normalise_pair(pairs[0].moving, pairs[0].reference)[None]
    for _ in range(50):
        net(x)
    ms = (time.perf_counter() - t0) / 50 * 1000
    return {
        "corner_px_mean": round(float(err.mean()), 4),
        "corner_px_median": round(float(np.median(err)), 4),
        "fail_gt2px": round(float((err > 2).mean()), 4),
        "ms_per_pair": round(ms, 3),
        "pairs": len(pairs),
    }


#: how the shipped aligner was trained (recorded in ``aligner.json`` by :func:`export_aligner`)
SHIPPED_TRAINING = {
    "photos": ["astronaut", "camera", "chelsea", "coins", "hubble_deep_field", "immunohistochemistry", "retina",
               "brick", "grass", "gravel", "moon", "page", "text", "clock", "cell", "minduka"],
    "note": "trained before the one held-out split: brick and chelsea, held out now, were training photos "
            "(so it is validated on the other held-out photos only); cat and colorwheel were not used",
}  # fmt: skip


def export_aligner(checkpoint: str | os.PathLike, models_dir: str | os.PathLike, *, seed: int = 0,
                   training: dict | None = None) -> dict:  # fmt: skip
    """Ship the aligner of ``checkpoint``: FP32 IR, INT8 by NNCF post-training quantization,
    both validated on the same held-out pairs, ``aligner.json``.

    ``training``: how the checkpoint was trained (default: the training photos of
    :mod:`laika_fx_train.sources`); pass :data:`SHIPPED_TRAINING` to export the shipped
    aligner's checkpoint again.
    """
    import torch

    from ..ship import ship
    from .nets import CoarseAlignerNet

    model = CoarseAlignerNet()
    model.load_state_dict(torch.load(checkpoint, weights_only=False)["model"])
    model.eval()
    example = np.zeros((1, 2, PAIR_SIZE, PAIR_SIZE), np.float32)
    calib_gen = PairGenerator(sources.load_photos(sources.TRAIN, np.uint8), seed=seed + 7)
    calibration = [normalise_pair(s.moving, s.reference)[None] for s in (calib_gen.sample() for _ in range(300))]
    pairs = holdout_pairs(300)
    probe = normalise_pair(pairs[0].moving, pairs[0].reference)[None]
    return ship(model, "aligner", out_dir=models_dir, example_inputs=[example], check_inputs=[probe],
                validate=lambda xml, precision: validate_ir(xml, pairs), dynamic_spatial=False,
                quantization="nncf post-training, default scope", calibration=calibration,
                quantize_options={"subset_size": 300}, int8_drop={"corner_px_mean": "lower"},
                validation_data=VALIDATION_DATA,
                training=training if training is not None else {"photos": list(sources.TRAIN)})  # fmt: skip
