"""Classes of bad input for the Excel functions, as the Office.js dispatcher receives them.

Each value of :data:`BAD_INPUTS` is one argument exactly as xlwings Server / Lite get it in
the request body's ``args`` list: a 2-D list of cell values (rows of cells; a single cell
is ``[[value]]``), blanks as ``None``, whole numbers as ``int``, an Excel error either as
the Office.js error object or as its text. ``None`` (no list) is an argument Excel did not
send. :data:`GOOD_CALLS` holds one valid call per function, so a bad input can be put in
one argument position while the others are valid (the check of the bad argument is then
really reached). Used by ``tests/test_addin_fuzz.py`` (xlwings' dispatcher, every class in
every position) and by the real-Server test (a sample, over HTTP).

Plain data only (the chain scenario is read from the engine's data file): no xlwings
import, so any test can import this module.
"""

from __future__ import annotations

import math

__all__ = ["BAD_INPUTS", "RANGE_ONLY", "HUGE", "GOOD_CALLS", "SCENARIO_ROWS", "CHAIN_ROWS", "POLICY_ROWS"]


def _error(text: str, kind: str) -> dict:
    """An Excel error cell as Office.js sends it (``Excel.CellValueType.error``)."""
    return {"type": "Error", "basicType": "Error", "basicValue": text, "errorType": kind}


#: 10,000 respondents x 30 items of valid 1..5 answers: a size test, only for range arguments.
HUGE = "huge_10000x30"

#: Bad input classes: name -> the argument as the dispatcher receives it.
BAD_INPUTS: dict[str, list | None] = {
    "omitted": None,
    "blank": [[None]],
    "empty_text": [[""]],
    "spaces": [["   "]],
    "text": [["abc"]],
    "number_as_text": [["0.2"]],
    "percent_text": [["20%"]],
    "unicode_text": [["Ke\u0301puasan \u2014 \U0001f642"]],
    "long_text": [["x" * 5000]],
    "true": [[True]],
    "false": [[False]],
    "zero": [[0]],
    "one": [[1]],
    "negative": [[-1]],
    "minus_million": [[-1000000]],
    "fraction": [[0.5]],
    "percent_as_number": [[20]],
    "tiny": [[1e-300]],
    "huge_number": [[1e15]],
    "minus_max_float": [[-1e308]],
    "nan": [[math.nan]],
    "inf": [[math.inf]],
    "minus_inf": [[-math.inf]],
    "date_serial": [[45292]],
    "date_text": [["2024-01-01"]],
    "date_text_us": [["1/1/2024"]],
    "error_div0": [[_error("#DIV/0!", "Div0")]],
    "error_na_text": [["#N/A"]],
    "error_value_text": [["#VALUE!"]],
    "row_1x5": [[1, 2, 3, 4, 5]],
    "column_5x1": [[1], [2], [3], [4], [5]],
    "block_4x3": [[4, 5, 4], [2, 2, 3], [5, 4, 5], [3, 3, 2]],
    "all_blank_3x3": [[None] * 3 for _ in range(3)],
    "mixed_range": [[1, "a"], [True, None]],
    "ragged_range": [[1, 2, 3], [4]],
    "errors_in_range": [[1, _error("#N/A", "NotAvailable")], [3, 4]],
    "wide_row_1x300": [[(i % 5) + 1 for i in range(300)]],
    HUGE: [[(i * 31 + j * 17 + (i * j) % 7) % 5 + 1 for j in range(30)] for i in range(10_000)],
}

#: Classes given only to range arguments (and only to a few functions: they are big).
RANGE_ONLY = frozenset({HUGE})


def _cell(value):
    return [[value]]


def _column(values):
    return [[v] for v in values]


def _row(values):
    return [list(values)]


