"""NumPy's OpenBLAS on one thread while a batch runs (:func:`one_blas_thread`).

The camera solve multiplies small matrices (``(N, 8)`` steepest-descent images: ``sd.T @ sd``)
thousands of times a shot. OpenBLAS runs them on a thread per core and its idle server threads
then spin (``sched_yield``) waiting for the next product: on the 2-core machine of
docs/benchmarks.md, cores the render workers needed (1.7 % of a 96-frame 1080p run's CPU in
OpenBLAS, nearly none of it arithmetic: an ``(8000, 8)`` product takes 0.03 ms). On one thread
the products are the same numbers (they are split by rows and columns, not along the sum:
checked on the sizes the solver gives, ``tests/test_blas.py``).

NumPy does not expose OpenBLAS's thread count; this calls OpenBLAS's own setter in the
library NumPy loaded (as threadpoolctl does). Where NumPy uses another BLAS, nothing is done.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading

__all__ = ["blas_threads", "one_blas_thread", "set_blas_threads"]

#: (setter, getter) symbol names of OpenBLAS builds NumPy wheels ship (scipy-openblas, 64-bit
#: ints) and of a plain OpenBLAS
_SYMBOLS = (("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
            ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
            ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
            ("openblas_set_num_threads", "openblas_get_num_threads"))  # fmt: skip
_lock = threading.Lock()
_api: tuple | None = None
_active = 0  # runs inside one_blas_thread now
_saved: int | None = None


def _openblas():
    """``(set, get)`` of the OpenBLAS NumPy loaded, or None (another BLAS, or not Linux)."""
    global _api
    if _api is None:
        import numpy  # noqa: F401  (loads its BLAS)

        api: tuple = ()
        try:
            with open("/proc/self/maps") as fh:
                paths = {line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line}
        except OSError:
            paths = set()
        for path in sorted(paths):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for set_name, get_name in _SYMBOLS:
                if hasattr(lib, set_name) and hasattr(lib, get_name):
                    setter, getter = getattr(lib, set_name), getattr(lib, get_name)
                    setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                    api = (setter, getter)
                    break
            if api:
                break
        _api = api
    return _api or None


def blas_threads() -> int | None:
    """OpenBLAS's thread count now (None when NumPy does not use OpenBLAS)."""
    api = _openblas()
    return None if api is None else int(api[1]())


def set_blas_threads(n: int) -> bool:
    """Set OpenBLAS's thread count for the rest of the process (a solver process); False when
    NumPy does not use OpenBLAS."""
    api = _openblas()
    if api is None:
        return False
    api[0](int(n))
    return True


@contextlib.contextmanager
def one_blas_thread():
    """OpenBLAS on one thread inside the block (nested and concurrent blocks share it; the
    count before the first is restored when the last ends)."""
    global _active, _saved
    api = _openblas()
    if api is None:
        yield
        return
    with _lock:
        if _active == 0:
            _saved = int(api[1]())
            api[0](1)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                api[0](_saved)
                _saved = None
