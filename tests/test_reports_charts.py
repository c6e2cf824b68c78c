"""Every report chart, drawn from real runs (Monte Carlo, SALib, sweeps, seed-002 survey), saved
as PNG / SVG / PDF and checked as files: format, pixel size, content, title and units."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import numpy as np
import pandas as pd
import pytest

from simulator.errors import RoqInputError
from simulator.reports import charts, parse_formats, save_figure
from simulator.reports.report import case_study_survey, compute_report, report_figures
from simulator.reports.style import COLORS, OKABE_ITO

CHARTS = (
    "roq_distribution", "npv_gain_distribution", "market_share_fan", "with_without", "convergence", "sample_tornado",
    "tornado", "spider", "sobol_indices", "morris", "two_way", "discount_curve", "ipa_quadrants", "servqual_gaps",
)
#: Charts not on a 16:9 slide: the one-page summaries (a landscape page) and the panels of inputs and drivers.
OTHER_SIZES = ("summary_roq", "summary_npv_gain", "summary_final_market_share", "input_distributions", "scatter_drivers")
#: Charts also checked as SVG and PDF (the formats share matplotlib's code; a few suffice).
VECTOR = ("roq_distribution", "spider", "two_way", "summary_roq", "ipa_quadrants")
#: Words each chart's axis labels must contain: the units.
UNITS = {
    "roq_distribution": ["ratio", "%"],
    "npv_gain_distribution": ["IDR billion", "%"],
    "market_share_fan": ["%", "Year"],
    "with_without": ["%", "IDR billion"],
    "convergence": ["ratio", "%"],
    "sample_tornado": ["%"],
    "tornado": ["ratio"],
    "spider": ["%", "ratio"],
    "sobol_indices": ["0-1"],
    "morris": ["ratio"],
    "two_way": ["%", "IDR"],
    "discount_curve": ["% per year", "ratio"],
    "ipa_quadrants": ["1–5"],
    "servqual_gaps": ["scale points"],
    "summary_roq": ["ratio", "%"],
    "summary_npv_gain": ["IDR billion", "%"],
    "summary_final_market_share": ["%"],
    "input_distributions": ["%", "IDR thousand"],
    "scatter_drivers": ["ratio"],
}
#: Words each chart's title must contain.
TITLES = {
    "roq_distribution": "distribution of ROQ", "npv_gain_distribution": "distribution of NPV gain", "market_share_fan": "Market share",
    "with_without": "With and without", "convergence": "Convergence", "sample_tornado": "contribution to variance",
    "tornado": "Tornado", "spider": "Spider", "sobol_indices": "Sobol'", "morris": "Morris", "two_way": "ROQ over",
    "discount_curve": "discount rate", "ipa_quadrants": "Importance-Performance", "servqual_gaps": "SERVQUAL",
    "summary_roq": "Summary of ROQ", "summary_npv_gain": "Summary of NPV gain", "summary_final_market_share": "Summary of Final market share",
    "input_distributions": "Uncertain inputs", "scatter_drivers": "top drivers",
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data():
    """A small but real report run of the built-in seed-001 scenario, plus seed 002's survey."""
    return compute_report(None, samples=4096, seed=11, sensitivity_samples=64, morris_trajectories=10,
                          two_way_points=9, survey=case_study_survey(), sample_size=1024)


@pytest.fixture(scope="module")
def figures(data):
    return report_figures(data)


@pytest.fixture(scope="module")
def files(figures, tmp_path_factory):
    directory = tmp_path_factory.mktemp("charts")
    return {(name, kind): save_figure(figure, directory / f"{name}.{kind}", dpi=150 if kind == "png" and name in CHARTS else 60)
            for name, figure in figures.items() for kind in (("png", "svg", "pdf") if name in VECTOR else ("png",))}


def png_size(path):
    header = path.read_bytes()[:24]
    assert header[:8] == PNG_MAGIC
    return struct.unpack(">II", header[16:24])


def test_every_chart_is_drawn(figures):
    assert set(figures) == set(CHARTS) | set(OTHER_SIZES)