# seed 002's claim-service case (Pole, Isharyani & Widada): 21 items' printed means
_PERCEPTION = [4.12, 4.03, 3.95, 3.98, 4.08, 3.97, 3.9, 3.58, 3.95, 4.07, 4.0, 3.93, 4.05, 4.03, 3.98, 4.02, 3.93, 4.03, 4.05, 3.93, 4.02]
_EXPECTATION = [4.58, 4.43, 4.47, 4.45, 4.48, 4.5, 4.43, 4.67, 4.47, 4.32, 4.38, 4.35, 4.42, 4.45, 4.38, 4.35, 4.22, 4.25, 4.33, 4.3, 4.4]
_DIMENSIONS = ["tangibles"] * 4 + ["reliability"] * 5 + ["responsiveness"] * 4 + ["assurance"] * 4 + ["empathy"] * 4
_ANSWERS = [[4, 5, 4], [2, 2, 3], [5, 4, 5], [3, 3, 2], [4, 4, 4], [1, 2, 1]]
_Y = [3.2, 4.1, 2.8, 3.9, 4.5, 3.3, 2.9, 4.0, 3.6, 4.4]
_X = [[3, 2], [4, 4], [2, 3], [4, 3], [5, 5], [3, 4], [2, 2], [4, 5], [3, 3], [5, 4]]

#: A small scenario range (keys in the first column), as ROQ_SCENARIO_TEMPLATE spills one.
SCENARIO_ROWS = [
    ["key", "value", None],
    ["model.horizon", 5, None],
    ["model.market_size", 250760, None],
    ["model.market_growth", 0.08, None],
    ["model.churn", 0.095, None],
    ["model.competitor_switching", 0.0019, None],
    ["model.attraction", 0.0306, None],
    ["model.initial_share", 0.0139, None],
    ["model.retention", 0.3461, None],
    ["model.baseline_retention", 0.3, None],
    ["model.margin", 250000, None],
    ["model.discount_rate", 0.2, None],
    ["model.initial_cost", 558000000, None],
    ["model.annual_cost", 699000000, None],
    ["uncertain.churn.distribution", "triangular", None],
    ["uncertain.churn.min", 0.05, None],
    ["uncertain.churn.mode", 0.095, None],
    ["uncertain.churn.max", 0.15, None],
    ["uncertain.margin.distribution", "normal", None],
    ["uncertain.margin.mean", 250000, None],
    ["uncertain.margin.sd", 25000, None],
    ["run.samples", 256, None],
    ["run.seed", 7, None],
]

_PARAMETERS = [  # Singgih's case study as ROQ_CASESTUDY_PARAMETERS spills it
    ["Input", "Value (year 1)", "Year 2", "Year 3", "Year 4", "Year 5"],
    ["horizon", 5, None, None, None, None],
    ["market_size", 250760, None, None, None, None],
    ["market_size_path", 286859, 309244, 334210, 356219, 381404],
    ["market_share_path", 0.0598, 0.078, 0.0807, 0.0659, 0.0707],
    ["baseline_market_share", 0.0302, None, None, None, None],
    ["margin", 250000, None, None, None, None],
    ["discount_rate", 0.2, None, None, None, None],
    ["initial_cost", 558000000, None, None, None, None],
    ["annual_cost", 699000000, None, None, None, None],
]

def _chain_rows() -> list[list]:
    """The survey-to-ROQ scenario (Singgih's case) as ROQ_CHAIN_TEMPLATE spills it, blanks as None."""
    from importlib import resources

    from simulator.uncertainty import load_scenario

    rows = load_scenario(resources.files("simulator") / "data" / "survey_chain_scenario.toml").to_rows()
    width = max(len(row) for row in rows)
    return [[None if v == "" else v for v in row] + [None] * (width - len(row)) for row in rows]


#: The survey-to-ROQ scenario table (survey.* and programme.* rows).
CHAIN_ROWS = _chain_rows()


def _policy_rows(n: int = 12) -> list[list]:
    """A small generated policy table as Excel holds it (dates as serial numbers), for the ROQ_REC_ functions."""
    import numpy as np

    from simulator import records

    columns = ["policy_id", "customer_id", "segment", "unit", "line", "start_date", "end_date", "premium", "renewed", "risk",
               "experience", "trust", "effort", "complaint_resolution"]
    rows = [columns]
    for record in records.generate_portfolio(n, seed=11).policies[columns].itertuples(index=False):
        values = list(record)
        for j in (5, 6):
            values[j] = int((np.datetime64(values[j]) - np.datetime64("1899-12-30")).astype(int))
        values[8] = None if values[8] is None or str(values[8]) in ("<NA>", "nan") else int(values[8])
        rows.append([v.item() if hasattr(v, "item") else v for v in values])
    return rows


