"""Validated long frames <-> flat per-series arrays <-> fixed-size (batch, channels, time) windows.

:class:`Panel` stores all series back to back (``values[indptr[i]:indptr[i+1]]`` is series ``i``) so a
million short series cost one array, not a million frames. Training windows are float32 numpy arrays
with a boolean observed-mask; :meth:`Panel.tail` keeps float64 so inference can standardise tiny or huge
series before anything is cast to float32 (:func:`tsheads.inference.standardise`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, NamedTuple, Optional

import numpy as np
import pandas as pd

from .errors import SeriesTooShortError, TsheadsError
from .frames import Columns, validate
from .timegrid import Freq, future_times


@dataclass
class Panel:
    """Series of a validated long frame as flat arrays (see module docstring)."""

    ids: np.ndarray
    times: np.ndarray
    values: np.ndarray
    indptr: np.ndarray
    freq: Freq
    columns: Columns

    @classmethod
    def from_frame(cls, df: pd.DataFrame, columns: Columns, freq: Freq) -> "Panel":
        """Build from a frame that :func:`tsheads.frames.validate` returned (sorted, unique pairs)."""
        ids = df[columns.id].to_numpy()
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        indptr = np.r_[starts, len(ids)].astype(np.int64)
        values = df[list(columns.targets)].to_numpy(dtype=np.float64)
        return cls(ids[starts], df[columns.time].array, values, indptr, freq, columns)

    @classmethod
    def from_data(cls, data, columns: Columns = Columns(), **validate_kwargs) -> "Panel":
        """Validate ``data`` (long/wide frame or Series) and build the panel in one step."""
        df, freq = validate(data, columns, **validate_kwargs)
        return cls.from_frame(df, columns, freq)

    @property
    def n_series(self) -> int:
        return len(self.ids)

    @property
    def n_channels(self) -> int:
        return self.values.shape[1]

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def last_times(self) -> np.ndarray:
        return self.times[self.indptr[1:] - 1]

    def take(self, start: int, stop: int) -> "Panel":
        """Series ``start`` to ``stop - 1`` as a panel of views (no copy), for chunked inference.

        Parameters
        ----------
        start, stop : int
            Half-open range of series positions.

        Returns
        -------
        Panel
            The same arrays, sliced; ``indptr`` rebased to start at 0.
        """
        lo, hi = int(self.indptr[start]), int(self.indptr[stop])
        return Panel(self.ids[start:stop], self.times[lo:hi], self.values[lo:hi],
                     self.indptr[start:stop + 1] - lo, self.freq, self.columns)

    def long_frame(self, columns: Optional[Columns] = None) -> pd.DataFrame:
        """The (first-target) history as a long frame under ``columns`` (default: the panel's own names), for an
        estimator's ``fit``."""
        cols = self.columns if columns is None else columns
        return pd.DataFrame({cols.id: np.repeat(self.ids, self.lengths), cols.time: self.times,
                             cols.targets[0]: self.values[:, 0]})

    def series(self, i: int) -> np.ndarray:
        """Values of series ``i``, shape ``(length, channels)``."""
        return self.values[self.indptr[i]:self.indptr[i + 1]]

    def tail(self, context: int) -> tuple[np.ndarray, np.ndarray]:
        """Last ``context`` points of every series, left-padded with zeros.

        Returns ``(x, observed)`` of shape ``(n_series, channels, context)``; ``observed`` is False on
        padding and on NaN values (NaN is replaced by 0 in ``x``).
        """
        n, c = self.n_series, self.n_channels
        x = np.zeros((n, c, context), dtype=np.float64)
        observed = np.zeros((n, c, context), dtype=bool)
        take = np.minimum(self.lengths, context)
        # flat index of each kept point and its column in the window
        rows = np.repeat(np.arange(n), take)
        offset = np.arange(take.sum()) - np.repeat(np.cumsum(take) - take, take)
        src = np.repeat(self.indptr[1:] - take, take) + offset
        col = np.repeat(context - take, take) + offset
        vals = self.values[src].T  # (channels, points)
        finite = np.isfinite(vals)
        x[rows, :, col] = np.where(finite, vals, 0.0).T
        observed[rows, :, col] = finite.T
        return x, observed


class Windows(NamedTuple):
    """Training pairs: arrays of shape ``(B, C, context)`` / ``(B, C, horizon)`` and ``(B,)``."""

    past: np.ndarray
    past_observed: np.ndarray
    future: np.ndarray
    future_observed: np.ndarray
    series_index: np.ndarray


def sliding_windows(
    panel: Panel, context: int, horizon: int, stride: int = 1, min_context: Optional[int] = None,
    *, skip_last: int = 0, within_last: Optional[int] = None,
) -> Windows:
    """All ``(past, future)`` training pairs of every series, stepping ``stride`` points.

    A series contributes windows whose future is fully inside it and whose past holds at least
    ``min_context`` points (default: all ``context``); shorter pasts are left-padded and masked.
    NaN values (panels built with ``allow_nan=True``) are zeroed and marked unobserved in both parts.
    For a validation split, ``skip_last`` keeps futures out of each series' last points (training
    windows) and ``within_last`` keeps only futures inside them (validation windows).
    """
    min_context = context if min_context is None else min_context
    if min_context < 1 or context < 1 or horizon < 1 or stride < 1 or skip_last < 0:
        raise ValueError("context, horizon, stride and min_context must be positive, skip_last non-negative")
    lengths = panel.lengths - skip_last
    # first future index per series: min_context, or later so the future starts within the last points
    first = np.full(panel.n_series, min_context, dtype=np.int64)
    if within_last is not None:
        first = np.maximum(first, lengths - within_last)
    n_per = np.maximum((lengths - horizon - first) // stride + 1, 0)
    if n_per.sum() == 0:
        raise SeriesTooShortError(
            f"no series is long enough for one window of {min_context} past + {horizon} future points "
            f"(longest series: {int(panel.lengths.max())}"
            + (f", of which the last {skip_last} are held out)" if skip_last else ")")
        )
    series_index = np.repeat(np.arange(panel.n_series), n_per)
    k = np.arange(n_per.sum()) - np.repeat(np.cumsum(n_per) - n_per, n_per)
    cut = panel.indptr[:-1][series_index] + first[series_index] + k * stride  # index of the first future point
    start = panel.indptr[:-1][series_index]
    past_pos = cut[:, None] + np.arange(-context, 0)[None, :]
    past_valid = past_pos >= start[:, None]
    past = panel.values[np.where(past_valid, past_pos, 0)]  # (B, context, C)
    past_valid = past_valid[:, :, None] & np.isfinite(past)
    past = np.where(past_valid, past, 0.0)
    future = panel.values[cut[:, None] + np.arange(horizon)[None, :]]
    future_valid = np.isfinite(future)
    return Windows(
        past.transpose(0, 2, 1).astype(np.float32),
        past_valid.transpose(0, 2, 1),
        np.where(future_valid, future, 0.0).transpose(0, 2, 1).astype(np.float32),
        future_valid.transpose(0, 2, 1),
        series_index,
    )


def forecast_frame(
    panel: Panel,
    point: np.ndarray,
    model: str,
    extra: Optional[Mapping[str, np.ndarray]] = None,
) -> pd.DataFrame:
    """Long frame of forecasts: ``id, time, model[, model-lo-90, model-q-0.1, ...]``.

    ``point`` has shape ``(n_series, h)``; each array of ``extra`` (keyed by full column name, built
    with :mod:`tsheads.forecast_columns`) has the same shape. Future time stamps continue each series
    at ``panel.freq``.
    """
    point = np.asarray(point, dtype=np.float64)
    n, h = point.shape
    if n != panel.n_series:
        raise ValueError(f"got forecasts for {n} series, the panel has {panel.n_series}")
    cols = panel.columns
    taken = {cols.id, cols.time, *cols.targets} & {model, *(extra or {})}
    if taken:
        raise TsheadsError(f"forecast column name(s) {sorted(taken)} clash with the data's columns; set another alias")
    out = {
        cols.id: np.repeat(panel.ids, h),
        cols.time: future_times(panel.last_times, panel.freq, h),
        model: point.reshape(-1),
    }
    for name, values in (extra or {}).items():
        out[name] = np.asarray(values, dtype=np.float64).reshape(-1)
    frame = pd.DataFrame(out)
    if not np.all(np.isfinite(frame.iloc[:, 2:].to_numpy())):
        raise FloatingPointError(f"model {model!r} produced non-finite forecasts")  # a bug, not bad input
    return frame
