"""Workbook: relationship analytics from customer records (the REC_ functions).

A generated policy portfolio (the documented generator of :mod:`simulator.records.generator`:
Kurniawan's study of PT Asuransi LMN publishes no records) sits on the Policies sheet as
plain cells; users paste their own table over it (same header). The result sheets call the
add-in's REC_ functions on that range: outcomes per period and segment, survival of
relationships, the renewal drivers as SPSS reports them, customer value and relationship
capital, the HVC funnel of Table 4, and the measured retention as ROQ model inputs feeding
ROQ_MODEL. The Value sheet checks ROQ_CLV against the closed form typed as an Excel formula.
"""

from __future__ import annotations

import datetime as _dt

from simulator import records

from ._common import LEGEND, SheetWriter, Styles, about_sheet, area

__all__ = ["FILE_STEM", "TITLE", "build", "COLUMNS", "CUSTOMERS", "SEED"]

FILE_STEM = "customer-records"
TITLE = "Customer records: renewal, retention, survival, drivers, CLV and HVC staging"
SOURCE = ("Relationship analytics recommended by Kurniawan (Integrated Partnership Model, PT Asuransi LMN), on a generated portfolio "
          "with known driver effects; paste your own policy table on the Policies sheet.")
#: The generated portfolio shown (small: every add-in call reads the whole range).
CUSTOMERS, SEED = 120, 15
COLUMNS = ["policy_id", "customer_id", "segment", "unit", "line", "start_date", "end_date", "premium", "claims", "renewed", "risk",
           "experience", "trust", "effort", "complaint_resolution"]
_KINDS = {"premium": "money", "claims": "money", "renewed": "count", "experience": "score", "trust": "score", "effort": "score",
          "complaint_resolution": "score"}


def _portfolio():
    generated = records.generate_portfolio(CUSTOMERS, seed=SEED)
    return generated, generated.policies[COLUMNS]


def _serial(text: str) -> int:
    return (_dt.date.fromisoformat(text) - _dt.date(1899, 12, 30)).days


def _range_values(frame) -> list[list]:
    """The Policies range as Excel hands it to a function (dates as serial numbers)."""
    rows = [list(COLUMNS)]
    for record in frame.itertuples(index=False):
        values = list(record)
        values[5], values[6] = _serial(values[5]), _serial(values[6])
        values[9] = None if str(values[9]) == "<NA>" else int(values[9])
        rows.append([None if isinstance(v, float) and v != v else v for v in values])
    return rows


def _shape(function: str, *arguments) -> tuple[int, int]:
    """Rows x columns a REC_ function spills for these arguments (computed by the engine at build time)."""
    from addin import records_functions

    result = getattr(records_functions, function)(*arguments)
    return len(result), max(len(r) for r in result)


def build(workbook, styles: Styles, runtime) -> dict:
    generated, frame = _portfolio()
    values = _range_values(frame)
    legend = [entry for entry in LEGEND if entry[0] != "published"]  # generated records: nothing published to compare with

    def new_sheet(name, **kwargs):
        return SheetWriter(workbook, styles, runtime, name, legend=legend, **kwargs)

    about = new_sheet("About", tab_color="#1F4E79")
    policies = new_sheet("Policies", tab_color="#FFC000")
    settings = new_sheet("Settings", tab_color="#FFC000")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd", "bg_color": "#FFF2CC", "font_color": "#1F4E79", "border": 1, "border_color": "#BFBFBF"})
    policy_range = _policies(policies, frame, date_format)
    names = _settings(settings, workbook)
    sheets = []
    for title, writer in (("Outcomes", _outcomes), ("Survival", _survival), ("Drivers", _drivers), ("Value", _value), ("HVC", _hvc), ("ROQ link", _roq)):
        sheet = new_sheet(title)
        writer(sheet, policy_range, values, names)
        sheets.append(sheet)
    odds = ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in generated.odds_ratios.items())
    about_sheet(
        about,
        TITLE,
        SOURCE,
        [
            f"Policies: one row per policy term ({len(frame):,} terms of {CUSTOMERS} customers, 2018-2025), drawn from the documented generator "
            f"(seed {SEED}) whose true odds ratios per scale point are {odds}. With {CUSTOMERS} customers the intervals are wide (the tests recover "
            "the effects from 6,000). Paste your own table over it (same header; dates as dates) and extend the Policies range.",
            "Settings: discount rate, margin rate, renewal uplift and the HVC thresholds of Kurniawan's Table 4 (3 years, 1 line, 80% of the unit's "
            "premium, low to moderate risk). Rates are fractions shown as percentages.",
            "Outcomes and Survival: renewal rate, customer (account) retention, net and gross premium retention, expansion, cross-buying per period "
            "and segment; Kaplan-Meier survival of relationships after each renewal.",
            "Drivers: binary logistic regression of renewal on experience, trust, effort and complaint resolution, as SPSS reports it. Value: CLV and "
            "relationship capital (margin at the end of each year retained: CLV = m r / (1 + i - r)). HVC: the stage-1 funnel. ROQ link: the "
            "measured retention as ROQ model inputs.",
        ],
        [policies, settings, *sheets],
    )
    return {"policies": policy_range}


