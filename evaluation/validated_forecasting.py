"""Self-validated forecasts (``tsheads.forecast``'s default) against each candidate alone and the classical peers.

Groups: every M1 / M3 / M4-hourly group on its official holdout, ETTh1 (the seven channels z-scored with the
train-part statistics, ten rolling origins spread over the test part, h = 96, history capped at the last
``--etth1-history`` points) and Taylor (the last 14 days as origins, h = 336, the full history before each).
Methods, all in this one run on the same windows:

- ``validated``: :class:`~tsheads.estimators.validated.ValidatedForecaster` with its defaults, fitted on each M
  group as one frame and on ETTh1 / Taylor one origin at a time (the channels at that origin), so its frame prior
  reads nothing after the origin.
- ``network``: the pretrained network alone with its own quantile bands (``tsheads.forecast(method="network")``).
- each candidate alone (``naive``, ``drift``, ``snaive`` and ``smedian`` (the seasonal median) at the group's m,
  ``theta``, ``ets``): the candidate's own
  forecast from the validated run, where it ran (the network elsewhere).
- ``AutoETS`` / ``AutoTheta``: statsforecast with the group's season length (at most 48: the day on Taylor) and its
  own intervals (statsmodels ETS / Theta from :mod:`evaluation.peers` when statsforecast is missing).
- ``Comb``: the equal-weight mean of AutoETS, AutoTheta and seasonal naive (the M competitions' fixed combination).

Scores per group: relative MASE (geometric mean of MAE / seasonal-naive MAE), sMAPE, a scaled CRPS (from the 2.5,
10, 50, 90 and 97.5 % quantiles of the 80 / 95 % intervals: sum of CRPS / sum of |y|), coverage of the 80 and 95 %
intervals with their mean width over the in-sample seasonal-naive MAE, and series per second (fit + predict).
Nothing here is tuned: every setting is the estimator's default (chosen in ``evaluation.combination_choice``).

    python -m evaluation.validated_forecasting [--data-dir DIR] [--quick] [--max-series N] [--groups ...]
"""

from __future__ import annotations

import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from tsheads.datasets import ETTH1_SPLITS, load_dataset
from tsheads.errors import DatasetNotFoundError, TsheadsError
from tsheads.estimators.validated import PERIOD_FAMILIES, ValidatedForecaster, forecast
from tsheads.metrics import crps_from_quantiles, seasonal_scale

from .common import (
    base_parser,
    estimator_weights,
    etth1_normalised,
    model_from_args,
    model_info,
    n_jobs,
    parameters,
    suite_main,
)
from .mcomp_zero_shot import GROUPS as M_GROUPS
from .mcomp_zero_shot import Group, aggregate, load_group, series_scores
from .peers import ets_forecast, map_series, theta_forecast
from .report import Report, Timings, suite_command

SUITE = "validated_forecasting"
GROUPS = M_GROUPS + ("etth1", "taylor")
LEVELS = (80, 95)
QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)  # the bounds of LEVELS and the point: every method is scored alike
#: AutoETS at Taylor's weekly 336 took 351 s for two series; longer seasons fall back to the day (48 half-hours)
PEER_MAX_SEASON = 48
CANDIDATES = ("network", "naive", "drift", "snaive", "smedian", "theta", "ets", "linear")
#: candidates with one column per period (``snaive_<m>``, ``smedian_<m>``), reported at the group's m
PERIODIC = tuple(prefix.rstrip("_") for prefix in PERIOD_FAMILIES)
#: groups of pseudo-series, one per (channel, origin)
ROLLING = ("etth1", "taylor")


# ------------------------------------------------------------------------------------------------ windows
def rolling_group(name: str, values: np.ndarray, stamps: pd.DatetimeIndex, ids: list, cuts: list, h: int, m: int,
                  history: int | None) -> Group:
    """One pseudo-series per (channel, origin): the history before the origin (capped) and the next ``h`` points."""
    train, test, frames, names = [], [], [], []
    for c, channel in enumerate(ids):
        for cut in cuts:
            start = 0 if history is None else max(0, cut - history)
            y = values[start:cut, c]
            uid = f"{channel}@{cut}"
            names.append(uid)
            train.append(y)
            test.append(values[cut:cut + h, c])
            frames.append(pd.DataFrame({"unique_id": uid, "ds": stamps[start:cut], "y": y}))
    return Group(name, names, train, np.stack(test), pd.concat(frames, ignore_index=True), m)


