"""Call the add-in's Excel functions exactly as Excel does, through xlwings' own dispatcher.

xlwings Lite and xlwings Server run a custom function by handing the JSON payload the
Office.js client sends to ``xlwings.server.custom_functions_call``; this helper builds that
payload (arguments as 2-D lists of cell values, blanks as None, whole numbers as int, an
omitted optional argument as None) and runs the call. Every add-in test goes through it,
and every add-in test imports xlwings only through this module.

xlwings only registers functions (``xw.func``) on Linux when ``XLWINGS_ON_SERVER=true`` is
set before it is first imported; the non-commercial licence key covers running these
tests (the shipped add-in does not depend on it). Both are set here, in the test process.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys

if "xlwings" in sys.modules and os.environ.get("XLWINGS_ON_SERVER") != "true":
    raise RuntimeError(
        "xlwings was imported before tests/excel_dispatch.py could set XLWINGS_ON_SERVER=true; "
        "set XLWINGS_ON_SERVER=true and XLWINGS_LICENSE_KEY=noncommercial at the top of tests/conftest.py"
    )
os.environ["XLWINGS_LICENSE_KEY"] = os.environ.get("XLWINGS_LICENSE_KEY") or "noncommercial"
os.environ["XLWINGS_ON_SERVER"] = "true"

import numpy as np  # noqa: E402
import xlwings  # noqa: E402
import xlwings.server  # noqa: E402

from addin import functions as udf_module  # noqa: E402

if not hasattr(udf_module.ROQ_VALUE, "__xlfunc__"):
    raise RuntimeError("addin.functions was imported before XLWINGS_ON_SERVER=true was set: its functions are not registered")

__all__ = ["call", "payload", "column", "row", "block", "cell", "metadata", "udf_module", "xlwings", "BLANK"]

#: A blank cell.
BLANK = None


def cell(value):
    """One cell value as Office.js sends it: None/NaN -> None, whole floats -> int."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return None
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return value


def block(values) -> list[list]:
    """A rectangular range (rows of cells) as a 2-D list."""
    array = values.tolist() if isinstance(values, np.ndarray) else values
    return [[cell(v) for v in r] for r in array]


def column(values) -> list[list]:
    """A one-column range."""
    values = values.tolist() if isinstance(values, np.ndarray) else list(values)
    return [[cell(v)] for v in values]


def row(values) -> list[list]:
    """A one-row range."""
    values = values.tolist() if isinstance(values, np.ndarray) else list(values)
    return [[cell(v) for v in values]]


def _argument(value):
    if value is None:
        return None  # an omitted optional argument
    if isinstance(value, list) and value and isinstance(value[0], list):
        return value  # already a range
    if isinstance(value, (list, tuple, np.ndarray)):
        raise TypeError("pass ranges through column(), row() or block() so their orientation is explicit")
    return [[cell(value)]]  # a single cell


def payload(func_name: str, *args, runtime: str = "1.4") -> dict:
    """The request body the Office.js client sends for one call (custom-functions-code.js)."""
    return {
        "client": "Office.js",
        "func_name": func_name,
        "args": [_argument(a) for a in args],
        "caller_address": "[Book1.xlsx]Sheet1!B2",
        "session_id": "tests",
        "culture_info_name": "en-US",
        "date_format": "M/d/yyyy",
        "version": xlwings.__version__,
        "runtime": runtime,
    }


def call(func_name: str, *args, runtime: str = "1.4"):
    """Run one Excel function call through xlwings' dispatcher and return the cell values.

    Scalar results come back as ``[[value]]``, spilled tables as a list of rows; Lite /
    Server errors propagate as the exception the cell would show on hover.
    """
    return asyncio.run(xlwings.server.custom_functions_call(payload(func_name, *args, runtime=runtime), udf_module))


def scalar(func_name: str, *args):
    """A call whose result is one cell; returns that cell's value."""
    result = call(func_name, *args)
    assert len(result) == 1 and len(result[0]) == 1, f"{func_name} spilled {len(result)}x{len(result[0])} cells"
    return result[0][0]


def metadata() -> dict:
    """The custom-functions metadata xlwings Lite / Server register with Excel."""
    return xlwings.server.custom_functions_meta(udf_module)
