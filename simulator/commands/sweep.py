"""``roq sweep [SCENARIO] --kind ...``: deterministic sweeps of a scenario.

Kinds: ``oneway`` (tornado: each uncertain input at its P10 and P90), ``spider`` (each
input at -30%..+30% of base), ``twoway`` (a grid of two inputs, default discount rate x
annual programme cost), ``discount`` (ROQ against the discount rate, 0%..60%),
``breakeven`` (per input, the value at which ROQ = 1) or ``all`` (default). With
``--out DIR`` writes ``sweep_<kind>.csv`` for each and the workbook ``sweeps.xlsx``.
Sweeps are small: ``--engine dask`` distributes only two-way grids of more than 65,536
points (``--points`` above 256), in chunks; everything else runs here.
"""

from __future__ import annotations

from ..reports.options import add_charts_option
from .simulate import add_engine_options, add_out_option, add_scenario_argument, count, load, open_engine, output_set, scalar_output, write_outputs

KINDS = ("oneway", "spider", "twoway", "discount", "breakeven")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="deterministic sweeps: tornado, spider, two-way grid, ROQ vs discount rate, break-even values",
        description="Deterministic sweeps of a scenario (default: the built-in scenario, Singgih's insurer case) with all other inputs at base.",
    )
    add_scenario_argument(parser)
    parser.add_argument("--kind", choices=KINDS + ("all",), default="all", help="which sweep (default all)")
    parser.add_argument("--output", default="roq", type=scalar_output, metavar="NAME", help="model output (default roq)")
    parser.add_argument("--x", default="discount_rate", metavar="INPUT", help="two-way grid: input across (default discount_rate)")
    parser.add_argument("--y", default="annual_cost", metavar="INPUT", help="two-way grid: input down (default annual_cost)")
    parser.add_argument("--points", type=count, default=11, metavar="N", help="two-way grid: values per input (default 11)")
    add_engine_options(parser)
    add_out_option(parser)
    add_charts_option(parser)
    parser.set_defaults(handler=run)


def _expected_files(args, kinds) -> list:
    names = [f"sweep_{kind}.csv" for kind in kinds] + ["scenario_inputs.csv", "sweeps.xlsx"] if args.out else []
    charted = {"oneway": "tornado", "spider": "spider", "twoway": "two_way", "discount": "discount_curve"}
    for fmt in args.charts or ():
        names += ["sweep_charts.xlsx"] if fmt == "xlsx" else [f"{charted[k]}.{fmt}" for k in kinds if k in charted]
    return names


def run(args) -> int:
    from ..uncertainty.sweeps import check_grid_size

    kinds = KINDS if args.kind == "all" else (args.kind,)
    if "twoway" in kinds:
        check_grid_size(args.points, args.points, "--points")  # before anything is allocated
    scenario = load(args)
    with open_engine(args) as engine:  # engine flags checked first; nothing starts yet
        return _run(args, scenario, engine, output_set(args, _expected_files(args, kinds)))


def _run(args, scenario, engine, outputs=None) -> int:
    from ..uncertainty import sweeps

    kinds = KINDS if args.kind == "all" else (args.kind,)
    tables = {}
    print(f"Scenario: {scenario.name}   ({args.output} at base: {scenario.evaluate_base((args.output,))[args.output]:.4g})")
    for kind in kinds:
        if kind == "oneway":
            table = sweeps.one_way(scenario, args.output, engine=engine)
            print(f"\nOne-way (tornado): each uncertain input at its P10 and P90, others at base")
            print(_show(table))
        elif kind == "spider":
            table = sweeps.spider(scenario, args.output, engine=engine)
            print(f"\nSpider: {args.output} with each input at base x (1 + change)")
            shown = table.pivot(index="change", columns="input", values=args.output)
            shown.index = [f"{c + 0.0:+.0%}" for c in shown.index]  # + 0.0 turns -0.0 into 0.0
            print(shown.to_string(float_format=lambda v: f"{v:.4g}"))
        elif kind == "twoway":
            table = sweeps.two_way(scenario, args.x, args.y, args.output, points=args.points, engine=engine)
            print(f"\nTwo-way: {args.output} by {args.x} (across) and {args.y} (down)")
            grid = table.pivot(index=args.y, columns=args.x, values=args.output)
            grid.columns = [_label(c) for c in grid.columns]
            grid.index = [_label(v) for v in grid.index]
            print(grid.to_string(float_format=lambda v: f"{v:.3f}"))
        elif kind == "discount":
            table = sweeps.discount_curve(scenario)
            print(f"\n{args.output if args.output == 'roq' else 'roq'} against the discount rate (others at base)")
            print(", ".join(f"{r:.0%}: {v:.2f}" for r, v in zip(table.discount_rate, table.roq)))
        else:
            table = sweeps.break_even(scenario, args.output)
            print(f"\nBreak-even: value of each input at which {args.output} = {1 if args.output == 'roq' else 0} (others at base; NaN: none in the searched range)")
            print(_show(table))
        tables[f"sweep_{kind}"] = table
    if args.out:
        tables["scenario_inputs"] = scenario.describe_frame()
    write_outputs(outputs, tables if args.out else None, "sweeps.xlsx", title=f"Sweeps: {scenario.name}", charts=args.charts,
                  chart_source=tables, scenario=scenario, output=args.output)
    return 0


def _label(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"


def _show(table) -> str:
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_columns", 20):
        return table.to_string(index=False, float_format=lambda v: f"{v:.6g}")
