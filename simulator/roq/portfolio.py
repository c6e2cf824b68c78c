"""Which programmes: a quality-programme portfolio under a budget.

Rust, Zahorik & Keiningham's fourth claim is that not all quality spending is equally
valid. Each programme here has an initial cost (year 0), an annual cost (years 1..T),
the service-quality dimension it improves and an uncertain effect: the points of that
dimension's gap it closes. Programmes on the same dimension saturate instead of adding:
each closes its share of what is left of the gap, so with gap ``G_d`` and effects
``e_i`` (each at most ``G_d``)

    closed_d = G_d * (1 - prod_i (1 - e_i / G_d)).

The closed gaps become one satisfaction shift through the driver model,
``shift = sum_d B_d closed_d / sd(satisfaction)`` (:mod:`simulator.roq.programme_effect`),
then retention, market share and NPV through the ROQ model, on the same scenarios for
every set of programmes (common random numbers, so sets are compared fairly).

Objectives: ``"expected_npv_net"`` (mean of NPV - NPV0 - NPVAS), ``"probability_roq_above_1"``
(P(ROQ > 1)) or ``"percentile:5"`` (a chosen percentile of the net NPV gain, e.g. the
P5 for a cautious planner). The budget bounds the programmes' cost in present value
at the base discount rate (``initial + sum_t annual / (1 + i)^t``).

Search: every subset is enumerated when there are at most ``ENUMERATION_LIMIT``
programmes; beyond that a greedy start is improved by add / drop / swap moves until no
move helps (a local optimum; the tests check it against enumeration).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..errors import RoqInputError
from .model import evaluate, npv_of_programme
from .programme_effect import programme_parameters

__all__ = [
    "Programme",
    "PortfolioProblem",
    "PortfolioChoice",
    "OBJECTIVES",
    "singgih_programmes",
    "SINGGIH_EXAMPLE_DRIVERS",
    "optimise_portfolio",
    "efficient_frontier",
    "programmes_from_rows",
    "rank_programmes",
    "PROGRAMME_COLUMNS",
]

#: Up to this many programmes every subset is evaluated (2^12 = 4,096 subsets).
ENUMERATION_LIMIT = 12
#: Most programmes a portfolio may hold.
MAXIMUM_PROGRAMMES = 200
OBJECTIVES = ("expected_npv_net", "probability_roq_above_1", "percentile:P")


@dataclass(frozen=True)
class Programme:
    """One quality programme: costs, the dimension it improves, its effect in gap points.

    ``effect`` is an array of draws (one per scenario) or a single number.
    """

    name: str
    initial_cost: float
    annual_cost: float
    dimension: str
    effect: object


def singgih_programmes(scenarios: int = 1, seed: int = 0) -> list:
    """Singgih's seven improvement programmes (costs from the case study's Table 10).

    The paper prices the seven programmes (initial and annual costs in Rp) but publishes
    no effect for any of them. The dimension each improves and its effect - a triangular
    distribution of the gap points it closes on a 5-point scale - are **assumptions made
    for this example**, stated here so that they can be replaced by a user's own:

    ==============================================  ===============  ==================
    programme                                       dimension        gap points closed
    ==============================================  ===============  ==================
    Training and education of production agents     assurance        0.10 / 0.25 / 0.40
    Recruitment / re-engineering of agent staff      responsiveness   0.05 / 0.15 / 0.30
    Recruitment / re-engineering of supervisors      reliability      0.05 / 0.15 / 0.25
    Field coaching of agents                         empathy          0.05 / 0.20 / 0.35
    Field coaching of supervisors                    reliability      0.05 / 0.10 / 0.20
    Customer database                                responsiveness   0.05 / 0.15 / 0.25
    Agent database                                   reliability      0.02 / 0.08 / 0.15
    ==============================================  ===============  ==================

    (min / mode / max). Note that the seven initial costs add up to Rp 783 million while
    the paper's totals use Rp 558 million (see the case study's misprints).

    Parameters
    ----------
    scenarios : int
        Number of effect draws per programme (1: the modes).
    seed : int
        Seed of the draws.
    """
    from ..casestudies import load_roq_case_programs

    table = load_roq_case_programs()
    assumed = [
        ("assurance", 0.10, 0.25, 0.40),
        ("responsiveness", 0.05, 0.15, 0.30),
        ("reliability", 0.05, 0.15, 0.25),
        ("empathy", 0.05, 0.20, 0.35),
        ("reliability", 0.05, 0.10, 0.20),
        ("responsiveness", 0.05, 0.15, 0.25),
        ("reliability", 0.02, 0.08, 0.15),
    ]
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    programmes = []
    for row, (dimension, low, mode, high) in zip(table.itertuples(index=False), assumed):
        effect = mode if scenarios == 1 else rng.triangular(low, mode, high, size=int(scenarios))
        programmes.append(Programme(row.program, float(row.initial_cost_idr), float(row.annual_cost_idr), dimension, effect))
    return programmes


#: Assumed gaps (points on a 5-point scale) and driver coefficients of the example; the
#: reliability gap is the size Pole, Isharyani & Widada measured in an insurer's claims
#: service (-0.74), the others are illustrative.
SINGGIH_EXAMPLE_DRIVERS = {
    "gaps": {"reliability": 0.74, "responsiveness": 0.45, "assurance": 0.40, "empathy": 0.35},
    "driver_coefficients": {"reliability": 0.45, "responsiveness": 0.30, "assurance": 0.35, "empathy": 0.20},
    "satisfaction_sd": 0.6,
}


#: Columns of a programmes table (CSV or worksheet range); the last two are optional
#: (default: the example's gaps and driver coefficients for the dimension).
PROGRAMME_COLUMNS = ("programme", "initial_cost", "annual_cost", "dimension", "effect_min", "effect_mode", "effect_max",
                     "dimension_gap", "driver_coefficient")


def programmes_from_rows(rows, *, scenarios: int = 1, seed: int = 0, source: str = "programmes") -> tuple:
    """Programmes, gaps and driver coefficients from a table with a header row.

    Columns (:data:`PROGRAMME_COLUMNS`): ``programme``, ``initial_cost``, ``annual_cost``
    (currency), ``dimension``, ``effect_min`` / ``effect_mode`` / ``effect_max`` (gap
    points closed, triangular; equal values for a fixed effect) and optionally
    ``dimension_gap`` and ``driver_coefficient`` (per dimension; rows of one dimension
    must agree). Missing gaps and coefficients come from :data:`SINGGIH_EXAMPLE_DRIVERS`.

    Returns
    -------
    (list of Programme, dict of gaps, dict of driver coefficients)
    """
    rows = [list(r) for r in rows if r is not None and any(c not in (None, "") for c in r)]
    if len(rows) < 2:
        raise RoqInputError(source, "needs a header row and at least one programme")
    header = [str(c).strip().lower() if c is not None else "" for c in rows[0]]
    missing = [c for c in PROGRAMME_COLUMNS[:7] if c not in header]
    if missing:
        raise RoqInputError(source, f"has no column {missing[0]!r}; columns are {', '.join(PROGRAMME_COLUMNS)} (the last two optional)")
    index = {name: header.index(name) for name in PROGRAMME_COLUMNS if name in header}
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 15]))
    gaps = dict(SINGGIH_EXAMPLE_DRIVERS["gaps"])
    drivers = dict(SINGGIH_EXAMPLE_DRIVERS["driver_coefficients"])
    given_gaps, given_drivers, programmes = {}, {}, []
    for number, row in enumerate(rows[1:], start=2):
        row = row + [None] * (len(header) - len(row))

        def value(column, *, optional=False):
            cell = row[index[column]] if column in index else None
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                if optional:
                    return None
                raise RoqInputError(source, f"row {number}, column {column}: is blank")
            try:
                number_value = float(cell)
            except (TypeError, ValueError):
                raise RoqInputError(source, f"row {number}, column {column}: {cell!r} is not a number") from None
            if not np.isfinite(number_value):
                raise RoqInputError(source, f"row {number}, column {column}: must be a finite number")
            return number_value

        name = str(row[index["programme"]] or "").strip()
        dimension = str(row[index["dimension"]] or "").strip().lower()
        if not name or not dimension:
            raise RoqInputError(source, f"row {number}: programme and dimension must not be blank")
        low, mode, high = value("effect_min"), value("effect_mode"), value("effect_max")
        if not 0 <= low <= mode <= high:
            raise RoqInputError(source, f"row {number}: effects must satisfy 0 <= effect_min <= effect_mode <= effect_max (gap points)")
        effect = mode if scenarios == 1 or high == low else rng.triangular(low, mode, high, size=int(scenarios))
        for column, given in (("dimension_gap", given_gaps), ("driver_coefficient", given_drivers)):
            cell = value(column, optional=True)
            if cell is not None:
                if dimension in given and given[dimension] != cell:
                    raise RoqInputError(source, f"row {number}, column {column}: {cell:g} differs from {given[dimension]:g} given for {dimension} earlier")
                given[dimension] = cell
        programmes.append(Programme(name, value("initial_cost"), value("annual_cost"), dimension, effect))
    gaps.update(given_gaps)
    drivers.update(given_drivers)
    return programmes, gaps, drivers


@dataclass
class PortfolioChoice:
    """The chosen set of programmes and what it achieves."""

    selected: tuple
    objective: str
    value: float
    cost: float
    budget: float
    method: str
    evaluations: int
    statistics: dict = field(default_factory=dict)

    def summary(self) -> str:
        chosen = ", ".join(self.selected) if self.selected else "(none: no set within the budget beats doing nothing)"
        lines = [
            f"Portfolio under a budget of {self.budget:,.0f} (present value of programme cost)",
            f"chosen: {chosen}",
            f"cost {self.cost:,.0f}; {self.objective} = {self.value:,.4g}  [{self.method}, {self.evaluations} sets evaluated]",
        ]
        for name, value in self.statistics.items():
            lines.append(f"  {name}: {value:,.4g}")
        return "\n".join(lines)


class PortfolioProblem:
    """Programmes, gaps, driver model and scenarios: evaluates any set on the same scenarios.

    Parameters
    ----------
    programmes : sequence of Programme
    parameters : dict
        ROQ model inputs (scalars or per-scenario arrays; ``initial_cost`` and
        ``annual_cost`` are set from the programmes chosen).
    mix : dict
        Survey shares and repurchase rates (scalars or per-scenario arrays).
    gaps : dict
        Gap (points, > 0) of each dimension a programme improves.
    driver_coefficients : dict
        B of each dimension (scalars or per-scenario arrays).
    satisfaction_sd : float or array
    """

    def __init__(self, programmes: Sequence[Programme], parameters: dict, mix: dict, *, gaps: dict,
                 driver_coefficients: dict, satisfaction_sd):
        programmes = list(programmes)
        if not programmes:
            raise RoqInputError("programmes", "none given")
        if len(programmes) > MAXIMUM_PROGRAMMES:
            raise RoqInputError("programmes", f"at most {MAXIMUM_PROGRAMMES} programmes, got {len(programmes)}")
        names = [p.name for p in programmes]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise RoqInputError("programmes", f"{duplicate!r} is listed twice")
        for p in programmes:
            for label, value in (("initial_cost", p.initial_cost), ("annual_cost", p.annual_cost)):
                if not (np.isfinite(value) and value >= 0):
                    raise RoqInputError(f"{p.name}.{label}", f"must be a cost >= 0, got {value:g}")
            if p.dimension not in gaps:
                raise RoqInputError(f"{p.name}.dimension", f"{p.dimension!r} has no gap given; gaps are given for {', '.join(gaps)}")
            if p.dimension not in driver_coefficients:
                raise RoqInputError(f"{p.name}.dimension", f"{p.dimension!r} has no driver coefficient")
            effect = np.asarray(p.effect, dtype=float)
            if not np.isfinite(effect).all() or (effect < 0).any():
                raise RoqInputError(f"{p.name}.effect", "must be gap points closed, >= 0")
        for dimension, gap in gaps.items():
            if not (np.isfinite(gap) and gap > 0):
                raise RoqInputError(f"gaps.{dimension}", f"must be a positive number of gap points, got {gap:g}")
        self.programmes = programmes
        self.parameters = {k: v for k, v in parameters.items() if k != "satisfied_share_convention"}
        self.mix = mix
        self.gaps = dict(gaps)
        self.driver_coefficients = dict(driver_coefficients)
        self.satisfaction_sd = satisfaction_sd
        sizes = {np.size(v) for v in [*self.parameters.values(), *mix.values(), *(p.effect for p in programmes), *driver_coefficients.values(), satisfaction_sd] if np.ndim(v) > 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise RoqInputError("scenarios", f"arrays of different lengths: {sorted(sizes)}")
        self.scenarios = sizes.pop() if sizes else 1
        self.base_rate = float(np.median(np.asarray(self.parameters.get("discount_rate", 0.0), dtype=float)))
        horizon = int(self.parameters["horizon"])
        self.present_costs = np.array([float(npv_of_programme(p.initial_cost, p.annual_cost, self.base_rate, horizon)) for p in programmes])
        dims = sorted({p.dimension for p in programmes})
        self._dimension_index = {d: i for i, d in enumerate(dims)}
        # fractions of each dimension's gap each programme closes, capped at the whole gap
        self._fractions = np.stack([np.minimum(np.broadcast_to(np.asarray(p.effect, dtype=float), (self.scenarios,)) / self.gaps[p.dimension], 1.0) for p in programmes], axis=1)
        self._cache: dict = {}

    @property
    def names(self) -> list:
        return [p.name for p in self.programmes]

    def cost(self, mask) -> float:
        """Present value of the programmes in ``mask`` at the base discount rate."""
        return float(self.present_costs[np.asarray(mask, dtype=bool)].sum())

    def outcome(self, mask) -> dict:
        """Per-scenario ``npv_net``, ``roq`` and ``npv_gain`` of the set ``mask`` (booleans)."""
        mask = np.asarray(mask, dtype=bool)
        key = mask.tobytes()
        if key in self._cache:
            return self._cache[key]
        shift = np.zeros(self.scenarios)
        for dimension, d in self._dimension_index.items():
            members = [i for i, p in enumerate(self.programmes) if mask[i] and p.dimension == dimension]
            if not members:
                continue
            remaining = np.prod(1.0 - self._fractions[:, members], axis=1)
            closed = self.gaps[dimension] * (1.0 - remaining)
            shift = shift + np.asarray(self.driver_coefficients[dimension], dtype=float) * closed
        shift = shift / np.asarray(self.satisfaction_sd, dtype=float)
        inputs = programme_parameters(self.parameters, self.mix, shift)
        inputs["initial_cost"] = float(sum(p.initial_cost for p, m in zip(self.programmes, mask) if m))
        inputs["annual_cost"] = float(sum(p.annual_cost for p, m in zip(self.programmes, mask) if m))
        if not mask.any():
            zero = np.zeros(self.scenarios)
            result = {"npv_net": zero, "npv_gain": zero, "roq": np.full(self.scenarios, np.nan)}
        else:
            raw = evaluate(inputs, ("npv_net", "npv_gain", "roq"), validate=False)
            result = {k: np.broadcast_to(np.asarray(v, dtype=float), (self.scenarios,)) for k, v in raw.items()}
        self._cache[key] = result
        return result

    def score(self, mask, objective: str) -> float:
        """The objective's value for the set ``mask`` (higher is better)."""
        outcome = self.outcome(mask)
        if objective == "expected_npv_net":
            return float(outcome["npv_net"].mean())
        if objective == "probability_roq_above_1":
            return float(np.mean(outcome["roq"] > 1)) if np.asarray(mask).any() else 0.0
        return float(np.quantile(outcome["npv_net"], _percentile(objective) / 100.0))


