"""A linear autoregression pooled over many series: the global candidate of ValidatedForecaster.

Every other candidate reads one series. A frame of related series also teaches how such series continue, and
a linear model fitted on the windows of all of them (a "global" model) forecasts the M competitions' series
about as well as per-series models (Montero-Manso and Hyndman, 2021); AutoGluon-TimeSeries' ensembles keep
global tabular models beside the local ones for this reason. Here: direct multi-step ridge regression from
the last ``L`` values to the next ``h``, on windows standardised by their own mean and deviation (so series
of any level share one model), fitted on every window of the pool whose target ends before the forecast
origin, and averaged over the lookbacks ``L = h, 2h, 3h`` (capped at :data:`MAX_LOOKBACK`).

The normal equations are written out here rather than fitted with scikit-learn's ``Ridge`` because each
backtest slot and lookback needs its own fit, and with one pool per series (``pools``) that is thousands of
tiny fits, which one batched solve does at once.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

#: lookbacks, in multiples of the horizon, whose forecasts are averaged
LOOKBACK_MULTIPLES = (1, 2, 3)
#: longest lookback (the network reads at most 512 points too)
MAX_LOOKBACK = 512
#: each series lends its latest ``max(MIN_SERIES_WINDOWS, MAX_POOL_WINDOWS // series in the largest pool)``
#: windows to a fit, so a pool of up to 100 series reads about 20,000 windows at most, a larger one 200 per series
MAX_POOL_WINDOWS = 20000
MIN_SERIES_WINDOWS = 200
#: ridge penalty on the standardised lags (the intercept is not penalised)
RIDGE = 1.0
#: a window whose deviation is below this share of its level's size is flat: it trains nothing and is
#: forecast flat at its mean
FLAT = 1e-8
#: largest standardised target a training window may hold, and the furthest a forecast may go, in deviations of
#: its lags: a near-flat stretch followed by a jump would otherwise weigh as the square of a huge number in the
#: fit (a trend continued for 3h from a lookback of h is about 5 deviations away)
MAX_DEVIATIONS = 10.0
#: pools fitted at once (each holds a ``(L + 1, L + 1)`` Gram matrix; one pool per series can be many)
POOL_CHUNK = 256


def pooled_linear_forecasts(series: list, origins: np.ndarray, h: int, pools: Optional[np.ndarray] = None,
                            limits: Optional[np.ndarray] = None, multiples=LOOKBACK_MULTIPLES) -> np.ndarray:
    """Forecasts of ``h`` steps from each series' origins by ridge autoregressions pooled over ``pools``.

    At each slot (column of ``origins``) a fit per pool and lookback reads only windows whose target ends at
    or before each series' training limit in that slot (``limits``), so a backtest forecast never saw its own
    series' values after its origin; with limits that share the frame's calendar it sees no other series'
    later values either.

    Parameters
    ----------
    series : list of ndarray
        1-D finite series.
    origins : ndarray
        ``(n, s)`` int: the point count each forecast starts after (the cut), -1 where a series has no origin
        in that slot.
    h : int
        Horizon.
    pools : ndarray, optional
        ``(n,)`` labels: series with the same label share a model; None: one model for every series.
    limits : ndarray, optional
        ``(n, s)`` int: how many of each series' first points the slot's fit may read (0 or less: none). None:
        its origin there, or where it has none its earliest origin (series with no backtest origin then lend
        all their points to every slot: give limits when the series share a calendar).
    multiples : sequence of int
        Lookbacks in multiples of ``h``.

    Returns
    -------
    ndarray
        ``(n, s, h)`` forecasts; NaN where the series has no origin, or where no lookback had a training
        window in its pool.
    """
    n = len(series)
    origins = np.asarray(origins, dtype=np.int64)
    pools = np.zeros(n, dtype=np.int64) if pools is None else np.unique(np.asarray(pools), return_inverse=True)[1]
    if limits is None:
        earliest = np.where(origins >= 0, origins, np.iinfo(np.int64).max).min(axis=1)
        limits = np.where(origins >= 0, origins, earliest[:, None])
    limits = np.asarray(limits, dtype=np.int64)
    lookbacks = sorted({min(MAX_LOOKBACK, k * h) for k in multiples})
    per_series = max(MIN_SERIES_WINDOWS, MAX_POOL_WINDOWS // max(1, np.bincount(pools).max()))
    n_pools = int(pools.max()) + 1
    chunks = [(first, min(POOL_CHUNK, n_pools - first), np.flatnonzero((pools >= first) & (pools < first + POOL_CHUNK)))
              for first in range(0, n_pools, POOL_CHUNK)]  # (first pool, pools, their series)
    out = np.full((n, origins.shape[1], h), np.nan)
    for slot in range(origins.shape[1]):
        total, count = np.zeros((n, h)), np.zeros(n)
        for lookback in lookbacks:
            for first, size, members in chunks:
                coef = _fit([series[i] for i in members], limits[members, slot], h, lookback, pools[members] - first,
                            size, per_series)
                wanted = members[origins[members, slot] >= 0]
                fc = _predict(series, wanted, origins[wanted, slot], lookback, coef[pools[wanted] - first])
                ok = np.isfinite(fc).all(axis=1)
                total[wanted[ok]] += fc[ok]
                count[wanted[ok]] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, slot] = np.where((count[:, None] > 0) & (origins[:, slot, None] >= 0), total / count[:, None],
                                    np.nan)
    return out


def _standardised(windows: np.ndarray) -> tuple:
    """Mean and deviation of each window's lags; a flat window gets deviation NaN."""
    mean = windows.mean(axis=1, keepdims=True)
    dev = windows.std(axis=1, keepdims=True)
    return mean, np.where(dev > FLAT * np.maximum(np.abs(mean), FLAT), dev, np.nan)


