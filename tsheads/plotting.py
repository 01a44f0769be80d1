"""Matplotlib views of forecasts and anomaly scores (needs the ``plot`` extra: ``pip install tsheads[plot]``).

Every function draws one series onto axes it is given (``ax=``) or makes its own, and returns the axes, so
the views compose into a user's own figures. Frames are the long frames tsheads returns; a frame with
several series needs ``unique_id=`` to pick one.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd

from .errors import MissingColumnError, TsheadsError
from .forecast_columns import parse_column
from .metrics.anomaly import flag_runs

__all__ = ["plot_anomalies", "plot_forecast", "plot_hypotheses"]

#: colours that stay apart in print and for the common colour-vision deficiencies (Okabe-Ito)
_FORECAST = "#0072B2"
_FLAG = "#D55E00"
_HEAD_COLOURS = ("#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def _axes(ax, figsize=(9, 3)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize, layout="constrained")[1]


def _time_axis(ax, stamps) -> None:
    """Short date labels (no overlapping full stamps) when the time column holds datetimes."""
    if pd.api.types.is_datetime64_any_dtype(stamps):
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _one_series(df: Optional[pd.DataFrame], unique_id, id_col: str, what: str) -> Optional[pd.DataFrame]:
    """The rows of one series: the only one in ``df``, or ``unique_id``'s."""
    if df is None:
        return None
    if not isinstance(df, pd.DataFrame):
        raise TsheadsError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    if id_col not in df.columns:
        return df
    ids = pd.unique(df[id_col])
    if unique_id is None:
        if len(ids) > 1:
            shown = ", ".join(map(repr, ids[:5])) + (" ..." if len(ids) > 5 else "")
            raise TsheadsError(f"{what} holds {len(ids)} series ({shown}); pass unique_id= to choose one")
        return df
    rows = df[df[id_col] == unique_id]
    if rows.empty:
        raise TsheadsError(f"{what} has no series {unique_id!r}")
    return rows


