"""A streamed analysis (frames rendered while stabilize still solves) writes the bytes of
two passes (analysis over the whole shot, then the render), whatever the workers, a bad
frame, a cancel and ``--resume``; settings whose frames depend on the whole shot keep two
passes.

A 12-frame 320x180 shot made from sample_frames/, seam_removal + stabilize without its
shot pass (the settings that stream), the reference mid-shot (frames before it, and its
moving grid taken from a later frame's solve), one corrupt frame.
"""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from laika_fx import pipeline
from laika_fx.pipeline import (
    SPILL_PREFIX,
    AnalysisGate,
    BatchError,
    BatchOptions,
    Cancel,
    HeldProgress,
    Progress,
    frames_in_flight,
    run_batch,
)
from laika_fx.seam_removal.plugin import SeamRemoval
from laika_fx.sequence import open_shot
from laika_fx.stabilize import plugin as stabilize_plugin
from laika_fx.stabilize.plugin import StabilizePlugin, _nearest_moving

from .test_determinism import output_digests
from .test_robustness import small_shot

STREAMED = {"shot_pass": False, "reference": 1004}
CORRUPT = 1008


@pytest.fixture(scope="module")
def shot(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("streaming") / "shot"
    small_shot(folder, 12)
    (folder / f"frame.{CORRUPT}.png").write_bytes(b"\x89PNG\r\n\x1a\n not a frame")
    return folder


def chain(**stabilize) -> list:
    return [SeamRemoval(), StabilizePlugin({**STREAMED, **stabilize})]


def batch(shot: Path, out: Path, plugins=None, *, workers: int = 2, **kwargs) -> dict:
    options = BatchOptions(workers=workers, save_masks=True, resume=kwargs.pop("resume", False))
    return run_batch(open_shot(shot), out, chain() if plugins is None else plugins, options, **kwargs)


@pytest.fixture
def streamed_runs(monkeypatch) -> list[int]:
    """Counts the runs that took the streamed path."""
    runs = []
    streamed = pipeline._analyze_while_rendering

    def counting(*args, **kwargs):
        runs.append(1)
        return streamed(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_analyze_while_rendering", counting)
    return runs


@pytest.fixture(scope="module")
def two_passes(shot: Path, tmp_path_factory) -> dict[str, str]:
    """The digests of the same settings rendered after the whole analysis."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(StabilizePlugin, "streams_analysis", lambda self: False)
        out = tmp_path_factory.mktemp("two_passes") / "out"
        report = batch(shot, out, workers=1)
    assert [f["frame"] for f in report["frames_failed"]] == [CORRUPT]
    return output_digests(out)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_streamed_analysis_writes_the_bytes_of_two_passes(shot, two_passes, streamed_runs, tmp_path, workers):
    out = tmp_path / "out"
    report = batch(shot, out, workers=workers)
    assert streamed_runs == [1]
    assert output_digests(out) == two_passes
    assert [f["frame"] for f in report["frames_failed"]] == [CORRUPT]  # named; the rest rendered
    assert report["frames_written"] == 11
    assert {"analyze:stabilize", "analyze:stabilize:read", "seam_removal", "stabilize", "write"} <= set(report["stages"])
    assert not [p for p in out.iterdir() if p.name.startswith(SPILL_PREFIX)]


@pytest.mark.parametrize("settings", [
    {"shot_pass": True}, {"shot_pass": True, "reference": -1, "shot_window": 0}, {"mode": "smooth"},
    {"border": "crop"}, {"border": "zoom"},
])  # fmt: skip
def test_settings_whose_frames_depend_on_the_whole_shot_keep_two_passes(shot, streamed_runs, tmp_path, settings):
    # the shot pass on the whole shot (a reference inside the shot, or no window)
    plugin = StabilizePlugin({**STREAMED, **settings})
    assert not plugin.streams_analysis()
    batch(shot, tmp_path / "out", [SeamRemoval(), plugin])
    assert streamed_runs == []


WINDOWED = {"shot_pass": True, "reference": -1, "shot_window": 2}


@pytest.mark.parametrize("workers", [1, 2])
def test_the_shot_pass_in_windows_streams_the_bytes_of_two_passes(shot, streamed_runs, tmp_path, monkeypatch,
                                                                  workers):  # fmt: skip
    # as the defaults (a window of 4), on a shot longer than one window (2 x 2 + 1 frames here)
    from laika_fx.stabilize.shot import ShotPass

    assert StabilizePlugin().streams_analysis()
    made_final = []  # frames the windows made final while the shot was still being solved
    add = ShotPass.add

    def recording(self, key, alignment):
        now = add(self, key, alignment)
        made_final.extend(now)
        return now

    monkeypatch.setattr(ShotPass, "add", recording)
    report = batch(shot, tmp_path / "out", chain(**WINDOWED), workers=workers)
    assert streamed_runs == [1] and report["frames_written"] == 11
    assert made_final[:2] == [1002, 1003]  # the first window's frames, before the shot's end
    with monkeypatch.context() as mp:
        mp.setattr(StabilizePlugin, "streams_analysis", lambda self: False)
        batch(shot, tmp_path / "two", chain(**WINDOWED), workers=1)
    assert output_digests(tmp_path / "out") == output_digests(tmp_path / "two")


def test_progress_shows_the_analysis_then_the_render(shot, streamed_runs, tmp_path):
    progress = Progress()
    events = []
    progress.subscribe(events.append)
    batch(shot, tmp_path / "out", progress=progress)
    assert streamed_runs == [1]
    phases = [e.phase for e in events]
    assert phases[-1] == "done"
    assert [p for p, _ in itertools.groupby(phases)] == ["analyze:stabilize", "render", "done"]
    render = [e for e in events if e.phase == "render"]
    assert render[-1].done == render[-1].total == 12 and render[-1].failed == 1
    assert all(a.done <= b.done for a, b in itertools.pairwise(render))


def test_cancel_during_a_streamed_analysis_then_resume_gives_the_same_bytes(shot, two_passes, streamed_runs,
                                                                           tmp_path):  # fmt: skip
    out = tmp_path / "out"
    cancel = Cancel()
    progress = Progress()

    def on_event(ev):  # mid-analysis, once a frame rendered beside it is on disk: Ctrl-C
        if ev.phase == "analyze:stabilize" and ev.done == 9 and not cancel.is_set():
            t0 = time.monotonic()
            while not list(out.glob("frame.*.png")) and time.monotonic() < t0 + 30:
                time.sleep(0.01)
            cancel.set()

    progress.subscribe(on_event)
    report = batch(shot, out, progress=progress, cancel=cancel)
    assert report["cancelled"] and 1 <= report["frames_written"] < 11
    assert not (out / "stabilize.json").exists()  # the analysis did not finish
    partial = output_digests(out)
    assert partial and all(two_passes[name] == digest for name, digest in partial.items())
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file, no spill folder

    report = batch(shot, out, resume=True)
    assert output_digests(out) == two_passes
    assert report["frames_written"] + report["frames_skipped"] == 11
    assert streamed_runs == [1, 1]


def test_a_failing_streamed_analysis_stops_the_render_at_the_frames_it_made_final(shot, two_passes, tmp_path,
                                                                                 monkeypatch):  # fmt: skip
    add = stabilize_plugin._SolveStream.add

    def failing(self, n, alignment):
        if n == 1010:
            raise RuntimeError("solver broke (simulated)")
        add(self, n, alignment)

    monkeypatch.setattr(stabilize_plugin._SolveStream, "add", failing)
    out = tmp_path / "out"
    with pytest.raises(BatchError, match="solver broke"):
        batch(shot, out)
    written = output_digests(out)
    assert "stabilize.json" not in written
    assert all(two_passes[name] == digest for name, digest in written.items())  # only final frames
    assert not any(f"frame.{n}" in name for name in written for n in (1008, 1009, 1010, 1011, 1012))
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("seed", range(40))
def test_the_reference_grid_is_decided_only_when_no_frame_to_come_is_nearer(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    order = list(range(n))
    r = int(rng.integers(0, n))

    class Solve:
        def __init__(self, grid):
            self.moving = grid

    results = {k: None if k == r else Solve(f"grid{k}" if rng.random() < 0.5 else None) for k in order}
    near = [(abs(j - r), j) for j in order if j != r and results[j].moving is not None]
    final = results[min(near)[1]].moving if near else None
    assert _nearest_moving(order, results, r) == (True, final)
    was_decided = False
    for known in range(r + 1, n + 1):  # as the frames come in shot order
        decided, grid = _nearest_moving(order[:known], results, r, complete=False)
        assert decided or not was_decided
        was_decided = decided
        if decided:
            assert grid == final


def test_the_gate_and_the_held_progress():
    gate = AnalysisGate([1, 2, 3])
    answers = {}
    waiting = threading.Thread(target=lambda: answers.update(three=gate.wait(3)))
    waiting.start()
    gate.final_through(2)
    assert gate.wait(1) and gate.wait(2)
    assert waiting.is_alive()
    gate.finish(False)  # cancelled: frame 3 never becomes final
    waiting.join(5)
    assert answers == {"three": False} and gate.wait(2)

    progress = Progress()
    events = []
    progress.subscribe(events.append)
    held = HeldProgress(progress)
    held.start("render", 4)
    held.advance(1)
    held.advance(2, failed=True)
    assert events == []
    held.release()
    held.advance(3)
    assert [(e.phase, e.done, e.failed, e.frame) for e in events] == [("render", 2, 1, None), ("render", 3, 1, 3)]


def test_a_memory_cap_counts_the_analysis_read_ahead_beside_the_render(shot, two_passes, streamed_runs, tmp_path):
    frame_mb = 320 * 180 * 3 / 2**20
    flight = frames_in_flight(2, 1, 1, streamed=True)
    assert flight == frames_in_flight(2, 1, 1) + 2  # one frame read ahead per worker
    cap = (flight + 0.5) * frame_mb
    out = tmp_path / "out"
    report = run_batch(open_shot(shot), out, chain(), BatchOptions(workers=2, save_masks=True, memory_mb=cap))
    assert streamed_runs == [1]
    assert report["memory_cap"] == {"cap_mb": cap, "queue_frames": 1, "io_threads": 1, "frames_in_flight": flight}
    assert output_digests(out) == two_passes


@pytest.mark.parametrize("reference", [CORRUPT, 1012])  # unreadable (1007 stands in); the last frame
def test_the_reference_anywhere_streams_the_bytes_of_two_passes(shot, streamed_runs, tmp_path, monkeypatch, reference):
    settings = {"reference": reference, "fill_radius": 3}
    streamed = batch(shot, tmp_path / "streamed", chain(**settings))
    monkeypatch.setattr(StabilizePlugin, "streams_analysis", lambda self: False)
    two = batch(shot, tmp_path / "two", chain(**settings))
    assert streamed_runs == [1]
    assert output_digests(tmp_path / "streamed") == output_digests(tmp_path / "two")
    assert streamed["analysis_notes"] == two["analysis_notes"]
