"""`roq records` and `roq records-example`: outputs, charts, never overwriting, one-line errors."""

from __future__ import annotations

import struct

import pandas as pd
import pytest

from simulator.cli import main
from simulator.commands.records import CHARTS, TABLES


@pytest.fixture(scope="module")
def policies(tmp_path_factory):
    path = tmp_path_factory.mktemp("records") / "policies.csv"
    assert main(["records-example", str(path), "--customers", "800", "--seed", "5"]) == 0
    return path


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


def test_records_writes_every_table_and_chart(policies, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["records", str(policies), "--out", str(out), "--by", "segment", "--charts", "--discount-rate", "12%"]) == 0
    printed = capsys.readouterr().out
    assert "Variables in the Equation" in printed and "Kaplan-Meier" in printed and "High Value Customer staging" in printed
    assert "discount rate 12.00%" in printed
    for name in TABLES:
        assert (out / f"records_{name}.csv").exists(), name
    for name in CHARTS:
        data = (out / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) == (1500, 840)
    drivers = pd.read_csv(out / "records_drivers.csv")
    assert list(drivers.columns[:7]) == ["Variable", "B", "S.E.", "Wald", "df", "Sig.", "Exp(B)"]
    outcomes = pd.read_csv(out / "records_outcomes.csv")
    assert set(outcomes["segment"]) == {"corporate", "sme", "retail", "All"}
    roq_inputs = pd.read_csv(out / "records_roq_inputs.csv").set_index("input")["value"]
    overall = pd.read_csv(out / "records_outcomes_overall.csv").set_index("segment")
    assert float(roq_inputs["baseline_retention"]) == pytest.approx(overall.loc["All", "customer_retention"])
    # a second run refuses before computing anything, and --force replaces
    before = (out / "records_outcomes.csv").stat().st_mtime_ns
    message = _error(capsys, ["records", str(policies), "--out", str(out)])
    assert message.startswith("roq: error: --out: ") and "holds the files of an earlier run" in message and "--force" in message
    assert (out / "records_outcomes.csv").stat().st_mtime_ns == before
    assert main(["records", str(policies), "--out", str(out), "--force", "--retention", "0.8"]) == 0


def test_records_bad_input_is_one_line_naming_row_and_column(policies, tmp_path, capsys):
    frame = pd.read_csv(policies, dtype=str, keep_default_na=False)
    frame.loc[15, "line"] = "motr"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    assert _error(capsys, ["records", str(bad)]).startswith("roq: error: bad.csv: row 17, column line: unknown line 'motr' (did you mean 'motor'?)")
    frame = pd.read_csv(policies, dtype=str, keep_default_na=False)
    frame.loc[3, "start_date"] = "2024-02-30"
    frame.to_csv(bad, index=False)
    assert _error(capsys, ["records", str(bad)]) == "roq: error: bad.csv: row 5, column start_date: '2024-02-30' is not a date (use YYYY-MM-DD, e.g. 2024-01-31)"
    frame = pd.read_csv(policies, dtype=str, keep_default_na=False)
    frame.loc[9, "policy_id"] = frame.loc[2, "policy_id"]
    frame.to_csv(bad, index=False)
    assert "bad.csv: row 11, column policy_id: duplicate id" in _error(capsys, ["records", str(bad)])
    assert _error(capsys, ["records", str(policies), "--discount-rate", "12"]) == \
        "roq: error: discount_rate: must be a fraction per year (0.10 = 10%), got 12 (did you mean 0.12?)"
    assert "--retention: must be drivers" in _error(capsys, ["records", str(policies), "--retention", "best"])
    assert "no such file" in _error(capsys, ["records", str(tmp_path / "none.csv")])


def test_records_example_never_overwrites(policies, capsys):
    assert "already exists; add --force" in _error(capsys, ["records-example", str(policies)])
    assert "must end in .csv" in _error(capsys, ["records-example", str(policies.with_suffix(".txt"))])
