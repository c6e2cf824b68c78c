"""Workbook: Pole, Isharyani & Widada's claims-service case (SERVQUAL gaps, CSI, IPA, Five Whys).

The 21 attributes' perception, expectation and management-perception means and the
internal gap 2-4 scores are input cells (``simulator.casestudies``); gap 5 per item and
per dimension, gap 1, gaps 2-4, the CSI table and band, and the IPA quadrants are add-in
functions; means, counts and look-ups are Excel. The Five Whys record (``methods.md``
section 7) reads the worst gap from the Gap 5 sheet, so it follows the data.
"""

from __future__ import annotations

import numpy as np

from simulator.casestudies import load_claims_servqual_attributes, load_claims_servqual_internal_gaps
from simulator.survey.casestudy import RESPONDENTS, claims_servqual_means

from ._common import SheetWriter, Styles, about_sheet, add_mean_lines, area, cell

__all__ = ["FILE_STEM", "build", "PUBLISHED"]

FILE_STEM = "claims-servqual"
TITLE = "Claims service quality - Pole, Isharyani & Widada's case (SERVQUAL, CSI, IPA, Five Whys)"
SOURCE = "Pole, Isharyani & Widada (Universitas Mulawarman): claim service of an Indonesian life insurer, 21 attributes, 60 respondents (data/claims_servqual_attributes.csv)."

#: Figures the paper prints (methods.md sections 1-3).
PUBLISHED = {
    "item8_gap": -1.08,
    "reliability_gap": -0.74,
    "perception_mean": 3.98,
    "expectation_mean": 4.39,
    "overall_gap": -0.41,
    "gap1_mean": 0.42,
    "management_mean": 4.81,
    "csi": 79.55,
    "csi_band": "satisfied (puas)",
    "slovin_exact": 59.57,
    "slovin": 60,
    "r_critical": 0.361,
    "alpha_expectation": 0.871,
    "alpha_perception": 0.899,
}

FIVE_WHYS = [
    ("Why are claims settled late?", "Head office pays the claims late."),
    ("Why does head office pay late?", "It waits for the premium income of all branches."),
    ("Why does it wait for premium income?", "Head office's financial capacity is limited."),
    ("Why is the capacity not enough for claims?", "Operating expenses and other obligations are paid first."),
    ("Why are those paid first?", "Delaying them would disrupt the business."),
]
ROOT_CAUSE = "Claim payments have no funding of their own: they wait for whatever cash is left after operating expenses."
COUNTERMEASURES = [
    "Keep a claim reserve of 10-20% of the expected monthly claims.",
    "Track the time of every settlement stage (target: 7 working days per stage).",
    "KPI: 95% of claims settled on time.",
]


def build(workbook, styles: Styles, runtime) -> dict:
    about = SheetWriter(workbook, styles, runtime, "About", tab_color="#1F4E79")
    data = SheetWriter(workbook, styles, runtime, "Data", tab_color="#FFC000")
    refs = _data(data)
    gap5 = SheetWriter(workbook, styles, runtime, "Gap 5")
    key = _gap5(gap5, refs, workbook)
    gap1 = SheetWriter(workbook, styles, runtime, "Gap 1")
    key.update(_gap1(gap1, refs))
    internal = SheetWriter(workbook, styles, runtime, "Gaps 2-4")
    key.update(_internal(internal, refs))
    csi = SheetWriter(workbook, styles, runtime, "CSI")
    key.update(_csi(csi, refs))
    ipa = SheetWriter(workbook, styles, runtime, "IPA")
    key.update(_ipa(ipa, refs, workbook))
    whys = SheetWriter(workbook, styles, runtime, "Five Whys")
    key.update(_five_whys(whys, key))
    about_sheet(
        about,
        TITLE,
        SOURCE,
        [
            "SERVQUAL gap 5 (perception - expectation) per item and per dimension, gap 1 (management's perception - customer expectation), and the internal gaps 2-4.",
            "The Customer Satisfaction Index (weighting factors, weighted scores, CSI and its band) and the Importance-Performance Analysis (quadrants, chart).",
            "A Five Whys record attached to the worst gap, with the root cause and the countermeasures the paper proposes.",
            "Published figures sit beside the recomputed ones (item 8 gap -1.08, reliability -0.74, gap 1 0.42, CSI 79.55%).",
        ],
        [data, gap5, gap1, internal, csi, ipa, whys],
    )
    return key


