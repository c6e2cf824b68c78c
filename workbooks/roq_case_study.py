"""Workbook: Singgih's Return-on-Quality case study of an insurer (Rust, Zahorik & Keiningham 1995).

Every published input is an input cell; calibration, NPV, NPV0, NPVAS, ROQ, break-evens
and the ROQ-against-discount-rate curve are add-in functions; plain bookkeeping (sums,
1 + g, differences, discount factors) is Excel. A "Published" column sits beside every
computed figure, with the reason wherever the paper's figure does not follow from its
inputs (:data:`simulator.roq.casestudy.MISPRINTS`, ``methods.md`` section 5).
"""

from __future__ import annotations

from simulator.casestudies import load_roq_case_market, load_roq_case_programs
from simulator.roq import casestudy

from ._common import SheetWriter, Styles, about_sheet, area, cell

__all__ = ["FILE_STEM", "build"]

FILE_STEM = "roq-case-study"
TITLE = "Return on Quality - Singgih's case study of an Indonesian life insurer (IDR)"
SOURCE = (
    "Singgih, M. L., Customers loyalty analysis and business process improvement using the Return on Quality "
    "method in an insurance company (ITS Surabaya); method: Rust, Zahorik & Keiningham (1995), Journal of Marketing 59, 58-70."
)
RATES = [round(0.05 * step, 2) for step in range(13)]  # 0%, 5%, ..., 60%

P = casestudy.PUBLISHED
M = casestudy.MISPRINTS


def build(workbook, styles: Styles, runtime) -> dict:
    """Add the case-study sheets to ``workbook``; returns {name: "Sheet!A1"} of key cells."""
    sheets = {}
    about = SheetWriter(workbook, styles, runtime, "About", tab_color="#1F4E79")
    inputs = SheetWriter(workbook, styles, runtime, "Inputs", tab_color="#FFC000")
    key = {}
    refs = _inputs(inputs)
    calibration = SheetWriter(workbook, styles, runtime, "Calibration")
    key.update(_calibration(calibration, refs))
    retention = SheetWriter(workbook, styles, runtime, "Retention")
    key.update(_retention(retention, refs))
    share = SheetWriter(workbook, styles, runtime, "Share path")
    key.update(_share_path(share, refs, workbook))
    money = SheetWriter(workbook, styles, runtime, "NPV and ROQ")
    key.update(_money(money, {**refs, **key}))
    sensitivity = SheetWriter(workbook, styles, runtime, "Sensitivity")
    key.update(_sensitivity(sensitivity, {**refs, **key}, workbook))
    notes = SheetWriter(workbook, styles, runtime, "Notes")
    _notes(notes)
    _about(about, runtime, [inputs, calibration, retention, share, money, sensitivity, notes])
    sheets.update(key)
    return sheets


# --------------------------------------------------------------------------- About


def _about(sheet: SheetWriter, runtime, others) -> None:
    about_sheet(
        sheet,
        TITLE,
        SOURCE,
        [
            "Calibration of the ROQ model from the survey and market data (retention, churn, attraction, competitors' retention, growth).",
            "The market-share path, the NPV of profits with (NPV) and without (NPV0) the quality programme, the NPV of the programme's spending (NPVAS) and ROQ = (NPV - NPV0) / NPVAS.",
            "ROQ against the discount rate from 0% to 60% (chart), break-even discount rate and programme cost.",
            "Beside each result, the figure the paper prints; where they differ, the Notes sheet says why (the formulas are never bent to hit a misprint).",
            "Why `roq simulate` shows another ROQ for this case: " + casestudy.headline_note(),
        ],
        others,
    )


# --------------------------------------------------------------------------- Inputs


