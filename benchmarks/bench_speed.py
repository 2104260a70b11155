"""End-to-end speed of ``laika-fx batch`` on a shot of real photographs (``make bench``).

    python benchmarks/bench_speed.py [--quick] [--json OUT.json] [--keep DIR]

One run measures, each ``laika-fx batch`` run a new process exactly as a user starts it:

- the shot of :mod:`shot` (a seamed puppet head on a collage of real photographs, camera
  shake, flicker, noise) at 960x540, 1920x1080 and 3840x2160, as 8-bit PNG, 16-bit TIFF
  (uncompressed) and JPEG (quality 95);
- the default chain (seam_removal + stabilize, INT8) and, for the codec floor, a
  pass-through plugin (installed for the run through the ``laika_fx.plugins`` entry point
  group, as a third-party plugin would be) that returns each frame unchanged: the same
  reading, checking, writing and committing, no work on the pixels;
- CPU milliseconds per frame of the whole process tree (the batch process and the stabilize
  solver processes; see ``run_batch``), robust to other jobs on the machine where wall times
  are not;
- frames per minute end to end (from launching the process until it exits, Python's start
  and every compile included) and as the report counts them (the run alone); per-stage
  milliseconds per frame per worker (from the report); time to first frame (until the
  first output file appears under its final name, polled every 5 ms, and the report's);
  peak resident memory of the whole process tree (the batch process and the stabilize
  solver processes it starts: the sum of their RSS, sampled every 20 ms with psutil; the
  sum counts shared library pages once per process, PSS counts them once) and the largest
  single process's peak (sampled alike: ``ru_maxrss`` from ``wait4`` would include this
  bench process's size at the fork that starts the batch);
- 1080p PNG with 2 workers and with ``--workers 1`` pinned to one core (``taskset -c 0``),
  and with ``--precision fp32``;
- each network INT8 vs FP32 (OpenVINO, inference precision hint f32, so the FP32 model
  really runs in f32) at the input shape a 1080p frame gives it, one inference at a time,
  median milliseconds;
- ffmpeg's vid.stab (``vidstabdetect`` then ``vidstabtransform``, imageio-ffmpeg's binary)
  on the same 1080p PNG frames, PNG out: the classical peer's speed.

The compiled-model cache is warmed by a first, untimed run per resolution, so the timed
runs are a shot's second run (what an artist re-rendering sees). The machine may be shared:
the 1-minute load average is printed before every run; compare rows of one run, not runs.
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

import numpy as np
import psutil
from machine import cpu_model  # benchmarks/machine.py, beside this script
from shot import FORMATS, build, plate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESOLUTIONS = {"540p": (540, 960), "1080p": (1080, 1920), "4K": (2160, 3840)}
# frames per shot: (full, --quick)
FRAMES = {"540p": (96, 24), "1080p": (96, 24), "4K": (24, 8)}

PASS_MODULE = '''
from laika_fx.plugins import Plugin


class PassThrough(Plugin):
    """Returns each frame unchanged: what is left is the pipeline and the codecs."""

    name = "pass_through"
    label = "Pass-through (benchmark)"
    description = "Returns the frame unchanged."

    def render(self, frame, ctx):
        return frame
'''


def install_pass_through(folder: Path) -> None:
    """A ``pass_through`` plugin visible to processes with ``folder`` on PYTHONPATH."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "laika_bench_pass.py").write_text(PASS_MODULE)
    dist = folder / "laika_bench_pass-0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: laika-bench-pass\nVersion: 0\n")
    (dist / "entry_points.txt").write_text("[laika_fx.plugins]\npass_through = laika_bench_pass:PassThrough\n")


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    """``proc`` and its descendants now (psutil walks every process of the machine for this:
    ~0.8 ms of CPU, so the sampler refreshes the list every :data:`TREE_REFRESH_S`)."""
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return []


def _tree_sum(procs: list[psutil.Process], measure) -> int:
    """``measure(p)`` summed over ``procs`` (processes that ended meanwhile count 0)."""
    total = 0
    for p in procs:
        try:
            total += measure(p)
        except (psutil.Error, AttributeError):
            pass
    return total


