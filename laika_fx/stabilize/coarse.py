"""Run-time learned coarse aligner: OpenVINO (INT8 by default), no torch.

Turns the network's 4-corner offsets into a homography between two grayscale proxies.
The compiled model is cached for the whole process (see
:func:`laika_fx.accelerators.runtime.compile_model`); the precision hint is explicit.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..accelerators.runtime import compile_model, model_path

__all__ = [
    "MODEL_NAME", "PAIR_SIZE", "OFFSET_SCALE", "LearnedCoarseAligner", "installed_aligner", "normalise_pair",
    "offsets_to_matrix",
]  # fmt: skip

MODEL_NAME = "aligner"
#: side of the square grayscale pair the coarse aligner sees
PAIR_SIZE = 128
#: corner offsets (pixels at PAIR_SIZE) are divided by this for the network target
OFFSET_SCALE = 16.0
_CORNERS = np.array([[0, 0], [PAIR_SIZE - 1, 0], [PAIR_SIZE - 1, PAIR_SIZE - 1], [0, PAIR_SIZE - 1]], np.float32)


def normalise_pair(moving: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Network input: (2, PAIR_SIZE, PAIR_SIZE) float32, each view zero-mean unit-std.

    Parameters
    ----------
    moving, reference : (h, w) float32 grayscale images of any size (resized here).
    """
    out = np.empty((2, PAIR_SIZE, PAIR_SIZE), np.float32)
    for i, img in enumerate((moving, reference)):
        if img.shape != (PAIR_SIZE, PAIR_SIZE):
            img = cv2.resize(img, (PAIR_SIZE, PAIR_SIZE), interpolation=cv2.INTER_AREA)
        img = img.astype(np.float32)
        out[i] = (img - img.mean()) / (img.std() + 1e-6)
    return out


def offsets_to_matrix(offsets: np.ndarray) -> np.ndarray:
    """(3, 3) moving -> reference homography at PAIR_SIZE from (8,) corner offsets in pixels."""
    dst = _CORNERS + np.asarray(offsets, np.float32).reshape(4, 2)
    return cv2.getPerspectiveTransform(_CORNERS, dst).astype(np.float64)


def installed_aligner(precision: str = "int8") -> str | None:
    """Name of the shipped aligner model of ``precision`` if its files exist (not loaded), else None."""
    path = model_path(MODEL_NAME, precision)
    return f"{MODEL_NAME}_{precision}" if path.exists() and path.with_suffix(".bin").exists() else None


class LearnedCoarseAligner:
    """Callable ``(moving, reference) -> (3, 3)`` on grayscale proxies of any size.

    Parameters
    ----------
    precision : ``int8`` (shipped quantized IR, default) or ``fp32``.
    threads : OpenVINO inference threads per call (1 suits the per-frame thread pool).

    Raises
    ------
    FileNotFoundError
        If the model files are not installed.
    """

    def __init__(self, *, precision: str = "int8", threads: int | None = 1) -> None:
        path = model_path(MODEL_NAME, precision)
        if installed_aligner(precision) is None:
            raise FileNotFoundError(f"{path} not found (train it with `laika-fx train aligner`)")
        self.name = f"{MODEL_NAME}_{precision}"
        self.net = compile_model(path, precision="f32", shape=[(1, 2, PAIR_SIZE, PAIR_SIZE)], threads=threads)

    def predict_offsets(self, moving: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """(8,) corner offsets in pixels at PAIR_SIZE for two (h, w) float32 proxies."""
        pair = normalise_pair(moving, reference)[None]
        return self.net(pair)[0][0] * OFFSET_SCALE

    def __call__(self, moving: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """(3, 3) moving -> reference in the proxies' pixel coordinates."""
        h, w = moving.shape[:2]
        m128 = offsets_to_matrix(self.predict_offsets(moving, reference))
        sx, sy = PAIR_SIZE / w, PAIR_SIZE / h
        s = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])
        out = np.linalg.inv(s) @ m128 @ s
        return out / out[2, 2]
