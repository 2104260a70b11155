"""Throughput report: ``OUTPUT/laika_fx_report.json`` and the printed summary.

Frames per minute is what producers plan a stage with; it is the headline number.
Per-stage figures are the *cost* of each stage, per frame and per worker thread
(stages overlap, so their sum is larger than the wall time per frame): wall milliseconds in
the thread that ran the stage and, beside them, that thread's CPU milliseconds.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import threading
import time
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import __version__
from .accelerators.runtime import usable_cpus
from .io import atomic_write_bytes

if TYPE_CHECKING:
    from .plugins import Plugin
    from .sequence import Shot

__all__ = [
    "REPORT_NAME", "CHUNK_REPORTS", "add_unrendered", "StageTimes", "build_report", "write_report", "format_summary",
    "chunk_report_name", "merge_reports",
]  # fmt: skip

REPORT_NAME = "laika_fx_report.json"
#: folder in OUTPUT holding the reports of the chunks of a farm run
CHUNK_REPORTS = "reports"


class StageTimes:
    """Thread-safe accumulator of seconds spent per stage and frames seen per stage.

    Two clocks per stage: wall time in the thread that ran it (what a frame waited,
    including waiting for a core, the GIL or a lock) and that thread's CPU time (what the
    frame cost, whatever else ran; OpenVINO runs each inference in the calling thread, so
    it is counted). Wall per stage grows with the load and with the number of threads
    sharing the cores; CPU does not.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self.count: dict[str, int] = {}

    def add(self, stage: str, seconds: float, cpu_seconds: float | None = None) -> None:
        with self._lock:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
            self.count[stage] = self.count.get(stage, 0) + 1
            if cpu_seconds is not None:
                self.cpu_seconds[stage] = self.cpu_seconds.get(stage, 0.0) + cpu_seconds

    @contextmanager
    def measure(self, stage: str):
        """Add the wall and thread CPU time of the ``with`` block to ``stage`` (also when it raises)."""
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - t0, time.thread_time() - c0)

    def table(self) -> dict[str, dict[str, float]]:
        """``{stage: {ms_per_frame, frames_per_minute, share, frames[, cpu_ms_per_frame]}}`` in
        first-seen order."""
        with self._lock:
            total = sum(self.seconds.values()) or 1.0
            out = {}
            for stage, sec in self.seconds.items():
                n = max(1, self.count[stage])
                ms = 1000.0 * sec / n
                out[stage] = {
                    "ms_per_frame": round(ms, 2),
                    "frames_per_minute": round(60000.0 / ms, 1) if ms > 0 else None,
                    "share": round(sec / total, 4),
                    "frames": self.count[stage],
                }
                if stage in self.cpu_seconds:
                    out[stage]["cpu_ms_per_frame"] = round(1000.0 * self.cpu_seconds[stage] / n, 2)
            return out


def _precision(plugins: Sequence[Plugin]) -> str:
    values = sorted({v for p in plugins if (v := p.model_precision()) is not None})  # e.g. stabilize's aligner
    return ",".join(values) if values else "n/a"


def build_report(
    *,
    shot: Shot,
    output: Path,
    plugins: Sequence[Plugin],
    frame_shape: tuple,
    dtype: np.dtype,
    written: list[int],
    skipped: list[int],
    failures: list[dict],
    wall_seconds: float,
    timer: StageTimes,
    workers: int,
    cancelled: bool,
    mask_overrides: Path | None,
) -> dict:
    """The report dictionary (see the output contract in the README)."""
    fpm = 60.0 * len(written) / wall_seconds if wall_seconds > 0 else 0.0
    return {
        "version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "input": str(shot.directory / shot.pattern),
        "output": str(output),
        "frame_range": shot.frame_range,
        "gaps": shot.gaps,
        "frames_total": len(shot.requested),
        "frames_requested": _range(shot.requested),
        "frames_written": len(written),
        "frames_written_list": _range(written),
        "frames_skipped": len(skipped),
        "frames_skipped_list": _range(skipped),
        "frames_failed": failures,
        "cancelled": cancelled,
        "wall_seconds": round(wall_seconds, 3),
        "frames_per_minute": round(fpm, 1),
        "stages": timer.table(),
        "resolution": [int(frame_shape[1]), int(frame_shape[0])],
        "channels": 1 if len(frame_shape) == 2 else int(frame_shape[2]),
        "dtype": str(np.dtype(dtype)),
        "precision": _precision(plugins),
        "workers": workers,
        "plugins": [{"name": p.name, "settings": dict(p.settings)} for p in plugins],
        "mask_overrides": str(mask_overrides) if mask_overrides else None,
        "machine": {"cpu_count": usable_cpus(), "platform": machine_platform()},
    }