def _inputs(sheet: SheetWriter) -> dict:
    """All published inputs; returns their cell references (qualified with the sheet)."""
    row = sheet.title("Inputs (as published)", "Every number the paper reports as an input; change any yellow cell and the other sheets follow.")
    sheet.widths(46, 10, 18, 26, 48)
    refs = {}

    def put(name, label, symbol, value, kind, unit, note=""):
        nonlocal row
        sheet.label(row, 0, label)
        sheet.label(row, 1, symbol)
        sheet.input(row, 2, value, kind)
        sheet.label(row, 3, unit)
        sheet.note(row, 4, note, italic=True)
        refs[name] = sheet.ref(row, 2, qualified=True)
        row += 1

    header_row = row
    row = sheet.headers(row, 0, ["Input", "Symbol", "Value", "Unit", "Source / note"])
    row = sheet.section(row, "Satisfaction mix and repurchase intention (survey of 84 policy holders)", width=5)
    put("satisfied_share", "Satisfied (not delighted) customers", "S", P["satisfied_share"], "pct", "share of respondents")
    put("delighted_share", "Delighted (very satisfied) customers", "D", P["delighted_share"], "pct", "share of respondents")
    put("r1", "Repurchase rate of dissatisfied customers", "r1", P["repurchase_dissatisfied"], "pct", "fraction (yes=100%, unsure=50%)")
    put("r2", "Repurchase rate of satisfied customers", "r2", P["repurchase_satisfied"], "pct", "fraction")
    put("r3", "Repurchase rate of delighted customers", "r3", P["repurchase_delighted"], "pct", "fraction")
    put(
        "convention",
        "Meaning of S in the retention formula",
        "",
        "satisfied_only",
        "text",
        "satisfied_only / satisfied_or_delighted",
        "The paper uses the satisfied-only share (34.61%); Rust et al. define S as satisfied + delighted (38.01%).",
    )
    row = sheet.section(row, "Market churn (recommendation crosstab)", width=5)
    put("leaving", "Respondents who would never recommend (leave the market)", "", 8, "int", "respondents", "The crosstab is garbled in the paper; only 8 of 84 is usable.")
    put("observed", "Respondents in the crosstab", "", 84, "int", "respondents")
    put("churn_used", "Market churn as printed and used downstream", "c", P["churn"], "ratio4", "fraction per year", "8 / 84 = 0.0952, printed as 0.095.")
    row = sheet.section(row, "Attraction of new customers", width=5)
    put("new_customers", "New customers won in the year", "", P["new_customers"], "int", "customers")
    put("attraction_size", "Market size that year", "N_t", P["attraction_market_size"], "int", "customers")
    put("attraction_previous", "Market size a year earlier", "N_t-1", P["attraction_previous_market_size"], "int", "customers")
    put("attraction_used", "Attraction as printed and used downstream", "A", P["attraction"], "pct", "fraction", "See the Calibration sheet: these inputs give 32.7%.")
    row = sheet.section(row, "Competitors' retention (customers switching in)", width=5)
    put("switching", "Customers who came from competitors", "", P["customers_switching_in"], "int", "customers")
    put("switching_share", "Firm's market share the year before", "M_t-1", P["switching_previous_share"], "pct", "fraction")
    put("switching_size", "Market size the year before", "N_t-1", P["switching_previous_market_size"], "int", "customers")
    row = sheet.section(row, "One-step share forecast (the paper's printed, rounded inputs)", width=5)
    put("forecast_share", "Market share now", "M_t", P["recursion_current_share"], "pct", "fraction")
    put("forecast_retention", "Retention", "R", P["retention"], "pct", "fraction per year")
    put("forecast_competitor", "Competitors' retention", "R'", P["competitor_retention"], "ratio4", "fraction per year")
    put("forecast_churn", "Market churn", "c", P["churn"], "ratio4", "fraction per year")
    put("forecast_attraction", "Attraction", "A", P["attraction"], "pct", "fraction")
    put("forecast_growth", "Growth factor", "G", P["growth_factor"], "ratio", "N_t+1 / N_t")

    row += 1
    row = sheet.section(row, "Market and share path, years 0..5 (Table 9: the paper reuses its growth estimates as the share path)", width=5)
    row = sheet.headers(row, 0, ["Year", "", "Market size N_t", "Unit", "Market share with the programme M_t (as published)"])
    market = load_roq_case_market()
    first_year_row = row
    for _, record in market.iterrows():
        sheet.label(row, 0, f"{int(record['year'])}")
        sheet.label(row, 1, "")
        sheet.input(row, 2, float(record["market_size"]), "int")
        sheet.label(row, 3, "customers")
        share = record["market_share_path_as_published"]
        if share == share:  # not NaN (year 0 has no share)
            sheet.input(row, 4, float(share), "pct")
        else:
            sheet.label(row, 4, "")
        row += 1
    last_year_row = row - 1
    refs["size0"] = sheet.ref(first_year_row, 2, qualified=True)
    refs["sizes"] = sheet.range(first_year_row + 1, 2, last_year_row, 2, qualified=True)
    refs["sizes_all"] = sheet.range(first_year_row, 2, last_year_row, 2, qualified=True)
    refs["shares"] = sheet.range(first_year_row + 1, 4, last_year_row, 4, qualified=True)
    refs["year_rows"] = (first_year_row, last_year_row)
    refs["size1"] = sheet.ref(first_year_row + 1, 2, qualified=True)
    put("baseline_share", "Market share without the programme (constant)", "M0", P["baseline_market_share"], "pct", "fraction", "Used for NPV0.")

    row += 1
    row = sheet.section(row, "Money", width=5)
    put("margin", "Profit margin per customer per year", "Y", P["margin"], "money", "IDR per customer per year")
    put("rate", "Discount rate", "i", P["discount_rate"], "pct", "per year")
    put("horizon", "Horizon", "T", 5, "int", "years")
    put("initial_cost", "Programme cost now (the paper's total)", "", P["initial_cost"], "money", "IDR", "Table 10's items add up to 783,000,000; see Notes.")
    put("annual_cost", "Programme cost per year (the paper's total)", "", P["annual_cost"], "money", "IDR per year")

    row += 1
    row = sheet.section(row, "Quality programmes (Table 10)", width=5)
    row = sheet.headers(row, 0, ["Programme", "", "Initial cost", "Unit", "Annual cost (IDR per year)"])
    programs = load_roq_case_programs()
    first = row
    for _, record in programs.iterrows():
        sheet.label(row, 0, str(record["program"]))
        sheet.label(row, 1, "")
        sheet.input(row, 2, float(record["initial_cost_idr"]), "money")
        sheet.label(row, 3, "IDR")
        sheet.input(row, 4, float(record["annual_cost_idr"]), "money")
        row += 1
    sheet.label(row, 0, "Sum of the items", bold=True)
    sheet.label(row, 1, "")
    sheet.excel(row, 2, f"SUM({area(first, 2, row - 1, 2)})", "money", bold=True)
    refs["items_initial"] = sheet.ref(row, 2, qualified=True)
    sheet.label(row, 3, "IDR")
    sheet.excel(row, 4, f"SUM({area(first, 4, row - 1, 4)})", "money", bold=True)
    refs["items_annual"] = sheet.ref(row, 4, qualified=True)
    row += 1
    sheet.label(row, 0, "Totals the paper uses")
    sheet.label(row, 1, "")
    sheet.published(row, 2, P["initial_cost"], "money")
    sheet.label(row, 3, "IDR")
    sheet.published(row, 4, P["annual_cost"], "money")
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return refs


