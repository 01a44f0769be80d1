"""WTA multi-hypothesis forecaster on M4 hourly and exchange rate, with its peers trained in the same run.

M4 hourly (414 series, h=48, official holdout): sMAPE, MASE, OWA (vs Naive2), CRPS (mean weighted
quantile loss over 0.05..0.95) and 80/95 % interval coverage for tsheads WTA, seasonal naive, Naive2,
statsmodels ETS and Theta, and GluonTS DeepAR (torch). Exchange rate (8 series, 5 rolling windows of
30 business days, GluonTS ``exchange_rate_nips`` protocol): CRPS-sum, distortion (best of 8 paths),
RMSE, coverage and times for each WTA loss, the K=1 ablation, DeepAR, ETS and the random walk. A
figure of hypotheses and their weights goes next to the tables.

    python -m evaluation.wta_forecasting [--data-dir DIR] [--quick] [--datasets m4_hourly exchange_rate]
        [--m4-settings-from evaluation/results/wta_settings_choice.json]

The M4 settings are ``M4_SETTINGS`` unless ``--m4-settings-from`` names the result of
``evaluation.wta_settings_choice``, which chooses them on validation windows cut from the training parts
(``M4_SETTINGS`` themselves were settled on this suite's test set, so only the chosen row is a clean result).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from tsheads import Naive2, SeasonalNaive, load_dataset
from tsheads.estimators.wta import WTAForecaster
from tsheads.forecast_columns import band_levels, interval_column, quantile_column
from tsheads.metrics import coverage, crps_sum, distortion, mean_weighted_quantile_loss, owa, seasonal_scale, smape
from tsheads.metrics.probabilistic import sample_quantiles

from .common import base_parser, load_model, model_info, n_jobs, parameters, suite_main
from .peers import deepar, ets_forecast, ets_samples, map_series, theta_forecast
from .report import RESULTS_DIR, Report, Timings, suite_command

SUITE = "wta_forecasting"
CHOICE_SUITE = "wta_settings_choice"  # the suite that chooses the M4 settings on validation windows
DATASETS = ("m4_hourly", "exchange_rate")
TITLES = {"m4_hourly": "M4 hourly", "exchange_rate": "exchange rate"}
LEVELS = (80, 95)
QUANTILES = tuple(np.round(np.arange(1, 20) / 20, 2))  # 0.05 .. 0.95, as GluonTS' CRPS approximations
N_SAMPLES = 100
N_PATHS = 8  # paths scored by distortion for every model: the K hypotheses, or the first 8 samples

# set by hand after trial runs scored on the M4 test set; --m4-settings-from replaces them with a validated choice
M4_SETTINGS = dict(h=48, n_hypotheses=8, season_length=24, batch_size=64)
# the choice must have been made with the same network and training budget as the run that uses it
CHOICE_MUST_MATCH = ("model", "weights", "epochs", "steps_per_epoch")
# a joint sample holds all 8 series, so 8 windows make the same 64 sequences per step as on M4
EXCHANGE_SETTINGS = dict(h=30, n_hypotheses=8, season_length=1, joint=True, batch_size=8)
EXCHANGE_VARIANTS = {"tsheads WTA relaxed": {"wta": "relaxed"}, "tsheads WTA hard": {"wta": "hard"},
                     "tsheads WTA annealed": {"wta": "annealed"}, "tsheads K=1 (ablation; 1 path)": {"n_hypotheses": 1}}


def _wta(args, settings: dict, **extra) -> WTAForecaster:
    backbone = "random" if args.model == "random" else (args.weights or "pretrained")  # random: harness tests
    return WTAForecaster(**{**settings, **extra}, backbone=backbone, max_epochs=args.epochs,
                         steps_per_epoch=args.steps_per_epoch, random_state=args.seed, verbose=False)


def _matrix(frame: pd.DataFrame, column: str, ids) -> np.ndarray:
    """``(n_series, h)`` of ``column`` in ``ids`` order from a long forecast frame."""
    by_id = dict(tuple(frame.groupby("unique_id", sort=False)[column]))
    return np.stack([by_id[i].to_numpy(np.float64) for i in ids])


def _bands(frame: pd.DataFrame, model: str, ids, quantiles: bool = True) -> np.ndarray:
    """``(n, h, L)``: interval bounds in :func:`_interval_levels` order, then the QUANTILES columns."""
    cols = [interval_column(model, side, lv) for lv in LEVELS for side in ("lo", "hi")]
    cols += [quantile_column(model, q) for q in QUANTILES] if quantiles else []
    return np.stack([_matrix(frame, c, ids) for c in cols], -1)


def _gaussian_quantiles(mean, sigma, levels) -> np.ndarray:
    return mean[..., None] + sigma[..., None] * norm.ppf(np.asarray(levels))


def _interval_levels():
    return band_levels(LEVELS)


def _coverages(y, q_intervals) -> dict:
    """``q_intervals`` (..., 2 * len(LEVELS)) in :func:`_interval_levels` order."""
    return {f"coverage {lv}": float(coverage(y, q_intervals[..., 2 * i], q_intervals[..., 2 * i + 1]))
            for i, lv in enumerate(LEVELS)}


# ------------------------------------------------------------------------------------------------ M4 hourly
def wta_label(settings: dict) -> str:
    """The table row of a WTA forecaster with these settings."""
    return f"tsheads WTA (K={settings['n_hypotheses']}, {settings.get('wta', 'relaxed')})"


def training_summary(wta: WTAForecaster) -> str:
    """Epochs run, heads that win on held-out windows and the in-sample held-out coverage of a fitted model."""
    return (f"{len(wta.history_)} epochs (early stopping), {wta.n_heads_used_}/{wta.n_hypotheses} heads win on the "
            f"held-out windows, in-sample held-out coverage {wta.validation_coverage_}")


def fit_predict_wta(args, settings: dict, train_df: pd.DataFrame, ids, timings: Timings, key: str):
    """Fit a WTA forecaster on ``train_df`` and forecast ``h`` steps after it (timed as ``key fit`` / ``key predict``).

    Returns the model, the point forecasts ``(n, h)`` and the bands ``(n, h, L)`` (see :func:`_bands`).
    """
    wta = _wta(args, settings)
    with timings.time(f"{key} fit"):
        wta.fit(train_df)
    with timings.time(f"{key} predict"):
        fc = wta.predict(level=list(LEVELS), quantiles=list(QUANTILES))
    return wta, _matrix(fc, "WTA", ids), _bands(fc, "WTA", ids)


def m4_baselines(train_df: pd.DataFrame, h: int, m: int, ids, timings: Timings) -> tuple[dict, dict, dict]:
    """Seasonal naive (with bands) and Naive2 after ``train_df``: points, bands and (train, predict) seconds."""
    with timings.time("m4 snaive"):
        sn = SeasonalNaive(season_length=m).fit(train_df)
        fc = sn.predict(h, level=list(LEVELS), quantiles=list(QUANTILES))
    with timings.time("m4 naive2"):
        naive2 = _matrix(Naive2(season_length=m).fit(train_df).predict(h), "Naive2", ids)
    points = {"seasonal naive": _matrix(fc, "SeasonalNaive", ids), "Naive2": naive2}
    times = {"seasonal naive": (timings.seconds["m4 snaive"], 0.0), "Naive2": (timings.seconds["m4 naive2"], 0.0)}
    return points, {"seasonal naive": _bands(fc, "SeasonalNaive", ids)}, times


def m4_table(y: np.ndarray, trains: list, m: int, points: dict, quants: dict, times: dict) -> pd.DataFrame:
    """sMAPE, MASE and OWA (vs ``points["Naive2"]``) per method; CRPS (wQL) and coverage where it has bands.

    ``y`` and every point array are ``(n, h)``; bands are ``(n, h, L)`` in :func:`_bands` order; MASE scales
    are the in-sample seasonal naive errors of ``trains`` (period ``m``); ``times``: (train, predict) seconds.
    """
    scales = np.array([seasonal_scale(t, m) for t in trains])
    naive2_smape, naive2_mase = smape(y, points["Naive2"], axis=-1), np.abs(y - points["Naive2"]).mean(1) / scales
    rows = {}
    for label, p in points.items():
        s, ms = smape(y, p, axis=-1), np.abs(y - p).mean(1) / scales
        row = {"sMAPE": float(s.mean()), "MASE": float(ms.mean()), "OWA": owa(s, ms, naive2_smape, naive2_mase)}
        if label in quants:
            q = quants[label]
            row["CRPS (wQL)"] = mean_weighted_quantile_loss(y, q[..., 2 * len(LEVELS):], QUANTILES)
            row.update(_coverages(y, q[..., :2 * len(LEVELS)]))
        row["train s"], row["predict s"] = times[label]
        rows[label] = row
    table = pd.DataFrame(rows).T
    table.index.name = "method"
    return table


def run_m4(args, timings: Timings, notes: list) -> tuple[pd.DataFrame, dict]:
    ds = load_dataset("m4_hourly", data_dir=args.data_dir)
    ids = list(ds.ids[:args.max_series] if args.max_series else ds.ids)
    train_df = ds.train_df[ds.train_df["unique_id"].isin(ids)]
    test_df = ds.test_df[ds.test_df["unique_id"].isin(ids)]
    y = _matrix(test_df, "y", ids)
    trains = [g.to_numpy(np.float64) for _, g in train_df.groupby("unique_id", sort=False)["y"]]
    h, m = y.shape[1], 24
    all_levels = _interval_levels() + list(QUANTILES)

    name = wta_label(args.m4_settings)
    wta, point, bands = fit_predict_wta(args, args.m4_settings, train_df, ids, timings, "m4 tsheads")
    # quants: (n, h, len(levels)) at interval levels + QUANTILES
    points, quants, times = {name: point}, {name: bands}, {name: (timings.seconds["m4 tsheads fit"],
                                                                  timings.seconds["m4 tsheads predict"])}
    notes.append(f"M4 tsheads: {training_summary(wta)}.")
    for into, baseline in zip((points, quants, times), m4_baselines(train_df, h, m, ids, timings)):
        into.update(baseline)

    for label, fn in (("ETS", ets_forecast), ("Theta", theta_forecast)):
        with timings.time(f"m4 {label}"):
            out = map_series(fn, trains, h, m, n_jobs(args), label)
        mean, sigma = np.stack([o.mean for o in out]), np.stack([o.sigma for o in out])
        points[label], quants[label] = mean, _gaussian_quantiles(mean, sigma, all_levels)
        times[label] = (timings.seconds[f"m4 {label}"], 0.0)
        kinds = pd.Series([o.kind for o in out]).value_counts().to_dict()
        notes.append(f"M4 {label}: how series were forecast {kinds}.")

    run = deepar(trains, trains, "h", h, epochs=args.deepar_epochs, batch_size=64, seed=args.seed,
                 num_samples=N_SAMPLES, validation_points=wta._validation_points(wta.panel_))
    samples = np.stack(run.samples)  # (n, S, h)
    points["DeepAR (GluonTS)"] = np.median(samples, axis=1)
    quants["DeepAR (GluonTS)"] = sample_quantiles(samples.transpose(0, 2, 1), all_levels)
    times["DeepAR (GluonTS)"] = (run.train_seconds, run.predict_seconds)

    table = m4_table(y, trains, m, points, quants, times)
    return table, {"wta": wta, "ids": ids, "train_df": train_df, "test_df": test_df}


# --------------------------------------------------------------------------------------------- exchange rate
def run_exchange(args, timings: Timings, notes: list) -> tuple[pd.DataFrame, dict]:
    ds = load_dataset("exchange_rate", data_dir=args.data_dir)
    ids = list(ds.ids)
    full = pd.concat([ds.train_df, ds.test_df.drop(columns="window")]).sort_values(["unique_id", "ds"], kind="stable")
    starts = [w[0] for w in ds.splits["test_windows"]]
    h = ds.horizon
    rows_of, histories, y = exchange_windows(full, ids, starts, h)
    results = {}

    for label, extra in EXCHANGE_VARIANTS.items():
        est = _wta(args, EXCHANGE_SETTINGS, **extra)
        with timings.time(f"exchange {label} fit"):
            est.fit(ds.train_df)
        with timings.time(f"exchange {label} predict"):
            fcs = [est.predict(df=hist, level=list(LEVELS)) for hist in histories]
            hyps = [est.predict_hypotheses(df=hist) for hist in histories]
            samples = [est.sample(N_SAMPLES, df=hist) for hist in histories]
        k = est.n_hypotheses
        paths = window_paths(hyps, "hypothesis", ids, "WTA")  # (W, K, h, D)
        sample_arr = window_paths(samples, "sample", ids, "WTA")  # (W, S, h, D)
        point = np.stack([_matrix(f, "WTA", ids).T for f in fcs])
        bounds = np.stack([_bands(f, "WTA", ids, quantiles=False).transpose(1, 0, 2) for f in fcs])  # (W, h, D, L)
        results[label] = dict(paths=paths, samples=sample_arr, point=point, bounds=bounds,
                              train=timings.seconds[f"exchange {label} fit"],
                              predict=timings.seconds[f"exchange {label} predict"])
        notes.append(f"exchange {label}: {len(est.history_)} epochs, {est.n_heads_used_}/{k} heads win on held-out "
                     f"windows, anchor weight {est.anchor_weight_:g}, weight of the move towards the self-validated "
                     f"combination {est.validated_weight_:g} (last window: {est.validated_check_}), in-sample "
                     f"held-out coverage {est.validation_coverage_}.")
        if label == "tsheads WTA relaxed":
            figure_model = est

    train_series = [g.to_numpy(np.float64) for _, g in ds.train_df.groupby("unique_id", sort=False)["y"]]
    hist_series = [g.to_numpy(np.float64) for hist in histories for _, g in hist.groupby("unique_id", sort=False)["y"]]
    run = deepar(train_series, hist_series, "B", h, epochs=args.deepar_epochs, batch_size=64, seed=args.seed,
                 num_samples=N_SAMPLES, validation_points=figure_model._validation_points(figure_model.panel_))
    s = np.stack(run.samples).reshape(len(starts), len(ids), N_SAMPLES, h).transpose(0, 2, 3, 1)  # (W, S, h, D)
    results["DeepAR (GluonTS)"] = _from_samples(s, run.train_seconds, run.predict_seconds)

    with timings.time("exchange ETS"):
        s = np.stack([np.stack([ets_samples(x, h, 1, N_SAMPLES, args.seed + j) for j, x in
                                enumerate(hist_series[w * len(ids):(w + 1) * len(ids)])], -1)
                      for w in range(len(starts))])  # (W, S, h, D)
    results["ETS (statsmodels, per series)"] = _from_samples(s, timings.seconds["exchange ETS"], 0.0)
    results["random walk"] = _from_samples(random_walk_samples(hist_series, len(ids), h, args.seed), 0.0, 0.0)

    rows = {}
    for label, r in results.items():
        rows[label] = {
            "CRPS-sum": crps_sum(y, r["samples"].transpose(0, 2, 1, 3)),
            "distortion (best of 8 paths)": distortion(y, r["paths"][:, :N_PATHS]),
            "RMSE": float(np.sqrt(np.mean((r["point"] - y) ** 2))),
            **_coverages(y, r["bounds"]),
            "train s": r["train"], "predict s": r["predict"],
        }
    table = pd.DataFrame(rows).T
    table.index.name = "method"
    return table, {"wta": figure_model, "ids": ids, "history": histories[0], "future": full[(rows_of >= starts[0])
                                                                                          & (rows_of < starts[0] + h)]}


def window_paths(frames: list, path_col: str, ids: list, value: str) -> np.ndarray:
    """``(W, P, h, D)`` paths of long frames (one per window, ``path_col`` numbering the paths), series in ``ids``
    order."""
    out = []
    for f in frames:
        wide = f.pivot_table(index=[path_col, "ds"], columns="unique_id", values=value)[ids]
        out.append(wide.to_numpy().reshape(f[path_col].nunique(), -1, len(ids)))
    return np.stack(out)


def exchange_windows(full: pd.DataFrame, ids: list, starts: list, h: int) -> tuple:
    """Each row's position in its series, the history before each start and the ``(W, h, D)`` truth after it."""
    rows_of = full.groupby("unique_id", sort=False).cumcount().to_numpy()
    histories = [full[rows_of < s] for s in starts]
    y = np.stack([_matrix(full[(rows_of >= s) & (rows_of < s + h)], "y", ids).T for s in starts])  # (W, h, D)
    return rows_of, histories, y


