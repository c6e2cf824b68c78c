"""Workbook: from survey to money - retention from the survey, the programme's effect, ROQ, uncertainty, how much to spend, which programmes.

The chain of Rust, Zahorik & Keiningham on Singgih's Return-on-Quality case of an insurer:
the Survey sheet holds a satisfaction x repurchase crosstab (an example with Singgih's
group sizes; the paper's own joint crosstab is garbled), ROQ_SURVEY_RETENTION turns it
into retention with its interval; the Programme sheet shifts the satisfaction mix through a
driver model (ROQ_SHIFTED_MIX) and prices it with ROQ_MODEL; the Uncertainty sheet runs the
same chain as a scenario table (survey.counts linked to the Survey sheet) through
ROQ_SIMULATE and ROQ_OPTIMAL_SPEND; the Programmes sheet chooses among Singgih's seven
programmes under a budget with ROQ_PORTFOLIO.
"""

from __future__ import annotations

import tomllib
from importlib import resources

from simulator.roq.portfolio import PROGRAMME_COLUMNS, SINGGIH_EXAMPLE_DRIVERS

from ._common import LEGEND, SheetWriter, Styles, about_sheet, area, cell

__all__ = ["FILE_STEM", "TITLE", "build", "EXAMPLE_COUNTS"]

FILE_STEM = "survey-to-roq"
TITLE = "From survey to money: retention, programme effect, ROQ, spend and programmes"
SOURCE = ("Rust, Zahorik & Keiningham's Return-on-Quality chain on Singgih's case study of an insurer (ITS Surabaya): survey -> "
          "satisfaction mix -> retention -> market share -> NPV -> ROQ, with the survey's sampling uncertainty.")
#: Example crosstab: Singgih's group sizes (35 dissatisfied, 41 satisfied, 8 delighted of 84), answers made up.
EXAMPLE_COUNTS = [[4, 10, 21], [20, 17, 4], [6, 2, 0]]
GROUPS = ("dissatisfied", "satisfied", "delighted")
ANSWERS = ("yes", "unsure", "no")
#: Scenarios per Monte Carlo / spending / portfolio call (Excel caps them; small for a short recalculation).
SIMULATION_SAMPLES, CHAIN_SAMPLES = 4096, 2000
SINGGIH_PROGRAMMES = [
    ("Training and education of production agents", 150e6, 300e6, "assurance", 0.10, 0.25, 0.40),
    ("Recruitment / re-engineering of agent staff", 200e6, 100e6, "responsiveness", 0.05, 0.15, 0.30),
    ("Recruitment / re-engineering of supervisors", 150e6, 100e6, "reliability", 0.05, 0.15, 0.25),
    ("Field coaching of agents", 125e6, 100e6, "empathy", 0.05, 0.20, 0.35),
    ("Field coaching of supervisors", 100e6, 75e6, "reliability", 0.05, 0.10, 0.20),
    ("Customer database", 33e6, 12e6, "responsiveness", 0.05, 0.15, 0.25),
    ("Agent database", 25e6, 12e6, "reliability", 0.02, 0.08, 0.15),
]


def _scenario_rows() -> list[list]:
    """The survey-chain scenario as key/value rows, with the example crosstab as its survey."""
    from simulator.uncertainty import scenario_from_dict

    text = (resources.files("simulator") / "data" / "survey_chain_scenario.toml").read_text()
    data = tomllib.loads(text)
    data["survey"] = {"counts": EXAMPLE_COUNTS}
    rows = scenario_from_dict(data, source="survey-to-roq").to_rows()
    return [[c for c in r if c is not None] for r in rows[1:]]  # without the header row


def _call(module: str, function: str, *arguments):
    import importlib

    return getattr(importlib.import_module(f"addin.{module}"), function)(*arguments)


def _shape(result) -> tuple[int, int]:
    return len(result), max(len(r) for r in result)


