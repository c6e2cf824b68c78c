"""Excel functions of the survey-to-ROQ chain: retention from a survey, the programme's shift of the mix.

Thin wrappers over :mod:`simulator.roq.survey_retention` and
:mod:`simulator.roq.programme_effect`. Shares and rates are fractions (a % cell); the
crosstab is respondent counts.
"""

from __future__ import annotations

import numpy as np
import xlwings as xw

from simulator import roq
from simulator.errors import RoqInputError
from simulator.roq import survey_retention

from ._cells import _rows, arg, choice, count, excel_function, integer, matrix, number, range_converter, vector
from .simulation_functions import scenario_range


@range_converter
def table_rows(value, name: str) -> list:
    """A range as rows of raw cell values (a table with its header row)."""
    return [list(row) for row in _rows(value)]

CATEGORY = "ROQ toolkit - Return on Quality"


@xw.func(category=CATEGORY)
@arg("counts", matrix, "Crosstab of respondents: rows dissatisfied, satisfied, delighted; columns yes, unsure, no (3 x 3, or 4 x 4 with totals).")
@arg("convention", choice(*roq.SATISFIED_SHARE_CONVENTIONS),
     "Meaning of S: satisfied_or_delighted (Rust, Zahorik & Keiningham, default) or satisfied_only (as Singgih published).")
@arg("confidence", number, "Interval level as a fraction, e.g. 95% (default).")
@excel_function
def ROQ_SURVEY_RETENTION(counts, convention="satisfied_or_delighted", confidence=0.95):
    """Retention from a satisfaction x repurchase crosstab with its interval (Dirichlet posterior); spills estimate, sd, low, high."""
    return survey_retention.survey_retention(counts, convention=convention, confidence=confidence).to_frame()


@xw.func(category=CATEGORY)
@arg("dissatisfied_share", number, "Dissatisfied share before the programme, a fraction (a % cell).")
@arg("delighted_share", number, "Delighted share before the programme, a fraction (a % cell).")
@arg("gap_closed", number, "Points of the service-quality gap the programme closes (survey scale), >= 0.")
@arg("driver_coefficient", number, "B of that dimension in the regression of overall satisfaction (SQ_REGRESSION).")
@arg("satisfaction_sd", number, "Standard deviation of overall satisfaction, > 0.")
@excel_function
def ROQ_SHIFTED_MIX(dissatisfied_share, delighted_share, gap_closed, driver_coefficient, satisfaction_sd):
    """Satisfaction mix after the programme: satisfaction rises B * gap / sd standard deviations (ordered-probit shift)."""
    from simulator.roq import programme_effect  # scipy.special: loaded on the first call, not at registration

    shift = programme_effect.satisfaction_shift(gap_closed, driver_coefficient, satisfaction_sd)
    mix = programme_effect.shifted_mix(dissatisfied_share, delighted_share, shift)
    return [["group", "share"], *([name.replace("_share", ""), value] for name, value in mix.items()), ["shift (sd)", shift]]


#: Largest number of scenarios a spending or portfolio analysis runs from Excel.
MAX_CHAIN_SAMPLES = 20_000
_CHAIN_SCENARIO_DOC = ("Scenario table with survey.* and programme.* rows (keys in the first column, values to the right); "
                       "=ROQ_CHAIN_TEMPLATE() spills Singgih's case as a start.")


def _chain_samples(samples) -> int:
    if samples is None:
        return 5000
    if not 100 <= samples <= MAX_CHAIN_SAMPLES:
        raise RoqInputError("samples", f"must be from 100 to {MAX_CHAIN_SAMPLES:,} from Excel (got {samples:,}); larger runs: roq spending / roq portfolio")
    return samples


def _required_scenario(scenario):
    if scenario is None:
        raise RoqInputError("scenario", "is blank; give the scenario range (=ROQ_CHAIN_TEMPLATE() spills one to start from)")
    return scenario


@xw.func(category=CATEGORY)
@excel_function
def ROQ_CHAIN_TEMPLATE():
    """Singgih's case as a survey-to-ROQ scenario table (survey counts, driver model, uncertain inputs) to edit."""
    from importlib import resources

    from simulator.uncertainty import load_scenario

    return load_scenario(resources.files("simulator") / "data" / "survey_chain_scenario.toml").to_rows()