@functools.cache
def machine_platform() -> str:
    """``platform.platform()``, computed once per process.

    Its first call runs ``uname -p`` (CPython asks for the processor's name) in a child that
    the batch process starts with ``vfork``: until the child runs ``uname`` it shares the
    batch's memory, and a process-tree RSS sum counts the whole batch twice for those ~3 ms
    (a 96-frame 1080p run, asked at its report: 701 and 771 MB peaks instead of ~470 and ~550
    in 2 of ~30 runs). :func:`laika_fx.pipeline.run_batch` asks at its start, while the process
    is small; the string is the same.
    """
    return platform.platform()


def _range(frames) -> str:
    from .sequence import format_frame_range

    return format_frame_range(sorted(frames))


def write_report(output: Path, report: dict, *, path: Path | None = None) -> Path:
    """Write ``report`` atomically to ``path`` (default ``OUTPUT/laika_fx_report.json``)."""
    path = Path(path) if path is not None else Path(output) / REPORT_NAME
    atomic_write_bytes(path, (json.dumps(report, indent=2) + "\n").encode())
    return path


def chunk_report_name(frames: Sequence[int]) -> str:
    """File name of the report of the chunk rendering ``frames`` (in ``OUTPUT/reports/``)."""
    from .sequence import format_frame_range

    return f"laika_fx_report.{format_frame_range(list(frames)) or 'none'}.json"


#: fields every chunk of one run shares; merge_reports refuses chunks that differ in them
_SHARED = ("input", "output", "frame_range", "gaps", "resolution", "channels", "dtype", "precision", "plugins")


