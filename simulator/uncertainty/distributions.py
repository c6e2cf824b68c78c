"""Probability distributions for uncertain model inputs, each with a vectorised inverse CDF.

Every distribution here is "anything with a vectorised ``.ppf(u)``": sampling is uniforms
in (0, 1) -> ``ppf``, so the same objects serve plain Monte Carlo, Latin hypercube and
Sobol' sampling (:mod:`simulator.uncertainty.samplers`), Iman-Conover rank correlation
(:mod:`simulator.uncertainty.correlation`) and SALib sensitivity analysis, which maps its
own unit-hypercube designs through ``ppf``.

Each distribution also exposes its analytic ``mean`` and ``variance``, its ``support``
(lowest and highest value it can produce), a one-line ``describe()`` and ``to_spec()``
(the TOML/dict form it was built from). :func:`distribution_from_spec` builds one from a
scenario-file table such as ``{"distribution": "pert", "min": 0.05, "mode": 0.07,
"max": 0.144}`` and raises :class:`~simulator.errors.RoqInputError` naming the key path
(``uncertain.market_growth.max``) on anything it cannot accept.

Families (parameters as written in a scenario file):

==============  ====================================================================
``uniform``     ``min``, ``max``
``triangular``  ``min``, ``mode``, ``max``
``pert``        ``min``, ``mode``, ``max``, optional ``lambda`` (default 4): beta-PERT
``normal``      ``mean``, ``sd``
``truncnormal`` ``mean``, ``sd`` of the parent normal, ``min`` and/or ``max``
``lognormal``   ``mean``, ``sd`` of the variable itself, or ``mu``, ``sigma`` of its log
``beta``        ``alpha``, ``beta``, optional ``min``/``max`` (default 0 and 1)
``discrete``    ``values`` (+ optional ``weights``), or ``file`` + ``column``
                (+ optional ``weights_column``) of a CSV file; alias ``empirical``
==============  ====================================================================

Any table may also carry a free-text ``note`` (where the numbers come from).
"""

from __future__ import annotations

import difflib
import math
import numbers
from pathlib import Path
from typing import Mapping

import numpy as np
from scipy import special

from .._validate import closest  # noqa: F401 (re-exported: scenario.py imports it from here)
from ..errors import RoqInputError

__all__ = [
    "Distribution",
    "Uniform",
    "Triangular",
    "Pert",
    "Normal",
    "TruncatedNormal",
    "LogNormal",
    "Beta",
    "Discrete",
    "DISTRIBUTIONS",
    "distribution_from_spec",
]


