"""Questionnaire checks: item statistics, sample size, validity and reliability.

Input is a respondents x items matrix of Likert answers on a declared scale
``scale_min..scale_max`` (numpy array, nested lists or DataFrame); blank cells (None, NaN,
empty string) are missing answers, never zeros. Methods as used in Pole et al.'s claims case (Slovin sample
size, item validity against the critical Pearson r, Cronbach's alpha against 0.60).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from .._validate import check_range, compact
from ..errors import RoqInputError
from ._common import (
    TableResult,
    category_counts,
    check_choice,
    check_scale,
    format_table,
    item_labels,
    likert_matrix,
    scalar,
    significance_level,
    whole_number,
)

__all__ = [
    "ItemStatistics",
    "SampleSize",
    "ItemValidity",
    "CronbachAlpha",
    "MISSING_POLICIES",
    "VALIDITY_BASES",
    "item_statistics",
    "slovin_sample_size",
    "critical_r",
    "item_validity",
    "cronbach_alpha",
]

#: How :func:`cronbach_alpha` treats blanks.
MISSING_POLICIES = ("listwise", "pairwise")
#: Which item-total correlation :func:`item_validity` compares with the critical r.
VALIDITY_BASES = ("corrected", "uncorrected")


# --- item statistics ---------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class ItemStatistics(TableResult):
    """Per-item answer counts and moments (see :func:`item_statistics`).

    Attributes
    ----------
    items : list
        Item labels.
    categories : ndarray of int
        The scale points ``scale_min..scale_max``.
    counts : ndarray of int, shape (items, categories)
        Number of respondents choosing each category.
    n_valid, n_missing : ndarray of int
        Answers given and blanks per item.
    mean, sd : ndarray of float
        Mean and sample standard deviation (ddof = 1) of the answers given; NaN when an item
        has no answers (mean) or fewer than two (sd).
    """

    items: list
    categories: np.ndarray
    counts: np.ndarray
    n_valid: np.ndarray
    n_missing: np.ndarray
    mean: np.ndarray
    sd: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Item, N valid, N missing, Mean, SD, Count <category>...``."""
        columns = {"Item": self.items, "N valid": self.n_valid, "N missing": self.n_missing, "Mean": self.mean, "SD": self.sd}
        # one column per category, built at once (up to 101 categories; inserting them one by one fragments the frame)
        columns.update({f"Count {category}": self.counts[:, position] for position, category in enumerate(self.categories)})
        return pd.DataFrame(columns)

    def summary(self) -> str:
        return format_table("Item Statistics", self.to_frame())

    def _headline(self) -> str:
        return f"{len(self.items)} items, scale {self.categories[0]}..{self.categories[-1]}"


