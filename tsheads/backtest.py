"""Rolling-origin backtesting for any tsheads forecaster.

A model qualifies when ``fit(df, id_col=, time_col=, target_col=, freq=)`` returns a fitted model
whose ``predict(h, level=, quantiles=)`` gives a long frame, as :class:`~tsheads.estimators.base.BaseForecaster`
does; it is cloned with ``sklearn.base.clone`` for each window.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone

from .errors import SeriesTooShortError, TsheadsError
from .estimators.base import check_positive_int
from .frames import Columns, validate


def cross_validation(
    model,
    df,
    h: int,
    n_windows: int = 1,
    step_size: Optional[int] = None,
    *,
    level: Optional[Sequence[float]] = None,
    quantiles: Optional[Sequence[float]] = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    freq=None,
    min_train_length: int = 1,
) -> pd.DataFrame:
    """Refit ``model`` at ``n_windows`` cutoffs and forecast ``h`` steps after each.

    Cutoffs are per series, counted back from its end: window ``w`` (0 = oldest) trains on all but the
    last ``h + (n_windows - 1 - w) * step_size`` points. ``step_size`` defaults to ``h`` (adjacent,
    non-overlapping test windows). A fresh ``sklearn.base.clone`` of ``model`` is fitted per window, so
    the caller's instance is never changed.

    Parameters
    ----------
    model : estimator
        An unfitted or fitted forecaster (see module docstring); only its parameters are used.
    df : pandas.DataFrame or pandas.Series
        History, long or wide (see :func:`tsheads.frames.validate`); must be regular and gap-free.
    h : int
        Forecast horizon in steps of ``freq``.
    n_windows : int, default 1
        Number of cutoffs (test windows) per series.
    step_size : int, optional
        Steps between consecutive cutoffs; default ``h``.
    level : sequence of float, optional
        Interval levels in percent, passed to ``predict``.
    quantiles : sequence of float, optional
        Quantile levels in (0, 1), passed to ``predict``.
    id_col, time_col, target_col : str
        Names of the series-id, timestamp and target column(s) (default ``unique_id``, ``ds``, ``y``).
    freq : str, pandas.DateOffset or int, optional
        Sampling frequency; None: inferred.
    min_train_length : int, default 1
        Fewest training points the oldest window must leave each series.

    Returns
    -------
    pandas.DataFrame
        Long frame ``id, time, cutoff, y, <model columns>`` (cutoff = last training time stamp), windows
        oldest first.

    Raises
    ------
    SeriesTooShortError
        When a series cannot hold the oldest window with at least ``min_train_length`` training points:
        series are never dropped silently.
    """
    h = check_positive_int(h)
    n_windows = check_positive_int(n_windows, "n_windows")
    step_size = h if step_size is None else check_positive_int(step_size, "step_size")
    columns = Columns(id_col, time_col, target_col)
    if "cutoff" in (id_col, time_col, *columns.targets):
        raise TsheadsError("'cutoff' is the name of the backtest's origin column; rename your column")
    data, freq = validate(df, columns, freq=freq)
    targets = list(columns.targets)
    sizes = data.groupby(id_col, sort=False)[time_col].transform("size").to_numpy()
    from_end = sizes - data.groupby(id_col, sort=False).cumcount().to_numpy()  # 1 = last point
    held_out = h + (n_windows - 1) * step_size
    too_short = data.loc[sizes < held_out + min_train_length, id_col].unique()
    if len(too_short):
        raise SeriesTooShortError(
            f"{len(too_short)} series are too short for {n_windows} window(s) of h={h}, step {step_size} "
            f"and {min_train_length} training point(s) (need {held_out + min_train_length}): "
            + ", ".join(repr(u) for u in too_short[:5])
        )
    routes = whole_length_routes(model, data.groupby(id_col, sort=False)[time_col].size())
    order = {u: i for i, u in enumerate(data[id_col].unique())}
    results = []
    for w in range(n_windows):
        offset = h + (n_windows - 1 - w) * step_size
        train = data[from_end > offset]
        test = data.loc[(from_end <= offset) & (from_end > offset - h), [id_col, time_col, *targets]]
        forecast = pd.concat([
            clone(routed).fit(train if ids is None else train[train[id_col].isin(ids)], id_col=id_col,
                              time_col=time_col, target_col=target_col, freq=freq)
            .predict(h, level=level, quantiles=quantiles) for ids, routed in routes])
        if len(routes) > 1:  # the series in the frame's order, as one fit lists them
            forecast = forecast.sort_values(id_col, key=lambda ids: ids.map(order), kind="stable")
        cutoffs = train.groupby(id_col, sort=False)[time_col].last().rename("cutoff")
        merged = forecast.merge(test, on=[id_col, time_col], how="left").join(cutoffs, on=id_col)
        results.append(merged)
    out = pd.concat(results, ignore_index=True)
    front = [id_col, time_col, "cutoff", *targets]
    return out[front + [c for c in out.columns if c not in front]]


def whole_length_routes(model, lengths: pd.Series) -> list:
    """``(series ids or None for all, model)`` pairs that refit each series as its whole history is forecast.

    A ``ZeroShotForecaster`` sends series of at most ``short_history`` points to the short network; a refit on
    a cut history would route by the cut length, so a longer series would be backtested by the short network
    and forecast by the default one. Such series are refitted with the routing off.

    Parameters
    ----------
    model : estimator
        The forecaster to backtest.
    lengths : pandas.Series
        Whole length of each series, indexed by series id.

    Returns
    -------
    list of tuple
        One pair, ``(None, model)``, unless the model routes by length and the series fall on both sides.
    """
    limit = getattr(model, "_short_history", lambda: None)()
    if limit is None or (lengths <= limit).all():
        return [(None, model)]
    long = clone(model).set_params(short_history=None)
    if (lengths > limit).all():
        return [(None, long)]
    return [(lengths.index[lengths <= limit], model), (lengths.index[lengths > limit], long)]


def origin_cutoffs(length: int, h: int, n_windows: int, step_size: int, min_train_length: int) -> np.ndarray:
    """Training lengths of the rolling origins of one series, oldest first, as :func:`cross_validation` counts them.

    Window ``w`` trains on all but the last ``h + (n_windows - 1 - w) * step_size`` points; windows that
    would leave fewer than ``min_train_length`` training points are dropped (so short series get fewer).

    Parameters
    ----------
    length : int
        Points in the series.
    h : int
        Forecast horizon of every window.
    n_windows : int
        Most windows wanted.
    step_size : int
        Steps between consecutive origins.
    min_train_length : int
        Fewest training points a window may leave.

    Returns
    -------
    numpy.ndarray
        Training lengths (int), at most ``n_windows``, possibly empty.
    """
    cuts = length - h - step_size * np.arange(n_windows - 1, -1, -1)
    return cuts[cuts >= min_train_length].astype(np.int64)
