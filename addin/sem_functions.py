"""Excel functions for structural equation models and the regression assumption tests.

Thin wrappers over :func:`simulator.survey.fit_sem`: the data range has the item names
in its first row and one respondent per row below; the model is lavaan text in one cell
(lines separated by ``;`` or line breaks) or a range of cells, one statement per cell.
Every function spills a table. The last fit is cached (same data, model and options), so a
sheet that spills the fit, the estimates and the effects of one model fits it once.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import xlwings as xw

from simulator import RoqInputError, survey
from simulator._validate import compact

from ._cells import _is_blank, _rows, arg, choice, excel_function, integer, labels, matrix, range_converter, vector

CATEGORY = "ROQ toolkit - Structural equation models"

_DATA = "Answers with item names in the first row (X1, X2, ...), one respondent per row; blanks drop the respondent."
_MODEL = "Model in lavaan syntax: one cell ('SQ =~ X1 + X2; SAT ~ SQ') or a range, one statement per cell."
_CONVENTION = "amos (default: S with divisor N-1, chi-square (N-1)F) or lavaan (divisor N, chi-square N F)."
_ESTIMATOR = "ML (default), GLS or ULS."
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 8


@range_converter
def headed_table(value, name: str):
    """A range whose first row holds column names, as a DataFrame (numbers below; blanks stay blank)."""
    import pandas as pd

    rows = _rows(value)
    if len(rows) < 2:
        raise RoqInputError(name, "needs a header row of item names and at least one row of answers")
    numeric = next((k for k, c in enumerate(rows[0]) if isinstance(c, (int, float)) and not isinstance(c, bool)), None)
    if numeric is not None:
        raise RoqInputError(name, f"header cell {numeric + 1} holds the number {rows[0][numeric]:g}; the first row must name the items (X1, X2, ...)")
    header = ["" if _is_blank(c) else str(c).strip() for c in rows[0]]
    if any(h == "" for h in header):
        raise RoqInputError(name, f"header cell {header.index('') + 1} is blank; the first row must name every item")
    if len(set(header)) != len(header):
        duplicate = next(h for h in header if header.count(h) > 1)
        raise RoqInputError(name, f"item name {duplicate!r} appears twice in the header row")
    body = [[None if _is_blank(c) else c for c in row] for row in rows[1:]]
    body = [row for row in body if any(c is not None for c in row)]  # trailing blank rows of a paste area
    return pd.DataFrame(body, columns=header)


@range_converter
def model_lines(value, name: str) -> str:
    """Model text from one cell or a range of cells (one statement per cell; blanks skipped)."""
    lines = [str(c) for row in _rows(value) for c in row if not _is_blank(c)]
    if not lines:
        raise RoqInputError(name, "is blank; write the model, e.g. 'SQ =~ X1 + X2 + X3'")
    return "\n".join(lines)


def _fit(data, model, convention="amos", estimator="ML"):
    digest = hashlib.sha256(np.ascontiguousarray(data.to_numpy(dtype=object).astype(str)).tobytes() + "|".join(data.columns).encode()).hexdigest()
    key = (digest, model, convention, estimator)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    fit = survey.fit_sem(data, model, convention=convention, estimator=estimator)
    _CACHE[key] = fit
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return fit


def _sem_arguments(function):
    """The data, model and convention arguments every SQ_SEM_ function takes (and estimator, if it has one)."""
    if "estimator" in function.signature.parameters:
        function = arg("estimator", choice("ML", "GLS", "ULS"), _ESTIMATOR)(function)
    function = arg("convention", choice("amos", "lavaan"), _CONVENTION)(function)
    function = arg("model", model_lines, _MODEL)(function)
    return arg("data", headed_table, _DATA)(function)


@xw.func(category=CATEGORY)
@_sem_arguments
@excel_function
def SQ_SEM_FIT(data, model, convention="amos", estimator="ML"):
    """SEM goodness of fit as AMOS reports it: spills Index | Value | Cut-off | Verdict (chi-square, P, CMIN/DF, RMSEA + 90% CI, PCLOSE, GFI, AGFI, NFI, TLI, CFI, SRMR, AIC, BIC)."""
    return _fit(data, model, convention, estimator).fit_frame()


@xw.func(category=CATEGORY)
@_sem_arguments
@excel_function
def SQ_SEM_ESTIMATES(data, model, convention="amos", estimator="ML"):
    """SEM estimates: spills Section | Path | Estimate | S.E. | C.R. | P | Std. Estimate | Label | Note (Heywood cases flagged)."""
    frame = _fit(data, model, convention, estimator).estimates_frame()
    return frame[["Section", "Path", "Estimate", "S.E.", "C.R.", "P", "Std. Estimate", "Label", "Note"]]


@xw.func(category=CATEGORY)
@_sem_arguments
@excel_function
def SQ_SEM_EFFECTS(data, model, convention="amos"):
    """Direct, indirect and total effects between constructs: spills From | To | Direct | Indirect | Total | Std. Direct | Std. Indirect | Std. Total."""
    return _fit(data, model, convention).effects_frame()


@xw.func(category=CATEGORY)
@_sem_arguments
@excel_function
def SQ_SEM_SOBEL(data, model, convention="amos"):
    """Sobel, Aroian and Goodman tests of every intervening path X -> M -> Y: spills Path | a | S.E. a | b | S.E. b | Indirect | ... | Goodman P."""
    return _fit(data, model, convention).indirect_tests_frame()


@xw.func(category=CATEGORY)
@_sem_arguments
@excel_function
def SQ_SEM_RELIABILITY(data, model, convention="amos"):
    """Construct reliability: spills Construct | Indicators | CR | CR verdict | AVE | AVE verdict | sqrt(AVE) | Max |r| | Fornell-Larcker."""
    return _fit(data, model, convention).reliability().table


@xw.func(category=CATEGORY)
@_sem_arguments
@excel_function
def SQ_SEM_HTMT(data, model, convention="amos"):
    """Heterotrait-monotrait ratios of every pair of constructs: spills Pair | HTMT | Verdict (< 0.85)."""
    return _fit(data, model, convention).reliability().htmt_pairs


@xw.func(category=CATEGORY)
@_sem_arguments
@excel_function
def SQ_SEM_NORMALITY(data, model, convention="amos"):
    """AMOS's assessment of normality of the model's items: spills Variable | min | max | skew | c.r. skew | kurtosis | c.r. kurtosis | Verdict, Mardia last."""
    return _fit(data, model, convention).normality().table


@xw.func(category=CATEGORY)
@arg("top", integer, "How many respondents to list, farthest first (default 10).")
@_sem_arguments
@excel_function
def SQ_SEM_MAHALANOBIS(data, model, top=10, convention="amos"):
    """Observations farthest from the centroid: spills Observation | Mahalanobis d-squared | p1 | p2 | Outlier."""
    if not 1 <= top <= 100_000:
        raise RoqInputError("top", f"must be from 1 to 100,000, got {compact(top)}")
    return _fit(data, model, convention).mahalanobis().table.head(top)


@xw.func(category=CATEGORY)
@_sem_arguments
@excel_function
def SQ_SEM_MODIFICATION(data, model, convention="amos"):
    """Modification indices (M.I. >= 4), largest first: spills Path | M.I. | Par Change."""
    frame = _fit(data, model, convention).modification_indices()
    if frame.empty:
        return [["Path", "M.I.", "Par Change"], ["(none >= 4)", "", ""]]
    return frame[["Path", "M.I.", "Par Change"]]


@xw.func(category=CATEGORY)
@arg("y", vector, "Dependent variable, one column (blank rows are dropped).")
@arg("X", matrix, "Predictors, one column each, same rows as y (blank rows are dropped).")
@arg("names", labels, "Optional predictor names, one per column of X (default X1, X2, ...).")
@excel_function
def SQ_REGRESSION_ASSUMPTIONS(y, X, names=None):
    """Classical assumption tests: spills Assumption | Test | Statistic | df | Sig. | Verdict (KS-Lilliefors, Shapiro-Wilk, Glejser, Breusch-Pagan, Durbin-Watson)."""
    return survey.regression_assumptions(y, X, names=names).tests


@xw.func(category=CATEGORY)
@arg("y", vector, "Dependent variable, one column (blank rows are dropped).")
@arg("X", matrix, "Predictors, one column each, same rows as y (blank rows are dropped).")
@arg("names", labels, "Optional predictor names, one per column of X (default X1, X2, ...).")
@excel_function
def SQ_REGRESSION_VIF(y, X, names=None):
    """Collinearity statistics: spills Predictor | Tolerance | VIF | Verdict (VIF < 10, tolerance > 0.10)."""
    return survey.regression_assumptions(y, X, names=names).collinearity
