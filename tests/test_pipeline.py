import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from laika_fx.deflicker import DeflickerPlugin
from laika_fx.io import read_frame, write_frame
from laika_fx.overrides import default_mask_override_dir
from laika_fx.pipeline import BatchError, BatchOptions, Cancel, Progress, run_batch
from laika_fx.plugins import FrameContext, Plugin
from laika_fx.sequence import open_shot

from .conftest import make_shot


class Recorder(Plugin):
    """Test plugin: records the mask override it saw and emits a seam mask."""

    name = "recorder"
    saved_masks = {"seam": "masks"}

    def __init__(self, settings=None, *, gate: threading.Event | None = None):
        super().__init__(settings)
        self.seen: dict[int, np.ndarray | None] = {}
        self.gate = gate

    def render(self, frame, ctx: FrameContext):
        if self.gate is not None:
            self.gate.wait(5)
        self.seen[ctx.frame] = ctx.mask_override
        mask = np.zeros(frame.shape[:2], np.uint8)
        mask[ctx.frame % frame.shape[0], :] = 1
        ctx.masks["seam"] = mask
        return frame


def test_progress_events_cover_every_frame(shot_dir: Path, tmp_path: Path):
    progress = Progress()
    events = []
    progress.subscribe(events.append)
    run_batch(open_shot(shot_dir), tmp_path / "o", [DeflickerPlugin()], BatchOptions(workers=2), progress=progress)
    phases = {e.phase for e in events}
    assert {"analyze:deflicker", "render", "done"} <= phases
    render = [e for e in events if e.phase == "render"]
    assert render[-1].done == render[-1].total == 6
    assert sorted(e.frame for e in render if e.frame is not None) == list(range(1001, 1007))


def test_save_masks_writes_uint8_masks_named_by_stem(shot_dir: Path, tmp_path: Path):
    out = tmp_path / "o"
    run_batch(open_shot(shot_dir), out, [Recorder()], BatchOptions(save_masks=True))
    masks = sorted((out / "masks").glob("*.png"))
    assert [m.name for m in masks] == [f"frame.{n}.png" for n in range(1001, 1007)]
    m = read_frame(masks[0])
    assert m.dtype == np.uint8 and m.ndim == 2 and set(np.unique(m)) == {0, 255}


def test_mask_overrides_from_default_sidecar_folder(shot_dir: Path, tmp_path: Path):
    override_dir = default_mask_override_dir(shot_dir)
    assert override_dir == shot_dir.parent / "shot.laika_fx" / "mask_overrides"
    override_dir.mkdir(parents=True)
    painted = np.zeros((48, 64), np.uint8)
    painted[10:12, 5:50] = 255
    write_frame(override_dir / "frame.1003.png", painted)
    rec = Recorder()
    report = run_batch(open_shot(shot_dir), tmp_path / "o", [rec])
    assert report["mask_overrides"] == str(override_dir)
    np.testing.assert_array_equal(rec.seen[1003], painted)
    assert all(rec.seen[n] is None for n in rec.seen if n != 1003)


def test_cancel_mid_way_leaves_only_complete_files(tmp_path: Path):
    make_shot(tmp_path / "s", 40)
    out = tmp_path / "o"
    gate = threading.Event()
    cancel = Cancel()
    progress = Progress()

    def on_event(ev):
        if ev.phase == "render" and ev.done >= 3:
            cancel.set()
        gate.set()

    progress.subscribe(on_event)
    report = run_batch(open_shot(tmp_path / "s"), out, [Recorder(gate=gate)], BatchOptions(workers=2),
                       progress=progress, cancel=cancel)
    assert report["cancelled"]
    written = sorted(out.glob("frame.*.png"))
    assert 3 <= len(written) < 40
    assert report["frames_written"] == len(written)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files
    for p in written:
        read_frame(p)  # every file on disk is complete


def test_resume_skips_done_frames_and_reuses_sidecar(shot_dir: Path, tmp_path: Path):
    out = tmp_path / "o"
    run_batch(open_shot(shot_dir), out, [DeflickerPlugin()], BatchOptions())
    sidecar = json.loads((out / "deflicker.json").read_text())
    sidecar["frames"][0]["gain"] = 1.1  # an artist's edit of the sidecar
    (out / "deflicker.json").write_text(json.dumps(sidecar))
    (out / "frame.1001.png").unlink()
    plugin = DeflickerPlugin()
    report = run_batch(open_shot(shot_dir), out, [plugin], BatchOptions(resume=True))
    assert report["frames_written"] == 1 and report["frames_skipped"] == 5
    assert plugin.analysis["frames"][0]["gain"] == 1.1


def test_plugin_exception_fails_the_frame_not_the_shot(shot_dir: Path, tmp_path: Path):
    class Flaky(Plugin):
        name = "flaky"

        def render(self, frame, ctx):
            if ctx.frame == 1004:
                raise RuntimeError("model exploded")
            return frame

    report = run_batch(open_shot(shot_dir), tmp_path / "o", [Flaky()])
    assert [f["frame"] for f in report["frames_failed"]] == [1004]
    assert "model exploded" in report["frames_failed"][0]["error"]
    assert report["frames_written"] == 5


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_deflicker_removes_flicker_despite_moving_object(tmp_path: Path, dtype):
    rng = np.random.default_rng(3)
    base = rng.random((90, 160, 3)).astype(np.float32) * 0.6 + 0.2
    base = np.asarray(base)
    gains = 1.0 + rng.uniform(-0.05, 0.05, 12)
    folder = tmp_path / "s"
    folder.mkdir()
    scale = 1.0 if dtype == np.float32 else np.iinfo(dtype).max
    for i, g in enumerate(gains):
        frame = base.copy()
        frame[20:60, 5 + 8 * i: 45 + 8 * i] = 0.95  # a bright puppet walking across
        out = np.clip(frame * g, 0, 1) * scale
        write_frame(folder / f"f.{i + 1:04d}.{'exr' if dtype == np.float32 else 'png'}",
                    out.astype(np.float32) if dtype == np.float32 else (out + 0.5).astype(dtype))
    out_dir = tmp_path / "o"
    run_batch(open_shot(folder), out_dir, [DeflickerPlugin({"window": 15})])
    rows = np.s_[70:90, :]  # background only

    def spread(paths):
        means = [read_frame(p)[rows].astype(np.float64).mean() for p in paths]
        return np.std(means) / np.mean(means)

    before = spread(sorted(folder.iterdir()))
    after = spread(sorted(out_dir.glob("f.*")))
    assert before > 0.02
    assert after < 0.2 * before  # rolling windows differ at the ends, so not exactly 0


