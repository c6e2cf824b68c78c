"""The xlwings report script, run the way xlwings Lite / Server run it: the workbook arrives as
the JSON the Office.js client sends (``xw.Book(json=...)``), the script goes through xlwings'
own ``custom_scripts_call``, and what it does to the workbook comes back as the actions the
client would apply (sheets added, values written, pictures inserted)."""

from __future__ import annotations

import asyncio
import base64
import struct

import pytest
from excel_dispatch import xlwings as xw  # sets XLWINGS_ON_SERVER before xlwings is imported

import xlwings.server

from addin import report_script
from simulator.errors import RoqInputError
from simulator.uncertainty import builtin_scenario, run_monte_carlo

SAMPLES = 4096


def book_json(sheets: dict) -> dict:
    """A workbook as the Office.js client sends it: sheet names with their cell values."""
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": "Plan.xlsx", "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [{"name": name, "values": values, "pictures": [], "tables": []} for name, values in sheets.items()],
    }


def run_script(sheets: dict) -> list:
    book = xw.Book(json=book_json(sheets))
    result = asyncio.run(xlwings.server.custom_scripts_call(report_script, "roq_report", typehint_to_value={xw.Book: book}))
    return result.json()["actions"]


def scenario_rows(**run):
    scenario = builtin_scenario().with_run(samples=SAMPLES, seed=21, **run)
    return scenario.to_rows()


@pytest.fixture(scope="module")
def actions():
    return run_script({"Scenario": scenario_rows(), "Notes": [["planning notes"]]})


def written_values(actions) -> list:
    return [a["values"] for a in actions if a["func"] == "setValues"]


def test_registered_as_a_script():
    meta = xlwings.server.custom_scripts_meta(report_script)
    assert [m["function_name"] for m in meta] == ["roq_report"]


def test_results_sheet_is_added_after_the_others(actions):
    added = [a for a in actions if a["func"] == "addSheet"]
    assert [a["args"] for a in added] == [[2, report_script.RESULTS_SHEET]]


def test_tables_are_written_as_ranges(actions):
    values = written_values(actions)
    headings = [v[0][0] for v in values if len(v) == 1 and len(v[0]) == 1]
    for title in ("Monte Carlo summary", "One-way sweep (tornado data: inputs at P10 / P90)", "Sobol' indices of ROQ",
                  "Morris screening of ROQ", "Break-even values (ROQ = 1)", "Scenario inputs"):
        assert title in headings
    summary = next(v for v in values if v[0][:4] == ["output", "shown in", "count", "mean"])  # headers with units
    rows = {row[0]: dict(zip(summary[0], row)) for row in summary[1:]}
    reference = run_monte_carlo(builtin_scenario().with_run(samples=SAMPLES, seed=21), progress=False)
    assert rows["roq"]["count"] == SAMPLES and rows["roq"]["shown in"] == "ratio" and rows["npv_gain"]["shown in"] == "Rp"
    assert rows["roq"]["mean"] == pytest.approx(reference.statistics["roq"]["mean"], rel=1e-12)  # the sheet's own scenario, same numbers
    assert rows["roq"]["P(> threshold) (%)"] == pytest.approx(reference.probability("roq"))
    formats = [a["args"][0] if isinstance(a["args"], list) else a["args"] for a in actions if a["func"] == "setNumberFormat"]
    assert "0.000" in formats and "0.00%" in formats and any("Rp" in f for f in formats)  # numbers shown in their units
    header = next(v[0][0] for v in values if isinstance(v[0][0], str) and v[0][0].startswith("Scenario from"))
    assert f"{SAMPLES:,} Monte Carlo scenarios" in header


def test_charts_are_inserted_as_png_pictures(actions):
    pictures = [a for a in actions if a["func"] == "addPicture"]
    names = [a["args"][1] for a in actions if a["func"] == "setPictureName"]
    assert names[:3] == ["summary_roq", "summary_npv_gain", "summary_final_market_share"]
    assert {"roq_distribution", "market_share_fan", "tornado", "spider", "sobol_indices", "morris", "two_way", "discount_curve",
            "sample_tornado", "with_without"} <= set(names)
    spans = []
    for picture in pictures:
        image = base64.b64decode(picture["args"][0])
        assert image[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", image[16:24])
        assert width in (800, 880)  # 10 in (slide charts) or 11 in (one-page summaries) at 80 dpi
        column, row = picture["args"][1:3]
        assert column == 10  # column K, right of the tables
        spans.append((row, row + height / 20))
    assert all(next_top >= bottom for (_, bottom), (next_top, _) in zip(spans, spans[1:]))  # stacked without overlapping


def test_without_a_scenario_sheet_the_builtin_one_is_run_and_left_as_a_template():
    actions = run_script({"Sheet1": [[None]]})
    added = [a["args"][1] for a in actions if a["func"] == "addSheet"]
    assert added == [report_script.SCENARIO_SHEET, report_script.RESULTS_SHEET]
    template = next(a["values"] for a in actions if a["func"] == "setValues" and a["values"][0][0] == "key")
    expected = builtin_scenario().with_run(samples=report_script.EXCEL_SAMPLES).to_rows()
    assert [row[0] for row in template] == [row[0] for row in expected]
    header = next(v[0][0] for v in written_values(actions) if isinstance(v[0][0], str) and v[0][0].startswith("Scenario from"))
    assert f"{report_script.EXCEL_SAMPLES:,} Monte Carlo scenarios" in header and "built-in" in header


def test_a_bad_scenario_sheet_names_the_sheet_and_key():
    rows = [[row[0], 1.2, *row[2:]] if row[0] == "uncertain.churn.max" else row for row in scenario_rows()]  # churn above 100%
    with pytest.raises(RoqInputError) as caught:
        run_script({"Scenario": rows})
    assert str(caught.value).startswith("sheet Scenario: uncertain.churn")
