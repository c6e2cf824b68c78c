"""Workbook: a survey template for a new study.

Users describe their items once (Items sheet: code, dimension, text), paste raw answers
(respondents in rows, items in columns) into the Expectations, Perceptions and, optionally,
Importance sheets, and read item statistics, validity and reliability, SERVQUAL gaps, CSI
and IPA on the result sheets, all computed by the add-in's functions from the raw answers.

How the template stays error-free and explains partial data
    The Setup sheet counts the items (k) and, per answers sheet, the respondents (n: the
    last row holding an answer) and checks the data (answers without an item, text, answers
    outside the scale). Every result cell is ``IF(<not ready>, "", <add-in function>)``, so
    an empty template shows blanks, never errors, and each result sheet repeats the status
    lines that say what is missing. Answers that are present but wrong reach the add-in
    function, which names the argument, the row and the column (e.g. ``responses: must be
    numeric, found text 'n/a' in row 3, column 2 of the range``).

Ranges handed to the add-in are ``OFFSET(<paste area>, 0, 0, n, k)``: exactly the answered
rows and the defined items, blanks kept as blanks (``OFFSET`` returns a reference, which
Excel passes cell by cell; array functions such as ``FILTER`` would turn blanks into 0).
"""

from __future__ import annotations

from ._common import LEGEND, SheetWriter, Styles, about_sheet, add_mean_lines, area, cell

__all__ = ["FILE_STEM", "build", "MAX_ITEMS", "MAX_RESPONDENTS", "ANSWER_SHEETS", "FIRST_ANSWER_ROW", "FIRST_ITEM_ROW"]

FILE_STEM = "survey-template"
TITLE = "Survey template: SERVQUAL, CSI and IPA from raw answers"
SOURCE = "Paste your answers; the add-in's SQ_ functions compute the rest (methods.md sections 1-4)."

#: Size of the paste areas (insert rows/columns inside them to grow them: references follow).
MAX_ITEMS = 30
MAX_RESPONDENTS = 300
#: Answers sheets and the names of their respondent counts.
ANSWER_SHEETS = ("Expectations", "Perceptions", "Importance")
#: 0-based row of the first respondent on an answers sheet, and of the first item on Items.
FIRST_ANSWER_ROW = 6
FIRST_ITEM_ROW = 5
FIRST_ANSWER_COLUMN = 1  # column B

SERVQUAL_DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
RESULT_GAP = MAX_ITEMS + 5  # rows between stacked result tables (a table has at most k + 1 rows)


def _block(sheet: str) -> str:
    """The whole paste area of an answers sheet (absolute)."""
    return area(FIRST_ANSWER_ROW, FIRST_ANSWER_COLUMN, FIRST_ANSWER_ROW + MAX_RESPONDENTS - 1, FIRST_ANSWER_COLUMN + MAX_ITEMS - 1, sheet=sheet)


def _answers(sheet: str) -> str:
    """The answered part of an answers sheet: n respondents x k items."""
    return f"OFFSET({_block(sheet)},0,0,n_{sheet.lower()},k_items)"


ITEMS = f"OFFSET({area(FIRST_ITEM_ROW, 0, FIRST_ITEM_ROW + MAX_ITEMS - 1, 0, sheet='Items')},0,0,k_items,1)"
DIMENSIONS = f"OFFSET({area(FIRST_ITEM_ROW, 1, FIRST_ITEM_ROW + MAX_ITEMS - 1, 1, sheet='Items')},0,0,k_items,1)"


