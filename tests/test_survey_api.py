"""The survey package as a whole: public API, doctests, the shared Likert input contract
(blanks are missing, never zero; bad cells name the argument and the cell), and the
result classes' summary / to_frame / repr."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pandas as pd
import pytest

import simulator.survey
from simulator import RoqInputError
from simulator.survey import (
    cronbach_alpha,
    customer_satisfaction_index,
    importance_performance,
    item_statistics,
    item_validity,
    linear_regression,
    mediation_tests,
    msi_transform,
    servqual_gap5,
    servqual_internal_gaps,
    sobel_test,
    successive_intervals,
    weighted_servqual,
)

MODULES = sorted(
    f"simulator.survey.{info.name}" for info in pkgutil.iter_modules(simulator.survey.__path__)
)


@pytest.mark.parametrize("module_name", MODULES)
def test_doctests(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0


def test_every_public_function_has_a_worked_example():
    for name in simulator.survey.__all__:
        obj = getattr(simulator.survey, name)
        if callable(obj) and not isinstance(obj, type):
            assert obj.__doc__ and "Examples" in obj.__doc__, name


def test_public_api_is_exported():
    assert len(set(simulator.survey.__all__)) == len(simulator.survey.__all__)
    for name in simulator.survey.__all__:
        assert hasattr(simulator.survey, name), name


# --- the Likert input contract ----------------------------------------------------------------
def test_blanks_are_missing_never_zero():
    answers = [[5, ""], [3, None], [4, np.nan], [2, 4]]
    stats = item_statistics(answers)
    assert stats.mean[1] == 4.0 and stats.n_missing[1] == 3
    assert stats.counts.sum() == 5


def test_dataframe_and_object_arrays_accepted():
    frame = pd.DataFrame({"A": [1, 2, None, 4], "B": ["", 3, 4, 5]})
    stats = item_statistics(frame)
    assert stats.items == ["A", "B"] and stats.n_valid.tolist() == [3, 3]


def test_items_from_an_excel_column_range():
    stats = item_statistics([[1, 2], [3, 4]], items=[["Q1"], ["Q2"]])
    assert stats.items == ["Q1", "Q2"]


def test_single_column_is_one_item():
    stats = item_statistics([1, 2, 3, 3])
    assert stats.counts.shape == (1, 5)


@pytest.mark.parametrize(
    "responses, match",
    [
        ([[1, 2], [3, 7]], r"^responses: value 7 at \(2, 2\) is outside the scale 1\.\.5$"),
        ([[0, 2], [3, 4]], r"^responses: value 0 at \(1, 1\) is outside the scale 1\.\.5$"),
        ([[1, 2.5], [3, 4]], r"^responses: value 2.5 at \(1, 2\) is not a whole number"),
        ([[1, 2], [3, "four"]], r"^responses: must be numeric, found text 'four' at position \(2, 2\)"),
        ([[1, 2], [3, "4"]], r"^responses: must be numeric, found text '4'"),
        ([[1, 2], [3, True]], r"^responses: must be numeric, found True"),
        ([[1, 2], [3, np.inf]], r"^responses: must be finite"),
        ([[1, 2, 3], [3, 4]], r"^responses: rows have different lengths: row 1 has 3 cells, row 2 has 2"),
        ([[1, 2], 3], r"^responses: is not a rectangular table"),
        (np.ones((2, 2, 2)), r"^responses: must be 2-dimensional, got shape \(2, 2, 2\)"),
        ([], r"^responses: is empty"),
        ([[]], r"^responses: is empty"),
        (np.empty((0, 4)), r"^responses: is empty"),
        ([[None, ""], [np.nan, None]], r"^responses: has no answers: every cell is blank"),
        (None, r"^responses: is required"),
        (pd.DataFrame({"a": [1, "x"]}), r"^responses: must be numeric, found text 'x'"),
    ],
)
@pytest.mark.parametrize("function", [item_statistics, cronbach_alpha, msi_transform])
def test_bad_likert_matrix(function, responses, match):
    with pytest.raises(RoqInputError, match=match) as info:
        function(responses)
    assert info.value.argument == "responses"


def test_declared_scale_is_enforced_and_checked():
    assert item_statistics([[0, 10]], scale_min=0, scale_max=10).counts.shape == (2, 11)
    with pytest.raises(RoqInputError, match=r"^responses: value 6 at \(1, 2\) is outside the scale 1\.\.4"):
        item_statistics([[1, 6]], scale_max=4)
    with pytest.raises(RoqInputError, match=r"^scale_max: must be greater than scale_min \(5\), got 1"):
        item_statistics([[1, 2]], scale_min=5, scale_max=1)
    with pytest.raises(RoqInputError, match=r"^scale_min: must be a whole number"):
        item_statistics([[1, 2]], scale_min=0.5)
    with pytest.raises(RoqInputError, match=r"^scale_max: must be numeric"):
        item_statistics([[1, 2]], scale_max="five")


# --- result classes ----------------------------------------------------------------------------
def _results():
    rng = np.random.default_rng(0)
    answers = np.clip(np.round(3 + rng.normal(size=(30, 1)) + rng.normal(scale=0.8, size=(30, 4))), 1, 5)
    dims = ["tangibles", "tangibles", "reliability", "empathy"]
    return [
        item_statistics(answers),
        item_validity(answers),
        cronbach_alpha(answers),
        successive_intervals([3, 4, 13, 6, 4]),
        msi_transform(answers),
        servqual_gap5(answers, np.clip(answers + 1, 1, 5), dimensions=dims),
        servqual_internal_gaps([5, 5, 5, 5, 4], [5, 4, 4, 5, 4], [5, 4, 4, 5, 4]),
        weighted_servqual(answers, np.clip(answers + 1, 1, 5), [30, 30, 40], dimensions=dims),
        customer_satisfaction_index(answers, answers),
        importance_performance(answers, answers),
        linear_regression(answers[:, 0], answers[:, 1:]),
        sobel_test(0.5, 0.1, 0.4, 0.1),
        mediation_tests(0.5, 0.1, 0.4, 0.1),
    ]


@pytest.mark.parametrize("result", _results(), ids=lambda r: type(r).__name__)
def test_results_print_summary_and_give_frames(result):
    text = str(result)
    assert text == result.summary() and "=" * 10 in text
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    assert all(isinstance(column, (str, int)) for column in frame.columns)
    assert repr(result).startswith(f"<{type(result).__name__}: ")


def test_error_is_a_value_error_with_argument_and_problem():
    with pytest.raises(ValueError) as info:
        item_statistics([[9]])
    assert isinstance(info.value, RoqInputError)
    assert info.value.argument == "responses" and "outside the scale" in info.value.problem


def test_nullable_pandas_blanks_are_missing():
    frame = pd.DataFrame({"a": [1, None, 3], "b": [2, 2, None]}).convert_dtypes()
    stats = item_statistics(frame)
    assert stats.n_missing.tolist() == [1, 1] and stats.mean.tolist() == [2.0, 2.0]


def test_engine_does_not_import_the_cross_check_libraries():
    import subprocess
    import sys

    code = "import sys, simulator.survey; print(sorted(m for m in ('statsmodels', 'pingouin') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
