"""Relationship analytics from customer records (policy tables).

Kurniawan's study of PT Asuransi LMN's Integrated Partnership Model recommends analysing
customer experience, trust, complaint resolution and customer effort together with
renewal, retention, cross-selling, account growth and customer profitability. This package
reads and checks a policy table (:func:`read_policies`, :func:`validate_policies`) and
computes:

- outcomes per period and segment (:func:`retention_outcomes`): renewal rate, customer and
  premium retention, cross-buying, business expansion;
- relationship survival (:func:`relationships`, :func:`kaplan_meier`);
- renewal drivers (:func:`renewal_drivers`, :func:`logistic_regression`), SPSS-style;
- customer lifetime value and relationship capital (:func:`clv`, :func:`customer_values`);
- High Value Customer staging (:func:`hvc_staging`) and the Pareto curve;
- the measured retention as ROQ model inputs (:func:`roq_parameters`);
- all of it at once (:func:`analyse_records`), on real tables or on the documented
  generator's (:func:`generate_portfolio`).
"""

from .._lazy import lazy_exports

#: Where each public name lives; each submodule loads on first use (simulator._lazy), so
#: importing the package costs nothing until a function is called.
_EXPORTS = {
    "analysis": ("RecordsAnalysis", "analyse_records"),
    "drivers": ("LogisticResult", "auc", "hosmer_lemeshow_groups", "logistic_regression", "renewal_drivers"),
    "generator": ("DEFAULT_EFFECTS", "GeneratedPortfolio", "generate_portfolio"),
    "portfolio": ("FINANCIAL_LINES", "LINES", "RISK_CLASSES", "SCORE_COLUMNS", "Portfolio", "read_policies", "validate_policies"),
    "retention": ("RetentionResult", "retention_outcomes"),
    "roq_link": ("roq_parameters", "uplift_from_drivers"),
    "staging": ("HVC_DEFAULTS", "HvcResult", "hvc_staging", "pareto_curve"),
    "survival": ("KaplanMeierResult", "kaplan_meier", "relationships", "survival_by_group"),
    "value": ("CustomerValueResult", "clv", "clv_from_survival", "customer_values"),
}

__all__ = [
    "RecordsAnalysis", "analyse_records",
    "LogisticResult", "auc", "hosmer_lemeshow_groups", "logistic_regression", "renewal_drivers",
    "DEFAULT_EFFECTS", "GeneratedPortfolio", "generate_portfolio",
    "FINANCIAL_LINES", "LINES", "RISK_CLASSES", "SCORE_COLUMNS", "Portfolio", "read_policies", "validate_policies",
    "RetentionResult", "retention_outcomes",
    "roq_parameters", "uplift_from_drivers",
    "HVC_DEFAULTS", "HvcResult", "hvc_staging", "pareto_curve",
    "KaplanMeierResult", "kaplan_meier", "relationships", "survival_by_group",
    "CustomerValueResult", "clv", "clv_from_survival", "customer_values",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
