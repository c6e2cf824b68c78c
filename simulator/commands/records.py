"""``roq records POLICIES.csv``: relationship analytics from a policy table.

Reads and checks the table (a bad cell ends with ``roq: error: policies.csv: row 17,
column start_date: ...``), prints renewal and retention, survival, the SPSS-style driver
regression, customer value and relationship capital, HVC staging and the ROQ inputs; with
``--out DIR`` also writes every table as ``records_<table>.csv`` (and ``--charts`` the
charts) as one set: all of them or nothing. The folder is checked before anything is
computed; existing files (or an earlier run's) are replaced only with ``--force``. ``roq records-example OUT.csv`` writes a generated portfolio
with known driver effects (see :mod:`simulator.records.generator`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .simulate import count, seed_value

#: Every table ``--out`` may write (file stem without the ``records_`` prefix).
TABLES = ("outcomes", "outcomes_overall", "survival", "survival_yearly", "drivers", "drivers_fit", "drivers_marginal_effects",
          "drivers_classification", "drivers_hosmer_lemeshow", "customer_value", "relationship_capital", "uplift", "hvc_customers",
          "hvc_funnel", "pareto", "roq_inputs")
CHARTS = ("records_survival", "records_retention", "records_odds_ratios", "records_clv", "records_hvc")


def _number(text: str) -> float:
    try:
        return float(text.strip().rstrip("%")) / (100.0 if text.strip().endswith("%") else 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number (a fraction such as 0.10, or 10%), got {text!r}") from None


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "records",
        help="relationship analytics from a policy table: renewal, retention, survival, drivers, CLV, HVC staging, ROQ inputs",
        description="Analyse customer records (one row per policy term): renewal and retention per period and segment, "
        "Kaplan-Meier survival of relationships, which service indicators drive renewal (binary logistic regression), customer "
        "lifetime value and relationship capital, High Value Customer staging (Kurniawan, PT Asuransi LMN, Table 4) and the "
        "measured retention as ROQ model inputs. Rates are fractions (0.10 = 10%; '10%' is accepted).",
    )
    parser.add_argument("policies", metavar="POLICIES.csv", help="policy table (CSV, header row; see README 'Customer records')")
    parser.add_argument("--out", metavar="DIR", help="write records_<table>.csv for every table into DIR (created if needed)")
    parser.add_argument("--by", metavar="COLUMN", help="split by segment, unit, risk or line (each customer's value on its first policy)")
    parser.add_argument("--discount-rate", type=_number, default=0.10, metavar="RATE", help="discount rate per year for CLV (default 0.10)")
    parser.add_argument("--margin-rate", type=_number, default=0.20, metavar="RATE", help="margin as a fraction of premium (default 0.20)")
    parser.add_argument("--uplift", type=_number, default=0.02, metavar="RATE",
                        help="renewal uplift for the relationship-capital change and the ROQ inputs (default 0.02 = 2 points)")
    parser.add_argument("--retention", default="drivers", metavar="METHOD",
                        help="retention behind CLV: drivers (default), segment, portfolio, survival, or a fraction such as 0.85")
    parser.add_argument("--horizon", type=count, metavar="YEARS", help="CLV horizon in years (default: none, the closed form)")
    parser.add_argument("--as-of", metavar="DATE", help="observation date YYYY-MM-DD (default: the day after the latest start date)")
    parser.add_argument("--charts", nargs="?", const="png", metavar="FORMATS", help="also draw the charts into --out (png, svg, pdf; default png)")
    parser.add_argument("--force", action="store_true", help="replace existing output files (an earlier run's files are removed)")
    parser.set_defaults(handler=run)

    example = subparsers.add_parser("records-example", help="write a generated policy portfolio with known driver effects (CSV)",
                                    description="Write a policy table drawn from the documented generator (simulator.records.generator).")
    example.add_argument("output", metavar="OUT.csv", help="file to write (never overwritten without --force)")
    example.add_argument("--customers", type=count, default=5000, metavar="N", help="number of customers (default 5000)")
    example.add_argument("--seed", type=seed_value, default=0, metavar="SEED", help="random seed (default 0)")
    example.add_argument("--force", action="store_true", help="replace OUT.csv if it exists")
    example.set_defaults(handler=run_example)


def run(args) -> int:
    from .._files import OutputSet
    from ..errors import RoqInputError
    from ..records import analyse_records, read_policies

    formats = ()
    if args.charts:
        from ..reports import parse_formats

        formats = tuple(f for f in parse_formats(args.charts, "--charts") if f in ("png", "svg", "pdf"))
        if not formats:
            raise RoqInputError("--charts", "must list png, svg or pdf")
        if not args.out:
            raise RoqInputError("--charts", "needs --out DIR (where the charts go)")
    retention = args.retention.strip().lower()
    if retention not in ("drivers", "segment", "portfolio", "survival"):
        try:
            retention = _number(retention)
        except argparse.ArgumentTypeError:
            raise RoqInputError("--retention", f"must be drivers, segment, portfolio, survival or a fraction, got {args.retention!r}") from None
    outputs = None
    if args.out:  # checked before any work: nothing is lost; the files move in as one set
        expected = [f"records_{name}.csv" for name in TABLES] + [f"{name}.{kind}" for name in CHARTS for kind in formats]
        outputs = OutputSet(args.out, force=args.force, expected=expected).check()
    portfolio = read_policies(args.policies)
    analysis = analyse_records(portfolio, by=args.by, discount_rate=args.discount_rate, margin_rate=args.margin_rate, uplift=args.uplift,
                               retention=retention, horizon=args.horizon, as_of=args.as_of)
    figures = {}
    if formats:
        from ..records.charts import records_figures

        figures = records_figures(analysis)
    print(analysis.summary())
    if outputs is not None:
        from ..reports import save_figures

        tables = analysis.tables()
        with outputs.staging() as stage:
            for name, frame in tables.items():
                frame.to_csv(stage / f"records_{name}.csv", index=False)
            charts = save_figures(figures, stage, formats) if figures else []
        print(f"\nwrote {len(tables) + len(charts)} files into {outputs.directory}")
    return 0


def run_example(args) -> int:
    from .._files import atomic_write
    from ..errors import RoqInputError
    from ..records import generate_portfolio

    target = Path(args.output)
    if target.suffix.lower() != ".csv":
        raise RoqInputError("OUT.csv", f"must end in .csv, got {target.name!r}")
    if target.exists() and not args.force:
        raise RoqInputError("OUT.csv", f"{target} already exists; add --force to replace it")
    generated = generate_portfolio(args.customers, seed=args.seed)
    atomic_write(target, lambda path: generated.policies.to_csv(path, index=False))
    print(f"wrote {target}: {len(generated.policies):,} policy terms of {args.customers:,} customers (seed {args.seed}); "
          f"true odds ratios per scale point: " + ", ".join(f"{k} {v:.3f}" for k, v in generated.odds_ratios.items()))
    return 0
