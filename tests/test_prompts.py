"""Artist prompts (where the puppet is): the file schema, keyed boxes, the seam detector's use
of them and of its gate policy, the CLI and the report naming frames whose lines were left alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from laika_fx.accelerators.runtime import available
from laika_fx.io import read_frame
from laika_fx.plugins import FrameContext, registry
from laika_fx.prompts import (
    Prompt,
    PromptError,
    PromptKey,
    Region,
    ShotPrompts,
    default_prompt_path,
    load_prompts,
    parse_box,
    parse_point,
    prompts_from_json,
    region_mask,
    save_prompts,
)
from laika_fx.seam_removal.detector import select_lines

from .conftest import ROOT, make_foreign_head_shot

needs_models = pytest.mark.skipif(
    not (available("seam_detector") and available("inpainter") and available("face_finder")),
    reason="seam models missing (laika-fx train)",
)


# ---------------------------------------------------------------- the file
def test_prompt_file_round_trip_and_keyed_interpolation(tmp_path: Path):
    doc = {"schema_version": 1, "prompts": [
        {"box": [10, 20, 30, 40]},
        {"point": [5, 6], "frames": "1003-1004"},
        {"keys": [{"frame": 1010, "box": [100, 0, 10, 10]}, {"frame": 1000, "box": [0, 0, 20, 10]}]},
    ]}  # fmt: skip
    prompts = prompts_from_json(doc)
    path = save_prompts(tmp_path / "shot.laika_fx" / "prompt.json", prompts)
    again = load_prompts(path)
    assert again == prompts and json.loads(path.read_text())["schema_version"] == 1
    regions = again.regions(1005)
    assert [r.kind for r in regions] == ["box", "box"]  # the click holds on 1003-1004 only
    assert regions[0].values == (10, 20, 30, 40)
    assert regions[1].values == pytest.approx((50, 0, 15, 10))  # half way between the keys
    assert again.regions(990)[1].values == (0, 0, 20, 10)  # held before the first key
    assert again.regions(1020)[1].values == (100, 0, 10, 10)  # and after the last
    point = again.regions(1003)[1]
    assert point.kind == "point" and point.values == (5, 6, 60.0)
    assert default_prompt_path(tmp_path / "shot") == (tmp_path / "shot.laika_fx" / "prompt.json").resolve()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"prompts": []}, "schema_version None"),
        ({"schema_version": 2, "prompts": []}, "schema_version 2"),
        ({"schema_version": 1}, "'prompts' must be a list"),
        ({"schema_version": 1, "prompts": [{"box": [1, 2, 3]}]}, "box must be a list of 4 numbers"),
        ({"schema_version": 1, "prompts": [{"box": [1, 2, 0, 3]}]}, "must be positive"),
        ({"schema_version": 1, "prompts": [{"box": [1, 2, 3, 4], "point": [1, 2]}]}, "exactly one of"),
        ({"schema_version": 1, "prompts": [{"box": [1, 2, 3, 4], "colour": 1}]}, "unknown field 'colour'"),
        ({"schema_version": 1, "prompts": [{"box": [1, 2, 3, 4], "frames": "9-3"}]}, "end before they start"),
        ({"schema_version": 1, "prompts": [{"keys": [{"box": [1, 2, 3, 4]}]}]}, "needs an integer 'frame'"),
        ({"schema_version": 1, "prompts": [{"keys": [{"frame": 1, "box": [1, 2, 3, 4]},
                                                     {"frame": 2, "point": [1, 2]}]}]}, "mix boxes and points"),
    ],
)  # fmt: skip
def test_invalid_prompt_documents_say_what_is_wrong(tmp_path: Path, doc, message):
    path = tmp_path / "prompt.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(PromptError, match=message) as info:
        load_prompts(path)
    assert "\n" not in str(info.value) and "prompt.json" in str(info.value)


def test_command_line_boxes_and_clicks():
    assert parse_box("10,20.5,30,40") == Region("box", (10, 20.5, 30, 40))
    assert parse_point("5,6") == Region("point", (5, 6, 60.0))
    assert parse_point("5,6,7") == Region("point", (5, 6, 7))
    for bad in ("1,2,3", "1,2,0,4", "a,b,c,d", "1,2,3,nan"):
        with pytest.raises(PromptError):
            parse_box(bad)
    for bad in ("1", "1,2,3,4", "1,2,-1"):
        with pytest.raises(PromptError):
            parse_point(bad)


def test_region_mask_at_working_scale():
    box = region_mask([Region("box", (10, 20, 40, 20))], (50, 100), scale=0.5)
    assert box.sum() == 20 * 10 and box[10:20, 5:25].all()
    disc = region_mask([Region("point", (100, 50, 20))], (50, 100), scale=0.5)
    assert disc[25, 50] and not disc[25, 61] and abs(disc.sum() - np.pi * 100) < 15


# ---------------------------------------------------------------- which lines are kept
def _two_lines() -> tuple[np.ndarray, np.ndarray]:
    prob = np.zeros((60, 100), np.float32)
    prob[20, 10:60] = 0.999  # a sure line (median logit 6.9)
    prob[40, 10:60] = 0.99  # a line only just above the threshold
    face = np.zeros(prob.shape, bool)
    return prob, face


def test_gate_policies_and_the_prompt():
    prob, face = _two_lines()
    kept, left, counts = select_lines(prob, 0.98, 0.5, gate="face", face=face)
    assert not kept.any() and left[20].any() and left[40].any() and counts["rejected_by_gate"] == 2
    # auto: the face finder sees no face, but the sure line is kept; the unsure one is not
    kept, left, counts = select_lines(prob, 0.98, 0.5, gate="auto", face=face)
    assert kept[20].sum() == 50 and not kept[40].any()
    assert counts == {"outside_prompt": 0, "rejected_by_gate": 1, "rejected_on_puppet": 0}  # the line lies on the set
    face[35:45] = True  # on a face, the unsure line needs only the threshold
    kept, _, _ = select_lines(prob, 0.98, 0.5, gate="auto", face=face)
    assert kept[20].any() and kept[40].any()
    kept, _, _ = select_lines(prob, 0.98, 0.5, gate="off", face=None)
    assert kept[20].any() and kept[40].any()
    # a prompt: inside kept whatever the gate, outside left alone
    puppet = np.zeros(prob.shape, bool)
    puppet[35:45, 0:40] = True  # 30 of the lower line's 50 px
    for gate in ("face", "auto", "off", "prompt"):
        kept, left, counts = select_lines(prob, 0.98, 0.5, gate=gate, face=np.zeros_like(face), puppet=puppet)
        assert kept[40].sum() == 50 and not kept[20].any() and left[20].sum() == 50, gate
        assert counts == {"outside_prompt": 1, "rejected_by_gate": 0, "rejected_on_puppet": 0}
    kept, _, counts = select_lines(prob, 0.98, 0.5, gate="prompt", face=None)  # no prompt on this frame
    assert not kept.any() and counts["outside_prompt"] == 2


def test_the_summary_names_frames_with_lines_on_the_puppet_and_says_nothing_it_did_not_count():
    from laika_fx.seam_removal.plugin import SeamRemoval

    def note(gate, puppet=None):
        n = {"lines_left_alone": gate, "outside_prompt": 0, "rejected_by_gate": gate}
        return n if puppet is None else {**n, "rejected_on_puppet": puppet}

    out = SeamRemoval.summarize_notes({1001: note(2, 0), 1002: note(1, 1), 1003: {"cleaned": True}, 1004: note(1, 0)})
    assert out["frames_with_lines_left_alone"] == [1001, 1002, 1004]
    assert out["frames_with_lines_left_on_puppet"] == [1002]
    assert "(4 rejected by the gate, 1 of them on a face or what moved)" in out["summary"]
    assert "lines on a face or what moved left alone (check these for seams) on 1 frame: 1002" in out["summary"]
    # a frame carried from a run that did not count them (--resume of an older report): no claim
    out = SeamRemoval.summarize_notes({1001: note(2, 0), 1002: note(1)})
    assert "(3 rejected by the gate)" in out["summary"] and out["frames_with_lines_left_on_puppet"] == []


def test_the_motion_prior_bar():
    """A line on what moved against the set needs ``moving_confident`` (0: as on a face); a line
    half on the face and half on what moved is on the puppet."""
    prob, face = _two_lines()
    moving = np.zeros(prob.shape, bool)
    moving[35:45] = True  # the unsure line (median 0.99) moved with the puppet
    for gate in ("auto", "face"):
        kept, _, _ = select_lines(prob, 0.98, 0.5, gate=gate, face=face, moving=moving)  # today's default: 0
        assert kept[40].sum() == 50, gate
        kept, left, counts = select_lines(prob, 0.98, 0.5, gate=gate, face=face, moving=moving, moving_confident=0.995)
        assert not kept[40].any() and left[40].sum() == 50 and counts["rejected_by_gate"] >= 1, gate
        # the rejected line moved with the puppet: counted apart from lines on the set
        assert counts["rejected_on_puppet"] == 1, gate
        kept, _, _ = select_lines(prob, 0.98, 0.5, gate=gate, face=face, moving=moving, moving_confident=0.99)
        assert kept[40].sum() == 50, gate
    # auto: a sure line off the puppet still needs only `confident`; face: it is left alone
    kept, _, _ = select_lines(prob, 0.98, 0.5, gate="auto", face=face, moving=moving, moving_confident=0.995)
    assert kept[20].sum() == 50
    kept, _, _ = select_lines(prob, 0.98, 0.5, gate="face", face=face, moving=moving, moving_confident=0.995)
    assert not kept[20].any()
    # 20 px on the face, 20 px on what moved (each under half of the 50 px line): on the puppet
    # together; either alone is not
    face2, moving2 = np.zeros(prob.shape, bool), np.zeros(prob.shape, bool)
    face2[35:45, 10:30], moving2[35:45, 30:50] = True, True
    kept, _, _ = select_lines(prob, 0.98, 0.5, gate="face", face=face2, moving=moving2)
    assert kept[40].sum() == 50
    kept, _, _ = select_lines(prob, 0.98, 0.5, gate="face", face=np.zeros_like(face2), moving=moving2)
    assert not kept[40].any()
    kept, _, _ = select_lines(prob, 0.98, 0.5, gate="face", face=face2, moving=None)
    assert not kept[40].any()
    # without a face finder the motion prior plays no part (every line is kept, as before)
    kept, _, _ = select_lines(prob, 0.98, 0.5, gate="auto", face=None, moving=moving, moving_confident=0.995)
    assert kept[40].sum() == 50


def test_the_detector_reads_its_motion_bar(tmp_path):
    """``moving_confident`` comes from the model's calibrated settings (0 when they have none)."""
    from laika_fx.seam_removal.detector import SeamDetector

    det = SeamDetector(settings={"threshold": 0.98, "low_ratio": 0.8, "face_gate": False})
    assert det.moving_confident == 0.0
    det = SeamDetector(settings={"threshold": 0.98, "low_ratio": 0.8, "face_gate": False, "moving_confident": 0.95})
    assert det.moving_confident == 0.95


