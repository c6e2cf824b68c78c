"""sobol_fast: same point estimates as SALib's sobol.analyze, equivalent confidence
intervals, block-size independence, mergeable partials, bad input."""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pytest
from SALib.analyze import sobol as salib_sobol
from SALib.sample import sobol as salib_sample
from scipy import stats

import simulator.uncertainty.sobol_fast
from simulator import RoqInputError
from simulator.uncertainty import sobol_fast as sf


def problem(D):
    return {"num_vars": D, "names": [f"x{i}" for i in range(D)], "bounds": [[0.0, 1.0]] * D}


def outputs(D, N, second_order=True, seed=0, offset=1e6):
    """A non-additive test model with a large mean (stresses SALib's mean-centring)."""
    X = sf.saltelli_design(D, N, second_order, seed=seed)
    weights = np.linspace(1.0, 0.2, D)
    Y = offset + np.sin(2 * np.pi * X) @ weights + 3 * X[:, 0] * X[:, -1] + X[:, 0] ** 3
    return Y


def salib(D, Y, second_order=True, num_resamples=100, seed=5):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return salib_sobol.analyze(problem(D), Y, calc_second_order=second_order, num_resamples=num_resamples, seed=seed)


def test_docstring_examples():
    assert doctest.testmod(simulator.uncertainty.sobol_fast, raise_on_error=False).failed == 0


@pytest.mark.parametrize("D", [1, 3, 6])
@pytest.mark.parametrize("second_order", [True, False])
def test_saltelli_design_is_salibs(D, second_order):
    expected = salib_sample.sample(problem(D), 64, calc_second_order=second_order, seed=11)
    assert np.array_equal(sf.saltelli_design(D, 64, second_order, seed=11), expected)


@pytest.mark.parametrize("D", [1, 2, 4, 7])
@pytest.mark.parametrize("second_order", [True, False])
def test_point_estimates_equal_salib(D, second_order):
    Y = outputs(D, 256, second_order, seed=D)
    ours = sf.analyze(D, Y, second_order, num_resamples=20, seed=1)
    reference = salib(D, Y, second_order, num_resamples=20)
    keys = ["S1", "S1_conf", "ST", "ST_conf"] + (["S2", "S2_conf"] if second_order else [])
    assert sorted(ours) == sorted(keys)
    for key in ("S1", "ST") + (("S2",) if second_order else ()):
        np.testing.assert_allclose(ours[key], reference[key], rtol=0, atol=1e-10, err_msg=key)
    if second_order:  # SALib's layout: upper triangle, NaN elsewhere
        assert np.array_equal(np.isnan(ours["S2"]), np.isnan(np.asarray(reference["S2"])))
        assert np.array_equal(np.isnan(ours["S2_conf"]), np.isnan(np.asarray(reference["S2_conf"])))


def test_point_estimates_equal_salib_on_problem_dict_and_small_offset():
    Y = outputs(5, 128, True, seed=3, offset=0.0)
    ours = sf.analyze(problem(5), Y, seed=2)
    reference = salib(5, Y)
    for key in ("S1", "ST", "S2"):
        np.testing.assert_allclose(ours[key], reference[key], atol=1e-10)


def test_confidence_intervals_statistically_equivalent_to_salib():
    # large N, many resamples: each bootstrap SD has ~4% Monte Carlo error, so 25% is > 4 SDs
    D, N, R = 3, 4096, 300
    Y = outputs(D, N, True, seed=9, offset=10.0)
    reference = salib(D, Y, True, num_resamples=R, seed=3)
    boot = sf.analyze(D, Y, True, num_resamples=R, seed=4)
    asym = sf.analyze(D, Y, True, ci_method="asymptotic")
    for key in ("S1_conf", "ST_conf", "S2_conf"):
        ref = np.asarray(reference[key])
        keep = np.isfinite(ref)
        np.testing.assert_allclose(boot[key][keep], ref[keep], rtol=0.25, err_msg=key)
        np.testing.assert_allclose(asym[key][keep], ref[keep], rtol=0.2, err_msg=key)
        np.testing.assert_allclose(asym[key][keep], boot[key][keep], rtol=0.2, err_msg=key)


def iid_saltelli_outputs(model, D, N, rng):
    """Saltelli's cross-sampling on independent uniform draws (rows truly iid)."""
    A, B = rng.random((N, D)), rng.random((N, D))
    rows = [A] + [np.where(np.arange(D) == j, B, A) for j in range(D)] + [B]
    return np.stack([model(X) for X in rows], axis=1).reshape(-1)


