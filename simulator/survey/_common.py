"""Shared plumbing of the survey package (internal): input checks for Likert data, item
labels, and the text-table formatting behind every result's ``summary()``.

Every check raises :class:`~simulator.errors.RoqInputError` naming the argument. Blank cells
(None, NaN, empty string) are missing answers and stay NaN; they are never read as zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._validate import as_float_array, check_range, compact, date_hint
from ..errors import RoqInputError


# --- scalars and scales ------------------------------------------------------------------
def scalar(value, name: str) -> float:
    """One finite number (0-d); lists and blanks are refused."""
    array = as_float_array(value, name)
    if array.ndim != 0:
        if array.size == 1:
            return float(array.reshape(-1)[0])
        raise RoqInputError(name, f"must be a single number, got {array.size} values")
    return float(array)


def whole_number(value, name: str) -> int:
    number = scalar(value, name)
    if not float(number).is_integer():
        raise RoqInputError(name, f"must be a whole number, got {compact(number)}")
    return int(number)


def significance_level(alpha, name: str = "alpha") -> float:
    """A significance level strictly between 0 and 1."""
    level = scalar(alpha, name)
    check_range(np.asarray(level), name, 0.0, 1.0, low_open=True, high_open=True, what=" (a significance level)")
    return level


#: Widest answer scale accepted: 101 points (0..100). Wider is a typo (a date serial, -1000000)
#: and would make the per-category tables (counts, MSI) as wide as the typo.
MAX_SCALE_POINTS = 101
#: Scale ends lie in -100..1000 (a 0..100 slider, a -3..3 semantic differential, 1..1000 points).
SCALE_LIMITS = (-100, 1000)


def check_scale(scale_min, scale_max) -> tuple[int, int]:
    """The declared Likert scale ``scale_min..scale_max``: whole numbers, 2 to 101 points."""
    low = whole_number(scale_min, "scale_min")
    high = whole_number(scale_max, "scale_max")
    for name, end in (("scale_min", low), ("scale_max", high)):
        if not SCALE_LIMITS[0] <= end <= SCALE_LIMITS[1]:
            raise RoqInputError(
                name, f"{compact(end)} is not a scale end; ends lie in {SCALE_LIMITS[0]}..{SCALE_LIMITS[1]}{date_hint(end)}"
            )
    if high <= low:
        raise RoqInputError("scale_max", f"must be greater than scale_min ({compact(low)}), got {compact(high)}")
    if high - low + 1 > MAX_SCALE_POINTS:
        name, end = ("scale_min", low) if abs(low) > abs(high) else ("scale_max", high)
        raise RoqInputError(name, f"{compact(end)} gives a {high - low + 1}-point scale; at most {MAX_SCALE_POINTS} points (e.g. 0..100)")
    return low, high


def check_choice(value, name: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise RoqInputError(name, f"must be one of {', '.join(repr(c) for c in choices)}, got {value!r}")
    return value


# --- tables of answers -------------------------------------------------------------------
def _check_rectangular(value, name: str) -> None:
    """Nested lists must be rectangular; numpy would otherwise build an array of lists."""
    if not isinstance(value, (list, tuple)) or not value:
        return
    is_row = [isinstance(row, (list, tuple, np.ndarray)) for row in value]
    if not any(is_row):
        return
    if not all(is_row):
        first_scalar = is_row.index(False) + 1
        raise RoqInputError(name, f"is not a rectangular table: row {first_scalar} is a single value, other rows are lists")
    lengths = [len(row) for row in value]
    if len(set(lengths)) > 1:
        odd = next(i for i, n in enumerate(lengths) if n != lengths[0])
        raise RoqInputError(
            name, f"rows have different lengths: row 1 has {lengths[0]} cells, row {odd + 1} has {lengths[odd]}"
        )


def to_array(value, name: str, *, ndim: int | None = None, allow_missing: bool = True) -> np.ndarray:
    """Float array with blanks as NaN; ragged or non-numeric input raises."""
    _check_rectangular(value, name)
    if isinstance(value, (pd.DataFrame, pd.Series)):
        # nullable dtypes hold pd.NA, which is a blank too
        value = value.astype(object).where(value.notna(), None).to_numpy(dtype=object)
    try:
        return as_float_array(value, name, allow_missing=allow_missing, ndim=ndim)
    except RoqInputError:
        raise
    except (ValueError, TypeError) as error:  # numpy refusing an irregular nested structure
        raise RoqInputError(name, f"is not a rectangular table of numbers ({error})") from None


def _cell(shape, flat_index: int) -> str:
    index = np.unravel_index(flat_index, shape)
    return "(" + ", ".join(str(i + 1) for i in index) + ")"  # 1-based, as a spreadsheet user counts


def check_likert(matrix: np.ndarray, name: str, scale_min: int, scale_max: int) -> np.ndarray:
    """Refuse empty tables, all-blank tables, answers off the scale and non-whole answers."""
    if matrix.size == 0:
        raise RoqInputError(name, f"is empty (shape {matrix.shape}); expected respondents in rows, items in columns")
    answered = ~np.isnan(matrix)
    if not answered.any():
        raise RoqInputError(name, "has no answers: every cell is blank")
    outside = answered & ((matrix < scale_min) | (matrix > scale_max))
    if outside.any():
        flat = int(np.flatnonzero(outside)[0])
        raise RoqInputError(
            name, f"value {matrix.flat[flat]:g} at {_cell(matrix.shape, flat)} is outside the scale {scale_min}..{scale_max}"
        )
    fractional = answered & (matrix != np.round(matrix))
    if fractional.any():
        flat = int(np.flatnonzero(fractional)[0])
        raise RoqInputError(
            name,
            f"value {matrix.flat[flat]:g} at {_cell(matrix.shape, flat)} is not a whole number; "
            f"Likert answers are the categories {scale_min}..{scale_max}",
        )
    return matrix


def likert_matrix(responses, name: str, scale_min: int, scale_max: int) -> np.ndarray:
    """A respondents x items float matrix of Likert answers (NaN = blank), validated."""
    return check_likert(to_array(responses, name, ndim=2), name, scale_min, scale_max)


def category_counts(matrix: np.ndarray, scale_min: int, scale_max: int) -> np.ndarray:
    """Items x categories matrix of answer counts (blanks not counted)."""
    categories = np.arange(scale_min, scale_max + 1)
    return (matrix[:, :, None] == categories[None, None, :]).sum(axis=0)


def item_means(values, name: str, scale_min: int, scale_max: int) -> np.ndarray:
    """Per-item means from either item means (1-D) or raw answers (respondents x items).

    A 1-D input is read as item means (fractions allowed, blanks not) and must lie on the
    scale; a 2-D input is a Likert matrix and is averaged per item over the answers given.
    """
    array = to_array(values, name)
    if array.ndim == 1:
        if array.size == 0:
            raise RoqInputError(name, "is empty; expected item means or a respondents x items matrix")
        if np.isnan(array).any():
            where = int(np.flatnonzero(np.isnan(array))[0]) + 1
            raise RoqInputError(name, f"item mean {where} is blank; give every item's mean")
        outside = (array < scale_min) | (array > scale_max)
        if outside.any():
            where = int(np.flatnonzero(outside)[0])
            raise RoqInputError(
                name, f"item mean {array[where]:g} (item {where + 1}) is outside the scale {scale_min}..{scale_max}"
            )
        return array
    if array.ndim != 2:
        raise RoqInputError(name, f"must be item means (1-D) or a respondents x items matrix (2-D), got shape {array.shape}")
    matrix = check_likert(array, name, scale_min, scale_max)
    unanswered = np.isnan(matrix).all(axis=0)
    if unanswered.any():
        raise RoqInputError(name, f"item {int(np.flatnonzero(unanswered)[0]) + 1} has no answers (its column is blank)")
    return np.nanmean(matrix, axis=0)


# --- labels ------------------------------------------------------------------------------
def flat_labels(values, name: str) -> list:
    """A list of labels from a list, a Series, or a one-row/one-column range."""
    if isinstance(values, (pd.DataFrame, pd.Series, np.ndarray)):
        array = np.asarray(values, dtype=object)
    elif isinstance(values, (list, tuple)):
        array = np.empty(len(values), dtype=object)
        rows = [list(v) if isinstance(v, (list, tuple, np.ndarray)) else None for v in values]
        if any(r is not None for r in rows):  # a k x 1 range from Excel
            if not all(r is not None and len(r) == 1 for r in rows):
                raise RoqInputError(name, "must be one label per item (a single row or column)")
            array[:] = [r[0] for r in rows]
        else:
            array[:] = list(values)
    elif isinstance(values, str):
        raise RoqInputError(name, f"must be a list of labels, got the single text {values!r}")
    else:
        try:
            array = np.asarray(list(values), dtype=object)
        except TypeError:
            raise RoqInputError(name, f"must be a list of labels, got {type(values).__name__}") from None
    if array.ndim == 2 and 1 in array.shape:
        array = array.reshape(-1)
    if array.ndim != 1:
        raise RoqInputError(name, f"must be one label per item (a single row or column), got shape {array.shape}")
    return [v.item() if isinstance(v, np.generic) else v for v in array]


def item_labels(items, source, count: int, source_name: str) -> list:
    """Item labels: ``items`` if given, else the DataFrame/Series labels, else 1..count."""
    if items is not None:
        labels = flat_labels(items, "items")
        if len(labels) != count:
            raise RoqInputError("items", f"has {len(labels)} labels but {source_name} has {count} items")
        return labels
    if isinstance(source, pd.DataFrame):
        return list(source.columns)
    if isinstance(source, pd.Series) and not isinstance(source.index, pd.RangeIndex):
        return list(source.index)
    return list(range(1, count + 1))


def dimension_labels(dimensions, items: list, name: str = "dimensions") -> list[str]:
    """One dimension label per item, from per-item labels or a {dimension: [items]} mapping."""
    if isinstance(dimensions, Mapping):
        assigned: dict = {}
        for dimension, members in dimensions.items():
            for member in flat_labels(members, name):
                if member not in items:
                    raise RoqInputError(name, f"dimension {dimension!r} lists item {member!r}, which is not among the items")
                if member in assigned:
                    raise RoqInputError(name, f"item {member!r} is in both {assigned[member]!r} and {dimension!r}")
                assigned[member] = str(dimension)
        missing = [item for item in items if item not in assigned]
        if missing:
            raise RoqInputError(name, f"item {missing[0]!r} has no dimension")
        return [assigned[item] for item in items]
    labels = flat_labels(dimensions, name)
    if len(labels) != len(items):
        raise RoqInputError(name, f"has {len(labels)} labels but there are {len(items)} items")
    for position, label in enumerate(labels):
        if label is None or (isinstance(label, float) and np.isnan(label)) or str(label).strip() == "":
            raise RoqInputError(name, f"item {items[position]!r} has a blank dimension")
    return [str(label) for label in labels]


def group_order(labels: list[str]) -> list[str]:
    """Distinct labels in order of first appearance."""
    return list(dict.fromkeys(labels))


# --- result tables -----------------------------------------------------------------------
def format_table(title: str, frame: pd.DataFrame, notes: Sequence[str] = (), digits: int = 3) -> str:
    """An SPSS-like plain-text table: title, rules, header, rows, notes."""
    body = frame.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}", na_rep="-")
    lines = body.splitlines()
    width = max([len(title)] + [len(line) for line in lines])
    out = [title, "=" * width, lines[0], "-" * width, *lines[1:], "=" * width]
    out.extend(notes)
    return "\n".join(out)


class TableResult:
    """Mixin of the survey result classes: ``print(result)`` shows ``summary()``."""

    def summary(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def _headline(self) -> str:
        return ""

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._headline()}>"

