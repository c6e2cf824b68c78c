"""Cell conversion and error shaping shared by every Excel function (internal).

Every UDF in :mod:`addin` is a few lines: it declares how each argument is read from the
cells and its help text (``@arg("responses", matrix, "Answers, ...")``), calls the engine
and returns the result (``@excel_function``). This module holds the rules, so that they
are the same for every function:

- Ranges become float arrays; blank cells (``None``, ``""``) are missing values (NaN),
  never zeros. Text in a numeric range is an error naming the argument and the cell's
  row and column inside the range.
- Scalar arguments must be one cell. A blank required argument is an error; a blank
  optional argument takes its default. An error value in a cell (``#DIV/0!``) is an
  error, never a blank.
- Results: numbers stay scalars; tables (DataFrames, result objects with ``to_frame()``,
  lists of rows) spill with a header row. A value that is missing or not defined inside
  a table (NaN, e.g. a blank answer of a transformed matrix or the Beta of the constant)
  is a blank cell, so Excel's AVERAGE, SUM and COUNT skip it as they skip blanks.
- Errors: :class:`simulator.RoqInputError` (and any other failure) becomes a short
  message, never a traceback. How the user sees it depends on the runtime, see
  :func:`runtime`: the classic add-in writes the text ``"Error: <argument>: <problem>"``
  into the cell (it would otherwise write the whole traceback); xlwings Lite and xlwings
  Server raise an ``xlwings.XlwingsError`` carrying that text, so the cell shows
  ``#VALUE!`` with the message on hover. The type matters on Server: its exception
  handler (``xlwings_server/main.py``) answers an ``XlwingsError`` with HTTP 400 and the
  plain message, which the Office.js client shows without retrying; any other exception
  is HTTP 500, which the client retries (three calls) and, in the server's default
  ``prod`` environment, shows as "An error occurred." with a traceback in the log. Lite
  (``wasm_runtime.custom_functions_call``) shows ``str(exception)`` of any type, so the
  same exception serves both.
- Speed: on Lite and Server, range arguments are declared with xlwings' ``raw``
  converter and read here in bulk (one type scan, one ``numpy`` conversion for an
  all-numeric range). xlwings 0.37.8's default conversion calls ``utils.is_jsnull`` per
  cell, which retries a failing ``from pyodide.ffi import JsNull`` every time outside
  Pyodide (about 150 us a cell: 45 s for 10,000 x 30 cells on Server).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import logging
import math
import numbers
import os
import sys
from typing import Callable

import numpy as np

from simulator._validate import bounded_count, closest, compact, date_hint
from simulator.errors import RoqInputError

__all__ = [
    "CLASSIC_ERROR_PREFIX",
    "RUNTIME_OVERRIDE_VARIABLE",
    "runtime",
    "excel_function",
    "arg",
    "numbers_block",
    "matrix",
    "means_or_answers",
    "boolean",
    "vector",
    "number",
    "integer",
    "text",
    "choice",
    "labels",
    "parameter_table",
    "table",
    "key_values",
    "rate",
    "share",
    "count",
    "model_parameters",
    "UNITS_RULE",
]

#: Prefix of the error text the classic add-in writes into a cell.
CLASSIC_ERROR_PREFIX = "Error: "
#: Environment variable that forces the error style ("classic", "lite", "server" or
#: "python"); used by the tests to check the classic add-in's text errors on Linux.
RUNTIME_OVERRIDE_VARIABLE = "ROQ_ADDIN_RUNTIME"
_RUNTIMES = ("classic", "lite", "server", "python")
#: Longest message an unexpected failure shows (its first line, cut with "...").
MAX_FAILURE_MESSAGE = 200

_log = logging.getLogger(__name__)

try:  # Pyodide >= 0.28 (xlwings Lite) passes a blank cell of a range as JsNull, not None
    from pyodide.ffi import JsNull as _JsNull
except ImportError:  # not in Pyodide: no such cells
    _JsNull = None


def runtime() -> str:
    """Which xlwings runtime is calling: "classic", "lite", "server" or "python".

    Decided the way xlwings itself decides which decorators ``xw.func`` is
    (``xlwings/__init__.py``): ``XLWINGS_ON_SERVER=true`` selects the Office.js
    dispatcher used by xlwings Server and by xlwings Lite (Lite runs in Pyodide, i.e.
    ``sys.platform == "emscripten"``); on Windows with pywin32, ``xw.func`` is
    ``xlwings.udfs.xlfunc``, the classic COM add-in. Anything else is plain Python
    (functions called directly, e.g. in a notebook).
    """
    forced = os.environ.get(RUNTIME_OVERRIDE_VARIABLE, "").strip().lower()
    if forced in _RUNTIMES:
        return forced
    if sys.platform == "emscripten":
        return "lite"
    if os.environ.get("XLWINGS_ON_SERVER") == "true":
        return "server"
    xlwings = sys.modules.get("xlwings")
    if getattr(getattr(xlwings, "func", None), "__module__", "") == "xlwings.udfs":
        return "classic"
    return "python"


# --------------------------------------------------------------------------- reading cells


def _is_blank(cell) -> bool:
    if cell is None:
        return True
    if _JsNull is not None and isinstance(cell, _JsNull):
        return True
    if isinstance(cell, float) and math.isnan(cell):
        return True
    return isinstance(cell, str) and cell.strip() == ""


#: Excel's error values, as xlwings passes them with ``err_to_str=True``.
EXCEL_ERRORS = frozenset(
    ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!",
     "#FIELD!", "#BLOCKED!", "#CONNECT!", "#UNKNOWN!", "#BUSY!")
)


def _is_error(cell) -> bool:
    if isinstance(cell, dict):  # an Office.js error object that was not turned into text
        return cell.get("type") == "Error"
    return isinstance(cell, str) and cell.strip().upper() in EXCEL_ERRORS


def _error_text(cell) -> str:
    if isinstance(cell, dict):
        return str(cell.get("basicValue") or cell.get("errorType") or "#VALUE!")
    return cell.strip().upper()


def _quote(cell) -> str:
    text = repr(cell) if isinstance(cell, str) else compact(cell) if isinstance(cell, numbers.Real) else str(cell)
    return text if len(text) <= 30 else text[:27] + "..."


def _plain_cell(cell):
    """A cell as xlwings' default conversion gives it: Office.js objects unwrapped.

    Range arguments reach Lite and Server raw (see the module docstring): an error cell is
    an object ``{"type": "Error", "basicValue": "#DIV/0!", ...}`` (its text, as
    ``err_to_str=True`` gives), other typed values (``FormattedNumber``) carry their value
    in ``basicValue``, and Pyodide's ``JsNull`` is a blank.
    """
    if isinstance(cell, dict):
        if cell.get("type") == "Error":
            return str(cell.get("basicValue") or cell.get("errorType") or "#VALUE!")
        return cell.get("basicValue")
    if _JsNull is not None and isinstance(cell, _JsNull):
        return None
    return cell


_RAW_CELL_TYPES = (dict,) if _JsNull is None else (dict, _JsNull)


def _cell_types(rows) -> set:
    return set(map(type, itertools.chain.from_iterable(rows)))


def _raw_rows(value, copy: bool = True) -> list[list]:
    """Any cell value (scalar, 1-D list, 2-D list, ndarray) as a list of rows, cells as given."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if not value:
        return [[]]
    if not isinstance(value[0], (list, tuple)):
        return [list(value)]  # a 1-D list is one row (xlwings' convention for a row range)
    if not copy and type(value) is list and all(type(row) is list for row in value):
        return value  # read-only use: rows of a large range are not copied
    return [list(row) for row in value]


