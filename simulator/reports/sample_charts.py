"""The @RISK / Crystal Ball charts of a Monte Carlo run: output summaries, inputs, drivers.

What a planner who ran a Monte Carlo expects to hand on (Palisade @RISK's and Oracle
Crystal Ball's standard reports), drawn with matplotlib from plain tables and arrays:

- :func:`output_summary_chart`: one page per output - statistics table, histogram with
  the shaded P5-P95 band and the break-even or target line, tornado of the inputs by
  rank correlation or contribution to variance (from the run's sample);
- :func:`sample_sensitivity_chart`: that tornado alone;
- :func:`input_distributions_chart`: the sampled distribution of every uncertain input;
- :func:`input_output_scatter`: output against each top driver, one panel each;
- :func:`with_without_chart`: market share and NPV with and without the programme;
- :func:`convergence_chart`: running mean and P(output > threshold) with their 95%
  intervals as the sample grows.

Like :mod:`simulator.reports.charts`, matplotlib is imported only while drawing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from .charts import OUTPUT_THRESHOLDS, _Axis, _percent_ticks, _title, _value_formatter, roq_histogram
from .style import COLORS, OKABE_ITO, SEQUENCE, format_halfwidth, format_percent, input_label, new_figure, styled

__all__ = [
    "SENSITIVITY_MEASURES",
    "output_summary_chart",
    "sample_sensitivity_chart",
    "input_distributions_chart",
    "input_output_scatter",
    "with_without_chart",
    "convergence_chart",
]

#: Sample-sensitivity measures a tornado can rank by, with their axis labels.
SENSITIVITY_MEASURES = {
    "contribution_to_variance": "Contribution to variance (%; sign of the rank correlation)",
    "rank_correlation": "Rank correlation with the output (Spearman ρ)",
}


def _histogram_axes(ax, values, axis: _Axis, *, threshold=None, threshold_label=None, statistics: Mapping | None = None,
                    bins: int = 40, color=None):
    """Histogram of ``values`` on ``ax`` (share of scenarios), P5-P95 shaded, a vertical line at ``threshold``."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    table = roq_histogram(values, bins=bins, threshold=threshold)
    low, high, counts = (table[c].to_numpy(float) for c in ("bin_low", "bin_high", "count"))
    share = counts / counts.sum()
    colours = [COLORS["negative"] if threshold is not None and h <= threshold + 1e-12 else (color or COLORS["main"]) for h in high]
    ax.bar(axis.scaled(low), share, width=axis.scaled(high) - axis.scaled(low), align="edge", color=colours, edgecolor="white",
           linewidth=0.4, zorder=3)
    stats = dict(statistics or {})
    p5 = stats.get("P5", np.percentile(values, 5))
    p95 = stats.get("P95", np.percentile(values, 95))
    ax.axvspan(axis.scaled(p5), axis.scaled(p95), color=OKABE_ITO["sky_blue"], alpha=0.18, linewidth=0, zorder=1)
    ax.text(axis.scaled(p5), 1.0, " P5–P95", transform=ax.get_xaxis_transform(), ha="left", va="top", fontsize=10.5,
            color=COLORS["main"], zorder=6)
    if "mean" in stats:
        ax.axvline(axis.scaled(stats["mean"]), color=COLORS["main"], linewidth=1.6, linestyle=":", zorder=4)
    if threshold is not None:
        x0, x1 = ax.get_xlim()
        t = axis.scaled(threshold)
        ax.set_xlim(min(x0, t - 0.04 * (x1 - x0)), max(x1, t + 0.04 * (x1 - x0)))
        ax.axvline(t, color=COLORS["threshold"], linestyle="--", linewidth=1.8, zorder=5)
        ax.text(t, 0.9, f" {threshold_label or f'{axis.short} = {threshold:g}'}", transform=ax.get_xaxis_transform(), ha="left", va="top",
                fontsize=11, color=COLORS["threshold"], zorder=6,
                bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.8))
    ax.set_ylim(0, float(share.max()) * 1.18)
    ax.xaxis.set_major_formatter(axis.formatter())
    ax.yaxis.set_major_formatter(_percent_ticks())
    ax.grid(axis="y")
    ax.set_ylabel("Share of scenarios (%)")
    ax.set_xlabel(axis.label if len(axis.label) < 40 else f"{axis.short} (ratio)")
    return table


