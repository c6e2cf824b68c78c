"""Sensitivity measured on a Monte Carlo sample itself: the @RISK / Crystal Ball tornado.

Global methods (:mod:`~simulator.uncertainty.sensitivity`) need their own designs; a
planner who has just run a Monte Carlo wants to know, from that very sample, which
inputs drive an output. Three classical measures, all computed from the drawn inputs and
the output values of the same scenarios (so they respect any rank correlation imposed on
the inputs):

- ``rank_correlation``: Spearman's rho between each input and the output (ranks with
  ties averaged), the measure @RISK's and Crystal Ball's tornado charts rank by.
- ``contribution_to_variance``: Crystal Ball's definition, rho_i^2 / sum_j rho_j^2 with
  the sign of rho_i (a fraction; the absolute values add up to 1). It is a
  normalisation of the rank correlations, not a variance decomposition; for that use
  Sobol' indices.
- ``src``: standardised regression coefficients of the linear least-squares fit of the
  standardised output on the standardised inputs (Saltelli et al. 2008, *Global
  Sensitivity Analysis: The Primer*, sec. 1.2.5), with the fit's R^2: when R^2 is near 1
  the model is close to linear and SRC^2 is the share of variance of each input;
  ``srrc`` is the same on ranks (monotone rather than linear fit).

Inputs whose sampled values are constant (fixed inputs) carry no information and are
left out of the table, and reported in ``constant_inputs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..errors import RoqInputError

__all__ = ["SampleSensitivityResult", "sample_sensitivity", "rank_correlation"]

#: At least this many scenarios: below it the rank correlations are mostly noise.
MINIMUM_SAMPLES = 10


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a 1-D array with ties given their average rank (scipy's 'average')."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    # boundaries of runs of equal values
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    average = (starts + ends + 1) / 2.0  # mean of the 1-based ranks start+1 .. end
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(average, ends - starts)
    return ranks


def _standardise(columns: np.ndarray) -> np.ndarray:
    centred = columns - columns.mean(axis=0)
    return centred / centred.std(axis=0)


def rank_correlation(x, y) -> float:
    """Spearman's rank correlation of two equally long samples (ties averaged).

    Examples
    --------
    >>> round(rank_correlation([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 4)
    0.8208
    """
    x_ranks = _standardise(_ranks(np.asarray(x, dtype=float))[:, None])[:, 0]
    y_ranks = _standardise(_ranks(np.asarray(y, dtype=float))[:, None])[:, 0]
    return float(np.mean(x_ranks * y_ranks))


@dataclass
class SampleSensitivityResult:
    """Sample-based sensitivity of one output; ``table`` is ranked by |rank correlation|."""

    output: str
    samples: int
    table: "object"  # pandas DataFrame: input, rank_correlation, contribution_to_variance, src, srrc
    r_squared: float
    rank_r_squared: float
    constant_inputs: list = field(default_factory=list)

    def to_frame(self):
        """The ranked table as a DataFrame (one row per varying input)."""
        return self.table.copy()

    def summary(self) -> str:
        """A plain-text table as @RISK prints its sensitivity report."""
        lines = [
            f"Sensitivity of {self.output} from the Monte Carlo sample ({self.samples:,} scenarios)",
            f"{'input':<24}{'rank corr':>11}{'contrib. to var.':>18}{'SRC':>9}{'SRRC':>9}",
        ]
        for row in self.table.itertuples(index=False):
            lines.append(
                f"{row.input:<24}{row.rank_correlation:>11.3f}{row.contribution_to_variance:>17.1%} {row.src:>9.3f}{row.srrc:>9.3f}"
            )
        lines.append(f"linear fit R^2 = {self.r_squared:.3f} (SRC), rank fit R^2 = {self.rank_r_squared:.3f} (SRRC)")
        if self.constant_inputs:
            lines.append("constant in the sample (left out): " + ", ".join(self.constant_inputs))
        return "\n".join(lines)


def _regression(design: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float]:
    coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
    residual = target - design @ coefficients
    return coefficients, float(1.0 - residual.var() / target.var())


def sample_sensitivity(inputs: Mapping[str, object], output, *, output_name: str = "output") -> SampleSensitivityResult:
    """Rank correlations, contribution to variance, SRC and SRRC of one output.

    Parameters
    ----------
    inputs : mapping of input name -> 1-D array
        The sampled input values, one entry per scenario, in the same order as ``output``.
    output : 1-D array
        The output values of the same scenarios; must be finite.
    output_name : str
        Name used in the table and messages.

    Returns
    -------
    SampleSensitivityResult

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> a, b = rng.uniform(size=10_000), rng.uniform(size=10_000)
    >>> result = sample_sensitivity({"a": a, "b": b}, a + 2 * b, output_name="y")
    >>> result.table.input.tolist(), round(result.r_squared, 6)
    (['b', 'a'], 1.0)
    >>> [round(v, 2) for v in result.table.src]   # SRC^2 = share of variance: 0.8 and 0.2
    [0.89, 0.45]
    """
    import pandas as pd

    values = np.asarray(output, dtype=float).reshape(-1)
    n = len(values)
    if n < MINIMUM_SAMPLES:
        raise RoqInputError(output_name, f"needs at least {MINIMUM_SAMPLES} scenarios for sample sensitivity, got {n}")
    if not np.isfinite(values).all():
        bad = int((~np.isfinite(values)).sum())
        raise RoqInputError(output_name, f"{bad:,} of {n:,} values are not finite (NaN or infinite); fix the model inputs before measuring sensitivity")
    if np.ptp(values) == 0:
        raise RoqInputError(output_name, "is constant in the sample: no input moves it")
    names, columns, constant = [], [], []
    for name, column in inputs.items():
        array = np.asarray(column, dtype=float).reshape(-1)
        if array.shape[0] != n:
            raise RoqInputError(f"inputs.{name}", f"has {array.shape[0]:,} values but the output has {n:,}")
        if not np.isfinite(array).all():
            raise RoqInputError(f"inputs.{name}", "has values that are not finite")
        if np.ptp(array) == 0:
            constant.append(name)
            continue
        names.append(name)
        columns.append(array)
    if not names:
        raise RoqInputError("inputs", "no input varies in the sample")
    matrix = np.column_stack(columns)
    rank_matrix = np.column_stack([_ranks(c) for c in columns])
    output_ranks = _ranks(values)
    standard_ranks = _standardise(rank_matrix)
    standard_output_ranks = _standardise(output_ranks[:, None])[:, 0]
    rho = standard_ranks.T @ standard_output_ranks / n
    src, r_squared = _regression(_standardise(matrix), _standardise(values[:, None])[:, 0])
    srrc, rank_r_squared = _regression(standard_ranks, standard_output_ranks)
    squared = rho**2
    contribution = np.sign(rho) * squared / squared.sum() if squared.sum() > 0 else np.zeros_like(rho)
    table = pd.DataFrame({
        "input": names,
        "rank_correlation": rho,
        "contribution_to_variance": contribution,
        "src": src,
        "srrc": srrc,
    })
    table = table.iloc[np.argsort(-np.abs(rho), kind="stable")].reset_index(drop=True)
    return SampleSensitivityResult(output_name, n, table, r_squared, rank_r_squared, constant)
