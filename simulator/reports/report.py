"""Build a scenario's whole report: run everything, draw every chart, write the files.

:func:`compute_report` runs the analyses of a scenario (Monte Carlo, one-way / spider /
two-way sweeps, the ROQ-vs-discount-rate curve and break-evens, Sobol' and Morris
sensitivity) and returns their tables in a :class:`ReportData`, without drawing;
:func:`report_figures` draws them; :func:`build_report` does both and writes the images
(PNG / SVG / PDF) and the report workbook with native Excel charts. :func:`write_charts`
draws whatever one result object holds, for the ``--charts`` option of ``roq simulate``,
``roq sensitivity`` and ``roq sweep``.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from . import charts
from .._files import prepare_directory
from .export import IMAGE_FORMATS, parse_formats, save_figure, write_report_workbook, write_tables_csv
from .frames import (
    FAN_PATHS,
    SAMPLE_SIZE,
    output_statistics,
    programme_decision,
    report_sample,
    sample_tornado,
    second_order_is_informative,
    second_order_note,
    _output_of,
    distribution_statistics,
    finite_or_none,
    histogram_from_result,
    market_share_fan,
    spider_frame,
    sweep_kind,
    tornado_frame,
)
from .options import add_charts_option  # noqa: F401 (re-exported; its own module so that building the roq parser stays cheap)
from .style import DEFAULT_DPI, case_name, format_halfwidth

__all__ = [
    "ReportData",
    "Report",
    "compute_report",
    "report_figures",
    "report_tables",
    "build_report",
    "figures_for",
    "write_charts",
    "survey_figures",
    "case_study_survey",
    "add_charts_option",
    "REPORT_WORKBOOK",
    "REPORT_PDF",
    "write_pdf_report",
]

#: File name of the report workbook.
REPORT_WORKBOOK = "roq_report.xlsx"
#: File name of the PDF report (with ``pdf`` among the formats).
REPORT_PDF = "roq_report.pdf"


@dataclass
class ReportData:
    """Everything a scenario report shows, as result objects and tables (no figures).

    Attributes
    ----------
    scenario : Scenario
    monte_carlo : MonteCarloResult
    histogram : DataFrame
        ROQ histogram of the whole run (from its quantile sketch).
    fan : DataFrame
        Per-year market-share percentiles over every scenario of the run (``attrs``:
        ``base``, ``without_programme``).
    one_way, spider, two_way, discount_curve, break_even : DataFrame
        The sweep tables of :mod:`simulator.uncertainty.sweeps`.
    two_way_axes : (str, str)
    sobol, morris : SensitivityResult or None
    discount_break_even : float or None
        Discount rate at which ROQ = 1 (NaN/None when ROQ stays on one side).
    survey : dict
        Optional ``ipa`` / ``gaps`` survey results.
    notes : list of str
        What was skipped and why.
    """

    scenario: object
    monte_carlo: object
    histogram: pd.DataFrame
    fan: pd.DataFrame
    one_way: pd.DataFrame
    spider: pd.DataFrame
    two_way: pd.DataFrame
    two_way_axes: tuple
    discount_curve: pd.DataFrame
    break_even: pd.DataFrame
    sobol: object = None
    morris: object = None
    discount_break_even: float | None = None
    survey: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    sample: dict = field(default_factory=dict)
    sample_sensitivity: dict = field(default_factory=dict)
    sobol_samples: int = 0
    morris_trajectories: int = 0

    @property
    def sobol_runs(self) -> int:
        """Model runs of the Sobol' design: N (2D + 2) with second-order indices."""
        return self.sobol_samples * (2 * len(self.scenario.uncertain) + 2)

    @property
    def morris_runs(self) -> int:
        """Model runs of the Morris design: r (D + 1)."""
        return self.morris_trajectories * (len(self.scenario.uncertain) + 1)

    @property
    def base_roq(self) -> float:
        return float(self.monte_carlo.base.get("roq", math.nan))

    @property
    def title(self) -> str:
        """The case by its publication (never a file number), as every page names it."""
        return case_name(self.scenario.name)

    @property
    def summary_outputs(self) -> tuple:
        """Outputs with a one-page summary: ROQ first, then the scenario's other scalar outputs."""
        return tuple(n for n in self.monte_carlo.outputs if n in self.sample.get("outputs", {}) and n in self.monte_carlo.statistics)

    def verdict(self):
        """The programme verdict from P(ROQ > 1) (None where the project has no verdict function)."""
        return programme_decision(self.monte_carlo)

    def probability_line(self) -> str:
        """P(ROQ > 1) with its interval, and the verdict when there is one."""
        verdict = self.verdict()
        if verdict is not None:
            return verdict.line("ROQ")
        stats = self.monte_carlo.statistics.get("roq")
        if stats is None or 1.0 not in stats["exceed"]:
            return ""
        p, half = stats["exceed"][1.0], stats["exceed_halfwidth"].get(1.0, math.nan)
        return f"P(ROQ > 1) = {p:.2%} ± {format_halfwidth(half)} (95% CI half-width) over {int(stats['count']):,} scenarios"

    def caption(self, what: str | None = None) -> str:
        """Subtitle naming the scenario and the sample a chart comes from."""
        return f"{case_name(self.scenario.name, short=True)} · {what or f'{self.monte_carlo.samples:,} Monte Carlo scenarios (seed {self.monte_carlo.seed})'}"


