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
from .shot import refine_shot
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
        Param("processes", bool, True, help=f"solve in worker processes (one per pipeline worker) on shots of {PROCESS_MIN_FRAMES}+ frames: the solve holds the GIL, threads do not scale"),
        Param("shot_pass", bool, True, help="re-solve frames whose solve disagrees with their neighbours', starting from the neighbours' solves (costs a frame read per re-solve)"),
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
        if self.settings["processes"] and workers > 1 and len(frames) >= PROCESS_MIN_FRAMES:
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
        # wall time, twice the CPU) and takes the core the other worker decodes on
        cv_threads = cv2.getNumThreads()
        cv2.setNumThreads(1)
        try:
            results = source.map(solve)
        finally:
            cv2.setNumThreads(cv_threads)
            if started is not None:
                started.close()
        order = [n for n in frames if n == ref_frame or n in results]
        if self.settings["shot_pass"]:
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
            entry = {"frame": n, "matrix": _matrix_list(applied[n]), "to_reference": _matrix_list(raw[n])}
            if n == ref_frame:
                entry.update(correlation=1.0, static_fraction=1.0, initial="reference", searched=False)
                # the reference moved against nothing: what moved between it and its nearest
                # solved neighbour is where its puppet is
                near = [(abs(j - i), j) for j, k in enumerate(order) if k != ref_frame and results[k].moving is not None]
                moving = results[order[min(near)[1]]].moving if near else None
            else:
                a = results[n]
                entry.update(
                    correlation=round(a.correlation, 6), static_fraction=round(a.static_fraction, 4), initial=a.initial,
                    searched=bool(a.searched),
                )  # fmt: skip
                moving = a.moving
            if moving is not None:
                entry["moving"] = pack_grid(moving)
            entries.append(entry)
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

    def set_analysis(self, analysis: dict) -> None:
        super().set_analysis(analysis)
        self._fill_cache = None
        self._matrices = {int(f["frame"]): np.asarray(f["matrix"], float) for f in analysis.get("frames", [])}
        self._moving = {int(f["frame"]): f["moving"] for f in analysis.get("frames", []) if "moving" in f}
        self._order = sorted(self._matrices)
        self._rect = None
        size = analysis.get("frame_size")
        self._size = tuple(size) if size else None
        if self._size and self._matrices and self.settings["border"] in ("crop", "zoom"):
            self._rect = common_valid_rectangle([self._matrices[n] for n in self._order], self._size)

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
