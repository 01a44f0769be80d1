"""Prediction intervals from rolling-origin residuals: split conformal per horizon step, and adaptive (ACI).

Residuals come as ``(n_series, n_origins, h)`` arrays, oldest origin first, NaN where a series has fewer
origins than others (short series get fewer). Split conformal takes, per series and step, the
``ceil((k + 1) * level) / k`` empirical quantile of the ``k`` absolute residuals (the finite-sample
correction); when ``k`` is too small for that rank the largest residual is used, never infinity. The
adaptive variant follows adaptive conformal inference (Gibbs & Candes 2021): walking along the origins it
raises the level after each miss and lowers it after each cover, so a series whose errors drift gets the
level its recent residuals call for. Pure numpy; estimators turn the radii into Nixtla-style columns
with :func:`conformal_bands`.
"""

from __future__ import annotations

import numpy as np

from .errors import TsheadsError
from .forecast_columns import band_columns, band_levels

#: ACI step size: how far one miss (or cover) moves the miscoverage rate (Gibbs & Candes use 0.005-0.05)
ACI_GAMMA = 0.05


def conformal_radius(residuals: np.ndarray, level: float | np.ndarray) -> np.ndarray:
    """Half-width per series and step: the finite-sample-corrected quantile of ``|residuals|`` over origins.

    Parameters
    ----------
    residuals : ndarray
        ``(n, k, h)`` residuals (actual minus forecast), NaN for missing origins.
    level : float or ndarray
        Coverage in (0, 1); an array broadcastable to ``(n, h)`` gives one level per series and step.

    Returns
    -------
    ndarray
        ``(n, h)`` radii; 0 where a series has no residual at a step.
    """
    scores = np.sort(np.abs(np.asarray(residuals, dtype=np.float64)), axis=1)  # NaN sorts last
    count = np.isfinite(scores).sum(axis=1)  # (n, h)
    level = np.broadcast_to(np.asarray(level, dtype=np.float64), count.shape)
    rank = np.ceil((count + 1) * np.clip(level, 0.0, 1.0)).astype(np.int64)
    rank = np.clip(rank, 1, np.maximum(count, 1)) - 1  # too few residuals for the rank: the largest
    radius = np.take_along_axis(scores, rank[:, None, :], axis=1)[:, 0]
    return np.where(count > 0, radius, 0.0)


def pooled_radius(residuals: np.ndarray, level: float, scales: np.ndarray) -> np.ndarray:
    """Half-width per series and step from scores pooled over every series: ``q_step * scale``.

    Each residual is divided by its series' ``scale`` (e.g. the series' own mean absolute backtest error);
    per step, the finite-sample-corrected quantile of these scores over all series and origins, times a
    series' scale, is its radius. Ten origins per series give a 95 % band that is just the largest residual;
    pooling gives each step thousands of scores, at the price of assuming that scaled errors are alike
    across the series of a frame.

    Parameters
    ----------
    residuals : ndarray
        ``(n, k, h)`` residuals, NaN for missing origins.
    level : float
        Coverage in (0, 1).
    scales : ndarray
        ``(n,)`` positive per-series scales; series with NaN scale get radius 0.

    Returns
    -------
    ndarray
        ``(n, h)`` radii.
    """
    res = np.asarray(residuals, dtype=np.float64)
    scales = np.asarray(scales, dtype=np.float64)
    scores = np.abs(res) / scales[:, None, None]
    n, k, h = scores.shape
    radius = conformal_radius(scores.transpose(1, 0, 2).reshape(1, n * k, h) if n else scores[:1], level)[0]
    return np.where(np.isfinite(scales)[:, None], radius[None, :] * np.nan_to_num(scales)[:, None], 0.0)


