"""Benchmark the stabilize plugin at 1920x1080: frames per minute, ms per stage, vs baselines,
and what the learned coarse aligner contributes.

Run::

    .venv/bin/python benchmarks/bench_stabilize.py [--frames 96] [--workers 2] [--bump-trials 8]
        [--batch png,tif] [--no-baselines] [--parts memory,bumps,batch] [--borders crop,fill]
        [--repeats 1] [--tmp DIR]

Prints three tables:

1. **In memory** (no file I/O): the plugin's own analyze pass (per-frame solves on
   ``--workers`` threads, or worker processes on shots of 48+ frames; shot pass included)
   and render pass (``--workers`` threads), exactly as ``laika-fx batch`` runs them but fed
   from memory; with the defaults and with ``learned=false`` / ``processes=false``. Baselines run on the first 24 frames: whole-frame OpenCV
   ECC and ORB+RANSAC, each followed by the same bilinear warp.
2. **Starting points on large bumps** (1920x1080, 30% moving puppet): per configuration
   (refinement from the identity only / + exhaustive shift search / + learned guess /
   both), success rate (error <= 2 px), how often the exhaustive search still ran and the
   solve's CPU ms (:func:`laika_fx_train.stabilize.evaluate.evaluate_bumps`).
3. **Through ``laika-fx batch``** (``run_batch``): the same shot written to disk as PNG
   and/or uncompressed TIFF, I/O included. Per format and border mode: the plugin in
   memory (the reference, ratio 1.00x, measured right before), the batch with the defaults,
   the batch with ``cache_mb=0`` (every frame decoded again in the render pass, as before
   the frame cache) and the batch with a pass-through plugin (what reading, writing and
   syncing alone cost). Columns: frames per minute, wall ms per frame of the analyze pass,
   the render pass and the rest (probe, set-up, report), and the report's stage figures.

The machine is shared: note ``uptime`` with the numbers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from laika_fx.accelerators.runtime import usable_cpus
from laika_fx.io import write_frame
from laika_fx.pipeline import BatchOptions, Progress, run_batch
from laika_fx.plugins import FrameContext, Plugin
from laika_fx.sequence import open_shot
from laika_fx.stabilize.motion import corner_error
from laika_fx.stabilize.plugin import StabilizePlugin
from laika_fx.stabilize.warp import warp_frame
from laika_fx_train.sources import load_photo
from laika_fx_train.stabilize.data import EVAL_PHOTOS
from laika_fx_train.stabilize.evaluate import (
    ecc_whole_frame,
    evaluate_bumps,
    format_table,
    orb_ransac,
    summarise_bumps,
    synthetic_shot,
)


class MemorySource:
    """What a plugin's ``analyze`` gets from the pipeline (``AnalysisSource``), from memory:
    ``frames``, ``read`` and ``map`` (``workers`` threads, results by frame number)."""

    def __init__(self, frames: dict[int, np.ndarray], workers: int) -> None:
        self._frames = frames
        self.frames = sorted(frames)
        self.workers = workers

    def read(self, n: int) -> np.ndarray:
        return self._frames[n]

    def map(self, fn) -> dict:
        with ThreadPoolExecutor(self.workers) as pool:
            return dict(zip(self.frames, pool.map(lambda n: fn(n, self._frames[n]), self.frames), strict=True))


def _timed_map(fn, items, workers: int) -> tuple[list, float]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        out = list(pool.map(fn, items))
    return out, time.perf_counter() - t0


def _plugin_run(shot, settings: dict, workers: int):
    """(analysis, analyze seconds, render seconds) of the plugin on the shot, in memory."""
    frames = dict(enumerate(shot.frames))
    plugin = StabilizePlugin(settings)
    t0 = time.perf_counter()
    analysis = plugin.analyze(MemorySource(frames, workers))
    t_an = time.perf_counter() - t0
    plugin.set_analysis(analysis)
    _, t_re = _timed_map(
        lambda n: plugin.render(frames[n], FrameContext(frame=n, read_source=frames.__getitem__)), list(frames), workers
    )
    return analysis, t_an, t_re


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=96, help="frames of the in-memory and batch shot")
    parser.add_argument("--workers", type=int, default=usable_cpus(), help="default: the CPUs this process may use")
    parser.add_argument("--bump-trials", type=int, default=8, help="pairs per bump size (20/40/60/80 px); 0 skips")
    parser.add_argument("--batch", default="png,tif", help="formats for the laika-fx batch rows ('' skips)")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--parts", default="memory,bumps,batch", help="which tables to run (comma-separated)")
    parser.add_argument("--borders", default="crop,fill", help="border modes of the batch rows")
    parser.add_argument("--repeats", type=int, default=1, help="repeat the batch rows (the machine is shared)")
    parser.add_argument("--tmp", default=None, help="folder for the batch shot's files (default: the system's)")
    args = parser.parse_args(argv)
    size = (1920, 1080)
    photos = [load_photo(n, np.uint8) for n in EVAL_PHOTOS]
    # a shot with per-frame jitter, a 40 px bump from mid-shot on, drift, a 20% puppet
    shot = synthetic_shot(photos[1], photos[2], size=size, frames=args.frames, foreground=0.2, seed=1)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")

    parts = {p.strip() for p in args.parts.split(",")}
    if "memory" in parts:
        _memory_table(shot, args)
    if args.bump_trials > 0 and "bumps" in parts:
        t0 = time.perf_counter()
        bumps = evaluate_bumps(trials=args.bump_trials)
        print(f"\n2. starting points on large bumps: 1920x1080 pairs, 30% moving foreground, {args.bump_trials} pairs "
              f"per bump size; success = corner error <= 2 px; searched = exhaustive search still ran; "
              f"CPU ms of one solve ({time.perf_counter() - t0:.0f} s)")  # fmt: skip
        print(format_table(bumps))
        print()
        print(format_table(summarise_bumps(bumps)))
    formats = [f.strip() for f in args.batch.split(",") if f.strip()] if "batch" in parts else []
    if formats:
        _batch_table(shot, formats, args)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")
    return 0


class PassThrough(Plugin):
    """No-op plugin: the batch's own cost (read, write, sync) on the same files."""

    name = "passthrough"

    def render(self, frame, ctx):
        return frame


