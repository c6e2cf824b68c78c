"""Rank correlation between uncertain inputs: checking a target matrix, Iman-Conover induction.

Iman & Conover (1982), "A distribution-free approach to inducing rank correlation among
input variables", *Communications in Statistics - Simulation and Computation* 11(3),
311-334. Independent samples of each input are re-paired (each column keeps exactly its
values, so every marginal distribution, Latin-hypercube stratification included, is
untouched) so that their rank correlation matches a target matrix:

1. a score matrix S has van der Waerden scores Phi^-1(i / (n + 1)), i = 1..n, randomly
   permuted in each column;
2. with T = corr(S) = Q Q' and the target C* = P P' (Cholesky factors), S* = S (Q^-1)' P'
   has Pearson correlation exactly C*;
3. each input column is sorted and placed in the rank order of the matching column of S*.

The target is a *Spearman* rank correlation C. For normal scores Spearman's rho and
Pearson's r are linked by rho = (6 / pi) asin(r / 2) (Kruskal 1958), so the scores are
given Pearson correlation C* = 2 sin(pi C / 6); the achieved Spearman correlation then
matches C up to sampling noise of order 1 / sqrt(n) (tested). If C* is not positive
definite (possible only for C very near singular), C itself is used.
"""

from __future__ import annotations

import math
import numbers
from typing import Mapping, Sequence

import numpy as np
from scipy import special

from ..errors import RoqInputError

__all__ = [
    "check_correlation_matrix",
    "correlation_from_pairs",
    "iman_conover",
    "van_der_waerden_scores",
    "spearman_matrix",
]


