"""laika_fx.stabilize.robust.median is np.median, bit for bit, on what the solver gives it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from laika_fx.stabilize.robust import median


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_median_is_numpys_bit_for_bit(dtype):
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 4, 5, 16, 777, 4000, 4001, 20000, 20001):
        for trial in range(6):
            a = (np.abs(rng.standard_normal(n)) ** rng.uniform(0.3, 3.0)).astype(dtype)
            if trial % 2:  # ties, as residuals rounded by a blur or a resize have
                a = np.round(a, 1).astype(dtype)
            if trial == 5:
                a = a[::3]  # a strided view, as the solver's subsamples are
            want, got = np.median(a), median(a)
            assert got.dtype == want.dtype and type(got) is type(want), (n, trial)
            assert got.tobytes() == want.tobytes(), (n, trial, got, want)


def test_median_of_nan_and_empty_and_other_kinds_as_numpy():
    a = np.array([1.0, np.nan, 3.0, 0.5], np.float32)
    assert np.isnan(median(a)) and np.isnan(np.median(a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(median(np.array([], np.float64)))
    ints = np.array([5, 1, 4, 2], np.int64)
    assert median(ints) == np.median(ints) == 3.0
    inf = np.array([np.inf, 1.0, np.inf], np.float64)
    assert median(inf) == np.median(inf) == np.inf
