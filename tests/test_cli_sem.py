"""``roq sem DATA.csv MODEL.txt [--bootstrap N] [--out DIR]``."""

from __future__ import annotations

import pytest

pytest.importorskip("semopy")

from simulator.cli import main  # noqa: E402
from simulator.survey import LOYALTY_MODEL, simulate_loyalty_survey  # noqa: E402


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sem")
    data = folder / "answers.csv"
    simulate_loyalty_survey(150, seed=21).to_csv(data, index=False)
    model = folder / "model.txt"
    model.write_text(LOYALTY_MODEL, encoding="utf-8")
    return folder, data, model


def test_writes_every_table_and_the_path_diagram(inputs, capsys):
    folder, data, model = inputs
    out = folder / "out"
    assert main(["sem", str(data), str(model), "--bootstrap", "20", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Model Fit" in printed and "Bootstrap indirect effects" in printed
    names = {p.name for p in out.iterdir()}
    assert {"fit.csv", "estimates.csv", "effects.csv", "indirect_tests.csv", "reliability.csv", "htmt.csv", "residuals.csv",
            "modification_indices.csv", "normality.csv", "mahalanobis.csv", "bootstrap.csv", "summary.txt",
            "path_diagram.png", "path_diagram.svg"} <= names
    assert (out / "path_diagram.png").read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in (out / "path_diagram.svg").read_bytes()[:500]


def test_bad_input_is_one_line_and_writes_nothing(inputs, capsys, tmp_path):
    folder, data, model = inputs
    broken = tmp_path / "broken.txt"
    broken.write_text("SQ =~ X1 + X2 + X3\nSAT =~ X13 + X14 + Q15\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sem", str(data), str(broken), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("roq: error: model: line 2") and "unknown variable 'Q15'" in err and "\n" not in err
    assert not out.exists()
    assert main(["sem", str(tmp_path / "missing.csv"), str(model)]) == 2
    assert "DATA.csv" in capsys.readouterr().err
    assert main(["sem", str(data), str(model), "--format", "gif", "--out", str(out)]) == 2
    assert "--format" in capsys.readouterr().err
    assert not out.exists()