def build(workbook, styles: Styles, runtime) -> dict:
    legend = [entry for entry in LEGEND if entry[0] != "published"]  # a new study has no published figures

    def new_sheet(name, **kwargs):
        return SheetWriter(workbook, styles, runtime, name, legend=legend, **kwargs)

    about = new_sheet("About", tab_color="#1F4E79")
    setup = new_sheet("Setup", tab_color="#FFC000")
    items = new_sheet("Items", tab_color="#FFC000")
    answer_sheets = [new_sheet(name, tab_color="#FFC000") for name in ANSWER_SHEETS]
    key = _setup(setup, workbook)
    _items(items)
    for sheet in answer_sheets:
        _answer_sheet(sheet)
    stats = new_sheet("Item statistics")
    _item_statistics(stats, key)
    validity = new_sheet("Validity and reliability")
    _validity(validity, key)
    servqual = new_sheet("SERVQUAL")
    key.update(_servqual(servqual, key))
    csi = new_sheet("CSI")
    key.update(_csi(csi, key))
    ipa = new_sheet("IPA")
    _ipa(ipa, key, workbook)
    about_sheet(
        about,
        TITLE,
        SOURCE,
        [
            "1. Setup: your scale (default 1..5), the significance level and the reliability threshold. 2. Items: one row per item (code, dimension, text).",
            f"3. Paste raw answers into Expectations and Perceptions (and Importance, optional): respondents in rows from row {FIRST_ANSWER_ROW + 1}, items in columns from B in the Items order; a blank cell is an unanswered question, never a 0.",
            "4. Read the results: Item statistics, Validity and reliability, SERVQUAL (gap 5 per item and dimension), CSI (importance = the Importance sheet, or the expectations when it is empty, as in Pole, Isharyani & Widada's claims case) and IPA.",
            f"Room for {MAX_ITEMS} items and {MAX_RESPONDENTS} respondents; insert rows or columns inside the yellow areas to grow them. The Setup sheet says what is missing or wrong; empty results stay blank.",
        ],
        [setup, items, *answer_sheets, stats, validity, servqual, csi, ipa],
    )
    return key


# --------------------------------------------------------------------------- Setup


