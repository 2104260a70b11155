"""The ``laika-fx`` command (also ``python -m laika_fx``).

Exit codes: 0 every requested frame was written; 1 some frames failed or the run was
cancelled (the report says which); 2 the run could not start (bad input, bad option).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np

from . import __version__
from . import io as _io
from .accelerators.runtime import usable_cpus
from .io import FrameReadError
from .pipeline import (
    DEFAULT_CACHE_MB,
    DEFAULT_SPILL_MB,
    LONG_SHOT_CACHE_MB,
    LONG_SHOT_FRAMES,
    STREAMED_CACHE_MB,
    BatchError,
    BatchOptions,
    Cancel,
    Progress,
    ProgressEvent,
    _shot_format,
    check_output_folder,
    output_name,
    read_input,
    run_analyze,
    run_batch,
    shot_headers,
    write_shape_scripts,
)
from .plugins import BUILTIN_DISTRIBUTIONS, PluginError, build_plugins, load_preset, registry
from .prompts import Prompt, PromptError, PromptKey, ShotPrompts, parse_box, parse_point
from .report import (
    CHUNK_REPORTS,
    REPORT_NAME,
    add_unrendered,
    chunk_report_name,
    format_summary,
    merge_reports,
    write_report,
)
from .sequence import ShotError, format_frame_range, open_shot, parse_frame_range
from .shapes import ShapesError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ABORTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
#: most render worker threads one batch may start
MAX_WORKERS = 256

#: entry point group of the subcommands other modules add: ``name = "package.module:function"``,
#: the function called with the subparsers (``register_commands(sub)``)
COMMANDS_ENTRY_POINT_GROUP = "laika_fx.commands"

#: plugins run by ``laika-fx batch`` when --plugins is not given, in this order,
#: among those that are installed
DEFAULT_PLUGINS = ("seam_removal", "stabilize")


class UsageError(Exception):
    """Bad command line: printed as one line, exit code 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a one-line error (``laika-fx batch: error: ...``), exit code 2."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _number(name: str, *, minimum: float, maximum: float, above: bool = False):
    """An argparse type: a finite float in [minimum, maximum] (above: > minimum)."""

    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        low_ok = value > minimum if above else value >= minimum
        if not math.isfinite(value) or not low_ok or value > maximum:
            lower = f"above {minimum:g}" if above else f"at least {minimum:g}"
            raise argparse.ArgumentTypeError(f"{name} must be a finite number {lower} and at most {maximum:g}, "
                                             f"got {text!r}")  # fmt: skip
        return value

    return convert


# --------------------------------------------------------------------------- progress bar
class ProgressBar:
    """Text progress bar on stderr: phase, frames done, fps, ETA. Throttled to ~8 Hz."""

    def __init__(self, stream=None, *, width: int = 28) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self._last = 0.0
        self._last_pct = -1
        self._lock = threading.Lock()

    def __call__(self, ev: ProgressEvent) -> None:
        if ev.phase == "done":
            if self.tty:
                self.stream.write("\n")
                self.stream.flush()
            return
        now = time.monotonic()
        final = ev.done >= ev.total
        with self._lock:
            if self.tty:
                if not final and now - self._last < 0.12 and ev.done:
                    return
                self._last = now
                self.stream.write("\r" + self.line(ev) + "\033[K")
                if final:
                    self.stream.write("\n")
            else:  # logs: one line per 10%
                pct = int(10 * ev.done / ev.total) if ev.total else 10
                if pct == self._last_pct and not final:
                    return
                self._last_pct = pct
                self.stream.write(self.line(ev) + "\n")
            self.stream.flush()

    def line(self, ev: ProgressEvent) -> str:
        frac = ev.done / ev.total if ev.total else 1.0
        filled = int(round(self.width * frac))
        bar = "#" * filled + "-" * (self.width - filled)
        eta = "--:--" if ev.eta is None else f"{int(ev.eta) // 60:02d}:{int(ev.eta) % 60:02d}"
        failed = f"  {ev.failed} failed" if ev.failed else ""
        return (
            f"{ev.phase:<20} [{bar}] {ev.done}/{ev.total}  {ev.fps:5.1f} fps"
            f"  {ev.frames_per_minute:6.0f} fpm  ETA {eta}{failed}"
        )


