"""``roq report [SCENARIO] --out DIR``: every chart and table of a scenario, as files.

Runs the Monte Carlo, the sweeps (tornado, spider, two-way grid, ROQ against the discount
rate, break-evens) and Sobol' / Morris sensitivity of a scenario (default: the built-in
scenario of Singgih's Return-on-Quality case study of an insurer) and writes one image per chart (``--format png,svg,pdf``; ``pdf`` also
the PDF report ``roq_report.pdf``), the report workbook ``roq_report.xlsx`` with native
Excel charts (``--format xlsx``) and the result tables as CSV with units in the headers
(``--format csv``).
"""

from __future__ import annotations

from .simulate import add_engine_options, add_run_options, add_scenario_argument, count, load, open_engine


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="charts and report workbook of a scenario: distribution, fan chart, tornado, spider, Sobol', Morris, heatmap",
        description="Run a scenario's Monte Carlo, sweeps and sensitivity analysis and write every chart "
        "(PNG / SVG / PDF) and a report workbook with native, editable Excel charts into DIR.",
    )
    add_scenario_argument(parser)
    parser.add_argument("--out", metavar="DIR", required=True, help="directory for the report (created if needed; files are replaced atomically)")
    parser.add_argument("--format", default="png,xlsx", metavar="FORMATS",
                        help="comma-separated: png, svg, pdf (one file per chart; pdf also the report roq_report.pdf), "
                             "xlsx (roq_report.xlsx), csv (the tables, headers with units); default png,xlsx")
    add_run_options(parser)
    parser.add_argument("--dpi", type=count, default=150, metavar="N", help="PNG resolution (default 150: 1500 x 840 pixels per chart)")
    parser.add_argument("--sensitivity-samples", type=count, default=1024, metavar="N",
                        help="Sobol' base sample N, a power of two (default 1024; N (2D + 2) model runs)")
    parser.add_argument("--survey", choices=("none", "claims", "seed002"), default="none",
                        help="add the IPA quadrant and SERVQUAL gap charts of a survey (claims: Pole, Isharyani & Widada's "
                             "claims-service SERVQUAL case; seed002 is its old name)")
    add_engine_options(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from ..reports import build_report, case_study_survey, parse_formats

    formats = parse_formats(args.format, "--format")
    _check_installed(formats)
    scenario = load(args)
    survey = case_study_survey() if args.survey in ("claims", "seed002") else None
    with open_engine(args) as engine:
        report = build_report(scenario, args.out, formats, dpi=args.dpi, samples=args.samples, seed=args.seed, sampler=args.sampler,
                              sensitivity_samples=args.sensitivity_samples, survey=survey, progress=None, engine=engine)
    print(report.summary())
    return 0


def _check_installed(formats) -> None:
    """One-line error (not a traceback) when a format's library is missing."""
    from importlib.util import find_spec

    from ..cli import CommandError

    needed = (["matplotlib"] if set(formats) & {"png", "svg", "pdf"} else []) + (["xlsxwriter"] if "xlsx" in formats else [])
    missing = [name for name in needed if find_spec(name) is None]
    if missing:
        raise CommandError(f"--format: {' and '.join(missing)} not installed; reinstall roq-toolkit (pip install roq-toolkit) to get them")