def _policies(sheet: SheetWriter, frame, date_format) -> str:
    sheet.ws.write_string(0, 0, "Policy table: one row per policy term (header in row 1; paste your own rows below it)", sheet.styles.title)
    sheet.headers(1, 0, COLUMNS)
    for i, record in enumerate(frame.itertuples(index=False)):
        row = i + 2
        for j, (name, value) in enumerate(zip(COLUMNS, record)):
            if name in ("start_date", "end_date"):
                sheet.ws.write_datetime(row, j, _dt.datetime.fromisoformat(value), date_format)
                sheet._used(row, j)
            elif name == "renewed":
                sheet.input(row, j, None if str(value) == "<NA>" else int(value), "count")
            elif isinstance(value, str):
                sheet.input(row, j, value, "text")
            else:
                sheet.input(row, j, float(value), _KINDS.get(name, "general"))
    sheet.widths(11, 11, 10, 10, 17, 11, 11, 15, 14, 9, 9, 11, 8, 8, 12)
    sheet.finish(freeze_row=2, header_rows=(1, 1))
    return area(1, 0, len(frame) + 1, len(COLUMNS) - 1, sheet="Policies")


def _settings(sheet: SheetWriter, workbook) -> dict:
    row = sheet.title("Settings", "Type your own values (yellow); every result sheet uses them.")
    sheet.widths(46, 14, 90)
    row = sheet.headers(row, 0, ["Setting", "Value", "Note"])
    names = {}
    for name, label, value, kind, note in [
        ("discount_rate", "Discount rate per year", 0.10, "pct", "For CLV: a fraction (10% = 0.10)."),
        ("margin_rate", "Margin as a share of premium", 0.20, "pct", "Each customer's margin per year = its last premium x this."),
        ("uplift", "Renewal uplift of the quality programme", 0.01, "pct", "Percentage points of retention gained; prices the programme in the ROQ model."),
        ("min_tenure_years", "HVC: least tenure (years)", 3, "count", "Kurniawan, Table 4: existing customer of at least 3 years."),
        ("min_lines", "HVC: least lines of business", 1, "count", "Table 4: at least one class / line of business."),
        ("contribution_share", "HVC: share of the unit's premium", 0.80, "pct0", "Table 4: the customers behind 80% of the unit's business."),
        ("max_risk", "HVC: worst risk class allowed", "moderate", "text", "Table 4: low to moderate risk on every class of business."),
    ]:
        sheet.label(row, 0, label)
        sheet.input(row, 1, value, kind)
        sheet.note(row, 2, note, italic=True)
        names[name] = sheet.ref(row, 1, qualified=True)
        row += 1
    sheet.finish(freeze_row=row)
    return names


def _table(sheet: SheetWriter, row: int, title: str, function: str, arguments_cells, arguments_values, kinds, note: str | None = None) -> int:
    row = sheet.section(row, title, width=max(len(kinds), 4))
    if note:
        sheet.note(row, 0, note, italic=True, last_column=max(len(kinds), 4) - 1)
        row += 1
    shape = _shape(function, *arguments_values)
    last_row, _ = sheet.spill(row, 0, function, *arguments_cells, shape=shape, kinds=kinds)
    sheet.ws.set_row(row, 30)  # room for the wrapped column names
    return last_row + 2


def _outcomes(sheet, policies, values, names) -> None:
    row = sheet.title("Renewal, retention, premium retention and cross-buying", "=ROQ_REC_OUTCOMES(Policies) and =ROQ_REC_RETENTION(Policies, \"segment\")")
    sheet.widths(12, 12, 12, 12, 16, 12, 12, 12, 12, 12, 12, 12, 12, 12)
    row = _table(sheet, row, "Per period (retention: into the next period)", "ROQ_REC_OUTCOMES", [policies], [values],
                 ["count", "int", "int", "int", "money"] + ["pct1"] * 6 + ["ratio", "pct1", "pct1"],
                 "The last period has no next period: its retention cells are blank.")
    row = _table(sheet, row, "Pooled over periods, by segment", "ROQ_REC_RETENTION", [policies, '"segment"'], [values, "segment"],
                 ["text", "int"] + ["pct1"] * 5 + ["ratio", "pct1", "pct1"])
    sheet.finish(freeze_row=3)


def _survival(sheet, policies, values, names) -> None:
    row = sheet.title("Survival of customer relationships (Kaplan-Meier)", "=ROQ_REC_SURVIVAL(Policies, \"segment\"): share still a customer after k renewals")
    sheet.widths(14, 8, 12, 12, 12)
    _table(sheet, row, "Survival after each renewal, with the 95% interval (exponential Greenwood)", "ROQ_REC_SURVIVAL", [policies, '"segment"'],
           [values, "segment"], ["text", "count", "pct1", "pct1", "pct1"])
    sheet.finish(freeze_row=3)


