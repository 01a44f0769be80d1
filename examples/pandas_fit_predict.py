"""Fit / predict on a pandas long frame, then score the forecasts with ``evaluate``.

tsheads works on *long* frames: one row per (series, time stamp) with columns ``unique_id, ds, y``.
Every forecaster follows the same recipe: ``fit(train_df)``, ``predict(h, level=...)``, merge the
forecast with what really happened, ``evaluate``. Here we forecast the last week of Taylor's
half-hourly electricity demand (bundled, no download) with two seasonal-naive baselines and the
pretrained zero-shot model.

    python examples/pandas_fit_predict.py [--quick]
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from tsheads import SeasonalNaive, ZeroShotForecaster, evaluate, load_dataset

LEVELS = [80, 95]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="forecast one day instead of one week")
    parser.add_argument("--out-dir", default=".", help="unused here (no plot); accepted like every example")
    args = parser.parse_args(argv)

    ds = load_dataset("taylor")  # one series, 30-minute steps; the official test part is the last week
    train, test = ds.train_df, ds.test_df
    h = 48 if args.quick else ds.horizon  # 48 half-hours = one day, 336 = one week
    test = test.groupby("unique_id").head(h)
    print(train.head(3).to_string(index=False), f"\n... {len(train)} training rows, forecasting h={h}\n")

    # The same fit/predict call for every model. Aliases keep the two seasonal-naive columns apart;
    # ZeroShotForecaster needs no training, fit() only remembers the history to forecast from.
    models = [SeasonalNaive(season_length=48, alias="SNaive-day"),
              SeasonalNaive(season_length=336, alias="SNaive-week"),
              ZeroShotForecaster()]
    forecasts = [m.fit(train).predict(h, level=LEVELS) for m in models]

    # Forecast frames share the keys unique_id, ds: merge them side by side, then add the actuals.
    merged = forecasts[0]
    for fc in forecasts[1:]:
        merged = merged.merge(fc, on=["unique_id", "ds"])
    merged = merged.merge(test, on=["unique_id", "ds"])

    # mase needs the training history (for its seasonal scale); coverage needs the interval levels.
    table = evaluate(merged, ["mae", "smape", "mase", "coverage"], train_df=train,
                     seasonality=ds.seasonality, level=LEVELS, aggregate=True)
    with pd.option_context("display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
