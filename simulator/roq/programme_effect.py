"""The programme's effect: closing a service-quality gap shifts the satisfaction mix.

Rust, Zahorik & Keiningham's chain runs improvement effort -> service quality ->
satisfaction -> retention. This module is the middle link. A driver model says how much
overall satisfaction rises per point of a service-quality dimension: the unstandardised
coefficient B of that dimension in the regression of overall satisfaction on the
SERVQUAL dimensions (:func:`simulator.survey.linear_regression`, or a structural
model's path). A programme that closes X points of that dimension's gap raises mean
satisfaction by ``B * X``, i.e. by

    shift = B * X / sd(satisfaction)

standard deviations of overall satisfaction (several dimensions add: sum_d B_d X_d / sd).

How a mean shift moves customers between the three groups is an ordered-probit
assumption, stated here once: satisfaction is a latent normal variable, the survey's
groups are the intervals between two cut points, ``tau1 = Phi^-1(dissatisfied share)``
and ``tau2 = Phi^-1(1 - delighted share)``; the programme moves the whole distribution
up by ``shift`` while the cut points stay, so

    dissatisfied' = Phi(tau1 - shift),   delighted' = 1 - Phi(tau2 - shift).

The groups' repurchase rates stay as measured (RZK's assumption: the programme moves
customers between groups, it does not change what a satisfied customer does). With no
shift the mix is unchanged; shares stay in [0, 1] and add up to 1 for any shift.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

from .._validate import as_float_array, check_range
from ..errors import RoqInputError

__all__ = [
    "satisfaction_shift",
    "shifted_mix",
    "driver_from_regression",
    "programme_parameters",
    "ARM_CONFLICTS",
]

#: Inputs that would say a second time how each arm's retention is set; a chain sets
#: both arms from the satisfaction mix, so these are removed from the parameters.
ARM_CONFLICTS = (
    "retention", "baseline_retention", "market_share_path", "baseline_market_share_path", "baseline_market_share",
)

#: Largest shift accepted, in standard deviations of satisfaction (6 sd moves everyone).
MAXIMUM_SHIFT = 6.0


def satisfaction_shift(gap_closed, driver_coefficient, satisfaction_sd):
    """Rise of mean satisfaction, in standard deviations, from closing a gap.

    ``shift = driver_coefficient * gap_closed / satisfaction_sd``.

    Parameters
    ----------
    gap_closed : float or array_like
        Points of the dimension's gap the programme closes (on the survey's scale, >= 0).
    driver_coefficient : float or array_like
        Unstandardised B of the dimension in the regression of overall satisfaction
        (satisfaction points per dimension point).
    satisfaction_sd : float or array_like
        Standard deviation of overall satisfaction (same scale as its regression, > 0).

    Returns
    -------
    float or ndarray
        The shift in standard deviations.

    Examples
    --------
    >>> round(satisfaction_shift(0.5, 0.42, 0.7), 4)
    0.3
    """
    gap = check_range(as_float_array(gap_closed, "gap_closed"), "gap_closed", 0.0, None, what=" (gap points closed)")
    coefficient = as_float_array(driver_coefficient, "driver_coefficient")
    sd = as_float_array(satisfaction_sd, "satisfaction_sd")
    if np.any(~np.isfinite(coefficient)):
        raise RoqInputError("driver_coefficient", "must be a finite number")
    if np.any(~(sd > 0)) or np.any(~np.isfinite(sd)):
        raise RoqInputError("satisfaction_sd", "must be a positive standard deviation of overall satisfaction")
    shift = coefficient * gap / sd
    return float(shift) if np.ndim(shift) == 0 else shift


def shifted_mix(dissatisfied_share, delighted_share, shift) -> dict:
    """The satisfaction mix after the latent satisfaction moves up by ``shift`` sd.

    Parameters
    ----------
    dissatisfied_share, delighted_share : float or array_like
        Shares before the programme (fractions; their sum at most 1).
    shift : float or array_like
        Rise of mean satisfaction in standard deviations (negative: a fall).

    Returns
    -------
    dict
        ``dissatisfied_share``, ``satisfied_share``, ``delighted_share`` after the shift.

    Examples
    --------
    >>> mix = shifted_mix(0.4167, 0.0952, 0.0)
    >>> round(mix["satisfied_share"], 4)
    0.4881
    >>> mix = shifted_mix(0.4167, 0.0952, 0.5)
    >>> [round(mix[k], 4) for k in ("dissatisfied_share", "satisfied_share", "delighted_share")]
    [0.2387, 0.5521, 0.2091]
    """
    low = check_range(as_float_array(dissatisfied_share, "dissatisfied_share"), "dissatisfied_share", 0.0, 1.0)
    high = check_range(as_float_array(delighted_share, "delighted_share"), "delighted_share", 0.0, 1.0)
    move = as_float_array(shift, "shift")
    if np.any(np.abs(move) > MAXIMUM_SHIFT) or np.any(~np.isfinite(move)):
        raise RoqInputError("shift", f"must be within +-{MAXIMUM_SHIFT:g} standard deviations of satisfaction; check the driver coefficient and the gap closed")
    if np.any(low + high > 1 + 1e-12):
        raise RoqInputError("dissatisfied_share, delighted_share", "add up to more than 1 (100% of customers)")
    tau1 = ndtri(low)
    tau2 = ndtri(1.0 - high)
    dissatisfied = ndtr(tau1 - move)
    delighted = 1.0 - ndtr(tau2 - move)
    satisfied = np.clip(1.0 - dissatisfied - delighted, 0.0, 1.0)
    result = {"dissatisfied_share": dissatisfied, "satisfied_share": satisfied, "delighted_share": delighted}
    if all(np.ndim(v) == 0 for v in result.values()):
        return {k: float(v) for k, v in result.items()}
    return result


def driver_from_regression(regression, dimension: str) -> dict:
    """Driver coefficient, its standard error and the sd of satisfaction from a regression.

    Parameters
    ----------
    regression : simulator.survey.LinearRegression
        Overall satisfaction (or repurchase intention) regressed on the dimensions.
    dimension : str
        The predictor the programme improves.

    Returns
    -------
    dict
        ``driver_coefficient`` (B), ``driver_standard_error`` (its SE),
        ``satisfaction_sd`` (sd of the dependent variable over the rows used).
    """
    names = list(regression.names)
    if dimension not in names or dimension == "(Constant)":
        predictors = [n for n in names if n != "(Constant)"]
        raise RoqInputError("dimension", f"{dimension!r} is not a predictor of the regression; it has {', '.join(predictors)}")
    index = names.index(dimension)
    sd = float(np.sqrt(regression.ss_total / regression.df_total))
    return {"driver_coefficient": float(regression.params[index]), "driver_standard_error": float(regression.bse[index]), "satisfaction_sd": sd}


def programme_parameters(parameters: dict, mix: dict, shift) -> dict:
    """Model inputs with both arms' retention set from the survey mix and its shifted mix.

    Parameters
    ----------
    parameters : dict
        Model inputs (:data:`simulator.roq.MODEL_INPUTS`); any input that sets an arm's
        retention otherwise (``retention``, ``baseline_retention``, given share paths)
        is removed.
    mix : dict
        ``dissatisfied_share``, ``satisfied_share``, ``delighted_share`` and the three
        ``repurchase_*`` rates measured by the survey (scalars or arrays).
    shift : float or array_like
        Rise of satisfaction with the programme, in sd (see :func:`satisfaction_shift`).

    Returns
    -------
    dict
        Inputs for :func:`simulator.roq.evaluate`: ``baseline_satisfied_share`` /
        ``baseline_delighted_share`` from the survey, ``satisfied_share`` /
        ``delighted_share`` after the shift, the rates unchanged.
    """
    after = shifted_mix(mix["dissatisfied_share"], mix["delighted_share"], shift)
    result = {k: v for k, v in parameters.items() if k not in ARM_CONFLICTS}
    result.update(
        baseline_satisfied_share=mix["satisfied_share"],
        baseline_delighted_share=mix["delighted_share"],
        satisfied_share=after["satisfied_share"],
        delighted_share=after["delighted_share"],
        repurchase_dissatisfied=mix["repurchase_dissatisfied"],
        repurchase_satisfied=mix["repurchase_satisfied"],
        repurchase_delighted=mix["repurchase_delighted"],
    )
    return result
