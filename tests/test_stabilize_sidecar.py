import json
from pathlib import Path

import numpy as np
import pytest

from laika_fx.pipeline import BatchError, BatchOptions, run_batch
from laika_fx.sequence import open_shot
from laika_fx.stabilize.plugin import StabilizePlugin
from laika_fx.stabilize.sidecar import SCHEMA_VERSION, SidecarError, load_solve, read_sidecar

from .conftest import make_shot


def _doc(**extra) -> dict:
    shift = [[1.0, 0.0, 3.0], [0.0, 1.0, -2.0], [0.0, 0.0, 1.0]]
    doc = {
        "reference_frame": 1001,
        "frames": [{"frame": 1001, "matrix": np.eye(3).tolist(), "to_reference": np.eye(3).tolist()},
                   {"frame": 1002, "matrix": shift, "to_reference": shift}],
        "frame_size": [64, 48],
        "schema_version": SCHEMA_VERSION,
    }  # fmt: skip
    doc.update(extra)
    return doc


def _write(path: Path, doc: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def test_reader_refuses_another_schema_version(tmp_path: Path):
    path = _write(tmp_path / "stabilize.json", _doc(schema_version=2))
    with pytest.raises(SidecarError, match=r"stabilize.json: schema version 2, this laika_fx reads version 1"):
        read_sidecar(path)
    with pytest.raises(SidecarError, match="schema version 2"):
        load_solve(path)


def test_reader_checks_entries_and_reads_curves(tmp_path: Path):
    solve = load_solve(_write(tmp_path / "stabilize.json", _doc()))
    assert solve.reference == 1001 and solve.frames == [1001, 1002]
    assert solve.smoothed["x"][1002] == 3.0 and solve.smoothed["y"][1002] == -2.0
    assert not solve.has_raw_difference
    # the output contract's minimum (no schema_version) is read as version 1
    minimal = {"reference_frame": 1001, "frames": _doc()["frames"]}
    assert read_sidecar(_write(tmp_path / "minimal.json", minimal)) == minimal
    bad = _doc()
    bad["frames"][1]["matrix"] = [[1, 0, 3], [0, 1, -2]]
    with pytest.raises(SidecarError, match="frame 1002: 'matrix' is not a 3x3 matrix"):
        read_sidecar(_write(tmp_path / "bad.json", bad))
    with pytest.raises(SidecarError, match="not valid JSON"):
        (tmp_path / "broken.json").write_text("{")
        read_sidecar(tmp_path / "broken.json")
    with pytest.raises(SidecarError, match="frame 1001 is listed twice"):
        read_sidecar(_write(tmp_path / "twice.json", _doc(frames=_doc()["frames"][:1] * 2)))


def test_resume_reads_the_sidecar_through_the_checked_reader(tmp_path: Path):
    make_shot(tmp_path / "shot", 2, shape=(48, 64, 3))
    out = tmp_path / "out"
    _write(out / "stabilize.json", _doc())
    plugin = StabilizePlugin({"learned": False, "border": "crop"})
    report = run_batch(open_shot(tmp_path / "shot"), out, [plugin], BatchOptions(resume=True, workers=1))
    assert report["frames_written"] == 2
    assert plugin.crop_rectangle is not None and plugin.analysis["frames"][1]["matrix"][0][2] == 3.0
    _write(out / "stabilize.json", _doc(schema_version=99))
    for p in out.glob("frame.*"):
        p.unlink()
    with pytest.raises(BatchError, match="stabilize: cannot use stabilize.json: schema version 99, this laika_fx reads version 1"):
        run_batch(open_shot(tmp_path / "shot"), out, [StabilizePlugin()], BatchOptions(resume=True))


def test_resume_over_a_longer_range_names_what_the_sidecar_covers(tmp_path: Path):
    make_shot(tmp_path / "shot", 3, shape=(48, 64, 3))  # frames 1001-1003; the sidecar has 1001-1002
    out = tmp_path / "out"
    _write(out / "stabilize.json", _doc())
    report = run_batch(open_shot(tmp_path / "shot"), out, [StabilizePlugin({"learned": False})],
                       BatchOptions(resume=True, workers=1))  # fmt: skip
    assert report["frames_written"] == 2
    [failed] = report["frames_failed"]
    assert failed["frame"] == 1003
    assert "frame 1003 has no camera solve in stabilize.json (it covers 1001-1002): rerun without --resume" in (
        failed["error"]
    )
    assert "KeyError" not in failed["error"] and "'" not in failed["error"]
