"""The customer-records workbook: recalculated headlessly through the add-in's own functions,
its cells equal the engine's results on the same generated portfolio."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from addin.recalc import recalculate
from simulator import records
from workbooks import customer_records
from workbooks.build import output_name

WORKBOOKS = Path(__file__).resolve().parent.parent / "workbooks"


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    source = WORKBOOKS / output_name(customer_records.FILE_STEM, "lite")
    assert source.exists(), f"{source} is missing: run python -m workbooks.build"
    output = tmp_path_factory.mktemp("customer-records") / "customer-records.recalc.xlsx"
    result = recalculate(source, output)
    assert result.ok, result.summary()
    return openpyxl.load_workbook(output, data_only=True)


@pytest.fixture(scope="module")
def portfolio():
    generated = records.generate_portfolio(customer_records.CUSTOMERS, seed=customer_records.SEED)
    return records.validate_policies(generated.policies)


def _rows_after(ws, header_first_cell):
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == header_first_cell)
    out = []
    for r in rows[start + 1:]:
        if r[0] is None:
            break
        out.append(r)
    return rows[start], out


def test_policies_sheet_holds_the_generated_table(book, portfolio):
    ws = book["Policies"]
    assert [c.value for c in ws[2]][: len(customer_records.COLUMNS)] == customer_records.COLUMNS
    assert ws.max_row - 2 == portfolio.n_policies


def test_outcomes_drivers_value_and_hvc_equal_the_engine(book, portfolio):
    header, rows = _rows_after(book["Outcomes"], "period")
    engine = records.retention_outcomes(portfolio).table
    column = header.index("customer_retention")
    assert [r[column] for r in rows[:-1]] == pytest.approx(engine["customer_retention"].to_numpy()[:-1], rel=1e-12)
    header, rows = _rows_after(book["Drivers"], "Variable")
    coefficients = records.renewal_drivers(portfolio).coefficients()
    assert [r[0] for r in rows] == list(coefficients.index)
    assert [r[1] for r in rows] == pytest.approx(coefficients["B"].to_numpy(), rel=1e-10)
    value = book["Value"]
    check = next(r for r in value.iter_rows(values_only=True) if r[0] == "CLV = m r / (1 + i - r)")
    assert check[1] == pytest.approx(check[2], rel=1e-12) and check[1] == pytest.approx(1_000_000 * 0.85 / 0.25)
    _, stats = _rows_after(value, "Statistic")
    capital = dict((r[0], r[1]) for r in stats)["Relationship capital"]
    assert capital == pytest.approx(records.customer_values(portfolio, discount_rate=0.10, margin_rate=0.20).relationship_capital, rel=1e-10)
    _, funnel = _rows_after(book["HVC"], "step")
    assert [r[1] for r in funnel] == records.hvc_staging(portfolio).funnel()["customers"].tolist()
    _, roq_rows = _rows_after(book["ROQ link"], "Output")
    assert any(r[0] == "roq" and isinstance(r[1], float) for r in roq_rows)
