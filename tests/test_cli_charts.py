"""`--charts` on simulate, sensitivity and sweep, and the engine flags on `roq report`."""

from __future__ import annotations

import pytest

from simulator.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["simulate", "--samples", "4096", "--charts", "png,xlsx"], {"roq_distribution.png", "market_share_fan.png", "montecarlo_charts.xlsx"}),
        (["sensitivity", "--method", "morris", "--samples", "16", "--charts"], {"morris.png"}),
        (["sweep", "--kind", "oneway", "--charts", "png"], {"tornado.png"}),
    ],
)
def test_charts_flag_writes_the_charts_into_out(tmp_path, capsys, arguments, expected):
    assert main(arguments + ["--out", str(tmp_path)]) == 0
    written = {path.name for path in tmp_path.iterdir()}
    assert expected <= written
    for name in expected:
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG) if name.endswith(".png") else data.startswith(b"PK")
    assert "Wrote charts:" in capsys.readouterr().out


def test_unknown_chart_format_is_a_one_line_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["simulate", "--charts", "bmp"])
    assert stop.value.code == 2
    assert "unknown format 'bmp'" in capsys.readouterr().err


def test_report_runs_on_the_chosen_engine_and_rejects_unknown_ones(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path), "--format", "png", "--samples", "4096", "--sensitivity-samples", "64", "--engine", "local"]) == 0
    assert (tmp_path / "tornado.png").read_bytes().startswith(PNG)
    capsys.readouterr()
    assert main(["report", "--out", str(tmp_path), "--engine", "spark"]) == 2
    assert capsys.readouterr().err.strip() == "roq: error: --engine: must be one of local, dask, got 'spark'"
