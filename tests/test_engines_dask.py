"""The Dask engine on a real ``dask.distributed`` cluster: two worker processes on loopback.

Every result is compared, bit for bit, with the local engine: Monte Carlo (three
samplers, sample counts ending in a partial block, a rank-correlated scenario, per-year
statistics), Sobol' sensitivity with bootstrap and asymptotic intervals, Morris and delta
(outputs gathered), a chunked two-way sweep, and the ``roq`` command line
(``--engine dask`` starting its own cluster, ``--scheduler`` joining this one, bad input).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

distributed = pytest.importorskip("distributed")

from simulator.cli import main  # noqa: E402
from simulator.engines import DaskEngine, LocalEngine, get_engine  # noqa: E402
from simulator.errors import RoqInputError  # noqa: E402
from simulator.uncertainty import BLOCK_SIZE, builtin_scenario, run_monte_carlo, sweeps  # noqa: E402
from simulator.uncertainty.sensitivity import run_sensitivity  # noqa: E402
from simulator.uncertainty.montecarlo import KERNEL_UNIT_BLOCKS, _Units  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0", silence_logs=logging.ERROR) as local_cluster:
        yield local_cluster


@pytest.fixture(scope="module")
def dask_engine(cluster):
    with get_engine("dask", scheduler=cluster.scheduler_address) as engine:
        yield engine


@pytest.fixture(scope="module")
def scenario():
    return builtin_scenario()


def assert_same_partial(a, b):
    """Merged Monte Carlo partials equal in every number (sums, sketches, counts)."""
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], dict):
            assert_same_partial(a[key], b[key])
        elif isinstance(a[key], np.ndarray):
            np.testing.assert_array_equal(a[key], b[key])
        else:
            assert a[key] == b[key] or (a[key] != a[key] and b[key] != b[key]), key


def assert_same_run(local, remote):
    assert_frame_equal(local.to_frame(), remote.to_frame(), check_exact=True)
    assert_frame_equal(local.convergence_frame(), remote.convergence_frame(), check_exact=True)
    assert_same_partial(local.partial, remote.partial)


def test_engine_reports_the_cluster(dask_engine, cluster):
    assert dask_engine.workers == 2
    assert dask_engine.address == cluster.scheduler_address
    assert dask_engine.address.startswith("tcp://127.0.0.1:")


@pytest.mark.parametrize("sampler, samples", [("random", 3 * BLOCK_SIZE + 12_345), ("lhs", 2 * BLOCK_SIZE + 1), ("sobol", 5 * BLOCK_SIZE - 777)])
def test_monte_carlo_identical_to_local(dask_engine, scenario, sampler, samples):
    local = run_monte_carlo(scenario, samples, seed=21, sampler=sampler, workers=1)
    remote = run_monte_carlo(scenario, samples, seed=21, sampler=sampler, engine=dask_engine)
    assert remote.engine == "dask" and remote.workers == 2 and remote.samples == samples
    assert_same_run(local, remote)


def test_per_year_statistics_identical_to_local(dask_engine, scenario):
    paths = ("market_share_path", "market_share_path_without_programme")
    local = run_monte_carlo(scenario, 2 * BLOCK_SIZE + 77, seed=9, workers=2, chunk_size=3000, path_outputs=paths)
    remote = run_monte_carlo(scenario, 2 * BLOCK_SIZE + 77, seed=9, engine=dask_engine, path_outputs=paths)
    assert_same_run(local, remote)  # the partial holds every year of both paths
    for name in paths:
        assert_frame_equal(local.path_statistics(name), remote.path_statistics(name), check_exact=True)


def correlated_scenario():
    """The built-in scenario with an Iman-Conover rank correlation (applied per block)."""
    from simulator.uncertainty import scenario_from_dict

    base = builtin_scenario()
    return scenario_from_dict({
        "model": dict(base.base),
        "uncertain": {name: d.to_spec() for name, d in base.uncertain.items()},
        "correlation": [{"between": ["market_growth", "margin"], "rank_correlation": 0.3}],
        "outputs": {"names": ["roq", "npv_net"]},
    }, source="correlated.toml")


def test_correlated_scenario_identical_to_local(dask_engine):
    scenario = correlated_scenario()
    local = run_monte_carlo(scenario, 2 * BLOCK_SIZE + 999, seed=6, sampler="lhs", workers=2)
    assert_same_run(local, run_monte_carlo(scenario, 2 * BLOCK_SIZE + 999, seed=6, sampler="lhs", engine=dask_engine))
    # delta analyses the correlated draws as given: the model runs on the workers, the
    # outputs are gathered here for SALib
    local = scenario.sensitivity("delta", samples=300, seed=4, num_resamples=10)
    remote = scenario.sensitivity("delta", samples=300, seed=4, num_resamples=10, engine=dask_engine)
    assert_frame_equal(local.table, remote.table, check_exact=True)


def test_monte_carlo_identical_for_any_task_layout(cluster, scenario):
    # one block per task and one task in flight, vs several blocks per task and a deep
    # window: how work is cut and scheduled never changes the numbers
    samples = 6 * BLOCK_SIZE + 3
    local = run_monte_carlo(scenario, samples, seed=8, workers=2)
    with DaskEngine(scheduler=cluster.scheduler_address, tasks_per_worker=1, max_batch=1) as narrow, \
            DaskEngine(scheduler=cluster.scheduler_address, tasks_per_worker=4, max_batch=4) as wide:
        assert_same_run(local, run_monte_carlo(scenario, samples, seed=8, engine=narrow))
        assert_same_run(local, run_monte_carlo(scenario, samples, seed=8, engine=wide, chunk_size=3 * BLOCK_SIZE))


def test_map_keeps_order_and_bounds_tasks_in_flight(dask_engine):
    window = dask_engine.tasks_per_worker * dask_engine.workers
    seen = list(dask_engine.map_ordered(_slow_square, range(40), context=1, batch=1))
    assert seen == [i * i + 1 for i in range(40)]
    stats = dask_engine.last_map
    assert (stats["tasks"], stats["window"]) == (40, window)
    assert stats["peak_in_flight"] == window  # the window filled, and never more
    # automatic batches: about 4 tasks per worker thread, at most 16 items each
    list(dask_engine.map_ordered(_slow_square, range(1000), context=0))
    assert dask_engine.last_map["batch"] == 16 and dask_engine.last_map["tasks"] == 63


def _slow_square(context, item):
    time.sleep(0.001 * ((item * 7) % 5))  # finish out of order
    return item * item + context


def test_worker_errors_reach_the_caller(dask_engine):
    def model(x):
        return np.where(x["x1"] > 0.9, np.nan, x["x1"] + x["x2"])

    from scipy import stats

    inputs = {"x1": stats.uniform(0, 1), "x2": stats.uniform(0, 1)}
    with pytest.raises(RoqInputError, match="first at design row"):
        run_sensitivity(model, inputs, "sobol", samples=1024, seed=1, output_name="y", block_size=128, engine=dask_engine)


def test_progress_bar_with_dask(dask_engine, scenario, capsys):
    run_monte_carlo(scenario, 2 * BLOCK_SIZE, seed=1, progress=True, engine=dask_engine)
    assert "Monte Carlo" in capsys.readouterr().err


@pytest.mark.parametrize("ci_method", ["bootstrap", "asymptotic"])
def test_sobol_sensitivity_identical_to_local(dask_engine, scenario, ci_method):
    # 2048 base rows in blocks of 300: six full blocks and a partial one
    options = dict(samples=2048, seed=3, num_resamples=50, block_size=300, ci_method=ci_method)
    local = scenario.sensitivity("sobol", engine=LocalEngine(2), **options)
    remote = scenario.sensitivity("sobol", engine=dask_engine, **options)
    for key in ("S1", "S1_conf", "ST", "ST_conf", "S2", "S2_conf"):
        np.testing.assert_array_equal(local.raw[key], remote.raw[key])
    assert_frame_equal(local.table, remote.table, check_exact=True)
    assert_frame_equal(local.second_order, remote.second_order, check_exact=True)
    assert (local.n_evaluations, local.output_mean, local.output_std) == (remote.n_evaluations, remote.output_mean, remote.output_std)


def test_morris_gathers_outputs_identically(dask_engine, scenario):
    local = scenario.sensitivity("morris", samples=40, seed=2)
    remote = scenario.sensitivity("morris", samples=40, seed=2, engine=dask_engine)
    assert_frame_equal(local.table, remote.table, check_exact=True)


def test_large_two_way_sweep_identical_to_local(dask_engine, scenario):
    # 300 x 300 = 90,000 points: more than one chunk of 65,536, so it is distributed
    local = sweeps.two_way(scenario, points=300)
    remote = sweeps.two_way(scenario, points=300, engine=dask_engine)
    assert len(remote) == 90_000
    assert_frame_equal(local, remote, check_exact=True)


def _body(text: str) -> str:
    """Printed report without the timing line."""
    return "\n".join(line for line in text.splitlines() if "scenarios/s" not in line)


def test_cli_engine_dask_starts_its_own_cluster(capsys):
    samples = str(BLOCK_SIZE + 4321)
    assert main(["simulate", "--samples", samples, "--seed", "5", "--engine", "local", "--workers", "1"]) == 0
    local = capsys.readouterr().out
    # one worker process: with the fixture's two, any worker count gives the same numbers
    assert main(["simulate", "--samples", samples, "--seed", "5", "--engine", "dask", "--workers", "1", "--no-progress"]) == 0
    remote = capsys.readouterr().out
    assert "engine dask with 1 worker)" in remote
    assert _body(remote) == _body(local)


def test_cli_scheduler_uses_the_existing_cluster(cluster, capsys, tmp_path):
    args = ["sensitivity", "--method", "sobol", "--samples", "512", "--seed", "4", "--resamples", "20"]
    assert main(args + ["--out", str(tmp_path / "local")]) == 0
    local = capsys.readouterr().out
    assert main(args + ["--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask")]) == 0
    remote = capsys.readouterr().out
    assert remote.split("Wrote")[0] == local.split("Wrote")[0]
    assert_frame_equal(pd.read_csv(tmp_path / "local" / "sensitivity_sobol.csv"), pd.read_csv(tmp_path / "dask" / "sensitivity_sobol.csv"), check_exact=True)
    assert main(["simulate", "--samples", "70000", "--seed", "2", "--scheduler", cluster.scheduler_address]) == 0
    assert "engine dask with 2 workers" in capsys.readouterr().out


def test_cli_unknown_engine_is_a_one_line_error(capsys):
    assert main(["simulate", "--samples", "1000", "--engine", "spark"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == "roq: error: --engine: must be one of local, dask, got 'spark'"
    assert captured.out == ""


def test_cli_unreachable_scheduler_fails_fast(capsys):
    started = time.perf_counter()
    assert main(["simulate", "--samples", "1000", "--scheduler", "tcp://127.0.0.1:1", "--connect-timeout", "1"]) == 2
    assert time.perf_counter() - started < 20
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert error.startswith("roq: error: --scheduler: cannot connect to a Dask scheduler at tcp://127.0.0.1:1 within 1 s")


def test_cli_scheduler_needs_the_dask_engine(capsys):
    assert main(["sweep", "--kind", "oneway", "--engine", "local", "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert capsys.readouterr().err.strip().startswith("roq: error: --scheduler: needs the dask engine")


def test_work_streams_to_dask_for_any_sample_count(dask_engine, scenario):
    # 10**12 scenarios are 15 million blocks: batches are cut as tasks are submitted, so
    # only the window in flight exists; --max-time stops it cleanly after a second
    result = run_monte_carlo(scenario, 10**12, seed=1, engine=dask_engine, max_time=1.0, progress=False)
    assert result.stopped_early and result.requested_samples == 10**12
    blocks = -(-10**12 // BLOCK_SIZE)  # work units: a block each on numpy, up to KERNEL_UNIT_BLOCKS a kernel call on numba
    units = _Units(blocks, KERNEL_UNIT_BLOCKS, workers=dask_engine.workers)
    assert dask_engine.last_map["items"] == (len(units) if result.kernel == "numba" else blocks)
    assert dask_engine.last_map["peak_in_flight"] <= dask_engine.last_map["window"]
    # the partial is a run of that many scenarios on the path it took (auto: numba for 10**12)
    local = run_monte_carlo(scenario, result.samples, seed=1, progress=False, workers=2, kernel=result.kernel)
    assert local.statistics["roq"]["mean"] == result.statistics["roq"]["mean"]


def test_issue11_outputs_identical_to_local(dask_engine, tmp_path):
    """Percentiles (exact and sketch), targets, replicate intervals, the retained sample
    (tornado, achieved correlations) and the sample export: the same numbers on Dask."""
    from simulator.uncertainty.comparison import compare_monte_carlo
    from simulator.uncertainty.scenario import scenario_from_rows

    scenario = correlated_scenario()
    options = dict(seed=13, targets={"npv_net": [1e9]}, percentiles=(0.01, 0.5, 0.99))
    for samples, sampler in ((BLOCK_SIZE + 99, "random"), (3 * BLOCK_SIZE + 5, "lhs"), (2 * BLOCK_SIZE, "sobol")):
        local = run_monte_carlo(scenario, samples, sampler=sampler, workers=2, chunk_size=5000, export_samples=tmp_path / f"l{sampler}.csv", **options)
        remote = run_monte_carlo(scenario, samples, sampler=sampler, engine=dask_engine, export_samples=tmp_path / f"r{sampler}.csv", **options)
        assert_same_run(local, remote)
        for frame in ("percentiles_frame", "targets_frame", "rank_correlations"):
            assert_frame_equal(getattr(local, frame)(), getattr(remote, frame)(), check_exact=True)
        assert_frame_equal(local.sample_sensitivity("roq").table, remote.sample_sensitivity("roq").table, check_exact=True)
        assert (tmp_path / f"l{sampler}.csv").read_bytes() == (tmp_path / f"r{sampler}.csv").read_bytes()
    b = scenario_from_rows([r if r[0] != "model.annual_cost" else ["model.annual_cost", 750e6] for r in scenario.to_rows()])
    assert_frame_equal(compare_monte_carlo(scenario, b, 2 * BLOCK_SIZE + 3, seed=2, workers=1).to_frame(),
                       compare_monte_carlo(scenario, b, 2 * BLOCK_SIZE + 3, seed=2, engine=dask_engine).to_frame(), check_exact=True)


def test_sobol_replicate_intervals_identical_to_local(dask_engine):
    def model(x):
        return x["a"] + 2 * x["b"] * x["c"]

    class Unit:
        def ppf(self, u):
            return u

    inputs = {name: Unit() for name in "abc"}
    for sampler in ("sobol", "lhs"):
        options = dict(samples=512, seed=3, output_name="y", sampler=sampler, block_size=100)
        local = run_sensitivity(model, inputs, "sobol", engine=LocalEngine(2), **options)
        remote = run_sensitivity(model, inputs, "sobol", engine=dask_engine, **options)
        assert_frame_equal(local.table, remote.table, check_exact=True)
