"""Closed-form NPV sums against the year loop: model time per scenario by horizon.

With constant growth and margin, ``simulator.roq.evaluate`` sums the share recursion's
present values as geometric series (O(1) per scenario) from horizon
``CLOSED_FORM_MIN_HORIZON`` on; below it, and for per-year paths, it loops over the years.
This script times both on the same inputs (the built-in scenario's draws), alternating in
one process, best of ``--repeat``, prints the load average, the ratio and the largest
relative difference between the two, for a range of horizons.

Usage::

    .venv/bin/python benchmarks/closed_form_npv.py [--scenarios 65536] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import simulator.roq.model as model
from simulator.uncertainty import builtin_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=65536)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; cores: {os.cpu_count()}; "
          f"{args.scenarios:,} scenarios, best of {args.repeat}; closed form used from horizon {model.CLOSED_FORM_MIN_HORIZON}")
    closed_form = model._closed_form_sums
    loop_only = lambda *a, **k: None  # noqa: E731  (forces the year loop)
    draws = builtin_scenario().draw(0, args.scenarios)
    print(f"{'horizon':>8}{'closed ns/scen.':>17}{'loop ns/scen.':>15}{'loop/closed':>13}{'max rel. diff':>15}")
    for horizon in (1, 3, 5, 8, 12, 20, 50, 100):
        parameters = dict(draws, horizon=horizon)
        best = {"closed": float("inf"), "loop": float("inf")}
        results = {}
        for _ in range(args.repeat):
            for name, function in (("closed", closed_form), ("loop", loop_only)):
                model._closed_form_sums = function
                start = time.perf_counter()
                results[name] = model.evaluate(parameters, validate=False)
                best[name] = min(best[name], time.perf_counter() - start)
        model._closed_form_sums = closed_form
        worst = max(float(np.max(np.abs(results["closed"][k] - results["loop"][k]) / np.abs(results["loop"][k]))) for k in results["loop"])
        per = {k: v / args.scenarios * 1e9 for k, v in best.items()}
        print(f"{horizon:>8}{per['closed']:>17.1f}{per['loop']:>15.1f}{per['loop'] / per['closed']:>13.2f}{worst:>15.1e}")


if __name__ == "__main__":
    main()
