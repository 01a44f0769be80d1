"""ETTh1 zero-shot forecasting under the standard long-horizon protocol (Informer / PatchTST / TTM code).

Per-channel z-scores fitted on train rows [0, 8640); a test window starts at every row ``s`` with its
targets ``[s, s+h)`` inside the test block [11520, 14400) and its input the 512 rows before ``s`` (the first
windows reach back into validation); stride 1; MSE and MAE on normalised values averaged over windows,
channels and steps. Statsmodels' ETS is too slow for every window, so it runs on every ``--ets-stride``-th
window, and tsheads and seasonal naive are scored on that same subsample for a like-for-like row.

    python -m evaluation.etth1_zero_shot [--data-dir DIR] [--quick]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from tsheads.datasets import ETTH1_SPLITS
from tsheads.inference import forecast_arrays
from tsheads.metrics import mae, mse

from .common import (
    base_parser,
    etth1_normalised,
    model_from_args,
    model_info,
    n_jobs,
    parameters,
    suite_main,
)
from .report import Report, Timings, suite_command

SUITE = "etth1_zero_shot"
HORIZONS = (96, 192, 336, 720)
SEASON = 24
#: issue 3's reference: TTM-r2 zero-shot, context 512, ETTh1 h=96 (other horizons not quoted there)
TTM_R2_MSE = {96: 0.363}
NOT_QUOTED = "n/q"


def window_starts(h: int, stride: int = 1, max_windows: int | None = None) -> np.ndarray:
    """First forecast row of every window whose ``h`` targets lie in the test block."""
    test_start, test_end = ETTH1_SPLITS["test"]
    starts = np.arange(test_start, test_end - h + 1, stride)
    return starts[:max_windows] if max_windows else starts


def make_windows(values: np.ndarray, starts: np.ndarray, context: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(n, C, context)`` and targets ``(n, C, h)`` from the ``(rows, C)`` array."""
    idx_x = starts[:, None] + np.arange(-context, 0)[None, :]
    idx_y = starts[:, None] + np.arange(h)[None, :]
    return values[idx_x].transpose(0, 2, 1), values[idx_y].transpose(0, 2, 1)


def seasonal_naive(x: np.ndarray, h: int, m: int = SEASON) -> np.ndarray:
    """Repeat the last ``m`` inputs (the definition of :class:`tsheads.SeasonalNaive`), vectorised."""
    return x[..., -m:][..., np.arange(h) % m]


class ErrorSums:
    """Running sums so MSE/MAE over all windows need not hold every forecast in memory."""

    def __init__(self):
        self.sq = self.abs = 0.0
        self.n = 0

    def add(self, y, yhat):
        self.sq += mse(y, yhat) * y.size
        self.abs += mae(y, yhat) * y.size
        self.n += y.size

    @property
    def mse(self):
        return self.sq / self.n if self.n else float("nan")

    @property
    def mae(self):
        return self.abs / self.n if self.n else float("nan")


def score_network_and_naive(model, values, starts, h, batch_size, timings, label, chunk=256):
    """MSE/MAE of tsheads (mean and median) and seasonal naive over ``starts``; timed separately."""
    sums = {"tsheads": ErrorSums(), "tsheads_median": ErrorSums(), "snaive": ErrorSums()}
    median = list(model.config.quantiles).index(0.5)
    context = model.config.context_length
    for i in range(0, len(starts), chunk):
        x, y = make_windows(values, starts[i:i + chunk], context, h)
        observed = np.ones_like(x, dtype=bool)
        with timings.time(f"tsheads ({label})"):
            mean, quant = forecast_arrays(model, x, observed, h, batch_size=batch_size)
        sums["tsheads"].add(y, mean)
        sums["tsheads_median"].add(y, quant[:, :, median])
        with timings.time(f"seasonal naive ({label})"):
            snaive = seasonal_naive(x, h)
        sums["snaive"].add(y, snaive)
    return sums


def fine_tuned_copy(model, values: np.ndarray, steps: int, seed: int):
    """A copy of ``model`` whose forecast head is fine-tuned on the train rows only (no validation/test data).

    Training windows: 512-row contexts and 96-step futures that end inside rows [0, 8640), every 4th start.
    """
    import copy

    from tsheads.training import fine_tune
    from tsheads.windows import Windows

    train_end = ETTH1_SPLITS["train"][1]
    context, horizon = model.config.context_length, model.config.horizon
    starts = np.arange(context, train_end - horizon + 1, 4)
    x, y = make_windows(values, starts, context, horizon)
    windows = Windows(x.astype(np.float32), np.ones_like(x, dtype=bool), y.astype(np.float32),
                      np.ones_like(y, dtype=bool), np.zeros(len(starts), dtype=int))
    tuned = copy.deepcopy(model)
    history = fine_tune(tuned, windows, mode="head", steps=steps, batch_size=64, learning_rate=1e-4, seed=seed)
    return tuned, len(starts), history


