"""Sliding subsequences, their widths and scores, for the window-based detectors and heads (pure numpy/statsmodels)."""

from __future__ import annotations

from typing import Optional

import numpy as np


def dominant_period(x: np.ndarray, low: int = 4, high: int = 512, min_acf: float = 0.2) -> Optional[int]:
    """The lag of the highest autocorrelation peak in ``[low, high]`` (after the first dip below zero).

    ``None`` when the series has no clear cycle (no peak above ``min_acf``), as is common in NAB.
    """
    from statsmodels.tsa.stattools import acf

    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if len(x) < 3 * low or np.ptp(x) == 0:
        return None
    nlags = min(high, len(x) // 2)
    r = acf(x, nlags=nlags, fft=True)
    below = np.flatnonzero(r < 0)
    if not len(below):
        return None
    first = max(int(below[0]), low)
    peaks = [k for k in range(first, len(r) - 1) if r[k] >= r[k - 1] and r[k] >= r[k + 1]]
    if not peaks:
        return None
    best = max(peaks, key=lambda k: r[k])
    return int(best) if r[best] >= min_acf else None


#: window without a cycle in the fit data, and the bounds of a found one (the window detectors' and the subspace
#: head's)
DEFAULT_WIDTH, MIN_WIDTH, MAX_WIDTH = 32, 4, 256


def period_width(x: np.ndarray, observed: Optional[np.ndarray] = None, default: int = DEFAULT_WIDTH) -> int:
    """The longest dominant autocorrelation period over the channels of ``x`` ``(C, T)`` (observed points),
    clipped to ``MIN_WIDTH..MAX_WIDTH``; ``default`` when no channel shows one."""
    rows = x if observed is None else [ch[ob] for ch, ob in zip(x, observed)]
    periods = [p for p in (dominant_period(ch) for ch in rows) if p]
    return int(np.clip(max(periods) if periods else default, MIN_WIDTH, MAX_WIDTH))


def subsequences(x: np.ndarray, width: int) -> np.ndarray:
    """All windows of ``width`` steps of a ``(C, T)`` series, flattened: ``(T - width + 1, C * width)``."""
    c, t = x.shape
    win = np.lib.stride_tricks.sliding_window_view(x, width, axis=1)  # (C, T - w + 1, w)
    return np.ascontiguousarray(win.transpose(1, 0, 2).reshape(t - width + 1, c * width))


def spread_to_points(window_scores: np.ndarray, length: int, width: int) -> np.ndarray:
    """Point scores ``(length,)``: the mean score of the windows that cover each point."""
    n = len(window_scores)
    csum = np.concatenate([[0.0], np.cumsum(window_scores)])
    t = np.arange(length)
    first = np.clip(t - width + 1, 0, n)  # windows starting in [t - width + 1, t] cover t
    last = np.clip(t + 1, 0, n)
    count = np.maximum(last - first, 1)
    return (csum[last] - csum[first]) / count
