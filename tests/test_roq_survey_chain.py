"""The survey-to-money chain: survey retention, programme effect, spending optimum, portfolio."""

import doctest
import itertools

import numpy as np
import pytest

from simulator import RoqInputError
from simulator.roq import programme_effect, retention, spending, survey_retention as survey_module
from simulator.roq.portfolio import (
    SINGGIH_EXAMPLE_DRIVERS,
    PortfolioProblem,
    Programme,
    efficient_frontier,
    optimise_portfolio,
    singgih_programmes,
)
from simulator.roq.programme_effect import programme_parameters, satisfaction_shift, shifted_mix
from simulator.roq.spending import optimal_spend, saturating_response, spending_analysis
from simulator.roq.survey_retention import (
    posterior_draws,
    published_procedure_retention,
    retention_crosstab,
    satisfaction_groups,
    singgih_survey,
    survey_retention,
)
from simulator.uncertainty import builtin_scenario

SINGGIH_MIX = dict(dissatisfied_share=35 / 84, satisfied_share=41 / 84, delighted_share=8 / 84,
                   repurchase_dissatisfied=13 / 84, repurchase_satisfied=43 / 84, repurchase_delighted=58 / 84)


@pytest.mark.parametrize("module", [survey_module, programme_effect, spending])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


# --- retention from the survey -----------------------------------------------------------


def test_singgih_published_retention_reproduced_from_the_survey_counts():
    case = singgih_survey()
    result = published_procedure_retention(case["satisfaction_counts"], case["intention_values"])
    assert round(result["retention"], 4) == case["published_retention"] == 0.3461
    # the paper's r1, r2, r3 (15.48%, 51.19%, 69.05%) and its shares
    assert [round(result[k], 4) for k in ("repurchase_dissatisfied", "repurchase_satisfied", "repurchase_delighted")] == [0.1548, 0.5119, 0.6905]
    assert round(result["satisfied_share"], 4) == 0.4881 and round(result["delighted_share"], 4) == 0.0952


def test_crosstab_point_estimate_equals_hand_computation():
    counts = [[4, 10, 21], [20, 17, 4], [6, 2, 0]]
    result = survey_retention(counts, draws=2000)
    n = 84
    s, d = 41 / n, 8 / n
    r1, r2, r3 = (4 + 5) / 35, (20 + 8.5) / 41, (6 + 1) / 8
    assert result.retention == pytest.approx(retention(s, d, r1, r2, r3), abs=1e-12)
    assert result.point["repurchase_satisfied"] == pytest.approx(r2)
    low, high = result.interval
    assert low < result.retention < high
    frame = result.to_frame().set_index("quantity")
    assert frame.loc["retention", "estimate"] == pytest.approx(result.retention)
    assert "Dirichlet" in result.summary()


def test_answers_give_the_same_crosstab_and_a_table_with_totals_is_accepted():
    satisfaction = ["dissatisfied"] * 3 + ["satisfied"] * 2 + ["delighted"]
    repurchase = ["yes", "no", "unsure", "yes", "ya", 1]
    table = retention_crosstab(satisfaction, repurchase)
    assert table.tolist() == [[1, 1, 1], [2, 0, 0], [1, 0, 0]]
    with_totals = np.zeros((4, 4))
    with_totals[:3, :3] = table
    with_totals[:3, 3] = table.sum(axis=1)
    with_totals[3, :3] = table.sum(axis=0)
    with_totals[3, 3] = table.sum()
    assert survey_retention(with_totals, draws=200).retention == pytest.approx(survey_retention(table, draws=200).retention)


def test_thirds_rule_groups():
    assert satisfaction_groups([1, 2, 3, 4]).tolist() == ["dissatisfied", "satisfied", "delighted", "delighted"]


@pytest.mark.parametrize("call, message", [
    (lambda: survey_retention([[1, 2, 3], [4, -5, 6], [7, 8, 9]]), "satisfied x unsure is negative"),
    (lambda: survey_retention([[1, 2], [3, 4]]), "must be 3 x 3"),
    (lambda: survey_retention([[1, 2, 3, 7], [1, 1, 1, 3], [0, 0, 1, 1], [2, 3, 5, 99]]), "do not add up"),
    (lambda: survey_retention([[0.2, 0.3, 0.5], [0, 0, 0], [0, 0, 0]]), "whole numbers"),
    (lambda: survey_retention([[1, 2, 3], [4, 5, 6], [7, 8, 9]], confidence=95), "did you mean|fraction"),
    (lambda: retention_crosstab(["satisfied", None], ["yes", "no"]), "satisfaction: respondent 2 has no answer"),
    (lambda: retention_crosstab(["satisfied", "happy"], ["yes", "no"]), "respondent 2: 'happy' is not one of"),
    (lambda: retention_crosstab(["satisfied"], ["yes", "no"]), "one pair per respondent"),
    (lambda: posterior_draws([[1, 2, 3], [4, 5, 6], [7, 8, 9]], 1e12), "draws: must be a whole number from 100"),
])
def test_bad_survey_input(call, message):
    with pytest.raises(RoqInputError, match=message):
        call()


