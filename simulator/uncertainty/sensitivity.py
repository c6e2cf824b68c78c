"""Global sensitivity analysis of any vectorised model with SALib: Sobol', Morris, eFAST,
Borgonovo delta and PAWN, as ranked tables.

One entry point, :func:`run_sensitivity`, takes a model (a function of named input
arrays), the inputs' distributions (anything with a vectorised inverse CDF ``.ppf``) and
a method name; it samples, evaluates the model and returns a
:class:`SensitivityResult` with a tidy table (one row per input, ranked), ``.summary()``
text and SALib's raw output.

How inputs are sampled
    Every method samples in the unit hypercube with SALib's own sampler (problem bounds
    [0, 1] for every input) and maps each column through the input's ``.ppf``, so any
    distribution works with every method. Unbounded distributions have
    ``ppf(0) = -inf`` and ``ppf(1) = +inf``, so the unit values are kept inside (0, 1):

    * ``"sobol"``: scrambled Sobol' points lie on scipy's 30-bit grid, which includes 0;
      each value is moved to the centre of its grid cell (``u + 2**-31``), so
      ``u`` is in ``[2**-31, 1 - 2**-31]`` (a normal is sampled to about 6.1 sd);
    * ``"morris"``: the ``p`` grid levels ``0, 1/(p-1), ..., 1`` are mapped to the
      centres of ``p`` equal-probability bins, ``(level (p-1) + 0.5) / p``
      (for ``p = 4``: the 12.5, 37.5, 62.5 and 87.5 % quantiles), so elementary effects
      are measured between quantiles and ``mu*`` is per unit of SALib's [0, 1] grid;
    * ``"fast"``, ``"delta"``, ``"pawn"``: continuous designs, clipped to
      ``[1e-12, 1 - 1e-12]`` as a guard (the clip changes a point only with
      probability ~1e-12).

Independence
    Sobol', Morris and eFAST use structured designs in which every input is sampled
    independently; they ignore correlations between inputs. For correlated inputs use
    ``"delta"`` or ``"pawn"`` and pass the caller's correlated draws (e.g. Iman-Conover)
    as ``input_samples``: these moment-independent, given-data methods use the sample
    as it is. They see every input on its rank scale ((average rank - 0.5) / n), so the
    result does not depend on the inputs' units.

Model calls
    The model is called with a dict ``name -> 1-D array`` (all of one length) and must
    return one output per row (a 1-D array, or a mapping of named outputs from which
    ``output_name`` is taken). It is called on chunks of rows (at most
    ``MODEL_CHUNK_ROWS``), never per point, so its outputs must not depend on how the
    rows are chunked (true of any vectorised row-wise model).

Engines (``engine="local"`` or ``"dask"``, :mod:`simulator.engines`)
    * ``"sobol"`` (fast backend) streams: the design is cut into blocks of
      ``block_size`` base rows; each block's rows are generated (the scrambled Sobol'
      sequence fast-forwarded to the block), evaluated and reduced to a
      :class:`sobol_fast.SobolPartial` where it runs, and the partials are merged in
      block order - neither the client nor a worker holds the design or all outputs,
      and the indices and bootstrap intervals (whose Poisson weights are keyed by global
      base row) are bit-identical on every engine and worker count. Every block
      subtracts the same shift (the output mean of the first block, which runs first),
      which :func:`sobol_fast.finalize` removes exactly.
    * ``"morris"``, ``"fast"``, ``"delta"``, ``"pawn"`` and Sobol' with
      ``backend="salib"``: SALib's analyses need every output at once, so only the model
      evaluations are distributed, in chunks of design rows; the outputs (one float per
      design point) are gathered on the client, as is SALib's design.
    The local engine evaluates blocks in threads, so the model must be thread-safe
    (NumPy code is); on Dask it must pickle (cloudpickle: closures and lambdas do).

References
----------
Saltelli, A. et al. (2010), Comput. Phys. Commun. 181, 259-270 (Sobol' first/total).
Saltelli, A. (2002), Comput. Phys. Commun. 145, 280-297 (second order).
Morris, M. D. (1991), Technometrics 33, 161-174; Campolongo, F., Cariboni, J.,
Saltelli, A. (2007), Environ. Model. Softw. 22, 1509-1518 (mu*).
Saltelli, A., Tarantola, S., Chan, K. P.-S. (1999), Technometrics 41, 39-56 (eFAST).
Borgonovo, E. (2007), Reliab. Eng. Syst. Saf. 92, 771-784; Plischke, E., Borgonovo, E.,
Smith, C. L. (2013), Eur. J. Oper. Res. 226, 536-550 (delta).
Pianosi, F., Wagener, T. (2015), Environ. Model. Softw. 67, 1-11 (PAWN).
Herman, J., Usher, W. (2017), SALib, J. Open Source Softw. 2(9), 97.

Examples
--------
Ishigami function (a = 7, b = 0.1; analytic S1 = 0.314, 0.442, 0 and ST = 0.558, 0.442,
0.244):

>>> import numpy as np
>>> from scipy import stats
>>> from simulator.uncertainty.sensitivity import run_sensitivity
>>> def ishigami(x):
...     return np.sin(x["x1"]) + 7 * np.sin(x["x2"]) ** 2 + 0.1 * x["x3"] ** 4 * np.sin(x["x1"])
>>> inputs = {name: stats.uniform(-np.pi, 2 * np.pi) for name in ("x1", "x2", "x3")}
>>> result = run_sensitivity(ishigami, inputs, "sobol", samples=4096, seed=1, output_name="y")
>>> result.table[["input", "ST", "rank"]].round(2)
  input    ST  rank
0    x1  0.56     1
1    x2  0.44     2
2    x3  0.24     3
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..engines import resolve_engine
from ..errors import RoqInputError
from . import sobol_fast

__all__ = [
    "BACKENDS",
    "METHODS",
    "METHOD_OPTIONS",
    "MODEL_CHUNK_ROWS",
    "SensitivityResult",
    "run_sensitivity",
]

METHODS = ("sobol", "morris", "fast", "delta", "pawn")
BACKENDS = ("fast", "salib")
#: Options each method accepts as keyword arguments, with their defaults.
METHOD_OPTIONS = {
    "sobol": {"ci_method": "auto", "block_size": sobol_fast.DEFAULT_BLOCK_SIZE, "scramble": True, "sampler": "sobol", "replicates": 16},
    "morris": {"levels": 4, "optimal_trajectories": None, "local_optimization": True},
    "fast": {"M": 4},
    "delta": {"sampler": "latin"},
    "pawn": {"slices": 10, "sampler": "latin"},
}
#: Samplers of the base rows of Saltelli's design (``sampler=`` option of method "sobol").
SOBOL_SAMPLERS = ("sobol", "lhs", "random")
#: Interval methods of method "sobol": "auto" = "replicates" for the sobol and lhs
#: samplers (whose rows are not independent), "bootstrap" for random rows.
SOBOL_CI_METHODS = ("auto", "replicates", *sobol_fast.CI_METHODS)
#: Fewest base rows per replicate (fewer replicates are used for small N).
MIN_REPLICATE_ROWS = 8
#: Largest number of design rows passed to the model in one call.
MODEL_CHUNK_ROWS = 1 << 20
#: Design rows per task when a SALib design is evaluated on Dask workers.
DISTRIBUTED_CHUNK_ROWS = 1 << 16

_METHOD_TITLES = {
    "sobol": "Sobol' variance-based sensitivity indices",
    "morris": "Morris elementary effects (screening)",
    "fast": "eFAST variance-based sensitivity indices",
    "delta": "Borgonovo delta moment-independent indices",
    "pawn": "PAWN distribution-based sensitivity indices",
}
_METHOD_REFERENCES = {
    "sobol": "Saltelli et al. (2010) first/total order, Saltelli (2002) second order",
    "morris": "Morris (1991); mu* of Campolongo et al. (2007)",
    "fast": "Saltelli, Tarantola & Chan (1999)",
    "delta": "Borgonovo (2007); estimator of Plischke et al. (2013)",
    "pawn": "Pianosi & Wagener (2015)",
}
_RANK_BY = {"sobol": "ST", "fast": "ST", "morris": "mu_star", "delta": "delta", "pawn": "median"}
_GIVEN_DATA_METHODS = ("delta", "pawn")
_UNIT_EPS = 1e-12
_SOBOL_HALF_CELL = 2.0**-31  # half of scipy's 30-bit Sobol' grid step
_MIN_SAMPLES = {"sobol": 4, "morris": 2, "delta": 100}


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """Result of :func:`run_sensitivity`: a ranked table of sensitivity measures.

    Attributes
    ----------
    method : str
        ``"sobol"``, ``"morris"``, ``"fast"``, ``"delta"`` or ``"pawn"``.
    output_name : str
        Name of the analysed model output.
    n_evaluations : int
        Number of model evaluations (design rows).
    table : pandas.DataFrame
        One row per input, sorted by ``rank`` (1 = most influential). Columns:

        * sobol: ``input, S1, S1_conf, ST, ST_conf, rank`` (rank by ST);
        * morris: ``input, mu, mu_star, sigma, mu_star_conf, rank`` (rank by mu*);
        * fast: ``input, S1, S1_conf, ST, ST_conf, rank`` (rank by ST);
        * delta: ``input, delta, delta_conf, S1, S1_conf, rank`` (rank by delta);
        * pawn: ``input, minimum, mean, median, maximum, CV, stdev, rank`` (rank by the
          median KS statistic over the conditioning slices).

        ``*_conf`` columns are half-widths of the ``conf_level`` confidence interval.
    second_order : pandas.DataFrame or None
        Sobol' only: one row per pair ``input_1, input_2, S2, S2_conf``.
    raw : dict
        The analysis output as SALib returns it (for the fast Sobol' backend: the same
        keys from :func:`sobol_fast.analyze`), plus ``names``.
    samples : int
        Base sample size (Sobol' N, Morris trajectories, eFAST points per input, rows).
    seed : int or None
        Seed given.
    conf_level : float
        Confidence level of the ``*_conf`` columns.
    backend : str
        ``"fast"`` or ``"salib"`` (Sobol' analysis engine); ``"salib"`` for the others.
    options : dict
        Method options used (defaults filled in).
    output_mean, output_std : float
        Mean and standard deviation of the model output over all evaluations.
    notes : tuple of str
        Assumptions and SALib's warnings, printed by :meth:`summary`.
    """

    method: str
    output_name: str
    n_evaluations: int
    table: pd.DataFrame
    second_order: pd.DataFrame | None
    raw: dict
    samples: int = 0
    seed: int | None = None
    conf_level: float = 0.95
    backend: str = "salib"
    options: dict = field(default_factory=dict)
    output_mean: float = math.nan
    output_std: float = math.nan
    notes: tuple = ()

    @property
    def ranking(self) -> list:
        """Input names from most to least influential."""
        return list(self.table["input"])

    def to_frame(self) -> pd.DataFrame:
        """The ranked table with leading ``output`` and ``method`` columns (for CSV files
        that stack several analyses)."""
        frame = self.table.copy()
        frame.insert(0, "method", self.method)
        frame.insert(0, "output", self.output_name)
        return frame

    def summary(self) -> str:
        """Plain-text report: header, ranked table, second-order pairs and notes."""
        width = 78
        rule, thin = "=" * width, "-" * width

        def pair(left_label, left_value, right_label, right_value):
            left = f"{left_label + ':':<20}{left_value:<19}"
            return f"{left}{right_label + ':':<20}{right_value}"

        sample_label = {"sobol": "Base samples (N):", "morris": "Trajectories:", "fast": "Samples per input:"}.get(self.method, "Samples:")
        if self.method == "sobol":
            ci = self.options.get("ci_method", "bootstrap")
            ci_text = (f"{ci} ({self.raw.get('num_resamples', '')} resamples)" if ci == "bootstrap"
                       else f"t, {self.raw.get('replicates', '')} {self.raw.get('sampler', '')} replicates" if ci == "replicates" else ci)
        elif self.method == "pawn":
            ci_text = "none"
        else:
            ci_text = "bootstrap"
        lines = [
            _METHOD_TITLES[self.method].center(width),
            rule,
            pair("Output", self.output_name, "Method", self.method + (f" ({self.backend})" if self.method == "sobol" else "")),
            pair("Model evaluations", f"{self.n_evaluations:,}", sample_label.rstrip(":"), f"{self.samples:,}"),
            pair("Inputs", str(len(self.table)), "Seed", str(self.seed)),
            pair("Confidence level", f"{self.conf_level:.0%}", "Intervals", ci_text),
            pair("Output mean", f"{self.output_mean:.6g}", "Output std. dev.", f"{self.output_std:.6g}"),
            rule,
            self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ]
        if self.second_order is not None and len(self.second_order):
            lines += [thin, "Second-order indices (pairs)", self.second_order.to_string(index=False, float_format=lambda v: f"{v:.4f}")]
        lines.append(rule)
        lines.append(f"Estimator: {_METHOD_REFERENCES[self.method]}; rank 1 = most influential by {_RANK_BY[self.method]}.")
        for number, note in enumerate(self.notes, start=1):
            lines.append(f"[{number}] {note}")
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()


# --------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------


def _whole(value, name: str, low: int, what: str = "") -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise RoqInputError(name, f"must be a whole number >= {low}{what}, got {value!r}")
    if value < low:
        raise RoqInputError(name, f"must be a whole number >= {low}{what}, got {value}")
    return int(value)


def _check_inputs(inputs) -> list:
    if not isinstance(inputs, Mapping) or len(inputs) == 0:
        raise RoqInputError("inputs", f"must be a non-empty mapping of input name -> distribution with a .ppf(u) method, got {type(inputs).__name__}")
    names = list(inputs)
    for name in names:
        if not isinstance(name, str) or not name:
            raise RoqInputError("inputs", f"names must be non-empty strings, got {name!r}")
        if not callable(getattr(inputs[name], "ppf", None)):
            raise RoqInputError("inputs", f"{name!r} has no .ppf(u) inverse CDF (got {type(inputs[name]).__name__}); give a distribution object, e.g. scipy.stats.norm(0, 1)")
    return names


def _check_options(method: str, backend: str, samples, method_options: dict) -> dict:
    allowed = METHOD_OPTIONS[method]
    for key in method_options:
        if key not in allowed:
            listed = ", ".join(allowed) or "none"
            raise RoqInputError(key, f"is not an option of method {method!r} (its options: {listed})")
    options = {**allowed, **method_options}
    if method == "sobol":
        if options["ci_method"] not in SOBOL_CI_METHODS:
            raise RoqInputError("ci_method", f"must be one of {', '.join(map(repr, SOBOL_CI_METHODS))}, got {options['ci_method']!r}")
        if options["sampler"] not in SOBOL_SAMPLERS:
            raise RoqInputError("sampler", f"must be one of {', '.join(map(repr, SOBOL_SAMPLERS))} for method 'sobol', got {options['sampler']!r}")
        if options["ci_method"] == "auto":
            # quasi-random and stratified rows are not independent: a bootstrap over them
            # overstates the error several times, independent replicates do not
            options["ci_method"] = "bootstrap" if backend == "salib" or options["sampler"] == "random" else "replicates"
        if backend == "salib" and (options["ci_method"] != "bootstrap" or options["sampler"] != "sobol"):
            raise RoqInputError("ci_method" if options["ci_method"] != "bootstrap" else "sampler",
                                "backend='salib' only bootstraps SALib's own Sobol' design; use backend='fast' for replicate or asymptotic intervals and other samplers")
        options["replicates"] = _whole(options["replicates"], "replicates", 2)
        options["block_size"] = _whole(options["block_size"], "block_size", 1)
        if not isinstance(options["scramble"], (bool, np.bool_)):
            raise RoqInputError("scramble", f"must be True or False, got {options['scramble']!r}")
    elif method == "morris":
        levels = _whole(options["levels"], "levels", 2, " and even")
        if levels % 2:
            raise RoqInputError("levels", f"must be an even number of grid levels (e.g. 4 or 6) so the Morris design is balanced, got {levels}")
        options["levels"] = levels
        if options["optimal_trajectories"] is not None:
            k = _whole(options["optimal_trajectories"], "optimal_trajectories", 2)
            if isinstance(samples, numbers.Integral) and k >= samples:
                raise RoqInputError("optimal_trajectories", f"must be smaller than samples (the candidate trajectories it selects from), got {k} >= {samples}")
        if not isinstance(options["local_optimization"], (bool, np.bool_)):
            raise RoqInputError("local_optimization", f"must be True or False, got {options['local_optimization']!r}")
    elif method == "fast":
        options["M"] = _whole(options["M"], "M", 1)
    elif method in _GIVEN_DATA_METHODS:
        if options["sampler"] not in ("latin", "random"):
            raise RoqInputError("sampler", f"must be 'latin' (Latin hypercube) or 'random', got {options['sampler']!r}")
        if method == "pawn":
            options["slices"] = _whole(options["slices"], "slices", 2)
    return options


def _check_samples(method: str, samples, options: dict) -> int:
    if method == "sobol":
        n = _whole(samples, "samples", _MIN_SAMPLES["sobol"], " (a power of two)")
        if n & (n - 1):
            lower = 1 << (n.bit_length() - 1)
            raise RoqInputError("samples", f"must be a power of two for Sobol' sampling (the sequence's balance needs it), got {n}; use {lower} or {lower * 2}")
        return n
    if method == "fast":
        low = 4 * options["M"] ** 2 + 1
        return _whole(samples, "samples", low, f" (eFAST needs more than 4*M^2 = {low - 1} points per input with M={options['M']})")
    if method == "pawn":
        return _whole(samples, "samples", 10 * options["slices"], f" (10 points per conditioning slice, slices={options['slices']})")
    return _whole(samples, "samples", _MIN_SAMPLES[method])


def _check_input_samples(input_samples, names, method, samples, options) -> tuple[dict, int]:
    if method not in _GIVEN_DATA_METHODS:
        raise RoqInputError("input_samples", f"can only be used with 'delta' or 'pawn'; {method!r} needs its own structured design and assumes independent inputs")
    if not isinstance(input_samples, Mapping):
        raise RoqInputError("input_samples", f"must be a mapping of input name -> 1-D array, got {type(input_samples).__name__}")
    missing = [n for n in names if n not in input_samples]
    extra = [n for n in input_samples if n not in names]
    if missing or extra:
        raise RoqInputError("input_samples", f"must have exactly the inputs' names; missing {missing}, unexpected {extra}")
    columns, length = {}, None
    for name in names:
        try:
            column = np.asarray(input_samples[name], dtype=float)
        except (TypeError, ValueError) as exc:
            raise RoqInputError("input_samples", f"{name!r} is not numeric ({exc})") from exc
        if column.ndim != 1:
            raise RoqInputError("input_samples", f"{name!r} must be 1-D, got shape {column.shape}")
        if not np.isfinite(column).all():
            raise RoqInputError("input_samples", f"{name!r} has NaN or infinite values")
        if length is not None and column.size != length:
            raise RoqInputError("input_samples", f"all columns must have one length; {names[0]!r} has {length}, {name!r} has {column.size}")
        length = column.size
        columns[name] = column
    if samples is not None and samples != length:
        raise RoqInputError("samples", f"must be None or the length of input_samples ({length}), got {samples!r}")
    _check_samples(method, length, options)
    return columns, length


# --------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------


def _ppf(distribution, u: np.ndarray, name: str) -> np.ndarray:
    try:
        values = np.asarray(distribution.ppf(u), dtype=float)
    except Exception as exc:  # a user object failing: say which input
        raise RoqInputError("inputs", f"{name!r}: .ppf(u) failed on an array of probabilities ({type(exc).__name__}: {exc})") from exc
    if values.shape != u.shape:
        raise RoqInputError("inputs", f"{name!r}: .ppf(u) must be vectorised (return one value per probability), got shape {values.shape} for {u.shape}")
    if not np.isfinite(values).all():
        bad = u[~np.isfinite(values)][0]
        raise RoqInputError("inputs", f"{name!r}: .ppf({bad:.6g}) is not finite; the distribution must have a finite inverse CDF on (0, 1)")
    return values


def _call_model(model, values: dict, output_name: str, first_row: int) -> np.ndarray:
    n = len(next(iter(values.values())))
    result = model(values)
    if isinstance(result, Mapping):
        if output_name not in result:
            raise RoqInputError("output_name", f"{output_name!r} is not among the model's outputs {list(result)}")
        result = result[output_name]
    try:
        outputs = np.asarray(result, dtype=float)
    except (TypeError, ValueError) as exc:
        raise RoqInputError("model", f"must return numbers, got {type(result).__name__} ({exc})") from exc
    if outputs.shape != (n,):
        raise RoqInputError("model", f"must return a 1-D array with one output per input row ({n},), got shape {outputs.shape}")
    bad = ~np.isfinite(outputs)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        at = ", ".join(f"{k}={v[row]:.6g}" for k, v in values.items())
        raise RoqInputError("model", f"returned {int(bad.sum())} NaN or infinite output(s) of {n}; first at design row {first_row + row} ({at}); every sampled input combination needs a finite output")
    return outputs


@dataclass(frozen=True, eq=False)
class _ModelJob:
    """What a model-evaluation task needs besides its rows (sent to each Dask worker once)."""

    model: object
    inputs: Mapping
    names: tuple
    output_name: str
    through_ppf: bool  # rows are unit-hypercube points (True) or input values (False)


def _evaluate_rows(job: _ModelJob, item) -> np.ndarray:
    """Task: model outputs of one chunk ``(first_row, matrix)`` of a design."""
    first_row, rows = item
    if job.through_ppf:
        values = {name: _ppf(job.inputs[name], rows[:, i], name) for i, name in enumerate(job.names)}
    else:
        values = {name: rows[:, i] for i, name in enumerate(job.names)}
    return _call_model(job.model, values, job.output_name, first_row)


def _evaluate(engine, job: _ModelJob, matrix: np.ndarray) -> np.ndarray:
    """Model outputs for every row of a design ``matrix`` (rows x inputs), in chunks.

    The design is built on the caller's side (SALib's samplers are not block-keyed), so
    with Dask each chunk of rows travels to a worker and its outputs (one float per row)
    come back: the outputs of every design point are gathered here, as SALib's analyses
    need them all. Chunks are smaller on Dask so that the workers share the work; the
    model is row-wise, so the outputs do not depend on the chunking.
    """
    n_rows = matrix.shape[0]
    chunk = MODEL_CHUNK_ROWS if engine.name == "local" else DISTRIBUTED_CHUNK_ROWS
    outputs = np.empty(n_rows)
    starts = range(0, n_rows, chunk)
    items = ((start, matrix[start:start + chunk]) for start in starts)
    for start, values in zip(starts, engine.map_ordered(_evaluate_rows, items, context=job, batch=1, label="model")):
        outputs[start:start + values.size] = values
    return outputs


def _salib_available() -> bool:
    try:
        return importlib.util.find_spec("SALib") is not None
    except ImportError:  # an import hook that refuses it counts as missing
        return False


@contextlib.contextmanager
def _salib_call(notes: list):
    """Run SALib code without leaking its global side effects; collect its warnings.

    SALib's eFAST, delta and PAWN seed NumPy's global RandomState, and delta replaces
    ``warnings.formatwarning`` and the warning filters; all are restored here.
    """
    random_state = np.random.get_state()
    formatwarning = warnings.formatwarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            np.random.set_state(random_state)
            warnings.formatwarning = formatwarning
    for warning in caught:
        text = " ".join(str(warning.message).split())
        if text and f"SALib: {text}" not in notes:
            notes.append(f"SALib: {text}")


def _stats(Y: np.ndarray) -> tuple:
    """(number of evaluations, mean, standard deviation) of gathered model outputs."""
    return int(Y.size), float(Y.mean()), float(Y.std())


def _ranked(table: pd.DataFrame, score: str) -> pd.DataFrame:
    values = pd.to_numeric(table[score], errors="coerce")
    table["rank"] = values.rank(ascending=False, method="min", na_option="bottom").astype(int)
    return table.sort_values("rank", kind="stable").reset_index(drop=True)


def _rank_scale(values: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return (rankdata(values, method="average", axis=0) - 0.5) / values.shape[0]


# --------------------------------------------------------------------------------------
# the entry point
# --------------------------------------------------------------------------------------


def run_sensitivity(
    model,
    inputs,
    method: str,
    *,
    samples,
    seed,
    output_name: str = "roq",
    second_order: bool = True,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    input_samples=None,
    backend: str = "fast",
    engine=None,
    **method_options,
) -> SensitivityResult:
    """Global sensitivity of a model output to its uncertain inputs (SALib methods).

    Samples the inputs in the unit hypercube with SALib's sampler for ``method``, maps
    the samples through each input's inverse CDF, evaluates the model on the whole
    design (vectorised) and analyses the outputs.

    Parameters
    ----------
    model : callable
        ``model(values) -> outputs`` with ``values`` a dict ``name -> 1-D ndarray`` (one
        entry per input, all one length) and ``outputs`` a 1-D array of that length,
        or a mapping of named 1-D arrays containing ``output_name``.
    inputs : mapping
        Ordered ``name -> distribution``; each distribution needs a vectorised
        ``.ppf(u)`` (ours, or frozen ``scipy.stats`` distributions).
    method : {"sobol", "morris", "fast", "delta", "pawn"}
        * ``"sobol"``: Saltelli's design from a scrambled Sobol' sequence; first (S1),
          total (ST) and, if ``second_order``, second-order (S2) indices with
          confidence intervals. ``N (2D + 2)`` evaluations (``N (D + 2)`` without S2).
        * ``"morris"``: elementary effects on ``samples`` trajectories; ``mu``, ``mu*``,
          ``sigma``, ``mu*`` confidence. ``samples (D + 1)`` evaluations.
        * ``"fast"``: extended FAST; S1 and ST with (bootstrap) confidence.
          ``samples D`` evaluations.
        * ``"delta"``: Borgonovo's moment-independent delta (SALib's bias-reduced
          "raw" estimate) and a binned S1; ``samples`` evaluations.
        * ``"pawn"``: PAWN, Kolmogorov-Smirnov distance between the unconditional
          output distribution and the output conditioned on slices of each input
          (min, mean, median, max, CV over the slices); ``samples`` evaluations.
    samples : int
        Base sample size: Sobol' N (a power of two, >= 4), Morris trajectories (>= 2),
        eFAST points per input (> 4 M^2), delta rows (>= 100), PAWN rows
        (>= 10 x slices). With ``input_samples`` it may be None.
    seed : int or None
        The same seed gives identical numbers (sampling and confidence intervals).
    output_name : str
        Name of the output (label, and key when the model returns a mapping).
    second_order : bool
        Sobol' only: also compute S2 (doubles the cross-sampled part of the design).
    num_resamples : int
        Bootstrap resamples for the confidence intervals (>= 2; PAWN has none).
    conf_level : float
        Confidence level in (0, 1) of the ``*_conf`` half-widths.
    input_samples : mapping, optional
        ``"delta"`` and ``"pawn"`` only: ``name -> 1-D array`` of input draws (e.g.
        correlated with Iman-Conover) used as they are instead of independent
        sampling; the model is evaluated on these rows.
    backend : {"fast", "salib"}
        Sobol' analysis engine: ``"fast"`` = the streaming, blockwise estimator of
        :mod:`sobol_fast` (same point estimates as SALib to about 1e-14, vectorised,
        bounded memory), ``"salib"`` = ``SALib.analyze.sobol.analyze`` (the reference).
        Other methods always use SALib.
    engine : {"local", "dask"} or engine, optional
        Where the model is evaluated (:mod:`simulator.engines`; see the module
        docstring): ``"local"`` (default, threads), ``"dask"`` (a local Dask cluster
        started for this call) or an engine object (e.g. connected to an existing
        cluster). Never changes the numbers.
    **method_options
        Per method (defaults in :data:`METHOD_OPTIONS`): sobol ``ci_method``
        ("auto" | "replicates" | "bootstrap" | "asymptotic"; "auto", the default, is
        "replicates" for the sobol and lhs samplers and "bootstrap" for random rows),
        ``sampler`` of the base rows ("sobol" | "lhs" | "random", see
        :data:`SOBOL_SAMPLERS`), ``replicates`` (R independent randomised designs of N / R
        base rows for the replicate intervals, default 16, fewer for N < 128 so that each
        has >= 8 rows), ``block_size``, ``scramble``; morris ``levels``
        (even, default 4), ``optimal_trajectories``, ``local_optimization``; fast ``M``
        (interference factor, default 4); delta ``sampler`` ("latin" | "random");
        pawn ``slices`` (default 10), ``sampler``.

    Returns
    -------
    SensitivityResult

    Raises
    ------
    RoqInputError
        Naming the argument: unknown method or option, inputs without ``.ppf``,
        sample size (not a power of two for Sobol'), ``conf_level`` outside (0, 1),
        a model returning the wrong length or NaN, ...

    Notes
    -----
    Sobol', Morris and eFAST assume independent inputs; for correlated inputs use
    ``"delta"`` or ``"pawn"`` with ``input_samples``. See the module docstring for how
    unit samples are kept away from the infinite ends of unbounded distributions.

    Examples
    --------
    Linear model with normal inputs, ``y = x1 + 2 x2``, sd 1 and 0.5: variance shares
    S1 = 1 / 2 and 1 / 2:

    >>> import numpy as np
    >>> from scipy import stats
    >>> result = run_sensitivity(lambda x: x["x1"] + 2 * x["x2"],
    ...                          {"x1": stats.norm(0, 1), "x2": stats.norm(5, 0.5)},
    ...                          "sobol", samples=4096, seed=3, output_name="y", second_order=False)
    >>> result.table["S1"].round(2).tolist()
    [0.5, 0.5]
    """
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise RoqInputError("method", f"must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    method = method.lower()
    if backend not in BACKENDS:
        raise RoqInputError("backend", f"must be 'fast' or 'salib', got {backend!r}")
    if (method != "sobol" or backend == "salib") and not _salib_available():
        # e.g. xlwings Lite, whose bundle leaves SALib out: say what still works
        argument = "method" if method != "sobol" else "backend"
        raise RoqInputError(argument, f"{method if method != 'sobol' else 'salib'} needs SALib, which is not installed here; "
                            "method 'sobol' with backend 'fast' works without it")
    if not callable(model):
        raise RoqInputError("model", f"must be a callable model(values) -> outputs, got {type(model).__name__}")
    names = _check_inputs(inputs)
    if seed is not None and (isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise RoqInputError("seed", f"must be a whole number >= 0 (or None for an unrepeatable run), got {seed!r}")
    if isinstance(conf_level, (bool, np.bool_)) or not isinstance(conf_level, numbers.Real) or not 0 < conf_level < 1:
        raise RoqInputError("conf_level", f"must be a number strictly between 0 and 1 (e.g. 0.95), got {conf_level!r}")
    num_resamples = _whole(num_resamples, "num_resamples", 2)
    if not isinstance(output_name, str) or not output_name:
        raise RoqInputError("output_name", f"must be a non-empty string, got {output_name!r}")
    if not isinstance(second_order, (bool, np.bool_)):
        raise RoqInputError("second_order", f"must be True or False, got {second_order!r}")
    options = _check_options(method, backend, samples, method_options)
    if input_samples is not None:
        given, samples = _check_input_samples(input_samples, names, method, samples, options)
    else:
        given = None
        samples = _check_samples(method, samples, options)

    # independent streams for the design and for the analysis' resampling; SALib's
    # analyses treat seed 0 as "no seed", hence the + 1
    sample_seed, analysis_seed = (int(s) for s in np.random.SeedSequence(seed).generate_state(2))
    analysis_seed = analysis_seed % (2**31 - 2) + 1
    D = len(names)
    problem = {"num_vars": D, "names": [f"x{i}" for i in range(D)], "bounds": [[0.0, 1.0]] * D}
    notes: list[str] = []
    analyse = {"sobol": _sobol, "morris": _morris, "fast": _fast, "delta": _given_data, "pawn": _given_data}[method]
    engine, owned = resolve_engine(engine)
    try:
        table, pairs, raw, (n_evaluations, output_mean, output_std) = analyse(
            model=model, inputs=inputs, names=names, problem=problem, samples=samples, options=options,
            second_order=bool(second_order), num_resamples=num_resamples, conf_level=float(conf_level),
            sample_seed=sample_seed, analysis_seed=analysis_seed, backend=backend, output_name=output_name,
            given=given, method=method, notes=notes, engine=engine,
        )
    finally:
        if owned:
            engine.close()
    if method in ("sobol", "morris", "fast"):
        notes.insert(0, "Sobol', Morris and eFAST sample every input independently: correlations between inputs are ignored (use 'delta' or 'pawn' with input_samples for correlated inputs).")
    elif given is not None:
        notes.insert(0, f"Inputs taken as given ({samples:,} rows, dependence kept); measures are moment-independent, not variance shares.")
    raw = dict(raw)
    raw["names"] = list(names)
    return SensitivityResult(
        method=method,
        output_name=output_name,
        n_evaluations=int(n_evaluations),
        table=table,
        second_order=pairs,
        raw=raw,
        samples=int(samples),
        seed=None if seed is None else int(seed),
        conf_level=float(conf_level),
        backend=backend if method == "sobol" else "salib",
        options=options,
        output_mean=float(output_mean),
        output_std=float(output_std),
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------
# methods
# --------------------------------------------------------------------------------------


def _sobol_rows(num_vars: int, first_row: int, n_rows: int, *, scramble: bool, seed) -> np.ndarray:
    """Base rows ``first_row .. first_row + n_rows - 1`` of :func:`sobol_fast.sobol_base`.

    The same scrambled sequence (same call, same seed) fast-forwarded to ``first_row``, so
    a block of base rows is built where it is evaluated, bit-identical to the matching
    slice of the whole base sequence.
    """
    from scipy.stats import qmc

    with warnings.catch_warnings():
        # scipy deprecates seed= (SALib 1.6 uses it) and warns about non-power-of-two
        # draws after a fast-forward; the points are the same as one long draw
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        engine = qmc.Sobol(d=2 * int(num_vars), scramble=scramble, seed=seed)
        if first_row:
            engine.fast_forward(first_row)
        return engine.random(n_rows)


def _replicate_count(samples: int, options: dict) -> int:
    """Replicates of a replicate-interval analysis: the option, fewer if N is small (>= 8 rows each)."""
    if options["ci_method"] != "replicates":
        return 1
    count = min(options["replicates"], samples // MIN_REPLICATE_ROWS)
    if count < 2:
        raise RoqInputError("samples", f"replicate intervals need at least {2 * MIN_REPLICATE_ROWS} base rows (2 replicates of {MIN_REPLICATE_ROWS}), got {samples}")
    if samples % count:
        raise RoqInputError("replicates", f"must divide samples ({samples}) so every replicate has the same number of base rows, got {count}; use a power of two such as 16")
    return count


def _base_rows(job, replicate: int, first_row: int, n_rows: int) -> np.ndarray:
    """Base rows ``[A | B]`` (unit hypercube, inside (0, 1)) ``first_row .. first_row + n_rows - 1`` of one replicate.

    * ``sobol``: the scrambled Sobol' sequence of the replicate (one replicate: SALib's
      own sequence and seed; several: independent scrambles seeded
      ``SeedSequence(seed, spawn_key=(r,))``), fast-forwarded, each point moved to the
      centre of its 2**-30 grid cell;
    * ``lhs``: one Latin hypercube of the replicate's rows (McKay et al. 1979), its own
      generator per replicate (a block is always a whole replicate);
    * ``random``: independent uniforms, generated 4,096 rows at a time from generators
      keyed by (replicate, row // 4096), so any block size gives the same rows.
    """
    D2 = 2 * len(job.names)
    if job.sampler == "sobol":
        seed = job.sample_seed if job.replicates == 1 else np.random.default_rng(np.random.SeedSequence(job.sample_seed, spawn_key=(replicate,)))
        return _sobol_rows(D2 // 2, first_row, n_rows, scramble=job.scramble, seed=seed) + _SOBOL_HALF_CELL
    if job.sampler == "lhs":
        rng = np.random.default_rng(np.random.SeedSequence(job.sample_seed, spawn_key=(replicate,)))
        jitter = rng.random((n_rows, D2)) + 2.0**-54
        ranks = np.argsort(rng.random((n_rows, D2)), axis=0)
        return (ranks + jitter) / n_rows
    out = np.empty((n_rows, D2))
    row, filled = first_row, 0
    while filled < n_rows:
        key, offset = divmod(row, 4096)
        take = min(4096 - offset, n_rows - filled)
        rng = np.random.default_rng(np.random.SeedSequence(job.sample_seed, spawn_key=(replicate, key)))
        out[filled:filled + take] = (rng.random((4096, D2)) + 2.0**-54)[offset:offset + take]
        filled += take
        row += take
    return out


@dataclass(frozen=True, eq=False)
class _SobolJob:
    """Settings shared by every block of a streaming Sobol' analysis (sent to each Dask worker once)."""

    model: object
    inputs: Mapping
    names: tuple
    output_name: str
    second_order: bool
    scramble: bool
    sample_seed: int
    shift: float
    num_resamples: int
    analysis_seed: int | None
    moments: bool
    sampler: str = "sobol"
    replicates: int = 1


def _sobol_design_outputs(job: _SobolJob, first_row: int, n_rows: int, replicate: int = 0) -> np.ndarray:
    """Model outputs of Saltelli's design for base rows ``first_row .. first_row + n_rows - 1`` of a replicate."""
    D = len(job.names)
    step = 2 * D + 2 if job.second_order else D + 2
    rows_per_call = max(1, MODEL_CHUNK_ROWS // step)
    # inside (0, 1) (Sobol' points at their grid cells' centres), so unbounded ppf stays finite
    base = _base_rows(job, replicate, first_row, n_rows)
    Y = np.empty(n_rows * step)
    for start in range(0, n_rows, rows_per_call):
        stop = min(start + rows_per_call, n_rows)
        unit = sobol_fast.cross_sample(base[start:stop], job.second_order)
        values = {name: _ppf(job.inputs[name], unit[:, i], name) for i, name in enumerate(job.names)}
        del unit
        Y[start * step : stop * step] = _call_model(job.model, values, job.output_name, (first_row + start) * step)
    return Y


def _sobol_block(job: _SobolJob, rows: tuple) -> sobol_fast.SobolPartial:
    """Task: build, evaluate and reduce one block ``(replicate, first_row, n_rows, global_row)`` of base rows."""
    replicate, first_row, n_rows, global_row = rows
    Y = _sobol_design_outputs(job, first_row, n_rows, replicate)
    A, B, AB, BA = sobol_fast.split_outputs(Y, len(job.names), job.second_order)
    return sobol_fast.sobol_partial(A, B, AB, BA, shift=job.shift, first_row=global_row, num_resamples=job.num_resamples,
                                    seed=job.analysis_seed, moments=job.moments)


def _sobol_first_block(job: _SobolJob, rows: tuple) -> tuple:
    """Task: the first block, whose output mean becomes every block's shift; ``(shift, partial)``."""
    replicate, first_row, n_rows, global_row = rows
    Y = _sobol_design_outputs(job, first_row, n_rows, replicate)
    shift = float(Y.mean())
    A, B, AB, BA = sobol_fast.split_outputs(Y, len(job.names), job.second_order)
    partial = sobol_fast.sobol_partial(A, B, AB, BA, shift=shift, first_row=global_row, num_resamples=job.num_resamples,
                                       seed=job.analysis_seed, moments=job.moments)
    return shift, partial


def _sobol(*, model, inputs, names, problem, samples, options, second_order, num_resamples, conf_level, sample_seed, analysis_seed, backend, output_name, notes, engine, **_):
    D = len(names)
    if backend == "salib":
        from SALib.analyze import sobol as salib_sobol
        from SALib.sample import sobol as salib_sobol_sample

        with _salib_call(notes):
            unit = salib_sobol_sample.sample(problem, samples, calc_second_order=second_order, scramble=options["scramble"], seed=sample_seed)
        # centre of each 2^-30 grid cell: never 0 or 1, so unbounded ppf stays finite
        unit += _SOBOL_HALF_CELL
        Y = _evaluate(engine, _ModelJob(model, inputs, tuple(names), output_name, True), unit)
        del unit
        with _salib_call(notes):
            raw = salib_sobol.analyze(problem, Y, calc_second_order=second_order, num_resamples=num_resamples, conf_level=conf_level, seed=analysis_seed)
        raw = {key: np.asarray(raw[key], dtype=float) for key in raw}
        output_stats = (Y.size, float(Y.mean()), float(Y.std()))
    else:
        # Streaming: blocks of `block_size` base rows are built, evaluated and reduced to
        # sums where they run (threads or Dask workers); only the partials come back and
        # are merged in block order, so no one holds the design or all outputs, and the
        # numbers do not depend on the engine or the number of workers. Every block
        # subtracts one shift so that sums of squares keep their digits (finalize
        # centres exactly): the output mean of the first block, which therefore runs first.
        asymptotic = options["ci_method"] == "asymptotic"
        replicated = options["ci_method"] == "replicates"
        replicates = _replicate_count(samples, options)
        job = _SobolJob(model=model, inputs=inputs, names=tuple(names), output_name=output_name, second_order=second_order,
                        scramble=options["scramble"], sample_seed=sample_seed, shift=math.nan,
                        num_resamples=0 if asymptotic or replicated else num_resamples, analysis_seed=analysis_seed, moments=asymptotic,
                        sampler=options["sampler"], replicates=replicates)
        rows = samples // replicates
        # a Latin hypercube is one design of all its replicate's rows: one block each
        block = rows if options["sampler"] == "lhs" else options["block_size"]
        blocks = [(r, start, min(block, rows - start), r * rows + start) for r in range(replicates) for start in range(0, rows, block)]
        ((shift, first),) = list(engine.map_ordered(_sobol_first_block, blocks[:1], context=job, label="sobol-first"))
        job = replace(job, shift=shift)
        merged = [first]  # one merged partial per replicate, in block order
        for (r, *_), partial in zip(blocks[1:], engine.map_ordered(_sobol_block, blocks[1:], context=job, label="sobol")):
            if r < len(merged):
                merged[r] = sobol_fast.merge([merged[r], partial])
            else:
                merged.append(partial)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if replicated:
                raw = sobol_fast.finalize_replicates(merged, conf_level=conf_level)
                merged = sobol_fast.merge(merged)
            else:
                (merged,) = merged
                raw = sobol_fast.finalize(merged, conf_level=conf_level, ci_method=options["ci_method"])
        notes.extend(" ".join(str(w.message).split()) for w in caught)
        count = merged.output_count
        mean_shifted = merged.output_sum / count
        output_stats = (int(count), shift + mean_shifted, math.sqrt(max(merged.output_sumsq / count - mean_shifted**2, 0.0)))
    raw["num_resamples"] = num_resamples if options["ci_method"] == "bootstrap" else 0
    raw["sampler"] = options["sampler"]
    table = pd.DataFrame({"input": names, "S1": raw["S1"], "S1_conf": raw["S1_conf"], "ST": raw["ST"], "ST_conf": raw["ST_conf"]})
    pairs = None
    if second_order:
        j, k = np.triu_indices(D, 1)
        pairs = pd.DataFrame({"input_1": [names[i] for i in j], "input_2": [names[i] for i in k], "S2": raw["S2"][j, k], "S2_conf": raw["S2_conf"][j, k]})
    if options["ci_method"] == "bootstrap" and backend == "fast":
        notes.append("Confidence intervals: Poisson bootstrap (equivalent to SALib's bootstrap; different random numbers).")
    elif options["ci_method"] == "asymptotic":
        notes.append("Confidence intervals: asymptotic (delta method) standard errors.")
    elif options["ci_method"] == "replicates":
        notes.append(f"Confidence intervals: Student t across {raw['replicates']} independent {options['sampler']} replicates of "
                     f"{samples // raw['replicates']:,} base rows each (indices from all rows pooled); a bootstrap would treat "
                     "quasi-random or stratified rows as independent and overstate the error.")
    return _ranked(table, "ST"), pairs, raw, output_stats


def _morris(*, model, inputs, names, problem, samples, options, num_resamples, conf_level, sample_seed, analysis_seed, output_name, notes, engine, **_):
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    levels = options["levels"]
    with _salib_call(notes):
        unit = morris_sample.sample(problem, samples, num_levels=levels, optimal_trajectories=options["optimal_trajectories"], local_optimization=options["local_optimization"], seed=sample_seed)
    # grid levels -> centres of `levels` equal-probability bins (never 0 or 1)
    quantiles = (unit * (levels - 1) + 0.5) / levels
    Y = _evaluate(engine, _ModelJob(model, inputs, tuple(names), output_name, True), quantiles)
    with _salib_call(notes):
        raw = morris_analyze.analyze(dict(problem), unit, Y, num_resamples=num_resamples, conf_level=conf_level, num_levels=levels, seed=analysis_seed)
    raw = {key: np.asarray(raw[key], dtype=float) for key in ("mu", "mu_star", "sigma", "mu_star_conf")}
    table = pd.DataFrame({"input": names, **raw})
    notes.append(f"Elementary effects between the {levels} grid levels, placed at the quantiles (level + 0.5)/{levels} of each input; mu* is per unit of the [0, 1] grid.")
    return _ranked(table, "mu_star"), None, raw, _stats(Y)


def _fast(*, model, inputs, names, problem, samples, options, num_resamples, conf_level, sample_seed, analysis_seed, output_name, notes, engine, **_):
    from SALib.analyze import fast as fast_analyze
    from SALib.sample import fast_sampler

    with _salib_call(notes):
        unit = fast_sampler.sample(problem, samples, M=options["M"], seed=sample_seed)
    unit = np.clip(unit, _UNIT_EPS, 1 - _UNIT_EPS)
    Y = _evaluate(engine, _ModelJob(model, inputs, tuple(names), output_name, True), unit)
    with _salib_call(notes):
        raw = fast_analyze.analyze(problem, Y, M=options["M"], num_resamples=num_resamples, conf_level=conf_level, seed=analysis_seed)
    raw = {key: np.asarray(raw[key], dtype=float) for key in ("S1", "S1_conf", "ST", "ST_conf")}
    table = pd.DataFrame({"input": names, **raw})
    return _ranked(table, "ST"), None, raw, _stats(Y)


def _given_data(*, model, inputs, names, problem, samples, options, num_resamples, conf_level, sample_seed, analysis_seed, output_name, given, method, notes, engine, **_):
    from SALib.analyze import delta as delta_analyze
    from SALib.analyze import pawn as pawn_analyze

    if given is None:
        if options["sampler"] == "latin":
            from SALib.sample import latin

            with _salib_call(notes):
                unit = latin.sample(problem, samples, seed=sample_seed)
        else:
            unit = np.random.default_rng(sample_seed).random((samples, len(names)))
        unit = np.clip(unit, _UNIT_EPS, 1 - _UNIT_EPS)
        values = {name: _ppf(inputs[name], unit[:, i], name) for i, name in enumerate(names)}
    else:
        values = given
    matrix = np.column_stack([values[name] for name in names])
    Y = _evaluate(engine, _ModelJob(model, inputs, tuple(names), output_name, False), matrix)
    # rank scale: unit-free, and ties of discrete inputs kept together
    X = _rank_scale(matrix)
    del matrix
    if method == "delta":
        with _salib_call(notes):
            raw = delta_analyze.analyze(problem, X, Y, num_resamples=num_resamples, conf_level=conf_level, seed=analysis_seed)
        raw = dict(raw)
        table = pd.DataFrame({
            "input": names,
            "delta": np.asarray(raw["delta_raw"], dtype=float),
            "delta_conf": np.asarray(raw["delta_raw_conf"], dtype=float),
            "S1": np.asarray(raw["S1"], dtype=float),
            "S1_conf": np.asarray(raw["S1_conf"], dtype=float),
        })
        notes.append("delta = SALib's bias-reduced 'raw' estimate (the sample as drawn); S1 from the same sample by binning.")
        return _ranked(table, "delta"), None, raw, _stats(Y)
    with _salib_call(notes):
        raw = pawn_analyze.analyze(problem, X, Y, S=options["slices"])
    raw = dict(raw)
    columns = ("minimum", "mean", "median", "maximum", "CV", "stdev")
    table = pd.DataFrame({"input": names, **{c: np.asarray(raw[c], dtype=float) for c in columns}})
    notes.append(f"PAWN: Kolmogorov-Smirnov distance over {options['slices']} equal-probability slices of each input; no confidence intervals.")
    return _ranked(table, "median"), None, raw, _stats(Y)
