"""The add-in as each runtime sees it: metadata, names, help texts, error style, the
generated function reference, the xlwings Lite bundle and the classic add-in's setup."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from excel_dispatch import BLANK, call, column, metadata, udf_module, xlwings

from addin import _cells
from addin.__main__ import main as addin_main
from addin.classic import UDF_MODULE, read_config, setup_steps, write_user_config
from addin.lite import lite_main_source, lite_requirements
from addin.reference import functions_markdown
from simulator.errors import RoqInputError

ROOT = Path(__file__).resolve().parent.parent
NAMES = udf_module.FUNCTION_NAMES
# what xlwings writes when a function or argument has no help text of its own
DEFAULT_DOCS = re.compile(r"^(Positional argument \d+|Python function .*)$")


def required_arguments(name):
    function = getattr(udf_module, name)
    return [p for p in function.signature.parameters.values() if p.default is inspect.Parameter.empty]


# --------------------------------------------------------------------------- metadata and names


def test_metadata_generation_succeeds_and_lists_every_function_once():
    meta = metadata()
    text = json.dumps(meta)  # what xlwings Lite / Server send to Excel
    assert json.loads(text) == meta
    names = [f["name"] for f in meta["functions"]]
    assert len(names) == len({n.upper() for n in names})
    assert sorted(names) == sorted(NAMES)
    # no namespace: Lite shows the same names as the classic add-in
    assert all(f["id"] == f["name"] for f in meta["functions"])
    # both domains are there, with at least one function per engine capability
    assert sum(n.startswith("SQ_") for n in names) >= 15 and sum(n.startswith("ROQ_") for n in names) >= 13


def test_every_function_and_argument_has_a_short_description():
    for function in metadata()["functions"]:
        assert function["description"].strip() and not DEFAULT_DOCS.match(function["description"]), function["name"]
        # the classic add-in cuts descriptions at 255 characters: keep them whole
        assert len(function["description"]) <= 255, function["name"]
        for parameter in function["parameters"]:
            where = f"{function['name']}({parameter['name']})"
            assert parameter["description"].strip() and not DEFAULT_DOCS.match(parameter["description"]), where
            assert len(parameter["description"]) <= 255, where


def test_names_follow_the_prefix_scheme_and_cannot_clash_with_excel():
    for name in NAMES:
        assert re.fullmatch(r"(SQ|ROQ)_[A-Z0-9_]+", name), name
        # a name like ROQ1 would read as a cell reference
        assert not re.fullmatch(r"[A-Z]{1,3}\d+", name), name
        assert name not in {"NPV", "IRR", "RATE", "PV", "FV", "CORREL", "RSQ"}


# VBA keywords and statements; the classic add-in declares every argument in a VBA wrapper
VBA_RESERVED = {
    "and", "as", "attribute", "base", "boolean", "byref", "byte", "byval", "call", "case", "close", "compare", "const",
    "currency", "date", "decimal", "declare", "dim", "do", "double", "each", "else", "elseif", "empty", "end", "enum",
    "eqv", "erase", "error", "event", "exit", "explicit", "false", "for", "friend", "function", "get", "global", "gosub",
    "goto", "if", "imp", "implements", "in", "input", "integer", "is", "kill", "len", "let", "lib", "like", "line",
    "load", "lock", "long", "loop", "lset", "me", "mid", "mod", "name", "new", "next", "not", "nothing", "null", "object",
    "on", "open", "option", "optional", "or", "paramarray", "preserve", "print", "private", "property", "public", "put",
    "raiseevent", "redim", "rem", "resume", "return", "rset", "seek", "select", "set", "single", "static", "step", "stop",
    "string", "sub", "then", "to", "true", "type", "typeof", "unload", "unlock", "until", "variant", "wend", "while",
    "width", "with", "withevents", "write", "xor", "err", "application", "xlpy", "k",
}


def test_argument_names_are_valid_in_the_classic_vba_wrappers():
    for name in NAMES:
        for argument in getattr(udf_module, name).signature.parameters:
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,62}", argument), f"{name}({argument})"
            assert argument.lower() not in VBA_RESERVED, f"{name}({argument})"


def test_range_arguments_stay_two_dimensional_in_every_runtime():
    """A one-row range must not turn into a flat list of items.

    Lite and Server (this process: XLWINGS_ON_SERVER=true) get range arguments raw, as the
    rows Office.js sends, and read them in bulk; the classic add-in uses ndim=2."""
    for name in NAMES:
        function = getattr(udf_module, name)
        for argument, convert in function.converters.items():
            options = function.__xlfunc__["argmap"][argument]["options"]
            assert (options.get("convert") == "raw") == _cells.is_range_converter(convert), f"{name}({argument})"
            assert options.get("ndim") is None, f"{name}({argument})"


def test_every_function_is_exercised_by_a_test():
    sources = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").glob("test_addin_*.py"))
    called = set(re.findall(r'(?:call|scalar|message_of)\(\s*"([A-Z0-9_]+)"', sources))
    assert set(NAMES) - called == set()


# --------------------------------------------------------------------------- blanks and errors


@pytest.mark.parametrize("name", [n for n in NAMES if required_arguments(n)])
def test_a_blank_required_argument_is_named(name):
    first = required_arguments(name)[0].name
    every_argument_blank = [[[BLANK]]] * len(getattr(udf_module, name).signature.parameters)
    with pytest.raises(RoqInputError) as caught:
        call(name, *every_argument_blank)
    assert str(caught.value) == f"{first}: is required but blank"
    with pytest.raises(RoqInputError) as caught:
        call(name)  # arguments not sent at all read as blank too
    assert str(caught.value) == f"{first}: is required but blank"


def test_lite_and_server_raise_the_short_message(monkeypatch):
    monkeypatch.delenv(_cells.RUNTIME_OVERRIDE_VARIABLE, raising=False)
    assert _cells.runtime() == "server"  # XLWINGS_ON_SERVER=true, as in xlwings Server and Lite
    with pytest.raises(RoqInputError) as caught:
        call("ROQ_CHURN", 90, 84)
    assert str(caught.value) == "customers_leaving: exceeds customers_total"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    # the type xlwings Server answers with HTTP 400 and the plain message (no retry)
    assert isinstance(caught.value, xlwings.XlwingsError)


def test_classic_add_in_writes_the_message_into_the_cell(monkeypatch):
    monkeypatch.setenv(_cells.RUNTIME_OVERRIDE_VARIABLE, "classic")
    assert call("ROQ_CHURN", 90, 84) == [["Error: customers_leaving: exceeds customers_total"]]
    assert call("SQ_ITEM_STATS", [[5, 4], [0, 3]]) == [["Error: responses: value 0 at (2, 1) is outside the scale 1..5"]]
    assert call("ROQ_CHURN", 8, 84) == [[8 / 84]]  # good input is unaffected


def test_unexpected_failures_are_one_line_never_a_traceback(monkeypatch):
    @_cells.excel_function
    def SQ_BROKEN(value):
        return 1 / 0

    monkeypatch.setenv(_cells.RUNTIME_OVERRIDE_VARIABLE, "classic")
    assert SQ_BROKEN(1) == "Error: SQ_BROKEN failed: ZeroDivisionError: division by zero"
    monkeypatch.setenv(_cells.RUNTIME_OVERRIDE_VARIABLE, "lite")
    with pytest.raises(_cells.ExcelFunctionError, match=r"^SQ_BROKEN failed: ZeroDivisionError: division by zero$") as caught:
        SQ_BROKEN(1)
    assert isinstance(caught.value, xlwings.XlwingsError) and caught.value.__cause__ is None


def test_unexpected_failures_show_one_short_line(monkeypatch, caplog):
    @_cells.excel_function
    def SQ_WORDY(value):
        raise RuntimeError("first line " + "x" * 400 + "\nsecond line")

    monkeypatch.setenv(_cells.RUNTIME_OVERRIDE_VARIABLE, "server")
    with pytest.raises(_cells.ExcelFunctionError) as caught:
        SQ_WORDY(1)
    message = str(caught.value)
    assert message.startswith("SQ_WORDY failed: RuntimeError: first line xxx") and message.endswith("...")
    assert len(message) <= _cells.MAX_FAILURE_MESSAGE and "second line" not in message
    # logged once, briefly: the message and where it happened, no traceback
    (record,) = [r for r in caplog.records if r.name == "addin._cells"]
    assert record.getMessage().startswith(message) and "test_addin_runtime.py:" in record.getMessage()
    assert record.exc_info is None


def test_office_js_ranges_are_read_in_bulk_with_the_same_rules():
    formatted = {"type": "FormattedNumber", "basicValue": 4, "numberFormat": "0"}
    na = {"type": "Error", "basicType": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}
    block = _cells.matrix([[5, None, 3.5], [formatted, 2, ""]], "responses")
    assert block.shape == (2, 3) and block[0, 2] == 3.5 and block[1, 0] == 4
    assert np.isnan(block[0, 1]) and np.isnan(block[1, 2])  # blanks are missing, never 0
    assert _cells.matrix([[1, 2, 3], [4]], "responses").shape == (2, 3)  # ragged: padded with blanks
    for cells, message in [
        ([[1, 2], [3, float("inf")]], "responses: must be finite, found inf in row 2, column 2 of the range"),
        ([[1, "x"], [float("inf"), 2]], "responses: must be numeric, found text 'x' in row 1, column 2 of the range"),
        ([[1, 2], [na, True]], "responses: contains the error #N/A in row 2, column 1 of the range"),
        ([[1, True]], "responses: must be numeric, found True in column 2 of the range"),
        ([[None, ""]], "responses: is empty (every cell is blank)"),
    ]:
        with pytest.raises(RoqInputError) as caught:
            _cells.matrix(cells, "responses")
        assert str(caught.value) == message
    # a large all-numeric range takes the bulk path: the same numbers as cell by cell
    rng = np.random.default_rng(1)
    cells = rng.integers(1, 6, size=(2000, 30)).tolist()
    cells[7][3] = None
    bulk = _cells.matrix(cells, "responses")
    slow = _cells._floats_cell_by_cell(_cells._rows(cells), "responses", (2000, 30))
    assert np.array_equal(bulk, slow, equal_nan=True)


def test_an_undefined_scalar_result_is_an_error_not_a_blank(monkeypatch):
    @_cells.excel_function
    def SQ_UNDEFINED(value):
        return float("nan")

    monkeypatch.setenv(_cells.RUNTIME_OVERRIDE_VARIABLE, "server")
    with pytest.raises(RoqInputError, match=r"^SQ_UNDEFINED: has no defined value for this input"):
        SQ_UNDEFINED(1)


def test_office_js_whole_numbers_and_error_cells():
    # Office.js sends 5 for a cell showing 5 (an int); an error cell arrives as a dict
    assert call("ROQ_NPV_PROGRAMME", 558000000, 699000000, 0.2, 5) == call("ROQ_NPV_PROGRAMME", 558e6, 699e6, 0.2, 5.0)
    div0 = {"type": "Error", "basicType": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}
    with pytest.raises(RoqInputError) as caught:
        call("ROQ_NPV", [[div0]], column([0.05]), column([100]), 0.1)
    assert str(caught.value) == "margin: contains the error #DIV/0! in the cell"
    # an error inside a range is not a blank (unanswered) cell
    with pytest.raises(RoqInputError) as caught:
        call("SQ_ITEM_STATS", [[5, 4], [div0, 3]])
    assert str(caught.value) == "responses: contains the error #DIV/0! in row 2, column 1 of the range"


# --------------------------------------------------------------------------- generated files


def test_function_reference_is_up_to_date():
    """docs/functions.md is generated from the modules: regenerate with `python -m addin functions-doc`."""
    assert (ROOT / "docs" / "functions.md").read_text(encoding="utf-8") == functions_markdown()
    assert addin_main(["functions-doc", "--check"]) == 0


def test_function_reference_documents_every_function_and_runtime_name():
    text = functions_markdown()
    for name in NAMES:
        assert f"### {name}\n" in text
    assert "`=XLWINGS.SQ_CSI(...)`" in text and "__xlwings_func_namespace__" in text


def test_lite_requirements_are_pyodide_shipped_or_pure_python():
    lines = lite_requirements().split()
    assert lines[0] == f"xlwings=={xlwings.__version__}"
    assert set(lines[1:]) == {"numpy", "pandas", "scipy"}  # shipped by Pyodide, not pinned


def test_lite_bundle_is_deterministic():
    assert lite_main_source() == lite_main_source()


BLOCKED = ("SALib", "dask", "distributed", "matplotlib", "statsmodels", "pingouin", "openpyxl", "xlsxwriter", "formulas", "psutil", "tqdm")

LITE_PROBE = textwrap.dedent(
    """
    import asyncio, importlib.abc, importlib.util, json, os, sys
    os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
    os.environ["XLWINGS_ON_SERVER"] = "true"
    blocked = set(sys.argv[2].split(","))

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in blocked:
                raise ImportError(f"{name} must not be imported by the Lite bundle")
            return None

    sys.meta_path.insert(0, Block())
    # the development install must not stand in for a module the bundle lacks
    sys.meta_path = [f for f in sys.meta_path if "editable" not in str(getattr(f, "__module__", f)).lower()]
    spec = importlib.util.spec_from_file_location("main", sys.argv[1])
    main = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(main)
    import xlwings, xlwings.server
    import simulator

    def call(name, *args):
        payload = {"client": "Office.js", "func_name": name, "args": list(args), "caller_address": "[B.xlsx]S!A1",
                   "version": xlwings.__version__, "runtime": "1.4", "culture_info_name": "en-US", "date_format": "M/d/yyyy"}
        return asyncio.run(xlwings.server.custom_functions_call(payload, main))

    meta = xlwings.server.custom_functions_meta(main)
    print(json.dumps({
        "simulator_file": simulator.__file__,
        "names": sorted(f["name"] for f in meta["functions"]),
        "npvas": call("ROQ_NPV_PROGRAMME", [[558000000]], [[699000000]], [[0.2]], [[5]]),
        "csi": call("SQ_CSI", [[4.43], [4.55], [3.85]], [[4.2], [4.08], [3.72]]),
        "blocked_loaded": sorted(m for m in sys.modules if m.split(".")[0] in blocked),
        "outside_bundle": sorted(
            name for name, module in sys.modules.items()
            if name.split(".")[0] in ("simulator", "addin") and not (getattr(module, "__file__", "") or "").startswith(os.environ["TMPDIR"])
        ),
    }))
    """
)


def test_lite_bundle_imports_self_contained_without_heavy_dependencies(tmp_path):
    """The generated main.py runs from an empty directory with SALib, Dask, matplotlib ... unavailable."""
    bundle = tmp_path / "bundle"
    assert addin_main(["lite-bundle", str(bundle)]) == 0
    assert sorted(p.name for p in bundle.iterdir()) == ["main.py", "requirements.txt"]
    work = tmp_path / "pyodide-fs"
    work.mkdir()
    completed = subprocess.run(
        [sys.executable, "-I", "-c", LITE_PROBE, str(bundle / "main.py"), ",".join(BLOCKED)],
        cwd=work,
        env={"TMPDIR": str(work), "PATH": "/usr/bin:/bin", "HOME": str(work)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["simulator_file"].startswith(str(work))  # the bundle's copy, not the repository's
    assert report["names"] == sorted(NAMES)
    assert round(report["npvas"][0][0]) == 2_648_437_886
    assert report["csi"] == call("SQ_CSI", [[4.43], [4.55], [3.85]], [[4.2], [4.08], [3.72]])
    assert report["blocked_loaded"] == []
    assert report["outside_bundle"] == []


# --------------------------------------------------------------------------- classic add-in setup


def test_classic_setup_merges_into_the_xlwings_user_config(tmp_path):
    config = tmp_path / "xlwings.conf"
    config.write_text('"LICENSE_KEY","abc"\n"UDF_MODULES","mymodule"\n', encoding="utf-8")
    assert addin_main(["classic-setup", "--write", "--config", str(config)]) == 0
    settings = read_config(config)
    assert settings["LICENSE_KEY"] == "abc"  # other settings are kept
    assert settings["UDF_MODULES"] == f"mymodule;{UDF_MODULE}"
    assert settings["INTERPRETER_WIN"] == sys.executable
    write_user_config(config)  # idempotent
    assert read_config(config)["UDF_MODULES"] == f"mymodule;{UDF_MODULE}"


def test_classic_setup_prints_the_steps(capsys):
    assert addin_main(["classic-setup"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == setup_steps().strip()
    assert "UDF Modules: addin.functions" in out and "xlwings addin install" in out and "Trust access to the VBA project" in out


def test_cli_reports_unwritable_output_in_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert addin_main(["lite-bundle", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m addin: error: ") and err.count("\n") == 1


def test_lite_blank_cells_of_a_range_are_missing_values(monkeypatch):
    """Pyodide >= 0.28 (xlwings Lite) passes a blank cell of a range as a JsNull object."""

    class JsNull:  # stands in for pyodide.ffi.JsNull, which exists only inside Pyodide
        pass

    monkeypatch.setattr(_cells, "_JsNull", JsNull)
    monkeypatch.setattr(_cells, "_RAW_CELL_TYPES", (dict, JsNull))
    with_none = [[4, 5, 4], [2, None, 3], [5, 4, 5], [3, 3, None], [4, 4, 4], [1, 2, 1]]
    with_jsnull = [[JsNull() if cell is None else cell for cell in row] for row in with_none]
    assert call("SQ_ALPHA", with_jsnull, "pairwise") == call("SQ_ALPHA", with_none, "pairwise")
    assert call("SQ_ITEM_STATS", with_jsnull) == call("SQ_ITEM_STATS", with_none)
    assert np.isnan(_cells.matrix(with_jsnull, "responses")[1, 1])
    assert _cells._all_blank([[JsNull(), None], [JsNull(), ""]])
