"""Excel functions for moderate uncertainty runs: Monte Carlo summary, sensitivity, tornado.

Thin wrappers over :mod:`simulator.uncertainty` (see :mod:`addin._cells` for how cells are
read and results spilled). A *scenario range* is a two-column key/value table, the same
keys as a scenario TOML file: ``model.churn | 0.095``, ``uncertain.churn.distribution |
triangular``, ``uncertain.churn.max | 0.15``, ``run.samples | 65536``; several values on
one row form a list (``model.market_size_path | 286859 | 309244 | ...``). A parameter table
(``ROQ_CASESTUDY_PARAMETERS``, ``Input | Value``) is read as the ``model.*`` rows of a
scenario. The scenario argument is never silently replaced: a blank one is an error, and
the text ``builtin`` chooses the built-in scenario (Singgih's Return-on-Quality case of an
insurance company); ``=ROQ_SCENARIO_TEMPLATE()`` spills it as a starting point. Large runs
belong on the command line (``roq simulate``); these functions cap their sizes so that a
recalculation stays under about 10 s, and run on one thread (xlwings Lite has none to spare).
"""

from __future__ import annotations

import xlwings as xw

from simulator.errors import RoqInputError
from simulator.roq import MODEL_INPUTS, MODEL_OUTPUTS
from simulator import uncertainty  # loads each engine module on first use: the functions register in a blink
from simulator.uncertainty.options import SAMPLERS

from ._cells import EXCEL_ERRORS, _rows, arg, choice, count, excel_function, integer, range_converter

__all__ = ["ROQ_SIMULATE", "ROQ_SHARE_FAN", "ROQ_SENSITIVITY", "ROQ_TORNADO", "ROQ_SCENARIO_TEMPLATE"]

CATEGORY = "ROQ toolkit - Simulation"
#: Largest Monte Carlo run an Excel function does (the command line has no limit): ~3 s.
MAX_SIMULATION_SAMPLES = 2**21
#: Largest run of ROQ_SHARE_FAN (it keeps every year's percentiles): ~2 s.
MAX_PATH_SAMPLES = 2**19
_METHODS = ("sobol", "morris", "fast", "delta", "pawn")
#: Largest base sample size of a sensitivity analysis from Excel, per method, so that each
#: stays under ~10 s on two busy cores (measured: sobol/fast/pawn at 2^14 ~1 s; morris at
#: 2^12 ~4 s; delta's bootstrap over kernel density estimates at 2^10 ~6 s).
MAX_SENSITIVITY_SAMPLES = {"sobol": 2**14, "morris": 2**12, "fast": 2**14, "delta": 2**10, "pawn": 2**14}
#: Bootstrap resamples of delta's confidence intervals from Excel (the command line: 100).
DELTA_RESAMPLES = 20
_SCALAR_OUTPUTS = tuple(name for name in MODEL_OUTPUTS if "_path" not in name)
_BUILTIN = "builtin"
_SCENARIO_DOC = (
    "Scenario table: keys (model.churn, uncertain.churn.distribution, run.samples, ...) in the first column, values "
    "to the right (ROQ_SCENARIO_TEMPLATE spills one), or the text builtin. Required."
)
_PARAMETER_HEADERS = {"input", "inputs", "name", "names", "parameter", "parameters"}


@range_converter
def scenario_range(value, name: str):
    """A key/value range (or the text "builtin") as a validated :class:`simulator.uncertainty.Scenario`.

    Rows of a parameter table (bare model-input names, header ``Input``) are read as
    ``model.<name>`` rows, so the table ``ROQ_CASESTUDY_PARAMETERS`` spills is accepted too.
    """
    rows = _rows(value)
    if len(rows) == 1 and len(rows[0]) == 1 and isinstance(rows[0][0], str):
        if rows[0][0].strip().lower() == _BUILTIN:
            return uncertainty.builtin_scenario()
        raise RoqInputError(name, f"must be a scenario range or the text {_BUILTIN}; got the text {rows[0][0].strip()[:30]!r}")
    keyed = []
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            if isinstance(cell, dict) or (isinstance(cell, str) and cell.strip().upper() in EXCEL_ERRORS):
                text = cell.get("basicValue", "#VALUE!") if isinstance(cell, dict) else cell.strip().upper()
                raise RoqInputError(name, f"contains the error {text} in row {i + 1}, column {j + 1} of the range")
        key = row[0] if row else None
        if isinstance(key, str) and "." not in key:
            plain = key.strip().lower().replace(" ", "_")
            if i == 0 and plain in _PARAMETER_HEADERS:
                continue
            if plain in MODEL_INPUTS:
                row = [f"model.{plain}", *row[1:]]
        keyed.append(row)
    return uncertainty.scenario_from_rows(keyed, source=name)