@pytest.mark.parametrize("name", CHARTS)
def test_png_is_a_slide_sized_image_with_content(files, name):
    path = files[(name, "png")]
    width, height = png_size(path)
    assert (width, height) == (1500, 840)  # 10 x 5.6 in at 150 dpi, as asked
    from matplotlib.image import imread

    pixels = imread(path)[..., :3]
    assert pixels.std() > 0.05  # not a blank canvas
    rgb = (pixels.reshape(-1, 3) * 255).round().astype(np.uint32)
    colours = np.unique((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2])
    assert colours.size > 20
    # a white margin all round: nothing is cut off at the edges
    assert pixels[0].min() > 0.9 and pixels[-1].min() > 0.9 and pixels[:, 0].min() > 0.9 and pixels[:, -1].min() > 0.9


@pytest.mark.parametrize("name", VECTOR)
def test_svg_keeps_title_and_labels_as_text(files, figures, name):
    path = files[(name, "svg")]
    root = ElementTree.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = path.read_text(encoding="utf-8")
    assert TITLES[name] in text
    assert path.stat().st_size > 5_000


@pytest.mark.parametrize("name", VECTOR)
def test_pdf_is_complete(files, name):
    content = files[(name, "pdf")].read_bytes()
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    assert len(content) > 5_000


@pytest.mark.parametrize("name", CHARTS + OTHER_SIZES)
def test_title_and_axis_labels_with_units(figures, name):
    figure = figures[name]
    assert TITLES[name] in figure._suptitle.get_text()
    labels = " ".join(
        text for ax in figure.axes for text in (ax.get_xlabel(), ax.get_ylabel())
    )
    for unit in UNITS[name]:
        assert unit in labels, f"{name}: {unit!r} not in axis labels {labels!r}"
    main = figure.axes[0]
    assert main.get_xlabel()


ALLOWED = {c.lower() for c in OKABE_ITO.values()} | {c.lower() for c in COLORS.values()} | {"#ffffff", "#000000"}


@pytest.mark.parametrize("name", ["tornado", "spider", "sobol_indices", "morris", "market_share_fan", "servqual_gaps", "ipa_quadrants"])
def test_colours_come_from_the_colour_blind_safe_palette(figures, name):
    from matplotlib.collections import PathCollection, PolyCollection
    from matplotlib.colors import to_hex
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    used = set()
    for ax in figures[name].axes:
        for artist in ax.get_children():
            if isinstance(artist, Line2D) and artist.get_visible() and artist.get_xydata().size:
                if artist.get_linestyle() not in ("None", "", " "):
                    used.add(to_hex(artist.get_color()))
                if artist.get_marker() not in (None, "None", "", " "):  # what a marker shows is its edge/face colour
                    used.add(to_hex(artist.get_markeredgecolor()))
            elif isinstance(artist, Rectangle) and artist is not ax.patch and artist.get_width() and artist.get_height():
                used.add(to_hex(artist.get_facecolor()))
            elif isinstance(artist, (PathCollection, PolyCollection)):
                used.update(to_hex(c) for c in artist.get_facecolors())
    used.discard("#ffffff")
    assert used, "no coloured artists found"
    assert used <= ALLOWED, f"{name} uses colours outside the palette: {sorted(used - ALLOWED)}"


