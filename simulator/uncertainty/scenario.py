"""Scenarios: base values for the ROQ model, uncertain inputs, correlations, outputs, run settings.

A scenario is what a finance user writes by hand in a TOML file (or in a two-column range
of a workbook, see :func:`scenario_from_rows`)::

    [scenario]
    name = "Singgih's case, recursion"

    [model]                      # base value of every model input (simulator.roq.MODEL_INPUTS)
    horizon = 5
    market_size = 250760
    market_growth = 0.07         # or market_growth_path = [...] / market_size_path = [...]
    churn = 0.095
    competitor_switching = 0.0019    # or competitor_retention = 0.9031
    ...

    [uncertain.market_growth]    # replaces the base value by draws from a distribution
    distribution = "pert"
    min = 0.05
    mode = 0.07
    max = 0.144

    [[correlation]]              # optional Spearman rank correlations (Iman-Conover)
    between = ["market_growth", "margin"]
    rank_correlation = 0.3

    [outputs]
    names = ["roq", "npv_gain", "final_market_share"]

    [run]
    samples = 262144
    seed = 1995
    sampler = "random"           # random | lhs | sobol

Everything is checked before anything runs (:func:`load_scenario`): unknown sections and
keys (with the closest known name), missing model inputs, invalid distribution parameters,
distributions whose support leaves the input's domain (churn must stay below 1, a normal
discount rate could fall below -100%), correlation matrices that are not valid, and the
model's consistency conditions at every corner of the uncertain inputs' ranges (retention
and competitors' retention at most 1 - churn, market growth + churn >= 0, satisfied +
delighted shares at most 1). Errors are :class:`~simulator.errors.RoqInputError` with the
file, the key and the reason: ``"scenario.toml: uncertain.churn.max: must be < 1
(fraction per year), got 1.2"``.

``competitor_switching`` (a model input, see :data:`simulator.roq.MODEL_INPUTS`) is the
share of competitors' customers who switch to the firm each year, s = 1 - R' - c. Singgih's case
calibrates R' from that flow (452 switchers), so when churn is uncertain, giving s keeps
R' = 1 - c - s consistent: it can never exceed 1 - c. Give either it or
``competitor_retention``.
"""

from __future__ import annotations

import itertools
import math
import numbers
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .._validate import _describe, compact
from ..errors import RoqInputError
from ..roq import MODEL_INPUTS, MODEL_OUTPUTS, ModelInput, evaluate
from . import samplers
from .correlation import check_correlation_matrix, correlation_from_pairs, iman_conover
from .distributions import Distribution, closest, distribution_from_spec
from .survey_chain import CHAIN_INPUTS, read_chain

__all__ = [
    "Scenario",
    "RunSettings",
    "load_scenario",
    "builtin_scenario",
    "scenario_from_dict",
    "scenario_from_rows",
    "BUILTIN_SCENARIO_FILE",
    "DEFAULT_OUTPUTS",
    "SCENARIO_INPUTS",
]

#: The built-in scenario (Singgih's case through the market-share recursion), in ``simulator/data``.
BUILTIN_SCENARIO_FILE = "seed001_scenario.toml"
#: Outputs summarised when a scenario names none.
DEFAULT_OUTPUTS = ("roq", "npv_gain", "final_market_share")
#: Feasibility thresholds: P(output > threshold) is reported for these outputs.
THRESHOLDS = {"roq": 1.0, "roq_net": 0.0, "npv_net": 0.0}

SCENARIO_INPUTS: dict[str, ModelInput] = MODEL_INPUTS
_SECTIONS = ("scenario", "model", "uncertain", "correlation", "outputs", "run", "survey", "programme")
_SCENARIO_KEYS = ("name", "description", "currency", "note")
_RUN_KEYS = ("samples", "seed", "sampler", "chunk_size")
_OUTPUT_KEYS = ("names",)
# inputs in the model's consistency conditions: checked at every corner of their ranges
_CONSISTENCY_INPUTS = (
    "churn", "competitor_retention", "competitor_switching", "retention", "baseline_retention", "market_growth",
    "satisfied_share", "delighted_share", "repurchase_dissatisfied", "repurchase_satisfied", "repurchase_delighted",
    "baseline_satisfied_share", "baseline_delighted_share", "initial_cost", "annual_cost",
)


@dataclass(frozen=True)
class RunSettings:
    """How a Monte Carlo run is done: sample count, seed, sampler, scenarios per model call."""

    samples: int = 2**18
    seed: int = 1995
    sampler: str = "random"
    chunk_size: int | None = None


