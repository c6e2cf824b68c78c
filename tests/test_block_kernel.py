"""The compiled (numba) Monte Carlo block kernel against the numpy path.

Both paths must agree to 1e-12 relative on every output, on random scenarios and on the
edge cases of the model (churn near its bound, retention at 1 - c, q = (R - s) / G at and
near 1 where the closed form switches to its stable branch, zero costs, both horizons
either side of the closed-form switch), and on each path a seed must give bit-identical
results for any chunk size, thread count and engine.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("numba")

from simulator.errors import RoqInputError
from simulator.roq import MODEL_OUTPUTS, evaluate
from simulator.uncertainty import block_kernel, builtin_scenario, run_monte_carlo
from simulator.uncertainty.scenario import scenario_from_dict

SCALAR_OUTPUTS = tuple(name for name in MODEL_OUTPUTS if "_path" not in name)
RTOL = 1e-12


def _close(a, b, scale=None):
    """Equal to 1e-12 relative (to ``scale`` if given), with NaN == NaN and inf == inf (zero costs)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    scale = np.maximum(np.abs(a), np.abs(b)) if scale is None else scale
    with np.errstate(invalid="ignore"):
        return bool(np.all(same | (np.abs(a - b) <= RTOL * scale)))


def _model(**changes):
    base = {"horizon": 5, "market_size": 250760.0, "market_growth": 0.07, "churn": 0.095, "competitor_switching": 0.0019,
            "attraction": 0.0306, "initial_share": 0.0707, "baseline_retention": 0.3461, "retention": 0.81, "margin": 250000.0,
            "discount_rate": 0.2, "initial_cost": 558e6, "annual_cost": 699e6}
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def _scenario(model, uncertain=None):
    return scenario_from_dict({"scenario": {"name": "kernel test"}, "model": model, "uncertain": uncertain or {}})


def _compare_values(scenario, inputs):
    """The kernel's model and evaluate() on the same input values: every scalar output."""
    names = tuple(inputs)
    plan, why = block_kernel.plan_for(scenario, SCALAR_OUTPUTS, value_inputs=names)
    assert plan is not None, why
    values = np.array([np.asarray(inputs[name], float) for name in names])
    compiled = plan.outputs(values)
    with np.errstate(all="ignore"):
        reference = evaluate(scenario.parameters({name: np.asarray(v, float) for name, v in inputs.items()}), SCALAR_OUTPUTS, validate=False)
    for k, name in enumerate(SCALAR_OUTPUTS):
        expected = np.broadcast_to(reference[name], values.shape[1:])
        assert _close(compiled[k], expected), (name, compiled[k][:4], expected[:4])


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**32 - 1, 2**32, 2**64 + 5, 2**127, 2**130 + 7])
def test_block_streams_are_numpys_seed_sequence_streams(seed):
    # the kernel seeds each block's PCG64 itself; the words must be the Generator's
    from simulator.uncertainty import _numba_block
    from simulator.uncertainty.samplers import block_generator

    for block in (0, 1, 255, 65535, 2**32 + 1):
        for stream in (0, 1, 2):
            expected = block_kernel.pcg64_words(block_generator(seed, block, stream))
            assert np.array_equal(block_kernel.block_stream_words(seed, block, stream), expected), (seed, block, stream)
            compiled = _numba_block.block_state(block_kernel.seed_entropy(seed), block, stream)  # inside the kernel
            assert np.array_equal(compiled, expected), (seed, block, stream)


def test_kernel_decides_beta_tails_on_the_distributions_grid():
    from simulator.uncertainty import _numba_block
    from simulator.uncertainty.distributions import Pert

    distribution = Pert(0.05, 0.07, 0.144)
    distribution.standard_ppf(0.5)
    assert _numba_block.BETA_GRID == distribution._NODES
    assert distribution._table.shape == (distribution._CELLS, 4)  # the body's cubics, as the kernel reads them


def test_kernel_takes_every_horizon_the_model_does():
    from simulator.roq import MAX_HORIZON
    from simulator.uncertainty import _numba_block

    assert block_kernel.KERNEL_MAX_HORIZON == 2**_numba_block.POWER_BITS - 1 >= MAX_HORIZON