def _setup(sheet: SheetWriter, workbook) -> dict:
    row = sheet.title("Setup and data checks", "Your scale and thresholds (yellow), and what the template found in your data.")
    sheet.widths(44, 14, 110)  # the status messages are one line each
    header_row = row
    row = sheet.headers(row, 0, ["Setting", "Value", "Note"])
    names = {}

    def setting(name, label, value, kind, note):
        nonlocal row
        sheet.label(row, 0, label)
        sheet.input(row, 1, value, kind)
        sheet.note(row, 2, note, italic=True)
        workbook.define_name(name, f"=Setup!{cell(row, 1, absolute_ref=True)}")
        names[name] = sheet.ref(row, 1, qualified=True)
        row += 1

    setting("study_name", "Study", "", "text", "A name for your reference (optional).")
    setting("scale_min", "Lowest answer on the scale", 1, "count", "E.g. 1 on a 1..5 Likert scale.")
    setting("scale_max", "Highest answer on the scale", 5, "count", "E.g. 5; the CSI divides by this (HS).")
    setting("alpha_level", "Significance level for item validity", 0.05, "pct0", "Two-tailed; an item is valid when its corrected item-total r exceeds the critical r.")
    setting("reliability_threshold", "Reliability threshold (Cronbach's alpha)", 0.6, "ratio", "The scale is reliable when alpha exceeds it (0.60 in Pole, Isharyani & Widada's claims case).")
    row += 1
    row = sheet.section(row, "What the template found", width=3)
    row = sheet.headers(row, 0, ["Check", "Count", "Status"])

    codes = area(FIRST_ITEM_ROW, 0, FIRST_ITEM_ROW + MAX_ITEMS - 1, 0, sheet="Items")
    dims = area(FIRST_ITEM_ROW, 1, FIRST_ITEM_ROW + MAX_ITEMS - 1, 1, sheet="Items")
    status = {}

    def check(name, label, count_formula, status_formula):
        nonlocal row
        sheet.label(row, 0, label)
        sheet.excel(row, 1, count_formula, "count")
        if name:
            workbook.define_name(name, f"=Setup!{cell(row, 1, absolute_ref=True)}")
        sheet.excel(row, 2, status_formula, "text")
        status[label] = sheet.ref(row, 2, qualified=True)
        row += 1

    check(
        "k_items",
        "Items (Items sheet)",
        f"COUNTA({codes})",
        f'IF(k_items=0,"No items yet: enter the item codes on the Items sheet, one per row from row {FIRST_ITEM_ROW + 1}.",'
        f'IF(INDEX({codes},k_items)="","Item codes must fill consecutive rows from row {FIRST_ITEM_ROW + 1}: there is a blank row in between.",'
        f'"OK: "&k_items&" items"))',
    )
    check(
        "n_dimensions",
        "Items with a dimension",
        f"COUNTA({dims})",
        f'IF(k_items=0,"",IF(n_dimensions=0,"No dimensions: SERVQUAL per dimension stays empty (optional).",'
        f'IF(n_dimensions<>k_items,k_items-n_dimensions&" items have no dimension: give every item one (or none).","OK: every item has a dimension")))',
    )
    for sheet_name in ANSWER_SHEETS:
        n = f"n_{sheet_name.lower()}"
        full = _block(sheet_name)
        empty = (
            f'"Empty: the CSI and IPA use the expectations as importance (as Pole, Isharyani & Widada did)."'
            if sheet_name == "Importance"
            else f'"No answers yet: paste them on the {sheet_name} sheet (respondents in rows from row {FIRST_ANSWER_ROW + 1}, items in columns from B)."'
        )
        check(
            n,
            f"Respondents on {sheet_name}",
            # the last row holding anything (respondents are rows; blank rows inside count as unanswered)
            f"MAX(0,SUMPRODUCT(MAX((LEN({full})>0)*ROW({full})))-ROW({cell(FIRST_ANSWER_ROW, FIRST_ANSWER_COLUMN, absolute_ref=True, sheet=sheet_name)})+1)",
            f"IF({n}=0,{empty},"
            f'IF(k_items=0,"Answers found but no items: enter the item codes on the Items sheet.",'
            f'IF(COUNT({full})>COUNT({_answers(sheet_name)}),"Answers right of item "&k_items&": every answer column needs an item code on the Items sheet.",'
            f'IF(COUNTA({full})>COUNT({full}),COUNTA({full})-COUNT({full})&" cells hold text instead of a number: the results show which one.",'
            f'IF(OR(MIN({full})<scale_min,MAX({full})>scale_max),"Some answers lie outside "&scale_min&".."&scale_max&": the results show which one.",'
            f'"OK: "&{n}&" respondents x "&k_items&" items")))))',
        )
    check(
        "",
        "Pairing of expectations and perceptions",
        "n_expectations-n_perceptions",
        'IF(AND(n_expectations>0,n_perceptions>0,n_expectations<>n_perceptions),'
        '"Different numbers of respondents: the gaps compare item means (the usual SERVQUAL reading).","")',
    )
    row += 1
    row = sheet.section(row, "Ready to compute (used by the result sheets)", width=3)
    row = sheet.headers(row, 0, ["Flag", "Value", "Meaning"])

    def flag(name, formula, meaning):
        nonlocal row
        sheet.label(row, 0, name)
        sheet.excel(row, 1, formula, "general")
        workbook.define_name(name, f"=Setup!{cell(row, 1, absolute_ref=True)}")
        sheet.note(row, 2, meaning, italic=True)
        row += 1

    flag("ready_expectations", "AND(k_items>0,n_expectations>0)", "Items and expectation answers are there.")
    flag("ready_perceptions", "AND(k_items>0,n_perceptions>0)", "Items and perception answers are there.")
    flag("ready_importance", "AND(k_items>0,n_importance>0)", "The Importance sheet has answers (else importance = expectations).")
    flag("ready_servqual", "AND(ready_expectations,ready_perceptions)", "Expectations and perceptions are there: gaps, CSI and IPA.")
    flag("ready_dimensions", "AND(ready_servqual,n_dimensions=k_items)", "Every item has a dimension: gaps per dimension.")
    sheet.label(row, 0, "Importance used by CSI and IPA")
    sheet.excel(row, 1, 'IF(ready_importance,"Importance","Expectations")', "text")
    sheet.label(row, 2, "")
    status["importance_source"] = sheet.ref(row, 1, qualified=True)
    sheet.finish(freeze_row=header_row + 1, header_rows=(header_row, header_row))
    return {"status": status, **names}


