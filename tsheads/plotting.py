"""Matplotlib views of forecasts (needs the ``plot`` extra: ``pip install tsheads[plot]``)."""

from __future__ import annotations

import pandas as pd


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(9, 3))[1]


def plot_hypotheses(history: pd.DataFrame, hypotheses: pd.DataFrame, actual: pd.DataFrame | None = None, *,
                    model: str | None = None, time_col: str = "ds", target_col: str = "y", ax=None):
    """One series' history, its WTA hypotheses and (optionally) what really happened.

    ``hypotheses`` is :meth:`~tsheads.estimators.wta.WTAForecaster.predict_hypotheses` output for that
    series. Each path's opacity and width grow with its weight, and the weight is written at its end,
    so a reader sees both which futures the model considers and how likely it finds each.
    Returns the axes.
    """
    ax = _axes(ax)
    model = model or [c for c in hypotheses.columns if c not in (time_col, "hypothesis", "weight")][-1]
    ax.plot(history[time_col], history[target_col], color="black", lw=1, label="history")
    top = hypotheses["weight"].max()
    for k, path in hypotheses.groupby("hypothesis"):
        w = float(path["weight"].iloc[0])
        share = w / top if top > 0 else 1.0
        line, = ax.plot(path[time_col], path[model], lw=0.8 + 2 * share, alpha=0.25 + 0.75 * share)
        ax.annotate(f"{w:.2f}", (path[time_col].iloc[-1], path[model].iloc[-1]), fontsize=7,
                    color=line.get_color(), xytext=(3, 0), textcoords="offset points", va="center")
    if actual is not None:
        ax.plot(actual[time_col], actual[target_col], color="black", lw=1, ls="--", label="actual")
    ax.legend(loc="upper left", fontsize=7)
    ax.margins(x=0.06)
    return ax

