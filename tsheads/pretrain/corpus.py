"""Batches of (context, future) windows drawn from the synthetic generator and the real series.

Context lengths vary: most windows use the full context, the rest a log-uniform length down to
``min_context`` left-padded and masked, so the model learns to forecast short series (M3 yearly has
14 points). Futures shorter than the horizon are masked rather than skipped.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from .synthetic import synthetic_series


class Batch(NamedTuple):
    x: np.ndarray                # (batch, 1, context) float32
    observed: np.ndarray         # (batch, 1, context) bool
    future: np.ndarray           # (batch, 1, horizon) float32
    future_observed: np.ndarray  # (batch, 1, horizon) bool


class CorpusSampler:
    """Draws training windows; ``real_fraction`` of them come from ``real`` (list of 1-D arrays)."""

    def __init__(self, context: int, horizon: int, real: Optional[list] = None, real_fraction: float = 0.3,
                 full_context_fraction: float = 0.6, min_context: int = 8, seed: int = 0):
        self.context, self.horizon = context, horizon
        self.real = [r for r in (real or []) if len(r) > min_context]
        self.real_fraction = real_fraction if self.real else 0.0
        # sample real series in proportion to sqrt(length): long series give many windows, short ones variety
        w = np.sqrt([len(r) for r in self.real]) if self.real else np.ones(1)
        self.real_p = w / w.sum()
        self.full_context_fraction, self.min_context = full_context_fraction, min_context
        self.rng = np.random.default_rng(seed)

    def _window(self, series: np.ndarray):
        rng, L, H = self.rng, self.context, self.horizon
        n = len(series)
        ctx_max = min(L, n - 1)
        if rng.random() < self.full_context_fraction or ctx_max <= self.min_context:
            ctx = ctx_max
        else:
            ctx = int(np.exp(rng.uniform(np.log(self.min_context), np.log(ctx_max + 1))))
            ctx = min(max(ctx, self.min_context), ctx_max)
        fut = min(H, n - ctx)
        start = rng.integers(0, n - ctx - fut + 1)
        x, obs = np.zeros(L, np.float32), np.zeros(L, bool)
        y, yobs = np.zeros(H, np.float32), np.zeros(H, bool)
        x[L - ctx:], obs[L - ctx:] = series[start:start + ctx], True
        y[:fut], yobs[:fut] = series[start + ctx:start + ctx + fut], True
        return x, obs, y, yobs

    def batch(self, size: int) -> Batch:
        rows = []
        for _ in range(size):
            if self.rng.random() < self.real_fraction:
                series = self.real[self.rng.choice(len(self.real), p=self.real_p)]
            else:
                series = synthetic_series(self.rng, self.context + self.horizon)
            rows.append(self._window(series))
        x, obs, y, yobs = (np.stack(a)[:, None] for a in zip(*rows))
        return Batch(x, obs, y, yobs)
