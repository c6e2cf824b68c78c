"""Excel functions for moderate uncertainty runs: Monte Carlo summary, sensitivity, tornado.

Thin wrappers over :mod:`simulator.uncertainty` (see :mod:`addin._cells` for how cells are
read and results spilled). A *scenario range* is a two-column key/value table, the same
keys as a scenario TOML file: ``model.churn | 0.095``, ``uncertain.churn.distribution |
triangular``, ``uncertain.churn.max | 0.15``, ``run.samples | 65536``; several values on
one row form a list (``model.market_size_path | 286859 | 309244 | ...``). A blank
scenario argument means the built-in seed-001 scenario; ``=ROQ_SCENARIO_TEMPLATE()``
spills it as a starting point. Large runs belong on the command line (``roq simulate``);
these functions cap the sample size so a recalculation stays short, and run on one thread
(xlwings Lite has none to spare).
"""

from __future__ import annotations

import xlwings as xw

from simulator.errors import RoqInputError
from simulator.roq import MODEL_OUTPUTS
from simulator.uncertainty import builtin_scenario, one_way, run_monte_carlo, scenario_from_rows
from simulator.uncertainty.samplers import SAMPLERS

from ._cells import EXCEL_ERRORS, range_converter, _rows, arg, choice, excel_function, integer

__all__ = ["ROQ_SIMULATE", "ROQ_SENSITIVITY", "ROQ_TORNADO", "ROQ_SCENARIO_TEMPLATE"]

CATEGORY = "ROQ toolkit - Simulation"
#: Largest Monte Carlo run an Excel function does (the command line has no limit).
MAX_SIMULATION_SAMPLES = 2**21
#: Largest base sample size of a sensitivity analysis from Excel.
MAX_SENSITIVITY_SAMPLES = 2**14
_METHODS = ("sobol", "morris", "fast", "delta", "pawn")
_SCALAR_OUTPUTS = tuple(name for name in MODEL_OUTPUTS if "_path" not in name)
_SCENARIO_DOC = (
    "Scenario table: keys (model.churn, uncertain.churn.distribution, uncertain.churn.min, run.samples, ...) in the "
    "first column, values to the right (see ROQ_SCENARIO_TEMPLATE). Blank: the built-in seed-001 scenario."
)


@range_converter
def scenario_range(value, name: str):
    """A key/value range as a validated :class:`simulator.uncertainty.Scenario`."""
    rows = _rows(value)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            if isinstance(cell, str) and cell.strip().upper() in EXCEL_ERRORS:
                raise RoqInputError(name, f"contains the error {cell.strip().upper()} in row {i + 1}, column {j + 1} of the range")
    return scenario_from_rows(rows, source=name)


def _scenario(scenario):
    return builtin_scenario() if scenario is None else scenario


def _capped(samples, limit: int, what: str) -> int | None:
    if samples is None:
        return None
    if samples < 1:
        raise RoqInputError("samples", f"must be >= 1, got {samples}")
    if samples > limit:
        raise RoqInputError("samples", f"at most {limit:,} {what} from Excel (got {samples:,}); run larger analyses with the roq command line")
    return samples


@xw.func(category=CATEGORY)
@arg("scenario", scenario_range, _SCENARIO_DOC)
@arg("samples", integer, f"Number of scenarios (default: the scenario's run.samples; at most {MAX_SIMULATION_SAMPLES:,}).")
@arg("seed", integer, "Random seed (default: the scenario's run.seed); the same seed gives the same numbers.")
@arg("sampler", choice(*SAMPLERS), "random (plain Monte Carlo), lhs (Latin hypercube) or sobol (scrambled Sobol'); default: the scenario's.")
@excel_function
def ROQ_SIMULATE(scenario=None, samples=None, seed=None, sampler=None):
    """Monte Carlo summary of ROQ, NPV gain and final share: mean, sd, P5..P95, expected shortfall, P(ROQ > 1) and the verdict.

    One row per output with its 95% confidence half-widths and the deterministic base case;
    the roq row's verdict (pays / does not pay / undecided) follows the one rule of
    simulator.uncertainty.verdict (pays when the 95% interval of P(ROQ > 1) lies above 95%).
    """
    chosen = _scenario(scenario)
    samples = _capped(samples, MAX_SIMULATION_SAMPLES, "scenarios")
    if samples is None and chosen.run.samples > MAX_SIMULATION_SAMPLES:
        samples = _capped(chosen.run.samples, MAX_SIMULATION_SAMPLES, "scenarios")
    return run_monte_carlo(chosen, samples=samples, seed=seed, sampler=sampler, progress=False, workers=1).to_frame()


@xw.func(category=CATEGORY)
@arg("scenario", scenario_range, _SCENARIO_DOC)
@arg("method", choice(*_METHODS), "sobol (first, total, second order), morris (mu*, sigma), fast (eFAST), delta or pawn (moment-independent; use them for correlated inputs).")
@arg("samples", integer, f"Base sample size: Sobol' N (a power of two), Morris trajectories, eFAST points per input, delta/PAWN rows (default 1024; at most {MAX_SENSITIVITY_SAMPLES:,}).")
@arg("seed", integer, "Seed (default: the scenario's run.seed).")
@arg("output", choice(*_SCALAR_OUTPUTS), "Model output to analyse (default roq).")
@excel_function
def ROQ_SENSITIVITY(scenario=None, method="sobol", samples=1024, seed=None, output="roq"):
    """Global sensitivity (SALib) of an output to the scenario's uncertain inputs: one row per input, ranked (1 = most influential)."""
    samples = _capped(samples, MAX_SENSITIVITY_SAMPLES, "base samples")
    result = _scenario(scenario).sensitivity(method, samples=samples, seed=seed, output=output)
    return result.to_frame()


@xw.func(category=CATEGORY)
@arg("scenario", scenario_range, _SCENARIO_DOC)
@arg("output", choice(*_SCALAR_OUTPUTS), "Model output (default roq).")
@excel_function
def ROQ_TORNADO(scenario=None, output="roq"):
    """Tornado data: each uncertain input at its P10 and P90 with the others at base, the output at each and the swing, ranked."""
    return one_way(_scenario(scenario), output)


@xw.func(category=CATEGORY)
@excel_function
def ROQ_SCENARIO_TEMPLATE():
    """The built-in seed-001 scenario as a key/value table to copy, edit and pass to ROQ_SIMULATE."""
    return builtin_scenario().to_rows()
