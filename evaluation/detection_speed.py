"""Anomaly-detection throughput: how many series per second ``detect`` scores, every head on.

Series of 50 to 500 points (lengths drawn uniformly; noisy sines and random walks in turn) in one long
frame, through ``TriangulationDetector().detect(df)`` with the default settings (every head, fitted on
the whole series) and with ``fit_fraction=0.5``. The windows of many series share the network's forward
passes; for comparison, a subset is also detected one series at a time (a frame per series), which is how
``detect`` worked before, and its scores are checked against the batched ones.

    python -m evaluation.detection_speed [--quick] [--n-series N] [--min-length 50] [--max-length 500]
"""

from __future__ import annotations

import statistics
import tempfile
import time

import numpy as np
import pandas as pd
import torch
from scipy import stats

from tsheads.estimators.anomaly import TriangulationDetector
from tsheads.pretrained import DETECT_SHORT_WINDOW, SHORT, ships

from .common import base_parser, estimator_weights, model_from_args, model_info, parameters, suite_main
from .report import Report, Timings, suite_command

SUITE = "detection_speed"
#: the issue's goal on a 2-core CPU
GOAL_SERIES_PER_S = 200
#: settings timed with fit_fraction=None beside the defaults (the first is the baseline): the default before
#: ``history_network="auto"`` and settings that trade accuracy or flag share for speed
#: (``evaluation.history_network_choice``: ``forecast_history=128`` puts the forecasts on the short network too and
#: flags 4.1 % of clean series at contamination 0.02; ``forecast_history=64`` also lost 0.016 mean dev VUS-PR;
#: bfloat16 nothing measurable)
FASTER = {"defaults (again)": {}, "history_network='window' (the default before)": {"history_network": "window"},
          "forecast_history=128": {"forecast_history": 128}, "precision=bfloat16": {"precision": "bfloat16"},
          "forecast_history=64": {"forecast_history": 64},
          "forecast_history=64, bfloat16": {"forecast_history": 64, "precision": "bfloat16"},
          "window=128": {"window": 128}}


def mixed_series(n: int, low: int, high: int, seed: int) -> list[np.ndarray]:
    """``n`` series of ``low..high`` points: noisy sines (random period and phase) and random walks in turn."""
    rng = np.random.default_rng(seed)
    out = []
    for i, length in enumerate(rng.integers(low, high + 1, n)):
        t = np.arange(length)
        if i % 2 == 0:
            y = np.sin(2 * np.pi * t / rng.integers(6, 49) + rng.uniform(0, 2 * np.pi))
            out.append(y + 0.2 * rng.standard_normal(length))
        else:
            out.append(100 + rng.standard_normal(length).cumsum())
    return out


