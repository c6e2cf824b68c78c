"""Structural equation models: model text, the covariance structure and its estimation (internal core).

The model is written in lavaan syntax (``=~`` measured by, ``~`` regressed on, ``~~``
(co)variance). It is checked line by line here (so an error names the offending line and
variable), then handed to semopy only to be parsed into the four matrices of its
covariance structure and for starting values:

    Sigma(theta) = Lambda C Psi C' Lambda' + Theta,   C = (I - B)^-1

(B: regressions among the "inner" variables - constructs and observed variables that are
regressed on others -, Lambda: loadings of the observed variables, Psi: (residual)
covariances of the inner variables, Theta: error covariances of the indicators). Everything
after that is this module's own numpy code: the implied covariance and its derivatives,
the discrepancy functions of Joreskog (ML), GLS and ULS, minimised by Fisher scoring
(Gauss-Newton with the expected information) to a gradient of 1e-9, and the normal-theory
standard errors. :class:`CovarianceStructure` holds only arrays and lists, so it travels
to Dask workers for the bootstrap without semopy.

Two sample conventions are offered, stated explicitly (``convention``):

- ``"amos"``: S is the unbiased covariance (divisor N - 1) and the chi-square is
  (N - 1) F_min, as AMOS, EQS and LISREL print it (lavaan's ``likelihood = "wishart"``);
- ``"lavaan"``: S has divisor N and the chi-square is N F_min (lavaan's default).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import RoqInputError

__all__ = ["ESTIMATORS", "CONVENTIONS", "CovarianceStructure", "parse_model_text", "build_structure", "estimate", "EstimationResult"]

#: Estimators: maximum likelihood (default), generalised and unweighted least squares.
ESTIMATORS = ("ML", "GLS", "ULS")
#: Sample conventions: divisor of S and multiplier of F_min in the chi-square.
CONVENTIONS = ("amos", "lavaan")

_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_TERM = re.compile(rf"^\s*(?:(?P<modifier>[^*]+?)\s*\*\s*)?(?P<name>{_NAME})\s*$")
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_UNSUPPORTED = ("<~", ":=", "==", "|", "<", ">")
MAX_OBSERVED = 200  # a covariance matrix of 200 items is 20,100 moments; more is a slip


@dataclass(frozen=True)
class ModelLine:
    """One statement of the model: ``lhs op rhs1 + rhs2 ...`` on line ``number``."""

    number: int
    text: str
    lhs: str
    op: str
    terms: tuple  # of (modifier or None, name)


def parse_model_text(model) -> list[ModelLine]:
    """Check lavaan model text statement by statement; returns the statements.

    ``model`` is a string (lines separated by newlines or ``;``) or a sequence of lines
    (e.g. a column of cells). Comments start with ``#`` or ``!``.

    Raises
    ------
    RoqInputError
        ``model``: empty text, a line without an operator, an unsupported operator,
        a malformed term; the message quotes the line and gives its number.
    """
    if model is None:
        raise RoqInputError("model", "is required: lavaan model text such as 'SQ =~ X1 + X2 + X3'")
    if isinstance(model, (list, tuple)):
        pieces = []
        for item in model:
            if isinstance(item, (list, tuple)):
                pieces.extend("" if c is None else str(c) for c in item)
            elif item is not None and not (isinstance(item, float) and np.isnan(item)):
                pieces.append(str(item))
        model = "\n".join(pieces)
    if not isinstance(model, str):
        raise RoqInputError("model", f"must be lavaan model text, got {type(model).__name__}")
    statements: list[ModelLine] = []
    for number, raw in enumerate(model.splitlines(), start=1):
        code = re.split(r"[#!]", raw, maxsplit=1)[0]
        for part in code.split(";"):
            if part.strip():
                statements.append(_parse_statement(part.strip(), number))
    if not statements:
        raise RoqInputError("model", "has no statements; write e.g. 'SAT =~ X13 + X14 + X15' and 'LOY ~ SAT'")
    return statements


def _shown(text: str, limit: int = 40) -> str:
    """A model line as quoted in a message: a number compactly, long text cut (messages stay one short line)."""
    from .._validate import compact

    try:
        text = compact(float(text))
    except ValueError:
        pass
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _parse_statement(text: str, number: int) -> ModelLine:
    where = f"line {number} ({_shown(text)})"
    for op in ("=~", "~~", "~"):
        if op in text:
            lhs, rhs = text.split(op, 1)
            break
    else:
        bad = next((u for u in _UNSUPPORTED if u in text), None)
        if bad:
            raise RoqInputError("model", f"{where}: operator {bad!r} is not supported; use =~, ~ or ~~")
        raise RoqInputError("model", f"{where}: no operator; a statement is 'construct =~ items', 'y ~ x' or 'a ~~ b'")
    bad = next((u for u in _UNSUPPORTED if u in text), None)
    if bad or "~" in rhs.replace("~~", "") and op != "~~" or rhs.count("~") and op == "~~":
        raise RoqInputError("model", f"{where}: one operator per statement, and only =~, ~ or ~~")
    lhs = lhs.strip()
    if not re.fullmatch(_NAME, lhs):
        raise RoqInputError("model", f"{where}: left of {op!r} must be one variable name, got {lhs!r}")
    if not rhs.strip():
        raise RoqInputError("model", f"{where}: nothing right of {op!r}")
    terms = []
    for piece in rhs.split("+"):
        match = _TERM.match(piece)
        if not piece.strip():
            raise RoqInputError("model", f"{where}: empty term (two '+' in a row, or a '+' at the end)")
        if match is None:
            raise RoqInputError("model", f"{where}: cannot read the term {piece.strip()!r}; write a variable name, optionally '0.5*name' (fixed) or 'label*name'")
        modifier = match.group("modifier")
        if modifier is not None and not (_NUMBER.match(modifier) or re.fullmatch(_NAME, modifier)):
            raise RoqInputError("model", f"{where}: modifier {modifier!r} must be a number (fixed value) or a label")
        terms.append((modifier, match.group("name")))
    return ModelLine(number, text, lhs, op, tuple(terms))


def check_model_variables(statements: list[ModelLine], columns) -> tuple[list[str], list[str]]:
    """Constructs (left of ``=~``) and observed variables of the model; unknown names raise.

    A name that is neither a construct nor a column of the data is a typo in the model or
    a missing column: the message names it and its line.
    """
    columns = [str(c) for c in columns]
    latent = list(dict.fromkeys(s.lhs for s in statements if s.op == "=~"))
    clash = [name for name in latent if name in columns]
    if clash:
        raise RoqInputError("model", f"construct {clash[0]!r} is also a column of data; give the construct another name")
    known = set(latent) | set(columns)
    observed: list[str] = []
    for statement in statements:
        for name in (statement.lhs, *(t[1] for t in statement.terms)):
            if name not in known:
                hint = _closest(name, known)
                raise RoqInputError(
                    "model", f"line {statement.number} ({_shown(statement.text)}): unknown variable {_shown(name)}: not a column of data"
                    f" and not a construct defined with =~{hint}")
            if name in columns and name not in observed:
                observed.append(name)
    if len(observed) < 2:
        raise RoqInputError("model", f"uses {len(observed)} observed variable(s); a covariance structure needs at least 2")
    if len(observed) > MAX_OBSERVED:
        raise RoqInputError("model", f"uses {len(observed)} observed variables; at most {MAX_OBSERVED} are supported")
    for construct in latent:
        indicators = [t for s in statements if s.op == "=~" and s.lhs == construct for t in s.terms]
        if not indicators:  # pragma: no cover - the parser never yields an empty right-hand side
            raise RoqInputError("model", f"construct {construct!r} has no indicators")
    return latent, observed


def _closest(name: str, known) -> str:
    import difflib

    match = difflib.get_close_matches(name, sorted(known), n=1)
    if not match and name.lower() in {k.lower(): k for k in known}:
        match = [{k.lower(): k for k in known}[name.lower()]]
    return f" (did you mean {match[0]!r}?)" if match else ""


# --- the covariance structure ------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CovarianceStructure:
    """The four matrices of Sigma(theta) with the positions of the free parameters (arrays only).

    Attributes
    ----------
    observed, inner, latent : list of str
        Rows of Sigma; rows of B / columns of Lambda; the constructs.
    templates : tuple of 4 ndarrays
        B, Lambda, Psi, Theta with the fixed values (free entries hold 0).
    locations : list of list of (matrix, row, column)
        Where each free parameter sits (a symmetric entry lists both halves; a shared
        label lists every place).
    labels : list of (lval, op, rval)
        Each free parameter in lavaan terms (``"SAT", "~", "SQ"``; ``"SQ", "=~", "X1"``).
    fixed : list of (lval, op, rval, value)
        Fixed loadings and paths (e.g. the marker loading 1.0), for the estimates table.
    user_labels : list of str
        The label of each free parameter ("" when unlabelled).
    """

    observed: list
    inner: list
    latent: list
    templates: tuple
    locations: list
    labels: list
    fixed: list
    user_labels: list

    @property
    def n_free(self) -> int:
        return len(self.locations)

    def matrices(self, theta: np.ndarray) -> list[np.ndarray]:
        mats = [t.copy() for t in self.templates]
        for value, places in zip(theta, self.locations):
            for m, i, j in places:
                mats[m][i, j] = value
        return mats

    def sigma(self, theta: np.ndarray):
        """Implied covariance Sigma(theta) and the pieces (B, Lambda, Psi, Theta, C, M = Lambda C)."""
        beta, lam, psi, th = self.matrices(theta)
        c = np.linalg.inv(np.eye(beta.shape[0]) - beta)
        m = lam @ c
        return m @ psi @ m.T + th, (beta, lam, psi, th, c, m)

    def sigma_derivatives(self, parts) -> np.ndarray:
        """dSigma/dtheta_k for every free parameter: array (q, p, p).

        With M = Lambda C and D = C Psi M': d/dB_ij = M e_i D_j + transpose,
        d/dLambda_ij = e_i D_j + transpose, d/dPsi_ij = M e_i e_j' M', d/dTheta_ij = e_i e_j'.
        """
        beta, lam, psi, th, c, m = parts
        d_inner = c @ psi @ m.T  # C Psi C' Lambda'
        k_b, i_b, j_b, k_l, i_l, j_l, k_p, i_p, j_p, k_t, i_t, j_t = self._places
        p = m.shape[0]
        half = np.zeros((self.n_free, p, p))
        if k_b.size:
            np.add.at(half, k_b, m[:, i_b].T[:, :, None] * d_inner[j_b][:, None, :])
        if k_l.size:
            np.add.at(half, (k_l, i_l), d_inner[j_l])
        out = half + half.transpose(0, 2, 1)
        if k_p.size:
            np.add.at(out, k_p, m[:, i_p].T[:, :, None] * m[:, j_p].T[:, None, :])
        if k_t.size:
            np.add.at(out, (k_t, i_t, j_t), 1.0)
        return out

    @cached_property
    def _places(self):
        """Index arrays (parameter, row, column) of the free entries, per matrix."""
        groups = [[], [], [], []]
        for k, places in enumerate(self.locations):
            for mat, i, j in places:
                groups[mat].append((k, i, j))
        out = []
        for group in groups:
            array = np.array(group, dtype=np.intp).reshape(-1, 3)
            out += [array[:, 0], array[:, 1], array[:, 2]]
        return tuple(out)


_MATRIX_ROLES = ("beta", "lambda", "psi", "theta")


def build_structure(statements, latent, observed, sample_frame, cov_frame, n_obs):
    """The covariance structure and semopy's starting values, from checked statements."""
    model_text = "\n".join(s.text for s in statements)
    semopy = _import_semopy()
    try:
        with _quiet_semopy():
            sem = semopy.Model(model_text)
            if sample_frame is not None:
                sem.load(data=sample_frame[observed], cov=cov_frame.loc[sem.vars["observed"], sem.vars["observed"]])
            else:
                sem.load(cov=cov_frame, n_samples=n_obs)
    except RoqInputError:
        raise
    except Exception as error:  # semopy's parser raises plain exceptions with terse text
        raise RoqInputError("model", f"semopy could not read it: {' '.join(str(error).split()) or type(error).__name__}") from None
    obs = list(sem.vars["observed"])
    inner = list(sem.vars["inner"])
    names = [sem.names_beta, sem.names_lambda, sem.names_psi, sem.names_theta]
    sem.update_matrices(sem.param_vals)
    templates = [np.array(mtx, dtype=float, copy=True) for mtx in sem.matrices[:4]]
    obs_exogenous = set(obs) & set(sem.vars["exogenous"])
    locations, labels, starts, fixed, user_labels = [], [], [], [], []
    for pname, param in sem.parameters.items():
        places = []
        first = None
        for loc in param.locations:
            m = next(k for k in range(4) if sem.matrices[k] is loc.matrix)
            i, j = loc.indices
            places.append((m, i, j))
            if loc.symmetric:
                places.append((m, j, i))
            if first is None:
                first = (m, i, j)
        m, i, j = min(places)  # not semopy's first location, whose orientation follows string hashing
        rows, cols = names[m]
        label = _lavaan_label(m, rows[i], cols[j], latent)
        free = param.active or (m == 2 and rows[i] in obs_exogenous and cols[j] in obs_exogenous)
        if free:
            locations.append(places)
            labels.append(label)
            starts.append(float(templates[m][i, j]))
            user_labels.append("" if pname.startswith("_") else pname)
            for mm, ii, jj in places:
                templates[mm][ii, jj] = 0.0
        elif label[1] in ("=~", "~") and label is not None:
            fixed.append((*label, float(templates[m][i, j])))
    # semopy numbers parameters in an order that follows string hashing (set iteration), so it
    # changes with PYTHONHASHSEED; sort by matrix position so every process iterates alike
    order = sorted(range(len(locations)), key=lambda k: sorted(locations[k])[0])
    locations, labels, user_labels = [locations[k] for k in order], [labels[k] for k in order], [user_labels[k] for k in order]
    starts = [starts[k] for k in order]
    fixed.sort()
    structure = CovarianceStructure(obs, inner, [v for v in inner if v in set(latent)], tuple(templates), locations, labels, fixed, user_labels)
    return structure, np.array(starts), sem


