"""M1, M3 and M4-hourly holdout forecasts: tsheads zero-shot against the classical statistical peers.

Each series' official holdout (the last ``h`` points) is forecast from its training part. tsheads sees the
last (up to) 512 training points and is never fitted; seasonal naive, Naive2, ETS (statsmodels ``ETSModel``,
additive forms chosen by AICc) and Theta (statsmodels ``ThetaModel``) are fitted per series. Scores per group:
mean sMAPE, mean MASE and relative MASE (geometric mean over series of MASE / MASE of seasonal naive).

    python -m evaluation.mcomp_zero_shot [--data-dir DIR] [--quick] [--groups m3_monthly ...]
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from tsheads import Naive2, SeasonalNaive, load_dataset
from tsheads.errors import TsheadsError
from tsheads.inference import forecast_routed
from tsheads.metrics import seasonal_scale, smape
from tsheads.nn.config import RESOLUTIONS

from .common import base_parser, model_from_args, model_info, n_jobs, parameters, suite_main
from .peers import ets_forecast, map_series, theta_forecast
from .report import Report, Timings, suite_command

SUITE = "mcomp_zero_shot"
GROUPS = ("m3_monthly", "m3_quarterly", "m3_yearly", "m3_other", "m1_monthly", "m1_quarterly", "m1_yearly",
          "m4_hourly")
METHODS = ("tsheads", "tsheads_median", "snaive", "naive2", "ets", "theta")
LABELS = {"tsheads": "tsheads (mean)", "tsheads_median": "tsheads (median)", "snaive": "seasonal naive",
          "naive2": "Naive2", "ets": "ETS (AICc)", "theta": "Theta"}


@dataclass
class Group:
    name: str
    ids: list
    train: list            # 1-D arrays of different lengths
    test: np.ndarray       # (n, h)
    train_df: pd.DataFrame
    m: int

    @property
    def h(self) -> int:
        return self.test.shape[1]


def load_group(name: str, data_dir, max_series: int | None) -> Group:
    ds = load_dataset(name, data_dir=data_dir)
    ids = ds.ids[:max_series] if max_series else ds.ids
    train_df = ds.train_df[ds.train_df["unique_id"].isin(ids)]
    test_df = ds.test_df[ds.test_df["unique_id"].isin(ids)]
    train = dict(tuple(train_df.groupby("unique_id", sort=False)["y"]))
    test = dict(tuple(test_df.groupby("unique_id", sort=False)["y"]))
    return Group(name, list(ids), [train[i].to_numpy(np.float64) for i in ids],
                 np.stack([test[i].to_numpy(np.float64) for i in ids]), train_df, int(ds.seasonality))


# ------------------------------------------------------------------------------------------------ methods
def tsheads_forecast(model, group: Group, batch_size: int, resolution: int | None = None,
                     short=None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and median from the last (up to) context points of each series, left-padded and masked.

    ``resolution``: index into ``RESOLUTIONS`` for v2 networks (see :func:`group_resolution`); v1 ignores it.
    ``short``: a :class:`~tsheads.inference.ShortRoute` for series with a short history (see :func:`short_route`).
    """
    context = model.config.context_length
    length = min(context, max(len(y) for y in group.train))
    x = np.zeros((len(group.train), 1, length))
    observed = np.zeros_like(x, dtype=bool)
    for i, y in enumerate(group.train):
        tail = y[-length:]
        x[i, 0, length - len(tail):] = tail
        observed[i, 0, length - len(tail):] = True
    lengths = np.array([len(y) for y in group.train])
    mean, quant = forecast_routed(model, x, observed, group.h, lengths, short, batch_size=batch_size,
                                  resolution=resolution)
    median = list(model.config.quantiles).index(0.5)
    return mean[:, 0], quant[:, 0, median]


def short_route(args):
    """What ``ZeroShotForecaster()`` routes short histories to with the bundled weights (None: nothing, e.g.
    with ``--weights``, ``--model random`` or ``--short-history none``)."""
    if args.weights is not None or args.model != "pretrained" or args.short_history == "none":
        return None
    from tsheads import ZeroShotForecaster

    return ZeroShotForecaster(short_history="auto" if args.short_history == "auto" else int(args.short_history)
                              )._short_route()


def group_resolution(name: str) -> int:
    """The resolution bucket a group's name states (the M files carry integer steps, no dates): ``m3_monthly`` is
    monthly, ``m4_hourly`` hourly, ``m3_other`` unknown."""
    suffix = name.rsplit("_", 1)[-1]
    return RESOLUTIONS.index(suffix if suffix in RESOLUTIONS else "unknown")


