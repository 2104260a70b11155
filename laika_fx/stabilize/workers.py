"""Camera solves in worker processes.

A solve is thousands of small NumPy/OpenCV calls that hold the GIL: two solves in two
threads run no faster than one (measured: 38.6 vs 35.1 ms per 1080p frame), so the
analyze pass runs them in one process per worker instead. The frame's finest grayscale
proxy (960 px wide, ~2 MB) is made in the calling thread (OpenCV, no GIL) and sent; the
:class:`~.solver.Alignment` comes back. Workers are started with ``forkserver`` (a
clean process, no threads inherited; ``spawn`` where it does not exist), build their
own :class:`~.solver.CameraSolver` from the reference once, and run OpenCV
single-threaded (one solve per core). They die with the batch, even a killed one
(:mod:`.lifeline`).

A worker compiles the learned coarse aligner only when a solve first asks for its guess
(:class:`LazyAligner`; the identity verifies on most frames of most shots, and then no
guess is asked for): loading OpenVINO and compiling the model costs each process ~90 MB
of resident memory (1080p shot, 96 frames: 198 -> ~110 MB per process). The guess is
the same whenever it is compiled.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ..heap import configure_heap, release_free_memory
from .lifeline import child_context, die_with_parent, main_hidden
from .solver import Alignment, CameraSolver

__all__ = ["LazyAligner", "SolverProcesses"]

_SOLVER: CameraSolver | None = None


class LazyAligner:
    """The learned coarse aligner (:class:`~.coarse.LearnedCoarseAligner`), compiled on its
    first call: callable ``(moving, reference) -> (3, 3)`` like it."""

    def __init__(self, **kwargs) -> None:
        self._kwargs = kwargs
        self._aligner = None

    def __call__(self, moving: np.ndarray, reference: np.ndarray) -> np.ndarray:
        if self._aligner is None:
            from .coarse import LearnedCoarseAligner

            self._aligner = LearnedCoarseAligner(**self._kwargs)
        return self._aligner(moving, reference)


def _start(box: list[np.ndarray], kwargs: dict, learned: bool) -> None:
    """The worker's initializer: ``box`` holds the reference still, taken out here (the pool
    keeps its initializer's arguments for the worker's life: a full-resolution frame, 6 MB
    at 1080p, that the solver no longer needs once it has its proxies)."""
    import cv2

    global _SOLVER
    reference = box.pop()
    die_with_parent()  # a killed batch takes its solver processes with it
    configure_heap()  # freed proxies are reused, not faulted in again (~0.3 s of CPU per 96 frames each)
    cv2.setNumThreads(1)
    coarse = None
    if learned:
        from .coarse import installed_aligner

        # compiled when a solve first asks for a guess (the files are there: checked here)
        coarse = LazyAligner() if installed_aligner() is not None else None
    _SOLVER = CameraSolver(reference, coarse=coarse, **kwargs)
    del reference
    # building the solver from the full-resolution still left more free heap than a solve
    # uses (1080p: ~24 MB free against ~15 MB a solve allocates): not kept for the whole pass
    release_free_memory()


def _solve(finest: np.ndarray) -> Alignment:
    assert _SOLVER is not None
    return _SOLVER.solve_pyramid(_SOLVER.pyramid_from_proxy(finest))


def _ready() -> bool:
    return _SOLVER is not None


class SolverProcesses:
    """``solve(finest_proxy) -> Alignment`` in ``workers`` processes; thread-safe.

    Parameters
    ----------
    reference : the reference still (full resolution; each worker builds its solver).
    workers : number of processes.
    learned : load the learned coarse aligner in each worker (if installed).
    **kwargs : further :class:`~.solver.CameraSolver` keywords (motion, ...).

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, reference: np.ndarray, *, workers: int, learned: bool, **kwargs) -> None:
        ctx = child_context("laika_fx.stabilize.solver")
        workers = max(1, workers)
        self.pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start, initargs=([reference], kwargs, learned))
        # start every worker now, with the caller's script hidden (a submit starts a process
        # while none is idle)
        with main_hidden():
            self._started = [self.pool.submit(_ready) for _ in range(workers)]

    def solve(self, finest: np.ndarray) -> Alignment:
        """The solve of one frame from its :meth:`CameraSolver.finest_proxy`."""
        return self.pool.submit(_solve, finest).result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> SolverProcesses:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
