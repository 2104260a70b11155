"""The median the camera solve takes ~60 times a frame, without ``np.median``'s generic machinery.

``np.median`` of a 1-D array partitions it around the middle (and its last element, to see
a NaN) and averages the middle pair; around that it spends ~0.02-0.04 ms in Python (axis
handling, a mean over two values), which on the solver's small arrays (cell residuals, a
4,000-point subsample, the 20,000-pixel static-set statistics) is most of the call.
:func:`median` does the same partition and the same arithmetic, so the result is the
same value of the same type, bit for bit (``tests/test_stabilize_robust.py``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["median"]


def median(a: np.ndarray):
    """``np.median(a)`` of a 1-D floating-point array: the same value, the same type
    (a NumPy scalar of ``a``'s dtype; NaN if ``a`` holds one)."""
    n = a.size
    if n == 0 or a.ndim != 1 or a.dtype.kind != "f":
        return np.median(a)  # its warning and NaN for an empty array; other kinds as NumPy does them
    h = n // 2
    part = np.partition(a, (h, n - 1) if n % 2 else (h - 1, h, n - 1))
    if np.isnan(part[-1]):  # NaNs sort last: np.median's answer is NaN
        return part[-1]
    # np.median's mean of the middle pair: their sum in the array's dtype, halved
    return part[h] if n % 2 else (part[h - 1] + part[h]) / 2
