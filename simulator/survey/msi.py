"""Method of Successive Intervals: ordinal Likert answers -> interval-scale scores.

Answer frequencies become proportions and cumulative proportions; the normal quantiles of
the cumulative proportions are the category boundaries ``z_j``. The standard MSI (Hays
1967; Sugiyono's "Metode Suksesif Interval") gives category j the mean of the standard
normal over its interval,

    scale value_j = (pdf(z_{j-1}) - pdf(z_j)) / (cum_j - cum_{j-1}),

then shifts all values so that the lowest category scores 1. Singgih's case (Table 3) uses a
variant, ``method="midpoint"``: the normal quantile of each category's cumulative-interval
midpoint ``cum_{j-1} + p_j / 2``.

Empty categories (nobody chose them) have a zero-width interval: they do not move the
other boundaries, get scale value NaN, and are listed in ``empty_categories``; the scale
of the other categories is computed as usual and "lowest category" means the lowest
non-empty one. A category chosen by everybody scores 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from ._common import (
    TableResult,
    category_counts,
    check_choice,
    check_scale,
    format_table,
    item_labels,
    likert_matrix,
    to_array,
)

__all__ = ["MSI_METHODS", "SuccessiveIntervals", "MSITransform", "successive_intervals", "msi_transform"]

#: Scale-value rules of :func:`successive_intervals`.
MSI_METHODS = ("standard", "midpoint")


@dataclass(frozen=True, eq=False, repr=False)
class SuccessiveIntervals(TableResult):
    """The MSI table of one set of answer frequencies (see :func:`successive_intervals`).

    Attributes
    ----------
    categories : ndarray
        Category values (1..k by default).
    counts, proportions, cumulative : ndarray
        Frequencies, their shares and the running total of shares.
    midpoints : ndarray
        ``cum_{j-1} + p_j / 2`` (used by the midpoint method; NaN for empty categories).
    z : ndarray
        standard: normal quantile of ``cumulative`` (upper boundary, +inf for the last);
        midpoint: normal quantile of ``midpoints``.
    density : ndarray
        Standard normal density at ``z``.
    scale_values : ndarray
        standard: mean of the normal over the category's interval; midpoint: ``z``.
    interval_values : ndarray
        ``scale_values`` shifted so that the lowest non-empty category is 1 (NaN if empty).
    method : str
    empty_categories : list
        Categories nobody chose.
    """

    categories: np.ndarray
    counts: np.ndarray
    proportions: np.ndarray
    cumulative: np.ndarray
    midpoints: np.ndarray
    z: np.ndarray
    density: np.ndarray
    scale_values: np.ndarray
    interval_values: np.ndarray
    method: str
    empty_categories: list

    @property
    def mapping(self) -> dict:
        """``{category: interval value}`` for the non-empty categories."""
        return {
            c.item(): float(v)
            for c, v in zip(self.categories, self.interval_values)
            if not np.isnan(v)
        }

    def transform(self, answers) -> np.ndarray:
        """Replace each answer by its category's interval value (blanks stay NaN)."""
        values = to_array(answers, "answers")
        out = np.full(values.shape, np.nan)
        for category, value in zip(self.categories, self.interval_values):
            out[values == category] = value
        unknown = ~np.isnan(values) & np.isnan(out)
        if unknown.any():
            raise RoqInputError("answers", f"value {values[unknown].flat[0]:g} is not a non-empty category of this scale")
        return out

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Category, Count, Proportion, Cumulative, [Midpoint,] Z, [Density,]
        Scale value, Interval value`` (Midpoint for the midpoint method, Density for the
        standard one)."""
        frame = pd.DataFrame(
            {
                "Category": self.categories,
                "Count": self.counts,
                "Proportion": self.proportions,
                "Cumulative": self.cumulative,
            }
        )
        if self.method == "midpoint":
            frame["Midpoint"] = self.midpoints
        frame["Z"] = self.z
        if self.method == "standard":
            frame["Density"] = self.density
        frame["Scale value"] = self.scale_values
        frame["Interval value"] = self.interval_values
        return frame

    def summary(self) -> str:
        notes = [f"Method: {self.method}; interval value = scale value shifted so the lowest non-empty category is 1."]
        if self.empty_categories:
            notes.append(f"Empty categories (no scale value): {', '.join(str(c) for c in self.empty_categories)}.")
        return format_table("Method of Successive Intervals", self.to_frame(), notes, digits=6)

    def _headline(self) -> str:
        values = ", ".join(f"{c}->{v:.4f}" for c, v in self.mapping.items())
        return f"{self.method}: {values}"



def _normal_density(z):
    """Standard normal density, 0 at +-inf (as scipy.stats.norm.pdf)."""
    return np.exp(-0.5 * np.square(z)) / np.sqrt(2.0 * np.pi)

def successive_intervals(
    counts, *, method: Literal["standard", "midpoint"] = "standard", categories=None
) -> SuccessiveIntervals:
    """Interval-scale values of ordered categories from their answer frequencies (MSI).

    Parameters
    ----------
    counts : array_like of int
        How many answers fell in each category, lowest category first (non-negative whole
        numbers, not all zero).
    method : {"standard", "midpoint"}
        ``"standard"`` (default): Hays' successive-intervals scale value, the mean of the
        standard normal between the category's boundaries. ``"midpoint"``: the normal
        quantile of the category's cumulative-interval midpoint (Singgih's case).
    categories : array_like, optional
        Category values (default 1, 2, ..., len(counts)).

    Returns
    -------
    SuccessiveIntervals
        ``.interval_values`` are the transformed scores (lowest non-empty category = 1);
        empty categories get NaN and are listed in ``.empty_categories``.

    Notes
    -----
    Hays, W. L. (1967), *Quantification in Psychology*; Sugiyono / Al-Rasyid's MSI steps.
    Singgih's Table 3 prints the third midpoint of counts 166/820/274 as 0.957143 and its
    z as 1.71845; the midpoint is 0.782540 + 0.217460 / 2 = 0.891270, z = 1.23331.

    Examples
    --------
    The textbook worked example, frequencies 3, 4, 13, 6, 4:

    >>> msi = successive_intervals([3, 4, 13, 6, 4])
    >>> msi.interval_values.round(6).tolist()
    [1.0, 1.775526, 2.622275, 3.496614, 4.369536]

    Singgih's midpoint variant (counts 166, 820, 274):

    >>> successive_intervals([166, 820, 274], method="midpoint").z.round(5).tolist()
    [-1.50725, -0.10763, 1.23331]
    """
    from scipy import special  # ndtri is the normal quantile; imported here, not at start-up (scipy.stats costs ~1 s more)

    check_choice(method, "method", MSI_METHODS)
    frequencies = to_array(counts, "counts", ndim=1, allow_missing=False)
    if frequencies.size == 0:
        raise RoqInputError("counts", "is empty; give one frequency per category")
    if (frequencies < 0).any() or (frequencies != np.round(frequencies)).any():
        bad = frequencies[(frequencies < 0) | (frequencies != np.round(frequencies))][0]
        raise RoqInputError("counts", f"must be non-negative whole numbers (answer frequencies), got {bad:g}")
    total = frequencies.sum()
    if total <= 0:
        raise RoqInputError("counts", "are all zero; nobody answered")
    if categories is None:
        labels = np.arange(1, frequencies.size + 1)
    else:
        labels = to_array(categories, "categories", ndim=1, allow_missing=False)
        if labels.size != frequencies.size:
            raise RoqInputError("categories", f"has {labels.size} values but counts has {frequencies.size}")
        if (np.diff(labels) <= 0).any():
            raise RoqInputError("categories", "must be increasing (lowest category first)")
        if (labels == np.round(labels)).all():
            labels = labels.astype(int)

    proportions = frequencies / total
    cumulative = np.cumsum(frequencies) / total  # from integer sums, so the last one is exactly 1
    lower = np.concatenate(([0.0], cumulative[:-1]))
    empty = frequencies == 0
    midpoints = np.where(empty, np.nan, lower + proportions / 2.0)
    if method == "standard":
        z = special.ndtri(cumulative)  # -inf/+inf at 0/1: density 0 there
        density = _normal_density(z)
        density_lower = np.concatenate(([0.0], density[:-1]))
        with np.errstate(invalid="ignore", divide="ignore"):
            scale_values = np.where(empty, np.nan, (density_lower - density) / np.where(empty, 1.0, proportions))
    else:
        z = special.ndtri(midpoints)
        density = _normal_density(z)
        scale_values = z.copy()
    interval_values = scale_values - np.nanmin(scale_values) + 1.0
    return SuccessiveIntervals(
        categories=labels,
        counts=frequencies.astype(int),
        proportions=proportions,
        cumulative=cumulative,
        midpoints=midpoints,
        z=z,
        density=density,
        scale_values=scale_values,
        interval_values=interval_values,
        method=method,
        empty_categories=[c.item() for c in labels[empty]],
    )


@dataclass(frozen=True, eq=False, repr=False)
class MSITransform(TableResult):
    """A respondents' matrix turned into interval values (see :func:`msi_transform`).

    Attributes
    ----------
    values : ndarray, shape (respondents, items)
        Interval values; blanks stay NaN.
    items : list
    scales : dict
        ``{item: SuccessiveIntervals}``, or ``{"All items": SuccessiveIntervals}`` if pooled.
    pooled : bool
    method : str
    """

    values: np.ndarray
    items: list
    scales: dict
    pooled: bool
    method: str

    def to_frame(self) -> pd.DataFrame:
        """The transformed answers, one column per item."""
        return pd.DataFrame(self.values, columns=pd.Index(self.items))

    def scale_frame(self) -> pd.DataFrame:
        """Interval value of each category: columns ``Category`` and one per scale."""
        first = next(iter(self.scales.values()))
        frame = pd.DataFrame({"Category": first.categories})
        for label, scale in self.scales.items():
            frame[label] = scale.interval_values
        return frame

    def summary(self) -> str:
        notes = [f"Method: {self.method}; {'one pooled scale for all items' if self.pooled else 'one scale per item'}."]
        empty = {label: scale.empty_categories for label, scale in self.scales.items() if scale.empty_categories}
        for label, categories in empty.items():
            notes.append(f"{label}: empty categories {', '.join(str(c) for c in categories)} (no interval value).")
        return format_table("Successive-Interval Values per Category", self.scale_frame(), notes, digits=4)

    def _headline(self) -> str:
        return f"{self.values.shape[0]} respondents x {len(self.items)} items, {self.method}, pooled={self.pooled}"


def msi_transform(
    responses,
    *,
    method: Literal["standard", "midpoint"] = "standard",
    pooled: bool = False,
    scale_min=1,
    scale_max=5,
    items=None,
) -> MSITransform:
    """Transform a respondents x items Likert matrix to interval values by MSI.

    Parameters
    ----------
    responses : array_like or DataFrame, shape (respondents, items)
        Likert answers on ``scale_min..scale_max``; blanks stay blank.
    method : {"standard", "midpoint"}
        See :func:`successive_intervals`.
    pooled : bool
        False (default): one scale per item, from that item's frequencies (Hays' MSI per
        item). True: one scale from all items' answers together, so equal answers get equal
        scores across items (the "per variable" practice).
    scale_min, scale_max : int
        The declared scale (default 1..5); categories nobody chose are empty (NaN value).
    items : sequence, optional
        Item labels.

    Returns
    -------
    MSITransform
        ``.values`` / ``.to_frame()`` the transformed matrix, ``.scales`` the MSI tables.

    Examples
    --------
    >>> answers = [[1, 2], [2, 2], [2, 3], [3, 3]]
    >>> result = msi_transform(answers, pooled=True, scale_max=3)
    >>> result.values.round(3).tolist()
    [[1.0, 2.3], [2.3, 2.3], [2.3, 3.658], [3.658, 3.658]]
    """
    check_choice(method, "method", MSI_METHODS)
    if not isinstance(pooled, (bool, np.bool_)):
        raise RoqInputError("pooled", f"must be True or False, got {pooled!r}")
    low, high = check_scale(scale_min, scale_max)
    matrix = likert_matrix(responses, "responses", low, high)
    labels = item_labels(items, responses, matrix.shape[1], "responses")
    counts = category_counts(matrix, low, high)
    categories = np.arange(low, high + 1)
    values = np.full(matrix.shape, np.nan)
    if pooled:
        scale = successive_intervals(counts.sum(axis=0), method=method, categories=categories)
        scales = {"All items": scale}
        values = scale.transform(matrix)
    else:
        scales = {}
        for column, label in enumerate(labels):
            if counts[column].sum() == 0:
                raise RoqInputError("responses", f"item {label!r} has no answers; cannot build its scale")
            scales[label] = successive_intervals(counts[column], method=method, categories=categories)
            values[:, column] = scales[label].transform(matrix[:, column])
    return MSITransform(values=values, items=labels, scales=scales, pooled=bool(pooled), method=method)
