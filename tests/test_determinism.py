"""Same input and settings give the same bytes, whatever the worker count, the thread
timing, the frame cache's size or the chunking of the frame range (issue 14).

The default chain plus deflicker (deflicker, seam_removal, stabilize with fill borders:
the chain whose borders once depended on which neighbour happened to be cached) on a
12-frame 320x180 shot made from sample_frames/.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from laika_fx.cli import main

from .test_robustness import small_shot

CHAIN = "deflicker,seam_removal,stabilize"


def output_digests(out: Path) -> dict[str, str]:
    """sha256 of every frame, mask and sidecar below ``out`` (the report holds timings)."""
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith("laika_fx_report") and "reports" not in p.parts
    }


@pytest.fixture(scope="module")
def shot(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("determinism") / "shot"
    small_shot(folder, 12)
    return folder


def batch(shot: Path, out: Path, *extra: str) -> dict[str, str]:
    assert main(["batch", str(shot), str(out), "--plugins", CHAIN, "--save-masks", "-q", *extra]) == 0
    return output_digests(out)


@pytest.fixture(scope="module")
def reference(shot: Path, tmp_path_factory) -> dict[str, str]:
    digests = batch(shot, tmp_path_factory.mktemp("ref") / "out", "--workers", "1")
    assert len([k for k in digests if k.startswith("frame.")]) == 12
    assert {"deflicker.json", "stabilize.json"} <= set(digests)
    return digests


def test_ten_runs_with_1_2_and_4_workers_write_the_same_bytes(shot: Path, reference, tmp_path: Path):
    differing = []
    for workers in (1, 2, 4):
        for run in range(10):
            out = tmp_path / f"w{workers}-{run}"
            digests = batch(shot, out, "--workers", str(workers))
            if digests != reference:
                differing.append((workers, run, sorted(k for k in digests if digests[k] != reference.get(k))))
    assert not differing, differing


# none; ~2 frames in memory, the rest decoded again; ~2 in memory, the rest spilled to disk; all
@pytest.mark.parametrize("cache_mb, spill_mb", [("0", "0"), ("0.4", "0"), ("0.4", "4096"), ("4096", "0")])
def test_frame_cache_size_does_not_change_the_output(shot: Path, reference, tmp_path: Path, cache_mb, spill_mb):
    out = tmp_path / "out"
    assert batch(shot, out, "--workers", "2", "--cache-mb", cache_mb, "--spill-mb", spill_mb) == reference
    report = json.loads((out / "laika_fx_report.json").read_text())
    assert report["frame_spill"]["frames_spilled"] == (10 if spill_mb != "0" else 0)


@pytest.mark.parametrize("chunk", ["1", "5", "12"])
def test_frame_range_chunking_does_not_change_the_output(shot: Path, reference, tmp_path: Path, chunk):
    out = tmp_path / "out"
    assert main(["analyze", str(shot), str(out), "--plugins", CHAIN, "-q", "--workers", "2"]) == 0
    assert batch(shot, out, "--workers", "2", "--chunk-size", chunk) == reference
