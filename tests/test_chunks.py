"""Farm-ready chunks: `laika-fx analyze` once, `batch --frames A-B --chunk-size N` per task,
`laika-fx report` to merge; the assembled output is exactly the single-machine result."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from laika_fx.cli import main

from .test_determinism import output_digests
from .test_robustness import run, small_shot

CHAIN = ["--plugins", "deflicker,seam_removal,stabilize", "--save-masks", "-q", "--workers", "2"]
#: report fields that are not timings, dates or machine facts: they must match exactly
ACCOUNTING = ("input", "frame_range", "gaps", "frames_total", "frames_requested", "frames_written",
              "frames_written_list", "frames_skipped", "frames_failed", "cancelled", "resolution", "channels",
              "dtype", "precision", "plugins", "notes", "analysis_notes", "prompt")  # fmt: skip


@pytest.fixture(scope="module")
def shot(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("chunks") / "shot"
    paths = small_shot(folder, 14)
    paths[8].write_bytes(paths[8].read_bytes()[:300])  # frame 1009 is damaged: one failure to account for
    return folder


@pytest.fixture(scope="module")
def single(shot: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single") / "out"
    assert main(["batch", str(shot), str(out), "--frames", "1001-1014", *CHAIN]) == 1
    return out


def report_of(out: Path) -> dict:
    return json.loads((out / "laika_fx_report.json").read_text())


def test_chunks_on_one_machine_assemble_to_the_single_run(shot: Path, single: Path, tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert run(["analyze", shot, out, "--frames", "1001-1014", *CHAIN[:2], "-q"], capsys)[0] == 0
    code, stdout, _ = run(["batch", shot, out, "--frames", "1001-1014", "--chunk-size", "4", *CHAIN], capsys)
    assert code == 1  # frame 1009 failed
    assert sorted(p.name for p in (out / "reports").iterdir()) == [
        "laika_fx_report.1001-1004.json", "laika_fx_report.1005-1008.json",
        "laika_fx_report.1009-1012.json", "laika_fx_report.1013-1014.json",
    ]  # fmt: skip
    assert not (out / "laika_fx_report.json").exists()  # chunks never write the shot's report
    assert run(["report", out], capsys)[0] == 1
    assert output_digests(out) == output_digests(single)
    merged, one = report_of(out), report_of(single)
    assert {k: merged[k] for k in ACCOUNTING} == {k: one[k] for k in ACCOUNTING}
    assert merged["frames_written"] == 13 and [f["frame"] for f in merged["frames_failed"]] == [1009]


def test_farm_tasks_in_any_order_and_a_retried_chunk_count_each_frame_once(shot: Path, single: Path, tmp_path: Path,
                                                                           capsys):  # fmt: skip
    out = tmp_path / "out"
    assert run(["analyze", shot, out, "--frames", "1001-1014", *CHAIN[:2], "-q"], capsys)[0] == 0
    tasks = ["1013-1014", "1005-1008", "1001-1004", "1009-1012", "1005-1008"]  # 1005-1008 retried
    for task in tasks:  # each one independent command, as a farm manager runs them
        run(["batch", shot, out, "--frames", task, "--chunk-size", "4", *CHAIN], capsys)
    assert run(["report", out], capsys)[0] == 1
    assert output_digests(out) == output_digests(single)
    merged = report_of(out)
    assert {k: merged[k] for k in ACCOUNTING} == {k: report_of(single)[k] for k in ACCOUNTING}
    assert len(merged["chunks"]) == 4


def test_a_chunk_without_the_shared_analysis_is_refused(shot: Path, tmp_path: Path, capsys):
    code, _, err = run(["batch", shot, tmp_path / "out", "--frames", "1001-1004", "--chunk-size", "4", *CHAIN], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "written first by `laika-fx analyze`" in err
    assert not list((tmp_path / "out").glob("frame.*"))


def test_report_without_chunk_reports_is_one_line_and_exit_2(tmp_path: Path, capsys):
    (tmp_path / "out").mkdir()
    code, _, err = run(["report", tmp_path / "out"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no chunk reports" in err


def test_reports_of_different_runs_are_not_merged(tmp_path: Path, capsys):
    from laika_fx.report import merge_reports

    a = {"input": "a", "frames_requested": "1-2", "frames_written_list": "1-2", "frames_skipped_list": "",
         "frames_failed": [], "wall_seconds": 1.0}  # fmt: skip
    b = dict(a, input="b", frames_requested="3-4", frames_written_list="3-4")
    with pytest.raises(ValueError, match="input differs"):
        merge_reports([a, b])
    assert merge_reports([a, dict(b, input="a")])["frames_written"] == 4


def test_chunk_size_must_be_positive(shot: Path, tmp_path: Path, capsys):
    code, _, err = run(["batch", shot, tmp_path / "out", "--chunk-size", "0", *CHAIN], capsys)
    assert code == 2 and "--chunk-size must be at least 1" in err


def test_chunk_boundaries_follow_the_requested_frames(tmp_path: Path, capsys):
    shot = tmp_path / "shot"
    small_shot(shot, 9)
    out = tmp_path / "out"
    assert run(["analyze", shot, out, "--plugins", "deflicker", "-q"], capsys)[0] == 0
    assert run(["batch", shot, out, "--frames", "1001-1009x2", "--chunk-size", "2", "--plugins", "deflicker", "-q"],
               capsys)[0] == 0  # fmt: skip
    names = sorted(p.name for p in (out / "reports").iterdir())
    assert names == ["laika_fx_report.1001,1003.json", "laika_fx_report.1005,1007.json", "laika_fx_report.1009.json"]
    assert np.array_equal(sorted(int(p.name.split(".")[1]) for p in out.glob("frame.*")), [1001, 1003, 1005, 1007, 1009])


def test_plugin_notes_of_chunks_merge_to_those_of_one_run(sample_dir: Path, tmp_path: Path, capsys):
    """seam_removal's per-frame notes (lines left alone outside the prompt) are re-summed by
    the plugin from the chunk reports: the merged section equals a single run's."""
    args = ["--frames", "1001-1006", "--plugins", "seam_removal", "-q", "--workers", "2", "--puppet-box", "0,0,60,60"]
    single, chunked = tmp_path / "single", tmp_path / "chunked"
    assert run(["batch", sample_dir, single, *args], capsys)[0] == 0
    assert run(["batch", sample_dir, chunked, *args, "--chunk-size", "4"], capsys)[0] == 0
    assert run(["report", chunked], capsys)[0] == 0
    one, merged = report_of(single), report_of(chunked)
    assert one["notes"]["seam_removal"]["frames_with_lines_left_alone"] == list(range(1001, 1007))
    assert merged["notes"] == one["notes"]
    assert "frame_notes" not in merged


