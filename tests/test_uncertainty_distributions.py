"""Distributions for uncertain inputs: sample moments vs analytic ones, inverse-CDF accuracy,
supports, and every bad specification with its message."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from scipy import special, stats

import simulator.uncertainty.distributions as distributions_module
from simulator import RoqInputError
from simulator.uncertainty.distributions import (
    Beta,
    Discrete,
    LogNormal,
    Normal,
    Pert,
    TruncatedNormal,
    distribution_from_spec,
)

N = 2**20

SPECS = {
    "uniform": {"distribution": "uniform", "min": 0.10, "max": 0.30},
    "triangular": {"distribution": "triangular", "min": 0.05, "mode": 0.095, "max": 0.15},
    "pert": {"distribution": "pert", "min": 0.05, "mode": 0.07, "max": 0.144},
    "pert_lambda": {"distribution": "pert", "min": 200000, "mode": 250000, "max": 300000, "lambda": 2.5},
    "normal": {"distribution": "normal", "mean": 250000, "sd": 20000},
    "truncnormal": {"distribution": "truncnormal", "mean": 0.2, "sd": 0.1, "min": 0.05, "max": 0.4},
    "truncnormal_one_sided": {"distribution": "truncnormal", "mean": 0.0, "sd": 1.0, "min": 1.5},
    "truncnormal_far_tail": {"distribution": "truncnormal", "mean": 0.0, "sd": 1.0, "min": 6.0, "max": 7.0},
    "lognormal_moments": {"distribution": "lognormal", "mean": 699e6, "sd": 100e6},
    "lognormal_log": {"distribution": "lognormal", "mu": -2.5, "sigma": 0.4},
    "beta": {"distribution": "beta", "alpha": 2.0, "beta": 5.0},
    "beta_scaled_u": {"distribution": "beta", "alpha": 0.5, "beta": 0.5, "min": 0.6, "max": 0.85},
    "discrete": {"distribution": "discrete", "values": [0.05, 0.07, 0.08, 0.144], "weights": [1, 4, 3, 0.5]},
    "empirical": {"distribution": "empirical", "values": [0.0598, 0.0780, 0.0807, 0.0659, 0.0707, 0.1439]},
}


@pytest.mark.parametrize("name", list(SPECS))
def test_sample_moments_match_analytic(name):
    distribution = distribution_from_spec(SPECS[name], where=f"uncertain.{name}")
    u = np.random.default_rng(20240501).random(N) + 2.0**-54
    x = distribution.ppf(u)
    mean, sd = distribution.mean, distribution.std
    # the sample mean is within 5 standard errors; the variance within 5 of its standard errors
    assert abs(x.mean() - mean) < 5 * sd / math.sqrt(N)
    fourth = np.mean((x - mean) ** 4)
    variance_se = math.sqrt(max(fourth - distribution.variance**2, 0.0) / N)
    assert abs(x.var() - distribution.variance) < 5 * variance_se + 1e-12 * distribution.variance
    low, high = distribution.support
    assert x.min() >= low and x.max() <= high


@pytest.mark.parametrize(
    "distribution, reference",
    [
        (Pert(0.05, 0.07, 0.144), stats.beta(1 + 4 * 0.02 / 0.094, 1 + 4 * 0.074 / 0.094, loc=0.05, scale=0.094)),
        (Beta(2.0, 5.0), stats.beta(2.0, 5.0)),
        (Beta(0.5, 0.5, 0.6, 0.85), stats.beta(0.5, 0.5, loc=0.6, scale=0.25)),
        (Beta(5.0, 1.0), stats.beta(5.0, 1.0)),
        (Beta(200.0, 3.0), stats.beta(200.0, 3.0)),
        (TruncatedNormal(0.2, 0.1, 0.05, 0.4), stats.truncnorm(-1.5, 2.0, loc=0.2, scale=0.1)),
        (TruncatedNormal(0.0, 1.0, 6.0, 7.0), stats.truncnorm(6.0, 7.0)),
        (Normal(3.0, 2.0), stats.norm(3.0, 2.0)),
        (LogNormal.from_mean_sd(699e6, 100e6), None),
    ],
)
def test_ppf_agrees_with_scipy(distribution, reference):
    u = np.concatenate([np.linspace(0, 1, 200_001)[1:-1], [1e-12, 1e-7, 1e-4, 1 - 1e-4, 1 - 1e-7]])
    x = distribution.ppf(u)
    if reference is None:  # lognormal: compare with scipy's parametrisation of the same law
        reference = stats.lognorm(distribution.sigma, scale=math.exp(distribution.mu))
        assert reference.mean() == pytest.approx(699e6) and reference.std() == pytest.approx(100e6)
    expected = reference.ppf(u)
    low, high = reference.support()
    scale = (high - low) if np.isfinite(high - low) else reference.std()
    # the tabulated beta/PERT inverse is documented to 2e-6 of the range; the others are exact
    tolerance = 2e-6 if isinstance(distribution, (Pert, Beta)) else 1e-8
    assert np.max(np.abs(x - expected)) < tolerance * scale
    assert np.all(np.diff(x[np.argsort(u)]) >= 0)  # monotone


@pytest.mark.parametrize("distribution", [Pert(0.05, 0.07, 0.144), Beta(2.0, 5.0), Beta(0.5, 0.5), Beta(5.0, 1.0), Beta(200.0, 3.0), Beta(3.0, 200.0)])
def test_beta_tails_are_tabulated_to_the_exact_inverse(distribution):
    """In the outer 0.1% of probability the tail tables (against (u / u_tail)^(1/alpha)) match
    betaincinv, the upper tail computed from Beta(beta, alpha) at 1 - u, which keeps its digits."""
    from scipy import special

    distribution.standard_ppf(0.5)
    lower_mass, upper_mass = distribution._tail_mass
    rng = np.random.default_rng(11)
    lower = np.concatenate([rng.random(50_000) * lower_mass, lower_mass * 10.0 ** -rng.uniform(0, 13, 5_000)])
    upper = np.concatenate([rng.random(50_000) * upper_mass, upper_mass * 10.0 ** -rng.uniform(0, 12.9, 5_000)])
    a, b = distribution.alpha, distribution.beta
    assert np.max(np.abs(distribution.standard_ppf(lower) - special.betaincinv(a, b, lower))) < 5e-8
    near_one = 1.0 - upper  # rounded; 1 - near_one is exact (Sterbenz), so the reference uses it
    assert np.max(np.abs(distribution.standard_ppf(near_one) - (1.0 - special.betaincinv(b, a, 1.0 - near_one)))) < 5e-8
    edges = np.array([0.0, lower_mass, 1.0 - upper_mass, 1.0])
    assert distribution.standard_ppf(edges)[[0, 3]].tolist() == [0.0, 1.0]
    u = np.sort(np.concatenate([lower, 1.0 - upper, edges, np.nextafter(edges[1:3], 0), np.nextafter(edges[1:3], 1)]))
    assert np.all(np.diff(distribution.standard_ppf(u)) >= 0)  # monotone across the tables' joins


def test_pert_mean_variance_formulas():
    d = Pert(0.05, 0.07, 0.144)
    assert d.mean == pytest.approx((0.05 + 4 * 0.07 + 0.144) / 6)
    assert d.variance == pytest.approx((d.mean - 0.05) * (0.144 - d.mean) / 7)


def test_triangular_and_uniform_formulas():
    t = distribution_from_spec(SPECS["triangular"])
    assert t.mean == pytest.approx((0.05 + 0.095 + 0.15) / 3)
    a, c, b = 0.05, 0.095, 0.15
    assert t.variance == pytest.approx((a * a + b * b + c * c - a * b - a * c - b * c) / 18)
    assert t.ppf(np.array([0.0, 1.0])).tolist() == pytest.approx([0.05, 0.15])
    uniform = distribution_from_spec(SPECS["uniform"])
    assert uniform.ppf(np.array([0.25])) == pytest.approx(0.15)


def test_lognormal_two_parametrisations_agree():
    by_moments = distribution_from_spec({"distribution": "lognormal", "mean": 2.0, "sd": 0.5})
    by_log = distribution_from_spec({"distribution": "lognormal", "mu": by_moments.mu, "sigma": by_moments.sigma})
    u = np.linspace(0.01, 0.99, 99)
    np.testing.assert_allclose(by_moments.ppf(u), by_log.ppf(u))
    assert by_moments.mean == pytest.approx(2.0) and by_moments.std == pytest.approx(0.5)
    assert by_moments.support_open == (True, True)


def test_discrete_ppf_is_weighted_inverse_cdf():
    d = distribution_from_spec({"distribution": "discrete", "values": [3, 1, 2], "weights": [1, 1, 2]})
    # sorted values 1, 2, 3 with weights 1/4, 1/2, 1/4
    assert d.ppf(np.array([0.1, 0.25, 0.26, 0.75, 0.76, 0.999])).tolist() == [1, 1, 2, 2, 3, 3]
    assert d.mean == pytest.approx(2.0) and d.variance == pytest.approx(0.5)


def test_empirical_from_csv_column_skips_blanks(tmp_path):
    (tmp_path / "growth.csv").write_text("year,growth,weight\n1,0.0598,1\n2,,1\n3,0.0780,2\n4,0.0807,1\n")
    d = distribution_from_spec({"distribution": "empirical", "file": "growth.csv", "column": "growth", "weights_column": "weight"}, base_dir=tmp_path)
    assert d.values.tolist() == [0.0598, 0.0780, 0.0807]  # the blank row is missing, not zero
    assert d.mean == pytest.approx((0.0598 + 2 * 0.0780 + 0.0807) / 4)
    assert "growth" in d.describe()


def test_sample_is_reproducible():
    d = distribution_from_spec(SPECS["pert"])
    assert np.array_equal(d.sample(1000, seed=3), d.sample(1000, seed=3))


def test_describe_and_spec_round_trip():
    for spec in SPECS.values():
        d = distribution_from_spec(spec)
        again = distribution_from_spec(d.to_spec())
        assert again == d
        assert d.describe()


BAD = [
    ({"min": 1}, "uncertain.x.distribution: is required"),
    ({"distribution": "gaussain", "mean": 0, "sd": 1}, "uncertain.x.distribution: unknown distribution 'gaussain' (did you mean 'normal'?)"),
    ({"distribution": "pret", "min": 0, "mode": 1, "max": 2}, "(did you mean 'pert'?)"),
    ({"distribution": "uniform", "min": 0.3, "max": 0.1}, "uncertain.x.max: must be > min (0.3) so that min < max, got 0.1"),
    ({"distribution": "uniform", "min": 0.1, "max": 0.1}, "uncertain.x.max: must be > min"),
    ({"distribution": "uniform", "min": 0.1, "maximum": 0.3}, "uncertain.x.maximum: is not a parameter of the uniform distribution (did you mean 'max'?)"),
    ({"distribution": "uniform", "min": 0.1}, "uncertain.x.max: is required"),
    ({"distribution": "uniform", "min": "low", "max": 1}, "uncertain.x.min: must be a number, got 'low'"),
    ({"distribution": "uniform", "min": True, "max": 1}, "uncertain.x.min: must be a number, got True"),
    ({"distribution": "triangular", "min": 0.05, "mode": 0.2, "max": 0.15}, "uncertain.x.mode: must lie between min (0.05) and max (0.15), got 0.2"),
    ({"distribution": "pert", "min": 1, "mode": 2, "max": 3, "lambda": 0}, "uncertain.x.lambda: must be > 0"),
    ({"distribution": "normal", "mean": 1, "sd": 0}, "uncertain.x.sd: must be > 0, got 0"),
    ({"distribution": "normal", "mean": 1, "sd": -2}, "uncertain.x.sd: must be > 0, got -2"),
    ({"distribution": "truncnormal", "mean": 0, "sd": 1}, "uncertain.x.min: a truncated normal needs min and/or max"),
    ({"distribution": "truncnormal", "mean": 0, "sd": 1, "min": 40}, "uncertain.x.min: leaves (numerically) no probability"),
    ({"distribution": "lognormal", "mean": 1, "sd": 1, "mu": 0}, "uncertain.x.mu: give either mean and sd"),
    ({"distribution": "lognormal", "mean": -1, "sd": 1}, "uncertain.x.mean: must be > 0, got -1"),
    ({"distribution": "lognormal"}, "uncertain.x.mean: is required"),
    ({"distribution": "beta", "alpha": 0, "beta": 1}, "uncertain.x.alpha: must be > 0, got 0"),
    ({"distribution": "beta", "alpha": 1, "beta": 1, "min": 1, "max": 0}, "uncertain.x.max: must be > min"),
    ({"distribution": "discrete", "values": []}, "uncertain.x.values: has no values"),
    ({"distribution": "discrete", "values": [1, "a"]}, "uncertain.x.values: must contain only finite numbers; item 2 is 'a'"),
    ({"distribution": "discrete", "values": [1, 2], "weights": [1]}, "uncertain.x.weights: has 1 weights for 2 values"),
    ({"distribution": "discrete", "values": [1, 2], "weights": [1, -1]}, "uncertain.x.weights: must be >= 0, got -1"),
    ({"distribution": "discrete", "values": [1, 2], "weights": [0, 0]}, "uncertain.x.weights: must not all be zero"),
    ({"distribution": "discrete"}, "uncertain.x.values: give either values"),
    ({"distribution": "discrete", "file": "nowhere.csv", "column": "g"}, "uncertain.x.file: no such file"),
    ("pert", "uncertain.x: must be a table"),
]


@pytest.mark.parametrize("spec, message", BAD)
def test_bad_specs_name_the_key(spec, message):
    with pytest.raises(RoqInputError) as info:
        distribution_from_spec(spec, where="uncertain.x")
    assert message in str(info.value)


def test_bad_csv_column_suggests_the_closest(tmp_path):
    (tmp_path / "d.csv").write_text("growth\n0.1\nabc\n")
    with pytest.raises(RoqInputError, match=r"uncertain.x.column: no column 'grwth' .*did you mean 'growth'"):
        distribution_from_spec({"distribution": "discrete", "file": "d.csv", "column": "grwth"}, where="uncertain.x", base_dir=tmp_path)
    with pytest.raises(RoqInputError, match=r"uncertain.x.column: column 'growth' of .* has a non-numeric value 'abc' on line 3"):
        distribution_from_spec({"distribution": "discrete", "file": "d.csv", "column": "growth"}, where="uncertain.x", base_dir=tmp_path)


def test_doctests():
    assert doctest.testmod(distributions_module).failed == 0


@pytest.mark.parametrize("name", list(SPECS))
def test_ppf_of_one_value_equals_the_array_result(name):
    distribution = distribution_from_spec(SPECS[name], where=f"uncertain.{name}")
    for u in (0.0005, 0.3, 0.5, 0.9995):
        single = distribution.ppf(u)
        assert np.ndim(single) == 0
        assert float(single) == pytest.approx(float(distribution.ppf(np.array([u]))[0]), rel=1e-12, abs=1e-15)
