"""run_sensitivity on analytic test functions with known sensitivity indices, through the
public API a user calls with their own model; result objects; bad input."""

from __future__ import annotations

import doctest
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simulator.uncertainty.sensitivity
from simulator import RoqInputError
from simulator.uncertainty.sensitivity import METHODS, SensitivityResult, run_sensitivity

# --------------------------------------------------------------------------------------
# analytic test functions
# --------------------------------------------------------------------------------------

# Ishigami & Homma (1990), a = 7, b = 0.1, inputs U(-pi, pi); analytic variances as in
# Saltelli et al. (2008), Global Sensitivity Analysis: The Primer.
ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1
_V1 = 0.5 * (1 + ISHIGAMI_B * math.pi**4 / 5) ** 2
_V2 = ISHIGAMI_A**2 / 8
_V13 = ISHIGAMI_B**2 * math.pi**8 * (1 / 18 - 1 / 50)
_V = _V1 + _V2 + _V13
ISHIGAMI_S1 = np.array([_V1, _V2, 0.0]) / _V  # 0.3139, 0.4424, 0
ISHIGAMI_ST = np.array([_V1 + _V13, _V2, _V13]) / _V  # 0.5576, 0.4424, 0.2437
ISHIGAMI_S13 = _V13 / _V  # 0.2437
ISHIGAMI_INPUTS = {name: stats.uniform(-math.pi, 2 * math.pi) for name in ("x1", "x2", "x3")}


def ishigami(x):
    return np.sin(x["x1"]) + ISHIGAMI_A * np.sin(x["x2"]) ** 2 + ISHIGAMI_B * x["x3"] ** 4 * np.sin(x["x1"])


# Sobol' G-function, inputs U(0, 1): V_i = 1 / (3 (1 + a_i)^2),
# S1_i = V_i / V, ST_i = V_i prod_{j != i}(1 + V_j) / V, V = prod(1 + V_i) - 1.
G_A = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0])
G_NAMES = [f"x{i + 1}" for i in range(len(G_A))]
_GV = 1 / (3 * (1 + G_A) ** 2)
_GVT = np.prod(1 + _GV) - 1
G_S1 = _GV / _GVT
G_ST = _GV * np.prod(1 + _GV) / (1 + _GV) / _GVT
G_INPUTS = {name: stats.uniform(0, 1) for name in G_NAMES}


def g_function(x):
    out = np.ones_like(x["x1"])
    for name, a in zip(G_NAMES, G_A):
        out = out * (np.abs(4 * x[name] - 2) + a) / (1 + a)
    return out


# Linear model with non-uniform inputs: S1_i = ST_i = a_i^2 var_i / sum_j a_j^2 var_j.
LINEAR_COEF = {"x1": 2.0, "x2": 1.0, "x3": -3.0, "x4": 1.0}
LINEAR_INPUTS = {
    "x1": stats.norm(1.0, 0.5),
    "x2": stats.lognorm(s=0.4, scale=math.exp(0.2)),
    "x3": stats.triang(c=0.3, loc=0.0, scale=2.0),
    "x4": stats.uniform(0.0, 3.0),
}
_LV = np.array([LINEAR_COEF[k] ** 2 * LINEAR_INPUTS[k].var() for k in LINEAR_COEF])
LINEAR_SHARE = _LV / _LV.sum()  # 0.2752, 0.0836, 0.4348, 0.2064

# All-normal linear model: Morris mu* (on quantile steps) and eFAST rank by |a_i| sd_i.
NORMAL_COEF = {"x1": 1.0, "x2": -2.0, "x3": 0.5, "x4": 4.0}
NORMAL_INPUTS = {"x1": stats.norm(0, 1.0), "x2": stats.norm(10, 0.2), "x3": stats.norm(-3, 3.0), "x4": stats.norm(1, 0.05)}
NORMAL_ORDER = ["x3", "x1", "x2", "x4"]  # |a| sd = 1.5, 1.0, 0.4, 0.2


def linear(coefficients):
    return lambda x: sum(c * x[k] for k, c in coefficients.items())


def by_input(result, column, names):
    return result.table.set_index("input").loc[names, column].to_numpy()


# --------------------------------------------------------------------------------------
# Sobol' indices against the analytic values
# --------------------------------------------------------------------------------------


def test_docstring_examples():
    assert doctest.testmod(simulator.uncertainty.sensitivity, raise_on_error=False).failed == 0


