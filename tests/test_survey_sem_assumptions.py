"""Regression assumption tests against statsmodels and scipy."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import RoqInputError
from simulator.survey import durbin_watson, regression_assumptions

sm = pytest.importorskip("statsmodels.api")
from statsmodels.stats.diagnostic import het_breuschpagan, lilliefors  # noqa: E402
from statsmodels.stats.outliers_influence import variance_inflation_factor  # noqa: E402
from statsmodels.stats.stattools import durbin_watson as sm_durbin_watson  # noqa: E402


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(2024)
    n = 90
    trust = rng.normal(size=n)
    image = 0.6 * trust + rng.normal(size=n)
    quality = rng.normal(size=n)
    X = np.column_stack([trust, image, quality])
    y = 0.4 * trust + 0.3 * image + 0.3 * quality + rng.normal(size=n) * (1 + 0.5 * np.abs(quality))
    return y, X, regression_assumptions(y, X, names=["trust", "image", "quality"])


def test_vif_and_tolerance_match_statsmodels(case):
    y, X, result = case
    design = sm.add_constant(X)
    for j, row in enumerate(result.collinearity.itertuples()):
        assert row.VIF == pytest.approx(variance_inflation_factor(design, j + 1), rel=1e-10)
        assert row.Tolerance == pytest.approx(1 / row.VIF, rel=1e-12)


def test_normality_heteroskedasticity_and_autocorrelation_match_statsmodels(case):
    y, X, result = case
    model = sm.OLS(y, sm.add_constant(X)).fit()
    e = model.resid
    tests = result.tests.set_index("Test")
    d, p = lilliefors(e, dist="norm", pvalmethod="table")
    assert tests.loc["Kolmogorov-Smirnov (Lilliefors)", "Statistic"] == pytest.approx(d, abs=1e-12)
    assert tests.loc["Kolmogorov-Smirnov (Lilliefors)", "Sig."] == pytest.approx(p, abs=1e-12)
    from scipy import stats

    assert tests.loc["Shapiro-Wilk", "Statistic"] == pytest.approx(stats.shapiro(e)[0], abs=1e-12)
    lm, lm_p, _, _ = het_breuschpagan(e, sm.add_constant(X), robust=True)  # Koenker's studentized version
    assert tests.loc["Breusch-Pagan-Koenker (LM = n R^2)", "Statistic"] == pytest.approx(lm, rel=1e-9)
    assert tests.loc["Breusch-Pagan-Koenker (LM = n R^2)", "Sig."] == pytest.approx(lm_p, rel=1e-8)
    lm0, lm0_p, _, _ = het_breuschpagan(e, sm.add_constant(X), robust=False)  # the original ESS / 2
    assert tests.loc["Breusch-Pagan (LM = ESS/2)", "Statistic"] == pytest.approx(lm0, rel=1e-9)
    assert tests.loc["Durbin-Watson (exact p, two-tailed)", "Statistic"] == pytest.approx(sm_durbin_watson(e), rel=1e-12)
    glejser = sm.OLS(np.abs(e), sm.add_constant(X)).fit()
    assert tests.loc["Glejser (smallest predictor Sig.)", "Sig."] == pytest.approx(glejser.pvalues[1:].min(), rel=1e-9)
    assert tests.loc["Breusch-Pagan-Koenker (LM = n R^2)", "Verdict"] == ("fit" if lm_p > 0.05 else "not fit")


def test_durbin_watson_p_value_is_uniform_under_no_autocorrelation():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 2))
    ps = [regression_assumptions(X @ [1, 1] + rng.normal(size=40), X, seed=k).tests.iloc[-1]["Sig."] for k in range(40)]
    assert 0.3 < np.mean(ps) < 0.7  # the exact p of a true null is uniform
    positive = np.cumsum(rng.normal(size=40))  # a random walk: strong positive autocorrelation
    assert regression_assumptions(positive, X).tests.iloc[-1]["Sig."] < 0.01
    assert durbin_watson([1.0, -1.0, 1.0, -1.0]) == 3.0


def test_bad_input(case):
    y, X, _ = case
    with pytest.raises(RoqInputError) as error:
        regression_assumptions(y, X, alpha=5)
    assert error.value.argument == "alpha"
    with pytest.raises(RoqInputError) as error:
        regression_assumptions(y[:10], X)
    assert error.value.argument == "X"
