"""Header probe and size limits: frames are described and refused from their headers,
before any pixel buffer is allocated (malicious files are made here)."""

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from laika_fx import io as lio
from laika_fx.io import FrameInfo, FrameReadError, probe_frame, read_frame, write_frame


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width, height, depth, color, idat: bytes, extra: bytes = b"") -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return lio._PNG_MAGIC + _chunk(b"IHDR", ihdr) + extra + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _no_decoding(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the frame was decoded although its header should have refused it")

    monkeypatch.setattr(lio.cv2, "imdecode", refuse)
    monkeypatch.setattr(lio, "_read_exr", refuse)
    monkeypatch.setattr(lio, "_read_plain_tiff", refuse)


def _random(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.float32:
        return rng.random(shape, dtype=np.float32)
    return rng.integers(0, np.iinfo(dtype).max, size=shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("shape", [(23, 31), (23, 31, 3), (23, 31, 4)])
@pytest.mark.parametrize(
    "dtype, ext, fmt",
    [(np.uint8, ".png", "png"), (np.uint16, ".png", "png"), (np.uint8, ".tif", "tiff"), (np.uint16, ".tif", "tiff"),
     (np.float32, ".tif", "tiff"), (np.float32, ".exr", "exr"), (np.uint8, ".jpg", "jpeg")],
)  # fmt: skip
def test_probe_describes_what_read_frame_returns(tmp_path: Path, shape, dtype, ext, fmt):
    if ext == ".jpg" and len(shape) == 3 and shape[2] == 4:
        pytest.skip("JPEG has no alpha")
    path = tmp_path / f"f{ext}"
    write_frame(path, _random(shape, dtype))
    info = probe_frame(path)
    frame = read_frame(path)
    assert info == FrameInfo(31, 23, 1 if len(shape) == 2 else shape[2], np.dtype(dtype), fmt)
    assert (info.shape, info.dtype) == (frame.shape, frame.dtype)


@pytest.mark.parametrize("compression", [1, 5, 8])
def test_probe_reads_compressed_and_big_endian_and_bigtiff(tmp_path: Path, compression):
    import tifffile

    frame = _random((9, 13, 3), np.uint16)
    write_frame(tmp_path / "c.tif", frame, compression=compression)
    assert probe_frame(tmp_path / "c.tif").shape == (9, 13, 3)
    tifffile.imwrite(tmp_path / "be.tif", frame, byteorder=">", photometric="rgb")
    tifffile.imwrite(tmp_path / "big.tif", frame, bigtiff=True, photometric="rgb")
    for name in ("be.tif", "big.tif"):
        info = probe_frame(tmp_path / name)
        assert (info.shape, info.dtype) == ((9, 13, 3), np.uint16)
        np.testing.assert_array_equal(read_frame(tmp_path / name), frame)


def test_probe_png_variants_match_the_decoder(tmp_path: Path):
    row = bytes(range(4))
    plte = _chunk(b"PLTE", bytes(range(6)))
    cases = {
        "gray1": (_png(8, 2, 1, 0, zlib.compress(b"\0\xa5" * 2)), (2, 8)),
        "gray_trns": (_png(4, 2, 8, 0, zlib.compress((b"\0" + row) * 2), _chunk(b"tRNS", b"\0\1")), (2, 4)),
        "gray_alpha": (_png(2, 2, 8, 4, zlib.compress((b"\0" + row) * 2)), (2, 2, 4)),
        "palette": (_png(4, 2, 8, 3, zlib.compress(b"\0\0\1\0\1" * 2), plte), (2, 4, 3)),
        "palette_trns": (_png(4, 2, 8, 3, zlib.compress(b"\0\0\1\0\1" * 2), plte + _chunk(b"tRNS", b"\x80")), (2, 4, 4)),
        "rgb_trns": (_png(2, 2, 8, 2, zlib.compress((b"\0" + bytes(6)) * 2), _chunk(b"tRNS", bytes(6))), (2, 2, 4)),
    }  # fmt: skip
    for name, (data, shape) in cases.items():
        path = tmp_path / f"{name}.png"
        path.write_bytes(data)
        assert probe_frame(path).shape == shape, name
        assert read_frame(path).shape == shape, name


def test_png_bomb_is_refused_from_its_header(tmp_path: Path, monkeypatch):
    # 20000 x 20000 gray: 400 MB of pixels from a few kB of file (a real deflate bomb)
    z = zlib.compressobj(9)
    row = b"\0" * 20001
    idat = b"".join(z.compress(row * 1000) for _ in range(20)) + z.flush()
    path = tmp_path / "bomb.png"
    path.write_bytes(_png(20000, 20000, 8, 0, idat))
    assert path.stat().st_size < 1_000_000
    assert probe_frame(path) == FrameInfo(20000, 20000, 1, np.dtype(np.uint8), "png")
    _no_decoding(monkeypatch)
    with pytest.raises(FrameReadError, match=r"bomb.png is 20000x20000 \(400 megapixels\), above the limit of 268 megapixels"):
        read_frame(path)


def test_pixel_limit_is_configurable(tmp_path: Path, monkeypatch):
    path = tmp_path / "f.png"
    write_frame(path, np.zeros((40, 60, 3), np.uint8))
    assert lio.MAX_PIXELS == 16384 * 16384
    with pytest.raises(FrameReadError, match="above the limit"):
        read_frame(path, max_pixels=2399)
    assert read_frame(path, max_pixels=2400).shape == (40, 60, 3)
    with lio.pixel_limit(1000):
        with pytest.raises(FrameReadError, match="above the limit"):
            read_frame(path)
        assert read_frame(path, max_pixels=0).shape == (40, 60, 3)  # 0: no limit
    assert lio.MAX_PIXELS == 16384 * 16384
    assert lio.parse_pixel_limit("16384x16384") == 16384 * 16384
    assert lio.parse_pixel_limit("5000") == 5000
    for bad in ("", "12x", "-5", "1e9", "3x4x5"):
        with pytest.raises(ValueError):
            lio.parse_pixel_limit(bad)


def test_cli_max_pixels_refuses_frames_and_names_them(tmp_path: Path, capsys):
    from laika_fx.cli import main

    src = tmp_path / "in"
    src.mkdir()
    write_frame(src / "f.0001.png", np.zeros((40, 60, 3), np.uint8))
    write_frame(src / "f.0002.png", np.zeros((40, 60, 3), np.uint8))
    code = main(["batch", str(src), str(tmp_path / "out"), "--plugins", "deflicker", "-q", "--max-pixels", "50x40"])
    assert code == 2
    assert not (tmp_path / "out" / "f.0001.png").exists()
    capsys.readouterr()
    assert main(["info", str(src), "--max-pixels", "2000"]) == 0
    assert "f.0001.png is 60x40 (0.0024 megapixels), above the limit of 0.002 megapixels" in capsys.readouterr().out
    assert lio.MAX_PIXELS == 16384 * 16384  # restored after the command
    assert main(["batch", str(src), str(tmp_path / "out2"), "--plugins", "deflicker", "-q",
                 "--max-pixels", "60x40"]) == 0  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        main(["batch", str(src), str(tmp_path / "out3"), "--max-pixels", "lots"])
    assert exc.value.code == 2
    assert "--max-pixels" in capsys.readouterr().err


def _tiff_with_count(tmp_path: Path, tag_wanted: int, count: int) -> Path:
    ok, buf = cv2.imencode(".tif", _random((40, 60, 3), np.uint8))  # LZW, ~10 kB
    data = bytearray(buf.tobytes())
    (ifd,) = struct.unpack("<I", data[4:8])
    (n,) = struct.unpack("<H", data[ifd : ifd + 2])
    for i in range(n):
        at = ifd + 2 + 12 * i
        if struct.unpack("<H", data[at : at + 2])[0] == tag_wanted:
            data[at + 4 : at + 8] = struct.pack("<I", count)
            break
    else:
        raise AssertionError(f"tag {tag_wanted} not written by OpenCV")
    path = tmp_path / f"count{tag_wanted}.tif"
    path.write_bytes(bytes(data))
    return path


_RSS_SCRIPT = """
import resource, sys
from laika_fx import io
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for path in sys.argv[1:]:
    for call in (io.probe_frame, io.read_frame, io.tiff_compression):
        try:
            call(path)
        except io.FrameReadError:
            pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


@pytest.mark.parametrize("tag", [258, 273, 279, 339])
def test_tiff_tag_count_is_bounded_before_allocation(tmp_path: Path, tag):
    # one edited count in the directory of a 10 kB TIFF: 20 million values declared
    path = _tiff_with_count(tmp_path, tag, 20_000_000)
    with pytest.raises(FrameReadError, match=f"TIFF tag {tag} declares 20000000 values, more than the"):
        probe_frame(path)
    with pytest.raises(FrameReadError, match="declares 20000000 values"):
        read_frame(path)
    assert lio.tiff_compression(path) is None
    grown_kb = int(subprocess.run([sys.executable, "-c", _RSS_SCRIPT, str(path)], capture_output=True, text=True,
                                  check=True, timeout=120).stdout)  # fmt: skip
    assert grown_kb < 50_000, f"reading a 10 kB file grew the process by {grown_kb / 1024:.0f} MB"


def test_tiff_directory_entry_count_is_bounded(tmp_path: Path):
    ok, buf = cv2.imencode(".tif", np.zeros((4, 4), np.uint8))
    data = bytearray(buf.tobytes())
    (ifd,) = struct.unpack("<I", data[4:8])
    data[ifd : ifd + 2] = struct.pack("<H", 65535)
    (tmp_path / "many.tif").write_bytes(bytes(data))
    with pytest.raises(FrameReadError, match="65535 entries"):
        read_frame(tmp_path / "many.tif")
    data[4:8] = struct.pack("<I", 10**9)  # directory past the end of the file
    (tmp_path / "far.tif").write_bytes(bytes(data))
    with pytest.raises(FrameReadError, match="past the end of the file"):
        read_frame(tmp_path / "far.tif")


def test_jpeg_and_exr_giants_are_refused_from_their_headers(tmp_path: Path, monkeypatch):
    write_frame(tmp_path / "f.jpg", _random((16, 16, 3), np.uint8))
    data = bytearray((tmp_path / "f.jpg").read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)
    (tmp_path / "big.jpg").write_bytes(bytes(data))
    write_frame(tmp_path / "f.exr", _random((16, 16, 3), np.float32))
    data = bytearray((tmp_path / "f.exr").read_bytes())
    at = data.index(b"dataWindow\0box2i\0") + len(b"dataWindow\0box2i\0") + 4
    data[at : at + 16] = struct.pack("<4i", 0, 0, 99999, 99999)
    (tmp_path / "big.exr").write_bytes(bytes(data))
    assert probe_frame(tmp_path / "big.jpg") == FrameInfo(60000, 60000, 3, np.dtype(np.uint8), "jpeg")
    assert probe_frame(tmp_path / "big.exr") == FrameInfo(100000, 100000, 3, np.dtype(np.float32), "exr")
    _no_decoding(monkeypatch)
    for name in ("big.jpg", "big.exr"):
        with pytest.raises(FrameReadError, match="above the limit"):
            read_frame(tmp_path / name)


def test_damaged_headers_give_one_line_reasons(tmp_path: Path):
    write_frame(tmp_path / "f.exr", _random((8, 8), np.float32))
    exr = bytearray((tmp_path / "f.exr").read_bytes())
    at = exr.index(b"channels\0chlist\0") + len(b"channels\0chlist\0")
    exr[at : at + 4] = struct.pack("<i", 2**31 - 1)
    cases = {
        "text.png": (b"hello, not an image", "not a PNG, TIFF, JPEG or EXR file"),
        "cut.png": (lio._PNG_MAGIC + b"\0\0\0\x0dIHDR\0\0", "cut short|past the end"),
        "notfirst.png": (lio._PNG_MAGIC + _chunk(b"tEXt", b"a\0b"), "IHDR is not the first chunk"),
        "zero.png": (_png(0, 10, 8, 0, b""), "0x10"),
        "depth.png": (_png(4, 4, 3, 2, b""), "bit depth 3"),
        "nosof.jpg": (b"\xff\xd8\xff\xda\0\2", "no frame header"),
        "attr.exr": (bytes(exr), "declares 2147483647 bytes"),
        "tiny.tif": (b"II*\0", "cut short|past the end"),
    }
    for name, (data, reason) in cases.items():
        (tmp_path / name).write_bytes(data)
        for call in (probe_frame, read_frame):
            with pytest.raises(FrameReadError, match=reason) as exc:
                call(tmp_path / name)
            assert "\n" not in str(exc.value) and name in str(exc.value)
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(FrameReadError, match="cannot open"):
        probe_frame(tmp_path / "folder.png")


def test_format_comes_from_the_content_not_the_extension(tmp_path: Path):
    frame = _random((10, 12, 3), np.uint8)
    write_frame(tmp_path / "f.png", frame)
    (tmp_path / "really_png.tif").write_bytes((tmp_path / "f.png").read_bytes())
    assert probe_frame(tmp_path / "really_png.tif").format == "png"
    np.testing.assert_array_equal(read_frame(tmp_path / "really_png.tif"), frame)


def test_decoded_size_must_match_the_header(tmp_path: Path, monkeypatch):
    write_frame(tmp_path / "f.png", np.zeros((10, 12, 3), np.uint8))
    monkeypatch.setattr(lio, "_read_opencv", lambda p, **_: np.zeros((11, 12, 3), np.uint8))
    with pytest.raises(FrameReadError, match=r"header says 12x10, the image data 12x11"):
        read_frame(tmp_path / "f.png")


def test_reading_a_fifo_directly_fails_at_once(tmp_path):
    """read_frame/probe_frame refuse a FIFO before opening it (opening one blocks forever)."""
    import os
    import threading

    from laika_fx.io import FrameReadError, probe_frame, read_frame

    fifo = tmp_path / "frame.1001.png"
    os.mkfifo(fifo)
    errors = []

    def attempt():
        for fn in (probe_frame, read_frame):
            try:
                fn(fifo)
            except FrameReadError as exc:
                errors.append(str(exc))

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "reading a FIFO blocked"
    assert len(errors) == 2 and all("FIFO" in e for e in errors), errors
