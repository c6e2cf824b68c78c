"""A documented generator of realistic policy portfolios with known driver effects.

Kurniawan's Integrated Partnership Model study of PT Asuransi LMN publishes no customer
records, so the toolkit's examples and tests use portfolios drawn from a stated model
whose every effect is known:

1. **Customers** (``customers``) join on a uniformly random day of a uniformly random
   year of the window ``first_year .. first_year + years - 1`` (staggered entry), in a
   segment (corporate 20%, SME 35%, retail 45%), a business unit (four branches) and a
   risk class (low 50%, moderate 35%, high 15%).
2. **Service indicators**: experience, trust, effort (customer effort; high is bad) and
   complaint resolution, on a 1-5 scale (one decimal), drawn once per customer from a
   correlated normal (experience, trust, complaint resolution correlate 0.4; effort
   -0.3 with each), means 3.5, 3.5, 2.5, 3.5, sd 0.7, clipped to 1-5. They are repeated
   on every policy row of the customer (the same survey score each period).
3. **Renewal** (the account decision at each anniversary, for every line at once):
   ``logit P(renew) = b0 + sum_k b_k (x_k - 3)`` with :data:`DEFAULT_EFFECTS`
   (odds ratios per scale point: experience 1.65, trust 1.49, effort 0.70, complaint
   resolution 1.35) and ``b0 = 1.0``. Decisions are independent given the scores, so
   a logistic regression of the account renewals on the four scores is correctly
   specified and must recover these coefficients; the relationship survival is
   ``S(k) = mean_i p_i^k`` at whole years, given in :attr:`GeneratedPortfolio.survival`.
4. **Lines**: the first line is a Financial Line (credit 30%, surety bond 20%) for half
   the customers, else property, motor, marine cargo, engineering, liability, personal
   accident or health. At each renewal the customer adds a line it does not hold with
   probability ``logistic(-2.2 + 0.5 (trust - 3))`` (cross-buying).
5. **Premium**: log-normal by segment (medians IDR 100 million corporate, 24 million SME,
   3.3 million retail; sigma 1.0) times a line factor; each renewal multiplies it by
   ``exp(N(0.04, 0.10))``. **Claims**: 15% of terms claim, ``premium x lognormal``
   (loss ratio about 45%).
6. **Observation**: records run to ``first_year + years`` (exclusive, the observation
   date); a term ending on or after it has ``renewed`` blank (not yet known).

The same seed gives the same table on every run and platform (NumPy's PCG64).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import RoqInputError

__all__ = ["DEFAULT_EFFECTS", "DEFAULT_INTERCEPT", "GeneratedPortfolio", "generate_portfolio"]

#: Log-odds per scale point of each service indicator in the generating renewal model.
DEFAULT_EFFECTS = {"experience": 0.50, "trust": 0.40, "effort": -0.35, "complaint_resolution": 0.30}
#: Log-odds of renewal of a customer scoring 3 on every indicator.
DEFAULT_INTERCEPT = 1.0
MAX_CUSTOMERS = 5_000_000
MAX_YEARS = 60

_SEGMENTS = ("corporate", "sme", "retail")
_SEGMENT_SHARES = (0.20, 0.35, 0.45)
_SEGMENT_LOG_MEDIAN = (np.log(100e6), np.log(24e6), np.log(3.3e6))
_UNITS = ("Jakarta", "Surabaya", "Medan", "Makassar")
_UNIT_SHARES = (0.40, 0.25, 0.20, 0.15)
_RISKS = ("low", "moderate", "high")
_RISK_SHARES = (0.50, 0.35, 0.15)
_LINES = ("credit", "surety_bond", "property", "motor", "marine_cargo", "engineering", "liability", "personal_accident", "health")
_FIRST_LINE_SHARES = (0.30, 0.20, 0.15, 0.15, 0.08, 0.06, 0.03, 0.02, 0.01)
_LINE_FACTOR = np.array([1.4, 0.8, 1.2, 0.5, 0.9, 1.6, 0.7, 0.2, 0.6])
_CROSS_BUY_INTERCEPT, _CROSS_BUY_TRUST = -2.2, 0.5
_SCORE_MEANS = np.array([3.5, 3.5, 2.5, 3.5])


@dataclass
class GeneratedPortfolio:
    """A generated policy table and the truth it was drawn from.

    Attributes
    ----------
    policies : pandas.DataFrame
        The policy table (columns as :mod:`simulator.records.portfolio` reads them).
    intercept : float
        ``b0`` on the centred scale (scores minus 3).
    effects : dict
        ``b_k`` per indicator (log-odds per scale point).
    renewal_probability : ndarray
        Each customer's true renewal probability, in customer order (C000001, ...).
    survival : ndarray
        ``S(k) = mean_i p_i^k`` for k = 0..years: the relationship survival of this
        sample of customers at whole years of tenure.
    as_of : pandas.Timestamp
        The observation date (records are complete before it).
    seed : int
    """

    policies: pd.DataFrame
    intercept: float
    effects: dict
    renewal_probability: np.ndarray
    survival: np.ndarray
    as_of: pd.Timestamp
    seed: int
    customers: pd.DataFrame = field(repr=False, default=None)

    @property
    def coefficients(self) -> dict:
        """The generating coefficients on the raw score scale: ``{"constant": b0 - 3 sum b, name: b}``."""
        out = {"constant": self.intercept - 3.0 * sum(self.effects.values())}
        out.update(self.effects)
        return out

    @property
    def odds_ratios(self) -> dict:
        """``exp(b_k)`` per indicator."""
        return {name: float(np.exp(b)) for name, b in self.effects.items()}


def generate_portfolio(customers: int = 5000, *, first_year: int = 2018, years: int = 8, seed: int = 0,
                       effects: dict | None = None, intercept: float = DEFAULT_INTERCEPT) -> GeneratedPortfolio:
    """Draw a policy portfolio from the documented model (see the module docstring).

    Parameters
    ----------
    customers : int
        Number of customers (1 .. 5,000,000). About 2.3 policy rows per customer-year.
    first_year, years : int
        The observation window: ``first_year`` to ``first_year + years - 1`` (1..60 years).
    seed : int
        Random seed (>= 0); the same seed gives the same table.
    effects : dict, optional
        Log-odds per scale point for ``experience``, ``trust``, ``effort``,
        ``complaint_resolution`` (default :data:`DEFAULT_EFFECTS`); a missing name gets 0.
    intercept : float
        Log-odds of renewal at a score of 3 on every indicator.

    Returns
    -------
    GeneratedPortfolio

    Examples
    --------
    >>> g = generate_portfolio(200, seed=1)
    >>> list(g.policies.columns)[:6]
    ['policy_id', 'customer_id', 'segment', 'unit', 'line', 'start_date']
    >>> round(g.odds_ratios["experience"], 3)
    1.649
    """
    for name, value, low, high in (("customers", customers, 1, MAX_CUSTOMERS), ("years", years, 1, MAX_YEARS), ("first_year", first_year, 1900, 2150)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
            raise RoqInputError(name, f"must be a whole number from {low:,} to {high:,}, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise RoqInputError("seed", f"must be a whole number >= 0, got {seed!r}")
    given = dict(DEFAULT_EFFECTS if effects is None else effects)
    unknown = set(given) - set(DEFAULT_EFFECTS)
    if unknown:
        raise RoqInputError("effects", f"unknown indicator {sorted(unknown)[0]!r}; known: {', '.join(DEFAULT_EFFECTS)}")
    effects = {name: float(given.get(name, 0.0)) for name in DEFAULT_EFFECTS}
    rng = np.random.default_rng(seed)
    n = int(customers)

    segment = rng.choice(len(_SEGMENTS), size=n, p=_SEGMENT_SHARES)
    unit = rng.choice(len(_UNITS), size=n, p=_UNIT_SHARES)
    risk = rng.choice(len(_RISKS), size=n, p=_RISK_SHARES)
    join_year = first_year + rng.integers(0, years, size=n)
    join_day = rng.integers(0, 365, size=n)
    correlation = np.array([[1.0, 0.4, -0.3, 0.4], [0.4, 1.0, -0.3, 0.4], [-0.3, -0.3, 1.0, -0.3], [0.4, 0.4, -0.3, 1.0]])
    z = rng.standard_normal((n, 4)) @ np.linalg.cholesky(correlation).T
    scores = np.round(np.clip(_SCORE_MEANS + 0.7 * z, 1.0, 5.0), 1)
    beta = np.array([effects[k] for k in DEFAULT_EFFECTS])
    probability = 1.0 / (1.0 + np.exp(-(intercept + (scores - 3.0) @ beta)))
    cross_buy = 1.0 / (1.0 + np.exp(-(_CROSS_BUY_INTERCEPT + _CROSS_BUY_TRUST * (scores[:, 1] - 3.0))))
    base_log_premium = np.asarray(_SEGMENT_LOG_MEDIAN)[segment] + rng.standard_normal(n)

    first_line = rng.choice(len(_LINES), size=n, p=_FIRST_LINE_SHARES)
    held = np.zeros((n, len(_LINES)), dtype=bool)
    held[np.arange(n), first_line] = True
    line_premium = np.exp(base_log_premium)[:, None] * _LINE_FACTOR[None, :]
    active = np.ones(n, dtype=bool)
    last_year = first_year + years - 1
    chunks = []
    for year in range(first_year, last_year + 1):
        in_force = active & (join_year <= year)
        if year > first_year:
            renewing = in_force & (join_year < year)
            # cross-buying at the renewal: one new line the customer does not hold
            adds = renewing & (rng.random(n) < cross_buy)
            buyers = np.flatnonzero(adds & (held.sum(axis=1) < len(_LINES)))
            keys = rng.random((len(buyers), len(_LINES)))
            keys[held[buyers]] = -1.0  # a random line among those not held
            held[buyers, keys.argmax(axis=1)] = True
            line_premium[renewing] *= np.exp(rng.normal(0.04, 0.10, size=(int(renewing.sum()), len(_LINES))))
        # the decision at the end of this term (drawn for everyone; blank when not yet known)
        decision = rng.random(n) < probability
        customer_index, line_index = np.nonzero(held & in_force[:, None])
        premium = np.round(line_premium[customer_index, line_index], -3)
        claimed = rng.random(len(customer_index)) < 0.15
        claims = np.where(claimed, np.round(premium * rng.lognormal(0.9, 0.8, size=len(customer_index)), -3), 0.0)
        chunks.append((year, customer_index, line_index, premium, claims, decision[customer_index]))
        active &= ~(in_force & (year < last_year) & ~decision)

    year = np.concatenate([np.full(len(c[1]), c[0]) for c in chunks])
    customer_index = np.concatenate([c[1] for c in chunks])
    line_index = np.concatenate([c[2] for c in chunks])
    start = pd.to_datetime(pd.Series(year).astype(str) + "-01-01").to_numpy() + join_day[customer_index].astype("timedelta64[D]")
    end = pd.to_datetime(pd.Series(year + 1).astype(str) + "-01-01").to_numpy() + join_day[customer_index].astype("timedelta64[D]")
    as_of = pd.Timestamp(f"{last_year + 1}-01-01")
    renewed = np.concatenate([c[5] for c in chunks]).astype(float)
    renewed[end >= as_of.to_datetime64()] = np.nan
    order = np.lexsort((line_index, year, customer_index))
    customer_ids = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    policies = pd.DataFrame(
        {
            "policy_id": np.char.add("P", np.char.zfill(np.arange(1, len(order) + 1).astype(str), 8)),
            "customer_id": customer_ids[customer_index[order]],
            "segment": np.asarray(_SEGMENTS)[segment[customer_index[order]]],
            "unit": np.asarray(_UNITS)[unit[customer_index[order]]],
            "line": np.asarray(_LINES)[line_index[order]],
            "start_date": pd.DatetimeIndex(start[order]).strftime("%Y-%m-%d"),
            "end_date": pd.DatetimeIndex(end[order]).strftime("%Y-%m-%d"),
            "premium": np.concatenate([c[3] for c in chunks])[order],
            "claims": np.concatenate([c[4] for c in chunks])[order],
            "renewed": renewed[order],
            "risk": np.asarray(_RISKS)[risk[customer_index[order]]],
        }
    )
    for k, name in enumerate(DEFAULT_EFFECTS):
        policies[name] = scores[customer_index[order], k]
    policies["renewed"] = policies["renewed"].astype("Int64")
    survival = np.array([np.mean(probability**k) for k in range(years + 1)])
    customer_frame = pd.DataFrame({"customer_id": customer_ids, "renewal_probability": probability, "join_year": join_year})
    return GeneratedPortfolio(policies, float(intercept), effects, probability, survival, as_of, int(seed), customer_frame)