# --------------------------------------------------------------------------- Data


def _data(sheet: SheetWriter) -> dict:
    row = sheet.title(
        "Data (as published)",
        "Item means on the 1..5 scale from 60 claimants, and the internal respondents' gap 2-4 scores.",
    )
    sheet.widths(8, 16, 62, 14, 14, 16, 14, 14, 14, 14)
    sheet.label(row, 0, "Respondents")
    respondents = sheet.input(row, 1, float(RESPONDENTS), "count")
    sheet.note(
        row, 2,
        "Means = answer totals / respondents. The paper prints means to 2 decimals but computed its gaps and CSI "
        "from the exact means; with 60 respondents the totals are recoverable (round(mean x 60)), and with them "
        "every published gap and the CSI of 79.55% come out exactly. The printed means are kept on the right.",
        italic=True, last_column=9, height=45,
    )
    row += 2
    header_row = row
    row = sheet.headers(
        row, 0,
        ["Item", "Dimension", "Attribute", "Perception (mean)", "Expectation (mean)", "Management's perception",
         "Perception total", "Expectation total", "Perception (printed)", "Expectation (printed)"],
    )
    attributes = load_claims_servqual_attributes()
    case = claims_servqual_means()  # exact means rebuilt from the printed ones
    perception_totals = np.rint(case["perception"] * RESPONDENTS)
    expectation_totals = np.rint(case["expectation"] * RESPONDENTS)
    first = row
    for index, record in attributes.iterrows():
        sheet.input(row, 0, int(record["attribute_no"]), "count")
        sheet.input(row, 1, str(record["dimension"]), "text")
        sheet.input(row, 2, str(record["attribute"]), "text")
        sheet.excel(row, 3, f"{sheet.ref(row, 6)}/{respondents}", "score")
        sheet.excel(row, 4, f"{sheet.ref(row, 7)}/{respondents}", "score")
        sheet.input(row, 5, float(record["management_perception"]), "score")
        sheet.input(row, 6, float(perception_totals[index]), "count")
        sheet.input(row, 7, float(expectation_totals[index]), "count")
        sheet.published(row, 8, float(record["perception_mean"]), "score")
        sheet.published(row, 9, float(record["expectation_mean"]), "score")
        row += 1
    last = row - 1
    refs = {
        "items": sheet.range(first, 0, last, 0, qualified=True),
        "item_codes": [str(int(number)) for number in attributes["attribute_no"]],
        "dimensions": sheet.range(first, 1, last, 1, qualified=True),
        "attributes": sheet.range(first, 2, last, 2, qualified=True),
        "perception": sheet.range(first, 3, last, 3, qualified=True),
        "expectation": sheet.range(first, 4, last, 4, qualified=True),
        "management": sheet.range(first, 5, last, 5, qualified=True),
        "n_items": last - first + 1,
    }
    row += 1
    row = sheet.section(row, "Internal gaps (one internal respondent per gap, 1..5)", width=6)
    row = sheet.headers(row, 0, ["", "Dimension", "", "Gap 2: standards", "Gap 3: delivery", "Gap 4: communication"])
    internal = load_claims_servqual_internal_gaps()
    first = row
    for _, record in internal.iterrows():
        sheet.label(row, 0, "")
        sheet.input(row, 1, str(record["dimension"]), "text")
        sheet.label(row, 2, "")
        for column, name in ((3, "gap2_score"), (4, "gap3_score"), (5, "gap4_score")):
            sheet.input(row, column, float(record[name]), "count")
        row += 1
    last = row - 1
    refs.update(
        internal_dimensions=sheet.range(first, 1, last, 1, qualified=True),
        gap2=sheet.range(first, 3, last, 3, qualified=True),
        gap3=sheet.range(first, 4, last, 4, qualified=True),
        gap4=sheet.range(first, 5, last, 5, qualified=True),
    )
    row += 1
    row = sheet.section(row, "Questionnaire checks", width=6)
    row = sheet.headers(row, 0, ["", "Check", "Inputs", "Computed", "Published", "Note"])

    def check(label, inputs_text, function, args, kind, published, note=""):
        nonlocal row
        sheet.label(row, 0, "")
        sheet.label(row, 1, label)
        sheet.label(row, 2, inputs_text)
        sheet.addin(row, 3, function, *args, kind=kind)
        sheet.published(row, 4, published, kind)
        sheet.note(row, 5, note, italic=True)
        refs[function] = sheet.ref(row, 3, qualified=True)
        row += 1

    sheet.label(row, 0, "")
    sheet.label(row, 1, "Population of claimants N")
    sheet.label(row, 2, "")
    population = sheet.input(row, 3, 70, "int")
    sheet.label(row, 4, "")
    row += 1
    sheet.label(row, 0, "")
    sheet.label(row, 1, "Tolerated error e")
    sheet.label(row, 2, "")
    error = sheet.input(row, 3, 0.05, "pct0")
    sheet.label(row, 4, "")
    row += 1
    sheet.label(row, 0, "")
    sheet.label(row, 1, "Pretest respondents n")
    sheet.label(row, 2, "")
    pretest = sheet.input(row, 3, 30, "int")
    sheet.label(row, 4, "")
    row += 1
    check("Slovin sample size, exact", "N, e", "SQ_SLOVIN_EXACT", (population, error), "score", PUBLISHED["slovin_exact"], "n = N / (1 + N e^2)")
    check("Slovin sample size, respondents", "N, e", "SQ_SLOVIN", (population, error), "int", PUBLISHED["slovin"], "Rounded up: 60 respondents were surveyed.")
    check("Critical r for item validity", "n, 5%", "SQ_R_CRITICAL", (pretest, "0.05"), "score3", PUBLISHED["r_critical"], "Items are valid when r > 0.361.")
    sheet.label(row, 0, "")
    sheet.label(row, 1, "Cronbach's alpha, expectations / perceptions")
    sheet.label(row, 2, "raw answers not published")
    sheet.label(row, 3, "")
    sheet.published(row, 4, f"{PUBLISHED['alpha_expectation']} / {PUBLISHED['alpha_perception']}", "text")
    sheet.note(row, 5, "Reliable (> 0.60). The survey template computes alpha from raw answers (SQ_ALPHA).", italic=True)
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return refs


