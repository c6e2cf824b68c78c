"""Which service indicators move renewal: binary logistic regression, reported as SPSS does.

:func:`logistic_regression` fits ``logit P(y = 1) = b0 + b'x`` by maximum likelihood
(Newton-Raphson, i.e. iteratively reweighted least squares, with step halving) and reports
the tables an SPSS user reads in "Binary Logistic Regression":

- **Variables in the Equation**: B, S.E. (inverse information), Wald = (B / S.E.)^2, df,
  Sig. (chi-square, 1 df), Exp(B) and its 95% C.I. ``exp(B -/+ z S.E.)``;
- **Omnibus Tests of Model Coefficients**: chi-square = 2 (LL - LL0), df = k, Sig.;
- **Model Summary**: -2 Log likelihood, Cox & Snell R^2 = 1 - exp(2 (LL0 - LL) / n),
  Nagelkerke R^2 = Cox & Snell / (1 - exp(2 LL0 / n)) (Nagelkerke 1991);
- **Hosmer and Lemeshow Test** (Hosmer & Lemeshow 1980): cases sorted by predicted
  probability, about ten groups of equal size with tied probabilities kept together
  (as SPSS does), chi-square = sum (O - E)^2 / E over both outcomes, df = groups - 2;
- **Classification Table** at a cut value (0.5 by default);
- **Area under the ROC curve** (Mann-Whitney with mid-ranks; Hanley & McNeil 1982
  standard error and asymptotic interval);
- **average marginal effects** dP/dx (mean over cases of p (1 - p) b) with delta-method
  standard errors (what statsmodels' ``get_margeff(at="overall")`` reports).

:func:`renewal_drivers` builds the data from a policy table: one case per customer and
period with a next period, ``y`` = the account renewed (active in the next period), ``x``
= the customer's survey scores of that period; cases with a missing score are dropped
(listwise, as SPSS does) and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, ndtri

from ..errors import RoqInputError
from .portfolio import Portfolio, SCORE_COLUMNS
from .retention import customer_periods

__all__ = ["LogisticResult", "logistic_regression", "renewal_drivers", "driver_data", "period_means", "hosmer_lemeshow_groups", "auc"]

_MAX_ITERATIONS = 100


class LogisticResult:
    """A fitted binary logistic regression (see the module docstring for every statistic).

    Attributes
    ----------
    names : list of str
        "Constant" first, then the predictors.
    params, bse : ndarray
        B and S.E. in ``names`` order.
    cov : ndarray
        Covariance matrix of B (inverse of the information matrix).
    llf, llnull : float
        Log-likelihood of the model and of the constant-only model.
    n, n_events : int
    iterations : int
    probabilities : ndarray
        Fitted P(y = 1) per case.
    conf_level, cut_value : float
    dropped : int
        Cases dropped for a missing value (set by :func:`renewal_drivers`).
    """

    def __init__(self, names, params, cov, llf, llnull, y, X, p, iterations, conf_level, cut_value):
        self.names = list(names)
        self.params = params
        self.cov = cov
        self.bse = np.sqrt(np.diag(cov))
        self.llf = float(llf)
        self.llnull = float(llnull)
        self.n = int(len(y))
        self.n_events = int(y.sum())
        self.iterations = iterations
        self.probabilities = p
        self.conf_level = conf_level
        self.cut_value = cut_value
        self.dropped = 0
        self._y = y
        self._X = X

    # -- SPSS tables
    def coefficients(self) -> pd.DataFrame:
        """Variables in the Equation: B, S.E., Wald, df, Sig., Exp(B), lower, upper (C.I. for Exp(B))."""
        z = ndtri(1 - (1 - self.conf_level) / 2)
        wald = (self.params / self.bse) ** 2
        level = f"{self.conf_level:.0%}"
        frame = pd.DataFrame(
            {
                "B": self.params,
                "S.E.": self.bse,
                "Wald": wald,
                "df": np.ones(len(self.params), dtype=np.int64),
                "Sig.": stats.chi2.sf(wald, 1),
                "Exp(B)": np.exp(self.params),
                f"{level} C.I. lower": np.exp(self.params - z * self.bse),
                f"{level} C.I. upper": np.exp(self.params + z * self.bse),
            },
            index=pd.Index(self.names, name="Variable"),
        )
        # SPSS lists the constant last
        return frame.loc[self.names[1:] + self.names[:1]]

    @property
    def odds_ratios(self) -> pd.Series:
        return pd.Series(np.exp(self.params[1:]), index=self.names[1:], name="Exp(B)")

    def omnibus(self) -> dict:
        """Omnibus Tests of Model Coefficients (model step): chi-square, df, Sig."""
        chi2 = 2.0 * (self.llf - self.llnull)
        df = len(self.params) - 1
        return {"Chi-square": chi2, "df": df, "Sig.": float(stats.chi2.sf(chi2, df))}

    def model_summary(self) -> dict:
        """Model Summary: -2 Log likelihood, Cox & Snell R Square, Nagelkerke R Square."""
        cox_snell = 1.0 - np.exp(2.0 * (self.llnull - self.llf) / self.n)
        maximum = 1.0 - np.exp(2.0 * self.llnull / self.n)
        return {"-2 Log likelihood": -2.0 * self.llf, "Cox & Snell R Square": float(cox_snell), "Nagelkerke R Square": float(cox_snell / maximum)}

    def hosmer_lemeshow(self, groups: int = 10) -> dict:
        """Hosmer and Lemeshow Test: Chi-square, df, Sig. and the contingency table."""
        return hosmer_lemeshow_groups(self._y, self.probabilities, groups)

    def classification(self, cut_value: float | None = None) -> pd.DataFrame:
        """Classification Table: observed rows x predicted columns, with Percentage Correct."""
        cut = self.cut_value if cut_value is None else float(cut_value)
        predicted = self.probabilities >= cut  # SPSS: predicted 1 when P >= cut value
        y = self._y.astype(bool)
        table = pd.DataFrame(
            {
                "Predicted 0": [np.sum(~y & ~predicted), np.sum(y & ~predicted), np.nan],
                "Predicted 1": [np.sum(~y & predicted), np.sum(y & predicted), np.nan],
            },
            index=pd.Index(["Observed 0", "Observed 1", "Overall Percentage"], name=f"Cut value {cut:g}"),
        )
        correct = [np.mean(~predicted[~y]) * 100 if (~y).any() else np.nan, np.mean(predicted[y]) * 100 if y.any() else np.nan,
                   np.mean(predicted == y) * 100]
        table["Percentage Correct"] = correct
        return table

    def auc(self) -> dict:
        """Area under the ROC curve with its standard error and interval."""
        return auc(self._y, self.probabilities, conf_level=self.conf_level)

    def marginal_effects(self) -> pd.DataFrame:
        """Average marginal effects dP/dx (per unit of each predictor) with delta-method S.E."""
        p = self.probabilities
        X = np.column_stack([np.ones(len(p)), self._X])
        weight = p * (1 - p)
        mean_weight = weight.mean()
        beta = self.params
        effects = mean_weight * beta[1:]
        # d AME_k / d beta_j = mean(p(1-p)(1-2p) x_j) beta_k + mean(p(1-p)) [j == k]
        derivative = (weight * (1 - 2 * p)) @ X / len(p)
        jacobian = np.outer(beta[1:], derivative)
        jacobian[:, 1:] += mean_weight * np.eye(len(beta) - 1)
        se = np.sqrt(np.diag(jacobian @ self.cov @ jacobian.T))
        z = ndtri(1 - (1 - self.conf_level) / 2)
        return pd.DataFrame(
            {"dP/dx": effects, "S.E.": se, "z": effects / se, "Sig.": 2 * stats.norm.sf(np.abs(effects / se)),
             "lower": effects - z * se, "upper": effects + z * se},
            index=pd.Index(self.names[1:], name="Variable"),
        )

    def predict(self, X) -> np.ndarray:
        """P(y = 1) for new cases (rows of predictors, without the constant)."""
        X = np.asarray(X, dtype=float)
        X = X.reshape(1, -1) if X.ndim == 1 else X
        return expit(self.params[0] + X @ self.params[1:])

    def fit_statistics(self) -> dict:
        """Every one-number statistic in one mapping (the Excel fit table)."""
        out = {"N": self.n, "Renewed (y = 1)": self.n_events, "Dropped (missing)": self.dropped}
        out.update(self.model_summary())
        omnibus = self.omnibus()
        out.update({"Omnibus chi-square": omnibus["Chi-square"], "Omnibus df": omnibus["df"], "Omnibus Sig.": omnibus["Sig."]})
        hl = self.hosmer_lemeshow()
        out.update({"Hosmer-Lemeshow chi-square": hl["Chi-square"], "Hosmer-Lemeshow df": hl["df"], "Hosmer-Lemeshow Sig.": hl["Sig."]})
        out["Percentage correct"] = float(self.classification().loc["Overall Percentage", "Percentage Correct"])
        a = self.auc()
        out.update({"AUC": a["AUC"], "AUC S.E.": a["S.E."], "AUC lower": a["lower"], "AUC upper": a["upper"]})
        out["Iterations"] = self.iterations
        return out

    def to_frame(self) -> pd.DataFrame:
        return self.coefficients()

    def summary(self) -> str:
        fmt = lambda v: f"{v:.4f}"  # noqa: E731
        parts = [f"Binary logistic regression (renewal): N = {self.n}, renewed = {self.n_events}, dropped (missing) = {self.dropped}, "
                 f"converged in {self.iterations} iterations"]
        omnibus = self.omnibus()
        parts.append(f"\nOmnibus Tests of Model Coefficients: Chi-square = {omnibus['Chi-square']:.3f}, df = {omnibus['df']}, Sig. = {omnibus['Sig.']:.4g}")
        ms = self.model_summary()
        parts.append("Model Summary: " + ", ".join(f"{k} = {v:.4f}" for k, v in ms.items()))
        hl = self.hosmer_lemeshow()
        parts.append(f"Hosmer and Lemeshow Test: Chi-square = {hl['Chi-square']:.3f}, df = {hl['df']}, Sig. = {hl['Sig.']:.4f}")
        a = self.auc()
        parts.append(f"Area under the ROC curve = {a['AUC']:.4f} (S.E. {a['S.E.']:.4f}, {self.conf_level:.0%} C.I. {a['lower']:.4f} - {a['upper']:.4f})")
        parts.append("\nClassification Table\n" + self.classification().to_string(float_format=lambda v: f"{v:.1f}", na_rep=""))
        parts.append("\nVariables in the Equation\n" + self.coefficients().to_string(float_format=fmt))
        parts.append("\nAverage marginal effects (change in P(renew) per scale point)\n" + self.marginal_effects().to_string(float_format=fmt))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return self.summary()


def logistic_regression(y, X, names=None, *, conf_level: float = 0.95, cut_value: float = 0.5, tolerance: float = 1e-10) -> LogisticResult:
    """Maximum-likelihood binary logistic regression by Newton-Raphson (IRLS).

    Parameters
    ----------
    y : array of 0/1
        The outcome (1 = renewed).
    X : 2-D array (cases x predictors)
        Predictors without the constant (added here).
    names : sequence of str, optional
        Predictor names (default x1, x2, ...).
    conf_level : float
        For the C.I. of Exp(B), the marginal effects and the AUC (default 0.95).
    cut_value : float
        Classification cut (SPSS default 0.5).
    tolerance : float
        Stop when the largest Newton step in B is below it.

    Returns
    -------
    LogisticResult

    Examples
    --------
    >>> rng = np.random.default_rng(0); x = rng.normal(size=(500, 1))
    >>> y = (rng.random(500) < 1 / (1 + np.exp(-(0.5 + x[:, 0])))).astype(float)
    >>> r = logistic_regression(y, x, ["trust"])
    >>> r.coefficients().round(3).loc["trust", ["B", "Exp(B)"]].tolist()
    [1.253, 3.502]
    """
    y = np.asarray(y, dtype=float).reshape(-1)
    X = np.asarray(X, dtype=float)
    X = X.reshape(-1, 1) if X.ndim == 1 else X
    if X.shape[0] != len(y):
        raise RoqInputError("X", f"must have one row per case ({len(y)}), got {X.shape[0]}")
    names = [f"x{j + 1}" for j in range(X.shape[1])] if names is None else [str(n) for n in names]
    if len(names) != X.shape[1]:
        raise RoqInputError("names", f"must name each of the {X.shape[1]} predictors, got {len(names)}")
    if not np.isin(y, (0.0, 1.0)).all():
        raise RoqInputError("y", "must be 0 or 1 for every case (1 = renewed)")
    if not np.isfinite(X).all():
        raise RoqInputError("X", "has a missing or infinite value (drop incomplete cases first)")
    if not 0 < conf_level < 1:
        raise RoqInputError("conf_level", f"must be between 0 and 1 (0.95 = 95%), got {conf_level}")
    k = X.shape[1] + 1
    if len(y) <= k:
        raise RoqInputError("y", f"needs more cases ({len(y)}) than coefficients ({k})")
    if y.min() == y.max():
        raise RoqInputError("y", f"every case has the same outcome ({int(y[0])}): nothing to explain")
    design = np.column_stack([np.ones(len(y)), X])
    if np.linalg.matrix_rank(design) < k:
        raise RoqInputError("X", "predictors are collinear (a column is constant or a combination of others)")
    mean_y = y.mean()
    beta = np.zeros(k)
    beta[0] = np.log(mean_y / (1 - mean_y))

    def loglik(b):
        eta = design @ b
        return float(np.sum(y * eta - np.logaddexp(0.0, eta)))

    current = loglik(beta)
    for iteration in range(1, _MAX_ITERATIONS + 1):
        p = expit(design @ beta)
        weight = p * (1 - p)
        information = (design * weight[:, None]).T @ design
        try:
            step = np.linalg.solve(information, design.T @ (y - p))
        except np.linalg.LinAlgError:
            raise RoqInputError("y", "the outcome is (almost) perfectly separated by a predictor: odds ratios are not finite") from None
        scale = 1.0
        while True:  # step halving keeps every iteration uphill
            candidate = beta + scale * step
            value = loglik(candidate)
            if value >= current - 1e-12 * abs(current) or scale < 1e-8:
                break
            scale /= 2
        beta, current = candidate, value
        if np.max(np.abs(scale * step)) < tolerance:
            break
        if np.max(np.abs(beta)) > 50:
            break  # diverging: separation (refused below)
    else:
        raise RoqInputError("y", "the fit did not converge: the outcome is (almost) perfectly separated by a predictor")
    if np.max(np.abs(beta)) > 30:
        raise RoqInputError("y", "the outcome is (almost) perfectly separated by a predictor: odds ratios are not finite")
    p = expit(design @ beta)
    information = (design * (p * (1 - p))[:, None]).T @ design
    cov = np.linalg.inv(information)
    llnull = float(len(y) * (mean_y * np.log(mean_y) + (1 - mean_y) * np.log(1 - mean_y)))
    return LogisticResult(["Constant"] + names, beta, cov, current, llnull, y, X, p, iteration, conf_level, cut_value)


def hosmer_lemeshow_groups(y, p, groups: int = 10) -> dict:
    """Hosmer-Lemeshow goodness of fit: about ``groups`` groups by predicted probability.

    Cases are sorted by ``p``; group ``g`` ends at the case ``ceil(n g / groups)``, and all
    cases tied with a group's last probability stay in that group (SPSS keeps ties
    together, so fewer than ``groups`` groups can result).

    Returns
    -------
    dict
        ``Chi-square``, ``df`` (groups - 2), ``Sig.`` and ``table`` (per group: size,
        observed and expected 0s and 1s).
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    ps, ys = p[order], y[order]
    n = len(p)
    label = np.empty(n, dtype=np.int64)
    start, g = 0, 0
    while start < n:
        stop = max(int(np.ceil(n * (g + 1) / groups)), start + 1)
        stop = min(stop, n)
        # keep ties together: extend to the last case with the same probability
        stop = int(np.searchsorted(ps, ps[stop - 1], side="right"))
        label[start:stop] = g
        start, g = stop, g + 1
    size = np.bincount(label).astype(float)
    observed1 = np.bincount(label, weights=ys)
    expected1 = np.bincount(label, weights=ps)
    observed0, expected0 = size - observed1, size - expected1
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected1 > 0, (observed1 - expected1) ** 2 / expected1, 0.0) + np.where(expected0 > 0, (observed0 - expected0) ** 2 / expected0, 0.0)
    chi2 = float(terms.sum())
    df = max(g - 2, 1)
    table = pd.DataFrame({"Total": size.astype(np.int64), "Observed 0": observed0, "Expected 0": expected0, "Observed 1": observed1, "Expected 1": expected1},
                         index=pd.RangeIndex(1, g + 1, name="Group"))
    return {"Chi-square": chi2, "df": df, "Sig.": float(stats.chi2.sf(chi2, df)), "table": table}