def _sensitivity_axes(ax, table: pd.DataFrame, measure: str, *, max_inputs: int = 8):
    """Signed horizontal bars of one sample-sensitivity measure, largest on top, values at the bar ends."""
    frame = table.copy()
    frame["size"] = frame[measure].abs()
    frame = frame.sort_values("size", kind="stable").tail(max_inputs)
    values = frame[measure].to_numpy(float)
    y = np.arange(len(frame))
    colours = [COLORS["high"] if v >= 0 else COLORS["low"] for v in values]
    ax.barh(y, values, height=0.62, color=colours, zorder=3)
    reach = max(float(np.max(np.abs(values))) if len(values) else 1.0, 1e-12)
    percent = measure == "contribution_to_variance"
    for yi, v in zip(y, values):
        text = format_percent(v, 1) if percent else f"{v:+.2f}".replace("-", "\u2212")
        ax.text(v + (0.02 if v >= 0 else -0.02) * reach, yi, text, ha="left" if v >= 0 else "right", va="center", fontsize=11,
                color=COLORS["text"], zorder=5)
    ax.set_yticks(y, [input_label(n) for n in frame["input"]])
    ax.tick_params(axis="y", length=0)
    ax.axvline(0.0, color=COLORS["base"], linewidth=1.0)
    ax.set_xlim(min(0.0, values.min() - 0.22 * reach), max(0.0, values.max()) + 0.22 * reach)  # room for the value labels
    if percent:
        ax.xaxis.set_major_formatter(_percent_ticks())
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(SENSITIVITY_MEASURES.get(measure, measure))


def _check_measure(measure: str):
    if measure not in SENSITIVITY_MEASURES:
        raise RoqInputError("measure", f"must be one of {', '.join(SENSITIVITY_MEASURES)}, got {measure!r}")