# --------------------------------------------------------------------------- Gap 5


def _gap5(sheet: SheetWriter, r: dict, workbook) -> dict:
    n = r["n_items"]
    row = sheet.title("SERVQUAL gap 5: perception - expectation", "Most negative gap = first priority for improvement (priority 1).")
    sheet.widths(8, 16, 13, 13, 11, 10, 3, 50, 14)
    header_row = row
    top = row
    last_row, _ = sheet.spill(
        row, 0, "SQ_GAP5_ITEMS", r["perception"], r["expectation"], r["dimensions"], r["items"], shape=(n + 1, 6),
        kinds=["text", "text", "score", "score", "gap", "count"],
    )
    sheet.headers(row, 7, ["Attribute", "Published gap"])
    for offset in range(1, n + 1):
        data_cell = f"INDEX({r['attributes']},{offset})"
        sheet.excel(row + offset, 7, data_cell, "text")
        if offset == 8:  # the only item gap the text prints
            sheet.published(row + offset, 8, PUBLISHED["item8_gap"], "gap")
        else:
            sheet.label(row + offset, 8, "")
    gaps = area(top + 1, 4, last_row, 4)
    items = area(top + 1, 0, last_row, 0)
    row = last_row + 2

    row = sheet.section(row, "Per dimension (mean of its items' gaps)", width=9)
    dim_top = row
    last_dim, _ = sheet.spill(
        row, 0, "SQ_GAP5_DIMENSIONS", r["perception"], r["expectation"], r["dimensions"], shape=(6, 6),
        kinds=["text", "count", "score", "score", "gap", "count"],
    )
    sheet.headers(row, 7, ["Note", "Published gap"])
    for offset in range(1, 6):
        sheet.label(row + offset, 7, "")
        sheet.label(row + offset, 8, "")
    sheet.note(row + 2, 7, "Reliability (items 5-8) is the worst dimension.", italic=True)
    sheet.published(row + 2, 8, PUBLISHED["reliability_gap"], "gap")
    row = last_dim + 2

    row = sheet.section(row, "Overall", width=9)
    row = sheet.headers(row, 0, ["", "Quantity", "", "Computed", "Published", "", "", "Note"])
    key = {}

    def line(label, formula, published, kind, note="", *, addin=None):
        nonlocal row
        sheet.label(row, 0, "")
        sheet.label(row, 1, label)
        sheet.label(row, 2, "")
        if addin:
            sheet.addin(row, 3, addin[0], *addin[1:], kind=kind)
        else:
            sheet.excel(row, 3, formula, kind)
        if published is None:
            sheet.label(row, 4, "")
        else:
            sheet.published(row, 4, published, kind)
        sheet.note(row, 7, note, italic=True)
        ref = sheet.ref(row, 3, qualified=True)
        row += 1
        return ref

    key["perception_mean"] = line("Mean perception", f"AVERAGE({r['perception']})", PUBLISHED["perception_mean"], "score")
    key["expectation_mean"] = line("Mean expectation", f"AVERAGE({r['expectation']})", PUBLISHED["expectation_mean"], "score")
    key["overall_gap"] = line("Gap 5 overall", None, PUBLISHED["overall_gap"], "gap", addin=("SQ_GAP5", r["perception"], r["expectation"]))
    key["worst_gap"] = line(
        "Largest gap (first priority)", f"MIN({gaps})", PUBLISHED["item8_gap"], "gap",
        "From the exact means (totals / 60), as the paper computed; its printed, rounded means (3.58, 4.67) would give -1.09.",
    )
    worst_gap_cell = sheet.ref(row - 1, 3)
    key["worst_item"] = line("Its item", f"INDEX({items},MATCH({worst_gap_cell},{gaps},0))", "8", "text")
    # the table keeps the Data sheet's item order, so the gap's position finds the attribute
    key["worst_attribute"] = line("Its attribute", f"INDEX({r['attributes']},MATCH({worst_gap_cell},{gaps},0))", "Timely claim settlement is guaranteed", "text")
    key["worst_dimension"] = line("Worst dimension", f"INDEX({area(dim_top + 1, 0, last_dim, 0)},MATCH(MIN({area(dim_top + 1, 4, last_dim, 4)}),{area(dim_top + 1, 4, last_dim, 4)},0))", "reliability", "text")
    key["gap5_items"] = sheet.ref(top, 0, qualified=True)
    key["gap5_dimensions"] = sheet.ref(dim_top, 0, qualified=True)
    key["gap5_rows"] = (top + 1, last_row)
    key["gap5_dimension_rows"] = (dim_top + 1, last_dim)
    row += 1

    # the chart's data: the dimensions in priority order (worst gap first), by Excel's own INDEX/MATCH
    sorted_section = row
    row = sheet.section(row, "Dimensions by priority (the chart's data)", width=9)
    row = sheet.headers(row, 0, ["Priority", "Dimension", "", "", "Gap"])
    dims, dim_gaps, dim_priority = (area(dim_top + 1, column, last_dim, column) for column in (0, 4, 5))
    sorted_top = row
    for rank in range(1, 6):
        sheet.excel(row, 0, str(rank), "count")
        sheet.excel(row, 1, f"INDEX({dims},MATCH({rank},{dim_priority},0))", "text")
        sheet.label(row, 2, "")
        sheet.label(row, 3, "")
        sheet.excel(row, 4, f"INDEX({dim_gaps},MATCH({rank},{dim_priority},0))", "gap")
        row += 1
    row += 1

    chart = workbook.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "Gap 5 per dimension",
            "categories": f"='{sheet.name}'!{area(sorted_top, 1, row - 2, 1)}",
            "values": f"='{sheet.name}'!{area(sorted_top, 4, row - 2, 4)}",
            "fill": {"color": "#C00000"},
            "data_labels": {"value": True, "num_format": "0.00", "position": "outside_end"},
        }
    )
    chart.set_title({"name": "Gap 5 per dimension, worst first (claims service, Pole, Isharyani & Widada)", "name_font": {"size": 12}})
    chart.set_x_axis({"num_format": "0.00", "max": 0})
    # priority 1 on top; dimension names beside the plot, not over the (negative) bars
    chart.set_y_axis({"reverse": True, "label_position": "low"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 620, "height": 280})
    chart_end = sheet.insert_chart(row, 1, chart)
    sheet.keep_together(sorted_section, chart_end - 1)  # the chart with its data table
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return key