# --------------------------------------------------------------------------- Items and answers


def _items(sheet: SheetWriter) -> None:
    sheet.title("Items", f"One row per item, from row {FIRST_ITEM_ROW + 1}, in the order of the answer columns (B, C, ...).")
    sheet.widths(14, 20, 60)
    sheet.headers(FIRST_ITEM_ROW - 1, 0, ["Item code", "Dimension (optional)", "Item text (optional)"])
    for column, kind in ((0, "text"), (1, "text"), (2, "text")):
        for offset in range(MAX_ITEMS):
            sheet.input(FIRST_ITEM_ROW + offset, column, None, kind)
    sheet.ws.data_validation(
        FIRST_ITEM_ROW,
        1,
        FIRST_ITEM_ROW + MAX_ITEMS - 1,
        1,
        {"validate": "list", "source": list(SERVQUAL_DIMENSIONS), "show_error": False, "input_title": "Dimension", "input_message": "A SERVQUAL dimension, or any label of your own."},
    )
    sheet.note(FIRST_ITEM_ROW + MAX_ITEMS + 1, 0, "Dimensions group the items for SERVQUAL per dimension (tangibles, reliability, responsiveness, assurance, empathy, or your own).", italic=True, last_column=2)
    sheet.finish(freeze_row=FIRST_ITEM_ROW, header_rows=(FIRST_ITEM_ROW - 1, FIRST_ITEM_ROW - 1), portrait=True)


def _answer_sheet(sheet: SheetWriter) -> None:
    name = sheet.name
    purpose = {
        "Expectations": "What respondents expect of an excellent service (SERVQUAL E).",
        "Perceptions": "How respondents rate the service they received (SERVQUAL P).",
        "Importance": "Optional: how important each item is (CSI MIS, IPA importance). Leave empty to use the expectations.",
    }[name]
    sheet.title(f"{name}: raw answers", f"{purpose} Paste respondents in rows from row {FIRST_ANSWER_ROW + 1}, items in columns from B (column A: respondent ID, optional); blank = unanswered.")
    header_row = FIRST_ANSWER_ROW - 2
    sheet.ws.write_string(header_row, 0, "Item code >", sheet.styles.header)
    sheet.ws.write_string(header_row + 1, 0, "Dimension >", sheet.styles.get("label", "text", bold=True))
    first, last = FIRST_ANSWER_COLUMN, FIRST_ANSWER_COLUMN + MAX_ITEMS - 1
    for offset, (column, style) in enumerate(((0, sheet.styles.header), (1, sheet.styles.get("excel", "text")))):
        source = area(FIRST_ITEM_ROW, column, FIRST_ITEM_ROW + MAX_ITEMS - 1, column, sheet="Items")
        sheet.ws.write_dynamic_array_formula(header_row + offset, first, header_row + offset, last, f'=TRANSPOSE(IF({source}="","",{source}))', style)
    # the paste area: formatted by column, so an empty template holds no cells
    sheet.ws.set_column(0, 0, 16, sheet.styles.get("input", "text"))
    sheet.ws.set_column(FIRST_ANSWER_COLUMN, FIRST_ANSWER_COLUMN + MAX_ITEMS - 1, 7, sheet.styles.get("input", "count"))
    sheet.ws.set_column(FIRST_ANSWER_COLUMN + MAX_ITEMS, FIRST_ANSWER_COLUMN + MAX_ITEMS, 3)
    for row in range(FIRST_ANSWER_ROW):  # title and header rows: not part of the yellow paste area
        sheet.ws.set_row(row, None, sheet.styles.get("plain", "general"))
    sheet.ws.data_validation(
        FIRST_ANSWER_ROW,
        FIRST_ANSWER_COLUMN,
        FIRST_ANSWER_ROW + MAX_RESPONDENTS - 1,
        last,
        {
            "validate": "integer",
            "criteria": "between",
            "minimum": "=scale_min",
            "maximum": "=scale_max",
            "error_type": "warning",
            "error_title": "Outside the scale",
            "error_message": "Answers are whole numbers on the scale set on the Setup sheet; leave a cell blank for an unanswered question.",
        },
    )
    sheet.last_row = FIRST_ANSWER_ROW + 1  # plan the pages of the headers and a first row; the print area grows with the answers
    sheet.last_column = last
    # print the answered rows and the defined items only (an empty template: the headers), not 300 empty rows
    printed = f"OFFSET({sheet.ref(0, 0, qualified=True)},0,0,{FIRST_ANSWER_ROW}+MAX(1,n_{name.lower()}),1+MAX(1,k_items))"
    sheet.finish(freeze_row=FIRST_ANSWER_ROW, freeze_column=1, header_rows=(header_row, header_row + 1), print_area=printed, repeat=True)


