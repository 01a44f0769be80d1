"""Classical forecast candidates on plain arrays, at many origins of one series.

What :class:`~tsheads.estimators.validated.ValidatedForecaster` backtests next to the network: naive, drift,
seasonal naive at every period the series is long enough for, Theta and ETS. Theta and ETS come from
``statsforecast`` when it is installed (``pip install 'tsheads[fast]'``): each is fitted once, at the oldest
origin, and run forward to the later origins with those parameters, so a series costs one fit per model
rather than one per origin. ETS is restricted to non-seasonal forms (``ZZN``) by default, fitted on the
series divided by its multiplicative seasonal factors (the M4 test and decomposition at the first period,
as the M4 benchmarks do), which are multiplied back into the forecast: the full AutoETS search costs about
75 ms per M3 monthly series against 4 ms. Without statsforecast, statsmodels' Theta and
damped-trend Holt are fitted at every origin (slower, same role).
"""

from __future__ import annotations

import warnings

import numpy as np

from .timegrid import step_seconds

#: seasonal periods (in seconds) a calendar series may show: day, week, year
_CYCLES_S = (86400.0, 7 * 86400.0, 365.25 * 86400.0)
#: fewest points Theta and ETS are fitted on (statsforecast refuses "tiny datasets")
MIN_MODEL_POINTS = 8


def season_lengths(freq, longest: int | None = None) -> list[int]:
    """Candidate seasonal periods of a sampling frequency: the day, week and year in steps, where whole.

    Half-hourly data gives ``[48, 336, ...]``, hourly ``[24, 168, ...]``, daily ``[7, 365]``, monthly
    ``[12]``, quarterly ``[4]``; integer time and yearly data give none. Periods of one step are dropped,
    and so are periods above ``longest`` when it is given.

    Parameters
    ----------
    freq : str, pandas.DateOffset or int
        Sampling frequency of the series.
    longest : int, optional
        Largest period worth returning (e.g. the longest series' length divided by two).

    Returns
    -------
    list of int
        Periods in steps, ascending.
    """
    step = step_seconds(freq)
    if not np.isfinite(step) or step <= 0:
        return []
    periods = set()
    for cycle in _CYCLES_S:
        ratio = cycle / step
        whole = round(ratio)
        if whole > 1 and abs(ratio - whole) < 0.02 * ratio:
            periods.add(int(whole))
    return sorted(m for m in periods if longest is None or m <= longest)


def classical_forecasts(y: np.ndarray, cuts: np.ndarray, h: int, periods: list[int], ets_model: str = "ZZN",
                        models: bool = True) -> dict[str, np.ndarray]:
    """Forecasts ``(len(cuts), h)`` of every classical candidate from ``y[:cut]`` for each cut.

    A candidate that cannot run from a cut (too short, a failed fit) has NaN in that row.

    Parameters
    ----------
    y : ndarray
        One series, 1-D, finite.
    cuts : ndarray of int
        Training lengths, ascending (the last is usually ``len(y)``, the real forecast).
    h : int
        Horizon.
    periods : list of int
        Seasonal periods for seasonal naive (and the first for Theta's deseasonalisation).
    ets_model : str, default "ZZN"
        statsforecast AutoETS model string.
    models : bool, default True
        Include Theta and ETS (False: only the naive family, e.g. for speed).

    Returns
    -------
    dict
        Candidate name (``naive``, ``drift``, ``snaive_<m>``, ``theta``, ``ets``) -> ``(len(cuts), h)`` array.
    """
    steps = np.arange(1, h + 1)
    last = y[cuts - 1]
    out = {"naive": np.repeat(last[:, None], h, axis=1)}
    slope = np.where(cuts > 1, (last - y[0]) / np.maximum(cuts - 1, 1), np.nan)
    out["drift"] = last[:, None] + slope[:, None] * steps[None, :]
    for m in periods:
        idx = cuts[:, None] - m + (np.arange(h)[None, :] % m)
        ok = cuts >= m
        out[f"snaive_{m}"] = np.where(ok[:, None], y[np.where(ok[:, None], idx, 0)], np.nan)
    if models:
        m = periods[0] if periods else 1
        out.update(_model_forecasts(y, cuts, h, m, ets_model))
    return out


def _model_forecasts(y, cuts, h, m, ets_model) -> dict[str, np.ndarray]:
    """Theta and ETS at each cut: statsforecast (fit at the first usable cut, then forward) or statsmodels."""
    usable = cuts >= MIN_MODEL_POINTS
    out = {name: np.full((len(cuts), h), np.nan) for name in ("theta", "ets")}
    if not usable.any():
        return out
    try:
        from statsforecast.models import AutoETS, Theta
    except ImportError:
        return _statsmodels_forecasts(y, cuts, h, m, usable, out)
    first = int(cuts[usable][0])
    factors = seasonal_factors(y[:first], m) if ets_model.endswith("N") else np.ones(max(m, 1))
    adjusted = y / factors[np.arange(len(y)) % len(factors)]
    makers = {"theta": (lambda: Theta(season_length=m), y, None),
              "ets": (lambda: AutoETS(season_length=m, model=ets_model), adjusted, factors)}
    for name, (make, series, season) in makers.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:  # a model that fails to fit is simply not a candidate for this series
                fitted = make().fit(series[:first])
                for row in np.flatnonzero(usable):
                    out[name][row] = fitted.forward(y=series[:cuts[row]], h=h)["mean"]
                    if season is not None:
                        out[name][row] *= season[(cuts[row] + np.arange(h)) % len(season)]
            except Exception:  # noqa: BLE001
                continue
    for name in out:
        out[name][~np.isfinite(out[name]).all(axis=1)] = np.nan
    return out


def seasonal_factors(y: np.ndarray, m: int) -> np.ndarray:
    """Multiplicative seasonal factors by position ``t % m`` (the M4 test and decomposition), or ``[1.0]``.

    What the non-seasonal ETS candidate divides out before fitting and multiplies back into its forecast,
    as the M4 benchmarks (SES, Holt, damped) do: without it a monthly or hourly series' ETS candidate
    is a flat line through the season.
    """
    from .estimators.baselines import seasonal_indices

    if m <= 1 or len(y) < 3 * m or not np.all(np.isfinite(y)):
        return np.ones(1)
    with np.errstate(all="ignore"):  # magnitudes near the float limits overflow the ACF: then no season
        factors = seasonal_indices(y, m)
    return factors if np.all(np.isfinite(factors)) and np.all(factors > 0) else np.ones(1)


def _statsmodels_forecasts(y, cuts, h, m, usable, out) -> dict[str, np.ndarray]:
    """Theta and damped Holt from statsmodels, refitted at every usable cut (no statsforecast installed)."""
    from statsmodels.tsa.forecasting.theta import ThetaModel
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    factors = seasonal_factors(y[:int(cuts[usable][0])], m)
    season = factors[np.arange(len(y) + h) % len(factors)]
    for row in np.flatnonzero(usable):
        train = y[:cuts[row]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                seasonal = m > 1 and len(train) >= 2 * m
                out["theta"][row] = ThetaModel(train, period=m if seasonal else None,
                                               deseasonalize=seasonal).fit().forecast(h)
            except Exception:  # noqa: BLE001
                pass
            try:
                holt = ExponentialSmoothing(train / season[:cuts[row]], trend="add", damped_trend=True,
                                            initialization_method="estimated").fit()
                out["ets"][row] = holt.forecast(h) * season[cuts[row]:cuts[row] + h]
            except Exception:  # noqa: BLE001
                pass
    for name in out:
        out[name][~np.isfinite(out[name]).all(axis=1)] = np.nan
    return out
