"""Synthetic training and evaluation data for camera alignment, from bundled photographs.

Every sample is a pair of views of one real photograph related by a known transform
(a camera bump: translation, rotation, zoom and a little perspective), with
independently moving pasted foreground objects (cut from *other* photographs, like a
puppet moving between stills) and lighting changes (gain, offset, gradient, noise).

Photographs come from the one registry, :mod:`laika_fx_train.sources` (uint8 RGB):
training pairs from its ``TRAIN`` photos, evaluation from :data:`EVAL_PHOTOS`, held-out ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from laika_fx.stabilize.coarse import OFFSET_SCALE, PAIR_SIZE, normalise_pair

__all__ = ["EVAL_PHOTOS", "PairSample", "PairGenerator"]

#: held-out photos the stabilisation evaluation builds its shots from and the aligner is
#: validated on, in that order (``laika-fx eval stabilize`` makes one shot per photo).
#: brick and chelsea, held out too, are left out: the shipped aligner was trained on them.
EVAL_PHOTOS: tuple[str, ...] = ("rocket", "coffee", "stereo_motorcycle", "grace_hopper")


@dataclass
class PairSample:
    """One synthetic pair.

    Attributes
    ----------
    moving, reference : (PAIR_SIZE, PAIR_SIZE) float32 grayscale in [0, 1].
    matrix : (3, 3) moving -> reference in PAIR_SIZE pixel coordinates.
    offsets : (8,) float32, displacement of the moving view's corners under ``matrix``
        (x0, y0, x1, y1, ...; corners clockwise from top-left), pixels at PAIR_SIZE.
    """

    moving: np.ndarray
    reference: np.ndarray
    matrix: np.ndarray
    offsets: np.ndarray


_CORNERS = np.array([[0, 0], [PAIR_SIZE - 1, 0], [PAIR_SIZE - 1, PAIR_SIZE - 1], [0, PAIR_SIZE - 1]], np.float64)


def _gray_small(photo: np.ndarray, longest: int) -> np.ndarray:
    h, w = photo.shape[:2]
    s = longest / max(h, w)
    small = cv2.resize(photo, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0


class PairGenerator:
    """Endless synthetic pairs from a set of photographs (deterministic for a seed).

    Parameters
    ----------
    photos : name -> (H, W, 3) uint8 photo.
    seed : random seed.
    max_shift : largest bump translation as a fraction of the frame size (each axis).
    foreground_probability : chance a pair has moving foreground objects.
    """

    def __init__(
        self,
        photos: dict[str, np.ndarray],
        *,
        seed: int = 0,
        max_shift: float = 0.12,
        foreground_probability: float = 0.85,
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.photos = [_gray_small(p, 360) for p in photos.values()]
        self.max_shift = max_shift
        self.foreground_probability = foreground_probability

    def _camera(self, aspect: float) -> np.ndarray:
        """Random bump, moving -> reference, in PAIR_SIZE pixel coordinates."""
        rng = self.rng
        small = rng.random() < 0.3
        shift = self.max_shift * (0.15 if small else 1.0)
        tx, ty = rng.uniform(-shift, shift, 2)
        angle = np.deg2rad(rng.uniform(-3, 3) * (0.3 if small else 1.0))
        scale = np.exp(rng.uniform(-0.05, 0.05) * (0.3 if small else 1.0))
        # similarity in a frame of real proportions (width aspect, height 1), centred
        c, s = np.cos(angle) * scale, np.sin(angle) * scale
        sim = np.array([[c, -s, tx * aspect], [s, c, ty], [0, 0, 1.0]])
        n = PAIR_SIZE - 1
        to_real = np.array([[aspect / n, 0, -aspect / 2], [0, 1 / n, -0.5], [0, 0, 1.0]])
        m = np.linalg.inv(to_real) @ sim @ to_real
        # a little perspective: jitter the corner targets
        dst = _apply(m, _CORNERS) + rng.normal(0, 0.6, (4, 2))
        return cv2.getPerspectiveTransform(_CORNERS.astype(np.float32), dst.astype(np.float32)).astype(np.float64)

    def _view(self, photo: np.ndarray, frame_to_photo: np.ndarray) -> np.ndarray:
        return cv2.warpPerspective(
            photo, frame_to_photo, (PAIR_SIZE, PAIR_SIZE),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT,
        )  # fmt: skip

    def _foreground(self, view: np.ndarray, blobs: list) -> np.ndarray:
        out = view.copy()
        for texture, mask in blobs:
            m = mask > 0.5
            out[m] = texture[m]
        return out

    def _blobs(self, exclude: int) -> tuple[list, list]:
        """Foreground objects as (texture, mask) in both views, moving independently."""
        rng = self.rng
        area_goal = rng.uniform(0.05, 0.35)
        ref_blobs, mov_blobs = [], []
        n_obj = int(rng.integers(1, 3))
        for _ in range(n_obj):
            idx = int(rng.integers(len(self.photos)))
            if idx == exclude:
                idx = (idx + 1) % len(self.photos)
            src = self.photos[idx]
            radius = PAIR_SIZE * np.sqrt(area_goal / n_obj / np.pi)
            rx = radius * rng.uniform(0.6, 1.4)
            ry = radius**2 / rx
            centre = rng.uniform(0.2, 0.8, 2) * PAIR_SIZE
            tex_origin = rng.uniform(0, 1, 2) * (np.array(src.shape[::-1]) - PAIR_SIZE - 1)
            tex_origin = np.maximum(tex_origin, 0)
            gain = rng.uniform(0.6, 1.4)
            for blobs, move in ((ref_blobs, 0.0), (mov_blobs, 1.0)):
                c = centre + move * rng.normal(0, 10, 2)
                ang = rng.uniform(0, 180)
                mask = np.zeros((PAIR_SIZE, PAIR_SIZE), np.float32)
                cv2.ellipse(mask, (int(c[0]), int(c[1])), (int(rx), int(ry)), ang, 0, 360, 1.0, -1)
                m = np.array([[1, 0, tex_origin[0] - c[0] + PAIR_SIZE / 2], [0, 1, tex_origin[1] - c[1] + PAIR_SIZE / 2]])
                texture = cv2.warpAffine(
                    src, m, (PAIR_SIZE, PAIR_SIZE), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                    borderMode=cv2.BORDER_REFLECT,
                ) * gain  # fmt: skip
                blobs.append((np.clip(texture, 0, 1), mask))
        return ref_blobs, mov_blobs

    def _light(self, view: np.ndarray) -> np.ndarray:
        rng = self.rng
        gain = rng.uniform(0.92, 1.08)
        offset = rng.uniform(-0.04, 0.04)
        gx, gy = rng.uniform(-0.05, 0.05, 2)
        yy, xx = np.mgrid[0:PAIR_SIZE, 0:PAIR_SIZE].astype(np.float32) / PAIR_SIZE - 0.5
        out = view * (gain + gx * xx + gy * yy) + offset
        out = out + rng.normal(0, rng.uniform(0.002, 0.015), view.shape).astype(np.float32)
        return np.clip(out, 0, 1).astype(np.float32)

    def sample(self) -> PairSample:
        """One pair (see :class:`PairSample`)."""
        rng = self.rng
        idx = int(rng.integers(len(self.photos)))
        photo = self.photos[idx]
        ph, pw = photo.shape
        aspect = rng.uniform(1.3, 1.9)
        cw = rng.uniform(0.45, 0.8) * pw
        ch = min(cw / aspect, 0.8 * ph)
        cw = ch * aspect
        x0 = rng.uniform(0.1 * pw, pw - cw - 0.1 * pw) if pw - cw > 0.2 * pw else (pw - cw) / 2
        y0 = rng.uniform(0.1 * ph, ph - ch - 0.1 * ph) if ph - ch > 0.2 * ph else (ph - ch) / 2
        n = PAIR_SIZE - 1
        ref_to_photo = np.array([[cw / n, 0, x0], [0, ch / n, y0], [0, 0, 1.0]])
        matrix = self._camera(aspect)
        reference = self._view(photo, ref_to_photo)
        moving = self._view(photo, ref_to_photo @ matrix)
        if rng.random() < self.foreground_probability:
            ref_blobs, mov_blobs = self._blobs(idx)
            reference = self._foreground(reference, ref_blobs)
            moving = self._foreground(moving, mov_blobs)
        reference = self._light(reference)
        moving = self._light(moving)
        offsets = (_apply(matrix, _CORNERS) - _CORNERS).astype(np.float32).ravel()
        return PairSample(moving, reference, matrix, offsets)

    def batch(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(size, 2, P, P) float32 network inputs and (size, 8) float32 scaled targets."""
        xs = np.empty((size, 2, PAIR_SIZE, PAIR_SIZE), np.float32)
        ys = np.empty((size, 8), np.float32)
        for i in range(size):
            s = self.sample()
            xs[i] = normalise_pair(s.moving, s.reference)
            ys[i] = s.offsets / OFFSET_SCALE
        return xs, ys


def _apply(matrix: np.ndarray, pts: np.ndarray) -> np.ndarray:
    hom = pts @ matrix[:2, :2].T + matrix[:2, 2]
    den = pts @ matrix[2, :2] + matrix[2, 2]
    return hom / den[:, None]
