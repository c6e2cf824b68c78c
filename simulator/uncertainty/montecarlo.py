"""Monte Carlo through the vectorised ROQ model: chunked, reproducible, memory-bounded.

:func:`run_monte_carlo` draws a scenario's uncertain inputs block by block
(:mod:`simulator.uncertainty.samplers`; blocks of 2**16 scenarios keyed by block index),
evaluates :func:`simulator.roq.evaluate` on arrays of ``chunk_size`` scenarios at a time
(never a Python loop per scenario), reduces each block to a small mergeable partial
summary (:mod:`simulator.uncertainty.statistics`) and folds the partials in block order.
Memory therefore depends on the block and chunk sizes, not on the number of scenarios, and
the numbers depend only on the seed, sampler and sample count: the same seed gives
bit-identical results for any chunk size and any number of worker threads. Blocks may be
evaluated by an engine (:mod:`simulator.engines`): threads of this process (``"local"``,
numpy releases the GIL inside array operations) or the workers of a Dask cluster
(``"dask"``). Either way each task samples and evaluates its blocks where it runs and
sends back only the blocks' partial summaries (sums and sketch buckets: 28 kB per block
for the built-in scenario's three outputs), which the caller folds in block order - so a seed gives bit-identical results on
every engine and any number of threads or workers, and neither the client nor a worker
ever holds all samples.

Per-year outputs (``market_share_path``, ... with a trailing year axis) are summarised on
request (``path_outputs=``): each year t becomes one more output ``name[t]`` of the same
block partials, folded in the same order, so per-year means and percentiles
(:meth:`MonteCarloResult.path_statistics`) cover every scenario of the run and are
bit-identical on every engine, chunk size and thread count too.

The convergence report gives, as the sample grows (at 1,024, 2,048, ... scenarios within
the first block, then at every power-of-two number of blocks and at the end), the mean of
each output with its 95% confidence half-width, and P(ROQ > 1) with the half-width of its
Wilson score interval (about z sqrt(p (1 - p) / n)). The mean's half-width depends on
the sampler, and each table states the rule it used:

- ``random``: z sd / sqrt(n), the plain Monte Carlo rate 1/sqrt(n) (independent draws);
- ``lhs`` and ``sobol``: every block of 2**16 scenarios is an independent randomised
  design (its own Latin hypercube, its own scramble), so the half-width is the Student t
  interval t_(K-1) sd_K / sqrt(K) of the K full block means (Owen 2013, ch. 17): no
  rate is assumed (under ``sobol`` it shrinks faster than 1/sqrt(n) for smooth
  outputs). It needs K >= 2 full blocks; inside the first block it is not given.

Percentiles are exact (the inverted-CDF order statistics of every scenario, kept in
memory) for runs of up to :data:`EXACT_PERCENTILE_LIMIT` scenarios; larger runs use the
streaming sketch (:mod:`~.statistics`), whose error bound is reported beside an estimate
of each percentile's own sampling error. The first :data:`RETAINED_SAMPLES` scenarios
(block 0, whatever the engine) are kept with their inputs, for the sample-based tornado
(:meth:`MonteCarloResult.sample_sensitivity`) and the achieved rank correlations of the
inputs (:meth:`MonteCarloResult.rank_correlations`).
"""

from __future__ import annotations

import itertools
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ..engines import resolve_engine
from ..errors import RoqInputError
from ..roq import MODEL_OUTPUTS, evaluate
from . import samplers
from .scenario import THRESHOLDS, Scenario
from .options import MAX_CHUNK_SIZE
from .verdict import format_probability
from .statistics import (
    DEFAULT_MIN_MAGNITUDE,
    DEFAULT_RELATIVE_ACCURACY,
    PERCENTILES,
    Z95,
    RunningMerge,
    finalize,
    moments,
    probability_halfwidth,
    summarise_block,
)

__all__ = ["run_monte_carlo", "MonteCarloResult", "DEFAULT_CHUNK_SIZE", "evaluate_block", "path_output_name"]

#: Scenarios per model call: small enough that a chunk's arrays stay in the CPU cache.
DEFAULT_CHUNK_SIZE = 2**13
#: Runs of at most this many scenarios (the built-in default) get exact percentiles: their
#: values are kept, 2 MB per output; larger runs use the interpolated sketch, whose error
#: is far below the sampling error, so memory stays flat.
EXACT_PERCENTILE_LIMIT = 2**18
#: Blocks per call of the compiled kernel (:func:`.block_kernel.BlockRunner.run_unit`):
#: 8 x 65,536 scenarios, about 25 ms of one core; the Python between calls is paid once.
KERNEL_UNIT_BLOCKS = 8
#: Scenarios kept with their inputs (the first block): sample sensitivity, achieved correlations.
RETAINED_SAMPLES = samplers.BLOCK_SIZE
_FIRST_CHECKPOINT = 2**10
#: Seconds of a run used to measure its speed for the time estimate.
CALIBRATION_SECONDS = 1.0
#: Runs projected to take longer than this print their estimate on stderr.
ESTIMATE_ABOVE_SECONDS = 10.0


def path_output_name(name: str, year: int) -> str:
    """Name under which year ``year`` (1..T) of a per-year output is summarised: ``name[year]``."""
    return f"{name}[{int(year)}]"


def _evaluate_chunks(scenario: Scenario, sampled: dict, total: int, outputs, chunk_size: int) -> dict:
    """The model on ``total`` sampled scenarios, ``chunk_size`` per call: one array per output,
    ``(total,)`` for scalar outputs and ``(total, T)`` for per-year (``*_path``) outputs."""
    result = {}
    for start in range(0, total, chunk_size):
        stop = min(start + chunk_size, total)
        # overflow / NaN are counted by the statistics and reported (the verdict refuses them): no RuntimeWarnings
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            values = evaluate(scenario.parameters({name: v[start:stop] for name, v in sampled.items()}), outputs, validate=False)
        for name in outputs:
            if name not in result:
                # a path that no uncertain input moves comes back as (T,): broadcast below
                result[name] = np.empty((total, np.shape(values[name])[-1]) if "_path" in name else total)
            result[name][start:stop] = values[name]
    return result


def evaluate_block(scenario: Scenario, block_index: int, length: int, seed: int, sampler: str, outputs, chunk_size: int = DEFAULT_CHUNK_SIZE) -> dict:
    """Sample one block and evaluate the model on it, ``chunk_size`` scenarios per call.

    Returns
    -------
    dict of str to ndarray
        Each requested output for the block's ``length`` scenarios, in order: shape
        ``(length,)``, or ``(length, T)`` for per-year (``*_path``) outputs.
    """
    sampled = scenario.block_inputs(block_index, length, seed, sampler)
    return _evaluate_chunks(scenario, sampled, length, tuple(outputs), chunk_size)


@dataclass(frozen=True, eq=False)
class _Job:
    """Everything a task needs besides its block indices (sent to each Dask worker once)."""

    scenario: Scenario
    samples: int
    seed: int
    sampler: str
    outputs: tuple
    chunk_size: int
    thresholds: dict
    relative_accuracy: float
    path_outputs: tuple = ()
    keep_values: bool = False  # send each block's scalar outputs back (exact percentiles)
    export: bool = False  # send each block's inputs and outputs back (sample export)
    runner: object = None  # block_kernel.BlockRunner: blocks run on the compiled kernel