def _plain_rows(rows: list[list], kinds: set | None = None) -> list[list]:
    if kinds is None:
        kinds = _cell_types(rows)
    if any(issubclass(kind, _RAW_CELL_TYPES) for kind in kinds):
        return [[_plain_cell(cell) for cell in row] for row in rows]
    return rows


def _rows(value) -> list[list]:
    """Any cell value (scalar, 1-D list, 2-D list, ndarray) as a new list of rows of plain cells."""
    return _plain_rows(_raw_rows(value))


def _cell_to_float(cell, name: str, row: int, column: int, shape) -> float:
    if _is_blank(cell):
        return math.nan
    if isinstance(cell, (bool, np.bool_)):
        raise RoqInputError(name, f"must be numeric, found {cell} {_where(row, column, shape)}")
    if isinstance(cell, numbers.Number):
        number = float(cell)
        if math.isinf(number):
            raise RoqInputError(name, f"must be finite, found {cell} {_where(row, column, shape)}")
        return number
    if _is_error(cell):
        raise RoqInputError(name, f"contains the error {_error_text(cell)} {_where(row, column, shape)}")
    raise RoqInputError(name, f"must be numeric, found text {_quote(cell)} {_where(row, column, shape)}")


def _where(row: int, column: int, shape) -> str:
    rows, columns = shape
    if rows == 1 and columns == 1:
        return "in the cell"
    if columns == 1:
        return f"in row {row + 1} of the range"
    if rows == 1:
        return f"in column {column + 1} of the range"
    return f"in row {row + 1}, column {column + 1} of the range"


