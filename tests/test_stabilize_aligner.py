"""The shipped learned coarse aligner: files, size, and that it beats a zero guess on held-out photos."""

from __future__ import annotations

import json

import numpy as np
import pytest

from laika_fx.accelerators.runtime import MODELS_DIR, model_path
from laika_fx.stabilize.coarse import LearnedCoarseAligner, offsets_to_matrix
from laika_fx_train.sources import load_photos
from laika_fx_train.stabilize.data import EVAL_PHOTOS, PairGenerator


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_aligner_ir_is_shipped(precision):
    xml = model_path("aligner", precision)
    assert xml.exists() and xml.with_suffix(".bin").exists()
    if precision == "int8":
        assert xml.with_suffix(".bin").stat().st_size <= 1_000_000


def test_aligner_beats_zero_guess_on_holdout_pairs():
    aligner = LearnedCoarseAligner(precision="int8")
    gen = PairGenerator(load_photos(EVAL_PHOTOS, np.uint8), seed=4321)
    pred_err, zero_err = [], []
    for _ in range(60):
        s = gen.sample()
        pred = aligner.predict_offsets(s.moving, s.reference)
        pred_err.append(np.linalg.norm((pred - s.offsets).reshape(4, 2), axis=1).mean())
        zero_err.append(np.linalg.norm(s.offsets.reshape(4, 2), axis=1).mean())
    assert np.mean(pred_err) < 0.95 * np.mean(zero_err)


def test_offsets_to_matrix_maps_corners():
    offsets = np.arange(8, dtype=np.float32) - 4
    m = offsets_to_matrix(offsets)
    corners = np.array([[0, 0, 1], [127, 0, 1], [127, 127, 1], [0, 127, 1]], float)
    mapped = corners @ m.T
    mapped = mapped[:, :2] / mapped[:, 2:]
    assert np.allclose(mapped - corners[:, :2], offsets.reshape(4, 2), atol=1e-3)


def test_metrics_file_records_fp32_and_int8():
    metrics = json.loads((MODELS_DIR / "aligner.json").read_text())
    validation = metrics["validation"]
    for key in ("fp32", "int8"):
        assert validation[key]["pairs"] >= 100
    drop = metrics["int8_drop"]["corner_px_mean"]
    assert abs(drop - (validation["int8"]["corner_px_mean"] - validation["fp32"]["corner_px_mean"])) < 1e-3


def test_solver_processes_compile_the_aligner_only_when_a_solve_asks_for_a_guess():
    """The solver processes' LazyAligner compiles nothing until called, then gives exactly
    the learned aligner's guess (so solves are the same whenever it is compiled)."""
    from laika_fx.stabilize.workers import LazyAligner

    rng = np.random.default_rng(3)
    moving, reference = (rng.random((135, 240), dtype=np.float32) for _ in range(2))
    lazy = LazyAligner()
    assert lazy._aligner is None
    guess = lazy(moving, reference)
    assert lazy._aligner is not None
    np.testing.assert_array_equal(guess, LearnedCoarseAligner()(moving, reference))


@pytest.mark.parametrize("learned", [True, False])
def test_report_gives_the_aligners_precision(tmp_path, capsys, learned: bool):
    from laika_fx.cli import main

    from .test_robustness import small_shot

    small_shot(tmp_path / "shot", 8, size=(64, 48))
    out = tmp_path / "out"
    extra = [] if learned else ["--set", "stabilize.learned=false"]
    assert main(["batch", str(tmp_path / "shot"), str(out), "--plugins", "stabilize", "-q", "--workers", "1", *extra]) == 0
    expected = "int8" if learned else "n/a"  # the shipped INT8 aligner is used by default (was n/a)
    assert f"precision {expected}" in capsys.readouterr().out
    assert json.loads((out / "laika_fx_report.json").read_text())["precision"] == expected
