"""The cycle head: each whole seasonal cycle compared with the cycles of the fit data (pure numpy).

A day whose peak does not come, or a flattened day, is invisible at the scale of the network's heads (a
16-step forecast, a 64-point embedding, a masked patch rebuilt from its neighbours), yet obvious when a whole
cycle is compared with the cycles seen in the fit data, as Sub-PCA and the matrix profile do with
period-long windows. A cycle's deviation is the root-mean-square distance of its raw (scaled) values to the
nearest fit-data cycle; a point's is the mean over the cycles that cover it.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..inference import window_starts
from .heads import local_starts, windows_to_points
from .windows import dominant_period

#: cycles are cut every ``period // CYCLE_STEPS`` points; at most ``MAX_CYCLE_BANK`` fit cycles are kept
CYCLE_STEPS, MAX_CYCLE_BANK = 16, 4096
#: the longest cycle looked for (points), and the fewest a cycle may have
MAX_PERIOD, MIN_PERIOD = 1024, 4


def fit_period(x: np.ndarray, observed: np.ndarray, season_length: Optional[int] = None) -> Optional[int]:
    """The cycle length of fit data ``(C, T)``: ``season_length`` if given, else the longest channel's dominant
    autocorrelation period; None when there is none or the fit data holds fewer than two whole cycles."""
    t = x.shape[1]
    if season_length is not None:
        period = int(season_length)
    else:
        found = [dominant_period(ch[ob], low=MIN_PERIOD, high=MAX_PERIOD) for ch, ob in zip(x, observed)]
        found = [p for p in found if p]
        period = max(found) if found else None
    return period if period is not None and MIN_PERIOD <= period and 2 * period <= t else None


def cycle_stride(period: int) -> int:
    return max(1, period // CYCLE_STEPS)


def cycles(x: np.ndarray, observed: np.ndarray, period: int, origin: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Local starts ``(W,)`` and raw cycles ``(W, C, period)`` of a ``(C, T)`` series.

    Starts lie on a grid from the whole series' start (``origin``: ``x`` is the tail of a longer series
    from that point on; see :func:`~tsheads.scoring.heads.local_starts`). Unobserved points are filled by
    linear interpolation within their channel (a gap is not an anomaly by itself); positions before the
    series' start repeat its first value; magnitudes are capped at 1e100.
    """
    c, t = x.shape
    filled = np.empty((c, t))
    for ch in range(c):
        idx = np.flatnonzero(observed[ch])
        filled[ch] = np.interp(np.arange(t), idx, x[ch, idx]) if len(idx) else 0.0
    starts = local_starts(window_starts(t + origin, period, cycle_stride(period)), origin)
    pos = np.clip(starts[:, None] + np.arange(period)[None, :], 0, t - 1)
    # values are in units of the fit data's peak; the cap keeps squared distances of absurd outliers finite
    return starts, np.clip(filled, -1e100, 1e100)[:, pos].transpose(1, 0, 2)


def nearest_rms(windows: np.ndarray, bank: np.ndarray, overlap: tuple | None = None, chunk: int = 1024) -> np.ndarray:
    """Root-mean-square distance ``(W, C)`` of each window ``(W, C, P)`` to its nearest bank window ``(B, C, P)``.

    ``overlap = (starts, bank_starts, width)`` ignores pairs of windows that overlap (the fit data scored
    against itself). A window with no admissible bank entry gets distance 0.
    """
    p = windows.shape[-1]
    bank_sq = (bank ** 2).sum(-1)  # (B, C)
    out = np.empty(windows.shape[:2])
    for i in range(0, len(windows), chunk):
        w = windows[i:i + chunk]
        near = None
        if overlap is not None:
            starts, bank_starts, width = overlap
            near = np.abs(starts[i:i + chunk, None] - bank_starts[None, :]) < width
        for c in range(w.shape[1]):  # one matrix product per channel (BLAS)
            sq = (w[:, c] ** 2).sum(-1)[:, None] + bank_sq[None, :, c] - 2.0 * (w[:, c] @ bank[:, c].T)
            if near is not None:
                sq = np.where(near, np.inf, sq)
            best = sq.min(-1)
            out[i:i + chunk, c] = np.sqrt(np.clip(np.where(np.isfinite(best), best, 0.0), 0.0, None) / p)
    return out


def cycle_bank(starts: np.ndarray, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most :data:`MAX_CYCLE_BANK` fit cycles, evenly spread, with their starts."""
    keep = np.unique(np.linspace(0, len(windows) - 1, min(len(windows), MAX_CYCLE_BANK)).astype(int))
    return windows[keep].astype(np.float32), starts[keep]


def cycle_deviations(starts: np.ndarray, windows: np.ndarray, length: int, period: int, bank: np.ndarray,
                     bank_starts: np.ndarray, begins_with_fit: bool, origin: int = 0) -> np.ndarray:
    """Per-point deviation ``(C, length)`` of the cycles ``(starts, windows)`` from the nearest ``bank`` cycle.

    ``begins_with_fit``: the series begins with the fit data, so bank cycles overlapping a scored cycle are
    ignored (each fit cycle would otherwise find itself).
    """
    overlap = (starts + origin, bank_starts, period) if begins_with_fit else None
    return windows_to_points(starts, nearest_rms(windows, bank.astype(np.float64), overlap), length, period)