@styled
def output_summary_chart(values, statistics: pd.DataFrame, sensitivity: pd.DataFrame | None = None, *, output: str = "roq",
                         threshold="auto", threshold_label: str | None = None, probability: float | None = None,
                         probability_halfwidth: float | None = None, verdict: str | None = None,
                         measure: str = "contribution_to_variance", currency: str = "IDR", title: str | None = None):
    """One-page summary of a Monte Carlo output, as @RISK's and Crystal Ball's output reports.

    Parameters
    ----------
    values : array_like
        The output in the sampled scenarios (for the histogram).
    statistics : DataFrame
        ``statistic, value`` rows to print (e.g.
        :func:`simulator.reports.frames.output_statistics`: base case, mean, sd, P5 ...
        P95, min, max over the whole run), in the output's unit.
    sensitivity : DataFrame, optional
        ``input`` and ``measure`` columns (the table of
        :func:`simulator.uncertainty.sample_sensitivity.sample_sensitivity`); drawn as a
        tornado under the histogram.
    output : str
    threshold : float, None or "auto"
        Break-even / target line ("auto": ROQ = 1 for ROQ).
    threshold_label : str, optional
    probability, probability_halfwidth : float, optional
        P(output > threshold) and its 95% half-width, printed under the table.
    verdict : str, optional
        The verdict line (e.g. from :func:`simulator.uncertainty.verdict.programme_verdict`).
    measure : {"contribution_to_variance", "rank_correlation"}
    currency, title

    Returns
    -------
    matplotlib.figure.Figure
        11 x 7.8 inches (a landscape page): histogram top left, statistics top right,
        tornado along the bottom.
    """
    _check_measure(measure)
    values = np.asarray(values, dtype=float).reshape(-1)
    if not np.isfinite(values).any():
        raise RoqInputError("values", "has no finite values")
    if not isinstance(statistics, pd.DataFrame) or not {"statistic", "value"} <= set(statistics.columns):
        raise RoqInputError("statistics", "must be a DataFrame with columns statistic, value")
    axis = _Axis(output, values, currency)
    limit = axis.threshold if threshold == "auto" else threshold
    stats = {str(k): float(v) for k, v in zip(statistics["statistic"], statistics["value"])}
    figure, axes = new_figure((11.0, 7.8), nrows=2, ncols=2, gridspec_kw={"width_ratios": [1.75, 1.0], "height_ratios": [1.25, 1.0]})
    hist_ax, table_ax = axes[0]
    gs = axes[1, 0].get_gridspec()
    for ax in axes[1]:
        ax.remove()
    tornado_ax = figure.add_subplot(gs[1, :])
    _histogram_axes(hist_ax, values, axis, threshold=limit, threshold_label=threshold_label,
                    statistics={k: stats[k] for k in ("P5", "P95", "mean") if k in stats})
    hist_ax.set_title("Distribution (bars: share of the scenarios sampled for the charts)", loc="left", fontsize=12, color=COLORS["muted"],
                      fontweight="normal")
    table_ax.axis("off")
    rows = [[name, axis.text(value)] for name, value in stats.items()]
    if probability is not None and limit is not None:
        half = f" ± {format_halfwidth(probability_halfwidth)}" if probability_halfwidth is not None and math.isfinite(probability_halfwidth) else ""
        rows.append([f"P({axis.short} > {limit:g})", f"{format_percent(probability, 2)}{half}"])
    table = table_ax.table(cellText=rows, colLabels=["statistic", axis.short], loc="upper center", cellLoc="right", colLoc="right",
                           colWidths=[0.5, 0.5])
    table.auto_set_font_size(False)
    table.set_fontsize(11.5)
    table.scale(1.0, 1.22)
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor(COLORS["grid"])
        if r == 0:
            cell.set_text_props(fontweight="bold")
            cell.set_facecolor("#E8EEF4")
        if c == 0:
            cell.set_text_props(ha="left")
            cell._loc = "left"
    table_ax.text(0.0, -0.03, f"statistics over all {int(statistics.attrs.get('samples', 0)):,} scenarios of the run" if statistics.attrs.get("samples") else "",
                  transform=table_ax.transAxes, ha="left", va="top", fontsize=10.5, color=COLORS["muted"])
    if verdict:
        import textwrap

        table_ax.text(0.0, -0.12, "\n".join(textwrap.wrap(verdict, 40)), transform=table_ax.transAxes, ha="left", va="top", fontsize=11,
                      color=COLORS["text"], fontweight="bold")
    if sensitivity is not None and len(sensitivity):
        _sensitivity_axes(tornado_ax, sensitivity, measure)
        tornado_ax.set_title(f"What drives {axis.short}: inputs ranked by |rank correlation| in the sample (orange: raises it, blue: lowers it)",
                             loc="left", fontsize=12, color=COLORS["muted"], fontweight="normal")
    else:
        tornado_ax.axis("off")
        tornado_ax.text(0.5, 0.5, f"No input moves {axis.short} in the sample: no tornado.", ha="center", va="center", transform=tornado_ax.transAxes)
    _title(hist_ax, title or f"Summary of {axis.short}" + (f" ({axis.label.rsplit('(', 1)[1]}" if "(" in axis.label and output != "roq" else ""))
    return figure


