"""Classical forecast candidates on plain arrays, at many origins of one series.

What :class:`~tsheads.estimators.validated.ValidatedForecaster` backtests next to the network: naive, drift,
seasonal naive at every period the series is long enough for, the seasonal median (each step the median of the
same position in the last three cycles), Theta and ETS. Theta and ETS come from
``statsforecast`` when it is installed (``pip install 'tsheads[fast]'``): each is fitted once at the oldest
origin and run forward to the later backtest origins with those parameters, and once more on the whole series
for the real forecast, so a series costs two fits per model rather than one per origin. Which forms run is a
:class:`ModelSpec`. ETS is restricted to non-seasonal forms by default, fitted on the series divided by its
multiplicative seasonal factors (the M4 test and decomposition at the first period, as the M4 benchmarks do),
which are multiplied back into the forecast: the full AutoETS search costs about 75 ms per M3 monthly series
against 4 ms. Theta can run on the same adjusted series (``theta="adjusted"``; ``"optimized"`` and ``"dynamic"``
fit the theta coefficient there) or do statsforecast's own seasonal test and decomposition again at every
origin (``"seasonal"``). Without statsforecast, statsmodels' standard Theta and damped-trend Holt are fitted at
every origin (slower, same role).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np

from .errors import TsheadsError
from .timegrid import step_seconds

#: seasonal periods (in seconds) a calendar series may show: day, week, year
_CYCLES_S = (86400.0, 7 * 86400.0, 365.25 * 86400.0)
#: cycles the seasonal median reads: the median of three ignores one odd cycle (a holiday, an outage), which
#: the seasonal naive copies; on the Taylor-like half-hourly validation windows the median of the last three
#: weeks' half-hours had a mean scaled error of 0.950 against the weekly seasonal naive's 1.028
SEASONAL_MEDIAN_CYCLES = 3
#: fewest points Theta and ETS are fitted on (statsforecast refuses "tiny datasets")
MIN_MODEL_POINTS = 8
#: how Theta meets a season: on the series divided by :func:`seasonal_factors`, or statsforecast's own handling;
#: ``"optimized"`` / ``"dynamic"``: the optimised / dynamic optimised Theta (Fiorucci et al. 2016, statsforecast's
#: ``OptimizedTheta`` / ``DynamicOptimizedTheta``) on the adjusted series, which fit the theta coefficient
#: instead of fixing it at 2 (without statsforecast they are the standard Theta on the adjusted series)
THETA_FORMS = ("adjusted", "seasonal", "optimized", "dynamic")
#: statsforecast AutoETS model strings (error, trend, season; ``Z`` = search), optionally damped: ``"AAdN"``
_ETS_FORM = re.compile(r"^([AMZ])([NAMZ])(d?)([NAMZ])$")


@dataclass(frozen=True)
class ModelSpec:
    """The statistical candidates and their forms; ``None`` leaves a model out.

    ``ets``: an AutoETS model string such as ``"ZZN"`` (search every non-seasonal form), ``"AZN"`` (additive
    errors only) or ``"AAdN"`` (additive damped trend, the M4 "Damped" benchmark). A non-seasonal form is
    fitted on the seasonally adjusted series. ``theta``: one of :data:`THETA_FORMS`. ``max_points``: the most
    recent points a model is fitted on and run forward from (None: all).
    """

    ets: str | None = "ZZN"
    theta: str | None = "adjusted"
    max_points: int | None = None

    def __post_init__(self):
        if self.ets is not None and not (isinstance(self.ets, str) and _ETS_FORM.match(self.ets)):
            raise TsheadsError(f"ets_model must be an ETS model string such as 'ZZN', 'AZN' or 'AAdN' (error A/M/Z, "
                               f"trend N/A/M/Z with an optional d for damped, season N/A/M/Z), got {self.ets!r}")
        if self.theta is not None and self.theta not in THETA_FORMS:
            raise TsheadsError(f"theta_model must be one of {THETA_FORMS}, got {self.theta!r}")
        if self.max_points is not None and (isinstance(self.max_points, bool) or not isinstance(
                self.max_points, (int, np.integer)) or self.max_points < MIN_MODEL_POINTS):
            raise TsheadsError(f"model_points (ModelSpec.max_points) must be None or an integer >= "
                               f"{MIN_MODEL_POINTS}, got {self.max_points!r}")

    def ets_arguments(self) -> dict:
        """AutoETS keyword arguments: ``model`` and, for a ``d`` form, ``damped=True``."""
        error, trend, damped, season = _ETS_FORM.match(self.ets).groups()
        return {"model": error + trend + season, **({"damped": True} if damped else {})}


def _business_days(freq) -> bool:
    """Whether ``freq`` counts business days (the week then has 5 steps)."""
    if freq is None or isinstance(freq, (int, np.integer)):
        return False
    from pandas.tseries.frequencies import to_offset

    return type(to_offset(freq)).__name__ in ("BusinessDay", "CustomBusinessDay")


def season_lengths(freq, longest: int | None = None) -> list[int]:
    """Candidate seasonal periods of a sampling frequency: the day, week and year in steps, where whole.

    Half-hourly data gives ``[48, 336, ...]``, hourly ``[24, 168, ...]``, daily ``[7, 365]``, business-daily
    ``[5, 261]``, monthly ``[12]``, quarterly ``[4]``; integer time and yearly data give none. Periods of one
    step are dropped, and so are periods above ``longest`` when it is given.

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
    cycles = _CYCLES_S
    if _business_days(freq):  # a week is 5 steps and a year about 261, not 7 and 365
        step, cycles = step / 86400.0, (5.0, 52.18 * 5)
    periods = set()
    for cycle in cycles:
        ratio = cycle / step
        whole = round(ratio)
        if whole > 1 and abs(ratio - whole) < 0.02 * ratio:
            periods.add(int(whole))
    return sorted(m for m in periods if longest is None or m <= longest)


