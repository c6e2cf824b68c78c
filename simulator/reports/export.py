"""Writing charts and reports: PNG / SVG / PDF images and a workbook with native Excel charts.

Every file is written completely to a temporary file in the target directory and then
moved over the target with :func:`os.replace`, so a reader never sees a half-written
file and an interrupted run leaves the previous version in place.

The report workbook (:func:`write_report_workbook`, XlsxWriter) holds the result tables
and *native* Excel charts - tornado, Sobol' bars with confidence intervals, the output
distribution and the market-share fan chart - whose series refer to the table ranges on
the same sheet, so a planner can restyle them, change the numbers or copy them to slides
from Excel.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import atomic_write, prepare_directory
from ..errors import RoqInputError
from .style import (
    COLORS,
    DEFAULT_DPI,
    FRACTION_RULE,
    OKABE_ITO,
    SEQUENCE,
    currency_symbol,
    excel_number_format,
    format_input_value,
    format_percent,
    input_label,
    unit_text,
    value_unit,
)

__all__ = [
    "FORMATS",
    "IMAGE_FORMATS",
    "parse_formats",
    "atomic_write",
    "save_figure",
    "save_figures",
    "write_report_workbook",
    "table_with_units",
    "write_tables_csv",
    "REPORT_PAGE_BOUND",
]

#: Formats a report can be written in.
FORMATS = ("png", "svg", "pdf", "xlsx", "csv")
#: Formats matplotlib renders (one file per chart).
IMAGE_FORMATS = ("png", "svg", "pdf")


def parse_formats(value, argument: str = "--format") -> tuple[str, ...]:
    """Formats from text such as ``"png,svg"`` (or a sequence), checked and de-duplicated.

    Raises
    ------
    RoqInputError
        Naming ``argument`` for an unknown or empty format list.
    """
    if value is None:
        return ("png",)
    items = re.split(r"[,\s]+", value.strip()) if isinstance(value, str) else [str(v) for v in value]
    formats = []
    for item in items:
        key = item.strip().lower().lstrip(".")
        if not key:
            continue
        if key == "jpg" or key not in FORMATS:
            raise RoqInputError(argument, f"unknown format {item!r}; choose from {', '.join(FORMATS)}")
        if key not in formats:
            formats.append(key)
    if not formats:
        raise RoqInputError(argument, f"no format given; choose from {', '.join(FORMATS)}")
    return tuple(formats)


def save_figure(figure, path: str | Path, *, dpi: int = DEFAULT_DPI) -> Path:
    """Save a matplotlib figure as PNG, SVG or PDF (chosen by the file suffix), atomically.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    path : str or Path
        Target file; its suffix (``.png``, ``.svg``, ``.pdf``) sets the format.
    dpi : int
        Raster resolution for PNG (a 10 x 5.6 in chart at 150 dpi is 1500 x 840 pixels);
        vector formats ignore it except for embedded images.

    Returns
    -------
    Path
    """
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in IMAGE_FORMATS:
        raise RoqInputError("path", f"must end in .png, .svg or .pdf, got {path.name!r}")
    if not isinstance(dpi, (int, np.integer)) or isinstance(dpi, bool) or not 20 <= dpi <= 1200:
        raise RoqInputError("dpi", f"must be a whole number between 20 and 1200, got {dpi!r}")
    metadata = {"png": {"Software": "roq-toolkit"}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[kind]
    # Date-free metadata: the same chart gives the same bytes (diff-friendly docs/images)
    return atomic_write(path, lambda temporary: figure.savefig(temporary, format=kind, dpi=int(dpi), metadata=metadata))


def save_figures(figures: Mapping[str, object], out_dir: str | Path, formats=("png",), *, dpi: int = DEFAULT_DPI) -> list[Path]:
    """Save each named figure as ``<out_dir>/<name>.<format>`` for every image format.

    Non-image formats in ``formats`` (``xlsx``) are ignored here. Returns the paths.
    """
    out_dir = prepare_directory(out_dir)
    written = []
    for name, figure in figures.items():
        for kind in formats:
            if kind in IMAGE_FORMATS:
                written.append(save_figure(figure, out_dir / f"{name}.{kind}", dpi=dpi))
    return written


# --------------------------------------------------------------------------- the workbook

#: Chart size on the sheet in pixels (about 20 x 11.4 cm); small charts sit two a row.
_CHART_SIZE = {"width": 760, "height": 430}
_SMALL_CHART = {"width": 470, "height": 290}
#: Rows one chart takes (430 px at the default 20 px row height, plus a gap): a page break
#: follows each chart so no chart is ever split across printed pages.
_CHART_ROWS = 24
_SMALL_ROWS = 16
#: First column of chart helper data (step outlines, reference lines, plotted points): to
#: the right of each sheet's print area, so it feeds the charts without filling pages.
_HELPER_COL = 30
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
#: Printed pages of the report workbook stay at or below this (checked by the tests by
#: rendering the workbook in LibreOffice): chart sheets one chart a page, tables fit to
#: the page width.
REPORT_PAGE_BOUND = 60

#: Header texts of result-table columns (others: underscores become spaces).
_HEADERS = {
    "mean_ci95_halfwidth": "mean 95% CI ±",
    "P_above_threshold": "P(> threshold)",
    "P_above_ci95_halfwidth": "P(> threshold) 95% CI ±",
    "probability_ci95_halfwidth": "probability 95% CI ±",
    "base_case": "base case",
    "ES5": "ES 5% (mean of worst 5%)",
    "mu_star": "μ*",
    "mu_star_conf": "μ* 95% CI ±",
    "mu": "μ",
    "sigma": "σ",
    "S1_conf": "S1 95% CI ±",
    "ST_conf": "ST 95% CI ±",
    "S2_conf": "S2 95% CI ±",
}
#: Columns whose unit is that of the row's input (tables with an ``input`` column).
_INPUT_VALUED = ("base", "low", "high", "mean", "sd", "value", "break_even", "search_low", "search_high", "plausible_low",
                 "plausible_high", "low value", "high value")
#: Columns whose unit is that of the row's output (tables with an ``output`` column).
_OUTPUT_VALUED = ("mean", "sd", "mean_ci95_halfwidth", "min", "P5", "P10", "P25", "P50", "P75", "P90", "P95", "max", "ES5",
                  "threshold", "base_case")


def _cell(value):
    """A Python/numpy value as something XlsxWriter writes (NaN / infinite become blank cells)."""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return ", ".join(f"{v:g}" for v in value.reshape(-1))
    return value


def _header(name: str, unit: str | None, currency: str) -> str:
    text = _HEADERS.get(str(name), str(name).replace("_", " "))
    shown = unit_text(unit, currency) if unit else ""
    return f"{text} ({shown})" if shown and f"({shown})" not in text else text


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Placed:
    """Where a table went: first / last data row and each column's index, by name."""

    def __init__(self, first: int, last: int, columns: dict, width: int):
        self.first, self.last, self.columns, self.width = first, last, columns, width

    def col(self, name) -> int:
        return self.columns[name]