def test_run_analyze_alone_writes_sidecars_and_reuses_edits(shot_dir: Path, tmp_path: Path):
    from laika_fx.pipeline import run_analyze

    out = tmp_path / "o"
    results = run_analyze(open_shot(shot_dir), out, [DeflickerPlugin()], workers=2)
    assert set(results) == {"deflicker"} and len(results["deflicker"]["frames"]) == 6
    doc = json.loads((out / "deflicker.json").read_text())
    doc["frames"][2]["gain"] = 0.5
    (out / "deflicker.json").write_text(json.dumps(doc))
    plugin = DeflickerPlugin()
    again = run_analyze(open_shot(shot_dir), out, [plugin], reuse=True)
    assert again["deflicker"]["frames"][2]["gain"] == 0.5 and plugin.analysis is not None
    assert not list(out.glob("frame.*"))  # the analyze pass writes no frames


def test_mask_override_path_and_size_check(shot_dir: Path, tmp_path: Path):
    from laika_fx.io import FrameReadError
    from laika_fx.overrides import load_mask_override, mask_override_path

    d = tmp_path / "ov"
    d.mkdir()
    frame_path = shot_dir / "frame.1002.png"
    assert mask_override_path(d, frame_path) == d / "frame.1002.png"
    frame = read_frame(frame_path)
    assert load_mask_override(d, frame_path, frame) is None
    write_frame(d / "frame.1002.png", np.zeros((10, 10), np.uint8))
    with pytest.raises(FrameReadError, match="mask override"):
        load_mask_override(d, frame_path, frame)


def test_analysis_counts_only_unreadable_frames_as_failed(shot_dir: Path, tmp_path: Path):
    (shot_dir / "frame.1003.png").write_bytes(b"")

    class NoneResults(Plugin):
        name = "noneresults"
        has_analyze = True

        def analyze(self, source):
            return {"seen": sorted(source.map(lambda n, a: None))}

        def render(self, frame, ctx):
            return frame

    progress = Progress()
    events = []
    progress.subscribe(events.append)
    plugin = NoneResults()
    run_batch(open_shot(shot_dir), tmp_path / "o", [plugin], progress=progress)
    analyze = [e for e in events if e.phase == "analyze:noneresults"]
    assert analyze[-1].done == 6 and analyze[-1].failed == 1
    assert plugin.analysis["seen"] == [1001, 1002, 1004, 1005, 1006]  # None results are still results


# ---------------------------------------------------------------- frame cache and durable writes
class Counting(Plugin):
    """Test plugin with an analyze step that reads every frame (like stabilize, deflicker)."""

    name = "counting"
    has_analyze = True

    def analyze(self, source):
        return {"means": {str(n): float(a.mean()) for n, a in source.iter_frames()}}

    def render(self, frame, ctx: FrameContext):
        # a neighbour read, as stabilize's fill mode does: served by the cache when kept
        other = ctx.read_source(ctx.frame + 1) if ctx.frame < 1006 else frame
        return ((frame.astype(np.uint16) + other) // 2).astype(frame.dtype)


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("frame.*"))}


def _count_decodes(monkeypatch, slow: str | None = None) -> list:
    import laika_fx.pipeline as pl

    calls = []
    real = pl.read_frame

    def counted(path):
        calls.append(Path(path).name)
        if Path(path).name == slow:
            time.sleep(0.2)  # finishes after the read-ahead of later frames
        return real(path)

    monkeypatch.setattr(pl, "read_frame", counted)
    return calls


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_frame_cache_decodes_once_and_output_is_bit_identical(tmp_path: Path, monkeypatch, ext):
    make_shot(tmp_path / "s", 6, shape=(40, 56, 3), dtype=np.uint16, ext=ext)
    shot = open_shot(tmp_path / "s")
    calls = _count_decodes(monkeypatch)
    fresh = run_batch(shot, tmp_path / "fresh", [Counting()], BatchOptions(workers=2, cache_mb=0, spill_mb=0))
    fresh_reads = len(calls)
    calls.clear()
    cached = run_batch(shot, tmp_path / "cached", [Counting()], BatchOptions(workers=2, cache_mb=1024))
    # without the cache: the analyze pass and the render pass decode (the 5 neighbour reads
    # share the render pass's decode); with it, only the analyze pass does (the shot's
    # format comes from headers); the cache serves each kept frame once (the neighbour reads
    # share the render pass's array, as without the cache), saving its 6 decodes
    assert fresh_reads == 6 + 6
    assert len(calls) == 6
    assert cached["frame_cache"] == {"budget_mb": 1024.0, "frames_kept": 6, "reads_saved": 6}
    assert fresh["frame_cache"]["frames_kept"] == 0
    assert _outputs(tmp_path / "cached") == _outputs(tmp_path / "fresh")
    assert (tmp_path / "cached" / "counting.json").read_text() == (tmp_path / "fresh" / "counting.json").read_text()


