"""``laika-fx bench MODEL.xml``: time an IR on this CPU at a resolution and precision.

Prints median ms per inference for the precisions asked for, with the hint set
explicitly (the default on AVX-512 BF16 CPUs would silently be bf16).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from .runtime import compile_model


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


def cmd_bench(args: argparse.Namespace) -> int:
    shape = tuple(int(v) for v in args.shape.lower().split("x"))
    print(f"{'model':<40} {'shape':<18} {'hint':<6} {'threads':>7} {'ms':>8}")
    for xml in args.models:
        for precision in args.precision.split(","):
            ms = time_model(xml, shape, precision=precision, threads=args.threads, repeats=args.repeats)
            print(f"{xml:<40} {args.shape:<18} {precision:<6} {args.threads or 'all':>7} {ms:8.1f}")
    return 0


def register_commands(sub) -> None:
    """Add ``bench`` to the ``laika-fx`` subparsers ``sub`` (entry point group ``laika_fx.commands``)."""
    b = sub.add_parser("bench", help="time OpenVINO IR models on this CPU")
    b.add_argument("models", nargs="+", help="IR .xml files")
    b.add_argument("--shape", default="1x3x1080x1920", help="input shape NxCxHxW (default 1x3x1080x1920)")
    b.add_argument("--precision", default="f32", help="comma-separated hints: f32,bf16 (default f32)")
    b.add_argument("--threads", type=int, default=None, help="INFERENCE_NUM_THREADS (default: all)")
    b.add_argument("--repeats", type=int, default=10)
    b.set_defaults(func=cmd_bench)
