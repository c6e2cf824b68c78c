"""An xlwings script: run the scenario described in the open workbook, put the report beside it.

Reads the sheet ``Scenario`` (two columns, ``key | value``, the keys of a scenario TOML
file: ``model.churn``, ``uncertain.churn.distribution``, ``run.samples``, ... - see
:func:`simulator.uncertainty.scenario.scenario_from_rows`; without that sheet the
built-in scenario (Singgih's case) is used and written to a new ``Scenario`` sheet to edit), runs the report's analyses
(:func:`simulator.reports.report.compute_report`) and writes the sheet ``ROQ report``:
the result tables as ranges on the left and every chart as a picture on the right. The
sheet is replaced on each run.

How each runtime calls it
    * xlwings Lite / xlwings Server: :func:`roq_report` is an ``@xw.script``; the runtime
      passes the workbook as its ``xw.Book`` argument (and draws a button for it in the
      task pane). Pictures are sent as base64 PNG with the script's other changes.
    * classic add-in (Windows): a button's macro calls
      ``RunPython "import addin.report_script as r; r.main()"``; :func:`main` takes the
      calling workbook from ``xw.Book.caller()``.

Lite installs packages from ``requirements.txt``: the report needs matplotlib (shipped by
Pyodide) besides numpy, pandas and scipy; Sobol' runs without SALib, Morris needs it (it is
skipped with a note if SALib is missing).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import xlwings as xw

from simulator.errors import RoqInputError
from simulator.reports.export import number_formats, table_with_units

__all__ = ["SCENARIO_SHEET", "RESULTS_SHEET", "EXCEL_SAMPLES", "PICTURE_DPI", "scenario_from_book", "result_blocks", "render_pictures",
           "run_report", "roq_report", "main"]

#: Sheet holding the scenario (key | value rows); optional.
SCENARIO_SHEET = "Scenario"
#: Sheet the report is written to (replaced on each run).
RESULTS_SHEET = "ROQ report"
#: Monte Carlo scenarios when the Scenario sheet sets no run.samples (quick in a browser).
EXCEL_SAMPLES = 2**16
#: Picture resolution: a 10 x 5.6 in chart becomes 800 x 448 pixels, about 8 columns x 22 rows.
PICTURE_DPI = 80
_PICTURE_COLUMN = "K"
_PICTURE_ROWS = 25  # rows between slide-sized pictures (448 px at the default 20 px row height, plus a gap); taller ones take more


def _sheet(book, name: str):
    for sheet in book.sheets:
        if sheet.name.casefold() == name.casefold():
            return sheet
    return None


def scenario_from_book(book):
    """The scenario of a workbook's ``Scenario`` sheet, or the built-in one.

    Returns
    -------
    (Scenario, str)
        The scenario and where it came from (for the report's header).
    """
    from simulator.uncertainty.scenario import builtin_scenario, scenario_from_rows

    sheet = _sheet(book, SCENARIO_SHEET)
    if sheet is None:
        # no scenario yet: run the built-in one and leave its rows as a template to edit
        scenario = builtin_scenario().with_run(samples=EXCEL_SAMPLES)
        template = book.sheets.add(SCENARIO_SHEET, after=book.sheets[len(book.sheets) - 1])
        template["A1"].value = scenario.to_rows()
        return scenario, (f"the built-in scenario of Singgih's Return-on-Quality case study of an insurer "
                          f"(written to a new sheet {SCENARIO_SHEET!r} to edit and rerun)")
    rows = sheet.used_range.options(ndim=2).value
    if not rows or all(all(cell is None for cell in row) for row in rows):
        raise RoqInputError(SCENARIO_SHEET, "sheet is empty: put key | value rows there (model.churn | 0.095, ...)")
    keys = {row[0].strip().lower() for row in rows if row and isinstance(row[0], str)}
    scenario = scenario_from_rows(rows, source=f"sheet {SCENARIO_SHEET}")
    if "scenario.name" not in keys:
        scenario.name = f"scenario on sheet {SCENARIO_SHEET!r}"
    if "run.samples" not in keys:
        scenario = scenario.with_run(samples=EXCEL_SAMPLES)
    return scenario, f"sheet {SCENARIO_SHEET!r}"


def result_blocks(data) -> list:
    """The tables written as ranges: (heading, DataFrame) pairs, most important first."""
    import pandas as pd

    mc = data.monte_carlo
    blocks = [("Monte Carlo summary", mc.to_frame().reset_index())]
    one_way = data.one_way.drop(columns=[c for c in ("rank",) if c in data.one_way.columns])
    blocks.append(("One-way sweep (tornado data: inputs at P10 / P90)", one_way))
    if data.sobol is not None:
        blocks.append(("Sobol' indices of ROQ", data.sobol.table))
    if data.morris is not None:
        blocks.append(("Morris screening of ROQ", data.morris.table))
    blocks.append(("Break-even values (ROQ = 1)", data.break_even))
    fan = data.fan.copy()
    blocks.append(("Market share with the programme by year (percentiles)", fan))
    blocks.append(("Scenario inputs", data.scenario.describe_frame()))
    return [(title, frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)) for title, frame in blocks]


def render_pictures(data, directory, dpi: int = PICTURE_DPI) -> list:
    """Draw the report's charts as PNG files in ``directory``; returns (name, path) pairs."""
    from simulator.reports.export import save_figure
    from simulator.reports.report import report_figures

    directory = Path(directory)
    return [(name, save_figure(figure, directory / f"{name}.png", dpi=dpi)) for name, figure in report_figures(data).items()]


def _rows_for(path) -> int:
    """Rows a PNG picture covers at the default 20-pixel row height, plus a gap (charts differ in height)."""
    import struct

    height = struct.unpack(">I", Path(path).read_bytes()[20:24])[0]
    return max(_PICTURE_ROWS, math.ceil(height / 20) + 3)


def _clean(frame):
    """Cells Excel can take: text for arrays, None for NaN (blank cells)."""
    import numpy as np

    out = frame.copy()
    for column in out.columns:
        out[column] = [
            ", ".join(f"{v:g}" for v in np.ravel(value)) if isinstance(value, np.ndarray)
            else (None if isinstance(value, float) and not math.isfinite(value) else value)
            for value in out[column]
        ]
    return out


def _set_formats(sheet, first_row: int, shown, formats: dict) -> None:
    """Number formats of a written table (% for fractions, "Rp" #,##0 for money, 0.000 for ROQ),
    a column at a time, or a cell at a time where the unit is that of the row."""
    from xlwings.utils import col_name

    for j, header in enumerate(shown.columns):
        fmt = formats.get(header)
        if fmt is None or not len(shown):
            continue
        column = col_name(j + 1)
        if isinstance(fmt, str):
            sheet[f"{column}{first_row}:{column}{first_row + len(shown) - 1}"].number_format = fmt
        else:
            for i, cell_format in enumerate(fmt):
                sheet[f"{column}{first_row + i}"].number_format = cell_format


def run_report(book, *, samples: int | None = None, sensitivity_samples: int = 512):
    """Run the workbook's scenario and write the ``ROQ report`` sheet.

    Parameters
    ----------
    book : xlwings.Book
        The open workbook (injected by xlwings Lite / Server, ``Book.caller()`` in the
        classic add-in, ``xw.Book(json=...)`` in tests).
    samples : int, optional
        Overrides the Monte Carlo size.
    sensitivity_samples : int
        Sobol' base sample N (a power of two).

    Returns
    -------
    xlwings.Sheet
        The results sheet.
    """
    from simulator.reports.report import compute_report

    scenario, source = scenario_from_book(book)
    if samples is not None:
        scenario = scenario.with_run(samples=samples)
    data = compute_report(scenario, sensitivity_samples=sensitivity_samples)
    old = _sheet(book, RESULTS_SHEET)
    if old is not None:
        old.delete()
    sheet = book.sheets.add(RESULTS_SHEET, after=book.sheets[len(book.sheets) - 1])
    mc = data.monte_carlo
    sheet["A1"].value = f"ROQ report: {data.title}"
    sheet["A1"].font.bold = True
    p = mc.probability("roq") if "roq" in mc.outputs else math.nan
    sheet["A2"].value = (f"Scenario from {source}; {mc.samples:,} Monte Carlo scenarios (sampler {mc.sampler}, seed {mc.seed}); "
                         f"base ROQ {data.base_roq:.3f}; {data.probability_line() or f'P(ROQ > 1) = {p:.1%}'}")
    row = 4
    for note in data.notes:
        sheet[f"A{row}"].value = note
        row += 1
    currency = scenario.currency or "IDR"
    for title, frame in result_blocks(data):
        sheet[f"A{row}"].value = title
        sheet[f"A{row}"].font.bold = True
        shown = table_with_units(frame, currency)  # headers name their units ("mean (ratio)", "base (Rp)")
        sheet[f"A{row + 1}"].options(index=False).value = _clean(shown)
        _set_formats(sheet, row + 2, shown, number_formats(frame, currency))
        row += len(frame) + 3
    with tempfile.TemporaryDirectory(prefix="roq-report-") as directory:
        top = 1
        for name, path in render_pictures(data, directory):
            sheet.pictures.add(str(path), name=name, anchor=sheet[f"{_PICTURE_COLUMN}{top}"])
            top += _rows_for(path)
    return sheet


@xw.script
def roq_report(book: xw.Book):
    """Run the scenario on the Scenario sheet (or the built-in one); write the ROQ report sheet."""
    run_report(book)


def main():
    """Classic add-in entry point: ``RunPython "import addin.report_script as r; r.main()"``."""
    run_report(xw.Book.caller())
