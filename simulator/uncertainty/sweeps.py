"""Deterministic sweeps of a scenario: tornado, spider, two-way grids, discount curve, break-evens.

Every sweep holds all inputs at their base values except the ones it varies, evaluates the
vectorised model once on the whole grid, and returns a tidy :class:`pandas.DataFrame`:

- :func:`one_way` - each input at a low and a high value (default: the P10 and P90 of its
  distribution) and the swing of the output: tornado-chart data, ranked by swing;
- :func:`spider` - each input along a grid of % changes from its base: spider-chart data;
- :func:`two_way` - two inputs over a grid (e.g. discount rate x annual programme cost -> ROQ);
- :func:`discount_curve` - ROQ (and NPVs) against the discount rate, 0%..60% like Singgih's
  sensitivity chart;
- :func:`break_even` - per input, the value at which ROQ = 1 (the programme just pays),
  found by vectorised bisection; NaN where ROQ - 1 does not change sign in the searched range.

Grid points that break the model's domain or consistency conditions (a share above 1,
retention above 1 - churn, ...) are reported with ``valid = False`` and a NaN output
rather than stopping the sweep.

Engines
    Sweeps are small (a tornado is 2k + 1 model rows, a default two-way grid 121), so
    :func:`one_way`, :func:`spider` and :func:`two_way` evaluate grids of up to
    :data:`SWEEP_CHUNK_ROWS` (65,536) points here, whatever ``engine``; only larger grids
    (e.g. a 1000 x 1000 two-way grid) are cut into chunks of that many points and
    evaluated on ``engine`` (``"local"`` threads, ``"dask"`` or an engine object from
    :mod:`simulator.engines`), the same chunks on every engine, so the table is identical.
    :func:`discount_curve` and :func:`break_even` always run here: the curve is a few
    dozen points, and the bisection's 200 rounds of k points each would spend their time
    in round trips.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from .._solve import bisect_sign_change
from .._validate import bounded_count
from ..engines import resolve_engine
from ..errors import RoqInputError
from ..roq import MODEL_OUTPUTS, evaluate
from .distributions import closest
from .scenario import SCENARIO_INPUTS, Scenario

__all__ = ["one_way", "spider", "two_way", "discount_curve", "break_even", "valid_mask", "DEFAULT_DISCOUNT_RATES"]

#: Grid points per model call; larger grids are split into chunks of this size for the engine.
SWEEP_CHUNK_ROWS = 1 << 16
#: 0%, 5%, ..., 60%: the range of Singgih's sensitivity chart.
DEFAULT_DISCOUNT_RATES = tuple(round(0.05 * k, 2) for k in range(13))


def _check_output(output: str) -> str:
    if output not in MODEL_OUTPUTS or "_path" in output:
        scalar = [n for n in MODEL_OUTPUTS if "_path" not in n]
        raise RoqInputError("output", f"must be one of {', '.join(scalar)}, got {output!r}{closest(str(output), scalar)}")
    return output


def _check_inputs(scenario: Scenario, inputs, *, default=None) -> list:
    names = list(scenario.uncertain) if inputs is None else list(inputs)
    if inputs is None and default is not None and not names:
        names = list(default)
    for name in names:
        if name not in SCENARIO_INPUTS or SCENARIO_INPUTS[name].per_year or name == "horizon":
            raise RoqInputError("inputs", f"{name!r} is not a single-number scenario input{closest(str(name), SCENARIO_INPUTS)}")
        if name not in scenario.base:
            raise RoqInputError("inputs", f"{name!r} has no base value in this scenario")
    if not names:
        raise RoqInputError("inputs", "nothing to vary: the scenario has no uncertain inputs; name inputs explicitly")
    return names


def valid_mask(params: Mapping[str, object], size: int) -> np.ndarray:
    """True where a row of scenario-array parameters satisfies the model's domains and
    consistency conditions (retention, baseline and competitors' retention <= 1 - churn,
    growth + churn >= 0, satisfied + delighted <= 1)."""
    ok = np.ones(size, dtype=bool)
    for name, value in params.items():
        spec = SCENARIO_INPUTS.get(name)
        if spec is None or spec.per_year or name == "horizon":
            continue
        array = np.broadcast_to(np.asarray(value, dtype=float), (size,))
        if spec.low is not None:
            ok &= array > spec.low if spec.low_open else array >= spec.low
        if spec.high is not None:
            ok &= array < spec.high if spec.high_open else array <= spec.high
    if "churn" in params:
        limit = 1.0 - np.broadcast_to(np.asarray(params["churn"], dtype=float), (size,)) + 1e-12
        for name in ("retention", "baseline_retention", "competitor_retention"):
            if name in params:
                ok &= np.broadcast_to(np.asarray(params[name], dtype=float), (size,)) <= limit
        if "market_growth" in params:
            ok &= np.asarray(params["market_growth"], dtype=float) + np.asarray(params["churn"], dtype=float) >= -1e-12
    for prefix in ("", "baseline_"):
        if prefix + "satisfied_share" in params and prefix + "delighted_share" in params:
            ok &= np.asarray(params[prefix + "satisfied_share"], dtype=float) + np.asarray(params[prefix + "delighted_share"], dtype=float) <= 1 + 1e-12
    try:
        retention = evaluate(params, ("retention", "baseline_retention"), validate=False)
        if "churn" in params:
            churn = np.asarray(params["churn"], dtype=float)
            for name in ("retention", "baseline_retention"):
                value = np.asarray(retention[name], dtype=float)
                if not np.all(np.isnan(value)):
                    ok &= np.broadcast_to(value <= 1.0 - churn + 1e-12, (size,))
    except RoqInputError:
        pass
    return ok


def _evaluate_chunk(scenario: Scenario, values: Mapping[str, np.ndarray], outputs: Sequence[str], size: int):
    params = scenario.parameters(values)
    result = evaluate(params, tuple(outputs), validate=False)
    ok = valid_mask(params, size)
    return {name: np.where(ok, np.broadcast_to(np.asarray(result[name], dtype=float), (size,)), np.nan) for name in outputs}, ok


def _sweep_task(context, item):
    """Task: outputs and validity of one chunk ``(size, values)`` of a grid."""
    scenario, outputs = context
    size, values = item
    return _evaluate_chunk(scenario, values, outputs, size)


def _evaluate_rows(scenario: Scenario, values: Mapping[str, np.ndarray], outputs: Sequence[str], size: int, engine=None):
    """Outputs (NaN where invalid) and validity of every grid row.

    A grid of at most :data:`SWEEP_CHUNK_ROWS` rows is evaluated here in one call,
    whatever ``engine`` (shipping it would cost more than computing it); a larger one in
    chunks of that many rows on ``engine``, the same chunks on every engine.
    """
    if size <= SWEEP_CHUNK_ROWS:
        return _evaluate_chunk(scenario, values, outputs, size)
    engine, owned = resolve_engine(engine)
    items = [(min(size, start + SWEEP_CHUNK_ROWS) - start, {name: column[start:start + SWEEP_CHUNK_ROWS] for name, column in values.items()})
             for start in range(0, size, SWEEP_CHUNK_ROWS)]
    try:
        pieces = list(engine.map_ordered(_sweep_task, items, context=(scenario, tuple(outputs)), batch=1, label="sweep"))
    finally:
        if owned:
            engine.close()
    result = {name: np.concatenate([piece[0][name] for piece in pieces]) for name in outputs}
    return result, np.concatenate([piece[1] for piece in pieces])


def _plausible(scenario: Scenario, name: str, quantiles) -> tuple[float, float]:
    distribution = scenario.uncertain[name]
    low, high = distribution.ppf(np.asarray(quantiles, dtype=float))
    return float(low), float(high)


def one_way(scenario: Scenario, output: str = "roq", *, inputs: Sequence[str] | None = None, quantiles: tuple[float, float] = (0.10, 0.90),
            ranges: Mapping[str, tuple[float, float]] | None = None, engine=None):
    """Tornado data: each input at low and high with the others at base.

    Parameters
    ----------
    scenario : Scenario
    output : str
        Model output (default ``"roq"``).
    inputs : sequence of str, optional
        Inputs to vary (default: the uncertain ones).
    quantiles : (float, float)
        Low and high as quantiles of each uncertain input's distribution (default P10, P90).
    ranges : mapping of str to (low, high), optional
        Explicit low/high values (required for inputs without a distribution).
    engine : optional
        Accepted for a uniform API (see the module docstring); a tornado is always
        small enough to be evaluated here.

    Returns
    -------
    DataFrame
        input, low, base, high, <output>_low, <output>_base, <output>_high, swing
        (|high - low| of the output), rank (1 = largest swing); sorted by rank.

    Examples
    --------
    >>> from simulator.uncertainty import builtin_scenario
    >>> table = one_way(builtin_scenario())
    >>> table["input"].tolist()[0]
    'margin'
    """
    output = _check_output(output)
    names = _check_inputs(scenario, inputs)
    ranges = dict(ranges or {})
    lows, highs = [], []
    for name in names:
        if name in ranges:
            low, high = (float(v) for v in ranges[name])
        elif name in scenario.uncertain:
            low, high = _plausible(scenario, name, quantiles)
        else:
            raise RoqInputError("ranges", f"give a (low, high) range for {name!r}: it has no distribution")
        lows.append(low)
        highs.append(high)
    k = len(names)
    rows = 2 * k + 1  # low/high per input, then the base case
    values = {}
    for j, name in enumerate(names):
        column = np.full(rows, float(scenario.base[name]))
        column[2 * j], column[2 * j + 1] = lows[j], highs[j]
        values[name] = column
    result, _ = _evaluate_rows(scenario, values, (output,), rows, engine)
    y = result[output]
    import pandas as pd

    table = pd.DataFrame({
        "input": names,
        "low": lows,
        "base": [float(scenario.base[n]) for n in names],
        "high": highs,
        f"{output}_low": y[0:2 * k:2],
        f"{output}_base": np.full(k, y[-1]),
        f"{output}_high": y[1:2 * k:2],
    })
    table["swing"] = (table[f"{output}_high"] - table[f"{output}_low"]).abs()
    table = table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    table["rank"] = np.arange(1, k + 1)
    return table


def spider(scenario: Scenario, output: str = "roq", *, inputs: Sequence[str] | None = None, changes: Sequence[float] | None = None, engine=None):
    """Spider data: each input at base x (1 + change) for a grid of % changes, others at base.

    Parameters
    ----------
    changes : sequence of float, optional
        Relative changes (default -30%..+30% in 5% steps).
    engine : optional
        Evaluates grids of more than 65,536 points in chunks (see the module docstring).

    Returns
    -------
    DataFrame
        input, change, value, <output>, valid (False where the value breaks the model's
        domain or consistency conditions; the output is then NaN).
    """
    output = _check_output(output)
    names = _check_inputs(scenario, inputs)
    changes = np.round(np.arange(-0.30, 0.3001, 0.05), 4) + 0.0 if changes is None else np.asarray(changes, dtype=float).reshape(-1)
    m = changes.size
    rows = len(names) * m
    values = {}
    for j, name in enumerate(names):
        column = np.full(rows, float(scenario.base[name]))
        column[j * m:(j + 1) * m] = float(scenario.base[name]) * (1.0 + changes)
        values[name] = column
    result, ok = _evaluate_rows(scenario, values, (output,), rows, engine)
    import pandas as pd

    return pd.DataFrame({
        "input": np.repeat(names, m),
        "change": np.tile(changes, len(names)),
        "value": np.concatenate([values[name][j * m:(j + 1) * m] for j, name in enumerate(names)]),
        output: result[output],
        "valid": ok,
    })


#: Most points per axis of a two-way grid: 2,001 x 2,001 = 4 million model runs (a 45292 typo would be 2 billion).
MAX_GRID_POINTS = 2001


def _default_grid(scenario: Scenario, name: str, points: int) -> np.ndarray:
    if name in scenario.uncertain:
        low, high = scenario.uncertain[name].support
        if not (math.isfinite(low) and math.isfinite(high)):
            low, high = _plausible(scenario, name, (0.01, 0.99))
        return np.linspace(low, high, points)
    base = float(scenario.base[name])
    return np.linspace(0.5 * base, 1.5 * base, points)


#: Largest two-way grid (cells): 2,048 x 2,048, about 0.4 GiB while it is built and shown.
MAX_GRID_CELLS = 2**22
#: Memory per grid cell: the grid columns, the model's temporaries, the table and its pivot.
_BYTES_PER_CELL = 100


def check_grid_size(nx: int, ny: int, argument: str = "points") -> None:
    """Refuse, before allocating anything, a two-way grid larger than :data:`MAX_GRID_CELLS`
    (the message gives its memory estimate)."""
    cells = int(nx) * int(ny)
    if cells > MAX_GRID_CELLS:
        side = math.isqrt(MAX_GRID_CELLS)
        raise RoqInputError(argument, f"a {int(nx):,} x {int(ny):,} grid is {cells:,} cells, about {cells * _BYTES_PER_CELL / 2**30:,.1f} GiB of memory; "
                                      f"at most {MAX_GRID_CELLS:,} cells ({side:,} points per input, about {MAX_GRID_CELLS * _BYTES_PER_CELL / 2**30:.1f} GiB)")


def two_way(scenario: Scenario, x: str = "discount_rate", y: str = "annual_cost", output: str = "roq", *,
            x_values: Sequence[float] | None = None, y_values: Sequence[float] | None = None, points: int = 11, engine=None):
    """Two-way grid: ``output`` over every pair of values of inputs ``x`` and ``y``.

    Defaults: an uncertain input spans its support (P1..P99 if unbounded), a fixed one
    50%..150% of its base, in ``points`` steps. ``engine`` (see the module docstring)
    evaluates grids of more than 65,536 points in chunks; it never changes the numbers.

    Returns
    -------
    DataFrame
        Tidy: columns ``x``, ``y`` (named after the inputs), ``output``, ``valid``;
        ``.pivot(index=y, columns=x, values=output)`` gives the grid.

    Examples
    --------
    >>> from simulator.uncertainty import builtin_scenario
    >>> grid = two_way(builtin_scenario(), points=3)
    >>> grid.shape
    (9, 4)
    """
    output = _check_output(output)
    _check_inputs(scenario, [x, y])
    if x == y:
        raise RoqInputError("y", f"must differ from x ({x!r})")
    points = bounded_count(points, "points", 2, MAX_GRID_POINTS, "points per axis", why="a grid of points x points model runs")
    nx = points if x_values is None else np.size(x_values)
    ny = points if y_values is None else np.size(y_values)
    check_grid_size(nx, ny)
    xs = _default_grid(scenario, x, points) if x_values is None else np.asarray(x_values, dtype=float).reshape(-1)
    ys = _default_grid(scenario, y, points) if y_values is None else np.asarray(y_values, dtype=float).reshape(-1)
    grid_x, grid_y = np.meshgrid(xs, ys)
    size = grid_x.size
    result, ok = _evaluate_rows(scenario, {x: grid_x.reshape(-1), y: grid_y.reshape(-1)}, (output,), size, engine)
    import pandas as pd

    return pd.DataFrame({x: grid_x.reshape(-1), y: grid_y.reshape(-1), output: result[output], "valid": ok})


def discount_curve(scenario: Scenario | Mapping, rates: Sequence[float] | None = None, outputs: Sequence[str] = ("roq", "npv_gain", "npv_programme_cost")):
    """ROQ (and NPV figures) against the discount rate at the base values.

    ``scenario`` may also be a plain parameters mapping, e.g. Singgih's published case
    (:func:`simulator.roq.casestudy.case_study_parameters`).

    Returns
    -------
    DataFrame
        ``discount_rate`` and one column per output.

    Examples
    --------
    The published case study: ROQ 3.72 at 20%, above 1 across 0%..60%:

    >>> from simulator.roq.casestudy import case_study_parameters
    >>> curve = discount_curve(case_study_parameters())
    >>> round(float(curve.loc[curve.discount_rate == 0.2, "roq"].iloc[0]), 2), bool((curve.roq > 1).all())
    (3.72, True)
    """
    rates = np.asarray(DEFAULT_DISCOUNT_RATES if rates is None else rates, dtype=float).reshape(-1)
    outputs = tuple(_check_output(o) for o in outputs)
    params = scenario.parameters({"discount_rate": rates}) if isinstance(scenario, Scenario) else {**dict(scenario), "discount_rate": rates}
    result = evaluate(params, outputs, validate=True)
    import pandas as pd

    return pd.DataFrame({"discount_rate": rates, **{name: np.broadcast_to(result[name], rates.shape) for name in outputs}})


def _search_range(scenario: Scenario, name: str) -> tuple[float, float]:
    """Widest sensible search range for a break-even: the input's domain, clipped by the
    model's consistency conditions at the base values."""
    spec = SCENARIO_INPUTS[name]
    base = float(scenario.base[name])
    eps = 1e-9
    if name == "discount_rate":
        return -0.99, 10.0
    low = spec.low + (eps if spec.low_open else 0.0) if spec.low is not None else (0.0 if base >= 0 else -10 * abs(base))
    high = spec.high - (eps if spec.high_open else 0.0) if spec.high is not None else max(10 * abs(base), 1.0)
    if name in ("market_growth",):
        high = max(1.0, 10 * abs(base))
    params = scenario.parameters()
    churn = params.get("churn")
    if churn is not None:
        if name in ("retention", "baseline_retention", "competitor_retention", "competitor_switching"):
            high = min(high, 1.0 - float(churn))
        if name == "market_growth":
            low = max(low, -float(churn))
        if name == "churn":
            others = [float(params[n]) for n in ("retention", "baseline_retention") if n in params]
            if "competitor_switching" in scenario.base:
                others.append(float(scenario.base["competitor_switching"]))
            elif "competitor_retention" in params:
                others.append(float(params["competitor_retention"]))
            if others:
                high = min(high, 1.0 - max(others))
            if "market_growth" in params:
                low = max(low, -float(params["market_growth"]))
    return low, high