def check_correlation_matrix(matrix, names: Sequence[str], where: str = "correlation", *, allowed: Sequence[str] | None = None) -> np.ndarray:
    """Check a target rank-correlation matrix and return it as a float array.

    Parameters
    ----------
    matrix : array_like, shape (k, k)
        Rank (Spearman) correlations between the inputs ``names``, in that order.
    names : sequence of str
        The inputs the rows/columns refer to; each must appear once.
    where : str
        Key path for error messages (``"scenario.toml: correlation"``).
    allowed : sequence of str, optional
        Names the matrix may refer to (the scenario's uncertain inputs).

    Returns
    -------
    ndarray, shape (k, k)

    Raises
    ------
    RoqInputError
        If a name is unknown or repeated, the matrix is not square k x k, not symmetric,
        has a diagonal other than 1, an entry outside [-1, 1], or is not positive definite
        (the message gives the smallest eigenvalue and the inputs that load on it).

    Examples
    --------
    >>> check_correlation_matrix([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]], ["a", "b", "c"])
    Traceback (most recent call last):
    ...
    simulator.errors.RoqInputError: correlation.matrix: is not positive definite: its smallest eigenvalue is -0.8 (the combination loads on a, b, c); the pairwise correlations contradict each other
    """
    names = list(names)
    for position, name in enumerate(names):
        if not isinstance(name, str):
            raise RoqInputError(f"{where}.inputs", f"must be input names, item {position + 1} is {name!r}")
        if names.count(name) > 1:
            raise RoqInputError(f"{where}.inputs", f"names {name!r} twice")
        if allowed is not None and name not in allowed:
            from .distributions import closest

            raise RoqInputError(f"{where}.inputs", f"{name!r} is not an uncertain input{closest(name, allowed)}; correlations are between uncertain inputs: {', '.join(allowed) or 'none defined'}")
    try:
        array = np.array(matrix, dtype=float)
    except (TypeError, ValueError):
        raise RoqInputError(f"{where}.matrix", "must be a square table of numbers") from None
    k = len(names)
    if array.shape != (k, k):
        raise RoqInputError(f"{where}.matrix", f"must be {k} x {k} (one row and column per input), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise RoqInputError(f"{where}.matrix", "must contain only finite numbers")
    if not np.allclose(np.diag(array), 1.0, atol=1e-12):
        i = int(np.flatnonzero(~np.isclose(np.diag(array), 1.0, atol=1e-12))[0])
        raise RoqInputError(f"{where}.matrix", f"diagonal must be 1 (an input's correlation with itself), got {array[i, i]:g} for {names[i]}")
    outside = np.abs(array) > 1.0
    if outside.any():
        i, j = np.argwhere(outside)[0]
        raise RoqInputError(f"{where}.matrix", f"correlation of {names[i]} and {names[j]} must lie in [-1, 1], got {array[i, j]:g}")
    asymmetric = ~np.isclose(array, array.T, atol=1e-12)
    if asymmetric.any():
        i, j = np.argwhere(asymmetric)[0]
        raise RoqInputError(f"{where}.matrix", f"must be symmetric: {names[i]}-{names[j]} is {array[i, j]:g} but {names[j]}-{names[i]} is {array[j, i]:g}")
    values, vectors = np.linalg.eigh(array)
    if values[0] <= 1e-10:
        # rounded and stable: equal loadings are listed in input order on every BLAS
        loads = np.argsort(-np.round(np.abs(vectors[:, 0]), 6), kind="stable")
        heavy = [names[i] for i in loads if abs(vectors[i, 0]) > 0.2]
        if values[0] > -1e-10:
            why = "is singular (an input is an exact combination of others); use correlations strictly between -1 and 1"
        else:
            why = "the pairwise correlations contradict each other"
        raise RoqInputError(f"{where}.matrix", f"is not positive definite: its smallest eigenvalue is {values[0]:.3g} (the combination loads on {', '.join(heavy)}); {why}")
    return array


def correlation_from_pairs(pairs: Sequence[Mapping], names: Sequence[str], where: str = "correlation") -> np.ndarray:
    """Correlation matrix over ``names`` from pair entries ``{"between": [a, b], "rank_correlation": r}``.

    Pairs not given are 0. Does not check positive definiteness (see
    :func:`check_correlation_matrix`).

    Raises
    ------
    RoqInputError
        ``"<where>[i].<key>: <reason>"`` for a malformed pair, an unknown name, a pair of an
        input with itself, a repeated pair or r outside [-1, 1].
    """
    from .distributions import closest

    names = list(names)
    matrix = np.eye(len(names))
    seen = set()
    for position, pair in enumerate(pairs):
        here = f"{where}[{position + 1}]"
        if not isinstance(pair, Mapping):
            raise RoqInputError(here, f"must be a table with between = [\"a\", \"b\"] and rank_correlation = r, got {pair!r}")
        for key in pair:
            if key not in ("between", "rank_correlation", "note"):
                raise RoqInputError(f"{here}.{key}", f"is not a key of a correlation entry{closest(key, ['between', 'rank_correlation', 'note'])}; use between and rank_correlation")
        between = pair.get("between")
        if not isinstance(between, (list, tuple)) or len(between) != 2 or not all(isinstance(b, str) for b in between):
            raise RoqInputError(f"{here}.between", f"must name two uncertain inputs, e.g. [\"market_growth\", \"margin\"], got {between!r}")
        for name in between:
            if name not in names:
                raise RoqInputError(f"{here}.between", f"{name!r} is not an uncertain input{closest(name, names)}; uncertain inputs: {', '.join(names) or 'none defined'}")
        a, b = between
        if a == b:
            raise RoqInputError(f"{here}.between", f"pairs {a!r} with itself")
        if frozenset(between) in seen:
            raise RoqInputError(f"{here}.between", f"repeats the pair {a}, {b}")
        seen.add(frozenset(between))
        value = pair.get("rank_correlation")
        if value is None:
            raise RoqInputError(f"{here}.rank_correlation", "is required (Spearman rank correlation, between -1 and 1)")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            raise RoqInputError(f"{here}.rank_correlation", f"must be a number, got {value!r}")
        if not -1.0 <= float(value) <= 1.0:
            raise RoqInputError(f"{here}.rank_correlation", f"must lie in [-1, 1], got {float(value):g}")
        i, j = names.index(a), names.index(b)
        matrix[i, j] = matrix[j, i] = float(value)
    return matrix


_SCORES_CACHE: dict[int, np.ndarray] = {}


def van_der_waerden_scores(n: int) -> np.ndarray:
    """Phi^-1(i / (n + 1)) for i = 1..n (ascending), standardised to mean 0 and unit variance."""
    scores = _SCORES_CACHE.get(n)
    if scores is None:
        scores = special.ndtri(np.arange(1, n + 1) / (n + 1.0))
        scores = scores / scores.std()
        if len(_SCORES_CACHE) > 8:
            _SCORES_CACHE.clear()
        _SCORES_CACHE[n] = scores
    return scores


def score_target(rank_correlation: np.ndarray) -> np.ndarray:
    """Pearson correlation to give normal scores so that their Spearman correlation is the target.

    2 sin(pi rho / 6) (Kruskal 1958), or the target itself if that is not positive definite.
    """
    adjusted = 2.0 * np.sin(np.pi * np.asarray(rank_correlation) / 6.0)
    np.fill_diagonal(adjusted, 1.0)
    try:
        np.linalg.cholesky(adjusted)
    except np.linalg.LinAlgError:
        return np.asarray(rank_correlation, dtype=float)
    return adjusted


def iman_conover(samples: np.ndarray, rank_correlation: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Re-pair the columns of ``samples`` so their Spearman correlation approximates the target.

    Parameters
    ----------
    samples : ndarray, shape (n, k)
        Independent samples, one column per input (any marginals; uniforms work, since
        ``ppf`` is monotone and preserves ranks).
    rank_correlation : ndarray, shape (k, k)
        Target Spearman correlation, checked with :func:`check_correlation_matrix`.
    rng : numpy.random.Generator
        Source of the score permutations (keyed by block for reproducibility).

    Returns
    -------
    ndarray, shape (n, k)
        A new array; column j holds exactly the values of ``samples[:, j]``, reordered.

    Notes
    -----
    Needs n > k. Ties within a column (only possible for non-continuous samples) are
    placed in a fixed but unspecified order. See the module docstring for the method.
    """
    samples = np.asarray(samples, dtype=float)
    n, k = samples.shape
    if k < 2:
        return samples.copy()
    if n <= k:
        raise RoqInputError("samples", f"Iman-Conover needs more samples ({n}) than correlated inputs ({k})")
    base = van_der_waerden_scores(n)
    scores = np.empty((n, k))
    for j in range(k):
        scores[:, j] = base[rng.permutation(n)]
    # tall-and-thin products by einsum, not BLAS: same numbers on any machine and no
    # thread start-up per block (OpenBLAS threads are slow on a busy machine)
    centred = scores - np.einsum("ij->j", scores) / n
    cross = np.einsum("ij,ik->jk", centred, centred)
    scale = np.sqrt(np.diag(cross))
    q = np.linalg.cholesky(cross / np.outer(scale, scale))
    p = np.linalg.cholesky(score_target(rank_correlation))
    # S* = S (Q^-1)' P' = S M with the k x k matrix M = (P Q^-1)'
    mixing = np.linalg.solve(q.T, p.T)
    target_scores = np.einsum("ij,jk->ik", scores, mixing)
    out = np.empty_like(samples)
    for j in range(k):
        # continuous scores and uniforms have no ties, so the default (fast) sort is enough
        order = np.argsort(target_scores[:, j])
        out[order, j] = np.sort(samples[:, j])
    return out


def spearman_matrix(samples: np.ndarray) -> np.ndarray:
    """Spearman rank correlation matrix of the columns of ``samples`` (ties get average ranks)."""
    from scipy.stats import rankdata

    ranks = rankdata(np.asarray(samples, dtype=float), axis=0)
    return np.corrcoef(ranks, rowvar=False)