def test_interval_coverage_on_surveys_from_a_known_population():
    """95% intervals from surveys drawn from a known population cover the truth 93-97% of the time."""
    population = np.array([[0.05, 0.12, 0.25], [0.20, 0.18, 0.06], [0.08, 0.05, 0.01]])
    population /= population.sum()
    shares = population.sum(axis=1)
    rates = population @ np.array([1.0, 0.5, 0.0]) / shares
    truth = retention(shares[1], shares[2], *rates)
    rng = np.random.default_rng(2024)
    for respondents, surveys in ((84, 1000), (400, 600)):
        covered = 0
        for index, counts in enumerate(rng.multinomial(respondents, population.reshape(-1), size=surveys)):
            draws = posterior_draws(counts.reshape(3, 3), 1000, seed=index)["retention"]
            low, high = np.quantile(draws, [0.025, 0.975])
            covered += low <= truth <= high
        assert 0.93 <= covered / surveys <= 0.97, (respondents, covered / surveys)


# --- the programme's effect --------------------------------------------------------------


def test_shifted_mix_keeps_shares_consistent_and_moves_them_up():
    shifts = np.linspace(-2, 3, 11)
    mix = shifted_mix(0.4167, 0.0952, shifts)
    total = mix["dissatisfied_share"] + mix["satisfied_share"] + mix["delighted_share"]
    assert np.allclose(total, 1.0)
    assert np.all(np.diff(mix["delighted_share"]) > 0) and np.all(np.diff(mix["dissatisfied_share"]) < 0)
    unchanged = shifted_mix(0.4167, 0.0952, 0.0)
    assert unchanged["delighted_share"] == pytest.approx(0.0952) and unchanged["dissatisfied_share"] == pytest.approx(0.4167)


def test_programme_parameters_give_both_arms_and_more_gap_closed_more_retention():
    base = dict(builtin_scenario().base)
    closed = np.array([0.0, 0.2, 0.5, 0.74])
    from simulator.roq import evaluate

    values = evaluate(programme_parameters(base, SINGGIH_MIX, satisfaction_shift(closed, 0.45, 0.6)), ("retention", "baseline_retention", "roq"))
    assert np.allclose(values["baseline_retention"], 0.38010, atol=1e-5)  # RZK convention on the paper's mix
    assert values["retention"][0] == pytest.approx(values["baseline_retention"][0])
    assert np.all(np.diff(values["retention"]) > 0) and np.all(np.diff(values["roq"]) > 0)


def test_driver_shift_bounds():
    with pytest.raises(RoqInputError, match="shift: must be within"):
        shifted_mix(0.4, 0.1, 10)
    with pytest.raises(RoqInputError, match="satisfaction_sd"):
        satisfaction_shift(0.5, 0.4, 0)


# --- how much to spend -------------------------------------------------------------------


@pytest.mark.parametrize("value, rate", [(5e9, 1e-8), (2e9, 3e-9), (1e8, 1e-7)])
def test_optimal_spend_on_an_analytic_curve_within_0_1_percent(value, rate):
    best = optimal_spend(lambda s: value * -np.expm1(-rate * s) - s, 2e9)[0]
    assert best == pytest.approx(np.log(value * rate) / rate, rel=1e-3)


def test_spending_analysis_marginal_roq_is_one_at_the_optimum():
    scenario = builtin_scenario()
    parameters = scenario.draw(0, 512)
    rng = np.random.default_rng(3)
    analysis = spending_analysis(parameters, SINGGIH_MIX, driver_coefficient=0.9, satisfaction_sd=0.6, spend_max=2e9,
                                 max_effect=rng.triangular(0.5, 1.0, 1.5, 512), rate=1 / 3e8)
    assert 0 < analysis.expected_optimum < 2e9
    assert analysis.marginal_roq == pytest.approx(1.0, abs=0.01)
    assert analysis.curve["mean"].max() == pytest.approx(analysis.expected_net_gain, rel=0.02)
    assert analysis.optimal_spend.shape == (512,)
    assert "marginal ROQ" in analysis.summary()