@pytest.mark.parametrize("backend", ["fast", "salib"])
def test_sobol_ishigami_within_confidence_intervals(backend):
    result = run_sensitivity(ishigami, ISHIGAMI_INPUTS, "sobol", samples=4096, seed=11, output_name="y", backend=backend)
    names = ["x1", "x2", "x3"]
    for column, truth in (("S1", ISHIGAMI_S1), ("ST", ISHIGAMI_ST)):
        estimate, conf = by_input(result, column, names), by_input(result, column + "_conf", names)
        assert np.all(np.abs(estimate - truth) <= conf), (column, estimate, conf)
        assert np.all(conf < 0.06)
    pairs = result.second_order.set_index(["input_1", "input_2"])
    s13 = pairs.loc[("x1", "x3")]
    assert abs(s13["S2"] - ISHIGAMI_S13) <= s13["S2_conf"]
    for pair in (("x1", "x2"), ("x2", "x3")):
        assert abs(pairs.loc[pair, "S2"]) <= pairs.loc[pair, "S2_conf"]
    assert result.ranking == ["x1", "x2", "x3"]
    assert result.n_evaluations == 4096 * (2 * 3 + 2)


def test_sobol_backends_agree_on_the_same_design():
    common = dict(samples=512, seed=5, output_name="y")
    fast = run_sensitivity(ishigami, ISHIGAMI_INPUTS, "sobol", backend="fast", ci_method="bootstrap", **common)
    reference = run_sensitivity(ishigami, ISHIGAMI_INPUTS, "sobol", backend="salib", **common)
    for key in ("S1", "ST", "S2"):
        np.testing.assert_allclose(fast.raw[key], reference.raw[key], atol=1e-10)
    ratio = fast.table["ST_conf"] / reference.table["ST_conf"]
    assert ratio.between(0.6, 1.6).all()


def test_sobol_g_function_first_and_total_order():
    result = run_sensitivity(g_function, G_INPUTS, "sobol", samples=4096, seed=2, output_name="y", second_order=False)
    for column, truth in (("S1", G_S1), ("ST", G_ST)):
        estimate, conf = by_input(result, column, G_NAMES), by_input(result, column + "_conf", G_NAMES)
        # twelve 95% intervals: one may miss by chance; twice the half-width is a ~99.99% band
        assert np.all(np.abs(estimate - truth) <= np.maximum(2 * conf, 0.005)), (column, estimate - truth, conf)
    assert result.ranking[:4] == G_NAMES[:4]
    assert set(result.ranking[4:]) == {"x5", "x6"}
    assert result.second_order is None
    assert result.n_evaluations == 4096 * (6 + 2)


@pytest.mark.parametrize("ci_method", ["bootstrap", "asymptotic"])
def test_sobol_non_uniform_inputs_give_variance_shares(ci_method):
    # normal, lognormal, triangular, uniform inputs: proves the .ppf mapping
    result = run_sensitivity(linear(LINEAR_COEF), LINEAR_INPUTS, "sobol", samples=4096, seed=3, output_name="y", ci_method=ci_method)
    names = list(LINEAR_COEF)
    for column in ("S1", "ST"):
        estimate, conf = by_input(result, column, names), by_input(result, column + "_conf", names)
        assert np.all(np.abs(estimate - LINEAR_SHARE) <= conf), (column, estimate - LINEAR_SHARE, conf)
    assert np.all(np.abs(result.second_order["S2"]) <= result.second_order["S2_conf"])
    assert result.ranking == ["x3", "x1", "x4", "x2"]
    assert result.options["ci_method"] == ci_method


def test_sobol_unbounded_inputs_stay_finite_without_scrambling():
    # the unscrambled Sobol' sequence starts at exactly 0: ppf(0) = -inf unless handled
    result = run_sensitivity(linear(NORMAL_COEF), NORMAL_INPUTS, "sobol", samples=256, seed=0, output_name="y", scramble=False)
    assert np.isfinite(result.table[["S1", "ST"]].to_numpy()).all()


# --------------------------------------------------------------------------------------
# Morris, eFAST, delta, PAWN rank the inputs correctly
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method, samples", [("morris", 40), ("fast", 500)])
def test_screening_methods_rank_g_function(method, samples):
    result = run_sensitivity(g_function, G_INPUTS, method, samples=samples, seed=4, output_name="y")
    assert result.ranking[:4] == G_NAMES[:4]
    assert set(result.ranking[4:]) == {"x5", "x6"}
    assert list(result.table["rank"]) == sorted(result.table["rank"])


