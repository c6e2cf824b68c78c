"""``roq case-study``: print the seed-001 Return-on-Quality case study."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "case-study",
        help="print the seed-001 ROQ case study (retention, share path, NPV, NPV0, NPVAS, ROQ)",
        description="Recompute the published seed-001 Return-on-Quality case study and print it beside the published figures.",
    )
    parser.set_defaults(handler=run)


def run(args) -> int:
    from ..roq.casestudy import case_study_report

    print(case_study_report())
    return 0
