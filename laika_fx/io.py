"""Read and write single frames, keeping dtype and channels; atomic writes.

Frames are ``(H, W)`` (gray), ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA) arrays of
``uint8``, ``uint16`` or ``float32``. Channel order is RGB(A) everywhere in laika_fx;
the conversion from/to OpenCV's BGR(A) happens only here. Alpha is passed through
untouched by every plugin.

PNG, TIFF and JPEG go through OpenCV (uncompressed TIFF in its plainest layout is read
straight from its pixel bytes: same array, a fifth of the time). EXR goes through the ASWF ``OpenEXR`` bindings:
the OpenCV 5 wheels are built without OpenEXR (``getBuildInformation()`` says
``OpenEXR: NO``), so setting ``OPENCV_IO_ENABLE_OPENEXR`` would not help. EXR frames
are read as float32 (half channels are widened) and written as 32-bit float, ZIP.

Writes are atomic and durable: a frame is encoded into a temporary file beside its
destination (:func:`write_temp`), synced, and only then renamed to its final name,
followed by a sync of the folder (:func:`commit`). A final name therefore never holds a
partial file, after a cancel, a crash or a power cut. :func:`write_frame` does both
steps at once; the batch splits them so that the sync runs on a background thread.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

__all__ = [
    "FrameReadError",
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


def read_frame(path: str | os.PathLike) -> np.ndarray:
    """Read one frame as stored: dtype, bit depth and channel count kept.

    Parameters
    ----------
    path : path of a PNG, TIFF, JPEG or EXR file.

    Returns
    -------
    frame : (H, W) or (H, W, C) ndarray, RGB(A) order, uint8/uint16/float32.

    Raises
    ------
    FrameReadError
        If the file is missing, empty or cannot be decoded.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise FrameReadError(f"cannot open {p.name}: {exc.strerror or exc}") from exc
    if size == 0:
        raise FrameReadError(f"{p.name} is empty (0 bytes)")
    if p.suffix.lower() == ".exr":
        return _read_exr(p)
    if p.suffix.lower() in (".tif", ".tiff"):
        raw = _read_plain_tiff(p)
        if raw is not None:
            return raw
    # np.fromfile + imdecode handles non-ASCII paths and never touches the file.
    data = np.fromfile(str(p), dtype=np.uint8)
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


_TIFF_TYPES = {3: "H", 4: "I"}  # SHORT, LONG: the only types the tags read below may have


def _tiff_tags(path: str | os.PathLike) -> tuple[str, dict[int, tuple]] | None:
    """Byte order (``<`` or ``>``) and the SHORT/LONG tags of a classic TIFF's first image.

    Read from the header without decoding the image; tags of other types map to ``()``.
    None if the file is not a classic TIFF or its directory cannot be read.
    """
    import struct

    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8 or head[:2] not in (b"II", b"MM"):
                return None
            end = "<" if head[:2] == b"II" else ">"
            magic, ifd = struct.unpack(end + "HI", head[2:8])
            if magic != 42:
                return None
            fh.seek(ifd)
            (count,) = struct.unpack(end + "H", fh.read(2))
            entries = fh.read(12 * count)
            tags: dict[int, tuple] = {}
            for i in range(count):
                tag, typ, n, value = struct.unpack(end + "HHI4s", entries[12 * i : 12 * i + 12])
                if typ not in _TIFF_TYPES:
                    tags[tag] = ()
                    continue
                fmt = end + _TIFF_TYPES[typ] * n
                size = struct.calcsize(fmt)
                if size <= 4:
                    tags[tag] = struct.unpack(fmt, value[:size])
                else:
                    fh.seek(struct.unpack(end + "I", value)[0])
                    tags[tag] = struct.unpack(fmt, fh.read(size))
    except (OSError, struct.error):
        return None
    return end, tags


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
    if all(c in channels for c in "RGB"):
        names = ["R", "G", "B"] + (["A"] if "A" in channels else [])
    elif "Y" in channels:
        names = ["Y"] + (["A"] if "A" in channels else [])
    elif len(channels) == 1:
        names = list(channels)
    else:
        raise FrameReadError(f"{path.name}: unsupported EXR channel set {sorted(channels)}")
    planes = [np.asarray(channels[n], dtype=np.float32) for n in names]
    return planes[0] if len(planes) == 1 else np.ascontiguousarray(np.stack(planes, axis=-1))


