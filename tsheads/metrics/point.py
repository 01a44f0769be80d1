"""Point-forecast accuracy metrics (pure numpy).

Array convention
----------------
Every function takes ``y_true`` and ``y_pred`` of the **same shape** ``(..., T)``:
the **last axis is time** (the forecast horizon) and any leading axes index series
(e.g. ``(n_series, horizon)``; a 1-D array is a single series).

Each metric is the mean of an element-wise loss over ``axis`` (``rmse`` is the square
root of that mean):

* ``axis=None`` (default) -- one scalar over every element. With equal horizons this
  equals the mean over series of the per-series metric, i.e. the dataset-level number
  reported by M4 and by ``gluonts.evaluation.Evaluator`` (which averages per-series
  MSE / sMAPE / MASE; its ``RMSE`` is ``sqrt`` of the averaged MSE, as here).
* ``axis=-1`` -- one value per series (shape ``y_true.shape[:-1]``).
* any other int / tuple is passed to :func:`numpy.mean`.

Inputs must be finite real numbers (:class:`~tsheads.errors.NonFiniteError`
otherwise), non-empty (:class:`~tsheads.errors.EmptyDataError`) and of equal shape
(:class:`ShapeError`). No metric ever returns NaN/inf silently: a zero denominator
is either defined away (sMAPE, documented) or raises (:class:`ZeroScaleError`).

Definitions (M4 competition)
----------------------------
* ``smape``  = ``mean(200 * |y - ŷ| / (|y| + |ŷ|))`` -- **percent** (0..200).
  ``gluonts`` reports the same quantity as a fraction (``2 * mean(...)``, 0..2), so
  ``smape_tsheads == 100 * gluonts_sMAPE``. A term with ``y == ŷ == 0`` (0/0) is a
  perfect forecast and is defined as ``0`` here (M4's code and gluonts give NaN).
* ``mase``   = ``mean(|y - ŷ|) / scale`` with the in-sample seasonal-naive scale
  ``scale = mean_{t>m}(|y_train[t] - y_train[t-m]|)`` computed per series
  (:func:`seasonal_scale`). Unlike gluonts (which silently falls back to ``m = 1``
  when the training series is not longer than ``m``) a training series with
  ``len <= m`` raises :class:`~tsheads.errors.SeriesTooShortError`; a constant
  (zero-scale) training series raises :class:`ZeroScaleError`.
* ``owa``    = ``0.5 * (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2)`` on dataset-level
  means (array arguments are averaged first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tsheads.errors import (
    DataTypeError,
    EmptyDataError,
    NonFiniteError,
    SeriesTooShortError,
    ShapeError,
    TsheadsError,
    ZeroScaleError,
)

__all__ = [
    "mae",
    "mase",
    "mse",
    "owa",
    "rmse",
    "seasonal_scale",
    "smape",
]

Axis = int | tuple[int, ...] | None


# --------------------------------------------------------------------------- helpers
def _as_array(x: Any, name: str) -> np.ndarray:
    """Convert to a finite float64 array or raise a :class:`TsheadsError` subclass."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise DataTypeError(
            f"{name}: cannot convert to a numeric array ({exc})"
        ) from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise DataTypeError(
            f"{name}: expected a real numeric array, got dtype {arr.dtype}"
        )
    if np.iscomplexobj(arr):
        raise DataTypeError(f"{name}: complex values are not supported")
    arr = arr.astype(np.float64, copy=False)
    if arr.size == 0:
        raise EmptyDataError(f"{name}: array is empty (shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise NonFiniteError(f"{name}: contains {n_bad} NaN/inf value(s)")
    return arr


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    yt = _as_array(y_true, "y_true")
    yp = _as_array(y_pred, "y_pred")
    if yt.shape != yp.shape:
        raise ShapeError(
            f"y_true and y_pred must have the same shape, got {yt.shape} and {yp.shape}"
        )
    return yt, yp


def _reduce(values: np.ndarray, axis: Axis) -> float | np.ndarray:
    out = np.mean(values, axis=axis)
    return float(out) if np.ndim(out) == 0 else out


# --------------------------------------------------------------------------- metrics
def mae(y_true: Any, y_pred: Any, axis: Axis = None) -> float | np.ndarray:
    """Mean absolute error ``mean(|y - ŷ|)`` over ``axis`` (module convention).

    Parameters
    ----------
    y_true, y_pred
        Observations and point forecasts of the same shape ``(..., T)`` (last axis = time).
    axis
        Axes to average over: ``None`` (default) gives one scalar, ``-1`` one value per series.

    Returns
    -------
    float or ndarray
        A float for a full reduction, else an array of the remaining shape; in ``y_true``'s units.
    """
    yt, yp = _pair(y_true, y_pred)
    return _reduce(np.abs(yt - yp), axis)


def mse(y_true: Any, y_pred: Any, axis: Axis = None) -> float | np.ndarray:
    """Mean squared error ``mean((y - ŷ)^2)`` over ``axis``.

    Parameters
    ----------
    y_true, y_pred
        Observations and point forecasts of the same shape ``(..., T)`` (last axis = time).
    axis
        Axes to average over: ``None`` (default) gives one scalar, ``-1`` one value per series.

    Returns
    -------
    float or ndarray
        A float for a full reduction, else an array of the remaining shape; in squared units of ``y_true``.
    """
    yt, yp = _pair(y_true, y_pred)
    return _reduce(np.square(yt - yp), axis)


def rmse(y_true: Any, y_pred: Any, axis: Axis = None) -> float | np.ndarray:
    """Root mean squared error ``sqrt(mse(y_true, y_pred, axis))``.

    With ``axis=None`` this is the root of the pooled MSE (gluonts' ``RMSE``), *not* the
    mean of per-series RMSEs; use ``rmse(..., axis=-1).mean()`` for the latter.

    Parameters
    ----------
    y_true, y_pred
        Observations and point forecasts of the same shape ``(..., T)`` (last axis = time).
    axis
        Axes the squared errors are averaged over before the root: ``None`` (default) gives one scalar.

    Returns
    -------
    float or ndarray
        A float for a full reduction, else an array of the remaining shape; in ``y_true``'s units.
    """
    out = np.sqrt(mse(y_true, y_pred, axis=axis))
    return float(out) if np.ndim(out) == 0 else out


def smape(y_true: Any, y_pred: Any, axis: Axis = None) -> float | np.ndarray:
    """Symmetric MAPE in **percent** (M4): ``mean(200 * |y - ŷ| / (|y| + |ŷ|))``.

    Terms where ``y == ŷ == 0`` contribute ``0``. Result lies in ``[0, 200]``.

    Parameters
    ----------
    y_true, y_pred
        Observations and point forecasts of the same shape ``(..., T)`` (last axis = time).
    axis
        Axes to average over: ``None`` (default) gives one scalar, ``-1`` one value per series.

    Returns
    -------
    float or ndarray
        sMAPE in percent: a float for a full reduction, else an array of the remaining shape.
    """
    yt, yp = _pair(y_true, y_pred)
    num = 200.0 * np.abs(yt - yp)
    den = np.abs(yt) + np.abs(yp)
    terms = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return _reduce(terms, axis)


def seasonal_scale(y_train: Any, seasonality: int = 1) -> float | np.ndarray:
    """In-sample seasonal-naive MAE per series: ``mean(|y[t] - y[t-m]|)`` for ``t >= m``.

    Parameters
    ----------
    y_train
        ``(..., T_train)`` array (last axis = time), or a sequence of 1-D arrays of
        possibly different lengths (one per series, ragged training histories).
    seasonality
        Seasonal period ``m >= 1`` (1 for non-seasonal data; M4 uses 1/4/12/1/24 ...).

    Returns
    -------
    float or ndarray
        Shape ``y_train.shape[:-1]`` (``(n_series,)`` for a ragged sequence).

    Raises
    ------
    SeriesTooShortError
        If a training series has ``T_train <= seasonality``.
    ZeroScaleError
        If a scale is exactly zero (e.g. a constant training series): MASE would be inf/NaN.
    """
    m = _check_seasonality(seasonality)
    if _is_ragged(y_train):
        scales = np.array(
            [
                _scale_1d(_as_array(s, f"y_train[{i}]"), m, i)
                for i, s in enumerate(y_train)
            ]
        )
        if scales.size == 0:
            raise EmptyDataError("y_train: no series given")
        _check_nonzero_scale(scales)
        return scales
    arr = _as_array(y_train, "y_train")
    if arr.ndim == 0:
        raise ShapeError("y_train must have a time axis (at least 1-D)")
    if arr.shape[-1] <= m:
        raise SeriesTooShortError(
            f"y_train has {arr.shape[-1]} observations per series; the seasonal-naive scale with "
            f"seasonality={m} needs more than {m}"
        )
    scales = np.mean(np.abs(arr[..., m:] - arr[..., :-m]), axis=-1)
    _check_nonzero_scale(scales)
    return float(scales) if scales.ndim == 0 else scales


def mase(
    y_true: Any,
    y_pred: Any,
    y_train: Any,
    seasonality: int = 1,
    axis: Axis = None,
) -> float | np.ndarray:
    """Mean absolute scaled error (M4 definition).

    ``MASE_i = mean_t |y_i,t - ŷ_i,t| / scale_i`` with ``scale_i`` the in-sample
    seasonal-naive MAE of series ``i`` (:func:`seasonal_scale`). Element-wise
    ``|e| / scale`` is averaged over ``axis``: ``axis=-1`` gives per-series MASE,
    ``axis=None`` the dataset mean (mean of per-series MASE for equal horizons, as M4
    and gluonts report it).

    Parameters
    ----------
    y_true, y_pred
        ``(..., H)`` arrays (last axis = time).
    y_train
        In-sample history: ``(..., T_train)`` with the same leading shape as ``y_true``,
        or -- when ``y_true`` is ``(n_series, H)`` -- a sequence of ``n_series`` 1-D
        arrays of any lengths.
    seasonality
        Seasonal period ``m`` used for the naive scale.
    axis
        Axes to average the scaled errors over: ``None`` (default) gives one scalar, ``-1`` per-series MASE.

    Returns
    -------
    float or ndarray
        Unitless MASE (1 = as good as the in-sample seasonal-naive forecast): a float for a full reduction,
        else an array of the remaining shape.

    Raises
    ------
    ShapeError
        If ``y_train`` describes a different number of series than ``y_true``.
    """
    yt, yp = _pair(y_true, y_pred)
    scale = np.asarray(seasonal_scale(y_train, seasonality))
    if scale.shape != yt.shape[:-1]:
        raise ShapeError(
            f"y_train describes {scale.shape or 'one'} series but y_true has leading shape "
            f"{yt.shape[:-1] or 'one series'}; they must match"
        )
    return _reduce(np.abs(yt - yp) / scale[..., None], axis)


def owa(smape: Any, mase: Any, smape_naive2: Any, mase_naive2: Any) -> float:
    """Overall weighted average (M4): ``0.5 * (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2)``.

    As in M4 the ratios are taken between **dataset-level means**: array arguments
    (e.g. per-series values) are averaged first. sMAPE units (percent or fraction)
    cancel as long as both sMAPE arguments use the same one.

    Parameters
    ----------
    smape, mase
        sMAPE and MASE of the evaluated model (scalars or per-series arrays, all non-negative).
    smape_naive2, mase_naive2
        The same metrics of the Naive2 benchmark on the same data.

    Returns
    -------
    float
        OWA; below 1 means better than Naive2.

    Raises
    ------
    ZeroScaleError
        If the Naive2 sMAPE or MASE is zero.
    """
    vals = {}
    for name, v in (
        ("smape", smape),
        ("mase", mase),
        ("smape_naive2", smape_naive2),
        ("mase_naive2", mase_naive2),
    ):
        arr = _as_array(v, name)
        if np.any(arr < 0):
            raise TsheadsError(f"{name}: must be non-negative")
        vals[name] = float(np.mean(arr))
    for name in ("smape_naive2", "mase_naive2"):
        if vals[name] == 0.0:
            raise ZeroScaleError(
                f"OWA is undefined: {name} is 0 (the Naive2 benchmark is perfect)"
            )
    return 0.5 * (
        vals["smape"] / vals["smape_naive2"] + vals["mase"] / vals["mase_naive2"]
    )


# --------------------------------------------------------------------------- internals
def _check_seasonality(seasonality: Any) -> int:
    if isinstance(seasonality, bool) or not isinstance(seasonality, (int, np.integer)):
        raise TsheadsError(
            f"seasonality must be a positive integer, got {seasonality!r}"
        )
    if seasonality < 1:
        raise TsheadsError(
            f"seasonality must be a positive integer, got {seasonality!r}"
        )
    return int(seasonality)


def _is_ragged(y_train: Any) -> bool:
    if (
        isinstance(y_train, np.ndarray)
        or not isinstance(y_train, Sequence)
        or isinstance(y_train, str)
    ):
        return False
    return (
        len(y_train) > 0
        and all(np.ndim(s) == 1 for s in y_train)
        and len({len(s) for s in y_train}) > 1
    )


def _scale_1d(s: np.ndarray, m: int, i: int) -> float:
    if s.ndim != 1:
        raise ShapeError(f"y_train[{i}] must be 1-D, got shape {s.shape}")
    if s.shape[0] <= m:
        raise SeriesTooShortError(
            f"y_train[{i}] has {s.shape[0]} observations; the seasonal-naive scale with "
            f"seasonality={m} needs more than {m}"
        )
    return float(np.mean(np.abs(s[m:] - s[:-m])))


def _check_nonzero_scale(scales: np.ndarray) -> None:
    zero = np.asarray(scales) == 0
    if np.any(zero):
        if zero.ndim == 0:
            idx: list = []
        elif zero.ndim == 1:
            idx = np.flatnonzero(zero).tolist()
        else:
            idx = [tuple(int(v) for v in row) for row in np.argwhere(zero)]
        where = (
            f" (series index {idx[:10]}{'...' if len(idx) > 10 else ''})" if idx else ""
        )
        raise ZeroScaleError(
            "MASE scale is zero: the training series is constant at the seasonal lag"
            f"{where}, so the scaled error would be inf/NaN"
        )
