"""How much to spend on quality: a spending-response curve priced through the ROQ model.

Rust, Zahorik & Keiningham's third claim is that it is possible to spend too much on
quality: each extra unit of spending closes less of the gap (diminishing returns), while
its cost stays the same. The default response curve is the saturating exponential

    effect(spend) = max_effect * (1 - exp(-rate * spend))

(``effect`` in points of a service-quality gap closed, ``spend`` the programme's annual
spending in currency per year, ``rate`` per currency unit); any non-decreasing
vectorised function of spend can replace it. The effect becomes a satisfaction shift
through the driver model (:mod:`simulator.roq.programme_effect`), retention with the
programme, market share and NPV; the net NPV gain ``NPV - NPV0 - NPVAS`` is maximised
over spend. At an interior optimum the marginal ROQ - the extra gross gain
``NPV - NPV0`` bought by the last unit of programme cost (in present value) - is 1.

All optimisation is vectorised over scenarios: a grid over ``[0, spend_max]`` brackets
the best spend of every scenario and golden-section search refines each bracket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import RoqInputError
from .model import evaluate
from .programme_effect import programme_parameters, satisfaction_shift

__all__ = [
    "saturating_response",
    "check_response_curve",
    "optimal_spend",
    "SpendingAnalysis",
    "spending_analysis",
]

#: Grid points used to bracket the optimum (and to check a response curve).
DEFAULT_GRID = 41
#: Most grid points or scenarios accepted (a typo must not allocate terabytes).
MAXIMUM_GRID = 10_001
MAXIMUM_SCENARIOS = 10**6
_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def saturating_response(spend, max_effect, rate):
    """Effect of spending with diminishing returns: ``max_effect * (1 - exp(-rate * spend))``.

    Parameters
    ----------
    spend : float or array_like
        Spending (currency per year, >= 0).
    max_effect : float or array_like
        Effect reached with unlimited spending (gap points, >= 0).
    rate : float or array_like
        Speed of saturation per currency unit (> 0); half the maximum is reached at
        ``ln 2 / rate``.

    Examples
    --------
    >>> round(saturating_response(100e6, 0.6, 0.693147e-8), 4)
    0.3
    """
    spend = np.asarray(spend, dtype=float)
    max_effect = np.asarray(max_effect, dtype=float)
    rate = np.asarray(rate, dtype=float)
    if np.any(spend < 0):
        raise RoqInputError("spend", "must be >= 0 (currency per year)")
    if np.any(max_effect < 0) or np.any(~np.isfinite(max_effect)):
        raise RoqInputError("max_effect", "must be a finite number of gap points >= 0")
    if np.any(~(rate > 0)) or np.any(~np.isfinite(rate)):
        raise RoqInputError("rate", "must be > 0 per currency unit (half the effect is bought at ln 2 / rate)")
    effect = max_effect * -np.expm1(-rate * spend)
    return float(effect) if effect.ndim == 0 else effect


def check_response_curve(response: Callable, spend_max: float, *, points: int = DEFAULT_GRID, scenarios: int = 1) -> None:
    """Refuse a response curve that is not non-decreasing in spend, or not finite and >= 0.

    ``response(spend)`` is called with an array of ``scenarios`` equal spends at each of
    ``points`` grid values from 0 to ``spend_max``.
    """
    spends = np.linspace(0.0, float(spend_max), int(points))
    previous = None
    for spend in spends:
        effect = np.broadcast_to(np.asarray(response(np.full(scenarios, spend)), dtype=float), (scenarios,))
        if not np.isfinite(effect).all() or (effect < 0).any():
            raise RoqInputError("response", f"must return finite effects >= 0; got {effect[~(np.isfinite(effect) & (effect >= 0))][0]:g} at spend {spend:,.0f}")
        if previous is not None and (effect < previous[1] - 1e-12 * np.maximum(1.0, np.abs(previous[1]))).any():
            i = int(np.argmax(effect < previous[1]))
            raise RoqInputError("response", f"is not monotone: the effect falls from {previous[1][i]:.4g} at spend {previous[0]:,.0f} to {effect[i]:.4g} at spend {spend:,.0f}; more spending must never do less")
        previous = (spend, effect)


def _check_spend_max(spend_max) -> float:
    value = float(spend_max)
    if not (np.isfinite(value) and value > 0):
        raise RoqInputError("spend_max", f"must be a positive amount (currency per year), got {value:g}")
    return value


def _check_points(points) -> int:
    value = float(points)
    if not (np.isfinite(value) and value == int(value) and 5 <= value <= MAXIMUM_GRID):
        raise RoqInputError("points", f"must be a whole number from 5 to {MAXIMUM_GRID:,}, got {value:g}")
    return int(value)


def optimal_spend(net_gain: Callable, spend_max: float, *, points: int = DEFAULT_GRID, tolerance: float = 1e-7, scenarios: int = 1) -> np.ndarray:
    """The spend that maximises ``net_gain`` in ``[0, spend_max]``, per scenario.

    Parameters
    ----------
    net_gain : callable
        ``net_gain(spend)`` with ``spend`` an array of ``scenarios`` spends (one per
        scenario) returns the net gain of each scenario at its spend.
    spend_max : float
        Upper end of the search (currency per year).
    points : int
        Grid points that bracket the optimum of each scenario.
    tolerance : float
        Golden-section search stops when the bracket is below ``tolerance * spend_max``.
    scenarios : int
        Number of scenarios ``net_gain`` evaluates at once.

    Returns
    -------
    ndarray of shape (scenarios,)

    Examples
    --------
    With a gain ``V (1 - exp(-k s)) - s`` the optimum is ``ln(V k) / k``:

    >>> V, k = 5e9, 1e-8
    >>> s = optimal_spend(lambda s: V * -np.expm1(-k * s) - s, 1e9)
    >>> round(float(s[0] / (np.log(V * k) / k)), 6)
    1.0
    """
    spend_max = _check_spend_max(spend_max)
    points = _check_points(points)
    if not 1 <= int(scenarios) <= MAXIMUM_SCENARIOS:
        raise RoqInputError("scenarios", f"must be from 1 to {MAXIMUM_SCENARIOS:,}")
    grid = np.linspace(0.0, spend_max, points)
    values = np.stack([np.broadcast_to(np.asarray(net_gain(np.full(scenarios, s)), dtype=float), (scenarios,)) for s in grid], axis=1)
    if not np.isfinite(values).all():
        raise RoqInputError("net_gain", "is not finite at some spend; check the scenario's inputs")
    best = np.argmax(values, axis=1)
    low = grid[np.maximum(best - 1, 0)]
    high = grid[np.minimum(best + 1, points - 1)]
    # golden-section search inside each scenario's bracket (vectorised, fixed iteration count)
    iterations = int(np.ceil(np.log(tolerance * spend_max / (2 * spend_max / (points - 1))) / np.log(_GOLDEN))) if tolerance > 0 else 60
    a, b = low.copy(), high.copy()
    c = b - _GOLDEN * (b - a)
    d = a + _GOLDEN * (b - a)
    fc, fd = np.asarray(net_gain(c), dtype=float), np.asarray(net_gain(d), dtype=float)
    for _ in range(max(iterations, 1)):
        left = fc >= fd  # the maximum lies in [a, d]: drop (d, b]; else drop [a, c)
        a, b = np.where(left, a, c), np.where(left, d, b)
        keep, f_keep = np.where(left, c, d), np.where(left, fc, fd)  # the interior point that survives
        new = np.where(left, b - _GOLDEN * (b - a), a + _GOLDEN * (b - a))
        f_new = np.asarray(net_gain(new), dtype=float)
        c, fc = np.where(left, new, keep), np.where(left, f_new, f_keep)
        d, fd = np.where(left, keep, new), np.where(left, f_keep, f_new)
    refined = (a + b) / 2.0
    # the ends of the range are candidates too (a corner optimum: spend nothing or the maximum)
    candidates = np.stack([refined, np.zeros(scenarios), np.full(scenarios, spend_max)], axis=1)
    gains = np.stack([np.asarray(net_gain(candidates[:, j]), dtype=float) for j in range(3)], axis=1)
    return candidates[np.arange(scenarios), np.argmax(gains, axis=1)]


@dataclass
class SpendingAnalysis:
    """NPV gain and ROQ against spend, and the spend that maximises the net NPV gain.

    Attributes
    ----------
    spends : ndarray
        Grid of annual spends (currency per year).
    curve : pandas.DataFrame
        Per spend: ``mean``, ``p5``, ``p50``, ``p95`` of the net NPV gain, mean ROQ and
        P(ROQ > 1).
    optimal_spend : ndarray
        NPV-maximising spend of each scenario.
    expected_optimum : float
        The one spend that maximises the expected (mean) net NPV gain.
    marginal_roq : float
        Extra gross NPV gain per extra unit of programme cost (present value) at the
        expected optimum; 1 at an interior optimum.
    """

    spends: np.ndarray
    curve: "object"
    optimal_spend: np.ndarray
    expected_optimum: float
    expected_net_gain: float
    marginal_roq: float
    probability_pays: float
    scenarios: int
    currency: str = "Rp"
    notes: list = field(default_factory=list)

    def optimum_frame(self):
        """Distribution of the per-scenario optimal spend (mean, sd, P5..P95)."""
        import pandas as pd

        values = self.optimal_spend
        q = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95])
        return pd.DataFrame([{"statistic": n, "optimal_spend": v} for n, v in zip(
            ["mean", "sd", "p5", "p25", "p50", "p75", "p95"], [values.mean(), values.std(), *q])])

    def to_frame(self):
        return self.curve.copy()

    def summary(self) -> str:
        c = self.currency
        lines = [
            f"Spending analysis over {self.scenarios:,} scenarios",
            f"expected-value optimum: {c} {self.expected_optimum:,.0f} per year; expected net NPV gain {c} {self.expected_net_gain:,.0f}",
            f"marginal ROQ there: {self.marginal_roq:.3f} (1 at an interior optimum); P(ROQ > 1) there: "
            + (f"{self.probability_pays:.1%}" if np.isfinite(self.probability_pays) else "n/a (nothing spent)"),
            f"per-scenario optimum: P5 {c} {np.quantile(self.optimal_spend, 0.05):,.0f}, median {c} {np.median(self.optimal_spend):,.0f}, P95 {c} {np.quantile(self.optimal_spend, 0.95):,.0f}",
        ]
        return "\n".join(lines + self.notes)


def _scenarios_of(*values) -> int:
    sizes = {np.size(v) for v in values if np.ndim(v) > 0}
    sizes.discard(1)
    if len(sizes) > 1:
        raise RoqInputError("parameters", f"scenario arrays of different lengths: {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def spending_analysis(parameters: dict, mix: dict, *, driver_coefficient, satisfaction_sd, spend_max: float,
                      response: Callable | None = None, max_effect=None, rate=None, points: int = DEFAULT_GRID,
                      currency: str = "Rp") -> SpendingAnalysis:
    """Net NPV gain and ROQ as functions of annual spend; the NPV-maximising spend.

    Parameters
    ----------
    parameters : dict
        Model inputs (scalars or per-scenario arrays); ``annual_cost`` is replaced by
        the spend, ``initial_cost`` is kept (a fixed set-up cost).
    mix : dict
        Survey shares and repurchase rates (see
        :func:`simulator.roq.programme_effect.programme_parameters`).
    driver_coefficient, satisfaction_sd : float or array
        Driver model (see :func:`simulator.roq.programme_effect.satisfaction_shift`).
    spend_max : float
        Largest annual spend considered (currency per year).
    response : callable, optional
        ``response(spend) -> gap points closed``, vectorised over scenarios and
        non-decreasing; default :func:`saturating_response` with ``max_effect`` and ``rate``.
    points : int
        Grid points for the curve and the bracketing.

    Returns
    -------
    SpendingAnalysis
    """
    spend_max = _check_spend_max(spend_max)
    points = _check_points(points)
    if response is None:
        if max_effect is None or rate is None:
            raise RoqInputError("response", "give a response function, or max_effect and rate for the saturating curve")
        saturating_response(0.0, max_effect, rate)  # validates the parameters
        response = lambda spend: saturating_response(spend, max_effect, rate)  # noqa: E731
    n = _scenarios_of(driver_coefficient, satisfaction_sd, max_effect, rate, *parameters.values(), *mix.values())
    check_response_curve(response, spend_max, points=points, scenarios=n)
    outputs = ("npv_net", "npv_gain", "npv_programme_cost", "roq")

    def run(spend):
        shift = satisfaction_shift(response(spend), driver_coefficient, satisfaction_sd)
        inputs = programme_parameters(parameters, mix, shift)
        inputs["annual_cost"] = spend
        result = evaluate(inputs, outputs, validate=False)
        values = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in result.items()}
        # nothing spent: ROQ (gain per unit of cost) is not defined
        values["roq"] = np.where(values["npv_programme_cost"] > 0, values["roq"], np.nan)
        return values

    def probability_pays(roq):
        return float(np.mean(roq > 1)) if np.isfinite(roq).all() else float("nan")

    spends = np.linspace(0.0, spend_max, points)
    rows = []
    for spend in spends:
        values = run(np.full(n, spend))
        net, roq = values["npv_net"], values["roq"]
        rows.append({
            "annual_spend": spend, "mean": net.mean(), "p5": np.quantile(net, 0.05), "p50": np.quantile(net, 0.5),
            "p95": np.quantile(net, 0.95), "roq_mean": np.nanmean(roq) if np.isfinite(roq).any() else np.nan,
            "probability_roq_above_1": probability_pays(roq),
        })
    import pandas as pd

    curve = pd.DataFrame(rows)
    per_scenario = optimal_spend(lambda s: run(s)["npv_net"], spend_max, points=points, scenarios=n)
    expected = float(optimal_spend(lambda s: np.array([run(np.full(n, s[0]))["npv_net"].mean()]), spend_max, points=points)[0])
    at = run(np.full(n, expected))
    step = max(spend_max * 1e-4, 1.0)
    up, down = run(np.full(n, min(expected + step, spend_max))), run(np.full(n, max(expected - step, 0.0)))
    cost_change = up["npv_programme_cost"].mean() - down["npv_programme_cost"].mean()
    marginal = float((up["npv_gain"].mean() - down["npv_gain"].mean()) / cost_change) if cost_change > 0 else float("nan")
    notes = []
    if expected >= spend_max * (1 - 1e-6):
        notes.append("note: the optimum is at spend_max; the curve may keep paying beyond it - raise spend_max")
    if expected <= spend_max * 1e-6:
        notes.append("note: the optimum is to spend nothing: no spend in the range pays for itself")
    if float(at["npv_net"].mean()) < 0:
        notes.append("note: even at its best spend the expected net NPV gain is negative: not running the programme (gain 0) is better")
    return SpendingAnalysis(spends, curve, per_scenario, expected, float(at["npv_net"].mean()), marginal,
                            probability_pays(at["roq"]), n, currency, notes)
