"""Throughput report: ``OUTPUT/laika_fx_report.json`` and the printed summary.

Frames per minute is what producers plan a stage with; it is the headline number.
Per-stage figures are the *cost* of each stage, per frame and per worker thread
(stages overlap, so their sum is larger than the wall time per frame).
"""

from __future__ import annotations

import json
import os
import platform
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import __version__
from .io import atomic_write_bytes

if TYPE_CHECKING:
    from .plugins import Plugin
    from .sequence import Shot

__all__ = ["REPORT_NAME", "StageTimes", "build_report", "write_report", "format_summary"]

REPORT_NAME = "laika_fx_report.json"


class StageTimes:
    """Thread-safe accumulator of seconds spent per stage and frames seen per stage."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds: dict[str, float] = {}
        self.count: dict[str, int] = {}

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
            self.count[stage] = self.count.get(stage, 0) + 1

    def table(self) -> dict[str, dict[str, float]]:
        """``{stage: {ms_per_frame, frames_per_minute, share}}`` in first-seen order."""
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
            return out


def _precision(plugins: Sequence[Plugin]) -> str:
    values = sorted({str(p.settings["precision"]) for p in plugins if "precision" in p.settings})
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
        "frames_written": len(written),
        "frames_skipped": len(skipped),
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
        "machine": {"cpu_count": _cpu_count(), "platform": platform.platform()},
    }


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def write_report(output: Path, report: dict) -> Path:
    path = Path(output) / REPORT_NAME
    atomic_write_bytes(path, (json.dumps(report, indent=2) + "\n").encode())
    return path


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
        f"  wall      {report['wall_seconds']:.2f} s",
        f"  THROUGHPUT  {report['frames_per_minute']:.1f} frames per minute",
    ]
    if report["gaps"]:
        lines.append(f"  gaps      {len(report['gaps'])} missing frame numbers in the shot: {_short(report['gaps'])}")
    if report["stages"]:
        lines.append("  stage                      ms/frame   frames/min/worker   share")
        for name, s in report["stages"].items():
            # a stage under 0.05 ms per frame (e.g. reads served by the frame cache) has no meaningful rate
            fpm = f"{s['frames_per_minute']:.0f}" if s["frames_per_minute"] and s["ms_per_frame"] >= 0.05 else "-"
            lines.append(f"  {name:<26} {s['ms_per_frame']:>8.1f}   {fpm:>17}   {100 * s['share']:>4.0f}%")
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
