"""Read and write single frames, keeping dtype and channels; atomic writes.

Frames are ``(H, W)`` (gray), ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA) arrays of
``uint8``, ``uint16`` or ``float32``. Channel order is RGB(A) everywhere in laika_fx;
the conversion from/to OpenCV's BGR(A) happens only here. Alpha is passed through
untouched by every plugin.

PNG, TIFF and JPEG go through OpenCV. EXR goes through the ASWF ``OpenEXR`` bindings:
the OpenCV 5 wheels are built without OpenEXR (``getBuildInformation()`` says
``OpenEXR: NO``), so setting ``OPENCV_IO_ENABLE_OPENEXR`` would not help. EXR frames
are read as float32 (half channels are widened) and written as 32-bit float, ZIP.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
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
            for _ in range(min(count, 512)):
                tag, typ, _n, value = struct.unpack(end + "HHI4s", fh.read(12))
                if tag == 259:
                    return struct.unpack(end + ("H" if typ == 3 else "I"), value[: 2 if typ == 3 else 4])[0]
    except (OSError, struct.error):
        return None
    return None


def _encode_params(ext: str, dtype: np.dtype, compression: int | None = None) -> list[int]:
    # Leave PNG parameters out on purpose: giving a compression level switches OpenCV off
    # its fast default strategy (see RESEARCH.md, 2-5x slower writes).
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


def encode_frame(frame: np.ndarray, ext: str, *, compression: int | None = None) -> bytes:
    """Encode a frame to the bytes of a PNG, TIFF or JPEG file (not EXR: see write_frame).

    ``compression`` is a TIFF compression code (see :func:`tiff_compression`); None keeps
    OpenCV's default (LZW).
    """
    ext = ext.lower()
    _check_format(frame, ext)
    if ext == ".exr":
        raise ValueError("EXR frames are written with write_frame, not encoded in memory")
    params = _encode_params(ext, frame.dtype, compression)
    ok, buf = cv2.imencode(ext, to_bgr(np.ascontiguousarray(frame)), params)
    if not ok:
        raise OSError(f"OpenCV could not encode a {frame.dtype} {frame.shape} frame as {ext}")
    return buf.tobytes()


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Create ``path`` atomically: ``write(tmp)`` fills a temporary file beside it.

    The temporary file lives in the destination folder, is flushed to disk and then
    renamed over ``path``: readers see the old file or the complete new one, never a
    half-written file, even if the process is killed. On error the temporary file is
    removed and ``path`` is left as it was.
    """
    p = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=f".part{p.suffix}", dir=p.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


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
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".exr":
        _check_format(frame, ext)
        atomic_write(p, lambda tmp: _write_exr(tmp, np.asarray(frame)))
    else:
        atomic_write_bytes(p, encode_frame(frame, ext, compression=compression))
