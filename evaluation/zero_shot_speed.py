"""Zero-shot throughput: how many series per second the network forecasts, bare and through pandas.

10,000 random-walk series of 512 points, h=96, once through ``tsheads.inference.forecast_arrays`` (numpy in,
numpy out) and once through ``ZeroShotForecaster().forecast(df, h=96)`` on the equivalent long frame, so
the cost of validation and frame building is visible next to the network's. Peak RSS growth comes from
``resource.getrusage`` (the process peak only rises, so the pandas path is measured second and its delta is
what it added on top of the arrays path).

    python -m evaluation.zero_shot_speed [--quick] [--n-series N]
"""

from __future__ import annotations

import resource
import statistics
import tempfile
import time

import numpy as np
import pandas as pd
import torch

from tsheads.inference import forecast_arrays

from .common import base_parser, estimator_weights, model_from_args, model_info, parameters, suite_main
from .detection_speed import in_turn
from .report import Report, Timings, suite_command

SUITE = "zero_shot_speed"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def random_walks(n: int, length: int, seed: int) -> np.ndarray:
    """``(n, length)`` Gaussian random walks starting near 100 (positive, level-shifted like real data)."""
    rng = np.random.default_rng(seed)
    return 100 + rng.standard_normal((n, length)).cumsum(axis=1)


def long_frame(y: np.ndarray) -> pd.DataFrame:
    n, length = y.shape
    return pd.DataFrame({
        "unique_id": np.repeat([f"s{i}" for i in range(n)], length),
        "ds": np.tile(pd.date_range("2024-01-01", periods=length, freq="h").to_numpy(), n),
        "y": y.reshape(-1),
    })


def timed(fn, repeats: int) -> tuple[list[float], float, object]:
    """Wall seconds of each repeat, peak-RSS growth over all of them (MiB), and the last result."""
    before, seconds, out = peak_rss_mib(), [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        seconds.append(time.perf_counter() - start)
    return seconds, peak_rss_mib() - before, out


def run(args) -> Report:
    timings = Timings()
    with timings.time("load model + warm-up"):
        model = model_from_args(args)
    n = args.n_series if args.n_series is not None else (64 if args.quick else 10_000)
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    y = random_walks(n, args.length, args.seed)
    x, observed = y[:, None, :], np.ones((n, 1, args.length), dtype=bool)
    rss_start = peak_rss_mib()

    rows, notes = {}, []
    warm = min(n, args.batch_size)  # both paths get one untimed full batch first
    forecast_arrays(model, x[:warm], observed[:warm], args.h, batch_size=args.batch_size)
    with timings.time("forecast_arrays"):
        secs, rss, (mean, quants) = timed(
            lambda: forecast_arrays(model, x, observed, args.h, batch_size=args.batch_size), repeats)
    rows["forecast_arrays (numpy)"] = (secs, rss)
    if args.compare_batch_sizes:  # batch sizes compared in turn, repeat by repeat, so drift hits them alike
        sizes = [args.batch_size, *args.compare_batch_sizes]
        with timings.time("forecast_arrays, batch sizes in turn"):
            turns = in_turn({b: lambda b=b: forecast_arrays(model, x, observed, args.h, batch_size=b) for b in sizes},
                            repeats)
        for b in sizes:
            rows[f"forecast_arrays, batch size {b}, in turn (numpy)"] = (turns[b], 0.0)
    forecast_arrays(model, x[:warm], observed[:warm], args.h, batch_size=args.batch_size, precision="bfloat16")
    with timings.time("forecast_arrays bfloat16"):
        secs, rss, (mean_bf16, _) = timed(lambda: forecast_arrays(model, x, observed, args.h,
                                                                  batch_size=args.batch_size, precision="bfloat16"),
                                          repeats)
    rows["forecast_arrays, precision='bfloat16' (numpy)"] = (secs, rss)
    diff = np.abs(mean_bf16 - mean)[:, 0] / y.std(axis=1, keepdims=True)  # in units of each input's std
    notes.append(f"bfloat16 vs float32 mean forecasts, in units of each input series' standard deviation: "
                 f"mean |difference| {diff.mean():.4f}, max {diff.max():.4f}.")

    with timings.time("build long frame (not in the rate)"):
        df = long_frame(y)
    try:
        from tsheads import ZeroShotForecaster

        with tempfile.TemporaryDirectory() as tmp:
            weights = estimator_weights(args, model, tmp)
            est = ZeroShotForecaster(weights=weights, batch_size=args.batch_size)
            est.forecast(df.iloc[: warm * args.length], h=args.h)  # warm-up; also loads and caches the weights
            with timings.time("ZeroShotForecaster.forecast"):
                secs, rss, fc = timed(lambda: est.forecast(df, h=args.h), repeats)
        rows["ZeroShotForecaster.forecast (pandas)"] = (secs, rss)
        point = fc[est.model_name].to_numpy().reshape(n, args.h)
        same = mean[:, 0] if est.point == "mean" else quants[:, 0, list(model.config.quantiles).index(0.5)]
        diff = float(np.max(np.abs(point - same)))
        notes.append(f"ZeroShotForecaster's point forecast ({est.point}) vs forecast_arrays' {est.point}: "
                     f"max |difference| {diff:.2e}.")
    except ImportError as err:
        notes.append(f"pandas path not measured: {err}")

    table = pd.DataFrame.from_dict({
        label: {"series": n, "h": args.h, "median s": statistics.median(secs), "min s": min(secs),
                "series/s (median)": n / statistics.median(secs), "peak RSS growth (MiB)": rss}
        for label, (secs, rss) in rows.items()}, orient="index")
    table.index.name = "path"
    notes += [
        f"{n} random walks of {args.length} points, h={args.h}, batch size {args.batch_size}, {repeats} repeat(s), "
        f"torch threads {torch.get_num_threads()}; one untimed warm-up batch before each path.",
        f"Peak RSS before timing {rss_start:.0f} MiB (model and data loaded); each growth is over the previous "
        "peak, so a path that needs less than an earlier one shows 0.",
        "Building the long frame for the pandas path is timed separately and not counted in its rate.",
    ]
    return Report(
        suite=SUITE, title="Zero-shot forecasting speed (CPU)", command=suite_command(SUITE, args.argv),
        parameters=parameters(args, n_series_effective=n, repeats_effective=repeats,
                              torch_threads=torch.get_num_threads()),
        tables={"Throughput": table}, wall_times={k: round(v, 3) for k, v in timings.seconds.items()},
        notes=notes, model=model_info(model, args),
        extra={"repeat_seconds": {label: secs for label, (secs, _) in rows.items()}, "peak_rss_mib_start": rss_start},
        floatfmt={"Throughput": ".2f"},
    )


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--n-series", type=int, default=None, help="default 10000 (64 with --quick)")
    p.add_argument("--length", type=int, default=512)
    p.add_argument("--h", type=int, default=96)
    p.add_argument("--repeats", type=int, default=None, help="timed repeats per path (default 3; 1 with --quick)")
    p.add_argument("--compare-batch-sizes", type=int, nargs="*", default=[],
                   help="forecast_arrays also at these batch sizes, in turn with --batch-size (default: none)")
    return p


def main(argv: list[str] | None = None) -> Report:
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