class _Book:
    """A thin wrapper over an XlsxWriter workbook: unit formats, unique sheet names, tables, print setup."""

    def __init__(self, workbook, currency: str, title: str):
        self.workbook = workbook
        self.currency = currency
        self.title_text = title
        self.used: set = set()
        self._formats: dict = {}
        self.header = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "bottom": 1, "text_wrap": True, "valign": "top"})
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.note = workbook.add_format({"italic": True, "font_color": "#555555"})
        self.text = workbook.add_format({"valign": "top"})
        self.bold = workbook.add_format({"bold": True})

    def fmt(self, unit: str):
        """The cell format of a unit kind (see :func:`simulator.reports.style.excel_number_format`)."""
        if unit not in self._formats:
            self._formats[unit] = self.workbook.add_format({"num_format": excel_number_format(unit, self.currency)})
        return self._formats[unit]

    # kept for callers that asked for a kind by name
    @property
    def number(self):
        return self.fmt("number")

    @property
    def percent(self):
        return self.fmt("percent")

    def sheet(self, name: str):
        clean = _SHEET_NAME_BAD.sub("", str(name))[:31] or "Sheet"
        candidate, k = clean, 2
        while candidate.lower() in self.used:
            candidate = f"{clean[:28]} {k}"
            k += 1
        self.used.add(candidate.lower())
        return self.workbook.add_worksheet(candidate), candidate

    def print_setup(self, sheet, *, repeat_header: int | None = None, breaks=(), landscape: bool = True, print_area=None):
        """Page setup every sheet gets: A4, landscape, one page wide, header and page numbers.

        ``repeat_header``: the row repeated on each printed page (table sheets only);
        ``breaks``: rows that start a new page (before each chart, so none is split).
        """
        sheet.set_paper(9)
        if landscape:
            sheet.set_landscape()
        else:
            sheet.set_portrait()
        sheet.fit_to_pages(1, 0)
        sheet.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.6)
        title = self.title_text.replace("&", "&&")
        sheet.set_header(f"&L&8{title[:120]}&R&8&A")
        sheet.set_footer("&C&8Page &P of &N")
        if repeat_header is not None:
            sheet.repeat_rows(repeat_header)
        if breaks:
            sheet.set_h_pagebreaks(sorted({int(b) for b in breaks if b > 0}))
        if print_area is not None:
            sheet.print_area(*print_area)

    def units_of(self, frame: pd.DataFrame, units: Mapping | None = None):
        """The unit of every cell of a table: (column -> unit, key column, row-valued columns).

        Columns are united by their name (:func:`~simulator.reports.style.value_unit`);
        in tables with an ``output`` (``input``) column, the statistic (input-value)
        columns take the unit of the row's output (input), as the Summary and the sweeps need.
        """
        units = dict(units or {})
        key, row_columns = None, ()
        if "output" in frame.columns and "output" not in units:
            key, row_columns = "output", tuple(c for c in _OUTPUT_VALUED if c in frame.columns and c not in units)
        elif "input" in frame.columns and "input" not in units:
            key, row_columns = "input", tuple(c for c in _INPUT_VALUED if c in frame.columns and c not in units)
        column_units = {}
        for name in frame.columns:
            if name in units:
                column_units[name] = units[name]
            elif name in row_columns or name == key:
                column_units[name] = None
            else:
                values = frame[name]
                numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
                column_units[name] = value_unit(name) if numeric else "text"
        return column_units, key, row_columns

    def table(self, sheet, frame: pd.DataFrame, row: int = 0, col: int = 0, *, units: Mapping | None = None) -> _Placed:
        """Write a header row (with units) and the values, each numeric cell in its unit's format."""
        frame = frame.reset_index() if any(n is not None for n in frame.index.names) else frame
        column_units, key, row_columns = self.units_of(frame, units)
        columns = list(frame.columns)
        layout = []  # (kind, name): data column or the "shown in" column of row-united tables
        for name in columns:
            layout.append(("data", name))
            if name == key and row_columns:
                layout.append(("unit", name))
        placed = {}
        row_units = [value_unit(v) if isinstance(v, str) else "number" for v in frame[key]] if key and row_columns else []
        for j, (kind, name) in enumerate(layout):
            c = col + j
            if kind == "unit":
                sheet.write(row, c, "shown in", self.header)
                for i, unit in enumerate(row_units):
                    sheet.write(row + 1 + i, c, unit_text(unit, self.currency) or "number", self.text)
                sheet.set_column(c, c, 9)
                continue
            placed[name] = c
            unit = column_units[name]
            sheet.write(row, c, _header(name, unit if unit not in (None, "text") else None, self.currency), self.header)
            values = frame[name].tolist()
            for i, value in enumerate(values):
                value = _cell(value)
                if value is None:
                    continue  # a blank cell: no #N/A on the page; charts skip blanks
                cell_unit = row_units[i] if unit is None and row_units else unit
                if _is_number(value):
                    if cell_unit in (None, "text"):  # a number in a text column (e.g. Run's settings)
                        cell_unit = "count" if isinstance(value, int) else "number"
                    sheet.write_number(row + 1 + i, c, value, self.fmt(cell_unit))
                else:
                    sheet.write(row + 1 + i, c, value)
            width = max([min(len(_header(name, unit, self.currency)), 22)] + [len(_shown(v)) for v in values[:200]])
            sheet.set_column(c, c, min(max(width + 2, 9), 48))
        return _Placed(row + 1, row + len(frame), placed, len(layout))


def _shown(value) -> str:
    if isinstance(value, float):
        return "" if not math.isfinite(value) else (f"{value:,.0f}" if abs(value) >= 1e5 else f"{value:.4f}")
    return str(value)


def _ref(sheet_name: str, first_row: int, col: int, last_row: int | None = None, last_col: int | None = None) -> str:
    """An absolute A1 range formula for chart series, e.g. ``='Tornado'!$D$2:$D$5``."""
    from xlsxwriter.utility import xl_range_abs

    last_row = first_row if last_row is None else last_row
    last_col = col if last_col is None else last_col
    quoted = "'" + sheet_name.replace("'", "''") + "'"
    return f"={quoted}!{xl_range_abs(first_row, col, last_row, last_col)}"


def _nice_bounds(low: float, high: float, ticks: int = 6) -> tuple[float, float]:
    """Axis limits on round numbers around [low, high] (Excel would start money and ratios at 0)."""
    span = high - low
    if not (math.isfinite(span) and span > 0):
        return low - 0.5, high + 0.5
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return math.floor(low / step) * step, math.ceil(high / step) * step


_GRID = {"visible": True, "line": {"color": "#D9D9D9"}}


def _chart_style(chart, title: str, *, legend: str = "bottom", size=None, subtitle: str | None = None):
    name = title if not subtitle else f"{title}\n{subtitle}"
    chart.set_title({"name": name, "name_font": {"size": 12 if subtitle else 13, "bold": True}})
    chart.set_legend({"position": legend, "font": {"size": 10}} if legend != "none" else {"none": True})
    chart.set_size(size or _CHART_SIZE)
    chart.set_chartarea({"border": {"none": True}})


def _axis_format(unit: str, currency: str) -> str:
    """A compact number format for a chart axis (money in millions / billions)."""
    if unit == "money":
        return f'"{currency_symbol(currency)}" #,##0.0,,," bn"'
    if unit == "percent":
        return "0%" if False else "0.0%"
    if unit in ("ratio", "index"):
        return "0.00"
    return "General"


def _axis_name(name: str, unit: str, currency: str) -> str:
    shown = {"money": f"{currency_symbol(currency)} billion", "percent": "%", "ratio": "ratio", "index": "0-1"}.get(unit, unit_text(unit, currency))
    return f"{input_label(name)} ({shown})" if shown else input_label(name)


def _start_sheet(book: _Book, name: str, heading: str, note: str | None = None):
    """A chart sheet: bold heading in A1, a note in A2; charts from row 3."""
    sheet, name = book.sheet(name)
    sheet.write(0, 0, heading, book.title)
    if note:
        sheet.write(1, 0, note, book.note)
    return sheet, name


