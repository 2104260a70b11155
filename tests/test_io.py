import os
from pathlib import Path

import numpy as np
import pytest

from laika_fx import io as lio
from laika_fx.io import FrameReadError, atomic_write_bytes, read_frame, write_frame

LAYOUTS = {"gray": (24, 32), "rgb": (24, 32, 3), "rgba": (24, 32, 4)}


def _random(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.float32:
        return (rng.random(shape, dtype=np.float32) * 4 - 1).astype(np.float32)  # HDR values too
    return rng.integers(0, np.iinfo(dtype).max, size=shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    "dtype, ext",
    [(np.uint8, ".png"), (np.uint16, ".png"), (np.uint8, ".tif"), (np.uint16, ".tiff"), (np.float32, ".exr"), (np.float32, ".tif")],
)
def test_lossless_round_trip_keeps_dtype_channels_and_values(tmp_path: Path, layout, dtype, ext):
    frame = _random(LAYOUTS[layout], dtype)
    path = tmp_path / f"f.0001{ext}"
    write_frame(path, frame)
    back = read_frame(path)
    assert back.dtype == frame.dtype
    assert back.shape == frame.shape
    np.testing.assert_array_equal(back, frame)


def test_channel_order_is_rgb(tmp_path: Path):
    frame = np.zeros((4, 4, 3), np.uint8)
    frame[..., 0] = 200  # red
    write_frame(tmp_path / "r.png", frame)
    import cv2

    bgr = cv2.imread(str(tmp_path / "r.png"))
    assert bgr[0, 0, 2] == 200 and bgr[0, 0, 0] == 0
    assert read_frame(tmp_path / "r.png")[0, 0, 0] == 200


def test_alpha_is_passed_through_untouched(tmp_path: Path):
    frame = _random((16, 16, 4), np.uint16)
    frame[..., 3] = np.arange(256, dtype=np.uint16).reshape(16, 16) * 257
    write_frame(tmp_path / "a.png", frame)
    np.testing.assert_array_equal(read_frame(tmp_path / "a.png")[..., 3], frame[..., 3])


def test_jpeg_is_8bit_and_close(tmp_path: Path):
    frame = np.full((32, 32, 3), 120, np.uint8)
    write_frame(tmp_path / "f.jpg", frame)
    back = read_frame(tmp_path / "f.jpg")
    assert back.dtype == np.uint8 and back.shape == frame.shape
    assert np.abs(back.astype(int) - 120).max() <= 2


@pytest.mark.parametrize("dtype, ext", [(np.float32, ".png"), (np.uint16, ".jpg"), (np.uint8, ".exr"), (np.uint8, ".bmp")])
def test_refuses_formats_that_would_change_the_data(tmp_path: Path, dtype, ext):
    with pytest.raises(ValueError):
        write_frame(tmp_path / f"f{ext}", np.zeros((4, 4, 3), dtype))


def test_unreadable_files_raise_frame_read_error(tmp_path: Path):
    (tmp_path / "zero.png").write_bytes(b"")
    (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\nthis is not a png")
    with pytest.raises(FrameReadError, match="empty"):
        read_frame(tmp_path / "zero.png")
    with pytest.raises(FrameReadError, match="could not be decoded"):
        read_frame(tmp_path / "junk.png")
    with pytest.raises(FrameReadError, match="cannot open"):
        read_frame(tmp_path / "missing.png")


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    atomic_write_bytes(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_atomic_write_failure_keeps_old_file(tmp_path: Path, monkeypatch):
    target = tmp_path / "f.png"
    write_frame(target, np.zeros((8, 8, 3), np.uint8))
    before = target.read_bytes()

    def boom(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(lio.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_frame(target, np.full((8, 8, 3), 255, np.uint8))
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["f.png"]  # the temporary file was removed


@pytest.mark.parametrize("code", [1, 5, 8])
def test_tiff_compression_is_read_and_kept(tmp_path: Path, code):
    frame = _random((32, 48, 3), np.uint16)
    write_frame(tmp_path / "f.tif", frame, compression=code)
    assert lio.tiff_compression(tmp_path / "f.tif") == code
    np.testing.assert_array_equal(read_frame(tmp_path / "f.tif"), frame)
    assert lio.tiff_compression(tmp_path / "f.tif") is not None
    (tmp_path / "x.png").write_bytes(b"\x89PNG....")
    assert lio.tiff_compression(tmp_path / "x.png") is None


def test_batch_keeps_uncompressed_tiff_uncompressed(tmp_path: Path):
    from laika_fx.cli import main

    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        write_frame(src / f"f.{i + 1:04d}.tif", _random((40, 60, 3), np.uint8, seed=i), compression=1)
    assert main(["batch", str(src), str(tmp_path / "out"), "--plugins", "deflicker", "-q"]) == 0
    assert lio.tiff_compression(tmp_path / "out" / "f.0001.tif") == 1


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("size", [(5, 7), (300, 200), (17, 4096)])
def test_uncompressed_tiff_is_written_as_opencv_would_and_read_without_it(tmp_path: Path, monkeypatch, dtype,
                                                                          layout, size):  # fmt: skip
    import cv2

    frame = _random(size + LAYOUTS[layout][2:], dtype)
    ok, expected = cv2.imencode(".tif", lio.to_bgr(frame), [cv2.IMWRITE_TIFF_COMPRESSION, 1])
    assert lio.encode_frame(frame, ".tif", compression=1) == expected.tobytes()  # byte for byte
    write_frame(tmp_path / "f.tif", frame, compression=1)
    assert (tmp_path / "f.tif").read_bytes() == expected.tobytes()
    opencv = lio.from_bgr(cv2.imdecode(np.fromfile(str(tmp_path / "f.tif"), np.uint8), cv2.IMREAD_UNCHANGED))
    if opencv.ndim == 3 and opencv.shape[2] == 1:
        opencv = opencv[:, :, 0]

    def no_opencv(*args):
        raise AssertionError("the plain TIFF reader should have read this file")

    monkeypatch.setattr(lio.cv2, "imdecode", no_opencv)
    got = read_frame(tmp_path / "f.tif")
    assert got.dtype == frame.dtype and got.flags.writeable
    np.testing.assert_array_equal(got, frame)
    np.testing.assert_array_equal(got, opencv)


def test_other_and_damaged_tiffs_fall_back_to_opencv(tmp_path: Path):
    frame = _random((30, 40, 3), np.uint8)
    write_frame(tmp_path / "lzw.tif", frame, compression=5)
    assert lio._read_plain_tiff(tmp_path / "lzw.tif") is None
    np.testing.assert_array_equal(read_frame(tmp_path / "lzw.tif"), frame)
    write_frame(tmp_path / "raw.tif", frame, compression=1)
    data = (tmp_path / "raw.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(data[: len(data) // 2])  # the directory follows the pixels
    assert lio._read_plain_tiff(tmp_path / "cut.tif") is None
    with pytest.raises(FrameReadError):
        read_frame(tmp_path / "cut.tif")
    big_endian = b"MM\0*" + data[4:]
    (tmp_path / "mm.tif").write_bytes(big_endian)
    assert lio._read_plain_tiff(tmp_path / "mm.tif") is None


def test_truncated_png_is_named_so_and_libpng_prints_nothing(tmp_path: Path, capfd):
    frame = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    path = tmp_path / "f.png"
    write_frame(path, frame)
    whole = path.read_bytes()
    path.write_bytes(whole + b"trailing bytes after IEND")  # still a readable PNG
    np.testing.assert_array_equal(read_frame(path), frame)
    path.write_bytes(whole[: len(whole) // 3])
    capfd.readouterr()
    with pytest.raises(FrameReadError, match="truncated"):
        read_frame(path)
    assert capfd.readouterr().err == ""
