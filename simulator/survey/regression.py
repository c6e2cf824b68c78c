"""Multiple linear regression reported the way SPSS users read it, and mediation tests.

The fit is ordinary least squares with a constant, solved by a QR decomposition in numpy
and scipy only (the engine must stay light enough for Pyodide); statsmodels is used by the
tests as the cross-check. Rows with a blank in the dependent variable or any predictor are
dropped (listwise deletion, as SPSS's default); ``n_used`` and ``n_dropped`` say how many.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from ._common import TableResult, check_choice, flat_labels, format_table, scalar, to_array

__all__ = [
    "MEDIATION_TESTS",
    "LinearRegression",
    "IndirectEffectTest",
    "MediationTests",
    "linear_regression",
    "sobel_test",
    "mediation_tests",
]

#: Standard-error formulas for the indirect effect a*b.
MEDIATION_TESTS = ("sobel", "aroian", "goodman")

_COLLINEARITY_TOLERANCE = 1e-10  # on the QR diagonal of unit-length columns (condition number ~1e10)


@dataclass(frozen=True, eq=False, repr=False)
class LinearRegression(TableResult):
    """An OLS fit with SPSS's three tables (see :func:`linear_regression`).

    Attributes
    ----------
    dependent : str
    names : list of str
        ``"(Constant)"`` then the predictors.
    params, bse, tvalues, pvalues : ndarray
        Unstandardized B, its standard error, t and two-tailed Sig. (constant first).
    beta : ndarray
        Standardized coefficients (NaN for the constant).
    r, r_squared, adj_r_squared, se_estimate : float
        Model summary; ``se_estimate`` = sqrt(residual mean square).
    ss_regression, ss_residual, ss_total : float
    df_regression, df_residual, df_total : int
    ms_regression, ms_residual, f_value, f_pvalue : float
        ANOVA table.
    n_used, n_dropped : int
        Rows fitted, and rows dropped for blanks.
    fitted, residuals : ndarray
        For the rows used.
    """

    dependent: str
    names: list
    params: np.ndarray
    bse: np.ndarray
    tvalues: np.ndarray
    pvalues: np.ndarray
    beta: np.ndarray
    r: float
    r_squared: float
    adj_r_squared: float
    se_estimate: float
    ss_regression: float
    ss_residual: float
    ss_total: float
    df_regression: int
    df_residual: int
    df_total: int
    ms_regression: float
    ms_residual: float
    f_value: float
    f_pvalue: float
    n_used: int
    n_dropped: int
    fitted: np.ndarray
    residuals: np.ndarray

    def coefficients_frame(self) -> pd.DataFrame:
        """SPSS "Coefficients": ``Model, B, Std. Error, Beta, t, Sig.``."""
        return pd.DataFrame(
            {
                "Model": self.names,
                "B": self.params,
                "Std. Error": self.bse,
                "Beta": self.beta,
                "t": self.tvalues,
                "Sig.": self.pvalues,
            }
        )

    def model_summary_frame(self) -> pd.DataFrame:
        """SPSS "Model Summary": ``R, R Square, Adjusted R Square, Std. Error of the Estimate, N``."""
        return pd.DataFrame(
            {
                "R": [self.r],
                "R Square": [self.r_squared],
                "Adjusted R Square": [self.adj_r_squared],
                "Std. Error of the Estimate": [self.se_estimate],
                "N": [self.n_used],
            }
        )

    def anova_frame(self) -> pd.DataFrame:
        """SPSS "ANOVA": ``Model, Sum of Squares, df, Mean Square, F, Sig.``."""
        return pd.DataFrame(
            {
                "Model": ["Regression", "Residual", "Total"],
                "Sum of Squares": [self.ss_regression, self.ss_residual, self.ss_total],
                "df": [self.df_regression, self.df_residual, self.df_total],
                "Mean Square": [self.ms_regression, self.ms_residual, np.nan],
                "F": [self.f_value, np.nan, np.nan],
                "Sig.": [self.f_pvalue, np.nan, np.nan],
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """The coefficients table (see :meth:`coefficients_frame`)."""
        return self.coefficients_frame()

    def summary(self) -> str:
        dependent = [f"Dependent Variable: {self.dependent}"]
        dropped = f"; {self.n_dropped} row(s) with blanks dropped (listwise)" if self.n_dropped else ""
        return "\n\n".join(
            [
                format_table("Model Summary", self.model_summary_frame(), [f"N = {self.n_used}{dropped}."]),
                format_table("ANOVA", self.anova_frame(), dependent),
                format_table("Coefficients", self.coefficients_frame(), dependent),
            ]
        )

    def _headline(self) -> str:
        return f"{self.dependent} on {len(self.names) - 1} predictors, R2 = {self.r_squared:.3f}, N = {self.n_used}"


def linear_regression(y, X, *, names=None, dependent=None) -> LinearRegression:
    """Multiple linear regression (OLS with a constant) with SPSS-style output.

    Parameters
    ----------
    y : array_like or Series, shape (n,)
        Dependent variable; blanks allowed (row dropped).
    X : array_like or DataFrame, shape (n, p)
        Predictors in columns (a 1-D input is one predictor); blanks allowed (row dropped).
    names : sequence of str, optional
        Predictor names (default: the DataFrame's columns, else X1, X2, ...).
    dependent : str, optional
        Name of y (default: the Series name, else "Y").

    Returns
    -------
    LinearRegression
        ``coefficients_frame()`` (B, Std. Error, Beta, t, Sig.), ``model_summary_frame()``
        (R, R Square, Adjusted R Square, Std. Error of the Estimate) and ``anova_frame()``.
        Beta = B * sd(x) / sd(y) over the rows used. Sig. values are two-tailed.

    Raises
    ------
    RoqInputError
        Fewer complete rows than predictors + 2, a constant predictor or y, perfectly
        collinear predictors, mismatched lengths.

    Examples
    --------
    >>> x = [[1, 2], [2, 1], [3, 4], [4, 3], [5, 6], [6, 5]]
    >>> y = [3.1, 3.9, 7.2, 7.8, 11.1, 12.0]
    >>> fit = linear_regression(y, x, names=["trust", "image"])
    >>> fit.params.round(3).tolist(), round(fit.r_squared, 4), round(fit.f_value, 1)
    ([0.473, 1.39, 0.623], 0.9996, 4076.9)
    """
    from scipy import linalg, special  # t and F tails without scipy.stats; imported here, not at start-up

    outcome = to_array(y, "y", ndim=1)
    predictors = to_array(X, "X", ndim=2)
    if predictors.shape[0] != outcome.shape[0]:
        raise RoqInputError("X", f"has {predictors.shape[0]} rows but y has {outcome.shape[0]}")
    p = predictors.shape[1]
    if p == 0:
        raise RoqInputError("X", "has no predictor columns")
    if names is not None:
        labels = [str(n) for n in flat_labels(names, "names")]
        if len(labels) != p:
            raise RoqInputError("names", f"has {len(labels)} names but X has {p} predictors")
    elif isinstance(X, pd.DataFrame):
        labels = [str(c) for c in X.columns]
    elif isinstance(X, pd.Series) and X.name is not None:
        labels = [str(X.name)]
    else:
        labels = [f"X{j + 1}" for j in range(p)]
    if dependent is None:
        dependent = str(y.name) if isinstance(y, pd.Series) and y.name is not None else "Y"

    complete = ~np.isnan(outcome) & ~np.isnan(predictors).any(axis=1)
    n = int(complete.sum())
    if n < p + 2:
        raise RoqInputError(
            "X", f"has {n} complete rows for {p} predictor(s); need at least {p + 2} (predictors + 2)"
        )
    outcome, predictors = outcome[complete], predictors[complete]
    spread = np.ptp(predictors, axis=0)
    if (spread == 0).any():
        raise RoqInputError("X", f"predictor {labels[int(np.flatnonzero(spread == 0)[0])]!r} is constant in the rows used")
    if np.ptp(outcome) == 0:
        raise RoqInputError("y", "is constant in the rows used; there is nothing to explain")

    design = np.column_stack([np.ones(n), predictors])
    # rank check on unit-length columns, so that the scale of a predictor does not matter
    _, r_pivoted, pivots = linalg.qr(design / np.linalg.norm(design, axis=0), mode="economic", pivoting=True)
    rank = int((np.abs(np.diag(r_pivoted)) > _COLLINEARITY_TOLERANCE).sum())
    if rank < p + 1:
        culprit = ["(Constant)", *labels][int(pivots[rank])]
        raise RoqInputError(
            "X", f"predictors are perfectly collinear: {culprit!r} is a linear combination of the others (and the constant)"
        )

    q, r = np.linalg.qr(design)
    r_inverse = linalg.solve_triangular(r, np.eye(p + 1))
    params = r_inverse @ (q.T @ outcome)
    fitted = design @ params
    residuals = outcome - fitted
    df_residual = n - p - 1
    ss_residual = float(residuals @ residuals)
    ss_total = float(((outcome - outcome.mean()) ** 2).sum())
    ss_regression = ss_total - ss_residual
    ms_residual = ss_residual / df_residual
    ms_regression = ss_regression / p
    bse = np.sqrt(np.sum(r_inverse**2, axis=1) * ms_residual)  # diag((X'X)^-1) * MSE
    with np.errstate(divide="ignore", invalid="ignore"):  # a perfect fit gives infinite t and F
        tvalues = params / bse
        f_value = ms_regression / ms_residual
    r_squared = ss_regression / ss_total
    beta = np.concatenate(([np.nan], params[1:] * predictors.std(axis=0, ddof=1) / outcome.std(ddof=1)))
    return LinearRegression(
        dependent=dependent,
        names=["(Constant)", *labels],
        params=params,
        bse=bse,
        tvalues=tvalues,
        pvalues=2.0 * special.stdtr(df_residual, -np.abs(tvalues)),
        beta=beta,
        r=float(np.sqrt(max(r_squared, 0.0))),
        r_squared=float(r_squared),
        adj_r_squared=float(1.0 - (1.0 - r_squared) * (n - 1) / df_residual),
        se_estimate=float(np.sqrt(ms_residual)),
        ss_regression=float(ss_regression),
        ss_residual=ss_residual,
        ss_total=ss_total,
        df_regression=p,
        df_residual=df_residual,
        df_total=n - 1,
        ms_regression=float(ms_regression),
        ms_residual=float(ms_residual),
        f_value=float(f_value),
        f_pvalue=float(special.fdtrc(p, df_residual, f_value)),
        n_used=n,
        n_dropped=int((~complete).sum()),
        fitted=fitted,
        residuals=residuals,
    )


# --- mediation ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class IndirectEffectTest(TableResult):
    """Significance test of an indirect effect a*b (see :func:`sobel_test`).

    Attributes
    ----------
    test : str
        "sobel", "aroian" or "goodman".
    indirect_effect : float
        a * b.
    standard_error, z, p_value : float
        NaN when the test is undefined (see ``note``).
    note : str
        Why the test is undefined, else "".
    """

    test: str
    indirect_effect: float
    standard_error: float
    z: float
    p_value: float
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Test, Indirect effect, Std. Error, z, Sig., Note``."""
        return pd.DataFrame(
            {
                "Test": [self.test.capitalize()],
                "Indirect effect": [self.indirect_effect],
                "Std. Error": [self.standard_error],
                "z": [self.z],
                "Sig.": [self.p_value],
                "Note": [self.note],
            }
        )

    def summary(self) -> str:
        return format_table("Indirect Effect Test", self.to_frame(), ["Sig. is two-tailed."], digits=4)

    def _headline(self) -> str:
        return f"{self.test}: z = {self.z:.4f}, p = {self.p_value:.4f}"


@dataclass(frozen=True, eq=False, repr=False)
class MediationTests(TableResult):
    """Sobel, Aroian and Goodman tests side by side (see :func:`mediation_tests`)."""

    tests: list

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Test, Indirect effect, Std. Error, z, Sig., Note``, one row per test."""
        return pd.concat([t.to_frame() for t in self.tests], ignore_index=True)

    def summary(self) -> str:
        return format_table("Mediation (indirect effect a*b) Tests", self.to_frame(), ["Sig. is two-tailed."], digits=4)

    def _headline(self) -> str:
        return ", ".join(f"{t.test} z = {t.z:.3f}" for t in self.tests)

    def __getitem__(self, test: str) -> IndirectEffectTest:
        for candidate in self.tests:
            if candidate.test == test:
                return candidate
        raise KeyError(test)


def _indirect_effect(a: float, se_a: float, b: float, se_b: float, test: str) -> IndirectEffectTest:
    """The three tests differ only in the second-order term under the root."""
    from scipy import special  # the normal tail without scipy.stats

    sign, term = {"sobel": (0.0, ""), "aroian": (1.0, " + sa^2 sb^2"), "goodman": (-1.0, " - sa^2 sb^2")}[test]
    a, se_a, b, se_b = (np.float64(v) for v in (a, se_a, b, se_b))  # overflow gives inf, checked next
    with np.errstate(over="ignore", invalid="ignore"):
        radicand = float(b**2 * se_a**2 + a**2 * se_b**2 + sign * se_a**2 * se_b**2)
        product = float(a * b)
    if not (np.isfinite(radicand) and np.isfinite(product)):
        raise RoqInputError("a, se_a, b, se_b", "are too large: a*b or the squared terms overflow a float")
    if radicand <= 0:
        note = f"undefined: the radicand b^2 sa^2 + a^2 sb^2{term} = {radicand:.4g} is not positive"
        return IndirectEffectTest(test, product, float("nan"), float("nan"), float("nan"), note)
    standard_error = float(np.sqrt(radicand))
    z = product / standard_error
    return IndirectEffectTest(test, product, standard_error, z, float(2.0 * special.ndtr(-abs(z))))


def _path_inputs(a, se_a, b, se_b) -> tuple[float, float, float, float]:
    values = scalar(a, "a"), scalar(se_a, "se_a"), scalar(b, "b"), scalar(se_b, "se_b")
    for name, value in (("se_a", values[1]), ("se_b", values[3])):
        if value <= 0:
            raise RoqInputError(name, f"must be a positive standard error, got {value:g}")
    return values


def sobel_test(a, se_a, b, se_b, *, test: Literal["sobel", "aroian", "goodman"] = "sobel") -> IndirectEffectTest:
    """Test of the indirect (mediated) effect a*b with the Sobel, Aroian or Goodman formula.

    Sobel: ``z = ab / sqrt(b^2 sa^2 + a^2 sb^2)``; Aroian adds ``sa^2 sb^2`` under the root,
    Goodman subtracts it. p-values are two-tailed (standard normal).

    Parameters
    ----------
    a, se_a : float
        Path X -> M and its standard error.
    b, se_b : float
        Path M -> Y (controlling for X) and its standard error.
    test : {"sobel", "aroian", "goodman"}

    Returns
    -------
    IndirectEffectTest

    Raises
    ------
    RoqInputError
        For the Goodman test when its radicand is not positive (use Sobel or Aroian, or
        :func:`mediation_tests`, which reports NaN with the reason).

    Notes
    -----
    Sobel (1982); Aroian (1947); Goodman (1960); Baron & Kenny (1986). Used in Assagaff's Manulife case.

    Examples
    --------
    >>> result = sobel_test(0.5, 0.1, 0.4, 0.1)
    >>> round(result.z, 4), round(result.p_value, 4)
    (3.1235, 0.0018)
    """
    check_choice(test, "test", MEDIATION_TESTS)
    result = _indirect_effect(*_path_inputs(a, se_a, b, se_b), test)
    if result.note and test == "goodman":
        raise RoqInputError("test", f"goodman: {result.note}; use 'sobel' or 'aroian'")
    if result.note:  # Sobel with a = b = 0 (Aroian's radicand is always positive)
        raise RoqInputError("a, b", "both paths are zero, so the Sobel standard error is 0; use 'aroian'")
    return result


def mediation_tests(a, se_a, b, se_b) -> MediationTests:
    """Sobel, Aroian and Goodman tests of the indirect effect a*b in one table.

    Parameters
    ----------
    a, se_a, b, se_b : float
        As in :func:`sobel_test`.

    Returns
    -------
    MediationTests
        Index by name (``result["aroian"]``); an undefined Goodman test has NaN z and p and
        its reason in the ``Note`` column.

    Examples
    --------
    >>> table = mediation_tests(0.5, 0.1, 0.4, 0.1)
    >>> [round(t.z, 4) for t in table.tests]
    [3.1235, 3.0861, 3.1623]
    """
    values = _path_inputs(a, se_a, b, se_b)
    return MediationTests([_indirect_effect(*values, test) for test in MEDIATION_TESTS])