def _place(sheet, charts: list, top: int = 3, *, small: bool = False) -> tuple[int, list]:
    """Insert charts from row ``top``, one per printed page (small ones two a row); returns
    (first free row, page-break rows)."""
    breaks = []
    row = top
    if small:
        for k, chart in enumerate(charts):
            r = top + (k // 2) * _SMALL_ROWS
            if k % 2 == 0 and k and (k // 2) % 2 == 0:
                breaks.append(r - 1)
            sheet.insert_chart(r, 0 if k % 2 == 0 else 8, chart, {"x_offset": 5, "y_offset": 5})
        rows = math.ceil(len(charts) / 2) * _SMALL_ROWS
        return top + rows + 1, breaks + [top + rows]
    for k, chart in enumerate(charts):
        if k:
            breaks.append(row - 1)
        sheet.insert_chart(row, 0, chart, {"x_offset": 5, "y_offset": 5})
        row += _CHART_ROWS
    breaks.append(row)
    return row + 1, breaks


def _step_points(low: np.ndarray, high: np.ndarray, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The outline of a histogram as (x, y) points: a scatter chart on a value axis draws it."""
    x = np.concatenate([[low[0]], np.repeat(np.append(low, high[-1]), 2)[1:-1], [high[-1]]])
    y = np.concatenate([[0.0], np.repeat(share, 2), [0.0]])
    return x, y


def _vertical_line(book: _Book, sheet, name: str, chart, row: int, col: int, x: float, top: float, label: str, colour: str,
                   dash: str = "dash", unit: str = "number"):
    """A vertical reference line (two points, x in ``unit``, y a share) written at (row, col) and added to a scatter chart."""
    sheet.write(row, col, f"{label} ({unit_text(unit, book.currency)})" if unit_text(unit, book.currency) else label, book.header)
    sheet.write(row, col + 1, "share (%)", book.header)
    sheet.write_number(row + 1, col, float(x), book.fmt(unit))
    sheet.write_number(row + 2, col, float(x), book.fmt(unit))
    sheet.write_number(row + 1, col + 1, 0.0, book.fmt("percent"))
    sheet.write_number(row + 2, col + 1, float(top), book.fmt("percent"))
    chart.add_series({
        "name": label,
        "categories": _ref(name, row + 1, col, row + 2),
        "values": _ref(name, row + 1, col + 1, row + 2),
        "line": {"color": colour, "width": 1.75, "dash_type": dash},
        "marker": {"type": "none"},
    })


def _histogram_chart(book: _Book, sheet, name: str, low, high, counts, *, output: str, row: int, col: int,
                     threshold=None, threshold_label=None, band=None, title: str, subtitle: str | None = None, cumulative: bool = True):
    """Histogram on a value axis (scatter chart: step outline per bin) with the threshold line,
    the P5 / P95 band edges and the cumulative share; the table goes at (row, col)."""
    unit = value_unit(output)
    low, high, counts = (np.asarray(a, dtype=float) for a in (low, high, counts))
    share = counts / counts.sum()
    x, y = _step_points(low, high, share)
    steps = pd.DataFrame({output: x, "share of scenarios": y})
    placed = book.table(sheet, steps, row, col, units={output: unit, "share of scenarios": "percent"})
    chart = book.workbook.add_chart({"type": "scatter", "subtype": "straight"})
    chart.add_series({
        "name": "share of scenarios per bin",
        "categories": _ref(name, placed.first, col, placed.last),
        "values": _ref(name, placed.first, col + 1, placed.last),
        "line": {"color": COLORS["main"], "width": 2.0},
        "marker": {"type": "none"},
    })
    top = float(share.max()) * 1.1
    helper_col = col + 3
    helper_row = row
    if band is not None:
        for value, label in zip(band, ("P5", "P95")):
            _vertical_line(book, sheet, name, chart, helper_row, helper_col, value, top, label, OKABE_ITO["sky_blue"], "round_dot", unit)
            helper_row += 4
    if threshold is not None:
        _vertical_line(book, sheet, name, chart, helper_row, helper_col, threshold, top, threshold_label or f"{input_label(output)} = {threshold:g}",
                       COLORS["threshold"], "dash", unit)
        helper_row += 4
    if cumulative:
        cum = pd.DataFrame({f"{output} (bin end)": high, "cumulative": np.cumsum(share)})
        cum_placed = book.table(sheet, cum, row, helper_col + 3, units={f"{output} (bin end)": unit, "cumulative": "percent"})
        chart.add_series({
            "name": "cumulative probability (right axis)",
            "categories": _ref(name, cum_placed.first, helper_col + 3, cum_placed.last),
            "values": _ref(name, cum_placed.first, helper_col + 4, cum_placed.last),
            "y2_axis": True,
            "line": {"color": COLORS["text"], "width": 1.5},
            "marker": {"type": "none"},
        })
        chart.set_y2_axis({"name": "Cumulative probability", "num_format": "0%", "min": 0, "max": 1})
    values = list(x) + ([threshold] if threshold is not None else [])
    lo, hi = _nice_bounds(float(np.min(values)), float(np.max(values)))
    _chart_style(chart, title, subtitle=subtitle)
    chart.set_x_axis({"name": _axis_name(output, unit, book.currency), "min": lo, "max": hi, "num_format": _axis_format(unit, book.currency),
                      "major_gridlines": {"visible": False}})
    chart.set_y_axis({"name": "Share of scenarios", "num_format": "0%", "min": 0, "major_gridlines": _GRID})
    return chart


def _tornado_sheet(book: _Book, tornado: pd.DataFrame, base_output: float, output: str, subtitle: str | None = None):
    """One-way sweep table and a native tornado (bar chart crossing at the base output)."""
    sheet, name = _start_sheet(book, "Tornado", f"Tornado: {input_label(output)} with one input at its low / high value",
                               "Each input at the P10 / P90 of its distribution, the others at base; largest swing on top.")
    frame = tornado.copy()
    frame["swing"] = (frame["output_high"] - frame["output_low"]).abs()
    frame = frame.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    label = input_label(output)
    unit = value_unit(output)
    table = pd.DataFrame({
        "input": [input_label(n) for n in frame["input"]],
        f"{label} at low": frame["output_low"].astype(float),
        f"{label} at high": frame["output_high"].astype(float),
        "swing": frame["swing"].astype(float),
        "low value": frame["low"].astype(float),
        "high value": frame["high"].astype(float),
        "low (shown)": [format_input_value(n, v, book.currency) for n, v in zip(frame["input"], frame["low"])],
        "high (shown)": [format_input_value(n, v, book.currency) for n, v in zip(frame["input"], frame["high"])],
        "name": frame["input"],
    })
    # the input's own values take the row's unit: the key is the model name in the last column
    units = {f"{label} at low": unit, f"{label} at high": unit, "swing": unit, "input": "text"}
    start = 3 + _CHART_ROWS
    placed = _rows_by_input(book, sheet, table, start, units)
    first, last = placed.first, placed.last
    sheet.write(last + 2, 0, f"Base {label}", book.header)
    sheet.write_number(last + 2, 1, float(base_output), book.fmt(unit))
    sheet.write(last + 3, 0, "The chart's vertical axis crosses the value axis at the base value, so the bars start there.", book.note)
    chart = book.workbook.add_chart({"type": "bar"})
    for column, colour, text_column, series_name in ((1, COLORS["low"], 6, "input at its low value"), (2, COLORS["high"], 7, "input at its high value")):
        chart.add_series({
            "name": series_name,
            "categories": _ref(name, first, 0, last),
            "values": _ref(name, first, placed.col(table.columns[column]), last),
            "fill": {"color": colour},
            "border": {"none": True},
            "overlap": 100,
            "gap": 60,
            "data_labels": {"value": False, "custom": [{"value": _ref(name, r, placed.col(table.columns[text_column]))} for r in range(first, last + 1)],
                            "position": "outside_end", "font": {"size": 9}},
        })
    _chart_style(chart, f"Tornado: {label} with one input at its low / high value", subtitle=subtitle)
    values = np.concatenate([table.iloc[:, 1].to_numpy(float), table.iloc[:, 2].to_numpy(float), [float(base_output)]])
    low, high = _nice_bounds(float(np.nanmin(values)), float(np.nanmax(values)))
    chart.set_x_axis({"name": f"{label} (ratio)" if output in ("roq", "roq_net") else label, "crossing": float(base_output),
                      "min": low, "max": high, "num_format": "0.00", "major_gridlines": _GRID})
    # largest swing on top; the value axis stays at the bottom; labels left of the plot
    chart.set_y_axis({"reverse": True, "crossing": "max", "label_position": "low", "major_tick_mark": "none"})
    _, breaks = _place(sheet, [chart])
    book.print_setup(sheet, breaks=breaks, print_area=(0, 0, last + 3, max(placed.width, 11)))
    return name


def _rows_by_input(book: _Book, sheet, table: pd.DataFrame, row: int, units: dict) -> _Placed:
    """A table whose input-value columns take the unit of the input named in its ``name`` column."""
    placed = book.table(sheet, table, row, units={**units, "low value": "number", "high value": "number", "name": "text"})
    for i, key in enumerate(table["name"]):
        for column in ("low value", "high value"):
            value = _cell(table[column].iloc[i])
            if value is not None:
                sheet.write_number(placed.first + i, placed.col(column), value, book.fmt(value_unit(key)))
    return placed


def _sobol_sheet(book: _Book, sobol: pd.DataFrame, output: str, conf_level: float, subtitle: str | None = None, note: str | None = None):
    """Sobol' S1 / ST table and a native clustered bar chart with confidence-interval error bars."""
    sheet, name = _start_sheet(book, "Sobol", f"Sobol' indices of {input_label(output)}", note)
    frame = sobol.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)
    table = pd.DataFrame({
        "input": [input_label(n) for n in frame["input"]],
        "S1": frame["S1"].astype(float),
        "S1_conf": frame["S1_conf"].astype(float) if "S1_conf" in frame else 0.0,
        "ST": frame["ST"].astype(float),
        "ST_conf": frame["ST_conf"].astype(float) if "ST_conf" in frame else 0.0,
        "rank": np.arange(1, len(frame) + 1),
        "name": frame["input"],
    })
    start = 3 + _CHART_ROWS
    placed = book.table(sheet, table, start, units={"input": "text", "name": "text"})
    first, last = placed.first, placed.last
    sheet.write(last + 2, 0, f"S1: share of the variance of {input_label(output)} an input explains alone; ST: including its interactions; "
                             f"95% CI ±: {conf_level:.0%} confidence half-widths (error bars).", book.note)
    chart = book.workbook.add_chart({"type": "bar"})
    for column, conf_column, colour, series_name in ((1, 2, COLORS["first_order"], "first order S1"), (3, 4, COLORS["total_order"], "total order ST")):
        chart.add_series({
            "name": series_name,
            "categories": _ref(name, first, 0, last),
            "values": _ref(name, first, column, last),
            "fill": {"color": colour},
            "border": {"none": True},
            "gap": 80,
            # Excel's value-direction error bars are "y" for bar charts too (x is scatter-only)
            "y_error_bars": {"type": "custom", "plus_values": _ref(name, first, conf_column, last),
                             "minus_values": _ref(name, first, conf_column, last), "end_style": 1,
                             "line": {"color": COLORS["text"], "width": 1.0}},
        })
    _chart_style(chart, f"Sobol' indices of {input_label(output)} ({conf_level:.0%} CI)", subtitle=subtitle)
    chart.set_x_axis({"name": "Share of variance (Sobol' index)", "min": 0, "num_format": "0.00", "major_gridlines": _GRID})
    chart.set_y_axis({"reverse": True, "crossing": "max", "major_tick_mark": "none"})
    _, breaks = _place(sheet, [chart])
    book.print_setup(sheet, breaks=breaks, print_area=(0, 0, last + 2, max(placed.width, 11)))
    return name


def _distribution_sheet(book: _Book, histogram: pd.DataFrame, output: str, threshold, probability_above, *, statistics=None,
                        subtitle: str | None = None, sheet_name: str = "Distribution"):
    """The output's histogram (bins table) and a native chart on a value axis with the break-even line."""
    label = input_label(output)
    probability = f"; P({label} > {threshold:g}) = {format_percent(probability_above, 1)}" if probability_above is not None and threshold is not None else ""
    sheet, name = _start_sheet(book, sheet_name, f"Monte Carlo distribution of {label}{probability}",
                               "Bars as a step outline on a value axis; dashed: break-even; dotted: P5 and P95.")
    low = histogram["bin_low"].to_numpy(dtype=float)
    high = histogram["bin_high"].to_numpy(dtype=float)
    counts = histogram["count"].to_numpy(dtype=float)
    unit = value_unit(output)
    start = 3 + _CHART_ROWS
    share = counts / counts.sum()
    bins = pd.DataFrame({"bin_low": low, "bin_high": high, "count": counts, "share": share, "cumulative": np.cumsum(share)})
    placed = book.table(sheet, bins, start, units={"bin_low": unit, "bin_high": unit, "count": "integer", "share": "percent", "cumulative": "percent"})
    last_row = placed.last
    if probability_above is not None and threshold is not None:
        extra = pd.DataFrame({"statistic": [f"P({label} > {threshold:g})"], "probability": [float(probability_above)]})
        last_row = book.table(sheet, extra, placed.last + 2, 0, units={"statistic": "text", "probability": "percent"}).last
    band = (statistics["P5"], statistics["P95"]) if statistics and "P5" in statistics and "P95" in statistics else None
    chart = _histogram_chart(book, sheet, name, low, high, counts, output=output, row=start, col=_HELPER_COL, threshold=threshold, band=band,
                             title=f"Monte Carlo distribution of {label}{probability}", subtitle=subtitle)
    _, breaks = _place(sheet, [chart])
    book.print_setup(sheet, breaks=breaks, print_area=(0, 0, last_row, max(placed.width, 11)))
    return name


def _fan_sheet(book: _Book, fan: pd.DataFrame, output_label: str, base=None, without=None, subtitle: str | None = None):
    """Per-year percentiles and a native fan chart: stacked areas of the band widths + median,
    base-case and without-programme lines, on an axis from 0."""
    sheet, name = _start_sheet(book, "Fan chart", f"{output_label} by year: Monte Carlo percentile bands",
                               "Bands: P5-P95, P10-P90, P25-P75 (stacked band widths, live formulas over the table); lines: median, base case, without the programme.")
    percent_columns = sorted(((float(m.group(1)), c) for c in fan.columns if (m := re.fullmatch(r"[Pp](\d+(?:\.\d+)?)", str(c)))))
    if len(percent_columns) < 2:
        raise RoqInputError("fan", "needs at least two percentile columns P<q> besides year")
    table = pd.DataFrame({"year": fan["year"].to_numpy()})
    for _, column in percent_columns:
        table[column] = fan[column].to_numpy(dtype=float)
    if base is not None:
        table["base case"] = np.asarray(base, dtype=float)
    if without is not None:
        table["without programme (median)"] = np.asarray(without, dtype=float)
    start = 3 + _CHART_ROWS
    placed = book.table(sheet, table, start, units={c: ("integer" if c == "year" else "percent") for c in table.columns})
    first, last = placed.first, placed.last
    from xlsxwriter.utility import xl_rowcol_to_cell

    helper_col = _HELPER_COL
    sheet.write(first - 2, helper_col, "chart helper: band widths (not printed)", book.note)
    names = [c for _, c in percent_columns]
    helper_headers = [f"{names[0]} (band start)"] + [f"{names[k - 1]}–{names[k]}" for k in range(1, len(names))]
    for j, header in enumerate(helper_headers):
        sheet.write(first - 1, helper_col + j, header + " (%)", book.header)
        for i in range(len(table)):
            row = first + i
            if j == 0:
                formula = f"={xl_rowcol_to_cell(row, 1)}"
                value = table.iloc[i, 1]
            else:
                formula = f"={xl_rowcol_to_cell(row, 1 + j)}-{xl_rowcol_to_cell(row, j)}"
                value = table.iloc[i, 1 + j] - table.iloc[i, j]
            sheet.write_formula(row, helper_col + j, formula, book.fmt("percent"), float(value))
        sheet.set_column(helper_col + j, helper_col + j, 12)
    n_bands = len(names) - 1
    centre = n_bands / 2.0
    area = book.workbook.add_chart({"type": "area", "subtype": "stacked"})
    mirrored = []  # the upper half of the fan repeats the lower half's shades: one legend entry per pair
    for j, header in enumerate(helper_headers):
        if j == 0:
            fill = {"none": True}
        else:
            # inner bands darker: distance of the band from the middle of the fan
            distance = abs((j - 0.5) - centre) / max(centre, 1)
            fill = {"color": OKABE_ITO["blue"], "transparency": int(30 + 55 * distance)}
        legend = header
        if j and j <= centre and len(names) - j < len(names):
            legend = f"{names[j - 1]}–{names[len(names) - j]} band"
        elif j:
            mirrored.append(j)
        area.add_series({
            "name": legend if j else "",
            "categories": _ref(name, first, 0, last),
            "values": _ref(name, first, helper_col + j, last),
            "fill": fill,
            "border": {"none": True},
        })
    line = book.workbook.add_chart({"type": "line"})
    median = next((c for q, c in percent_columns if q == 50.0), None)
    if median is not None:
        line.add_series({
            "name": f"median ({median})",
            "categories": _ref(name, first, 0, last),
            "values": _ref(name, first, 1 + names.index(median), last),
            "line": {"color": OKABE_ITO["blue"], "width": 2.5},
            "marker": {"type": "circle", "size": 6, "fill": {"color": OKABE_ITO["blue"]}, "border": {"color": OKABE_ITO["blue"]}},
        })
    for column, colour, dash, marker in (("base case", COLORS["text"], "dash", "none"), ("without programme (median)", COLORS["accent"], "dash_dot", "square")):
        if column in table.columns:
            line.add_series({
                "name": column,
                "categories": _ref(name, first, 0, last),
                "values": _ref(name, first, placed.col(column), last),
                "line": {"color": colour, "width": 1.75, "dash_type": dash},
                "marker": {"type": marker, "size": 5, "fill": {"color": colour}, "border": {"color": colour}} if marker != "none" else {"type": "none"},
            })
    area.combine(line)
    _chart_style(area, f"{output_label} by year: Monte Carlo percentile bands", subtitle=subtitle)
    area.set_x_axis({"name": "Year of the programme"})
    high = _nice_bounds(0.0, float(np.nanmax(table.iloc[:, 1:].to_numpy(float))))[1]
    area.set_y_axis({"name": f"{output_label} (%)", "num_format": "0%", "min": 0.0, "max": high, "major_gridlines": _GRID})
    area.set_legend({"position": "bottom", "delete_series": [0] + mirrored})
    _, breaks = _place(sheet, [area])
    book.print_setup(sheet, breaks=breaks, print_area=(0, 0, last, max(placed.width, 11)))
    return name


def _line_scatter(book: _Book, title: str, x_name: str, y_name: str, *, subtitle=None, size=None, markers: bool = False):
    chart = book.workbook.add_chart({"type": "scatter", "subtype": "straight_with_markers" if markers else "straight"})
    _chart_style(chart, title, subtitle=subtitle, size=size)
    x_unit, y_unit = value_unit(x_name), value_unit(y_name)
    chart.set_x_axis({"name": _axis_name(x_name, x_unit, book.currency), "num_format": _axis_format(x_unit, book.currency), "major_gridlines": _GRID})
    chart.set_y_axis({"name": _axis_name(y_name, y_unit, book.currency), "num_format": _axis_format(y_unit, book.currency), "major_gridlines": _GRID})
    return chart


def _spider_sheet(book: _Book, spider: pd.DataFrame, base_output: float, output: str, subtitle=None):
    """The spider as a native scatter chart: one line per input (own dash and marker), its name at its end."""
    sheet, name = _start_sheet(book, "Spider", f"Spider: {input_label(output)} as each input moves from base",
                               "One input at a time, the others at base; each line is named at its right end.")
    names = list(dict.fromkeys(spider["input"]))
    changes = np.unique(spider["change"].to_numpy(float))
    wide = pd.DataFrame({"change": changes})
    for input_name in names:
        rows = spider[spider["input"] == input_name].set_index("change")["output"]
        wide[input_label(input_name)] = [float(rows.get(c, np.nan)) for c in changes]
    start = 3 + _CHART_ROWS
    unit = value_unit(output)
    placed = book.table(sheet, wide, start, units={"change": "percent", **{input_label(n): unit for n in names}})
    chart = _line_scatter(book, f"Spider: {input_label(output)} as each input moves from base", "change", output, subtitle=subtitle)
    dashes = ["solid", "dash", "dash_dot", "round_dot", "long_dash"]
    markers = ["circle", "square", "triangle", "diamond", "x", "star"]
    from .charts import input_colors

    colours = input_colors(names)
    for k, input_name in enumerate(names):
        column = placed.col(input_label(input_name))
        values = wide[input_label(input_name)].to_numpy(float)
        last_row = int(np.flatnonzero(np.isfinite(values))[-1]) if np.isfinite(values).any() else len(values) - 1
        labels = [{"delete": True}] * last_row + [{"value": input_label(input_name)}]
        chart.add_series({
            "name": input_label(input_name),
            "categories": _ref(name, placed.first, 0, placed.last),
            "values": _ref(name, placed.first, column, placed.last),
            "line": {"color": colours[input_name], "width": 2.75 - 0.4 * min(k, 3), "dash_type": dashes[k % len(dashes)]},
            "marker": {"type": markers[k % len(markers)], "size": 6, "fill": {"color": colours[input_name]}, "border": {"color": colours[input_name]}},
            "data_labels": {"custom": labels, "series_name": False, "value": False, "position": "right",
                            "font": {"size": 9, "bold": True, "color": colours[input_name]}},
        })
    chart.set_x_axis({"name": "Change of the input from its base value", "num_format": "0%", "major_gridlines": _GRID,
                      "min": float(changes.min()), "max": float(changes.max()) + 0.35 * float(np.ptp(changes))})
    finite = wide.iloc[:, 1:].to_numpy(float)
    lo, hi = _nice_bounds(float(np.nanmin(finite)), float(np.nanmax(finite)))
    chart.set_y_axis({"name": _axis_name(output, unit, book.currency), "num_format": _axis_format(unit, book.currency), "min": lo, "max": hi,
                      "major_gridlines": _GRID})
    sheet.write(placed.last + 2, 0, f"Base {input_label(output)}", book.header)
    sheet.write_number(placed.last + 2, 1, float(base_output), book.fmt(unit))
    _, breaks = _place(sheet, [chart])
    book.print_setup(sheet, breaks=breaks, print_area=(0, 0, placed.last + 2, max(placed.width, 11)))
    return name


def _morris_sheet(book: _Book, morris: pd.DataFrame, output: str, subtitle=None):
    """Morris mu* against sigma as a native scatter chart, each input a named point; axes sized to the data."""
    sheet, name = _start_sheet(book, "Morris", f"Morris screening: influence on {input_label(output)}",
                               "Right: more influential; up: non-linear or interacting (σ/μ* above 0.5).")
    table = pd.DataFrame({"input": [input_label(n) for n in morris["input"]], "mu_star": morris["mu_star"].astype(float),
                          "sigma": morris["sigma"].astype(float)})
    if "mu_star_conf" in morris:
        table["mu_star_conf"] = morris["mu_star_conf"].astype(float)
    start = 3 + _CHART_ROWS
    placed = book.table(sheet, table, start, units={"input": "text"})
    chart = book.workbook.add_chart({"type": "scatter"})
    from .charts import input_colors

    colours = input_colors(list(morris["input"]))
    for i, input_name in enumerate(morris["input"]):
        r = placed.first + i
        series = {
            "name": _ref(name, r, 0),
            "categories": _ref(name, r, placed.col("mu_star")),
            "values": _ref(name, r, placed.col("sigma")),
            "marker": {"type": "circle", "size": 9, "fill": {"color": colours[input_name]}, "border": {"color": "#FFFFFF"}},
            "data_labels": {"series_name": True, "position": "above", "font": {"size": 9}},
        }
        if "mu_star_conf" in table:
            series["x_error_bars"] = {"type": "custom", "plus_values": _ref(name, r, placed.col("mu_star_conf")),
                                      "minus_values": _ref(name, r, placed.col("mu_star_conf")), "line": {"color": COLORS["muted"]}}
        chart.add_series(series)
    _chart_style(chart, f"Morris screening: influence on {input_label(output)}", subtitle=subtitle, legend="none")
    x_hi = _nice_bounds(0.0, float((table["mu_star"] + table.get("mu_star_conf", 0)).max()) * 1.1)[1]
    y_hi = _nice_bounds(0.0, float(table["sigma"].max()) * 1.25)[1]  # sized to the data, not to mu*
    chart.set_x_axis({"name": "μ*: mean |elementary effect| (ratio)", "min": 0, "max": x_hi, "num_format": "0.00", "major_gridlines": _GRID})
    chart.set_y_axis({"name": "σ: spread of effects (ratio)", "min": 0, "max": y_hi, "num_format": "0.000", "major_gridlines": _GRID})
    _, breaks = _place(sheet, [chart])
    book.print_setup(sheet, breaks=breaks, print_area=(0, 0, placed.last, max(placed.width, 11)))
    return name


def _two_way_sheet(book: _Book, grid: pd.DataFrame, x: str, y: str, value: str = "roq", subtitle=None, lines: int = 5):
    """The two-way grid as a colour-scaled table (red below ROQ = 1, white at 1, blue above)
    and a native chart: the output against ``y`` for a few values of ``x``, with the break-even line."""
    sheet, name = _start_sheet(book, "Two-way", f"{input_label(value)} over {input_label(x).lower()} and {input_label(y).lower()}",
                               f"Grid: rows {input_label(y).lower()}, columns {input_label(x).lower()}; colours centred on the break-even "
                               f"{input_label(value)} = 1 (red below, blue above).")
    valid = grid[grid["valid"].astype(bool)] if "valid" in grid else grid
    pivot = valid.pivot_table(index=y, columns=x, values=value, aggfunc="mean").sort_index().sort_index(axis=1)
    xs = pivot.columns.to_numpy(float)
    ys = pivot.index.to_numpy(float)
    picks = np.unique(np.linspace(0, len(xs) - 1, min(lines, len(xs))).round().astype(int))
    start = 3 + _CHART_ROWS
    # chart data: y down the first column, one column per picked x value
    chart_table = pd.DataFrame({y: ys})
    for k in picks:
        chart_table[f"{input_label(x)} {format_input_value(x, xs[k], book.currency)}"] = pivot.iloc[:, k].to_numpy(float)
    unit = value_unit(value)
    placed = book.table(sheet, chart_table, start, units={y: value_unit(y), **{c: unit for c in chart_table.columns[1:]}})
    chart = _line_scatter(book, f"{input_label(value)} against {input_label(y).lower()}, a line per {input_label(x).lower()}", y, value, subtitle=subtitle)
    for j, column in enumerate(chart_table.columns[1:]):
        chart.add_series({
            "name": str(column),
            "categories": _ref(name, placed.first, 0, placed.last),
            "values": _ref(name, placed.first, placed.col(column), placed.last),
            "line": {"color": SEQUENCE[j % len(SEQUENCE)], "width": 2.0},
            "marker": {"type": "none"},
        })
    from .charts import OUTPUT_THRESHOLDS

    threshold = OUTPUT_THRESHOLDS.get(value)
    grid_row = placed.last + 3
    if threshold is not None:
        sheet.write(grid_row, 0, "break-even", book.header)
        for r, yy in enumerate((ys.min(), ys.max())):
            sheet.write_number(grid_row + 1 + r, 0, float(yy), book.fmt(value_unit(y)))
            sheet.write_number(grid_row + 1 + r, 1, float(threshold), book.fmt(unit))
        chart.add_series({"name": f"{input_label(value)} = {threshold:g} (break-even)", "categories": _ref(name, grid_row + 1, 0, grid_row + 2),
                          "values": _ref(name, grid_row + 1, 1, grid_row + 2), "line": {"color": COLORS["threshold"], "width": 1.75, "dash_type": "dash"},
                          "marker": {"type": "none"}})
        grid_row += 4
    _, breaks = _place(sheet, [chart])
    book.print_setup(sheet, breaks=breaks, print_area=(0, 0, grid_row, max(placed.width, 11)))
    # the whole grid on its own sheet, colour-scaled around the break-even
    grid_sheet, grid_name = book.sheet("Two-way grid")
    grid_row = 0
    grid_sheet.write(grid_row, 0, f"{input_label(value)} over the grid: rows {input_label(y)}, columns {input_label(x)}", book.bold)
    grid_sheet.write(grid_row + 1, 0, f"{input_label(y)} \\ {input_label(x)}", book.header)
    for j, xv in enumerate(xs):
        grid_sheet.write_number(grid_row + 1, 1 + j, float(xv), book.workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "bottom": 1,
                                                                                  "num_format": excel_number_format(value_unit(x), book.currency)}))
    for i, yv in enumerate(ys):
        grid_sheet.write_number(grid_row + 2 + i, 0, float(yv), book.fmt(value_unit(y)))
        for j in range(len(xs)):
            cell = _cell(pivot.iloc[i, j])
            if cell is not None:
                grid_sheet.write_number(grid_row + 2 + i, 1 + j, cell, book.fmt(unit))
    first, last = grid_row + 2, grid_row + 1 + len(ys)
    if threshold is not None:
        grid_sheet.conditional_format(first, 1, last, len(xs), {"type": "3_color_scale", "min_color": "#B2182B", "mid_type": "num",
                                                          "mid_value": float(threshold), "mid_color": "#F7F7F7", "max_color": "#2166AC"})
    for j in range(len(xs)):
        grid_sheet.set_column(1 + j, 1 + j, 10)
    grid_sheet.freeze_panes(2, 1)
    book.print_setup(grid_sheet, repeat_header=1)
    return name, grid_name


