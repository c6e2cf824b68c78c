"""Print the built workbooks with a real spreadsheet application and check what is on the pages.

``python -m workbooks.render [--outdir DIR] [--contact-sheet docs/images/workbook-pages.png]``
converts every built workbook to PDF with LibreOffice headless (one ``soffice`` call for all
files, a private profile), renders each page to PNG with poppler's ``pdftoppm`` and reports,
per workbook, the printed page count against :data:`PAGE_BOUNDS`, the cells printed as an
error value, and the charts whose series have no numbers. With ``--contact-sheet`` it also
writes a small montage of every page (the one ``docs/workbooks.md`` shows).

LibreOffice does not have the add-in: what it prints is what a colleague without Python sees.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

__all__ = [
    "PAGE_BOUNDS",
    "EMPTY_CHARTS_AS_BUILT",
    "ERROR_VALUES",
    "to_pdf",
    "page_count",
    "printed_errors",
    "to_png",
    "empty_chart_series",
    "contact_sheet",
    "main",
]

#: Most printed pages (A4) per workbook stem; docs/workbooks.md lists the same bounds.
PAGE_BOUNDS = {"roq-case-study": 10, "claims-servqual": 10, "survey-template": 13, "customer-records": 19, "survey-to-roq": 9,
               "loyalty-drivers": 17}
#: Workbooks whose charts are empty as built: the template's IPA chart waits for pasted answers.
EMPTY_CHARTS_AS_BUILT = {"survey-template"}

#: What a spreadsheet prints in a cell that failed (Excel's error values, LibreOffice's Err:nnn).
ERROR_VALUES = ("#NAME?", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NULL!", "#SPILL!", "#CALC!")
_ERROR_RE = re.compile(r"(?:^|\s)(#NAME\?|#VALUE!|#REF!|#DIV/0!|#NUM!|#NULL!|#SPILL!|#CALC!|Err:\d{3}|Error(?::|\b))")
#: Prose that mentions an error value on purpose (the About sheet's set-up steps).
_PROSE_RE = re.compile(r"still show #NAME\?|starting with 'Error: '|replace it with nothing")

SOFFICE_TIMEOUT = 300  # seconds for one conversion of every workbook


def to_pdf(workbooks, outdir) -> dict[Path, Path]:
    """Convert ``workbooks`` to PDF in ``outdir`` with one LibreOffice headless call; {workbook: pdf}."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise FileNotFoundError("soffice (LibreOffice) is not on PATH")
    workbooks = [Path(path) for path in workbooks]
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf", "--outdir", str(outdir), *map(str, workbooks)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=SOFFICE_TIMEOUT,
        )
    pdfs = {path: outdir / (path.stem + ".pdf") for path in workbooks}
    missing = [str(path) for path, pdf in pdfs.items() if not pdf.is_file()]
    if missing:
        raise RuntimeError(f"LibreOffice wrote no PDF for {', '.join(missing)}")
    return pdfs


def page_count(pdf) -> int:
    """Number of pages of ``pdf`` (poppler's pdfinfo)."""
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True, timeout=60).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def printed_errors(pdf) -> list[str]:
    """Lines of the printed pages (``pdftotext -layout``) that show an error value, as 'page N: line'."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True, timeout=60).stdout
    found = []
    for number, page in enumerate(text.split("\f"), start=1):
        for line in page.splitlines():
            if _ERROR_RE.search(line) and not _PROSE_RE.search(line):
                found.append(f"page {number}: {line.strip()}")
    return found


def to_png(pdf, outdir, *, dpi: int = 40) -> list[Path]:
    """Render every page of ``pdf`` to ``outdir/STEM-N.png``; the files in page order."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    prefix = outdir / Path(pdf).stem
    for old in outdir.glob(f"{Path(pdf).stem}-*.png"):  # pages of an earlier rendering
        old.unlink()
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True, timeout=120)
    pages = sorted(outdir.glob(f"{Path(pdf).stem}-*.png"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))
    return pages


_SERIES_REF_RE = re.compile(r"<c:(val|yVal|xVal|cat)>.*?<c:f>(.*?)</c:f>", re.S)