# --------------------------------------------------------------------------- Gap 1


def _gap1(sheet: SheetWriter, r: dict) -> dict:
    n = r["n_items"]
    row = sheet.title("SERVQUAL gap 1: management's perception - customer expectation", "The paper writes it as management minus customer: positive = management expects more than customers do.")
    sheet.widths(8, 16, 13, 13, 11, 10, 3, 60)
    header_row = row
    top = row
    last_row, _ = sheet.spill(
        row, 0, "SQ_GAP1_ITEMS", r["management"], r["expectation"], r["dimensions"], r["items"], shape=(n + 1, 6),
        kinds=["text", "text", "score", "score", "gap", "count"],
    )
    row = last_row + 2
    row = sheet.headers(row, 0, ["", "Quantity", "", "Computed", "Published", "", "", "Note"])
    key = {}
    sheet.label(row, 0, "")
    sheet.label(row, 1, "Gap 1 overall")
    sheet.label(row, 2, "")
    sheet.addin(row, 3, "SQ_GAP1", r["management"], r["expectation"], kind="gap", bold=True)
    sheet.published(row, 4, PUBLISHED["gap1_mean"], "gap")
    sheet.note(row, 7, "Management rates customers' expectations higher than the customers themselves.", italic=True)
    key["gap1"] = sheet.ref(row, 3, qualified=True)
    row += 1
    sheet.label(row, 0, "")
    sheet.label(row, 1, "Mean of management's perception")
    sheet.label(row, 2, "")
    sheet.excel(row, 3, f"AVERAGE({r['management']})", "score")
    sheet.published(row, 4, PUBLISHED["management_mean"], "score")
    key["management_mean"] = sheet.ref(row, 3, qualified=True)
    row += 1
    sheet.label(row, 0, "")
    sheet.label(row, 1, "Mean of customers' expectation")
    sheet.label(row, 2, "")
    sheet.excel(row, 3, f"AVERAGE({r['expectation']})", "score")
    sheet.published(row, 4, PUBLISHED["expectation_mean"], "score")
    key["gap1_items"] = sheet.ref(top, 0, qualified=True)
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return key