def build(workbook, styles: Styles, runtime) -> dict:
    legend = [entry for entry in LEGEND if entry[0] != "published"]

    def new_sheet(name, **kwargs):
        return SheetWriter(workbook, styles, runtime, name, legend=legend, **kwargs)

    about = new_sheet("About", tab_color="#1F4E79")
    survey = new_sheet("Survey", tab_color="#FFC000")
    programme = new_sheet("Programme")
    uncertainty = new_sheet("Uncertainty")
    results = new_sheet("Monte Carlo")
    programmes = new_sheet("Programmes")
    counts_cells, mix = _survey(survey)
    _programme(programme, mix)
    scenario_range = _uncertainty(uncertainty, counts_cells)
    _monte_carlo(results, scenario_range)
    _programmes(programmes, scenario_range)
    about_sheet(
        about,
        TITLE,
        SOURCE,
        [
            "Survey: respondents by satisfaction group (rows) and repurchase intention (columns); type your own counts. The example has Singgih's "
            "group sizes (35 dissatisfied, 41 satisfied, 8 delighted of 84) with made-up answers: the paper's joint crosstab is garbled. "
            "ROQ_SURVEY_RETENTION gives retention with its 95% interval (Dirichlet-multinomial posterior).",
            "Programme: the programme closes some points of a service-quality gap; the driver model (B of that dimension in the regression of "
            "overall satisfaction, and the sd of satisfaction) shifts the mix (ROQ_SHIFTED_MIX), which gives retention with the programme and, "
            "through ROQ_MODEL, the NPV gain and ROQ. The effect and the driver are assumptions to replace with your own.",
            "Uncertainty: the same chain as a scenario table (its survey.counts rows read the Survey sheet): ROQ_SIMULATE draws the survey's "
            "sampling error with the market inputs; ROQ_OPTIMAL_SPEND finds the annual spend that maximises the expected net NPV gain.",
            "Programmes: Singgih's seven programmes (costs from the paper's Table 10; dimensions and effects assumed) and a budget; ROQ_PORTFOLIO "
            "ranks them by their own ROQ and chooses the best set within the budget.",
        ],
        [survey, programme, uncertainty, results, programmes],
    )
    return {}


def _survey(sheet: SheetWriter):
    row = sheet.title("Survey: satisfaction x repurchase intention", "Type the respondent counts (yellow); the add-in (green) computes retention.")
    sheet.widths(30, 14, 14, 14, 14, 50)
    row = sheet.section(row, "Respondents by satisfaction group and repurchase answer", width=6)
    sheet.headers(row, 0, ["Satisfaction group", *ANSWERS, "total"])
    first = row + 1
    for i, group in enumerate(GROUPS):
        sheet.label(first + i, 0, group)
        for j in range(3):
            sheet.input(first + i, 1 + j, EXAMPLE_COUNTS[i][j], "count")
        sheet.excel(first + i, 4, f"SUM({area(first + i, 1, first + i, 3, absolute_ref=False)})", "count")
    sheet.note(first, 5, "Example answers with Singgih's group sizes; type your survey's counts.", italic=True)
    counts = area(first, 1, first + 2, 3)
    row = first + 4
    row = sheet.section(row, "Retention from the survey, with its 95% interval", width=6)
    result = _call("chain_functions", "ROQ_SURVEY_RETENTION", EXAMPLE_COUNTS)
    last_row, _ = sheet.spill(row, 0, "ROQ_SURVEY_RETENTION", counts, shape=_shape(result), kinds=["text", "pct", "pct", "pct", "pct"])
    # rows of the spilled table: retention, dissatisfied, satisfied, delighted shares, then the three rates
    mix = {name: sheet.ref(row + offset, 1, qualified=True) for offset, name in enumerate(
        ["retention", "dissatisfied_share", "satisfied_share", "delighted_share", "repurchase_dissatisfied", "repurchase_satisfied", "repurchase_delighted"], start=1)}
    sheet.note(last_row + 1, 0, "Shares and repurchase rates are fractions shown as %; retention = (1 - S) r1 + S r2 + D (r3 - r2), S = satisfied + delighted "
               "(Rust, Zahorik & Keiningham).", italic=True, last_column=5)
    sheet.finish(freeze_row=3)
    return [[cell(first + i, 1 + j, absolute_ref=True, sheet="Survey") for j in range(3)] for i in range(3)], mix