def _percentile(objective: str) -> float:
    if not objective.startswith("percentile:"):
        raise RoqInputError("objective", f"must be one of expected_npv_net, probability_roq_above_1, percentile:P (e.g. percentile:5), got {objective!r}")
    try:
        value = float(objective.split(":", 1)[1])
    except ValueError:
        raise RoqInputError("objective", f"percentile:P needs a number P from 1 to 99, got {objective!r}") from None
    if not 1 <= value <= 99:
        raise RoqInputError("objective", f"percentile:P needs P from 1 to 99, got {value:g}")
    return value


def _check_objective(objective: str) -> str:
    if objective not in ("expected_npv_net", "probability_roq_above_1"):
        _percentile(objective)
    return objective


def _check_budget(problem: PortfolioProblem, budget) -> float:
    budget = float(budget)
    if not np.isfinite(budget) or budget < 0:
        raise RoqInputError("budget", f"must be an amount >= 0 (present value of programme cost), got {budget:g}")
    cheapest = float(problem.present_costs.min())
    if budget < cheapest:
        cheapest_name = problem.names[int(problem.present_costs.argmin())]
        raise RoqInputError("budget", f"{budget:,.0f} is below the cheapest programme ({cheapest_name}: {cheapest:,.0f} in present value); no programme fits")
    return budget