def etth1_group(data_dir, history: int, n_origins: int = 10, h: int = 96) -> Group:
    """ETTh1's test part: ``n_origins`` origins spread evenly so that each window ends inside it."""
    values, channels, _ = etth1_normalised(data_dir)
    stamps = pd.DatetimeIndex(load_dataset("etth1", data_dir=data_dir).to_wide().index)
    lo, hi = ETTH1_SPLITS["test"]
    cuts = np.linspace(lo, hi - h, n_origins).round().astype(int).tolist()
    return rolling_group("etth1", values, stamps, channels, cuts, h, 24, history)


def taylor_group(data_dir, days: int = 14) -> Group:
    """Taylor: origins at each of the last ``days`` midnights that leave a full week to forecast; m = one week."""
    ds = load_dataset("taylor", data_dir=data_dir)
    values = ds.df["y"].to_numpy(np.float64)[:, None]
    h = 336
    cuts = [len(values) - h - 48 * d for d in range(days - 1, -1, -1)]
    return rolling_group("taylor", values, pd.DatetimeIndex(ds.df["ds"]), ["taylor"], cuts, h, h, None)


def group_of(name: str, args, max_series: int | None) -> Group:
    """The named group (M groups: first ``max_series`` series)."""
    if name == "etth1":
        return etth1_group(args.data_dir, args.etth1_history, n_origins=2 if args.quick else 10)
    if name == "taylor":
        return taylor_group(args.data_dir, days=2 if args.quick else 14)
    return load_group(name, args.data_dir, max_series)


# ------------------------------------------------------------------------------------------------ methods
def in_order(fc: pd.DataFrame, group: Group, column: str) -> np.ndarray:
    """``(n, h)`` values of one forecast column, rows in ``group.ids`` order."""
    by_id = dict(tuple(fc.groupby("unique_id", sort=False)[column]))
    return np.stack([by_id[i].to_numpy(np.float64) for i in group.ids])


def bands_of(fc: pd.DataFrame, group: Group, model: str) -> np.ndarray:
    """``(n, h, 5)`` quantiles at :data:`QUANTILES` from a frame's 95 / 80 % bounds and its point column."""
    cols = [f"{model}-lo-95", f"{model}-lo-80", model, f"{model}-hi-80", f"{model}-hi-95"]
    return np.stack([in_order(fc, group, c) for c in cols], axis=-1)


def season_arg(group: Group):
    """Integer-time M groups take their official m; dated groups let the estimator read day and week."""
    return None if group.name in ROLLING else group.m


def freq_of(group: Group):
    return 1 if group.name not in ROLLING else pd.infer_freq(group.train_df["ds"].iloc[:5])


def forecast_frames(group: Group) -> list[pd.DataFrame]:
    """The frames forecast together, as a user would: an M group at once; a rolling group (ETTh1, Taylor) one
    origin at a time (its channels at that origin), so the frame prior never reads a later origin's data."""
    if group.name not in ROLLING:
        return [group.train_df]
    origin = group.train_df["unique_id"].str.rsplit("@", n=1).str[1]
    return [frame for _, frame in group.train_df.groupby(origin, sort=False)]


def candidate_columns(names: list, family: str, m: int) -> list[int]:
    """Columns of ``names`` (a validated forecaster's candidates) that are ``family`` alone: its own column, or for a
    family with one column per period (:data:`PERIODIC`) the one at the group's ``m``."""
    return [c for c, n in enumerate(names) if n == family or (family in PERIODIC and n == f"{family}_{m}")]


def validated_and_candidates(group: Group, weights, batch_size: int, timings: Timings) -> tuple[dict, dict, float]:
    """The validated forecast (with bands), each candidate alone, and validated series/s."""
    forecasts, finals, names = [], {}, None
    start = time.perf_counter()
    with timings.time(f"validated {group.name}"):
        for frame in forecast_frames(group):
            est = ValidatedForecaster(season_length=season_arg(group), weights=weights, batch_size=batch_size)
            forecasts.append(est.fit(frame).predict(group.h, level=list(LEVELS)))
            if names not in (None, list(est.backtest_errors_.columns)):
                raise RuntimeError(f"{group.name}: the origins have different candidates")
            names = list(est.backtest_errors_.columns)
            finals.update(zip(est.chosen_.index, est.candidate_forecasts_))
    speed = len(group.ids) / (time.perf_counter() - start)
    fc = pd.concat(forecasts, ignore_index=True)
    point = {"validated": in_order(fc, group, est.model_name)}
    bands = {"validated": bands_of(fc, group, est.model_name)}
    final = np.stack([finals[i] for i in group.ids])
    for family in CANDIDATES:
        cols = candidate_columns(names, family, group.m)
        if cols:
            ran = np.isfinite(final[:, cols[0]]).all(axis=1)
            point[f"{family} alone"] = np.where(ran[:, None], np.nan_to_num(final[:, cols[0]]),
                                                final[:, names.index("network")])
    return point, bands, speed