def _lavaan_label(m, row, col, latent):
    if m == 0:
        return (row, "~", col)
    if m == 1:
        return (col, "=~", row)
    return (row, "~~", col)


def _import_semopy():
    try:
        import semopy  # noqa: F401
    except ImportError as error:  # pragma: no cover - semopy is a dependency
        raise RoqInputError("model", f"structural equation models need the semopy package ({error}); pip install semopy") from None
    return semopy


class _quiet_semopy:
    """semopy logs warnings (not-PD matrices, solver messages) on the root logger; we raise instead."""

    def __enter__(self):
        self._level = logging.root.manager.disable
        logging.disable(logging.WARNING)
        import warnings

        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore")
        return self

    def __exit__(self, *exc):
        self._warnings.__exit__(*exc)
        logging.disable(self._level)


# --- estimation --------------------------------------------------------------------------
@dataclass
class EstimationResult:
    theta: np.ndarray
    sigma: np.ndarray
    parts: tuple
    f_min: float
    iterations: int
    converged: bool
    gradient_norm: float
    message: str = ""
    information: np.ndarray = field(default=None, repr=False)


def discrepancy(S, sigma, estimator, S_inv=None, logdet_S=None) -> float:
    """F_ML = ln|Sigma| + tr(S Sigma^-1) - ln|S| - p; F_GLS = 1/2 tr[(S^-1 (S - Sigma))^2]; F_ULS = 1/2 tr[(S - Sigma)^2]."""
    p = S.shape[0]
    if estimator == "ML":
        sign, logdet = np.linalg.slogdet(sigma)
        if sign <= 0:
            return np.inf
        if logdet_S is None:
            logdet_S = np.linalg.slogdet(S)[1]
        return float(logdet + np.trace(np.linalg.solve(sigma, S)) - logdet_S - p)
    residual = S - sigma
    if estimator == "GLS":
        w = (S_inv if S_inv is not None else np.linalg.inv(S)) @ residual
        return float(0.5 * np.sum(w * w.T))
    return float(0.5 * np.sum(residual * residual))


