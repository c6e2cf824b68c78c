"""Writing result tables: CSV files and a summary workbook, each replaced atomically.

A file is first written completely to a temporary file in the target directory and then
moved over the old one with :func:`os.replace`, so an existing file is never left half
written (an interrupted run leaves the previous version in place).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Mapping

from .._files import atomic_write, prepare_directory
from ..errors import RoqInputError

__all__ = ["prepare_directory", "write_csv", "write_workbook", "write_tables"]


def write_csv(frame, path: str | Path) -> Path:
    """Write a DataFrame as CSV (no index unless it is named), atomically."""
    target = Path(path)
    keep_index = any(name is not None for name in frame.index.names)
    return atomic_write(target, lambda tmp: frame.to_csv(tmp, index=keep_index))


def write_workbook(sheets: Mapping[str, object], path: str | Path, *, title: str = "") -> Path:
    """Write DataFrames to an .xlsx workbook, one sheet each, as Excel tables (no charts).

    Each sheet holds one table with a header row and autofilter (``add_table``), columns
    sized to their content; a ``title`` (if given) goes in the first sheet's document
    properties.
    """
    import xlsxwriter

    target = Path(path)

    def write(temporary):
        workbook = xlsxwriter.Workbook(temporary, {"nan_inf_to_errors": True})
        if title:
            workbook.set_properties({"title": title})
        used = set()
        for name, frame in sheets.items():
            sheet_name = _sheet_name(name, used)
            sheet = workbook.add_worksheet(sheet_name)
            frame = frame.reset_index() if any(n is not None for n in frame.index.names) else frame
            columns = [str(c) for c in frame.columns]
            rows = [[_cell(v) for v in record] for record in frame.itertuples(index=False, name=None)]
            if rows:
                sheet.add_table(0, 0, len(rows), len(columns) - 1, {
                    "data": rows,
                    "columns": [{"header": c} for c in columns],
                    "name": _table_name(sheet_name),
                    "style": "Table Style Light 9",
                })
            else:
                for j, c in enumerate(columns):
                    sheet.write(0, j, c)
            for j, c in enumerate(columns):
                width = max([len(c)] + [len(_shown(r[j])) for r in rows[:200]])
                sheet.set_column(j, j, min(max(width + 2, 8), 60))
            sheet.freeze_panes(1, 0)
        workbook.close()

    return atomic_write(target, write)


def write_tables(directory: str | Path, tables: Mapping[str, object], workbook: str | None = None, *, title: str = "") -> list[Path]:
    """Write each table to ``<directory>/<name>.csv`` and, if ``workbook`` is given, all of
    them to ``<directory>/<workbook>`` (one sheet per table). Returns the paths written.

    Without the optional XlsxWriter package the CSV files are still written and a note on
    stderr says the workbook was skipped.
    """
    directory = prepare_directory(directory)
    written = [write_csv(frame, directory / f"{name}.csv") for name, frame in tables.items()]
    if workbook:
        try:
            import xlsxwriter  # noqa: F401
        except ImportError:
            print(f"roq: note: {workbook} not written: it needs the XlsxWriter package (pip install XlsxWriter)", file=sys.stderr)
            return written
        written.append(write_workbook({name.replace("_", " ").title(): frame for name, frame in tables.items()}, directory / workbook, title=title))
    return written


def _sheet_name(name: str, used: set) -> str:
    clean = "".join(ch for ch in str(name) if ch not in "[]:*?/\\")[:31] or "Sheet"
    candidate, k = clean, 2
    while candidate.lower() in used:
        candidate = f"{clean[:28]} {k}"
        k += 1
    used.add(candidate.lower())
    return candidate


def _table_name(sheet_name: str) -> str:
    name = "".join(ch if ch.isalnum() else "_" for ch in sheet_name)
    return ("T_" + name)[:250]


def _cell(value):
    import numpy as np

    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return "" if value != value else float(value)  # NaN -> blank cell, not #NUM!
    if value is None:
        return ""
    return value


def _shown(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
