"""The SEM and regression-assumption Excel functions, called as Excel calls them (xlwings' dispatcher)."""

from __future__ import annotations

import numpy as np
import pytest
from excel_dispatch import block, call, column

pytest.importorskip("semopy")

from simulator import survey  # noqa: E402
from simulator.errors import RoqInputError  # noqa: E402

DATA = survey.simulate_loyalty_survey(150, seed=4)
RANGE = [list(DATA.columns)] + block(DATA.to_numpy())
MODEL_CELL = [["; ".join(line for line in survey.LOYALTY_MODEL.splitlines() if line and not line.startswith("#"))]]
MODEL_LINES = column([line for line in survey.LOYALTY_MODEL.splitlines()] + [None, None])


def as_dict(table):
    return {r[0]: r for r in table[1:]}


def test_fit_table_spills_with_verdicts_and_matches_the_engine():
    fit = survey.fit_sem(DATA, survey.LOYALTY_MODEL)
    table = call("SQ_SEM_FIT", RANGE, MODEL_LINES)
    assert table[0] == ["Index", "Value", "Cut-off", "Verdict"]
    rows = as_dict(table)
    assert rows["Chi-square (CMIN)"][1] == pytest.approx(fit.indices["CMIN"], rel=1e-12)
    assert rows["RMSEA"][2] == "<= 0.08" and rows["RMSEA"][3] in ("fit", "not fit")
    same = call("SQ_SEM_FIT", RANGE, MODEL_CELL)  # the model in one cell, statements separated by ';'
    assert as_dict(same)["CFI"][1] == pytest.approx(rows["CFI"][1], rel=1e-12)
    lavaan = as_dict(call("SQ_SEM_FIT", RANGE, MODEL_LINES, "lavaan"))
    assert lavaan["Chi-square (CMIN)"][1] == pytest.approx(rows["Chi-square (CMIN)"][1] * 150 / 149, rel=1e-9)


def test_estimates_effects_sobel_reliability_normality_spill():
    estimates = call("SQ_SEM_ESTIMATES", RANGE, MODEL_LINES)
    assert estimates[0][:4] == ["Section", "Path", "Estimate", "S.E."]
    paths = {r[1] for r in estimates[1:]}
    assert "SAT <--- SQ" in paths and "X1 <--- SQ" in paths
    effects = call("SQ_SEM_EFFECTS", RANGE, MODEL_LINES)
    assert effects[0] == ["From", "To", "Direct", "Indirect", "Total", "Std. Direct", "Std. Indirect", "Std. Total"]
    sobel = call("SQ_SEM_SOBEL", RANGE, MODEL_LINES)
    first = sobel[1]
    assert first[7] == pytest.approx(survey.sobel_test(first[1], first[2], first[3], first[4]).z, rel=1e-12)
    reliability = call("SQ_SEM_RELIABILITY", RANGE, MODEL_LINES)
    assert {r[0] for r in reliability[1:]} == {"SQ", "CV", "TR", "SAT", "LOY"}
    assert call("SQ_SEM_HTMT", RANGE, MODEL_LINES)[0] == ["Pair", "HTMT", "Verdict"]
    normality = call("SQ_SEM_NORMALITY", RANGE, MODEL_LINES)
    assert normality[-1][0] == "Multivariate"
    assert len(call("SQ_SEM_MAHALANOBIS", RANGE, MODEL_LINES, 5)) == 6
    assert call("SQ_SEM_MODIFICATION", RANGE, MODEL_LINES)[0] == ["Path", "M.I.", "Par Change"]


def test_bad_input_is_one_line_naming_the_argument():
    for args, needle in (
        ((RANGE, [["SQ =~ X1 + X2 + X99"]]), "model: line 1"),
        ((RANGE, [["SQ =~ X1 X2"]]), "model:"),
        ((block(DATA.to_numpy()), MODEL_LINES), "data: header cell"),
        ((RANGE[:30], MODEL_LINES), "data: has 29 complete respondents for 45 free parameters"),
    ):
        with pytest.raises(RoqInputError) as caught:
            call("SQ_SEM_FIT", *args)
        text = str(caught.value)
        assert needle in text and "\n" not in text and "Traceback" not in text


def test_regression_assumptions_spill():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(60, 3))
    y = X @ [0.4, 0.3, 0.2] + rng.normal(size=60)
    tests = call("SQ_REGRESSION_ASSUMPTIONS", column(y), block(X))
    assert tests[0] == ["Assumption", "Test", "Statistic", "df", "Sig.", "Verdict"]
    assert {r[1] for r in tests[1:]} >= {"Shapiro-Wilk", "Durbin-Watson (exact p, two-tailed)"}
    vif = call("SQ_REGRESSION_VIF", column(y), block(X), [["trust", "image", "quality"]])
    assert [r[0] for r in vif[1:]] == ["trust", "image", "quality"]


def test_loyalty_workbook_shows_the_fit_of_its_example_on_first_open():
    """The committed workbook's cached values are the engine's figures for its example data."""
    from pathlib import Path

    import openpyxl

    path = Path(__file__).resolve().parent.parent / "workbooks" / "loyalty-drivers-lite.xlsx"
    book = openpyxl.load_workbook(path, data_only=True)
    answers = book["Answers"]
    header_row = [r for r in answers.iter_rows(min_col=2, max_col=2) if r[0].value == "X1"][0][0].row
    rows = list(answers.iter_rows(min_row=header_row, min_col=2, max_col=20, values_only=True))
    import pandas as pd

    data = pd.DataFrame([r for r in rows[1:] if any(v is not None for v in r)], columns=rows[0])
    assert len(data) == 300
    column = [c.value for c in book["Model"]["A"]]
    start = column.index("Statement") + 1
    model = [v for v in column[start:start + 20] if v]
    fit = survey.fit_sem(data, "\n".join(model))
    cached = {r[0]: r[1] for r in book["Fit"].iter_rows(min_col=1, max_col=2, values_only=True) if r[0]}
    for index in ("CMIN", "RMSEA", "GFI", "CFI", "SRMR"):
        label = "Chi-square (CMIN)" if index == "CMIN" else index
        assert cached[label] == pytest.approx(fit.indices[index], abs=1e-9), index
