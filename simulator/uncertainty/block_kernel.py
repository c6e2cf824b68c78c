"""The fused Monte Carlo block kernel: uniforms -> inverse CDFs -> both arms -> NPVs, ROQ -> partial summary.

The numpy path of :mod:`.montecarlo` evaluates a block in many whole-array passes (one per
inverse CDF step, per model operation and per year, per statistic), each reading and
writing 65,536-value temporaries. This kernel (numba, :func:`_numba_block.fused_blocks`)
works a block in tiles of 512 scenarios that stay in cache from draw to statistic: the
uniforms (drawn in the kernel from the block's PCG64 stream, the same numbers as numpy's,
under the random sampler without correlations; else from :mod:`.samplers`), the inputs'
inverse CDFs (uniform, triangular, the tabulated PERT/beta inverse with its tail tables;
other families by numpy beforehand), the model for both arms (the year recursion below 8
years, the closed-form sums from 8, operation for operation as
:func:`simulator.roq.evaluate`) and the running partial summary (count, mean, M2 by
pairwise merges, extremes, threshold counts and the log-bucket sketch of
:func:`~.statistics.summarise_block`, the same buckets), without the GIL, so the local
engine's threads run blocks in parallel. Nothing of a block's size is in memory unless
the block is kept (block 0, exact percentiles, exports), and a kept block's numbers are
the same. A run calls the kernel once per unit of up to 8 blocks
(:meth:`BlockRunner.run_unit`; each block keeps its own seed-keyed stream) and folds the
blocks' packed statistics in order with a compiled merge (:class:`KernelFold`), so the
Python between kernel calls (300-400 us a block when it was per block) is paid once a unit.

Paths
-----
``"numba"`` needs numba (a dependency wherever its wheels exist; not in xlwings Lite's
Pyodide) and a scenario in the kernel's model family (:func:`plan_for`: scalar inputs,
constant market growth, retention given or from the satisfaction mix, no survey chain,
no per-year outputs); ``"numpy"`` is the vectorised path, always available. ``"auto"``
(the default) takes numba when both hold and the run has at least
:data:`AUTO_MIN_SAMPLES` scenarios. The paths agree to rounding (1e-12 relative on
every output, tested), and on each path a seed gives bit-identical results for any chunk
size, thread count and engine; the path a run took is in its provenance.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..errors import RoqInputError

__all__ = ["KERNELS", "check_kernel", "numba_available", "plan_for", "choose_kernel", "KernelPlan", "describe_kernel"]

#: Kernel paths a run can be asked to take.
KERNELS = ("auto", "numba", "numpy")
#: Environment variable that sets the default path (``numpy`` turns the compiled kernel off).
KERNEL_ENVIRONMENT = "ROQ_KERNEL"
#: ``auto`` takes numba for runs of at least this many scenarios: below it, loading the
#: compiled kernel (about 1.5 s per process: numba's import and its on-disk cache) costs
#: more than it saves (benchmarks/montecarlo_throughput.py prints both).
AUTO_MIN_SAMPLES = 2**24

FAMILY_CODES = {"uniform": 1, "triangular": 2, "pert": 3, "beta": 3}
OUTPUT_CODES = {name: code for code, name in enumerate((
    "npv_with_programme", "npv_without_programme", "npv_programme_cost", "npv_gain", "npv_net", "roq", "roq_net",
    "final_market_share", "final_market_share_without_programme", "retention", "baseline_retention"))}
INPUT_SLOTS = ("market_size", "market_growth", "churn", "competitor_retention", "competitor_switching", "attraction", "initial_share",
               "retention", "baseline_retention", "satisfied_share", "delighted_share", "repurchase_dissatisfied",
               "repurchase_satisfied", "repurchase_delighted", "baseline_satisfied_share", "baseline_delighted_share",
               "baseline_market_share", "margin", "discount_rate", "initial_cost", "annual_cost")
_REQUIRED = ("market_size", "market_growth", "churn", "attraction", "initial_share", "margin", "discount_rate", "initial_cost", "annual_cost")

_numba_state: dict = {}


def numba_available() -> bool:
    """True when numba imports here (cached; the import costs about 0.5 s, paid on first use)."""
    if "ok" not in _numba_state:
        try:
            from . import _numba_block  # noqa: F401  (compiles lazily, loads the on-disk cache)

            _numba_state["ok"] = True
        except Exception as error:  # ImportError, or a numba that does not match this numpy
            _numba_state["ok"] = False
            _numba_state["why"] = f"{type(error).__name__}: {error}"
    return _numba_state["ok"]


def numba_version() -> str:
    """The installed numba's version string (imports numba: call only on the numba path)."""
    import numba

    return numba.__version__


