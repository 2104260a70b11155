"""OpenVINO runtime shared by every model: one Core, compile once, explicit precision.

Why explicit: on CPUs with AVX-512 BF16 (this machine) OpenVINO's default
``INFERENCE_PRECISION_HINT`` is bf16, so an "FP32" model silently runs in bf16. Every
compiled model here states its precision; INT8 IRs run their quantized layers in
int8 and the rest in the stated precision (f32 by default).

Compiled models are cached per (file, precision, input shape, threads) for the whole
process. :class:`CompiledNet` is safe to call from several threads: each thread gets
its own infer request, so the pipeline's render workers keep several inferences in
flight while other threads decode and encode frames (OpenVINO releases the GIL).

Compiled models are also kept on disk between processes: OpenVINO's model cache
(``CACHE_DIR``) in :func:`cache_dir` (``$LAIKA_FX_CACHE_DIR``, else
``$XDG_CACHE_HOME/laika_fx/openvino``, else ``~/.cache/laika_fx/openvino``), so the second
run of a shot compiles nothing. ``LAIKA_FX_OV_CACHE=0`` switches it off. The cache key is
OpenVINO's (the model with its weights and shapes, the compile options, the runtime
version and the CPU), so a cached blob never changes a result; a folder that cannot be
made or written, or a blob that cannot be loaded, falls back to compiling without it.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MODELS_DIR", "core", "without_telemetry", "model_path", "available", "CompiledNet", "compile_model", "cache_dir",
           "model_digest", "file_stamp", "usable_cpus"]

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
PRECISIONS = ("int8", "fp32")
#: inference threads of a compiled network unless a caller asks for more (compile_model)
DEFAULT_THREADS = 1

_core = None
_core_lock = threading.Lock()
_cache: dict[tuple, CompiledNet] = {}
_cache_lock = threading.Lock()
_disk_cache_broken: set[str] = set()  # cache folders that failed in this process: not tried again


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity (1 under ``taskset -c 0``, where
    ``os.cpu_count()`` still says 2), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cache_dir() -> Path | None:
    """The folder of OpenVINO's compiled-model cache, or None when it is switched off.

    ``LAIKA_FX_OV_CACHE=0`` (or ``off``/``no``/``false``) switches it off;
    ``LAIKA_FX_CACHE_DIR`` moves it; otherwise ``$XDG_CACHE_HOME/laika_fx/openvino``
    (``~/.cache/laika_fx/openvino`` when ``XDG_CACHE_HOME`` is not set).
    """
    if os.environ.get("LAIKA_FX_OV_CACHE", "1").strip().lower() in ("0", "off", "no", "false"):
        return None
    explicit = os.environ.get("LAIKA_FX_CACHE_DIR", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base).expanduser() if base else Path.home() / ".cache"
    return root / "laika_fx" / "openvino"


def _usable_cache_dir() -> str | None:
    """:func:`cache_dir` made and writable, or None (no cache: compile as if it were off)."""
    folder = cache_dir()
    if folder is None:
        return None
    key = str(folder)
    if key in _disk_cache_broken:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise OSError("not a writable folder")
    except (OSError, RuntimeError):  # RuntimeError: no home directory to expand
        _disk_cache_broken.add(key)
        return None
    return key


def without_telemetry() -> None:
    """Keep OpenVINO from sending usage telemetry: call before ``openvino`` is first imported.

    ``import openvino`` sends an "import" event to Google Analytics (``openvino.tools.ovc``
    with the ``openvino_telemetry`` package, when no consent file says no): it forks the
    importing process (a batch process of ~300 MB, briefly counted twice) and reaches for
    the network on every run. Without the package OpenVINO (and NNCF) use their stubs and
    send nothing; a process that imported ``openvino_telemetry`` already is left as it is.
    """
    sys.modules.setdefault("openvino_telemetry", None)  # None: its import raises ImportError


def core():
    """The process-wide ``openvino.Core`` (created on first use)."""
    global _core
    with _core_lock:
        if _core is None:
            without_telemetry()
            import openvino as ov

            _core = ov.Core()
            # read cached blobs (and IR weights) into memory, never map them: OpenVINO
            # rewrites a blob in place, and another process (a farm chunk, a second batch)
            # compiling the same model then truncated the mapped file under us (SIGBUS, in
            # 2 of 9 processes started at once on an empty cache)
            _core.set_property({"ENABLE_MMAP": False})
        return _core


def file_stamp(path: str | os.PathLike) -> tuple[int, int] | None:
    """``(size, mtime_ns)`` of a file, or None when it is not there: what tells a model
    file written again from the one compiled before."""
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def _stamp(xml: Path) -> tuple:
    """:func:`file_stamp` of an IR's .xml and .bin."""
    return (file_stamp(xml), file_stamp(xml.with_suffix(".bin")))


