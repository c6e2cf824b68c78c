"""The Dask engine: pieces computed by the workers of a ``dask.distributed`` cluster.

``DaskEngine()`` starts, on first use, a local cluster of worker processes on the
loopback interface (one worker per core, one thread each: the model is vectorised NumPy,
so processes rather than threads avoid the GIL for the Python parts; glibc's default
memory allocator settings, see :func:`_default_malloc_for_workers`) and shuts it down on
:meth:`~DaskEngine.close`. ``DaskEngine(scheduler="tcp://host:8786")`` uses an existing
cluster instead; its workers need roq-toolkit installed (the tasks are functions of
``simulator``, sent by reference), and run faster without Dask's default
``MALLOC_TRIM_THRESHOLD_`` (see :func:`_default_malloc_for_workers`; e.g.
``MALLOC_TRIM_THRESHOLD_: null`` under ``distributed.nanny.pre-spawn-environ`` in the
workers' Dask configuration file). ``DaskEngine(client=client)`` uses a client you made.

How work is sent (:meth:`DaskEngine.map_ordered`)
    The shared context (e.g. the scenario: a few kB) is scattered to every worker once
    (``client.scatter(..., broadcast=True)``). Items are grouped into tasks of a few
    pieces each (so scheduling overhead stays small next to the work), and at most
    ``tasks_per_worker`` tasks per worker thread are in flight: a new task is submitted
    when a result comes back. Results are gathered as they complete, buffered if they
    arrive out of order, and yielded in item order, so the caller folds partials in the
    same order as on the local engine. Client memory is therefore bounded by the window
    of tasks in flight, whatever the number of items (10**8 Monte Carlo scenarios are
    1,526 blocks; the client holds at most a few dozen blocks' small partials).

Dask is imported only when a :class:`DaskEngine` is first used, so the engines (and the
whole simulator) import without it.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import time
import uuid

from ..errors import RoqInputError
from ._threads import pin_process_to_single_blas_thread

__all__ = ["DaskEngine", "TASKS_PER_WORKER", "MAX_BATCH"]

#: Tasks in flight per worker thread: enough to keep a worker busy while a result travels.
TASKS_PER_WORKER = 3
#: Largest number of items (e.g. Monte Carlo blocks) in one task: 16 blocks are ~0.2 s of work,
#: enough that per-task costs on the client and scheduler stay near 1% of the run.
MAX_BATCH = 16


def _import_distributed():
    try:
        import distributed
    except ImportError as error:
        raise RoqInputError("engine", f"'dask' needs the dask.distributed package ({error}); install it with: pip install 'roq-toolkit[dask]'") from None
    return distributed


_TRIM = "MALLOC_TRIM_THRESHOLD_"


@contextlib.contextmanager
def _default_malloc_for_workers():
    """Spawn the local cluster's workers without Dask's ``MALLOC_TRIM_THRESHOLD_``.

    ``distributed`` starts workers with ``MALLOC_TRIM_THRESHOLD_=65536`` so that freed
    memory goes back to the OS. Setting it also switches off glibc's adaptive mmap
    threshold, so every NumPy temporary above 128 kB (a block's 65,536 doubles are
    512 kB) is mapped and faulted in afresh: measured here, a Monte Carlo worker ran 1.7x
    slower (2.8 vs 4.8 million scenarios/s, a third of its time in the kernel). Our tasks
    keep their memory flat, so the workers get glibc's defaults. The variable is also
    taken out of this process' environment while they spawn if it holds Dask's value
    (an earlier Nanny in this process puts it there); a value of your own is kept.
    """
    import dask

    key = f"distributed.nanny.pre-spawn-environ.{_TRIM}"
    dask_value = dask.config.get(key, None)
    inherited = os.environ.get(_TRIM)
    drop = inherited is not None and dask_value is not None and inherited == str(dask_value)
    with dask.config.set({key: None}):
        if drop:
            del os.environ[_TRIM]
        try:
            yield
        finally:
            if drop:
                os.environ[_TRIM] = inherited


def _close_quietly(client) -> None:
    """Close a client that failed to connect, bounded in time and without raising."""
    with contextlib.suppress(Exception):
        client.close(timeout=2)


def _check_scheduler(address: str, timeout: float) -> None:
    """Refuse, within ``timeout`` seconds, an address that is not a Dask scheduler.

    ``tcp://host:port`` (or ``host:port``): the host must resolve, the port must accept
    a connection, and the service must speak first with a frame of Dask's TCP protocol
    (a Dask server sends its handshake on connecting; an HTTP, SSH or database server
    either says nothing or something else). Other protocols (``tls://``, ``ucx://``,
    ``inproc://``) are left to Dask.
    """
    import socket
    import struct

    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp"):
        return
    host, colon, port_text = rest.rpartition(":")
    if not colon or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise RoqInputError("scheduler", f"{address!r} is not a scheduler address such as tcp://127.0.0.1:8786 (host and port)")
    host = host.strip("[]")
    deadline = time.monotonic() + timeout
    try:
        connection = socket.create_connection((host, int(port_text)), timeout=timeout)
    except socket.gaierror:
        raise RoqInputError("scheduler", f"cannot connect to a Dask scheduler at {address} within {timeout:g} s (unknown host {host!r})") from None
    except TimeoutError:
        raise RoqInputError("scheduler", f"cannot connect to a Dask scheduler at {address} within {timeout:g} s (no answer: is the scheduler running, the port open?)") from None
    except OSError as error:
        raise RoqInputError("scheduler", f"cannot connect to a Dask scheduler at {address} within {timeout:g} s ({error.strerror or error}; is it running?)") from None
    with connection:
        header = b""
        try:
            while len(header) < 16:
                connection.settimeout(max(0.05, deadline - time.monotonic()))
                chunk = connection.recv(16 - len(header))
                if not chunk:
                    break
                header += chunk
        except (TimeoutError, OSError):
            pass
    if len(header) < 16:
        raise RoqInputError("scheduler", f"{address} accepted the connection but did not answer as a Dask scheduler within {timeout:g} s "
                                         "(another kind of service on that port?)")
    total, frames = struct.unpack("<QQ", header)
    if not (16 <= total <= 2**24 and 1 <= frames <= 64):
        raise RoqInputError("scheduler", f"{address} is not a Dask scheduler (it answered {header[:12]!r}...: another kind of service on that port)")


def _run_batch(function, context, items):
    """Worker side: the results of one task's items, in order."""
    # one BLAS thread, as the local engine uses: the same bits on every engine (see _threads)
    pin_process_to_single_blas_thread()
    return [function(context, item) for item in items]


class DaskEngine:
    """A ``dask.distributed`` cluster: a local one started on first use, or an existing one.

    Parameters
    ----------
    scheduler : str, optional
        Address of an existing scheduler (``tcp://host:8786``). Without it a
        ``LocalCluster`` is started on 127.0.0.1: ``workers`` processes, one thread each,
        its dashboard on a free loopback port.
    workers : int, optional
        Worker processes of the local cluster (default: the number of CPUs); ignored
        with ``scheduler`` or ``client``.
    client : distributed.Client, optional
        Use this client (not closed by :meth:`close`).
    connect_timeout : float
        Seconds to wait for the scheduler and for its first worker.
    tasks_per_worker : int
        Tasks in flight per worker thread (default 3).
    max_batch : int
        Largest number of items per task (default 16).

    Examples
    --------
    >>> from simulator.engines import get_engine
    >>> from simulator.uncertainty import builtin_scenario, run_monte_carlo
    >>> with get_engine("dask", workers=2) as engine:                       # doctest: +SKIP
    ...     result = run_monte_carlo(builtin_scenario(), 10**7, seed=1, engine=engine)
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None, *, client=None,
                 connect_timeout: float = 10.0, tasks_per_worker: int = TASKS_PER_WORKER, max_batch: int = MAX_BATCH):
        if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
            raise RoqInputError("scheduler", f"must be a scheduler address such as tcp://127.0.0.1:8786, got {scheduler!r}")
        if not isinstance(connect_timeout, (int, float)) or isinstance(connect_timeout, bool) or not connect_timeout > 0:
            raise RoqInputError("connect_timeout", f"must be a number of seconds > 0, got {connect_timeout!r}")
        self.scheduler = scheduler.strip() if scheduler else None
        self.requested_workers = int(workers) if workers else None
        self.connect_timeout = float(connect_timeout)
        self.tasks_per_worker = max(1, int(tasks_per_worker))
        self.max_batch = max(1, int(max_batch))
        self._client = client
        self._owns_client = client is None
        self._cluster = None
        #: Of the last :meth:`map_ordered`: items, tasks, items per task, window and the
        #: largest number of tasks submitted but not yet handed back.
        self.last_map: dict = {}

    # --- connection ----------------------------------------------------------------------
    @property
    def client(self):
        """The ``distributed.Client`` (connects, or starts the local cluster, on first use)."""
        if self._client is None:
            self._start()
        return self._client

    def start(self) -> "DaskEngine":
        """Connect, or start the local cluster, now rather than on first use; returns self."""
        self.client  # noqa: B018 - the property starts it
        return self

    def _start(self) -> None:
        distributed = _import_distributed()
        if self.scheduler:
            # connect_timeout bounds the whole handshake: the check of the address, Dask's
            # own connection, and waiting for a worker share one deadline
            deadline = time.monotonic() + self.connect_timeout
            _check_scheduler(self.scheduler, self.connect_timeout)
            try:
                client = distributed.Client(self.scheduler, timeout=max(0.5, deadline - time.monotonic()), set_as_default=False)
            except (OSError, TimeoutError, ValueError, TypeError) as error:
                reason = " ".join(str(error).split()) or type(error).__name__
                raise RoqInputError("scheduler", f"cannot connect to a Dask scheduler at {self.scheduler} within {self.connect_timeout:g} s ({reason})") from None
            try:
                client.wait_for_workers(1, timeout=max(0.5, deadline - time.monotonic()))
            except (OSError, TimeoutError) as error:
                _close_quietly(client)
                raise RoqInputError("scheduler", f"the Dask scheduler at {self.scheduler} has no workers (none joined within {self.connect_timeout:g} s)") from None
            self._client = client
            return
        n_workers = self.requested_workers or os.cpu_count() or 1
        with _default_malloc_for_workers():
            self._cluster = distributed.LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                # ":0": the scheduler's HTTP server (always started) takes a free loopback
                # port instead of warning that 8787 is taken by another cluster
                dashboard_address=":0", silence_logs=logging.ERROR,
            )
        try:
            self._client = distributed.Client(self._cluster, set_as_default=False)
        except BaseException:
            self._cluster.close()
            self._cluster = None
            raise

    @property
    def workers(self) -> int:
        """Worker threads of the cluster (connects to ``scheduler`` to count them; for a
        local cluster not started yet, the number it will have)."""
        if self._client is None and not self.scheduler:
            return self.requested_workers or os.cpu_count() or 1
        threads = sum(info.get("nthreads", 1) for info in self.client.scheduler_info()["workers"].values())
        return max(1, threads)

    @property
    def address(self) -> str | None:
        """Scheduler address (None before the first use of a local cluster)."""
        if self._client is None:
            return self.scheduler
        return self._client.scheduler.address

    def describe(self) -> str:
        if self._client is None:
            return "dask (" + (f"scheduler {self.scheduler}" if self.scheduler else f"local cluster of {self.workers} workers, not started") + ")"
        where = "local cluster" if self._cluster is not None else "scheduler"
        return f"dask ({self.workers} worker thread{'s' if self.workers != 1 else ''}, {where} {self.address})"

    # --- work ----------------------------------------------------------------------------
    def map_ordered(self, function, items, *, context=None, batch: int | None = None, label: str = "roq"):
        """Yield ``function(context, item)`` for each item, in item order, computed on the workers.

        Parameters
        ----------
        function : callable
            ``function(context, item) -> result``; a module-level function of an
            importable package (workers import it) or any picklable callable.
        items : iterable
            Small task descriptions (block indices, row ranges, ...).
        context : object, optional
            Shared read-only data, scattered to every worker once.
        batch : int, optional
            Items per task (default: enough for about 4 tasks per worker thread, at most
            ``max_batch``).
        label : str
            Prefix of the task keys (shown on the Dask dashboard).
        """
        distributed = _import_distributed()
        if not hasattr(items, "__len__"):
            items = list(items)  # an iterator of unknown length: its items must be counted to batch them
        n_items = len(items)
        if not n_items:
            return
        client = self.client
        threads = self.workers
        if batch is None:
            batch = min(self.max_batch, max(1, math.ceil(n_items / (4 * threads))))
        # batches are cut lazily from the items as tasks are submitted (never listed):
        # memory stays flat for any number of items
        n_batches = -(-n_items // batch)
        source = iter(items)

        def next_batch():
            return list(itertools.islice(source, batch))

        window = self.tasks_per_worker * threads
        # a list, so that scatter sends the object whole (it splits dicts and sequences)
        shared = client.scatter([context], broadcast=True, hash=False)[0]
        token = uuid.uuid4().hex[:8]
        self.last_map = {"items": n_items, "tasks": n_batches, "batch": batch, "window": window, "peak_in_flight": 0}
        completed = distributed.as_completed(loop=client.loop, with_results=True)
        position: dict = {}
        futures: dict = {}
        ready: dict = {}
        submitted = yielded = 0

        def submit():
            nonlocal submitted
            future = client.submit(_run_batch, function, shared, next_batch(), key=f"{label}-{token}-{submitted}")
            position[future.key] = submitted
            futures[submitted] = future
            completed.add(future)
            submitted += 1
            self.last_map["peak_in_flight"] = max(self.last_map["peak_in_flight"], submitted - yielded)

        try:
            while submitted < n_batches and submitted < window:
                submit()
            for future, results in completed:
                index = position.pop(future.key)
                futures.pop(index, None)
                ready[index] = results
                while yielded in ready:  # hand back in order; later ones wait in `ready`
                    for result in ready.pop(yielded):
                        yield result
                    yielded += 1
                while submitted < n_batches and submitted - yielded < window:
                    submit()
        except ModuleNotFoundError as error:
            raise RoqInputError("scheduler", f"the Dask workers cannot import {error.name!r}: install roq-toolkit (and its dependencies) where the workers run") from error
        finally:
            if futures:  # an error or an abandoned generator: drop the rest
                client.cancel(list(futures.values()))
            client.cancel([shared])

    # --- lifetime ------------------------------------------------------------------------
    def close(self) -> None:
        """Close the client and shut down the local cluster if this engine started them."""
        if not self._owns_client:
            return  # the caller's client: theirs to close
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self) -> str:
        return f"DaskEngine({self.describe()})"