def library_forecast(estimator, group: Group) -> np.ndarray:
    """Point forecasts of a tsheads baseline, rows in ``group.ids`` order."""
    fc = estimator.forecast(group.train_df, h=group.h)
    by_id = dict(tuple(fc.groupby("unique_id", sort=False)[estimator.model_name]))
    return np.stack([by_id[i].to_numpy(np.float64) for i in group.ids])


def per_series(fn, group: Group, jobs: int, desc: str) -> tuple[np.ndarray, dict]:
    """Point forecasts of a peer (:mod:`evaluation.peers`) for every series, and a count of how each was made."""
    out = map_series(fn, group.train, group.h, group.m, jobs, desc)
    return np.stack([f.mean for f in out]), dict(Counter(f.kind for f in out))


# ------------------------------------------------------------------------------------------------ scoring
def series_scores(group: Group, forecasts: dict) -> dict:
    """Per-series sMAPE, MASE (NaN where the in-sample scale is zero) and MAE for every method."""
    scales = np.full(len(group.train), np.nan)
    for i, y in enumerate(group.train):
        try:
            scales[i] = seasonal_scale(y, group.m)
        except TsheadsError:  # zero scale (constant history) or too short: MASE undefined for this series
            pass
    out = {}
    for method, fc in forecasts.items():
        abs_err = np.abs(group.test - fc).mean(axis=1)
        out[method] = {"smape": smape(group.test, fc, axis=-1), "mase": abs_err / scales, "mae": abs_err}
    return out


def aggregate(scores: dict) -> dict:
    """Mean sMAPE, mean MASE (defined series) and relative MASE vs seasonal naive, with skip counts.

    MASE_model / MASE_snaive equals MAE_model / MAE_snaive (same scale), so the ratio is taken on MAEs: it is
    defined even where the in-sample scale is zero, and only series with a zero seasonal-naive error are
    skipped (plus, per method, series the method forecast perfectly, whose log ratio would be -inf).
    """
    base = scores["snaive"]["mae"]
    out = {}
    for method, s in scores.items():
        ok = (base > 0) & (s["mae"] > 0)
        out[method] = {
            "smape": float(np.mean(s["smape"])),
            "mase": float(np.nanmean(s["mase"])) if np.isfinite(s["mase"]).any() else float("nan"),
            "rel_mase": float(np.exp(np.mean(np.log(s["mae"][ok] / base[ok])))) if ok.any() else float("nan"),
            "rel_skipped": int((~ok).sum()),
            "mase_undefined": int((~np.isfinite(s["mase"])).sum()),
        }
    return out


