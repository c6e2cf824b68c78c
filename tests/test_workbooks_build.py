"""The committed workbooks: reproducible from the build script, well-formed, and openable.

- a fresh ``python -m workbooks.build`` gives the committed files (cell by cell: formulas,
  values, number formats; charts, defined names);
- the classic and Lite variants differ only in how they spell the add-in's function names;
- every XML part is well-formed and rows/cells are in the order Excel requires (out-of-order
  cells are what makes Excel offer to "repair" a file);
- LibreOffice (headless) converts every workbook, and a recalculated filled template, to PDF.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from addin.recalc import recalculate
from workbooks.build import WORKBOOKS, build_all, output_name
from workbooks._common import RUNTIMES

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "workbooks"
FILES = [output_name(stem, runtime) for stem in WORKBOOKS for runtime in RUNTIMES]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("fresh-build")
    results = build_all(outdir)
    for path, result in results.items():
        assert result.ok, result.summary()
    return outdir


def _cells(path: Path):
    formulas = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if value is None and cell.number_format == "General":
                    continue
                text = getattr(value, "text", value)
                if cell.data_type != "f" and isinstance(text, str) and text.startswith("="):
                    text = "'" + text  # a text cell that merely starts with "="
                cached = values[ws.title][cell.coordinate].value
                out[(ws.title, cell.coordinate)] = (text, cached, cell.number_format)
    return out, formulas


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


@pytest.mark.parametrize("name", FILES)
def test_committed_workbook_equals_a_fresh_build(fresh, name):
    committed, built = COMMITTED / name, fresh / name
    assert committed.exists(), f"{committed} is missing: run python -m workbooks.build"
    old, old_book = _cells(committed)
    new, new_book = _cells(built)
    stale = "the committed workbook is out of date: run python -m workbooks.build"
    assert old_book.sheetnames == new_book.sheetnames, stale
    assert set(old) == set(new), f"{stale} (cells differ: {sorted(set(old) ^ set(new))[:5]})"
    for key in old:
        (f1, v1, n1), (f2, v2, n2) = old[key], new[key]
        assert f1 == f2 and n1 == n2 and _same(v1, v2), f"{stale}: {key} {old[key]} != {new[key]}"
    assert sorted(old_book.defined_names) == sorted(new_book.defined_names), stale
    assert [len(ws._charts) for ws in old_book.worksheets] == [len(ws._charts) for ws in new_book.worksheets], stale


def test_a_rebuild_is_byte_for_byte_identical(fresh, tmp_path):
    again = build_all(tmp_path, only=["claims-servqual"], runtimes=["lite"])
    path = next(iter(again))
    assert path.read_bytes() == (fresh / path.name).read_bytes()


@pytest.mark.parametrize("stem", list(WORKBOOKS))
def test_variants_differ_only_in_function_names(stem):
    classic, _ = _cells(COMMITTED / output_name(stem, "classic"))
    lite, _ = _cells(COMMITTED / output_name(stem, "lite"))
    assert set(classic) == set(lite)
    prefixed = 0
    for key, (formula, value, number_format) in lite.items():
        other = classic[key]
        if isinstance(formula, str) and formula.startswith("="):
            prefixed += formula.count("_xldudf_")
            assert formula.replace("_xldudf_", "") == other[0], key
            assert not re.search(r"(?<![\w.])(SQ|ROQ)_\w+\(", formula.replace("_xldudf_SQ_", "").replace("_xldudf_ROQ_", "")), key
        elif key[0] != "About":
            assert (formula, number_format) == (other[0], other[2]), key
    assert prefixed > 5  # the Lite file really calls the add-in


def _check_package(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        for name in archive.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            root = ElementTree.fromstring(archive.read(name))  # raises on malformed XML
            if name.startswith("xl/worksheets/sheet"):
                ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
                previous_row = 0
                for row in root.iterfind("m:sheetData/m:row", ns):
                    number = int(row.get("r"))
                    assert number > previous_row, f"{path.name}:{name}: row {number} out of order"
                    previous_row = number
                    previous_column = 0
                    for cell in row.iterfind("m:c", ns):
                        letters = re.match(r"[A-Z]+", cell.get("r")).group(0)
                        column = 0
                        for char in letters:
                            column = column * 26 + ord(char) - 64
                        assert column > previous_column, f"{path.name}:{name}: cell {cell.get('r')} out of order"
                        assert re.fullmatch(rf"[A-Z]+{number}", cell.get("r")), f"{cell.get('r')} is not in row {number}"
                        previous_column = column


@pytest.fixture(scope="module")
def filled_template_output(tmp_path_factory):
    """A recalculated template with data pasted in: the kind of file `roq recalc` writes."""
    out = tmp_path_factory.mktemp("filled") / "survey-filled.xlsx"
    items = [[f"Q{i}", dimension] for i, dimension in enumerate(["tangibles", "tangibles", "reliability", "reliability", "empathy"], start=1)]
    expectations = [[5, 4, 4, 5, 3], [4, 4, None, 5, 4], [5, 5, 4, 4, 4], [3, 4, 4, 5, 5]]
    perceptions = [[4, 3, 3, 4, 3], [4, 4, 3, 3, 4], [3, 4, 2, 4, 4]]
    result = recalculate(
        COMMITTED / output_name("survey-template", "lite"),
        out,
        paste={"Items!A6": items, "Expectations!B7": expectations, "Perceptions!B7": perceptions},
    )
    assert result.ok, result.summary()
    return out


@pytest.mark.parametrize("name", FILES)
def test_committed_packages_are_well_formed(name):
    _check_package(COMMITTED / name)


def test_recalc_output_is_well_formed(filled_template_output):
    _check_package(filled_template_output)


def test_libreoffice_converts_every_workbook_to_pdf(tmp_path, filled_template_output):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed here; CI installs libreoffice-calc-nogui and runs this test")
    sources = [COMMITTED / name for name in FILES] + [filled_template_output]
    outdir = tmp_path / "pdf"
    profile = tmp_path / "lo-profile"  # a private profile: no clash with another soffice
    completed = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(outdir), *map(str, sources)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    for source in sources:
        pdf = outdir / (source.stem + ".pdf")
        assert pdf.exists(), f"LibreOffice could not convert {source.name}:\n{completed.stdout}\n{completed.stderr}"
        data = pdf.read_bytes()
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
        assert data.startswith(b"%PDF") and pages >= 2, f"{pdf.name} is not a multi-page PDF ({pages} pages)"