@pytest.mark.parametrize("horizon", [1, 5, 7, 8, 9, 50, 63, 64, 100])
def test_random_scenarios_agree(horizon):
    rng = np.random.default_rng(horizon)
    n = 3000
    churn = rng.uniform(0.0, 0.4, n)
    inputs = {
        "market_growth": rng.uniform(-0.3, 0.5, n),
        "churn": churn,
        "retention": rng.uniform(0.0, 1.0, n) * (1.0 - churn),
        "baseline_retention": rng.uniform(0.0, 1.0, n) * (1.0 - churn),
        "competitor_switching": rng.uniform(0.0, 0.05, n),
        "attraction": rng.uniform(0.0, 0.5, n),
        "initial_share": rng.uniform(0.0, 1.0, n),
        "margin": rng.uniform(-1e5, 1e6, n),
        "discount_rate": rng.uniform(-0.5, 1.0, n),
        "initial_cost": rng.uniform(0.0, 1e9, n),
        "annual_cost": rng.uniform(0.0, 1e9, n),
        "market_size": rng.uniform(1.0, 1e7, n),
    }
    _compare_values(_scenario(_model(horizon=horizon)), inputs)


@pytest.mark.parametrize("constant_share_without", [False, True], ids=["recursion-without", "constant-share-without"])
@pytest.mark.parametrize("horizon", [5, 8, 50])
def test_edge_cases_agree(horizon, constant_share_without):
    # q = (R - s) / G exactly 1, within the 1e-3 stable band, just outside it; retention at
    # 1 - c; churn at 0 and near 1; zero growth; both costs zero (ROQ = +-inf or NaN)
    n = 12
    inputs = {
        "market_growth": np.array([0.0, 0.0, 0.0, 0.0005, 0.002, 0.07, 0.07, 0.0, -0.05, 0.07, 0.0, 0.3]),
        "churn": np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.095, 0.999, 0.5, 0.05, 0.0, 0.0, 0.2]),
        "retention": np.array([1.0, 0.9995, 0.998, 1.0, 1.0, 0.905, 0.001, 0.5, 0.95, 0.0, 1.0, 0.8]),
        "baseline_retention": np.array([1.0, 0.3, 0.9999, 0.5, 0.999, 0.3461, 0.0, 0.5, 0.95, 0.0, 1.0, 0.8]),
        "competitor_switching": np.zeros(n),
        "initial_cost": np.array([558e6, 0.0, 558e6, 0.0, 558e6, 558e6, 558e6, 0.0, 558e6, 0.0, 0.0, 1.0]),
        "annual_cost": np.array([699e6, 0.0, 699e6, 699e6, 0.0, 699e6, 699e6, 0.0, 699e6, 0.0, 0.0, 0.0]),
        "discount_rate": np.array([0.2, 0.2, 0.0, 0.2, -0.5, 0.2, 0.2, 0.2, 0.2, 0.0, 0.0, 0.2]),
    }
    if constant_share_without:  # the no-programme arm a constant share: its own closed form
        del inputs["baseline_retention"]
        _compare_values(_scenario(_model(horizon=horizon, baseline_retention=None, baseline_market_share=0.0302)), inputs)
    else:
        _compare_values(_scenario(_model(horizon=horizon)), inputs)


