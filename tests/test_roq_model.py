"""The Return-on-Quality model: published seed-001 figures, invariants, bad input."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simulator.roq.calibration
import simulator.roq.casestudy
import simulator.roq.model
from simulator import RoqInputError
from simulator.casestudies import DATA_FILES, data_path
from simulator.roq import (
    attraction,
    breakeven_discount_rate,
    breakeven_programme_cost,
    competitor_retention,
    evaluate,
    market_churn,
    market_growth,
    market_share_path,
    npv_of_profit,
    npv_of_programme,
    repurchase_rate,
    retention,
    return_on_quality,
    roq_against_discount_rate,
)
from simulator.roq.casestudy import MISPRINTS, PUBLISHED, calibration, case_study_parameters, programme_costs

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "reference" / "data"


# --- published figures (seed 001) -------------------------------------------------------


def test_retention_published_satisfied_only_convention():
    value = retention(0.4881, 0.0952, 0.1548, 0.5119, 0.6904, convention="satisfied_only")
    assert round(value, 4) == 0.3461


def test_retention_conventions_differ_by_the_delighted_share():
    seed = retention(0.4881, 0.0952, 0.1548, 0.5119, 0.6904, convention="satisfied_only")
    rzk = retention(0.4881, 0.0952, 0.1548, 0.5119, 0.6904, convention="satisfied_or_delighted")
    # RZK's S includes the delighted: the difference is D * (r2 - r1)
    assert rzk - seed == pytest.approx(0.0952 * (0.5119 - 0.1548))
    # RZK's form is the share-weighted mean of the group rates
    assert rzk == pytest.approx((1 - 0.4881 - 0.0952) * 0.1548 + 0.4881 * 0.5119 + 0.0952 * 0.6904)


def test_churn_attraction_competitor_retention_growth_published():
    assert round(market_churn(8, 84), 3) == 0.095
    assert competitor_retention(452, 0.0139, 250760, 0.095) == pytest.approx(0.9031, abs=1e-4)
    assert round(market_growth(286859, 250760), 4) == 0.1440
    assert market_growth(286859, 250760) == pytest.approx(0.1439, abs=1e-4)
    # the paper prints 3.06%; its own inputs give 32.7% (misprint, shown both ways)
    assert attraction(850, 5762, 3497, 0.095) == pytest.approx(0.3273, abs=1e-4)
    assert "3.06%" in MISPRINTS["attraction"]


def test_market_share_one_step_published():
    shares = market_share_path(0.0707, 0.3461, 0.9031, 0.095, 0.0306, [1.0, 1.14])
    assert round(float(shares[0]), 4) == 0.0293


def test_npv_npv0_npvas_roq_published():
    result = evaluate(case_study_parameters())
    assert result["npv_programme_cost"] == pytest.approx(2_648_437_886, abs=1)
    assert result["npv_without_programme"] == pytest.approx(PUBLISHED["npv_without_programme"], rel=1e-4)
    # the paper rounded per-year values; its table recomputes to 17,202,868,148
    assert result["npv_with_programme"] == pytest.approx(17_202_868_148, abs=1)
    assert result["npv_with_programme"] == pytest.approx(PUBLISHED["npv_with_programme"], rel=1e-4)
    assert round(result["roq"], 2) == 3.72
    assert result["roq_net"] == pytest.approx(result["roq"] - 1)


def test_standalone_money_functions_match_evaluate():
    params = case_study_parameters()
    result = evaluate(params)
    npv = npv_of_profit(250000, params["market_share_path"], params["market_size_path"], 0.20)
    npv0 = npv_of_profit(250000, [0.0302] * 5, params["market_size_path"], 0.20)
    cost = npv_of_programme(558e6, 699e6, 0.20, 5)
    assert npv == pytest.approx(result["npv_with_programme"])
    assert npv0 == pytest.approx(result["npv_without_programme"])
    assert cost == pytest.approx(result["npv_programme_cost"])
    assert return_on_quality(npv, npv0, cost) == pytest.approx(result["roq"])
    assert return_on_quality(npv, npv0, cost, convention="net") == pytest.approx(result["roq"] - 1)
    assert round(return_on_quality(17_202_364_737, 7_340_682_076, 2_648_437_886), 2) == 3.72


def test_calibration_table_lists_computed_and_published():
    table = calibration()
    assert table["retention"][0] == pytest.approx(0.3461, abs=5e-5)
    assert table["churn"][0] == pytest.approx(8 / 84)
    for name, (computed, published) in table.items():
        if name not in MISPRINTS:
            assert computed == pytest.approx(published, abs=1e-3), name


def test_programme_cost_items_misprint_is_documented():
    costs = programme_costs()
    assert costs["annual_cost_sum"] == costs["annual_cost_published"] == 699e6
    assert costs["initial_cost_sum"] == 783e6 and costs["initial_cost_published"] == 558e6
    assert "783" in MISPRINTS["initial_cost"]


def test_roq_against_discount_rate_stays_feasible_to_40_percent_and_beyond():
    rates = np.linspace(0, 0.6, 13)
    curve = roq_against_discount_rate(case_study_parameters(), rates)
    assert curve.shape == (13,)
    assert np.all(curve > 1)
    assert np.all(np.diff(curve) < 0)  # more discounting, lower ROQ here
    assert curve[4] == pytest.approx(evaluate(case_study_parameters())["roq"])


def test_breakevens_are_consistent():
    params = case_study_parameters()
    rate = breakeven_discount_rate(params)
    assert evaluate({**params, "discount_rate": rate})["roq"] == pytest.approx(1.0, abs=1e-8)
    costs = breakeven_programme_cost(params)
    assert evaluate({**params, "initial_cost": costs["initial_cost"]})["roq"] == pytest.approx(1.0)
    assert evaluate({**params, "annual_cost": costs["annual_cost"]})["roq"] == pytest.approx(1.0)
    scaled = {**params, "initial_cost": params["initial_cost"] * costs["cost_multiplier"], "annual_cost": params["annual_cost"] * costs["cost_multiplier"]}
    assert evaluate(scaled)["roq"] == pytest.approx(1.0)


def test_breakeven_rate_nan_when_programme_never_pays():
    # the programme loses share every year: no discount rate makes it pay
    params = {**case_study_parameters(), "baseline_market_share": 0.09}
    assert np.isnan(breakeven_discount_rate(params))


def test_repurchase_rate_scores_yes_unsure_no():
    assert repurchase_rate(13, 18, 4) == pytest.approx((13 + 9) / 35)


def test_packaged_data_equals_shared_reference():
    if not SHARED_DATA.exists():
        pytest.skip("shared/reference/data not beside the checkout")
    for name in DATA_FILES:
        assert data_path(name).read_bytes() == (SHARED_DATA / name).read_bytes(), name


def test_docstring_examples_run():
    for module in (simulator.roq.calibration, simulator.roq.model, simulator.roq.casestudy):
        failures, _ = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert failures == 0, module.__name__


# --- recursion mode and invariants ---------------------------------------------------------


def recursion_parameters(**overrides):
    base = {
        "horizon": 5,
        "market_size": 250760.0,
        "market_growth": 0.07,
        "churn": 0.095,
        "competitor_retention": 0.9031,
        "attraction": 0.0306,
        "initial_share": 0.0302,
        "retention": 0.55,
        "baseline_retention": 0.3461,
        "margin": 250000.0,
        "discount_rate": 0.20,
        "initial_cost": 558e6,
        "annual_cost": 699e6,
    }
    base.update(overrides)
    return base


def flows(share, retention_rate, competitor_retention_rate, churn, attraction_rate, growth_factor):
    """Customer flows of one year as fractions of N_{t-1}."""
    ours_retained = retention_rate * share
    switching_in = (1 - competitor_retention_rate - churn) * (1 - share)
    new_ours = attraction_rate * (growth_factor - 1 + churn)
    theirs_retained = competitor_retention_rate * (1 - share)
    switching_out = (1 - retention_rate - churn) * share
    new_theirs = (1 - attraction_rate) * (growth_factor - 1 + churn)
    return ours_retained + switching_in + new_ours, theirs_retained + switching_out + new_theirs


valid_rates = st.floats(0.0, 0.3)


@st.composite
def valid_scenarios(draw):
    churn = draw(st.floats(0.0, 0.3))
    return {
        "churn": churn,
        "retention": draw(st.floats(0.0, 1.0 - churn)),
        "baseline_retention": draw(st.floats(0.0, 1.0 - churn)),
        "competitor_retention": draw(st.floats(0.0, 1.0 - churn)),
        "attraction": draw(st.floats(0.0, 1.0)),
        "initial_share": draw(st.floats(0.0, 1.0)),
        "market_growth": draw(st.floats(-churn, 0.5)),
        "margin": draw(st.floats(1.0, 1e6)),
        "discount_rate": draw(st.floats(-0.5, 1.0)),
        "initial_cost": draw(st.floats(0.0, 1e9)),
        "annual_cost": draw(st.floats(1.0, 1e9)),
    }


@settings(max_examples=200, deadline=None)
@given(valid_scenarios())
def test_customer_flows_add_up_to_the_market(scenario):
    params = recursion_parameters(**scenario)
    result = evaluate(params, ("market_share_path", "market_size_path"))
    shares = np.concatenate([[params["initial_share"]], result["market_share_path"]])
    sizes = np.concatenate([[params["market_size"]], result["market_size_path"]])
    for year in range(params["horizon"]):
        growth_factor = sizes[year + 1] / sizes[year]
        ours, theirs = flows(shares[year], params["retention"], params["competitor_retention"], params["churn"], params["attraction"], growth_factor)
        assert ours + theirs == pytest.approx(growth_factor, rel=1e-9, abs=1e-12)
        assert ours / growth_factor == pytest.approx(shares[year + 1], rel=1e-9, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(valid_scenarios())
def test_shares_stay_in_unit_interval(scenario):
    result = evaluate(recursion_parameters(**scenario), ("market_share_path", "market_share_path_without_programme"))
    for path in result.values():
        assert np.all(path >= -1e-12) and np.all(path <= 1 + 1e-12)


@settings(max_examples=100, deadline=None)
@given(valid_scenarios(), st.floats(1.01, 3.0))
def test_roq_rises_with_margin_when_programme_gains(scenario, factor):
    params = recursion_parameters(**scenario)
    base = evaluate(params)
    higher = evaluate({**params, "margin": params["margin"] * factor})
    if base["npv_gain"] > 0:
        assert higher["roq"] > base["roq"]
    elif base["npv_gain"] < 0:
        assert higher["roq"] < base["roq"]


@settings(max_examples=100, deadline=None)
@given(valid_scenarios(), st.floats(1.01, 3.0))
def test_roq_falls_with_programme_cost_when_programme_gains(scenario, factor):
    params = recursion_parameters(**scenario)
    base = evaluate(params)
    dearer = evaluate({**params, "annual_cost": params["annual_cost"] * factor, "initial_cost": params["initial_cost"] * factor})
    if base["npv_gain"] > 0:
        assert dearer["roq"] < base["roq"]


@settings(max_examples=25, deadline=None)
@given(st.lists(valid_scenarios(), min_size=1, max_size=12))
def test_vectorised_call_equals_scalar_calls(scenarios):
    names = scenarios[0].keys()
    vector = evaluate(recursion_parameters(**{n: np.array([s[n] for s in scenarios]) for n in names}), ("roq", "npv_gain", "final_market_share", "market_share_path"))
    for index, scenario in enumerate(scenarios):
        scalar = evaluate(recursion_parameters(**scenario), ("roq", "npv_gain", "final_market_share", "market_share_path"))
        for name, value in scalar.items():
            np.testing.assert_allclose(vector[name][index], value, rtol=1e-12, atol=0)


def test_vectorised_per_year_growth_and_two_dimensional_scenarios():
    growth_path = np.array([[0.05, 0.06, 0.07, 0.08, 0.09], [0.1, 0.1, 0.1, 0.1, 0.1]])
    result = evaluate(recursion_parameters(market_growth=None, market_growth_path=growth_path, retention=np.array([[0.5], [0.6], [0.7]])), ("roq", "market_size_path"))
    assert result["roq"].shape == (3, 2)
    np.testing.assert_allclose(result["market_size_path"][0, 1], 250760.0 * np.cumprod(1.1 * np.ones(5)))
    constant = evaluate(recursion_parameters(retention=0.6, market_growth=0.1))["roq"]
    assert result["roq"][1, 1] == pytest.approx(constant)


def test_satisfaction_mix_equals_given_retention():
    mix = {"satisfied_share": 0.4881, "delighted_share": 0.0952, "repurchase_dissatisfied": 0.1548, "repurchase_satisfied": 0.5119, "repurchase_delighted": 0.6904}
    params = recursion_parameters(retention=None, satisfied_share_convention="satisfied_only", **mix)
    params = {k: v for k, v in params.items() if v is not None}
    direct = recursion_parameters(retention=retention(*mix.values(), convention="satisfied_only"))
    assert evaluate(params)["roq"] == pytest.approx(evaluate(direct)["roq"])
    assert evaluate(params, ("retention",))["retention"] == pytest.approx(0.34609371)


def test_million_scenarios_in_one_call():
    rng = np.random.default_rng(1)
    n = 1_000_000
    result = evaluate(recursion_parameters(market_growth=rng.uniform(0.0, 0.15, n), discount_rate=rng.uniform(0.1, 0.3, n)), ("roq",))
    assert result["roq"].shape == (n,) and np.isfinite(result["roq"]).all()


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "argument", "fragment"),
    [
        ({"discount_rate": -1.0}, "discount_rate", "must be > -1"),
        ({"discount_rate": -1.5}, "discount_rate", "must be > -1"),
        ({"initial_share": 1.2}, "initial_share", "<= 1"),
        ({"attraction": -0.1}, "attraction", ">= 0"),
        ({"churn": 1.0}, "churn", "< 1"),
        ({"retention": 0.95}, "retention", "1 - churn"),
        ({"baseline_retention": 0.95}, "baseline_retention", "1 - churn"),
        ({"competitor_retention": 0.95}, "competitor_retention", "1 - churn"),
        ({"market_growth": -0.5}, "market_growth", "shrinks faster than churn"),
        ({"market_size": 0.0}, "market_size", "> 0"),
        ({"margin": "lots"}, "margin", "must be a number|numeric"),
        ({"margin": None}, "margin", "is required"),
        ({"horizon": 2.5}, "horizon", "whole number"),
        ({"horizon": 45292}, "horizon", "45292 years is too long; at most 100 .*is the cell a date"),
        ({"horizon": 1e15}, "horizon", "1e\\+15 years is too long"),
        ({"initial_cost": 0.0, "annual_cost": 0.0}, "initial_cost", "both zero"),
        ({"retnetion": 0.4}, "retnetion", "is not a model input"),
        ({"retention": np.ones(3) * 0.5, "margin": np.ones(4)}, "parameters", "do not broadcast"),
        ({"market_growth_path": [0.1, 0.1]}, "market_growth_path", "conflicts with|years but horizon"),
        ({"market_size_path": [1, 2, 3, 4, 5]}, "market_size_path", "conflicts with"),
        ({"market_share_path": [0.1] * 5}, "market_share_path", "conflicts with retention"),
        ({"baseline_market_share": 0.03}, "baseline_market_share", "conflicts with"),
        ({"satisfied_share_convention": "both"}, "satisfied_share_convention", "must be one of"),
        ({"retention": [0.5, float("nan")]}, "retention", "missing"),
    ],
)
def test_bad_model_input_names_the_argument(overrides, argument, fragment):
    params = recursion_parameters()
    params.update(overrides)
    params = {k: v for k, v in params.items() if v is not None or k == "margin"}
    with pytest.raises(RoqInputError, match=fragment) as info:
        evaluate(params)
    # the message starts with the argument at fault (for a conflict: one of the pair, naming the other)
    assert argument in str(info.value)
    assert str(info.value).startswith(info.value.argument + ":")


def test_missing_baseline_and_retention_are_reported():
    params = recursion_parameters()
    del params["baseline_retention"]
    with pytest.raises(RoqInputError, match="baseline_retention: is required"):
        evaluate(params)
    params = recursion_parameters()
    del params["retention"]
    with pytest.raises(RoqInputError, match="retention: is required"):
        evaluate(params)


def test_unknown_output_is_reported():
    with pytest.raises(RoqInputError, match="outputs: unknown output 'roi'"):
        evaluate(recursion_parameters(), ("roi",))


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: retention(0.7, 0.4, 0.1, 0.5, 0.7), "add up to more than 1"),
        (lambda: retention(0.5, 0.1, 1.2, 0.5, 0.7), "repurchase_dissatisfied: must be <= 1"),
        (lambda: retention(0.5, 0.1, 0.1, 0.5, 0.7, convention="x"), "convention: must be one of"),
        (lambda: market_churn(9, 8), "customers_leaving: exceeds"),
        (lambda: market_churn(1, 0), "customers_total: must be > 0"),
        (lambda: attraction(850, 3000, 3497, 0.095), "no customers enter"),
        (lambda: competitor_retention(452, 1.0, 250760, 0.095), "competitors have no customers"),
        (lambda: market_growth(-5, 10), "market_size: must be > 0"),
        (lambda: npv_of_programme(1, 1, -1, 5), "discount_rate: must be > -1"),
        (lambda: npv_of_programme(1, 1, 0.1, 0), "horizon: must be a whole number"),
        (lambda: npv_of_profit(1, [0.1, 0.2], [1, 2, 3], 0.1), "market_shares: needs one share per year"),
        (lambda: return_on_quality(2, 1, 0), "npv_programme_cost: must be > 0"),
        (lambda: market_share_path(0.1, 0.5, 0.95, 0.1, 0.1, [1, 1.1]), "competitor_retention: must not exceed"),
        (lambda: repurchase_rate(0, 0, 0), "no answers"),
        (lambda: repurchase_rate("a", 1, 1), "yes: must be numeric|yes: must be a number"),
    ],
)
def test_bad_calibration_input(call, fragment):
    with pytest.raises(RoqInputError, match=fragment):
        call()


def test_error_is_a_value_error_and_pickles():
    import pickle

    error = RoqInputError("churn", "must be < 1")
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.argument, copy.problem, str(copy)) == ("churn", "must be < 1", "churn: must be < 1")


def test_competitor_switching_is_the_flow_behind_competitor_retention():
    # s = 1 - R' - c: giving the switching share equals giving the retention it implies
    switching = recursion_parameters(competitor_retention=None, competitor_switching=0.0019)
    switching = {k: v for k, v in switching.items() if v is not None}
    retained = recursion_parameters(competitor_retention=1 - 0.095 - 0.0019)
    assert evaluate(switching)["roq"] == pytest.approx(evaluate(retained)["roq"], rel=1e-12)
    # and it stays consistent when churn varies: R' = 1 - c - s <= 1 - c always
    churn = np.array([0.05, 0.1, 0.15])
    varied = evaluate({**switching, "churn": churn}, ("roq",))["roq"]
    for index, c in enumerate(churn):
        single = evaluate({**retained, "churn": c, "competitor_retention": 1 - c - 0.0019})["roq"]
        assert varied[index] == pytest.approx(single, rel=1e-12)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"competitor_switching": 0.01}, "competitor_switching: conflicts with competitor_retention"),
        ({"competitor_retention": None, "competitor_switching": 0.95}, "competitor_switching: must not exceed 1 - churn"),
        ({"competitor_retention": None}, "competitor_retention: is required"),
    ],
)
def test_competitor_side_bad_input(overrides, message):
    params = {k: v for k, v in recursion_parameters(**overrides).items() if v is not None}
    with pytest.raises(RoqInputError, match=message):
        evaluate(params)
