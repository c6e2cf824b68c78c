"""SERVQUAL gap analysis (Parasuraman, Zeithaml & Berry 1985, 1988), as applied in Pole et al.'s claims case.

- Gap 5 (customer gap): perception - expectation, per item, per dimension (mean of its
  items' gaps) and overall (mean of all items' gaps). The most negative gap is priority 1.
- Gap 1: management's perception of customer expectations - customer expectation.
- Gaps 2, 3, 4: per-dimension scores (1..5) from one internal respondent each; reported as
  they are, not subtracted.
- Weighted SERVQUAL: dimension weights from a 100-point allocation,
  weighted gap = sum(w_d * gap_d) / 100.

Inputs are either raw answers (respondents x items matrices on the declared scale, blanks
allowed) or item means (1-D). Item means are plain means of the answers given.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from ._common import (
    TableResult,
    check_choice,
    check_scale,
    dimension_labels,
    flat_labels,
    format_table,
    group_order,
    item_labels,
    item_means,
    likert_matrix,
    to_array,
)

__all__ = [
    "SERVQUAL_DIMENSIONS",
    "WEIGHTING_CONVENTIONS",
    "ServqualGaps",
    "InternalGaps",
    "WeightedServqual",
    "priority_ranks",
    "servqual_gap5",
    "servqual_gap1",
    "servqual_internal_gaps",
    "servqual_internal_gaps_from_answers",
    "weighted_servqual",
]

#: The five SERVQUAL dimensions, in the usual order.
SERVQUAL_DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
#: Averaging conventions of :func:`weighted_servqual`.
WEIGHTING_CONVENTIONS = ("weighted_of_means", "mean_of_weighted")

_ALLOCATION_TOTAL = 100.0
_ALLOCATION_TOLERANCE = 1e-6  # typed allocations such as 33.33 + 33.33 + 33.34


def priority_ranks(gaps) -> np.ndarray:
    """Improvement priority of each gap: the most negative gap is priority 1.

    Ties share the better (smaller) rank ("competition" ranking, 1, 2, 2, 4).

    Parameters
    ----------
    gaps : array_like
        Gap scores (perception - expectation).

    Returns
    -------
    ndarray of int

    Examples
    --------
    >>> priority_ranks([-0.23, -1.08, -0.35, -0.35]).tolist()
    [4, 1, 2, 2]
    """
    values = to_array(gaps, "gaps", ndim=1, allow_missing=False)
    from scipy.stats import rankdata  # only when ranks are asked for

    return rankdata(values, method="min").astype(int)


# --- gap 5 and gap 1 ---------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class ServqualGaps(TableResult):
    """A SERVQUAL gap table: ``gap = observed - reference`` per item, dimension and overall.

    For gap 5 ``observed`` is the customers' perception and ``reference`` their expectation;
    for gap 1 ``observed`` is management's perception of customer expectations.

    Attributes
    ----------
    gap_name, observed_name, reference_name : str
        Labels ("Gap 5", "Perception", "Expectation").
    items : list
    dimensions : list of str or None
        Each item's dimension.
    observed, reference, gaps : ndarray
        Item means and their differences (scale points).
    priorities : ndarray of int
        1 = most negative item gap.
    dimension_names : list of str
        Dimensions in order of first appearance (empty without ``dimensions``).
    dimension_observed, dimension_reference, dimension_gaps : ndarray
        Means of the dimension's items.
    dimension_priorities : ndarray of int
    overall_observed, overall_reference, overall_gap : float
        Means over all items.
    """

    gap_name: str
    observed_name: str
    reference_name: str
    items: list
    dimensions: list | None
    observed: np.ndarray
    reference: np.ndarray
    gaps: np.ndarray
    priorities: np.ndarray
    dimension_names: list
    dimension_observed: np.ndarray
    dimension_reference: np.ndarray
    dimension_gaps: np.ndarray
    dimension_priorities: np.ndarray
    overall_observed: float
    overall_reference: float
    overall_gap: float

    @property
    def worst_item(self):
        """Label of the item with the most negative gap (the first one if tied)."""
        return self.items[int(np.argmin(self.gaps))]

    @property
    def worst_dimension(self) -> str | None:
        """Dimension with the most negative gap (None without dimensions)."""
        return self.dimension_names[int(np.argmin(self.dimension_gaps))] if self.dimension_names else None

    def to_frame(self) -> pd.DataFrame:
        """Item table: ``Item, [Dimension,] <observed>, <reference>, Gap, Priority``."""
        frame = pd.DataFrame({"Item": self.items})
        if self.dimensions is not None:
            frame["Dimension"] = self.dimensions
        frame[self.observed_name] = self.observed
        frame[self.reference_name] = self.reference
        frame["Gap"] = self.gaps
        frame["Priority"] = self.priorities
        return frame

    def dimension_frame(self) -> pd.DataFrame:
        """Dimension table: ``Dimension, Items, <observed>, <reference>, Gap, Priority``."""
        sizes = [self.dimensions.count(d) for d in self.dimension_names] if self.dimensions else []
        return pd.DataFrame(
            {
                "Dimension": self.dimension_names,
                "Items": sizes,
                self.observed_name: self.dimension_observed,
                self.reference_name: self.dimension_reference,
                "Gap": self.dimension_gaps,
                "Priority": self.dimension_priorities,
            }
        )

    def summary(self) -> str:
        overall = (
            f"Overall (mean of {len(self.items)} items): {self.observed_name} {self.overall_observed:.2f}, "
            f"{self.reference_name} {self.overall_reference:.2f}, gap {self.overall_gap:.2f}."
        )
        parts = [format_table(f"SERVQUAL {self.gap_name} per Item", self.to_frame(), [overall], digits=2)]
        if self.dimension_names:
            parts.append(format_table(f"SERVQUAL {self.gap_name} per Dimension", self.dimension_frame(), digits=4))
        return "\n\n".join(parts)

    def _headline(self) -> str:
        return f"{self.gap_name}, {len(self.items)} items, overall gap {self.overall_gap:.3f}, worst item {self.worst_item!r}"


def _gap_table(gap_name, observed_name, reference_name, observed, reference, items, dimensions) -> ServqualGaps:
    """Item, dimension and overall gaps; the single place where gaps are subtracted."""
    gaps = observed - reference
    if dimensions is None:
        names, dim_obs, dim_ref, dim_gaps = [], np.array([]), np.array([]), np.array([])
    else:
        names = group_order(dimensions)
        members = [np.array([d == name for d in dimensions]) for name in names]
        dim_obs = np.array([observed[m].mean() for m in members])
        dim_ref = np.array([reference[m].mean() for m in members])
        dim_gaps = np.array([gaps[m].mean() for m in members])
    return ServqualGaps(
        gap_name=gap_name,
        observed_name=observed_name,
        reference_name=reference_name,
        items=items,
        dimensions=dimensions,
        observed=observed,
        reference=reference,
        gaps=gaps,
        priorities=priority_ranks(gaps),
        dimension_names=names,
        dimension_observed=dim_obs,
        dimension_reference=dim_ref,
        dimension_gaps=dim_gaps,
        dimension_priorities=priority_ranks(dim_gaps) if names else np.array([], dtype=int),
        overall_observed=float(observed.mean()),
        overall_reference=float(reference.mean()),
        overall_gap=float(gaps.mean()),
    )


def _paired_means(observed, observed_arg, reference, reference_arg, items, dimensions, scale_min, scale_max):
    low, high = check_scale(scale_min, scale_max)
    observed_means = item_means(observed, observed_arg, low, high)
    reference_means = item_means(reference, reference_arg, low, high)
    if observed_means.size != reference_means.size:
        raise RoqInputError(
            reference_arg, f"has {reference_means.size} items but {observed_arg} has {observed_means.size}"
        )
    labels = item_labels(items, observed, observed_means.size, observed_arg)
    dims = None if dimensions is None else dimension_labels(dimensions, labels)
    return observed_means, reference_means, labels, dims


def servqual_gap5(perception, expectation, *, dimensions=None, items=None, scale_min=1, scale_max=5) -> ServqualGaps:
    """SERVQUAL gap 5 (customer gap): perception - expectation.

    Parameters
    ----------
    perception, expectation : array_like or DataFrame
        Either respondents x items Likert matrices (blanks allowed; the two may have
        different respondents) or 1-D item means on the scale.
    dimensions : sequence or mapping, optional
        Each item's dimension (e.g. ``"reliability"``), or ``{dimension: [item labels]}``.
    items : sequence, optional
        Item labels (default: the perception DataFrame's columns / Series index, else 1..k).
    scale_min, scale_max : int
        The declared scale (default 1..5).

    Returns
    -------
    ServqualGaps
        Gaps in scale points per item (``.to_frame()``), per dimension
        (``.dimension_frame()``, mean of the items' gaps) and overall (``.overall_gap``,
        mean of all items' gaps); priority 1 = most negative gap.

    Notes
    -----
    Parasuraman, Zeithaml & Berry (1988), "SERVQUAL: A multiple-item scale for measuring
    consumer perceptions of service quality", Journal of Retailing 64(1).

    Examples
    --------
    Pole et al.'s claims case (claim service, 60 respondents): item 8 "timely claim settlement" has the
    largest gap, reliability (items 5-8) is the worst dimension, mean perception 3.98,
    expectation 4.39, gap -0.41.

    >>> from simulator.survey.casestudy import claims_servqual_means
    >>> case = claims_servqual_means()
    >>> gaps = servqual_gap5(case["perception"], case["expectation"], dimensions=case["dimensions"])
    >>> gaps.worst_item, round(float(gaps.gaps[7]), 2), gaps.worst_dimension, round(float(gaps.dimension_gaps[1]), 2)
    (8, -1.08, 'reliability', -0.74)
    >>> round(gaps.overall_observed, 2), round(gaps.overall_reference, 2), round(gaps.overall_gap, 2)
    (3.98, 4.39, -0.41)
    """
    observed, reference, labels, dims = _paired_means(
        perception, "perception", expectation, "expectation", items, dimensions, scale_min, scale_max
    )
    return _gap_table("Gap 5", "Perception", "Expectation", observed, reference, labels, dims)


def servqual_gap1(management, expectation, *, dimensions=None, items=None, scale_min=1, scale_max=5) -> ServqualGaps:
    """SERVQUAL gap 1: management's perception of customer expectations - customer expectation.

    Parameters
    ----------
    management : array_like or DataFrame
        Management's scores per item: 1-D (one internal respondent, or means) or a
        managers x items matrix (averaged per item).
    expectation : array_like or DataFrame
        Customers' expectation: 1-D item means or a respondents x items matrix.
    dimensions, items, scale_min, scale_max
        As in :func:`servqual_gap5`.

    Returns
    -------
    ServqualGaps
        Columns ``Management, Expectation, Gap``; a negative gap means management
        underestimates what customers expect (priority 1 = most negative).

    Notes
    -----
    Parasuraman, Zeithaml & Berry (1985); Pole et al.'s claims case writes gap 1 as management minus customer.

    Examples
    --------
    Pole et al.'s claims case: the area manager's scores average 4.81 against customers' 4.39, gap 0.42.

    >>> from simulator.survey.casestudy import claims_servqual_means
    >>> case = claims_servqual_means(unrounded=False)
    >>> gap1 = servqual_gap1(case["management"], case["expectation"])
    >>> round(gap1.overall_observed, 2), round(gap1.overall_reference, 2), round(gap1.overall_gap, 2)
    (4.81, 4.39, 0.42)
    """
    observed, reference, labels, dims = _paired_means(
        management, "management", expectation, "expectation", items, dimensions, scale_min, scale_max
    )
    return _gap_table("Gap 1", "Management", "Expectation", observed, reference, labels, dims)


# --- gaps 2-4 ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class InternalGaps(TableResult):
    """Gap 2, 3 and 4 scores per dimension (see :func:`servqual_internal_gaps`).

    Attributes
    ----------
    dimensions : list of str
    gap2, gap3, gap4 : ndarray
        Scores on the scale (higher = standard met / promise kept).
    scale_max : int
    shortfalls : list of (dimension, gap name, score)
        Scores below the scale maximum.
    """

    dimensions: list
    gap2: np.ndarray
    gap3: np.ndarray
    gap4: np.ndarray
    scale_max: int

    @property
    def shortfalls(self) -> list:
        out = []
        for position, dimension in enumerate(self.dimensions):
            for name, scores in (("Gap 2", self.gap2), ("Gap 3", self.gap3), ("Gap 4", self.gap4)):
                if scores[position] < self.scale_max:
                    out.append((dimension, name, float(scores[position])))
        return out

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Dimension, Gap 2, Gap 3, Gap 4``."""
        return pd.DataFrame({"Dimension": self.dimensions, "Gap 2": self.gap2, "Gap 3": self.gap3, "Gap 4": self.gap4})

    def summary(self) -> str:
        notes = [
            "Gap 2: service standards vs management perception; gap 3: delivery vs standards;",
            f"gap 4: external communication vs delivery. Scores below {self.scale_max}: {len(self.shortfalls)}.",
        ]
        return format_table("SERVQUAL Gaps 2-4 (internal scores)", self.to_frame(), notes, digits=2)

    def _headline(self) -> str:
        return f"{len(self.dimensions)} dimensions, {len(self.shortfalls)} scores below {self.scale_max}"


def servqual_internal_gaps(gap2, gap3, gap4, *, dimensions=SERVQUAL_DIMENSIONS, scale_min=1, scale_max=5) -> InternalGaps:
    """The gap 2-4 score table: one internal respondent's score per dimension and gap.

    Parameters
    ----------
    gap2, gap3, gap4 : array_like
        Scores per dimension on the scale (e.g. 5 = standard fully met): 1-D (one internal
        respondent, or averages) or a respondents x dimensions Likert matrix (averaged).
    dimensions : sequence of str
        Dimension names, one per score (default the five SERVQUAL dimensions).
    scale_min, scale_max : int
        The declared scale (default 1..5).

    Returns
    -------
    InternalGaps
        Reported as they are (these gaps are scored directly, not subtracted).

    Notes
    -----
    Parasuraman, Zeithaml & Berry (1985) gap model; Pole et al.'s claims case, Tables 7-9.

    Examples
    --------
    Pole et al.'s claims case (marketing assurance; claims administration staff):

    >>> table = servqual_internal_gaps([5, 5, 5, 5, 4], [5, 4, 4, 5, 4], [5, 4, 4, 5, 4])
    >>> table.shortfalls[:2]
    [('reliability', 'Gap 3', 4.0), ('reliability', 'Gap 4', 4.0)]
    """
    low, high = check_scale(scale_min, scale_max)
    names = [str(d) for d in flat_labels(dimensions, "dimensions")]
    columns = {}
    for arg, values in (("gap2", gap2), ("gap3", gap3), ("gap4", gap4)):
        scores = item_means(values, arg, low, high)
        if scores.ndim != 1 or scores.size != len(names):
            raise RoqInputError(arg, f"must have one score per dimension ({len(names)}), got {scores.size}")
        columns[arg] = scores
    return InternalGaps(dimensions=names, scale_max=high, **columns)


def servqual_internal_gaps_from_answers(gap2, gap3, gap4, *, dimensions=None, scale_min=1, scale_max=5) -> InternalGaps:
    """Gaps 2-4 from internal respondents' answers: the mean answer per dimension and gap.

    Each internal respondent (manager, staff) answers items about service standards
    (gap 2), delivery against the standards (gap 3) and communication against delivery
    (gap 4) on the answer scale. Each gap's score of a dimension is the mean of all
    answers to that dimension's items over all respondents, blanks left out (never read
    as zero); the scores then form the gap table of :func:`servqual_internal_gaps`.

    Parameters
    ----------
    gap2, gap3, gap4 : array_like
        Answers, internal respondents in rows and items in columns, the same items in
        each (respondents may differ in number).
    dimensions : sequence of str, optional
        Each item's dimension, one label per column. Default: the columns are the five
        SERVQUAL dimensions, in the usual order.
    scale_min, scale_max : int
        The declared scale (default 1..5).

    Returns
    -------
    InternalGaps

    Notes
    -----
    Parasuraman, Zeithaml & Berry (1985) gap model; the internal questionnaire of Pole,
    Isharyani & Widada's claims-service study (scored by the insurer's staff).

    Examples
    --------
    Three staff members, one item per SERVQUAL dimension:

    >>> answers2 = [[5, 5, 4, 4, 5], [4, 5, 5, 4, 4], [5, 4, 5, 5, 4]]
    >>> table = servqual_internal_gaps_from_answers(answers2, answers2, answers2)
    >>> round(float(table.gap2[0]), 3)
    4.667
    """
    low, high = check_scale(scale_min, scale_max)
    matrices = {arg: likert_matrix(values, arg, low, high) for arg, values in (("gap2", gap2), ("gap3", gap3), ("gap4", gap4))}
    n_items = matrices["gap2"].shape[1]
    for arg, matrix in matrices.items():
        if matrix.shape[1] != n_items:
            raise RoqInputError(arg, f"has {matrix.shape[1]} items but gap2 has {n_items}")
    if dimensions is None:
        if n_items != len(SERVQUAL_DIMENSIONS):
            raise RoqInputError("dimensions", f"are required: {n_items} items are not the {len(SERVQUAL_DIMENSIONS)} SERVQUAL dimensions")
        item_dimensions = list(SERVQUAL_DIMENSIONS)
    else:
        item_dimensions = [str(d) for d in flat_labels(dimensions, "dimensions")]
        if len(item_dimensions) != n_items:
            raise RoqInputError("dimensions", f"has {len(item_dimensions)} labels but the answers have {n_items} items")
    names = list(dict.fromkeys(item_dimensions))
    scores = {}
    for arg, matrix in matrices.items():
        per_dimension = []
        for name in names:
            answers = matrix[:, [j for j, d in enumerate(item_dimensions) if d == name]]
            if np.isnan(answers).all():
                raise RoqInputError(arg, f"has no answer for the dimension {name!r}")
            per_dimension.append(float(np.nanmean(answers)))
        scores[arg] = np.asarray(per_dimension)
    return servqual_internal_gaps(scores["gap2"], scores["gap3"], scores["gap4"], dimensions=names, scale_min=low, scale_max=high)


# --- weighted SERVQUAL -------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class WeightedServqual(TableResult):
    """Importance-weighted SERVQUAL gap (see :func:`weighted_servqual`).

    Attributes
    ----------
    convention : str
    dimensions : list of str
    weights : ndarray
        Points per dimension (out of 100; the mean allocation if per respondent).
    gaps : ndarray
        Dimension gaps (mean over respondents used, for ``mean_of_weighted``).
    contributions : ndarray
        ``w_d * gap_d / 100`` (mean over respondents for ``mean_of_weighted``); their sum is
        the weighted gap.
    weighted_gap : float
    unweighted_gap : float
        Mean of the dimension gaps (equal weights), for comparison.
    priorities : ndarray of int
        1 = most negative contribution.
    n_respondents : int or None
        Respondents used (``mean_of_weighted`` only; those with a gap in every dimension).
    """

    convention: str
    dimensions: list
    weights: np.ndarray
    gaps: np.ndarray
    contributions: np.ndarray
    weighted_gap: float
    unweighted_gap: float
    priorities: np.ndarray
    n_respondents: int | None

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Dimension, Weight, Gap, Weighted gap, Priority``."""
        return pd.DataFrame(
            {
                "Dimension": self.dimensions,
                "Weight": self.weights,
                "Gap": self.gaps,
                "Weighted gap": self.contributions,
                "Priority": self.priorities,
            }
        )

    def summary(self) -> str:
        notes = [
            f"Weighted gap = sum(weight x gap) / 100 = {self.weighted_gap:.4f} ({self.convention});"
            f" unweighted mean of dimension gaps = {self.unweighted_gap:.4f}."
        ]
        if self.n_respondents is not None:
            notes.append(f"N = {self.n_respondents} respondents with a gap in every dimension.")
        return format_table("Weighted SERVQUAL", self.to_frame(), notes, digits=4)

    def _headline(self) -> str:
        return f"weighted gap {self.weighted_gap:.4f} ({self.convention})"


def _allocation(weights, dimension_names: list) -> np.ndarray:
    """Weights as a 1-D (one allocation) or 2-D (one per respondent) array in dimension order."""
    if isinstance(weights, Mapping):
        unknown = [k for k in weights if str(k) not in dimension_names]
        if unknown:
            raise RoqInputError("weights", f"names dimension {unknown[0]!r}, which no item belongs to")
        absent = [d for d in dimension_names if d not in {str(k) for k in weights}]
        if absent:
            raise RoqInputError("weights", f"gives no weight to dimension {absent[0]!r}")
        lookup = {str(k): v for k, v in weights.items()}
        weights = [lookup[d] for d in dimension_names]
    elif isinstance(weights, pd.DataFrame) and {str(c) for c in weights.columns} >= set(dimension_names):
        weights = weights.rename(columns=str)[dimension_names]
    elif isinstance(weights, pd.Series) and {str(i) for i in weights.index} >= set(dimension_names):
        weights = weights.rename(index=str)[dimension_names]
    array = to_array(weights, "weights", allow_missing=False)
    if array.ndim not in (1, 2):
        raise RoqInputError("weights", f"must be one allocation or a respondents x dimensions matrix, got shape {array.shape}")
    if array.shape[-1] != len(dimension_names):
        raise RoqInputError(
            "weights", f"has {array.shape[-1]} weights per allocation but there are {len(dimension_names)} dimensions"
        )
    if (array < 0).any():
        raise RoqInputError("weights", f"must be non-negative points, got {array[array < 0].flat[0]:g}")
    totals = array.sum(axis=-1)
    off = np.abs(totals - _ALLOCATION_TOTAL) > _ALLOCATION_TOLERANCE
    if np.any(off):
        if array.ndim == 1:
            raise RoqInputError("weights", f"sum to {float(totals):g}, not 100 (a 100-point allocation across the dimensions)")
        row = int(np.flatnonzero(off)[0])
        raise RoqInputError("weights", f"row {row + 1} sums to {totals[row]:g}, not 100 (a 100-point allocation)")
    return array


def weighted_servqual(
    perception,
    expectation,
    weights,
    *,
    dimensions,
    convention: Literal["weighted_of_means", "mean_of_weighted"] = "weighted_of_means",
    items=None,
    scale_min=1,
    scale_max=5,
) -> WeightedServqual:
    """Weighted SERVQUAL score: dimension gaps weighted by a 100-point importance allocation.

    ``weighted gap = sum_d(w_d * gap_d) / 100`` with ``sum_d(w_d) = 100``.

    Parameters
    ----------
    perception, expectation : array_like or DataFrame
        Respondents x items matrices, or 1-D item means (``weighted_of_means`` only).
    weights : array_like, mapping or DataFrame
        One allocation (length = number of dimensions, in the order the dimensions first
        appear, or ``{dimension: points}``) or a respondents x dimensions matrix (a
        DataFrame's columns may name the dimensions). Every allocation must sum to 100.
    dimensions : sequence or mapping
        Each item's dimension (required).
    convention : {"weighted_of_means", "mean_of_weighted"}
        ``"weighted_of_means"`` (default): one weight vector (or the mean of the
        respondents' allocations) applied to the mean dimension gaps.
        ``"mean_of_weighted"``: each respondent's own allocation applied to that
        respondent's own dimension gaps, then averaged over respondents; needs raw
        matrices with the same respondents in the same rows, and one allocation per
        respondent. A respondent's dimension gap is the mean of his item gaps over the
        items where both answers are given; respondents left without a gap in some
        dimension are dropped (``n_respondents`` says how many were used).
    items, scale_min, scale_max
        As in :func:`servqual_gap5`.

    Returns
    -------
    WeightedServqual

    Notes
    -----
    Zeithaml, Parasuraman & Berry (1990), *Delivering Quality Service*: the weighted
    SERVQUAL score with importance points allocated across the five dimensions.

    Examples
    --------
    Pole et al.'s dimension gaps with an (illustrative) allocation 10/40/20/20/10:

    >>> from simulator.survey.casestudy import claims_servqual_means
    >>> case = claims_servqual_means()
    >>> result = weighted_servqual(case["perception"], case["expectation"], [10, 40, 20, 20, 10],
    ...                            dimensions=case["dimensions"])
    >>> round(result.weighted_gap, 4), round(result.unweighted_gap, 4)
    (-0.5063, -0.413)
    """
    check_choice(convention, "convention", WEIGHTING_CONVENTIONS)
    if dimensions is None:
        raise RoqInputError("dimensions", "weighted SERVQUAL needs each item's dimension")
    table = servqual_gap5(
        perception, expectation, dimensions=dimensions, items=items, scale_min=scale_min, scale_max=scale_max
    )
    names = table.dimension_names
    allocation = _allocation(weights, names)
    if convention == "weighted_of_means":
        mean_weights = allocation if allocation.ndim == 1 else allocation.mean(axis=0)
        gaps = table.dimension_gaps
        contributions = mean_weights * gaps / _ALLOCATION_TOTAL
        n_used = None
    else:
        low, high = check_scale(scale_min, scale_max)
        matrices = {}
        for arg, values in (("perception", perception), ("expectation", expectation)):
            array = to_array(values, arg)
            if array.ndim != 2:
                raise RoqInputError(arg, "mean_of_weighted needs the raw respondents x items matrix, got item means")
            matrices[arg] = likert_matrix(values, arg, low, high)
        p, e = matrices["perception"], matrices["expectation"]
        if p.shape != e.shape:
            raise RoqInputError(
                "expectation", f"has shape {e.shape} but perception has {p.shape}; mean_of_weighted pairs each respondent's answers"
            )
        if allocation.ndim != 2:
            raise RoqInputError(
                "weights", "mean_of_weighted needs one allocation per respondent (a respondents x dimensions matrix)"
            )
        if allocation.shape[0] != p.shape[0]:
            raise RoqInputError("weights", f"has {allocation.shape[0]} rows but there are {p.shape[0]} respondents")
        item_gaps = p - e
        per_dimension = np.empty((p.shape[0], len(names)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "mean of empty slice": a dimension left unanswered
            for column, name in enumerate(names):
                members = np.array([d == name for d in table.dimensions])
                per_dimension[:, column] = np.nanmean(item_gaps[:, members], axis=1)
        used = ~np.isnan(per_dimension).any(axis=1)
        if not used.any():
            raise RoqInputError("perception", "no respondent has a perception-expectation pair in every dimension")
        respondent_contributions = allocation[used] * per_dimension[used] / _ALLOCATION_TOTAL
        mean_weights = allocation[used].mean(axis=0)
        gaps = per_dimension[used].mean(axis=0)
        contributions = respondent_contributions.mean(axis=0)
        n_used = int(used.sum())
    return WeightedServqual(
        convention=convention,
        dimensions=names,
        weights=mean_weights,
        gaps=gaps,
        contributions=contributions,
        weighted_gap=float(contributions.sum()),
        unweighted_gap=float(gaps.mean()),
        priorities=priority_ranks(contributions),
        n_respondents=n_used,
    )