def test_frame_cache_stays_within_its_budget(tmp_path: Path, monkeypatch):
    from laika_fx.pipeline import FrameCache

    make_shot(tmp_path / "s", 6, shape=(40, 56, 3))
    frame_bytes = 40 * 56 * 3
    cache = FrameCache(int(2.5 * frame_bytes))
    arrays = [np.zeros((40, 56, 3), np.uint8) for _ in range(4)]
    assert [cache.put(n, a) for n, a in enumerate(arrays)] == [True, True, False, False]
    assert len(cache) == 2 and cache.nbytes == 2 * frame_bytes <= cache.budget_bytes
    assert not cache.get(0).flags.writeable  # kept frames cannot be changed by a plugin
    assert cache.get(3) is None

    calls = _count_decodes(monkeypatch, slow="frame.1001.png")
    shot = open_shot(tmp_path / "s")
    report = run_batch(shot, tmp_path / "o", [Counting()],
                       BatchOptions(workers=2, cache_mb=2.5 * frame_bytes / 2**20, spill_mb=0))
    assert report["frame_cache"]["frames_kept"] == 2  # the first two frames; the rest is read again
    # kept in shot order (1001, 1002) even though frame 1001's decode finished last
    assert sorted(set(calls[6:])) == [f"frame.{n}.png" for n in range(1003, 1007)]
    assert report["frames_written"] == 6
    assert len(calls) == 6 + 4  # analyze, render of 4 frames (the neighbour reads share these)
    run_batch(shot, tmp_path / "ref", [Counting()], BatchOptions(workers=2, cache_mb=0, spill_mb=0))
    assert _outputs(tmp_path / "o") == _outputs(tmp_path / "ref")


def _spill_folders(folder: Path) -> list[str]:
    from laika_fx.pipeline import SPILL_PREFIX

    return sorted(p.name for p in folder.iterdir() if p.name.startswith(SPILL_PREFIX))


def test_spill_keeps_frames_beyond_the_memory_budget_on_disk_bit_exact(tmp_path: Path):
    from laika_fx.pipeline import FrameCache

    frame = np.arange(40 * 56 * 3, dtype=np.uint16).reshape(40, 56, 3)
    cache = FrameCache(int(1.5 * frame.nbytes), spill_root=tmp_path, spill_bytes=int(2.5 * frame.nbytes))
    arrays = [frame + n for n in range(5)]
    assert [cache.put(n, a) for n, a in enumerate(arrays)] == [True, True, True, False, False]
    assert len(cache) == 1 and cache.spilled_total == 2  # one in memory, two on disk, two not kept
    assert _spill_folders(tmp_path) == [cache.spill_dir.name]
    slots = sorted(p.name for p in cache.spill_dir.iterdir())
    assert len(slots) == 2
    for n in (0, 1, 2):
        got = cache.get(n)
        assert got.dtype == np.uint16 and got.shape == frame.shape and np.array_equal(got, arrays[n])
        assert not got.flags.writeable  # as a frame kept in memory: a plugin cannot change it
    assert cache.get(3) is None and 2 in cache and 3 not in cache
    cache.discard(1)  # released by the render pass: its slot is free for the next frame
    assert 1 not in cache and cache.get(1) is None
    assert cache.put(3, arrays[3]) and np.array_equal(cache.get(3), arrays[3])
    assert sorted(p.name for p in cache.spill_dir.iterdir()) == slots  # written over frame 1's slot
    assert np.array_equal(cache.get(2), arrays[2]) and cache.spilled_total == 3
    assert not cache.put(4, arrays[4])  # both slots hold frames: over the spill budget
    cache.clear()
    assert _spill_folders(tmp_path) == [] and cache.get(2) is None


def test_spill_slots_are_reused_given_up_for_other_sizes_and_not_overwritten_while_read(tmp_path: Path, monkeypatch):
    from laika_fx.pipeline import FrameCache

    small = np.arange(20 * 30 * 3, dtype=np.uint8).reshape(20, 30, 3)
    big = np.arange(40 * 30 * 3, dtype=np.uint16).reshape(40, 30, 3)
    cache = FrameCache(0, spill_root=tmp_path, spill_bytes=big.nbytes + small.nbytes)
    assert cache.put(0, small) and cache.put(1, small + 1)
    cache.discard(0)
    cache.discard(1)  # two free slots of the small size
    assert cache.put(2, big)  # room made by giving up a free small slot
    assert cache.spilled_nbytes == big.nbytes + small.nbytes and len(list(cache.spill_dir.iterdir())) == 2
    assert np.array_equal(cache.get(2), big)
    assert cache.put(3, small + 3) and not cache.put(4, small + 4)  # the small slot reused; then full
    # frame 3 is released while a reader is in its slot: the slot is not free until the read ends
    import laika_fx.pipeline as pipeline

    real_open = open
    during: list[bool] = []

    def opening(path, mode="r", *args, **kwargs):
        if "rb" == mode and str(path).endswith(".raw"):
            cache.discard(3)
            during.append(cache.put(5, small + 5))  # no free slot yet: refused, not written over frame 3
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(pipeline, "open", opening, raising=False)
    assert np.array_equal(cache.get(3), small + 3) and during == [False]
    monkeypatch.undo()
    assert cache.put(5, small + 5) and np.array_equal(cache.get(5), small + 5)  # free after the read
    cache.clear()
    assert not cache.put(6, small)  # nothing is spilled after clear()


def test_spill_decodes_each_frame_once_and_leaves_no_folder(tmp_path: Path, monkeypatch):
    """Frames the memory cache has no room for are spilled by the analyze pass and read back
    by the render pass: one decode per frame, the bytes of a run that decodes every frame
    twice, and the spill folder gone when the run ends."""
    make_shot(tmp_path / "s", 8, shape=(40, 56, 3), dtype=np.uint16)
    shot = open_shot(tmp_path / "s")
    frame_mb = 40 * 56 * 3 * 2 / 2**20
    seen: list[list[str]] = []

    class Watching(Counting):
        def render(self, frame, ctx: FrameContext):
            seen.append(_spill_folders(tmp_path / "spill"))
            return super().render(frame, ctx)

    calls = _count_decodes(monkeypatch)
    report = run_batch(shot, tmp_path / "spill", [Watching()], BatchOptions(workers=2, cache_mb=2.5 * frame_mb))
    assert len(calls) == 8  # the analyze pass only
    assert report["frame_cache"]["frames_kept"] == 2
    assert report["frame_spill"]["frames_spilled"] == 6 and report["frame_spill"]["budget_mb"] > 0
    # each spilled frame read back once: the plugin's neighbour read and the frame's reader
    # share one array (the render pass keeps it in its window until the frame is released)
    assert report["frame_spill"]["reads"] == 6
    assert report["frame_spill"]["write_cpu_ms_per_frame"] >= 0 and report["frame_spill"]["read_cpu_ms_per_read"] >= 0
    assert all(len(folders) == 1 for folders in seen)  # there while rendering
    assert _spill_folders(tmp_path / "spill") == []  # gone after
    calls.clear()
    plain = run_batch(shot, tmp_path / "plain", [Counting()], BatchOptions(workers=2, cache_mb=0, spill_mb=0))
    assert len(calls) == 16 and plain["frame_spill"]["frames_spilled"] == 0
    assert _outputs(tmp_path / "spill") == _outputs(tmp_path / "plain")
    # no folder is made when nothing is spilled
    run_batch(shot, tmp_path / "ample", [Watching()], BatchOptions(workers=2))
    assert _spill_folders(tmp_path / "ample") == []