# --------------------------------------------------------------------------- Gaps 2-4


def _internal(sheet: SheetWriter, r: dict) -> dict:
    row = sheet.title("SERVQUAL gaps 2, 3 and 4 (internal)", "Scored 1..5 by one internal respondent per gap; reported as scores, not subtracted.")
    sheet.widths(18, 16, 16, 18, 3, 48)
    header_row = row
    top = row
    sheet.spill(row, 0, "SQ_INTERNAL_GAPS", r["gap2"], r["gap3"], r["gap4"], r["internal_dimensions"], shape=(6, 4), kinds=["text", "count", "count", "count"])
    sheet.headers(row, 5, ["What the gap measures"])
    sheet.note(row + 1, 5, "Gap 2: service standards do not match management's perception of expectations.", italic=True)
    sheet.note(row + 2, 5, "Gap 3: service delivery does not match the standards.", italic=True)
    sheet.note(row + 3, 5, "Gap 4: what is communicated to customers does not match the delivery.", italic=True)
    sheet.note(row + 4, 5, "Published: the table itself (Data sheet); lower scores mean larger internal gaps.", italic=True)
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return {"internal_gaps": sheet.ref(top, 0, qualified=True)}


# --------------------------------------------------------------------------- CSI


def _csi(sheet: SheetWriter, r: dict) -> dict:
    n = r["n_items"]
    row = sheet.title("Customer Satisfaction Index", "WF = MIS / sum(MIS); WS = WF x MSS; CSI = sum(WS) / HS. The paper: importance = expectation, satisfaction = perception.")
    sheet.widths(8, 12, 12, 12, 12, 3, 34, 14, 14, 40)
    header_row = row
    top = row
    last_row, _ = sheet.spill(
        row, 0, "SQ_CSI_TABLE", r["expectation"], r["perception"], r["items"], shape=(n + 1, 5), kinds=["text", "score", "score", "pct_points", "score"]
    )
    sheet.label(last_row + 1, 0, "Sum", bold=True)
    sheet.excel(last_row + 1, 1, f"SUM({area(top + 1, 1, last_row, 1)})", "score", bold=True)
    sheet.label(last_row + 1, 2, "")
    sheet.excel(last_row + 1, 3, f"SUM({area(top + 1, 3, last_row, 3)})", "pct_points", bold=True)
    sheet.excel(last_row + 1, 4, f"SUM({area(top + 1, 4, last_row, 4)})", "score", bold=True)
    sum_ws = sheet.ref(last_row + 1, 4)

    sheet.headers(row, 6, ["Quantity", "Computed", "Published", "Note"])
    key = {}
    r0 = row + 1
    sheet.label(r0, 6, "Highest scale value HS")
    hs = sheet.input(r0, 7, 5, "count")
    sheet.label(r0, 8, "")
    sheet.label(r0, 9, "")
    sheet.label(r0 + 1, 6, "CSI", bold=True)
    csi = sheet.addin(r0 + 1, 7, "SQ_CSI", r["expectation"], r["perception"], 1, hs, kind="pct_points", bold=True)
    sheet.published(r0 + 1, 8, PUBLISHED["csi"], "pct_points")
    sheet.note(r0 + 1, 9, "From the exact means (totals / 60), as the paper computed; its printed, rounded means would give 79.56%.", italic=True)
    key["csi"] = sheet.ref(r0 + 1, 7, qualified=True)
    sheet.label(r0 + 2, 6, "CSI = sum(WS) / HS (Excel cross-check)")
    sheet.excel(r0 + 2, 7, f"{sum_ws}/{hs}", "pct_points")
    sheet.label(r0 + 2, 8, "")
    sheet.label(r0 + 2, 9, "")
    sheet.label(r0 + 3, 6, "Band")
    sheet.addin(r0 + 3, 7, "SQ_CSI_BAND", csi, kind="text")
    sheet.published(r0 + 3, 8, PUBLISHED["csi_band"], "text")
    sheet.label(r0 + 3, 9, "")
    key["csi_band"] = sheet.ref(r0 + 3, 7, qualified=True)
    sheet.label(r0 + 4, 6, "Band (Indonesian label)")
    sheet.addin(r0 + 4, 7, "SQ_CSI_BAND", csi, '"id"', kind="text")
    sheet.label(r0 + 4, 8, "")
    sheet.label(r0 + 4, 9, "")

    band_row = r0 + 6
    sheet.headers(band_row, 6, ["CSI band", "From", "To", ""])
    bands = [
        ("very satisfied", 81, 100),
        ("satisfied", 66, 80.99),
        ("fairly satisfied", 51, 65.99),
        ("less satisfied", 35, 50.99),
        ("not satisfied", 0, 34.99),
    ]
    for offset, (label, low, high) in enumerate(bands, start=1):
        sheet.label(band_row + offset, 6, label)
        sheet.published(band_row + offset, 7, low, "pct_points")
        sheet.published(band_row + offset, 8, high, "pct_points")
        sheet.label(band_row + offset, 9, "")
    key["csi_table"] = sheet.ref(top, 0, qualified=True)
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return key


