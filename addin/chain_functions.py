"""Excel functions of the survey-to-ROQ chain: retention from a survey, the programme's shift of the mix.

Thin wrappers over :mod:`simulator.roq.survey_retention` and
:mod:`simulator.roq.programme_effect`. Shares and rates are fractions (a % cell); the
crosstab is respondent counts.
"""

from __future__ import annotations

import xlwings as xw

from simulator import roq
from simulator.roq import programme_effect, survey_retention

from ._cells import arg, choice, excel_function, matrix, number

CATEGORY = "ROQ toolkit - Return on Quality"


@xw.func(category=CATEGORY)
@arg("counts", matrix, "Crosstab of respondents: rows dissatisfied, satisfied, delighted; columns yes, unsure, no (3 x 3, or 4 x 4 with totals).")
@arg("convention", choice(*roq.SATISFIED_SHARE_CONVENTIONS),
     "Meaning of S: satisfied_or_delighted (Rust, Zahorik & Keiningham, default) or satisfied_only (as Singgih published).")
@arg("confidence", number, "Interval level as a fraction, e.g. 95% (default).")
@excel_function
def ROQ_SURVEY_RETENTION(counts, convention="satisfied_or_delighted", confidence=0.95):
    """Retention from a satisfaction x repurchase crosstab with its interval (Dirichlet posterior); spills estimate, sd, low, high."""
    return survey_retention.survey_retention(counts, convention=convention, confidence=confidence).to_frame()


@xw.func(category=CATEGORY)
@arg("dissatisfied_share", number, "Dissatisfied share before the programme, a fraction (a % cell).")
@arg("delighted_share", number, "Delighted share before the programme, a fraction (a % cell).")
@arg("gap_closed", number, "Points of the service-quality gap the programme closes (survey scale), >= 0.")
@arg("driver_coefficient", number, "B of that dimension in the regression of overall satisfaction (SQ_REGRESSION).")
@arg("satisfaction_sd", number, "Standard deviation of overall satisfaction, > 0.")
@excel_function
def ROQ_SHIFTED_MIX(dissatisfied_share, delighted_share, gap_closed, driver_coefficient, satisfaction_sd):
    """Satisfaction mix after the programme: satisfaction rises B * gap / sd standard deviations (ordered-probit shift)."""
    shift = programme_effect.satisfaction_shift(gap_closed, driver_coefficient, satisfaction_sd)
    mix = programme_effect.shifted_mix(dissatisfied_share, delighted_share, shift)
    return [["group", "share"], *([name.replace("_share", ""), value] for name, value in mix.items()), ["shift (sd)", shift]]