def _discount_sheet(book: _Book, curve: pd.DataFrame, output: str = "roq", breakeven=None, base_rate=None, subtitle=None):
    """The output against the discount rate as a native scatter line, with ROQ = 1 and the break-even rate."""
    sheet, name = _start_sheet(book, "Discount curve", f"{input_label(output)} against the discount rate",
                               "Where the curve crosses the dashed line, the programme stops paying (break-even rate).")
    table = curve[["discount_rate", output]].copy()
    start = 3 + _CHART_ROWS
    placed = book.table(sheet, curve, start)
    chart = _line_scatter(book, f"{input_label(output)} against the discount rate", "discount_rate", output, subtitle=subtitle)
    chart.add_series({"name": input_label(output), "categories": _ref(name, placed.first, placed.col("discount_rate"), placed.last),
                      "values": _ref(name, placed.first, placed.col(output), placed.last), "line": {"color": COLORS["main"], "width": 2.5},
                      "marker": {"type": "none"}})
    from .charts import OUTPUT_THRESHOLDS

    threshold = OUTPUT_THRESHOLDS.get(output)
    col = placed.width + 1
    if threshold is not None:
        sheet.write(start, col, "break-even line", book.header)
        for r, rate in enumerate((float(table["discount_rate"].min()), float(table["discount_rate"].max()))):
            sheet.write_number(start + 1 + r, col, rate, book.fmt("percent"))
            sheet.write_number(start + 1 + r, col + 1, float(threshold), book.fmt(value_unit(output)))
        chart.add_series({"name": f"{input_label(output)} = {threshold:g} (break-even)", "categories": _ref(name, start + 1, col, start + 2),
                          "values": _ref(name, start + 1, col + 1, start + 2), "line": {"color": COLORS["threshold"], "width": 1.5, "dash_type": "dash"},
                          "marker": {"type": "none"}})
    points = []
    if breakeven is not None and math.isfinite(breakeven):
        points.append(("break-even rate", float(breakeven), float(threshold or 0.0), COLORS["accent"]))
    if base_rate is not None:
        points.append(("base rate", float(base_rate), float(np.interp(base_rate, table["discount_rate"], table[output])), COLORS["base"]))
    for k, (label, rate, level, colour) in enumerate(points):
        r = start + 4 + 3 * k
        sheet.write(r, col, label, book.header)
        sheet.write_number(r + 1, col, rate, book.fmt("percent"))
        sheet.write_number(r + 1, col + 1, level, book.fmt(value_unit(output)))
        chart.add_series({"name": f"{label} {format_percent(rate, 1)}", "categories": _ref(name, r + 1, col), "values": _ref(name, r + 1, col + 1),
                          "marker": {"type": "diamond", "size": 10, "fill": {"color": colour}, "border": {"color": colour}},
                          "data_labels": {"series_name": True, "position": "right", "font": {"size": 9}}})
    sheet.set_column(col, col + 1, 14)
    lo, hi = float(table["discount_rate"].min()), float(table["discount_rate"].max())
    chart.set_x_axis({"name": "Discount rate (% per year)", "num_format": "0%", "min": lo, "max": hi, "major_gridlines": _GRID})
    _, breaks = _place(sheet, [chart])
    book.print_setup(sheet, breaks=breaks, print_area=(0, 0, placed.last, max(col + 1, 11)))
    return name


