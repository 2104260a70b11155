"""laika_fx.blas: OpenBLAS on one thread while a batch runs, the same numbers as on every core."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from laika_fx.blas import blas_threads, one_blas_thread

pytestmark = pytest.mark.skipif(blas_threads() is None, reason="NumPy does not use OpenBLAS here")


def _products(seed: int) -> list[bytes]:
    """The solver's kinds of products (refine: ``sd.T @ sd`` of (N, k) steepest-descent images,
    its solve, the gradient sum) at the sizes a 1080p shot gives."""
    rng = np.random.default_rng(seed)
    out = []
    for n in (64, 700, 4000, 8000, 20000, 60000):
        for k in (2, 4, 6, 8):
            sd = rng.standard_normal((n, k))
            err = rng.standard_normal(n)
            hess = sd.T @ sd
            out += [hess.tobytes(), (sd * err[:, None]).sum(axis=0).tobytes(),
                    np.linalg.solve(hess + np.eye(k), sd[:k].sum(axis=0)).tobytes()]  # fmt: skip
    return out


def test_one_thread_inside_the_block_restored_after_and_the_same_numbers():
    before = blas_threads()
    everywhere = _products(3)
    with one_blas_thread():
        assert blas_threads() == 1
        with one_blas_thread():  # nested: still one, and the outer block restores
            assert blas_threads() == 1
        assert blas_threads() == 1
        one = _products(3)
    assert blas_threads() == before
    assert one == everywhere


def test_concurrent_blocks_restore_the_count_when_the_last_ends():
    before = blas_threads()
    inside, release = threading.Event(), threading.Event()

    def other():
        with one_blas_thread():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=other)
    t.start()
    assert inside.wait(10)
    with one_blas_thread():
        assert blas_threads() == 1
    assert blas_threads() == 1  # the other block still runs
    release.set()
    t.join(10)
    assert blas_threads() == before


def test_a_batch_runs_on_one_blas_thread_and_gives_it_back(tmp_path):
    from laika_fx.pipeline import run_batch
    from laika_fx.plugins import FrameContext, Plugin
    from laika_fx.sequence import open_shot

    from .conftest import make_shot

    seen = []

    class Watch(Plugin):
        name = "watch_blas"

        def render(self, frame, ctx: FrameContext):
            seen.append(blas_threads())
            return frame

    make_shot(tmp_path / "s", 3, shape=(24, 32, 3), dtype=np.uint8)
    before = blas_threads()
    run_batch(open_shot(tmp_path / "s"), tmp_path / "out", [Watch()])
    assert seen == [1, 1, 1] and blas_threads() == before
