"""Deterministic sweeps: tornado, spider, two-way grid, discount curve, break-evens."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import simulator.uncertainty.sweeps as sweeps_module
from simulator import RoqInputError
from simulator.roq import breakeven_discount_rate, evaluate, roq_against_discount_rate
from simulator.roq.casestudy import case_study_parameters
from simulator.uncertainty import break_even, builtin_scenario, discount_curve, one_way, spider, two_way


@pytest.fixture(scope="module")
def scenario():
    return builtin_scenario()


def test_one_way_low_high_are_p10_p90_and_ranked_by_swing(scenario):
    table = one_way(scenario)
    assert set(table.input) == set(scenario.uncertain)
    assert table.swing.is_monotonic_decreasing and table["rank"].tolist() == [1, 2, 3, 4]
    row = table.set_index("input").loc["margin"]
    assert row.low == pytest.approx(scenario.uncertain["margin"].quantile(0.10))
    assert row.high == pytest.approx(scenario.uncertain["margin"].quantile(0.90))
    base_roq = scenario.evaluate_base()["roq"]
    assert row.roq_base == pytest.approx(base_roq)
    assert row.roq_high == pytest.approx(base_roq * row.high / 250000)  # ROQ is proportional to the margin
    explicit = one_way(scenario, inputs=["annual_cost"], ranges={"annual_cost": (500e6, 900e6)})
    params = scenario.parameters({"annual_cost": 900e6})
    assert explicit.roq_high[0] == pytest.approx(evaluate(params)["roq"])


def test_spider_grid_and_validity(scenario):
    table = spider(scenario, inputs=["churn", "margin"], changes=[-0.5, 0.0, 0.5, 1.0])
    assert table.shape == (8, 5)
    at_base = table[table.change == 0.0]
    assert np.allclose(at_base.roq, scenario.evaluate_base()["roq"])
    # churn doubled is 0.19 <= 1 - retention 0.81 - fine; a retention spider breaks the condition
    wide = spider(scenario, inputs=["retention"], changes=[0.0, 0.2])
    assert wide.valid.tolist() == [True, False]  # 0.972 > 1 - churn
    assert np.isnan(wide.roq.iloc[1])


def test_two_way_grid_matches_point_evaluations(scenario):
    grid = two_way(scenario, "discount_rate", "annual_cost", x_values=[0.1, 0.3], y_values=[500e6, 900e6])
    assert grid.shape == (4, 4)
    for row in grid.itertuples():
        expected = evaluate(scenario.parameters({"discount_rate": row.discount_rate, "annual_cost": row.annual_cost}))["roq"]
        assert row.roq == pytest.approx(expected)
    pivot = grid.pivot(index="annual_cost", columns="discount_rate", values="roq")
    assert pivot.shape == (2, 2)
    with pytest.raises(RoqInputError, match="y: must differ from x"):
        two_way(scenario, "margin", "margin")
    with pytest.raises(RoqInputError, match="inputs: 'discount' is not a single-number scenario input"):
        two_way(scenario, "discount", "margin")


def test_discount_curve_of_published_case_and_scenario(scenario):
    published = discount_curve(case_study_parameters())
    assert published.discount_rate.tolist() == pytest.approx([0.05 * k for k in range(13)])
    np.testing.assert_allclose(published.roq, roq_against_discount_rate(case_study_parameters(), published.discount_rate))
    assert (published.roq > 1).all()  # the paper: feasible up to 40% and beyond
    curve = discount_curve(scenario, rates=[0.0, 0.2])
    assert curve.roq.iloc[1] == pytest.approx(scenario.evaluate_base()["roq"])


def test_break_even_values(scenario):
    table = break_even(scenario).set_index("input")
    base_roq = scenario.evaluate_base()["roq"]
    assert table.loc["margin", "break_even"] == pytest.approx(250000 / base_roq, rel=1e-9)
    # the discount-rate break-even is the programme's internal rate of return
    assert table.loc["discount_rate", "break_even"] == pytest.approx(breakeven_discount_rate(scenario.parameters()), abs=1e-8)
    # annual cost: NPV gain - initial cost over the annuity factor
    at = evaluate(scenario.parameters({"annual_cost": table.loc["annual_cost", "break_even"]}))["roq"]
    assert at == pytest.approx(1.0, abs=1e-8)
    retention = table.loc["retention", "break_even"]
    assert 0.3461 < retention < 0.81
    assert evaluate(scenario.parameters({"retention": retention}))["roq"] == pytest.approx(1.0, abs=1e-8)
    # no growth or churn in their whole domain makes this programme unprofitable
    assert np.isnan(table.loc["market_growth", "break_even"]) and np.isnan(table.loc["churn", "break_even"])
    assert not table.inside_plausible_range.any()
    narrow = break_even(scenario, inputs=["margin"], ranges={"margin": (150000, 300000)})
    assert np.isnan(narrow.break_even[0])


def test_bad_output_names(scenario):
    with pytest.raises(RoqInputError, match="output: must be one of .* got 'ROQ'"):
        one_way(scenario, "ROQ")
    with pytest.raises(RoqInputError, match="ranges: give a \\(low, high\\) range for 'retention'"):
        one_way(scenario, inputs=["retention"])


def test_doctests():
    assert doctest.testmod(sweeps_module).failed == 0


def test_two_way_grid_size_is_bounded_by_name():
    from simulator.errors import RoqInputError
    from simulator.uncertainty import builtin_scenario
    from simulator.uncertainty.sweeps import two_way

    with pytest.raises(RoqInputError, match=r"^points: 45292 points per axis is too many; at most 2,001 .*is the cell a date"):
        two_way(builtin_scenario(), points=45292)