def _output_summary_sheet(book: _Book, data, output: str):
    """One page per output, as @RISK's output summary: statistics, histogram with the P5-P95
    band and the break-even / target line, tornado by contribution to variance."""
    from .frames import output_statistics

    mc = data.monte_carlo
    label = input_label(output)
    unit = value_unit(output)
    stats = output_statistics(mc, output)
    sheet, name = _start_sheet(book, f"Summary {label}"[:31], f"{label}: one-page summary", data.caption())
    if output == "roq":
        line = data.probability_line()
        if line:
            sheet.write(2, 0, line, book.bold)
    # statistics table to the right of the charts; the sample tables below them
    table_col = 13
    placed = book.table(sheet, stats, 3, table_col, units={"statistic": "text", "value": unit})
    row = placed.last + 1
    if stats.attrs.get("probability") is not None:
        probability = pd.DataFrame({"statistic": [f"P({label} > {stats.attrs['threshold']:g})", "95% CI ±"],
                                    "probability": [stats.attrs["probability"], stats.attrs["probability_halfwidth"]]})
        row = book.table(sheet, probability, row, table_col, units={"statistic": "text", "probability": "percent"}).last + 1
    sheet.write(row, table_col, f"over all {stats.attrs['samples']:,} scenarios of the run", book.note)
    sheet.set_column(table_col, table_col, 14)
    sheet.set_column(table_col + 1, table_col + 1, 18)
    values = data.sample["outputs"][output]
    target = None
    target_label = None
    if output == "roq":
        target = 1.0
    elif output == "npv_gain":
        target = float(np.median(data.sample["outputs"]["npv_programme_cost"]))
        target_label = "median programme cost NPVAS (ROQ = 1)"
    from .charts import roq_histogram

    hist = roq_histogram(values, bins=40, threshold=target if output == "roq" else None)
    data_row = 3
    sheet.write(data_row - 1, _HELPER_COL, f"Chart data (not printed): {data.sample['samples']:,} sampled scenarios of the run", book.note)
    p5, p95 = stats.loc[stats["statistic"] == "P5", "value"].iloc[0], stats.loc[stats["statistic"] == "P95", "value"].iloc[0]
    chart = _histogram_chart(book, sheet, name, hist["bin_low"], hist["bin_high"], hist["count"], output=output, row=data_row, col=_HELPER_COL,
                             threshold=target, threshold_label=target_label, band=(p5, p95), title=f"Distribution of {label}",
                             subtitle=f"{data.sample['samples']:,} sampled scenarios; dotted: P5 / P95", cumulative=False)
    chart.set_size({"width": 820, "height": 300})
    charts = [chart]
    sensitivity = data.sample_sensitivity.get(output)
    if sensitivity is not None:
        frame = sensitivity.table.iloc[np.argsort(-sensitivity.table["contribution_to_variance"].abs().to_numpy(), kind="stable")]
        tornado = pd.DataFrame({"input": [input_label(n) for n in frame["input"]],
                                "contribution_to_variance": frame["contribution_to_variance"].to_numpy(float),
                                "rank_correlation": frame["rank_correlation"].to_numpy(float)})
        tcol = table_col
        tplaced = book.table(sheet, tornado, row + 2, tcol, units={"input": "text"})
        row = tplaced.last + 1
        bars = book.workbook.add_chart({"type": "bar"})
        bars.add_series({"name": "contribution to variance (sign of the rank correlation)",
                         "categories": _ref(name, tplaced.first, tcol, tplaced.last),
                         "values": _ref(name, tplaced.first, tplaced.col("contribution_to_variance"), tplaced.last),
                         "fill": {"color": COLORS["high"]}, "invert_if_negative": True, "invert_if_negative_color": COLORS["low"],
                         "gap": 60, "data_labels": {"value": True, "num_format": "0.0%", "font": {"size": 9}}})
        _chart_style(bars, f"What drives {label}: contribution to variance", subtitle="from the rank correlations in the sample (blue: lowers it)",
                     legend="none", size={"width": 820, "height": 260})
        bars.set_x_axis({"num_format": "0%", "min": -1, "max": 1, "major_gridlines": _GRID})
        bars.set_y_axis({"reverse": True, "label_position": "low", "major_tick_mark": "none"})
        charts.append(bars)
    sheet.insert_chart(3, 0, charts[0], {"x_offset": 5, "y_offset": 5})
    if len(charts) > 1:
        sheet.insert_chart(3 + _SMALL_ROWS, 0, charts[1], {"x_offset": 5, "y_offset": 5})
    sheet.set_column(table_col + 2, table_col + 2, 14)
    end = max(row, 3 + 2 * _SMALL_ROWS)
    book.print_setup(sheet, breaks=[end + 1], print_area=(0, 0, end, table_col + 2))
    return name