# --------------------------------------------------------------------------- IPA


def _ipa(sheet: SheetWriter, r: dict, workbook) -> dict:
    n = r["n_items"]
    row = sheet.title("Importance-Performance Analysis", "Split at the grand means: I concentrate here, II keep up the good work, III low priority, IV possible overkill.")
    sheet.widths(8, 12, 13, 14, 10, 26, 3, 30, 12)
    header_row = row
    top = row
    sheet.headers(row, 7, ["Cut points and counts", "Value"])
    key = {}
    sheet.label(row + 1, 7, "Mean importance (cut)")
    mean_importance = sheet.excel(row + 1, 8, f"AVERAGE({r['expectation']})", "score")
    sheet.label(row + 2, 7, "Mean performance (cut)")
    mean_performance = sheet.excel(row + 2, 8, f"AVERAGE({r['perception']})", "score")
    last_row, _ = sheet.spill(
        row, 0, "SQ_IPA", r["expectation"], r["perception"], mean_importance, mean_performance, r["items"], shape=(n + 1, 6),
        kinds=["text", "score", "score", "pct_points", "text", "text"],
    )
    importance = area(top + 1, 1, last_row, 1)
    performance = area(top + 1, 2, last_row, 2)
    quadrants = area(top + 1, 4, last_row, 4)
    for offset, (quadrant, label) in enumerate(
        (("I", "I: concentrate here"), ("II", "II: keep up the good work"), ("III", "III: low priority"), ("IV", "IV: possible overkill")), start=3
    ):
        sheet.label(row + offset, 7, label)
        sheet.excel(row + offset, 8, f'COUNTIF({quadrants},"{quadrant}")', "count")
        key[f"quadrant_{quadrant}"] = sheet.ref(row + offset, 8, qualified=True)
    sheet.note(row + 8, 7, "Quadrant I items are where improvement pays most.", italic=True, last_column=8)

    # cut lines for the chart: two points each
    line_row = row + 10
    sheet.headers(line_row, 7, ["Chart guide lines", "Performance"])
    sheet.ws.write_string(line_row, 9, "Importance", sheet.styles.header)
    lo, hi = 3.0, 5.0
    sheet.label(line_row + 1, 7, "vertical: mean performance")
    sheet.excel(line_row + 1, 8, mean_performance, "score")
    sheet.excel(line_row + 1, 9, str(lo), "score")
    sheet.label(line_row + 2, 7, "")
    sheet.excel(line_row + 2, 8, mean_performance, "score")
    sheet.excel(line_row + 2, 9, str(hi), "score")
    sheet.label(line_row + 3, 7, "horizontal: mean importance")
    sheet.excel(line_row + 3, 8, str(lo), "score")
    sheet.excel(line_row + 3, 9, mean_importance, "score")
    sheet.label(line_row + 4, 7, "")
    sheet.excel(line_row + 4, 8, str(hi), "score")
    sheet.excel(line_row + 4, 9, mean_importance, "score")
    sheet.ws.set_column(9, 9, 12)

    chart = workbook.add_chart({"type": "scatter"})
    chart.add_series(
        {
            "name": "Items",
            "categories": f"='{sheet.name}'!{performance}",
            "values": f"='{sheet.name}'!{importance}",
            "marker": {"type": "circle", "size": 7, "fill": {"color": "#1F4E79"}, "border": {"color": "#1F4E79"}},
            # each point labelled with its item code, as text in the chart (a label linked to a cell shows
            # only in Excel; the case's items are fixed, in the Data sheet's order like the IPA table)
            "data_labels": {"value": True, "custom": [{"value": code} for code in r["item_codes"]], "position": "right", "font": {"size": 8}},
        }
    )
    add_mean_lines(chart, sheet, line_row + 1, 8)
    chart.set_title({"name": "Importance-Performance (claims service, Pole, Isharyani & Widada)"})
    chart.set_x_axis({"name": "Performance (perception mean)", "min": lo, "max": hi, "num_format": "0.0"})
    chart.set_y_axis({"name": "Importance (expectation mean)", "min": lo, "max": hi, "num_format": "0.0"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 620, "height": 460})
    chart_row = last_row + 2
    sheet.insert_chart(chart_row, 0, chart)
    key["ipa_table"] = sheet.ref(top, 0, qualified=True)
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return key


