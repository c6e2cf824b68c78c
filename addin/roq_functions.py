"""Excel functions for the Return-on-Quality model (Rust, Zahorik & Keiningham 1995).

Thin wrappers over :mod:`simulator.roq`: each reads its cells, calls one engine function
and shapes the result (see :mod:`addin._cells`). Rates and shares are fractions, which is
what a percentage-formatted cell holds (34.61% is 0.3461). Every name starts with ``ROQ_``.

Model-level functions (``ROQ_MODEL``, ``ROQ_BREAKEVEN_*``, ``ROQ_RATE_CURVE``) take a
*parameter table*: input names in the first column, values to their right (one value, or
one per year for ``*_path`` inputs). ``=ROQ_MODEL_INPUTS()`` lists the names and
``=ROQ_CASESTUDY_PARAMETERS()`` spills Singgih's table as a template.
"""

from __future__ import annotations

import numpy as np
import xlwings as xw

from simulator import roq
from simulator._validate import as_float_array
from simulator.errors import RoqInputError
from simulator.roq import casestudy

from ._cells import _rate_slip, arg, choice, count, excel_function, labels, model_parameters, number, rate, share, table, text, vector

CATEGORY = "ROQ toolkit - Return on Quality"

_SHARE = "a fraction 0..1 (a % cell)"
_PARAMETERS_DOC = (
    "Parameter table: input names in the first column (see ROQ_MODEL_INPUTS), values to the right; "
    "*_path inputs take one value per year."
)


# --------------------------------------------------------------------------- calibration


@xw.func(category=CATEGORY)
@arg("yes", number, "Number of respondents answering 'yes, will buy again' (scored 100%).")
@arg("unsure", number, "Number answering 'unsure' (scored 50%).")
@arg("no", number, "Number answering 'no' (scored 0%).")
@excel_function
def ROQ_REPURCHASE_RATE(yes, unsure, no):
    """Repurchase rate of a customer group: (yes + 0.5 unsure) / all answers, a fraction (Singgih's case)."""
    return roq.repurchase_rate(yes, unsure, no)


@xw.func(category=CATEGORY)
@arg("satisfied_share", share, f"Share of satisfied (not delighted) customers, {_SHARE}; Singgih's case: 48.81%.")
@arg("delighted_share", share, f"Share of delighted (very satisfied) customers, {_SHARE}; Singgih's case: 9.52%.")
@arg("repurchase_dissatisfied", share, "Repurchase rate r1 of dissatisfied customers, a fraction; Singgih's case: 15.48%.")
@arg("repurchase_satisfied", share, "Repurchase rate r2 of satisfied customers, a fraction; Singgih's case: 51.19%.")
@arg("repurchase_delighted", share, "Repurchase rate r3 of delighted customers, a fraction; Singgih's case: 69.04%.")
@arg(
    "convention",
    choice(*roq.SATISFIED_SHARE_CONVENTIONS),
    "Meaning of S: satisfied_or_delighted (RZK 1995, default) or satisfied_only (Singgih's case as published, 34.61%).",
)
@excel_function
def ROQ_RETENTION(
    satisfied_share,
    delighted_share,
    repurchase_dissatisfied,
    repurchase_satisfied,
    repurchase_delighted,
    convention="satisfied_or_delighted",
):
    """Customer retention R = (1 - S) r1 + S r2 + D (r3 - r2), a fraction per year (Rust, Zahorik & Keiningham 1995)."""
    return roq.retention(
        satisfied_share,
        delighted_share,
        repurchase_dissatisfied,
        repurchase_satisfied,
        repurchase_delighted,
        convention=convention,
    )


@xw.func(category=CATEGORY)
@arg("customers_leaving", number, "Customers (or respondents) leaving the market; Singgih's case: 8.")
@arg("customers_total", number, "Customers (or respondents) observed; Singgih's case: 84.")
@excel_function
def ROQ_CHURN(customers_leaving, customers_total):
    """Market churn c = leaving / total: the share of customers leaving the market per year (Singgih's case: 0.095)."""
    return roq.market_churn(customers_leaving, customers_total)


