"""Reading and checking a policy table (customer records): one row per policy term.

A *policy table* has one row per policy term (an annual policy and each of its renewals
are separate rows). Columns (names are case-insensitive; spaces and hyphens read as
underscores):

==========================  ========  ==================================================
column                      required  meaning
==========================  ========  ==================================================
``policy_id``               yes       unique id of the policy term (duplicates refused)
``customer_id``             yes       the account holding the policy
``line``                    yes       line (class) of business, one of :data:`LINES`
                                      (or the ``lines`` you pass)
``start_date``              yes [1]_  first day of cover (ISO date 2024-01-31, a date
                                      cell, or an Excel serial number from a range)
``end_date``                yes [1]_  day cover ends (exclusive: 2024-01-01 to
                                      2025-01-01 is one year); after ``start_date``
``period``                  no [1]_   underwriting year; default: the start date's year
``premium``                 yes       written premium of the term, >= 0 (currency)
``renewed``                 yes       1/0 (also yes/no, true/false, renewed/lapsed);
                                      blank: not yet known (cover still running)
``claims``                  no        claims incurred on the term, >= 0 (currency)
``risk``                    no        underwriting risk class: low, moderate, high
``unit``                    no        business unit (branch) the account belongs to
``segment``                 no        any customer grouping (corporate, SME, retail...)
``experience``, ``trust``,  no        survey scores of the customer for that period
``effort``,                           (any numeric scale, e.g. 1-5 means); blank =
``complaint_resolution``              not surveyed
==========================  ========  ==================================================

.. [1] Either ``start_date`` and ``end_date``, or ``period`` alone (annual terms
   covering 1 January of the period to 1 January of the next).

Every problem is a :class:`~simulator.errors.RoqInputError` naming the table, the row
and the column: ``"policies.csv: row 17, column start_date: '2024-13-01' is not a
date (use YYYY-MM-DD)"``. Rows are counted as a spreadsheet shows them: the header is
row 1, the first policy row 2. Checks are vectorised, so a million rows validate in
about a second.
"""

from __future__ import annotations

import datetime as _dt
import numbers
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import RoqInputError

__all__ = [
    "LINES",
    "FINANCIAL_LINES",
    "RISK_CLASSES",
    "SCORE_COLUMNS",
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "MAX_ROWS",
    "Portfolio",
    "read_policies",
    "validate_policies",
]

#: Lines (classes) of business known by default: Indonesian general-insurance classes
#: (OJK reporting), with credit and surety bonds the "Financial Lines" of Kurniawan's
#: Integrated Partnership Model study of PT Asuransi LMN.
LINES = (
    "credit",
    "surety_bond",
    "property",
    "motor",
    "marine_cargo",
    "marine_hull",
    "engineering",
    "liability",
    "personal_accident",
    "health",
    "aviation",
    "energy",
    "miscellaneous",
)
#: The Financial Lines (Table 4, stage 1: "customers who have used Financial Lines products").
FINANCIAL_LINES = ("credit", "surety_bond")
#: Risk classes, lowest first ("low to moderate" qualifies for HVC stage 1).
RISK_CLASSES = ("low", "moderate", "high")
#: Survey scores the driver analysis uses by default (Kurniawan's service indicators).
SCORE_COLUMNS = ("experience", "trust", "effort", "complaint_resolution")
REQUIRED_COLUMNS = ("policy_id", "customer_id", "line", "premium", "renewed")
OPTIONAL_COLUMNS = ("start_date", "end_date", "period", "claims", "risk", "unit", "segment") + SCORE_COLUMNS
#: Upper bound on the rows of one table (a bound on memory: about 1 GB at this size).
MAX_ROWS = 20_000_000
#: Earliest and latest dates accepted (a date outside is almost surely a typo).
_FIRST_DATE, _LAST_DATE = pd.Timestamp("1900-01-01"), pd.Timestamp("2200-12-31")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # serial 1 = 1900-01-01 (Excel's 1900 date system)

_TRUE = {"1", "1.0", "yes", "y", "true", "renewed", "renew", "ya"}
_FALSE = {"0", "0.0", "no", "n", "false", "lapsed", "lapse", "tidak"}