def optimise_portfolio(problem: PortfolioProblem, budget: float, *, objective: str = "expected_npv_net", method: str = "auto") -> PortfolioChoice:
    """The set of programmes within ``budget`` that maximises ``objective``.

    The empty set (run nothing: net gain 0) is always a candidate, so a chosen set
    always does at least as well as doing nothing.

    Parameters
    ----------
    problem : PortfolioProblem
    budget : float
        Largest present value of programme cost (currency).
    objective : str
        ``"expected_npv_net"``, ``"probability_roq_above_1"`` or ``"percentile:P"``.
    method : {"auto", "enumerate", "local_search"}
        ``auto`` enumerates up to ``ENUMERATION_LIMIT`` programmes, else searches locally.
    """
    objective = _check_objective(objective)
    budget = _check_budget(problem, budget)
    count = len(problem.programmes)
    if method == "auto":
        method = "enumerate" if count <= ENUMERATION_LIMIT else "local_search"
    if method == "enumerate":
        if count > 20:
            raise RoqInputError("method", f"enumerating {count} programmes means 2^{count} sets; use local_search")
        best_mask, best_value, evaluations = np.zeros(count, bool), _empty_value(problem, objective), 0
        for bits in itertools.product((False, True), repeat=count):
            mask = np.array(bits)
            if not mask.any() or problem.cost(mask) > budget * (1 + 1e-12):
                continue
            value = problem.score(mask, objective)
            evaluations += 1
            if value > best_value + 1e-12 * max(1.0, abs(best_value)):
                best_mask, best_value = mask, value
    elif method == "local_search":
        best_mask, best_value, evaluations = _local_search(problem, budget, objective)
    else:
        raise RoqInputError("method", f"must be auto, enumerate or local_search, got {method!r}")
    outcome = problem.outcome(best_mask)
    statistics = {
        "expected net NPV gain": float(outcome["npv_net"].mean()),
        "P5 net NPV gain": float(np.quantile(outcome["npv_net"], 0.05)),
        "P(ROQ > 1)": float(np.mean(outcome["roq"] > 1)) if best_mask.any() else 0.0,
    }
    selected = tuple(n for n, m in zip(problem.names, best_mask) if m)
    return PortfolioChoice(selected, objective, best_value, problem.cost(best_mask), budget, method, evaluations, statistics)