def check_kernel(kernel, argument: str = "kernel") -> str:
    """``kernel`` as one of :data:`KERNELS` (None: the ``ROQ_KERNEL`` environment variable, else auto)."""
    if kernel is None:
        kernel = os.environ.get(KERNEL_ENVIRONMENT) or "auto"
        argument = KERNEL_ENVIRONMENT if os.environ.get(KERNEL_ENVIRONMENT) else argument
    if not isinstance(kernel, str) or kernel.strip().lower() not in KERNELS:
        raise RoqInputError(argument, f"must be one of {', '.join(KERNELS)}, got {kernel!r}")
    return kernel.strip().lower()


@dataclass(frozen=True, eq=False)
class KernelPlan:
    """How one scenario's blocks map onto the compiled kernel (built by :func:`plan_for`)."""

    names: tuple  # uncertain inputs, in sampling order
    codes: np.ndarray  # per input: family code (0: inverse CDF by numpy)
    parameters: np.ndarray  # per input: (low, high), (low, mode, high, split) or (low, high, 1/alpha, 1/beta)
    tables: np.ndarray  # stacked beta inverse-CDF tables (the body: four cubic coefficients a cell, flat)
    table_of: np.ndarray
    tail_index: np.ndarray  # per input: (low, high) table indices outside which the tail tables are used
    tail_tables: np.ndarray  # stacked (lower, upper) tail tables
    sources: np.ndarray  # per input slot: row of the sampled inputs, or -1
    constants: np.ndarray  # per input slot: the base value (NaN if unused)
    modes: np.ndarray
    horizon: int
    output_codes: np.ndarray

    def sampled_inputs(self, scenario, u: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
        """Inverse CDFs of one block's uniforms (n, D): the sampled inputs as rows (D, n)."""
        from . import _numba_block

        n, dims = u.shape
        values = self.numpy_rows(scenario, u, np.empty((dims, n)) if out is None else out)
        _numba_block.inverse_cdfs(u, self.codes, self.parameters, self.tables, self.table_of, self.tail_index, self.tail_tables, values)
        return values

    def numpy_rows(self, scenario, u: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``values`` (D, n) with the rows of the inputs whose inverse CDF numpy computes
        (code 0: normal, lognormal, ...) filled from the uniforms ``u`` (n, D)."""
        for j, name in enumerate(self.names):
            if self.codes[j] == 0:
                values[j] = scenario.uncertain[name].ppf(u[:, j])
        return values

    def draws_in_kernel(self, scenario, sampler: str) -> bool:
        """True when the kernel can draw the block itself: random sampler, no rank
        correlations, every inverse CDF compiled."""
        return sampler == "random" and scenario.correlation is None and bool(np.all(self.codes != 0))

    def outputs(self, values: np.ndarray, output_codes: np.ndarray | None = None, *, out: np.ndarray | None = None) -> np.ndarray:
        """The model on sampled inputs (D, n): requested outputs as rows (K, n)."""
        from . import _numba_block

        codes = self.output_codes if output_codes is None else output_codes
        out = np.empty((codes.size, values.shape[1])) if out is None else out
        _numba_block.model_outputs(values, self.sources, self.constants, self.modes, self.horizon, codes, out)
        return out


def pcg64_words(generator: np.random.Generator) -> np.ndarray:
    """A PCG64 Generator's stream as the kernel draws it: state and increment, (high, low) words."""
    if not isinstance(generator.bit_generator, np.random.PCG64):  # pragma: no cover - block_generator is PCG64
        raise TypeError("the kernel draws PCG64 streams only")
    state = generator.bit_generator.state["state"]
    mask = (1 << 64) - 1
    return np.array([state["state"] >> 64, state["state"] & mask, state["inc"] >> 64, state["inc"] & mask], np.uint64)


def _uint32_words(value: int) -> list:
    """A whole number >= 0 as uint32 words, lowest first (numpy's _int_to_uint32_array)."""
    words = [value & 0xFFFFFFFF]
    value >>= 32
    while value:
        words.append(value & 0xFFFFFFFF)
        value >>= 32
    return words


def seed_entropy(seed: int) -> np.ndarray:
    """A run seed as :func:`_numba_block.block_state` takes it: its uint32 words, lowest
    first, zero-padded to 4 (SeedSequence's entropy when a spawn key follows)."""
    words = _uint32_words(int(seed))
    return np.array(words + [0] * max(0, 4 - len(words)), np.uint64)


def block_stream_words(seed: int, block_index: int, stream: int = 0) -> np.ndarray:
    """``pcg64_words(samplers.block_generator(seed, block_index, stream))`` without making
    the SeedSequence and Generator (30 us a block, with the GIL held): SeedSequence's
    entropy assembled and mixed (:func:`_numba_block.seed_sequence_words`), then PCG64's
    seeding, state = ((inc + initstate) a + inc) mod 2^128 with inc = 2 initseq + 1
    (pcg64_set_seed, M. E. O'Neill's pcg_setseq_128_srandom_r). Tested equal to numpy's."""
    from . import _numba_block

    entropy = _uint32_words(int(seed))
    assembled = entropy + [0] * max(0, 4 - len(entropy)) + _uint32_words(int(block_index)) + _uint32_words(int(stream))
    halves = _numba_block.seed_sequence_words(np.array(assembled, np.uint64))
    words = [int(halves[2 * k]) | (int(halves[2 * k + 1]) << 32) for k in range(4)]  # little-endian uint32 pairs
    initial_state, initial_sequence = (words[0] << 64) | words[1], (words[2] << 64) | words[3]
    mask = (1 << 128) - 1
    increment = ((initial_sequence << 1) | 1) & mask
    state = (((increment + initial_state) & mask) * _numba_block.PCG64_MULTIPLIER + increment) & mask
    return np.array([state >> 64, state & ((1 << 64) - 1), increment >> 64, increment & ((1 << 64) - 1)], np.uint64)


#: The longest horizon the kernel's closed form takes (2**_numba_block.POWER_BITS - 1; the
#: model itself stops at simulator.roq.MAX_HORIZON, 100).
KERNEL_MAX_HORIZON = 127


def plan_for(scenario, outputs, value_inputs: tuple | None = None) -> tuple[KernelPlan | None, str]:
    """The kernel plan of a scenario, or ``(None, why)`` when it lies outside the kernel's model family.

    ``value_inputs``: names of inputs passed as values (the sensitivity path: SALib's samples,
    already through their inverse CDFs); default the uncertain inputs, sampled by the kernel.
    """
    if scenario.chain is not None:
        return None, "the scenario has a survey chain"
    base = scenario.parameters()
    outside = [name for name in scenario.uncertain if name not in INPUT_SLOTS]
    if outside:
        return None, f"uncertain input {outside[0]} is outside the kernel's model family"
    extra = sorted(set(base) - set(INPUT_SLOTS) - {"horizon", "satisfied_share_convention"})
    if extra:
        return None, f"input {extra[0]} is outside the kernel's model family"
    for name in _REQUIRED:
        if name not in base:
            return None, f"input {name} is not given"
    if any(np.ndim(value) != 0 for name, value in base.items() if name not in scenario.uncertain and name != "satisfied_share_convention"):
        return None, "an input is an array"
    unknown_outputs = [name for name in outputs if name not in OUTPUT_CODES]
    if unknown_outputs:
        return None, f"output {unknown_outputs[0]} is per year"
    given = set(base)
    if "competitor_switching" in given and "competitor_retention" in given:
        return None, "competitor inputs conflict"
    competitor_mode = 1 if "competitor_switching" in given else 0
    if competitor_mode == 0 and "competitor_retention" not in given:
        return None, "no competitor input"
    mix = ("repurchase_dissatisfied", "repurchase_satisfied", "repurchase_delighted")
    if "retention" in given:
        with_mode = 0
    elif {"satisfied_share", "delighted_share", *mix} <= given:
        with_mode = 1
    else:
        return None, "no retention with the programme"
    if "baseline_retention" in given:
        without_mode = 0
    elif {"baseline_satisfied_share", "baseline_delighted_share", *mix} <= given:
        without_mode = 1
    elif "baseline_market_share" in given:
        without_mode = 2
    else:
        return None, "no arm without the programme"
    convention = 1 if base.get("satisfied_share_convention", "satisfied_or_delighted") == "satisfied_only" else 0
    names = tuple(scenario.uncertain) if value_inputs is None else tuple(value_inputs)
    if any(name not in INPUT_SLOTS for name in names):
        return None, "an input is outside the kernel's model family"
    dims = len(names)
    codes = np.zeros(dims, np.int64)
    parameters = np.zeros((dims, 4))
    tail_index = np.zeros((dims, 2), np.int64)
    table_of = np.zeros(dims, np.int64)
    tables, tail_tables = [], []
    for j, name in enumerate(names):
        if value_inputs is not None:
            continue  # values, not uniforms: code 0
        distribution = scenario.uncertain[name]
        code = FAMILY_CODES.get(distribution.family, 0)
        codes[j] = code
        if code == 1:
            parameters[j, :2] = distribution.low, distribution.high
        elif code == 2:
            parameters[j] = distribution.low, distribution.mode, distribution.high, distribution._split
        elif code == 3:
            parameters[j] = distribution.low, distribution.high, 1.0 / distribution.alpha, 1.0 / distribution.beta
            table_of[j] = len(tables)
            tables.append((distribution._table if distribution._table is not None else distribution._build_table()).reshape(-1))
            tail_tables.append(distribution._tail_tables)
            tail_index[j] = distribution._tail_index
    sources = np.full(len(INPUT_SLOTS), -1, np.int64)
    constants = np.full(len(INPUT_SLOTS), math.nan)
    for s, name in enumerate(INPUT_SLOTS):
        if name in names:
            sources[s] = names.index(name)
        elif name in base:
            constants[s] = float(base[name])
    horizon = int(base["horizon"])
    if horizon > KERNEL_MAX_HORIZON:
        return None, f"the horizon is beyond the kernel's {KERNEL_MAX_HORIZON} years"
    plan = KernelPlan(names=names, codes=codes, parameters=parameters,
                      tables=np.stack(tables) if tables else np.zeros((1, 2)), table_of=table_of, tail_index=tail_index,
                      tail_tables=np.stack(tail_tables) if tail_tables else np.zeros((1, 2, 2)),
                      sources=sources, constants=constants, modes=np.array([competitor_mode, with_mode, without_mode, convention], np.int64),
                      horizon=horizon, output_codes=np.array([OUTPUT_CODES[name] for name in outputs], np.int64))
    return plan, ""


def model_function(scenario, output: str, kernel=None, evaluations: int | None = None):
    """The scenario's model as ``f(inputs) -> 1-D array`` on the compiled kernel, or None
    (then :meth:`Scenario.model_function` uses numpy): for ``kernel="numba"``, or under
    ``auto`` when ``evaluations`` (the model calls a sensitivity run makes) reach
    :data:`AUTO_MIN_SAMPLES`. The kernel's model outputs are those of
    :func:`simulator.roq.evaluate`, operation for operation."""
    name, _, _ = choose_kernel(kernel, scenario, (output,), samples=evaluations)
    if name != "numba":
        return None
    plans: dict = {}

    def model(inputs) -> np.ndarray:
        names = tuple(inputs)
        if names not in plans:
            plans[names] = plan_for(scenario, (output,), value_inputs=names)[0]
        plan = plans[names]
        if plan is None:  # pragma: no cover - the same family check passed for the scenario's own inputs
            raise RoqInputError("inputs", f"{', '.join(names)} are outside the kernel's model family")
        length = max((np.size(v) for v in inputs.values()), default=1)
        values = np.empty((len(names), length))
        for j, key in enumerate(names):
            values[j] = inputs[key]
        return plan.outputs(values)[0]

    model.__name__ = f"{scenario.name or 'scenario'}:{output}"
    return model


def choose_kernel(kernel, scenario, outputs, path_outputs=(), samples: int | None = None) -> tuple[str, KernelPlan | None, str]:
    """The path a run takes: ``(name, plan, why not numba)``; refuses ``numba`` where it cannot run.

    ``auto`` depends only on the run's settings (sample count, scenario, outputs) and on
    numba being installed, never on what ran before in the process, so a run's numbers
    are the same in every process of the same installation.
    """
    kernel = check_kernel(kernel)
    if kernel == "numpy":
        return "numpy", None, "asked for"
    why = ""
    plan = None
    if kernel == "auto" and samples is not None and samples < AUTO_MIN_SAMPLES:
        why = f"runs of fewer than {AUTO_MIN_SAMPLES:,} scenarios take numpy under auto"
    elif path_outputs:
        why = "per-year outputs are summarised"
    elif not numba_available():
        why = f"numba is not available ({_numba_state.get('why', '')})"
    else:
        plan, why = plan_for(scenario, outputs)
    if plan is None:
        if kernel == "numba":
            raise RoqInputError("kernel", f"numba cannot run this run: {why}; use auto or numpy")
        return "numpy", None, why
    return "numba", plan, ""


def describe_kernel(name: str) -> str:
    """The path as provenance prints it: ``numba 0.68.1`` or ``numpy``."""
    return f"numba {numba_version()}" if name == "numba" else "numpy"


def block_partial(statistics, names: tuple, thresholds: dict, relative_accuracy: float, min_magnitude: float) -> dict:
    """A partial summary (as :func:`~.statistics.summarise_block` returns it) from the kernel's arrays."""
    count, nonfinite, mean, m2, low, high, exceed, offset, starts, counts, sums, squares = statistics
    outputs = {}
    for k, name in enumerate(names):
        summary = {"count": int(count[k]), "nonfinite": int(nonfinite[k]),
                   "exceed": {float(t): int(exceed[k, i]) for i, t in enumerate(thresholds.get(name, ()))}}
        if count[k] == 0:
            summary.update(mean=0.0, m2=0.0, min=math.inf, max=-math.inf, offset=0, counts=np.zeros(0, np.int64), sums=np.zeros(0), squares=np.zeros(0))
        else:
            a, b = starts[k], starts[k + 1]
            summary.update(mean=float(mean[k]), m2=float(m2[k]), min=float(low[k]), max=float(high[k]), offset=int(offset[k]),
                           counts=counts[a:b], sums=sums[a:b], squares=squares[a:b])
        outputs[name] = summary
    return {"relative_accuracy": float(relative_accuracy), "min_magnitude": float(min_magnitude), "outputs": outputs}


def _threshold_table(names: tuple, thresholds: dict) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds as the kernel takes them: a (K, most) table and the count per output."""
    most = max((len(thresholds.get(name, ())) for name in names), default=0)
    table = np.zeros((len(names), max(most, 1)))
    counts = np.zeros(len(names), np.int64)
    for k, name in enumerate(names):
        values = thresholds.get(name, ())
        counts[k] = len(values)
        table[k, :len(values)] = values
    return table, counts


_local = threading.local()


def _buffer(name: str, shape: tuple, dtype=float) -> np.ndarray:
    """A per-thread scratch array, reused block after block: fresh multi-megabyte arrays
    cost a page fault per 4 kB on first touch, more than the kernel's own work."""
    buffers = _local.__dict__.setdefault("buffers", {})
    array = buffers.get(name)
    if array is None or array.shape != shape or array.dtype != dtype:
        array = buffers[name] = np.empty(shape, dtype)
    return array


class BlockStatistics(NamedTuple):
    """Consecutive blocks' statistics as the kernel packs them (:func:`_numba_block.fused_blocks`:
    per block and output, counts, mean, M2, extremes, thresholds, buckets), without partial
    dicts: :class:`KernelFold` folds them in place, :meth:`partial` makes one block's dict."""

    names: tuple
    thresholds: dict
    relative_accuracy: float
    min_magnitude: float
    arrays: tuple

    @property
    def blocks(self) -> int:
        """How many blocks the pack holds."""
        return self.arrays[0].shape[0]

    def partial(self, block: int = 0) -> dict:
        """One block's partial summary (as :func:`~.statistics.summarise_block` returns it)."""
        finite, nonfinite, mean, m2, low, high, exceed, offset, starts, counts, sums, squares = self.arrays
        k_outputs = len(self.names)
        bounds = starts[block * k_outputs:(block + 1) * k_outputs + 1]
        return block_partial((finite[block], nonfinite[block], mean[block], m2[block], low[block], high[block], exceed[block], offset[block],
                              bounds - bounds[0], counts[bounds[0]:bounds[-1]], sums[bounds[0]:bounds[-1]], squares[bounds[0]:bounds[-1]]),
                             self.names, self.thresholds, self.relative_accuracy, self.min_magnitude)

    def means(self, name: str) -> list:
        """Each block's mean of one output (NaN where a block has no finite value)."""
        k = self.names.index(name)
        finite, mean = self.arrays[0][:, k], self.arrays[2][:, k]
        return [float(m) if c else math.nan for c, m in zip(finite, mean)]


class KernelFold:
    """The left fold of a run's block statistics (:func:`~.statistics.merge_two`'s, block
    after block), compiled and in place (:func:`_numba_block.fold_blocks`): 4-9 us a block
    of three outputs against merge_two's 50-100. :meth:`partial` gives the merged partial dict; it is
    merge_two's fold to the bit for runs below 1.4e11 scenarios (beyond, the last bit of
    M2 may differ), on every engine and thread count alike."""

    def __init__(self, names: tuple, thresholds: dict, relative_accuracy: float, min_magnitude: float):
        from . import _numba_block

        self.names, self.thresholds = tuple(names), thresholds
        self.relative_accuracy, self.min_magnitude = float(relative_accuracy), float(min_magnitude)
        most = max((len(thresholds.get(name, ())) for name in self.names), default=0)
        self._state = _numba_block.empty_fold(len(self.names), max(most, 1))
        self.count = 0  # blocks folded

    def add(self, statistics: BlockStatistics, begin: int = 0, end: int | None = None) -> None:
        """Fold blocks ``begin`` .. ``end - 1`` of a pack, in order."""
        from . import _numba_block

        end = statistics.blocks if end is None else end
        self._state = _numba_block.fold_blocks(self._state, statistics.arrays, begin, end)
        self.count += end - begin

    def partial(self) -> dict:
        """The merged partial so far (a new dict with its own arrays)."""
        count, nonfinite, exceed, mean, m2, low, high, window_low, window_high, origin, counts, sums, squares = self._state
        outputs = {}
        for k, name in enumerate(self.names):
            a, b = window_low[k] - origin[k], window_high[k] - origin[k]
            outputs[name] = {"count": int(count[k]), "nonfinite": int(nonfinite[k]),
                             "exceed": {float(t): int(exceed[k, i]) for i, t in enumerate(self.thresholds.get(name, ()))},
                             "mean": float(mean[k]), "m2": float(m2[k]), "min": float(low[k]), "max": float(high[k]), "offset": int(window_low[k]),
                             "counts": counts[k, a:b].copy(), "sums": sums[k, a:b].copy(), "squares": squares[k, a:b].copy()}
        return {"relative_accuracy": self.relative_accuracy, "min_magnitude": self.min_magnitude, "outputs": outputs}


@dataclass(frozen=True, eq=False)
class BlockRunner:
    """A run's blocks on the compiled kernel: what is the same for every block (the plan,
    the threshold table, the sketch geometry, whether the kernel draws) made once, so a
    block costs the kernel call and little else. Pickles (a Dask task's context)."""

    plan: KernelPlan
    scenario: object
    sampler: str
    outputs: tuple
    thresholds: dict
    relative_accuracy: float
    min_magnitude: float
    draws: bool = False
    threshold_table: np.ndarray = None
    threshold_counts: np.ndarray = None
    inverse_log_gamma: float = 0.0
    key_min: int = 0

    @classmethod
    def make(cls, plan: KernelPlan, scenario, sampler: str, outputs: tuple, thresholds: dict, relative_accuracy: float,
             min_magnitude: float) -> "BlockRunner":
        """The runner of one run's settings."""
        from .statistics import _geometry

        geometry = _geometry(relative_accuracy, min_magnitude)
        table, counts = _threshold_table(outputs, thresholds)
        return cls(plan=plan, scenario=scenario, sampler=sampler, outputs=tuple(outputs), thresholds=thresholds,
                   relative_accuracy=float(relative_accuracy), min_magnitude=float(min_magnitude), draws=plan.draws_in_kernel(scenario, sampler),
                   threshold_table=table, threshold_counts=counts, inverse_log_gamma=float(geometry.inverse_log_gamma), key_min=int(geometry.key_min))

    def run(self, block_index: int, length: int, seed: int, keep: bool = False) -> tuple:
        """One block: ``(BlockStatistics, inputs, outputs)``; the inputs (D, n) and outputs
        (K, n) only with ``keep`` (block 0, exact percentiles, exports), else None. Without
        them the block's numbers live tile by tile in cache; kept or not, the statistics are
        the same to the bit."""
        from . import _numba_block

        plan = self.plan
        dims, k_outputs = len(plan.names), plan.output_codes.size
        if self.draws:  # the kernel draws the block from its own stream
            entropy, u, values = seed_entropy(seed), _empty_rows(0, dims), _empty_rows(dims)
        else:
            entropy = _NO_STATE
            u = self.scenario.uniform_block(block_index, length, seed, self.sampler, out=_buffer("uniforms", (length, dims)))
            values = plan.numpy_rows(self.scenario, u, _buffer("inputs", (dims, length))) if (plan.codes == 0).any() else _empty_rows(dims)
        keep_inputs = np.empty((dims, length)) if keep else _empty_rows(dims)
        keep_outputs = np.empty((k_outputs, length)) if keep else _empty_rows(k_outputs)
        statistics = self._kernel(block_index, [length], entropy, u, values, keep_inputs, keep_outputs)
        return (statistics, keep_inputs, keep_outputs) if keep else (statistics, None, None)

    def run_unit(self, first_block: int, lengths, seed: int) -> BlockStatistics:
        """Consecutive blocks in one kernel call, the kernel drawing each (``draws`` must
        hold; nothing kept): their packed statistics, the same to the bit as :meth:`run`'s
        block by block."""
        dims, k_outputs = len(self.plan.names), self.plan.output_codes.size
        return self._kernel(first_block, lengths, seed_entropy(seed), _empty_rows(0, dims), _empty_rows(dims), _empty_rows(dims), _empty_rows(k_outputs))

    def _kernel(self, first_block, lengths, entropy, u, values, keep_inputs, keep_outputs) -> BlockStatistics:
        from . import _numba_block

        plan = self.plan
        arrays = _numba_block.fused_blocks(int(first_block), np.asarray(lengths, np.int64), entropy, u, values, plan.codes, plan.parameters,
                                           plan.tables, plan.table_of, plan.tail_index, plan.tail_tables, plan.sources, plan.constants, plan.modes,
                                           plan.horizon, plan.output_codes, self.threshold_table, self.threshold_counts, self.inverse_log_gamma,
                                           self.key_min, keep_inputs, keep_outputs)
        return self._pack(arrays)

    def _pack(self, arrays) -> BlockStatistics:
        return BlockStatistics(self.outputs, self.thresholds, self.relative_accuracy, self.min_magnitude, arrays)

    def fold(self) -> KernelFold:
        """An empty running merge of this run's blocks."""
        return KernelFold(self.outputs, self.thresholds, self.relative_accuracy, self.min_magnitude)


_warmed: set = set()
#: Seconds of warming up after which :func:`warm_kernel` says the kernel is being compiled
#: (a load from the cache takes about 0.4 s; a compile about a minute).
COMPILE_NOTICE_SECONDS = 3.0


def warm_kernel(runner: BlockRunner, notice=None) -> None:
    """Compile the kernel for this machine (its first use: about a minute, once per numba
    version; numba keeps the machine code on disk) or load it (about 0.4 s), by
    running one scenario through it and folding it, before a run starts its clock. If that
    takes over :data:`COMPILE_NOTICE_SECONDS`, ``notice(text)`` says why the run is slow to
    start (a silent minute looks like a hang)."""
    if "done" in _warmed:
        return
    timer = None
    if notice is not None:
        timer = threading.Timer(COMPILE_NOTICE_SECONDS, notice, ("roq: compiling the Monte Carlo kernel for this machine (its first use: "
                                                                  "about a minute, once; later runs load it in seconds) ...",))
        timer.daemon = True
        timer.start()
    try:
        runner.fold().add(runner.run_unit(0, [1], 0))
    finally:
        if timer is not None:
            timer.cancel()
    _warmed.add("done")


def run_block(plan: KernelPlan, scenario, block_index: int, length: int, seed: int, sampler: str, outputs: tuple, thresholds: dict,
              relative_accuracy: float, min_magnitude: float, keep: bool = False):
    """One block on the compiled kernel (:func:`_numba_block.fused_blocks`): ``(partial, inputs, outputs)``.

    The inputs (D, n) and outputs (K, n) are kept only with ``keep``, else None (see
    :meth:`BlockRunner.run`, which a run uses: it makes this call's settings once).
    """
    runner = BlockRunner.make(plan, scenario, sampler, outputs, thresholds, relative_accuracy, min_magnitude)
    statistics, inputs, values = runner.run(block_index, length, seed, keep)
    return statistics.partial(), inputs, values


_NO_STATE = np.zeros(0, np.uint64)


def _empty_rows(rows: int, columns: int = 0) -> np.ndarray:
    return np.empty((rows, columns))
