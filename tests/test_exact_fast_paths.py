"""Session 7's speed paths give exactly what the paths they replace gave.

Each faster path (RGB PNGs decoded straight to RGB, the stabilize coverage template and
affine check, OpenVINO called on the inputs in place, the inpainter converting only each
tile's core, fpng run in a helper process) is compared here with the computation it replaced, on real files and the
shipped networks; the end-to-end bytes are held by ``test_sample_golden.py`` and
``test_determinism.py``.
"""

from __future__ import annotations

import errno
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from laika_fx import io as lio
from laika_fx.accelerators.runtime import available, compile_model, model_path
from laika_fx.encoder import PngEncoderProcess, start_png_encoder
from laika_fx.seam_removal.detector import to_unit_rgb
from laika_fx.seam_removal.inpaint import (
    TELEA_RADIUS,
    Inpainter,
    _from_unit,
    _paste,
    _plan,
    telea_fill,
)
from laika_fx.stabilize import warp

from .conftest import descendants, needs_two_cpus, still_alive

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- PNG decoding
def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(path: Path, rows: list[bytes], width: int, height: int, depth: int, color: int, *,
         palette: bytes = b"", trns: bytes = b"", interlace: int = 0) -> Path:  # fmt: skip
    """A PNG written byte by byte (filter 0 rows): colour types and depths OpenCV's writer
    does not make (palettes, 1/4-bit)."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    body = _chunk(b"IHDR", ihdr)
    if palette:
        body += _chunk(b"PLTE", palette)
    if trns:
        body += _chunk(b"tRNS", trns)
    raw = b"".join(b"\0" + r for r in rows)
    path.write_bytes(lio._PNG_MAGIC + body + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))
    return path


def _opencv_unchanged(path: Path) -> np.ndarray:
    """What read_frame returned before: IMREAD_UNCHANGED, then BGR(A) -> RGB(A)."""
    return lio.from_bgr(cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_UNCHANGED))


def _packed_rows(idx: np.ndarray, depth: int) -> list[bytes]:
    per = 8 // depth
    rows = []
    for r in idx:
        padded = np.concatenate([r, np.zeros((-len(r)) % per, np.uint8)]).reshape(-1, per)
        shifts = np.arange(per - 1, -1, -1, dtype=np.uint8) * depth
        rows.append((padded << shifts).sum(axis=1).astype(np.uint8).tobytes())
    return rows


def _png_cases(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(7)
    h, w = 37, 53
    rgb8 = rng.integers(0, 256, (h, w, 3), np.uint8)
    rgb16 = rng.integers(0, 65536, (h, w, 3), np.uint16)
    cases = {}
    cv2.imwrite(str(tmp_path / "rgb8.png"), rgb8)
    cases["rgb8 (OpenCV)"] = tmp_path / "rgb8.png"
    cv2.imwrite(str(tmp_path / "rgb16.png"), rgb16)
    cases["rgb16 (OpenCV)"] = tmp_path / "rgb16.png"
    lio.write_frame(tmp_path / "rgb8_fpng.png", rgb8)
    cases["rgb8 (fpng)"] = tmp_path / "rgb8_fpng.png"
    cases["rgb8 (by hand)"] = _png(tmp_path / "rgb8_hand.png", [r.tobytes() for r in rgb8], w, h, 8, 2)
    cases["rgb16 (by hand)"] = _png(tmp_path / "rgb16_hand.png", [r.astype(">u2").tobytes() for r in rgb16], w, h, 16, 2)
    palette = rng.integers(0, 256, 256 * 3, np.uint8).tobytes()
    for depth in (1, 2, 4, 8):
        idx = rng.integers(0, 2**depth, (h, w), np.uint8)
        cases[f"palette {depth}-bit"] = _png(tmp_path / f"pal{depth}.png", _packed_rows(idx, depth), w, h, depth, 3,
                                             palette=palette[: 3 * 2**depth])  # fmt: skip
    idx = rng.integers(0, 16, (h, w), np.uint8)
    cases["palette + tRNS (RGBA)"] = _png(tmp_path / "palt.png", [r.tobytes() for r in idx], w, h, 8, 3,
                                          palette=palette[:48], trns=bytes([0, 128, 255]))  # fmt: skip
    cases["rgb + tRNS (RGBA)"] = _png(tmp_path / "rgbt.png", [r.tobytes() for r in rgb8], w, h, 8, 2,
                                      trns=struct.pack(">HHH", 1, 2, 3))  # fmt: skip
    lio.write_frame(tmp_path / "rgba8.png", np.dstack([rgb8, rgb8[..., :1]]))
    cases["rgba8"] = tmp_path / "rgba8.png"
    lio.write_frame(tmp_path / "gray16.png", rgb16[..., 0])
    cases["gray16"] = tmp_path / "gray16.png"
    cases["sample frame"] = ROOT / "sample_frames" / "frame.1001.png"
    return cases


def test_rgb_pngs_decode_to_what_unchanged_and_a_channel_swap_gave(tmp_path: Path):
    for name, path in _png_cases(tmp_path).items():
        new, old = lio.read_frame(path), _opencv_unchanged(path)
        assert new.dtype == old.dtype and new.shape == old.shape, name
        assert np.array_equal(new, old), name
        assert new.flags.c_contiguous and new.flags.writeable, name
        info = lio.probe_frame(path)
        assert (info.channels, info.dtype) == ((new.shape[2] if new.ndim == 3 else 1), new.dtype), name


def test_an_rgb_png_with_a_bad_crc_is_still_refused(tmp_path: Path):
    rgb8 = np.random.default_rng(1).integers(0, 256, (20, 30, 3), np.uint8)
    path = _png(tmp_path / "bad.png", [r.tobytes() for r in rgb8], 30, 20, 8, 2)
    data = bytearray(path.read_bytes())
    at = data.index(b"IDAT")
    data[at + 10] ^= 0xFF  # a byte of the compressed rows: the chunk's CRC no longer matches
    path.write_bytes(bytes(data))
    assert lio.probe_frame(path).channels == 3  # the fast path is the one tried
    with pytest.raises(lio.FrameReadError):
        lio.read_frame(path)


# ---------------------------------------------------------------- stabilize render
@pytest.mark.parametrize("row", [
    [0.0, 0.0, 1.0], [1e-12, -1e-12, 1.0], [2e-12, 0.0, 1.0], [0.0, -1.5e-12, 1.0], [0.0, 0.0, 1.0 + 1e-5],
    [0.0, 0.0, 1.0 + 1.0000011e-5], [0.0, 0.0, 1.0 - 1.00001e-5], [0.0, 0.0, 1.0 - 1.0000012e-5],
    [np.nan, 0.0, 1.0], [0.0, 0.0, np.inf], [0.0, 0.0, -1.0], [1e-13, 5e-13, 0.999995],
])  # fmt: skip
def test_affine_check_is_allclose_at_the_tolerance_edges(row):
    m = np.eye(3)
    m[2] = row
    assert warp._is_affine(m) == bool(np.allclose(m[2], [0.0, 0.0, 1.0], atol=1e-12))


def _coverage_fresh(matrix, input_size, output_size, region=None):
    """coverage() as it was: a new template per call."""
    w, h = input_size
    inner = np.zeros((h, w), np.uint8)
    inner[1:-1, 1:-1] = 1
    inverse = np.linalg.inv(warp._shifted(matrix, region))
    inverse /= inverse[2, 2]
    size = output_size if region is None else tuple(region[2:])
    flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    if np.allclose(inverse[2], [0.0, 0.0, 1.0], atol=1e-12):
        return cv2.warpAffine(inner, inverse[:2], size, flags=flags, borderValue=0) > 0
    return cv2.warpPerspective(inner, inverse, size, flags=flags, borderValue=0) > 0


def test_coverage_with_the_kept_template_is_the_coverage_made_afresh():
    rng = np.random.default_rng(3)
    for size in [(160, 90), (97, 61), (160, 90)]:
        w, h = size
        for _ in range(6):
            m = np.eye(3)
            m[:2, :2] += rng.normal(0, 0.01, (2, 2))
            m[:2, 2] = rng.normal(0, 4, 2)
            if rng.random() < 0.5:
                m[2, :2] = rng.normal(0, 1e-4, 2)  # a homography
            for region in (None, (0, 0, w, 7), (w - 9, 5, 9, h - 10)):
                assert np.array_equal(warp.coverage(m, size, size, region=region),
                                      _coverage_fresh(m, size, size, region))  # fmt: skip
    template = warp._inner((97, 61))
    assert not template.flags.writeable and template.shape == (61, 97)
    assert template.sum() == 95 * 59 and warp._inner((97, 61)) is template


# ---------------------------------------------------------------- OpenVINO calls
needs_inpainter = pytest.mark.skipif(not available("inpainter"), reason="shipped inpainter missing")


@needs_inpainter
def test_network_outputs_are_the_plain_infer_outputs_and_stay_the_callers():
    net = compile_model(model_path("inpainter", "int8"), precision="f32", shape=[(1, 7, 64, 96)])
    rng = np.random.default_rng(0)
    x1 = rng.random((1, 7, 64, 96), dtype=np.float32)
    x2 = np.ascontiguousarray(rng.random((1, 64, 96, 7), dtype=np.float32).transpose(0, 3, 1, 2))  # a view
    req = net.compiled.create_infer_request()  # the plain way: inputs copied into the request
    plain = []
    for x in (x1, x2):
        req.infer([np.ascontiguousarray(x)])
        plain.append(req.get_output_tensor(0).data.copy())
    out1 = net(x1)[0]
    keep = out1.copy()
    out2 = net(x2)[0]
    assert np.array_equal(out1, plain[0]) and np.array_equal(out2, plain[1])
    assert np.array_equal(out1, keep)  # the second call did not write into the first's result
    x1[:] = 0
    assert np.array_equal(out1, keep)  # nor does the caller's input, changed afterwards


def test_a_model_compiled_by_a_relative_path_is_found_again(tmp_path: Path, monkeypatch):
    if not available("aligner"):
        pytest.skip("shipped aligner missing")
    import shutil

    src = model_path("aligner", "int8")
    for suffix in (".xml", ".bin"):
        shutil.copy(src.with_suffix(suffix), tmp_path / f"a{suffix}")
    monkeypatch.chdir(tmp_path)
    a = compile_model(Path("a.xml"), shape=[(1, 2, 128, 128)])
    assert compile_model(tmp_path / "a.xml", shape=[(1, 2, 128, 128)]) is a
    assert compile_model(Path("a.xml"), shape=[(1, 2, 128, 128)]) is a


# ---------------------------------------------------------------- the inpainter
def _inpaint_whole_tiles(inp: Inpainter, frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The learned inpainter as it was: each tile's whole prediction converted, then its
    core's mask pixels pasted."""
    hole = np.asarray(mask) > 0
    tw, tiles = _plan(hole)
    out = frame.copy()
    ry0, rx0 = min(t[0] for t in tiles), min(t[1] for t in tiles)
    ry1, rx1 = max(t[0] + t[2] for t in tiles), max(t[1] for t in tiles) + tw
    region = frame[ry0:ry1, rx0:rx1]
    if region.dtype == np.uint8 and region.ndim == 3:
        telea8 = cv2.inpaint(np.ascontiguousarray(region[:, :, :3]), hole[ry0:ry1, rx0:rx1].astype(np.uint8),
                             TELEA_RADIUS, cv2.INPAINT_TELEA)  # fmt: skip
        scale = 255.0

        def unit(sl, rl):
            return frame[sl][:, :, :3].astype(np.float32) * np.float32(1 / 255), telea8[rl].astype(np.float32) / 255
    else:
        rgb_r, scale = to_unit_rgb(region)
        telea_r = telea_fill(rgb_r, hole[ry0:ry1, rx0:rx1])

        def unit(sl, rl):
            return rgb_r[rl], telea_r[rl]

    for y0, x0, th, cy0, cy1, cx0, cx1 in tiles:
        net = inp._net(th, tw)
        x = np.empty((1, 7, th, tw), np.float32)
        sl = np.s_[y0 : y0 + th, x0 : x0 + tw]
        rl = np.s_[y0 - ry0 : y0 - ry0 + th, x0 - rx0 : x0 - rx0 + tw]
        tile_hole = hole[sl]
        hf = tile_hole.astype(np.float32)
        rgb, telea = unit(sl, rl)
        x[0, :3] = (rgb * (1 - hf[..., None])).transpose(2, 0, 1)
        x[0, 3] = hf
        x[0, 4:] = telea.transpose(2, 0, 1)
        fill = np.clip(net(x)[0][0].transpose(1, 2, 0), 0, 1)
        own = np.zeros_like(tile_hole)
        own[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0] = True
        _paste(out[sl], _from_unit(fill, frame, scale), tile_hole & own)
    return out


