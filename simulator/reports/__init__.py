"""Charts and reports of ROQ scenarios: tornado, spider, Sobol' bars, fan charts, heatmaps.

- :mod:`~simulator.reports.charts`: matplotlib charts from plain tables (tornado, spider,
  Sobol' bars and second-order heatmap, Morris mu*-sigma, ROQ distribution, market-share
  fan chart, two-way heatmap with the ROQ = 1 contour, ROQ against the discount rate,
  IPA quadrants, SERVQUAL gap bars);
- :mod:`~simulator.reports.frames`: the simulator's results as those tables;
- :mod:`~simulator.reports.export`: PNG / SVG / PDF files and the report workbook with
  native, editable Excel charts (XlsxWriter), each written atomically;
- :mod:`~simulator.reports.report`: a scenario's whole report (``roq report``) and the
  charts of one result (``--charts`` on ``roq simulate``, ``sensitivity``, ``sweep``);
- :mod:`~simulator.reports.style`: the one style (Okabe-Ito colours, slide-sized figures).

matplotlib is imported only inside the functions that draw, so ``simulator`` stays
importable without it (e.g. in xlwings Lite).

Examples
--------
>>> from simulator.reports import build_report
>>> report = build_report(None, "roq-report", "png,xlsx", samples=2**16)  # doctest: +SKIP
"""

from .._lazy import lazy_exports

#: Where each public name lives; each submodule loads on first use (simulator._lazy), so
#: importing the package costs nothing until a function is called.
_EXPORTS = {
    "charts": ("discount_rate_curve", "fan_chart", "input_colors", "ipa_quadrant_chart", "morris_scatter", "roq_distribution_chart", "roq_histogram", "second_order_heatmap", "sensitivity_bars", "servqual_gap_chart", "sobol_bars", "spider_chart", "tornado_chart", "two_way_heatmap"),
    "frames": ("FAN_PATHS",),
    "options": ("add_charts_option",),
    "export": ("FORMATS", "parse_formats", "save_figure", "save_figures", "write_report_workbook"),
    "report": ("Report", "ReportData", "build_report", "case_study_survey", "compute_report", "figures_for", "report_figures", "report_tables", "survey_figures", "write_charts"),
}

__all__ = [
    "FAN_PATHS",
    "FORMATS",
    "Report",
    "ReportData",
    "add_charts_option",
    "build_report",
    "case_study_survey",
    "compute_report",
    "discount_rate_curve",
    "fan_chart",
    "figures_for",
    "input_colors",
    "ipa_quadrant_chart",
    "morris_scatter",
    "parse_formats",
    "report_figures",
    "report_tables",
    "roq_distribution_chart",
    "roq_histogram",
    "save_figure",
    "save_figures",
    "second_order_heatmap",
    "sensitivity_bars",
    "servqual_gap_chart",
    "sobol_bars",
    "spider_chart",
    "survey_figures",
    "tornado_chart",
    "two_way_heatmap",
    "write_charts",
    "write_report_workbook",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
