"""Sample-based sensitivity (rank correlation, contribution to variance, SRC, SRRC) against scipy and numpy."""

import doctest

import numpy as np
import pytest
import scipy.stats

from simulator import RoqInputError
from simulator.uncertainty import sample_sensitivity as module
from simulator.uncertainty.sample_sensitivity import rank_correlation, sample_sensitivity


def test_doctests():
    assert doctest.testmod(module).failed == 0


def test_rank_correlation_equals_scipy_spearman_with_ties():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 20, size=500).astype(float)  # many ties
    y = x + rng.normal(size=500)
    assert rank_correlation(x, y) == pytest.approx(scipy.stats.spearmanr(x, y).statistic, abs=1e-12)


def test_table_against_independent_computation():
    rng = np.random.default_rng(7)
    n = 4000
    inputs = {"a": rng.normal(size=n), "b": rng.uniform(size=n), "c": rng.lognormal(size=n), "fixed": np.full(n, 2.0)}
    y = np.exp(inputs["a"]) + 3 * inputs["b"] - 0.5 * inputs["c"]
    result = sample_sensitivity(inputs, y, output_name="y")
    assert result.constant_inputs == ["fixed"]
    table = result.table.set_index("input")
    for name in ("a", "b", "c"):
        assert table.loc[name, "rank_correlation"] == pytest.approx(scipy.stats.spearmanr(inputs[name], y).statistic, abs=1e-12)
    assert table.contribution_to_variance.abs().sum() == pytest.approx(1.0)
    # SRC: OLS of z-scored y on z-scored inputs, by numpy's lstsq on an explicit design with intercept
    names = ["a", "b", "c"]
    design = np.column_stack([np.ones(n)] + [(inputs[k] - inputs[k].mean()) / inputs[k].std() for k in names])
    beta, *_ = np.linalg.lstsq(design, (y - y.mean()) / y.std(), rcond=None)
    for k, b in zip(names, beta[1:]):
        assert table.loc[k, "src"] == pytest.approx(b, abs=1e-10)
    assert list(result.table.input) == sorted(names, key=lambda k: -abs(table.loc[k, "rank_correlation"]))
    assert "rank corr" in result.summary() and "fixed" in result.summary()


@pytest.mark.parametrize("inputs, output, message", [
    ({"a": np.arange(5.0)}, np.arange(5.0), "needs at least 10 scenarios"),
    ({"a": np.arange(20.0)}, np.r_[np.arange(19.0), np.nan], "not finite"),
    ({"a": np.arange(20.0)}, np.ones(20), "is constant"),
    ({"a": np.arange(19.0)}, np.arange(20.0), "inputs.a: has 19 values but the output has 20"),
    ({"a": np.ones(20)}, np.arange(20.0), "no input varies"),
])
def test_bad_input(inputs, output, message):
    with pytest.raises(RoqInputError, match=message):
        sample_sensitivity(inputs, output, output_name="roq")