@dataclass
class Report:
    """What :func:`build_report` wrote.

    Attributes
    ----------
    out_dir : Path
    files : list of Path
    data : ReportData
    """

    out_dir: Path
    files: list
    data: ReportData

    def to_frame(self) -> pd.DataFrame:
        """One row per file: ``file, format, bytes``."""
        return pd.DataFrame({
            "file": [p.name for p in self.files],
            "format": [p.suffix.lstrip(".") for p in self.files],
            "bytes": [p.stat().st_size for p in self.files],
        })

    def summary(self) -> str:
        mc = self.data.monte_carlo
        lines = [
            f"ROQ report: {self.data.title}",
            f"Monte Carlo: {mc.samples:,} scenarios (sampler {mc.sampler}, seed {mc.seed}); base ROQ {self.data.base_roq:.3f}; "
            f"mean ROQ {mc.statistics['roq']['mean']:.3f}" if "roq" in mc.statistics else "",
            self.data.probability_line(),
            f"Wrote {len(self.files)} files to {self.out_dir}:",
        ]
        lines += [f"  {p.name}" for p in self.files]
        return "\n".join(line for line in lines if line)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()


# --------------------------------------------------------------------------- survey side


def case_study_survey() -> dict:
    """Pole et al.'s survey results (claim service, 21 items): IPA and SERVQUAL gap 5."""
    from ..survey import importance_performance, servqual_gap5
    from ..survey.casestudy import claims_servqual_means

    means = claims_servqual_means()
    return {
        "ipa": importance_performance(means["expectation"], means["perception"], items=means["items"]),
        "gaps": servqual_gap5(means["perception"], means["expectation"], items=means["items"], dimensions=means["dimensions"]),
    }


def survey_figures(ipa=None, gaps=None) -> dict:
    """IPA quadrant plot and SERVQUAL gap bars from survey results (or their ``to_frame()``)."""
    figures = {}
    if ipa is not None:
        frame = ipa.to_frame() if hasattr(ipa, "to_frame") else ipa
        figures["ipa_quadrants"] = charts.ipa_quadrant_chart(frame, importance_cut=getattr(ipa, "importance_cut", None),
                                                            performance_cut=getattr(ipa, "performance_cut", None))
    if gaps is not None:
        frame = gaps.to_frame() if hasattr(gaps, "to_frame") else gaps
        figures["servqual_gaps"] = charts.servqual_gap_chart(frame, gap_name=getattr(gaps, "gap_name", "Gap 5"),
                                                             overall_gap=getattr(gaps, "overall_gap", None))
    return figures


# --------------------------------------------------------------------------- the analyses


