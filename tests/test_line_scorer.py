"""The learned judge of detected lines: features, the fitted logistic regression, the
runtime's choice of lines with it, and the calibration's shortcut agreeing with the runtime."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from laika_fx.accelerators.runtime import available
from laika_fx.io import read_frame
from laika_fx.seam_removal.detector import SeamDetector, runtime_settings, select_lines
from laika_fx.seam_removal.lines import (
    LINE_FEATURES,
    LineScorer,
    frame_face_features,
    line_features,
)
from laika_fx_train.seam.line_scorer import fit_logistic

needs_gate_models = pytest.mark.skipif(not (available("seam_detector") and available("face_finder")),
                                       reason="shipped detector or face finder missing")  # fmt: skip


def _scorer(coef=None, intercept=0.0) -> LineScorer:
    n = len(LINE_FEATURES)
    return LineScorer({"features": list(LINE_FEATURES), "mean": [0.0] * n, "scale": [1.0] * n,
                       "coef": list(coef if coef is not None else [0.0] * n), "intercept": intercept})  # fmt: skip


def _labelled(shape, boxes):
    labels = np.zeros(shape, np.int32)
    for k, (y0, y1, x0, x1) in enumerate(boxes, start=1):
        labels[y0:y1, x0:x1] = k
    n, lab, stats, _ = cv2.connectedComponentsWithStats((labels > 0).astype(np.uint8), connectivity=8)
    return n, lab, stats


def test_line_features_measure_each_line():
    """Size, shape, edge and face share of two known lines; the window's origin counts."""
    h, w = 60, 90
    n, lab, stats = _labelled((h, w), [(10, 12, 5, 45), (30, 60, 70, 72)])  # a bar, and one touching the bottom
    prob = np.full((h, w), 0.99, np.float32)
    face = np.zeros((h, w), np.float32)
    face[:, :25] = 0.999  # half of the first line on a face
    feats = line_features(prob, face, lab, stats, np.array([1, 2]), frame=frame_face_features(face))
    f = dict(zip(LINE_FEATURES, feats[0], strict=True))
    g = dict(zip(LINE_FEATURES, feats[1], strict=True))
    assert f["log_area"] == pytest.approx(np.log(80)) and g["log_area"] == pytest.approx(np.log(60))
    assert f["on_face_99"] == pytest.approx(0.5) and g["on_face_99"] == 0.0
    assert f["median_logit"] == pytest.approx(np.log(0.99 / 0.01), rel=1e-4)
    assert f["at_edge"] == 0.0 and g["at_edge"] == 1.0
    assert f["log_length"] > g["log_length"]  # 40 px long against 30
    assert f["frame_face_share"] == pytest.approx(25 / 90, rel=1e-3)
    # the same lines in a window of a larger frame: nothing touches that frame's edge
    big = np.zeros((h + 20, w + 20), np.float32)
    big[10 : 10 + h, 10 : 10 + w] = face
    inner = line_features(prob, face, lab, stats, np.array([1, 2]), frame=frame_face_features(big), origin=(10, 10),
                          frame_shape=big.shape)  # fmt: skip
    assert inner[1, LINE_FEATURES.index("at_edge")] == 0.0


def test_scorer_round_trips_and_refuses_other_features():
    s = _scorer(coef=np.linspace(-1, 1, len(LINE_FEATURES)), intercept=0.3)
    again = LineScorer(s.to_dict())
    x = np.random.default_rng(0).normal(size=(5, len(LINE_FEATURES)))
    assert np.allclose(again.scores(x), s.scores(x), atol=1e-6)
    bad = s.to_dict()
    bad["features"] = bad["features"][::-1]
    with pytest.raises(ValueError, match="features"):
        LineScorer(bad)


def test_logistic_fit_separates_and_is_deterministic():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, len(LINE_FEATURES)))
    y = x[:, 0] - 0.5 * x[:, 8] + 0.3 * rng.normal(size=400) > 0.8  # unbalanced classes
    a, b = fit_logistic(x, y), fit_logistic(x, y)
    assert a.to_dict() == b.to_dict()
    score = a.scores(x)
    assert ((score > 0.5) == y).mean() > 0.9
    assert a.coef[0] > 0 > a.coef[8]
    with pytest.raises(ValueError, match="both"):
        fit_logistic(x, np.zeros(400, bool))


