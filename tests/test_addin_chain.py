"""ROQ_SURVEY_RETENTION and ROQ_SHIFTED_MIX through xlwings' dispatcher."""

import pytest
from excel_dispatch import call

from simulator.errors import RoqInputError
from simulator.roq.survey_retention import survey_retention

COUNTS = [[4, 10, 21], [20, 17, 4], [6, 2, 0]]


def test_survey_retention_spills_estimate_and_interval():
    cells = call("ROQ_SURVEY_RETENTION", COUNTS)
    assert cells[0] == ["quantity", "estimate", "sd", "low", "high"]
    assert cells[1][0] == "retention"
    expected = survey_retention(COUNTS)
    assert cells[1][1] == pytest.approx(expected.retention)
    assert [cells[1][3], cells[1][4]] == pytest.approx(list(expected.interval))


def test_survey_retention_bad_counts_name_the_argument():
    bad = [row[:] for row in COUNTS]
    bad[1][1] = -3
    with pytest.raises(RoqInputError, match="counts: satisfied x unsure is negative"):
        call("ROQ_SURVEY_RETENTION", bad)
    with pytest.raises(RoqInputError, match="did you mean 95%"):
        call("ROQ_SURVEY_RETENTION", COUNTS, None, 95)


def test_shifted_mix():
    cells = call("ROQ_SHIFTED_MIX", 0.4167, 0.0952, 0.5, 0.42, 0.7)
    assert cells[0] == ["group", "share"]
    shares = {row[0]: row[1] for row in cells[1:]}
    assert shares["dissatisfied"] + shares["satisfied"] + shares["delighted"] == pytest.approx(1.0)
    assert shares["shift (sd)"] == pytest.approx(0.3)
    assert shares["delighted"] > 0.0952
