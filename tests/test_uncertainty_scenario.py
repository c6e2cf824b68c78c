"""Scenario files: the built-in seed-001 scenario, hand-written TOML, worksheet ranges, and
every bad-input case with its file, key and reason."""

from __future__ import annotations

import doctest
import textwrap

import numpy as np
import pytest

import simulator.uncertainty.scenario as scenario_module
from simulator import RoqInputError
from simulator.roq import evaluate
from simulator.roq.casestudy import PUBLISHED
from simulator.uncertainty import builtin_scenario, load_scenario, scenario_from_dict, scenario_from_rows
from simulator.uncertainty.scenario import scenario_from_toml

BASE_TOML = """\
[scenario]
name = "test"

[model]
horizon = 5
market_size = 250760
market_growth = 0.07
churn = 0.095
competitor_switching = 0.0019
attraction = 0.0306
initial_share = 0.0707
baseline_retention = 0.3461
retention = 0.81
margin = 250000
discount_rate = 0.20
initial_cost = 558e6
annual_cost = 699e6

[uncertain.churn]
distribution = "triangular"
min = 0.05
mode = 0.095
max = 0.15
"""


def write(tmp_path, text, name="scenario.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# --- the built-in scenario --------------------------------------------------------------


def test_builtin_scenario_values_and_calibration():
    s = builtin_scenario()
    assert list(s.uncertain) == ["market_growth", "churn", "margin", "discount_rate"]
    assert s.base["baseline_retention"] == PUBLISHED["retention"]
    assert s.base["attraction"] == PUBLISHED["attraction"]
    params = s.parameters()
    # competitors' retention implied by the switching share (R' = 1 - c - s) reproduces the paper's R'
    assert "competitor_retention" not in params
    assert 1 - params["churn"] - params["competitor_switching"] == pytest.approx(PUBLISHED["competitor_retention"], abs=1e-12)
    result = evaluate(params, ("roq", "market_share_path", "market_share_path_without_programme"))
    # retention 0.81 is calibrated to the paper's first-year share with the programme, 5.98%
    assert result["market_share_path"][0] == pytest.approx(0.0598, abs=5e-4)
    # without the programme the share falls to about the paper's 2.93% forecast
    assert result["market_share_path_without_programme"][0] == pytest.approx(0.0293, abs=2e-4)
    assert 2 <= result["roq"] <= 5
    assert round(result["roq"], 2) == 2.72
    assert s.run.samples == 2**18 and s.run.sampler == "random"


def test_builtin_ranges_are_the_documented_ones():
    s = builtin_scenario()
    assert s.uncertain["market_growth"].describe() == "PERT(min=0.05, mode=0.07, max=0.144)"
    assert s.uncertain["churn"].describe() == "triangular(min=0.05, mode=0.095, max=0.15)"
    assert s.uncertain["margin"].support == (200000.0, 300000.0)
    assert s.uncertain["discount_rate"].support == (0.10, 0.30)
    assert all(d.note for d in s.uncertain.values())


def test_load_none_is_builtin_and_file_round_trip(tmp_path):
    assert load_scenario(None).name == builtin_scenario().name
    s = load_scenario(write(tmp_path, BASE_TOML))
    assert s.name == "test" and list(s.uncertain) == ["churn"]
    assert s.outputs == ("roq", "npv_gain", "final_market_share")


def test_uncertain_input_without_base_value_uses_its_median(tmp_path):
    text = BASE_TOML.replace("margin = 250000\n", "") + '\n[uncertain.margin]\ndistribution = "uniform"\nmin = 200000\nmax = 320000\n'
    s = load_scenario(write(tmp_path, text))
    assert s.base["margin"] == pytest.approx(260000)
    assert s.base_from_median == ("margin",)
    assert "median" in s.describe_frame().set_index("input").loc["margin", "note"]


def test_model_function_and_draw():
    s = builtin_scenario()
    f = s.model_function("roq")
    margin = np.array([200000.0, 250000.0, 300000.0])
    roq = f({"margin": margin})
    assert roq.shape == (3,)
    assert roq[1] == pytest.approx(s.evaluate_base()["roq"])
    assert roq[2] / roq[0] == pytest.approx(1.5)  # ROQ is proportional to the margin
    drawn = s.draw(0, 10, seed=1)
    assert drawn["margin"].shape == (10,) and drawn["horizon"] == 5
    # the switching share is fixed while churn is drawn, so R' = 1 - c - s follows churn
    assert drawn["competitor_switching"] == 0.0019 and "competitor_retention" not in drawn
    assert np.ptp(drawn["churn"]) > 0
    with pytest.raises(RoqInputError, match="output: must be one of"):
        s.model_function("market_share_path")


def test_scenario_from_rows_matches_toml(tmp_path):
    rows = [
        ["# a comment row", None],
        ["model.horizon", 5], ["model.market_size", 250760], ["model.market_growth", 0.07],
        ["model.churn", 0.095], ["model.competitor_switching", 0.0019], ["model.attraction", 0.0306],
        ["model.initial_share", 0.0707], ["model.baseline_retention", 0.3461], ["model.retention", 0.81],
        ["model.margin", 250000], ["model.discount_rate", 0.2], ["model.initial_cost", 558e6], ["model.annual_cost", 699e6],
        [None, None],
        ["uncertain.churn.distribution", "triangular"], ["uncertain.churn.min", 0.05],
        ["uncertain.churn.mode", 0.095], ["uncertain.churn.max", 0.15],
        ["outputs.names", "roq", "npv_gain"],
        ["run.samples", 4096.0], ["run.seed", "7"],
    ]
    s = scenario_from_rows(rows)
    t = load_scenario(write(tmp_path, BASE_TOML))
    assert s.base == t.base and s.uncertain == t.uncertain
    assert s.outputs == ("roq", "npv_gain") and s.run.samples == 4096 and s.run.seed == 7


def test_scenario_from_rows_per_year_path_and_matrix():
    base = builtin_scenario()
    rows = [[f"model.{k}", v] for k, v in base.base.items() if k != "market_growth"]
    rows.append(["model.market_growth_path", 0.1439, 0.078, 0.0807, 0.0659, 0.0707])
    rows += [["uncertain.margin.distribution", "uniform"], ["uncertain.margin.min", 2e5], ["uncertain.margin.max", 3e5]]
    rows += [["uncertain.discount_rate.distribution", "uniform"], ["uncertain.discount_rate.min", 0.1], ["uncertain.discount_rate.max", 0.3]]
    rows += [["correlation.inputs", "margin", "discount_rate"], ["correlation.matrix", 1, 0.5], ["correlation.matrix", 0.5, 1]]
    s = scenario_from_rows(rows)
    assert s.base["market_growth_path"].tolist() == [0.1439, 0.078, 0.0807, 0.0659, 0.0707]
    assert s.correlation[0, 1] == 0.5 and s.correlated == ("margin", "discount_rate")


# --- bad input: file, key and reason -------------------------------------------------------

CASES = [
    # unknown keys, with the closest known name
    ("[modle]\nx = 1\n", "scenario.toml: modle: is not a known section (did you mean 'model'?)"),
    (BASE_TOML.replace("churn = 0.095", "chrun = 0.095"), "scenario.toml: model.chrun: is not a known model input (did you mean 'churn'?)"),
    (BASE_TOML + "[uncertain.margn]\ndistribution = 'uniform'\nmin = 1\nmax = 2\n", "scenario.toml: uncertain.margn: is not a model input (did you mean 'margin'?)"),
    (BASE_TOML + "[run]\nsample = 10\n", "scenario.toml: run.sample: is not a known key of [run] (did you mean 'samples'?)"),
    (BASE_TOML + "[outputs]\nnames = ['roq', 'npv_gian']\n", "scenario.toml: outputs.names: unknown output 'npv_gian' (did you mean 'npv_gain'?)"),
    (BASE_TOML.replace('distribution = "triangular"', 'distribution = "triangle"'), "scenario.toml: uncertain.churn.distribution: unknown distribution 'triangle' (did you mean 'triangular'?)"),
    # missing inputs
    (BASE_TOML.replace("margin = 250000\n", ""), "scenario.toml: model.margin: is required (profit per customer per year)"),
    (BASE_TOML.replace("baseline_retention = 0.3461\n", ""), "scenario.toml: model.baseline_retention: is required"),
    (BASE_TOML.replace("market_growth = 0.07\n", ""), "scenario.toml: model.market_growth: is required"),
    # invalid distribution parameters
    (BASE_TOML.replace("max = 0.15", "max = 0.04"), "scenario.toml: uncertain.churn.max: must be > min (0.05) so that min < max, got 0.04"),
    (BASE_TOML.replace("mode = 0.095", "mode = 0.2"), "scenario.toml: uncertain.churn.mode: must lie between min (0.05) and max (0.15), got 0.2"),
    # impossible values: the distribution's support leaves the input's domain
    (BASE_TOML.replace("max = 0.15", "max = 1.2"), "scenario.toml: uncertain.churn.max: must be < 1 (fraction per year), got 1.2"),
    (BASE_TOML.replace("min = 0.05", "min = -0.01"), "scenario.toml: uncertain.churn.min: must be >= 0 (fraction per year), got -0.01"),
    (BASE_TOML + "[uncertain.discount_rate]\ndistribution = 'normal'\nmean = 0.2\nsd = 0.05\n",
     "scenario.toml: uncertain.discount_rate.distribution: a normal distribution is unbounded below, but discount_rate must be > -1 (fraction per year); use truncnormal"),
    (BASE_TOML + "[uncertain.initial_share]\ndistribution = 'uniform'\nmin = 0.05\nmax = 1.5\n", "scenario.toml: uncertain.initial_share.max: must be <= 1 (fraction), got 1.5"),
    (BASE_TOML.replace("churn = 0.095\n", "churn = 1.3\n"), "scenario.toml: model.churn: must be < 1 (fraction per year), got 1.3"),
    (BASE_TOML.replace("horizon = 5", "horizon = 2.5"), "scenario.toml: model.horizon: must be a whole number of years >= 1, got 2.5"),
    (BASE_TOML.replace("margin = 250000", "margin = 'lots'"), "scenario.toml: model.margin: must be a number, got 'lots'"),
    (BASE_TOML.replace("market_growth = 0.07", "market_growth = [0.07, 0.08]"), "scenario.toml: model.market_growth: takes one number (fraction per year), got a list"),
    (BASE_TOML.replace("market_growth = 0.07", "market_growth_path = [0.07, 0.08]"), "scenario.toml: model.market_growth_path: has 2 years but horizon is 5"),
    # consistency at the extremes of the uncertain ranges
    (BASE_TOML.replace("retention = 0.81", "retention = 0.88"),
     "scenario.toml: uncertain.churn.max: at churn = 0.15 (its max), retention (0.88) exceeds 1 - churn (0.85): the firm cannot keep customers who left the market"),
    (BASE_TOML.replace("competitor_switching = 0.0019", "competitor_retention = 0.9031"),
     "scenario.toml: uncertain.churn.max: at churn = 0.15 (its max), competitor_retention (0.9031) exceeds 1 - churn (0.85)"),
    (BASE_TOML + "[uncertain.market_growth]\ndistribution = 'uniform'\nmin = -0.2\nmax = 0.1\n",
     "scenario.toml: uncertain.market_growth.min: at market_growth = -0.2 (its min) and churn = 0.05 (its min), market growth + churn < 0"),
    (BASE_TOML + "[uncertain.horizon]\ndistribution = 'uniform'\nmin = 3\nmax = 6\n", "scenario.toml: uncertain.horizon: cannot be uncertain"),
    (BASE_TOML + "[uncertain.market_size_path]\ndistribution = 'uniform'\nmin = 3\nmax = 6\n", "scenario.toml: uncertain.market_size_path: cannot be uncertain: only single-number inputs can be sampled; make market_growth uncertain"),
    (BASE_TOML.replace("competitor_switching = 0.0019", "competitor_switching = 0.0019\ncompetitor_retention = 0.9"), "scenario.toml: model.competitor_switching: conflicts with competitor_retention"),
    # correlations
    (BASE_TOML + "[[correlation]]\nbetween = ['churn', 'margin']\nrank_correlation = 0.3\n", "scenario.toml: correlation[1].between: 'margin' is not an uncertain input"),
    (BASE_TOML + "[uncertain.margin]\ndistribution = 'uniform'\nmin = 2e5\nmax = 3e5\n[correlation]\ninputs = ['churn', 'margin']\nmatrix = [[1, 0.3], [0.2, 1]]\n",
     "scenario.toml: correlation.matrix: must be symmetric: churn-margin is 0.3 but margin-churn is 0.2"),
    # run settings
    (BASE_TOML + "[run]\nsamples = 0\n", "scenario.toml: run.samples: must be >= 1, got 0"),
    (BASE_TOML + "[run]\nsampler = 'halton'\n", "scenario.toml: run.sampler: must be one of random, lhs, sobol, got 'halton'"),
    (BASE_TOML + "[run]\nseed = -3\n", "scenario.toml: run.seed: must be >= 0, got -3"),
    # malformed TOML: one line with the line number
    (BASE_TOML.replace("churn = 0.095", "churn = 0.095 0.1"), "scenario.toml: line 8, column 15: malformed TOML: expected newline or end of document after a statement"),
    (BASE_TOML.replace("horizon = 5", "horizon = [5,"), "scenario.toml: line 6, column 1: malformed TOML: invalid value"),
    (BASE_TOML + "[run]\nsamples = [1,\n", "scenario.toml: end of file: malformed TOML: invalid value"),
]


@pytest.mark.parametrize("text, message", CASES)
def test_bad_scenarios_report_file_key_and_reason(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(RoqInputError) as info:
        load_scenario(path)
    text_of_error = str(info.value).replace(str(path), "scenario.toml")
    assert message in text_of_error
    assert "\n" not in text_of_error


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(RoqInputError, match="nowhere.toml: no such scenario file"):
        load_scenario(tmp_path / "nowhere.toml")
    with pytest.raises(RoqInputError, match="is a directory"):
        load_scenario(tmp_path)
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(RoqInputError, match="is not a UTF-8 text"):
        load_scenario(tmp_path / "binary.toml")


def test_scenario_from_dict_and_rows_errors():
    with pytest.raises(RoqInputError, match="range: row 2: model.churn has no value"):
        scenario_from_rows([["model.horizon", 5], ["model.churn"]])
    with pytest.raises(RoqInputError, match="range: row 1: key 'churn' must be section.name"):
        scenario_from_rows([["churn", 0.1]])
    with pytest.raises(RoqInputError, match="range: row 2: model.churn is given twice"):
        scenario_from_rows([["model.churn", 0.1], ["model.churn", 0.2]])
    with pytest.raises(RoqInputError, match="memo: model: must be a table"):
        scenario_from_dict({"model": 3}, source="memo")


def test_doctests():
    assert doctest.testmod(scenario_module).failed == 0


# --- the glue to the sensitivity library ---------------------------------------------------


def test_scenario_sensitivity_through_the_public_api():
    s = builtin_scenario()
    result = s.sensitivity("sobol", samples=512, seed=2, num_resamples=20)
    table = result.table.set_index("input")
    assert result.ranking[0] == "margin"
    assert table.S1.sum() == pytest.approx(1.0, abs=0.1)  # ROQ is nearly additive in these inputs
    assert set(table.index) == set(s.uncertain)


def test_correlated_scenario_sensitivity_notes():
    base = builtin_scenario()
    data = {
        "model": dict(base.base),
        "uncertain": {name: d.to_spec() for name, d in base.uncertain.items()},
        "correlation": [{"between": ["market_growth", "margin"], "rank_correlation": 0.5}],
    }
    s = scenario_from_dict(data, source="c.toml")
    delta = s.sensitivity("delta", samples=300, seed=1, num_resamples=10)
    assert any("Iman-Conover" in note for note in delta.notes)
    morris = s.sensitivity("morris", samples=10, seed=1, num_resamples=10)
    assert any("are ignored" in note for note in morris.notes)
    rebuilt = scenario_from_rows(s.to_rows())
    assert np.array_equal(rebuilt.correlation, s.correlation) and rebuilt.correlated == s.correlated