# --------------------------------------------------------------------------- Calibration


def _comparison_table(sheet: SheetWriter, row: int) -> int:
    return sheet.headers(row, 0, ["Quantity", "Symbol", "Computed", "Unit", "Published", "Computed - published", "Note"])


def _compare_row(sheet, row, label, symbol, computed_cell, kind, unit, published, note="", *, diff_kind=None):
    sheet.label(row, 0, label)
    sheet.label(row, 1, symbol)
    sheet.label(row, 3, unit)
    if published is None:
        sheet.published(row, 4, "not printed", "text")
        sheet.label(row, 5, "")
    else:
        sheet.published(row, 4, published, kind)
        sheet.excel(row, 5, f"{computed_cell}-{sheet.ref(row, 4)}", diff_kind or kind)
    sheet.note(row, 6, note, italic=True)


def _calibration(sheet: SheetWriter, r: dict) -> dict:
    row = sheet.title("Calibration of the ROQ model", "Recomputed from the Inputs sheet with the add-in's ROQ_ functions, beside the paper's figures.")
    sheet.widths(40, 8, 16, 20, 16, 14, 50)
    header_row = row
    row = _comparison_table(sheet, row)
    key = {}

    computed = sheet.addin(
        row, 2, "ROQ_RETENTION", r["satisfied_share"], r["delighted_share"], r["r1"], r["r2"], r["r3"], r["convention"], kind="pct"
    )
    _compare_row(sheet, row, "Retention (convention of the Inputs sheet)", "R", computed, "pct", "fraction per year", P["retention"])
    key["retention"] = sheet.ref(row, 2, qualified=True)
    row += 1
    computed = sheet.addin(row, 2, "ROQ_CHURN", r["leaving"], r["observed"], kind="ratio4")
    _compare_row(sheet, row, "Market churn", "c", computed, "ratio4", "fraction per year", P["churn"], "8 / 84; the paper rounds to 0.095 and uses 0.095.")
    key["churn"] = sheet.ref(row, 2, qualified=True)
    row += 1
    computed = sheet.addin(row, 2, "ROQ_ATTRACTION", r["new_customers"], r["attraction_size"], r["attraction_previous"], r["churn_used"], kind="pct")
    _compare_row(sheet, row, "Attraction of new customers", "A", computed, "pct", "fraction", P["attraction"], "Misprint: " + M["attraction"])
    key["attraction"] = sheet.ref(row, 2, qualified=True)
    row += 1
    computed = sheet.addin(
        row, 2, "ROQ_COMPETITOR_RETENTION", r["switching"], r["switching_share"], r["switching_size"], r["churn_used"], kind="ratio4"
    )
    _compare_row(sheet, row, "Competitors' retention", "R'", computed, "ratio4", "fraction per year", P["competitor_retention"], M["competitor_retention"])
    key["competitor_retention"] = sheet.ref(row, 2, qualified=True)
    row += 1
    computed = sheet.addin(row, 2, "ROQ_MARKET_GROWTH", r["size1"], r["size0"], kind="pct")
    _compare_row(sheet, row, "Market growth (year 0 to year 1)", "g", computed, "pct", "fraction per year", P["market_growth"])
    key["market_growth"] = sheet.ref(row, 2, qualified=True)
    growth_cell = computed
    row += 1
    computed = sheet.excel(row, 2, f"1+{growth_cell}", "ratio")
    _compare_row(sheet, row, "Growth factor", "G", computed, "ratio", "N_t / N_t-1", P["growth_factor"], "The paper rounds G to 1.14 in its forecast.")
    row += 2
    sheet.note(
        row,
        0,
        "Attraction and competitors' retention use the churn as printed (0.095, Inputs); the one-step share forecast is on the Share path sheet.",
        italic=True,
        last_column=6,
    )
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return key


