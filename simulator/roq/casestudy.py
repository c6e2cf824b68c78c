"""Singgih's published ROQ case study (an Indonesian life insurer), as model inputs.

Singgih, M. L. (ITS Surabaya), "Customers loyalty analysis and business process improvement
using the Return on Quality method in an insurance company". The paper's NPV table reuses
its market-growth estimates as the market-share path with the programme, and a constant
3.02% share without it; :func:`case_study_parameters` reproduces exactly that, so the
published NPV, NPV0, NPVAS and ROQ follow. :data:`PUBLISHED` holds the paper's figures and
:data:`MISPRINTS` what does not follow from its inputs (see ``shared/reference/methods.md``).
"""

from __future__ import annotations

import textwrap

import numpy as np

from ..casestudies import load_roq_case_market, load_roq_case_programs
from .calibration import attraction, competitor_retention, market_churn, market_growth, retention
from .model import (
    breakeven_discount_rate,
    breakeven_programme_cost,
    evaluate,
    market_share_path,
    roq_against_discount_rate,
)

__all__ = [
    "CASE_NAME",
    "PUBLISHED",
    "MISPRINTS",
    "case_study_parameters",
    "programme_costs",
    "calibration",
    "headline_comparison",
    "headline_note",
    "case_study_report",
]

#: How every output names this case: by its publication.
CASE_NAME = "Singgih (ITS Surabaya), Return-on-Quality case study of an Indonesian life insurer"

#: Figures printed in the paper (fractions for rates and shares, IDR for money).
PUBLISHED = {
    "satisfied_share": 0.4881,
    "delighted_share": 0.0952,
    "dissatisfied_share": 0.4167,
    "repurchase_dissatisfied": 0.1548,
    "repurchase_satisfied": 0.5119,
    "repurchase_delighted": 0.6904,
    "retention": 0.3461,
    "churn": 0.095,
    "attraction": 0.0306,
    "competitor_retention": 0.9031,
    "market_growth": 0.1439,
    "growth_factor": 1.14,
    "next_market_share": 0.0293,
    "npv_with_programme": 17_202_364_737.0,
    "npv_without_programme": 7_340_682_076.0,
    "npv_programme_cost": 2_648_437_886.0,
    "roq": 3.72,
    "discount_rate": 0.20,
    "margin": 250_000.0,
    "initial_cost": 558_000_000.0,
    "annual_cost": 699_000_000.0,
    "baseline_market_share": 0.0302,
    "new_customers": 850.0,
    "attraction_market_size": 5762.0,
    "attraction_previous_market_size": 3497.0,
    "customers_switching_in": 452.0,
    "switching_previous_share": 0.0139,
    "switching_previous_market_size": 250760.0,
    "recursion_current_share": 0.0707,
}

#: Published figures that do not follow from the published inputs, and why.
MISPRINTS = {
    "attraction": "850 / (5762 - 0.905 * 3497) = 32.7%; the paper prints 3.06% and uses it downstream.",
    "competitor_retention": "1 - 0.095 - 0.001827 = 0.90317; the paper truncates to 0.9031.",
    "npv_with_programme": "Recomputing the paper's own table gives 17,202,868,148; the paper summed per-year values rounded differently (17,202,364,737).",
    "npv_without_programme": "The paper's table shows discount factors rounded to 5 decimals; exact factors give 7,340,683,309 (0.00002% apart).",
    "initial_cost": "The seven programmes' initial costs in Table 10 add up to Rp 783,000,000, but the paper's total (and its NPVAS and ROQ) use Rp 558,000,000; with 783 million NPVAS is 2,873,437,886 and ROQ 3.43.",
    "market_share_path": "The NPV table reuses the market-growth estimates (5.98%..7.07%) as the share path with the programme; the recursion gives 2.93% for the next year.",
    "msi_third_midpoint": "Table 3 prints the third category midpoint as 0.957143 instead of 0.891270; its z = 1.71845 belongs to the misprint.",
}


