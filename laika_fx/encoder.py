"""fpng encoding in a helper process, off the batch process's GIL.

fpng's Python binding holds the GIL for the whole encode (~6-9 ms per 1080p RGB frame on
the machines of docs/benchmarks.md): while a writer thread encodes, neither render worker
can run a line of Python, and the render workers' own Python (~9 ms per frame) then waits
for it. Measured with uprobes on CPython's ``take_gil``/``drop_gil`` (96-frame 1080p shot,
2 workers): the two writer threads held the GIL 0.9 s of the render pass, as long as both
render workers together, and the render workers waited 1.45 s for it.

:class:`PngEncoderProcess` runs fpng in one child process instead. A writer thread copies
the frame into a shared buffer (a file in ``/dev/shm`` both processes map; the copy
releases the GIL), sends the temporary file's path through a pipe and waits for the reply
(waiting releases the GIL); the child encodes with the same fpng call as
:func:`laika_fx.io.encode_frame` (``fpng.from_ndarray``) and writes the bytes into that file. The file's bytes are
those the writer would have written itself. One process serves every writer thread, one
frame at a time (an encode takes a fraction of a frame's render).

The child is forked by multiprocessing's fork server (as the stabilize solver processes)
and dies with the batch (:mod:`laika_fx.stabilize.lifeline`). If it cannot be started, dies
or its buffer is too small for a frame, :meth:`PngEncoderProcess.write` returns False and
the writer encodes in its own thread, as before.
"""

from __future__ import annotations

import mmap
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

import numpy as np

from .accelerators.runtime import usable_cpus
from .stabilize.lifeline import child_context, main_hidden

__all__ = ["PngEncoderProcess", "start_png_encoder"]

_SHM_DIR = Path("/dev/shm")
#: seconds to wait for the child's answer before giving up on it (a stuck child must not
#: hang the batch; the frame is then encoded in the writer's thread)
REPLY_TIMEOUT = 60.0


def _serve(conn, shm_path: str, size: int) -> None:
    """The child: map the buffer, then encode ``(shape, path)`` requests until None."""
    from .heap import configure_heap, keep_freed_memory
    from .stabilize.lifeline import die_with_parent

    die_with_parent()
    configure_heap()
    # an encode allocates and frees a few frames' worth: with the batch's 32 MiB trim threshold a
    # 4K frame's were handed back and faulted in again on every frame (54 ms per 4K encode here
    # against 26 ms in the batch process; 1080p 6.7 vs 6.0)
    keep_freed_memory()
    # a terminal's Ctrl-C reaches the whole process group: the batch decides (its first
    # Ctrl-C lets the frames in flight finish, and they may need this process)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import fpng  # the call laika_fx.io.encode_frame makes for these frames

    fd = os.open(shm_path, os.O_RDWR)
    try:
        buf = mmap.mmap(fd, size)
    finally:
        os.close(fd)
    conn.send("ready")
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        shape, path = request
        try:
            data = fpng.from_ndarray(np.ndarray(shape, np.uint8, buffer=buf))
            with open(path, "wb") as fh:
                fh.write(data)
            reply = None
        except OSError as exc:
            reply = ("os", exc.errno, exc.strerror, exc.filename)
        except Exception as exc:  # handed back to the writer, which fails the frame
            reply = ("other", f"{type(exc).__name__}: {exc}")
        conn.send(reply)


