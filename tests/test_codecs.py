"""Codec choice: the fast PNG writer is exact, PNG compression and output format options."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from laika_fx import io as lio
from laika_fx.cli import main
from laika_fx.io import convert_for_output, encode_frame, output_conversion, read_frame, write_frame

ROOT = Path(__file__).resolve().parent.parent


def _opencv_decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return lio.from_bgr(image)


def _frames(shape, dtype):
    """A random frame and a smooth one (real images compress; noise does not)."""
    rng = np.random.default_rng(sum(shape))
    top = np.iinfo(dtype).max
    noise = rng.integers(0, top, size=shape, dtype=dtype, endpoint=True)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    smooth = ((xx * 7 + yy * 3) % (top + 1)).astype(dtype)
    if len(shape) == 3:
        smooth = np.repeat(smooth[:, :, None], shape[2], axis=2)
        smooth[..., 0] = top - smooth[..., 0]
    return [noise, smooth]


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 9, 4), (7, 1, 3), (131, 257, 3), (131, 257, 4), (64, 64, 4)])
def test_fast_png_writer_is_used_for_8bit_rgb_and_rgba_and_is_bit_exact(tmp_path: Path, shape):
    fpng = pytest.importorskip("fpng")
    for i, frame in enumerate(_frames(shape, np.uint8)):
        data = encode_frame(frame, ".png")
        assert data == fpng.from_ndarray(np.ascontiguousarray(frame))  # the fast writer wrote it
        np.testing.assert_array_equal(_opencv_decode(data), frame)  # what OpenCV decodes
        path = tmp_path / f"f{i}.png"
        write_frame(path, frame)
        assert path.read_bytes() == data
        back = read_frame(path)
        assert back.dtype == np.uint8 and back.shape == frame.shape
        np.testing.assert_array_equal(back, frame)
    # a non-contiguous view is written as its values
    frame = _frames((40, 60, 4), np.uint8)[0]
    np.testing.assert_array_equal(_opencv_decode(encode_frame(frame[:, ::2, :3], ".png")), frame[:, ::2, :3])


@pytest.mark.parametrize("png_compression", lio.PNG_COMPRESSIONS)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("layout", [(33, 47), (33, 47, 3), (33, 47, 4)])
def test_png_round_trips_are_exact_for_every_layout(tmp_path: Path, png_compression, dtype, layout):
    for i, frame in enumerate(_frames(layout, dtype)):
        path = tmp_path / f"f{i}.png"
        write_frame(path, frame, png_compression=png_compression)
        back = read_frame(path)
        assert back.dtype == frame.dtype and back.shape == frame.shape
        np.testing.assert_array_equal(back, frame)
        np.testing.assert_array_equal(_opencv_decode(path.read_bytes()), frame)


def test_small_png_compression_is_smaller_with_the_same_pixels(tmp_path: Path):
    frame = read_frame(ROOT / "sample_frames" / "frame.1001.png")
    fast, small = encode_frame(frame, ".png"), encode_frame(frame, ".png", png_compression="small")
    assert len(small) < 0.9 * len(fast)
    np.testing.assert_array_equal(_opencv_decode(small), _opencv_decode(fast))
    with pytest.raises(ValueError, match="png_compression"):
        encode_frame(frame, ".png", png_compression="tiny")


def test_conversion_rule():
    assert output_conversion(np.uint8, ".tif") is None and output_conversion(np.float32, ".tif") is None
    assert output_conversion(np.uint16, ".png") is None and output_conversion(np.float32, ".exr") is None
    assert "value / 255" in output_conversion(np.uint8, ".exr")
    assert "value / 65535" in output_conversion(np.uint16, ".exr")
    assert "clip" in output_conversion(np.float32, ".png")
    u16 = np.array([[0, 1, 32768, 65535]], np.uint16)
    f = convert_for_output(u16, ".exr")
    assert f.dtype == np.float32
    np.testing.assert_array_equal(np.rint(f * 65535).astype(np.uint16), u16)  # reversible
    assert convert_for_output(np.array([[255]], np.uint8), ".exr")[0, 0] == 1.0
    back = convert_for_output(np.array([[-0.5, 0.0, 0.25, 1.0, 7.0]], np.float32), ".png")
    np.testing.assert_array_equal(back, np.array([[0, 0, 16384, 65535, 65535]], np.uint16))
    frame = np.zeros((2, 2, 4), np.uint8)
    assert convert_for_output(frame, ".tif") is frame
    with pytest.raises(ValueError):
        convert_for_output(np.zeros((2, 2), np.uint16), ".jpg")


def _shot(folder: Path, frames, ext: str) -> Path:
    folder.mkdir()
    for i, frame in enumerate(frames):
        write_frame(folder / f"s.{i + 1:04d}{ext}", frame)
    return folder


def _batch(src: Path, out: Path, *extra: str) -> int:
    return main(["batch", str(src), str(out), "--plugins", "deflicker", "-q", "--workers", "1", *extra])


@pytest.mark.parametrize("layout", [(40, 56), (40, 56, 3), (40, 56, 4)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_output_format_tiff_keeps_depth_channels_and_pixels(tmp_path: Path, layout, dtype):
    frames = [_frames(layout, dtype)[1] for _ in range(3)]
    src = _shot(tmp_path / "in", frames, ".png")
    assert _batch(src, tmp_path / "png") == 0
    assert _batch(src, tmp_path / "tif", "--output-format", "tiff") == 0
    assert sorted(p.name for p in (tmp_path / "tif").glob("s.*")) == [f"s.000{i}.tif" for i in (1, 2, 3)]
    for i in (1, 2, 3):
        png, tif = read_frame(tmp_path / "png" / f"s.000{i}.png"), read_frame(tmp_path / "tif" / f"s.000{i}.tif")
        assert tif.dtype == dtype and tif.shape == frames[0].shape
        np.testing.assert_array_equal(tif, png)


def test_output_format_exr_needs_float_or_convert(tmp_path: Path, capsys):
    frames = [_frames((24, 32, 4), np.uint16)[1] for _ in range(2)]
    src = _shot(tmp_path / "in", frames, ".png")
    assert _batch(src, tmp_path / "exr", "--output-format", "exr") == 2
    err = capsys.readouterr().err
    assert "the shot is uint16: EXR cannot hold it as it is (--convert writes it as float32 EXR as value / 65535)" in err
    assert not list((tmp_path / "exr").glob("s.*"))
    assert _batch(src, tmp_path / "png", "--plugins", "deflicker") == 0
    assert _batch(src, tmp_path / "exr", "--output-format", "exr", "--convert") == 0
    for i in (1, 2):
        exr = read_frame(tmp_path / "exr" / f"s.000{i}.exr")
        png = read_frame(tmp_path / "png" / f"s.000{i}.png")
        assert exr.dtype == np.float32 and exr.shape == (24, 32, 4)
        np.testing.assert_array_equal(np.rint(exr * 65535).astype(np.uint16), png)


def test_float_shot_to_png_needs_convert_and_tiff_keeps_float(tmp_path: Path, capsys):
    rng = np.random.default_rng(3)
    frames = [rng.random((20, 30, 3), dtype=np.float32) * 1.2 for _ in range(2)]
    src = _shot(tmp_path / "in", frames, ".exr")
    assert _batch(src, tmp_path / "png", "--output-format", "png") == 2
    assert "the shot is float32: PNG cannot hold it as it is (--convert writes it as 16-bit PNG" in capsys.readouterr().err
    assert _batch(src, tmp_path / "png", "--output-format", "png", "--convert") == 0
    assert _batch(src, tmp_path / "same") == 0
    assert _batch(src, tmp_path / "tif", "--output-format", "tiff") == 0
    for i in (1, 2):
        same = read_frame(tmp_path / "same" / f"s.000{i}.exr")
        png = read_frame(tmp_path / "png" / f"s.000{i}.png")
        tif = read_frame(tmp_path / "tif" / f"s.000{i}.tif")
        assert png.dtype == np.uint16 and tif.dtype == np.float32
        np.testing.assert_array_equal(png, np.rint(np.clip(same, 0, 1) * 65535).astype(np.uint16))
        np.testing.assert_array_equal(tif, same)


def test_resume_and_png_compression_with_an_output_format(tmp_path: Path):
    frames = [_frames((40, 56, 3), np.uint8)[1] for _ in range(3)]
    src = _shot(tmp_path / "in", frames, ".tif")
    out = tmp_path / "out"
    assert _batch(src, out, "--output-format", "png", "--frames", "1-2") == 0
    first = (out / "s.0001.png").stat().st_mtime_ns
    assert _batch(src, out, "--output-format", "png", "--resume") == 0
    assert (out / "s.0001.png").stat().st_mtime_ns == first  # skipped: already written as PNG
    assert (out / "s.0003.png").exists() and not list(out.glob("*.tif"))
    assert _batch(src, tmp_path / "small", "--output-format", "png", "--png-compression", "small") == 0
    for i in (1, 2, 3):
        np.testing.assert_array_equal(read_frame(tmp_path / "small" / f"s.000{i}.png"), read_frame(out / f"s.000{i}.png"))


@pytest.mark.parametrize("layout", [(20, 30), (20, 30, 3), (20, 30, 4)])
def test_exr_half_round_trip_and_probe(tmp_path: Path, layout):
    rng = np.random.default_rng(5)
    frame = (rng.random(layout, dtype=np.float32) * 8 - 2).astype(np.float16).astype(np.float32)
    write_frame(tmp_path / "h.exr", frame, exr_half=True)
    write_frame(tmp_path / "f.exr", frame)
    assert lio.probe_frame(tmp_path / "h.exr").stored_dtype == np.float16
    assert lio.probe_frame(tmp_path / "f.exr").stored_dtype is None
    assert (tmp_path / "h.exr").stat().st_size < (tmp_path / "f.exr").stat().st_size
    for name in ("h.exr", "f.exr"):
        back = read_frame(tmp_path / name)
        assert back.dtype == np.float32
        np.testing.assert_array_equal(back, frame)


def test_half_exr_shot_stays_half(tmp_path: Path):
    rng = np.random.default_rng(6)
    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        write_frame(src / f"s.000{i + 1}.exr", rng.random((20, 30, 3), dtype=np.float32), exr_half=True)
    assert _batch(src, tmp_path / "out") == 0
    assert _batch(src, tmp_path / "tif", "--output-format", "tiff") == 0
    for i in (1, 2):
        out = tmp_path / "out" / f"s.000{i}.exr"
        assert lio.probe_frame(out).stored_dtype == np.float16
        full = read_frame(tmp_path / "tif" / f"s.000{i}.tif")  # the same result as float32
        np.testing.assert_array_equal(read_frame(out), full.astype(np.float16).astype(np.float32))


@pytest.mark.parametrize("half", [True, False])
def test_report_gives_the_exr_sample_type_stored(tmp_path: Path, capsys, half: bool):
    rng = np.random.default_rng(7)
    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        write_frame(src / f"s.000{i + 1}.exr", rng.random((20, 30, 3), dtype=np.float32), exr_half=half)
    capsys.readouterr()
    assert _batch(src, tmp_path / "out") == 0
    expected = "float16" if half else "float32"  # as `laika-fx info` says (was float32 for both)
    assert f"30x20 {expected} x3" in capsys.readouterr().out
    assert json.loads((tmp_path / "out" / "laika_fx_report.json").read_text())["dtype"] == expected


def test_opencv_writes_when_fpng_is_missing(monkeypatch):
    frame = _frames((30, 40, 3), np.uint8)[1]
    monkeypatch.setattr(lio, "_FPNG", None)  # as if the import had failed
    data = encode_frame(frame, ".png")
    ok, expected = cv2.imencode(".png", lio.to_bgr(frame))
    assert data == expected.tobytes()
    np.testing.assert_array_equal(_opencv_decode(data), frame)