def compute_report(scenario=None, *, samples: int | None = None, seed: int | None = None, sampler: str | None = None,
                   sensitivity_samples: int = 1024, morris_trajectories: int = 40,
                   two_way: tuple[str, str] = ("discount_rate", "annual_cost"), two_way_points: int = 25,
                   survey: Mapping | None = None, progress: bool | None = False, engine=None,
                   sample_size: int = SAMPLE_SIZE) -> ReportData:
    """Run every analysis of a scenario's report.

    Parameters
    ----------
    scenario : Scenario, str, Path or None
        A scenario, a TOML file, or None for the built-in scenario (Singgih's case).
    samples, seed, sampler : optional
        Monte Carlo settings (default: the scenario's [run] section).
    sensitivity_samples : int
        Sobol' base sample N (a power of two; N (2D + 2) model runs); 0 skips Sobol'.
    morris_trajectories : int
        Morris trajectories (``(D + 1)`` model runs each); 0 skips Morris.
    two_way : (str, str)
        Inputs of the two-way grid (across, down).
    two_way_points : int
        Grid values per input.
    survey : mapping, optional
        ``{"ipa": ImportancePerformance, "gaps": ServqualGaps}`` to add the survey charts.
    progress : bool, optional
        Monte Carlo progress bar.
    engine : str or engine, optional
        Where the Monte Carlo, sweeps and sensitivity runs execute
        (:func:`simulator.engines.get_engine`; default local). Numbers do not depend on it.
    sample_size : int
        Scenarios of the run drawn again, with their outputs, for the sample-based charts
        (tornado by contribution to variance, input distributions, scatter, with/without
        overlays); the run's own first scenarios. 0 skips them.

    Returns
    -------
    ReportData
    """
    from ..uncertainty import load_scenario, run_monte_carlo, sweeps
    from ..uncertainty.scenario import Scenario
    from ..uncertainty.sensitivity import run_sensitivity

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    outputs = tuple(dict.fromkeys(("roq",) + tuple(scenario.outputs)))  # the report is about ROQ, whatever else is asked
    # the fan chart's per-year percentiles come from the same run: every scenario, no second pass
    mc = run_monte_carlo(scenario, samples=samples, seed=seed, sampler=sampler, progress=progress, outputs=outputs, engine=engine,
                         path_outputs=FAN_PATHS)
    histogram = histogram_from_result(mc, "roq")
    fan = market_share_fan(mc)
    one_way = sweeps.one_way(scenario, "roq", engine=engine)
    spider = sweeps.spider(scenario, "roq", engine=engine)
    break_even = sweeps.break_even(scenario, "roq")

    def break_even_of(name):
        rows = break_even[break_even["input"] == name]
        return finite_or_none(rows["break_even"].iloc[0]) if len(rows) else None

    # two-way grid: wide enough to show where the verdict flips, when it flips in a sensible range
    x, y = two_way
    grids = {}
    for name in (x, y):
        base = float(scenario.base[name])
        point = break_even_of(name)
        if name in scenario.uncertain:
            low, high = scenario.uncertain[name].support
            if not (math.isfinite(low) and math.isfinite(high)):
                low, high = (float(v) for v in scenario.uncertain[name].ppf(np.array([0.01, 0.99])))
        else:
            low, high = 0.5 * base, 1.5 * base
        if point is not None and high < point <= 4 * max(high, 1e-12):
            high = 1.25 * point
        grids[name] = np.linspace(low, high, int(two_way_points))
    grid = sweeps.two_way(scenario, x, y, "roq", x_values=grids[x], y_values=grids[y], engine=engine)
    rate_break_even = break_even_of("discount_rate") if "discount_rate" in scenario.base else None
    top_rate = 0.6 if rate_break_even is None or rate_break_even > 3.0 else max(0.6, 1.15 * rate_break_even)
    curve = sweeps.discount_curve(scenario, rates=np.round(np.linspace(0.0, top_rate, 61), 6))
    model = scenario.model_function("roq")
    sobol = morris = None
    notes = []
    if len(scenario.uncertain) < 2:
        notes.append("Sensitivity analysis needs at least two uncertain inputs; skipped.")
    else:
        if sensitivity_samples:
            sobol = run_sensitivity(model, scenario.uncertain, "sobol", samples=int(sensitivity_samples), seed=mc.seed, output_name="roq", engine=engine)
        if morris_trajectories:
            try:
                morris = run_sensitivity(model, scenario.uncertain, "morris", samples=int(morris_trajectories), seed=mc.seed, output_name="roq", engine=engine)
            except ImportError as error:  # SALib missing (e.g. a browser runtime without it): no Morris chart
                notes.append(f"Morris screening skipped: {error}")
    sample = report_sample(mc, sample_size) if sample_size else {}
    tornados = {}
    for name in outputs:
        if sample and name in sample["outputs"]:
            result = sample_tornado(sample, name)
            if result is not None:
                tornados[name] = result
    return ReportData(
        scenario=scenario, monte_carlo=mc, histogram=histogram, fan=fan, one_way=one_way, spider=spider,
        two_way=grid, two_way_axes=(x, y), discount_curve=curve, break_even=break_even, sobol=sobol, morris=morris,
        discount_break_even=rate_break_even, survey=dict(survey or {}), notes=notes, sample=sample, sample_sensitivity=tornados,
        sobol_samples=int(sensitivity_samples) if sobol is not None else 0, morris_trajectories=int(morris_trajectories) if morris is not None else 0,
    )


