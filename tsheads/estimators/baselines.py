"""Classical benchmark forecasters: Naive, SeasonalNaive and the M4 competition's Naive2.

They are the yardsticks of the benchmark tables (MASE scales, OWA's denominator), so they follow the
published definitions exactly; intervals use the textbook residual-based normal approximation
(Hyndman & Athanasopoulos, FPP3 5.5).
"""

from __future__ import annotations

import numpy as np
from statsmodels.tsa.seasonal import seasonal_decompose

from ..errors import SeriesTooShortError, TsheadsError, ValueRangeError
from ..windows import Panel
from .base import BaseForecaster, check_positive_int, gaussian_bands


class SeasonalNaive(BaseForecaster):
    """Repeat the last observed season: ``y[T+j] = y[T + j - m*ceil(j/m)]``.

    Intervals and quantiles come from ``N(point, sigma_j^2)`` with ``sigma`` the RMS of the in-sample
    seasonal differences and ``sigma_j = sigma * sqrt(floor((j-1)/m) + 1)``; asking for them on a
    series with no seasonal difference (``length <= m``) raises rather than returning zero width.

    Parameters
    ----------
    season_length : int
        Period ``m`` (24 for hourly data with a daily cycle; 1 gives the plain naive forecast).
    alias : str, optional
        Name of the forecast column (default: the class name).
    """

    def __init__(self, season_length: int = 1, alias: str | None = None):
        self.season_length = season_length
        self.alias = alias

    def _min_length(self) -> int:
        return check_positive_int(self.season_length, "season_length")

    def _fit_panel(self, panel: Panel) -> None:
        m = self.season_length_ = check_positive_int(self.season_length, "season_length")
        self.last_season_ = np.stack([panel.series(i)[-m:, 0] for i in range(panel.n_series)])
        # RMS of y[t] - y[t-m]; NaN marks series too short to have one
        self.sigma_ = np.array([_seasonal_rms(panel.series(i)[:, 0], m) for i in range(panel.n_series)])

    def _predict_panel(self, h, level, quantiles):
        m = self.season_length_
        j = np.arange(h)
        point = self.last_season_[:, j % m]
        if not (level or quantiles):
            return point, {}
        no_residuals = np.isnan(self.sigma_)
        if no_residuals.any():
            raise SeriesTooShortError(
                f"{int(no_residuals.sum())} series have at most season_length={m} points, so no residual "
                f"to size intervals (first: {self.panel_.ids[no_residuals][0]!r}); "
                "ask for point forecasts only or give longer series"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            sigma = self.sigma_[:, None] * np.sqrt(j // m + 1)[None, :]
            extra = gaussian_bands(self.model_name, point, sigma, level, quantiles)
        self._check_bands_finite(extra)
        return point, extra

    def _check_bands_finite(self, extra: dict) -> None:
        """Refuse intervals that overflow float64 (series near +/-1.8e308 with a spread of that order)."""
        beyond = ~np.all([np.isfinite(v).all(axis=1) for v in extra.values()], axis=0)
        if beyond.any():
            first = int(np.argmax(beyond))
            raise ValueRangeError(
                f"{int(beyond.sum())} series have prediction intervals beyond the float64 range of +/-1.8e308 "
                f"(first: {self.panel_.ids[first]!r}, residual spread {self.sigma_[first]:.3g}); ask for point "
                "forecasts only, or rescale the series (e.g. divide by 1e10) and scale the forecasts back"
            )


class Naive(SeasonalNaive):
    """Repeat the last value (random-walk forecast); intervals grow with ``sqrt(j)``.

    :class:`SeasonalNaive` with ``season_length=1``.

    Parameters
    ----------
    alias : str, optional
        Name of the forecast column (default: the class name).
    """

    def __init__(self, alias: str | None = None):
        super().__init__(season_length=1, alias=alias)


class Naive2(BaseForecaster):
    """The M4 competition's Naive2: naive forecast of the seasonally adjusted series.

    A series is treated as seasonal when it has at least ``3 * season_length`` points and its
    autocorrelation at lag ``m`` passes the M4 90% test ``|r_m| > 1.645 sqrt((1 + 2 sum_{k<m} r_k^2)/n)``;
    seasonal indices then come from classical multiplicative decomposition (statsmodels
    ``seasonal_decompose``, centred moving average, as R's ``decompose``). Point forecasts only.

    Parameters
    ----------
    season_length : int, default 1
        Period ``m`` tested and removed (1: no seasonal adjustment, i.e. the naive forecast).
    alias : str, optional
        Name of the forecast column (default: the class name).
    """

    def __init__(self, season_length: int = 1, alias: str | None = None):
        self.season_length = season_length
        self.alias = alias

    def _min_length(self) -> int:
        check_positive_int(self.season_length, "season_length")
        return 1

    def _fit_panel(self, panel: Panel) -> None:
        m = self.season_length_ = check_positive_int(self.season_length, "season_length")
        levels, indices, positions = [], [], []
        for i in range(panel.n_series):
            y = panel.series(i)[:, 0]
            si = seasonal_indices(y, m)
            levels.append(y[-1] / si[(len(y) - 1) % m])
            indices.append(si)
            positions.append(len(y) % m)
        self.level_ = np.array(levels)
        self.seasonal_indices_ = np.stack(indices)
        self.next_position_ = np.array(positions)

    def _predict_panel(self, h, level, quantiles):
        if level or quantiles:
            raise TsheadsError("Naive2 gives point forecasts only (it is the M4 scale for OWA)")
        pos = (self.next_position_[:, None] + np.arange(h)[None, :]) % self.season_length_
        si = np.take_along_axis(self.seasonal_indices_, pos, axis=1)
        return self.level_[:, None] * si, {}


def is_seasonal(y: np.ndarray, m: int) -> bool:
    """The M4 seasonality test (90% one-sided) on the autocorrelation at lag ``m``."""
    if m <= 1 or len(y) < 3 * m:
        return False
    centred = y - y.mean()
    denom = np.sum(centred**2)
    if denom == 0:
        return False
    acf = np.array([np.sum(centred[k:] * centred[:-k]) / denom for k in range(1, m + 1)])
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(acf[: m - 1] ** 2)) / len(y))
    return bool(abs(acf[m - 1]) > limit)


def seasonal_indices(y: np.ndarray, m: int) -> np.ndarray:
    """Multiplicative seasonal indices (mean 1) by position ``t % m``; all ones if not seasonal."""
    if not is_seasonal(y, m) or np.any(y <= 0):
        return np.ones(m)
    return seasonal_decompose(y, model="multiplicative", period=m, two_sided=True).seasonal[:m].copy()


def _seasonal_rms(y: np.ndarray, m: int) -> float:
    """RMS of ``y[t] - y[t-m]``; NaN with no such difference, inf when it exceeds the float64 range.

    The differences are taken of ``y / peak``, so values near the float limits (where ``y[t] - y[t-m]``
    itself would overflow) or near zero (where squares would underflow) keep their true spread.
    """
    if len(y) <= m:
        return float("nan")
    peak = np.max(np.abs(y))
    if peak == 0:
        return 0.0
    z = y / peak
    with np.errstate(over="ignore"):
        return float(peak * np.sqrt(np.mean((z[m:] - z[:-m]) ** 2)))
