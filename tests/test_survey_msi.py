"""Method of Successive Intervals: the worked example, seed 001's midpoint table and its
misprint, empty categories, matrix transformation, properties and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulator import RoqInputError
from simulator.survey import msi_transform, successive_intervals
from simulator.survey.casestudy import MISPRINTS, PUBLISHED


# --- published figures ---------------------------------------------------------------------
def test_standard_msi_worked_example():
    result = successive_intervals([3, 4, 13, 6, 4])
    expected = [1.0, 1.775526, 2.622275, 3.496614, 4.369536]
    assert result.interval_values == pytest.approx(expected, abs=1e-6)
    assert result.mapping == pytest.approx(dict(zip([1, 2, 3, 4, 5], expected)), abs=1e-6)
    assert result.empty_categories == []


def test_midpoint_variant_seed001_z_values():
    result = successive_intervals([166, 820, 274], method="midpoint")
    assert result.proportions == pytest.approx([0.131746, 0.650794, 0.217460], abs=1e-6)
    assert result.cumulative == pytest.approx([0.131746, 0.782540, 1.0], abs=1e-6)
    assert result.midpoints == pytest.approx([0.065873, 0.457143, 0.891270], abs=1e-6)
    assert result.z[:2] == pytest.approx([-1.50725, -0.10763], abs=1e-5)
    # the correct third z, not the paper's 1.71845
    assert result.z[2] == pytest.approx(stats.norm.ppf(0.891270), abs=1e-5)
    assert result.z[2] == pytest.approx(1.23331, abs=1e-5)


def test_midpoint_misprint_is_documented_not_reproduced():
    published = PUBLISHED["msi_midpoint_z"]
    # the printed z belongs to the printed (wrong) midpoint 0.957143 ...
    assert stats.norm.ppf(0.9571429) == pytest.approx(published[2], abs=1e-5)
    # ... which is not cum_2 + p_3 / 2
    result = successive_intervals([166, 820, 274], method="midpoint")
    assert result.midpoints[2] != pytest.approx(0.957143, abs=1e-3)
    assert abs(result.z[2] - published[2]) > 0.4
    assert "0.957143" in MISPRINTS["msi_third_midpoint"] and "1.71845" in MISPRINTS["msi_third_midpoint"]


def test_standard_table_columns_and_density_formula():
    result = successive_intervals([3, 4, 13, 6, 4])
    frame = result.to_frame()
    assert list(frame.columns) == [
        "Category", "Count", "Proportion", "Cumulative", "Z", "Density", "Scale value", "Interval value"
    ]
    density = np.concatenate(([0.0], stats.norm.pdf(stats.norm.ppf(np.cumsum([3, 4, 13, 6, 4]) / 30))))
    expected = (density[:-1] - density[1:]) / (np.array([3, 4, 13, 6, 4]) / 30)
    assert result.scale_values == pytest.approx(expected)
    midpoint_frame = successive_intervals([166, 820, 274], method="midpoint").to_frame()
    assert "Midpoint" in midpoint_frame.columns and "Density" not in midpoint_frame.columns


def test_standard_scale_values_average_to_zero():
    # the scale values are conditional means of N(0, 1): their count-weighted mean is 0
    counts = np.array([3, 4, 13, 6, 4])
    result = successive_intervals(counts)
    assert np.dot(counts, result.scale_values) == pytest.approx(0, abs=1e-12)


# --- empty categories ----------------------------------------------------------------------
def test_empty_categories_get_nan_and_do_not_move_the_others():
    with_empty = successive_intervals([0, 3, 0, 4, 13, 6, 4, 0])
    without = successive_intervals([3, 4, 13, 6, 4])
    assert with_empty.empty_categories == [1, 3, 8]
    assert np.isnan(with_empty.interval_values[[0, 2, 7]]).all()
    assert with_empty.interval_values[[1, 3, 4, 5, 6]] == pytest.approx(without.interval_values)
    assert "Empty categories" in with_empty.summary()
    assert set(with_empty.mapping) == {2, 4, 5, 6, 7}


def test_single_non_empty_category_scores_one():
    result = successive_intervals([0, 0, 7, 0, 0])
    assert result.interval_values[2] == 1.0
    assert result.empty_categories == [1, 2, 4, 5]


def test_custom_categories():
    result = successive_intervals([2, 5, 3], categories=[0, 1, 2])
    assert list(result.mapping) == [0, 1, 2]


# --- transforming a respondents' matrix ------------------------------------------------------
def test_transform_per_item_and_pooled():
    answers = pd.DataFrame({"Q1": [1, 2, 2, 3, None], "Q2": [3, 3, 2, 5, 5]})
    per_item = msi_transform(answers)
    q1 = successive_intervals([1, 2, 1, 0, 0])
    q2 = successive_intervals([0, 1, 2, 0, 2])
    assert per_item.values[:, 0][:4] == pytest.approx(q1.transform([1, 2, 2, 3]))
    assert np.isnan(per_item.values[4, 0])  # a blank stays blank
    assert per_item.values[:, 1] == pytest.approx(q2.transform([3, 3, 2, 5, 5]))
    assert list(per_item.to_frame().columns) == ["Q1", "Q2"]
    assert list(per_item.scale_frame().columns) == ["Category", "Q1", "Q2"]
    assert per_item.scales["Q1"].empty_categories == [4, 5]

    pooled = msi_transform(answers, pooled=True)
    scale = successive_intervals([1, 3, 3, 0, 2])
    assert list(pooled.scales) == ["All items"]
    assert pooled.values[~np.isnan(pooled.values)] == pytest.approx(
        scale.transform(answers.to_numpy(dtype=float))[~np.isnan(pooled.values)]
    )
    # equal answers get equal scores across items only when pooled
    assert pooled.values[1, 0] == pooled.values[2, 1]
    assert "pooled" in pooled.summary()


def test_transform_midpoint_method():
    answers = [[1, 2], [2, 3], [3, 3]]
    result = msi_transform(answers, method="midpoint", pooled=True, scale_max=3)
    assert result.scales["All items"].method == "midpoint"
    assert np.nanmin(result.values) == 1.0


# --- properties ------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=2, max_size=9).filter(lambda c: sum(c) > 0), st.sampled_from(["standard", "midpoint"]))
def test_msi_is_increasing_over_non_empty_categories_and_starts_at_one(counts, method):
    result = successive_intervals(counts, method=method)
    values = result.interval_values[np.array(counts) > 0]
    assert values[0] == pytest.approx(1.0)
    assert np.all(np.diff(values) > 0)
    assert np.isnan(result.interval_values[np.array(counts) == 0]).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 50), min_size=2, max_size=7), st.integers(2, 9))
def test_msi_depends_on_proportions_only(counts, factor):
    assert successive_intervals(counts).interval_values == pytest.approx(
        successive_intervals(np.array(counts) * factor).interval_values
    )


# --- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: successive_intervals([0, 0, 0]), r"^counts: are all zero"),
        (lambda: successive_intervals([]), r"^counts: is empty"),
        (lambda: successive_intervals([3, -1, 2]), r"^counts: must be non-negative whole numbers"),
        (lambda: successive_intervals([3, 1.5, 2]), r"^counts: must be non-negative whole numbers"),
        (lambda: successive_intervals([3, None, 2]), r"^counts: has a missing value"),
        (lambda: successive_intervals([3, "x", 2]), r"^counts: must be numeric, found text"),
        (lambda: successive_intervals([3, 4], method="hays"), r"^method: must be one of"),
        (lambda: successive_intervals([3, 4], categories=[1]), r"^categories: has 1 values"),
        (lambda: successive_intervals([3, 4], categories=[2, 1]), r"^categories: must be increasing"),
        (lambda: msi_transform([[1, 7], [2, 3]]), r"^responses: value 7 at \(1, 2\) is outside the scale 1\.\.5"),
        (lambda: msi_transform([[1, None], [2, None]]), r"^responses: item 2 has no answers"),
        (lambda: msi_transform([[1, 2], [2, 3]], pooled="yes"), r"^pooled: must be True or False"),
        (lambda: msi_transform([[1, 2], [2, 3]], method="x"), r"^method: "),
        (lambda: successive_intervals([3, 4]).transform([1, 3]), r"^answers: value 3 is not a non-empty category"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(RoqInputError, match=match):
        call()
