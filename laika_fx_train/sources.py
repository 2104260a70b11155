"""The photographs every model's synthetic data is built from, and the one held-out split.

Every photo ships inside an installed package (scikit-image's bundled images, matplotlib's
sample data) and loads without network access. One record per photo: its name, a loader
of the array as the package gives it, where it comes from, its licence, and its split.

``HELD_OUT`` photos are never used to train any model; evaluation, threshold calibration
and validation of the shipped models use them (and ``sample_frames/``, built from brick,
coffee and chelsea). ``TRAIN`` is every other photo. Both keep the registry's order, which
the synthetic data generators depend on (a scene draws a photo by index).

:func:`load_photo` gives a photo as float32 RGB in [0, 1] (seam scenes) or uint8 RGB
(alignment pairs); the dtype is always explicit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Photo", "PHOTOS", "TRAIN", "HELD_OUT", "load_photo", "load_photos"]

_SKIMAGE_README = "scikit-image package (BSD-3); the image's origin is listed in skimage/data/README.txt"


@dataclass(frozen=True)
class Photo:
    """One photograph of the registry.

    Attributes
    ----------
    name : short name, e.g. ``"coffee"``.
    loader : returns the array as the package gives it (any dtype, gray or colour).
    origin : package and function or file it comes from.
    licence : licence of the image as its package states it.
    split : ``"train"`` or ``"held_out"``.
    """

    name: str
    loader: Callable[[], np.ndarray]
    origin: str
    licence: str
    split: str


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data

        img = getattr(skimage.data, name)()
        return img[0] if isinstance(img, tuple) else img  # stereo_motorcycle: the left view

    return load


def _mpl(filename: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data(filename) as fh:
            data = np.frombuffer(fh.read(), np.uint8)
        return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    return load


def _sk(name: str, licence: str, split: str = "train", origin: str = "") -> Photo:
    return Photo(name, _skimage(name), origin or f"skimage.data.{name}()", licence, split)


_RECORDS = (
    _sk("astronaut", "public domain (NASA)"),
    # the same picture as chelsea, which is held out: the seam models are trained on it (a known leak)
    _sk("cat", _SKIMAGE_README, origin="skimage.data.cat() (the same picture as skimage.data.chelsea())"),
    _sk("hubble_deep_field", "public domain (NASA)"),
    _sk("immunohistochemistry", "CC0 (Ekblom et al.)"),
    _sk("retina", "CC0 (Häggström)"),
    _sk("colorwheel", _SKIMAGE_README),
    _sk("camera", "public domain per scikit-image (MIT cameraman)"),
    _sk("cell", "CC0 (scikit-image)"),
    _sk("clock", "CC0 (scikit-image)"),
    _sk("coins", "public domain (Greek coins, Brooklyn Museum)"),
    _sk("grass", "CC0 (scikit-image)"),
    _sk("gravel", "CC0 (scikit-image)"),
    _sk("moon", "public domain"),
    _sk("page", _SKIMAGE_README),
    _sk("text", _SKIMAGE_README),
    Photo("minduka", _mpl("Minduka_Present_Blue_Pack.png"),
          "matplotlib sample data Minduka_Present_Blue_Pack.png", "matplotlib sample data (matplotlib's licence)", "train"),  # fmt: skip
    _sk("brick", "CC0 (CC0Textures)", "held_out"),
    _sk("coffee", "CC0 (Rachel Michetti)", "held_out"),
    _sk("rocket", "public domain (SpaceX)", "held_out"),
    _sk("stereo_motorcycle", "Middlebury 2014 stereo data set, as bundled by scikit-image", "held_out",
        origin="skimage.data.stereo_motorcycle()[0] (left view)"),  # fmt: skip
    _sk("chelsea", "CC0 (Stefan van der Walt)", "held_out"),
    Photo("grace_hopper", _mpl("grace_hopper.jpg"), "matplotlib sample data grace_hopper.jpg",
          "public domain (US Navy)", "held_out"),  # fmt: skip
)

#: every photograph, by name, in registry order
PHOTOS: dict[str, Photo] = {p.name: p for p in _RECORDS}
#: photos synthetic training data is built from (every model)
TRAIN: tuple[str, ...] = tuple(p.name for p in _RECORDS if p.split == "train")
#: photos no model is trained on: evaluation, calibration and validation only
HELD_OUT: tuple[str, ...] = tuple(p.name for p in _RECORDS if p.split == "held_out")

_float_cache: dict[str, np.ndarray] = {}


def load_photo(name: str, dtype: type[np.floating] | type[np.unsignedinteger]) -> np.ndarray:
    """Photo ``name`` as ``(H, W, 3)`` RGB of ``dtype`` (gray photos are replicated).

    ``np.float32``: values in [0, 1] (uint16 / 65535, other integers / 255, bool as 0 or 1),
    cached: the same array is returned again, do not modify it. ``np.uint8``: a new array,
    float photos scaled by 255 after clipping to [0, 1], other integers cast.
    """
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        if name not in _float_cache:
            img = PHOTOS[name].loader()
            if img.ndim == 2:
                img = np.repeat(img[:, :, None], 3, axis=2)
            img = img[:, :, :3]
            if img.dtype == np.bool_:
                img = img.astype(np.uint8) * 255
            _float_cache[name] = (img.astype(np.float32) / (65535.0 if img.dtype == np.uint16 else 255.0)).clip(0, 1)
        return _float_cache[name]
    if dtype == np.uint8:
        img = np.asarray(PHOTOS[name].loader())
        if img.dtype != np.uint8:
            img = (np.clip(img, 0, 1) * 255).astype(np.uint8) if img.dtype.kind == "f" else img.astype(np.uint8)
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        return np.ascontiguousarray(img[:, :, :3])
    raise ValueError(f"load_photo: dtype must be float32 or uint8, got {dtype}")


def load_photos(names: Iterable[str], dtype: type[np.floating] | type[np.unsignedinteger]) -> dict[str, np.ndarray]:
    """``{name: load_photo(name, dtype)}`` in the order of ``names``."""
    return {name: load_photo(name, dtype) for name in names}