def _run_unit_compiled(job: _Job, blocks) -> tuple:
    """:func:`_run_unit` on the compiled kernel (:mod:`.block_kernel`): the same tuple, with
    the blocks' statistics packed by the kernel (folded without partial dicts). When the
    kernel draws and nothing is kept, the unit's blocks (after block 0, which is kept) run in
    one kernel call."""
    runner = job.runner
    lengths = [samplers.block_length(b, job.samples) for b in blocks]
    partials, extras, prefix = [], {}, []
    keep_all = job.keep_values or job.export
    one_call = runner.draws and not keep_all
    for position, (block, length) in enumerate(zip(blocks, lengths)):
        keep = keep_all or block == 0
        if one_call and not keep:
            partials.append(runner.run_unit(block, lengths[position:], job.seed))
            break
        statistics, values, out = runner.run(block, length, job.seed, keep=keep)
        partials.append(statistics)
        if keep:
            inputs = dict(zip(runner.plan.names, values))
            scalars = dict(zip(job.outputs, out))
            if block == 0:
                prefix = _prefix_rows(scalars, job.thresholds, length)
                extras["retained"] = (inputs, scalars)
            if job.keep_values:
                extras.setdefault("values", []).append(scalars)
            if job.export:
                extras.setdefault("export", []).append((inputs, scalars))
    return tuple(blocks), lengths, partials, prefix, extras


def _run_unit(job: _Job, blocks) -> tuple:
    """Sample, evaluate and summarise the blocks of one unit (one or more blocks per model call).

    Returns ``(blocks, lengths, partials, prefix)``: one partial summary per block, and
    the within-block convergence rows if the unit starts with block 0.
    """
    if job.runner is not None:
        return _run_unit_compiled(job, blocks)
    samples, seed, sampler, chunk_size, scenario = job.samples, job.seed, job.sampler, job.chunk_size, job.scenario
    requested = job.outputs + job.path_outputs
    lengths = [samplers.block_length(b, samples) for b in blocks]
    if len(blocks) == 1:
        sampled = [scenario.block_inputs(blocks[0], lengths[0], seed, sampler)]
        pieces = [_evaluate_chunks(scenario, sampled[0], lengths[0], requested, chunk_size)]
    else:  # several blocks per model call: concatenate their inputs
        sampled = [scenario.block_inputs(b, n, seed, sampler) for b, n in zip(blocks, lengths)]
        joined = {name: np.concatenate([s[name] for s in sampled]) for name in scenario.uncertain}
        values = _evaluate_chunks(scenario, joined, sum(lengths), requested, chunk_size)
        edges = np.cumsum([0] + lengths)
        pieces = [{name: values[name][a:b] for name in requested} for a, b in zip(edges[:-1], edges[1:])]
    with np.errstate(over="ignore", invalid="ignore"):  # huge finite values overflow x * x: reported, not warned
        partials = [summarise_block(_by_year(piece, job.outputs, job.path_outputs), thresholds=job.thresholds, relative_accuracy=job.relative_accuracy,
                                    min_magnitude=DEFAULT_MIN_MAGNITUDE) for piece in pieces]
    prefix = _prefix_rows({name: pieces[0][name] for name in job.outputs}, job.thresholds, lengths[0]) if blocks[0] == 0 else []
    extras = {}
    if blocks[0] == 0:  # the retained sample: block 0's inputs and scalar outputs
        extras["retained"] = (sampled[0], {name: pieces[0][name] for name in job.outputs})
    if job.keep_values:
        extras["values"] = [{name: piece[name] for name in job.outputs} for piece in pieces]
    if job.export:
        extras["export"] = [(inputs, {name: piece[name] for name in job.outputs}) for inputs, piece in zip(sampled, pieces)]
    return tuple(blocks), lengths, partials, prefix, extras


def _by_year(piece: dict, outputs: tuple, path_outputs: tuple) -> dict:
    """A block's outputs as the partial summarises them: scalar outputs as they are, then each
    year t of each per-year output as ``name[t]`` (a column of the ``(n, T)`` array)."""
    columns = {name: piece[name] for name in outputs}
    for name in path_outputs:
        by_year = np.ascontiguousarray(piece[name].T)  # one copy: each year's values contiguous
        for year, values in enumerate(by_year, start=1):
            columns[path_output_name(name, year)] = values
    return columns