@xw.func(category=CATEGORY)
@arg("new_customers", number, "New customers the firm won in year t; Singgih's case: 850.")
@arg("market_size", number, "Market size N_t in year t (customers); Singgih's case: 5762.")
@arg("previous_market_size", number, "Market size N_t-1 a year earlier (customers); Singgih's case: 3497.")
@arg("churn", share, "Market churn c, a fraction in [0, 1); Singgih's case: 0.095.")
@excel_function
def ROQ_ATTRACTION(new_customers, market_size, previous_market_size, churn):
    """Attraction A = new / (N_t - (1 - c) N_t-1): the firm's share of customers entering the market (RZK 1995)."""
    return roq.attraction(new_customers, market_size, previous_market_size, churn)


@xw.func(category=CATEGORY)
@arg("customers_switching_in", number, "Customers who came from competitors in year t; Singgih's case: 452.")
@arg("previous_share", share, f"Firm's market share M_t-1, {_SHARE}; Singgih's case: 1.39%.")
@arg("previous_market_size", number, "Market size N_t-1 (customers); Singgih's case: 250,760.")
@arg("churn", share, "Market churn c, a fraction in [0, 1); Singgih's case: 0.095.")
@excel_function
def ROQ_COMPETITOR_RETENTION(customers_switching_in, previous_share, previous_market_size, churn):
    """Competitors' retention R' = 1 - c - switching / ((1 - M) N), a fraction (RZK 1995; Singgih's case: 0.9031)."""
    return roq.competitor_retention(customers_switching_in, previous_share, previous_market_size, churn)


@xw.func(category=CATEGORY)
@arg("market_size", number, "Market size N_t (customers).")
@arg("previous_market_size", number, "Market size N_t-1 a year earlier (customers).")
@excel_function
def ROQ_MARKET_GROWTH(market_size, previous_market_size):
    """Market growth g = N_t / N_t-1 - 1, a fraction per year (growth factor G = 1 + g)."""
    return roq.market_growth(market_size, previous_market_size)


@xw.func(category=CATEGORY)
@arg("initial_share", share, f"Firm's market share M_0 now, {_SHARE}.")
@arg("retention", share, "Retention R, a fraction per year (e.g. from ROQ_RETENTION).")
@arg("competitor_retention", share, "Competitors' retention R', a fraction per year.")
@arg("churn", share, "Market churn c, a fraction per year.")
@arg("attraction", share, "Attraction A, the firm's share of customers entering the market, a fraction.")
@arg("market_sizes", vector, "Market sizes N_1..N_T (customers) of years 1..T, one row or column (as ROQ_NPV takes them).")
@arg("initial_market_size", number, "Market size N_0 now, at year 0 (customers); Singgih's case: 250,760.")
@excel_function
def ROQ_SHARE_PATH(initial_share, retention, competitor_retention, churn, attraction, market_sizes, initial_market_size):
    """Market-share path M_1..M_T from the RZK (1995) recursion; spills Year | Market share (fraction)."""
    sizes = np.concatenate([[initial_market_size], as_float_array(market_sizes, "market_sizes")])  # blanks are refused by name
    path = roq.market_share_path(initial_share, retention, competitor_retention, churn, attraction, sizes)
    return table(["Year", "Market share (fraction)"], [[year, value] for year, value in enumerate(np.atleast_1d(path), start=1)])


# --------------------------------------------------------------------------- money


@xw.func(category=CATEGORY)
@arg("margin", number, "Profit margin Y per customer per year (currency); Singgih's case: 250,000.")
@arg("market_shares", vector, "Market shares M_1..M_T with the programme, one per year (fractions).")
@arg("market_sizes", vector, "Market sizes N_1..N_T (customers), one per year, same length as market_shares.")
@arg("discount_rate", rate, "Discount rate i per year, a fraction > -1; Singgih's case: 20%.")
@excel_function
def ROQ_NPV(margin, market_shares, market_sizes, discount_rate):
    """NPV of profits with the programme: sum over t of Y M_t N_t / (1 + i)^t, years 1..T (RZK 1995)."""
    return roq.npv_of_profit(margin, market_shares, market_sizes, discount_rate)


