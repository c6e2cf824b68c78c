"""The ROQ_ Excel functions, called exactly as Excel calls them (xlwings' server dispatcher).

Seed 001 (Rust, Zahorik & Keiningham's ROQ applied to an Indonesian life insurer):
retention 34.61%, competitors' retention 0.9031, NPVAS 2,648,437,886, ROQ 3.72.
"""

from __future__ import annotations

import math

import pytest
from excel_dispatch import BLANK, call, column, row, scalar

from simulator import roq
from simulator.errors import RoqInputError
from simulator.roq.casestudy import PUBLISHED, case_study_parameters

SIZES = [250760, 286859, 309244, 334210, 356219, 381404]  # N_0..N_5
SHARE_PATH = [0.0598, 0.078, 0.0807, 0.0659, 0.0707]  # the paper's share path with the programme


def case_table():
    """Seed 001's parameter table as the cells ROQ_CASESTUDY_PARAMETERS spills."""
    return call("ROQ_CASESTUDY_PARAMETERS")


def message_of(func_name, *args) -> str:
    with pytest.raises(RoqInputError) as caught:
        call(func_name, *args)
    text = str(caught.value)
    assert "\n" not in text and "Traceback" not in text
    return text


# --------------------------------------------------------------------------- calibration


def test_repurchase_rate_scores_yes_full_and_unsure_half():
    assert scalar("ROQ_REPURCHASE_RATE", 13, 18, 4) == pytest.approx((13 + 9) / 35)
    assert message_of("ROQ_REPURCHASE_RATE", 0, 0, 0) == "yes, unsure, no: a group has no answers (all counts are zero)"
    assert message_of("ROQ_REPURCHASE_RATE", -1, 18, 4).startswith("yes: must be >= 0")


def test_retention_reproduces_seed_001_with_its_convention():
    p = PUBLISHED
    args = (p["satisfied_share"], p["delighted_share"], p["repurchase_dissatisfied"], p["repurchase_satisfied"], p["repurchase_delighted"])
    assert round(scalar("ROQ_RETENTION", *args, "satisfied_only"), 4) == 0.3461
    # the default is RZK's definition (S = satisfied + delighted), 38.01%
    assert round(scalar("ROQ_RETENTION", *args), 4) == 0.3801
    assert scalar("ROQ_RETENTION", *args, BLANK) == scalar("ROQ_RETENTION", *args)  # blank optional = default
    # users may type the convention with spaces
    assert scalar("ROQ_RETENTION", *args, "Satisfied only") == scalar("ROQ_RETENTION", *args, "satisfied_only")


def test_retention_rejects_impossible_shares_and_unknown_convention():
    assert message_of("ROQ_RETENTION", 1.5, 0.0952, 0.1548, 0.5119, 0.6904) == (
        "satisfied_share: 1.5 is not a share 0..1; shares are fractions: did you mean 1.5% (0.015)?"
    )
    assert message_of("ROQ_RETENTION", 0.7, 0.5, 0.1548, 0.5119, 0.6904) == (
        "satisfied_share, delighted_share: add up to more than 1 (100% of customers)"
    )
    assert message_of("ROQ_RETENTION", 0.4881, 0.0952, 0.1548, 0.5119, 0.6904, "both").startswith(
        "convention: must be one of satisfied_or_delighted, satisfied_only"
    )
    assert message_of("ROQ_RETENTION", "high", 0.0952, 0.1548, 0.5119, 0.6904) == "satisfied_share: must be numeric, found text 'high' in the cell"


def test_churn_attraction_competitor_retention_growth_as_published():
    assert round(scalar("ROQ_CHURN", 8, 84), 3) == PUBLISHED["churn"]
    # the paper prints 3.06% but its own inputs give 32.7% (methods.md, misprints)
    assert round(scalar("ROQ_ATTRACTION", 850, 5762, 3497, 0.095), 4) == 0.3273
    competitor = scalar("ROQ_COMPETITOR_RETENTION", 452, 0.0139, 250760, 0.095)
    assert math.floor(competitor * 1e4) / 1e4 == PUBLISHED["competitor_retention"]  # the paper truncates 0.90317
    growth = scalar("ROQ_MARKET_GROWTH", 286859, 250760)
    assert math.floor(growth * 1e4) / 1e4 == PUBLISHED["market_growth"]  # 14.3958% printed as 14.39%


