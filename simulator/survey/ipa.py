"""Importance-Performance Analysis (Martilla & James 1977) and the conformity level.

Each item is placed by its mean importance (vertical) and mean performance (horizontal),
split at the grand means (or given cut points) into four quadrants:

==========  ======  =====================  =================================
Quadrant    Letter  Action                 Rule
==========  ======  =====================  =================================
I           A       Concentrate here       importance high, performance low
II          B       Keep up the good work  importance high, performance high
III         C       Low priority           importance low,  performance low
IV          D       Possible overkill      importance low,  performance high
==========  ======  =====================  =================================

Ties: a value equal to its cut point counts as high (``>=``). The conformity level
("tingkat kesesuaian", Supranto) is performance / importance * 100%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validate import compact
from ..errors import RoqInputError
from ._common import TableResult, check_scale, format_table, item_labels, item_means, scalar, to_array

__all__ = ["IPA_QUADRANTS", "ImportancePerformance", "conformity_level", "importance_performance"]

#: Quadrant number -> (letter, action).
IPA_QUADRANTS = {
    "I": ("A", "Concentrate here"),
    "II": ("B", "Keep up the good work"),
    "III": ("C", "Low priority"),
    "IV": ("D", "Possible overkill"),
}


def conformity_level(performance, importance, *, scale_min=1, scale_max=5):
    """Conformity level (tingkat kesesuaian) = performance / importance * 100%.

    Parameters
    ----------
    performance, importance : float or array_like
        Mean performance and importance scores (same shape), each on the answer scale
        ``scale_min..scale_max`` (a negative or off-scale mean is refused: it is not a
        Likert mean, and the ratio of two such numbers is meaningless).
    scale_min, scale_max : int
        The answer scale (default 1..5); ``scale_min`` must be positive for the ratio.

    Returns
    -------
    float or ndarray
        Percent; 100% means performance meets importance.

    Examples
    --------
    Pole et al.'s claims case, item 8 (perception 3.58 vs expectation 4.67):

    >>> round(conformity_level(3.58, 4.67), 2)
    76.66
    """
    perf = to_array(performance, "performance", allow_missing=False)
    imp = to_array(importance, "importance", allow_missing=False)
    if perf.shape != imp.shape:
        raise RoqInputError("importance", f"has shape {imp.shape} but performance has {perf.shape}")
    low, high = check_scale(scale_min, scale_max)
    if low <= 0:
        raise RoqInputError("scale_min", f"must be at least 1 for a ratio of means, got {low}")
    for name, values in (("importance", imp), ("performance", perf)):
        outside = (values < low) | (values > high)
        if outside.any():
            raise RoqInputError(name, f"mean {compact(values[outside].flat[0])} is outside the scale {low}..{high}")
    level = perf / imp * 100.0
    return float(level) if level.ndim == 0 else level


def _cut(value, name: str, low: int, high: int) -> float:
    """A cut point on the answer scale: outside it, every item would fall on one side."""
    cut = scalar(value, name)
    if not low <= cut <= high:
        raise RoqInputError(name, f"{compact(cut)} is outside the scale {low}..{high}; a cut point splits item means on the scale")
    return cut


@dataclass(frozen=True, eq=False, repr=False)
class ImportancePerformance(TableResult):
    """IPA quadrants and conformity levels (see :func:`importance_performance`).

    Attributes
    ----------
    items : list
    importance, performance : ndarray
        Item means.
    conformity : ndarray
        Performance / importance * 100 per item.
    quadrants : list of str
        "I".."IV" per item (see :data:`IPA_QUADRANTS`).
    importance_cut, performance_cut : float
        The split points (grand means unless given).
    overall_conformity : float
        Mean performance / mean importance * 100.
    """

    items: list
    importance: np.ndarray
    performance: np.ndarray
    conformity: np.ndarray
    quadrants: list
    importance_cut: float
    performance_cut: float
    overall_conformity: float

    def items_in(self, quadrant: str) -> list:
        """Items of one quadrant ("I".."IV" or "A".."D")."""
        numerals = {letter: numeral for numeral, (letter, _) in IPA_QUADRANTS.items()}
        key = numerals.get(quadrant, quadrant)
        if key not in IPA_QUADRANTS:
            raise RoqInputError("quadrant", f"must be one of I, II, III, IV (or A-D), got {quadrant!r}")
        return [item for item, q in zip(self.items, self.quadrants) if q == key]

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Item, Importance, Performance, Conformity (%), Quadrant, Action``."""
        return pd.DataFrame(
            {
                "Item": self.items,
                "Importance": self.importance,
                "Performance": self.performance,
                "Conformity (%)": self.conformity,
                "Quadrant": self.quadrants,
                "Action": [IPA_QUADRANTS[q][1] for q in self.quadrants],
            }
        )

    def summary(self) -> str:
        notes = [
            f"Cut points: importance {self.importance_cut:.3f}, performance {self.performance_cut:.3f}"
            " (values equal to a cut count as high).",
            f"Overall conformity = {self.overall_conformity:.2f}%.",
        ]
        return format_table("Importance-Performance Analysis", self.to_frame(), notes, digits=2)

    def _headline(self) -> str:
        return f"{len(self.items)} items, {len(self.items_in('I'))} to concentrate on"