def test_response_curve_must_be_monotone():
    with pytest.raises(RoqInputError, match="response: is not monotone"):
        spending_analysis(dict(builtin_scenario().base), SINGGIH_MIX, driver_coefficient=0.45, satisfaction_sd=0.6, spend_max=1e9,
                          response=lambda s: 0.5 * np.sin(s / 2e8) ** 2)
    with pytest.raises(RoqInputError, match="rate: must be > 0"):
        saturating_response(1.0, 0.5, 0)


# --- which programmes --------------------------------------------------------------------


def _singgih_problem(scenarios=2000, scale=1.0):
    parameters = builtin_scenario().draw(0, scenarios)
    drivers = {k: v * scale for k, v in SINGGIH_EXAMPLE_DRIVERS["driver_coefficients"].items()}
    return PortfolioProblem(singgih_programmes(scenarios, seed=1), parameters, SINGGIH_MIX, gaps=SINGGIH_EXAMPLE_DRIVERS["gaps"],
                            driver_coefficients=drivers, satisfaction_sd=SINGGIH_EXAMPLE_DRIVERS["satisfaction_sd"])


@pytest.mark.parametrize("scale", [1.0, 3.0, 6.0])
def test_local_search_agrees_with_enumerating_all_128_subsets(scale):
    problem = _singgih_problem(scale=scale)
    for budget in (7e7, 2e8, 5e8, 1e9, 2e9, 4e9):
        for objective in ("expected_npv_net", "probability_roq_above_1", "percentile:5"):
            searched = optimise_portfolio(problem, budget, objective=objective, method="local_search")
            # brute force, independent of the optimiser: every subset within the budget
            best, best_value = (), problem.score(np.zeros(7, bool), objective)
            for bits in itertools.product((False, True), repeat=7):
                mask = np.array(bits)
                if mask.any() and problem.cost(mask) <= budget:
                    value = problem.score(mask, objective)
                    if value > best_value + 1e-12 * max(1, abs(best_value)):
                        best, best_value = tuple(np.array(problem.names)[mask]), value
            assert searched.selected == best, (scale, budget, objective)
            assert searched.cost <= budget


def test_frontier_is_non_decreasing_and_programmes_on_one_dimension_saturate():
    problem = _singgih_problem(scale=3.0)
    frontier = efficient_frontier(problem, [7e7, 2e8, 5e8, 1e9, 3e9])
    assert np.all(np.diff(frontier["objective"]) >= -1e-6)
    reliability = [i for i, p in enumerate(problem.programmes) if p.dimension == "reliability"]
    both = np.zeros(7, bool)
    both[reliability[:2]] = True
    alone = [np.eye(7, dtype=bool)[i] for i in reliability[:2]]
    gain = lambda m: problem.outcome(m)["npv_gain"].mean()  # noqa: E731
    assert gain(both) < gain(alone[0]) + gain(alone[1])


@pytest.mark.parametrize("call, message", [
    (lambda p: optimise_portfolio(p, 1e6), "budget: 1,000,000 is below the cheapest programme \\(Agent database"),
    (lambda p: optimise_portfolio(p, 1e9, objective="median"), "objective: must be one of"),
    (lambda p: optimise_portfolio(p, 1e9, objective="percentile:150"), "P from 1 to 99"),
])
def test_bad_portfolio_input(call, message):
    with pytest.raises(RoqInputError, match=message):
        call(_singgih_problem(200))


def test_bad_programmes():
    base = dict(builtin_scenario().base)
    gaps, drivers = SINGGIH_EXAMPLE_DRIVERS["gaps"], SINGGIH_EXAMPLE_DRIVERS["driver_coefficients"]
    with pytest.raises(RoqInputError, match="Training.dimension: 'tangibles' has no gap"):
        PortfolioProblem([Programme("Training", 1e8, 1e7, "tangibles", 0.2)], base, SINGGIH_MIX, gaps=gaps, driver_coefficients=drivers, satisfaction_sd=0.6)
    with pytest.raises(RoqInputError, match="Training.annual_cost: must be a cost >= 0"):
        PortfolioProblem([Programme("Training", 1e8, -1, "reliability", 0.2)], base, SINGGIH_MIX, gaps=gaps, driver_coefficients=drivers, satisfaction_sd=0.6)
    with pytest.raises(RoqInputError, match="listed twice"):
        PortfolioProblem([Programme("A", 1, 1, "reliability", 0.1)] * 2, base, SINGGIH_MIX, gaps=gaps, driver_coefficients=drivers, satisfaction_sd=0.6)
