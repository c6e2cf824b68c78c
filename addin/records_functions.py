"""Excel functions for relationship analytics from customer records (:mod:`simulator.records`).

A *policy range* is a block with a header row (policy_id, customer_id, line, start_date,
end_date or period, premium, renewed, and optionally claims, risk, unit, segment and the
survey scores experience, trust, effort, complaint_resolution) and one row per policy
term. Date cells are read as dates (Excel serial numbers included). A bad cell is an error
naming its row and column inside the range: ``policies: row 17, column start_date: ...``
(row 1 is the header). Rates are fractions, as in a percentage-formatted cell. Every name
starts with ``ROQ_REC_`` (``ROQ_CLV`` for the closed form).
"""

from __future__ import annotations

import numbers

import xlwings as xw

from simulator import records
from simulator.errors import RoqInputError

from ._cells import _is_error, _rows, arg, choice, excel_function, integer, key_values, labels, number, range_converter, table

CATEGORY = "ROQ toolkit - Customer records"
_POLICIES_DOC = ("Policy range with a header row: policy_id, customer_id, line, start_date, end_date (or period), premium, renewed "
                 "(1/0/blank), optional claims, risk, unit, segment, experience, trust, effort, complaint_resolution.")
_BY_DOC = "Optional split: segment, unit, risk or line (each customer's value on its first policy)."
_BY = choice(*records.retention.GROUP_COLUMNS)


@range_converter
def policy_table(value, name: str):
    """A policy range (header row first) as a checked :class:`~simulator.records.Portfolio`."""
    rows = _rows(value)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            if _is_error(cell):
                raise RoqInputError(f"{name}: row {i + 1}, column {j + 1}", f"contains the error {str(cell).strip().upper()}")
    return records.validate_policies(rows, source=name, serial_dates=True)


def retention_method(value, name: str):
    """``drivers``, ``segment``, ``portfolio``, ``survival`` or a retention fraction."""
    cell = _rows(value)[0][0]
    if isinstance(cell, numbers.Real) and not isinstance(cell, bool):
        return number(value, name)
    return choice(*records.value.RETENTION_METHODS)(value, name)


@xw.func(category=CATEGORY)
@arg("policies", policy_table, _POLICIES_DOC)
@arg("by", _BY, _BY_DOC)
@excel_function
def ROQ_REC_OUTCOMES(policies, by=None):
    """Per period (and group): customers, renewal rate, customer retention, net/gross premium retention, expansion, cross-buying."""
    frame = records.retention_outcomes(policies, by=by).table
    keep = ["period"] + ([by] if by else []) + ["customers", "new_customers", "policies", "premium", "renewal_rate", "premium_renewal_rate",
                                                "customer_retention", "net_premium_retention", "gross_premium_retention", "expansion",
                                                "lines_per_customer", "multi_line_share", "cross_buy_rate"]
    return frame[keep]


@xw.func(category=CATEGORY)
@arg("policies", policy_table, _POLICIES_DOC)
@arg("by", _BY, _BY_DOC)
@excel_function
def ROQ_REC_RETENTION(policies, by=None):
    """Pooled over periods, per group: customer-years, renewal rate, customer retention, premium retention, expansion, cross-buying."""
    overall = records.retention_outcomes(policies, by=by).overall
    return overall[["customer_periods", "renewal_rate", "customer_retention", "net_premium_retention", "gross_premium_retention", "expansion",
                    "lines_per_customer", "multi_line_share", "cross_buy_rate"]]


@xw.func(category=CATEGORY)
@arg("policies", policy_table, _POLICIES_DOC)
@arg("by", _BY, _BY_DOC)
@excel_function
def ROQ_REC_SURVIVAL(policies, by=None):
    """Kaplan-Meier survival of relationships after 0, 1, 2, ... renewals, with the 95% interval, per group."""
    curves = records.survival_by_group(policies, by=by)
    rows = [[name, *r] for name, km in curves.items() for r in km.yearly().itertuples(index=False, name=None)]
    return table(["Group", "Year", "Survival", "Lower 95%", "Upper 95%"], rows)


@xw.func(category=CATEGORY)
@arg("policies", policy_table, _POLICIES_DOC)
@arg("drivers", labels, "Optional score columns to use (default: every survey score present).")
@excel_function
def ROQ_REC_DRIVERS(policies, drivers=None):
    """Binary logistic regression of renewal, SPSS 'Variables in the Equation': B, S.E., Wald, df, Sig., Exp(B), 95% C.I."""
    return records.renewal_drivers(policies, drivers).coefficients()


@xw.func(category=CATEGORY)
@arg("policies", policy_table, _POLICIES_DOC)
@arg("drivers", labels, "Optional score columns to use (default: every survey score present).")
@excel_function
def ROQ_REC_DRIVERS_FIT(policies, drivers=None):
    """Fit of the renewal regression: -2LL, Cox & Snell and Nagelkerke R2, omnibus test, Hosmer-Lemeshow, % correct, AUC."""
    return key_values(records.renewal_drivers(policies, drivers).fit_statistics())