def test_calibration_functions_reject_impossible_input():
    assert message_of("ROQ_CHURN", 90, 84) == "customers_leaving: exceeds customers_total"
    assert message_of("ROQ_ATTRACTION", 850, 5762, 3497, 1.2) == "churn: 1.2 is not a share 0..1; shares are fractions: did you mean 1.2% (0.012)?"
    assert message_of("ROQ_COMPETITOR_RETENTION", 452, 1.0, 250760, 0.095) == "previous_share: competitors have no customers (share is 100%)"
    assert message_of("ROQ_MARKET_GROWTH", 0, 250760) == "market_size: must be > 0.0, got 0"
    # a range where one cell is expected
    assert message_of("ROQ_CHURN", column([8, 9]), 84) == "customers_leaving: must be a single cell, got a range of 2 cells"


def test_share_path_one_step_forecast_as_published():
    # market sizes are N_1..N_T, as ROQ_NPV takes them; N_0 is the last argument
    result = call("ROQ_SHARE_PATH", 0.0707, 0.3461, 0.9031, 0.095, 0.0306, column([1.14]), 1.0)
    assert result[0] == ["Year", "Market share (fraction)"]
    assert result[1][0] == 1 and round(result[1][1], 4) == PUBLISHED["next_market_share"]
    five_years = call("ROQ_SHARE_PATH", 0.0139, 0.3461, 0.9031, 0.095, 0.0306, row(SIZES[1:]), SIZES[0])
    assert [r[0] for r in five_years[1:]] == [1, 2, 3, 4, 5]
    expected = roq.market_share_path(0.0139, 0.3461, 0.9031, 0.095, 0.0306, SIZES)
    assert [r[1] for r in five_years[1:]] == pytest.approx(list(expected))


def test_share_path_blank_market_size_is_missing_not_zero():
    assert message_of("ROQ_SHARE_PATH", 0.0139, 0.3461, 0.9031, 0.095, 0.0306, column([286859, BLANK, 309244]), 250760) == (
        "market_sizes: has a missing value at position (2)"
    )
    assert message_of("ROQ_SHARE_PATH", 0.0139, 0.95, 0.9031, 0.095, 0.0306, row(SIZES[1:]), SIZES[0]) == (
        "retention: must not exceed 1 - churn (the firm cannot keep customers who left the market)"
    )


# --------------------------------------------------------------------------- money


def test_npv_and_npv0_of_seed_001():
    npv = scalar("ROQ_NPV", 250000, column(SHARE_PATH), column(SIZES[1:]), 0.20)
    npv0 = scalar("ROQ_NPV0", 250000, 0.0302, column(SIZES[1:]), 0.20)
    # recomputing the paper's table gives 17,202,868,148 (it printed 17,202,364,737) and 7,340,683,309
    assert round(npv) == 17_202_868_148
    assert round(npv0) == 7_340_683_309
    assert npv0 == scalar("ROQ_NPV0", 250000, column([0.0302] * 5), column(SIZES[1:]), 0.20)


def test_npv_rejects_text_blank_and_mismatched_years():
    assert message_of("ROQ_NPV", 250000, column([0.0598, "n/a", 0.0807]), column(SIZES[1:4]), 0.2) == (
        "market_shares: must be numeric, found text 'n/a' in row 2 of the range"
    )
    assert message_of("ROQ_NPV", 250000, column([0.0598, BLANK, 0.0807]), column(SIZES[1:4]), 0.2) == (
        "market_shares: has a missing value at position (2)"
    )
    assert message_of("ROQ_NPV", 250000, column(SHARE_PATH), column(SIZES[1:4]), 0.2) == (
        "market_shares: needs one share per year of market_sizes (3 years)"
    )
    assert message_of("ROQ_NPV0", 250000, 0.0302, column(SIZES[1:]), -1.5) == "discount_rate: must be > -1 (fraction per year), got -1.5"


