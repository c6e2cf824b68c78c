"""Streaming, mergeable summary statistics of Monte Carlo outputs.

A run never holds all its outputs: each block of scenarios is reduced to a small
*partial* summary (:func:`summarise_block`), partials are combined with :func:`merge`
(associative and commutative up to floating-point rounding in the sums; counts are exact),
and :func:`finalize` turns the merged partial into means, standard deviations,
percentiles, exceedance probabilities and expected shortfalls. Partials are plain dicts of
numbers and numpy arrays, so they pickle to Dask workers and back.

What a partial holds per output
-------------------------------
- count, mean and M2 (sum of squared deviations) of the finite values, merged with the
  pairwise formulas of Chan, Golub & LeVeque (1983), so the variance is numerically stable;
- min and max (exact), the number of non-finite values, and counts above thresholds
  (e.g. ROQ > 1);
- a DDSketch (Masson, Rim & Lee 2019, "DDSketch: a fast and fully-mergeable quantile
  sketch with relative-error guarantees", PVLDB 12(12)): values are counted in
  logarithmic buckets (gamma^(k-1), gamma^k] with gamma = (1 + a) / (1 - a), separately
  for positive and negative values, plus a zero bucket for |x| <= ``min_magnitude``.
  Each bucket also keeps the exact sum and sum of squares of its values.

Accuracy
--------
Percentile P_q is the ceil(q n)-th smallest value (the inverted-CDF definition, numpy's
``method="inverted_cdf"``). The sketch finds the bucket holding that rank and
interpolates inside it: the values of a bucket are modelled by the linear density on
the bucket that has their exact mean (sum / count), and the order statistic is read off
its CDF at (rank - 1/2) / count (a bucket whose values are all equal, by its sum of
squares, gives that value). The result always lies in the bucket, so it is within
the bucket's width (2 a |P_q|, a = ``relative_accuracy``, default 0.05%; or
2 ``min_magnitude`` near zero) of the exact value; for smooth distributions the
interpolation error is of third order in the bucket width, about a thousand times
smaller (:func:`quantile_error_estimate` gives the size of the density-shape correction
as an indicator). Without interpolation (the bucket's representative value, DDSketch's
own estimate) the error was up to 8x the percentile's own sampling error at 2**21
scenarios. The extremes (P0, P100) are exact.
Expected shortfall ES_p (mean of the worst fraction p, lower tail) sums whole buckets
exactly and takes the bucket mean for the one bucket cut by the quantile, so its error is
at most a |P_p| (in practice far less). The means, standard deviations and probabilities
are exact up to rounding.
A histogram (:func:`histogram`) places each bucket's values at the bucket's mean, so a
bin's count is exact except for values within a relative 2a (0.1%) of one of its edges.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping

import numpy as np

from ..errors import RoqInputError

__all__ = [
    "DEFAULT_RELATIVE_ACCURACY",
    "DEFAULT_MIN_MAGNITUDE",
    "PERCENTILES",
    "summarise_block",
    "merge",
    "merge_two",
    "RunningMerge",
    "finalize",
    "quantile",
    "histogram",
    "expected_shortfall",
    "moments",
    "probability_halfwidth",
]

DEFAULT_RELATIVE_ACCURACY = 5e-4
DEFAULT_MIN_MAGNITUDE = 1e-9
#: Percentiles reported by :func:`finalize` (as fractions).
PERCENTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
#: Normal quantile of a two-sided 95% confidence interval.
Z95 = 1.959963984540054


class _Buckets:
    """Bucket geometry of one relative accuracy and zero threshold."""

    def __init__(self, relative_accuracy: float, min_magnitude: float):
        if not 0 < relative_accuracy < 1:
            raise RoqInputError("relative_accuracy", f"must lie in (0, 1), got {relative_accuracy!r}")
        if not min_magnitude > 0:
            raise RoqInputError("min_magnitude", f"must be > 0, got {min_magnitude!r}")
        self.gamma = (1.0 + relative_accuracy) / (1.0 - relative_accuracy)
        self.log_gamma = math.log(self.gamma)
        self.inverse_log_gamma = 1.0 / self.log_gamma
        # bucket k covers (gamma^(k-1), gamma^k]; buckets below key_min fold into the zero bucket
        self.key_min = math.ceil(math.log(min_magnitude) / self.log_gamma)

    def slots(self, x: np.ndarray) -> np.ndarray:
        """Signed bucket index per value (float array): 0 is the zero bucket, monotone in x."""
        with np.errstate(divide="ignore"):
            slot = np.log(np.abs(x))
        slot *= self.inverse_log_gamma
        np.ceil(slot, out=slot)
        slot -= self.key_min - 1
        np.maximum(slot, 0.0, out=slot)
        np.copysign(slot, x, out=slot)
        return slot

    def slot_of(self, value: float) -> int:
        return int(self.slots(np.array([value]))[0])

    def edges(self, slot: int) -> tuple[float, float]:
        """Lower and upper edge of a bucket: (gamma^(k-1), gamma^k] for positive values,
        mirrored for negative ones, [-min_magnitude, min_magnitude] for the zero bucket."""
        if slot == 0:
            magnitude = math.exp(self.key_min * self.log_gamma)
            return -magnitude, magnitude
        key = abs(slot) + self.key_min - 1
        low, high = math.exp((key - 1) * self.log_gamma), math.exp(key * self.log_gamma)
        return (low, high) if slot > 0 else (-high, -low)

    def representative(self, slot: int) -> float:
        """Value reported for a bucket: 2 gamma^k / (gamma + 1), within the relative accuracy."""
        if slot == 0:
            return 0.0
        key = abs(slot) + self.key_min - 1
        value = 2.0 * math.exp(key * self.log_gamma) / (self.gamma + 1.0)
        return value if slot > 0 else -value


_GEOMETRY: dict[tuple[float, float], _Buckets] = {}


def _geometry(relative_accuracy: float, min_magnitude: float) -> _Buckets:
    key = (float(relative_accuracy), float(min_magnitude))
    if key not in _GEOMETRY:
        _GEOMETRY[key] = _Buckets(*key)
    return _GEOMETRY[key]


def _summarise_one(x: np.ndarray, thresholds: Iterable[float], geometry: _Buckets) -> dict:
    x = np.asarray(x, dtype=float).reshape(-1)
    total = float(np.sum(x))
    nonfinite = 0
    if not math.isfinite(total):
        finite = np.isfinite(x)
        nonfinite = int(x.size - np.count_nonzero(finite))
        x = x[finite]
        total = float(np.sum(x))
    n = int(x.size)
    summary = {"count": n, "nonfinite": nonfinite, "exceed": {float(t): 0 for t in thresholds}}
    if n == 0:
        summary.update(mean=0.0, m2=0.0, min=math.inf, max=-math.inf, offset=0, counts=np.zeros(0, np.int64), sums=np.zeros(0), squares=np.zeros(0))
        return summary
    mean = total / n
    deviation = x - mean
    summary.update(mean=mean, m2=float(np.einsum("i,i->", deviation, deviation)), min=float(x.min()), max=float(x.max()))
    for threshold in summary["exceed"]:
        summary["exceed"][threshold] = int(np.count_nonzero(x > threshold))
    slot = geometry.slots(x)
    # slots are monotone in x, so the extremes' slots bound the dense bucket range
    low = geometry.slot_of(summary["min"])
    high = geometry.slot_of(summary["max"])
    slot -= low
    index = slot.astype(np.intp)
    summary["offset"] = low
    summary["counts"] = np.bincount(index, minlength=high - low + 1).astype(np.int64, copy=False)
    summary["sums"] = np.bincount(index, weights=x, minlength=high - low + 1)
    summary["squares"] = np.bincount(index, weights=x * x, minlength=high - low + 1)
    return summary


def summarise_block(outputs: Mapping[str, np.ndarray], *, thresholds: Mapping[str, Iterable[float]] | None = None,
                    relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY, min_magnitude: float = DEFAULT_MIN_MAGNITUDE) -> dict:
    """Reduce one block of model outputs to a mergeable partial summary.

    Parameters
    ----------
    outputs : mapping of str to ndarray
        Output name -> values of the block's scenarios (any shape; flattened).
    thresholds : mapping of str to iterable of float, optional
        Per output, values t for which the count of x > t is kept (``{"roq": [1.0]}``
        gives P(ROQ > 1)).
    relative_accuracy, min_magnitude : float
        Quantile sketch geometry (see the module docstring); partials merge only with
        partials of the same geometry.

    Returns
    -------
    dict
        ``{"relative_accuracy", "min_magnitude", "outputs": {name: {...}}}``.

    Examples
    --------
    >>> part = summarise_block({"roq": np.array([0.5, 2.0, 3.0, 4.0])}, thresholds={"roq": [1.0]})
    >>> result = finalize(part)["roq"]
    >>> result["mean"], result["exceed"][1.0]
    (2.375, 0.75)
    """
    geometry = _geometry(relative_accuracy, min_magnitude)
    thresholds = thresholds or {}
    return {
        "relative_accuracy": float(relative_accuracy),
        "min_magnitude": float(min_magnitude),
        "outputs": {name: _summarise_one(values, thresholds.get(name, ()), geometry) for name, values in outputs.items()},
    }


def _merge_output(a: dict, b: dict) -> dict:
    if a["exceed"].keys() != b["exceed"].keys():
        raise RoqInputError("partials", "were summarised with different thresholds")
    n = a["count"] + b["count"]
    out = {"count": n, "nonfinite": a["nonfinite"] + b["nonfinite"], "exceed": {t: a["exceed"][t] + b["exceed"][t] for t in a["exceed"]}}
    if a["count"] == 0 or b["count"] == 0:
        source = b if a["count"] == 0 else a
        out.update(mean=source["mean"], m2=source["m2"], min=source["min"], max=source["max"], offset=source["offset"], counts=source["counts"].copy(), sums=source["sums"].copy(), squares=source["squares"].copy())
        return out
    delta = b["mean"] - a["mean"]
    out["mean"] = a["mean"] + delta * (b["count"] / n)
    out["m2"] = a["m2"] + b["m2"] + delta * delta * (a["count"] * b["count"] / n)
    out["min"] = min(a["min"], b["min"])
    out["max"] = max(a["max"], b["max"])
    low = min(a["offset"], b["offset"])
    high = max(a["offset"] + a["counts"].size, b["offset"] + b["counts"].size)
    counts = np.zeros(high - low, np.int64)
    sums = np.zeros(high - low)
    squares = np.zeros(high - low)
    for part in (a, b):
        start = part["offset"] - low
        counts[start:start + part["counts"].size] += part["counts"]
        sums[start:start + part["sums"].size] += part["sums"]
        squares[start:start + part["squares"].size] += part["squares"]
    out.update(offset=low, counts=counts, sums=sums, squares=squares)
    return out


def merge_two(a: dict, b: dict) -> dict:
    """Merge two partials (the summary of the union of their scenarios)."""
    if (a["relative_accuracy"], a["min_magnitude"]) != (b["relative_accuracy"], b["min_magnitude"]):
        raise RoqInputError("partials", "use different sketch accuracies and cannot be merged")
    if a["outputs"].keys() != b["outputs"].keys():
        raise RoqInputError("partials", f"summarise different outputs: {sorted(a['outputs'])} and {sorted(b['outputs'])}")
    return {
        "relative_accuracy": a["relative_accuracy"],
        "min_magnitude": a["min_magnitude"],
        "outputs": {name: _merge_output(a["outputs"][name], b["outputs"][name]) for name in a["outputs"]},
    }


def merge(partials: Iterable[dict]) -> dict:
    """Merge partials left to right (a fixed order keeps results bit-identical run to run)."""
    running = RunningMerge()
    for partial in partials:
        running.add(partial)
    if running.count == 0:
        raise RoqInputError("partials", "nothing to merge")
    return running.partial()


class RunningMerge:
    """The left fold ``merge_two(merge_two(p1, p2), p3) ...`` kept in place.

    Each :meth:`add` updates the running counts, Chan-Golub-LeVeque mean and M2, extremes,
    threshold counts and bucket sums with :func:`merge_two`'s own arithmetic in its order,
    so :meth:`partial` is that fold's partial to the bit; but nothing is rebuilt per
    partial (merge_two makes a new dict and three new bucket arrays per output, 50 us a
    block of three outputs; this takes about a fifth). The bucket arrays grow by doubling
    around the window in use.

    Examples
    --------
    >>> parts = [summarise_block({"roq": np.array(v)}) for v in ([0.5, 2.0], [3.0], [4.0])]
    >>> running = RunningMerge()
    >>> for part in parts:
    ...     running.add(part)
    >>> finalize(running.partial())["roq"]["mean"]
    2.375
    """

    def __init__(self):
        self.count = 0  # partials added
        self._geometry = None
        self._outputs: dict = {}

    def add(self, partial: dict) -> None:
        """Fold one partial (as :func:`summarise_block` returns it) into the running merge."""
        geometry = (partial["relative_accuracy"], partial["min_magnitude"])
        if self.count == 0:
            self._geometry = geometry
            self._outputs = {name: _RunningOutput(summary) for name, summary in partial["outputs"].items()}
        else:
            if geometry != self._geometry:
                raise RoqInputError("partials", "use different sketch accuracies and cannot be merged")
            if partial["outputs"].keys() != self._outputs.keys():
                raise RoqInputError("partials", f"summarise different outputs: {sorted(self._outputs)} and {sorted(partial['outputs'])}")
            for name, summary in partial["outputs"].items():
                output = self._outputs[name]
                if summary["exceed"].keys() != output.exceed.keys():
                    raise RoqInputError("partials", "were summarised with different thresholds")
                output.add(summary["count"], summary["nonfinite"], summary["exceed"].values(), summary["mean"], summary["m2"],
                           summary["min"], summary["max"], summary["offset"], summary["counts"], summary["sums"], summary["squares"])
        self.count += 1

    def partial(self) -> dict:
        """The merged partial so far (a new dict with its own arrays)."""
        if self.count == 0:
            raise RoqInputError("partials", "nothing to merge")
        return {"relative_accuracy": self._geometry[0], "min_magnitude": self._geometry[1],
                "outputs": {name: output.summary() for name, output in self._outputs.items()}}


class _RunningOutput:
    """One output of a :class:`RunningMerge`: :func:`_merge_output`'s fold, in place."""

    __slots__ = ("count", "nonfinite", "exceed", "mean", "m2", "min", "max", "low", "high", "origin", "counts", "sums", "squares")

    def __init__(self, summary: dict):
        self.count, self.nonfinite = summary["count"], summary["nonfinite"]
        self.exceed = dict(summary["exceed"])
        self._take(summary["mean"], summary["m2"], summary["min"], summary["max"], summary["offset"], summary["counts"], summary["sums"], summary["squares"])

    def _take(self, mean, m2, smallest, largest, offset, counts, sums, squares):
        # a partial with no finite value is replaced whole by the next (as _merge_output's source rule)
        self.mean, self.m2, self.min, self.max = mean, m2, smallest, largest
        size = counts.size
        self.origin = offset - size // 2  # room on both sides: windows widen either way
        self.low, self.high = offset, offset + size
        capacity = max(2 * size, 16)
        self.counts, self.sums, self.squares = np.zeros(capacity, np.int64), np.zeros(capacity), np.zeros(capacity)
        start = size // 2
        self.counts[start:start + size] = counts
        self.sums[start:start + size] = sums
        self.squares[start:start + size] = squares

    def add(self, count, nonfinite, exceed, mean, m2, smallest, largest, offset, counts, sums, squares):
        before = self.count
        n = before + count
        self.count, self.nonfinite = n, self.nonfinite + nonfinite
        for threshold, above in zip(self.exceed, exceed):
            self.exceed[threshold] += above
        if before == 0:
            self._take(mean, m2, smallest, largest, offset, counts, sums, squares)
            return
        if count == 0:
            return
        delta = mean - self.mean
        self.mean = self.mean + delta * (count / n)
        self.m2 = self.m2 + m2 + delta * delta * (before * count / n)
        self.min = min(self.min, smallest)
        self.max = max(self.max, largest)
        low, high = min(self.low, offset), max(self.high, offset + counts.size)
        if low < self.origin or high > self.origin + self.counts.size:
            self._grow(low, high)
        self.low, self.high = low, high
        start = offset - self.origin
        self.counts[start:start + counts.size] += counts
        self.sums[start:start + counts.size] += sums
        self.squares[start:start + counts.size] += squares

    def _grow(self, low, high):
        used = slice(self.low - self.origin, self.high - self.origin)
        size = high - low
        capacity = max(2 * size, self.counts.size)
        origin = low - (capacity - size) // 2
        for name in ("counts", "sums", "squares"):
            old = getattr(self, name)
            new = np.zeros(capacity, old.dtype)
            new[self.low - origin:self.high - origin] = old[used]
            setattr(self, name, new)
        self.origin = origin

    def summary(self) -> dict:
        used = slice(self.low - self.origin, self.high - self.origin)
        return {"count": self.count, "nonfinite": self.nonfinite, "exceed": dict(self.exceed), "mean": self.mean, "m2": self.m2,
                "min": self.min, "max": self.max, "offset": self.low,
                "counts": self.counts[used].copy(), "sums": self.sums[used].copy(), "squares": self.squares[used].copy()}


