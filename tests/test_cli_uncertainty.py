"""``roq simulate``, ``roq sensitivity`` and ``roq sweep``: output, files, and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from openpyxl import load_workbook

from simulator.cli import main

SCENARIO = """\
[scenario]
name = "cli test"
currency = "IDR"

[model]
horizon = 5
market_size = 250760
market_growth = 0.07
churn = 0.095
competitor_switching = 0.0019
attraction = 0.0306
initial_share = 0.0707
baseline_retention = 0.3461
retention = 0.81
margin = 250000
discount_rate = 0.20
initial_cost = 558e6
annual_cost = 699e6

[uncertain.margin]
distribution = "pert"
min = 200000
mode = 250000
max = 300000

[uncertain.discount_rate]
distribution = "uniform"
min = 0.1
max = 0.3

[[correlation]]
between = ["margin", "discount_rate"]
rank_correlation = -0.4

[run]
samples = 5000
seed = 3
"""


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO)
    return path


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- simulate ------------------------------------------------------------------------------


def test_simulate_builtin_prints_summary(capsys):
    code, out, err = run_cli(["simulate", "--samples", "2**16", "--seed", "4"], capsys)
    assert code == 0, err
    assert "Monte Carlo: Singgih's insurer ROQ case" in out and "Why this is not the paper's ROQ: ROQ 3.72" in out and "65,536 scenarios, sampler random, seed 4" in out
    assert "P(roq > 1)" in out and "Convergence of roq" in out


def test_simulate_default_command_runs_as_a_process(tmp_path):
    """The README's main job: ``roq simulate`` with no arguments (2**18 scenarios)."""
    completed = subprocess.run([sys.executable, "-m", "simulator.cli", "simulate", "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert "262,144 scenarios" in completed.stdout
    assert (tmp_path / "out" / "montecarlo.xlsx").exists()


def test_simulate_writes_csv_and_workbook(scenario_file, tmp_path, capsys):
    out_dir = tmp_path / "results" / "mc"
    code, out, err = run_cli(["simulate", scenario_file, "--sampler", "lhs", "--out", out_dir], capsys)
    assert code == 0, err
    summary = pd.read_csv(out_dir / "montecarlo_summary.csv")
    assert summary.output.tolist() == ["roq", "npv_gain", "final_market_share"]
    assert summary.loc[0, "count"] == 5000
    convergence = pd.read_csv(out_dir / "montecarlo_convergence.csv")
    assert convergence.samples.max() == 5000
    workbook = load_workbook(out_dir / "montecarlo.xlsx")
    assert workbook.sheetnames == ["Montecarlo Summary", "Montecarlo Percentiles", "Montecarlo Targets", "Montecarlo Convergence",
                                   "Rank Correlations", "Scenario Inputs", "Run Settings", "Sample Sensitivity"]
    sheet = workbook["Montecarlo Summary"]
    assert sheet["A1"].value == "output" and sheet["A2"].value == "roq"
    assert len(sheet.tables) == 1
    assert not [p for p in os.listdir(out_dir) if p.endswith(".tmp")]


def test_simulate_replaces_existing_files_completely(scenario_file, tmp_path, capsys):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "montecarlo_summary.csv").write_text("old content\n")
    (out_dir / "notes.txt").write_text("user file\n")
    assert run_cli(["simulate", scenario_file, "--out", out_dir], capsys)[0] == 0
    assert "old content" not in (out_dir / "montecarlo_summary.csv").read_text()
    assert (out_dir / "notes.txt").read_text() == "user file\n"  # files it does not write are untouched


def test_simulate_same_seed_same_numbers_any_chunk_size(scenario_file, capsys):
    _, first, _ = run_cli(["simulate", scenario_file, "--chunk-size", "700", "--workers", "1"], capsys)
    _, second, _ = run_cli(["simulate", scenario_file, "--chunk-size", "65536", "--workers", "2"], capsys)
    strip = lambda text: [line for line in text.splitlines() if "scenarios/s" not in line]
    assert strip(first) == strip(second)


# --- bad input: one line, exit 2 ------------------------------------------------------------


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda text: text.replace("max = 0.3", "max = 0.05"), "roq: error: {file}: uncertain.discount_rate.max: must be > min (0.1) so that min < max, got 0.05"),
        (lambda text: text.replace("churn = 0.095", "churn = 0.095 x"), "roq: error: {file}: line 9, column 15: malformed TOML: expected newline or end of document after a statement"),
        (lambda text: text.replace("churn = 0.095", "churn = 1.5"), "roq: error: {file}: model.churn: must be < 1 (fraction per year), got 1.5"),
        (lambda text: text.replace("[run]", "[runs]"), "roq: error: {file}: runs: is not a known section (did you mean 'run'?); known: scenario, model, uncertain, correlation, outputs, run, survey, programme"),
    ],
)
@pytest.mark.parametrize("command", ["simulate", "sensitivity", "sweep"])
def test_bad_scenario_is_one_line_and_exit_2(tmp_path, capsys, edit, message, command):
    path = tmp_path / "bad.toml"
    path.write_text(edit(SCENARIO))
    code, out, err = run_cli([command, path], capsys)
    assert code == 2
    assert err.strip() == message.format(file=path)
    assert out == ""


