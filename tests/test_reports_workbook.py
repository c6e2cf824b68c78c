"""The report workbook: native Excel charts whose series point at the right table ranges,
checked by opening the file with openpyxl (and the chart XML where openpyxl drops details);
then as a reader sees it: opened and printed by a real spreadsheet application (LibreOffice
headless, private profile), every page rendered, every number in the format of its unit."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from simulator.errors import RoqInputError
from simulator.reports import build_report, write_report_workbook
from simulator.reports.export import REPORT_PAGE_BOUND
from simulator.reports.frames import FAN_PERCENTILES
from simulator.reports.style import input_label


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    directory = tmp_path_factory.mktemp("report")
    return build_report(None, directory, "xlsx", samples=4096, seed=5, sensitivity_samples=64, morris_trajectories=8,
                        two_way_points=7, sample_size=1024)


@pytest.fixture(scope="module")
def book(report):
    (path,) = report.files
    return openpyxl.load_workbook(path)


def only_chart(sheet):
    assert len(sheet._charts) == 1
    return sheet._charts[0]


def cells(sheet, reference):
    """Values of a chart reference like 'Tornado'!$D$2:$D$5 on its sheet."""
    name, cell_range = reference.rsplit("!", 1)
    assert name.strip("'") == sheet.title
    return [row[0].value for row in sheet[cell_range.replace("$", "")]]


def test_workbook_file(report):
    (path,) = report.files
    assert path.name == "roq_report.xlsx" and path.stat().st_size > 10_000
    assert zipfile.ZipFile(path).testzip() is None
    assert not list(path.parent.glob(".*tmp*"))  # no temporary file left behind


def test_sheets_chart_sheets_first(book):
    assert book.sheetnames[:6] == ["Contents", "Summary ROQ", "Summary NPV gain", "Summary Final market share", "Distribution",
                                   "NPV gain distribution"]
    for name in ("Fan chart", "With vs without", "Inputs", "Scatter", "Convergence chart", "Tornado", "Spider", "Sobol", "Morris",
                 "Two-way", "Two-way grid", "Discount curve", "Summary", "Convergence", "Scenario inputs", "One-way sweep",
                 "Spider sweep", "Break-even", "Sobol second order", "Sample sensitivity"):
        assert name in book.sheetnames


def _table_top(sheet, header: str) -> int:
    """Row (1-based) of the header cell ``header`` in column A."""
    return next(c.row for c in sheet["A"] if c.value == header)


def test_tornado_is_a_bar_chart_over_the_one_way_table(book, report):
    sheet = book["Tornado"]
    chart = only_chart(sheet)
    assert type(chart).__name__ == "BarChart" and chart.barDir == "bar" and len(chart.series) == 2
    table = report.data.one_way.sort_values("swing", ascending=False)
    n = len(table)
    top = _table_top(sheet, "input")
    low, high = chart.series
    assert low.val.numRef.f == f"'Tornado'!$B${top + 1}:$B${top + n}"
    assert high.val.numRef.f == f"'Tornado'!$C${top + 1}:$C${top + n}"
    for series in chart.series:
        assert series.cat.strRef.f == f"'Tornado'!$A${top + 1}:$A${top + n}"
    np.testing.assert_allclose(cells(sheet, low.val.numRef.f), table["roq_low"])
    np.testing.assert_allclose(cells(sheet, high.val.numRef.f), table["roq_high"])
    assert cells(sheet, low.cat.strRef.f) == [input_label(n) for n in table["input"]]
    # bars start at the base ROQ: the category axis crosses the value axis there
    assert chart.x_axis.crossesAt == pytest.approx(report.data.base_roq)


def test_tornado_bar_ends_are_labelled_with_input_values(report, book):
    (path,) = report.files
    top = _table_top(book["Tornado"], "input")
    with zipfile.ZipFile(path) as archive:
        xml = next(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/") and f"'Tornado'!$B${top + 1}" in archive.read(n).decode())
    labels = re.findall(r"<c:dLbl>.*?<c:f>([^<]+)</c:f>", xml)
    n = len(report.data.one_way)
    assert labels == [f"'Tornado'!$G${r}" for r in range(top + 1, top + n + 1)] + [f"'Tornado'!$H${r}" for r in range(top + 1, top + n + 1)]


def test_sobol_bars_have_confidence_interval_error_bars(book, report):
    sheet = book["Sobol"]
    chart = only_chart(sheet)
    assert type(chart).__name__ == "BarChart" and len(chart.series) == 2
    table = report.data.sobol.table.sort_values("ST", ascending=False)
    n = len(table)
    top = _table_top(sheet, "input")
    for series, value_column, conf_column, column in zip(chart.series, "BD", "CE", ("S1", "ST")):
        assert series.val.numRef.f == f"'Sobol'!${value_column}${top + 1}:${value_column}${top + n}"
        errors = series.errBars
        assert errors.errValType == "cust" and errors.errBarType == "both"
        assert errors.plus.numRef.f == errors.minus.numRef.f == f"'Sobol'!${conf_column}${top + 1}:${conf_column}${top + n}"
        np.testing.assert_allclose(cells(sheet, series.val.numRef.f), table[column])
        np.testing.assert_allclose(cells(sheet, errors.plus.numRef.f), table[f"{column}_conf"])


def test_distribution_is_on_a_value_axis_with_the_break_even_line(book, report):
    sheet = book["Distribution"]
    chart = only_chart(sheet)
    assert type(chart).__name__ == "ScatterChart"  # a value axis: ROQ = 1 can be shown wherever the bins are
    names = [s.tx.strRef.f if s.tx.strRef is not None else s.tx.v for s in chart.series]
    outline = chart.series[0]
    x = cells(sheet, outline.xVal.numRef.f)
    y = cells(sheet, outline.yVal.numRef.f)
    bins = len(report.data.histogram)
    assert len(x) == 2 * bins + 2 and y[0] == y[-1] == 0
    np.testing.assert_allclose(sum(y[1::2]), 1.0)  # each bin's share once
    threshold = next(s for s in chart.series if "ROQ = 1" in str(s.tx.v or ""))
    assert set(cells(sheet, threshold.xVal.numRef.f)) == {1.0}
    assert chart.x_axis.scaling.min <= 1.0 <= chart.x_axis.scaling.max
    assert len(names) == len(set(map(str, names)))
    assert chart.title.tx.rich.p[0].r[0].t.startswith(f"Monte Carlo distribution of ROQ; P(ROQ > 1) = {report.data.monte_carlo.probability('roq'):.1%}")


def test_fan_chart_stacks_band_widths_computed_from_the_table(book, report):
    sheet = book["Fan chart"]
    chart = only_chart(sheet)
    area, line = chart._charts
    assert type(area).__name__ == "AreaChart" and area.grouping == "stacked"
    years = len(report.data.fan)
    bands = len(FAN_PERCENTILES)
    assert len(area.series) == bands  # the lowest percentile (invisible) + one width per band
    helper = [s.val.numRef.f for s in area.series]
    top = _table_top(sheet, "year")
    r = top + 1
    # the helper columns are live formulas over the percentile columns B.. of the same rows
    first_helper = re.match(rf"'Fan chart'!\$([A-Z]+)\${r}", helper[0]).group(1)
    assert sheet[f"{first_helper}{r}"].value == f"=B{r}"
    second_helper = re.match(rf"'Fan chart'!\$([A-Z]+)\${r}", helper[1]).group(1)
    assert sheet[f"{second_helper}{r}"].value == f"=C{r}-B{r}"
    for reference in helper:
        assert reference.endswith(f"${top + years}")
    assert line.series[0].val.numRef.f == f"'Fan chart'!$E${r}:$E${top + years}"  # the P50 column
    np.testing.assert_allclose(cells(sheet, line.series[0].val.numRef.f), report.data.fan["P50"])
    # the lines the PNG has: base case and the path without the programme; an axis from 0 that shows both
    names = [s.tx.v for s in line.series]
    assert names == ["median (P50)", "base case", "without programme (median)"]
    np.testing.assert_allclose(cells(sheet, line.series[2].val.numRef.f), report.data.fan.attrs["without_programme"])
    with zipfile.ZipFile(report.files[0]) as archive:
        xml = next(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/") and "'Fan chart'!" in archive.read(n).decode())
    assert re.search(r'<c:min val="0(\.0)?"/>', xml)
    cached = openpyxl.load_workbook(report.files[0], data_only=True)["Fan chart"]
    np.testing.assert_allclose(cached[f"{second_helper}{r}"].value, report.data.fan["P10"][0] - report.data.fan["P5"][0])


def test_native_spider_morris_two_way_and_discount_charts(book, report):
    spider = only_chart(book["Spider"])
    assert type(spider).__name__ == "ScatterChart" and len(spider.series) == len(report.data.spider["input"].unique())
    assert len({str(s.spPr.ln.prstDash or "solid") for s in spider.series}) == len(spider.series)
    morris = only_chart(book["Morris"])
    assert type(morris).__name__ == "ScatterChart" and len(morris.series) == len(report.data.morris.table)
    assert morris.y_axis.scaling.max <= 2 * report.data.morris.table["sigma"].max() + 0.01
    two_way = only_chart(book["Two-way"])
    assert any("break-even" in str(s.tx.v) for s in two_way.series)
    grid = book["Two-way grid"]
    assert grid.conditional_formatting  # colour scale centred on ROQ = 1
    rule = list(grid.conditional_formatting)[0].rules[0]
    assert rule.colorScale.cfvo[1].type == "num" and float(rule.colorScale.cfvo[1].val) == 1.0
    assert type(only_chart(book["Discount curve"])).__name__ == "ScatterChart"


def test_a_failed_write_leaves_the_old_workbook_untouched(tmp_path):
    target = tmp_path / "report.xlsx"
    histogram = pd.DataFrame({"bin_low": [0.0, 1.0], "bin_high": [1.0, 2.0], "count": [1, 3]})
    write_report_workbook(target, histogram=histogram, probability_above=0.75)
    before = target.read_bytes()
    bad_fan = pd.DataFrame({"year": [1, 2], "P50": [0.1, 0.2]})  # one percentile: no band to draw
    with pytest.raises(RoqInputError) as caught:
        write_report_workbook(target, histogram=histogram, probability_above=0.75, fan=bad_fan)
    assert caught.value.argument == "fan"
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"path": "report.csv"}, "path"),
        ({"path": "report.xlsx", "tornado": pd.DataFrame({"input": ["a"], "low": [0], "high": [1], "output_low": [1], "output_high": [2]})}, "base_output"),
    ],
)
def test_workbook_bad_input(tmp_path, kwargs, argument):
    kwargs["path"] = tmp_path / kwargs["path"]
    with pytest.raises(RoqInputError) as caught:
        write_report_workbook(**kwargs)
    assert caught.value.argument == argument


# --------------------------------------------------------------------------- printed by a real spreadsheet application

ERROR_TEXTS = ("#N/A", "#VALUE!", "#NAME?", "#REF!", "#DIV/0!", "#NUM!", "Err:")


@pytest.fixture(scope="module")
def printed(report, tmp_path_factory):
    """The workbook printed to PDF by LibreOffice, and its pages as PNG."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        pytest.skip("LibreOffice (soffice) and poppler (pdftoppm) are needed; CI installs libreoffice-calc-nogui and poppler-utils")
    (workbook_path,) = report.files
    out = tmp_path_factory.mktemp("printed")
    profile = out / "lo-profile"  # a private profile: no clash with another soffice
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to", "pdf",
                    "--outdir", str(out), str(workbook_path)], check=True, timeout=240, capture_output=True)
    pdf = out / (workbook_path.stem + ".pdf")
    assert pdf.exists()
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(out / "page")], check=True, timeout=240)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, timeout=120, capture_output=True, text=True).stdout
    return {"pdf": pdf, "pages": sorted(out.glob("page-*.png")), "text": text}


