"""Two scenarios side by side with common random numbers: differences with intervals.

:func:`compare_monte_carlo` runs scenarios A and B on the same blocks, seed and sampler,
so scenario i of A and scenario i of B use the same uniforms (common random numbers,
Glasserman 2004, *Monte Carlo Methods in Financial Engineering*, sec. 4.2): when A and B
have the same uncertain inputs in the same order, the difference B - A of every output
is measured on paired draws and its interval is far narrower than the two runs' own
intervals would suggest. Each block is summarised with the mergeable partials of
:mod:`~.statistics` (A, B and the paired difference), folded in block order, so the
numbers are the same on every engine. The difference's 95% half-width follows the
sampler as in :mod:`~.montecarlo`: z sd / sqrt(n) for ``random``, Student t over the
independent blocks for ``lhs`` and ``sobol``. P(B > A) is the share of paired scenarios
in which B's output exceeds A's, with its Wilson interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..engines import resolve_engine
from ..errors import RoqInputError
from ..roq import MODEL_OUTPUTS
from . import samplers
from .montecarlo import DEFAULT_CHUNK_SIZE, _check_percentiles, _evaluate_chunks, _format, _replicate_intervals
from .scenario import Scenario
from .statistics import DEFAULT_MIN_MAGNITUDE, DEFAULT_RELATIVE_ACCURACY, PERCENTILES, RunningMerge, finalize, summarise_block

__all__ = ["ComparisonResult", "compare_monte_carlo"]


@dataclass(frozen=True, eq=False)
class _PairJob:
    a: Scenario
    b: Scenario
    samples: int
    seed: int
    sampler: str
    outputs: tuple
    chunk_size: int


def _pair_block(job: _PairJob, block: int) -> tuple:
    """Task: one block of both scenarios on the same uniforms; its partial summary."""
    length = samplers.block_length(block, job.samples)
    values = {}
    for label, scenario in (("A", job.a), ("B", job.b)):
        sampled = scenario.block_inputs(block, length, job.seed, job.sampler)
        out = _evaluate_chunks(scenario, sampled, length, job.outputs, job.chunk_size)
        values.update({f"{label}:{name}": out[name] for name in job.outputs})
    for name in job.outputs:
        values[f"B-A:{name}"] = values[f"B:{name}"] - values[f"A:{name}"]
    thresholds = {f"B-A:{name}": (0.0,) for name in job.outputs}
    return length, summarise_block(values, thresholds=thresholds, relative_accuracy=DEFAULT_RELATIVE_ACCURACY, min_magnitude=DEFAULT_MIN_MAGNITUDE)


@dataclass
class ComparisonResult:
    """Result of :func:`compare_monte_carlo`.

    Attributes
    ----------
    a, b : Scenario
    samples, seed : int
    sampler : str
    outputs : tuple of str
    statistics : dict
        Per ``"A:<output>"``, ``"B:<output>"`` and ``"B-A:<output>"``: the dict of
        :func:`~.statistics.finalize` (``mean_halfwidth`` follows the sampler).
    paired : bool
        True when A and B have the same uncertain inputs in the same order (fully common
        random numbers); otherwise draws are paired by input position only.
    interval_rule : str
    engine : str
    """

    a: Scenario
    b: Scenario
    samples: int
    seed: int
    sampler: str
    outputs: tuple
    statistics: dict
    paired: bool
    interval_rule: str
    percentiles: tuple = PERCENTILES
    engine: str = "local"
    elapsed: float = 0.0
    notes: list = field(default_factory=list)

    def to_frame(self):
        """One row per output: mean of A and B, mean difference B - A with its 95%
        half-width, sd of the difference, P(B > A) with its Wilson half-width, and
        percentiles of the difference."""
        import pandas as pd

        rows = []
        for name in self.outputs:
            a, b, d = (self.statistics[f"{k}:{name}"] for k in ("A", "B", "B-A"))
            row = {"output": name, "mean_A": a["mean"], "mean_B": b["mean"], "difference": d["mean"], "difference_ci95_halfwidth": d["mean_halfwidth"],
                   "difference_sd": d["sd"], "P_B_above_A": d["exceed"][0.0], "P_B_above_A_ci95_halfwidth": d["exceed_halfwidth"][0.0]}
            for q, value in d["percentiles"].items():
                row[f"difference_P{q * 100:g}"] = value
            rows.append(row)
        return pd.DataFrame(rows).set_index("output")

    def provenance(self) -> dict:
        """Package version, both scenarios' sha256, seed, sampler, samples, engine."""
        from .. import __version__

        return {"package": f"roq-toolkit {__version__}", "scenario_A": self.a.name, "source_A": self.a.source, "sha256_A": self.a.content_hash(),
                "scenario_B": self.b.name, "source_B": self.b.source, "sha256_B": self.b.content_hash(), "samples": self.samples, "seed": self.seed,
                "sampler": self.sampler, "engine": self.engine, "common_random_numbers": "full" if self.paired else "by input position",
                "difference_interval": self.interval_rule}

    def to_dict(self) -> dict:
        """Provenance and the comparison table as JSON-ready data (NaN as None)."""
        frame = self.to_frame().reset_index()
        table = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]
        return {"provenance": self.provenance(), "comparison": table, "notes": list(self.notes)}

    def summary(self) -> str:
        """Side-by-side report: A, B, B - A (95% interval) and P(B > A) per output."""
        currency = self.a.currency or self.b.currency
        p = self.provenance()
        lines = [
            "Monte Carlo comparison (common random numbers)",
            f"A: {self.a.name} ({self.a.source or 'built-in'}; sha256 {p['sha256_A'][:16]})",
            f"B: {self.b.name} ({self.b.source or 'built-in'}; sha256 {p['sha256_B'][:16]})",
            f"{self.samples:,} paired scenarios, sampler {self.sampler}, seed {self.seed}, engine {self.engine}; {p['package']}",
            "",
            f"{'output':<22}{'A mean':>18}{'B mean':>18}{'B - A':>18}{'95% CI +-':>16}{'P(B > A)':>12}",
        ]
        for name, row in self.to_frame().iterrows():
            label = f"{name} ({currency})" if name.startswith("npv") and currency else name
            lines.append(f"{label:<22}{_format(name, row.mean_A):>18}{_format(name, row.mean_B):>18}{_format(name, row.difference):>18}"
                         f"{_format(name, row.difference_ci95_halfwidth):>16}{row.P_B_above_A:>12.2%}")
        lines += ["", f"Intervals of B - A: {self.interval_rule}; P(B > A): Wilson."]
        lines += self.notes
        return "\n".join(lines)


