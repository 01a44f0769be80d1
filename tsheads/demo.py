"""The main job (``tsheads demo``, ``make demo``): forecast a real series zero-shot, score its anomalies, draw both.

With no arguments it runs on Taylor's half-hourly electricity demand (England and Wales, summer 2000), which
installs with tsheads, so it needs no data directory and no network: the last week is forecast with the
pretrained model (zero-shot, then with its forecast head fine-tuned on the history) and with seasonal-naive
baselines, the whole series is scored by the anomaly detector, and a short table and a PNG come out.
``--dataset`` runs the same job on any set of :func:`tsheads.datasets.list_datasets` (public sets read
``--data-dir`` / ``$TSHEADS_DATA``); sets with anomaly labels also get VUS-PR against Sub-PCA.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pandas as pd

from .datasets import Dataset, load_dataset
from .errors import TsheadsError

LEVELS = [80, 95]
#: anomaly detectors learn normal behaviour from this share of each series (NAB's probationary period)
FIT_FRACTION = 0.15
#: forecast-head fine-tuning steps of the "tuned" row: a few seconds on a laptop CPU
TUNE_STEPS = 100
DEFAULT_PLOT = "tsheads_demo.png"
#: expected share of anomalies: the detector flags scores above this upper quantile of the fit part's
CONTAMINATION = 0.02
#: the dataset's anomaly labels, renamed so the detector's 0/1 flags can take ``is_anomaly``
LABEL = "labelled"
THRESHOLD = "threshold"


@dataclass
class DemoResult:
    """What the main job computed: the tables it prints and the frames it drew."""

    dataset: Dataset
    horizon: int
    forecast_table: pd.DataFrame
    forecasts: pd.DataFrame
    train: pd.DataFrame
    test: pd.DataFrame
    series: str
    detected: pd.DataFrame
    flagged_regions: pd.DataFrame
    threshold: float
    label_table: Optional[pd.DataFrame] = None
    seconds: dict = field(default_factory=dict)


def holdout(ds: Dataset, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The dataset's official test part when it is ``horizon`` points per series, else the last ``horizon``."""
    if ds.test_df is not None and (ds.test_df.groupby("unique_id").size() == horizon).all():
        return ds.train_df[["unique_id", "ds", "y"]], ds.test_df[["unique_id", "ds", "y"]]
    df = ds.df[["unique_id", "ds", "y"]]
    from_end = df.groupby("unique_id", sort=False).cumcount(ascending=False)
    return df[from_end >= horizon], df[from_end < horizon]


def _forecasters(ds: Dataset, random_state: int) -> list:
    from .estimators.baselines import Naive, Naive2, SeasonalNaive
    from .estimators.validated import ValidatedForecaster
    from .estimators.zero_shot import ZeroShotForecaster

    m = ds.seasonality or 1
    models = [ZeroShotForecaster(),
              ZeroShotForecaster(fine_tune="head", fine_tune_steps=TUNE_STEPS, random_state=random_state,
                                 alias="TSHeads-tuned"),
              ValidatedForecaster(alias="TSHeads-validated"),  # what tsheads.forecast(df, h) returns
              SeasonalNaive(season_length=m)]
    longer = [s for s in ds.meta.get("seasonalities", []) if s > m]
    if longer:  # e.g. the weekly cycle of half-hourly demand: the baseline to beat
        models.append(SeasonalNaive(season_length=longer[-1], alias=f"SeasonalNaive{longer[-1]}"))
    models += [Naive(), Naive2(season_length=m)]
    return models


