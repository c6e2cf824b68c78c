"""The Return-on-Quality model (Rust, Zahorik & Keiningham 1995): calibration, the
vectorised market-share/NPV/ROQ model, break-even analysis, and Singgih's case study."""

from .calibration import (
    SATISFIED_SHARE_CONVENTIONS,
    attraction,
    competitor_retention,
    market_churn,
    market_growth,
    repurchase_rate,
    retention,
)
from .model import (
    DEFAULT_OUTPUTS,
    MAX_HORIZON,
    MODEL_INPUTS,
    MODEL_OUTPUTS,
    ModelInput,
    breakeven_discount_rate,
    breakeven_programme_cost,
    evaluate,
    market_share_path,
    npv_of_profit,
    npv_of_programme,
    return_on_quality,
    roq_against_discount_rate,
)

__all__ = [
    "SATISFIED_SHARE_CONVENTIONS",
    "attraction",
    "competitor_retention",
    "market_churn",
    "market_growth",
    "repurchase_rate",
    "retention",
    "DEFAULT_OUTPUTS",
    "MAX_HORIZON",
    "MODEL_INPUTS",
    "MODEL_OUTPUTS",
    "ModelInput",
    "breakeven_discount_rate",
    "breakeven_programme_cost",
    "evaluate",
    "market_share_path",
    "npv_of_profit",
    "npv_of_programme",
    "return_on_quality",
    "roq_against_discount_rate",
]
