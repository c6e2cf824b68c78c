"""``python -m simulator.reports DIR``: render the README's example charts into DIR.

The built-in scenario of Singgih's Return-on-Quality case study of an insurer at its own
run settings (2**18 Monte Carlo scenarios, seed 1995), Sobol' N = 1024, plus the survey
charts of Pole, Isharyani & Widada's claims-service case, as PNG at 120 dpi (1200 x 672
pixels for a slide-sized chart): the images in ``docs/images``. The same command gives the
same pictures.
"""

from __future__ import annotations

import sys

from .report import build_report, case_study_survey

DPI = 120


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m simulator.reports DIR", file=sys.stderr)
        return 2
    report = build_report(None, argv[0], "png", dpi=DPI, survey=case_study_survey(), progress=False)
    print(report.summary())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
