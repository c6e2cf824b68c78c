"""Uniform designs in blocks: plain Monte Carlo, Latin hypercube, scrambled Sobol'.

Reproducibility contract
------------------------
A run of ``samples`` scenarios is cut into blocks of :data:`BLOCK_SIZE` = 2**16
scenarios; block ``b`` holds scenarios ``[b * BLOCK_SIZE, b * BLOCK_SIZE + length)`` with
``length = min(BLOCK_SIZE, samples - b * BLOCK_SIZE)``. The uniforms of a block depend
only on ``(sampler, seed, b, length, number of inputs)``, never on how blocks are grouped
into chunks, threads or (later) Dask workers, so a seed gives bit-identical samples and
results whatever the chunk size:

- ``"random"``: independent uniforms from ``numpy.random.default_rng(SeedSequence(seed,
  spawn_key=(b, 0)))`` (PCG64), filled row by row, so a shorter block is the prefix of a
  longer one.
- ``"lhs"``: Latin hypercube (McKay, Beckman & Conover 1979) stratified within each block:
  column j is (permutation of 0..length-1 + uniform jitter) / length, from the same
  keyed generator. Only the last, partial block of a run has fewer strata.
- ``"sobol"``: each block is its own scrambled Sobol' sequence (``scipy.stats.qmc.Sobol``,
  32 bits, linear matrix scramble + digital shift seeded by
  ``SeedSequence(seed, spawn_key=(b, 2))``), its first ``length`` points. Blocks are
  thus independent randomised quasi-Monte Carlo replicates, like the Latin hypercube
  blocks: the spread of the block means gives an honest interval for the run's mean
  (a bootstrap or z sd / sqrt(n) would treat the points as independent and overstate
  the error). A block's balance is best when it is full (2**16 points).

Uniforms are strictly inside (0, 1) (a half-step offset), so unbounded inverse CDFs never
return infinities. Iman-Conover correlation (if any) is applied per block with its own
keyed generator ``SeedSequence(seed, spawn_key=(b, 1))``.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ..errors import RoqInputError
from .options import SAMPLERS  # sampler names; in .options so that the roq parser reads them without numpy

__all__ = [
    "BLOCK_SIZE",
    "MAX_SAMPLES",
    "SAMPLERS",
    "block_generator",
    "block_length",
    "block_count",
    "blocks_in_range",
    "uniform_block",
    "check_sampler",
    "check_seed",
]

#: Scenarios per block: the unit of reproducibility (a power of two suits Sobol').
BLOCK_SIZE = 2**16
#: Ceiling on a run's sample count (the documented limit of ``--samples``): 10**15
#: scenarios take about 3 years at 10 million a second; larger counts are refused.
MAX_SAMPLES = 10**15
#: Streams of a block's seed sequence.
UNIFORM_STREAM, CORRELATION_STREAM, SOBOL_STREAM = 0, 1, 2
#: Samplers whose blocks are independent randomised designs (intervals from block replicates).
REPLICATE_SAMPLERS = ("lhs", "sobol")
_SOBOL_BITS = 32


def check_sampler(sampler, argument: str = "sampler") -> str:
    """Return the sampler name, or raise naming ``argument``."""
    if not isinstance(sampler, str) or sampler.lower() not in SAMPLERS:
        from .distributions import closest

        hint = closest(str(sampler).lower(), SAMPLERS) if isinstance(sampler, str) else ""
        raise RoqInputError(argument, f"must be one of {', '.join(SAMPLERS)}, got {sampler!r}{hint}")
    return sampler.lower()


def check_seed(seed, argument: str = "seed") -> int:
    """A seed must be a whole number >= 0."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) and not (isinstance(seed, float) and seed.is_integer()):
        raise RoqInputError(argument, f"must be a whole number >= 0, got {seed!r}")
    if int(seed) < 0:
        raise RoqInputError(argument, f"must be >= 0, got {seed:.6g}")
    return int(seed)


