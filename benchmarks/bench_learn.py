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

``--look`` builds other shots with the same machinery from pictures of the foreign evaluation
sources (``laika_fx_train/sources.py``: never trained or tuned on by any shipped model; fair
here because per-shot learning trains on the shot itself), fetched to ``$LAIKA_FX_SOURCES``:

- ``dim`` (default): the shot above;
- ``portrait``: a painted portrait head (F-wesnoth-portraits, elves/lady) on a photo wallpaper
  (F-lomiri-wallpapers, Bridge), exposure x0.9;
- ``planks``: a furry photo face (F-opencv-samples, baboon) in front of a wooden plank wall
  (F-ufoai-textures, wall_wood_001, tiled: long straight dark lines, hard negatives), written
  as 16-bit TIFF;
- ``hd``: 1280x720, a painted portrait head (F-wesnoth-portraits, humans/general)
  in front of tiles (F-ufoai-textures, tiles_b_1, tiled: a grid of dark lines).

Besides F1 it reports, before and after, the % of the uncorrected frames' seam-free pixels
(farther than 16 px from the true seam) that the detector flags.

    python benchmarks/bench_learn.py [--look dim|portrait|planks|hd] [--frames 16] [--corrected 3]
        [--minutes 4] [--steps N] [--threads 1] [--keep DIR] [--json OUT]
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


_FOREIGN = {
    "lady": ("F-wesnoth-portraits", "portraits/elves/lady.png"),
    "bridge": ("F-lomiri-wallpapers", "Bridge_by_Sander_Klootwijk.jpg"),
    "baboon": ("F-opencv-samples", "examples/data/baboon.jpg"),
    "planks": ("F-ufoai-textures", "tex_buildings/wall_wood_001.jpg"),
    "tiles": ("F-ufoai-textures", "tex_ctp1/tiles_b_1.jpg"),
    "general": ("F-wesnoth-portraits", "portraits/humans/general.png"),
}


def _foreign(key: str) -> np.ndarray:
    """A picture of a foreign source as float32 RGB in [0, 1] (alpha over mid grey)."""
    from laika_fx_train import sources

    sid, tail = _FOREIGN[key]
    paths = [p for p in sources.manifest_paths(sid) if str(p).endswith(tail)]
    if not paths:
        raise SystemExit(f"bench_learn: {tail} of {sid} is not fetched ($LAIKA_FX_SOURCES, laika-fx train fetch-sources)")
    img = cv2.imread(str(paths[0]), cv2.IMREAD_UNCHANGED)
    scale = 65535.0 if img.dtype == np.uint16 else 255.0
    img = img.astype(np.float32) / scale
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    if img.shape[2] == 4:
        a = img[:, :, 3:]
        img = img[:, :, :3] * a + 0.45 * (1 - a)
    return np.ascontiguousarray(img[:, :, 2::-1])


