"""Read and write single frames, keeping dtype and channels; atomic writes.

Frames are ``(H, W)`` (gray), ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA) arrays of
``uint8``, ``uint16`` or ``float32``. Channel order is RGB(A) everywhere in laika_fx;
the conversion from/to OpenCV's BGR(A) happens only here. Alpha is passed through
untouched by every plugin.

PNG, TIFF and JPEG go through OpenCV (uncompressed TIFF in its plainest layout is read
straight from its pixel bytes: same array, a fifth of the time). EXR goes through the ASWF ``OpenEXR`` bindings:
the OpenCV 5 wheels are built without OpenEXR (``getBuildInformation()`` says
``OpenEXR: NO``), so setting ``OPENCV_IO_ENABLE_OPENEXR`` would not help. EXR frames
are read as float32 (half channels are widened) and written as 32-bit float, ZIP, or as
half floats where the shot was stored as half (``exr_half``).

Writes are atomic and durable: a frame is encoded into a temporary file beside its
destination (:func:`write_temp`), synced, and only then renamed to its final name,
followed by a sync of the folder (:func:`commit`). A final name therefore never holds a
partial file, after a cancel, a crash or a power cut. :func:`write_frame` does both
steps at once; the batch splits them so that the sync runs on a background thread.
"""

from __future__ import annotations

import contextlib
import os
import stat
import struct
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

__all__ = [
    "FrameReadError",
    "FrameInfo",
    "MAX_PIXELS",
    "probe_frame",
    "check_regular_file",
    "check_frame_size",
    "pixel_limit",
    "parse_pixel_limit",
    "PNG_COMPRESSIONS",
    "OUTPUT_FORMATS",
    "output_conversion",
    "convert_for_output",
    "SUPPORTED_EXTENSIONS",
    "read_frame",
    "write_frame",
    "atomic_write",
    "atomic_write_bytes",
    "write_temp",
    "write_frame_temp",
    "commit",
    "sync_folders",
    "encode_frame",
    "tiff_compression",
    "to_bgr",
    "from_bgr",
]

# Decoder warnings ("IHDR chunk shall be first") would interleave with the progress bar;
# every failure is reported by laika_fx itself, naming the frame.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)

SUPPORTED_EXTENSIONS = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".exr")


class FrameReadError(Exception):
    """A frame file could not be decoded (missing, empty, corrupt, unsupported)."""


