"""Customer-records analytics (simulator.records): hand computations, independent
cross-checks (lifelines, statsmodels, scipy) and recovery of the generator's known effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulator import roq
from simulator.errors import RoqInputError
from simulator.records import (
    analyse_records, clv, clv_from_survival, customer_values, generate_portfolio, hvc_staging, kaplan_meier, logistic_regression,
    pareto_curve, read_policies, relationships, renewal_drivers, retention_outcomes, roq_parameters, validate_policies,
)
from simulator.records.drivers import driver_data

HEADER = ["policy_id", "customer_id", "line", "period", "premium", "renewed"]
#: Three customers over three years (hand-computed below).
SMALL = [
    HEADER,
    ["1", "A", "motor", 2022, 100, 1], ["2", "A", "motor", 2023, 110, 1], ["3", "A", "property", 2023, 50, 1],
    ["4", "A", "motor", 2024, 120, None], ["5", "A", "property", 2024, 40, None],
    ["6", "B", "credit", 2022, 200, 0],
    ["7", "C", "credit", 2022, 300, 1], ["8", "C", "credit", 2023, 250, 0], ["9", "C", "motor", 2023, 20, 0],
    ["10", "D", "motor", 2023, 80, 1], ["11", "D", "motor", 2024, 90, None],
]


@pytest.fixture(scope="module")
def generated():
    return generate_portfolio(6000, seed=2024)


@pytest.fixture(scope="module")
def portfolio(generated):
    return validate_policies(generated.policies)


# --------------------------------------------------------------------------- hand computation


def test_outcomes_equal_a_hand_computation():
    table = retention_outcomes(validate_policies(SMALL)).table.set_index("period")
    y22, y23 = table.loc[2022], table.loc[2023]
    # 2022: A, B, C active (premium 100, 200, 300); A and C active in 2023
    assert y22["customers"] == 3 and y22["policies"] == 3
    assert y22["renewal_rate"] == pytest.approx(2 / 3)
    assert y22["premium_renewal_rate"] == pytest.approx(400 / 600)
    assert y22["customer_retention"] == pytest.approx(2 / 3)
    assert y22["net_premium_retention"] == pytest.approx((160 + 270) / 600)
    assert y22["gross_premium_retention"] == pytest.approx((100 + 270) / 600)
    assert y22["expansion"] == pytest.approx((160 + 270) / (100 + 300) - 1)
    assert y22["lines_per_customer"] == 1 and y22["multi_line_share"] == 0
    assert y22["cross_buy_rate"] == pytest.approx(2 / 2)  # A adds property, C adds motor
    # 2023: A (160, 2 lines), C (270, 2 lines), D (80, new); A and D stay
    assert y23["customers"] == 3 and y23["new_customers"] == 1
    assert y23["renewal_rate"] == pytest.approx(3 / 5)
    assert y23["customer_retention"] == pytest.approx(2 / 3)
    assert y23["net_premium_retention"] == pytest.approx((160 + 90) / (160 + 270 + 80))
    assert y23["gross_premium_retention"] == pytest.approx((160 + 80) / 510)
    assert y23["expansion"] == pytest.approx((160 + 90) / (160 + 80) - 1)
    assert y23["lines_per_customer"] == pytest.approx(5 / 3) and y23["multi_line_share"] == pytest.approx(2 / 3)
    assert y23["cross_buy_rate"] == 0
    last = table.loc[2024]
    assert np.isnan(last["customer_retention"]) and np.isnan(last["renewal_rate"])
    overall = retention_outcomes(validate_policies(SMALL)).overall.loc["All"]
    assert overall["customer_retention"] == pytest.approx(4 / 6)
    assert overall["renewal_rate"] == pytest.approx(5 / 8)


def test_outcomes_by_segment_add_up_to_all():
    rows = [r + [s] for r, s in zip(SMALL, ["segment", "x", "x", "x", "x", "x", "y", "y", "y", "y", "x", "x"])]
    result = retention_outcomes(validate_policies(rows), by="segment")
    y22 = result.table[result.table["period"] == 2022].set_index("segment")
    assert y22.loc["x", "customer_retention"] == 1.0 and y22.loc["y", "customer_retention"] == pytest.approx(0.5)
    assert y22.loc["All", "customer_retention"] == pytest.approx(2 / 3)
    with pytest.raises(RoqInputError, match="by: must be one of"):
        retention_outcomes(validate_policies(rows), by="colour")


# --------------------------------------------------------------------------- validation messages


def _bad(rows, **kwargs) -> str:
    with pytest.raises(RoqInputError) as caught:
        validate_policies(rows, source="policies.csv", **kwargs)
    return str(caught.value)


def test_bad_input_names_row_and_column():
    dated = ["policy_id", "customer_id", "line", "start_date", "end_date", "premium", "renewed"]
    good = ["P1", "C1", "motor", "2024-01-01", "2025-01-01", 100, 1]
    assert _bad([dated, good, ["P2", "C1", "motor", "2024-13-01", "2025-01-01", 100, 1]]) == \
        "policies.csv: row 3, column start_date: '2024-13-01' is not a date (use YYYY-MM-DD, e.g. 2024-01-31)"
    assert _bad([dated, good, ["P1", "C2", "motor", "2024-02-01", "2025-02-01", 100, 1]]) == \
        "policies.csv: row 3, column policy_id: duplicate id 'P1' (first on row 2); each policy term needs its own id"
    assert _bad([dated, good, good[:0] + ["P2", "C1", "motor", "2024-01-01", "2025-01-01", -5, 1]]) == \
        "policies.csv: row 3, column premium: must be >= 0 (an amount of money), got -5"
    assert _bad([dated, good, ["P2", "C1", "motr", "2024-01-01", "2025-01-01", 5, 1]]).startswith(
        "policies.csv: row 3, column line: unknown line 'motr' (did you mean 'motor'?); known: credit, surety_bond")
    assert _bad([dated, ["P2", "C1", "motor", "2024-01-01", "2023-01-01", 5, 1]]) == \
        "policies.csv: row 2, column end_date: 2023-01-01 is not after start_date 2024-01-01"
    assert _bad([dated, ["P2", "C1", "motor", "2024-01-01", "2025-01-01", 5, "maybe"]]) == \
        "policies.csv: row 2, column renewed: 'maybe' is not 1 (renewed), 0 (lapsed) or blank (not yet known)"
    assert _bad([dated, ["P2", "C1", "motor", "2024-01-01", "2025-01-01", "lots", 1]]) == \
        "policies.csv: row 2, column premium: 'lots' is not a number"
    assert _bad([dated, ["P2", "", "motor", "2024-01-01", "2025-01-01", 5, 1]]) == "policies.csv: row 2, column customer_id: is blank"
    assert _bad([dated, ["P2", "C1", "motor", "2204-01-01", "2205-01-01", 5, 1]]) == \
        "policies.csv: row 2, column start_date: 2204-01-01 is outside 1900-2200 (a typo in the year?)"
    assert _bad([["policy_id", "customer", "line", "period", "premium", "renewed"], ["P", "C", "motor", 2024, 5, 1]]).startswith(
        "policies.csv: has no column customer_id")
    assert _bad([dated, good], lines=["credit"]).startswith("policies.csv: row 2, column line: unknown line 'motor'")
    assert "row 2, column risk: unknown risk 'severe'" in _bad([HEADER + ["risk"], ["P", "C", "motor", 2024, 5, 1, "severe"]])


def test_csv_reader_names_the_file(tmp_path):
    path = tmp_path / "policies.csv"
    frame = pd.DataFrame(SMALL[1:], columns=HEADER)
    frame.loc[3, "premium"] = -1
    frame.to_csv(path, index=False)
    with pytest.raises(RoqInputError, match=r"^policies.csv: row 5, column premium: must be >= 0"):
        read_policies(path)
    frame.loc[3, "premium"] = 1
    frame.to_csv(path, index=False)
    assert read_policies(path).n_customers == 4
    with pytest.raises(RoqInputError, match="no such file"):
        read_policies(tmp_path / "missing.csv")


def test_excel_serial_dates_and_numeric_ids_from_a_range():
    rows = [["policy_id", "customer_id", "line", "start_date", "end_date", "premium", "renewed"],
            [1001.0, 7.0, "Motor", 45292.0, 45658.0, 100.0, "yes"]]
    p = validate_policies(rows, serial_dates=True)
    assert p.policies["policy_id"][0] == "1001" and p.policies["customer_id"][0] == "7"
    assert str(p.policies["start_date"][0].date()) == "2024-01-01" and p.policies["line"][0] == "motor"
    with pytest.raises(RoqInputError, match="row 2, column start_date: 45292.0 is a number, not a date"):
        validate_policies(rows)


# --------------------------------------------------------------------------- survival


def test_kaplan_meier_equals_lifelines_exactly(portfolio):
    from lifelines import KaplanMeierFitter

    rel = relationships(portfolio)
    ours = kaplan_meier(rel["tenure_years"], rel["lapsed"]).table
    theirs = KaplanMeierFitter().fit(rel["tenure_years"], rel["lapsed"])
    assert np.array_equal(theirs.survival_function_.index.to_numpy(), ours["time"].to_numpy())
    assert np.array_equal(theirs.survival_function_.iloc[:, 0].to_numpy(), ours["survival"].to_numpy())
    assert np.array_equal(theirs.confidence_interval_.iloc[:, 0].to_numpy(), ours["lower"].to_numpy())
    assert np.array_equal(theirs.confidence_interval_.iloc[:, 1].to_numpy(), ours["upper"].to_numpy())
    table = theirs.event_table
    assert np.array_equal(table["at_risk"].to_numpy(), ours["at_risk"].to_numpy())
    # a small case with ties and censoring, checked by hand as well
    small = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False]).table
    assert small["survival"].tolist() == pytest.approx([1.0, 0.8, 0.6, 0.3, 0.3])
    fitted = KaplanMeierFitter().fit([1, 2, 2, 3, 4], [True, True, False, True, False])
    assert np.array_equal(fitted.survival_function_.iloc[:, 0].to_numpy(), small["survival"].to_numpy())


def test_kaplan_meier_matches_the_generating_hazard(generated, portfolio):
    rel = relationships(portfolio, as_of=generated.as_of)
    km = kaplan_meier(rel["tenure_years"], rel["lapsed"])
    yearly = km.yearly()
    truth = generated.survival[: len(yearly)]
    se = (yearly["upper"] - yearly["lower"]).to_numpy()[1:] / (2 * 1.96)
    z = (yearly["survival"].to_numpy()[1:] - truth[1:]) / se
    assert np.all(np.abs(z) < 3), z  # every year within 3 standard errors
    inside = (yearly["lower"] <= truth + 1e-12) & (truth - 1e-12 <= yearly["upper"])
    assert inside.mean() >= 0.75, yearly.assign(truth=truth)


def test_relationship_tenure_and_lapse_rules():
    rows = [["policy_id", "customer_id", "line", "start_date", "end_date", "premium", "renewed"],
            ["1", "A", "motor", "2020-01-01", "2021-01-01", 1, 1], ["2", "A", "motor", "2021-01-01", "2022-01-01", 1, 0],
            ["3", "B", "motor", "2020-01-01", "2021-01-01", 1, 1], ["4", "B", "motor", "2021-01-01", "2022-01-01", 1, None],
            ["5", "C", "motor", "2020-01-01", "2021-01-01", 1, 0], ["6", "C", "motor", "2023-01-01", "2024-01-01", 1, None]]
    rel = relationships(validate_policies(rows), as_of="2021-06-01").set_index("customer_id")
    assert rel.loc["A", "lapsed"] == False and rel.loc["A", "tenure_years"] == pytest.approx(517 / 365.25)  # censored at as_of  # noqa: E712
    rel = relationships(validate_policies(rows), as_of="2024-06-01").set_index("customer_id")
    assert bool(rel.loc["A", "lapsed"]) and rel.loc["A", "tenure_years"] == pytest.approx(731 / 365.25)
    assert not bool(rel.loc["B", "lapsed"])  # outcome unknown: censored
    assert bool(rel.loc["C", "lapsed"]) and rel.loc["C", "tenure_years"] == pytest.approx(366 / 365.25)  # the gap ends the first spell


# --------------------------------------------------------------------------- drivers


def test_logistic_regression_equals_statsmodels(portfolio):
    import statsmodels.api as sm

    y, X, names, dropped, _ = driver_data(portfolio)
    ours = logistic_regression(y, X, names)
    theirs = sm.Logit(y, sm.add_constant(X)).fit(method="newton", tol=1e-14, maxiter=100, disp=0)
    assert np.max(np.abs(ours.params - theirs.params)) < 1e-8
    assert np.max(np.abs(ours.bse - theirs.bse)) < 1e-8
    assert abs(ours.llf - theirs.llf) < 1e-8
    assert np.max(np.abs(ours.cov - theirs.cov_params())) < 1e-8
    margins = theirs.get_margeff(at="overall", method="dydx")
    me = ours.marginal_effects()
    assert np.max(np.abs(me["dP/dx"].to_numpy() - margins.margeff)) < 1e-8
    assert np.max(np.abs(me["S.E."].to_numpy() - margins.margeff_se)) < 1e-8
    coefficients = ours.coefficients()
    assert np.allclose(coefficients.loc[names, "Wald"], (theirs.params[1:] / theirs.bse[1:]) ** 2, rtol=1e-8)
    assert np.allclose(coefficients.loc[names, "Sig."], theirs.pvalues[1:], rtol=1e-6)
    # the constant-only log-likelihood in closed form, and McFadden's R2 from it
    p = y.mean()
    assert ours.llnull == pytest.approx(len(y) * (p * np.log(p) + (1 - p) * np.log(1 - p)), rel=1e-12)
    summary = ours.model_summary()
    assert summary["-2 Log likelihood"] == pytest.approx(-2 * theirs.llf, rel=1e-10)
    cox_snell = 1 - np.exp(-theirs.llr / len(y))
    assert summary["Cox & Snell R Square"] == pytest.approx(cox_snell, rel=1e-6)
    # AUC = the Mann-Whitney U / (n1 n0)
    u = stats.mannwhitneyu(ours.probabilities[y == 1], ours.probabilities[y == 0]).statistic
    assert ours.auc()["AUC"] == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()), rel=1e-12)


def test_driver_odds_ratios_are_recovered_within_their_intervals(generated, portfolio):
    result = renewal_drivers(portfolio)
    assert result.n >= 5000 and result.dropped == 0
    table = result.coefficients()
    truth = generated.odds_ratios
    for name, odds_ratio in truth.items():
        assert table.loc[name, "95% C.I. lower"] <= odds_ratio <= table.loc[name, "95% C.I. upper"], (name, odds_ratio, table.loc[name])
    constant = generated.coefficients["constant"]
    assert table.loc["Constant", "95% C.I. lower"] <= np.exp(constant) <= table.loc["Constant", "95% C.I. upper"]
    hl = result.hosmer_lemeshow()
    assert hl["Sig."] > 0.01  # the model is the generating model: no lack of fit
    assert hl["table"]["Total"].sum() == result.n
    classification = result.classification()
    assert classification.loc["Overall Percentage", "Percentage Correct"] == pytest.approx(
        100 * np.mean((result.probabilities >= 0.5) == result._y.astype(bool)))


def test_logistic_regression_refuses_what_it_cannot_fit():
    with pytest.raises(RoqInputError, match="y: every case has the same outcome"):
        logistic_regression(np.ones(10), np.arange(10.0))
    with pytest.raises(RoqInputError, match="separated"):
        logistic_regression((np.arange(20) > 9).astype(float), np.arange(20.0))
    with pytest.raises(RoqInputError, match="collinear"):
        logistic_regression(np.r_[np.zeros(5), np.ones(5)], np.column_stack([np.arange(10.0), 2 * np.arange(10.0)]))


# --------------------------------------------------------------------------- value


def test_clv_of_constant_retention_is_the_closed_form():
    for m, r, i in [(1000.0, 0.8, 0.1), (250000.0, 0.3461, 0.2), (1.0, 0.95, 0.0)]:
        assert clv(m, r, i) == pytest.approx(m * r / (1 + i - r), rel=1e-14)
        # the closed form is the limit of the yearly sum (margin at the end of each year retained)
        assert clv_from_survival(m, r ** np.arange(1, 2001), i) == pytest.approx(m * r / (1 + i - r), rel=1e-9)
        assert clv(m, r, i, horizon=3) == pytest.approx(sum(m * r**t / (1 + i) ** t for t in (1, 2, 3)), rel=1e-13)
    with pytest.raises(RoqInputError, match=r"retention: must be a fraction from 0 to 1, got 85 \(did you mean 0.85"):
        clv(100, 85, 0.1)
    with pytest.raises(RoqInputError, match="discount_rate: must be a fraction per year"):
        clv(100, 0.85, 10)


def test_customer_values_and_uplift(portfolio):
    values = customer_values(portfolio, discount_rate=0.1, margin_rate=0.2, retention=0.8)
    frame = values.customers
    assert frame["clv"].to_numpy() == pytest.approx(0.2 * frame["premium"].to_numpy() * 0.8 / 0.3, rel=1e-12)
    assert values.relationship_capital == pytest.approx(frame["premium"].sum() * 0.2 * 0.8 / 0.3)
    change = values.uplift(0.05)
    assert change["relationship_capital_after"] == pytest.approx(frame["premium"].sum() * 0.2 * 0.85 / 0.25)
    assert change["change"] > 0
    drivers = customer_values(portfolio, discount_rate=0.1, retention="drivers")
    assert 0.75 < drivers.customers["retention"].mean() < 0.95
    survival = customer_values(portfolio, discount_rate=0.1, retention="survival")
    assert survival.relationship_capital > 0 and survival.uplift(0.02)["change"] > 0
    with pytest.raises(RoqInputError, match="uplift: .*did you mean 0.05"):
        values.uplift(5)


# --------------------------------------------------------------------------- HVC and Pareto


def test_hvc_staging_applies_table_4_criteria():
    header = ["policy_id", "customer_id", "line", "period", "premium", "renewed", "unit", "risk"]
    rows = [header]
    k = 0
    for customer, line, premium, years, risk in [("A", "credit", 500, 4, "low"), ("B", "surety_bond", 300, 4, "high"),
                                                 ("C", "motor", 150, 4, "low"), ("D", "credit", 40, 4, "low"), ("E", "credit", 10, 2, "low")]:
        for year in range(2025 - years, 2025):
            k += 1
            rows.append([str(k), customer, line, year, premium, 1 if year < 2024 else None, "Jakarta", risk])
    result = hvc_staging(validate_policies(rows))
    frame = result.customers.set_index("customer_id")
    # 2024 premium 500 + 300 + 150 + 40 + 10 = 1000: A, B, C hold 95%; C crosses 80% (share before it 80%? no: 0.80 -> out)
    assert frame.loc["A", "unit_share_before"] == 0 and frame.loc["C", "unit_share_before"] == pytest.approx(0.8)
    assert frame["contribution"].to_dict() == {"A": True, "B": True, "C": False, "D": False, "E": False}
    assert frame["hvc"].to_dict() == {"A": True, "B": False, "C": False, "D": False, "E": False}
    assert frame.loc["B", "first_missed"] == "Risk low to moderate on every line"
    assert frame.loc["C", "first_missed"] == "Has used Financial Lines"
    assert frame.loc["E", "first_missed"] == "Customer for >= 3 years"
    funnel = result.funnel()
    assert funnel["customers"].tolist() == [5, 4, 3, 3, 2, 1]
    loose = hvc_staging(validate_policies(rows), contribution_share=0.9, max_risk="high", require_financial_lines=False)
    assert loose.customers.set_index("customer_id")["hvc"].to_dict() == {"A": True, "B": True, "C": True, "D": False, "E": False}
    with pytest.raises(RoqInputError, match=r"contribution_share: .*did you mean 0.8"):
        hvc_staging(validate_policies(rows), contribution_share=80)
    assert pareto_curve([50, 30, 20])["premium_share"].tolist() == pytest.approx([0, 0.5, 0.8, 1.0])


# --------------------------------------------------------------------------- ROQ link and the whole analysis


def test_measured_retention_feeds_the_roq_model(portfolio):
    analysis = analyse_records(portfolio, by="segment", uplift=0.05)
    measured = analysis.outcomes.customer_retention
    assert analysis.roq_inputs["baseline_retention"] == measured
    assert analysis.roq_inputs["retention"] == pytest.approx(measured + 0.05)
    result = roq.evaluate(analysis.roq_inputs, ["roq", "npv_gain"])
    assert np.isfinite(result["roq"]) and result["npv_gain"] > 0
    same = roq.evaluate(roq_parameters(measured, 0.0), ["npv_gain"])
    assert same["npv_gain"] == pytest.approx(0.0, abs=1e-3)
    tables = analysis.tables()
    assert {"outcomes", "survival", "drivers", "drivers_fit", "customer_value", "hvc_funnel", "roq_inputs"} <= set(tables)
    assert "Variables in the Equation" in analysis.summary()


def test_generator_is_reproducible_and_documented_effects_hold():
    a, b = generate_portfolio(300, seed=7), generate_portfolio(300, seed=7)
    pd.testing.assert_frame_equal(a.policies, b.policies)
    assert not generate_portfolio(300, seed=8).policies.equals(a.policies)
    assert a.odds_ratios["effort"] == pytest.approx(np.exp(-0.35))
    with pytest.raises(RoqInputError, match="customers: must be a whole number"):
        generate_portfolio(0)
