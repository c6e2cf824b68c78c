"""Issue 11 on the command line: --format json, --quiet, --percentiles, --target,
--export-samples, --range (a workbook scenario), provenance in every result file, and
``roq compare``."""

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest

from simulator import __version__
from simulator.cli import main
from simulator.uncertainty import builtin_scenario
from simulator.uncertainty.comparison import compare_monte_carlo
from simulator.uncertainty.scenario import BUILTIN_SCENARIO_FILE, scenario_from_rows


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def two_scenarios(tmp_path):
    from importlib import resources

    text = resources.files("simulator").joinpath("data", BUILTIN_SCENARIO_FILE).read_text(encoding="utf-8")
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(text, encoding="utf-8")
    b.write_text(text.replace("annual_cost = 699e6", "annual_cost = 750e6"), encoding="utf-8")
    return a, b


def test_json_format_is_one_document_with_provenance(capsys):
    code, out, err = run_cli(["simulate", "--samples", "5000", "--seed", "3", "--format", "json", "--percentiles", "1,50,99", "--target", "npv_gain>7e9"], capsys)
    assert code == 0, err
    document = json.loads(out)
    assert document["provenance"]["package"] == f"roq-toolkit {__version__}"
    assert document["provenance"]["scenario_sha256"] == builtin_scenario().content_hash()
    assert (document["provenance"]["seed"], document["provenance"]["samples"]) == (3, 5000)
    assert list(document["statistics"]["roq"]["percentiles"]) == ["P1", "P50", "P99"]
    target = [t for t in document["targets"] if t["output"] == "npv_gain" and t["threshold"] == 7e9]
    assert len(target) == 1 and 0 < target[0]["probability"] < 1 and target[0]["ci95_halfwidth"] > 0
    assert document["sensitivity"]["table"][0]["input"] == "margin"


def test_quiet_prints_nothing_but_writes_every_file_with_provenance(tmp_path, capsys):
    out_dir = tmp_path / "run"
    code, out, err = run_cli(["simulate", "--samples", "3000", "--quiet", "--out", out_dir, "--target", "roq>2.5"], capsys)
    assert code == 0, err
    assert out == ""
    names = {p.name for p in out_dir.iterdir()}
    assert {"montecarlo.json", "montecarlo.xlsx", "run_settings.csv", "rank_correlations.csv", "sample_sensitivity.csv",
            "montecarlo_percentiles.csv", "montecarlo_targets.csv"} <= names
    settings = dict(pd.read_csv(out_dir / "run_settings.csv").itertuples(index=False, name=None))
    assert settings["scenario_sha256"] == builtin_scenario().content_hash() and settings["package"] == f"roq-toolkit {__version__}"
    assert settings["requested_rank_correlations"] == "none (independent inputs)"
    targets = pd.read_csv(out_dir / "montecarlo_targets.csv")
    assert ((targets.output == "roq") & (targets.threshold == 2.5)).sum() == 1
    book = openpyxl.load_workbook(out_dir / "montecarlo.xlsx", read_only=True)
    assert {"Run Settings", "Rank Correlations", "Sample Sensitivity", "Montecarlo Percentiles", "Montecarlo Targets"} <= set(book.sheetnames)
    book.close()


def test_text_report_names_version_hash_and_correlations(capsys):
    code, out, err = run_cli(["simulate", "--samples", "3000", "--percentiles", "2.5,97.5"], capsys)
    assert code == 0, err
    assert f"roq-toolkit {__version__}; scenario sha256 {builtin_scenario().content_hash()[:16]}" in out
    assert "rank correlations requested: none" in out and "P2.5" in out and "P97.5" in out
    assert "Sensitivity of roq from the Monte Carlo sample" in out


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_samples_writes_every_scenario_and_refuses_to_overwrite(tmp_path, capsys, suffix):
    path = tmp_path / f"samples{suffix}"
    code, out, err = run_cli(["simulate", "--samples", "70000", "--seed", "2", "--export-samples", path], capsys)
    assert code == 0, err
    frame = pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path)
    assert len(frame) == 70000 and frame["scenario"].is_monotonic_increasing
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    code, out, err = run_cli(["simulate", "--samples", "100", "--export-samples", path], capsys)
    assert code == 2 and err.strip().endswith("already exists; add --force to overwrite it, or choose another file") and "Traceback" not in err
    code, out, err = run_cli(["simulate", "--samples", "100", "--export-samples", tmp_path / "x.txt"], capsys)
    assert code == 2 and "--export-samples" in err and "use a .parquet or .csv" in err
    # a missing folder is created, as --out creates its folder; an unwritable place is refused first
    code, out, err = run_cli(["simulate", "--samples", "100", "--export-samples", tmp_path / "missing" / "x.csv"], capsys)
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "missing" / "x.csv")) == 100