def test_distribution_prints_probability_and_marks_break_even(figures, data):
    figure = figures["roq_distribution"]
    texts = " ".join(t.get_text() for ax in figure.axes for t in ax.texts)
    assert "P(ROQ > 1)" in texts and "ROQ = 1" in texts
    lines = [line for ax in figure.axes for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert any(np.allclose(line.get_xdata(), 1.0) for line in lines)  # the ROQ = 1 line in both panels
    assert data.histogram["count"].sum() == 4096  # all scenarios of the run, from its quantile sketch


def test_fan_is_the_per_year_statistics_of_the_whole_run(figures, data):
    mc = data.monte_carlo
    with_programme = mc.path_statistics("market_share_path")
    assert list(data.fan.columns) == ["year", "P5", "P10", "P25", "P50", "P75", "P90", "P95"]
    assert data.fan.attrs["samples"] == mc.samples == 4096  # every scenario, no second run
    np.testing.assert_array_equal(data.fan.drop(columns="year"), with_programme[data.fan.columns[1:]])
    np.testing.assert_array_equal(data.fan.attrs["without_programme"], mc.path_statistics("market_share_path_without_programme")["P50"])
    median = [line for line in figures["market_share_fan"].axes[0].get_lines() if line.get_label() == "median (P50)"]
    np.testing.assert_allclose(median[0].get_ydata(), data.fan["P50"])  # shares drawn as fractions, labelled in %


def test_tornado_is_sorted_by_swing_with_base_line_and_value_labels(figures, data):
    ax = figures["tornado"].axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    swing = (data.one_way["roq_high"] - data.one_way["roq_low"]).abs()
    from simulator.reports.style import input_label

    expected_top_first = [input_label(n) for n in data.one_way.loc[swing.sort_values(ascending=False).index, "input"]]
    assert ticks[::-1] == expected_top_first  # largest swing at the top
    base = float(data.one_way["roq_base"].iloc[0])
    assert any(np.allclose(line.get_xdata(), base) for line in ax.get_lines())
    texts = [t.get_text() for t in ax.texts]
    assert any(t.endswith("%") for t in texts) and any(t.startswith("IDR ") for t in texts)  # low/high values in their units


def test_two_way_heatmap_draws_the_break_even_contour(figures, data):
    ax = figures["two_way"].axes[0]
    assert data.two_way["roq"].min() < 1 < data.two_way["roq"].max()  # the grid was widened to include it
    labels = [t.get_text() for t in ax.texts]
    assert "ROQ = 1" in labels


def test_same_inputs_give_the_same_png_bytes(tmp_path):
    table = pd.DataFrame({"input": ["margin", "churn"], "low": [2e5, 0.05], "high": [3e5, 0.15], "output_low": [2.2, 2.6], "output_high": [3.2, 2.8]})
    first = save_figure(charts.tornado_chart(table, 2.72), tmp_path / "a.png")
    second = save_figure(charts.tornado_chart(table, 2.72), tmp_path / "b.png")
    assert first.read_bytes() == second.read_bytes()


def test_charts_take_plain_data_a_user_types_in(tmp_path):
    # a notebook user's own numbers: mappings of columns, no simulator objects
    figure = charts.sobol_bars({"input": ["price", "volume"], "S1": [0.6, 0.3], "ST": [0.65, 0.35]}, output="profit")
    assert "profit" in figure.axes[0].get_xlabel().lower()
    histogram = charts.roq_histogram(np.random.default_rng(1).normal(1.5, 0.5, 10_000))
    assert histogram["bin_low"].isin([1.0]).any()  # ROQ = 1 is a bin edge
    assert histogram.attrs["probability_above"] == pytest.approx(0.841, abs=0.01)
    figure = charts.roq_distribution_chart(histogram)
    path = save_figure(figure, tmp_path / "d.png", dpi=72)
    assert png_size(path) == (720, 403)


def test_matplotlib_is_not_imported_by_the_engine():
    code = "import sys, simulator.reports, simulator.uncertainty, simulator.reports.frames; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: charts.tornado_chart(pd.DataFrame({"input": ["a"], "low": [1]}), 1.0), "table"),
        (lambda: charts.tornado_chart(pd.DataFrame({"input": ["a"], "low": [1], "high": [2], "output_low": [1], "output_high": [2]}), float("nan")), "base_output"),
        (lambda: charts.sobol_bars(pd.DataFrame({"input": [], "S1": [], "ST": []})), "table"),
        (lambda: charts.sobol_bars(pd.DataFrame({"input": ["a"], "S1": ["x"], "ST": [1.0]})), "table"),
        (lambda: charts.roq_histogram([1.0, 2.0], bins=1), "bins"),
        (lambda: charts.roq_histogram([np.nan]), "samples"),
        (lambda: charts.two_way_heatmap(pd.DataFrame({"a": [1, 1], "b": [1, 2], "roq": [1, 2]}), "a", "b"), "table"),
        (lambda: charts.fan_chart(pd.DataFrame({"year": [1, 2], "mean": [0.1, 0.2]})), "table"),
        (lambda: charts.second_order_heatmap(pd.DataFrame({"input_1": ["a"], "input_2": ["a"], "S2": [0.1]})), "table"),
        (lambda: save_figure(charts.spider_chart({"input": ["a", "a"], "change": [-0.1, 0.1], "output": [1, 2]}), "chart.gif"), "path"),
        (lambda: save_figure(charts.spider_chart({"input": ["a", "a"], "change": [-0.1, 0.1], "output": [1, 2]}), "chart.png", dpi=5), "dpi"),
        (lambda: parse_formats("png,gif"), "--format"),
        (lambda: parse_formats(" , "), "--format"),
    ],
)
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises(RoqInputError) as caught:
        call()
    assert caught.value.argument == argument


