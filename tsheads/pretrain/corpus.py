"""Batches of (context, future) windows drawn from the synthetic generator and the real series.

Context lengths vary: most windows use the full context, the rest a log-uniform length down to
``min_context`` left-padded and masked, so the model learns to forecast short series (M3 yearly has
14 points). Futures shorter than the horizon are masked rather than skipped.

For v2 each real series may carry its time step (seconds, NaN when unknown) and a sampling weight: the
batch then holds each window's resolution bucket, and ``aggregate_fraction`` of real windows are drawn
from the series summed over ``k`` steps (TTM's downsampling augmentation), labelled with the coarser
resolution, so daily data also teaches weekly and monthly patterns. ``unknown_fraction`` of real windows are
labelled "unknown" (frames with integer time steps get that label at inference; without it, "unknown" is
learnt from the synthetic series and integer-step sources alone).
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ..nn.config import RESOLUTIONS
from ..timegrid import resolution_index
from .synthetic import synthetic_series

UNKNOWN = RESOLUTIONS.index("unknown")
AGGREGATION_FACTORS = (2, 3, 4, 6, 7, 12, 24, 30)  # 24: hourly to daily, 7: daily to weekly, 30: to monthly


class Batch(NamedTuple):
    x: np.ndarray                # (batch, 1, context) float32
    observed: np.ndarray         # (batch, 1, context) bool
    future: np.ndarray           # (batch, 1, horizon) float32
    future_observed: np.ndarray  # (batch, 1, horizon) bool
    resolution: np.ndarray       # (batch,) int64 index into RESOLUTIONS


class CorpusSampler:
    """Draws training windows; ``real_fraction`` of them come from ``real`` (list of 1-D arrays).

    ``real_steps`` (seconds per step, NaN unknown) and ``real_weights`` (relative sampling weights) are
    parallel to ``real``; without weights series are drawn in proportion to the square root of their length.
    """

    def __init__(self, context: int, horizon: int, real: Optional[list] = None, real_fraction: float = 0.3,
                 full_context_fraction: float = 0.6, min_context: int = 8, seed: int = 0,
                 real_steps: Optional[list] = None, real_weights: Optional[list] = None,
                 aggregate_fraction: float = 0.0, unknown_fraction: float = 0.0):
        self.context, self.horizon = context, horizon
        real = list(real or [])
        steps = list(real_steps) if real_steps is not None else [np.nan] * len(real)
        weights = list(real_weights) if real_weights is not None else [np.sqrt(len(r)) for r in real]
        if not len(steps) == len(weights) == len(real):
            raise ValueError("real_steps and real_weights must be as long as real")
        kept = [i for i, r in enumerate(real) if len(r) > min_context]
        self.real = [real[i] for i in kept]
        self.real_steps = np.array([steps[i] for i in kept], dtype=float)
        self.real_fraction = real_fraction if self.real else 0.0
        # long series give many windows, short ones variety: sqrt(length) unless the caller weighs sources
        w = np.array([weights[i] for i in kept], dtype=float) if self.real else np.ones(1)
        self.real_p = w / w.sum()
        self.full_context_fraction, self.min_context = full_context_fraction, min_context
        self.aggregate_fraction = aggregate_fraction
        self.unknown_fraction = unknown_fraction
        self.rng = np.random.default_rng(seed)

    def _aggregated(self, i: int):
        """Series ``i`` (and its resolution), summed over ``k`` steps for ``aggregate_fraction`` of draws."""
        series, step = self.real[i], self.real_steps[i]
        if self.aggregate_fraction and self.rng.random() < self.aggregate_fraction:
            k = int(self.rng.choice(AGGREGATION_FACTORS))
            if len(series) // k > 2 * self.min_context:
                n = len(series) // k * k
                start = len(series) - n
                series = series[start:].reshape(-1, k).sum(axis=1, dtype=np.float64).astype(np.float32)
                step = step * k
        return series, resolution_index(step)

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

    def _synthetic(self) -> np.ndarray:
        """A synthetic series that stays finite in float32 (its random level can reach 1e38 and beyond)."""
        while True:
            series = synthetic_series(self.rng, self.context + self.horizon)
            if np.abs(series).max() < 1e30:
                return series

    def batch(self, size: int) -> Batch:
        rows, resolution = [], np.full(size, UNKNOWN, dtype=np.int64)
        for row in range(size):
            if self.rng.random() < self.real_fraction:
                series, resolution[row] = self._aggregated(self.rng.choice(len(self.real), p=self.real_p))
                # resolution dropout: "unknown" then also means real data, not only the synthetic series
                # (no draw at 0, so runs made without it resume exactly)
                if self.unknown_fraction and self.rng.random() < self.unknown_fraction:
                    resolution[row] = UNKNOWN
            else:
                series = self._synthetic()
            rows.append(self._window(series))
        x, obs, y, yobs = (np.stack(a)[:, None] for a in zip(*rows))
        return Batch(x, obs, y, yobs, resolution)
