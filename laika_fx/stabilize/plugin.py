"""The ``stabilize`` plugin: camera solve in the analyze pass, warp in the render pass.

The analysis is the sidecar ``OUTPUT/stabilize.json`` (format and checks:
:mod:`laika_fx.stabilize.sidecar`): per frame, ``matrix`` maps pixel coordinates of the
input frame to those of the reference frame (or of the smoothed camera), and the render
pass warps by it; edit it to correct a frame by hand. The crop rectangle of the
``crop``/``zoom`` border modes is recomputed from the matrices when the sidecar is
loaded, so it always fits the (possibly edited) solve.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import cv2
import numpy as np

from ..io import FrameReadError
from ..plugins import FrameContext, Param, Plugin
from ..sequence import format_frame_range
from .motion import MOTION_MODELS
from .moving import pack_grid, unpack_grid
from .shot import ShotPass, refine_shot
from .sidecar import SCHEMA_VERSION, read_sidecar
from .smooth import smoothed_corrections
from .solver import CameraSolver
from .warp import (
    BORDER_MODES,
    INTERPOLATIONS,
    common_valid_rectangle,
    crop_matrix,
    fill_from_neighbours,
    warp_frame,
    zoom_rectangle,
)

__all__ = ["StabilizePlugin"]

#: shots at least this long solve in worker processes (starting them costs 0.3-0.8 s)
PROCESS_MIN_FRAMES = 48
#: the shot pass's window (:class:`~.shot.ShotPass`): frames are final 6-9 frames behind the
#: newest solve; shots of up to 9 frames after the reference are one window (the whole-shot
#: pass). Windows of 4, 12 and the whole shot gave the same validation seam shots (32 frames,
#: 48 shots: docs/benchmarks.md, "Session 10"); 4 holds the fewest frames in flight
SHOT_WINDOW = 4
#: fill mode keeps at most this many bytes of source frames read as neighbours
FILL_CACHE_BYTES = 512 * 1024 * 1024
log = logging.getLogger(__name__)


def _matrix_list(matrix: np.ndarray) -> list[list[float]]:
    return [[round(float(v), 10) for v in row] for row in np.asarray(matrix, float)]


def _read_reference(source, frames: list[int], wanted: int):
    """``(array, frame, error)`` of the reference still: ``wanted`` if it reads, else the
    nearest readable frame (the earlier one at equal distance), with ``error`` =
    ``(wanted, why it failed)``; ``(None, None, why)`` if no frame reads."""
    error = None
    for k in sorted(frames, key=lambda k: (abs(k - wanted), k)):
        try:
            return source.read(k), k, error
        except FrameReadError as exc:
            if error is None:
                error = (wanted, str(exc))
    return None, None, error[1] if error else "no frames"


def _frame_entry(n: int, matrix: np.ndarray, to_reference: np.ndarray, alignment, moving) -> dict:
    """Frame ``n``'s entry in ``stabilize.json``: its applied and raw matrices, its solve's
    figures (``alignment``; None: the reference) and its moving grid (None: none kept)."""
    entry = {"frame": n, "matrix": _matrix_list(matrix), "to_reference": _matrix_list(to_reference)}
    if alignment is None:
        entry.update(correlation=1.0, static_fraction=1.0, initial="reference", searched=False)
    else:
        entry.update(
            correlation=round(alignment.correlation, 6), static_fraction=round(alignment.static_fraction, 4),
            initial=alignment.initial, searched=bool(alignment.searched),
        )  # fmt: skip
    if moving is not None:
        entry["moving"] = pack_grid(moving)
    return entry


def _nearest_moving(order: list[int], results: dict, r: int, *, complete: bool = True):
    """``(decided, grid)``: the reference's moving grid. The reference ``order[r]`` moved
    against nothing: what moved between it and its nearest solved frame that kept a grid
    (in shot order, the earlier one at equal distance) is where its puppet is.

    ``complete`` false: ``order`` holds only the frames solved so far, more may follow;
    ``decided`` is then False while a frame still to come could be the nearest.
    """
    for d in range(1, len(order) + 1):
        left, right = r - d, r + d
        if left >= 0 and results[order[left]].moving is not None:
            return True, results[order[left]].moving
        if right < len(order):
            if results[order[right]].moving is not None:
                return True, results[order[right]].moving
        elif not complete:
            return False, None
    return True, None


class _SolveStream:
    """Hands the solves of a streamed analysis to the render as they become final.

    Only in the settings of :meth:`StabilizePlugin.streams_analysis`: a frame's entry is
    then its own solve against the reference, final when solved (with the shot pass: its
    solve once :class:`~.shot.ShotPass` made it final, handed here then); its render also reads the
    matrices of its ``fill_radius`` nearest solved frames on each side (the fill border) and,
    for the reference, the moving grid of its nearest solved frame (:func:`_nearest_moving`).
    Frames come in shot order (:meth:`~laika_fx.pipeline.AnalysisSource.imap`), so a frame is
    final once ``fill_radius`` solved frames follow it, and the reference once its grid is
    decided too; unreadable frames fail at their read and need nothing.
    """

    def __init__(self, plugin: StabilizePlugin, source, reference: int, size: tuple[int, int]) -> None:
        self.plugin = plugin
        self.source = source
        self.reference = reference
        self.radius = plugin.settings["fill_radius"]
        self.order: list[int] = []
        self.results: dict = {}
        self.reference_moving = False  # whether the reference's moving grid is decided
        plugin._start_solves(size)

    def add(self, n: int, alignment) -> None:
        """Frame ``n`` was solved (``alignment``; None for the reference)."""
        self.order.append(n)
        self.results[n] = alignment
        if n == self.reference:  # its matrix is known now (its neighbours' fill reads it), its grid may follow
            entries = [_frame_entry(n, np.eye(3), np.eye(3), None, None)]
        else:
            entries = [_frame_entry(n, alignment.matrix, alignment.matrix, alignment, alignment.moving)]
        last = len(self.order) - 1 - self.radius  # the last frame whose fill neighbours are all solved
        if self.reference in self.results and not self.reference_moving:
            r = self.order.index(self.reference)
            self.reference_moving, moving = _nearest_moving(self.order, self.results, r, complete=False)
            if self.reference_moving:
                entries.append(_frame_entry(self.reference, np.eye(3), np.eye(3), None, moving))
            else:
                last = min(last, r - 1)
        self.plugin._add_solves(entries)
        if last >= 0:
            self.source.final_through(self.order[last])


class StabilizePlugin(Plugin):
    name = "stabilize"
    label = "Stabilize"
    description = "Put every still back where the reference still was (sub-pixel), ignoring the puppet."
    has_analyze = True
    params = (
        Param("reference", int, -1, minimum=-1, help="frame number of the reference still; -1 = first frame of the range"),
        Param("motion", str, "similarity", choices=MOTION_MODELS, help="camera motion model"),
        Param("mode", str, "lock", choices=("lock", "smooth"), help="lock: align every frame to the reference; smooth: keep an intended move, remove bumps"),
        Param("smoothing", float, 8.0, minimum=0.5, maximum=500.0, help="smooth mode: width of the camera path smoothing in frames"),
        Param("border", str, "fill", choices=BORDER_MODES, help="uncovered border: crop to the area valid in all frames, zoom to fill, or fill from neighbouring frames"),
        Param("interpolation", str, "bilinear", choices=tuple(INTERPOLATIONS), help="resampling filter of the warp"),
        Param("fill_radius", int, 2, minimum=0, maximum=50, help="fill mode: neighbouring frames searched on each side (each one read costs a frame read)"),
        Param("learned", bool, True, help="when the identity does not verify, try the learned coarse aligner's guess (if its model is installed) before the exhaustive shift search; a guess that verifies skips the search"),
        Param("reject_foreground", bool, True, help="mask out what moves against the camera (the puppet) in the solve"),
        Param("processes", bool, True, help=f"solve in worker processes (one per pipeline worker) on shots of {PROCESS_MIN_FRAMES}+ frames: the solve holds the GIL, threads do not scale (not when frames render while the shot is solved: lock mode, fill border)"),
        Param("shot_pass", bool, True, help="re-solve frames whose solve disagrees with their neighbours', starting from the neighbours' solves (costs a frame read per re-solve)"),
        Param("shot_window", int, SHOT_WINDOW, minimum=0, maximum=1000, help="the shot pass works on windows of twice this many frames and one more, so frames are final (and render, in lock mode with the fill border) this many plus 2 to twice this many plus 1 frames behind the solve; 0: the whole shot at once (frames render after the whole analysis)"),
    )  # fmt: skip

    # ---------------------------------------------------------------- analyze
    def _coarse(self):
        if not self.settings["learned"]:
            return None, "none"
        from .coarse import LearnedCoarseAligner

        try:
            aligner = LearnedCoarseAligner()
        except FileNotFoundError as exc:
            log.warning("learned coarse aligner not available (%s); starting from the identity", exc)
            return None, "none"
        return aligner, aligner.name

    def _coarse_name(self) -> str:
        """The learned coarse aligner's name if it is enabled and installed, else ``"none"``."""
        if not self.settings["learned"]:
            return "none"
        from .coarse import installed_aligner

        return installed_aligner() or "none"

    def model_precision(self) -> str | None:
        """The learned coarse aligner's precision (``aligner_int8``: int8), as the analysis
        recorded it (a chunk renders from the sidecar) or as installed; None if none is used."""
        name = (self.analysis or {}).get("coarse_aligner") or self._coarse_name()
        return str(name).rsplit("_", 1)[-1] if name and name != "none" and "_" in str(name) else None

    def _solve_in_processes(self, source, frames: int) -> bool:
        """Whether to solve in worker processes: on long shots with several workers, unless
        the render streams beside the analysis (:meth:`streams_analysis`). Then the render's
        threads take the other core and the analysis need only keep ahead of the render, so
        the processes' memory (~75 MB each at 1080p) would only add to the render's (96-frame
        1080p shot, 2 workers: peak RSS of the process tree 714 MB with them, 549 without;
        the same solves either way)."""
        workers = int(getattr(source, "workers", 1))
        return (self.settings["processes"] and workers > 1 and frames >= PROCESS_MIN_FRAMES
                and not self._streamed(source))  # fmt: skip

    def _streamed(self, source) -> bool:
        """Whether the render runs beside this analysis of ``source`` (see :meth:`streams_analysis`)."""
        return getattr(source, "streaming", False) and self.streams_analysis()

    def analyze(self, source) -> dict:
        frames = list(source.frames)
        if not frames:
            return {"reference_frame": None, "frames": []}
        ref_frame = self.settings["reference"]
        if ref_frame == -1:
            ref_frame = frames[0]
        if ref_frame not in frames:
            raise ValueError(f"reference frame {ref_frame} is not in the analysed range {frames[0]}-{frames[-1]}")
        notes: list[str] = []
        reference, ref_frame, error = _read_reference(source, frames, ref_frame)
        if reference is None:
            return {"reference_frame": None, "frames": [], "schema_version": SCHEMA_VERSION,
                    "notes": [f"no frame of {frames[0]}-{frames[-1]} could be read ({error})"]}  # fmt: skip
        if error is not None:
            notes.append(f"reference frame {error[0]} could not be read ({error[1]}); "
                         f"frame {ref_frame}, the nearest readable frame, is the reference")  # fmt: skip

        # The solve is many small NumPy/OpenCV calls that hold the GIL: two at once in
        # threads run slower than one (measured 38.6 vs 35.1 ms/frame at 1080p). Long
        # shots solve in worker processes (one per pipeline worker); otherwise one solve
        # at a time, while the pool's other thread reads and decodes the next frame.
        # The processes are started first: their start-up (~0.5 s of CPU each, the learned
        # aligner's compile included) then overlaps with this process building its own
        # solver, which needs no learned aligner of its own (it serves the shot pass,
        # whose re-solves start from the neighbours' solves); one is loaded only if the
        # processes fail and the solves fall back to threads.
        procs = None
        workers = int(getattr(source, "workers", 1))
        if self._solve_in_processes(source, len(frames)):
            from .workers import SolverProcesses

            learned_name = self._coarse_name()
            try:
                procs = SolverProcesses(
                    reference, workers=workers, learned=learned_name != "none", motion=self.settings["motion"],
                    reject_foreground=self.settings["reject_foreground"],
                )  # fmt: skip
            except (OSError, RuntimeError) as exc:  # e.g. no process may be started here
                log.warning("stabilize: solving in threads (%s)", exc)
        if procs is not None:
            coarse, coarse_name = None, learned_name
        else:
            coarse, coarse_name = self._coarse()
        solver = CameraSolver(
            reference, motion=self.settings["motion"], coarse=coarse,
            reject_foreground=self.settings["reject_foreground"],
        )  # fmt: skip
        lock = threading.Lock()

        def solve(n: int, frame: np.ndarray):
            nonlocal procs
            if n == ref_frame:
                return None
            if procs is not None:
                try:
                    return procs.solve(solver.finest_proxy(frame))
                except (OSError, RuntimeError) as exc:  # BrokenProcessPool is a RuntimeError
                    log.warning("stabilize: worker processes failed (%s); solving in threads", exc)
                    procs = None
            levels = solver.pyramid(frame)
            with lock:
                if solver.coarse is None and coarse_name != "none":  # fallback from the processes
                    solver.coarse = self._coarse()[0]
                return solver.solve_pyramid(levels)

        started = procs
        # OpenCV's own thread pool only busy-waits on a solve's small images (measured: same
        # wall time, twice the CPU) and takes the core the other worker decodes on. The setting
        # is process-wide: a render streamed beside the analysis runs with it too (its warps and
        # resizes give the same bytes on one thread: tests/test_streaming.py)
        cv_threads = cv2.getNumThreads()
        cv2.setNumThreads(1)
        # the shot pass frame by frame (windows: frames final a window behind the solve) when
        # the reference is the shot's first frame; else on the whole shot once it is solved
        shot_pass = None
        if self.settings["shot_pass"] and ref_frame == frames[0]:
            shot_pass = ShotPass(solver, source.read, reference=ref_frame, horizon=self.settings["shot_window"])
        stream = None
        if self._streamed(source):
            stream = _SolveStream(self, source, ref_frame, (solver.width, solver.height))
        try:
            if stream is None:
                results = source.map(solve)
            else:
                results = {}
                for n, result in source.imap(solve):
                    results[n] = result
                    if n == ref_frame or not self.settings["shot_pass"]:
                        stream.add(n, result)
                    elif shot_pass is not None:
                        with lock:  # its re-solves use the solver the threads solve on
                            final = shot_pass.add(n, result)
                        for k in final:
                            stream.add(k, shot_pass.final[k])
        finally:
            cv2.setNumThreads(cv_threads)
            if started is not None:
                started.close()
        order = [n for n in frames if n == ref_frame or n in results]
        if shot_pass is not None:
            if stream is None:
                for n in order[1:]:
                    shot_pass.add(n, results[n])
            final = shot_pass.finish()
            if stream is not None:
                for k in final:
                    stream.add(k, shot_pass.final[k])
            results = {ref_frame: None, **shot_pass.final}
        elif self.settings["shot_pass"]:
            results = refine_shot(solver, order, {n: results[n] for n in order if n != ref_frame}, source.read,
                                  reference=ref_frame)  # fmt: skip
        raw = {n: (np.eye(3) if n == ref_frame else results[n].matrix) for n in order}
        if self.settings["mode"] == "smooth":
            corrected = smoothed_corrections(
                [raw[n] for n in order], size=solver.size, sigma=self.settings["smoothing"],
                motion=self.settings["motion"],
            )  # fmt: skip
            applied = dict(zip(order, corrected, strict=True))
        else:
            applied = raw
        entries = []
        for i, n in enumerate(order):
            if n == ref_frame:
                moving = _nearest_moving(order, results, i)[1]
                entries.append(_frame_entry(n, applied[n], raw[n], None, moving))
            else:
                entries.append(_frame_entry(n, applied[n], raw[n], results[n], results[n].moving))
        return {
            "reference_frame": ref_frame,
            "frames": entries,
            "mode": self.settings["mode"],
            "motion": self.settings["motion"],
            "frame_size": [solver.width, solver.height],
            "coarse_aligner": coarse_name,
            "schema_version": SCHEMA_VERSION,
            **({"notes": notes} if notes else {}),
        }

    # ---------------------------------------------------------------- render
    @classmethod
    def read_analysis(cls, path) -> dict:
        """``stabilize.json``, checked (:func:`laika_fx.stabilize.sidecar.read_sidecar`)."""
        return read_sidecar(path)

    def streams_analysis(self) -> bool:
        """True in lock mode with the fill border, with the shot pass in windows from the
        first frame (``shot_window`` > 0, ``reference`` -1) or without it: a frame's render
        then reads its own solve against the reference, its fill neighbours' solves and (the
        reference) its nearest solved frame's moving grid, each final once those frames are
        final (:class:`_SolveStream`; with the shot pass, a window behind the solve:
        :class:`~.shot.ShotPass`). Not otherwise, where every frame depends on the whole
        shot: the shot pass on the whole shot (``shot_window`` 0, or a reference inside the
        shot) re-solves frames backwards from the last frame's solve and from the shot's
        clearest switch (:func:`~.shot.follow_set`), smooth mode filters the whole camera
        path, and the crop and zoom borders fit one rectangle to every frame's matrix."""
        windowed = self.settings["shot_window"] > 0 and self.settings["reference"] == -1
        return (self.settings["mode"] == "lock" and self.settings["border"] == "fill"
                and (not self.settings["shot_pass"] or windowed))  # fmt: skip

    def set_analysis(self, analysis: dict) -> None:
        super().set_analysis(analysis)
        size = analysis.get("frame_size")
        self._fill_cache = None
        self._size = tuple(size) if size else None
        self._add_solves(analysis.get("frames", []), fresh=True)
        self._rect = None
        if self._size and self._matrices and self.settings["border"] in ("crop", "zoom"):
            self._rect = common_valid_rectangle([self._matrices[n] for n in self._order], self._size)

    def _start_solves(self, size: tuple[int, int]) -> None:
        """No solves yet, frames of ``size`` (width, height): a streamed analysis begins."""
        self._fill_cache = None
        self._size = size
        self._rect = None
        self._add_solves([], fresh=True)

    def _add_solves(self, entries: list[dict], *, fresh: bool = False) -> None:
        """Give the render the solves of ``entries`` (``stabilize.json`` frame entries), in
        place of those it has (``fresh``) or besides them. New containers are swapped in
        whole: renders on other threads (a streamed analysis, whose own frames' solves are
        final) find the solves they read before and after, never half-built containers."""
        old_matrices, old_moving = ({}, {}) if fresh else (self._matrices, self._moving)
        matrices = {**old_matrices, **{int(f["frame"]): np.asarray(f["matrix"], float) for f in entries}}
        moving = {**old_moving, **{int(f["frame"]): f["moving"] for f in entries if "moving" in f}}
        self._matrices, self._moving, self._order = matrices, moving, sorted(matrices)

    def moving_region(self, frame: int):
        """Where frame ``frame`` moved against the set, as the solve saw it: a (rows, cols)
        bool grid over the frame (:mod:`~.moving`), or None (no analysis, or none kept)."""
        doc = getattr(self, "_moving", {}).get(frame)
        return unpack_grid(doc) if doc is not None else None

    @property
    def crop_rectangle(self) -> tuple[int, int, int, int] | None:
        """(x, y, width, height) valid in every frame (crop/zoom modes), once analysed."""
        return getattr(self, "_rect", None)

    def _read_cached(self, k: int, ctx: FrameContext) -> np.ndarray:
        """Source frame ``k`` through a small LRU cache (neighbours are shared by nearby frames)."""
        cache, lock = self._cache_state()
        with lock:
            if k in cache:
                cache.move_to_end(k)
                return cache[k]
        img = ctx.read_source(k)
        self._remember(k, img)
        return img

    def _remember(self, k: int, img: np.ndarray) -> None:
        """Put frame ``k`` in the LRU cache (evicting the oldest beyond its limits)."""
        cache, lock = self._cache_state()
        with lock:
            cache[k] = img
            cache.move_to_end(k)
            total = sum(v.nbytes for v in cache.values())
            limit = max(FILL_CACHE_BYTES, img.nbytes)
            count = 2 * self.settings["fill_radius"] + 3
            while len(cache) > 1 and (total > limit or len(cache) > count):
                _, old = cache.popitem(last=False)
                total -= old.nbytes

    def _cache_state(self):
        state = getattr(self, "_fill_cache", None)
        if state is None:
            state = self._fill_cache = (OrderedDict(), threading.Lock())
        return state

    def _neighbours(self, n: int, ctx: FrameContext):
        if ctx.read_source is None:
            return []
        # A fixed order of preference (nearest first, the previous frame before the next at
        # equal distance): the filled pixels depend on it, so it must not depend on which
        # frames happen to be cached, or a frame would fill differently with several
        # workers, in a chunk, or in the app's preview. In shot order the previous frame is
        # the one just rendered and kept, so it is usually read from the cache anyway.
        idx = self._order.index(n)
        out = []
        for d in range(1, self.settings["fill_radius"] + 1):
            for j in (idx - d, idx + d):
                if not 0 <= j < len(self._order):
                    continue
                k = self._order[j]
                out.append(((lambda k=k: self._read_cached(k, ctx)), self._matrices[k]))
        return out

    def render(self, frame: np.ndarray, ctx: FrameContext) -> np.ndarray:
        matrices = getattr(self, "_matrices", None)
        if matrices is None:
            raise RuntimeError("stabilize has no analysis: run the analyze pass or load stabilize.json")
        if ctx.frame not in matrices:
            covered = format_frame_range(sorted(matrices)) if matrices else "no frame"
            raise ValueError(f"frame {ctx.frame} has no camera solve in stabilize.json (it covers {covered}): "
                             "rerun without --resume, or `laika-fx analyze` over the whole range")  # fmt: skip
        matrix = matrices[ctx.frame]
        h, w = frame.shape[:2]
        if self._size is not None and tuple(self._size) != (w, h):
            raise ValueError(f"frame is {w}x{h}, the solve was made at {self._size[0]}x{self._size[1]}")
        border, interp = self.settings["border"], self.settings["interpolation"]
        if border == "crop":
            x, y, rw, rh = self._rect
            return warp_frame(frame, crop_matrix(self._rect, (w, h), zoom=False) @ matrix, size=(rw, rh),
                              interpolation=interp)  # fmt: skip
        if border == "zoom":
            zoom = crop_matrix(zoom_rectangle(self._rect, (w, h)), (w, h), zoom=True)
            return warp_frame(frame, zoom @ matrix, interpolation=interp)
        # the frame being rendered is a neighbour of the next ones: keep its *input* version
        # (ctx.source), so they need not decode it again (a PNG decode costs ~30 ms at 1080p).
        # Never the frame given here when other plugins ran before: neighbours must be input
        # frames whether or not they happen to be cached, or a border would depend on timing.
        if self.settings["fill_radius"] > 0:
            self._remember(ctx.frame, frame if ctx.source is None else ctx.source)
        return fill_from_neighbours(frame, matrix, self._neighbours(ctx.frame, ctx), interpolation=interp)