def classical_forecasts(y: np.ndarray, cuts: np.ndarray, h: int, periods: list[int],
                        models: ModelSpec | None = ModelSpec()) -> dict[str, np.ndarray]:
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
        Seasonal periods for seasonal naive and the seasonal median (and the first for Theta's
        deseasonalisation).
    models : ModelSpec or None, default ModelSpec()
        Theta and ETS and their forms (None: only the naive family, e.g. for speed).

    Returns
    -------
    dict
        Candidate name (``naive``, ``drift``, ``snaive_<m>``, ``smedian_<m>``, ``theta``, ``ets``) ->
        ``(len(cuts), h)`` array; ``smedian_<m>`` where a cut leaves :data:`SEASONAL_MEDIAN_CYCLES` cycles.
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
        out[f"smedian_{m}"] = seasonal_median(y, cuts, h, m)
    if models is not None and (models.theta or models.ets):
        m = periods[0] if periods else 1
        out.update(_model_forecasts(y, cuts, h, m, models))
    return out


def seasonal_median(y: np.ndarray, cuts: np.ndarray, h: int, m: int,
                    cycles: int = SEASONAL_MEDIAN_CYCLES) -> np.ndarray:
    """Seasonal-median forecasts from several cuts of one series.

    Each step is the median of its position in the last ``cycles`` cycles of ``m`` points before the cut.

    Parameters
    ----------
    y : ndarray
        One series, 1-D, finite.
    cuts : ndarray of int
        Training lengths.
    h : int
        Horizon.
    m : int
        Seasonal period.
    cycles : int, default SEASONAL_MEDIAN_CYCLES
        How many past cycles the median reads.

    Returns
    -------
    ndarray
        ``(len(cuts), h)`` forecasts; NaN rows where a cut leaves fewer than ``cycles * m`` points.
    """
    ok = cuts >= cycles * m
    lags = m * np.arange(1, cycles + 1)
    idx = cuts[:, None, None] - lags[None, :, None] + (np.arange(h) % m)[None, None, :]  # (cuts, cycles, h)
    values = y[np.where(ok[:, None, None], idx, 0)]
    return np.where(ok[:, None], np.median(values, axis=1), np.nan)


def has_statsforecast() -> bool:
    """Whether statsforecast's models import.

    Theta and ETS then come from it, else from statsmodels (where the ``"optimized"`` and ``"dynamic"`` Theta
    forms are the standard Theta).

    Returns
    -------
    bool
        True when ``statsforecast.models`` imports.
    """
    try:
        import statsforecast.models  # noqa: F401
    except ImportError:
        return False
    return True