class PngEncoderProcess:
    """fpng in a child process for 8-bit RGB/RGBA frames of at most ``max_bytes``.

    Thread-safe; use :func:`start_png_encoder` (None where it cannot run), and
    :meth:`close` when done.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self._lock = threading.Lock()
        self._broken = False
        self._ready = False
        self._shm_path = _SHM_DIR / f".laika_fx_png.{os.getpid()}.{secrets.token_hex(6)}"
        fd = os.open(self._shm_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            # reserved, not only sized: a /dev/shm too small for it (a container's 64 MB)
            # fails here, where touching unreserved pages later would kill us with SIGBUS
            os.posix_fallocate(fd, 0, self.max_bytes)
            self._buf = mmap.mmap(fd, self.max_bytes)
        except BaseException:
            os.close(fd)
            self._shm_path.unlink(missing_ok=True)
            raise
        os.close(fd)
        try:
            ctx = child_context("laika_fx.encoder")  # as the stabilize solver processes: dies with us
            self._conn, child = ctx.Pipe()
            self._proc = ctx.Process(target=_serve, args=(child, str(self._shm_path), self.max_bytes),
                                     name="laika-png", daemon=True)  # fmt: skip
            with main_hidden():
                self._proc.start()
            child.close()
        except BaseException:
            self._release_buffer()
            raise

    def _release_buffer(self) -> None:
        self._shm_path.unlink(missing_ok=True)
        try:
            self._buf.close()
        except BufferError:  # a view still exported (never kept past write): leave it to the GC
            pass

    def _recv(self):
        if not self._conn.poll(REPLY_TIMEOUT):
            raise TimeoutError("the PNG encoder process did not answer")
        return self._conn.recv()

    def write(self, frame: np.ndarray, path: str | os.PathLike) -> bool:
        """Encode ``frame`` (uint8, (H, W, 3|4)) as fpng PNG into the existing file ``path``.

        Returns False when the process cannot take it (not started, gone, frame too large):
        the caller encodes it itself. Raises OSError (or RuntimeError) as writing the file
        in this process would have.
        """
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4) or frame.nbytes > self.max_bytes:
            return False
        with self._lock:
            if self._broken:
                return False
            try:
                if not self._ready:
                    if self._recv() != "ready":
                        raise RuntimeError("the PNG encoder process did not start")
                    self._ready = True
                    self._shm_path.unlink(missing_ok=True)  # both map it: the name is no longer needed
                view = np.ndarray(frame.shape, np.uint8, buffer=self._buf)
                np.copyto(view, frame)
                del view
                self._conn.send((tuple(frame.shape), os.fspath(path)))
                reply = self._recv()
            except (OSError, EOFError, RuntimeError, TimeoutError, ValueError):
                self._broken = True
                self._stop(kill=True)
                return False
        if reply is None:
            return True
        if reply[0] == "os":
            raise OSError(reply[1], reply[2], reply[3])
        raise RuntimeError(reply[1])

    def _stop(self, *, kill: bool = False) -> None:
        try:
            if not kill:
                self._conn.send(None)
        except OSError:
            pass
        self._proc.join(timeout=0 if kill else 5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(timeout=5)
        self._conn.close()
        self._release_buffer()

    def close(self) -> None:
        """End the child (at once if it is stuck) and free the buffer; idempotent."""
        with self._lock:
            if not self._broken:
                self._broken = True
                self._stop()

    @property
    def alive(self) -> bool:
        return not self._broken and self._proc.is_alive()


def start_png_encoder(frame_shape: tuple[int, ...], dtype, *, ext: str, png_compression: str) -> PngEncoderProcess | None:
    """A :class:`PngEncoderProcess` for a shot whose frames are ``frame_shape``/``dtype``
    written as ``ext``, or None where it would not help or cannot run: other formats than
    fpng's (8-bit RGB/RGBA PNG with ``png_compression="fast"``), fpng missing, a single CPU
    (nothing runs beside the encode), no ``/dev/shm``, or the process fails to start."""
    from .io import _fpng_writes

    if not _fpng_writes(frame_shape, dtype, ext, png_compression):
        return None
    if usable_cpus() < 2 or not _SHM_DIR.is_dir() or not sys.platform.startswith("linux"):
        return None
    try:
        return PngEncoderProcess(int(np.prod(frame_shape)))
    except (OSError, RuntimeError, ValueError):
        return None