scenario_range.kind = "scenario table (or the text builtin)"


#: Spilled headers in the style of the other functions ("Mean", "SD", "P5"), with units where not obvious.
_HEADERS = {
    "sd": "SD",
    "stdev": "SD",
    "count": "N",
    "mean_ci95_halfwidth": "Mean 95% CI half-width",
    "ES5": "ES5 (mean of the worst 5%)",
    "P_above_threshold": "P(above threshold)",
    "P_above_ci95_halfwidth": "P(above) 95% CI half-width",
    "base_case": "Base case",
    "mu_star": "mu*",
    "mu_star_conf": "mu* 95% CI",
    "S1_conf": "S1 95% CI",
    "ST_conf": "ST 95% CI",
    "S2_conf": "S2 95% CI",
    "delta_conf": "delta 95% CI",
    "CV": "CV",
    "swing": "Swing (high - low)",
}


def _header(name: str, output: str = "") -> str:
    """One column name of an engine table as a spilled header: snake_case -> "Sentence case"."""
    name = str(name)
    if name in _HEADERS:
        return _HEADERS[name]
    if output and name.startswith(output + "_"):
        return f"{output} at {name[len(output) + 1:]}"  # tornado: roq_low -> "roq at low"
    if name[:1] in "PS" and name[1:2].isdigit() or name in ("ST", "mu", "sigma", "delta", "z"):
        return name  # statistics' own symbols: P5, S1, ST, mu, sigma
    words = name.replace("_", " ")
    return words[:1].upper() + words[1:]


def _titled(frame, output: str = ""):
    """An engine DataFrame with spilled-style headers (the engine's own names stay in Python)."""
    if frame.index.name is not None:  # a named index ("output") spills as the first column
        frame = frame.reset_index()
    return frame.rename(columns=lambda column: _header(column, output))


def _scenario(scenario):
    if scenario is None:
        raise RoqInputError("scenario", f"is blank; give a scenario range (ROQ_SCENARIO_TEMPLATE spills one) or the text {_BUILTIN}")
    if not scenario.uncertain:
        raise RoqInputError("scenario", "has no uncertain inputs: add uncertain.NAME.distribution rows (see ROQ_SCENARIO_TEMPLATE)")
    return scenario


def _samples(samples, scenario, limit: int) -> int | None:
    """The sample size: the argument, else the scenario's run.samples; over ``limit`` is refused."""
    given = samples if samples is not None else scenario.run.samples
    if given > limit:
        where = "samples" if samples is not None else "scenario"
        what = f"{given:,}" if samples is not None else f"run.samples {given:,}"
        raise RoqInputError(where, f"{what} is too many for Excel; at most {limit:,} (run larger analyses with the roq command line)")
    return samples


@xw.func(category=CATEGORY)
@arg("scenario", scenario_range, _SCENARIO_DOC)
@arg("samples", count(1, MAX_SIMULATION_SAMPLES, "scenarios", "Excel's cap"), f"Number of scenarios (default: the scenario's run.samples; at most {MAX_SIMULATION_SAMPLES:,}).")
@arg("seed", integer, "Random seed (default: the scenario's run.seed); the same seed gives the same numbers.")
@arg("sampler", choice(*SAMPLERS), "random (plain Monte Carlo), lhs (Latin hypercube) or sobol (scrambled Sobol'); default: the scenario's.")
@excel_function
def ROQ_SIMULATE(scenario=None, samples=None, seed=None, sampler=None):
    """Monte Carlo summary of ROQ, NPV gain and final share: mean, SD, P5..P95, expected shortfall, P(ROQ > 1), 95% half-widths, base case, verdict (pays when P(ROQ > 1)'s 95% interval is above 95%)."""
    chosen = _scenario(scenario)
    samples = _samples(samples, chosen, MAX_SIMULATION_SAMPLES)
    return _titled(uncertainty.run_monte_carlo(chosen, samples=samples, seed=seed, sampler=sampler, progress=False, workers=1).to_frame())