@needs_inpainter
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_inpainter_converting_tile_cores_gives_what_whole_tiles_gave(dtype, channels):
    rgb = lio.read_frame(ROOT / "sample_frames" / "frame.1003.png").astype(np.float32) / 255
    if dtype == np.float32:
        colour = rgb * 2.0  # HDR values above 1
    else:
        colour = (rgb * np.iinfo(dtype).max + 0.5).astype(dtype)
    colour = colour.astype(dtype)
    if channels == 1:
        frame = colour.mean(axis=2).astype(dtype)
    elif channels == 4:
        alpha = np.linspace(0, 1, rgb.shape[1], dtype=np.float32)[None, :].repeat(rgb.shape[0], 0)
        frame = np.dstack([colour, (alpha * (1 if dtype == np.float32 else np.iinfo(dtype).max)).astype(dtype)])
    else:
        frame = colour
    h, w = frame.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    # a wandering seam crossing several tile bands, one near the frame's edge, one short blob
    xs = np.arange(40, w - 30)
    ys = (h * 0.45 + 30 * np.sin(xs / 55.0)).astype(int)
    for x, y in zip(xs, ys, strict=True):
        mask[y - 2 : y + 3, x] = 255
    mask[h - 6 : h - 1, 10:200] = 255
    mask[50:58, w - 60 : w - 52] = 255
    inp = Inpainter("learned")
    assert inp.method == "learned"
    new = inp(frame, mask)
    old = _inpaint_whole_tiles(inp, frame, mask)
    assert new.dtype == old.dtype and np.array_equal(new, old)
    assert not np.array_equal(new[mask > 0], frame[mask > 0])