def empty_chart_series(workbook) -> list[str]:
    """Charts' data ranges (values, x and y) that hold no number in the file's stored values.

    Reads each chart part's series references and looks them up with openpyxl's cached
    values, i.e. what any viewer draws before recalculating.
    """
    import openpyxl
    from openpyxl.utils.cell import range_boundaries

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a print area that grows with the data (an OFFSET name)
        book = openpyxl.load_workbook(workbook, data_only=True)
    empty = []
    with zipfile.ZipFile(workbook) as archive:
        charts = sorted(name for name in archive.namelist() if name.startswith("xl/charts/chart") and name.endswith(".xml"))
        for name in charts:
            xml = archive.read(name).decode("utf-8")
            for kind, ref in _SERIES_REF_RE.findall(xml):
                if kind == "cat":
                    continue
                ref = ref.replace("&apos;", "'")
                sheet, _, cells = ref.rpartition("!")
                sheet = sheet.strip("'").replace("''", "'")
                min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
                values = [
                    book[sheet].cell(row, column).value
                    for row in range(min_row, max_row + 1)
                    for column in range(min_col, max_col + 1)
                ]
                if not any(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values):
                    empty.append(f"{Path(workbook).name} {name.rsplit('/', 1)[1]}: {ref}")
    book.close()
    return empty


def contact_sheet(pages_by_workbook: dict[str, list[Path]], output, *, thumbnail_width: int = 200, columns: int = 8) -> Path:
    """A montage of every page, one labelled block of rows per workbook, as a small PNG."""
    from PIL import Image, ImageDraw

    rows = []
    for label, pages in pages_by_workbook.items():
        thumbnails = []
        for page in pages:
            with Image.open(page) as image:
                image = image.convert("RGB")
                scale = thumbnail_width / image.width
                thumbnails.append(image.resize((thumbnail_width, round(image.height * scale))))
        rows.append((label, thumbnails))
    gap, title_height = 8, 22
    cell_height = max(thumb.height for _, thumbs in rows for thumb in thumbs)
    height = sum(title_height + ((len(thumbs) + columns - 1) // columns) * (cell_height + gap) for _, thumbs in rows) + gap
    width = columns * (thumbnail_width + gap) + gap
    sheet = Image.new("RGB", (width, height), "#D9D9D9")
    draw = ImageDraw.Draw(sheet)
    top = gap
    for label, thumbs in rows:
        draw.text((gap, top + 4), f"{label}: {len(thumbs)} printed pages (A4)", fill="#1F4E79")
        top += title_height
        for index, thumb in enumerate(thumbs):
            x = gap + (index % columns) * (thumbnail_width + gap)
            y = top + (index // columns) * (cell_height + gap)
            sheet.paste(thumb, (x, y))
            draw.rectangle([x - 1, y - 1, x + thumb.width, y + thumb.height], outline="#7F7F7F")
        top += ((len(thumbs) + columns - 1) // columns) * (cell_height + gap)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    sheet = sheet.quantize(colors=32)  # a palette PNG: small file, still legible
    sheet.save(output, optimize=True)
    return output


def _stem(path: Path) -> str:
    return path.stem.rsplit("-", 1)[0]


def main(argv=None) -> int:
    from workbooks.build import DEFAULT_OUTDIR

    parser = argparse.ArgumentParser(prog="python -m workbooks.render", description="Print the built workbooks with LibreOffice headless and check the pages.")
    parser.add_argument("--workbooks", default=str(DEFAULT_OUTDIR), help="folder of the built workbooks (default: %(default)s)")
    parser.add_argument("--outdir", help="where to write the PDFs and PNGs (default: a temporary folder, removed afterwards)")
    parser.add_argument("--contact-sheet", help="also write a montage of the lite variants' pages to this PNG")
    args = parser.parse_args(argv)
    books = sorted(Path(args.workbooks).glob("*-classic.xlsm")) + sorted(Path(args.workbooks).glob("*-lite.xlsx"))
    with tempfile.TemporaryDirectory(prefix="roq-render-") as scratch:
        outdir = Path(args.outdir or scratch)
        pdfs = to_pdf(books, outdir)
        failed = 0
        pages_by_workbook = {}
        for book, pdf in pdfs.items():
            pages = page_count(pdf)
            errors = printed_errors(pdf)
            empty = [] if _stem(book) in EMPTY_CHARTS_AS_BUILT else empty_chart_series(book)
            bound = PAGE_BOUNDS[_stem(book)]
            status = "ok" if pages <= bound and not errors and not empty else "FAILED"
            failed += status != "ok"
            print(f"{book.name}: {pages} pages (bound {bound}), {len(errors)} error values, {len(empty)} empty chart series: {status}")
            for line in errors + empty:
                print(f"  {line}")
            if args.contact_sheet and book.name.endswith("-lite.xlsx"):
                pages_by_workbook[_stem(book)] = to_png(pdf, outdir / "png", dpi=60)
        if args.contact_sheet:
            print(f"wrote {contact_sheet(pages_by_workbook, args.contact_sheet)}")
    return 1 if failed else 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
