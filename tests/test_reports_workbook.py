"""The report workbook: native Excel charts whose series point at the right table ranges,
checked by opening the file with openpyxl (and the chart XML where openpyxl drops details)."""

from __future__ import annotations

import re
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from simulator.errors import RoqInputError
from simulator.reports import build_report, write_report_workbook
from simulator.reports.frames import FAN_PERCENTILES
from simulator.reports.style import input_label


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    directory = tmp_path_factory.mktemp("report")
    return build_report(None, directory, "xlsx", samples=4096, seed=5, sensitivity_samples=64, morris_trajectories=8,
                        two_way_points=7, sample_size=1024)


@pytest.fixture(scope="module")
def book(report):
    (path,) = report.files
    return openpyxl.load_workbook(path)


def only_chart(sheet):
    assert len(sheet._charts) == 1
    return sheet._charts[0]


def cells(sheet, reference):
    """Values of a chart reference like 'Tornado'!$D$2:$D$5 on its sheet."""
    name, cell_range = reference.rsplit("!", 1)
    assert name.strip("'") == sheet.title
    return [row[0].value for row in sheet[cell_range.replace("$", "")]]


def test_workbook_file(report):
    (path,) = report.files
    assert path.name == "roq_report.xlsx" and path.stat().st_size > 10_000
    assert zipfile.ZipFile(path).testzip() is None
    assert not list(path.parent.glob(".*tmp*"))  # no temporary file left behind


def test_sheets_chart_sheets_first(book):
    assert book.sheetnames[:6] == ["Contents", "Summary ROQ", "Summary NPV gain", "Summary Final market share", "Distribution",
                                   "NPV gain distribution"]
    for name in ("Fan chart", "With vs without", "Inputs", "Scatter", "Convergence chart", "Tornado", "Spider", "Sobol", "Morris",
                 "Two-way", "Two-way grid", "Discount curve", "Summary", "Convergence", "Scenario inputs", "One-way sweep",
                 "Spider sweep", "Break-even", "Sobol second order", "Sample sensitivity"):
        assert name in book.sheetnames


def _table_top(sheet, header: str) -> int:
    """Row (1-based) of the header cell ``header`` in column A."""
    return next(c.row for c in sheet["A"] if c.value == header)


def test_tornado_is_a_bar_chart_over_the_one_way_table(book, report):
    sheet = book["Tornado"]
    chart = only_chart(sheet)
    assert type(chart).__name__ == "BarChart" and chart.barDir == "bar" and len(chart.series) == 2
    table = report.data.one_way.sort_values("swing", ascending=False)
    n = len(table)
    top = _table_top(sheet, "input")
    low, high = chart.series
    assert low.val.numRef.f == f"'Tornado'!$B${top + 1}:$B${top + n}"
    assert high.val.numRef.f == f"'Tornado'!$C${top + 1}:$C${top + n}"
    for series in chart.series:
        assert series.cat.strRef.f == f"'Tornado'!$A${top + 1}:$A${top + n}"
    np.testing.assert_allclose(cells(sheet, low.val.numRef.f), table["roq_low"])
    np.testing.assert_allclose(cells(sheet, high.val.numRef.f), table["roq_high"])
    assert cells(sheet, low.cat.strRef.f) == [input_label(n) for n in table["input"]]
    # bars start at the base ROQ: the category axis crosses the value axis there
    assert chart.x_axis.crossesAt == pytest.approx(report.data.base_roq)


