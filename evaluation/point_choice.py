"""How ZeroShotForecaster's default point forecast (mean head or 0.5 quantile) is chosen, on validation data only.

The suites' test windows are never read. Validation windows:

- M1, M3 and M4 hourly: each series' *training* part with its last ``h`` points held out, forecast from the
  points before them (the official holdout, which ``evaluation.mcomp_zero_shot`` scores, is not loaded);
  series left with fewer than ``max(m, 8)`` points of history are dropped. Scores: relative MASE (geometric
  mean over series of MAE / MAE of seasonal naive) and mean sMAPE.
- ETTh1: every ``--etth1-stride``-th window whose targets lie in the validation block [8640, 11520) (inputs
  are the 512 rows before, train and validation rows only); MSE and MAE on train-normalised values.

Rule, fixed before the numbers: the default is the point with the lower relative MASE pooled over every M
validation series; ties go to the median. The ETTh1 rows and the per-group rows are shown as a check.

    python -m evaluation.point_choice [--data-dir DIR] [--quick] [--groups m3_monthly ...]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsheads import SeasonalNaive, load_dataset
from tsheads.datasets import ETTH1_SPLITS
from tsheads.errors import DatasetNotFoundError

from .common import base_parser, etth1_normalised, model_from_args, model_info, parameters, suite_main
from .etth1_zero_shot import HORIZONS, score_network_and_naive
from .mcomp_zero_shot import GROUPS, Group, aggregate, library_forecast, series_scores, tsheads_forecast
from .report import Report, Timings, suite_command

SUITE = "point_choice"
POINTS = {"tsheads": "mean", "tsheads_median": "median"}  # mcomp/etth1 suites' method keys -> point name
MIN_HISTORY = 8  # fewest points left before the held-out window (at least one season too)


def validation_group(name: str, data_dir, max_series: int | None) -> tuple[Group, int]:
    """The group's training parts split into history and a last window of ``h`` points; and how many were dropped.

    Only ``train_df`` is read: the official test part of the dataset never enters this suite.
    """
    ds = load_dataset(name, data_dir=data_dir)
    h, m = int(ds.horizon), int(ds.seasonality or 1)
    train_df = ds.train_df[["unique_id", "ds", "y"]]
    if max_series:
        train_df = train_df[train_df["unique_id"].isin(ds.ids[:max_series])]
    lengths = train_df.groupby("unique_id", sort=False).size()
    ids = list(lengths.index[lengths >= h + max(m, MIN_HISTORY)])
    train_df = train_df[train_df["unique_id"].isin(ids)]
    from_end = train_df.groupby("unique_id", sort=False).cumcount(ascending=False)
    history, held_out = train_df[from_end >= h], train_df[from_end < h]
    train = [g.to_numpy(np.float64) for _, g in history.groupby("unique_id", sort=False)["y"]]
    test = np.stack([g.to_numpy(np.float64) for _, g in held_out.groupby("unique_id", sort=False)["y"]])
    return Group(name, ids, train, test, history, m), len(lengths) - len(ids)


def mcomp_scores(model, args, timings: Timings, notes: list) -> tuple[dict, dict]:
    """Per-group scores of mean, median and seasonal naive (``series_scores`` dicts) and group sizes."""
    max_series = args.max_series if args.max_series is not None else (20 if args.quick else None)
    per_group, sizes = {}, {}
    for name in args.groups:
        try:
            with timings.time(f"load {name}"):
                group, dropped = validation_group(name, args.data_dir, max_series)
        except DatasetNotFoundError as err:
            notes.append(f"skipped {name}: {str(err).split('. ')[0]}")
            continue
        with timings.time(f"forecast {name}"):
            mean, median = tsheads_forecast(model, group, args.batch_size)
            snaive = library_forecast(SeasonalNaive(season_length=group.m), group)
        per_group[name] = series_scores(group, {"tsheads": mean, "tsheads_median": median, "snaive": snaive})
        sizes[name] = {"series": len(group.ids), "dropped (short)": dropped, "h": group.h, "m": group.m}
    return per_group, sizes


def mcomp_table(per_group: dict, sizes: dict) -> tuple[pd.DataFrame, dict]:
    """Relative MASE and sMAPE of both points per group and pooled ('all'), and the pooled aggregate."""
    pooled = {k: {s: np.concatenate([per_group[g][k][s] for g in per_group]) for s in ("smape", "mase", "mae")}
              for k in ("tsheads", "tsheads_median", "snaive")}
    rows = {}
    for name, scores in [*per_group.items(), ("all", pooled)]:
        agg = aggregate(scores)
        mae_mean, mae_median = scores["tsheads"]["mae"], scores["tsheads_median"]["mae"]
        rows[name] = {
            "series": sizes[name]["series"] if name in sizes else sum(s["series"] for s in sizes.values()),
            **{f"rel. MASE {p}": agg[k]["rel_mase"] for k, p in POINTS.items()},
            **{f"sMAPE {p}": agg[k]["smape"] for k, p in POINTS.items()},
            "median better (% series)": 100 * float(np.mean(mae_median < mae_mean)),
            "better point": _better(agg["tsheads"]["rel_mase"], agg["tsheads_median"]["rel_mase"]),
        }
    table = pd.DataFrame(rows).T.rename_axis("group")
    return table, aggregate(pooled)


def etth1_table(model, args, timings: Timings, notes: list) -> pd.DataFrame | None:
    """MSE/MAE of both points on ETTh1's validation windows, one row per horizon (None without the data)."""
    try:
        values, _, _ = etth1_normalised(args.data_dir)
    except DatasetNotFoundError as err:
        notes.append(f"skipped ETTh1: {str(err).split('. ')[0]}")
        return None
    start, end = ETTH1_SPLITS["val"]
    stride = args.etth1_stride * (8 if args.quick else 1)
    rows = {}
    for h in args.horizons:
        starts = np.arange(start, end - h + 1, stride)
        sums = score_network_and_naive(model, values, starts, h, args.batch_size, timings, f"ETTh1 val h={h}")
        rows[h] = {"windows": len(starts), **{f"MSE {p}": sums[k].mse for k, p in POINTS.items()},
                   **{f"MAE {p}": sums[k].mae for k, p in POINTS.items()},
                   "better point (MSE)": _better(sums["tsheads"].mse, sums["tsheads_median"].mse)}
    return pd.DataFrame(rows).T.rename_axis("h")


