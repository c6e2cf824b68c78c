"""Scenario inputs that come from a survey and a driver model: the survey-to-ROQ chain.

A scenario file may carry two extra sections (see README, "From survey to money"):

``[survey]`` - the satisfaction x repurchase crosstab (``counts``, 3 x 3, rows
dissatisfied / satisfied / delighted, columns yes / unsure / no), or a CSV of
respondents' answers (``answers = "answers.csv"``, columns ``satisfaction`` and
``repurchase``), or the two separate count lists Singgih's case study published
(``satisfaction_counts`` and ``intention_counts``, ``procedure = "published"``).
Optional: ``convention`` (default ``satisfied_or_delighted``), ``prior`` (Dirichlet
pseudo-count, 0.5), ``draws`` (posterior table size, 4096), ``seed`` (of the table, 0),
``uncertain`` (true: draw the survey's sampling uncertainty; false: use the point
estimate). The survey sets the no-programme arm: its mix and repurchase rates replace
``baseline_retention`` (and any baseline share), and its rates are the groups' rates
with the programme too.

``[programme]`` - the driver model: ``gap_closed`` (points of the gap the programme
closes), ``driver_coefficient`` (B of the dimension in the regression of overall
satisfaction), ``satisfaction_sd`` (sd of overall satisfaction), optional ``dimension``
(a label). Each of the three numbers can be made uncertain like a model input
(``[uncertain.gap_closed]``). The programme arm's mix is the survey mix shifted by
``B * gap_closed / sd`` standard deviations (:mod:`simulator.roq.programme_effect`);
``retention`` and ``market_share_path`` must then not be given.

The survey's posterior enters the Monte Carlo as one uncertain input,
``survey_sampling`` (uniform on [0, 1)): it picks a row of a seeded table of joint
posterior draws sorted by retention, so shares and rates are drawn together and stay
consistent, every sampler stratifies it, and sensitivity analysis reports how much of
the output's uncertainty is the survey's sampling error.
"""

from __future__ import annotations

import csv
import math
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from ..errors import RoqInputError
from ..roq import ModelInput
from ..roq.programme_effect import ARM_CONFLICTS, programme_parameters, satisfaction_shift
from ..roq.calibration import retention
from ..roq.survey_retention import (
    posterior_table,
    published_procedure_draws,
    published_procedure_retention,
    retention_crosstab,
    survey_retention,
)

__all__ = ["CHAIN_INPUTS", "SurveyChain", "read_chain", "chain_inputs", "chain_spending", "chain_portfolio"]

#: Most scenarios a spending or portfolio analysis draws.
MAXIMUM_CHAIN_SCENARIOS = 10**6

#: Inputs of the chain that are not model inputs; each can be uncertain.
CHAIN_INPUTS: dict[str, ModelInput] = {
    item.name: item
    for item in (
        ModelInput("survey_sampling", "Position in the survey's posterior (the quantile of retention it draws)", "fraction", low=0.0, high=1.0),
        ModelInput("gap_closed", "Points of the service-quality gap the programme closes", "gap points", low=0.0),
        ModelInput("driver_coefficient", "B of the dimension in the regression of overall satisfaction", "satisfaction points per gap point"),
        ModelInput("satisfaction_sd", "Standard deviation of overall satisfaction", "satisfaction points", low=0.0, low_open=True),
    )
}
_SURVEY_KEYS = ("counts", "answers", "satisfaction_counts", "intention_counts", "procedure", "convention", "prior", "draws", "seed", "uncertain", "note")
_PROGRAMME_KEYS = ("gap_closed", "driver_coefficient", "satisfaction_sd", "dimension", "note")
_MIX_NAMES = ("dissatisfied_share", "satisfied_share", "delighted_share", "repurchase_dissatisfied", "repurchase_satisfied", "repurchase_delighted")


