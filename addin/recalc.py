"""Headless recalculation of workbooks that call the add-in's functions: ``roq recalc``.

Finance can run the analyst's workbook in a batch job or on a server, without Excel:

    roq recalc case-study.xlsx                 # writes case-study.recalc.xlsx
    roq recalc case-study.xlsx -o out.xlsx

:func:`recalculate` evaluates every formula of an ``.xlsx``/``.xlsm`` workbook with the
``formulas`` engine (a maintained Python implementation of Excel's calculation: parser,
dependency graph and ~600 built-in functions) and writes the computed values into a *new*
file. The add-in's functions are registered in the engine so that each call runs the very
Python function Excel runs (:mod:`addin.functions`), fed the way xlwings feeds it: range
arguments as 2-D lists of cell values with ``None`` for blank cells (never 0), single cells
as scalars. Nothing is re-implemented here.

What is written
    The output is the input package with fresh cached values (``<v>``) for every formula
    cell and spilled cell; formulas, styles, charts, defined names, VBA (``.xlsm``) and
    every other part are copied unchanged, so the file still recalculates in Excel and any
    reader (pandas, openpyxl ``data_only=True``, LibreOffice) sees the numbers. The input
    is never overwritten: the output is written to a temporary file next to it and moved
    into place (``os.replace``).

Function names of every runtime
    The same call is stored differently by each runtime: ``SQ_CSI(...)`` (classic add-in,
    VBA wrappers made by "Import Functions"), ``_xldudf_SQ_CSI(...)`` (how Excel saves an
    Office.js custom function such as xlwings Lite's), ``XLWINGS.SQ_CSI(...)`` or
    ``_xldudf_XLWINGS_SQ_CSI(...)`` (xlwings Server, whose manifest namespace is
    ``XLWINGS`` by default). All resolve to the same Python function: a name is looked up
    as given, then without ``_xldudf_``, then without one ``NAMESPACE.``/``NAMESPACE_``
    prefix. Spilled results (dynamic arrays) are resized the way Excel re-spills them,
    ``_xlfn.ANCHORARRAY(A1)`` (``A1#``) refers to the whole spill, and a spill that would
    overwrite a non-empty cell is ``#SPILL!``, as in Excel.

Failures
    A cell whose value ends up an error is reported as ``Sheet!A1: message``: the add-in's
    own message for a function that rejected its input (e.g.
    ``Survey!C5: responses: must be numeric, found text 'n/a' in row 3, column 2 of the
    range``), the engine's reason otherwise, or the failed cell an error came from. All
    other cells are still computed and written. ``#N/A`` *inside* a spilled table is a value
    (a missing statistic), not a failure. Like an Office.js custom function, an add-in
    function whose argument holds an error cell is not called; the error propagates.

Limits of the engine (documented in ``docs/workbooks.md``): functions ``formulas`` does not
implement evaluate to ``#NAME?`` and are reported; ``OFFSET`` is supported when the
result lies inside its first argument (``OFFSET($B$5:$AE$504, 0, 0, rows, columns)``, the
form the survey template uses); volatile functions are evaluated once.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import posixpath
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping
from xml.sax.saxutils import escape

from simulator._files import atomic_write
from simulator.errors import RoqInputError

__all__ = [
    "CellFailure",
    "RecalcResult",
    "recalculate",
    "default_output_path",
    "excel_functions",
    "read_csv_block",
    "register",
    "run",
    "MAX_SPILL_PASSES",
]

#: How often the workbook is re-evaluated after spill ranges changed size.
MAX_SPILL_PASSES = 4

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CellFailure:
    """One formula cell whose value is an error, and why."""

    sheet: str
    cell: str
    message: str

    @property
    def address(self) -> str:
        """``Sheet!A1`` (the sheet name quoted the way Excel quotes it when needed)."""
        return f"{_quote_sheet(self.sheet)}!{self.cell}"

    def __str__(self) -> str:
        return f"{self.address}: {self.message}"


@dataclass
class RecalcResult:
    """What :func:`recalculate` did.

    Attributes
    ----------
    source, output : Path
        The workbook read and the new workbook written.
    formula_cells : int
        Formula cells evaluated (a spilled formula counts once).
    failures : list of CellFailure
        Cells whose value is an error, in sheet order then row/column order.
    passes : int
        Evaluations needed until every spill range had its final size (usually 1).
    """

    source: Path
    output: Path
    formula_cells: int
    failures: list[CellFailure] = field(default_factory=list)
    passes: int = 1

    @property
    def ok(self) -> bool:
        """True when no formula cell ended up an error."""
        return not self.failures

    def summary(self) -> str:
        """Plain-text report: one line per failed cell, then the totals."""
        lines = [str(failure) for failure in self.failures]
        status = "all formulas computed" if self.ok else f"{len(self.failures)} failed"
        lines.append(f"wrote {self.output}: {self.formula_cells} formula cells, {status}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------- the CLI


def register(subparsers) -> None:
    """Add ``roq recalc`` to the ``roq`` command line (entry point group ``roq.commands``)."""
    parser = subparsers.add_parser(
        "recalc",
        help="recalculate a workbook that uses the add-in's functions, without Excel",
        description=(
            "Evaluate every formula of WORKBOOK (.xlsx or .xlsm) without Excel, the add-in's functions included, "
            "and write the computed values into a new workbook. Cells that fail are listed as 'Sheet!A1: message' "
            "on stderr; all other cells are still written. Exit status: 0 all formulas computed, 1 some cells "
            "failed (the output is still written), 2 bad usage or unreadable input."
        ),
    )
    parser.add_argument("workbook", metavar="WORKBOOK", help="the workbook to recalculate (.xlsx or .xlsm); never modified")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="where to write the recalculated workbook (default: WORKBOOK with .recalc before the extension); "
        "an existing file is refused unless --force",
    )
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists (never the input workbook)")
    parser.add_argument(
        "--paste",
        action="append",
        default=[],
        metavar="SHEET!CELL=FILE.csv",
        help="paste a CSV block (numbers, text, empty = blank) with its top-left corner at SHEET!CELL before "
        "recalculating, e.g. --paste Expectations!B7=answers.csv (repeatable; only the output gets the values)",
    )
    parser.set_defaults(handler=run)


def _parse_paste_options(options) -> dict:
    pastes = {}
    for option in options:
        target, separator, path = option.rpartition("=")
        if not separator or not target or not path:
            raise RoqInputError("--paste", f"{option!r} must look like SHEET!CELL=FILE.csv")
        if not Path(path).is_file():
            raise RoqInputError("--paste", f"{path} does not exist or is not a file")
        pastes[target] = read_csv_block(path)
    return pastes


def run(args) -> int:
    """Handler of ``roq recalc``: 0 if every formula computed, 1 if some cells failed."""
    import sys

    from simulator._files import check_new_file

    target = Path(args.output) if args.output is not None else default_output_path(args.workbook)
    if Path(args.workbook).is_file() and not (target.exists() and os.path.samefile(target, args.workbook)):
        check_new_file(target, force=args.force, argument="--output")  # before reading or computing anything
    result = recalculate(args.workbook, args.output, paste=_parse_paste_options(getattr(args, "paste", [])))
    for failure in result.failures:
        print(failure, file=sys.stderr)
    status = "all formulas computed" if result.ok else f"{len(result.failures)} cells failed (listed above)"
    print(f"wrote {result.output}: {result.formula_cells} formula cells, {status}")
    return 0 if result.ok else 1


# --------------------------------------------------------------------------- public API


def default_output_path(workbook) -> Path:
    """``book.xlsx`` -> ``book.recalc.xlsx`` (same folder, same extension)."""
    path = Path(workbook)
    return path.with_name(f"{path.stem}.recalc{path.suffix}")


def excel_functions(module=None) -> dict[str, Callable]:
    """The add-in's Excel functions by upper-case name (``SQ_CSI`` -> the Python UDF).

    Parameters
    ----------
    module : module, optional
        A module of xlwings UDFs made with :func:`addin._cells.excel_function`; default
        :mod:`addin.functions`, the module every runtime loads.
    """
    if module is None:
        from . import functions as module
    names = getattr(module, "FUNCTION_NAMES", None)
    if names is None:
        names = [name for name, value in vars(module).items() if callable(value) and getattr(value, "__roq_excel_function__", False)]
    return {name.upper(): getattr(module, name) for name in names}


def recalculate(
    workbook,
    output=None,
    *,
    functions: Mapping[str, Callable] | None = None,
    paste: Mapping[str, Iterable[Iterable]] | None = None,
) -> RecalcResult:
    """Evaluate every formula of ``workbook`` without Excel and write the values to a new file.

    Parameters
    ----------
    workbook : str or Path
        An ``.xlsx`` or ``.xlsm`` workbook. It is read, never modified.
    output : str or Path, optional
        The workbook to write; default :func:`default_output_path` (``book.recalc.xlsx``).
        Must not be the input file.
    functions : mapping of str to callable, optional
        Excel functions to register by name; default :func:`excel_functions` (the add-in).
    paste : mapping of str to rows, optional
        Values to paste before calculating, as a user would in Excel: ``{"Expectations!B7":
        rows}`` writes the block of rows (lists of numbers, text, or None for a blank cell)
        with its top-left corner at that cell. Only the output carries them. Pasting onto a
        formula or a spilled cell is refused.

    Returns
    -------
    RecalcResult
        Output path, number of formula cells, and the cells that failed
        (``Sheet!A1: message``). The output is written even when cells fail.

    Raises
    ------
    RoqInputError
        ``workbook`` is missing or not an Excel workbook, or ``output`` is the input.
    """
    source = Path(workbook)
    if not source.is_file():
        raise RoqInputError("WORKBOOK", f"{source} does not exist or is not a file")
    if source.suffix.lower() not in (".xlsx", ".xlsm"):
        raise RoqInputError("WORKBOOK", f"{source.name} must be an .xlsx or .xlsm workbook (Excel 2007 or later)")
    target = Path(output) if output is not None else default_output_path(source)
    if target.resolve() == source.resolve() or (target.exists() and os.path.samefile(target, source)):
        raise RoqInputError("--output", f"{target} is the input workbook; roq recalc never overwrites its input, choose another file")
    if target.suffix.lower() != source.suffix.lower():
        raise RoqInputError("--output", f"{target.name} must have the input's extension {source.suffix} (the file keeps its format)")
    package = _Package.read(source)
    registry = {name.upper(): fn for name, fn in (functions if functions is not None else excel_functions()).items()}
    pasted = None
    if paste:
        _paste(package, paste)
        pasted = _temporary_path(target)
        _save(package, pasted)
        package = _Package.read(pasted)
    try:
        spill_refs: dict[tuple[str, str], str] = {}
        cleared: dict[str, set[str]] = {}
        evaluation = None
        passes = 0
        for passes in range(1, MAX_SPILL_PASSES + 1):
            evaluation = _evaluate(pasted or source, package, registry, spill_refs, cleared)
            changed = _respill(package, evaluation, spill_refs, cleared)
            if not changed:
                break
        assert evaluation is not None
        failures = _collect_failures(package, evaluation, spill_refs)
        _write(package, evaluation, spill_refs, cleared, target)
    finally:
        if pasted is not None:
            with contextlib.suppress(OSError):
                os.unlink(pasted)
    return RecalcResult(source=source, output=target, formula_cells=len(evaluation.cells), failures=failures, passes=passes)


_PASTE_TARGET_RE = re.compile(r"^(?:'((?:[^']|'')+)'|([^!]+))!\$?([A-Za-z]{1,3})\$?(\d+)$")


def _paste(package: "_Package", paste: Mapping[str, Iterable[Iterable]]) -> None:
    """Write blocks of values into input cells, as a paste in Excel would."""
    import numpy as np

    for target, rows in paste.items():
        match = _PASTE_TARGET_RE.match(str(target).strip())
        if not match:
            raise RoqInputError("--paste", f"{target!r} is not a cell like Sheet!B7 or 'My sheet'!B7")
        name = (match.group(1) or "").replace("''", "'") or match.group(2)
        sheet = package.sheet(name.upper())
        if sheet is None:
            raise RoqInputError("--paste", f"{target}: no sheet named {name!r}; the sheets are {', '.join(s.name for s in package.sheets)}")
        top, left = int(match.group(4)), _column_number(match.group(3).upper())
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                r, c = top + i, left + j
                existing = sheet.cell(r, c)
                where = f"{_quote_sheet(sheet.name)}!{_ref(r, c)}"
                if existing is not None and existing.formula_xml is not None:
                    raise RoqInputError("--paste", f"{target}: {where} holds a formula; paste values into input cells only")
                if _inside_any_spill(package, sheet, r, c):
                    raise RoqInputError("--paste", f"{target}: {where} is part of a spilled result; paste values into input cells only")
                if isinstance(value, float) and math.isnan(value):
                    value = None
                if value is None or (isinstance(value, str) and value == ""):
                    if existing is not None and existing.has_content:
                        existing.clear_value()
                        sheet.modified = True
                    continue
                if isinstance(value, np.generic):
                    value = value.item()
                sheet.ensure_cell(r, c).set_value(value, is_formula=False)
                sheet.modified = True


#: Largest CSV block ``--paste`` reads (bytes): far above any block of survey answers.
MAX_PASTE_BYTES = 64 * 2**20


def read_csv_block(path) -> list[list]:
    """A CSV file as rows of cell values: numbers as floats, empty fields as None (blank).

    The file must be UTF-8 text (a byte-order mark is accepted). The delimiter is detected
    (comma, semicolon, tab or pipe: see :func:`_detect_delimiter`), so a semicolon-separated export of
    a European Excel is read as columns, not as one text column; an unterminated quote is
    refused with its line.

    Raises
    ------
    RoqInputError
        ``--paste: <file>: ...`` naming the problem (and the line where there is one).
    """
    import csv

    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_PASTE_BYTES:
            raise RoqInputError("--paste", f"{path}: {size:,} bytes; at most {MAX_PASTE_BYTES // 2**20} MiB of CSV can be pasted")
        raw = path.read_bytes()
    except OSError as error:
        raise RoqInputError("--paste", f"{path}: cannot read it ({error.strerror or error})") from None
    if b"\x00" in raw[:8192]:
        raise RoqInputError("--paste", f"{path}: is a binary file, not CSV text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise RoqInputError("--paste", f"{path}: line {line} is not UTF-8 text (byte 0x{raw[error.start]:02x}); save the CSV as UTF-8") from None
    lines = text.splitlines()

    class dialect(csv.excel):
        delimiter = _detect_delimiter(lines[:100])

    _check_quotes(path, lines, dialect)
    rows = []
    try:
        records = list(csv.reader(text.splitlines(keepends=True), dialect, strict=True))
    except csv.Error as error:
        raise RoqInputError("--paste", f"{path}: malformed CSV ({error})") from None
    decimal_comma = dialect.delimiter == ";"  # a European export: 4,5 is four and a half
    for record in records:
        row = []
        for field in record:
            text = field.strip()
            if text == "":
                row.append(None)
                continue
            if decimal_comma and re.fullmatch(r"[+-]?\d+,\d+", text):
                text = text.replace(",", ".")
            try:
                row.append(float(text))
            except ValueError:
                row.append(field)
        rows.append(row)
    while rows and all(value is None for value in rows[-1]):
        rows.pop()
    return rows


_DELIMITERS = (",", ";", "\t", "|")


def _detect_delimiter(lines: list[str]) -> str:
    """The delimiter of a CSV block: of comma, semicolon, tab and pipe, the one that splits
    every line into the same number of fields with the most numbers among them
    (``csv.Sniffer`` alone takes ``4;2,5`` for two comma-separated fields). One column: comma."""
    import csv

    best, best_score = ",", None
    for delimiter in _DELIMITERS:
        try:
            rows = [row for row in csv.reader(lines, delimiter=delimiter) if row]
        except csv.Error:
            continue
        widths = {len(row) for row in rows}
        if not rows or max(widths) < 2:
            continue
        numbers = sum(1 for row in rows for field in row if _is_number(field, decimal_comma=delimiter == ";"))
        score = (len(widths) == 1, numbers, -len(widths), max(widths))
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def _is_number(field: str, *, decimal_comma: bool = False) -> bool:
    text = field.strip()
    if decimal_comma and re.fullmatch(r"[+-]?\d+,\d+", text):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_quotes(path: Path, lines: list[str], dialect) -> None:
    """Refuse a field whose opening quote is never closed, naming its line (the csv module
    would silently swallow the rest of the file into one cell)."""
    quote, delimiter = dialect.quotechar or '"', dialect.delimiter
    inside, opened = False, 0
    for number, line in enumerate(lines, start=1):
        position = 0
        while position < len(line):
            char = line[position]
            if inside:
                if char == quote:
                    if position + 1 < len(line) and line[position + 1] == quote:
                        position += 1  # an escaped quote ("")
                    else:
                        inside = False
            elif char == quote and (position == 0 or line[position - 1] == delimiter or line[:position].endswith(delimiter + " ")):
                inside, opened = True, number
            position += 1
    if inside:
        raise RoqInputError("--paste", f"{path}: line {opened}: a quoted field is never closed (a missing {quote})")


# --------------------------------------------------------------------------- the package (zip) and sheet XML


def _quote_sheet(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) and not re.fullmatch(r"[A-Za-z]{1,3}\d+", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + (ord(char) - 64)
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _split_ref(ref: str) -> tuple[int, int]:
    """``"B7"`` -> (row 7, column 2)."""
    match = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+)", ref.upper())
    if not match:
        raise ValueError(ref)
    return int(match.group(2)), _column_number(match.group(1))


def _ref(row: int, column: int) -> str:
    return f"{_column_letters(column)}{row}"


def _area(ref: str) -> tuple[int, int, int, int]:
    """``"B2:D5"`` -> (first row, first column, last row, last column)."""
    first, _, last = ref.partition(":")
    r1, c1 = _split_ref(first)
    r2, c2 = _split_ref(last) if last else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _area_ref(r1: int, c1: int, r2: int, c2: int) -> str:
    return _ref(r1, c1) if (r1, c1) == (r2, c2) else f"{_ref(r1, c1)}:{_ref(r2, c2)}"


_ATTR_RE = re.compile(r'([\w:.-]+)\s*=\s*"([^"]*)"')
_ROW_RE = re.compile(r"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_CELL_RE = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_F_RE = re.compile(r"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_V_RE = re.compile(r"<v>(.*?)</v>|<v/>", re.S)


def _attrs(text: str) -> dict[str, str]:
    return dict(_ATTR_RE.findall(text))


def _attr_text(attrs: Mapping[str, str]) -> str:
    return "".join(f' {key}="{value}"' for key, value in attrs.items())


class _Cell:
    """One ``<c>`` element: attributes, raw formula element, and whether it holds content."""

    __slots__ = ("attrs", "formula_xml", "inner", "changed", "value_xml")

    def __init__(self, attrs: dict[str, str], inner: str | None):
        self.attrs = attrs
        self.inner = inner
        self.changed = False
        self.value_xml = ""
        match = _F_RE.search(inner or "")
        self.formula_xml = match.group(0) if match else None

    @property
    def has_content(self) -> bool:
        inner = self.inner or ""
        return self.formula_xml is not None or "<v>" in inner or "<is>" in inner

    def formula_attrs(self) -> dict[str, str]:
        match = _F_RE.search(self.formula_xml or "")
        return _attrs(match.group(1)) if match else {}

    def set_value(self, value, *, is_formula: bool) -> None:
        """Replace the cached value (``<v>``/``<is>``) by ``value``; keep the formula."""
        attrs = {key: v for key, v in self.attrs.items() if key != "t"}
        kind, text = _xml_value(value, is_formula=is_formula)
        if kind:
            # "t" goes after r and s, where Excel puts it
            ordered = {}
            for key, v in attrs.items():
                ordered[key] = v
                if key == "s" or (key == "r" and "s" not in attrs):
                    ordered["t"] = kind
            if "t" not in ordered:
                ordered["t"] = kind
            attrs = ordered
        self.attrs = attrs
        self.value_xml = text
        self.changed = True

    def clear_value(self) -> None:
        self.attrs = {key: v for key, v in self.attrs.items() if key not in ("t", "cm", "vm")}
        self.formula_xml = None
        self.value_xml = ""
        self.inner = None
        self.changed = True

    def set_formula_ref(self, ref: str) -> None:
        match = _F_RE.search(self.formula_xml or "")
        if not match:
            return
        attrs = _attrs(match.group(1))
        attrs["ref"] = ref
        body = match.group(2)
        self.formula_xml = f"<f{_attr_text(attrs)}>{body}</f>" if body is not None else f"<f{_attr_text(attrs)}/>"
        self.changed = True

    def xml(self) -> str:
        if not self.changed:
            inner = self.inner
            return f"<c{_attr_text(self.attrs)}/>" if inner is None else f"<c{_attr_text(self.attrs)}>{inner}</c>"
        inner = (self.formula_xml or "") + self.value_xml
        return f"<c{_attr_text(self.attrs)}>{inner}</c>" if inner else f"<c{_attr_text(self.attrs)}/>"


_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    text = escape(text)
    return _ILLEGAL_XML.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def _xml_value(value, *, is_formula: bool) -> tuple[str | None, str]:
    """(cell type attribute, value XML) of one computed value."""
    import numpy as np

    if value is None:
        return None, ""
    if isinstance(value, _XlError):
        return "e", f"<v>{_xml_text(str(value))}</v>"
    if isinstance(value, (bool, np.bool_)):
        return "b", f"<v>{int(bool(value))}</v>"
    if isinstance(value, numbers.Number):
        number = float(value)
        if not math.isfinite(number):
            return "e", "<v>#NUM!</v>"
        text = repr(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
        return None, f"<v>{text}</v>"
    text = str(value)
    if is_formula:
        return "str", f"<v>{_xml_text(text)}</v>"
    if text == "":
        return None, ""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return "inlineStr", f"<is><t{space}>{_xml_text(text)}</t></is>"


class _Sheet:
    """The ``<sheetData>`` of one worksheet part, parsed just enough to rewrite values.

    Only rows and cells that change are re-serialised; everything else is copied byte
    for byte (a regular-expression split of sheetData, because ElementTree would rename
    namespace prefixes that ``mc:Ignorable`` refers to).
    """

    def __init__(self, name: str, part: str, xml: str):
        self.name = name
        self.part = part
        self.xml = xml
        match = re.search(r"<sheetData\s*/>|<sheetData\b[^>]*>(.*?)</sheetData>", xml, re.S)
        if not match:
            raise RoqInputError("WORKBOOK", f"sheet {name!r} has no <sheetData>; the file is damaged")
        self.span = match.span()
        self.column_styles = []
        for col in re.finditer(r"<col\b([^>]*)/?>", xml[: self.span[0]]):
            attrs = _attrs(col.group(1))
            if attrs.get("style") and attrs.get("min") and attrs.get("max"):
                self.column_styles.append((int(attrs["min"]), int(attrs["max"]), attrs["style"]))
        self.rows: dict[int, tuple[dict[str, str], dict[int, _Cell]]] = {}
        for row_match in _ROW_RE.finditer(match.group(1) or ""):
            row_attrs = _attrs(row_match.group(1))
            number = int(row_attrs.get("r", "0")) or (max(self.rows) + 1 if self.rows else 1)
            row_attrs["r"] = str(number)
            cells: dict[int, _Cell] = {}
            next_column = 1
            for cell_match in _CELL_RE.finditer(row_match.group(2) or ""):
                attrs = _attrs(cell_match.group(1))
                if "r" in attrs:
                    _, column = _split_ref(attrs["r"])
                else:  # r is optional: the next column
                    column = next_column
                    attrs = {"r": _ref(number, column), **attrs}
                cells[column] = _Cell(attrs, cell_match.group(2))
                next_column = column + 1
            self.rows[number] = (row_attrs, cells)
        self.modified = False
        self._array_areas = None

    def array_areas(self) -> list[tuple[int, int, int, int]]:
        """Ranges of the array formulas in the file (computed once)."""
        if self._array_areas is None:
            areas = []
            for _, cells in self.rows.values():
                for cell in cells.values():
                    if cell.formula_xml is None:
                        continue
                    attrs = cell.formula_attrs()
                    if attrs.get("t") == "array" and attrs.get("ref"):
                        areas.append(_area(attrs["ref"]))
            self._array_areas = areas
        return self._array_areas

    def cell(self, row: int, column: int) -> _Cell | None:
        entry = self.rows.get(row)
        return entry[1].get(column) if entry else None

    def ensure_cell(self, row: int, column: int) -> _Cell:
        entry = self.rows.get(row)
        if entry is None:
            entry = ({"r": str(row)}, {})
            self.rows[row] = entry
        cells = entry[1]
        cell = cells.get(column)
        if cell is None:
            attrs = {"r": _ref(row, column)}
            style = self.default_style(row, column)
            if style:
                attrs["s"] = style  # as Excel does: a new cell takes its row's or column's format
            cell = _Cell(attrs, None)
            cell.changed = True
            cells[column] = cell
        self.modified = True
        return cell

    def default_style(self, row: int, column: int) -> str | None:
        """The style a new cell inherits: the row's (customFormat) or else the column's."""
        entry = self.rows.get(row)
        if entry and entry[0].get("customFormat") in ("1", "true") and entry[0].get("s"):
            return entry[0]["s"]
        for first, last, style in self.column_styles:
            if first <= column <= last:
                return style
        return None

    def has_content(self, row: int, column: int) -> bool:
        cell = self.cell(row, column)
        return cell is not None and cell.has_content

    def serialise(self) -> str:
        if not self.modified:
            return self.xml
        parts = []
        for number in sorted(self.rows):
            attrs, cells = self.rows[number]
            if any(cell.changed for cell in cells.values()) and cells and "spans" in attrs:
                attrs = dict(attrs)
                attrs["spans"] = f"{min(cells)}:{max(cells)}"
            body = "".join(cells[column].xml() for column in sorted(cells))
            parts.append(f"<row{_attr_text(attrs)}>{body}</row>" if body else f"<row{_attr_text(attrs)}/>")
        sheet_data = "<sheetData>" + "".join(parts) + "</sheetData>"
        xml = self.xml[: self.span[0]] + sheet_data + self.xml[self.span[1] :]
        return self._fix_dimension(xml)

    def _fix_dimension(self, xml: str) -> str:
        used = [(r, c) for r, (_, cells) in self.rows.items() for c, cell in cells.items() if cell.has_content or cell.value_xml]
        if not used:
            return xml
        rows = [r for r, _ in used]
        columns = [c for _, c in used]
        ref = _area_ref(min(rows), min(columns), max(rows), max(columns))
        return re.sub(r'<dimension\s+ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml, count=1)


class _Package:
    """An Excel package: its zip members, and the worksheets by name."""

    def __init__(self, path: Path, infos: list[zipfile.ZipInfo], data: dict[str, bytes], sheets: list[_Sheet]):
        self.path = path
        self.infos = infos
        self.data = data
        self.sheets = sheets
        self.by_upper = {sheet.name.upper(): sheet for sheet in sheets}

    @classmethod
    def read(cls, path: Path) -> "_Package":
        try:
            with zipfile.ZipFile(path) as archive:
                infos = archive.infolist()
                data = {info.filename: archive.read(info.filename) for info in infos}
        except (zipfile.BadZipFile, OSError) as error:
            raise RoqInputError("WORKBOOK", f"{path.name} is not an Excel workbook (.xlsx/.xlsm): {error}") from None
        workbook_part = cls._workbook_part(data, path)
        workbook_xml = data[workbook_part].decode("utf-8")
        rels_part = posixpath.join(posixpath.dirname(workbook_part), "_rels", posixpath.basename(workbook_part) + ".rels")
        targets = {}
        if rels_part in data:
            for match in re.finditer(r"<Relationship\b([^>]*)/?>", data[rels_part].decode("utf-8")):
                attrs = _attrs(match.group(1))
                target = attrs.get("Target", "")
                if target.startswith("/"):
                    part = target.lstrip("/")
                else:
                    part = posixpath.normpath(posixpath.join(posixpath.dirname(workbook_part), target))
                targets[attrs.get("Id")] = part
        sheets = []
        for match in re.finditer(r"<sheet\b([^>]*)/?>", workbook_xml):
            attrs = _attrs(match.group(1))
            rel_id = next((value for key, value in attrs.items() if key.endswith(":id")), None)
            part = targets.get(rel_id)
            if part is None or part not in data:
                continue  # chartsheets, dialog sheets without a worksheet part
            xml = data[part].decode("utf-8")
            if "<worksheet" not in xml[:2000]:
                continue
            name = _unescape(attrs.get("name", ""))
            sheets.append(_Sheet(name, part, xml))
        if not sheets:
            raise RoqInputError("WORKBOOK", f"{path.name} has no worksheets")
        return cls(path, infos, data, sheets)

    @staticmethod
    def _workbook_part(data: dict[str, bytes], path: Path) -> str:
        rels = data.get("_rels/.rels")
        if rels is None:
            raise RoqInputError("WORKBOOK", f"{path.name} is not an Excel workbook (no _rels/.rels)")
        for match in re.finditer(r"<Relationship\b([^>]*)/?>", rels.decode("utf-8")):
            attrs = _attrs(match.group(1))
            if attrs.get("Type", "").endswith("/officeDocument"):
                part = attrs.get("Target", "").lstrip("/")
                if part in data:
                    return part
        raise RoqInputError("WORKBOOK", f"{path.name} is not an Excel workbook (no workbook part)")

    def sheet(self, name_upper: str) -> _Sheet | None:
        return self.by_upper.get(name_upper.upper())


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


# --------------------------------------------------------------------------- evaluation with `formulas`


class _XlError(str):
    """Placeholder; replaced by formulas' XlError class on first use (see _engine)."""


