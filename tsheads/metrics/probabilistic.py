"""Probabilistic-forecast metrics (pure numpy).

Array conventions
-----------------
``y_true`` has any shape ``(...)`` -- typically ``(n_series, horizon)`` or, for
multivariate targets, ``(n_windows, horizon, n_channels)``. Forecast arrays add their
extra axis **right before the part of the target one sample describes** (the
`scoringrules` convention):

============================  =============================  ==========================
metric                        ``y_true``                     forecast
============================  =============================  ==========================
crps_from_samples             ``(...)``                      samples ``(..., S)``
quantile metrics              ``(...)``                      quantiles ``(..., Q)``
sample_quantiles              --                             samples ``(..., S)`` -> ``(..., Q)``
energy_score, crps_sum        ``(..., D)``                   samples ``(..., S, D)``
coverage                      ``(...)``                      ``lo``, ``hi`` ``(...)``
distortion                    ``(N, T)`` / ``(N, T, D)``     hypotheses ``(N, K, T[, D])``
============================  =============================  ==========================

(``S`` samples, ``Q`` quantile levels, ``D`` channels, ``K`` hypotheses, ``N`` windows.)
Scores that are computed per observation are averaged over ``axis`` of that per-observation
array (``axis=None``: one scalar; ``axis=()``: no reduction), exactly as in
:mod:`tsheads.metrics.point`. Weighted quantile losses are dataset-level ratios and always
pool every element.

Definitions and reference conventions
-------------------------------------
* **CRPS from samples** -- exact CRPS of the empirical distribution of the ``S`` samples
  (the "energy"/"NRG" form ``E|X - y| - 1/2 E|X - X'|`` with ``1/(2S^2)``), which is the
  default of both ``properscoring.crps_ensemble`` and ``scoringrules.crps_ensemble``
  (its default ``"qd"`` estimator is algebraically identical). ``fair=True`` gives the
  unbiased "fair" ensemble CRPS (``1/(2S(S-1))``; ``scoringrules`` ``estimator="fair"``).
* **Pinball loss** at level ``q``: ``rho_q(y, z) = (y - z) * (q - 1{y < z})`` (>= 0).
  :func:`quantile_loss` reports its *mean* (no factor 2).
* **CRPS from quantiles** -- ``2 * mean_q rho_q`` over the given levels: the Riemann-sum
  approximation of ``CRPS = 2 * int_0^1 rho_q dq`` (identical to ``scoringrules.crps_quantile``).
  Accurate only for many, evenly spread levels.
* **Weighted quantile loss** (gluonts ``Evaluator``'s ``wQuantileLoss[q]``):
  ``2 * sum |rho_q| / sum |y|`` pooled over all series and time steps;
  ``mean_weighted_quantile_loss`` is gluonts' ``mean_wQuantileLoss`` (mean over levels).
* **Sample quantiles** -- by default gluonts' ``SampleForecast.quantile`` rule: the
  sorted sample at index ``int(np.round((S - 1) * q))`` (nearest rank, numpy's
  round-half-to-even), so results reproduce gluonts exactly; any :func:`numpy.quantile`
  ``method`` may be requested instead.
* **CRPS-sum** (TimeGrad / TimeMCL; gluonts ``MultivariateEvaluator(quantiles=
  (np.arange(20)/20.0)[1:], target_agg_funcs={'sum': np.sum})['m_sum_mean_wQuantileLoss']``):
  sum the ``D`` channels of target and of every sample, take gluonts sample quantiles at
  levels ``0.05, 0.10, ..., 0.95`` and return the mean weighted quantile loss.
* **Energy score** -- ``mean_i ||x_i - y|| - 1/(2S^2) sum_ij ||x_i - x_j||`` (Euclidean
  norm over ``D``), the default (``"nrg"``) estimator of ``scoringrules.es_ensemble``;
  ``fair=True`` uses ``1/(2S(S-1))`` (``estimator="fair"``).
* **Coverage** -- fraction of observations with ``lo <= y <= hi`` (both ends inclusive).
* **Distortion** (TimeMCL) -- per window ``n``: ``min_k sqrt(sum_d mean_t (ŷ_k - y)^2)``,
  i.e. the time-averaged squared error summed over channels (exactly the reference
  implementation, ``personnalized_evaluator.py`` of TimeMCL); ``channel_reduction="mean"``
  averages over channels instead (plain RMSE over ``(T, D)``). Both coincide for ``D = 1``.
  The per-window minima are then averaged over windows.

Bad inputs raise :class:`~tsheads.errors.TsheadsError` subclasses (non-finite values,
empty arrays, shape mismatches, invalid quantile levels, zero normalisers); no function
returns NaN/inf silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tsheads.errors import ShapeError, TsheadsError, ZeroScaleError
from tsheads.metrics.point import Axis, _as_array, _reduce

__all__ = [
    "CRPS_SUM_QUANTILES",
    "coverage",
    "crps_from_quantiles",
    "crps_from_samples",
    "crps_sum",
    "distortion",
    "energy_score",
    "mean_weighted_quantile_loss",
    "quantile_loss",
    "sample_quantiles",
    "weighted_quantile_loss",
]

#: Quantile levels used for CRPS-sum in TimeGrad/TimeMCL: 0.05, 0.10, ..., 0.95.
CRPS_SUM_QUANTILES: np.ndarray = (np.arange(20) / 20.0)[1:]


# --------------------------------------------------------------------------- helpers
def _levels(quantile_levels: Any) -> np.ndarray:
    q = _as_array(quantile_levels, "quantile_levels")
    if q.ndim > 1:
        raise ShapeError(
            f"quantile_levels must be a scalar or 1-D, got shape {q.shape}"
        )
    if np.any((q <= 0) | (q >= 1)):
        raise TsheadsError(
            f"quantile_levels must lie strictly between 0 and 1, got {q.tolist()}"
        )
    return q


def _quantile_inputs(
    y_true: Any, quantile_preds: Any, quantile_levels: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Return (y, preds (..., Q), levels (Q,), scalar_level)."""
    y = _as_array(y_true, "y_true")
    p = _as_array(quantile_preds, "quantile_preds")
    q = _levels(quantile_levels)
    scalar = q.ndim == 0
    if scalar:
        if p.shape != y.shape:
            raise ShapeError(
                f"with a single quantile level quantile_preds must have y_true's shape {y.shape}, got {p.shape}"
            )
        return y, p[..., None], q.reshape(1), True
    if p.shape != y.shape + (q.shape[0],):
        raise ShapeError(
            f"quantile_preds must have shape y_true.shape + (n_levels,) = {y.shape + (q.shape[0],)}, got {p.shape}"
        )
    return y, p, q, False


