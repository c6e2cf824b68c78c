"""Shared pieces of the workbook builders: runtime naming, cell styles, sheet helpers.

Conventions every built workbook follows (and ``docs/workbooks.md`` documents):

- Cell roles are visible at a glance: **input** (pale yellow, blue text: type or paste
  here), **add-in function** (pale green: a roq-toolkit function, needs the add-in),
  **Excel formula** (white: Excel's own functions), **published** (grey italics: the
  figure printed in the paper, for comparison). Every sheet repeats the legend.
- Rates and shares are fractions formatted as percentages; money has thousands
  separators with the currency in a Unit column; indices the add-in returns in percent
  (CSI, conformity) show a literal % sign.
- Headers are frozen, and every sheet prints on A4, one page wide (landscape where the
  sheet is wide), with header rows repeated only over a table that runs onto a second page.
- Every formula cell carries its last computed value and the file does not force a full
  recalculation on open. Spreadsheet applications that recalculate array formulas on load
  whatever the file says (LibreOffice does) cannot call an add-in function, so every spilled
  add-in table falls back, only where its function is unknown (``#NAME?``), to its values at
  the last build, kept on the hidden sheet :data:`STORED_SHEET` (:class:`StoredResults`).
- Only the add-in's *names* differ between runtimes (:class:`Runtime`); the layout,
  inputs and Excel formulas are identical in every variant. The classic variant is a
  macro-enabled ``.xlsm`` that carries xlwings' own VBA project (:func:`xlwings_vba_project`),
  so that the add-in's "Import Functions" works on it as it stands.
"""

from __future__ import annotations

import datetime as _dt
import math
import zipfile
from dataclasses import dataclass
from importlib import metadata, resources

from xlsxwriter.utility import xl_rowcol_to_cell

__all__ = [
    "Runtime",
    "RUNTIMES",
    "BUILD_DATE",
    "XLWINGS_VBA_TEMPLATE",
    "XLWINGS_VBA_CODENAMES",
    "xlwings_vba_project",
    "xlwings_credit",
    "LEGEND",
    "Styles",
    "STORED_SHEET",
    "StoredResults",
    "SheetWriter",
    "PrintLayout",
    "print_layout",
    "about_sheet",
    "add_mean_lines",
    "runtime_steps",
    "cell",
    "area",
    "absolute",
]

