"""The SQ_ Excel functions, called exactly as Excel calls them (xlwings' server dispatcher).

Seed 002 (claim service, 21 SERVQUAL items, 60 respondents): CSI 79.55%, item 8 gap -1.08,
reliability gap -0.74, gap 1 mean 0.42, r critical 0.361 (n = 30), Slovin 60 (N = 70).
"""

from __future__ import annotations

import numpy as np
import pytest
from excel_dispatch import BLANK, block, call, column, row, scalar

from simulator import survey
from simulator.errors import RoqInputError
from simulator.survey.casestudy import claims_servqual_means

CASE = claims_servqual_means()  # the unrounded means the paper computed with (total / 60)
PRINTED = claims_servqual_means(unrounded=False)  # the two-decimal means the paper prints
P, E, M, D = column(CASE["perception"]), column(CASE["expectation"]), column(CASE["management"]), column(CASE["dimensions"])
ANSWERS = [[4, 5, 4], [2, 2, 3], [5, 4, 5], [3, 3, 2], [4, 4, 4], [1, 2, 1]]  # the engine's documented example


def message_of(func_name, *args) -> str:
    with pytest.raises(RoqInputError) as caught:
        call(func_name, *args)
    text = str(caught.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def as_dict(table):
    """A spilled table as {first column: row}."""
    return {r[0]: r for r in table[1:]}


# --------------------------------------------------------------------------- sample size and items


def test_slovin_and_critical_r_of_seed_002():
    assert scalar("SQ_SLOVIN", 70, 0.05) == 60
    assert scalar("SQ_SLOVIN", 70) == 60  # 5% is the default
    assert round(scalar("SQ_SLOVIN_EXACT", 70, 0.05), 2) == 59.57
    assert round(scalar("SQ_R_CRITICAL", 30, 0.05), 3) == 0.361
    assert round(scalar("SQ_R_CRITICAL", 30), 3) == 0.361
    assert message_of("SQ_SLOVIN", 70, 1.5) == "margin_of_error: must be < 1.0 (a fraction, 0.05 = 5%), got 1.5; did you mean 1.5% (0.015)?"
    assert message_of("SQ_SLOVIN_EXACT", "seventy").startswith("population: must be numeric, found text 'seventy'")
    assert message_of("SQ_R_CRITICAL", 30.5) == "n: must be a whole number, got 30.5"
    assert message_of("SQ_R_CRITICAL", 2) == "n: must be at least 3 (df = n - 2 must be positive), got 2"


def test_item_stats_counts_blanks_as_missing_not_zero():
    result = call("SQ_ITEM_STATS", block([[5, 4], [4, BLANK], [3, 4]]))
    assert result[0][:5] == ["Item", "N valid", "N missing", "Mean", "SD"]
    assert result[0][5:] == [f"Count {k}" for k in range(1, 6)]
    item2 = result[2]
    assert item2[:4] == [2, 2, 1, 4.0]  # the blank is missing: mean of 4 and 4, not (4 + 0 + 4) / 3
    labelled = call("SQ_ITEM_STATS", block([[5, 4], [4, BLANK], [3, 4]]), row(["Q1", "Q2"]))
    assert [r[0] for r in labelled[1:]] == ["Q1", "Q2"]


def test_item_stats_rejects_zero_text_and_fractions():
    assert message_of("SQ_ITEM_STATS", block([[5, 4], [0, 3]])) == "responses: value 0 at (2, 1) is outside the scale 1..5"
    assert message_of("SQ_ITEM_STATS", block([[5, 4], ["four", 3]])) == (
        "responses: must be numeric, found text 'four' in row 2, column 1 of the range"
    )
    assert message_of("SQ_ITEM_STATS", block([[5, 4], [3.5, 3]])).startswith("responses: value 3.5 at (2, 1) is not a whole number")
    assert message_of("SQ_ITEM_STATS", block([[5, 4], [4, 3]]), BLANK, 1, 3) == "responses: value 5 at (1, 1) is outside the scale 1..3"
    assert message_of("SQ_ITEM_STATS", block([[5, 4], [4, 3]]), row(["Q1"])) == "items: has 1 labels but responses has 2 items"


def test_validity_and_alpha_match_the_engine_example():
    validity = call("SQ_VALIDITY", block(ANSWERS))
    assert validity[0] == ["Item", "r item-total", "r corrected", "r critical", "Verdict"]
    assert round(validity[1][3], 3) == 0.811
    assert [r[4] for r in validity[1:]] == ["valid", "valid", "valid"]
    assert round(scalar("SQ_ALPHA", block(ANSWERS)), 3) == 0.938
    assert scalar("SQ_ALPHA_VERDICT", block(ANSWERS)) == "reliable"
    assert scalar("SQ_ALPHA_VERDICT", block(ANSWERS), BLANK, 0.95) == "not reliable"  # (responses, missing, threshold) as SQ_ALPHA_TABLE
    table = call("SQ_ALPHA_TABLE", block(ANSWERS))
    assert table[0][-1] == "Alpha if deleted"
    assert [round(r[-1], 3) for r in table[1:]] == [0.847, 0.952, 0.915]


def test_validity_and_alpha_with_blank_answers():
    answers = [r[:] for r in ANSWERS] + [[5, BLANK, 4]]
    arr = np.array(answers, dtype=float)
    # listwise (SPSS): the respondent with a blank is left out, exactly as if absent
    assert scalar("SQ_ALPHA", block(answers)) == pytest.approx(scalar("SQ_ALPHA", block(ANSWERS)))
    assert scalar("SQ_ALPHA", block(answers), "pairwise") == pytest.approx(survey.cronbach_alpha(arr, missing="pairwise").alpha)
    assert call("SQ_VALIDITY", block(answers))[1:] == call("SQ_VALIDITY", block(ANSWERS))[1:]


def test_validity_and_alpha_reject_bad_input():
    assert message_of("SQ_ALPHA", block([[4], [3], [5]])) == "responses: needs at least 2 items (columns) for Cronbach's alpha, got 1"
    assert message_of("SQ_ALPHA", block(ANSWERS), "everything").startswith("missing: must be one of listwise, pairwise")
    assert message_of("SQ_ALPHA_TABLE", block([[4, 6], [3, 2]])) == "responses: value 6 at (1, 2) is outside the scale 1..5"
    assert message_of("SQ_ALPHA_VERDICT", block([[4, 0], [3, 2]])) == "responses: value 0 at (1, 2) is outside the scale 1..5"
    assert message_of("SQ_VALIDITY", block(ANSWERS), 0.05, "partial").startswith("basis: must be one of corrected, uncorrected")


# --------------------------------------------------------------------------- MSI


def test_msi_textbook_example_and_seed_001_midpoints():
    result = call("SQ_MSI", row([3, 4, 13, 6, 4]))
    assert result[0][-1] == "Interval value"
    assert [round(r[-1], 6) for r in result[1:]] == [1.0, 1.775526, 2.622275, 3.496614, 4.369536]
    midpoint = call("SQ_MSI", column([166, 820, 274]), "midpoint")
    z = [r[midpoint[0].index("Z")] for r in midpoint[1:]]
    # seed 001 prints 1.71845 for the third z, from its misprinted midpoint; the correct value is 1.23331
    assert [round(v, 5) for v in z] == [-1.50725, -0.10763, 1.23331]
    assert message_of("SQ_MSI", row([3, -4, 13])) == "counts: must be non-negative whole numbers (answer frequencies), got -4"
    assert message_of("SQ_MSI", row([3, 4, 13]), "median").startswith("method: must be one of standard, midpoint")


def test_msi_transform_keeps_blank_answers_blank():
    result = call("SQ_MSI_TRANSFORM", block([[1, 2], [2, 2], [2, 3], [3, 3]]), BLANK, True, BLANK, BLANK, 3)
    assert result[0] == ["1", "2"]
    assert np.round(np.array(result[1:], dtype=float), 3).tolist() == [[1.0, 2.3], [2.3, 2.3], [2.3, 3.658], [3.658, 3.658]]
    with_blank = call("SQ_MSI_TRANSFORM", block([[1, 2], [2, BLANK], [2, 3], [3, 3]]), BLANK, True, BLANK, BLANK, 3)
    assert with_blank[2][1] == ""  # an unanswered question stays unanswered
    assert message_of("SQ_MSI_TRANSFORM", block([[1, 2], [2, 0]]), BLANK, "maybe") == "pooled: must be TRUE or FALSE, got 'maybe'"


# --------------------------------------------------------------------------- SERVQUAL


def test_gap5_of_seed_002():
    assert round(scalar("SQ_GAP5", P, E), 2) == -0.41
    items = call("SQ_GAP5_ITEMS", P, E, D)
    assert items[0] == ["Item", "Dimension", "Perception", "Expectation", "Gap", "Priority"]
    item8 = as_dict(items)[8]
    assert round(item8[4], 2) == -1.08 and item8[5] == 1 and item8[1] == "reliability"
    dimensions = as_dict(call("SQ_GAP5_DIMENSIONS", P, E, D))
    assert round(dimensions["reliability"][4], 2) == -0.74 and dimensions["reliability"][5] == 1
    # the printed two-decimal means give -1.09 for item 8 (methods.md): within rounding
    printed = as_dict(call("SQ_GAP5_ITEMS", column(PRINTED["perception"]), column(PRINTED["expectation"])))
    assert round(printed[8][3], 2) == -1.09


def test_gap5_reads_a_block_as_answers_with_blanks_missing():
    perception = [[4, 3], [5, BLANK], [3, 4]]
    expectation = [[5, 5], [5, 4], [4, BLANK]]
    items = call("SQ_GAP5_ITEMS", block(perception), block(expectation))
    gap = items[0].index("Gap")
    assert [round(r[gap], 4) for r in items[1:]] == [round(4 - 14 / 3, 4), round(3.5 - 4.5, 4)]
    assert message_of("SQ_GAP5", block([[4, 3], [0, 4]]), block(expectation)) == "perception: value 0 at (2, 1) is outside the scale 1..5"


def test_gap5_rejects_mismatched_items_blank_means_and_text():
    assert message_of("SQ_GAP5", column([4, 4]), column([4, 4, 4])) == "expectation: has 3 items but perception has 2"
    assert message_of("SQ_GAP5_ITEMS", column([4, BLANK, 4]), column([4, 4, 4])) == "perception: item mean 2 is blank; give every item's mean"
    assert message_of("SQ_GAP5_DIMENSIONS", P, E, column(CASE["dimensions"][:20])) == "dimensions: has 20 labels but there are 21 items"
    assert message_of("SQ_GAP5_DIMENSIONS", column([4, "good"]), column([4, 4]), column(["a", "b"])) == (
        "perception: must be numeric, found text 'good' in row 2 of the range"
    )
    assert message_of("SQ_GAP5", column([4, 6.2]), column([4, 4])) == "perception: item mean 6.2 (item 2) is outside the scale 1..5"


def test_gap1_of_seed_002():
    printed_management, printed_expectation = column(PRINTED["management"]), column(PRINTED["expectation"])
    assert round(scalar("SQ_GAP1", printed_management, printed_expectation), 2) == 0.42
    items = call("SQ_GAP1_ITEMS", M, E)
    assert items[0] == ["Item", "Management", "Expectation", "Gap", "Priority"]
    dimensions = call("SQ_GAP1_DIMENSIONS", M, E, D)
    assert [r[0] for r in dimensions[1:]] == list(survey.SERVQUAL_DIMENSIONS)
    assert message_of("SQ_GAP1", column([5, 5, 5]), E) == "expectation: has 21 items but management has 3"
    assert message_of("SQ_GAP1_ITEMS", column([5, 7]), column([4, 4])) == "management: item mean 7 (item 2) is outside the scale 1..5"
    assert message_of("SQ_GAP1_DIMENSIONS", M, E, column(["x"] * 20 + [BLANK])) == "dimensions: item 21 has a blank dimension"


def test_internal_gaps_of_seed_002():
    result = call("SQ_INTERNAL_GAPS", column([5, 5, 5, 5, 4]), column([5, 4, 4, 5, 4]), column([5, 4, 4, 5, 4]))
    assert result[0] == ["Dimension", "Gap 2", "Gap 3", "Gap 4"]
    assert as_dict(result)["reliability"][1:] == [5, 4, 4]
    assert message_of("SQ_INTERNAL_GAPS", column([5, 5, 5, 5, 4]), column([5, 4, 4, 5, 9]), column([5, 4, 4, 5, 4])) == "gap3: item mean 9 (item 5) is outside the scale 1..5"


def test_weighted_servqual_of_seed_002_gaps():
    weights = row([10, 40, 20, 20, 10])
    assert round(scalar("SQ_WEIGHTED_SERVQUAL", P, E, weights, D), 4) == -0.5063
    table = as_dict(call("SQ_WEIGHTED_SERVQUAL_TABLE", P, E, weights, D))
    assert table["reliability"][1] == 40 and table["reliability"][-1] == 1
    assert message_of("SQ_WEIGHTED_SERVQUAL", P, E, row([10, 40, 20, 20, 20]), D) == (
        "weights: sum to 110, not 100 (a 100-point allocation across the dimensions)"
    )
    assert message_of("SQ_WEIGHTED_SERVQUAL_TABLE", P, E, weights, D, "mean_of_weighted") == (
        "perception: mean_of_weighted needs the raw respondents x items matrix, got item means"
    )


def test_priority_ranks_ties_share_the_better_rank():
    assert call("SQ_PRIORITY", column([-0.23, -1.08, -0.35, -0.35])) == [["Gap", "Priority"], [-0.23, 4], [-1.08, 1], [-0.35, 2], [-0.35, 2]]
    assert message_of("SQ_PRIORITY", column([-0.23, "x"])) == "gaps: must be numeric, found text 'x' in row 2 of the range"


# --------------------------------------------------------------------------- CSI and IPA


def test_csi_of_seed_002():
    assert round(scalar("SQ_CSI", E, P), 2) == 79.55
    # the printed two-decimal means give 79.56 (methods.md): within rounding
    assert round(scalar("SQ_CSI", column(PRINTED["expectation"]), column(PRINTED["perception"])), 2) == 79.56
    assert scalar("SQ_CSI_BAND", 79.55) == "satisfied"
    assert scalar("SQ_CSI_BAND", 79.55, "id") == "puas"
    assert scalar("SQ_CSI_BAND", 81) == "very satisfied"
    table = call("SQ_CSI_TABLE", E, P)
    assert table[0] == ["Item", "MIS", "MSS", "WF (%)", "WS"]
    assert sum(r[3] for r in table[1:]) == pytest.approx(100.0)
    assert sum(r[4] for r in table[1:]) / 5 == pytest.approx(scalar("SQ_CSI", E, P))


def test_csi_from_answers_leaves_blanks_out():
    importance = [[5, 4], [4, BLANK], [5, 4]]
    satisfaction = [[4, 3], [BLANK, 4], [4, 4]]
    expected = survey.customer_satisfaction_index(
        np.array(importance, dtype=float), np.array(satisfaction, dtype=float)
    ).csi
    assert scalar("SQ_CSI", block(importance), block(satisfaction)) == pytest.approx(expected)
    # had the blank been read as 0, the answers would be off the 1..5 scale
    assert message_of("SQ_CSI", block([[5, 4], [4, 0], [5, 4]]), block(satisfaction)) == (
        "importance: value 0 at (2, 2) is outside the scale 1..5"
    )


def test_csi_rejects_bad_input():
    assert message_of("SQ_CSI", column([4, "x", 3]), column([4, 4, 4])) == "importance: must be numeric, found text 'x' in row 2 of the range"
    assert message_of("SQ_CSI_TABLE", column([4, 4, 3]), column([4, 4])) == "satisfaction: has 2 items but importance has 3"
    assert message_of("SQ_CSI_BAND", 120) == "csi: must be <= 100.0 (a percentage), got 120"
    assert message_of("SQ_CSI_BAND", 79.55, "fr").startswith("language: must be one of en, id")


def test_ipa_of_seed_002():
    result = call("SQ_IPA", column(PRINTED["expectation"]), column(PRINTED["perception"]))
    assert result[0] == ["Item", "Importance", "Performance", "Conformity (%)", "Quadrant", "Action"]
    rows = as_dict(result)
    assert rows[8][4:] == ["I", "Concentrate here"]
    assert sorted(r[0] for r in result[1:] if r[4] == "I") == [6, 7, 8, 11, 14]
    assert round(scalar("SQ_CONFORMITY", 4.67, 3.58), 2) == 76.66  # (importance, performance) as SQ_IPA
    assert message_of("SQ_IPA", column([4, 4]), column([4, 4, 4])) == "performance: has 3 items but importance has 2"
    assert message_of("SQ_CONFORMITY", 0, 3.58) == "importance: mean 0 is outside the scale 1..5"


# --------------------------------------------------------------------------- regression and mediation

Y = [3.1, 3.9, 7.2, 7.8, 11.1, 12.0]
X = [[1, 2], [2, 1], [3, 4], [4, 3], [5, 6], [6, 5]]


def test_regression_tables_as_spss_prints_them():
    coefficients = call("SQ_REGRESSION", column(Y), block(X), row(["trust", "image"]))
    assert coefficients[0] == ["Model", "B", "Std. Error", "Beta", "t", "Sig."]
    assert [r[0] for r in coefficients[1:]] == ["(Constant)", "trust", "image"]
    assert [round(r[1], 3) for r in coefficients[1:]] == [0.473, 1.39, 0.623]
    assert coefficients[1][3] == ""  # SPSS prints no Beta for the constant
    summary = as_dict(call("SQ_REGRESSION_SUMMARY", column(Y), block(X)))
    assert round(summary["R Square"][1], 4) == 0.9996 and round(summary["F"][1], 1) == 4076.9
    anova = call("SQ_REGRESSION_ANOVA", column(Y), block(X))
    assert [r[0] for r in anova[1:]] == ["Regression", "Residual", "Total"]


def test_regression_drops_rows_with_blanks():
    y = Y + [BLANK]
    x = X + [[7, 8]]
    summary = as_dict(call("SQ_REGRESSION_SUMMARY", column(y), block(x)))
    assert summary["N"][1] == 6 and summary["N dropped (blank rows)"][1] == 1
    assert call("SQ_REGRESSION", column(y), block(x))[1:] == call("SQ_REGRESSION", column(Y), block(X))[1:]


def test_regression_rejects_bad_input():
    assert message_of("SQ_REGRESSION", column(Y[:5]), block(X)) == "X: has 6 rows but y has 5"
    assert message_of("SQ_REGRESSION_ANOVA", column(Y), block([[1, 1]] * 6)) == "X: predictor 'X1' is constant in the rows used"
    assert message_of("SQ_REGRESSION_SUMMARY", column(Y), block([[1, "a"]] + X[1:])) == (
        "X: must be numeric, found text 'a' in row 1, column 2 of the range"
    )


def test_sobel_and_mediation_tests():
    sobel = call("SQ_SOBEL", 0.5, 0.1, 0.4, 0.1)
    assert sobel[0] == ["Test", "Indirect effect", "Std. Error", "z", "Sig.", "Note"]
    assert round(sobel[1][3], 4) == 3.1235 and round(sobel[1][4], 4) == 0.0018
    assert call("SQ_SOBEL", 0.5, 0.1, 0.4, 0.1, "aroian")[1][0] == "Aroian"
    table = call("SQ_MEDIATION", 0.5, 0.1, 0.4, 0.1)
    assert [round(r[3], 4) for r in table[1:]] == [3.1235, 3.0861, 3.1623]
    assert message_of("SQ_SOBEL", 0.5, -0.1, 0.4, 0.1) == "se_a: must be a positive standard error, got -0.1"
    assert message_of("SQ_MEDIATION", 0.5, 0.1, "b", 0.1) == "b: must be numeric, found text 'b' in the cell"


# --------------------------------------------------------------------------- gaps 2-4 from answers, Sobel from regressions


def test_internal_gaps_from_answers_are_the_mean_answer_per_dimension():
    staff = [[5, 5, 4, 4, 5], [4, 5, 5, 4, BLANK], [5, 4, 5, 5, 4]]
    result = call("SQ_INTERNAL_GAPS_ANSWERS", block(staff), block(staff), block(staff))
    assert result[0] == ["Dimension", "Gap 2", "Gap 3", "Gap 4"]
    assert [r[0] for r in result[1:]] == list(survey.SERVQUAL_DIMENSIONS)
    assert result[1][1] == pytest.approx((5 + 4 + 5) / 3)
    assert result[5][1] == pytest.approx((5 + 4) / 2)  # the blank is left out, never a zero
    two_items_each = call("SQ_INTERNAL_GAPS_ANSWERS", block([[5, 3]]), block([[4, 4]]), block([[2, 4]]), row(["reliability", "reliability"]))
    assert two_items_each[1] == ["reliability", 4.0, 4.0, 3.0]
    assert message_of("SQ_INTERNAL_GAPS_ANSWERS", block([[5, 3]]), block([[4, 4]]), block([[2, 4]])).startswith("dimensions: are required")


def test_sobel_from_two_regression_ranges_equals_sobel_of_their_coefficients():
    x = [1, 2, 3, 4, 5, 6, 7, 8]
    m = [2.1, 2.9, 4.2, 4.8, 6.1, 7.2, 7.9, 9.1]
    y = [1.0, 2.5, 2.9, 4.8, 5.1, 6.9, 7.2, 8.8]
    model_a = call("SQ_REGRESSION", column(m), column(x), row(["X"]))
    model_b = call("SQ_REGRESSION", column(y), block([[a, b] for a, b in zip(x, m)]), row(["X", "M"]))
    result = call("SQ_SOBEL_REGRESSIONS", model_a, model_b)
    fit_a = survey.linear_regression(m, [[v] for v in x])
    fit_b = survey.linear_regression(y, [[a, b] for a, b in zip(x, m)])
    expected = survey.sobel_test(fit_a.params[1], fit_a.bse[1], fit_b.params[2], fit_b.bse[2])
    assert result[1][0] == "Sobel" and result[1][3] == pytest.approx(expected.z, rel=1e-12)
    assert call("SQ_SOBEL_REGRESSIONS", model_a, model_b, "X", "M", "aroian")[1][0] == "Aroian"
    assert message_of("SQ_SOBEL_REGRESSIONS", model_a, model_b, "X", "W").startswith("model_b: has no predictor 'W'")
    assert message_of("SQ_SOBEL_REGRESSIONS", block([[1, 2]]), model_b).startswith("model_a: must be a coefficients table as SQ_REGRESSION spills it")