# --------------------------------------------------------------------------- Retention


def _retention(sheet: SheetWriter, r: dict) -> dict:
    row = sheet.title("Retention from the satisfaction mix", "R = (1 - S) r1 + S r2 + D (r3 - r2)  (Rust, Zahorik & Keiningham 1995)")
    sheet.widths(36, 16, 18, 16, 48)
    header_row = row
    row = sheet.headers(row, 0, ["Customer group", "Share", "Repurchase rate", "Published share", "Note"])
    sheet.label(row, 0, "Dissatisfied")
    sheet.excel(row, 1, f"1-{r['satisfied_share']}-{r['delighted_share']}", "pct")
    sheet.excel(row, 2, r["r1"], "pct")
    sheet.published(row, 3, P["dissatisfied_share"], "pct")
    sheet.note(row, 4, "The rest of the respondents.", italic=True)
    row += 1
    sheet.label(row, 0, "Satisfied (not delighted)")
    sheet.excel(row, 1, r["satisfied_share"], "pct")
    sheet.excel(row, 2, r["r2"], "pct")
    sheet.published(row, 3, P["satisfied_share"], "pct")
    sheet.label(row, 4, "")
    row += 1
    sheet.label(row, 0, "Delighted")
    sheet.excel(row, 1, r["delighted_share"], "pct")
    sheet.excel(row, 2, r["r3"], "pct")
    sheet.published(row, 3, P["delighted_share"], "pct")
    sheet.label(row, 4, "")
    row += 1
    sheet.label(row, 0, "All respondents", bold=True)
    sheet.excel(row, 1, f"SUM({area(row - 3, 1, row - 1, 1)})", "pct", bold=True)
    row += 2

    row = sheet.headers(row, 0, ["Retention", "Computed", "Published", "Difference", "Note"])
    key = {}
    sheet.label(row, 0, "S = satisfied only (the paper)")
    computed = sheet.addin(row, 1, "ROQ_RETENTION", r["satisfied_share"], r["delighted_share"], r["r1"], r["r2"], r["r3"], '"satisfied_only"', kind="pct")
    sheet.published(row, 2, P["retention"], "pct")
    sheet.excel(row, 3, f"{computed}-{sheet.ref(row, 2)}", "pct")
    sheet.note(row, 4, "Delighted customers are weighted by r1 as well as by r3 - r2 under this reading.", italic=True)
    key["retention_paper"] = sheet.ref(row, 1, qualified=True)
    row += 1
    sheet.label(row, 0, "S = satisfied + delighted (Rust et al.)")
    computed = sheet.addin(
        row, 1, "ROQ_RETENTION", r["satisfied_share"], r["delighted_share"], r["r1"], r["r2"], r["r3"], '"satisfied_or_delighted"', kind="pct"
    )
    sheet.published(row, 2, "not printed", "text")
    sheet.label(row, 3, "")
    sheet.note(row, 4, "The share-weighted mean of the three repurchase rates.", italic=True)
    key["retention_rzk"] = sheet.ref(row, 1, qualified=True)
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return key


# --------------------------------------------------------------------------- Share path