@pytest.mark.parametrize("arms", [
    dict(retention=None, baseline_retention=None, satisfied_share=0.5, delighted_share=0.3, repurchase_dissatisfied=0.2,
         repurchase_satisfied=0.6, repurchase_delighted=0.85, baseline_satisfied_share=0.4, baseline_delighted_share=0.1),
    dict(retention=None, satisfied_share=0.5, delighted_share=0.3, repurchase_dissatisfied=0.2, repurchase_satisfied=0.6,
         repurchase_delighted=0.85, satisfied_share_convention="satisfied_only"),
    dict(baseline_retention=None, baseline_market_share=0.0302),
    dict(competitor_switching=None, competitor_retention=0.9),
], ids=["mix-both-arms", "mix-satisfied-only", "constant-share-without", "competitor-retention"])
@pytest.mark.parametrize("horizon", [5, 50])
def test_every_arm_form_agrees(arms, horizon):
    scenario = _scenario(_model(horizon=horizon, **arms), {"margin": {"distribution": "pert", "min": 2e5, "mode": 2.5e5, "max": 3e5},
                                                        "discount_rate": {"distribution": "uniform", "min": 0.1, "max": 0.3}})
    rng = np.random.default_rng(1)
    inputs = {"margin": rng.uniform(2e5, 3e5, 500), "discount_rate": rng.uniform(0.1, 0.3, 500), "market_growth": rng.uniform(0.0, 0.15, 500)}
    _compare_values(scenario, inputs)


def test_sampled_inputs_are_the_numpy_draws():
    # uniform, triangular, PERT (body and tail tables) and a normal (numpy's ppf): the same values
    scenario = _scenario(_model(horizon=8), {
        "market_growth": {"distribution": "pert", "min": 0.05, "mode": 0.07, "max": 0.144},
        "churn": {"distribution": "triangular", "min": 0.05, "mode": 0.095, "max": 0.15},
        "margin": {"distribution": "normal", "mean": 250000, "sd": 20000},
        "discount_rate": {"distribution": "uniform", "min": 0.1, "max": 0.3},
    })
    plan, why = block_kernel.plan_for(scenario, ("roq",))
    assert plan is not None, why
    for block in (0, 7):
        u = scenario.uniform_block(block, 65536, 11, "random")
        compiled = plan.sampled_inputs(scenario, u.copy())
        reference = scenario.block_inputs(block, 65536, 11, "random")
        for j, name in enumerate(plan.names):
            assert _close(compiled[j], reference[name]), name
            if name == "market_growth":  # the PERT's tails (0.2% of the block) included, to the bit
                assert np.array_equal(compiled[j], reference[name])


def _same_statistics(a, b, *, exact: bool):
    for name in a.outputs:
        statistics = a.statistics[name]
        for key, value in statistics.items():
            other = b.statistics[name][key]
            if isinstance(value, float):
                # a half-width is the spread of nearly equal block means (lhs, sobol): its
                # rounding is relative to the mean it qualifies, not to itself
                scale = max(abs(value), abs(statistics["mean"])) if key.endswith("halfwidth") else None
                assert value == other if exact else _close(value, other, scale), (name, key, value, other)


@pytest.mark.parametrize("sampler", ["random", "lhs", "sobol"])
def test_monte_carlo_statistics_agree_across_paths(sampler):
    scenario = builtin_scenario()
    samples = 3 * 2**16 + 4321  # exact percentiles, a short last block
    numpy_run = run_monte_carlo(scenario, samples, seed=4, sampler=sampler, progress=False, kernel="numpy")
    numba_run = run_monte_carlo(scenario, samples, seed=4, sampler=sampler, progress=False, kernel="numba")
    assert (numpy_run.kernel, numba_run.kernel) == ("numpy", "numba")
    assert numba_run.provenance()["kernel"].startswith("numba ")
    _same_statistics(numpy_run, numba_run, exact=False)
    for name in numpy_run.outputs:  # the retained block 0, and the tornado it feeds
        assert _close(numpy_run.retained["outputs"][name], numba_run.retained["outputs"][name])
    for name in scenario.uncertain:
        assert _close(numpy_run.retained["inputs"][name], numba_run.retained["inputs"][name])


def test_sketch_statistics_agree_across_paths():
    # above the exact-percentile limit: the sketch buckets of both paths are the same
    scenario = builtin_scenario()
    options = dict(seed=9, progress=False, exact_percentiles=False, targets={"npv_gain": [0.0, 5e9]})
    numpy_run = run_monte_carlo(scenario, 5 * 2**16, kernel="numpy", **options)
    numba_run = run_monte_carlo(scenario, 5 * 2**16, kernel="numba", **options)
    _same_statistics(numpy_run, numba_run, exact=False)
    for name in numpy_run.outputs:
        a, b = numpy_run.partial["outputs"][name], numba_run.partial["outputs"][name]
        assert a["offset"] == b["offset"] and np.array_equal(a["counts"], b["counts"]) and a["exceed"] == b["exceed"]
        assert _close(a["sums"], b["sums"]) and _close(a["squares"], b["squares"])


