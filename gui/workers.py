"""Worker threads: the single-frame preview and the batch queue.

Both run laika_fx code off the GUI thread and report back through Qt signals (queued
to the receiver's thread), so the window never freezes and never touches a widget
from a worker.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from laika_fx.pipeline import (
    BatchOptions,
    Cancel,
    Progress,
    render_frame,
    run_analyze,
    run_batch,
)
from laika_fx.plugins import Plugin, PluginSpec, build_plugins
from laika_fx.sequence import open_shot

__all__ = [
    "PluginSpec",
    "PreviewRequest",
    "PreviewResult",
    "PreviewWorker",
    "PluginPool",
    "BatchJob",
    "BatchRunner",
]


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


# --------------------------------------------------------------------------- preview
# A plugin's first render runs alone in the process (the preview's and the render cache's
# threads alike), as the batch runs its first frame alone: lazy set-up never runs in two
# threads at once, and neither does OpenVINO's first inference, whose process-wide
# initialisation deadlocked when two threads did it together (see pipeline._render_pass).
_FIRST_RENDERS = threading.Lock()


class PluginPool:
    """Prepared plugin instances kept per (name, settings), so models load once, not per
    frame or per slider move; each gets the analysis it is given. Thread-safe to ask; the
    instances themselves are shared the way the batch's render workers share them."""

    def __init__(self, size: int = 6) -> None:
        self._plugins: OrderedDict[tuple, Plugin] = OrderedDict()
        self._rendered: set[tuple] = set()  # keys of instances that have rendered a frame
        self._size = size
        self._lock = threading.Lock()

    @staticmethod
    def _key(name: str, settings: dict[str, Any]) -> tuple:
        return (name, tuple(sorted(settings.items())))

    @contextlib.contextmanager
    def first_render_guard(self, specs: list[PluginSpec]) -> Iterator[None]:
        """Hold the process-wide first-render lock while a chain with an instance that has
        not rendered yet renders; a chain that has rendered runs freely."""
        keys = {self._key(name, settings) for name, settings in specs}
        with self._lock:
            fresh = not keys <= self._rendered
        if not fresh:
            yield
            return
        with _FIRST_RENDERS:
            yield
            with self._lock:
                self._rendered |= keys & set(self._plugins)

    def get(self, name: str, settings: dict[str, Any], analysis: dict | None) -> Plugin:
        key = self._key(name, settings)
        with self._lock:
            plugin = self._plugins.get(key)
            if plugin is None:
                (plugin,) = build_plugins([(name, settings)])
                plugin.prepare()
                self._plugins[key] = plugin
                while len(self._plugins) > self._size:
                    self._rendered.discard(self._plugins.popitem(last=False)[0])
            self._plugins.move_to_end(key)
            if analysis is not None and plugin.analysis is not analysis:
                plugin.set_analysis(analysis)
        return plugin

    def chain(self, specs: list[PluginSpec], analyses: dict[str, dict]) -> list[Plugin]:
        """The prepared chain for ``specs`` (``(name, settings)`` in order)."""
        return [self.get(name, settings, analyses.get(name)) for name, settings in specs]


@dataclass
class PreviewRequest:
    """Render ``source`` (frame ``frame`` of the shot) through ``plugins`` (the batch's ``render_frame``)."""

    frame: int
    source: np.ndarray
    plugins: list[PluginSpec]
    path: Path | None = None
    mask_override: np.ndarray | None = None
    analyses: dict[str, dict] = field(default_factory=dict)
    read_source: Callable[[int], np.ndarray] | None = None
    prompt: list = field(default_factory=list)  # where the artist says the puppet is (prompt regions)
    id: int = 0


@dataclass
class PreviewResult:
    """What one preview produced: the frame, the masks plugins made, or an error."""

    id: int
    frame: int
    output: np.ndarray | None
    masks: dict[str, np.ndarray]
    error: str | None
    seconds: float
    notes: dict[str, Any] = field(default_factory=dict)  # the plugins' notes on the frame (as in the report)


class PreviewWorker(QObject):
    """Renders the current frame on one background thread; the newest request wins.

    ``submit`` never blocks: it replaces any request not yet started, and results of
    requests older than the newest are dropped, so dragging a slider never queues work.
    Plugin instances are kept per (name, settings) so models load once, not per frame.

    Signals
    -------
    finished(PreviewResult) : the newest request is done (on the GUI thread).
    busy(bool) : rendering started / the thread went idle.
    """

    finished = Signal(object)
    busy = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cond = threading.Condition()
        self._pending: PreviewRequest | None = None
        self._latest = 0
        self._stop = False
        self._plugins = PluginPool()
        self._thread = threading.Thread(target=self._loop, name="laika-gui-preview", daemon=True)
        self._thread.start()

    def submit(self, request: PreviewRequest) -> int:
        """Queue ``request`` (superseding any pending one); returns its id."""
        with self._cond:
            self._latest += 1
            request.id = self._latest
            self._pending = request
            self._cond.notify()
        return request.id

    @property
    def latest(self) -> int:
        return self._latest

    def stop(self) -> None:
        """End the thread (after the render in flight)."""
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                req, self._pending = self._pending, None
            self.busy.emit(True)
            t0 = time.perf_counter()
            out: np.ndarray | None = None
            masks: dict[str, np.ndarray] = {}
            notes: dict[str, Any] = {}
            error = None
            try:
                plugins = self._plugins.chain(req.plugins, req.analyses)
                with self._plugins.first_render_guard(req.plugins):
                    out, masks = render_frame(
                        req.source, plugins, frame=req.frame, path=req.path, mask_override=req.mask_override,
                        read_source=req.read_source, prompt=req.prompt, notes=notes,
                    )  # fmt: skip
            except Exception as exc:  # shown in the notification bar, never fatal
                out, masks, error = None, {}, f"preview of frame {req.frame} failed: {_error_text(exc)}"
                traceback.print_exc()
            result = PreviewResult(req.id, req.frame, out, dict(masks), error, time.perf_counter() - t0, notes)
            with self._cond:
                idle = self._pending is None
                current = req.id == self._latest
            if current:
                self.finished.emit(result)
            if idle:
                self.busy.emit(False)


