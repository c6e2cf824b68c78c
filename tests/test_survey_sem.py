"""SEM on the classic data sets that ship with semopy, against independent computations.

Three independent references:
1. a separate maximum-likelihood implementation written here (RAM formulation,
   Sigma = F (I - A)^-1 S (I - A)^-T F', minimised by scipy's BFGS, standard errors from
   the expected information with numerical derivatives), and the fit indices computed
   here from its Sigma with the textbook formulas;
2. lavaan's published output for the two models (Rosseel 2012 tutorial; 3 decimals);
3. semopy's own ``calc_stats`` formulas evaluated at our estimates.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

semopy = pytest.importorskip("semopy")
from semopy.examples import holzinger39, political_democracy  # noqa: E402

from simulator.survey import fit_sem  # noqa: E402

TOL = 1e-3

HS_MODEL = holzinger39.get_model()
PD_MODEL = political_democracy.get_model()


# --- an independent ML implementation (RAM) ---------------------------------------------
class RamModel:
    """Free parameters ('A', to, from) paths / ('S', a, b) (co)variances; fixed ('A', to, from, value)."""

    def __init__(self, observed, latent, free, fixed):
        self.names = list(observed) + list(latent)
        self.p = len(observed)
        self.free = free
        self.fixed = fixed
        self.index = {v: i for i, v in enumerate(self.names)}

    def sigma(self, theta):
        k = len(self.names)
        a = np.zeros((k, k))
        s = np.zeros((k, k))
        for kind, x, y, value in self.fixed:
            a[self.index[x], self.index[y]] = value
        for (kind, x, y), value in zip(self.free, theta):
            i, j = self.index[x], self.index[y]
            if kind == "A":
                a[i, j] = value
            else:
                s[i, j] = s[j, i] = value
        inv = np.linalg.inv(np.eye(k) - a)
        full = inv @ s @ inv.T
        return full[: self.p, : self.p]

    def start(self, S):
        values = []
        for kind, x, y in self.free:
            if kind == "A":
                values.append(1.0 if self.index[x] < self.p else 0.5)
            elif x == y:
                values.append(0.5 * S[self.index[x], self.index[x]] if self.index[x] < self.p else 0.5)
            else:
                values.append(0.0)
        return np.array(values)


def f_ml(S, sigma):
    sign, logdet = np.linalg.slogdet(sigma)
    if sign <= 0:
        return 1e10
    return logdet + np.trace(np.linalg.solve(sigma, S)) - np.linalg.slogdet(S)[1] - S.shape[0]


def ram_fit(model, S, n_chi):
    objective = lambda t: f_ml(S, model.sigma(t))  # noqa: E731
    res = optimize.minimize(objective, model.start(S), method="BFGS", options={"gtol": 1e-10, "maxiter": 20000})
    res = optimize.minimize(objective, res.x, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000}) if not res.success else res
    theta = res.x
    sigma = model.sigma(theta)
    h = 1e-6
    derivs = []
    for k in range(len(theta)):
        up, down = theta.copy(), theta.copy()
        up[k] += h
        down[k] -= h
        derivs.append((model.sigma(up) - model.sigma(down)) / (2 * h))
    inv = np.linalg.inv(sigma)
    info = np.array([[0.5 * np.trace(inv @ dk @ inv @ dl) for dl in derivs] for dk in derivs])
    se = np.sqrt(np.diag(np.linalg.inv(info)) / n_chi)
    return theta, se, sigma, res.fun


def textbook_indices(S, sigma, f, n_chi, n_obs, q):
    p = S.shape[0]
    ps = p * (p + 1) // 2
    df, df_b = ps - q, ps - p
    chi = n_chi * f
    chi_b = n_chi * (np.sum(np.log(np.diag(S))) - np.linalg.slogdet(S)[1])
    ws = np.linalg.inv(sigma) @ S
    gfi = 1 - np.trace((ws - np.eye(p)) @ (ws - np.eye(p))) / np.trace(ws @ ws)
    standardized = [(S[i, j] - sigma[i, j]) / np.sqrt(S[i, i] * S[j, j]) for i in range(p) for j in range(i + 1)]
    rmsea = np.sqrt(max(chi - df, 0) / (df * n_chi))
    # interval by scanning the noncentrality on a grid and interpolating (a different route than brentq)
    grid = np.linspace(0, 6 * chi + 50, 200001)
    cdf = stats.ncx2.cdf(chi, df, np.maximum(grid, 1e-12))
    lam_lo = np.interp(0.95, cdf[::-1], grid[::-1]) if stats.chi2.cdf(chi, df) > 0.95 else 0.0
    lam_hi = np.interp(0.05, cdf[::-1], grid[::-1])
    loglik = -0.5 * n_obs * (p * np.log(2 * np.pi) + np.linalg.slogdet(sigma)[1] + np.trace(np.linalg.solve(sigma, S)))
    return {
        "CMIN": chi, "DF": df, "P": stats.chi2.sf(chi, df), "CMIN/DF": chi / df, "RMSEA": rmsea,
        "RMSEA LO 90": np.sqrt(lam_lo / (df * n_chi)), "RMSEA HI 90": np.sqrt(lam_hi / (df * n_chi)),
        "PCLOSE": 1 - stats.ncx2.cdf(chi, df, 0.0025 * df * n_chi),
        "GFI": gfi, "AGFI": 1 - ps / df * (1 - gfi), "NFI": (chi_b - chi) / chi_b,
        "TLI": (chi_b / df_b - chi / df) / (chi_b / df_b - 1),
        "CFI": 1 - max(chi - df, 0) / max(chi_b - df_b, chi - df, 0),
        "SRMR": np.sqrt(np.mean(np.square(standardized))),
        "LogLik": loglik, "AIC": -2 * loglik + 2 * q, "BIC": -2 * loglik + q * np.log(n_obs),
    }


def hs_ram():
    observed = [f"x{i}" for i in range(1, 10)]
    latent = ["visual", "textual", "speed"]
    fixed = [("A", "x1", "visual", 1.0), ("A", "x4", "textual", 1.0), ("A", "x7", "speed", 1.0)]
    free = [("A", "x2", "visual"), ("A", "x3", "visual"), ("A", "x5", "textual"), ("A", "x6", "textual"),
            ("A", "x8", "speed"), ("A", "x9", "speed")]
    free += [("S", v, v) for v in observed + latent]
    free += [("S", "visual", "textual"), ("S", "visual", "speed"), ("S", "textual", "speed")]
    return RamModel(observed, latent, free, fixed)


def pd_ram():
    observed = ["x1", "x2", "x3", "y1", "y2", "y3", "y4", "y5", "y6", "y7", "y8"]
    latent = ["ind60", "dem60", "dem65"]
    fixed = [("A", "x1", "ind60", 1.0), ("A", "y1", "dem60", 1.0), ("A", "y5", "dem65", 1.0)]
    free = [("A", "x2", "ind60"), ("A", "x3", "ind60"), ("A", "y2", "dem60"), ("A", "y3", "dem60"), ("A", "y4", "dem60"),
            ("A", "y6", "dem65"), ("A", "y7", "dem65"), ("A", "y8", "dem65"),
            ("A", "dem60", "ind60"), ("A", "dem65", "ind60"), ("A", "dem65", "dem60")]
    free += [("S", v, v) for v in observed + latent]
    free += [("S", "y1", "y5"), ("S", "y2", "y4"), ("S", "y2", "y6"), ("S", "y3", "y7"), ("S", "y4", "y8"), ("S", "y6", "y8")]
    return RamModel(observed, latent, free, fixed)


def our_lookup(fit):
    """(kind, a, b) of the RAM spec -> (estimate, se) from our estimates table."""
    table = fit.estimates_frame()
    out = {}
    for r in table.itertuples():
        if r.op == "=~":
            out[("A", r.rval, r.lval)] = (r.Estimate, r._7)
        elif r.op == "~":
            out[("A", r.lval, r.rval)] = (r.Estimate, r._7)
        else:
            out[("S", r.lval, r.rval)] = out[("S", r.rval, r.lval)] = (r.Estimate, r._7)
    return out


CASES = {
    "holzinger-swineford": (holzinger39.get_data(), HS_MODEL, hs_ram),
    "political-democracy": (political_democracy.get_data(), PD_MODEL, pd_ram),
}


@pytest.fixture(scope="module", params=[(name, conv) for name in CASES for conv in ("lavaan", "amos")], ids=lambda v: f"{v[0]}-{v[1]}")
def case(request):
    name, convention = request.param
    data, model, ram = CASES[name]
    fit = fit_sem(data, model, convention=convention)
    ram_model = ram()
    columns = ram_model.names[: ram_model.p]
    raw = data[columns].to_numpy(float)
    n = raw.shape[0]
    S = np.cov(raw, rowvar=False, ddof=1 if convention == "amos" else 0)
    n_chi = n - 1 if convention == "amos" else n
    theta, se, sigma, f = ram_fit(ram_model, S, n_chi)
    reference = textbook_indices(S, sigma, f, n_chi, n, len(theta))
    return name, convention, fit, ram_model, theta, se, reference


def test_estimates_and_standard_errors_match_an_independent_ml_fit(case):
    name, convention, fit, ram_model, theta, se, _ = case
    ours = our_lookup(fit)
    assert len(theta) == fit.structure.n_free
    for spec, value, error in zip(ram_model.free, theta, se):
        estimate, standard_error = ours[spec]
        assert estimate == pytest.approx(value, abs=TOL), spec
        assert standard_error == pytest.approx(error, abs=TOL), spec


def test_every_fit_index_matches_the_textbook_formulas(case):
    name, convention, fit, _, _, _, reference = case
    names = ["CMIN", "DF", "P", "CMIN/DF", "RMSEA", "RMSEA LO 90", "RMSEA HI 90", "PCLOSE", "GFI", "AGFI", "NFI", "TLI", "CFI", "SRMR"]
    if convention == "lavaan":
        names += ["AIC", "BIC"]
    for index in names:
        assert fit.indices[index] == pytest.approx(reference[index], abs=TOL), index
    if convention == "amos":  # AMOS: AIC = CMIN + 2q, BIC = CMIN + q ln N
        q = fit.structure.n_free
        assert fit.indices["AIC"] == pytest.approx(reference["CMIN"] + 2 * q, abs=TOL)
        assert fit.indices["BIC"] == pytest.approx(reference["CMIN"] + q * np.log(fit.n_obs), abs=TOL)


def test_semopy_formulas_at_our_estimates_agree():
    """semopy's calc_stats (its own chi-square, CFI, TLI, NFI, RMSEA code) evaluated at our estimates."""
    for data, model in ((holzinger39.get_data(), HS_MODEL), (political_democracy.get_data(), PD_MODEL)):
        fit = fit_sem(data, model, convention="lavaan")  # semopy uses S with divisor N and chi2 = N F
        sem = semopy.Model(model)
        sem.load(data=data)
        # our parameters in semopy's numbering, matched by their place in the matrices
        place = {min(places): k for k, places in enumerate(fit.structure.locations)}
        semopy_places = []
        for param in (p for p in sem.parameters.values() if p.active):
            loc = param.locations[0]
            m = next(i for i in range(4) if sem.matrices[i] is loc.matrix)
            semopy_places.append(min((m, *loc.indices), (m, *loc.indices[::-1])) if loc.symmetric else (m, *loc.indices))
        sem.param_vals = np.array([fit.theta[place[key]] for key in semopy_places])
        sem.update_matrices(sem.param_vals)
        sem.last_result = type("R", (), {"fun": fit.indices["CMIN"] / fit.n_obs, "name_obj": "MLW"})()
        table = semopy.calc_stats(sem).T["Value"]
        assert fit.indices["CMIN"] == pytest.approx(table["chi2"], abs=TOL)
        assert fit.indices["Baseline CMIN"] == pytest.approx(table["chi2 Baseline"], abs=TOL)
        assert fit.indices["DF"] == table["DoF"]
        for ours, theirs in (("CFI", "CFI"), ("TLI", "TLI"), ("NFI", "NFI"), ("RMSEA", "RMSEA")):
            assert fit.indices[ours] == pytest.approx(table[theirs], abs=TOL), ours
        # semopy's inspect() standard errors at our estimates
        est = sem.inspect()
        est = est[est["Std. Err"] != "-"]
        ours = our_lookup(fit)
        for r in est.itertuples():
            key = ("A", r.lval, r.rval) if r.op == "~" else ("S", r.lval, r.rval)
            assert ours[key][1] == pytest.approx(float(r._5), abs=TOL), key


