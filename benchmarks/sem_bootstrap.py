"""Time 2,000 bootstrap resamples of the loyalty-drivers SEM (Assagaff 2014 shape) on n = 300.

Engines alternate in one process (local threads, then a 2-worker Dask cluster started
once and reused), best of ``--repeat`` runs each; the load average is printed before and
after, and the Dask/local ratio at the end. The tables must be identical on every engine
(same seed), which is checked too.

    python benchmarks/sem_bootstrap.py [--resamples 2000] [--repeat 2] [--threads 2]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.engines import get_engine  # noqa: E402
from simulator.survey import LOYALTY_MODEL, fit_sem, simulate_loyalty_survey  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="threads of the local engine (default 2)")
    args = parser.parse_args(argv)
    logging.getLogger("distributed").setLevel(logging.ERROR)  # semopy's import turns the root logger to INFO
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; CPUs: {os.cpu_count()}")
    fit = fit_sem(simulate_loyalty_survey(300, seed=2014), LOYALTY_MODEL)
    print(f"model: {fit.structure.n_free} free parameters, {len(fit.observed)} items, N = {fit.n_obs}; {args.resamples} resamples")
    best = {"local 1 thread": float("inf"), f"local {args.threads} threads": float("inf"), "dask 2 workers": float("inf")}
    tables = {}
    with get_engine("local", workers=1) as one, get_engine("local", workers=args.threads) as many, get_engine("dask", workers=2) as dask:
        dask.start()
        engines = dict(zip(best, (one, many, dask)))
        for _ in range(args.repeat):
            for name, engine in engines.items():
                start = time.perf_counter()
                boot = fit.bootstrap(args.resamples, seed=2014, engine=engine)
                best[name] = min(best[name], time.perf_counter() - start)
                tables[name] = boot.table
    for name, seconds in best.items():
        print(f"{name:>18}: {seconds:8.2f} s  ({args.resamples / seconds:7.1f} resamples/s)")
    base = best["local 1 thread"]
    for name, seconds in best.items():
        print(f"ratio {name} / local 1 thread: {seconds / base:.2f}")
    first = next(iter(tables.values()))
    same = all(t.equals(first) for t in tables.values())
    print(f"identical tables on every engine: {same}")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