def long_frame(series: list[np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({
        "unique_id": np.repeat([f"s{i:05d}" for i in range(len(series))], [len(y) for y in series]),
        "ds": np.concatenate([np.arange(len(y)) for y in series]),
        "y": np.concatenate(series),
    })


def timed(fn, repeats: int) -> tuple[list[float], object]:
    seconds, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        seconds.append(time.perf_counter() - start)
    return seconds, out


def in_turn(fns: dict, repeats: int) -> dict:
    """Seconds of each of ``fns`` (by name), timed in turn repeat by repeat, so the machine's drift hits all alike."""
    seconds = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            seconds[name] += timed(fn, 1)[0]
    return seconds


def one_at_a_time(det: TriangulationDetector, df: pd.DataFrame, fit_fraction) -> pd.DataFrame:
    return pd.concat([det.detect(g, fit_fraction=fit_fraction) for _, g in df.groupby("unique_id", sort=True)])


def run(args) -> Report:
    timings = Timings()
    with timings.time("load model + warm-up"):
        model = model_from_args(args)
    n = args.n_series if args.n_series is not None else (12 if args.quick else 1000)
    n_alone = min(n, args.alone if args.alone is not None else (3 if args.quick else 50))
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 2)
    series = mixed_series(n, args.min_length, args.max_length, args.seed)
    df = long_frame(series)
    subset = df[df["unique_id"].isin(sorted(df["unique_id"].unique())[:n_alone])]
    rows, notes = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        weights = estimator_weights(args, model, tmp)
        det = TriangulationDetector(weights=weights, batch_size=args.batch_size)
        det.detect(long_frame(series[:2]))  # warm-up; also loads and caches the weights
        for fit_fraction in (None, 0.5):
            label = f"fit_fraction={fit_fraction}"
            with timings.time(f"detect, {label}"):
                secs, out = timed(lambda: det.detect(df, fit_fraction=fit_fraction), repeats)
            rows[f"detect, batched, {label}"] = (n, len(df), secs)
            with timings.time(f"one series at a time, {label}"):
                alone_secs, alone = timed(lambda: one_at_a_time(det, subset, fit_fraction), 1)
            rows[f"one series at a time, {label}"] = (n_alone, len(subset), alone_secs)
            batched = out[out["unique_id"].isin(subset["unique_id"].unique())]
            diff = np.abs(batched["anomaly_score"].to_numpy() - alone["anomaly_score"].to_numpy())
            flips = int((batched["is_anomaly"].to_numpy() != alone["is_anomaly"].to_numpy()).sum())
            fit_share = fit_row_share(out, fit_fraction)
            notes.append(f"{label}: batched vs one-at-a-time scores of the first {n_alone} series, max |difference| "
                         f"{diff.max():.2e}; flags {flips} "
                         f"differ. Share of fit rows flagged (contamination 0.1): mean over series "
                         f"{fit_share.mean():.3f}, range {fit_share.min():.3f} to {fit_share.max():.3f}.")
        defaults = {}
        for label, settings in FASTER.items():
            fast = TriangulationDetector(weights=weights, batch_size=args.batch_size, **settings)
            fast.detect(long_frame(series[:2]))
            context = fast._model().config.context_length
            if context != model.config.context_length:
                label = f"{label} ({context}-point network)"
            with timings.time(f"detect, {label}"):
                secs, fast_out = timed(lambda: fast.detect(df), repeats)
            rows[f"detect, batched, {label}"] = (n, len(df), secs)
            if not defaults:
                defaults = {"score": fast_out["anomaly_score"].to_numpy(), "flag": fast_out["is_anomaly"].to_numpy()}
                continue
            flips = (fast_out["is_anomaly"].to_numpy() != defaults["flag"]).mean()
            rho = stats.spearmanr(fast_out["anomaly_score"].to_numpy(), defaults["score"]).statistic
            notes.append(f"{label}: flags differ from the defaults' on {flips:.2%} of points; Spearman correlation "
                         f"of the scores {rho:.3f}.")
    short_note = (f"{SHORT}, windows up to {DETECT_SHORT_WINDOW} points" if ships(SHORT) and DETECT_SHORT_WINDOW
                  else "not in use here")
    table = pd.DataFrame.from_dict({
        label: {"series": k, "points": points, "median s": statistics.median(secs), "min s": min(secs),
                "series/s (median)": k / statistics.median(secs), "points/s (median)": points / statistics.median(secs)}
        for label, (k, points, secs) in rows.items()}, orient="index")
    table.index.name = "path"
    best = table.loc["detect, batched, fit_fraction=None", "series/s (median)"]
    notes += [
        f"{n} series of {args.min_length} to {args.max_length} points (uniform; noisy sines and random walks in "
        f"turn), {len(df)} points; default detector (heads {', '.join(TriangulationDetector().heads)}; window "
        f"{TriangulationDetector().window}), batch size "
        f"{args.batch_size}, {repeats} repeat(s) of the batched paths, torch threads {torch.get_num_threads()}.",
        f"Goal: at least {GOAL_SERIES_PER_S} series/s on a 2-core CPU; measured {best:.1f} series/s with the "
        "defaults.",
        "With the bundled weights a series whose fit data hold fewer than 144 points (so a window of at most 128) "
        f"runs on the short network ({short_note}); the others rebuild and forecast on the 512-point network, and "
        "by default (history_network='auto') their embedding rows (64-point subsequences) run on the short "
        "network. The history_network='window' row runs those on the 512-point network (each padded to 512 "
        "points), as before; forecast_history=128 also forecasts on the short network; window=128 runs every "
        "series wholly on the short network.",
        "The last rows time faster settings on the same frame (fit_fraction=None); their notes compare them with "
        "the defaults' scores and flags.",
    ]
    return Report(
        suite=SUITE, title="Anomaly-detection speed over many series (CPU)", command=suite_command(SUITE, args.argv),
        parameters=parameters(args, n_series_effective=n, alone_effective=n_alone, repeats_effective=repeats,
                              torch_threads=torch.get_num_threads()),
        tables={"Throughput": table}, wall_times={k: round(v, 3) for k, v in timings.seconds.items()},
        notes=notes, model=model_info(model, args),
        extra={"repeat_seconds": {label: secs for label, (_, _, secs) in rows.items()}},
        floatfmt={"Throughput": ".2f"},
    )


def fit_row_share(out: pd.DataFrame, fit_fraction) -> np.ndarray:
    """Per series, the share of its fit rows (the first ``fit_fraction``, or all) that ``detect`` flagged."""
    shares = []
    for _, g in out.groupby("unique_id", sort=False):
        k = len(g) if fit_fraction is None else max(2, int(round(fit_fraction * len(g))))
        shares.append(g["is_anomaly"].to_numpy()[:k].mean())
    return np.asarray(shares)


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--n-series", type=int, default=None, help="default 1000 (12 with --quick)")
    p.add_argument("--min-length", type=int, default=50)
    p.add_argument("--max-length", type=int, default=500)
    p.add_argument("--alone", type=int, default=None,
                   help="series also detected one at a time, for comparison (default 50; 3 with --quick)")
    p.add_argument("--repeats", type=int, default=None, help="timed repeats of the batched paths (default 2; 1 with "
                                                              "--quick)")
    return p


def main(argv: list[str] | None = None) -> Report:
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
