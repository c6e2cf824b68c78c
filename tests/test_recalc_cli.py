"""``roq recalc``: headless recalculation with the add-in's functions, through the real CLI.

Workbooks are written here with XlsxWriter (as Excel would store them); the command runs
through ``simulator.cli.main``, which finds ``recalc`` via the ``roq.commands`` entry point.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from simulator.cli import main
from simulator.roq import market_share_path, npv_of_programme, retention


@pytest.fixture(autouse=True, scope="module")
def recalc_is_installed():
    from importlib import metadata

    names = {entry.name for entry in metadata.entry_points(group="roq.commands")}
    assert "recalc" in names, (
        'the roq.commands entry point recalc = "addin.recalc:register" is not installed: '
        "add it to pyproject.toml and run pip install -e ."
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def values(path: Path, sheet: str):
    return openpyxl.load_workbook(path, data_only=True)[sheet]


def model_workbook(path: Path, churn_input="oops") -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("Model")
    ws.write_column("A1", ["S", "D", "r1", "r2", "r3"])
    ws.write_column("B1", [0.4881, 0.0952, 0.1548, 0.5119, 0.6904])
    ws.write_formula("C1", '=ROQ_RETENTION(B1,B2,B3,B4,B5,"satisfied_only")')
    ws.write_formula("C4", "=ROQ_NPV_PROGRAMME(558000000,699000000,0.2,5)")
    ws.write("A7", "Respondents leaving")
    ws.write("B7", churn_input)
    ws.write_formula("C7", "=ROQ_CHURN(B7,84)")
    ws.write_formula("C8", "=C7*2")
    ws.write_formula("C9", "=C4/1000000")
    workbook.close()
    return path


def test_bad_input_cell_is_named_and_the_rest_is_written(tmp_path, capsys):
    source = model_workbook(tmp_path / "model.xlsx")
    before = digest(source)
    status = main(["recalc", str(source)])
    captured = capsys.readouterr()
    assert status == 1
    lines = captured.err.strip().splitlines()
    assert lines[0] == "Model!C7: customers_leaving: must be numeric, found text 'oops' in the cell"
    assert lines[1] == "Model!C8: #VALUE! (from Model!C7)"
    assert "wrote" in captured.out and "2 cells failed" in captured.out
    output = tmp_path / "model.recalc.xlsx"
    ws = values(output, "Model")
    assert ws["C7"].value == "#VALUE!"
    assert ws["C1"].value == pytest.approx(retention(0.4881, 0.0952, 0.1548, 0.5119, 0.6904, convention="satisfied_only"), rel=1e-12)
    assert ws["C4"].value == pytest.approx(npv_of_programme(558e6, 699e6, 0.2, 5), rel=1e-12)
    assert ws["C9"].value == pytest.approx(2648.437885802469)
    assert digest(source) == before  # the input is never touched
    # the formulas survive: the output still recalculates in Excel
    assert openpyxl.load_workbook(output)["Model"]["C7"].value == "=ROQ_CHURN(B7,84)"


def test_fixed_input_recalculates_cleanly(tmp_path, capsys):
    source = model_workbook(tmp_path / "model.xlsx", churn_input=8)
    assert main(["recalc", str(source), "-o", str(tmp_path / "out" / "result.xlsx")]) == 0
    assert "all formulas computed" in capsys.readouterr().out
    assert values(tmp_path / "out" / "result.xlsx", "Model")["C7"].value == pytest.approx(8 / 84)


def test_never_overwrites_its_input(tmp_path, capsys):
    source = model_workbook(tmp_path / "model.xlsx", churn_input=8)
    before = digest(source)
    assert main(["recalc", str(source), "-o", str(source)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("roq: error: --output:") and "never overwrites its input" in err
    assert main(["recalc", str(source), "-o", str(tmp_path / ".." / tmp_path.name / "model.xlsx")]) == 2
    assert main(["recalc", str(source), "-o", str(tmp_path / "model.xlsm")]) == 2
    assert digest(source) == before
    assert not (tmp_path / "model.recalc.xlsx").exists()


def test_unreadable_input_is_a_one_line_error(tmp_path, capsys):
    fake = tmp_path / "notes.xlsx"
    fake.write_text("not a workbook")
    assert main(["recalc", str(fake)]) == 2
    assert capsys.readouterr().err.strip() == f"roq: error: WORKBOOK: notes.xlsx is not an Excel workbook (.xlsx/.xlsm): File is not a zip file"
    assert main(["recalc", str(tmp_path / "missing.xlsx")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_every_runtime_spelling_runs_the_same_function(tmp_path, capsys):
    path = tmp_path / "spellings.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("Names")
    arguments = "558000000,699000000,0.2,5"
    for row, name in enumerate(
        ["ROQ_NPV_PROGRAMME", "_xldudf_ROQ_NPV_PROGRAMME", "XLWINGS.ROQ_NPV_PROGRAMME", "_xldudf_XLWINGS_ROQ_NPV_PROGRAMME", "roq_npv_programme"]
    ):
        ws.write_formula(row, 0, f"={name}({arguments})")
    # omitted optional arguments take the Python default, as xlwings passes None for them
    ws.write_formula(6, 0, "=ROQ_RETENTION(0.4881,0.0952,0.1548,0.5119,0.6904,)")
    ws.write_formula(7, 0, '=ROQ_RETENTION(0.4881,0.0952,0.1548,0.5119,0.6904,"satisfied_or_delighted")')
    workbook.close()
    assert main(["recalc", str(path)]) == 0, capsys.readouterr().err
    ws = values(tmp_path / "spellings.recalc.xlsx", "Names")
    expected = npv_of_programme(558e6, 699e6, 0.2, 5)
    assert [ws.cell(row, 1).value for row in range(1, 6)] == [pytest.approx(expected, rel=1e-12)] * 5
    assert ws["A7"].value == pytest.approx(ws["A8"].value, rel=1e-12)


def test_spilled_results_resize_and_block_like_excel(tmp_path, capsys):
    path = tmp_path / "spill.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("Path")
    ws.write_column("E1", [250760, 286859, 309244, 334210, 356219, 381404])
    call = "ROQ_SHARE_PATH(0.0707,0.3461,0.9031,0.095,0.0306,E2:E6,E1)"  # market sizes N_1..N_T, then N_0
    ws.write_dynamic_array_formula("G1", "=" + call)  # stored with a stale one-cell range
    ws.write_formula("J1", "=SUM(_xlfn.ANCHORARRAY(G1))-SUM(G2:G6)")
    ws.write_formula("J2", "=ROWS(_xlfn.ANCHORARRAY(G1))")
    ws.write_dynamic_array_formula("L1", "=" + call)
    ws.write("M3", "in the way")
    ws.write_dynamic_array_formula("O1:P9", "=" + call)  # stored larger than its result
    for row in range(9):  # stale values left from an earlier, larger spill
        if row:
            ws.write_number(row, 14, 99)
        ws.write_number(row, 15, 99)
    workbook.close()
    assert main(["recalc", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Path!L1: #SPILL!: the result needs L1:M6 but M3 is not empty" in err
    ws = values(tmp_path / "spill.recalc.xlsx", "Path")
    assert [ws.cell(row, 7).value for row in range(1, 7)] == ["Year", 1, 2, 3, 4, 5]
    sizes = [250760, 286859, 309244, 334210, 356219, 381404]
    expected = market_share_path(0.0707, 0.3461, 0.9031, 0.095, 0.0306, sizes)
    assert [ws.cell(row, 8).value for row in range(2, 7)] == pytest.approx(list(expected), rel=1e-12)
    assert ws["J2"].value == 6
    assert ws["J1"].value == pytest.approx(sum(ws.cell(row, 8).value for row in range(2, 7)), rel=1e-12)
    assert ws["L1"].value == "#SPILL!" and ws["M3"].value == "in the way"
    assert [ws.cell(row, 15).value for row in range(1, 10)] == ["Year", 1, 2, 3, 4, 5, None, None, None]  # shrunk
    formulas = openpyxl.load_workbook(tmp_path / "spill.recalc.xlsx")["Path"]
    assert formulas["G1"].value.ref == "G1:H6"
    assert formulas["O1"].value.ref == "O1:P6"


def test_engine_limits_are_reported_by_cell(tmp_path, capsys):
    path = tmp_path / "limits.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("Limits")
    ws.write_formula("A1", "=NOSUCHFUNCTION(1)")
    ws.write_formula("A2", "=1/0")
    ws.write_formula("A3", "=IFERROR(1/0,7)")
    workbook.close()
    assert main(["recalc", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("Limits!A1: #NAME?: NOSUCHFUNCTION is not available to the recalculation engine")
    assert err[1] == "Limits!A2: #DIV/0! (Excel error computed by the formula)"
    assert values(tmp_path / "limits.recalc.xlsx", "Limits")["A3"].value == 7


def test_macro_enabled_workbook_keeps_its_vba_project(tmp_path, capsys):
    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0 stand-in for the VBA wrappers of Import Functions")
    path = tmp_path / "classic.xlsm"
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("Sheet1").write_formula("A1", "=ROQ_CHURN(8,84)")
    workbook.add_vba_project(str(vba))
    workbook.close()
    assert main(["recalc", str(path)]) == 0, capsys.readouterr().err
    output = tmp_path / "classic.recalc.xlsm"
    with zipfile.ZipFile(path) as before, zipfile.ZipFile(output) as after:
        assert before.namelist() == after.namelist()
        assert after.read("xl/vbaProject.bin") == vba.read_bytes()
        assert after.read("[Content_Types].xml") == before.read("[Content_Types].xml")
    assert values(output, "Sheet1")["A1"].value == pytest.approx(8 / 84)


def test_built_classic_xlsm_recalculates_and_keeps_xlwings_vba_project(tmp_path, capsys):
    """The committed classic workbook (xlwings' quickstart VBA project inside) through `roq recalc`."""
    source = Path(__file__).resolve().parent.parent / "workbooks" / "claims-servqual-classic.xlsm"
    before = digest(source)
    assert main(["recalc", str(source), "-o", str(tmp_path / "claims.xlsx")]) == 2  # the file keeps its type
    assert "must have the input's extension .xlsm" in capsys.readouterr().err
    output = tmp_path / "claims.recalc.xlsm"
    assert main(["recalc", str(source), "-o", str(output)]) == 0, capsys.readouterr().err
    assert "all formulas computed" in capsys.readouterr().out
    with zipfile.ZipFile(source) as before_zip, zipfile.ZipFile(output) as after_zip:
        assert before_zip.namelist() == after_zip.namelist()
        # byte for byte: the VBA project, its declaration and the code names that bind it
        for part in ("xl/vbaProject.bin", "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/workbook.xml"):
            assert after_zip.read(part) == before_zip.read(part), part
        assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in after_zip.read("[Content_Types].xml")
        for name in before_zip.namelist():
            if name.startswith("xl/worksheets/sheet"):
                code_name = after_zip.read(name).split(b"<sheetPr", 1)[1].split(b">", 1)[0]
                assert code_name == before_zip.read(name).split(b"<sheetPr", 1)[1].split(b">", 1)[0] and b"codeName=" in code_name
    assert digest(source) == before
    # the recomputed numbers are the ones the build cached (CSI 79.56 from the rounded means)
    old, new = values(source, "CSI"), values(output, "CSI")
    numbers = [(cell.coordinate, cell.value) for row in old.iter_rows() for cell in row if isinstance(cell.value, float)]
    assert numbers and all(new[coordinate].value == pytest.approx(value, rel=1e-12) for coordinate, value in numbers)


def test_paste_a_csv_into_input_cells(tmp_path, capsys):
    source = model_workbook(tmp_path / "model.xlsx")
    csv = tmp_path / "leaving.csv"
    csv.write_text("8\n")
    assert main(["recalc", str(source), "--paste", f"Model!B7={csv}"]) == 0, capsys.readouterr().err
    assert values(tmp_path / "model.recalc.xlsx", "Model")["C7"].value == pytest.approx(8 / 84)
    assert main(["recalc", str(source), "--paste", f"Model!C7={csv}", "--force"]) == 2
    assert "Model!C7 holds a formula" in capsys.readouterr().err
    assert main(["recalc", str(source), "--paste", f"Nowhere!A1={csv}", "--force"]) == 2
    assert "no sheet named 'Nowhere'" in capsys.readouterr().err


def test_workbook_resaved_by_openpyxl_still_recalculates(tmp_path, capsys):
    source = model_workbook(tmp_path / "model.xlsx", churn_input=8)
    book = openpyxl.load_workbook(source)
    book.save(tmp_path / "resaved.xlsx")
    assert main(["recalc", str(tmp_path / "resaved.xlsx")]) == 0, capsys.readouterr().err
    assert values(tmp_path / "resaved.recalc.xlsx", "Model")["C4"].value == pytest.approx(npv_of_programme(558e6, 699e6, 0.2, 5))
