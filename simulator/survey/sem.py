"""Structural equation models as AMOS users read them: fit, estimates, effects, reliability.

:func:`fit_sem` fits a model written in lavaan syntax to a respondents x items table (or a
covariance matrix with its N) by maximum likelihood (default), GLS or ULS and returns a
:class:`SEMResult` whose tables follow AMOS's output: the fit table with a verdict per
index (:mod:`simulator.survey.sem_fit`), regression weights / covariances / variances with
S.E., C.R. and P, standardized estimates, squared multiple correlations, Heywood flags,
standardized direct / indirect / total effects, Sobel / Aroian / Goodman tests of each
intervening path (:func:`simulator.survey.mediation_tests`), construct reliability,
variance extracted, Fornell-Larcker and HTMT, standardized residual covariances and
modification indices. Bootstrap intervals of the indirect effects are in
:mod:`simulator.survey.sem_bootstrap`; AMOS's assessment of normality and Mahalanobis
distances in :mod:`simulator.survey.normality`.

The estimation is this package's own (see :mod:`simulator.survey.sem_model`); semopy
(Igolkina & Meshcheryakov 2020) parses the model and gives starting values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engines._threads import single_blas_thread
from ..errors import RoqInputError
from ._common import TableResult, check_choice, format_table, to_array
from .regression import mediation_tests
from .sem_fit import check_cutoffs, fit_indices, judge
from .sem_model import CONVENTIONS, ESTIMATORS, build_structure, check_model_variables, estimate, information, parse_model_text

__all__ = ["RELIABILITY_CUTOFFS", "MI_THRESHOLD", "RESIDUAL_CUTOFF", "SEMResult", "fit_sem", "ConstructReliability"]

#: Measurement-quality cut-offs (Hair et al. 2010; Fornell & Larcker 1981; Henseler et al. 2015).
RELIABILITY_CUTOFFS = {"Loading": (">=", 0.5), "CR": (">=", 0.7), "AVE": (">=", 0.5), "HTMT": ("<", 0.85)}
#: AMOS's default threshold for listing modification indices.
MI_THRESHOLD = 4.0
#: |standardized residual covariance| above this is flagged (Hair et al., as in Assagaff 2014).
RESIDUAL_CUTOFF = 2.58
MAX_RESPONDENTS = 1_000_000


def _one_blas_thread(method):
    """Run a result method with one BLAS thread: the same bits on every machine and engine."""
    import functools

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with single_blas_thread():
            return method(*args, **kwargs)

    return wrapper


def _frame_input(data, name="data") -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
        frame.columns = [str(c) for c in frame.columns]
        return frame
    raise RoqInputError(name, f"must be a table with item names as column headers (a DataFrame), got {type(data).__name__}")


def _sample_covariance(data, covariance, n, observed_all):
    """Complete rows (or None), the unbiased covariance (labelled) and N."""
    if data is not None and covariance is not None:
        raise RoqInputError("covariance", "give either data or a covariance matrix with n, not both")
    if data is not None:
        frame = _frame_input(data)
        return frame, None, None
    if covariance is None:
        raise RoqInputError("data", "is required (respondents x items, with item names as headers), or give covariance= and n=")
    if not isinstance(covariance, pd.DataFrame):
        raise RoqInputError("covariance", "must be a labelled square table (a DataFrame with item names as index and columns)")
    return None, covariance, n


@_one_blas_thread  # many small products, which a threaded BLAS only slows down; and the same bits everywhere
def fit_sem(data=None, model=None, *, covariance=None, n=None, estimator="ML", convention="amos", cutoffs=None, max_iter=500) -> "SEMResult":
    """Fit a structural equation model and report it as AMOS does.

    Parameters
    ----------
    data : DataFrame, optional
        Respondents in rows, items in columns (headers = the names the model uses). Rows
        with a blank in a model variable are dropped (listwise, as AMOS requires for ML
        without means); ``n_dropped`` says how many.
    model : str or sequence of str
        lavaan syntax: ``SQ =~ X1 + X2 + X3 + X4`` (construct measured by items; the first
        loading is fixed at 1 as AMOS's marker), ``SAT ~ SQ + CV`` (regression),
        ``X1 ~~ X2`` ((co)variance); ``0.5*X`` fixes a value, ``a*X`` labels (equal labels
        are equality constraints). Lines may come from a column of cells.
    covariance : DataFrame, optional
        Instead of data: the sample covariance (divisor N - 1) of the items, with ``n``.
    n : int, optional
        Sample size for ``covariance``.
    estimator : {"ML", "GLS", "ULS"}
        Maximum likelihood (default), generalised or unweighted least squares.
    convention : {"amos", "lavaan"}
        ``"amos"``: S with divisor N - 1 and chi-square (N - 1) F (AMOS, EQS, LISREL);
        ``"lavaan"``: S with divisor N and chi-square N F (lavaan's default). Standard
        errors use the same multiplier.
    cutoffs : dict, optional
        Overrides of :data:`~simulator.survey.sem_fit.SEM_CUTOFFS`, e.g.
        ``{"CMIN/DF": ("<=", 3.0)}``.
    max_iter : int
        Iterations of Fisher scoring (1..5000).

    Returns
    -------
    SEMResult
        ``fit_frame()``, ``estimates_frame()``, ``smc_frame()``, ``effects_frame()``,
        ``indirect_tests_frame()``, ``reliability()``, ``residuals_frame()``,
        ``modification_indices()``, ``summary()``.

    Raises
    ------
    RoqInputError
        ``model``: syntax error (with its line), unknown variable, non-identified model,
        no convergence; ``data``: fewer respondents than free parameters, a constant item,
        items whose covariance matrix is singular.

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> fit = fit_sem(holzinger39.get_data(), "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9",
    ...               convention="lavaan")
    >>> round(fit.indices["CMIN"], 3), fit.indices["DF"], round(fit.indices["CFI"], 3)
    (85.306, 24, 0.931)
    """
    statements = parse_model_text(model)
    check_choice(estimator if not isinstance(estimator, str) else estimator.upper(), "estimator", ESTIMATORS)
    estimator = estimator.upper()
    check_choice(convention if not isinstance(convention, str) else convention.lower(), "convention", CONVENTIONS)
    convention = convention.lower()
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or not 1 <= max_iter <= 5000:
        raise RoqInputError("max_iter", f"must be a whole number from 1 to 5000, got {max_iter!r}")
    cutoffs = check_cutoffs(cutoffs)
    frame, cov_in, n_in = _sample_covariance(data, covariance, n, None)
    columns = frame.columns if frame is not None else [str(c) for c in cov_in.columns]
    latent, observed = check_model_variables(statements, columns)

    n_dropped = 0
    raw = None
    if frame is not None:
        values = to_array(frame[observed], "data", ndim=2)
        complete = ~np.isnan(values).any(axis=1)
        n_dropped = int((~complete).sum())
        raw = values[complete]
        n_obs = raw.shape[0]
        if n_obs > MAX_RESPONDENTS:
            raise RoqInputError("data", f"has {n_obs} respondents; at most {MAX_RESPONDENTS:,} are supported")
        if n_obs < 3:
            raise RoqInputError("data", f"has {n_obs} complete respondent(s) on the model's items; an SEM needs many more")
        spread = np.ptp(raw, axis=0)
        if (spread == 0).any():
            item = observed[int(np.flatnonzero(spread == 0)[0])]
            raise RoqInputError("data", f"item {item!r} is constant (every complete respondent answered {raw[0, observed.index(item)]:g}); it carries no covariance - drop it from the model")
        s_unbiased = np.cov(raw, rowvar=False, ddof=1)
    else:
        if n_in is None or isinstance(n_in, bool) or not float(n_in).is_integer() or n_in < 3:
            raise RoqInputError("n", f"must be the sample size (a whole number >= 3) when a covariance matrix is given, got {n_in!r}")
        n_obs = int(n_in)
        cov_labels = [str(c) for c in cov_in.columns]
        cov_frame_in = cov_in.copy()
        cov_frame_in.columns = cov_labels
        cov_frame_in.index = [str(i) for i in cov_in.index]
        missing = [v for v in observed if v not in cov_frame_in.index]
        if missing:
            raise RoqInputError("covariance", f"has no row for {missing[0]!r}")
        s_unbiased = to_array(cov_frame_in.loc[observed, observed], "covariance", ndim=2, allow_missing=False)
        if not np.allclose(s_unbiased, s_unbiased.T, rtol=1e-8, atol=1e-12):
            raise RoqInputError("covariance", "is not symmetric")
    eigen = np.linalg.eigvalsh(s_unbiased)
    if eigen[0] <= 1e-12 * max(eigen[-1], 1e-300):
        raise RoqInputError("data", "the items' covariance matrix is singular (an item is a linear combination of others, or there are fewer respondents than items); drop the redundant item")
    n_chi = n_obs - 1 if convention == "amos" else n_obs
    S = s_unbiased if convention == "amos" else s_unbiased * (n_obs - 1) / n_obs
    cov_frame = pd.DataFrame(S, index=observed, columns=observed)
    sample = pd.DataFrame(raw if raw is not None else _data_with_covariance(S), columns=observed)  # semopy's starts need rows
    structure, start, _ = build_structure(statements, latent, observed, sample, cov_frame, n_obs)
    order = [observed.index(v) for v in structure.observed]
    S = S[np.ix_(order, order)]
    raw = raw[:, order] if raw is not None else None
    q = structure.n_free
    p = len(structure.observed)
    p_star = p * (p + 1) // 2
    if q > p_star:
        raise RoqInputError("model", f"is not identified: {q} free parameters but only {p_star} distinct variances and covariances (df = {p_star - q}); fix or drop {q - p_star} parameter(s)")
    if n_obs <= q:
        raise RoqInputError("data", f"has {n_obs} complete respondents for {q} free parameters; there must be more respondents than parameters (AMOS users aim at 5 to 10 per parameter)")
    _check_identified(structure, start, S)
    result = estimate(structure, S, start, estimator, max_iter=max_iter)
    if not result.converged:
        result = _retry_with_semopy(structure, statements, S, result, estimator, max_iter, cov_frame.loc[structure.observed, structure.observed], n_obs)
    if not result.converged:
        raise RoqInputError("model", f"did not converge ({result.message}); check the model for a construct with too few items or a near-zero variance, or try another estimator")
    _check_identified(structure, result.theta, S, at_solution=True)
    cov_theta = _parameter_covariance(structure, result, S, estimator, n_chi)
    indices = fit_indices(S, result.sigma, result.f_min, n_chi=n_chi, n_obs=n_obs, q=q, estimator=estimator, convention=convention)
    return SEMResult(structure=structure, statements=statements, theta=result.theta, cov_theta=cov_theta, S=S, sigma=result.sigma,
                     n_obs=n_obs, n_chi=n_chi, n_dropped=n_dropped, estimator=estimator, convention=convention, cutoffs=cutoffs,
                     indices=indices, data=raw, iterations=result.iterations)


def _data_with_covariance(S, rows=None):
    """Rows whose covariance (divisor N) is exactly S, for semopy's starting values when only S is given."""
    p = S.shape[0]
    rows = rows or max(2 * p, 50)
    z = np.random.default_rng(0).standard_normal((rows, p))
    z -= z.mean(axis=0)
    white = np.linalg.cholesky(z.T @ z / rows)
    z = np.linalg.solve(white, z.T).T
    return z @ np.linalg.cholesky(S).T


def _check_identified(structure, theta, S, at_solution=False):
    """A singular information matrix means some parameters cannot be told apart."""
    try:
        sigma, parts = structure.sigma(theta)
        a = information(structure, theta, S, "ML" if np.all(np.linalg.eigvalsh(sigma) > 0) else "ULS", parts=parts, sigma=sigma)[0]
    except np.linalg.LinAlgError:
        return
    scale = np.sqrt(np.clip(np.diag(a), 1e-300, None))
    zero = np.flatnonzero(np.diag(a) <= 1e-14 * max(np.max(np.diag(a)), 1e-300))
    if zero.size:
        names = ", ".join(" ".join(structure.labels[k]) for k in zero[:3])
        raise RoqInputError("model", f"is not identified: the parameter(s) {names} do not affect the implied covariances")
    correlation = a / np.outer(scale, scale)
    values, vectors = np.linalg.eigh(correlation)
    if values[0] < 1e-9 * values[-1]:
        involved = np.argsort(-np.abs(vectors[:, 0]))[:3]
        names = "; ".join(" ".join(structure.labels[k]) for k in involved)
        hint = " (a construct needs one loading fixed to 1, or its variance fixed, and enough indicators)"
        raise RoqInputError("model", f"is not identified{' at the solution' if at_solution else ''}: these parameters cannot be estimated separately: {names}{hint}")


def _retry_with_semopy(structure, statements, S, previous, estimator, max_iter, cov_frame, n_obs):
    """Fisher scoring from semopy's starts failed: let semopy's SLSQP get close, then polish."""
    from .sem_model import _import_semopy, _quiet_semopy

    semopy = _import_semopy()
    objective = {"ML": "MLW", "GLS": "GLS", "ULS": "ULS"}[estimator]
    try:
        with _quiet_semopy():
            sem = semopy.Model("\n".join(s.text for s in statements))
            sem.fit(cov=cov_frame, n_samples=n_obs, obj=objective)
            sem.update_matrices(sem.param_vals)
        start = np.array([sem.matrices[places[0][0]][places[0][1], places[0][2]] for places in structure.locations])
    except Exception:  # noqa: BLE001 - any failure here means "did not converge"
        return previous
    return estimate(structure, S, start, estimator, max_iter=max_iter)


def _parameter_covariance(structure, result, S, estimator, n_chi):
    """Normal-theory covariance of the estimates: 2 A^-1 / n for ML; the sandwich A^-1 B A^-1 for GLS/ULS."""
    a, d, v = information(structure, result.theta, S, estimator, np.linalg.inv(S), result.parts, result.sigma)
    a_inv = np.linalg.pinv(a) if np.linalg.cond(a) > 1e14 else np.linalg.inv(a)
    if estimator == "ML":
        return 2.0 * a_inv / n_chi
    w = np.einsum("ij,kjl,lm->kim", v, d, v)
    ws = np.einsum("kij,jl->kil", w, result.sigma)
    b = 2.0 * np.einsum("kij,lji->kl", ws, ws)
    return a_inv @ b @ a_inv / n_chi


# --- results -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class ConstructReliability(TableResult):
    """CR, AVE, Fornell-Larcker and HTMT of the constructs (see :meth:`SEMResult.reliability`).

    Attributes
    ----------
    loadings : DataFrame
        ``Construct, Indicator, Std. loading, Verdict``.
    table : DataFrame
        ``Construct, Indicators, CR, CR verdict, AVE, AVE verdict, sqrt(AVE), Max |r|, Fornell-Larcker``.
    fornell_larcker : DataFrame
        sqrt(AVE) on the diagonal, construct correlations below it.
    htmt : DataFrame
        Heterotrait-monotrait ratios (lower triangle), with ``htmt_verdicts``.
    """

    loadings: pd.DataFrame
    table: pd.DataFrame
    fornell_larcker: pd.DataFrame
    htmt: pd.DataFrame
    htmt_pairs: pd.DataFrame
    cutoffs: dict

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def summary(self) -> str:
        c = self.cutoffs
        notes = [f"CR = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)) {c['CR'][0]} {c['CR'][1]}; AVE = mean l^2 {c['AVE'][0]} {c['AVE'][1]}; "
                 "Fornell-Larcker: sqrt(AVE) above every correlation of the construct."]
        return "\n\n".join([
            format_table("Standardized loadings", self.loadings, [f"Verdict: loading {c['Loading'][0]} {c['Loading'][1]}."]),
            format_table("Construct reliability and variance extracted", self.table, notes),
            format_table("Fornell-Larcker criterion", self.fornell_larcker.reset_index().rename(columns={"index": ""})),
            format_table("HTMT (heterotrait-monotrait ratio)", self.htmt_pairs, [f"Discriminant validity when HTMT {c['HTMT'][0]} {c['HTMT'][1]} (Henseler et al. 2015)."]),
        ])

    def _headline(self) -> str:
        return ", ".join(f"{r.Construct}: CR {r.CR:.3f}, AVE {r.AVE:.3f}" for r in self.table.itertuples())


@dataclass(frozen=True, eq=False, repr=False)
class SEMResult(TableResult):
    """A fitted structural equation model (see :func:`fit_sem`).

    Attributes
    ----------
    indices : dict
        Every fit index by name (``"CMIN"``, ``"DF"``, ``"P"``, ``"CMIN/DF"``, ``"RMSEA"``,
        ``"RMSEA LO 90"``, ``"RMSEA HI 90"``, ``"PCLOSE"``, ``"GFI"``, ``"AGFI"``, ``"NFI"``,
        ``"TLI"``, ``"CFI"``, ``"SRMR"``, ``"RMR"``, ``"AIC"``, ``"BIC"``, ...).
    theta, se : ndarray
        Free parameters in the order of ``structure.labels`` and their standard errors.
    S, sigma : ndarray
        Sample and implied covariance matrices (rows ``structure.observed``).
    n_obs, n_chi, n_dropped : int
        Respondents used, the chi-square multiplier (N - 1 or N), rows dropped for blanks.
    """

    structure: object
    statements: list
    theta: np.ndarray
    cov_theta: np.ndarray
    S: np.ndarray
    sigma: np.ndarray
    n_obs: int
    n_chi: int
    n_dropped: int
    estimator: str
    convention: str
    cutoffs: dict
    indices: dict
    data: np.ndarray = field(default=None, repr=False)
    iterations: int = 0

    # --- basic pieces ---
    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov_theta), 0, None))

    @property
    def observed(self) -> list:
        return list(self.structure.observed)

    def _matrices(self):
        return self.structure.sigma(self.theta)[1]

    def _inner_covariance(self):
        beta, lam, psi, th, c, m = self._matrices()
        return c @ psi @ c.T

    # --- fit ---
    def fit_frame(self) -> pd.DataFrame:
        """AMOS-style fit table: ``Index, Value, Cut-off, Verdict`` (verdicts by :func:`~simulator.survey.sem_fit.judge`)."""
        ix = self.indices
        rows = [("Chi-square (CMIN)", ix["CMIN"], "small", ""), ("DF", ix["DF"], "", ""), ("Probability (P)", ix["P"], *self._cut("P"))]
        for name in ("CMIN/DF", "RMSEA"):
            rows.append((name, ix[name], *self._cut(name)))
        rows += [("RMSEA LO 90", ix["RMSEA LO 90"], "", ""), ("RMSEA HI 90", ix["RMSEA HI 90"], "", ""), ("PCLOSE", ix["PCLOSE"], *self._cut("PCLOSE"))]
        for name in ("GFI", "AGFI", "NFI", "TLI", "CFI", "SRMR"):
            rows.append((name, ix[name], *self._cut(name)))
        rows += [("AIC", ix["AIC"], "lower is better", ""), ("BIC", ix["BIC"], "lower is better", "")]
        return pd.DataFrame(rows, columns=["Index", "Value", "Cut-off", "Verdict"])

    def _cut(self, name):
        rule = self.cutoffs.get(name)
        return (f"{rule[0]} {rule[1]:g}" if rule else "", judge(self.indices.get(name, np.nan), rule))

    # --- estimates ---
    @_one_blas_thread
    def estimates_frame(self) -> pd.DataFrame:
        """Every parameter: ``Section, lval, op, rval, Path, Estimate, S.E., C.R., P, Std. Estimate, Label, Note``.

        Sections as AMOS prints them: Regression Weights (loadings and paths; fixed ones
        without S.E.), Covariances (standardized: Correlations), Variances. C.R. is
        Estimate / S.E., P two-tailed standard normal. Note flags Heywood cases.
        """
        from scipy import stats  # here, not at import: survey analytics import without scipy.stats
        st = self.structure
        var_inner = np.diag(self._inner_covariance())
        var_obs = np.diag(self.sigma)
        beta, lam, psi, th, c, m = self._matrices()
        rows = []
        se = self.se
        for k, (label, value) in enumerate(zip(st.labels, self.theta)):
            rows.append((*label, value, se[k], st.user_labels[k]))
        for lval, op, rval, value in st.fixed:
            rows.append((lval, op, rval, value, np.nan, "fixed"))
        out = []
        for lval, op, rval, value, s, lab in rows:
            std, note, section = self._standardize(lval, op, rval, value, var_inner, var_obs, psi, th)
            cr = value / s if np.isfinite(s) and s > 0 else np.nan
            pval = 2 * stats.norm.sf(abs(cr)) if np.isfinite(cr) else np.nan
            path = f"{rval} <--- {lval}" if op == "=~" else f"{lval} <--- {rval}" if op == "~" else (lval if lval == rval else f"{lval} <--> {rval}")
            out.append((section, lval, op, rval, path, value, s, cr, pval, std, lab, note))
        frame = pd.DataFrame(out, columns=["Section", "lval", "op", "rval", "Path", "Estimate", "S.E.", "C.R.", "P", "Std. Estimate", "Label", "Note"])
        return frame.iloc[sorted(range(len(frame)), key=lambda k: self._print_order(frame.iloc[k]))].reset_index(drop=True)

    def _print_order(self, row):
        """AMOS's reading order: structural weights, then loadings (marker first), covariances, variances; model order within."""
        position = {}
        for statement in self.statements:
            for _, name in statement.terms:
                position.setdefault((statement.lhs, statement.op, name), len(position))
                if statement.op == "~~":
                    position.setdefault((name, "~~", statement.lhs), len(position) - 1)
        variables = {v: k for k, v in enumerate([*self.structure.inner, *self.structure.observed])}
        section = {"Regression Weights": 0, "Covariances": 1, "Variances": 2}[row["Section"]]
        kind = {"~": 0, "=~": 1, "~~": 2}[row["op"]]
        unwritten = len(position) + len(variables) * variables.get(row["lval"], 0) + variables.get(row["rval"], 0)
        return (section, kind, position.get((row["lval"], row["op"], row["rval"]), unwritten))

    def _standardize(self, lval, op, rval, value, var_inner, var_obs, psi, th):
        st = self.structure
        inner = {v: i for i, v in enumerate(st.inner)}
        obs = {v: i for i, v in enumerate(st.observed)}

        def sd(name):
            return np.sqrt(var_inner[inner[name]]) if name in inner else np.sqrt(var_obs[obs[name]])

        note = ""
        if op == "=~":
            std = value * sd(lval) / sd(rval)
            if abs(std) > 1:
                note = "Heywood: standardized loading > 1"
            return std, note, "Regression Weights"
        if op == "~":
            return value * sd(rval) / sd(lval), note, "Regression Weights"
        if lval in inner and rval in inner:
            residual = psi[inner[lval], inner[lval]], psi[inner[rval], inner[rval]]
            total = var_inner[inner[lval]]
        else:
            residual = th[obs[lval], obs[lval]], th[obs[rval], obs[rval]]
            total = var_obs[obs[lval]]
        if lval == rval:
            if value < 0:
                note = "Heywood: negative variance"
            return value / total, note, "Variances"
        with np.errstate(invalid="ignore", divide="ignore"):
            std = value / np.sqrt(residual[0] * residual[1])
        if abs(std) > 1:
            note = "Heywood: correlation > 1"
        return std, note, "Covariances"

    def standardized_estimates(self) -> pd.DataFrame:
        """AMOS's Standardized Regression Weights and Correlations: ``Path, Std. Estimate``."""
        frame = self.estimates_frame()
        return frame[frame["Section"] != "Variances"][["Section", "Path", "Std. Estimate"]].reset_index(drop=True)

    @_one_blas_thread
    def smc_frame(self) -> pd.DataFrame:
        """Squared multiple correlations of endogenous constructs and of every indicator: ``Variable, SMC, Note``."""
        st = self.structure
        beta, lam, psi, th, c, m = self._matrices()
        var_inner = np.diag(c @ psi @ c.T)
        rows = []
        endogenous = [i for i, v in enumerate(st.inner) if np.any(beta[i] != 0)]
        for i in endogenous:
            rows.append((st.inner[i], 1 - psi[i, i] / var_inner[i]))
        for i, v in enumerate(st.observed):
            if v not in st.inner:
                rows.append((v, 1 - th[i, i] / self.sigma[i, i]))
        frame = pd.DataFrame(rows, columns=["Variable", "SMC"])
        frame["Note"] = np.where((frame["SMC"] > 1) | (frame["SMC"] < 0), "Heywood: SMC outside 0..1", "")
        return frame

    def heywood_cases(self) -> list[str]:
        """Every Heywood flag (negative variances, standardized loadings or correlations beyond 1, SMC > 1)."""
        est = self.estimates_frame()
        flags = [f"{r.Path}: {r.Note}" for r in est.itertuples() if r.Note]
        smc = self.smc_frame()
        flags += [f"{r.Variable}: {r.Note}" for r in smc.itertuples() if r.Note]
        return flags

    # --- effects ---
    @_one_blas_thread
    def effect_matrices(self) -> dict:
        """Direct, indirect and total effects among the constructs, unstandardized and standardized.

        Total = (I - B)^-1 - I, indirect = total - direct (Bollen 1987); standardized
        effect of j on i = effect x sd(j) / sd(i) with model-implied standard deviations.
        Keys ``direct, indirect, total, std_direct, std_indirect, std_total``: DataFrames
        with rows = effect on, columns = effect of (as AMOS prints them).
        """
        return _effects(self.structure, self.theta)

    def effects_frame(self) -> pd.DataFrame:
        """One row per pair (From -> To) with a path: ``From, To, Direct, Indirect, Total, Std. Direct, Std. Indirect, Std. Total``."""
        effects = self.effect_matrices()
        rows = []
        names = list(effects["total"].index)
        for to in names:
            for frm in names:
                if frm == to or (effects["total"].loc[to, frm] == 0 and effects["direct"].loc[to, frm] == 0):
                    continue
                rows.append((frm, to, *(effects[k].loc[to, frm] for k in ("direct", "indirect", "total", "std_direct", "std_indirect", "std_total"))))
        return pd.DataFrame(rows, columns=["From", "To", "Direct", "Indirect", "Total", "Std. Direct", "Std. Indirect", "Std. Total"])

    def intervening_paths(self) -> list[tuple[str, str, str, int, int]]:
        """Every X -> M -> Y chain of two free regression paths: (X, M, Y, index of a, index of b)."""
        st = self.structure
        where = {}
        for k, places in enumerate(st.locations):
            for m, i, j in places:
                if m == 0:
                    where[(i, j)] = k
        chains = []
        for (m_row, x_col), ka in sorted(where.items()):
            for (y_row, m_col), kb in sorted(where.items()):
                if m_col == m_row and y_row != x_col:
                    chains.append((st.inner[x_col], st.inner[m_row], st.inner[y_row], ka, kb))
        return chains

    @_one_blas_thread
    def indirect_tests_frame(self) -> pd.DataFrame:
        """Sobel, Aroian and Goodman tests of every intervening path, from the fitted a, b and their S.E.

        Columns ``Path, a, S.E. a, b, S.E. b, Indirect, Std. Indirect, Sobel z, Sobel P,
        Aroian z, Aroian P, Goodman z, Goodman P`` (via :func:`~simulator.survey.mediation_tests`).
        """
        rows = []
        se = self.se
        effects = self.effect_matrices()
        for x, m, y, ka, kb in self.intervening_paths():
            a, b = self.theta[ka], self.theta[kb]
            tests = mediation_tests(a, se[ka], b, se[kb])
            std = effects["std_direct"].loc[m, x] * effects["std_direct"].loc[y, m]
            row = [f"{x} -> {m} -> {y}", a, se[ka], b, se[kb], a * b, std]
            for name in ("sobel", "aroian", "goodman"):
                row += [tests[name].z, tests[name].p_value]
            rows.append(row)
        return pd.DataFrame(rows, columns=["Path", "a", "S.E. a", "b", "S.E. b", "Indirect", "Std. Indirect",
                                           "Sobel z", "Sobel P", "Aroian z", "Aroian P", "Goodman z", "Goodman P"])

    # --- measurement quality ---
    @_one_blas_thread
    def reliability(self, cutoffs=None) -> ConstructReliability:
        """Standardized loadings, CR, AVE, Fornell-Larcker and HTMT of every construct with 2+ indicators.

        CR = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)) and AVE = sum l^2 / k from the
        standardized loadings l (Fornell & Larcker 1981; Hair et al. 2010); HTMT from the
        item correlations (Henseler, Ringle & Sarstedt 2015, eq. 6). ``cutoffs`` overrides
        :data:`RELIABILITY_CUTOFFS`.
        """
        rules = dict(RELIABILITY_CUTOFFS)
        rules.update(cutoffs or {})
        est = self.estimates_frame()
        load = est[est["op"] == "=~"]
        constructs = [c for c in self.structure.latent if (load["lval"] == c).sum() >= 1]
        loadings = load[["lval", "rval", "Std. Estimate"]].rename(columns={"lval": "Construct", "rval": "Indicator", "Std. Estimate": "Std. loading"}).reset_index(drop=True)
        loadings["Verdict"] = [judge(v, rules["Loading"]) for v in loadings["Std. loading"]]
        cov = self._inner_covariance()
        idx = {v: i for i, v in enumerate(self.structure.inner)}
        sd = np.sqrt(np.diag(cov))
        corr = cov / np.outer(sd, sd)
        rows = []
        root_ave = {}
        for cons in constructs:
            lam = loadings.loc[loadings["Construct"] == cons, "Std. loading"].to_numpy()
            cr = lam.sum() ** 2 / (lam.sum() ** 2 + np.sum(1 - lam**2))
            ave = float(np.mean(lam**2))
            root_ave[cons] = np.sqrt(ave)
            others = [abs(corr[idx[cons], idx[o]]) for o in constructs if o != cons]
            biggest = max(others) if others else np.nan
            rows.append((cons, len(lam), cr, judge(cr, rules["CR"]), ave, judge(ave, rules["AVE"]), np.sqrt(ave), biggest,
                         judge(np.sqrt(ave) - biggest, (">", 0.0)) if others else ""))
        table = pd.DataFrame(rows, columns=["Construct", "Indicators", "CR", "CR verdict", "AVE", "AVE verdict", "sqrt(AVE)", "Max |r|", "Fornell-Larcker"])
        fl = pd.DataFrame(np.nan, index=constructs, columns=constructs)
        for a in constructs:
            for b in constructs:
                if a == b:
                    fl.loc[a, b] = root_ave[a]
                elif constructs.index(b) < constructs.index(a):
                    fl.loc[a, b] = corr[idx[a], idx[b]]
        htmt, pairs = self._htmt(constructs, loadings, rules["HTMT"])
        return ConstructReliability(loadings, table, fl, htmt, pairs, rules)

    def _htmt(self, constructs, loadings, rule):
        obs = {v: i for i, v in enumerate(self.structure.observed)}
        sd = np.sqrt(np.diag(self.S))
        r = self.S / np.outer(sd, sd)
        items = {c: [obs[i] for i in loadings.loc[loadings["Construct"] == c, "Indicator"] if i in obs] for c in constructs}
        mat = pd.DataFrame(np.nan, index=constructs, columns=constructs)
        rows = []

        def mono(ix):
            if len(ix) < 2:
                return np.nan
            sub = r[np.ix_(ix, ix)]
            return sub[np.triu_indices(len(ix), 1)].mean()

        for a_i, a in enumerate(constructs):
            for b in constructs[:a_i]:
                hetero = r[np.ix_(items[a], items[b])].mean()
                value = hetero / np.sqrt(mono(items[a]) * mono(items[b]))
                mat.loc[a, b] = value
                rows.append((f"{a} - {b}", value, judge(value, rule)))
        return mat, pd.DataFrame(rows, columns=["Pair", "HTMT", "Verdict"])

    # --- diagnostics ---
    def residuals_frame(self, cutoff: float = RESIDUAL_CUTOFF) -> pd.DataFrame:
        """Standardized residual covariances (s_ij - sigma_ij) / sqrt((sigma_ii sigma_jj + sigma_ij^2) / n) as AMOS computes them.

        ``n`` is the chi-square multiplier (N - 1 in the AMOS convention). Returns the
        lower triangle as ``Row, Column, Residual, Standardized, Flag`` (Flag when
        |standardized| > ``cutoff``, default 2.58, Assagaff 2014 after Hair et al.).
        """
        matrix = self.standardized_residual_matrix()
        raw = self.S - self.sigma
        names = self.observed
        rows = []
        for i in range(len(names)):
            for j in range(i + 1):
                z = matrix.iloc[i, j]
                rows.append((names[i], names[j], raw[i, j], z, "> %.2f" % cutoff if abs(z) > cutoff else ""))
        return pd.DataFrame(rows, columns=["Row", "Column", "Residual", "Standardized", "Flag"])

    @_one_blas_thread
    def standardized_residual_matrix(self) -> pd.DataFrame:
        """The p x p matrix of standardized residual covariances (see :meth:`residuals_frame`)."""
        d = np.diag(self.sigma)
        se = np.sqrt((np.outer(d, d) + self.sigma**2) / self.n_chi)
        return pd.DataFrame((self.S - self.sigma) / se, index=self.observed, columns=self.observed)

    @_one_blas_thread
    def modification_indices(self, threshold: float = MI_THRESHOLD) -> pd.DataFrame:
        """Modification indices (Lagrange multiplier tests, Sorbom 1989) of fixed-at-zero parameters.

        MI = (n / 2) g^2 / (E_jj - E_j. A^-1 E_.j) and the expected parameter change
        EPC = -g / (E_jj - E_j. A^-1 E_.j), with g the derivative of F_ML and E the expected
        information. Candidates: cross-loadings, error covariances of indicators,
        covariances and regression paths among the constructs. ML only. Returns rows with
        MI >= ``threshold`` (AMOS's default 4), largest first: ``lval, op, rval, Path, M.I., Par Change``.
        """
        if self.estimator != "ML":
            raise RoqInputError("estimator", "modification indices are defined here for ML; refit with estimator='ML'")
        return _modification_indices(self, threshold)

    def normality(self):
        """AMOS's assessment of normality of the items used (see :func:`~simulator.survey.normality.assessment_of_normality`)."""
        from .normality import assessment_of_normality

        if self.data is None:
            raise RoqInputError("data", "normality needs the raw answers; the model was fitted to a covariance matrix")
        return assessment_of_normality(pd.DataFrame(self.data, columns=self.observed))

    def mahalanobis(self):
        """Observations farthest from the centroid (see :func:`~simulator.survey.normality.mahalanobis_distances`)."""
        from .normality import mahalanobis_distances

        if self.data is None:
            raise RoqInputError("data", "Mahalanobis distances need the raw answers; the model was fitted to a covariance matrix")
        return mahalanobis_distances(pd.DataFrame(self.data, columns=self.observed))

    def bootstrap(self, resamples=2000, *, seed=12345, level=0.95, engine=None, workers=None):
        """Bootstrap intervals of the indirect effects (see :func:`~simulator.survey.sem_bootstrap.bootstrap_indirect_effects`)."""
        from .sem_bootstrap import bootstrap_indirect_effects

        return bootstrap_indirect_effects(self, resamples, seed=seed, level=level, engine=engine, workers=workers)

    # --- printing ---
    def to_frame(self) -> pd.DataFrame:
        """The estimates table (see :meth:`estimates_frame`)."""
        return self.estimates_frame()

    def summary(self) -> str:
        conv = "AMOS convention: S with divisor N - 1, chi-square = (N - 1) F" if self.convention == "amos" else "lavaan convention: S with divisor N, chi-square = N F"
        head = [f"Estimator {self.estimator}; N = {self.n_obs}" + (f" ({self.n_dropped} row(s) with blanks dropped)" if self.n_dropped else "")
                + f"; {conv}; {self.iterations} iterations."]
        est = self.estimates_frame()
        parts = [format_table("Model Fit", self.fit_frame(), head)]
        for section in ("Regression Weights", "Covariances", "Variances"):
            sub = est[est["Section"] == section][["Path", "Estimate", "S.E.", "C.R.", "P", "Std. Estimate", "Label", "Note"]]
            if len(sub):
                parts.append(format_table(section, sub, ["P is two-tailed; Std. Estimate: standardized (correlations for covariances)."]))
        parts.append(format_table("Squared Multiple Correlations", self.smc_frame()))
        parts.append(format_table("Standardized direct, indirect and total effects", self.effects_frame()))
        tests = self.indirect_tests_frame()
        if len(tests):
            parts.append(format_table("Tests of intervening paths (Sobel, Aroian, Goodman)", tests))
        flags = self.heywood_cases()
        if flags:
            parts.append("Heywood cases:\n" + "\n".join(f"  {f}" for f in flags))
        return "\n\n".join(parts)

    def _headline(self) -> str:
        ix = self.indices
        return f"N = {self.n_obs}, chi2 = {ix['CMIN']:.3f}, df = {ix['DF']}, RMSEA = {ix['RMSEA']:.3f}, CFI = {ix['CFI']:.3f}"