_ENGINE = None


def _engine():
    """Import ``formulas`` lazily (only ``roq recalc`` needs it) and bind its error type."""
    global _ENGINE, _XlError
    if _ENGINE is None:
        import formulas
        from formulas.cell import CellWrapper
        from formulas.tokens.operand import Error, XlError

        _XlError = XlError
        _ENGINE = (formulas, CellWrapper, Error)
    return _ENGINE


_FUNCTION_CALL_RE = re.compile(r"(?<![\w.$])([A-Za-z_][\w.]*)\s*\(")
_ANCHORARRAY_RE = re.compile(
    r"_xlfn\.ANCHORARRAY\(\s*((?:'(?:[^']|'')+'|[A-Za-z0-9_.]+)!)?(\$?[A-Za-z]{1,3}\$?\d+)\s*\)", re.IGNORECASE
)
_STRING_RE = re.compile(r'"(?:[^"]|"")*"')


def _function_names(formula: str) -> set[str]:
    """Upper-case names of the functions a formula calls (string literals ignored)."""
    return {name.upper() for name in _FUNCTION_CALL_RE.findall(_STRING_RE.sub('""', formula))}


#: Stands in for an omitted argument (``F(a,,b)``): the engine would pass 0, Excel's
#: custom-function runtimes pass "nothing" (xlwings turns it into the Python default).
_OMITTED_FUNCTION = "_ROQ_OMITTED_ARGUMENT"
_OMITTED = "\x00omitted\x00"