def test_printed_pages_stay_within_the_documented_bound(printed):
    assert 10 <= len(printed["pages"]) <= REPORT_PAGE_BOUND


def test_no_error_value_on_any_printed_page(printed):
    pages = printed["text"].split("\f")
    for number, page in enumerate(pages, start=1):
        for error in ERROR_TEXTS:
            assert error not in page, f"page {number} shows {error}"
        assert not re.search(r"\bError\b", page), f"page {number} shows Error"


def test_every_page_has_content(printed):
    from PIL import Image

    for page in printed["pages"]:
        pixels = np.asarray(Image.open(page).convert("L"), dtype=float)
        assert (pixels < 200).mean() > 0.002, f"{page.name} is blank"


def _resolve(book, reference: str) -> list:
    name, cells = reference.lstrip("=").rsplit("!", 1)
    sheet = book[name.strip("'").replace("''", "'")]
    rows = sheet[cells.replace("$", "")]
    rows = rows if isinstance(rows, tuple) else ((rows,),)
    return [cell.value for row in (rows if isinstance(rows[0], tuple) else (rows,)) for cell in row]


def test_every_chart_series_has_numbers(report):
    """No chart lists an empty series (as the old distribution chart's "ROQ <= 1" was)."""
    (workbook_path,) = report.files
    cached = openpyxl.load_workbook(workbook_path, data_only=True)
    with zipfile.ZipFile(workbook_path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) >= 15
        for chart in charts:
            xml = archive.read(chart).decode()
            for series in re.findall(r"<c:ser>(.*?)</c:ser>", xml, flags=re.S):
                values = re.search(r"<c:(?:val|yVal)>.*?<c:f>([^<]+)</c:f>", series, flags=re.S)
                assert values, f"{chart}: a series without values"
                numbers = [v for v in _resolve(cached, values.group(1)) if isinstance(v, (int, float)) and not isinstance(v, bool)]
                name = re.search(r"<c:tx>.*?<c:(?:f|v)>([^<]+)</c:", series, flags=re.S)
                label = name.group(1) if name else "?"
                assert numbers, f"{chart}: series {label} ({values.group(1)}) is empty"
                # a series drawn as zero everywhere is as empty as none (bar and area helpers aside)
                if "<c:barChart>" not in xml and "<c:areaChart>" not in xml:
                    assert any(v != 0 for v in numbers) or len(numbers) <= 2, f"{chart}: series {label} is all zeros"