def _need(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MissingColumnError(f"{what} lacks column(s) {missing}; it has {list(df.columns)}")


def _model_name(forecast: pd.DataFrame, id_col: str, time_col: str) -> str:
    """The one point-forecast column of a forecast frame (the column no band suffix parses)."""
    points = [c for c in forecast.columns if c not in (id_col, time_col, "cutoff", "y") and parse_column(c) is None]
    if len(points) != 1:
        raise TsheadsError(f"cannot tell the model column among {points}; pass model=")
    return points[0]


def _bands(forecast: pd.DataFrame, model: str, levels) -> list[tuple[float, str, str]]:
    """``(level, lower column, upper column)`` from the widest band to the narrowest.

    Interval columns (``model-lo-80``) are used when present; otherwise symmetric quantile pairs
    (``model-q-0.1`` with ``model-q-0.9`` make the 80 % band).
    """
    lo, hi, qs = {}, {}, {}
    for column in forecast.columns:
        p = parse_column(column)
        if p is None or p.model != model:
            continue
        {"lo": lo, "hi": hi, "q": qs}[p.kind][round(p.value, 10)] = column
    bands = [(level, lo[level], hi[level]) for level in lo if level in hi]
    if not bands:
        for q, column in qs.items():
            upper = round(1 - q, 10)
            if q < 0.5 and upper in qs:
                bands.append((round(100 * (1 - 2 * q), 10), column, qs[upper]))
    if levels is not None:
        wanted = {round(float(v), 10) for v in np.atleast_1d(levels)}
        missing = sorted(wanted - {b[0] for b in bands})
        if missing:
            raise TsheadsError(f"forecast has no {missing} % band for {model!r}; it has {sorted(b[0] for b in bands)}")
        bands = [b for b in bands if b[0] in wanted]
    return sorted(bands, reverse=True)


def plot_forecast(history: pd.DataFrame, forecast: pd.DataFrame, actual: Optional[pd.DataFrame] = None, *,
                  model: Optional[str] = None, levels: Optional[Sequence[float]] = None,
                  unique_id=None, last: Optional[int] = None, id_col: str = "unique_id", time_col: str = "ds",
                  target_col: str = "y", ax=None):
    """Draw one series' history, its forecast as a fan of nested intervals, and optionally what happened.

    Parameters
    ----------
    history : pandas.DataFrame
        Long frame of the observed series (``id_col``, ``time_col``, ``target_col``).
    forecast : pandas.DataFrame
        Output of a tsheads ``predict``: the point column ``model`` and its bands, as interval columns
        (``model-lo-80`` / ``model-hi-80``) or symmetric quantiles (``model-q-0.1`` / ``model-q-0.9``).
    actual : pandas.DataFrame, optional
        The observed future, drawn dashed for comparison.
    model : str, optional
        Point-forecast column; found automatically when the frame holds one model.
    levels : sequence of float, optional
        Interval levels to shade (percent); default every band in ``forecast``. Wider bands are lighter.
    unique_id : optional
        Which series to draw when the frames hold several.
    last : int, optional
        Draw only the last ``last`` points of the history, so a short forecast stays readable.
    id_col, time_col, target_col : str
        Column names.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 9 x 3 inch figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    history = _one_series(history, unique_id, id_col, "history")
    forecast = _one_series(forecast, unique_id, id_col, "forecast")
    actual = _one_series(actual, unique_id, id_col, "actual")
    _need(history, [time_col, target_col], "history")
    model = model or _model_name(forecast, id_col, time_col)
    _need(forecast, [time_col, model], "forecast")
    if last is not None:
        history = history.iloc[-int(last):]
    ax = _axes(ax)
    ax.plot(history[time_col], history[target_col], color="black", lw=1, label="history")
    bands = _bands(forecast, model, levels)
    for i, (level, lower, upper) in enumerate(bands):
        alpha = 0.15 + 0.35 * (i + 1) / len(bands)  # narrower bands darker, drawn on top
        ax.fill_between(forecast[time_col], forecast[lower], forecast[upper], color=_FORECAST, alpha=alpha,
                        lw=0, label=f"{level:g} % interval")
    ax.plot(forecast[time_col], forecast[model], color=_FORECAST, lw=1.5, label=model)
    if actual is not None:
        _need(actual, [time_col, target_col], "actual")
        ax.plot(actual[time_col], actual[target_col], color="black", lw=1, ls="--", label="actual")
    ax.legend(loc="upper left", fontsize=7, ncol=2 + len(bands) // 2)
    ax.margins(x=0.01)
    _time_axis(ax, history[time_col])
    return ax


def plot_hypotheses(history: pd.DataFrame, hypotheses: pd.DataFrame, actual: Optional[pd.DataFrame] = None, *,
                    model: Optional[str] = None, unique_id=None, last: Optional[int] = None,
                    id_col: str = "unique_id", time_col: str = "ds", target_col: str = "y", ax=None):
    """Draw one series' history, its WTA hypotheses with their weights and optionally what happened.

    Each path's opacity and width grow with its weight, and the weight is written at its end, so a reader
    sees both which futures the model considers and how likely it finds each.

    Parameters
    ----------
    history : pandas.DataFrame
        Long frame of the observed series.
    hypotheses : pandas.DataFrame
        :meth:`~tsheads.estimators.wta.WTAForecaster.predict_hypotheses` output (``hypothesis``, ``weight``
        and the model column).
    actual : pandas.DataFrame, optional
        The observed future, drawn dashed.
    model : str, optional
        Column of the hypothesis values; the last non-key column when omitted.
    unique_id : optional
        Which series to draw when the frames hold several.
    last : int, optional
        Draw only the last ``last`` points of the history.
    id_col, time_col, target_col : str
        Column names.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    history = _one_series(history, unique_id, id_col, "history")
    hypotheses = _one_series(hypotheses, unique_id, id_col, "hypotheses")
    actual = _one_series(actual, unique_id, id_col, "actual")
    _need(hypotheses, [time_col, "hypothesis", "weight"], "hypotheses")
    model = model or [c for c in hypotheses.columns if c not in (id_col, time_col, "hypothesis", "weight")][-1]
    if last is not None:
        history = history.iloc[-int(last):]
    ax = _axes(ax)
    ax.plot(history[time_col], history[target_col], color="black", lw=1, label="history")
    top = hypotheses["weight"].max()
    ends = []
    for k, path in hypotheses.groupby("hypothesis"):
        w = float(path["weight"].iloc[0])
        share = w / top if top > 0 else 1.0
        line, = ax.plot(path[time_col], path[model], lw=0.8 + 2 * share, alpha=0.25 + 0.75 * share)
        ends.append((float(path[model].iloc[-1]), w, line.get_color(), path[time_col].iloc[-1]))
    if actual is not None:
        ax.plot(actual[time_col], actual[target_col], color="black", lw=1, ls="--", label="actual")
    ax.margins(x=0.06)
    # weights at the paths' ends, pushed apart so labels of paths that end close together stay readable
    low, high = ax.get_ylim()
    gap = 0.045 * (high - low)
    placed = []
    for y, w, colour, x in sorted(ends, key=lambda e: e[0]):
        y_text = y if not placed else max(y, placed[-1] + gap)
        placed.append(y_text)
        ax.annotate(f"{w:.2f}", (x, y_text), fontsize=7, color=colour, xytext=(3, 0), textcoords="offset points",
                    va="center", annotation_clip=False)
    ax.legend(loc="upper left", fontsize=7)
    _time_axis(ax, history[time_col])
    return ax


def plot_anomalies(detected: pd.DataFrame, *, unique_id=None, score_col: str = "anomaly_score",
                   flag_col: str = "is_anomaly", label_col: Optional[str] = None, head_prefix: str = "score_",
                   threshold: Optional[float] = None, threshold_col: Optional[str] = None,
                   id_col: str = "unique_id", time_col: str = "ds",
                   target_col: str = "y", ax=None):
    """Draw a series with its flagged regions shaded and, underneath, the anomaly score of every head.

    Parameters
    ----------
    detected : pandas.DataFrame
        Output of :func:`tsheads.detect` or ``detector.detect(df)``: the series, ``score_<head>`` columns
        (one per head; absent for single-score detectors), the combined ``score_col`` and the 0/1 ``flag_col``.
    unique_id : optional
        Which series to draw when the frame holds several.
    score_col, flag_col : str
        Columns of the combined score and of the flags.
    label_col : str, optional
        A 0/1 column of known anomalies (e.g. NAB's ``is_anomaly`` when the flags were written elsewhere),
        drawn as a band along the bottom of the series panel.
    head_prefix : str
        Prefix of the per-head score columns.
    threshold : float, optional
        The detector's ``threshold_`` on the combined score, drawn as a horizontal line.
    threshold_col : str, optional
        Read the threshold from this column instead (``detect(..., threshold_col=...)`` writes it).
    id_col, time_col, target_col : str
        Column names.
    ax : pair of matplotlib.axes.Axes, optional
        ``(series_axes, scores_axes)``; a new two-panel figure sharing the time axis when omitted.

    Returns
    -------
    tuple of matplotlib.axes.Axes
        The series axes and the scores axes.
    """
    frame = _one_series(detected, unique_id, id_col, "detected")
    _need(frame, [time_col, target_col, score_col, flag_col, *([threshold_col] if threshold_col else [])],
          "detected")
    if threshold_col is not None:
        threshold = float(frame[threshold_col].iloc[0])
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(2, 1, figsize=(9, 4.5), sharex=True, layout="constrained",
                               gridspec_kw={"height_ratios": [3, 2]})
    try:
        top, bottom = ax
    except (TypeError, ValueError):
        raise TsheadsError(f"ax must be a pair of axes (series, scores), got {ax!r}") from None
    t = frame[time_col].to_numpy()
    flags = frame[flag_col].to_numpy()
    top.plot(t, frame[target_col], color="black", lw=0.8, label=target_col)
    # span the flagged runs to the next stamp, so a single flagged point is still visible
    for i, (a, last) in enumerate(zip(*flag_runs(flags))):
        end = t[last + 1] if last + 1 < len(t) else t[-1]
        for axis in (top, bottom):
            axis.axvspan(t[a], end, color=_FLAG, alpha=0.25, lw=0, label="flagged" if i == 0 and axis is top else None)
    if label_col is not None:  # a bar along the bottom edge of the panel, clear of the series
        _need(frame, [label_col], "detected")
        for i, (a, last) in enumerate(zip(*flag_runs(frame[label_col].to_numpy()))):
            end = t[last + 1] if last + 1 < len(t) else t[-1]
            top.plot([t[a], end], [0.015, 0.015], color="#000000", lw=4, solid_capstyle="butt",
                     transform=top.get_xaxis_transform(), label="labelled" if i == 0 else None)
    heads = [c for c in frame.columns
             if isinstance(c, str) and c.startswith(head_prefix) and c not in (score_col, threshold_col)]
    for colour, column in zip(_HEAD_COLOURS, heads):
        bottom.plot(t, frame[column], lw=0.8, color=colour, alpha=0.8, label=column[len(head_prefix):])
    bottom.plot(t, frame[score_col], lw=1.3, color=_FORECAST, label=score_col)
    if threshold is not None:
        bottom.axhline(threshold, color=_FLAG, ls="--", lw=1, label="threshold")
    top.legend(loc="upper left", fontsize=7)
    bottom.legend(loc="upper left", fontsize=7, ncol=min(6, len(heads) + 2))
    bottom.set_ylabel("score", fontsize=8)
    for axis in (top, bottom):
        axis.margins(x=0.01)
        _time_axis(axis, frame[time_col])
    return top, bottom
