"""Preview movies: encode rendered frames to H.264 with ffmpeg.

The ffmpeg binary is the one shipped by ``imageio-ffmpeg``; it is driven through
``ffmpeg-python``. Frames are piped as 8-bit RGB, so gaps in the numbering, 16-bit
and float frames and alpha all work (16-bit is scaled, float is clipped to [0, 1],
alpha is dropped: a preview is for looking, not for delivery).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import ffmpeg
import imageio_ffmpeg
import numpy as np

from .io import read_frame

__all__ = ["to_display8", "encode_preview"]


def to_display8(frame: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB for display: 16-bit scaled, float clipped, alpha dropped."""
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    frame = frame[:, :, :3]
    if frame.dtype == np.uint8:
        return np.ascontiguousarray(frame)
    if frame.dtype == np.uint16:
        return (frame >> 8).astype(np.uint8)
    return (np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def encode_preview(
    frame_paths: Sequence[str | os.PathLike],
    movie: str | os.PathLike,
    *,
    fps: float = 24.0,
    crf: int = 18,
) -> Path:
    """Encode frames (in the given order) to an H.264 movie, atomically.

    Raises
    ------
    ValueError
        If there are no frames.
    RuntimeError
        If ffmpeg fails (its last lines of output are in the message).
    """
    paths = [Path(p) for p in frame_paths]
    if not paths:
        raise ValueError("no frames to encode")
    movie = Path(movie)
    movie.parent.mkdir(parents=True, exist_ok=True)
    first = to_display8(read_frame(paths[0]))
    h, w = first.shape[:2]
    tmp = movie.with_name(f".{movie.stem}.part{movie.suffix}")
    process = (
        ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{w}x{h}", framerate=fps)
        .output(
            str(tmp),
            vcodec="libx264",
            pix_fmt="yuv420p",
            preset="veryfast",
            crf=crf,
            vf="scale=trunc(iw/2)*2:trunc(ih/2)*2",
            movflags="+faststart",
        )
        .overwrite_output()
        .global_args("-loglevel", "error")
        .run_async(cmd=imageio_ffmpeg.get_ffmpeg_exe(), pipe_stdin=True, pipe_stderr=True)
    )
    try:
        for i, p in enumerate(paths):
            frame = first if i == 0 else to_display8(read_frame(p))
            if frame.shape[:2] != (h, w):
                raise ValueError(f"{p.name} is not {w}x{h}")
            process.stdin.write(frame.tobytes())
        process.stdin.close()
        err = process.stderr.read().decode(errors="replace")
        if process.wait() != 0:
            raise RuntimeError(f"ffmpeg failed: {err.strip()[-500:]}")
        os.replace(tmp, movie)
    except BaseException:
        process.kill()
        process.wait()
        tmp.unlink(missing_ok=True)
        raise
    return movie