# --------------------------------------------------------------------------- number formats

_HEADER_FILL = "FFE8EEF4"


def _is_header(cell) -> bool:
    return cell.fill is not None and cell.fill.fgColor is not None and cell.fill.fgColor.rgb == _HEADER_FILL


def _unit_of_text(text) -> str | None:
    text = str(text or "")
    for marker, unit in (("(%)", "percent"), ("(Rp)", "money"), ("(ratio)", "ratio"), ("(index 0-1)", "index"), ("(customers)", "count"),
                         ("(years)", "years")):
        if marker in text:
            return unit
    return {"%": "percent", "Rp": "money", "ratio": "ratio", "index 0-1": "index", "customers": "count", "years": "years"}.get(text.strip())


def _format_matches(unit: str, number_format: str) -> bool:
    if unit == "percent":
        return "%" in number_format
    if unit == "money":
        return "Rp" in number_format and "#,##0" in number_format
    if unit in ("ratio", "index"):
        return re.search(r"0\.0{2,4}(?!%)", number_format) is not None and "%" not in number_format
    if unit == "count":
        return "#,##0" in number_format
    if unit == "years":
        return number_format in ("0", "General") or "0" in number_format
    return True


def _numeric_cells(sheet):
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                yield cell


def test_every_numeric_cell_has_the_format_of_its_unit(book):
    checked = 0
    for sheet in book.worksheets:
        header_rows = {}  # column -> [(row, header text)]
        shown_in = {}  # header row -> column of its "shown in" cells
        for row in sheet.iter_rows():
            for cell in row:
                if _is_header(cell):
                    header_rows.setdefault(cell.column, []).append((cell.row, cell.value))
                    if cell.value == "shown in":
                        shown_in[cell.row] = cell.column
        for cell in _numeric_cells(sheet):
            if _is_header(cell):
                assert cell.number_format != "General", f"{sheet.title}!{cell.coordinate}: header number without a format"
                continue
            above = [(r, text) for r, text in header_rows.get(cell.column, []) if r < cell.row]
            assert cell.number_format != "General", f"{sheet.title}!{cell.coordinate} = {cell.value!r} has no number format"
            unit = None
            if float(cell.value) == round(cell.value) and cell.number_format in ("0", "#,##0"):
                continue  # a count shown whole (samples, bins, year)
            if above:
                header_row, text = above[-1]
                unit = _unit_of_text(text)
                if unit is None and header_row in shown_in:
                    unit = _unit_of_text(sheet.cell(cell.row, shown_in[header_row]).value)
            if unit is not None:
                assert _format_matches(unit, cell.number_format), \
                    f"{sheet.title}!{cell.coordinate} = {cell.value!r}: unit {unit}, format {cell.number_format!r}"
                checked += 1
            elif isinstance(cell.value, float) and cell.value != round(cell.value):
                # a fraction of a unit the header does not name must keep its decimals
                assert cell.number_format not in ("0", "#,##0"), f"{sheet.title}!{cell.coordinate} = {cell.value!r} shown as a whole number"
    assert checked > 500


