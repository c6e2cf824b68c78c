"""Workbook: loyalty drivers, the structural equation model of Assagaff (2014, Manulife, AMOS).

Answers sheet: a questionnaire-shaped paste area (construct, statement and item code above
each column; one respondent per row) holding a generated example of 300 respondents on
the thesis' 1-10 scale, so the workbook shows numbers on first open; paste your own over
it. Model sheet: the thesis' model in lavaan syntax, one statement per cell, and the
chi-square convention. The result sheets spill the add-in's SQ_SEM_ functions: the fit
table with verdicts beside the thesis' Table 3.2 (as printed, misprints marked), the
estimates (AMOS's regression weights, covariances, variances, standardized), effects and
Sobel tests, construct reliability and HTMT, and the diagnostics (normality, Mahalanobis,
modification indices).

The data range handed to the functions is the whole paste area from the item-code row
down: blank rows are skipped, a respondent with a blank answer is left out (listwise).
"""

from __future__ import annotations

from ._common import SheetWriter, Styles, about_sheet, area

__all__ = ["FILE_STEM", "build", "MAX_RESPONDENTS", "ITEM_TEXT"]

FILE_STEM = "loyalty-drivers"
TITLE = "Loyalty drivers: structural equation model (Assagaff 2014, Manulife customers)"
SOURCE = ("Service quality and customer value -> satisfaction -> loyalty, plus trust -> loyalty; analysed with AMOS in the thesis. "
          "The example answers are generated (the thesis prints none).")
MAX_RESPONDENTS = 500
EXAMPLE_RESPONDENTS = 300
HEADER_ROW = 7  # 0-based row of the item codes on the Answers sheet
MODEL_ROWS = 20

#: The questionnaire statements (Assagaff 2014, Table 3.1, translated and shortened).
ITEM_TEXT = {
    "X1": "The company helps well with my difficulties (claims, information)", "X2": "The service is tangible and reliable",
    "X3": "Information is given clearly and in detail", "X4": "The agent explains and answers every question in detail",
    "X5": "The premium paid for the insurance is fair", "X6": "Being insured gives me peace of mind",
    "X7": "Being insured raises my standing in society", "X8": "The policy I bought fits my needs",
    "X9": "The company explains the risks when offering a policy", "X10": "The agents are competent and well trained",
    "X11": "The company gives advice in difficult times", "X12": "The company offers the best solution for my needs",
    "X13": "The policy price matches the service", "X14": "The service meets my expectations",
    "X15": "I am satisfied with the benefits", "X16": "I am happy with the company overall",
    "X17": "I will continue my policy with the company", "X18": "I recommend the company's insurance to others",
    "X19": "I keep buying its policies for their quality even when premiums are high",
}


def _example():
    from simulator.survey import LOYALTY_CONSTRUCTS, LOYALTY_MODEL, fit_sem, simulate_loyalty_survey

    data = simulate_loyalty_survey(EXAMPLE_RESPONDENTS, seed=2014)
    return data, LOYALTY_CONSTRUCTS, LOYALTY_MODEL, fit_sem(data, LOYALTY_MODEL)