def _better(mean_score: float, median_score: float) -> str:
    """The rule: the lower score wins; a tie (or two NaNs) goes to the median."""
    return "mean" if mean_score < median_score else "median"


def run(args) -> Report:
    """Score both points on the validation windows and apply the rule."""
    timings, notes, tables = Timings(), [], {}
    with timings.time("load model + warm-up"):
        model = model_from_args(args)
    per_group, sizes = mcomp_scores(model, args, timings, notes)
    choice = None
    if per_group:
        table, pooled = mcomp_table(per_group, sizes)
        tables["M1 / M3 / M4 hourly validation windows (last h of each training part)"] = table
        tables["Validation groups"] = pd.DataFrame(sizes).T.rename_axis("group")
        choice = _better(pooled["tsheads"]["rel_mase"], pooled["tsheads_median"]["rel_mase"])
        notes.append(f"CHOICE (the rule): default point = {choice} (pooled relative MASE: mean "
                     f"{pooled['tsheads']['rel_mase']:.4f}, median {pooled['tsheads_median']['rel_mase']:.4f}).")
    etth1 = etth1_table(model, args, timings, notes)
    if etth1 is not None:
        tables["ETTh1 validation windows (targets in rows 8640-11519, normalised)"] = etth1
    if args.max_series or args.quick:
        notes.append("SUBSET: not every series of each group; the choice is not the published one.")
    notes += [
        "No test window of any suite is read: M groups use only train_df (its last h points held out), ETTh1 only "
        "windows whose targets lie in the validation block.",
        "mean = the forecast head's mean (MSE-trained); median = the 0.5 quantile of the quantile head; both from "
        "the same forward pass on the last min(512, length) points of history.",
        "relative MASE = geometric mean over series of MAE / MAE of seasonal naive (period m), as in "
        "mcomp_zero_shot; 'median better' counts series where the median's MAE is lower.",
    ]
    return Report(
        suite=SUITE, title="Default point forecast of ZeroShotForecaster: mean vs median on validation windows",
        command=suite_command(SUITE, args.argv), parameters=parameters(args),
        tables=tables, wall_times={k: round(v, 3) for k, v in timings.seconds.items()}, notes=notes,
        model=model_info(model, args), extra={"choice": choice},
        floatfmt={"Validation groups": ".0f"},
    )


def build_parser():
    """Suite options: which M groups, how many series, which ETTh1 horizons and window stride."""
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    p.add_argument("--max-series", type=int, default=None,
                   help="first N series of each group (default: all; 20 with --quick)")
    p.add_argument("--horizons", nargs="+", type=int, default=list(HORIZONS), help="ETTh1 horizons")
    p.add_argument("--etth1-stride", type=int, default=4, help="rows between ETTh1 validation windows (default 4)")
    return p


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.point_choice``: run, write ``point_choice.{md,json}``, print the table."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
