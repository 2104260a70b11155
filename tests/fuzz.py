"""A seeded mutator of frame files, for the fuzz suite (tests/test_fuzz.py).

``mutate(path, kind, rng)`` damages one frame file in place (or replaces it by something
that is not a frame at all) the way real shots get damaged: bit flips, truncation,
edited headers, declared sizes far beyond any real frame, the bytes of another format
under the frame's extension, zero bytes, frames of another size, channel count or bit
depth, unreadable files, symlink loops and FIFOs. Every choice comes from ``rng``, so a
seed reproduces a case exactly.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

from laika_fx.io import encode_frame, write_frame

#: every kind of damage; ``kinds_for(ext)`` drops those that do not apply to a format
KINDS = (
    "bitflip", "truncate", "header", "huge", "wrong_ext", "zero", "size", "channels",
    "depth", "unreadable", "symlink_loop", "dangling", "fifo",
)  # fmt: skip

FORMATS = {  # extension: (dtype, channels) of the clean shot
    ".png": (np.uint16, 3),
    ".jpg": (np.uint8, 3),
    ".tif": (np.uint8, 4),
    ".exr": (np.float32, 3),
}


def clean_frame(rng: np.random.Generator, shape: tuple, dtype) -> np.ndarray:
    """A smooth random frame (compresses like a photograph, decodes to itself)."""
    h, w = shape[:2]
    small = rng.random((max(2, h // 8), max(2, w // 8), *shape[2:]), dtype=np.float32)
    import cv2

    frame = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    if dtype == np.float32:
        return frame.astype(np.float32)
    return (frame * np.iinfo(dtype).max).astype(dtype)


def _png_size(data: bytearray, width: int, height: int) -> None:
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))


def _tiff_entries(data: bytes):
    """``(offset of entry, tag, type, count)`` of each entry of a little-endian TIFF's first IFD."""
    if data[:2] != b"II":
        return
    (ifd,) = struct.unpack_from("<I", data, 4)
    (n,) = struct.unpack_from("<H", data, ifd)
    for i in range(n):
        at = ifd + 2 + 12 * i
        tag, typ, count = struct.unpack_from("<HHI", data, at)
        yield at, tag, typ, count


def _huge(data: bytearray, ext: str, rng: np.random.Generator) -> bool:
    """Declare a size far beyond any real frame in the header; False if not found."""
    # 20000: above the default pixel limit (16384 x 16384) but below OpenCV's own
    big = int(rng.choice([20000, 65535, 60000, 2**31 - 1 if ext in (".tif", ".exr") else 65000]))
    if ext == ".png":
        _png_size(data, big, big)
        return True
    if ext == ".jpg":
        for marker in (b"\xff\xc0", b"\xff\xc2"):
            at = data.find(marker)
            if at >= 0:
                data[at + 5 : at + 9] = struct.pack(">HH", min(big, 65535), min(big, 65535))
                return True
        return False
    if ext == ".tif":
        found = False
        for at, tag, _typ, _count in _tiff_entries(bytes(data)):
            if tag in (256, 257):
                data[at + 2 : at + 12] = struct.pack("<HII", 4, 1, big)  # LONG
                found = True
            if tag in (273, 279) and rng.random() < 0.5:  # a strip table "count" of millions
                data[at + 4 : at + 8] = struct.pack("<I", int(rng.integers(2**20, 2**28)))
        return found
    if ext == ".exr":
        at = data.find(b"dataWindow\0box2i\0")
        if at < 0:
            return False
        at += len(b"dataWindow\0box2i\0") + 4
        data[at + 8 : at + 16] = struct.pack("<ii", big - 1, big - 1)
        return True
    return False


def mutate(path: Path, kind: str, rng: np.random.Generator, *, shape: tuple, dtype) -> str:
    """Damage frame file ``path`` in place with ``kind``; return a short description."""
    ext = path.suffix.lower()
    if kind in ("unreadable", "symlink_loop", "dangling", "fifo"):
        path.unlink()
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "symlink_loop":
            os.symlink(path.name, path)
        elif kind == "dangling":
            os.symlink(f"{path.name}.missing", path)
        else:  # a folder under the frame's name where root could still read a 0o000 file
            if os.geteuid() == 0:
                path.mkdir()
            else:
                path.write_bytes(b"x" * 100)
                path.chmod(0)
        return kind
    if kind in ("size", "channels", "depth"):
        h, w = shape[:2]
        ch = shape[2] if len(shape) == 3 else 1
        if kind == "size":
            new_shape, new_dtype = (h + int(rng.integers(1, 9)), w - int(rng.integers(1, 9)), *shape[2:]), dtype
        elif kind == "channels":
            other = {1: 3, 3: 4, 4: 3}[ch] if ext != ".jpg" else 1
            new_shape, new_dtype = ((h, w) if other == 1 else (h, w, other)), dtype
        else:
            new_shape = shape
            new_dtype = {np.dtype(np.uint8): np.uint16, np.dtype(np.uint16): np.uint8,
                         np.dtype(np.float32): np.float32}[np.dtype(dtype)]  # fmt: skip
            if ext in (".jpg", ".exr"):  # one bit depth only: a different size instead
                new_shape, new_dtype = (h // 2, w // 2, *shape[2:]), dtype
        path.unlink()
        write_frame(path, clean_frame(rng, new_shape, new_dtype))
        return f"{kind} {new_shape} {np.dtype(new_dtype)}"
    data = bytearray(path.read_bytes())
    if kind == "bitflip":
        for _ in range(int(rng.integers(1, 24))):
            i = int(rng.integers(0, len(data)))
            data[i] ^= 1 << int(rng.integers(0, 8))
    elif kind == "truncate":
        data = data[: int(rng.integers(0, len(data)))]
    elif kind == "header":
        for _ in range(int(rng.integers(1, 6))):
            data[int(rng.integers(0, min(64, len(data))))] = int(rng.integers(0, 256))
    elif kind == "huge":
        if not _huge(data, ext, rng):
            data = data[: len(data) // 2]
    elif kind == "wrong_ext":
        other = {".png": ".jpg", ".jpg": ".png", ".tif": ".png", ".exr": ".tif"}[ext]
        frame = clean_frame(rng, shape[:2] + (3,), np.uint8)
        data = bytearray(encode_frame(frame, other))
    elif kind == "zero":
        data = bytearray()
    else:
        raise ValueError(kind)
    path.write_bytes(bytes(data))
    return kind
