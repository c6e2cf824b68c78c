"""The measured retention as an input of the Return-on-Quality model.

The ROQ model (Rust, Zahorik & Keiningham 1995; :mod:`simulator.roq`) needs the retention
without the programme (``baseline_retention``) and with it (``retention``). From survey
counts these come from repurchase intentions; from records the baseline is the measured
customer (account) retention, and the programme's effect is a renewal uplift (e.g. the
change a driver model predicts from better service scores), so a quality programme can be
priced from records as well as from surveys.
"""

from __future__ import annotations

import numpy as np

from ..errors import RoqInputError

__all__ = ["roq_parameters", "uplift_from_drivers"]


def roq_parameters(measured_retention: float, uplift: float, *, base: dict | None = None, margin: float | None = None) -> dict:
    """ROQ model inputs with the measured retention as the no-programme retention.

    Parameters
    ----------
    measured_retention : float
        Customer retention measured from the records, a fraction per year
        (:attr:`RetentionResult.customer_retention`).
    uplift : float
        Retention gained by the quality programme, a fraction (0.05 = 5 percentage points).
    base : dict, optional
        The other model inputs (market, costs, discount rate); default the built-in
        scenario's (Singgih's Return-on-Quality case study of an insurance company).
    margin : float, optional
        Margin per customer per year to use instead of the base's.

    Returns
    -------
    dict
        Inputs for :func:`simulator.roq.evaluate`, ``baseline_retention = measured``,
        ``retention = min(measured + uplift, 1)``.

    Examples
    --------
    >>> p = roq_parameters(0.84, 0.05)
    >>> round(p["baseline_retention"], 2), round(p["retention"], 2)
    (0.84, 0.89)
    """
    measured = float(measured_retention)
    if not 0 <= measured <= 1:
        hint = f" (did you mean {measured / 100:g}?)" if 1 < measured <= 100 else ""
        raise RoqInputError("measured_retention", f"must be a fraction from 0 to 1, got {measured:g}{hint}")
    u = float(uplift)
    if not np.isfinite(u) or not -1 < u < 1:
        hint = f" (did you mean {u / 100:g}?)" if 1 <= abs(u) <= 100 else ""
        raise RoqInputError("uplift", f"must be a change in retention as a fraction (0.05 = 5 percentage points), got {uplift!r}{hint}")
    if base is None:
        from ..uncertainty.scenario import builtin_scenario

        base = builtin_scenario().parameters()
    parameters = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in dict(base).items()}
    for conflicting in ("baseline_market_share", "baseline_market_share_path", "baseline_satisfied_share", "baseline_delighted_share",
                        "market_share_path", "satisfied_share", "delighted_share"):
        parameters.pop(conflicting, None)
    parameters["baseline_retention"] = measured
    parameters["retention"] = min(max(measured + u, 0.0), 1.0)
    churn = parameters.get("churn")
    if churn is not None and np.ndim(churn) == 0:
        for name, value in (("measured_retention", measured), ("uplift", parameters["retention"])):
            if value > 1 - float(churn) + 1e-12:
                raise RoqInputError(name, f"retention {value:.4f} exceeds 1 - churn = {1 - float(churn):.4f} of the base inputs (the firm cannot keep "
                                          "customers who left the market): give a smaller uplift or base inputs with a lower market churn")
    if margin is not None:
        parameters["margin"] = float(margin)
    return parameters


def uplift_from_drivers(drivers_result, X, change) -> float:
    """Mean change in renewal probability when the scores ``X`` improve by ``change``.

    Parameters
    ----------
    drivers_result : LogisticResult
    X : 2-D array
        The customers' current scores (columns in the model's order).
    change : sequence of float
        Improvement per score column (scale points; negative for effort).

    Returns
    -------
    float
        ``mean(P(X + change) - P(X))``: the programme's renewal uplift.
    """
    X = np.asarray(X, dtype=float)
    change = np.asarray(change, dtype=float).reshape(1, -1)
    if change.shape[1] != X.shape[1]:
        raise RoqInputError("change", f"must give one change per score ({X.shape[1]}), got {change.shape[1]}")
    return float(np.mean(drivers_result.predict(X + change) - drivers_result.predict(X)))