# --------------------------------------------------------------------------- helpers
def abort_now() -> None:
    """Second Ctrl-C: exit at once with 130.

    Not by raising KeyboardInterrupt: the interpreter would then shut down while render
    threads are inside OpenVINO or OpenCV calls, and the C++ runtime aborts the process
    (SIGABRT, exit 134, "terminate called without an active exception"). Frames already
    renamed into place stay; a frame being written leaves at most a ``.part`` file (never
    a partial file under a final name), which ``--resume`` ignores. Solver processes die
    with this one (:mod:`laika_fx.stabilize.lifeline`).
    """
    _exit_now("aborted", EXIT_ABORTED)


def terminate_now(signum=None, frame=None) -> None:
    """SIGTERM (a farm scheduler stopping a task, ``kill``): exit at once with 143 (128 +
    SIGTERM), as :func:`abort_now` does for a second Ctrl-C."""
    _exit_now("terminated", EXIT_TERMINATED)


def _exit_now(what: str, code: int) -> None:
    """Say ``what`` on stderr, remove the runs' spill folders (``os._exit`` skips the runs' own
    clean-up) and exit with ``code`` at once."""
    try:
        sys.stderr.write(f"\nlaika-fx: {what}\n")
        sys.stderr.flush()
        sys.stdout.flush()
        from .pipeline import remove_live_spills

        remove_live_spills()
    finally:
        os._exit(code)