def case_study_parameters() -> dict:
    """Singgih's model inputs for :func:`simulator.roq.evaluate`, as the paper used them.

    Market sizes N_0..N_5 = 250,760 .. 381,404 customers; share path with the programme
    = the published 5.98%, 7.80%, 8.07%, 6.59%, 7.07%; constant 3.02% without it;
    margin Rp 250,000 per customer per year; i = 20%; programme Rp 558 million now and
    Rp 699 million a year for 5 years (the paper's totals; Table 10's items add up to
    Rp 783 million initial cost, see :data:`MISPRINTS`). The recursion's calibration is
    in :func:`calibration`.

    Returns
    -------
    dict
        A parameters mapping (fresh copy each call).
    """
    market = load_roq_case_market()
    sizes = market["market_size"].to_numpy(dtype=float)
    return {
        "horizon": len(sizes) - 1,
        "market_size": sizes[0],
        "market_size_path": sizes[1:],
        "market_share_path": market["market_share_path_as_published"].to_numpy(dtype=float)[1:],
        "baseline_market_share": PUBLISHED["baseline_market_share"],
        "margin": PUBLISHED["margin"],
        "discount_rate": PUBLISHED["discount_rate"],
        "initial_cost": PUBLISHED["initial_cost"],
        "annual_cost": PUBLISHED["annual_cost"],
    }


def programme_costs() -> dict:
    """Singgih's programme costs: the items of Table 10 and their sums beside the paper's totals.

    Returns
    -------
    dict
        ``items`` (DataFrame), ``initial_cost_sum``/``annual_cost_sum`` of the items (IDR),
        ``initial_cost_published``/``annual_cost_published`` (the totals the paper used).
    """
    programs = load_roq_case_programs()
    return {
        "items": programs,
        "initial_cost_sum": float(programs["initial_cost_idr"].sum()),
        "annual_cost_sum": float(programs["annual_cost_idr"].sum()),
        "initial_cost_published": PUBLISHED["initial_cost"],
        "annual_cost_published": PUBLISHED["annual_cost"],
    }


def calibration() -> dict:
    """Singgih's calibration recomputed from its published inputs, beside the printed values.

    Returns
    -------
    dict of str to (computed, published)
        retention (satisfied-only convention, as the paper), churn, attraction,
        competitors' retention, market growth, next-year market share from the recursion.
    """
    p = PUBLISHED
    computed = {
        "retention": retention(p["satisfied_share"], p["delighted_share"], p["repurchase_dissatisfied"], p["repurchase_satisfied"], p["repurchase_delighted"], convention="satisfied_only"),
        "churn": market_churn(8, 84),
        "attraction": attraction(p["new_customers"], p["attraction_market_size"], p["attraction_previous_market_size"], p["churn"]),
        "competitor_retention": competitor_retention(p["customers_switching_in"], p["switching_previous_share"], p["switching_previous_market_size"], p["churn"]),
        "market_growth": market_growth(286859, p["switching_previous_market_size"]),
        # the paper's one-step forecast uses its printed (rounded) inputs, including A = 3.06%
        "next_market_share": float(market_share_path(p["recursion_current_share"], p["retention"], p["competitor_retention"], p["churn"], p["attraction"], [1.0, p["growth_factor"]])[0]),
    }
    return {name: (value, p[name]) for name, value in computed.items()}


def headline_comparison() -> dict:
    """The case's two headline results: the paper reproduced, and the built-in recursion scenario.

    ``{"paper": {...}, "recursion": {...}}``, each with ``roq`` (ratio) and
    ``breakeven_rate`` (discount rate per year, a fraction at which ROQ = 1). ``paper``
    evaluates :func:`case_study_parameters` (the paper's given share path with the programme,
    constant 3.02% without); ``recursion`` the base values of ``roq simulate``'s built-in
    scenario, where both arms run the market-share recursion from retention.

    Examples
    --------
    >>> c = headline_comparison()
    >>> round(c["paper"]["roq"], 2), round(c["recursion"]["roq"], 2)
    (3.72, 2.72)
    """
    from ..uncertainty.scenario import builtin_scenario  # the scenario layer builds on this module

    results = {}
    for name, params in (("paper", case_study_parameters()), ("recursion", builtin_scenario().parameters())):
        results[name] = {"roq": float(evaluate(params, ("roq",))["roq"]), "breakeven_rate": float(breakeven_discount_rate(params))}
    return results