@xw.func(category=CATEGORY)
@arg("scenario", scenario_range, _CHAIN_SCENARIO_DOC)
@arg("spend_max", number, "Largest annual spend considered (currency per year), > 0.")
@arg("max_effect", vector, "Gap points closed with unlimited spend: min, mode, max (triangular), >= 0.")
@arg("half_spend", vector, "Annual spend that buys half the maximum effect: min, mode, max (triangular), > 0.")
@arg("samples", count(100, MAX_CHAIN_SAMPLES, "scenarios", "Excel's cap"), f"Scenarios (default 5,000; 100 to {MAX_CHAIN_SAMPLES:,}).")
@excel_function
def ROQ_OPTIMAL_SPEND(scenario, spend_max, max_effect, half_spend, samples=None):
    """Spend that maximises the expected net NPV gain on a saturating response curve; its marginal ROQ and per-scenario spread."""
    from simulator.uncertainty.survey_chain import chain_spending

    analysis = chain_spending(_required_scenario(scenario), spend_max=spend_max, max_effect=_triple(max_effect, "max_effect"),
                              half_spend=_triple(half_spend, "half_spend"), samples=_chain_samples(samples))
    q = np.quantile(analysis.optimal_spend, [0.05, 0.5, 0.95])
    return [
        ["quantity", "value"],
        ["best annual spend (expected value)", analysis.expected_optimum],
        ["expected net NPV gain there", analysis.expected_net_gain],
        ["marginal ROQ there", analysis.marginal_roq],
        ["P(ROQ > 1) there", analysis.probability_pays],
        ["per-scenario best spend, P5", q[0]],
        ["per-scenario best spend, median", q[1]],
        ["per-scenario best spend, P95", q[2]],
    ]


@xw.func(category=CATEGORY)
@arg("scenario", scenario_range, _CHAIN_SCENARIO_DOC)
@arg("programmes", table_rows, "Programmes with a header row: programme, initial_cost, annual_cost, dimension, effect_min, effect_mode, effect_max[, dimension_gap, driver_coefficient].")
@arg("budget", number, "Budget: present value of programme cost at the base discount rate (currency).")
@arg("objective", choice("expected_npv_net", "probability_roq_above_1", "percentile:5", "percentile:10"),
     "expected_npv_net (default), probability_roq_above_1, percentile:5 or percentile:10.")
@arg("samples", count(100, MAX_CHAIN_SAMPLES, "scenarios", "Excel's cap"), f"Scenarios (default 5,000; 100 to {MAX_CHAIN_SAMPLES:,}).")
@excel_function
def ROQ_PORTFOLIO(scenario, programmes, budget, objective="expected_npv_net", samples=None):
    """Best set of programmes under a budget: each programme's own ROQ and whether it is chosen, then the set's totals."""
    from simulator.roq.portfolio import optimise_portfolio, rank_programmes
    from simulator.uncertainty.survey_chain import chain_portfolio

    problem = chain_portfolio(_required_scenario(scenario), programmes, samples=_chain_samples(samples))
    choice_made = optimise_portfolio(problem, budget, objective=objective)
    ranking = rank_programmes(problem)
    rows = [["programme", "chosen", "present cost", "mean ROQ alone", "P(ROQ > 1) alone"]]
    for row in ranking.itertuples(index=False):
        rows.append([row.programme, "yes" if row.programme in choice_made.selected else "no", row.present_cost, row.mean_roq,
                     row.probability_roq_above_1])
    rows.append(["chosen set", len(choice_made.selected), choice_made.cost, choice_made.statistics["expected net NPV gain"],
                 choice_made.statistics["P(ROQ > 1)"]])
    return rows


def _triple(values, name):
    values = [float(v) for v in np.asarray(values, dtype=float).reshape(-1) if np.isfinite(v)]
    if len(values) == 1:
        values *= 3
    if len(values) != 3:
        raise RoqInputError(name, "give min, mode and max (three cells) or one value")
    return tuple(values)
