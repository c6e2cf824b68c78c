"""The built case-study workbooks, recalculated headlessly, against the published figures.

Each committed workbook (both runtime variants) is recalculated with ``roq recalc``'s engine
(formulas + the add-in's own functions), then every computed cell that has a published
counterpart is compared with it: within the paper's rounding, or, where the paper misprints
(``simulator.roq.casestudy.MISPRINTS``, ``methods.md``), equal to the correct recomputation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from addin.recalc import recalculate
from simulator import survey
from simulator.casestudies import load_claims_servqual_attributes
from simulator.roq import evaluate
from simulator.roq.casestudy import PUBLISHED, calibration, case_study_parameters
from simulator.survey.casestudy import claims_servqual_means
from workbooks.build import output_name

WORKBOOKS = Path(__file__).resolve().parent.parent / "workbooks"
RUNTIMES = ("classic", "lite")


def _recalculated(tmp_path_factory, stem: str, runtime: str):
    source = WORKBOOKS / output_name(stem, runtime)  # the classic variant is an .xlsm
    assert source.exists(), f"{source} is missing: run python -m workbooks.build"
    output = tmp_path_factory.mktemp(f"{stem}-{runtime}") / f"{stem}.recalc{source.suffix}"
    result = recalculate(source, output)
    assert result.ok, result.summary()
    return openpyxl.load_workbook(output, data_only=True)


@pytest.fixture(scope="module", params=RUNTIMES)
def roq_book(request, tmp_path_factory):
    return _recalculated(tmp_path_factory, "roq-case-study", request.param)


@pytest.fixture(scope="module", params=RUNTIMES)
def claims_book(request, tmp_path_factory):
    return _recalculated(tmp_path_factory, "claims-servqual", request.param)


def row_of(ws, label, column=1):
    """The values of the first row whose cell in ``column`` (1-based) equals ``label``."""
    for row in ws.iter_rows(values_only=True):
        if len(row) >= column and row[column - 1] == label:
            return row
    raise AssertionError(f"no row labelled {label!r} in column {column} of sheet {ws.title!r}")


def within(computed, published, tolerance):
    return abs(float(computed) - float(published)) <= tolerance + 1e-12


# --------------------------------------------------------------------------- seed 001: ROQ

CAL = calibration()


@pytest.mark.parametrize(
    "label, name, tolerance",
    [
        ("Retention (convention of the Inputs sheet)", "retention", 0.00005),  # 34.61%, rounded
        ("Market churn", "churn", 0.0005),  # 8/84 printed as 0.095
        ("Market growth (year 0 to year 1)", "market_growth", 0.0001),  # 14.3958% printed 14.39%
        ("Competitors' retention", "competitor_retention", 0.0001),  # 0.90317 truncated to 0.9031 (MISPRINTS)
    ],
)
def test_calibration_matches_the_paper_within_its_rounding(roq_book, label, name, tolerance):
    row = row_of(roq_book["Calibration"], label)
    computed, published = row[2], row[4]
    assert published == pytest.approx(PUBLISHED[name])
    assert within(computed, published, tolerance)
    assert computed == pytest.approx(CAL[name][0], rel=1e-12)  # the engine's own number, not a copy


def test_attraction_shows_the_recomputed_value_beside_the_misprint(roq_book):
    row = row_of(roq_book["Calibration"], "Attraction of new customers")
    assert row[4] == pytest.approx(0.0306)  # what the paper prints and uses
    assert row[2] == pytest.approx(CAL["attraction"][0], rel=1e-12)
    assert row[2] == pytest.approx(0.327, abs=0.0005)  # what its inputs give (methods.md section 5)
    assert "Misprint" in row[6]


def test_growth_factor_and_one_step_forecast(roq_book):
    row = row_of(roq_book["Calibration"], "Growth factor")
    assert within(row[2], 1.14, 0.005)
    share = roq_book["Share path"]
    header = row_of(share, "Year", 1)
    rows = list(share.iter_rows(values_only=True))
    index = rows.index(header)
    forecast = rows[index + 1]
    assert forecast[3] == pytest.approx(PUBLISHED["next_market_share"])
    assert within(forecast[1], 0.0293, 0.00005)
    assert forecast[1] == pytest.approx(CAL["next_market_share"][0], rel=1e-12)


def test_retention_mix(roq_book):
    row = row_of(roq_book["Retention"], "Dissatisfied")
    assert within(row[1], PUBLISHED["dissatisfied_share"], 0.00005)
    assert within(row_of(roq_book["Retention"], "S = satisfied only (the paper)")[1], 0.3461, 0.00005)
    assert row_of(roq_book["Retention"], "S = satisfied + delighted (Rust et al.)")[1] == pytest.approx(0.3801, abs=0.00005)


def test_npv_npv0_npvas_and_roq(roq_book):
    money = roq_book["NPV and ROQ"]
    exact = evaluate(case_study_parameters(), ("npv_with_programme", "npv_without_programme", "npv_programme_cost", "roq"))
    npv = row_of(money, "NPV of profits with the programme")
    npv0 = row_of(money, "NPV0 of profits without the programme")
    npvas = row_of(money, "NPVAS: NPV of the programme's spending")
    roq = row_of(money, "ROQ = (NPV - NPV0) / NPVAS")
    # NPVAS and ROQ as published; NPV and NPV0 are the documented rounding misprints
    assert within(npvas[1], 2_648_437_886, 0.5)
    assert npvas[3] == PUBLISHED["npv_programme_cost"]
    assert within(roq[1], 3.72, 0.005)
    assert npv[1] == pytest.approx(exact["npv_with_programme"], rel=1e-12)
    assert npv[1] == pytest.approx(17_202_868_148, abs=1)
    assert abs(npv[1] - npv[3]) / npv[3] < 3e-5 and npv[3] == PUBLISHED["npv_with_programme"]
    assert npv0[1] == pytest.approx(exact["npv_without_programme"], rel=1e-12)
    assert abs(npv0[1] - npv0[3]) < 2_000 and npv0[3] == PUBLISHED["npv_without_programme"]
    assert roq[1] == pytest.approx(exact["roq"], rel=1e-12)
    assert row_of(money, "Verdict")[1] == "feasible (ROQ > 1)"
    # the Excel cross-check on the Share path sheet agrees with the add-in
    assert row_of(money, "Cross-check: NPV summed on the Share path sheet")[1] == pytest.approx(npv[1], rel=1e-12)
    # Table 10's item costs (783 million) would give ROQ 3.43 (MISPRINTS["initial_cost"])
    assert within(row_of(money, "ROQ with the items' initial costs")[1], 3.43, 0.005)


def test_model_in_one_call_and_breakeven(roq_book):
    money = roq_book["NPV and ROQ"]
    assert row_of(money, "roq")[1] == pytest.approx(row_of(money, "ROQ = (NPV - NPV0) / NPVAS")[1], rel=1e-12)
    assert row_of(money, "cost_multiplier")[1] == pytest.approx(row_of(money, "roq")[1], rel=1e-9)
    assert row_of(money, "Break-even discount rate (ROQ = 1)")[1] > 0.40  # ROQ > 1 beyond 40% (the paper's chart)


def test_roq_against_discount_rate(roq_book):
    ws = roq_book["Sensitivity"]
    rows = [row for row in ws.iter_rows(min_row=6, values_only=True) if isinstance(row[2], (int, float))]
    rates = [row[2] for row in rows]
    curve = [row[3] for row in rows]
    assert rates[0] == 0 and rates[-1] == pytest.approx(0.60) and len(rates) == 13
    assert within(curve[rates.index(0.2)], 3.72, 0.005)
    assert all(value > 1 for rate, value in zip(rates, curve) if rate <= 0.40)
    assert all(np.diff(curve) < 0)  # ROQ falls as the discount rate rises
    assert len(ws._charts) == 1  # the native line chart


# --------------------------------------------------------------------------- seed 002: claims SERVQUAL


def test_gap5_worst_item_and_dimension(claims_book):
    gap5 = claims_book["Gap 5"]
    item8 = row_of(gap5, "8")
    assert item8[8] == -1.08
    assert within(item8[4], -1.08, 0.005)  # from the exact means (totals / 60), as the paper computed
    assert item8[5] == 1  # first priority
    reliability = row_of(gap5, "reliability")
    assert within(reliability[4], -0.74, 0.005) and reliability[8] == -0.74
    for label, published in (("Mean perception", 3.98), ("Mean expectation", 4.39), ("Gap 5 overall", -0.41)):
        row = row_of(gap5, label, 2)
        assert row[4] == published and within(row[3], published, 0.005)
    assert row_of(gap5, "Its item", 2)[3] == "8"
    assert row_of(gap5, "Worst dimension", 2)[3] == "reliability"


def test_gap1(claims_book):
    ws = claims_book["Gap 1"]
    assert within(row_of(ws, "Gap 1 overall", 2)[3], 0.42, 0.005)
    assert within(row_of(ws, "Mean of management's perception", 2)[3], 4.81, 0.005)


def test_csi_and_band(claims_book):
    ws = claims_book["CSI"]
    row = row_of(ws, "CSI", 7)
    assert row[8] == 79.55
    assert within(row[7], 79.55, 0.005)  # exact means (totals / 60); the rounded table would give 79.56
    case = claims_servqual_means()
    exact = survey.customer_satisfaction_index(case["expectation"], case["perception"]).csi
    assert row[7] == pytest.approx(exact, rel=1e-12)
    assert row_of(ws, "CSI = sum(WS) / HS (Excel cross-check)", 7)[7] == pytest.approx(exact, rel=1e-12)
    assert row_of(ws, "Band", 7)[7] == "satisfied"
    assert row_of(ws, "Sum")[3] == pytest.approx(100)


def test_questionnaire_checks(claims_book):
    ws = claims_book["Data"]
    assert within(row_of(ws, "Slovin sample size, exact", 2)[3], 59.57, 0.005)
    assert row_of(ws, "Slovin sample size, respondents", 2)[3] == 60
    assert within(row_of(ws, "Critical r for item validity", 2)[3], 0.361, 0.0005)


def test_ipa_and_internal_gaps(claims_book):
    ipa = claims_book["IPA"]
    assert row_of(ipa, "8")[4] == "I"  # the worst gap is in "concentrate here"
    counts = [row_of(ipa, label, 8)[8] for label in ("I: concentrate here", "II: keep up the good work", "III: low priority", "IV: possible overkill")]
    assert sum(counts) == 21
    assert len(ipa._charts) == 1  # the native scatter chart
    assert row_of(claims_book["Gaps 2-4"], "reliability")[1:4] == (5, 4, 4)


def test_five_whys_follows_the_worst_gap(claims_book):
    problem = row_of(claims_book["Five Whys"], "Problem")[2]
    assert problem.startswith("Item 8: Timely claim settlement is guaranteed (gap -1.08")
    assert "reliability" in problem


def test_runtime_variants_compute_the_same_numbers(tmp_path_factory):
    books = {runtime: _recalculated(tmp_path_factory, "claims-servqual", runtime) for runtime in RUNTIMES}
    for name in books["classic"].sheetnames:
        if name == "About":  # says which runtime the file is for
            continue
        classic = list(books["classic"][name].iter_rows(values_only=True))
        lite = list(books["lite"][name].iter_rows(values_only=True))
        assert classic == lite, name