def merge_reports(reports: Sequence[dict]) -> dict:
    """One report for a run rendered in chunks (``laika-fx batch --chunk-size``, a farm).

    Frame accounting is by frame, each frame counted once: a frame requested by several
    chunk reports (a re-run chunk, overlapping ranges) takes its state from the newest
    report (``created``). Counts, failures, notes (re-summed from the chunks' per-frame
    ``frame_notes`` by each plugin) and the frame range match what one
    ``laika-fx batch`` over the whole range reports; ``wall_seconds`` and the stage costs
    add up the chunks' (machine time, not elapsed time); ``chunks`` lists the merged files.

    Raises
    ------
    ValueError
        If there is no report, a report lacks the per-frame lists, or the chunks are of
        different runs (input, output, format or plugin settings differ).
    """
    from .sequence import format_frame_range, parse_frame_range

    if not reports:
        raise ValueError("no chunk reports to merge")
    reports = sorted(reports, key=lambda r: (str(r.get("created", "")), str(r.get("frames_requested", ""))))
    first = reports[0]
    for r in reports[1:]:
        for key in _SHARED:
            if r.get(key) != first.get(key):
                raise ValueError(f"chunk reports of different runs: {key} differs "
                                 f"({r.get(key)!r:.60} vs {first.get(key)!r:.60})")  # fmt: skip
    state: dict[int, tuple[str, dict | None]] = {}
    for r in reports:
        try:
            written = parse_frame_range(r["frames_written_list"]) if r["frames_written_list"] else []
            skipped = parse_frame_range(r["frames_skipped_list"]) if r["frames_skipped_list"] else []
            requested = parse_frame_range(r["frames_requested"]) if r["frames_requested"] else []
        except (KeyError, ValueError) as exc:
            raise ValueError(f"a chunk report without per-frame lists ({exc})") from None
        failed = {int(f["frame"]): f for f in r["frames_failed"]}
        for n in requested:
            if n in failed:
                state[n] = ("failed", failed[n])
            elif n in written:
                state[n] = ("written", None)
            elif n in skipped:
                state[n] = ("skipped", None)
            else:  # not reached: a cancelled chunk
                state[n] = ("cancelled", None)
    frames = sorted(state)
    by = {k: [n for n in frames if state[n][0] == k] for k in ("written", "skipped", "failed", "cancelled")}
    wall = sum(float(r["wall_seconds"]) for r in reports)
    stages: dict[str, dict] = {}
    for r in reports:
        for name, st in r.get("stages", {}).items():
            acc = stages.setdefault(name, {"seconds": 0.0, "frames": 0, "cpu": 0.0, "cpu_frames": 0})
            acc["seconds"] += st["ms_per_frame"] * st["frames"] / 1000.0
            acc["frames"] += st["frames"]
            if "cpu_ms_per_frame" in st:
                acc["cpu"] += st["cpu_ms_per_frame"] * st["frames"] / 1000.0
                acc["cpu_frames"] += st["frames"]
    total_s = sum(a["seconds"] for a in stages.values()) or 1.0
    merged = dict(first)
    merged.update({
        "created": max(str(r.get("created", "")) for r in reports),
        "frames_total": len(frames),
        "frames_requested": format_frame_range(frames),
        "frames_written": len(by["written"]),
        "frames_written_list": format_frame_range(by["written"]),
        "frames_skipped": len(by["skipped"]),
        "frames_skipped_list": format_frame_range(by["skipped"]),
        "frames_failed": [state[n][1] for n in by["failed"]],
        "cancelled": bool(by["cancelled"]) or any(r.get("cancelled") for r in reports),
        "wall_seconds": round(wall, 3),
        "frames_per_minute": round(60.0 * len(by["written"]) / wall, 1) if wall > 0 else 0.0,
        "stages": {
            name: {
                "ms_per_frame": round(1000.0 * a["seconds"] / max(1, a["frames"]), 2),
                "frames_per_minute": round(60.0 * a["frames"] / a["seconds"], 1) if a["seconds"] > 0 else None,
                "share": round(a["seconds"] / total_s, 4),
                "frames": a["frames"],
                **({"cpu_ms_per_frame": round(1000.0 * a["cpu"] / a["cpu_frames"], 2)} if a["cpu_frames"] else {}),
            }
            for name, a in stages.items()
        },
        "workers": max(int(r.get("workers", 1)) for r in reports),
        # each chunk's from its own start: the merged run's is the quickest chunk's
        "time_to_first_frame_s": min(
            (float(t) for r in reports if (t := r.get("time_to_first_frame_s")) is not None), default=None
        ),
        "analysis_notes": sorted({n for r in reports for n in r.get("analysis_notes", [])}),
        "notes": _merged_notes(reports, set(by["written"]), first.get("plugins", [])),
        "chunks": [r.get("frames_requested", "") for r in reports],
    })  # fmt: skip
    merged.pop("frame_notes", None)
    merged.pop("frame_cache", None)
    merged.pop("report_error", None)
    return merged


def add_unrendered(merged: dict, output: str | os.PathLike) -> list[int]:
    """Count the frames the shot's analysis covers but no chunk report does as failed.

    The analysis sidecars ``OUTPUT/<plugin>.json`` that ``laika-fx analyze`` wrote for the
    run's plugins list the frames of the whole range (``frames: [{"frame": n, ...}]``); a
    frame there that no merged chunk rendered (a chunk never run, or lost) is added to
    ``merged``'s ``frames_failed`` and ``frames_total``. Returns those frames, sorted.
    """
    import fileseq

    from .sequence import format_frame_range, parse_frame_range

    expected: set[int] = set()
    for entry in merged.get("plugins") or []:
        name = entry.get("name") if isinstance(entry, dict) else None
        try:
            doc = json.loads((Path(output) / f"{name}.json").read_text()) if name else None
            expected |= {int(f["frame"]) for f in doc.get("frames", [])} if isinstance(doc, dict) else set()
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            continue  # no sidecar (a plugin without analysis) or not one to read frames from
    requested = merged.get("frames_requested")
    covered = set(parse_frame_range(requested)) if requested else set()
    missing = sorted(expected - covered)
    if not missing:
        return []
    try:
        seq = fileseq.FileSequence(str(merged.get("input", "")))
        name_of = lambda n: Path(seq.frame(n)).name  # noqa: E731
        name_of(missing[0])
    except Exception:
        name_of = lambda n: ""  # noqa: E731
    merged["frames_failed"] = sorted(
        [*merged["frames_failed"], *({"frame": n, "file": name_of(n), "error": "not rendered: no chunk report "
                                      "covers it (a farm task not run, or its report lost)"} for n in missing)],
        key=lambda f: int(f["frame"]),
    )  # fmt: skip
    merged["frames_total"] += len(missing)
    merged["frames_requested"] = format_frame_range(sorted(covered | set(missing)))
    return missing