# --------------------------------------------------------------------------- results


def _status_lines(sheet: SheetWriter, key: dict, labels) -> int:
    """Repeat the Setup checks that matter for this sheet; returns the next free row."""
    row = 3
    for label in labels:
        sheet.ws.write_formula(row, 0, f'=IF({key["status"][label]}="","",{key["status"][label]})', sheet.styles.status)
        row += 1
    return row + 1


def _table_formats(sheet: SheetWriter, header_row: int, first_column: int, width: int, kinds, rows: int = MAX_ITEMS) -> None:
    """Column number formats, the header style and cell borders for a table whose size depends on the data.

    Conditional formats ("no blanks"), so the styles appear with the spilled results and
    an empty template shows nothing.
    """
    for offset, kind in enumerate(kinds):
        sheet.column_format(first_column + offset, sheet.styles.get("plain", kind))
    last_column = first_column + width - 1
    sheet.ws.set_row(header_row, None, sheet.styles.wrap_row)  # long header labels wrap; the row fits them
    sheet.ws.conditional_format(header_row, first_column, header_row, last_column, {"type": "no_blanks", "format": sheet.styles.header_when_filled})
    sheet.ws.conditional_format(header_row + 1, first_column, header_row + rows, last_column, {"type": "no_blanks", "format": sheet.styles.border_when_filled})


def _result(sheet: SheetWriter, row: int, column: int, condition: str, function: str, *arguments, kind="general") -> str:
    """An add-in result that stays blank until ``condition`` holds (a dynamic array)."""
    formula = f'IF(NOT({condition}),"",{sheet.runtime.call(function, *arguments)})'
    sheet.ws.write_dynamic_array_formula(row, column, row, column, "=" + formula, sheet.styles.get("addin", kind))
    sheet._used(row, column)
    return sheet.ref(row, column)


def _scalar(sheet: SheetWriter, row: int, column: int, condition: str, function: str, *arguments, kind="general") -> str:
    formula = f'IF(NOT({condition}),"",{sheet.runtime.call(function, *arguments)})'
    sheet.ws.write_formula(row, column, "=" + formula, sheet.styles.get("addin", kind, bold=True))
    sheet._used(row, column)
    return sheet.ref(row, column)


def _item_statistics(sheet: SheetWriter, key: dict) -> None:
    sheet.title("Item statistics", "N valid, N missing, mean, SD and the count of each answer, per item (=SQ_ITEM_STATS).", legend=True)
    row = _status_lines(sheet, key, ["Items (Items sheet)", "Respondents on Expectations", "Respondents on Perceptions", "Respondents on Importance"])
    sheet.widths(14, 9, 10, 9, 9)
    first = row
    for sheet_name in ANSWER_SHEETS:
        sheet.ws.write_string(row, 0, sheet_name, sheet.styles.section)
        _result(
            sheet, row + 1, 0, f"ready_{sheet_name.lower()}", "SQ_ITEM_STATS", _answers(sheet_name), "scale_min", "scale_max", ITEMS, kind="text"
        )
        _table_formats(sheet, row + 1, 0, 16, ["text", "count", "count", "score", "score"] + ["count"] * 11)
        row += RESULT_GAP
    sheet.last_row = row
    sheet.last_column = 15
    sheet.finish(freeze_row=3, print_area=_results_print_area(sheet, first))


