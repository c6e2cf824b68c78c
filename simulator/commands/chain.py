"""``roq retention``, ``roq spending`` and ``roq portfolio``: the survey-to-money chain.

- ``roq retention``: retention with its interval from a satisfaction x repurchase crosstab
  (``--counts`` or ``--answers FILE.csv``); without either, Singgih's published figures.
- ``roq spending [SCENARIO]``: net NPV gain and ROQ against annual spend on a
  saturating response curve; the NPV-maximising spend and its distribution.
- ``roq portfolio [SCENARIO] --budget B``: the set of programmes that maximises the
  objective under a budget, their ranking by own ROQ and the efficient frontier.

SCENARIO defaults to the built-in survey-chain scenario (Singgih's case with retention
from the survey and a driver model); it must have [survey] and [programme] sections.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import RoqInputError
from .simulate import count, seed_value

#: Scenarios used by spending and portfolio when --samples is not given.
DEFAULT_SCENARIOS = 20_000
MAXIMUM_SCENARIOS = 10**6


def _amount(text: str) -> float:
    try:
        value = float(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an amount such as 5e8 or 500000000, got {text!r}") from None
    if not value == value or value in (float("inf"), float("-inf")) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite amount >= 0, got {text!r}")
    return value


def _triple(text: str) -> tuple:
    parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN,MODE,MAX (e.g. 0.3,0.6,0.9), got {text!r}") from None
    if len(values) == 1:
        values = values * 3
    if len(values) != 3 or not values[0] <= values[1] <= values[2] or values[0] < 0:
        raise argparse.ArgumentTypeError(f"expected MIN <= MODE <= MAX, all >= 0 (e.g. 0.3,0.6,0.9), got {text!r}")
    return values


def _counts(text: str) -> list:
    rows = [r for r in text.split(";") if r.strip()]
    try:
        table = [[float(v) for v in row.split(",")] for row in rows]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected three rows of three counts, e.g. \"4,10,21;20,17,4;6,2,0\", got {text!r}") from None
    return table


def register(subparsers) -> None:
    retention = subparsers.add_parser(
        "retention", help="retention with its interval from a survey (satisfaction x repurchase crosstab)",
        description="Retention (Rust, Zahorik & Keiningham) from the satisfaction x repurchase crosstab with a Dirichlet-multinomial "
                    "interval. Without --counts or --answers: Singgih's published figures.",
    )
    source = retention.add_mutually_exclusive_group()
    source.add_argument("--counts", type=_counts, metavar="TABLE",
                        help="crosstab rows dissatisfied;satisfied;delighted, columns yes,unsure,no, e.g. \"4,10,21;20,17,4;6,2,0\"")
    source.add_argument("--answers", metavar="FILE.csv", help="one row per respondent with columns satisfaction and repurchase")
    retention.add_argument("--convention", default="satisfied_or_delighted", choices=("satisfied_or_delighted", "satisfied_only"))
    retention.add_argument("--confidence", type=float, default=0.95, help="interval level as a fraction (default 0.95)")
    retention.add_argument("--prior", type=float, default=0.5, help="Dirichlet pseudo-count per cell (default 0.5, Jeffreys)")
    retention.add_argument("--draws", type=count, default=20_000, help="posterior draws (default 20000)")
    retention.add_argument("--seed", type=seed_value, default=0)
    retention.add_argument("--out", metavar="DIR", help="write retention.csv and retention.png into DIR (refuses to overwrite without --force)")
    retention.add_argument("--force", action="store_true", help="replace an earlier run's files in --out")
    retention.set_defaults(handler=run_retention)

    spending = subparsers.add_parser(
        "spending", help="net NPV gain and ROQ against spend; the NPV-maximising spend",
        description="Prices a saturating spending-response curve effect = max_effect (1 - exp(-ln2 spend / half_spend)) through the "
                    "driver model and the ROQ model; prints the expected-value optimum, its marginal ROQ and the per-scenario optimum.",
    )
    _scenario_options(spending)
    spending.add_argument("--spend-max", type=_amount, default=5e8, metavar="AMOUNT", help="largest annual spend considered (default 5e8)")
    spending.add_argument("--max-effect", type=_triple, default=(0.5, 0.74, 1.0), metavar="MIN,MODE,MAX",
                          help="gap points closed with unlimited spend, triangular (default 0.5,0.74,1.0)")
    spending.add_argument("--half-spend", type=_triple, default=(2e7, 4e7, 8e7), metavar="MIN,MODE,MAX",
                          help="annual spend that buys half the maximum effect, triangular (default 2e7,4e7,8e7: assumed)")
    spending.add_argument("--initial-cost", type=_amount, default=0.0, metavar="AMOUNT",
                          help="fixed set-up cost at year 0 on top of the annual spend (default 0: the spend is the whole programme)")
    spending.add_argument("--points", type=count, default=51, help="grid points over [0, spend-max] (default 51)")
    spending.set_defaults(handler=run_spending)

    portfolio = subparsers.add_parser(
        "portfolio", help="which programmes to run under a budget; the efficient frontier",
        description="Chooses the set of programmes that maximises the objective within each budget (present value of programme "
                    "cost at the base discount rate); default programmes: Singgih's seven, with stated assumed effects.",
    )
    _scenario_options(portfolio)
    portfolio.add_argument("--programmes", metavar="FILE.csv",
                           help="columns programme, initial_cost, annual_cost, dimension, effect_min, effect_mode, effect_max "
                                "(default: Singgih's seven programmes with assumed effects)")
    portfolio.add_argument("--budget", type=_amount, action="append", metavar="AMOUNT", help="budget; repeat for a frontier (default: a range)")
    portfolio.add_argument("--objective", default="expected_npv_net",
                           help="expected_npv_net (default), probability_roq_above_1 or percentile:P (e.g. percentile:5)")
    portfolio.add_argument("--method", default="auto", choices=("auto", "enumerate", "local_search"))
    portfolio.set_defaults(handler=run_portfolio)


def _scenario_options(parser) -> None:
    parser.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario with [survey] and [programme] (default: the built-in survey-chain scenario)")
    parser.add_argument("--samples", type=count, default=DEFAULT_SCENARIOS, metavar="N", help=f"scenarios (default {DEFAULT_SCENARIOS:,}; at most {MAXIMUM_SCENARIOS:,})")
    parser.add_argument("--seed", type=seed_value, metavar="SEED", help="random seed (default: the scenario's)")
    parser.add_argument("--out", metavar="DIR", help="write the tables (CSV) and the chart (PNG) into DIR (refuses to overwrite without --force)")
    parser.add_argument("--force", action="store_true", help="replace an earlier run's files in --out")


def _check_out(args, names):
    """The --out set, checked before any computation (simulator._files.OutputSet); None without --out."""
    if args.out is None:
        return None
    from .._files import OutputSet

    return OutputSet(args.out, force=args.force, expected=names).check()


def _write(outputs, tables: dict, figures: dict) -> None:
    """Write the tables (CSV) and charts (PNG) as one set: all of them or nothing."""
    from ..reports.export import save_figure

    with outputs.staging() as stage:
        for name, frame in tables.items():
            frame.to_csv(stage / name, index=False)
        for name, figure in figures.items():
            save_figure(figure, stage / name)


def run_retention(args) -> int:
    import numpy as np

    from ..roq import survey_retention as survey

    out = _check_out(args, ["retention.csv", "retention.png"])
    if args.counts is None and args.answers is None:
        case = survey.singgih_survey()
        published = survey.published_procedure_retention(case["satisfaction_counts"], case["intention_values"])
        draws = survey.published_procedure_draws(case["satisfaction_counts"], [13, 56, 15], args.draws, seed=args.seed, prior=args.prior,
                                                 convention="satisfied_only")["retention"]
        low, high = np.quantile(draws, [(1 - args.confidence) / 2, (1 + args.confidence) / 2])
        print("Singgih's Return-on-Quality case study of an insurer (84 respondents)")
        print(f"retention {published['retention']:.2%} by the paper's procedure (published 34.61%); "
              f"{args.confidence:.0%} interval {low:.2%}..{high:.2%} (Dirichlet posteriors of its two count lists)")
        print("The paper publishes no usable satisfaction x repurchase crosstab (its Table 9 is garbled), so its rates come from")
        print("Table 5's answer distribution; give --counts or --answers for your own survey's crosstab.")
        return 0
    if args.answers is not None:
        from ..uncertainty.survey_chain import _read_answers

        counts = _read_answers(Path(args.answers), "")
    else:
        counts = args.counts
    result = survey.survey_retention(counts, convention=args.convention, confidence=args.confidence, prior=args.prior, draws=args.draws, seed=args.seed)
    print(result.summary())
    if out is not None:
        from ..reports.chain_charts import retention_distribution_chart

        _write(out, {"retention.csv": result.to_frame()}, {"retention.png": retention_distribution_chart(result)})
        print(f"wrote retention.csv, retention.png into {out.directory}")
    return 0


def _chain_scenario(args):
    from importlib import resources

    from ..uncertainty import load_scenario

    if args.samples > MAXIMUM_SCENARIOS:
        raise RoqInputError("--samples", f"at most {MAXIMUM_SCENARIOS:,} scenarios here, got {args.samples:,}")
    return load_scenario(args.scenario or str(resources.files("simulator") / "data" / "survey_chain_scenario.toml"))


def run_spending(args) -> int:
    from ..uncertainty.survey_chain import chain_spending

    out = _check_out(args, ["spending_curve.csv", "optimal_spend.csv", "spending_curve.png"])
    scenario = _chain_scenario(args)
    analysis = chain_spending(scenario, spend_max=args.spend_max, max_effect=args.max_effect, half_spend=args.half_spend,
                              initial_cost=args.initial_cost, samples=args.samples, seed=args.seed, points=args.points)
    print(f"Scenario: {scenario.name}")
    print(analysis.summary())
    if out is not None:
        from ..reports.chain_charts import spending_curve_chart

        _write(out, {"spending_curve.csv": analysis.curve, "optimal_spend.csv": analysis.optimum_frame()},
               {"spending_curve.png": spending_curve_chart(analysis, subtitle=scenario.name)})
        print(f"wrote spending_curve.csv, optimal_spend.csv, spending_curve.png into {out.directory}")
    return 0


def run_portfolio(args) -> int:
    import numpy as np

    from ..roq.portfolio import efficient_frontier, optimise_portfolio, rank_programmes
    from ..uncertainty.survey_chain import chain_portfolio, read_csv_rows

    out = _check_out(args, ["portfolio_ranking.csv", "portfolio_frontier.csv", "portfolio_frontier.png"])
    scenario = _chain_scenario(args)
    rows = read_csv_rows(Path(args.programmes), "--programmes") if args.programmes else None
    problem = chain_portfolio(scenario, rows, samples=args.samples, seed=args.seed)
    ranking = rank_programmes(problem)
    print(f"Scenario: {scenario.name}; {problem.scenarios:,} scenarios")
    print("Programmes ranked by their own ROQ (each alone):")
    for row in ranking.itertuples(index=False):
        print(f"  {row.programme:<46} {row.dimension:<15} cost {row.present_cost:>15,.0f}  ROQ {row.mean_roq:6.2f}  P(ROQ>1) {row.probability_roq_above_1:6.1%}")
    budgets = args.budget or [max(b, problem.present_costs.min()) for b in np.unique(np.round(np.geomspace(problem.present_costs.min(), problem.present_costs.sum(), 8), -6))]
    if len(budgets) == 1:
        print(optimise_portfolio(problem, budgets[0], objective=args.objective, method=args.method).summary())
    frontier = efficient_frontier(problem, budgets, objective=args.objective, method=args.method)
    print("Efficient frontier:")
    for row in frontier.itertuples(index=False):
        print(f"  budget {row.budget:>15,.0f}: {args.objective} {row.objective:>16,.4g}  [{row.selected or 'none'}]")
    if out is not None:
        from ..reports.chain_charts import portfolio_frontier_chart

        label = {"expected_npv_net": "Expected net NPV gain", "probability_roq_above_1": "P(ROQ > 1)"}.get(args.objective, f"Net NPV gain {args.objective}")
        _write(out, {"portfolio_ranking.csv": ranking, "portfolio_frontier.csv": frontier},
               {"portfolio_frontier.png": portfolio_frontier_chart(frontier, objective_label=label, currency=scenario.currency or "IDR",
                                                                   subtitle=f"{scenario.name}; {problem.scenarios:,} scenarios")})
        print(f"wrote portfolio_ranking.csv, portfolio_frontier.csv, portfolio_frontier.png into {out.directory}")
    return 0