def _merged_notes(reports: Sequence[dict], written: set[int], plugins: Sequence[dict]) -> dict:
    """The report's ``notes`` section of a chunked run: the chunks' per-frame notes of the
    frames written (newest report first), summed up by each plugin as one run would."""
    from .plugins import registry

    by_frame: dict[int, dict] = {}
    for r in reports:  # oldest first: a later report's notes replace an earlier one's
        for key, value in (r.get("frame_notes") or {}).items():
            if int(key) in written:
                by_frame[int(key)] = value
    out = {}
    for entry in plugins:
        name = entry.get("name") if isinstance(entry, dict) else None
        notes = {n: v[name] for n, v in sorted(by_frame.items()) if isinstance(v, dict) and name in v}
        if not notes:
            continue
        try:
            out[name] = registry.get(name).summarize_notes(notes)
        except Exception as exc:  # as in the batch: a plugin's bug costs its section only
            out[name] = {"error": f"summarize_notes failed: {type(exc).__name__}: {exc}"}
    return out


def format_summary(report: dict) -> str:
    """A short human summary of a report (printed at the end of ``laika-fx batch``)."""
    w, h = report["resolution"]
    failed = report["frames_failed"]
    lines = [
        f"laika_fx {report['version']}  {report['input']} -> {report['output']}",
        f"  frames    {report['frames_written']} written / {report['frames_total']} requested"
        + (f", {report['frames_skipped']} already done (resume)" if report["frames_skipped"] else "")
        + (f", {len(failed)} FAILED" if failed else "")
        + ("  [CANCELLED]" if report["cancelled"] else ""),
        f"  format    {w}x{h} {report['dtype']} x{report['channels']}   precision {report['precision']}"
        f"   workers {report['workers']}",
        f"  wall      {report['wall_seconds']:.2f} s"
        + (f"   first frame after {ttf:.2f} s" if (ttf := report.get("time_to_first_frame_s")) is not None else ""),
        f"  THROUGHPUT  {report['frames_per_minute']:.1f} frames per minute",
    ]
    if report["gaps"]:
        lines.append(f"  gaps      {len(report['gaps'])} missing frame numbers in the shot: {_short(report['gaps'])}")
    if report["stages"]:
        lines.append("  stage                      ms/frame   CPU ms   frames/min/worker   share")
        for name, s in report["stages"].items():
            # a stage under 0.05 ms per frame (e.g. reads served by the frame cache) has no meaningful rate
            fpm = f"{s['frames_per_minute']:.0f}" if s["frames_per_minute"] and s["ms_per_frame"] >= 0.05 else "-"
            cpu = f"{s['cpu_ms_per_frame']:.1f}" if "cpu_ms_per_frame" in s else "-"
            lines.append(f"  {name:<26} {s['ms_per_frame']:>8.1f}   {cpu:>6}   {fpm:>17}   {100 * s['share']:>4.0f}%")
    for note in report.get("analysis_notes", ()):
        lines.append(f"  NOTE      {note}")
    if report.get("prompt"):
        lines.append(f"  prompt    {report['prompt']}")
    for name, section in (report.get("notes") or {}).items():
        if isinstance(section, dict) and section.get("summary"):
            lines.append(f"  {name}: {section['summary']}")
    for f in failed[:20]:
        lines.append(f"  FAILED frame {f['frame']} ({f['file']}): {f['error']}")
    if len(failed) > 20:
        lines.append(f"  ... and {len(failed) - 20} more failures (see {REPORT_NAME})")
    return "\n".join(lines)


def _short(frames: list[int]) -> str:
    from .sequence import format_frame_range

    return format_frame_range(frames)
