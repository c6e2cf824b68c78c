"""Issue 11 (items 5-7): traceability, exact percentiles, targets, the retained sample
(tornado, achieved rank correlations), sample export and replicate intervals of the mean."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from simulator import __version__
from simulator.engines.local import LocalEngine
from simulator.errors import RoqInputError
from simulator.uncertainty import builtin_scenario, run_monte_carlo
from simulator.uncertainty.montecarlo import EXACT_PERCENTILE_LIMIT, RETAINED_SAMPLES, evaluate_block
from simulator.uncertainty.samplers import BLOCK_SIZE
from simulator.uncertainty.scenario import scenario_from_rows

OUTPUTS = ("roq", "npv_gain", "final_market_share")


def _all_outputs(scenario, samples, seed, sampler="random"):
    blocks = [evaluate_block(scenario, b, min(BLOCK_SIZE, samples - b * BLOCK_SIZE), seed, sampler, OUTPUTS) for b in range(-(-samples // BLOCK_SIZE))]
    return {name: np.concatenate([block[name] for block in blocks]) for name in OUTPUTS}


def _correlated():
    rows = builtin_scenario().to_rows()
    rows += [["correlation.inputs", "churn", "margin"], ["correlation.matrix", 1.0, -0.5], ["correlation.matrix", -0.5, 1.0]]
    return scenario_from_rows(rows)


def test_percentiles_are_exact_up_to_the_limit_and_configurable():
    scenario = builtin_scenario()
    samples = 3 * BLOCK_SIZE + 123
    result = run_monte_carlo(scenario, samples=samples, seed=4, percentiles=(0.01, 0.5, 0.99), engine=LocalEngine(2))
    values = _all_outputs(scenario, samples, 4)
    assert result.percentile_method == "exact" and samples <= EXACT_PERCENTILE_LIMIT
    for name in OUTPUTS:
        for q in (0.01, 0.5, 0.99):
            assert result.statistics[name]["percentiles"][q] == np.quantile(values[name], q, method="inverted_cdf")
    frame = result.percentiles_frame()
    assert frame["percentile"].tolist()[:3] == ["P1", "P50", "P99"] and (frame["error_bound"] == 0).all()
    assert (frame["sampling_se"] > 0).all()
    assert "P1 " in result.summary() and "P99" in result.summary()
    with pytest.raises(RoqInputError, match="^percentiles: "):
        run_monte_carlo(scenario, samples=100, seed=1, percentiles=(5, 50))


def test_sketch_percentiles_state_their_error_against_exact_ones():
    """Above the limit the sketch is used; its stated bound holds against the exact order statistics."""
    scenario = builtin_scenario()
    samples = 2 * BLOCK_SIZE
    sketch = run_monte_carlo(scenario, samples=samples, seed=2, exact_percentiles=False)
    values = _all_outputs(scenario, samples, 2)
    assert sketch.percentile_method == "sketch"
    for name in OUTPUTS:
        stats = sketch.statistics[name]
        for q, value in stats["percentiles"].items():
            exact = np.quantile(values[name], q, method="inverted_cdf")
            assert abs(value - exact) <= stats["percentile_error_bound"][q] * (1 + 1e-12)
            # interpolated in its bucket: far below the percentile's own sampling error
            assert abs(value - exact) <= 0.25 * stats["percentile_se"][q], (name, q, abs(value - exact) / stats["percentile_se"][q])
            assert stats["percentile_error_estimate"][q] <= stats["percentile_error_bound"][q]
    assert "sampling standard error" in sketch.summary()
    with pytest.raises(RoqInputError, match="^exact_percentiles: "):
        run_monte_carlo(scenario, samples=EXACT_PERCENTILE_LIMIT + 1, seed=1, exact_percentiles=True)


def test_targets_count_probabilities_with_wilson_intervals():
    result = run_monte_carlo(builtin_scenario(), samples=2**14, seed=3, targets={"npv_gain": [7e9], "roq": [2.8]})
    values = _all_outputs(builtin_scenario(), 2**14, 3)
    frame = result.targets_frame().set_index(["output", "threshold"])
    assert frame.loc[("npv_gain", 7e9), "probability"] == np.mean(values["npv_gain"] > 7e9)
    assert frame.loc[("roq", 2.8), "probability"] == np.mean(values["roq"] > 2.8)
    assert frame.loc[("roq", 1.0), "target"] == False  # noqa: E712 - the feasibility threshold is kept
    assert 0 < frame.loc[("npv_gain", 7e9), "ci95_halfwidth"] < 0.02
    assert "P(npv_gain > 7e+09) = " in result.summary()
    with pytest.raises(RoqInputError, match="^targets: 'churn' is not an output"):
        run_monte_carlo(builtin_scenario(), samples=100, seed=1, targets={"churn": [0.1]})


def test_provenance_and_the_achieved_rank_correlations():
    scenario = _correlated()
    result = run_monte_carlo(scenario, samples=BLOCK_SIZE + 10, seed=7)
    provenance = result.provenance()
    assert provenance["package"] == f"roq-toolkit {__version__}"
    assert provenance["scenario_sha256"] == scenario.content_hash() and len(provenance["scenario_sha256"]) == 64
    assert provenance["scenario_sha256"] != builtin_scenario().content_hash()
    assert provenance["requested_rank_correlations"] == {"churn~margin": -0.5}
    assert (provenance["seed"], provenance["sampler"], provenance["samples"]) == (7, "random", BLOCK_SIZE + 10)
    pairs = result.rank_correlations().set_index(["input_1", "input_2"])
    assert pairs.loc[("churn", "margin"), "requested"] == -0.5
    assert pairs.loc[("churn", "margin"), "achieved"] == pytest.approx(-0.5, abs=0.01)
    assert abs(pairs.loc[("market_growth", "churn"), "achieved"]) < 0.02
    assert (pairs["scenarios"] == RETAINED_SAMPLES).all()
    text = result.summary()
    assert "churn~margin -0.50" in text and "churn~margin: -0.500 -> " in text and provenance["scenario_sha256"][:16] in text
    run_sheet = dict(result.sheets()["Run"].itertuples(index=False, name=None))
    assert run_sheet["scenario_sha256"] == provenance["scenario_sha256"] and run_sheet["requested_rank_correlations"] == "churn~margin -0.50"
    document = result.to_dict()
    json.dumps(document, allow_nan=False)  # plain JSON: no NaN, no numpy types
    assert document["provenance"]["scenario_sha256"] == provenance["scenario_sha256"]


def test_content_hash_ignores_layout_but_not_values():
    scenario = builtin_scenario()
    assert scenario_from_rows(scenario.to_rows()).content_hash() == scenario.content_hash()
    rows = [row if row[0] != "model.churn" else ["model.churn", 0.096] for row in scenario.to_rows()]
    assert scenario_from_rows(rows).content_hash() != scenario.content_hash()


@pytest.mark.parametrize("chunk_size, workers", [(1000, 1), (3 * BLOCK_SIZE, 2)])
def test_retained_sample_and_tornado_are_the_same_for_any_chunking(chunk_size, workers):
    scenario = builtin_scenario()
    reference = run_monte_carlo(scenario, samples=2 * BLOCK_SIZE + 5, seed=9)
    other = run_monte_carlo(scenario, samples=2 * BLOCK_SIZE + 5, seed=9, chunk_size=chunk_size, engine=LocalEngine(workers))
    for name in OUTPUTS:
        assert np.array_equal(reference.retained["outputs"][name], other.retained["outputs"][name])
    pd.testing.assert_frame_equal(reference.sample_sensitivity("roq").table, other.sample_sensitivity("roq").table)
    assert reference.sample_sensitivity("roq").table["input"].iloc[0] == "margin"
    assert reference.retained["outputs"]["roq"].size == RETAINED_SAMPLES


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_samples_streams_every_scenario_in_order(tmp_path, suffix):
    scenario = builtin_scenario()
    samples = BLOCK_SIZE + 777
    path = tmp_path / f"samples{suffix}"
    result = run_monte_carlo(scenario, samples=samples, seed=5, chunk_size=5000, export_samples=path, engine=LocalEngine(2))
    frame = pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path, float_precision="round_trip")
    assert list(frame.columns) == ["scenario", *scenario.uncertain, *OUTPUTS]
    assert frame["scenario"].tolist() == list(range(samples))
    values = _all_outputs(scenario, samples, 5)
    for name in OUTPUTS:
        assert np.array_equal(frame[name].to_numpy(), values[name])  # CSV floats read back exactly
    assert frame["roq"].mean() == pytest.approx(result.statistics["roq"]["mean"], rel=1e-12)
    drawn = scenario.draw(0, samples, seed=5, samples=samples)
    assert np.array_equal(frame["churn"].to_numpy(), drawn["churn"])


def test_export_samples_refuses_an_unknown_suffix(tmp_path):
    with pytest.raises(RoqInputError, match="^--export-samples: .*use a .parquet or .csv"):
        run_monte_carlo(builtin_scenario(), samples=100, seed=1, export_samples=tmp_path / "x.xlsx")


@pytest.mark.parametrize("sampler", ["lhs", "sobol"])
def test_quasi_random_means_get_replicate_intervals(sampler):
    result = run_monte_carlo(builtin_scenario(), samples=8 * BLOCK_SIZE, seed=11, sampler=sampler)
    means = np.array(result.block_means["roq"])
    assert means.size == 8
    expected = 2.3646242515997927 * means.std(ddof=1) / math.sqrt(8)  # t(7) 97.5% quantile
    assert result.statistics["roq"]["mean_halfwidth"] == pytest.approx(expected, rel=1e-12)
    plain = result.statistics["roq"]["sd"] * 1.959963984540054 / math.sqrt(result.samples)
    assert result.statistics["roq"]["mean_halfwidth"] < plain  # the designs beat independent draws
    rows = result.convergence_frame()
    assert rows.loc[rows.samples < 2 * BLOCK_SIZE, "mean_ci95_halfwidth"].isna().all()
    assert (rows.loc[rows.samples >= 2 * BLOCK_SIZE, "interval"].str.startswith("t over")).all()
    assert f"Student t over 8 independent {sampler} blocks" in result.summary()


def test_random_sampler_states_the_one_over_root_n_rate():
    result = run_monte_carlo(builtin_scenario(), samples=2**12, seed=1)
    assert "1/sqrt(n)" in result.summary() and (result.convergence_frame()["interval"] == "z sd/sqrt(n)").all()