# lavaan 0.6 output (Rosseel 2012; lavaan tutorial), estimator ML, likelihood "normal"
LAVAAN_HS = {"CMIN": 85.306, "DF": 24, "CFI": 0.931, "TLI": 0.896, "RMSEA": 0.092, "RMSEA LO 90": 0.071, "RMSEA HI 90": 0.114,
             "PCLOSE": 0.001, "SRMR": 0.065, "AIC": 7517.490, "BIC": 7595.339, "GFI": 0.943, "AGFI": 0.894}
LAVAAN_HS_ESTIMATES = {("A", "x2", "visual"): (0.554, 0.100), ("A", "x3", "visual"): (0.729, 0.109), ("A", "x5", "textual"): (1.113, 0.065),
                       ("A", "x6", "textual"): (0.926, 0.055), ("A", "x8", "speed"): (1.180, 0.165), ("A", "x9", "speed"): (1.082, 0.151),
                       ("S", "visual", "textual"): (0.408, 0.074), ("S", "visual", "speed"): (0.262, 0.056), ("S", "textual", "speed"): (0.173, 0.049),
                       ("S", "x1", "x1"): (0.549, 0.114), ("S", "x2", "x2"): (1.134, 0.102), ("S", "x3", "x3"): (0.844, 0.091),
                       ("S", "x4", "x4"): (0.371, 0.048), ("S", "x5", "x5"): (0.446, 0.058), ("S", "x6", "x6"): (0.356, 0.043),
                       ("S", "x7", "x7"): (0.799, 0.081), ("S", "x8", "x8"): (0.488, 0.074), ("S", "x9", "x9"): (0.566, 0.071),
                       ("S", "visual", "visual"): (0.809, 0.145), ("S", "textual", "textual"): (0.979, 0.112), ("S", "speed", "speed"): (0.384, 0.086)}