def tree_rss(procs: list[psutil.Process], cpu: dict[int, float] | None = None) -> tuple[int, int]:
    """The RSS summed over the tree (``procs``: :func:`_tree`), and the largest single
    process's; with ``cpu``, also records each process's own CPU seconds so far by pid."""
    largest = [0]

    def rss(p: psutil.Process) -> int:
        r = p.memory_info().rss
        largest[0] = max(largest[0], r)
        if cpu is not None:
            t = p.cpu_times()
            cpu[p.pid] = t.user + t.system
        return r

    return _tree_sum(procs, rss), largest[0]


def _any_output(folder: Path, suffix: str) -> bool:
    """Whether a frame file exists under its final name (temporary files start with a dot)."""
    try:
        with os.scandir(folder) as it:
            return any(e.name.endswith(suffix) and not e.name.startswith(".") for e in it)
    except OSError:
        return False


def tree_pss(procs: list[psutil.Process]) -> int:
    """Proportional set size of the tree: shared pages (libraries, the forkserver's copy-on-write
    pages) counted once across processes, unlike the RSS sum."""
    return _tree_sum(procs, lambda p: p.memory_full_info().pss)


#: the sampler's periods (seconds): the RSS (and CPU) of the known processes, the process list,
#: the PSS. The sampler runs on the same two cores as the batch: walking the process list with
#: every RSS sample (every 20 ms; psutil reads every process of the machine, ~0.8 ms) and
#: reading the PSS every 100 ms (the kernel walks the page tables of every process for it,
#: ~3.7 ms for the batch's, holding its memory map's lock) cost this process 1.1 s of CPU per
#: 6.6 s run of the 1080p shot, 8 % of the machine (the batch ran 976 frames/min end to end
#: alone, 876 watched). Now the list every 250 ms, and the PSS only when the tree's RSS has
#: grown by PSS_GROWTH_MB since the last PSS sample (at most every PSS_PERIOD_S): where the PSS
#: peak can be, ~0.1 s of CPU per run.
RSS_PERIOD_S = 0.02
TREE_REFRESH_S = 0.25
PSS_PERIOD_S = 0.25
PSS_GROWTH_MB = 8