def test_tornado_bar_ends_are_labelled_with_input_values(report, book):
    (path,) = report.files
    top = _table_top(book["Tornado"], "input")
    with zipfile.ZipFile(path) as archive:
        xml = next(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/") and f"'Tornado'!$B${top + 1}" in archive.read(n).decode())
    labels = re.findall(r"<c:dLbl>.*?<c:f>([^<]+)</c:f>", xml)
    n = len(report.data.one_way)
    assert labels == [f"'Tornado'!$G${r}" for r in range(top + 1, top + n + 1)] + [f"'Tornado'!$H${r}" for r in range(top + 1, top + n + 1)]


def test_sobol_bars_have_confidence_interval_error_bars(book, report):
    sheet = book["Sobol"]
    chart = only_chart(sheet)
    assert type(chart).__name__ == "BarChart" and len(chart.series) == 2
    table = report.data.sobol.table.sort_values("ST", ascending=False)
    n = len(table)
    top = _table_top(sheet, "input")
    for series, value_column, conf_column, column in zip(chart.series, "BD", "CE", ("S1", "ST")):
        assert series.val.numRef.f == f"'Sobol'!${value_column}${top + 1}:${value_column}${top + n}"
        errors = series.errBars
        assert errors.errValType == "cust" and errors.errBarType == "both"
        assert errors.plus.numRef.f == errors.minus.numRef.f == f"'Sobol'!${conf_column}${top + 1}:${conf_column}${top + n}"
        np.testing.assert_allclose(cells(sheet, series.val.numRef.f), table[column])
        np.testing.assert_allclose(cells(sheet, errors.plus.numRef.f), table[f"{column}_conf"])


def test_distribution_is_on_a_value_axis_with_the_break_even_line(book, report):
    sheet = book["Distribution"]
    chart = only_chart(sheet)
    assert type(chart).__name__ == "ScatterChart"  # a value axis: ROQ = 1 can be shown wherever the bins are
    names = [s.tx.strRef.f if s.tx.strRef is not None else s.tx.v for s in chart.series]
    outline = chart.series[0]
    x = cells(sheet, outline.xVal.numRef.f)
    y = cells(sheet, outline.yVal.numRef.f)
    bins = len(report.data.histogram)
    assert len(x) == 2 * bins + 2 and y[0] == y[-1] == 0
    np.testing.assert_allclose(sum(y[1::2]), 1.0)  # each bin's share once
    threshold = next(s for s in chart.series if "ROQ = 1" in str(s.tx.v or ""))
    assert set(cells(sheet, threshold.xVal.numRef.f)) == {1.0}
    assert chart.x_axis.scaling.min <= 1.0 <= chart.x_axis.scaling.max
    assert len(names) == len(set(map(str, names)))
    assert chart.title.tx.rich.p[0].r[0].t.startswith(f"Monte Carlo distribution of ROQ; P(ROQ > 1) = {report.data.monte_carlo.probability('roq'):.1%}")


def test_fan_chart_stacks_band_widths_computed_from_the_table(book, report):
    sheet = book["Fan chart"]
    chart = only_chart(sheet)
    area, line = chart._charts
    assert type(area).__name__ == "AreaChart" and area.grouping == "stacked"
    years = len(report.data.fan)
    bands = len(FAN_PERCENTILES)
    assert len(area.series) == bands  # the lowest percentile (invisible) + one width per band
    helper = [s.val.numRef.f for s in area.series]
    top = _table_top(sheet, "year")
    r = top + 1
    # the helper columns are live formulas over the percentile columns B.. of the same rows
    first_helper = re.match(rf"'Fan chart'!\$([A-Z]+)\${r}", helper[0]).group(1)
    assert sheet[f"{first_helper}{r}"].value == f"=B{r}"
    second_helper = re.match(rf"'Fan chart'!\$([A-Z]+)\${r}", helper[1]).group(1)
    assert sheet[f"{second_helper}{r}"].value == f"=C{r}-B{r}"
    for reference in helper:
        assert reference.endswith(f"${top + years}")
    assert line.series[0].val.numRef.f == f"'Fan chart'!$E${r}:$E${top + years}"  # the P50 column
    np.testing.assert_allclose(cells(sheet, line.series[0].val.numRef.f), report.data.fan["P50"])
    # the lines the PNG has: base case and the path without the programme; an axis from 0 that shows both
    names = [s.tx.v for s in line.series]
    assert names == ["median (P50)", "base case", "without programme (median)"]
    np.testing.assert_allclose(cells(sheet, line.series[2].val.numRef.f), report.data.fan.attrs["without_programme"])
    with zipfile.ZipFile(report.files[0]) as archive:
        xml = next(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/") and "'Fan chart'!" in archive.read(n).decode())
    assert re.search(r'<c:min val="0(\.0)?"/>', xml)
    cached = openpyxl.load_workbook(report.files[0], data_only=True)["Fan chart"]
    np.testing.assert_allclose(cached[f"{second_helper}{r}"].value, report.data.fan["P10"][0] - report.data.fan["P5"][0])


def test_native_spider_morris_two_way_and_discount_charts(book, report):
    spider = only_chart(book["Spider"])
    assert type(spider).__name__ == "ScatterChart" and len(spider.series) == len(report.data.spider["input"].unique())
    assert len({str(s.spPr.ln.prstDash or "solid") for s in spider.series}) == len(spider.series)
    morris = only_chart(book["Morris"])
    assert type(morris).__name__ == "ScatterChart" and len(morris.series) == len(report.data.morris.table)
    assert morris.y_axis.scaling.max <= 2 * report.data.morris.table["sigma"].max() + 0.01
    two_way = only_chart(book["Two-way"])
    assert any("break-even" in str(s.tx.v) for s in two_way.series)
    grid = book["Two-way grid"]
    assert grid.conditional_formatting  # colour scale centred on ROQ = 1
    rule = list(grid.conditional_formatting)[0].rules[0]
    assert rule.colorScale.cfvo[1].type == "num" and float(rule.colorScale.cfvo[1].val) == 1.0
    assert type(only_chart(book["Discount curve"])).__name__ == "ScatterChart"


def test_a_failed_write_leaves_the_old_workbook_untouched(tmp_path):
    target = tmp_path / "report.xlsx"
    histogram = pd.DataFrame({"bin_low": [0.0, 1.0], "bin_high": [1.0, 2.0], "count": [1, 3]})
    write_report_workbook(target, histogram=histogram, probability_above=0.75)
    before = target.read_bytes()
    bad_fan = pd.DataFrame({"year": [1, 2], "P50": [0.1, 0.2]})  # one percentile: no band to draw
    with pytest.raises(RoqInputError) as caught:
        write_report_workbook(target, histogram=histogram, probability_above=0.75, fan=bad_fan)
    assert caught.value.argument == "fan"
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"path": "report.csv"}, "path"),
        ({"path": "report.xlsx", "tornado": pd.DataFrame({"input": ["a"], "low": [0], "high": [1], "output_low": [1], "output_high": [2]})}, "base_output"),
    ],
)
def test_workbook_bad_input(tmp_path, kwargs, argument):
    kwargs["path"] = tmp_path / kwargs["path"]
    with pytest.raises(RoqInputError) as caught:
        write_report_workbook(**kwargs)
    assert caught.value.argument == argument