def _mark_omitted_arguments(formula: str, names: set[str]) -> str:
    """Replace empty arguments of calls to ``names`` by ``_ROQ_OMITTED_ARGUMENT()``."""
    out = []
    stack: list[dict] = []  # open parentheses/braces: {"call": bool, "start": index in out}
    i = 0
    length = len(formula)
    while i < length:
        char = formula[i]
        if char == '"' or char == "'":  # string literal or quoted sheet name: copy verbatim
            j = i + 1
            while j < length:
                if formula[j] == char:
                    if j + 1 < length and formula[j + 1] == char:
                        j += 2
                        continue
                    break
                j += 1
            out.append(formula[i : j + 1])
            i = j + 1
            continue
        if char == "(":
            name = None
            text = "".join(out)
            found = re.search(r"([A-Za-z_][\w.]*)\s*$", text)
            if found and (found.start() == 0 or not re.match(r"[\w.$]", text[found.start() - 1])):
                name = found.group(1).upper()
            out.append(char)
            stack.append({"call": name in names, "arg_start": len(out), "args": 0})
            i += 1
            continue
        if char == "{":
            out.append(char)
            stack.append({"call": False, "arg_start": len(out), "args": 0})
            i += 1
            continue
        if char in ",)}" and stack:
            frame = stack[-1]
            if frame["call"]:
                argument = "".join(out[frame["arg_start"] :])
                empty_call = char == ")" and frame["args"] == 0 and not argument.strip()
                if not argument.strip() and not empty_call:
                    del out[frame["arg_start"] :]
                    out.append(f"{_OMITTED_FUNCTION}()")
            out.append(char)
            if char == ",":
                frame["args"] += 1
                frame["arg_start"] = len(out)
            else:
                stack.pop()
            i += 1
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _resolve_alias(name: str, registry: Mapping[str, Callable]) -> str | None:
    """The add-in function a runtime-specific name refers to, or None."""
    candidates = [name]
    if name.startswith("_XLDUDF_"):
        candidates.append(name[len("_XLDUDF_") :])
    for candidate in list(candidates):
        for separator in (".", "_"):
            head, sep, rest = candidate.partition(separator)
            if sep and head and rest:
                candidates.append(rest)
    for candidate in candidates:
        if candidate in registry:
            return candidate
    return None


