"""Scenario files with [survey] and [programme]: survey-derived retention in the Monte Carlo."""

import tomllib
from importlib import resources

import numpy as np
import pytest

from simulator import RoqInputError
from simulator.uncertainty import load_scenario, run_monte_carlo, scenario_from_dict, scenario_from_rows

CHAIN_FILE = resources.files("simulator") / "data" / "survey_chain_scenario.toml"
SURVEY = [[4, 10, 21], [20, 17, 4], [6, 2, 0]]


def _chain_data():
    return tomllib.loads(CHAIN_FILE.read_text())


def _survey_only(counts, **survey):
    """The chain scenario with every input fixed except the survey's sampling uncertainty."""
    data = _chain_data()
    data["survey"] = {"counts": counts, **survey}
    data["programme"] = {"satisfaction_sd": 0.6, "gap_closed": 0.5, "driver_coefficient": 0.45}
    data["uncertain"] = {}
    return scenario_from_dict(data, source="chain.toml")


def test_builtin_chain_scenario_runs_and_the_survey_sets_both_arms():
    scenario = load_scenario(CHAIN_FILE)
    base = scenario.evaluate_base(("retention", "baseline_retention", "roq"))
    assert base["baseline_retention"] == pytest.approx(0.38010, abs=1e-5)  # paper's mix and rates, RZK's convention
    assert base["retention"] > base["baseline_retention"]
    assert "survey_sampling" in scenario.uncertain
    result = run_monte_carlo(scenario, samples=8192, seed=3)
    frame = result.to_frame()
    assert frame.loc["baseline_retention", "sd"] > 0.01  # the survey's sampling uncertainty is in the run


def test_same_seed_same_numbers_for_any_chunk_size():
    scenario = load_scenario(CHAIN_FILE)
    a = run_monte_carlo(scenario, samples=20000, seed=9, chunk_size=1000).to_frame()
    b = run_monte_carlo(scenario, samples=20000, seed=9, chunk_size=8192).to_frame()
    assert a.equals(b)


def test_roq_spread_shrinks_like_one_over_root_n_with_more_respondents():
    widths = []
    for factor in (1, 4, 16):
        scenario = _survey_only((np.array(SURVEY) * factor).tolist(), draws=8192)
        result = run_monte_carlo(scenario, samples=2**15, seed=5)
        row = result.to_frame().loc["roq"]
        widths.append(row["P95"] - row["P5"])
    ratios = [widths[0] / widths[1], widths[1] / widths[2]]
    assert all(1.7 < r < 2.3 for r in ratios), (widths, ratios)  # 4x respondents: half the width


def test_answers_csv_gives_the_crosstab(tmp_path):
    lines = ["satisfaction;repurchase"]
    for row, group in zip(SURVEY, ("dissatisfied", "satisfied", "delighted")):
        for answer, count in zip(("yes", "unsure", "no"), row):
            lines += [f"{group};{answer}"] * count
    (tmp_path / "answers.csv").write_text("\n".join(lines) + "\n")
    data = _chain_data()
    data["survey"] = {"answers": "answers.csv"}
    from_file = scenario_from_dict(data, source="chain.toml", base_dir=tmp_path)
    inline = scenario_from_dict({**data, "survey": {"counts": SURVEY}}, source="chain.toml")
    assert from_file.evaluate_base(("roq",))["roq"] == pytest.approx(inline.evaluate_base(("roq",))["roq"])


def test_rows_round_trip():
    scenario = _survey_only(SURVEY)
    again = scenario_from_rows(scenario.to_rows())
    assert again.evaluate_base(("roq",))["roq"] == pytest.approx(scenario.evaluate_base(("roq",))["roq"])


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("survey"), "programme: needs a \\[survey\\] section"),
    (lambda d: d["survey"].update(counts=[[1, 2, 3], [4, 5, 6], [7, 8, 9]]), "give exactly one of counts"),
    (lambda d: d["model"].update(baseline_retention=0.3), "model.baseline_retention: is set by the \\[survey\\]"),
    (lambda d: d["model"].update(retention=0.8), "model.retention: is set by the \\[programme\\]"),
    (lambda d: d["survey"].update(colour="red"), "survey.colour: is not a key of \\[survey\\]"),
    (lambda d: d["uncertain"].pop("gap_closed"), "programme.gap_closed: is required"),
    (lambda d: d["uncertain"]["gap_closed"].update(min=-0.2), "uncertain.gap_closed.min: must be >= 0"),
])
def test_bad_chain_sections(change, message):
    data = _chain_data()
    change(data)
    with pytest.raises(RoqInputError, match=message):
        scenario_from_dict(data, source="chain.toml")


def test_bad_counts_name_the_key():
    data = _chain_data()
    data["survey"] = {"counts": [[1, 2, 3], [4, -5, 6], [7, 8, 9]]}
    with pytest.raises(RoqInputError, match="chain.toml: survey.counts: satisfied x unsure is negative"):
        scenario_from_dict(data, source="chain.toml")