class Portfolio:
    """A checked policy table and its customer index (what every records function takes).

    Attributes
    ----------
    policies : pandas.DataFrame
        One row per policy term, canonical columns: ``policy_id``, ``customer_id``,
        ``line``, ``start_date``, ``end_date`` (datetime64), ``period`` (int),
        ``premium``, ``renewed`` (1.0, 0.0 or NaN = not yet known) and whichever
        optional columns were given.
    customer_codes : ndarray of int
        Per row, the customer's index into :attr:`customers` (0..n_customers-1).
    customers : ndarray of str
        Customer ids in order of first appearance.
    source : str
        Name used in messages (the file name, or "policies").
    lines : tuple of str
        The lines of business accepted.
    """

    def __init__(self, policies: pd.DataFrame, source: str, lines):
        self.policies = policies
        self.source = source
        self.lines = tuple(lines)
        codes, uniques = pd.factorize(policies["customer_id"], sort=False)
        self.customer_codes = codes.astype(np.int64)
        self.customers = np.asarray(uniques, dtype=object)

    @property
    def n_customers(self) -> int:
        return len(self.customers)

    @property
    def n_policies(self) -> int:
        return len(self.policies)

    @property
    def periods(self) -> np.ndarray:
        """The underwriting periods present, ascending."""
        from ._arrays import unique_sorted

        return unique_sorted(self.policies["period"].to_numpy())

    @property
    def score_columns(self) -> tuple[str, ...]:
        """The survey-score columns present (in :data:`SCORE_COLUMNS` order, then others)."""
        return tuple(c for c in self.policies.columns if c in SCORE_COLUMNS or c in getattr(self, "_extra_scores", ()))

    def customer_first(self, column: str) -> np.ndarray:
        """Per customer, the value of ``column`` on its earliest policy row."""
        if getattr(self, "_first_rows", None) is None:
            order = np.lexsort((self.policies["start_date"].to_numpy(), self.customer_codes))
            codes = self.customer_codes[order]
            first = np.ones(len(codes), dtype=bool)
            first[1:] = codes[1:] != codes[:-1]
            self._first_rows = np.empty(self.n_customers, dtype=np.int64)
            self._first_rows[codes[first]] = order[first]
        return self.policies[column].to_numpy()[self._first_rows]

    def __repr__(self) -> str:
        return f"Portfolio({self.source}: {self.n_policies} policy terms, {self.n_customers} customers, periods {self.periods.min()}-{self.periods.max()})"


def closest(name: str, candidates) -> str:
    """``" (did you mean 'x'?)"`` for the closest candidate, or ``""`` (the scenario files' rule)."""
    import difflib

    match = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _canonical(name) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _where(source: str, row_index: int, column: str) -> str:
    """``"policies.csv: row 17, column start_date"`` for a 0-based data row index."""
    return f"{source}: row {int(row_index) + 2}, column {column}"