def _share_path(sheet: SheetWriter, r: dict, workbook) -> dict:
    row = sheet.title("Market share path and discounted profits", "The paper's NPV table: share path as published, constant 3.02% without the programme.")
    sheet.widths(8, 16, 14, 16, 16, 18, 18, 12, 18, 18)
    key = {}
    header_row = row
    row = sheet.headers(
        row,
        0,
        [
            "Year t",
            "Market size N_t",
            "Growth g_t",
            "Share with programme M_t",
            "Share without M0_t",
            "Profit with Y M N (IDR)",
            "Profit without (IDR)",
            "Discount factor",
            "PV with (IDR)",
            "PV without (IDR)",
        ],
    )
    first_year, last_year = r["year_rows"]
    first = row
    for offset, input_row in enumerate(range(first_year, last_year + 1)):
        year = offset
        sheet.excel(row, 0, str(year), "count")
        sheet.excel(row, 1, cell(input_row, 2, absolute_ref=True, sheet="Inputs"), "int")
        if year == 0:
            for column in range(2, 10):
                sheet.label(row, column, "")
        else:
            sheet.addin(row, 2, "ROQ_MARKET_GROWTH", sheet.ref(row, 1, absolute_ref=False), sheet.ref(row - 1, 1, absolute_ref=False), kind="pct")
            sheet.excel(row, 3, cell(input_row, 4, absolute_ref=True, sheet="Inputs"), "pct")
            sheet.excel(row, 4, r["baseline_share"], "pct")
            sheet.excel(row, 5, f"{r['margin']}*{cell(row, 3)}*{cell(row, 1)}", "money")
            sheet.excel(row, 6, f"{r['margin']}*{cell(row, 4)}*{cell(row, 1)}", "money")
            sheet.excel(row, 7, f"1/(1+{r['rate']})^{cell(row, 0)}", "factor")
            sheet.excel(row, 8, f"{cell(row, 5)}*{cell(row, 7)}", "money")
            sheet.excel(row, 9, f"{cell(row, 6)}*{cell(row, 7)}", "money")
        row += 1
    last = row - 1
    sheet.label(row, 0, "Sum", bold=True)
    for column in range(1, 8):
        sheet.label(row, column, "")
    sheet.excel(row, 8, f"SUM({area(first + 1, 8, last, 8)})", "money", bold=True)
    sheet.excel(row, 9, f"SUM({area(first + 1, 9, last, 9)})", "money", bold=True)
    key["pv_sum_with"] = sheet.ref(row, 8, qualified=True)
    key["pv_sum_without"] = sheet.ref(row, 9, qualified=True)
    row += 1
    sheet.note(row, 0, "The sums are NPV and NPV0 in plain Excel, a cross-check of ROQ_NPV / ROQ_NPV0 on the NPV and ROQ sheet.", italic=True, last_column=9)
    row += 2

    chart = workbook.add_chart({"type": "line"})
    for column, name in ((3, "With the programme (as published)"), (4, "Without the programme")):
        chart.add_series(
            {
                "name": name,
                "categories": f"='{sheet.name}'!{area(first + 1, 0, last, 0)}",
                "values": f"='{sheet.name}'!{area(first + 1, column, last, column)}",
                "marker": {"type": "circle"},
            }
        )
    chart.set_title({"name": "Market share path"})
    chart.set_x_axis({"name": "Year"})
    chart.set_y_axis({"name": "Market share", "num_format": "0%", "min": 0})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 620, "height": 300})
    row = sheet.insert_chart(row, 0, chart)

    row = sheet.section(row, "One-step forecast with the market-share recursion", width=10)
    sheet.note(row, 0, "M_t+1 = [R M_t + (1 - R' - c)(1 - M_t) + A (G - 1 + c)] / G, with the paper's printed inputs (Inputs sheet).", italic=True, last_column=9)
    row += 1
    sheet.label(row, 0, "Step")
    sheet.label(row, 1, "Market size")
    row += 1
    sheet.input(row, 0, 0, "count")
    sheet.input(row, 1, 1, "ratio")
    sheet.input(row + 1, 0, 1, "count")
    sheet.excel(row + 1, 1, r["forecast_growth"], "ratio")
    sizes = area(row, 1, row + 1, 1)
    sheet.note(row, 2, "Relative market size now (1) and next year (G).", italic=True, last_column=5)
    row += 3
    spill_row = row
    sheet.spill(
        row,
        0,
        "ROQ_SHARE_PATH",
        r["forecast_share"],
        r["forecast_retention"],
        r["forecast_competitor"],
        r["forecast_churn"],
        r["forecast_attraction"],
        sizes,
        shape=(2, 2),
        kinds=["count", "pct"],
    )
    sheet.label(spill_row, 3, "Published next-year share")
    sheet.published(spill_row + 1, 3, P["next_market_share"], "pct")
    sheet.label(spill_row, 4, "Difference")
    sheet.excel(spill_row + 1, 4, f"{cell(spill_row + 1, 1)}-{cell(spill_row + 1, 3)}", "pct")
    key["next_market_share"] = sheet.ref(spill_row + 1, 1, qualified=True)
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return key