LAVAAN_PD = {"CMIN": 38.125, "DF": 35, "P": 0.329, "CFI": 0.995, "TLI": 0.993, "RMSEA": 0.035, "RMSEA LO 90": 0.000, "RMSEA HI 90": 0.092,
             "PCLOSE": 0.611, "SRMR": 0.044, "AIC": 3157.582, "BIC": 3229.424}
LAVAAN_PD_ESTIMATES = {("A", "x2", "ind60"): (2.180, 0.139), ("A", "x3", "ind60"): (1.819, 0.152), ("A", "y2", "dem60"): (1.257, 0.182),
                       ("A", "y3", "dem60"): (1.058, 0.151), ("A", "y4", "dem60"): (1.265, 0.145), ("A", "y6", "dem65"): (1.186, 0.169),
                       ("A", "y7", "dem65"): (1.280, 0.160), ("A", "y8", "dem65"): (1.266, 0.158), ("A", "dem60", "ind60"): (1.483, 0.399),
                       ("A", "dem65", "ind60"): (0.572, 0.221), ("A", "dem65", "dem60"): (0.837, 0.098), ("S", "y1", "y5"): (0.624, 0.358),
                       ("S", "y2", "y4"): (1.313, 0.702), ("S", "y2", "y6"): (2.153, 0.734), ("S", "y3", "y7"): (0.795, 0.608),
                       ("S", "y4", "y8"): (0.348, 0.442), ("S", "y6", "y8"): (1.356, 0.568), ("S", "x1", "x1"): (0.082, 0.019),
                       ("S", "x2", "x2"): (0.120, 0.070), ("S", "x3", "x3"): (0.467, 0.090), ("S", "y1", "y1"): (1.891, 0.444),
                       ("S", "y2", "y2"): (7.373, 1.374), ("S", "y3", "y3"): (5.067, 0.952), ("S", "y4", "y4"): (3.148, 0.739),
                       ("S", "y5", "y5"): (2.351, 0.480), ("S", "y6", "y6"): (4.954, 0.914), ("S", "y7", "y7"): (3.431, 0.713),
                       ("S", "y8", "y8"): (3.254, 0.695), ("S", "ind60", "ind60"): (0.448, 0.087), ("S", "dem60", "dem60"): (3.956, 0.921),
                       ("S", "dem65", "dem65"): (0.172, 0.215)}