def test_stale_spill_folders_of_gone_runs_are_removed(tmp_path: Path):
    from laika_fx.pipeline import SPILL_PREFIX, STALE_SPILL_SECONDS, spill_folder_prefix

    gone = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)  # fmt: skip
    host = spill_folder_prefix()[len(SPILL_PREFIX):].split(".", 1)[1].rstrip(".")
    out = tmp_path / "o"
    dead = out / f"{SPILL_PREFIX}{gone}.{host}.abc"
    dead.mkdir(parents=True)
    (dead / "1001.raw").write_bytes(b"x" * 10)
    live = f"{spill_folder_prefix()}live"  # this process's: kept
    elsewhere = f"{SPILL_PREFIX}{gone}.another-machine.local.xyz"  # shared storage: another host's run
    old = f"{SPILL_PREFIX}{gone}.another-machine.local.old"
    for name in (live, elsewhere, old):
        (out / name).mkdir()
    os.utime(out / old, (time.time() - STALE_SPILL_SECONDS - 60,) * 2)
    make_shot(tmp_path / "s", 3, shape=(16, 16, 3))
    run_batch(open_shot(tmp_path / "s"), out, [Counting()], BatchOptions(workers=1))
    assert _spill_folders(out) == sorted([live, elsewhere])


def test_memory_cap_shrinks_the_cache_then_the_queues_and_keeps_the_bytes(tmp_path: Path):
    from laika_fx.pipeline import apply_memory_cap, frames_in_flight

    make_shot(tmp_path / "s", 6, shape=(40, 56, 3))
    shot = open_shot(tmp_path / "s")
    frame_mb = 40 * 56 * 3 / 2**20
    ample = run_batch(shot, tmp_path / "ample", [Counting()], BatchOptions(workers=2, memory_mb=10))
    assert ample["frame_cache"]["frames_kept"] == 6
    assert ample["frame_cache"]["budget_mb"] == pytest.approx(10 - frames_in_flight(2, 2, 4) * frame_mb)
    # room for the frames in flight with one-frame queues and one reader/writer, no cache
    cap = (frames_in_flight(2, 1, 1) + 0.5) * frame_mb
    tight = run_batch(shot, tmp_path / "tight", [Counting()], BatchOptions(workers=2, memory_mb=cap))
    assert tight["frame_cache"]["frames_kept"] == 0
    assert tight["memory_cap"] == {"cap_mb": cap, "queue_frames": 1, "io_threads": 1,
                                   "frames_in_flight": frames_in_flight(2, 1, 1)}  # fmt: skip
    assert tight["frames_written"] == 6
    plain = run_batch(shot, tmp_path / "plain", [Counting()], BatchOptions(workers=2))
    assert "memory_cap" not in plain
    assert _outputs(tmp_path / "tight") == _outputs(tmp_path / "ample") == _outputs(tmp_path / "plain")
    # a 4K 8-bit frame under a 600 MB cap: the queues keep their size, the cache gets the rest
    io, q, cache = apply_memory_cap(600, 3840 * 2160 * 3, workers=2, io_threads=2, qsize=4, cache_mb=1024)
    assert (io, q) == (2, 4) and cache == pytest.approx(600 - frames_in_flight(2, 2, 4) * 3840 * 2160 * 3 / 2**20)