def build(workbook, styles: Styles, runtime) -> dict:
    data, constructs, model_text, fit = _example()

    def new_sheet(name, **kwargs):
        return SheetWriter(workbook, styles, runtime, name, **kwargs)

    about = new_sheet("About", tab_color="#1F4E79")
    answers = new_sheet("Answers", tab_color="#FFC000")
    model = new_sheet("Model", tab_color="#FFC000")
    items = list(data.columns)
    data_range = _answers(answers, data, constructs)
    model_range, convention = _model(model, model_text)
    args = (data_range, model_range, convention)
    fit_sheet = new_sheet("Fit")
    _fit(fit_sheet, fit, args)
    estimates = new_sheet("Estimates")
    _table(estimates, "Estimates (AMOS: regression weights, covariances, variances)",
           "Unstandardized estimate, S.E., C.R. = estimate / S.E., two-tailed P; Std. Estimate is the standardized weight or correlation.",
           "SQ_SEM_ESTIMATES", args + ('"ML"',), len(fit.estimates_frame()) + 1, ["text", "text", "score3", "score3", "score3", "score3", "score3", "text", "text"],
           (20, 24, 11, 11, 11, 11, 13, 10, 34))
    effects = new_sheet("Effects")
    last = _table(effects, "Direct, indirect and total effects between the constructs",
                  "Total = direct + indirect; Std. = standardized with the model-implied standard deviations (AMOS's standardized effects).",
                  "SQ_SEM_EFFECTS", args, len(fit.effects_frame()) + 1, ["text", "text"] + ["score3"] * 6, (14, 14, 11, 11, 11, 12, 13, 12))
    row = effects.section(last + 2, "Sobel, Aroian and Goodman tests of the intervening paths", width=13)
    effects.spill(row, 0, "SQ_SEM_SOBEL", *args, shape=(len(fit.indirect_tests_frame()) + 1, 13), kinds=["text"] + ["score3"] * 12)
    effects.finish(freeze_row=4)
    reliability = new_sheet("Reliability")
    rel = fit.reliability()
    last = _table(reliability, "Construct reliability (CR), variance extracted (AVE), Fornell-Larcker",
                  "CR >= 0.70, AVE >= 0.50 (Hair et al.); Fornell-Larcker: sqrt(AVE) above the construct's largest correlation.",
                  "SQ_SEM_RELIABILITY", args, len(rel.table) + 1, ["text", "count", "score3", "text", "score3", "text", "score3", "score3", "text"],
                  (12, 11, 9, 11, 9, 11, 10, 10, 15))
    row = reliability.section(last + 2, "Discriminant validity: HTMT (Henseler et al. 2015), below 0.85", width=9)
    reliability.spill(row, 0, "SQ_SEM_HTMT", *args, shape=(len(rel.htmt_pairs) + 1, 3), kinds=["text", "score3", "text"])
    reliability.finish(freeze_row=4)
    diagnostics = new_sheet("Diagnostics")
    last = _table(diagnostics, "Assessment of normality (AMOS)",
                  "Skew and kurtosis with critical ratios (|c.r.| <= 2.58 at 1%); last row: Mardia's multivariate kurtosis.",
                  "SQ_SEM_NORMALITY", args, len(items) + 2, ["text", "count", "count", "score3", "score3", "score3", "score3", "text"],
                  (14, 9, 9, 9, 11, 10, 13, 10))
    row = diagnostics.section(last + 2, "Observations farthest from the centroid (Mahalanobis d-squared; outlier when p1 < 0.001)", width=8)
    last = diagnostics.spill(row, 0, "SQ_SEM_MAHALANOBIS", data_range, model_range, 10, convention, shape=(11, 5),
                             kinds=["count", "score3", "ratio4", "ratio4", "text"])[0]
    row = diagnostics.section(last + 2, "Modification indices (M.I. >= 4, largest first)", width=8)
    mi_rows = max(len(fit.modification_indices()), 1) + 1
    diagnostics.spill(row, 0, "SQ_SEM_MODIFICATION", *args, shape=(mi_rows, 3), kinds=["text", "score3", "score3"])
    diagnostics.finish(freeze_row=4)
    about_sheet(
        about, TITLE, SOURCE,
        [
            f"1. Answers: paste your respondents over the example (one per row from row {HEADER_ROW + 2}, items X1..X19 in the columns; room for {MAX_RESPONDENTS}). "
            "The construct and statement above each column follow the thesis' questionnaire (1-10 scale).",
            "2. Model: the thesis' model in lavaan syntax, one statement per cell (=~ measured by, ~ regressed on, ~~ covariance); edit or add lines. "
            "The convention cell chooses AMOS's chi-square (N - 1) or lavaan's (N).",
            "3. Fit: every index with its cut-off and verdict, beside Table 3.2 of the thesis as printed (two signs there are misprints, marked). "
            "Estimates, Effects (with Sobel tests), Reliability and Diagnostics follow.",
            "The example data are drawn from a model of the thesis' shape with chosen population values; they show how the sheets read, not the thesis' results. "
            "roq sem DATA.csv MODEL.txt --bootstrap 2000 --out DIR adds bootstrap intervals and the path diagram.",
        ],
        [answers, model, fit_sheet, estimates, effects, reliability, diagnostics],
    )
    return {}