def _empty_value(problem: PortfolioProblem, objective: str) -> float:
    return problem.score(np.zeros(len(problem.programmes), bool), objective)


def _local_search(problem: PortfolioProblem, budget: float, objective: str):
    """Greedy paths (by score, and by score gained per unit of cost) improved by moves."""
    count = len(problem.programmes)
    evaluations = 0
    empty = _empty_value(problem, objective)

    def value(mask):
        nonlocal evaluations
        if not mask.any():
            return empty
        evaluations += 1
        return problem.score(mask, objective)

    def affordable(mask):
        return problem.cost(mask) <= budget * (1 + 1e-12)

    def better(a, b):
        return a > b + 1e-12 * max(1.0, abs(b))

    def greedy(per_cost: bool):
        # keep adding the affordable programme that scores best (even when the score dips,
        # as a percentile may until a second programme is in); return the best set seen
        mask = np.zeros(count, bool)
        best_mask, best, score = mask.copy(), empty, empty
        while True:
            scored = []
            for i in np.flatnonzero(~mask):
                trial = mask.copy()
                trial[i] = True
                if affordable(trial):
                    v = value(trial)
                    key = (v - score) / max(problem.present_costs[i], 1.0) if per_cost else v
                    scored.append((key, v, i))
            if not scored:
                return best_mask, best
            _, score, index = max(scored)
            mask[index] = True
            if better(score, best):
                best_mask, best = mask.copy(), score

    def improve(mask, current):
        # single add, drop and swap moves until none helps
        while True:
            moves = [(i,) for i in range(count)] + [(i, j) for i in np.flatnonzero(mask) for j in np.flatnonzero(~mask)]
            for move in moves:
                trial = mask.copy()
                trial[list(move)] = ~trial[list(move)]
                if affordable(trial):
                    candidate = value(trial)
                    if better(candidate, current):
                        mask, current = trial, candidate
                        break
            else:
                return mask, current

    results = [improve(*greedy(per_cost)) for per_cost in (False, True)]
    mask, current = max(results, key=lambda pair: pair[1])
    return mask, current, evaluations