# --------------------------------------------------------------------------- the defects of issue 12


@pytest.mark.parametrize("name", [n for n in CHARTS + OTHER_SIZES if n not in ("ipa_quadrants", "servqual_gaps")])
def test_every_chart_names_its_scenario_by_publication_and_its_sample(figures, name):
    subtitles = " ".join(ax.get_title(loc="left") for ax in figures[name].axes)
    assert "Singgih" in subtitles and "seed 001" not in subtitles.lower()  # the case by its author (the scenario names it since issue 12b)
    assert re.search(r"\d[\d,]*\s+(Monte\s+Carlo|of\s+the|model\s+runs|points)|deterministic", subtitles), subtitles


def test_uninformative_second_order_panel_is_replaced_by_a_note(figures, data):
    from simulator.reports.frames import second_order_is_informative

    assert not second_order_is_informative(data.sobol.second_order)  # 64 base samples: all S2 within noise of 0
    assert "sobol_second_order" not in figures
    assert "no pairwise interaction" in figures["sobol_indices"].axes[0].get_title(loc="left")
    informative = pd.DataFrame({"input_1": ["a", "a", "b"], "input_2": ["b", "c", "c"], "S2": [0.2, 0.0, 0.01], "S2_conf": [0.02, 0.02, 0.02]})
    assert second_order_is_informative(informative)
    assert not second_order_is_informative(informative.assign(S2=[0.057, 0.0, 0.01], S2_conf=[0.05, 0.02, 0.02]))  # within noise of < 1%


def test_two_way_colours_are_centred_on_break_even_with_even_steps(figures, data):
    from matplotlib.colors import to_rgb

    figure = figures["two_way"]
    filled = next(c for c in figure.axes[0].collections if hasattr(c, "levels") and len(c.levels) > 2)
    levels = np.asarray(filled.levels)
    assert 1.0 in levels
    below, above = levels[levels <= 1.0], levels[levels >= 1.0]
    assert np.allclose(np.diff(below)[1:], np.diff(below)[1]) and np.allclose(np.diff(above)[:-1], np.diff(above)[0])  # even steps each side
    colours = [to_rgb(filled.cmap(filled.norm(v))) for v in ((below[-2] + 1) / 2, (1 + above[1]) / 2)]
    just_below, just_above = colours
    assert just_below[0] > just_below[2] + 0.15  # red-ish right below break-even
    assert just_above[2] > just_above[0] + 0.15  # blue-ish right above: ROQ 1.2-2 does not look white


def test_spider_lines_are_named_at_their_ends_and_distinguishable(figures, data):
    ax = figures["spider"].axes[0]
    from simulator.reports.style import input_label

    names = {input_label(n) for n in data.spider["input"].unique()}
    assert names <= {t.get_text() for t in ax.texts}
    lines = [line for line in ax.get_lines() if line.get_label() in names]
    assert len({(line.get_linestyle(), line.get_marker()) for line in lines}) == len(lines)
    assert ax.get_legend() is None


def test_fan_bands_distinguishable_with_few_legend_entries(figures):
    figure = figures["market_share_fan"]
    assert len(figure.legends[0].get_texts()) <= 3
    bands = [c for c in figure.axes[0].collections if c.get_facecolors().size]
    assert len(bands) == 3 and len({tuple(np.round(c.get_facecolors()[0], 2)) for c in bands}) == 3


def test_morris_axis_is_sized_to_the_data(figures, data):
    ax = figures["morris"].axes[0]
    assert ax.get_ylim()[1] <= 1.35 * data.morris.table["sigma"].max() + 1e-9


def test_summary_page_has_table_histogram_band_threshold_and_tornado(figures, data):
    figure = figures["summary_roq"]
    assert any(ax.tables for ax in figure.axes)
    hist = figure.axes[0]
    spans = [p for p in hist.patches if p.get_alpha() and p.get_alpha() < 0.5]
    assert spans, "no shaded P5-P95 band"
    assert any(np.allclose(line.get_xdata(), 1.0) for line in hist.get_lines())
    tornado_labels = [t.get_text() for ax in figure.axes for t in ax.get_yticklabels()]
    from simulator.reports.style import input_label

    assert input_label(data.sample_sensitivity["roq"].table["input"][0]) in tornado_labels
