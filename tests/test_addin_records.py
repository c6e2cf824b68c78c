"""The REC_ Excel functions, called exactly as Excel calls them (xlwings' server dispatcher)."""

from __future__ import annotations

import numpy as np
import pytest
from excel_dispatch import BLANK, block, call, row, scalar

from simulator import records
from simulator.errors import RoqInputError

# small: xlwings spends about 1 ms per cell reading a range (utils.is_jsnull tries an import per cell)
GENERATED = records.generate_portfolio(60, seed=11)
COLUMNS = ["policy_id", "customer_id", "segment", "unit", "line", "start_date", "end_date", "premium", "renewed", "risk",
           "experience", "trust", "effort", "complaint_resolution"]


def _serial(text: str) -> int:
    """A date as the Excel serial number Office.js sends for a date cell."""
    return int((np.datetime64(text) - np.datetime64("1899-12-30")).astype(int))


def _range(frame) -> list[list]:
    rows = [COLUMNS]
    for record in frame[COLUMNS].itertuples(index=False):
        values = list(record)
        values[5], values[6] = _serial(values[5]), _serial(values[6])
        values[8] = None if values[8] is None or values[8] is np.nan or str(values[8]) == "<NA>" else int(values[8])
        rows.append(values)
    return block(rows)


POLICIES = _range(GENERATED.policies)
PORTFOLIO = records.validate_policies(GENERATED.policies)


def message_of(func_name, *args) -> str:
    with pytest.raises(RoqInputError) as caught:
        call(func_name, *args)
    text = str(caught.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_outcomes_and_retention_equal_the_engine():
    spilled = call("ROQ_REC_OUTCOMES", POLICIES)
    engine = records.retention_outcomes(PORTFOLIO).table
    assert spilled[0][:3] == ["period", "customers", "new_customers"]
    retention = [r[spilled[0].index("customer_retention")] for r in spilled[1:]]
    assert retention[:-1] == pytest.approx(engine["customer_retention"].to_numpy()[:-1], rel=1e-12)
    assert retention[-1] == ""  # undefined in the last period: a blank cell
    measured = scalar("ROQ_REC_RATE", POLICIES)
    assert measured == pytest.approx(records.retention_outcomes(PORTFOLIO).customer_retention, rel=1e-12)
    by_segment = call("ROQ_REC_RETENTION", POLICIES, "segment")
    assert [r[0] for r in by_segment[1:]] == ["corporate", "retail", "sme", "All"]


def test_survival_drivers_and_fit():
    survival = call("ROQ_REC_SURVIVAL", POLICIES)
    assert survival[0] == ["Group", "Year", "Survival", "Lower 95%", "Upper 95%"] and survival[1][1:3] == [0, 1.0]
    drivers = call("ROQ_REC_DRIVERS", POLICIES)
    assert drivers[0][:7] == ["Variable", "B", "S.E.", "Wald", "df", "Sig.", "Exp(B)"]
    engine = records.renewal_drivers(PORTFOLIO).coefficients()
    assert [r[0] for r in drivers[1:]] == list(engine.index)
    assert [r[1] for r in drivers[1:]] == pytest.approx(engine["B"].to_numpy(), rel=1e-12)
    fit = {r[0]: r[1] for r in call("ROQ_REC_DRIVERS_FIT", POLICIES)[1:]}
    assert 0.5 < fit["AUC"] < 1 and fit["Hosmer-Lemeshow df"] == 8
    two = call("ROQ_REC_DRIVERS", POLICIES, row(["trust", "effort"]))
    assert [r[0] for r in two[1:]] == ["trust", "effort", "Constant"]
    assert len(call("ROQ_REC_MARGINAL_EFFECTS", POLICIES)) == 5


def test_clv_value_hvc_and_roq_inputs():
    assert scalar("ROQ_CLV", 1000, 0.8, 0.1) == pytest.approx(1000 * 0.8 / 0.3)
    assert scalar("ROQ_CLV", 1000, 0.8, 0.1, 1) == pytest.approx(1000 * 0.8 / 1.1)
    value = {r[0]: r[1] for r in call("ROQ_REC_CUSTOMER_VALUE", POLICIES, 0.1, 0.2, 0.85, 0.05)[1:]}  # Statistic | Value | Unit
    engine = records.customer_values(PORTFOLIO, discount_rate=0.1, margin_rate=0.2, retention=0.85)
    assert value["Relationship capital"] == pytest.approx(engine.relationship_capital, rel=1e-12)
    assert value["Change"] == pytest.approx(engine.uplift(0.05)["change"], rel=1e-12)
    funnel = call("ROQ_REC_HVC", POLICIES)
    assert funnel[0][:3] == ["step", "customers", "premium"] and funnel[1][0] == "Customers in force"
    inputs = {r[0]: r[1] for r in call("ROQ_REC_MODEL_INPUTS", POLICIES, 0.01)[1:]}
    assert inputs["retention"] == pytest.approx(inputs["baseline_retention"] + 0.01)
    roq = call("ROQ_MODEL", block([["Input", "Value"]] + [[k, v] for k, v in inputs.items()]))
    assert len(roq) > 2 and all(cell != "" for cell in roq[1][1:])
    assert "exceeds 1 - churn" in message_of("ROQ_REC_MODEL_INPUTS", POLICIES, 0.2)


def test_bad_cells_name_row_and_column():
    bad = [list(r) for r in POLICIES]
    bad[17][COLUMNS.index("line")] = "motr"
    assert message_of("ROQ_REC_OUTCOMES", bad).startswith("policies: row 18, column line: unknown line 'motr' (did you mean 'motor'?)")
    bad = [list(r) for r in POLICIES]
    bad[5][COLUMNS.index("premium")] = -3
    assert message_of("ROQ_REC_RATE", bad) == "policies: row 6, column premium: must be >= 0 (an amount of money), got -3"
    bad = [list(r) for r in POLICIES]
    bad[4][COLUMNS.index("start_date")] = "#N/A"
    assert message_of("ROQ_REC_RATE", bad) == "policies: row 5, column 6: contains the error #N/A"
    bad = [list(r) for r in POLICIES]
    bad[9][0] = bad[3][0]
    assert "policies: row 10, column policy_id: duplicate id" in message_of("ROQ_REC_RATE", bad)
    assert message_of("ROQ_CLV", 1000, 85, 0.1).startswith("retention: must be a fraction from 0 to 1, got 85 (did you mean 0.85")
    assert "by: must be one of" in message_of("ROQ_REC_OUTCOMES", POLICIES, "colour")
    assert message_of("ROQ_REC_HVC", POLICIES, 3, 1, 80).startswith("contribution_share: must be a fraction")
    assert message_of("ROQ_REC_RATE", BLANK) == "policies: is required but blank"
