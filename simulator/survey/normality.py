"""AMOS's "Assessment of normality" and "Observations farthest from the centroid".

Univariate skewness and kurtosis use the moments with divisor N, as AMOS does:
skew = m3 / m2^1.5 with c.r. = skew / sqrt(6 / N); kurtosis = m4 / m2^2 - 3 with
c.r. = kurtosis / sqrt(24 / N). Mardia's (1970) multivariate kurtosis is
b2,p - p (p + 2), b2,p = mean of d_i^4 with d_i^2 the squared Mahalanobis distance under
the covariance of divisor N, and c.r. = (b2,p - p (p + 2)) / sqrt(8 p (p + 2) / N).
Mahalanobis d^2 are listed largest first with p1 = P(chi2_p > d^2) and p2 = the
probability that the i-th largest of N such distances exceeds d^2_(i), i.e.
P(Binomial(N, p1) >= i) (Arbuckle, AMOS User's Guide).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from ._common import TableResult, format_table, to_array
from .sem import _one_blas_thread
from .sem_fit import judge

__all__ = ["NORMALITY_CUTOFFS", "NormalityAssessment", "MahalanobisDistances", "assessment_of_normality", "mahalanobis_distances"]

#: |c.r.| of skewness and kurtosis within +-2.58 (1% two-tailed, Hair et al.); outliers at p1 < 0.001.
NORMALITY_CUTOFFS = {"c.r.": ("<=", 2.58), "p1": (">=", 0.001)}


def _complete(data, name="data"):
    if not isinstance(data, pd.DataFrame):
        raise RoqInputError(name, f"must be a table with item names as headers (a DataFrame), got {type(data).__name__}")
    values = to_array(data, name, ndim=2)
    complete = ~np.isnan(values).any(axis=1)
    values = values[complete]
    if values.shape[0] < 4:
        raise RoqInputError(name, f"has {values.shape[0]} complete rows; need at least 4")
    spread = np.ptp(values, axis=0)
    if (spread == 0).any():
        raise RoqInputError(name, f"item {data.columns[int(np.flatnonzero(spread == 0)[0])]!r} is constant")
    return values, [str(c) for c in data.columns], int((~complete).sum())


@dataclass(frozen=True, eq=False, repr=False)
class NormalityAssessment(TableResult):
    """Per item ``Variable, min, max, skew, c.r., kurtosis, c.r.`` and Mardia's row ``Multivariate``."""

    table: pd.DataFrame
    mardia: float
    mardia_cr: float
    n: int

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def summary(self) -> str:
        return format_table("Assessment of normality", self.table,
                            [f"N = {self.n}; c.r. beyond +-2.58 marks non-normality at 1% (Verdict); the last row is Mardia's multivariate kurtosis."])

    def _headline(self) -> str:
        return f"Mardia kurtosis {self.mardia:.3f}, c.r. {self.mardia_cr:.3f}"


@_one_blas_thread
def assessment_of_normality(data) -> NormalityAssessment:
    """AMOS's assessment of normality of a respondents x items table (complete rows).

    Returns
    -------
    NormalityAssessment
        ``table`` columns ``Variable, min, max, skew, c.r. skew, kurtosis, c.r. kurtosis,
        Verdict`` (``"fit"`` = both |c.r.| <= 2.58), last row ``Multivariate`` with Mardia's
        kurtosis and its c.r.

    Examples
    --------
    >>> import pandas as pd
    >>> t = assessment_of_normality(pd.DataFrame({"a": [1, 2, 3, 4, 10], "b": [2, 1, 4, 3, 5]}))
    >>> round(float(t.table.loc[0, "skew"]), 3)
    1.138
    """
    values, names, _ = _complete(data)
    n, p = values.shape
    centred = values - values.mean(axis=0)
    m2 = (centred**2).mean(axis=0)
    skew = (centred**3).mean(axis=0) / m2**1.5
    kurt = (centred**4).mean(axis=0) / m2**2 - 3
    cr_s = skew / np.sqrt(6 / n)
    cr_k = kurt / np.sqrt(24 / n)
    cov = centred.T @ centred / n
    d2 = np.einsum("ij,ij->i", centred @ np.linalg.inv(cov), centred)
    mardia = float(np.mean(d2**2) - p * (p + 2))
    mardia_cr = mardia / np.sqrt(8 * p * (p + 2) / n)
    rule = NORMALITY_CUTOFFS["c.r."]
    verdicts = ["fit" if judge(abs(a), rule) == "fit" and judge(abs(b), rule) == "fit" else "not fit" for a, b in zip(cr_s, cr_k)]
    table = pd.DataFrame({"Variable": names, "min": values.min(axis=0), "max": values.max(axis=0), "skew": skew, "c.r. skew": cr_s,
                          "kurtosis": kurt, "c.r. kurtosis": cr_k, "Verdict": verdicts})
    multi = pd.DataFrame({"Variable": ["Multivariate"], "min": [np.nan], "max": [np.nan], "skew": [np.nan], "c.r. skew": [np.nan],
                          "kurtosis": [mardia], "c.r. kurtosis": [mardia_cr], "Verdict": [judge(abs(mardia_cr), rule)]})
    return NormalityAssessment(pd.concat([table, multi], ignore_index=True), mardia, float(mardia_cr), n)


@dataclass(frozen=True, eq=False, repr=False)
class MahalanobisDistances(TableResult):
    """``Observation, Mahalanobis d-squared, p1, p2, Outlier`` sorted by d-squared, largest first."""

    table: pd.DataFrame
    n: int
    p: int

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def summary(self) -> str:
        return format_table("Observations farthest from the centroid (Mahalanobis distance)", self.table.head(20),
                            [f"N = {self.n}, {self.p} items; Outlier when p1 < 0.001 (d-squared above chi-square({self.p}) at 0.1%)."])

    def _headline(self) -> str:
        return f"{int((self.table['Outlier'] == 'outlier').sum())} outlier(s) of {self.n}"


@_one_blas_thread
def mahalanobis_distances(data) -> MahalanobisDistances:
    """Squared Mahalanobis distances of the respondents with AMOS's p1 and p2.

    Observation numbers are 1-based positions among the complete rows.

    Examples
    --------
    >>> import pandas as pd
    >>> m = mahalanobis_distances(pd.DataFrame({"a": [1, 2, 3, 4, 10], "b": [2, 1, 4, 3, 5]}))
    >>> int(m.table.loc[0, "Observation"])
    5
    """
    from scipy import stats  # here, not at import: survey analytics import without scipy.stats
    values, names, _ = _complete(data)
    n, p = values.shape
    centred = values - values.mean(axis=0)
    cov = centred.T @ centred / n
    d2 = np.einsum("ij,ij->i", centred @ np.linalg.inv(cov), centred)
    order = np.argsort(-d2, kind="stable")
    d_sorted = d2[order]
    p1 = stats.chi2.sf(d_sorted, p)
    p2 = stats.binom.sf(np.arange(n) , n, p1)  # P(Bin(N, p1) >= i) for the i-th largest, i = 1..N
    outlier = ["outlier" if judge(v, NORMALITY_CUTOFFS["p1"]) == "not fit" else "" for v in p1]
    table = pd.DataFrame({"Observation": order + 1, "Mahalanobis d-squared": d_sorted, "p1": p1, "p2": p2, "Outlier": outlier})
    return MahalanobisDistances(table, n, p)