# --------------------------------------------------------------------------- batch
@dataclass
class BatchJob:
    """One queued shot: where it comes from, where it goes, with which settings."""

    source: str
    output: Path
    plugins: list[PluginSpec]
    frames: str | None = None
    workers: int = 0  # 0: every core
    save_masks: bool = True
    export_shapes: bool = False  # also the saved masks as shapes (JSON, SVG, Nuke Roto) in OUTPUT/shapes
    analyze_only: bool = False
    status: str = "queued"  # queued, running, done, failed, cancelled
    report: dict | None = None
    error: str | None = None
    id: int = 0

    @property
    def name(self) -> str:
        return Path(self.source).name or self.source


class BatchRunner(QObject):
    """Runs queued jobs one after another on a QThread with ``run_batch``.

    Signals
    -------
    job_started(int) : job id.
    progress(int, ProgressEvent) : from the pipeline's Progress, marshalled to the GUI thread.
    job_finished(int) : the job's status, report and error are filled in.
    queue_finished() : nothing left to run (or the run was cancelled).
    """

    job_started = Signal(int)
    progress = Signal(int, object)
    job_finished = Signal(int)
    queue_finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._cancel = Cancel()
        self._stop_queue = threading.Event()
        self._jobs: list[BatchJob] = []
        self._current: BatchJob | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def start(self, jobs: list[BatchJob]) -> None:
        """Run ``jobs`` (their status is updated in place) in the background."""
        if self.running:
            raise RuntimeError("a batch is already running")
        self._jobs = jobs
        self._cancel = Cancel()
        self._stop_queue.clear()
        self._thread = _FunctionThread(self._run_all, self)
        self._thread.finished.connect(self.queue_finished)
        self._thread.start()

    def cancel(self) -> None:
        """Stop the running job after the frames in flight and skip the rest of the queue."""
        self._stop_queue.set()
        self._cancel.set()

    def cancel_job(self, job: BatchJob) -> None:
        """Cancel one job: the running one stops after the frames in flight and the queue
        goes on with the next; a queued one is skipped (status ``cancelled`` at once)."""
        if job.status == "running" and self._current is job:
            self._cancel.set()
        elif job.status == "queued":
            job.status = "cancelled"
            self.job_finished.emit(job.id)

    def wait(self, ms: int = 30000) -> bool:
        return self._thread.wait(ms) if self._thread is not None else True

    def _run_all(self) -> None:
        for job in self._jobs:
            if self._stop_queue.is_set():
                break
            if job.status != "queued":
                continue
            self._run_one(job)

    def _run_one(self, job: BatchJob) -> None:
        self._cancel = Cancel()  # each job its own: cancelling one leaves the next to run
        if self._stop_queue.is_set():
            self._cancel.set()
        self._current = job
        job.status, job.report, job.error = "running", None, None
        self.job_started.emit(job.id)
        progress = Progress()
        progress.subscribe(lambda ev, i=job.id: self.progress.emit(i, ev))
        try:
            shot = open_shot(job.source, frames=job.frames)
            plugins = build_plugins(job.plugins)
            opts = BatchOptions(workers=job.workers or BatchOptions().workers, save_masks=job.save_masks,
                                export_shapes=job.export_shapes)  # fmt: skip
            if job.analyze_only:
                job.report = _analyze_report(shot, job.output, plugins, opts.workers, progress, self._cancel)
            else:
                job.report = run_batch(shot, job.output, plugins, opts, progress=progress, cancel=self._cancel)
            if self._cancel.is_set():
                job.status = "cancelled"
            elif job.report.get("frames_failed"):
                job.status = "failed"
                job.error = f"{len(job.report['frames_failed'])} frames failed"
            else:
                job.status = "done"
        except Exception as exc:  # one bad job never takes the queue (or the window) down
            job.status, job.error = "failed", _error_text(exc)
            traceback.print_exc()
        self.job_finished.emit(job.id)


def _analyze_report(shot, output: Path, plugins: list[Plugin], workers: int, progress: Progress,
                    cancel: threading.Event) -> dict:  # fmt: skip
    """The analyze pass alone (the library's ``run_analyze``), summed up as a job report."""
    t0 = time.perf_counter()
    analyses = run_analyze(shot, output, plugins, workers=workers, progress=progress, cancel=cancel)
    progress.start("done", 0)
    return {
        "analyzed": list(analyses),
        "wall_seconds": round(time.perf_counter() - t0, 3),
        "output": str(Path(output)),
        "cancelled": cancel.is_set(),
    }


class _FunctionThread(QThread):
    def __init__(self, fn: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn

    def run(self) -> None:
        self._fn()