#: Fixed creation date of every built workbook, so a rebuild is byte-for-byte reproducible.
BUILD_DATE = _dt.datetime(2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Runtime:
    """How one xlwings runtime's workbooks name the add-in's functions, and their file type.

    ``classic``: the VBA wrappers that xlwings' "Import Functions" writes into the
    workbook are plain VBA functions, so cells call ``SQ_CSI(...)``. The file is a
    macro-enabled ``.xlsm`` holding xlwings' VBA project (the reference to the xlwings
    add-in that the wrappers call), which "Import Functions" needs.
    ``lite``: xlwings Lite registers Office.js custom functions without a namespace
    (``=SQ_CSI(...)`` in the formula bar); Excel stores such a call in the file as
    ``_xldudf_SQ_CSI(...)`` and binds it to the custom function once the add-in has
    registered it (see ``docs/workbooks.md`` for the sources and the fallback).
    """

    name: str
    label: str
    file_prefix: str  # what the file stores before the function name
    extension: str  # ".xlsm" when the file carries a VBA project, else ".xlsx"

    @property
    def macro_enabled(self) -> bool:
        """Whether the file is an ``.xlsm`` with xlwings' VBA project embedded."""
        return self.extension == ".xlsm"

    def call(self, function: str, *arguments) -> str:
        """Formula text (without ``=``) calling an add-in function."""
        args = ",".join(str(argument) for argument in arguments)
        return f"{self.file_prefix}{function}({args})"


RUNTIMES = {
    "classic": Runtime("classic", "classic xlwings add-in (Excel on Windows)", "", ".xlsm"),
    "lite": Runtime("lite", "xlwings Lite (Excel on Windows, macOS and the web)", "_xldudf_", ".xlsx"),
}

# --------------------------------------------------------------------------- xlwings' VBA project

#: The file of the installed xlwings package whose VBA project the classic workbooks embed.
#: ``xlwings quickstart`` copies it for every new project: its VBA project holds a reference
#: to the xlwings add-in (the VBA project ``xlwings`` in ``xlwings.xlam``), empty document
#: modules ``ThisWorkbook``, ``Sheet1`` and ``Sheet2``, and the standard module ``Module1`` with
#: xlwings' sample macro ``SampleCall``. (``quickstart_standalone.xlsm`` embeds xlwings' VBA
#: code instead of the reference; docs/workbooks.md says why it is not used.)
XLWINGS_VBA_TEMPLATE = "quickstart.xlsm"

#: The VBA code names of that project's document modules, in order: the workbook's and the
#: first two sheets' code names must match them (XlsxWriter docs, "Setting the VBA
#: codenames"); sheets beyond the second get ``Sheet3``, ``Sheet4``, ... (Excel's defaults).
XLWINGS_VBA_CODENAMES = ("ThisWorkbook", "Sheet1", "Sheet2")


def xlwings_vba_project() -> bytes:
    """The ``xl/vbaProject.bin`` of the installed xlwings package's ``quickstart.xlsm``.

    Read at build time from the installed package (never a copy kept in this repository),
    so a rebuild after an xlwings upgrade picks up that version's project.
    """
    template = resources.files("xlwings").joinpath(XLWINGS_VBA_TEMPLATE)
    with template.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        return archive.read("xl/vbaProject.bin")


def xlwings_credit() -> str:
    """The About-sheet line crediting xlwings for the embedded VBA project (BSD 3-clause)."""
    version = metadata.version("xlwings")
    return (
        f"The VBA project in this file (xl/vbaProject.bin: the reference to the xlwings add-in, empty sheet modules and xlwings' "
        f"sample macro Module1.SampleCall, which these sheets do not use) is taken unchanged from quickstart.xlsm of xlwings {version}, "
        "Copyright (C) 2014 - present, Zoomer Analytics GmbH, distributed under the BSD 3-clause licence; the licence text is in "
        "docs/workbooks.md of roq-toolkit and in xlwings' LICENSE.txt."
    )


def cell(row: int, column: int, *, absolute_ref: bool = False, sheet: str | None = None) -> str:
    """A1 reference of a 0-based (row, column); optionally absolute and sheet-qualified."""
    ref = xl_rowcol_to_cell(row, column, row_abs=absolute_ref, col_abs=absolute_ref)
    return f"{_sheet_prefix(sheet)}{ref}"


def area(first_row: int, first_column: int, last_row: int, last_column: int, *, absolute_ref: bool = True, sheet: str | None = None) -> str:
    """A1:B2 reference of a 0-based block (absolute by default)."""
    first = xl_rowcol_to_cell(first_row, first_column, row_abs=absolute_ref, col_abs=absolute_ref)
    last = xl_rowcol_to_cell(last_row, last_column, row_abs=absolute_ref, col_abs=absolute_ref)
    return f"{_sheet_prefix(sheet)}{first}:{last}"


def absolute(row: int, column: int, sheet: str | None = None) -> str:
    return cell(row, column, absolute_ref=True, sheet=sheet)


def _sheet_prefix(sheet: str | None) -> str:
    if not sheet:
        return ""
    if sheet.replace("_", "").isalnum() and not sheet[0].isdigit():
        return f"{sheet}!"
    return "'" + sheet.replace("'", "''") + "'!"


# --------------------------------------------------------------------------- styles

_NUMBER_FORMATS = {
    "text": "@",
    "general": "General",
    "int": "#,##0",
    "count": "0",
    "money": "#,##0",
    "ratio": "0.00",
    "ratio4": "0.0000",
    "score": "0.00",
    "score3": "0.000",
    "pct": "0.00%",
    "pct1": "0.0%",
    "pct0": "0%",
    "pct_points": '0.00" %"',  # a value already in percent (79.55 -> 79.55 %)
    "factor": "0.00000",
    "gap": "+0.00;-0.00;0.00",
}

_ROLES = {
    "input": {"bg_color": "#FFF2CC", "font_color": "#1F4E79", "border": 1, "border_color": "#BFBFBF"},
    "addin": {"bg_color": "#E2EFDA", "border": 1, "border_color": "#BFBFBF"},
    "excel": {"border": 1, "border_color": "#BFBFBF"},
    "published": {"bg_color": "#F2F2F2", "font_color": "#595959", "italic": True, "border": 1, "border_color": "#BFBFBF"},
    "label": {"border": 1, "border_color": "#BFBFBF"},
    "plain": {},
}


#: The hidden sheet holding the last computed values of every spilled add-in table.
STORED_SHEET = "Stored results"


class StoredResults:
    """The values every spilled add-in table had at the last build, for readers without the add-in.

    LibreOffice recomputes every array formula when it loads a file, ignoring the values
    stored in it (``sc/source/filter/oox/formulabuffer.cxx``: array formulas become matrix
    cells without their cached results), and Excel without the add-in shows ``#NAME?`` as
    soon as it recalculates. So each spilled add-in table is written as
    ``IF(AND(IFERROR(ERROR.TYPE(call)=5,FALSE)),stored,call)``: only when *every* cell of the
    call is ``#NAME?`` (the function does not exist here) does it show the block ``stored``
    of the hidden sheet :data:`STORED_SHEET`; any other result, errors and the add-in's
    ``Error: ...`` messages included, shows as computed. The build fills the blocks from a
    first recalculation (:func:`workbooks.build.build_workbook`), so they hold exactly the
    values the tables show. Excel evaluates the call twice (the condition and the value).
    """

    TOP = 3  # rows 1-2: title and explanation

    def __init__(self, values: dict | None = None):
        self.blocks: list[tuple[str, int, int, int, int, int]] = []  # sheet, row, column, rows, columns, stored row
        self.values = dict(values or {})  # (sheet, row, column) -> rows of values
        self._next = self.TOP

    def reserve(self, sheet: str, row: int, column: int, shape: tuple[int, int]) -> str:
        """The absolute, sheet-qualified range of the stored block for the table at (row, column)."""
        rows, columns = shape
        stored_row = self._next + 1  # a label row above each block
        self.blocks.append((sheet, row, column, rows, columns, stored_row))
        self._next = stored_row + rows + 1
        return area(stored_row, 0, stored_row + rows - 1, columns - 1, sheet=STORED_SHEET)

    def read(self, path) -> dict:
        """The computed values of every reserved table in the recalculated workbook ``path``."""
        import warnings

        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # print areas that grow with the data (OFFSET names)
            book = openpyxl.load_workbook(path, data_only=True)
        values = {}
        for sheet, row, column, rows, columns, _ in self.blocks:
            ws = book[sheet]
            values[(sheet, row, column)] = [
                [ws.cell(row + 1 + i, column + 1 + j).value for j in range(columns)] for i in range(rows)
            ]
        book.close()
        return values

    def write(self, workbook, styles: "Styles") -> None:
        """Add the hidden sheet with the stored blocks (after every other sheet)."""
        if not self.blocks:
            return
        ws = workbook.add_worksheet(STORED_SHEET)
        ws.hide()
        ws.write_string(0, 0, "Stored results: the values of the spilled add-in tables at the last build", styles.title)
        ws.write_string(
            1,
            0,
            "Shown by those tables only where the add-in's functions are unknown (#NAME?, e.g. LibreOffice or Excel without the add-in); "
            "Excel with the add-in computes the tables afresh. Rebuilt by python -m workbooks.build; do not edit.",
            styles.subtitle,
        )
        ws.set_column(0, 0, 28)
        for sheet, row, column, rows, columns, stored_row in self.blocks:
            ws.write_string(stored_row - 1, 0, cell(row, column, sheet=sheet), styles.bold)
            block = self.values.get((sheet, row, column))
            for i in range(rows):
                for j in range(columns):
                    value = block[i][j] if block is not None and i < len(block) and j < len(block[i]) else None
                    if value is None:
                        continue
                    if isinstance(value, bool):
                        ws.write_boolean(stored_row + i, j, value)
                    elif isinstance(value, (int, float)):
                        ws.write_number(stored_row + i, j, value)
                    else:
                        ws.write_string(stored_row + i, j, str(value))


class Styles:
    """Cell formats of one workbook, created on first use (in a fixed order: reproducible).

    ``stored``: the :class:`StoredResults` of the workbook (``stored_values`` from a first
    recalculation, or none).
    """

    def __init__(self, workbook, stored_values: dict | None = None):
        self.workbook = workbook
        self.stored = StoredResults(stored_values)
        self._cache = {}
        self.title = workbook.add_format({"bold": True, "font_size": 15, "font_color": "#1F4E79"})
        self.subtitle = workbook.add_format({"italic": True, "font_color": "#595959"})
        self.subtitle_wrapped = workbook.add_format({"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"})
        self.section = workbook.add_format({"bold": True, "font_size": 12, "font_color": "#1F4E79", "bottom": 1, "bottom_color": "#1F4E79"})
        self.header = workbook.add_format(
            {"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF", "border": 1, "border_color": "#BFBFBF", "text_wrap": True, "valign": "top"}
        )
        self.note = workbook.add_format({"text_wrap": True, "valign": "top", "font_color": "#404040"})
        self.note_italic = workbook.add_format({"text_wrap": True, "valign": "top", "italic": True, "font_color": "#7F7F7F"})
        self.warning = workbook.add_format({"text_wrap": True, "valign": "top", "bold": True, "font_color": "#C00000"})
        #: a one-line message that runs on over the empty cells to its right (never wrapped into a narrow column)
        self.status = workbook.add_format({"bold": True, "font_color": "#C00000"})
        #: conditional formats for tables whose size depends on the data (header row; filled cells)
        self.header_when_filled = workbook.add_format({"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF", "border": 1, "border_color": "#BFBFBF"})
        self.border_when_filled = workbook.add_format({"border": 1, "border_color": "#BFBFBF"})
        #: row format of such a table's header row: long labels wrap and the row grows to fit them
        self.wrap_row = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.link = workbook.add_format({"font_color": "#0563C1", "underline": 1})
        self.bold = workbook.add_format({"bold": True})

    def get(self, role: str, kind: str = "general", *, bold: bool = False, wrap: bool = False):
        """The format for a cell ``role`` (input, addin, excel, published, label, plain) holding ``kind``."""
        key = (role, kind, bold, wrap)
        if key not in self._cache:
            properties = dict(_ROLES[role])
            properties["num_format"] = _NUMBER_FORMATS[kind]
            properties["valign"] = "top"  # in a row raised for a wrapped note, every cell starts at the top
            if bold:
                properties["bold"] = True
            if wrap:
                properties["text_wrap"] = True
                properties["valign"] = "top"
            self._cache[key] = self.workbook.add_format(properties)
        return self._cache[key]


LEGEND = (
    ("input", "Input: type or paste here"),
    ("addin", "Add-in function (roq-toolkit)"),
    ("excel", "Excel formula"),
    ("published", "Published in the paper"),
)


class SheetWriter:
    """A worksheet with the workbook's styles, the runtime's function names and print setup."""

    def __init__(self, workbook, styles: Styles, runtime: Runtime, name: str, *, tab_color: str | None = None, legend=None):
        self.legend = LEGEND if legend is None else legend
        self.workbook = workbook
        self.styles = styles
        self.runtime = runtime
        self.name = name
        self.ws = workbook.add_worksheet(name)
        if tab_color:
            self.ws.set_tab_color(tab_color)
        self.last_row = 0
        self.last_column = 0
        self._widths: dict[int, float] = {}
        self._column_formats: dict[int, object] = {}
        self._keep: list[tuple[int, int]] = []
        self._sections: list[int] = []
        self._fits: list[tuple[int, int, int, str, bool]] = []
        self._legend_row: int | None = None
        self.layout: PrintLayout | None = None
        self.ws.hide_gridlines(2)

    # -- bookkeeping
    def _used(self, row: int, column: int) -> None:
        self.last_row = max(self.last_row, row)
        self.last_column = max(self.last_column, column)

    def ref(self, row: int, column: int, *, absolute_ref: bool = True, qualified: bool = False) -> str:
        return cell(row, column, absolute_ref=absolute_ref, sheet=self.name if qualified else None)

    def range(self, first_row: int, first_column: int, last_row: int, last_column: int, *, qualified: bool = False) -> str:
        return area(first_row, first_column, last_row, last_column, sheet=self.name if qualified else None)

    # -- headings
    def title(self, text: str, subtitle: str | None = None, *, legend: bool = True) -> int:
        """Title in row 1, subtitle in row 2, legend in row 3; returns the next free row."""
        self.ws.write_string(0, 0, text, self.styles.title)
        self.ws.set_row(0, 22)
        if subtitle:
            self.ws.write_string(1, 0, subtitle, self.styles.subtitle)
        self._legend_row = 2 if legend else None  # written by finish(), when the column widths are known
        self._used(1, 0)
        return 4

    def section(self, row: int, text: str, width: int = 6) -> int:
        """A section heading; a section prints on one page with its heading when it fits one."""
        self._sections.append(row)
        for column in range(width):
            self.ws.write_blank(row, column, None, self.styles.section)
        self.ws.write_string(row, 0, text, self.styles.section)
        self._used(row, width - 1)
        return row + 1

    def headers(self, row: int, column: int, labels) -> int:
        for offset, label in enumerate(labels):
            self.ws.write_string(row, column + offset, label, self.styles.header)
            self._fit(row, column + offset, column + offset, label, bold=True)
        self._used(row, column + len(labels) - 1)
        return row + 1

    def note(self, row: int, column: int, text: str, *, italic: bool = False, last_column: int | None = None, height: int | None = None) -> None:
        style = self.styles.note_italic if italic else self.styles.note
        if last_column is not None and last_column > column:
            self.ws.merge_range(row, column, row, last_column, "", style)
            self.ws.write_string(row, column, text, style)  # never parsed as a formula
            self._used(row, last_column)
        else:
            self.ws.write_string(row, column, text, style)
            self._used(row, column)
        if height:
            self.ws.set_row(row, height)
        self._fit(row, column, column if last_column is None else max(column, last_column), text)

    # -- cells by role
    def label(self, row: int, column: int, text: str, *, bold: bool = False, wrap: bool = False) -> None:
        self.ws.write_string(row, column, text, self.styles.get("label", "text", bold=bold, wrap=wrap))
        if wrap:
            self._fit(row, column, column, text, bold=bold)
        self._used(row, column)

    def _fit(self, row: int, first_column: int, last_column: int, text: str, *, bold: bool = False) -> None:
        """Make ``row`` tall enough for wrapped ``text`` across the columns (applied by finish())."""
        self._fits.append((row, first_column, last_column, text, bold))

    def _apply_fits(self) -> None:
        """Raise the rows of wrapped headers and notes so no line is cut or runs into the next row.

        Lines are counted for the widest common fallback font (see :data:`_CHAR_PIXELS`):
        a column ``w`` characters wide holds about ``1.1 w`` characters of text per line (0.95 ``w``
        bold), measured on LibreOffice's pages with DejaVu Sans.
        """
        needed: dict[int, float] = {}
        for row, first, last, text, bold in self._fits:
            width = sum(self._widths.get(column, _DEFAULT_WIDTH) for column in range(first, last + 1))
            per_line = max(1.0, width * (0.95 if bold else 1.1))
            lines = sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))
            needed[row] = max(needed.get(row, 0.0), 15.0 * lines + (2 if lines > 1 else 0))
        for row, points in sorted(needed.items()):
            current = self.ws.row_sizes.get(row)
            current_points = 0.75 * (current[0] if current else self.ws.default_row_height)
            if points > current_points + 0.5:
                info = self.ws.row_info.get(row)
                self.ws.set_row(row, points, info.row_format if info else None)

    def set_heights(self, heights: dict) -> None:
        """Row heights in points, ``{row: points}``, keeping each row's format."""
        for row, points in heights.items():
            info = self.ws.row_info.get(row)
            self.ws.set_row(row, points, info.row_format if info else None)

    def _write_legend(self) -> None:
        """The colour legend in row 3, each label spanning as many columns as its text needs."""
        if getattr(self, "_legend_row", None) is None:
            return
        column = 0
        for role, label in self.legend:
            needed = len(label) * 0.95 + 1  # LibreOffice with DejaVu Sans fits about 1.1 characters per width unit
            last, width = column, self._widths.get(column, _DEFAULT_WIDTH)
            while width < needed:
                last += 1
                width += self._widths.get(last, _DEFAULT_WIDTH)
            style = self.styles.get(role, "text")
            if last > column:
                self.ws.merge_range(self._legend_row, column, self._legend_row, last, label, style)
            else:
                self.ws.write_string(self._legend_row, column, label, style)
            column = last + 1
        self._used(self._legend_row, column - 1)

    def _value(self, role: str, row: int, column: int, value, kind: str, wrap: bool = False) -> None:
        """A constant cell (blank, text or number) in ``role``'s style (``wrap``: long text wraps, the row grows)."""
        style = self.styles.get(role, kind, wrap=wrap)
        if wrap and isinstance(value, str):
            self._fit(row, column, column, value)
        if value is None:
            self.ws.write_blank(row, column, None, style)
        elif isinstance(value, str):
            self.ws.write_string(row, column, value, style)
        else:
            self.ws.write_number(row, column, value, style)
        self._used(row, column)

    def input(self, row: int, column: int, value, kind: str = "general", *, wrap: bool = False) -> str:
        self._value("input", row, column, value, kind, wrap)
        return self.ref(row, column)

    def published(self, row: int, column: int, value, kind: str = "general", *, wrap: bool = False) -> None:
        self._value("published", row, column, value, kind, wrap)

    def excel(self, row: int, column: int, formula: str, kind: str = "general", *, bold: bool = False) -> str:
        """A cell computed by Excel's own functions."""
        self.ws.write_formula(row, column, "=" + formula.lstrip("="), self.styles.get("excel", kind, bold=bold))
        self._used(row, column)
        return self.ref(row, column)

    def addin(self, row: int, column: int, function: str, *arguments, kind: str = "general", bold: bool = False, wrap_if: str | None = None) -> str:
        """A cell calling one add-in function (scalar result).

        ``wrap_if``: an Excel condition under which the cell shows "" instead of calling
        the function (e.g. an empty input range in the survey template).
        """
        formula = self.runtime.call(function, *arguments)
        if wrap_if:
            formula = f'IF({wrap_if},"",{formula})'
        self.ws.write_formula(row, column, "=" + formula, self.styles.get("addin", kind, bold=bold))
        self._used(row, column)
        return self.ref(row, column)

    def spill(
        self,
        row: int,
        column: int,
        function: str,
        *arguments,
        shape: tuple[int, int],
        kinds,
        header: bool = True,
        wrap_if: str | None = None,
        row_kinds: dict | None = None,
    ) -> tuple[int, int]:
        """A dynamic-array formula calling an add-in function that spills a table.

        ``shape`` is the table's (rows, columns) including its header row, so the file
        carries the right spill range (and formats) before any recalculation;
        ``kinds`` gives each column's number format; ``row_kinds`` ``{(row offset, column
        offset): kind}`` overrides single cells (a column of values with a unit per row, such
        as ROQ_MODEL's money, ratios and shares). Returns the (last row, last column).
        """
        call = self.runtime.call(function, *arguments)
        stored = self.styles.stored.reserve(self.name, row, column, shape)
        block = self.styles.stored.values.get((self.name, row, column))
        if header and block:  # the header labels the add-in returns (known from the first pass)
            for offset, label in enumerate(block[0]):
                if isinstance(label, str):
                    self._fit(row, column + offset, column + offset, label, bold=True)
        formula = f"IF(AND(IFERROR(ERROR.TYPE({call})=5,FALSE)),{stored},{call})"
        if wrap_if:
            formula = f'IF({wrap_if},"",{formula})'
        return self.spill_formula(row, column, formula, shape=shape, kinds=kinds, header=header, role="addin", row_kinds=row_kinds)

    def spill_formula(self, row: int, column: int, formula: str, *, shape, kinds, header: bool = True, role: str = "excel", row_kinds: dict | None = None) -> tuple[int, int]:
        rows, columns = shape
        last_row, last_column = row + rows - 1, column + columns - 1
        first_style = self.styles.header if header else self.styles.get(role, kinds[0])
        self.ws.write_dynamic_array_formula(row, column, last_row, last_column, "=" + formula, first_style)
        for i in range(rows):
            for j in range(columns):
                if (i, j) == (0, 0):
                    continue
                kind = (row_kinds or {}).get((i, j), kinds[min(j, len(kinds) - 1)])
                style = self.styles.header if (header and i == 0) else self.styles.get(role, kind)
                self.ws.write_blank(row + i, column + j, None, style)
        self._used(last_row, last_column)
        return last_row, last_column

    def link(self, row: int, column: int, sheet: str, target: str, text: str) -> None:
        """An internal hyperlink (a link object, not a HYPERLINK formula)."""
        self.ws.write_url(row, column, f"internal:{_sheet_prefix(sheet)}{target}", self.styles.link, string=text)
        self._used(row, column)

    def insert_chart(self, row: int, column: int, chart) -> int:
        """Insert ``chart`` at (row, column), printed whole on one page; returns the first row below it."""
        self.ws.insert_chart(row, column, chart)
        rows = math.ceil(chart.height * chart.y_scale / self.ws.default_row_height) + 1  # both in pixels
        covered, last_column = 0.0, column
        while covered < chart.width * chart.x_scale:
            covered += self._widths.get(last_column, _DEFAULT_WIDTH) * 7 + 5  # Excel pixels: the most columns a chart covers
            last_column += 1
        self._keep.append((row, row + rows - 1))
        self._used(row + rows - 1, last_column - 1)
        return row + rows

    def keep_together(self, first_row: int, last_row: int) -> None:
        """Print rows ``first_row`` to ``last_row`` on one page (a break goes before them if needed)."""
        self._keep.append((first_row, last_row))

    # -- layout and printing
    def widths(self, *widths: float, first: int = 0) -> None:
        for offset, width in enumerate(widths):
            self._widths[first + offset] = width
            self.ws.set_column(first + offset, first + offset, width, self._column_formats.get(first + offset))

    def column_format(self, column: int, cell_format) -> None:
        """Format a whole column (cells a spill creates later inherit it); keeps its width."""
        self._column_formats[column] = cell_format
        self.ws.set_column(column, column, self._widths.get(column), cell_format)

    def finish(
        self,
        *,
        freeze_row: int,
        freeze_column: int = 0,
        header_rows: tuple[int, int] | None = None,
        portrait: bool | None = None,
        print_area: str | None = None,
        repeat: bool | None = None,
    ) -> "PrintLayout":
        """Frozen panes and the print setup every sheet shares (:func:`print_layout`).

        A4, portrait unless the used columns are wider than a portrait page; scaled so the
        columns fit one page wide; page breaks placed so that no chart (nor any
        :meth:`keep_together` block) is split; ``header_rows`` repeated on later pages only
        when the table under them continues there. ``print_area``: a defined-name formula
        for a print area that grows with pasted data (else the used range); ``repeat``: repeat
        ``header_rows`` on every page whatever the plan (such a growing table).
        """
        self.ws.freeze_panes(freeze_row, freeze_column)
        self._write_legend()
        self._apply_fits()
        layout = print_layout(self, portrait=portrait, header_rows=header_rows)
        self.ws.set_paper(9)  # A4
        if layout.landscape:
            self.ws.set_landscape()
        else:
            self.ws.set_portrait()
        self.ws.set_print_scale(layout.scale)
        self.ws.set_margins(left=_MARGIN_SIDE, right=_MARGIN_SIDE, top=_MARGIN_TOP, bottom=_MARGIN_TOP)
        if print_area:
            self.workbook.define_name(f"{_sheet_prefix(self.name)}_xlnm.Print_Area", "=" + print_area.lstrip("="))
        else:
            self.ws.print_area(0, 0, self.last_row, self.last_column)
        if layout.breaks:
            self.ws.set_h_pagebreaks(list(layout.breaks))
        if header_rows and (layout.repeat if repeat is None else repeat):
            self.ws.repeat_rows(*header_rows)
        self.ws.set_header(f"&L&8{self.name}&R&8roq-toolkit")
        self.ws.set_footer("&L&8&F&R&8Page &P of &N")
        self.layout = layout
        return layout


