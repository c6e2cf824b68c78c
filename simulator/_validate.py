"""Input checks shared by the engine's modules (internal).

Each helper converts user input to a float ndarray and raises :class:`RoqInputError`
naming the argument on anything it cannot accept: non-numeric cells, wrong shapes,
values outside a domain. Missing values (None, NaN, empty string) are kept as NaN where
the caller allows them; they are never turned into zeros.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import RoqInputError


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def as_float_array(value, name: str, *, allow_missing: bool = False, ndim: int | None = None) -> np.ndarray:
    """Convert ``value`` to a float ndarray; None/'' become NaN only if ``allow_missing``."""
    if value is None:
        raise RoqInputError(name, "is required, got nothing")
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        array = value.astype(float, copy=False)
    else:
        try:
            import pandas as pd

            if isinstance(value, (pd.DataFrame, pd.Series)):
                value = value.to_numpy(dtype=object)
        except ImportError:  # pragma: no cover - pandas is a dependency
            pass
        if isinstance(value, (bool, np.bool_)):
            raise RoqInputError(name, f"must be a number, got {value!r}")
        if isinstance(value, numbers.Number):
            array = np.asarray(float(value))
        else:
            raw = np.asarray(value, dtype=object)
            flat = raw.reshape(-1)
            out = np.empty(flat.shape, dtype=float)
            for position, cell in enumerate(flat):
                if cell is None or (isinstance(cell, str) and cell.strip() == ""):
                    out[position] = np.nan
                elif isinstance(cell, (bool, np.bool_)):
                    raise RoqInputError(name, f"must be numeric, found {cell!r} at position {_position(raw.shape, position)}")
                elif isinstance(cell, numbers.Number):
                    out[position] = float(cell)
                else:
                    raise RoqInputError(name, f"must be numeric, found text {_describe(cell)} at position {_position(raw.shape, position)}")
            array = out.reshape(raw.shape)
    if ndim is not None and array.ndim != ndim:
        if ndim == 2 and array.ndim == 1:
            array = array[:, None]
        elif ndim == 1 and array.ndim == 2 and 1 in array.shape:
            array = array.reshape(-1)
        elif ndim == 1 and array.ndim == 0:
            array = array.reshape(1)
        else:
            raise RoqInputError(name, f"must be {ndim}-dimensional, got shape {array.shape}")
    if not allow_missing and np.isnan(array).any():
        where = _position(array.shape, int(np.flatnonzero(np.isnan(array.reshape(-1)))[0]))
        raise RoqInputError(name, f"has a missing value at position {where}")
    if np.isinf(array).any():
        raise RoqInputError(name, "must be finite, found an infinite value")
    return array


def _position(shape, flat_index: int) -> str:
    if len(shape) == 0:
        return "0"
    index = np.unravel_index(flat_index, shape)
    # 1-based row/column, as a spreadsheet user counts
    return "(" + ", ".join(str(i + 1) for i in index) + ")"


def check_range(array: np.ndarray, name: str, low=None, high=None, *, low_open=False, high_open=False, what="") -> np.ndarray:
    """Raise if any finite element lies outside [low, high] (or the open variants)."""
    finite = array[~np.isnan(array)] if array.dtype.kind == "f" else array
    if low is not None:
        bad = finite <= low if low_open else finite < low
        if np.any(bad):
            first = finite[bad].flat[0]
            sign = ">" if low_open else ">="
            raise RoqInputError(name, f"must be {sign} {low}{what}, got {first:g}")
    if high is not None:
        bad = finite >= high if high_open else finite > high
        if np.any(bad):
            first = finite[bad].flat[0]
            sign = "<" if high_open else "<="
            # a fraction typed in percent points (34.61 for 34.61%) is the likely slip
            slip = f"; did you mean {first:g}% ({first / 100:g})?" if high == 1.0 and 1.0 < first <= 100.0 else ""
            raise RoqInputError(name, f"must be {sign} {high}{what}, got {first:g}{slip}")
    return array


def check_share(value, name: str) -> np.ndarray:
    """A proportion in [0, 1]."""
    return check_range(as_float_array(value, name), name, 0.0, 1.0, what=" (a share between 0 and 1)")


def check_positive(value, name: str, *, allow_zero: bool = False) -> np.ndarray:
    array = as_float_array(value, name)
    return check_range(array, name, 0.0, None, low_open=not allow_zero)


def compact(number) -> str:
    """A number as a short text for a message: 45292, 0.2, 1e+15, -1e+308 (never 309 digits)."""
    try:
        value = float(number)
    except (TypeError, ValueError):
        return _describe(number)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


#: Date serials of the years 2000..2099: a size-like cell holding one was almost surely a date.
_DATE_SERIALS = (36526, 73051)


def date_hint(value) -> str:
    """" (is the cell a date? 45292 is 1 Jan 2024)" when ``value`` looks like an Excel date serial."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    if not (_DATE_SERIALS[0] <= number <= _DATE_SERIALS[1]) or not number.is_integer():
        return ""
    import datetime

    day = datetime.date(1899, 12, 30) + datetime.timedelta(days=int(number))
    return f" (is the cell a date? {compact(number)} is {day.day} {day:%b %Y})"


def bounded_count(value, name: str, low: int, high: int, unit: str, *, why: str = "") -> int:
    """A whole number of ``unit`` (years, points, samples, steps) in ``low..high``, else a clear refusal.

    Size-like inputs are bounded so that a typo (a date serial, 1e15) is refused by name
    instead of running for hours or exhausting memory.
    """
    array = as_float_array(value, name)
    if array.ndim != 0 and array.size != 1:
        raise RoqInputError(name, f"must be a single whole number of {unit}, got {array.size} values")
    number = float(array.reshape(-1)[0])
    if not number.is_integer():
        raise RoqInputError(name, f"must be a whole number of {unit}, got {compact(number)}")
    if number < low:
        raise RoqInputError(name, f"must be a whole number of {unit} >= {low}, got {compact(number)}")
    if number > high:
        reason = f" ({why})" if why else ""
        too = "long" if unit == "years" else "many"
        raise RoqInputError(name, f"{compact(number)} {unit} is too {too}; at most {high:,}{reason}{date_hint(number)}")
    return int(number)


def closest(name: str, candidates) -> str:
    """``" (did you mean 'x'?)"`` for the closest candidate, or ``""``."""
    import difflib

    match = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