def forecast_table(ds: Dataset, horizon: int, random_state: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Forecast the holdout with tsheads and the baselines; one row of metrics per model.

    Returns the table (MAE, sMAPE, MASE, OWA vs Naive2 and interval coverage), the merged forecasts and the
    seconds each model took.
    """
    from .metrics.evaluate import evaluate
    from .metrics.point import owa

    train, test = holdout(ds, horizon)
    m = ds.seasonality or 1
    forecasts = test.reset_index(drop=True)
    seconds = {}
    names = []
    for model in _forecasters(ds, random_state):
        started = time.perf_counter()
        level = None if type(model).__name__ == "Naive2" else LEVELS
        fc = model.fit(train).predict(horizon, level=level)
        name = [c for c in fc.columns if c not in ("unique_id", "ds") and "-lo-" not in c and "-hi-" not in c][0]
        seconds[name] = time.perf_counter() - started
        names.append(name)
        forecasts = forecasts.merge(fc, on=["unique_id", "ds"], how="left")
    point = evaluate(forecasts, ["mae", "smape", "mase"], models=names, train_df=train, seasonality=m,
                     aggregate=True).set_index("metric").T
    point["owa"] = [owa(s, q, point.at["Naive2", "smape"], point.at["Naive2", "mase"])
                    for s, q in zip(point["smape"], point["mase"])]
    banded = [n for n in names if n != "Naive2"]
    cov = evaluate(forecasts, ["coverage"], models=banded, level=LEVELS, aggregate=True).set_index("metric").T
    table = point.join(cov).rename(columns=lambda c: c.replace("coverage_level", "cov "))
    table["seconds"] = pd.Series(seconds)
    return table.rename_axis("model").reset_index(), forecasts, seconds


def flagged_regions(detected: pd.DataFrame, flag_col: str = "is_anomaly", score_col: str = "anomaly_score",
                    top: int = 5) -> pd.DataFrame:
    """The ``top`` flagged runs of one series by peak score: start, end, length and peak score."""
    from .metrics.anomaly import flag_runs

    rows = []
    for a, last in zip(*flag_runs(detected[flag_col].to_numpy())):
        part = detected.iloc[a:last + 1]
        rows.append({"start": part["ds"].iloc[0], "end": part["ds"].iloc[-1], "points": last + 1 - a,
                     "peak score": float(part[score_col].max())})
    table = pd.DataFrame(rows, columns=["start", "end", "points", "peak score"])
    return table.sort_values("peak score", ascending=False).head(top).reset_index(drop=True)


def _detectors(random_state: int) -> dict:
    """The zero-shot detector and its strongest classical peer, flagging the same expected share."""
    from .estimators.anomaly import TriangulationDetector
    from .estimators.anomaly_baselines import SubPCADetector

    return {"TSHeads": TriangulationDetector(contamination=CONTAMINATION, random_state=random_state),
            "Sub-PCA": SubPCADetector(contamination=CONTAMINATION)}


def label_table(ds: Dataset, random_state: int = 0) -> Optional[pd.DataFrame]:
    """VUS-PR and AUC-PR of the zero-shot detector and Sub-PCA on every series with labelled anomalies."""
    from .metrics.anomaly import auc_pr, vus_pr

    if "is_anomaly" not in ds.df.columns:
        return None
    labelled = ds.df.groupby("unique_id", sort=False)["is_anomaly"].transform("any")
    frame = ds.df.loc[labelled, ["unique_id", "ds", "y", "is_anomaly"]].rename(columns={"is_anomaly": LABEL})
    if frame.empty:
        return None
    rows = []
    for name, detector in _detectors(random_state).items():
        scored = detector.detect(frame, fit_fraction=FIT_FRACTION)
        for uid, g in scored.groupby("unique_id", sort=False):
            rows.append({"series": uid, "detector": name, "VUS-PR": vus_pr(g[LABEL], g["anomaly_score"]),
                         "AUC-PR": auc_pr(g[LABEL], g["anomaly_score"]), "flagged": int(g["is_anomaly"].sum()),
                         "labelled": int(g[LABEL].sum())})
    return pd.DataFrame(rows).sort_values(["series", "detector"], key=lambda c: c.map(str)).reset_index(drop=True)


def run(dataset: str = "taylor", data_dir=None, horizon: Optional[int] = None, series: Optional[str] = None,
        random_state: int = 0) -> DemoResult:
    """Run the main job on ``dataset`` and return its tables and frames (nothing is printed or written)."""
    ds = load_dataset(dataset, data_dir=data_dir)
    h = horizon or ds.horizon
    if not h:
        hint = ("it has one horizon per group: name one, e.g. m3_monthly" if ds.meta.get("horizons")
                else "pass --horizon (is it an anomaly set?)")
        raise TsheadsError(f"dataset {ds.name!r} has no single forecast horizon; {hint}")
    table, forecasts, seconds = forecast_table(ds, h, random_state)
    train, test = holdout(ds, h)
    ids = list(pd.unique(ds.df["unique_id"]))
    labelled = ([u for u, g in ds.df.groupby("unique_id", sort=False)["is_anomaly"] if g.any()]
                if "is_anomaly" in ds.df.columns else [])
    uid = series if series is not None else (labelled or ids)[0]  # a labelled series shows more
    if uid not in ids:
        raise TsheadsError(f"dataset {ds.name!r} has no series {series!r}; the first ones are {ids[:5]}")
    keep = ["unique_id", "ds", "y", *(["is_anomaly"] if labelled else [])]
    one = ds.df[ds.df["unique_id"] == uid][keep].rename(columns={"is_anomaly": LABEL}).reset_index(drop=True)
    started = time.perf_counter()
    detected = _detectors(random_state)["TSHeads"].detect(one, fit_fraction=FIT_FRACTION, threshold_col=THRESHOLD)
    seconds["detect"] = time.perf_counter() - started
    return DemoResult(dataset=ds, horizon=h, forecast_table=table, forecasts=forecasts, train=train, test=test,
                      series=uid, detected=detected, flagged_regions=flagged_regions(detected),
                      threshold=float(detected[THRESHOLD].iloc[0]), label_table=label_table(ds, random_state),
                      seconds=seconds)


def draw(result: DemoResult, path) -> Path:
    """Save the forecast fan (last three horizons of history) above the anomaly panels as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_anomalies, plot_forecast

    fig, axes = plt.subplots(3, 1, figsize=(11, 8), layout="constrained", gridspec_kw={"height_ratios": [3, 2.5, 1.6]})
    uid, h = result.series, result.horizon
    history = result.train[result.train["unique_id"] == uid]
    forecast = result.forecasts[result.forecasts["unique_id"] == uid][["unique_id", "ds", "TSHeads-tuned",
                                                                       *[f"TSHeads-tuned-{s}-{v}" for v in LEVELS
                                                                         for s in ("lo", "hi")]]]
    plot_forecast(history, forecast, result.test[result.test["unique_id"] == uid], last=3 * h, ax=axes[0])
    axes[0].plot(forecast["ds"], result.forecasts.loc[forecast.index, "TSHeads"], color="#999999", lw=1,
                 label="TSHeads (zero-shot)")
    axes[0].legend(loc="upper left", fontsize=7, ncol=3)
    name = uid if result.dataset.n_series == 1 else f"{result.dataset.name} / {uid}"
    axes[0].set_title(f"{name}: forecast of the last {h} points (fine-tuned head, "
                      f"{'/'.join(map(str, LEVELS))} % intervals; grey: zero-shot)", fontsize=9)
    axes[2].sharex(axes[1])
    plot_anomalies(result.detected, threshold_col=THRESHOLD, ax=axes[1:],
                   label_col=LABEL if LABEL in result.detected.columns else None)
    axes[1].tick_params(labelbottom=False)
    axes[1].set_title(f"anomaly scores (fit on the first {FIT_FRACTION:.0%}; shaded: flagged)", fontsize=9)
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def report(result: DemoResult) -> str:
    """The printed summary: the forecast table, the flagged regions and, for labelled sets, VUS-PR."""
    ds, h = result.dataset, result.horizon
    lines = [f"{ds!r}", "",
             f"Forecast of the last {h} points of each series ({ds.n_series} series; MASE seasonality "
             f"{ds.seasonality or 1}; OWA vs Naive2 as in M4; coverage of the "
             f"{'/'.join(map(str, LEVELS))} % intervals):"]
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 140):
        lines.append(result.forecast_table.to_string(index=False, na_rep="-"))
        lines += ["", f"Anomalies in {result.series!r} (fit on the first {FIT_FRACTION:.0%}, threshold "
                      f"{result.threshold:.3f}): {int(result.detected['is_anomaly'].sum())} of "
                      f"{len(result.detected)} points flagged; the strongest regions:"]
        regions = result.flagged_regions
        lines.append(regions.to_string(index=False) if len(regions) else "(none)")
        if result.label_table is not None:
            lines += ["", "Labelled anomalies (every labelled series; fit on its first "
                          f"{FIT_FRACTION:.0%}):", result.label_table.to_string(index=False)]
    return "\n".join(lines)


def execute(args: argparse.Namespace) -> int:
    """Run the main job for parsed arguments; print the report and write the plot."""
    result = run(args.dataset, args.data_dir, args.horizon, args.series)
    print(report(result))
    if not args.no_plot:
        try:
            path = draw(result, args.plot)
        except ImportError:
            print("\nno plot: matplotlib is not installed (pip install 'tsheads[plot]')")
        else:
            print(f"\nplot written to {path}")
    total = sum(result.seconds.values())
    print(f"{result.dataset.n_series} series forecast and {result.series!r} scored in {total:.1f} s")
    return 0


def main(argv=None) -> int:
    """``python -m tsheads.demo``: the same as ``tsheads demo``."""
    from .cli import main as cli_main

    return cli_main(["demo", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