class _Recorder:
    """Which cell is being evaluated, and the messages its add-in calls raised."""

    def __init__(self):
        self.current = None  # a node name, or ("compile", (sheet, (row, column)))
        self.messages: dict[object, list[str]] = {}
        self.natural_shapes: dict[str, tuple[int, int]] = {}

    def fail(self, message: str) -> None:
        self.messages.setdefault(self.current, []).append(message)


def _to_python(value):
    """A cell value from the engine as xlwings delivers it (blank -> None)."""
    import numpy as np
    import schedula as sh

    if value is sh.EMPTY:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _argument(value, range_argument: bool):
    """One argument the way xlwings passes it: ``ndim=2`` ranges as 2-D lists; otherwise a
    single cell as a scalar, a row or column as a 1-D list, a block as a 2-D list."""
    import numpy as np

    raw = getattr(value, "value", value)
    if isinstance(raw, np.ndarray) and raw.size == 1 and raw.ravel()[0] == _OMITTED:
        return None
    if isinstance(raw, str) and raw == _OMITTED:
        return None  # an omitted argument: xlwings passes None, the function uses its default
    if isinstance(raw, np.ndarray):
        rows = [[_to_python(v) for v in row] for row in np.atleast_2d(raw).tolist()] if raw.ndim else [[_to_python(raw.item())]]
    else:
        rows = [[_to_python(raw)]]
    if range_argument:
        return rows
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    if len(rows) == 1:
        return rows[0]
    if all(len(row) == 1 for row in rows):
        return [row[0] for row in rows]
    return rows


