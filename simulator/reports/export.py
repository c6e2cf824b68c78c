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
from .style import COLORS, DEFAULT_DPI, OKABE_ITO, format_input_value, format_percent, input_label

__all__ = [
    "FORMATS",
    "IMAGE_FORMATS",
    "parse_formats",
    "atomic_write",
    "save_figure",
    "save_figures",
    "write_report_workbook",
]

#: Formats a report can be written in.
FORMATS = ("png", "svg", "pdf", "xlsx")
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

_CHART_SIZE = {"width": 760, "height": 430}  # pixels: about 20 x 11.4 cm on the sheet
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _cell(value):
    """A Python/numpy value as something XlsxWriter writes (NaN stays a real #N/A error)."""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    if value is None:
        return ""
    if isinstance(value, np.ndarray):
        return ", ".join(f"{v:g}" for v in value.reshape(-1))
    return value


class _Book:
    """A thin wrapper over an XlsxWriter workbook: formats, unique sheet names, tables."""

    def __init__(self, workbook, currency: str):
        self.workbook = workbook
        self.currency = currency
        self.used: set = set()
        self.header = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "bottom": 1, "text_wrap": True, "valign": "top"})
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.note = workbook.add_format({"italic": True, "font_color": "#555555"})
        self.number = workbook.add_format({"num_format": "#,##0.0000"})
        self.money = workbook.add_format({"num_format": "#,##0"})
        self.percent = workbook.add_format({"num_format": "0.00%"})
        self.integer = workbook.add_format({"num_format": "0"})

    def sheet(self, name: str):
        clean = _SHEET_NAME_BAD.sub("", str(name))[:31] or "Sheet"
        candidate, k = clean, 2
        while candidate.lower() in self.used:
            candidate = f"{clean[:28]} {k}"
            k += 1
        self.used.add(candidate.lower())
        return self.workbook.add_worksheet(candidate), candidate

    def column_format(self, name: str, values):
        key = str(name).lower()
        if key in ("year", "rank", "count", "samples", "items") or key.endswith("_count"):
            return self.integer
        if key.startswith("npv") or "cost" in key or key.endswith("_idr") or key == "margin":
            return self.money
        if "share" in key or key.startswith("p_") or key in ("probability", "cumulative"):
            return self.percent
        numeric = pd.to_numeric(pd.Series(values), errors="coerce")
        if numeric.notna().any() and numeric.abs().max() >= 1e5:
            return self.money
        return self.number

    def table(self, sheet, frame: pd.DataFrame, row: int = 0, col: int = 0, *, formats: Mapping | None = None):
        """Write a header row and the values; returns (first data row, last data row)."""
        frame = frame.reset_index() if any(n is not None for n in frame.index.names) else frame
        formats = dict(formats or {})
        for j, name in enumerate(frame.columns):
            sheet.write(row, col + j, str(name), self.header)
            column = frame[name].tolist()
            fmt = formats.get(name, self.column_format(name, column))
            for i, value in enumerate(column):
                value = _cell(value)
                if isinstance(value, float) and not math.isfinite(value):
                    sheet.write_formula(row + 1 + i, col + j, "=NA()", fmt, "#N/A")  # a real error cell: charts skip it
                else:
                    sheet.write(row + 1 + i, col + j, value, fmt if isinstance(value, (int, float)) and not isinstance(value, bool) else None)
            width = max([len(str(name))] + [len(_shown(v)) for v in column[:200]])
            sheet.set_column(col + j, col + j, min(max(width + 2, 9), 48))
        return row + 1, row + len(frame)


def _shown(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}"
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


def _chart_style(chart, title: str, *, legend: str = "bottom"):
    chart.set_title({"name": title, "name_font": {"size": 13, "bold": True}})
    chart.set_legend({"position": legend, "font": {"size": 10}})
    chart.set_size(_CHART_SIZE)
    chart.set_chartarea({"border": {"none": True}})


