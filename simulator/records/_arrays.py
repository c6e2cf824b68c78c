"""Sort-based array helpers (internal).

``np.unique`` of NumPy 2.3+ hashes integer arrays, which is several times slower than one
sort on a million keys; these helpers sort once and reuse the order.
"""

from __future__ import annotations

import numpy as np

__all__ = ["unique_inverse", "unique_sorted", "member"]


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(sorted distinct values, index of each value among them)``, as ``np.unique(..., return_inverse=True)``."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.ones(len(ordered), dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values."""
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def member(values: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_unique)`` for a sorted array of distinct values."""
    if len(sorted_unique) == 0:
        return np.zeros(len(values), dtype=bool)
    position = np.minimum(np.searchsorted(sorted_unique, values), len(sorted_unique) - 1)
    return sorted_unique[position] == values