@pytest.mark.parametrize("method, samples", [("morris", 40), ("fast", 500)])
def test_screening_methods_rank_normal_linear_model(method, samples):
    result = run_sensitivity(linear(NORMAL_COEF), NORMAL_INPUTS, method, samples=samples, seed=6, output_name="y")
    assert result.ranking == NORMAL_ORDER


def test_morris_columns_and_design_size():
    result = run_sensitivity(g_function, G_INPUTS, "morris", samples=20, seed=1, output_name="y", levels=6)
    assert list(result.table.columns) == ["input", "mu", "mu_star", "sigma", "mu_star_conf", "rank"]
    assert result.n_evaluations == 20 * (6 + 1)
    assert (result.table["mu_star"] >= result.table["mu"].abs() - 1e-12).all()


def test_fast_indices_close_to_analytic_for_ishigami():
    result = run_sensitivity(ishigami, ISHIGAMI_INPUTS, "fast", samples=2000, seed=7, output_name="y")
    names = ["x1", "x2", "x3"]
    np.testing.assert_allclose(by_input(result, "S1", names), ISHIGAMI_S1, atol=0.03)
    np.testing.assert_allclose(by_input(result, "ST", names), ISHIGAMI_ST, atol=0.05)
    assert result.n_evaluations == 2000 * 3


LINEAR_3 = {"x1": 4.0, "x2": 2.0, "x3": 1.0}  # uniform inputs: variance shares 16:4:1
UNIFORM_3 = {name: stats.uniform(0, 1) for name in LINEAR_3}


def test_delta_ranks_correctly():
    linear_3 = run_sensitivity(linear(LINEAR_3), UNIFORM_3, "delta", samples=1000, seed=8, output_name="y", num_resamples=10)
    assert linear_3.ranking == ["x1", "x2", "x3"]
    assert list(linear_3.table.columns) == ["input", "delta", "delta_conf", "S1", "S1_conf", "rank"]
    assert linear_3.n_evaluations == 1000
    # Ishigami: x2 shifts the whole output distribution most (x1 and x3 are close in delta)
    ishi = run_sensitivity(ishigami, ISHIGAMI_INPUTS, "delta", samples=1000, seed=8, output_name="y", num_resamples=10)
    assert ishi.ranking[0] == "x2"
    assert ((ishi.table["delta"] > 0) & (ishi.table["delta"] < 1)).all()


def test_pawn_ranks_correctly():
    g = run_sensitivity(g_function, G_INPUTS, "pawn", samples=5000, seed=8, output_name="y")
    assert g.ranking[:3] == ["x1", "x2", "x3"]
    ishi = run_sensitivity(ishigami, ISHIGAMI_INPUTS, "pawn", samples=3000, seed=8, output_name="y")
    assert ishi.ranking == ["x2", "x1", "x3"]
    assert list(ishi.table.columns) == ["input", "minimum", "mean", "median", "maximum", "CV", "stdev", "rank"]


@pytest.mark.parametrize("method", ["delta", "pawn"])
def test_given_correlated_samples_are_used_as_is(method):
    rng = np.random.default_rng(0)
    n = 1000
    z = rng.multivariate_normal([0, 0, 0], [[1, 0.9, 0], [0.9, 1, 0], [0, 0, 1]], size=n)
    given = {"x1": z[:, 0], "x2": 5 + 2 * z[:, 1], "x3": np.exp(z[:, 2])}
    seen = []

    def model(x):
        seen.append({k: v.copy() for k, v in x.items()})
        return x["x1"] + 0.3 * np.log(x["x3"])  # x2 has no direct effect, only through its correlation

    inputs = {"x1": stats.norm(), "x2": stats.norm(5, 2), "x3": stats.lognorm(s=1)}
    options = {"num_resamples": 10} if method == "delta" else {}
    result = run_sensitivity(model, inputs, method, samples=None, seed=1, output_name="y", input_samples=given, **options)
    assert len(seen) == 1 and all(np.array_equal(seen[0][k], given[k]) for k in given)
    assert result.n_evaluations == n
    assert result.ranking == ["x1", "x2", "x3"]
    assert "dependence kept" in result.summary()


# --------------------------------------------------------------------------------------
# result object, reproducibility, side effects
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_numbers(method):
    options = {"samples": {"sobol": 64, "morris": 10, "fast": 100, "delta": 200, "pawn": 200}[method], "output_name": "y"}
    if method == "delta":
        options["num_resamples"] = 5
    first = run_sensitivity(ishigami, ISHIGAMI_INPUTS, method, seed=21, **options)
    again = run_sensitivity(ishigami, ISHIGAMI_INPUTS, method, seed=21, **options)
    other = run_sensitivity(ishigami, ISHIGAMI_INPUTS, method, seed=22, **options)
    pd.testing.assert_frame_equal(first.table, again.table)
    numeric = first.table.select_dtypes("number").drop(columns="rank")
    assert not np.allclose(numeric.to_numpy(), other.table.set_index("input").loc[first.table["input"], numeric.columns].to_numpy())