def importance_performance(
    importance, performance, *, importance_cut=None, performance_cut=None, items=None, scale_min=1, scale_max=5
) -> ImportancePerformance:
    """Importance-Performance Analysis: quadrant and conformity level of every item.

    Parameters
    ----------
    importance, performance : array_like or DataFrame
        1-D item means or respondents x items Likert matrices (in Pole et al.'s claims case importance is
        the expectation, performance the perception).
    importance_cut, performance_cut : float, optional
        Split points; default the grand means (mean of the item means).
    items : sequence, optional
        Item labels.
    scale_min, scale_max : int
        The declared scale (default 1..5).

    Returns
    -------
    ImportancePerformance
        High means ``>=`` the cut. ``.overall_conformity`` is mean performance / mean
        importance * 100.

    Notes
    -----
    Martilla, J. A. & James, J. C. (1977), "Importance-Performance Analysis", Journal of
    Marketing 41(1); conformity level after Supranto.

    Examples
    --------
    Pole et al.'s means: item 8 (timely settlement) falls in "Concentrate here".

    >>> from simulator.survey.casestudy import claims_servqual_means
    >>> case = claims_servqual_means(unrounded=False)
    >>> ipa = importance_performance(case["expectation"], case["perception"])
    >>> ipa.quadrants[7], ipa.items_in("I"), round(ipa.overall_conformity, 2)
    ('I', [6, 7, 8, 11, 14], 90.66)
    """
    low, high = check_scale(scale_min, scale_max)
    imp = item_means(importance, "importance", low, high)
    perf = item_means(performance, "performance", low, high)
    if imp.size != perf.size:
        raise RoqInputError("performance", f"has {perf.size} items but importance has {imp.size}")
    imp_cut = float(imp.mean()) if importance_cut is None else _cut(importance_cut, "importance_cut", low, high)
    perf_cut = float(perf.mean()) if performance_cut is None else _cut(performance_cut, "performance_cut", low, high)
    high_importance = imp >= imp_cut
    high_performance = perf >= perf_cut
    quadrants = [
        ("II" if hp else "I") if hi else ("IV" if hp else "III") for hi, hp in zip(high_importance, high_performance)
    ]
    return ImportancePerformance(
        items=item_labels(items, importance, imp.size, "importance"),
        importance=imp,
        performance=perf,
        conformity=conformity_level(perf, imp) if imp.size > 0 else np.array([]),
        quadrants=quadrants,
        importance_cut=imp_cut,
        performance_cut=perf_cut,
        overall_conformity=conformity_level(float(perf.mean()), float(imp.mean())),
    )
