"""ROQ_SURVEY_RETENTION and ROQ_SHIFTED_MIX through xlwings' dispatcher."""

import pytest
from excel_dispatch import call, row

from simulator.errors import RoqInputError
from simulator.roq.survey_retention import survey_retention

COUNTS = [[4, 10, 21], [20, 17, 4], [6, 2, 0]]


def test_survey_retention_spills_estimate_and_interval():
    cells = call("ROQ_SURVEY_RETENTION", COUNTS)
    assert cells[0] == ["quantity", "estimate", "sd", "low", "high"]
    assert cells[1][0] == "retention"
    expected = survey_retention(COUNTS)
    assert cells[1][1] == pytest.approx(expected.retention)
    assert [cells[1][3], cells[1][4]] == pytest.approx(list(expected.interval))


def test_survey_retention_bad_counts_name_the_argument():
    bad = [row[:] for row in COUNTS]
    bad[1][1] = -3
    with pytest.raises(RoqInputError, match="counts: satisfied x unsure is negative"):
        call("ROQ_SURVEY_RETENTION", bad)
    with pytest.raises(RoqInputError, match="did you mean 95%"):
        call("ROQ_SURVEY_RETENTION", COUNTS, None, 95)


def test_shifted_mix():
    cells = call("ROQ_SHIFTED_MIX", 0.4167, 0.0952, 0.5, 0.42, 0.7)
    assert cells[0] == ["group", "share"]
    shares = {row[0]: row[1] for row in cells[1:]}
    assert shares["dissatisfied"] + shares["satisfied"] + shares["delighted"] == pytest.approx(1.0)
    assert shares["shift (sd)"] == pytest.approx(0.3)
    assert shares["delighted"] > 0.0952


def _template():
    return call("ROQ_CHAIN_TEMPLATE")


def test_chain_template_round_trips_and_portfolio_chooses_the_databases():
    scenario = _template()
    assert any(str(row[0]).startswith("survey.") for row in scenario)
    programmes = [["programme", "initial_cost", "annual_cost", "dimension", "effect_min", "effect_mode", "effect_max"],
                  ["Customer database", 33e6, 12e6, "responsiveness", 0.05, 0.15, 0.25],
                  ["Agent database", 25e6, 12e6, "reliability", 0.02, 0.08, 0.15],
                  ["Training", 150e6, 300e6, "assurance", 0.1, 0.25, 0.4]]
    cells = call("ROQ_PORTFOLIO", scenario, programmes, 2e8, None, 2000)
    assert cells[0][:2] == ["programme", "chosen"]
    chosen = {row[0]: row[1] for row in cells[1:-1]}
    assert chosen == {"Customer database": "yes", "Agent database": "yes", "Training": "no"}
    assert cells[-1][0] == "chosen set" and cells[-1][1] == 2


def test_optimal_spend_and_blank_scenario():
    cells = call("ROQ_OPTIMAL_SPEND", _template(), 5e8, row([0.5, 0.74, 1.0]), row([2e7, 4e7, 8e7]), 1000)
    values = {row[0]: row[1] for row in cells[1:]}
    assert 0 < values["best annual spend (expected value)"] < 5e8
    assert values["marginal ROQ there"] == pytest.approx(1.0, abs=0.02)
    with pytest.raises(RoqInputError, match="scenario: is required but blank"):
        call("ROQ_OPTIMAL_SPEND", None, 5e8, row([0.5, 0.74, 1.0]), row([2e7, 4e7, 8e7]))
    with pytest.raises(RoqInputError, match="samples: must be from 100 to 20,000"):
        call("ROQ_OPTIMAL_SPEND", _template(), 5e8, row([0.5, 0.74, 1.0]), row([2e7, 4e7, 8e7]), 10**6)