@xw.func(category=CATEGORY)
@arg("scenario", scenario_range, _SCENARIO_DOC)
@arg("samples", count(1, MAX_PATH_SAMPLES, "scenarios", "Excel's cap"), f"Number of scenarios (default: the scenario's run.samples; at most {MAX_PATH_SAMPLES:,}).")
@arg("seed", integer, "Random seed (default: the scenario's run.seed); the same seed gives the same numbers.")
@arg("sampler", choice(*SAMPLERS), "random, lhs or sobol (default: the scenario's).")
@excel_function
def ROQ_SHARE_FAN(scenario=None, samples=None, seed=None, sampler=None):
    """Monte Carlo statistics of the market share per year (fan chart data): spills Year | Mean | SD | P5 .. P95, shares as fractions."""
    chosen = _scenario(scenario)
    samples = _samples(samples, chosen, MAX_PATH_SAMPLES)
    result = uncertainty.run_monte_carlo(
        chosen, samples=samples, seed=seed, sampler=sampler, progress=False, workers=1, path_outputs=("market_share_path",)
    )
    return _titled(result.path_statistics("market_share_path")).rename(columns={"Mean": "Mean share (fraction)"})


@xw.func(category=CATEGORY)
@arg("scenario", scenario_range, _SCENARIO_DOC)
@arg("method", choice(*_METHODS), "sobol (first, total, second order), morris (mu*, sigma), fast (eFAST), delta or pawn (moment-independent; use them for correlated inputs).")
@arg(
    "samples",
    count(1, max(MAX_SENSITIVITY_SAMPLES.values()), "base samples", "Excel's cap"),
    "Base sample size: Sobol' N (a power of two), Morris trajectories, eFAST points per input, delta/PAWN rows (default 1024). "
    "At most 16,384 (morris 4,096; delta 1,024).",
)
@arg("seed", integer, "Seed (default: the scenario's run.seed).")
@arg("output", choice(*_SCALAR_OUTPUTS), "Model output to analyse (default roq).")
@excel_function
def ROQ_SENSITIVITY(scenario=None, method="sobol", samples=1024, seed=None, output="roq"):
    """Global sensitivity (SALib) of an output to the scenario's uncertain inputs: one row per input, ranked (1 = most influential)."""
    chosen = _scenario(scenario)
    limit = MAX_SENSITIVITY_SAMPLES[method]
    if samples > limit:
        raise RoqInputError("samples", f"{samples:,} is too many for {method} from Excel; at most {limit:,} (run larger analyses with roq sensitivity)")
    options = {"num_resamples": DELTA_RESAMPLES} if method == "delta" else {}
    return _titled(chosen.sensitivity(method, samples=samples, seed=seed, output=output, **options).to_frame())


@xw.func(category=CATEGORY)
@arg("scenario", scenario_range, _SCENARIO_DOC)
@arg("output", choice(*_SCALAR_OUTPUTS), "Model output (default roq).")
@excel_function
def ROQ_TORNADO(scenario=None, output="roq"):
    """Tornado data: each uncertain input at its P10 and P90 with the others at base, the output at each and the swing, ranked."""
    return _titled(uncertainty.one_way(_scenario(scenario), output), output)


@xw.func(category=CATEGORY)
@excel_function
def ROQ_SCENARIO_TEMPLATE():
    """The built-in scenario (Singgih's Return-on-Quality case of an insurance company) as a key/value table to edit for ROQ_SIMULATE."""
    rows = uncertainty.builtin_scenario().to_rows()
    return [["Key", "Value", *rows[0][2:]], *rows[1:]]
