"""Bootstrap confidence intervals of the indirect effects of a structural equation model.

Respondents are resampled with replacement (Bollen & Stine 1990's naive bootstrap, as
AMOS does it), the model is refitted to every resample from the full-sample estimates,
and each resample's total indirect effects (between every pair of constructs, raw and
standardized) and specific indirect effects a*b of the intervening paths are kept.
Intervals: percentile, and bias-corrected percentile (Efron 1987:
z0 = Phi^-1(share of resamples below the estimate), limits at Phi(2 z0 +- z_(1-alpha/2))).

Resamples are cut into blocks of :data:`BLOCK_SIZE`; block b draws its rows from
``numpy.random.default_rng(SeedSequence(seed, spawn_key=(b,)))``, so a seed gives the
same intervals on the local engine and on a Dask cluster of any size
(:mod:`simulator.engines`). Resamples whose fit fails (a singular covariance, no
convergence) are left out and counted, as AMOS reports them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from ._common import TableResult, format_table, significance_level
from .sem_model import estimate

__all__ = ["BLOCK_SIZE", "MAX_RESAMPLES", "BootstrapIndirect", "bootstrap_indirect_effects"]

#: Resamples per block (the unit of work on an engine).
BLOCK_SIZE = 25
#: Largest number of resamples accepted.
MAX_RESAMPLES = 100_000


def _statistics(structure, theta, pairs, chains):
    beta, lam, psi, th, c, m = structure.sigma(theta)[1]
    total = c - np.eye(len(c))
    indirect = total - beta
    sd = np.sqrt(np.diag(c @ psi @ c.T))
    out = []
    for to, frm in pairs:
        out += [indirect[to, frm], indirect[to, frm] * sd[frm] / sd[to]]
    for x, mid, y in chains:
        ab = beta[mid, x] * beta[y, mid]
        out += [ab, ab * sd[x] / sd[y]]
    return out


def _bootstrap_block(context, block):
    """Worker side: the statistics of the resamples of one block (NaN rows for failed fits)."""
    structure, data, theta, estimator, ddof, seed, size, total, pairs, chains = (
        context[k] for k in ("structure", "data", "theta", "estimator", "ddof", "seed", "block_size", "resamples", "pairs", "chains"))
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    count = min(size, total - block * size)
    n = data.shape[0]
    width = 2 * (len(pairs) + len(chains))
    out = np.full((count, width), np.nan)
    for r in range(count):
        rows = rng.integers(0, n, n)
        sample = data[rows]
        S = np.cov(sample, rowvar=False, ddof=ddof)
        try:
            if np.linalg.eigvalsh(S)[0] <= 0:
                continue
            fit = estimate(structure, S, theta, estimator, max_iter=100, tol=1e-7)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            continue
        if fit.converged:
            out[r] = _statistics(structure, fit.theta, pairs, chains)
    return out


@dataclass(frozen=True, eq=False, repr=False)
class BootstrapIndirect(TableResult):
    """Bootstrap intervals of indirect effects (see :func:`bootstrap_indirect_effects`).

    Attributes
    ----------
    table : DataFrame
        ``Effect, Kind, Estimate, Boot mean, Boot S.E., Percentile lower, Percentile upper,
        BC lower, BC upper, Significant`` (Significant: the BC interval excludes 0).
    draws : ndarray
        Resamples x statistics (NaN rows: failed fits).
    resamples, failed, seed : int
    level : float
    """

    table: pd.DataFrame
    draws: np.ndarray
    resamples: int
    failed: int
    seed: int
    level: float

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def summary(self) -> str:
        return format_table("Bootstrap indirect effects", self.table,
                            [f"{self.resamples} resamples (seed {self.seed}), {self.failed} failed and left out; {self.level:.0%} intervals."])

    def _headline(self) -> str:
        return f"{len(self.table)} effects, {self.resamples} resamples"


def bootstrap_indirect_effects(result, resamples=2000, *, seed=12345, level=0.95, engine=None, workers=None) -> BootstrapIndirect:
    """Percentile and bias-corrected bootstrap intervals of every indirect effect of a fitted model.

    Parameters
    ----------
    result : SEMResult
        From :func:`~simulator.survey.fit_sem` on raw data.
    resamples : int
        Bootstrap samples (1..100,000; AMOS users often take 2,000).
    seed : int
        Seed of the resampling; the same seed gives the same table on every engine.
    level : float
        Confidence level (fraction, default 0.95).
    engine : {"local", "dask"} or engine, optional
        Where the blocks run (:func:`simulator.engines.resolve_engine`; default local threads).
    workers : int, optional
        Threads / worker processes of a new engine.

    Returns
    -------
    BootstrapIndirect

    Examples
    --------
    >>> from semopy.examples import political_democracy as pdm
    >>> from simulator.survey import fit_sem
    >>> fit = fit_sem(pdm.get_data(), pdm.get_model())
    >>> boot = bootstrap_indirect_effects(fit, 50, seed=1, workers=1)
    >>> list(boot.table["Effect"])[:1]
    ['ind60 -> dem65 (total indirect)']
    """
    from scipy import stats  # here, not at import: survey analytics import without scipy.stats
    from ..engines import resolve_engine

    if result.data is None:
        raise RoqInputError("result", "the bootstrap needs raw answers; the model was fitted to a covariance matrix")
    if isinstance(resamples, bool) or not isinstance(resamples, (int, np.integer)) or not 1 <= resamples <= MAX_RESAMPLES:
        raise RoqInputError("resamples", f"must be a whole number from 1 to {MAX_RESAMPLES:,}, got {resamples!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise RoqInputError("seed", f"must be a whole number >= 0, got {seed!r}")
    level = significance_level(level, "level")
    st = result.structure
    effects = result.effect_matrices()
    names = list(st.inner)
    index = {v: i for i, v in enumerate(names)}
    pairs = [(index[to], index[frm]) for to in names for frm in names if frm != to and abs(effects["indirect"].loc[to, frm]) > 0]
    chains = [(index[x], index[m], index[y]) for x, m, y, _, _ in result.intervening_paths()]
    if not pairs and not chains:
        raise RoqInputError("model", "has no indirect effects to bootstrap (no construct sits between two others)")
    labels = []
    for to, frm in pairs:
        labels += [(f"{names[frm]} -> {names[to]} (total indirect)", "unstandardized"), (f"{names[frm]} -> {names[to]} (total indirect)", "standardized")]
    for x, m, y in chains:
        labels += [(f"{names[x]} -> {names[m]} -> {names[y]}", "unstandardized"), (f"{names[x]} -> {names[m]} -> {names[y]}", "standardized")]
    estimates = np.array(_statistics(st, result.theta, pairs, chains))
    context = {"structure": st, "data": result.data, "theta": result.theta, "estimator": result.estimator,
               "ddof": 1 if result.convention == "amos" else 0, "seed": int(seed), "block_size": BLOCK_SIZE,
               "resamples": int(resamples), "pairs": pairs, "chains": chains}
    blocks = range(-(-int(resamples) // BLOCK_SIZE))
    runner, owned = resolve_engine(engine, workers)
    try:
        parts = list(runner.map_ordered(_bootstrap_block, blocks, context=context, label="sem-bootstrap"))
    finally:
        if owned:
            runner.close()
    draws = np.vstack(parts)
    ok = ~np.isnan(draws).any(axis=1)
    good = draws[ok]
    failed = int((~ok).sum())
    if good.shape[0] < 2:
        raise RoqInputError("resamples", f"only {good.shape[0]} of {resamples} resamples could be fitted; the model is too unstable to bootstrap")
    alpha = 1 - level
    z = stats.norm.ppf([alpha / 2, 1 - alpha / 2])
    rows = []
    for k, (label, kind) in enumerate(labels):
        column = good[:, k]
        lo, hi = np.quantile(column, [alpha / 2, 1 - alpha / 2])
        share = (np.sum(column < estimates[k]) + 0.5 * np.sum(column == estimates[k])) / column.size
        share = min(max(share, 0.5 / column.size), 1 - 0.5 / column.size)
        z0 = stats.norm.ppf(share)
        bc = np.quantile(column, stats.norm.cdf(2 * z0 + z))
        rows.append((label, kind, estimates[k], column.mean(), column.std(ddof=1), lo, hi, bc[0], bc[1], "yes" if bc[0] > 0 or bc[1] < 0 else "no"))
    table = pd.DataFrame(rows, columns=["Effect", "Kind", "Estimate", "Boot mean", "Boot S.E.", "Percentile lower", "Percentile upper",
                                        "BC lower", "BC upper", "Significant"])
    return BootstrapIndirect(table, draws, int(resamples), failed, int(seed), float(level))