@styled
def sample_sensitivity_chart(table, *, output: str = "roq", measure: str = "contribution_to_variance", samples: int | None = None,
                             r_squared: float | None = None, title: str | None = None):
    """Tornado of the inputs by a sample-sensitivity measure (the @RISK / Crystal Ball tornado).

    Parameters
    ----------
    table : DataFrame
        ``input`` and the measure's column (table of
        :func:`simulator.uncertainty.sample_sensitivity.sample_sensitivity`).
    output : str
    measure : {"contribution_to_variance", "rank_correlation"}
        Crystal Ball's contribution to variance (rho^2 normalised, with rho's sign) or
        Spearman's rank correlation.
    samples : int, optional
        Scenarios the measure comes from (subtitle).
    r_squared : float, optional
        R^2 of the rank regression (subtitle: how much a monotone model explains).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_measure(measure)
    if not isinstance(table, pd.DataFrame) or not {"input", measure} <= set(table.columns) or not len(table):
        raise RoqInputError("table", f"must be a DataFrame with rows and columns input, {measure}")
    figure, ax = new_figure()
    _sensitivity_axes(ax, table, measure)
    notes = ["orange: the output rises with the input; blue: it falls"]
    if samples:
        notes.append(f"from {samples:,} Monte Carlo scenarios")
    if r_squared is not None and math.isfinite(r_squared):
        notes.append(f"rank-regression R² = {r_squared:.2f}")
    name = "contribution to variance" if measure == "contribution_to_variance" else "rank correlation"
    _title(ax, title or f"Tornado of {input_label(output)} by {name}", "; ".join(notes))
    return figure


@styled
def input_distributions_chart(inputs: Mapping, *, currency: str = "IDR", title: str | None = None, bins: int = 40):
    """The sampled distribution of every uncertain input, one panel each, in the input's unit.

    Parameters
    ----------
    inputs : mapping of input name -> array
        Sampled values (e.g. ``report_sample(result)["inputs"]``).

    Returns
    -------
    matplotlib.figure.Figure
        Bars: share of scenarios; shaded: P5-P95; dotted line: mean.
    """
    names = [n for n in inputs if np.ptp(np.asarray(inputs[n], dtype=float)) > 0]
    if not names:
        raise RoqInputError("inputs", "has no input that varies")
    columns = 2 if len(names) <= 4 else 3
    rows = math.ceil(len(names) / columns)
    figure, axes = new_figure((10.0, 2.9 * rows + 1.0), nrows=rows, ncols=columns, squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(names):
            ax.axis("off")
            continue
        name = names[k]
        values = np.asarray(inputs[name], dtype=float)
        formatter, label, divisor = _value_formatter(name, values, currency)
        scaled = values / divisor
        table = roq_histogram(scaled, bins=bins, threshold=None)
        share = table["count"].to_numpy(float) / table["count"].sum()
        ax.bar(table["bin_low"], share, width=table["bin_high"] - table["bin_low"], align="edge", color=SEQUENCE[k % len(SEQUENCE)],
               edgecolor="white", linewidth=0.3, zorder=3)
        p5, p95 = np.percentile(scaled, [5, 95])
        ax.axvspan(p5, p95, color=OKABE_ITO["sky_blue"], alpha=0.16, linewidth=0, zorder=1)
        ax.axvline(scaled.mean(), color=COLORS["text"], linestyle=":", linewidth=1.5, zorder=4)
        ax.xaxis.set_major_formatter(formatter)
        ax.yaxis.set_major_formatter(_percent_ticks())
        ax.set_xlabel(label, fontsize=12)
        ax.tick_params(labelsize=10.5)
        ax.grid(axis="y")
    axes[0, 0].set_ylabel("Share of scenarios (%)", fontsize=12)
    _title(axes[0, 0], title or "Uncertain inputs: the distributions sampled", "bars: share of scenarios; shaded: P5–P95; dotted: mean")
    return figure


@styled
def input_output_scatter(inputs: Mapping, output_values, *, output: str = "roq", drivers=None, max_points: int = 2000,
                         currency: str = "IDR", title: str | None = None, seed: int = 0):
    """Output against each top driver (one panel each), with the rank correlation.

    Parameters
    ----------
    inputs : mapping of input name -> array
    output_values : array_like
        The output in the same scenarios.
    output : str
    drivers : sequence of str, optional
        Inputs to plot (default: the three with the largest |rank correlation|).
    max_points : int
        Points drawn per panel (an evenly spread subset of a large sample).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ..uncertainty.sample_sensitivity import rank_correlation

    y = np.asarray(output_values, dtype=float).reshape(-1)
    names = [n for n in inputs if np.ptp(np.asarray(inputs[n], dtype=float)) > 0]
    if not names:
        raise RoqInputError("inputs", "has no input that varies")
    rho = {n: rank_correlation(np.asarray(inputs[n], dtype=float), y) for n in names}
    drivers = list(drivers) if drivers is not None else sorted(names, key=lambda n: -abs(rho[n]))[:3]
    unknown = [d for d in drivers if d not in rho]
    if unknown:
        raise RoqInputError("drivers", f"{unknown[0]!r} is not a varying input ({', '.join(names)})")
    axis = _Axis(output, y, currency)
    take = np.linspace(0, len(y) - 1, min(len(y), int(max_points))).astype(int)
    figure, axes = new_figure((10.0, 4.6), ncols=len(drivers), squeeze=False, sharey=True)
    for k, (ax, name) in enumerate(zip(axes[0], drivers)):
        values = np.asarray(inputs[name], dtype=float)
        formatter, label, divisor = _value_formatter(name, values, currency)
        ax.scatter(values[take] / divisor, axis.scaled(y[take]), s=7, alpha=0.35, color=SEQUENCE[k % len(SEQUENCE)], linewidths=0, zorder=3)
        if axis.threshold is not None and y.min() <= axis.threshold * 1.5:
            ax.axhline(axis.threshold / axis.divisor, color=COLORS["threshold"], linestyle="--", linewidth=1.4)
        ax.xaxis.set_major_formatter(formatter)
        ax.yaxis.set_major_formatter(axis.formatter())
        ax.set_xlabel(label, fontsize=12)
        ax.tick_params(labelsize=10.5)
        ax.grid(True)
        ax.text(0.03, 0.97, f"ρ = {rho[name]:+.2f}".replace("-", "\u2212"), transform=ax.transAxes, ha="left", va="top", fontsize=12,
                bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor=COLORS["grid"]))
    axes[0, 0].set_ylabel(axis.label if len(axis.label) < 34 else f"{axis.short} (ratio)")
    _title(axes[0, 0], title or f"{axis.short} against its top drivers",
           f"{len(take):,} of {len(y):,} sampled scenarios; ρ: Spearman rank correlation")
    return figure


