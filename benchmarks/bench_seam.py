"""Seam removal throughput at 1920x1080 on this machine: INT8 vs FP32, per stage.

Frames: sample_frames/ upscaled 2x (1920x1080, the seam 2-6 px wide as at 1080p).
Prints: the networks alone (one inference on one thread, INT8 and FP32 calls
interleaved so both see the same machine: the detector on a 1080p frame's 960x544
working image, the face finder on its 256x144 input, the inpainter on one 64x320
tile), then per-stage
milliseconds (detector with its pre/post-processing, inpainter with its Telea fill and
tiling) for INT8 and FP32 on one thread, then the seam_removal stage in the real
pipeline (frames decoded and encoded in memory excluded, 2 render workers) in frames
per minute, with INT8 / FP32 and learned / Telea ratios measured in the same process.

    python benchmarks/bench_seam.py [--frames 24] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from laika_fx.accelerators.runtime import compile_model, model_path  # noqa: E402
from laika_fx.io import read_frame  # noqa: E402
from laika_fx.seam_removal.detector import SeamDetector  # noqa: E402
from laika_fx.seam_removal.inpaint import TILE_W, Inpainter  # noqa: E402
from laika_fx.seam_removal.plugin import SeamRemoval  # noqa: E402


def frames_1080p(n: int) -> list[np.ndarray]:
    paths = sorted((ROOT / "sample_frames").glob("frame.*.png"))[:n]
    return [cv2.resize(read_frame(p), (1920, 1080), interpolation=cv2.INTER_CUBIC) for p in paths]


def median_ms(fn, items, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        for it in items:
            t0 = time.perf_counter()
            fn(it)
            times.append(1000 * (time.perf_counter() - t0))
    return statistics.median(times)


def stage_fpm(frames: list[np.ndarray], settings: dict, workers: int) -> float:
    """seam_removal over all frames with ``workers`` threads: frames per minute."""
    plugin = SeamRemoval(settings)
    plugin.prepare()
    plugin.remove(frames[0])  # warm-up: compile for this shape
    todo = list(range(len(frames)))
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            plugin.remove(frames[i])

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return 60 * len(frames) / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    frames = frames_1080p(args.frames)
    print(f"seam_removal at 1920x1080, {len(frames)} frames, {cv2.getNumberOfCPUs()} CPUs\n")
    print(f"{'network alone (1 thread)':<34} {'int8 ms':>9} {'fp32 ms':>9} {'fp32/int8':>10}")
    for name, shape in (("seam_detector", (1, 3, 544, 960)), ("face_finder", (1, 3, 144, 256)),
                        ("inpainter", (1, 7, 64, TILE_W))):  # fmt: skip
        x = np.random.default_rng(0).random(shape, dtype=np.float32)
        nets = {prec: compile_model(model_path(name, prec), precision="f32", shape=[shape], threads=1)
                for prec in ("int8", "fp32")}  # fmt: skip
        times: dict[str, list[float]] = {"int8": [], "fp32": []}
        for _ in range(20 * args.repeats):
            for prec, net in nets.items():
                t0 = time.perf_counter()
                net(x)
                times[prec].append(1000 * (time.perf_counter() - t0))
        ms = {prec: statistics.median(t[2:]) for prec, t in times.items()}  # the first calls warm up
        label = f"{name} {shape[2]}x{shape[3]}"
        print(f"{label:<34} {ms['int8']:9.1f} {ms['fp32']:9.1f} {ms['fp32'] / ms['int8']:10.2f}")
    print()
    print(f"{'stage (1 thread)':<34} {'int8 ms':>9} {'fp32 ms':>9} {'fp32/int8':>10}")
    rows = {}
    for prec in ("int8", "fp32"):
        det = SeamDetector(precision=prec, threads=1)
        det.detect(frames[0])
        rows[("detector", prec)] = median_ms(det.detect, frames, args.repeats)
        masks = [det.detect(f) for f in frames]
        inp = Inpainter("learned", precision=prec, threads=1)
        inp(frames[0], masks[0])
        rows[("inpainter (learned)", prec)] = median_ms(lambda i, inp=inp, masks=masks: inp(frames[i], masks[i]), range(len(frames)), args.repeats)
    det = SeamDetector(precision="int8", threads=1)
    masks = [det.detect(f) for f in frames]
    telea = Inpainter("telea")
    t_ms = median_ms(lambda i: telea(frames[i], masks[i]), range(len(frames)), args.repeats)
    for prec in ("int8", "fp32"):
        det = SeamDetector(precision=prec, threads=1, face_gate=False)
        det.detect(frames[0])
        rows[("detector without face gate", prec)] = median_ms(det.detect, frames, args.repeats)
    for name in ("detector", "detector without face gate", "inpainter (learned)"):
        a, b = rows[(name, "int8")], rows[(name, "fp32")]
        print(f"{name:<34} {a:9.1f} {b:9.1f} {b / a:10.2f}")
    print(f"{'inpainter (telea, baseline)':<34} {t_ms:9.1f}")
    print(f"{'mask pixels per frame (mean)':<34} {np.mean([(m > 0).sum() for m in masks]):9.0f}")
    print()
    print(f"{'seam_removal stage, 2 workers':<34} {'frames/min':>10} {'ratio':>8}")
    base = stage_fpm(frames, {"precision": "fp32"}, 2)
    for label, settings in (("int8, learned inpainter", {"precision": "int8"}),
                            ("fp32, learned inpainter", {"precision": "fp32"}),
                            ("int8, telea inpainter", {"precision": "int8", "inpainter": "telea"})):
        fpm = base if settings == {"precision": "fp32"} else stage_fpm(frames, settings, 2)
        print(f"{label:<34} {fpm:10.0f} {fpm / base:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
