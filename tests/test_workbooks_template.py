"""The survey template: empty it shows no errors, filled it agrees with ``simulator``, and
partial or wrong data produce clear messages.

Data are pasted the way a batch job would (``roq recalc TEMPLATE --paste ...``, here the
Python API ``recalculate(..., paste=...)``), then every formula is evaluated headlessly with
the add-in's functions; the tables are compared with ``simulator.survey`` called directly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from addin.recalc import recalculate
from simulator import survey
from workbooks.survey_template import MAX_ITEMS

TEMPLATE = Path(__file__).resolve().parent.parent / "workbooks" / "survey-template-lite.xlsx"
CLASSIC = TEMPLATE.with_name("survey-template-classic.xlsm")
DIMENSIONS = ["tangibles", "tangibles", "reliability", "reliability", "reliability", "responsiveness", "assurance", "assurance", "empathy", "empathy"]
ITEMS = [f"Q{i}" for i in range(1, len(DIMENSIONS) + 1)]
RESULT_SHEETS = ("Item statistics", "Validity and reliability", "SERVQUAL", "CSI", "IPA")


def generated_answers(seed: int, respondents: int, low: int, blank_share: float = 0.04) -> np.ndarray:
    """Likert answers 1..5 (respondents x items) with some blanks (NaN), reproducible."""
    rng = np.random.default_rng(seed)
    # a common factor makes the items correlate, as real scales do
    level = rng.normal(0, 0.8, size=(respondents, 1))
    answers = np.clip(np.rint(low + 1 + level + rng.normal(0, 0.7, size=(respondents, len(ITEMS)))), 1, 5)
    answers[rng.random(answers.shape) < blank_share] = np.nan
    return answers


def rows(answers) -> list[list]:
    return [[None if np.isnan(v) else float(v) for v in row] for row in answers]


def fill(tmp_path, name="filled.xlsx", template=TEMPLATE, **pastes):
    """Paste blocks into a copy of the template, recalculate, return (result, workbook)."""
    out = tmp_path / name
    result = recalculate(template, out, paste=pastes)
    return result, openpyxl.load_workbook(out, data_only=True)


def table(ws, anchor_label: str, column: int = 1, first_row: int = 1):
    """The spilled table whose header row starts with ``anchor_label`` in ``column``."""
    all_rows = list(ws.iter_rows(min_row=first_row, values_only=True))
    for index, row in enumerate(all_rows):
        if len(row) >= column and row[column - 1] == anchor_label:
            header = []
            for heading in row[column - 1 :]:
                if heading in (None, ""):
                    break  # the table ends at the first blank header cell
                header.append(heading)
            records = []
            for body in all_rows[index + 1 :]:
                if body[column - 1] in (None, ""):
                    break
                records.append(dict(zip(header, body[column - 1 : column - 1 + len(header)])))
            return records
    raise AssertionError(f"no table headed {anchor_label!r} on {ws.title!r}")


def assert_frame_equal_to_table(frame, records):
    assert len(frame) == len(records)
    for column in frame.columns:
        expected = frame[column].tolist()
        got = [record[column] for record in records]
        for e, g in zip(expected, got):
            if isinstance(e, (float, np.floating)) and np.isnan(e):
                assert g == "#N/A", column
            elif isinstance(e, (int, float, np.integer, np.floating)) and not isinstance(e, bool):
                assert g == pytest.approx(float(e), rel=1e-12, abs=1e-12), column
            else:
                assert str(g) == str(e), column


@pytest.fixture(scope="module")
def data():
    return {
        "expectations": generated_answers(11, 48, 3),
        "perceptions": generated_answers(12, 44, 2),
        "importance": generated_answers(13, 40, 3),
    }


@pytest.fixture(scope="module")
def filled(tmp_path_factory, data):
    result, book = fill(
        tmp_path_factory.mktemp("template"),
        **{
            "Items!A6": [[item, dimension] for item, dimension in zip(ITEMS, DIMENSIONS)],
            "Expectations!B7": rows(data["expectations"]),
            "Perceptions!B7": rows(data["perceptions"]),
        },
    )
    assert result.ok, result.summary()
    return book


def test_empty_template_has_no_errors_and_blank_results(tmp_path):
    for template in (TEMPLATE, CLASSIC):
        result = recalculate(template, tmp_path / template.name)
        assert result.ok, result.summary()
    book = openpyxl.load_workbook(tmp_path / TEMPLATE.name, data_only=True)
    for name in RESULT_SHEETS:
        for row in book[name].iter_rows(min_row=4, values_only=True):
            for value in row:
                assert not (isinstance(value, str) and value.startswith("#")), (name, row)
    assert book["Setup"]["C14"].value.startswith("No items yet")
    assert book["CSI"]["B9"].value in ("", None)


def test_filled_template_equals_simulator(filled, data):
    expectations, perceptions = data["expectations"], data["perceptions"]
    stats = table(filled["Item statistics"], "Item")
    assert_frame_equal_to_table(survey.item_statistics(expectations, scale_min=1, scale_max=5, items=ITEMS).to_frame(), stats)

    validity = filled["Validity and reliability"]
    assert_frame_equal_to_table(survey.item_validity(expectations, alpha=0.05, items=ITEMS).to_frame(), table(validity, "Item"))
    alpha = survey.cronbach_alpha(expectations, items=ITEMS)
    assert validity["B9"].value == pytest.approx(alpha.alpha, rel=1e-12)
    assert validity["D9"].value == alpha.verdict
    assert_frame_equal_to_table(alpha.to_frame(), table(validity, "Item", column=7))
    assert validity["B10"].value == pytest.approx(survey.critical_r(48, 0.05), rel=1e-12)

    gaps = survey.servqual_gap5(perceptions, expectations, dimensions=DIMENSIONS, items=ITEMS)
    servqual = filled["SERVQUAL"]
    assert servqual["B10"].value == pytest.approx(gaps.overall_gap, rel=1e-12)
    assert_frame_equal_to_table(survey.servqual_gap5(perceptions, expectations, items=ITEMS).to_frame(), table(servqual, "Item"))
    assert_frame_equal_to_table(gaps.dimension_frame(), table(servqual, "Dimension", column=8))

    # importance = the expectations, because the Importance sheet is empty (as seed 002)
    csi = survey.customer_satisfaction_index(expectations, perceptions, items=ITEMS)
    sheet = filled["CSI"]
    assert sheet["B8"].value == "Expectations"
    assert sheet["B9"].value == pytest.approx(csi.csi, rel=1e-12)
    assert sheet["B10"].value == survey.csi_band(csi.csi).label
    assert_frame_equal_to_table(csi.to_frame(), table(sheet, "Item"))
    assert_frame_equal_to_table(survey.importance_performance(expectations, perceptions, items=ITEMS).to_frame(), table(filled["IPA"], "Item"))


def test_importance_sheet_is_used_when_filled(tmp_path, data):
    result, book = fill(
        tmp_path,
        **{
            "Items!A6": [[item] for item in ITEMS],
            "Expectations!B7": rows(data["expectations"]),
            "Perceptions!B7": rows(data["perceptions"]),
            "Importance!B7": rows(data["importance"]),
        },
    )
    assert result.ok, result.summary()
    csi = survey.customer_satisfaction_index(data["importance"], data["perceptions"], items=ITEMS)
    assert book["CSI"]["B8"].value == "Importance"
    assert book["CSI"]["B9"].value == pytest.approx(csi.csi, rel=1e-12)
    # no dimensions given: the per-dimension table stays blank, with a message
    assert book["Setup"]["C15"].value.startswith("No dimensions")
    assert book["SERVQUAL"]["H14"].value in ("", None)


def test_partial_data_gives_clear_messages(tmp_path, data):
    # answers pasted, items not yet described
    result, book = fill(tmp_path, "no-items.xlsx", **{"Perceptions!B7": rows(data["perceptions"])})
    assert result.ok, result.summary()
    setup = book["Setup"]
    assert setup["C14"].value.startswith("No items yet")
    assert setup["C16"].value.startswith("No answers yet: paste them on the Expectations sheet")
    assert setup["C17"].value == "Answers found but no items: enter the item codes on the Items sheet."
    assert book["SERVQUAL"]["A4"].value.startswith("No items yet")  # each result sheet repeats the status
    assert book["SERVQUAL"]["B10"].value in ("", None)

    # fewer item codes than answer columns, and a gap in the item list
    result, book = fill(
        tmp_path,
        "short-items.xlsx",
        **{"Items!A6": [["Q1"], ["Q2"], [None], ["Q4"]], "Expectations!B7": rows(data["expectations"])},
    )
    assert book["Setup"]["C14"].value.startswith("Item codes must fill consecutive rows")
    result, book = fill(tmp_path, "fewer-items.xlsx", **{"Items!A6": [["Q1"], ["Q2"]], "Expectations!B7": rows(data["expectations"])})
    assert book["Setup"]["C16"].value == "Answers right of item 2: every answer column needs an item code on the Items sheet."

    # answers outside the scale
    answers = rows(data["expectations"])
    answers[4][1] = 7.0
    result, book = fill(tmp_path, "outside.xlsx", **{"Items!A6": [[item] for item in ITEMS], "Expectations!B7": answers})
    assert book["Setup"]["C16"].value == "Some answers lie outside 1..5: the results show which one."
    assert not result.ok
    assert any(str(failure).startswith("'Item statistics'!A10: responses:") and "7" in failure.message for failure in result.failures)


def test_text_in_the_answers_is_named_by_the_add_in(tmp_path, data):
    answers = rows(data["expectations"])
    answers[2][1] = "n/a"  # respondent 3, item 2
    result, book = fill(tmp_path, **{"Items!A6": [[item] for item in ITEMS], "Expectations!B7": answers})
    assert book["Setup"]["C16"].value == "1 cells hold text instead of a number: the results show which one."
    messages = {failure.address: failure.message for failure in result.failures}
    assert messages["'Item statistics'!A10"] == "responses: must be numeric, found text 'n/a' in row 3, column 2 of the range"
    assert messages["'Validity and reliability'!B9"].startswith("responses: must be numeric, found text 'n/a'")
    # everything that does not read the bad cell is still computed
    assert book["Setup"]["B17"].value == 0 and book["Setup"]["B14"].value == len(ITEMS)


def test_paste_area_is_large_enough():
    book = openpyxl.load_workbook(TEMPLATE)
    assert book["Setup"]["C14"].value.count("k_items") >= 2
    assert MAX_ITEMS >= 21  # seed 002's questionnaire fits