def auc(y, score, *, conf_level: float = 0.95) -> dict:
    """Area under the ROC curve: P(score of a 1 > score of a 0) + half the ties.

    Mann-Whitney statistic with mid-ranks; standard error of Hanley & McNeil (1982),
    ``sqrt((A (1 - A) + (n1 - 1)(Q1 - A^2) + (n0 - 1)(Q2 - A^2)) / (n1 n0))`` with
    ``Q1 = A / (2 - A)``, ``Q2 = 2 A^2 / (1 + A)``; interval ``A -/+ z S.E.``.
    """
    y = np.asarray(y, dtype=bool)
    score = np.asarray(score, dtype=float)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        raise RoqInputError("y", "needs both outcomes (renewed and lapsed) for an AUC")
    ranks = stats.rankdata(score)
    area = (ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    q1, q2 = area / (2 - area), 2 * area**2 / (1 + area)
    se = float(np.sqrt((area * (1 - area) + (n1 - 1) * (q1 - area**2) + (n0 - 1) * (q2 - area**2)) / (n1 * n0)))
    z = ndtri(1 - (1 - conf_level) / 2)
    return {"AUC": float(area), "S.E.": se, "lower": float(max(area - z * se, 0.0)), "upper": float(min(area + z * se, 1.0))}


def period_means(portfolio: Portfolio, cp, columns) -> np.ndarray:
    """Per customer-period (``cp`` from :func:`~simulator.records.retention.customer_periods`),
    the mean of each column over the customer's rows of that period (NaN when none is given)."""
    n_cells = len(cp.customer)
    X = np.empty((n_cells, len(columns)))
    for j, name in enumerate(columns):
        values = portfolio.policies[name].to_numpy()
        present = ~np.isnan(values)
        total = np.bincount(cp.row_index, weights=np.where(present, values, 0.0), minlength=n_cells)
        count = np.bincount(cp.row_index, weights=present.astype(float), minlength=n_cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            X[:, j] = np.where(count > 0, total / np.where(count > 0, count, 1.0), np.nan)
    return X


def driver_data(portfolio: Portfolio, drivers=None) -> tuple[np.ndarray, np.ndarray, list[str], int, dict]:
    """The renewal cases of a portfolio: ``(y, X, names, dropped, index)``.

    One case per customer and period that has a next period in the table; ``y`` = 1
    when the customer is active in the next period; ``X`` = the mean of each driver
    column over the customer's policy rows of that period. ``index`` holds the cases'
    ``customer`` codes and ``period``.
    """
    if drivers is None:
        drivers = [c for c in portfolio.score_columns]
        if not drivers:
            raise RoqInputError("drivers", f"{portfolio.source} has no survey-score columns ({', '.join(SCORE_COLUMNS)})")
    else:
        drivers = [str(d).strip().lower().replace(" ", "_") for d in ([drivers] if isinstance(drivers, str) else drivers)]
        if not drivers:
            raise RoqInputError("drivers", "is empty: name at least one score column")
        for name in drivers:
            if name not in portfolio.policies.columns or portfolio.policies[name].dtype.kind != "f":
                raise RoqInputError("drivers", f"{name!r} is not a numeric column of {portfolio.source} (score columns: {', '.join(portfolio.score_columns) or 'none'})")
    cp = customer_periods(portfolio)
    X = period_means(portfolio, cp, drivers)
    cases = cp.observed_next
    complete = cases & np.isfinite(X).all(axis=1)
    dropped = int(cases.sum() - complete.sum())
    return cp.active_next[complete].astype(float), X[complete], drivers, dropped, {"customer": cp.customer[complete], "period": cp.period[complete]}


def renewal_drivers(portfolio: Portfolio, drivers=None, *, conf_level: float = 0.95, cut_value: float = 0.5) -> LogisticResult:
    """Logistic regression of account renewal on the service indicators of a portfolio.

    Parameters
    ----------
    portfolio : Portfolio
    drivers : sequence of str, optional
        Score columns (default: every survey-score column present: experience, trust,
        effort, complaint_resolution).
    conf_level, cut_value : float
        As in :func:`logistic_regression`.

    Returns
    -------
    LogisticResult
        With ``dropped`` = cases left out for a missing score.
    """
    y, X, names, dropped, _ = driver_data(portfolio, drivers)
    if len(y) == 0:
        raise RoqInputError("drivers", "no customer-period has a next period and complete scores: nothing to fit")
    result = logistic_regression(y, X, names, conf_level=conf_level, cut_value=cut_value)
    result.dropped = dropped
    return result
