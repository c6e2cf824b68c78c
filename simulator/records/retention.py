"""Relationship outcomes per period and segment: renewal, account and premium retention,
cross-buying and business expansion (the long-term-relationship outcomes of Kurniawan's
Integrated Partnership Model study of PT Asuransi LMN).

Definitions, for underwriting period ``t`` (a customer is *active* in ``t`` when it holds
at least one policy term starting in ``t``; the last period in the table is taken to be
complete, so outcomes "into t + 1" exist for every period but the last):

- **renewal rate**: renewed / policy terms of ``t`` whose outcome is known (``renewed``
  1 or 0; blank terms are excluded); **premium renewal rate** weights each by premium.
- **customer (account) retention**: customers active in ``t`` and in ``t + 1`` /
  customers active in ``t``.
- **net premium retention**: premium written in ``t + 1`` by the customers active in
  ``t`` / their premium in ``t`` (includes growth, shrinkage and loss);
  **gross premium retention** caps each customer's ``t + 1`` premium at its ``t``
  premium (losses and shrinkage only).
- **business expansion**: premium growth of the retained customers,
  ``sum P(t + 1) / sum P(t) - 1`` over customers active in both.
- **cross-buying**: lines per active customer and the share holding two or more lines;
  **cross-buy rate**: share of retained customers holding a line in ``t + 1`` they did
  not hold in ``t``.

Pooled figures (:attr:`RetentionResult.overall`) sum numerators and denominators over all
periods that have a next period, so each customer-year counts once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from ._arrays import member, unique_inverse, unique_sorted
from .portfolio import Portfolio

__all__ = ["CustomerPeriods", "customer_periods", "RetentionResult", "retention_outcomes", "customer_groups", "GROUP_COLUMNS"]

#: Columns a portfolio can be split by (each customer takes the value on its earliest policy).
GROUP_COLUMNS = ("segment", "unit", "risk", "line")


@dataclass
class CustomerPeriods:
    """One row per customer and period in which it is active (internal building block).

    Arrays of equal length, sorted by customer then period: ``customer`` (code),
    ``period``, ``premium``, ``lines`` (distinct lines held), ``active_next`` (bool:
    active in period + 1), ``premium_next``, ``new_line_next`` (bool: holds a line in
    period + 1 it did not hold), ``observed_next`` (bool: period + 1 lies inside the
    table), and ``row_index``: for every policy row, its customer-period position.
    """

    customer: np.ndarray
    period: np.ndarray
    premium: np.ndarray
    lines: np.ndarray
    active_next: np.ndarray
    premium_next: np.ndarray
    new_line_next: np.ndarray
    observed_next: np.ndarray
    row_index: np.ndarray


def customer_periods(portfolio: Portfolio) -> CustomerPeriods:
    """Aggregate policy terms to customer-periods (vectorised: sort, unique, bincount).

    Computed once per portfolio and kept on it (every analysis starts from it).
    """
    cached = getattr(portfolio, "_customer_periods", None)
    if cached is not None:
        return cached
    portfolio._customer_periods = _customer_periods(portfolio)
    return portfolio._customer_periods


def _customer_periods(portfolio: Portfolio) -> CustomerPeriods:
    policies = portfolio.policies
    period = policies["period"].to_numpy()
    first, last = int(period.min()), int(period.max())
    width = last - first + 2  # one spare slot so that key + 1 never reaches the next customer
    key = portfolio.customer_codes * width + (period - first)
    keys, row_index = unique_inverse(key)
    premium = np.bincount(row_index, weights=policies["premium"].to_numpy(), minlength=len(keys))
    line_codes, line_names = pd.factorize(policies["line"])
    pairs = unique_sorted(key * len(line_names) + line_codes)
    pair_keys = pairs // len(line_names)
    lines = np.bincount(np.searchsorted(keys, pair_keys), minlength=len(keys))
    position = np.searchsorted(keys, keys + 1)
    position_clipped = np.minimum(position, len(keys) - 1)
    active_next = (position < len(keys)) & (keys[position_clipped] == keys + 1)
    premium_next = np.where(active_next, premium[position_clipped], 0.0)
    # a pair (customer, t + 1, line) whose (customer, t, line) does not exist is a new line
    previous = pairs - len(line_names)
    had_line = member(previous, pairs)
    had_customer = member(pair_keys - 1, keys)
    new_pair = had_customer & ~had_line
    new_line_next = np.zeros(len(keys), dtype=bool)
    new_line_next[np.searchsorted(keys, pair_keys[new_pair] - 1)] = True
    periods = first + keys % width
    return CustomerPeriods(
        customer=keys // width,
        period=periods,
        premium=premium,
        lines=lines,
        active_next=active_next,
        premium_next=premium_next,
        new_line_next=new_line_next,
        observed_next=periods < last,
        row_index=row_index,
    )


def customer_groups(portfolio: Portfolio, by: str | None) -> np.ndarray:
    """Per customer, its group label for ``by`` (the value on its earliest policy row)."""
    if by is None:
        return np.full(portfolio.n_customers, "All", dtype=object)
    column = str(by).strip().lower()
    if column not in GROUP_COLUMNS:
        raise RoqInputError("by", f"must be one of {', '.join(GROUP_COLUMNS)}, got {by!r}")
    if column not in portfolio.policies.columns:
        raise RoqInputError("by", f"{portfolio.source} has no column {column}")
    values = portfolio.customer_first(column)
    return np.where(pd.isna(values), "(none)", values).astype(object)


class RetentionResult:
    """Outcomes per period (and group) of :func:`retention_outcomes`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per period and group (columns as in the module docstring; rates are
        fractions, NaN where undefined, e.g. retention in the last period).
    overall : pandas.DataFrame
        Pooled figures per group (index: group; "All" for the whole portfolio); counts are
        summed over periods (``customer_periods``: customer-years).
    by : str or None
    """

    def __init__(self, table: pd.DataFrame, overall: pd.DataFrame, by):
        self.table = table
        self.overall = overall
        self.by = by

    @property
    def customer_retention(self) -> float:
        """Pooled customer (account) retention of the whole portfolio, a fraction per year."""
        return float(self.overall.loc["All", "customer_retention"])

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        columns = ["customer_periods", "renewal_rate", "customer_retention", "net_premium_retention", "gross_premium_retention",
                   "expansion", "lines_per_customer", "multi_line_share", "cross_buy_rate"]
        frame = self.overall[columns].copy()
        lines = ["Relationship outcomes (pooled over periods; rates are fractions per year)"]
        with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:.4f}".format):
            lines.append(frame.to_string())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


_SUMS = ("customers", "new_customers", "policies", "premium", "policies_due", "policies_renewed", "premium_due", "premium_renewed",
         "customers_observed", "customers_retained", "premium_observed", "premium_next", "premium_next_capped",
         "premium_retained_before", "premium_retained_after", "lines", "multi_line", "retained_new_line")


def _ratio(numerator, denominator):
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["renewal_rate"] = _ratio(frame["policies_renewed"], frame["policies_due"])
    out["premium_renewal_rate"] = _ratio(frame["premium_renewed"], frame["premium_due"])
    out["customer_retention"] = _ratio(frame["customers_retained"], frame["customers_observed"])
    out["net_premium_retention"] = _ratio(frame["premium_next"], frame["premium_observed"])
    out["gross_premium_retention"] = _ratio(frame["premium_next_capped"], frame["premium_observed"])
    out["expansion"] = _ratio(frame["premium_retained_after"], frame["premium_retained_before"]) - 1.0
    out["lines_per_customer"] = _ratio(frame["lines"], frame["customers"])
    out["multi_line_share"] = _ratio(frame["multi_line"], frame["customers"])
    out["cross_buy_rate"] = _ratio(frame["retained_new_line"], frame["customers_retained"])
    return out


def retention_outcomes(portfolio: Portfolio, *, by: str | None = None) -> RetentionResult:
    """Renewal, retention, premium retention, cross-buying and expansion per period.

    Parameters
    ----------
    portfolio : Portfolio
        A checked policy table (:func:`~simulator.records.portfolio.validate_policies`).
    by : {"segment", "unit", "risk", "line"}, optional
        Split customers by this attribute (the value on each customer's earliest policy;
        ``line`` is the line it started with); the table then has one row per period
        and group plus an "All" row per period.

    Returns
    -------
    RetentionResult
        ``.table`` per period (and group), ``.overall`` pooled, ``.customer_retention``.

    Examples
    --------
    >>> from simulator.records.portfolio import validate_policies
    >>> p = validate_policies([["policy_id", "customer_id", "line", "period", "premium", "renewed"],
    ...     ["1", "A", "motor", 2023, 100, 1], ["2", "A", "motor", 2024, 120, None],
    ...     ["3", "B", "motor", 2023, 200, 0]])
    >>> r = retention_outcomes(p)
    >>> float(r.table.loc[0, "customer_retention"]), float(r.table.loc[0, "net_premium_retention"])
    (0.5, 0.4)
    """
    cp = customer_periods(portfolio)
    groups = customer_groups(portfolio, by)
    group_codes, group_names = pd.factorize(groups, sort=True)
    group_names = np.asarray(group_names, dtype=object)
    policies = portfolio.policies
    renewed = policies["renewed"].to_numpy()
    known = ~np.isnan(renewed)
    policy_premium = policies["premium"].to_numpy()
    observed = cp.observed_next
    retained = cp.active_next & observed
    new = np.ones(len(cp.customer), dtype=bool)
    new[1:] = cp.customer[1:] != cp.customer[:-1]
    columns = {
        "customers": np.ones(len(cp.customer)),
        "new_customers": new.astype(float),
        "premium": cp.premium,
        "customers_observed": observed.astype(float),
        "customers_retained": retained.astype(float),
        "premium_observed": np.where(observed, cp.premium, 0.0),
        "premium_next": np.where(observed, cp.premium_next, 0.0),
        "premium_next_capped": np.where(observed, np.minimum(cp.premium_next, cp.premium), 0.0),
        "premium_retained_before": np.where(retained, cp.premium, 0.0),
        "premium_retained_after": np.where(retained, cp.premium_next, 0.0),
        "lines": cp.lines.astype(float),
        "multi_line": (cp.lines >= 2).astype(float),
        "retained_new_line": (retained & cp.new_line_next).astype(float),
    }
    first = int(cp.period.min())
    n_periods = int(cp.period.max()) - first + 1
    n_groups = len(group_names)
    cell = (cp.period - first) * n_groups + group_codes[cp.customer]
    sums = {name: np.bincount(cell, weights=values, minlength=n_periods * n_groups) for name, values in columns.items()}
    row_cell = (policies["period"].to_numpy() - first) * n_groups + group_codes[portfolio.customer_codes]
    sums["policies"] = np.bincount(row_cell, minlength=n_periods * n_groups).astype(float)
    sums["policies_due"] = np.bincount(row_cell, weights=known.astype(float), minlength=n_periods * n_groups)
    sums["policies_renewed"] = np.bincount(row_cell, weights=np.where(known, renewed, 0.0), minlength=n_periods * n_groups)
    sums["premium_due"] = np.bincount(row_cell, weights=np.where(known, policy_premium, 0.0), minlength=n_periods * n_groups)
    sums["premium_renewed"] = np.bincount(row_cell, weights=np.where(known & (renewed == 1), policy_premium, 0.0), minlength=n_periods * n_groups)
    frame = pd.DataFrame({name: sums[name] for name in _SUMS})
    frame.insert(0, "group", np.tile(group_names, n_periods))
    frame.insert(0, "period", np.repeat(np.arange(first, first + n_periods), n_groups))
    frame = frame[frame["customers"] > 0]
    if by is not None:
        totals = frame.groupby("period", as_index=False)[list(_SUMS)].sum()
        totals.insert(1, "group", "All")
        frame = pd.concat([frame, totals], ignore_index=True).sort_values(["period", "group"], key=lambda s: s if s.name == "period" else s.eq("All"), kind="stable")
    frame = frame.reset_index(drop=True)
    for name in ("customers", "new_customers", "policies", "policies_due", "policies_renewed", "customers_observed", "customers_retained", "lines", "multi_line", "retained_new_line"):
        frame[name] = frame[name].astype(np.int64)
    table = _rates(frame)
    pooled = table[table["group"] != "All"] if by is not None else table
    overall = pooled.groupby("group")[list(_SUMS)].sum()
    if by is not None:
        overall.loc["All"] = overall.sum()
    overall = _rates(overall).rename(columns={"customers": "customer_periods"})
    overall.index.name = by or "group"
    if by is None:
        table = table.drop(columns="group")
    else:
        table = table.rename(columns={"group": by})
    ordered = ["period"] + ([by] if by else []) + ["customers", "new_customers", "policies", "premium", "renewal_rate", "premium_renewal_rate",
                                                   "customer_retention", "net_premium_retention", "gross_premium_retention", "expansion",
                                                   "lines_per_customer", "multi_line_share", "cross_buy_rate"]
    rest = [c for c in table.columns if c not in ordered]
    return RetentionResult(table[ordered + rest], overall, by)