_BULK_CELL_TYPES = frozenset((int, float, type(None)))


def _bulk_floats(rows: list[list], name: str, shape) -> np.ndarray | None:
    """All-numeric rows (numbers and blanks only; see :data:`_BULK_CELL_TYPES`) as floats
    in one numpy call, else None."""
    width = shape[1]
    if any(len(row) != width for row in rows):  # a ragged list: pad with blanks
        rows = [row + [None] * (width - len(row)) for row in rows]
    try:
        out = np.array(rows, dtype=float)  # None becomes NaN (a blank is missing, never 0)
    except (OverflowError, TypeError, ValueError):
        return None
    infinite = np.isinf(out)
    if infinite.any():
        i, j = (int(k) for k in np.argwhere(infinite)[0])  # the first one, row by row
        _cell_to_float(rows[i][j], name, i, j, shape)  # raises the usual message
    return out


def _floats_cell_by_cell(rows: list[list], name: str, shape) -> np.ndarray:
    out = np.full(shape, np.nan)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            out[i, j] = _cell_to_float(cell, name, i, j, shape)
    return out


def numbers_block(value, name: str) -> np.ndarray:
    """A range as a 2-D float array (rows x columns); blanks become NaN."""
    rows = _raw_rows(value, copy=False)
    shape = (len(rows), max(len(r) for r in rows))
    kinds = _cell_types(rows)  # one scan decides: bulk for numbers and blanks, else cell by cell
    out = _bulk_floats(rows, name, shape) if kinds <= _BULK_CELL_TYPES else None
    if out is None:
        out = _floats_cell_by_cell(_plain_rows(rows, kinds), name, shape)
    if np.isnan(out).all():
        raise RoqInputError(name, "is empty (every cell is blank)")
    return out


def means_or_answers(value, name: str) -> np.ndarray:
    """Item means (one row or one column -> 1-D) or raw answers (a block -> respondents x items)."""
    block = numbers_block(value, name)
    if block.shape[0] == 1 or block.shape[1] == 1:
        return block.reshape(-1)
    return block


def matrix(value, name: str) -> np.ndarray:
    """A block of answers or scores: rows x columns float array, blanks = NaN."""
    return numbers_block(value, name)


def vector(value, name: str) -> np.ndarray:
    """One row or one column of numbers as a 1-D float array, blanks = NaN."""
    block = numbers_block(value, name)
    if block.shape[0] > 1 and block.shape[1] > 1:
        raise RoqInputError(name, f"must be a single row or column, got {block.shape[0]} rows x {block.shape[1]} columns")
    return block.reshape(-1)


def _single(value, name: str):
    rows = _rows(value)
    cells = [cell for row in rows for cell in row]
    if len(cells) != 1:
        raise RoqInputError(name, f"must be a single cell, got a range of {len(cells)} cells")
    return cells[0]


def number(value, name: str) -> float:
    """One numeric cell."""
    cell = _single(value, name)
    if _is_blank(cell):
        raise RoqInputError(name, "is blank; enter a number")
    return _cell_to_float(cell, name, 0, 0, (1, 1))


def integer(value, name: str) -> int:
    """One cell holding a whole number."""
    result = number(value, name)
    if result != math.floor(result):
        raise RoqInputError(name, f"must be a whole number, got {result:g}")
    return int(result)


