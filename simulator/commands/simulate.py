"""``roq simulate [SCENARIO]``: Monte Carlo of a scenario through the ROQ model.

Without SCENARIO it runs the built-in scenario, Singgih's insurer case (or reads one from a workbook
range: ``roq simulate book.xlsx --range Scenario!A1:B40``). Prints the summary (or one
JSON document with ``--format json``; nothing with ``--quiet``); every result set
records the package version, the scenario's sha256, seed, sampler, engine and the
requested and achieved rank correlations. With ``--out DIR`` also writes
``montecarlo_summary.csv``, ``montecarlo_percentiles.csv``, ``montecarlo_targets.csv``,
``montecarlo_convergence.csv``, ``rank_correlations.csv``, ``sample_sensitivity.csv``
(the tornado), ``scenario_inputs.csv``, ``run_settings.csv``, the workbook
``montecarlo.xlsx`` and ``montecarlo.json`` into DIR; ``--export-samples FILE`` streams
the raw samples. ``--engine dask``
runs the blocks on a local Dask cluster (one worker process per core), ``--scheduler
ADDRESS`` on an existing one; the numbers are the same on every engine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
from pathlib import Path

from ..reports.options import add_charts_option
from ..uncertainty.options import MAX_CHUNK_SIZE, SAMPLERS


#: Largest whole number any count option accepts (each option may bound itself lower).
MAX_COUNT = 10**15


def count(text: str, maximum: int = MAX_COUNT, what: str = "") -> int:
    """A whole number as a user types it: 262144, 262_144, 1e6, 2**18; at most ``maximum``.

    Non-finite (``inf``, ``nan``, ``1e400``) and huge values are refused with a one-line
    message, never an OverflowError.
    """
    cleaned = text.replace("_", "").replace(",", "").strip()
    match = re.fullmatch(r"(\d+)\s*(?:\*\*|\^)\s*(\d+)", cleaned)
    try:
        if match:
            base, exponent = int(match.group(1)), int(match.group(2))
            # never compute a power with millions of digits: bound it by its logarithm first
            value = math.inf if base > 1 and exponent * math.log10(base) > 30 else base**exponent
        else:
            value = float(cleaned)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number (e.g. 262144, 1e6 or 2**18), got {text!r}") from None
    if math.isnan(value):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r} (not a number)")
    if math.isinf(value) or value > maximum:
        limit = "10**15" if maximum == MAX_COUNT else f"{maximum:,}"
        raise argparse.ArgumentTypeError(f"at most {limit}{' ' + what if what else ''}, got {text!r}")
    if value != int(value) or value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(value)


def bounded_count(maximum: int, what: str = ""):
    """An argparse type: :func:`count` at most ``maximum`` (``what`` says why)."""

    def parse(text: str) -> int:
        return count(text, maximum, what)

    parse.__name__ = "count"
    return parse


#: Largest --workers: threads or worker processes (far above any machine's cores).
MAX_WORKERS = 1024


def seed_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def add_scenario_argument(parser) -> None:
    parser.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario TOML file, or a workbook with --range (default: the built-in scenario, Singgih's insurer case)")
    parser.add_argument("--range", dest="scenario_range", metavar="SHEET!A1:B40",
                        help="read the scenario from this two-column key/value range of the SCENARIO workbook (.xlsx/.xlsm)")


def add_run_options(parser, *, samples_help: str = "number of scenarios (default: the scenario's [run] samples, 2**18 for the built-in)") -> None:
    parser.add_argument("--samples", type=count, metavar="N", help=samples_help)
    parser.add_argument("--seed", type=seed_value, metavar="SEED", help="random seed (default: the scenario's [run] seed); the same seed gives the same numbers")
    parser.add_argument("--sampler", choices=SAMPLERS, help="random (plain Monte Carlo), lhs (Latin hypercube) or sobol (scrambled Sobol'); default: the scenario's")


def add_out_option(parser) -> None:
    parser.add_argument("--out", metavar="DIR", help="write CSV files and a summary workbook into DIR (created if needed; the whole set "
                        "of files or none; checked before anything runs)")
    add_force_option(parser)


def add_force_option(parser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="replace existing output files, and remove the other files of the earlier run in the folder (runs never mix)")


def output_set(args, expected=()):
    """The :class:`simulator._files.OutputSet` of ``--out`` (or of ``--charts`` alone: the
    current folder), checked now, before any computation; None if nothing is written."""
    from .._files import OutputSet

    directory = getattr(args, "out", None) or ("." if getattr(args, "charts", None) else None)
    if directory is None:
        return None
    argument = "--out" if getattr(args, "out", None) else "--charts"
    return OutputSet(directory, force=getattr(args, "force", False), argument=argument, expected=expected).check()


def write_outputs(outputs, tables=None, workbook=None, title="", charts=None, chart_source=None, *, texts=None, say=print, **chart_options) -> None:
    """Write a command's tables (CSV + workbook), text files (``texts``: name -> str) and
    charts as one set into ``outputs`` (see :class:`simulator._files.OutputSet`) and say
    what was written."""
    from .._files import atomic_write
    from ..uncertainty.results import write_tables

    if outputs is None:
        return
    table_files, chart_files = [], []
    with outputs.staging() as stage:
        if tables:
            table_files = [p.name for p in write_tables(stage, tables, workbook, title=title)]
        for name, text in (texts or {}).items():
            table_files.append(atomic_write(stage / name, lambda temporary, text=text: Path(temporary).write_text(text, encoding="utf-8")).name)
        if charts:
            from ..reports import write_charts

            chart_files = [p.name for p in write_charts(chart_source, stage, charts, **chart_options)]
    if table_files:
        say(f"\nWrote {', '.join(table_files)} to {outputs.directory}")
    if chart_files:
        say(f"Wrote charts: {', '.join(chart_files)}" + ("" if table_files else f" to {outputs.directory}"))


def scalar_output(text: str) -> str:
    """argparse type of ``--output``: one of the model's single-number outputs (argparse's
    own "invalid choice" message), read from the model when a value is parsed, so that
    building the parser and ``--help`` import no numpy."""
    from ..roq import MODEL_OUTPUTS

    names = [name for name in MODEL_OUTPUTS if "_path" not in name]
    if text not in names:
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from {', '.join(map(repr, names))})")
    return text


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}") from None
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds > 0, got {text!r}")
    return value


def add_engine_options(parser) -> None:
    """``--engine local|dask``, ``--scheduler ADDRESS`` and ``--connect-timeout SECONDS``."""
    # a plain string (not argparse choices) so that a wrong name gets the one-line
    # "roq: error: --engine: ..." of every other bad input
    parser.add_argument("--engine", metavar="{local,dask}",
                        help="where the work runs: local (threads of this process; default) or dask (a local Dask cluster, one worker "
                        "process per core, or the cluster of --scheduler); never changes the numbers")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="use the existing Dask cluster whose scheduler is at ADDRESS (e.g. tcp://10.0.0.5:8786; implies --engine dask; "
                        "its workers need roq-toolkit installed)")
    parser.add_argument("--connect-timeout", type=positive_seconds, default=10.0, metavar="SECONDS",
                        help="give up on --scheduler after this many seconds (default 10)")


_ENGINE_ARGUMENTS = {"engine": "--engine", "scheduler": "--scheduler", "workers": "--workers", "connect_timeout": "--connect-timeout"}


@contextlib.contextmanager
def open_engine(args, workers: int | None = None):
    """The engine chosen by :func:`add_engine_options`' flags; closed (its cluster shut down) on exit.

    Engine errors, which may surface only when the engine is first used (e.g. an
    unreachable scheduler), name the command-line flag.
    """
    from ..engines import get_engine
    from ..errors import RoqInputError

    try:
        engine = get_engine(getattr(args, "engine", None), scheduler=getattr(args, "scheduler", None), workers=workers,
                            connect_timeout=getattr(args, "connect_timeout", 10.0), argument="--engine")
        with engine:
            yield engine
    except RoqInputError as error:
        if error.argument in _ENGINE_ARGUMENTS:
            raise RoqInputError(_ENGINE_ARGUMENTS[error.argument], error.problem) from None
        raise


def load(args):
    from ..errors import RoqInputError
    from ..uncertainty.scenario import WORKBOOK_SUFFIXES, load_scenario, scenario_from_workbook

    cell_range = getattr(args, "scenario_range", None)
    if cell_range is not None:
        if args.scenario is None:
            raise RoqInputError("--range", "needs a workbook: roq simulate book.xlsx --range Scenario!A1:B40")
        return scenario_from_workbook(args.scenario, cell_range)
    if args.scenario is not None and str(args.scenario).lower().endswith(WORKBOOK_SUFFIXES):
        raise RoqInputError(str(args.scenario), "is a workbook: give the scenario's range too, e.g. --range Scenario!A1:B40")
    return load_scenario(args.scenario)


def percentile_list(text: str) -> tuple:
    """``--percentiles 1,5,50,95,99``: percentages (0 < p < 100), returned as fractions."""
    try:
        values = [float(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected percentages separated by commas, e.g. 1,5,50,95,99, got {text!r}") from None
    if not values or not all(0 < v < 100 for v in values):
        raise argparse.ArgumentTypeError(f"percentiles are percentages strictly between 0 and 100 (5 for P5), got {text!r}")
    return tuple(v / 100 for v in values)


def target(text: str) -> tuple:
    """``--target npv_gain>0``: an output and a threshold; P(output > threshold) is reported."""
    from ..roq import MODEL_OUTPUTS

    name, sign, value = text.partition(">")
    name = name.strip()
    try:
        threshold = float(value.replace("_", ""))
    except ValueError:
        threshold = math.nan
    if not sign or not math.isfinite(threshold):
        raise argparse.ArgumentTypeError(f"expected OUTPUT>NUMBER, e.g. npv_gain>0 or roq>1.5, got {text!r}")
    if name not in MODEL_OUTPUTS or "_path" in name:
        from ..uncertainty.distributions import closest

        raise argparse.ArgumentTypeError(f"{name!r} is not a model output{closest(name, [n for n in MODEL_OUTPUTS if '_path' not in n])}")
    return name, threshold


def add_report_options(parser) -> None:
    """``--format``, ``--quiet``, ``--percentiles``, ``--target`` (simulate and compare)."""
    parser.add_argument("--format", dest="output_format", choices=("text", "json"), default="text",
                        help="stdout as the readable report (text, default) or one JSON document (json)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on stdout (errors still go to stderr); files are still written")
    parser.add_argument("--percentiles", type=percentile_list, metavar="LIST", help="percentiles to report, in percent (default 5,10,25,50,75,90,95)")
    parser.add_argument("--target", dest="targets", type=target, action="append", metavar="OUTPUT>X",
                        help="report P(OUTPUT > X) with its 95%% interval, e.g. --target npv_gain>0 (repeatable)")


def targets_of(args) -> dict:
    targets: dict = {}
    for name, threshold in getattr(args, "targets", None) or ():
        targets.setdefault(name, []).append(threshold)
    return targets


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="Monte Carlo of a scenario through the ROQ model (ROQ, NPV gain, final share: mean, sd, percentiles, P(ROQ > 1))",
        description="Run a Monte Carlo simulation of a scenario file (default: the built-in scenario, Singgih's insurer case) through the "
        "vectorised ROQ model and print mean, sd, percentiles, P(ROQ > 1), expected shortfall and a convergence report.",
    )
    add_scenario_argument(parser)
    add_run_options(parser)
    parser.add_argument("--chunk-size", type=bounded_count(MAX_CHUNK_SIZE, "scenarios per model call (memory grows with it)"), metavar="N",
                        help=f"scenarios per model call (default 8192, at most {MAX_CHUNK_SIZE:,}); changes speed and memory, never the numbers")
    parser.add_argument("--workers", type=bounded_count(MAX_WORKERS, "workers"), metavar="N", help="threads evaluating blocks, or with --engine dask the worker processes of the local "
                        f"cluster (default: number of CPUs, at most {MAX_WORKERS}); never changes the numbers")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress on stderr: a bar on a terminal, a plain line every 10 s otherwise (default on; --no-progress silences it and the time estimate)")
    parser.add_argument("--max-time", type=positive_seconds, metavar="SECONDS",
                        help="stop cleanly after SECONDS and report the scenarios done so far, labelled PARTIAL RESULT (exit status 3); "
                        "a long run prints its time estimate first")
    parser.add_argument("--kernel", choices=("auto", "numba", "numpy"), default=None,
                        help="how blocks are evaluated: the compiled numba kernel, the vectorised numpy path, or auto (default, or the ROQ_KERNEL "
                        "environment variable): numba for runs of at least 2**24 scenarios when it is installed; the two agree to rounding")
    add_engine_options(parser)
    add_out_option(parser)
    add_charts_option(parser)
    add_report_options(parser)
    parser.add_argument("--export-samples", metavar="FILE",
                        help="stream every scenario's sampled inputs and outputs to FILE (.parquet, needs pyarrow, or .csv); memory stays flat")
    parser.set_defaults(handler=run)


def _expected_files(args, scenario) -> list:
    names = ["montecarlo_summary.csv", "montecarlo_percentiles.csv", "montecarlo_targets.csv", "montecarlo_convergence.csv", "rank_correlations.csv",
             "scenario_inputs.csv", "run_settings.csv", "montecarlo.xlsx", "montecarlo.json"] if args.out else []
    for kind in args.charts or ():
        if kind == "xlsx":
            names.append("montecarlo_charts.xlsx")
        else:
            names += [f"{name}_distribution.{kind}" for name in scenario.outputs] + [f"market_share_fan.{kind}"]
    return names


def run(args) -> int:
    from .._files import atomic_write
    from ..reports import FAN_PATHS
    from ..uncertainty.montecarlo import run_monte_carlo
    from ..uncertainty.sample_export import sample_format

    scenario = load(args)
    if args.export_samples:
        sample_format(args.export_samples)
        from .._files import check_new_file

        check_new_file(args.export_samples, force=getattr(args, "force", False), argument="--export-samples")
    say = (lambda *a, **k: None) if args.quiet or args.output_format == "json" else print
    with open_engine(args, workers=args.workers) as engine:  # engine flags checked first; nothing starts yet
        outputs = output_set(args, _expected_files(args, scenario))
        # with --charts, the fan chart's per-year statistics come from every scenario of this run
        paths = FAN_PATHS if args.charts else ()
        options = dict(samples=args.samples, seed=args.seed, sampler=args.sampler, chunk_size=args.chunk_size, progress=args.progress,
                       engine=engine, path_outputs=paths, percentiles=args.percentiles, targets=targets_of(args), max_time=args.max_time,
                       kernel=args.kernel)
        if args.export_samples:
            # the samples go to a temporary file beside the target, moved into place only when the run completes
            holder = []
            atomic_write(args.export_samples, lambda temporary: holder.append(run_monte_carlo(scenario, export_samples=temporary, **options)))
            result = holder[0]
        else:
            result = run_monte_carlo(scenario, **options)
    if args.output_format == "json" and not args.quiet:
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    say(result.summary())
    if args.scenario is None:  # the built-in case: why its ROQ is not the paper's (roq case-study)
        from ..roq.casestudy import headline_note

        say("\nWhy this is not the paper's ROQ: " + headline_note())
    if args.export_samples:
        say(f"\nWrote {result.samples:,} scenarios' inputs and outputs to {args.export_samples}")
    tables, texts = None, {}
    if args.out:
        sheets = result.sheets()
        tables = {
            "montecarlo_summary": sheets["Summary"],
            "montecarlo_percentiles": sheets["Percentiles"],
            "montecarlo_targets": sheets["Targets"],
            "montecarlo_convergence": sheets["Convergence"],
            "rank_correlations": sheets["Correlations"],
            "scenario_inputs": sheets["Scenario"],
            "run_settings": sheets["Run"],
        }
        if "Sensitivity" in sheets:
            tables["sample_sensitivity"] = sheets["Sensitivity"]
        texts["montecarlo.json"] = json.dumps(result.to_dict(), indent=2, allow_nan=False)
    write_outputs(outputs, tables, "montecarlo.xlsx", title=f"Monte Carlo: {scenario.name}", charts=args.charts, chart_source=result,
                  texts=texts, say=say)
    return 3 if result.stopped_early else 0