@xw.func(category=CATEGORY)
@arg("margin", number, "Profit margin Y per customer per year (currency).")
@arg(
    "baseline_shares",
    vector,
    "Market share without the programme: one value (constant) or one per year (fractions); Singgih's case: 3.02%.",
)
@arg("market_sizes", vector, "Market sizes N_1..N_T (customers), one per year.")
@arg("discount_rate", rate, "Discount rate i per year, a fraction > -1.")
@excel_function
def ROQ_NPV0(margin, baseline_shares, market_sizes, discount_rate):
    """NPV0: NPV of profits without the programme, from a constant share or a share per year (RZK 1995)."""
    if baseline_shares.size == 1:
        baseline_shares = np.full(market_sizes.shape, baseline_shares[0])  # a constant share for every year
    return roq.npv_of_profit(margin, baseline_shares, market_sizes, discount_rate)


@xw.func(category=CATEGORY)
@arg("initial_cost", number, "Programme cost paid now, at year 0 (currency); Singgih's case: 558,000,000.")
@arg("annual_cost", number, "Programme cost paid in each year 1..T (currency); Singgih's case: 699,000,000.")
@arg("discount_rate", rate, "Discount rate i per year, a fraction > -1; Singgih's case: 20%.")
@arg("horizon", count(1, roq.MAX_HORIZON, "years", "the model's longest horizon"), "Number of years T, 1..100; Singgih's case: 5.")
@excel_function
def ROQ_NPV_PROGRAMME(initial_cost, annual_cost, discount_rate, horizon):
    """NPVAS: NPV of programme spending = initial cost + sum of annual cost / (1 + i)^t (Singgih's case: 2,648,437,886)."""
    return roq.npv_of_programme(initial_cost, annual_cost, discount_rate, horizon)


@xw.func(category=CATEGORY)
@arg("npv_with_programme", number, "NPV of profits with the programme (e.g. ROQ_NPV).")
@arg("npv_without_programme", number, "NPV0 of profits without the programme (e.g. ROQ_NPV0).")
@arg("npv_programme_cost", number, "NPVAS, the NPV of programme spending (e.g. ROQ_NPV_PROGRAMME), > 0.")
@arg("convention", choice("gross", "net"), "gross (default): (NPV - NPV0) / NPVAS, pays when > 1; net: gross - 1, pays when > 0.")
@excel_function
def ROQ_VALUE(npv_with_programme, npv_without_programme, npv_programme_cost, convention="gross"):
    """Return on quality ROQ = (NPV - NPV0) / NPVAS; the programme pays when ROQ > 1 (RZK 1995; Singgih's case: 3.72)."""
    return roq.return_on_quality(npv_with_programme, npv_without_programme, npv_programme_cost, convention=convention)


# --------------------------------------------------------------------------- the whole model


@xw.func(category=CATEGORY)
@arg("parameters", model_parameters, _PARAMETERS_DOC)
@arg(
    "outputs",
    labels,
    "Optional: output names to show, one row or column (default: NPV, NPV0, NPVAS, gain, ROQ, ...).",
)
@excel_function
def ROQ_MODEL(parameters, outputs=None):
    """Evaluates the ROQ model from a parameter table; spills Output | Value | Description (NPV, NPV0, NPVAS, ROQ, ...)."""
    wanted = roq.DEFAULT_OUTPUTS if outputs is None else [name for name in outputs if name]
    paths = [name for name in wanted if name.endswith("_path")]
    if paths:
        raise RoqInputError("outputs", f"{paths[0]} is a per-year path; use ROQ_MODEL_PATHS for paths")
    result = roq.evaluate(parameters, wanted)
    if any(np.ndim(result[name]) for name in wanted):
        raise RoqInputError("parameters", "gives several scenarios; ROQ_MODEL shows one scenario (single values per input)")
    return table(["Output", "Value", "Description"], [[name, result[name], roq.MODEL_OUTPUTS[name]] for name in wanted])


