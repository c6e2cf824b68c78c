"""The committed workbooks: reproducible from the build script, well-formed, and openable.

- a fresh ``python -m workbooks.build`` gives the committed files (cell by cell: formulas,
  values, number formats; charts, defined names);
- the classic and Lite variants differ only in how they spell the add-in's function names;
- the classic variants are macro-enabled ``.xlsm`` files carrying, byte for byte, the VBA
  project of the installed xlwings' ``quickstart.xlsm`` (its reference to the add-in is what
  "Import Functions" needs), with the code names of that project's document modules;
- every XML part is well-formed and rows/cells are in the order Excel requires (out-of-order
  cells are what makes Excel offer to "repair" a file);
- LibreOffice (headless) converts every workbook (the ``.xlsm`` files included), and a
  recalculated filled template, to PDF.
"""

from __future__ import annotations

import importlib.util
import math
import re
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from addin.recalc import recalculate
from simulator.errors import RoqInputError
from workbooks.build import WORKBOOKS, build_all, build_workbook, output_name
from workbooks._common import RUNTIMES, XLWINGS_VBA_CODENAMES

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
    again = build_all(tmp_path, only=["claims-servqual"])
    assert sorted(path.name for path in again) == ["claims-servqual-classic.xlsm", "claims-servqual-lite.xlsx"]
    for path in again:
        assert path.read_bytes() == (fresh / path.name).read_bytes(), path.name


def test_workbooks_folder_holds_exactly_the_built_files():
    """No stale variant (e.g. a classic .xlsx from before the .xlsm) is left beside the built files."""
    present = {path.name for path in COMMITTED.iterdir() if path.suffix.lower() in (".xlsx", ".xlsm")}
    assert present == set(FILES)
    assert {name.rsplit(".", 1)[1] for name in FILES if "-classic." in name} == {"xlsm"}
    assert {name.rsplit(".", 1)[1] for name in FILES if "-lite." in name} == {"xlsx"}


def test_build_refuses_a_file_type_that_does_not_fit_the_runtime(tmp_path):
    with pytest.raises(RoqInputError) as error:
        build_workbook("claims-servqual", "classic", tmp_path / "claims.xlsx", values=False)
    assert error.value.argument == "path" and ".xlsm" in error.value.problem
    with pytest.raises(RoqInputError, match=r"path: claims.xlsm: the lite variant must be saved with the extension .xlsx"):
        build_workbook("claims-servqual", "lite", tmp_path / "claims.xlsm", values=False)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- the VBA project

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
OFFICE_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
MACRO_ENABLED_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA_PROJECT_TYPE = "application/vnd.ms-office.vbaProject"


def installed_xlwings_vba_project() -> bytes:
    """``xl/vbaProject.bin`` of the installed xlwings package's quickstart.xlsm, read here directly."""
    package = Path(importlib.util.find_spec("xlwings").submodule_search_locations[0])
    with zipfile.ZipFile(package / "quickstart.xlsm") as quickstart:
        return quickstart.read("xl/vbaProject.bin")


