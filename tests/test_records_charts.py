"""Records charts: one figure per chart, titled, units on the axes, saved as PNG and SVG."""

from __future__ import annotations

import pytest

from simulator.records import analyse_records, generate_portfolio, validate_policies
from simulator.records.charts import records_figures
from simulator.reports import save_figure

UNITS = {
    "records_survival": ["years", "%"],
    "records_retention": ["period", "% per year"],
    "records_odds_ratios": ["ratio, log scale"],
    "records_clv": ["IDR", "count"],
    "records_hvc": ["count", "%"],
}


@pytest.fixture(scope="module")
def figures():
    portfolio = validate_policies(generate_portfolio(1500, seed=3).policies)
    return records_figures(analyse_records(portfolio, by="segment"))


def test_every_chart_has_a_title_and_units(figures, tmp_path):
    assert set(figures) == set(UNITS)
    for name, figure in figures.items():
        assert figure._suptitle is not None and figure._suptitle.get_text(), name
        labels = " ".join(ax.get_xlabel() + " " + ax.get_ylabel() for ax in figure.axes)
        for unit in UNITS[name]:
            assert unit in labels, (name, unit, labels)
        png = save_figure(figure, tmp_path / f"{name}.png", dpi=40)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = save_figure(figures["records_odds_ratios"], tmp_path / "odds.svg").read_text(encoding="utf-8")
    assert "experience" in svg and "effort" in svg  # text stays text in SVG