@dataclass
class MonteCarloResult:
    """Result of :func:`run_monte_carlo`.

    Attributes
    ----------
    scenario : Scenario
    samples, seed : int
    sampler : str
    chunk_size : int
    workers : int
        Threads (local engine) or worker threads (Dask) that evaluated blocks.
    outputs : tuple of str
    statistics : dict
        Per output, the dict of :func:`simulator.uncertainty.statistics.finalize`.
    partial : dict
        The merged partial summary (mergeable with other runs' partials of the same
        outputs, e.g. more blocks of the same seed).
    convergence : list of dict
        Rows of the convergence report (see :meth:`convergence_frame`).
    elapsed : float
        Wall-clock seconds of sampling + model + statistics (not starting a Dask cluster).
    base : dict
        The deterministic model at the base values, for comparison.
    engine : str
        ``"local"`` or ``"dask"`` (never changes the numbers).
    path_outputs : tuple of str
        Per-year outputs summarised year by year (see :meth:`path_statistics`); their
        years are in ``statistics`` and ``partial`` as ``name[1]`` .. ``name[T]``.
    years : int
        T, the number of years of the per-year outputs (0 without them).
    percentiles : tuple of float
        Percentiles reported (fractions, e.g. 0.05 for P5).
    targets : dict
        Output -> thresholds t whose P(output > t) was counted (besides the feasibility
        thresholds), each with its Wilson interval in ``statistics[name]["exceed"]``.
    retained : dict
        The first :data:`RETAINED_SAMPLES` scenarios: ``{"inputs": {name: array},
        "outputs": {name: array}}``.
    percentile_method : str
        ``"exact"`` (runs of up to :data:`EXACT_PERCENTILE_LIMIT`) or ``"sketch"``.
    interval_rule : str
        How the mean's 95% half-width was computed (depends on the sampler).
    block_means : dict
        Output -> means of the full blocks (replicates of the lhs and sobol samplers).
    kernel : str
        The path that evaluated the blocks: ``"numba"`` (the compiled block kernel,
        :mod:`.block_kernel`) or ``"numpy"``; they agree to rounding (1e-12 relative).
    """

    scenario: Scenario
    samples: int
    seed: int
    sampler: str
    chunk_size: int
    workers: int
    outputs: tuple
    statistics: dict
    partial: dict
    convergence: list
    elapsed: float
    base: dict = field(default_factory=dict)
    engine: str = "local"
    path_outputs: tuple = ()
    years: int = 0
    percentiles: tuple = PERCENTILES
    targets: dict = field(default_factory=dict)
    retained: dict = field(default_factory=dict)
    percentile_method: str = "sketch"
    interval_rule: str = ""
    block_means: dict = field(default_factory=dict)
    requested_samples: int | None = None
    max_time: float | None = None
    kernel: str = "numpy"

    @property
    def stopped_early(self) -> bool:
        """True if ``max_time`` stopped the run before ``requested_samples``."""
        return self.requested_samples is not None and self.samples < self.requested_samples

    @property
    def scenarios_per_second(self) -> float:
        return self.samples / self.elapsed if self.elapsed > 0 else math.inf

    def probability(self, output: str = "roq", threshold: float | None = None) -> float:
        """P(output > threshold) (default: the feasibility threshold, ROQ > 1)."""
        threshold = THRESHOLDS.get(output) if threshold is None else threshold
        try:
            return self.statistics[output]["exceed"][float(threshold)]
        except (KeyError, TypeError):
            raise RoqInputError("threshold", f"no exceedance count was kept for {output} > {threshold}") from None

    def verdict(self, certainty: float | None = None):
        """Whether the programme pays: :func:`simulator.uncertainty.verdict.programme_verdict`
        on this run's count of scenarios with ROQ > 1 (the one rule every output shows).

        Raises
        ------
        RoqInputError
            The run has no ``roq`` output, or ROQ is not a number in some scenario (the
            message names the likely cause).
        """
        from .verdict import DEFAULT_CERTAINTY, programme_verdict

        if "roq" not in self.outputs:
            raise RoqInputError("outputs", "the verdict needs the roq output, which this run did not summarise")
        summary = self.partial["outputs"]["roq"]
        cause = _nonfinite_cause(self.scenario) if summary["nonfinite"] or not summary["count"] else ""
        return programme_verdict(summary["exceed"][THRESHOLDS["roq"]], summary["count"], nonfinite=summary["nonfinite"],
                                 certainty=DEFAULT_CERTAINTY if certainty is None else certainty, cause=cause)

    def path_statistics(self, name: str = "market_share_path"):
        """Per-year statistics of a per-year output over every scenario of the run.

        Parameters
        ----------
        name : str
            One of the run's ``path_outputs`` (e.g. ``"market_share_path"``).

        Returns
        -------
        DataFrame
            One row per year: ``year`` (1..T), ``mean``, ``sd`` (exact up to rounding)
            and ``P5, P10, P25, P50, P75, P90, P95`` (the inverted-CDF percentiles of the
            year's values across scenarios, interpolated in the sketch's bucket: within
            the bucket width, 2 x 0.05% relative by default, of the exact order statistic,
            in practice far closer); units of the output
            (shares as fractions).

        Raises
        ------
        RoqInputError
            ``name`` was not summarised by this run (pass it in ``path_outputs``).

        Examples
        --------
        >>> from simulator.uncertainty import builtin_scenario, run_monte_carlo
        >>> result = run_monte_carlo(builtin_scenario(), samples=2**12, seed=1, path_outputs=("market_share_path",))
        >>> list(result.path_statistics("market_share_path")["year"])
        [1, 2, 3, 4, 5]
        """
        import pandas as pd

        if name not in self.path_outputs:
            summarised = ", ".join(self.path_outputs) or "none"
            raise RoqInputError("name", f"{name!r} was not summarised per year by this run (path_outputs: {summarised}); "
                                        f"run run_monte_carlo with path_outputs=({name!r},)")
        rows = []
        for year in range(1, self.years + 1):
            stats = self.statistics[path_output_name(name, year)]
            row = {"year": year, "mean": stats["mean"], "sd": stats["sd"]}
            for q in PERCENTILES:
                row[f"P{round(q * 100):g}"] = stats["percentiles"][q]
            rows.append(row)
        return pd.DataFrame(rows)

    def provenance(self) -> dict:
        """What produced these numbers: package version, the scenario's content hash
        (:meth:`Scenario.content_hash`), seed, sampler, engine, samples, percentile method,
        interval rule and the requested rank correlations (as ``"a~b": rho`` pairs; none
        means independent inputs)."""
        from .. import __version__

        scenario = self.scenario
        requested = {}
        if scenario.correlation is not None:
            for (i, a), (j, b) in itertools.combinations(enumerate(scenario.correlated), 2):
                requested[f"{a}~{b}"] = float(scenario.correlation[i, j])
        return {
            "package": f"roq-toolkit {__version__}",
            "scenario": scenario.name,
            "source": scenario.source,
            "scenario_sha256": scenario.content_hash(),
            "samples": int(self.samples),
            "seed": int(self.seed),
            "sampler": self.sampler,
            "engine": f"{self.engine} ({self.workers} worker{'s' if self.workers != 1 else ''})",
            "kernel": self._kernel_label(),
            "block_size": samplers.BLOCK_SIZE,
            "percentiles": self.percentile_method + ("" if self.percentile_method == "exact" else f" (DDSketch, relative accuracy {self.partial['relative_accuracy']:.2g})"),
            "mean_interval": self.interval_rule,
            "requested_rank_correlations": requested or "none (independent inputs)",
        }

    def _kernel_label(self) -> str:
        from .block_kernel import describe_kernel

        return describe_kernel(self.kernel)

    def rank_correlations(self):
        """Requested and achieved Spearman rank correlations of every pair of uncertain inputs.

        Achieved = Spearman's rho of the drawn inputs over the retained sample (the first
        :data:`RETAINED_SAMPLES` scenarios; Iman-Conover is applied block by block, so
        every block looks alike). Requested = the scenario's ``[[correlation]]`` target
        (0 for pairs it does not name).

        Returns
        -------
        DataFrame
            ``input_1, input_2, requested, achieved, scenarios``.
        """
        import pandas as pd

        from .sample_sensitivity import rank_correlation

        names = list(self.scenario.uncertain)
        inputs = self.retained.get("inputs", {})
        rows = []
        for a, b in itertools.combinations(names, 2):
            requested = 0.0
            if self.scenario.correlation is not None and a in self.scenario.correlated and b in self.scenario.correlated:
                requested = float(self.scenario.correlation[self.scenario.correlated.index(a), self.scenario.correlated.index(b)])
            x, y = np.asarray(inputs.get(a, ())), np.asarray(inputs.get(b, ()))
            achieved = rank_correlation(x, y) if x.size > 2 and np.ptp(x) > 0 and np.ptp(y) > 0 else math.nan
            rows.append({"input_1": a, "input_2": b, "requested": requested, "achieved": achieved, "scenarios": int(x.size)})
        return pd.DataFrame(rows, columns=["input_1", "input_2", "requested", "achieved", "scenarios"])

    def sample_sensitivity(self, output: str = "roq"):
        """The @RISK tornado of one output from the run's own retained sample
        (:func:`~simulator.uncertainty.sample_sensitivity.sample_sensitivity`: rank
        correlation, contribution to variance, SRC and SRRC over the first
        :data:`RETAINED_SAMPLES` scenarios, identical on every engine and chunk size)."""
        from .sample_sensitivity import sample_sensitivity

        if output not in self.retained.get("outputs", {}):
            raise RoqInputError("output", f"{output!r} is not an output of this run (outputs: {', '.join(self.outputs)})")
        values = self.retained["outputs"][output]
        finite = np.isfinite(values)
        inputs = {name: column[finite] for name, column in self.retained["inputs"].items()}
        return sample_sensitivity(inputs, values[finite], output_name=output)

    def targets_frame(self):
        """P(output > t) for every counted threshold (feasibility and ``targets``), with
        the half-width of its 95% Wilson interval; probabilities as fractions."""
        import pandas as pd

        rows = []
        for name in self.outputs:
            stats = self.statistics[name]
            for threshold, p in stats["exceed"].items():
                rows.append({"output": name, "threshold": threshold, "probability": p, "ci95_halfwidth": stats["exceed_halfwidth"][threshold],
                             "target": threshold in self.targets.get(name, ())})
        return pd.DataFrame(rows, columns=["output", "threshold", "probability", "ci95_halfwidth", "target"])

    def percentiles_frame(self):
        """Every reported percentile with its error bound (0 when exact; the sketch
        bucket's width otherwise), the estimated interpolation error and the estimated
        standard error from sampling alone (sqrt(q (1 - q) / n) / density)."""
        import pandas as pd

        rows = []
        for name in self.outputs:
            stats = self.statistics[name]
            for q, value in stats["percentiles"].items():
                rows.append({"output": name, "percentile": f"P{q * 100:g}", "value": value, "method": self.percentile_method,
                             "error_bound": stats.get("percentile_error_bound", {}).get(q, math.nan),
                             "error_estimate": stats.get("percentile_error_estimate", {}).get(q, math.nan),
                             "sampling_se": stats.get("percentile_se", {}).get(q, math.nan)})
        return pd.DataFrame(rows, columns=["output", "percentile", "value", "method", "error_bound", "error_estimate", "sampling_se"])

    def to_dict(self, sensitivity_output: str | None = None) -> dict:
        """Everything a report needs as plain JSON-ready data: ``provenance``, per-output
        ``statistics`` (percentiles keyed ``"P5"``), ``targets``, ``rank_correlations``,
        ``convergence`` and the sample ``sensitivity`` (tornado) of one output."""
        def clean(value):
            if isinstance(value, dict):
                return {str(k): clean(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [clean(v) for v in value]
            if isinstance(value, (np.floating, float)):
                return float(value) if math.isfinite(value) else None
            if isinstance(value, np.integer):
                return int(value)
            if isinstance(value, np.bool_):
                return bool(value)
            return value

        statistics = {}
        for name in self.outputs:
            stats = self.statistics[name]
            statistics[name] = {
                "count": stats["count"], "nonfinite": stats["nonfinite"], "mean": stats["mean"], "sd": stats["sd"],
                "mean_ci95_halfwidth": stats["mean_halfwidth"], "min": stats["min"], "max": stats["max"],
                "percentiles": {f"P{q * 100:g}": v for q, v in stats["percentiles"].items()},
                "percentile_error_bound": {f"P{q * 100:g}": v for q, v in stats.get("percentile_error_bound", {}).items()},
                "percentile_error_estimate": {f"P{q * 100:g}": v for q, v in stats.get("percentile_error_estimate", {}).items()},
                "percentile_sampling_se": {f"P{q * 100:g}": v for q, v in stats.get("percentile_se", {}).items()},
                "expected_shortfall_5pct": stats["expected_shortfall"], "base_case": self.base.get(name, math.nan),
            }
        document = {
            "provenance": self.provenance(),
            "statistics": statistics,
            "targets": self.targets_frame().to_dict("records"),
            "rank_correlations": self.rank_correlations().to_dict("records"),
            "convergence": self.convergence_frame().to_dict("records"),
        }
        key = sensitivity_output or ("roq" if "roq" in self.outputs else self.outputs[0])
        try:
            tornado = self.sample_sensitivity(key)
            document["sensitivity"] = {"output": key, "scenarios": tornado.samples, "r_squared": tornado.r_squared,
                                       "rank_r_squared": tornado.rank_r_squared, "table": tornado.table.to_dict("records")}
        except RoqInputError as error:
            document["sensitivity"] = {"output": key, "error": str(error)}
        return clean(document)

    def to_frame(self):
        """One row per output: count, mean, sd, 95% CI half-width of the mean, min, P5..P95,
        max, expected shortfall (mean of the worst 5%), P(> threshold) and its half-width."""
        import pandas as pd

        rows = []
        for name in self.outputs:
            stats = self.statistics[name]
            row = {"output": name, "count": stats["count"], "mean": stats["mean"], "sd": stats["sd"], "mean_ci95_halfwidth": stats["mean_halfwidth"], "min": stats["min"]}
            for q, value in stats["percentiles"].items():
                row[f"P{round(q * 100):g}"] = value
            row["max"] = stats["max"]
            row[f"ES{round(stats['shortfall_level'] * 100):g}"] = stats["expected_shortfall"]
            threshold = THRESHOLDS.get(name)
            row["threshold"] = threshold if threshold is not None else np.nan
            row["P_above_threshold"] = stats["exceed"].get(threshold, np.nan) if threshold is not None else np.nan
            row["P_above_ci95_halfwidth"] = stats["exceed_halfwidth"].get(threshold, np.nan) if threshold is not None else np.nan
            row["base_case"] = self.base.get(name, np.nan)
            row["verdict"] = self.verdict().decision if name == "roq" else ""
            rows.append(row)
        return pd.DataFrame(rows).set_index("output")

    def convergence_frame(self):
        """Tidy convergence report: samples, output, mean, sd, mean_ci95_halfwidth,
        threshold, probability, probability_ci95_halfwidth."""
        import pandas as pd

        return pd.DataFrame(self.convergence)

    def sheets(self) -> dict:
        """DataFrames for a summary workbook: Summary, Convergence, Scenario, Run."""
        import pandas as pd

        run = pd.DataFrame(
            [
                ("scenario", self.scenario.name),
                ("source", self.scenario.source),
                ("samples", self.samples),
                ("samples requested", self.requested_samples if self.requested_samples is not None else self.samples),
                ("stopped by max-time", f"yes, after {self.max_time:g} s: a partial result" if self.stopped_early else "no"),
                ("seed", self.seed),
                ("sampler", self.sampler),
                ("block size", samplers.BLOCK_SIZE),
                ("chunk size", self.chunk_size),
                ("engine", f"{self.engine} ({self.workers} worker{'s' if self.workers != 1 else ''})"),
                ("seconds", round(self.elapsed, 3)),
                ("percentile accuracy", "exact order statistics" if self.percentile_method == "exact"
                 else f"within {self.partial['relative_accuracy']:.2%} (relative) of the exact order statistic"),
            ] + [(key, value if isinstance(value, (str, int, float)) else "; ".join(f"{k} {v:+.2f}" for k, v in value.items()))
                 for key, value in self.provenance().items() if key not in ("scenario", "source", "samples", "seed", "sampler", "engine", "block_size")],
            columns=["setting", "value"],
        )
        sheets = {"Summary": self.to_frame().reset_index(), "Percentiles": self.percentiles_frame(), "Targets": self.targets_frame(),
                  "Convergence": self.convergence_frame(), "Scenario": self.scenario.describe_frame(), "Run": run,
                  "Correlations": self.rank_correlations()}
        key = "roq" if "roq" in self.outputs else self.outputs[0]
        try:
            sheets["Sensitivity"] = self.sample_sensitivity(key).to_frame().assign(output=key, scenarios=len(self.retained["outputs"][key]))
        except RoqInputError:
            pass
        return sheets

    def summary(self) -> str:
        """Readable report: statistics per output, feasibility, convergence."""
        currency = self.scenario.currency
        provenance = self.provenance()
        requested = provenance["requested_rank_correlations"]
        lines = [
            f"Monte Carlo: {self.scenario.name}",
            *([f"PARTIAL RESULT: --max-time {self.max_time:g} s stopped the run after {self.samples:,} of the {self.requested_samples:,} "
               f"scenarios asked for ({self.samples / self.requested_samples:.2g} of them); every figure below covers those {self.samples:,} only"
               f" (the same as --samples {self.samples} --kernel {self.kernel})."]
              if self.stopped_early else []),
            f"{self.samples:,} scenarios, sampler {self.sampler}, seed {self.seed}"
            f" ({self.elapsed:.2f} s, {self.scenarios_per_second / 1e6:.2f} million scenarios/s"
            + (f", engine {self.engine} with {self.workers} worker{'s' if self.workers != 1 else ''}" if self.engine != "local" else "")
            + (", numba kernel)" if self.kernel == "numba" else ")"),
            f"{provenance['package']}; scenario sha256 {provenance['scenario_sha256'][:16]} ({self.scenario.source or 'built-in'})",
            "rank correlations requested: " + (requested if isinstance(requested, str) else ", ".join(f"{k} {v:+.2f}" for k, v in requested.items())),
            "",
        ]
        labels = [("mean", lambda s: s["mean"]), ("sd", lambda s: s["sd"]), ("mean 95% CI +-", lambda s: s["mean_halfwidth"])]
        labels += [(f"P{q * 100:g}", (lambda q: lambda s: s["percentiles"][q])(q)) for q in self.percentiles]
        labels += [("min", lambda s: s["min"]), ("max", lambda s: s["max"]), ("ES 5% (worst 5% mean)", lambda s: s["expected_shortfall"])]
        header = f"{'':<24}" + "".join(f"{_heading(name, currency):>20}" for name in self.outputs)
        lines.append(header)
        if self.base:
            lines.append(f"{'base case':<24}" + "".join(f"{_format(name, self.base.get(name, np.nan)):>20}" for name in self.outputs))
        for label, getter in labels:
            lines.append(f"{label:<24}" + "".join(f"{_format(name, getter(self.statistics[name])):>20}" for name in self.outputs))
        lines.append("")
        for name in self.outputs:
            threshold = THRESHOLDS.get(name)
            if name == "roq":
                lines.append(self.verdict().line(name, threshold))
            elif threshold is not None:
                p = self.statistics[name]["exceed"][threshold]
                half = self.statistics[name]["exceed_halfwidth"][threshold]
                lines.append(f"P({name} > {threshold:g}) = {format_probability(p)} +- {format_probability(half)} (95% CI half-width)")
        for name, thresholds in self.targets.items():
            for threshold in thresholds:
                if threshold == THRESHOLDS.get(name):
                    continue
                p = self.statistics[name]["exceed"][threshold]
                half = self.statistics[name]["exceed_halfwidth"][threshold]
                lines.append(f"P({name} > {threshold:g}) = {format_probability(p)} +- {format_probability(half)} (target; 95% Wilson interval)")
        nonfinite = {n: s["nonfinite"] for n, s in self.statistics.items() if s["nonfinite"]}
        if nonfinite:
            lines.append("Non-finite outputs left out: " + ", ".join(f"{n}: {c:,}" for n, c in nonfinite.items()))
        key = "roq" if "roq" in self.outputs else self.outputs[0]
        rows = [r for r in self.convergence if r["output"] == key]
        if rows:
            lines += ["", f"Convergence of {key} (95% CI half-widths of the mean: {self.interval_rule}; probability: Wilson):"]
            lines.append(f"{'samples':>12}{'mean':>14}{'+-':>12}" + (f"{'P(> ' + format(rows[0]['threshold'], 'g') + ')':>12}{'+-':>10}" if not math.isnan(rows[0]["threshold"]) else ""))
            for row in rows:
                text = f"{row['samples']:>12,}{_format(key, row['mean']):>14}{_format(key, row['mean_ci95_halfwidth']):>12}"
                if not math.isnan(row["threshold"]):
                    text += f"{row['probability']:>12.2%}{row['probability_ci95_halfwidth']:>10.3%}"
                lines.append(text)
        lines.append("")
        if self.retained.get("inputs"):
            correlations = self.rank_correlations()
            n_kept = int(correlations["scenarios"].max()) if len(correlations) else 0
            if len(correlations):
                lines.append(f"Rank correlations of the drawn inputs (Spearman, first {n_kept:,} scenarios): requested -> achieved")
                lines += [f"  {r.input_1}~{r.input_2}: {r.requested:+.3f} -> {r.achieved:+.3f}" for r in correlations.itertuples(index=False)]
                lines.append("")
            try:
                lines += [self.sample_sensitivity(key).summary(), ""]
            except RoqInputError as error:
                lines += [f"Sample sensitivity of {key}: not available ({error})", ""]
        if self.percentile_method == "exact":
            lines.append(f"Percentiles are exact order statistics of all {self.samples:,} scenarios (runs of up to {EXACT_PERCENTILE_LIMIT:,}); means and probabilities exact.")
        else:
            def worst(key):
                return max((stats[key][q] / stats["percentile_se"][q] for name in self.outputs for stats in [self.statistics[name]]
                            for q in self.percentiles if stats.get("percentile_se", {}).get(q, 0) > 0), default=math.nan)

            lines.append(f"Percentiles from the streaming sketch (runs above {EXACT_PERCENTILE_LIMIT:,} scenarios), interpolated in buckets of "
                         f"{2 * self.partial['relative_accuracy']:.2%} relative width: estimated error at most {worst('percentile_error_estimate'):.2g} x "
                         f"their own sampling standard error (guaranteed: within the bucket, {worst('percentile_error_bound'):.2g} x); means and probabilities exact.")
        return "\n".join(lines)


def _nonfinite_cause(scenario: Scenario) -> str:
    """Why the model gives no number, found by evaluating the base case with floating-point
    errors raised (e.g. an overflow over a very long horizon)."""
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            values = scenario.evaluate_base(("roq",))
    except FloatingPointError as error:
        horizon = scenario.base.get("horizon")
        hint = f" over horizon = {horizon:g} years; shorten the horizon" if isinstance(horizon, (int, float)) and horizon > 100 else ""
        return f"the model's arithmetic fails at the base values ({error}){hint}"
    except RoqInputError as error:  # pragma: no cover - validated at load
        return str(error)
    if not np.isfinite(values["roq"]):
        return "ROQ is not a number at the base values too (NPVAS, the programme's cost, may be 0)"
    horizon = scenario.base.get("horizon")
    if isinstance(horizon, (int, float)) and horizon > 100:
        return f"some drawn inputs overflow the model's arithmetic over horizon = {horizon:g} years (market size or discount factors beyond floating point); shorten the horizon"
    return "the drawn inputs reach values where the model is undefined (e.g. a zero programme cost); narrow the uncertain inputs' ranges"


def _heading(name: str, currency: str) -> str:
    if name.startswith("npv") and currency:
        return f"{name} ({currency})"
    return name


def _format(name: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if name.startswith("npv"):
        return f"{value:,.0f}"
    if "share" in name or name in ("retention", "baseline_retention"):
        return f"{value:.4%}"
    return f"{value:.4f}"


def _prefix_rows(outputs: dict, thresholds: dict, length: int) -> list:
    """Convergence rows inside the first block (1,024, 2,048, ... scenarios)."""
    rows = []
    m = _FIRST_CHECKPOINT
    while m < length:
        for name, values in outputs.items():
            head = values[:m]
            head = head[np.isfinite(head)]
            n = head.size
            sd = float(head.std(ddof=1)) if n > 1 else math.nan
            threshold = next(iter(thresholds.get(name, ())), None)
            p = float(np.count_nonzero(head > threshold)) / n if threshold is not None and n else math.nan
            rows.append(_row(m, name, n, float(head.mean()) if n else math.nan, sd, threshold, p))
        m *= 2
    return rows


def _row(samples, name, n, mean, sd, threshold, p):
    return {
        "samples": int(samples),
        "output": name,
        "mean": mean,
        "sd": sd,
        "mean_ci95_halfwidth": Z95 * sd / math.sqrt(n) if n > 1 else math.nan,
        "threshold": float(threshold) if threshold is not None else math.nan,
        "probability": p,
        "probability_ci95_halfwidth": probability_halfwidth(p, n) if threshold is not None else math.nan,
    }


def _checkpoint_rows(samples: int, merged: dict, outputs: tuple) -> list:
    rows = []
    for name in outputs:  # the scalar outputs (not the years of path outputs)
        summary = merged["outputs"][name]
        stats = moments(summary)
        threshold = next(iter(summary["exceed"]), None)
        p = summary["exceed"][threshold] / summary["count"] if threshold is not None and summary["count"] else math.nan
        rows.append(_row(samples, name, summary["count"], stats["mean"], stats["sd"], threshold, p))
    return rows


def run_monte_carlo(scenario: Scenario, samples: int | None = None, seed: int | None = None, sampler: str | None = None, *,
                    chunk_size: int | None = None, outputs=None, progress: bool | None = None, workers: int | None = None,
                    relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY, engine=None, path_outputs=(), percentiles=None,
                    targets=None, exact_percentiles: bool | None = None, export_samples=None, max_time: float | None = None,
                    kernel: str | None = None) -> MonteCarloResult:
    """Propagate a scenario's uncertain inputs through the ROQ model by Monte Carlo.

    Parameters
    ----------
    scenario : Scenario
        From :func:`~simulator.uncertainty.scenario.load_scenario` (already validated,
        so samples are evaluated without re-validation).
    samples, seed, sampler : optional
        Default to the scenario's [run] settings (2**18, 1995, "random" for the built-in).
    chunk_size : int, optional
        Scenarios per model call (default 8,192; more than 65,536 evaluates several
        blocks per call). Changes speed and memory, never the numbers.
    outputs : sequence of str, optional
        Outputs to summarise (default: the scenario's).
    progress : bool, optional
        Show a tqdm progress bar on stderr; default: only on a terminal for runs of at
        least 4 blocks.
    workers : int, optional
        Threads evaluating blocks (default: the number of CPUs, at most the blocks);
        with ``engine="dask"``, the worker processes of the local cluster it starts.
        Ignored when ``engine`` is an engine object. Results are folded in block order,
        so they do not depend on it.
    relative_accuracy : float
        Percentile accuracy of the streaming sketch (default 0.05%).
    engine : {"local", "dask"} or engine, optional
        Where blocks are evaluated (:mod:`simulator.engines`): ``"local"`` (default,
        threads), ``"dask"`` (starts a local Dask cluster for this run and shuts it
        down after), or an engine from :func:`simulator.engines.get_engine` (e.g. one
        connected to an existing cluster with ``scheduler=``; reuse it across runs to
        avoid starting a cluster each time). Never changes the numbers.
    path_outputs : sequence of str, optional
        Per-year outputs (``MODEL_OUTPUTS`` names containing ``_path``, e.g.
        ``("market_share_path", "market_share_path_without_programme")``) to summarise
        year by year with the same mergeable partials, over every scenario (see
        :meth:`MonteCarloResult.path_statistics`). Default none: each one adds T
        per-year summaries per block, so it costs time only when asked for.
    percentiles : sequence of float, optional
        Percentiles to report, as fractions in (0, 1) (default P5, P10, P25, P50, P75,
        P90, P95).
    targets : mapping of str to sequence of float, optional
        Output -> thresholds t: P(output > t) is counted over every scenario, with its
        95% Wilson interval (e.g. ``{"npv_gain": [0.0]}``).
    exact_percentiles : bool, optional
        Keep every scalar output value and give exact percentiles (default: for runs of
        at most :data:`EXACT_PERCENTILE_LIMIT` scenarios; True is refused above it, as
        the values would not be bounded in memory).
    export_samples : str or Path, optional
        Stream every scenario's sampled inputs and scalar outputs, in scenario order, to
        this ``.parquet`` (needs pyarrow) or ``.csv`` file as blocks complete (memory stays
        flat). The caller makes the file safe (e.g. a temporary name moved at the end).

    max_time : float, optional
        Seconds after which the run stops cleanly (between blocks): the result then
        covers the blocks done so far, in order (exactly what a run of that many
        scenarios gives), with ``stopped_early`` True and ``requested_samples`` the
        count asked for; its summary says so on its first lines. Default: no limit.
    kernel : {"auto", "numba", "numpy"}, optional
        How blocks are evaluated (:mod:`.block_kernel`): the compiled numba kernel, the
        vectorised numpy path, or (``"auto"``, the default unless the ``ROQ_KERNEL``
        environment variable says otherwise) numba for runs of at least
        :data:`~.block_kernel.AUTO_MIN_SAMPLES` (2**24) scenarios where it is installed
        and the scenario lies in its model family. The two agree to rounding; on each, a seed
        gives bit-identical numbers for any chunk size, thread count and engine.

    Long runs print a time estimate on stderr, measured on their first
    :data:`CALIBRATION_SECONDS` (if the whole run is projected past
    :data:`ESTIMATE_ABOVE_SECONDS`), and progress (:mod:`simulator.progress`).
    ``samples`` is at most :data:`~simulator.uncertainty.samplers.MAX_SAMPLES` (10**15).

    Returns
    -------
    MonteCarloResult
        ``.summary()`` for a report, ``.to_frame()`` for the statistics table,
        ``.convergence_frame()`` for the convergence report.

    Examples
    --------
    >>> from simulator.uncertainty import builtin_scenario, run_monte_carlo
    >>> result = run_monte_carlo(builtin_scenario(), samples=2**16, seed=1)
    >>> result.probability("roq") > 0.99
    True

    The same run on a two-worker Dask cluster gives the same numbers:

    >>> from simulator.engines import get_engine
    >>> with get_engine("dask", workers=2) as engine:                      # doctest: +SKIP
    ...     same = run_monte_carlo(builtin_scenario(), samples=2**16, seed=1, engine=engine)
    >>> same.to_frame().equals(result.to_frame())                          # doctest: +SKIP
    True
    """
    run = scenario.run
    samples = samplers.check_samples(run.samples if samples is None else samples)
    seed = samplers.check_seed(run.seed if seed is None else seed)
    sampler = samplers.check_sampler(run.sampler if sampler is None else sampler)
    chunk_size = samplers.check_samples(chunk_size if chunk_size is not None else (run.chunk_size or DEFAULT_CHUNK_SIZE), "chunk_size",
                                        maximum=MAX_CHUNK_SIZE, why="scenarios per model call (memory grows with it, speed does not)")
    outputs = tuple(scenario.outputs if outputs is None else outputs)
    for name in outputs:
        if name not in MODEL_OUTPUTS or "_path" in name:
            raise RoqInputError("outputs", f"unknown or per-year output {name!r}")
    if isinstance(path_outputs, str):
        path_outputs = (path_outputs,)
    path_outputs = tuple(dict.fromkeys(path_outputs or ()))
    for name in path_outputs:
        if name not in MODEL_OUTPUTS or "_path" not in name:
            per_year = ", ".join(n for n in MODEL_OUTPUTS if "_path" in n)
            raise RoqInputError("path_outputs", f"{name!r} is not a per-year model output (one of {per_year})")
    years = int(np.shape(scenario.evaluate_base(path_outputs)[path_outputs[0]])[-1]) if path_outputs else 0
    percentiles = _check_percentiles(PERCENTILES if percentiles is None else percentiles)
    targets = _check_targets(targets, outputs)
    thresholds = {name: tuple(dict.fromkeys(((THRESHOLDS[name],) if name in THRESHOLDS else ()) + targets.get(name, ()))) for name in outputs}
    thresholds = {name: values for name, values in thresholds.items() if values}
    if exact_percentiles and samples > EXACT_PERCENTILE_LIMIT:
        raise RoqInputError("exact_percentiles", f"are kept in memory only for runs of up to {EXACT_PERCENTILE_LIMIT:,} scenarios, got {samples:,}")
    keep_values = samples <= EXACT_PERCENTILE_LIMIT if exact_percentiles is None else bool(exact_percentiles)
    writer = None
    if export_samples is not None:
        from .sample_export import SampleWriter

        writer = SampleWriter(export_samples, tuple(scenario.uncertain), outputs)
    n_blocks = samplers.block_count(samples)
    if max_time is not None and not (isinstance(max_time, (int, float)) and not isinstance(max_time, bool) and max_time > 0 and math.isfinite(max_time)):
        raise RoqInputError("max_time", f"must be a number of seconds > 0, got {max_time!r}")
    for distribution in scenario.uncertain.values():
        distribution.ppf(np.array([0.5]))  # build lazy tables before threads share them (and before pickling)
    from .block_kernel import BlockRunner, BlockStatistics, choose_kernel

    kernel, plan, _ = choose_kernel(kernel, scenario, outputs, path_outputs, samples)
    runner = None if plan is None else BlockRunner.make(plan, scenario, sampler, outputs, thresholds, relative_accuracy, DEFAULT_MIN_MAGNITUDE)
    engine, owned = resolve_engine(engine, workers)
    job = _Job(scenario=scenario, samples=samples, seed=seed, sampler=sampler, outputs=outputs, chunk_size=chunk_size,
               thresholds=thresholds, relative_accuracy=relative_accuracy, path_outputs=path_outputs,
               keep_values=keep_values, export=writer is not None, runner=runner)

    try:
        engine.start()  # a Dask cluster starts here, outside the timed run
    except BaseException:
        if owned:
            engine.close()
        if writer is not None:
            writer.close()
        raise
    # a lazy sequence: work units are made as the engine asks for them, so memory is flat
    # for any sample count (a list of 10**14 / 2**16 units alone would be gigabytes). On
    # the compiled path a unit is one kernel call of up to KERNEL_UNIT_BLOCKS blocks,
    # shrinking toward the end of the run so that the workers finish together.
    units = (_Units(n_blocks, max(1, chunk_size // samplers.BLOCK_SIZE)) if runner is None
             else _Units(n_blocks, KERNEL_UNIT_BLOCKS, workers=max(1, engine.workers)))
    n_units = len(units)
    if runner is not None:  # compiled or loaded before the clock starts; a first-use compile is announced
        from .block_kernel import warm_kernel

        warm_kernel(runner, notice=None if progress is False else lambda text: print(text, file=sys.stderr, flush=True))
    started = time.perf_counter()
    bar = None
    convergence: list = []
    folded = 0
    done = 0
    next_checkpoint = 1
    estimated = False

    retained: dict = {}
    kept_values: list = []
    block_means = {name: [] for name in outputs}

    running = RunningMerge() if runner is None else runner.fold()  # merge_two's left fold, in place

    def fold(result):
        nonlocal folded, next_checkpoint, done
        blocks, lengths, partials, prefix, extras = result
        convergence.extend(prefix)
        if "retained" in extras:
            retained.update(inputs=extras["retained"][0], outputs=extras["retained"][1])
        kept_values.extend(extras.get("values", ()))
        for block, (inputs, values) in zip(blocks, extras.get("export", ())):
            writer.write(block * samplers.BLOCK_SIZE, inputs, values)
        position = 0
        for partial in partials:  # a partial dict (numpy) or the kernel's pack of one or more blocks
            packed = isinstance(partial, BlockStatistics)
            size = partial.blocks if packed else 1
            piece_blocks, piece_lengths = blocks[position:position + size], lengths[position:position + size]
            for name in outputs:
                means = partial.means(name) if packed else [partial["outputs"][name]["mean"] if partial["outputs"][name]["count"] else math.nan]
                # full blocks: the independent replicates of lhs and sobol
                block_means[name].extend(mean for mean, length in zip(means, piece_lengths) if length == samplers.BLOCK_SIZE)
            begin = 0
            while begin < size:  # up to the next convergence checkpoint at a time
                end = min(size, begin + next_checkpoint - folded)
                if packed:
                    running.add(partial, begin, end)
                else:
                    running.add(partial)
                folded += end - begin
                done += sum(piece_lengths[begin:end])
                if folded == next_checkpoint or folded == n_blocks:
                    convergence.extend(_checkpoint_rows(piece_blocks[end - 1] * samplers.BLOCK_SIZE + piece_lengths[end - 1], running.partial(), outputs))
                    while next_checkpoint <= folded:
                        next_checkpoint *= 2
                begin = end
            if bar is not None:
                bar.update(sum(piece_lengths))
            position += size

    calibration = None  # (seconds, scenarios) when the first result came back: start-up is not speed

    def estimate(elapsed):
        """The time estimate, from the speed over the run's first CALIBRATION_SECONDS, once."""
        nonlocal estimated
        estimated = True
        seconds, scenarios = (elapsed - calibration[0], done - calibration[1]) if done > calibration[1] else (elapsed, done)
        rate = scenarios / seconds
        projected = elapsed + (samples - done) / rate
        if projected < ESTIMATE_ABOVE_SECONDS or progress is False:
            return
        from ..progress import format_duration

        text = (f"roq: estimate: {samples:,} scenarios at {rate / 1e6:.3g} million/s (measured on the first {done:,}): "
                f"about {format_duration(projected)}")
        if max_time is not None and projected > max_time:
            text += f"; --max-time {max_time:g} s stops it after about {min(samples, done + int((max_time - elapsed) * rate)):,} (a partial result, labelled)"
        elif max_time is None:
            text += "; --max-time SECONDS bounds it (Ctrl-C stops it)"
        bar.note(text)

    stopped_early = False
    try:
        from ..progress import Progress

        bar = Progress(samples, "Monte Carlo", "scenario", enabled=progress, min_bar=4 * samplers.BLOCK_SIZE)
        # partials come back in block order whatever the engine: the fold (and every
        # number) is the same for any thread or worker count
        results = engine.map_ordered(_run_unit, units, context=job, label="montecarlo")
        try:
            for result in results:
                fold(result)
                elapsed = time.perf_counter() - started
                if calibration is None:
                    calibration = (elapsed, done)
                if not estimated and (elapsed - calibration[0] >= CALIBRATION_SECONDS or done == samples):
                    estimate(elapsed)
                if max_time is not None and elapsed >= max_time and done < samples:
                    stopped_early = True
                    break
        finally:
            results.close()  # stops queued work at once (threads or Dask tasks)
        used_workers = min(engine.workers, n_units) if engine.name == "local" else engine.workers
        engine_name = engine.name
    finally:
        if bar is not None:
            bar.close()
        if owned:
            engine.close()
        if writer is not None:
            writer.close()
    elapsed = time.perf_counter() - started
    merged = running.partial()
    if stopped_early and convergence[-1]["samples"] != done:
        convergence.extend(_checkpoint_rows(done, merged, outputs))  # the last row: where it stopped
    statistics = finalize(merged, percentiles=percentiles)
    _percentile_errors(statistics, merged, outputs, percentiles, kept_values)
    interval_rule = _replicate_intervals(statistics, convergence, block_means, outputs, sampler)
    try:
        base = {k: float(v) for k, v in scenario.evaluate_base(outputs).items()}
    except RoqInputError:  # pragma: no cover - validated at load
        base = {}
    return MonteCarloResult(
        scenario=scenario, samples=done, seed=seed, sampler=sampler, chunk_size=chunk_size, workers=used_workers,
        outputs=outputs, statistics=statistics, partial=merged, convergence=convergence, elapsed=elapsed, base=base,
        engine=engine_name, path_outputs=path_outputs, years=years, percentiles=percentiles, targets=targets, retained=retained,
        percentile_method="exact" if keep_values else "sketch", interval_rule=interval_rule, block_means=block_means,
        requested_samples=samples, max_time=max_time, kernel=kernel,
    )


class _Units:
    """The run's work units (tuples of consecutive block indices), made on demand:
    ``len()`` and iteration without a list, so memory does not grow with the sample count.

    With ``workers`` (the compiled path), units shrink toward the end of the run, to
    ``remaining // (4 workers)`` blocks (guided self-scheduling, Polychronopoulos & Kuck
    1987) and 1 block last, so that no worker is left with a long unit while the others
    have finished; the fold is block by block, so the grouping changes no number."""

    def __init__(self, n_blocks: int, per_unit: int, workers: int | None = None):
        self.n_blocks, self.per_unit = int(n_blocks), int(per_unit)
        self.share = 4 * int(workers) if workers else None

    def _size(self, remaining: int) -> int:
        return self.per_unit if self.share is None else max(1, min(self.per_unit, remaining // self.share))

    def __len__(self) -> int:
        if self.share is None:
            return -(-self.n_blocks // self.per_unit)
        # full units while the remainder allows them, then the shrinking tail (at most
        # per_unit x share blocks, counted one unit at a time)
        full = max(0, (self.n_blocks - self.per_unit * self.share) // self.per_unit)
        remaining, units = self.n_blocks - full * self.per_unit, full
        while remaining > 0:
            remaining -= self._size(remaining)
            units += 1
        return units

    def __iter__(self):
        start = 0
        while start < self.n_blocks:
            size = self._size(self.n_blocks - start)
            yield tuple(range(start, min(start + size, self.n_blocks)))
            start += size


def _check_percentiles(percentiles) -> tuple:
    try:
        values = tuple(float(q) for q in percentiles)
    except (TypeError, ValueError):
        raise RoqInputError("percentiles", f"must be numbers between 0 and 1 (fractions, e.g. 0.05 for P5), got {percentiles!r}") from None
    if not values or not all(0 < q < 1 for q in values):
        raise RoqInputError("percentiles", f"must be fractions strictly between 0 and 1 (0.05 for P5), got {list(percentiles)}")
    return tuple(sorted(dict.fromkeys(values)))


def _check_targets(targets, outputs) -> dict:
    checked = {}
    for name, values in (targets or {}).items():
        if name not in outputs:
            raise RoqInputError("targets", f"{name!r} is not an output of this run (outputs: {', '.join(outputs)})")
        values = (values,) if isinstance(values, (int, float)) else tuple(values)
        for value in values:
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
                raise RoqInputError("targets", f"{name}: thresholds must be finite numbers, got {value!r}")
        checked[name] = tuple(float(v) for v in values)
    return checked


def _percentile_errors(statistics: dict, merged: dict, outputs, percentiles, kept_values: list) -> None:
    """Exact percentiles (if the values were kept), the error bound of each percentile
    (0 if exact, the sketch's relative accuracy x |P_q| otherwise) and an estimate of its
    sampling standard error sqrt(q (1 - q) / n) / f(P_q), with the density f from the
    quantiles at q +- d (d = min(0.01, q / 2, (1 - q) / 2))."""
    from .statistics import _geometry, _quantile, quantile_error_estimate

    geometry = _geometry(merged["relative_accuracy"], merged["min_magnitude"])
    accuracy = merged["relative_accuracy"]
    for name in outputs:
        stats = statistics[name]
        n = stats["count"]
        if kept_values:
            values = np.concatenate([piece[name] for piece in kept_values])
            values = np.sort(values[np.isfinite(values)])
            quantile = lambda q: float(values[max(1, math.ceil(round(q * n, 6))) - 1]) if n else math.nan  # noqa: E731 - inverted CDF
            stats["percentiles"] = {q: quantile(q) for q in percentiles}
            if n:
                k = 0.05 * n
                whole = int(math.floor(k))
                stats["expected_shortfall"] = float((values[:whole].sum() + (k - whole) * (values[whole] if whole < n else 0.0)) / k)
            stats["percentile_error_bound"] = {q: 0.0 for q in percentiles}
            stats["percentile_error_estimate"] = {q: 0.0 for q in percentiles}
        else:
            quantile = lambda q: _quantile(merged["outputs"][name], q, geometry)  # noqa: E731
            # guaranteed: the value lies in its bucket; estimated: the in-bucket density correction
            stats["percentile_error_bound"] = {q: 2 * max(accuracy * abs(v), merged["min_magnitude"]) / (1 - accuracy) for q, v in stats["percentiles"].items()}
            stats["percentile_error_estimate"] = {q: quantile_error_estimate(merged, name, q) for q in percentiles}
        errors = {}
        for q in percentiles:
            d = min(0.01, q / 2, (1 - q) / 2)
            spread = quantile(q + d) - quantile(q - d)
            errors[q] = math.sqrt(q * (1 - q) / n) * spread / (2 * d) if n > 1 else math.nan
        stats["percentile_se"] = errors


def _replicate_intervals(statistics: dict, convergence: list, block_means: dict, outputs, sampler: str) -> str:
    """Under lhs and sobol, replace the mean's z sd / sqrt(n) half-width by the Student t
    interval over the independent full blocks (in the final statistics and in every
    convergence row); returns the rule as one line for the reports."""
    from scipy import stats as scipy_stats

    if sampler not in samplers.REPLICATE_SAMPLERS:
        for row in convergence:
            row["interval"] = "z sd/sqrt(n)"
        return "z sd / sqrt(n): plain Monte Carlo, independent draws (shrinks like 1/sqrt(n))"

    def halfwidth(means) -> float:
        means = np.asarray(means, dtype=float)
        k = means.size
        if k < 2 or not np.isfinite(means).all():
            return math.nan
        return float(scipy_stats.t.ppf(0.5 + 0.95 / 2, k - 1) * means.std(ddof=1) / math.sqrt(k))

    for row in convergence:
        k = row["samples"] // samplers.BLOCK_SIZE
        row["mean_ci95_halfwidth"] = halfwidth(block_means[row["output"]][:k]) if row["output"] in block_means else math.nan
        row["interval"] = f"t over {k} blocks" if k >= 2 else "needs 2 full blocks"
    for name in outputs:
        statistics[name]["mean_halfwidth"] = halfwidth(block_means[name])
    k = len(block_means[outputs[0]]) if outputs else 0
    return (f"Student t over {k} independent {sampler} blocks of {samplers.BLOCK_SIZE:,} scenarios (randomised replicates; "
            "no rate assumed)" + ("" if k >= 2 else f": needs at least 2 full blocks ({2 * samplers.BLOCK_SIZE:,} scenarios)"))
