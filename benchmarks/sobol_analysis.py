"""Sobol' analysis time: simulator.uncertainty.sobol_fast vs SALib's sobol.analyze.

Both analyse the SAME model outputs Y (Sobol' G-function, D = 10 inputs, a = 0, 1, 4.5,
9, 99, ...; Saltelli design with second order, so N (2D + 2) outputs) with second-order
indices and 100 bootstrap resamples. Printed side by side per N: wall time, speed-up,
peak traced memory (tracemalloc, NumPy buffers included), the largest absolute
difference of the point estimates (S1, ST, S2) and how the confidence-interval
half-widths compare (ours use the Poisson bootstrap or the delta method, SALib the
multinomial bootstrap, so they agree statistically, not digit for digit).

SALib runs once per size (about a minute and 0.65 GB at N = 2**16); ours best of 5.

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


def timed(function, repeat: int = 1):
    """Best wall time of ``repeat`` runs, peak traced memory (MB) and the last result."""
    best, peak, result = np.inf, 0.0, None
    for _ in range(repeat):
        tracemalloc.start()
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        peak = max(peak, tracemalloc.get_traced_memory()[1] / 1e6)
        tracemalloc.stop()
        best = min(best, elapsed)
    return best, peak, result


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
    args = parser.parse_args(argv)
    exponents = (12, 14) if args.quick else (14, 16)
    from SALib.analyze import sobol as salib_sobol

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
    for exponent in exponents:
        N = 2**exponent
        X = sobol_fast.saltelli_design(D, N, True, seed=exponent)
        Y = g_function(X)
        del X
        ours_time, ours_mb, ours = timed(lambda: sobol_fast.analyze(problem, Y, True, NUM_RESAMPLES, seed=1), repeat=5)
        asym_time, _, asym = timed(lambda: sobol_fast.analyze(problem, Y, True, seed=1, ci_method="asymptotic"), repeat=5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            salib_time, salib_mb, salib = timed(lambda: salib_sobol.analyze(problem, Y, True, NUM_RESAMPLES, seed=1))
        dci, ratio_median, ratio_min, ratio_max = conf_comparison(ours, salib)
        _, asym_median, _, _ = conf_comparison(asym, salib)
        print(
            f"{'2^' + str(exponent):>7} {Y.size:>10,} | {salib_time:>8.2f} {salib_mb:>7.0f} | {ours_time:>11.3f} {ours_mb:>6.0f} {salib_time / ours_time:>8.1f} |"
            f" {asym_time:>11.3f} {salib_time / asym_time:>8.1f} | {point_difference(ours, salib):>8.1e} | {dci:>8.4f}"
            f" {f'{ratio_median:.2f} [{ratio_min:.2f}, {ratio_max:.2f}]':>29} | {asym_median:>14.2f}",
            flush=True,
        )
    print()
    print("max|dS|: largest absolute difference of S1, ST, S2 point estimates, ours vs SALib (target < 1e-10).")
    print("CI columns: half-widths of the 95% intervals of S1, ST and S2 (65 numbers), ours (Poisson bootstrap) vs SALib (multinomial bootstrap);")
    print("each bootstrap SD from 100 resamples has ~7% sampling error, so ratios spread around 1 by roughly +-20%.")
    print("MB: peak memory traced by tracemalloc during the analysis.")


if __name__ == "__main__":
    main()
