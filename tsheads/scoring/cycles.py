"""The cycle head: each whole seasonal cycle compared with the cycles of the fit data (pure numpy).

A day whose peak does not come, or a flattened day, is invisible at the scale of the network's heads (a
16-step forecast, a 64-point embedding, a masked patch rebuilt from its neighbours), yet obvious when a whole
cycle is compared with the cycles seen in the fit data, as Sub-PCA and the matrix profile do with
period-long windows. A cycle's deviation is the root-mean-square distance of its raw (scaled) values to the
nearest fit-data cycle, over the points observed in both; a point's is the mean over the cycles that cover it.

The fit data's cycles start at every point (every phase), so a scored cycle finds a fit cycle of the same
phase wherever the scored series starts; scored cycles start every ``period // CYCLE_STEPS`` points.
Unobserved points and positions before a series' start are left out of the distance (never filled), so a
cycle's deviation depends on its own points only.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..inference import window_starts
from .heads import local_starts
from .windows import dominant_period

#: scored cycles start every ``period // CYCLE_STEPS`` points; the bank keeps at most ``MAX_CYCLE_BANK`` fit
#: cycles (the latest, at every start)
CYCLE_STEPS, MAX_CYCLE_BANK = 16, 4096
#: the longest cycle looked for (points), and the fewest a cycle may have
MAX_PERIOD, MIN_PERIOD = 1024, 4
#: fit data must hold this many whole cycles (a cycle needs another that it does not overlap); fit cycles
#: that overlap every other one are left unscored. Two beat three on the dev data of
#: ``evaluation.cycle_head_choice`` (mean VUS-PR of the default rule 0.349 vs 0.330)
MIN_CYCLES = 2
#: a cycle with fewer points observed in common with a bank cycle than this share of the period is not scored
MIN_OVERLAP = 0.5


def fit_period(x: np.ndarray, observed: np.ndarray, season_length: Optional[int] = None) -> Optional[int]:
    """The cycle length of fit data ``(C, T)``: ``season_length`` if given, else the longest channel's dominant
    autocorrelation period; None when there is none or the fit data holds fewer than :data:`MIN_CYCLES`."""
    t = x.shape[1]
    if season_length is not None:
        period = int(season_length)
    else:
        found = [dominant_period(ch[ob], low=MIN_PERIOD, high=MAX_PERIOD) for ch, ob in zip(x, observed)]
        found = [p for p in found if p]
        period = max(found) if found else None
    return period if period is not None and MIN_PERIOD <= period and MIN_CYCLES * period <= t else None


def cycle_stride(period: int) -> int:
    return max(1, period // CYCLE_STEPS)


def cut(x: np.ndarray, observed: np.ndarray, starts: np.ndarray, period: int) -> np.ndarray:
    """Cycles ``(W, C, period)`` of ``x`` ``(C, T)`` at ``starts``; unobserved or outside points are NaN.

    Magnitudes are capped at 1e100 (values are in units of the fit data's peak) so squared distances of
    absurd outliers stay finite.
    """
    t = x.shape[1]
    pos = starts[:, None] + np.arange(period)[None, :]
    inside = (pos >= 0) & (pos < t)
    safe = np.clip(pos, 0, t - 1)
    values = np.where(observed, np.clip(x, -1e100, 1e100), np.nan)[:, safe]  # (C, W, period)
    return np.ascontiguousarray(np.where(inside[None], values, np.nan).transpose(1, 0, 2))


def cycles(x: np.ndarray, observed: np.ndarray, period: int, origin: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Local starts ``(W,)`` and cycles ``(W, C, period)`` to score, on a grid from the whole series' start.

    ``origin``: ``x`` is the tail of a longer series from that point on (see
    :func:`~tsheads.scoring.heads.local_starts`).
    """
    starts = local_starts(window_starts(x.shape[1] + origin, period, cycle_stride(period)), origin)
    return starts, cut(x, observed, starts, period)


def cycle_bank(x: np.ndarray, observed: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray]:
    """The fit data's cycles at every start (the latest :data:`MAX_CYCLE_BANK`), float32, with their starts."""
    starts = np.arange(max(0, x.shape[1] - period + 1 - MAX_CYCLE_BANK), x.shape[1] - period + 1)
    return cut(x, observed, starts, period).astype(np.float32), starts


def nearest_rms(windows: np.ndarray, bank: np.ndarray, overlap: tuple | None = None, chunk: int = 512,
                level_free: bool = False) -> np.ndarray:
    """RMS distance ``(W, C)`` of each cycle ``(W, C, P)`` to its nearest bank cycle ``(B, C, P)`` (NaN = unobserved).

    The distance runs over the points observed in both; bank cycles sharing fewer than :data:`MIN_OVERLAP` of
    the period with a cycle are not candidates. ``overlap = (starts, bank_starts, width)`` also leaves out
    pairs of cycles that overlap in time (the fit data scored against itself). A cycle with no candidate is
    NaN (not scored). Rows with every point observed (against a bank with every point observed) take one
    matrix product instead of four; which way a row goes depends on that row alone, never on its chunk.
    ``level_free``: the distance of the two cycles' shapes, the mean difference over the shared points taken
    out of each pair (a slow drift of the level is then no deviation; a cycle of another shape still is).
    """
    p = windows.shape[-1]
    bm = np.isfinite(bank)
    full_bank = bool(bm.all())
    b = np.where(bm, bank, 0.0).astype(np.float64)
    bmf, b_sq = bm.astype(np.float64), b ** 2
    b_sq_sum, b_sum = b_sq.sum(-1), b.sum(-1)  # (B, C): the bank's, once for every chunk
    out = np.full(windows.shape[:2], np.nan)
    for i in range(0, len(windows), chunk):
        w = windows[i:i + chunk]
        wm = np.isfinite(w)
        wv = np.where(wm, w, 0.0)
        excluded = None
        if overlap is not None:
            starts, bank_starts, width = overlap
            excluded = np.abs(starts[i:i + chunk, None] - bank_starts[None, :]) < width
        for c in range(w.shape[1]):
            full = wm[:, c].all(-1) & full_bank  # (rows,)
            cross = wv[:, c] @ b[:, c].T
            sq = (wv[:, c] ** 2).sum(-1)[:, None] + b_sq_sum[None, :, c] - 2.0 * cross
            if level_free:  # less the squared mean difference, times the points
                sq = sq - (wv[:, c].sum(-1)[:, None] - b_sum[None, :, c]) ** 2 / p
            best = np.full(len(w), np.inf)
            rows = np.flatnonzero(full)
            if len(rows):  # every point shared: the mean divides by the period, so the nearest is the least sum
                d = sq[rows] if excluded is None else np.where(excluded[rows], np.inf, sq[rows])
                best[rows] = np.clip(d.min(-1), 0.0, None) / p
            part = np.flatnonzero(~full)
            if len(part):  # sums over the points observed in both
                wmf = wm[part, c].astype(np.float64)
                count = wmf @ bmf[:, c].T
                sq_part = (wv[part, c] ** 2) @ bmf[:, c].T + wmf @ b_sq[:, c].T - 2.0 * cross[part]
                if level_free:
                    diff = wv[part, c] @ bmf[:, c].T - wmf @ b[:, c].T
                    sq_part = sq_part - diff ** 2 / np.maximum(count, 1.0)
                ok = count >= MIN_OVERLAP * p
                if excluded is not None:
                    ok &= ~excluded[part]
                best[part] = np.where(ok, np.clip(sq_part, 0.0, None) / np.maximum(count, 1.0), np.inf).min(-1)
            out[i:i + chunk, c] = np.where(np.isfinite(best), np.sqrt(best), np.nan)
    return out


def cycle_distances(starts: np.ndarray, windows: np.ndarray, period: int, bank: np.ndarray, bank_starts: np.ndarray,
                    begins_with_fit: bool, origin: int = 0, level_free: bool = False) -> np.ndarray:
    """Distance ``(W, C)`` of each cycle ``(starts, windows)`` to the nearest ``bank`` cycle (NaN: not scored).

    ``begins_with_fit``: the series begins with the fit data, so bank cycles overlapping a scored cycle are
    ignored (each fit cycle would otherwise find itself). ``level_free``: see :func:`nearest_rms`.
    """
    overlap = (starts + origin, bank_starts, period) if begins_with_fit else None
    return nearest_rms(windows, bank, overlap, level_free=level_free)


def independent_cycles(starts: np.ndarray, distances: np.ndarray, period: int) -> list[int]:
    """Per channel, how many scored cycles (finite ``distances`` ``(W, C)`` at ``starts``) do not overlap: taken in
    order from the first, each at least ``period`` after the last taken. Scored cycles start every
    ``period // CYCLE_STEPS`` points, so their plain count says little of how many cycles the fit data held."""
    order = np.argsort(starts, kind="stable")
    counts = []
    for c in range(distances.shape[1]):
        n, last = 0, None
        for s in starts[order][np.isfinite(distances[order, c])]:
            if last is None or s >= last + period:
                n, last = n + 1, s
        counts.append(n)
    return counts
