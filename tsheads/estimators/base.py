"""The forecaster contract every tsheads model and baseline follows (scikit-learn style, pandas in/out).

``fit(df)`` validates the long frame once and keeps it as a :class:`~tsheads.windows.Panel`;
``predict(h, level, quantiles)`` returns a long frame with Nixtla-style columns. Subclasses implement
only ``_fit_panel`` and ``_predict_panel`` over arrays, so validation and naming live in one place.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..errors import TsheadsError
from ..forecast_columns import check_levels, check_quantiles, interval_column, quantile_column
from ..frames import Columns
from ..windows import Panel, forecast_frame


class BaseForecaster(BaseEstimator):
    """Shared ``fit``/``predict``/``forecast`` orchestration; see module docstring."""

    #: whether the model forecasts several target columns jointly (univariate models refuse them)
    multivariate = False

    def _min_length(self) -> int:
        """Fewest observations a series needs for ``fit`` (also where subclasses check params)."""
        return 1

    @property
    def model_name(self) -> str:
        """Column name of the point forecast: ``alias`` if set, else the class name."""
        return getattr(self, "alias", None) or type(self).__name__

    def fit(self, df, *, id_col: str = "unique_id", time_col: str = "ds", target_col: str = "y",
            freq=None):
        """Validate ``df`` (long frame, wide frame or Series) and fit on every series.

        Parameters
        ----------
        df : pandas.DataFrame or pandas.Series
            History: a long frame (id, time, target columns), a wide frame (one column per series, time in
            the index) or one Series; regular spacing, no gaps or NaN (see :func:`tsheads.fill_gaps`).
        id_col, time_col, target_col : str
            Names of the id, time and target column(s) (default ``unique_id``, ``ds``, ``y``).
        freq : str, pandas.DateOffset or int, optional
            Sampling frequency; None: inferred.

        Returns
        -------
        self : BaseForecaster
            The fitted forecaster (``panel_`` holds the validated history).
        """
        panel = self._panel(df, Columns(id_col, time_col, target_col), freq)
        self._fit_panel(panel)
        self.panel_ = panel
        return self

    def _panel(self, df, columns: Columns, freq=None) -> Panel:
        """``df`` validated into a Panel this model can use (one target unless ``multivariate``)."""
        if len(columns.targets) > 1 and not self.multivariate:
            raise TsheadsError(
                f"{type(self).__name__} forecasts one target column; got {list(columns.targets)}. "
                "Fit one model per target (or use a multivariate model)."
            )
        return Panel.from_data(df, columns, freq=freq, min_length=self._min_length())

    def predict(self, h: int, level: Optional[Sequence[float]] = None,
                quantiles: Optional[Sequence[float]] = None) -> pd.DataFrame:
        """Forecast ``h`` steps after the end of each fitted series.

        Parameters
        ----------
        h : int
            Horizon in steps of the fitted frequency.
        level : sequence of float, optional
            Interval levels in percent (e.g. ``[80, 95]``): adds ``model-lo-80``/``model-hi-80`` columns.
        quantiles : sequence of float, optional
            Quantile levels in (0, 1) (e.g. ``[0.1, 0.5, 0.9]``): adds ``model-q-0.1`` ... columns (see
            :mod:`tsheads.forecast_columns`).

        Returns
        -------
        pandas.DataFrame
            Long frame ``id, time, model`` plus the band columns, ``h`` rows per series; ``model`` is
            :attr:`model_name`.
        """
        check_is_fitted(self, "panel_")
        h = check_positive_int(h)
        level, quantiles = check_levels(level), check_quantiles(quantiles)
        point, extra = self._predict_panel(h, level, quantiles)
        return forecast_frame(self.panel_, point, self.model_name, extra)

    def forecast(self, df, h: int, level=None, quantiles=None, **fit_kwargs) -> pd.DataFrame:
        """``fit(df, **fit_kwargs).predict(h, level, quantiles)`` in one call.

        Parameters
        ----------
        df : pandas.DataFrame or pandas.Series
            History, as for :meth:`fit`.
        h : int
            Horizon in steps.
        level, quantiles : sequence of float, optional
            Interval levels in percent and quantile levels, as for :meth:`predict`.
        **fit_kwargs
            ``id_col``, ``time_col``, ``target_col``, ``freq`` for :meth:`fit`.

        Returns
        -------
        pandas.DataFrame
            The forecast frame of :meth:`predict`.
        """
        return self.fit(df, **fit_kwargs).predict(h, level=level, quantiles=quantiles)

    # subclasses ------------------------------------------------------------------------------------
    def _fit_panel(self, panel: Panel) -> None:
        raise NotImplementedError

    def _predict_panel(self, h: int, level: list, quantiles: list) -> tuple[np.ndarray, dict]:
        """Point forecasts ``(n_series, h)`` and a dict of extra columns (full names) of that shape."""
        raise NotImplementedError


def check_positive_int(value, name: str = "horizon h") -> int:
    """``value`` as an int, or a TsheadsError naming ``name`` (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise TsheadsError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def gaussian_bands(model: str, point: np.ndarray, sigma: np.ndarray, level: list, quantiles: list) -> dict:
    """Interval and quantile columns of a normal predictive distribution ``N(point, sigma^2)``."""
    extra = {}
    for lv in level:
        z = norm.ppf(0.5 + lv / 200.0)
        extra[interval_column(model, "lo", lv)] = point - z * sigma
        extra[interval_column(model, "hi", lv)] = point + z * sigma
    for q in quantiles:
        extra[quantile_column(model, q)] = point + norm.ppf(q) * sigma
    return extra
