"""The classical candidates of many series in worker processes, while the caller runs the network.

Theta and ETS are fitted per series in Python-level loops (statsforecast's numba code), so one process
uses one core. Beside the network the CPUs are shared: a quarter of them (at least one) stay with the network
and the rest run worker processes (:attr:`Pending.network_cpus` caps torch's threads meanwhile), so the two
do not fight over cores; the calling process then takes the chunks no worker has started once its network
is done. On two cores (one worker beside one torch thread) M3 monthly ran 25 to 35 % faster than with two
workers beside two threads; machines with more cores were not measured. Workers are forked
(no re-import, nothing to pickle but the series); where ``fork`` is unavailable (Windows, and macOS by
default) or the frame is small, everything runs in the calling process. Results do not depend on ``n_jobs``:
each series is computed alone, in the same way, wherever it runs.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable

from .candidates import ModelSpec, classical_forecasts

#: fewest series worth a process pool (forking costs tens of milliseconds)
MIN_PARALLEL_SERIES = 64
#: chunks per worker: small enough to balance long and short series, and for the caller to take a share
CHUNKS_PER_WORKER = 16


def available_cpus() -> int:
    """CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


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
        At least 1; 1 inside a daemonic process (a Dask worker's, say), which may not start others.
    """
    cpus = available_cpus()
    wanted = 1 if n_jobs is None else (n_jobs if n_jobs > 0 else max(1, cpus + 1 + n_jobs))
    if n_tasks < MIN_PARALLEL_SERIES or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if multiprocessing.current_process().daemon:  # e.g. a Dask worker: daemonic processes may not have children
        return 1
    return max(1, min(wanted, cpus, n_tasks))


class Pending:
    """Classical forecasts under way: ``result()`` waits for them (in task order), ``cancel()`` drops them.

    ``network_cpus``: how many CPUs the caller should use meanwhile (None: no limit, nothing runs in workers).
    """

    def __init__(self, chunks: list[Callable[[], list]], pool: ProcessPoolExecutor | None = None, futures=(),
                 network_cpus: int | None = None):
        self._chunks, self._pool, self._futures = chunks, pool, list(futures)
        self.network_cpus = network_cpus

    def result(self) -> list:
        """One candidate dict per task, in order. Chunks no worker has started run here (the last first, while
        the workers go on from the front), so a caller that finished early shares the rest of the work."""
        try:
            if self._pool is None:
                return [r for chunk in self._chunks for r in chunk()]
            done = [None] * len(self._futures)
            for k in reversed(range(len(self._futures))):
                if self._futures[k].cancel():
                    done[k] = self._chunks[k]()
            return [r for k, f in enumerate(self._futures) for r in (done[k] if done[k] is not None else f.result())]
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the workers (nothing to do in-process)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def start_classical(tasks: list, h: int, models: ModelSpec | None, n_jobs: int | None,
                    beside_network: bool = False) -> Pending:
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
        CPUs to use (see :func:`n_workers`).
    beside_network : bool, default False
        The caller runs the network meanwhile: a quarter of the CPUs (at least one) stay with it, the rest
        become worker processes, and ``network_cpus`` of the result caps the caller's threads at the CPUs of
        this machine the workers leave free.

    Returns
    -------
    Pending
        ``result()`` gives the list of candidate dicts.
    """
    cpus = n_workers(n_jobs, len(tasks))
    if cpus == 1:
        return Pending([lambda: _chunk(tasks, h, models)])
    workers = max(1, cpus - max(1, cpus // 4)) if beside_network else cpus
    size = -(-len(tasks) // (workers * CHUNKS_PER_WORKER))
    parts = [tasks[i:i + size] for i in range(0, len(tasks), size)]
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    return Pending([lambda part=part: _chunk(part, h, models) for part in parts], pool,
                   [pool.submit(_chunk, part, h, models) for part in parts],
                   network_cpus=max(1, available_cpus() - workers) if beside_network else None)


def _chunk(tasks: list, h: int, models: ModelSpec | None) -> list:
    return [classical_forecasts(y, cuts, h, periods, models) for y, cuts, periods in tasks]
