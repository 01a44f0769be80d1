"""Evaluate forecasts held in a pandas long frame (Nixtla layout).

Input layout
------------
``df`` has one row per (series, timestamp) with the id, time and target columns and one
column per forecast, named like Nixtla's libraries:

* ``model``               -- point forecast (point metrics),
* ``model-lo-90`` / ``model-hi-90`` -- prediction interval at level 90 (``coverage``; also used
  as quantiles 0.05 / 0.95 by the quantile metrics when ``level`` is given),
* ``model-q-0.1``         -- quantile forecast at level 0.1 (percent spellings such as
  ``model-q-10`` are read as 0.10).

Names are built and parsed by :mod:`tsheads.forecast_columns` (the module the estimators name their
outputs with). Unless ``models`` is given, every **float** column other than the id, time, target
and ``cutoff_col`` columns (and those in ``exclude``) is a forecast; integer and boolean columns
(labels such as ``is_anomaly``, window numbers, integer cutoffs) are never taken for models.

Backtests
---------
``df`` may be the output of :func:`tsheads.backtest.cross_validation`: when it has a ``cutoff_col``
column, rows are unique per (id, cutoff, time), so overlapping windows (``step_size < h``), where the
same (id, time) is forecast from several cutoffs, are accepted. Every metric is then computed **per
id over all of its windows** (all its rows pooled, as if the windows were one longer forecast);
``mase`` scales every window of a series by the same in-sample scale, computed from that series'
``train_df`` history.

Metrics (strings)
-----------------
======================  ===============================  =======================================
name                    needs                            output metric name(s)
======================  ===============================  =======================================
``mae`` ``mse``         point column                     ``mae``, ``mse``, ...
``rmse`` ``smape``      point column                     ``smape`` in percent (M4)
``mase``                point column, ``train_df``,      ``mase``
                        ``seasonality``
``coverage``            ``lo``/``hi`` columns, ``level`` ``coverage_level90`` per level
``quantile_loss``       quantile columns                 ``quantile_loss_q0.1`` per level (mean
                                                         pinball loss)
``crps``                quantile columns                 ``crps`` (2 x mean pinball over levels)
``wql``                 quantile columns                 ``wql`` (gluonts ``mean_wQuantileLoss``)
======================  ===============================  =======================================

A callable ``f(y_true, y_pred) -> float`` (1-D arrays of one series) is also accepted as a
point metric, named after ``f.__name__``.

Output
------
``aggregate=False``: one row per ``unique_id`` x metric, columns ``[id_col, 'metric', *models]``
(like ``utilsforecast.evaluation.evaluate``). ``aggregate=True``: one row per metric, columns
``['metric', *models]``, with the dataset-level values gluonts' ``Evaluator`` reports: the mean
over series of the per-series value for every metric except ``rmse`` (square root of the mean
per-series MSE) and ``wql`` (pooled ``2 * sum pinball / sum |y|`` over all series and steps).

Every input problem raises a :class:`~tsheads.errors.TsheadsError` subclass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tsheads.errors import (
    DataTypeError,
    DuplicateTimestampError,
    IdMismatchError,
    MissingColumnError,
    NonFiniteError,
    SeriesTooShortError,
    TsheadsError,
    ZeroScaleError,
)
from tsheads.forecast_columns import (
    check_levels,
    interval_column,
    interval_quantiles,
    parse_column,
)
from tsheads.forecast_columns import format_number as _fmt
from tsheads.frames import Columns, validate
from tsheads.metrics import point as _pt
from tsheads.metrics import probabilistic as _pr

__all__ = [
    "INTERVAL_METRICS",
    "POINT_METRICS",
    "QUANTILE_METRICS",
    "evaluate",
]

POINT_METRICS = ("mae", "mse", "rmse", "smape", "mase")
INTERVAL_METRICS = ("coverage",)
QUANTILE_METRICS = ("quantile_loss", "crps", "wql")

# --------------------------------------------------------------------------- public API
def evaluate(
    df: pd.DataFrame,
    metrics: Sequence[str | Callable[[np.ndarray, np.ndarray], float]],
    models: Sequence[str] | None = None,
    train_df: pd.DataFrame | None = None,
    seasonality: int | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    level: Sequence[float] | None = None,
    aggregate: bool = False,
    cutoff_col: str = "cutoff",
    exclude: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Score every model of ``df`` with ``metrics`` (see the module docstring).

    Parameters
    ----------
    df
        Long frame with ``id_col``, ``time_col``, ``target_col`` and forecast columns.
    metrics
        Metric names (``mae``, ``mse``, ``rmse``, ``smape``, ``mase``, ``coverage``,
        ``quantile_loss``, ``crps``, ``wql``) and/or point-metric callables.
    models
        Model (base column) names to score. Default: every float column that is not the
        id/time/target/``cutoff_col`` column or in ``exclude``, with ``-lo-``/``-hi-``/``-q-``
        suffixes folded into their model. Integer and boolean columns are never inferred.
    train_df
        In-sample history (same id/time/target columns), required by ``mase``.
    seasonality
        Seasonal period for the ``mase`` scale (required by ``mase``; 1 = non-seasonal).
    id_col, time_col, target_col
        Names of the series-id, timestamp and observed-value columns of ``df`` and ``train_df``.
    level
        Interval levels in percent (e.g. ``[80, 90]``): required by ``coverage``; the
        matching ``lo``/``hi`` columns also serve as quantiles for the quantile metrics.
    aggregate
        Return dataset-level values (one row per metric) instead of per-series rows.
    cutoff_col
        Forecast-origin column of a backtest (:func:`tsheads.backtest.cross_validation` writes
        ``cutoff``). If ``df`` has it, rows must be unique per (id, cutoff, time) rather than per
        (id, time), and each series is scored over all of its windows together (module docstring).
        Never taken for a model.
    exclude
        Further column names that are not forecasts (ignored by model inference).

    Returns
    -------
    pandas.DataFrame
        Columns ``[id_col, 'metric', *models]``, one row per series and metric; with ``aggregate=True``
        ``['metric', *models]``, one row per metric (dataset-level values, see the module docstring).
    """
    _check_is_frame(df, "df")
    metric_list = _parse_metrics(metrics)
    levels = check_levels(level)
    names = [m for m in metric_list if isinstance(m, str)]
    if "coverage" in names and not levels:
        raise TsheadsError("metric 'coverage' needs `level` (e.g. level=[80, 90])")
    if "mase" in names:
        if train_df is None:
            raise TsheadsError("metric 'mase' needs `train_df` (the in-sample history)")
        if seasonality is None:
            raise TsheadsError(
                "metric 'mase' needs `seasonality` (use 1 for non-seasonal data)"
            )
        _pt._check_seasonality(seasonality)

    if exclude is None:
        excluded: list = []
    elif isinstance(exclude, str):
        excluded = [exclude]
    else:
        excluded = list(exclude)
    if models is None:
        model_list = _infer_models(
            df, (id_col, time_col, target_col, cutoff_col, *excluded)
        )
    else:
        model_list = [models] if isinstance(models, str) else list(models)
    if not model_list:
        raise MissingColumnError(
            "no forecast columns found in df (expected e.g. 'model', 'model-q-0.1')"
        )
    if len(set(model_list)) != len(model_list):
        raise TsheadsError(f"duplicate model names in {model_list}")

    needs_point = any(not isinstance(m, str) or m in POINT_METRICS for m in metric_list)
    needs_interval = "coverage" in names
    needs_quantiles = any(m in QUANTILE_METRICS for m in names)

    # ---- resolve the columns each model needs
    point_cols: dict[str, str] = {}
    interval_cols: dict[str, dict[float, tuple[str, str]]] = {}
    quantile_cols: dict[str, dict[float, str]] = {}
    for model in model_list:
        if needs_point:
            if model not in df.columns:
                raise MissingColumnError(
                    f"model {model!r}: point-forecast column {model!r} not found in df"
                )
            point_cols[model] = model
        if needs_interval:
            interval_cols[model] = {
                lv: _interval_columns(df, model, lv) for lv in levels
            }
        if needs_quantiles:
            quantile_cols[model] = _quantile_columns(df, model, levels)
    q_levels: np.ndarray | None = None
    if needs_quantiles:
        sets = {m: sorted(c) for m, c in quantile_cols.items()}
        union = sorted(set().union(*sets.values()))
        for m, s in sets.items():
            missing = sorted(set(union) - set(s))
            if missing:
                raise MissingColumnError(
                    f"model {m!r} lacks quantile level(s) {missing} that other models provide; "
                    "every model must have the same quantile levels"
                )
        q_levels = np.array(union)

    used_cols = list(point_cols.values())
    used_cols += [
        c for d in interval_cols.values() for pair in d.values() for c in pair
    ]
    used_cols += [c for d in quantile_cols.values() for c in d.values()]
    data = _validated(
        df,
        "df",
        Columns(id_col, time_col, target_col),
        cutoff_col if cutoff_col in df.columns else None,
    )
    _check_forecasts(data, list(dict.fromkeys(used_cols)))
    codes, uniques = pd.factorize(data[id_col], sort=True)
    # rows in id order (validate keeps grouped ids in input order): each series is one block
    order = np.argsort(codes, kind="stable")
    data, codes = data.iloc[order].reset_index(drop=True), codes[order]
    n_series = len(uniques)
    y = data[target_col].to_numpy(dtype=np.float64)

    scales = None
    if "mase" in names:
        scales = _mase_scales(
            train_df, uniques, id_col, time_col, target_col, int(seasonality)
        )  # type: ignore[arg-type]

    # ---- per-model, per-metric values
    results: dict[
        str, dict[str, np.ndarray]
    ] = {}  # metric name -> model -> (n_series,) or scalar
    order: list[str] = []

    def put(name: str, model: str, value: Any) -> None:
        if name not in results:
            results[name] = {}
            order.append(name)
        results[name][model] = value

    for model in model_list:
        for metric in metric_list:
            if not isinstance(metric, str):
                pred = data[point_cols[model]].to_numpy(dtype=np.float64)
                vals = _per_series_callable(metric, y, pred, codes, n_series)
                name = getattr(metric, "__name__", repr(metric))
                put(name, model, float(np.mean(vals)) if aggregate else vals)
            elif metric in POINT_METRICS:
                pred = data[point_cols[model]].to_numpy(dtype=np.float64)
                put(
                    metric,
                    model,
                    _point_metric(metric, y, pred, codes, n_series, scales, aggregate),
                )
            elif metric == "coverage":
                for lv, (lo_c, hi_c) in interval_cols[model].items():
                    inside = _pr.coverage(
                        y,
                        data[lo_c].to_numpy(np.float64),
                        data[hi_c].to_numpy(np.float64),
                        axis=(),
                    )
                    vals = _group_mean(inside, codes, n_series)
                    put(
                        f"coverage_level{_fmt(lv)}",
                        model,
                        float(np.mean(vals)) if aggregate else vals,
                    )
            else:
                assert q_levels is not None
                qp = np.column_stack(
                    [
                        data[quantile_cols[model][q]].to_numpy(np.float64)
                        for q in q_levels
                    ]
                )
                if metric == "quantile_loss":
                    loss = _pr.quantile_loss(y, qp, q_levels, axis=())  # (n, Q)
                    for j, q in enumerate(q_levels):
                        vals = _group_mean(loss[:, j], codes, n_series)
                        put(
                            f"quantile_loss_q{_fmt(q)}",
                            model,
                            float(np.mean(vals)) if aggregate else vals,
                        )
                elif metric == "crps":
                    vals = _group_mean(
                        _pr.crps_from_quantiles(y, qp, q_levels, axis=()),
                        codes,
                        n_series,
                    )
                    put("crps", model, float(np.mean(vals)) if aggregate else vals)
                else:  # wql
                    put(
                        "wql",
                        model,
                        _wql(y, qp, q_levels, codes, uniques, aggregate),
                    )

    # ---- tidy output
    frames = []
    for name in order:
        if aggregate:
            row = {"metric": name, **{m: results[name][m] for m in model_list}}
            frames.append(pd.DataFrame([row]))
        else:
            part = pd.DataFrame({id_col: uniques, "metric": name})
            for m in model_list:
                part[m] = np.asarray(results[name][m], dtype=np.float64)
            frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    return out


