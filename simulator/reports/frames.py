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
from .charts import roq_histogram

__all__ = [
    "FAN_PERCENTILES",
    "tornado_frame",
    "spider_frame",
    "histogram_from_result",
    "distribution_statistics",
    "market_share_fan",
    "sweep_kind",
]

#: Percentiles drawn as bands in the fan chart.
FAN_PERCENTILES = (5, 10, 25, 50, 75, 90, 95)


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

    ``run_monte_carlo`` keeps no samples; its merged partial summary holds a DDSketch
    (value buckets of relative width 0.1% with exact counts and sums). Each bucket's
    values are placed at the bucket's mean (its sum / count), which is within the
    sketch's relative accuracy of every value in it - far finer than a chart's bins - so
    the histogram is that of all ``result.samples`` scenarios, without a second run.

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
        ``probability_above`` (exact, from the run's exceedance count).
    """
    from ..uncertainty.scenario import THRESHOLDS

    partial = getattr(result, "partial", None)
    if not isinstance(partial, Mapping) or output not in partial.get("outputs", {}):
        raise RoqInputError("output", f"{output!r} was not summarised by this Monte Carlo run")
    summary = partial["outputs"][output]
    counts = np.asarray(summary["counts"], dtype=float)
    sums = np.asarray(summary["sums"], dtype=float)
    used = counts > 0
    values = sums[used] / counts[used]
    if threshold == "auto":
        threshold = THRESHOLDS.get(output)
    frame = roq_histogram(values, bins=bins, threshold=threshold, weights=counts[used])
    statistics = result.statistics[output]
    frame.attrs["n"] = int(statistics["count"])
    frame.attrs["mean"] = float(statistics["mean"])
    if threshold is not None and float(threshold) in statistics["exceed"]:
        frame.attrs["probability_above"] = float(statistics["exceed"][float(threshold)])
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


def market_share_fan(scenario, *, samples: int = 2**14, seed: int | None = None, sampler: str | None = None,
                     run_samples: int | None = None, percentiles=FAN_PERCENTILES) -> pd.DataFrame:
    """Per-year percentiles of the market share with (and median without) the programme.

    The streaming Monte Carlo summarises one number per scenario and keeps no per-year
    paths, so this evaluates the model's ``market_share_path`` on the first ``samples``
    scenarios of the same run (same seed, sampler and run size give the very same
    draws) and takes exact percentiles per year.

    Parameters
    ----------
    scenario : simulator.uncertainty.Scenario
    samples : int
        Scenarios evaluated (default 16,384: percentiles to about +-1% of the band).
    seed, sampler : optional
        Default to the scenario's [run] settings.
    run_samples : int, optional
        Size of the Monte Carlo run these scenarios belong to (default ``samples``).
    percentiles : sequence of float
        Percentiles (0-100) to report.

    Returns
    -------
    DataFrame
        ``year`` (1..T) and ``P<q>`` columns (fractions); ``attrs``: ``base`` (the
        deterministic path), ``without_programme`` (median path without the programme),
        ``samples``.
    """
    from ..roq import evaluate
    from ..uncertainty import samplers

    samples = samplers.check_samples(samples)
    run_samples = samples if run_samples is None else max(int(run_samples), samples)
    params = scenario.draw(0, samples, seed=seed, sampler=sampler, samples=run_samples)
    paths = evaluate(params, ("market_share_path", "market_share_path_without_programme"), validate=False)
    years = paths["market_share_path"].shape[-1]
    with_programme = np.broadcast_to(paths["market_share_path"], (samples, years))
    without = np.broadcast_to(paths["market_share_path_without_programme"], (samples, years))
    frame = pd.DataFrame({"year": np.arange(1, years + 1)})
    for q in percentiles:
        frame[f"P{q:g}"] = np.percentile(with_programme, q, axis=0)
    base = evaluate(scenario.parameters(), ("market_share_path",))["market_share_path"]
    frame.attrs["base"] = np.asarray(base, dtype=float).reshape(-1)
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
