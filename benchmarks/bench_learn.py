"""Learning from corrections, measured: F1 on the frames the artist did NOT correct, before
and after ``laika-fx train seam-detector --from-shot``, INT8 and FP32, and the wall time.

The shot (``laika_fx_train.seam.shot.moving_head_shot``): one puppet head (an ellipsoid
textured with scikit-image's astronaut photograph, a training photograph) moving 6 px right
and 1 px down per frame and turning 0.6 degrees per frame in front of a backdrop made from
the camera photograph, 640x360 8-bit, with a thin faint replacement-face seam (1.4 px wide,
darkness 0.35) whose true mask is known. The artist's corrections are written as mask
overrides on ``--corrected`` frames (the true mask grown 2 px, as the plugin grows a
detection); learning runs as a user runs it (the CLI, in a subprocess, timed end to end:
start-up, data, training, export, INT8, calibration). F1 (3 px tolerance, the measure of
``laika_fx_train/seam/evaluate.py``) is pooled over the other frames, on the detection
before its dilation, with the plugin's defaults (gate auto), before (the shipped detector)
and after (the per-shot model the plugin picks for the shot).

    python benchmarks/bench_learn.py [--frames 16] [--corrected 3] [--minutes 4] [--steps N]
        [--threads 1] [--keep DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def f1_of(plugin_settings: dict, paths, frames, truths) -> dict:
    from laika_fx.seam_removal.plugin import SeamRemoval
    from laika_fx_train.seam.evaluate import detection_metrics

    plugin = SeamRemoval({**plugin_settings, "dilation": 0})
    preds = []
    model = None
    for p, f in zip(paths, frames, strict=True):
        det, model = plugin.shot_detector(p)
        preds.append(det.detect(f, dilation=0) > 0)
    m = detection_metrics(preds, truths, [True] * len(truths))
    return {**m, "model": model.describe() if model else "shipped"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--corrected", type=int, default=3, help="frames with an override (spread over the shot)")
    ap.add_argument("--minutes", type=float, default=4.0)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--extra", default="", help="more options of the learning command, e.g. '--hold-back 1'")
    ap.add_argument("--keep", default=None, help="build the shot in this folder (kept) instead of a temporary one")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from laika_fx.io import read_frame
    from laika_fx.overrides import default_mask_override_dir, save_mask_override
    from laika_fx_train.seam.shot import moving_head_shot, write_shot

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_learn_"))
    shot_dir = base / "shot"
    shot = moving_head_shot(args.frames)
    paths = write_shot(shot, shot_dir)
    corrected = sorted({int(round(i)) for i in np.linspace(1, args.frames - 2, args.corrected)})
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for i in corrected:
        save_mask_override(default_mask_override_dir(shot_dir), paths[i],
                           cv2.dilate(shot.masks[i].astype(np.uint8) * 255, disk))  # fmt: skip
    others = [i for i in range(args.frames) if i not in corrected]
    frames = [read_frame(paths[i]) for i in others]
    truths = [shot.masks[i] for i in others]
    other_paths = [paths[i] for i in others]
    rows = {}
    for p in ("int8", "fp32"):
        rows[f"before {p}"] = f1_of({"precision": p}, other_paths, frames, truths)
    load_before = os.getloadavg()
    cmd = [sys.executable, "-m", "laika_fx", "train", "seam-detector", "--from-shot", str(shot_dir),
           "--minutes", str(args.minutes), "--threads", str(args.threads)]  # fmt: skip
    if args.steps:
        cmd += ["--steps", str(args.steps)]
    cmd += args.extra.split()
    env = {**os.environ, "NNCF_EXTENSION_LOAD_TIMEOUT": "900"}
    t0 = time.time()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.time() - t0
    load_after = os.getloadavg()
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        return 1
    for line in proc.stdout.splitlines():
        if line.startswith("learn:"):
            print(line)
    for p in ("int8", "fp32"):
        rows[f"after {p}"] = f1_of({"precision": p}, other_paths, frames, truths)
    meta = json.loads((shot_dir.parent / "shot.laika_fx" / "models" / "seam_detector.json").read_text())
    print(f"\nshot: {args.frames} frames 640x360, corrected frames {[1001 + i for i in corrected]}, "
          f"measured on the other {len(others)}")
    print(f"{'detector':<14}{'P':>8}{'R':>8}{'F1':>8}")
    for name, r in rows.items():
        print(f"{name:<14}{r['precision']:>8}{r['recall']:>8}{r['f1']:>8}")
    print(f"\nwall {wall / 60:.2f} min (training {meta['training']['minutes_training']} min, "
          f"{meta['training']['steps']} steps, {args.threads} torch thread(s)); load average before "
          f"{load_before[0]:.2f} / after {load_after[0]:.2f} (1 min), {load_after[1]:.2f} (5 min), on "
          f"{os.cpu_count()} cores")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "wall_minutes": round(wall / 60, 2),
                                               "load": [load_before, load_after], "corrected": corrected,
                                               "model": meta}, indent=1) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
