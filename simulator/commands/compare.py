"""``roq compare A.toml B.toml``: two scenarios side by side on common random numbers.

Runs both scenarios with the same seed, sampler and sample count (default: A's [run]
settings), so each scenario of A is paired with the one of B drawn from the same
uniforms, and prints mean of A, mean of B, the difference B - A with its 95% interval
and P(B > A) per output. ``--format json`` prints one JSON document; ``--out DIR`` writes
``comparison.csv``, ``comparison_run.csv``, ``comparison.xlsx`` and ``comparison.json``.
Either scenario may be a workbook range (``book.xlsx --range-a Sheet!A1:B40``).
"""

from __future__ import annotations

import json
from types import SimpleNamespace

from .simulate import add_engine_options, add_out_option, add_run_options, count, load, open_engine, percentile_list


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="two scenarios side by side on common random numbers: B - A with 95%% intervals, P(B > A)",
        description="Run scenarios A and B on the same random numbers (same seed, sampler and samples) and report each "
        "output's mean in A and B, the paired difference B - A with its 95% interval, and P(B > A).",
    )
    parser.add_argument("scenario_a", metavar="A", help="first scenario (TOML, or a workbook with --range-a)")
    parser.add_argument("scenario_b", metavar="B", help="second scenario (TOML, or a workbook with --range-b)")
    parser.add_argument("--range-a", metavar="SHEET!A1:B40", help="read A from this key/value range of workbook A")
    parser.add_argument("--range-b", metavar="SHEET!A1:B40", help="read B from this key/value range of workbook B")
    add_run_options(parser, samples_help="paired scenarios (default: A's [run] samples)")
    parser.add_argument("--chunk-size", type=count, metavar="N", help="scenarios per model call (default 8192); never changes the numbers")
    parser.add_argument("--workers", type=count, metavar="N", help="threads (or local Dask worker processes); never changes the numbers")
    parser.add_argument("--percentiles", type=percentile_list, metavar="LIST", help="percentiles of the difference, in percent (default 5,10,25,50,75,90,95)")
    parser.add_argument("--format", dest="output_format", choices=("text", "json"), default="text", help="stdout as text (default) or JSON")
    parser.add_argument("--quiet", action="store_true", help="print nothing on stdout; files are still written")
    add_engine_options(parser)
    add_out_option(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from ..uncertainty.comparison import compare_monte_carlo
    from ..uncertainty.results import write_tables

    a = load(SimpleNamespace(scenario=args.scenario_a, scenario_range=args.range_a))
    b = load(SimpleNamespace(scenario=args.scenario_b, scenario_range=args.range_b))
    with open_engine(args, workers=args.workers) as engine:
        result = compare_monte_carlo(a, b, samples=args.samples, seed=args.seed, sampler=args.sampler, chunk_size=args.chunk_size,
                                     engine=engine, percentiles=args.percentiles)
    if not args.quiet:
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False) if args.output_format == "json" else result.summary())
    if args.out:
        import pandas as pd

        from .._files import atomic_write

        run_settings = pd.DataFrame([(k, str(v)) for k, v in result.provenance().items()], columns=["setting", "value"])
        written = write_tables(args.out, {"comparison": result.to_frame().reset_index(), "comparison_run": run_settings}, "comparison.xlsx",
                               title=f"Comparison: {a.name} vs {b.name}")
        document = json.dumps(result.to_dict(), indent=2, allow_nan=False)
        written.append(atomic_write(written[0].parent / "comparison.json", lambda temporary: open(temporary, "w", encoding="utf-8").write(document)))
        if not args.quiet and args.output_format == "text":
            print(f"\nWrote {', '.join(p.name for p in written)} to {written[0].parent}")
    return 0