def from_bgr(image: np.ndarray) -> np.ndarray:
    """OpenCV channel order (BGR/BGRA) to RGB/RGBA; gray is returned as is."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    raise ValueError(f"unsupported channel count {image.shape[2]}")


def to_bgr(frame: np.ndarray) -> np.ndarray:
    """RGB/RGBA to OpenCV channel order; gray is returned as is."""
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 3:
        return cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_RGBA2BGRA)
    raise ValueError(f"unsupported channel count {frame.shape[2]}")


def read_frame(path: str | os.PathLike, *, max_pixels: int | None = None) -> np.ndarray:
    """Read one frame as stored: dtype, bit depth and channel count kept.

    The header is probed first (:func:`probe_frame`): a damaged header or a frame above
    the pixel limit is refused before any pixel buffer is allocated.

    Parameters
    ----------
    path : path of a PNG, TIFF, JPEG or EXR file (the format is taken from its first bytes).
    max_pixels : refuse frames with more pixels than this; None: :data:`MAX_PIXELS`.

    Returns
    -------
    frame : (H, W) or (H, W, C) ndarray, RGB(A) order, uint8/uint16/float32.

    Raises
    ------
    FrameReadError
        If the file is missing, empty, too large or cannot be decoded.
    """
    p = Path(path)
    info = probe_frame(p)
    check_frame_size(info, p.name, max_pixels)
    if info.format == "exr":
        image = _read_exr(p)
    else:
        image = None
        if info.format == "tiff":
            image = _read_plain_tiff(p)
        if image is None:
            image = _read_opencv(p, rgb=info.format == "png" and info.channels == 3)
    if image.shape[:2] != (info.height, info.width):
        raise FrameReadError(
            f"{p.name} could not be decoded (header says {info.width}x{info.height}, "
            f"the image data {image.shape[1]}x{image.shape[0]})"
        )
    return image


#: how an RGB PNG (8- or 16-bit, no alpha) is decoded: libpng hands OpenCV its rows in RGB
#: order, as IMREAD_UNCHANGED gives them in BGR (the same samples, without the swap pass
#: after decoding: ~1 ms of a ~30 ms 1080p decode); no EXIF rotation, as IMREAD_UNCHANGED
#: (OpenCV >= 4.10; older ones decode to BGR and swap)
_PNG_RGB_FLAGS_OK = hasattr(cv2, "IMREAD_COLOR_RGB")
_PNG_RGB_FLAGS = (getattr(cv2, "IMREAD_COLOR_RGB", 0) | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_IGNORE_ORIENTATION)


def _read_opencv(p: Path, *, rgb: bool = False) -> np.ndarray:
    """Decode ``p`` with OpenCV. ``rgb``: its header says it is an RGB PNG (3 channels as
    decoded: colour type 2, or a palette, without tRNS), decoded straight to RGB order."""
    # np.fromfile + imdecode handles non-ASCII paths and never touches the file.
    data = np.fromfile(str(p), dtype=np.uint8)
    if _png_ends_early(data):  # refused here: libpng would print its own error on stderr
        raise FrameReadError(f"{p.name} could not be decoded (truncated: the file ends before the PNG's last chunk)")
    if rgb and _PNG_RGB_FLAGS_OK:
        image = cv2.imdecode(data, _PNG_RGB_FLAGS)
        if image is None:
            raise FrameReadError(f"{p.name} could not be decoded (corrupt or unsupported format)")
        return image
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise FrameReadError(f"{p.name} could not be decoded (corrupt or unsupported format)")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.dtype == np.float64:
        image = image.astype(np.float32)
    if image.dtype not in (np.uint8, np.uint16, np.float32):
        raise FrameReadError(f"{p.name} has unsupported sample type {image.dtype}")
    return from_bgr(image)


def _png_ends_early(data: np.ndarray, *, max_chunks: int = 100_000) -> bool:
    """True if ``data`` is a PNG whose chunks run past its end before an IEND chunk (a
    truncated file). Walks the chunk lengths only; past ``max_chunks`` it gives up (False)."""
    buf = memoryview(data)
    if bytes(buf[:8]) != _PNG_MAGIC:
        return False
    at = 8
    for _ in range(max_chunks):
        if at + 8 > len(buf):
            return True
        length, kind = struct.unpack_from(">I4s", buf, at)
        if kind == b"IEND":
            return False
        at += 12 + length
    return False


def _tiff_tags(path: str | os.PathLike) -> tuple[str, dict[int, tuple]] | None:
    """Byte order (``<`` or ``>``) and the integer tags of a classic TIFF's first image that
    laika_fx looks at (see ``_TIFF_WANTED``), read from the header without decoding the
    image (bounded: see :func:`_tiff_directory`). None if the file is not a classic TIFF or
    its directory cannot be read.
    """
    p = Path(path)
    try:
        check_regular_file(p)
        with open(p, "rb") as fh:
            h = _Header(fh, p.name, os.fstat(fh.fileno()).st_size)
            if h.read(0, 4, "TIFF header") not in (b"II*\0", b"MM\0*"):
                return None
            return _tiff_directory(h)
    except (OSError, FrameReadError, struct.error, ValueError, OverflowError):
        return None


def _read_plain_tiff(path: Path) -> np.ndarray | None:
    """An uncompressed little-endian TIFF straight from its pixel bytes, or None.

    Uncompressed TIFF is what shots are stored as when decode time matters; OpenCV's
    decoder takes ~7 ms per 1080p RGB frame on it (strip by strip, then BGR), this takes
    ~1-2 ms. Only the plainest layout is read here: first image, ``II`` byte order,
    compression 1, chunky, unsigned 8 or 16 bits, gray (BlackIsZero) / RGB / RGBA,
    orientation 1, no predictor, strips stored back to back. Anything else returns None
    and goes through OpenCV; the result is the same array OpenCV gives (tested).
    """
    parsed = _tiff_tags(path)
    if parsed is None or parsed[0] != "<":
        return None
    tags = parsed[1]

    def one(tag: int, default: int | None = None) -> int | None:
        v = tags.get(tag)
        return default if v is None else (v[0] if len(v) == 1 else None)

    width, height, spp = one(256), one(257), one(277, 1)
    bits = set(tags.get(258, (1,)))
    if width is None or height is None or spp not in (1, 3, 4) or len(bits) != 1 or bits - {8, 16}:
        return None
    if one(259, 1) != 1 or one(284, 1) != 1 or one(274, 1) != 1 or one(317, 1) != 1:
        return None
    if set(tags.get(339, (1,))) != {1} or one(262) != (1 if spp == 1 else 2):
        return None
    offsets, counts = tags.get(273), tags.get(279)
    dtype = np.dtype(np.uint8 if bits == {8} else "<u2")
    total = width * height * spp * dtype.itemsize
    if not offsets or not counts or len(offsets) != len(counts) or sum(counts) != total:
        return None
    if any(offsets[i] + counts[i] != offsets[i + 1] for i in range(len(offsets) - 1)):
        return None
    try:
        data = np.fromfile(str(path), dtype=dtype, count=width * height * spp, offset=offsets[0])
    except (OSError, ValueError):
        return None
    if data.size != width * height * spp:
        return None
    shape = (height, width) if spp == 1 else (height, width, spp)
    return data.astype(dtype.newbyteorder("="), copy=False).reshape(shape)


def _read_exr(path: Path) -> np.ndarray:
    import OpenEXR

    try:
        with OpenEXR.File(str(path), separate_channels=True) as exr:
            channels = {name: ch.pixels for name, ch in exr.channels().items()}
    except Exception as exc:  # the bindings raise plain RuntimeError/OSError
        raise FrameReadError(f"{path.name} could not be decoded as EXR ({exc})") from None
    names, _ = _exr_layout(path.name, channels)
    planes = [np.asarray(channels[n], dtype=np.float32) for n in names]
    return planes[0] if len(planes) == 1 else np.ascontiguousarray(np.stack(planes, axis=-1))


def _write_exr(path: Path, frame: np.ndarray, half: bool = False) -> None:
    import OpenEXR

    if half:  # the bindings write the planes' own type: float16 planes make HALF channels
        frame = frame.astype(np.float16)

    if frame.ndim == 2:
        names = ["Y"]
    else:
        names = {1: ["Y"], 2: ["Y", "A"], 3: ["R", "G", "B"], 4: ["R", "G", "B", "A"]}[frame.shape[2]]
    planes = {n: np.ascontiguousarray(frame if frame.ndim == 2 else frame[:, :, i]) for i, n in enumerate(names)}
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, planes) as exr:
        exr.write(str(path))


# --------------------------------------------------------------------------------------
# Header probe and size limits: checked before any pixel buffer is allocated.

#: Frames with more pixels than this are refused from their header, before decoding
#: (16384 x 16384 by default; the CLI's ``--max-pixels`` sets it; 0 or None: no limit).
MAX_PIXELS: int | None = 16384 * 16384

#: A TIFF directory with more entries than this is refused (real files have < 100).
MAX_TIFF_ENTRIES = 4096
#: An EXR header with more attributes than this is refused (real files have < 50).
MAX_EXR_ATTRIBUTES = 1024
#: A PNG or JPEG whose first image header is not within this many chunks/segments is refused.
MAX_HEADER_CHUNKS = 4096


@dataclass(frozen=True)
class FrameInfo:
    """What :func:`read_frame` will return for a file, read from its header alone.

    ``dtype`` and ``channels`` describe the decoded array (EXR frames are read as
    float32 whatever their pixel type; palette PNG/TIFF as RGB or RGBA); ``format`` is
    ``"png"``, ``"tiff"``, ``"jpeg"`` or ``"exr"``, decided from the file's first bytes,
    not its extension.

    ``stored_dtype`` is the file's sample type where it differs from ``dtype`` (an EXR
    of half floats: float16; of 32-bit integers: uint32); it takes no part in comparisons.
    """

    width: int
    height: int
    channels: int
    dtype: np.dtype
    format: str
    stored_dtype: np.dtype | None = field(default=None, compare=False)

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the array :func:`read_frame` returns."""
        return (self.height, self.width) if self.channels == 1 else (self.height, self.width, self.channels)