def network_alone(group: Group, weights, batch_size: int, timings: Timings) -> tuple[np.ndarray, np.ndarray, float]:
    """The bare network's median and its own 80 / 95 % bands."""
    start = time.perf_counter()
    with timings.time(f"network {group.name}"):
        fc = forecast(group.train_df, group.h, method="network", level=list(LEVELS), weights=weights,
                      batch_size=batch_size)
    speed = len(group.ids) / (time.perf_counter() - start)
    return in_order(fc, group, "TSHeads"), bands_of(fc, group, "TSHeads"), speed


def statsforecast_peers(group: Group, jobs: int, timings: Timings) -> tuple[dict, dict, float]:
    """AutoETS and AutoTheta with the group's season length and their own intervals (statsmodels if missing)."""
    start = time.perf_counter()
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, AutoTheta
    except ImportError:
        with timings.time(f"peers {group.name}"):
            ets = map_series(ets_forecast, group.train, group.h, group.m, jobs, f"ETS {group.name}")
            theta = map_series(theta_forecast, group.train, group.h, group.m, jobs, f"Theta {group.name}")
        point = {"ETS (statsmodels)": np.stack([f.mean for f in ets]),
                 "Theta (statsmodels)": np.stack([f.mean for f in theta])}
        return point, {}, 2 * len(group.ids) / (time.perf_counter() - start)
    m = group.m if group.m <= PEER_MAX_SEASON else PEER_MAX_SEASON
    sf = StatsForecast(models=[AutoETS(season_length=m), AutoTheta(season_length=m)],
                       freq=freq_of(group), n_jobs=jobs)
    with timings.time(f"peers {group.name}"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = sf.forecast(df=group.train_df, h=group.h, level=list(LEVELS))
    seconds = time.perf_counter() - start
    point = {name: in_order(fc, group, name) for name in ("AutoETS", "AutoTheta")}
    bands = {name: bands_of(fc, group, name) for name in ("AutoETS", "AutoTheta")}
    return point, bands, 2 * len(group.ids) / seconds


def seasonal_naive(group: Group) -> np.ndarray:
    """Seasonal naive at the group's m (naive where a series is shorter than m): the relative-MASE base."""
    out = []
    for y in group.train:
        m = group.m if len(y) >= group.m else 1
        out.append(y[len(y) - m + np.arange(group.h) % m])
    return np.stack(out)


# ------------------------------------------------------------------------------------------------ scoring
def interval_scores(group: Group, bands: np.ndarray) -> dict:
    """Scaled CRPS, coverage and scaled mean width of the 80 and 95 % intervals."""
    y = group.test
    scales = np.array([seasonal_mae(t, group.m) for t in group.train])[:, None]
    crps = crps_from_quantiles(y, bands, np.array(QUANTILES), axis=())
    out = {"CRPS": float(np.sum(crps) / np.sum(np.abs(y)))}
    for level, lo, hi in ((80, 1, 3), (95, 0, 4)):
        out[f"cover {level}"] = float(np.mean((y >= bands[..., lo]) & (y <= bands[..., hi])))
        out[f"width {level}"] = float(np.mean((bands[..., hi] - bands[..., lo]) / scales))
    return out


def seasonal_mae(y: np.ndarray, m: int) -> float:
    """In-sample seasonal-naive MAE (lag 1 when too short; mean |y|, then 1, where it is zero)."""
    try:
        return float(seasonal_scale(y, m if len(y) > m else 1))
    except TsheadsError:
        return float(np.mean(np.abs(y))) or 1.0


def run_group(name: str, args, weights, jobs: int, timings: Timings) -> tuple[Group, dict, dict, dict]:
    """Every method's point forecast and bands for one group, and the speed of the three that are timed."""
    max_series = args.max_series if args.max_series is not None else (20 if args.quick else None)
    with timings.time(f"load {name}"):
        group = group_of(name, args, max_series)
    point, bands, speed = validated_and_candidates(group, weights, args.batch_size, timings)
    speeds = {"validated": speed}
    point["network"], bands["network"], speeds["network"] = network_alone(group, weights, args.batch_size, timings)
    peer_point, peer_bands, speeds["peers"] = statsforecast_peers(group, jobs, timings)
    point.update(peer_point)
    bands.update(peer_bands)
    point["snaive"] = seasonal_naive(group)
    ets, theta = (peer_point[k] for k in peer_point)
    point["Comb"] = (ets + theta + point["snaive"]) / 3.0
    return group, point, bands, speeds


def run(args) -> Report:
    """Run every group, score every method, and pool the M groups."""
    timings, notes, jobs = Timings(), [], n_jobs(args)
    with timings.time("load model"):
        model = model_from_args(args)
    rel, smape, probabilistic, speed, sizes, pooled = {}, {}, {}, {}, {}, {}
    with tempfile.TemporaryDirectory() as folder:
        weights = estimator_weights(args, model, folder)
        with timings.time("warm-up (numba compiles statsforecast's models on first use)"):
            warm = load_group("m3_yearly", args.data_dir, 3)
            validated_and_candidates(warm, weights, args.batch_size, Timings())
            statsforecast_peers(warm, 1, Timings())
        for name in tqdm(args.groups, desc="groups", leave=False):
            try:
                group, point, bands, speeds = run_group(name, args, weights, jobs, timings)
            except DatasetNotFoundError as err:
                notes.append(f"skipped {name}: {str(err).split('. ')[0]}")
                continue
            scores = series_scores(group, point)
            agg = aggregate(scores)
            rel[name] = {k: agg[k]["rel_mase"] for k in point if k != "snaive"}
            smape[name] = {k: agg[k]["smape"] for k in point}
            for method, b in bands.items():
                probabilistic[(name, method)] = interval_scores(group, b)
            speed[name] = speeds
            sizes[name] = (len(group.ids), group.h, group.m)
            if name in M_GROUPS:
                for k, s in scores.items():
                    pooled.setdefault(k, []).append(s)
    m_groups = [g for g in sizes if g in M_GROUPS]
    if m_groups:
        merged = {k: {s: np.concatenate([p[s] for p in parts]) for s in ("smape", "mase", "mae")}
                  for k, parts in pooled.items() if len(parts) == len(m_groups)}
        agg = aggregate(merged)
        rel["M1 + M3 + M4 hourly"] = {k: agg[k]["rel_mase"] for k in merged if k != "snaive"}
        smape["M1 + M3 + M4 hourly"] = {k: agg[k]["smape"] for k in merged}
    rel_table = pd.DataFrame(rel).T.rename_axis("group")
    rel_table.insert(0, "series", pd.Series({g: s[0] for g, s in sizes.items()}
                                            | {"M1 + M3 + M4 hourly": sum(sizes[g][0] for g in m_groups)}))
    prob_table = pd.DataFrame(probabilistic).T.rename_axis(["group", "method"])
    groups_table = pd.DataFrame(sizes, index=["series", "h", "m"]).T.rename_axis("group")
    notes += [
        "Relative MASE: geometric mean over series of MAE / MAE of seasonal naive at m (< 1 beats it). "
        "'M1 + M3 + M4 hourly' pools those series; it is not a mean of rows.",
        "'X alone' = candidate X's own forecast where it ran, the network's where it could not (too short).",
        "CRPS: sum over series and steps of the quantile CRPS (2.5/10/50/90/97.5 %) over the sum of |y|. "
        "Width: mean interval width over the series' in-sample seasonal-naive MAE. Coverage nominal: 0.80 / 0.95.",
        f"series/s: fit + predict wall time, {jobs} process(es) for the statsforecast peers (both models together: "
        "2 x series / seconds); the validated forecaster and the network use torch's threads.",
    ]
    if args.max_series or args.quick:
        notes.append("SUBSET: not every series or origin; not comparable with the full run.")
    return Report(
        suite=SUITE, title="Self-validated forecasts vs candidates and classical peers (M1, M3, M4 hourly, ETTh1, "
                           "Taylor)",
        command=suite_command(SUITE, args.argv), parameters=parameters(args, n_jobs_effective=jobs),
        tables={"Relative MASE (vs seasonal naive at m)": rel_table, "sMAPE (mean, %)": pd.DataFrame(smape).T,
                "Intervals: scaled CRPS, coverage and width": prob_table,
                "Series per second (fit + predict)": pd.DataFrame(speed).T.rename_axis("group"),
                "Groups": groups_table},
        wall_times={k: round(v, 3) for k, v in timings.seconds.items()}, notes=notes, model=model_info(model, args),
        floatfmt={"Groups": ".0f", "Series per second (fit + predict)": ".1f"},
    )


def build_parser():
    """Suite options: groups, subset size and ETTh1's history cap."""
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    p.add_argument("--max-series", type=int, default=None, help="first N series of each M group (20 with --quick)")
    p.add_argument("--etth1-history", type=int, default=2048, help="points of history before each ETTh1 origin")
    return p


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.validated_forecasting``: run, write ``validated_forecasting.{md,json}``, print."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