def _first_error(value):
    import numpy as np

    raw = getattr(value, "value", value)
    if isinstance(raw, np.ndarray):
        for item in raw.ravel():
            if isinstance(item, _XlError):
                return item
        return None
    return raw if isinstance(raw, _XlError) else None


def _adapter(name: str, function: Callable, recorder: _Recorder):
    """Wrap an add-in function for the engine: convert cells, run it, convert the result."""
    formulas, _, Error = _engine()
    from addin import _cells

    converters = getattr(function, "converters", {})
    parameters = list(getattr(function, "signature", None).parameters) if hasattr(function, "signature") else []
    classic_prefix = getattr(_cells, "CLASSIC_ERROR_PREFIX", "Error: ")
    override = getattr(_cells, "RUNTIME_OVERRIDE_VARIABLE", None)

    def call(*args):
        # an Office.js custom function is not called when an argument holds an error
        for value in args:
            error = _first_error(value)
            if error is not None:
                return error
        converted = []
        for index, value in enumerate(args):
            convert = converters.get(parameters[index]) if index < len(parameters) else None
            converted.append(_argument(value, convert is not None and _cells.is_range_converter(convert)))
        previous = os.environ.get(override) if override else None
        try:
            if override:
                os.environ[override] = "python"  # errors raise (as in Lite) instead of returning text
            result = function(*converted)
        except Exception as error:  # the add-in's own short message
            recorder.fail(f"{error}")
            return Error.errors["#VALUE!"]
        finally:
            if override:
                if previous is None:
                    os.environ.pop(override, None)
                else:
                    os.environ[override] = previous
        if isinstance(result, str) and result.startswith(classic_prefix):
            recorder.fail(result[len(classic_prefix) :])
            return Error.errors["#VALUE!"]
        return _engine_value(result, Error)

    call.__name__ = name
    from formulas.functions import wrap_ranges_func

    # as for the engine's own functions: ranges arrive as their values, and a range that
    # has no value yet (while the engine folds constants) skips the call instead of failing
    return wrap_ranges_func(call)