def break_even(scenario: Scenario, output: str = "roq", target: float | None = None, *, inputs: Sequence[str] | None = None,
               ranges: Mapping[str, tuple[float, float]] | None = None, quantiles: tuple[float, float] = (0.05, 0.95), tolerance: float = 1e-10):
    """Per input, the value at which ``output`` equals ``target`` (ROQ = 1), others at base.

    Vectorised bisection over all inputs at once, in each input's search range (default:
    its domain, clipped by the model's consistency conditions at the base values, e.g.
    retention <= 1 - churn; the discount rate from -99% to 1000%). Where the output minus
    the target has the same sign at both ends, the break-even is NaN: the verdict does not
    change anywhere in the range.

    Parameters
    ----------
    target : float, optional
        Default 1 for ``roq`` and 0 for ``roq_net``, ``npv_net`` and ``npv_gain``.
    inputs : sequence of str, optional
        Default: the uncertain inputs plus retention, initial_cost and annual_cost where present.
    ranges : mapping of str to (low, high), optional
        Search ranges overriding the defaults.
    quantiles : (float, float)
        The plausible range reported beside each break-even (P5..P95 of the input's
        distribution), and whether the break-even falls inside it.

    Returns
    -------
    DataFrame
        input, base, break_even, search_low, search_high, <output>_at_base,
        plausible_low, plausible_high, inside_plausible_range.

    Examples
    --------
    ROQ is proportional to the margin, so the break-even margin is base / ROQ:

    >>> from simulator.uncertainty import builtin_scenario
    >>> s = builtin_scenario()
    >>> table = break_even(s, inputs=["margin"])
    >>> round(float(table.break_even[0])), round(250000 / s.evaluate_base()["roq"])
    (91977, 91977)
    """
    output = _check_output(output)
    if target is None:
        target = 1.0 if output == "roq" else 0.0
    if inputs is None:
        extra = [n for n in ("retention", "initial_cost", "annual_cost") if n in scenario.base and n not in scenario.uncertain]
        names = _check_inputs(scenario, list(scenario.uncertain) + extra)
    else:
        names = _check_inputs(scenario, inputs)
    ranges = dict(ranges or {})
    bounds = np.array([[float(v) for v in ranges[n]] if n in ranges else _search_range(scenario, n) for n in names])
    k = len(names)
    base_values = np.array([float(scenario.base[n]) for n in names])

    def gap(candidate):
        values = {}
        for j, name in enumerate(names):
            column = np.full(k, base_values[j])
            column[j] = candidate[j]
            values[name] = column
        return np.asarray(evaluate(scenario.parameters(values), (output,), validate=False)[output], dtype=float) - target

    value = bisect_sign_change(gap, bounds[:, 0], bounds[:, 1], tolerance=tolerance, relative=True)
    at_base = float(np.asarray(evaluate(scenario.parameters(), (output,))[output]))
    plausible = np.array([_plausible(scenario, n, quantiles) if n in scenario.uncertain else (np.nan, np.nan) for n in names])
    import pandas as pd

    table = pd.DataFrame({
        "input": names,
        "base": base_values,
        "break_even": value,
        "search_low": bounds[:, 0],
        "search_high": bounds[:, 1],
        f"{output}_at_base": at_base,
        "plausible_low": plausible[:, 0],
        "plausible_high": plausible[:, 1],
    })
    table["inside_plausible_range"] = (table.break_even >= table.plausible_low) & (table.break_even <= table.plausible_high)
    return table