def test_no_global_side_effects():
    np.random.seed(123)
    state = np.random.get_state()
    formatwarning = warnings.formatwarning
    filters = list(warnings.filters)
    for method in ("fast", "delta", "pawn"):
        run_sensitivity(ishigami, ISHIGAMI_INPUTS, method, samples=200, seed=1, output_name="y", num_resamples=5)
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    assert warnings.formatwarning is formatwarning
    assert list(warnings.filters) == filters


def test_result_object():
    result = run_sensitivity(ishigami, ISHIGAMI_INPUTS, "sobol", samples=256, seed=1, output_name="y")
    assert isinstance(result, SensitivityResult)
    assert list(result.table.columns) == ["input", "S1", "S1_conf", "ST", "ST_conf", "rank"]
    assert list(result.second_order.columns) == ["input_1", "input_2", "S2", "S2_conf"]
    assert len(result.second_order) == 3
    frame = result.to_frame()
    assert list(frame.columns[:2]) == ["output", "method"] and (frame["method"] == "sobol").all()
    text = result.summary()
    for fragment in ("Sobol' variance-based sensitivity indices", "Model evaluations:", "2,048", "x1", "Second-order", "independent"):
        assert fragment in text
    assert set(result.raw) >= {"S1", "S1_conf", "ST", "ST_conf", "S2", "S2_conf", "names"}
    assert result.raw["names"] == ["x1", "x2", "x3"]
    assert math.isclose(result.output_mean, 3.5, abs_tol=0.1)


def test_model_returning_named_outputs():
    def model(x):
        return {"y": ishigami(x), "other": np.zeros_like(x["x1"])}

    result = run_sensitivity(model, ISHIGAMI_INPUTS, "sobol", samples=64, seed=1, output_name="y")
    assert result.output_name == "y" and result.table["ST"].max() > 0.3
    with pytest.raises(RoqInputError) as error:
        run_sensitivity(model, ISHIGAMI_INPUTS, "sobol", samples=64, seed=1, output_name="roq")
    assert error.value.argument == "output_name" and "'other'" in str(error.value)


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------


class NoPpf:
    def cdf(self, x):
        return x


class InfinitePpf:
    def ppf(self, u):
        return np.where(u > 0.5, np.inf, u)


def _call(**changes):
    arguments = dict(model=ishigami, inputs=ISHIGAMI_INPUTS, method="sobol", samples=64, seed=1, output_name="y")
    arguments.update(changes)
    return run_sensitivity(**arguments)


