"""The main job (``make demo``): load a dataset, forecast its test period, print the metrics table, and
score anomalies where the dataset has labels.

Runs on the bundled sample with no data directory; ``--dataset m4_hourly`` (or any name of
``tsheads.datasets.list_datasets()``) uses the public sets under ``--data-dir`` / ``$TSHEADS_DATA``.
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from .backtest import cross_validation
from .datasets import list_datasets, load_dataset
from .errors import TsheadsError
from .estimators.anomaly_baselines import SubPCADetector
from .estimators.baselines import Naive, Naive2, SeasonalNaive
from .estimators.zero_shot import ZeroShotForecaster
from .metrics.anomaly import auc_pr, vus_pr
from .metrics.evaluate import evaluate
from .metrics.point import owa

LEVELS = [80, 95]
#: detectors learn normal behaviour from this share of each labelled series (NAB's probationary period)
FIT_FRACTION = 0.15
POINT_METRICS = ["mae", "rmse", "smape", "mase"]


def holdout(ds, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The dataset's official test part when it is ``horizon`` points per series, else the last ``horizon``."""
    if ds.test_df is not None and (ds.test_df.groupby("unique_id").size() == horizon).all():
        return ds.train_df, ds.test_df
    df = ds.df[["unique_id", "ds", "y"]]
    from_end = df.groupby("unique_id", sort=False).cumcount(ascending=False)
    return df[from_end >= horizon], df[from_end < horizon]


def run(dataset: str = "sample", data_dir=None, horizon: int | None = None, n_windows: int = 3) -> dict:
    """Forecast ``dataset`` zero-shot and with the baselines; return the holdout and backtest metric tables."""
    ds = load_dataset(dataset, data_dir=data_dir)
    h = horizon or ds.horizon
    if not h:
        hint = ("it has one horizon per group: name one, e.g. m3_monthly" if ds.meta.get("horizons")
                else "pass --horizon (is it an anomaly set?)")
        raise TsheadsError(f"dataset {ds.name!r} has no single forecast horizon; {hint}")
    m = ds.seasonality or 1
    train, test = holdout(ds, h)
    train = train[["unique_id", "ds", "y"]]
    models = [ZeroShotForecaster(), Naive(), SeasonalNaive(season_length=m), Naive2(season_length=m)]
    started = time.perf_counter()
    forecasts = test[["unique_id", "ds", "y"]].reset_index(drop=True)
    for model in models:
        level = LEVELS if not isinstance(model, Naive2) else None
        fc = model.fit(train).predict(h, level=level)
        forecasts = forecasts.merge(fc, on=["unique_id", "ds"], how="left")
    point = evaluate(forecasts, POINT_METRICS, train_df=train, seasonality=m, aggregate=True).set_index("metric")
    point.loc["owa"] = [owa(point.at["smape", c], point.at["mase", c], point.at["smape", "Naive2"],
                            point.at["mase", "Naive2"]) for c in point.columns]
    coverage = evaluate(forecasts, ["coverage"], models=["TSHeads", "Naive", "SeasonalNaive"], level=LEVELS,
                        aggregate=True).set_index("metric")
    holdout_table = pd.concat([point, coverage]).reset_index()
    # as many backtest windows (up to n_windows) as the shortest training series can hold
    n_windows = min(n_windows, (int(train.groupby("unique_id").size().min()) - max(m, 1) - 1) // h)
    cv_table = None
    if n_windows >= 1:
        cv = cross_validation(SeasonalNaive(season_length=m), train, h=h, n_windows=n_windows,
                              min_train_length=max(m, 1))
        cv_table = evaluate(cv, ["mae", "smape"], aggregate=True)
    anomalies = anomaly_table(ds)
    return {"dataset": ds, "horizon": h, "holdout": holdout_table, "backtest": cv_table,
            "n_windows": n_windows, "anomalies": anomalies, "seconds": time.perf_counter() - started}


def anomaly_table(ds) -> pd.DataFrame | None:
    """VUS-PR and AUC-PR of the zero-shot detector and Sub-PCA on every series with labelled anomalies."""
    from .estimators.anomaly import TriangulationDetector

    if "is_anomaly" not in ds.df.columns:
        return None
    rows = []
    for uid, g in ds.df.groupby("unique_id", sort=False):
        labels = g["is_anomaly"].to_numpy()
        if not labels.any():
            continue
        x = g["y"].to_numpy()
        n_fit = int(len(x) * FIT_FRACTION)
        for name, det in (("TSHeads (TriangulationDetector)", TriangulationDetector()), ("Sub-PCA", SubPCADetector())):
            scores = det.fit(x[:n_fit]).decision_function(x)
            rows.append({"series": uid, "detector": name, "VUS-PR": vus_pr(labels, scores),
                         "AUC-PR": auc_pr(labels, scores), "flagged": int(det.predict(x).sum()),
                         "labelled": int(labels.sum())})
    return pd.DataFrame(rows) if rows else None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tsheads.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="sample", help=f"one of {', '.join(list_datasets())}")
    parser.add_argument("--data-dir", default=None, help="folder with the public sets (default $TSHEADS_DATA)")
    parser.add_argument("--horizon", type=_positive_int, default=None,
                        help="forecast horizon (default: the dataset's)")
    args = parser.parse_args(argv)
    try:
        result = run(args.dataset, args.data_dir, args.horizon)
    except TsheadsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ds = result["dataset"]
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 120):
        print(f"{ds!r}\n")
        print(f"Holdout: the last {result['horizon']} points of each series "
              f""
              f"(MASE seasonality {ds.seasonality or 1}; OWA vs Naive2 as in M4; coverage of the "
              f"{'/'.join(map(str, LEVELS))}% intervals)")
        print(result["holdout"].to_string(index=False, na_rep="-"))
        if result["backtest"] is None:
            print("\nBacktest skipped: the shortest training series cannot hold one more window")
        else:
            print(f"\nBacktest: SeasonalNaive, {result['n_windows']} rolling window(s) of h={result['horizon']} "
                  "inside the training part")
            print(result["backtest"].to_string(index=False))
        if result["anomalies"] is not None:
            print(f"\nAnomaly detection: fit on the first {FIT_FRACTION:.0%} of each labelled series, scored on all "
                  "of it (flagged: points above the detector's threshold_)")
            print(result["anomalies"].to_string(index=False))
    print(f"\n{ds.n_series} series forecast (and labelled ones scored) in {result['seconds']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
