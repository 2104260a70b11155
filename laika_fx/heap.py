"""One glibc heap that keeps frame-sized buffers for reuse (:func:`configure_heap`).

The batch process calls it when a run starts; the stabilize solver processes call it when
they start (their solves allocate and free ~2 MB proxies by the hundred).
"""

from __future__ import annotations

__all__ = ["HEAP_ARENAS", "HEAP_MMAP_THRESHOLD", "HEAP_TRIM_THRESHOLD", "configure_heap", "keep_freed_memory",
           "release_free_memory"]

HEAP_ARENAS = 1
#: buffers of at least this many bytes get their own mapping (a 4K 8-bit RGB frame is 25 MB, a
#: 16-bit one 50 MB). 32 MiB is the largest value mallopt(3) documents on 64-bit systems (64 MiB,
#: the first choice, was accepted by this machine's glibc 2.36, maybe not by others); 96-frame
#: 1080p shot, alternating in one bench run: 134-135 CPU ms per frame, RSS sum 562-575 MB at
#: 64 MiB against 136-137 ms, 564-565 MB at 32 MiB (same within noise)
HEAP_MMAP_THRESHOLD = 32 * 2**20
#: free memory at the top of the heap beyond this goes back to the system
HEAP_TRIM_THRESHOLD = 32 * 2**20
_heap_set = False


def configure_heap() -> bool:
    """Make glibc's malloc serve every thread from one heap (``M_ARENA_MAX`` =
    ``HEAP_ARENAS``) that keeps frame-sized buffers for reuse (``M_MMAP_THRESHOLD`` =
    ``HEAP_MMAP_THRESHOLD``, ``M_TRIM_THRESHOLD`` = ``HEAP_TRIM_THRESHOLD``); True if the
    heap count was set (glibc only, once per process).

    By default glibc gives threads up to 8 heaps per core and raises its mmap threshold to
    the largest buffer freed so far, so frame-sized buffers come from the heaps and every
    heap keeps what its threads freed: 8 threads allocating and freeing 6 MB frames kept
    240 MB. Giving every buffer of 1 MiB or more its own mapping instead (what this did
    before) returns them, but then each new frame-sized buffer is fresh memory the kernel
    must fault in and zero: 12x the page faults, and a third of a 1080p batch's CPU time in
    the kernel (24-frame 1080p PNG shot, 2 workers: 260 CPU ms per frame, 82 of them in the
    kernel). One heap keeps freed buffers for reuse without piling up copies per thread:
    same run 195 CPU ms per frame (22 in the kernel), largest process 459 MB (448 with the
    mappings, 567 with glibc's default).

    With one heap alone, glibc still gives the heap's free top back to the system whenever
    it exceeds twice the largest buffer freed (~12 MB at 1080p), so frames were faulted in
    again and again: fixed thresholds (64 MB then; 32 MiB now, see above) keep that much free for reuse (same shot,
    session 6: 90-94k page faults -> 57-61k, kernel CPU 0.37-0.50 -> 0.16-0.20 s per run,
    largest process 452-455 -> 454-474 MB). The trim threshold is set only once the mmap
    threshold took: setting it alone switches glibc's threshold raising off, and every
    frame would get its own mapping again (726k faults).
    """
    global _heap_set
    if _heap_set:
        return True
    libc = _glibc()
    if libc is None:
        return False
    _heap_set = bool(libc.mallopt(-8, HEAP_ARENAS))  # M_ARENA_MAX
    if _heap_set and libc.mallopt(-3, HEAP_MMAP_THRESHOLD):  # M_MMAP_THRESHOLD
        libc.mallopt(-1, HEAP_TRIM_THRESHOLD)  # M_TRIM_THRESHOLD
    return _heap_set


def _glibc():
    """glibc's ``libc.so.6`` with ``mallopt`` and ``malloc_trim``, or None (another C library)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 (not glibc: AttributeError)
    except (OSError, AttributeError):
        return None
    return libc


def keep_freed_memory(threshold: int = 1 << 30) -> bool:
    """Keep this process's freed heap however large its free top grows (up to ``threshold``
    bytes; glibc's ``M_TRIM_THRESHOLD``): for a process that allocates and frees a few
    frames' worth per frame (the PNG encoder: fpng's buffer, the bytes returned), whose pages
    were otherwise handed back and faulted in again on every frame. True if set (glibc only)."""
    libc = _glibc()
    return libc is not None and bool(libc.mallopt(-1, threshold))


def release_free_memory() -> bool:
    """Give the heap's free pages back to the system (glibc's ``malloc_trim(0)``: free
    pages anywhere in the heap, not only at its top); True if it ran (glibc only).

    For the moments a process's working set shrinks for good (a pass ends, a set-up's
    temporaries are gone): what the fixed trim threshold (:func:`configure_heap`) keeps for
    reuse is then memory the next phase may never touch again. Not per frame: pages handed
    back are faulted in again when the heap reuses them.
    """
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
