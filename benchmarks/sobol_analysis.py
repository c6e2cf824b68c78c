"""Sobol' analysis time: simulator.uncertainty.sobol_fast vs SALib's sobol.analyze.

Both analyse the SAME model outputs Y (Sobol' G-function, D = 10 inputs, a = 0, 1, 4.5,
9, 99, ...; Saltelli design with second order, so N (2D + 2) outputs) with second-order
indices and 100 bootstrap resamples. Printed side by side per N: wall time, speed-up,
peak traced memory, the largest absolute difference of the point estimates (S1, ST, S2)
and how the confidence-interval half-widths compare (ours use the Poisson bootstrap or
the delta method, SALib the multinomial bootstrap, so they agree statistically, not digit
for digit). A second table times the whole workflow a user would write: SALib's
``sobol.sample`` + the numpy model + SALib's ``sobol.analyze``, against our design +
the same model + our analysis.

Timing: ours and SALib alternate in one process, best of ``--repeat`` for both, the load
average printed before each size. Memory is measured in a separate pass (tracemalloc
doubles the time of numpy-heavy code, so nothing is timed under it).

Usage::

    .venv/bin/python benchmarks/sobol_analysis.py            # N = 2**14 and 2**16
    .venv/bin/python benchmarks/sobol_analysis.py --quick    # N = 2**12 and 2**14

Target (issue 7): >= 20x faster than SALib at equal point estimates.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import tracemalloc
import warnings

import numpy as np

from simulator.uncertainty import sobol_fast

D = 10
NUM_RESAMPLES = 100
G_COEFFICIENTS = np.array([0, 1, 4.5, 9, 99, 99, 99, 99, 99, 99], dtype=float)


def g_function(X: np.ndarray) -> np.ndarray:
    """Sobol' G-function, prod_i (|4 x_i - 2| + a_i) / (1 + a_i)."""
    return np.prod((np.abs(4 * X - 2) + G_COEFFICIENTS) / (1 + G_COEFFICIENTS), axis=1)


def alternate(functions: dict, repeat: int) -> tuple[dict, dict]:
    """Best wall time of each function over ``repeat`` rounds, the functions taking turns, and the last results."""
    best = {name: np.inf for name in functions}
    results = {}
    for _ in range(repeat):
        for name, function in functions.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                results[name] = function()
                best[name] = min(best[name], time.perf_counter() - start)
    return best, results