def _show(value) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_blank_value(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _factorized(series: pd.Series):
    """``(codes, uniques)`` of a column: per-row codes into the distinct values (object array).

    Every check below works on the distinct values and maps back through the codes, so a
    million rows with a few thousand distinct dates or lines cost a few thousand checks.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return codes, np.asarray(uniques, dtype=object)


def _first_row(codes: np.ndarray, bad_uniques: np.ndarray) -> int:
    """The first row whose value is one of the bad distinct values (a boolean mask over uniques)."""
    return int(np.flatnonzero(bad_uniques[codes])[0])


def _text_column(frame: pd.DataFrame, column: str, source: str, *, required: bool) -> np.ndarray:
    """A text column as an object array of stripped strings (None where blank)."""
    codes, uniques = _factorized(frame[column])
    if pd.api.types.infer_dtype(uniques, skipna=True) == "string":
        # all text (a CSV): strip and test for blanks in Arrow, not one Python call per value
        try:
            stripped = pd.Series(uniques, dtype="string[pyarrow]").str.strip()
        except ImportError:  # no pyarrow (e.g. a minimal xlwings Lite bundle): pandas' own strings
            stripped = pd.Series(uniques, dtype="string").str.strip()
        blank = (stripped.isna() | stripped.eq("")).to_numpy(dtype=bool)
        clean = stripped.astype(object).to_numpy()
        clean[blank] = None
    else:
        blank = np.fromiter((_is_blank_value(v) for v in uniques), bool, len(uniques))
        # ids typed as numbers (Excel sends 1001 as 1001.0) read as 1001
        clean = np.array([None if b else (str(int(v)) if isinstance(v, float) and v == int(v) else str(v).strip()) for v, b in zip(uniques, blank)],
                         dtype=object)
    if required and blank.any():
        raise RoqInputError(_where(source, _first_row(codes, blank), column), "is blank")
    return clean[codes]


def _numbers(frame: pd.DataFrame, column: str, source: str, *, required: bool, non_negative: bool) -> np.ndarray:
    series = frame[column]
    if series.dtype.kind == "b" or pd.api.types.is_bool_dtype(series.dtype):
        raise RoqInputError(_where(source, 0, column), "must be a number, found TRUE/FALSE")
    if series.dtype.kind in "iuf" or pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
    else:
        codes, uniques = _factorized(series)
        parsed = np.full(len(uniques), np.nan)
        bad = np.zeros(len(uniques), dtype=bool)
        for k, value in enumerate(uniques):
            if _is_blank_value(value):
                continue
            if isinstance(value, (bool, np.bool_)):
                bad[k] = True
            elif isinstance(value, numbers.Real):
                parsed[k] = float(value)
            else:
                try:
                    parsed[k] = float(str(value).strip().replace(",", ""))
                except ValueError:
                    bad[k] = True
        if bad.any():
            first = _first_row(codes, bad)
            raise RoqInputError(_where(source, first, column), f"{_show(series.iloc[first])} is not a number")
        values = parsed[codes]
    blank = np.isnan(values)
    if required and blank.any():
        raise RoqInputError(_where(source, np.flatnonzero(blank)[0], column), "is blank; enter a number")
    if np.isinf(values).any():
        raise RoqInputError(_where(source, np.flatnonzero(np.isinf(values))[0], column), "must be finite")
    if non_negative and (values < 0).any():
        first = np.flatnonzero(values < 0)[0]
        raise RoqInputError(_where(source, first, column), f"must be >= 0 (an amount of money), got {values[first]:g}")
    return values


def _dates(frame: pd.DataFrame, column: str, source: str, *, serials: bool) -> np.ndarray:
    """A date column as datetime64[ns]; blank, unparseable and out-of-range dates name the row."""
    series = frame[column]
    if series.dtype.kind == "M":
        parsed = pd.to_datetime(series)
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        out = parsed.to_numpy(dtype="datetime64[ns]")
        if np.isnat(out).any():
            raise RoqInputError(_where(source, np.flatnonzero(np.isnat(out))[0], column), "is blank; enter a date (YYYY-MM-DD)")
    else:
        codes, uniques = _factorized(series)
        values = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[ns]")
        problem = {}
        for k, value in enumerate(uniques):
            if _is_blank_value(value):
                problem[k] = "is blank; enter a date (YYYY-MM-DD)"
            elif isinstance(value, (_dt.date, pd.Timestamp, np.datetime64)):
                values[k] = pd.Timestamp(value).tz_localize(None).to_datetime64() if getattr(pd.Timestamp(value), "tz", None) else pd.Timestamp(value).to_datetime64()
            elif isinstance(value, numbers.Real) and not isinstance(value, bool):
                if not serials:
                    problem[k] = f"{_show(value)} is a number, not a date (use YYYY-MM-DD)"
                else:
                    values[k] = (_EXCEL_EPOCH + pd.Timedelta(days=int(np.floor(value)))).to_datetime64()
            else:
                text = str(value).strip()
                try:
                    if not re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}([ T].*)?", text):
                        raise ValueError
                    values[k] = pd.Timestamp(text).to_datetime64()
                except (ValueError, OverflowError):
                    problem[k] = f"{_show(value)} is not a date (use YYYY-MM-DD, e.g. 2024-01-31)"
        if problem:
            bad = np.zeros(len(uniques), dtype=bool)
            bad[list(problem)] = True
            first = _first_row(codes, bad)
            raise RoqInputError(_where(source, first, column), problem[int(codes[first])])
        out = values[codes]
    outside = (out < _FIRST_DATE.to_datetime64()) | (out > _LAST_DATE.to_datetime64())
    if outside.any():
        first = np.flatnonzero(outside)[0]
        raise RoqInputError(_where(source, first, column), f"{pd.Timestamp(out[first]).date()} is outside 1900-2200 (a typo in the year?)")
    return out


def _renewed(frame: pd.DataFrame, source: str) -> np.ndarray:
    series = frame["renewed"]
    codes, uniques = _factorized(series)
    parsed = np.full(len(uniques), np.nan)
    bad = np.zeros(len(uniques), dtype=bool)
    for k, value in enumerate(uniques):
        if _is_blank_value(value):
            continue
        if isinstance(value, (bool, np.bool_)):
            parsed[k] = float(value)
        elif isinstance(value, numbers.Real):
            parsed[k] = float(value) if value in (0, 1) else np.nan
            bad[k] = value not in (0, 1)
        else:
            text = str(value).strip().lower()
            if text in _TRUE:
                parsed[k] = 1.0
            elif text in _FALSE:
                parsed[k] = 0.0
            else:
                bad[k] = True
    if bad.any():
        first = _first_row(codes, bad)
        raise RoqInputError(_where(source, first, "renewed"), f"{_show(series.iloc[first])} is not 1 (renewed), 0 (lapsed) or blank (not yet known)")
    return parsed[codes]


def _categories(series: pd.Series, allowed, column: str, source: str, *, required: bool) -> np.ndarray:
    codes, uniques = _factorized(series)
    blank = np.fromiter((_is_blank_value(v) for v in uniques), bool, len(uniques))
    if required and blank.any():
        raise RoqInputError(_where(source, _first_row(codes, blank), column), "is blank")
    canonical = np.array([None if b else re.sub(r"[\s\-/&]+", "_", str(v).strip().lower()) for v, b in zip(uniques, blank)], dtype=object)
    unknown = np.array([c is not None and c not in allowed for c in canonical], dtype=bool)
    if unknown.any():
        first = _first_row(codes, unknown)
        given = series.iloc[first]
        raise RoqInputError(
            _where(source, first, column),
            f"unknown {column} {_show(given)}{closest(str(canonical[codes[first]]), allowed)}; known: {', '.join(allowed)}",
        )
    return canonical[codes]



def validate_policies(table, *, source: str = "policies", lines=None, extra_scores=(), serial_dates: bool = False) -> Portfolio:
    """Check a policy table and return it as a :class:`Portfolio` (canonical columns).

    Parameters
    ----------
    table : pandas.DataFrame, mapping of columns, or list of rows with a header row first
        The policy terms; see the module docstring for the columns.
    source : str
        How messages name the table (the file name; "policies" by default).
    lines : sequence of str, optional
        Lines of business accepted (default :data:`LINES`); anything else is refused
        naming the row, so a misspelt line never becomes a line of its own.
    extra_scores : sequence of str
        Further numeric per-customer indicators to keep (e.g. ``nps``).
    serial_dates : bool
        Accept numbers in the date columns as Excel serial dates (ranges from Excel do
        this; a CSV never does).

    Returns
    -------
    Portfolio

    Raises
    ------
    RoqInputError
        ``"<source>: row R, column C: <problem>"`` for the first bad cell: missing
        column, blank or duplicate policy id, bad or inverted dates, negative premium
        or claims, unknown line or risk class, a renewed flag that is not 1/0/blank.

    Examples
    --------
    >>> p = validate_policies([["policy_id", "customer_id", "line", "period", "premium", "renewed"],
    ...                        ["P1", "C1", "motor", 2023, 1000, 1], ["P2", "C1", "motor", 2024, 1100, None]])
    >>> p.n_customers, p.periods.tolist()
    (1, [2023, 2024])
    """
    frame = _as_frame(table, source)
    if len(frame) == 0:
        raise RoqInputError(source, "has no policy rows (only a header)")
    if len(frame) > MAX_ROWS:
        raise RoqInputError(source, f"has {len(frame):,} rows; at most {MAX_ROWS:,} are analysed at once (split it by period or unit)")
    frame = frame.rename(columns={c: _canonical(c) for c in frame.columns})
    duplicated_columns = frame.columns[frame.columns.duplicated()]
    if len(duplicated_columns):
        raise RoqInputError(f"{source}: column {duplicated_columns[0]}", "appears twice in the header")
    has_dates = "start_date" in frame.columns or "end_date" in frame.columns
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if has_dates:
        missing += [c for c in ("start_date", "end_date") if c not in frame.columns]
    elif "period" not in frame.columns:
        missing.append("start_date and end_date (or period)")
    if missing:
        hint = ""
        others = [c for c in frame.columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        for other in others:
            match = closest(other, [m for m in missing if " " not in m])
            if match:
                hint = f"; column {other!r}{match}"
                break
        raise RoqInputError(source, f"has no column {missing[0]} (header row 1 must name {', '.join(REQUIRED_COLUMNS)} and start_date, end_date or period){hint}")
    lines = LINES if lines is None else tuple(_canonical(line) for line in lines)
    out = {}
    policy_id = _text_column(frame, "policy_id", source, required=True)
    codes, uniques = pd.factorize(policy_id)
    if len(uniques) < len(policy_id):
        order = np.arange(len(codes))
        first_of = np.full(len(uniques), len(codes))
        np.minimum.at(first_of, codes, order)
        second = int(np.flatnonzero(first_of[codes] != order)[0])
        raise RoqInputError(_where(source, second, "policy_id"), f"duplicate id {_show(policy_id[second])} (first on row {first_of[codes[second]] + 2}); each policy term needs its own id")
    out["policy_id"] = policy_id
    out["customer_id"] = _text_column(frame, "customer_id", source, required=True)
    out["line"] = _categories(frame["line"], lines, "line", source, required=True)
    if has_dates:
        start = _dates(frame, "start_date", source, serials=serial_dates)
        end = _dates(frame, "end_date", source, serials=serial_dates)
        inverted = end <= start
        if inverted.any():
            first = np.flatnonzero(inverted)[0]
            raise RoqInputError(_where(source, first, "end_date"), f"{pd.Timestamp(end[first]).date()} is not after start_date {pd.Timestamp(start[first]).date()}")
    if "period" in frame.columns:
        period = _numbers(frame, "period", source, required=True, non_negative=True)
        not_year = (period != np.round(period)) | (period < 1900) | (period > 2200)
        if not_year.any():
            first = np.flatnonzero(not_year)[0]
            raise RoqInputError(_where(source, first, "period"), f"must be a year such as 2024, got {period[first]:g}")
        period = period.astype(np.int64)
        if not has_dates:
            start = pd.to_datetime(pd.Series(period).astype(str) + "-01-01").to_numpy(dtype="datetime64[ns]")
            end = pd.to_datetime(pd.Series(period + 1).astype(str) + "-01-01").to_numpy(dtype="datetime64[ns]")
    else:
        period = pd.DatetimeIndex(start).year.to_numpy().astype(np.int64)
    out["start_date"], out["end_date"], out["period"] = start, end, period
    out["premium"] = _numbers(frame, "premium", source, required=True, non_negative=True)
    out["renewed"] = _renewed(frame, source)
    if "claims" in frame.columns:
        out["claims"] = _numbers(frame, "claims", source, required=False, non_negative=True)
    if "risk" in frame.columns:
        out["risk"] = _categories(frame["risk"], RISK_CLASSES, "risk", source, required=False)
    for column in ("unit", "segment"):
        if column in frame.columns:
            values = _text_column(frame, column, source, required=False)
            values[pd.isna(values)] = "(none)"
            out[column] = values
    extra = tuple(_canonical(c) for c in extra_scores)
    for column in SCORE_COLUMNS + extra:
        if column in frame.columns:
            out[column] = _numbers(frame, column, source, required=False, non_negative=False)
        elif column in extra:
            raise RoqInputError(source, f"has no column {column} (asked for as an extra score)")
    policies = pd.DataFrame(out)
    portfolio = Portfolio(policies, source, lines)
    portfolio._extra_scores = extra
    return portfolio


def _as_frame(table, source: str) -> pd.DataFrame:
    if isinstance(table, Portfolio):
        return table.policies
    if isinstance(table, pd.DataFrame):
        return table.reset_index(drop=True)
    if isinstance(table, dict):
        return pd.DataFrame(table)
    if isinstance(table, (list, tuple)):
        rows = [list(r) for r in table]
        if not rows or not rows[0]:
            raise RoqInputError(source, "is empty: give a header row (policy_id, customer_id, line, ...) and one row per policy term")
        header = rows[0]
        if any(h is None or (isinstance(h, str) and not h.strip()) or isinstance(h, numbers.Number) for h in header):
            blank_at = next(i for i, h in enumerate(header) if h is None or (isinstance(h, str) and not h.strip()) or isinstance(h, numbers.Number))
            raise RoqInputError(f"{source}: row 1, column {blank_at + 1}", "the header row must name every column (policy_id, customer_id, line, ...)")
        width = len(header)
        body = []
        for i, row in enumerate(rows[1:]):
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
                continue  # blank rows at the end of a range
            if len(row) != width:
                raise RoqInputError(f"{source}: row {i + 2}", f"has {len(row)} cells, the header has {width}")
            body.append(row)
        return pd.DataFrame(body, columns=[str(h) for h in header], dtype=object)
    raise RoqInputError(source, f"must be a table (DataFrame, CSV file or range with a header row), got {type(table).__name__}")


def read_policies(path, *, lines=None, extra_scores=()) -> Portfolio:
    """Read and check a policy table from a CSV file (UTF-8, comma-separated, header row).

    Parameters
    ----------
    path : str or Path
        The CSV file. Dates are ISO (YYYY-MM-DD).
    lines, extra_scores
        As in :func:`validate_policies`.

    Returns
    -------
    Portfolio
        Messages name the file by its name: ``"policies.csv: row 17, column ..."``.
    """
    path = Path(path)
    source = path.name
    if not path.exists():
        raise RoqInputError(str(path), "no such file")
    if path.is_dir():
        raise RoqInputError(str(path), "is a directory, not a CSV file")
    try:
        header = pd.read_csv(path, nrows=0, engine="c").columns
    except UnicodeDecodeError:
        raise RoqInputError(str(path), "is not a UTF-8 text (CSV) file") from None
    except pd.errors.EmptyDataError:
        raise RoqInputError(source, "is empty: give a header row (policy_id, customer_id, line, ...) and one row per policy term") from None
    # ids and categories stay text (an id 0012 keeps its zeros); dates and numbers are checked here
    text = [name for name in header if _canonical(name) in ("policy_id", "customer_id", "line", "risk", "unit", "segment", "start_date", "end_date")]
    frame = None
    try:
        # Arrow's multi-threaded reader, columns kept as Arrow arrays (no Python object per cell)
        import pyarrow as pa
        from pyarrow import csv as pa_csv

        table = pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(column_types={name: pa.string() for name in text}))
        frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    except Exception:  # no pyarrow, malformed rows, mixed encodings: the C reader below names the line
        frame = None
    if frame is None:
        try:
            frame = pd.read_csv(path, dtype={name: str for name in text}, keep_default_na=False, na_values=[""], engine="c", low_memory=False)
        except UnicodeDecodeError:
            raise RoqInputError(str(path), "is not a UTF-8 text (CSV) file") from None
        except pd.errors.ParserError as error:
            match = re.search(r"line (\d+)", str(error))
            where = f"{source}: row {match.group(1)}" if match else source
            raise RoqInputError(where, f"is not a well-formed CSV row ({str(error).splitlines()[0]})") from None
    return validate_policies(frame, source=source, lines=lines, extra_scores=extra_scores)