def boolean(value, name: str) -> bool:
    """One cell holding TRUE/FALSE (also 1/0 or the text true/false, yes/no)."""
    cell = _single(value, name)
    if _is_error(cell):
        raise RoqInputError(name, f"contains the error {_error_text(cell)}")
    if isinstance(cell, (bool, np.bool_)):
        return bool(cell)
    if isinstance(cell, numbers.Number) and float(cell) in (0.0, 1.0):
        return bool(cell)
    if isinstance(cell, str) and cell.strip().lower() in ("true", "false", "yes", "no"):
        return cell.strip().lower() in ("true", "yes")
    raise RoqInputError(name, f"must be TRUE or FALSE, got {_quote(cell)}")


def text(value, name: str) -> str:
    """One cell of text (numbers are accepted and turned into text)."""
    cell = _single(value, name)
    if _is_blank(cell):
        raise RoqInputError(name, "is blank; enter a text value")
    if _is_error(cell):
        raise RoqInputError(name, f"contains the error {_error_text(cell)}")
    if isinstance(cell, numbers.Real) and not isinstance(cell, bool):
        return compact(cell)  # 5.0 -> "5", 1e15 -> "1e+15" (never a 16-digit text)
    return str(cell).strip()


def choice(*options: str) -> Callable:
    """A converter accepting one of ``options`` (case-insensitive; spaces or hyphens as underscores)."""

    def convert(value, name: str) -> str:
        given = text(value, name)
        key = given.lower().replace(" ", "_").replace("-", "_")
        for option in options:
            if key == option.lower():
                return option
        listed = ", ".join(options)
        if len(listed) > 100:  # a long list would drown the message: the closest one and a pointer
            listed = ", ".join(options[:4]) + f", ... ({len(options)} options, see the argument's help)"
        raise RoqInputError(name, f"must be one of {listed}; got {_quote(given)}{closest(key, options)}")

    convert.options = options
    return convert


def labels(value, name: str) -> list[str]:
    """One row or column of labels as strings (blank cells become "")."""
    rows = _rows(value)
    if len(rows) > 1 and max(len(r) for r in rows) > 1:
        raise RoqInputError(name, "must be a single row or column of labels")
    out = []
    for row in rows:
        for cell in row:
            if _is_blank(cell):
                out.append("")
            elif _is_error(cell):
                raise RoqInputError(name, f"contains the error {_error_text(cell)}")
            elif isinstance(cell, numbers.Real) and not isinstance(cell, bool):
                out.append(compact(cell))
            else:
                out.append(str(cell).strip())
    return out


_HEADER_NAMES = {"input", "inputs", "name", "names", "parameter", "parameters"}


def parameter_table(value, name: str) -> dict:
    """A two-or-more-column block of named model inputs: name | value [| value ...].

    The first column holds input names (case-insensitive; spaces become underscores, so
    "Discount rate" reads as ``discount_rate``); the cells to the right hold one value, or
    one value per year for ``*_path`` inputs. Trailing blank cells of a row are ignored
    (rows of a block may differ in length); rows with a blank name are skipped, and so is
    a header row whose first cell is "Input", "Name" or "Parameter". Inputs named
    ``*_convention`` hold text (``satisfied_share_convention``); all others numbers.
    """
    rows = _rows(value)
    out: dict = {}
    for i, row in enumerate(rows):
        if not row or _is_blank(row[0]):
            continue
        key = str(row[0]).strip().lower().replace(" ", "_").replace("-", "_")
        if i == 0 and key in _HEADER_NAMES:
            continue
        cells = list(row[1:])
        while cells and _is_blank(cells[-1]):
            cells.pop()
        if not cells:
            raise RoqInputError(name, f"row {i + 1} ({key}) has no value")
        if key in out:
            raise RoqInputError(name, f"row {i + 1}: {key} is given twice")
        if key.endswith("_convention"):  # the only inputs that are text (satisfied_share_convention)
            out[key] = text(cells, f"{name}: row {i + 1} ({key})").lower().replace(" ", "_").replace("-", "_")
            continue
        shape = (len(rows), max(len(r) for r in rows))
        values = [_cell_to_float(cell, name, i, j + 1, shape) for j, cell in enumerate(cells)]
        if any(math.isnan(v) for v in values):
            raise RoqInputError(name, f"row {i + 1} ({key}) has a blank cell between values")
        out[key] = np.asarray(values) if key.endswith("_path") else (values[0] if len(values) == 1 else np.asarray(values))
    if not out:
        raise RoqInputError(name, "is empty: give input names in the first column and values to their right")
    return out


