"""Retention from survey answers, with its sampling uncertainty.

Rust, Zahorik & Keiningham's retention (:func:`simulator.roq.retention`) needs the
satisfaction mix (dissatisfied / satisfied / delighted shares) and each group's
repurchase rate. A survey measures both on the same respondents: each respondent has a
satisfaction group and a repurchase intention (yes / unsure / no, scored 100% / 50% /
0% as in Singgih's case study). This module turns those answers, or their 3 x 3
crosstab, into

- the point estimate (shares = row totals / n, rate of a group = its mean score), and
- the joint sampling uncertainty of shares, rates and retention: a Dirichlet-multinomial
  posterior over the nine cells of the crosstab. With cell counts ``n_jk`` and a
  symmetric prior ``a`` (default 0.5, Jeffreys' prior of the multinomial), the cell
  probabilities are ``p ~ Dirichlet(n_jk + a)``; every posterior draw gives one
  consistent set of shares (row sums of p), rates (row-wise mean score under p) and
  retention. Intervals are equal-tailed posterior percentiles; their frequentist
  coverage is checked by simulation in the tests (surveys drawn from a known population).

The Monte Carlo draws from the same posterior (:func:`posterior_table`): a fixed, seeded
table of joint draws sorted by retention, indexed by one uniform input, so shares and
rates are always drawn together and every sampler (random, LHS, Sobol') stratifies the
survey's uncertainty like any other input.

Rows are satisfaction groups in the order dissatisfied, satisfied, delighted; columns
are repurchase answers yes, unsure, no. Rates and shares are fractions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..errors import RoqInputError
from .calibration import SATISFIED_SHARE_CONVENTIONS, retention

__all__ = [
    "SATISFACTION_GROUPS",
    "REPURCHASE_ANSWERS",
    "REPURCHASE_SCORES",
    "SurveyRetention",
    "retention_crosstab",
    "satisfaction_groups",
    "survey_retention",
    "posterior_draws",
    "posterior_table",
    "published_procedure_retention",
    "published_procedure_draws",
    "singgih_survey",
]

SATISFACTION_GROUPS = ("dissatisfied", "satisfied", "delighted")
REPURCHASE_ANSWERS = ("yes", "unsure", "no")
#: Score of each repurchase answer (Singgih: yes = 100%, unsure = 50%, no = 0%).
REPURCHASE_SCORES = np.array([1.0, 0.5, 0.0])
#: Most respondents a survey may have (a typo such as 1e12 is refused, not allocated).
MAXIMUM_RESPONDENTS = 10**9
#: Most posterior draws one call may make.
MAXIMUM_DRAWS = 10**7

_GROUP_ALIASES = {
    "dissatisfied": 0, "not satisfied": 0, "tidak puas": 0, "1": 0,
    "satisfied": 1, "puas": 1, "2": 1,
    "delighted": 2, "very satisfied": 2, "sangat puas": 2, "3": 2,
}
_ANSWER_ALIASES = {
    "yes": 0, "ya": 0, "1": 0, "100%": 0,
    "unsure": 1, "not sure": 1, "not_sure": 1, "maybe": 1, "belum tentu": 1, "ragu-ragu": 1, "0.5": 1, "50%": 1,
    "no": 2, "never": 2, "tidak": 2, "tidak pernah": 2, "0": 2, "0%": 2,
}


def _label(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return repr(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        value = float(value)
        if not np.isfinite(value):
            return ""
        return f"{value:g}"
    return str(value).strip().lower()


def _codes(values, aliases: dict, argument: str, allowed: Sequence[str]) -> np.ndarray:
    codes = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        if value is None or _label(value) == "":
            raise RoqInputError(argument, f"respondent {row + 1} has no answer (blank); remove the respondent or fill in the answer")
        code = aliases.get(_label(value))
        if code is None:
            raise RoqInputError(argument, f"respondent {row + 1}: {value!r} is not one of {', '.join(allowed)}")
        codes[row] = code
    return codes


def satisfaction_groups(scores, *, low=None, high=None) -> np.ndarray:
    """Group respondents into dissatisfied / satisfied / delighted by the thirds rule.

    Singgih's case study splits the range between the lowest and the highest
    satisfaction score into three equal intervals: the lowest third is dissatisfied, the
    middle third satisfied, the top third delighted (a score on a boundary goes to the
    higher group).

    Parameters
    ----------
    scores : array_like
        Overall satisfaction score per respondent (any scale); blanks are refused.
    low, high : float, optional
        Ends of the range (default: the lowest and highest score observed).

    Returns
    -------
    ndarray of str
        ``"dissatisfied"``, ``"satisfied"`` or ``"delighted"`` per respondent.

    Examples
    --------
    >>> satisfaction_groups([10, 20, 30, 40, 50, 60, 70]).tolist()
    ['dissatisfied', 'dissatisfied', 'satisfied', 'satisfied', 'delighted', 'delighted', 'delighted']
    """
    values = np.asarray(scores, dtype=float).reshape(-1)
    if values.size == 0:
        raise RoqInputError("scores", "no respondents")
    missing = np.flatnonzero(~np.isfinite(values))
    if missing.size:
        raise RoqInputError("scores", f"respondent {missing[0] + 1} has no satisfaction score")
    low = float(values.min()) if low is None else float(low)
    high = float(values.max()) if high is None else float(high)
    if not high > low:
        raise RoqInputError("scores", "all respondents have the same score: the range cannot be split into thirds")
    width = (high - low) / 3.0
    group = np.clip(np.floor((values - low) / width + 1e-12), 0, 2).astype(int)
    return np.array(SATISFACTION_GROUPS)[group]


def retention_crosstab(satisfaction, repurchase) -> np.ndarray:
    """The 3 x 3 crosstab of satisfaction group by repurchase answer from respondents' answers.

    Parameters
    ----------
    satisfaction : sequence
        Group per respondent: ``"dissatisfied"``, ``"satisfied"``, ``"delighted"``
        (also the Indonesian labels and the codes 1, 2, 3).
    repurchase : sequence
        Repurchase intention per respondent: ``"yes"``, ``"unsure"``, ``"no"`` (also
        1, 0.5, 0 and the Indonesian labels).

    Returns
    -------
    ndarray, shape (3, 3)
        Counts; rows dissatisfied, satisfied, delighted; columns yes, unsure, no.

    Examples
    --------
    >>> retention_crosstab(["satisfied", "delighted", "satisfied"], ["yes", "yes", "no"]).tolist()
    [[0, 0, 0], [1, 0, 1], [1, 0, 0]]
    """
    satisfaction = list(satisfaction)
    repurchase = list(repurchase)
    if len(satisfaction) != len(repurchase):
        raise RoqInputError("repurchase", f"has {len(repurchase)} answers but satisfaction has {len(satisfaction)}: one pair per respondent")
    if not satisfaction:
        raise RoqInputError("satisfaction", "no respondents")
    if len(satisfaction) > MAXIMUM_RESPONDENTS:
        raise RoqInputError("satisfaction", f"more than {MAXIMUM_RESPONDENTS:.0e} respondents")
    rows = _codes(satisfaction, _GROUP_ALIASES, "satisfaction", SATISFACTION_GROUPS)
    columns = _codes(repurchase, _ANSWER_ALIASES, "repurchase", REPURCHASE_ANSWERS)
    table = np.zeros((3, 3), dtype=np.int64)
    np.add.at(table, (rows, columns), 1)
    return table


def _check_counts(counts, argument: str = "counts") -> np.ndarray:
    try:
        table = np.asarray(counts, dtype=float)
    except (TypeError, ValueError):
        raise RoqInputError(argument, "must be a 3 x 3 table of numbers (rows dissatisfied, satisfied, delighted; columns yes, unsure, no)") from None
    if table.shape == (4, 4):  # a table printed with its totals row and column: check and drop them
        body = table[:3, :3]
        if not (np.allclose(table[:3, 3], body.sum(axis=1)) and np.allclose(table[3, :3], body.sum(axis=0)) and np.isclose(table[3, 3], body.sum())):
            raise RoqInputError(argument, "the totals row/column do not add up to the counts; check the table")
        table = body
    if table.shape != (3, 3):
        raise RoqInputError(argument, f"must be 3 x 3 (rows dissatisfied, satisfied, delighted; columns yes, unsure, no), got {' x '.join(map(str, table.shape))}")
    if not np.isfinite(table).all():
        raise RoqInputError(argument, "has a blank or non-numeric cell; a cell with no respondents is 0")
    if (table < 0).any():
        row, column = np.argwhere(table < 0)[0]
        raise RoqInputError(argument, f"{SATISFACTION_GROUPS[row]} x {REPURCHASE_ANSWERS[column]} is negative ({table[row, column]:g}); counts are numbers of respondents")
    if not np.allclose(table, np.round(table)):
        raise RoqInputError(argument, "must be whole numbers of respondents (got a fraction; give counts, not shares)")
    total = table.sum()
    if total < 2:
        raise RoqInputError(argument, f"needs at least 2 respondents, got {total:g}")
    if total > MAXIMUM_RESPONDENTS:
        raise RoqInputError(argument, f"adds up to {total:.3g} respondents, more than {MAXIMUM_RESPONDENTS:.0e}")
    return table


def _check_prior(prior) -> float:
    prior = float(prior)
    if not (np.isfinite(prior) and prior > 0):
        raise RoqInputError("prior", f"must be a positive pseudo-count per cell (0.5 = Jeffreys, 1 = uniform), got {prior:g}")
    if prior > 100:
        raise RoqInputError("prior", f"{prior:g} pseudo-respondents per cell would swamp the survey; use 0.5 or 1")
    return prior


def _mix_and_rates(probabilities: np.ndarray) -> dict:
    """Shares and rates from cell probabilities (..., 3, 3); rates of empty groups are 0."""
    shares = probabilities.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(shares > 0, (probabilities @ REPURCHASE_SCORES) / shares, 0.0)
    return {
        "dissatisfied_share": shares[..., 0],
        "satisfied_share": shares[..., 1],
        "delighted_share": shares[..., 2],
        "repurchase_dissatisfied": rates[..., 0],
        "repurchase_satisfied": rates[..., 1],
        "repurchase_delighted": rates[..., 2],
    }


def _retention_of(values: dict, convention: str):
    return retention(
        values["satisfied_share"], values["delighted_share"],
        values["repurchase_dissatisfied"], values["repurchase_satisfied"], values["repurchase_delighted"],
        convention=convention,
    )


def _check_convention(convention: str) -> str:
    if convention not in SATISFIED_SHARE_CONVENTIONS:
        raise RoqInputError("convention", f"must be one of {', '.join(SATISFIED_SHARE_CONVENTIONS)}, got {convention!r}")
    return convention


def posterior_draws(counts, draws: int, *, seed: int = 0, prior: float = 0.5, convention: str = "satisfied_or_delighted") -> dict:
    """Joint posterior draws of the satisfaction mix, the repurchase rates and retention.

    Cell probabilities ``p ~ Dirichlet(counts + prior)`` (drawn as normalised gamma
    variates from a seeded ``numpy.random.Generator``); each draw gives shares, rates
    and retention that belong together.

    Parameters
    ----------
    counts : array_like, shape (3, 3)
        Crosstab (rows dissatisfied, satisfied, delighted; columns yes, unsure, no).
    draws : int
        Number of joint draws (at most ``MAXIMUM_DRAWS``).
    seed : int
        Seed of the generator: the same seed gives the same draws.
    prior : float
        Symmetric Dirichlet pseudo-count per cell (0.5 = Jeffreys).
    convention : str
        Convention of the retention formula, see :func:`simulator.roq.retention`.

    Returns
    -------
    dict of str to ndarray
        ``dissatisfied_share``, ``satisfied_share``, ``delighted_share``,
        ``repurchase_dissatisfied``, ``repurchase_satisfied``, ``repurchase_delighted``
        and ``retention``, each of length ``draws``.
    """
    table = _check_counts(counts)
    prior = _check_prior(prior)
    _check_convention(convention)
    draws = _check_draws(draws)
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    gammas = rng.standard_gamma((table + prior).reshape(-1), size=(draws, 9))
    probabilities = (gammas / gammas.sum(axis=1, keepdims=True)).reshape(draws, 3, 3)
    values = _mix_and_rates(probabilities)
    values["retention"] = np.asarray(_retention_of(values, convention), dtype=float)
    return values


def _check_draws(draws) -> int:
    try:
        number = float(draws)
    except (TypeError, ValueError):
        raise RoqInputError("draws", f"must be a whole number, got {draws!r}") from None
    if not (np.isfinite(number) and number == int(number) and 100 <= number <= MAXIMUM_DRAWS):
        raise RoqInputError("draws", f"must be a whole number from 100 to {MAXIMUM_DRAWS:.0e}, got {number:g}")
    return int(number)


def posterior_table(counts, *, draws: int = 4096, seed: int = 0, prior: float = 0.5, convention: str = "satisfied_or_delighted") -> dict:
    """Posterior draws sorted by retention: the table a Monte Carlo indexes with one uniform.

    Row ``floor(u * draws)`` for ``u`` in [0, 1) is a joint draw whose retention is the
    ``u``-quantile of the posterior, so a stratified sampler stratifies retention and
    its shares and rates come along unchanged. See :func:`posterior_draws`.
    """
    values = posterior_draws(counts, draws, seed=seed, prior=prior, convention=convention)
    order = np.argsort(values["retention"], kind="stable")
    return {name: column[order] for name, column in values.items()}


@dataclass
class SurveyRetention:
    """Retention estimated from a survey: point estimate, interval, mix and rates.

    Attributes
    ----------
    counts : ndarray (3, 3)
    respondents : int
    point : dict
        Shares, repurchase rates and ``retention`` computed from the counts.
    interval : tuple of float
        Equal-tailed posterior interval of retention at ``confidence``.
    confidence : float
    standard_error : float
        Posterior standard deviation of retention.
    convention, prior : as given
    draws : dict of ndarray
        The posterior draws the interval came from.
    """

    counts: np.ndarray
    respondents: int
    point: dict
    interval: tuple
    confidence: float
    standard_error: float
    convention: str
    prior: float
    draws: dict = field(repr=False, default_factory=dict)

    @property
    def retention(self) -> float:
        """Point estimate of retention (fraction per year)."""
        return float(self.point["retention"])

    def to_frame(self):
        """One row per quantity: estimate, posterior sd and interval."""
        import pandas as pd

        low_q, high_q = (1 - self.confidence) / 2, (1 + self.confidence) / 2
        rows = []
        for name in ("retention", "dissatisfied_share", "satisfied_share", "delighted_share",
                     "repurchase_dissatisfied", "repurchase_satisfied", "repurchase_delighted"):
            column = self.draws[name]
            rows.append({
                "quantity": name, "estimate": float(self.point[name]), "sd": float(column.std()),
                "low": float(np.quantile(column, low_q)), "high": float(np.quantile(column, high_q)),
            })
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """A plain table: retention with its interval, the mix and the rates."""
        level = f"{self.confidence:.0%}"
        lines = [
            f"Retention from the survey ({self.respondents} respondents, {self.convention.replace('_', ' ')} convention)",
            f"{'':<26}{'estimate':>10}{'sd':>9}{level + ' low':>10}{level + ' high':>10}",
        ]
        for row in self.to_frame().itertuples(index=False):
            lines.append(f"{row.quantity.replace('_', ' '):<26}{row.estimate:>10.2%}{row.sd:>9.2%}{row.low:>10.2%}{row.high:>10.2%}")
        lines.append(f"interval: Dirichlet-multinomial posterior, prior {self.prior:g} per cell, {len(self.draws['retention']):,} draws")
        return "\n".join(lines)


def survey_retention(counts, *, convention: str = "satisfied_or_delighted", confidence: float = 0.95,
                     prior: float = 0.5, draws: int = 20_000, seed: int = 0) -> SurveyRetention:
    """Retention with its interval from the satisfaction x repurchase crosstab.

    Parameters
    ----------
    counts : array_like, shape (3, 3) or (4, 4)
        Respondents by satisfaction group (rows dissatisfied, satisfied, delighted) and
        repurchase answer (columns yes, unsure, no); a 4 x 4 table with a totals row and
        column is checked and accepted. Use :func:`retention_crosstab` for raw answers.
    convention : {"satisfied_or_delighted", "satisfied_only"}
        Meaning of S in the retention formula (see :func:`simulator.roq.retention`).
    confidence : float
        Level of the equal-tailed interval (fraction, e.g. 0.95).
    prior : float
        Dirichlet pseudo-count per cell (0.5, Jeffreys' prior, by default).
    draws, seed : int
        Posterior draws and their seed (reproducible).

    Returns
    -------
    SurveyRetention

    Examples
    --------
    >>> result = survey_retention([[4, 10, 21], [20, 17, 4], [6, 2, 0]])
    >>> round(result.retention, 4), [round(v, 3) for v in result.interval]
    (0.5298, [0.444, 0.612])
    """
    table = _check_counts(counts)
    confidence = float(confidence)
    if 50 <= confidence < 100:
        raise RoqInputError("confidence", f"{confidence:g} is not a fraction: did you mean {confidence:g}%? Give {confidence / 100:g}")
    if not 0.5 <= confidence < 1:
        raise RoqInputError("confidence", f"must be a fraction from 0.5 to 0.999 (e.g. 0.95 for 95%), got {confidence:g}")
    convention = _check_convention(convention)
    point = _mix_and_rates(table / table.sum())
    point = {name: float(value) for name, value in point.items()}
    point["retention"] = float(_retention_of(point, convention))
    values = posterior_draws(table, draws, seed=seed, prior=prior, convention=convention)
    column = values["retention"]
    interval = (float(np.quantile(column, (1 - confidence) / 2)), float(np.quantile(column, (1 + confidence) / 2)))
    return SurveyRetention(table.astype(int), int(table.sum()), point, interval, confidence, float(column.std()), convention, float(prior), values)


def published_procedure_retention(satisfaction_counts, intention_values) -> dict:
    """Retention by the procedure Singgih's case study published (shown, not recommended).

    The paper takes the satisfaction mix from its respondent counts (35 dissatisfied, 41
    satisfied, 8 delighted of 84: Table 4) and three "repurchase intention" values of
    Table 5 (15.48%, 66.67%, 17.86%, i.e. 13, 56 and 15 of the 84 respondents), from
    which it derives r1 = t1, r2 = t2 - t1 (its "satisfaction effect") and
    r3 = t3 + r2 (its "delight effect"), then applies the retention formula with S =
    the satisfied-only share. Table 5's values add up to 100%: they are a distribution
    of answers, not group rates, so this is not Rust, Zahorik & Keiningham's estimator;
    use :func:`survey_retention` on the satisfaction x repurchase crosstab instead.
    The paper's own satisfaction x repurchase crosstab (Table 9) is garbled (its rows do
    not add up), so the per-group rates cannot be recovered from it.

    Parameters
    ----------
    satisfaction_counts : sequence of 3 numbers
        Respondents dissatisfied, satisfied, delighted.
    intention_values : sequence of 3 fractions
        The paper's t1, t2, t3.

    Returns
    -------
    dict
        ``satisfied_share``, ``delighted_share``, ``repurchase_dissatisfied``,
        ``repurchase_satisfied``, ``repurchase_delighted``, ``retention``.

    Examples
    --------
    >>> round(published_procedure_retention([35, 41, 8], [13 / 84, 56 / 84, 15 / 84])["retention"], 4)
    0.3461
    """
    counts = np.asarray(satisfaction_counts, dtype=float).reshape(-1)
    values = np.asarray(intention_values, dtype=float).reshape(-1)
    if counts.shape != (3,) or values.shape != (3,):
        raise RoqInputError("satisfaction_counts", "give three counts (dissatisfied, satisfied, delighted) and three intention values")
    if (counts < 0).any() or counts.sum() <= 0:
        raise RoqInputError("satisfaction_counts", "must be non-negative respondent counts with at least one respondent")
    if ((values < 0) | (values > 1)).any():
        raise RoqInputError("intention_values", "must be fractions between 0 and 1 (15.48% is 0.1548)")
    shares = counts / counts.sum()
    r1 = values[0]
    r2 = values[1] - values[0]
    r3 = values[2] + r2
    result = {
        "satisfied_share": float(shares[1]), "delighted_share": float(shares[2]),
        "repurchase_dissatisfied": float(r1), "repurchase_satisfied": float(r2), "repurchase_delighted": float(r3),
    }
    result["retention"] = float(retention(shares[1], shares[2], r1, r2, r3, convention="satisfied_only"))
    return result


def published_procedure_draws(satisfaction_counts, intention_counts, draws: int, *, seed: int = 0, prior: float = 0.5,
                              convention: str = "satisfied_or_delighted") -> dict:
    """Joint posterior draws of the mix and the rates of :func:`published_procedure_retention`.

    The paper publishes the satisfaction counts and the repurchase-intention counts
    separately (its joint crosstab is garbled), so each gets its own Dirichlet posterior
    (``Dirichlet(counts + prior)``), drawn independently; each pair of draws goes through
    the paper's derivation of r1, r2, r3. The rates derived that way can fall outside
    [0, 1] in extreme draws; they are clipped to it. ``retention`` is computed with
    ``convention`` (the paper's is ``"satisfied_only"``; the survey-to-ROQ chain uses
    Rust, Zahorik & Keiningham's, under which more delight always means more retention).

    Returns
    -------
    dict of str to ndarray
        As :func:`posterior_draws`.
    """
    prior = _check_prior(prior)
    draws = _check_draws(draws)
    _check_convention(convention)
    satisfaction = np.asarray(satisfaction_counts, dtype=float).reshape(-1)
    intention = np.asarray(intention_counts, dtype=float).reshape(-1)
    for name, counts in (("satisfaction_counts", satisfaction), ("intention_counts", intention)):
        if counts.shape != (3,) or not np.isfinite(counts).all() or (counts < 0).any() or counts.sum() < 2:
            raise RoqInputError(name, "must be three non-negative respondent counts adding up to at least 2")
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    shares = rng.dirichlet(satisfaction + prior, size=draws)
    values = rng.dirichlet(intention + prior, size=draws)
    r1 = values[:, 0]
    r2 = np.clip(values[:, 1] - values[:, 0], 0.0, 1.0)
    r3 = np.clip(values[:, 2] + r2, 0.0, 1.0)
    result = {
        "dissatisfied_share": shares[:, 0], "satisfied_share": shares[:, 1], "delighted_share": shares[:, 2],
        "repurchase_dissatisfied": r1, "repurchase_satisfied": r2, "repurchase_delighted": r3,
    }
    result["retention"] = np.asarray(_retention_of(result, convention), dtype=float)
    return result


def singgih_survey() -> dict:
    """The survey figures of Singgih's Return-on-Quality case study of an insurer.

    Returns
    -------
    dict
        ``satisfaction_counts`` (35, 41, 8: Table 4 shares 41.67%, 48.81%, 9.52% of 84
        respondents, the row totals of Table 6), ``intention_values`` (Table 5:
        13/84, 56/84, 15/84) and ``published_retention`` (0.3461).
    """
    return {
        "respondents": 84,
        "satisfaction_counts": (35, 41, 8),
        "intention_values": (13 / 84, 56 / 84, 15 / 84),
        "published_retention": 0.3461,
    }
