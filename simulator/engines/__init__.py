"""Execution engines: where the blocks of a Monte Carlo, sensitivity or sweep run are computed.

Every large computation of :mod:`simulator.uncertainty` is cut into fixed-size, seed-keyed
pieces (Monte Carlo: blocks of :data:`~simulator.uncertainty.samplers.BLOCK_SIZE`
scenarios; Sobol': blocks of base rows of Saltelli's design), each piece is reduced to a
small mergeable partial result, and the caller folds the partials *in piece order*. An
engine only decides where the pieces are computed:

- ``"local"`` (:class:`~simulator.engines.local.LocalEngine`): threads of this process
  (numpy releases the GIL inside array operations); the default.
- ``"dask"`` (:class:`~simulator.engines.dask.DaskEngine`): the workers of a
  ``dask.distributed`` cluster - a local cluster of worker processes (one per core, one
  thread each) started for the run, or an existing cluster given by its scheduler
  address. Dask is imported only when this engine is used.

Because the pieces and the fold order are the same on every engine, a seed gives
bit-identical results on the local engine and on Dask with any number of workers; and
because only partials travel, neither the client nor a worker ever holds all samples.

Engines have one method, :meth:`map_ordered`, which applies ``function(context, item)``
to each item and yields the results in item order, with a bounded number of tasks in
flight (so memory stays flat however many items there are). ``context`` (e.g. the
scenario) is sent to each worker once.

Examples
--------
>>> from simulator.engines import get_engine
>>> with get_engine("local", workers=2) as engine:
...     list(engine.map_ordered(lambda context, item: context * item, range(4), context=10))
[0, 10, 20, 30]
"""

from __future__ import annotations

import numbers

from ..errors import RoqInputError
from .local import LocalEngine

__all__ = ["ENGINES", "Engine", "LocalEngine", "DaskEngine", "get_engine", "resolve_engine", "DEFAULT_CONNECT_TIMEOUT"]

#: Engine names accepted by :func:`get_engine` and ``--engine``.
ENGINES = ("local", "dask")
#: Seconds to wait for an existing Dask scheduler (``--scheduler``) before giving up.
DEFAULT_CONNECT_TIMEOUT = 10.0


class Engine:
    """Interface of an engine (documentation only; engines do not need to subclass it).

    Attributes
    ----------
    name : str
        ``"local"`` or ``"dask"``.
    workers : int
        How many pieces it computes at once (threads, or Dask worker threads).
    """

    name = "engine"

    def map_ordered(self, function, items, *, context=None, batch=None, label=""):  # pragma: no cover - interface
        """Yield ``function(context, item)`` for every item, in item order.

        ``batch`` suggests items per task and ``label`` names tasks (Dask); both may be
        ignored.
        """
        raise NotImplementedError

    def start(self):  # pragma: no cover - interface
        """Start or connect now (engines otherwise do it on first use); returns self."""
        return self

    def close(self) -> None:  # pragma: no cover - interface
        """Release threads, clients and clusters the engine started."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _check_workers(workers):
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        raise RoqInputError("workers", f"must be a whole number >= 1, got {workers!r}")
    return int(workers)


def get_engine(name: str = "local", scheduler: str | None = None, workers: int | None = None, *,
               connect_timeout: float = DEFAULT_CONNECT_TIMEOUT, argument: str = "engine"):
    """An execution engine by name.

    Parameters
    ----------
    name : {"local", "dask"}
        ``"local"``: threads of this process. ``"dask"``: a ``dask.distributed``
        cluster; without ``scheduler`` a local cluster of ``workers`` worker processes
        (default: one per core, one thread each) is started on first use and shut down
        by :meth:`close`.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); implies ``"dask"``.
        Its workers must be able to import ``simulator`` (install roq-toolkit there).
    workers : int, optional
        Local engine: threads (default: the number of CPUs). Dask engine without
        ``scheduler``: worker processes of the local cluster (default: the number of CPUs).
    connect_timeout : float
        Seconds to wait for ``scheduler`` (and for its first worker) before raising.
    argument : str
        Argument name used in error messages (``"--engine"`` on the command line).

    Returns
    -------
    LocalEngine or DaskEngine
        Use as a context manager (or call ``close()``) so that a cluster it started is
        shut down.

    Raises
    ------
    RoqInputError
        Unknown engine name, ``scheduler`` with the local engine, bad ``workers``.

    Examples
    --------
    >>> engine = get_engine("local", workers=1)
    >>> engine.name, engine.workers
    ('local', 1)
    """
    workers = _check_workers(workers)
    if name is None:
        name = "dask" if scheduler else "local"
    if not isinstance(name, str) or name.lower() not in ENGINES:
        raise RoqInputError(argument, f"must be one of {', '.join(ENGINES)}, got {name!r}")
    name = name.lower()
    if name == "local":
        if scheduler:
            raise RoqInputError("scheduler", f"needs the dask engine (got engine 'local' and scheduler {scheduler!r})")
        return LocalEngine(workers)
    from .dask import DaskEngine

    return DaskEngine(scheduler=scheduler, workers=workers, connect_timeout=connect_timeout)


def resolve_engine(engine, workers: int | None = None):
    """``(engine object, owned)`` for an ``engine=`` argument of the simulator's functions.

    ``engine`` may be None (the local engine), a name (``"local"``/``"dask"``: a new
    engine that the caller owns and must close) or an engine object (used as it is, not
    closed). ``workers`` applies only when a new engine is made.
    """
    if engine is None or isinstance(engine, str):
        return get_engine(engine or "local", workers=workers), True
    if not callable(getattr(engine, "map_ordered", None)) or not callable(getattr(engine, "start", None)):
        raise RoqInputError("engine", f"must be 'local', 'dask' or an engine from simulator.engines.get_engine, got {type(engine).__name__}")
    return engine, False


def __getattr__(name):
    # DaskEngine loads on first use so that importing the engines never imports Dask
    if name == "DaskEngine":
        from .dask import DaskEngine

        return DaskEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