# --------------------------------------------------------------------------- NPV and ROQ


def _parameter_table(sheet: SheetWriter, row: int, r: dict) -> tuple[int, str]:
    """The model's parameter table (names | values) read by ROQ_MODEL and the break-evens."""
    row = sheet.section(row, "Parameter table (read by ROQ_MODEL, ROQ_BREAKEVEN_* and ROQ_RATE_CURVE)", width=7)
    row = sheet.headers(row, 0, ["Input", "Value / year 1", "Year 2", "Year 3", "Year 4", "Year 5", "Unit"])
    first = row
    first_year, last_year = r["year_rows"]

    def scalar(name, source, kind, unit):
        nonlocal row
        sheet.label(row, 0, name)
        sheet.excel(row, 1, source, kind)
        for column in range(2, 6):
            sheet.label(row, column, "")
        sheet.label(row, 6, unit)
        row += 1

    def path(name, column, kind, unit):
        nonlocal row
        sheet.label(row, 0, name)
        for offset, input_row in enumerate(range(first_year + 1, last_year + 1)):
            sheet.excel(row, 1 + offset, cell(input_row, column, absolute_ref=True, sheet="Inputs"), kind)
        sheet.label(row, 6, unit)
        row += 1

    scalar("horizon", r["horizon"], "int", "years")
    scalar("market_size", r["size0"], "int", "customers")
    path("market_size_path", 2, "int", "customers")
    path("market_share_path", 4, "pct", "fraction")
    scalar("baseline_market_share", r["baseline_share"], "pct", "fraction")
    scalar("margin", r["margin"], "money", "IDR per customer per year")
    scalar("discount_rate", r["rate"], "pct", "per year")
    scalar("initial_cost", r["initial_cost"], "money", "IDR")
    scalar("annual_cost", r["annual_cost"], "money", "IDR per year")
    return row, sheet.range(first, 0, row - 1, 5, qualified=True)