def _results_print_area(sheet: SheetWriter, first_table_row: int) -> str:
    """Print area of a sheet of stacked result tables: all of them, or only the status lines while there are no items."""
    short, full = first_table_row + 3, sheet.last_row + 1
    # Excel evaluates a computed print area; LibreOffice (7.4) ignores it and prints the used range,
    # i.e. the later tables' headings too (one page more per sheet, within the documented bound)
    rows = f"{short}+{full - short}*SIGN(k_items)"
    return f"OFFSET({sheet.ref(0, 0, qualified=True)},0,0,{rows},{sheet.last_column + 1})"


def _validity(sheet: SheetWriter, key: dict) -> None:
    sheet.title("Validity and reliability", "Corrected item-total r against the critical r (=SQ_VALIDITY); Cronbach's alpha (=SQ_ALPHA, SQ_ALPHA_TABLE).")
    row = _status_lines(sheet, key, ["Items (Items sheet)", "Respondents on Expectations", "Respondents on Perceptions"])
    sheet.widths(14, 12, 12, 12, 12, 3, 14, 14, 14, 14, 14)
    first = row
    for column, kind in enumerate(["text", "score3", "score3", "score3", "text", "general", "text", "score", "score", "score3", "score3"]):
        sheet.column_format(column, sheet.styles.get("plain", kind))
    for sheet_name in ("Expectations", "Perceptions"):
        ready = f"ready_{sheet_name.lower()}"
        answers = _answers(sheet_name)
        sheet.ws.write_string(row, 0, sheet_name, sheet.styles.section)
        sheet.label(row + 1, 0, "Cronbach's alpha")
        _scalar(sheet, row + 1, 1, ready, "SQ_ALPHA", answers, '"listwise"', "scale_min", "scale_max", kind="score3")
        sheet.label(row + 1, 2, "Verdict")
        _scalar(sheet, row + 1, 3, ready, "SQ_ALPHA_VERDICT", answers, "reliability_threshold", '"listwise"', "scale_min", "scale_max", kind="text")
        sheet.label(row + 2, 0, "Critical r")
        _scalar(sheet, row + 2, 1, f"AND({ready},n_{sheet_name.lower()}>=3)", "SQ_R_CRITICAL", f"n_{sheet_name.lower()}", "alpha_level", kind="score3")
        sheet.note(row + 2, 2, "for all n respondents; the validity table uses the respondents without a blank (listwise).", italic=True, last_column=8)
        _result(sheet, row + 4, 0, ready, "SQ_VALIDITY", answers, "alpha_level", '"corrected"', "scale_min", "scale_max", ITEMS, kind="text")
        _table_formats(sheet, row + 4, 0, 5, ["text"])
        _result(sheet, row + 4, 6, ready, "SQ_ALPHA_TABLE", answers, '"listwise"', "reliability_threshold", "scale_min", "scale_max", ITEMS, kind="text")
        _table_formats(sheet, row + 4, 6, 5, ["text"])
        row += RESULT_GAP + 2
    sheet.last_row = row
    sheet.last_column = 10
    sheet.finish(freeze_row=3, print_area=_results_print_area(sheet, first))


