"""``roq sensitivity [SCENARIO] --method sobol|morris|fast|delta|pawn``: global sensitivity with SALib.

Ranks the scenario's uncertain inputs by their influence on an output (default ROQ). With
``--out DIR`` writes ``sensitivity_<method>.csv`` (plus ``sensitivity_<method>_pairs.csv``
for Sobol' second order) and the workbook ``sensitivity_<method>.xlsx``. With ``--engine
dask`` (or ``--scheduler``) Sobol' streams blocks of its design through the Dask workers;
the other methods evaluate their design there in chunks and gather the outputs.
"""

from __future__ import annotations

from ..reports.options import add_charts_option
from ..errors import RoqInputError
from .simulate import add_engine_options, add_out_option, add_scenario_argument, bounded_count, count, load, open_engine, output_set, scalar_output, seed_value, write_outputs

#: Base sample size per method when --samples is not given (a few seconds each).
DEFAULT_SAMPLES = {"sobol": 2**12, "morris": 256, "fast": 4096, "delta": 2048, "pawn": 8192}
#: Largest --samples per method: bounded by the time of the analysis (delta's estimator
#: is slow: its 100 bootstrap resamples take about a minute per 2,048 rows) and by the
#: memory of the designs SALib holds at once (Sobol' streams, but N (2D + 2) model runs
#: at 2**24 are already minutes).
MAX_SAMPLES = {"sobol": 2**24, "morris": 2**16, "fast": 2**20, "delta": 2**15, "pawn": 2**22}
_WHY = {"sobol": "N (2D + 2) model runs", "morris": "SALib holds the whole trajectory design",
        "fast": "SALib holds the whole design", "delta": "its estimator's time grows with the rows",
        "pawn": "SALib holds every row"}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sensitivity",
        help="global sensitivity of ROQ to the scenario's uncertain inputs (SALib: Sobol', Morris, eFAST, delta, PAWN)",
        description="Rank a scenario's uncertain inputs (default: the built-in scenario, Singgih's insurer case) by their influence on a "
        "model output with SALib: Sobol' first/total/second-order indices, Morris mu*/sigma, eFAST, or the "
        "moment-independent delta and PAWN (which also handle the scenario's rank correlations).",
    )
    add_scenario_argument(parser)
    parser.add_argument("--method", choices=("sobol", "morris", "fast", "delta", "pawn"), default="sobol", help="sensitivity method (default sobol)")
    parser.add_argument("--samples", type=count, metavar="N", help="base sample size: Sobol' N (power of two), Morris trajectories, eFAST points per input, delta/PAWN rows (default: "
                        + ", ".join(f"{k} {v}" for k, v in DEFAULT_SAMPLES.items()) + ")")
    parser.add_argument("--seed", type=seed_value, metavar="SEED", help="seed (default: the scenario's [run] seed)")
    parser.add_argument("--output", default="roq", type=scalar_output, metavar="NAME", help="model output to analyse (default roq)")
    parser.add_argument("--no-second-order", dest="second_order", action="store_false", help="Sobol': skip second-order indices (fewer model runs)")
    parser.add_argument("--resamples", type=bounded_count(10_000, "bootstrap resamples"), default=100, metavar="N", help="bootstrap resamples for confidence intervals (default 100)")
    parser.add_argument("--conf-level", type=float, default=0.95, metavar="P", help="confidence level of the intervals (default 0.95)")
    parser.add_argument("--sampler", choices=("sobol", "lhs", "random"), help="Sobol': base rows of Saltelli's design (default sobol: scrambled Sobol')")
    parser.add_argument("--intervals", choices=("auto", "replicates", "bootstrap", "asymptotic"),
                        help="Sobol': confidence intervals (default auto: Student t across independent replicates for the sobol and "
                        "lhs samplers, whose rows are not independent; bootstrap for random rows)")
    parser.add_argument("--replicates", type=count, metavar="R", help="Sobol': independent randomised replicates for --intervals replicates (default 16)")
    parser.add_argument("--backend", choices=("fast", "salib"), default="fast", help="Sobol' analysis engine (default fast; salib = SALib's reference implementation)")
    parser.add_argument("--kernel", choices=("auto", "numba", "numpy"), default=None,
                        help="how the model is evaluated on the samples: the compiled numba kernel, numpy, or auto (default, or ROQ_KERNEL): "
                        "numba from 2**24 model evaluations when it is installed; the same numbers either way")
    add_engine_options(parser)
    add_out_option(parser)
    add_charts_option(parser)
    parser.set_defaults(handler=run)


def _expected_files(args) -> list:
    names = [f"sensitivity_{args.method}.csv", f"sensitivity_{args.method}.xlsx", "scenario_inputs.csv"] if args.out else []
    for kind in args.charts or ():
        names.append("sensitivity_charts.xlsx" if kind == "xlsx" else f"{args.method if args.method != 'pawn' else 'pawn'}_indices.{kind}")
    return names


def run(args) -> int:
    from ..progress import heartbeat

    scenario = load(args)
    sobol_options = {key: value for key, value in (("sampler", args.sampler), ("ci_method", args.intervals), ("replicates", args.replicates)) if value is not None}
    if sobol_options and args.method != "sobol":
        flag = {"sampler": "--sampler", "ci_method": "--intervals", "replicates": "--replicates"}[next(iter(sobol_options))]
        raise RoqInputError(flag, f"applies to --method sobol only (got --method {args.method})")
    samples = args.samples or DEFAULT_SAMPLES[args.method]
    if samples > MAX_SAMPLES[args.method]:
        raise RoqInputError("--samples", f"at most {MAX_SAMPLES[args.method]:,} for {args.method} ({_WHY[args.method]}), got {samples:,}")
    with open_engine(args) as engine, heartbeat(f"sensitivity ({args.method}, {samples:,} samples)"):
        outputs = output_set(args, _expected_files(args))  # after the engine flags, before anything runs
        result = scenario.sensitivity(
            args.method,
            samples=samples,
            seed=args.seed,
            output=args.output,
            second_order=args.second_order,
            num_resamples=args.resamples,
            conf_level=args.conf_level,
            backend=args.backend,
            engine=engine,
            kernel=args.kernel,
            **sobol_options,
        )
    print(f"Scenario: {scenario.name}")
    print(result.summary())
    tables = None
    if args.out:
        tables = {f"sensitivity_{args.method}": result.to_frame()}
        if result.second_order is not None and len(result.second_order):
            tables[f"sensitivity_{args.method}_pairs"] = result.second_order
        tables["scenario_inputs"] = scenario.describe_frame()
    write_outputs(outputs, tables, f"sensitivity_{args.method}.xlsx", title=f"Sensitivity ({args.method}): {scenario.name}",
                  charts=args.charts, chart_source=result)
    return 0
