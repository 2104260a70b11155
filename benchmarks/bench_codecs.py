"""Frame codecs at 1920x1080 on one core: laika_fx.io against OpenCV in the same process.

Frames are real photographs (scikit-image's bundled astronaut, coffee, chelsea and rocket,
scaled to cover 1920x1080 with bicubic interpolation, then cropped). For every format,
sample type and channel layout the tool reads and writes, prints the median milliseconds
per frame of ``read_frame`` / ``write_frame_temp`` + rename (no fsync), the file size, and
the same for plain OpenCV (``imdecode``/``imencode`` + the RGB<->BGR swap; every writer
writes a new temporary file renamed over the last, as laika_fx does),
with the ratio OpenCV time / laika_fx time (> 1: laika_fx is faster). Candidate libraries
that are installed (pyspng, imagecodecs, tifffile, OpenImageIO) are timed on the same
files for reference; laika_fx uses only those that earned their place (docs/benchmarks.md).

Then a pass-through plugin runs through ``run_batch`` (what ``laika-fx batch`` runs) on a
48-frame 1080p 8-bit PNG shot, with the fast PNG writer and with OpenCV's (the previous
writer), 1 and 2 workers: frames per minute and the ratio, in the same run.

    python benchmarks/bench_codecs.py [--reps 7] [--frames 48] [--no-batch] [--all-cores]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from machine import cpu_model  # benchmarks/machine.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from laika_fx import io as lio  # noqa: E402
from laika_fx.io import read_frame, write_frame, write_frame_temp  # noqa: E402

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def photo_1080p(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    h, w = img.shape[:2]
    s = max(1080 / h, 1920 / w)
    img = cv2.resize(img, (int(np.ceil(w * s)), int(np.ceil(h * s))), interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(img[:1080, :1920])


def opencv_read(path: Path) -> np.ndarray:
    return lio.from_bgr(cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_UNCHANGED))


def same_file_handling(write):
    """``write(path, frame)`` into a new temporary file renamed over ``path``, as laika_fx
    writes (without the fsync): every writer pays the same file-system costs."""

    def wrapped(path: Path, frame: np.ndarray) -> None:
        lio.write_temp(path, lambda tmp: write(tmp, frame)).replace(path)

    return wrapped


def candidates(ext: str, frame: np.ndarray):
    """(name, read(path), write(path, frame) or None) of other installed libraries."""
    out = []
    if ext == ".png":
        try:
            import pyspng

            if frame.dtype == np.uint8:  # 8-bit only: 16-bit gray/RGB come out with an alpha channel
                out.append(("pyspng (read)", lambda p: pyspng.load(p.read_bytes()), None))
        except ImportError:
            pass
        try:
            import imagecodecs

            out.append(("imagecodecs (libpng)", lambda p: imagecodecs.png_decode(p.read_bytes()),
                        same_file_handling(lambda p, f: p.write_bytes(imagecodecs.png_encode(f, level=1, strategy=3, filter=16)))))  # fmt: skip
            if frame.dtype == np.uint8:  # libspng in imagecodecs decodes 8-bit only
                out.append(("imagecodecs (spng read)", lambda p: imagecodecs.spng_decode(p.read_bytes()), None))
        except ImportError:
            pass
    if ext == ".tif":
        try:
            import tifffile

            out.append(("tifffile", tifffile.imread,
                        same_file_handling(lambda p, f: tifffile.imwrite(p, f, photometric="rgb" if f.ndim == 3 else "minisblack", metadata=None))))  # fmt: skip
        except ImportError:
            pass
    if ext in (".exr", ".tif"):
        try:
            import OpenImageIO as oiio

            def oiio_read(p):  # ImageInput: ImageBuf.get_pixels corrupts the heap (3.2.2.0, numpy 2.4)
                inp = oiio.ImageInput.open(str(p))
                try:
                    return inp.read_image(oiio.UNKNOWN)
                finally:
                    inp.close()

            def oiio_write(p, f):
                spec = oiio.ImageSpec(f.shape[1], f.shape[0], 1 if f.ndim == 2 else f.shape[2],
                                      oiio.FLOAT if f.dtype == np.float32 else oiio.UINT16 if f.dtype == np.uint16 else oiio.UINT8)  # fmt: skip
                spec.attribute("compression", "zip" if p.suffix == ".exr" else "none")
                out_ = oiio.ImageOutput.create(str(p))
                out_.open(str(p), spec)
                out_.write_image(f)
                out_.close()

            out.append(("OpenImageIO", oiio_read, same_file_handling(oiio_write)))
        except ImportError:
            pass
    return out


def codec_table(frames: list[np.ndarray], reps: int, tmp: Path) -> None:
    rgb = frames
    cases = [
        ("PNG 8-bit RGB", ".png", rgb, {}, []),
        ("PNG 8-bit RGB small", ".png", rgb, {"png_compression": "small"}, [cv2.IMWRITE_PNG_COMPRESSION, 6]),
        ("PNG 8-bit RGBA", ".png", [np.dstack([f, f[..., 1]]) for f in rgb], {}, []),
        ("PNG 8-bit gray", ".png", [f[..., 1].copy() for f in rgb], {}, []),
        ("PNG 16-bit RGB", ".png", [f.astype(np.uint16) * 257 for f in rgb], {}, []),
        ("TIFF 8-bit RGB raw", ".tif", rgb, {"compression": 1}, [cv2.IMWRITE_TIFF_COMPRESSION, 1]),
        ("TIFF 16-bit RGB raw", ".tif", [f.astype(np.uint16) * 257 for f in rgb], {"compression": 1},
         [cv2.IMWRITE_TIFF_COMPRESSION, 1]),
        ("TIFF 16-bit RGB LZW", ".tif", [f.astype(np.uint16) * 257 for f in rgb], {"compression": 5},
         [cv2.IMWRITE_TIFF_COMPRESSION, 5]),
        ("JPEG 8-bit RGB q95", ".jpg", rgb, {}, [cv2.IMWRITE_JPEG_QUALITY, 95]),
        ("EXR float RGB ZIP", ".exr", [f.astype(np.float32) / 255 for f in rgb], {}, None),
    ]  # fmt: skip
    head = f"{'format (1080p, one core)':<22} {'codec':<24} {'read ms':>8} {'write ms':>9} {'MB':>6} {'read x':>7} {'write x':>8}"
    print(head)
    print("-" * len(head))
    for label, ext, arrs, kwargs, cv_params in cases:
        codecs = [("laika_fx", read_frame, lambda p, f, kw=kwargs: write_frame_temp(p, f, **kw).replace(p))]
        if cv_params is not None:
            codecs.append(("OpenCV", opencv_read, same_file_handling(lambda p, f, cp=cv_params: cv2.imencode(p.suffix, lio.to_bgr(f), cp)[1].tofile(str(p)))))
        if "small" not in label and "LZW" not in label:  # the candidates write their own default
            codecs += candidates(ext, arrs[0])
        # interleaved: every repetition times each codec in turn on the same frame, so a
        # change of load on a shared machine weighs on all of them alike
        times = {name: ([], []) for name, _, _ in codecs}
        sizes = {name: [] for name, _, _ in codecs}
        for i, f in enumerate(arrs):
            paths = {}
            for name, read, write in codecs:
                p = paths[name] = tmp / f"{name.split()[0]}_{i}{ext}"
                (write or (lambda p, f, kw=kwargs: write_frame(p, f, **kw)))(p, f)  # warm-up
                read(p)
                sizes[name].append(p.stat().st_size)
            for _ in range(reps):
                for name, read, write in codecs:
                    p = paths[name]
                    if write is not None:
                        t0 = time.perf_counter()
                        write(p, f)
                        times[name][1].append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    read(p)
                    times[name][0].append(time.perf_counter() - t0)
        rows = {name: (1000 * statistics.median(r), 1000 * statistics.median(w) if w else None,
                       statistics.median(sizes[name]) / 1e6) for name, (r, w) in times.items()}  # fmt: skip
        ref = rows.get("OpenCV")
        for name, (r, w, mb) in rows.items():
            rx = f"{ref[0] / r:6.2f}x" if ref else "      -"
            wx = f"{ref[1] / w:7.2f}x" if ref and w else "       -"
            ws = f"{w:9.1f}" if w is not None else f"{'-':>9}"
            print(f"{label:<22} {name:<24} {r:8.1f} {ws} {mb:6.2f} {rx} {wx}", flush=True)
            label = ""


def batch_table(frames: list[np.ndarray], count: int, tmp: Path) -> None:
    from laika_fx.pipeline import BatchOptions, run_batch
    from laika_fx.plugins import Plugin
    from laika_fx.sequence import open_shot

    class Pass(Plugin):
        name = "pass_through"

        def render(self, frame, ctx):
            return frame

    shot_dir = tmp / "shot"
    shot_dir.mkdir()
    for i in range(count):
        cv2.imwrite(str(shot_dir / f"frame.{1001 + i}.png"), lio.to_bgr(frames[i % len(frames)]))
    shot = open_shot(shot_dir)
    fast = lio._fpng()
    print(f"\n{'run_batch, pass-through, 1080p 8-bit PNG':<44} {'workers':>7} {'frames/min':>11} {'ratio':>7}")
    for workers in (1, 2):
        fpm = {}
        for label, writer in (("OpenCV PNG writer (before)", None), ("fast PNG writer (now)", fast)):
            lio._FPNG = writer
            try:
                out = tmp / f"out_{workers}_{writer is not None}"
                report = run_batch(shot, out, [Pass()], BatchOptions(workers=workers, cache_mb=0))
            finally:
                lio._FPNG = fast
            fpm[label] = report["frames_per_minute"]
            base = fpm["OpenCV PNG writer (before)"]
            print(f"{label:<44} {workers:>7} {fpm[label]:11.0f} {fpm[label] / base:6.2f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=7, help="timed repetitions per frame (median)")
    ap.add_argument("--frames", type=int, default=48, help="frames of the batch shot")
    ap.add_argument("--no-batch", action="store_true", help="codec table only")
    ap.add_argument("--all-cores", action="store_true", help="do not pin the codec table to one core")
    args = ap.parse_args()
    frames = [photo_1080p(n) for n in PHOTOS]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.all_cores and hasattr(os, "sched_setaffinity"):
            cores = os.sched_getaffinity(0)
            os.sched_setaffinity(0, {min(cores)})
            cv2.setNumThreads(1)
        print(f"CPU: {cpu_model()}; OpenCV {cv2.__version__}; fpng {'yes' if lio._fpng() else 'no'}")
        codec_table(frames, args.reps, tmp)
        if not args.all_cores and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, cores)
            cv2.setNumThreads(len(cores))
        if not args.no_batch:
            batch_table(frames, args.frames, tmp)
    return 0



if __name__ == "__main__":
    sys.exit(main())
