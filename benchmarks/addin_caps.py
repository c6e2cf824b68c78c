"""Every size-capped Excel function at its largest allowed size, through xlwings' dispatcher.

Issue 10: no Excel function may run longer than about 10 s at its maximum allowed size on
the 2-core machine. This script calls each function whose cost grows with an argument
(samples, steps, scale width) at that argument's cap, the way Excel calls it (the
Office.js payload into ``xlwings.server.custom_functions_call``, ``tests/excel_dispatch``),
best of ``--repeat`` runs, and prints the table sorted by time with the load average (the
machine is shared: a busy machine inflates every figure). It also times the baseline the
caps replace: ``ROQ_SENSITIVITY`` delta at its old default (1,024 samples, 100 bootstrap
resamples, BLAS threads as the process has them) once, if ``--baseline`` is given.

Usage::

    .venv/bin/python benchmarks/addin_caps.py              # each cap, best of 2
    .venv/bin/python benchmarks/addin_caps.py --baseline   # plus the old delta default
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import excel_dispatch  # noqa: E402  (sets XLWINGS_ON_SERVER before xlwings is imported)
from bad_inputs import GOOD_CALLS, SCENARIO_ROWS  # noqa: E402

from addin import roq_functions, simulation_functions  # noqa: E402
from simulator.survey._common import MAX_SCALE_POINTS  # noqa: E402


def one(value):
    return [[value]]


def capped_calls() -> list[tuple[str, str, list]]:
    """(label, function, arguments) at each cap."""
    caps = simulation_functions.MAX_SENSITIVITY_SAMPLES
    calls = [
        (f"samples={simulation_functions.MAX_SIMULATION_SAMPLES:,}", "ROQ_SIMULATE", [one("builtin"), one(simulation_functions.MAX_SIMULATION_SAMPLES), one(1)]),
        (f"samples={simulation_functions.MAX_PATH_SAMPLES:,}", "ROQ_SHARE_FAN", [one("builtin"), one(simulation_functions.MAX_PATH_SAMPLES), one(1)]),
    ]
    for method, limit in caps.items():
        calls.append((f"{method}, samples={limit:,}", "ROQ_SENSITIVITY", [one("builtin"), one(method), one(limit), one(1)]))
    calls += [
        ("builtin scenario", "ROQ_TORNADO", [one("builtin")]),
        (f"steps={roq_functions.MAX_SWEEP_STEPS:,}", "ROQ_SWEEP", [GOOD_CALLS["ROQ_SWEEP"][0], one("margin"), one(1e5), one(3e5), one(roq_functions.MAX_SWEEP_STEPS)]),
        ("margin", "ROQ_BREAKEVEN", GOOD_CALLS["ROQ_BREAKEVEN"]),
    ]
    # the widest answer scale on 300 respondents x 30 items (the per-category tables grow with it)
    answers = [[(i * 7 + j * 13) % MAX_SCALE_POINTS for j in range(30)] for i in range(300)]
    scale = [one(0), one(MAX_SCALE_POINTS - 1)]
    calls += [
        (f"{MAX_SCALE_POINTS}-point scale, 300 x 30", "SQ_ITEM_STATS", [answers, None, *scale]),
        (f"{MAX_SCALE_POINTS}-point scale, 300 x 30", "SQ_MSI_TRANSFORM", [answers, None, None, None, *scale]),
    ]
    return calls


def timed(function: str, arguments: list) -> float:
    start = time.perf_counter()
    excel_dispatch.call(function, *arguments)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs per call; the best is kept (default 2)")
    parser.add_argument("--baseline", action="store_true", help="also time the old ROQ_SENSITIVITY delta default (slow)")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} on {os.cpu_count()} CPUs")
    excel_dispatch.call("ROQ_SENSITIVITY", one("builtin"), one("morris"), one(4))  # imports SALib once, outside the timing
    rows = []
    for label, function, arguments in capped_calls():
        best = min(timed(function, arguments) for _ in range(args.repeat))
        rows.append((best, function, label))
        print(f"  {function:<20} {label:<36} {best:7.2f} s", flush=True)
    rows.sort(reverse=True)
    print("\nslowest at its cap:")
    for best, function, label in rows[:3]:
        print(f"  {function}({label}): {best:.2f} s (limit ~10 s)")
    if args.baseline:
        from simulator.uncertainty import builtin_scenario

        start = time.perf_counter()
        builtin_scenario().sensitivity("delta", samples=1024, seed=1, num_resamples=100)
        old = time.perf_counter() - start
        new = next(b for b, f, label in rows if label.startswith("delta"))
        print(f"\nbaseline: delta, 1,024 samples, 100 resamples (the old default): {old:.2f} s; now at its cap {new:.2f} s; ratio {old / new:.1f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    assert SCENARIO_ROWS  # the fuzz test's scenario is importable from here too
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