def _programme(sheet: SheetWriter, mix: dict) -> None:
    row = sheet.title("The programme's effect and its Return on Quality", "Assumptions in yellow; the add-in (green) shifts the mix and prices it.")
    sheet.widths(40, 18, 16, 60)
    row = sheet.section(row, "Driver model (assumed: replace with your regression and your estimate of the gap closed)", width=4)
    inputs = {}
    for name, label, value, kind, note in [
        ("gap_closed", "Gap points the programme closes", 0.5, "score", "Points of the reliability gap (survey scale) the programme closes."),
        ("driver_coefficient", "Driver coefficient B", 0.45, "score3", "B of reliability in the regression of overall satisfaction (SQ_REGRESSION)."),
        ("satisfaction_sd", "Standard deviation of satisfaction", 0.6, "score3", "Of overall satisfaction on the same scale."),
    ]:
        sheet.label(row, 0, label)
        inputs[name] = sheet.input(row, 1, value, kind)
        sheet.note(row, 3, note, italic=True)
        row += 1
    row += 1
    row = sheet.section(row, "Satisfaction mix after the programme", width=4)
    result = _call("chain_functions", "ROQ_SHIFTED_MIX", 35 / 84, 8 / 84, 0.5, 0.45, 0.6)
    first = row
    sheet.spill(row, 0, "ROQ_SHIFTED_MIX", mix["dissatisfied_share"], mix["delighted_share"], inputs["gap_closed"], inputs["driver_coefficient"],
                inputs["satisfaction_sd"], shape=_shape(result), kinds=["text", "pct"], row_kinds={(4, 1): "score3"})
    row = first + len(result) + 1
    row = sheet.section(row, "Retention and Return on Quality", width=4)
    sheet.label(row, 0, "Retention without the programme")
    baseline = sheet.excel(row, 1, mix["retention"], "pct")
    row += 1
    sheet.label(row, 0, "Retention with the programme")
    with_programme = sheet.addin(row, 1, "ROQ_RETENTION", sheet.ref(first + 2, 1), sheet.ref(first + 3, 1), mix["repurchase_dissatisfied"],
                                 mix["repurchase_satisfied"], mix["repurchase_delighted"], kind="pct")
    row += 2
    row = sheet.section(row, "ROQ model inputs (Singgih's market, margin, costs; retention from above)", width=4)
    table_first = row
    values = [
        ("horizon", 5, "count"), ("market_size", 250760, "int"), ("market_growth", 0.07, "pct"), ("churn", 0.095, "pct"),
        ("competitor_switching", 0.0019, "pct"), ("attraction", 0.0306, "pct"), ("initial_share", 0.0707, "pct"),
        ("retention", None, "pct"), ("baseline_retention", None, "pct"), ("margin", 250000, "money"), ("discount_rate", 0.20, "pct"),
        ("initial_cost", 558e6, "money"), ("annual_cost", 699e6, "money"),
    ]
    python_table = []
    for name, value, kind in values:
        sheet.label(row, 0, name)
        if name == "retention":
            sheet.excel(row, 1, with_programme, kind)
            python_table.append([name, 0.45])
        elif name == "baseline_retention":
            sheet.excel(row, 1, baseline, kind)
            python_table.append([name, 0.4])
        else:
            sheet.input(row, 1, value, kind)
            python_table.append([name, value])
        row += 1
    table = area(table_first, 0, row - 1, 1)
    row += 1
    row = sheet.section(row, "Return on Quality of the programme (ROQ_MODEL)", width=4)
    result = _call("roq_functions", "ROQ_MODEL", python_table)
    kinds = {"npv": "money", "roq": "ratio4", "share": "pct", "retention": "pct"}
    row_kinds = {}
    for offset, line in enumerate(result[1:], start=1):
        name = str(line[0])
        kind = next((k for key, k in kinds.items() if key in name), "general")
        row_kinds[(offset, 1)] = kind
    sheet.spill(row, 0, "ROQ_MODEL", table, shape=_shape(result), kinds=["text", "general", "text"], row_kinds=row_kinds)
    sheet.finish(freeze_row=3)


def _uncertainty(sheet: SheetWriter, counts_cells) -> str:
    row = sheet.title("The chain with its uncertainty: the scenario table",
                      "The survey-chain scenario (yellow, edit it); its survey.counts rows read the Survey sheet. Results: the Monte Carlo sheet.")
    sheet.widths(38, 14, 14, 14, 14)
    row = sheet.section(row, "Scenario table (keys as in a scenario file)", width=8)
    first = row
    rows = _scenario_rows()
    count_row = 0
    for line in rows:
        key = str(line[0])
        sheet.label(row, 0, key)
        if key == "survey.counts":
            for j, reference in enumerate(counts_cells[count_row]):
                sheet.excel(row, 1 + j, reference, "count")
            count_row += 1
        else:
            for j, value in enumerate(line[1:]):
                if isinstance(value, bool):
                    value = str(value).lower()
                sheet.input(row, 1 + j, value, "general")
        row += 1
    sheet.finish(freeze_row=3)
    return area(first, 0, row - 1, 4, sheet="Uncertainty")