def test_npv_programme_and_roq_value_of_seed_001():
    npvas = scalar("ROQ_NPV_PROGRAMME", 558e6, 699e6, 0.20, 5)
    assert round(npvas) == 2_648_437_886
    value = scalar("ROQ_VALUE", PUBLISHED["npv_with_programme"], PUBLISHED["npv_without_programme"], npvas)
    assert round(value, 2) == PUBLISHED["roq"]
    assert scalar("ROQ_VALUE", 3e9, 1e9, 1e9, "net") == pytest.approx(1.0)
    assert message_of("ROQ_NPV_PROGRAMME", 558e6, 699e6, 0.20, 2.5) == "horizon: must be a whole number of years, got 2.5"
    assert message_of("ROQ_VALUE", 3e9, 1e9, 0) == "npv_programme_cost: must be > 0 (ROQ divides by programme spending)"
    assert message_of("ROQ_VALUE", 3e9, 1e9, 1e9, "tax").startswith("convention: must be one of gross, net")


# --------------------------------------------------------------------------- the whole model


def test_casestudy_parameters_round_trip_through_roq_model():
    table = case_table()
    assert table[0][:2] == ["Input", "Value (year 1)"]
    names = [r[0] for r in table[1:]]
    assert names == list(case_study_parameters())
    result = call("ROQ_MODEL", table)
    assert result[0] == ["Output", "Value", "Description"]
    values = {r[0]: r[1] for r in result[1:]}
    assert list(values) == list(roq.DEFAULT_OUTPUTS)
    assert round(values["roq"], 2) == PUBLISHED["roq"]
    assert round(values["npv_programme_cost"]) == 2_648_437_886
    assert values == pytest.approx(roq.evaluate(case_study_parameters()))


def test_roq_model_outputs_and_typed_parameter_names():
    # names as an analyst types them ("Discount rate") and a hand-made table without header
    table = [[r[0].replace("_", " ").capitalize(), *r[1:]] for r in case_table()[1:]]
    result = call("ROQ_MODEL", table, row(["roq", "npv_net", BLANK]))
    assert [r[0] for r in result[1:]] == ["roq", "npv_net"]
    assert message_of("ROQ_MODEL", table, row(["market_share_path"])) == (
        "outputs: market_share_path is a per-year path; use ROQ_MODEL_PATHS for paths"
    )


def test_roq_model_parameter_table_errors_name_the_row():
    table = case_table()
    typo = [r[:] for r in table]
    typo[7][0] = "discount rte"
    assert message_of("ROQ_MODEL", typo).startswith("parameters: row 8: 'discount rte' is not a model input (did you mean 'discount_rate'?)")
    hole = [r[:] for r in table]
    hole[4][3] = BLANK  # a blank inside the market_share_path row
    assert message_of("ROQ_MODEL", hole) == "parameters: row 5 (market_share_path) has a blank cell between values"
    text_value = [r[:] for r in table]
    text_value[7][1] = "20 percent"
    assert message_of("ROQ_MODEL", text_value) == "parameters: must be numeric, found text '20 percent' in row 8, column 2 of the range"
    convention = [r[:] for r in table] + [["satisfied_share_convention", "satisfied only"]]
    assert call("ROQ_MODEL", convention) == call("ROQ_MODEL", table)  # text input, accepted (unused by a share path)
    impossible = [r[:] for r in table]
    impossible[7][1] = -2
    assert message_of("ROQ_MODEL", impossible) == "discount_rate: must be > -1 (fraction per year), got -2"


def test_roq_model_paths_spills_one_row_per_year():
    result = call("ROQ_MODEL_PATHS", case_table())
    assert result[0] == ["Year", "Market size (customers)", "Market share (fraction)", "Market share without programme (fraction)"]
    assert [r[0] for r in result[1:]] == [1, 2, 3, 4, 5]
    assert [r[1] for r in result[1:]] == SIZES[1:]
    assert [r[2] for r in result[1:]] == pytest.approx(SHARE_PATH)
    assert {r[3] for r in result[1:]} == {0.0302}


def test_breakevens_of_seed_001():
    table = case_table()
    rate = scalar("ROQ_BREAKEVEN_RATE", table)
    assert rate == pytest.approx(roq.breakeven_discount_rate(case_study_parameters()))
    assert rate > 0.6  # the paper: ROQ > 1 at every rate up to 40% and beyond
    cost = call("ROQ_BREAKEVEN_COST", table)
    assert [r[0] for r in cost] == ["Break-even", "cost_multiplier", "initial_cost", "annual_cost"]
    assert round(cost[1][1], 2) == PUBLISHED["roq"]
    # a programme that never pays has no break-even rate: a message, not a silent blank
    no_gain = [r[:] for r in table if r[0] != "market_share_path"] + [["market_share_path", 0.0302, 0.0302, 0.0302, 0.0302, 0.0302]]
    assert message_of("ROQ_BREAKEVEN_RATE", no_gain).startswith("parameters: no break-even discount rate")


