"""Training batches by step index, optionally made ahead in worker processes.

Batch ``i`` of a run is drawn with a generator seeded by ``(seed, i)``, so any process can make it and a
resumed run sees exactly the batches the uninterrupted run would have. Workers are forked, so the real corpus
is shared with them rather than copied. On a GPU the network needs a few milliseconds per batch while one
CPU core needs about a second to draw it (the synthetic generator dominates): workers keep the GPU fed.
"""

from __future__ import annotations

import multiprocessing
from collections import deque

import numpy as np

from .corpus import Batch, CorpusSampler

_SAMPLER: CorpusSampler | None = None  # the forked workers' sampler


def batch_at(sampler: CorpusSampler, seed: int, step: int, size: int) -> Batch:
    """Batch ``step`` of a run: the same whichever process draws it, and whatever was drawn before."""
    sampler.rng = np.random.default_rng([seed, step])
    return sampler.batch(size)


def _work(job):
    seed, step, size = job
    return batch_at(_SAMPLER, seed, step, size)


class IndexedBatches:
    """Iterate batches ``first, first + 1, ...`` of a run, ``workers`` processes drawing ahead (0: inline)."""

    def __init__(self, sampler: CorpusSampler, seed: int, size: int, first: int, workers: int = 0):
        self.sampler, self.seed, self.size, self.next = sampler, seed, size, first
        self.pool, self.pending = None, deque()
        if workers > 0:
            global _SAMPLER
            _SAMPLER = sampler
            self.pool = multiprocessing.get_context("fork").Pool(workers)
            for _ in range(2 * workers):
                self._submit()

    def _submit(self):
        step = self.next + len(self.pending)
        self.pending.append(self.pool.apply_async(_work, ((self.seed, step, self.size),)))

    def get(self) -> Batch:
        """The next batch in step order."""
        self.next += 1
        if self.pool is None:
            return batch_at(self.sampler, self.seed, self.next - 1, self.size)
        batch = self.pending.popleft().get()
        self._submit()
        return batch

    def close(self):
        if self.pool is not None:
            self.pool.terminate()
            self.pool = None