def _model_forecasts(y, cuts, h, m, models: ModelSpec) -> dict[str, np.ndarray]:
    """Theta and ETS at each cut: statsforecast (fit at the first usable cut, then forward) or statsmodels.

    The last cut (the real forecast) gets its own fit on the series' end (its latest ``max_points``), seasonal
    factors included: run forward from the oldest origin it would use parameters that never saw the last
    ``len(cuts) - 1`` windows.
    """
    usable = cuts >= MIN_MODEL_POINTS
    out = {name: np.full((len(cuts), h), np.nan) for name in ("theta", "ets") if getattr(models, name)}
    if not usable.any():
        return out
    rows = np.flatnonzero(usable)
    if not has_statsforecast():
        _statsmodels_forecasts(y, cuts, h, m, rows, out, models)
    else:
        for fit_rows in (rows[:-1], rows[-1:]):  # the backtest cuts from the oldest one, the real forecast alone
            if len(fit_rows):
                _forward_forecasts(y, cuts, h, m, models, int(cuts[fit_rows[0]]), fit_rows, out)
    for name in out:
        out[name][~np.isfinite(out[name]).all(axis=1)] = np.nan
    return out


def _forward_forecasts(y, cuts, h, m, models: ModelSpec, length: int, rows, out: dict) -> None:
    """statsforecast's Theta and ETS fitted on ``y[:length]`` (its latest ``models.max_points``; seasonal factors
    from all of ``y[:length]``), run forward from the fit's first point to ``cuts[rows]``; written into ``out``.
    A model that fails to fit leaves its rows NaN."""
    from statsforecast.models import AutoETS, DynamicOptimizedTheta, OptimizedTheta, Theta

    factors = seasonal_factors(y[:length], m)
    adjusted = y / factors[np.arange(len(y)) % len(factors)]
    makers = {}
    on_adjusted = {"adjusted": Theta, "optimized": OptimizedTheta, "dynamic": DynamicOptimizedTheta}
    if models.theta in on_adjusted:
        makers["theta"] = (lambda: on_adjusted[models.theta](season_length=1), adjusted, factors)
    elif models.theta == "seasonal":
        makers["theta"] = (lambda: Theta(season_length=m), y, None)
    if models.ets is not None:
        seasonal_ets = not models.ets.endswith("N")
        makers["ets"] = (lambda: AutoETS(season_length=m, **models.ets_arguments()),
                         y if seasonal_ets else adjusted, None if seasonal_ets else factors)
    for name, (make, series, season) in makers.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:  # a model that fails to fit is simply not a candidate for these cuts
                first = _start(length, models.max_points)
                fitted = make().fit(series[first:length])
                for row in rows:  # from where the fit started: its initial states belong to that point
                    out[name][row] = fitted.forward(y=series[first:cuts[row]], h=h)["mean"]
                    if season is not None:
                        out[name][row] *= season[(cuts[row] + np.arange(h)) % len(season)]
            except Exception:  # noqa: BLE001
                out[name][rows] = np.nan
                continue


def _start(end: int, most: int | None) -> int:
    """First index of the last ``most`` points before ``end`` (0: all of them)."""
    return 0 if most is None else max(0, int(end) - int(most))


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


def _statsmodels_forecasts(y, cuts, h, m, rows, out, models: ModelSpec) -> None:
    """Theta and damped Holt from statsmodels, refitted at each of ``cuts[rows]`` (no statsforecast installed),
    each on seasonal factors from the points before its cut; written into ``out``."""
    from statsmodels.tsa.forecasting.theta import ThetaModel
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    for row in rows:
        factors = seasonal_factors(y[:cuts[row]], m)
        season = factors[np.arange(len(y) + h) % len(factors)]
        first = _start(cuts[row], models.max_points)
        train, future = y[first:cuts[row]], season[cuts[row]:cuts[row] + h]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if models.theta in ("adjusted", "optimized", "dynamic"):  # statsmodels has one Theta only
                    fit = ThetaModel(train / season[first:cuts[row]], deseasonalize=False).fit()
                    out["theta"][row] = fit.forecast(h) * future
                elif models.theta == "seasonal":
                    seasonal = m > 1 and len(train) >= 2 * m
                    out["theta"][row] = ThetaModel(train, period=m if seasonal else None,
                                                   deseasonalize=seasonal).fit().forecast(h)
            except Exception:  # noqa: BLE001
                pass
            try:
                if models.ets is not None:
                    holt = ExponentialSmoothing(train / season[first:cuts[row]], trend="add", damped_trend=True,
                                                initialization_method="estimated").fit()
                    out["ets"][row] = holt.forecast(h) * future
            except Exception:  # noqa: BLE001
                pass
