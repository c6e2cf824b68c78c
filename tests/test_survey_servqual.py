"""SERVQUAL gaps, weighted SERVQUAL, CSI and IPA: seed 002's published figures, the two
weighting conventions, properties and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import RoqInputError
from simulator.casestudies import load_claims_servqual_attributes, load_claims_servqual_internal_gaps
from simulator.survey import (
    CSI_BANDS,
    conformity_level,
    csi_band,
    customer_satisfaction_index,
    importance_performance,
    priority_ranks,
    servqual_gap1,
    servqual_gap5,
    servqual_internal_gaps,
    weighted_servqual,
)
from simulator.survey.casestudy import MISPRINTS, PUBLISHED, case_study_report, claims_servqual_means

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "reference" / "data"


@pytest.fixture(scope="module")
def case():
    return claims_servqual_means()


@pytest.fixture(scope="module")
def printed():
    return claims_servqual_means(unrounded=False)


# --- seed 002 published figures ----------------------------------------------------------------
def test_case_data_matches_the_shared_reference_csv():
    packaged = load_claims_servqual_attributes()
    if (SHARED_DATA / "claims_servqual_attributes.csv").exists():
        pd.testing.assert_frame_equal(packaged, pd.read_csv(SHARED_DATA / "claims_servqual_attributes.csv"))
    assert len(packaged) == 21


def test_gap5_item8_is_the_largest_gap(case, printed):
    gaps = servqual_gap5(case["perception"], case["expectation"], dimensions=case["dimensions"])
    assert gaps.worst_item == 8 and gaps.priorities[7] == 1
    assert round(gaps.gaps[7], 2) == PUBLISHED["worst_item_gap"] == -1.08
    # from the printed two-decimal means it is -1.09, within the rounding of the means
    rounded = servqual_gap5(printed["perception"], printed["expectation"])
    assert rounded.worst_item == 8
    assert rounded.gaps[7] == pytest.approx(-1.08, abs=0.01 + 1e-9)


def test_gap5_every_printed_item_gap_from_unrounded_means(case):
    # Table 5's gap column (item order of the CSV)
    table5 = [-0.23, -0.47, -0.13, -0.28, -0.35, -0.57, -0.97, -1.08, -0.28, -0.35, -0.65,
              -0.38, -0.23, -0.53, -0.32, -0.35, -0.35, -0.43, -0.13, -0.27, -0.25]
    gaps = servqual_gap5(case["perception"], case["expectation"])
    assert np.round(gaps.gaps, 2).tolist() == table5
    assert "-1.08" in MISPRINTS["item_means_rounded"]


def test_gap5_reliability_dimension(case, printed):
    gaps = servqual_gap5(case["perception"], case["expectation"], dimensions=case["dimensions"])
    assert gaps.worst_dimension == "reliability"
    assert gaps.dimension_names == ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
    assert round(gaps.dimension_gaps[1], 2) == PUBLISHED["reliability_gap"]
    # items 5-8 of the printed means: -0.7425 (methods.md)
    rounded = servqual_gap5(printed["perception"], printed["expectation"], dimensions=printed["dimensions"])
    assert rounded.dimension_gaps[1] == pytest.approx(-0.7425, abs=1e-12)
    assert rounded.dimension_frame()["Items"].tolist() == [4, 4, 4, 5, 4]


def test_gap5_overall_means(case, printed):
    for means in (case, printed):
        gaps = servqual_gap5(means["perception"], means["expectation"])
        assert round(gaps.overall_observed, 2) == PUBLISHED["mean_perception"] == 3.98
        assert round(gaps.overall_reference, 2) == PUBLISHED["mean_expectation"] == 4.39
        assert round(gaps.overall_gap, 2) == PUBLISHED["overall_gap5"] == -0.41


def test_gap1_published_mean(printed):
    gap1 = servqual_gap1(printed["management"], printed["expectation"], dimensions=printed["dimensions"])
    assert round(gap1.overall_observed, 2) == PUBLISHED["mean_management"] == 4.81
    assert round(gap1.overall_reference, 2) == 4.39
    assert round(gap1.overall_gap, 2) == PUBLISHED["overall_gap1"] == 0.42
    # the paper's extremes: +1.15 (item 3) and -0.47 (items 6 and 18)
    assert gap1.gaps[2] == pytest.approx(1.15) and gap1.gaps.max() == gap1.gaps[2]
    assert np.flatnonzero(np.isclose(gap1.gaps, -0.47)).tolist() == [5, 17]
    assert list(gap1.to_frame().columns) == ["Item", "Dimension", "Management", "Expectation", "Gap", "Priority"]


def test_internal_gaps_table():
    table = load_claims_servqual_internal_gaps()
    result = servqual_internal_gaps(table["gap2_score"], table["gap3_score"], table["gap4_score"], dimensions=table["dimension"])
    assert result.to_frame().columns.tolist() == ["Dimension", "Gap 2", "Gap 3", "Gap 4"]
    assert result.to_frame()["Gap 3"].tolist() == [5, 4, 4, 5, 4]
    assert ("empathy", "Gap 2", 4.0) in result.shortfalls and len(result.shortfalls) == 7


def test_csi_published_within_rounding(case, printed):
    exact = customer_satisfaction_index(case["expectation"], case["perception"])
    rounded = customer_satisfaction_index(printed["expectation"], printed["perception"])
    assert abs(exact.csi - PUBLISHED["csi_percent"]) < 0.02
    assert abs(rounded.csi - PUBLISHED["csi_percent"]) < 0.02
    assert round(exact.csi, 2) == 79.55 and round(rounded.csi, 2) == 79.56
    assert exact.band.label == "satisfied" and exact.band.label_id == PUBLISHED["csi_band"]
    assert exact.weight_factors.sum() == pytest.approx(100)
    frame = exact.to_frame()
    assert list(frame.columns) == ["Item", "MIS", "MSS", "WF (%)", "WS"]
    # Table 10's WF and WS columns for items 1, 7 and 8
    assert np.round(frame.loc[[0, 6, 7], "WF (%)"], 2).tolist() == [4.81, 5.03, 5.07]
    assert np.round(frame.loc[[0, 6, 7], "WS"], 2).tolist() == [20.21, 18.44, 18.15]
    assert "79.55%" in str(exact) and "puas" in str(exact)


def test_csi_from_raw_matrices_equals_csi_from_means():
    rng = np.random.default_rng(2)
    importance = rng.integers(1, 6, size=(40, 6)).astype(float)
    satisfaction = rng.integers(1, 6, size=(40, 6)).astype(float)
    satisfaction[3, 2] = np.nan
    from_raw = customer_satisfaction_index(importance, satisfaction)
    from_means = customer_satisfaction_index(importance.mean(axis=0), np.nanmean(satisfaction, axis=0))
    assert from_raw.csi == pytest.approx(from_means.csi)
    # by hand
    wf = importance.mean(axis=0) / importance.mean(axis=0).sum() * 100
    assert from_raw.csi == pytest.approx((wf * np.nanmean(satisfaction, axis=0)).sum() / 5)


@pytest.mark.parametrize(
    "value, english, indonesian",
    [
        (100, "very satisfied", "sangat puas"),
        (81, "very satisfied", "sangat puas"),
        (80.99, "satisfied", "puas"),
        (80.995, "satisfied", "puas"),
        (66, "satisfied", "puas"),
        (65.99, "fairly satisfied", "cukup puas"),
        (51, "fairly satisfied", "cukup puas"),
        (50.99, "less satisfied", "kurang puas"),
        (35, "less satisfied", "kurang puas"),
        (34.99, "not satisfied", "tidak puas"),
        (0, "not satisfied", "tidak puas"),
    ],
)
def test_csi_bands_lower_bound_inclusive(value, english, indonesian):
    band = csi_band(value)
    assert (band.label, band.label_id) == (english, indonesian)
    assert band.lower <= value <= band.upper
    assert len(CSI_BANDS) == 5


def test_ipa_quadrants_and_conformity(printed):
    ipa = importance_performance(printed["expectation"], printed["perception"], items=printed["items"])
    assert ipa.importance_cut == pytest.approx(printed["expectation"].mean())
    assert ipa.performance_cut == pytest.approx(printed["perception"].mean())
    assert ipa.quadrants[7] == "I" and 8 in ipa.items_in("A")
    frame = ipa.to_frame()
    assert list(frame.columns) == ["Item", "Importance", "Performance", "Conformity (%)", "Quadrant", "Action"]
    assert frame.loc[7, "Action"] == "Concentrate here"
    assert frame.loc[7, "Conformity (%)"] == pytest.approx(3.58 / 4.67 * 100)
    assert ipa.overall_conformity == pytest.approx(printed["perception"].mean() / printed["expectation"].mean() * 100)
    assert sum(len(ipa.items_in(q)) for q in ("I", "II", "III", "IV")) == 21


def test_ipa_tie_goes_to_high_and_user_cut_points():
    # item 2 sits exactly on both grand means -> "Keep up the good work"
    ipa = importance_performance([4, 3, 2], [2, 3, 4])
    assert ipa.quadrants == ["I", "II", "IV"]
    custom = importance_performance([4, 3, 2], [2, 3, 4], importance_cut=4.5, performance_cut=1.5)
    assert custom.quadrants == ["IV", "IV", "IV"]
    assert {q: ipa.items_in(q) for q in ("II", "D")} == {"II": [2], "D": [3]}


def test_conformity_level_scalar_and_array():
    assert conformity_level(4, 5) == pytest.approx(80.0)
    assert conformity_level([4, 5], [5, 5]) == pytest.approx([80, 100])


def test_case_study_report_lists_published_and_recomputed():
    report = case_study_report()
    assert list(report.columns) == ["Figure", "Published", "Recomputed", "Recomputed (printed means)"]
    csi_row = report.set_index("Figure").loc["CSI (%)"]
    assert csi_row["Published"] == 79.55 and round(csi_row["Recomputed"], 2) == 79.55


# --- raw matrices and the weighting conventions ---------------------------------------------
def raw_case(rng, n=30):
    dimensions = ["tangibles"] * 2 + ["reliability"] * 3 + ["responsiveness"] * 2 + ["assurance"] * 2 + ["empathy"] * 2
    perception = rng.integers(1, 6, size=(n, len(dimensions))).astype(float)
    expectation = rng.integers(2, 6, size=(n, len(dimensions))).astype(float)
    return perception, expectation, dimensions


def test_gap5_from_raw_matrices_equals_gap5_from_means():
    rng = np.random.default_rng(5)
    perception, expectation, dimensions = raw_case(rng)
    perception[0, 0] = np.nan
    raw = servqual_gap5(perception, expectation, dimensions=dimensions)
    means = servqual_gap5(np.nanmean(perception, axis=0), expectation.mean(axis=0), dimensions=dimensions)
    assert raw.gaps == pytest.approx(means.gaps)
    assert raw.dimension_gaps == pytest.approx(means.dimension_gaps)
    assert raw.dimension_gaps[1] == pytest.approx(raw.gaps[2:5].mean())


def test_dimensions_as_mapping_and_dataframe_labels():
    frame_p = pd.DataFrame({"a": [4, 5], "b": [3, 3], "c": [2, 4]})
    frame_e = pd.DataFrame({"a": [5, 5], "b": [4, 4], "c": [5, 5]})
    result = servqual_gap5(frame_p, frame_e, dimensions={"tangibles": ["a", "c"], "empathy": ["b"]})
    assert result.items == ["a", "b", "c"]
    assert result.dimensions == ["tangibles", "empathy", "tangibles"]
    assert result.dimension_gaps == pytest.approx([np.mean([-0.5, -2.0]), -1.0])


def test_weighted_of_means_by_hand(case):
    weights = {"tangibles": 20, "reliability": 30, "responsiveness": 20, "assurance": 15, "empathy": 15}
    result = weighted_servqual(case["perception"], case["expectation"], weights, dimensions=case["dimensions"])
    gaps = servqual_gap5(case["perception"], case["expectation"], dimensions=case["dimensions"]).dimension_gaps
    assert result.weighted_gap == pytest.approx(np.dot([20, 30, 20, 15, 15], gaps) / 100)
    assert result.contributions.sum() == pytest.approx(result.weighted_gap)
    assert list(result.to_frame().columns) == ["Dimension", "Weight", "Gap", "Weighted gap", "Priority"]
    assert result.priorities[1] == 1  # reliability
    # equal weights reproduce the unweighted mean of the dimension gaps
    equal = weighted_servqual(case["perception"], case["expectation"], [20] * 5, dimensions=case["dimensions"])
    assert equal.weighted_gap == pytest.approx(equal.unweighted_gap)


def test_weighted_conventions_differ_and_mean_of_weighted_by_hand():
    rng = np.random.default_rng(9)
    perception, expectation, dimensions = raw_case(rng, n=6)
    allocations = np.array(
        [[20, 20, 20, 20, 20], [10, 50, 10, 20, 10], [0, 100, 0, 0, 0], [30, 10, 20, 20, 20], [5, 5, 30, 30, 30], [40, 15, 15, 15, 15]],
        dtype=float,
    )
    per_respondent = servqual_gap5(perception, expectation, dimensions=dimensions)  # for the item groups
    members = [np.array([d == name for d in dimensions]) for name in per_respondent.dimension_names]
    own_gaps = np.column_stack([(perception - expectation)[:, m].mean(axis=1) for m in members])
    expected = np.mean((allocations * own_gaps).sum(axis=1) / 100)
    result = weighted_servqual(perception, expectation, allocations, dimensions=dimensions, convention="mean_of_weighted")
    assert result.weighted_gap == pytest.approx(expected)
    assert result.n_respondents == 6
    assert result.weights == pytest.approx(allocations.mean(axis=0))
    other = weighted_servqual(perception, expectation, allocations, dimensions=dimensions)
    assert other.weighted_gap == pytest.approx(np.dot(allocations.mean(axis=0), own_gaps.mean(axis=0)) / 100)
    assert other.weighted_gap != pytest.approx(result.weighted_gap)
    assert other.n_respondents is None


def test_mean_of_weighted_drops_respondents_without_a_dimension_gap():
    rng = np.random.default_rng(4)
    perception, expectation, dimensions = raw_case(rng, n=5)
    perception[2, 0:2] = np.nan  # respondent 3 has no tangibles gap
    expectation[4, 2] = np.nan  # respondent 5 still has reliability items 4 and 5
    allocations = np.tile([20.0, 20, 20, 20, 20], (5, 1))
    result = weighted_servqual(perception, expectation, allocations, dimensions=dimensions, convention="mean_of_weighted")
    assert result.n_respondents == 4
    assert "N = 4" in result.summary()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.integers(0, 25), min_size=4, max_size=4))
def test_same_allocation_for_everyone_makes_the_conventions_agree(seed, head):
    weights = [*head, 100 - sum(head)]
    rng = np.random.default_rng(seed)
    perception, expectation, dimensions = raw_case(rng, n=8)
    allocations = np.tile(np.array(weights, dtype=float), (8, 1))
    a = weighted_servqual(perception, expectation, allocations, dimensions=dimensions, convention="mean_of_weighted")
    b = weighted_servqual(perception, expectation, weights, dimensions=dimensions)
    assert a.weighted_gap == pytest.approx(b.weighted_gap, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(1, 5), st.floats(1, 5)), min_size=1, max_size=12),
)
def test_gap_is_perception_minus_expectation(pairs):
    perception = np.array([p for p, _ in pairs])
    expectation = np.array([e for _, e in pairs])
    result = servqual_gap5(perception, expectation)
    assert result.gaps == pytest.approx(perception - expectation)
    assert result.overall_gap == pytest.approx(result.overall_observed - result.overall_reference)
    assert result.priorities[np.argmin(result.gaps)] == 1
    csi = customer_satisfaction_index(expectation, perception)
    assert 20 - 1e-9 <= csi.csi <= 100 + 1e-9


def test_priority_ranks_ties():
    assert priority_ranks([-0.2, -0.5, -0.5, 0.1]).tolist() == [3, 1, 1, 4]


# --- bad input -------------------------------------------------------------------------------
P3 = [4.0, 3.5, 4.2]
E3 = [4.5, 4.0, 4.4]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: servqual_gap5(P3, [4.5, 4.0]), r"^expectation: has 2 items but perception has 3"),
        (lambda: servqual_gap5([4.0, 5.5, 4.2], E3), r"^perception: item mean 5.5 \(item 2\) is outside the scale 1\.\.5"),
        (lambda: servqual_gap5([4.0, None, 4.2], E3), r"^perception: item mean 2 is blank"),
        (lambda: servqual_gap5([[4, 3.5], [5, 4]], [[4, 4], [5, 5]]), r"^perception: value 3.5 at \(1, 2\) is not a whole number"),
        (lambda: servqual_gap5([[4, 6], [5, 4]], [[4, 4], [5, 5]]), r"^perception: value 6 at \(1, 2\) is outside the scale 1\.\.5"),
        (lambda: servqual_gap5([[4, "good"], [5, 4]], [[4, 4], [5, 5]]), r"^perception: must be numeric, found text 'good' at position \(1, 2\)"),
        (lambda: servqual_gap5([[4, 5], [5]], [[4, 4], [5, 5]]), r"^perception: rows have different lengths"),
        (lambda: servqual_gap5([[None, None], [None, ""]], [[4, 4], [5, 5]]), r"^perception: has no answers"),
        (lambda: servqual_gap5([[4, None], [5, None]], [[4, 4], [5, 5]]), r"^perception: item 2 has no answers"),
        (lambda: servqual_gap5([], E3), r"^perception: is empty"),
        (lambda: servqual_gap5(np.ones((2, 2, 2)), E3), r"^perception: must be item means \(1-D\)"),
        (lambda: servqual_gap5(P3, E3, dimensions=["a", "b"]), r"^dimensions: has 2 labels but there are 3 items"),
        (lambda: servqual_gap5(P3, E3, dimensions=["a", "", "b"]), r"^dimensions: item 2 has a blank dimension"),
        (lambda: servqual_gap5(P3, E3, dimensions={"a": [1, 2]}), r"^dimensions: item 3 has no dimension"),
        (lambda: servqual_gap5(P3, E3, dimensions={"a": [1, 2], "b": [2, 3]}), r"^dimensions: item 2 is in both"),
        (lambda: servqual_gap5(P3, E3, dimensions={"a": [1, 2, 9]}), r"^dimensions: dimension 'a' lists item 9"),
        (lambda: servqual_gap5(P3, E3, items=["x"]), r"^items: has 1 labels but perception has 3 items"),
        (lambda: servqual_gap5(P3, E3, scale_min=5, scale_max=5), r"^scale_max: must be greater than scale_min"),
        (lambda: servqual_gap5(P3, E3, scale_max=4.5), r"^scale_max: must be a whole number"),
        (lambda: servqual_gap1([5, 5], E3), r"^expectation: has 3 items but management has 2"),
        (lambda: servqual_internal_gaps([5, 5], [5, 4, 4, 5, 4], [5, 4, 4, 5, 4]), r"^gap2: must have one score per dimension \(5\)"),
        (lambda: servqual_internal_gaps([5, 5, 5, 5, 6], [5] * 5, [5] * 5), r"^gap2: item mean 6"),
        (lambda: weighted_servqual(P3, E3, [50, 50], dimensions=None), r"^dimensions: weighted SERVQUAL needs"),
        (lambda: weighted_servqual(P3, E3, [50, 40], dimensions=["a", "a", "b"]), r"^weights: sum to 90, not 100"),
        (lambda: weighted_servqual(P3, E3, [50, 30, 20], dimensions=["a", "a", "b"]), r"^weights: has 3 weights per allocation but there are 2 dimensions"),
        (lambda: weighted_servqual(P3, E3, [120, -20], dimensions=["a", "a", "b"]), r"^weights: must be non-negative"),
        (lambda: weighted_servqual(P3, E3, {"a": 60, "c": 40}, dimensions=["a", "a", "b"]), r"^weights: names dimension 'c'"),
        (lambda: weighted_servqual(P3, E3, {"a": 100}, dimensions=["a", "a", "b"]), r"^weights: gives no weight to dimension 'b'"),
        (lambda: weighted_servqual(P3, E3, [[50, 50], [60, 30]], dimensions=["a", "a", "b"]), r"^weights: row 2 sums to 90, not 100"),
        (lambda: weighted_servqual(P3, E3, [50, 50], dimensions=["a", "a", "b"], convention="x"), r"^convention: must be one of"),
        (lambda: weighted_servqual(P3, E3, [[50, 50]], dimensions=["a", "a", "b"], convention="mean_of_weighted"), r"^perception: mean_of_weighted needs the raw"),
        (lambda: weighted_servqual([[4, 4, 4]], [[5, 5, 5]], [50, 50], dimensions=["a", "a", "b"], convention="mean_of_weighted"), r"^weights: mean_of_weighted needs one allocation per respondent"),
        (lambda: weighted_servqual([[4, 4, 4]], [[5, 5, 5]], [[50, 50], [50, 50]], dimensions=["a", "a", "b"], convention="mean_of_weighted"), r"^weights: has 2 rows but there are 1 respondents"),
        (lambda: weighted_servqual([[4, 4, 4]], [[5, 5, 5], [4, 4, 4]], [[50, 50]], dimensions=["a", "a", "b"], convention="mean_of_weighted"), r"^expectation: has shape"),
        (lambda: customer_satisfaction_index(P3, [4.0, 4.0]), r"^satisfaction: has 2 items but importance has 3"),
        (lambda: customer_satisfaction_index([0, 0, 0], P3, scale_min=0), r"^importance: sums to zero"),
        (lambda: csi_band(101), r"^csi: must be <= 100"),
        (lambda: csi_band(-1), r"^csi: must be >= 0"),
        (lambda: csi_band("high"), r"^csi: must be numeric"),
        (lambda: importance_performance(P3, [4.0]), r"^performance: has 1 items but importance has 3"),
        (lambda: importance_performance(P3, E3, importance_cut="mean"), r"^importance_cut: must be numeric"),
        (lambda: importance_performance(P3, E3).items_in("V"), r"^quadrant: must be one of"),
        (lambda: conformity_level([4, 5], [0, 5]), r"^importance: mean 0 is outside the scale 1..5"),
        (lambda: conformity_level([4, 5], [5]), r"^importance: has shape"),
        (lambda: priority_ranks([0.1, None]), r"^gaps: has a missing value"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(RoqInputError, match=match):
        call()


def test_weights_as_dataframe_columns_named_by_dimension():
    rng = np.random.default_rng(12)
    perception, expectation, dimensions = raw_case(rng, n=4)
    allocations = pd.DataFrame(
        {"empathy": [10, 20, 30, 40], "tangibles": [20] * 4, "reliability": [30, 30, 20, 10],
         "assurance": [20] * 4, "responsiveness": [20, 10, 10, 10]}
    )
    result = weighted_servqual(perception, expectation, allocations, dimensions=dimensions, convention="mean_of_weighted")
    ordered = allocations[["tangibles", "reliability", "responsiveness", "assurance", "empathy"]].to_numpy(dtype=float)
    assert result.weights == pytest.approx(ordered.mean(axis=0))
    series = pd.Series({"empathy": 10, "tangibles": 20, "reliability": 30, "assurance": 20, "responsiveness": 20})
    by_series = weighted_servqual(perception, expectation, series, dimensions=dimensions)
    assert by_series.weights.tolist() == [20, 30, 20, 20, 10]


def test_internal_gaps_from_answers_average_each_dimension_over_respondents_and_items():
    from simulator.survey import servqual_internal_gaps_from_answers

    gap2 = [[5, 3, 4], [4, None, 2]]
    table = servqual_internal_gaps_from_answers(gap2, [[4, 4, 4]], [[2, 2, 5]], dimensions=["reliability", "reliability", "empathy"])
    assert table.dimensions == ["reliability", "empathy"]
    assert table.gap2.tolist() == pytest.approx([(5 + 3 + 4) / 3, (4 + 2) / 2])  # the blank is left out
    assert table.gap4.tolist() == pytest.approx([2.0, 5.0])
    # cross-check: per-dimension means of the same answers, by pandas
    import pandas as pd

    long = pd.DataFrame(gap2, columns=["reliability", "reliability", "empathy"]).T.groupby(level=0).apply(lambda g: np.nanmean(g.values))
    assert long["reliability"] == pytest.approx(table.gap2[0]) and long["empathy"] == pytest.approx(table.gap2[1])
    with pytest.raises(RoqInputError, match=r"^gap3: has 2 items but gap2 has 3$"):
        servqual_internal_gaps_from_answers(gap2, [[4, 4]], [[2, 2, 5]], dimensions=["a", "b", "c"])
    with pytest.raises(RoqInputError, match=r"^gap2: value 6 at \(1, 1\) is outside the scale 1..5$"):
        servqual_internal_gaps_from_answers([[6, 3, 4]], [[4, 4, 4]], [[2, 2, 5]], dimensions=["a", "b", "c"])


def test_scale_bounds_refuse_a_date_serial_and_a_huge_width_by_name():
    from simulator.survey._common import check_scale

    with pytest.raises(RoqInputError, match=r"^scale_max: 45292 is not a scale end; .*is the cell a date\? 45292 is 1 Jan 2024"):
        check_scale(1, 45292)
    with pytest.raises(RoqInputError, match=r"^scale_min: -1000000 is not a scale end"):
        check_scale(-1000000, 5)
    with pytest.raises(RoqInputError, match=r"^scale_max: 500 gives a 500-point scale; at most 101"):
        check_scale(1, 500)
    assert check_scale(0, 100) == (0, 100)
