"""Every records analysis in one call: outcomes, survival, drivers, value, HVC staging, ROQ inputs."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .drivers import LogisticResult, renewal_drivers
from .portfolio import Portfolio
from .retention import RetentionResult, retention_outcomes
from .roq_link import roq_parameters
from .staging import HvcResult, hvc_staging
from .survival import relationships, survival_by_group
from .value import CustomerValueResult, customer_values

__all__ = ["RecordsAnalysis", "analyse_records"]


@dataclass
class RecordsAnalysis:
    """The results of :func:`analyse_records`; ``.tables()`` gives every table by file name."""

    portfolio: Portfolio
    outcomes: RetentionResult
    survival: dict
    drivers: LogisticResult | None
    values: CustomerValueResult
    uplift: dict
    hvc: HvcResult
    roq_inputs: dict

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{file stem: DataFrame}`` of every result table (what ``roq records --out`` writes)."""
        out = {"outcomes": self.outcomes.table, "outcomes_overall": self.outcomes.overall.reset_index()}
        out["survival"] = pd.concat([km.table.assign(group=name) for name, km in self.survival.items()], ignore_index=True)
        out["survival_yearly"] = pd.concat([km.yearly().assign(group=name) for name, km in self.survival.items()], ignore_index=True)
        if self.drivers is not None:
            out["drivers"] = self.drivers.coefficients().reset_index()
            out["drivers_fit"] = pd.DataFrame(list(self.drivers.fit_statistics().items()), columns=["statistic", "value"])
            out["drivers_marginal_effects"] = self.drivers.marginal_effects().reset_index()
            out["drivers_classification"] = self.drivers.classification().reset_index()
            out["drivers_hosmer_lemeshow"] = self.drivers.hosmer_lemeshow()["table"].reset_index()
        out["customer_value"] = self.values.to_frame()
        out["relationship_capital"] = self.values.by_group().reset_index()
        out["uplift"] = pd.DataFrame(list(self.uplift.items()), columns=["statistic", "value"])
        out["hvc_customers"] = self.hvc.to_frame()
        out["hvc_funnel"] = self.hvc.funnel()
        out["pareto"] = self.hvc.pareto()
        out["roq_inputs"] = pd.DataFrame([(k, v if not hasattr(v, "tolist") else " ".join(map(str, v.tolist()))) for k, v in self.roq_inputs.items()],
                                         columns=["input", "value"])
        return out

    def summary(self) -> str:
        p = self.portfolio
        parts = [f"Customer records: {p.source}: {p.n_policies:,} policy terms, {p.n_customers:,} customers, periods {p.periods.min()}-{p.periods.max()}",
                 "", self.outcomes.summary(), "", self.survival["All"].summary()]
        if self.drivers is not None:
            parts += ["", self.drivers.summary()]
        parts += ["", self.values.summary(),
                  f"A renewal uplift of {self.uplift['uplift'] * 100:.2f} percentage points changes relationship capital by {self.uplift['change']:,.0f} ({self.uplift['change_share']:+.2%}).",
                  "", self.hvc.summary(), "",
                  f"ROQ model inputs from the records: baseline_retention = {self.roq_inputs['baseline_retention']:.4f}, retention = {self.roq_inputs['retention']:.4f}"]
        return "\n".join(parts)

    def __repr__(self) -> str:
        return self.summary()


def analyse_records(portfolio: Portfolio, *, by: str | None = None, discount_rate: float = 0.10, margin_rate: float = 0.20, uplift: float = 0.02,
                    retention="drivers", horizon=None, as_of=None, drivers=None, roq_base: dict | None = None) -> RecordsAnalysis:
    """Run every records analysis on a checked portfolio.

    Parameters
    ----------
    portfolio : Portfolio
    by : str, optional
        Group customers by ``segment``, ``unit``, ``risk`` or ``line``.
    discount_rate, margin_rate, retention, horizon
        As in :func:`~simulator.records.value.customer_values`; ``retention="drivers"``
        falls back to ``"segment"`` when the table has no survey scores.
    uplift : float
        Renewal uplift (fraction) for the relationship-capital change and the ROQ inputs.
    as_of : date, optional
        Observation date (default: the day after the latest start date).
    drivers : sequence of str, optional
        Score columns for the logistic regression (default: all present).
    roq_base : dict, optional
        Base ROQ model inputs (default: the built-in scenario's).

    Returns
    -------
    RecordsAnalysis
    """
    outcomes = retention_outcomes(portfolio, by=by)
    survival = survival_by_group(portfolio, by=by, as_of=as_of)
    has_scores = bool(portfolio.score_columns) or drivers is not None
    driver_model = renewal_drivers(portfolio, drivers) if has_scores else None
    if retention == "drivers" and driver_model is None:
        retention = "segment"
    values = customer_values(portfolio, discount_rate=discount_rate, margin_rate=margin_rate, retention=retention, horizon=horizon, by=by,
                             drivers_result=driver_model, as_of=as_of)
    change = values.uplift(uplift)
    hvc = hvc_staging(portfolio, as_of=as_of)
    margin = float(values.customers["margin"].mean()) if len(values.customers) else None
    roq_inputs = roq_parameters(outcomes.customer_retention, uplift, base=roq_base, margin=margin)
    return RecordsAnalysis(portfolio, outcomes, survival, driver_model, values, change, hvc, roq_inputs)
