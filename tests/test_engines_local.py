"""Engines without a cluster: choosing an engine, bad input, ordered bounded maps, the
streaming Sobol' design, and importing the engines without Dask installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
from scipy import stats

from simulator.engines import ENGINES, LocalEngine, get_engine, resolve_engine
from simulator.errors import RoqInputError
from simulator.uncertainty import sobol_fast
from simulator.uncertainty.sensitivity import _sobol_rows, run_sensitivity


def ishigami(x):
    return np.sin(x["x1"]) + 7 * np.sin(x["x2"]) ** 2 + 0.1 * x["x3"] ** 4 * np.sin(x["x1"])


ISHIGAMI_INPUTS = {name: stats.uniform(-np.pi, 2 * np.pi) for name in ("x1", "x2", "x3")}


def test_engine_names():
    assert ENGINES == ("local", "dask")
    engine = get_engine("local", workers=3)
    assert isinstance(engine, LocalEngine) and engine.name == "local" and engine.workers == 3
    assert get_engine("LOCAL").name == "local"
    assert get_engine(None).name == "local"
    dask_engine = get_engine("dask", workers=2)  # lazy: no cluster until first use
    assert dask_engine.name == "dask" and dask_engine.workers == 2 and dask_engine.address is None
    dask_engine.close()


@pytest.mark.parametrize(
    "call, argument, fragment",
    [
        (lambda: get_engine("spark"), "engine", "must be one of local, dask, got 'spark'"),
        (lambda: get_engine("spark", argument="--engine"), "--engine", "'spark'"),
        (lambda: get_engine("local", scheduler="tcp://127.0.0.1:8786"), "scheduler", "needs the dask engine"),
        (lambda: get_engine("local", workers=0), "workers", ">= 1"),
        (lambda: get_engine("dask", scheduler="  "), "scheduler", "must be a scheduler address"),
        (lambda: get_engine("dask", connect_timeout=0), "connect_timeout", "> 0"),
        (lambda: resolve_engine(object()), "engine", "get_engine"),
    ],
)
def test_bad_engine_input_names_the_argument(call, argument, fragment):
    with pytest.raises(RoqInputError) as error:
        call()
    assert error.value.argument == argument
    assert fragment in str(error.value)


def test_resolve_engine_owns_only_what_it_makes():
    engine, owned = resolve_engine(None, workers=2)
    assert owned and engine.name == "local" and engine.workers == 2
    mine = LocalEngine(1)
    assert resolve_engine(mine) == (mine, False)


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_local_map_is_ordered_and_bounded(workers):
    running = []
    peak = [0]
    lock = threading.Lock()

    def slow(context, item):
        with lock:
            running.append(item)
            peak[0] = max(peak[0], len(running))
        time.sleep(0.002 * ((item * 7) % 5))  # finish out of order
        with lock:
            running.remove(item)
        return context + item

    assert list(LocalEngine(workers).map_ordered(slow, range(30), context=100)) == [100 + i for i in range(30)]
    assert peak[0] <= workers


def test_local_map_raises_the_task_error():
    def failing(context, item):
        if item == 5:
            raise RoqInputError("model", "broke on item 5")
        return item

    with pytest.raises(RoqInputError, match="broke on item 5"):
        list(LocalEngine(2).map_ordered(failing, range(20)))


@pytest.mark.parametrize("first_row, n_rows", [(0, 100), (96, 32), (1000, 24), (4000, 96)])
def test_sobol_rows_are_slices_of_the_base_sequence(first_row, n_rows):
    whole = sobol_fast.sobol_base(3, 4096, seed=2024)
    np.testing.assert_array_equal(_sobol_rows(3, first_row, n_rows, scramble=True, seed=2024), whole[first_row:first_row + n_rows])


def test_streaming_sobol_equals_salib_over_many_blocks():
    # 4096 base rows in blocks of 500: eight full blocks and a partial one
    common = dict(samples=4096, seed=5, output_name="y", num_resamples=20, ci_method="bootstrap")
    streamed = run_sensitivity(ishigami, ISHIGAMI_INPUTS, "sobol", block_size=500, **common)
    reference = run_sensitivity(ishigami, ISHIGAMI_INPUTS, "sobol", backend="salib", **common)
    for key in ("S1", "ST", "S2"):
        np.testing.assert_allclose(streamed.raw[key], reference.raw[key], atol=1e-10)
    assert streamed.n_evaluations == reference.n_evaluations == 4096 * 8
    assert streamed.output_mean == pytest.approx(reference.output_mean, rel=1e-12)
    assert streamed.output_std == pytest.approx(reference.output_std, rel=1e-12)
    # the Poisson weights are keyed by base row, so the intervals hardly move with the blocks
    one_block = run_sensitivity(ishigami, ISHIGAMI_INPUTS, "sobol", block_size=8192, **common)
    np.testing.assert_allclose(streamed.raw["ST_conf"], one_block.raw["ST_conf"], rtol=1e-9)


def test_sobol_does_not_depend_on_local_threads():
    common = dict(samples=2048, seed=9, output_name="y", num_resamples=30, block_size=256)
    one = run_sensitivity(ishigami, ISHIGAMI_INPUTS, "sobol", engine=LocalEngine(1), **common)
    two = run_sensitivity(ishigami, ISHIGAMI_INPUTS, "sobol", engine=LocalEngine(2), **common)
    for key in ("S1", "S1_conf", "ST", "ST_conf", "S2", "S2_conf"):
        np.testing.assert_array_equal(one.raw[key], two.raw[key])


def test_engines_import_and_run_without_dask(tmp_path):
    # a fresh interpreter in which `import dask` / `import distributed` fail
    script = textwrap.dedent(
        """
        import sys

        class NoDask:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("dask", "distributed"):
                    raise ImportError(f"No module named {name!r} (blocked for the test)")
                return None

        sys.meta_path.insert(0, NoDask())
        from simulator.engines import get_engine
        from simulator.errors import RoqInputError
        from simulator.uncertainty import builtin_scenario, run_monte_carlo

        result = run_monte_carlo(builtin_scenario(), samples=5000, seed=1, engine="local")
        assert result.engine == "local"
        engine = get_engine("dask")
        try:
            engine.start()
        except RoqInputError as error:
            print(error)
        assert "dask" not in sys.modules and "distributed" not in sys.modules
        """
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().startswith("engine: 'dask' needs the dask.distributed package")
    assert "pip install 'roq-toolkit[dask]'" in completed.stdout


def test_single_blas_thread_limits_the_pools_each_time_and_restores_them():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from simulator.engines._threads import single_blas_thread

    before = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()]
    for _ in range(3):  # the pools are found once and reused
        with single_blas_thread():
            assert all(pool["num_threads"] == 1 for pool in threadpoolctl.threadpool_info())
        assert [pool["num_threads"] for pool in threadpoolctl.threadpool_info()] == before
