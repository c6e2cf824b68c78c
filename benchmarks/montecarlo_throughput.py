"""Monte Carlo throughput and memory: the compiled block kernel, the numpy path and the baselines a user would write.

Printed side by side in one run, on the built-in scenario (Singgih's insurer; 4 uncertain
inputs: PERT growth, triangular churn, PERT margin, uniform discount rate; outputs ROQ,
NPV gain, final market share), at horizon 5 (the case) and 50 years:

1. scenarios per second end to end (uniforms, inverse CDFs, both arms, NPVs and ROQ, the
   streaming statistics) of :func:`simulator.uncertainty.run_monte_carlo` on the
   compiled numba kernel (``kernel="numba"``) and on the numpy path (``kernel="numpy"``),
   each on 1 thread and on every CPU;
2. the baseline a numpy user would write: uniforms from ``numpy.random``, inverse CDFs
   from ``scipy.stats`` (beta for PERT, triang, uniform), the model evaluated on the whole
   array at once (``simulator.roq.evaluate``), statistics with ``numpy.percentile``
   (``--baseline`` scenarios: it holds every sample in memory);
3. at horizon 5, a per-scenario Python loop over the same model (``--loop`` scenarios,
   extrapolated);
4. peak resident memory (``VmHWM``) of kernel runs of 10**6, 10**7 and 10**8 scenarios,
   each in a fresh subprocess (no timing there), and the ratios.

Every rate is the best of ``--repeat`` rounds (default 8, of ``--samples`` = 2**23
scenarios) in which the project and the baselines take turns in this one process, so load
from other work hits all of them alike; the median of the rounds is printed beside it, and
the load average before and after. Nothing is timed under tracemalloc. Many short rounds
rather than a few long ones: on shared 2-core machines the same call runs in fast and slow
phases of tens of seconds (51-61 against 79-92 ns a scenario measured here, memory-bound
work suffering most), and every configuration needs its turns in the fast ones.

Targets (issue 16): the kernel on 2 cores >= 25 million scenarios/s at horizon 5 and
>= 15 million/s at horizon 50, each >= 100x the numpy + scipy baseline of the same
horizon; 2 threads >= 1.7x 1 thread on a quiet machine; peak memory flat (within 10%)
from 10**6 to 10**8.

Thread scaling on a shared machine: each CPU has its own fast and slow phases of seconds
(measured here: one CPU at 48 ns a scenario while the other ran at 75, and the other way
round later; neither the load average nor steal time shows it). A 1-thread round needs one
CPU in a fast phase to set a best, a 2-thread round needs both at once, so best against
best understates scaling (40 rounds: 1.57-1.62x best against best, 1.83-1.86x median
against median, the same runs). So each round also pairs the 2-thread run with the
1-thread runs just before it, one pinned to each CPU (pinning spares the single thread
migrations: the pairing errs against the 2 threads), and the 1.7x target, which the issue
sets for a quiet machine, is judged on the median of these per-round ratios; best against
best is printed beside. Every other target uses the best rates (the 1-thread rows: best of
both CPUs). Whether the threads slow each other down (shared cache, memory, the GIL) is
shown directly: a fixed slice of kernel work timed on each CPU alone and with every CPU
busy, at each CPU's fast-phase speed (contention).

Usage::

    .venv/bin/python benchmarks/montecarlo_throughput.py            # 8 rounds of 2**23 scenarios
    .venv/bin/python benchmarks/montecarlo_throughput.py --quick    # 2**22, one round
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np


def _peak_rss_mb() -> float:
    """Peak resident memory of this process (MB).

    Linux's ``VmHWM`` is the high-water mark of this process image only; ``ru_maxrss``
    would also count the parent's memory at ``fork`` (it survives ``exec``), so it is
    only the fallback.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def child(samples: int, kernel: str) -> None:
    """Run one Monte Carlo of ``samples`` scenarios and print peak memory as JSON."""
    from simulator.uncertainty import builtin_scenario, run_monte_carlo

    scenario = builtin_scenario()
    run_monte_carlo(scenario, samples=2**16, seed=1, progress=False, kernel=kernel)  # load the kernel: imports, not the run
    after_imports = _peak_rss_mb()
    started = time.perf_counter()
    result = run_monte_carlo(scenario, samples=samples, seed=1, progress=False, kernel=kernel)
    elapsed = time.perf_counter() - started
    print(json.dumps({"samples": samples, "peak_mb": _peak_rss_mb(), "after_imports_mb": after_imports, "seconds": elapsed, "roq_mean": result.statistics["roq"]["mean"]}))