@dataclass(eq=False)
class Scenario:
    """A validated scenario: build with :func:`load_scenario` or :func:`scenario_from_dict`.

    Attributes
    ----------
    name, description, currency : str
    source : str
        Where it came from (a file name; used in messages).
    base : dict
        Base value of every input given in [model] (floats; ndarrays for ``*_path``
        inputs; ``satisfied_share_convention`` as text), plus, for uncertain inputs
        without one, the distribution's median.
    uncertain : dict of str to Distribution
        Uncertain inputs in file order (the order of sample columns).
    correlation : ndarray or None
        Spearman target over ``correlated`` inputs.
    correlated : tuple of str
    outputs : tuple of str
        Outputs summarised by a Monte Carlo run.
    run : RunSettings
    base_from_median : tuple of str
        Uncertain inputs whose base value is their median (no value in [model]).
    """

    name: str
    source: str
    base: dict
    uncertain: dict
    outputs: tuple
    run: RunSettings
    correlation: np.ndarray | None = None
    correlated: tuple = ()
    description: str = ""
    currency: str = ""
    base_from_median: tuple = ()
    notes: dict = field(default_factory=dict)
    chain: object = None  # a survey_chain.SurveyChain when the file has [survey] / [programme]

    # --- parameters for the model --------------------------------------------------------
    def parameters(self, values: Mapping[str, object] | None = None, *, raw: bool = False) -> dict:
        """Inputs for :func:`simulator.roq.evaluate`: base values overridden by ``values``.

        With a [survey] / [programme] chain the chain's inputs become model inputs here,
        unless ``raw`` (then they are returned as they are, see ``SurveyChain.split``).
        """
        params = dict(self.base)
        if values:
            known = self.input_specs
            unknown = [name for name in values if name not in known]
            if unknown:
                raise RoqInputError(unknown[0], f"is not a scenario input{closest(unknown[0], known)}")
            params.update(values)
        return self.chain.apply(params) if self.chain is not None and not raw else params

    @property
    def input_specs(self) -> dict:
        """Every input name this scenario takes, with its unit and domain (model and chain inputs)."""
        if self.chain is None:
            return SCENARIO_INPUTS
        return {**SCENARIO_INPUTS, **{name: CHAIN_INPUTS[name] for name in self.chain.inputs}}

    def evaluate_base(self, outputs: Sequence[str] | None = None) -> dict:
        """The deterministic model at the base values (validated)."""
        return evaluate(self.parameters(), tuple(outputs or self.outputs))

    @property
    def uncertain_names(self) -> tuple:
        return tuple(self.uncertain)

    def uniform_block(self, block_index: int, length: int, seed: int, sampler: str, *, out: np.ndarray | None = None) -> np.ndarray:
        """Uniforms of one block, correlated by Iman-Conover if the scenario has correlations
        (``out``: a buffer the random sampler may fill, see :func:`~.samplers.uniform_block`)."""
        u = samplers.uniform_block(sampler, seed, block_index, len(self.uncertain), length, out=out)
        if self.correlation is not None and length > len(self.correlated):
            columns = [self.uncertain_names.index(name) for name in self.correlated]
            rng = samplers.block_generator(seed, block_index, samplers.CORRELATION_STREAM)
            u[:, columns] = iman_conover(u[:, columns], self.correlation, rng)
        return u

    def block_inputs(self, block_index: int, length: int, seed: int, sampler: str) -> dict:
        """Sampled values of the uncertain inputs for one block: name -> array of ``length``."""
        u = self.uniform_block(block_index, length, seed, sampler)
        return {name: distribution.ppf(u[:, j]) for j, (name, distribution) in enumerate(self.uncertain.items())}

    def draw(self, start: int, stop: int, *, seed: int | None = None, sampler: str | None = None, samples: int | None = None,
             raw: bool = False) -> dict:
        """Inputs for :func:`~simulator.roq.evaluate` for scenarios ``[start, stop)`` of a run.

        Parameters
        ----------
        start, stop : int
            Scenario positions in the run (0-based, stop exclusive).
        seed, sampler : optional
            Default to the scenario's [run] settings.
        samples : int, optional
            Size of the whole run (sets the length of its last block; default ``stop``).
            Scenario i of a run is the same numbers however the run is chunked.

        Returns
        -------
        dict
            Base values with every uncertain input replaced by an array of
            ``stop - start`` draws.
        """
        seed = self.run.seed if seed is None else samplers.check_seed(seed)
        sampler = samplers.check_sampler(self.run.sampler if sampler is None else sampler)
        samples = stop if samples is None else int(samples)
        if not 0 <= start <= stop <= samples:
            raise RoqInputError("stop", f"scenarios [{start}, {stop}) are not within a run of {samples}")
        pieces = {name: [] for name in self.uncertain}
        for block, first, last in samplers.blocks_in_range(start, stop):
            drawn = self.block_inputs(block, samplers.block_length(block, samples), seed, sampler)
            for name, values in drawn.items():
                pieces[name].append(values[first:last])
        sampled = {name: (np.concatenate(parts) if parts else np.empty(0)) for name, parts in pieces.items()}
        return self.parameters(sampled, raw=raw)

    def model_function(self, output: str = "roq", *, kernel: str | None = None, evaluations: int | None = None):
        """The model as ``f(inputs) -> 1-D array`` for sensitivity analysis.

        ``inputs`` maps uncertain-input names (any subset; the rest stay at base) to
        equal-length arrays; the function returns ``output`` per row. Evaluated without
        re-validation: the scenario's distributions were checked against the model's
        domains and consistency conditions when it was loaded. ``kernel`` ("auto",
        "numba", "numpy") and ``evaluations`` (the rows a run will evaluate) choose the
        compiled kernel as :func:`~.block_kernel.model_function` says.
        """
        if output not in MODEL_OUTPUTS or "_path" in output:
            raise RoqInputError("output", f"must be one of {', '.join(n for n in MODEL_OUTPUTS if '_path' not in n)}, got {output!r}{closest(str(output), MODEL_OUTPUTS)}")
        from . import block_kernel

        compiled = block_kernel.model_function(self, output, kernel, evaluations)
        if compiled is not None:
            return compiled

        def model(inputs: Mapping[str, np.ndarray]) -> np.ndarray:
            params = self.parameters({name: np.asarray(values, dtype=float) for name, values in inputs.items()})
            length = max((np.size(v) for v in inputs.values()), default=1)
            return np.broadcast_to(np.asarray(evaluate(params, (output,), validate=False)[output], dtype=float), (length,)).reshape(-1)

        model.__name__ = f"{self.name or 'scenario'}:{output}"
        return model

    def describe_frame(self):
        """One row per input: role (fixed/uncertain), base value, distribution, mean, sd, support, unit, note."""
        import pandas as pd

        rows = []
        for name, value in self.base.items():
            spec = self.input_specs.get(name)
            distribution = self.uncertain.get(name)
            if isinstance(value, np.ndarray):
                shown = ", ".join(f"{v:g}" for v in value)
            else:
                shown = value
            row = {
                "input": name,
                "role": "uncertain" if distribution is not None else "fixed",
                "base": shown,
                "distribution": distribution.describe() if distribution is not None else "",
                "mean": distribution.mean if distribution is not None else np.nan,
                "sd": distribution.std if distribution is not None else np.nan,
                "low": distribution.support[0] if distribution is not None else np.nan,
                "high": distribution.support[1] if distribution is not None else np.nan,
                "unit": spec.unit if spec else "",
                "note": (distribution.note if distribution is not None else "") or self.notes.get(name, ""),
            }
            if name in self.base_from_median:
                row["note"] = ("base = median of the distribution. " + row["note"]).strip()
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Readable description of the scenario."""
        lines = [f"Scenario: {self.name}" + (f" ({self.source})" if self.source else "")]
        if self.description:
            lines.append(self.description)
        lines.append("")
        width = max(len(n) for n in self.base) + 2
        for name, value in self.base.items():
            if name in self.uncertain:
                lines.append(f"  {name:<{width}}{self.uncertain[name].describe()}   (mean {self.uncertain[name].mean:.4g})")
            elif isinstance(value, np.ndarray):
                lines.append(f"  {name:<{width}}[" + ", ".join(f"{v:g}" for v in value) + "]")
            else:
                lines.append(f"  {name:<{width}}{value if isinstance(value, str) else format(value, 'g')}")
        if self.correlation is not None:
            pairs = [f"{a}~{b} {self.correlation[i, j]:+.2f}" for (i, a), (j, b) in itertools.combinations(enumerate(self.correlated), 2) if self.correlation[i, j] != 0]
            lines.append("  rank correlations: " + ", ".join(pairs))
        return "\n".join(lines)

    def content_hash(self) -> str:
        """SHA-256 (hex) of the scenario's canonical content: the key/value table of
        :meth:`to_rows` as JSON (floats in repr form), so two files that differ only in
        comments, layout or key order hash the same, and any changed value does not."""
        import hashlib
        import json

        def plain(value):
            if isinstance(value, (np.floating, float)):
                return repr(float(value))
            if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
                return repr(float(value))
            return value

        canonical = json.dumps([[plain(v) for v in row] for row in self.to_rows()], separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_rows(self) -> list[list]:
        """The scenario as a key/value table (the layout :func:`scenario_from_rows` reads).

        Rows are padded with ``None`` to a rectangle, so the table can be written to a
        worksheet range as it is; ``scenario_from_rows(s.to_rows())`` rebuilds ``s``.
        """
        rows: list[list] = [["key", "value"]]
        rows += [[f"scenario.{key}", value] for key, value in (("name", self.name), ("description", self.description), ("currency", self.currency)) if value]
        chain_inputs = self.chain.inputs if self.chain is not None else ()
        for name, value in self.base.items():
            if name in self.base_from_median or name in chain_inputs:
                continue
            rows.append([f"model.{name}"] + (value.tolist() if isinstance(value, np.ndarray) else [value]))
        if self.chain is not None:
            rows += self.chain.to_rows()
        for name, distribution in self.uncertain.items():
            if name == "survey_sampling":
                continue
            for key, value in distribution.to_spec().items():
                rows.append([f"uncertain.{name}.{key}"] + (list(value) if isinstance(value, (list, tuple)) else [value]))
        if self.correlation is not None:
            rows.append(["correlation.inputs", *self.correlated])
            rows += [["correlation.matrix", *(float(v) for v in line)] for line in self.correlation]
        rows.append(["outputs.names", *self.outputs])
        rows += [["run.samples", self.run.samples], ["run.seed", self.run.seed], ["run.sampler", self.run.sampler]]
        if self.run.chunk_size:
            rows.append(["run.chunk_size", self.run.chunk_size])
        width = max(len(r) for r in rows)
        return [r + [None] * (width - len(r)) for r in rows]

    def sensitivity(self, method: str = "sobol", *, samples: int, seed: int | None = None, output: str = "roq", kernel: str | None = None, **options):
        """Global sensitivity of ``output`` to the uncertain inputs (SALib, via
        :func:`simulator.uncertainty.sensitivity.run_sensitivity`).

        Sobol', Morris and eFAST sample the inputs independently (the scenario's rank
        correlations, if any, are ignored and a note says so); delta and PAWN analyse
        ``samples`` Iman-Conover draws that carry the correlations. ``kernel``: the
        model's path (see :meth:`model_function`; auto counts ``samples`` x (D + 2) rows).
        """
        from dataclasses import replace as replace_fields

        from .sensitivity import run_sensitivity

        if not self.uncertain:
            raise RoqInputError(self.source or "scenario", "has no uncertain inputs to analyse")
        seed = self.run.seed if seed is None else samplers.check_seed(seed)
        notes = []
        input_samples = None
        if self.correlation is not None:
            if method in ("delta", "pawn"):
                samples = samplers.check_samples(samples)
                drawn = self.draw(0, samples, seed=seed, sampler="random", samples=samples)
                input_samples = {name: drawn[name] for name in self.uncertain}
                notes.append(f"{method} used {samples:,} Iman-Conover draws with the scenario's rank correlations.")
            else:
                notes.append(f"{method} assumes independent inputs: the scenario's rank correlations between {', '.join(self.correlated)} are ignored (use delta or pawn).")
        evaluations = int(samples) * (len(self.uncertain) + 2) if isinstance(samples, (int, np.integer)) else None
        result = run_sensitivity(self.model_function(output, kernel=kernel, evaluations=evaluations), self.uncertain, method, samples=None if input_samples is not None else samples,
                                 seed=seed, output_name=output, input_samples=input_samples, **options)
        return replace_fields(result, notes=tuple(notes) + tuple(result.notes)) if notes else result

    def with_run(self, **changes) -> "Scenario":
        """A copy with some run settings changed (None values are ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if "samples" in changes:
            changes["samples"] = samplers.check_samples(changes["samples"])
        if "seed" in changes:
            changes["seed"] = samplers.check_seed(changes["seed"])
        if "sampler" in changes:
            changes["sampler"] = samplers.check_sampler(changes["sampler"])
        return replace(self, run=replace(self.run, **changes))


# --- loading ----------------------------------------------------------------------------


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario TOML file; ``None`` gives the built-in scenario (Singgih's case).

    Raises
    ------
    RoqInputError
        ``"<file>: <key>: <reason>"`` on a missing file, malformed TOML (with its line) or
        any invalid content (see the module docstring).
    """
    if path is None:
        return builtin_scenario()
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # a byte-order mark (Notepad's "UTF-8 with BOM") is fine
    except FileNotFoundError:
        raise RoqInputError(str(path), "no such scenario file") from None
    except IsADirectoryError:
        raise RoqInputError(str(path), "is a directory, not a scenario file") from None
    except UnicodeDecodeError:
        raise RoqInputError(str(path), "is not a UTF-8 text (TOML) file") from None
    return scenario_from_toml(text, source=str(path), base_dir=path.parent)


#: Workbook files a scenario range can be read from.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def scenario_from_workbook(path: str | Path, cell_range: str, *, argument: str = "--range") -> Scenario:
    """Read a scenario from a two-column key/value range of a workbook (saved values).

    Parameters
    ----------
    path : str or Path
        An ``.xlsx`` or ``.xlsm`` file (read with openpyxl; formulas give the values
        Excel last saved).
    cell_range : str
        ``Sheet!A1:B40`` (quote sheet names with spaces: ``'My sheet'!A1:C40``); the
        layout of :func:`scenario_from_rows` (key in the first column, values to its
        right).
    argument : str
        Name used in error messages.

    Returns
    -------
    Scenario
        With ``source`` ``"book.xlsx!Sheet!A1:B40"``.
    """
    import re

    path = Path(path)
    match = re.fullmatch(r"\s*(?:'((?:[^']|'')+)'|([^!']+))!\$?([A-Za-z]{1,3})\$?(\d+):\$?([A-Za-z]{1,3})\$?(\d+)\s*", cell_range or "")
    if not match:
        raise RoqInputError(argument, f"expected Sheet!A1:B40 (a sheet name and a cell range), got {cell_range!r}")
    sheet_name = (match.group(1) or "").replace("''", "'") or match.group(2).strip()
    first, last = f"{match.group(3)}{match.group(4)}".upper(), f"{match.group(5)}{match.group(6)}".upper()
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise RoqInputError(str(path), f"--range reads a workbook ({', '.join(WORKBOOK_SUFFIXES)}), not a {path.suffix or 'suffix-less'} file")
    if not path.is_file():
        raise RoqInputError(str(path), "no such workbook")
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # a damaged or non-workbook file: one line, no traceback
        raise RoqInputError(str(path), f"cannot be read as a workbook ({type(error).__name__}: {error})") from None
    try:
        if sheet_name not in book.sheetnames:
            from .distributions import closest

            raise RoqInputError(argument, f"no sheet {sheet_name!r} in {path.name} (sheets: {', '.join(book.sheetnames)}){closest(sheet_name, book.sheetnames)}")
        rows = [list(row) for row in book[sheet_name].iter_rows(min_row=int(match.group(4)), max_row=int(match.group(6)),
                                                                min_col=openpyxl.utils.column_index_from_string(match.group(3).upper()),
                                                                max_col=openpyxl.utils.column_index_from_string(match.group(5).upper()), values_only=True)]
    finally:
        book.close()
    if not rows or len(rows[0]) < 2:
        raise RoqInputError(argument, f"{cell_range} must be at least two columns wide (key, value)")
    return scenario_from_rows(rows, source=f"{path.name}!{sheet_name}!{first}:{last}")


def builtin_scenario() -> Scenario:
    """Singgih's case through the market-share recursion, with uncertain growth, churn, margin, discount rate.

    See the comments in ``simulator/data/seed001_scenario.toml`` for every value's source
    and the calibration of retention with the programme.
    """
    text = resources.files("simulator").joinpath("data", BUILTIN_SCENARIO_FILE).read_text(encoding="utf-8")
    return scenario_from_toml(text, source=f"{BUILTIN_SCENARIO_FILE} (built-in)", base_dir=None)


def scenario_from_toml(text: str, source: str = "scenario.toml", base_dir: str | Path | None = None) -> Scenario:
    """Parse TOML text and validate it as a scenario (malformed TOML -> one-line error with the line)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = "end of file"
        if "(at line" in message:
            message, _, position = message.partition(" (at ")
            where = position.rstrip(")")
        elif "(at end of document)" in message:
            message = message.replace(" (at end of document)", "")
        raise RoqInputError(f"{source}: {where}", f"malformed TOML: {message[0].lower() + message[1:]}") from None
    return scenario_from_dict(data, source=source, base_dir=base_dir)


def _key_error(source: str, key: str, problem: str) -> RoqInputError:
    return RoqInputError(f"{source}: {key}" if source else key, problem)


def _check_table(value, source, key) -> Mapping:
    if not isinstance(value, Mapping):
        raise _key_error(source, key, f"must be a table ([{key}] with key = value lines), got {type(value).__name__}")
    return value


def _check_keys(table: Mapping, allowed, source: str, prefix: str, what: str):
    for key in table:
        if key not in allowed:
            raise _key_error(source, f"{prefix}.{key}" if prefix else key, f"is not a known {what}{closest(key, allowed)}; known: {', '.join(allowed)}")


def _text(value, source, key) -> str:
    if not isinstance(value, str):
        raise _key_error(source, key, f"must be text in quotes, got {value!r}")
    return value


def _model_value(name: str, value, source: str):
    key = f"model.{name}"
    if name == "satisfied_share_convention":
        return _text(value, source, key)
    spec = SCENARIO_INPUTS[name]
    if name == "horizon":
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or float(value) != int(value) or value < 1:
            raise _key_error(source, key, f"must be a whole number of years >= 1, got {value!r}")
        return int(value)
    if spec.per_year:
        if not isinstance(value, list) or not value:
            raise _key_error(source, key, f"is a per-year input: give a list with one value per year, e.g. [0.07, 0.08, ...], got {value!r}")
        items = value
    else:
        if isinstance(value, list):
            raise _key_error(source, key, f"takes one number ({spec.unit}), got a list; per-year inputs end in _path")
        items = [value]
    for position, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, numbers.Real) or not math.isfinite(float(item)):
            where = f" (year {position + 1})" if spec.per_year else ""
            raise _key_error(source, key, f"must be a number{where}, got {item!r}")
    array = np.asarray(items, dtype=float)
    try:
        spec.check(array)
    except RoqInputError as error:
        raise _key_error(source, key, error.problem) from None
    return array if spec.per_year else float(array[0])


def _check_support(name: str, distribution: Distribution, source: str, specs: Mapping = SCENARIO_INPUTS):
    """The distribution must stay inside the input's domain."""
    spec = specs[name]
    low, high = distribution.support
    where = f"uncertain.{name}"
    if spec.low is not None:
        reaches = low < spec.low or (low == spec.low and spec.low_open and not distribution.support_open[0])
        if reaches:
            sign = ">" if spec.low_open else ">="
            key = distribution.bound_keys[0]
            if math.isinf(low):
                raise _key_error(source, f"{where}.{key}", f"a {distribution.family} distribution is unbounded below, but {name} must be {sign} {spec.low:g} ({spec.unit}); use truncnormal with min/max or a bounded family (uniform, triangular, pert, beta)")
            raise _key_error(source, f"{where}.{key}", f"must be {sign} {spec.low:g} ({spec.unit}), got {low:g}")
    if spec.high is not None:
        reaches = high > spec.high or (high == spec.high and spec.high_open and not distribution.support_open[1])
        if reaches:
            sign = "<" if spec.high_open else "<="
            key = distribution.bound_keys[1]
            if math.isinf(high):
                raise _key_error(source, f"{where}.{key}", f"a {distribution.family} distribution is unbounded above, but {name} must be {sign} {spec.high:g} ({spec.unit}); use truncnormal with min/max or a bounded family (uniform, triangular, pert, beta)")
            raise _key_error(source, f"{where}.{key}", f"must be {sign} {spec.high:g} ({spec.unit}), got {high:g}")


def scenario_from_dict(data: Mapping, source: str = "scenario", base_dir: str | Path | None = None) -> Scenario:
    """Validate a scenario given as nested dicts (the parsed TOML) and build it.

    Parameters
    ----------
    data : mapping
        Sections ``scenario``, ``model``, ``uncertain``, ``correlation``, ``outputs``,
        ``run`` (see the module docstring).
    source : str
        Name used at the start of error messages (the file name).
    base_dir : path, optional
        Directory for relative data-file paths of ``discrete`` distributions.

    Returns
    -------
    Scenario

    Raises
    ------
    RoqInputError
        ``"<source>: <section>.<key>: <reason>"`` for the first problem found.
    """
    data = _check_table(data, source, "scenario")
    _check_keys(data, _SECTIONS, source, "", "section")
    meta = _check_table(data.get("scenario", {}), source, "scenario")
    _check_keys(meta, _SCENARIO_KEYS, source, "scenario", "key of [scenario]")
    info = {key: _text(meta[key], source, f"scenario.{key}") for key in _SCENARIO_KEYS if key in meta}

    model = _check_table(data.get("model", {}), source, "model")
    allowed_model = list(SCENARIO_INPUTS) + ["satisfied_share_convention"]
    _check_keys(model, allowed_model, source, "model", "model input")
    if "competitor_switching" in model and "competitor_retention" in model:
        raise _key_error(source, "model.competitor_switching", "conflicts with competitor_retention: give one (R' = 1 - churn - competitor_switching)")
    base = {name: _model_value(name, value, source) for name, value in model.items()}
    chain, chain_base = read_chain(data, source, base_dir, model)
    specs = SCENARIO_INPUTS if chain is None else {**SCENARIO_INPUTS, **{n: CHAIN_INPUTS[n] for n in chain.inputs}}
    base.update(chain_base)

    uncertain_table = _check_table(data.get("uncertain", {}), source, "uncertain")
    uncertain: dict[str, Distribution] = {}
    if chain is not None and "survey_sampling" in chain.inputs and chain.sampled:
        # the survey's sampling uncertainty: one uniform input indexing the posterior table
        uncertain["survey_sampling"] = distribution_from_spec({"distribution": "uniform", "min": 0.0, "max": 1.0}, where="survey")
    for name, spec in uncertain_table.items():
        key = f"uncertain.{name}"
        if name == "survey_sampling":
            raise _key_error(source, key, "is set by [survey] (uncertain = true or false), not by a distribution")
        if name not in specs:
            raise _key_error(source, key, f"is not a model input{closest(name, specs)}")
        if name == "horizon" or specs[name].per_year:
            hint = "; make market_growth uncertain (one growth rate for all years) instead" if name.startswith("market_") else ""
            raise _key_error(source, key, f"cannot be uncertain: only single-number inputs can be sampled{hint}")
        if name == "competitor_retention" and "competitor_switching" in model or name == "competitor_switching" and "competitor_retention" in model:
            raise _key_error(source, key, "conflicts with the other of competitor_retention/competitor_switching in [model]")
        distribution = distribution_from_spec(spec, where=f"{source}: {key}" if source else key, base_dir=base_dir)
        _check_support(name, distribution, source, specs)
        uncertain[name] = distribution
    if "competitor_switching" in uncertain and "competitor_retention" in uncertain:
        raise _key_error(source, "uncertain.competitor_switching", "conflicts with uncertain.competitor_retention: give one")
    from_median = []
    for name, distribution in uncertain.items():
        if name not in base:
            base[name] = distribution.median
            from_median.append(name)
    missing = [name for name in (chain.inputs if chain is not None else ()) if name not in base]
    if missing:
        raise _key_error(source, f"programme.{missing[0]}", "is required: give a number in [programme] or a distribution in [uncertain." + missing[0] + "]")

    correlation, correlated = _read_correlation(data.get("correlation"), list(uncertain), source)

    outputs_table = _check_table(data.get("outputs", {}), source, "outputs")
    _check_keys(outputs_table, _OUTPUT_KEYS, source, "outputs", "key of [outputs]")
    outputs = tuple(outputs_table.get("names", DEFAULT_OUTPUTS))
    if not outputs or isinstance(outputs_table.get("names"), str):
        raise _key_error(source, "outputs.names", "must be a list of output names, e.g. [\"roq\", \"npv_gain\"]")
    scalar_outputs = [n for n in MODEL_OUTPUTS if "_path" not in n]
    for name in outputs:
        if name not in scalar_outputs:
            raise _key_error(source, "outputs.names", f"unknown output {name!r}{closest(str(name), scalar_outputs)}; choose from {', '.join(scalar_outputs)}")
    if len(set(outputs)) != len(outputs):
        raise _key_error(source, "outputs.names", "names an output twice")

    run = _read_run(data.get("run", {}), source)
    scenario = Scenario(
        name=info.get("name", Path(source.split(" ")[0]).stem if source else "scenario"),
        source=source,
        base=base,
        uncertain=uncertain,
        outputs=outputs,
        run=run,
        correlation=correlation,
        correlated=correlated,
        description=info.get("description", ""),
        currency=info.get("currency", ""),
        base_from_median=tuple(from_median),
        chain=chain,
    )
    _check_model(scenario, source)
    return scenario


def _read_correlation(raw, names: list, source: str):
    if raw is None:
        return None, ()
    where = f"{source}: correlation" if source else "correlation"
    if isinstance(raw, list):
        if not raw:
            return None, ()
        matrix = correlation_from_pairs(raw, names, where=where)
        used = sorted({names.index(n) for pair in raw for n in pair["between"]})
        correlated = tuple(names[i] for i in used)
        matrix = matrix[np.ix_(used, used)]
    elif isinstance(raw, Mapping):
        _check_keys(raw, ("inputs", "matrix", "note"), source, "correlation", "key of [correlation] (use inputs and matrix, or [[correlation]] pairs)")
        if "inputs" not in raw or "matrix" not in raw:
            raise _key_error(source, "correlation", "needs inputs = [...] and matrix = [[...], ...], or [[correlation]] entries with between and rank_correlation")
        if not isinstance(raw["inputs"], list):
            raise _key_error(source, "correlation.inputs", f"must be a list of uncertain-input names, got {raw['inputs']!r}")
        correlated = tuple(raw["inputs"])
        matrix = raw["matrix"]
    else:
        raise _key_error(source, "correlation", "must be [[correlation]] entries (between, rank_correlation) or a table with inputs and matrix")
    matrix = check_correlation_matrix(matrix, correlated, where=where, allowed=names)
    if len(correlated) < 2 or np.allclose(matrix, np.eye(len(correlated))):
        return None, ()
    return matrix, tuple(correlated)


def _read_run(raw, source: str) -> RunSettings:
    table = _check_table(raw, source, "run")
    _check_keys(table, _RUN_KEYS, source, "run", "key of [run]")
    settings = {}
    try:
        if "samples" in table:
            settings["samples"] = samplers.check_samples(table["samples"], "samples")
        if "seed" in table:
            settings["seed"] = samplers.check_seed(table["seed"], "seed")
        if "sampler" in table:
            settings["sampler"] = samplers.check_sampler(table["sampler"], "sampler")
        if "chunk_size" in table:
            settings["chunk_size"] = samplers.check_samples(table["chunk_size"], "chunk_size")
    except RoqInputError as error:
        raise _key_error(source, f"run.{error.argument}", error.problem) from None
    return RunSettings(**settings)


def _blame_key(name: str, scenario: Scenario) -> str:
    return f"uncertain.{name}" if name in scenario.uncertain else f"model.{name}"


def _check_model(scenario: Scenario, source: str):
    """Evaluate the base case (validated), then the model's consistency conditions at the corners."""
    try:
        scenario.evaluate_base()
    except RoqInputError as error:
        name = error.argument
        key = _blame_key(name, scenario) if name in SCENARIO_INPUTS or name == "satisfied_share_convention" else name
        if name == "competitor_retention" and "competitor_switching" in scenario.base:
            key = _blame_key("competitor_switching", scenario)
        raise _key_error(source, key, error.problem) from None
    involved = [name for name in _CONSISTENCY_INPUTS + tuple(CHAIN_INPUTS) if name in scenario.uncertain]
    if not involved:
        return
    ends = []
    for name in involved:
        distribution = scenario.uncertain[name]
        low, high = distribution.support
        if not math.isfinite(low):
            low = float(distribution.ppf(np.array([1e-12]))[0])
        if not math.isfinite(high):
            high = float(distribution.ppf(np.array([1.0 - 1e-12]))[0])
        ends.append((low, high))
    corners = np.array(list(itertools.product((0, 1), repeat=len(involved))), dtype=bool)
    values = {name: np.where(corners[:, j], ends[j][1], ends[j][0]) for j, name in enumerate(involved)}
    params = scenario.parameters(values)
    computed = evaluate(params, ("retention", "baseline_retention"), validate=False)
    churn = np.broadcast_to(np.asarray(params.get("churn", np.nan), dtype=float), corners.shape[:1])

    def fail(mask, inputs, problem):
        """Raise for the first corner in ``mask``; ``problem(row)`` words it."""
        if not np.any(mask):
            return
        row = int(np.flatnonzero(mask)[0])
        moved = [n for n in inputs if n in involved]
        if not moved:
            return
        first = moved[0]
        j = involved.index(first)
        bound = scenario.uncertain[first].bound_keys[1 if corners[row, j] else 0]
        at = " and ".join(f"{n} = {values[n][row]:g} (its {'max' if corners[row, involved.index(n)] else 'min'})" for n in moved)
        raise _key_error(source, f"uncertain.{first}.{bound}", f"at {at}, {problem(row)}")

    shares = [("retention", computed["retention"]), ("baseline_retention", computed["baseline_retention"])]
    for name, retention in shares:
        retention = np.broadcast_to(np.asarray(retention, dtype=float), churn.shape)
        if np.all(np.isnan(retention)):
            continue
        prefix = "baseline_" if name.startswith("baseline") else ""
        drivers = [name, "churn"] + [prefix + n if n.endswith("_share") else n for n in ("satisfied_share", "delighted_share", "repurchase_dissatisfied", "repurchase_satisfied", "repurchase_delighted")]
        bad = retention > 1.0 - churn + 1e-12
        fail(bad, drivers, lambda row: f"{name} ({retention[row]:.4g}) exceeds 1 - churn ({1 - churn[row]:.4g}): the firm cannot keep customers who left the market")
    competitor = np.broadcast_to(np.asarray(params.get("competitor_retention", np.nan), dtype=float), churn.shape)
    bad = competitor > 1.0 - churn + 1e-12
    fail(bad, ["competitor_retention", "churn"], lambda row: f"competitor_retention ({competitor[row]:.4g}) exceeds 1 - churn ({1 - churn[row]:.4g}): competitors cannot keep customers who left the market")
    bad = competitor < -1e-12
    fail(bad, ["competitor_switching", "churn"], lambda row: "churn + competitor_switching exceeds 1, so competitor_retention = 1 - churn - competitor_switching would be negative")
    if "market_growth" in params:
        growth = np.broadcast_to(np.asarray(params["market_growth"], dtype=float), churn.shape)
        bad = growth + churn < -1e-12
        fail(bad, ["market_growth", "churn"], lambda row: "market growth + churn < 0: the market would shrink faster than customers leave it (negative new customers)")
    for prefix in ("", "baseline_"):
        satisfied, delighted = prefix + "satisfied_share", prefix + "delighted_share"
        if satisfied in params and delighted in params:
            total = np.asarray(params[satisfied], dtype=float) + np.asarray(params[delighted], dtype=float)
            bad = np.broadcast_to(total, churn.shape) > 1 + 1e-12
            fail(bad, [satisfied, delighted], lambda row: f"{satisfied} + {delighted} exceeds 1 (100% of customers)")
    try:  # anything else the model checks, at every corner
        evaluate(params, ("roq",), validate=True)
    except RoqInputError as error:
        raise _key_error(source, "uncertain", f"at the extremes of the uncertain inputs ({', '.join(involved)}): {error}") from None


# --- a scenario from a worksheet range ---------------------------------------------------


def scenario_from_rows(rows: Sequence[Sequence], source: str = "range") -> Scenario:
    """Build a scenario from a two-column key/value table (a workbook range).

    Each row is ``key, value[, more values...]``: the key is the TOML key path
    (``model.churn``, ``uncertain.churn.distribution``, ``uncertain.churn.min``,
    ``run.samples``, ``outputs.names``, ``correlation.inputs``); several values on one row
    (``model.market_size_path, 286859, 309244, ...``) form a list; blank rows, rows whose
    key is blank and rows starting with ``#`` are skipped. ``correlation.matrix`` takes one
    row per matrix row (``correlation.matrix, 1, 0.3`` then ``correlation.matrix, 0.3, 1``).

    Examples
    --------
    >>> s = scenario_from_rows([
    ...     ["model.horizon", 5], ["model.market_size", 250760], ["model.market_growth", 0.07],
    ...     ["model.churn", 0.095], ["model.competitor_switching", 0.0019], ["model.attraction", 0.0306],
    ...     ["model.initial_share", 0.0707], ["model.retention", 0.8], ["model.baseline_retention", 0.3461],
    ...     ["model.margin", 250000], ["model.discount_rate", 0.2], ["model.initial_cost", 558e6],
    ...     ["model.annual_cost", 699e6],
    ...     ["uncertain.margin.distribution", "pert"], ["uncertain.margin.min", 200000],
    ...     ["uncertain.margin.mode", 250000], ["uncertain.margin.max", 300000]])
    >>> list(s.uncertain)
    ['margin']
    """
    data: dict = {}
    for number, row in enumerate(rows, start=1):
        cells = [c for c in (list(row) if isinstance(row, (list, tuple)) else [row])]
        while cells and (cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())):
            cells.pop()
        if not cells or cells[0] is None or (isinstance(cells[0], str) and (not cells[0].strip() or cells[0].strip().startswith("#"))):
            continue
        key = cells[0]
        if isinstance(key, str) and number == 1 and key.strip().lower() in ("key", "keys", "setting", "name"):
            continue  # a header row
        if not isinstance(key, str):
            raise RoqInputError(f"{source}: row {number}", f"first cell must be a key such as model.churn, got {compact(key)}")
        values = [_cell(v) for v in cells[1:]]
        if any(v is None for v in values):
            raise RoqInputError(f"{source}: row {number}", f"{key.strip()} has a blank cell between values")
        if not values:
            raise RoqInputError(f"{source}: row {number}", f"{key.strip()} has no value")
        parts = [p.strip() for p in key.strip().split(".")]
        if len(parts) < 2 or not all(parts):
            raise RoqInputError(f"{source}: row {number}", f"key {_describe(key)} must be section.name, e.g. model.churn or uncertain.churn.min")
        table = data
        for part in parts[:-1]:
            table = table.setdefault(part, {})
            if not isinstance(table, dict):
                raise RoqInputError(f"{source}: row {number}", f"key {key!r} clashes with an earlier value")
        last = parts[-1]
        is_list = len(values) > 1 or last in ("names", "inputs", "values", "weights") or parts[-1].endswith("_path")
        if (parts[0], last) in (("correlation", "matrix"), ("survey", "counts")):
            table.setdefault(last, []).append(values)
            continue
        if last in table:
            raise RoqInputError(f"{source}: row {number}", f"{key.strip()} is given twice")
        table[last] = values if is_list else values[0]
    return scenario_from_dict(data, source=source)


def _cell(value):
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(text) if text.lstrip("+-").isdigit() else float(text)
        except ValueError:
            return text
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return value  # keep floats; whole-number checks accept 5.0
    return value
