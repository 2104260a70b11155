"""Benchmark the stabilize plugin at 1920x1080: frames per minute, ms per stage, vs baselines.

Run::

    .venv/bin/python benchmarks/bench_stabilize.py [--frames 24] [--workers 2]

Prints one table. Stages are timed in memory (no file I/O) with ``--workers`` threads,
like the pipeline's analyze (``AnalysisSource.map``) and render passes; a last row runs
the real batch pipeline on the same shot stored as uncompressed TIFF (I/O included).
Baselines run in the same process on the same frames: whole-frame OpenCV ECC and
ORB+RANSAC, each followed by the same bilinear warp.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from laika_fx.io import write_frame
from laika_fx.pipeline import BatchOptions, run_batch
from laika_fx.plugins import FrameContext
from laika_fx.sequence import open_shot
from laika_fx.stabilize.coarse import LearnedCoarseAligner
from laika_fx.stabilize.data import HOLDOUT, load_photo
from laika_fx.stabilize.estimate import CameraSolver, corner_error, refine_shot
from laika_fx.stabilize.eval import ecc_whole_frame, orb_ransac, synthetic_shot
from laika_fx.stabilize.plugin import StabilizePlugin
from laika_fx.stabilize.warp import warp_frame


def _timed_map(fn, items, workers: int) -> tuple[list, float]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        out = list(pool.map(fn, items))
    return out, time.perf_counter() - t0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    args = parser.parse_args(argv)
    size = (args.width, args.height)
    photos = [load_photo(n) for n, _ in HOLDOUT]
    shot = synthetic_shot(photos[0], photos[1], size=size, frames=args.frames, foreground=0.2, seed=0)
    frames = shot.frames[1:]
    ref = shot.frames[0]
    n = len(frames)
    try:
        coarse = LearnedCoarseAligner()
    except FileNotFoundError:
        coarse = None

    methods = {"stabilize (default)": CameraSolver(ref, coarse=None)}
    if coarse:
        methods["stabilize + learned start"] = CameraSolver(ref, coarse=coarse)
    rows = []
    for label, solver in methods.items():
        solver.solve(frames[0])  # warm up (model compile)
        solved, t_an = _timed_map(lambda f, s=solver: s.solve(f), frames, args.workers)
        # the plugin's shot pass (sequential): re-solve frames that disagree with a neighbour
        t0 = time.perf_counter()
        shot_ref = {k: a for k, a in enumerate(solved, start=1)}
        shot_ref = refine_shot(solver, list(range(n + 1)), shot_ref, lambda k: frames[k - 1], reference=0)
        t_an += time.perf_counter() - t0
        results = [shot_ref[k].matrix for k in range(1, n + 1)]
        _, t_re = _timed_map(lambda fm: warp_frame(fm[0], fm[1]), list(zip(frames, results, strict=True)), args.workers)
        errs = [corner_error(m, t, size=size) for m, t in zip(results, shot.truth[1:], strict=True)]
        rows.append((label, t_an, t_re, errs))
    for label, fn in (("baseline: ECC whole frame", ecc_whole_frame), ("baseline: ORB+RANSAC", orb_ransac)):
        results, t_an = _timed_map(lambda f, fn=fn: fn(f, ref), frames, args.workers)
        _, t_re = _timed_map(lambda fm: warp_frame(fm[0], fm[1]), list(zip(frames, results, strict=True)), args.workers)
        errs = [corner_error(m, t, size=size) for m, t in zip(results, shot.truth[1:], strict=True)]
        rows.append((label, t_an, t_re, errs))

    print(f"stabilize benchmark: {n} frames {size[0]}x{size[1]} RGB uint8, {args.workers} worker threads, "
          f"20% moving foreground, in memory")  # fmt: skip
    head = f"{'method':28} {'analyze ms/f':>12} {'render ms/f':>11} {'frames/min':>10} {'vs ECC':>7} {'median err px':>13} {'max err px':>10}"
    print(head)
    print("-" * len(head))
    base = None
    for label, t_an, t_re, _errs in rows:
        if label.startswith("baseline: ECC"):
            base = (t_an + t_re) / n
    for label, t_an, t_re, errs in rows:
        per = (t_an + t_re) / n
        print(f"{label:28} {1000 * t_an / n:12.1f} {1000 * t_re / n:11.1f} {60 / per:10.0f} {base / per:7.2f} "
              f"{np.median(errs):13.4f} {np.max(errs):10.4f}")  # fmt: skip

    # render with the default border (fill from the 2 nearest neighbours), frames in memory
    plugin = StabilizePlugin({"border": "fill"})
    plugin.set_analysis({"frames": [{"frame": i, "matrix": m.tolist()} for i, m in enumerate(shot.truth)],
                         "frame_size": list(size)})  # fmt: skip
    source = dict(enumerate(shot.frames))
    _, t_fill = _timed_map(lambda i: plugin.render(source[i], FrameContext(frame=i, read_source=source.__getitem__)),
                           range(1, len(shot.frames)), args.workers)  # fmt: skip
    print(f"\nrender border=fill (default, 2 nearest neighbours, frames in memory): {1000 * t_fill / n:.1f} ms/f; "
          f"border=crop/zoom is the single warp above")  # fmt: skip

    # the real pipeline, I/O included (uncompressed TIFF)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "shot"
        folder.mkdir()
        for i, f in enumerate(shot.frames):
            write_frame(folder / f"frame.{1001 + i:04d}.tif", f)
        plugin = StabilizePlugin({"border": "crop"})
        report = run_batch(open_shot(str(folder)), Path(tmp) / "out", [plugin], BatchOptions(workers=args.workers))
    stages = report["stages"]
    print(f"\npipeline (laika-fx batch, TIFF in/out, border=crop): {report['frames_per_minute']:.0f} frames/min; "
          + ", ".join(f"{k} {v['ms_per_frame']:.1f} ms/f" for k, v in stages.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