@pytest.mark.parametrize("argv, needle", [
    (["--percentiles", "0,50"], "strictly between 0 and 100"),
    (["--percentiles", "five"], "separated by commas"),
    (["--target", "churn>0.1"], "'churn' is not a model output"),
    (["--target", "roq=1"], "expected OUTPUT>NUMBER"),
])
def test_bad_report_options_are_refused(capsys, argv, needle):
    with pytest.raises(SystemExit) as stop:
        main(["simulate", "--samples", "100", *argv])
    assert stop.value.code == 2 and needle in capsys.readouterr().err


def test_scenario_from_a_workbook_range(tmp_path, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "My inputs"
    for row in builtin_scenario().to_rows():
        sheet.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    code, out, err = run_cli(["simulate", path, "--range", "'My inputs'!A1:D60", "--samples", "2000", "--format", "json"], capsys)
    assert code == 0, err
    provenance = json.loads(out)["provenance"]
    assert provenance["scenario_sha256"] == builtin_scenario().content_hash()  # the same content, wherever it is read from
    assert provenance["source"] == "book.xlsx!My inputs!A1:D60"
    for argv, needle in ((["--range", "Nope!A1:B9"], "no sheet 'Nope' in book.xlsx"), ([], "is a workbook: give the scenario's range"),
                         (["--range", "A1:B9"], "expected Sheet!A1:B40")):
        code, out, err = run_cli(["simulate", path, *argv, "--samples", "100"], capsys)
        assert code == 2 and needle in err and "Traceback" not in err


def test_compare_two_scenarios_on_common_random_numbers(two_scenarios, tmp_path, capsys):
    a, b = two_scenarios
    code, out, err = run_cli(["compare", a, b, "--samples", "2**17", "--seed", "5", "--out", tmp_path / "cmp"], capsys)
    assert code == 0, err
    assert "B - A" in out and "P(B > A)" in out and "common random numbers" in out
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv").set_index("output")
    # a higher annual cost lowers ROQ in every paired scenario: the difference is sure
    assert table.loc["roq", "difference"] < 0 and table.loc["roq", "P_B_above_A"] == 0
    assert table.loc["roq", "difference_ci95_halfwidth"] < 0.01 * abs(table.loc["roq", "difference"])
    assert table.loc["npv_gain", "difference"] == 0  # npv_gain does not depend on the cost; paired draws give exactly 0
    document = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert document["provenance"]["common_random_numbers"] == "full"


def test_compare_difference_interval_is_honest_and_engine_independent():
    from simulator.engines.local import LocalEngine

    a = builtin_scenario()
    b = scenario_from_rows([r if r[0] != "model.retention" else ["model.retention", 0.79] for r in a.to_rows()])
    one = compare_monte_carlo(a, b, samples=3 * 2**16 + 7, seed=8, engine=LocalEngine(1))
    two = compare_monte_carlo(a, b, samples=3 * 2**16 + 7, seed=8, engine=LocalEngine(2), chunk_size=3000)
    pd.testing.assert_frame_equal(one.to_frame(), two.to_frame())
    # the paired difference is the per-scenario difference of two separate runs
    from simulator.uncertainty import run_monte_carlo

    ra, rb = (run_monte_carlo(s, samples=3 * 2**16 + 7, seed=8) for s in (a, b))
    difference = one.to_frame().loc["roq", "difference"]
    assert difference == pytest.approx(rb.statistics["roq"]["mean"] - ra.statistics["roq"]["mean"], rel=1e-9)
    assert one.to_frame().loc["roq", "difference_ci95_halfwidth"] < 0.2 * ra.statistics["roq"]["mean_halfwidth"]


@pytest.mark.parametrize("command", [[], ["simulate"], ["sensitivity"], ["compare"]])
def test_help_texts_render(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*command, "--help"])
    assert stop.value.code == 0 and "usage: roq" in capsys.readouterr().out
