"""Calibration of the Return-on-Quality model from survey counts and market data.

Each function is one published step of Rust, Zahorik & Keiningham (1995), "Return on
Quality (ROQ): Making Service Quality Financially Accountable", Journal of Marketing 59,
58-70, as applied in Singgih's case (an Indonesian life insurer). All accept scalars or numpy
arrays (broadcast element-wise) and return floats or arrays of the same shape. Rates and
shares are fractions (0.3461, not 34.61).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .._validate import as_float_array, check_range
from ..errors import RoqInputError

__all__ = [
    "SATISFIED_SHARE_CONVENTIONS",
    "repurchase_rate",
    "retention",
    "market_churn",
    "attraction",
    "competitor_retention",
    "market_growth",
]

#: Meaning of S in R = (1 - S) r1 + S r2 + D (r3 - r2); see :func:`retention`.
SATISFIED_SHARE_CONVENTIONS = ("satisfied_or_delighted", "satisfied_only")


def _scalar_or_array(array: np.ndarray):
    return float(array) if array.ndim == 0 else array


def _share(value, name):
    return check_range(as_float_array(value, name), name, 0.0, 1.0, what=" (a share between 0 and 1)")


def _count(value, name):
    return check_range(as_float_array(value, name), name, 0.0, None, what=" (a count)")


def repurchase_rate(yes, unsure, no):
    """Repurchase intention of a customer group from answer counts.

    Answers are scored yes = 100%, unsure = 50%, no = 0% (Singgih's case) and averaged:
    ``(yes + 0.5 * unsure) / (yes + unsure + no)``.

    Parameters
    ----------
    yes, unsure, no : float or array_like
        Numbers of respondents answering each option (non-negative).

    Returns
    -------
    float or ndarray
        Repurchase rate as a fraction in [0, 1].

    Examples
    --------
    >>> round(repurchase_rate(13, 18, 4), 4)
    0.6286
    """
    yes, unsure, no = _count(yes, "yes"), _count(unsure, "unsure"), _count(no, "no")
    total = yes + unsure + no
    if np.any(total <= 0):
        raise RoqInputError("yes, unsure, no", "a group has no answers (all counts are zero)")
    return _scalar_or_array((yes + 0.5 * unsure) / total)


def retention(
    satisfied_share,
    delighted_share,
    repurchase_dissatisfied,
    repurchase_satisfied,
    repurchase_delighted,
    *,
    convention: Literal["satisfied_or_delighted", "satisfied_only"] = "satisfied_or_delighted",
):
    """Customer retention rate from the satisfaction mix (Rust, Zahorik & Keiningham 1995).

    ``R = (1 - S) * r1 + S * r2 + D * (r3 - r2)``, with r1, r2, r3 the repurchase rates of
    dissatisfied, satisfied and delighted customers, D the delighted share, and S chosen by
    ``convention``:

    - ``"satisfied_or_delighted"`` (RZK's definition, the default): S = satisfied + delighted
      share, so R is the share-weighted mean of the three repurchase rates;
    - ``"satisfied_only"`` (Singgih's case as published): S = the satisfied-only share. The formula
      then weights delighted customers by r1 as well; Singgih's case reports R = 34.61% this way
      (38.01% under RZK's definition).

    Parameters
    ----------
    satisfied_share : float or array_like
        Share of respondents who are satisfied but not delighted (0.4881 in Singgih's case).
    delighted_share : float or array_like
        Share of respondents who are delighted / very satisfied (0.0952 in Singgih's case).
        ``satisfied_share + delighted_share`` must not exceed 1; the rest is dissatisfied.
    repurchase_dissatisfied, repurchase_satisfied, repurchase_delighted : float or array_like
        Repurchase rates r1, r2, r3 of the three groups, fractions in [0, 1].
    convention : {"satisfied_or_delighted", "satisfied_only"}
        Meaning of S in the formula, see above.

    Returns
    -------
    float or ndarray
        Retention rate R, a fraction per period (year).

    Examples
    --------
    Singgih's case (S = 48.81% satisfied only, D = 9.52%, r = 15.48%, 51.19%, 69.04%):

    >>> round(retention(0.4881, 0.0952, 0.1548, 0.5119, 0.6904, convention="satisfied_only"), 4)
    0.3461
    >>> round(retention(0.4881, 0.0952, 0.1548, 0.5119, 0.6904), 4)
    0.3801
    """
    satisfied = _share(satisfied_share, "satisfied_share")
    delighted = _share(delighted_share, "delighted_share")
    r1 = _share(repurchase_dissatisfied, "repurchase_dissatisfied")
    r2 = _share(repurchase_satisfied, "repurchase_satisfied")
    r3 = _share(repurchase_delighted, "repurchase_delighted")
    if np.any(satisfied + delighted > 1 + 1e-12):
        raise RoqInputError("satisfied_share, delighted_share", "add up to more than 1 (100% of customers)")
    if convention == "satisfied_or_delighted":
        s = satisfied + delighted
    elif convention == "satisfied_only":
        s = satisfied
    else:
        raise RoqInputError("convention", f"must be one of {', '.join(SATISFIED_SHARE_CONVENTIONS)}, got {convention!r}")
    return _scalar_or_array((1.0 - s) * r1 + s * r2 + delighted * (r3 - r2))


def market_churn(customers_leaving, customers_total):
    """Market churn c: the share of customers who leave the market each period.

    ``c = leaving / total``. Singgih's case estimates it from the recommendation crosstab as
    8 / 84 = 0.095 (respondents who would never recommend).

    Parameters
    ----------
    customers_leaving : float or array_like
        Number (or weight) of customers leaving the market, >= 0.
    customers_total : float or array_like
        Number of customers observed, > 0 and >= ``customers_leaving``.

    Returns
    -------
    float or ndarray
        Churn as a fraction per period.

    Examples
    --------
    >>> round(market_churn(8, 84), 3)
    0.095
    """
    leaving = _count(customers_leaving, "customers_leaving")
    total = check_range(as_float_array(customers_total, "customers_total"), "customers_total", 0.0, None, low_open=True)
    if np.any(leaving > total):
        raise RoqInputError("customers_leaving", "exceeds customers_total")
    return _scalar_or_array(leaving / total)


def attraction(new_customers, market_size, previous_market_size, churn):
    """Firm's attraction A: its share of the customers entering the market.

    From ``new = A * [N_t - (1 - c) * N_{t-1}]`` (RZK 1995): entrants are the market's
    growth plus the churned customers it replaces, and the firm wins the share A of them.

    Parameters
    ----------
    new_customers : float or array_like
        New customers the firm won in period t.
    market_size : float or array_like
        Market size N_t (customers) at t.
    previous_market_size : float or array_like
        Market size N_{t-1} at t - 1.
    churn : float or array_like
        Market churn c, fraction in [0, 1).

    Returns
    -------
    float or ndarray
        Attraction A as a fraction of entrants.

    Notes
    -----
    Singgih's inputs 850, 5762, 3497 and c = 0.095 give A = 32.7%; the paper prints and
    then uses 3.06% (a misprint, see methods.md). The case study shows both.

    Examples
    --------
    >>> round(attraction(850, 5762, 3497, 0.095), 4)
    0.3273
    """
    new = _count(new_customers, "new_customers")
    size = check_range(as_float_array(market_size, "market_size"), "market_size", 0.0, None, low_open=True)
    previous = check_range(as_float_array(previous_market_size, "previous_market_size"), "previous_market_size", 0.0, None, low_open=True)
    c = check_range(as_float_array(churn, "churn"), "churn", 0.0, 1.0, high_open=True)
    entrants = size - (1.0 - c) * previous
    if np.any(entrants <= 0):
        raise RoqInputError("market_size", "no customers enter the market (N_t <= (1 - churn) * N_{t-1}), so attraction is undefined")
    value = new / entrants
    if np.any(value > 1 + 1e-12):
        raise RoqInputError("new_customers", "exceeds the customers entering the market (attraction above 100%)")
    return _scalar_or_array(value)


def competitor_retention(customers_switching_in, previous_share, previous_market_size, churn):
    """Competitors' retention R' from the customers who switched to the firm.

    From ``switching = (1 - R' - c) * (1 - M_{t-1}) * N_{t-1}`` (RZK 1995):
    ``R' = 1 - c - switching / ((1 - M_{t-1}) N_{t-1})``.

    Parameters
    ----------
    customers_switching_in : float or array_like
        Customers who came from competitors in period t.
    previous_share : float or array_like
        Firm's market share M_{t-1}, fraction.
    previous_market_size : float or array_like
        Market size N_{t-1}, customers.
    churn : float or array_like
        Market churn c, fraction in [0, 1).

    Returns
    -------
    float or ndarray
        R', a fraction in [0, 1 - c].

    Examples
    --------
    Singgih's case (452 switchers, M = 1.39%, N = 250,760, c = 0.095):

    >>> round(competitor_retention(452, 0.0139, 250760, 0.095), 4)
    0.9032
    """
    switching = _count(customers_switching_in, "customers_switching_in")
    share = _share(previous_share, "previous_share")
    size = check_range(as_float_array(previous_market_size, "previous_market_size"), "previous_market_size", 0.0, None, low_open=True)
    c = check_range(as_float_array(churn, "churn"), "churn", 0.0, 1.0, high_open=True)
    competitors_customers = (1.0 - share) * size
    if np.any(competitors_customers <= 0):
        raise RoqInputError("previous_share", "competitors have no customers (share is 100%)")
    value = 1.0 - c - switching / competitors_customers
    if np.any(value < 0):
        raise RoqInputError("customers_switching_in", "more customers switch in than competitors keep after churn (R' would be negative)")
    return _scalar_or_array(value)


def market_growth(market_size, previous_market_size):
    """Market growth rate g = N_t / N_{t-1} - 1 (the growth factor is G = 1 + g).

    Parameters
    ----------
    market_size, previous_market_size : float or array_like
        Market sizes N_t and N_{t-1} (customers), > 0.

    Returns
    -------
    float or ndarray
        g as a fraction per period.

    Examples
    --------
    Singgih's first year (the paper prints 14.39%):

    >>> round(market_growth(286859, 250760), 5)
    0.14396
    """
    size = check_range(as_float_array(market_size, "market_size"), "market_size", 0.0, None, low_open=True)
    previous = check_range(as_float_array(previous_market_size, "previous_market_size"), "previous_market_size", 0.0, None, low_open=True)
    return _scalar_or_array(size / previous - 1.0)
