"""The `roq` command line: the case-study command and the general error contract."""

from __future__ import annotations

import subprocess
import sys

from simulator.cli import main


def test_case_study_prints_published_and_computed_figures(capsys):
    assert main(["case-study"]) == 0
    out = capsys.readouterr().out
    assert "2,648,437,886" in out  # NPVAS, exact
    assert "3.7238" in out and "3.72" in out  # ROQ computed and published
    assert "34.6094%" in out  # retention, satisfied-only convention as the paper
    assert "32.7274%" in out and "3.0600%" in out  # attraction: recomputed vs misprint
    assert "783,000,000" in out  # the programme-cost misprint is explained


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: roq" in capsys.readouterr().out


def test_console_script_runs_as_module():
    completed = subprocess.run([sys.executable, "-m", "simulator.cli", "case-study"], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert "Return on Quality" in completed.stdout
    assert completed.stderr == ""