def report_figures(data: ReportData) -> dict:
    """Every chart of a report, by file stem (matplotlib figures), each subtitled with its
    scenario (by publication) and the sample it comes from."""
    from . import sample_charts

    scenario = data.scenario
    currency = scenario.currency or "IDR"
    mc = data.monte_carlo
    figures = {}
    run = data.caption()
    drawn = f"{data.sample.get('samples', 0):,} of the run's {mc.samples:,} scenarios"
    with charts.caption(data.caption(drawn)):
        for name in data.summary_outputs:
            sensitivity = data.sample_sensitivity.get(name)
            statistics = output_statistics(mc, name)
            target = _target(data, name)
            figures[f"summary_{name}"] = sample_charts.output_summary_chart(
                data.sample["outputs"][name], statistics, sensitivity.table if sensitivity is not None else None, output=name,
                threshold=target[0], threshold_label=target[1], probability=statistics.attrs["probability"],
                probability_halfwidth=statistics.attrs["probability_halfwidth"], currency=currency,
                verdict=data.probability_line() if name == "roq" else None)
    with charts.caption(run):
        figures["roq_distribution"] = charts.roq_distribution_chart(
            data.histogram, probability_above=mc.probability("roq"), statistics=distribution_statistics(mc, "roq"), currency=currency)
        if "npv_gain" in mc.statistics:
            histogram = histogram_from_result(mc, "npv_gain", threshold=None)
            figures["npv_gain_distribution"] = charts.roq_distribution_chart(
                histogram, output="npv_gain", statistics=distribution_statistics(mc, "npv_gain"), currency=currency, threshold=None)
        with_without = "market_share_path_without_programme" in mc.path_outputs and bool(data.sample)
        # the path without the programme is on the with / without chart; the fan is zoomed on its bands
        figures["market_share_fan"] = charts.fan_chart(data.fan, base=data.fan.attrs.get("base"),
                                                       comparison=None if with_without else data.fan.attrs.get("without_programme"))
        if with_without:
            figures["with_without"] = sample_charts.with_without_chart(
                mc.path_statistics("market_share_path"), mc.path_statistics("market_share_path_without_programme"),
                data.sample["outputs"]["npv_with_programme"], data.sample["outputs"]["npv_without_programme"], currency=currency)
        figures["convergence"] = sample_charts.convergence_chart(mc.convergence_frame(), output="roq", currency=currency)
    if data.sample:
        with charts.caption(data.caption(drawn)):
            figures["input_distributions"] = sample_charts.input_distributions_chart(data.sample["inputs"], currency=currency)
            if "roq" in data.sample_sensitivity:
                tornado = data.sample_sensitivity["roq"]
                figures["sample_tornado"] = sample_charts.sample_sensitivity_chart(
                    tornado.table, output="roq", samples=tornado.samples, r_squared=tornado.rank_r_squared)
                figures["scatter_drivers"] = sample_charts.input_output_scatter(
                    data.sample["inputs"], data.sample["outputs"]["roq"], output="roq", drivers=list(tornado.table["input"][:3]), currency=currency)
    table, base = tornado_frame(data.one_way, "roq")
    colors = charts.input_colors(list(scenario.uncertain) + [n for n in data.one_way["input"] if n not in scenario.uncertain])
    with charts.caption(data.caption("deterministic: one input at a time, the others at base")):
        figures["tornado"] = charts.tornado_chart(table, base, currency=currency, subtitle="each input at the P10 / P90 of its distribution, the others at base")
        stops = "lines stop where an input would leave its valid range" if "valid" in data.spider and not data.spider["valid"].all() else None
        figures["spider"] = charts.spider_chart(spider_frame(data.spider, "roq"), base_output=base, colors=colors, subtitle=stops)
    if data.sobol is not None:
        sobol_what = f"Sobol' design, N = {data.sobol_samples:,} ({data.sobol_runs:,} model runs)" if data.sobol_samples else "Sobol' design"
        with charts.caption(data.caption(sobol_what)):
            second = data.sobol.second_order
            informative = second_order_is_informative(second)
            note = None if informative or second is None or not len(second) else second_order_note(second)
            figures["sobol_indices"] = charts.sobol_bars(data.sobol.table, conf_level=data.sobol.conf_level, note=note)
            if informative:
                figures["sobol_second_order"] = charts.second_order_heatmap(second)
    if data.morris is not None:
        with charts.caption(data.caption(f"Morris design, {data.morris_runs:,} model runs" if data.morris_runs else "Morris design")):
            figures["morris"] = charts.morris_scatter(data.morris.table, conf_level=data.morris.conf_level, colors=colors)
    x, y = data.two_way_axes
    with charts.caption(data.caption(f"deterministic grid, {int(data.two_way['valid'].astype(bool).sum()):,} points")):
        figures["two_way"] = charts.two_way_heatmap(data.two_way[data.two_way["valid"].astype(bool)], x, y, value="roq",
                                                   base_point=(float(scenario.base[x]), float(scenario.base[y])), currency=currency)
        base_rate = float(scenario.base["discount_rate"]) if "discount_rate" in scenario.base else None
        figures["discount_curve"] = charts.discount_rate_curve(data.discount_curve, breakeven=data.discount_break_even, base_rate=base_rate)
    with charts.caption(None):
        figures.update(survey_figures(data.survey.get("ipa"), data.survey.get("gaps")))
    return figures


