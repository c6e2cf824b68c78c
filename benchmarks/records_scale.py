"""Benchmark: 10^6 policy rows analysed in under 10 s and under 2 GB (issue 15).

    python benchmarks/records_scale.py [--rows 1000000] [--repeat 3]

Writes a generated portfolio of about ``--rows`` policy terms to a temporary CSV (not
timed), then times, best of ``--repeat``, alternating in one process:

- **project**: ``read_policies`` (read + validate every cell) and ``analyse_records``
  (outcomes by segment, Kaplan-Meier by segment, the logistic regression, CLV with
  per-customer renewal probabilities, the uplift, HVC staging, ROQ inputs);
- **baseline**: the same CSV read by pandas without checks, lifelines' KaplanMeierFitter
  on the relationship durations and statsmodels' Logit on the renewal cases (the
  libraries a user would otherwise call; no validation, no outcomes, no CLV, no staging).

Peak memory (RSS) is measured in a separate pass: a fresh subprocess runs the project
analysis once and reports its ``VmHWM``, so no tracing slows the timed runs. The load
average is printed: the machine is shared, so times are upper bounds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_SECONDS = 10.0
TARGET_BYTES = 2 * 1024**3


def _project(path):
    from simulator.records import analyse_records, read_policies

    portfolio = read_policies(path)
    return analyse_records(portfolio, by="segment")


def _baseline(path):
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm
    from lifelines import KaplanMeierFitter

    frame = pd.read_csv(path)
    start = pd.to_datetime(frame["start_date"])
    end = pd.to_datetime(frame["end_date"])
    grouped = pd.DataFrame({"c": frame["customer_id"], "s": start, "e": end, "r": frame["renewed"]}).groupby("c")
    first, last = grouped["s"].min(), grouped["e"].max()
    lapsed = grouped["r"].last() == 0
    KaplanMeierFitter().fit((last - first).dt.days / 365.25, lapsed)
    period = start.dt.year
    cells = frame.assign(period=period).groupby(["customer_id", "period"])[["experience", "trust", "effort", "complaint_resolution"]].mean()
    keys = set(cells.index)
    y = np.array([(c, p + 1) in keys for c, p in cells.index], dtype=float)
    observed = cells.index.get_level_values(1) < period.max()
    sm.Logit(y[observed], sm.add_constant(cells.to_numpy()[observed])).fit(disp=0)


def _peak_rss(path) -> int:
    """Peak resident memory of a fresh process running the project once (bytes).

    Read from ``VmHWM`` in ``/proc/self/status``: the high-water mark of the process's own
    address space. (``ru_maxrss`` would not do: Linux carries the parent's peak over fork
    and exec, so the child would report this benchmark's own memory.)
    """
    code = ("import sys; sys.path.insert(0, %r); from benchmarks.records_scale import _project; _project(%r); "
            "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])") % (
        str(Path(__file__).resolve().parent.parent), str(path))
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600)
    return int(completed.stdout.strip().splitlines()[-1]) * 1024  # kB


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="policy rows to generate (about; default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (best of N; default 3)")
    args = parser.parse_args(argv)
    from simulator.records import generate_portfolio

    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores (shared machine: times are upper bounds)")
    customers = max(1, int(args.rows / 3.95))  # the generator writes about 3.95 rows per customer over 8 years
    generated = generate_portfolio(customers, seed=1)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "policies.csv"
        generated.policies.to_csv(path, index=False)
        rows = len(generated.policies)
        print(f"portfolio: {rows:,} policy rows of {customers:,} customers, {path.stat().st_size / 1e6:.0f} MB CSV")
        best = {"project": float("inf"), "baseline": float("inf")}
        cpu = {"project": float("inf"), "baseline": float("inf")}
        for _ in range(args.repeat):
            for name, function in (("project", _project), ("baseline", _baseline)):
                started, started_cpu = time.perf_counter(), time.process_time()
                function(path)
                best[name] = min(best[name], time.perf_counter() - started)
                cpu[name] = min(cpu[name], time.process_time() - started_cpu)
        peak = _peak_rss(path)
    print(f"project  (read + validate + every analysis): best of {args.repeat}: {best['project']:.2f} s")
    print(f"baseline (pandas read, lifelines KM, statsmodels Logit only): best of {args.repeat}: {best['baseline']:.2f} s")
    print(f"CPU time (all threads of this process; what an idle 2-core machine needs at most): project {cpu['project']:.2f} s, "
          f"baseline {cpu['baseline']:.2f} s")
    print(f"ratio project / baseline: {best['project'] / best['baseline']:.2f}")
    print(f"peak RSS of the project run (separate process): {peak / 1024**2:.0f} MiB")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    ok = best["project"] < TARGET_SECONDS and peak < TARGET_BYTES
    print(f"target (< {TARGET_SECONDS:.0f} s, < 2 GiB for 10^6 rows): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