def with_horizon(scenario, horizon: int):
    """The scenario with another horizon (the same distributions)."""
    import dataclasses

    return dataclasses.replace(scenario, base={**scenario.base, "horizon": horizon})


def project_rate(scenario, samples: int, workers: int, kernel: str) -> float:
    from simulator.uncertainty import run_monte_carlo

    started = time.perf_counter()
    result = run_monte_carlo(scenario, samples=samples, seed=7, workers=workers, progress=False, kernel=kernel)
    elapsed = time.perf_counter() - started
    assert result.kernel == kernel
    return samples / elapsed


def loop_rate(scenario, count: int) -> float:
    from simulator.roq import evaluate

    params = scenario.draw(0, count, seed=7)
    names = [name for name, value in params.items() if np.ndim(value) == 1]  # the drawn inputs
    outputs = scenario.outputs
    started = time.perf_counter()
    collected = {name: [] for name in outputs}
    for i in range(count):
        one = dict(params)
        for name in names:
            one[name] = float(params[name][i])
        values = evaluate(one, outputs, validate=False)
        for name in outputs:
            collected[name].append(values[name])
    for name in outputs:
        x = np.asarray(collected[name])
        x.mean(), x.std(ddof=1), np.percentile(x, [5, 10, 25, 50, 75, 90, 95]), np.count_nonzero(x > 1)
    return count / (time.perf_counter() - started)


def numpy_scipy_rate(scenario, samples: int) -> float:
    """The numpy + scipy.stats user's Monte Carlo of the built-in scenario: scenarios/s."""
    import scipy.stats

    from simulator.roq import evaluate

    frozen = {}
    for name, distribution in scenario.uncertain.items():
        spec = distribution.to_spec()
        family = spec["distribution"]
        if family == "pert":
            low, mode, high = spec["min"], spec["mode"], spec["max"]
            weight = spec.get("lambda", 4.0)
            a = 1 + weight * (mode - low) / (high - low)
            b = 1 + weight * (high - mode) / (high - low)
            frozen[name] = scipy.stats.beta(a, b, loc=low, scale=high - low)
        elif family == "triangular":
            low, mode, high = spec["min"], spec["mode"], spec["max"]
            frozen[name] = scipy.stats.triang((mode - low) / (high - low), loc=low, scale=high - low)
        elif family == "uniform":
            frozen[name] = scipy.stats.uniform(spec["min"], spec["max"] - spec["min"])
        else:
            raise SystemExit(f"numpy_scipy_rate: no scipy mapping for {family}")
    started = time.perf_counter()
    rng = np.random.default_rng(7)
    params = dict(scenario.base)
    for name, distribution in frozen.items():
        params[name] = distribution.ppf(rng.random(samples))
    values = evaluate(params, scenario.outputs, validate=False)
    for name in scenario.outputs:
        x = np.asarray(values[name])
        x.mean(), x.std(ddof=1), np.percentile(x, [5, 10, 25, 50, 75, 90, 95]), np.count_nonzero(x > 1)
    return samples / (time.perf_counter() - started)


def speed_probe(scenario):
    """A fixed slice of the kernel's own work (half a block of the case, in one kernel
    call, about 2 ms): a gauge of how fast a CPU is running this kind of code right now."""
    from simulator.uncertainty.block_kernel import BlockRunner, plan_for

    outputs = tuple(scenario.outputs)
    plan, _ = plan_for(scenario, outputs)
    runner = BlockRunner.make(plan, scenario, "random", outputs, {"roq": (1.0,)}, 5e-4, 1e-9)
    return lambda: runner.run_unit(1, [2**15], 7)


def pinned(cpu):
    """A context that pins the calling thread to one CPU and restores its affinity after
    (a 1-thread run on the local engine computes on the calling thread)."""
    import contextlib

    @contextlib.contextmanager
    def context():
        allowed = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {cpu})
        try:
            yield
        finally:
            os.sched_setaffinity(0, allowed)

    return context()


