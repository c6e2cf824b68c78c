"""Parameter recovery on the loyalty-drivers model, Sobel tests, bootstrap, normality; bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("semopy")

from simulator import RoqInputError  # noqa: E402
from simulator.survey import (  # noqa: E402
    LOYALTY_MODEL,
    LOYALTY_POPULATION,
    assessment_of_normality,
    fit_sem,
    mahalanobis_distances,
    simulate_loyalty_survey,
    sobel_test,
)


@pytest.fixture(scope="module")
def recovered():
    data = simulate_loyalty_survey(2000, seed=7, likert=False)
    return fit_sem(data, LOYALTY_MODEL)


def test_every_path_is_recovered_within_two_standard_errors(recovered):
    est = recovered.estimates_frame()
    paths = est[est["op"] == "~"]
    assert len(paths) == 4
    for r in paths.itertuples():
        truth = LOYALTY_POPULATION["paths"][(r.lval, r.rval)]
        assert abs(r.Estimate - truth) < 2 * r._7, r.Path
    loadings = est[(est["op"] == "=~") & (est["Label"] != "fixed")]
    truth = loadings["rval"].map(LOYALTY_POPULATION["loadings"])
    # 15 free loadings: with 2 SE some 5% would fall outside by chance; 3 SE holds for all
    assert ((loadings["Estimate"] - truth).abs() < 3 * loadings["S.E."]).all()
    assert recovered.indices["P"] > 0.05 and recovered.indices["RMSEA"] < 0.02


def test_sobel_z_of_each_intervening_path_equals_sobel_test(recovered):
    tests = recovered.indirect_tests_frame()
    assert sorted(tests["Path"]) == ["CV -> SAT -> LOY", "SQ -> SAT -> LOY"]
    for r in tests.itertuples():
        reference = sobel_test(r.a, r._3, r.b, r._5)
        assert r._8 == reference.z
        assert r._9 == reference.p_value
        assert r._10 == sobel_test(r.a, r._3, r.b, r._5, test="aroian").z


def test_bootstrap_is_seeded_and_identical_across_engines():
    data = simulate_loyalty_survey(150, seed=3)
    fit = fit_sem(data, LOYALTY_MODEL)
    one = fit.bootstrap(30, seed=11, workers=1)
    two = fit.bootstrap(30, seed=11, workers=2)
    pd.testing.assert_frame_equal(one.table, two.table)
    other = fit.bootstrap(30, seed=12, workers=1)
    assert not one.table["Boot mean"].equals(other.table["Boot mean"])
    table = one.table.set_index(["Effect", "Kind"])
    row = table.loc[("SQ -> SAT -> LOY", "unstandardized")]
    assert row["Percentile lower"] < row["Estimate"] < row["Percentile upper"]
    assert row["BC lower"] < row["BC upper"]
    total = table.loc[("SQ -> LOY (total indirect)", "standardized")]
    assert total["Estimate"] == pytest.approx(fit.effects_frame().set_index(["From", "To"]).loc[("SQ", "LOY"), "Std. Indirect"])


def test_bootstrap_on_a_dask_cluster_matches_local():
    pytest.importorskip("distributed")
    from simulator.engines import get_engine

    fit = fit_sem(simulate_loyalty_survey(120, seed=5), LOYALTY_MODEL)
    local = fit.bootstrap(25, seed=2, workers=1)
    with get_engine("dask", workers=2) as engine:
        remote = fit.bootstrap(25, seed=2, engine=engine)
    pd.testing.assert_frame_equal(local.table, remote.table)


def test_normality_and_mahalanobis_follow_their_definitions():
    from scipy import stats

    data = simulate_loyalty_survey(200, seed=9)
    table = assessment_of_normality(data).table.set_index("Variable")
    x = data["X1"].to_numpy(float)
    assert table.loc["X1", "skew"] == pytest.approx(stats.skew(x, bias=True), abs=1e-12)
    assert table.loc["X1", "kurtosis"] == pytest.approx(stats.kurtosis(x, bias=True), abs=1e-12)
    assert table.loc["X1", "c.r. skew"] == pytest.approx(stats.skew(x) / np.sqrt(6 / 200), abs=1e-12)
    centred = data.to_numpy(float) - data.to_numpy(float).mean(axis=0)
    cov = np.cov(centred, rowvar=False, ddof=0)
    d2 = np.array([row @ np.linalg.solve(cov, row) for row in centred])
    p = data.shape[1]
    assert table.loc["Multivariate", "kurtosis"] == pytest.approx(np.mean(d2**2) - p * (p + 2), abs=1e-9)
    far = mahalanobis_distances(data).table
    assert far.loc[0, "Mahalanobis d-squared"] == pytest.approx(d2.max(), abs=1e-9)
    assert far.loc[0, "p1"] == pytest.approx(stats.chi2.sf(d2.max(), p), abs=1e-12)
    assert far.loc[0, "p2"] == pytest.approx(1 - (1 - far.loc[0, "p1"]) ** 200, abs=1e-9)


# --- bad input -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def survey():
    return simulate_loyalty_survey(120, seed=1)


@pytest.mark.parametrize("model, needle", [
    ("SQ =~ X1 + X2 + X3\nSAT =~ X13 + + X14", "line 2"),
    ("SQ =~ X1 + X2 + X3\nSAT X13 X14", "line 2 ('SAT X13 X14'): no operator"),
    ("SQ =~ X1 + X2 + X3\nLOY := SQ", "':=' is not supported"),
    ("SQ =~ X1 + X2 + X3\nSAT =~ X13 + X14 + X99", "unknown variable 'X99'"),
    ("SQ =~ x1 + X2 + X3", "unknown variable 'x1'"),
    ("", "has no statements"),
    ("F =~ X1 + X2\nF ~~ F\nX1 ~~ X2", "not identified"),
    ("F =~ X1\nG =~ X2\nF ~~ G\nX1 ~~ X1\nX2 ~~ X2", "not identified"),
], ids=["double-plus", "no-operator", "unsupported", "unknown-item", "wrong-case", "empty", "underidentified", "too-many-params"])
def test_model_errors_name_the_line_or_variable(survey, model, needle):
    with pytest.raises(RoqInputError) as error:
        fit_sem(survey, model)
    assert error.value.argument == "model"
    assert needle in str(error.value)


def test_fewer_respondents_than_parameters(survey):
    with pytest.raises(RoqInputError, match="respondents for 45 free parameters") as error:
        fit_sem(survey.head(40), LOYALTY_MODEL)
    assert error.value.argument == "data"


def test_constant_item(survey):
    data = survey.copy()
    data["X5"] = 7
    with pytest.raises(RoqInputError, match="item 'X5' is constant") as error:
        fit_sem(data, LOYALTY_MODEL)
    assert error.value.argument == "data"


def test_non_convergence_is_reported(survey):
    with pytest.raises(RoqInputError, match="did not converge") as error:
        fit_sem(survey, LOYALTY_MODEL, max_iter=1)
    assert error.value.argument == "model"


def test_other_bad_arguments(survey):
    with pytest.raises(RoqInputError) as error:
        fit_sem(survey, LOYALTY_MODEL, estimator="WLSMV")
    assert error.value.argument == "estimator"
    with pytest.raises(RoqInputError) as error:
        fit_sem(survey, LOYALTY_MODEL, convention="spss")
    assert error.value.argument == "convention"
    with pytest.raises(RoqInputError) as error:
        fit_sem(survey, LOYALTY_MODEL, cutoffs={"RMSEA": ("=<", 0.08)})
    assert error.value.argument == "cutoffs"
    with pytest.raises(RoqInputError) as error:
        fit_sem(survey.to_numpy(), LOYALTY_MODEL)
    assert error.value.argument == "data"
    fit = fit_sem(survey, LOYALTY_MODEL, cutoffs={"CMIN/DF": ("<=", 3.0)})
    assert fit.fit_frame().set_index("Index").loc["CMIN/DF", "Cut-off"] == "<= 3"
    with pytest.raises(RoqInputError) as error:
        fit.bootstrap(0)
    assert error.value.argument == "resamples"


def test_covariance_input_gives_the_same_fit_as_raw_data(survey):
    raw = fit_sem(survey, LOYALTY_MODEL)
    cov = fit_sem(covariance=survey.cov(), n=len(survey), model=LOYALTY_MODEL)
    assert cov.indices["CMIN"] == pytest.approx(raw.indices["CMIN"], rel=1e-9)
    with pytest.raises(RoqInputError) as error:
        cov.normality()
    assert error.value.argument == "data"


def test_model_from_a_column_of_cells(survey):
    lines = [[line] for line in LOYALTY_MODEL.splitlines()] + [[None]]
    assert fit_sem(survey, lines).indices["DF"] == 145