def _tornado_sheet(book: _Book, tornado: pd.DataFrame, base_output: float, output: str):
    """One-way sweep table and a native tornado (bar chart crossing at the base output)."""
    sheet, name = book.sheet("Tornado")
    frame = tornado.copy()
    frame["swing"] = (frame["output_high"] - frame["output_low"]).abs()
    frame = frame.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    label = input_label(output)
    table = pd.DataFrame({
        "input": [input_label(n) for n in frame["input"]],
        "low value": frame["low"].astype(float),
        "high value": frame["high"].astype(float),
        f"{label} at low": frame["output_low"].astype(float),
        f"{label} at high": frame["output_high"].astype(float),
        "swing": frame["swing"].astype(float),
        "low (shown)": [format_input_value(n, v, book.currency) for n, v in zip(frame["input"], frame["low"])],
        "high (shown)": [format_input_value(n, v, book.currency) for n, v in zip(frame["input"], frame["high"])],
        "name": frame["input"],
    })
    first, last = book.table(sheet, table, formats={"low value": book.number, "high value": book.number})
    sheet.write(last + 2, 0, f"Base {label}", book.header)
    sheet.write(last + 2, 1, float(base_output), book.number)
    sheet.write(last + 3, 0, "The chart's vertical axis crosses the value axis at the base value, so the bars start there.", book.note)
    chart = book.workbook.add_chart({"type": "bar"})
    for column, colour, text_column, series_name in ((3, COLORS["low"], 6, "input at its low value"), (4, COLORS["high"], 7, "input at its high value")):
        chart.add_series({
            "name": series_name,
            "categories": _ref(name, first, 0, last),
            "values": _ref(name, first, column, last),
            "fill": {"color": colour},
            "border": {"none": True},
            "overlap": 100,
            "gap": 60,
            "data_labels": {"value": False, "custom": [{"value": _ref(name, r, text_column)} for r in range(first, last + 1)],
                            "position": "outside_end", "font": {"size": 9}},
        })
    _chart_style(chart, f"Tornado: {label} with one input at its low / high value")
    values = np.concatenate([table.iloc[:, 3].to_numpy(float), table.iloc[:, 4].to_numpy(float), [float(base_output)]])
    low, high = _nice_bounds(float(np.nanmin(values)), float(np.nanmax(values)))
    chart.set_x_axis({"name": f"{label} (ratio)" if output in ("roq", "roq_net") else label, "crossing": float(base_output),
                      "min": low, "max": high, "num_format": "0.00", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    # largest swing on top; the value axis stays at the bottom; labels left of the plot
    chart.set_y_axis({"reverse": True, "crossing": "max", "label_position": "low", "major_tick_mark": "none"})
    sheet.insert_chart(0, table.shape[1] + 1, chart)
    return name


def _sobol_sheet(book: _Book, sobol: pd.DataFrame, output: str, conf_level: float):
    """Sobol' S1 / ST table and a native clustered bar chart with confidence-interval error bars."""
    sheet, name = book.sheet("Sobol")
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
    first, last = book.table(sheet, table)
    sheet.write(last + 2, 0, f"S1: share of the variance of {input_label(output)} an input explains alone; ST: including its interactions; "
                             f"*_conf: {conf_level:.0%} confidence half-widths (error bars).", book.note)
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
    _chart_style(chart, f"Sobol' indices of {input_label(output)} ({conf_level:.0%} CI)")
    chart.set_x_axis({"name": "Share of variance (Sobol' index)", "min": 0, "num_format": "0.00",
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_y_axis({"reverse": True, "crossing": "max", "major_tick_mark": "none"})
    sheet.insert_chart(0, table.shape[1] + 1, chart)
    return name


def _distribution_sheet(book: _Book, histogram: pd.DataFrame, output: str, threshold, probability_above):
    """Histogram table (shares below / above the threshold as two series) and cumulative line."""
    sheet, name = book.sheet("Distribution")
    low = histogram["bin_low"].to_numpy(dtype=float)
    high = histogram["bin_high"].to_numpy(dtype=float)
    counts = histogram["count"].to_numpy(dtype=float)
    share = counts / counts.sum()
    below_mask = high <= threshold + 1e-12 if threshold is not None else np.zeros(len(share), bool)
    label = input_label(output)
    table = pd.DataFrame({
        "bin_low": low,
        "bin_high": high,
        label: np.round((low + high) / 2, 6),
        "count": counts.astype(np.int64) if np.all(counts == np.round(counts)) else counts,
        f"share, {label} <= {threshold:g}" if threshold is not None else "share (below)": np.where(below_mask, share, 0.0),
        f"share, {label} > {threshold:g}" if threshold is not None else "share": np.where(below_mask, 0.0, share),
        "cumulative": np.cumsum(share),
    })
    first, last = book.table(sheet, table, formats={label: book.number})
    if probability_above is not None and threshold is not None:
        sheet.write(last + 2, 0, f"P({label} > {threshold:g})", book.header)
        sheet.write(last + 2, 1, float(probability_above), book.percent)
    columns = book.workbook.add_chart({"type": "column", "subtype": "stacked"})
    for column, colour in ((4, COLORS["negative"]), (5, COLORS["main"])):
        columns.add_series({
            "name": _ref(name, first - 1, column),
            "categories": _ref(name, first, 2, last),
            "values": _ref(name, first, column, last),
            "fill": {"color": colour},
            "border": {"color": "#FFFFFF", "width": 0.25},
            "gap": 0,
            "overlap": 100,
        })
    line = book.workbook.add_chart({"type": "line"})
    line.add_series({
        "name": "cumulative probability",
        "categories": _ref(name, first, 2, last),
        "values": _ref(name, first, 6, last),
        "y2_axis": True,
        "line": {"color": COLORS["text"], "width": 2.0},
        "marker": {"type": "none"},
    })
    columns.combine(line)
    probability = f"; P({label} > {threshold:g}) = {format_percent(probability_above, 1)}" if probability_above is not None and threshold is not None else ""
    _chart_style(columns, f"Monte Carlo distribution of {label}{probability}")
    columns.set_x_axis({"name": f"{label} (bin midpoint)", "num_format": "0.00", "num_font": {"rotation": -45},
                        "interval_unit": max(1, len(table) // 12), "major_tick_mark": "none"})
    columns.set_y_axis({"name": "Share of scenarios", "num_format": "0%", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    line.set_y2_axis({"name": "Cumulative probability", "num_format": "0%", "min": 0, "max": 1})
    sheet.insert_chart(0, table.shape[1] + 1, columns)
    return name


def _fan_sheet(book: _Book, fan: pd.DataFrame, output_label: str, base=None):
    """Per-year percentiles and a native fan chart: stacked areas of the band widths + median line."""
    sheet, name = book.sheet("Fan chart")
    percent_columns = sorted(((float(m.group(1)), c) for c in fan.columns if (m := re.fullmatch(r"[Pp](\d+(?:\.\d+)?)", str(c)))))
    if len(percent_columns) < 2:
        raise RoqInputError("fan", "needs at least two percentile columns P<q> besides year")
    table = pd.DataFrame({"year": fan["year"].to_numpy()})
    for _, column in percent_columns:
        table[column] = fan[column].to_numpy(dtype=float)
    if base is not None:
        table["base case"] = np.asarray(base, dtype=float)
    first, last = book.table(sheet, table, formats={c: book.percent for c in table.columns if c != "year"})
    # helper columns: the lowest percentile, then each band's width, as live formulas over the table
    from xlsxwriter.utility import xl_rowcol_to_cell

    helper_col = table.shape[1] + 1
    sheet.write(first - 1, helper_col - 1, "chart helper: band widths", book.note)
    names = [c for _, c in percent_columns]
    helper_headers = [f"{names[0]} (band start)"] + [f"{names[k - 1]}–{names[k]}" for k in range(1, len(names))]
    for j, header in enumerate(helper_headers):
        sheet.write(first - 1, helper_col + j, header, book.header)
        for i in range(len(table)):
            row = first + i
            if j == 0:
                formula = f"={xl_rowcol_to_cell(row, 1)}"
                value = table.iloc[i, 1]
            else:
                formula = f"={xl_rowcol_to_cell(row, 1 + j)}-{xl_rowcol_to_cell(row, j)}"
                value = table.iloc[i, 1 + j] - table.iloc[i, j]
            sheet.write_formula(row, helper_col + j, formula, book.percent, float(value))
        sheet.set_column(helper_col + j, helper_col + j, 14)
    n_bands = len(names) - 1
    centre = n_bands / 2.0
    area = book.workbook.add_chart({"type": "area", "subtype": "stacked"})
    for j, header in enumerate(helper_headers):
        if j == 0:
            fill = {"none": True}
        else:
            # inner bands darker: distance of the band from the middle of the fan
            distance = abs((j - 0.5) - centre) / max(centre, 1)
            fill = {"color": OKABE_ITO["blue"], "transparency": int(35 + 40 * distance)}
        area.add_series({
            "name": header if j else "",
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
    if base is not None:
        line.add_series({
            "name": "base case",
            "categories": _ref(name, first, 0, last),
            "values": _ref(name, first, table.columns.get_loc("base case"), last),
            "line": {"color": COLORS["text"], "width": 1.5, "dash_type": "dash"},
            "marker": {"type": "none"},
        })
    area.combine(line)
    _chart_style(area, f"{output_label} by year: Monte Carlo percentile bands")
    area.set_x_axis({"name": "Year of the programme"})
    low, high = _nice_bounds(float(np.nanmin(table.iloc[:, 1:].to_numpy(float))), float(np.nanmax(table.iloc[:, 1:].to_numpy(float))))
    area.set_y_axis({"name": f"{output_label} (%)", "num_format": "0.0%", "min": max(low, 0.0), "max": high,
                     "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    area.set_legend({"position": "bottom", "delete_series": [0]})
    sheet.insert_chart(len(table) + 4, 0, area)
    return name


def write_report_workbook(path: str | Path, *, tornado: pd.DataFrame | None = None, base_output: float | None = None,
                          sobol: pd.DataFrame | None = None, histogram: pd.DataFrame | None = None, probability_above: float | None = None,
                          fan: pd.DataFrame | None = None, fan_base=None, tables: Mapping[str, pd.DataFrame] | None = None,
                          output: str = "roq", threshold: float | None = 1.0, conf_level: float = 0.95, currency: str = "IDR",
                          title: str = "ROQ report", fan_label: str = "Market share with the programme") -> Path:
    """Write the report workbook: result tables plus native, editable Excel charts.

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
        with ``probability_above``: sheet "Distribution" with a stacked column chart (bins
        below / above ``threshold`` in two colours) and the cumulative share on a
        secondary axis.
    fan : DataFrame, optional
        ``year, P5, ..., P95`` (fractions): sheet "Fan chart" with stacked areas of the
        band widths (live formulas over the table) and the median line; ``fan_base``
        adds the base-case path.
    tables : mapping of str to DataFrame, optional
        Further tables, one sheet each, after the chart sheets (e.g. "Summary").
    output, threshold, conf_level, currency, title, fan_label
        Labels and the break-even (ROQ = 1).

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
        book = _Book(workbook, currency)
        contents = book.sheet("Contents")[0]
        contents.write(0, 0, title, book.title)
        contents.set_column(0, 0, 28)
        contents.set_column(1, 1, 90)
        listed = []
        # chart sheets first: they are what a planner opens the workbook for
        if tornado is not None:
            listed.append((_tornado_sheet(book, tornado, base_output, output), "one-way sweep and native tornado chart"))
        if sobol is not None:
            listed.append((_sobol_sheet(book, sobol, output, conf_level), "Sobol' indices and native bar chart with confidence intervals"))
        if histogram is not None:
            listed.append((_distribution_sheet(book, histogram, output, threshold, probability_above), "Monte Carlo histogram and native distribution chart"))
        if fan is not None:
            listed.append((_fan_sheet(book, fan, fan_label, fan_base), "per-year percentiles and native fan chart"))
        for sheet_title, frame in (tables or {}).items():
            sheet, name = book.sheet(sheet_title)
            book.table(sheet, frame)
            sheet.freeze_panes(1, 0)
            listed.append((name, f"table: {', '.join(map(str, frame.columns[:8]))}{', ...' if frame.shape[1] > 8 else ''}"))
        contents.write(2, 0, "Sheet", book.header)
        contents.write(2, 1, "What it holds", book.header)
        for i, (name, what) in enumerate(listed, start=3):
            contents.write_url(i, 0, f"internal:'{name}'!A1", string=name)
            contents.write(i, 1, what)
        contents.write(len(listed) + 4, 0, "Charts are native Excel charts over the tables: edit the numbers or restyle them in Excel.", book.note)
        workbook.close()

    return atomic_write(target, write)