@xw.func(category=CATEGORY)
@arg("policies", policy_table, _POLICIES_DOC)
@arg("drivers", labels, "Optional score columns to use (default: every survey score present).")
@excel_function
def ROQ_REC_MARGINAL_EFFECTS(policies, drivers=None):
    """Average marginal effects of the renewal drivers: change in P(renew) per scale point, S.E., z, Sig., 95% C.I."""
    return records.renewal_drivers(policies, drivers).marginal_effects()


@xw.func(category=CATEGORY)
@arg("margin", number, "Margin per customer per year (currency), received at the end of each year retained.")
@arg("retention", number, "Retention per year, a fraction (0.85 = 85%).")
@arg("discount_rate", number, "Discount rate per year, a fraction (0.10 = 10%).")
@arg("horizon", integer, "Optional horizon in years (default: none, the closed form m r / (1 + i - r)).")
@excel_function
def ROQ_CLV(margin, retention, discount_rate, horizon=None):
    """Customer lifetime value with constant retention: m r / (1 + i - r) (first margin one renewal away, end of year)."""
    return records.clv(margin, retention, discount_rate, horizon)


@xw.func(category=CATEGORY)
@arg("policies", policy_table, _POLICIES_DOC)
@arg("discount_rate", number, "Discount rate per year, a fraction (0.10 = 10%).")
@arg("margin_rate", number, "Margin as a fraction of the customer's last premium (default 0.20).")
@arg("retention", retention_method, "drivers (default: each customer's modelled renewal), segment, portfolio, survival, or a fraction.")
@arg("uplift", number, "Renewal uplift for the change in relationship capital, a fraction (0.02 = 2 points; default 0.02).")
@excel_function
def ROQ_REC_CUSTOMER_VALUE(policies, discount_rate, margin_rate=0.2, retention="drivers", uplift=0.02):
    """Relationship capital (sum of CLVs of customers in force), CLV statistics and the change from a renewal uplift."""
    values = records.customer_values(policies, discount_rate=discount_rate, margin_rate=margin_rate, retention=retention)
    change = values.uplift(uplift)
    clv = values.customers["clv"]
    return table(["Statistic", "Value", "Unit"], [
        ["Customers in force", len(clv), "customers"], ["Relationship capital", values.relationship_capital, "currency"],
        ["Mean CLV", clv.mean(), "currency per customer"], ["Median CLV", clv.median(), "currency per customer"],
        ["Mean retention", values.customers["retention"].mean(), "fraction per year"], ["Uplift", change["uplift"], "fraction (points of retention)"],
        ["Relationship capital after uplift", change["relationship_capital_after"], "currency"], ["Change", change["change"], "currency"],
        ["Change share", change["change_share"], "fraction of relationship capital"]])


@xw.func(category=CATEGORY)
@arg("policies", policy_table, _POLICIES_DOC)
@arg("min_tenure_years", number, "Least tenure in years (Table 4: 3).")
@arg("min_lines", integer, "Least lines of business held (Table 4: 1).")
@arg("contribution_share", number, "Share of the unit's premium the HVCs stand behind, a fraction (Table 4: 0.80).")
@arg("max_risk", choice(*records.RISK_CLASSES), "Worst risk class allowed: low, moderate (Table 4) or high.")
@excel_function
def ROQ_REC_HVC(policies, min_tenure_years=3.0, min_lines=1, contribution_share=0.8, max_risk="moderate"):
    """High Value Customer funnel (Kurniawan, PT Asuransi LMN, Table 4 stage 1): customers and premium left after each criterion."""
    return records.hvc_staging(policies, min_tenure_years=min_tenure_years, min_lines=min_lines, contribution_share=contribution_share,
                               max_risk=max_risk).funnel()


@xw.func(category=CATEGORY)
@arg("policies", policy_table, _POLICIES_DOC)
@arg("uplift", number, "Retention gained by the quality programme, a fraction (0.05 = 5 points).")
@arg("margin", number, "Optional margin per customer per year (default: the built-in scenario's).")
@excel_function
def ROQ_REC_MODEL_INPUTS(policies, uplift, margin=None):
    """ROQ model parameter table with the measured retention as baseline_retention and measured + uplift as retention (for ROQ_MODEL)."""
    measured = records.retention_outcomes(policies).customer_retention
    parameters = records.roq_parameters(measured, uplift, margin=margin)
    return table(["Input", "Value"], [[k, v] for k, v in parameters.items()])


@xw.func(category=CATEGORY)
@arg("policies", policy_table, _POLICIES_DOC)
@arg("statistic", choice("customer_retention", "renewal_rate", "net_premium_retention", "gross_premium_retention", "expansion",
                         "lines_per_customer", "multi_line_share", "cross_buy_rate"), "Which pooled figure (default customer_retention).")
@excel_function
def ROQ_REC_RATE(policies, statistic="customer_retention"):
    """One pooled figure of the whole portfolio, e.g. the measured customer retention (a fraction per year)."""
    return float(records.retention_outcomes(policies).overall.loc["All", statistic])


__all__ = [name for name, value in list(globals().items()) if getattr(value, "__roq_excel_function__", False)]
