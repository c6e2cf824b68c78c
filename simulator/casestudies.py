"""The two published case studies, shipped with the package as CSV.

- Singgih's case (ROQ case, Indonesian life insurer): market path, programme costs, importance
  ranking, recommendation crosstab.
- Pole et al.'s claims case (claims service SERVQUAL/CSI case): 21 attributes with perception, expectation
  and management-perception means, and the internal gap 2-4 scores.

The files are copies of ``shared/reference/data`` (a test keeps them identical), so the
package works on a machine that has only the installed wheel.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = [
    "data_path",
    "load_claims_servqual_attributes",
    "load_claims_servqual_internal_gaps",
    "load_roq_case_market",
    "load_roq_case_programs",
    "load_roq_case_importance",
    "load_roq_case_recommend_crosstab",
    "DATA_FILES",
]

DATA_FILES = (
    "claims_servqual_attributes.csv",
    "claims_servqual_internal_gaps.csv",
    "roq_case_importance.csv",
    "roq_case_market.csv",
    "roq_case_programs.csv",
    "roq_case_recommend_crosstab.csv",
)


def data_path(name: str):
    """Path (a Traversable) of one packaged case-study CSV, e.g. ``"roq_case_market.csv"``."""
    if name not in DATA_FILES:
        from .errors import RoqInputError

        raise RoqInputError("name", f"unknown case-study file {name!r}; choose one of {', '.join(DATA_FILES)}")
    return resources.files("simulator").joinpath("data", name)


def _read(name: str) -> pd.DataFrame:
    with data_path(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


def load_claims_servqual_attributes() -> pd.DataFrame:
    """Pole et al.'s claims case: 21 claim-service attributes (dimension, perception/expectation means on 1..5,
    management's perception of expectations), 60 respondents."""
    return _read("claims_servqual_attributes.csv")


def load_claims_servqual_internal_gaps() -> pd.DataFrame:
    """Pole et al.'s claims case: per-dimension gap 2, 3 and 4 scores (1..5) from internal respondents."""
    return _read("claims_servqual_internal_gaps.csv")


def load_roq_case_market() -> pd.DataFrame:
    """Singgih's case: year 0..5 market size (customers) and the growth estimates the paper also
    used as the market-share path."""
    return _read("roq_case_market.csv")


def load_roq_case_programs() -> pd.DataFrame:
    """Singgih's case: the seven quality programmes with initial and annual cost (IDR)."""
    return _read("roq_case_programs.csv")


def load_roq_case_importance() -> pd.DataFrame:
    """Singgih's case: importance ranking of 13 attributes (total score and weight)."""
    return _read("roq_case_importance.csv")


def load_roq_case_recommend_crosstab() -> pd.DataFrame:
    """Singgih's case: satisfaction group x recommendation crosstab (garbled in the paper; only the
    churn result 8/84 is usable)."""
    return _read("roq_case_recommend_crosstab.csv")
