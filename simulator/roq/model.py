"""The vectorised Return-on-Quality model: one call evaluates one scenario or ten million.

Rust, Zahorik & Keiningham (1995): a quality programme changes customer retention; the
market-share recursion

    M_t = [R M_{t-1} + (1 - R' - c)(1 - M_{t-1}) + A (G_t - 1 + c)] / G_t,   G_t = N_t / N_{t-1}

turns retention into a share path; discounted profits with and without the programme give
NPV and NPV0; the programme's discounted spending is NPVAS; ROQ = (NPV - NPV0) / NPVAS.

:func:`evaluate` takes a mapping of named inputs (see :data:`MODEL_INPUTS`) and returns a
dict of named numpy arrays. Every input may be a scalar or an array of scenarios (any
shape; arrays broadcast against each other); inputs whose name ends in ``_path`` carry a
trailing axis of years 1..T. There is no Python loop over scenarios, only over years, so
this is the function the Monte Carlo and sensitivity layers propagate uncertainty through.

Units: shares, rates and growth are fractions per year (0.20, not 20); market sizes are
customers; margin is currency per customer per year; costs are currency; NPVs are in the
same currency at year 0. Year t flows are discounted by (1 + i)^-t, t = 1..T; the initial
programme cost is paid at t = 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from .._solve import bisect_sign_change
from .._validate import as_float_array, bounded_count, closest, compact
from ..errors import RoqInputError
from .calibration import SATISFIED_SHARE_CONVENTIONS

__all__ = [
    "ModelInput",
    "MODEL_INPUTS",
    "MODEL_OUTPUTS",
    "DEFAULT_OUTPUTS",
    "evaluate",
    "market_share_path",
    "npv_of_profit",
    "npv_of_programme",
    "return_on_quality",
    "breakeven_discount_rate",
    "breakeven_programme_cost",
    "roq_against_discount_rate",
]


@dataclass(frozen=True)
class ModelInput:
    """Description and domain of one input of :func:`evaluate`.

    ``low``/``high`` bound the input (``*_open`` excludes the bound itself); ``per_year``
    inputs carry a trailing axis of years 1..T.
    """

    name: str
    description: str
    unit: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    per_year: bool = False

    def check(self, array: np.ndarray, argument: str | None = None) -> None:
        """Raise :class:`RoqInputError` if any element lies outside the domain, naming
        ``argument`` (default: the input's own name) as the caller's user typed it."""
        argument = argument or self.name
        if self.low is not None:
            bad = array <= self.low if self.low_open else array < self.low
            if bad.any():
                sign = ">" if self.low_open else ">="
                raise RoqInputError(argument, f"must be {sign} {self.low:g} ({self.unit}), got {compact(array[bad].flat[0])}")
        if self.high is not None:
            bad = array >= self.high if self.high_open else array > self.high
            if bad.any():
                sign = "<" if self.high_open else "<="
                first = float(array[bad].flat[0])
                raise RoqInputError(argument, f"must be {sign} {self.high:g} ({self.unit}), got {compact(first)}{_unit_slip(first, self.unit)}")


#: Longest horizon the model evaluates: 100 years (a longer one is a typo, e.g. a date serial).
MAX_HORIZON = 100


def check_horizon(horizon) -> int:
    """The number of years T, a whole number 1..MAX_HORIZON, or a refusal naming ``horizon``."""
    return bounded_count(horizon, "horizon", 1, MAX_HORIZON, "years", why="the model's longest horizon")


def _unit_slip(value: float, unit: str) -> str:
    """A hint for a fraction typed in percent points (34.61 for 34.61%)."""
    if unit.startswith("fraction") and 1.0 < abs(value) <= 100.0:
        return f"; fractions: did you mean {compact(value)}% ({compact(value / 100)})?"
    return ""


_SHARE = dict(low=0.0, high=1.0)
_INPUT_LIST = [
    ModelInput("horizon", "Number of years T evaluated after year 0", "years", low=1),
    ModelInput("market_size", "Market size N_0 at year 0", "customers", low=0.0, low_open=True),
    ModelInput("market_growth", "Market growth g per year, constant over the horizon", "fraction per year", low=-1.0, low_open=True),
    ModelInput("market_growth_path", "Market growth g_t for years 1..T", "fraction per year", low=-1.0, low_open=True, per_year=True),
    ModelInput("market_size_path", "Market sizes N_1..N_T", "customers", low=0.0, low_open=True, per_year=True),
    ModelInput("churn", "Market churn c: share of customers leaving the market per year", "fraction per year", low=0.0, high=1.0, high_open=True),
    ModelInput("competitor_retention", "Competitors' retention R'", "fraction per year", **_SHARE),
    ModelInput(
        "competitor_switching",
        "Share s of competitors' customers switching to the firm per year (R' = 1 - churn - s; give it or competitor_retention)",
        "fraction per year", **_SHARE,
    ),
    ModelInput("attraction", "Firm's attraction A: its share of customers entering the market", "fraction", **_SHARE),
    ModelInput("initial_share", "Firm's market share M_0 at year 0", "fraction", **_SHARE),
    ModelInput("retention", "Retention R with the quality programme", "fraction per year", **_SHARE),
    ModelInput("baseline_retention", "Retention R_0 without the programme", "fraction per year", **_SHARE),
    ModelInput("satisfied_share", "Satisfied (not delighted) share with the programme", "fraction", **_SHARE),
    ModelInput("delighted_share", "Delighted share with the programme", "fraction", **_SHARE),
    ModelInput("repurchase_dissatisfied", "Repurchase rate r1 of dissatisfied customers", "fraction", **_SHARE),
    ModelInput("repurchase_satisfied", "Repurchase rate r2 of satisfied customers", "fraction", **_SHARE),
    ModelInput("repurchase_delighted", "Repurchase rate r3 of delighted customers", "fraction", **_SHARE),
    ModelInput("baseline_satisfied_share", "Satisfied (not delighted) share without the programme", "fraction", **_SHARE),
    ModelInput("baseline_delighted_share", "Delighted share without the programme", "fraction", **_SHARE),
    ModelInput("market_share_path", "Given market shares M_1..M_T with the programme (skips the recursion)", "fraction", per_year=True, **_SHARE),
    ModelInput("baseline_market_share_path", "Given market shares M_1..M_T without the programme", "fraction", per_year=True, **_SHARE),
    ModelInput("baseline_market_share", "Constant market share without the programme", "fraction", **_SHARE),
    ModelInput("margin", "Profit margin Y per customer per year", "currency per customer per year"),
    ModelInput("discount_rate", "Discount rate i (cost of capital) per year", "fraction per year", low=-1.0, low_open=True),
    ModelInput("initial_cost", "Programme cost paid at year 0", "currency", low=0.0),
    ModelInput("annual_cost", "Programme cost paid in each year 1..T", "currency per year", low=0.0),
]
#: Every input :func:`evaluate` understands, by name.
MODEL_INPUTS: dict[str, ModelInput] = {item.name: item for item in _INPUT_LIST}

#: Every output :func:`evaluate` can return, with its unit.
MODEL_OUTPUTS: dict[str, str] = {
    "npv_with_programme": "NPV of profits with the programme (currency)",
    "npv_without_programme": "NPV0: NPV of profits without the programme (currency)",
    "npv_programme_cost": "NPVAS: NPV of programme spending (currency)",
    "npv_gain": "NPV - NPV0 (currency)",
    "npv_net": "NPV - NPV0 - NPVAS (currency)",
    "roq": "Return on quality, gross: (NPV - NPV0) / NPVAS (ratio; feasible when > 1)",
    "roq_net": "Return on quality, net: (NPV - NPV0 - NPVAS) / NPVAS (ratio; feasible when > 0)",
    "final_market_share": "Market share M_T with the programme (fraction)",
    "final_market_share_without_programme": "Market share M_T without the programme (fraction)",
    "retention": "Retention with the programme (fraction per year)",
    "baseline_retention": "Retention without the programme (fraction per year)",
    "market_share_path": "Market shares M_1..M_T with the programme (fraction; trailing year axis)",
    "market_share_path_without_programme": "Market shares M_1..M_T without the programme (fraction; trailing year axis)",
    "market_size_path": "Market sizes N_1..N_T (customers; trailing year axis)",
}
#: What :func:`evaluate` returns when ``outputs`` is not given (one value per scenario).
DEFAULT_OUTPUTS = (
    "npv_with_programme",
    "npv_without_programme",
    "npv_programme_cost",
    "npv_gain",
    "roq",
    "roq_net",
    "final_market_share",
    "final_market_share_without_programme",
)

_MIX = ("satisfied_share", "delighted_share", "repurchase_dissatisfied", "repurchase_satisfied", "repurchase_delighted")


class _Inputs:
    """Validated float arrays of a parameters mapping, with the scenario shape."""

    def __init__(self, parameters: Mapping[str, object], validate: bool):
        if not isinstance(parameters, Mapping):
            raise RoqInputError("parameters", f"must be a mapping of input names to values, got {type(parameters).__name__}")
        unknown = sorted(set(parameters) - set(MODEL_INPUTS) - {"satisfied_share_convention"})
        if unknown:
            shown = unknown[0] if len(unknown[0]) <= 40 else unknown[0][:37] + "..."
            raise RoqInputError(shown, f"is not a model input{closest(unknown[0], MODEL_INPUTS)}; all inputs: ROQ_MODEL_INPUTS() in Excel")
        self.convention = parameters.get("satisfied_share_convention", "satisfied_or_delighted")
        if self.convention not in SATISFIED_SHARE_CONVENTIONS:
            raise RoqInputError("satisfied_share_convention", f"must be one of {', '.join(SATISFIED_SHARE_CONVENTIONS)}, got {self.convention!r}")
        self.values: dict[str, np.ndarray] = {}
        horizon = parameters.get("horizon")
        for name, value in parameters.items():
            if name in ("satisfied_share_convention", "horizon") or value is None:
                continue
            if not validate and isinstance(value, (np.ndarray, float, int)):
                array = np.asarray(value, dtype=float)  # pre-checked samples: skip the NaN/inf scans
            else:
                array = as_float_array(value, name)
            spec = MODEL_INPUTS[name]
            if validate:
                if np.isnan(array).any():
                    raise RoqInputError(name, "has a missing value")
                spec.check(array)
            if spec.per_year:
                if array.ndim == 0:
                    raise RoqInputError(name, "is a per-year path and needs one value per year (a trailing year axis)")
                if horizon is None:
                    horizon = array.shape[-1]
                elif array.shape[-1] != int(horizon):
                    raise RoqInputError(name, f"has {array.shape[-1]} years but horizon is {int(horizon)}")
            self.values[name] = array
        if horizon is None:
            raise RoqInputError("horizon", "is required (number of years) unless a *_path input gives it")
        self.horizon = check_horizon(horizon)
        shapes = [a.shape[:-1] if MODEL_INPUTS[n].per_year else a.shape for n, a in self.values.items()]
        try:
            self.shape = np.broadcast_shapes(*shapes) if shapes else ()
        except ValueError:
            described = ", ".join(f"{n} {a.shape}" for n, a in self.values.items() if a.ndim)
            raise RoqInputError("parameters", f"scenario arrays have shapes that do not broadcast together: {described}") from None

    def get(self, name):
        return self.values.get(name)

    def require(self, name, why):
        value = self.values.get(name)
        if value is None:
            raise RoqInputError(name, f"is required {why}")
        return value

    def only_one(self, names, why):
        given = [n for n in names if n in self.values]
        if len(given) > 1:
            raise RoqInputError(given[1], f"conflicts with {given[0]}: give only one of {', '.join(names)} {why}")
        return given[0] if given else None


def _retention_from(inputs: _Inputs, prefix: str, validate: bool):
    """Retention of one arm: given directly, or from the satisfaction mix."""
    direct_name = "retention" if prefix == "" else "baseline_retention"
    direct = inputs.get(direct_name)
    mix_names = [prefix + n if n.endswith("_share") else n for n in _MIX]
    has_mix = any(prefix + n in inputs.values for n in ("satisfied_share", "delighted_share"))
    if direct is not None:
        if has_mix:
            raise RoqInputError(direct_name, f"conflicts with {prefix}satisfied_share/{prefix}delighted_share: give retention or the satisfaction mix, not both")
        return direct
    if not has_mix:
        return None
    satisfied, delighted, r1, r2, r3 = (inputs.require(n, f"to compute {direct_name} from the satisfaction mix") for n in mix_names)
    if validate and np.any(satisfied + delighted > 1 + 1e-12):
        raise RoqInputError(prefix + "satisfied_share", f"plus {prefix}delighted_share exceeds 1 (100% of customers)")
    s = satisfied + delighted if inputs.convention == "satisfied_or_delighted" else satisfied
    return (1.0 - s) * r1 + s * r2 + delighted * (r3 - r2)


def _market_size_source(inputs: _Inputs):
    """N_0 and a rule for N_t: ("path", N_1..N_T), ("growth_path", g_1..g_T) or ("growth", g)."""
    which = inputs.only_one(("market_size_path", "market_growth_path", "market_growth"), "for the market size path")
    if which is None:
        raise RoqInputError("market_growth", "is required: give market_growth, market_growth_path or market_size_path")
    start = inputs.get("market_size")
    if start is None and which != "market_size_path":
        raise RoqInputError("market_size", f"is required (market size at year 0) with {which}")
    kind = {"market_size_path": "path", "market_growth_path": "growth_path", "market_growth": "growth"}[which]
    return start, kind, inputs.values[which]


def _arm_source(inputs: _Inputs, validate: bool, *, baseline: bool):
    """Where one arm's shares come from: (given path or None, retention or None)."""
    if baseline:
        which = inputs.only_one(("baseline_market_share_path", "baseline_market_share", "baseline_retention", "baseline_satisfied_share"), "for the no-programme arm")
        if which == "baseline_market_share_path":
            return inputs.values[which], None
        if which == "baseline_market_share":
            return np.asarray(inputs.values[which])[..., None], None  # constant: one column for every year
        retention = _retention_from(inputs, "baseline_", validate)
        if retention is None:
            raise RoqInputError("baseline_retention", "is required: give baseline_retention, the baseline satisfaction mix, baseline_market_share or baseline_market_share_path")
        return None, retention
    if "market_share_path" in inputs.values:
        if "retention" in inputs.values or "satisfied_share" in inputs.values:
            raise RoqInputError("market_share_path", "conflicts with retention: give the share path or the retention that drives it, not both")
        return inputs.values["market_share_path"], None
    retention = _retention_from(inputs, "", validate)
    if retention is None:
        raise RoqInputError("retention", "is required: give retention, the satisfaction mix, or market_share_path")
    return None, retention


def _year(path: np.ndarray, year: int) -> np.ndarray:
    """Year ``year`` (0-based) of a path with a trailing year axis; a single column is constant."""
    return path[..., 0] if path.shape[-1] == 1 else path[..., year]


def _run_model(inputs: _Inputs, validate: bool, keep_paths: bool) -> dict:
    """One pass over the years: share recursion (or given paths), discounting and NPV sums.

    Works year-major on scenario-shaped arrays (no scenarios x years temporaries unless
    ``keep_paths``), which keeps every operation a contiguous pass over one chunk.
    """
    horizon = inputs.horizon
    n0, size_kind, size_values = _market_size_source(inputs)
    given_with, retention_with = _arm_source(inputs, validate, baseline=False)
    given_without, retention_without = _arm_source(inputs, validate, baseline=True)
    recursion = retention_with is not None or retention_without is not None
    if recursion:
        if n0 is None:
            raise RoqInputError("market_size", "is required (market size at year 0) for the market-share recursion")
        churn = inputs.require("churn", "for the market-share recursion")
        attraction_rate = inputs.require("attraction", "for the market-share recursion")
        share_with = share_without = inputs.require("initial_share", "for the market-share recursion")
        # competitors' side: R', or the switching flow s = 1 - R' - c it was calibrated from
        # (s keeps R' <= 1 - c automatically when churn varies)
        if inputs.only_one(("competitor_retention", "competitor_switching"), "for the competitors' side") == "competitor_switching":
            switching_in = inputs.values["competitor_switching"]
            if validate and np.any(switching_in > 1.0 - churn + 1e-12):
                raise RoqInputError("competitor_switching", "must not exceed 1 - churn (competitors' retention 1 - churn - s would be negative)")
        else:
            competitor = inputs.require("competitor_retention", "(or competitor_switching) for the market-share recursion")
            if validate and np.any(competitor > 1.0 - churn + 1e-12):
                raise RoqInputError("competitor_retention", "must not exceed 1 - churn (competitors cannot keep customers who left the market)")
            switching_in = 1.0 - competitor - churn  # share of competitors' customers who move to us
        if validate:
            for name, value in (("retention", retention_with), ("baseline_retention", retention_without)):
                if value is not None and np.any(value > 1.0 - churn + 1e-12):
                    raise RoqInputError(name, "must not exceed 1 - churn (the firm cannot keep customers who left the market)")
        slope_with = None if retention_with is None else retention_with - switching_in
        slope_without = None if retention_without is None else retention_without - switching_in
    margin = inputs.require("margin", "(profit per customer per year)")
    rate = inputs.require("discount_rate", "(cost of capital per year)")
    initial_cost = inputs.require("initial_cost", "(programme cost at year 0; use 0 if none)")
    annual_cost = inputs.require("annual_cost", "(programme cost per year; use 0 if none)")

    one_year = 1.0 / (1.0 + rate)
    discount = one_year
    annuity = 0.0
    present_with = present_without = 0.0  # sum_t M_t N_t (1 + i)^-t
    size_previous = n0
    constant_growth = size_kind == "growth"
    if constant_growth:
        growth_factor = 1.0 + size_values
        if recursion:
            if validate and np.any(growth_factor - 1.0 + churn < -1e-12):
                raise RoqInputError("market_growth", "the market shrinks faster than churn (G - 1 + c < 0), so new customers would be negative")
            inflow = switching_in + attraction_rate * (growth_factor - 1.0 + churn)
            inverse_growth = 1.0 / growth_factor
    closed = None
    if constant_growth and not keep_paths and horizon >= CLOSED_FORM_MIN_HORIZON:
        closed = _closed_form_sums(horizon, n0, growth_factor, one_year,
                                   None if not recursion else (inflow * inverse_growth),
                                   (given_with, None if retention_with is None else slope_with * inverse_growth, share_with if recursion else None),
                                   (given_without, None if retention_without is None else slope_without * inverse_growth, share_without if recursion else None))
    if closed is not None:
        present_with, present_without, share_with, share_without, annuity = closed
    paths = {"with": [], "without": [], "size": []} if keep_paths else None
    for year in range(0 if closed is not None else horizon):
        if size_kind == "path":
            size = _year(size_values, year)
        elif constant_growth:
            size = size_previous * growth_factor
        else:
            size = size_previous * (1.0 + _year(size_values, year))
        if recursion and not constant_growth:
            step_growth = size / size_previous
            if validate and np.any(step_growth - 1.0 + churn < -1e-12):
                raise RoqInputError("market_growth", f"year {year + 1}: the market shrinks faster than churn (G - 1 + c < 0), so new customers would be negative")
            inflow = switching_in + attraction_rate * (step_growth - 1.0 + churn)
            inverse_growth = 1.0 / step_growth
        share_with = _year(given_with, year) if given_with is not None else (slope_with * share_with + inflow) * inverse_growth
        share_without = _year(given_without, year) if given_without is not None else (slope_without * share_without + inflow) * inverse_growth
        weight = size * discount
        present_with = present_with + share_with * weight
        present_without = present_without + share_without * weight
        annuity = annuity + discount
        if keep_paths:
            paths["with"].append(share_with)
            paths["without"].append(share_without)
            paths["size"].append(size)
        discount = discount * one_year
        size_previous = size

    npv_with = margin * present_with
    npv_without = margin * present_without
    npv_cost = initial_cost + annual_cost * annuity
    if validate and np.any(npv_cost <= 0):
        raise RoqInputError("initial_cost", "and annual_cost are both zero: ROQ is undefined without programme spending")
    gain = npv_with - npv_without
    with np.errstate(divide="ignore", invalid="ignore"):
        roq = gain / npv_cost
    out = {
        "npv_with_programme": npv_with,
        "npv_without_programme": npv_without,
        "npv_programme_cost": npv_cost,
        "npv_gain": gain,
        "roq": roq,
        "final_market_share": share_with,
        "final_market_share_without_programme": share_without,
        "retention": np.nan if retention_with is None else retention_with,
        "baseline_retention": np.nan if retention_without is None else retention_without,
        "annuity_factor": annuity,
    }
    if keep_paths:
        shape = np.broadcast_shapes(*(np.shape(v) for v in paths["with"] + paths["without"] + paths["size"]))
        for key, name in (("with", "market_share_path"), ("without", "market_share_path_without_programme"), ("size", "market_size_path")):
            out[name] = np.stack([np.broadcast_to(v, shape) for v in paths[key]], axis=-1)
    return out


def _integer_power(base: np.ndarray, exponent: int) -> np.ndarray:
    """base**exponent for a whole exponent >= 1 by repeated squaring (log2 T products, not pow())."""
    result = None
    square = base
    while exponent:
        if exponent & 1:
            result = square if result is None else result * square
        exponent >>= 1
        if exponent:
            square = square * square
    return result


def _power_sum(ratio, horizon: int):
    """S(y) = y + y^2 + ... + y^T, element-wise, accurate near y = 1 (where it is ~T).

    y (y^T - 1) / (y - 1) in general; within 1% of y = 1, where that quotient cancels,
    y expm1(T log1p(y - 1)) / (y - 1), whose factors are each computed without
    cancellation (y = 1 exactly gives T).
    """
    y = np.asarray(ratio, dtype=float)
    step = y - 1.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = y * (_integer_power(y, horizon) - 1.0) / step
    near = np.abs(step) < 1e-2
    if np.any(near):
        close = y[near] if y.ndim else y
        close_step = step[near] if y.ndim else step
        with np.errstate(divide="ignore", invalid="ignore"):
            exact = np.where(close_step == 0.0, float(horizon), close * np.expm1(horizon * np.log1p(close_step)) / close_step)
        if y.ndim:
            result[near] = exact
        else:
            result = exact
    return result


#: Horizons from which the closed form replaces the year loop (below it the loop's few
#: passes are cheaper than the closed form's fixed cost; benchmarks/closed_form_npv.py).
CLOSED_FORM_MIN_HORIZON = 8
#: Within this distance of q = 1 the divided difference (S(x) - S(qx)) / (1 - q) cancels;
#: those scenarios sum their terms explicitly (each term computed without cancellation).
_NEAR_ONE = 1e-3


def _weighted_geometric(x: np.ndarray, q: np.ndarray, horizon: int) -> np.ndarray:
    """D(x, q) = sum_{t=1..T} x^t (1 - q^t) / (1 - q), element-wise (T x^... for q = 1)."""
    x, q = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(q, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = (_power_sum(x, horizon) - _power_sum(q * x, horizon)) / (1.0 - q)
    near = np.abs(1.0 - q) < _NEAR_ONE
    if np.any(near):
        years = np.arange(1, horizon + 1, dtype=float)
        xs, qs = (x[near], q[near]) if x.ndim else (x, q)
        step = (qs - 1.0)[..., None]
        with np.errstate(divide="ignore", invalid="ignore"):
            # (1 - q^t) / (1 - q) = expm1(t log1p(q - 1)) / (q - 1), exactly t at q = 1
            ratio = np.where(step == 0.0, years, np.expm1(years * np.log1p(step)) / step)
        exact = (np.asarray(xs)[..., None] ** years * ratio).sum(axis=-1)
        if x.ndim:
            result = np.array(result, copy=True)
            result[near] = exact
        else:
            result = exact
    return result


def _closed_form_sums(horizon, n0, growth_factor, one_year, inflow_ratio, arm_with, arm_without):
    """Present values sum_t M_t N_t (1 + i)^-t of both arms, M_T and the annuity, in O(1) per scenario.

    With constant growth G the market is N_t = N_0 G^t and the recursion
    M_t = q M_{t-1} + b (q = (R - s) / G, b = inflow / G) gives
    M_t = q^t M_0 + b (1 - q^t) / (1 - q), so with x = G / (1 + i)

        sum_t M_t N_t (1 + i)^-t = N_0 [M_0 S(q x) + b D(x, q)],

    S(y) = sum_{t=1..T} y^t (:func:`_power_sum`) and D(x, q) = (S(x) - S(q x)) / (1 - q)
    (:func:`_weighted_geometric`); a constant share M gives N_0 M S(x), and the annuity
    is S(1 / (1 + i)). Every scenario is computed on its own (no chunk-wide switch), so a
    seed gives the same numbers for any chunk size. Returns None (use the year loop) when
    an arm takes a per-year share path.
    """
    x = np.asarray(growth_factor, dtype=float) * one_year
    size_sum = _power_sum(x, horizon)
    results = []
    for given, ratio, start in (arm_with, arm_without):
        if given is not None:
            if np.shape(given)[-1] != 1:
                return None
            share = np.asarray(given)[..., 0]
            results.append((n0 * share * size_sum, share))
            continue
        q = np.asarray(ratio, dtype=float)
        present = n0 * (start * _power_sum(q * x, horizon) + inflow_ratio * _weighted_geometric(x, q, horizon))
        power = _integer_power(q, horizon)
        with np.errstate(divide="ignore", invalid="ignore"):
            geometric = (1.0 - power) / (1.0 - q)
        near = np.abs(1.0 - q) < _NEAR_ONE
        if np.any(near):
            step = q - 1.0
            with np.errstate(divide="ignore", invalid="ignore"):
                stable = np.where(step == 0.0, float(horizon), np.expm1(horizon * np.log1p(step)) / step)
            geometric = np.where(near, stable, geometric)
        results.append((present, power * start + inflow_ratio * geometric))
    (present_with, share_with), (present_without, share_without) = results
    return present_with, present_without, share_with, share_without, _power_sum(one_year, horizon)


def _discount_factors(rate, horizon: int) -> np.ndarray:
    """(1 + i)^-t for t = 1..T, shape rate.shape + (T,)."""
    return (1.0 + np.asarray(rate, dtype=float))[..., None] ** -np.arange(1, horizon + 1, dtype=float)


def evaluate(parameters: Mapping[str, object], outputs: Iterable[str] | None = None, *, validate: bool = True) -> dict[str, np.ndarray | float]:
    """Evaluate the Return-on-Quality model for one scenario or many at once.

    The with-programme arm uses ``market_share_path`` if given, else the market-share
    recursion (RZK 1995) from ``initial_share`` with ``retention`` (or the satisfaction mix
    ``satisfied_share``, ``delighted_share``, ``repurchase_*``). The no-programme arm uses
    ``baseline_market_share_path``, a constant ``baseline_market_share``, or the recursion
    with ``baseline_retention`` (or ``baseline_satisfied_share``/``baseline_delighted_share``
    with the same repurchase rates). Then

    - NPV  = sum_t Y M_t N_t (1 + i)^-t  (``npv_with_programme``),
    - NPV0 = sum_t Y M0_t N_t (1 + i)^-t  (``npv_without_programme``),
    - NPVAS = initial cost + sum_t annual cost (1 + i)^-t  (``npv_programme_cost``),
    - ROQ = (NPV - NPV0) / NPVAS (gross, ``roq``; feasible when > 1) and
      ROQ_net = ROQ - 1 (``roq_net``; feasible when > 0).

    Parameters
    ----------
    parameters : mapping of str to float or array_like
        Named inputs, see :data:`MODEL_INPUTS` for names, units and domains. Scalars and
        arrays broadcast together (the scenario shape); ``*_path`` inputs have a trailing
        year axis of length ``horizon``. ``satisfied_share_convention`` (a string, see
        :func:`simulator.roq.retention`) sets the meaning of the satisfied share.
    outputs : iterable of str, optional
        Names from :data:`MODEL_OUTPUTS`; default :data:`DEFAULT_OUTPUTS`.
    validate : bool, default True
        Check every input's domain and the model's consistency conditions
        (R <= 1 - c, R' <= 1 - c, G - 1 + c >= 0, costs not all zero). Only switch off for
        inputs already validated (e.g. samples of checked distributions).

    Returns
    -------
    dict of str to ndarray or float
        One entry per requested output, of the scenario shape (``*_path`` outputs with a
        trailing year axis); a float where every input was a scalar.

    Raises
    ------
    RoqInputError
        On an unknown or missing input, a value outside its domain, shapes that do not
        broadcast, or inconsistent parameters; the message names the input.

    Examples
    --------
    Singgih's case (share path as published, 3.02% without the programme):

    >>> from simulator.roq.casestudy import case_study_parameters
    >>> result = evaluate(case_study_parameters())
    >>> round(result["roq"], 2)
    3.72
    >>> round(result["npv_programme_cost"])
    2648437886
    """

    wanted = tuple(DEFAULT_OUTPUTS if outputs is None else outputs)
    unknown = [name for name in wanted if name not in MODEL_OUTPUTS]
    if unknown:
        shown = str(unknown[0]) if len(str(unknown[0])) <= 40 else str(unknown[0])[:37] + "..."
        raise RoqInputError("outputs", f"unknown output {shown!r}{closest(unknown[0], MODEL_OUTPUTS)}; e.g. roq, npv_gain, npv_net (all: ROQ_MODEL's help)")
    inputs = _Inputs(parameters, validate)
    computed = _run_model(inputs, validate, keep_paths=any("_path" in name for name in wanted))
    full_shape = np.broadcast_shapes(inputs.shape, np.shape(computed["npv_with_programme"]), np.shape(computed["npv_programme_cost"]))
    result: dict[str, np.ndarray | float] = {}
    for name in wanted:
        if name == "npv_net":
            value = computed["npv_gain"] - computed["npv_programme_cost"]
        elif name == "roq_net":
            value = computed["roq"] - 1.0
        else:
            value = computed[name]
        shape = full_shape + (inputs.horizon,) if "_path" in name else full_shape
        value = np.broadcast_to(value, shape)
        result[name] = float(value) if value.ndim == 0 else value
    return result


def market_share_path(initial_share, retention, competitor_retention, churn, attraction, market_sizes):
    """Market-share path M_1..M_T from the RZK (1995) recursion.

    ``M_t = [R M_{t-1} + (1 - R' - c)(1 - M_{t-1}) + A (G_t - 1 + c)] / G_t`` with
    ``G_t = N_t / N_{t-1}``. Customer flows behind it: retained ``R M N``, switching in
    ``(1 - R' - c)(1 - M) N``, new ``A (G - 1 + c) N``; with the competitors' flows they add
    up to the market ``G N``.

    Parameters
    ----------
    initial_share : float or array_like
        M_0, fraction.
    retention, competitor_retention, churn, attraction : float or array_like
        R, R', c, A as fractions per year (scenario arrays broadcast).
    market_sizes : array_like
        N_0..N_T (customers) along the last axis; T = length - 1.

    Returns
    -------
    ndarray
        Shares M_1..M_T, with a trailing year axis.

    Examples
    --------
    Singgih's one-step forecast (R = 0.3461, R' = 0.9031, c = 0.095, A = 0.0306, G = 1.14,
    M_t = 0.0707):

    >>> round(float(market_share_path(0.0707, 0.3461, 0.9031, 0.095, 0.0306, [1.0, 1.14])[0]), 4)
    0.0293
    """
    sizes = as_float_array(market_sizes, "market_sizes")
    if sizes.ndim == 0 or sizes.shape[-1] < 2:
        raise RoqInputError("market_sizes", "needs at least two values (N_0 and N_1) along the last axis")
    parameters = {
        "market_size": sizes[..., 0],
        "market_size_path": sizes[..., 1:],
        "initial_share": initial_share,
        "retention": retention,
        "competitor_retention": competitor_retention,
        "churn": churn,
        "attraction": attraction,
        # the money side is not asked for; neutral values keep evaluate's checks satisfied
        "baseline_market_share": 0.0,
        "margin": 0.0,
        "discount_rate": 0.0,
        "initial_cost": 1.0,
        "annual_cost": 0.0,
    }
    return evaluate(parameters, ("market_share_path",))["market_share_path"]


def npv_of_profit(margin, market_shares, market_sizes, discount_rate):
    """NPV of profits: sum_t Y M_t N_t (1 + i)^-t over years t = 1..T (RZK 1995).

    Parameters
    ----------
    margin : float or array_like
        Y, profit per customer per year (currency).
    market_shares, market_sizes : array_like
        M_1..M_T (fractions) and N_1..N_T (customers) along the last axis.
    discount_rate : float or array_like
        i per year, > -1.

    Returns
    -------
    float or ndarray
        NPV at year 0 (currency).

    Examples
    --------
    Singgih's case without the programme (constant 3.02% share, i = 20%, Y = Rp 250,000):

    >>> sizes = [286859, 309244, 334210, 356219, 381404]
    >>> round(npv_of_profit(250000, [0.0302] * 5, sizes, 0.20) / 1e9, 4)
    7.3407
    """
    y = as_float_array(margin, "margin")
    shares = as_float_array(market_shares, "market_shares")
    MODEL_INPUTS["market_share_path"].check(shares, "market_shares")
    sizes = as_float_array(market_sizes, "market_sizes")
    MODEL_INPUTS["market_size_path"].check(sizes, "market_sizes")
    rate = as_float_array(discount_rate, "discount_rate")
    MODEL_INPUTS["discount_rate"].check(rate)
    if shares.ndim == 0 or sizes.ndim == 0 or shares.shape[-1] != sizes.shape[-1]:
        raise RoqInputError("market_shares", f"needs one share per year of market_sizes ({np.shape(sizes)[-1] if sizes.ndim else 1} years)")
    value = y * np.sum(shares * sizes * _discount_factors(rate, sizes.shape[-1]), axis=-1)
    return float(value) if np.ndim(value) == 0 else value


def npv_of_programme(initial_cost, annual_cost, discount_rate, horizon):
    """NPV of programme spending (NPVAS): initial cost + sum_{t=1..T} annual cost (1 + i)^-t.

    Parameters
    ----------
    initial_cost : float or array_like
        Cost at year 0 (currency), >= 0.
    annual_cost : float or array_like
        Cost in each year 1..T (currency per year), >= 0.
    discount_rate : float or array_like
        i per year, > -1.
    horizon : int
        T, years.

    Returns
    -------
    float or ndarray
        NPVAS (currency).

    Examples
    --------
    Singgih's case: Rp 558 million now and Rp 699 million a year for 5 years at 20%:

    >>> round(npv_of_programme(558e6, 699e6, 0.20, 5))
    2648437886
    """
    initial = as_float_array(initial_cost, "initial_cost")
    MODEL_INPUTS["initial_cost"].check(initial)
    annual = as_float_array(annual_cost, "annual_cost")
    MODEL_INPUTS["annual_cost"].check(annual)
    rate = as_float_array(discount_rate, "discount_rate")
    MODEL_INPUTS["discount_rate"].check(rate)
    years = check_horizon(horizon)
    value = initial + annual * np.sum(_discount_factors(rate, years), axis=-1)
    return float(value) if np.ndim(value) == 0 else value


def return_on_quality(npv_with_programme, npv_without_programme, npv_programme_cost, *, convention="gross"):
    """Return on quality (RZK 1995) of a programme.

    - ``"gross"``: ROQ = (NPV - NPV0) / NPVAS; the programme pays when ROQ > 1 (Singgih's case).
    - ``"net"``: ROQ = (NPV - NPV0 - NPVAS) / NPVAS = gross - 1; pays when ROQ > 0.

    Parameters
    ----------
    npv_with_programme, npv_without_programme : float or array_like
        NPV and NPV0 of profits (currency).
    npv_programme_cost : float or array_like
        NPVAS (currency), > 0.
    convention : {"gross", "net"}

    Returns
    -------
    float or ndarray
        ROQ (ratio).

    Examples
    --------
    Singgih's case as published:

    >>> round(return_on_quality(17202364737, 7340682076, 2648437886), 2)
    3.72
    """
    npv = as_float_array(npv_with_programme, "npv_with_programme")
    npv0 = as_float_array(npv_without_programme, "npv_without_programme")
    cost = as_float_array(npv_programme_cost, "npv_programme_cost")
    if np.any(cost <= 0):
        raise RoqInputError("npv_programme_cost", "must be > 0 (ROQ divides by programme spending)")
    if convention not in ("gross", "net"):
        raise RoqInputError("convention", f"must be 'gross' or 'net', got {convention!r}")
    value = (npv - npv0) / cost - (1.0 if convention == "net" else 0.0)
    return float(value) if np.ndim(value) == 0 else value


def _incremental_cash_flows(parameters: Mapping[str, object]):
    """Year-0 cash flow and years 1..T cash flows of the programme (gain minus spending)."""
    result = evaluate(parameters, ("market_share_path", "market_share_path_without_programme", "market_size_path"))
    values = _Inputs(parameters, validate=False)
    margin = values.require("margin", "(profit per customer per year)")
    initial = values.require("initial_cost", "(programme cost at year 0)")
    annual = values.require("annual_cost", "(programme cost per year)")
    flows = np.asarray(margin)[..., None] * (result["market_share_path"] - result["market_share_path_without_programme"]) * result["market_size_path"]
    flows = flows - np.asarray(annual)[..., None]
    return np.asarray(-initial, dtype=float), flows


def breakeven_discount_rate(parameters: Mapping[str, object], *, low: float = -0.99, high: float = 100.0, tolerance: float = 1e-12):
    """Discount rate at which ROQ = 1 (NPV - NPV0 = NPVAS): the programme's internal rate of return.

    Solved by vectorised bisection on the incremental cash flows
    ``-initial cost, Y (M_t - M0_t) N_t - annual cost`` over ``[low, high]``. The
    ``discount_rate`` in ``parameters`` is ignored.

    Parameters
    ----------
    parameters : mapping
        Inputs of :func:`evaluate` (scalars or scenario arrays).
    low, high : float
        Search interval for the rate (fractions per year).
    tolerance : float
        Width of the final bracket.

    Returns
    -------
    float or ndarray
        Break-even rate per scenario; NaN where ROQ - 1 does not change sign on
        ``[low, high]`` (the programme pays at every rate, or at none).

    Examples
    --------
    >>> from simulator.roq.casestudy import case_study_parameters
    >>> rate = breakeven_discount_rate(case_study_parameters())
    >>> rate > 0.6
    True
    """
    params = dict(parameters)
    params["discount_rate"] = 0.0
    initial, flows = _incremental_cash_flows(params)
    horizon = flows.shape[-1]
    exponents = np.arange(1, horizon + 1, dtype=float)

    def net_value(rate):
        return initial + np.sum(flows * (1.0 + rate)[..., None] ** -exponents, axis=-1)

    shape = np.broadcast_shapes(initial.shape, flows.shape[:-1])
    rate = bisect_sign_change(net_value, np.full(shape, float(low)), np.full(shape, float(high)), tolerance=tolerance)
    return float(rate) if rate.ndim == 0 else rate


def breakeven_programme_cost(parameters: Mapping[str, object]) -> dict[str, np.ndarray | float]:
    """Programme spending at which ROQ = 1, three ways.

    - ``cost_multiplier``: factor on both initial and annual cost (equals the gross ROQ);
    - ``initial_cost``: break-even initial cost with the annual cost as given,
      NPV - NPV0 - sum_t annual (1 + i)^-t;
    - ``annual_cost``: break-even annual cost with the initial cost as given,
      (NPV - NPV0 - initial) / sum_t (1 + i)^-t.

    Parameters
    ----------
    parameters : mapping
        Inputs of :func:`evaluate`.

    Returns
    -------
    dict of str to float or ndarray
        The three break-even values (currency, or a ratio for the multiplier). A negative
        break-even cost means the programme cannot pay even if that cost were zero.

    Examples
    --------
    >>> from simulator.roq.casestudy import case_study_parameters
    >>> result = breakeven_programme_cost(case_study_parameters())
    >>> round(result["cost_multiplier"], 2)
    3.72
    """
    result = evaluate(parameters, ("npv_gain", "roq"))
    values = _Inputs(parameters, validate=False)
    rate = values.require("discount_rate", "(cost of capital per year)")
    annuity = np.sum(_discount_factors(rate, values.horizon), axis=-1)
    initial = values.require("initial_cost", "")
    annual = values.require("annual_cost", "")
    out = {
        "cost_multiplier": result["roq"],
        "initial_cost": result["npv_gain"] - annual * annuity,
        "annual_cost": (result["npv_gain"] - initial) / annuity,
    }
    return {k: (float(v) if np.ndim(v) == 0 else v) for k, v in out.items()}


def roq_against_discount_rate(parameters: Mapping[str, object], discount_rates) -> np.ndarray:
    """ROQ of one scenario (or scenario array) at each of several discount rates.

    The sensitivity curve of Singgih's case (ROQ against i from 0% to 60%).

    Parameters
    ----------
    parameters : mapping
        Inputs of :func:`evaluate`; its ``discount_rate`` is replaced.
    discount_rates : array_like
        1-D rates (fractions per year).

    Returns
    -------
    ndarray
        ROQ with shape (len(discount_rates),) + scenario shape.

    Examples
    --------
    >>> from simulator.roq.casestudy import case_study_parameters
    >>> curve = roq_against_discount_rate(case_study_parameters(), [0.0, 0.2, 0.4])
    >>> [round(float(v), 2) for v in curve]
    [4.21, 3.72, 3.27]
    """
    rates = as_float_array(discount_rates, "discount_rates", ndim=1)
    MODEL_INPUTS["discount_rate"].check(rates)
    probe = _Inputs(parameters, validate=False)
    params = dict(parameters)
    params["discount_rate"] = rates.reshape((-1,) + (1,) * len(probe.shape))
    return np.asarray(evaluate(params, ("roq",))["roq"])