def _engine_value(result, Error):
    """A UDF result (scalar or rows) as the engine's value; "#N/A" text becomes an error
    cell, as xlwings' Office.js runtime turns it into one."""
    import numpy as np

    def cell(value):
        if isinstance(value, str) and value in Error.errors:
            return Error.errors[value]
        if value is None:
            return ""
        return value

    if isinstance(result, (list, tuple)):
        rows = result if result and isinstance(result[0], (list, tuple)) else [result]
        width = max((len(row) for row in rows), default=1)
        out = np.empty((len(rows), width), dtype=object)
        out[:] = ""
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                out[i, j] = cell(value)
        return out
    return cell(result)


def _offset(recorder: _Recorder):
    """OFFSET(reference, rows, columns, [height], [width]) restricted to results inside
    ``reference``: the engine has no references beyond the cells a formula names."""
    import numpy as np

    _, _, Error = _engine()

    def scalar(value, default=None):
        raw = getattr(value, "value", value)
        if isinstance(raw, np.ndarray):
            raw = raw.ravel()[0] if raw.size else None
        raw = _to_python(raw)
        if raw is None or raw == "":
            return default
        if isinstance(raw, _XlError):
            raise _OffsetError(raw)
        return int(math.floor(float(raw)))

    def offset(reference, rows, columns, height=None, width=None):
        block = getattr(reference, "value", reference)
        block = np.atleast_2d(np.asarray(block, dtype=object))
        try:
            r0, c0 = scalar(rows, 0), scalar(columns, 0)
            h, w = scalar(height, block.shape[0]), scalar(width, block.shape[1])
        except _OffsetError as error:
            return error.args[0]
        except (TypeError, ValueError):
            return Error.errors["#VALUE!"]
        if h < 1 or w < 1:
            recorder.fail(f"OFFSET: height and width must be at least 1, got {h} x {w}")
            return Error.errors["#REF!"]
        if r0 < 0 or c0 < 0 or r0 + h > block.shape[0] or c0 + w > block.shape[1]:
            recorder.fail(
                f"OFFSET: a {h} x {w} block at offset ({r0}, {c0}) leaves its {block.shape[0]} x {block.shape[1]} "
                "reference; roq recalc evaluates OFFSET only inside the range it is given"
            )
            return Error.errors["#REF!"]
        return block[r0 : r0 + h, c0 : c0 + w].copy()

    from formulas.functions import wrap_ranges_func

    return wrap_ranges_func(offset)


class _OffsetError(Exception):
    pass


class _BlankCell:
    """Stands in for an empty cell: adds nothing to the engine's graph."""

    value = None
    inputs = None
    output = None

    def add(self, dsp, context=None):
        return set()


_BLANK = _BlankCell()
_BLANK.value = __import__("schedula").EMPTY


@dataclass
class _FormulaCell:
    sheet: str  # upper-case sheet name as the engine knows it
    anchor: tuple[int, int]
    area: tuple[int, int, int, int]
    node: str
    inputs: tuple[str, ...]
    value: np.ndarray | None = None


@dataclass
class _Evaluation:
    cells: dict[tuple[str, tuple[int, int]], _FormulaCell]
    recorder: _Recorder
    compile_errors: dict[tuple[str, tuple[int, int]], str]
    unknown_functions: dict[tuple[str, tuple[int, int]], list[str]]


@contextlib.contextmanager
def _registered(functions: Mapping[str, Callable]):
    """Temporarily add ``functions`` to the engine's function table."""
    formulas, _, _ = _engine()
    table = formulas.get_functions()
    saved = {name: table[name] for name in functions if name in table}
    table.update(functions)
    try:
        yield table
    finally:
        for name in functions:
            table.pop(name, None)
        table.update(saved)


