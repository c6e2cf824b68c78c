"""The report workbook as a reader sees it: opened and printed by a real spreadsheet
application (LibreOffice headless, private profile), every page rendered, and every number
in the format of its unit."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import numpy as np
import openpyxl
import pytest

from simulator.reports import build_report
from simulator.reports.export import REPORT_PAGE_BOUND

ERROR_TEXTS = ("#N/A", "#VALUE!", "#NAME?", "#REF!", "#DIV/0!", "#NUM!", "Err:")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    directory = tmp_path_factory.mktemp("report")
    return build_report(None, directory, "xlsx", samples=4096, seed=5, sensitivity_samples=64, morris_trajectories=8,
                        two_way_points=7, sample_size=1024)


@pytest.fixture(scope="module")
def workbook_path(report):
    (path,) = report.files
    return path


@pytest.fixture(scope="module")
def book(workbook_path):
    return openpyxl.load_workbook(workbook_path)


@pytest.fixture(scope="module")
def printed(workbook_path, tmp_path_factory):
    """The workbook printed to PDF by LibreOffice, and its pages as PNG."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        pytest.skip("LibreOffice (soffice) and poppler (pdftoppm) are needed; CI installs libreoffice-calc-nogui and poppler-utils")
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


def test_every_chart_series_has_numbers(workbook_path, book):
    """No chart lists an empty series (as the old distribution chart's "ROQ <= 1" was)."""
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