def rank_programmes(problem: PortfolioProblem):
    """Each programme alone: present cost, mean ROQ, P(ROQ > 1), expected net NPV gain; by mean ROQ (a DataFrame)."""
    import pandas as pd

    rows = []
    for index, programme in enumerate(problem.programmes):
        mask = np.zeros(len(problem.programmes), bool)
        mask[index] = True
        outcome = problem.outcome(mask)
        rows.append({"programme": programme.name, "dimension": programme.dimension, "present_cost": float(problem.present_costs[index]),
                     "mean_roq": float(np.nanmean(outcome["roq"])), "probability_roq_above_1": float(np.mean(outcome["roq"] > 1)),
                     "expected_npv_net": float(outcome["npv_net"].mean())})
    return pd.DataFrame(rows).sort_values("mean_roq", ascending=False, ignore_index=True)


def efficient_frontier(problem: PortfolioProblem, budgets: Sequence[float], *, objective: str = "expected_npv_net", method: str = "auto"):
    """Best objective and chosen set for each budget: the efficient frontier (a DataFrame)."""
    import pandas as pd

    rows = []
    for budget in budgets:
        choice = optimise_portfolio(problem, budget, objective=objective, method=method)
        rows.append({"budget": float(budget), "objective": choice.value, "cost": choice.cost,
                     "programmes": len(choice.selected), "selected": "; ".join(choice.selected), **choice.statistics})
    return pd.DataFrame(rows)
