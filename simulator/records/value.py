"""Customer lifetime value and relationship capital from margin, retention and the discount rate.

Timing convention (one rule everywhere): the valuation date is now, the customer is in
force and this year's margin is already earned (not counted). The margin ``m`` of each
future year ``t = 1, 2, ...`` is received at the end of year ``t`` if the customer has
renewed ``t`` times, and is discounted ``t`` years::

    CLV = m * sum_{t=1..T} S(t) / (1 + i)^t,   S(t) = probability of still being a customer

With a constant retention ``r`` (``S(t) = r^t``) and no horizon this is the closed form
``CLV = m r / (1 + i - r)`` (the "Gupta & Lehmann 2003" customer-value multiple
``r / (1 + i - r)`` with the first margin one renewal away); with a horizon ``T`` it is
``m q (1 - q^T) / (1 - q)``, ``q = r / (1 + i)``.

*Relationship capital* is the sum of the CLVs of the customers in force at the valuation
date (Kurniawan's recommendation to judge service spending as an investment in
relationship capital). Rates are fractions (0.85 = 85% per year); a value above 1 is
refused with the likely intent (85 was probably meant as 0.85).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from .portfolio import Portfolio
from .retention import customer_periods, customer_groups, retention_outcomes

__all__ = ["clv", "clv_from_survival", "CustomerValueResult", "customer_values", "RETENTION_METHODS", "MAX_HORIZON"]

RETENTION_METHODS = ("drivers", "segment", "portfolio", "survival")
#: Longest horizon (years) a value may be summed over.
MAX_HORIZON = 200


def _fraction(value, name: str, *, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if not np.isfinite(array).all():
        raise RoqInputError(name, "must be a finite number")
    if (array > high).any() and high == 1.0 and (array <= 100).all() and (array > 1).any():
        example = float(array[array > 1].flat[0])
        raise RoqInputError(name, f"must be a fraction from {low:g} to {high:g}, got {example:g} (did you mean {example / 100:g}, i.e. {example:g}%?)")
    if (array < low).any() or (array > high).any():
        bad = float(array[(array < low) | (array > high)].flat[0])
        raise RoqInputError(name, f"must be a fraction from {low:g} to {high:g}, got {bad:g}")
    return array


def _discount(value) -> float:
    rate = float(value)
    if not np.isfinite(rate) or rate <= -1:
        raise RoqInputError("discount_rate", f"must be greater than -1 (a fraction per year, 0.10 = 10%), got {value}")
    if rate >= 1.0:
        raise RoqInputError("discount_rate", f"must be a fraction per year (0.10 = 10%), got {rate:g} (did you mean {rate / 100:g}?)")
    return rate


def _horizon(horizon):
    if horizon is None:
        return None
    if isinstance(horizon, bool) or not float(horizon).is_integer() or not 1 <= horizon <= MAX_HORIZON:
        raise RoqInputError("horizon", f"must be a whole number of years from 1 to {MAX_HORIZON} (or none: no end), got {horizon!r}")
    return int(horizon)


def clv(margin, retention, discount_rate, horizon=None):
    """Lifetime value of a customer with constant retention (module docstring's timing).

    Parameters
    ----------
    margin : float or array
        Margin per year (currency), received at the end of each year the customer stays.
    retention : float or array
        Probability of renewing each year, a fraction 0..1.
    discount_rate : float
        Discount rate per year, a fraction (> -1).
    horizon : int, optional
        Years counted (1..200); default none: ``m r / (1 + i - r)``.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(clv(1000.0, 0.8, 0.1), 6)   # 1000 * 0.8 / (1.1 - 0.8)
    2666.666667
    >>> round(clv(1000.0, 0.8, 0.1, horizon=1), 6)   # 1000 * 0.8 / 1.1
    727.272727
    """
    m = np.asarray(margin, dtype=float)
    if not np.isfinite(m).all():
        raise RoqInputError("margin", "must be a finite amount")
    r = _fraction(retention, "retention")
    i = _discount(discount_rate)
    horizon = _horizon(horizon)
    q = r / (1.0 + i)
    if horizon is None:
        if (q >= 1).any():
            raise RoqInputError("retention", f"must be below 1 + discount_rate ({1 + i:g}) for a value without a horizon: the sum does not converge")
        value = m * r / (1.0 + i - r)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(np.isclose(q, 1.0), m * horizon, m * q * (1 - q**horizon) / np.where(np.isclose(q, 1.0), 1.0, 1 - q))
    return float(value) if np.ndim(value) == 0 else value


def clv_from_survival(margin, survival, discount_rate):
    """Lifetime value from a survival curve: ``m sum_t S(t) / (1 + i)^t``.

    Parameters
    ----------
    margin : float or array (customers)
    survival : array
        ``S(1), ..., S(T)``: probability of still being a customer after 1..T renewals
        (a fraction, non-increasing), from now.
    discount_rate : float

    Examples
    --------
    >>> round(clv_from_survival(1000.0, [0.8, 0.64], 0.1), 6)
    1256.198347
    """
    s = _fraction(np.asarray(survival, dtype=float).reshape(-1), "survival")
    if (np.diff(s) > 1e-12).any():
        raise RoqInputError("survival", "must not increase from one year to the next")
    i = _discount(discount_rate)
    factor = float(np.sum(s / (1.0 + i) ** np.arange(1, len(s) + 1)))
    return np.asarray(margin, dtype=float) * factor if np.ndim(margin) else float(margin) * factor


class CustomerValueResult:
    """CLV per customer in force and relationship capital (see :func:`customer_values`).

    Attributes
    ----------
    customers : pandas.DataFrame
        Per customer in force: ``customer_id``, group, ``premium`` (last period),
        ``margin`` (per year), ``retention`` (per year), ``tenure_years``, ``clv``.
    relationship_capital : float
        Sum of ``clv``.
    method, discount_rate, horizon, by
    """

    def __init__(self, customers, method, discount_rate, horizon, by, survival_curve=None):
        self.customers = customers
        self.method = method
        self.discount_rate = discount_rate
        self.horizon = horizon
        self.by = by
        self._survival_curve = survival_curve

    @property
    def relationship_capital(self) -> float:
        return float(self.customers["clv"].sum())

    def by_group(self) -> pd.DataFrame:
        """Customers, relationship capital and mean CLV per group."""
        grouped = self.customers.groupby("group")
        frame = pd.DataFrame({"customers": grouped.size(), "relationship_capital": grouped["clv"].sum(), "mean_clv": grouped["clv"].mean(),
                              "mean_retention": grouped["retention"].mean()})
        frame.loc["All"] = [len(self.customers), self.relationship_capital, self.customers["clv"].mean(), self.customers["retention"].mean()]
        frame.index.name = self.by or "group"
        return frame

    def with_uplift(self, uplift: float) -> "CustomerValueResult":
        """The same customers with every yearly retention raised by ``uplift`` (capped at 1)."""
        u = float(uplift)
        if not np.isfinite(u) or not -1 < u < 1:
            raise RoqInputError("uplift", f"must be a change in retention as a fraction (0.02 = 2 percentage points), got {uplift!r}"
                                + (f" (did you mean {u / 100:g}?)" if 1 <= abs(u) <= 100 else ""))
        customers = self.customers.copy()
        if self.method == "survival":
            curve = np.minimum(np.maximum(self._survival_curve + u, 0.0), 1.0)
            customers["retention"] = np.minimum(np.maximum(customers["retention"] + u, 0.0), 1.0)
            customers["clv"] = customers["margin"] * _survival_factors(curve, self.discount_rate, self.horizon)[customers["_tenure_year"].to_numpy()]
            return CustomerValueResult(customers, self.method, self.discount_rate, self.horizon, self.by, curve)
        customers["retention"] = np.minimum(np.maximum(customers["retention"] + u, 0.0), 1.0)
        customers["clv"] = clv(customers["margin"].to_numpy(), customers["retention"].to_numpy(), self.discount_rate, self.horizon)
        return CustomerValueResult(customers, self.method, self.discount_rate, self.horizon, self.by)

    def uplift(self, uplift: float) -> dict:
        """Change in relationship capital when every customer's yearly retention rises by ``uplift``.

        Returns
        -------
        dict
            ``uplift``, ``relationship_capital`` (before), ``relationship_capital_after``,
            ``change`` and ``change_share`` (change / before).
        """
        after = self.with_uplift(uplift).relationship_capital
        before = self.relationship_capital
        return {"uplift": float(uplift), "relationship_capital": before, "relationship_capital_after": after,
                "change": after - before, "change_share": (after - before) / before if before else float("nan")}

    def to_frame(self) -> pd.DataFrame:
        return self.customers.drop(columns=[c for c in self.customers.columns if c.startswith("_")])

    def summary(self) -> str:
        horizon = "no horizon" if self.horizon is None else f"{self.horizon} years"
        clv_values = self.customers["clv"]
        lines = [f"Customer lifetime value ({self.method} retention, discount rate {self.discount_rate:.2%}, {horizon}; margin at the end of each year retained)",
                 f"Customers in force: {len(self.customers):,}; relationship capital: {self.relationship_capital:,.0f}",
                 f"CLV per customer: mean {clv_values.mean():,.0f}, median {clv_values.median():,.0f}, 90th percentile {clv_values.quantile(0.9):,.0f}"]
        with pd.option_context("display.float_format", "{:,.4f}".format, "display.width", 160):
            lines.append(self.by_group().to_string())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def _survival_factors(conditional, discount_rate, horizon) -> np.ndarray:
    """Per whole year of tenure a, ``sum_t prod_{j=a..a+t-1} r_j / (1 + i)^t`` (r_j past the curve = its last value)."""
    years = len(conditional)
    horizon = horizon or MAX_HORIZON
    extended = np.concatenate([conditional, np.full(horizon, conditional[-1])])
    discount = (1.0 + discount_rate) ** -np.arange(1, horizon + 1)
    factors = np.empty(years)
    for a in range(years):
        factors[a] = np.sum(np.cumprod(extended[a:a + horizon]) * discount)
    return factors


def customer_values(portfolio: Portfolio, *, discount_rate: float, margin_rate: float = 0.2, retention="drivers", horizon=None,
                    by: str | None = None, drivers_result=None, as_of=None) -> CustomerValueResult:
    """CLV of every customer in force in the last period, and their total (relationship capital).

    Parameters
    ----------
    portfolio : Portfolio
    discount_rate : float
        Per year, a fraction.
    margin_rate : float
        Margin as a fraction of the customer's premium of the last period (default 0.20).
    retention : {"drivers", "segment", "portfolio", "survival"} or float
        Each customer's yearly retention: ``drivers`` = its renewal probability from the
        logistic regression on its latest scores (customers without scores take the
        portfolio retention); ``segment`` = pooled retention of its group (``by``);
        ``portfolio`` = pooled customer retention; ``survival`` = the Kaplan-Meier curve's
        yearly conditional retention from the customer's tenure on (the last year's
        beyond the curve); a number = that retention for everyone.
    horizon : int, optional
        Years counted (default none; ``survival`` sums 200 years at most).
    by : str, optional
        Group column for ``segment`` and for :meth:`CustomerValueResult.by_group`.
    drivers_result : LogisticResult, optional
        A fitted driver model to reuse (``drivers`` method).

    Returns
    -------
    CustomerValueResult
    """
    i = _discount(discount_rate)
    margin_rate = float(_fraction(margin_rate, "margin_rate", low=-1.0))
    horizon = _horizon(horizon)
    cp = customer_periods(portfolio)
    last = int(cp.period.max())
    current = cp.period == last
    codes = cp.customer[current]
    premium = cp.premium[current]
    groups = customer_groups(portfolio, by)
    from .survival import relationships

    tenure = relationships(portfolio, as_of=as_of)["tenure_years"].to_numpy()[codes]
    outcomes = retention_outcomes(portfolio, by=by)
    pooled = outcomes.customer_retention
    frame = pd.DataFrame({"customer_id": portfolio.customers[codes], "group": groups[codes], "premium": premium,
                          "margin": premium * margin_rate, "tenure_years": tenure})
    method = retention if isinstance(retention, str) else "constant"
    curve = None
    if isinstance(retention, str):
        key = retention.strip().lower()
        if key not in RETENTION_METHODS:
            raise RoqInputError("retention", f"must be one of {', '.join(RETENTION_METHODS)} or a fraction, got {retention!r}")
        method = key
        if key == "portfolio":
            rates = np.full(len(codes), pooled)
        elif key == "segment":
            table = outcomes.overall["customer_retention"]
            rates = np.array([table.get(g, pooled) for g in groups[codes]], dtype=float)
        elif key == "drivers":
            rates = _driver_retention(portfolio, cp, current, pooled, drivers_result)
        else:
            from .survival import kaplan_meier

            rel = relationships(portfolio, as_of=as_of)
            km = kaplan_meier(rel["tenure_years"], rel["lapsed"])
            yearly = km.yearly()["survival"].to_numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                curve = np.where(yearly[:-1] > 0, yearly[1:] / np.where(yearly[:-1] > 0, yearly[:-1], 1.0), 0.0)
            tenure_year = np.minimum(np.floor(tenure).astype(int), len(curve) - 1)
            frame["_tenure_year"] = tenure_year
            frame["retention"] = curve[tenure_year]
            frame["clv"] = frame["margin"] * _survival_factors(curve, i, horizon)[tenure_year]
            return CustomerValueResult(frame, method, i, horizon, by, curve)
    else:
        rates = np.full(len(codes), float(_fraction(retention, "retention")))
    frame["retention"] = rates
    frame["clv"] = clv(frame["margin"].to_numpy(), rates, i, horizon)
    return CustomerValueResult(frame, method, i, horizon, by)


def _driver_retention(portfolio, cp, current, pooled, drivers_result):
    from .drivers import period_means, renewal_drivers

    result = drivers_result if drivers_result is not None else renewal_drivers(portfolio)
    X = period_means(portfolio, cp, result.names[1:])[current]
    complete = np.isfinite(X).all(axis=1)
    rates = np.full(len(X), pooled)
    rates[complete] = result.predict(X[complete])
    return rates