@xw.func(category=CATEGORY)
@arg("parameters", model_parameters, _PARAMETERS_DOC)
@excel_function
def ROQ_MODEL_PATHS(parameters):
    """Year-by-year ROQ model: spills Year | Market size | Market share | Market share without programme."""
    names = ("market_size_path", "market_share_path", "market_share_path_without_programme")
    result = roq.evaluate(parameters, names)
    columns = [np.atleast_1d(result[name]) for name in names]
    if any(column.ndim != 1 for column in columns):
        raise RoqInputError("parameters", "gives several scenarios; ROQ_MODEL_PATHS shows one scenario (single values per input)")
    rows = [[year, *values] for year, values in enumerate(zip(*columns), start=1)]
    return table(["Year", "Market size (customers)", "Market share (fraction)", "Market share without programme (fraction)"], rows)


@xw.func(category=CATEGORY)
@arg("parameters", model_parameters, _PARAMETERS_DOC)
@excel_function
def ROQ_BREAKEVEN_RATE(parameters):
    """Discount rate at which ROQ = 1 (the programme's internal rate of return), a fraction per year."""
    rate = roq.breakeven_discount_rate(parameters)
    if not np.isfinite(rate):
        raise RoqInputError(
            "parameters", "no break-even discount rate between -99% and 10000%: ROQ - 1 keeps its sign (the programme pays at every rate, or at none)"
        )
    return rate


@xw.func(category=CATEGORY)
@arg("parameters", model_parameters, _PARAMETERS_DOC)
@excel_function
def ROQ_BREAKEVEN_COST(parameters):
    """Programme spending at which ROQ = 1: spills the break-even cost multiplier, initial cost and annual cost."""
    result = roq.breakeven_programme_cost(parameters)
    rows = [
        ("cost_multiplier", result["cost_multiplier"]),
        ("initial_cost", result["initial_cost"]),
        ("annual_cost", result["annual_cost"]),
    ]
    if any(np.ndim(value) for _, value in rows):
        raise RoqInputError("parameters", "gives several scenarios; ROQ_BREAKEVEN_COST shows one scenario (single values per input)")
    return table(["Break-even", "Value"], rows)


@xw.func(category=CATEGORY)
@arg("parameters", model_parameters, _PARAMETERS_DOC)
@arg("discount_rates", vector, "Discount rates to evaluate, one row or column of fractions (e.g. 0%, 10%, ..., 60%).")
@excel_function
def ROQ_RATE_CURVE(parameters, discount_rates):
    """ROQ at each discount rate (Singgih's sensitivity chart); spills Discount rate | ROQ."""
    curve = roq.roq_against_discount_rate(parameters, discount_rates)
    if curve.ndim != 1:
        raise RoqInputError("parameters", "gives several scenarios; ROQ_RATE_CURVE shows one scenario (single values per input)")
    return table(["Discount rate (fraction per year)", "ROQ (ratio)"], [[rate, value] for rate, value in zip(discount_rates, curve)])


#: Most points of a one-way sweep from Excel.
MAX_SWEEP_STEPS = 1000
_SCALAR_OUTPUTS = tuple(name for name in roq.MODEL_OUTPUTS if "_path" not in name)


def _single_input(value, name: str) -> str:
    """The name of one single-number model input (not a per-year path, not the horizon)."""
    from simulator._validate import closest

    given = text(value, name).lower().replace(" ", "_").replace("-", "_")
    spec = roq.MODEL_INPUTS.get(given)
    if spec is None or spec.per_year or given == "horizon":
        shown = given if len(given) <= 30 else given[:27] + "..."
        raise RoqInputError(name, f"{shown!r} is not a single-number model input{closest(given, roq.MODEL_INPUTS)}; all inputs: ROQ_MODEL_INPUTS()")
    return given


_single_input.kind = "name of a single-number model input"


def _scenario_of(parameters: dict, needed: str):
    """The parameter table as a scenario without uncertainty (the engine's sweeps take scenarios)."""
    from simulator.uncertainty import scenario_from_rows

    if needed not in parameters:
        raise RoqInputError("input_name", f"{needed} is not in the parameter table; add a row {needed} | value to vary it")
    rows = [[f"model.{key}", *(np.atleast_1d(value).tolist() if not isinstance(value, str) else [value])] for key, value in parameters.items()]
    return scenario_from_rows(rows, source="parameters")