def add_mean_lines(chart, sheet: "SheetWriter", first_row: int, x_column: int) -> None:
    """Add an IPA chart's two cut lines: the points in rows ``first_row``.. (vertical line first,
    then horizontal), x in ``x_column``, y in the column right of it (two points per line)."""
    for start, name in ((first_row, "Mean performance"), (first_row + 2, "Mean importance")):
        chart.add_series(
            {
                "name": name,
                "categories": f"='{sheet.name}'!{area(start, x_column, start + 1, x_column)}",
                "values": f"='{sheet.name}'!{area(start, x_column + 1, start + 1, x_column + 1)}",
                "marker": {"type": "none"},
                "line": {"color": "#C00000", "dash_type": "dash"},
            }
        )


# --------------------------------------------------------------------------- page layout

_DEFAULT_WIDTH = 8.43  # Excel's default column width (characters)
_MARGIN_SIDE, _MARGIN_TOP = 0.5, 0.6  # inches
_A4 = (595.0, 842.0)  # points, portrait
_PAGE_FILL = 0.97  # plan pages a little short: applications measure rows and fonts slightly differently


#: Pixels per character of column width when planning pages: 7 in Excel (Calibri 11), but an
#: application without Calibri or a metric twin (Carlito) sizes columns by its fallback font's
#: digit, up to a third wider (LibreOffice with DejaVu Sans: 9.3); pages are planned for that,
#: so no sheet is cut in two anywhere (Excel prints such sheets a little smaller than it could).
_CHAR_PIXELS = 9.35


