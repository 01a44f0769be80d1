"""Backtesting: refit and forecast at several cutoffs, then score per cutoff and over all windows.

One train/test split gives one number, which may be luck. ``cross_validation`` moves the forecast origin
back through the history: window ``w`` trains on everything before its cutoff and forecasts the next ``h``
points, ``step_size`` points after the previous window. We backtest on Taylor's training part only, so the
official test week stays unseen, comparing the zero-shot model with seasonal naive (daily and weekly).

    python examples/backtesting.py [--windows 7] [--quick]
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from tsheads import SeasonalNaive, ZeroShotForecaster, cross_validation, evaluate, load_dataset

LEVELS = [80, 95]
METRICS = ["mae", "smape", "mase", "coverage"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=7, help="number of cutoffs (default: 7 days)")
    parser.add_argument("--quick", action="store_true", help="two windows only")
    parser.add_argument("--out-dir", default=".", help="unused here (no plot); accepted like every example")
    args = parser.parse_args(argv)
    n_windows = 2 if args.quick else args.windows

    ds = load_dataset("taylor")
    history = ds.train_df
    h = 48  # forecast one day (48 half-hours) from each cutoff; step one day, so the windows tile the last week

    models = [SeasonalNaive(48, alias="SNaive-day"), SeasonalNaive(336, alias="SNaive-week"), ZeroShotForecaster()]
    # Each model gets its own backtest (a fresh clone is fitted per window); the frames share their keys.
    runs = [cross_validation(m, history, h=h, n_windows=n_windows, step_size=h, level=LEVELS) for m in models]
    keys = ["unique_id", "ds", "cutoff", "y"]
    cv = runs[0]
    for run in runs[1:]:
        cv = cv.merge(run, on=keys)
    print(f"{cv.cutoff.nunique()} cutoffs x {h} steps = {len(cv)} rows;",
          f"the zero-shot run's columns: {list(runs[-1].columns)}\n")

    # Per cutoff: evaluate one window at a time (here MAE only, one row per cutoff and one column per model).
    per_cutoff = pd.concat({cutoff: evaluate(window, ["mae"], aggregate=True).set_index("metric").loc["mae"]
                            for cutoff, window in cv.groupby("cutoff")}, axis=1).T
    per_cutoff.index.name = "cutoff (MAE, MW)"
    print(per_cutoff.round(0).to_string(), "\n")

    # Over all windows: with a `cutoff` column, evaluate pools each series' windows into one forecast.
    # The MASE scale comes from the training history (seasonal differences at lag 48).
    overall = evaluate(cv, METRICS, train_df=history, seasonality=ds.seasonality, level=LEVELS, aggregate=True)
    with pd.option_context("display.float_format", "{:.3f}".format):
        print(overall.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
