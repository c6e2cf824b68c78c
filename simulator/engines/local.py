"""The local engine: pieces computed by threads of this process.

NumPy releases the GIL inside array operations, so blocks of vectorised model
evaluations run in parallel on threads. At most ``2 x threads`` pieces are in flight and
results are handed back in item order, so memory stays flat and the caller's fold order
(and hence every number) does not depend on the thread count. While it computes, BLAS
runs one thread per task, as on Dask workers, so matrix products give the same bits on
both engines.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from ._threads import single_blas_thread

__all__ = ["LocalEngine"]


class LocalEngine:
    """Threads of this process.

    Parameters
    ----------
    workers : int, optional
        Threads (default: the number of CPUs); a map over fewer items uses fewer.

    Examples
    --------
    >>> engine = LocalEngine(workers=2)
    >>> list(engine.map_ordered(lambda context, item: item + context, [1, 2, 3], context=100))
    [101, 102, 103]
    """

    name = "local"

    def __init__(self, workers: int | None = None):
        self.workers = max(1, int(workers or os.cpu_count() or 1))

    def map_ordered(self, function, items, *, context=None, batch=None, label: str = ""):
        """Yield ``function(context, item)`` for each item, in item order.

        ``batch`` and ``label`` are accepted for compatibility with the Dask engine and
        ignored (threads share memory, so there is nothing to amortise or name).
        """
        # items are consumed lazily (never listed): a run of 10**12 scenarios is 15 million
        # blocks, and only the 2 x threads in flight exist at any time
        threads = min(self.workers, len(items)) if hasattr(items, "__len__") else self.workers
        # one BLAS thread, as on Dask workers: the same bits whatever the pools (see _threads)
        with single_blas_thread():
            if threads <= 1:
                for item in items:
                    yield function(context, item)
                return
            yield from self._threaded(function, items, context, threads)

    @staticmethod
    def _threaded(function, items, context, threads):
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="roq") as pool:
            pending: deque = deque()
            try:
                for item in items:
                    pending.append(pool.submit(function, context, item))
                    if len(pending) >= 2 * threads:  # bounded work in flight keeps memory flat
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:  # an error or an abandoned generator: stop queued work
                    future.cancel()

    def describe(self) -> str:
        return f"local ({self.workers} thread{'s' if self.workers != 1 else ''})"

    def start(self) -> "LocalEngine":
        """Nothing to start (threads live only inside :meth:`map_ordered`); returns self."""
        return self

    def close(self) -> None:
        """Nothing to release: threads live only inside :meth:`map_ordered`."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self) -> str:
        return f"LocalEngine(workers={self.workers})"