# --------------------------------------------------------------------------- writing cells


def _cell_out(value):
    """One Python value as a cell: numbers as float; None, NaN and infinities as a blank."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return "" if math.isnan(number) or math.isinf(number) else number
    return str(value)


def table(header, rows) -> list[list]:
    """A spilled table: the header row, then one row per record."""
    out = [[str(h) for h in header]]
    out += [[_cell_out(v) for v in row] for row in rows]
    return out


def key_values(pairs, header=("Statistic", "Value")) -> list[list]:
    """A two-column table from (label, value) pairs or a dict."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return table(header, [[k, v] for k, v in items])


def _frame_to_table(frame) -> list[list]:
    import pandas as pd  # pandas is imported lazily: only tables need it

    if not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None:
        frame = frame.reset_index()
    return table([str(c) for c in frame.columns], frame.itertuples(index=False, name=None))


def to_cells(result):
    """Shape a UDF's return value for Excel (see the module docstring)."""
    if hasattr(result, "to_frame") and not _is_pandas(result):
        result = result.to_frame()
    if _is_pandas(result):
        import pandas as pd

        if isinstance(result, pd.Series):
            result = result.to_frame()
        return _frame_to_table(result)
    if isinstance(result, np.ndarray):
        if result.ndim == 0:
            return _cell_out(result.item())
        result = result.tolist()
    if isinstance(result, (list, tuple)):
        rows = _rows(result)
        return [[_cell_out(v) for v in row] for row in rows]
    return _cell_out(result)


def _is_pandas(value) -> bool:
    module = type(value).__module__
    return module.startswith("pandas") and type(value).__name__ in ("DataFrame", "Series")


# --------------------------------------------------------------------------- the decorator


class ExcelFunctionError(Exception):
    """An unexpected failure inside an Excel function, shortened to one line."""


@functools.cache
def _office_js_errors() -> tuple[type, type]:
    """The two exceptions Lite and Server show as their plain message (``XlwingsError``)."""
    from xlwings import XlwingsError  # imported late: only Lite and Server get here

    class ExcelInputError(RoqInputError, XlwingsError):
        """Bad input, as xlwings Server answers it: HTTP 400 with ``argument: problem``."""

    class ExcelFunctionFailure(ExcelFunctionError, XlwingsError):
        """An unexpected failure, as xlwings Server answers it: HTTP 400 with one line."""

    return ExcelInputError, ExcelFunctionFailure


def _short(message: str) -> str:
    lines = str(message).strip().splitlines() or [""]
    line = lines[0].strip()
    return line if len(line) <= MAX_FAILURE_MESSAGE else line[: MAX_FAILURE_MESSAGE - 3].rstrip() + "..."


def _failure_site(error: Exception) -> str:
    """``file:line`` of the innermost frame of ``error`` (for the one-line log entry)."""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    if trace is None:
        return "unknown"
    return f"{os.path.basename(trace.tb_frame.f_code.co_filename)}:{trace.tb_lineno}"


def _failure(message: str, error: Exception):
    """Report a failure the way the calling runtime shows it (see the module docstring)."""
    where = runtime()
    if where == "classic":
        return CLASSIC_ERROR_PREFIX + message
    if where in ("lite", "server"):
        input_error, function_failure = _office_js_errors()
        if isinstance(error, RoqInputError):
            raise input_error(error.argument, error.problem) from None
        # the cell shows the one line; the log says where it happened, without a traceback
        _log.warning("%s (at %s)", message, _failure_site(error))
        raise function_failure(message) from None
    if isinstance(error, RoqInputError):
        raise RoqInputError(error.argument, error.problem) from None
    raise ExcelFunctionError(message) from error


_RANGE_CONVERTERS = set()


def range_converter(function: Callable) -> Callable:
    """Mark a converter that reads a range (xlwings must keep it 2-D: ``ndim=2``)."""
    _RANGE_CONVERTERS.add(function)
    return function


for _converter in (numbers_block, means_or_answers, matrix, vector, labels, parameter_table):
    range_converter(_converter)