@dataclass(frozen=True, eq=False)
class SurveyChain:
    """The survey's posterior table and point estimate, and whether a driver model sets the programme arm."""

    table: dict
    point: dict
    convention: str
    respondents: int
    programme: bool
    dimension: str = ""
    spec: tuple = ()
    sampled: bool = True  # survey_sampling is an uncertain input (the [survey] key uncertain)

    @property
    def inputs(self) -> tuple:
        """Names of the chain inputs this scenario uses."""
        return ("survey_sampling",) + (("gap_closed", "driver_coefficient", "satisfaction_sd") if self.programme else ())

    def mix(self, sampling) -> dict:
        """Shares and rates at posterior positions ``sampling`` (NaN: the point estimate)."""
        u = np.asarray(sampling, dtype=float)
        if u.ndim == 0 and not np.isfinite(u):
            return {name: self.point[name] for name in _MIX_NAMES}
        size = len(self.table["retention"])
        rows = np.clip(np.floor(np.nan_to_num(u, nan=0.5) * size).astype(np.int64), 0, size - 1)
        point = np.isnan(u)
        return {name: np.where(point, self.point[name], self.table[name][rows]) for name in _MIX_NAMES}

    def split(self, parameters: dict) -> tuple:
        """``(model inputs, survey mix, driver)`` from a scenario's raw parameters.

        The model inputs lack the chain inputs and every input that sets an arm's
        retention; ``driver`` holds ``driver_coefficient``, ``satisfaction_sd`` and
        ``gap_closed`` where the scenario has a [programme]. For analyses that set the
        programme's effect themselves (spending curves, portfolios).
        """
        params = dict(parameters)
        mix = self.mix(params.pop("survey_sampling", np.nan))
        driver = {name: params.pop(name) for name in ("gap_closed", "driver_coefficient", "satisfaction_sd") if name in params}
        params["satisfied_share_convention"] = self.convention
        model = {k: v for k, v in params.items() if k not in ARM_CONFLICTS}
        return model, mix, driver

    def apply(self, parameters: dict) -> dict:
        """Model inputs: the chain inputs replaced by both arms' satisfaction mixes."""
        params = dict(parameters)
        mix = self.mix(params.pop("survey_sampling", np.nan))
        params["satisfied_share_convention"] = self.convention
        if self.programme:
            shift = satisfaction_shift(params.pop("gap_closed"), params.pop("driver_coefficient"), params.pop("satisfaction_sd"))
            return programme_parameters(params, mix, shift)
        for name in ("baseline_retention", "baseline_market_share", "baseline_market_share_path"):
            params.pop(name, None)
        params.update(
            baseline_satisfied_share=mix["satisfied_share"], baseline_delighted_share=mix["delighted_share"],
            repurchase_dissatisfied=mix["repurchase_dissatisfied"], repurchase_satisfied=mix["repurchase_satisfied"],
            repurchase_delighted=mix["repurchase_delighted"],
        )
        return params

    def to_rows(self) -> list:
        """Rows of the [survey] / [programme] sections for a key/value range."""
        return [list(row) for row in self.spec]


def _error(source, key, problem):
    return RoqInputError(f"{source}: {key}" if source else key, problem)


