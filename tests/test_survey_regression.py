"""SPSS-style multiple regression (cross-checked against statsmodels OLS) and the Sobel,
Aroian and Goodman mediation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from simulator import RoqInputError
from simulator.survey import linear_regression, mediation_tests, sobel_test


def random_data(seed, n=80, p=3, missing=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) @ np.triu(np.full((p, p), 0.4)) + rng.normal(size=(n, p))
    y = 1.5 + X @ rng.normal(size=p) + rng.normal(scale=1.3, size=n)
    if missing:
        X[rng.random((n, p)) < missing] = np.nan
        y[rng.random(n) < missing] = np.nan
    return y, X


@pytest.mark.parametrize("seed, p", [(0, 1), (1, 3), (2, 5)])
def test_regression_equals_statsmodels_ols(seed, p):
    y, X = random_data(seed, p=p)
    fit = linear_regression(y, X)
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    assert fit.params == pytest.approx(ols.params, rel=1e-9, abs=1e-12)
    assert fit.bse == pytest.approx(ols.bse, rel=1e-9)
    assert fit.tvalues == pytest.approx(ols.tvalues, rel=1e-9)
    assert fit.pvalues == pytest.approx(ols.pvalues, rel=1e-7, abs=1e-15)
    assert fit.r_squared == pytest.approx(ols.rsquared, rel=1e-12)
    assert fit.adj_r_squared == pytest.approx(ols.rsquared_adj, rel=1e-12)
    assert fit.f_value == pytest.approx(ols.fvalue, rel=1e-9)
    assert fit.f_pvalue == pytest.approx(ols.f_pvalue, rel=1e-7, abs=1e-300)
    assert fit.ss_residual == pytest.approx(ols.ssr)
    assert fit.ss_regression == pytest.approx(ols.ess)
    assert fit.ss_total == pytest.approx(ols.centered_tss)
    assert fit.se_estimate == pytest.approx(np.sqrt(ols.mse_resid))
    assert (fit.df_regression, fit.df_residual) == (ols.df_model, ols.df_resid)
    assert fit.r == pytest.approx(np.sqrt(ols.rsquared))
    # standardized Beta = slopes of OLS on z-scored data
    z = lambda a: (a - a.mean(axis=0)) / a.std(axis=0, ddof=1)  # noqa: E731
    standardized = sm.OLS(z(y), sm.add_constant(z(X))).fit()
    assert np.isnan(fit.beta[0])
    assert fit.beta[1:] == pytest.approx(standardized.params[1:], rel=1e-9)


def test_regression_listwise_deletion_matches_statsmodels_drop():
    y, X = random_data(3, n=100, p=3, missing=0.05)
    fit = linear_regression(y, X)
    ols = sm.OLS(y, sm.add_constant(X), missing="drop").fit()
    assert fit.n_used == int(ols.nobs)
    assert fit.n_dropped == 100 - fit.n_used > 0
    assert fit.params == pytest.approx(ols.params, rel=1e-9)
    assert fit.pvalues == pytest.approx(ols.pvalues, rel=1e-7)
    assert "dropped (listwise)" in fit.summary()


def test_regression_tables_spss_layout():
    y, X = random_data(4, p=2)
    data = pd.DataFrame(X, columns=["Trust", "Image"])
    fit = linear_regression(pd.Series(y, name="Loyalty"), data)
    coefficients = fit.coefficients_frame()
    assert list(coefficients.columns) == ["Model", "B", "Std. Error", "Beta", "t", "Sig."]
    assert coefficients["Model"].tolist() == ["(Constant)", "Trust", "Image"]
    assert fit.to_frame().equals(coefficients)
    summary = fit.model_summary_frame()
    assert list(summary.columns) == ["R", "R Square", "Adjusted R Square", "Std. Error of the Estimate", "N"]
    anova = fit.anova_frame()
    assert list(anova.columns) == ["Model", "Sum of Squares", "df", "Mean Square", "F", "Sig."]
    assert anova["Model"].tolist() == ["Regression", "Residual", "Total"]
    assert anova["Sum of Squares"][0] + anova["Sum of Squares"][1] == pytest.approx(anova["Sum of Squares"][2])
    assert anova["df"].tolist() == [2, 77, 79]
    text = str(fit)
    for heading in ("Model Summary", "ANOVA", "Coefficients", "Dependent Variable: Loyalty", "(Constant)"):
        assert heading in text
    assert fit.dependent == "Loyalty"
    assert linear_regression(y, X, names=["a", "b"], dependent="L").names == ["(Constant)", "a", "b"]


def test_regression_minimum_rows_and_one_predictor_vector():
    fit = linear_regression([1.0, 2.5, 2.9], [1, 2, 3])  # n = p + 2
    assert fit.df_residual == 1
    slope = stats.linregress([1, 2, 3], [1.0, 2.5, 2.9])
    assert fit.params[1] == pytest.approx(slope.slope)
    assert fit.pvalues[1] == pytest.approx(slope.pvalue)


def test_regression_is_scale_invariant_in_collinearity_check():
    y, X = random_data(5, p=2)
    X[:, 0] *= 1e9  # money in rupiah next to a Likert score
    fit = linear_regression(y, X)
    assert fit.r_squared == pytest.approx(sm.OLS(y, sm.add_constant(X)).fit().rsquared)


# --- mediation -------------------------------------------------------------------------------
def test_sobel_aroian_goodman_formulas():
    a, sa, b, sb = 0.413, 0.183, 0.289, 0.129
    base = b**2 * sa**2 + a**2 * sb**2
    sobel = sobel_test(a, sa, b, sb)
    assert sobel.indirect_effect == pytest.approx(a * b)
    assert sobel.z == pytest.approx(a * b / np.sqrt(base))
    assert sobel.p_value == pytest.approx(2 * stats.norm.sf(abs(sobel.z)))
    assert sobel_test(a, sa, b, sb, test="aroian").z == pytest.approx(a * b / np.sqrt(base + sa**2 * sb**2))
    assert sobel_test(a, sa, b, sb, test="goodman").z == pytest.approx(a * b / np.sqrt(base - sa**2 * sb**2))
    table = mediation_tests(a, sa, b, sb)
    assert table["aroian"].z < table["sobel"].z < table["goodman"].z
    frame = table.to_frame()
    assert list(frame.columns) == ["Test", "Indirect effect", "Std. Error", "z", "Sig.", "Note"]
    assert frame["Test"].tolist() == ["Sobel", "Aroian", "Goodman"]


def test_negative_indirect_effect_has_two_tailed_p():
    result = sobel_test(-0.5, 0.1, 0.4, 0.1)
    assert result.z < 0
    assert result.p_value == pytest.approx(sobel_test(0.5, 0.1, 0.4, 0.1).p_value)


def test_goodman_undefined_radicand():
    # tiny paths with large standard errors: b^2 sa^2 + a^2 sb^2 < sa^2 sb^2
    table = mediation_tests(0.1, 0.5, 0.1, 0.5)
    goodman = table["goodman"]
    assert np.isnan(goodman.z) and np.isnan(goodman.p_value) and np.isnan(goodman.standard_error)
    assert "radicand" in goodman.note
    assert not np.isnan(table["sobel"].z)
    with pytest.raises(RoqInputError, match=r"^test: goodman: undefined: the radicand"):
        sobel_test(0.1, 0.5, 0.1, 0.5, test="goodman")


# --- bad input -------------------------------------------------------------------------------
def _collinear():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    X[:, 2] = 2 * X[:, 0] - 0.5 * X[:, 1]
    return rng.normal(size=20), X


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: linear_regression([1, 2, 3, 4], [[1, 2], [2, 1], [3, 5]]), r"^X: has 3 rows but y has 4"),
        (lambda: linear_regression([1, 2, 3], [[1, 2], [2, 1], [3, 5]]), r"^X: has 3 complete rows for 2 predictor\(s\); need at least 4"),
        (lambda: linear_regression([1, None, None, 4], [1, 2, 3, 4]), r"^X: has 2 complete rows for 1 predictor\(s\); need at least 3"),
        (lambda: linear_regression([1, 2, 3, 4, 5], [[1, 1], [2, 1], [3, 1], [4, 1], [5, 1]]), r"^X: predictor 'X2' is constant"),
        (lambda: linear_regression([2, 2, 2, 2], [1, 2, 3, 4]), r"^y: is constant"),
        (lambda: linear_regression(*_collinear()), r"^X: predictors are perfectly collinear"),
        (lambda: linear_regression([1, 2, 3, 4], [[1, "a"], [2, 1], [3, 5], [4, 4]]), r"^X: must be numeric, found text 'a'"),
        (lambda: linear_regression([1, 2, 3, 4], [1, 2, 3, 4], names=["a", "b"]), r"^names: has 2 names but X has 1"),
        (lambda: linear_regression([[1, 2], [3, 4]], [1, 2]), r"^y: must be 1-dimensional"),
        (lambda: sobel_test(0.5, 0, 0.4, 0.1), r"^se_a: must be a positive standard error"),
        (lambda: sobel_test(0.5, 0.1, 0.4, -0.1), r"^se_b: must be a positive standard error"),
        (lambda: sobel_test("a", 0.1, 0.4, 0.1), r"^a: must be numeric"),
        (lambda: sobel_test(0.5, 0.1, None, 0.1), r"^b: is required"),
        (lambda: sobel_test(0.5, 0.1, 0.4, 0.1, test="bootstrap"), r"^test: must be one of"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(RoqInputError, match=match):
        call()


def test_sobel_with_both_paths_zero_names_the_paths():
    with pytest.raises(RoqInputError, match=r"^a, b: both paths are zero"):
        sobel_test(0, 0.1, 0, 0.1)
    assert sobel_test(0, 0.1, 0, 0.1, test="aroian").z == 0