def test_numba_path_is_bit_identical_for_any_chunk_size_and_thread_count():
    scenario = builtin_scenario()
    runs = [run_monte_carlo(scenario, 6 * 2**16 + 99, seed=2, progress=False, kernel="numba", chunk_size=chunk, workers=workers)
            for chunk, workers in ((2**13, 1), (2**16, 2), (2**18, 2), (3 * 2**16, 1))]
    for other in runs[1:]:
        _same_statistics(runs[0], other, exact=True)
        assert runs[0].convergence == other.convergence


def test_kernel_units_are_its_blocks_and_fold_as_merge_two():
    """Blocks run in one kernel call (run_unit) give each block's statistics to the bit; a
    run folds them in place (KernelFold) into merge_two's fold of the blocks' partial dicts,
    to the bit, whatever the blocks per call (1, 2 or 5 here: 1 and 2 threads, a unit that
    starts at block 0, checkpoints inside a unit)."""
    from simulator.uncertainty.statistics import merge_two

    scenario = builtin_scenario()
    samples, outputs, thresholds = 20 * 2**16 + 777, ("roq", "npv_gain", "final_market_share"), {"roq": (1.0, 1.2)}
    plan, _ = block_kernel.plan_for(scenario, outputs)
    runner = block_kernel.BlockRunner.make(plan, scenario, "random", outputs, thresholds, 5e-4, 1e-9)
    lengths = [min(2**16, samples - block * 2**16) for block in range(21)]
    blockwise = [runner.run(block, lengths[block], 12)[0] for block in range(21)]
    unit = runner.run_unit(14, lengths[14:], 12)
    assert unit.blocks == 7
    for position, block in enumerate(range(14, 21)):
        a, b = unit.partial(position), blockwise[block].partial()
        for name in outputs:
            assert _same_partial_output(a["outputs"][name], b["outputs"][name]), (block, name)
    folded = blockwise[0].partial()
    for statistics in blockwise[1:]:
        folded = merge_two(folded, statistics.partial())
    runs = [run_monte_carlo(scenario, samples, seed=12, progress=False, kernel="numba", outputs=outputs, targets={"roq": [1.2]},
                            exact_percentiles=False, workers=workers) for workers in (1, 2)]
    for run in runs:
        for name in outputs:
            assert _same_partial_output(run.partial["outputs"][name], folded["outputs"][name]), name
        assert run.convergence == runs[0].convergence and len(run.convergence) > 5
        assert run.block_means == runs[0].block_means and len(run.block_means["roq"]) == 20


def _same_partial_output(a: dict, b: dict) -> bool:
    return (all(a[key] == b[key] for key in ("count", "nonfinite", "exceed", "mean", "m2", "min", "max", "offset"))
            and all(np.array_equal(a[key], b[key]) for key in ("counts", "sums", "squares")))


def test_numba_path_is_bit_identical_on_dask():
    pytest.importorskip("distributed")
    from simulator.engines import get_engine

    scenario = builtin_scenario()
    local = run_monte_carlo(scenario, 4 * 2**16 + 5, seed=3, progress=False, kernel="numba", workers=2)
    with get_engine("dask", workers=2) as engine:
        remote = run_monte_carlo(scenario, 4 * 2**16 + 5, seed=3, progress=False, kernel="numba", engine=engine)
    assert remote.kernel == "numba" and remote.engine == "dask"
    _same_statistics(local, remote, exact=True)


