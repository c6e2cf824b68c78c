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
                        two_way_points=7)


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
    assert book.sheetnames[:5] == ["Contents", "Tornado", "Sobol", "Distribution", "Fan chart"]
    for name in ("Summary", "Convergence", "Scenario inputs", "One-way sweep", "Spider sweep", "Two-way grid",
                 "Discount curve", "Break-even", "Sobol indices", "Sobol second order", "Morris"):
        assert name in book.sheetnames


def test_tornado_is_a_bar_chart_over_the_one_way_table(book, report):
    sheet = book["Tornado"]
    chart = only_chart(sheet)
    assert type(chart).__name__ == "BarChart" and chart.barDir == "bar" and len(chart.series) == 2
    table = report.data.one_way.sort_values("swing", ascending=False)
    n = len(table)
    low, high = chart.series
    assert low.val.numRef.f == f"'Tornado'!$D$2:$D${n + 1}"
    assert high.val.numRef.f == f"'Tornado'!$E$2:$E${n + 1}"
    for series in chart.series:
        assert series.cat.strRef.f == f"'Tornado'!$A$2:$A${n + 1}"
    np.testing.assert_allclose(cells(sheet, low.val.numRef.f), table["roq_low"])
    np.testing.assert_allclose(cells(sheet, high.val.numRef.f), table["roq_high"])
    assert cells(sheet, low.cat.strRef.f) == [input_label(n) for n in table["input"]]
    # bars start at the base ROQ: the category axis crosses the value axis there
    assert chart.x_axis.crossesAt == pytest.approx(report.data.base_roq)


def test_tornado_bar_ends_are_labelled_with_input_values(report):
    (path,) = report.files
    with zipfile.ZipFile(path) as archive:
        xml = next(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/") and "'Tornado'!$D$2" in archive.read(n).decode())
    labels = re.findall(r"<c:dLbl>.*?<c:f>([^<]+)</c:f>", xml)
    n = len(report.data.one_way)
    assert labels == [f"'Tornado'!$G${r}" for r in range(2, n + 2)] + [f"'Tornado'!$H${r}" for r in range(2, n + 2)]


def test_sobol_bars_have_confidence_interval_error_bars(book, report):
    sheet = book["Sobol"]
    chart = only_chart(sheet)
    assert type(chart).__name__ == "BarChart" and len(chart.series) == 2
    table = report.data.sobol.table.sort_values("ST", ascending=False)
    n = len(table)
    for series, value_column, conf_column, column in zip(chart.series, "BD", "CE", ("S1", "ST")):
        assert series.val.numRef.f == f"'Sobol'!${value_column}$2:${value_column}${n + 1}"
        errors = series.errBars
        assert errors.errValType == "cust" and errors.errBarType == "both"
        assert errors.plus.numRef.f == errors.minus.numRef.f == f"'Sobol'!${conf_column}$2:${conf_column}${n + 1}"
        np.testing.assert_allclose(cells(sheet, series.val.numRef.f), table[column])
        np.testing.assert_allclose(cells(sheet, errors.plus.numRef.f), table[f"{column}_conf"])


def test_distribution_is_stacked_columns_with_a_cumulative_line(book, report):
    sheet = book["Distribution"]
    chart = only_chart(sheet)
    kinds = [type(c).__name__ for c in chart._charts]
    assert kinds == ["BarChart", "LineChart"]
    columns, line = chart._charts
    assert columns.barDir == "col" and columns.grouping == "stacked" and len(columns.series) == 2
    bins = len(report.data.histogram)
    below, above = columns.series
    assert below.val.numRef.f == f"'Distribution'!$E$2:$E${bins + 1}"
    assert above.val.numRef.f == f"'Distribution'!$F$2:$F${bins + 1}"
    assert line.series[0].val.numRef.f == f"'Distribution'!$G$2:$G${bins + 1}"
    shares = np.add(cells(sheet, below.val.numRef.f), cells(sheet, above.val.numRef.f))
    np.testing.assert_allclose(shares.sum(), 1.0)
    np.testing.assert_allclose(cells(sheet, line.series[0].val.numRef.f)[-1], 1.0)
    # every bin below ROQ = 1 is in the first series, every bin above in the second
    upper_edges = np.array(cells(sheet, f"'Distribution'!$B$2:$B${bins + 1}"))
    assert np.all(np.array(cells(sheet, above.val.numRef.f))[upper_edges <= 1.0] == 0)
    assert chart.title.tx.rich.p[0].r[0].t.endswith(f"P(ROQ > 1) = {report.data.monte_carlo.probability('roq'):.1%}")


def test_fan_chart_stacks_band_widths_computed_from_the_table(book, report):
    sheet = book["Fan chart"]
    chart = only_chart(sheet)
    area, line = chart._charts
    assert type(area).__name__ == "AreaChart" and area.grouping == "stacked"
    years = len(report.data.fan)
    bands = len(FAN_PERCENTILES)
    assert len(area.series) == bands  # the lowest percentile (invisible) + one width per band
    helper = [s.val.numRef.f for s in area.series]
    # the helper columns are live formulas over the percentile columns B.. of the same rows
    first_helper = re.match(r"'Fan chart'!\$([A-Z]+)\$2", helper[0]).group(1)
    assert sheet[f"{first_helper}2"].value == "=B2"
    second_helper = re.match(r"'Fan chart'!\$([A-Z]+)\$2", helper[1]).group(1)
    assert sheet[f"{second_helper}2"].value == "=C2-B2"
    for reference in helper:
        assert reference.endswith(f"${years + 1}")
    assert line.series[0].val.numRef.f == f"'Fan chart'!$E$2:$E${years + 1}"  # the P50 column
    np.testing.assert_allclose(cells(sheet, line.series[0].val.numRef.f), report.data.fan["P50"])
    cached = openpyxl.load_workbook(report.files[0], data_only=True)["Fan chart"]
    np.testing.assert_allclose(cached[f"{second_helper}2"].value, report.data.fan["P10"][0] - report.data.fan["P5"][0])


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