@contextlib.contextmanager
def _quiet_progress():
    """``formulas`` draws tqdm progress bars and logs dispatch warnings on stderr; a batch
    job wants neither (every failed cell is reported by address instead)."""
    import logging

    import formulas.excel as excel_module

    loggers = [logging.getLogger(name) for name in ("schedula", "formulas")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)

    class _Silent:
        def __init__(self, *args, **kwargs):
            self.total = kwargs.get("total", 0)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, *args):
            pass

        def refresh(self):
            pass

    original = excel_module.tqdm.tqdm
    excel_module.tqdm.tqdm = _Silent
    try:
        yield
    finally:
        excel_module.tqdm.tqdm = original
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _evaluate(source: Path, package: _Package, registry: Mapping[str, Callable], spill_refs, cleared) -> _Evaluation:
    import numpy as np

    formulas, CellWrapper, Error = _engine()
    recorder = _Recorder()
    functions: dict[str, Callable] = {}
    unknown: dict[tuple[str, tuple[int, int]], list[str]] = {}
    compile_errors: dict[tuple[str, tuple[int, int]], str] = {}
    builtins = formulas.get_functions()
    adapters = {name: _adapter(name, fn, recorder) for name, fn in registry.items()}

    # every function name any formula uses, mapped to the add-in (all runtime spellings)
    for sheet in package.sheets:
        for _, cells in sheet.rows.values():
            for cell in cells.values():
                if cell.formula_xml is None:
                    continue
                match = _F_RE.search(cell.formula_xml)
                body = _unescape(match.group(2) or "") if match else ""
                for name in _function_names(body):
                    if name in functions:
                        continue
                    target = _resolve_alias(name, registry)
                    if target is not None and (name not in builtins or name == target):
                        functions[name] = adapters[target]
    addin_names = set(functions)
    if "OFFSET" not in builtins:
        functions["OFFSET"] = _offset(recorder)
    functions[_OMITTED_FUNCTION] = lambda: _OMITTED

    class Model(formulas.ExcelModel):
        def compile_cell(self, cell, context, references, formula_references):
            if cell.value is None and cell.coordinate not in formula_references:
                return _BLANK  # formatted but empty: nothing to compute (the engine would parse its address)
            key = (context["sheet"], (cell.row, cell.column))
            if cell.data_type == "f":
                text = cell.value if isinstance(cell.value, str) else getattr(cell.value, "text", "")
                text = _ANCHORARRAY_RE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}#", text or "")
                text = _mark_omitted_arguments(text, addin_names)
                missing = sorted(n for n in _function_names(text) if n not in builtins and n not in functions)
                if missing:
                    unknown[key] = missing
                if isinstance(cell.value, str):
                    cell.value = text
                else:
                    cell.value.text = text
            recorder.current = ("compile", key)
            try:
                return super().compile_cell(cell, context, references, formula_references)
            except Exception as error:  # a formula the engine cannot parse: that cell fails, the rest goes on
                compile_errors[key] = f"the recalculation engine cannot read this formula ({type(error).__name__})"
                crd = formula_references.get(cell.coordinate, cell.coordinate)
                return self._compile_cell(crd, "=#VALUE!", context, True, references)
            finally:
                recorder.current = None

    with _registered(functions), _quiet_progress():
        model = Model()
        book, context = model.add_book(str(source))
        for worksheet in book.worksheets:
            upper = worksheet.title.upper()
            for (sheet_name, (row, column)), ref in spill_refs.items():
                if sheet_name == upper:
                    target = worksheet.cell(row=row, column=column)
                    if hasattr(target.value, "ref"):
                        target.value.ref = ref
            for ref in cleared.get(upper, ()):
                worksheet[ref].value = None
        model.pushes(*book.worksheets, context=context)
        model.finish()

        formula_cells: dict[tuple[str, tuple[int, int]], _FormulaCell] = {}
        node_cells = {}
        for output, cell in model.cells.items():
            if getattr(cell, "func", None) is None or not hasattr(cell, "range") or cell.range is None:
                continue
            rng = cell.range.ranges[0]
            if "sheet" not in rng:
                continue
            r1, c1, r2, c2 = int(rng["r1"]), int(rng["n1"]), int(rng["r2"]), int(rng["n2"])
            sheet = rng["sheet"].upper()
            entry = _FormulaCell(sheet, (r1, c1), (r1, c1, r2, c2), output, tuple(cell.inputs or ()))
            formula_cells[(sheet, (r1, c1))] = entry
            node_cells[output] = entry

        class Tracker:
            """Marks the cell being evaluated and keeps its unshaped result (its spill size)."""

            def __init__(self, function, output):
                self.function = function
                self.output = output
                self.__name__ = getattr(function, "__name__", output)

            def __call__(self, *args, **kwargs):
                recorder.current = self.output
                try:
                    result = self.function(*args, **kwargs)
                except Exception as error:  # the engine itself failed on this cell
                    recorder.fail(f"the recalculation engine failed: {type(error).__name__}: {error}")
                    result = np.asarray([[Error.errors["#VALUE!"]]], dtype=object)
                finally:
                    recorder.current = None
                try:
                    raw = getattr(result, "value", result)
                except Exception:  # a reference without a value yet: no spill size to learn
                    raw = None
                shape = np.shape(raw)
                recorder.natural_shapes[self.output] = (shape + (1, 1))[:2] if len(shape) < 2 else shape[-2:]
                return result

        for node in model.dsp.function_nodes.values():
            function = node.get("function")
            if isinstance(function, CellWrapper) and node.get("outputs") and node["outputs"][0] in node_cells:
                node["function"] = Tracker(function, node["outputs"][0])

        solution = model.calculate()
        for output, entry in node_cells.items():
            value = solution.get(output)
            raw = getattr(value, "value", value)
            if raw is None:
                entry.value = None
            else:
                entry.value = np.atleast_2d(np.asarray(raw, dtype=object))

    # messages recorded while compiling belong to their cell too
    for key in list(recorder.messages):
        if isinstance(key, tuple) and key[0] == "compile":
            cell_entry = formula_cells.get(key[1])
            if cell_entry is not None:
                recorder.messages.setdefault(cell_entry.node, []).extend(recorder.messages.pop(key))
    return _Evaluation(formula_cells, recorder, compile_errors, unknown)


# --------------------------------------------------------------------------- spills


def _is_dynamic(package: _Package, sheet_upper: str, anchor: tuple[int, int]) -> bool:
    """True for a dynamic-array formula (Excel marks it with a ``cm`` cell-metadata index)."""
    sheet = package.sheet(sheet_upper)
    cell = sheet.cell(*anchor) if sheet else None
    if cell is None or cell.formula_xml is None:
        return False
    return "cm" in cell.attrs and cell.formula_attrs().get("t") == "array"