def _answers(sheet: SheetWriter, data, constructs) -> str:
    row = sheet.title("Answers: one respondent per row (paste over the example)",
                      "Scale 1 (strongly disagree) .. 10 (strongly agree), as in the thesis; a blank answer leaves the respondent out (listwise).")
    sheet.widths(12)
    owner = {item: (code, name) for code, (name, members) in constructs.items() for item in members}
    items = list(data.columns)
    sheet.widths(*([11] * len(items)), first=1)
    sheet.label(HEADER_ROW - 3, 0, "Construct", bold=True)
    sheet.label(HEADER_ROW - 2, 0, "Statement", bold=True)
    sheet.label(HEADER_ROW - 1, 0, "Code", bold=True)
    sheet.ws.set_row(HEADER_ROW - 2, 96)
    for j, item in enumerate(items, start=1):
        code, name = owner[item]
        sheet.ws.write_string(HEADER_ROW - 3, j, f"{name} ({code})", sheet.styles.get("label", "text", wrap=True))
        sheet.ws.write_string(HEADER_ROW - 2, j, ITEM_TEXT[item], sheet.styles.get("label", "text", wrap=True))
        sheet.ws.write_string(HEADER_ROW - 1, j, code, sheet.styles.get("label", "text"))
        sheet.input(HEADER_ROW, j, item, "text")
    sheet.label(HEADER_ROW, 0, "Item", bold=True)
    values = data.to_numpy()
    for i in range(MAX_RESPONDENTS):
        sheet.label(HEADER_ROW + 1 + i, 0, f"R{i + 1}")
        for j in range(len(items)):
            sheet.input(HEADER_ROW + 1 + i, j + 1, int(values[i, j]) if i < len(values) else None, "count")
    sheet.finish(freeze_row=HEADER_ROW + 1, freeze_column=1, header_rows=(HEADER_ROW - 3, HEADER_ROW))
    return area(HEADER_ROW, 1, HEADER_ROW + MAX_RESPONDENTS, len(items), sheet="Answers")


def _model(sheet: SheetWriter, model_text) -> tuple[str, str]:
    row = sheet.title("Model (lavaan syntax, one statement per cell)",
                      "=~ 'is measured by' (first item's loading fixed at 1, as AMOS), ~ 'is regressed on', ~~ covariance; # starts a comment.")
    sheet.widths(70, 14, 60)
    row = sheet.headers(row, 0, ["Statement"])
    first = row
    lines = model_text.strip().splitlines()
    for k in range(MODEL_ROWS):
        sheet.input(row + k, 0, lines[k] if k < len(lines) else None, "text")
    model_range = area(first, 0, first + MODEL_ROWS - 1, 0, sheet="Model")
    row = first + MODEL_ROWS + 1
    sheet.label(row, 0, "Chi-square convention (amos: N - 1, S with divisor N - 1; lavaan: N)", bold=True)
    sheet.input(row, 1, "amos", "text")
    sheet.ws.data_validation(row, 1, row, 1, {"validate": "list", "source": ["amos", "lavaan"]})
    convention = area(row, 1, row, 1, sheet="Model")
    sheet.finish(freeze_row=first)
    return model_range, convention


def _fit(sheet: SheetWriter, fit, args) -> None:
    from simulator.survey import PUBLISHED_TABLE_3_2

    row = sheet.title("Goodness of fit", "Each verdict compares the value with the cut-off beside it (Assagaff 2014 after Ferdinand 2000; NFI, PCLOSE, SRMR added).")
    sheet.widths(22, 14, 16, 10, 4, 18, 46)
    top = row
    sheet.spill(row, 0, "SQ_SEM_FIT", *args, '"ML"', shape=(len(fit.fit_frame()) + 1, 4), kinds=["text", "ratio4", "text", "text"])
    sheet.headers(top, 5, ["Table 3.2 index", "Cut-off as printed"])
    for k, (name, text) in enumerate(PUBLISHED_TABLE_3_2.items(), start=1):
        sheet.published(top + k, 5, name, "text")
        sheet.published(top + k, 6, text, "text")
    sheet.finish(freeze_row=top + 1, header_rows=(top, top))


def _table(sheet: SheetWriter, title, subtitle, function, args, rows, kinds, widths) -> int:
    row = sheet.title(title, subtitle)
    sheet.widths(*widths)
    last, _ = sheet.spill(row, 0, function, *args, shape=(rows, len(kinds)), kinds=kinds)
    if function in ("SQ_SEM_ESTIMATES",):
        sheet.finish(freeze_row=row + 1, header_rows=(row, row))
    return last