def contention(probe, seconds: float = 8.0, slices: int = 32) -> dict:
    """Does a thread slow the other down? The probe's time on each CPU, pinned, alone and
    with a pinned thread on every other CPU at the same time, alternating ``slices`` times
    in ``seconds`` (short turns, so both settings meet the machine's phases alike): per CPU
    and setting the 10th percentile of the calls (the CPU's fast-phase speed)."""
    import threading

    if not hasattr(os, "sched_setaffinity"):  # pragma: no cover - not Linux
        return {}
    cpus = sorted(os.sched_getaffinity(0))
    times = {(cpu, together): [] for cpu in cpus for together in (False, True)}

    def work(cpu, together, until):
        os.sched_setaffinity(0, {cpu})  # this thread only
        while time.perf_counter() < until:
            started = time.perf_counter()
            probe()
            times[(cpu, together)].append(time.perf_counter() - started)

    slice_seconds = seconds / slices
    for turn in range(slices):
        together = turn % 2 == 1
        until = time.perf_counter() + slice_seconds
        if together:
            threads = [threading.Thread(target=work, args=(cpu, True, until)) for cpu in cpus]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        else:
            for cpu in cpus:
                thread = threading.Thread(target=work, args=(cpu, False, time.perf_counter() + slice_seconds / len(cpus)))
                thread.start()
                thread.join()
    return {key: float(np.percentile(values, 10)) for key, values in times.items() if values}