def _number(value, source, key, *, whole=False, low=None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise _error(source, key, f"must be a number, got {value!r}")
    if whole and float(value) != int(value):
        raise _error(source, key, f"must be a whole number, got {value!r}")
    if low is not None and value < low:
        raise _error(source, key, f"must be >= {low:g}, got {value!r}")
    return float(value)


def read_csv_rows(path: Path, argument: str) -> list:
    """Rows of a UTF-8 CSV file (comma, semicolon or tab, detected), or RoqInputError naming ``argument``."""
    path = Path(path)
    if not path.is_file():
        raise RoqInputError(argument, f"file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise RoqInputError(argument, f"{path.name} is not a UTF-8 text (CSV) file") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(text.splitlines(), dialect=dialect))


def _read_answers(path: Path, source: str):
    key = f"{source}: survey.answers" if source else "survey.answers"
    table = read_csv_rows(path, key)
    header = [(name or "").strip().lower() for name in table[0]] if table else []
    rows = [dict(zip(header, line)) for line in table[1:]]
    if not rows or not {"satisfaction", "repurchase"} <= set(header):
        raise _error(source, "survey.answers", f"{Path(path).name} needs a header row with columns satisfaction and repurchase")
    try:
        return retention_crosstab([r.get("satisfaction") for r in rows], [r.get("repurchase") for r in rows])
    except RoqInputError as error:
        raise _error(source, f"survey.answers ({path.name})", f"{error.argument}: {error.problem}") from None


def read_chain(data: Mapping, source: str, base_dir: str | Path | None, model: Mapping):
    """Parse the [survey] and [programme] sections; return ``(chain, base_values)`` or ``(None, {})``.

    ``base_values`` holds the chain inputs' base values (``survey_sampling`` is NaN: the
    point estimate). ``model`` is the [model] table, checked for inputs the chain replaces.
    """
    survey = data.get("survey")
    programme = data.get("programme")
    if survey is None and programme is None:
        return None, {}
    if survey is None:
        raise _error(source, "programme", "needs a [survey] section: the programme shifts the survey's satisfaction mix")
    if not isinstance(survey, Mapping):
        raise _error(source, "survey", "must be a table of keys ([survey])")
    unknown = [k for k in survey if k not in _SURVEY_KEYS]
    if unknown:
        raise _error(source, f"survey.{unknown[0]}", f"is not a key of [survey]; keys are {', '.join(_SURVEY_KEYS)}")
    convention = survey.get("convention", "satisfied_or_delighted")
    prior = _number(survey.get("prior", 0.5), source, "survey.prior")
    draws = int(_number(survey.get("draws", 4096), source, "survey.draws", whole=True))
    seed = int(_number(survey.get("seed", 0), source, "survey.seed", whole=True, low=0))
    uncertain = survey.get("uncertain", True)
    if isinstance(uncertain, str) and uncertain.strip().lower() in ("true", "false"):  # a worksheet cell's text
        uncertain = uncertain.strip().lower() == "true"
    if not isinstance(uncertain, bool):
        raise _error(source, "survey.uncertain", f"must be true or false, got {uncertain!r}")
    procedure = survey.get("procedure", "published" if "satisfaction_counts" in survey else "crosstab")
    given = [k for k in ("counts", "answers", "satisfaction_counts") if k in survey]
    if len(given) != 1:
        raise _error(source, "survey", "give exactly one of counts (the 3 x 3 crosstab), answers (a CSV file) or satisfaction_counts with intention_counts")
    spec = []
    try:
        if procedure == "published":
            if "satisfaction_counts" not in survey or "intention_counts" not in survey:
                raise _error(source, "survey", "procedure = \"published\" needs satisfaction_counts and intention_counts")
            table = published_procedure_draws(survey["satisfaction_counts"], survey["intention_counts"], draws, seed=seed, prior=prior, convention=convention)
            order = np.argsort(table["retention"], kind="stable")
            table = {k: v[order] for k, v in table.items()}
            satisfaction = np.asarray(survey["satisfaction_counts"], dtype=float)
            intention = np.asarray(survey["intention_counts"], dtype=float)
            published = published_procedure_retention(satisfaction, intention / intention.sum())
            point = {k: v for k, v in published.items() if k != "retention"}
            point["dissatisfied_share"] = 1.0 - point["satisfied_share"] - point["delighted_share"]
            point["retention"] = float(retention(point["satisfied_share"], point["delighted_share"], point["repurchase_dissatisfied"],
                                                 point["repurchase_satisfied"], point["repurchase_delighted"], convention=convention))
            respondents = int(satisfaction.sum())
            spec += [["survey.procedure", "published"], ["survey.satisfaction_counts", *satisfaction.tolist()], ["survey.intention_counts", *intention.tolist()]]
        elif procedure == "crosstab":
            if "answers" in survey:
                path = Path(str(survey["answers"]))
                if not path.is_absolute() and base_dir is not None:
                    path = Path(base_dir) / path
                counts = _read_answers(path, source)
            else:
                counts = survey["counts"]
            estimate = survey_retention(counts, convention=convention, prior=prior, draws=max(draws, 100), seed=seed)
            table = posterior_table(counts, draws=draws, seed=seed, prior=prior, convention=convention)
            point = dict(estimate.point)
            respondents = estimate.respondents
            spec += [["survey.counts", *row] for row in estimate.counts.tolist()]
        else:
            raise _error(source, "survey.procedure", f"must be crosstab or published, got {procedure!r}")
    except RoqInputError as error:
        if error.argument.startswith(source) and source:
            raise
        raise _error(source, f"survey.{error.argument}" if not error.argument.startswith("survey") else error.argument, error.problem) from None
    spec += [["survey.convention", convention], ["survey.prior", prior], ["survey.draws", draws], ["survey.seed", seed], ["survey.uncertain", uncertain]]
    replaced = [k for k in ("baseline_retention", "baseline_market_share", "baseline_market_share_path", "baseline_satisfied_share", "baseline_delighted_share") if k in model]
    if replaced:
        raise _error(source, f"model.{replaced[0]}", "is set by the [survey] section (the no-programme arm comes from the survey); remove it")
    base = {"survey_sampling": float("nan")}
    has_programme = programme is not None
    dimension = ""
    if has_programme:
        if not isinstance(programme, Mapping):
            raise _error(source, "programme", "must be a table of keys ([programme])")
        unknown = [k for k in programme if k not in _PROGRAMME_KEYS]
        if unknown:
            raise _error(source, f"programme.{unknown[0]}", f"is not a key of [programme]; keys are {', '.join(_PROGRAMME_KEYS)}")
        for name in ("gap_closed", "driver_coefficient", "satisfaction_sd"):
            if name in programme:
                value = _number(programme[name], source, f"programme.{name}")
                try:
                    CHAIN_INPUTS[name].check(np.asarray([value]))
                except RoqInputError as error:
                    raise _error(source, f"programme.{name}", error.problem) from None
                base[name] = value
                spec.append([f"programme.{name}", value])
        dimension = str(programme.get("dimension", ""))
        if dimension:
            spec.append(["programme.dimension", dimension])
        conflicting = [k for k in ARM_CONFLICTS if k in model]
        if conflicting:
            raise _error(source, f"model.{conflicting[0]}", "is set by the [programme] section (the programme arm comes from the shifted survey mix); remove it")
    chain = SurveyChain(table, point, convention, respondents, has_programme, dimension, tuple(tuple(r) for r in spec), uncertain)
    return chain, base


def chain_inputs(scenario, samples: int, seed: int | None = None) -> tuple:
    """``(model inputs, survey mix, driver)`` of ``samples`` draws of a scenario with [survey] and [programme]."""
    if scenario.chain is None or not scenario.chain.programme:
        raise RoqInputError(scenario.source or "scenario", "needs [survey] and [programme] sections (the driver model); see simulator/data/survey_chain_scenario.toml")
    samples = int(samples)
    if not 1 <= samples <= MAXIMUM_CHAIN_SCENARIOS:
        raise RoqInputError("samples", f"must be from 1 to {MAXIMUM_CHAIN_SCENARIOS:,} scenarios, got {samples:,}")
    raw = scenario.draw(0, samples, seed=seed, samples=samples, raw=True)
    return scenario.chain.split(raw)


def _triangular(values, size: int, rng) -> np.ndarray:
    low, mode, high = (float(v) for v in values)
    if not 0 <= low <= mode <= high:
        raise RoqInputError("triangular", f"needs 0 <= min <= mode <= max, got {low:g}, {mode:g}, {high:g}")
    return rng.triangular(low, mode, high, size) if high > low else np.full(size, mode)


def chain_spending(scenario, *, spend_max: float, max_effect=(0.5, 0.74, 1.0), half_spend=(2e7, 4e7, 8e7),
                   initial_cost: float = 0.0, samples: int = 20_000, seed: int | None = None, points: int = 51):
    """Spending analysis of a chain scenario with a saturating response of uncertain size and speed.

    ``max_effect`` (gap points closed with unlimited spend) and ``half_spend`` (annual
    spend that buys half of it) are triangular (min, mode, max); the driver model and
    everything else come from the scenario. See :func:`simulator.roq.spending.spending_analysis`.
    """
    from ..roq.spending import spending_analysis

    model, mix, driver = chain_inputs(scenario, samples, seed)
    rng = np.random.default_rng(np.random.SeedSequence([scenario.run.seed if seed is None else int(seed), 14]))
    try:
        effect = _triangular(max_effect, samples, rng)
    except RoqInputError as error:
        raise RoqInputError("max_effect", error.problem) from None
    try:
        half = _triangular(half_spend, samples, rng)
    except RoqInputError as error:
        raise RoqInputError("half_spend", error.problem) from None
    if np.any(half <= 0):
        raise RoqInputError("half_spend", "must be > 0 (the annual spend that buys half the maximum effect)")
    model.pop("annual_cost", None)
    model["initial_cost"] = float(initial_cost)
    return spending_analysis(model, mix, driver_coefficient=driver["driver_coefficient"], satisfaction_sd=driver["satisfaction_sd"],
                             spend_max=spend_max, max_effect=effect, rate=np.log(2.0) / half, points=points,
                             currency=scenario.currency or "Rp")


def chain_portfolio(scenario, programme_rows=None, *, samples: int = 20_000, seed: int | None = None):
    """A :class:`~simulator.roq.portfolio.PortfolioProblem` on a chain scenario's draws.

    ``programme_rows`` is a table with a header row (see
    :func:`simulator.roq.portfolio.programmes_from_rows`); None: Singgih's seven programmes
    with the example's assumed gaps and drivers, the scenario's own driver coefficient
    replacing the example's for its [programme] dimension.
    """
    from ..roq.portfolio import SINGGIH_EXAMPLE_DRIVERS, PortfolioProblem, programmes_from_rows, singgih_programmes

    model, mix, driver = chain_inputs(scenario, samples, seed)
    seed = scenario.run.seed if seed is None else int(seed)
    if programme_rows is not None:
        programmes, gaps, coefficients = programmes_from_rows(programme_rows, scenarios=samples, seed=seed)
    else:
        programmes = singgih_programmes(samples, seed=seed)
        gaps, coefficients = dict(SINGGIH_EXAMPLE_DRIVERS["gaps"]), dict(SINGGIH_EXAMPLE_DRIVERS["driver_coefficients"])
        if scenario.chain.dimension and "driver_coefficient" in driver:
            coefficients[scenario.chain.dimension] = driver["driver_coefficient"]
    return PortfolioProblem(programmes, model, mix, gaps=gaps, driver_coefficients=coefficients, satisfaction_sd=driver["satisfaction_sd"])
