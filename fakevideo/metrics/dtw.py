"""Dynamic time warping between two feature sequences (Euclidean frame cost), compiled with numba."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _accumulate(cost: np.ndarray) -> np.ndarray:
    rows, cols = cost.shape
    total = np.full((rows + 1, cols + 1), np.inf)
    total[0, 0] = 0.0
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            total[i, j] = cost[i - 1, j - 1] + min(total[i - 1, j], total[i, j - 1], total[i - 1, j - 1])
    return total


@numba.njit(cache=True)
def _backtrack(total: np.ndarray) -> np.ndarray:
    i, j = total.shape[0] - 1, total.shape[1] - 1
    path = np.empty((i + j, 2), dtype=np.int64)
    n = 0
    while i > 0 and j > 0:
        path[n, 0], path[n, 1] = i - 1, j - 1
        n += 1
        step = np.argmin(np.array([total[i - 1, j - 1], total[i - 1, j], total[i, j - 1]]))
        if step == 0:
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    return path[:n][::-1]


def dtw_path(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Index pairs [(i, j), ...] of the minimum-cost monotone alignment of a [T1, D] and b [T2, D]."""
    diff = a[:, None, :].astype(np.float64) - b[None, :, :].astype(np.float64)
    cost = np.sqrt((diff**2).sum(axis=-1))
    return _backtrack(_accumulate(cost))
