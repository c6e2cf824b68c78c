"""Vectorised root finding (internal), shared by the model's and the sweeps' break-evens."""

from __future__ import annotations

import numpy as np

__all__ = ["bisect_sign_change"]


def bisect_sign_change(function, low, high, *, tolerance: float, relative: bool = False, max_iterations: int = 200) -> np.ndarray:
    """Element-wise bisection of a sign change of ``function`` on ``[low, high]``.

    ``function`` maps an array of candidates (the shape of ``low``/``high``) to values
    of the same shape. Iteration stops when every bracket is narrower than ``tolerance``
    (times ``max(1, |high|)`` if ``relative``).

    Returns
    -------
    ndarray
        Midpoints of the final brackets; NaN where ``function(low)`` and
        ``function(high)`` have the same sign (no root bracketed).
    """
    lo, hi = (np.array(bound, dtype=float) for bound in np.broadcast_arrays(low, high))
    f_lo, f_hi = function(lo), function(hi)
    bracketed = np.sign(f_lo) != np.sign(f_hi)
    for _ in range(max_iterations):
        width = tolerance * np.maximum(1.0, np.abs(hi)) if relative else tolerance
        if np.all(hi - lo <= width):
            break
        mid = 0.5 * (lo + hi)
        f_mid = function(mid)
        same = np.sign(f_mid) == np.sign(f_lo)
        lo = np.where(same, mid, lo)
        f_lo = np.where(same, f_mid, f_lo)
        hi = np.where(same, hi, mid)
    return np.where(bracketed, 0.5 * (lo + hi), np.nan)
