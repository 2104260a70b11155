"""``laika-fx bench MODEL.xml``: time an IR on this CPU at a resolution and precision.

Prints median ms per inference for the precisions asked for, with the hint set
explicitly (the default on AVX-512 BF16 CPUs would silently be bf16). Without ``--shape``
a shipped network gets the input it takes for a 1920x1080 frame, another model its own
static dimensions (1x?x1080x1920 where they are open).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from .runtime import compile_model, core

FALLBACK_HW = (1080, 1920)


def shipped_1080p_shapes() -> dict[str, tuple[int, ...]]:
    """The input each shipped network gets for a 1920x1080 frame, as the runtime derives it:
    the detector's padded working image, the face finder's (from that working image), one
    64-px-high inpainter tile (the size every earlier table gives; the runtime's smallest is
    48), the aligner's pair. Their inputs are dynamic, and a 1080x1920
    RGB image fits none of them."""
    from ..seam_removal.detector import SeamDetector
    from ..seam_removal.face import FaceFinder
    from ..seam_removal.inpaint import TILE_W
    from ..stabilize.coarse import PAIR_SIZE

    frame = FALLBACK_HW
    return {"seam_detector": (1, 3, *SeamDetector.input_size(frame)),
            "face_finder": (1, 3, *FaceFinder.padded_input_size(SeamDetector.working_size(frame))),
            "inpainter": (1, 7, 64, TILE_W), "aligner": (1, 2, PAIR_SIZE, PAIR_SIZE)}  # fmt: skip


def default_shape(xml: str | Path) -> tuple[int, ...]:
    """The input shape ``laika-fx bench`` times ``xml`` at without ``--shape``: a shipped
    network's 1080p input (by file name), else the model's own static dimensions with an open
    batch as 1 and open height and width as 1080x1920. ValueError when the channel count is
    open (``--shape`` must say it)."""
    stem = Path(xml).stem
    for name, shape in shipped_1080p_shapes().items():
        if stem == name or stem.startswith(name + "_"):
            return shape
    dims = core().read_model(str(xml)).inputs[0].get_partial_shape()
    if dims.rank.is_dynamic or len(dims) != 4:
        raise ValueError(f"{xml}: its input is not NCHW; give --shape")
    n, c, h, w = (d.get_length() if d.is_static else None for d in dims)
    if c is None:
        raise ValueError(f"{xml}: its channel count is open; give --shape NxCxHxW")
    return (n or 1, c, h or FALLBACK_HW[0], w or FALLBACK_HW[1])


def _shape_arg(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(v) for v in text.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) != 4 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"not a shape NxCxHxW: {text!r}")
    return shape


def time_model(xml: str, shape: tuple[int, ...], *, precision: str = "f32", threads: int | None = None,
               repeats: int = 10) -> float:
    """Median milliseconds of one inference of ``xml`` on an input of ``shape``."""
    net = compile_model(xml, precision=precision, shape=[shape], threads=threads)
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    net(x)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        net(x)
        times.append(1000 * (time.perf_counter() - t0))
    return statistics.median(times)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return value


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def cmd_bench(args: argparse.Namespace) -> int:
    """Exit 0 when every model was timed; 2 (one line on stderr) when a model is missing or
    does not take the shape."""
    precisions = args.precision.split(",")
    bad = [p for p in precisions if p not in ("f32", "bf16")]
    if bad:
        print(f"laika-fx: error: --precision takes f32 and/or bf16, not {', '.join(bad)}", file=sys.stderr)
        return 2
    print(f"{'model':<40} {'shape':<18} {'hint':<6} {'threads':>7} {'ms':>8}", flush=True)
    for xml in args.models:
        if not Path(xml).is_file():
            print(f"laika-fx: error: model file not found: {xml}", file=sys.stderr)
            return 2
        try:
            shape = args.shape or default_shape(xml)
        except (ValueError, RuntimeError) as exc:  # not NCHW, an open channel count, an unreadable IR
            print(f"laika-fx: error: {_first_line(exc)}", file=sys.stderr)
            return 2
        text = "x".join(map(str, shape))
        for precision in precisions:
            try:
                ms = time_model(xml, shape, precision=precision, threads=args.threads, repeats=args.repeats)
            except RuntimeError as exc:  # OpenVINO: the shape does not fit the network, the hint this CPU
                print(f"laika-fx: error: {xml} cannot run at {text} with hint {precision} ({_first_line(exc)}); "
                      "give --shape NxCxHxW that the model takes", file=sys.stderr)  # fmt: skip
                return 2
            print(f"{xml:<40} {text:<18} {precision:<6} {args.threads or 'all':>7} {ms:8.1f}", flush=True)
    return 0


def register_commands(sub) -> None:
    """Add ``bench`` to the ``laika-fx`` subparsers ``sub`` (entry point group ``laika_fx.commands``)."""
    b = sub.add_parser("bench", help="time OpenVINO IR models on this CPU")
    b.add_argument("models", nargs="+", help="IR .xml files")
    b.add_argument("--shape", type=_shape_arg, default=None,
                   help="input shape NxCxHxW (default: a shipped network's input for a 1080p frame, e.g. "
                        "1x3x544x960 for the seam detector; another model's own static dimensions, 1x?x1080x1920 "
                        "where they are open)")
    b.add_argument("--precision", default="f32", help="comma-separated hints: f32,bf16 (default f32)")
    b.add_argument("--threads", type=_positive, default=None, help="INFERENCE_NUM_THREADS (default: all)")
    b.add_argument("--repeats", type=_positive, default=10, help="timed inferences per model and hint (median)")
    b.set_defaults(func=cmd_bench)