def _column_pixels(width: float) -> float:
    """Planned pixels of a column ``width`` characters wide (see :data:`_CHAR_PIXELS`)."""
    return 0.0 if width == 0 else (width + 0.72) * _CHAR_PIXELS  # XlsxWriter stores width + 0.71 (padding)


@dataclass(frozen=True)
class PrintLayout:
    """How a sheet prints: orientation, scale (%), manual breaks (rows starting a page), pages."""

    landscape: bool
    scale: int
    breaks: tuple[int, ...]
    pages: int
    repeat: bool


def print_layout(sheet: "SheetWriter", *, portrait: bool | None = None, header_rows=None) -> PrintLayout:
    """Plan the printed pages of ``sheet``: orientation, scale to one page wide, page breaks.

    Widths come from the sheet's columns, heights from its rows (XlsxWriter's row sizes);
    charts, sections (heading to the next heading) and :meth:`SheetWriter.keep_together`
    blocks move to the next page whole when they would cross a page end and fit on one. Repeating ``header_rows`` is planned only when a page break falls
    inside the table under them (the rows down to the first empty row).
    """
    ws = sheet.ws
    width_points = sum(_column_pixels(sheet._widths.get(column, _DEFAULT_WIDTH)) for column in range(sheet.last_column + 1)) * 0.75
    portrait_width = _A4[0] - 2 * 72 * _MARGIN_SIDE
    landscape = (width_points > portrait_width) if portrait is None else not portrait
    page_width, page_height = (_A4[1], _A4[0]) if landscape else _A4
    scale = max(10, min(100, math.floor((page_width - 2 * 72 * _MARGIN_SIDE) * 0.97 / max(width_points, 1.0) * 100)))
    available = (page_height - 2 * 72 * _MARGIN_TOP) * _PAGE_FILL * 100 / scale

    def height(row: int) -> float:  # points (XlsxWriter keeps row heights in pixels)
        size = ws.row_sizes.get(row)
        return 0.75 * (ws.default_row_height if not size or size[0] is None else size[0])

    keep = {}
    starts = sorted(set(sheet._sections))
    for first, following in zip(starts, starts[1:] + [sheet.last_row + 2]):
        keep[first] = following - 2  # a section ends at the blank row before the next one
    for first, last in sheet._keep:
        keep[first] = max(last, keep.get(first, first))
    breaks, page_starts, used = [], [0], 0.0
    for row in range(sheet.last_row + 1):
        if row in keep and row != page_starts[-1] and keep[row] >= row:
            block = sum(height(r) for r in range(row, keep[row] + 1))
            if used + block > available and block <= available:
                breaks.append(row)
                page_starts.append(row)
                used = 0.0
        if used + height(row) > available and row != page_starts[-1]:
            page_starts.append(row)  # the application breaks here by itself
            used = 0.0
        used += height(row)
    repeat = False
    if header_rows and len(page_starts) > 1:
        table_end = header_rows[1]
        while table_end + 1 in ws.table and ws.table[table_end + 1]:
            table_end += 1
        repeat = any(header_rows[1] < start <= table_end for start in page_starts[1:])
    return PrintLayout(landscape, scale, tuple(breaks), len(page_starts), repeat)


