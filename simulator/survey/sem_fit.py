"""Goodness-of-fit indices of a structural equation model, each from its published definition,
and the verdicts against cut-offs.

Notation: p observed variables, p* = p (p + 1) / 2 moments, q free parameters,
df = p* - q; S the sample covariance, Sigma the implied one; F the minimised
discrepancy; n the multiplier of the chi-square (N - 1 in the AMOS convention, N in
lavaan's); the baseline is the independence model Sigma_b = diag(S) with df_b = p* - p.

==========  ====================================================================
CMIN        chi-square T = n F (ML, GLS); p = P(chi2_df > T)
CMIN/DF     T / df (Wheaton et al. 1977)
RMSEA       sqrt(max(T - df, 0) / (df n)) (Steiger & Lind 1980); 90% interval from
            the noncentral chi-square (Browne & Cudeck 1993); PCLOSE = P(T' >= T)
            under RMSEA = 0.05
GFI         ML: 1 - tr[(Sigma^-1 S - I)^2] / tr[(Sigma^-1 S)^2]; GLS:
            1 - tr[(I - S^-1 Sigma)^2] / p; ULS: 1 - tr[(S - Sigma)^2] / tr(S^2)
            (Joreskog & Sorbom 1984)
AGFI        1 - (p* / df) (1 - GFI)
NFI         1 - T / T_b (Bentler & Bonett 1980)
TLI         (T_b/df_b - T/df) / (T_b/df_b - 1) (Tucker & Lewis 1973)
CFI         1 - max(T - df, 0) / max(T_b - df_b, T - df, 0) (Bentler 1990)
SRMR        sqrt(mean over i <= j of ((s_ij - sigma_ij) / sqrt(s_ii s_jj))^2) (Bentler 1995)
AIC, BIC    AMOS: T + 2 q and T + q ln N; lavaan: -2 lnL + 2 q and -2 lnL + q ln N,
            lnL = -N/2 (p ln 2 pi + ln|Sigma| + tr(S_N Sigma^-1)) with S_N of divisor N
==========  ====================================================================

Cut-offs (:data:`SEM_CUTOFFS`) are those of Assagaff (2014, the Manulife customer-loyalty
SEM, after Ferdinand 2000), with the two misprints of its Table 3.2 (RMSEA ">= 0.08",
CMIN/DF ">= 2.00") read as its text states them (<= 0.08, below 2.0); NFI, SRMR and PCLOSE,
which that study does not use, follow Bentler & Bonett (1980), Hu & Bentler (1999) and
Browne & Cudeck (1993).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping

import numpy as np

from ..errors import RoqInputError

__all__ = ["SEM_CUTOFFS", "PUBLISHED_TABLE_3_2", "judge", "fit_indices", "check_cutoffs", "rmsea_interval"]

_OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}

#: Index -> (operator, threshold); the value "fits" when ``value operator threshold``.
SEM_CUTOFFS = {
    "P": (">", 0.05),
    "CMIN/DF": ("<=", 2.0),
    "RMSEA": ("<=", 0.08),
    "PCLOSE": (">", 0.05),
    "GFI": (">=", 0.90),
    "AGFI": (">=", 0.90),
    "NFI": (">=", 0.90),
    "TLI": (">=", 0.95),
    "CFI": (">=", 0.95),
    "SRMR": ("<=", 0.08),
}

#: Table 3.2 of Assagaff (2014) as printed (its RMSEA and CMIN/DF signs are misprints).
PUBLISHED_TABLE_3_2 = {
    "Chi-square": "expected small", "Probability": ">= 0.05", "RMSEA": ">= 0.08 (misprint: the text says <= 0.08)",
    "GFI": ">= 0.90", "AGFI": ">= 0.90", "CMIN/DF": ">= 2.00 (misprint: the text says below 2.0 or 3.0)",
    "TLI": ">= 0.95", "CFI": ">= 0.95",
}


def judge(value, rule) -> str:
    """The one verdict rule: ``"fit"`` if ``value`` op threshold, ``"not fit"`` if not, ``""`` if undefined.

    ``rule`` is ``(operator, threshold)`` with operator one of ``>``, ``>=``, ``<``, ``<=``.
    Every verdict of the SEM tables (fit indices, loadings, CR, AVE, HTMT) comes from here.

    Examples
    --------
    >>> judge(0.062, ("<=", 0.08)), judge(0.93, (">=", 0.95))
    ('fit', 'not fit')
    """
    if rule is None or value is None or not np.isfinite(value):
        return ""
    op, threshold = rule
    return "fit" if _OPERATORS[op](value, threshold) else "not fit"


def check_cutoffs(cutoffs) -> dict:
    """:data:`SEM_CUTOFFS` updated with ``cutoffs`` ({index: (op, threshold)}); bad entries raise."""
    merged = dict(SEM_CUTOFFS)
    if cutoffs is None:
        return merged
    if not isinstance(cutoffs, Mapping):
        raise RoqInputError("cutoffs", "must map an index name to (operator, threshold), e.g. {'CMIN/DF': ('<=', 3.0)}")
    for key, rule in cutoffs.items():
        name = str(key).upper() if str(key).upper() in SEM_CUTOFFS else str(key)
        if name not in SEM_CUTOFFS:
            raise RoqInputError("cutoffs", f"unknown index {key!r}; one of {', '.join(SEM_CUTOFFS)}")
        try:
            op, threshold = rule
            threshold = float(threshold)
        except (TypeError, ValueError):
            raise RoqInputError("cutoffs", f"{key}: must be (operator, threshold), got {rule!r}") from None
        if op not in _OPERATORS or not np.isfinite(threshold):
            raise RoqInputError("cutoffs", f"{key}: operator must be one of > >= < <= and the threshold a number, got {rule!r}")
        merged[name] = (op, threshold)
    return merged


def rmsea_interval(chi_square: float, df: int, n: float, level: float = 0.90) -> tuple[float, float]:
    """RMSEA confidence interval: lambda with P(chi2'(df, lambda) <= T) = (1 +- level)/2, RMSEA = sqrt(lambda / (df n))."""
    from scipy import optimize, stats  # here, not at import: survey analytics import without scipy.stats
    if df <= 0 or not np.isfinite(chi_square):
        return float("nan"), float("nan")
    tail = (1 - level) / 2

    def noncentrality(prob):
        f = lambda lam: stats.ncx2.cdf(chi_square, df, lam) - prob if lam > 0 else stats.chi2.cdf(chi_square, df) - prob  # noqa: E731
        if f(0.0) < 0:  # T is so small that even lambda = 0 is too far
            return 0.0
        hi = max(chi_square, 1.0)
        while f(hi) > 0:
            hi *= 2
        return optimize.brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-14)

    lower = noncentrality(1 - tail)
    upper = noncentrality(tail)
    return float(np.sqrt(lower / (df * n))), float(np.sqrt(upper / (df * n)))


