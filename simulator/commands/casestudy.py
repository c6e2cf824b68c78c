"""``roq case-study``: print Singgih's Return-on-Quality case study (an Indonesian life insurer)."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "case-study",
        help="print Singgih's ROQ case study of an insurer, recomputed (retention, share path, NPV, NPV0, NPVAS, ROQ)",
        description="Recompute Singgih's published Return-on-Quality case study (ITS Surabaya, an Indonesian life insurer) and print it "
        "beside the published figures, with why `roq simulate` shows another ROQ for the same case.",
    )
    parser.set_defaults(handler=run)


def run(args) -> int:
    from ..roq.casestudy import case_study_report

    print(case_study_report())
    return 0