def _write_exr(path: Path, frame: np.ndarray) -> None:
    import OpenEXR

    if frame.ndim == 2:
        names = ["Y"]
    else:
        names = {1: ["Y"], 2: ["Y", "A"], 3: ["R", "G", "B"], 4: ["R", "G", "B", "A"]}[frame.shape[2]]
    planes = {n: np.ascontiguousarray(frame if frame.ndim == 2 else frame[:, :, i]) for i, n in enumerate(names)}
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, planes) as exr:
        exr.write(str(path))


#: TIFF compression codes OpenCV can write: none, LZW, Adobe deflate, PackBits, deflate
TIFF_COMPRESSIONS = (1, 5, 8, 32773, 32946)


def tiff_compression(path: str | os.PathLike) -> int | None:
    """The compression code of a TIFF file's first image (1 = none, 5 = LZW, ...).

    Read from the header without decoding the image; None if the file is not a classic
    TIFF or has no compression tag.
    """
    parsed = _tiff_tags(path)
    value = parsed[1].get(259) if parsed else None
    return value[0] if value else None


def _encode_params(ext: str, dtype: np.dtype, compression: int | None = None) -> list[int]:
    # Leave PNG parameters out on purpose: giving a compression level switches OpenCV off
    # its fast default strategy (see docs/research.md, 2-5x slower writes).
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
    import struct

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


def encode_frame(frame: np.ndarray, ext: str, *, compression: int | None = None) -> bytes:
    """Encode a frame to the bytes of a PNG, TIFF or JPEG file (not EXR: see write_frame).

    ``compression`` is a TIFF compression code (see :func:`tiff_compression`); None keeps
    OpenCV's default (LZW).
    """
    ext = ext.lower()
    _check_format(frame, ext)
    if ext == ".exr":
        raise ValueError("EXR frames are written with write_frame, not encoded in memory")
    if ext in (".tif", ".tiff") and compression == 1 and (parts := _plain_tiff_parts(frame)) is not None:
        header, pixels, tail = parts
        return header + pixels.tobytes() + tail
    params = _encode_params(ext, frame.dtype, compression)
    ok, buf = cv2.imencode(ext, to_bgr(np.ascontiguousarray(frame)), params)
    if not ok:
        raise OSError(f"OpenCV could not encode a {frame.dtype} {frame.shape} frame as {ext}")
    return buf.tobytes()


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


def write_frame_temp(path: str | os.PathLike, frame: np.ndarray, *, compression: int | None = None) -> Path:
    """Encode ``frame`` for ``path`` into a temporary file beside it (not synced, not renamed).

    The batch writes frames this way and hands the temporary file to :func:`commit` on a
    background thread, so the ~10-20 ms ``fsync`` of a 1080p frame stays off the render
    path. Same encoding as :func:`write_frame`.
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".exr":
        _check_format(frame, ext)
        return write_temp(p, lambda tmp: _write_exr(tmp, np.asarray(frame)))
    if ext in (".tif", ".tiff") and compression == 1 and (parts := _plain_tiff_parts(frame)) is not None:

        def write_parts(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                for part in parts:
                    fh.write(part)  # the pixels straight from the array: no copy

        return write_temp(p, write_parts)
    data = encode_frame(frame, ext, compression=compression)
    return write_temp(p, lambda tmp: tmp.write_bytes(data))


def write_frame(path: str | os.PathLike, frame: np.ndarray, *, compression: int | None = None) -> None:
    """Write one frame atomically in the format given by the file extension.

    Parameters
    ----------
    path : destination; its extension picks the codec.
    frame : (H, W) or (H, W, C) ndarray, RGB(A), uint8/uint16/float32. Written as is:
        no bit-depth or channel conversion happens here.
    compression : TIFF only: compression code to write (the batch passes the input's, so
        uncompressed TIFF stays uncompressed and LZW stays LZW).
    """
    commit([(write_frame_temp(path, frame, compression=compression), Path(path))])