def _fit(series: list, limits: np.ndarray, h: int, lookback: int, pools: np.ndarray, n_pools: int,
         per_series: int) -> np.ndarray:
    """``(n_pools, lookback + 1, h)`` ridge coefficients (the last row the intercept) from each pool's windows;
    NaN for a pool without any."""
    gram = np.zeros((n_pools, lookback + 1, lookback + 1))
    cross = np.zeros((n_pools, lookback + 1, h))
    seen = np.zeros(n_pools, dtype=bool)
    for y, limit, pool in zip(series, limits, pools):
        usable = int(limit) - lookback - h + 1  # windows whose target ends at or before the limit
        if usable <= 0:
            continue
        view = np.lib.stride_tricks.sliding_window_view(y[:int(limit)], lookback + h)[-min(usable, per_series):]
        mean, dev = _standardised(view[:, :lookback])
        keep = np.isfinite(dev[:, 0])
        z = (view[keep] - mean[keep]) / dev[keep]
        z = z[np.abs(z[:, lookback:]).max(axis=1, initial=0.0) <= MAX_DEVIATIONS]
        if not len(z):
            continue
        x = np.concatenate([z[:, :lookback], np.ones((len(z), 1))], axis=1)
        gram[pool] += x.T @ x
        cross[pool] += x.T @ z[:, lookback:]
        seen[pool] = True
    penalty = RIDGE * np.eye(lookback + 1)
    penalty[-1, -1] = 1e-9  # the intercept: a tiny penalty only where a pool saw a single window
    coef = np.full((n_pools, lookback + 1, h), np.nan)
    if seen.any():
        coef[seen] = np.linalg.solve(gram[seen] + penalty, cross[seen])
    return coef


def _predict(series: list, rows: np.ndarray, cuts: np.ndarray, lookback: int, coef: np.ndarray) -> np.ndarray:
    """``(len(rows), h)`` forecasts from the last ``lookback`` values before each cut (left-padded with the first
    value when fewer), at most :data:`MAX_DEVIATIONS` deviations of those values from their mean; a flat context
    is forecast flat at its mean; NaN where ``coef`` is (no model)."""
    x = np.empty((len(rows), lookback))
    for r, (i, cut) in enumerate(zip(rows, cuts)):
        tail = series[i][max(0, int(cut) - lookback):int(cut)]
        x[r, lookback - len(tail):] = tail
        x[r, :lookback - len(tail)] = tail[0]
    mean, dev = _standardised(x)
    z = np.concatenate([(x - mean) / np.where(np.isfinite(dev), dev, 1.0), np.ones((len(x), 1))], axis=1)
    step = np.clip(np.einsum("rl,rlh->rh", z, coef), -MAX_DEVIATIONS, MAX_DEVIATIONS)
    return mean + np.where(np.isfinite(dev), step * dev, np.where(np.isfinite(step), 0.0, np.nan))