def normalized_radius(residuals: np.ndarray, spread: np.ndarray, final_spread: np.ndarray,
                      level: float) -> np.ndarray:
    """Half-width ``c * final_spread``, ``c`` the pooled quantile of ``|residual| / spread`` (normalised conformal).

    ``spread`` is a local scale known before the truth, e.g. the network's 10-90 % quantile width at each
    origin and step: it grows with the horizon and with the series' noise, so one ratio ``c`` per level,
    taken over every series, origin and step of the frame, fits all of them (with a single series there are
    still ``k * h`` ratios, not ``k``).

    Parameters
    ----------
    residuals : ndarray
        ``(n, k, h)`` residuals, NaN for missing origins.
    spread : ndarray
        ``(n, k, h)`` the local scale at the same origins and steps.
    final_spread : ndarray
        ``(n, h)`` the local scale of the forecast being banded.
    level : float
        Coverage in (0, 1).

    Returns
    -------
    ndarray
        ``(n, h)`` radii; 0 where there is no usable ratio at all.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.abs(np.asarray(residuals, dtype=np.float64)) / np.asarray(spread, dtype=np.float64)
    ratios = ratios[np.isfinite(ratios)]
    if not len(ratios):
        return np.zeros_like(final_spread, dtype=np.float64)
    factor = conformal_radius(ratios.reshape(1, -1, 1), level)[0, 0]
    return factor * np.nan_to_num(np.asarray(final_spread, dtype=np.float64))


def backtest_scales(residuals: np.ndarray) -> np.ndarray:
    """Per series, the mean absolute residual over origins and steps (NaN where none, or where all are 0)."""
    res = np.abs(np.asarray(residuals, dtype=np.float64))
    count = np.isfinite(res).sum(axis=(1, 2))
    mean = np.where(np.isfinite(res), res, 0.0).sum(axis=(1, 2)) / np.maximum(count, 1)
    return np.where((count > 0) & (mean > 0), mean, np.nan)


def adaptive_levels(residuals: np.ndarray, level: float, gamma: float = ACI_GAMMA, warm_up: int = 2) -> np.ndarray:
    """Per series and step, the coverage level ACI arrives at after walking the origins oldest first.

    At each origin ``t`` past the first ``warm_up`` the radius from the residuals before ``t`` at level
    ``1 - alpha_t`` either covers residual ``t`` or not, and ``alpha_{t+1} = alpha_t + gamma (alpha - miss_t)``.

    Parameters
    ----------
    residuals : ndarray
        ``(n, k, h)`` residuals, oldest origin first, NaN for missing origins.
    level : float
        Target coverage in (0, 1).
    gamma : float, default ACI_GAMMA
        Step size of the update.
    warm_up : int, default 2
        Origins used before the first update.

    Returns
    -------
    ndarray
        ``(n, h)`` levels in [0, 1] for the next (future) window.
    """
    res = np.abs(np.asarray(residuals, dtype=np.float64))
    n, k, h = res.shape
    alpha_target = 1.0 - level
    alpha = np.full((n, h), alpha_target)
    for t in range(warm_up, k):
        seen = np.isfinite(res[:, t])
        past = res[:, :t]
        enough = seen & (np.isfinite(past).sum(axis=1) >= warm_up)
        radius = conformal_radius(past, np.clip(1.0 - alpha, 0.0, 1.0))
        miss = np.where(res[:, t] > radius, 1.0, 0.0)
        alpha = np.where(enough, alpha + gamma * (alpha_target - miss), alpha)
    return np.clip(1.0 - alpha, 0.0, 1.0)


def conformal_bands(model: str, point: np.ndarray, residuals: np.ndarray, level: list, quantiles: list,
                    adaptive: bool = False, pooled: bool = False, spread: tuple | None = None) -> dict:
    """Interval (``model-lo-80`` ...) and quantile (``model-q-0.1`` ...) columns around ``point``.

    A quantile ``q`` is the bound of the central ``|2q - 1|`` interval on its side (``q = 0.5`` is the
    point forecast), so quantiles and intervals agree.

    Parameters
    ----------
    model : str
        Name of the point-forecast column.
    point : ndarray
        ``(n, h)`` point forecasts.
    residuals : ndarray
        ``(n, k, h)`` backtest residuals of the same forecaster, oldest origin first.
    level : list of float
        Interval levels in percent.
    quantiles : list of float
        Quantile levels in (0, 1).
    adaptive : bool, default False
        Use the ACI level of each series and step (:func:`adaptive_levels`) instead of the nominal one.
    pooled : bool, default False
        Pool scaled scores over the series (:func:`pooled_radius` with :func:`backtest_scales`); series whose
        scale is undefined (no residual, or all zero) keep their own split-conformal radius.
    spread : tuple of ndarray, optional
        ``(backtest spread (n, k, h), final spread (n, h))``: normalised conformal with this local scale
        (:func:`normalized_radius`) instead of the above.

    Returns
    -------
    dict
        Column name -> ``(n, h)`` array, in :func:`tsheads.forecast_columns.band_columns` order.
    """
    residuals = np.asarray(residuals, dtype=np.float64)
    if residuals.ndim != 3 or residuals.shape[0] != point.shape[0] or residuals.shape[2] != point.shape[1]:
        raise TsheadsError(f"residuals of shape {residuals.shape} do not match forecasts of shape {point.shape}")
    if adaptive + pooled + (spread is not None) > 1:
        raise TsheadsError("conformal bands are either adaptive, pooled or normalised by a spread, not several")
    scales = backtest_scales(residuals) if pooled else None
    bands = []
    for p in band_levels(level, quantiles):
        coverage = abs(2.0 * p - 1.0)
        if adaptive and coverage > 0:
            coverage = adaptive_levels(residuals, coverage)
        radius = conformal_radius(residuals, coverage)
        if spread is not None:
            radius = normalized_radius(residuals, *spread, coverage)
        elif pooled:
            radius = np.where(np.isfinite(scales)[:, None], pooled_radius(residuals, coverage, scales), radius)
        bands.append(point + np.sign(p - 0.5) * radius)
    return band_columns(model, level, quantiles, bands)