def _weight(S_inv, sigma, estimator):
    if estimator == "ML":
        return np.linalg.inv(sigma)
    if estimator == "GLS":
        return S_inv
    return np.eye(sigma.shape[0])


def information(structure, theta, S, estimator, S_inv=None, parts=None, sigma=None):
    """A_kl = tr(V dSigma_k V dSigma_l) (V = Sigma^-1 for ML, S^-1 for GLS, I for ULS), and dSigma."""
    if parts is None:
        sigma, parts = structure.sigma(theta)
    d = structure.sigma_derivatives(parts)
    v = _weight(S_inv, sigma, estimator)
    q = d.shape[0]
    vd = np.matmul(v, d)  # V dSigma_k
    a = vd.reshape(q, -1) @ vd.transpose(0, 2, 1).reshape(q, -1).T
    return a, d, v


def estimate(structure, S, start, estimator="ML", *, max_iter=500, tol=1e-9) -> EstimationResult:
    """Minimise the discrepancy by Fisher scoring with step halving.

    The step solves A delta = -g with g_k = -tr(V (S - Sigma) V dSigma_k) the gradient of
    F (for ML this is the expected-information (scoring) step; for GLS/ULS Gauss-Newton).
    Converged when max |g| < ``tol``.
    """
    S_inv = np.linalg.inv(S)
    logdet_S = np.linalg.slogdet(S)[1]
    theta = np.array(start, dtype=float)
    sigma, parts = structure.sigma(theta)
    f = discrepancy(S, sigma, estimator, S_inv, logdet_S)
    if not np.isfinite(f):
        return EstimationResult(theta, sigma, parts, f, 0, False, np.inf, "the starting values give an implied covariance that is not positive definite")
    grad_norm = np.inf
    message = ""
    for iteration in range(1, max_iter + 1):
        a, d, v = information(structure, theta, S, estimator, S_inv, parts, sigma)
        r = v @ (S - sigma) @ v
        g = -(d.reshape(len(d), -1) @ r.reshape(-1))
        grad_norm = float(np.max(np.abs(g))) if g.size else 0.0
        if grad_norm < tol:
            return EstimationResult(theta, sigma, parts, f, iteration, True, grad_norm, "", a)
        try:
            step = np.linalg.solve(a + 1e-12 * np.eye(len(a)) * max(1.0, np.trace(a) / max(len(a), 1)), -g)
        except np.linalg.LinAlgError:
            message = "the information matrix is singular"
            break
        t = 1.0
        for _ in range(40):
            trial = theta + t * step
            try:
                sigma_t, parts_t = structure.sigma(trial)
            except np.linalg.LinAlgError:
                t /= 2
                continue
            f_t = discrepancy(S, sigma_t, estimator, S_inv, logdet_S)
            if np.isfinite(f_t) and f_t <= f + 1e-12 * max(1.0, abs(f)):
                break
            t /= 2
        else:
            message = "no step decreases the discrepancy (a flat or ill-conditioned region)"
            break
        theta, sigma, parts = trial, sigma_t, parts_t
        if abs(f - f_t) < 1e-15 and t < 1e-6:
            f = f_t
            message = "steps became negligible before the gradient vanished"
            break
        f = f_t
    else:
        message = f"no convergence in {max_iter} iterations (largest gradient {grad_norm:.2g})"
    a = information(structure, theta, S, estimator, S_inv)[0]
    return EstimationResult(theta, sigma, parts, f, iteration, False, grad_norm, message, a)
