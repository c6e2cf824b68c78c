"""One BLAS thread per task, so that results do not depend on the machine's thread pools.

A multi-threaded BLAS splits a matrix product between its threads and adds the pieces
in a different order from a single-threaded one, so the last bits of a product (e.g.
the Poisson-bootstrap sums of :func:`simulator.uncertainty.sobol_fast.sobol_partial`)
depend on the number of BLAS threads. Dask workers run with one BLAS thread
(``distributed`` sets ``OPENBLAS_NUM_THREADS=1`` and friends when it spawns them);
the local engine does the same while it computes, which also avoids oversubscribing the
cores when its own threads each call BLAS. Uses ``threadpoolctl`` when it is installed
(without it, BLAS keeps its threads and only such last-bit differences remain).
"""

from __future__ import annotations

import contextlib
import sys

__all__ = ["single_blas_thread", "pin_process_to_single_blas_thread"]

_pinned = False


_controller = None  # (len(sys.modules) when made, threadpoolctl.ThreadpoolController)


def single_blas_thread():
    """Context manager: BLAS and OpenMP thread pools limited to one thread inside it.

    The pools are found once and reused while no module has been imported since (finding
    them scans the process' shared libraries, about 4 ms: more than a small run's work);
    an import may load a new library, so one makes them be looked up again.
    """
    global _controller
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    if _controller is None or _controller[0] != len(sys.modules):
        _controller = (len(sys.modules), ThreadpoolController())
    return _controller[1].limit(limits=1)


def pin_process_to_single_blas_thread() -> None:
    """Limit this process' BLAS pools to one thread for good (Dask workers; done once)."""
    global _pinned
    if _pinned:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        _pinned = True
        return
    threadpool_limits(limits=1)
    _pinned = True