def _target(data: ReportData, output: str) -> tuple:
    """The line on an output's histogram: break-even ROQ = 1, or for NPV gain the base
    programme cost NPVAS (where ROQ = 1), or none."""
    if output == "roq":
        return "auto", None
    if output == "npv_gain" and "npv_programme_cost" in data.sample.get("outputs", {}):
        cost = float(np.median(data.sample["outputs"]["npv_programme_cost"]))
        return cost, "median programme cost NPVAS (ROQ = 1)"
    return None, None


def report_tables(data: ReportData) -> dict:
    """The result tables of a report, by sheet title (for the workbook and for Excel ranges)."""
    mc = data.monte_carlo
    sheets = mc.sheets()
    tables = {
        "Summary": sheets["Summary"],
        "Convergence": sheets["Convergence"],
        "Scenario inputs": sheets["Scenario"],
        "Run": sheets["Run"],
        "One-way sweep": data.one_way,
        "Spider sweep": data.spider,
        "Two-way grid": data.two_way,
        "Discount curve": data.discount_curve,
        "Break-even": data.break_even,
        "Fan percentiles": data.fan,
    }
    if data.sobol is not None:
        tables["Sobol indices"] = data.sobol.table
        if data.sobol.second_order is not None:
            tables["Sobol second order"] = data.sobol.second_order
    if data.morris is not None:
        tables["Morris"] = data.morris.table
    if data.sample_sensitivity:
        tables["Sample sensitivity"] = pd.concat(
            [result.table.assign(output=name)[["output"] + list(result.table.columns)] for name, result in data.sample_sensitivity.items()],
            ignore_index=True)
    if data.survey.get("ipa") is not None:
        tables["IPA"] = data.survey["ipa"].to_frame()
    if data.survey.get("gaps") is not None:
        tables["SERVQUAL gaps"] = data.survey["gaps"].to_frame()
    return tables


#: Tables the report workbook leaves out because a chart sheet already holds them (the
#: 625-point two-way grid is on "Two-way" as a colour-scaled grid).
_ON_CHART_SHEETS = ("Two-way grid", "Discount curve", "Fan percentiles", "Sobol indices", "Morris")


def _workbook(data: ReportData, path: Path) -> Path:
    mc = data.monte_carlo
    table, base = tornado_frame(data.one_way, "roq")
    tables = {k: v for k, v in report_tables(data).items() if k not in _ON_CHART_SHEETS}
    return write_report_workbook(
        path,
        tornado=table,
        base_output=base,
        sobol=data.sobol.table if data.sobol is not None else None,
        histogram=data.histogram,
        probability_above=mc.probability("roq"),
        fan=data.fan,
        fan_base=data.fan.attrs.get("base"),
        tables=tables,
        table_units={"One-way sweep": {"swing": "ratio"}},
        currency=data.scenario.currency or "IDR",
        title=f"ROQ report: {data.title}",
        conf_level=data.sobol.conf_level if data.sobol is not None else 0.95,
        report=data,
    )


def build_report(scenario=None, out_dir: str | Path = "roq-report", formats=("png", "xlsx"), *, dpi: int = DEFAULT_DPI,
                 survey: Mapping | None = None, **options) -> Report:
    """Run a scenario's analyses and write every chart and the report workbook.

    Parameters
    ----------
    scenario : Scenario, str, Path or None
        None: the built-in scenario (Singgih's case).
    out_dir : str or Path
        Created if needed; files are replaced atomically.
    formats : str or sequence
        Any of ``png, svg, pdf`` (one file per chart; ``pdf`` also the PDF report
        ``roq_report.pdf``), ``xlsx`` (the report workbook, ``roq_report.xlsx``, with
        native Excel charts) and ``csv`` (each result table, headers with units).
    dpi : int
        PNG resolution.
    survey : mapping, optional
        Survey results to chart too (see :func:`compute_report`).
    **options
        Passed to :func:`compute_report` (``samples``, ``seed``, ``sampler``,
        ``sensitivity_samples``, ...).

    Returns
    -------
    Report

    Examples
    --------
    >>> report = build_report(None, "/tmp/roq-report", "png", samples=2**14)  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    """
    formats = parse_formats(formats)
    directory = prepare_directory(out_dir)
    data = compute_report(scenario, survey=survey, **options)
    files = []
    if any(kind in IMAGE_FORMATS for kind in formats):
        figures = report_figures(data)
        for name, figure in figures.items():
            for kind in formats:
                if kind in IMAGE_FORMATS:
                    files.append(save_figure(figure, directory / f"{name}.{kind}", dpi=dpi))
        if "pdf" in formats:
            files.append(write_pdf_report(data, directory / REPORT_PDF, figures=figures))
    if "xlsx" in formats:
        files.append(_workbook(data, directory / REPORT_WORKBOOK))
    if "csv" in formats:
        files += write_tables_csv(report_tables(data), directory, currency=data.scenario.currency or "IDR")
    return Report(out_dir=directory, files=files, data=data)