def run_batch(shot: Path, out: Path, names: list[str], env: dict, args: list[str], pin: str | None = None,
              source: Path | None = None) -> dict:  # fmt: skip
    """One ``laika-fx batch`` process: its timings, memory and report. ``source``: run the
    laika_fx of that source tree instead of the installed one (``--baseline``)."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(Path(sys.executable).with_name("laika-fx")), "batch", str(shot), str(out), "-q", *args]
    if source is not None:
        cmd = [sys.executable, "-m", "laika_fx", *cmd[1:]]
        env = dict(env, PYTHONPATH=os.pathsep.join([str(source), env.get("PYTHONPATH", "")]))
    if pin is not None:
        cmd = ["taskset", "-c", pin, *cmd]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    # `python -m` puts the working folder first on sys.path: run a source tree from its own
    # folder, or a checkout the bench is started in would shadow it
    log = tempfile.TemporaryFile()  # the summary: what failed, if the run fails
    popen = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.PIPE,
                             cwd=str(source) if source is not None else None)  # fmt: skip
    ps = psutil.Process(popen.pid)
    first = None
    peak = peak_pss = peak_one = 0
    last_pss = 0.0
    tree = pss_mark = 0
    suffix = Path(names[0]).suffix
    last_rss = 0.0
    seen_cpu: dict[int, float] = {}  # pid -> its own CPU seconds when last sampled
    procs, last_tree = [ps], 0.0
    c0 = time.process_time()
    while True:
        pid, status, usage = os.wait4(popen.pid, os.WNOHANG)
        if pid:
            break
        now = time.perf_counter()
        if first is None and _any_output(out, suffix):
            first = now - t0
        if now - last_tree >= TREE_REFRESH_S:
            procs, last_tree = _tree(ps) or procs, now
        if now - last_rss >= RSS_PERIOD_S:
            tree, one = tree_rss(procs, seen_cpu)
            peak, peak_one = max(peak, tree), max(peak_one, one)
            last_rss = now
        if now - last_pss >= PSS_PERIOD_S and tree >= pss_mark:  # the RSS grew: the PSS may have
            peak_pss = max(peak_pss, tree_pss(procs))
            last_pss, pss_mark = now, tree + PSS_GROWTH_MB * 2**20
        time.sleep(0.005)
    total = time.perf_counter() - t0
    sampler_cpu = time.process_time() - c0
    popen.returncode = os.waitstatus_to_exitcode(status)
    err = popen.stderr.read().decode(errors="replace") if popen.stderr else ""
    log.seek(0)
    out_text = log.read().decode(errors="replace")
    if popen.returncode != 0:
        raise SystemExit(f"laika-fx batch failed ({popen.returncode}): {' '.join(cmd)}\n{out_text[-3000:]}\n{err[-2000:]}")
    report = json.loads((out / "laika_fx_report.json").read_text())
    frames = report["frames_written"]
    batch_cpu = usage.ru_utime + usage.ru_stime
    descendants_cpu = sum(v for pid, v in seen_cpu.items() if pid != popen.pid)
    st = report.get("stages") if isinstance(report.get("stages"), dict) else {}
    stages = {k: v["ms_per_frame"] for k, v in st.items()}
    stages_cpu = {k: v["cpu_ms_per_frame"] for k, v in st.items() if "cpu_ms_per_frame" in v}
    return {
        "load_1min_before": round(load, 2),
        "frames": frames,
        "fpm_end_to_end": round(60 * frames / total, 1),
        "fpm_run": report["frames_per_minute"],
        "process_seconds": round(total, 2),
        "ttff_process_s": round(first, 2) if first is not None else None,
        "ttff_run_s": report.get("time_to_first_frame_s"),
        "peak_rss_tree_mb": round(peak / 2**20),
        "peak_pss_tree_mb": round(peak_pss / 2**20),
        # sampled like the tree: wait4's ru_maxrss would count this (large) bench process's
        # resident memory at the fork that started the batch
        "max_rss_process_mb": round(peak_one / 2**20),
        # CPU time of the batch process and the solver processes it reaped (wait4): what a
        # frame costs the machine, whatever else runs on it (wall times follow the load)
        "cpu_ms_per_frame_batch": round(1000 * batch_cpu / max(frames, 1), 1),
        # the whole tree: the batch process (and what it reaped, wait4) plus every other
        # descendant as last sampled (every 20 ms): the stabilize solver processes are children
        # of multiprocessing's fork server, which the batch never reaps, so wait4 misses them
        "cpu_ms_per_frame": round(1000 * (batch_cpu + descendants_cpu) / max(frames, 1), 1),
        "stages_ms": stages,
        "stages_cpu_ms": stages_cpu,  # the thread's CPU time in the stage (older trees: none)
        # this process's CPU while it watched the run (on the batch's cores): the sampler's cost
        "sampler_cpu_s": round(sampler_cpu, 2),
    }


def network_precisions(reps: int) -> dict:
    """Median ms per inference of each network, INT8 vs FP32, at its 1080p input shape."""
    from laika_fx.accelerators.bench import shipped_1080p_shapes
    from laika_fx.accelerators.runtime import compile_model, model_path

    shapes = shipped_1080p_shapes()
    rng = np.random.default_rng(0)
    out = {}
    for name, shape in shapes.items():
        x = rng.random(shape, dtype=np.float32)
        row = {"shape": "x".join(map(str, shape[1:]))}
        for prec in ("int8", "fp32"):
            net = compile_model(model_path(name, prec), precision="f32", shape=[shape])
            net(x)
            times = []
            c0 = time.process_time()
            for _ in range(reps):
                t0 = time.perf_counter()
                net(x)
                times.append(time.perf_counter() - t0)
            row[prec] = round(1000 * statistics.median(times), 2)
            row[f"{prec}_cpu"] = round(1000 * (time.process_time() - c0) / reps, 2)  # robust to other jobs
        row["fp32_over_int8"] = round(row["fp32_cpu"] / row["int8_cpu"], 2)
        out[name] = row
    return out


def vidstab(shot: Path, out: Path, n: int) -> dict:
    """ffmpeg vid.stab detect + transform on the shot's PNG frames, PNG frames out."""
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    filters = subprocess.run([exe, "-hide_banner", "-filters"], capture_output=True, text=True).stdout
    if "vidstabdetect" not in filters:
        return {"available": False, "ffmpeg": exe}
    out.mkdir(parents=True, exist_ok=True)
    trf = out / "transforms.trf"
    src = ["-framerate", "24", "-start_number", "1001", "-i", str(shot / "frame.%04d.png")]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    subprocess.run([exe, "-hide_banner", "-loglevel", "error", "-y", *src, "-vf",
                    f"vidstabdetect=shakiness=5:result={trf}", "-f", "null", "-"], check=True)  # fmt: skip
    t1 = time.perf_counter()
    subprocess.run([exe, "-hide_banner", "-loglevel", "error", "-y", *src, "-vf",
                    f"vidstabtransform=input={trf}:smoothing=10", "-start_number", "1001",
                    str(out / "frame.%04d.png")], check=True)  # fmt: skip
    t2 = time.perf_counter()
    written = len(list(out.glob("frame.*.png")))
    if written != n:
        raise SystemExit(f"vidstab wrote {written} of {n} frames")
    return {"available": True, "load_1min_before": round(load, 2), "detect_fpm": round(60 * n / (t1 - t0), 1),
            "transform_fpm": round(60 * n / (t2 - t1), 1), "fpm_end_to_end": round(60 * n / (t2 - t0), 1)}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer frames, 1080p formats only at 1080p PNG")
    ap.add_argument("--json", type=Path, help="also write every figure to this file")
    ap.add_argument("--keep", type=Path, help="build the shots here and keep them (default: a temporary folder)")
    ap.add_argument("--only", help="comma-separated resolutions (540p,1080p,4K)")
    ap.add_argument("--frames", type=int, help="frames per shot at every resolution (default: 96/24 at 540p and "
                    "1080p, 24/8 at 4K, full/--quick)")
    ap.add_argument("--formats", help="comma-separated formats (png8,tif16,jpg; default: all at 1080p, PNG elsewhere "
                    "with --quick)")
    ap.add_argument("--source", type=Path, metavar="SRC",
                    help="the laika_fx source tree to measure (default: the installed one)")
    ap.add_argument("--baseline", type=Path, metavar="SRC",
                    help="a laika_fx source tree (e.g. `git worktree add` of an older commit): its default chain "
                         "runs on every PNG shot beside this tree's, in the same run (before/after)")
    a = ap.parse_args()
    t_bench = time.perf_counter()
    q = 1 if a.quick else 0
    tmp_ctx = tempfile.TemporaryDirectory(prefix="laika_bench_")
    tmp = Path(tmp_ctx.name)
    work = a.keep or tmp
    plugin_path = tmp / "plugin"
    install_pass_through(plugin_path)
    env = {k: v for k, v in os.environ.items() if k not in ("LAIKA_FX_OV_CACHE",)}
    env["LAIKA_FX_CACHE_DIR"] = str(tmp / "ov_cache")
    env["PYTHONPATH"] = os.pathsep.join([str(plugin_path), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    results: dict = {"cpu": cpu_model(), "cores": os.cpu_count(), "quick": a.quick, "runs": []}
    resolutions = a.only.split(",") if a.only else list(RESOLUTIONS)

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - t_bench:6.0f} s, load {os.getloadavg()[0]:.1f}] {msg}", flush=True)

    try:
        for res in resolutions:
            h, w = RESOLUTIONS[res]
            n = a.frames or FRAMES[res][q]
            say(f"building the {res} plate")
            base, seam_px = plate(h, w)
            fmts = ["png8"] if a.quick and res != "1080p" else list(FORMATS)
            if a.formats:
                fmts = [f for f in a.formats.split(",") if f in FORMATS]
            for fmt in fmts:
                shot = work / f"{res}_{fmt}"
                if shot.exists() and len(list(shot.glob("frame.*"))) == n:
                    names = sorted(p.name for p in shot.glob("frame.*"))
                else:
                    shutil.rmtree(shot, ignore_errors=True)
                    names = build(shot, h, w, fmt, n, base)
                out = tmp / "out"
                src = a.source
                cases = [("default", [], None, 2, src), ("pass-through", ["--plugins", "pass_through"], None, 2, src)]
                if a.baseline and fmt == "png8":  # alternating, twice: the machine may be shared
                    cases[:1] = [("default, baseline", [], None, 2, a.baseline), cases[0]] * 2
                if res == "1080p" and fmt == "png8":
                    run_batch(shot, out, names, env, ["--workers", "2"], source=src)  # warms the compiled-model cache
                    cases += [("default", [], "0", 1, src), ("pass-through", ["--plugins", "pass_through"], "0", 1, src),
                              ("default fp32", ["--precision", "fp32"], None, 2, src)]  # fmt: skip
                    if not a.quick:
                        results["vidstab_1080p_png"] = vidstab(shot, tmp / "vidstab", n)
                        say(f"vidstab: {results['vidstab_1080p_png']}")
                elif fmt == fmts[0]:
                    run_batch(shot, out, names, env, ["--workers", "2"], source=src)  # warms the cache at this size
                for label, args, pin, workers, source in cases:
                    r = run_batch(shot, out, names, env, [*args, "--workers", str(workers)], pin=pin, source=source)
                    r.update(resolution=res, format=fmt, chain=label, workers=workers, one_core=pin is not None,
                             seam_pixels=seam_px)  # fmt: skip
                    results["runs"].append(r)
                    say(f"{res} {fmt} {label} w{workers}{' 1 core' if pin else ''}: {r['fpm_end_to_end']} fpm e2e, "
                        f"{r['fpm_run']} run, ttff {r['ttff_process_s']} s, rss {r['peak_rss_tree_mb']} MB")
                shutil.rmtree(out, ignore_errors=True)
                if a.keep is None:
                    shutil.rmtree(shot, ignore_errors=True)
        say("networks INT8 vs FP32")
        results["networks"] = network_precisions(7 if a.quick else 25)
    finally:
        tmp_ctx.cleanup()
    results["bench_seconds"] = round(time.perf_counter() - t_bench)
    print()
    print(table(results))
    if a.json:
        a.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


