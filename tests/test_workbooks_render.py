"""The built workbooks printed by a real spreadsheet application (LibreOffice headless).

LibreOffice has no add-in, so the pages show what a colleague without Python sees: every
number must be there (stored values, no error values), every chart must have data, and the
printed page count must stay within the bound docs/workbooks.md documents
(:data:`workbooks.render.PAGE_BOUNDS`). One ``soffice`` call converts all six workbooks.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from workbooks import render
from workbooks.build import DEFAULT_OUTDIR, WORKBOOKS, output_name
from workbooks._common import STORED_SHEET

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
    reason="needs LibreOffice (soffice) and poppler (pdftoppm, pdftotext, pdfinfo)",
)

BUILT = [DEFAULT_OUTDIR / output_name(stem, runtime) for stem in WORKBOOKS for runtime in ("classic", "lite")]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """{workbook path: PDF} for every built workbook, from one LibreOffice call."""
    return render.to_pdf(BUILT, tmp_path_factory.mktemp("printed"))


@pytest.mark.parametrize("book", BUILT, ids=lambda path: path.name)
def test_pages_show_no_error_value(printed, book):
    assert render.printed_errors(printed[book]) == []


@pytest.mark.parametrize("book", BUILT, ids=lambda path: path.name)
def test_printed_pages_within_the_documented_bound(printed, book):
    stem = book.name.rsplit("-", 1)[0]
    pages = render.page_count(printed[book])
    assert 1 <= pages <= render.PAGE_BOUNDS[stem]
    documented = (Path(__file__).resolve().parent.parent / "docs" / "workbooks.md").read_text(encoding="utf-8")
    assert re.search(rf"`{stem}-\*`\s*\|\s*{render.PAGE_BOUNDS[stem]}\b", documented), "docs/workbooks.md lists the bound"


@pytest.mark.parametrize("book", [path for path in BUILT if path.name.rsplit("-", 1)[0] not in render.EMPTY_CHARTS_AS_BUILT], ids=lambda path: path.name)
def test_every_chart_series_has_numbers(book):
    assert render.empty_chart_series(book) == []


def test_every_page_renders_to_a_picture(printed, tmp_path):
    """Sampled: the lite variants (the classic ones print the same sheets)."""
    for book, pdf in printed.items():
        if book.suffix != ".xlsx":
            continue
        pages = render.to_png(pdf, tmp_path, dpi=20)
        assert len(pages) == render.page_count(pdf)
        assert all(page.stat().st_size > 0 for page in pages)


def _text(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60).stdout


def test_printed_case_shows_the_computed_tables(printed):
    """The ROQ case's spilled tables show their numbers where the add-in is unknown (the stored values)."""
    text = _text(printed[DEFAULT_OUTDIR / output_name("roq-case-study", "lite")])
    assert "17,202,868,148" in text  # ROQ_MODEL's npv_with_programme, formatted as money
    assert "3.7238" in text and "7.07%" in text  # its ROQ (ratio, 4 decimals) and final share (%)
    assert "Singgih" in text and "2.72" in text  # the case named by its publication; the other headline explained


@pytest.mark.parametrize("book", BUILT, ids=lambda path: path.name)
def test_cases_are_named_by_their_publication(printed, book):
    assert not re.search(r"seed[\s-]*0\d\d", _text(printed[book]), re.I)


@pytest.mark.parametrize("book", BUILT, ids=lambda path: path.name)
def test_file_does_not_force_a_full_recalculation(book):
    with zipfile.ZipFile(book) as archive:
        workbook_xml = archive.read("xl/workbook.xml").decode("utf-8")
    assert "fullCalcOnLoad" not in workbook_xml
    if "case" in book.name or "claims" in book.name:
        assert f'name="{STORED_SHEET}"' in workbook_xml and 'state="hidden"' in workbook_xml