#: The order in which the PDF report tells the story: the answer, what drives it, the detail.
PDF_STORY = ("summary_roq", "summary_npv_gain", "with_without", "market_share_fan", "sample_tornado", "scatter_drivers", "tornado",
             "spider", "two_way", "discount_curve", "sobol_indices", "sobol_second_order", "morris", "input_distributions",
             "convergence", "summary_final_market_share", "ipa_quadrants", "servqual_gaps")


def write_pdf_report(data: ReportData, path: str | Path, *, figures: Mapping | None = None, dpi: int = 110) -> Path:
    """The whole report as one PDF to print or send: a cover page with the answer, then the charts.

    Page 1 names the case (by its publication), the run and the key numbers (base and
    mean ROQ, P(ROQ > 1) with its interval and the verdict where the project has one);
    then each output's one-page summary on a landscape page and the other charts two to
    an A4 portrait page, in the order of :data:`PDF_STORY` (matplotlib ``PdfPages``;
    charts are embedded as images at ``dpi``).

    Returns
    -------
    Path
    """
    import io

    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.image import imread

    from .export import atomic_write

    figures = dict(figures) if figures is not None else report_figures(data)
    order = [n for n in PDF_STORY if n in figures] + [n for n in figures if n not in PDF_STORY]
    mc = data.monte_carlo

    def image(figure):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi)
        buffer.seek(0)
        return imread(buffer)

    def cover() -> Figure:
        page = Figure(figsize=(8.27, 11.69))
        lines = [
            (0.93, "ROQ report", 22, "bold"),
            (0.89, data.title, 12, "normal"),
            (0.84, f"Monte Carlo: {mc.samples:,} scenarios (sampler {mc.sampler}, seed {mc.seed})", 11, "normal"),
            (0.81, f"Base-case ROQ {data.base_roq:.3f}; mean ROQ {mc.statistics['roq']['mean']:.3f}" if "roq" in mc.statistics else "", 11, "normal"),
        ]
        for y, text, size, weight in lines:
            page.text(0.08, y, "\n".join(textwrap.wrap(text, 85)), fontsize=size, fontweight=weight, va="top", family="DejaVu Sans")
        page.text(0.08, 0.77, "\n".join(textwrap.wrap(data.probability_line(), 80)), fontsize=12, fontweight="bold", va="top", family="DejaVu Sans")
        contents = ["Pages:"] + [f"  {k}. {_PDF_TITLES.get(name, name.replace('_', ' '))}" for k, name in enumerate(order, start=2)]
        notes = [f"Note: {n}" for n in data.notes]
        page.text(0.08, 0.70, "\n".join(contents + [""] + notes), fontsize=10.5, va="top", family="DejaVu Sans", linespacing=1.5)
        page.text(0.08, 0.05, "Shares, rates and probabilities are shown as percentages; money in "
                              f"{data.scenario.currency or 'IDR'}; ROQ = (NPV - NPV0) / NPVAS pays when > 1 (Rust, Zahorik & Keiningham 1995).",
                  fontsize=8.5, color="#555555", wrap=True)
        return page

    def pages():
        yield cover()
        pending = []
        for name in order:
            figure = figures[name]
            width, height = figure.get_size_inches()
            if width / height < 1.6:  # a page-sized chart (the one-page summaries): a landscape page of its own
                page = Figure(figsize=(11.69, 8.27))
                ax = page.add_axes((0.03, 0.03, 0.94, 0.94))
                ax.imshow(image(figure))
                ax.axis("off")
                yield page
                continue
            pending.append(figure)
            if len(pending) == 2:
                yield _two_up(pending, image)
                pending = []
        if pending:
            yield _two_up(pending, image)

    def write(temporary):
        with PdfPages(temporary, metadata={"Title": f"ROQ report: {data.title}", "Creator": "roq-toolkit", "CreationDate": None}) as pdf:
            for number, page in enumerate(pages(), start=1):
                page.text(0.5, 0.012, f"{number}", ha="center", fontsize=8, color="#555555")
                pdf.savefig(page)

    return atomic_write(Path(path), write)