def _inputs_sheet(book: _Book, data):
    """The sampled distribution of every uncertain input: small native histograms, two a row."""
    inputs = {n: v for n, v in data.sample["inputs"].items() if np.ptp(v) > 0}
    sheet, name = _start_sheet(book, "Inputs", "Uncertain inputs: the distributions sampled", data.caption(f"{data.sample['samples']:,} sampled scenarios"))
    from .charts import roq_histogram

    charts = []
    data_row = 3
    col = _HELPER_COL
    for input_name, values in inputs.items():
        hist = roq_histogram(values, bins=30, threshold=None)
        chart = _histogram_chart(book, sheet, name, hist["bin_low"], hist["bin_high"], hist["count"], output=input_name, row=data_row, col=col,
                                 band=tuple(np.percentile(values, [5, 95])), title=input_label(input_name), cumulative=False)
        chart.set_size(_SMALL_CHART)
        chart.set_legend({"none": True})
        unit = value_unit(input_name)
        lo, hi = _nice_bounds(float(values.min()), float(values.max()))
        chart.set_x_axis({"name": _axis_name(input_name, unit, book.currency), "min": lo, "max": hi,
                          "num_format": "0%" if unit == "percent" else ('"Rp" #,##0' if unit == "money" else "General")})
        charts.append(chart)
        col += 6
    end, breaks = _place(sheet, charts, small=True)
    book.print_setup(sheet, breaks=breaks, print_area=(0, 0, end, 14))
    return name


def _scatter_sheet(book: _Book, data, output: str = "roq", drivers: int = 3, points: int = 400):
    """The output against each of its top drivers: native scatter charts of sampled scenarios."""
    sensitivity = data.sample_sensitivity.get(output)
    if sensitivity is None:
        return None
    top = list(sensitivity.table["input"][:drivers])
    n = data.sample["samples"]
    take = np.linspace(0, n - 1, min(n, points)).astype(int)
    sheet, name = _start_sheet(book, "Scatter", f"{input_label(output)} against its top drivers",
                               data.caption(f"{len(take):,} of {n:,} sampled scenarios"))
    data_row = 3
    frame = pd.DataFrame({output: data.sample["outputs"][output][take]})
    for input_name in top:
        frame[input_name] = data.sample["inputs"][input_name][take]
    placed = book.table(sheet, frame, data_row, _HELPER_COL)
    charts = []
    for k, input_name in enumerate(top):
        rho = float(sensitivity.table.loc[sensitivity.table["input"] == input_name, "rank_correlation"].iloc[0])
        chart = book.workbook.add_chart({"type": "scatter"})
        chart.add_series({"name": f"{input_label(input_name)} (ρ = {rho:+.2f})", "categories": _ref(name, placed.first, placed.col(input_name), placed.last),
                          "values": _ref(name, placed.first, placed.col(output), placed.last),
                          "marker": {"type": "circle", "size": 3, "fill": {"color": SEQUENCE[k % len(SEQUENCE)], "transparency": 50},
                                     "border": {"none": True}}})
        _chart_style(chart, f"{input_label(output)} vs {input_label(input_name).lower()} (ρ = {rho:+.2f})", legend="none", size=_SMALL_CHART)
        unit = value_unit(input_name)
        values = frame[input_name]
        lo, hi = _nice_bounds(float(values.min()), float(values.max()))
        ylo, yhi = _nice_bounds(float(frame[output].min()), float(frame[output].max()))
        chart.set_x_axis({"name": _axis_name(input_name, unit, book.currency), "min": lo, "max": hi,
                          "num_format": "0%" if unit == "percent" else ('"Rp" #,##0' if unit == "money" else "General"), "major_gridlines": _GRID})
        chart.set_y_axis({"name": _axis_name(output, value_unit(output), book.currency), "min": ylo, "max": yhi,
                          "num_format": _axis_format(value_unit(output), book.currency), "major_gridlines": _GRID})
        charts.append(chart)
    end, breaks = _place(sheet, charts, small=True)
    # the scenario rows feed the charts; printing hundreds of them says nothing more
    book.print_setup(sheet, breaks=breaks, print_area=(0, 0, end, 14))
    return name