# --------------------------------------------------------------------------- metric helpers
def _group_mean(values: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    counts = np.bincount(codes, minlength=n)
    return np.bincount(codes, weights=values, minlength=n) / counts


def _point_metric(
    metric: str,
    y: np.ndarray,
    pred: np.ndarray,
    codes: np.ndarray,
    n: int,
    scales: np.ndarray | None,
    aggregate: bool,
) -> Any:
    if metric == "mase":
        assert scales is not None
        elem = np.abs(y - pred) / scales[codes]
    elif metric in ("mse", "rmse"):
        elem = _pt.mse(y, pred, axis=())
    else:
        elem = getattr(_pt, metric)(y, pred, axis=())
    vals = _group_mean(elem, codes, n)
    if metric == "rmse":
        return float(np.sqrt(np.mean(vals))) if aggregate else np.sqrt(vals)
    return float(np.mean(vals)) if aggregate else vals


def _series_slices(codes: np.ndarray, n: int) -> list[slice]:
    """Row slice of each series (rows are sorted by id, so each series is one block)."""
    bounds = np.searchsorted(codes, np.arange(n + 1))
    return [slice(bounds[i], bounds[i + 1]) for i in range(n)]


def _per_series_callable(
    fn: Callable, y: np.ndarray, pred: np.ndarray, codes: np.ndarray, n: int
) -> np.ndarray:
    out = np.array([float(fn(y[sl], pred[sl])) for sl in _series_slices(codes, n)])
    if not np.all(np.isfinite(out)):
        name = getattr(fn, "__name__", repr(fn))
        raise NonFiniteError(f"custom metric {name!r} returned NaN/inf for some series")
    return out


def _wql(
    y: np.ndarray,
    qp: np.ndarray,
    q: np.ndarray,
    codes: np.ndarray,
    uniques: Any,
    aggregate: bool,
) -> Any:
    """gluonts ``mean_wQuantileLoss``: pooled over all rows, or per series (``aggregate=False``)."""
    if aggregate:
        return _pr.mean_weighted_quantile_loss(y, qp, q)
    out = np.empty(len(uniques))
    zero = []
    for i, sl in enumerate(_series_slices(codes, len(uniques))):
        try:
            out[i] = _pr.mean_weighted_quantile_loss(y[sl], qp[sl], q)
        except ZeroScaleError:
            zero.append(str(uniques[i]))
    if zero:
        raise ZeroScaleError(
            f"wql is undefined for series with sum(|y|) == 0: {zero[:10]}"
        )
    return out


def _mase_scales(
    train_df: Any, uniques: Any, id_col: str, time_col: str, target_col: str, m: int
) -> np.ndarray:
    """Per-series seasonal-naive scale (:func:`tsheads.metrics.point.seasonal_scale`) of train_df."""
    _check_is_frame(train_df, "train_df")
    train = _validated(train_df, "train_df", Columns(id_col, time_col, target_col))
    groups = {
        k: g[target_col].to_numpy(np.float64)
        for k, g in train.groupby(id_col, sort=False, observed=True)
    }
    missing = [u for u in uniques if u not in groups]
    if missing:
        raise IdMismatchError(
            f"train_df has no history for {len(missing)} series of df: {[str(u) for u in missing[:10]]}"
        )
    scales = np.empty(len(uniques))
    zero = []
    for i, u in enumerate(uniques):
        hist = groups[u]
        try:
            scales[i] = _pt.seasonal_scale(hist, m)
        except SeriesTooShortError:
            raise SeriesTooShortError(
                f"series {u!r}: train_df has {hist.shape[0]} observations; "
                f"MASE with seasonality={m} needs more than {m}"
            ) from None
        except ZeroScaleError:
            zero.append(str(u))
    if zero:
        raise ZeroScaleError(
            f"MASE scale is zero for series {zero[:10]}: the training series is constant at lag {m}"
        )
    return scales


# --------------------------------------------------------------------------- validation helpers
def _check_is_frame(df: Any, name: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise DataTypeError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")


def _validated(
    df: pd.DataFrame, name: str, columns: Columns, cutoff_col: str | None = None
) -> pd.DataFrame:
    """The project's one validation (types, NaN/inf, duplicates, sorting), errors naming the frame.

    With ``cutoff_col`` (a backtest frame) the id column is validated as the pair (id, cutoff):
    a temporary key replaces the ids during :func:`tsheads.frames.validate`, so duplicates are
    checked per (id, cutoff, time), and the ids are put back afterwards. The result is sorted by
    id, cutoff and time.
    """
    if cutoff_col is None or columns.id not in df.columns:
        try:
            data, _ = validate(df, columns, require_freq=False)
        except TsheadsError as exc:
            raise type(exc)(f"{name}: {exc}") from None
        return data

    tmp = "__tsheads_id__"
    while tmp in df.columns:
        tmp += "_"
    work = df.copy(deep=False)
    work[tmp] = df[columns.id]
    work[columns.id] = _window_keys(df[columns.id], df[cutoff_col])
    try:
        data, _ = validate(work, columns, require_freq=False)
    except DuplicateTimestampError as exc:
        raise DuplicateTimestampError(
            f"{name}: {exc} (with a {cutoff_col!r} column the ids are checked per cutoff: "
            f"an ({columns.id}, {columns.time}) pair may repeat only under different cutoffs)"
        ) from None
    except TsheadsError as exc:
        raise type(exc)(f"{name}: {exc}") from None
    data[columns.id] = data.pop(tmp)
    data = data.sort_values([columns.id, cutoff_col, columns.time], kind="stable")
    return data.reset_index(drop=True)


def _window_keys(ids: pd.Series, cutoffs: pd.Series) -> pd.Series:
    """One readable label per (id, cutoff) pair, e.g. ``'s0 (cutoff 2023-01-30)'``; NA where the id is."""
    codes = (
        pd.DataFrame({"id": ids.to_numpy(), "cutoff": cutoffs.to_numpy()})
        .groupby(["id", "cutoff"], sort=False, dropna=False, observed=True)
        .ngroup()
        .to_numpy()
    )
    first = np.unique(codes, return_index=True)[1]  # first row of each pair, in code order
    labels = [
        f"{i} (cutoff {c})" for i, c in zip(ids.iloc[first], cutoffs.iloc[first])
    ]
    if len(set(labels)) < len(labels):  # labels of distinct pairs coincide: make them unique
        labels = [f"{lab} #{k}" for k, lab in enumerate(labels)]
    keys = np.asarray(labels, dtype=object)[codes]
    keys[ids.isna().to_numpy()] = None
    return pd.Series(keys, index=ids.index, dtype=object)


def _check_forecasts(df: pd.DataFrame, cols: Sequence[str]) -> None:
    """Forecast columns must be numeric and finite (a NaN forecast is a model bug, not a gap)."""
    for c in cols:
        s = df[c]
        if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
            raise DataTypeError(f"df column {c!r} must be numeric, got dtype {s.dtype}")
        bad = ~np.isfinite(s.to_numpy(dtype=np.float64, na_value=np.nan))
        if bad.any():
            raise NonFiniteError(f"df column {c!r} holds {int(bad.sum())} NaN/inf value(s)")


def _parse_metrics(metrics: Any) -> list:
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    metric_list = list(metrics)
    if not metric_list:
        raise TsheadsError("`metrics` is empty")
    known = POINT_METRICS + INTERVAL_METRICS + QUANTILE_METRICS
    for m in metric_list:
        if isinstance(m, str):
            if m not in known:
                raise TsheadsError(
                    f"unknown metric {m!r}; choose from {list(known)} or pass a callable"
                )
        elif not callable(m):
            raise TsheadsError(f"metrics must be names or callables, got {m!r}")
    if len({m if isinstance(m, str) else id(m) for m in metric_list}) != len(
        metric_list
    ):
        raise TsheadsError(f"duplicate metrics in {metric_list}")
    return metric_list


def _interval_columns(df: pd.DataFrame, model: str, lv: float) -> tuple[str, str]:
    lo, hi = interval_column(model, "lo", lv), interval_column(model, "hi", lv)
    if lo not in df.columns or hi not in df.columns:
        raise MissingColumnError(
            f"model {model!r}: interval columns {[lo, hi]} not found in df"
        )
    return lo, hi


def _quantile_columns(
    df: pd.DataFrame, model: str, levels: Sequence[float]
) -> dict[float, str]:
    """Quantile level -> column: ``model-q-*`` columns, then the ``level`` interval bounds."""
    found: dict[float, str] = {}
    for col in df.columns:
        parsed = parse_column(col)
        if parsed is None or parsed.model != model or parsed.kind != "q":
            continue
        if not 0 < parsed.value < 1:
            raise TsheadsError(
                f"column {col!r}: quantile level {str(col).rsplit('-', 1)[-1]} is not in (0, 1) "
                "or (0, 100)"
            )
        q = round(parsed.value, 10)
        if q in found:
            raise TsheadsError(
                f"model {model!r}: columns {found[q]!r} and {col!r} give the same quantile {q}"
            )
        found[q] = str(col)
    for lv in levels:
        q_lo, q_hi = interval_quantiles([lv])
        for side, q in (("lo", q_lo), ("hi", q_hi)):
            col = interval_column(model, side, lv)
            if col in df.columns:
                found.setdefault(round(q, 10), col)
    if not found:
        raise MissingColumnError(
            f"model {model!r}: no quantile columns found (expected '{model}-q-0.1' ... "
            f"or '{model}-lo-<level>'/'{model}-hi-<level>' with `level`)"
        )
    return found


def _infer_models(df: pd.DataFrame, reserved: Sequence[str]) -> list[str]:
    """Base names of the float columns not in ``reserved`` (int/bool columns are not forecasts)."""
    models: list[str] = []
    for col in df.columns:
        if col in reserved or not pd.api.types.is_float_dtype(df[col]):
            continue
        parsed = parse_column(col)
        base = parsed.model if parsed is not None else str(col)
        if base not in models:
            models.append(base)
    return models