def test_select_lines_with_a_scorer_follows_the_score_and_the_motion_bar():
    """``auto`` with a scorer keeps what scores at the bar, on a face or not; a line on a face
    or on what moved still passes by the motion prior's bar when there is a moving grid;
    ``face`` and ``off`` ignore the scorer."""
    h, w = 60, 90
    prob = np.zeros((h, w), np.float32)
    prob[10:12, 5:45] = 0.99  # on the face
    prob[40:42, 50:88] = 0.97  # off it
    face_prob = np.zeros((h, w), np.float32)
    face_prob[:30, :50] = 0.999
    face = face_prob > 0.99
    coef = np.zeros(len(LINE_FEATURES))
    coef[LINE_FEATURES.index("median_logit")] = 1.0
    scorer = _scorer(coef, intercept=-4.0)  # sigmoid(logit(p) - 4): 0.99 -> 0.64, 0.97 -> 0.37
    kw = dict(min_area=3, face=face, face_prob=face_prob, scorer=scorer)
    kept, left, counts = select_lines(prob, 0.9, 0.5, gate="auto", line_bar=0.5, **kw)
    assert kept[10, 20] and not kept[40, 60] and left[40, 60] and counts["rejected_by_gate"] == 1
    kept, _, _ = select_lines(prob, 0.9, 0.5, gate="auto", line_bar=0.7, **kw)
    assert not kept.any()  # on a face, yet under the bar: the score decides
    moving = np.zeros((h, w), bool)
    moving[35:50, 45:90] = True
    for mc, expect in ((0.95, (True, True)), (0.98, (True, False)), (0.995, (False, False))):
        kept, _, _ = select_lines(prob, 0.9, 0.5, gate="auto", line_bar=0.7, moving=moving, moving_confident=mc, **kw)
        assert (kept[10, 20], kept[40, 60]) == expect, mc
    for gate, expect in (("face", (True, False)), ("off", (True, True))):
        kept, _, _ = select_lines(prob, 0.9, 0.5, gate=gate, line_bar=0.99, **kw)
        assert (kept[10, 20], kept[40, 60]) == expect, gate


def test_calibration_table_with_a_scorer_picks_what_select_lines_keeps():
    from laika_fx_train.seam.evaluate import _line_table, _pick_lines

    rng = np.random.default_rng(7)
    coef = rng.normal(size=len(LINE_FEATURES))
    scorer = LineScorer({"features": list(LINE_FEATURES), "mean": [0.0] * len(LINE_FEATURES),
                         "scale": [3.0] * len(LINE_FEATURES), "coef": coef.tolist(), "intercept": 0.1})  # fmt: skip
    for k in range(8):
        prob = cv2.GaussianBlur(rng.random((60, 90)).astype(np.float32), (0, 0), 1.5)
        prob = np.clip((prob - prob.min()) / np.ptp(prob), 0, 1).astype(np.float32)
        face_prob = cv2.GaussianBlur(rng.random((60, 90)).astype(np.float32), (0, 0), 6)
        face_prob = np.clip((face_prob - face_prob.min()) / np.ptp(face_prob), 0, 1).astype(np.float32)
        face = face_prob > 0.7
        moving = np.zeros(prob.shape, bool)
        moving[30:58, 5 + 2 * k : 45 + 2 * k] = True
        for m in (None, moving):
            table = _line_table(prob, 0.8, 0.5, face=face, min_area=3, medians=True, moving=m, face_prob=face_prob,
                                scorer=scorer)  # fmt: skip
            for bar in (0.2, 0.5, 0.8):
                for mc in (0.0, 0.85):
                    kept, _, _ = select_lines(prob, 0.8, 0.5, min_area=3, gate="auto", face=face, moving=m,
                                              moving_confident=mc, face_prob=face_prob, scorer=scorer, line_bar=bar)
                    assert np.array_equal(_pick_lines(table, "auto", bar, mc), kept), (k, bar, mc, m is None)


@needs_gate_models
def test_detector_reads_a_scorer_from_its_settings(sample_dir: Path):
    """A detector whose runtime settings hold a scorer judges lines by it: one that scores
    every line 1 keeps what the gate-off detector finds; one that scores 0 keeps nothing
    and says how many lines it left alone."""
    frame = read_frame(sorted(sample_dir.glob("frame.*.png"))[0])
    settings = {**runtime_settings("seam_detector", "int8"), "face_gate": True}
    off = SeamDetector(precision="int8", gate="off").detect_lines(frame)
    for intercept, same in ((50.0, True), (-50.0, False)):
        det = SeamDetector(precision="int8", settings={**settings, "line_scorer": _scorer(intercept=intercept).to_dict(),
                                                       "line_bar": 0.5})  # fmt: skip
        assert det.scorer is not None and det.face_finder is not None
        lines = det.detect_lines(frame)
        if same:
            assert np.array_equal(lines.mask, off.mask) and lines.mask.any()
        else:
            assert not lines.mask.any() and lines.rejected_by_gate >= 1
    # the shipped settings have no scorer unless calibrated with one: then `auto` is the old rule
    if not settings.get("line_scorer"):
        assert SeamDetector(precision="int8").scorer is None


def test_line_scorer_option_goes_with_calibrate_only(capsys):
    from laika_fx.cli import main

    assert main(["train", "seam-detector", "--line-scorer"]) == 2
    assert "go with --calibrate-only" in capsys.readouterr().err