@pytest.mark.parametrize(
    "changes, argument, fragment",
    [
        ({"method": "sobolev"}, "method", "'morris'"),
        ({"method": None}, "method", "must be one of"),
        ({"inputs": {"x1": NoPpf()}}, "inputs", "'x1' has no .ppf"),
        ({"inputs": {}}, "inputs", "non-empty"),
        ({"inputs": [1, 2]}, "inputs", "mapping"),
        ({"inputs": {"x1": InfinitePpf(), "x2": stats.uniform()}}, "inputs", "not finite"),
        ({"model": lambda x: np.zeros(3)}, "model", "one output per input row"),
        ({"model": lambda x: np.zeros((len(x["x1"]), 2))}, "model", "1-D"),
        ({"model": lambda x: np.where(x["x1"] > 2, np.nan, 1.0)}, "model", "NaN"),
        ({"model": "not callable"}, "model", "callable"),
        ({"samples": 1000}, "samples", "use 512 or 1024"),
        ({"samples": 2}, "samples", ">= 4"),
        ({"samples": 64.0}, "samples", "whole number"),
        ({"conf_level": 1.5}, "conf_level", "between 0 and 1"),
        ({"conf_level": 0.0}, "conf_level", "between 0 and 1"),
        ({"conf_level": 1}, "conf_level", "between 0 and 1"),
        ({"num_resamples": 1}, "num_resamples", ">= 2"),
        ({"seed": -3}, "seed", ">= 0"),
        ({"seed": 1.5}, "seed", "whole number"),
        ({"backend": "numba"}, "backend", "'salib'"),
        ({"output_name": ""}, "output_name", "non-empty"),
        ({"levels": 4}, "levels", "not an option of method 'sobol'"),
        ({"ci_method": "exact"}, "ci_method", "'asymptotic'"),
        ({"ci_method": "asymptotic", "backend": "salib"}, "ci_method", "backend='fast'"),
        ({"method": "morris", "samples": 10, "levels": 5}, "levels", "even"),
        ({"method": "morris", "samples": 10, "optimal_trajectories": 10}, "optimal_trajectories", "smaller than samples"),
        ({"method": "fast", "samples": 64}, "samples", "4*M^2 = 64"),
        ({"method": "fast", "samples": 300, "M": 0}, "M", ">= 1"),
        ({"method": "delta", "samples": 50}, "samples", ">= 100"),
        ({"method": "pawn", "samples": 50}, "samples", "slices"),
        ({"method": "pawn", "samples": 500, "sampler": "sobol"}, "sampler", "'latin'"),
        ({"input_samples": {"x1": [1.0], "x2": [1.0], "x3": [1.0]}}, "input_samples", "'delta' or 'pawn'"),
        ({"method": "delta", "samples": None, "input_samples": {"x1": np.ones(200), "x2": np.ones(200)}}, "input_samples", "missing ['x3']"),
        ({"method": "delta", "samples": None, "input_samples": {"x1": np.ones(200), "x2": np.ones(200), "x3": np.ones(199)}}, "input_samples", "one length"),
        ({"method": "delta", "samples": None, "input_samples": {"x1": np.ones(200), "x2": np.ones(200), "x3": np.r_[np.nan, np.ones(199)]}}, "input_samples", "NaN"),
        ({"method": "delta", "samples": 300, "input_samples": {n: np.ones(200) for n in ("x1", "x2", "x3")}}, "samples", "length of input_samples"),
    ],
)
def test_bad_input_names_the_argument(changes, argument, fragment):
    with pytest.raises(RoqInputError) as error:
        _call(**changes)
    assert error.value.argument == argument, str(error.value)
    assert str(error.value).startswith(f"{argument}: ")
    assert fragment in str(error.value), str(error.value)


def test_model_nan_message_points_to_the_row():
    with pytest.raises(RoqInputError) as error:
        _call(model=lambda x: np.where(x["x1"] > 3.0, np.nan, x["x2"]))
    message = str(error.value)
    assert "first at design row" in message and "x1=3." in message


@pytest.mark.parametrize("method, samples", [("sobol", 64), ("morris", 20), ("delta", 200)])
def test_large_designs_are_evaluated_in_chunks_with_the_same_result(monkeypatch, method, samples):
    calls = []

    def model(x):
        calls.append(len(x["x1"]))
        return ishigami(x)

    options = dict(samples=samples, seed=3, output_name="y", num_resamples=5, **({"ci_method": "bootstrap"} if method == "sobol" else {}))
    whole = run_sensitivity(model, ISHIGAMI_INPUTS, method, **options)
    assert len(calls) == 1  # one vectorised call per design
    calls.clear()
    monkeypatch.setattr(simulator.uncertainty.sensitivity, "MODEL_CHUNK_ROWS", 50)
    chunked = run_sensitivity(model, ISHIGAMI_INPUTS, method, **options)
    assert len(calls) > 1 and max(calls) <= 50 and sum(calls) == whole.n_evaluations
    pd.testing.assert_frame_equal(chunked.table, whole.table)


def test_methods_that_need_salib_say_so_when_it_is_missing():
    """In a runtime without SALib (xlwings Lite's bundle) only the fast Sobol' path works."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "SALib":
                    raise ImportError("no SALib here")
        sys.meta_path.insert(0, Block())
        from scipy import stats
        from simulator.errors import RoqInputError
        from simulator.uncertainty.sensitivity import run_sensitivity
        inputs = {"a": stats.uniform(0, 1), "b": stats.uniform(0, 1)}
        model = lambda x: x["a"] + x["b"]
        print(run_sensitivity(model, inputs, "sobol", samples=64, seed=1, output_name="y").table["rank"].tolist())
        for method, backend in (("morris", "fast"), ("sobol", "salib")):
            try:
                run_sensitivity(model, inputs, method, samples=64, seed=1, output_name="y", backend=backend)
            except RoqInputError as error:
                print(error)
        """
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = completed.stdout.splitlines()
    assert lines[0] == "[1, 2]"
    assert lines[1] == "method: morris needs SALib, which is not installed here; method 'sobol' with backend 'fast' works without it"
    assert lines[2].startswith("backend: salib needs SALib")