def _row(sheet, key_column: int, key: str):
    for row in sheet.iter_rows():
        if row[key_column - 1].value == key:
            return row
    raise AssertionError(f"{key} not in {sheet.title}")


def _column(sheet, header_start: str) -> int:
    for row in sheet.iter_rows(max_row=40):
        for cell in row:
            if _is_header(cell) and str(cell.value).startswith(header_start):
                return cell.column
    raise AssertionError(f"no header {header_start!r} on {sheet.title}")


def test_the_formats_the_issue_found_wrong(book):
    summary = book["Summary"]
    for output, expected in (("roq", "0.000"), ("final_market_share", "0.00%")):
        row = _row(summary, 1, output)
        for header in ("mean", "sd", "P5"):
            cell = row[_column(summary, header) - 1] if header != "mean" else row[_column(summary, "mean") - 1]
            assert cell.number_format == expected, (output, header, cell.number_format)
    assert "Rp" in _row(summary, 1, "npv_gain")[_column(summary, "mean") - 1].number_format
    convergence = book["Convergence"]
    assert _row(convergence, 2, "roq")[_column(convergence, "mean") - 1].number_format == "0.000"
    inputs = book["Scenario inputs"]
    base = _column(inputs, "base")
    for name in ("market_growth", "churn", "discount_rate"):
        assert "%" in _row(inputs, 1, name)[base - 1].number_format
    fixed = _row(inputs, 1, "attraction")
    assert fixed[_column(inputs, "mean") - 1].value is None  # blank, not #N/A
    spider = book["Spider sweep"]
    value = _column(spider, "value")
    rates = [r for r in spider.iter_rows(min_row=2) if r[0].value == "discount_rate"]
    assert rates and all("%" in r[value - 1].number_format for r in rates)
    breakeven = book["Break-even"]
    assert "%" in _row(breakeven, 1, "discount_rate")[_column(breakeven, "break even") - 1].number_format


