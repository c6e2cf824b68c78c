"""The classical assumption tests that accompany an SPSS-style multiple regression.

Indonesian regression theses (e.g. Dewita, the JP Bonding customer-loyalty regression)
report them before the coefficients; each test here follows its published definition:

- multicollinearity: tolerance_j = 1 - R^2_j of predictor j on the others, VIF = 1 / tolerance
  (no multicollinearity when VIF < 10 and tolerance > 0.10, Hair et al. 2010);
- residual normality: one-sample Kolmogorov-Smirnov D against a normal with the residuals'
  mean and standard deviation, with Lilliefors' (1967) significance (statsmodels'
  ``lilliefors``, tabulated as SPSS's "Lilliefors Significance Correction") and the
  uncorrected asymptotic p ("Asymp. Sig.", as SPSS's NPAR TESTS prints it); Shapiro-Wilk (scipy);
- heteroskedasticity: Glejser (1969): |e| regressed on the predictors, each predictor's Sig.;
  Breusch-Pagan (1979) LM = ESS / 2 of e^2 / (SSR / n) on the predictors, and Koenker's
  (1981) studentized LM = n R^2 of e^2 on the predictors, chi-square with k df;
- autocorrelation: Durbin-Watson d = sum (e_t - e_t-1)^2 / sum e_t^2, with its exact p-value
  for the design at hand: d = sum nu_i xi_i^2 / sum xi_i^2 with nu the nonzero
  eigenvalues of M A (M the residual maker, A the first-difference form) and xi standard
  normal (Durbin & Watson 1971), evaluated with 100,000 seeded draws instead of dL/dU tables.

Verdicts ("fit" = the assumption holds) come from :func:`~simulator.survey.sem_fit.judge`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from ._common import TableResult, format_table, significance_level
from .regression import LinearRegression, linear_regression
from .sem_fit import judge

__all__ = ["ASSUMPTION_CUTOFFS", "RegressionAssumptions", "regression_assumptions", "durbin_watson"]

#: VIF and tolerance thresholds (Hair et al. 2010).
ASSUMPTION_CUTOFFS = {"VIF": ("<", 10.0), "Tolerance": (">", 0.10)}
_DW_DRAWS = 100_000
_DW_MAX_N = 5_000


def durbin_watson(residuals) -> float:
    """Durbin-Watson d = sum (e_t - e_(t-1))^2 / sum e_t^2 (rows in their given order).

    Examples
    --------
    >>> round(durbin_watson([1.0, -1.0, 1.0, -1.0]), 3)
    3.0
    """
    e = np.asarray(residuals, dtype=float)
    return float(np.sum(np.diff(e) ** 2) / np.sum(e**2))


@dataclass(frozen=True, eq=False, repr=False)
class RegressionAssumptions(TableResult):
    """The assumption tests of one regression (see :func:`regression_assumptions`).

    Attributes
    ----------
    collinearity : DataFrame
        ``Predictor, Tolerance, VIF, Verdict``.
    tests : DataFrame
        ``Assumption, Test, Statistic, df, Sig., Verdict`` (normality, heteroskedasticity,
        autocorrelation; Verdict "fit" when Sig. > alpha).
    glejser : DataFrame
        SPSS coefficients table of |e| on the predictors.
    regression : LinearRegression
    """

    collinearity: pd.DataFrame
    tests: pd.DataFrame
    glejser: pd.DataFrame
    regression: LinearRegression
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        return self.tests

    def summary(self) -> str:
        return "\n\n".join([
            format_table("Collinearity Statistics", self.collinearity, ["No multicollinearity when VIF < 10 and Tolerance > 0.10."]),
            format_table("Classical assumption tests", self.tests, [f"Verdict 'fit': the assumption holds (Sig. > {self.alpha:g})."], digits=4),
            format_table("Glejser test: |residual| on the predictors", self.glejser, [f"Dependent Variable: |{self.regression.dependent} residual|"]),
        ])

    def _headline(self) -> str:
        return ", ".join(f"{r.Test}: {r.Verdict}" for r in self.tests.itertuples())


def regression_assumptions(y, X, *, names=None, dependent=None, alpha=0.05, seed=12345) -> RegressionAssumptions:
    """VIF / tolerance, residual normality, heteroskedasticity and Durbin-Watson of an OLS fit.

    Parameters
    ----------
    y, X, names, dependent
        As :func:`~simulator.survey.linear_regression` (blank rows dropped listwise).
    alpha : float
        Significance level of the verdicts (default 0.05).
    seed : int
        Seed of the Durbin-Watson p-value's draws.

    Returns
    -------
    RegressionAssumptions

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> X = rng.normal(size=(80, 2)); y = X @ [0.5, 0.3] + rng.normal(size=80)
    >>> checks = regression_assumptions(y, X, names=["trust", "image"])
    >>> list(checks.tests["Test"])[:2]
    ['Kolmogorov-Smirnov (Lilliefors)', 'Kolmogorov-Smirnov (Asymp. Sig.)']
    """
    from scipy import stats  # here, not at import: survey analytics import without scipy.stats
    alpha = significance_level(alpha)
    fit = linear_regression(y, X, names=names, dependent=dependent)
    design = _design(y, X)
    n, k = design.shape[0], design.shape[1]
    predictors = fit.names[1:]
    # collinearity: auxiliary regressions of each predictor on the others
    rows = []
    for j, name in enumerate(predictors):
        if k == 1:
            tolerance = 1.0
        else:
            others = np.delete(design, j, axis=1)
            aux = linear_regression(design[:, j], others)
            tolerance = 1.0 - aux.r_squared
        vif = 1.0 / tolerance if tolerance > 0 else np.inf
        verdict = "fit" if judge(vif, ASSUMPTION_CUTOFFS["VIF"]) == "fit" and judge(tolerance, ASSUMPTION_CUTOFFS["Tolerance"]) == "fit" else "not fit"
        rows.append((name, tolerance, vif, verdict))
    collinearity = pd.DataFrame(rows, columns=["Predictor", "Tolerance", "VIF", "Verdict"])

    e = fit.residuals
    rule = (">", alpha)
    tests = []
    d_stat, p_lilliefors = _lilliefors(e)
    tests.append(("Normality", "Kolmogorov-Smirnov (Lilliefors)", d_stat, n, p_lilliefors, judge(p_lilliefors, rule)))
    p_asymp = float(stats.kstwobign.sf(np.sqrt(n) * d_stat))
    tests.append(("Normality", "Kolmogorov-Smirnov (Asymp. Sig.)", np.sqrt(n) * d_stat, n, p_asymp, judge(p_asymp, rule)))
    w, p_sw = stats.shapiro(e)
    tests.append(("Normality", "Shapiro-Wilk", float(w), n, float(p_sw), judge(float(p_sw), rule)))
    # Glejser: |e| on the predictors
    glejser_fit = linear_regression(np.abs(e), design, names=predictors, dependent=f"|{fit.dependent} residual|")
    glejser = glejser_fit.coefficients_frame()
    worst = float(np.min(glejser_fit.pvalues[1:]))
    tests.append(("Homoskedasticity", "Glejser (smallest predictor Sig.)", float(glejser_fit.tvalues[1:][np.argmin(glejser_fit.pvalues[1:])]),
                  glejser_fit.df_residual, worst, judge(worst, rule)))
    # Breusch-Pagan and Koenker
    sigma2 = float(e @ e) / n
    scaled = linear_regression(e**2 / sigma2, design)
    lm_bp = scaled.ss_regression / 2.0
    p_bp = float(stats.chi2.sf(lm_bp, k))
    tests.append(("Homoskedasticity", "Breusch-Pagan (LM = ESS/2)", lm_bp, k, p_bp, judge(p_bp, rule)))
    koenker = linear_regression(e**2, design)
    lm_k = n * koenker.r_squared
    p_k = float(stats.chi2.sf(lm_k, k))
    tests.append(("Homoskedasticity", "Breusch-Pagan-Koenker (LM = n R^2)", lm_k, k, p_k, judge(p_k, rule)))
    d = durbin_watson(e)
    p_dw = _durbin_watson_p(d, design, seed)
    tests.append(("No autocorrelation", "Durbin-Watson (exact p, two-tailed)", d, n, p_dw, judge(p_dw, rule)))
    frame = pd.DataFrame(tests, columns=["Assumption", "Test", "Statistic", "df", "Sig.", "Verdict"])
    return RegressionAssumptions(collinearity, frame, glejser, fit, alpha)


def _design(y, X) -> np.ndarray:
    """The predictor columns of the rows the regression used (listwise, as linear_regression)."""
    from ._common import to_array

    outcome = to_array(y, "y", ndim=1)
    values = to_array(X, "X", ndim=2)
    complete = ~np.isnan(outcome) & ~np.isnan(values).any(axis=1)
    return values[complete]


def _lilliefors(e):
    """KS distance against N(mean, sd) and Lilliefors' p-value (statsmodels' table)."""
    from scipy import stats  # here, not at import: survey analytics import without scipy.stats
    x = np.sort(np.asarray(e, dtype=float))
    n = x.size
    cdf = stats.norm.cdf((x - x.mean()) / x.std(ddof=1))
    d = float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))
    try:
        from statsmodels.stats.diagnostic import lilliefors
    except ImportError:  # pragma: no cover - statsmodels is a dependency
        raise RoqInputError("X", "the Lilliefors significance needs statsmodels; pip install statsmodels") from None
    _, p = lilliefors(x, dist="norm", pvalmethod="table")
    return d, float(p)


def _durbin_watson_p(d, design, seed) -> float:
    n = design.shape[0]
    if n > _DW_MAX_N:
        raise RoqInputError("X", f"has {n} rows; the exact Durbin-Watson p-value is computed for at most {_DW_MAX_N:,}")
    full = np.column_stack([np.ones(n), design])
    q, _ = np.linalg.qr(full)
    a = np.diag(np.r_[1.0, np.full(n - 2, 2.0), 1.0]) - np.eye(n, k=1) - np.eye(n, k=-1)
    projected = a - q @ (q.T @ a)
    projected = projected - (projected @ q) @ q.T  # M A M
    nu = np.sort(np.linalg.eigvalsh((projected + projected.T) / 2))[full.shape[1]:]  # the n - k - 1 nonzero ones
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    draws = rng.chisquare(1.0, size=(_DW_DRAWS // 4, nu.size)) if nu.size * _DW_DRAWS > 5e7 else rng.chisquare(1.0, size=(_DW_DRAWS, nu.size))
    simulated = draws @ nu / draws.sum(axis=1)
    below = float(np.mean(simulated <= d))
    return float(min(1.0, 2 * min(below, 1 - below)))