def test_report_names_the_frames_of_the_analyzed_range_no_chunk_rendered(tmp_path: Path, capsys):
    shot = tmp_path / "shot"
    small_shot(shot, 16, size=(64, 48))
    out = tmp_path / "out"
    plugins = ["--plugins", "deflicker", "-q"]
    assert run(["analyze", shot, out, "--frames", "1001-1016", *plugins], capsys)[0] == 0
    assert run(["batch", shot, out, "--frames", "1001-1008", "--chunk-size", "8", *plugins], capsys)[0] == 0
    code, stdout, _ = run(["report", out], capsys)
    assert code == 1  # some frames failed / are missing
    assert "8 written / 16 requested" in stdout and "1009-1016" in stdout
    merged = report_of(out)
    assert merged["frames_total"] == 16 and merged["frames_requested"] == "1001-1016"
    assert [f["frame"] for f in merged["frames_failed"]] == list(range(1009, 1017))
    assert merged["frames_failed"][0]["file"] == "frame.1009.png"
    # the missing chunk rendered: the report is whole again
    assert run(["batch", shot, out, "--frames", "1009-1016", "--chunk-size", "8", *plugins], capsys)[0] == 0
    assert run(["report", out], capsys)[0] == 0 and report_of(out)["frames_failed"] == []