# ---------------------------------------------------------------- the CLI
def _batch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "laika_fx", "batch", *args, "--plugins", "seam_removal", "-q",
                           "--workers", "2"], capture_output=True, text=True, cwd=ROOT, timeout=600)  # fmt: skip


@needs_models
def test_the_prompt_brings_back_a_seam_the_gate_dropped(tmp_path: Path):
    """A photo-textured blob head: the detector finds its seam (``gate=off``), the face finder
    sees no face. The default soft prior (``auto``) paints it out where the detector is sure
    of it (its median probability >= the calibrated ``confident`` bar, 0.99 since the
    thresholds hold seam-free frames to 0.03 %: 2 of the 3 frames) and the report names the
    frame it left alone; the veto (``gate=face``) leaves it alone on every frame (and the
    report says so per frame); a box on the puppet paints it out whatever the gate, from the
    option or from the prompt file beside the shot."""
    shot = tmp_path / "head"
    paths, truths = make_foreign_head_shot(shot, 3)
    res = _batch(str(shot), str(tmp_path / "off"), "--save-masks", "--set", "seam_removal.gate=off")
    assert res.returncode == 0, res.stderr
    for p, truth in zip(paths, truths, strict=True):
        assert (read_frame(tmp_path / "off" / "masks" / p.name)[truth] > 0).mean() > 0.9
    res = _batch(str(shot), str(tmp_path / "default"), "--save-masks")
    assert res.returncode == 0, res.stderr
    found = [(read_frame(tmp_path / "default" / "masks" / p.name)[t] > 0).mean() for p, t in zip(paths, truths, strict=True)]
    assert sum(f > 0.9 for f in found) >= 2 and all(f > 0.9 or f == 0 for f in found), found
    notes = json.loads((tmp_path / "default" / "laika_fx_report.json").read_text())["notes"]["seam_removal"]
    assert notes["frames_with_lines_left_alone"] == [1001 + k for k, f in enumerate(found) if f == 0]
    res = _batch(str(shot), str(tmp_path / "auto"), "--save-masks", "--set", "seam_removal.gate=face")
    assert res.returncode == 0, res.stderr
    for p in paths:
        assert not read_frame(tmp_path / "auto" / "masks" / p.name).any()
        np.testing.assert_array_equal(read_frame(tmp_path / "auto" / p.name), read_frame(p))
    report = json.loads((tmp_path / "auto" / "laika_fx_report.json").read_text())
    notes = report["notes"]["seam_removal"]
    assert notes["frames_with_lines_left_alone"] == [1001, 1002, 1003]
    # the face finder does not see this head and nothing moved: the gate's line is not counted
    # on the puppet (so nothing names these frames apart)
    assert notes["lines_left_alone"]["1002"] == {"lines_left_alone": 1, "outside_prompt": 0, "rejected_by_gate": 1,
                                                 "rejected_on_puppet": 0}  # fmt: skip
    assert notes["frames_with_lines_left_on_puppet"] == []
    assert notes["frames_cleaned"] == []  # nothing painted out
    assert report["prompt"] is None
    assert ("left alone (not painted out) on 3 frames: 1001-1003 (3 rejected by the gate, none of them on a face or "
            "what moved)") in res.stdout

    res = _batch(str(shot), str(tmp_path / "box"), "--save-masks", "--puppet-box", "150,60,350,260")
    assert res.returncode == 0, res.stderr
    for p, truth in zip(paths, truths, strict=True):
        mask = read_frame(tmp_path / "box" / "masks" / p.name) > 0
        assert (mask & truth).sum() > 0.9 * truth.sum()  # the seam is painted out
        src, out = read_frame(p).astype(int), read_frame(tmp_path / "box" / p.name).astype(int)
        changed = np.any(out != src, axis=2)
        assert changed[truth].mean() > 0.8 and not changed[~mask].any()  # only inside the mask
        assert np.abs(out - src)[truth].mean() > 20  # the dark line is gone, not nudged
    report = json.loads((tmp_path / "box" / "laika_fx_report.json").read_text())
    assert report["prompt"] == "command line"
    notes = report["notes"]["seam_removal"]
    assert notes["frames_with_lines_left_alone"] == [] and notes["summary"] == ""
    assert notes["frames_cleaned"] == [1001, 1002, 1003]  # the seam is painted out on each

    # the same box in the default prompt file beside the shot: the same bytes
    save_prompts(default_prompt_path(shot), ShotPrompts((Prompt((PromptKey(None, Region("box", (150, 60, 350, 260))),)),)))
    res = _batch(str(shot), str(tmp_path / "file"), "--save-masks")
    assert res.returncode == 0, res.stderr
    for p in paths:
        assert (tmp_path / "file" / p.name).read_bytes() == (tmp_path / "box" / p.name).read_bytes()
    assert json.loads((tmp_path / "file" / "laika_fx_report.json").read_text())["prompt"] == str(default_prompt_path(shot))
    # a click on the face (a disc reaching the seam's ends) does the same
    res = _batch(str(shot), str(tmp_path / "click"), "--save-masks", "--puppet-point", "326,197,140")
    assert res.returncode == 0, res.stderr
    for p, truth in zip(paths, truths, strict=True):
        assert (read_frame(tmp_path / "click" / "masks" / p.name)[truth] > 0).mean() > 0.9
    # a box elsewhere: the seam is outside it, left alone, and the report says why
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema_version": 1, "prompts": [{"box": [0, 0, 100, 80], "frames": "1002-1003"}]}))
    res = _batch(str(shot), str(tmp_path / "other"), "--prompt", str(other))
    assert res.returncode == 0, res.stderr
    notes = json.loads((tmp_path / "other" / "laika_fx_report.json").read_text())["notes"]["seam_removal"]
    assert "1001" not in notes["lines_left_alone"] and 1001 in notes["frames_cleaned"]  # no prompt: the gate's
    assert notes["lines_left_alone"]["1002"]["outside_prompt"] == 1
    np.testing.assert_array_equal(read_frame(tmp_path / "other" / paths[2].name), read_frame(paths[2]))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--puppet-box", "1,2,3"], "--puppet-box: expected X,Y,W,H in pixels, got '1,2,3'"),
        (["--puppet-point", "a,b"], "--puppet-point: expected X,Y or X,Y,R in pixels"),
        (["--prompt", "{bad}"], "prompt: bad.json: prompt 1: box must be a list of 4 numbers"),
        (["--prompt", "{missing}"], "prompt file not found"),
        (["--prompt", "{bad}", "--puppet-box", "1,2,3,4"], "not both"),
    ],
)
def test_bad_prompt_is_one_line_and_exit_2(tmp_path: Path, shot_dir: Path, args, message):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema_version": 1, "prompts": [{"box": [1, 2, 3]}]}))
    args = [a.format(bad=bad, missing=tmp_path / "missing.json") for a in args]
    res = subprocess.run([sys.executable, "-m", "laika_fx", "batch", str(shot_dir), str(tmp_path / "out"),
                          "--plugins", "deflicker", *args], capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and message in res.stderr, res.stderr
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_broken_default_prompt_file_stops_the_batch(tmp_path: Path, shot_dir: Path):
    default_prompt_path(shot_dir).parent.mkdir(parents=True)
    default_prompt_path(shot_dir).write_text("{")
    res = subprocess.run([sys.executable, "-m", "laika_fx", "batch", str(shot_dir), str(tmp_path / "out"),
                          "--plugins", "deflicker"], capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip
    assert res.returncode == 2 and "prompt: prompt.json: not valid JSON" in res.stderr


def test_plugin_notes_reach_the_report_generically(tmp_path: Path, shot_dir: Path):
    """A plugin's per-frame notes (``ctx.notes``) go to ``report["notes"][plugin]`` through the
    plugin's ``summarize_notes``; deflicker leaves none, so its section is absent."""
    from laika_fx.pipeline import BatchOptions, run_batch
    from laika_fx.plugins import Plugin
    from laika_fx.sequence import open_shot

    class Noting(Plugin):
        name = "noting"

        def render(self, frame, ctx):
            if ctx.frame % 2:
                ctx.notes[self.name] = {"odd": ctx.frame, "prompt": len(ctx.prompt)}
            return frame

    deflicker = registry.get("deflicker")()
    prompts = ShotPrompts((Prompt((PromptKey(None, Region("box", (1, 2, 3, 4))),), 1002, 1003),))
    report = run_batch(open_shot(shot_dir), tmp_path / "out", [Noting(), deflicker],
                       BatchOptions(workers=2, prompts=prompts))  # fmt: skip
    assert report["notes"] == {"noting": {"frames": {"1001": {"odd": 1001, "prompt": 0},
                                                     "1003": {"odd": 1003, "prompt": 1},
                                                     "1005": {"odd": 1005, "prompt": 0}}}}  # fmt: skip
    ctx = FrameContext(frame=1)
    assert ctx.prompt == [] and ctx.notes == {}

    class Broken(Noting):
        @classmethod
        def summarize_notes(cls, notes):
            raise KeyError("odd")

    report = run_batch(open_shot(shot_dir), tmp_path / "out2", [Broken()], BatchOptions(workers=1))
    assert report["frames_written"] == 6
    assert report["notes"] == {"noting": {"error": "summarize_notes failed: KeyError: 'odd'"}}