def item_statistics(responses, *, scale_min=1, scale_max=5, items=None) -> ItemStatistics:
    """Answer counts per category, n valid, n missing, mean and SD of every item.

    Parameters
    ----------
    responses : array_like or DataFrame, shape (respondents, items)
        Likert answers, whole numbers on ``scale_min..scale_max``; blanks are missing.
    scale_min, scale_max : int
        The declared scale (default 1..5).
    items : sequence, optional
        Item labels (default: the DataFrame's columns, else 1, 2, ...).

    Returns
    -------
    ItemStatistics
        ``.to_frame()`` has columns ``Item, N valid, N missing, Mean, SD, Count 1..Count k``.
        The mean is Pole et al.'s eq. (2) total ``sum(k * count_k)`` divided by ``n valid``.

    Examples
    --------
    >>> result = item_statistics([[5, 4], [4, None], [3, 4]])
    >>> result.mean.round(2).tolist(), result.n_missing.tolist(), result.counts[0].tolist()
    ([4.0, 4.0], [0, 1], [0, 0, 1, 1, 1])
    """
    low, high = check_scale(scale_min, scale_max)
    matrix = likert_matrix(responses, "responses", low, high)
    n_valid = (~np.isnan(matrix)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        totals = np.nansum(matrix, axis=0)
        mean = np.where(n_valid > 0, totals / np.maximum(n_valid, 1), np.nan)
        squares = np.nansum((matrix - mean) ** 2, axis=0)
        sd = np.where(n_valid > 1, np.sqrt(squares / np.maximum(n_valid - 1, 1)), np.nan)
    return ItemStatistics(
        items=item_labels(items, responses, matrix.shape[1], "responses"),
        categories=np.arange(low, high + 1),
        counts=category_counts(matrix, low, high),
        n_valid=n_valid,
        n_missing=matrix.shape[0] - n_valid,
        mean=mean,
        sd=sd,
    )


# --- sample size and critical r ----------------------------------------------------------
class SampleSize(NamedTuple):
    """Slovin's sample size: the exact value and the whole number of respondents needed."""

    exact: float
    rounded_up: int


def slovin_sample_size(population, margin_of_error=0.05) -> SampleSize:
    """Minimum sample size by Slovin's formula, ``n = N / (1 + N e^2)``.

    Parameters
    ----------
    population : float
        Population size N (at least 1).
    margin_of_error : float
        Tolerated error e as a fraction, strictly between 0 and 1 (0.05 = 5%).

    Returns
    -------
    SampleSize
        ``exact`` (a fraction of a respondent) and ``rounded_up`` (respondents to survey).

    Notes
    -----
    Slovin (1960), as used in Pole et al.'s claims case (Persamaan 1).

    Examples
    --------
    Pole et al.'s claims case: N = 70 claimants, e = 0.05 -> 59.57 -> 60 respondents.

    >>> n = slovin_sample_size(70, 0.05)
    >>> round(n.exact, 2), n.rounded_up
    (59.57, 60)
    """
    size = scalar(population, "population")
    check_range(np.asarray(size), "population", 1.0, None, what=" (people in the population)")
    error = scalar(margin_of_error, "margin_of_error")
    check_range(np.asarray(error), "margin_of_error", 0.0, 1.0, low_open=True, high_open=True, what=" (a fraction, 0.05 = 5%)")
    exact = size / (1.0 + size * error**2)
    # round before ceil so that 60.000000000001 from floating point does not become 61
    return SampleSize(exact=exact, rounded_up=int(math.ceil(round(exact, 9))))


def critical_r(n, alpha=0.05) -> float:
    """Two-tailed critical value of Pearson's r ("r tabel") for n observations.

    ``r = t / sqrt(df + t^2)`` with ``t = t_{1 - alpha/2, df}`` and ``df = n - 2``: a sample
    correlation above r is significant at level alpha.

    Parameters
    ----------
    n : int
        Number of respondents (at least 3).
    alpha : float
        Two-tailed significance level (default 0.05).

    Returns
    -------
    float

    Notes
    -----
    Inverts the t test of a Pearson correlation, ``t = r sqrt(df / (1 - r^2))``; this is
    the "r tabel" of Indonesian textbooks (e.g. Sugiyono) used in Pole et al.'s claims case.

    Examples
    --------
    Pole et al.'s pretest: 30 respondents, 5% -> r tabel 0.361.

    >>> round(critical_r(30, 0.05), 3)
    0.361
    """
    from scipy import special  # stdtrit is the t quantile; imported here, not at start-up (scipy.stats costs ~1 s more)

    count = whole_number(n, "n")
    if count < 3:
        raise RoqInputError("n", f"must be at least 3 (df = n - 2 must be positive), got {compact(count)}")
    level = significance_level(alpha)
    df = count - 2
    t = special.stdtrit(df, 1.0 - level / 2.0)
    return float(t / np.sqrt(df + t * t))


# --- covariance-based item analysis (shared by validity and alpha) ------------------------
def _covariance(matrix: np.ndarray, missing: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Item covariance matrix, item means and the respondents used.

    listwise: respondents with any blank are dropped; pairwise: each covariance uses the
    respondents answering both items (as pandas/pingouin do), each mean all answers given.
    """
    if missing == "listwise":
        complete = matrix[~np.isnan(matrix).any(axis=1)]
        if complete.shape[0] < 2:
            raise RoqInputError(
                "responses", f"has {complete.shape[0]} complete respondent(s) after listwise deletion; need at least 2"
            )
        return np.cov(complete, rowvar=False, ddof=1), complete.mean(axis=0), complete.shape[0]
    frame = pd.DataFrame(matrix)
    covariance = frame.cov().to_numpy()
    if np.isnan(covariance).any():
        i, j = np.argwhere(np.isnan(covariance))[0]
        raise RoqInputError("responses", f"items {i + 1} and {j + 1} have fewer than 2 respondents answering both")
    used = int((~np.isnan(matrix)).any(axis=1).sum())
    return covariance, frame.mean().to_numpy(), used


def _alpha_from_covariance(covariance: np.ndarray) -> float:
    """Cronbach's alpha = k/(k-1) * (1 - sum of item variances / variance of the total)."""
    k = covariance.shape[0]
    total_variance = covariance.sum()
    if k < 2 or total_variance <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(covariance) / total_variance))


