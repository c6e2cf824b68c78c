"""Survey psychometrics: item statistics, Slovin, critical r, validity, Cronbach's alpha."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from simulator import RoqInputError
from simulator.survey import (
    critical_r,
    cronbach_alpha,
    item_statistics,
    item_validity,
    slovin_sample_size,
)


def random_likert(rng, n=60, k=6, missing=0.0, scale_max=5):
    """Correlated Likert answers (a latent trait plus noise), optionally with blanks."""
    trait = rng.normal(size=(n, 1))
    raw = 3 + 1.1 * trait + rng.normal(scale=0.9, size=(n, k))
    answers = np.clip(np.round(raw), 1, scale_max)
    if missing:
        answers[rng.random((n, k)) < missing] = np.nan
    return answers


# --- published figures ---------------------------------------------------------------------
def test_slovin_published_70_at_5_percent():
    result = slovin_sample_size(70, 0.05)
    assert result.exact == pytest.approx(70 / 1.175)
    assert round(result.exact, 2) == 59.57
    assert result.rounded_up == 60


def test_slovin_exact_integer_is_not_rounded_up_further():
    # N = 100, e = 0.1 -> 100 / 2 = 50 exactly; floating point must not make it 51
    assert slovin_sample_size(100, 0.1) == (50.0, 50)


def test_critical_r_published_n30():
    assert round(critical_r(30, 0.05), 3) == 0.361


@pytest.mark.parametrize("n, alpha", [(10, 0.05), (30, 0.01), (100, 0.05), (5, 0.10)])
def test_critical_r_is_where_the_pearson_test_p_equals_alpha(n, alpha):
    r = critical_r(n, alpha)
    t = r * np.sqrt((n - 2) / (1 - r * r))
    assert 2 * stats.t.sf(t, n - 2) == pytest.approx(alpha, rel=1e-9)


# --- item statistics -------------------------------------------------------------------------
def test_item_statistics_counts_and_moments_with_blanks():
    answers = [[5, 4, ""], [4, None, 1], [3, 4, np.nan], [5, 2, 2]]
    result = item_statistics(answers)
    assert result.n_valid.tolist() == [4, 3, 2]
    assert result.n_missing.tolist() == [0, 1, 2]
    assert result.counts[0].tolist() == [0, 0, 1, 1, 2]
    assert result.counts[:, 0].tolist() == [0, 0, 1]
    assert result.mean == pytest.approx([4.25, 10 / 3, 1.5])
    assert result.sd == pytest.approx([np.std([5, 4, 3, 5], ddof=1), np.std([4, 4, 2], ddof=1), np.std([1, 2], ddof=1)])
    frame = result.to_frame()
    assert list(frame.columns) == ["Item", "N valid", "N missing", "Mean", "SD", "Count 1", "Count 2", "Count 3", "Count 4", "Count 5"]
    assert frame["Item"].tolist() == [1, 2, 3]
    assert "Item Statistics" in str(result)


def test_item_statistics_dataframe_labels_and_other_scale():
    frame = pd.DataFrame({"Q1": [7, 1, 4], "Q2": [2, 2, None]})
    result = item_statistics(frame, scale_max=7)
    assert result.items == ["Q1", "Q2"]
    assert result.counts.shape == (2, 7)
    assert result.n_valid.tolist() == [3, 2] and result.sd[1] == 0
    assert result.counts[0].tolist() == [1, 0, 0, 1, 0, 0, 1]


def test_item_statistics_item_with_one_answer_has_nan_sd():
    result = item_statistics([[1, 3], [2, None]])
    assert np.isnan(result.sd[1]) and result.mean[1] == 3


# --- validity ------------------------------------------------------------------------------
def test_item_validity_matches_pearson_correlations():
    rng = np.random.default_rng(7)
    answers = random_likert(rng, n=30, k=5)
    result = item_validity(answers)
    total = answers.sum(axis=1)
    for i in range(5):
        assert result.r_uncorrected[i] == pytest.approx(np.corrcoef(answers[:, i], total)[0, 1])
        assert result.r_corrected[i] == pytest.approx(np.corrcoef(answers[:, i], total - answers[:, i])[0, 1])
    assert result.r_critical == pytest.approx(critical_r(30))
    expected = ["valid" if r > result.r_critical else "invalid" for r in result.r_corrected]
    assert result.verdicts == expected
    assert list(result.to_frame().columns) == ["Item", "r item-total", "r corrected", "r critical", "Verdict"]


def test_item_validity_basis_and_listwise_n():
    answers = np.array([[1, 1, 5], [2, 2, 1], [3, 3, 4], [4, 4, 2], [5, 5, 3], [5, 4, np.nan]])
    corrected = item_validity(answers)
    uncorrected = item_validity(answers, basis="uncorrected")
    assert corrected.n_used == 5
    assert corrected.r_critical == pytest.approx(critical_r(5))
    # the unrelated third item is invalid either way; the part-whole r is always larger
    assert corrected.verdicts[2] == uncorrected.verdicts[2] == "invalid"
    assert np.all(uncorrected.r_uncorrected >= uncorrected.r_corrected - 1e-12)


def test_item_validity_constant_item_is_invalid():
    answers = [[3, 1, 2], [3, 2, 2], [3, 3, 4], [3, 4, 5], [3, 5, 5]]
    result = item_validity(answers)
    assert np.isnan(result.r_corrected[0]) and result.verdicts[0] == "invalid"


# --- Cronbach's alpha ------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_alpha_equals_pingouin_without_missing(seed):
    answers = random_likert(np.random.default_rng(seed), n=50, k=7)
    expected, _ = pingouin.cronbach_alpha(pd.DataFrame(answers))
    assert cronbach_alpha(answers).alpha == pytest.approx(expected, abs=1e-12)
    assert cronbach_alpha(answers, missing="pairwise").alpha == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", [4, 5, 6])
@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_alpha_equals_pingouin_with_missing(seed, missing):
    answers = random_likert(np.random.default_rng(seed), n=80, k=6, missing=0.08)
    expected, _ = pingouin.cronbach_alpha(pd.DataFrame(answers), nan_policy=missing)
    result = cronbach_alpha(answers, missing=missing)
    assert result.alpha == pytest.approx(expected, abs=1e-12)
    if missing == "listwise":
        assert result.n_respondents == int((~np.isnan(answers).any(axis=1)).sum())


def test_alpha_listwise_and_pairwise_differ_with_missing():
    answers = random_likert(np.random.default_rng(11), n=80, k=6, missing=0.1)
    assert cronbach_alpha(answers).alpha != pytest.approx(cronbach_alpha(answers, missing="pairwise").alpha, abs=1e-6)


def test_alpha_if_deleted_equals_pingouin_on_reduced_data():
    answers = pd.DataFrame(random_likert(np.random.default_rng(3), n=40, k=5), columns=list("abcde"))
    result = cronbach_alpha(answers)
    for i, column in enumerate(answers.columns):
        assert result.alpha_if_deleted[i] == pytest.approx(pingouin.cronbach_alpha(answers.drop(columns=column))[0])
    frame = result.to_frame()
    assert frame["Item"].tolist() == list("abcde")
    assert list(frame.columns) == [
        "Item", "Scale mean if deleted", "Scale variance if deleted", "Corrected item-total r", "Alpha if deleted"
    ]
    total = answers.sum(axis=1)
    assert frame["Scale mean if deleted"].to_numpy() == pytest.approx((total.mean() - answers.mean()).to_numpy())
    assert frame["Scale variance if deleted"].to_numpy() == pytest.approx(
        [(total - answers[c]).var(ddof=1) for c in answers.columns]
    )
    # the same corrected r as the validity check
    assert frame["Corrected item-total r"].to_numpy() == pytest.approx(item_validity(answers).r_corrected)


def test_alpha_verdict_against_060_is_strict():
    answers = random_likert(np.random.default_rng(8), n=60, k=6)
    result = cronbach_alpha(answers)
    assert result.verdict == "reliable" and result.alpha > 0.6
    assert cronbach_alpha(answers, threshold=result.alpha).verdict == "not reliable"
    assert "Reliability Statistics" in result.summary() and "Item-Total Statistics" in result.summary()
    assert result.statistics_frame().columns.tolist() == ["Cronbach's alpha", "N of items", "N", "Threshold", "Verdict"]


def test_alpha_two_items_has_nan_alpha_if_deleted():
    result = cronbach_alpha([[1, 2], [2, 2], [3, 4], [5, 4]])
    assert np.isnan(result.alpha_if_deleted).all()


likert_matrices = st.tuples(st.integers(4, 25), st.integers(3, 6)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=st.integers(1, 5).map(float))
)


@settings(max_examples=60, deadline=None)
@given(likert_matrices)
def test_alpha_if_deleted_is_alpha_of_the_remaining_items(matrix):
    assume(matrix.sum(axis=1).var() > 0)
    k = matrix.shape[1]
    result = cronbach_alpha(matrix)
    for i in range(k):
        rest = np.delete(matrix, i, axis=1)
        if rest.sum(axis=1).var() > 0:
            assert result.alpha_if_deleted[i] == pytest.approx(cronbach_alpha(rest).alpha, abs=1e-9)
    # the definition: k/(k-1) (1 - sum var_i / var total)
    expected = k / (k - 1) * (1 - matrix.var(axis=0, ddof=1).sum() / matrix.sum(axis=1).var(ddof=1))
    assert result.alpha == pytest.approx(expected, abs=1e-9)
    assert result.alpha <= 1 + 1e-12


# --- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: slovin_sample_size(0, 0.05), r"^population: "),
        (lambda: slovin_sample_size(70, 0), r"^margin_of_error: "),
        (lambda: slovin_sample_size(70, 1.5), r"^margin_of_error: "),
        (lambda: slovin_sample_size([70, 80], 0.05), r"^population: must be a single number"),
        (lambda: slovin_sample_size("70", 0.05), r"^population: must be numeric"),
        (lambda: critical_r(2), r"^n: must be at least 3"),
        (lambda: critical_r(30.5), r"^n: must be a whole number"),
        (lambda: critical_r(30, 0), r"^alpha: "),
        (lambda: critical_r(30, 1.2), r"^alpha: "),
        (lambda: critical_r(30, None), r"^alpha: "),
        (lambda: item_validity([[1, 2], [2, 3], [3, 3]], alpha=-0.1), r"^alpha: "),
        (lambda: item_validity([[1, 2], [2, 3], [3, 3]], basis="spss"), r"^basis: must be one of"),
        (lambda: item_validity([[1], [2], [3]]), r"^responses: needs at least 2 items"),
        (lambda: item_validity([[1, 2], [2, 3]]), r"^responses: has 2 complete respondents"),
        (lambda: cronbach_alpha([[1], [2], [3]]), r"^responses: needs at least 2 items"),
        (lambda: cronbach_alpha([[1, 2], [np.nan, 3], [3, np.nan]]), r"^responses: has 1 complete respondent"),
        (lambda: cronbach_alpha([[1, np.nan], [2, np.nan], [np.nan, 3]], missing="pairwise"), r"^responses: items 1 and 2"),
        (lambda: cronbach_alpha([[2, 2], [2, 2], [2, 2]]), r"^responses: the total score has no variance"),
        (lambda: cronbach_alpha([[1, 2], [2, 3], [3, 3]], missing="drop"), r"^missing: must be one of"),
        (lambda: cronbach_alpha([[1, 2], [2, 3], [3, 3]], threshold=1.5), r"^threshold: "),
        (lambda: item_statistics([[1, 2], [3, 4]], items=["a"]), r"^items: has 1 labels but responses has 2 items"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(RoqInputError, match=match):
        call()
