"""Charts of the records analysis: survival and retention by segment, driver odds ratios,
the CLV distribution and the HVC funnel with the Pareto curve.

Same look as every roq-toolkit chart (:mod:`simulator.reports.style`: Okabe-Ito colours,
16:9 slide size, units on every axis); each function returns a matplotlib Figure that
:func:`simulator.reports.save_figure` writes as PNG, SVG or PDF.
"""

from __future__ import annotations

import numpy as np

from ..reports.charts import _title
from ..reports.style import COLORS, SEQUENCE, format_money, format_percent, money_scale, new_figure, styled

__all__ = ["survival_chart", "retention_chart", "odds_ratio_chart", "clv_chart", "hvc_chart", "records_figures"]


def _percent_axis(axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))


@styled
def survival_chart(survival: dict, *, title: str = "Survival of customer relationships (Kaplan-Meier)"):
    """Kaplan-Meier curves with their 95% bands, one per group ("All" dashed black when groups are given)."""
    figure, ax = new_figure()
    groups = [name for name in survival if name != "All"] or ["All"]
    for k, name in enumerate(groups):
        table = survival[name].table
        color = SEQUENCE[k % len(SEQUENCE)]
        ax.step(table["time"], table["survival"], where="post", color=color, label=f"{name} (n = {survival[name].n:,})")
        ax.fill_between(table["time"], table["lower"], table["upper"], step="post", color=color, alpha=0.15, linewidth=0)
    if len(groups) > 1:
        table = survival["All"].table
        ax.step(table["time"], table["survival"], where="post", color=COLORS["text"], linestyle="--", linewidth=1.6, label="All")
    ax.set_xlabel("Tenure (years since the first policy)")
    ax.set_ylabel("Relationships still in force (%)")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    _percent_axis(ax.yaxis)
    ax.grid(True, axis="y")
    ax.legend(loc="lower left")
    median = survival["All"].median
    _title(ax, title, f"Shaded: 95% confidence band (exponential Greenwood). Median tenure {median:.1f} years." if np.isfinite(median)
           else "Shaded: 95% confidence band (exponential Greenwood). More than half the relationships are still in force.")
    return figure


@styled
def retention_chart(table, *, by: str | None = None, measure: str = "customer_retention",
                    title: str = "Customer (account) retention by period"):
    """One line per group: ``measure`` (a rate column of the outcomes table) by period."""
    figure, ax = new_figure()
    data = table[table[measure].notna()]
    if by is None:
        ax.plot(data["period"], data[measure], marker="o", color=COLORS["main"], label="All")
    else:
        groups = [g for g in dict.fromkeys(data[by]) if g != "All"]
        for k, name in enumerate(groups):
            part = data[data[by] == name]
            ax.plot(part["period"], part[measure], marker="o", color=SEQUENCE[k % len(SEQUENCE)], label=str(name))
        part = data[data[by] == "All"]
        ax.plot(part["period"], part[measure], color=COLORS["text"], linestyle="--", linewidth=1.6, label="All")
    ax.set_xlabel("Underwriting period (retention into the next period)")
    ax.set_ylabel(measure.replace("_", " ").capitalize() + " (% per year)")
    _percent_axis(ax.yaxis)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(True, axis="y")
    ax.legend(loc="lower right", ncol=min(4, 1 + (0 if by is None else len(data[by].unique()))))
    _title(ax, title, "Customers active in a period who are active in the next one, over those active in the period.")
    return figure