def _money(sheet: SheetWriter, r: dict) -> dict:
    row = sheet.title("NPV, NPV0, NPVAS and ROQ", "ROQ = (NPV - NPV0) / NPVAS; the quality programme pays when ROQ > 1.")
    sheet.widths(46, 20, 22, 20, 18, 16, 50)
    header_row = row
    row = sheet.headers(row, 0, ["Quantity", "Computed", "Unit", "Published", "Computed - published", "", "Note"])
    key = {}
    sizes, shares = r["sizes"], r["shares"]

    def line(label, cell_ref, unit, published, kind, note=""):
        nonlocal row
        sheet.label(row, 0, label)
        sheet.label(row, 2, unit)
        if published is None:
            sheet.published(row, 3, "not printed", "text")
            sheet.label(row, 4, "")
        else:
            sheet.published(row, 3, published, kind)
            sheet.excel(row, 4, f"{cell_ref}-{sheet.ref(row, 3)}", kind)
        sheet.label(row, 5, "")
        sheet.note(row, 6, note, italic=True)
        row += 1

    npv = sheet.addin(row, 1, "ROQ_NPV", r["margin"], shares, sizes, r["rate"], kind="money")
    key["npv"] = sheet.ref(row, 1, qualified=True)
    line("NPV of profits with the programme", npv, "IDR", P["npv_with_programme"], "money", M["npv_with_programme"])
    npv0 = sheet.addin(row, 1, "ROQ_NPV0", r["margin"], r["baseline_share"], sizes, r["rate"], kind="money")
    key["npv0"] = sheet.ref(row, 1, qualified=True)
    line("NPV0 of profits without the programme", npv0, "IDR", P["npv_without_programme"], "money", M["npv_without_programme"])
    npvas = sheet.addin(row, 1, "ROQ_NPV_PROGRAMME", r["initial_cost"], r["annual_cost"], r["rate"], r["horizon"], kind="money")
    key["npvas"] = sheet.ref(row, 1, qualified=True)
    line("NPVAS: NPV of the programme's spending", npvas, "IDR", P["npv_programme_cost"], "money")
    gain = sheet.excel(row, 1, f"{npv}-{npv0}", "money")
    line("Gain NPV - NPV0", gain, "IDR", None, "money")
    roq = sheet.addin(row, 1, "ROQ_VALUE", npv, npv0, npvas, kind="ratio", bold=True)
    key["roq"] = sheet.ref(row, 1, qualified=True)
    line("ROQ = (NPV - NPV0) / NPVAS", roq, "ratio", P["roq"], "ratio", "Gross ROQ, the paper's definition.")
    net = sheet.addin(row, 1, "ROQ_VALUE", npv, npv0, npvas, '"net"', kind="ratio")
    line("Net ROQ = (NPV - NPV0 - NPVAS) / NPVAS", net, "ratio", None, "ratio", "Feasible when > 0.")
    sheet.label(row, 0, "Verdict")
    sheet.excel(row, 1, f'IF({roq}>1,"feasible (ROQ > 1)","not feasible (ROQ <= 1)")', "text", bold=True)
    key["verdict"] = sheet.ref(row, 1, qualified=True)
    sheet.label(row, 2, "")
    sheet.published(row, 3, "feasible", "text")
    row += 1
    sheet.label(row, 0, "Cross-check: NPV summed on the Share path sheet")
    sheet.excel(row, 1, r["pv_sum_with"], "money")
    sheet.label(row, 2, "IDR")
    row += 1
    sheet.label(row, 0, "Cross-check: NPV0 summed on the Share path sheet")
    sheet.excel(row, 1, r["pv_sum_without"], "money")
    sheet.label(row, 2, "IDR")
    row += 2

    row = sheet.section(row, "What the programme's published item costs would give (Table 10 sums to 783,000,000)", width=7)
    alt_npvas = sheet.addin(row, 1, "ROQ_NPV_PROGRAMME", r["items_initial"], r["annual_cost"], r["rate"], r["horizon"], kind="money")
    sheet.label(row, 0, "NPVAS with the items' initial costs")
    sheet.label(row, 2, "IDR")
    sheet.published(row, 3, "not printed", "text")
    sheet.note(row, 6, M["initial_cost"], italic=True)
    row += 1
    alt = sheet.addin(row, 1, "ROQ_VALUE", npv, npv0, alt_npvas, kind="ratio")
    key["roq_items"] = sheet.ref(row, 1, qualified=True)
    sheet.label(row, 0, "ROQ with the items' initial costs")
    sheet.label(row, 2, "ratio")
    sheet.published(row, 3, "not printed", "text")
    row += 2

    row = sheet.section(row, "One case, two headline ROQs: the paper's share path (here) and the share recursion (roq simulate)", width=7)
    comparison = casestudy.headline_comparison()
    sheet.label(row, 0, "ROQ with the paper's given share path")
    sheet.excel(row, 1, roq.replace("$", ""), "ratio")
    sheet.label(row, 2, "ratio")
    sheet.note(row, 3, "this workbook and roq case-study: the paper reproduced", italic=True, last_column=5)
    row += 1
    sheet.label(row, 0, "ROQ with both arms by the share recursion")
    sheet.ws.write_number(row, 1, comparison["recursion"]["roq"], sheet.styles.get("label", "ratio"))
    sheet.label(row, 2, "ratio")
    sheet.note(row, 3, "roq simulate's built-in scenario at its base values (the simulator, at build)", italic=True, last_column=5)
    row += 1
    sheet.note(row, 0, casestudy.headline_note(comparison), italic=True, last_column=6)
    row += 2

    row, table = _parameter_table(sheet, row, r)
    key["parameters"] = table
    row += 1
    row = sheet.section(row, "The whole model in one call: =ROQ_MODEL(parameter table)", width=7)
    model_kinds = ["money"] * 4 + ["ratio4"] * 2 + ["pct"] * 2  # npv x4, roq, roq_net, final shares
    last_row, _ = sheet.spill(
        row, 0, "ROQ_MODEL", table, shape=(9, 3), kinds=["text", "general", "text"], row_kinds={(1 + i, 1): kind for i, kind in enumerate(model_kinds)}
    )
    sheet.note(row + 1, 4, "Output names (column A) are what ROQ_MODEL's optional second argument takes, e.g. =ROQ_MODEL(table, \"roq\"); "
               "money in IDR, ROQ as a ratio, shares as %.", italic=True, last_column=6)
    key["model_table"] = sheet.ref(row, 0, qualified=True)
    row = last_row + 2
    row = sheet.section(row, "Break-even", width=7)
    sheet.label(row, 0, "Break-even discount rate (ROQ = 1)")
    sheet.addin(row, 1, "ROQ_BREAKEVEN_RATE", table, kind="pct")
    key["breakeven_rate"] = sheet.ref(row, 1, qualified=True)
    sheet.label(row, 2, "per year")
    sheet.published(row, 3, "not printed", "text")
    sheet.note(row, 6, "The paper's chart finds ROQ > 1 for every discount rate it tries (up to 40% and beyond).", italic=True)
    row += 2
    last_row, _ = sheet.spill(row, 0, "ROQ_BREAKEVEN_COST", table, shape=(4, 2), kinds=["text", "ratio4"])
    for offset in range(1, 4):
        sheet.ws.write_blank(row + offset, 1, None, sheet.styles.get("addin", "ratio4" if offset == 1 else "money"))
    key["breakeven_cost"] = sheet.ref(row, 0, qualified=True)
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return key