def _timed_batch(folder: Path, out: Path, plugins, options: BatchOptions) -> tuple[dict, dict[str, float]]:
    """run_batch with the wall seconds of each pass (from the progress events)."""
    starts: dict[str, float] = {}
    progress = Progress()
    progress.subscribe(lambda ev: starts.setdefault(ev.phase, time.perf_counter()))
    t0 = time.perf_counter()
    report = run_batch(open_shot(str(folder)), out, plugins, options, progress=progress)
    end = time.perf_counter()
    an = [t for ph, t in starts.items() if ph.startswith("analyze:")]
    passes = {
        "analyze": (starts.get("render", end) - min(an)) if an else 0.0,
        "render": starts.get("done", end) - starts.get("render", end),
        "other": 0.0,
    }
    passes["other"] = end - t0 - passes["analyze"] - passes["render"]
    return report, passes


def _batch_table(shot, formats: list[str], args) -> None:
    """Table 3: the shot through run_batch from files (what ``laika-fx batch`` runs), I/O
    included, against the same plugin in memory and the batch with nothing to do."""
    n = len(shot.frames)
    frames = dict(enumerate(shot.frames))
    settings_list = [{"border": b} for b in args.borders.split(",")]
    print(f"\n3. laika-fx batch (run_batch, {args.workers} workers): the shot above from files, stabilize alone; "
          f"passes in wall ms per frame, stages in ms per frame of one thread; ratio = frames/min vs the "
          f"plugin in memory in the row above it")  # fmt: skip
    head = (f"{'run':44} {'frames/min':>10} {'ratio':>6} {'analyze':>8} {'render':>7} {'setup':>6} | "
            f"{'read':>6} {'an:stab':>7} {'stab':>6} {'write':>6} {'sync':>6}  load")  # fmt: skip
    print(head)
    print("-" * len(head))
    for ext in formats:
        with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
            folder = Path(tmp) / "shot"
            folder.mkdir()
            for i, f in enumerate(shot.frames):
                write_frame(folder / f"frame.{1001 + i:04d}.{ext}", f, compression=1 if ext == "tif" else None)
            for _ in range(args.repeats):
                for settings in settings_list:
                    label = ", ".join(f"{k}={v}" for k, v in settings.items())
                    _, t_an, t_re = _plugin_run(shot, settings, args.workers)
                    mem = 60 * n / (t_an + t_re)
                    print(f"{'in memory, ' + label:44} {mem:10.0f} {1.0:5.2f}x {1000 * t_an / n:8.1f} "
                          f"{1000 * t_re / n:7.1f} {'':>6} | {'':>6} {'':>7} {'':>6} {'':>6} {'':>6}  {_load()}")  # fmt: skip
                    rows = [(f"{ext.upper()} batch, {label}", [StabilizePlugin(settings)], {}),
                            (f"{ext.upper()} batch, {label}, cache_mb=0", [StabilizePlugin(settings)], {"cache_mb": 0})]
                    if settings is settings_list[0]:
                        rows.append((f"{ext.upper()} batch, pass-through plugin", [PassThrough()], {}))
                    for row_label, plugins, extra in rows:
                        out = Path(tmp) / "out"
                        shutil.rmtree(out, ignore_errors=True)
                        report, passes = _timed_batch(folder, out, plugins, BatchOptions(workers=args.workers, **extra))
                        st = {k: v["ms_per_frame"] for k, v in report["stages"].items()}
                        fpm = report["frames_per_minute"]
                        print(f"{row_label:44} {fpm:10.0f} {fpm / mem:5.2f}x {1000 * passes['analyze'] / n:8.1f} "
                              f"{1000 * passes['render'] / n:7.1f} {1000 * passes['other'] / n:6.1f} | "
                              f"{st.get('read', 0):6.1f} {st.get('analyze:stabilize', 0) + st.get('analyze:stabilize:read', 0):7.1f} "
                              f"{st.get('stabilize', 0):6.1f} {st.get('write', 0):6.1f} {st.get('sync', 0):6.1f}  "
                              f"{_load()}")  # fmt: skip
    del frames


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def _memory_table(shot, args) -> None:
    size = (1920, 1080)
    n = len(shot.frames)
    photos = [load_photo(name, np.uint8) for name in EVAL_PHOTOS[1:3]]
    # warm-up (model compile, first-call allocations) on a short shot
    _plugin_run(synthetic_shot(photos[0], photos[1], size=size, frames=3, seed=9), {"learned": True}, args.workers)
    rows = []
    for label, settings in (
        ("stabilize, border=crop (defaults otherwise)", {"border": "crop"}),
        ("stabilize, border=crop, learned=false", {"border": "crop", "learned": False}),
        ("stabilize, border=crop, processes=false", {"border": "crop", "processes": False}),
        ("stabilize, border=fill (all defaults)", {}),
    ):
        analysis, t_an, t_re = _plugin_run(shot, settings, args.workers)
        mats = {f["frame"]: np.asarray(f["to_reference"]) for f in analysis["frames"]}
        errs = [corner_error(mats[k], shot.truth[k], size=size) for k in range(1, n)]
        searched = sum(bool(f.get("searched")) for f in analysis["frames"])
        rows.append((label, t_an, t_re, errs, searched))
    if not args.no_baselines:
        frames, ref = shot.frames[1:25], shot.frames[0]  # (the first 24: ECC is slow)
        for label, fn in (("baseline: ECC whole frame", ecc_whole_frame), ("baseline: ORB+RANSAC", orb_ransac)):
            results, t_an = _timed_map(lambda f, fn=fn: fn(f, ref), frames, args.workers)
            _, t_re = _timed_map(lambda fm: warp_frame(fm[0], fm[1]), list(zip(frames, results, strict=True)), args.workers)
            errs = [corner_error(m, t, size=size) for m, t in zip(results, shot.truth[1:25], strict=True)]
            rows.append((label, t_an * n / len(frames), t_re * n / len(frames), errs, None))

    print(f"\n1. in memory: {n} frames {size[0]}x{size[1]} RGB uint8 (40 px bump from frame {n // 2}), "
          f"{args.workers} worker threads, 20% moving foreground; analyze includes the shot pass")  # fmt: skip
    head = (f"{'method':46} {'analyze ms/f':>12} {'render ms/f':>11} {'frames/min':>10} "
            f"{'median err px':>13} {'max err px':>10} {'searched':>13}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for label, t_an, t_re, errs, searched in rows:
        per = (t_an + t_re) / n
        won = "-" if searched is None else f"{searched}/{n - 1}"
        print(f"{label:46} {1000 * t_an / n:12.1f} {1000 * t_re / n:11.1f} {60 / per:10.0f} "
              f"{np.median(errs):13.4f} {np.max(errs):10.4f} {won:>13}")  # fmt: skip



if __name__ == "__main__":
    sys.exit(main())