def _item_total(covariance: np.ndarray) -> dict[str, np.ndarray]:
    """Item-total correlations and "if item deleted" scale variances from a covariance matrix."""
    variance = np.diag(covariance)
    with_total = covariance.sum(axis=1)  # cov(item, total)
    total_variance = covariance.sum()
    rest_variance = total_variance - 2.0 * with_total + variance  # var(total - item)
    with np.errstate(invalid="ignore", divide="ignore"):
        uncorrected = with_total / np.sqrt(variance * total_variance)
        corrected = (with_total - variance) / np.sqrt(variance * rest_variance)
    return {"uncorrected": uncorrected, "corrected": corrected, "rest_variance": rest_variance}


# --- validity ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class ItemValidity(TableResult):
    """Item validity by item-total correlation (see :func:`item_validity`).

    Attributes
    ----------
    items : list
    r_uncorrected, r_corrected : ndarray
        Pearson r of each item with the total of all items / of the other items.
    r_critical : float
        Two-tailed critical r for ``n_used`` respondents at level ``alpha``.
    verdicts : list of str
        ``"valid"`` when the chosen r (``basis``) exceeds ``r_critical``, else ``"invalid"``.
    basis : str
    alpha : float
    n_used : int
        Respondents with every item answered (listwise deletion).
    """

    items: list
    r_uncorrected: np.ndarray
    r_corrected: np.ndarray
    r_critical: float
    verdicts: list
    basis: str
    alpha: float
    n_used: int

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Item, r item-total, r corrected, r critical, Verdict``."""
        return pd.DataFrame(
            {
                "Item": self.items,
                "r item-total": self.r_uncorrected,
                "r corrected": self.r_corrected,
                "r critical": self.r_critical,
                "Verdict": self.verdicts,
            }
        )

    def summary(self) -> str:
        notes = [
            f"N = {self.n_used} complete respondents; r critical is two-tailed at alpha = {self.alpha:g}.",
            f"Verdict uses the {self.basis} item-total r: valid when r > r critical.",
        ]
        return format_table("Item Validity", self.to_frame(), notes)

    def _headline(self) -> str:
        return f"{self.verdicts.count('valid')} of {len(self.items)} items valid, r critical {self.r_critical:.3f}"


def item_validity(
    responses,
    *,
    alpha=0.05,
    basis: Literal["corrected", "uncorrected"] = "corrected",
    scale_min=1,
    scale_max=5,
    items=None,
) -> ItemValidity:
    """Validity of each item: its item-total Pearson r against the critical r.

    Parameters
    ----------
    responses : array_like or DataFrame, shape (respondents, items)
        Likert answers (at least 2 items); respondents with a blank are dropped (listwise).
    alpha : float
        Two-tailed significance level of the critical r (default 0.05).
    basis : {"corrected", "uncorrected"}
        Which r decides the verdict: ``"corrected"`` (item vs total of the *other* items,
        SPSS "Corrected Item-Total Correlation"; default, as the item's own variance
        otherwise inflates r) or ``"uncorrected"`` (item vs total of all items, the SPSS
        bivariate correlation many theses report). Both are always reported.
    scale_min, scale_max : int
        The declared scale (default 1..5).
    items : sequence, optional
        Item labels.

    Returns
    -------
    ItemValidity
        An item is valid when r > r critical (Pole et al.'s claims case: "r hitung > r tabel", positive r).
        An item with no variance has r = NaN and is reported invalid.

    Notes
    -----
    Pearson product-moment item-total correlation as printed by SPSS (Pole et al.'s claims case, Table 2),
    against :func:`critical_r` for the respondents used.

    Examples
    --------
    >>> answers = [[4, 5, 4], [2, 2, 3], [5, 4, 5], [3, 3, 2], [4, 4, 4], [1, 2, 1]]
    >>> result = item_validity(answers)
    >>> round(result.r_critical, 3), result.verdicts
    (0.811, ['valid', 'valid', 'valid'])
    """
    low, high = check_scale(scale_min, scale_max)
    check_choice(basis, "basis", VALIDITY_BASES)
    level = significance_level(alpha)
    matrix = likert_matrix(responses, "responses", low, high)
    if matrix.shape[1] < 2:
        raise RoqInputError("responses", f"needs at least 2 items (columns) for an item-total correlation, got {matrix.shape[1]}")
    covariance, _, n_used = _covariance(matrix, "listwise")
    if n_used < 3:
        raise RoqInputError("responses", f"has {n_used} complete respondents; need at least 3 for a critical r")
    correlations = _item_total(covariance)
    threshold = critical_r(n_used, level)
    chosen = correlations[basis]
    verdicts = ["valid" if r > threshold else "invalid" for r in np.nan_to_num(chosen, nan=-np.inf)]
    return ItemValidity(
        items=item_labels(items, responses, matrix.shape[1], "responses"),
        r_uncorrected=correlations["uncorrected"],
        r_corrected=correlations["corrected"],
        r_critical=threshold,
        verdicts=verdicts,
        basis=basis,
        alpha=level,
        n_used=n_used,
    )


# --- reliability -------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class CronbachAlpha(TableResult):
    """Cronbach's alpha with SPSS-style item-total statistics (see :func:`cronbach_alpha`).

    Attributes
    ----------
    alpha : float
    n_items, n_respondents : int
        Items, and respondents used (listwise: complete ones; pairwise: anyone who answered).
    verdict : str
        ``"reliable"`` when alpha > ``threshold``, else ``"not reliable"``.
    items : list
    scale_mean_if_deleted, scale_variance_if_deleted, corrected_item_total_r,
    alpha_if_deleted : ndarray
        Per item, as in SPSS's "Item-Total Statistics".
    missing : str
    threshold : float
    """

    alpha: float
    n_items: int
    n_respondents: int
    verdict: str
    items: list
    scale_mean_if_deleted: np.ndarray
    scale_variance_if_deleted: np.ndarray
    corrected_item_total_r: np.ndarray
    alpha_if_deleted: np.ndarray
    missing: str
    threshold: float

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Item, Scale mean if deleted, Scale variance if deleted,
        Corrected item-total r, Alpha if deleted``."""
        return pd.DataFrame(
            {
                "Item": self.items,
                "Scale mean if deleted": self.scale_mean_if_deleted,
                "Scale variance if deleted": self.scale_variance_if_deleted,
                "Corrected item-total r": self.corrected_item_total_r,
                "Alpha if deleted": self.alpha_if_deleted,
            }
        )

    def statistics_frame(self) -> pd.DataFrame:
        """One row: ``Cronbach's alpha, N of items, N, Threshold, Verdict``."""
        return pd.DataFrame(
            {
                "Cronbach's alpha": [self.alpha],
                "N of items": [self.n_items],
                "N": [self.n_respondents],
                "Threshold": [self.threshold],
                "Verdict": [self.verdict],
            }
        )

    def summary(self) -> str:
        return "\n\n".join(
            [
                format_table("Reliability Statistics", self.statistics_frame()),
                format_table("Item-Total Statistics", self.to_frame(), [f"Missing answers: {self.missing} deletion."]),
            ]
        )

    def _headline(self) -> str:
        return f"alpha = {self.alpha:.3f} ({self.verdict}), {self.n_items} items, N = {self.n_respondents}"


def cronbach_alpha(
    responses,
    *,
    missing: Literal["listwise", "pairwise"] = "listwise",
    threshold=0.60,
    scale_min=1,
    scale_max=5,
    items=None,
) -> CronbachAlpha:
    """Cronbach's alpha, alpha-if-item-deleted and the reliability verdict.

    ``alpha = k/(k-1) * (1 - sum(item variances) / variance(total score))`` (Cronbach 1951),
    computed from the item covariance matrix C as ``k/(k-1) * (1 - trace(C) / sum(C))``.

    Parameters
    ----------
    responses : array_like or DataFrame, shape (respondents, items)
        Likert answers, at least 2 items.
    missing : {"listwise", "pairwise"}
        ``"listwise"`` (default, SPSS): drop respondents with any blank. ``"pairwise"``: each
        covariance from the respondents answering both items (as ``pingouin.cronbach_alpha``
        with ``nan_policy="pairwise"``); item means from all answers given.
    threshold : float
        Alpha above which the scale is "reliable" (default 0.60, as in Pole et al.'s claims case).
    scale_min, scale_max : int
        The declared scale (default 1..5).
    items : sequence, optional
        Item labels.

    Returns
    -------
    CronbachAlpha
        ``.alpha`` is a float; ``.to_frame()`` the item-total statistics. With two items,
        alpha-if-deleted is NaN (one item has no alpha).

    Examples
    --------
    >>> answers = [[4, 5, 4], [2, 2, 3], [5, 4, 5], [3, 3, 2], [4, 4, 4], [1, 2, 1]]
    >>> result = cronbach_alpha(answers)
    >>> round(result.alpha, 3), result.verdict, result.alpha_if_deleted.round(3).tolist()
    (0.938, 'reliable', [0.847, 0.952, 0.915])
    """
    low, high = check_scale(scale_min, scale_max)
    check_choice(missing, "missing", MISSING_POLICIES)
    cutoff = scalar(threshold, "threshold")
    check_range(np.asarray(cutoff), "threshold", 0.0, 1.0)
    matrix = likert_matrix(responses, "responses", low, high)
    k = matrix.shape[1]
    if k < 2:
        raise RoqInputError("responses", f"needs at least 2 items (columns) for Cronbach's alpha, got {k}")
    covariance, means, used = _covariance(matrix, missing)
    alpha = _alpha_from_covariance(covariance)
    if np.isnan(alpha):
        raise RoqInputError("responses", "the total score has no variance; Cronbach's alpha is undefined")
    keep = ~np.eye(k, dtype=bool)
    alpha_if_deleted = np.array([_alpha_from_covariance(covariance[np.ix_(keep[i], keep[i])]) for i in range(k)])
    item_total = _item_total(covariance)
    return CronbachAlpha(
        alpha=alpha,
        n_items=k,
        n_respondents=used,
        verdict="reliable" if alpha > cutoff else "not reliable",
        items=item_labels(items, responses, k, "responses"),
        scale_mean_if_deleted=means.sum() - means,
        scale_variance_if_deleted=item_total["rest_variance"],
        corrected_item_total_r=item_total["corrected"],
        alpha_if_deleted=alpha_if_deleted,
        missing=missing,
        threshold=cutoff,
    )