def headline_note(comparison: dict | None = None) -> str:
    """Why this case has two headline ROQs (the paper's and ``roq simulate``'s), in two sentences."""
    c = comparison or headline_comparison()
    paper, recursion = c["paper"], c["recursion"]
    return (
        f"ROQ {paper['roq']:.2f} (break-even discount rate {paper['breakeven_rate']:.1%}) reproduces the paper deterministically: "
        "its NPV uses the paper's given market-share path with the programme (5.98%..8.07%) and a constant 3.02% without it. "
        f"`roq simulate`, the report and the README's charts run the built-in scenario instead, where both arms follow the "
        f"market-share recursion from retention (34.61% without the programme), so ROQ responds to churn and growth: "
        f"ROQ {recursion['roq']:.2f} (break-even {recursion['breakeven_rate']:.1%}) at its base values."
    )


def case_study_report() -> str:
    """Plain-text report of Singgih's ROQ case study: calibration, share path, NPVs, ROQ.

    Each line shows the recomputed value and the published one, with a note where the
    paper misprints.
    """
    params = case_study_parameters()
    result = evaluate(params, ("npv_with_programme", "npv_without_programme", "npv_programme_cost", "npv_gain", "roq", "roq_net", "market_share_path", "market_size_path"))
    lines = [f"Return on Quality - {CASE_NAME} (IDR)", "The paper reproduced from its published inputs (deterministic).", ""]
    lines.append(f"{'Calibration':<34}{'computed':>16}{'published':>16}")
    for name, (computed, published) in calibration().items():
        flag = "  *" if name in MISPRINTS else ""
        lines.append(f"{name.replace('_', ' '):<34}{computed:>16.4%}{published:>16.4%}{flag}")
    lines += ["", f"{'Year':<6}{'Market size':>14}{'Share':>10}{'Share, no programme':>22}"]
    lines.append(f"{0:<6}{params['market_size']:>14,.0f}")
    for year, (size, share) in enumerate(zip(result["market_size_path"], result["market_share_path"]), start=1):
        lines.append(f"{year:<6}{size:>14,.0f}{share:>10.2%}{params['baseline_market_share']:>22.2%}")
    lines += ["", f"{'Money (i = 20%)':<34}{'computed':>20}{'published':>20}"]
    for name, label in (("npv_with_programme", "NPV with programme"), ("npv_without_programme", "NPV0 without programme"), ("npv_programme_cost", "NPVAS programme cost")):
        flag = "  *" if name in MISPRINTS else ""
        lines.append(f"{label:<34}{result[name]:>20,.0f}{PUBLISHED[name]:>20,.0f}{flag}")
    lines.append(f"{'ROQ = (NPV - NPV0) / NPVAS':<34}{result['roq']:>20.4f}{PUBLISHED['roq']:>20.2f}")
    lines.append(f"{'ROQ net = ROQ - 1':<34}{result['roq_net']:>20.4f}")
    verdict = "feasible (ROQ > 1)" if result["roq"] > 1 else "not feasible (ROQ <= 1)"
    lines.append(f"{'Verdict':<34}{verdict:>20}")
    breakeven = breakeven_programme_cost(params)
    rate = breakeven_discount_rate(params)
    lines.append(f"{'Break-even discount rate':<34}{rate:>20.2%}" if np.isfinite(rate) else f"{'Break-even discount rate':<34}{'none in (-99%, 10000%)':>20}")
    lines.append(f"{'Break-even cost multiplier':<34}{breakeven['cost_multiplier']:>20.4f}")
    lines.append(f"{'Break-even annual cost':<34}{breakeven['annual_cost']:>20,.0f}")
    rates = np.arange(0.0, 0.61, 0.10)
    curve = roq_against_discount_rate(params, rates)
    lines += ["", "ROQ against discount rate: " + ", ".join(f"{r:.0%}: {v:.2f}" for r, v in zip(rates, curve))]
    lines += ["", "* published figure does not follow from the published inputs:"]
    lines += [f"  - {name.replace('_', ' ')}: {why}" for name, why in MISPRINTS.items()]
    lines += ["", "Why `roq simulate` shows another ROQ for this case:", *textwrap.wrap(headline_note(), 100, initial_indent="  ", subsequent_indent="  ")]
    return "\n".join(lines)
