"""Monte Carlo: bit-identical across chunk sizes and threads, streaming statistics equal to
numpy on the very same scenarios, convergence report, result objects, bad arguments."""

from __future__ import annotations

import math

import numpy as np
import pytest

import simulator.uncertainty.montecarlo as montecarlo_module
from simulator import RoqInputError
from simulator.roq import evaluate
from simulator.uncertainty import BLOCK_SIZE, builtin_scenario, run_monte_carlo, scenario_from_dict
from simulator.uncertainty.statistics import DEFAULT_MIN_MAGNITUDE, DEFAULT_RELATIVE_ACCURACY

SAMPLES = 2 * BLOCK_SIZE + 5_000  # two whole blocks and a partial one


def correlated_builtin():
    base = builtin_scenario()
    data = {
        "model": dict(base.base),
        "uncertain": {name: d.to_spec() for name, d in base.uncertain.items()},
        "correlation": [{"between": ["market_growth", "margin"], "rank_correlation": 0.3}],
        "outputs": {"names": ["roq", "npv_gain", "final_market_share", "npv_net"]},
    }
    return scenario_from_dict(data, source="correlated.toml")


def assert_identical(a, b):
    assert a.statistics == b.statistics  # exact equality, floats included
    assert a.convergence == b.convergence
    for name in a.outputs:
        x, y = a.partial["outputs"][name], b.partial["outputs"][name]
        assert np.array_equal(x["counts"], y["counts"]) and np.array_equal(x["sums"], y["sums"])
        assert x["mean"] == y["mean"] and x["m2"] == y["m2"]


@pytest.mark.parametrize("sampler", ["random", "lhs", "sobol"])
def test_bit_identical_across_chunk_sizes_and_workers(sampler):
    scenario = correlated_builtin()
    reference = run_monte_carlo(scenario, SAMPLES, seed=12, sampler=sampler, chunk_size=8192, workers=1)
    for chunk_size, workers in [(1000, 1), (BLOCK_SIZE, 2), (3 * BLOCK_SIZE, 1), (777, 2)]:
        other = run_monte_carlo(scenario, SAMPLES, seed=12, sampler=sampler, chunk_size=chunk_size, workers=workers)
        assert_identical(reference, other)
    different = run_monte_carlo(scenario, SAMPLES, seed=13, sampler=sampler, chunk_size=8192, workers=1)
    assert different.statistics["roq"]["mean"] != reference.statistics["roq"]["mean"]


def test_streaming_statistics_equal_numpy_on_the_same_scenarios():
    scenario = correlated_builtin()
    result = run_monte_carlo(scenario, SAMPLES, seed=5, sampler="lhs")
    params = scenario.draw(0, SAMPLES, seed=5, sampler="lhs")
    values = evaluate(params, scenario.outputs, validate=False)
    for name in scenario.outputs:
        x = np.asarray(values[name])
        stats = result.statistics[name]
        assert stats["count"] == SAMPLES
        assert stats["mean"] == pytest.approx(x.mean(), rel=1e-12)
        assert stats["sd"] == pytest.approx(x.std(ddof=1), rel=1e-10)
        ordered = np.sort(x)
        for q, estimate in stats["percentiles"].items():
            exact = ordered[math.ceil(round(q * SAMPLES, 6)) - 1]
            assert abs(estimate - exact) <= DEFAULT_RELATIVE_ACCURACY * abs(exact) + DEFAULT_MIN_MAGNITUDE
        k = 0.05 * SAMPLES
        shortfall = (ordered[: int(k)].sum() + (k - int(k)) * ordered[int(k)]) / k
        assert stats["expected_shortfall"] == pytest.approx(shortfall, rel=DEFAULT_RELATIVE_ACCURACY)
    assert result.probability("roq") == np.count_nonzero(values["roq"] > 1) / SAMPLES
    assert result.probability("npv_net") == np.count_nonzero(values["npv_net"] > 0) / SAMPLES


PATHS = ("market_share_path", "market_share_path_without_programme")


