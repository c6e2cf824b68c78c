"""High Value Customer (HVC) staging and the Pareto contribution of customers to premium.

Kurniawan's study of PT Asuransi LMN (Table 4, "Matriks Staging Nasabah High Value
Customer") identifies HVCs in stage 1 by four criteria, each a parameter here with the
paper's value as default:

1. the customer has used Financial Lines products (``require_financial_lines``, the
   lines in ``financial_lines``: credit and surety bond);
2. an existing customer of at least 3 years (``min_tenure_years = 3``) using at least one
   class / line of business (``min_lines = 1``);
3. among the customers behind 80% of its work unit's business (``contribution_share =
   0.80``: customers sorted by premium within the unit, each counted while the share of
   the unit's premium *before* it is below 80%, so the customer crossing 80% is in);
4. low to moderate risk across all its classes of business (``max_risk = "moderate"``:
   the worst risk class over its policies).

Stages 2-4 of the table (setting targets and service standards, special treatment,
discipline execution) are management actions, not facts in the records: a customer meeting
every stage-1 criterion is reported as "Stage 1: HVC identified", the others as "Not HVC"
with the first criterion they miss. The assessment period is the last period in the table
(customers in force then; premium of that period).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from .portfolio import FINANCIAL_LINES, RISK_CLASSES, Portfolio
from .retention import customer_periods

__all__ = ["HVC_DEFAULTS", "HvcResult", "hvc_staging", "pareto_curve", "CRITERIA"]

#: Table 4's stage-1 thresholds.
HVC_DEFAULTS = {"min_tenure_years": 3.0, "min_lines": 1, "contribution_share": 0.80, "max_risk": "moderate", "require_financial_lines": True}
#: The criteria in the order the funnel applies them, with their labels.
CRITERIA = {
    "financial_lines": "Has used Financial Lines",
    "tenure": "Customer for >= {min_tenure_years:g} years",
    "lines": "Uses >= {min_lines} line(s) of business",
    "contribution": "Among customers behind {contribution_share:.0%} of the unit's premium",
    "risk": "Risk low to {max_risk} on every line",
}


def pareto_curve(premium) -> pd.DataFrame:
    """Cumulative share of premium against the share of customers, largest first (Lorenz/Pareto).

    Returns
    -------
    pandas.DataFrame
        ``customer_share`` (k / n) and ``premium_share`` (premium of the k largest / total)
        for k = 0..n.

    Examples
    --------
    >>> pareto_curve([50, 30, 20])["premium_share"].tolist()
    [0.0, 0.5, 0.8, 1.0]
    """
    values = np.sort(np.asarray(premium, dtype=float))[::-1]
    total = values.sum()
    if total <= 0:
        raise RoqInputError("premium", "total premium must be positive for a Pareto curve")
    cumulative = np.concatenate([[0.0], np.cumsum(values) / total])
    return pd.DataFrame({"customer_share": np.arange(len(values) + 1) / len(values), "premium_share": cumulative})


class HvcResult:
    """HVC staging of the customers in force (see :func:`hvc_staging`).

    Attributes
    ----------
    customers : pandas.DataFrame
        Per customer: ``customer_id``, ``unit``, ``premium``, ``tenure_years``, ``lines``,
        ``financial_lines`` (bool), ``unit_share_before`` (share of the unit's premium held
        by larger customers), ``worst_risk``, one bool per criterion (``financial_lines``, ``tenure``, ``lines``,
        ``contribution``, ``risk``), ``hvc``, ``stage``
        and ``first_missed``.
    parameters : dict
        The thresholds used.
    checked : tuple of str
        Criteria that the table could check (``risk`` needs a risk column).
    """

    def __init__(self, customers: pd.DataFrame, parameters: dict, checked):
        self.customers = customers
        self.parameters = parameters
        self.checked = tuple(checked)

    def funnel(self) -> pd.DataFrame:
        """Customers and premium left after each criterion in turn (the HVC funnel)."""
        mask = np.ones(len(self.customers), dtype=bool)
        total_premium = self.customers["premium"].sum()
        rows = [("Customers in force", len(self.customers), total_premium)]
        for key in CRITERIA:
            if key not in self.checked:
                continue
            mask &= self.customers[key].to_numpy()
            rows.append((CRITERIA[key].format(**self.parameters), int(mask.sum()), float(self.customers.loc[mask, "premium"].sum())))
        frame = pd.DataFrame(rows, columns=["step", "customers", "premium"])
        frame["customer_share"] = frame["customers"] / max(len(self.customers), 1)
        frame["premium_share"] = frame["premium"] / total_premium if total_premium else np.nan
        return frame

    def stages(self) -> pd.DataFrame:
        """Customers and premium per stage."""
        grouped = self.customers.groupby("stage")
        frame = pd.DataFrame({"customers": grouped.size(), "premium": grouped["premium"].sum()})
        frame["premium_share"] = frame["premium"] / self.customers["premium"].sum()
        return frame

    def pareto(self) -> pd.DataFrame:
        """Pareto curve of the customers in force (all units together)."""
        return pareto_curve(self.customers["premium"])

    def share_of_customers_for(self, premium_share: float = 0.8) -> float:
        """Smallest share of customers (largest first) holding ``premium_share`` of the premium."""
        curve = self.pareto()
        return float(curve.loc[curve["premium_share"] >= premium_share - 1e-12, "customer_share"].iloc[0])

    def to_frame(self) -> pd.DataFrame:
        return self.customers.copy()

    def summary(self) -> str:
        lines = ["High Value Customer staging (Kurniawan, PT Asuransi LMN, Table 4, stage 1 criteria)",
                 self.funnel().to_string(index=False, float_format=lambda v: f"{v:,.4f}"),
                 f"Pareto: the largest {self.share_of_customers_for(0.8):.1%} of customers hold 80% of the premium."]
        if "risk" not in self.checked:
            lines.append("(no risk column: the risk criterion was not checked)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def hvc_staging(portfolio: Portfolio, *, min_tenure_years: float = 3.0, min_lines: int = 1, contribution_share: float = 0.80,
                max_risk: str | None = "moderate", require_financial_lines: bool = True, financial_lines=FINANCIAL_LINES,
                as_of=None) -> HvcResult:
    """Stage the customers in force by Table 4's stage-1 criteria (module docstring).

    Parameters
    ----------
    portfolio : Portfolio
    min_tenure_years : float
        Least tenure in years (default 3).
    min_lines : int
        Least number of lines of business held in the assessment period (default 1).
    contribution_share : float
        The Pareto share of the unit's premium (default 0.80), a fraction 0..1.
    max_risk : {"low", "moderate", "high"} or None
        Worst risk class allowed (default "moderate"); None skips the criterion.
    require_financial_lines : bool
        Whether a Financial Lines policy (ever) is required (default True).
    financial_lines : sequence of str
        The lines counting as Financial Lines.

    Returns
    -------
    HvcResult
    """
    if not np.isfinite(min_tenure_years) or min_tenure_years < 0:
        raise RoqInputError("min_tenure_years", f"must be >= 0 years, got {min_tenure_years}")
    if isinstance(min_lines, bool) or int(min_lines) != min_lines or min_lines < 1:
        raise RoqInputError("min_lines", f"must be a whole number >= 1, got {min_lines}")
    if not 0 < contribution_share <= 1:
        hint = f" (did you mean {contribution_share / 100:g}?)" if 1 < contribution_share <= 100 else ""
        raise RoqInputError("contribution_share", f"must be a fraction above 0 and at most 1 (0.80 = 80%), got {contribution_share:g}{hint}")
    if max_risk is not None and str(max_risk).strip().lower() not in RISK_CLASSES:
        raise RoqInputError("max_risk", f"must be one of {', '.join(RISK_CLASSES)} (or none), got {max_risk!r}")
    financial_lines = tuple(str(x).strip().lower() for x in financial_lines)
    unknown = [x for x in financial_lines if x not in portfolio.lines]
    if unknown:
        raise RoqInputError("financial_lines", f"{unknown[0]!r} is not a known line of business")
    from .survival import relationships

    policies = portfolio.policies
    cp = customer_periods(portfolio)
    last = int(cp.period.max())
    current = cp.period == last
    codes = cp.customer[current]
    premium = cp.premium[current]
    lines = cp.lines[current]
    n = portfolio.n_customers
    is_financial = policies["line"].isin(financial_lines).to_numpy()
    ever_financial = np.zeros(n, dtype=bool)
    ever_financial[portfolio.customer_codes[is_financial]] = True
    tenure = relationships(portfolio, as_of=as_of)["tenure_years"].to_numpy()
    units = portfolio.customer_first("unit")[codes] if "unit" in policies.columns else np.full(len(codes), "(all)", dtype=object)
    frame = pd.DataFrame({"customer_id": portfolio.customers[codes], "unit": units, "premium": premium, "tenure_years": tenure[codes],
                          "lines": lines, "financial_lines": ever_financial[codes]})
    # share of the unit's premium held by larger customers (ties: the earlier customer first)
    order = np.lexsort((np.arange(len(frame)), -premium, pd.factorize(frame["unit"])[0]))
    sorted_frame = frame.iloc[order]
    unit_total = sorted_frame.groupby("unit")["premium"].transform("sum").to_numpy()
    before = sorted_frame.groupby("unit")["premium"].cumsum().to_numpy() - sorted_frame["premium"].to_numpy()
    share_before = np.empty(len(frame))
    with np.errstate(invalid="ignore", divide="ignore"):
        share_before[order] = np.where(unit_total > 0, before / unit_total, 1.0)
    frame["unit_share_before"] = share_before
    checked = ["financial_lines", "tenure", "lines", "contribution"] if require_financial_lines else ["tenure", "lines", "contribution"]
    if max_risk is not None and "risk" in policies.columns:
        rank = policies["risk"].map({name: k for k, name in enumerate(RISK_CLASSES)}).to_numpy(dtype=float)
        worst = np.full(n, -1.0)
        known = ~np.isnan(rank)
        np.maximum.at(worst, portfolio.customer_codes[known], rank[known])
        worst_current = worst[codes]
        frame["worst_risk"] = [RISK_CLASSES[int(k)] if k >= 0 else None for k in worst_current]
        frame["risk"] = (worst_current >= 0) & (worst_current <= RISK_CLASSES.index(str(max_risk).strip().lower()))
        checked.append("risk")
    else:
        frame["worst_risk"] = None
        frame["risk"] = True
    criteria = {
        "financial_lines": frame["financial_lines"].to_numpy(dtype=bool) if require_financial_lines else np.ones(len(frame), dtype=bool),
        "tenure": frame["tenure_years"].to_numpy() >= min_tenure_years - 1e-9,
        "lines": lines >= min_lines,
        "contribution": frame["unit_share_before"].to_numpy() < contribution_share,
        "risk": frame.pop("risk").to_numpy(dtype=bool),
    }
    frame = frame.rename(columns={"financial_lines": "has_financial_lines", "lines": "lines_held"})
    parameters = {"min_tenure_years": float(min_tenure_years), "min_lines": int(min_lines), "contribution_share": float(contribution_share),
                  "max_risk": max_risk, "require_financial_lines": bool(require_financial_lines)}
    hvc = np.ones(len(frame), dtype=bool)
    first_missed = np.full(len(frame), "", dtype=object)
    for key in CRITERIA:
        frame[key] = criteria[key]
        if key in checked:
            first_missed[hvc & ~criteria[key]] = CRITERIA[key].format(**parameters)
            hvc &= criteria[key]
    frame["hvc"] = hvc
    frame["stage"] = np.where(hvc, "Stage 1: HVC identified", "Not HVC")
    frame["first_missed"] = first_missed
    return HvcResult(frame, parameters, checked)
