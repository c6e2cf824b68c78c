"""Pole et al.'s claim-service survey (PT XYZ, 60 respondents): inputs, published figures,
misprints, and a recomputed-vs-published report.

The paper prints item means to two decimals, but computed its gaps, WF/WS and CSI from
the unrounded means. With 60 respondents every mean is a total / 60, and 1/60 > 0.01, so
the totals are recoverable from the printed means (``round(mean * 60)``);
:func:`claims_servqual_means` does that by default. With those means every published gap
and the CSI of 79.55% come out exactly; the printed two-decimal means give item 8's gap
as -1.09 (printed -1.08), item 7's as -0.96 (-0.97), item 18's as -0.44 (-0.43) and a CSI
of 79.56%.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..casestudies import load_claims_servqual_attributes, load_claims_servqual_internal_gaps
from .csi import customer_satisfaction_index
from .msi import successive_intervals
from .psychometrics import critical_r, slovin_sample_size
from .servqual import servqual_gap1, servqual_gap5

__all__ = ["RESPONDENTS", "PUBLISHED", "MISPRINTS", "claims_servqual_means", "case_study_report"]

#: Customer respondents behind Pole et al.'s means.
RESPONDENTS = 60

#: Figures printed in Pole et al.'s claims case (and Singgih's MSI table), in the paper's units.
PUBLISHED = {
    "slovin_exact": 59.57,
    "slovin_respondents": 60,
    "r_critical_n30": 0.361,
    "alpha_expectation": 0.871,
    "alpha_perception": 0.899,
    "worst_item": 8,
    "worst_item_gap": -1.08,
    "reliability_gap": -0.74,
    "mean_perception": 3.98,
    "mean_expectation": 4.39,
    "overall_gap5": -0.41,
    "mean_management": 4.81,
    "overall_gap1": 0.42,
    "csi_percent": 79.55,
    "csi_band": "puas",
    "msi_midpoint_z": (-1.50725, -0.10763, 1.71845),
}

#: What in the papers does not follow from their own inputs (never reproduced by the code).
MISPRINTS = {
    "item_means_rounded": (
        "Pole et al.'s claims case prints item means to 2 decimals but computed gaps and CSI from the unrounded means (total / 60); "
        "differences of the printed means give item 8 -1.09 (printed -1.08), item 7 -0.96 (-0.97), item 18 -0.44 (-0.43)."
    ),
    "csi_from_rounded_table": "Recomputing the CSI from the printed (rounded) means gives 79.56%; the paper's 79.55% uses unrounded means.",
    "csi_equation": "Pole et al.'s eq. (8) prints sum(MIS) in the CSI numerator; its Table 10 (and the standard formula) use sum(WS).",
    "validity_item8_expectation": (
        "Pole et al.'s claims case Table 2 reports item 8's expectation r = 0.159 as 'Valid' although 0.159 < r tabel 0.361."
    ),
    "msi_third_midpoint": (
        "Singgih's case Table 3 prints the third midpoint of counts 166/820/274 as 0.957143 instead of 0.891270; "
        "its z = 1.71845 belongs to the misprint (the correct z is 1.23331)."
    ),
    "msi_second_z_text": "Singgih's text writes the second z as -10763 (for -0.10763).",
}


def claims_servqual_means(unrounded: bool = True) -> dict:
    """Pole et al.'s item inputs as arrays, ready for the SERVQUAL, CSI and IPA functions.

    Parameters
    ----------
    unrounded : bool
        True (default): perception and expectation means rebuilt as total / 60 from the
        printed two-decimal means (what the paper computed with). False: the printed means.

    Returns
    -------
    dict
        ``items`` (1..21), ``attributes`` (text), ``dimensions``, ``perception``,
        ``expectation``, ``management`` (ndarrays) and ``internal_gaps`` (DataFrame).
    """
    table = load_claims_servqual_attributes()
    perception = table["perception_mean"].to_numpy(dtype=float)
    expectation = table["expectation_mean"].to_numpy(dtype=float)
    if unrounded:
        perception = np.round(perception * RESPONDENTS) / RESPONDENTS
        expectation = np.round(expectation * RESPONDENTS) / RESPONDENTS
    return {
        "items": table["attribute_no"].tolist(),
        "attributes": table["attribute"].tolist(),
        "dimensions": table["dimension"].tolist(),
        "perception": perception,
        "expectation": expectation,
        "management": table["management_perception"].to_numpy(dtype=float),
        "internal_gaps": load_claims_servqual_internal_gaps(),
    }


def case_study_report() -> pd.DataFrame:
    """Pole et al.'s published figures beside the recomputed ones.

    Returns
    -------
    DataFrame
        Columns ``Figure, Published, Recomputed, Recomputed (printed means)``; the last
        column uses the paper's two-decimal means where that matters.
    """
    gap5, gap1, csi = {}, {}, {}
    for version, means in (("exact", claims_servqual_means(True)), ("printed", claims_servqual_means(False))):
        gap5[version] = servqual_gap5(means["perception"], means["expectation"], dimensions=means["dimensions"])
        gap1[version] = servqual_gap1(means["management"], means["expectation"])
        csi[version] = customer_satisfaction_index(means["expectation"], means["perception"]).csi
    slovin = slovin_sample_size(70, 0.05)
    midpoint_z = successive_intervals([166, 820, 274], method="midpoint").z
    rows = [
        ("Slovin n (N = 70, e = 0.05)", PUBLISHED["slovin_exact"], slovin.exact, slovin.exact),
        ("Respondents", PUBLISHED["slovin_respondents"], slovin.rounded_up, slovin.rounded_up),
        ("r critical (n = 30, 5%)", PUBLISHED["r_critical_n30"], critical_r(30), critical_r(30)),
        ("Gap 5, item 8", PUBLISHED["worst_item_gap"], gap5["exact"].gaps[7], gap5["printed"].gaps[7]),
        ("Gap 5, reliability", PUBLISHED["reliability_gap"], gap5["exact"].dimension_gaps[1], gap5["printed"].dimension_gaps[1]),
        ("Mean perception", PUBLISHED["mean_perception"], gap5["exact"].overall_observed, gap5["printed"].overall_observed),
        ("Mean expectation", PUBLISHED["mean_expectation"], gap5["exact"].overall_reference, gap5["printed"].overall_reference),
        ("Gap 5, overall", PUBLISHED["overall_gap5"], gap5["exact"].overall_gap, gap5["printed"].overall_gap),
        ("Mean management perception", PUBLISHED["mean_management"], gap1["exact"].overall_observed, gap1["printed"].overall_observed),
        ("Gap 1, overall", PUBLISHED["overall_gap1"], gap1["exact"].overall_gap, gap1["printed"].overall_gap),
        ("CSI (%)", PUBLISHED["csi_percent"], csi["exact"], csi["printed"]),
        ("MSI midpoint z, category 3 (Singgih's case)", PUBLISHED["msi_midpoint_z"][2], midpoint_z[2], midpoint_z[2]),
    ]
    return pd.DataFrame(rows, columns=["Figure", "Published", "Recomputed", "Recomputed (printed means)"])