def _respill(package: _Package, evaluation: _Evaluation, spill_refs, cleared) -> bool:
    """Resize dynamic-array ranges to their results; True if any changed (evaluate again)."""
    changed = False
    for key, entry in evaluation.cells.items():
        if not _is_dynamic(package, *key):
            continue
        shape = evaluation.recorder.natural_shapes.get(entry.node)
        if shape is None:
            continue
        r1, c1, r2, c2 = entry.area
        rows, columns = max(1, shape[0]), max(1, shape[1])
        if (r2 - r1 + 1, c2 - c1 + 1) == (rows, columns):
            continue
        new_area = (r1, c1, r1 + rows - 1, c1 + columns - 1)
        sheet = package.sheet(entry.sheet)
        blocked = _spill_blocker(package, evaluation, sheet, entry, new_area)
        if blocked is not None:
            continue  # reported as #SPILL! when the results are collected
        ref = _area_ref(*new_area)
        if spill_refs.get(key) == ref:
            continue
        spill_refs[key] = ref
        old = {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        new = {(r, c) for r in range(new_area[0], new_area[2] + 1) for c in range(new_area[1], new_area[3] + 1)}
        cleared.setdefault(entry.sheet, set()).difference_update(_ref(r, c) for r, c in new)
        cleared.setdefault(entry.sheet, set()).update(_ref(r, c) for r, c in old - new)
        changed = True
    return changed


def _spill_blocker(package: _Package, evaluation: _Evaluation, sheet: _Sheet, entry: _FormulaCell, area) -> str | None:
    """The first non-empty cell a spill onto ``area`` would overwrite, or None."""
    if sheet is None:
        return None
    r1, c1, r2, c2 = entry.area
    for row in range(area[0], area[2] + 1):
        for column in range(area[1], area[3] + 1):
            if r1 <= row <= r2 and c1 <= column <= c2:
                continue  # its own current spill range
            if _owned_by_other_spill(evaluation, entry, row, column):
                return _ref(row, column)
            cell = sheet.cell(row, column)
            if cell is None or not cell.has_content:
                continue
            if cell.formula_xml is None and _inside_any_spill(package, sheet, row, column):
                continue  # a stale spilled value of some array, not user content
            return _ref(row, column)
    return None


def _owned_by_other_spill(evaluation: _Evaluation, entry: _FormulaCell, row: int, column: int) -> bool:
    for other in evaluation.cells.values():
        if other is entry or other.sheet != entry.sheet:
            continue
        r1, c1, r2, c2 = other.area
        if r1 <= row <= r2 and c1 <= column <= c2:
            return True
    return False


def _inside_any_spill(package: _Package, sheet: _Sheet, row: int, column: int) -> bool:
    """True if (row, column) lies in the range of an array formula (as read from the file)."""
    return any(r1 <= row <= r2 and c1 <= column <= c2 for r1, c1, r2, c2 in sheet.array_areas())


# --------------------------------------------------------------------------- failures and output


def _collect_failures(package: _Package, evaluation: _Evaluation, spill_refs) -> list[CellFailure]:
    import numpy as np

    recorder = evaluation.recorder
    failed_roots: dict[tuple[str, tuple[int, int]], str] = {}
    failures: dict[tuple[str, tuple[int, int]], str] = {}

    for key, entry in evaluation.cells.items():
        sheet = package.sheet(entry.sheet)
        shape = recorder.natural_shapes.get(entry.node)
        if _is_dynamic(package, *key) and shape is not None:
            r1, c1, r2, c2 = entry.area
            rows, columns = max(1, shape[0]), max(1, shape[1])
            wanted = (r1, c1, r1 + rows - 1, c1 + columns - 1)
            if (r2 - r1 + 1, c2 - c1 + 1) != (rows, columns):
                blocker = _spill_blocker(package, evaluation, sheet, entry, wanted)
                if blocker is not None:
                    failures[key] = f"#SPILL!: the result needs {_area_ref(*wanted)} but {blocker} is not empty"
                    entry.value = np.asarray([[_spill_error()]], dtype=object)
                    failed_roots[key] = failures[key]
                    continue
        value = entry.value
        if value is None:
            failures[key] = "#VALUE!: not calculated (a cell it depends on could not be evaluated)"
            continue
        first = value[0, 0] if value.size else None
        if not isinstance(first, _XlError):
            continue
        if key in evaluation.compile_errors:
            message = evaluation.compile_errors[key]
            failed_roots[key] = message
        elif recorder.messages.get(entry.node):
            message = "; ".join(dict.fromkeys(recorder.messages[entry.node]))
            failed_roots[key] = message
        elif key in evaluation.unknown_functions:
            names = ", ".join(evaluation.unknown_functions[key])
            message = f"{first}: {names} is not available to the recalculation engine (not an add-in function, not implemented by 'formulas')"
            failed_roots[key] = message
        else:
            message = str(first)
        failures[key] = message

    # an error that only came from another failed cell says where it came from
    for key, message in list(failures.items()):
        if key in failed_roots:
            continue
        entry = evaluation.cells[key]
        sources = _failed_inputs(package, entry, failures)
        if sources:
            failures[key] = f"{message} (from {', '.join(sources[:3])}{', ...' if len(sources) > 3 else ''})"
        elif message in _ERROR_CODES:
            failures[key] = f"{message} (Excel error computed by the formula)"

    order = {sheet.name.upper(): index for index, sheet in enumerate(package.sheets)}
    out = []
    for key in sorted(failures, key=lambda k: (order.get(k[0], 1e9), k[1])):
        sheet = package.sheet(key[0])
        out.append(CellFailure(sheet.name if sheet else key[0], _ref(*key[1]), failures[key]))
    return out


def _spill_error():
    _, _, Error = _engine()
    return Error.errors.get("#SPILL!") or _XlError("#SPILL!")


def _failed_inputs(package: _Package, entry: _FormulaCell, failures) -> list[str]:
    """Addresses of failed formula cells inside the ranges ``entry`` reads."""
    from formulas.ranges import Ranges

    found = []
    for name in entry.inputs:
        try:
            rng = Ranges().push(name).ranges[0]
        except Exception:
            continue
        sheet = str(rng.get("sheet", "")).upper()
        r1, r2, c1, c2 = int(rng["r1"]), int(rng["r2"]), int(rng["n1"]), int(rng["n2"])
        for key in failures:
            if key[0] == sheet and r1 <= key[1][0] <= r2 and c1 <= key[1][1] <= c2 and key != (entry.sheet, entry.anchor):
                sheet_part = package.sheet(key[0])
                found.append(CellFailure(sheet_part.name if sheet_part else key[0], _ref(*key[1]), "").address)
    return sorted(set(found), key=found.index)


def _write(package: _Package, evaluation: _Evaluation, spill_refs, cleared, target: Path) -> None:
    import numpy as np

    for (sheet_upper, anchor), entry in evaluation.cells.items():
        sheet = package.sheet(sheet_upper)
        if sheet is None:
            continue
        value = entry.value
        if value is None:
            value = np.asarray([[_engine()[2].errors["#VALUE!"]]], dtype=object)
        r1, c1, r2, c2 = entry.area
        anchor_cell = sheet.cell(r1, c1)
        if anchor_cell is None:
            continue
        if (sheet_upper, anchor) in spill_refs:
            anchor_cell.set_formula_ref(spill_refs[(sheet_upper, anchor)])
        for i in range(r2 - r1 + 1):
            for j in range(c2 - c1 + 1):
                inside = i < value.shape[0] and j < value.shape[1]
                item = _cell_value(value[i, j]) if inside else _engine()[2].errors["#N/A"]  # Excel pads arrays with #N/A
                if (i, j) == (0, 0):
                    anchor_cell.set_value(item, is_formula=True)
                else:
                    target_cell = sheet.ensure_cell(r1 + i, c1 + j)
                    if target_cell.formula_xml is not None:
                        continue  # never overwrite a formula (it would be #SPILL!, reported)
                    target_cell.set_value(item, is_formula=False)
                sheet.modified = True
    for sheet_upper, refs in cleared.items():
        sheet = package.sheet(sheet_upper)
        if sheet is None:
            continue
        for ref in refs:
            cell = sheet.cell(*_split_ref(ref))
            if cell is not None and cell.formula_xml is None:
                cell.clear_value()
                sheet.modified = True

    atomic_write(target, lambda temporary: _save(package, Path(temporary)))  # complete or not at all


def _temporary_path(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    os.close(handle)
    return Path(temporary)


def _save(package: "_Package", path: Path) -> None:
    """Write the package: every part as read, modified sheets re-serialised (same order)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        parts = {sheet.part: sheet for sheet in package.sheets}
        for info in package.infos:
            data = package.data[info.filename]
            sheet = parts.get(info.filename)
            if sheet is not None and sheet.modified:
                data = sheet.serialise().encode("utf-8")
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type = zipfile.ZIP_DEFLATED
            copy.external_attr = info.external_attr
            archive.writestr(copy, data)


def _cell_value(item):
    """An engine value as a Python cell value (None = blank)."""
    import numpy as np
    import schedula as sh

    if item is sh.EMPTY:
        return None
    if isinstance(item, _XlError):
        return item
    if isinstance(item, np.generic):
        item = item.item()
    return item

