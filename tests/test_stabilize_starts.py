"""Stabilize: verified cheap starts, the OpenCV static mask, the shot pass's proxy check,
and solving in worker processes (results, not timings)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from laika_fx.stabilize.motion import corner_error
from laika_fx.stabilize.plugin import PROCESS_MIN_FRAMES, StabilizePlugin
from laika_fx.stabilize.shot import refine_shot
from laika_fx.stabilize.solver import Alignment, CameraSolver
from laika_fx.stabilize.starts import VERIFY_RATIO
from laika_fx.stabilize.static_set import static_mask
from laika_fx_train.stabilize.evaluate import _similarity, synthetic_shot

W, H = 640, 360
CENTRE = ((W - 1) / 2, (H - 1) / 2)
ROOT = Path(__file__).resolve().parents[1]


def _shot(photos, matrices, *, foreground=0.2, seed=0):
    return synthetic_shot(photos["set"], photos["puppet"], size=(W, H), foreground=foreground, flicker=0.05,
                          seed=seed, matrices=matrices)  # fmt: skip


def test_small_jitter_verifies_the_identity_and_skips_the_search(photos):
    truth = _similarity(0.8, -0.5, 0.05, 1.0005, CENTRE)
    ref, mov = _shot(photos, [np.eye(3), truth], foreground=0.25, seed=1).frames
    a = CameraSolver(ref, coarse=None).solve(mov)
    assert a.initial == "identity" and not a.searched
    assert corner_error(a.matrix, truth, size=(W, H)) < 0.1


def test_a_big_bump_fails_verification_and_the_search_finds_it(photos):
    truth = _similarity(26.0, -17.0, 0.6, 1.01, CENTRE)  # ~90 px at 1080p
    ref, mov = _shot(photos, [np.eye(3), truth], foreground=0.3, seed=2).frames
    solver = CameraSolver(ref, coarse=None)
    a = solver.solve(mov)
    assert a.searched and a.initial == "search"
    assert corner_error(a.matrix, truth, size=(W, H)) < 0.15
    # without the search the identity is all there is, and it does not reach the bump
    b = CameraSolver(ref, coarse=None, search=0.0).solve(mov)
    assert not b.searched and corner_error(b.matrix, truth, size=(W, H)) > 2


def test_verification_ratio_separates_the_truth_from_a_wrong_start(photos):
    truth = _similarity(14.0, 6.0, 0.0, 1.0, CENTRE)
    ref, mov = _shot(photos, [np.eye(3), truth], foreground=0.3, seed=3).frames
    solver = CameraSolver(ref, coarse=None)
    levels = solver.pyramid(mov)
    right = solver.verification_ratio(levels, truth)
    off = _similarity(-40.0, 25.0, 0.0, 1.0, CENTRE) @ truth
    wrong = solver.verification_ratio(levels, off)
    assert right >= VERIFY_RATIO > wrong


def test_static_mask_excludes_what_moves_and_keeps_the_set():
    rng = np.random.default_rng(0)
    ref = cv2_blur(rng.random((180, 320)).astype(np.float32))
    moving = ref * 1.04 + 0.01  # flicker: gain and offset are not motion
    moving[60:120, 100:180] = cv2_blur(rng.random((60, 80)).astype(np.float32))  # the puppet
    valid = np.ones(ref.shape, bool)
    valid[:, :8] = False  # outside the moving frame
    mask = static_mask(ref, moving, valid, slack=0.0)
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255}
    assert (mask[65:115, 105:175] == 0).all()
    assert (mask[:, :8] == 0).all()
    keep = np.ones(ref.shape, bool)
    keep[55:125, 95:185], keep[:, :10] = False, False
    assert (mask[keep] > 0).mean() > 0.9
    # the uint8 validity the solver may pass gives the same mask
    assert np.array_equal(static_mask(ref, moving, valid.astype(np.uint8), slack=0.0), mask)


def cv2_blur(img):
    import cv2

    return cv2.GaussianBlur(img, (0, 0), 2.0)


def test_shot_pass_checks_the_kept_proxy_before_reading_a_frame(photos):
    mats = [np.eye(3)] + [_similarity(dx, dy, 0.0, 1.0, CENTRE) for dx, dy in ((1.0, 0.5), (-1.5, 1.2), (0.7, -1.0), (-0.4, 0.2))]
    shot = _shot(photos, mats, seed=4)
    solver = CameraSolver(shot.frames[0], coarse=None)
    solved = {n: solver.solve(shot.frames[n]) for n in range(1, 5)}
    assert all(a.proxy is not None for a in solved.values())
    # a frame locked 25 px off (its proxy kept) is re-read and repaired from its neighbour
    wrong = _similarity(-25.0, 8.0, 0.0, 1.0, CENTRE) @ mats[3]
    solved[3] = Alignment(wrong, 0.5, 0.5, "search", True, solved[3].proxy)
    reads = []
    # a threshold below the jitter: every pair of neighbours disagrees, only frame 3 is wrong
    fixed = refine_shot(solver, list(range(5)), solved, lambda k: reads.append(k) or shot.frames[k], reference=0,
                        threshold=0.0005)  # fmt: skip
    assert fixed[3].initial == "neighbour" and fixed[3].proxy is not None
    for n in range(1, 5):
        assert corner_error(fixed[n].matrix, mats[n], size=(W, H)) < 0.15
    assert set(reads) == {3}, reads  # the right frames were judged on their proxies, not read


def _long_shot(photos, frames):
    rng = np.random.default_rng(5)
    bump = _similarity(18.0, -9.0, 0.3, 1.0, CENTRE)
    mats = [np.eye(3)]
    for n in range(1, frames):
        jitter = _similarity(*rng.normal(0, 0.8, 2), 0.0, 1.0, CENTRE)
        mats.append(bump @ jitter if n >= frames // 2 else jitter)
    return _shot(photos, mats, foreground=0.15, seed=6), mats


class _Source:
    def __init__(self, frames, workers):
        self._frames = dict(enumerate(frames, start=1001))
        self.frames = sorted(self._frames)
        self.workers = workers

    def read(self, n):
        return self._frames[n]

    def map(self, fn):
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(self.workers) as pool:
            return dict(zip(self.frames, pool.map(lambda n: fn(n, self._frames[n]), self.frames), strict=True))


def test_worker_processes_give_the_same_solve_as_threads(photos, monkeypatch):
    from laika_fx.stabilize import workers

    shot, mats = _long_shot(photos, PROCESS_MIN_FRAMES)
    results = {}
    for processes in (True, False):
        plugin = StabilizePlugin({"processes": processes})
        results[processes] = plugin.analyze(_Source(shot.frames, workers=2))

    # processes that break mid-shot: the solves fall back to threads, which load the
    # learned aligner then (the main process has none while processes solve)
    def broken(self, finest):
        raise RuntimeError("worker died (simulated)")

    monkeypatch.setattr(workers.SolverProcesses, "solve", broken)
    results["fallback"] = StabilizePlugin({"processes": True}).analyze(_Source(shot.frames, workers=2))
    assert results[True]["coarse_aligner"] == results[False]["coarse_aligner"] == results["fallback"]["coarse_aligner"]
    for other in (True, "fallback"):
        a, b = results[other]["frames"], results[False]["frames"]
        assert [f["frame"] for f in a] == [f["frame"] for f in b]
        for fa, fb in zip(a, b, strict=True):
            assert np.allclose(fa["to_reference"], fb["to_reference"], atol=1e-9)
            assert fa["initial"] == fb["initial"] and fa["searched"] == fb["searched"]
    a = results[True]["frames"]
    errs = [corner_error(np.asarray(f["to_reference"]), m, size=(W, H)) for f, m in zip(a, mats, strict=True)]
    assert max(errs) < 0.2, errs


def test_worker_processes_do_not_rerun_the_callers_script(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent("""
        import cv2
        import numpy as np
        from laika_fx.stabilize.motion import corner_error
        from laika_fx.stabilize.proxies import gray_proxy
        from laika_fx.stabilize.workers import SolverProcesses
        print("top level", flush=True)
        noise = np.random.default_rng(0).random((180, 320, 3)).astype(np.float32)
        ref = (cv2.GaussianBlur(noise, (0, 0), 3) * 255).astype(np.uint8)
        with SolverProcesses(ref, workers=2, learned=False) as procs:
            a = procs.solve(gray_proxy(ref))
        print("solved", corner_error(a.matrix, np.eye(3), size=(320, 180)) < 0.05, flush=True)
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["top", "level", "solved", "True"], out.stdout + out.stderr