def quantile(partial: dict, output: str, q: float) -> float:
    """P_q of one output of a partial: the ceil(q n)-th smallest value, within the sketch accuracy."""
    return _quantile(partial["outputs"][output], q, _geometry(partial["relative_accuracy"], partial["min_magnitude"]))


def _quantile(summary: dict, q: float, geometry: _Buckets) -> float:
    n = summary["count"]
    if n == 0:
        return math.nan
    if q <= 0:
        return summary["min"]
    if q >= 1:
        return summary["max"]
    value, _ = _interpolated(summary, q, geometry)
    return value


def _interpolated(summary: dict, q: float, geometry: _Buckets) -> tuple[float, float]:
    """(P_q interpolated in its bucket, size of the density-shape correction)."""
    n = summary["count"]
    rank = max(1, math.ceil(round(q * n, 6)))  # round: q * n may land a hair above a whole number
    cumulative = np.cumsum(summary["counts"])
    position = int(np.searchsorted(cumulative, rank, side="left"))
    count = int(summary["counts"][position])
    before = int(cumulative[position]) - count
    low, high = geometry.edges(summary["offset"] + position)
    low, high = max(low, summary["min"]), min(high, summary["max"])  # the extremes are exact
    width = high - low
    if count <= 0 or width <= 0:
        return min(max(geometry.representative(summary["offset"] + position), summary["min"]), summary["max"]), 0.0
    mean = summary["sums"][position] / count
    if summary["squares"][position] / count - mean * mean <= (1e-4 * width) ** 2:
        return min(max(mean, low), high), 0.0  # one value repeated (ties): that value, exactly
    p = (rank - before - 0.5) / count
    # linear density 1 + b (t - 1/2) on t in [0, 1] with the bucket's mean: E t = 1/2 + b/12
    mean_t = (mean - low) / width
    b = min(max(12.0 * (mean_t - 0.5), -2.0), 2.0)
    if abs(b) < 1e-9:
        t = p
    else:  # F(t) = t + b/2 (t^2 - t) = p
        c = 1.0 - b / 2.0
        t = 2.0 * p / (c + math.sqrt(max(c * c + 2.0 * b * p, 0.0)))
    t = min(max(t, 0.0), 1.0)
    return low + t * width, abs(t - p) * width


