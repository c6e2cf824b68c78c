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


def test_out_is_checked_before_fitting_and_never_overwritten_without_force(inputs, capsys, tmp_path, monkeypatch):
    import simulator.survey as survey

    folder, data, model = inputs
    out = tmp_path / "out"
    out.mkdir()
    (out / "fit.csv").write_text("mine\n", encoding="utf-8")

    def no_fit(*args, **kwargs):  # the check comes first: no model is fitted for a refused folder
        raise AssertionError("fitted before --out was checked")

    with monkeypatch.context() as patch:
        patch.setattr(survey, "fit_sem", no_fit)
        assert main(["sem", str(data), str(model), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("roq: error: --out:") and "fit.csv already exists" in err and "--force" in err and "\n" not in err
    assert (out / "fit.csv").read_text(encoding="utf-8") == "mine\n"
    # a first run into a fresh folder, then the same again: refused (an earlier run), replaced with --force
    fresh = tmp_path / "fresh"
    assert main(["sem", str(data), str(model), "--out", str(fresh), "--format", "png"]) == 0
    capsys.readouterr()
    assert main(["sem", str(data), str(model), "--out", str(fresh), "--format", "png"]) == 2
    assert "holds the files of an earlier run" in capsys.readouterr().err
    assert main(["sem", str(data), str(model), "--out", str(fresh), "--format", "svg", "--force"]) == 0
    assert "path_diagram.svg" in {p.name for p in fresh.iterdir()} and not (fresh / "path_diagram.png").exists()