@styled
def odds_ratio_chart(drivers, *, title: str = "What moves renewal: odds ratios per scale point"):
    """Forest plot of Exp(B) with its confidence interval (log scale), the constant left out."""
    table = drivers.coefficients().drop(index="Constant")
    table = table.iloc[::-1]
    level = f"{drivers.conf_level:.0%}"
    figure, ax = new_figure()
    y = np.arange(len(table))
    lower, upper = table[f"{level} C.I. lower"], table[f"{level} C.I. upper"]
    colors = [COLORS["positive"] if v > 1 else COLORS["negative"] for v in table["Exp(B)"]]
    ax.hlines(y, lower, upper, color=colors, linewidth=3)
    ax.scatter(table["Exp(B)"], y, color=colors, s=90, zorder=3)
    for yi, (odds, low, high, sig) in enumerate(zip(table["Exp(B)"], lower, upper, table["Sig."])):
        ax.annotate(f"{odds:.2f} [{low:.2f}, {high:.2f}]" + ("" if sig < 0.05 else "  n.s."), (high, yi), xytext=(8, 0),
                    textcoords="offset points", va="center", fontsize=11.5, color=COLORS["text"])
    ax.axvline(1.0, color=COLORS["threshold"], linewidth=1.2)
    ax.set_xscale("log")
    ax.set_yticks(y, [name.replace("_", " ") for name in table.index])
    low, high = float(lower.min()), float(upper.max())
    ax.set_xlim(min(low, 1.0) / 1.15, max(high, 1.0) * 1.6)
    from matplotlib.ticker import FuncFormatter, LogLocator

    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(0.5, 0.7, 1.0, 1.5, 2.0, 3.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_xlabel("Odds ratio Exp(B) per scale point (ratio, log scale; 1 = no effect)")
    ax.grid(True, axis="x")
    _title(ax, title, f"Binary logistic regression of account renewal, N = {drivers.n:,}; bars: {level} C.I.; "
                      f"Nagelkerke R² = {drivers.model_summary()['Nagelkerke R Square']:.3f}, AUC = {drivers.auc()['AUC']:.3f}.")
    return figure


@styled
def clv_chart(values, *, currency: str = "IDR", title: str = "Customer lifetime value of the customers in force"):
    """Histogram of CLV per customer on log-spaced bins, with the mean and median marked."""
    clv = values.customers["clv"].to_numpy()
    positive = clv[clv > 0]
    figure, ax = new_figure()
    if len(positive):
        edges = np.logspace(np.log10(positive.min()), np.log10(positive.max()), 41)
        ax.hist(positive, bins=edges, color=COLORS["main"], alpha=0.85)
        ax.set_xscale("log")
        # the median's label left of its line, the mean's right of it (the mean lies above the median)
        for value, label, style, side in ((np.median(positive), "median", ":", -1), (positive.mean(), "mean", "--", 1)):
            ax.axvline(value, color=COLORS["accent"], linestyle=style, linewidth=1.6)
            ax.annotate(f"{label} {format_money(value, currency)}", (value, ax.get_ylim()[1] * 0.97), xytext=(6 * side, 0), textcoords="offset points",
                        color=COLORS["accent"], fontsize=11.5, va="top", ha="left" if side > 0 else "right")
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_money(v, currency)))
    ax.set_xlabel(f"CLV per customer ({currency}, log scale)")
    ax.set_ylabel("Customers (count)")
    horizon = "no horizon" if values.horizon is None else f"{values.horizon}-year horizon"
    _title(ax, title, f"Relationship capital {format_money(values.relationship_capital, currency)} over {len(clv):,} customers; "
                      f"{values.method} retention, discount rate {format_percent(values.discount_rate)}, {horizon}.")
    return figure


@styled
def hvc_chart(hvc, *, currency: str = "IDR", title: str = "High Value Customers: Table 4 stage-1 funnel and Pareto curve"):
    """Left: customers left after each stage-1 criterion; right: the Pareto curve of premium."""
    figure, (left, right) = new_figure(ncols=2, gridspec_kw={"width_ratios": [1.5, 1]})
    funnel = hvc.funnel()
    y = np.arange(len(funnel))[::-1]
    left.barh(y, funnel["customers"], color=[COLORS["base"]] + [COLORS["main"]] * (len(funnel) - 2) + [COLORS["positive"]])
    for yi, (count, share, premium_share) in zip(y, zip(funnel["customers"], funnel["customer_share"], funnel["premium_share"])):
        left.annotate(f"{count:,} ({share:.0%}; {premium_share:.0%} of premium)", (count, yi), xytext=(5, 0), textcoords="offset points",
                      va="center", fontsize=10.5)
    left.set_yticks(y, ["\n".join(_wrap(step, 26)) for step in funnel["step"]], fontsize=10.5)
    left.set_xlabel("Customers in force (count)")
    left.set_xlim(0, funnel["customers"].max() * 1.75)
    curve = hvc.pareto()
    right.plot(curve["customer_share"], curve["premium_share"], color=COLORS["main"])
    right.plot([0, 1], [0, 1], color=COLORS["muted"], linewidth=1, linestyle=":")
    share80 = hvc.share_of_customers_for(0.8)
    right.axhline(0.8, color=COLORS["accent"], linewidth=1, linestyle="--")
    right.axvline(share80, color=COLORS["accent"], linewidth=1, linestyle="--")
    right.annotate(f"{share80:.0%} of customers\nhold 80% of premium", (share80, 0.8), xytext=(8, -40), textcoords="offset points",
                   color=COLORS["accent"], fontsize=11)
    right.set_xlabel("Customers, largest first (%)")
    right.set_ylabel("Share of premium (%)")
    _percent_axis(right.xaxis)
    _percent_axis(right.yaxis)
    right.set_xlim(0, 1)
    right.set_ylim(0, 1.02)
    right.grid(True)
    figure.suptitle(title, x=0.012, ha="left")
    return figure


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [text]


def records_figures(analysis) -> dict:
    """Every chart of a :class:`~simulator.records.analysis.RecordsAnalysis`, by file stem."""
    figures = {
        "records_survival": survival_chart(analysis.survival),
        "records_retention": retention_chart(analysis.outcomes.table, by=analysis.outcomes.by),
    }
    if analysis.drivers is not None:
        figures["records_odds_ratios"] = odds_ratio_chart(analysis.drivers)
    figures["records_clv"] = clv_chart(analysis.values)
    figures["records_hvc"] = hvc_chart(analysis.hvc)
    return figures