def test_default_cache_keeps_what_its_budget_holds_releases_rendered_frames_and_keeps_the_bytes(
    tmp_path: Path, monkeypatch
):
    """The default frame cache (DEFAULT_CACHE_MB) keeps a short shot whole and a long one's
    first frames; the render pass releases each kept frame once it and the RELEASE_LAG
    frames after it are rendered, and the bytes are those of a run without any cache."""
    import laika_fx.pipeline as pl

    # a 24-frame 1080p 8-bit shot is kept whole by default, 6 frames of a 4K one
    assert int(pl.DEFAULT_CACHE_MB * 2**20 // (1920 * 1080 * 3)) == 25
    assert int(pl.DEFAULT_CACHE_MB * 2**20 // (3840 * 2160 * 3)) == 6
    make_shot(tmp_path / "s", 8, shape=(40, 56, 3))
    shot = open_shot(tmp_path / "s")
    monkeypatch.setattr(pl, "DEFAULT_CACHE_MB", 3.5 * 40 * 56 * 3 / 2**20)
    released: list[int] = []
    discard = pl.FrameCache.discard

    def spy(cache, frame):
        if frame in cache:
            released.append(frame)
        discard(cache, frame)

    monkeypatch.setattr(pl.FrameCache, "discard", spy)
    calls = _count_decodes(monkeypatch)
    report = run_batch(shot, tmp_path / "default", [Counting()], BatchOptions(workers=2, spill_mb=0))
    assert report["frame_cache"]["frames_kept"] == 3  # the first three frames fit
    assert sorted(released) == [1001, 1002, 1003]  # each released during the render pass
    assert len(calls) == 8 + 5  # analyze, then each frame not kept decoded once (neighbours share it)
    none = run_batch(shot, tmp_path / "none", [Counting()], BatchOptions(workers=2, cache_mb=0, spill_mb=0))
    assert none["frame_cache"]["frames_kept"] == 0
    assert _outputs(tmp_path / "default") == _outputs(tmp_path / "none")
    explicit = run_batch(shot, tmp_path / "all", [Counting()], BatchOptions(workers=2, cache_mb=1024))
    assert explicit["frame_cache"]["frames_kept"] == 8  # an explicit --cache-mb still decides
    assert _outputs(tmp_path / "all") == _outputs(tmp_path / "none")


def test_long_shots_get_the_smaller_default_frame_cache(tmp_path: Path):
    """From LONG_SHOT_FRAMES analysed frames on (the runs that start helper processes) the
    default cache is LONG_SHOT_CACHE_MB; an explicit --cache-mb, a --memory-mb cap and
    uncompressed TIFF decide as before."""
    from laika_fx.pipeline import (
        CAPPED_CACHE_MB,
        DEFAULT_CACHE_MB,
        LONG_SHOT_CACHE_MB,
        LONG_SHOT_FRAMES,
        STREAMED_CACHE_MB,
        default_cache_mb,
    )

    assert LONG_SHOT_CACHE_MB < DEFAULT_CACHE_MB
    assert int(LONG_SHOT_CACHE_MB * 2**20 // (1920 * 1080 * 3)) == 16
    assert default_cache_mb(LONG_SHOT_FRAMES - 1) == DEFAULT_CACHE_MB
    assert default_cache_mb(LONG_SHOT_FRAMES) == default_cache_mb(1000) == LONG_SHOT_CACHE_MB
    assert default_cache_mb(1000, compression=1) == default_cache_mb(10, compression=1) == 0.0
    assert default_cache_mb(1000, capped=True) == default_cache_mb(10, capped=True) == CAPPED_CACHE_MB
    # streamed beside the analysis, a long shot's cache only hands frames over
    assert default_cache_mb(1000, streamed=True) == STREAMED_CACHE_MB < LONG_SHOT_CACHE_MB
    assert default_cache_mb(10, streamed=True) == DEFAULT_CACHE_MB
    make_shot(tmp_path / "s", LONG_SHOT_FRAMES + 1, shape=(8, 12, 3))
    shot = open_shot(tmp_path / "s")
    long = run_batch(shot, tmp_path / "long", [Counting()], BatchOptions(workers=1))
    assert long["frame_cache"]["budget_mb"] == LONG_SHOT_CACHE_MB
    assert long["frame_cache"]["frames_kept"] == LONG_SHOT_FRAMES + 1  # tiny frames: all fit
    part = open_shot(tmp_path / "s", frames=f"1001-{1000 + LONG_SHOT_FRAMES - 1}")
    short = run_batch(part, tmp_path / "short", [Counting()], BatchOptions(workers=1))
    assert short["frame_cache"]["budget_mb"] == DEFAULT_CACHE_MB
    explicit = run_batch(shot, tmp_path / "explicit", [Counting()], BatchOptions(workers=1, cache_mb=200))
    assert explicit["frame_cache"]["budget_mb"] == 200
    assert _outputs(tmp_path / "explicit") == _outputs(tmp_path / "long")


def test_frame_cache_default_skips_uncompressed_tiff_only(tmp_path: Path):
    """Uncompressed TIFF reads faster than the cache keeps a frame; other formats are cached
    (and spilled beyond the memory cache)."""
    from laika_fx.pipeline import DEFAULT_CACHE_MB

    for ext, compression, kept in ((".tif", 1, 0), (".tif", 5, 4), (".png", None, 4)):
        folder = tmp_path / f"s{ext}{compression}"
        folder.mkdir()
        for i in range(4):
            write_frame(folder / f"f.{1001 + i:04d}{ext}", np.full((16, 24, 3), i, np.uint8), compression=compression)
        report = run_batch(open_shot(folder), tmp_path / f"o{ext}{compression}", [Counting()], BatchOptions(workers=1))
        assert report["frame_cache"]["frames_kept"] == kept, (ext, compression)
        assert report["frame_cache"]["budget_mb"] == (0.0 if kept == 0 else DEFAULT_CACHE_MB)
        assert (report["frame_spill"]["budget_mb"] > 0) == (kept > 0)  # nor spilled: reading it is as cheap


def test_batch_renames_a_frame_only_after_it_was_synced(shot_dir: Path, tmp_path: Path, monkeypatch):
    import laika_fx.io as lio

    events: list[tuple[str, str]] = []
    real_fsync, real_replace = lio.os.fsync, lio.os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("rename", str(src)))
        real_replace(src, dst)

    monkeypatch.setattr(lio.os, "fsync", fsync)
    monkeypatch.setattr(lio.os, "replace", replace)
    out = tmp_path / "o"
    report = run_batch(open_shot(shot_dir), out, [Recorder()], BatchOptions(workers=2, save_masks=True))
    assert report["frames_written"] == 6
    renames = [(i, path) for i, (kind, path) in enumerate(events) if kind == "rename"]
    assert len(renames) == 12 + 1  # 6 frames, 6 masks, the report
    for i, tmp in renames:
        assert ("fsync", tmp) in events[:i], f"{tmp} renamed before it was synced"
    # after the last frame's rename, its folder was synced (before the report was written)
    last_frame = max(i for i, path in renames if "/masks/" not in path and "laika_fx_report" not in path)
    report_rename = max(i for i, path in renames if "laika_fx_report" in path)
    assert ("fsync", str(out.resolve())) in events[last_frame:report_rename]
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_failed_commit_fails_only_that_frame_and_leaves_no_temporary_file(shot_dir: Path, tmp_path: Path,
                                                                           monkeypatch):  # fmt: skip
    import laika_fx.io as lio

    real_replace = lio.os.replace

    def replace(src, dst):
        if Path(dst).name == "frame.1003.png":
            raise OSError("disk full (simulated)")
        real_replace(src, dst)

    monkeypatch.setattr(lio.os, "replace", replace)
    out = tmp_path / "o"
    report = run_batch(open_shot(shot_dir), out, [Recorder()], BatchOptions(workers=2))
    assert [f["frame"] for f in report["frames_failed"]] == [1003]
    assert "disk full" in report["frames_failed"][0]["error"]
    assert sorted(p.name for p in out.glob("frame.*")) == [f"frame.{n}.png" for n in (1001, 1002, 1004, 1005, 1006)]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


_KILLED_RUN = """
import sys, time
import numpy as np
from laika_fx.pipeline import BatchOptions, run_batch
from laika_fx.plugins import Plugin
from laika_fx.sequence import open_shot

class Slow(Plugin):
    name = "slow"
    def render(self, frame, ctx):
        time.sleep(0.05)
        return (255 - frame).astype(frame.dtype)

run_batch(open_shot(sys.argv[1]), sys.argv[2], [Slow()], BatchOptions(workers=2, resume=len(sys.argv) > 3))
"""


def test_killed_batch_leaves_complete_frames_only_and_resume_finishes_it(tmp_path: Path):
    import signal
    import subprocess
    import sys
    import time

    paths = make_shot(tmp_path / "s", 60, shape=(120, 160, 3))
    script = tmp_path / "run.py"
    script.write_text(_KILLED_RUN)
    out = tmp_path / "o"
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "s"), str(out)])
    try:
        deadline = time.monotonic() + 60
        while len(list(out.glob("frame.*.png"))) < 8 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)  # no clean-up of any kind: like a crash
    finally:
        proc.wait()
    done = sorted(out.glob("frame.*.png"))
    assert 8 <= len(done) < 60
    for p in done:  # every final name holds the complete frame
        np.testing.assert_array_equal(read_frame(p), 255 - read_frame(tmp_path / "s" / p.name))
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert all(".part" in name for name in leftovers)  # temporary files only, never a final name

    subprocess.run([sys.executable, str(script), str(tmp_path / "s"), str(out), "--resume"], check=True)
    report = json.loads((out / "laika_fx_report.json").read_text())
    assert report["frames_skipped"] == len(done) and report["frames_written"] == 60 - len(done)
    for src in paths:
        np.testing.assert_array_equal(read_frame(out / src.name), 255 - read_frame(src))