#: A generated insurance policy table (a few dozen policies, every column the ROQ_REC_ functions read).
POLICY_ROWS = _policy_rows()

#: One valid call per Excel function: name -> the argument list as the dispatcher gets it.
GOOD_CALLS: dict[str, list] = {
    "SQ_SLOVIN": [_cell(70), _cell(0.05)],
    "SQ_SLOVIN_EXACT": [_cell(70), _cell(0.05)],
    "SQ_R_CRITICAL": [_cell(30), _cell(0.05)],
    "SQ_ITEM_STATS": [_ANSWERS, _row(["Q1", "Q2", "Q3"]), _cell(1), _cell(5)],
    "SQ_VALIDITY": [_ANSWERS, _cell(0.05), _cell("corrected"), _row(["Q1", "Q2", "Q3"]), _cell(1), _cell(5)],
    "SQ_ALPHA": [_ANSWERS, _cell("listwise"), _cell(1), _cell(5)],
    "SQ_ALPHA_TABLE": [_ANSWERS, _cell("listwise"), _cell(0.6), _row(["Q1", "Q2", "Q3"]), _cell(1), _cell(5)],
    "SQ_ALPHA_VERDICT": [_ANSWERS, _cell("listwise"), _cell(0.6), _cell(1), _cell(5)],
    "SQ_MSI": [_row([3, 4, 13, 6, 4]), _cell("standard"), _row([1, 2, 3, 4, 5])],
    "SQ_MSI_TRANSFORM": [_ANSWERS, _cell("standard"), _cell(False), _row(["Q1", "Q2", "Q3"]), _cell(1), _cell(5)],
    "SQ_GAP5": [_column(_PERCEPTION), _column(_EXPECTATION), _cell(1), _cell(5)],
    "SQ_GAP5_ITEMS": [_column(_PERCEPTION), _column(_EXPECTATION), _column(_DIMENSIONS), None, _cell(1), _cell(5)],
    "SQ_GAP5_DIMENSIONS": [_column(_PERCEPTION), _column(_EXPECTATION), _column(_DIMENSIONS), _cell(1), _cell(5)],
    "SQ_GAP1": [_column(_EXPECTATION), _column(_EXPECTATION[::-1]), _cell(1), _cell(5)],
    "SQ_GAP1_ITEMS": [_column(_EXPECTATION), _column(_EXPECTATION[::-1]), _column(_DIMENSIONS), None, _cell(1), _cell(5)],
    "SQ_GAP1_DIMENSIONS": [_column(_EXPECTATION), _column(_EXPECTATION[::-1]), _column(_DIMENSIONS), _cell(1), _cell(5)],
    "SQ_INTERNAL_GAPS": [_column([5, 5, 5, 5, 4]), _column([5, 4, 4, 5, 4]), _column([5, 4, 4, 5, 4]), None, _cell(1), _cell(5)],
    "SQ_INTERNAL_GAPS_ANSWERS": [
        [[5, 5, 4, 4, 5], [4, 5, 5, 4, 4], [5, 4, 5, 5, 4]],
        [[4, 4, 4, 5, 4], [5, 4, 4, 4, 5], [4, 5, 4, 4, 4]],
        [[5, 4, 4, 5, 4], [4, 4, 5, 5, 4], [5, 5, 4, 4, 4]],
        None,
        _cell(1),
        _cell(5),
    ],
    "SQ_WEIGHTED_SERVQUAL": [_column(_PERCEPTION), _column(_EXPECTATION), _column([20, 30, 15, 20, 15]), _column(_DIMENSIONS), None, _cell(1), _cell(5)],
    "SQ_WEIGHTED_SERVQUAL_TABLE": [_column(_PERCEPTION), _column(_EXPECTATION), _column([20, 30, 15, 20, 15]), _column(_DIMENSIONS), None, _cell(1), _cell(5)],
    "SQ_PRIORITY": [_column([-0.46, -0.4, -1.09, 0.1])],
    "SQ_CSI": [_column(_EXPECTATION), _column(_PERCEPTION), _cell(1), _cell(5)],
    "SQ_CSI_TABLE": [_column(_EXPECTATION), _column(_PERCEPTION), None, _cell(1), _cell(5)],
    "SQ_CSI_BAND": [_cell(79.55), _cell("en")],
    "SQ_IPA": [_column(_EXPECTATION), _column(_PERCEPTION), _cell(4.4), _cell(4.0), None, _cell(1), _cell(5)],
    "SQ_CONFORMITY": [_cell(4.67), _cell(3.58)],
    "SQ_REGRESSION": [_column(_Y), _X, _row(["trust", "image"])],
    "SQ_REGRESSION_SUMMARY": [_column(_Y), _X],
    "SQ_REGRESSION_ANOVA": [_column(_Y), _X],
    "SQ_SOBEL": [_cell(0.5), _cell(0.1), _cell(0.4), _cell(0.1), _cell("sobel")],
    "SQ_MEDIATION": [_cell(0.5), _cell(0.1), _cell(0.4), _cell(0.1)],
    "SQ_SOBEL_REGRESSIONS": [
        [["Model", "B", "Std. Error", "Beta", "t", "Sig."], ["(Constant)", 1.2, 0.4, None, 3.0, 0.01], ["X", 0.5, 0.1, 0.45, 5.0, 0.001]],
        [["Model", "B", "Std. Error", "Beta", "t", "Sig."], ["(Constant)", 0.3, 0.2, None, 1.5, 0.15], ["X", 0.2, 0.1, 0.2, 2.0, 0.05], ["M", 0.4, 0.1, 0.4, 4.0, 0.001]],
        _cell("X"),
        _cell("M"),
        _cell("sobel"),
    ],
    "ROQ_REPURCHASE_RATE": [_cell(13), _cell(18), _cell(4)],
    "ROQ_RETENTION": [_cell(0.4881), _cell(0.0952), _cell(0.1548), _cell(0.5119), _cell(0.6904), _cell("satisfied_only")],
    "ROQ_CHURN": [_cell(8), _cell(84)],
    "ROQ_ATTRACTION": [_cell(850), _cell(5762), _cell(3497), _cell(0.095)],
    "ROQ_COMPETITOR_RETENTION": [_cell(452), _cell(0.0139), _cell(250760), _cell(0.095)],
    "ROQ_MARKET_GROWTH": [_cell(286859), _cell(250760)],
    "ROQ_SHARE_PATH": [_cell(0.0139), _cell(0.3461), _cell(0.9031), _cell(0.095), _cell(0.0306), _row([286859, 309244, 334210, 356219, 381404]), _cell(250760)],
    "ROQ_NPV": [_cell(250000), _row([0.0598, 0.078, 0.0807, 0.0659, 0.0707]), _row([286859, 309244, 334210, 356219, 381404]), _cell(0.2)],
    "ROQ_NPV0": [_cell(250000), _cell(0.0302), _row([286859, 309244, 334210, 356219, 381404]), _cell(0.2)],
    "ROQ_NPV_PROGRAMME": [_cell(558000000), _cell(699000000), _cell(0.2), _cell(5)],
    "ROQ_VALUE": [_cell(9.9e9), _cell(0.03e9), _cell(2.648e9), _cell("gross")],
    "ROQ_MODEL": [_PARAMETERS, _row(["roq", "npv_net"])],
    "ROQ_MODEL_PATHS": [_PARAMETERS],
    "ROQ_BREAKEVEN_RATE": [_PARAMETERS],
    "ROQ_BREAKEVEN_COST": [_PARAMETERS],
    "ROQ_BREAKEVEN": [_PARAMETERS, _cell("margin")],
    "ROQ_RATE_CURVE": [_PARAMETERS, _column([0, 0.2, 0.4])],
    "ROQ_SWEEP": [_PARAMETERS, _cell("margin"), _cell(100000), _cell(300000), _cell(5), _cell("roq")],
    "ROQ_MODEL_INPUTS": [],
    "ROQ_CASESTUDY_PARAMETERS": [],
    "ROQ_SIMULATE": [SCENARIO_ROWS, _cell(256), _cell(7), _cell("random")],
    "ROQ_SHARE_FAN": [SCENARIO_ROWS, _cell(256), _cell(7), _cell("random")],
    "ROQ_SENSITIVITY": [SCENARIO_ROWS, _cell("morris"), _cell(8), _cell(3), _cell("roq")],
    "ROQ_TORNADO": [SCENARIO_ROWS, _cell("roq")],
    "ROQ_SCENARIO_TEMPLATE": [],
    "ROQ_SURVEY_RETENTION": [[[4, 10, 21], [20, 17, 4], [6, 2, 0]], _cell("satisfied_or_delighted"), _cell(0.95)],
    "ROQ_SHIFTED_MIX": [_cell(0.4167), _cell(0.0952), _cell(0.5), _cell(0.42), _cell(0.7)],
    "ROQ_CHAIN_TEMPLATE": [],
    "ROQ_REC_OUTCOMES": [POLICY_ROWS, _cell("segment")],
    "ROQ_REC_RETENTION": [POLICY_ROWS, _cell("segment")],
    "ROQ_REC_SURVIVAL": [POLICY_ROWS, None],
    "ROQ_REC_DRIVERS": [POLICY_ROWS, _row(["trust", "effort"])],
    "ROQ_REC_DRIVERS_FIT": [POLICY_ROWS, _row(["trust", "effort"])],
    "ROQ_REC_MARGINAL_EFFECTS": [POLICY_ROWS, _row(["trust", "effort"])],
    "ROQ_CLV": [_cell(1000), _cell(0.8), _cell(0.1), _cell(5)],
    "ROQ_REC_CUSTOMER_VALUE": [POLICY_ROWS, _cell(0.1), _cell(0.2), _cell(0.85), _cell(0.05)],
    "ROQ_REC_HVC": [POLICY_ROWS, _cell(3), _cell(1), _cell(0.8), _cell("moderate")],
    "ROQ_REC_MODEL_INPUTS": [POLICY_ROWS, _cell(0.01), None],
    "ROQ_REC_RATE": [POLICY_ROWS, _cell("customer_retention")],
    "ROQ_OPTIMAL_SPEND": [CHAIN_ROWS, _cell(5e8), _row([0.5, 0.74, 1.0]), _row([2e7, 4e7, 8e7]), _cell(100)],
    "ROQ_PORTFOLIO": [
        CHAIN_ROWS,
        [["programme", "initial_cost", "annual_cost", "dimension", "effect_min", "effect_mode", "effect_max"],
         ["Customer database", 33e6, 12e6, "responsiveness", 0.05, 0.15, 0.25],
         ["Agent database", 25e6, 12e6, "reliability", 0.02, 0.08, 0.15]],
        _cell(2e8),
        _cell("expected_npv_net"),
        _cell(100),
    ],
}


def _sem_good_calls() -> dict:
    """Valid calls of the SEM and regression-diagnostics functions: the loyalty-drivers example (Assagaff 2014's model)."""
    from simulator import survey

    data = survey.simulate_loyalty_survey(120, seed=4)
    answers = [list(data.columns)] + [[float(v) for v in row] for row in data.to_numpy()]
    model = [[line] for line in survey.LOYALTY_MODEL.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    calls = {name: [answers, model] for name in (
        "SQ_SEM_FIT", "SQ_SEM_ESTIMATES", "SQ_SEM_EFFECTS", "SQ_SEM_SOBEL", "SQ_SEM_RELIABILITY", "SQ_SEM_HTMT",
        "SQ_SEM_NORMALITY", "SQ_SEM_MAHALANOBIS", "SQ_SEM_MODIFICATION")}
    calls["SQ_REGRESSION_ASSUMPTIONS"] = [_column(_Y), _X]
    calls["SQ_REGRESSION_VIF"] = [_column(_Y), _X]
    return calls


GOOD_CALLS.update(_sem_good_calls())