def quantile_error_estimate(partial: dict, output: str, q: float) -> float:
    """Size of the in-bucket density correction of :func:`quantile` (uniform vs linear
    density): an indicator of the interpolation error, which is of higher order still;
    0 when the bucket is symmetric or holds one value."""
    summary = partial["outputs"][output]
    if summary["count"] == 0 or q <= 0 or q >= 1:
        return 0.0
    return _interpolated(summary, q, _geometry(partial["relative_accuracy"], partial["min_magnitude"]))[1]


def histogram(partial: dict, output: str, bins=50, *, clip: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of one output of a partial, from its quantile sketch (no samples needed).

    Each sketch bucket (values in (gamma^(k-1), gamma^k], with exact count and sum) is
    counted in the bin holding the bucket's mean value (sum / count).

    Parameters
    ----------
    partial : dict
        A (merged) partial summary, e.g. ``MonteCarloResult.partial``.
    output : str
        One of its outputs.
    bins : int or sequence of float
        A number of equal-width bins spanning the exact min..max of the values, or the
        bin edges (increasing; the last bin includes its right edge, as in
        :func:`numpy.histogram`).
    clip : bool
        Count values below the first edge in the first bin and values above the last
        edge in the last bin (so the counts add up to every finite value); default: leave
        them out, as :func:`numpy.histogram` does.

    Returns
    -------
    (ndarray, ndarray)
        ``edges`` (length bins + 1) and integer ``counts`` (length bins). With ``bins``
        a number (or ``clip=True``) the counts add up to the output's finite values.

    Notes
    -----
    Accuracy: every value of a bucket lies within a relative distance gamma - 1 ~ 2a
    (a = ``relative_accuracy``, default 0.05%, so about 0.1%) of the bucket's mean, or
    within ``min_magnitude`` for the zero bucket. So a value is counted in the wrong bin
    only if it lies within that distance of a bin edge, and then in the neighbouring
    bin; totals and every count away from the edges are exact.

    Examples
    --------
    >>> part = summarise_block({"roq": np.array([0.5, 1.5, 2.5, 3.5])})
    >>> edges, counts = histogram(part, "roq", [0.0, 1.0, 2.0, 4.0])
    >>> counts.tolist()
    [1, 1, 2]
    """
    outputs = partial.get("outputs", {}) if isinstance(partial, Mapping) else {}
    if output not in outputs:
        raise RoqInputError("output", f"{output!r} is not summarised in this partial (outputs: {', '.join(map(str, outputs)) or 'none'})")
    summary = outputs[output]
    if isinstance(bins, (bool, np.bool_)) or (isinstance(bins, (int, np.integer)) and bins < 1):
        raise RoqInputError("bins", f"must be a whole number >= 1 or increasing bin edges, got {bins!r}")
    if isinstance(bins, (int, np.integer)):
        if summary["count"] == 0:
            raise RoqInputError("output", f"{output!r} has no finite values to bin")
        low, high = summary["min"], summary["max"]
        if high <= low:
            low, high = low - 0.5, high + 0.5
        edges = np.linspace(low, high, int(bins) + 1)
        clip = True  # the values' own range: the extremes are exactly the outer edges
    else:
        try:
            edges = np.asarray(bins, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise RoqInputError("bins", f"must be a whole number >= 1 or increasing bin edges, got {bins!r}") from None
        if edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
            raise RoqInputError("bins", "edges must be at least two finite, strictly increasing numbers")
    counts = np.asarray(summary["counts"])
    used = counts > 0
    means = np.asarray(summary["sums"])[used] / counts[used]
    if clip:
        means = np.clip(means, edges[0], edges[-1])
    binned, _ = np.histogram(means, edges, weights=counts[used])
    return edges, np.rint(binned).astype(np.int64)


def expected_shortfall(partial: dict, output: str, level: float = 0.05, tail: str = "lower") -> float:
    """Mean of the worst fraction ``level`` of one output's values (lower tail by default).

    With k = level * n (fractional), ES = (sum of the floor(k) worst values + the fraction
    of the next one) / k, the expected shortfall of Acerbi & Tasche (2002).
    """
    return _expected_shortfall(partial["outputs"][output], level, tail)


def _expected_shortfall(summary: dict, level: float, tail: str) -> float:
    n = summary["count"]
    if n == 0 or not 0 < level <= 1:
        return math.nan
    counts, sums = summary["counts"], summary["sums"]
    if tail == "upper":
        counts, sums = counts[::-1], sums[::-1]
    elif tail != "lower":
        raise RoqInputError("tail", f"must be 'lower' or 'upper', got {tail!r}")
    wanted = level * n
    cumulative = np.cumsum(counts)
    full = min(int(np.searchsorted(cumulative, wanted, side="left")), counts.size - 1)  # bucket holding the cut
    before = float(cumulative[full - 1]) if full > 0 else 0.0
    total = float(np.sum(sums[:full]))
    remaining = wanted - before
    if remaining > 0 and counts[full] > 0:
        total += remaining * sums[full] / counts[full]
    return total / wanted


def moments(summary: dict, confidence_z: float = Z95) -> dict:
    """Mean, sd and the confidence half-width of the mean (z sd / sqrt(n)) of one output."""
    n = summary["count"]
    sd = math.sqrt(summary["m2"] / (n - 1)) if n > 1 else math.nan
    return {"count": n, "mean": summary["mean"] if n else math.nan, "sd": sd, "mean_halfwidth": confidence_z * sd / math.sqrt(n) if n > 1 else math.nan}


def probability_halfwidth(p: float, n: int, confidence_z: float = Z95) -> float:
    """Half-width of the Wilson score interval of an estimated probability (Wilson 1927).

    z / (1 + z^2/n) sqrt(p (1 - p) / n + z^2 / (4 n^2)): close to the normal
    approximation z sqrt(p (1 - p) / n) for 0 << p << 1, but not zero when every
    scenario is feasible (p = 1), where it is about z^2 / (2 n).
    """
    if n <= 0 or math.isnan(p):
        return math.nan
    z2 = confidence_z * confidence_z
    return confidence_z / (1.0 + z2 / n) * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))


def finalize(partial: dict, *, percentiles: Iterable[float] = PERCENTILES, shortfall_level: float = 0.05, confidence_z: float = Z95) -> dict:
    """Statistics of every output of a (merged) partial.

    Returns
    -------
    dict of str to dict
        Per output: ``count``, ``nonfinite``, ``mean``, ``sd``, ``mean_halfwidth``
        (95% CI of the mean), ``min``, ``max``, ``percentiles`` ({q: P_q}),
        ``expected_shortfall`` (mean of the lowest ``shortfall_level`` fraction),
        ``exceed`` ({t: P(x > t)}) and ``exceed_halfwidth`` ({t: half-width of the 95%
        Wilson interval}).
    """
    geometry = _geometry(partial["relative_accuracy"], partial["min_magnitude"])
    out = {}
    for name, summary in partial["outputs"].items():
        n = summary["count"]
        result = moments(summary, confidence_z)
        result["nonfinite"] = summary["nonfinite"]
        result["min"] = summary["min"] if n else math.nan
        result["max"] = summary["max"] if n else math.nan
        result["percentiles"] = {float(q): _quantile(summary, q, geometry) for q in percentiles}
        result["expected_shortfall"] = _expected_shortfall(summary, shortfall_level, "lower")
        result["shortfall_level"] = shortfall_level
        result["exceed"] = {t: (c / n if n else math.nan) for t, c in summary["exceed"].items()}
        result["exceed_halfwidth"] = {t: probability_halfwidth(p, n, confidence_z) for t, p in result["exceed"].items()}
        out[name] = result
    return out