def run(args) -> Report:
    timings = Timings()
    jobs = n_jobs(args)
    max_series = args.max_series if args.max_series is not None else (3 if args.quick else None)
    wanted = set(args.methods) | {"snaive"} | ({"tsheads_median"} if "tsheads" in args.methods else set())
    methods = [m for m in METHODS if m in wanted]
    with timings.time("load model + warm-up"):
        model = model_from_args(args)
        short = short_route(args)

    per_group, sizes, kinds = {}, {}, {}
    for name in tqdm(args.groups, desc="groups", leave=False):
        with timings.time(f"load {name}"):
            group = load_group(name, args.data_dir, max_series)
        sizes[name] = (len(group.ids), group.h, group.m)
        fc = {}
        if "tsheads" in methods:
            with timings.time(f"tsheads {name}"):
                fc["tsheads"], fc["tsheads_median"] = tsheads_forecast(model, group, args.batch_size,
                                                                        group_resolution(name), short)
        with timings.time(f"snaive {name}"):
            fc["snaive"] = library_forecast(SeasonalNaive(season_length=group.m), group)
        if "naive2" in methods:
            with timings.time(f"naive2 {name}"):
                fc["naive2"] = library_forecast(Naive2(season_length=group.m), group)
        if "ets" in methods:
            with timings.time(f"ets {name}"):
                fc["ets"], kinds[("ets", name)] = per_series(ets_forecast, group, jobs, f"ETS {name}")
        if "theta" in methods:
            with timings.time(f"theta {name}"):
                fc["theta"], kinds[("theta", name)] = per_series(theta_forecast, group, jobs, f"Theta {name}")
        per_group[name] = series_scores(group, fc)

    everything = {m: {k: np.concatenate([per_group[g][m][k] for g in per_group]) for k in ("smape", "mase", "mae")}
                  for m in methods}
    agg = {g: aggregate(s) for g, s in per_group.items()}
    agg["all"] = aggregate(everything)

    def metric_table(key):
        df = pd.DataFrame({LABELS[m]: {g: agg[g][m][key] for g in agg} for m in methods})
        df.insert(0, "series", [sizes[g][0] if g in sizes else sum(s[0] for s in sizes.values()) for g in agg])
        df.index.name = "group"
        return df

    rel = metric_table("rel_mase")
    rel["skipped (seasonal naive MAE = 0)"] = [agg[g]["snaive"]["rel_skipped"] for g in agg]
    mase = metric_table("mase")
    mase["MASE undefined (zero scale)"] = [agg[g]["snaive"]["mase_undefined"] for g in agg]
    groups_table = pd.DataFrame({"series": [s[0] for s in sizes.values()], "h": [s[1] for s in sizes.values()],
                                 "m": [s[2] for s in sizes.values()]}, index=pd.Index(list(sizes), name="group"))
    time_table = pd.DataFrame({LABELS[m].replace(" (mean)", ""): {g: timings.seconds.get(f"{m} {g}", np.nan)
                                                                  for g in sizes}
                               for m in methods if m != "tsheads_median"})
    time_table.loc["all"] = time_table.sum()
    time_table.index.name = "group"
    fallback_table = pd.DataFrame(
        [{"method": LABELS[m], "group": g, **{k: kinds[(m, g)].get(k, 0) for k in ("ets", "ses", "theta", "naive")}}
         for (m, g) in kinds]).set_index(["method", "group"]) if kinds else pd.DataFrame()

    n_fallback = {"ets": 0, "theta": 0}
    for (method, _), how in kinds.items():
        n_fallback[method] += sum(n for kind, n in how.items() if kind != method)
    notes = [f"SUBSET: only the first {max_series} series of each group; not comparable with full-set numbers."
             ] if max_series else []
    notes += [
        "sMAPE in percent (0..200), M4 definition; MASE with the in-sample seasonal-naive scale of period m; "
        "relative MASE = geometric mean over series of MASE / MASE of seasonal naive (< 1 beats seasonal naive).",
        "'all' pools every series of the groups above (each scored with its own m), it is not a mean of group rows.",
        "tsheads: pretrained network, no fitting; context = the last min(512, length) training points. "
        "'mean' is the forecast head's mean, 'median' its 0.5 quantile. "
        + ("No short-history route." if short is None else
           f"As ZeroShotForecaster() does, series with at most {short.max_history} points of history (and h within "
           f"{short.model.config.horizon}) are forecast by the short-context companion "
           f"({short.model.config.context_length}-point context)."),
        f"ETS: statsmodels ETSModel (additive error) with trend none / additive damped and season none / additive "
        f"(only when m > 1 and length >= 2m), lowest AICc; {n_fallback['ets']} series fell back to simple "
        "exponential smoothing or naive (see fallbacks table).",
        f"Theta: statsmodels ThetaModel, deseasonalised (its seasonality test decides) when m > 1 and length >= 2m; "
        f"{n_fallback['theta']} series fell back to naive.",
        f"ETS and Theta ran in {jobs} process(es); tsheads used {args.batch_size}-row batches.",
    ]
    tables = {"Relative MASE (vs seasonal naive, geometric mean)": rel, "MASE (mean)": mase,
              "sMAPE (mean, %)": metric_table("smape"), "Groups": groups_table, "Wall time per method (s)": time_table}
    if kinds:
        tables["How each series was forecast (ETS / Theta fallbacks)"] = fallback_table
    return Report(
        suite=SUITE, title="M1 / M3 / M4-hourly zero-shot forecasting (official holdouts)",
        command=suite_command(SUITE, args.argv),
        parameters=parameters(args, max_series_effective=max_series, n_jobs_effective=jobs),
        tables=tables, wall_times={k: round(v, 3) for k, v in timings.seconds.items()}, notes=notes,
        model=model_info(model, args) if "tsheads" in methods else None,
        extra={"fallbacks": {f"{m} {g}": k for (m, g), k in kinds.items()}},
        floatfmt={"Groups": ".0f", "Wall time per method (s)": ".2f",
                  "How each series was forecast (ETS / Theta fallbacks)": ".0f"},
    )


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    p.add_argument("--methods", nargs="+", choices=("tsheads", "naive2", "ets", "theta"),
                   default=["tsheads", "naive2", "ets", "theta"],
                   help="seasonal naive always runs (it is the relative-MASE reference)")
    p.add_argument("--max-series", type=int, default=None,
                   help="first N series of each group (default: all; 3 with --quick)")
    p.add_argument("--short-history", default="auto",
                   help="as ZeroShotForecaster(short_history=...): 'auto' (the package default), a number, or 'none'")
    return p


def main(argv: list[str] | None = None) -> Report:
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