def model_digest(xml: str | os.PathLike) -> str:
    """sha256 (hex) of an IR: its ``.xml`` bytes followed by its ``.bin`` bytes."""
    import hashlib

    xml = Path(xml)
    h = hashlib.sha256()
    for p in (xml, xml.with_suffix(".bin")):
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def model_path(name: str, precision: str = "int8") -> Path:
    """Path of a shipped IR: ``laika_fx/models/<name>_<precision>.xml``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return MODELS_DIR / f"{name}_{precision}.xml"


def available(name: str, precision: str = "int8") -> bool:
    p = model_path(name, precision)
    return p.exists() and p.with_suffix(".bin").exists()


class CompiledNet:
    """A compiled OpenVINO model with a per-thread infer request.

    Call it with one array per input (NCHW float32) and get the outputs as a list of
    arrays (copies, safe to keep).
    """

    def __init__(self, compiled: Any, *, description: str) -> None:
        self.compiled = compiled
        self.description = description
        self._local = threading.local()
        self._outputs = len(compiled.outputs)

    def _request(self):
        req = getattr(self._local, "request", None)
        if req is None:
            req = self._local.request = self.compiled.create_infer_request()
        return req

    def __call__(self, *inputs: np.ndarray) -> list[np.ndarray]:
        req = self._request()
        # the request reads the (contiguous float32) inputs in place and its outputs are
        # copied once, here: by default OpenVINO copied each input into its own tensor and
        # each output into a dict first (~0.35 ms per 1080p detector call; same values)
        req.infer([np.ascontiguousarray(x, dtype=np.float32) for x in inputs], share_inputs=True, share_outputs=True)
        return [req.get_output_tensor(i).data.copy() for i in range(self._outputs)]


_RESOLVED: dict[str, str] = {}


def _resolved(path: Path) -> str:
    """``str(path.resolve())``, once per path: the networks are looked up per frame (three
    times at least), and resolving walks every folder of the path (~0.1 ms each time)."""
    if not path.is_absolute():  # relative to the current folder, which may change
        return str(path.resolve())
    key = str(path)
    r = _RESOLVED.get(key)
    if r is None:
        if len(_RESOLVED) > 1024:
            _RESOLVED.clear()
        r = _RESOLVED[key] = str(path.resolve())
    return r


def compile_model(
    path: str | os.PathLike,
    *,
    precision: str = "f32",
    shape: Sequence[Sequence[int]] | None = None,
    threads: int | None = None,
    hint: str = "LATENCY",
    streams: int | None = None,
) -> CompiledNet:
    """Read and compile an IR for the CPU, once per process per configuration.

    Parameters
    ----------
    path : the IR's ``.xml`` file.
    precision : ``INFERENCE_PRECISION_HINT`` for non-quantized layers: ``f32`` (default,
        exact) or ``bf16``.
    shape : static input shapes to reshape to (one per input), e.g. ``[(1, 3, 256, 256)]``.
    threads : ``INFERENCE_NUM_THREADS`` (default :data:`DEFAULT_THREADS`, 1: the batch runs
        one inference per render worker, so the cores are shared by the workers, not split
        inside each call; two workers each asking for every core made each call wait for
        a core the other worker held).
    hint : ``PERFORMANCE_HINT``: ``LATENCY`` or ``THROUGHPUT``.
    streams : ``NUM_STREAMS`` (default: chosen by the hint).
    """
    path = Path(path)
    threads = DEFAULT_THREADS if threads is None else threads
    # the files' size and time too: a model written again at the same path (a per-shot
    # model learned anew while the app runs) is compiled again, not served stale
    key = (_resolved(path), _stamp(path), precision, tuple(map(tuple, shape)) if shape else None, threads,
           hint, streams)  # fmt: skip
    # one lock for the whole compile: render workers asking for the same model at once
    # must not compile it twice (it takes ~0.3-1 s)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        if not path.exists():
            raise FileNotFoundError(f"model file not found: {path}")
        ov_core = core()
        model = ov_core.read_model(str(path))
        if shape is not None:
            model.reshape({model.inputs[i].get_any_name(): list(s) for i, s in enumerate(shape)})
        # Not pinned: OpenVINO pins a compiled model's inference threads to cores, and with
        # one thread per model every model of every process was pinned to the same core, so
        # two render workers (and the stabilize solver processes) took turns on one core
        # while the other idled (the seam plugin in two processes at once: 65 ms per 1080p
        # frame each, 34 alone; unpinned 37; docs/benchmarks.md).
        config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": hint,
                                  "ENABLE_CPU_PINNING": False}  # fmt: skip
        if threads:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        if streams:
            config["NUM_STREAMS"] = int(streams)
        compiled = None
        disk = _usable_cache_dir()
        if disk is not None:
            try:
                compiled = ov_core.compile_model(model, "CPU", {**config, "CACHE_DIR": disk})
            except Exception:  # an unreadable blob, a folder gone read-only: compile without it
                _disk_cache_broken.add(disk)
                compiled = None
        if compiled is None:
            compiled = ov_core.compile_model(model, "CPU", config)
        net = CompiledNet(compiled, description=f"{path.name} [{precision}, {hint}]")
        _cache[key] = net
        return net