@xw.func(category=CATEGORY)
@arg("parameters", model_parameters, _PARAMETERS_DOC)
@arg("input_name", _single_input, "The input to solve for, by name (e.g. retention, margin, initial_share, discount_rate); it must be in the table.")
@arg("output", choice(*_SCALAR_OUTPUTS), "Output that breaks even (default roq).")
@arg("target", number, "Value of the output at break-even (default 1 for roq, 0 for roq_net, npv_gain, npv_net).")
@excel_function
def ROQ_BREAKEVEN(parameters, input_name, output="roq", target=None):
    """Break-even value of any single-number input (retention, margin, a share, ...): the value at which ROQ = 1 with the others as given."""
    from simulator.uncertainty.sweeps import break_even

    result = break_even(_scenario_of(parameters, input_name), output, target, inputs=[input_name]).iloc[0]
    if not np.isfinite(result["break_even"]):
        raise RoqInputError(
            "input_name", f"{input_name} has no break-even in {result['search_low']:.6g}..{result['search_high']:.6g}: {output} - target keeps its sign there"
        )
    rows = [
        ("input", input_name),
        ("value in the table", result["base"]),
        ("break-even value", result["break_even"]),
        (f"{output} at the table's value", result[f"{output}_at_base"]),
        ("searched from", result["search_low"]),
        ("searched to", result["search_high"]),
    ]
    return table(["Break-even", "Value"], rows)


@xw.func(category=CATEGORY)
@arg("parameters", model_parameters, _PARAMETERS_DOC)
@arg("input_name", _single_input, "The input to vary, by name (e.g. retention, margin, churn); the others keep the table's values.")
@arg("low", number, "First value of the input (in its unit: fractions for rates and shares).")
@arg("high", number, "Last value of the input.")
@arg("steps", count(2, MAX_SWEEP_STEPS, "points", "Excel's cap"), f"Number of evenly spaced values from low to high, 2..{MAX_SWEEP_STEPS} (default 11).")
@arg("output", choice(*_SCALAR_OUTPUTS), "Output to evaluate at each value (default roq).")
@excel_function
def ROQ_SWEEP(parameters, input_name, low, high, steps=11, output="roq"):
    """One-way sweep of any model input from low to high, the others as in the table: spills the input's value and the output at each step."""
    spec = roq.MODEL_INPUTS[input_name]
    if spec.unit.startswith("fraction") and spec.high is None:  # a rate per year: 20 is a unit slip
        for name, value in (("low", low), ("high", high)):
            _rate_slip(value, name)
    values = np.linspace(low, high, steps)
    result = roq.evaluate({**parameters, input_name: values}, (output,))[output]
    if np.ndim(result) != 1:
        raise RoqInputError("parameters", "gives several scenarios; ROQ_SWEEP varies one input of one scenario")
    return table([f"{input_name} ({spec.unit})", output], [[x, y] for x, y in zip(values.tolist(), np.asarray(result).tolist())])


@xw.func(category=CATEGORY)
@excel_function
def ROQ_MODEL_INPUTS():
    """Lists the inputs a parameter table may hold: spills Input | Unit | Description | Per year."""
    rows = [[item.name, item.unit, item.description, "yes" if item.per_year else "no"] for item in roq.MODEL_INPUTS.values()]
    rows.append(["satisfied_share_convention", "text", "satisfied_or_delighted (default) or satisfied_only", "no"])
    return table(["Input", "Unit", "Description", "Per year"], rows)


@xw.func(category=CATEGORY)
@excel_function
def ROQ_CASESTUDY_PARAMETERS():
    """Singgih's parameter table (life insurer, IDR) as published; a template for ROQ_MODEL (ROQ 3.72)."""
    rows = []
    for name, value in casestudy.case_study_parameters().items():
        values = np.atleast_1d(np.asarray(value, dtype=float)).tolist()
        rows.append([name, *values])
    width = max(len(row) for row in rows)
    header = ["Input", "Value (year 1)"] + [f"Year {t}" for t in range(2, width)]
    return table(header, [row + [None] * (width - len(row)) for row in rows])