def _compound_file_streams(data: bytes) -> dict[str, bytes]:
    """The streams of an OLE compound file (MS-CFB), by path ("VBA/dir"); enough to read a vbaProject.bin."""
    assert data[:8] == bytes.fromhex("d0cf11e0a1b11ae1"), "not a compound file"
    sector_size, mini_size = 1 << struct.unpack_from("<H", data, 30)[0], 1 << struct.unpack_from("<H", data, 32)[0]
    fat_sectors, first_directory = struct.unpack_from("<I", data, 44)[0], struct.unpack_from("<I", data, 48)[0]
    mini_cutoff, first_minifat, first_difat = struct.unpack_from("<I", data, 56)[0], struct.unpack_from("<I", data, 60)[0], struct.unpack_from("<I", data, 68)[0]
    assert first_difat >= 0xFFFFFFFA, "more than 109 FAT sectors: not expected in a vbaProject.bin"
    sector = lambda index: data[(index + 1) * sector_size : (index + 2) * sector_size]  # noqa: E731
    fat = [entry for index in struct.unpack_from("<109I", data, 76)[:fat_sectors] for entry in struct.unpack(f"<{sector_size // 4}I", sector(index))]

    def chain(start, table):
        while start < 0xFFFFFFFA:
            yield start
            start = table[start]

    directory = b"".join(sector(index) for index in chain(first_directory, fat))
    entries = []
    for offset in range(0, len(directory), 128):
        entry = directory[offset : offset + 128]
        name_length, kind = struct.unpack_from("<HB", entry, 64)
        left, right, child = struct.unpack_from("<III", entry, 68)
        start, size = struct.unpack_from("<IQ", entry, 116)
        entries.append((entry[: max(name_length - 2, 0)].decode("utf-16-le"), kind, left, right, child, start, size))
    mini_stream = b"".join(sector(index) for index in chain(entries[0][5], fat))
    minifat = [entry for index in chain(first_minifat, fat) for entry in struct.unpack(f"<{sector_size // 4}I", sector(index))]
    streams = {}

    def walk(index, prefix):
        if index == 0xFFFFFFFF:
            return
        name, kind, left, right, child, start, size = entries[index]
        walk(left, prefix)
        walk(right, prefix)
        if kind == 1:  # storage
            walk(child, prefix + name + "/")
        elif kind == 2:  # stream
            if size < mini_cutoff:
                content = b"".join(mini_stream[i * mini_size : (i + 1) * mini_size] for i in chain(start, minifat))
            else:
                content = b"".join(sector(i) for i in chain(start, fat))
            streams[prefix + name] = content[:size]

    walk(entries[0][4], "")
    return streams


def _vba_decompress(compressed: bytes) -> bytes:
    """MS-OVBA 2.4.1 decompression (the dir stream and module sources of a VBA project)."""
    assert compressed[0] == 1, "not a compressed VBA container"
    out, position = bytearray(), 1
    while position < len(compressed):
        header = struct.unpack_from("<H", compressed, position)[0]
        chunk = compressed[position + 2 : position + 3 + (header & 0x0FFF)]
        position += 3 + (header & 0x0FFF)
        if not header & 0x8000:  # raw chunk
            out += chunk[:4096]
            continue
        chunk_start, i = len(out), 0
        while i < len(chunk):
            flags, i = chunk[i], i + 1
            for bit in range(8):
                if i >= len(chunk):
                    break
                if not flags >> bit & 1:
                    out.append(chunk[i])
                    i += 1
                    continue
                token, i = struct.unpack_from("<H", chunk, i)[0], i + 2
                bit_count = max((len(out) - chunk_start - 1).bit_length(), 4)
                length, offset = (token & (0xFFFF >> bit_count)) + 3, (token >> (16 - bit_count)) + 1
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