def _monte_carlo(sheet: SheetWriter, scenario: str) -> None:
    row = sheet.title("Monte Carlo of the chain and the best spend", "Computed from the scenario table on the Uncertainty sheet.")
    sheet.widths(36, *([14] * 19))
    python_rows = [list(line) + [None] * (5 - len(line)) for line in _scenario_rows()]
    row = sheet.section(row, f"Monte Carlo of the chain ({SIMULATION_SAMPLES:,} scenarios)", width=8)
    result = _call("simulation_functions", "ROQ_SIMULATE", python_rows, SIMULATION_SAMPLES)
    row_kinds = {}
    for offset, line in enumerate(result[1:], start=1):
        kind = "money" if str(line[0]).startswith("npv") else ("pct" if "retention" in str(line[0]) else "ratio4")
        for column in range(2, len(result[0])):
            row_kinds[(offset, column)] = kind
        for column, header in enumerate(result[0]):
            if str(header).lower() in ("count",):
                row_kinds[(offset, column)] = "int"
            if str(header).lower().startswith("p_above") or str(header).lower() == "threshold":
                row_kinds[(offset, column)] = "ratio4"
    last_row, _ = sheet.spill(row, 0, "ROQ_SIMULATE", scenario, SIMULATION_SAMPLES, shape=_shape(result),
                              kinds=["text"] + ["general"] * (len(result[0]) - 1), row_kinds=row_kinds)
    row = last_row + 2
    row = sheet.section(row, f"How much to spend: saturating response, {CHAIN_SAMPLES:,} scenarios", width=8)
    sheet.label(row, 0, "Largest annual spend")
    spend_max = sheet.input(row, 1, 5e8, "money")
    row += 1
    sheet.label(row, 0, "Max gap points closed (min, mode, max)")
    for j, v in enumerate((0.5, 0.74, 1.0)):
        sheet.input(row, 1 + j, v, "score")
    max_effect = area(row, 1, row, 3)
    row += 1
    sheet.label(row, 0, "Spend buying half of it (min, mode, max)")
    for j, v in enumerate((2e7, 4e7, 8e7)):
        sheet.input(row, 1 + j, v, "money")
    half_spend = area(row, 1, row, 3)
    row += 2
    result = _call("chain_functions", "ROQ_OPTIMAL_SPEND", python_rows, 5e8, [[0.5, 0.74, 1.0]], [[2e7, 4e7, 8e7]], CHAIN_SAMPLES)
    row_kinds = {(1, 1): "money", (2, 1): "money", (3, 1): "ratio4", (4, 1): "pct", (5, 1): "money", (6, 1): "money", (7, 1): "money"}
    sheet.spill(row, 0, "ROQ_OPTIMAL_SPEND", scenario, spend_max, max_effect, half_spend, CHAIN_SAMPLES, shape=_shape(result),
                kinds=["text", "general"], row_kinds=row_kinds)
    sheet.finish(freeze_row=3)


def _programmes(sheet: SheetWriter, scenario: str) -> None:
    row = sheet.title("Which programmes: Singgih's seven under a budget", "Costs from the paper's Table 10; dimensions and effects are assumptions (yellow).")
    sheet.widths(44, 14, 14, 16, 11, 11, 11, 16, 17)
    row = sheet.section(row, "Programmes (effects: gap points closed, triangular min / mode / max)", width=9)
    sheet.headers(row, 0, list(PROGRAMME_COLUMNS))
    first = row
    row += 1
    python_rows = [list(PROGRAMME_COLUMNS)]
    gaps, drivers = SINGGIH_EXAMPLE_DRIVERS["gaps"], SINGGIH_EXAMPLE_DRIVERS["driver_coefficients"]
    for name, initial, annual, dimension, low, mode, high in SINGGIH_PROGRAMMES:
        values = [name, initial, annual, dimension, low, mode, high, gaps[dimension], drivers[dimension]]
        for j, (value, kind) in enumerate(zip(values, ["text", "money", "money", "text", "score", "score", "score", "score", "score3"])):
            sheet.input(row, j, value, kind)
        python_rows.append(values)
        row += 1
    table = area(first, 0, row - 1, len(PROGRAMME_COLUMNS) - 1)
    row += 1
    sheet.label(row, 0, "Budget (present value of programme cost)")
    budget = sheet.input(row, 1, 5e8, "money")
    row += 2
    row = sheet.section(row, f"Ranking by own ROQ and the chosen set ({CHAIN_SAMPLES:,} scenarios)", width=9)
    scenario_rows = [list(line) + [None] * (5 - len(line)) for line in _scenario_rows()]
    result = _call("chain_functions", "ROQ_PORTFOLIO", scenario_rows, python_rows, 5e8, None, CHAIN_SAMPLES)
    sheet.spill(row, 0, "ROQ_PORTFOLIO", scenario, table, budget, "", CHAIN_SAMPLES, shape=_shape(result),
                kinds=["text", "general", "money", "ratio", "pct"], row_kinds={(len(result) - 1, 1): "count", (len(result) - 1, 3): "money"})
    sheet.note(row + len(result), 0, "Last row: the chosen set - number of programmes, present cost, expected net NPV gain (NPV - NPV0 - cost) and P(ROQ > 1).",
               italic=True, last_column=8)
    sheet.finish(freeze_row=3)