def random_walk_samples(hist_series: list, n_ids: int, h: int, seed: int) -> np.ndarray:
    """``(W, S, h, D)`` random-walk paths: Gaussian steps with each history's step deviation, per series."""
    n_windows = len(hist_series) // n_ids
    rng = np.random.default_rng(seed)
    last = np.stack([[x[-1] for x in hist_series[w * n_ids:(w + 1) * n_ids]] for w in range(n_windows)])
    step = np.stack([[np.std(np.diff(x)) for x in hist_series[w * n_ids:(w + 1) * n_ids]] for w in range(n_windows)])
    return last[:, None, None, :] + np.cumsum(rng.standard_normal((n_windows, N_SAMPLES, h, n_ids)), 2) \
        * step[:, None, None, :]


def _from_samples(s: np.ndarray, train: float, predict: float) -> dict:
    """Scores' inputs from sample paths ``(W, S, h, D)``: the first 8 paths, the median, sample intervals."""
    q = np.quantile(s, _interval_levels(), axis=1)  # (L, W, h, D)
    return dict(paths=s[:, :N_PATHS], samples=s, point=np.median(s, axis=1), bounds=np.moveaxis(q, 0, -1),
                train=train, predict=predict)


# ------------------------------------------------------------------------------------------------ figure
def write_figure(path, m4: dict | None, exchange: dict | None) -> None:
    """Hypotheses (line width and opacity by weight) after the last context points, and what happened."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tsheads.plotting import plot_hypotheses

    panels = []
    if m4:
        panels += [("M4 hourly", m4, i, m4["train_df"], m4["test_df"]) for i in m4["ids"][:3]]
    if exchange:
        panels += [("exchange rate", exchange, i, exchange["history"], exchange["future"]) for i in exchange["ids"][:3]]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 2.6 * len(panels)), squeeze=False)
    hyp_cache = {}
    for ax, (title, run, uid, history, future) in zip(axes[:, 0], panels):
        key = id(run)
        if key not in hyp_cache:
            hyp_cache[key] = run["wta"].predict_hypotheses(df=history)
        plot_hypotheses(history[history["unique_id"] == uid].tail(5 * run["wta"].h),
                        hyp_cache[key][hyp_cache[key]["unique_id"] == uid],
                        actual=future[future["unique_id"] == uid], ax=ax)
        ax.set_title(f"{title}: series {uid}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ------------------------------------------------------------------------------------------------ settings
def m4_settings(args) -> tuple[dict, str]:
    """The M4 settings of this run and a note on where they come from.

    Without ``--m4-settings-from``: :data:`M4_SETTINGS`. With it: the settings recorded under ``choice`` by
    ``evaluation.wta_settings_choice`` in that JSON file (over :data:`M4_SETTINGS`). A full run (no ``--quick``,
    no ``--max-series``) refuses, with SystemExit, a choice made on a subset of the series or candidates, from a
    dirty tree, or with another network or training budget (:data:`CHOICE_MUST_MATCH`); a smoke run only notes
    the problems.
    """
    if not args.m4_settings_from:
        return dict(M4_SETTINGS), ("M4_SETTINGS, settled by hand after trial runs scored on this test set (not "
                                   f"a clean result; see evaluation.{CHOICE_SUITE})")
    path = Path(args.m4_settings_from)
    try:
        payload = json.loads(path.read_text())
        chosen, made_with = payload["choice"]["settings"], payload["parameters"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise SystemExit(f"--m4-settings-from {path}: not a readable {CHOICE_SUITE} result ({err!r}); "
                         f"run python -m evaluation.{CHOICE_SUITE} first") from None
    if payload.get("suite") != CHOICE_SUITE:
        raise SystemExit(f"--m4-settings-from {path}: a {payload.get('suite')!r} result, not {CHOICE_SUITE!r}")
    problems = [f"{k}={made_with.get(k)!r} there but {getattr(args, k)!r} here" for k in CHOICE_MUST_MATCH
                if made_with.get(k) != getattr(args, k)]
    if not payload["choice"].get("complete"):
        problems.append("chosen on a subset of the series or of the candidates (--quick / --max-series / "
                        "--candidates)")
    machine = payload.get("machine", {})
    if machine.get("git_dirty") is not False:
        problems.append("chosen from a git tree with uncommitted changes (or of unknown state)")
    if problems and not (args.quick or args.max_series):
        raise SystemExit(f"--m4-settings-from {path}: " + "; ".join(problems) + f". Re-run evaluation.{CHOICE_SUITE} "
                         "from a clean commit with this run's --model/--weights/--epochs/--steps-per-epoch on every "
                         "series and every candidate.")
    note = (f"chosen on validation windows by evaluation.{CHOICE_SUITE} ({path.name}: candidate "
            f"{payload['choice'].get('candidate')!r}, commit {str(machine.get('git_commit'))[:10]}, "
            f"{'dirty' if machine.get('git_dirty') else 'clean'} tree, {payload.get('date')})")
    return {**M4_SETTINGS, **chosen}, note + ("; NOT APPLICABLE to a full run: " + "; ".join(problems) if problems
                                              else "")


def add_training_arguments(p) -> None:
    """The tsheads training budget and the M4 subset, shared with ``evaluation.wta_settings_choice``."""
    p.add_argument("--epochs", type=int, default=None, help="most tsheads epochs (default 40; 2 with --quick)")
    p.add_argument("--steps-per-epoch", type=int, default=50)
    p.add_argument("--max-series", type=int, default=None, help="first N M4 series (default all; fewer with --quick)")


def training_defaults(args) -> None:
    """Fill in the default training budget: 40 epochs (2 with ``--quick``)."""
    args.epochs = args.epochs or (2 if args.quick else 40)


# ------------------------------------------------------------------------------------------------ suite
def run(args) -> Report:
    timings, notes, tables, figure_data = Timings(), [], {}, {}
    if args.quick:
        args.max_series = args.max_series or 12
    if "m4_hourly" in args.datasets:
        args.m4_settings, source = m4_settings(args)
        notes.append(f"M4 tsheads settings {args.m4_settings}: {source}.")
        table, figure_data["m4"] = run_m4(args, timings, notes)
        tables["M4 hourly (414 series, h=48)" if not args.max_series else
               f"M4 hourly (first {args.max_series} series, h=48)"] = table
    if "exchange_rate" in args.datasets:
        table, figure_data["exchange"] = run_exchange(args, timings, notes)
        tables["Exchange rate (8 series jointly, 5 rolling windows of 30)"] = table
    suite = suite_name(args.datasets)
    stem = "wta_hypotheses" + suite[len(SUITE):]
    figure = Path(args.out_dir or (RESULTS_DIR / "quick" if args.quick else RESULTS_DIR)) / f"{stem}.png"
    figure.parent.mkdir(parents=True, exist_ok=True)
    write_figure(figure, figure_data.get("m4"), figure_data.get("exchange"))
    notes += [
        f"Figure of hypotheses and weights: {figure.name}.",
        "tsheads WTA: pretrained dual-space encoder (frozen, the default), K hypothesis + K "
        "score heads, hypotheses as offsets from the seasonal-naive path where season_length is set (M4: see its "
        "settings above; exchange: K=8, the last value), trained "
        f"{args.epochs} epochs x {args.steps_per_epoch} batches of 64 sequences (M4: 64 windows; exchange: 8 windows "
        "x 8 series) at most, with early stopping on the held-out "
        "last 10 % of each series; intervals from the CRPS-fitted kernel mixture with PIT recalibration.",
        f"DeepAR: gluonts.torch DeepAREstimator defaults (2 x 40 LSTM, Student-t), {args.deepar_epochs} epochs x 50 "
        "batches of 64, trained without each series' held-out tail (the same points tsheads holds out) and kept at "
        "the epoch with the lowest loss on it; point = median of 100 samples.",
        "M4: OWA = (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2 over dataset means; CRPS (wQL) = mean weighted "
        "quantile loss over levels 0.05..0.95 (GluonTS mean_wQuantileLoss); ETS/Theta intervals are their "
        "analytic Gaussian ones; Naive2 has none.",
        "Exchange rate: CRPS-sum over the sum of the 8 series (TimeGrad/TimeMCL protocol) from 100 sample paths; "
        "distortion = best of 8 paths (tsheads: its hypotheses; others: their first 8 samples), TimeMCL's "
        "definition; ETS has no season (exchange rates have none) and is fitted per series and window.",
    ]
    return Report(
        suite=suite, title="WTA multi-hypothesis forecasting: " + " and ".join(TITLES[d] for d in args.datasets),
        command=suite_command(SUITE, args.argv), parameters=parameters(args),
        tables=tables, wall_times={k: round(v, 3) for k, v in timings.seconds.items()}, notes=notes,
        model=model_info(load_model(args.model, args.seed, args.weights, warm_up=False), args),  # the backbone
        floatfmt={c: {"sMAPE": ".2f", "train s": ".1f", "predict s": ".2f", "CRPS-sum": ".4f", "RMSE": ".4f",
                      "distortion (best of 8 paths)": ".4f"} for c in tables},
    )


def suite_name(datasets) -> str:
    """``wta_forecasting`` for both datasets; ``wta_forecasting_<dataset>`` for one, so a run of one never
    overwrites the other's committed table."""
    return SUITE if set(datasets) == set(DATASETS) else f"{SUITE}_{datasets[0]}"


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    add_training_arguments(p)
    p.add_argument("--deepar-epochs", type=int, default=None, help="DeepAR epochs (default 40; 1 with --quick)")
    p.add_argument("--m4-settings-from", default=None, metavar="JSON",
                   help=f"M4 settings chosen on validation windows: a {CHOICE_SUITE}.json result (default: the "
                        "hand-set M4_SETTINGS, which were settled on the test set)")
    return p


def main(argv: list[str] | None = None) -> Report:
    def run_with_defaults(args):
        training_defaults(args)
        args.deepar_epochs = args.deepar_epochs or (1 if args.quick else 40)
        return run(args)

    return suite_main(build_parser, run_with_defaults, argv)


if __name__ == "__main__":
    main()