def table(results: dict) -> str:
    """The one table README and docs/benchmarks.md show (Markdown)."""
    lines = [f"CPU: {results['cpu']} ({results['cores']} cores); 1-minute load average before each run in the "
             f"last column; {'--quick' if results['quick'] else 'full'} run, {results['bench_seconds']} s", ""]
    lines += ["| shot | chain | workers | frames | frames/min end to end (run) | floor ratio | TTFF s | "
              "CPU ms/frame | peak RSS / PSS tree, largest process MB | per-stage ms/frame: wall/CPU of the thread | load |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    floors = {(r["resolution"], r["format"], r["workers"], r["one_core"]): r["fpm_end_to_end"]
              for r in results["runs"] if r["chain"] == "pass-through"}  # fmt: skip
    for r in results["runs"]:
        floor = floors.get((r["resolution"], r["format"], r["workers"], r["one_core"]))
        ratio = f"{r['fpm_end_to_end'] / floor:.2f}" if floor and r["chain"] != "pass-through" else "-"
        cpu = r.get("stages_cpu_ms", {})
        stages = ", ".join(f"{k} {v:.0f}" + (f"/{cpu[k]:.0f}" if k in cpu else "")
                           for k, v in r["stages_ms"].items() if v >= 0.5)  # fmt: skip
        workers = f"{r['workers']}{' (1 core)' if r['one_core'] else ''}"
        lines.append(f"| {r['resolution']} {r['format']} | {r['chain']} | {workers} | {r['frames']} | "
                     f"{r['fpm_end_to_end']:.0f} ({r['fpm_run']:.0f}) | {ratio} | {r['ttff_process_s']} | {r['cpu_ms_per_frame']:.0f} | "
                     f"{r['peak_rss_tree_mb']} / {r['peak_pss_tree_mb']}, {r['max_rss_process_mb']} | {stages} | {r['load_1min_before']} |")  # fmt: skip
    v = results.get("vidstab_1080p_png")
    if v:
        lines.append("")
        lines.append("ffmpeg vid.stab on the 1080p PNG frames (detect + transform, PNG out): " + (
            f"{v['fpm_end_to_end']:.0f} frames/min (detect {v['detect_fpm']:.0f}, transform {v['transform_fpm']:.0f}; "
            f"load {v['load_1min_before']})" if v["available"] else "not measured: this ffmpeg has no vidstabdetect"))
    nets = results.get("networks")
    if nets:
        lines += ["", "| network (1080p input, one thread) | shape | INT8 CPU ms (wall) | FP32 CPU ms (wall), f32 hint | "
                  "FP32/INT8 CPU |", "|---|---|---|---|---|"]  # fmt: skip
        for name, r in nets.items():
            lines.append(f"| {name} | {r['shape']} | {r['int8_cpu']} ({r['int8']}) | {r['fp32_cpu']} ({r['fp32']}) | "
                         f"{r['fp32_over_int8']} |")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