def is_range_converter(convert: Callable) -> bool:
    return convert in _RANGE_CONVERTERS


def arg(name: str, convert: Callable | None, doc: str) -> Callable:
    """Declare one argument: how to read it from the cells and its help text.

    ``convert(value, name)`` is one of this module's converters (``matrix``, ``vector``,
    ``number``, ``integer``, ``text``, ``choice(...)``, ``labels``, ``parameter_table``)
    or None to pass the value as xlwings delivers it. ``doc`` is the description Excel's
    function wizard shows (xlwings' ``doc=``). Range arguments keep their orientation in
    every runtime: the classic add-in reads them with ``ndim=2``; Lite and Server pass them
    ``raw`` (Office.js always sends a range as rows of cells) and the converter reads them
    in bulk. Apply between ``@xw.func`` and :func:`excel_function`.
    """
    import xlwings as xw  # the runtime's own decorators (classic, Lite/Server, or no-op)

    def decorate(function: Callable) -> Callable:
        if not getattr(function, "__roq_excel_function__", False):
            raise TypeError(f"{function.__name__}: put @arg above @excel_function")
        if name not in function.signature.parameters:
            raise TypeError(f"{function.__name__}: no argument named {name!r}")
        if convert is not None:
            function.converters[name] = convert
        function.argument_docs[name] = doc
        # err_to_str: an error cell arrives as its text ("#DIV/0!") instead of None, which
        # xlwings would otherwise pass on as if the cell were blank
        options = {"err_to_str": True}
        if convert is not None and is_range_converter(convert):
            if getattr(xw.func, "__module__", "") == "xlwings.pro.udfs_officejs":
                # Lite and Server: the cells as Office.js sent them, read in bulk by the
                # converter (_rows, numbers_block), not cell by cell by xlwings
                return xw.arg(name, "raw", doc=doc)(function)
            options["ndim"] = 2
        return xw.arg(name, doc=doc, **options)(function)

    return decorate


def excel_function(function: Callable) -> Callable:
    """Make ``function`` an Excel function body: read cells, shape results, shorten errors.

    The arguments are converted by the converters that :func:`arg` declares (arguments
    without one are passed as xlwings delivers them). A blank optional argument gets its
    Python default; a blank required argument is an error naming it. The result goes
    through :func:`to_cells`; any exception becomes a short message shown the way the
    runtime shows errors (see :func:`runtime`). Apply closest to the function, below
    ``@xw.func`` and ``@arg``: xlwings reads the signature through ``functools.wraps``.
    """
    signature = inspect.signature(function)
    converters: dict[str, Callable] = {}

    @functools.wraps(function)
    def wrapper(*args):
        try:
            if len(args) > len(signature.parameters):
                raise RoqInputError(function.__name__, f"takes at most {len(signature.parameters)} arguments, got {len(args)}")
            # an argument Excel did not send is blank (then its default, or an error naming it)
            bound = signature.bind(*args, *([None] * (len(signature.parameters) - len(args))))
            for name, value in bound.arguments.items():
                parameter = signature.parameters[name]
                if _all_blank(value):
                    if parameter.default is inspect.Parameter.empty:
                        raise RoqInputError(name, "is required but blank")
                    bound.arguments[name] = parameter.default
                    continue
                convert = converters.get(name)
                if convert is not None:
                    bound.arguments[name] = convert(value, name)
            result = function(*bound.args)
            if isinstance(result, numbers.Real) and not math.isfinite(result):
                # a blank cell would pass for "nothing to show"; say why there is no number
                raise RoqInputError(function.__name__, "has no defined value for this input (the result is not a finite number)")
            return to_cells(result)
        except RoqInputError as error:
            return _failure(str(error), error)
        except Exception as error:  # never a traceback in a cell
            return _failure(_short(f"{function.__name__} failed: {type(error).__name__}: {error}"), error)

    wrapper.signature = signature
    wrapper.converters = converters
    wrapper.argument_docs = {}
    wrapper.__roq_excel_function__ = True  # how addin.functions finds the Excel functions
    return wrapper


def _all_blank(value) -> bool:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return all(map(_all_blank, value))  # stops at the first filled cell
    return _is_blank(value)


# --------------------------------------------------------------------------- units and sizes