def test_auto_takes_numpy_for_small_runs_and_numba_for_large_ones():
    scenario = builtin_scenario()
    assert block_kernel.choose_kernel("auto", scenario, scenario.outputs, samples=2**18)[0] == "numpy"
    assert block_kernel.choose_kernel("auto", scenario, scenario.outputs, samples=block_kernel.AUTO_MIN_SAMPLES)[0] == "numba"
    # per-year outputs stay on numpy; asking numba for them is refused in one line
    assert block_kernel.choose_kernel("auto", scenario, scenario.outputs, ("market_share_path",), samples=2**30)[0] == "numpy"
    with pytest.raises(RoqInputError, match="^kernel: numba cannot run this run: per-year outputs"):
        block_kernel.choose_kernel("numba", scenario, scenario.outputs, ("market_share_path",), samples=2**30)
    with pytest.raises(RoqInputError, match="^kernel: must be one of auto, numba, numpy, got 'fast'"):
        block_kernel.check_kernel("fast")


def test_environment_variable_sets_the_default(monkeypatch):
    monkeypatch.setenv("ROQ_KERNEL", "numpy")
    assert block_kernel.choose_kernel(None, builtin_scenario(), ("roq",), samples=2**30)[0] == "numpy"
    monkeypatch.setenv("ROQ_KERNEL", "gpu")
    with pytest.raises(RoqInputError, match="^ROQ_KERNEL: must be one of"):
        block_kernel.check_kernel(None)


def test_sensitivity_model_is_the_same_on_both_paths():
    scenario = builtin_scenario()
    a = scenario.sensitivity("sobol", samples=1024, seed=1, kernel="numpy").to_frame()
    b = scenario.sensitivity("sobol", samples=1024, seed=1, kernel="numba").to_frame()
    numbers = a.select_dtypes("number").columns
    assert np.allclose(a[numbers].to_numpy(), b[numbers].to_numpy(), rtol=RTOL, atol=0)