def _package_facts(path: Path) -> dict:
    """Content types, workbook relationships, code names and sheet order of a package."""
    with zipfile.ZipFile(path) as archive:
        types = ElementTree.fromstring(archive.read("[Content_Types].xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels.iter(f"{RELS}Relationship")}
        sheet_code_names = []
        for sheet in workbook.iter(f"{MAIN}sheet"):
            part = ElementTree.fromstring(archive.read("xl/" + targets[sheet.get(f"{OFFICE_RELS}id")]))
            properties = part.find(f"{MAIN}sheetPr")
            sheet_code_names.append(None if properties is None else properties.get("codeName"))
        return {
            "names": archive.namelist(),
            "vba": archive.read("xl/vbaProject.bin") if "xl/vbaProject.bin" in archive.namelist() else None,
            "overrides": {item.get("PartName"): item.get("ContentType") for item in types.iter(f"{TYPES}Override")},
            "defaults": {item.get("Extension"): item.get("ContentType") for item in types.iter(f"{TYPES}Default")},
            "relationships": {rel.get("Type").rsplit("/", 1)[1]: rel.get("Target") for rel in rels.iter(f"{RELS}Relationship")},
            "workbook_code_name": workbook.find(f"{MAIN}workbookPr").get("codeName"),
            "sheet_code_names": sheet_code_names,
        }


@pytest.mark.parametrize("stem", list(WORKBOOKS))
def test_classic_file_is_macro_enabled_with_xlwings_vba_project(stem):
    path = COMMITTED / output_name(stem, "classic")
    assert path.suffix == ".xlsm"
    facts = _package_facts(path)
    # the very bytes of the installed xlwings' quickstart project (reference to the add-in)
    assert facts["vba"] == installed_xlwings_vba_project(), (
        f"{path.name} does not carry the installed xlwings' quickstart VBA project: run python -m workbooks.build"
    )
    # [Content_Types].xml declares a macro-enabled workbook and the VBA project part
    assert facts["overrides"]["/xl/workbook.xml"] == MACRO_ENABLED_WORKBOOK
    assert facts["defaults"]["bin"] == VBA_PROJECT_TYPE
    assert facts["relationships"]["vbaProject"] == "vbaProject.bin"
    # code names match the project's document modules ThisWorkbook, Sheet1, Sheet2, then Excel's defaults
    assert facts["workbook_code_name"] == XLWINGS_VBA_CODENAMES[0]
    assert facts["sheet_code_names"][:2] == list(XLWINGS_VBA_CODENAMES[1:])
    assert facts["sheet_code_names"] == [f"Sheet{index}" for index in range(1, len(facts["sheet_code_names"]) + 1)]
    # the About sheet says where the project comes from and under which licence
    about = openpyxl.load_workbook(path)["About"]
    credit = [cell.value for row in about.iter_rows() for cell in row if isinstance(cell.value, str) and "quickstart.xlsm of xlwings" in cell.value]
    assert len(credit) == 1 and "BSD 3-clause" in credit[0] and "Zoomer Analytics" in credit[0]


def test_xlwings_quickstart_project_is_what_the_docs_say():
    """What the embedded project holds: a reference to the xlwings add-in, the document modules
    whose code names the build gives the workbook, and xlwings' sample macro (nothing else)."""
    streams = _compound_file_streams(installed_xlwings_vba_project())
    project = streams["PROJECT"].decode("latin-1").splitlines()
    documents = [line.split("=", 1)[1].split("/", 1)[0] for line in project if line.startswith("Document=")]
    assert documents == list(XLWINGS_VBA_CODENAMES)  # ThisWorkbook, Sheet1, Sheet2
    assert [line for line in project if line.startswith(("Module=", "Class=", "BaseClass="))] == ["Module=Module1"]
    directory = _vba_decompress(streams["VBA/dir"])
    assert b"xlwings" in directory and b"\\addin\\xlwings.xlam" in directory  # REFERENCEPROJECT to the add-in
    assert b"xlwings.bas" not in directory and "VBA/xlwings" not in streams  # xlwings' VBA code is NOT embedded
    # Module1 is xlwings' sample macro; the document modules hold no code
    source_offset = struct.unpack_from("<I", directory, directory.index(b"\x31\x00\x04\x00\x00\x00", directory.index(b"Module1")) + 6)[0]
    module1 = _vba_decompress(streams["VBA/Module1"][source_offset:]).decode("latin-1")
    assert "Sub SampleCall()" in module1 and "RunPython" in module1
    assert len([line for line in module1.splitlines() if line.strip() and not line.startswith("Attribute")]) == 4


@pytest.mark.parametrize("stem", list(WORKBOOKS))
def test_lite_file_has_no_vba_project(stem):
    facts = _package_facts(COMMITTED / output_name(stem, "lite"))
    assert facts["vba"] is None and "bin" not in facts["defaults"] and "vbaProject" not in facts["relationships"]
    assert facts["overrides"]["/xl/workbook.xml"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    assert facts["workbook_code_name"] is None


@pytest.mark.parametrize("stem", list(WORKBOOKS))
def test_variants_differ_only_in_function_names(stem):
    classic, _ = _cells(COMMITTED / output_name(stem, "classic"))
    lite, _ = _cells(COMMITTED / output_name(stem, "lite"))
    # the About sheet explains its own runtime (and the classic one credits xlwings' VBA project)
    assert {key for key in classic if key[0] != "About"} == {key for key in lite if key[0] != "About"}
    prefixed = 0
    for key, (formula, value, number_format) in lite.items():
        if key[0] == "About":
            continue
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
    assert "Error" not in completed.stdout + completed.stderr, completed.stdout + completed.stderr
    assert any(source.suffix == ".xlsm" for source in sources)  # the macro-enabled classic files too
    for source in sources:
        pdf = outdir / (source.stem + ".pdf")
        assert pdf.exists(), f"LibreOffice could not convert {source.name}:\n{completed.stdout}\n{completed.stderr}"
        data = pdf.read_bytes()
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
        assert data.startswith(b"%PDF") and pages >= 2, f"{pdf.name} is not a multi-page PDF ({pages} pages)"