def _servqual(sheet: SheetWriter, key: dict) -> dict:
    sheet.title("SERVQUAL gap 5: perception - expectation", "Most negative gap = first priority (=SQ_GAP5, SQ_GAP5_ITEMS, SQ_GAP5_DIMENSIONS).")
    row = _status_lines(sheet, key, ["Items (Items sheet)", "Items with a dimension", "Respondents on Expectations", "Respondents on Perceptions", "Pairing of expectations and perceptions"])
    sheet.widths(14, 12, 12, 10, 9, 3, 3, 16, 8, 12, 12, 10, 9)
    # per item (no dimension column: dimensions go to the table on the right) | per dimension
    for column, kind in enumerate(["text", "score", "score", "gap", "count", "general", "general", "text", "count", "score", "score", "gap", "count"]):
        sheet.column_format(column, sheet.styles.get("plain", kind))
    perception, expectation = _answers("Perceptions"), _answers("Expectations")
    sheet.label(row, 0, "Gap 5 overall")
    overall = _scalar(sheet, row, 1, "ready_servqual", "SQ_GAP5", perception, expectation, "scale_min", "scale_max", kind="gap")
    row += 2
    sheet.ws.write_string(row, 0, "Per item", sheet.styles.section)
    sheet.ws.write_string(row, 7, "Per dimension", sheet.styles.section)
    items_anchor = _result(
        sheet, row + 1, 0, "ready_servqual", "SQ_GAP5_ITEMS", perception, expectation, "", ITEMS, "scale_min", "scale_max", kind="text"
    )
    _table_formats(sheet, row + 1, 0, 5, ["text"])
    _result(sheet, row + 1, 7, "ready_dimensions", "SQ_GAP5_DIMENSIONS", perception, expectation, DIMENSIONS, "scale_min", "scale_max", kind="text")
    _table_formats(sheet, row + 1, 7, 6, ["text"])
    sheet.last_row = row + MAX_ITEMS + 2
    sheet.last_column = 12
    sheet.finish(freeze_row=3)
    return {"gap5_overall": f"SERVQUAL!{overall}", "gap5_items": f"SERVQUAL!{items_anchor}"}


def _importance_call(sheet: SheetWriter, function: str, *rest) -> str:
    """The add-in call with importance from the Importance sheet, or the expectations."""
    with_importance = sheet.runtime.call(function, _answers("Importance"), *rest)
    with_expectations = sheet.runtime.call(function, _answers("Expectations"), *rest)
    return f"IF(ready_importance,{with_importance},{with_expectations})"


def _csi(sheet: SheetWriter, key: dict) -> dict:
    sheet.title("Customer Satisfaction Index", "WF = MIS / sum(MIS), WS = WF x MSS, CSI = sum(WS) / HS (=SQ_CSI, SQ_CSI_TABLE, SQ_CSI_BAND).")
    row = _status_lines(sheet, key, ["Items (Items sheet)", "Respondents on Perceptions", "Respondents on Importance"])
    sheet.widths(28, 14, 12, 12, 12)
    for column, kind in enumerate(["text", "score", "score", "pct_points", "score"]):
        sheet.column_format(column, sheet.styles.get("plain", kind))
    perception = _answers("Perceptions")
    sheet.label(row, 0, "Importance taken from")
    sheet.excel(row, 1, key["status"]["importance_source"], "text")
    row += 1
    sheet.label(row, 0, "CSI")
    formula = _importance_call(sheet, "SQ_CSI", perception, "scale_min", "scale_max")
    sheet.ws.write_formula(row, 1, f'=IF(NOT(ready_servqual),"",{formula})', sheet.styles.get("addin", "pct_points", bold=True))
    csi = sheet.ref(row, 1)
    row += 1
    sheet.label(row, 0, "Band")
    sheet.addin(row, 1, "SQ_CSI_BAND", csi, kind="text", wrap_if=f'{csi}=""')
    row += 2
    sheet.ws.write_string(row, 0, "Per item", sheet.styles.section)
    table = _importance_call(sheet, "SQ_CSI_TABLE", perception, ITEMS, "scale_min", "scale_max")
    sheet.ws.write_dynamic_array_formula(row + 1, 0, row + 1, 0, f'=IF(NOT(ready_servqual),"",{table})', sheet.styles.get("addin", "text"))
    _table_formats(sheet, row + 1, 0, 5, ["text"])
    sheet.last_row = row + MAX_ITEMS + 2
    sheet.last_column = 4
    sheet.finish(freeze_row=3)
    return {"csi": f"CSI!{csi}"}