def test_a_solver_process_does_not_keep_the_reference_it_started_from():
    """The pool keeps a worker's initializer arguments for the worker's life: the reference
    still goes in a box the initializer empties, and the solver built from it solves as one
    built in this process."""
    code = textwrap.dedent("""
        import cv2, numpy as np
        from laika_fx.stabilize import workers
        from laika_fx.stabilize.solver import CameraSolver
        noise = np.random.default_rng(0).random((180, 320, 3)).astype(np.float32)
        ref = (cv2.GaussianBlur(noise, (0, 0), 3) * 255).astype(np.uint8)
        moved = np.roll(ref, (2, -3), axis=(0, 1))
        box = [ref.copy()]
        workers._start(box, {}, False)
        here = CameraSolver(ref)
        a = workers._solve(here.finest_proxy(moved))
        b = here.solve_pyramid(here.pyramid(moved))
        print(len(box), np.array_equal(a.matrix, b.matrix), a.initial == b.initial)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "True", "True"], out.stdout + out.stderr


@pytest.mark.parametrize("seed", [0, 3])
def test_learned_guess_finds_a_big_bump_without_the_exhaustive_search(photos, seed):
    from laika_fx.stabilize.coarse import LearnedCoarseAligner

    rng = np.random.default_rng(seed)
    ang = rng.uniform(0, 2 * np.pi)
    truth = _similarity(26 * np.cos(ang), 26 * np.sin(ang), 0.5, 1.01, CENTRE)  # ~80 px at 1080p
    ref, mov = _shot(photos, [np.eye(3), truth], foreground=0.3, seed=20 + seed).frames
    a = CameraSolver(ref, coarse=LearnedCoarseAligner(), search=0.0).solve(mov)
    assert a.initial == "learned" and not a.searched
    assert corner_error(a.matrix, truth, size=(W, H)) < 0.1
    # the refinement from the identity alone does not get there
    b = CameraSolver(ref, coarse=None, search=0.0).solve(mov)
    assert corner_error(b.matrix, truth, size=(W, H)) > 2


def _rocket_pair_1080p(puppet: str, *, seed: int, matrices: list[np.ndarray]):
    """A held-out night sky with two thin towers (plain, low-contrast set) and a 30%
    textured puppet, at 1920x1080: the scene behind the last bump and shot failures."""
    from laika_fx_train.sources import load_photo

    return synthetic_shot(load_photo("rocket", np.uint8), load_photo(puppet, np.uint8), size=(1920, 1080), foreground=0.3,
                          seed=seed, matrices=matrices)  # fmt: skip


def test_a_near_static_puppet_over_a_plain_set_does_not_pull_the_refinement():
    # rocket shot, seed 50, frame 1 (jitter only): the coffee-cup puppet moved ~5-10 px,
    # owns most of the textured points but a minority of the cells; the refinement used
    # to drift 7.3 px onto it even when started at the truth
    from laika_fx_train.sources import load_photo

    shot = synthetic_shot(load_photo("rocket", np.uint8), load_photo("coffee", np.uint8), size=(1920, 1080), frames=3, foreground=0.3,
                          seed=50, bump=0.0)  # fmt: skip
    truth = shot.truth[1]
    solver = CameraSolver(shot.frames[0])
    assert corner_error(solver.solve(shot.frames[1], initial=truth).matrix, truth, size=solver.size) < 0.3
    assert corner_error(solver.solve(shot.frames[1]).matrix, truth, size=solver.size) < 0.3
    # the cause: without the cell-trimmed refinement the points' majority (the puppet) wins
    untrimmed = CameraSolver(shot.frames[0], cell_trim=False)
    assert corner_error(untrimmed.solve(shot.frames[1], initial=truth).matrix, truth, size=solver.size) > 2


@pytest.mark.parametrize(
    "seed",
    [
        0,  # the bump table's last failure (trial 4: a 1.9% zoom under a 30% puppet): 7.8 px before
        100,  # the same trial with seed 100 (a -1.1% zoom): every start, the cell-shift fit
        # included, ended on the puppet's motion, 18.6 px off; set and puppet differ by ~1 px
        # at the search level, the sub-pixel cells' second fitted similarity finds the set
    ],
)
def test_rocket_20px_bump_pairs_are_solved(seed):
    from laika_fx.stabilize.coarse import LearnedCoarseAligner

    rng = np.random.default_rng(seed + 4)
    ang = rng.uniform(0, 2 * np.pi)
    truth = _similarity(20 * np.cos(ang), 20 * np.sin(ang), rng.uniform(-1, 1), 1 + rng.uniform(-0.02, 0.02),
                        (959.5, 539.5))  # fmt: skip
    ref, mov = _rocket_pair_1080p("coffee", seed=seed + 420, matrices=[np.eye(3), truth]).frames
    a = CameraSolver(ref, coarse=LearnedCoarseAligner()).solve(mov)
    assert corner_error(a.matrix, truth, size=(1920, 1080)) < 0.3


def test_the_solver_processes_start_at_the_pipelines_long_shot_length():
    """The batch sizes its frame cache and its plugins' preparation for the helper processes
    of shots of LONG_SHOT_FRAMES+ frames: stabilize's solver processes must start there too."""
    from laika_fx.pipeline import LONG_SHOT_FRAMES

    assert PROCESS_MIN_FRAMES == LONG_SHOT_FRAMES