# --------------------------------------------------------------------------- Sensitivity


def _sensitivity(sheet: SheetWriter, r: dict, workbook) -> dict:
    row = sheet.title("ROQ against the discount rate", "Computed by ROQ_RATE_CURVE(parameter table, discount rates); ROQ = 1 is the break-even line.")
    sheet.widths(16, 3, 16, 14, 12, 48)
    header_row = row
    sheet.headers(row, 0, ["Discount rates"])
    sheet.ws.write_blank(row, 1, None)
    first = row + 1
    for offset, rate in enumerate(RATES):
        sheet.input(first + offset, 0, rate, "pct0")
    last = first + len(RATES) - 1
    last_row, _ = sheet.spill(row, 2, "ROQ_RATE_CURVE", r["parameters"], area(first, 0, last, 0), shape=(len(RATES) + 1, 2), kinds=["pct0", "ratio"])
    sheet.ws.write_string(row, 4, "ROQ = 1", sheet.styles.header)
    for offset in range(1, len(RATES) + 1):
        sheet.excel(row + offset, 4, "1", "ratio")
    sheet.headers(row, 5, ["Note"])
    sheet.note(first, 5, "Edit the yellow rates to zoom in; the curve and the chart follow.", italic=True)
    sheet.note(first + 1, 5, "The paper: ROQ > 1 at every discount rate it charts (up to 40% and beyond).", italic=True)
    sheet.published(first + 2, 5, "ROQ at 20% as published: 3.72", "text")
    key = {"rate_curve": sheet.ref(row, 2, qualified=True), "rate_curve_rows": (first, last_row)}
    row = last_row + 2

    chart = workbook.add_chart({"type": "line"})
    categories = f"='{sheet.name}'!{area(first, 2, last_row, 2)}"
    chart.add_series(
        {
            "name": "ROQ",
            "categories": categories,
            "values": f"='{sheet.name}'!{area(first, 3, last_row, 3)}",
            "marker": {"type": "circle"},
            "line": {"color": "#1F4E79", "width": 2.25},
        }
    )
    chart.add_series(
        {
            "name": "Break-even (ROQ = 1)",
            "categories": categories,
            "values": f"='{sheet.name}'!{area(first, 4, last_row, 4)}",
            "line": {"color": "#C00000", "dash_type": "dash"},
        }
    )
    chart.set_title({"name": "ROQ against the discount rate (Singgih's insurer case, the paper's share path)"})
    chart.set_x_axis({"name": "Discount rate per year", "num_format": "0%"})
    chart.set_y_axis({"name": "ROQ = (NPV - NPV0) / NPVAS", "min": 0})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": 380})
    sheet.insert_chart(row, 0, chart)
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return key


# --------------------------------------------------------------------------- Notes


def _notes(sheet: SheetWriter) -> None:
    row = sheet.title("Notes: where the paper's figures do not follow from its inputs", "shared/reference/methods.md, section 5; simulator.roq.casestudy.MISPRINTS", legend=False)
    sheet.widths(30, 80)
    row = sheet.headers(row, 0, ["Figure", "Explanation"])
    header_row = row - 1
    for name, text in M.items():
        sheet.label(row, 0, name.replace("_", " "))
        sheet.note(row, 1, text)
        sheet.ws.set_row(row, 32)
        row += 1
    row += 1
    row = sheet.section(row, "Method (Rust, Zahorik & Keiningham 1995)", width=2)
    for line in (
        "Retention R = (1 - S) r1 + S r2 + D (r3 - r2); churn c = leaving / total; attraction A = new / (N_t - (1 - c) N_t-1).",
        "Competitors' retention R' = 1 - c - switching / ((1 - M_t-1) N_t-1); growth g = N_t / N_t-1 - 1, G = 1 + g.",
        "Share recursion M_t+1 = [R M_t + (1 - R' - c)(1 - M_t) + A (G - 1 + c)] / G.",
        "NPV = sum_t Y M_t N_t / (1 + i)^t; NPVAS = initial cost + sum_t annual cost / (1 + i)^t; ROQ = (NPV - NPV0) / NPVAS.",
    ):
        sheet.note(row, 0, line, last_column=1)
        row += 1
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