def _tiled(img: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    h, w = hw
    reps = (-(-h // img.shape[0]), -(-w // img.shape[1]), 1)
    return np.ascontiguousarray(np.tile(img, reps)[:h, :w])


def _head_texture(img: np.ndarray, hw: tuple[int, int], box: tuple[float, float, float, float]) -> np.ndarray:
    """A (2H, 2W) texture whose centre shows ``box`` (top, bottom, left, right as fractions of
    ``img``) over the head's ellipse (0.17 W x 0.36 H half axes at H x W), on the picture's
    mean colour."""
    h, w = hw
    top, bottom, left, right = box
    ih, iw = img.shape[:2]
    face = img[int(top * ih) : int(bottom * ih), int(left * iw) : int(right * iw)]
    fh, fw = int(2 * 0.36 * h * 1.05), int(2 * 0.17 * w * 1.05)
    face = cv2.resize(face, (fw, fh), interpolation=cv2.INTER_AREA)
    tex = np.empty((2 * h, 2 * w, 3), np.float32)
    tex[:] = img.reshape(-1, 3).mean(0)
    tex[h - fh // 2 : h - fh // 2 + fh, w - fw // 2 : w - fw // 2 + fw] = face
    return tex


def build_look(look: str, frames: int):
    """``(HeadShot, ext, words)`` of ``look`` (see the module's doc)."""
    from laika_fx_train.seam.shot import moving_head_shot

    if look == "dim":
        return moving_head_shot(frames), ".png", "dim astronaut head on the camera photo, 640x360 8-bit PNG"
    if look == "portrait":
        hw = (360, 640)
        tex = _head_texture(_foreign("lady"), hw, (0.08, 0.62, 0.22, 0.78))
        return (moving_head_shot(frames, hw=hw, head=tex, backdrop=_foreign("bridge"), exposure=0.9, width=1.3,
                                 darkness=0.25), ".png",
                "painted portrait head (wesnoth elves/lady) on a photo wallpaper, 640x360 8-bit PNG")  # fmt: skip
    if look == "planks":
        hw = (360, 640)
        tex = _head_texture(_foreign("baboon"), hw, (0.0, 1.0, 0.1, 0.9))
        return (moving_head_shot(frames, hw=hw, head=tex, backdrop=_tiled(_foreign("planks"), hw), exposure=0.7, width=1.2, darkness=0.25,
                                 dtype=np.uint16), ".tif",
                "furry photo face (opencv baboon) before a plank wall (ufoai wall_wood_001), 640x360 16-bit TIFF")  # fmt: skip
    if look == "hd":
        hw = (720, 1280)
        tex = _head_texture(_foreign("general"), hw, (0.05, 0.6, 0.22, 0.78))
        return (moving_head_shot(frames, hw=hw, head=tex, backdrop=_tiled(_foreign("tiles"), hw), step=12.0,
                                 drift=2.0, exposure=0.8, width=2.0, darkness=0.25), ".png",
                "painted portrait head (wesnoth humans/general) before tiles (ufoai tiles_b_1), 1280x720 8-bit PNG")  # fmt: skip
    raise SystemExit(f"bench_learn: unknown look {look!r}")


def measure(plugin_settings: dict, paths, frames, truths) -> dict:
    """F1 (3 px, ``detection_metrics``) of the detector the plugin picks for these frames, and
    ``free_flagged_pct``: % of their seam-free pixels (> 16 px from the true seam) it flags."""
    from laika_fx.seam_removal.plugin import SeamRemoval
    from laika_fx_train.seam.evaluate import detection_metrics

    plugin = SeamRemoval({**plugin_settings, "dilation": 0})
    far = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (33, 33))
    preds, model = [], None
    flagged = total = 0
    for p, f, t in zip(paths, frames, truths, strict=True):
        det, model = plugin.shot_detector(p)
        pred = det.detect(f, dilation=0) > 0
        preds.append(pred)
        free = cv2.dilate(t.astype(np.uint8), far) == 0
        flagged += int((pred & free).sum())
        total += int(free.sum())
    m = detection_metrics(preds, truths, [True] * len(truths))
    return {**m, "model": model.describe() if model else "shipped",
            "free_flagged_pct": round(100.0 * flagged / max(1, total), 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--look", default="dim", choices=("dim", "portrait", "planks", "hd"))
    ap.add_argument("--before-only", action="store_true", help="measure the shipped detector only")
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
    from laika_fx_train.seam.shot import write_shot

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_learn_"))
    shot_dir = base / "shot"
    shot, ext, words = build_look(args.look, args.frames)
    paths = write_shot(shot, shot_dir, ext=ext)
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
        rows[f"before {p}"] = measure({"precision": p}, other_paths, frames, truths)
    if args.before_only:
        for name, r in rows.items():
            print(f"{args.look} {name}: P {r['precision']} R {r['recall']} F1 {r['f1']} "
                  f"seam-free flagged {r['free_flagged_pct']} %")  # fmt: skip
        return 0
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
        rows[f"after {p}"] = measure({"precision": p}, other_paths, frames, truths)
    meta = json.loads((shot_dir.parent / "shot.laika_fx" / "models" / "seam_detector.json").read_text())
    print(f"\nshot ({args.look}): {words}, {args.frames} frames, corrected frames {[1001 + i for i in corrected]}, "
          f"measured on the other {len(others)}")
    print(f"{'detector':<14}{'P':>8}{'R':>8}{'F1':>8}{'free %':>9}")
    for name, r in rows.items():
        print(f"{name:<14}{r['precision']:>8}{r['recall']:>8}{r['f1']:>8}{r['free_flagged_pct']:>9}")
    print(f"\nwall {wall / 60:.2f} min (training {meta['training']['minutes_training']} min, "
          f"{meta['training']['steps']} steps, {args.threads} torch thread(s)); load average before "
          f"{load_before[0]:.2f} / after {load_after[0]:.2f} (1 min), {load_after[1]:.2f} (5 min), on "
          f"{os.cpu_count()} cores")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps({"look": args.look, "shot": words, "rows": rows, "wall_minutes": round(wall / 60, 2),
                                               "load": [load_before, load_after], "corrected": corrected,
                                               "model": meta}, indent=1) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