def _with_without_sheet(book: _Book, data):
    """Market share by year and NPV of profits with and without the programme, as native charts."""
    mc = data.monte_carlo
    sheet, name = _start_sheet(book, "With vs without", "With and without the programme: market share and NPV of profits", data.caption())
    with_share = mc.path_statistics("market_share_path")
    without_share = mc.path_statistics("market_share_path_without_programme")
    table = pd.DataFrame({"year": with_share["year"], "with P5": with_share["P5"], "with median": with_share["P50"], "with P95": with_share["P95"],
                          "without P5": without_share["P5"], "without median": without_share["P50"], "without P95": without_share["P95"]})
    data_row = 3 + 2 * _CHART_ROWS
    placed = book.table(sheet, table, data_row, 0, units={c: ("integer" if c == "year" else "percent") for c in table.columns})
    share_chart = _line_scatter(book, "Market share by year, with and without the programme", "year", "market_share",
                                subtitle="solid: median; dotted: P5 and P95", markers=True)
    for column, colour, dash in (("with median", COLORS["main"], "solid"), ("with P5", COLORS["main"], "round_dot"), ("with P95", COLORS["main"], "round_dot"),
                                 ("without median", COLORS["accent"], "solid"), ("without P5", COLORS["accent"], "round_dot"),
                                 ("without P95", COLORS["accent"], "round_dot")):
        share_chart.add_series({"name": column, "categories": _ref(name, placed.first, 0, placed.last),
                                "values": _ref(name, placed.first, placed.col(column), placed.last),
                                "line": {"color": colour, "width": 2.25 if "median" in column else 1.0, "dash_type": dash},
                                "marker": {"type": "circle" if "median" in column else "none", "size": 5, "fill": {"color": colour}, "border": {"color": colour}}})
    share_chart.set_x_axis({"name": "Year of the programme", "min": 1, "max": int(table["year"].max()), "major_unit": 1, "num_format": "0"})
    share_chart.set_y_axis({"name": "Market share (%)", "num_format": "0%", "min": 0, "major_gridlines": _GRID})
    npv_with, npv_without = data.sample["outputs"]["npv_with_programme"], data.sample["outputs"]["npv_without_programme"]
    edges = np.linspace(min(npv_with.min(), npv_without.min()), max(npv_with.max(), npv_without.max()), 41)
    npv_chart = book.workbook.add_chart({"type": "scatter", "subtype": "straight"})
    col = _HELPER_COL
    for values, colour, label, dash in ((npv_with, COLORS["main"], "NPV with the programme", "solid"), (npv_without, COLORS["accent"], "NPV without the programme", "dash")):
        counts, _ = np.histogram(values, edges)
        x, y = _step_points(edges[:-1], edges[1:], counts / counts.sum())
        steps = pd.DataFrame({f"{label}": x, "share of scenarios": y})
        step_placed = book.table(sheet, steps, data_row, col, units={label: "money", "share of scenarios": "percent"})
        npv_chart.add_series({"name": label, "categories": _ref(name, step_placed.first, col, step_placed.last),
                              "values": _ref(name, step_placed.first, col + 1, step_placed.last), "line": {"color": colour, "width": 2.0, "dash_type": dash},
                              "marker": {"type": "none"}})
        col += 3
    _chart_style(npv_chart, "NPV of profits with and without the programme", subtitle=f"{data.sample['samples']:,} sampled scenarios")
    npv_chart.set_x_axis({"name": f"NPV of profits ({currency_symbol(book.currency)} billion)", "num_format": _axis_format("money", book.currency),
                          "min": float(edges[0]), "max": float(edges[-1])})
    npv_chart.set_y_axis({"name": "Share of scenarios", "num_format": "0%", "min": 0, "major_gridlines": _GRID})
    _, breaks = _place(sheet, [share_chart, npv_chart])
    book.print_setup(sheet, breaks=breaks, print_area=(0, 0, placed.last, max(placed.width, 11)))
    return name


def _convergence_sheet(book: _Book, data, output: str = "roq"):
    """Running mean and P(output > threshold) with their 95% intervals against the scenarios run."""
    mc = data.monte_carlo
    rows = mc.convergence_frame()
    rows = rows[rows["output"] == output].reset_index(drop=True)
    if not len(rows):
        return None
    label = input_label(output)
    sheet, name = _start_sheet(book, "Convergence chart", f"Convergence of {label}", "The 95% intervals shrink like 1/√n; when they are narrow next to the decision, the run is large enough.")
    table = rows[[c for c in ("samples", "mean", "mean_ci95_halfwidth", "probability", "probability_ci95_halfwidth") if c in rows]]
    data_row = 3 + 2 * _CHART_ROWS
    unit = value_unit(output)
    placed = book.table(sheet, table, data_row, 0, units={"samples": "integer", "mean": unit, "mean_ci95_halfwidth": unit})
    def running(column: str, half: str, title: str, axis_name: str, num_format: str, low: float, high: float):
        """One statistic against the scenarios run, with its 95% interval as error bars."""
        chart = book.workbook.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
        chart.add_series({"name": f"{title} ± 95% CI", "categories": _ref(name, placed.first, 0, placed.last),
                          "values": _ref(name, placed.first, placed.col(column), placed.last), "line": {"color": COLORS["main"], "width": 2},
                          "marker": {"type": "circle", "size": 6, "fill": {"color": COLORS["main"]}, "border": {"color": COLORS["main"]}},
                          "y_error_bars": {"type": "custom", "plus_values": _ref(name, placed.first, placed.col(half), placed.last),
                                           "minus_values": _ref(name, placed.first, placed.col(half), placed.last), "line": {"color": COLORS["muted"]}}})
        _chart_style(chart, f"{title} as the run grows", subtitle=data.caption())
        chart.set_x_axis({"name": "Scenarios (log scale)", "log_base": 2, "num_format": "#,##0", "min": float(table["samples"].min()),
                          "max": float(table["samples"].max())})
        chart.set_y_axis({"name": axis_name, "num_format": num_format, "min": low, "max": high, "major_gridlines": _GRID})
        return chart

    lo, hi = _nice_bounds(float((table["mean"] - table["mean_ci95_halfwidth"]).min()), float((table["mean"] + table["mean_ci95_halfwidth"]).max()))
    charts = [running("mean", "mean_ci95_halfwidth", f"Mean {label}", _axis_name(output, unit, book.currency), "0.000", lo, hi)]
    if "probability" in table and np.isfinite(table["probability"]).any():
        p_lo = float(np.clip((table["probability"] - table["probability_ci95_halfwidth"]).min(), 0, 1))
        charts.append(running("probability", "probability_ci95_halfwidth", f"P({label} > 1)", "Probability", "0.0%", math.floor(p_lo * 100) / 100, 1))
    _, breaks = _place(sheet, charts)
    book.print_setup(sheet, breaks=breaks, print_area=(0, 0, placed.last, max(placed.width, 11)))
    return name


def _contents(book: _Book, contents, title: str, listed: list, data=None):
    """The first sheet: the case, the key numbers, the unit rule and a linked list of sheets."""
    contents.write(0, 0, title, book.title)
    contents.set_column(0, 0, 30)
    contents.set_column(1, 1, 100)
    row = 2
    if data is not None:
        mc = data.monte_carlo
        facts = [
            ("Case", data.title),
            ("Monte Carlo", f"{mc.samples:,} scenarios, sampler {mc.sampler}, seed {mc.seed}"),
            ("Base-case ROQ", f"{data.base_roq:.3f}"),
            ("Mean ROQ", f"{mc.statistics['roq']['mean']:.3f}" if "roq" in mc.statistics else ""),
            ("Programme pays?", data.probability_line()),
        ]
        for key, value in facts:
            if value:
                contents.write(row, 0, key, book.bold)
                contents.write(row, 1, value, book.text)
                row += 1
        for note in data.notes:
            contents.write(row, 1, note, book.note)
            row += 1
        row += 1
    contents.write(row, 0, "Units", book.bold)
    contents.write(row, 1, f"{FRACTION_RULE} Money in {currency_symbol(book.currency)} ({book.currency}) with thousands separators; "
                           "ROQ as a ratio (the programme pays when ROQ > 1).", book.text)
    row += 2
    contents.write(row, 0, "Sheet", book.header)
    contents.write(row, 1, "What it holds", book.header)
    for i, (name, what) in enumerate(listed, start=row + 1):
        contents.write_url(i, 0, f"internal:'{name}'!A1", string=name)
        contents.write(i, 1, what)
    contents.write(row + len(listed) + 2, 0, "Charts are native Excel charts over the tables: edit the numbers or restyle them in Excel.", book.note)
    book.print_setup(contents, landscape=False)