_PDF_TITLES = {
    "summary_roq": "ROQ: one-page summary", "summary_npv_gain": "NPV gain: one-page summary", "with_without": "With and without the programme",
    "market_share_fan": "Market share fan chart", "sample_tornado": "What drives ROQ (contribution to variance)",
    "scatter_drivers": "ROQ against its top drivers", "tornado": "Tornado (one input at a time)", "spider": "Spider",
    "two_way": "Two-way sweep", "discount_curve": "ROQ against the discount rate", "sobol_indices": "Sobol' indices",
    "sobol_second_order": "Second-order Sobol' indices", "morris": "Morris screening", "input_distributions": "Uncertain inputs",
    "convergence": "Convergence", "summary_final_market_share": "Final market share: one-page summary",
    "roq_distribution": "Distribution of ROQ", "npv_gain_distribution": "Distribution of NPV gain",
}


def _two_up(figures, image):
    """An A4 portrait page holding two slide-sized charts, one above the other."""
    from matplotlib.figure import Figure

    page = Figure(figsize=(8.27, 11.69))
    for k, figure in enumerate(figures):
        ax = page.add_axes((0.04, 0.52 - 0.48 * k, 0.92, 0.45))
        ax.imshow(image(figure))
        ax.axis("off")
    return page


# --------------------------------------------------------------------------- charts of one result


def figures_for(result, *, scenario=None, output: str | None = None, currency: str = "IDR") -> dict:
    """The charts one result object holds, by file stem.

    Parameters
    ----------
    result : MonteCarloResult, SensitivityResult, a sweep DataFrame or a mapping of them
        * ``MonteCarloResult``: the distribution of each summarised output (ROQ with its
          break-even) and the market-share fan chart (from the run's per-year
          statistics when it kept them, ``path_outputs=FAN_PATHS``; otherwise from its
          first 16,384 scenarios, evaluated again);
        * ``SensitivityResult``: Sobol' / eFAST bars (and the second-order heatmap),
          Morris mu*-sigma, or delta / PAWN bars;
        * sweep tables of :mod:`simulator.uncertainty.sweeps` (one-way -> tornado,
          spider, two-way -> heatmap, discount curve); a mapping of several (as
          ``roq sweep`` builds) charts each; break-even tables are not charted.
    scenario : Scenario, optional
        Marks the base case on the two-way heatmap.
    output : str, optional
        Output of a sweep table (default: detected).

    Returns
    -------
    dict of str to Figure
    """
    from ..uncertainty.montecarlo import MonteCarloResult
    from ..uncertainty.sensitivity import SensitivityResult

    if isinstance(result, MonteCarloResult):
        figures = {}
        currency = result.scenario.currency or currency
        for name in result.outputs:
            histogram = histogram_from_result(result, name)
            figures[f"{name}_distribution"] = charts.roq_distribution_chart(
                histogram, output=name, statistics=distribution_statistics(result, name), currency=currency,
                probability_above=histogram.attrs.get("probability_above"))
        fan = market_share_fan(result)
        figures["market_share_fan"] = charts.fan_chart(fan, base=fan.attrs["base"], comparison=fan.attrs["without_programme"])
        return figures
    if isinstance(result, SensitivityResult):
        method, out = result.method, result.output_name
        if method in ("sobol", "fast"):
            figures = {f"{method}_indices": charts.sobol_bars(result.table, output=out, conf_level=result.conf_level, method=method)}
            if result.second_order is not None and len(result.second_order):
                figures["sobol_second_order"] = charts.second_order_heatmap(result.second_order, output=out)
            return figures
        if method == "morris":
            return {"morris": charts.morris_scatter(result.table, output=out, conf_level=result.conf_level)}
        measure = {"delta": "delta", "pawn": "median"}[method]
        return {f"{method}_indices": charts.sensitivity_bars(result.table, measure, output=out, method=method)}
    if isinstance(result, Mapping):
        figures = {}
        for value in result.values():
            if isinstance(value, pd.DataFrame) and sweep_kind(value) in ("oneway", "spider", "twoway", "discount"):
                figures.update(figures_for(value, scenario=scenario, output=output, currency=currency))
        return figures
    if isinstance(result, pd.DataFrame):
        kind = sweep_kind(result)
        if kind is None:
            raise RoqInputError("result", f"is not a sweep table of simulator.uncertainty.sweeps (columns {', '.join(map(str, result.columns))})")
        if kind == "breakeven":
            return {}
        out = output or _output_of(result, kind)
        if scenario is not None:
            currency = scenario.currency or currency
        if kind == "oneway":
            table, base = tornado_frame(result, out)
            return {"tornado": charts.tornado_chart(table, base, output=out, currency=currency)}
        if kind == "spider":
            base = float(scenario.evaluate_base((out,))[out]) if scenario is not None else None
            return {"spider": charts.spider_chart(spider_frame(result, out), base_output=base, output=out, currency=currency)}
        if kind == "twoway":
            x, y, value = (str(c) for c in result.columns[:3])
            valid = result[result["valid"].astype(bool)] if "valid" in result.columns else result
            base_point = (float(scenario.base[x]), float(scenario.base[y])) if scenario is not None and x in scenario.base and y in scenario.base else None
            return {"two_way": charts.two_way_heatmap(valid, x, y, value=value, base_point=base_point, currency=currency)}
        base_rate = float(scenario.base["discount_rate"]) if scenario is not None and "discount_rate" in scenario.base else None
        return {"discount_curve": charts.discount_rate_curve(result, output=out, base_rate=base_rate)}
    raise RoqInputError("result", f"cannot chart a {type(result).__name__}: give a MonteCarloResult, SensitivityResult or sweep table(s)")


