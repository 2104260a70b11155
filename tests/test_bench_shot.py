"""The benchmark shot (benchmarks/shot.py) is deterministic and has what it claims."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("skimage")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import shot  # noqa: E402

from laika_fx.io import read_frame  # noqa: E402


def test_bench_shot_is_the_same_bytes_every_time_and_shakes_and_flickers(tmp_path: Path):
    base, seam_px = shot.plate(108, 192)
    assert seam_px > 0
    a = shot.build(tmp_path / "a", 108, 192, "png8", 4, base)
    b = shot.build(tmp_path / "b", 108, 192, "png8", 4, base)
    assert a == b == [f"frame.{n}.png" for n in range(1001, 1005)]
    assert all((tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes() for n in a)
    frames = [read_frame(tmp_path / "a" / n).astype(float) for n in a]
    assert all(np.abs(f - frames[0]).mean() > 1 for f in frames[1:])  # the camera moved
    means = [f.mean() for f in frames]
    assert max(means) - min(means) > 0.5  # and the light flickered
    tif = shot.build(tmp_path / "t", 108, 192, "tif16", 1, base)
    assert read_frame(tmp_path / "t" / tif[0]).dtype == np.uint16