# ---------------------------------------------------------------- fpng in a helper process
needs_encoder = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not Path("/dev/shm").is_dir() or lio._fpng() is None,
    reason="the PNG encoder process needs Linux, /dev/shm and fpng",
)


def _shm_files() -> set[str]:
    return {p.name for p in Path("/dev/shm").glob(".laika_fx_png.*")}


@needs_encoder
def test_encoder_process_writes_fpngs_bytes_and_hands_back_what_it_cannot_take(tmp_path: Path):
    before = _shm_files()
    rng = np.random.default_rng(5)
    enc = PngEncoderProcess(90 * 160 * 4)
    try:
        for shape in [(90, 160, 3), (90, 160, 4), (33, 47, 3), (90, 160, 3)]:
            frame = rng.integers(0, 256, shape, np.uint8)
            frame[: shape[0] // 2] //= 7  # some runs for the compressor
            tmp = tmp_path / f"f{shape[2]}_{shape[0]}.png"
            tmp.write_bytes(b"stale bytes, longer than nothing")
            assert enc.write(frame, tmp)
            assert tmp.read_bytes() == lio.encode_frame(frame, ".png")
            assert np.array_equal(lio.read_frame(tmp), frame)
        # what fpng does not write, or what does not fit the buffer: the caller encodes it
        assert not enc.write(rng.integers(0, 256, (90, 160), np.uint8), tmp_path / "gray.png")
        assert not enc.write(rng.integers(0, 65535, (90, 160, 3), np.uint16), tmp_path / "deep.png")
        assert not enc.write(rng.integers(0, 256, (91, 160, 4), np.uint8), tmp_path / "big.png")
        # the child's OSError comes back as this process's would
        with pytest.raises(OSError) as err:
            enc.write(rng.integers(0, 256, (90, 160, 3), np.uint8), tmp_path / "no such folder" / "f.png")
        assert err.value.errno == errno.ENOENT and "no such folder" in str(err.value)
        assert enc.alive
    finally:
        enc.close()
    assert not enc.alive and _shm_files() == before
    enc.close()  # idempotent


@needs_encoder
def test_a_dead_encoder_process_leaves_the_encoding_to_the_caller(tmp_path: Path):
    enc = PngEncoderProcess(64 * 64 * 3)
    frame = np.random.default_rng(1).integers(0, 256, (64, 64, 3), np.uint8)
    try:
        assert enc.write(frame, tmp_path / "a.png")
        enc._proc.kill()
        enc._proc.join(5)
        assert not enc.write(frame, tmp_path / "b.png")
        assert not enc.alive
        # the batch's writer then encodes in its own thread: the same file
        tmp = lio.write_frame_temp(tmp_path / "c.png", frame, encoder=enc)
        assert tmp.read_bytes() == (tmp_path / "a.png").read_bytes()
    finally:
        enc.close()


@needs_encoder
def test_no_encoder_process_when_its_buffer_cannot_be_reserved():
    before = _shm_files()
    assert start_png_encoder((2**20, 2**20, 4), np.uint8, ext=".png", png_compression="fast") is None  # 4 TiB
    assert _shm_files() == before


def test_no_encoder_process_where_it_would_not_help():
    for shape, dtype, ext, comp in [((64, 64, 3), np.uint16, ".png", "fast"), ((64, 64), np.uint8, ".png", "fast"),
                                    ((64, 64, 3), np.uint8, ".png", "small"), ((64, 64, 3), np.uint8, ".tif", "fast"),
                                    ((64, 64, 3), np.float32, ".exr", "fast")]:  # fmt: skip
        assert start_png_encoder(shape, dtype, ext=ext, png_compression=comp) is None


@needs_two_cpus
@needs_encoder
@pytest.mark.parametrize("channels", [3, 4])
def test_batch_writes_the_same_bytes_with_and_without_the_encoder_process(tmp_path: Path, monkeypatch, channels):
    from laika_fx import pipeline
    from laika_fx.pipeline import BatchOptions, run_batch
    from laika_fx.plugins import build_plugins
    from laika_fx.sequence import open_shot

    shot_dir = tmp_path / "shot"
    shot_dir.mkdir()
    for i, src in enumerate(sorted((ROOT / "sample_frames").glob("frame.*.png"))[:6]):
        frame = cv2.resize(lio.read_frame(src), (320, 180), interpolation=cv2.INTER_AREA)
        if channels == 4:
            frame = np.dstack([frame, frame[..., 1]])
        lio.write_frame(shot_dir / f"frame.{1001 + i}.png", frame)
    started = []
    real_start = pipeline.start_png_encoder

    def counting_start(*args, **kwargs):
        enc = real_start(*args, **kwargs)
        started.append(enc)
        return enc

    monkeypatch.setattr(pipeline, "PNG_PROCESS_MIN_FRAMES", 1)  # a short shot: 6 frames

    def run(out: Path, *, encoder: bool) -> dict[str, bytes]:
        monkeypatch.setattr(pipeline, "start_png_encoder", counting_start if encoder else lambda *a, **k: None)
        plugins = build_plugins([("stabilize", {})])
        report = run_batch(open_shot(shot_dir), out, plugins, BatchOptions(workers=2, save_masks=True))
        assert report["frames_written"] == 6
        return {p.name: p.read_bytes() for p in sorted(out.glob("frame.*.png"))}

    with_process = run(tmp_path / "out_process", encoder=True)
    assert len(started) == 1 and started[0] is not None and not started[0].alive
    in_thread = run(tmp_path / "out_thread", encoder=False)
    assert with_process == in_thread and len(in_thread) == 6


def test_short_shots_encode_in_the_writer_threads(tmp_path: Path, monkeypatch):
    from laika_fx import pipeline
    from laika_fx.pipeline import BatchOptions, run_batch
    from laika_fx.plugins import build_plugins
    from laika_fx.sequence import open_shot

    shot_dir = tmp_path / "shot"
    shot_dir.mkdir()
    for i in range(3):
        lio.write_frame(shot_dir / f"frame.{1001 + i}.png", np.full((40, 60, 3), 10 * i, np.uint8))
    calls = []
    monkeypatch.setattr(pipeline, "start_png_encoder", lambda *a, **k: calls.append(a))
    report = run_batch(open_shot(shot_dir), tmp_path / "out", build_plugins([("deflicker", {})]), BatchOptions(workers=2))
    assert report["frames_written"] == 3 and calls == [] and pipeline.PNG_PROCESS_MIN_FRAMES > 3


@needs_two_cpus
@needs_encoder
def test_the_encoder_process_dies_with_a_killed_batch(tmp_path: Path):
    shot = tmp_path / "shot"
    shot.mkdir()
    src = lio.read_frame(ROOT / "sample_frames" / "frame.1001.png")
    for i in range(400):
        lio.write_frame(shot / f"frame.{1001 + i}.png", np.roll(src, i, axis=1))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "laika_fx", "batch", shot, out, "--plugins", "deflicker",
                             "--workers", "2", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        kids: set[int] = set()
        t_end = time.monotonic() + 120
        while time.monotonic() < t_end and proc.poll() is None and len(list(out.glob("frame.*.png"))) < 5:
            time.sleep(0.02)
        while time.monotonic() < t_end and proc.poll() is None and not kids:
            kids = descendants(proc.pid)  # the fork server and the encoder process
            time.sleep(0.02)
        assert proc.poll() is None and kids, "the batch ended before its encoder process was seen"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not still_alive(kids)
    finally:
        proc.kill()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_the_encoder_process_keeps_its_freed_heap():
    """The child's heap keeps what an encode frees (a 4K frame's buffers): with the batch's
    32 MiB trim threshold they went back to the kernel and were faulted in again per frame."""
    script = """
import ctypes, sys
from laika_fx.heap import configure_heap
from laika_fx.heap import keep_freed_memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
configure_heap()
if sys.argv[1] == "keep":
    keep_freed_memory()
blocks = [libc.malloc(5 << 20) for _ in range(20)]  # 100 MiB, each below the mmap threshold
for b in reversed(blocks):
    libc.free(b)
print(libc.mallinfo2().fordblks >> 20)
"""
    free = {}
    for mode in ("keep", "batch"):
        out = subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, cwd=ROOT, check=True)
        free[mode] = int(out.stdout.split()[-1])
    assert free["keep"] >= 95 and free["batch"] < 40, free
