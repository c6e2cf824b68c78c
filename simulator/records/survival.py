"""Survival of customer relationships: tenure and the Kaplan-Meier estimator.

A customer's *relationship* runs from the start of its first policy to the end of the
last policy of its first unbroken spell of cover (a gap of more than ``grace_days``
between one term's end and the next start ends the spell). It *lapsed* (an event) when
that end lies before the observation date and the term ending there was not renewed
(``renewed = 0``); otherwise it is *censored* at the earlier of that end and the
observation date (still in force, outcome not yet known, or a renewal not in the table).
Tenure is measured in years of 365.25 days.

The Kaplan-Meier (1958) product-limit estimator ``S(t) = prod_{t_j <= t} (1 - d_j / n_j)``
is computed here from its definition, in the arithmetic lifelines uses
(``exp(cumsum(log(n - d) - log(n)))``), with Greenwood's variance
``sum d / (n (n - d))`` and the exponential-Greenwood ("log-log") confidence interval
``exp(-exp(log(-log S) -/+ z sqrt(V) / log S)))``; the tests check it against
lifelines' ``KaplanMeierFitter`` value for value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..errors import RoqInputError
from ._arrays import unique_inverse
from .portfolio import Portfolio
from .retention import customer_groups

__all__ = ["DAYS_PER_YEAR", "relationships", "KaplanMeierResult", "kaplan_meier", "survival_by_group"]

DAYS_PER_YEAR = 365.25


def _as_of(portfolio: Portfolio, as_of):
    if as_of is None:
        # records are taken as complete up to the day after the latest start date
        return portfolio.policies["start_date"].max() + pd.Timedelta(days=1)
    try:
        return pd.Timestamp(as_of)
    except (TypeError, ValueError):
        raise RoqInputError("as_of", f"must be a date (YYYY-MM-DD), got {as_of!r}") from None


def relationships(portfolio: Portfolio, *, as_of=None, grace_days: int = 31) -> pd.DataFrame:
    """One row per customer: first start, end of the first spell, tenure and whether it lapsed.

    Parameters
    ----------
    portfolio : Portfolio
    as_of : date, optional
        Observation date; default the day after the latest start date in the table.
    grace_days : int
        Largest gap (days) between one term's end and the next start that still counts as
        the same relationship (0..366; default 31).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``first_start``, ``spell_end``, ``tenure_years`` (to the
        event or censoring time), ``lapsed`` (bool), indexed by customer code.
    """
    if isinstance(grace_days, bool) or not isinstance(grace_days, (int, np.integer)) or not 0 <= grace_days <= 366:
        raise RoqInputError("grace_days", f"must be a whole number of days from 0 to 366, got {grace_days!r}")
    as_of = _as_of(portfolio, as_of)
    cache = portfolio.__dict__.setdefault("_relationships", {})
    if (as_of, grace_days) not in cache:
        cache[(as_of, grace_days)] = _relationships(portfolio, as_of, grace_days)
    return cache[(as_of, grace_days)].copy()


def _relationships(portfolio: Portfolio, as_of, grace_days) -> pd.DataFrame:
    policies = portfolio.policies
    codes = portfolio.customer_codes
    start = policies["start_date"].to_numpy()
    end = policies["end_date"].to_numpy()
    order = np.lexsort((start, codes))
    c, s, e = codes[order], start[order], end[order]
    renewed = policies["renewed"].to_numpy()[order]
    first_row = np.ones(len(c), dtype=bool)
    first_row[1:] = c[1:] != c[:-1]
    # running maximum of the end date within each customer (cover so far)
    e_int = e.astype("int64")
    running = pd.Series(e_int).groupby(c).cummax().to_numpy()
    previous_cover = np.empty_like(running)
    previous_cover[1:] = running[:-1]
    grace = np.timedelta64(int(grace_days), "D").astype("timedelta64[ns]").astype("int64")
    gap = ~first_row & (s.astype("int64") > previous_cover + grace)
    # rows of the first spell: before the customer's first gap
    broken = pd.Series(gap).groupby(c).cummax().to_numpy()
    in_spell = ~broken
    n = portfolio.n_customers
    first_start = np.zeros(n, dtype="int64")
    first_start[c[first_row]] = s[first_row].astype("int64")
    spell_end = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(spell_end, c[in_spell], e_int[in_spell])
    # the renewal flag of the spell's last-ending term(s): lapsed only if every such term says 0
    ends_spell = in_spell & (e_int == spell_end[c])
    any_not_lapsed = np.zeros(n, dtype=bool)
    np.logical_or.at(any_not_lapsed, c[ends_spell], renewed[ends_spell] != 0)
    as_of_int = as_of.to_datetime64().astype("datetime64[ns]").astype("int64")
    had_gap = np.zeros(n, dtype=bool)
    had_gap[c[gap]] = True
    lapsed = (spell_end < as_of_int) & (~any_not_lapsed | had_gap)
    stop = np.where(lapsed, spell_end, np.minimum(spell_end, as_of_int))
    tenure = (stop - first_start) / (86400e9 * DAYS_PER_YEAR)
    return pd.DataFrame(
        {
            "customer_id": portfolio.customers,
            "first_start": first_start.astype("datetime64[ns]"),
            "spell_end": spell_end.astype("datetime64[ns]"),
            "tenure_years": np.maximum(tenure, 0.0),
            "lapsed": lapsed,
        }
    )


class KaplanMeierResult:
    """The Kaplan-Meier estimate of one group.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per distinct time (0 first): ``time`` (years), ``at_risk``, ``events``,
        ``censored``, ``survival``, ``greenwood_variance`` (of log S), ``lower``,
        ``upper`` (exponential-Greenwood interval).
    conf_level : float
    n, events : int
    """

    def __init__(self, table: pd.DataFrame, conf_level: float, label: str = "All"):
        self.table = table
        self.conf_level = conf_level
        self.label = label
        self.n = int(table["at_risk"].iloc[0]) if len(table) else 0
        self.events = int(table["events"].sum())

    def survival_at(self, times) -> np.ndarray:
        """``S(t)`` at the given times (years): the step function, right-continuous."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        position = np.searchsorted(self.table["time"].to_numpy(), times, side="right") - 1
        values = self.table["survival"].to_numpy()
        return np.where(position >= 0, values[np.maximum(position, 0)], 1.0)

    def interval_at(self, times) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) confidence bounds at the given times."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        position = np.maximum(np.searchsorted(self.table["time"].to_numpy(), times, side="right") - 1, 0)
        return self.table["lower"].to_numpy()[position], self.table["upper"].to_numpy()[position]

    @property
    def median(self) -> float:
        """Median tenure: the first time S(t) <= 0.5 (inf if never reached)."""
        below = self.table.loc[self.table["survival"] <= 0.5, "time"]
        return float(below.iloc[0]) if len(below) else float("inf")

    def yearly(self, years: int | None = None) -> pd.DataFrame:
        """Survival after k = 0, 1, ... renewals: S read at k + 0.5 years, with its interval.

        Annual terms end 365 or 366 days after they start, so lapses at the k-th
        anniversary fall on either side of k years; reading half a year later gives the
        share of relationships that passed the k-th anniversary.
        """
        last = int(np.floor(self.table["time"].max() - 0.5)) if years is None else int(years)
        grid = np.arange(0, max(last, 0) + 1, dtype=float)
        read_at = np.where(grid == 0, 0.0, grid + 0.5)
        lower, upper = self.interval_at(read_at)
        survival = self.survival_at(read_at)
        return pd.DataFrame({"year": grid.astype(int), "survival": survival, "lower": np.where(grid == 0, 1.0, lower),
                             "upper": np.where(grid == 0, 1.0, upper)})

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        yearly = self.yearly()
        lines = [f"Kaplan-Meier survival of relationships ({self.label}): n = {self.n}, lapses = {self.events}, median tenure = {self.median:.2f} years",
                 yearly.to_string(index=False, float_format=lambda v: f"{v:.4f}")]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def kaplan_meier(durations, events, *, conf_level: float = 0.95, label: str = "All") -> KaplanMeierResult:
    """Kaplan-Meier product-limit estimate of survival (Kaplan & Meier 1958).

    Parameters
    ----------
    durations : array of float
        Time to the event or to censoring (years), >= 0.
    events : array of bool
        True where the event (a lapse) was observed, False where censored.
    conf_level : float
        Confidence level of the exponential-Greenwood interval (0 < level < 1).

    Returns
    -------
    KaplanMeierResult

    Examples
    --------
    >>> r = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    >>> r.table["survival"].round(4).tolist()
    [1.0, 0.8, 0.6, 0.3, 0.3]
    """
    durations = np.asarray(durations, dtype=float).reshape(-1)
    events = np.asarray(events).reshape(-1)
    if durations.shape != events.shape:
        raise RoqInputError("events", f"must have one flag per duration ({len(durations)}), got {len(events)}")
    if len(durations) == 0:
        raise RoqInputError("durations", "is empty")
    if not np.isfinite(durations).all() or (durations < 0).any():
        raise RoqInputError("durations", "must be finite and >= 0 (years)")
    if not 0 < conf_level < 1:
        raise RoqInputError("conf_level", f"must be between 0 and 1 (0.95 = 95%), got {conf_level}")
    events = events.astype(bool)
    times, inverse = unique_inverse(durations)
    deaths = np.bincount(inverse, weights=events.astype(float), minlength=len(times))
    removed = np.bincount(inverse, minlength=len(times)).astype(float)
    if times[0] != 0.0:  # the curve starts at S(0) = 1 with everyone at risk
        times = np.concatenate([[0.0], times])
        deaths = np.concatenate([[0.0], deaths])
        removed = np.concatenate([[0.0], removed])
    at_risk = len(durations) - np.concatenate([[0.0], np.cumsum(removed)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_survival = np.cumsum(np.log(at_risk - deaths) - np.log(at_risk))
        variance_terms = deaths / (at_risk * (at_risk - deaths))
    variance = np.cumsum(np.where(np.isinf(variance_terms), 0.0, variance_terms))
    survival = np.exp(log_survival)
    z = ndtri(1 - (1 - conf_level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.log(survival)
        lower = np.exp(-np.exp(np.log(-v) - z * np.sqrt(variance) / v))
        upper = np.exp(-np.exp(np.log(-v) + z * np.sqrt(variance) / v))
    table = pd.DataFrame(
        {
            "time": times,
            "at_risk": at_risk.astype(np.int64),
            "events": deaths.astype(np.int64),
            "censored": (removed - deaths).astype(np.int64),
            "survival": survival,
            "greenwood_variance": variance,
            "lower": np.where(np.isnan(lower), 1.0, lower),
            "upper": np.where(np.isnan(upper), 1.0, upper),
        }
    )
    return KaplanMeierResult(table, conf_level, label)


def survival_by_group(portfolio: Portfolio, *, by: str | None = None, as_of=None, grace_days: int = 31, conf_level: float = 0.95) -> dict:
    """Kaplan-Meier curves of relationship tenure, one per group (plus "All").

    Returns
    -------
    dict of str -> KaplanMeierResult
        "All" first, then the groups of ``by`` in sorted order.
    """
    frame = relationships(portfolio, as_of=as_of, grace_days=grace_days)
    out = {"All": kaplan_meier(frame["tenure_years"], frame["lapsed"], conf_level=conf_level)}
    if by is not None:
        groups = customer_groups(portfolio, by)
        for name in sorted(set(groups)):
            mask = groups == name
            out[str(name)] = kaplan_meier(frame["tenure_years"][mask], frame["lapsed"][mask], conf_level=conf_level, label=str(name))
    return out