def _fit_ets(context: np.ndarray, h: int) -> tuple[np.ndarray, bool]:
    """Damped additive trend + additive season 24 on one channel's context; seasonal naive if it fails."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ExponentialSmoothing(context, trend="add", damped_trend=True, seasonal="add",
                                       seasonal_periods=SEASON).fit()
            fc = np.asarray(fit.forecast(h), dtype=np.float64)
        if fc.shape == (h,) and np.all(np.isfinite(fc)):
            return fc, False
    except Exception:  # noqa: BLE001 - any optimiser failure counts as a fallback
        pass
    return seasonal_naive(context, h), True


def ets_forecasts(values, starts_by_h: dict, context: int, jobs: int) -> tuple[dict, int, int]:
    """ETS forecasts ``{start: (C, H)}``: one fit per (window, channel), to the longest horizon that window serves."""
    longest = {}
    for h, starts in starts_by_h.items():
        for s in starts:
            longest[int(s)] = max(longest.get(int(s), 0), h)
    n_ch = values.shape[1]
    tasks = [(s, c, values[s - context:s, c], longest[s]) for s in sorted(longest) for c in range(n_ch)]
    if jobs > 1:
        from joblib import Parallel, delayed

        gen = Parallel(n_jobs=jobs, return_as="generator")(delayed(_fit_ets)(ctx, h) for _, _, ctx, h in tasks)
    else:
        gen = (_fit_ets(ctx, h) for _, _, ctx, h in tasks)
    out = {s: np.empty((n_ch, longest[s])) for s in longest}
    failures = 0
    for (s, c, _, _), (fc, failed) in tqdm(zip(tasks, gen), total=len(tasks), desc="ETS fits", leave=False):
        out[s][c] = fc
        failures += failed
    return out, failures, len(tasks)


def run(args) -> Report:
    timings = Timings()
    horizons = tuple(args.horizons)
    with timings.time("load data"):
        values, channels, scaler = etth1_normalised(args.data_dir)
    with timings.time("load model + warm-up"):
        model = model_from_args(args)
    context = model.config.context_length
    max_windows = args.max_windows if args.max_windows is not None else (32 if args.quick else None)
    ets_max = args.ets_max_windows if args.ets_max_windows is not None else (2 if args.quick else None)

    tuned = None
    if args.quick:
        args.fine_tune_steps = min(args.fine_tune_steps, 5)
    if args.fine_tune_steps:
        with timings.time("fine-tune head (train rows)"):
            tuned, n_train_windows, history = fine_tuned_copy(model, values, args.fine_tune_steps, args.seed)
    full, sub, counts = {}, {}, {}
    forecasts = {"all windows": 0, "ETS subsample": 0}  # channel forecasts made, summed over horizons
    ets_starts = {h: window_starts(h, args.ets_stride, ets_max) for h in horizons}
    for h in tqdm(horizons, desc="horizons", leave=False):
        starts = window_starts(h, 1, max_windows)
        counts[h] = (len(window_starts(h)), len(starts), len(ets_starts[h]))
        full[h] = score_network_and_naive(model, values, starts, h, args.batch_size, timings, "all windows")
        if tuned is not None:
            tuned_scores = score_network_and_naive(tuned, values, starts, h, args.batch_size, timings, "fine-tuned")
            full[h]["tuned"] = tuned_scores["tsheads"]
        sub[h] = score_network_and_naive(model, values, ets_starts[h], h, args.batch_size, timings, "ETS subsample")
        forecasts["all windows"] += len(starts) * values.shape[1]
        forecasts["ETS subsample"] += len(ets_starts[h]) * values.shape[1]

    with timings.time("ETS (ETS subsample)"):
        ets, ets_failures, ets_fits = ets_forecasts(values, ets_starts, context, n_jobs(args))
    for h in horizons:
        sub[h]["ets"] = ErrorSums()
        for s in ets_starts[h]:
            _, y = make_windows(values, np.array([s]), context, h)
            sub[h]["ets"].add(y[0], ets[int(s)][:, :h])

    names = {"tsheads": "tsheads zero-shot (mean)", "tsheads_median": "tsheads zero-shot (median)",
             "snaive": "seasonal naive (m=24)", "ets": "ETS (damped add. trend, add. season 24)",
             "tuned": f"tsheads fine-tuned head ({args.fine_tune_steps} steps on train rows; not zero-shot)"}

    def table(scores, methods, scope):
        rows = {}
        for key in methods:
            rows[names[key]] = {f"{metric} h={h}": getattr(scores[h][key], metric.lower())
                                for h in horizons for metric in ("MSE", "MAE")}
        df = pd.DataFrame.from_dict(rows, orient="index")
        df.index.name = f"method ({scope})"
        return df

    shown = ("tsheads", "tsheads_median") + (("tuned",) if tuned is not None else ()) + ("snaive",)
    all_table = table(full, shown, "all windows").astype(object)
    all_table.loc["TTM-r2 (published, zero-shot, context 512)"] = [
        TTM_R2_MSE.get(h, NOT_QUOTED) if metric == "MSE" else NOT_QUOTED for h in horizons for metric in ("MSE", "MAE")
    ]
    sub_table = table(sub, ("tsheads", "tsheads_median", "snaive", "ets"), f"every {args.ets_stride}th window")
    window_table = pd.DataFrame(
        [{"h": h, "windows in protocol": c[0], "windows scored (all)": c[1], "windows (ETS subsample)": c[2]}
         for h, c in counts.items()]).set_index("h")

    speed_rows = []
    for label, seconds in timings.seconds.items():
        method, _, scope = label.partition(" (")
        scope = scope.rstrip(")")
        if scope in forecasts:
            n = ets_fits if method == "ETS" else forecasts[scope]
            speed_rows.append({"method": method, "windows": scope, "channel forecasts": n, "seconds": seconds,
                               "ms per channel forecast": 1000 * seconds / max(n, 1)})
    speed_table = pd.DataFrame(speed_rows).set_index("method")

    subset = [f"SUBSET: only the first {max_windows} windows per horizon (ETS: {ets_max}); not comparable with "
              "full-protocol numbers."] if max_windows or ets_max else []
    notes = subset + [
        "MSE/MAE on values z-scored per channel with train-row statistics (rows 0..8639), averaged over windows, "
        "7 channels and steps; tsheads forecasts each channel independently from its last 512 rows.",
        f"'{NOT_QUOTED}' = not quoted: the TTM-r2 row is the published zero-shot MSE at h=96 given in issue 3, not "
        "re-run here.",
        f"ETS (statsmodels ExponentialSmoothing, fitted on each window's 512-row context per channel) runs on every "
        f"{args.ets_stride}th window only; {ets_fits} fits, {ets_failures} fell back to seasonal naive. Compare it "
        "with the tsheads and seasonal-naive rows of the same subsample table, not with the all-windows table.",
        "Horizons beyond the head's 96 steps are forecast by the model's own block-autoregressive rollout.",
        "Speed table: tsheads and seasonal naive count one forecast per window, channel and horizon; ETS counts "
        "fits, one per (window, channel), each forecasting the longest horizon that window serves.",
    ]
    params = parameters(args, max_windows_effective=max_windows, ets_max_windows_effective=ets_max,
                        n_jobs_effective=n_jobs(args), context_length=context, channels=channels,
                        normalisation=scaler)
    return Report(
        suite=SUITE, title="ETTh1 zero-shot forecasting (standard protocol, context 512)",
        command=suite_command(SUITE, args.argv), parameters=params,
        tables={"All test windows (stride 1)": all_table,
                f"ETS subsample (every {args.ets_stride}th window)": sub_table,
                "Windows per horizon": window_table,
                "Speed (all horizons together)": speed_table},
        wall_times={k: round(v, 3) for k, v in timings.seconds.items()}, notes=notes,
        model=model_info(model, args), extra={"ets": {"fits": ets_fits, "fallbacks": ets_failures}},
        floatfmt={"Windows per horizon": ".0f", "Speed (all horizons together)": ".2f"},
    )


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--horizons", type=int, nargs="+", default=list(HORIZONS))
    p.add_argument("--max-windows", type=int, default=None,
                   help="score only the first N windows per horizon (default: all; 32 with --quick)")
    p.add_argument("--fine-tune-steps", type=int, default=300,
                   help="also score a copy whose forecast head is fine-tuned on the train rows (0: skip)")
    p.add_argument("--ets-stride", type=int, default=96, help="ETS subsample: every N-th window (default 96)")
    p.add_argument("--ets-max-windows", type=int, default=None,
                   help="cap on ETS subsample windows per horizon (default: none; 2 with --quick)")
    return p


def main(argv: list[str] | None = None) -> Report:
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