def test_first_frame_renders_alone_then_workers_overlap(tmp_path: Path):
    import time

    make_shot(tmp_path / "s", 12, shape=(24, 32, 3))

    class LazyInit(Plugin):
        """A plugin whose first call sets something up; it must not run twice at once."""

        name = "lazy"

        def __init__(self):
            super().__init__()
            self.lock = threading.Lock()
            self.active = 0
            self.calls: list[tuple[int, int]] = []  # (call index, threads inside at entry)

        def render(self, frame, ctx):
            with self.lock:
                self.active += 1
                self.calls.append((len(self.calls), self.active))
            time.sleep(0.05)
            with self.lock:
                self.active -= 1
            return frame

    plugin = LazyInit()
    report = run_batch(open_shot(tmp_path / "s"), tmp_path / "o", [plugin], BatchOptions(workers=4))
    assert report["frames_written"] == 12
    assert plugin.calls[0] == (0, 1)  # alone: nobody else entered before it returned
    assert max(active for _, active in plugin.calls[1:]) > 1  # afterwards the workers overlap


def test_summary_shows_no_rate_for_a_stage_that_took_no_time(tmp_path: Path):
    from laika_fx.report import format_summary

    make_shot(tmp_path / "s", 3)
    report = run_batch(open_shot(tmp_path / "s"), tmp_path / "o", [Counting()], BatchOptions(workers=1))
    report["stages"]["read"] = {"ms_per_frame": 0.0, "frames_per_minute": 9793587.0, "share": 0.0}
    line = next(ln for ln in format_summary(report).splitlines() if ln.strip().startswith("read"))
    assert line.split()[1:3] == ["0.0", "-"] and "9793587" not in line


# --------------------------------------------------------------------------- one render path
class Painter(Plugin):
    """Test plugin: paints the seam mask (the override, else a row) black; a display-only mask too."""

    name = "painter"
    saved_masks = {"seam": "masks"}

    def render(self, frame, ctx: FrameContext):
        mask = ctx.mask_override
        if mask is None:
            mask = np.zeros(frame.shape[:2], np.uint8)
            mask[ctx.frame % frame.shape[0]] = 255
        ctx.masks["seam"] = mask
        ctx.masks["seam_candidates"] = np.full(frame.shape[:2], 255, np.uint8)  # display only
        out = frame.copy()
        out[mask > 0] = 0
        return out


def test_render_frame_gives_what_the_batch_writes(shot_dir: Path, tmp_path: Path):
    from laika_fx.overrides import load_mask_override, save_mask_override
    from laika_fx.pipeline import load_analyses, render_frame

    override = np.zeros((48, 64), np.uint8)
    override[5:9, 10:30] = 255
    save_mask_override(default_mask_override_dir(shot_dir), shot_dir / "frame.1003.png", override)
    out = tmp_path / "o"
    report = run_batch(open_shot(shot_dir), out, [DeflickerPlugin(), Painter()], BatchOptions(workers=2))
    assert report["frames_written"] == 6
    # a fresh chain given the sidecars, as the app's preview renders a frame
    plugins = [DeflickerPlugin(), Painter()]
    analyses = load_analyses(out, plugins)
    assert set(analyses) == {"deflicker"}
    plugins[0].set_analysis(analyses["deflicker"])
    for n in (1002, 1003):
        path = shot_dir / f"frame.{n}.png"
        source = read_frame(path)
        mask = load_mask_override(default_mask_override_dir(shot_dir), path, source)
        rendered, masks = render_frame(source, plugins, frame=n, path=path, mask_override=mask,
                                       read_source=lambda k: read_frame(shot_dir / f"frame.{k}.png"))  # fmt: skip
        np.testing.assert_array_equal(rendered, read_frame(out / path.name))
        assert set(masks) == {"seam", "seam_candidates"}
    np.testing.assert_array_equal(masks["seam"], override)  # frame 1003: the artist's mask