def test_page_setup_on_every_sheet(book):
    for sheet in book.worksheets:
        assert sheet.page_setup.paperSize in (9, "9"), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.page_setup.fitToWidth in (1, "1", None) and sheet.page_setup.fitToHeight in (0, "0"), sheet.title
        if sheet.title != "Contents":
            assert sheet.page_setup.orientation == "landscape", sheet.title
        if sheet._charts:  # a page break after every chart: none is split over two pages
            assert len(sheet.row_breaks.brk) >= 1, sheet.title


def test_case_is_named_by_its_publication(book):
    contents = book["Contents"]
    text = " ".join(str(c.value) for row in contents.iter_rows() for c in row if c.value)
    assert "Singgih" in text and "seed 001" not in text.lower()


def test_csv_headers_name_their_units(report, tmp_path):
    from simulator.reports.export import write_tables_csv
    from simulator.reports.report import report_tables

    written = write_tables_csv(report_tables(report.data), tmp_path)
    assert {p.name for p in written} >= {"summary.csv", "spider_sweep.csv", "discount_curve.csv", "scenario_inputs.csv"}
    summary = pd.read_csv(tmp_path / "summary.csv").set_index("output")
    assert summary.loc["roq", "shown in"] == "ratio" and summary.loc["npv_gain", "shown in"] == "Rp" and summary.loc["final_market_share", "shown in"] == "%"
    curve = pd.read_csv(tmp_path / "discount_curve.csv")
    assert list(curve.columns[:3]) == ["discount rate (%)", "roq (ratio)", "npv gain (Rp)"]
    np.testing.assert_allclose(curve["discount rate (%)"], report.data.discount_curve["discount_rate"])  # fractions, as the rule says
    assert "change (%)" in pd.read_csv(tmp_path / "spider_sweep.csv").columns
