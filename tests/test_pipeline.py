import json
import threading
from pathlib import Path

import numpy as np
import pytest

from laika_fx.deflicker import DeflickerPlugin
from laika_fx.io import read_frame, write_frame
from laika_fx.pipeline import BatchOptions, Cancel, Progress, default_mask_override_dir, run_batch
from laika_fx.plugins import FrameContext, Plugin
from laika_fx.sequence import open_shot

from .conftest import make_shot


class Recorder(Plugin):
    """Test plugin: records the mask override it saw and emits a seam mask."""

    name = "recorder"

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
    from laika_fx.pipeline import load_mask_override, mask_override_path

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
