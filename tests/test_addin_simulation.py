"""The simulation Excel functions, called as Excel calls them (xlwings' server dispatcher).

Calls go through ``tests/excel_dispatch.call``: the Office.js payload, xlwings' own
dispatcher, and ``addin.functions``, the module users load.
"""

from __future__ import annotations

import pytest
from excel_dispatch import block, call, metadata

from simulator.errors import RoqInputError
from simulator.uncertainty import builtin_scenario, run_monte_carlo, scenario_from_rows


def one(value):
    return [[value]]


def template_range():
    """The template as Excel hands a range back: blanks as None, whole numbers as int."""
    return block(call("ROQ_SCENARIO_TEMPLATE"))


def test_template_round_trips_to_the_builtin_scenario():
    cells = template_range()
    assert cells[0][:2] == ["Key", "Value"]
    rebuilt = scenario_from_rows(cells)
    builtin = builtin_scenario()
    assert rebuilt.uncertain == builtin.uncertain and rebuilt.outputs == builtin.outputs
    assert rebuilt.parameters() == builtin.parameters()


def test_simulate_spills_summary_table_equal_to_the_engine():
    cells = call("ROQ_SIMULATE", template_range(), one(4096), one(7), one("lhs"))
    header = cells[0]
    assert header[0] == "Output" and "P5" in header and "P(above threshold)" in header
    assert [row[0] for row in cells[1:]] == ["roq", "npv_gain", "final_market_share"]
    expected = run_monte_carlo(builtin_scenario(), samples=4096, seed=7, sampler="lhs", workers=1).to_frame()
    mean = header.index("Mean")
    assert cells[1][mean] == pytest.approx(expected.loc["roq", "mean"], rel=1e-12)
    # the built-in scenario is chosen explicitly; a blank scenario is an error, never a silent default
    assert call("ROQ_SIMULATE", one("builtin"), one(4096), one(7), one("lhs")) == cells
    with pytest.raises(RoqInputError, match=r"^scenario: is blank; give a scenario range .* or the text builtin$"):
        call("ROQ_SIMULATE", None, one(4096))


def test_sensitivity_table_ranks_margin_first():
    cells = call("ROQ_SENSITIVITY", one("builtin"), one("morris"), one(16), one(3))
    header = cells[0]
    assert header[:3] == ["Output", "Method", "Input"] and "mu*" in header
    assert cells[1][header.index("Input")] == "margin"
    assert [row[header.index("Rank")] for row in cells[1:]] == [1, 2, 3, 4]


def test_tornado_table():
    cells = call("ROQ_TORNADO", one("builtin"))
    assert cells[0][0] == "Input" and cells[1][0] == "margin" and "roq at low" in cells[0]


def test_scenario_range_errors_name_row_and_key():
    cells = template_range()
    edited = [row[:] for row in cells]
    for row in edited:
        if row[0] == "uncertain.churn.max":
            row[1] = 1.2
    with pytest.raises(RoqInputError, match=r"^scenario: uncertain.churn.max: must be < 1 \(fraction per year\), got 1.2$"):
        call("ROQ_SIMULATE", edited, one(1000))
    broken = [row[:] for row in cells]
    broken[3][1] = "#N/A"
    with pytest.raises(RoqInputError, match=r"scenario: contains the error #N/A in row 4, column 2 of the range"):
        call("ROQ_SIMULATE", broken)
    with pytest.raises(RoqInputError, match=r"^samples: 4194304 scenarios is too many; at most 2,097,152"):
        call("ROQ_SIMULATE", one("builtin"), one(2**22))
    with pytest.raises(RoqInputError, match=r"method: must be one of sobol, morris, fast, delta, pawn"):
        call("ROQ_SENSITIVITY", one("builtin"), one("anova"))


def test_functions_are_registered_with_help_text():
    meta = metadata()  # what Lite / Server register from addin.functions
    names = {f["name"] for f in meta["functions"]}
    assert {"ROQ_SIMULATE", "ROQ_SENSITIVITY", "ROQ_TORNADO", "ROQ_SCENARIO_TEMPLATE"} <= names
    simulate = next(f for f in meta["functions"] if f["name"] == "ROQ_SIMULATE")
    assert all(p.get("description") for p in simulate["parameters"])


def test_share_fan_is_the_engines_per_year_statistics():
    cells = call("ROQ_SHARE_FAN", one("builtin"), one(4096), one(11))
    assert cells[0][:3] == ["Year", "Mean share (fraction)", "SD"] and "P95" in cells[0]
    expected = run_monte_carlo(builtin_scenario(), samples=4096, seed=11, workers=1, path_outputs=("market_share_path",))
    frame = expected.path_statistics("market_share_path")
    assert [r[0] for r in cells[1:]] == list(frame["year"])
    assert [r[1] for r in cells[1:]] == pytest.approx(list(frame["mean"]), rel=1e-12)


def test_sensitivity_caps_are_per_method():
    with pytest.raises(RoqInputError, match=r"^samples: 2,048 is too many for delta from Excel; at most 1,024"):
        call("ROQ_SENSITIVITY", one("builtin"), one("delta"), one(2048))


def test_help_texts_name_cases_by_author_and_have_no_newlines():
    for function in metadata()["functions"]:
        texts = [function["description"]] + [p["description"] for p in function["parameters"]]
        for text in texts:
            assert "\n" not in text and "seed 00" not in text.lower() and "seed-00" not in text.lower(), function["name"]
