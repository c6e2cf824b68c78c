"""``roq simulate [SCENARIO]``: Monte Carlo of a scenario through the ROQ model.

Without SCENARIO it runs the built-in seed-001 scenario. Prints the summary; with
``--out DIR`` also writes ``montecarlo_summary.csv``, ``montecarlo_convergence.csv``,
``scenario_inputs.csv`` and the workbook ``montecarlo.xlsx`` into DIR.
"""

from __future__ import annotations

import argparse
import re


def count(text: str) -> int:
    """A whole number as a user types it: 262144, 262_144, 1e6, 2**18."""
    cleaned = text.replace("_", "").replace(",", "").strip()
    match = re.fullmatch(r"(\d+)\s*(?:\*\*|\^)\s*(\d+)", cleaned)
    try:
        value = int(match.group(1)) ** int(match.group(2)) if match else float(cleaned)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"expected a whole number (e.g. 262144, 1e6 or 2**18), got {text!r}") from None
    if value != int(value) or value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(value)


def seed_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def add_scenario_argument(parser) -> None:
    parser.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario TOML file (default: the built-in seed-001 scenario)")


def add_run_options(parser, *, samples_help: str = "number of scenarios (default: the scenario's [run] samples, 2**18 for the built-in)") -> None:
    from ..uncertainty.samplers import SAMPLERS

    parser.add_argument("--samples", type=count, metavar="N", help=samples_help)
    parser.add_argument("--seed", type=seed_value, metavar="SEED", help="random seed (default: the scenario's [run] seed); the same seed gives the same numbers")
    parser.add_argument("--sampler", choices=SAMPLERS, help="random (plain Monte Carlo), lhs (Latin hypercube) or sobol (scrambled Sobol'); default: the scenario's")


def add_out_option(parser) -> None:
    parser.add_argument("--out", metavar="DIR", help="write CSV files and a summary workbook into DIR (created if needed; files are replaced atomically)")


def load(args):
    from ..uncertainty.scenario import load_scenario

    return load_scenario(args.scenario)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="Monte Carlo of a scenario through the ROQ model (ROQ, NPV gain, final share: mean, sd, percentiles, P(ROQ > 1))",
        description="Run a Monte Carlo simulation of a scenario file (default: the built-in seed-001 scenario) through the "
        "vectorised ROQ model and print mean, sd, percentiles, P(ROQ > 1), expected shortfall and a convergence report.",
    )
    add_scenario_argument(parser)
    add_run_options(parser)
    parser.add_argument("--chunk-size", type=count, metavar="N", help="scenarios per model call (default 8192); changes speed and memory, never the numbers")
    parser.add_argument("--workers", type=count, metavar="N", help="threads evaluating blocks (default: number of CPUs); never changes the numbers")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar on stderr (default: on a terminal for long runs)")
    add_out_option(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from ..uncertainty.montecarlo import run_monte_carlo
    from ..uncertainty.results import write_tables

    scenario = load(args)
    result = run_monte_carlo(scenario, samples=args.samples, seed=args.seed, sampler=args.sampler, chunk_size=args.chunk_size, progress=args.progress, workers=args.workers)
    print(result.summary())
    if args.out:
        sheets = result.sheets()
        tables = {
            "montecarlo_summary": sheets["Summary"],
            "montecarlo_convergence": sheets["Convergence"],
            "scenario_inputs": sheets["Scenario"],
            "run_settings": sheets["Run"],
        }
        written = write_tables(args.out, tables, "montecarlo.xlsx", title=f"Monte Carlo: {scenario.name}")
        print(f"\nWrote {', '.join(p.name for p in written)} to {written[0].parent}")
    return 0