class Distribution:
    """Base class: a univariate distribution sampled through its inverse CDF.

    Subclasses set :attr:`family`, fill :attr:`parameters` (name -> value, as written in
    a scenario file) and implement :meth:`ppf`, :attr:`mean`, :attr:`variance` and
    :attr:`support`.

    Attributes
    ----------
    family : str
        Name used in scenario files (``"pert"``).
    parameters : dict
        The defining parameters (floats, or lists for ``discrete``).
    support_open : tuple of bool
        Whether the lower/upper end of :attr:`support` is never reached (lognormal's 0).
    bound_keys : tuple of str
        Spec keys that set the lower and upper end of the support (for error messages).
    note : str
        Free text from the spec (source of the numbers), or ``""``.
    """

    family = ""
    support_open = (False, False)
    bound_keys = ("min", "max")

    def __init__(self):
        self.parameters: dict = {}
        self.note = ""

    # --- interface ---------------------------------------------------------------------
    def ppf(self, u) -> np.ndarray:  # pragma: no cover - abstract
        """Inverse CDF at probabilities ``u`` (array_like in [0, 1]); same shape as ``u``."""
        raise NotImplementedError

    @property
    def mean(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def variance(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def support(self) -> tuple[float, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- shared ------------------------------------------------------------------------
    @property
    def std(self) -> float:
        """Standard deviation, sqrt(variance)."""
        return math.sqrt(self.variance)

    @property
    def median(self) -> float:
        """ppf(0.5)."""
        return float(self.ppf(np.array([0.5]))[0])

    def quantile(self, q) -> np.ndarray | float:
        """Alias of :meth:`ppf` that returns a float for a scalar ``q``."""
        value = self.ppf(np.atleast_1d(np.asarray(q, dtype=float)))
        return float(value[0]) if np.ndim(q) == 0 else value

    def sample(self, size: int, seed=None) -> np.ndarray:
        """``size`` independent draws, ``ppf`` of uniforms from ``numpy.random.default_rng(seed)``."""
        return self.ppf(_open_uniforms(np.random.default_rng(seed), size))

    def describe(self) -> str:
        """One line, e.g. ``"PERT(min=0.05, mode=0.07, max=0.144)"``."""
        inner = ", ".join(f"{k}={_fmt(v)}" for k, v in self.parameters.items())
        return f"{self._label()}({inner})"

    def to_spec(self) -> dict:
        """The scenario-file table that rebuilds this distribution."""
        spec = {"distribution": self.family, **self.parameters}
        if self.note:
            spec["note"] = self.note
        return spec

    def _label(self) -> str:
        return self.family

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and _same(self.parameters, other.parameters)

    __hash__ = None


def _same(a, b) -> bool:
    if a.keys() != b.keys():
        return False
    return all(np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a)


def _fmt(value) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
        shown = ", ".join(_fmt(v) for v in items[:5])
        return f"[{shown}{', ...' if len(items) > 5 else ''}] ({len(items)} values)" if len(items) > 5 else f"[{shown}]"
    if isinstance(value, str):
        return repr(value)
    return f"{value:.6g}"


def _open_uniforms(rng: np.random.Generator, size) -> np.ndarray:
    # random() returns k / 2**53; adding 2**-54 is exact and keeps u strictly inside (0, 1)
    return rng.random(size) + 2.0**-54


def _as_u(u) -> np.ndarray:
    return np.asarray(u, dtype=float)


# --- continuous families ----------------------------------------------------------------


class Uniform(Distribution):
    """Uniform on [min, max]: ppf(u) = min + u (max - min)."""

    family = "uniform"

    def __init__(self, min: float, max: float):
        super().__init__()
        self.parameters = {"min": float(min), "max": float(max)}
        self.low, self.high = float(min), float(max)

    def ppf(self, u):
        return self.low + _as_u(u) * (self.high - self.low)

    @property
    def mean(self):
        return 0.5 * (self.low + self.high)

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12.0

    @property
    def support(self):
        return (self.low, self.high)


class Triangular(Distribution):
    """Triangular on [min, max] with peak at mode; closed-form inverse CDF.

    mean = (min + mode + max) / 3, variance = (a^2 + b^2 + c^2 - ab - ac - bc) / 18.
    """

    family = "triangular"

    def __init__(self, min: float, mode: float, max: float):
        super().__init__()
        self.parameters = {"min": float(min), "mode": float(mode), "max": float(max)}
        self.low, self.mode, self.high = float(min), float(mode), float(max)
        self._split = (self.mode - self.low) / (self.high - self.low)

    def ppf(self, u):
        u = _as_u(u)
        a, c, b = self.low, self.mode, self.high
        width = b - a
        left = a + np.sqrt(u * width * (c - a))
        right = b - np.sqrt((1.0 - u) * width * (b - c))
        return np.where(u < self._split, left, right)

    @property
    def mean(self):
        return (self.low + self.mode + self.high) / 3.0

    @property
    def variance(self):
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0

    @property
    def support(self):
        return (self.low, self.high)


class _ScaledBeta(Distribution):
    """Beta(alpha, beta) scaled to [low, high]; fast tabulated inverse CDF.

    ``scipy.special.betaincinv`` costs about 2 microseconds a value, too slow for tens of
    millions of draws. The inverse CDF is therefore interpolated from ``_CELLS + 1`` = 4,097
    exact ``betaincinv`` nodes at equally spaced probabilities: in each cell a cubic Hermite
    polynomial through the two nodes with the exact slopes 1 / pdf (Fritsch and Carlson's
    1980 limit keeps it monotone), stored as its four coefficients (128 kB a shape, small
    enough to stay in a core's cache while millions of draws read it at random). In the outer
    ``_TAIL`` (0.1%) of probability at each end x(u) behaves like u**(1/alpha) (and 1 - x like
    (1 - u)**(1/beta)), where interpolation in u is poor; there the inverse is tabulated
    against v = (u / u_tail)**(1/alpha) instead, in which it is smooth, at
    ``_TAIL_NODES + 1`` = 4,097 nodes of ``betaincinv`` (the upper tail from Beta(beta,
    alpha) at 1 - u, which keeps its digits as u nears 1), and interpolated linearly. Which
    of the two applies is decided on a grid of ``_NODES`` = 65,536 probabilities. Against
    ``betaincinv`` the absolute error is below 2e-6 x (max - min) for the shapes tested
    (8e-7 of the range for the built-in case's PERTs, 3e-7 for Beta(3, 3), 1e-10 in the tails,
    4e-8 at worst there for shapes as extreme as alpha = 200), far below Monte Carlo sampling
    error, and the interpolated inverse is monotone. The compiled kernel
    (simulator.uncertainty._numba_block) evaluates the same operations, so both paths draw
    the same numbers.

    The tables (shared by all distributions with the same alpha and beta) are built on
    first use.
    """

    _NODES = 2**16
    _CELLS = 2**12
    _TAIL = 1e-3
    _TAIL_NODES = 2**12
    _TABLES: dict = {}

    def _setup_beta(self, alpha: float, beta: float, low: float, high: float):
        self.alpha, self.beta, self.low, self.high = float(alpha), float(beta), float(low), float(high)
        self._table = None
        self._tail_tables = None
        self._tail_index = (math.ceil(self._TAIL * self._NODES), math.floor((1.0 - self._TAIL) * self._NODES))
        # probability below the lower tail's edge and above the upper one (exact in binary)
        self._tail_mass = (self._tail_index[0] / self._NODES, (self._NODES - self._tail_index[1]) / self._NODES)

    def _log_pdf(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.alpha - 1) * np.log(x) + (self.beta - 1) * np.log1p(-x) - special.betaln(self.alpha, self.beta)

    def _build_table(self) -> np.ndarray:
        key = (self.alpha, self.beta)
        table = self._TABLES.get(key)
        if table is None:
            a, b = self.alpha, self.beta
            u = np.linspace(0.0, 1.0, self._CELLS + 1)
            x = special.betaincinv(a, b, u)
            np.maximum.accumulate(x, out=x)  # guard monotonicity against rounding
            with np.errstate(over="ignore", invalid="ignore"):
                slope = np.exp(-self._log_pdf(x)) / self._CELLS  # dx/dt in a cell's own t in [0, 1]
            slope[~np.isfinite(slope)] = 0.0  # at x = 0 or 1 (tail cells only)
            start, delta = x[:-1], np.diff(x)
            left, right = slope[:-1].copy(), slope[1:].copy()
            with np.errstate(divide="ignore", invalid="ignore"):
                norm = (left / delta) ** 2 + (right / delta) ** 2
            steep = np.isfinite(norm) & (norm > 9.0)  # Fritsch-Carlson: scale the slopes onto the circle of radius 3
            scale = np.where(steep, 3.0 / np.sqrt(np.where(steep, norm, 1.0)), 1.0)
            flat = delta <= 0.0
            left = np.where(flat, 0.0, left * scale)
            right = np.where(flat, 0.0, right * scale)
            # x(t) = c0 + c1 t + c2 t^2 + c3 t^3 in each cell, one row of four per cell
            table = np.ascontiguousarray(np.stack([start, left, 3.0 * delta - 2.0 * left - right, left + right - 2.0 * delta], axis=1))
            # the tails against v = (u / u_tail)^(1/alpha) in [0, 1]; the upper one as 1 - x
            v = np.linspace(0.0, 1.0, self._TAIL_NODES + 1)
            lower_mass, upper_mass = self._tail_mass
            tails = np.stack([special.betaincinv(a, b, lower_mass * v**a), special.betaincinv(b, a, upper_mass * v**b)])
            np.maximum.accumulate(tails, axis=1, out=tails)
            if len(self._TABLES) >= 64:
                self._TABLES.clear()
            self._TABLES[key] = table, tails
        else:
            table, tails = table
        self._table = table
        self._tail_tables = tails
        return table

    def _tail_ppf(self, u: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """Standard inverse CDF in the tails: the tail table at v = (u / u_low)^(1/alpha), or
        1 - the upper table at w = ((1 - u) / u_high)^(1/beta) where ``upper``. The same
        operations as the compiled kernel (simulator.uncertainty._numba_block)."""
        lower_mass, upper_mass = self._tail_mass
        v = np.where(upper, (1.0 - u) / upper_mass, u / lower_mass)
        v **= np.where(upper, 1.0 / self.beta, 1.0 / self.alpha)
        t = v * self._TAIL_NODES
        index = np.minimum(t.astype(np.intp), self._TAIL_NODES - 1)
        t -= index
        side = upper.astype(np.intp)
        start = self._tail_tables[side, index]
        x = start + (self._tail_tables[side, index + 1] - start) * t
        return np.where(upper, 1.0 - x, x)

    def standard_ppf(self, u):
        """Inverse CDF of the unscaled Beta(alpha, beta) on [0, 1]."""
        u = _as_u(u)
        shape = np.shape(u)
        u = np.atleast_1d(u).reshape(-1)  # the in-place steps below need a flat array, also for one value
        table = self._table if self._table is not None else self._build_table()
        index = (u * self._NODES).astype(np.intp)  # the grid that decides body or tail
        np.clip(index, 0, self._NODES - 1, out=index)
        t = u * self._CELLS
        cell = t.astype(np.intp)
        np.minimum(cell, self._CELLS - 1, out=cell)
        t -= cell
        coefficients = table[cell]
        x = coefficients[:, 3] * t  # ((c3 t + c2) t + c1) t + c0, as the kernel computes it
        x += coefficients[:, 2]
        x *= t
        x += coefficients[:, 1]
        x *= t
        x += coefficients[:, 0]
        low_tail, high_tail = self._tail_index
        tails = np.flatnonzero((index < low_tail) | (index >= high_tail))
        if tails.size:
            x[tails] = self._tail_ppf(u[tails], index[tails] >= high_tail)
        return x.reshape(shape)[()]

    def ppf(self, u):
        x = self.standard_ppf(u)
        return self.low + x * (self.high - self.low)

    @property
    def mean(self):
        return self.low + (self.high - self.low) * self.alpha / (self.alpha + self.beta)

    @property
    def variance(self):
        a, b = self.alpha, self.beta
        return (self.high - self.low) ** 2 * a * b / ((a + b) ** 2 * (a + b + 1.0))

    @property
    def support(self):
        return (self.low, self.high)


class Pert(_ScaledBeta):
    """Beta-PERT on [min, max] with most likely value ``mode`` and weight ``lambda``.

    A Beta(alpha, beta) scaled to [min, max] with alpha = 1 + lambda (mode - min) / (max - min)
    and beta = 1 + lambda (max - mode) / (max - min); lambda = 4 is the classic PERT
    (Malcolm et al. 1959; Vose 2008, *Risk Analysis*, ch. 9), giving
    mean = (min + lambda mode + max) / (lambda + 2) and
    variance = (mean - min)(max - mean) / (lambda + 3).

    Examples
    --------
    Market growth between 5% and 14.4%, most likely 7%:

    >>> d = Pert(0.05, 0.07, 0.144)
    >>> round(d.mean, 4)  # (0.05 + 4 x 0.07 + 0.144) / 6
    0.079
    """

    family = "pert"

    def __init__(self, min: float, mode: float, max: float, lam: float = 4.0):
        super().__init__()
        self.parameters = {"min": float(min), "mode": float(mode), "max": float(max), "lambda": float(lam)}
        width = float(max) - float(min)
        self.mode = float(mode)
        self.lam = float(lam)
        self._setup_beta(1.0 + lam * (mode - min) / width, 1.0 + lam * (max - mode) / width, min, max)

    def _label(self):
        return "PERT"

    def describe(self):
        p = self.parameters
        extra = "" if p["lambda"] == 4.0 else f", lambda={_fmt(p['lambda'])}"
        return f"PERT(min={_fmt(p['min'])}, mode={_fmt(p['mode'])}, max={_fmt(p['max'])}{extra})"


class Beta(_ScaledBeta):
    """Beta(alpha, beta) scaled to [min, max] (default [0, 1]).

    mean = min + (max - min) alpha / (alpha + beta),
    variance = (max - min)^2 alpha beta / ((alpha + beta)^2 (alpha + beta + 1)).
    """

    family = "beta"

    def __init__(self, alpha: float, beta: float, min: float = 0.0, max: float = 1.0):
        super().__init__()
        self.parameters = {"alpha": float(alpha), "beta": float(beta), "min": float(min), "max": float(max)}
        self._setup_beta(alpha, beta, min, max)


class Normal(Distribution):
    """Normal with mean ``mean`` and standard deviation ``sd``; ppf = mean + sd * Phi^-1(u)."""

    family = "normal"
    bound_keys = ("distribution", "distribution")

    def __init__(self, mean: float, sd: float):
        super().__init__()
        self.parameters = {"mean": float(mean), "sd": float(sd)}
        self.mu, self.sd = float(mean), float(sd)

    def ppf(self, u):
        return self.mu + self.sd * special.ndtri(_as_u(u))

    @property
    def mean(self):
        return self.mu

    @property
    def variance(self):
        return self.sd**2

    @property
    def support(self):
        return (-math.inf, math.inf)


class TruncatedNormal(Distribution):
    """Normal(mean, sd) restricted to [min, max] (either bound may be omitted).

    ``mean`` and ``sd`` are those of the parent normal, not of the truncated variable (its
    moments are :attr:`mean` and :attr:`variance`, from ``scipy.stats.truncnorm``). The
    inverse CDF is Phi^-1(Phi(a) + u (Phi(b) - Phi(a))) in standard units, computed in
    the lower tail (by symmetry) so that intervals far out in either tail keep precision.
    """

    family = "truncnormal"

    def __init__(self, mean: float, sd: float, min: float = -math.inf, max: float = math.inf):
        super().__init__()
        self.parameters = {"mean": float(mean), "sd": float(sd)}
        if math.isfinite(min):
            self.parameters["min"] = float(min)
        if math.isfinite(max):
            self.parameters["max"] = float(max)
        self.mu, self.sd, self.low, self.high = float(mean), float(sd), float(min), float(max)
        a, b = (self.low - self.mu) / self.sd, (self.high - self.mu) / self.sd
        # work where Phi is small: mirror an interval lying right of the mean
        self._mirrored = a > -b
        lo, hi = (-b, -a) if self._mirrored else (a, b)
        self._p_low, self._p_high = special.ndtr(lo), special.ndtr(hi)
        self._a, self._b = a, b
        self.bound_keys = ("min" if math.isfinite(min) else "distribution", "max" if math.isfinite(max) else "distribution")

    @property
    def probability_mass(self) -> float:
        """P(min <= X <= max) under the parent normal."""
        return float(self._p_high - self._p_low)

    def ppf(self, u):
        u = _as_u(u)
        mass = self._p_high - self._p_low
        if self._mirrored:
            z = -special.ndtri(self._p_high - u * mass)
        else:
            z = special.ndtri(self._p_low + u * mass)
        return np.clip(self.mu + self.sd * z, self.low, self.high)

    def _moments(self):
        from scipy.stats import truncnorm

        mean, var = truncnorm.stats(self._a, self._b, loc=self.mu, scale=self.sd, moments="mv")
        return float(mean), float(var)

    @property
    def mean(self):
        return self._moments()[0]

    @property
    def variance(self):
        return self._moments()[1]

    @property
    def support(self):
        return (self.low, self.high)


class LogNormal(Distribution):
    """Lognormal: log X ~ Normal(mu, sigma); ppf = exp(mu + sigma Phi^-1(u)).

    Give either ``mean`` and ``sd`` of X itself (finance's usual description; then
    sigma^2 = ln(1 + sd^2 / mean^2), mu = ln(mean) - sigma^2 / 2) or ``mu`` and ``sigma``
    of ln X. Support (0, inf), 0 never reached.
    """

    family = "lognormal"
    support_open = (True, True)
    bound_keys = ("distribution", "distribution")

    def __init__(self, mu: float, sigma: float, *, given: dict | None = None):
        super().__init__()
        self.mu, self.sigma = float(mu), float(sigma)
        self.parameters = dict(given) if given else {"mu": self.mu, "sigma": self.sigma}

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> "LogNormal":
        """Lognormal whose variable has the given mean and standard deviation."""
        sigma2 = math.log1p((sd / mean) ** 2)
        return cls(math.log(mean) - 0.5 * sigma2, math.sqrt(sigma2), given={"mean": float(mean), "sd": float(sd)})

    def ppf(self, u):
        return np.exp(self.mu + self.sigma * special.ndtri(_as_u(u)))

    @property
    def mean(self):
        return math.exp(self.mu + 0.5 * self.sigma**2)

    @property
    def variance(self):
        return math.expm1(self.sigma**2) * math.exp(2 * self.mu + self.sigma**2)

    @property
    def support(self):
        return (0.0, math.inf)


class Discrete(Distribution):
    """Discrete (empirical) distribution on given values with optional weights.

    Values from a list or a column of data; equal weights unless given. The inverse CDF is
    the smallest value whose cumulative weight reaches u, so sampling resamples the data
    (a bootstrap of the column). mean = sum w x, variance = sum w (x - mean)^2 (weights
    normalised to 1).
    """

    family = "discrete"
    bound_keys = ("values", "values")

    def __init__(self, values, weights=None, *, source: dict | None = None):
        super().__init__()
        values = np.asarray(values, dtype=float).reshape(-1)
        weights = np.ones_like(values) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
        order = np.argsort(values, kind="stable")
        self.values = values[order]
        self.weights = weights[order] / weights.sum()
        self._cumulative = np.cumsum(self.weights)
        self._cumulative[-1] = 1.0
        if source:
            self.parameters = dict(source)
            self.bound_keys = ("column", "column") if "column" in source else ("values", "values")
        else:
            self.parameters = {"values": values.tolist()}
            if not np.all(weights == weights[0]):
                self.parameters["weights"] = weights.tolist()

    def ppf(self, u):
        index = np.searchsorted(self._cumulative, _as_u(u), side="left")
        return self.values[np.minimum(index, self.values.size - 1)]

    @property
    def mean(self):
        return float(np.dot(self.weights, self.values))

    @property
    def variance(self):
        return float(np.dot(self.weights, (self.values - self.mean) ** 2))

    @property
    def support(self):
        return (float(self.values[0]), float(self.values[-1]))

    def describe(self):
        if "column" in self.parameters:
            return f"discrete(column {self.parameters['column']!r} of {self.parameters['file']}, {self.values.size} values)"
        return super().describe()


# --- building from a scenario-file table ------------------------------------------------

#: Families by scenario-file name, with the keys each accepts (required, optional).
DISTRIBUTIONS: dict[str, tuple[type, tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (Uniform, ("min", "max"), ()),
    "triangular": (Triangular, ("min", "mode", "max"), ()),
    "pert": (Pert, ("min", "mode", "max"), ("lambda",)),
    "normal": (Normal, ("mean", "sd"), ()),
    "truncnormal": (TruncatedNormal, ("mean", "sd"), ("min", "max")),
    "lognormal": (LogNormal, (), ("mean", "sd", "mu", "sigma")),
    "beta": (Beta, ("alpha", "beta"), ("min", "max")),
    "discrete": (Discrete, (), ("values", "weights", "file", "column", "weights_column")),
}
_ALIASES = {
    "truncated_normal": "truncnormal",
    "truncated-normal": "truncnormal",
    "empirical": "discrete",
    "beta_pert": "pert",
    "betapert": "pert",
    "triang": "triangular",
    "gaussian": "normal",
}


def _number(spec: Mapping, key: str, where: str, default=None) -> float:
    value = spec.get(key, default)
    if value is None:
        raise RoqInputError(f"{where}.{key}", "is required")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise RoqInputError(f"{where}.{key}", f"must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise RoqInputError(f"{where}.{key}", f"must be finite, got {value}")
    return value


def _ordered(where: str, low_key: str, low: float, high_key: str, high: float, *, strict=True):
    if (low >= high) if strict else (low > high):
        relation = "<" if strict else "<="
        raise RoqInputError(f"{where}.{high_key}", f"must be {'>' if strict else '>='} {low_key} ({low:g}) so that {low_key} {relation} {high_key}, got {high:g}")


def distribution_from_spec(spec: Mapping, where: str = "distribution", base_dir: str | Path | None = None) -> Distribution:
    """Build a :class:`Distribution` from a scenario-file table.

    Parameters
    ----------
    spec : mapping
        ``{"distribution": family, <parameters>}``; see the module docstring for each
        family's keys. An optional ``note`` (text) is kept.
    where : str
        Key path used in error messages, e.g. ``"scenario.toml: uncertain.churn"``.
    base_dir : path, optional
        Directory against which a ``discrete`` distribution's ``file`` is resolved
        (the scenario file's directory).

    Returns
    -------
    Distribution

    Raises
    ------
    RoqInputError
        ``"<where>.<key>: <reason>"`` for an unknown family or key (with the closest known
        name), a missing or non-numeric parameter, or parameters that define no
        distribution (min >= max, mode outside [min, max], sd <= 0, ...).

    Examples
    --------
    >>> d = distribution_from_spec({"distribution": "triangular", "min": 0.05, "mode": 0.095, "max": 0.15})
    >>> round(d.mean, 4)
    0.0983
    >>> distribution_from_spec({"distribution": "uniform", "min": 0.3, "max": 0.1}, where="uncertain.discount_rate")
    Traceback (most recent call last):
    ...
    simulator.errors.RoqInputError: uncertain.discount_rate.max: must be > min (0.3) so that min < max, got 0.1
    """
    if not isinstance(spec, Mapping):
        raise RoqInputError(where, f"must be a table with a 'distribution' key and its parameters, got {spec!r}")
    family = spec.get("distribution")
    if family is None:
        raise RoqInputError(f"{where}.distribution", f"is required: one of {', '.join(DISTRIBUTIONS)}")
    if not isinstance(family, str):
        raise RoqInputError(f"{where}.distribution", f"must be a name such as 'pert', got {family!r}")
    key = family.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in DISTRIBUTIONS:
        match = difflib.get_close_matches(key, list(DISTRIBUTIONS) + list(_ALIASES), n=1, cutoff=0.6)
        hint = f" (did you mean {_ALIASES.get(match[0], match[0])!r}?)" if match else ""
        raise RoqInputError(f"{where}.distribution", f"unknown distribution {family!r}{hint}; choose one of {', '.join(DISTRIBUTIONS)}")
    _, required, optional = DISTRIBUTIONS[key]
    allowed = set(required) | set(optional) | {"distribution", "note"}
    for name in spec:
        if name not in allowed:
            raise RoqInputError(f"{where}.{name}", f"is not a parameter of the {key} distribution{closest(name, allowed)}; it takes {', '.join(required + optional)}")
    note = spec.get("note", "")
    if not isinstance(note, str):
        raise RoqInputError(f"{where}.note", f"must be text, got {note!r}")
    builder = globals()[f"_build_{key}"]
    distribution = builder(spec, where, base_dir)
    distribution.note = note
    return distribution


def _build_uniform(spec, where, base_dir):
    low, high = _number(spec, "min", where), _number(spec, "max", where)
    _ordered(where, "min", low, "max", high)
    return Uniform(low, high)


def _three_point(spec, where):
    low, mode, high = _number(spec, "min", where), _number(spec, "mode", where), _number(spec, "max", where)
    _ordered(where, "min", low, "max", high)
    if not low <= mode <= high:
        raise RoqInputError(f"{where}.mode", f"must lie between min ({low:g}) and max ({high:g}), got {mode:g}")
    return low, mode, high


def _build_triangular(spec, where, base_dir):
    return Triangular(*_three_point(spec, where))


def _build_pert(spec, where, base_dir):
    low, mode, high = _three_point(spec, where)
    lam = _number(spec, "lambda", where, default=4.0)
    if lam <= 0:
        raise RoqInputError(f"{where}.lambda", f"must be > 0 (weight of the mode; 4 is the classic PERT), got {lam:g}")
    return Pert(low, mode, high, lam)


def _positive(spec, key, where):
    value = _number(spec, key, where)
    if value <= 0:
        raise RoqInputError(f"{where}.{key}", f"must be > 0, got {value:g}")
    return value


def _build_normal(spec, where, base_dir):
    return Normal(_number(spec, "mean", where), _positive(spec, "sd", where))


def _build_truncnormal(spec, where, base_dir):
    mean, sd = _number(spec, "mean", where), _positive(spec, "sd", where)
    if "min" not in spec and "max" not in spec:
        raise RoqInputError(f"{where}.min", "a truncated normal needs min and/or max (use 'normal' for no bounds)")
    low = _number(spec, "min", where) if "min" in spec else -math.inf
    high = _number(spec, "max", where) if "max" in spec else math.inf
    if math.isfinite(low) and math.isfinite(high):
        _ordered(where, "min", low, "max", high)
    distribution = TruncatedNormal(mean, sd, low, high)
    if not distribution.probability_mass > 1e-12:
        key = "min" if math.isfinite(low) and low > mean else "max"
        raise RoqInputError(f"{where}.{key}", f"leaves (numerically) no probability: [{low:g}, {high:g}] lies more than 7 sd from mean {mean:g}")
    return distribution


def _build_lognormal(spec, where, base_dir):
    by_moments = "mean" in spec or "sd" in spec
    by_log = "mu" in spec or "sigma" in spec
    if by_moments and by_log:
        raise RoqInputError(f"{where}.{'mu' if 'mu' in spec else 'sigma'}", "give either mean and sd (of the variable) or mu and sigma (of its logarithm), not both")
    if by_log:
        return LogNormal(_number(spec, "mu", where), _positive(spec, "sigma", where))
    if not by_moments:
        raise RoqInputError(f"{where}.mean", "is required: give mean and sd (of the variable) or mu and sigma (of its logarithm)")
    return LogNormal.from_mean_sd(_positive(spec, "mean", where), _positive(spec, "sd", where))


def _build_beta(spec, where, base_dir):
    alpha, beta = _positive(spec, "alpha", where), _positive(spec, "beta", where)
    low = _number(spec, "min", where, default=0.0)
    high = _number(spec, "max", where, default=1.0)
    _ordered(where, "min", low, "max", high)
    return Beta(alpha, beta, low, high)


def _numeric_list(raw, key, where) -> np.ndarray:
    if isinstance(raw, (str, bytes)) or not hasattr(raw, "__len__"):
        raise RoqInputError(f"{where}.{key}", f"must be a list of numbers, got {raw!r}")
    out = np.empty(len(raw))
    for position, item in enumerate(raw):
        if isinstance(item, bool) or not isinstance(item, numbers.Real) or not math.isfinite(float(item)):
            raise RoqInputError(f"{where}.{key}", f"must contain only finite numbers; item {position + 1} is {item!r}")
        out[position] = float(item)
    return out


def _build_discrete(spec, where, base_dir):
    has_values, has_file = "values" in spec, "file" in spec
    if has_values == has_file:
        raise RoqInputError(f"{where}.values", "give either values = [...] or file = \"data.csv\" with column = \"name\", not both or neither")
    if has_values:
        for key in ("column", "weights_column"):
            if key in spec:
                raise RoqInputError(f"{where}.{key}", "only goes with file = \"...\"; with values use weights = [...]")
        values = _numeric_list(spec["values"], "values", where)
        weights = _numeric_list(spec["weights"], "weights", where) if "weights" in spec else None
        source = None
    else:
        if "weights" in spec:
            raise RoqInputError(f"{where}.weights", "only goes with values = [...]; with a file use weights_column")
        values, weights, source = _read_column(spec, where, base_dir)
    if values.size == 0:
        raise RoqInputError(f"{where}.{'values' if has_values else 'column'}", "has no values")
    if weights is not None:
        wkey = "weights" if has_values else "weights_column"
        if weights.size != values.size:
            raise RoqInputError(f"{where}.{wkey}", f"has {weights.size} weights for {values.size} values")
        if np.any(weights < 0):
            raise RoqInputError(f"{where}.{wkey}", f"must be >= 0, got {weights[weights < 0][0]:g}")
        if not weights.sum() > 0:
            raise RoqInputError(f"{where}.{wkey}", "must not all be zero")
    return Discrete(values, weights, source=source)


def _read_column(spec, where, base_dir):
    import pandas as pd

    file = spec["file"]
    if not isinstance(file, str) or not file.strip():
        raise RoqInputError(f"{where}.file", f"must be a CSV file name, got {file!r}")
    column = spec.get("column")
    if not isinstance(column, str):
        raise RoqInputError(f"{where}.column", "is required with file: the name of the column holding the values")
    path = Path(file)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise RoqInputError(f"{where}.file", f"no such file: {path}") from None
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise RoqInputError(f"{where}.file", f"cannot read {path} as CSV: {str(error).splitlines()[0]}") from None
    columns = [column] + ([spec["weights_column"]] if "weights_column" in spec else [])
    for key, name in zip(("column", "weights_column"), columns):
        if not isinstance(name, str) or name not in frame.columns:
            raise RoqInputError(f"{where}.{key}", f"no column {name!r} in {path}{closest(str(name), frame.columns)}; columns: {', '.join(map(str, frame.columns))}")
    data = frame[columns]
    # blank cells are missing, never zero: drop the row, and say nothing only if none had data
    data = data.dropna(how="any")
    arrays = []
    for key, name in zip(("column", "weights_column"), columns):
        numeric = pd.to_numeric(data[name], errors="coerce")
        bad = numeric.isna()
        if bad.any():
            row = int(data.index[bad.to_numpy()][0]) + 2  # header is line 1
            raise RoqInputError(f"{where}.{key}", f"column {name!r} of {path} has a non-numeric value {data[name][bad].iloc[0]!r} on line {row}")
        arrays.append(numeric.to_numpy(dtype=float))
    source = {"file": spec["file"], "column": column}
    if "weights_column" in spec:
        source["weights_column"] = spec["weights_column"]
    return arrays[0], (arrays[1] if len(arrays) > 1 else None), source