@pytest.mark.parametrize("data, model, indices, estimates", [
    (holzinger39.get_data(), HS_MODEL, LAVAAN_HS, LAVAAN_HS_ESTIMATES),
    (political_democracy.get_data(), PD_MODEL, LAVAAN_PD, LAVAAN_PD_ESTIMATES),
], ids=["holzinger-swineford", "political-democracy"])
def test_published_lavaan_output_is_reproduced(data, model, indices, estimates):
    fit = fit_sem(data, model, convention="lavaan")
    for name, value in indices.items():
        assert fit.indices[name] == pytest.approx(value, abs=0.0005 + 1e-9), name
    ours = our_lookup(fit)
    assert len(estimates) == fit.structure.n_free
    for key, (value, error) in estimates.items():
        assert ours[key][0] == pytest.approx(value, abs=0.0005 + 1e-9), key
        assert ours[key][1] == pytest.approx(error, abs=0.0005 + 1e-9), key


def test_amos_convention_scales_chi_square_by_n_minus_1_over_n():
    data = holzinger39.get_data()
    lav = fit_sem(data, HS_MODEL, convention="lavaan")
    amos = fit_sem(data, HS_MODEL, convention="amos")
    assert amos.indices["CMIN"] == pytest.approx(lav.indices["CMIN"] * 300 / 301, rel=1e-8)
    loadings = lambda f: f.estimates_frame().query("op == '=~' and Label != 'fixed'")["Estimate"].to_numpy()  # noqa: E731
    np.testing.assert_allclose(loadings(amos), loadings(lav), atol=1e-7)  # scale-free parameters are the same


