"""Build the workbooks an analyst opens on day one: ``python -m workbooks.build``.

Each workbook is written with XlsxWriter from the case-study data and the add-in's
function names, once per xlwings runtime (:data:`workbooks._common.RUNTIMES`):

==============================  ==============================================
file                            open it with
==============================  ==============================================
``*-classic.xlsm``              the classic xlwings add-in (Excel on Windows)
``*-lite.xlsx``                 xlwings Lite (Excel on Windows, macOS, web)
==============================  ==============================================

The classic files are macro-enabled and embed, unchanged, the VBA project of the
installed xlwings package's ``quickstart.xlsm`` (read at build time: its reference to
the xlwings add-in is what the add-in's "Import Functions" needs), with the VBA code
names that project expects (:data:`workbooks._common.XLWINGS_VBA_CODENAMES`).

After writing, every formula is evaluated headlessly (:func:`addin.recalc.recalculate`,
i.e. ``roq recalc``) and the values are stored as the cells' cached values, so the file
shows numbers in any viewer before Excel recalculates. The build is reproducible: fixed
creation date, deterministic zip entries; a test compares the committed files with a fresh
build.

Usage::

    python -m workbooks.build                     # all workbooks, all runtimes, into workbooks/
    python -m workbooks.build --outdir /tmp/wb --only survey-template --runtime lite
    python -m workbooks.build --no-values         # skip the cached values (formulas only)
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import warnings
from pathlib import Path

if __package__ in (None, ""):  # `python workbooks/build.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "workbooks"

import xlsxwriter  # noqa: E402

from workbooks import claims_servqual, loyalty_drivers, roq_case_study, survey_template  # noqa: E402
from workbooks import customer_records  # noqa: E402
from workbooks import survey_to_roq  # noqa: E402
from simulator.errors import RoqInputError  # noqa: E402
from workbooks._common import BUILD_DATE, RUNTIMES, XLWINGS_VBA_CODENAMES, Styles, xlwings_vba_project  # noqa: E402

__all__ = ["WORKBOOKS", "DEFAULT_OUTDIR", "build_workbook", "build_all", "output_name", "main"]

#: Builders by file stem.
WORKBOOKS = {
    roq_case_study.FILE_STEM: roq_case_study,
    claims_servqual.FILE_STEM: claims_servqual,
    survey_template.FILE_STEM: survey_template,
    customer_records.FILE_STEM: customer_records,
    survey_to_roq.FILE_STEM: survey_to_roq,
    loyalty_drivers.FILE_STEM: loyalty_drivers,
}
DEFAULT_OUTDIR = Path(__file__).resolve().parent


def output_name(stem: str, runtime: str) -> str:
    """``roq-case-study`` + ``lite`` -> ``roq-case-study-lite.xlsx``; ``classic`` -> ``...-classic.xlsm``."""
    return f"{stem}-{runtime}{RUNTIMES[runtime].extension}"


def _embed_xlwings_vba_project(workbook) -> None:
    """Make ``workbook`` macro-enabled with xlwings' quickstart VBA project and matching code names.

    Called after the sheets are added: the workbook and its first sheets take the code names
    of the project's document modules, later sheets Excel's defaults ``Sheet3``, ...
    """
    workbook.add_vba_project(io.BytesIO(xlwings_vba_project()), is_stream=True)
    workbook.set_vba_name(XLWINGS_VBA_CODENAMES[0])
    for index, worksheet in enumerate(workbook.worksheets()):
        worksheet.set_vba_name(f"Sheet{index + 1}")  # Sheet1, Sheet2 = the project's modules


def build_workbook(stem: str, runtime: str, path, *, values: bool = True):
    """Write one workbook to ``path``; with ``values``, fill the cached values by recalculating.

    ``path`` must have the runtime's extension (``.xlsm`` for ``classic``, ``.xlsx`` for
    ``lite``), else :class:`~simulator.errors.RoqInputError` names it. Returns the
    :class:`addin.recalc.RecalcResult` (None without ``values``).
    """
    module = WORKBOOKS[stem]
    path = Path(path)
    extension = RUNTIMES[runtime].extension
    if path.suffix.lower() != extension:
        # a VBA project in an .xlsx (or none in an .xlsm) makes Excel refuse the file
        raise RoqInputError("path", f"{path.name}: the {runtime} variant must be saved with the extension {extension}")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, raw = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=extension, dir=path.parent)
    os.close(handle)
    first = raw + ".first" + extension
    try:
        stored = _write_workbook(module, runtime, raw, None)
        if not values:
            os.replace(raw, path)
            return None
        from addin.recalc import recalculate

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # openpyxl on print areas that grow with the data (OFFSET names)
            if stored.blocks:
                # first pass: compute the spilled tables, then store their values for readers without the add-in
                recalculate(raw, first)
                _write_workbook(module, runtime, raw, stored.read(first))
            return recalculate(raw, path)
    finally:
        for temporary in (raw, first):
            if os.path.exists(temporary):
                os.unlink(temporary)


def _write_workbook(module, runtime: str, path, stored_values):
    """Write one workbook with XlsxWriter (formulas, formats, charts; no values); its StoredResults."""
    workbook = xlsxwriter.Workbook(path)
    workbook.set_properties(
        {
            "title": module.TITLE,
            "subject": f"roq-toolkit workbook for the {RUNTIMES[runtime].label}",
            "author": "roq-toolkit",
            "company": "roq-toolkit",
            "comments": "Built by python -m workbooks.build; do not edit by hand, rebuild instead.",
            "created": BUILD_DATE,
        }
    )
    workbook.set_calc_mode("auto")
    # No fullCalcOnLoad: the file carries every formula's value, so a reader without the add-in
    # sees them; Excel still recalculates on open because the file's calcId is older than its engine.
    workbook.calc_on_load = False
    styles = Styles(workbook, stored_values)
    module.build(workbook, styles, RUNTIMES[runtime])
    styles.stored.write(workbook, styles)
    if RUNTIMES[runtime].macro_enabled:
        _embed_xlwings_vba_project(workbook)
    workbook.close()
    return styles.stored


def build_all(outdir=DEFAULT_OUTDIR, *, only=None, runtimes=None, values: bool = True) -> dict:
    """Build every workbook (or ``only`` these stems) for every runtime; {path: result}."""
    outdir = Path(outdir)
    results = {}
    for stem in WORKBOOKS:
        if only and stem not in only:
            continue
        for runtime in runtimes or RUNTIMES:
            path = outdir / output_name(stem, runtime)
            results[path] = build_workbook(stem, runtime, path, values=values)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbooks.build", description="Build roq-toolkit's Excel workbooks (one file per runtime).")
    parser.add_argument("--outdir", default=str(DEFAULT_OUTDIR), help=f"where to write the workbooks (default: {DEFAULT_OUTDIR})")
    parser.add_argument("--only", action="append", choices=sorted(WORKBOOKS), help="build only this workbook (repeatable)")
    parser.add_argument("--runtime", action="append", choices=sorted(RUNTIMES), help="build only this runtime's variant (repeatable)")
    parser.add_argument("--no-values", action="store_true", help="do not store computed values (formulas only; Excel computes on opening)")
    args = parser.parse_args(argv)
    failed = 0
    for path, result in build_all(args.outdir, only=args.only, runtimes=args.runtime, values=not args.no_values).items():
        if result is None:
            print(f"wrote {path}")
            continue
        for failure in result.failures:
            print(f"  {failure}", file=sys.stderr)
        failed += len(result.failures)
        status = "all formulas computed" if result.ok else f"{len(result.failures)} cells failed"
        print(f"wrote {path} ({result.formula_cells} formula cells, {status})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
