"""A learned judge of detected lines: is this line a seam? (numpy only; no torch).

The detector's hysteresis finds lines; which to paint out was a hand-made rule (on a
face the face finder sees, or a median probability above ``confident``). A
:class:`LineScorer` weighs what is known of each line instead: the detector's
probabilities along it, how much of it lies on (or near) what the face finder calls
face, its size and shape, whether it touches the frame's edge, and how much face the
whole frame holds. It is a logistic regression over :data:`LINE_FEATURES`, fitted on
lines the shipped detector finds on scenes of the *training* sources
(``laika-fx train seam-detector --calibrate-only --line-scorer``); its bar, like the
thresholds, is calibrated on the validation sources. The weights live in the detector's
JSON (``runtime.<precision>.line_scorer``), so a scorer always goes with the detector
and face finder it was fitted on.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["LINE_FEATURES", "LineScorer", "line_features", "frame_face_features"]

#: what the scorer knows of a line, in the order of its weights (probabilities as logits)
LINE_FEATURES = (
    "median_logit",  # the detector's median logit along the line
    "max_logit",
    "mean_logit",
    "p25_logit",  # its 25th percentile
    "face_logit",  # the face finder's mean logit along the line
    "on_face_99",  # share of the line where the face probability exceeds 0.99
    "on_face_50",  # ... exceeds 0.5
    "near_face",  # mean face probability within 7 px (the face's edge holds seams too)
    "log_area",  # pixels of the line (working scale)
    "log_length",  # 4 x the standard deviation along its main axis
    "width",  # area / length
    "bend",  # standard deviation across the main axis (curvature and width)
    "bend_rel",  # ... over the length
    "at_edge",  # 1 when the line touches the frame's edge
    "frame_face_max",  # the frame's highest face probability
    "frame_face_share",  # share of the frame where the face probability exceeds 0.99
)
_NEAR = np.ones((15, 15), np.uint8)


def _logit(p: np.ndarray, eps: float) -> np.ndarray:
    p = np.clip(p.astype(np.float64), eps, 1.0 - eps)
    return np.log(p / (1.0 - p))


def frame_face_features(face_prob: np.ndarray) -> tuple[np.ndarray, float, float]:
    """What :func:`line_features` needs of the frame's face probability once: the face
    probability's 15-px maximum filter, its maximum and the share above 0.99."""
    return cv2.dilate(face_prob, _NEAR), float(face_prob.max()), float((face_prob > 0.99).mean())


def line_features(prob: np.ndarray, face_prob: np.ndarray, labels: np.ndarray, stats: np.ndarray, ids: np.ndarray,
                  *, frame: tuple, origin: tuple[int, int] = (0, 0),
                  frame_shape: tuple[int, int] | None = None, frame_origin: tuple[int, int] = (0, 0)) -> np.ndarray:  # fmt: skip
    """The :data:`LINE_FEATURES` of lines ``ids`` of a labelling, ``(len(ids), F)`` float64.

    ``prob``, ``face_prob`` and ``labels`` cover the same window (``stats`` from
    :func:`cv2.connectedComponentsWithStats` of it), ``origin`` its top-left corner in the
    frame of shape ``frame_shape`` (default the window's); ``frame``: the
    :func:`frame_face_features` of the whole frame's face probability. ``frame_origin``:
    where the maps the origin is counted in (and ``frame``'s near map) lie in the frame, when
    they are a crop of it (the edge test is the frame's).
    """
    near_all, face_max, face_share = frame
    oy, ox = origin
    fh, fw = frame_shape if frame_shape is not None else prob.shape
    out = np.zeros((len(ids), len(LINE_FEATURES)), np.float64)
    for row, i in enumerate(ids):
        x0, y0, bw, bh, area = (int(v) for v in stats[i, :5])
        win = np.s_[y0 : y0 + bh, x0 : x0 + bw]
        ys, xs = np.nonzero(labels[win] == i)
        p = prob[win][ys, xs]
        f = face_prob[win][ys, xs]
        lg = _logit(p, 1e-6)
        if len(xs) > 2:
            ev = np.sort(np.linalg.eigvalsh(np.cov(np.stack([xs, ys]).astype(np.float64))))[::-1]
        else:
            ev = np.array([1.0, 1.0])
        length = 4.0 * np.sqrt(max(ev[0], 1e-6))
        bend = np.sqrt(max(ev[1], 0.0))
        ex, ey = x0 + ox + frame_origin[1], y0 + oy + frame_origin[0]
        edge = ex == 0 or ey == 0 or ex + bw == fw or ey + bh == fh
        near = near_all[oy + y0 + ys, ox + x0 + xs]
        out[row] = (np.median(lg), lg.max(), lg.mean(), np.percentile(lg, 25), _logit(f, 1e-4).mean(),
                    (f > 0.99).mean(), (f > 0.5).mean(), near.mean(), np.log(area), np.log(length), area / length,
                    bend, bend / length, float(edge), face_max, face_share)  # fmt: skip
    return out


class LineScorer:
    """A logistic regression over standardised :data:`LINE_FEATURES`: the probability that a
    detected line is a seam. ``settings``: the JSON form (:meth:`to_dict`)."""

    def __init__(self, settings: dict) -> None:
        names = tuple(settings["features"])
        if names != LINE_FEATURES:
            raise ValueError(f"line scorer fitted on features {names}, this runtime computes {LINE_FEATURES}")
        self.mean = np.asarray(settings["mean"], np.float64)
        self.scale = np.asarray(settings["scale"], np.float64)
        self.coef = np.asarray(settings["coef"], np.float64)
        self.intercept = float(settings["intercept"])
        if not (self.mean.shape == self.scale.shape == self.coef.shape == (len(LINE_FEATURES),)):
            raise ValueError("line scorer weights do not match its features")

    def scores(self, features: np.ndarray) -> np.ndarray:
        """Seam probability of each row of ``features``."""
        z = ((np.asarray(features, np.float64) - self.mean) / self.scale) @ self.coef + self.intercept
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    def to_dict(self) -> dict:
        return {"features": list(LINE_FEATURES), "mean": [round(float(v), 6) for v in self.mean],
                "scale": [round(float(v), 6) for v in self.scale], "coef": [round(float(v), 6) for v in self.coef],
                "intercept": round(self.intercept, 6)}  # fmt: skip
