"""Samplers and rank correlation: block reproducibility, LHS strata, Sobol' prefix property,
achieved Spearman correlation, correlation-matrix checks."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from scipy.stats import qmc

import simulator.uncertainty.correlation as correlation_module
import simulator.uncertainty.samplers as samplers_module
from simulator import RoqInputError
from simulator.uncertainty import builtin_scenario, scenario_from_dict
from simulator.uncertainty.correlation import check_correlation_matrix, correlation_from_pairs, iman_conover, spearman_matrix
from simulator.uncertainty.samplers import BLOCK_SIZE, SAMPLERS, block_length, blocks_in_range, uniform_block


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_uniforms_strictly_inside_unit_interval_and_reproducible(sampler):
    u = uniform_block(sampler, 5, 2, 3)
    assert u.shape == (BLOCK_SIZE, 3)
    assert u.min() > 0 and u.max() < 1
    assert np.array_equal(u, uniform_block(sampler, 5, 2, 3))
    assert not np.array_equal(u, uniform_block(sampler, 6, 2, 3))
    assert not np.array_equal(u, uniform_block(sampler, 5, 3, 3))


def test_random_short_block_is_prefix_of_full_block():
    assert np.array_equal(uniform_block("random", 9, 4, 3, 1000), uniform_block("random", 9, 4, 3)[:1000])


@pytest.mark.parametrize("size", [BLOCK_SIZE, 1000])
def test_lhs_has_one_point_per_stratum_in_every_column(size):
    u = uniform_block("lhs", 3, 1, 4, size)
    for j in range(4):
        assert np.array_equal(np.sort(np.floor(u[:, j] * size)), np.arange(size))


def test_sobol_blocks_are_independent_scrambles():
    """Each block is its own scrambled sequence (seeded by seed and block): independent
    replicates, so the spread of block means is an honest error estimate."""
    from simulator.uncertainty.samplers import SOBOL_STREAM, block_generator

    for b in range(3):
        engine = qmc.Sobol(3, scramble=True, bits=32, rng=block_generator(42, b, SOBOL_STREAM))
        assert np.array_equal(uniform_block("sobol", 42, b, 3), engine.random(BLOCK_SIZE) + 2.0**-33)
    assert not np.array_equal(uniform_block("sobol", 42, 0, 3), uniform_block("sobol", 42, 1, 3))
    # a shorter (last) block is the prefix of the full one
    assert np.array_equal(uniform_block("sobol", 42, 2, 3, 1000), uniform_block("sobol", 42, 2, 3)[:1000])


def test_block_bookkeeping():
    assert block_length(0, 100) == 100 and block_length(1, BLOCK_SIZE + 5) == 5 and block_length(2, BLOCK_SIZE) == 0
    assert list(blocks_in_range(BLOCK_SIZE - 2, BLOCK_SIZE + 3)) == [(0, BLOCK_SIZE - 2, BLOCK_SIZE), (1, 0, 3)]


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_draw_of_any_range_equals_the_same_rows_of_the_whole_run(sampler):
    scenario = _correlated_scenario()
    samples = 2 * BLOCK_SIZE + 1234
    whole = scenario.draw(0, samples, seed=8, sampler=sampler)
    for start, stop in [(0, 17), (BLOCK_SIZE - 5, BLOCK_SIZE + 5), (2 * BLOCK_SIZE, samples), (123, 2 * BLOCK_SIZE + 7)]:
        part = scenario.draw(start, stop, seed=8, sampler=sampler, samples=samples)
        for name in scenario.uncertain:
            assert np.array_equal(part[name], whole[name][start:stop]), (name, start, stop)


def test_bad_sampler_and_seed():
    with pytest.raises(RoqInputError, match=r"sampler: must be one of random, lhs, sobol, got 'lhc'"):
        uniform_block("lhc", 1, 0, 2)
    with pytest.raises(RoqInputError, match="seed: must be >= 0"):
        samplers_module.check_seed(-1)
    with pytest.raises(RoqInputError, match="seed: must be a whole number"):
        samplers_module.check_seed(1.5)


# --- rank correlation -------------------------------------------------------------------

TARGET = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.0], [-0.3, 0.0, 1.0]])


def _correlated_scenario(matrix=TARGET):
    data = {
        "model": dict(builtin_scenario().base),
        "uncertain": {
            "market_growth": {"distribution": "pert", "min": 0.05, "mode": 0.07, "max": 0.144},
            "margin": {"distribution": "normal", "mean": 250000, "sd": 25000},
            "discount_rate": {"distribution": "uniform", "min": 0.1, "max": 0.3},
        },
        "correlation": {"inputs": ["market_growth", "margin", "discount_rate"], "matrix": matrix.tolist()},
    }
    return scenario_from_dict(data, source="test.toml")


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_iman_conover_achieves_target_spearman_and_keeps_marginals(sampler):
    scenario = _correlated_scenario()
    drawn = scenario.draw(0, BLOCK_SIZE, seed=21, sampler=sampler)
    samples = np.column_stack([drawn[name] for name in scenario.uncertain])
    achieved = spearman_matrix(samples)
    assert np.max(np.abs(achieved - TARGET)) < 0.02
    # marginals untouched: the same values as the uncorrelated design, only re-paired
    u = uniform_block(sampler, 21, 0, 3)
    for j, distribution in enumerate(scenario.uncertain.values()):
        assert np.array_equal(np.sort(samples[:, j]), np.sort(distribution.ppf(u[:, j])))


def test_iman_conover_direct():
    rng = np.random.default_rng(4)
    x = rng.random((20_000, 2))
    target = np.array([[1.0, -0.8], [-0.8, 1.0]])
    y = iman_conover(x, target, np.random.default_rng(5))
    assert abs(spearman_matrix(y)[0, 1] + 0.8) < 0.02
    with pytest.raises(RoqInputError, match="more samples"):
        iman_conover(x[:2], target, rng)


MATRIX_ERRORS = [
    ([[1, 0.5], [0.4, 1]], "correlation.matrix: must be symmetric: a-b is 0.5 but b-a is 0.4"),
    ([[1, 0.5], [0.5, 0.9]], "correlation.matrix: diagonal must be 1 (an input's correlation with itself), got 0.9 for b"),
    ([[1, 1.5], [1.5, 1]], "correlation.matrix: correlation of a and b must lie in [-1, 1], got 1.5"),
    ([[1, 0.5, 0.2], [0.5, 1, 0.1]], "correlation.matrix: must be 2 x 2"),
    ([[1, 1], [1, 1]], "correlation.matrix: is not positive definite: its smallest eigenvalue is"),
    ([["x", 0], [0, 1]], "correlation.matrix: must be a square table of numbers"),
]


@pytest.mark.parametrize("matrix, message", MATRIX_ERRORS)
def test_invalid_matrices(matrix, message):
    with pytest.raises(RoqInputError) as info:
        check_correlation_matrix(matrix, ["a", "b"])
    assert message in str(info.value)


def test_not_positive_definite_names_eigenvalue_and_inputs():
    matrix = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]
    with pytest.raises(RoqInputError, match=r"smallest eigenvalue is -0.8 \(the combination loads on .*\); the pairwise correlations contradict each other"):
        check_correlation_matrix(matrix, ["growth", "churn", "margin"])


def test_pairs_build_matrix_and_report_errors():
    names = ["a", "b", "c"]
    matrix = correlation_from_pairs([{"between": ["a", "c"], "rank_correlation": 0.4}], names)
    assert matrix[0, 2] == matrix[2, 0] == 0.4 and matrix[0, 1] == 0
    cases = [
        ([{"between": ["a", "d"], "rank_correlation": 0.1}], "correlation[1].between: 'd' is not an uncertain input"),
        ([{"between": ["a", "a"], "rank_correlation": 0.1}], "correlation[1].between: pairs 'a' with itself"),
        ([{"between": ["a", "b"], "rank_correlation": 0.1}, {"between": ["b", "a"], "rank_correlation": 0.2}], "correlation[2].between: repeats the pair b, a"),
        ([{"between": ["a", "b"], "rank_correlation": 1.1}], "correlation[1].rank_correlation: must lie in [-1, 1], got 1.1"),
        ([{"between": ["a", "b"]}], "correlation[1].rank_correlation: is required"),
        ([{"between": ["a", "b"], "rank_corelation": 0.1}], "correlation[1].rank_corelation: is not a key of a correlation entry (did you mean 'rank_correlation'?)"),
        ([{"between": "a", "rank_correlation": 0.1}], "correlation[1].between: must name two uncertain inputs"),
    ]
    for pairs, message in cases:
        with pytest.raises(RoqInputError) as info:
            correlation_from_pairs(pairs, names)
        assert message in str(info.value)


def test_doctests():
    assert doctest.testmod(samplers_module).failed == 0
    assert doctest.testmod(correlation_module).failed == 0