def test_render_frame_refuses_a_changed_dtype(shot_dir: Path):
    from laika_fx.io import FrameReadError
    from laika_fx.pipeline import render_frame

    class ToFloat(Plugin):
        name = "tofloat"

        def render(self, frame, ctx):
            return frame.astype(np.float32)

    with pytest.raises(FrameReadError, match="after rendering is float32"):
        render_frame(read_frame(shot_dir / "frame.1001.png"), [ToFloat()], frame=1001)


def test_declared_masks_are_saved_and_display_only_masks_are_not(shot_dir: Path, tmp_path: Path):
    class Edges(Plugin):
        name = "edges"
        saved_masks = {"edges": "edge_masks"}

        def render(self, frame, ctx):
            ctx.masks["edges"] = np.ones(frame.shape[:2], np.uint8)
            return frame

    out = tmp_path / "o"
    report = run_batch(open_shot(shot_dir), out, [Painter(), Edges()], BatchOptions(save_masks=True))
    assert report["frames_written"] == 6
    names = [f"frame.{n}.png" for n in range(1001, 1007)]
    assert sorted(p.name for p in (out / "masks").iterdir()) == names
    assert sorted(p.name for p in (out / "edge_masks").iterdir()) == names
    # the display-only mask is written nowhere: only the frames, the two mask folders, the report
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["edge_masks", "masks"]
    assert not any("candidates" in str(p) for p in out.rglob("*"))
    edges = read_frame(out / "edge_masks" / "frame.1001.png")
    assert edges.dtype == np.uint8 and set(np.unique(edges)) == {255}
    # without --save-masks nothing is written for masks
    run_batch(open_shot(shot_dir), tmp_path / "o2", [Painter(), Edges()], BatchOptions())
    assert not [p for p in (tmp_path / "o2").iterdir() if p.is_dir()]