def test_rate_curve_matches_the_papers_sensitivity_chart():
    result = call("ROQ_RATE_CURVE", case_table(), column([0, 0.2, 0.4]))
    assert result[0] == ["Discount rate (fraction per year)", "ROQ (ratio)"]
    assert [round(r[1], 2) for r in result[1:]] == [4.21, 3.72, 3.27]
    assert message_of("ROQ_RATE_CURVE", case_table(), column([0.1, "ten"])) == (
        "discount_rates: must be numeric, found text 'ten' in row 2 of the range"
    )


def test_model_inputs_lists_every_input():
    result = call("ROQ_MODEL_INPUTS")
    assert result[0] == ["Input", "Unit", "Description", "Per year"]
    assert [r[0] for r in result[1:]] == [*roq.MODEL_INPUTS, "satisfied_share_convention"]


# --------------------------------------------------------------------------- sweep and break-even of any input


def test_sweep_of_any_input_equals_the_engine():
    table = case_table()
    result = call("ROQ_SWEEP", table, "margin", 100000, 300000, 5)
    assert result[0] == ["margin (currency per customer per year)", "roq"]
    values = [100000, 150000, 200000, 250000, 300000]
    assert [r[0] for r in result[1:]] == pytest.approx(values)
    expected = [roq.evaluate({**case_study_parameters(), "margin": v}, ("roq",))["roq"] for v in values]
    assert [r[1] for r in result[1:]] == pytest.approx(expected, rel=1e-12)
    assert message_of("ROQ_SWEEP", table, "margin", 1, 2, 45292).startswith("steps: 45292 points is too many; at most 1,000")
    assert message_of("ROQ_SWEEP", table, "discount_rate", 0.1, 20).startswith("high: 20 is 2000% a year")
    assert message_of("ROQ_SWEEP", table, "horizon", 1, 5).startswith("input_name: 'horizon' is not a single-number model input")


def test_breakeven_of_any_input_is_where_roq_is_one():
    table = case_table()
    result = dict((r[0], r[1]) for r in call("ROQ_BREAKEVEN", table, "margin")[1:])
    assert result["input"] == "margin" and result["value in the table"] == 250000
    # ROQ is proportional to the margin: the break-even margin is margin / ROQ
    base = roq.evaluate(case_study_parameters(), ("roq",))["roq"]
    assert result["break-even value"] == pytest.approx(250000 / base, rel=1e-8)
    at = roq.evaluate({**case_study_parameters(), "margin": result["break-even value"]}, ("roq",))["roq"]
    assert at == pytest.approx(1.0, abs=1e-8)
    assert message_of("ROQ_BREAKEVEN", table, "retention").startswith("input_name: retention is not in the parameter table")


def test_parameter_table_from_the_scenario_template_is_the_base_case():
    template = call("ROQ_SCENARIO_TEMPLATE")
    cells = [[None if v == "" else v for v in row] for row in template]
    result = dict((r[0], r[1]) for r in call("ROQ_MODEL", cells)[1:])
    from simulator.uncertainty import builtin_scenario

    assert result["roq"] == pytest.approx(builtin_scenario().evaluate_base()["roq"], rel=1e-12)


def test_npv_messages_name_the_excel_arguments():
    # the engine's check names the argument the cell passed, not the model's input name
    from simulator.errors import RoqInputError
    from simulator.roq import npv_of_profit

    with pytest.raises(RoqInputError, match=r"^market_shares: must be <= 1 \(fraction\), got 30\.2; fractions: did you mean 30\.2% \(0\.302\)\?"):
        npv_of_profit(250000, [30.2] * 5, [1.0] * 5, 0.2)
    with pytest.raises(RoqInputError, match=r"^market_sizes: must be > 0"):
        npv_of_profit(250000, [0.3] * 5, [-1.0] * 5, 0.2)
