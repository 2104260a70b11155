"""Time to first written frame (cold and warm compiled-model cache) and one-core speed.

    python benchmarks/bench_start.py [--frames N] [--repeats R] [--json OUT.json]

Builds a 1920x1080 8-bit PNG shot by upscaling ``sample_frames/`` (bicubic, OpenCV) into a
temporary folder (``--frames`` more than the sample's cycle through it), then runs ``laika-fx batch`` (default chain: seam_removal + stabilize,
INT8) as a user would, each run a new process:

- ``cold``: an empty compiled-model cache folder (``LAIKA_FX_CACHE_DIR``): every network
  is compiled; ``warm``: the same folder again (the second run of a shot); ``off``:
  ``LAIKA_FX_OV_CACHE=0``. Cold, warm and off runs alternate, ``--repeats`` times each.
  Two times to first frame: ``from_process_start`` (from launching the process until a
  frame's final file appears in the output folder, polled every 5 ms: includes Python's
  start and imports) and ``from_run_start`` (the report's ``time_to_first_frame_s``: from
  the start of the batch, after the shot and options were checked).
- ``one_core``: ``taskset -c 0 laika-fx batch --workers 1`` (warm cache), and for the
  ratio ``--workers 2`` on all cores right after it in the same session.

The machine may be shared: the 1-minute load average is recorded before each run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py, beside this script

ROOT = Path(__file__).resolve().parent.parent


def make_shot(folder: Path, frames: int) -> list[str]:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted((ROOT / "sample_frames").glob("frame.*.png"))
    names, big = [], {}
    for i in range(frames):  # a longer shot than the sample cycles through it
        src = sources[i % len(sources)]
        if src not in big:
            img = cv2.imread(str(src), cv2.IMREAD_UNCHANGED)
            big[src] = cv2.resize(img, (1920, 1080), interpolation=cv2.INTER_CUBIC)
        name = f"frame.{1001 + i:04d}.png"
        cv2.imwrite(str(folder / name), big[src])
        names.append(name)
    return names


def run(shot: Path, out: Path, names: list[str], env: dict, args: list[str], pin: str | None = None) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "laika_fx", "batch", str(shot), str(out), *args]
    if pin is not None:
        cmd = ["taskset", "-c", pin, *cmd]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = None
    targets = [out / n for n in names]
    while proc.poll() is None:
        if first is None and any(p.exists() for p in targets):
            first = time.perf_counter() - t0
        time.sleep(0.005)
    total = time.perf_counter() - t0
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"laika-fx batch failed ({proc.returncode}): {err[-1000:]}")
    report = json.loads((out / "laika_fx_report.json").read_text())
    return {
        "load_1min_before": round(load, 2),
        "ttff_from_process_start_s": round(first, 3) if first is not None else None,
        "ttff_from_run_start_s": report.get("time_to_first_frame_s"),
        "process_seconds": round(total, 3),
        "wall_seconds": report["wall_seconds"],
        "frames_per_minute": report["frames_per_minute"],
        "frames": report["frames_written"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="laika_bench_start_") as tmp:
        tmp = Path(tmp)
        shot = tmp / "shot1080"
        names = make_shot(shot, a.frames)
        base = {k: v for k, v in os.environ.items() if k not in ("LAIKA_FX_CACHE_DIR", "LAIKA_FX_OV_CACHE")}
        runs: dict[str, list[dict]] = {"cold": [], "warm": [], "off": []}
        for i in range(a.repeats):
            cache = tmp / f"cache{i}"
            env = dict(base, LAIKA_FX_CACHE_DIR=str(cache))
            runs["cold"].append(run(shot, tmp / "out", names, env, ["--workers", "2"]))
            runs["warm"].append(run(shot, tmp / "out", names, env, ["--workers", "2"]))
            runs["off"].append(run(shot, tmp / "out", names, dict(base, LAIKA_FX_OV_CACHE="0"), ["--workers", "2"]))
            print(i, {k: (v[-1]["ttff_from_process_start_s"], v[-1]["ttff_from_run_start_s"]) for k, v in runs.items()},
                  flush=True)  # fmt: skip
        env = dict(base, LAIKA_FX_CACHE_DIR=str(tmp / "cache0"))
        one = [run(shot, tmp / "out", names, env, ["--workers", "1"], pin="0") for _ in range(a.repeats)]
        two = [run(shot, tmp / "out", names, env, ["--workers", "2"]) for _ in range(a.repeats)]

    def med(rows: list[dict], key: str) -> float | None:
        values = [r[key] for r in rows if r[key] is not None]
        return round(statistics.median(values), 3) if values else None

    summary = {
        "shot": f"sample_frames upscaled to 1920x1080, {a.frames} frames, 8-bit PNG, default chain",
        "cpu": cpu_model(),
        "start": {
            k: {m: med(v, m) for m in ("ttff_from_process_start_s", "ttff_from_run_start_s", "load_1min_before")}
            for k, v in runs.items()
        },
        "one_core_workers_1_fpm": med(one, "frames_per_minute"),
        "all_cores_workers_2_fpm": med(two, "frames_per_minute"),
        "load_one_core_runs": [r["load_1min_before"] for r in one],
        "load_two_core_runs": [r["load_1min_before"] for r in two],
        "runs": {**runs, "one_core": one, "two_cores": two},
    }
    s1, s2 = summary["one_core_workers_1_fpm"], summary["all_cores_workers_2_fpm"]
    summary["one_core_over_two_cores"] = round(s1 / s2, 3) if s1 and s2 else None
    text = json.dumps(summary, indent=1)
    print(text)
    if a.json:
        a.json.write_text(text + "\n")



if __name__ == "__main__":
    main()
