"""Portfolio optimisation time: Singgih's seven programmes and a 30-programme portfolio.

Printed in one run (best of ``--repeat``, the methods alternating so that load hits both):

1. seven programmes, 10**5 scenarios each (common random numbers): exhaustive enumeration
   of all 128 subsets vs the local search (greedy paths + add/drop/swap), and whether they
   choose the same set; target (issue 14) under 10 s on 2 cores;
2. 30 programmes (Singgih's seven repeated with jittered costs and effects, on more
   dimensions), where enumerating 2^30 subsets is impossible: the local search's time and
   the number of sets it evaluated, beside the time enumeration would take at the measured
   cost of one set.

Every run builds a fresh problem (no cached outcomes carry over).

Usage::

    .venv/bin/python benchmarks/portfolio_optimisation.py [--scenarios 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from simulator.roq.portfolio import SINGGIH_EXAMPLE_DRIVERS, PortfolioProblem, Programme, optimise_portfolio, singgih_programmes
from simulator.uncertainty import builtin_scenario

MIX = dict(dissatisfied_share=35 / 84, satisfied_share=41 / 84, delighted_share=8 / 84,
           repurchase_dissatisfied=13 / 84, repurchase_satisfied=43 / 84, repurchase_delighted=58 / 84)


def problem(programmes, parameters, scale=3.0):
    drivers = SINGGIH_EXAMPLE_DRIVERS
    coefficients = {k: v * scale for k, v in drivers["driver_coefficients"].items()}
    coefficients.update({"tangibles": 0.25 * scale, "price": 0.3 * scale})
    gaps = dict(drivers["gaps"], tangibles=0.3, price=0.5)
    return PortfolioProblem(programmes, parameters, MIX, gaps=gaps, driver_coefficients=coefficients, satisfaction_sd=drivers["satisfaction_sd"])


def thirty_programmes(scenarios: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    base = singgih_programmes(scenarios, seed=seed)
    dimensions = ["reliability", "responsiveness", "assurance", "empathy", "tangibles", "price"]
    programmes = []
    for k in range(30):
        template = base[k % 7]
        factor = rng.uniform(0.5, 1.5)
        effect = np.asarray(template.effect) * rng.uniform(0.6, 1.4)
        programmes.append(Programme(f"{template.name} #{k // 7 + 1}", template.initial_cost * factor, template.annual_cost * factor,
                                    dimensions[k % len(dimensions)], effect))
    return programmes


def best_of(repeat, functions):
    """Run the functions in turn ``repeat`` times; best time and last result of each."""
    times = {name: float("inf") for name in functions}
    results = {}
    for _ in range(repeat):
        for name, function in functions.items():
            start = time.perf_counter()
            results[name] = function()
            times[name] = min(times[name], time.perf_counter() - start)
    return times, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=1.5e9)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; cores: {os.cpu_count()}")
    parameters = builtin_scenario().draw(0, args.scenarios)
    seven = singgih_programmes(args.scenarios, seed=1)
    times, results = best_of(args.repeat, {
        "enumerate": lambda: optimise_portfolio(problem(seven, parameters), args.budget, method="enumerate"),
        "local_search": lambda: optimise_portfolio(problem(seven, parameters), args.budget, method="local_search"),
    })
    per_set = times["enumerate"] / results["enumerate"].evaluations
    print(f"\nseven programmes, {args.scenarios:,} scenarios, budget {args.budget:,.0f}:")
    for name in ("enumerate", "local_search"):
        choice = results[name]
        print(f"  {name:<13} {times[name]:7.2f} s  ({choice.evaluations} sets)  chosen: {', '.join(choice.selected)}")
    print(f"  same choice: {results['enumerate'].selected == results['local_search'].selected}; "
          f"enumeration / local search time: {times['enumerate'] / times['local_search']:.2f}x; one set: {per_set * 1e3:.1f} ms")
    thirty = thirty_programmes(args.scenarios)
    times30, results30 = best_of(args.repeat, {"local_search": lambda: optimise_portfolio(problem(thirty, parameters), args.budget * 2, method="local_search")})
    choice = results30["local_search"]
    print(f"\n30 programmes, {args.scenarios:,} scenarios, budget {args.budget * 2:,.0f}:")
    print(f"  local_search  {times30['local_search']:7.2f} s  ({choice.evaluations} sets)  chosen {len(choice.selected)} programmes, "
          f"expected net NPV gain {choice.value:,.0f}")
    print(f"  enumeration would evaluate 2^30 = {2**30:,} sets: about {2**30 * per_set / 86400:,.0f} days at {per_set * 1e3:.1f} ms a set")


if __name__ == "__main__":
    main()