@pytest.mark.parametrize("ci_method", ["bootstrap", "asymptotic"])
def test_interval_matches_the_sampling_spread(ci_method):
    # over independent iid designs, the 95% half-width should be 1.96 x the SD of the estimates
    D, N, replications = 3, 512, 60
    rng = np.random.default_rng(2024)

    def ishigami(X):
        X = X * 2 * np.pi - np.pi
        return np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])

    estimates, half_widths = [], []
    for replication in range(replications):
        Y = iid_saltelli_outputs(ishigami, D, N, rng)
        result = sf.analyze(D, Y, False, num_resamples=100, seed=replication, ci_method=ci_method)
        estimates.append(np.r_[result["S1"], result["ST"]])
        half_widths.append(np.r_[result["S1_conf"], result["ST_conf"]])
    spread = 1.96 * np.std(estimates, axis=0, ddof=1)
    typical = np.mean(half_widths, axis=0)
    keep = spread > 1e-3  # ST of x2... all six are informative here
    ratio = typical[keep] / spread[keep]
    assert keep.sum() >= 5
    assert np.all((ratio > 0.7) & (ratio < 1.4)), ratio


@pytest.mark.filterwarnings("ignore:The balance properties")
@pytest.mark.parametrize("ci_method", ["bootstrap", "asymptotic"])
def test_block_size_does_not_change_results(ci_method):
    D, N = 4, 300  # N not a multiple of the block sizes or of WEIGHT_BLOCK_ROWS
    Y = outputs(D, N, True, seed=2)[: N * (2 * D + 2)]
    one_shot = sf.analyze(D, Y, num_resamples=50, seed=8, ci_method=ci_method, block_size=10**6)
    for block_size in (1, 7, 64, 299):
        blocked = sf.analyze(D, Y, num_resamples=50, seed=8, ci_method=ci_method, block_size=block_size)
        for key, value in one_shot.items():
            # confidence intervals too: bootstrap weights are keyed by the global row
            np.testing.assert_allclose(blocked[key], value, rtol=1e-11, atol=1e-13, err_msg=f"{key} block {block_size}")


def test_bootstrap_weights_keyed_by_global_row():
    whole = sf.poisson_weights(42, 0, 10_000, 5)
    parts = np.hstack([sf.poisson_weights(42, 0, 3_000, 5), sf.poisson_weights(42, 3_000, 5_000, 5), sf.poisson_weights(42, 8_000, 2_000, 5)])
    assert np.array_equal(whole, parts)
    assert not np.array_equal(whole, sf.poisson_weights(43, 0, 10_000, 5))


def test_bootstrap_weights_are_poisson_one():
    weights = sf.poisson_weights(7, 0, 200_000, 5).ravel()
    counts = np.bincount(weights, minlength=8)[:8].astype(float)
    expected = stats.poisson(1).pmf(np.arange(8)) * weights.size
    expected[-1] += stats.poisson(1).sf(7) * weights.size
    counts[-1] += (weights >= 8).sum()
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < stats.chi2(7).ppf(0.999)


@pytest.mark.filterwarnings("ignore:The balance properties")
def test_merge_of_partials_equals_one_shot():
    D, N = 3, 500
    Y = outputs(D, N, True, seed=4, offset=50.0)
    A, B, AB, BA = sf.split_outputs(Y, D)
    shift = float(np.mean(A[:10]))  # a pilot estimate, not the overall mean
    bounds = [0, 10, 137, 138, 400, 500]
    blocks = [slice(s, e) for s, e in zip(bounds, bounds[1:])]
    partials = [sf.sobol_partial(A[b], B[b], AB[b], BA[b], shift=shift, first_row=b.start, num_resamples=60, seed=3, moments=True) for b in blocks]
    merged = sf.merge(partials[::-1])  # order does not matter
    assert merged.num_rows == N and merged.row_ranges == ((0, N),)
    for ci_method in ("bootstrap", "asymptotic"):
        expected = sf.analyze(D, Y, num_resamples=60, seed=3, ci_method=ci_method)
        got = sf.finalize(merged, ci_method=ci_method)
        for key in expected:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-9, atol=1e-10, err_msg=f"{ci_method} {key}")
    # and the point estimates are SALib's
    reference = salib(D, Y)
    for key in ("S1", "ST", "S2"):
        np.testing.assert_allclose(sf.finalize(merged)[key], reference[key], atol=1e-10)


def test_first_order_only_partials():
    D, N = 2, 64
    Y = outputs(D, N, False, seed=1)
    A, B, AB, BA = sf.split_outputs(Y, D, False)
    assert BA is None
    partial = sf.sobol_partial(A, B, AB, shift=float(Y.mean()), num_resamples=10, seed=1)
    result = sf.finalize(partial)
    assert "S2" not in result
    np.testing.assert_allclose(result["ST"], salib(D, Y, False)["ST"], atol=1e-10)


