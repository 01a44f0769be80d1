"""The classical candidates of many series in worker processes, while the caller runs the network.

Theta and ETS are fitted per series in Python-level loops (statsforecast's numba code), so one process
uses one core; on a two-core laptop the network and the classical fits can run side by side. Workers are
forked (no re-import, nothing to pickle but the series); where ``fork`` is unavailable (Windows, and macOS
by default) or the frame is small, everything runs in the calling process. Results do not depend on
``n_jobs``: each series is computed alone, in the same way, wherever it runs.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable

from .candidates import ModelSpec, classical_forecasts

#: fewest series worth a process pool (forking costs tens of milliseconds)
MIN_PARALLEL_SERIES = 64
#: chunks per worker: small enough to balance long and short series
CHUNKS_PER_WORKER = 4


def n_workers(n_jobs: int | None, n_tasks: int) -> int:
    """Processes to use: ``n_jobs`` (None: 1; -1: every CPU this process may use), 1 for small frames.

    Parameters
    ----------
    n_jobs : int or None
        scikit-learn convention: None is 1, negative counts back from the number of CPUs (-1: all).
    n_tasks : int
        Number of series.

    Returns
    -------
    int
        At least 1.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    wanted = 1 if n_jobs is None else (n_jobs if n_jobs > 0 else max(1, cpus + 1 + n_jobs))
    if n_tasks < MIN_PARALLEL_SERIES or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(wanted, cpus, n_tasks))


class Pending:
    """Classical forecasts under way: ``result()`` waits for them (in task order), ``cancel()`` drops them."""

    def __init__(self, compute: Callable[[], list], pool: ProcessPoolExecutor | None = None, futures=()):
        self._compute, self._pool, self._futures = compute, pool, list(futures)

    def result(self) -> list:
        """One candidate dict per task, in order."""
        try:
            return self._compute() if self._pool is None else [r for f in self._futures for r in f.result()]
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the workers (nothing to do in-process)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def start_classical(tasks: list, h: int, models: ModelSpec | None, n_jobs: int | None) -> Pending:
    """Start :func:`tsheads.candidates.classical_forecasts` for every ``(y, cuts, periods)`` task.

    Returns at once; with one worker nothing runs before ``result()`` is called.

    Parameters
    ----------
    tasks : list of tuple
        ``(y, cuts, periods)`` per series, as :func:`~tsheads.candidates.classical_forecasts` takes them.
    h : int
        Horizon.
    models : ModelSpec or None
        Theta and ETS and their forms (None: the naive family only).
    n_jobs : int or None
        Worker processes (see :func:`n_workers`).

    Returns
    -------
    Pending
        ``result()`` gives the list of candidate dicts.
    """
    workers = n_workers(n_jobs, len(tasks))
    if workers == 1:
        return Pending(lambda: _chunk(tasks, h, models))
    size = -(-len(tasks) // (workers * CHUNKS_PER_WORKER))
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    return Pending(None, pool, [pool.submit(_chunk, tasks[i:i + size], h, models)
                                for i in range(0, len(tasks), size)])


def _chunk(tasks: list, h: int, models: ModelSpec | None) -> list:
    return [classical_forecasts(y, cuts, h, periods, models) for y, cuts, periods in tasks]