def compare_monte_carlo(a: Scenario, b: Scenario, samples: int | None = None, seed: int | None = None, sampler: str | None = None, *,
                        outputs=None, chunk_size: int | None = None, engine=None, workers: int | None = None, percentiles=None) -> ComparisonResult:
    """Run two scenarios on common random numbers and summarise B - A.

    Parameters
    ----------
    a, b : Scenario
        The two scenarios (e.g. without and with a change of assumptions).
    samples, seed, sampler : optional
        Default to A's [run] settings; used for both.
    outputs : sequence of str, optional
        Scalar outputs to compare (default: those of A that B also reports, else A's).
    chunk_size, engine, workers :
        As in :func:`~.montecarlo.run_monte_carlo`; never change the numbers.
    percentiles : sequence of float, optional
        Percentiles of the difference (fractions).

    Returns
    -------
    ComparisonResult

    Examples
    --------
    >>> from simulator.uncertainty import builtin_scenario
    >>> from simulator.uncertainty.scenario import scenario_from_rows
    >>> a = builtin_scenario()
    >>> b = scenario_from_rows([r if r[0] != "model.annual_cost" else ["model.annual_cost", 750e6] for r in a.to_rows()])
    >>> result = compare_monte_carlo(a, b, samples=2**12, seed=1)
    >>> bool(result.to_frame().loc["roq", "difference"] < 0), result.paired
    (True, True)
    """
    import time

    run = a.run
    samples = samplers.check_samples(run.samples if samples is None else samples)
    seed = samplers.check_seed(run.seed if seed is None else seed)
    sampler = samplers.check_sampler(run.sampler if sampler is None else sampler)
    chunk_size = samplers.check_samples(chunk_size if chunk_size is not None else DEFAULT_CHUNK_SIZE, "chunk_size")
    if outputs is None:
        outputs = tuple(n for n in a.outputs if n in b.outputs) or tuple(a.outputs)
    outputs = tuple(outputs)
    for name in outputs:
        if name not in MODEL_OUTPUTS or "_path" in name:
            raise RoqInputError("outputs", f"unknown or per-year output {name!r}")
    percentiles = _check_percentiles(PERCENTILES if percentiles is None else percentiles)
    paired = tuple(a.uncertain) == tuple(b.uncertain) and a.correlated == b.correlated
    notes = []
    if not paired:
        notes.append(f"Note: A's uncertain inputs ({', '.join(a.uncertain) or 'none'}) differ from B's ({', '.join(b.uncertain) or 'none'}): "
                     "draws are paired by input position only, so B - A is less precise than with identical inputs.")
    for scenario in (a, b):
        for distribution in scenario.uncertain.values():
            distribution.ppf(np.array([0.5]))  # build lazy tables before threads share them
    job = _PairJob(a=a, b=b, samples=samples, seed=seed, sampler=sampler, outputs=outputs, chunk_size=chunk_size)
    engine, owned = resolve_engine(engine, workers)
    running = RunningMerge()  # merge_two's left fold, in place
    block_means = {name: [] for name in outputs}
    started = time.perf_counter()
    try:
        engine.start()
        for length, partial in engine.map_ordered(_pair_block, range(samplers.block_count(samples)), context=job, label="compare"):
            if length == samplers.BLOCK_SIZE:
                for name in outputs:
                    block_means[name].append(partial["outputs"][f"B-A:{name}"]["mean"])
            running.add(partial)
        engine_name = f"{engine.name} ({engine.workers} worker{'s' if engine.workers != 1 else ''})"
    finally:
        if owned:
            engine.close()
    statistics = finalize(running.partial(), percentiles=percentiles)
    difference_stats = {name: statistics[f"B-A:{name}"] for name in outputs}
    rule = _replicate_intervals(difference_stats, [], block_means, outputs, sampler)
    return ComparisonResult(a=a, b=b, samples=samples, seed=seed, sampler=sampler, outputs=outputs, statistics=statistics, paired=paired,
                            interval_rule=rule, percentiles=percentiles, engine=engine_name, elapsed=time.perf_counter() - started, notes=notes)
