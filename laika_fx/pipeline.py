"""The batch pipeline: an analyze pass over the whole shot, then a render pass.

Render pass::

    reader threads ──► bounded queue ──► render workers ──► bounded queue ──► writer threads ──► commit thread
    (decode, check)                      (plugin chain)                     (encode into a     (fsync, rename,
     or frame cache                                                          temporary file)    fsync folder)

Reading, computing and writing overlap; the queues are bounded so memory stays flat
on long shots. OpenCV and OpenVINO release the GIL, so threads give real overlap.

**Decode once, hold little.** The analyze pass decodes every frame; a :class:`FrameCache`
keeps the first decoded frames (read-only) within ``BatchOptions.cache_mb`` (default 150 MB:
25 1080p 8-bit RGB frames, so a 24-frame shot is decoded once; 96 MB on shots of 48+ frames,
whose helper processes need memory meanwhile; none for uncompressed TIFF, which reads
faster than it keeps) and spills the frames it has no room for to raw files, and the render
pass takes them from it instead of decoding them again. The render pass decodes or reads
back each other frame once (a plugin's neighbour read and the frame's reader share the
array) and releases every frame, kept or decoded, once it and the :data:`RELEASE_LAG`
frames after it are rendered, so memory stays bounded on long shots.

**Durable, atomic outputs without an fsync on the render path.** A writer thread
encodes each frame into a temporary file beside its final name (``.<name>.*.part<ext>``)
and hands it to one commit thread, which fsyncs the file, renames it to its final name
(a saved mask first, the frame last) and fsyncs the output folder once per batch of
frames; only then is the frame counted as written. So a file under a final name is
always complete and on disk, after a cancel, a crash or a power cut; ``--resume``
trusts a frame exactly when its file exists under its final name (a frame whose
commit had not finished is rendered again). A killed run may leave ``.part`` files
behind, never a partial file under a final name; the next run over the same frames
removes them (:func:`remove_stale_parts`). The report is written (atomically, synced)
after the last commit.

**Streamed analysis.** When the chain's only analysis lets a frame's render read only
per-frame results that are final before the whole shot is analysed
(:meth:`~laika_fx.plugins.Plugin.streams_analysis`), the render pass runs beside it and
renders each frame once the analysis marked it final (:class:`AnalysisGate`,
:func:`_analyze_while_rendering`): same bytes, first frames much sooner. Otherwise
(:func:`_streams` says which settings) the passes run one after the other.

One :class:`Progress` object reports both passes to any number of listeners (the CLI
bar, the GUI); :class:`Cancel` stops a run cleanly between frames (frames renamed into
place stay, frames not yet committed are dropped with their temporary files; nothing
half-written is left).
"""

from __future__ import annotations

import bisect
import functools
import json
import os
import queue
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .accelerators.runtime import usable_cpus
from .encoder import start_png_encoder
from .heap import configure_heap
from .io import (
    OUTPUT_FORMATS,
    PNG_COMPRESSIONS,
    FrameInfo,
    FrameReadError,
    atomic_write_bytes,
    check_frame_size,
    commit,
    convert_for_output,
    output_conversion,
    probe_frame,
    read_frame,
    sync_folders,
    tiff_compression,
    write_frame_temp,
    write_temp,
)
from .overrides import default_mask_override_dir, load_mask_override
from .plugins import FrameContext, Plugin
from .prompts import PromptError, ShotPrompts, default_prompt_path, load_prompts
from .report import (
    CHUNK_REPORTS,
    REPORT_NAME,
    StageTimes,
    build_report,
    chunk_report_name,
    machine_platform,
    write_report,
)
from .sequence import Shot
from .shapes import (
    SHAPES_FOLDER,
    ShapesError,
    shape_file_names,
    shapes_document,
    shapes_json,
    shapes_svg,
    write_nuke_script,
)

__all__ = [
    "Progress",
    "ProgressEvent",
    "Cancel",
    "FrameCache",
    "AnalysisSource",
    "BatchOptions",
    "BatchError",
    "run_analyze",
    "run_batch",
    "render_frame",
    "load_analyses",
    "saved_mask_folders",
    "write_shape_scripts",
    "check_output_folder",
    "read_input",
    "probe_input",
    "remove_stale_parts",
    "resolve_prompts",
]


class BatchError(Exception):
    """The batch cannot start (bad output folder, bad settings): one line for the user."""


def read_input(path: Path) -> np.ndarray:
    """Read an input frame; *every* failure is a :class:`FrameReadError` naming the file.

    Besides what :func:`~laika_fx.io.read_frame` reports (it refuses anything that is not a
    regular file before opening it: a FIFO would block the read forever), this turns any
    other error of the decoder (permission, memory, an OpenCV error) into a per-frame
    failure, so one bad frame never ends a run.
    """
    try:
        return read_frame(path)
    except FrameReadError:
        raise
    except MemoryError:
        raise FrameReadError(f"{path.name} is too large to decode (out of memory)") from None
    except Exception as exc:  # OSError (permission), cv2.error, ...: this frame fails, not the run
        lines = str(exc).strip().splitlines()
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else (lines[-1] if lines else "")
        raise FrameReadError(f"{path.name} could not be read ({type(exc).__name__}: {detail})") from None


