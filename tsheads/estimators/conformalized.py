"""Conformal intervals around any tsheads forecaster, from its own errors at rolling origins.

:class:`ConformalForecaster` wraps a forecaster (the network, a baseline, the WTA forecaster, anything
:func:`tsheads.backtest.cross_validation` accepts). The point forecast is the wrapped model's, fitted on the
whole history; the bands come from the same model refitted at up to ``n_windows`` origins inside each series
(:func:`~tsheads.backtest.origin_cutoffs`): split conformal or adaptive per series and horizon step
(:mod:`tsheads.conformal`), so a model whose own intervals are too narrow or too wide is corrected by its
record on the series itself. The backtest needs the horizon, so it runs at the first ``predict`` that asks
for bands with a given ``h`` and is reused by later calls with that ``h``.

Cost: one refit per origin (per distinct number of origins, when short series get fewer). Cheap for the
baselines and the zero-shot network without fine-tuning, whose fit only loads the weights (about 0.05 s), so
the forward passes dominate and one batched call over all origins would run as many rows. A fine-tuned
network or the WTA forecaster trains per fit: give them a small ``n_windows``.

Short-series rule: a series with fewer than ``h + min_train`` points has no origin; it keeps the wrapped
model's own bands (its id is in ``own_bands_``), and when that model has none the call raises
:class:`~tsheads.errors.SeriesTooShortError` rather than returning zero-width or NaN bands.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..backtest import cross_validation, origin_cutoffs
from ..conformal import conformal_bands
from ..errors import IdMismatchError, SeriesTooShortError, TsheadsError, listed
from ..forecast_columns import band_columns, band_levels
from ..windows import Panel
from .base import BaseForecaster, check_positive_int

#: fewest training points a backtest origin leaves a series (as :class:`ValidatedForecaster`)
MIN_TRAIN = 8
INTERVALS = ("conformal", "adaptive")


class ConformalForecaster(BaseForecaster):
    """A forecaster's point forecast with conformal bands from its own backtest residuals (module docstring).

    Parameters
    ----------
    forecaster : estimator
        The wrapped forecaster, e.g. :class:`~tsheads.ZeroShotForecaster`, :class:`~tsheads.SeasonalNaive` or
        :class:`~tsheads.WTAForecaster`; cloned, never changed.
    n_windows : int, default 10
        Most backtest origins per series: each one a refit of ``forecaster`` (keep it small for WTA). With
        fewer than ``1 / (1 - level) - 1`` origins the radius is the largest residual seen.
    step_size : int, default 1
        Steps between origins. Errors at overlapping windows are correlated (strongly so for persistent
        models such as the naive forecast on a random walk); ``step_size=h`` gives disjoint windows, and on
        seasonal data a multiple of the season keeps every residual of a step at the future's phase.
    intervals : {"conformal", "adaptive"}, default "conformal"
        Split-conformal radii per series and step, or adaptive conformal inference, which widens (or
        narrows) the band of a series whose recent origins were missed (or covered).
    alias : str, optional
        Name of the forecast column; default: the wrapped forecaster's.

    Attributes
    ----------
    forecaster_ : estimator
        The clone of ``forecaster`` fitted on the whole history (it gives the point forecast).
    origins_ : pandas.Series
        After ``predict`` with bands: backtest origins per series (0: the short-series rule).
    own_bands_ : pandas.Index
        After ``predict`` with bands: ids of the series whose bands are the wrapped model's own.
    residuals_ : ndarray
        After ``predict`` with bands: ``(n_series, n_origins, h)`` actual minus forecast, oldest origin first,
        NaN where a series has fewer origins.
    """

    def __init__(self, forecaster, n_windows: int = 10, step_size: int = 1, intervals: str = "conformal",
                 alias: Optional[str] = None):
        self.forecaster = forecaster
        self.n_windows = n_windows
        self.step_size = step_size
        self.intervals = intervals
        self.alias = alias

    @property
    def model_name(self) -> str:
        """Column name of the point forecast: ``alias`` if set, else the wrapped forecaster's."""
        return self.alias or _name(self.forecaster)

    def _min_length(self) -> int:
        """Check every setting, the wrapped forecaster's included, before any data work."""
        self._min_train()
        return 1

    def _min_train(self) -> int:
        if not all(callable(getattr(self.forecaster, m, None)) for m in ("fit", "predict", "get_params")):
            raise TsheadsError(f"forecaster must be a tsheads forecaster (fit, predict, get_params), "
                               f"got {self.forecaster!r}")
        check_positive_int(self.n_windows, "n_windows")
        check_positive_int(self.step_size, "step_size")
        if self.intervals not in INTERVALS:
            raise TsheadsError(f"intervals must be 'conformal' or 'adaptive', got {self.intervals!r}")
        if self.alias is not None and not (isinstance(self.alias, str) and self.alias):
            raise TsheadsError(f"alias must be None or a non-empty string, got {self.alias!r}")
        own = getattr(clone(self.forecaster), "_min_length", lambda: 1)()  # runs the wrapped model's checks
        return max(MIN_TRAIN, int(own))

    def _fit_panel(self, panel: Panel) -> None:
        self._backtests: dict[tuple, np.ndarray] = {}
        self.forecaster_ = clone(self.forecaster).fit(panel.long_frame(), **_fit_kwargs(panel))

    def _predict_panel(self, h, level, quantiles):
        point, _ = self._wrapped(h, [], [])
        if not (level or quantiles):
            return point, {}
        panel, min_train = self.panel_, self._min_train()
        counts = np.array([len(origin_cutoffs(n, h, self.n_windows, self.step_size, min_train))
                           for n in panel.lengths])
        short = counts == 0
        own = {}
        if short.any():  # before the backtest, so a refusal comes before the refits
            try:
                _, own = self._wrapped(h, level, quantiles)
            except TsheadsError as exc:
                raise SeriesTooShortError(
                    f"{int(short.sum())} series have fewer than h + {min_train} = {h + min_train} points, so no "
                    f"backtest origin, and {_name(self.forecaster)} gives no bands of its own ({exc}): "
                    f"{listed(panel.ids[short])}; ask for point forecasts, a shorter h or longer series") from exc
        residuals = self._residuals(h, counts, min_train)
        extra = conformal_bands(self.model_name, point, residuals, level, quantiles,
                                adaptive=self.intervals == "adaptive")
        for name, values in own.items():
            extra[name][short] = values[short]
        ids = pd.Index(panel.ids, name=panel.columns.id)
        self.origins_ = pd.Series(counts, index=ids, name="origins")
        self.own_bands_ = ids[short]
        self.residuals_ = residuals
        return point, extra

    def _wrapped(self, h: int, level: list, quantiles: list) -> tuple[np.ndarray, dict]:
        """The fitted wrapped model's forecast as arrays in panel order, its bands renamed to our columns."""
        frame = self.forecaster_.predict(h, level=level or None, quantiles=quantiles or None)
        rows = _panel_rows(frame, self.panel_, h)
        if len(rows) != self.panel_.n_series or len(np.unique(rows)) != len(rows):
            raise IdMismatchError(f"{_name(self.forecaster)} did not forecast each fitted series once")
        placeholders = band_levels(level, quantiles)  # band_columns wants values; only the names are used
        theirs = band_columns(_name(self.forecaster), level, quantiles, placeholders)
        ours = band_columns(self.model_name, level, quantiles, placeholders)

        def column(name: str) -> np.ndarray:
            out = np.empty((len(rows), h))
            out[rows] = frame[name].to_numpy(np.float64).reshape(-1, h)
            return out

        return column(_name(self.forecaster)), {mine: column(name) for name, mine in zip(theirs, ours)}

    def _residuals(self, h: int, counts: np.ndarray, min_train: int) -> np.ndarray:
        """``(n, max origins, h)`` backtest residuals, right-aligned; one cross_validation per origin count."""
        key = (h, self.n_windows, self.step_size, min_train)  # what decides the origins
        if key in self._backtests:
            return self._backtests[key]
        panel = self.panel_
        data = panel.long_frame()
        id_col, target = panel.columns.id, panel.columns.targets[0]
        k_max = max(1, int(counts.max()))
        out = np.full((panel.n_series, k_max, h), np.nan)
        for k in np.unique(counts[counts > 0]):
            group = data[id_col].isin(panel.ids[counts == k])
            cv = cross_validation(self.forecaster, data[group], h, n_windows=int(k), step_size=self.step_size,
                                  min_train_length=min_train, **_fit_kwargs(panel))
            errors = (cv[target] - cv[_name(self.forecaster)]).to_numpy(np.float64).reshape(k, -1, h)
            rows = _panel_rows(cv.iloc[: errors.shape[1] * h], panel, h)  # every window lists the series alike
            out[rows, k_max - k:] = errors.transpose(1, 0, 2)
        self._backtests[key] = out
        return out


def _name(forecaster) -> str:
    """Point-forecast column of a forecaster: its ``model_name`` (BaseForecaster), else its class name."""
    return getattr(forecaster, "model_name", None) or type(forecaster).__name__


def _fit_kwargs(panel: Panel) -> dict:
    cols = panel.columns
    return dict(id_col=cols.id, time_col=cols.time, target_col=cols.target, freq=panel.freq)


def _panel_rows(frame: pd.DataFrame, panel: Panel, h: int) -> np.ndarray:
    """Panel position of each series of a forecast frame (``h`` rows per series, in the frame's order)."""
    ids = frame[panel.columns.id].to_numpy()[::h]
    rows = pd.Index(panel.ids).get_indexer(ids)
    if len(frame) != len(ids) * h or (rows < 0).any():
        raise IdMismatchError(f"the wrapped forecaster returned series other than the fitted ones (first ids: "
                              f"{listed(ids)}); it must forecast h rows for every series it was fitted on")
    return rows