def test_masks_saved_to_one_folder_twice_are_refused(shot_dir: Path, tmp_path: Path):
    from laika_fx.pipeline import BatchError

    class Other(Plugin):
        name = "other"
        saved_masks = {"other": "masks"}

        def render(self, frame, ctx):
            return frame

    class Escape(Plugin):
        name = "escape"
        saved_masks = {"x": "../x"}

        def render(self, frame, ctx):
            return frame

    with pytest.raises(BatchError, match="clashes with mask 'seam'"):
        run_batch(open_shot(shot_dir), tmp_path / "o", [Painter(), Other()], BatchOptions(save_masks=True))
    with pytest.raises(BatchError, match="not a folder name"):
        run_batch(open_shot(shot_dir), tmp_path / "o", [Escape()], BatchOptions(save_masks=True))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_heap_reuses_freed_frames_without_piling_them_up_per_thread():
    """Eight threads allocating and freeing 6 MB frames: glibc's default keeps ~240 MB in
    the threads' heaps; a fixed 1 MiB mmap threshold returns them but faults every new
    frame in again (~170,000 page faults here); run_batch's one heap does neither."""
    code = textwrap.dedent("""
        import resource, threading, numpy as np, psutil
        from laika_fx.pipeline import configure_heap
        assert configure_heap()
        p = psutil.Process()
        before = p.memory_info().rss
        def work():
            for _ in range(30):
                a = np.ones(6 << 20, np.uint8); b = a.astype(np.float32); del a, b
        threads = [threading.Thread(target=work) for _ in range(8)]
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for t in threads: t.start()
        for t in threads: t.join()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
        print((p.memory_info().rss - before) >> 20, faults)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    kept_mb, faults = map(int, out.split())
    assert kept_mb < 100, f"{kept_mb} MB of freed frames kept"
    assert faults < 60_000, f"{faults} page faults"


def test_the_report_platform_is_asked_for_before_the_passes(tmp_path: Path, monkeypatch):
    """platform.platform() runs `uname -p` in a vfork child the first time: the batch asks
    before its passes, while it is small, and the report takes the same string then."""
    import platform

    import laika_fx.report as rp

    real = platform.platform()
    calls: list[str] = []
    monkeypatch.setattr(rp.platform, "platform", lambda: calls.append("asked") or real)
    rp.machine_platform.cache_clear()
    seen: list[int] = []

    class Asking(Counting):
        def analyze(self, source):
            seen.append(len(calls))
            return super().analyze(source)

    make_shot(tmp_path / "s", 3, shape=(16, 16, 3))
    try:
        report = run_batch(open_shot(tmp_path / "s"), tmp_path / "o", [Asking()], BatchOptions(workers=1))
    finally:
        rp.machine_platform.cache_clear()
    assert seen == [1] and calls == ["asked"]
    assert report["machine"]["platform"] == real


def test_release_free_memory_hands_freed_pages_inside_the_heap_back():
    """Frames freed below a block still in use stay in the heap (the trim threshold keeps
    them for reuse); release_free_memory gives their pages back to the system."""
    code = textwrap.dedent("""
        import numpy as np, psutil
        from laika_fx.heap import configure_heap, release_free_memory
        assert configure_heap()
        p = psutil.Process()
        frames = [np.ones(6 << 20, np.uint8) for _ in range(8)]
        top = np.ones(1 << 20, np.uint8)  # in use above them: the heap's top is not free
        held = p.memory_info().rss
        del frames
        freed = p.memory_info().rss
        assert release_free_memory()
        print((held - freed) >> 20, (freed - p.memory_info().rss) >> 20, int(top[0]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    kept_drop, released, _ = map(int, out.split())
    assert kept_drop < 8, f"{kept_drop} MB went back when the frames were freed"
    assert released > 40, f"only {released} MB handed back"


def test_analyze_decodes_ahead_on_two_threads_per_worker(tmp_path: Path):
    """With one worker, a frame's analysis waiting (on a solver process, on the GIL) leaves
    a second thread to decode and start the next frame."""
    from laika_fx.pipeline import AnalysisSource

    make_shot(tmp_path / "s", 4, shape=(16, 24, 3))
    shot = open_shot(tmp_path / "s")
    barrier = threading.Barrier(2, timeout=10)
    source = AnalysisSource(shot, shot.frames, workers=1, progress=Progress(), cancelled=threading.Event())
    assert source.map(lambda n, a: barrier.wait() >= 0) == dict.fromkeys(shot.frames, True)


def test_stage_times_give_each_stage_its_own_wall_and_cpu_time(tmp_path: Path):
    """A stage that waits shows wall time but no CPU time, one that computes shows both; the
    analyze pass's decoding is its own stage, not part of the plugin's."""

    class Waits(Plugin):
        name = "waits"
        has_analyze = True

        def analyze(self, source):
            return {"frames": list(source.map(lambda n, a: time.sleep(0.03)))}

        def render(self, frame, ctx):
            time.sleep(0.03)
            return frame

    class Computes(Plugin):
        name = "computes"

        def render(self, frame, ctx):
            t0 = time.thread_time()
            while time.thread_time() - t0 < 0.03:
                pass
            return frame

    make_shot(tmp_path / "s", 4, shape=(16, 24, 3))
    report = run_batch(open_shot(tmp_path / "s"), tmp_path / "o", [Waits(), Computes()], BatchOptions(workers=1))
    st = report["stages"]
    assert st["analyze:waits"]["ms_per_frame"] >= 29 and st["analyze:waits"]["cpu_ms_per_frame"] < 10
    assert st["analyze:waits:read"]["frames"] == 4 and st["analyze:waits:read"]["ms_per_frame"] < 29
    assert st["waits"]["ms_per_frame"] >= 29 and st["waits"]["cpu_ms_per_frame"] < 10
    assert st["computes"]["cpu_ms_per_frame"] >= 29
    assert all("cpu_ms_per_frame" in s for s in st.values())


def test_plugins_without_analysis_get_ready_while_the_others_analyse(tmp_path: Path):
    """A plugin without an analyze step is prepared (and warmed for the shot's frame shape)
    during the analyze pass, not after it; one whose set-up fails stops the batch with one
    line before any frame is written."""
    ready = threading.Event()
    seen: list = []

    class Analyses(Plugin):
        name = "analyses"
        has_analyze = True

        def analyze(self, source):
            # the other plugin's set-up runs meanwhile (without it this waits in vain)
            return {"other_ready_during_analysis": ready.wait(5)}

        def render(self, frame, ctx):
            return frame

    class Loads(Plugin):
        name = "loads"

        def prepare(self):
            seen.append("prepare")

        def warm(self, shape, dtype):
            seen.append((tuple(shape), np.dtype(dtype)))
            ready.set()

        def render(self, frame, ctx):
            return frame

    class Broken(Plugin):
        name = "broken"

        def prepare(self):
            raise FileNotFoundError("model file not found: x.xml")

        def render(self, frame, ctx):
            return frame

    make_shot(tmp_path / "s", 3, shape=(16, 24, 3))
    shot = open_shot(tmp_path / "s")
    analyses = Analyses()
    run_batch(shot, tmp_path / "o", [analyses, Loads()], BatchOptions(workers=1))
    assert analyses.analysis == {"other_ready_during_analysis": True}
    assert seen == ["prepare", ((16, 24, 3), np.dtype(np.uint8))]
    with pytest.raises(BatchError, match="broken could not start: model file not found"):
        run_batch(shot, tmp_path / "o2", [Analyses(), Broken()], BatchOptions(workers=1))
    assert not list((tmp_path / "o2").glob("*.png"))


def test_resume_with_other_settings_says_the_kept_frames_have_the_old_ones(tmp_path: Path):
    from laika_fx.pipeline import BatchOptions, run_batch
    from laika_fx.plugins import build_plugins
    from laika_fx.sequence import open_shot

    make_shot(tmp_path / "shot", 3, shape=(24, 32, 3))
    out = tmp_path / "out"

    def run(strength: float, resume: bool) -> list[str]:
        plugins = build_plugins([("deflicker", {"strength": strength})])
        report = run_batch(open_shot(tmp_path / "shot"), out, plugins, BatchOptions(resume=resume, workers=1))
        return [n for n in report["analysis_notes"] if n.startswith("--resume")]

    assert run(1.0, False) == []
    note = ("--resume kept 3 frames written with other settings (deflicker.strength: 1.0 -> 0.5); "
            "rerun without --resume to render every frame alike")  # fmt: skip
    assert run(0.5, True) == [note]
    assert run(0.5, True) == [note]  # the frames on disk still have the old settings
    assert run(0.5, False) == []  # every frame rendered again
    assert run(0.5, True) == []


@pytest.mark.parametrize("how", ["sigterm", "two_ctrl_c"])
def test_a_terminated_batch_removes_its_spill_folder(tmp_path: Path, how: str):
    """SIGTERM (a farm scheduler stopping a task) and a second Ctrl-C exit at once (143 / 130)
    without the run's own clean-up; the spill folder of decoded frames goes with them (or
    with the run's clean-up when the first Ctrl-C had finished the run)."""
    import signal
    import subprocess
    import sys
    import time

    make_shot(tmp_path / "s", 40, shape=(400, 600, 3))
    out = tmp_path / "o"
    proc = subprocess.Popen([sys.executable, "-m", "laika_fx", "batch", str(tmp_path / "s"), str(out), "--plugins",
                             "deflicker", "--cache-mb", "0", "--workers", "1", "-q"],
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob(".laika_fx_frames.*")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.005)
        assert list(out.glob(".laika_fx_frames.*")), "the run spilled no frame"
        if how == "sigterm":
            proc.send_signal(signal.SIGTERM)
        else:
            proc.send_signal(signal.SIGINT)
            time.sleep(0.005)
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    # two Ctrl-C: 130; or 1 when the first had already cancelled the run by the second; or
    # killed by SIGINT (-2 here, 130 in a shell) when the second came while the interpreter
    # was shutting down after the cancelled run (its signal handlers are gone by then)
    expected = (143,) if how == "sigterm" else (130, 1, -signal.SIGINT)
    assert proc.returncode in expected, err
    assert not list(out.glob(".laika_fx_frames.*"))
    assert "Traceback" not in err