def _drivers(sheet, policies, values, names) -> None:
    row = sheet.title("What moves renewal: binary logistic regression (SPSS layout)", "=ROQ_REC_DRIVERS(Policies), =ROQ_REC_DRIVERS_FIT(Policies), =ROQ_REC_MARGINAL_EFFECTS(Policies)")
    sheet.widths(26, 12, 12, 12, 8, 10, 10, 14, 14)
    row = _table(sheet, row, "Variables in the Equation", "ROQ_REC_DRIVERS", [policies], [values],
                 ["text", "ratio4", "ratio4", "score3", "count", "ratio4", "ratio4", "ratio4", "ratio4"],
                 "Exp(B): odds ratio per scale point; effort is customer effort (higher = harder), so its odds ratio is below 1.")
    row = _table(sheet, row, "Model fit and discrimination", "ROQ_REC_DRIVERS_FIT", [policies], [values], ["text", "general"])
    _table(sheet, row, "Average marginal effects: change in P(renew) per scale point", "ROQ_REC_MARGINAL_EFFECTS", [policies], [values],
           ["text", "ratio4", "ratio4", "ratio", "ratio4", "ratio4", "ratio4"])
    sheet.finish(freeze_row=3)


def _value(sheet, policies, values, names) -> None:
    row = sheet.title("Customer lifetime value and relationship capital", "Margin at the end of each year retained; this year's margin is already earned")
    sheet.widths(40, 18, 18, 60)
    row = sheet.section(row, "Closed form check: a customer with constant retention", width=4)
    row = sheet.headers(row, 0, ["Quantity", "Value", "Excel formula", "Note"])
    sheet.label(row, 0, "Margin per year m (IDR)")
    m = sheet.input(row, 1, 1_000_000, "money")
    row += 1
    sheet.label(row, 0, "Retention r")
    r = sheet.input(row, 1, 0.85, "pct")
    row += 1
    sheet.label(row, 0, "Discount rate i")
    i = sheet.excel(row, 1, names["discount_rate"], "pct")
    row += 1
    sheet.label(row, 0, "CLV = m r / (1 + i - r)")
    sheet.addin(row, 1, "ROQ_CLV", m, r, i, kind="money")
    sheet.excel(row, 2, f"{m}*{r}/(1+{i}-{r})", "money")
    sheet.note(row, 3, "The add-in (green) and Excel's own formula (white) agree.", italic=True)
    row += 2
    arguments = [policies, names["discount_rate"], names["margin_rate"], '"drivers"', names["uplift"]]
    first = row + 1
    _table(sheet, row, "Relationship capital of the customers in force (retention: each customer's modelled renewal)", "ROQ_REC_CUSTOMER_VALUE",
           arguments, [values, 0.10, 0.20, "drivers", 0.01], ["text", "money", "text"])
    # one number format per row of the spilled table (customers, money, fractions)
    for offset, kind in enumerate(["int", "money", "money", "money", "pct", "pct", "money", "money", "pct"], start=1):
        sheet.ws.write_blank(first + offset, 1, None, sheet.styles.get("addin", kind))
    sheet.finish(freeze_row=3)


def _hvc(sheet, policies, values, names) -> None:
    row = sheet.title("High Value Customers: stage 1 of Kurniawan's Table 4", "=ROQ_REC_HVC(Policies, tenure, lines, share, risk): customers left after each criterion")
    sheet.widths(48, 12, 18, 14, 14)
    arguments = [policies, names["min_tenure_years"], names["min_lines"], names["contribution_share"], names["max_risk"]]
    _table(sheet, row, "The HVC funnel (stages 2-4 of the table are management actions, not facts in the records)", "ROQ_REC_HVC", arguments,
           [values, 3, 1, 0.8, "moderate"], ["text", "int", "money", "pct1", "pct1"])
    sheet.finish(freeze_row=3)


def _roq(sheet, policies, values, names) -> None:
    row = sheet.title("The measured retention as ROQ model inputs", "=ROQ_REC_MODEL_INPUTS(Policies, uplift) feeds =ROQ_MODEL(...): a quality programme priced from records")
    sheet.widths(34, 20, 80)
    row = sheet.section(row, "Model inputs: built-in scenario, retention measured from the records", width=3)
    shape = _shape("ROQ_REC_MODEL_INPUTS", values, 0.01)
    last_row, _ = sheet.spill(row, 0, "ROQ_REC_MODEL_INPUTS", policies, names["uplift"], shape=shape, kinds=["text", "general"])
    inputs = area(row, 0, last_row, 1)
    row = last_row + 2
    row = sheet.section(row, "Return on Quality of the programme", width=3)
    from addin import roq_functions

    model_shape = roq_functions.ROQ_MODEL(_shape_rows("ROQ_REC_MODEL_INPUTS", values, 0.01))
    sheet.spill(row, 0, "ROQ_MODEL", inputs, shape=(len(model_shape), max(len(r) for r in model_shape)), kinds=["text", "general", "text"])
    sheet.finish(freeze_row=3)


def _shape_rows(function: str, *arguments):
    from addin import records_functions

    return getattr(records_functions, function)(*arguments)