def test_missing_scenario_file(capsys, tmp_path):
    code, out, err = run_cli(["simulate", tmp_path / "nowhere.toml"], capsys)
    assert code == 2 and err.strip() == f"roq: error: {tmp_path / 'nowhere.toml'}: no such scenario file"


def test_out_is_an_existing_file(scenario_file, tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep me")
    code, out, err = run_cli(["sweep", scenario_file, "--kind", "discount", "--out", blocker], capsys)
    assert code == 2 and "roq: error: --out: " in err and "is not a directory" in err
    assert blocker.read_text() == "keep me"


def test_bad_option_values_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["simulate", "--samples", "lots"])
    assert info.value.code == 2
    assert "expected a whole number" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["simulate", "--sampler", "halton"])
    with pytest.raises(SystemExit):
        main(["sensitivity", "--method", "anova"])


def test_malformed_file_through_a_real_process(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(textwrap.dedent("[model]\nchurn = [0.1,\n"))
    completed = subprocess.run([sys.executable, "-m", "simulator.cli", "simulate", str(path)], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and completed.stderr.startswith(f"roq: error: {path}: ")
    assert "malformed TOML" in completed.stderr


# --- sensitivity ----------------------------------------------------------------------------


@pytest.mark.parametrize("method, samples", [("sobol", "256"), ("morris", "20"), ("fast", "512"), ("delta", "300"), ("pawn", "500")])
def test_sensitivity_methods_on_the_builtin_scenario(method, samples, capsys):
    code, out, err = run_cli(["sensitivity", "--method", method, "--samples", samples, "--resamples", "20"], capsys)
    assert code == 0, err
    assert "Scenario: Singgih's insurer ROQ case" in out
    # margin drives ROQ most in the built-in scenario, whatever the method
    table_line = next(line for line in out.splitlines() if line.strip().startswith("margin"))
    assert table_line.rstrip().endswith(" 1")


def test_sensitivity_correlated_scenario_uses_correlated_draws_for_delta(scenario_file, tmp_path, capsys):
    code, out, err = run_cli(["sensitivity", scenario_file, "--method", "delta", "--samples", "400", "--resamples", "10", "--out", tmp_path], capsys)
    assert code == 0, err
    assert "Iman-Conover draws" in out
    table = pd.read_csv(tmp_path / "sensitivity_delta.csv")
    assert set(table.input) == {"margin", "discount_rate"} and table.method.unique().tolist() == ["delta"]
    code, out, err = run_cli(["sensitivity", scenario_file, "--method", "sobol", "--samples", "128", "--resamples", "10", "--out", tmp_path], capsys)
    assert code == 0 and "rank correlations between margin, discount_rate are ignored" in out
    assert (tmp_path / "sensitivity_sobol_pairs.csv").exists() and (tmp_path / "sensitivity_sobol.xlsx").exists()


# --- sweep ----------------------------------------------------------------------------------


def test_sweep_all_kinds_with_files(tmp_path, capsys):
    code, out, err = run_cli(["sweep", "--out", tmp_path, "--points", "3"], capsys)
    assert code == 0, err
    for heading in ("One-way (tornado)", "Spider", "Two-way", "against the discount rate", "Break-even"):
        assert heading in out
    for kind in ("oneway", "spider", "twoway", "discount", "breakeven"):
        assert (tmp_path / f"sweep_{kind}.csv").exists()
    assert pd.read_csv(tmp_path / "sweep_twoway.csv").shape[0] == 9
    assert "Sweep Breakeven" in load_workbook(tmp_path / "sweeps.xlsx").sheetnames


def test_sweep_single_kind_other_output(scenario_file, capsys):
    code, out, err = run_cli(["sweep", scenario_file, "--kind", "twoway", "--x", "margin", "--y", "discount_rate", "--output", "npv_gain", "--points", "2"], capsys)
    assert code == 0, err
    assert "Two-way: npv_gain by margin (across) and discount_rate (down)" in out
    code, out, err = run_cli(["sweep", scenario_file, "--kind", "twoway", "--x", "margn"], capsys)
    assert code == 2 and "roq: error: inputs: 'margn' is not a single-number scenario input (did you mean 'margin'?)" in err
