"""Pipeline throughput at 1920x1080: the threaded batch vs a sequential loop.

Builds a 1080p shot (sample_frames/ upscaled 2x) in a temporary folder, then runs a
pass-through plugin (so I/O and the pipeline itself are what is measured) through

- a plain sequential loop: read -> render -> write, one frame at a time (baseline);
- ``run_batch`` with 1 and 2 render workers (reader/writer threads overlap I/O);
- ``run_batch`` with ``deflicker`` (an analyze pass that reads every frame once more);

and prints frames per minute with ratios against the baseline measured in the same
process, plus per-format read/write milliseconds.

    python benchmarks/bench_pipeline.py [--frames 24]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from laika_fx.deflicker import DeflickerPlugin  # noqa: E402
from laika_fx.io import read_frame, write_frame  # noqa: E402
from laika_fx.pipeline import BatchOptions, run_batch  # noqa: E402
from laika_fx.plugins import FrameContext, Plugin  # noqa: E402


class PassThrough(Plugin):
    name = "pass_through"

    def render(self, frame, ctx):
        return frame
from laika_fx.sequence import open_shot  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=24)
    args = ap.parse_args()
    src = sorted((ROOT / "sample_frames").glob("frame.*.png"))[: args.frames]
    frames = [cv2.resize(read_frame(p), (1920, 1080), interpolation=cv2.INTER_CUBIC) for p in src]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"{'format (1080p, one thread)':<28} {'read ms':>8} {'write ms':>9}")
        for label, ext, conv in (("PNG 8-bit", ".png", lambda f: f), ("PNG 16-bit", ".png", lambda f: f.astype(np.uint16) * 257),
                                 ("TIFF 8-bit", ".tif", lambda f: f), ("JPEG", ".jpg", lambda f: f),
                                 ("EXR float", ".exr", lambda f: f.astype(np.float32) / 255)):  # fmt: skip
            arr = conv(frames[0])
            p = tmp / f"io{ext}"
            write_frame(p, arr)  # warm-up
            ws, rs = [], []
            for _ in range(5):
                t0 = time.perf_counter()
                write_frame(p, arr)
                ws.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                read_frame(p)
                rs.append(time.perf_counter() - t0)
            print(f"{label:<28} {1000 * statistics.median(rs):8.1f} {1000 * statistics.median(ws):9.1f}")
        shot_dir = tmp / "shot"
        shot_dir.mkdir()
        for p, f in zip(src, frames, strict=True):
            write_frame(shot_dir / p.name, f)
        shot = open_shot(shot_dir)

        # baseline: sequential read -> render -> write
        plugin = PassThrough()
        out = tmp / "seq"
        out.mkdir()
        t0 = time.perf_counter()
        for n in shot.frames:
            f = read_frame(shot.path(n))
            write_frame(out / shot.path(n).name, plugin.render(f, FrameContext(frame=n)))
        base = 60 * len(shot.frames) / (time.perf_counter() - t0)
        print(f"\n{'pipeline (1080p PNG in and out)':<40} {'frames/min':>10} {'ratio':>7}")
        print(f"{'sequential loop, pass-through (baseline)':<40} {base:10.0f} {1.0:7.2f}x")
        for label, plugins, workers in (("run_batch, pass-through, 1 worker", [PassThrough()], 1),
                                        ("run_batch, pass-through, 2 workers", [PassThrough()], 2),
                                        ("run_batch, deflicker, 2 workers", [DeflickerPlugin()], 2)):
            report = run_batch(shot, tmp / label.replace(" ", "_").replace(",", ""), plugins, BatchOptions(workers=workers))
            fpm = report["frames_per_minute"]
            print(f"{label:<40} {fpm:10.0f} {fpm / base:7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