def write_charts(result, out_dir: str | Path, formats="png", *, dpi: int = DEFAULT_DPI, scenario=None, output: str | None = None) -> list[Path]:
    """Draw the charts of one result (see :func:`figures_for`) and write them into ``out_dir``.

    For ``roq simulate``, ``roq sensitivity`` and ``roq sweep --charts``. Images are
    ``<chart>.<format>``; ``xlsx`` adds ``<kind>_charts.xlsx`` with native Excel charts
    where there is one for the result (distribution and fan chart for Monte Carlo,
    Sobol' bars, tornado).

    Parameters
    ----------
    result : MonteCarloResult, SensitivityResult, sweep DataFrame or mapping of them
    out_dir : str or Path
    formats : str or sequence
        ``"png"``, ``"png,svg,pdf,xlsx"``, ...
    dpi : int
    scenario : Scenario, optional
    output : str, optional

    Returns
    -------
    list of Path
    """
    from ..uncertainty.montecarlo import MonteCarloResult
    from ..uncertainty.sensitivity import SensitivityResult

    formats = parse_formats(formats, "--charts")
    directory = prepare_directory(out_dir)
    written = []
    if any(kind in IMAGE_FORMATS for kind in formats):
        for name, figure in figures_for(result, scenario=scenario, output=output).items():
            for kind in formats:
                if kind in IMAGE_FORMATS:
                    written.append(save_figure(figure, directory / f"{name}.{kind}", dpi=dpi))
    if "xlsx" in formats:
        if isinstance(result, MonteCarloResult):
            fan = market_share_fan(result)
            key = "roq" if "roq" in result.outputs else result.outputs[0]
            histogram = histogram_from_result(result, key)
            written.append(write_report_workbook(
                directory / "montecarlo_charts.xlsx", histogram=histogram, probability_above=histogram.attrs.get("probability_above"),
                fan=fan, fan_base=fan.attrs["base"], tables={"Summary": result.to_frame().reset_index()}, output=key,
                threshold=1.0 if key == "roq" else None, currency=result.scenario.currency or "IDR", title=f"Monte Carlo: {result.scenario.name}"))
        elif isinstance(result, SensitivityResult):
            is_variance = result.method in ("sobol", "fast")
            tables = {"Indices": result.to_frame()}
            if result.second_order is not None:
                tables["Second order"] = result.second_order
            written.append(write_report_workbook(
                directory / "sensitivity_charts.xlsx", sobol=result.table if is_variance else None, tables=tables,
                output=result.output_name, conf_level=result.conf_level, title=f"Sensitivity ({result.method}) of {result.output_name}"))
        else:
            tables = dict(result) if isinstance(result, Mapping) else {"Sweep": result}
            tables = {str(k): v for k, v in tables.items() if isinstance(v, pd.DataFrame)}
            one_way = next((v for v in tables.values() if sweep_kind(v) == "oneway"), None)
            kwargs = {}
            if one_way is not None:
                out = output or _output_of(one_way, "oneway")
                kwargs = dict(zip(("tornado", "base_output"), tornado_frame(one_way, out)))
                kwargs["output"] = out
            written.append(write_report_workbook(directory / "sweep_charts.xlsx", tables=tables, title="Sweeps", **kwargs))
    return written

