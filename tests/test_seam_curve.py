"""``laika-fx eval seam-curve``: detectors compared at an equal seam-free share flagged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("PIL")

from laika_fx_train import sources  # noqa: E402
from laika_fx_train.seam.curve import compare, f1_at, load_seam_net, seam_curve  # noqa: E402
from laika_fx_train.seam.nets import SeamNet  # noqa: E402

from .test_cli import run_cli  # noqa: E402
from .test_seam_world import _fake_sources  # noqa: E402

SHIPPED_FP32 = Path(__file__).resolve().parents[1] / "laika_fx" / "models" / "seam_detector_fp32.xml"


def _rows(points):
    return [{"threshold": t, "precision": 1.0, "recall": 1.0, "f1": f, "flagged_pct": fl} for t, f, fl in points]


def test_f1_at_interpolates_along_the_curve_and_not_beyond_it():
    rows = _rows([(0.998, 0.70, 0.05), (0.99, 0.80, 0.25), (0.95, 0.82, 0.30)])
    assert f1_at(rows, 0.05) == pytest.approx(0.70)
    assert f1_at(rows, 0.15) == pytest.approx(0.75)
    assert f1_at(rows, 0.275) == pytest.approx(0.81)
    assert f1_at(rows, 0.01) is None and f1_at(rows, 0.31) is None


def test_compare_gives_each_point_against_the_first_curve_at_its_flagged_share():
    ref = _rows([(0.998, 0.70, 0.05), (0.99, 0.80, 0.25)])
    cand = _rows([(0.998, 0.78, 0.15), (0.99, 0.81, 0.40)])
    deltas = compare({"ref": ref, "cand": cand, "same": ref})
    assert deltas["cand"][0] == pytest.approx(0.03)  # ref at 0.15 %: 0.75
    assert deltas["cand"][1] is None  # the reference never flags 0.40 %
    assert deltas["same"] == [0.0, 0.0]
    assert "ref" not in deltas


class _Bright(torch.nn.Module):
    """Seam logits from brightness alone: a bright line is a seam, dark is not."""

    def forward(self, x):
        return 40.0 * (x[:, :1] - 0.5)


def test_seam_curve_counts_lines_of_the_seamed_scenes_and_flagged_pixels_of_the_free_ones():
    frame = np.zeros((64, 96, 3), np.float32)
    mask = np.zeros((64, 96), np.uint8)
    frame[30, 10:80] = 1.0  # the seam, found exactly
    mask[30, 10:80] = 255
    frame[50, 10:40] = 1.0  # a set line on the seamed frame: a false positive
    seamed = [SimpleNamespace(frame=frame, mask=mask)]
    free_frame = np.zeros((64, 96, 3), np.float32)
    free_frame[20, 20:60] = 1.0  # a line on a seam-free frame
    free = [SimpleNamespace(frame=free_frame, mask=np.zeros((64, 96), np.uint8)),
            SimpleNamespace(frame=np.zeros((64, 96, 3), np.float32), mask=np.zeros((64, 96), np.uint8))]  # fmt: skip
    (row,) = seam_curve(_Bright(), seamed, free, thresholds=(0.99,))
    assert row["threshold"] == 0.99
    assert row["recall"] == 1.0
    assert row["precision"] == pytest.approx(70 / 100, abs=1e-4)  # 70 seam px of 100 kept
    line = np.zeros((64, 96), np.uint8)
    line[20, 20:60] = 1
    flagged = (cv2.dilate(line, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))) > 0).sum()
    assert row["flagged_pct"] == pytest.approx(round(100 * flagged / (2 * 64 * 96), 4))
    assert row["f1"] == pytest.approx(2 * 0.7 / 1.7, abs=1e-4)


def test_load_seam_net_reads_checkpoints_state_dicts_and_irs(tmp_path):
    net = SeamNet((8, 16, 16, 24), 32)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        want = net.eval()(x)
    torch.save({"model": net.state_dict(), "step": 3}, tmp_path / "checkpoint.pt")
    torch.save(net.state_dict(), tmp_path / "state.pt")
    for name in ("checkpoint.pt", "state.pt"):
        got = load_seam_net(tmp_path / name)
        assert got.arch == {"widths": (8, 16, 16, 24), "context": 32}
        with torch.no_grad():
            assert torch.equal(got(x), want)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a torch checkpoint"):
        load_seam_net(tmp_path / "junk.pt")
    torch.save({"model": {"conv.weight": torch.zeros(1)}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a seam detector checkpoint"):
        load_seam_net(tmp_path / "other.pt")
    with pytest.raises(ValueError, match="no such file"):
        load_seam_net(tmp_path / "missing.pt")
    if SHIPPED_FP32.exists():
        shipped = load_seam_net(SHIPPED_FP32)
        assert shipped.full_resolution and shipped(torch.zeros(1, 3, 64, 64)).shape == (1, 1, 64, 64)


def _cli(*args, sources: Path):
    return run_cli("eval", "seam-curve", *args, "--sources", sources)


def test_cli_refuses_bad_arguments_in_one_line(tmp_path):
    for args in (["noequals"], ["a=x.pt", "a=y.pt"], ["a=x.pt", "--thresholds", "0.9,1.5"], ["a=x.pt", "--seamed", "0"]):
        r = _cli(*args, sources=tmp_path)
        assert r.returncode == 2, args
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("laika-fx: error:"), r.stderr
    r = _cli("a=x.pt", sources=tmp_path / "nothing")  # no sources fetched there
    assert r.returncode == 2 and "not fetched" in r.stderr and "Traceback" not in r.stderr


def _validation_sources(tmp_path: Path) -> Path:
    """A sources folder whose validation sources are a few made-up images (the fake sources'
    manifest copied under every validation id)."""
    root = _fake_sources(tmp_path / "src")
    man = root / "manifests"
    for sid in sources.source_ids("validation"):
        shutil.copy(man / "T-gcompris.txt", man / f"{sid}.txt")
    return root


@pytest.mark.skipif(not SHIPPED_FP32.exists(), reason="seam detector model missing")
def test_cli_judges_a_detector_against_itself_as_level_and_writes_json(tmp_path):
    root = _validation_sources(tmp_path)
    ckpt = tmp_path / "copy.pt"
    torch.save({"model": load_seam_net(SHIPPED_FP32).state_dict()}, ckpt)
    out = tmp_path / "curve.json"
    r = _cli(f"shipped={SHIPPED_FP32}", f"copy={ckpt}", "--seamed", "6", "--free", "4", "--thresholds",
             "0.99,0.9", "--json", str(out), sources=root)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "vs shipped" in r.stdout and "copy" in r.stdout
    data = json.loads(out.read_text())
    assert data["free"] == 4 and 1 <= data["seamed"] <= 6
    assert data["curves"]["copy"] == data["curves"]["shipped"]
    assert all(d in (0.0, None) for d in data["vs_first"]["copy"])
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"junk")
    r = _cli(f"shipped={SHIPPED_FP32}", f"bad={bad}", "--seamed", "2", "--free", "1", sources=root)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "bad.pt" in r.stderr