def _load() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="time 2**22 scenarios in one round instead of --samples in --repeat rounds")
    parser.add_argument("--samples", type=int, default=2**23, help="scenarios per timed project run (default 2**23)")
    parser.add_argument("--loop", type=int, default=2000, help="scenarios in the Python loop (default 2000)")
    parser.add_argument("--baseline", type=int, default=2**20, help="scenarios in the numpy + scipy baseline (default 2**20)")
    parser.add_argument("--repeat", type=int, default=8, help="alternating rounds; best of them for every rate (default 8)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-kernel", default="numba", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.child_kernel)
        return

    from simulator.uncertainty import builtin_scenario
    from simulator.uncertainty.block_kernel import describe_kernel

    base = builtin_scenario()
    scenarios = {5: base, 50: with_horizon(base, 50)}
    samples = 2**22 if args.quick else args.samples
    repeat = 1 if args.quick else args.repeat
    cpus = os.cpu_count() or 1
    print(f"Monte Carlo throughput - built-in scenario, Singgih's insurer ({len(base.uncertain)} uncertain inputs, outputs {', '.join(base.outputs)})")
    print(f"python {platform.python_version()}, numpy {np.__version__}, {describe_kernel('numba')}, {cpus} CPUs, load average {_load()}")
    print()
    for scenario in scenarios.values():  # warm up: the kernel's compiled code is loaded once per process
        for kernel in ("numba", "numpy"):
            project_rate(scenario, 2**18, 1, kernel)
    rows = [(h, kernel, workers) for h in scenarios for kernel in ("numba", "numpy") for workers in (1, cpus)]
    rates = {row: [] for row in rows}
    probe = speed_probe(base)
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    paired = {h: [] for h in scenarios}  # per round: 2-thread rate / mean of the 1-thread rates pinned to each CPU just before
    baseline_rates = {h: [] for h in scenarios}
    loop_rates = []
    for _ in range(repeat):  # take turns, best of the rounds for each
        for row in rows:
            horizon, kernel, workers = row
            if kernel == "numba" and workers == 1 and cpus > 1 and len(affinity) == cpus:
                singles = []
                for cpu in affinity:  # the 1-thread kernel on each CPU in turn
                    with pinned(cpu):
                        singles.append(project_rate(scenarios[horizon], samples, 1, kernel))
                rates[row].extend(singles)
                single = float(np.mean(singles))
                continue
            rates[row].append(project_rate(scenarios[horizon], samples, workers, kernel))
            if kernel == "numba" and workers == cpus and cpus > 1 and len(affinity) == cpus:
                paired[horizon].append(rates[row][-1] / single)
        for horizon, scenario in scenarios.items():
            baseline_rates[horizon].append(numpy_scipy_rate(scenario, args.baseline))
        loop_rates.append(loop_rate(base, args.loop))
    best = {row: max(values) for row, values in rates.items()}
    baseline = {h: max(values) for h, values in baseline_rates.items()}
    loop = max(loop_rates)
    median = {key: float(np.median(values)) for key, values in [*rates.items(), *baseline_rates.items()]}
    print(f"{'horizon 5 and 50 years; best of ' + str(repeat) + ' alternating rounds':<62}{'scenarios/s':>14}{'vs numpy+scipy':>16}{'median':>14}")
    print(f"{'per-scenario Python loop, horizon 5 (' + format(args.loop, ',') + ', extrapolated)':<62}{loop:>14,.0f}{loop / baseline[5]:>15.3f}x{float(np.median(loop_rates)):>14,.0f}")
    verdicts = []
    for horizon in scenarios:
        print(f"{'numpy + scipy.stats ppf, whole array, horizon ' + str(horizon) + ' (' + format(args.baseline, ',') + ')':<62}{baseline[horizon]:>14,.0f}{1:>15.1f}x{median[horizon]:>14,.0f}")
        for kernel in ("numpy", "numba"):
            for workers in (1, cpus):
                rate = best[(horizon, kernel, workers)]
                label = f"project, {kernel} {'kernel' if kernel == 'numba' else 'path'}, horizon {horizon}, {workers} thread{'s' if workers > 1 else ''} ({samples:,})"
                print(f"{label:<62}{rate:>14,.0f}{rate / baseline[horizon]:>15.1f}x{median[(horizon, kernel, workers)]:>14,.0f}")
        kernel_rate = best[(horizon, "numba", cpus)]
        scaling = kernel_rate / best[(horizon, "numba", 1)]
        target = 25e6 if horizon == 5 else 15e6
        verdicts.append(f"horizon {horizon}: kernel {kernel_rate / 1e6:.1f} million/s on {cpus} threads (target {target / 1e6:.0f}: {'met' if kernel_rate >= target else 'NOT met'}), "
                        f"{kernel_rate / baseline[horizon]:.1f}x numpy+scipy (target 100x: {'met' if kernel_rate / baseline[horizon] >= 100 else 'NOT met'}), "
                        f"{kernel_rate / best[(horizon, 'numpy', cpus)]:.2f}x the numpy path")
        if paired[horizon]:
            ratio = float(np.median(paired[horizon]))
            verdicts.append(f"horizon {horizon}: {cpus} threads vs 1: {scaling:.2f}x best against best; {ratio:.2f}x the median of the rounds' "
                            f"paired ratios ({', '.join(f'{r:.2f}' for r in paired[horizon])}) (target 1.7x on a quiet machine, judged on the "
                            f"paired median: {'met' if ratio >= 1.7 else 'NOT met'})")
        else:  # one CPU, or no affinity control
            verdicts.append(f"horizon {horizon}: {cpus} threads vs 1: {scaling:.2f}x (target 1.7x: {'met' if scaling >= 1.7 else 'NOT met'})")
    for line in verdicts:
        print("  " + line)
    fast = contention(probe)
    if fast:
        cells = "; ".join(f"CPU {cpu}: {fast[(cpu, False)] * 1e3:.2f} ms alone, {fast[(cpu, True)] * 1e3:.2f} beside the other "
                          f"({fast[(cpu, True)] / fast[(cpu, False)] - 1:+.1%})" for cpu in sorted({c for c, _ in fast}))
        print(f"  contention: the probe pinned to each CPU, alone and with every CPU busy, 10th percentile over 8 s of short turns: {cells}")
    print(f"  load average now {_load()}")
    if args.no_memory:
        return
    print()
    runs = []
    for n in (10**6, 10**7, 10**8):
        completed = subprocess.run([sys.executable, __file__, "--child", str(n), "--child-kernel", "numba"], capture_output=True, text=True, check=True)
        runs.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    print(f"{'peak memory, numba kernel (fresh process each)':<48}{'peak RSS':>12}{'after imports':>16}{'run time':>12}")
    for run in runs:
        print(f"{format(run['samples'], ',') + ' scenarios':<48}{run['peak_mb']:>10.1f}MB{run['after_imports_mb']:>14.1f}MB{run['seconds']:>11.2f}s")
    for run in runs[1:]:
        ratio = run["peak_mb"] / runs[0]["peak_mb"]
        print(f"  ratio {run['samples']:.0e} / 1e+06: {ratio:.3f} -> {'within' if abs(ratio - 1) <= 0.10 else 'NOT within'} 10%")


if __name__ == "__main__":
    main()