#: The one rule for units, stated once (docs/functions.md prints it).
UNITS_RULE = (
    "Rates, shares and probabilities are fractions, which is what a percent-formatted cell holds "
    "(20% is 0.2). Indices and weights the papers print in percent (CSI, conformity, WF, weight points) "
    "are percent points 0..100 (a CSI of 79.55 means 79.55%). A value that is almost surely the other "
    "unit is refused with the likely intent: a discount rate of 20 ('did you mean 20%?'), a share of "
    "48.81, a CSI band given 0.7955 ('did you mean 79.55?')."
)
#: Largest rate (per year) accepted from a cell: above 100% a year is read as a unit slip.
MAX_RATE = 1.0


def _rate_slip(value: float, name: str) -> None:
    if value > MAX_RATE:  # below -100% the engine's domain check says "must be > -1"
        raise RoqInputError(
            name, f"{compact(value)} is {compact(value * 100)}% a year; rates are fractions: did you mean {compact(value)}% ({compact(value / 100)})?"
        )


def rate(value, name: str) -> float:
    """One cell holding a rate per year as a fraction (20% is 0.2); above 100% is refused as a unit slip."""
    result = number(value, name)
    _rate_slip(result, name)
    return result


def share(value, name: str) -> float:
    """One cell holding a share as a fraction 0..1 (34.61% is 0.3461); 34.61 is refused with the likely intent."""
    result = number(value, name)
    if 1.0 < result <= 100.0:
        raise RoqInputError(name, f"{compact(result)} is not a share 0..1; shares are fractions: did you mean {compact(result)}% ({compact(result / 100)})?")
    return result


def count(low: int, high: int, unit: str, why: str = "") -> Callable:
    """A converter for a size-like cell (years, samples, steps): a whole number in ``low..high``."""

    def convert(value, name: str) -> int:
        return bounded_count(number(value, name), name, low, high, unit, why=why)

    convert.bounds = (low, high, unit)
    return convert


#: Scenario sections that are not model inputs (a scenario table given where a parameter table is expected).
_SCENARIO_SECTIONS = ("uncertain.", "run.", "scenario.", "outputs.", "correlation.")


def _normal_key(cell) -> str:
    return str(cell).strip().lower().replace(" ", "_").replace("-", "_")


@range_converter
def model_parameters(value, name: str) -> dict:
    """A parameter table of model inputs (see :func:`parameter_table`), in any of the forms the add-in spills.

    Accepts ``ROQ_CASESTUDY_PARAMETERS``' table (header ``Input | Value (year 1) | ...``)
    and a scenario table (``ROQ_SCENARIO_TEMPLATE``): its ``model.*`` rows are the model's
    inputs (the base case); its ``uncertain.*``, ``run.*`` and ``scenario.*`` rows describe
    a Monte Carlo run and are not used by a deterministic function. Each name is checked
    (an unknown one gets the closest known name), and a rate per year above 100% is
    refused as a unit slip.
    """
    from simulator.roq import MODEL_INPUTS

    known = set(MODEL_INPUTS) | {"satisfied_share_convention"}
    rows = []
    for i, row in enumerate(_rows(value)):
        if not row or _is_blank(row[0]):
            rows.append([None])
            continue
        if _is_error(row[0]):
            raise RoqInputError(name, f"row {i + 1} holds the error {_error_text(row[0])} instead of a name")
        key = _normal_key(row[0])
        if i == 0 and key in _HEADER_NAMES | {"key", "keys"}:
            rows.append([None])
            continue
        if key.startswith("model."):
            key = key[len("model."):]
        elif key.startswith(_SCENARIO_SECTIONS):
            rows.append([None])
            continue
        if key not in known:
            shown = _quote(row[0].strip() if isinstance(row[0], str) else row[0])
            raise RoqInputError(name, f"row {i + 1}: {shown} is not a model input{closest(key, known)}; all inputs: ROQ_MODEL_INPUTS()")
        rows.append([key, *row[1:]])
    out = parameter_table(rows, name)
    for key, values in out.items():
        spec = MODEL_INPUTS.get(key)
        if spec is not None and spec.unit.startswith("fraction") and spec.high is None:
            for v in np.atleast_1d(values):
                _rate_slip(float(v), f"{name}: {key}")
    return out