def _ipa(sheet: SheetWriter, key: dict, workbook) -> None:
    sheet.title("Importance-Performance Analysis", "Quadrants split at the means of the item means (=SQ_IPA): I concentrate here, II keep up, III low priority, IV overkill.")
    row = _status_lines(sheet, key, ["Items (Items sheet)", "Respondents on Perceptions", "Respondents on Importance"])
    sheet.widths(14, 12, 13, 14, 10, 26)
    for column, kind in enumerate(["text", "score", "score", "pct_points", "text", "text"]):
        sheet.column_format(column, sheet.styles.get("plain", kind))
    perception = _answers("Perceptions")
    table = _importance_call(sheet, "SQ_IPA", perception, "", "", ITEMS, "scale_min", "scale_max")
    top = row
    sheet.ws.write_dynamic_array_formula(row, 0, row, 0, f'=IF(NOT(ready_servqual),"",{table})', sheet.styles.get("addin", "text"))
    _table_formats(sheet, row, 0, 6, ["text"])
    first, last = top + 1, top + MAX_ITEMS
    counts_column = 7
    sheet.ws.set_column(counts_column, counts_column, 28)
    sheet.ws.set_column(counts_column + 1, counts_column + 1, 10)
    sheet.headers(top, counts_column, ["Quadrant", "Items"])
    for offset, (quadrant, label) in enumerate(
        (("I", "I: concentrate here"), ("II", "II: keep up the good work"), ("III", "III: low priority"), ("IV", "IV: possible overkill")), start=1
    ):
        sheet.label(top + offset, counts_column, label)
        sheet.excel(top + offset, counts_column + 1, f'COUNTIF({area(first, 4, last, 4)},"{quadrant}")', "count")
    # the quadrants' cut lines (the means of the item means), two points each; blank until there are answers
    # (a blank coordinate plots at 0, outside the 1..5 axes: no line)
    guide = top + 6
    sheet.headers(guide, counts_column, ["Chart guide lines", "Performance"])
    sheet.ws.write_string(guide, counts_column + 2, "Importance", sheet.styles.header)
    sheet.ws.set_column(counts_column + 2, counts_column + 2, 11)
    performance, importance = area(first, 2, last, 2), area(first, 1, last, 1)
    mean_performance = f'IF(COUNT({performance})=0,"",AVERAGE({performance}))'
    mean_importance = f'IF(COUNT({importance})=0,"",AVERAGE({importance}))'
    for offset, (label, x, y) in enumerate(
        (
            ("vertical: mean performance", mean_performance, "scale_min"),
            ("", mean_performance, "scale_max"),
            ("horizontal: mean importance", "scale_min", mean_importance),
            ("", "scale_max", mean_importance),
        ),
        start=1,
    ):
        sheet.label(guide + offset, counts_column, label)
        sheet.excel(guide + offset, counts_column + 1, x, "score")
        sheet.excel(guide + offset, counts_column + 2, y, "score")
    sheet.note(guide + 5, counts_column, "The chart's axes show the default 1..5 scale; for another scale change them in Format Axis.", italic=True, last_column=counts_column + 2)
    chart = workbook.add_chart({"type": "scatter"})
    chart.add_series(
        {
            "name": "Items",
            "categories": f"='{sheet.name}'!{performance}",
            "values": f"='{sheet.name}'!{importance}",
            "marker": {"type": "circle", "size": 7, "fill": {"color": "#1F4E79"}, "border": {"color": "#1F4E79"}},
            "data_labels": {"value": True, "custom": [{"value": f"='{sheet.name}'!{cell(r, 0, absolute_ref=True)}"} for r in range(first, last + 1)], "position": "right", "font": {"size": 8}},
        }
    )
    add_mean_lines(chart, sheet, guide + 1, counts_column + 1)
    chart.set_title({"name": "Importance-Performance"})
    chart.set_x_axis({"name": "Performance (perception mean)", "num_format": "0.0", "min": 1, "max": 5, "major_unit": 1})
    chart.set_y_axis({"name": "Importance mean", "num_format": "0.0", "min": 1, "max": 5, "major_unit": 1})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 560, "height": 420})
    sheet.insert_chart(guide + 7, counts_column, chart)
    sheet.last_row = max(sheet.last_row, last)
    sheet.finish(freeze_row=3)