def peak_memory_mb(function) -> float:
    """Peak memory traced by tracemalloc during one call (a separate, untimed pass)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracemalloc.start()
        try:
            function()
            return tracemalloc.get_traced_memory()[1] / 1e6
        finally:
            tracemalloc.stop()


def point_difference(ours: dict, reference: dict) -> float:
    worst = 0.0
    for key in ("S1", "ST", "S2"):
        worst = max(worst, float(np.nanmax(np.abs(np.asarray(ours[key]) - np.asarray(reference[key])))))
    return worst


def conf_comparison(ours: dict, reference: dict):
    """Max |difference| of the CI half-widths, and the ratio ours/SALib (median, min, max)."""
    diffs, ratios = [], []
    for key in ("S1_conf", "ST_conf", "S2_conf"):
        a, b = np.asarray(ours[key], dtype=float), np.asarray(reference[key], dtype=float)
        keep = np.isfinite(a) & np.isfinite(b) & (b > 0)
        diffs.append(np.abs(a[keep] - b[keep]))
        ratios.append(a[keep] / b[keep])
    diffs, ratios = np.concatenate(diffs), np.concatenate(ratios)
    return float(diffs.max()), float(np.median(ratios)), float(ratios.min()), float(ratios.max())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 2**12 and 2**14 instead of 2**14 and 2**16")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the alternating timing; best of them (default 3)")
    args = parser.parse_args(argv)
    exponents = (12, 14) if args.quick else (14, 16)
    from SALib.analyze import sobol as salib_sobol
    from SALib.sample import sobol as salib_sample

    problem = {"num_vars": D, "names": [f"x{i + 1}" for i in range(D)], "bounds": [[0.0, 1.0]] * D}
    print(f"Sobol' analysis on identical outputs: D = {D}, second order, {NUM_RESAMPLES} bootstrap resamples")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared: figures are noisy); python {platform.python_version()}, numpy {np.__version__}")
    print()
    header = (
        f"{'N':>7} {'outputs':>10} | {'SALib s':>8} {'MB':>7} | {'ours boot s':>11} {'MB':>6} {'x faster':>8} |"
        f" {'ours asym s':>11} {'x faster':>8} | {'max|dS|':>8} | {'max|dCI|':>8} {'CI ours/SALib med [min, max]':>29} | {'asym/SALib med':>14}"
    )
    print(header)
    print("-" * len(header))
    workflows = []
    for exponent in exponents:
        N = 2**exponent
        X = sobol_fast.saltelli_design(D, N, True, seed=exponent)
        Y = g_function(X)
        del X
        load = os.getloadavg()[0]
        times, results = alternate({
            "ours": lambda: sobol_fast.analyze(problem, Y, True, NUM_RESAMPLES, seed=1),
            "asym": lambda: sobol_fast.analyze(problem, Y, True, seed=1, ci_method="asymptotic"),
            "salib": lambda: salib_sobol.analyze(problem, Y, True, NUM_RESAMPLES, seed=1),
        }, args.repeat)
        ours, asym, salib = results["ours"], results["asym"], results["salib"]
        ours_mb = peak_memory_mb(lambda: sobol_fast.analyze(problem, Y, True, NUM_RESAMPLES, seed=1))
        salib_mb = peak_memory_mb(lambda: salib_sobol.analyze(problem, Y, True, NUM_RESAMPLES, seed=1))
        dci, ratio_median, ratio_min, ratio_max = conf_comparison(ours, salib)
        _, asym_median, _, _ = conf_comparison(asym, salib)
        print(
            f"{'2^' + str(exponent):>7} {Y.size:>10,} | {times['salib']:>8.2f} {salib_mb:>7.0f} | {times['ours']:>11.3f} {ours_mb:>6.0f} {times['salib'] / times['ours']:>8.1f} |"
            f" {times['asym']:>11.3f} {times['salib'] / times['asym']:>8.1f} | {point_difference(ours, salib):>8.1e} | {dci:>8.4f}"
            f" {f'{ratio_median:.2f} [{ratio_min:.2f}, {ratio_max:.2f}]':>29} | {asym_median:>14.2f}   (load {load:.2f})",
            flush=True,
        )
        # the whole user workflow: sample, evaluate the model, analyse
        workflow_times, _ = alternate({
            "salib": lambda: salib_sobol.analyze(problem, g_function(salib_sample.sample(problem, N, calc_second_order=True, seed=exponent)),
                                                 True, NUM_RESAMPLES, seed=1),
            "ours": lambda: sobol_fast.analyze(problem, g_function(sobol_fast.saltelli_design(D, N, True, seed=exponent)), True, NUM_RESAMPLES, seed=1),
        }, args.repeat)
        workflows.append((exponent, workflow_times, os.getloadavg()[0]))
    print()
    print("Whole workflow (sample + numpy model + analyse), best of", args.repeat, "alternating:")
    print(f"{'N':>7} | {'SALib sample+analyze s':>22} | {'ours design+analyze s':>21} | {'x faster':>8} | load")
    for exponent, workflow_times, load in workflows:
        print(f"{'2^' + str(exponent):>7} | {workflow_times['salib']:>22.2f} | {workflow_times['ours']:>21.3f} | {workflow_times['salib'] / workflow_times['ours']:>8.1f} | {load:.2f}")
    print()
    print("max|dS|: largest absolute difference of S1, ST, S2 point estimates, ours vs SALib (target < 1e-10).")
    print("CI columns: half-widths of the 95% intervals of S1, ST and S2 (65 numbers), ours (Poisson bootstrap) vs SALib (multinomial bootstrap);")
    print("each bootstrap SD from 100 resamples has ~7% sampling error, so ratios spread around 1 by roughly +-20%.")
    print("MB: peak memory traced by tracemalloc during the analysis, in a separate pass from the timing.")


if __name__ == "__main__":
    main()