def test_modification_indices_match_lavaan():
    fit = fit_sem(holzinger39.get_data(), HS_MODEL, convention="lavaan")
    mi = fit.modification_indices()
    top = {(r.lval, r.op, r.rval): (r._5, r._6) for r in mi.itertuples()}
    # lavaan: visual =~ x9 mi 36.411 epc 0.577; x7 ~~ x8 mi 34.145 epc 0.536; visual =~ x7 18.631 -0.422
    assert top[("visual", "=~", "x9")][0] == pytest.approx(36.411, abs=5e-4)
    assert top[("visual", "=~", "x9")][1] == pytest.approx(0.577, abs=5e-4)
    assert top[("x8", "~~", "x7")][0] == pytest.approx(34.145, abs=5e-4)
    assert top[("visual", "=~", "x7")][0] == pytest.approx(18.631, abs=5e-4)


def test_standardized_solution_and_effects_follow_from_the_estimates():
    fit = fit_sem(political_democracy.get_data(), PD_MODEL, convention="lavaan")
    est = fit.estimates_frame().set_index("Path")
    # lavaan std.all: dem60 ~ ind60 0.447, dem65 ~ dem60 0.885, ind60 =~ x2 0.973
    assert est.loc["dem60 <--- ind60", "Std. Estimate"] == pytest.approx(0.447, abs=5e-4)
    assert est.loc["dem65 <--- dem60", "Std. Estimate"] == pytest.approx(0.885, abs=5e-4)
    assert est.loc["x2 <--- ind60", "Std. Estimate"] == pytest.approx(0.973, abs=5e-4)
    effects = fit.effects_frame().set_index(["From", "To"])
    row = effects.loc[("ind60", "dem65")]
    assert row["Indirect"] == pytest.approx(1.483 * 0.837, abs=2e-3)
    assert row["Total"] == pytest.approx(row["Direct"] + row["Indirect"], abs=1e-12)
    assert row["Std. Indirect"] == pytest.approx(est.loc["dem60 <--- ind60", "Std. Estimate"] * est.loc["dem65 <--- dem60", "Std. Estimate"], abs=1e-9)
    smc = fit.smc_frame().set_index("Variable")["SMC"]
    assert smc["dem65"] == pytest.approx(1 - 0.039, abs=1e-3)  # lavaan R2 of dem65: 0.961


def test_gls_and_uls_reach_at_least_semopys_minimum():
    from simulator.survey.sem_model import discrepancy

    data = holzinger39.get_data()
    for estimator, objective in (("GLS", "GLS"), ("ULS", "ULS")):
        fit = fit_sem(data, HS_MODEL, estimator=estimator, convention="lavaan")
        sem = semopy.Model(HS_MODEL)
        sem.fit(data, obj=objective)
        sigma_semopy, _ = sem.calc_sigma()
        ours = discrepancy(fit.S, fit.sigma, estimator)
        theirs = discrepancy(fit.S, sigma_semopy, estimator)
        assert ours <= theirs + 1e-9
        np.testing.assert_allclose(fit.sigma, sigma_semopy, atol=5e-3)


def test_summary_prints_the_amos_sections():
    fit = fit_sem(political_democracy.get_data(), PD_MODEL)
    text = fit.summary()
    for heading in ("Model Fit", "Regression Weights", "Covariances", "Variances", "Squared Multiple Correlations", "Sobel", "AMOS convention"):
        assert heading in text
    assert "not fit" in fit.fit_frame()["Verdict"].tolist()  # AGFI 0.854 < 0.90
    residuals = fit.residuals_frame()
    assert set(residuals["Flag"]) <= {"", "> 2.58"}
    assert (residuals["Flag"] != "").sum() == (residuals["Standardized"].abs() > 2.58).sum()