@styled
def with_without_chart(share_with: pd.DataFrame, share_without: pd.DataFrame, npv_with, npv_without, *, currency: str = "IDR",
                       title: str | None = None):
    """Market share by year and the NPV of profits, with and without the programme, overlaid.

    Parameters
    ----------
    share_with, share_without : DataFrame
        Per-year ``year, P5, P50, P95`` (fractions) of the share with / without the
        programme (e.g. ``MonteCarloResult.path_statistics``).
    npv_with, npv_without : array_like
        NPV of profits with / without the programme in the sampled scenarios.

    Returns
    -------
    matplotlib.figure.Figure
        Left: median lines with P5-P95 bands; right: the two NPV distributions.
    """
    for name, frame in (("share_with", share_with), ("share_without", share_without)):
        if not isinstance(frame, pd.DataFrame) or not {"year", "P5", "P50", "P95"} <= set(frame.columns):
            raise RoqInputError(name, "must be a DataFrame with columns year, P5, P50, P95")
    npv_with = np.asarray(npv_with, dtype=float)
    npv_without = np.asarray(npv_without, dtype=float)
    figure, (left, right) = new_figure(ncols=2, gridspec_kw={"width_ratios": [1.0, 1.0]})
    styles = ((share_with, COLORS["main"], "with the programme", "-", "o"), (share_without, COLORS["accent"], "without the programme", "-.", "s"))
    for frame, colour, label, dash, marker in styles:
        years = frame["year"].to_numpy(float)
        left.fill_between(years, frame["P5"], frame["P95"], color=colour, alpha=0.18, linewidth=0, zorder=2)
        left.plot(years, frame["P50"], color=colour, linestyle=dash, marker=marker, linewidth=2.4, label=f"{label} (median, P5–P95)", zorder=3)
    left.set_ylim(bottom=0)
    left.yaxis.set_major_formatter(_percent_ticks())
    left.set_xticks(share_with["year"].to_numpy(float), [f"{y:g}" for y in share_with["year"]])
    left.set_xlabel("Year of the programme")
    left.set_ylabel("Market share (%)")
    left.grid(axis="y")
    axis = _Axis("npv_with_programme", np.concatenate([npv_with, npv_without]), currency, label=None)
    both = np.concatenate([npv_with, npv_without])
    edges = np.linspace(np.percentile(both, 0.1), np.percentile(both, 99.9), 60)
    for values, colour, label, dash in ((npv_with, COLORS["main"], "with", "-"), (npv_without, COLORS["accent"], "without", "-.")):
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), edges)
        right.stairs(counts / counts.sum(), axis.scaled(edges), color=colour, linewidth=2.2, linestyle=dash, fill=False, zorder=3)
        right.stairs(counts / counts.sum(), axis.scaled(edges), color=colour, alpha=0.15, fill=True, zorder=2)
        right.axvline(axis.scaled(np.median(values)), color=colour, linestyle=":", linewidth=1.4)
    right.xaxis.set_major_formatter(axis.formatter())
    right.yaxis.set_major_formatter(_percent_ticks())
    right.set_xlabel(f"NPV of profits ({axis.label.rsplit('(', 1)[1]}" if "(" in axis.label else "NPV of profits")
    right.set_ylabel("Share of scenarios (%)")
    right.grid(axis="y")
    right.text(0.98, 0.97, f"median gain {axis.text(float(np.median(npv_with - npv_without)))}", transform=right.transAxes, ha="right", va="top",
               fontsize=11.5, bbox=dict(boxstyle="round,pad=0.3", facecolor="white", edgecolor=COLORS["grid"]))
    _title(left, title or "With and without the programme: market share and NPV of profits", "shaded: P5–P95; dotted: medians")
    figure.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncol=2)
    return figure