def test_seed_reproducible():
    Y = outputs(3, 128, seed=6)
    first = sf.analyze(3, Y, seed=0)
    again = sf.analyze(3, Y, seed=0)
    other = sf.analyze(3, Y, seed=1)
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    assert not np.allclose(first["S1_conf"], other["S1_conf"])
    np.testing.assert_array_equal(first["S1"], other["S1"])
    unseeded = sf.analyze(3, Y)  # fresh entropy, still valid
    assert np.all(unseeded["S1_conf"] > 0)


def test_constant_output_gives_zeros_like_salib():
    Y = np.full(64 * 8, 3.0)
    with pytest.warns(RuntimeWarning, match="Constant values"):
        ours = sf.analyze(3, Y, seed=1)
    assert np.all(ours["S1"] == 0) and np.all(ours["ST_conf"] == 0)
    assert np.all(ours["S2"][0, 1:] == 0)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"Y": np.zeros(23)}, "Y"),
        ({"Y": np.r_[np.nan, np.ones(31)]}, "Y"),
        ({"Y": np.ones((4, 8))}, "Y"),
        ({"conf_level": 1.0}, "conf_level"),
        ({"conf_level": 0}, "conf_level"),
        ({"ci_method": "jackknife"}, "ci_method"),
        ({"num_resamples": 1}, "num_resamples"),
        ({"block_size": 0}, "block_size"),
        ({"seed": -1}, "seed"),
        ({"problem_or_num_vars": 0}, "problem"),
        ({"calc_second_order": False}, "Y"),  # 32 outputs are not a multiple of D + 2 = 5
    ],
)
def test_bad_input_names_the_argument(kwargs, argument):
    arguments = {"problem_or_num_vars": 3, "Y": np.random.default_rng(0).random(32)}
    arguments.update(kwargs)
    with pytest.raises(RoqInputError) as error:
        sf.analyze(**arguments)
    assert error.value.argument == argument
    assert str(error.value).startswith(f"{argument}: ")


def test_merge_refuses_incompatible_partials():
    Y = outputs(2, 32, seed=1)
    A, B, AB, BA = sf.split_outputs(Y, 2)
    first = sf.sobol_partial(A[:16], B[:16], AB[:16], BA[:16], shift=1e6, num_resamples=5, seed=1)
    overlapping = sf.sobol_partial(A[8:], B[8:], AB[8:], BA[8:], shift=1e6, first_row=8, num_resamples=5, seed=1)
    other_shift = sf.sobol_partial(A[16:], B[16:], AB[16:], BA[16:], shift=0.0, first_row=16, num_resamples=5, seed=1)
    with pytest.raises(RoqInputError, match="overlap"):
        sf.merge([first, overlapping])
    with pytest.raises(RoqInputError, match="shift"):
        sf.merge([first, other_shift])
    with pytest.raises(RoqInputError, match="partials"):
        sf.merge([])
    with pytest.raises(RoqInputError, match="moments=True"):
        sf.finalize(first, ci_method="asymptotic")
    with pytest.raises(RoqInputError, match="BA"):
        sf.sobol_partial(A, B, AB, BA[:, :1])
    with pytest.raises(RoqInputError, match="NaN"):
        sf.sobol_partial(A * np.nan, B, AB, BA)
    with pytest.raises(RoqInputError) as error:
        sf.sobol_partial(A, B, AB, BA, num_resamples=10)
    assert error.value.argument == "seed"


def _g_block(base_rows, first_row, shift, seed):
    """One Dask task: evaluate a block of the design and reduce it to a partial."""
    a = np.array([0.0, 1.0, 4.5, 9.0])
    X = sf.cross_sample(base_rows, True)
    Y = np.prod((np.abs(4 * X - 2) + a) / (1 + a), axis=1)
    A, B, AB, BA = sf.split_outputs(Y, 4)
    return sf.sobol_partial(A, B, AB, BA, shift=shift, first_row=first_row, num_resamples=50, seed=seed, moments=True)


@pytest.mark.slow
def test_partials_on_a_dask_cluster_equal_the_local_analysis():
    distributed = pytest.importorskip("distributed")
    N, block = 1024, 256
    base = sf.sobol_base(4, N, seed=5)
    a = np.array([0.0, 1.0, 4.5, 9.0])
    Y = np.prod((np.abs(4 * sf.cross_sample(base) - 2) + a) / (1 + a), axis=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(2)
        futures = [client.submit(_g_block, base[start : start + block], start, 1.0, 99) for start in range(0, N, block)]
        partials = client.gather(futures)
        workers = {who for who_has in client.who_has(futures).values() for who in who_has}
    assert len(workers) == 2  # really spread over two processes
    merged = sf.merge(partials)
    for ci_method in ("bootstrap", "asymptotic"):
        local = sf.analyze(4, Y, num_resamples=50, seed=99, ci_method=ci_method)
        remote = sf.finalize(merged, ci_method=ci_method)
        for key in local:
            np.testing.assert_allclose(remote[key], local[key], rtol=1e-9, atol=1e-10, err_msg=f"{ci_method} {key}")