def _effects(structure, theta) -> dict:
    beta, lam, psi, th, c, m = structure.sigma(theta)[1]
    total = c - np.eye(len(c))
    direct = beta
    indirect = total - direct
    sd = np.sqrt(np.diag(c @ psi @ c.T))
    scale = np.outer(1 / sd, sd)
    names = list(structure.inner)
    out = {}
    for key, value in (("direct", direct), ("indirect", indirect), ("total", total)):
        out[key] = pd.DataFrame(value, index=names, columns=names)
        out["std_" + key] = pd.DataFrame(value * scale, index=names, columns=names)
    return out


def _modification_indices(result, threshold):
    st = result.structure
    beta, lam, psi, th, c, m = result._matrices()
    sigma = result.sigma
    sigma_inv = np.linalg.inv(sigma)
    d = st.sigma_derivatives((beta, lam, psi, th, c, m))
    vd = np.einsum("ij,kjl->kil", sigma_inv, d)
    a = np.einsum("kij,lji->kl", vd, vd)
    a_inv = np.linalg.pinv(a)
    resid = sigma_inv @ (sigma - result.S) @ sigma_inv
    free = {(mm, i, j) for places in st.locations for mm, i, j in places}
    fixed_nonzero = {(k, i, j) for k, mat in enumerate(st.templates) for i, j in zip(*np.nonzero(mat))}
    taken = free | fixed_nonzero
    inner = st.inner
    obs = st.observed
    latent_cols = [inner.index(v) for v in st.latent]
    indicator_rows = [i for i, v in enumerate(obs) if v not in inner]
    cpsi = c @ psi
    d_inner = cpsi @ m.T
    candidates = []
    for i in indicator_rows:
        for j in latent_cols:
            if (1, i, j) not in taken:
                t = np.zeros_like(sigma)
                t[i, :] = d_inner[j]
                candidates.append(((inner[j], "=~", obs[i]), t + t.T))
    for x in range(len(indicator_rows)):
        for y in range(x):
            i, j = indicator_rows[x], indicator_rows[y]
            if (3, i, j) not in taken and (3, j, i) not in taken:
                t = np.zeros_like(sigma)
                t[i, j] = t[j, i] = 1.0
                candidates.append(((obs[i], "~~", obs[j]), t))
    for i in range(len(inner)):
        for j in range(len(inner)):
            if i != j and (0, i, j) not in taken:
                t = np.outer(m[:, i], cpsi[j] @ m.T)
                candidates.append(((inner[i], "~", inner[j]), t + t.T))
            if j < i and (2, i, j) not in taken and (2, j, i) not in taken:
                t = np.outer(m[:, i], m[:, j])
                candidates.append(((inner[i], "~~", inner[j]), t + t.T))
    rows = []
    for (lval, op, rval), dj in candidates:
        g = float(np.sum(resid * dj))
        vdj = sigma_inv @ dj
        e_jj = float(np.sum(vdj * vdj.T))
        e_jt = np.einsum("ij,kji->k", vdj, vd)
        eff = e_jj - e_jt @ a_inv @ e_jt
        if eff <= 1e-10 * max(e_jj, 1e-300):
            continue  # the candidate is not identified given the model
        mi = result.n_chi / 2 * g**2 / eff
        if mi >= threshold:
            path = f"{rval} <--- {lval}" if op == "=~" else f"{lval} <--- {rval}" if op == "~" else f"{lval} <--> {rval}"
            rows.append((lval, op, rval, path, mi, -g / eff))
    frame = pd.DataFrame(rows, columns=["lval", "op", "rval", "Path", "M.I.", "Par Change"])
    return frame.sort_values("M.I.", ascending=False, kind="stable").reset_index(drop=True)