# --------------------------------------------------------------------------- progress
@dataclass(frozen=True)
class ProgressEvent:
    """A snapshot of a run's progress, sent to every listener."""

    phase: str  # "analyze:<plugin>", "render", "preview", "done"
    done: int
    total: int
    failed: int
    elapsed: float  # seconds since the phase started
    frame: int | None = None  # the frame just finished, if any

    @property
    def fps(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def frames_per_minute(self) -> float:
        return 60.0 * self.fps

    @property
    def eta(self) -> float | None:
        """Seconds left in this phase, or None before the first frame."""
        if self.done == 0 or self.fps == 0:
            return None
        return (self.total - self.done) / self.fps


class Progress:
    """Thread-safe progress of one run; listeners get a :class:`ProgressEvent` per step.

    Listeners are called from worker threads; a GUI must hand the event to its own
    thread (a Qt signal does that).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[ProgressEvent], None]] = []
        self.phase = "idle"
        self.total = 0
        self.done = 0
        self.failed = 0
        self._t0 = time.perf_counter()

    def subscribe(self, listener: Callable[[ProgressEvent], None]) -> None:
        self._listeners.append(listener)

    def start(self, phase: str, total: int, *, done: int = 0, failed: int = 0, since: float | None = None) -> None:
        """Start ``phase`` of ``total`` frames, ``done`` of them (``failed`` of those failed)
        already finished since ``since`` (a ``time.perf_counter()``; default: now)."""
        with self._lock:
            self.phase, self.total, self.done, self.failed = phase, total, done, failed
            self._t0 = time.perf_counter() if since is None else since
            event = self._event(None)
        self._emit(event)

    def advance(self, frame: int | None = None, *, failed: bool = False) -> None:
        with self._lock:
            self.done += 1
            self.failed += int(failed)
            event = self._event(frame)
        self._emit(event)

    def snapshot(self) -> ProgressEvent:
        with self._lock:
            return self._event(None)

    def _event(self, frame: int | None) -> ProgressEvent:
        return ProgressEvent(
            self.phase, self.done, self.total, self.failed, time.perf_counter() - self._t0, frame
        )

    def _emit(self, event: ProgressEvent) -> None:
        for listener in list(self._listeners):
            listener(event)


class Cancel(threading.Event):
    """Set it to stop a run after the frames in flight; nothing half-written is left."""


class HeldProgress:
    """The render pass's progress while a streamed analysis still runs (:class:`AnalysisGate`).

    Listeners follow one phase at a time (the CLI's bar and the app's show
    ``analyze:<plugin>``, then ``render``), so the render's start and the frames it finishes
    meanwhile are held and reported at once when :meth:`release` is called (the analysis
    ended): the render phase then starts with those frames done, timed from its real start.
    """

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self._held = True
        self._start: tuple[str, int, float] | None = None
        self._done = self._failed = 0

    def start(self, phase: str, total: int) -> None:
        with self._lock:
            if self._held:
                self._start, self._done, self._failed = (phase, total, time.perf_counter()), 0, 0
                return
            self._progress.start(phase, total)

    def advance(self, frame: int | None = None, *, failed: bool = False) -> None:
        with self._lock:  # held while emitting: a frame's event never comes before the release's
            if self._held:
                self._done += 1
                self._failed += int(failed)
                return
            self._progress.advance(frame, failed=failed)

    def release(self) -> None:
        """Report what was held; from now on every call goes straight to the progress."""
        with self._lock:
            self._held = False
            if self._start is not None:
                phase, total, since = self._start
                self._progress.start(phase, total, done=self._done, failed=self._failed, since=since)


# --------------------------------------------------------------------------- frame cache
#: the default frame cache (MB): 25 frames of 1080p 8-bit RGB (a 24-frame shot is decoded
#: once), 6 at 4K. Beyond it the render pass decodes a frame (~30 ms of CPU at 1080p, ~115 at
#: 4K) instead of keeping it (6.2 / 24.9 MB) through the analysis (docs/benchmarks.md, "Memory")
DEFAULT_CACHE_MB = 150.0
#: the length (frames) from which a run starts helper processes: stabilize solves in processes
#: (its PROCESS_MIN_FRAMES, the same length), the PNG encoder runs beside the render
#: (PNG_PROCESS_MIN_FRAMES), and what those need weighs on the frame cache and the plugins'
#: preparation (LONG_SHOT_CACHE_MB, EARLY_PREPARE_MAX_FRAMES)
LONG_SHOT_FRAMES = 48
#: the default frame cache (MB) of shots whose analysis decodes at least LONG_SHOT_FRAMES
#: frames: 16 frames of 1080p 8-bit RGB, 4 at 4K. Such runs start helper processes (stabilize's
#: solver processes during the analysis, ~75 MB each at 1080p; the PNG encoder during the
#: render, ~60 MB) while the cache is full, and the frames it has no room for go to the spill
#: (a ~5 ms write and a ~0.5 ms read at 1080p): 96-frame 1080p shot, peak RSS of the process
#: tree ~520 -> ~470 MB, CPU per frame the same (docs/benchmarks.md, "Session 8 memory")
LONG_SHOT_CACHE_MB = 96.0
#: the same when the render streams beside the analysis (4 frames of 1080p 8-bit RGB): the
#: cache then only hands frames from the analysis to the render, which renders them 6-9
#: frames behind the solve (stabilize's shot pass window); the rest wait in the spill.
#: 96-frame 1080p shot, defaults: peak RSS of the process tree 552-556 MB with the long
#: shots' 96 MB, 507-511 with 48, 496-500 with 24, the same speed within the noise
#: (docs/benchmarks.md, "Session 10")
STREAMED_CACHE_MB = 24.0
#: the largest frame cache a ``--memory-mb`` cap gives without ``--cache-mb``
CAPPED_CACHE_MB = 1024.0
#: a streamed analysis reads ahead only while the render has at most this many final frames
#: per worker still to do (AnalysisGate.pace): 96-frame 1080p shot, 2 workers, peak RSS of the
#: process tree 511 MB at 2, 485-493 at 1, the same speed within the noise
STREAM_LEAD_PER_WORKER = 1
#: the render pass releases a kept frame once it and this many frames after it are rendered
RELEASE_LAG = 2
#: render passes of at least this many frames encode fpng's PNGs in a helper process (laika_fx.encoder)
PNG_PROCESS_MIN_FRAMES = LONG_SHOT_FRAMES
#: shots of at least this many frames prepare the plugins without an analyze step after the
#: analysis, not during it (stabilize solves such shots in processes: PROCESS_MIN_FRAMES)
EARLY_PREPARE_MAX_FRAMES = LONG_SHOT_FRAMES


class FrameCache:
    """Decoded frames kept from the analyze pass for the render pass, within byte budgets.

    The analyze pass decodes every frame of the shot; without this cache the render pass
    decodes each one again (a 1080p PNG costs ~30 ms per decode, an uncompressed TIFF
    ~15 ms). Frames are kept in memory in shot order until ``budget_bytes`` would be
    exceeded. Later frames go to the *spill* folder (``spill_dir``), as their raw samples,
    within ``spill_bytes``, and are read back by the render pass (~0.5 ms for a 1080p 8-bit
    frame instead of a ~30 ms decode); the process's memory stays bounded (the files live
    in the operating system's page cache until it writes them to disk). The spill files are
    *slots*: a frame the render pass is done with frees its slot, and the next frame of the
    same size is written over it. Writing into a new file cost 2-7 ms of CPU per 1080p
    frame (the kernel allocates and zeroes its page-cache pages, and frees them when the
    file goes), writing over a slot's cached pages ~0.3 ms. Frames beyond both budgets are
    not kept (the render pass reads them from disk again). A 1080p 8-bit RGB frame is 6.2
    MB. Kept arrays are made read-only, so what the render pass gets is bit for bit what a
    fresh read would give. Thread-safe.

    The spill folder is made in ``spill_root`` (:func:`spill_folder_prefix` + a random part)
    when the first frame is spilled; :meth:`clear` removes it (call it when the run ends).
    """

    def __init__(self, budget_bytes: int, *, spill_root: Path | None = None, spill_bytes: int = 0) -> None:
        self.budget_bytes = max(0, int(budget_bytes))
        self.nbytes = 0
        self.hits = 0
        self.spill_root = spill_root
        self.spill_dir: Path | None = None
        self.spill_bytes = max(0, int(spill_bytes)) if spill_root is not None else 0
        self.spilled_nbytes = 0  # bytes of the slot files (in use, free or being written)
        self.spilled_total = 0  # frames ever spilled (the report)
        self.spill_reads = 0  # frames read back from the spill folder
        self.spill_write_cpu = 0.0  # CPU seconds of the threads writing and reading spill files
        self.spill_read_cpu = 0.0
        self._frames: dict[int, np.ndarray] = {}
        # spilled frames: frame -> (shape, dtype) once its slot is written, None while it is
        self._spilled: dict[int, tuple[tuple[int, ...], np.dtype] | None] = {}
        self._slot_of: dict[int, int] = {}  # spilled frame -> its slot
        self._slot_bytes: dict[int, int] = {}  # slot -> its file's size
        self._free: dict[int, list[int]] = {}  # size -> free slots of that size
        self._readers: dict[int, int] = {}  # slot -> threads reading it now
        self._freed_while_read: set[int] = set()  # slots to free when their last reader is done
        self._next_slot = 0
        self._closed = False  # cleared: nothing more is spilled
        self._lock = threading.Lock()

    def put(self, frame: int, array: np.ndarray) -> bool:
        """Keep ``array`` as frame ``frame`` if it fits a budget (memory first); True if kept."""
        with self._lock:
            if frame in self._frames or frame in self._spilled:
                return True
            if self.nbytes + array.nbytes <= self.budget_bytes:
                array.flags.writeable = False
                self._frames[frame] = array
                self.nbytes += array.nbytes
                return True
            if self._closed or array.nbytes > self.spill_bytes:
                return False
            slot, fresh, gone = self._take_slot(array.nbytes)
            if slot is None:
                return False
            try:
                if self.spill_dir is None:
                    assert self.spill_root is not None
                    self.spill_dir = Path(tempfile.mkdtemp(prefix=spill_folder_prefix(), dir=self.spill_root))
                    _live_spills(add=self.spill_dir)
            except OSError:  # e.g. the output folder is read-only now: no spill for this run
                self.spill_bytes = 0
                self._drop_slot(slot)
                return False
            self._spilled[frame] = None  # reserved: get() finds nothing until the slot is written
            self._slot_of[frame] = slot
            path = self._slot_path(slot)
            gone = [self._slot_path(s) for s in gone]
        c0 = time.thread_time()
        for p in gone:  # free slots of another size, removed to make room
            p.unlink(missing_ok=True)
        try:  # written outside the lock: readers of other frames do not wait
            # a reused slot is written over in place ("r+b" does not truncate: its cached pages stay)
            with open(path, "wb" if fresh else "r+b") as fh:
                fh.write(memoryview(np.ascontiguousarray(array)).cast("B"))
        except OSError:  # a full disk (or the folder removed by clear()): the render pass reads it again
            path.unlink(missing_ok=True)
            with self._lock:
                if self._spilled.get(frame, 0) is None:
                    self._spilled.pop(frame)
                    self._slot_of.pop(frame, None)
                self._drop_slot(slot)
            return False
        with self._lock:
            self.spill_write_cpu += time.thread_time() - c0
            if frame in self._spilled:  # not cleared meanwhile
                self._spilled[frame] = (array.shape, array.dtype)
                self.spilled_total += 1
        return True

    def _take_slot(self, nbytes: int) -> tuple[int | None, bool, list[int]]:
        """A slot for a frame of ``nbytes`` (call with the lock held): a free one of that size,
        else a new one within the spill budget, free slots of other sizes given up to make
        room. Returns ``(slot or None, whether it is new, the slots given up)``."""
        free = self._free.get(nbytes)
        if free:
            return free.pop(), False, []
        gone: list[int] = []
        while self.spilled_nbytes + nbytes > self.spill_bytes:
            other = next((s for size, slots in self._free.items() for s in slots), None)
            if other is None:
                return None, False, []  # nothing free to give up: the rest are frames in use
            self._free[self._slot_bytes[other]].remove(other)
            self._drop_slot(other)
            gone.append(other)
        slot, self._next_slot = self._next_slot, self._next_slot + 1
        self._slot_bytes[slot] = nbytes
        self.spilled_nbytes += nbytes
        return slot, True, gone

    def _drop_slot(self, slot: int) -> None:
        """Forget ``slot`` and its bytes (lock held; its file is removed by the caller)."""
        self.spilled_nbytes -= self._slot_bytes.pop(slot, 0)

    def _release_slot(self, slot: int) -> None:
        """``slot`` holds no frame now: free for the next frame of its size (lock held)."""
        if self._readers.get(slot):
            self._freed_while_read.add(slot)  # its last reader frees it
        elif slot in self._slot_bytes:
            self._free.setdefault(self._slot_bytes[slot], []).append(slot)

    def _slot_path(self, slot: int) -> Path:
        assert self.spill_dir is not None
        return self.spill_dir / f"slot{slot}.raw"

    def get(self, frame: int) -> np.ndarray | None:
        """The kept array of ``frame`` (read-only), or None."""
        with self._lock:
            arr = self._frames.get(frame)
            meta = self._spilled.get(frame) if arr is None else None
            self.hits += arr is not None or meta is not None
            if meta is not None:
                slot = self._slot_of[frame]
                self._readers[slot] = self._readers.get(slot, 0) + 1
                path = self._slot_path(slot)
        if meta is not None:
            c0 = time.thread_time()
            shape, dtype = meta
            arr = np.empty(shape, dtype)
            try:
                with open(path, "rb", buffering=0) as fh:
                    complete = fh.readinto(memoryview(arr).cast("B")) == arr.nbytes
            except OSError:  # the folder is gone (cleared): decode instead
                complete = False
            with self._lock:
                self._readers[slot] -= 1
                if not self._readers[slot]:
                    del self._readers[slot]
                    if slot in self._freed_while_read:
                        self._freed_while_read.discard(slot)
                        self._release_slot(slot)
                if complete:
                    self.spill_reads += 1
                    self.spill_read_cpu += time.thread_time() - c0
                else:
                    self.hits -= 1
            if not complete:
                return None
            arr.flags.writeable = False
        return arr

    def __contains__(self, frame: int) -> bool:
        with self._lock:
            return frame in self._frames or self._spilled.get(frame) is not None

    def __len__(self) -> int:
        """Frames kept in memory (spilled frames: :attr:`spilled_total`)."""
        with self._lock:
            return len(self._frames)

    def discard(self, frame: int) -> None:
        """Forget ``frame`` (the render pass is done with it): its memory goes back to the
        heap, its spill slot is free for the next frame."""
        with self._lock:
            arr = self._frames.pop(frame, None)
            if arr is not None:
                self.nbytes -= arr.nbytes
            if self._spilled.get(frame) is not None:
                del self._spilled[frame]
                self._release_slot(self._slot_of.pop(frame))

    def clear(self) -> None:
        """Forget every frame and remove the spill folder; nothing is spilled after it (a
        thread of the run still putting frames does not make a new folder)."""
        with self._lock:
            self._frames.clear()
            self.nbytes = 0
            self._spilled.clear()
            self._slot_of.clear()
            self._slot_bytes.clear()
            self._free.clear()
            self._freed_while_read.clear()
            self.spilled_nbytes = 0
            self._closed = True
            spill_dir, self.spill_dir = self.spill_dir, None
        if spill_dir is not None:
            shutil.rmtree(spill_dir, ignore_errors=True)
            _live_spills(remove=spill_dir)


#: the spill folder's name in OUTPUT: ``.laika_fx_frames.<pid>.<host>.<random>`` (removed when
#: the run ends; a killed run's by the next run: remove_stale_spills)
SPILL_PREFIX = ".laika_fx_frames."
#: a spill folder of another machine (shared storage) counts as left behind after this long
STALE_SPILL_SECONDS = 24 * 3600
#: the default spill budget (MB): 660 frames of 1080p 8-bit RGB, 165 of 4K; at most half of
#: the free space of the output folder's disk
DEFAULT_SPILL_MB = 4096.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, another user's
        return True
    return True


_LIVE_SPILLS: set[Path] = set()
_LIVE_SPILLS_LOCK = threading.Lock()


def _live_spills(*, add: Path | None = None, remove: Path | None = None) -> None:
    with _LIVE_SPILLS_LOCK:
        if add is not None:
            _LIVE_SPILLS.add(add)
        if remove is not None:
            _LIVE_SPILLS.discard(remove)


def remove_live_spills() -> int:
    """Remove the spill folders of this process's runs that are still going: for an exit that
    skips the runs' own clean-up (a second Ctrl-C, SIGTERM; ``laika_fx.cli``). Returns how many."""
    with _LIVE_SPILLS_LOCK:
        folders = list(_LIVE_SPILLS)
        _LIVE_SPILLS.clear()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return len(folders)


def spill_folder_prefix() -> str:
    """``.laika_fx_frames.<process id>.<host name>.``: the name of this process's spill
    folders, before their random part."""
    host = socket.gethostname().replace(os.sep, "_") or "host"
    return f"{SPILL_PREFIX}{os.getpid()}.{host}."


def remove_stale_spills(folder: Path) -> int:
    """Remove the spill folders (:data:`SPILL_PREFIX`) that runs left behind in ``folder``:
    this machine's whose process is gone, and other machines' (shared storage) untouched for
    :data:`STALE_SPILL_SECONDS`; return how many were removed."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    here = socket.gethostname().replace(os.sep, "_") or "host"
    for entry in entries:
        if not entry.name.startswith(SPILL_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        pid, _, rest = entry.name[len(SPILL_PREFIX):].partition(".")
        host = rest.rpartition(".")[0]
        if host == here:
            if pid.isdigit() and _pid_alive(int(pid)):
                continue
        else:
            try:
                if time.time() - entry.stat(follow_symlinks=False).st_mtime < STALE_SPILL_SECONDS:
                    continue
            except OSError:
                continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed += 1
    return removed


def default_cache_mb(frames: int, *, compression: int | None = None, capped: bool = False,
                     streamed: bool = False) -> float:  # fmt: skip
    """The frame cache (MB) of a run whose analysis decodes ``frames`` frames when
    ``--cache-mb`` does not say: none for uncompressed TIFF (``compression`` 1), which reads
    faster than it keeps; :data:`CAPPED_CACHE_MB` under a ``--memory-mb`` cap (the cap then
    decides); else :data:`DEFAULT_CACHE_MB`, or from :data:`LONG_SHOT_FRAMES` frames on
    :data:`LONG_SHOT_CACHE_MB` (:data:`STREAMED_CACHE_MB` when the render streams beside the
    analysis)."""
    if compression == 1:
        return 0.0
    if capped:
        return CAPPED_CACHE_MB
    if frames >= LONG_SHOT_FRAMES:
        return STREAMED_CACHE_MB if streamed else LONG_SHOT_CACHE_MB
    return DEFAULT_CACHE_MB


def make_frame_cache(out_dir: Path, *, cache_mb: float, spill_mb: float) -> FrameCache:
    """The run's :class:`FrameCache`: ``cache_mb`` of memory and, when ``spill_mb`` > 0, a
    spill folder in ``out_dir`` of at most ``spill_mb`` and half the disk's free space."""
    spill_bytes = 0
    if spill_mb > 0:
        try:
            spill_bytes = min(int(spill_mb * 2**20), shutil.disk_usage(out_dir).free // 2)
        except OSError:
            spill_bytes = 0
    return FrameCache(int(cache_mb * 2**20), spill_root=out_dir if spill_bytes > 0 else None,
                      spill_bytes=spill_bytes)  # fmt: skip


# --------------------------------------------------------------------------- analysis
ANALYZE_THREADS_PER_WORKER = 2
class AnalysisSource:
    """Frames of a shot as a plugin's ``analyze`` step sees them.

    Frames are decoded ahead on ``workers`` threads. Unreadable frames are skipped here
    (the render pass reports them). With a :class:`FrameCache`, decoded frames are kept
    for the render pass and for later reads of the same frame (the analyze of the next
    plugin, a stabilize shot-pass re-solve).

    With ``gate`` (the batch's :class:`AnalysisGate`), the analysis is *streamed*: the
    render pass runs meanwhile and renders a frame once the plugin says, through
    :meth:`final_through`, that everything the frame's render reads from it is final; the
    reads ahead wait while the render has enough final frames to do (:meth:`AnalysisGate.pace`).
    """

    def __init__(
        self,
        shot: Shot,
        frames: Sequence[int],
        *,
        workers: int,
        progress: Progress,
        cancelled: threading.Event,
        timer: StageTimes | None = None,
        stage: str = "analyze",
        frame_format: tuple | None = None,
        cache: FrameCache | None = None,
        gate: AnalysisGate | None = None,
    ) -> None:
        self.shot = shot
        self.frames = list(frames)
        self.workers = max(1, workers)
        self.progress = progress
        self.cancelled = cancelled
        self._timer = timer
        self._stage = stage
        self._format = frame_format
        self._cache = cache
        self._gate = gate

    @property
    def streaming(self) -> bool:
        """True when the render pass runs beside this analysis (see :meth:`final_through`)."""
        return self._gate is not None

    def final_through(self, frame: int) -> None:
        """Tell a streaming batch that the renders of ``frame`` and of every frame before it
        read only results of this analysis that are final now (the plugin must already
        render them exactly as from the finished analysis). Nothing when not streaming."""
        if self._gate is not None:
            self._gate.final_through(frame)

    def read(self, frame: int) -> np.ndarray:
        """The frame's array; FrameReadError if unreadable or unlike the rest of the shot.

        The array may be read-only (kept in the batch's frame cache): do not modify it.
        """
        return self._read(frame, keep=True)

    def _read(self, frame: int, keep: bool) -> np.ndarray:
        if self._cache is not None:
            arr = self._cache.get(frame)
            if arr is not None:
                return arr
        path = self.shot.path(frame)
        arr = read_input(path)
        if self._format is not None:
            _check_like(arr, self._format, path.name)
        if keep and self._cache is not None:
            self._cache.put(frame, arr)
        return arr

    def _read_or_none(self, frame: int) -> np.ndarray | None:
        try:
            # not kept here: the in-order consumer of _run keeps it, so which frames fit
            # the cache's budget does not depend on which read-ahead thread finished first
            return self._read(frame, keep=False)
        except FrameReadError:
            return None

    def _pace(self) -> None:
        if self._gate is not None:
            self._gate.pace()

    def iter_frames(self) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(frame, array)`` in order, reading ahead on worker threads."""
        yield from self._run(lambda n, a: a)

    def map(self, fn: Callable[[int, np.ndarray], Any]) -> dict[int, Any]:
        """Run ``fn(frame, array)`` over all frames in parallel; results by frame number."""
        return dict(self._run(fn))

    def imap(self, fn: Callable[[int, np.ndarray], Any]) -> Iterator[tuple[int, Any]]:
        """As :meth:`map`, but yield ``(frame, result)`` in frame order as they come (a
        streamed analysis publishes each one)."""
        yield from self._run(fn)

    def _run(self, fn: Callable[[int, np.ndarray], Any]) -> Iterator[tuple[int, Any]]:
        """``(frame, fn(frame, array))`` for every readable frame, in order."""
        timer = self._timer or StageTimes()

        def task(n: int) -> tuple[int, bool, Any]:
            # decoding and the plugin's work are timed apart: the two threads per worker
            # overlap, so one figure for both would count a frame's wait for the other
            # thread's decode (and the GIL) as the plugin's cost
            with timer.measure(f"{self._stage}:read"):
                arr = self._read_or_none(n)
            if arr is None or self.cancelled.is_set():
                return n, arr, None
            with timer.measure(self._stage):
                out = fn(n, arr)
            return n, arr, out

        # two threads per worker: a thread waiting on a solve in a worker process (or on the
        # GIL) leaves its core to one decoding the next frame (48-frame 1080p shot, stabilize
        # analyze, 2 workers, alternating, load 11-14: 14.7/22.4/22.3 s vs 18.7/22.9/23.9 s)
        threads = ANALYZE_THREADS_PER_WORKER * self.workers
        # streamed, the render's threads share the cores and its frames the memory: one frame
        # ahead per worker (96-frame 1080p shot, 2 workers, stabilize without its shot pass:
        # peak RSS of the process tree 485-493 MB with two per worker, 478-485 with one, the
        # same speed within the noise)
        lookahead = self.workers if self.streaming else 2 * threads
        with ThreadPoolExecutor(threads, thread_name_prefix="laika-analyze") as pool:
            pending: list = []
            it = iter(self.frames)
            for n in it:
                self._pace()
                pending.append(pool.submit(task, n))
                if len(pending) >= lookahead:
                    break
            while pending:
                if self.cancelled.is_set():
                    for f in pending:
                        f.cancel()
                    return
                n, arr, out = pending.pop(0).result()
                readable = arr is not None
                if readable and self._cache is not None:
                    self._cache.put(n, arr)  # in shot order: the first frames that fit are kept
                del arr
                nxt = next(it, None)
                if nxt is not None:
                    self._pace()
                    pending.append(pool.submit(task, nxt))
                self.progress.advance(n, failed=not readable)
                if readable and not self.cancelled.is_set():
                    yield n, out


class AnalysisGate:
    """Which frames a streamed analysis lets the render pass render so far, and how far the
    analysis may read ahead of the render.

    The analysis marks frames final in shot order (:meth:`final_through`) and, when it
    ends, either completes every frame (:meth:`finish` True: the plugin has its whole
    analysis) or none more (False: cancelled or failed; frames not final are not rendered,
    since their render would read results that may still change).

    The analysis reads the next frame only while the render has at most ``lead`` final
    frames of ``todo`` still to do (:meth:`pace`): frames it decodes wait in the frame
    cache until they are rendered, so a render slower than the analysis would otherwise
    pile them up (in memory, then in the spill) beside the render's own frames, models and
    the analysis's solver processes.
    """

    def __init__(self, frames: Sequence[int], todo: Sequence[int] | None = None, *, lead: int = 8) -> None:
        self._position = {n: i for i, n in enumerate(frames)}
        todo = frames if todo is None else todo
        self._todo = sorted(self._position[n] for n in todo if n in self._position)  # positions
        self._lead = lead
        self._final = 0  # frames[:_final] are final
        self._final_todo = 0  # frames of todo among them
        self._rendered = 0  # frames of todo the render finished (written or failed)
        self._render_over = False
        self._complete: bool | None = None  # None: the analysis is running
        self._cond = threading.Condition()

    def final_through(self, frame: int) -> None:
        with self._cond:
            self._final = max(self._final, self._position[frame] + 1)
            self._final_todo = bisect.bisect_left(self._todo, self._final)
            self._cond.notify_all()

    def finish(self, complete: bool) -> None:
        with self._cond:
            self._complete = complete
            self._cond.notify_all()

    def wait(self, frame: int) -> bool:
        """Block until ``frame`` may be rendered (True) or never will be in this run (False)."""
        position = self._position.get(frame, len(self._position))  # not analysed: after the end

        def decided() -> bool:
            return position < self._final or self._complete is not None

        with self._cond:
            self._cond.wait_for(decided)
            return position < self._final or bool(self._complete)

    def rendered(self) -> None:
        """The render finished a frame of ``todo``."""
        with self._cond:
            self._rendered += 1
            self._cond.notify_all()

    def render_over(self) -> None:
        """The render pass ended (or never started): the analysis reads on unpaced."""
        with self._cond:
            self._render_over = True
            self._cond.notify_all()

    def pace(self) -> None:
        """Block the analysis while the render has more than ``lead`` final frames to do.

        Never while the render waits for the analysis (it then has no final frame to do),
        so the two cannot wait for each other."""
        with self._cond:
            self._cond.wait_for(lambda: self._render_over or self._final_todo - self._rendered <= self._lead)


# --------------------------------------------------------------------------- batch
def check_output_folder(shot: Shot, output: str | os.PathLike) -> Path:
    """Refuse output folders that would write into the input; return the resolved folder.

    Refused: the input folder itself or any folder inside it (outputs would land in the
    shot), a path that is or lies below a file, and a folder (or the nearest existing
    parent of a new one) this process may not write to.
    """
    try:
        out = Path(output).expanduser().resolve()
        src = shot.directory.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise BatchError(f"output {output}: {exc}") from None
    if out == src:
        raise BatchError(f"output folder {out} is the input folder; choose another folder")
    if src in out.parents:
        raise BatchError(f"output folder {out} is inside the input folder {src}; choose a folder outside the shot")
    if out.exists() and not out.is_dir():
        raise BatchError(f"output {out} exists and is not a folder")
    existing = next(p for p in (out, *out.parents) if p.exists())
    if not existing.is_dir():
        raise BatchError(f"output {out} lies below {existing}, which is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        what = "output folder" if existing == out else f"parent folder {existing} of the output folder"
        raise BatchError(f"{what} is not writable" + (f": {out}" if existing == out else ""))
    return out


def remove_stale_parts(folder: Path, names: set[str]) -> int:
    """Remove the temporary files (``.<name>.<random>.part<ext>``, see
    :func:`laika_fx.io.write_temp`) that a killed run left in ``folder`` for the final
    names ``names``; return how many were removed."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        name = entry.name
        if not name.startswith(".") or ".part" not in name:
            continue
        final = name[1:].rpartition(".part")[0].rpartition(".")[0]
        if final in names:
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create output folder {folder}: {exc.strerror or exc}") from None


def saved_mask_folders(plugins: Sequence[Plugin], output: str | os.PathLike) -> dict[str, Path]:
    """``{mask name: folder}`` of the masks ``plugins`` declare as saved (``Plugin.saved_masks``).

    With ``--save-masks`` the batch writes each declared mask a plugin put in
    ``ctx.masks`` to ``OUTPUT/<folder>/<frame stem>.png``; masks not declared are not written.

    Raises
    ------
    BatchError
        If a folder is not a plain folder name, or two masks would be written to one folder.
    """
    folders: dict[str, Path] = {}
    for plugin in plugins:
        for name, folder in plugin.saved_masks.items():
            if folder in ("", ".", "..") or Path(folder).name != folder:
                raise BatchError(f"{plugin.name}: mask {name!r} is saved to {folder!r}, not a folder name")
            target = Path(output) / folder
            clash = [n for n, f in folders.items() if (n == name) != (f == target)]
            if clash:
                raise BatchError(f"{plugin.name}: mask {name!r} saved to {folder}/ clashes with mask "
                                 f"{clash[0]!r} saved to {folders[clash[0]].name}/")  # fmt: skip
            folders[name] = target
    return folders


def render_frame(
    source: np.ndarray,
    plugins: Sequence[Plugin],
    *,
    frame: int,
    path: Path | None = None,
    mask_override: np.ndarray | None = None,
    read_source: Callable[[int], np.ndarray] | None = None,
    timer: StageTimes | None = None,
    prompt: Sequence = (),
    notes: dict[str, Any] | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Render one frame through the plugin chain, as the batch's render pass does.

    The batch's render workers and the app's preview both call this, so a preview shows
    exactly what the batch writes for that frame.

    Parameters
    ----------
    source : (H, W[, C]) ndarray, the decoded input frame (not modified).
    plugins : the chain, in order, prepared (``Plugin.prepare``) and given their analyses.
    frame : frame number.
    path : the frame's source file (plugins may use its name).
    mask_override : (H, W) uint8, the artist's mask for this frame
        (:func:`laika_fx.overrides.load_mask_override`), or None.
    read_source : reads another input frame of the shot by number (borders filled from
        neighbours); None when there is no shot.
    timer : adds each plugin's time under its name.
    prompt : where the artist says the puppet is on this frame
        (:meth:`laika_fx.prompts.ShotPrompts.regions`); empty: nothing said.
    notes : if given, receives the plugins' notes on this frame (``FrameContext.notes``,
        by plugin name) for the report.

    Returns
    -------
    output : ndarray, same dtype and channels as ``source`` (the size may change, e.g.
        stabilize's crop).
    masks : the masks the plugins made for this frame, by name (``FrameContext.masks``).

    Raises
    ------
    Exception
        Whatever a plugin raises; FrameReadError if a plugin changed dtype or channels.
    """
    moving = next((m for m in (p.moving_region(frame) for p in plugins) if m is not None), None)
    ctx = FrameContext(frame=frame, path=path, mask_override=mask_override, read_source=read_source,
                       source=source, prompt=list(prompt), moving=moving)  # fmt: skip
    out = source
    timer = timer or StageTimes()
    for plugin in plugins:
        with timer.measure(plugin.name):
            out = plugin.render(out, ctx)
    # plugins may change the size (stabilize's crop mode), never dtype or channels
    name = path.name if path is not None else f"frame {frame}"
    _check_like(out, (source.shape, source.dtype), f"{name} after rendering", size=False)
    if notes is not None:
        notes.update(ctx.notes)
    return out, ctx.masks


def load_analyses(output: str | os.PathLike, plugins: Sequence[type[Plugin] | Plugin]) -> dict[str, dict]:
    """The analysis sidecars ``OUTPUT/<plugin>.json`` of ``plugins`` that exist, by plugin name.

    Each is read by its plugin's :meth:`~laika_fx.plugins.Plugin.read_analysis` (which
    checks it), as the batch reads them with ``--resume``.

    Raises
    ------
    BatchError
        If a sidecar exists but cannot be read or is invalid (the message names it).
    """
    found: dict[str, dict] = {}
    for plugin in plugins:
        sidecar = Path(output) / f"{plugin.name}.json"
        if plugin.has_analyze and sidecar.is_file():
            found[plugin.name] = _read_analysis(plugin, sidecar)
    return found


def _read_analysis(plugin: type[Plugin] | Plugin, sidecar: Path) -> dict:
    try:
        return plugin.read_analysis(sidecar)
    except (OSError, ValueError) as exc:
        where = "" if sidecar.name in str(exc) else f"{sidecar.name}: "  # name the file once
        raise BatchError(f"{plugin.name}: cannot use {where}{exc} ({sidecar.parent})") from None


@dataclass
class BatchOptions:
    """Options of one batch run (the CLI flags)."""

    workers: int = field(default_factory=usable_cpus)
    io_threads: int | None = None  # readers and writers each; default: workers
    save_masks: bool = False
    # also write each saved mask as vector shapes: OUTPUT/shapes/<stem>.<mask>.json and .svg,
    # and one Nuke script OUTPUT/shapes/<mask>.nk (laika_fx.shapes)
    export_shapes: bool = False
    resume: bool = False
    mask_overrides: Path | None = None  # None: the default folder if it exists
    # where the puppet is (artist prompt): a prompt file, prompts, or None: the default
    # file beside the shot (<shot folder>.laika_fx/prompt.json) if it exists
    prompts: ShotPrompts | Path | None = None
    queue_size: int | None = None  # frames held between stages; default 2 * workers
    # decoded frames kept from the analyze pass for the render pass (0: none); None:
    # default_cache_mb (150, 96 on shots of 48+ frames, 24 streamed), but 0 for uncompressed TIFF, whose
    # plain read (~1-2 ms at 1080p) is cheaper than keeping the frame
    # (benchmarks/bench_stabilize.py: 1139 vs 938 frames/min, crop)
    cache_mb: float | None = None
    # disk for decoded frames the memory cache has no room for (FrameCache's spill folder in
    # OUTPUT), MB; None: DEFAULT_SPILL_MB, but 0 for uncompressed TIFF (as cache_mb); 0: none
    spill_mb: float | None = None
    # a cap on the decoded frames the run holds at once (frame cache + frames in flight
    # between reading, rendering and writing), MB: the cache gets what the frames in flight
    # leave (at most cache_mb), and the queues shrink to one frame when even those do not
    # fit (frames_in_flight). None: no cap.
    memory_mb: float | None = None
    # "png", "tiff" or "exr" (io.OUTPUT_FORMATS); None: the input's format
    output_format: str | None = None
    # allow output_format to change the sample type (io.output_conversion gives the rule)
    convert: bool = False
    png_compression: str = "fast"  # io.PNG_COMPRESSIONS
    # a chunk of a farm run: the analysis sidecars must be in OUTPUT already (written once
    # by `laika-fx analyze`) and are only read; the report goes to OUTPUT/reports/
    # (chunk_report_name), merged by `laika-fx report`
    chunk: bool = False

    def output_extension(self, shot: Shot) -> str:
        """The extension output frames are written with."""
        if self.output_format is None:
            return shot.extension
        if self.output_format not in OUTPUT_FORMATS:
            raise BatchError(f"unknown output format {self.output_format!r} (one of {', '.join(OUTPUT_FORMATS)})")
        return OUTPUT_FORMATS[self.output_format]


def frames_in_flight(workers: int, io_threads: int, qsize: int, *, streamed: bool = False) -> int:
    """Decoded frames a run may hold besides its frame cache: the analyze pass's read-ahead
    (4 per worker), or in the render pass the two queues, one frame per reader and writer
    waiting on them, three per worker rendering (input, output and a plugin's copy) and the
    fill border's neighbours (stabilize keeps up to seven); ``streamed`` (the analysis runs
    beside the render): the render's and the analysis's read-ahead (1 per worker)."""
    render = 2 * qsize + 2 * io_threads + 3 * workers + 7
    return render + workers if streamed else max(4 * workers, render)


def apply_memory_cap(memory_mb: float, frame_bytes: int, *, workers: int, io_threads: int, qsize: int,
                     cache_mb: float, streamed: bool = False) -> tuple[int, int, float]:  # fmt: skip
    """``(io_threads, qsize, cache_mb)`` that keep the run's decoded frames within ``memory_mb``
    (as far as they can: one reader, one writer and one-frame queues are the least)."""
    frame_mb = frame_bytes / 2**20

    def held() -> float:
        return frames_in_flight(workers, io_threads, qsize, streamed=streamed) * frame_mb

    while qsize > 1 and held() > memory_mb:
        qsize -= 1
    if held() > memory_mb:
        io_threads = 1
    return io_threads, qsize, max(0.0, min(cache_mb, memory_mb - held()))


def output_name(source: Path, extension: str) -> str:
    """The file name frame ``source`` is written as, with the output format's ``extension``."""
    source = Path(source)
    return source.name if source.suffix == extension else source.stem + extension


@dataclass
class _Item:
    frame: int
    path: Path
    array: np.ndarray | None = None
    error: str | None = None
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


_STOP = object()


def _check_like(frame: np.ndarray, ref: tuple, name: str, *, size: bool = True) -> None:
    shape, dtype = ref
    if frame.dtype != dtype:
        raise FrameReadError(f"{name} is {frame.dtype}, the shot is {dtype}")
    ch = 1 if frame.ndim == 2 else frame.shape[2]
    ref_ch = 1 if len(shape) == 2 else shape[2]
    if size and frame.shape[:2] != shape[:2]:
        raise FrameReadError(
            f"{name} is {frame.shape[1]}x{frame.shape[0]}, the shot is {shape[1]}x{shape[0]}"
        )
    if ch != ref_ch:
        raise FrameReadError(f"{name} has {ch} channels, the shot has {ref_ch}")


def probe_input(path: Path) -> FrameInfo:
    """The header of an input frame (:func:`~laika_fx.io.probe_frame`, which refuses what is
    not a regular file before opening it), refusing frames above the pixel limit."""
    info = probe_frame(path)
    check_frame_size(info, path.name)
    return info


def shot_headers(shot: Shot) -> dict[int, FrameInfo]:
    """The header of every frame on disk that has a readable one (:func:`probe_input`, a
    few hundred bytes per frame, no decoding), in frame order: what the shot-wide
    majorities (:func:`_shot_format`, :func:`_stored_as_half`) are counted from."""
    headers = {}
    for n in shot.frames:
        try:
            headers[n] = probe_input(shot.path(n))
        except FrameReadError:
            continue
    return headers


def _shot_format(shot: Shot, headers: dict[int, FrameInfo] | None = None) -> tuple[tuple, np.dtype] | None:
    """Shape and dtype of the shot: those most frames on disk declare in their headers.

    Headers only (``headers``, else :func:`shot_headers`), and every frame on disk, not
    only the requested ones, so every chunk of a farm run agrees. A tie goes to the
    format of the earliest frame. Frames of another format then fail alone ("is 961x540,
    the shot is 960x540"), whichever frame comes first. None if no header can be read.
    """
    counts: dict[tuple, int] = {}
    for info in (shot_headers(shot) if headers is None else headers).values():
        key = (info.shape, np.dtype(info.dtype))
        counts[key] = counts.get(key, 0) + 1  # dicts keep first-seen order: ties go to the earliest
    if not counts:
        return None
    return max(counts, key=counts.__getitem__)


def _shot_tiff_compression(shot: Shot) -> int | None:
    """The TIFF compression most of the shot's frames use (None for other formats).

    Outputs are written with it. The majority, not the first frame's: a corrupt first frame
    must not change how the good frames are written. Headers only; files that are not
    regular files are never opened (a FIFO would block).
    """
    if shot.extension.lower() not in (".tif", ".tiff"):
        return None
    counts: dict[int, int] = {}
    for n in shot.frames:
        code = tiff_compression(shot.path(n))  # None for what is not a regular TIFF file
        if code is not None:
            counts[code] = counts.get(code, 0) + 1
    return max(counts, key=lambda c: (counts[c], -c)) if counts else None


def resolve_prompts(shot: Shot, prompts: ShotPrompts | str | os.PathLike | None) -> tuple[ShotPrompts, str | None]:
    """The shot's artist prompts and where they came from (for the report).

    ``prompts``: given prompts, a prompt file, or None for the default file beside the
    shot (:func:`laika_fx.prompts.default_prompt_path`) if it exists.

    Raises
    ------
    BatchError
        If the prompt file is missing (when named) or invalid (one line).
    """
    if isinstance(prompts, ShotPrompts):
        return prompts, "command line" if prompts else None
    path = Path(prompts) if prompts is not None else default_prompt_path(shot.directory)
    if prompts is None and not path.is_file():
        return ShotPrompts(), None
    if not path.is_file():
        raise BatchError(f"prompt file not found: {path}")
    try:
        return load_prompts(path), str(path)
    except PromptError as exc:
        raise BatchError(f"prompt: {exc}") from None


def run_analyze(
    shot: Shot,
    output: str | os.PathLike,
    plugins: Sequence[Plugin],
    *,
    workers: int = 1,
    reuse: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    timer: StageTimes | None = None,
    frame_format: tuple | None = None,
    cache: FrameCache | None = None,
    require: bool = False,
    gate: AnalysisGate | None = None,
) -> dict[str, dict]:
    """The analyze pass alone: run every plugin's ``analyze`` over the shot's frames.

    Each result is written atomically to ``OUTPUT/<plugin>.json`` and handed to the
    plugin (``set_analysis``). With ``reuse``, an existing sidecar (possibly edited by
    hand) is loaded instead of recomputed; with ``require`` (a chunk of a farm run), every
    sidecar must exist and nothing is computed (BatchError naming the missing one).
    Frames decoded here are kept in ``cache`` (if given) for the render pass. With ``gate``
    (a streamed batch: one plugin computes its analysis and :meth:`~laika_fx.plugins.Plugin.streams_analysis`),
    that plugin marks frames final on it as it goes. Returns ``{plugin name: analysis}``; stops early,
    without writing, when cancelled.

    Raises
    ------
    BatchError
        If a plugin's analysis fails.
    """
    progress = progress or Progress()
    cancel = cancel or Cancel()
    out_dir = check_output_folder(shot, output)
    _make_folder(out_dir)
    if frame_format is None:
        frame_format = _shot_format(shot)
        if frame_format is None:
            raise BatchError(f"no frame of {shot.pattern} could be read")
    on_disk = set(shot.frames)
    analyzable = [n for n in shot.requested if n in on_disk]
    results: dict[str, dict] = {}
    for plugin in plugins:
        if not plugin.has_analyze:
            continue
        sidecar = out_dir / f"{plugin.name}.json"
        if require and not sidecar.exists():
            raise BatchError(f"{sidecar} not found: chunks share one analysis, written first by "
                             f"`laika-fx analyze` over the whole frame range")  # fmt: skip
        if (reuse or require) and sidecar.exists():
            results[plugin.name] = _read_analysis(plugin, sidecar)
            try:
                plugin.set_analysis(results[plugin.name])
            except (TypeError, ValueError, KeyError, AttributeError) as exc:  # read_analysis missed it
                raise BatchError(f"{plugin.name}: cannot use {sidecar}: {type(exc).__name__}: {exc}") from None
            continue
        stage = f"analyze:{plugin.name}"
        progress.start(stage, len(analyzable))
        source = AnalysisSource(
            shot, analyzable, workers=workers, progress=progress, cancelled=cancel, timer=timer,
            stage=stage, frame_format=frame_format, cache=cache,
            gate=gate,
        )  # fmt: skip
        try:
            analysis = plugin.analyze(source)
        except Exception as exc:
            raise BatchError(f"{plugin.name} analysis failed: {type(exc).__name__}: {exc}") from exc
        if cancel.is_set():
            break
        try:
            atomic_write_bytes(sidecar, (json.dumps(analysis, indent=1) + "\n").encode())
        except OSError as exc:  # e.g. a full disk: nothing is left under the sidecar's name
            raise BatchError(f"cannot write {sidecar}: {exc.strerror or exc}") from None
        plugin.set_analysis(analysis)
        results[plugin.name] = analysis
    return results


_RESUME_NOTE = "--resume kept"


def _resume_settings_note(report_path: Path, plugins: Sequence[Plugin], skipped: int) -> str | None:
    """A note if the run whose report is at ``report_path`` had other plugin settings than
    this one: ``--resume`` keeps the ``skipped`` frames it wrote, rendered with those.
    None if they agree, or if there is no readable earlier report to tell."""
    try:
        doc = json.loads(report_path.read_text())
        old = {str(p["name"]): dict(p["settings"]) for p in doc.get("plugins")}
        carried = [n for n in doc.get("analysis_notes", ()) if isinstance(n, str) and n.startswith(_RESUME_NOTE)]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if carried:  # an earlier --resume already kept frames of other settings: they are still there
        return carried[0]
    now = json.loads(json.dumps({p.name: dict(p.settings) for p in plugins}, default=str))
    changes = [f"{name}.{key}: {old[name].get(key)!r} -> {now[name].get(key)!r}"
               for name in sorted(old.keys() & now.keys())
               for key in sorted(old[name].keys() | now[name].keys()) if old[name].get(key) != now[name].get(key)]  # fmt: skip
    changes += [f"{name} {'off' if name in old else 'on'}" for name in sorted(old.keys() ^ now.keys())]
    if not changes:
        return None
    shown = ", ".join(changes[:4]) + (", ..." if len(changes) > 4 else "")
    return (f"{_RESUME_NOTE} {skipped} frame{'s' if skipped > 1 else ''} written with other settings ({shown}); "
            "rerun without --resume to render every frame alike")  # fmt: skip


def run_batch(
    shot: Shot,
    output: str | os.PathLike,
    plugins: Sequence[Plugin],
    options: BatchOptions | None = None,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> dict:
    """Run the analyze and render passes of ``plugins`` over ``shot`` into ``output``.

    Returns the report (also written to ``OUTPUT/laika_fx_report.json``). Frames that
    fail are listed in ``report["frames_failed"]``; the others still render.

    Raises
    ------
    BatchError
        If the run cannot start (output folder is the input folder, no readable frame).
    """
    opts = options or BatchOptions()
    configure_heap()
    machine_platform()  # for the report, now: its `uname -p` child would share a large process's memory later
    progress = progress or Progress()
    cancel = cancel or Cancel()
    out_dir = check_output_folder(shot, output)
    workers = max(1, int(opts.workers))
    io_threads = max(1, int(opts.io_threads or workers))
    qsize = max(1, int(opts.queue_size or 2 * workers))

    headers = shot_headers(shot)
    fmt = _shot_format(shot, headers)
    if fmt is None:
        raise BatchError(f"no frame of {shot.pattern} could be read")
    stored_half = _stored_as_half(shot, headers)  # a half-float EXR shot: outputs and report say half
    prompts, prompt_source = resolve_prompts(shot, opts.prompts)  # a bad prompt file: nothing written
    if opts.png_compression not in PNG_COMPRESSIONS:
        raise BatchError(f"PNG compression must be one of {', '.join(PNG_COMPRESSIONS)}")
    out_ext = opts.output_extension(shot)
    conversion = output_conversion(fmt[1], out_ext)
    if conversion is not None and not (opts.convert and out_ext in (".png", ".exr")):
        hint = " (--convert writes it as " + conversion.split(" to ", 1)[1] + ")" if out_ext in (".png", ".exr") else ""
        raise BatchError(f"the shot is {fmt[1]}: {out_ext[1:].upper()} cannot hold it as it is{hint}")
    mask_dirs = saved_mask_folders(plugins, out_dir) if opts.save_masks else {}
    shape_masks = sorted(saved_mask_folders(plugins, out_dir)) if opts.export_shapes else []
    shapes_dir = out_dir / SHAPES_FOLDER
    _make_folder(out_dir)
    for folder in [*mask_dirs.values(), *([shapes_dir] if shape_masks else [])]:
        _make_folder(folder)
    override_dir = opts.mask_overrides
    if override_dir is None:
        candidate = default_mask_override_dir(shot.directory)
        override_dir = candidate if candidate.is_dir() else None
    elif not Path(override_dir).is_dir():
        raise BatchError(f"mask override folder not found: {override_dir}")

    t_start = time.perf_counter()
    timer = StageTimes()
    failures: dict[int, dict] = {}
    written: list[int] = []
    first_written: list[float] = []  # perf_counter() when the first frame was committed
    skipped: list[int] = []
    notes: dict[int, dict[str, Any]] = {}  # frame -> the plugins' notes on it
    on_disk = set(shot.frames)
    todo: list[int] = []
    for n in shot.requested:
        if n not in on_disk:
            failures[n] = {"frame": n, "file": shot.path(n).name, "error": "file missing"}
        elif opts.resume and (out_dir / output_name(shot.path(n), out_ext)).exists():
            skipped.append(n)
        else:
            todo.append(n)
    # temporary files a killed run left for what this run writes (never those of frames
    # outside this run: another chunk may be writing them right now)
    report_path = out_dir / REPORT_NAME
    if opts.chunk:
        report_path = out_dir / CHUNK_REPORTS / chunk_report_name(shot.requested)
        _make_folder(report_path.parent)
        remove_stale_parts(report_path.parent, {report_path.name})
    resume_note = _resume_settings_note(report_path, plugins, len(skipped)) if skipped else None
    names = {output_name(shot.path(n), out_ext) for n in todo} | {report_path.name}
    if not opts.chunk:
        names |= {f"{p.name}.json" for p in plugins if p.has_analyze}
    remove_stale_parts(out_dir, names)
    for folder in mask_dirs.values():
        remove_stale_parts(folder, {f"{shot.path(n).stem}.png" for n in todo})
    if shape_masks:
        remove_stale_parts(shapes_dir, {name for n in todo for m in shape_masks
                                        for name in shape_file_names(shot.path(n).stem, m)}
                           | ({f"{m}.nk" for m in shape_masks} if not opts.chunk else set()))  # fmt: skip

    # ---- analyze pass (the frames it decodes are kept for the render pass, within the budget)
    compression = _shot_tiff_compression(shot)  # outputs keep it (OpenCV would always write LZW)
    cache_mb = opts.cache_mb
    frame_bytes = int(np.prod(fmt[0])) * np.dtype(fmt[1]).itemsize
    analysed = sum(1 for n in shot.requested if n in on_disk)  # frames the analysis decodes (unless reused)
    streamed = _streams(plugins, out_dir, resume=opts.resume, chunk=opts.chunk)
    if cache_mb is None:  # with a cap, the cap decides
        cache_mb = default_cache_mb(analysed, compression=compression, capped=opts.memory_mb is not None,
                                    streamed=streamed)  # fmt: skip
    if opts.memory_mb is not None:
        io_threads, qsize, cache_mb = apply_memory_cap(opts.memory_mb, frame_bytes, workers=workers,
                                                       io_threads=io_threads, qsize=qsize, cache_mb=cache_mb,
                                                       streamed=streamed)  # fmt: skip
    spill_mb = opts.spill_mb
    if spill_mb is None:  # farm chunks run many at once, often on shared storage: no spill unless asked
        spill_mb = 0.0 if compression == 1 or opts.chunk else DEFAULT_SPILL_MB
    remove_stale_spills(out_dir)
    cache = make_frame_cache(out_dir, cache_mb=cache_mb, spill_mb=spill_mb)
    render = functools.partial(
        _render_pass, shot, todo, plugins, out_dir, fmt, timer, failures, written,
        workers=workers, io_threads=io_threads, qsize=qsize,
        mask_dirs=mask_dirs, override_dir=override_dir, cancel=cancel, cache=cache,
        shape_masks=shape_masks, shapes_dir=shapes_dir,
        compression=compression, prompts=prompts, notes=notes,
        out_ext=out_ext, png_compression=opts.png_compression, first_written=first_written,
        exr_half=out_ext.lower() == ".exr" and stored_half,
    )  # fmt: skip
    analyze = functools.partial(
        run_analyze, shot, out_dir, plugins, workers=workers, reuse=opts.resume, progress=progress,
        cancel=cancel, timer=timer, frame_format=fmt, cache=cache, require=opts.chunk,
    )  # fmt: skip
    try:
        if streamed:
            analyses, kept = _analyze_while_rendering(analyze, render, plugins, fmt, progress=progress, cancel=cancel,
                                                      cache=cache, frames=[n for n in shot.requested if n in on_disk],
                                                      todo=todo, lead=STREAM_LEAD_PER_WORKER * workers)  # fmt: skip
        else:
            analyses, kept = _analyze_then_render(analyze, render, plugins, fmt, progress=progress, cancel=cancel,
                                                  cache=cache, prepare_early=analysed < EARLY_PREPARE_MAX_FRAMES)  # fmt: skip
    finally:
        cache.clear()  # the spill folder goes, also when the run stops on an error
    shapes_error = None
    if shape_masks and not opts.chunk:  # a chunk's script would lack the other chunks' frames
        try:
            write_shape_scripts(out_dir, shape_masks, shot_name=Path(shot.pattern).name)
        except (OSError, ShapesError) as exc:
            shapes_error = f"could not write the Nuke script: {exc}"

    wall = time.perf_counter() - t_start
    report = build_report(
        shot=shot,
        output=out_dir,
        plugins=plugins,
        frame_shape=fmt[0],
        dtype=np.float16 if stored_half else fmt[1],  # the sample type stored (half EXR), as `info`
        written=written,
        skipped=skipped,
        failures=[failures[k] for k in sorted(failures)],
        wall_seconds=wall,
        timer=timer,
        workers=workers,
        cancelled=cancel.is_set(),
        mask_overrides=override_dir,
    )
    # seconds from the start of this run (after the shot and options were checked; Python's
    # start and imports not counted) until the first output frame was committed
    report["time_to_first_frame_s"] = round(first_written[0] - t_start, 3) if first_written else None
    report["prompt"] = prompt_source
    if shape_masks:
        report["shapes"] = {"folder": str(shapes_dir), "masks": shape_masks}
        if shapes_error:
            report["shapes"]["error"] = shapes_error
    report["notes"] = _summarize_notes(plugins, notes)
    report["frame_cache"] = {
        "budget_mb": cache_mb, "frames_kept": kept, "reads_saved": cache.hits,
    }  # fmt: skip
    report["frame_spill"] = {
        "budget_mb": round(cache.spill_bytes / 2**20, 1), "frames_spilled": cache.spilled_total,
        "reads": cache.spill_reads,
        # CPU of the threads that wrote / read the spill files, per frame written / read back
        "write_cpu_ms_per_frame": round(1000 * cache.spill_write_cpu / max(1, cache.spilled_total), 2),
        "read_cpu_ms_per_read": round(1000 * cache.spill_read_cpu / max(1, cache.spill_reads), 2),
    }  # fmt: skip
    if opts.memory_mb is not None:
        report["memory_cap"] = {"cap_mb": opts.memory_mb, "queue_frames": qsize, "io_threads": io_threads,
                                "frames_in_flight": frames_in_flight(workers, io_threads, qsize, streamed=streamed)}  # fmt: skip
    # what the analyses had to decide for the user (e.g. an unreadable reference frame
    # replaced by the nearest readable one), kept in their sidecars so --resume reports it too
    report["analysis_notes"] = [f"{name}: {note}" for name, analysis in analyses.items()
                                for note in analysis.get("notes", ()) if isinstance(note, str)]  # fmt: skip
    if resume_note:
        report["analysis_notes"].append(resume_note)
    if opts.chunk:  # the plugins' per-frame notes, so `laika-fx report` sums them up as one run does
        report["frame_notes"] = {str(n): notes[n] for n in sorted(notes)}
    try:
        write_report(out_dir, report, path=report_path)
    except OSError as exc:  # a full disk: the caller still has the report (and prints it)
        report["report_error"] = f"could not write {report_path}: {exc.strerror or exc}"
    progress.start("done", 0)
    return report


def _streams(plugins: Sequence[Plugin], out_dir: Path, *, resume: bool, chunk: bool) -> bool:
    """Whether this run renders frames while the analysis still runs (streamed analysis).

    Only when exactly one plugin of the chain has an analyze step, computes it in this run
    and says its render of a frame reads only per-frame results that become final before
    the whole shot is analysed (:meth:`~laika_fx.plugins.Plugin.streams_analysis`; stabilize
    in lock mode with the fill border, its shot pass in windows or off). Otherwise the two passes
    run one after the other: farm chunks only read the sidecars; ``--resume`` with the
    sidecar reuses it (nothing to wait for); two analyses each run over the whole shot
    (deflicker's temporal statistics); and a plugin whose frames depend on the whole shot
    (stabilize's whole-shot pass, smooth mode, crop/zoom rectangle) must finish first, or the
    output would depend on when a frame was rendered.
    """
    analyzing = [p for p in plugins if p.has_analyze]
    if chunk or len(analyzing) != 1:
        return False
    plugin = analyzing[0]
    if resume and (out_dir / f"{plugin.name}.json").exists():
        return False
    return plugin.streams_analysis()


def _raise_prepare_errors(plugins: Sequence[Plugin], errors: dict[str, BaseException]) -> None:
    for plugin in plugins:
        if plugin.name in errors:  # e.g. a model file missing: one line, not a traceback
            exc = errors[plugin.name]
            raise BatchError(f"{plugin.name} could not start: {exc}") from exc


def _analyze_then_render(
    analyze: Callable[..., dict[str, dict]], render: Callable[..., None], plugins: Sequence[Plugin], fmt: tuple, *,
    progress: Progress, cancel: threading.Event, cache: FrameCache, prepare_early: bool,
) -> tuple[dict[str, dict], int]:  # fmt: skip
    """The analyze pass over the whole shot, then the render pass; returns the analyses and
    the frames the frame cache kept in memory at the end of the analysis.

    Plugins without an analyze step get ready (models compiled for this frame size) while
    the others analyse: their set-up is then off the way to the first frame. On long shots
    (``prepare_early`` false) it waits for the analysis instead: the set-up (~0.3 s from the
    compiled-model cache) is a small share of such a run, and its ~100-140 MB (1080p) would
    otherwise add to the analysis's peak (its solver processes, the frame cache).
    """
    prepared: dict[str, BaseException] = {}
    early = [p for p in plugins if not p.has_analyze] if prepare_early else []
    preparing = threading.Thread(target=_prepare, args=(early, fmt, prepared), name="laika-prepare", daemon=True)
    preparing.start()
    analyses = analyze()
    kept = len(cache)  # the render pass releases them as it goes
    preparing.join()
    if not cancel.is_set():
        _prepare([p for p in plugins if p.has_analyze or not prepare_early], fmt, prepared)
        _raise_prepare_errors(plugins, prepared)
        render(progress=progress)
    return analyses, kept


def _analyze_while_rendering(
    analyze: Callable[..., dict[str, dict]], render: Callable[..., None], plugins: Sequence[Plugin], fmt: tuple, *,
    progress: Progress, cancel: threading.Event, cache: FrameCache, frames: Sequence[int], todo: Sequence[int],
    lead: int,
) -> tuple[dict[str, dict], int]:  # fmt: skip
    """The analysis on a thread of its own and the render pass beside it (see :func:`_streams`).

    The render pass renders a frame once the analysis marked it final (:class:`AnalysisGate`:
    the frame's own results and those its render reads from other frames), so each frame is
    rendered from what the finished analysis would give it: the same bytes as two passes.
    The render reads each frame after the analysis decoded it, from the frame cache, which
    it empties as it goes. Every plugin is prepared at once, beside the analysis's start.
    The render's progress is held until the analysis ends (:class:`HeldProgress`). If the
    analysis fails or is cancelled, frames not yet final are not rendered, and its error is
    raised once the frames in flight are written.
    """
    prepared: dict[str, BaseException] = {}
    preparing = threading.Thread(target=_prepare, args=(plugins, fmt, prepared), name="laika-prepare", daemon=True)
    preparing.start()
    gate = AnalysisGate(frames, todo, lead=lead)
    held = HeldProgress(progress)
    outcome: dict[str, Any] = {}

    def analysis() -> None:
        try:
            outcome["analyses"] = analyze(gate=gate)
        except BaseException as exc:  # raised in the caller's thread, after the render pass
            outcome["error"] = exc
        finally:
            outcome["kept"] = len(cache)
            gate.finish("analyses" in outcome and not cancel.is_set())
            held.release()

    analysing = threading.Thread(target=analysis, name="laika-analyze", daemon=True)
    analysing.start()
    try:
        preparing.join()
        if not prepared and not cancel.is_set():
            render(progress=held, gate=gate)
    except BaseException:  # e.g. a KeyboardInterrupt where no handler cancels the run: stop the analysis too
        cancel.set()
        raise
    finally:
        gate.render_over()
        analysing.join()
    if "error" in outcome:
        raise outcome["error"]
    _raise_prepare_errors(plugins, prepared)  # after the analysis, as two passes do
    return outcome["analyses"], outcome["kept"]


def _prepare(plugins: Sequence[Plugin], fmt: tuple, errors: dict[str, BaseException]) -> None:
    """``prepare`` then ``warm`` each plugin for the shot's frames; what fails goes to
    ``errors`` by plugin name (the batch stops on it before rendering)."""
    for plugin in plugins:
        try:
            plugin.prepare()
            plugin.warm(fmt[0], fmt[1])
        except Exception as exc:
            errors[plugin.name] = exc


def write_shape_scripts(output: str | os.PathLike, masks: Sequence[str], *, shot_name: str = "") -> list[Path]:
    """Write ``OUTPUT/shapes/<mask>.nk`` for each mask name from the shapes files there
    (:func:`laika_fx.shapes.write_nuke_script`); returns the scripts written. The batch calls
    it after a run, ``laika-fx report`` and the farm after merging the chunks.

    Raises
    ------
    OSError, laika_fx.shapes.ShapesError
        If a script cannot be written or a shapes file is not valid.
    """
    folder = Path(output) / SHAPES_FOLDER
    written = []
    for name in masks:
        path = write_nuke_script(folder, name, comment=f"{name} shapes of {shot_name}, by laika_fx")
        if path is not None:
            written.append(path)
    return written


def _summarize_notes(plugins: Sequence[Plugin], notes: dict[int, dict[str, Any]]) -> dict[str, dict]:
    """``{plugin: section}``: each plugin's per-frame notes of the frames written, summed up
    by the plugin (:meth:`~laika_fx.plugins.Plugin.summarize_notes`)."""
    out = {}
    for plugin in plugins:
        by_frame = {n: v[plugin.name] for n, v in notes.items() if plugin.name in v}
        if by_frame:
            try:
                out[plugin.name] = plugin.summarize_notes(by_frame)
            except Exception as exc:  # a plugin's bug must not cost the report of frames written
                out[plugin.name] = {"error": f"summarize_notes failed: {type(exc).__name__}: {exc}"}
    return out


def _stored_as_half(shot: Shot, headers: dict[int, FrameInfo] | None = None) -> bool:
    """True for an EXR shot most of whose frames store half floats: outputs stay half.

    The majority of the headers (``headers``, else :func:`shot_headers`), not the first
    frame's: a damaged first frame must not change how the good frames are written.
    """
    if shot.extension.lower() != ".exr":
        return False
    half = full = 0
    for info in (shot_headers(shot) if headers is None else headers).values():
        half += info.stored_dtype == np.float16
        full += info.stored_dtype != np.float16
    return half > full


def _render_pass(
    shot: Shot,
    todo: list[int],
    plugins: Sequence[Plugin],
    out_dir: Path,
    fmt: tuple,
    timer: StageTimes,
    failures: dict[int, dict],
    written: list[int],
    *,
    workers: int,
    io_threads: int,
    qsize: int,
    mask_dirs: dict[str, Path],
    override_dir: Path | None,
    progress: Progress | HeldProgress,
    cancel: threading.Event,
    cache: FrameCache,
    compression: int | None,
    prompts: ShotPrompts,
    notes: dict[int, dict[str, Any]],
    out_ext: str,
    first_written: list[float] | None = None,
    png_compression: str = "fast",
    shape_masks: Sequence[str] = (),
    shapes_dir: Path | None = None,
    exr_half: bool = False,
    gate: AnalysisGate | None = None,
) -> None:
    """Read, render, write and commit the ``todo`` frames (see the module's docstring).

    With ``gate`` (a streamed analysis), a frame is read only once the analysis marked it
    final; the readers stop when the gate says a frame never will be.
    """
    progress.start("render", len(todo))
    frames_q: queue.Queue = queue.Queue()
    for n in todo:
        frames_q.put(n)
    decoded: queue.Queue = queue.Queue(maxsize=qsize)
    rendered: queue.Queue = queue.Queue(maxsize=qsize)
    encoded: queue.Queue = queue.Queue()  # (item, [(temporary file, final name), ...]): paths only
    lock = threading.Lock()
    # Frames read here (by a reader, or by a plugin reading a neighbour: stabilize's fill
    # reads the next two frames before their reader does), from the frame cache, its spill
    # or decoded, are kept in ``window`` until released, so no frame is decoded or read back
    # twice by the render pass. A frame (kept by the analyze pass or in the window) is
    # released once it and the RELEASE_LAG frames after it are rendered: a plugin reading
    # neighbours up to that far still finds it, and the frames decoded later reuse its
    # memory instead of adding to it.
    position = {n: i for i, n in enumerate(todo)}
    finished: set[int] = set()
    released = [0]  # frames before this position in ``todo`` are released
    window: dict[int, np.ndarray] = {}

    def rendered_one(n: int) -> None:
        if gate is not None:
            gate.rendered()
        with lock:
            finished.add(position[n])
            while released[0] < len(todo) and all(
                    p in finished for p in range(released[0], min(len(todo), released[0] + RELEASE_LAG + 1))):  # fmt: skip
                cache.discard(todo[released[0]])
                window.pop(todo[released[0]], None)
                released[0] += 1

    decoding: dict[int, threading.Event] = {}  # frames being read: a second reader waits
    # how far past the released frames the window keeps frames: the readers' reach (a plugin
    # reading neighbours farther ahead decodes those as it did before)
    ahead = frames_in_flight(workers, io_threads, qsize)

    def read_source(n: int) -> np.ndarray:
        """Frame ``n`` from the window, else from the frame cache (memory or spill), else
        decoded and checked against the shot. A frame the window may hold is read once: a
        second thread asking for it meanwhile waits for the first one's array (a spilled
        frame, too, is read from its file into a new array at every ``cache.get``)."""
        with lock:
            arr = window.get(n)
            busy = decoding.get(n) if arr is None else None
            if arr is None and busy is None and 0 <= position.get(n, -1) - released[0] < ahead:
                decoding[n] = done = threading.Event()
            else:
                done = None
        if arr is not None:
            return arr
        if busy is not None:  # another thread reads it: take its result (or read it if that failed)
            busy.wait()
            with lock:
                arr = window.get(n)
            if arr is not None:
                return arr
        try:
            arr = cache.get(n)
            if arr is None:
                arr = read_input(shot.path(n))
                _check_like(arr, fmt, shot.path(n).name)
                arr.flags.writeable = False  # as a kept frame: shared by the frames that read it
            if done is not None:
                with lock:
                    if position[n] >= released[0]:  # not released meanwhile (it would stay for good)
                        window[n] = arr
        finally:
            if done is not None:
                with lock:
                    decoding.pop(n, None)
                done.set()
        return arr

    def fail(item: _Item, error: str) -> None:
        with lock:
            failures[item.frame] = {"frame": item.frame, "file": item.path.name, "error": error}
        progress.advance(item.frame, failed=True)

    def reader() -> None:
        while not cancel.is_set():
            try:
                n = frames_q.get_nowait()
            except queue.Empty:
                return
            if gate is not None and not gate.wait(n):
                return
            item = _Item(n, shot.path(n))
            with timer.measure("read"):
                try:
                    item.array = read_source(n)
                except FrameReadError as exc:
                    item.array, item.error = None, str(exc)
                except Exception as exc:  # never lose the rest of the shot
                    item.array, item.error = None, f"read failed: {exc}"
            decoded.put(item)

    # The first frame goes through the plugin chain alone, then the workers run in
    # parallel: a plugin's lazy first-call set-up then never runs in two threads at once.
    # (OpenVINO's Python bindings initialise process-wide statics on the first inference
    # whose output is read; two threads doing that at once deadlocked ~1 run in 6 of
    # `laika-fx batch sample_frames`, seam_removal + stabilize, 2 workers.)
    first_lock = threading.Lock()
    warmed = threading.Event()

    def render_chain(item: _Item) -> None:
        try:
            override = None
            if override_dir is not None:
                override = load_mask_override(override_dir, item.path, item.array)
            item.array, item.masks = render_frame(
                item.array, plugins, frame=item.frame, path=item.path, mask_override=override,
                read_source=read_source, timer=timer, prompt=prompts.regions(item.frame), notes=item.notes,
            )  # fmt: skip
        except Exception as exc:
            item.array, item.error = None, f"{type(exc).__name__}: {exc}"

    def renderer() -> None:
        while True:
            item = decoded.get()
            if item is _STOP:
                return
            if cancel.is_set() or item.error is not None:
                rendered_one(item.frame)
                rendered.put(item)
                continue
            if warmed.is_set():
                render_chain(item)
            else:
                with first_lock:
                    render_chain(item)
                    warmed.set()
            rendered_one(item.frame)
            rendered.put(item)

    def writer() -> None:
        while True:
            item = rendered.get()
            if item is _STOP:
                return
            if cancel.is_set():
                continue
            if item.error is not None:
                fail(item, item.error)
                continue
            shape_files: list[tuple[bytes, Path]] = []
            if shape_masks:
                t0, c0 = time.perf_counter(), time.thread_time()
                try:
                    for name in shape_masks:
                        if name in item.masks:
                            doc = shapes_document(item.masks[name], frame=item.frame, mask_name=name,
                                                  source=item.path.name)  # fmt: skip
                            json_name, svg_name = shape_file_names(item.path.stem, name)
                            shape_files += [(shapes_json(doc), shapes_dir / json_name),
                                            (shapes_svg(doc).encode(), shapes_dir / svg_name)]  # fmt: skip
                except Exception as exc:  # never lose the rest of the shot
                    fail(item, f"shapes failed: {type(exc).__name__}: {exc}")
                    continue
                timer.add("shapes", time.perf_counter() - t0, time.thread_time() - c0)
            t0, c0 = time.perf_counter(), time.thread_time()
            pairs: list[tuple[Path, Path]] = []
            try:
                for data, target in shape_files:
                    pairs.append((write_temp(target, lambda tmp, data=data: tmp.write_bytes(data)), target))
                for name, folder in mask_dirs.items():
                    if name in item.masks:
                        mask = (item.masks[name] > 0).astype(np.uint8) * 255
                        target = folder / f"{item.path.stem}.png"
                        pairs.append((write_frame_temp(target, mask, png_compression=png_compression), target))
                target = out_dir / output_name(item.path, out_ext)
                frame = convert_for_output(item.array, out_ext)
                pairs.append((write_frame_temp(target, frame, compression=compression, png_compression=png_compression,
                                               exr_half=exr_half, encoder=encoder), target))  # fmt: skip
            except Exception as exc:
                for tmp, _ in pairs:
                    tmp.unlink(missing_ok=True)
                fail(item, f"write failed: {exc}")
                continue
            timer.add("write", time.perf_counter() - t0, time.thread_time() - c0)
            item.array = None
            encoded.put((item, pairs))

    def committer() -> None:
        # Off the render path: sync each encoded file, rename it to its final name (the
        # frame last, after its mask), then sync the folders once per batch of frames.
        # A frame counts as written only after that. After a cancel, encoded frames not
        # yet committed are dropped and their temporary files removed.
        stop = False
        while not stop:
            batch = [encoded.get()]
            while len(batch) < 8:  # a folder sync per <= 8 frames; progress (and cancel) stay prompt
                try:
                    batch.append(encoded.get_nowait())
                except queue.Empty:
                    break
            stop = _STOP in batch
            done: list[_Item] = []
            for entry in batch:
                if entry is _STOP:
                    continue
                item, pairs = entry
                if cancel.is_set():  # not committed: the frame was not written, its file goes
                    for tmp, _ in pairs:
                        tmp.unlink(missing_ok=True)
                    continue
                t0, c0 = time.perf_counter(), time.thread_time()
                try:
                    commit(pairs, sync_dirs=False)
                except Exception as exc:
                    fail(item, f"write failed: {exc}")
                    continue
                timer.add("sync", time.perf_counter() - t0, time.thread_time() - c0)
                done.append(item)
            if done:
                sync_folders([out_dir, *mask_dirs.values(), *([shapes_dir] if shape_masks else [])])
            if done and first_written is not None and not first_written:
                first_written.append(time.perf_counter())
            for item in done:
                with lock:
                    written.append(item.frame)
                    if item.notes:
                        notes[item.frame] = item.notes
                progress.advance(item.frame)

    readers = [threading.Thread(target=reader, name=f"laika-read-{i}", daemon=True) for i in range(io_threads)]
    renderers = [threading.Thread(target=renderer, name=f"laika-render-{i}", daemon=True) for i in range(workers)]
    writers = [threading.Thread(target=writer, name=f"laika-write-{i}", daemon=True) for i in range(io_threads)]
    syncer = threading.Thread(target=committer, name="laika-commit", daemon=True)
    # fpng holds the GIL for a whole encode: on long shots 8-bit RGB(A) PNG frames are encoded
    # in a helper process instead, so the render workers' Python runs meanwhile
    # (laika_fx.encoder); on short ones its start (a fork server of its own when stabilize's
    # solver processes did not start one: ~0.25 s of CPU, 24-frame 1080p shot 157 -> 165 CPU
    # ms per frame) would cost more than it saves
    encoder = None
    if len(todo) >= PNG_PROCESS_MIN_FRAMES:
        encoder = start_png_encoder(fmt[0], fmt[1], ext=out_ext, png_compression=png_compression)
    try:
        for t in readers + renderers + writers + [syncer]:
            t.start()
        for t in readers:
            t.join()
        for _ in renderers:
            decoded.put(_STOP)
        for t in renderers:
            t.join()
        for _ in writers:
            rendered.put(_STOP)
        for t in writers:
            t.join()
        encoded.put(_STOP)
        syncer.join()
    finally:
        if encoder is not None:
            encoder.close()
    written.sort()