# --------------------------------------------------------------------------- the About sheet


def runtime_steps(runtime: Runtime) -> list[str]:
    """What a user does once so that the add-in's cells calculate in this runtime."""
    if runtime.name == "lite":
        return [
            "1. Install xlwings Lite once (Home > Add-ins > search 'xlwings Lite' > Add), open this workbook and open the xlwings Lite task pane.",
            "2. Run `python -m addin lite-bundle OUTDIR` (or ask for its output) and paste OUTDIR/main.py and OUTDIR/requirements.txt into the Lite editor's main.py and requirements.txt tabs; then save the workbook: Lite keeps the code inside it, so this is needed once per workbook.",
            "3. The green cells calculate as soon as Lite has registered the SQ_/ROQ_ functions. If some still show #NAME?, press Ctrl+H, look in formulas, find '_xldudf_' and replace it with nothing: Excel then re-reads them as plain SQ_.../ROQ_... calls.",
        ]
    return [
        "1. Once per machine: install roq-toolkit into the Python that Excel should use, run `xlwings addin install`, tick File > Options > Trust Center > Trust Center Settings > Macro Settings > 'Trust access to the VBA project object model', and run `python -m addin classic-setup --write` (sets the interpreter and UDF_MODULES = addin.functions).",
        "2. Once per workbook: open this .xlsm and click 'Enable Content' on the yellow security bar (if Excel instead says macros are blocked because the file came from the internet: close it, right-click the file > Properties > tick 'Unblock' > OK, and open it again). Click 'Import Functions' on the xlwings ribbon tab (it writes the VBA wrappers of the SQ_/ROQ_ functions into this workbook), press Ctrl+Alt+F9 and save (Ctrl+S).",
        "3. Nothing else to do: the file is already macro-enabled and its VBA project already references the xlwings add-in (Tools > References > xlwings is ticked). Once saved, it opens ready to calculate on any machine set up as in step 1 (the wrappers travel inside it). A rejected input shows as text starting with 'Error: ' in the cell.",
    ]