class _Header:
    """Bounded reads from an open file: never past its end, never more than asked."""

    def __init__(self, fh, name: str, size: int):
        self.fh, self.name, self.size = fh, name, size

    def bad(self, what: str) -> FrameReadError:
        return FrameReadError(f"{self.name} could not be decoded ({what})")

    def read(self, offset: int, n: int, what: str) -> bytes:
        if offset < 0 or n < 0 or offset + n > self.size:
            raise self.bad(f"{what} lies past the end of the file")
        self.fh.seek(offset)
        data = self.fh.read(n)
        if len(data) != n:
            raise self.bad(f"{what} is cut short")
        return data


def check_regular_file(path: str | os.PathLike) -> None:
    """Refuse anything but a regular file *before* it is opened: opening a FIFO blocks
    forever, a folder or a symlink loop cannot be read. Every reader here calls this.

    Raises
    ------
    FrameReadError
        Naming the file and what it is.
    """
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except OSError as exc:
        raise FrameReadError(f"cannot open {p.name}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise FrameReadError(f"cannot open {p.name}: it is a folder")
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
        raise FrameReadError(f"{p.name} is {kind}, not an image file")


def probe_frame(path: str | os.PathLike) -> FrameInfo:
    """Width, height, channels, dtype and format of a frame file, from its header only.

    Reads a few hundred bytes at most (PNG IHDR, the first TIFF directory, JPEG SOF, EXR
    header) and allocates nothing in proportion to what the header declares: counts and
    sizes are checked against the file's length and the limits above first.

    Raises
    ------
    FrameReadError
        If the file is missing, empty, of an unknown format or its header is damaged.
    """
    p = Path(path)
    check_regular_file(p)
    try:
        with open(p, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise FrameReadError(f"{p.name} is empty (0 bytes)")
            h = _Header(fh, p.name, size)
            magic = fh.read(8)
            if magic.startswith(_PNG_MAGIC):
                return _probe_png(h)
            if magic[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
                return _probe_tiff(h)
            if magic.startswith(b"\xff\xd8"):
                return _probe_jpeg(h)
            if magic.startswith(_EXR_MAGIC):
                return _probe_exr(h)
    except FrameReadError:
        raise
    except IsADirectoryError:
        raise FrameReadError(f"cannot open {p.name}: it is a folder") from None
    except OSError as exc:
        raise FrameReadError(f"cannot open {p.name}: {exc.strerror or exc}") from None
    except (struct.error, ValueError, OverflowError) as exc:
        raise FrameReadError(f"{p.name} could not be decoded (damaged header: {exc})") from None
    raise FrameReadError(f"{p.name} could not be decoded (not a PNG, TIFF, JPEG or EXR file)")


_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_EXR_MAGIC = b"\x76\x2f\x31\x01"
# PNG colour type -> channels as decoded (OpenCV, IMREAD_UNCHANGED): gray+alpha and
# palette come out as RGB(A); a tRNS chunk adds alpha to RGB and palette images (not gray).
_PNG_COLOR = {0: 1, 2: 3, 3: 3, 4: 4, 6: 4}
_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


def _checked_dims(h: _Header, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise h.bad(f"header declares a {width}x{height} image")


def _probe_png(h: _Header) -> FrameInfo:
    length, kind = struct.unpack(">I4s", h.read(8, 8, "PNG header"))
    if kind != b"IHDR" or length != 13:
        raise h.bad("PNG header: IHDR is not the first chunk")
    width, height, depth, color, _comp, _filt, interlace = struct.unpack(">IIBBBBB", h.read(16, 13, "PNG IHDR"))
    _checked_dims(h, width, height)
    if depth not in _PNG_DEPTHS.get(color, ()):
        raise h.bad(f"PNG header: bit depth {depth} with colour type {color}")
    if width > 2**31 - 1 or height > 2**31 - 1 or interlace > 1:
        raise h.bad("PNG header: invalid IHDR")
    channels = _PNG_COLOR[color]
    if color in (2, 3) and _png_has_chunk(h, b"tRNS"):  # RGB or palette: RGBA if a tRNS chunk precedes the image data
        channels = 4
    return FrameInfo(width, height, channels, np.dtype(np.uint16 if depth == 16 else np.uint8), "png")


def _png_has_chunk(h: _Header, wanted: bytes) -> bool:
    at = 8 + 12 + 13
    for _ in range(MAX_HEADER_CHUNKS):
        if at + 8 > h.size:
            return False
        length, kind = struct.unpack(">I4s", h.read(at, 8, "PNG chunk"))
        if kind in (b"IDAT", b"IEND"):
            return False
        if kind == wanted:
            return True
        at += 12 + length
    return False


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _probe_jpeg(h: _Header) -> FrameInfo:
    at = 2
    for _ in range(MAX_HEADER_CHUNKS):
        marker = h.read(at, 2, "JPEG marker")
        if marker[0] != 0xFF:
            raise h.bad("JPEG: no frame header before the image data")
        code = marker[1]
        if code == 0xFF:  # fill byte
            at += 1
            continue
        if code in (0x01, *range(0xD0, 0xD8)):
            at += 2
            continue
        if code in (0xD9, 0xDA):
            break
        (length,) = struct.unpack(">H", h.read(at + 2, 2, "JPEG segment"))
        if length < 2:
            raise h.bad("JPEG: segment shorter than its length field")
        if code in _SOF:
            precision, height, width, components = struct.unpack(">BHHB", h.read(at + 4, 6, "JPEG frame header"))
            if height == 0:
                raise h.bad("JPEG: image height given only after the scan (DNL), not supported")
            _checked_dims(h, width, height)
            if precision != 8:
                raise FrameReadError(f"{h.name}: {precision}-bit JPEG is not supported (8-bit only)")
            if components not in (1, 3, 4):
                raise h.bad(f"JPEG: {components} components")
            return FrameInfo(width, height, 1 if components == 1 else 3, np.dtype(np.uint8), "jpeg")
        at += 2 + length
    raise h.bad("JPEG: no frame header before the image data")


# TIFF field type -> bytes per value
_TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4,
                    16: 8, 17: 8, 18: 8}  # fmt: skip
_TIFF_INT_FORMATS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I", 16: "Q", 17: "q", 18: "Q"}
#: Tags whose values are read (others are only checked against the file's size).
_TIFF_WANTED = {256, 257, 258, 259, 262, 273, 274, 277, 279, 284, 317, 338, 339}


def _tiff_directory(h: _Header) -> tuple[str, dict[int, tuple]]:
    """Byte order and the integer tags in ``_TIFF_WANTED`` of a TIFF's first directory.

    Every entry's declared size is checked against the file's length and the entry count
    against :data:`MAX_TIFF_ENTRIES` before anything is read, so a directory that claims
    billions of values costs nothing. Raises FrameReadError on any inconsistency.
    """
    head = h.read(0, 8, "TIFF header")
    end = "<" if head[:2] == b"II" else ">"
    (magic,) = struct.unpack(end + "H", head[2:4])
    if magic == 42:
        (ifd,) = struct.unpack(end + "I", head[4:8])
        count_fmt, entry_fmt, entry_size, inline = "H", "HHI", 12, 4
    else:  # BigTIFF
        bytesize, _, ifd = struct.unpack(end + "HHQ", h.read(4, 12, "BigTIFF header"))
        if bytesize != 8:
            raise h.bad("BigTIFF header: offset size is not 8")
        count_fmt, entry_fmt, entry_size, inline = "Q", "HHQ", 20, 8
    csize = struct.calcsize(count_fmt)
    (count,) = struct.unpack(end + count_fmt, h.read(ifd, csize, "TIFF directory"))
    if count == 0 or count > MAX_TIFF_ENTRIES:
        raise h.bad(f"TIFF directory declares {count} entries (at most {MAX_TIFF_ENTRIES} are read)")
    entries = h.read(ifd + csize, count * entry_size, "TIFF directory")
    tags: dict[int, tuple] = {}
    for i in range(count):
        raw = entries[i * entry_size : (i + 1) * entry_size]
        tag, typ, n = struct.unpack(end + entry_fmt, raw[: entry_size - inline])
        value = raw[entry_size - inline :]
        nbytes = _TIFF_TYPE_SIZES.get(typ, 1) * n
        if nbytes > h.size:
            raise h.bad(f"TIFF tag {tag} declares {n} values, more than the {h.size}-byte file holds")
        if tag not in _TIFF_WANTED:
            continue
        if typ not in _TIFF_INT_FORMATS:
            raise h.bad(f"TIFF tag {tag} has type {typ}, not an integer type")
        if nbytes <= inline:
            data = value[:nbytes]
        else:
            (offset,) = struct.unpack(end + ("I" if inline == 4 else "Q"), value)
            data = h.read(offset, nbytes, f"TIFF tag {tag}")
        tags[tag] = struct.unpack(f"{end}{n}{_TIFF_INT_FORMATS[typ]}", data)
    return end, tags


def _tag1(tags: dict[int, tuple], tag: int, default: int | None = None) -> int | None:
    v = tags.get(tag)
    return default if not v else v[0]


def _probe_tiff(h: _Header) -> FrameInfo:
    _, tags = _tiff_directory(h)
    width, height = _tag1(tags, 256), _tag1(tags, 257)
    if width is None or height is None:
        raise h.bad("TIFF directory has no image width or height")
    _checked_dims(h, width, height)
    spp = _tag1(tags, 277, 1)
    bits = max(tags.get(258) or (1,))
    sample_format = _tag1(tags, 339, 1)
    photometric = _tag1(tags, 262, 1)
    if spp < 1:
        raise h.bad("TIFF declares 0 samples per pixel")
    if sample_format == 3 and bits in (32, 64):
        dtype = np.dtype(np.float32)  # float64 is narrowed by read_frame
    elif sample_format in (1, 4) and bits <= 16:
        dtype = np.dtype(np.uint16 if bits > 8 else np.uint8)
    else:
        raise FrameReadError(f"{h.name}: {bits}-bit TIFF samples of format {sample_format} are not supported")
    if photometric in (0, 1) and spp in (1, 3, 4):  # gray; OpenCV reads gray+extra as is
        channels = spp
    elif photometric in (0, 1) and spp == 2:  # OpenCV reads gray + alpha as gray
        channels = 1
    elif photometric == 3:  # palette
        channels = 3
    else:  # RGB, YCbCr, CMYK, ...: RGB, plus alpha if a fourth sample is declared
        channels = 4 if spp >= 4 and photometric == 2 else 3
    return FrameInfo(width, height, channels, dtype, "tiff")


# EXR pixel types: 0 UINT, 1 HALF, 2 FLOAT
def _probe_exr(h: _Header) -> FrameInfo:
    (version,) = struct.unpack("<I", h.read(4, 4, "EXR header"))
    if version & 0xFF != 2:
        raise h.bad(f"EXR version {version & 0xFF}")
    at, window, channels = 8, None, None
    for _ in range(MAX_EXR_ATTRIBUTES):
        chunk = h.read(at, min(600, h.size - at), "EXR header")
        if chunk[:1] == b"\0":
            break
        name_end = chunk.find(b"\0")
        type_end = chunk.find(b"\0", name_end + 1)
        if name_end <= 0 or type_end <= name_end + 1 or type_end + 5 > len(chunk):
            raise h.bad("EXR header: attribute name or type is damaged")
        name, kind = chunk[:name_end], chunk[name_end + 1 : type_end]
        (size,) = struct.unpack("<i", chunk[type_end + 1 : type_end + 5])
        value_at = at + type_end + 5
        if size < 0 or value_at + size > h.size:
            raise h.bad(f"EXR attribute {name.decode(errors='replace')} declares {size} bytes")
        if name == b"dataWindow" and kind == b"box2i" and size == 16:
            window = struct.unpack("<4i", h.read(value_at, 16, "EXR dataWindow"))
        elif name == b"channels" and kind == b"chlist":
            if size > 64 * 1024:
                raise h.bad(f"EXR channel list of {size} bytes")
            data, channels, types, i = h.read(value_at, size, "EXR channel list"), [], [], 0
            while i < len(data) and data[i] != 0:
                j = data.find(b"\0", i)
                if j < 0 or j + 17 > len(data):
                    raise h.bad("EXR channel list is damaged")
                channels.append(data[i:j].decode(errors="replace"))
                types.append(struct.unpack("<i", data[j + 1 : j + 5])[0])
                i = j + 17
        at = value_at + size
    else:
        raise h.bad(f"EXR header has more than {MAX_EXR_ATTRIBUTES} attributes")
    if window is None or channels is None:
        raise h.bad("EXR header has no dataWindow or channel list")
    width, height = window[2] - window[0] + 1, window[3] - window[1] + 1
    _checked_dims(h, width, height)
    names, count = _exr_layout(h.name, channels)
    kinds = {types[channels.index(n)] for n in names}  # 0 UINT, 1 HALF, 2 FLOAT
    stored = {frozenset({1}): np.dtype(np.float16), frozenset({0}): np.dtype(np.uint32)}.get(frozenset(kinds))
    return FrameInfo(width, height, count, np.dtype(np.float32), "exr", stored_dtype=stored)


def _exr_layout(name: str, channels) -> tuple[list[str], int]:
    """The channel names read from an EXR, in order, and how many (as read_frame returns them)."""
    channels = set(channels)
    if {"R", "G", "B"} <= channels:
        names = ["R", "G", "B"] + (["A"] if "A" in channels else [])
    elif "Y" in channels:
        names = ["Y"] + (["A"] if "A" in channels else [])
    elif len(channels) == 1:
        names = list(channels)
    else:
        raise FrameReadError(f"{name}: unsupported EXR channel set {sorted(channels)}")
    return names, len(names)


@contextlib.contextmanager
def pixel_limit(max_pixels: int | None):
    """Set :data:`MAX_PIXELS` for the duration of a ``with`` block (None: leave it as is).

    The limit is module-wide (the batch's reader threads all see it); the CLI's
    ``--max-pixels`` sets it this way around a command.
    """
    global MAX_PIXELS
    if max_pixels is None:
        yield
        return
    if max_pixels < 0:
        raise ValueError("the pixel limit cannot be negative")
    old, MAX_PIXELS = MAX_PIXELS, max_pixels
    try:
        yield
    finally:
        MAX_PIXELS = old


def parse_pixel_limit(text: str) -> int:
    """``"16384x16384"`` or ``"268435456"`` to a pixel count (0: no limit); ValueError otherwise."""
    parts = text.lower().replace(" ", "").split("x")
    if len(parts) > 2 or not all(p.isdigit() and len(p) <= 12 for p in parts):
        raise ValueError(f"expected a pixel count or WIDTHxHEIGHT, got {text!r}")
    n = 1
    for p in parts:
        n *= int(p)
    return n


def check_frame_size(info: FrameInfo, name: str, max_pixels: int | None = None) -> None:
    """Raise FrameReadError if ``info`` is above the pixel limit (:data:`MAX_PIXELS` by default)."""
    limit = MAX_PIXELS if max_pixels is None else max_pixels
    if limit and info.pixels > limit:
        raise FrameReadError(
            f"{name} is {info.width}x{info.height} ({info.pixels / 1e6:.3g} megapixels), above the "
            f"limit of {limit / 1e6:.3g} megapixels (--max-pixels)"
        )


#: TIFF compression codes OpenCV can write: none, LZW, Adobe deflate, PackBits, deflate
TIFF_COMPRESSIONS = (1, 5, 8, 32773, 32946)


def tiff_compression(path: str | os.PathLike) -> int | None:
    """The compression code of a TIFF file's first image (1 = none, 5 = LZW, ...).

    Read from the header without decoding the image; None if the file is not a regular
    file, not a classic TIFF or has no compression tag.
    """
    parsed = _tiff_tags(path)
    value = parsed[1].get(259) if parsed else None
    return value[0] if value else None


#: ``png_compression`` choices of the writers: "fast" (default) writes 8-bit RGB/RGBA with
#: fpng (~6-10x faster than OpenCV's default, files ~5-17 % larger) and everything else with
#: OpenCV's default; "small" writes every PNG with zlib level 6 (files ~20 % smaller than
#: OpenCV's default, writes ~8x slower). Both are lossless: the pixels are the same.
PNG_COMPRESSIONS = ("fast", "small")


def _fpng():
    """The fpng module, or None where it is not installed (OpenCV writes instead)."""
    global _FPNG
    if _FPNG is False:
        try:
            import fpng
        except ImportError:
            fpng = None
        _FPNG = fpng
    return _FPNG


_FPNG = False


def _encode_params(ext: str, dtype: np.dtype, compression: int | None = None, png_compression: str = "fast") -> list[int]:
    # "fast" leaves PNG parameters out on purpose: giving a compression level switches
    # OpenCV off its fast default strategy (see docs/research.md, 2-5x slower writes).
    if ext == ".png" and png_compression == "small":
        return [cv2.IMWRITE_PNG_COMPRESSION, 6]
    if ext in (".jpg", ".jpeg"):
        return [cv2.IMWRITE_JPEG_QUALITY, 95]
    if ext in (".tif", ".tiff") and compression in TIFF_COMPRESSIONS:
        return [cv2.IMWRITE_TIFF_COMPRESSION, int(compression)]
    return []


def _check_format(frame: np.ndarray, ext: str) -> None:
    if ext not in SUPPORTED_EXTENSIONS:
        raise ValueError(f"unsupported output format {ext!r}")
    if ext == ".exr" and frame.dtype != np.float32:
        raise ValueError(f"EXR output needs float32 frames, got {frame.dtype}")
    if ext in (".jpg", ".jpeg") and frame.dtype != np.uint8:
        raise ValueError(f"JPEG output needs uint8 frames, got {frame.dtype}")
    if ext == ".png" and frame.dtype == np.float32:
        raise ValueError("PNG cannot hold float32 frames")


def _plain_tiff_parts(frame: np.ndarray) -> tuple[bytes, np.ndarray, bytes] | None:
    """(header, pixels, directory) of ``frame`` as an uncompressed TIFF, byte for byte the file
    OpenCV's encoder writes (libtiff: strips of ~8 kB, the directory after the pixels), or
    None for layouts this does not cover (they go through OpenCV).

    OpenCV converts RGB to BGR on the way in and libtiff back to RGB; writing the RGB pixel
    bytes directly saves both and the encoder's copies (~6-12 ms per 1080p frame, ~1 here).
    """
    if frame.dtype not in (np.uint8, np.uint16) or frame.ndim not in (2, 3):
        return None
    spp = 1 if frame.ndim == 2 else frame.shape[2]
    if spp not in (1, 3, 4):
        return None
    height, width = frame.shape[:2]
    bits = 8 * frame.dtype.itemsize
    row = width * spp * frame.dtype.itemsize
    rows_per_strip = min(height, max(1, 8192 // row))
    nstrips = -(-height // rows_per_strip)
    counts = [rows_per_strip * row] * (nstrips - 1) + [(height - rows_per_strip * (nstrips - 1)) * row]
    if nstrips > 1 and max(counts) > 0xFFFF:
        return None
    data_len = height * row
    ifd = 8 + data_len + (data_len & 1)
    extra = ifd + 2 + 12 * 11 + 4  # arrays that do not fit in their entry follow the directory
    arrays = b""

    def entry(tag: int, typ: int, values: list[int]) -> bytes:
        nonlocal arrays
        fmt = "<" + ("H" if typ == 3 else "I") * len(values)
        packed = struct.pack(fmt, *values)
        if len(packed) <= 4:
            return struct.pack("<HHI", tag, typ, len(values)) + packed.ljust(4, b"\0")
        at = extra + len(arrays)
        arrays += packed
        return struct.pack("<HHII", tag, typ, len(values), at)

    offsets = [8 + i * rows_per_strip * row for i in range(nstrips)]
    # libtiff's order of the out-of-line arrays: BitsPerSample, StripByteCounts,
    # StripOffsets, SampleFormat (the entries themselves are sorted by tag)
    e258 = entry(258, 3, [bits] * spp)
    e279 = entry(279, 4 if nstrips == 1 else 3, counts)
    e273 = entry(273, 4, offsets)
    e339 = entry(339, 3, [1] * spp)
    directory = b"".join([
        struct.pack("<H", 11),
        entry(256, 3, [width]), entry(257, 3, [height]), e258, entry(259, 3, [1]),
        entry(262, 3, [1 if spp == 1 else 2]), e273, entry(277, 3, [spp]), entry(278, 3, [rows_per_strip]),
        e279, entry(284, 3, [1]), e339, struct.pack("<I", 0),
    ])  # fmt: skip
    header = b"II*\0" + struct.pack("<I", ifd)
    pixels = np.ascontiguousarray(frame, dtype=frame.dtype.newbyteorder("<"))
    return header, pixels, b"\0" * (data_len & 1) + directory + arrays


def _fpng_writes(shape: tuple[int, ...], dtype, ext: str, png_compression: str) -> bool:
    """Whether :func:`encode_frame` writes frames of ``shape``/``dtype`` as ``ext`` with fpng
    (8-bit RGB/RGBA PNG, ``fast``, fpng installed)."""
    return (ext.lower() == ".png" and png_compression == "fast" and np.dtype(dtype) == np.uint8 and len(shape) == 3
            and shape[2] in (3, 4) and _fpng() is not None)  # fmt: skip


def _uses_fpng(frame: np.ndarray, ext: str, png_compression: str) -> bool:
    return _fpng_writes(frame.shape, frame.dtype, ext, png_compression)


def encode_frame(frame: np.ndarray, ext: str, *, compression: int | None = None, png_compression: str = "fast") -> bytes:
    """Encode a frame to the bytes of a PNG, TIFF or JPEG file (not EXR: see write_frame).

    ``compression`` is a TIFF compression code (see :func:`tiff_compression`); None keeps
    OpenCV's default (LZW). ``png_compression`` is one of :data:`PNG_COMPRESSIONS`.
    """
    ext = ext.lower()
    _check_format(frame, ext)
    if png_compression not in PNG_COMPRESSIONS:
        raise ValueError(f"png_compression must be one of {PNG_COMPRESSIONS}, got {png_compression!r}")
    if ext == ".exr":
        raise ValueError("EXR frames are written with write_frame, not encoded in memory")
    if _uses_fpng(frame, ext, png_compression):
        # fpng: RGB(A) order in, lossless, no channel swap; bit-exact (tests/test_io.py)
        return _fpng().from_ndarray(np.ascontiguousarray(frame))
    if ext in (".tif", ".tiff") and compression == 1 and (parts := _plain_tiff_parts(frame)) is not None:
        header, pixels, tail = parts
        return header + pixels.tobytes() + tail
    params = _encode_params(ext, frame.dtype, compression, png_compression)
    ok, buf = cv2.imencode(ext, to_bgr(np.ascontiguousarray(frame)), params)
    if not ok:
        raise OSError(f"OpenCV could not encode a {frame.dtype} {frame.shape} frame as {ext}")
    return buf.tobytes()


#: ``--output-format`` names and the extension each writes
OUTPUT_FORMATS = {"png": ".png", "tiff": ".tif", "exr": ".exr"}


def output_conversion(dtype: np.dtype, ext: str) -> str | None:
    """How frames of ``dtype`` become storable as ``ext``, or None if they are stored as they are.

    The rule (the batch applies it only when asked, ``--convert``):

    - integer to EXR: float32 = value / 255 (8-bit) or value / 65535 (16-bit);
    - float to PNG: 16-bit = round(clip(value, 0, 1) * 65535) (values outside 0..1 are lost);
    - TIFF holds all three sample types as they are; gray and alpha are kept everywhere.
    """
    dtype, ext = np.dtype(dtype), ext.lower()
    if ext == ".exr" and dtype != np.float32:
        return f"{dtype} to float32 EXR as value / {np.iinfo(dtype).max}"
    if ext == ".png" and dtype == np.float32:
        return "float32 to 16-bit PNG as round(clip(value, 0, 1) * 65535)"
    if ext in (".jpg", ".jpeg") and dtype != np.uint8:
        return f"{dtype} cannot be written as JPEG"
    return None


def convert_for_output(frame: np.ndarray, ext: str) -> np.ndarray:
    """``frame`` converted by the rule of :func:`output_conversion` (unchanged if none applies)."""
    ext = ext.lower()
    if ext == ".exr" and frame.dtype != np.float32:
        return frame.astype(np.float32) / np.float32(np.iinfo(frame.dtype).max)
    if ext == ".png" and frame.dtype == np.float32:
        return np.rint(np.clip(frame, 0.0, 1.0) * 65535.0).astype(np.uint16)
    if output_conversion(frame.dtype, ext) is not None:
        raise ValueError(output_conversion(frame.dtype, ext))
    return frame


def write_temp(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Fill a new temporary file beside ``path`` with ``write(tmp)``; return its path.

    The file is named ``.<name>.<random>.part<ext>`` in the destination folder (so the
    rename in :func:`commit` never crosses a file system) and is not synced. On error it
    is removed and the exception propagates. Nothing appears under ``path``.
    """
    p = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=f".part{p.suffix}", dir=p.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit(pairs: Sequence[tuple[Path, Path]], *, sync_dirs: bool = True) -> None:
    """Make temporary files durable and rename each over its final name, in order.

    For every ``(tmp, final)`` pair: ``fsync(tmp)``, then ``rename(tmp, final)``; then one
    ``fsync`` of each destination folder, so the renames are on disk too (``sync_dirs=False``
    leaves that to the caller: :func:`sync_folders`, once for many commits). A
    file therefore appears under its final name only once its contents are on disk: after
    a crash or a power cut, a final name holds either the old file or the complete new
    one. On error the temporary files not yet renamed are removed and the exception
    propagates.
    """
    pairs = [(Path(t), Path(f)) for t, f in pairs]
    done = 0
    try:
        for tmp, _ in pairs:
            _fsync_path(tmp)
            os.chmod(tmp, 0o644)
        for tmp, final in pairs:
            os.replace(tmp, final)
            done += 1
    except BaseException:
        for tmp, _ in pairs[done:]:
            tmp.unlink(missing_ok=True)
        raise
    if sync_dirs:
        sync_folders(final.parent for _, final in pairs)


def sync_folders(folders) -> None:
    """``fsync`` each folder once (its renames reach the disk); folders that refuse are skipped."""
    for folder in dict.fromkeys(Path(f) for f in folders):
        try:
            _fsync_path(folder, directory=True)
        except OSError:  # some file systems refuse to sync a folder; the files are synced
            pass


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Create ``path`` atomically and durably: ``write(tmp)`` fills a temporary file beside it.

    The temporary file lives in the destination folder, is synced to disk and then
    renamed over ``path`` (:func:`write_temp` + :func:`commit`): readers see the old file
    or the complete new one, never a half-written file, even if the process is killed or
    the machine loses power. On error the temporary file is removed and ``path`` is left
    as it was.
    """
    commit([(write_temp(path, write), Path(path))])


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_frame_temp(path: str | os.PathLike, frame: np.ndarray, *, compression: int | None = None,
                     png_compression: str = "fast", exr_half: bool = False, encoder=None) -> Path:  # fmt: skip
    """Encode ``frame`` for ``path`` into a temporary file beside it (not synced, not renamed).

    The batch writes frames this way and hands the temporary file to :func:`commit` on a
    background thread, so the ~10-20 ms ``fsync`` of a 1080p frame stays off the render
    path. Same encoding as :func:`write_frame`. ``encoder``: a
    :class:`laika_fx.encoder.PngEncoderProcess` that encodes fpng's frames (8-bit RGB/RGBA
    PNG, ``fast``) in its process, off this one's GIL; the same bytes.
    """
    p = Path(path)
    ext = p.suffix.lower()
    if encoder is not None and _uses_fpng(frame, ext, png_compression):
        _check_format(frame, ext)

        def write_png(tmp: Path) -> None:
            if not encoder.write(frame, tmp):  # the process cannot take it: encode here
                tmp.write_bytes(encode_frame(frame, ext, png_compression=png_compression))

        return write_temp(p, write_png)
    if ext == ".exr":
        _check_format(frame, ext)
        return write_temp(p, lambda tmp: _write_exr(tmp, np.asarray(frame), exr_half))
    if ext in (".tif", ".tiff") and compression == 1 and (parts := _plain_tiff_parts(frame)) is not None:

        def write_parts(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                for part in parts:
                    fh.write(part)  # the pixels straight from the array: no copy

        return write_temp(p, write_parts)
    data = encode_frame(frame, ext, compression=compression, png_compression=png_compression)
    return write_temp(p, lambda tmp: tmp.write_bytes(data))


def write_frame(path: str | os.PathLike, frame: np.ndarray, *, compression: int | None = None,
                png_compression: str = "fast", exr_half: bool = False) -> None:  # fmt: skip
    """Write one frame atomically in the format given by the file extension.

    Parameters
    ----------
    path : destination; its extension picks the codec.
    frame : (H, W) or (H, W, C) ndarray, RGB(A), uint8/uint16/float32. Written as is:
        no bit-depth or channel conversion happens here.
    compression : TIFF only: compression code to write (the batch passes the input's, so
        uncompressed TIFF stays uncompressed and LZW stays LZW).
    png_compression : PNG only: "fast" or "small" (see :data:`PNG_COMPRESSIONS`).
    exr_half : EXR only: write 16-bit half floats (the batch does for EXR shots stored as
        half, :attr:`FrameInfo.stored_dtype`), else 32-bit floats.
    """
    temp = write_frame_temp(path, frame, compression=compression, png_compression=png_compression, exr_half=exr_half)
    commit([(temp, Path(path))])