def _pinball(y: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Element-wise pinball loss, shape (..., Q)."""
    diff = y[..., None] - p
    return diff * (q - (diff < 0))


def _normalize_axis(axis: Axis, ndim: int) -> Axis:
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise TsheadsError(
                f"axis {a} is out of bounds for an array of dimension {ndim}"
            )
        out.append(int(a) % ndim)
    return tuple(out)


def _check_samples(
    y: np.ndarray, s: np.ndarray, vector: bool, name: str = "samples"
) -> None:
    if vector:
        if y.ndim < 1:
            raise ShapeError("y_true must have a trailing channel axis (..., D)")
        expected = y.shape[:-1] + ("S",) + y.shape[-1:]
        if (
            s.ndim != y.ndim + 1
            or s.shape[:-2] != y.shape[:-1]
            or s.shape[-1] != y.shape[-1]
        ):
            raise ShapeError(
                f"{name} must have shape {expected} for y_true of shape {y.shape}, got {s.shape}"
            )
    else:
        if s.shape[:-1] != y.shape or s.ndim != y.ndim + 1:
            raise ShapeError(
                f"{name} must have shape y_true.shape + (S,) = {y.shape + ('S',)}, got {s.shape}"
            )


# --------------------------------------------------------------------------- CRPS
def crps_from_samples(
    y_true: Any,
    samples: Any,
    axis: Axis = None,
    *,
    fair: bool = False,
    sample_axis: int = -1,
) -> float | np.ndarray:
    """Exact CRPS of the empirical sample distribution, averaged over ``axis``.

    Parameters
    ----------
    y_true
        Observations, shape ``(...)``.
    samples
        Forecast samples, shape ``(..., S)`` (sample axis last; another position can be
        named with ``sample_axis``).
    axis
        Axes of the per-observation CRPS array to average (``None``: all; ``()``: none).
    fair
        ``False`` (default, = properscoring / scoringrules default): spread term
        ``sum_ij |x_i - x_j| / (2 S^2)``. ``True``: fair/unbiased ``/(2 S (S - 1))``.
    sample_axis
        Position of the sample axis in ``samples`` (default ``-1``, last).

    Returns
    -------
    float or ndarray
        CRPS in ``y_true``'s units: a float for a full reduction, else an array of the remaining shape.
    """
    y = _as_array(y_true, "y_true")
    x = _as_array(samples, "samples")
    if x.ndim == 0:
        raise ShapeError("samples must have a sample axis")
    x = np.moveaxis(x, sample_axis, -1)
    _check_samples(y, x, vector=False)
    m = x.shape[-1]
    if fair and m < 2:
        raise TsheadsError("the fair CRPS needs at least 2 samples")
    xs = np.sort(x, axis=-1)
    abs_err = np.mean(np.abs(xs - y[..., None]), axis=-1)
    # sum_{i,j} |x_i - x_j| = 2 * sum_i (2i - S - 1) x_(i), i = 1..S on sorted samples
    w = 2.0 * np.arange(1, m + 1) - m - 1
    pair_sum = 2.0 * np.sum(xs * w, axis=-1)
    denom = 2.0 * m * (m - 1) if fair else 2.0 * m * m
    crps = abs_err - pair_sum / denom
    return _reduce(crps, axis)


def quantile_loss(
    y_true: Any, quantile_preds: Any, quantile_levels: Any, axis: Axis = None
) -> float | np.ndarray:
    """Mean pinball loss per quantile level.

    ``quantile_preds`` is ``(..., Q)`` for ``Q`` levels (or ``y_true``'s shape for one scalar
    level). ``axis`` refers to ``y_true``'s axes; the result keeps a trailing ``Q`` axis
    (shape ``(Q,)`` for ``axis=None``) unless a scalar level was given.
    Note: gluonts' per-series ``QuantileLoss[q]`` is ``2 * sum`` of the same loss.

    Parameters
    ----------
    y_true
        Observations, shape ``(...)``.
    quantile_preds
        Predicted quantiles, shape ``(..., Q)`` (``y_true``'s shape for a scalar level).
    quantile_levels
        ``Q`` levels strictly inside ``(0, 1)``, or one scalar level.
    axis
        Axes of ``y_true`` to average over (``None``: all).

    Returns
    -------
    float or ndarray
        Mean pinball loss in ``y_true``'s units, with a trailing ``Q`` axis unless the level is a scalar.
    """
    y, p, q, scalar = _quantile_inputs(y_true, quantile_preds, quantile_levels)
    loss = _pinball(y, p, q)
    ax = _normalize_axis(axis, y.ndim) if y.ndim else None
    out = np.mean(loss, axis=tuple(range(y.ndim)) if ax is None else ax)
    if scalar:
        out = out[..., 0]
    return float(out) if np.ndim(out) == 0 else out


def crps_from_quantiles(
    y_true: Any, quantile_preds: Any, quantile_levels: Any, axis: Axis = None
) -> float | np.ndarray:
    """Quantile-based CRPS approximation ``2 * mean_q pinball_q``, averaged over ``axis``.

    With levels ``q_j`` this approximates ``CRPS = 2 int_0^1 pinball_q dq`` by the mean over
    the given levels (exact in the limit of many evenly spaced levels); equal to
    ``scoringrules.crps_quantile``. Unlike gluonts' ``mean_wQuantileLoss`` it is not
    normalised by ``sum |y|``.

    Parameters
    ----------
    y_true
        Observations, shape ``(...)``.
    quantile_preds
        Predicted quantiles, shape ``(..., Q)``.
    quantile_levels
        The ``Q`` levels, strictly inside ``(0, 1)``.
    axis
        Axes of the per-observation CRPS array to average (``None``: all; ``()``: none).

    Returns
    -------
    float or ndarray
        Approximate CRPS in ``y_true``'s units: a float for a full reduction, else an array.
    """
    y, p, q, _ = _quantile_inputs(y_true, quantile_preds, quantile_levels)
    crps = 2.0 * np.mean(_pinball(y, p, q), axis=-1)
    return _reduce(crps, axis)


def weighted_quantile_loss(
    y_true: Any, quantile_preds: Any, quantile_levels: Any
) -> float | np.ndarray:
    """gluonts ``wQuantileLoss[q]``: ``2 * sum |pinball_q| / sum |y|`` over all elements.

    Parameters
    ----------
    y_true
        Observations, shape ``(...)``; every element is pooled.
    quantile_preds
        Predicted quantiles, shape ``(..., Q)`` (``y_true``'s shape for a scalar level).
    quantile_levels
        ``Q`` levels strictly inside ``(0, 1)``, or one scalar level.

    Returns
    -------
    float or ndarray
        Unitless loss per level, shape ``(Q,)`` (a float for a single scalar level).

    Raises
    ------
    ZeroScaleError
        If ``sum |y| == 0`` (the weighted loss would be inf/NaN).
    """
    y, p, q, scalar = _quantile_inputs(y_true, quantile_preds, quantile_levels)
    denom = float(np.sum(np.abs(y)))
    if denom == 0.0:
        raise ZeroScaleError("weighted quantile loss is undefined: sum(|y_true|) is 0")
    num = 2.0 * np.sum(np.abs(_pinball(y, p, q)).reshape(-1, q.shape[0]), axis=0)
    out = num / denom
    return float(out[0]) if scalar else out


def mean_weighted_quantile_loss(
    y_true: Any, quantile_preds: Any, quantile_levels: Any
) -> float:
    """gluonts ``mean_wQuantileLoss``: mean over levels of :func:`weighted_quantile_loss`.

    Parameters
    ----------
    y_true
        Observations, shape ``(...)``; every element is pooled.
    quantile_preds
        Predicted quantiles, shape ``(..., Q)``.
    quantile_levels
        The ``Q`` levels, strictly inside ``(0, 1)``.

    Returns
    -------
    float
        Unitless mean weighted quantile loss.
    """
    return float(
        np.mean(weighted_quantile_loss(y_true, quantile_preds, quantile_levels))
    )


def sample_quantiles(
    samples: Any,
    quantile_levels: Any,
    *,
    sample_axis: int = -1,
    method: str = "gluonts",
) -> np.ndarray:
    """Quantiles of samples; returns ``(..., Q)`` (sample axis replaced by the level axis).

    ``method="gluonts"`` (default) reproduces ``gluonts.model.forecast.SampleForecast.quantile``:
    sorted sample at index ``int(np.round((S - 1) * q))``. Any other value is passed as
    ``method`` to :func:`numpy.quantile` (e.g. ``"linear"``).

    Parameters
    ----------
    samples
        Forecast samples, shape ``(..., S)`` (or the sample axis at ``sample_axis``).
    quantile_levels
        Levels strictly inside ``(0, 1)``: a scalar or ``Q`` values.
    sample_axis
        Position of the sample axis in ``samples`` (default ``-1``).
    method
        ``"gluonts"`` (default) or a :func:`numpy.quantile` method name.

    Returns
    -------
    ndarray
        Quantiles, shape ``(..., Q)``.
    """
    x = _as_array(samples, "samples")
    if x.ndim == 0:
        raise ShapeError("samples must have a sample axis")
    x = np.moveaxis(x, sample_axis, -1)
    q = np.atleast_1d(_levels(quantile_levels))
    if method == "gluonts":
        xs = np.sort(x, axis=-1)
        idx = np.array([int(np.round((x.shape[-1] - 1) * float(level))) for level in q])
        return xs[..., idx]
    try:
        return np.moveaxis(np.quantile(x, q, axis=-1, method=method), 0, -1)
    except (ValueError, TypeError) as exc:
        raise TsheadsError(f"unknown quantile method {method!r}: {exc}") from exc


def crps_sum(
    y_true: Any,
    samples: Any,
    quantile_levels: Any = None,
    *,
    quantile_method: str = "gluonts",
) -> float:
    """CRPS-sum (TimeGrad/TimeMCL; gluonts ``m_sum_mean_wQuantileLoss``).

    Parameters
    ----------
    y_true
        ``(..., D)`` -- e.g. ``(n_windows, horizon, D)``.
    samples
        ``(..., S, D)`` -- e.g. ``(n_windows, horizon, S, D)``. (A gluonts-style
        ``(n_windows, S, horizon, D)`` array must be moved with ``np.moveaxis(a, 1, 2)``.)
    quantile_levels
        Defaults to :data:`CRPS_SUM_QUANTILES` (0.05 .. 0.95 step 0.05).
    quantile_method
        Sample-quantile rule, see :func:`sample_quantiles` (default: gluonts').

    Returns
    -------
    float
        Unitless CRPS-sum (mean weighted quantile loss of the channel sums).
    """
    y = _as_array(y_true, "y_true")
    x = _as_array(samples, "samples")
    _check_samples(y, x, vector=True)
    levels = (
        CRPS_SUM_QUANTILES
        if quantile_levels is None
        else np.atleast_1d(_levels(quantile_levels))
    )
    y_sum = y.sum(axis=-1)
    x_sum = x.sum(axis=-1)
    q_pred = sample_quantiles(x_sum, levels, method=quantile_method)
    return mean_weighted_quantile_loss(y_sum, q_pred, levels)


def energy_score(
    y_true: Any, samples: Any, axis: Axis = None, *, fair: bool = False
) -> float | np.ndarray:
    """Multivariate energy score of a sample ensemble, averaged over ``axis``.

    ``y_true`` is ``(..., D)``, ``samples`` ``(..., S, D)``; the per-observation score has
    shape ``y_true.shape[:-1]`` and ``axis`` refers to that array. Matches
    ``scoringrules.energy_score`` / ``es_ensemble`` (default ``"nrg"``; ``fair=True`` matches
    ``estimator="fair"``). Memory is ``O(prod(...) * S * D)`` (loop over samples).

    Parameters
    ----------
    y_true
        Observations, shape ``(..., D)``.
    samples
        Forecast samples, shape ``(..., S, D)``.
    axis
        Axes of the per-observation score array (shape ``y_true.shape[:-1]``) to average (``None``: all).
    fair
        ``False`` (default): spread term over ``2 S^2``; ``True``: the fair estimator, over ``2 S (S - 1)``.

    Returns
    -------
    float or ndarray
        Energy score in ``y_true``'s units: a float for a full reduction, else an array.
    """
    y = _as_array(y_true, "y_true")
    x = _as_array(samples, "samples")
    _check_samples(y, x, vector=True)
    m = x.shape[-2]
    if fair and m < 2:
        raise TsheadsError("the fair energy score needs at least 2 samples")
    term1 = np.mean(np.linalg.norm(x - y[..., None, :], axis=-1), axis=-1)
    pair_sum = np.zeros(y.shape[:-1])
    for i in range(m):
        pair_sum += np.sum(np.linalg.norm(x - x[..., i : i + 1, :], axis=-1), axis=-1)
    denom = 2.0 * m * (m - 1) if fair else 2.0 * m * m
    es = term1 - pair_sum / denom
    return _reduce(es, axis)


# --------------------------------------------------------------------------- intervals / hypotheses
def coverage(y_true: Any, lo: Any, hi: Any, axis: Axis = None) -> float | np.ndarray:
    """Fraction of observations inside ``[lo, hi]`` (inclusive), averaged over ``axis``.

    Raises :class:`~tsheads.errors.TsheadsError` if any ``lo > hi`` (crossed interval).

    Parameters
    ----------
    y_true
        Observations, shape ``(...)``.
    lo, hi
        Interval bounds, each of ``y_true``'s shape.
    axis
        Axes to average over (``None``: all).

    Returns
    -------
    float or ndarray
        Share of observations covered, in ``[0, 1]``: a float for a full reduction, else an array.
    """
    y = _as_array(y_true, "y_true")
    lo_a = _as_array(lo, "lo")
    hi_a = _as_array(hi, "hi")
    if lo_a.shape != y.shape or hi_a.shape != y.shape:
        raise ShapeError(
            f"lo and hi must have y_true's shape {y.shape}, got {lo_a.shape} and {hi_a.shape}"
        )
    if np.any(lo_a > hi_a):
        n = int(np.count_nonzero(lo_a > hi_a))
        raise TsheadsError(f"invalid interval: lo > hi at {n} position(s)")
    inside = ((y >= lo_a) & (y <= hi_a)).astype(np.float64)
    return _reduce(inside, axis)


def distortion(
    y_true: Any, hypotheses: Any, axis: Axis = None, *, channel_reduction: str = "sum"
) -> float | np.ndarray:
    """TimeMCL distortion: best-hypothesis RMSE per forecast window, averaged over windows.

    Parameters
    ----------
    y_true
        ``(N, T)`` (univariate) or ``(N, T, D)``: ``N`` forecast windows of ``T`` steps.
    hypotheses
        ``(N, K, T)`` or ``(N, K, T, D)``: ``K`` hypotheses (or samples) per window.
    axis
        Reduction over the per-window ``(N,)`` minima (``None``: mean; ``()``: per window).
    channel_reduction
        ``"sum"`` (default, the TimeMCL reference code): ``sqrt(sum_d mean_t err^2)``;
        ``"mean"``: ``sqrt(mean_{t,d} err^2)``.

    Returns
    -------
    float or ndarray
        Distortion in ``y_true``'s units: a float for a full reduction, else per-window values.
    """
    if channel_reduction not in ("sum", "mean"):
        raise TsheadsError(
            f"channel_reduction must be 'sum' or 'mean', got {channel_reduction!r}"
        )
    y = _as_array(y_true, "y_true")
    h = _as_array(hypotheses, "hypotheses")
    if y.ndim not in (2, 3):
        raise ShapeError(f"y_true must be (N, T) or (N, T, D), got shape {y.shape}")
    if h.ndim != y.ndim + 1 or h.shape[0] != y.shape[0] or h.shape[2:] != y.shape[1:]:
        raise ShapeError(
            f"hypotheses must have shape (N, K) + y_true.shape[1:] = {(y.shape[0], 'K') + y.shape[1:]}, got {h.shape}"
        )
    sq = np.square(h - y[:, None])  # (N, K, T[, D])
    per_channel = np.mean(sq, axis=2)  # mean over time -> (N, K[, D])
    if per_channel.ndim == 3:
        per_channel = (
            per_channel.sum(axis=-1)
            if channel_reduction == "sum"
            else per_channel.mean(axis=-1)
        )
    per_window = np.sqrt(per_channel).min(axis=1)  # (N,)
    return _reduce(per_window, axis)
