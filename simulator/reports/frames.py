"""Adapters: the simulator's results as the tidy tables the chart functions take.

The chart functions in :mod:`simulator.reports.charts` take plain DataFrames with
documented columns; these functions build them from the objects of
:mod:`simulator.uncertainty` (``MonteCarloResult``, ``SensitivityResult``, the sweep
tables) and :mod:`simulator.survey`. None of them draws, so none needs matplotlib.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from .charts import _histogram_edges

__all__ = [
    "FAN_PERCENTILES",
    "FAN_PATHS",
    "tornado_frame",
    "spider_frame",
    "histogram_from_result",
    "distribution_statistics",
    "market_share_fan",
    "sweep_kind",
]

#: Percentiles drawn as bands in the fan chart.
FAN_PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
#: Per-year outputs a Monte Carlo run summarises for the fan chart (``path_outputs=``).
FAN_PATHS = ("market_share_path", "market_share_path_without_programme")


def tornado_frame(one_way: pd.DataFrame, output: str = "roq") -> tuple[pd.DataFrame, float]:
    """Tornado data from :func:`simulator.uncertainty.sweeps.one_way`.

    Returns
    -------
    (DataFrame, float)
        ``input, low, high, output_low, output_high`` and the output at base.
    """
    needed = ["input", "low", "high", f"{output}_low", f"{output}_high", f"{output}_base"]
    missing = [c for c in needed if c not in one_way.columns]
    if missing:
        raise RoqInputError("one_way", f"is not a one-way sweep of {output!r}: missing {', '.join(missing)}")
    frame = pd.DataFrame({
        "input": one_way["input"].astype(str),
        "low": one_way["low"].astype(float),
        "high": one_way["high"].astype(float),
        "output_low": one_way[f"{output}_low"].astype(float),
        "output_high": one_way[f"{output}_high"].astype(float),
    })
    return frame, float(one_way[f"{output}_base"].iloc[0])


def spider_frame(spider: pd.DataFrame, output: str = "roq") -> pd.DataFrame:
    """Spider data from :func:`simulator.uncertainty.sweeps.spider` (invalid points dropped)."""
    if output not in spider.columns or "change" not in spider.columns:
        raise RoqInputError("spider", f"is not a spider sweep of {output!r}: needs columns input, change, {output}")
    frame = spider if "valid" not in spider.columns else spider[spider["valid"].astype(bool)]
    frame = frame[np.isfinite(frame[output].astype(float))]
    return pd.DataFrame({"input": frame["input"].astype(str), "change": frame["change"].astype(float), "output": frame[output].astype(float)}).reset_index(drop=True)


def histogram_from_result(result, output: str = "roq", *, bins: int = 50, threshold: float | None = "auto") -> pd.DataFrame:
    """Histogram of one output of a Monte Carlo run, from its streaming quantile sketch.

    ``run_monte_carlo`` keeps no samples; :func:`simulator.uncertainty.statistics.histogram`
    bins its merged sketch (buckets of relative width 0.1% with exact counts), so the
    histogram is that of all ``result.samples`` scenarios, without a second run: a count
    can be off only by values within 0.1% (relative) of a bin edge, far finer than a
    chart shows. As :func:`~simulator.reports.charts.roq_histogram` does for samples, the
    range is the exact min..max unless that is more than three times the P0.1..P99.9
    range, and values outside the range are counted in the outer bins.

    Parameters
    ----------
    result : simulator.uncertainty.MonteCarloResult
    output : str
    bins : int
    threshold : float, None or "auto"
        Bin edge to keep exact; "auto": 1 for ROQ (the feasibility threshold).

    Returns
    -------
    DataFrame
        ``bin_low, bin_high, count``; ``attrs``: ``n``, ``mean`` (exact, from the run),
        ``probability_above`` (exact when the run kept that exceedance count, as it does
        for ROQ > 1; otherwise from the bins).
    """
    from ..uncertainty import statistics as sketch
    from ..uncertainty.scenario import THRESHOLDS

    partial = getattr(result, "partial", None)
    if not isinstance(partial, Mapping) or output not in partial.get("outputs", {}) or output not in getattr(result, "statistics", {}):
        raise RoqInputError("output", f"{output!r} was not summarised by this Monte Carlo run")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        raise RoqInputError("bins", f"must be a whole number >= 2, got {bins!r}")
    statistics = result.statistics[output]
    if statistics["count"] == 0:
        raise RoqInputError("output", f"{output!r} has no finite values")
    if threshold == "auto":
        threshold = THRESHOLDS.get(output)
    low, high = float(statistics["min"]), float(statistics["max"])
    central_low, central_high = sketch.quantile(partial, output, 0.001), sketch.quantile(partial, output, 0.999)
    if high - low > 3.0 * max(central_high - central_low, 1e-300):  # one extreme scenario must not squash the chart
        low, high = central_low, central_high
    edges, counts = sketch.histogram(partial, output, _histogram_edges(low, high, int(bins), threshold), clip=True)
    frame = pd.DataFrame({"bin_low": edges[:-1], "bin_high": edges[1:], "count": counts})
    frame.attrs["n"] = int(statistics["count"])
    frame.attrs["mean"] = float(statistics["mean"])
    if threshold is not None:
        exact = statistics["exceed"].get(float(threshold))
        frame.attrs["probability_above"] = float(exact) if exact is not None else float(counts[edges[:-1] >= threshold].sum() / counts.sum())
    return frame


def distribution_statistics(result, output: str = "roq") -> dict:
    """Mean, P5, median and P95 of one output of a Monte Carlo run (for the chart's box)."""
    statistics = result.statistics[output]
    percentiles = statistics["percentiles"]
    out = {"mean": statistics["mean"]}
    for q, label in ((0.05, "P5"), (0.5, "median"), (0.95, "P95")):
        if q in percentiles:
            out[label] = percentiles[q]
    return out


def market_share_fan(result, *, percentiles=FAN_PERCENTILES) -> pd.DataFrame:
    """Per-year percentiles of the market share with (and median without) the programme.

    From the per-year statistics of the Monte Carlo run itself - every scenario of it -
    when it summarised :data:`FAN_PATHS` (``run_monte_carlo(..., path_outputs=FAN_PATHS)``,
    as :func:`~simulator.reports.report.compute_report` does): percentiles within the
    sketch's relative accuracy (0.05%) of the exact ones. A run without them (e.g. made
    for a summary only) keeps no per-year numbers, so its first 16,384 scenarios are
    evaluated again (the same draws: same seed, sampler and run size) and their exact
    percentiles taken.

    Parameters
    ----------
    result : simulator.uncertainty.MonteCarloResult
    percentiles : sequence of float
        Percentiles (0-100) to report; with per-year statistics, among 5, 10, 25, 50, 75,
        90, 95.

    Returns
    -------
    DataFrame
        ``year`` (1..T) and ``P<q>`` columns (fractions); ``attrs``: ``base`` (the
        deterministic path), ``without_programme`` (median path without the programme,
        or None if the run summarised only the path with it), ``samples`` (scenarios the
        percentiles come from).
    """
    from ..roq import evaluate

    scenario = result.scenario
    if "market_share_path" not in getattr(result, "path_outputs", ()):
        frame = _fan_from_scenarios(result, percentiles)
    else:
        stats = result.path_statistics("market_share_path")
        frame = pd.DataFrame({"year": stats["year"].to_numpy()})
        for q in percentiles:
            column = f"P{q:g}"
            if column not in stats.columns:
                raise RoqInputError("percentiles", f"P{q:g} is not kept per year (kept: {', '.join(c for c in stats.columns if c.startswith('P'))})")
            frame[column] = stats[column].to_numpy(dtype=float)
        without = None
        if "market_share_path_without_programme" in result.path_outputs:
            without = result.path_statistics("market_share_path_without_programme")["P50"].to_numpy(dtype=float)
        frame.attrs["without_programme"] = without
        frame.attrs["samples"] = int(result.samples)
    base = evaluate(scenario.parameters(), ("market_share_path",))["market_share_path"]
    frame.attrs["base"] = np.asarray(base, dtype=float).reshape(-1)
    return frame


#: Scenarios re-evaluated for the fan chart of a run that kept no per-year statistics.
_FAN_SUBSET = 2**14


def _fan_from_scenarios(result, percentiles) -> pd.DataFrame:
    """Fan table of a run without per-year statistics: exact percentiles of its first scenarios."""
    from ..roq import evaluate

    samples = min(_FAN_SUBSET, int(result.samples))
    params = result.scenario.draw(0, samples, seed=result.seed, sampler=result.sampler, samples=int(result.samples))
    paths = evaluate(params, FAN_PATHS, validate=False)
    years = paths["market_share_path"].shape[-1]
    with_programme = np.broadcast_to(paths["market_share_path"], (samples, years))
    without = np.broadcast_to(paths["market_share_path_without_programme"], (samples, years))
    frame = pd.DataFrame({"year": np.arange(1, years + 1)})
    for q in percentiles:
        frame[f"P{q:g}"] = np.percentile(with_programme, q, axis=0)
    frame.attrs["without_programme"] = np.median(without, axis=0)
    frame.attrs["samples"] = samples
    return frame


def sweep_kind(table: pd.DataFrame) -> str | None:
    """Which sweep a table of :mod:`simulator.uncertainty.sweeps` is: "oneway", "spider",
    "twoway", "discount", "breakeven" (None if none)."""
    columns = list(table.columns)
    if "swing" in columns and any(c.endswith("_low") for c in columns):
        return "oneway"
    if "change" in columns and "value" in columns:
        return "spider"
    if "break_even" in columns:
        return "breakeven"
    if columns and columns[0] == "discount_rate" and "valid" not in columns:
        return "discount"
    if "valid" in columns and len(columns) == 4:
        return "twoway"
    return None


def _output_of(table: pd.DataFrame, kind: str) -> str:
    """The output column a sweep table reports."""
    from ..roq import MODEL_OUTPUTS

    if kind == "oneway":
        return next(c[: -len("_low")] for c in table.columns if c.endswith("_low") and c[: -len("_low")] in MODEL_OUTPUTS)
    if kind == "spider":
        return next(c for c in table.columns if c in MODEL_OUTPUTS)
    if kind == "twoway":
        return str(table.columns[2])
    if kind == "discount":
        return "roq" if "roq" in table.columns else str(table.columns[1])
    raise RoqInputError("table", f"no chart output for a {kind} sweep")


def finite_or_none(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# --------------------------------------------------------------------------- the report's own sample

#: Scenarios of the run drawn again for the sample-based charts (tornado by rank correlation,
#: input distributions, input-vs-output scatter, with/without overlays).
SAMPLE_SIZE = 2**13
#: Outputs evaluated on that sample.
SAMPLE_OUTPUTS = ("roq", "npv_gain", "final_market_share", "npv_with_programme", "npv_without_programme",
                  "npv_programme_cost", "final_market_share_without_programme")


def report_sample(result, size: int = SAMPLE_SIZE) -> dict:
    """The first ``size`` scenarios of a Monte Carlo run, drawn again with their outputs.

    ``run_monte_carlo`` keeps statistics, not scenarios; the sample-based charts of a
    report need inputs and outputs side by side. ``Scenario.draw`` gives scenarios
    ``0..size-1`` of the run itself (same seed, sampler and run size, so the same numbers
    as in the run) and :func:`simulator.roq.evaluate` their outputs.

    Returns
    -------
    dict
        ``inputs`` (uncertain input -> array), ``outputs`` (output -> array, see
        :data:`SAMPLE_OUTPUTS`), ``samples`` (int).
    """
    from ..roq import evaluate

    scenario = result.scenario
    size = max(1, min(int(size), int(result.samples)))
    params = scenario.draw(0, size, seed=result.seed, sampler=result.sampler, samples=int(result.samples))
    values = evaluate(params, SAMPLE_OUTPUTS, validate=False)
    outputs = {name: np.broadcast_to(np.asarray(values[name], dtype=float), (size,)).copy() for name in SAMPLE_OUTPUTS}
    inputs = {name: np.asarray(params[name], dtype=float).reshape(-1) for name in scenario.uncertain}
    return {"inputs": inputs, "outputs": outputs, "samples": size}


def sample_tornado(sample: Mapping, output: str = "roq"):
    """Sample sensitivity (rank correlation, contribution to variance, SRC, SRRC) of one output.

    :func:`simulator.uncertainty.sample_sensitivity.sample_sensitivity` on the report's
    sample (:func:`report_sample`); None when the output does not vary.
    """
    from ..uncertainty.sample_sensitivity import sample_sensitivity

    values = sample["outputs"][output]
    if not np.isfinite(values).all() or np.ptp(values) == 0:
        return None
    return sample_sensitivity(sample["inputs"], values, output_name=output)


#: Statistics of an output's one-page summary, in the order shown.
SUMMARY_STATISTICS = ("base case", "mean", "sd", "min", "P5", "P10", "P25", "median", "P75", "P90", "P95", "max")


def output_statistics(result, output: str) -> pd.DataFrame:
    """The statistics table of an output's one-page summary (values in the output's unit).

    Returns
    -------
    DataFrame
        ``statistic, value``; ``attrs``: ``probability`` (P(output > threshold) or None),
        ``probability_halfwidth``, ``threshold``, ``samples``.
    """
    from ..uncertainty.scenario import THRESHOLDS

    stats = result.statistics[output]
    p = stats["percentiles"]
    values = {"base case": result.base.get(output, math.nan), "mean": stats["mean"], "sd": stats["sd"], "min": stats["min"],
              "P5": p[0.05], "P10": p[0.10], "P25": p[0.25], "median": p[0.50], "P75": p[0.75], "P90": p[0.90], "P95": p[0.95],
              "max": stats["max"]}
    frame = pd.DataFrame({"statistic": list(SUMMARY_STATISTICS), "value": [float(values[k]) for k in SUMMARY_STATISTICS]})
    threshold = THRESHOLDS.get(output)
    frame.attrs.update(threshold=threshold, samples=int(stats["count"]), probability=None, probability_halfwidth=None)
    if threshold is not None and threshold in stats["exceed"]:
        frame.attrs["probability"] = float(stats["exceed"][threshold])
        frame.attrs["probability_halfwidth"] = float(stats["exceed_halfwidth"].get(threshold, math.nan))
    return frame


def programme_decision(result):
    """The verdict on the programme (pays / does not pay / undecided) from P(ROQ > 1), or None.

    Uses :func:`simulator.uncertainty.verdict.programme_verdict` where it exists (one
    function decides, everywhere); without it the report shows the probability and its
    interval only.
    """
    try:
        from ..uncertainty.verdict import programme_verdict
    except ImportError:
        return None
    stats = result.statistics.get("roq")
    if stats is None or 1.0 not in stats["exceed"]:
        return None
    scenarios = int(stats["count"])
    paying = int(round(float(stats["exceed"][1.0]) * scenarios))
    try:
        return programme_verdict(paying, scenarios, nonfinite=int(stats.get("nonfinite", 0)))
    except RoqInputError:  # no verdict on a run whose ROQ is not a number somewhere: the probability line says so
        return None


def second_order_is_informative(second_order) -> bool:
    """Whether a second-order Sobol' table shows any interaction worth a chart.

    Yes only if some pair's S2 is at least 0.01 (1% of the variance) with confidence:
    the lower end of its interval, S2 - S2_conf, reaches 0.01. Otherwise a heatmap of
    "0.000 ± 0.05" cells says nothing a sentence does not.
    """
    if second_order is None or not len(second_order):
        return False
    s2 = second_order["S2"].to_numpy(dtype=float)
    conf = second_order["S2_conf"].to_numpy(dtype=float) if "S2_conf" in second_order else np.zeros_like(s2)
    return bool(np.any(s2 - np.nan_to_num(conf, nan=np.inf) >= 0.01))


def second_order_note(second_order) -> str:
    """The sentence shown instead of an uninformative second-order heatmap."""
    s2 = second_order["S2"].to_numpy(dtype=float)
    conf = second_order["S2_conf"].to_numpy(dtype=float) if "S2_conf" in second_order else np.zeros_like(s2)
    worst = int(np.argmax(np.abs(s2)))
    return (f"no pairwise interaction shown: no second-order index is at least 0.01 with confidence "
            f"(largest |S2| = {abs(s2[worst]):.3f} ± {conf[worst]:.3f}), so its heatmap is left out")