def write_report_workbook(path: str | Path, *, tornado: pd.DataFrame | None = None, base_output: float | None = None,
                          sobol: pd.DataFrame | None = None, histogram: pd.DataFrame | None = None, probability_above: float | None = None,
                          fan: pd.DataFrame | None = None, fan_base=None, tables: Mapping[str, pd.DataFrame] | None = None,
                          output: str = "roq", threshold: float | None = 1.0, conf_level: float = 0.95, currency: str = "IDR",
                          title: str = "ROQ report", fan_label: str = "Market share with the programme", report=None,
                          table_units: Mapping[str, Mapping] | None = None) -> Path:
    """Write the report workbook: result tables plus native, editable Excel charts.

    Every numeric cell carries the number format of its unit (:func:`simulator.reports.style.value_unit`:
    % for fractions, ``"Rp" #,##0`` for money, three decimals for ROQ and indices) and
    every header names its unit; every sheet is set up to print (A4 landscape, one page
    wide, a page break before each chart, table headers repeated), so the whole workbook
    prints in at most :data:`REPORT_PAGE_BOUND` pages.

    Parameters
    ----------
    path : str or Path
        Target ``.xlsx`` file (replaced atomically).
    tornado : DataFrame, optional
        ``input, low, high, output_low, output_high`` (see
        :func:`simulator.reports.charts.tornado_chart`), with ``base_output``: sheet
        "Tornado" with a bar chart whose category axis crosses at the base value.
    sobol : DataFrame, optional
        ``input, S1, S1_conf, ST, ST_conf``: sheet "Sobol" with a clustered bar chart and
        custom error bars from the ``*_conf`` columns.
    histogram : DataFrame, optional
        ``bin_low, bin_high, count`` (see :func:`simulator.reports.charts.roq_histogram`),
        with ``probability_above``: sheet "Distribution", the histogram as a step line on
        a value axis with the ``threshold`` line and the cumulative share.
    fan : DataFrame, optional
        ``year, P5, ..., P95`` (fractions): sheet "Fan chart" with stacked areas of the
        band widths (live formulas over the table) and the median line; ``fan_base``
        adds the base-case path, ``fan.attrs["without_programme"]`` the path without.
    tables : mapping of str to DataFrame, optional
        Further tables, one sheet each, after the chart sheets (e.g. "Summary").
    table_units : mapping of str to mapping, optional
        Per table title, units of columns the names do not tell (``{"swing": "ratio"}``).
    output, threshold, conf_level, currency, title, fan_label
        Labels and the break-even (ROQ = 1).
    report : ReportData, optional
        A whole report (:func:`simulator.reports.report.compute_report`): adds the
        one-page output summaries, spider, Morris, two-way, discount curve, inputs,
        scatter, with / without and convergence sheets, and the key numbers on Contents.

    Returns
    -------
    Path
    """
    import xlsxwriter

    if tornado is not None and base_output is None:
        raise RoqInputError("base_output", "is required with tornado (the bars start at the base value)")
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise RoqInputError("path", f"must end in .xlsx, got {target.name!r}")

    def write(temporary):
        workbook = xlsxwriter.Workbook(temporary, {"nan_inf_to_errors": True})
        workbook.set_properties({"title": title, "subject": "Return on Quality (Rust, Zahorik & Keiningham 1995)", "comments": "Written by roq-toolkit"})
        book = _Book(workbook, currency, title)
        contents = book.sheet("Contents")[0]
        listed = []
        data = report
        caption = data.caption() if data is not None else None
        # chart sheets first: they are what a planner opens the workbook for
        if data is not None:
            for name in data.summary_outputs:
                listed.append((_output_summary_sheet(book, data, name), f"one-page summary of {input_label(name)}: statistics, histogram, what drives it"))
        if histogram is not None:
            stats = None
            if data is not None:
                from .frames import distribution_statistics

                stats = distribution_statistics(data.monte_carlo, output)
            listed.append((_distribution_sheet(book, histogram, output, threshold, probability_above, statistics=stats, subtitle=caption),
                           "Monte Carlo histogram and native distribution chart (value axis, break-even line)"))
        if data is not None and "npv_gain" in data.monte_carlo.statistics:
            from .frames import distribution_statistics, histogram_from_result

            listed.append((_distribution_sheet(book, histogram_from_result(data.monte_carlo, "npv_gain", threshold=None), "npv_gain", None, None,
                                               statistics=distribution_statistics(data.monte_carlo, "npv_gain"), subtitle=caption,
                                               sheet_name="NPV gain distribution"), "distribution of the NPV gain in currency"))
        if fan is not None:
            listed.append((_fan_sheet(book, fan, fan_label, fan_base, fan.attrs.get("without_programme"), subtitle=caption),
                           "per-year percentiles and native fan chart"))
        if data is not None:
            if "market_share_path_without_programme" in data.monte_carlo.path_outputs and data.sample:
                listed.append((_with_without_sheet(book, data), "market share and NPV with and without the programme"))
            if data.sample:
                listed.append((_inputs_sheet(book, data), "distributions of the uncertain inputs as sampled"))
                scatter = _scatter_sheet(book, data)
                if scatter:
                    listed.append((scatter, "ROQ against its top drivers (sampled scenarios)"))
            convergence = _convergence_sheet(book, data)
            if convergence:
                listed.append((convergence, "running mean and P(ROQ > 1) with 95% intervals"))
        if tornado is not None:
            listed.append((_tornado_sheet(book, tornado, base_output, output,
                                          subtitle=data.caption("one input at a time, the others at base") if data is not None else None),
                           "one-way sweep and native tornado chart"))
        if data is not None:
            from .frames import spider_frame

            listed.append((_spider_sheet(book, spider_frame(data.spider, "roq"), data.base_roq, "roq", subtitle=data.caption("one input at a time")),
                           "spider sweep and native spider chart, lines named at their ends"))
        if sobol is not None:
            note = None
            if data is not None and data.sobol is not None and data.sobol.second_order is not None:
                from .frames import second_order_is_informative, second_order_note

                if not second_order_is_informative(data.sobol.second_order):
                    note = "Second order: " + second_order_note(data.sobol.second_order) + "."
            listed.append((_sobol_sheet(book, sobol, output, conf_level, subtitle=caption and data.caption(f"Sobol' N = {data.sobol_samples:,}"), note=note),
                           "Sobol' indices and native bar chart with confidence intervals"))
        if data is not None:
            if data.morris is not None:
                listed.append((_morris_sheet(book, data.morris.table, "roq", subtitle=data.caption(f"{data.morris_runs:,} model runs")), "Morris μ*-σ and native scatter chart"))
            x, y = data.two_way_axes
            chart_sheet, grid_sheet = _two_way_sheet(book, data.two_way, x, y, "roq", subtitle=data.caption("deterministic grid"))
            listed.append((chart_sheet, "two-way sweep: native line chart of ROQ, a line per discount rate, and the break-even line"))
            listed.append((grid_sheet, "the whole two-way grid, colour-scaled around ROQ = 1 (red below, white at 1, blue above)"))
            base_rate = float(data.scenario.base["discount_rate"]) if "discount_rate" in data.scenario.base else None
            listed.append((_discount_sheet(book, data.discount_curve, "roq", data.discount_break_even, base_rate, subtitle=data.caption("deterministic")),
                           "ROQ against the discount rate, native chart with the break-even rate"))
        for sheet_title, frame in (tables or {}).items():
            sheet, name = book.sheet(sheet_title)
            book.table(sheet, frame, units=(table_units or {}).get(sheet_title))
            sheet.freeze_panes(1, 0)
            book.print_setup(sheet, repeat_header=0)
            listed.append((name, f"table: {', '.join(map(str, frame.columns[:8]))}{', ...' if frame.shape[1] > 8 else ''}"))
        _contents(book, contents, title, listed, data)
        workbook.close()

    return atomic_write(target, write)


def write_tables_csv(tables: Mapping[str, pd.DataFrame], out_dir: str | Path, *, currency: str = "IDR") -> list[Path]:
    """Each table as ``<out_dir>/<name>.csv`` (name in snake_case), headers naming their units
    (:func:`table_with_units`), each file written atomically. Returns the paths."""
    directory = prepare_directory(out_dir)
    written = []
    for title, frame in tables.items():
        stem = re.sub(r"[^0-9a-z]+", "_", str(title).lower()).strip("_") or "table"
        shown = table_with_units(frame.reset_index() if any(n is not None for n in frame.index.names) else frame, currency)
        written.append(atomic_write(directory / f"{stem}.csv", lambda temporary, shown=shown: shown.to_csv(temporary, index=False)))
    return written


def table_with_units(frame: pd.DataFrame, currency: str = "IDR") -> pd.DataFrame:
    """A result table for CSV: each header names its unit ("mean (ratio)", "npv gain (Rp)");
    tables keyed by an input or output get a "shown in" column after the key."""
    book = _Book.__new__(_Book)
    book.currency = currency
    column_units, key, row_columns = _Book.units_of(book, frame)
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        unit = column_units[name]
        out[_header(name, unit if unit not in (None, "text") else None, currency)] = frame[name].to_numpy()
        if name == key and row_columns:
            out["shown in"] = [unit_text(value_unit(v), currency) or "number" for v in frame[name]]
    return out


def number_formats(frame: pd.DataFrame, currency: str = "IDR") -> dict:
    """Excel number formats of a table written as :func:`table_with_units` shows it.

    Returns
    -------
    dict
        Header (as :func:`table_with_units` names it) -> one format for the whole column,
        or a list with one format per row (columns whose unit is that of the row's input
        or output); text columns are left out. The same rules as the report workbook, for
        writers that set formats range by range (the xlwings report script).
    """
    book = _Book.__new__(_Book)
    book.currency = currency
    column_units, key, row_columns = _Book.units_of(book, frame)
    row_units = [value_unit(v) if isinstance(v, str) else "number" for v in frame[key]] if key and row_columns else []
    formats = {}
    for name in frame.columns:
        unit = column_units[name]
        header = _header(name, unit if unit not in (None, "text") else None, currency)
        if unit is None and row_units:
            formats[header] = [excel_number_format(u, currency) for u in row_units]
        elif unit not in (None, "text"):
            formats[header] = excel_number_format(unit, currency)
    return formats