def parse_settings(items: Sequence[str]) -> dict[str, dict[str, str]]:
    """``["seam_removal.threshold=0.6", ...]`` -> ``{"seam_removal": {"threshold": "0.6"}}``."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        plugin, dot, param = key.strip().partition(".")
        if not sep or not dot or not plugin or not param:
            raise UsageError(f"--set expects plugin.param=value, got {item!r}")
        out.setdefault(plugin, {})[param] = value
    return out


def _prompt_option(args: argparse.Namespace) -> ShotPrompts | Path | None:
    """The prompt the command line gives: boxes/clicks, a file, or None (the default file)."""
    regions = []
    for flag, texts, parse in (("--puppet-box", args.puppet_box, parse_box),
                               ("--puppet-point", args.puppet_point, parse_point)):  # fmt: skip
        for text in texts or []:
            try:
                regions.append(parse(text))
            except PromptError as exc:
                raise UsageError(f"{flag}: {exc}") from None
    if regions and args.prompt:
        raise UsageError("give --prompt FILE or --puppet-box/--puppet-point, not both")
    if regions:
        return ShotPrompts(tuple(Prompt((PromptKey(None, r),)) for r in regions))
    return Path(args.prompt) if args.prompt else None


def default_plugin_names() -> list[str]:
    available = registry.names()
    names = [n for n in DEFAULT_PLUGINS if n in available]
    return names or ["deflicker"]


# --------------------------------------------------------------------------- commands
def _shot_and_plugins(args: argparse.Namespace):
    """The shot and the built plugins of a ``batch`` or ``analyze`` command line."""
    try:
        shot = open_shot(args.input, frames=args.frames)
    except ValueError as exc:
        raise UsageError(f"--frames: {exc}") from None
    names = [n.strip() for n in args.plugins.split(",") if n.strip()] if args.plugins else default_plugin_names()
    settings: dict[str, dict] = {}
    if args.preset:
        try:
            settings = load_preset(args.preset)
        except (OSError, ValueError) as exc:
            raise UsageError(f"--preset: {exc}") from None
        settings = {k: v for k, v in settings.items() if k in names}
    if args.precision:  # every plugin that runs a model, unless --set says otherwise
        for name in names:
            try:
                cls = registry.get(name)
            except KeyError:
                continue  # reported by build_plugins
            if any(p.name == "precision" for p in cls.params):
                settings.setdefault(name, {}).setdefault("precision", args.precision)
    for plugin, values in parse_settings(args.set or []).items():
        settings.setdefault(plugin, {}).update(values)
    try:
        plugins = build_plugins([(name, settings.get(name, {})) for name in names])
    except PluginError as exc:
        raise UsageError(str(exc)) from None
    unused = set(settings) - set(names)
    if unused:
        raise UsageError(f"settings given for plugins not in the run: {', '.join(sorted(unused))}")
    return shot, plugins


class _Interrupts:
    """SIGINT while a run is going: the first cancels it, the second exits at once (130)."""

    def __init__(self, cancel: Cancel) -> None:
        self.cancel = cancel
        self.old = self.old_term = None

    def _on_signal(self, signum, frame) -> None:
        if self.cancel.is_set():
            abort_now()
        print("\ncancelling after the frames in flight (Ctrl-C again to abort)", file=sys.stderr)
        self.cancel.set()

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            self.old = signal.signal(signal.SIGINT, self._on_signal)
            self.old_term = signal.signal(signal.SIGTERM, terminate_now)
        return self

    def __exit__(self, *exc) -> None:
        if self.old is not None:  # once cancelled, a Ctrl-C until the very exit means "exit now"
            signal.signal(signal.SIGINT, (lambda *_: abort_now()) if self.cancel.is_set() else self.old)
            signal.signal(signal.SIGTERM, self.old_term)


def _batch_on_dask(args: argparse.Namespace, shot, plugins, options: BatchOptions) -> int:
    from .farm import DEFAULT_CHUNK_SIZE, FarmError, run_on_dask

    def on_chunk(report: dict) -> None:
        if "error" in report:
            print(f"laika-fx: a chunk failed on the cluster: {report['error']}", file=sys.stderr)
        elif not args.quiet:
            failed = len(report["frames_failed"])
            print(f"  chunk {report['frames_requested']}: {report['frames_written']} written"
                  + (f", {failed} failed" if failed else ""), file=sys.stderr)  # fmt: skip

    try:
        report = run_on_dask(
            shot, args.input, args.output, [(p.name, dict(p.settings)) for p in plugins], options,
            chunk_size=args.chunk_size or DEFAULT_CHUNK_SIZE, scheduler=args.scheduler,
            local_cluster=args.local_cluster, max_pixels=args.max_pixels, on_chunk=on_chunk,
        )  # fmt: skip
    except FarmError as exc:
        raise UsageError(str(exc)) from None
    print(format_summary(report))
    print(f"  report    {Path(report['output']) / REPORT_NAME} ({len(report.get('chunks', []))} chunks merged)")
    return EXIT_OK if not report["frames_failed"] and not report["cancelled"] else EXIT_FAILED


def cmd_batch(args: argparse.Namespace) -> int:
    shot, plugins = _shot_and_plugins(args)
    if args.export_shapes and not any(p.saved_masks for p in plugins):
        print("laika-fx: note: --export-shapes: no plugin in the chain saves a mask (seam_removal does); "
              "no shapes are written", file=sys.stderr)  # fmt: skip
    if args.scheduler or args.local_cluster:
        if args.preview:
            raise UsageError("--preview is not available with --scheduler/--local-cluster")
        prompts = _prompt_option(args)
        if isinstance(prompts, ShotPrompts):  # workers read files only
            raise UsageError("--puppet-box/--puppet-point are not available with --scheduler/--local-cluster: "
                             "save the prompt to a file and pass --prompt FILE")  # fmt: skip
        options = BatchOptions(workers=args.workers, save_masks=args.save_masks, resume=args.resume,
                               export_shapes=args.export_shapes,
                               mask_overrides=Path(args.mask_overrides) if args.mask_overrides else None,
                               cache_mb=args.cache_mb, memory_mb=args.memory_mb, spill_mb=args.spill_mb,
                               prompts=str(prompts) if prompts else None,
                               output_format=args.output_format, convert=args.convert,
                               png_compression=args.png_compression)  # fmt: skip
        return _batch_on_dask(args, shot, plugins, options)
    chunks = [list(shot.requested)]
    if args.chunk_size is not None:
        size = args.chunk_size
        chunks = [list(shot.requested[i : i + size]) for i in range(0, len(shot.requested), size)] or [[]]
    options = BatchOptions(
        prompts=_prompt_option(args),
        workers=args.workers,
        save_masks=args.save_masks,
        export_shapes=args.export_shapes,
        resume=args.resume,
        mask_overrides=Path(args.mask_overrides) if args.mask_overrides else None,
        cache_mb=args.cache_mb,
        spill_mb=args.spill_mb,
        memory_mb=args.memory_mb,
        chunk=args.chunk_size is not None,
        output_format=args.output_format,
        convert=args.convert,
        png_compression=args.png_compression,
    )
    progress = Progress()
    if not args.quiet:
        progress.subscribe(ProgressBar())
    cancel = Cancel()
    ok = True
    reports = []
    with _Interrupts(cancel):
        for chunk in chunks:
            if cancel.is_set():
                break
            part = dataclasses.replace(shot, requested=tuple(chunk))
            report = run_batch(part, args.output, plugins, options, progress=progress, cancel=cancel)
            reports.append(report)
            print(format_summary(report))
            ok = ok and not report["frames_failed"] and not report["cancelled"]
            shapes_error = report.get("shapes", {}).get("error")
            if shapes_error:  # the frames are written; the Nuke script of their shapes is not
                print(f"laika-fx: error: {shapes_error}", file=sys.stderr)
                ok = False
            if "report_error" in report:  # e.g. a full disk: the summary above lists the failed frames
                print(f"laika-fx: error: {report['report_error']}", file=sys.stderr)
                ok = False
            elif options.chunk:
                print(f"  report    {Path(report['output']) / CHUNK_REPORTS / chunk_report_name(chunk)}")
            else:
                print(f"  report    {Path(report['output']) / REPORT_NAME}")
    if options.chunk:
        print(f"  merge the chunk reports with: laika-fx report {reports[0]['output']}" if reports else "")
    if args.preview and sum(r["frames_written"] for r in reports):
        from .preview import encode_preview

        out = Path(reports[0]["output"])
        ext = options.output_extension(shot)
        names = [output_name(shot.path(n), ext) for n in shot.requested]
        paths = [out / name for name in names if (out / name).exists()]
        t0 = time.perf_counter()
        try:
            movie = encode_preview(paths, args.preview, fps=args.fps)
            print(f"  preview   {movie} ({len(paths)} frames, {time.perf_counter() - t0:.1f} s)")
        except (RuntimeError, ValueError, OSError) as exc:
            print(f"laika-fx: preview failed: {exc}", file=sys.stderr)
            ok = False
    return EXIT_OK if ok else EXIT_FAILED


def cmd_analyze(args: argparse.Namespace) -> int:
    shot, plugins = _shot_and_plugins(args)
    analyzing = [p for p in plugins if p.has_analyze]
    if not analyzing:
        print("laika-fx: no plugin of the run has an analyze step; nothing to write")
        return EXIT_OK
    progress = Progress()
    if not args.quiet:
        progress.subscribe(ProgressBar())
    cancel = Cancel()
    with _Interrupts(cancel):
        results = run_analyze(shot, args.output, analyzing, workers=args.workers, progress=progress, cancel=cancel)
    if cancel.is_set():
        print("laika-fx: analysis cancelled; no sidecar written for the unfinished plugin", file=sys.stderr)
        return EXIT_FAILED
    out = check_output_folder(shot, args.output)
    for name, analysis in results.items():
        print(f"  {name:<14} {out / (name + '.json')}")
        for note in analysis.get("notes", ()):
            print(f"  NOTE      {name}: {note}")
    return EXIT_OK


def cmd_farm_template(args: argparse.Namespace) -> int:
    from .farm import job_template
    from .io import atomic_write_bytes

    try:
        parse_frame_range(args.frames)
    except ValueError as exc:
        raise UsageError(f"--frames: {exc}") from None
    parse_settings(args.set or [])  # checked here, passed as they are
    command = (sys.executable, "-m", "laika_fx") if args.python else ("laika-fx",)
    extra = [a for item in (args.set or []) for a in ("--set", item)]
    doc = job_template(frames=args.frames, chunk_size=args.chunk_size, plugins=args.plugins, input=args.input,
                       output=args.output, command=command, extra_args=extra)  # fmt: skip
    try:
        atomic_write_bytes(args.template, (json.dumps(doc, indent=2) + "\n").encode())
    except OSError as exc:
        raise UsageError(f"cannot write {args.template}: {exc.strerror or exc}") from None
    print(f"  template  {args.template} (Open Job Description 2023-09, TASK_CHUNKING: analyze, render "
          f"{args.frames} in chunks of {args.chunk_size}, report)")  # fmt: skip
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    out = Path(args.output)
    folder = out / CHUNK_REPORTS
    files = sorted(folder.glob("laika_fx_report.*.json")) if folder.is_dir() else []
    if not files:
        raise UsageError(f"no chunk reports in {folder} (written by `laika-fx batch ... --chunk-size N`)")
    reports = []
    for f in files:
        try:
            doc = json.loads(f.read_text())
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read {f}: {exc}") from None
        if not isinstance(doc, dict):
            raise UsageError(f"{f} is not a report")
        reports.append(doc)
    try:
        merged = merge_reports(reports)
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"cannot merge the reports in {folder}: {exc}") from None
    unrendered = add_unrendered(merged, out)  # frames of the analyzed range no chunk rendered
    try:
        path = write_report(out, merged)
    except OSError as exc:
        print(format_summary(merged))
        print(f"laika-fx: error: could not write {out / REPORT_NAME}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    print(format_summary(merged))
    print(f"  merged    {len(files)} chunk reports -> {path}")
    if unrendered:
        print(f"  MISSING   {len(unrendered)} frames of the analyzed range rendered by no chunk: "
              f"{format_frame_range(unrendered)} (run their `laika-fx batch` tasks, then `laika-fx report`)")  # fmt: skip
    shapes = merged.get("shapes")
    if isinstance(shapes, dict) and shapes.get("masks"):  # the chunks wrote shapes: one Nuke script for all
        try:
            for script in write_shape_scripts(out, [str(m) for m in shapes["masks"]],
                                              shot_name=Path(str(merged.get("input", ""))).name):  # fmt: skip
                print(f"  shapes    {script}")
        except (OSError, ShapesError) as exc:
            print(f"laika-fx: error: could not write the Nuke script: {exc}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK if not merged["frames_failed"] and not merged["cancelled"] else EXIT_FAILED


def cmd_info(args: argparse.Namespace) -> int:
    try:
        shot = open_shot(args.input, frames=args.frames)
    except ValueError as exc:
        raise UsageError(f"--frames: {exc}") from None
    print(f"shot        {shot.directory / shot.pattern}")
    print(f"frames      {len(shot.frames)}  range {shot.frame_range}")
    gaps = shot.gaps
    from .sequence import format_frame_range

    print(f"gaps        {format_frame_range(gaps) if gaps else 'none'}" + (f" ({len(gaps)} missing)" if gaps else ""))
    if shot.requested != shot.frames:
        print(f"requested   {format_frame_range(list(shot.requested))} ({len(shot.requested)} frames)")
    # the shot's format is what most frames' headers say, as the batch takes it
    headers = shot_headers(shot)
    fmt = _shot_format(shot, headers)
    # frames whose header says another format: the batch fails them
    other = [f"{n} ({info.width}x{info.height} {np.dtype(info.dtype)} x{info.channels})"
             for n, info in headers.items() if fmt is not None and (info.shape, np.dtype(info.dtype)) != fmt]  # fmt: skip
    for n in shot.frames:
        try:
            frame = read_input(shot.path(n))  # never blocks on a FIFO
        except FrameReadError as exc:
            print(f"unreadable  {exc}")
            continue
        if fmt is not None and (frame.shape, frame.dtype) != fmt:
            continue
        h, w = frame.shape[:2]
        ch = 1 if frame.ndim == 2 else frame.shape[2]
        layout = {1: "gray", 2: "gray+alpha", 3: "RGB", 4: "RGBA"}[ch]
        print(f"resolution  {w}x{h}")
        stored = headers[n].stored_dtype if n in headers else None  # an EXR of half floats: float16
        if stored is not None and stored != frame.dtype:
            kind = " float" if stored.kind == "f" else ""
            print(f"dtype       {stored} ({stored.itemsize * 8}-bit{kind}; read as {frame.dtype})")
        else:
            kind = " float" if frame.dtype.kind == "f" else ""
            print(f"dtype       {frame.dtype} ({frame.dtype.itemsize * 8}-bit{kind})")
        print(f"channels    {ch} ({layout})")
        break
    if other:
        many = len(other) > 1
        print(f"mismatched  {len(other)} frame{'s' if many else ''} (the batch fails {'them' if many else 'it'}): "
              + ", ".join(other[:5]) + (" ..." if len(other) > 5 else ""))  # fmt: skip
    return EXIT_OK


def cmd_plugins(args: argparse.Namespace) -> int:
    status = registry.status()
    disabled = os.environ.get("LAIKA_FX_DISABLE_PLUGINS", "").strip() not in ("", "0")
    failed = 0
    for info in status:
        kind = "built-in" if info.builtin else f"from {info.distribution or '?'}"
        if info.error:
            failed += 1
            print(f"FAILED  {info.name:<16} {kind:<22} {info.value}: {info.error}")
            continue
        cls = registry.get(info.name)
        print(f"ok      {info.name:<16} {kind:<22} {cls.description}")
        if args.verbose:
            for p in cls.params:
                print(f"          {cls.name}.{p.describe()}")
    if disabled:
        print("(third-party plugins disabled by LAIKA_FX_DISABLE_PLUGINS)")
    return EXIT_OK


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="laika-fx",
        description="Stop-motion clean-up for frame sequences: seam removal, camera alignment.",
    )
    parser.add_argument("--version", action="version", version=f"laika_fx {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def run_options(cmd: argparse.ArgumentParser) -> None:  # what batch and analyze share
        cmd.add_argument("input", help="folder of numbered frames, or a pattern (shot/frame.####.png)")
        cmd.add_argument("output", help="output folder (not the input folder, nor inside it)")
        cmd.add_argument("--plugins", help=f"comma-separated plugins in order (default: {','.join(DEFAULT_PLUGINS)})")
        cmd.add_argument("--frames", help="frame range, e.g. 1001-1100 or 1-20x2 (default: all)")
        cmd.add_argument("--set", action="append", metavar="PLUGIN.PARAM=VALUE", help="set a plugin parameter (repeatable)")
        cmd.add_argument("--preset", help="JSON preset of plugin settings (--set overrides it)")
        cmd.add_argument("--precision", choices=("int8", "fp32"),
                         help="model precision for every plugin that runs a model (default: int8)")
        cmd.add_argument("--workers", type=int, default=usable_cpus(),
                         help="worker threads (default: the CPUs this process may use, e.g. 1 under taskset -c 0)")
        cmd.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
        add_max_pixels(cmd)

    b = sub.add_parser("batch", help="run plugins over a shot and write the cleaned frames")
    run_options(b)
    b.add_argument("--chunk-size", type=int, metavar="N",
                   help="render the range in chunks of N frames (a farm task runs one chunk), using the sidecars "
                        "`laika-fx analyze` wrote; each chunk writes OUTPUT/reports/, merged by `laika-fx report`")  # fmt: skip
    b.add_argument("--save-masks", action="store_true", help="write OUTPUT/masks/<stem>.png (255 = inpainted seam)")
    b.add_argument("--export-shapes", action="store_true",
                   help="also write each frame's seam mask as vector shapes: OUTPUT/shapes/<stem>.seam.json and "
                        ".svg, and a Nuke script OUTPUT/shapes/seam.nk with a Roto node (docs/shapes.md)")
    b.add_argument("--mask-overrides", metavar="DIR", help="artist masks used instead of the detection "
                   "(default: <shot folder>.laika_fx/mask_overrides if it exists)")
    b.add_argument("--prompt", metavar="FILE", help="artist prompt: where the puppet is (JSON; default: "
                   "<shot folder>.laika_fx/prompt.json if it exists); lines inside are painted out, lines outside "
                   "left alone")
    b.add_argument("--puppet-box", action="append", metavar="X,Y,W,H",
                   help="the puppet's face is in this box (frame pixels) on every frame (repeatable)")
    b.add_argument("--puppet-point", action="append", metavar="X,Y[,R]",
                   help="a click on the puppet's face (a disc of radius R px, default 60) on every frame (repeatable)")
    b.add_argument("--resume", action="store_true", help="skip frames already in OUTPUT, reuse analysis sidecars")
    b.add_argument("--cache-mb", type=_number("--cache-mb", minimum=0, maximum=2**30), default=None, metavar="MB",
                   help="memory for frames decoded by the analyze pass and reused by the render pass "
                        f"(default: {DEFAULT_CACHE_MB:.0f}, 25 frames of 1080p, 6 of 4K; {LONG_SHOT_CACHE_MB:.0f} on shots of "
                        f"{LONG_SHOT_FRAMES}+ frames, whose helper processes need the memory meanwhile, {STREAMED_CACHE_MB:.0f} when "
                        "they render while the shot is analysed; none for "
                        "uncompressed TIFF; "
                        "0 = none: frames go to the spill, or with --spill-mb 0 are decoded again)")  # fmt: skip
    b.add_argument("--spill-mb", type=_number("--spill-mb", minimum=0, maximum=2**30), default=None, metavar="MB",
                   help="disk in OUTPUT for decoded frames the frame cache has no room for, read back by the render "
                        f"pass instead of decoding them again (default: {DEFAULT_SPILL_MB:.0f}, at most half the free "
                        "space; none for uncompressed TIFF nor for farm chunks unless given; 0 = none; removed when the run "
                        "ends, on SIGTERM and on a second Ctrl-C)")  # fmt: skip
    b.add_argument("--memory-mb", type=_number("--memory-mb", minimum=1, maximum=2**30), default=None, metavar="MB",
                   help="cap on the decoded frames held at once (frame cache + frames in flight); the cache "
                        "shrinks first, then the queues (default: no cap)")
    b.add_argument("--preview", metavar="MOVIE", help="also encode the output frames to an H.264 movie")
    b.add_argument("--fps", type=_number("--fps", minimum=0, maximum=1000, above=True), default=24.0, help="frame rate of the preview movie (default 24)")
    farm = b.add_mutually_exclusive_group()
    farm.add_argument("--scheduler", metavar="tcp://HOST:8786",
                      help="run the chunks on a running Dask cluster (farm extra; shared storage)")
    farm.add_argument("--local-cluster", type=int, metavar="N",
                      help="run the chunks on a Dask LocalCluster of N worker processes on this machine")
    b.add_argument("--output-format", choices=tuple(_io.OUTPUT_FORMATS),
                   help="write the frames as PNG, TIFF or EXR (default: the input's format); bit depth, "
                        "gray and alpha are kept")  # fmt: skip
    b.add_argument("--convert", action="store_true",
                   help="let --output-format change the sample type: 8/16-bit to float EXR as value/max, "
                        "float to 16-bit PNG clipped to 0..1")  # fmt: skip
    b.add_argument("--png-compression", choices=_io.PNG_COMPRESSIONS, default="fast",
                   help="fast: 8-bit RGB(A) written ~6x faster, files ~10-17%% larger than OpenCV's; "
                        "small: zlib level 6, files ~21%% smaller, ~7x slower; both lossless (default: fast)")  # fmt: skip
    b.set_defaults(func=cmd_batch)

    a = sub.add_parser("analyze", help="write the analysis sidecars only (once, before the chunks of a farm run)")
    run_options(a)
    a.set_defaults(func=cmd_analyze)

    r = sub.add_parser("report", help="merge the chunk reports of OUTPUT/reports/ into OUTPUT/laika_fx_report.json")
    r.add_argument("output", help="output folder of a chunked run")
    r.set_defaults(func=cmd_report)

    t = sub.add_parser("farm-template", help="write an Open Job Description job template (AWS Deadline Cloud)")
    t.add_argument("template", help="file to write (JSON)")
    t.add_argument("--frames", default="1001-1100", help="default frame range of the job (default 1001-1100)")
    t.add_argument("--chunk-size", type=int, default=10, help="frames per render task (default 10)")
    t.add_argument("--plugins", default=",".join(DEFAULT_PLUGINS), help="default plugin chain")
    t.add_argument("--input", help="default shot folder or pattern")
    t.add_argument("--output", help="default output folder")
    t.add_argument("--set", action="append", metavar="PLUGIN.PARAM=VALUE", help="plugin setting for every task")
    t.add_argument("--python", action="store_true", help="run `python -m laika_fx` with this Python, not `laika-fx`")
    t.set_defaults(func=cmd_farm_template)

    i = sub.add_parser("info", help="frames, range, gaps, resolution, bit depth and channels of a shot")
    i.add_argument("input")
    i.add_argument("--frames")
    add_max_pixels(i)
    i.set_defaults(func=cmd_info)

    p = sub.add_parser("plugins", help="list plugins found and plugins that failed to load")
    p.add_argument("-v", "--verbose", action="store_true", help="also list parameters")
    p.set_defaults(func=cmd_plugins)

    add_commands(sub)
    return parser


def _pixel_count(text: str) -> int:
    try:
        return _io.parse_pixel_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_max_pixels(parser: argparse.ArgumentParser) -> None:
    limit = _io.MAX_PIXELS or 0
    side = int(limit**0.5)
    default = f"{side}x{side}" if side * side == limit else str(limit)
    parser.add_argument("--max-pixels", type=_pixel_count, default=None, metavar="N|WxH",
                        help="refuse frames with more pixels than this, from their header, before decoding "
                             f"(default: {default}; 0 = no limit)")  # fmt: skip


def add_commands(sub) -> list[tuple[str, str, str]]:
    """Subcommands registered through the ``laika_fx.commands`` entry point group, added to
    ``sub``; a group that fails to load or register is reported on stderr and skipped.
    ``LAIKA_FX_DISABLE_PLUGINS`` leaves out those of other distributions, as for plugins.

    Returns the failures as ``(name, "module:function", error)``.
    """
    failed = []
    disabled = os.environ.get("LAIKA_FX_DISABLE_PLUGINS", "").strip() not in ("", "0")
    for ep in sorted(entry_points(group=COMMANDS_ENTRY_POINT_GROUP), key=lambda e: e.name):
        if disabled and (ep.dist is None or ep.dist.name not in BUILTIN_DISTRIBUTIONS):
            continue
        known = set(sub.choices)
        try:
            ep.load()(sub)
        except Exception as exc:  # a broken command module must never take the command down
            for name in set(sub.choices) - known:  # drop what it added before failing
                _remove_subcommand(sub, name)
            error = traceback.format_exception_only(type(exc), exc)[-1].strip()
            failed.append((ep.name, ep.value, error))
            print(f"laika-fx: warning: commands {ep.name!r} ({ep.value}) failed to load: {error}", file=sys.stderr)
    return failed


def _remove_subcommand(sub, name: str) -> None:
    sub.choices.pop(name, None)
    sub._choices_actions[:] = [a for a in sub._choices_actions if a.dest != name]


class _ReaderMayLeave:
    """``sys.stdout`` for one command: if the reader of a pipe leaves (``laika-fx info
    shot | head -1``), the rest of the output goes to /dev/null and the exit code stays
    that of the work done, not an internal error after every frame was written."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def _drop(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._drop()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._drop()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    stdout = sys.stdout
    if stdout is None:
        return _main(argv)
    sys.stdout = _ReaderMayLeave(stdout)
    try:
        return _main(argv)
    finally:
        sys.stdout.flush()  # still guarded: most output waits in the buffer until here
        sys.stdout = stdout


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 1 <= getattr(args, "workers", 1) <= MAX_WORKERS:
        print(f"laika-fx: error: --workers must be between 1 and {MAX_WORKERS}", file=sys.stderr)
        return EXIT_USAGE
    if getattr(args, "local_cluster", None) is not None and not 1 <= args.local_cluster <= MAX_WORKERS:
        print(f"laika-fx: error: --local-cluster must be between 1 and {MAX_WORKERS}", file=sys.stderr)
        return EXIT_USAGE
    if getattr(args, "chunk_size", None) is not None and args.chunk_size < 1:
        print("laika-fx: error: --chunk-size must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        with _io.pixel_limit(getattr(args, "max_pixels", None)):
            return args.func(args)
    except (UsageError, ShotError, BatchError) as exc:
        print(f"laika-fx: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("laika-fx: aborted", file=sys.stderr)
        return EXIT_ABORTED
    except Exception as exc:  # a bug: still one line for the user, the traceback on request
        if os.environ.get("LAIKA_FX_DEBUG"):
            raise
        print(f"laika-fx: internal error: {type(exc).__name__}: {exc} (LAIKA_FX_DEBUG=1 shows the traceback)",
              file=sys.stderr)  # fmt: skip
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