# --------------------------------------------------------------------------- Five Whys


def _five_whys(sheet: SheetWriter, key: dict) -> dict:
    row = sheet.title("Five Whys: root cause of the worst gap", "methods.md section 7; the problem row reads the Gap 5 sheet, so it follows the data.")
    sheet.widths(12, 40, 56)
    header_row = row
    row = sheet.headers(row, 0, ["Step", "Question", "Answer"])
    sheet.label(row, 0, "Problem", bold=True)
    sheet.label(row, 1, "Which gap comes first?")
    problem = (
        f'"Item "&{key["worst_item"]}&": "&{key["worst_attribute"]}&" (gap "&TEXT({key["worst_gap"]},"0.00")&", dimension "&{key["worst_dimension"]}&")"'
    )
    sheet.excel(row, 2, problem, "text", bold=True)
    problem_row = row
    row += 1
    sheet.label(row, 0, "")
    sheet.link(row, 1, "Gap 5", "A1", "Go to the Gap 5 sheet")
    sheet.label(row, 2, "")
    row += 1
    for number, (question, answer) in enumerate(FIVE_WHYS, start=1):
        sheet.label(row, 0, f"Why {number}")
        sheet.input(row, 1, question, "text", wrap=True)
        sheet.input(row, 2, answer, "text", wrap=True)
        row += 1
    sheet.label(row, 0, "Root cause", bold=True)
    sheet.label(row, 1, "")
    sheet.input(row, 2, ROOT_CAUSE, "text", wrap=True)
    row += 2
    row = sheet.headers(row, 0, ["Action", "Countermeasure", "Owner / due date"])
    for number, text in enumerate(COUNTERMEASURES, start=1):
        sheet.label(row, 0, f"{number}")
        sheet.input(row, 1, text, "text", wrap=True)
        sheet.input(row, 2, None, "text")
        row += 1
    row += 1
    sheet.ws.merge_range(row, 1, row, 2, "", sheet.styles.get("published", "text", wrap=True))
    sheet.published(row, 1, "The paper's chain: late claim settlement <- head office pays late <- waits for premium income <- financial capacity <- expenses paid first <- delaying them disrupts the business.", "text", wrap=True)
    sheet._fit(row, 1, 2, "The paper's chain: late claim settlement <- head office pays late <- waits for premium income <- financial capacity <- expenses paid first <- delaying them disrupts the business.")
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return {"five_whys_problem": sheet.ref(problem_row, 2, qualified=True)}
