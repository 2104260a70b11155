"""Fitting the learned judge of detected lines (:class:`laika_fx.seam_removal.lines.LineScorer`).

The lines a detector (with its face finder) finds on scenes of the *training* sources
are labelled seam when at least half of their pixels lie within the 3-px tolerance of
the true seam, and a class-balanced, L2-regularised logistic regression is fitted to
their :data:`~laika_fx.seam_removal.lines.LINE_FEATURES` (Newton's method: deterministic,
numpy only). Its bar is calibrated afterwards on the validation sources with the
thresholds (``train.py``), never on these scenes.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from laika_fx.seam_removal.lines import (
    LINE_FEATURES,
    LineScorer,
    frame_face_features,
    line_features,
)

from .evaluate import TOLERANCE, _disk, _line_table

#: the scenes the scorer is fitted on: training sources only (the validation sources choose
#: its bar, the foreign ones only report): count, seed, size, painted share (as training)
FIT_SCENES = {"count": 1500, "seed": 31, "hw": (352, 480), "p_seam": 0.7, "p_paint": 0.3}
#: hysteresis (high, low ratio) pairs the lines are found at: around the calibrated thresholds
FIT_THRESHOLDS = ((0.95, 0.95), (0.98, 0.98), (0.995, 0.95))
#: L2 penalty on the standardised weights
L2 = 1.0
FIT_DATA = ("lines the detector and its face finder find on {count} scenes of the training sources (wide world, "
            "seed {seed}, {hw[1]}x{hw[0]}, {p_seam:.0%} seamed, {p_paint:.0%} of heads painted) at hysteresis "
            "(high, low ratio) {thresholds}; a line is a seam when half its pixels lie within 3 px of the true seam; "
            "class-balanced logistic regression, L2 {l2}")


def fit_scenes(root: Path | None = None, **overrides):
    """The :data:`FIT_SCENES` (``overrides`` change any of them), one at a time (1,500 scenes
    held at once took ~6 GB beside the calibration's shots)."""
    from .world import SplitPools, make_world_scene

    cfg = {**FIT_SCENES, **overrides}
    rng = np.random.default_rng(cfg["seed"])
    pools = SplitPools.of("train", root)
    for _ in range(cfg["count"]):
        yield make_world_scene(rng, cfg["hw"], pools, p_seam=cfg["p_seam"], p_paint=cfg["p_paint"])


def line_samples(det, scenes, thresholds=FIT_THRESHOLDS, min_area: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Features ``(n, F)`` and labels ``(n,)`` of the lines ``det`` finds on ``scenes``."""
    rows, labels = [], []
    k = _disk(TOLERANCE)
    for s in scenes:
        rgb = det.working_rgb(s.frame)
        prob = det.seam_probability(rgb)
        if prob.max() <= min(t for t, _ in thresholds):
            continue
        _, face_prob = det.face_finder.mask_and_probability(rgb, cut=det.face_cut)
        truth = s.mask > 0
        if truth.shape != prob.shape:
            truth = cv2.resize(truth.astype(np.uint8), prob.shape[::-1], interpolation=cv2.INTER_NEAREST) > 0
        near = cv2.dilate(truth.astype(np.uint8), k) > 0
        frame = frame_face_features(face_prob)
        for high, ratio in thresholds:  # the lines select_lines would judge (labelled as the calibration does)
            table = _line_table(prob, high, high * ratio, face=None, min_area=min_area, medians=False)
            if table["box"] is None or not table["lines"].any():
                continue
            box, lab, stats = table["box"], table["labels"], table["stats"]
            ids = np.flatnonzero(table["lines"])
            rows.append(line_features(prob[box], face_prob[box], lab, stats, ids, frame=frame,
                                      origin=(box[0].start, box[1].start), frame_shape=prob.shape))  # fmt: skip
            on = np.bincount(lab[near[box]], minlength=len(stats))
            labels.append(on[ids] >= 0.5 * stats[ids, cv2.CC_STAT_AREA])
    if not rows:
        return np.zeros((0, len(LINE_FEATURES))), np.zeros(0, bool)
    return np.concatenate(rows), np.concatenate(labels)


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = L2, iterations: int = 50) -> LineScorer:
    """A class-balanced, L2-regularised logistic regression of ``y`` on ``x`` (Newton's
    method on standardised features) as a :class:`LineScorer` (weights rounded as stored)."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, bool)
    if x.shape[0] != y.shape[0] or not y.any() or y.all():
        raise ValueError("a line scorer needs both seam and non-seam lines")
    mean = x.mean(0)
    scale = x.std(0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    weight = np.where(y, 0.5 / y.mean(), 0.5 / (1 - y.mean()))  # balanced classes
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # no penalty on the intercept
    w = np.zeros(z.shape[1])
    for _ in range(iterations):
        p = 0.5 * (1.0 + np.tanh(0.5 * (z @ w)))
        grad = z.T @ (weight * (p - y)) + penalty * w
        hess = (z * (weight * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    scorer = LineScorer({"features": list(LINE_FEATURES), "mean": mean.tolist(), "scale": scale.tolist(),
                         "coef": w[:-1].tolist(), "intercept": float(w[-1])})  # fmt: skip
    return LineScorer(scorer.to_dict())


def fit_line_scorer(det, scenes) -> tuple[LineScorer, dict]:
    """The scorer fitted on ``det``'s lines of ``scenes`` and what it was fitted on."""
    x, y = line_samples(det, scenes)
    scorer = fit_logistic(x, y)
    return scorer, {"lines": int(len(y)), "seam_lines": int(y.sum())}
