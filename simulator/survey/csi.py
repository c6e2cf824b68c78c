"""Customer Satisfaction Index (CSI), the importance-weighted satisfaction percentage.

For p attributes with mean importance score MIS_i and mean satisfaction score MSS_i:
WF_i = MIS_i / sum(MIS) * 100 (%), WS_i = WF_i * MSS_i, CSI = sum(WS) / HS (%), HS being
the highest scale value. Pole et al.'s claims case uses the expectation means as importance and the
perception means as satisfaction. (Its eq. (8) prints sum(MIS) in the numerator; its table
uses sum(WS), the standard formula implemented here.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from .._validate import check_range
from ..errors import RoqInputError
from ._common import TableResult, check_scale, format_table, item_labels, item_means, scalar

__all__ = ["CSI_BANDS", "CSIBand", "CustomerSatisfactionIndex", "csi_band", "customer_satisfaction_index"]

#: (lower bound in %, English label, Indonesian label), best band first. A CSI belongs to
#: the first band whose lower bound it reaches, so 80.995 is "satisfied" and 81.0 "very
#: satisfied": the published ranges 66-80.99, 81-100 leave no gap between them.
CSI_BANDS = (
    (81.0, "very satisfied", "sangat puas"),
    (66.0, "satisfied", "puas"),
    (51.0, "fairly satisfied", "cukup puas"),
    (35.0, "less satisfied", "kurang puas"),
    (0.0, "not satisfied", "tidak puas"),
)


class CSIBand(NamedTuple):
    """A CSI interpretation band: labels and its [lower, upper) range in percent."""

    label: str
    label_id: str
    lower: float
    upper: float


def csi_band(csi) -> CSIBand:
    """Interpretation band of a CSI value (in percent), in English and Indonesian.

    Bands (lower bound inclusive): >= 81 very satisfied / sangat puas, >= 66 satisfied /
    puas, >= 51 fairly satisfied / cukup puas, >= 35 less satisfied / kurang puas, below 35
    not satisfied / tidak puas.

    Parameters
    ----------
    csi : float
        CSI in percent points, 0..100 (as :func:`customer_satisfaction_index` returns it).
        A value in (0, 1] is refused as a fraction typed for a percentage (0.7955 for 79.55).

    Returns
    -------
    CSIBand

    Examples
    --------
    >>> csi_band(79.55)
    CSIBand(label='satisfied', label_id='puas', lower=66.0, upper=81.0)
    >>> csi_band(80.999).label, csi_band(81).label
    ('satisfied', 'very satisfied')
    """
    value = scalar(csi, "csi")
    check_range(np.asarray(value), "csi", 0.0, 100.0, what=" (a percentage)")
    if 0.0 < value <= 1.0:
        # a percent-formatted cell (79.55% holds 0.7955): below 1% no CSI of a real survey lies
        raise RoqInputError("csi", f"{value:.6g} looks like a fraction; CSI is in percent points 0..100: did you mean {value * 100:.6g}?")
    upper = 100.0
    for lower, label, label_id in CSI_BANDS:
        if value >= lower:
            return CSIBand(label, label_id, lower, upper)
        upper = lower
    raise AssertionError("unreachable: the last band starts at 0")  # pragma: no cover


@dataclass(frozen=True, eq=False, repr=False)
class CustomerSatisfactionIndex(TableResult):
    """CSI with its weight-factor table (see :func:`customer_satisfaction_index`).

    Attributes
    ----------
    items : list
    importance, satisfaction : ndarray
        MIS and MSS per item (scale points).
    weight_factors : ndarray
        WF in percent (they sum to 100).
    weighted_scores : ndarray
        WS = WF * MSS.
    csi : float
        Percent.
    highest_scale : int
        HS.
    band : CSIBand
    """

    items: list
    importance: np.ndarray
    satisfaction: np.ndarray
    weight_factors: np.ndarray
    weighted_scores: np.ndarray
    csi: float
    highest_scale: int
    band: CSIBand

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Item, MIS, MSS, WF (%), WS``."""
        return pd.DataFrame(
            {
                "Item": self.items,
                "MIS": self.importance,
                "MSS": self.satisfaction,
                "WF (%)": self.weight_factors,
                "WS": self.weighted_scores,
            }
        )

    def summary(self) -> str:
        total = self.weighted_scores.sum()
        notes = [
            f"CSI = sum(WS) / HS = {total:.2f} / {self.highest_scale} = {self.csi:.2f}%"
            f" -> {self.band.label} ({self.band.label_id})."
        ]
        return format_table("Customer Satisfaction Index", self.to_frame(), notes, digits=2)

    def _headline(self) -> str:
        return f"CSI = {self.csi:.2f}% ({self.band.label})"


def customer_satisfaction_index(importance, satisfaction, *, items=None, scale_min=1, scale_max=5) -> CustomerSatisfactionIndex:
    """Customer Satisfaction Index: importance-weighted mean satisfaction as a % of the scale top.

    Parameters
    ----------
    importance : array_like or DataFrame
        Importance per item: 1-D means (MIS) or a respondents x items Likert matrix.
    satisfaction : array_like or DataFrame
        Satisfaction / performance per item: 1-D means (MSS) or a Likert matrix.
    items : sequence, optional
        Item labels.
    scale_min, scale_max : int
        The declared scale; HS = ``scale_max`` (default 5).

    Returns
    -------
    CustomerSatisfactionIndex
        ``.csi`` in percent, ``.band`` its interpretation, ``.to_frame()`` the WF/WS table.

    Notes
    -----
    The importance-weighted CSI of Indonesian service-quality practice (e.g. Aritonang
    2005), as in Pole et al.'s claims case (Table 10); the bands are the ones Pole et al.'s claims case quotes.

    Examples
    --------
    Pole et al.'s claims case publishes CSI = 79.55% ("puas"). The 60 respondents' unrounded means give it
    exactly; the table's two-decimal means give 79.56%.

    >>> from simulator.survey.casestudy import claims_servqual_means
    >>> case = claims_servqual_means()
    >>> result = customer_satisfaction_index(case["expectation"], case["perception"])
    >>> round(result.csi, 2), result.band.label, result.band.label_id
    (79.55, 'satisfied', 'puas')
    >>> rounded = claims_servqual_means(unrounded=False)
    >>> round(customer_satisfaction_index(rounded["expectation"], rounded["perception"]).csi, 2)
    79.56
    """
    low, high = check_scale(scale_min, scale_max)
    if high <= 0:
        raise RoqInputError("scale_max", f"must be positive for a CSI (it is the divisor HS), got {high}")
    mis = item_means(importance, "importance", low, high)
    mss = item_means(satisfaction, "satisfaction", low, high)
    if mis.size != mss.size:
        raise RoqInputError("satisfaction", f"has {mss.size} items but importance has {mis.size}")
    if mis.sum() <= 0:
        raise RoqInputError("importance", "sums to zero; weight factors are undefined")
    weight_factors = mis / mis.sum() * 100.0
    weighted_scores = weight_factors * mss
    csi = float(weighted_scores.sum() / high)
    return CustomerSatisfactionIndex(
        items=item_labels(items, importance, mis.size, "importance"),
        importance=mis,
        satisfaction=mss,
        weight_factors=weight_factors,
        weighted_scores=weighted_scores,
        csi=csi,
        highest_scale=high,
        band=csi_band(min(max(csi, 0.0), 100.0)),
    )
