"""The ``--charts`` option of the commands that draw, without importing the drawing code.

Kept apart from :mod:`~simulator.reports.report` (pandas, matplotlib) so that building
the ``roq`` parser, and ``roq --help``, import none of them.
"""

from __future__ import annotations


def _formats_argument(text: str) -> tuple:
    """argparse type of ``--charts``: bad formats fail while parsing, before anything runs."""
    import argparse

    from ..errors import RoqInputError
    from .export import parse_formats

    try:
        return parse_formats(text, "--charts")
    except RoqInputError as error:
        raise argparse.ArgumentTypeError(error.problem) from None


def add_charts_option(parser) -> None:
    """Add ``--charts [FORMATS]`` to a command (bare ``--charts`` means PNG); ``args.charts`` is
    then None or a tuple of formats for :func:`~simulator.reports.report.write_charts`."""
    parser.add_argument("--charts", nargs="?", const=("png",), default=None, type=_formats_argument, metavar="FORMATS",
                        help="also draw the charts (png, svg, pdf, xlsx; comma-separated; default png) into --out (or the current directory)")