@styled
def convergence_chart(table: pd.DataFrame, *, output: str = "roq", currency: str = "IDR", title: str | None = None):
    """Convergence of a Monte Carlo run: running mean and P(output > threshold) with 95% intervals.

    Parameters
    ----------
    table : DataFrame
        ``MonteCarloResult.convergence_frame()``: ``samples, output, mean,
        mean_ci95_halfwidth, probability, probability_ci95_halfwidth`` at checkpoints.
    output : str

    Returns
    -------
    matplotlib.figure.Figure
        The intervals shrink like 1 / sqrt(n): when they are narrow next to the
        decision at hand, the run is large enough.
    """
    needed = {"samples", "output", "mean", "mean_ci95_halfwidth"}
    if not isinstance(table, pd.DataFrame) or not needed <= set(table.columns):
        raise RoqInputError("table", f"must be a convergence table with columns {', '.join(sorted(needed))}")
    rows = table[table["output"] == output].sort_values("samples")
    if not len(rows):
        raise RoqInputError("output", f"{output!r} is not in the convergence table")
    n = rows["samples"].to_numpy(float)
    mean = rows["mean"].to_numpy(float)
    half = rows["mean_ci95_halfwidth"].to_numpy(float)
    axis = _Axis(output, mean, currency)
    has_p = "probability" in rows and np.isfinite(rows["probability"].to_numpy(float)).any()
    figure, axes = new_figure(ncols=2 if has_p else 1, squeeze=False)
    left = axes[0, 0]
    left.fill_between(n, axis.scaled(mean - half), axis.scaled(mean + half), color=OKABE_ITO["sky_blue"], alpha=0.35, linewidth=0)
    left.plot(n, axis.scaled(mean), color=COLORS["main"], marker="o", linewidth=2.2)
    left.set_xscale("log", base=2)
    left.yaxis.set_major_formatter(axis.formatter())
    left.set_xlabel("Scenarios (log scale)")
    left.set_ylabel(f"Mean {axis.short}" + (f" ({axis.label.rsplit('(', 1)[1]}" if "(" in axis.label and output != "roq" else " (ratio)" if output == "roq" else ""))
    left.grid(True)
    if has_p:
        right = axes[0, 1]
        p = rows["probability"].to_numpy(float)
        ph = rows["probability_ci95_halfwidth"].to_numpy(float)
        right.fill_between(n, np.clip(p - ph, 0, 1), np.clip(p + ph, 0, 1), color=OKABE_ITO["sky_blue"], alpha=0.35, linewidth=0)
        right.plot(n, p, color=COLORS["main"], marker="o", linewidth=2.2)
        right.set_xscale("log", base=2)
        right.yaxis.set_major_formatter(_percent_ticks())
        threshold = rows["threshold"].iloc[0] if "threshold" in rows else OUTPUT_THRESHOLDS.get(output)
        right.set_ylabel(f"P({axis.short} > {threshold:g}) (%)")
        right.set_xlabel("Scenarios (log scale)")
        right.grid(True)
    _title(left, title or f"Convergence of {axis.short}", "shaded: 95% confidence interval; it shrinks like 1/√n")
    return figure