def fit_indices(S, sigma, f_min, *, n_chi, n_obs, q, estimator="ML", S_lavaan=None, convention="amos") -> dict:
    """Every index of the fit table as a dict (name -> value); see the module docstring."""
    from scipy import stats  # here, not at import: survey analytics import without scipy.stats
    p = S.shape[0]
    p_star = p * (p + 1) // 2
    df = p_star - q
    df_b = p_star - p
    out = {"N": n_obs, "Parameters": q, "Moments": p_star, "DF": df}
    if estimator in ("ML", "GLS"):
        chi = n_chi * f_min
        d = np.diag(S)
        if estimator == "ML":
            f_b = float(np.sum(np.log(d)) - np.linalg.slogdet(S)[1])
        else:  # GLS baseline: diagonal Sigma_b minimising 1/2 tr[(S^-1 (S - D))^2]
            s_inv = np.linalg.inv(S)
            dd = np.linalg.solve(s_inv * s_inv, np.diag(s_inv @ S @ s_inv))  # normal equations of the diagonal
            w = s_inv @ (S - np.diag(dd))
            f_b = float(0.5 * np.sum(w * w.T))
        chi_b = n_chi * f_b
        out.update({"CMIN": chi, "P": float(stats.chi2.sf(chi, df)) if df > 0 else float("nan"), "CMIN/DF": chi / df if df > 0 else float("nan"),
                    "Baseline CMIN": chi_b, "Baseline DF": df_b})
        rmsea = float(np.sqrt(max(chi - df, 0.0) / (df * n_chi))) if df > 0 else float("nan")
        lo, hi = rmsea_interval(chi, df, n_chi)
        pclose = float(stats.ncx2.sf(chi, df, 0.05**2 * df * n_chi)) if df > 0 else float("nan")
        out.update({"RMSEA": rmsea, "RMSEA LO 90": lo, "RMSEA HI 90": hi, "PCLOSE": pclose})
    else:
        chi = chi_b = float("nan")
        out.update({k: float("nan") for k in ("CMIN", "P", "CMIN/DF", "Baseline CMIN", "RMSEA", "RMSEA LO 90", "RMSEA HI 90", "PCLOSE")})
        out["Baseline DF"] = df_b
    # GFI per estimator (Joreskog & Sorbom)
    if estimator == "ML":
        ws = np.linalg.solve(sigma, S)
        r = ws - np.eye(p)
        gfi = 1.0 - np.sum(r * r.T) / np.sum(ws * ws.T)
    elif estimator == "GLS":
        r = np.eye(p) - np.linalg.solve(S, sigma)
        gfi = 1.0 - np.sum(r * r.T) / p
    else:
        r = S - sigma
        gfi = 1.0 - np.sum(r * r) / np.sum(S * S)
    out["GFI"] = float(gfi)
    out["AGFI"] = float(1.0 - p_star / df * (1.0 - gfi)) if df > 0 else float("nan")
    out["NFI"] = float(1.0 - chi / chi_b)
    out["TLI"] = float((chi_b / df_b - chi / df) / (chi_b / df_b - 1.0)) if df > 0 else float("nan")
    denominator = max(chi_b - df_b, chi - df, 0.0)
    out["CFI"] = float(1.0 - max(chi - df, 0.0) / denominator) if denominator > 0 else (1.0 if np.isfinite(chi) else float("nan"))
    scale = np.sqrt(np.outer(np.diag(S), np.diag(S)))
    rows, cols = np.tril_indices(p)
    standardized = (S - sigma) / scale
    out["SRMR"] = float(np.sqrt(np.mean(standardized[rows, cols] ** 2)))
    out["RMR"] = float(np.sqrt(np.mean((S - sigma)[rows, cols] ** 2)))
    if convention == "amos":
        out["AIC"] = chi + 2 * q
        out["BIC"] = chi + q * np.log(n_obs)
    else:
        s_n = S if S_lavaan is None else S_lavaan
        loglik = -0.5 * n_obs * (p * np.log(2 * np.pi) + np.linalg.slogdet(sigma)[1] + np.trace(np.linalg.solve(sigma, s_n)))
        out["LogLik"] = float(loglik)
        out["AIC"] = float(-2 * loglik + 2 * q)
        out["BIC"] = float(-2 * loglik + q * np.log(n_obs))
    return out
