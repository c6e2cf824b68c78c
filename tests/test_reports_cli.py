"""``roq report`` and ``write_charts`` (the ``--charts`` option of simulate / sensitivity / sweep),
run on real results and checked as files."""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from simulator import cli
from simulator.reports import write_charts
from simulator.reports.report import figures_for
from simulator.uncertainty import builtin_scenario, run_monte_carlo, sweeps
from simulator.uncertainty.sensitivity import run_sensitivity

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF-", "xlsx": b"PK\x03\x04"}


def check_file(path):
    kind = path.suffix.lstrip(".")
    content = path.read_bytes()
    assert content.startswith(MAGIC[kind]), path.name
    assert len(content) > 5_000, path.name


@pytest.fixture(scope="module")
def scenario():
    return builtin_scenario()


def test_roq_report_writes_every_chart_in_every_format(tmp_path, capsys):
    out = tmp_path / "report"
    status = cli.main(["report", "--out", str(out), "--format", "png,svg,pdf,xlsx", "--samples", "4096", "--seed", "3",
                       "--sensitivity-samples", "64", "--dpi", "60", "--survey", "seed002"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "P(ROQ > 1)" in printed
    charts = ["summary_roq", "summary_npv_gain", "summary_final_market_share", "roq_distribution", "npv_gain_distribution",
              "market_share_fan", "with_without", "convergence", "input_distributions", "sample_tornado", "scatter_drivers",
              "tornado", "spider", "sobol_indices", "morris", "two_way", "discount_curve", "ipa_quadrants", "servqual_gaps"]
    expected = {f"{name}.{kind}" for name in charts for kind in ("png", "svg", "pdf")} | {"roq_report.xlsx", "roq_report.pdf"}
    assert {p.name for p in out.iterdir()} == expected
    for path in out.iterdir():
        check_file(path)
        assert path.name in printed


def test_roq_report_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert cli.main(["report", "--out", str(tmp_path), "--format", "png,gif"]) == 2
    assert capsys.readouterr().err.strip() == "roq: error: --format: unknown format 'gif'; choose from png, svg, pdf, xlsx, csv"
    assert cli.main(["report", str(tmp_path / "missing.toml"), "--out", str(tmp_path)]) == 2
    assert "no such scenario file" in capsys.readouterr().err
    file = tmp_path / "a-file"
    file.write_text("x")
    assert cli.main(["report", "--out", str(file), "--samples", "1024", "--sensitivity-samples", "8"]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_charts_of_a_monte_carlo_run(tmp_path, scenario):
    result = run_monte_carlo(scenario, samples=4096, seed=2, progress=False)
    written = write_charts(result, tmp_path, "png,xlsx", dpi=80)
    names = {p.name for p in written}
    assert names == {"roq_distribution.png", "npv_gain_distribution.png", "final_market_share_distribution.png",
                     "market_share_fan.png", "montecarlo_charts.xlsx"}
    for path in written:
        check_file(path)
    book = openpyxl.load_workbook(tmp_path / "montecarlo_charts.xlsx")
    assert len(book["Distribution"]._charts) == 1 and len(book["Fan chart"]._charts) == 1


def test_fan_of_a_run_with_and_without_per_year_statistics(scenario):
    from simulator.reports import FAN_PATHS
    from simulator.reports.frames import market_share_fan

    kept = market_share_fan(run_monte_carlo(scenario, samples=3000, seed=4, progress=False, path_outputs=FAN_PATHS))
    # a run that kept no per-year numbers: its (here: all 3,000) scenarios evaluated again, exact percentiles
    again = market_share_fan(run_monte_carlo(scenario, samples=3000, seed=4, progress=False))
    assert list(kept.columns) == list(again.columns) and kept.attrs["samples"] == again.attrs["samples"] == 3000
    np.testing.assert_allclose(kept.drop(columns="year"), again.drop(columns="year"), rtol=1e-3)
    np.testing.assert_allclose(kept.attrs["without_programme"], again.attrs["without_programme"], rtol=1e-3)
    np.testing.assert_array_equal(kept.attrs["base"], again.attrs["base"])


def test_charts_of_sensitivity_results(tmp_path, scenario):
    model = scenario.model_function("roq")
    sobol = run_sensitivity(model, scenario.uncertain, "sobol", samples=64, seed=1)
    morris = run_sensitivity(model, scenario.uncertain, "morris", samples=8, seed=1)
    delta = run_sensitivity(model, scenario.uncertain, "delta", samples=200, seed=1, num_resamples=5)
    assert set(figures_for(sobol)) == {"sobol_indices", "sobol_second_order"}
    assert set(figures_for(morris)) == {"morris"}
    assert set(figures_for(delta)) == {"delta_indices"}
    written = write_charts(sobol, tmp_path, ["svg", "xlsx"])
    assert {p.name for p in written} == {"sobol_indices.svg", "sobol_second_order.svg", "sensitivity_charts.xlsx"}
    for path in written:
        check_file(path)
    assert len(openpyxl.load_workbook(tmp_path / "sensitivity_charts.xlsx")["Sobol"]._charts) == 1


def test_charts_of_sweeps(tmp_path, scenario):
    tables = {
        "sweep_oneway": sweeps.one_way(scenario),
        "sweep_spider": sweeps.spider(scenario),
        "sweep_twoway": sweeps.two_way(scenario, points=5),
        "sweep_discount": sweeps.discount_curve(scenario),
        "sweep_breakeven": sweeps.break_even(scenario),
    }
    written = write_charts(tables, tmp_path, "pdf,xlsx", scenario=scenario)
    assert {p.name for p in written} == {"tornado.pdf", "spider.pdf", "two_way.pdf", "discount_curve.pdf", "sweep_charts.xlsx"}
    for path in written:
        check_file(path)
    book = openpyxl.load_workbook(tmp_path / "sweep_charts.xlsx")
    assert len(book["Tornado"]._charts) == 1
    single = write_charts(tables["sweep_oneway"], tmp_path / "one", "png")
    assert [p.name for p in single] == ["tornado.png"]


def test_write_charts_bad_input(tmp_path):
    from simulator.errors import RoqInputError

    with pytest.raises(RoqInputError) as caught:
        write_charts(42, tmp_path)
    assert caught.value.argument == "result"
    with pytest.raises(RoqInputError) as caught:
        write_charts({}, tmp_path, "bmp")
    assert caught.value.argument == "--charts"


def test_charts_option_parses_formats_before_anything_runs():
    import argparse

    from simulator.reports import add_charts_option

    parser = argparse.ArgumentParser(prog="roq simulate")
    add_charts_option(parser)
    assert parser.parse_args([]).charts is None
    assert parser.parse_args(["--charts"]).charts == ("png",)
    assert parser.parse_args(["--charts", "svg,PDF,svg"]).charts == ("svg", "pdf")
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--charts", "gif"])
    assert stopped.value.code == 2
