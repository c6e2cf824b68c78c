"""Peak memory of a Monte Carlo run does not grow with its sample count (issue 11).

Each run is a separate subprocess (so peaks do not mix) that runs
``run_monte_carlo(builtin_scenario(), samples=N)`` and reports its own peak resident set
size (``getrusage(RUSAGE_SELF).ru_maxrss``; no tracemalloc). The reference is a
10**6-sample run; larger runs alternate with it, best (lowest) of ``--repeat`` each, and
the ratio of each peak to the reference is printed. ``--max-time`` runs of 10**12
requested samples show that the *requested* count costs no memory either (work units
are generated lazily).

Usage::

    python benchmarks/montecarlo_memory.py                 # 1e6, 1e7, 1e8 (+ 1e12 stopped at 20 s)
    python benchmarks/montecarlo_memory.py --full          # also 1e9 (about 100 s at 10 million/s)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
from simulator.uncertainty import builtin_scenario, run_monte_carlo
samples, max_time, workers = int(sys.argv[1]), (float(sys.argv[2]) or None), int(sys.argv[3])
started = time.perf_counter()
result = run_monte_carlo(builtin_scenario(), samples=samples, seed=1, progress=False, workers=workers, max_time=max_time)
print(json.dumps({"samples": result.samples, "requested": samples, "seconds": time.perf_counter() - started,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run_child(samples: int, max_time: float, workers: int) -> dict:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(samples), str(max_time), str(workers)], capture_output=True, text=True,
                          env=environment, check=True, timeout=3600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also a 10**9-sample run")
    parser.add_argument("--repeat", type=int, default=2, help="runs per size (best of)")
    parser.add_argument("--workers", type=int, default=2, help="threads of the local engine")
    args = parser.parse_args()
    sizes = [10**7, 10**8] + ([10**9] if args.full else [])
    print(f"load average before: {os.getloadavg()}")
    print(f"workers: {args.workers}; peak RSS per run (KiB), best of {args.repeat}; each run its own process")
    reference = []
    results: dict = {}
    cases = [(n, 0.0) for n in sizes] + [(10**12, 20.0)]
    print(f"{'requested':>18}{'done':>16}{'seconds':>10}{'peak MiB':>10}{'ratio to 1e6':>14}  (rows as they finish; best-of summary at the end)", flush=True)

    def row(label, run, base):
        print(f"{label:>18}{run['samples']:>16,}{run['seconds']:>10.1f}{run['peak_kib'] / 1024:>10.1f}{run['peak_kib'] / base:>14.3f}", flush=True)

    for _ in range(args.repeat):
        for samples, max_time in cases:  # the reference alternates with every other size
            reference.append(run_child(10**6, 0.0, args.workers))
            row(f"{10**6:,}", reference[-1], reference[-1]["peak_kib"])
            results.setdefault((samples, max_time), []).append(run_child(samples, max_time, args.workers))
            row(f"{samples:,}" + (" (20 s)" if max_time else ""), results[(samples, max_time)][-1], reference[-1]["peak_kib"])
    base = min(r["peak_kib"] for r in reference)
    print(f"\nbest of {args.repeat}:")
    row(f"{10**6:,}", min(reference, key=lambda r: r["peak_kib"]), base)
    for (samples, max_time), runs in results.items():
        row(f"{samples:,}" + (" (20 s)" if max_time else ""), min(runs, key=lambda r: r["peak_kib"]), base)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