def test_per_year_statistics_equal_numpy_on_the_same_paths():
    scenario = correlated_builtin()
    result = run_monte_carlo(scenario, SAMPLES, seed=5, sampler="lhs", path_outputs=PATHS)
    params = scenario.draw(0, SAMPLES, seed=5, sampler="lhs")
    paths = evaluate(params, PATHS, validate=False)
    assert result.years == 5 and result.path_outputs == PATHS
    for name in PATHS:
        x = np.asarray(paths[name])
        table = result.path_statistics(name)
        assert list(table.columns) == ["year", "mean", "sd", "P5", "P10", "P25", "P50", "P75", "P90", "P95"]
        assert table["year"].tolist() == [1, 2, 3, 4, 5]
        np.testing.assert_allclose(table["mean"], x.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(table["sd"], x.std(axis=0, ddof=1), rtol=1e-9)
        for column in ["P5", "P10", "P25", "P50", "P75", "P90", "P95"]:
            exact = np.percentile(x, float(column[1:]), axis=0, method="inverted_cdf")
            estimate = table[column].to_numpy()
            assert np.all(np.abs(estimate - exact) <= DEFAULT_RELATIVE_ACCURACY * np.abs(exact) + DEFAULT_MIN_MAGNITUDE), column
    # the scalar outputs, their convergence report and table are those of a run without paths
    # on the same (numpy) path: per-year outputs are not on the compiled kernel
    assert result.kernel == "numpy"
    plain = run_monte_carlo(scenario, SAMPLES, seed=5, sampler="lhs", kernel="numpy")
    assert plain.path_outputs == () and plain.years == 0 and set(plain.statistics) == set(plain.outputs)
    assert all(result.statistics[name] == plain.statistics[name] for name in plain.outputs)
    assert result.convergence == plain.convergence


@pytest.mark.parametrize("sampler", ["random", "sobol"])
def test_per_year_statistics_bit_identical_across_chunk_sizes_and_workers(sampler):
    scenario = builtin_scenario()
    reference = run_monte_carlo(scenario, SAMPLES, seed=3, sampler=sampler, workers=1, path_outputs=PATHS)
    for chunk_size, workers in [(1000, 2), (3 * BLOCK_SIZE, 1)]:
        other = run_monte_carlo(scenario, SAMPLES, seed=3, sampler=sampler, chunk_size=chunk_size, workers=workers, path_outputs=PATHS)
        assert_identical(reference, other)
        for name in reference.partial["outputs"]:
            x, y = reference.partial["outputs"][name], other.partial["outputs"][name]
            assert np.array_equal(x["counts"], y["counts"]) and np.array_equal(x["sums"], y["sums"]) and x["m2"] == y["m2"]
        assert reference.path_statistics("market_share_path").equals(other.path_statistics("market_share_path"))


def test_per_year_arguments():
    scenario = builtin_scenario()
    with pytest.raises(RoqInputError, match="path_outputs: 'roq' is not a per-year model output"):
        run_monte_carlo(scenario, samples=10, path_outputs=("roq",))
    with pytest.raises(RoqInputError, match="path_outputs: 'share' is not a per-year"):
        run_monte_carlo(scenario, samples=10, path_outputs="share")
    result = run_monte_carlo(scenario, samples=10, path_outputs="market_size_path")
    assert result.path_outputs == ("market_size_path",) and len(result.path_statistics("market_size_path")) == 5
    with pytest.raises(RoqInputError, match="name: 'market_share_path' was not summarised per year"):
        result.path_statistics("market_share_path")


def test_builtin_run_summary_frame_and_convergence():
    result = run_monte_carlo(builtin_scenario(), samples=4 * BLOCK_SIZE, seed=3)
    frame = result.to_frame()
    assert list(frame.index) == ["roq", "npv_gain", "final_market_share"]
    for column in ("mean", "sd", "P5", "P50", "P95", "ES5", "P_above_threshold", "mean_ci95_halfwidth", "base_case"):
        assert column in frame.columns
    assert frame.loc["roq", "P5"] < frame.loc["roq", "P50"] < frame.loc["roq", "P95"]
    assert frame.loc["roq", "ES5"] < frame.loc["roq", "P5"]
    assert frame.loc["roq", "base_case"] == pytest.approx(2.718, abs=1e-3)
    convergence = result.convergence_frame()
    roq = convergence[convergence.output == "roq"]
    assert roq.samples.tolist() == [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144]
    # half-widths shrink like 1 / sqrt(n)
    ratio = roq.mean_ci95_halfwidth.iloc[0] / roq.mean_ci95_halfwidth.iloc[-1]
    assert ratio == pytest.approx(math.sqrt(256), rel=0.2)
    assert roq.probability_ci95_halfwidth.notna().all()
    text = result.summary()
    for needle in ("P(roq > 1)", "mean 95% CI", "ES 5%", "Convergence of roq", "P95", "npv_gain (IDR)"):
        assert needle in text
    assert set(result.sheets()) == {"Summary", "Percentiles", "Targets", "Convergence", "Scenario", "Run", "Correlations", "Sensitivity"}


def test_small_run_has_final_checkpoint_only():
    result = run_monte_carlo(builtin_scenario(), samples=500, seed=1)
    assert result.convergence_frame().samples.unique().tolist() == [500]
    assert result.statistics["roq"]["count"] == 500


def test_progress_bar_goes_to_stderr(capsys):
    run_monte_carlo(builtin_scenario(), samples=2 * BLOCK_SIZE, seed=1, progress=True, workers=1)
    captured = capsys.readouterr()
    assert captured.out == "" and "Monte Carlo" in captured.err


def test_bad_arguments():
    scenario = builtin_scenario()
    with pytest.raises(RoqInputError, match="samples: must be >= 1"):
        run_monte_carlo(scenario, samples=0)
    with pytest.raises(RoqInputError, match="sampler: must be one of random, lhs, sobol, got 'mc'"):
        run_monte_carlo(scenario, samples=10, sampler="mc")
    with pytest.raises(RoqInputError, match="chunk_size: must be >= 1"):
        run_monte_carlo(scenario, samples=10, chunk_size=0)
    with pytest.raises(RoqInputError, match="outputs: unknown or per-year output 'market_share_path'"):
        run_monte_carlo(scenario, samples=10, outputs=["market_share_path"])
    result = run_monte_carlo(scenario, samples=10)
    with pytest.raises(RoqInputError, match="threshold: no exceedance count"):
        result.probability("npv_gain")


def test_evaluate_block_matches_draw():
    scenario = builtin_scenario()
    values = montecarlo_module.evaluate_block(scenario, 1, 3000, 4, "random", ("roq",), chunk_size=1000)
    params = scenario.draw(BLOCK_SIZE, BLOCK_SIZE + 3000, seed=4, sampler="random", samples=BLOCK_SIZE + 3000)
    assert np.array_equal(values["roq"], evaluate(params, ("roq",), validate=False)["roq"])
    paths = montecarlo_module.evaluate_block(scenario, 1, 3000, 4, "random", ("market_share_path",), chunk_size=700)["market_share_path"]
    assert paths.shape == (3000, 5)
    assert np.array_equal(paths, evaluate(params, ("market_share_path",), validate=False)["market_share_path"])


def test_doctest_example():
    import doctest

    assert doctest.testmod(montecarlo_module).failed == 0