def test_cli_kernel_option(capsys):
    from simulator.cli import main

    assert main(["simulate", "--samples", "70000", "--kernel", "numba", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "numba kernel" in out.splitlines()[1]
    with pytest.raises(SystemExit) as stop:
        main(["simulate", "--kernel", "gpu"])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "--kernel: invalid choice: 'gpu'" in error


def test_cli_sensitivity_kernel_gives_the_same_table(capsys):
    from simulator.cli import main

    tables = []
    for kernel in ("numba", "numpy"):
        assert main(["sensitivity", "--samples", "512", "--kernel", kernel]) == 0
        tables.append(capsys.readouterr().out)
    assert tables[0] == tables[1] and "Sobol'" in tables[0]


@pytest.mark.parametrize("dims", [3, 4, 5])
def test_kernel_draws_the_random_samplers_block_exactly(dims):
    # drawn inside the fused kernel, four PCG64 lanes at a time, tiles not a multiple of
    # four draws (3 and 5 inputs): the same numbers as the sampler's block
    uncertain = {
        "market_growth": {"distribution": "pert", "min": 0.05, "mode": 0.07, "max": 0.144},
        "churn": {"distribution": "triangular", "min": 0.05, "mode": 0.095, "max": 0.15},
        "discount_rate": {"distribution": "uniform", "min": 0.1, "max": 0.3},
        "margin": {"distribution": "pert", "min": 200000, "mode": 250000, "max": 300000},
        "attraction": {"distribution": "uniform", "min": 0.02, "max": 0.04},
    }
    scenario = _scenario(_model(), dict(list(uncertain.items())[:dims]))
    plan, _ = block_kernel.plan_for(scenario, ("roq",))
    assert plan.draws_in_kernel(scenario, "random") and not plan.draws_in_kernel(scenario, "lhs")
    for block, length in ((0, 65536), (5, 12345)):
        _, drawn, _ = block_kernel.run_block(plan, scenario, block, length, 21, "random", ("roq",), {}, 0.01, 1e-9, keep=True)
        reference = plan.sampled_inputs(scenario, scenario.uniform_block(block, length, 21, "random"))
        assert np.array_equal(drawn, reference)


@pytest.mark.parametrize("relative_accuracy", [0.05, 0.01, 1e-3, 1e-5])
def test_fast_bucket_rule_is_the_exact_rule_at_every_edge(relative_accuracy):
    """The kernel's log-free bucket index (_fast_slots) equals the libm rule of
    statistics._Buckets.slots on every bucket edge, its neighbours one ulp either side,
    zero, subnormals, huge values, inf and NaN."""
    from simulator.uncertainty import _numba_block
    from simulator.uncertainty.statistics import _geometry

    geometry = _geometry(relative_accuracy, 1e-9)
    keys = np.arange(geometry.key_min - 5, int(700 / geometry.log_gamma), max(1, int(0.02 / geometry.log_gamma)))
    edges = np.exp(keys * geometry.log_gamma)
    rng = np.random.default_rng(7)
    values = np.concatenate([edges, np.nextafter(edges, 0), np.nextafter(edges, np.inf), rng.lognormal(0, 8, 20_000),
                             [0.0, -0.0, 5e-324, 1e-310, 2.2250738585072014e-308, 1e-12, 1e300, 1.7e308]])
    values = np.concatenate([values, -values, [np.inf, -np.inf, np.nan]])
    expected = geometry.slots(values)
    shift = float(geometry.key_min - 1)
    fast = np.empty(values.size, np.int32)
    _numba_block._fast_slots(values, geometry.inverse_log_gamma, shift, 1e-7 * geometry.inverse_log_gamma + 1e-9, fast)
    decided = fast != _numba_block.UNDECIDED
    assert np.array_equal(fast[decided], expected[decided])
    random_part = slice(3 * edges.size, 3 * edges.size + 20_000)
    assert decided[random_part].mean() > 0.98  # edges are undecided by design; nearly every other value decides
    exact = np.array([_numba_block._slot_of(x, geometry.inverse_log_gamma, shift) for x in values[np.isfinite(values)]])
    assert np.array_equal(exact, expected[np.isfinite(values)])


@pytest.mark.parametrize("length", [1, 3, 4, 7, 512])
def test_tile_moments_count_finite_values_only(length):
    # the lean loop (all finite) and the careful one (an inf or NaN in the row) agree with numpy
    from simulator.uncertainty import _numba_block

    rng = np.random.default_rng(length)
    for bad in (None, np.inf, -np.inf, np.nan):
        row = rng.normal(0.0, 1e6, length)
        if bad is not None:
            row[rng.integers(0, length, max(1, length // 5))] = bad
        finite = row[np.isfinite(row)]
        total, count, low, high = _numba_block._moments(row)
        assert count == finite.size
        assert math.isclose(total, finite.sum(), rel_tol=1e-12, abs_tol=1e-6)
        assert (low, high) == ((finite.min(), finite.max()) if finite.size else (math.inf, -math.inf))


def test_a_slow_first_kernel_load_is_announced(monkeypatch):
    """The first numba run of a machine compiles for about a minute: past
    COMPILE_NOTICE_SECONDS the run says so (on stderr, before its clock starts), once."""
    import time

    scenario = builtin_scenario()
    plan, _ = block_kernel.plan_for(scenario, ("roq",))
    runner = block_kernel.BlockRunner.make(plan, scenario, "random", ("roq",), {}, 5e-4, 1e-9)
    real = block_kernel.BlockRunner.run_unit

    def slow(self, *args):  # as a compile would be
        time.sleep(0.3)
        return real(self, *args)

    monkeypatch.setattr(block_kernel.BlockRunner, "run_unit", slow)
    monkeypatch.setattr(block_kernel, "COMPILE_NOTICE_SECONDS", 0.05)
    monkeypatch.setattr(block_kernel, "_warmed", set())
    said = []
    block_kernel.warm_kernel(runner, notice=said.append)
    assert len(said) == 1 and said[0].startswith("roq: compiling the Monte Carlo kernel for this machine")
    block_kernel.warm_kernel(runner, notice=said.append)  # warm: nothing more
    assert len(said) == 1
    monkeypatch.setattr(block_kernel, "_warmed", set())
    monkeypatch.setattr(block_kernel.BlockRunner, "run_unit", real)
    monkeypatch.setattr(block_kernel, "COMPILE_NOTICE_SECONDS", 30.0)
    block_kernel.warm_kernel(runner, notice=said.append)  # loaded quickly: no notice
    assert len(said) == 1
