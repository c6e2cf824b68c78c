"""Streaming, mergeable statistics: equal to numpy on all samples (percentiles within the
sketch's documented accuracy), merge associative and commutative, bad merges refused."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simulator.uncertainty.statistics as statistics_module
from simulator import RoqInputError
from simulator.uncertainty.statistics import (
    DEFAULT_MIN_MAGNITUDE,
    DEFAULT_RELATIVE_ACCURACY,
    PERCENTILES,
    RunningMerge,
    expected_shortfall,
    finalize,
    histogram,
    merge,
    merge_two,
    quantile,
    summarise_block,
)


def exact_quantile(values: np.ndarray, q: float) -> float:
    """The ceil(q n)-th smallest value (inverted-CDF definition)."""
    ordered = np.sort(values)
    return float(ordered[max(1, math.ceil(round(q * values.size, 6))) - 1])


def exact_shortfall(values: np.ndarray, level: float) -> float:
    ordered = np.sort(values)
    k = level * values.size
    whole = int(math.floor(k))
    total = ordered[:whole].sum() + (k - whole) * (ordered[whole] if whole < values.size else 0.0)
    return total / k


def within_sketch(estimate: float, exact: float, accuracy=DEFAULT_RELATIVE_ACCURACY) -> bool:
    return abs(estimate - exact) <= accuracy * abs(exact) + DEFAULT_MIN_MAGNITUDE + 1e-15


DATASETS = {
    "roq_like": lambda rng: rng.normal(2.7, 0.25, 200_003),
    "npv_gain_mixed_sign": lambda rng: rng.normal(2e8, 1e9, 150_000),
    "skewed_lognormal": lambda rng: rng.lognormal(-3.3, 0.8, 100_000),
    "with_zeros_and_ties": lambda rng: np.round(rng.normal(0.0, 1.0, 50_000), 1),
    "tiny_sample": lambda rng: np.array([0.5, 2.0, 3.0, 4.0, -1.0]),
}


@pytest.mark.parametrize("name", list(DATASETS))
def test_streaming_equals_numpy_on_all_samples(name):
    values = DATASETS[name](np.random.default_rng(11))
    blocks = np.array_split(values, 7)
    partials = [summarise_block({"y": b}, thresholds={"y": [1.0, 0.0]}) for b in blocks]
    merged = merge(partials)
    result = finalize(merged)["y"]
    assert result["count"] == values.size
    assert result["mean"] == pytest.approx(values.mean(), rel=1e-12, abs=1e-12 * np.abs(values).max())
    assert result["sd"] == pytest.approx(values.std(ddof=1), rel=1e-10)
    assert result["min"] == values.min() and result["max"] == values.max()
    for q in PERCENTILES:
        assert within_sketch(result["percentiles"][q], exact_quantile(values, q)), q
        assert within_sketch(quantile(merged, "y", q), exact_quantile(values, q))
    assert result["exceed"][1.0] == np.count_nonzero(values > 1.0) / values.size
    assert result["exceed"][0.0] == np.count_nonzero(values > 0.0) / values.size
    tail = np.sort(values)[: max(1, math.ceil(0.05 * values.size))]
    bound = DEFAULT_RELATIVE_ACCURACY * np.abs(tail).max() + DEFAULT_MIN_MAGNITUDE
    assert abs(result["expected_shortfall"] - exact_shortfall(values, 0.05)) <= bound
    upper = expected_shortfall(merged, "y", 0.05, tail="upper")
    assert abs(upper + exact_shortfall(-values, 0.05)) <= DEFAULT_RELATIVE_ACCURACY * np.abs(values).max() + DEFAULT_MIN_MAGNITUDE


def test_confidence_halfwidths():
    values = np.random.default_rng(2).normal(2.0, 0.5, 10_000)
    result = finalize(summarise_block({"roq": values}, thresholds={"roq": [2.0]}))["roq"]
    assert result["mean_halfwidth"] == pytest.approx(1.959963984540054 * values.std(ddof=1) / 100)
    p = result["exceed"][2.0]
    # Wilson's half-width is the normal one to within z^2/n for p near 1/2 ...
    assert result["exceed_halfwidth"][2.0] == pytest.approx(1.959963984540054 * math.sqrt(p * (1 - p) / 10_000), rel=1e-3)
    # ... and stays positive when every scenario is feasible
    all_feasible = finalize(summarise_block({"roq": np.full(1000, 3.0)}, thresholds={"roq": [1.0]}))["roq"]
    assert all_feasible["exceed"][1.0] == 1.0
    assert all_feasible["exceed_halfwidth"][1.0] == pytest.approx(1.959963984540054**2 / 2000, rel=0.01)


def test_nonfinite_values_are_counted_and_left_out():
    values = np.array([1.0, np.nan, 2.0, np.inf, 3.0])
    result = finalize(summarise_block({"y": values}))["y"]
    assert result["count"] == 3 and result["nonfinite"] == 2
    assert result["mean"] == 2.0 and result["percentiles"][0.5] == pytest.approx(2.0, rel=DEFAULT_RELATIVE_ACCURACY)


def test_empty_block_merges_as_identity():
    empty = summarise_block({"y": np.array([])}, thresholds={"y": [1.0]})
    full = summarise_block({"y": np.array([0.5, 1.5, 2.5])}, thresholds={"y": [1.0]})
    assert finalize(merge_two(empty, full)) == finalize(full)
    assert finalize(merge_two(full, empty)) == finalize(full)


def _equal_partials(a, b, *, exact_floats):
    assert a.keys() == b.keys()
    for name in a["outputs"]:
        x, y = a["outputs"][name], b["outputs"][name]
        for key in ("count", "nonfinite", "exceed", "offset", "min", "max"):
            assert x[key] == y[key], key
        assert np.array_equal(x["counts"], y["counts"])
        if exact_floats:
            assert x["mean"] == y["mean"] and x["m2"] == y["m2"] and np.array_equal(x["sums"], y["sums"])
        else:
            assert x["mean"] == pytest.approx(y["mean"], rel=1e-12)
            assert x["m2"] == pytest.approx(y["m2"], rel=1e-10)
            np.testing.assert_allclose(x["sums"], y["sums"], rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=0, max_size=40), min_size=3, max_size=3))
def test_merge_is_associative_and_commutative(chunks):
    a, b, c = (summarise_block({"y": np.array(chunk, dtype=float)}, thresholds={"y": [1.0]}) for chunk in chunks)
    left = merge_two(merge_two(a, b), c)
    right = merge_two(a, merge_two(b, c))
    _equal_partials(left, right, exact_floats=False)
    _equal_partials(merge_two(a, b), merge_two(b, a), exact_floats=False)
    everything = summarise_block({"y": np.array(sum(chunks, []), dtype=float)}, thresholds={"y": [1.0]})
    _equal_partials(left, everything, exact_floats=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.floats(-1e-3, 1e-3), st.sampled_from([0.0, math.inf, math.nan, 1e12])),
                         min_size=0, max_size=30), min_size=1, max_size=8))
def test_running_merge_is_the_merge_two_fold_to_the_bit(chunks):
    """RunningMerge (in place, windows grown by doubling) gives merge_two's left fold exactly:
    counts, sums, squares, mean, M2, extremes, thresholds; empty and all-nonfinite parts too."""
    parts = [summarise_block({"y": np.array(chunk, dtype=float), "z": -np.array(chunk[::-1], dtype=float)}, thresholds={"y": [1.0, 5.0]})
             for chunk in chunks]
    running = RunningMerge()
    folded = None
    for part in parts:
        running.add(part)
        folded = part if folded is None else merge_two(folded, part)
        _equal_partials(running.partial(), folded, exact_floats=True)
        for name in ("y", "z"):
            x, y = running.partial()["outputs"][name], folded["outputs"][name]
            assert np.array_equal(x["squares"], y["squares"]) and x["exceed"] == y["exceed"]
    assert finalize(running.partial()) == finalize(merge(parts))


def test_running_merge_refuses_what_merge_two_refuses():
    running = RunningMerge()
    running.add(summarise_block({"y": np.ones(3)}))
    with pytest.raises(RoqInputError, match="partials: use different sketch accuracies"):
        running.add(summarise_block({"y": np.ones(3)}, relative_accuracy=0.01))
    with pytest.raises(RoqInputError, match="partials: summarise different outputs"):
        running.add(summarise_block({"z": np.ones(3)}))
    with pytest.raises(RoqInputError, match="partials: were summarised with different thresholds"):
        running.add(summarise_block({"y": np.ones(3)}, thresholds={"y": [1.0]}))
    with pytest.raises(RoqInputError, match="partials: nothing to merge"):
        RunningMerge().partial()


def test_merge_refuses_incompatible_partials():
    a = summarise_block({"y": np.ones(3)})
    with pytest.raises(RoqInputError, match="partials: use different sketch accuracies"):
        merge_two(a, summarise_block({"y": np.ones(3)}, relative_accuracy=0.01))
    with pytest.raises(RoqInputError, match="partials: summarise different outputs"):
        merge_two(a, summarise_block({"z": np.ones(3)}))
    with pytest.raises(RoqInputError, match="partials: were summarised with different thresholds"):
        merge_two(a, summarise_block({"y": np.ones(3)}, thresholds={"y": [1.0]}))
    with pytest.raises(RoqInputError, match="partials: nothing to merge"):
        merge([])
    with pytest.raises(RoqInputError, match="relative_accuracy: must lie in"):
        summarise_block({"y": np.ones(3)}, relative_accuracy=0)


def test_partials_pickle():
    import pickle

    partial = summarise_block({"y": np.random.default_rng(1).normal(size=1000)}, thresholds={"y": [0.0]})
    _equal_partials(pickle.loads(pickle.dumps(partial)), partial, exact_floats=True)


@pytest.mark.parametrize("name", list(DATASETS))
def test_histogram_from_the_sketch(name):
    values = DATASETS[name](np.random.default_rng(3))
    partial = merge(summarise_block({"y": b}) for b in np.array_split(values, 5))
    edges, counts = histogram(partial, "y", 40)
    assert edges.size == 41 and edges[0] == values.min() and edges[-1] == values.max()
    assert counts.dtype == np.int64 and counts.sum() == values.size  # every sample, exactly once
    # equal to numpy's histogram but for values within the documented 2a of an edge
    exact, _ = np.histogram(values, edges)
    gamma = (1 + DEFAULT_RELATIVE_ACCURACY) / (1 - DEFAULT_RELATIVE_ACCURACY)
    near_edge = np.array([np.count_nonzero(np.abs(values - e) <= (gamma - 1) * abs(e) + DEFAULT_MIN_MAGNITUDE) for e in edges])
    assert np.all(np.abs(counts - exact) <= near_edge[:-1] + near_edge[1:])
    # explicit edges: outside values left out, or counted in the outer bins with clip
    inner = np.quantile(values, [0.1, 0.5, 0.9])
    _, kept = histogram(partial, "y", inner)
    _, clipped = histogram(partial, "y", inner, clip=True)
    assert clipped.sum() == values.size
    exact, _ = np.histogram(values, inner)
    near_inner = np.array([np.count_nonzero(np.abs(values - e) <= (gamma - 1) * abs(e) + DEFAULT_MIN_MAGNITUDE) for e in inner])
    assert np.all(np.abs(kept - exact) <= near_inner[:-1] + near_inner[1:])


def test_histogram_bad_input():
    partial = summarise_block({"y": np.arange(10.0)})
    with pytest.raises(RoqInputError, match="output: 'z' is not summarised"):
        histogram(partial, "z")
    for bad in (0, True, [1.0], [2.0, 1.0], [0.0, np.nan], "ten"):
        with pytest.raises(RoqInputError, match="bins: "):
            histogram(partial, "y", bad)
    with pytest.raises(RoqInputError, match="no finite values"):
        histogram(summarise_block({"y": np.array([np.nan])}), "y")


def test_doctests():
    assert doctest.testmod(statistics_module).failed == 0