def _wrapped_height(text: str, characters_per_line: int = 110) -> int:
    """Row height (points) that shows ``text`` wrapped across the About sheet's four columns."""
    return max(32, 15 * math.ceil(len(text) / characters_per_line) + 4)


def about_sheet(sheet: SheetWriter, title: str, source: str, contents, others) -> None:
    """The first sheet: what the workbook shows, links to the sheets, how to make it calculate."""
    row = sheet.title(title, legend=False)  # the colours are listed at the end of the sheet
    sheet.widths(26, 26, 26, 26)
    # the source (a full citation) wraps across the four columns instead of running off the page
    sheet.ws.merge_range(1, 0, 1, 3, source, sheet.styles.subtitle_wrapped)
    sheet._fit(1, 0, 3, source)
    row = sheet.section(row, "What this workbook shows", width=4)
    for line in contents:
        sheet.note(row, 0, line, last_column=3, height=32)
        row += 1
    row += 1
    row = sheet.section(row, "Sheets", width=4)
    for other in others:
        sheet.link(row, 0, other.name, "A1", other.name)
        row += 1
    row += 1
    row = sheet.section(row, f"This file is for the {sheet.runtime.label}", width=4)
    for line in runtime_steps(sheet.runtime):
        sheet.note(row, 0, line, last_column=3, height=_wrapped_height(line))
        row += 1
    other = RUNTIMES["lite" if sheet.runtime.name == "classic" else "classic"]
    extension = sheet.runtime.extension
    sheet.note(
        row,
        0,
        f"The *-{other.name}{other.extension} file next to this one holds the same workbook for the {other.label}. Without Excel, "
        f"`roq recalc FILE{extension}` recalculates every formula (add-in functions included) into FILE.recalc{extension}.",
        last_column=3,
        height=32,
    )
    row += 1
    if sheet.runtime.macro_enabled:
        credit = xlwings_credit()
        sheet.note(row, 0, credit, italic=True, last_column=3, height=_wrapped_height(credit))
        row += 1
    row += 1
    row = sheet.section(row, "Colours", width=4)
    for role, label in sheet.legend:
        sheet.ws.write_string(row, 0, label, sheet.styles.get(role, "text"))
        row += 1
    sheet.last_row = max(sheet.last_row, row)
    sheet.finish(freeze_row=3, portrait=True)
