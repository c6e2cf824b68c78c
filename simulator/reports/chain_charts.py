"""Charts of the survey-to-ROQ chain: retention from the survey, NPV gain against spend, the portfolio frontier.

Each chart is a function of plain results (a :class:`~simulator.roq.survey_retention.SurveyRetention`,
a :class:`~simulator.roq.spending.SpendingAnalysis`, an efficient-frontier DataFrame) and
returns a matplotlib Figure in the project's style (:mod:`simulator.reports.style`).
"""

from __future__ import annotations

import numpy as np

from .style import COLORS, format_money, format_percent, money_scale, new_figure, styled

__all__ = ["retention_distribution_chart", "spending_curve_chart", "portfolio_frontier_chart"]


def _title(ax, title: str, subtitle: str | None = None):
    from .charts import _title as chart_title

    chart_title(ax, title, subtitle)


@styled
def retention_distribution_chart(estimate, *, title: str | None = None, subtitle: str | None = None):
    """Posterior distribution of retention from a survey, with its point estimate and interval."""
    figure, ax = new_figure()
    draws = np.asarray(estimate.draws["retention"], dtype=float) * 100
    ax.hist(draws, bins=60, color=COLORS["main"], alpha=0.85, edgecolor="white", linewidth=0.4)
    low, high = (100 * v for v in estimate.interval)
    ax.axvspan(low, high, color=COLORS["main"], alpha=0.12, label=f"{estimate.confidence:.0%} interval {low:.1f}%..{high:.1f}%")
    ax.axvline(estimate.retention * 100, color=COLORS["accent"], linewidth=2.2, label=f"estimate {format_percent(estimate.retention, 2)}")
    ax.set_xlabel("Retention (% of customers kept per year)")
    ax.set_ylabel("Posterior draws")
    ax.legend(loc="upper right", frameon=False)
    _title(ax, title or "Retention from the survey, with its sampling uncertainty",
           subtitle or f"{estimate.respondents} respondents; Dirichlet-multinomial posterior, {len(draws):,} draws")
    return figure


@styled
def spending_curve_chart(analysis, *, title: str | None = None, subtitle: str | None = None):
    """Net NPV gain against annual spend: median, P5-P95 band, mean, and the expected-value optimum."""
    figure, ax = new_figure()
    curve = analysis.curve
    largest = max(abs(curve["p5"]).max(), abs(curve["p95"]).max(), float(curve["annual_spend"].max()))
    divisor, word = money_scale(largest)
    x = curve["annual_spend"] / divisor
    ax.fill_between(x, curve["p5"] / divisor, curve["p95"] / divisor, color=COLORS["main"], alpha=0.18, label="P5-P95 of the scenarios")
    ax.plot(x, curve["p50"] / divisor, color=COLORS["main"], linewidth=1.6, linestyle="--", label="median")
    ax.plot(x, curve["mean"] / divisor, color=COLORS["main"], linewidth=2.6, label="mean")
    ax.axhline(0, color=COLORS.get("muted", "#666666"), linewidth=1.0)
    best = analysis.expected_optimum / divisor
    ax.axvline(best, color=COLORS["accent"], linewidth=1.8,
               label=f"best spend {format_money(analysis.expected_optimum, analysis.currency)}/yr (marginal ROQ {analysis.marginal_roq:.2f})")
    unit = f"{analysis.currency} {word}".strip()
    ax.set_xlabel(f"Annual programme spend ({unit} per year)")
    ax.set_ylabel(f"Net NPV gain ({unit})")
    ax.legend(loc="lower left", frameon=False)
    _title(ax, title or "How much to spend: net NPV gain against spend",
           (subtitle + "; " if subtitle else "") + f"net gain = NPV - NPV0 - programme cost; {analysis.scenarios:,} scenarios")
    return figure


@styled
def portfolio_frontier_chart(frontier, *, objective_label: str = "Expected net NPV gain", currency: str = "IDR",
                             title: str | None = None, subtitle: str | None = None):
    """Best objective against budget (the efficient frontier), each point labelled with its number of programmes."""
    figure, ax = new_figure()
    budgets = frontier["budget"].to_numpy(dtype=float)
    values = frontier["objective"].to_numpy(dtype=float)
    divisor, word = money_scale(budgets.max())
    money_objective = "probability" not in objective_label.lower()
    value_divisor, value_word = money_scale(np.abs(values).max()) if money_objective else (1.0, "")
    shown = values / value_divisor if money_objective else values * 100
    ax.step(budgets / divisor, shown, where="post", color=COLORS["main"], linewidth=2.4)
    ax.plot(budgets / divisor, shown, "o", color=COLORS["main"])
    previous = None
    for b, v, count, names in zip(budgets / divisor, shown, frontier["programmes"], frontier["selected"]):
        if names != previous:  # label where the chosen set changes
            label = f"{int(count)} programme" + ("s" if int(count) != 1 else "")
            ax.annotate(label, (b, v), textcoords="offset points", xytext=(6, -14), fontsize=11)
        previous = names
    ax.set_xlabel(f"Budget: present value of programme cost ({currency} {word})".replace("  ", " "))
    ax.set_ylabel(f"{objective_label} ({currency} {value_word})" if money_objective else f"{objective_label} (%)")
    _title(ax, title or "Which programmes: the efficient frontier", subtitle or "Best set of programmes for each budget, on the same scenarios")
    return figure