def check_samples(samples, argument: str = "samples", *, minimum: int = 1, maximum: int | None = None, why: str = "") -> int:
    """A sample count must be a whole number between ``minimum`` and ``maximum``
    (default :data:`MAX_SAMPLES`, 10**15: about 3 years at 10 million scenarios a second)."""
    if isinstance(samples, bool) or not isinstance(samples, numbers.Integral) and not (isinstance(samples, float) and samples.is_integer()):
        raise RoqInputError(argument, f"must be a whole number, got {samples!r}")
    if int(samples) < minimum:
        raise RoqInputError(argument, f"must be >= {minimum}, got {int(samples)}")
    maximum = MAX_SAMPLES if maximum is None else maximum
    if int(samples) > maximum:
        shown = f"{samples:.3g}" if isinstance(samples, float) else (f"{int(samples):,}" if int(samples) < 10**30 else f"{float(samples):.3g}")
        limit = "10**15 (about 3 years at 10 million scenarios a second)" if maximum == MAX_SAMPLES else f"{maximum:,}"
        raise RoqInputError(argument, f"at most {limit}{' ' + why if why and maximum != MAX_SAMPLES else ''}, got {shown}")
    return int(samples)


def block_count(samples: int) -> int:
    """Number of blocks of a run of ``samples`` scenarios."""
    return -(-int(samples) // BLOCK_SIZE)


def block_length(block_index: int, samples: int) -> int:
    """Scenarios in block ``block_index`` of a run of ``samples`` scenarios."""
    return max(0, min(BLOCK_SIZE, int(samples) - int(block_index) * BLOCK_SIZE))


def blocks_in_range(start: int, stop: int):
    """Yield ``(block, first, last)``: the blocks overlapping scenarios [start, stop) and the
    slice ``[first, last)`` of each block (block-local positions) that falls in the range."""
    block = start // BLOCK_SIZE
    while block * BLOCK_SIZE < stop:
        offset = block * BLOCK_SIZE
        yield block, max(start, offset) - offset, min(stop, offset + BLOCK_SIZE) - offset
        block += 1


def block_generator(seed: int, block_index: int, stream: int = UNIFORM_STREAM) -> np.random.Generator:
    """PCG64 generator of one block and stream: ``SeedSequence(seed, spawn_key=(block, stream))``."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(block_index), int(stream))))


def uniform_block(sampler: str, seed: int, block_index: int, n_dims: int, size: int = BLOCK_SIZE, *, out: np.ndarray | None = None) -> np.ndarray:
    """Uniforms in (0, 1) of one block, shape ``(size, n_dims)``.

    Parameters
    ----------
    sampler : {"random", "lhs", "sobol"}
    seed : int
        Run seed (>= 0).
    block_index : int
        b >= 0; the block holds scenarios from ``b * BLOCK_SIZE``.
    n_dims : int
        Number of uncertain inputs (columns, in scenario order).
    size : int
        Block length, at most :data:`BLOCK_SIZE` (shorter only for a run's last block).
    out : ndarray, optional
        A C-contiguous float array of shape ``(size, n_dims)`` that the ``random``
        sampler fills in place (the same numbers; it saves a fresh allocation per block).

    Returns
    -------
    ndarray of float, shape (size, n_dims)

    Examples
    --------
    The same block is the same numbers however it is requested:

    >>> a = uniform_block("lhs", 7, 3, 2)
    >>> b = uniform_block("lhs", 7, 3, 2)
    >>> bool((a == b).all()), a.shape
    (True, (65536, 2))
    """
    sampler = check_sampler(sampler)
    if not 0 < size <= BLOCK_SIZE:
        raise RoqInputError("size", f"must be between 1 and {BLOCK_SIZE}, got {size}")
    if n_dims == 0:
        return np.empty((size, 0))
    if sampler == "sobol":
        return _sobol_block(seed, block_index, n_dims, size)
    rng = block_generator(seed, block_index)
    if sampler == "random":
        # random() is k / 2**53; + 2**-54 is exact and keeps u inside (0, 1)
        if out is not None and out.shape == (size, n_dims):
            rng.random(out=out)
            out += 2.0**-54
            return out
        return rng.random((size, n_dims)) + 2.0**-54
    jitter = rng.random((size, n_dims)) + 2.0**-54
    out = np.empty((size, n_dims))
    for j in range(n_dims):
        out[:, j] = (rng.permutation(size) + jitter[:, j]) / size
    return out


def _sobol_block(seed: int, block_index: int, n_dims: int, size: int) -> np.ndarray:
    from scipy.stats import qmc

    engine = qmc.Sobol(n_dims, scramble=True, bits=_SOBOL_BITS, rng=block_generator(seed, block_index, SOBOL_STREAM))
    with warnings.catch_warnings():
        # partial blocks are not powers of two; the balance caveat is documented above
        warnings.simplefilter("ignore", UserWarning)
        points = engine.random(size)
    # points are multiples of 2**-32 in [0, 1); the half step centres them inside (0, 1)
    return points + 2.0 ** -(_SOBOL_BITS + 1)
