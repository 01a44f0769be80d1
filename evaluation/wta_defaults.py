"""WTA forecaster with its defaults (only ``h`` and the seed set) against the classical peers on M-competition sets.

A new user writes ``WTAForecaster(h=H, random_state=0).fit(df)``; this suite measures that, per group, against
the naive forecast (random walk), seasonal naive, Naive2, statsmodels ETS (AICc) and Theta fitted per series in
the same run. Scores: mean sMAPE, mean MASE and OWA (vs Naive2, M4 definition), and for tsheads the CRPS (mean
weighted quantile loss over 0.05..0.95), the 80/95 % coverage out of sample, the anchor it chose, whether it
fell back to the anchor, and its training time.

``--split validation`` (default) holds out the last ``h`` points of each *training* part and never reads the
official test part: use it to choose anything. ``--split test`` forecasts the official holdouts. The group
``corpus_hourly_positive`` (validation only) is the hourly corpus of :mod:`evaluation.corpus_validation`, twelve
weeks of history and one held out, kept to the windows whose history is above 0, so ``transform="auto"`` can
take their log.

Each finished WTA variant and the peers of each group are kept under ``--cache-dir`` (off by default) with the
run's commit and settings, so an interrupted run resumes where it stopped. Results go to
``wta_defaults_<split>.md`` (defaults only) or ``wta_ablations_<split>.md`` (with ``--variants``)::

    python -m evaluation.wta_defaults [--split validation|test] [--groups m3_yearly ...] [--cache-dir runs/wta_defaults]
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from tsheads import Naive2, SeasonalNaive
from tsheads.estimators.wta import WTAForecaster
from tsheads.files import partial_path, publish
from tsheads.metrics import mean_weighted_quantile_loss, owa

from .common import base_parser, load_model, model_info, n_jobs, parameters, suite_main
from .mcomp_zero_shot import Group, library_forecast, load_group, series_scores
from .peers import ets_forecast, map_series, theta_forecast
from .point_choice import validation_group
from .report import Report, Timings, machine_info, suite_command
from .wta_forecasting import LEVELS, QUANTILES, _bands, _coverages, _matrix

SUITE = "wta_defaults"
GROUPS = ("m4_hourly", "m3_yearly", "m3_quarterly", "m3_monthly", "m1_yearly", "m1_quarterly", "m1_monthly")
#: validation only: the hourly corpus windows whose history is above 0 (so the log transform can apply)
CORPUS = "corpus_hourly_positive"
WTA = "tsheads WTA (defaults)"
VARIANTS = {  # ablations (issue 18): one change each to the defaults
    "defaults": {}, "sigmoid": {"score_heads": "sigmoid"}, "no_anchor": {"season_length": None},
    "k1": {"n_hypotheses": 1}, "k4": {"n_hypotheses": 4}, "k16": {"n_hypotheses": 16},
    "tuned_encoder": {"backbone_learning_rate": 3e-5}, "epochs20": {"max_epochs": 20},
    "no_deseasonalise": {"deseasonalise": False}, "anchor_last": {"anchor": "last"},
    "anchor_held_out": {"anchor": "held_out"},
    "network_only": {"anchor_weight": 0.0}, "no_validated": {"validated_weight": 0.0},
    "log_transform": {"transform": "log"}, "no_transform": {"transform": None},
    # a seasonal anchor (a daily cycle) on hourly series where "auto" finds none, with and without the log
    "season24": {"season_length": 24}, "season24_no_transform": {"season_length": 24, "transform": None},
}
PEERS = ("naive", "seasonal naive", "Naive2", "ETS", "Theta")
QUICK_SERIES = 6


def result_name(args) -> str:
    """The results file: ``wta_defaults_<split>``, or ``wta_ablations_<split>`` when other variants ran too."""
    return f"wta_{'defaults' if list(args.variants) == ['defaults'] else 'ablations'}_{args.split}"


def variant_label(variant: str) -> str:
    return WTA if variant == "defaults" else f"tsheads WTA {variant}"


def fit_wta(args, group: Group, timings: Timings, variant: str = "defaults") -> tuple[np.ndarray, dict]:
    """Points ``(n, h)`` of ``WTAForecaster(h, random_state)`` with every other setting at its default (but the
    variant's change), and what it did (anchor, anchor weight, epochs, CRPS and coverage on ``group.test``)."""
    extra = {"backbone": "random", "max_epochs": 1, "steps_per_epoch": 2} if args.model == "random" else {}
    extra.update(VARIANTS[variant])
    if args.weights:
        extra["backbone"] = args.weights
    if args.quick:
        extra.setdefault("max_epochs", 2)
    wta = WTAForecaster(h=group.h, random_state=args.seed, **extra)
    key = f"{group.name} {variant_label(variant)}"
    with timings.time(f"{key} fit"):
        wta.fit(group.train_df)
    with timings.time(f"{key} predict"):
        fc = wta.predict(level=list(LEVELS), quantiles=list(QUANTILES))
    point, bands = _matrix(fc, "WTA", group.ids), _bands(fc, "WTA", group.ids)
    alpha = "fitted" if wta.anchor_alpha_ is None else wta.anchor_alpha_
    details = {"anchor period": int(wta.season_length_), "anchor alpha": alpha,
               "anchor beta": float(wta.anchor_beta_), "deseasonal period": int(wta.deseasonal_period_),
               "anchor weight": float(wta.anchor_weight_), "transform": str(wta.transform_),
               "held-out MAE model": wta.anchor_check_["model"], "held-out MAE anchor": wta.anchor_check_["anchor"],
               "held-out MAE blend": wta.anchor_check_["blend"],
               "validated weight": float(wta.validated_weight_),
               "last-window MAE model": wta.validated_check_.get("model", np.nan),
               "last-window MAE validated": wta.validated_check_.get("validated", np.nan),
               "epochs": len(wta.history_), "heads used": int(wta.n_heads_used_),
               "CRPS (wQL)": mean_weighted_quantile_loss(group.test, bands[..., 2 * len(LEVELS):], QUANTILES),
               **_coverages(group.test, bands[..., :2 * len(LEVELS)]),
               "train s": timings.seconds[f"{key} fit"], "predict s": timings.seconds[f"{key} predict"]}
    return point, details


def positive_corpus_group(max_series: int | None) -> tuple[Group, int]:
    """The hourly corpus windows of :mod:`evaluation.corpus_validation` whose history is all above 0 (so
    ``transform="auto"`` takes their log) as a group, and how many were left out for a value <= 0."""
    from dataclasses import replace

    from .corpus_validation import corpus_group

    full = corpus_group()
    positive = [i for i, y in enumerate(full.train) if np.all(y > 0)]
    keep = positive[:max_series or None]
    ids = [full.ids[i] for i in keep]
    return replace(full, name=CORPUS, ids=ids, train=[full.train[i] for i in keep], test=full.test[keep],
                   train_df=full.train_df[full.train_df["unique_id"].isin(ids)]), len(full.ids) - len(positive)


def peer_forecasts(args, group: Group, timings: Timings) -> tuple[dict, dict]:
    """Point forecasts ``(n, h)`` of every peer, and their seconds."""
    out = {}
    for label, estimator in (("naive", SeasonalNaive(season_length=1)),
                             ("seasonal naive", SeasonalNaive(season_length=group.m)),
                             ("Naive2", Naive2(season_length=group.m))):
        with timings.time(f"{group.name} {label}"):
            out[label] = library_forecast(estimator, group)
    for label, fn in (("ETS", ets_forecast), ("Theta", theta_forecast)):
        with timings.time(f"{group.name} {label}"):
            out[label] = np.stack([f.mean for f in map_series(fn, group.train, group.h, group.m, n_jobs(args),
                                                              f"{label} {group.name}")])
    return out, {label: timings.seconds[f"{group.name} {label}"] for label in out}


def group_result(args, name: str, timings: Timings, key: str) -> dict:
    """Scores of every method on one group: {"methods": {label: {sMAPE, MASE, OWA}}, "wta": details, ...}.

    Each WTA variant and the peers are kept under ``--cache-dir`` as they finish (:func:`cached`).
    """
    max_series = args.max_series or (QUICK_SERIES if args.quick else None)
    if name == CORPUS:
        if args.split != "validation":
            raise SystemExit(f"{CORPUS} is a validation group only (the corpus is never a test set)")
        group, dropped = positive_corpus_group(max_series)
    elif args.split == "validation":
        group, dropped = validation_group(name, args.data_dir, max_series)
    else:
        group, dropped = load_group(name, args.data_dir, max_series), 0
    forecasts, details, reused = {}, {}, []
    for variant in args.variants:
        label = variant_label(variant)
        (points, details[label]), hit = cached(args, key, f"{name}-{variant}", lambda: fit_wta(args, group, timings,
                                                                                                variant))
        forecasts[label] = np.asarray(points, dtype=np.float64)
        reused += [label] * hit
    (peers, seconds), hit = cached(args, key, f"{name}-peers", lambda: peer_forecasts(args, group, timings))
    forecasts.update({label: np.asarray(p, dtype=np.float64) for label, p in peers.items()})
    reused += ["peers"] * hit
    scores = series_scores(group, forecasts)
    defined = np.isfinite(scores["Naive2"]["mase"])
    methods = {}
    for label, sc in scores.items():
        methods[label] = {"sMAPE": float(sc["smape"].mean()), "MASE": float(np.nanmean(sc["mase"])),
                          "OWA": owa(sc["smape"][defined], sc["mase"][defined], scores["Naive2"]["smape"][defined],
                                     scores["Naive2"]["mase"][defined])}
    seconds = {**seconds, **{f"{label} fit": d["train s"] for label, d in details.items()}}
    return {"methods": methods, "wta": details, "series": len(group.ids), "dropped": dropped, "h": group.h,
            "m": group.m, "mase_undefined": int((~defined).sum()), "seconds": seconds, "reused": reused}


# ------------------------------------------------------------------------------------------------ resuming
def cache_key(args) -> str:
    """What a cached result must have been made with: commit (clean tree only), split, seed, subset, model."""
    git = machine_info()
    if not args.cache_dir or git.get("git_dirty") is not False:
        return ""  # off, or uncommitted code: never reused
    made = [git["git_commit"], args.split, args.seed, args.max_series, args.quick, args.model, args.weights]
    return hashlib.sha256(json.dumps(made, default=str).encode()).hexdigest()[:16]


def cached(args, key: str, unit: str, compute):
    """``compute()`` (JSON-able, arrays as lists), read from ``--cache-dir`` when the same :func:`cache_key` made
    it there, else kept there (written whole, then renamed); and whether it was read back. ``key`` "": off."""
    path = Path(args.cache_dir or ".") / f"{args.split}-{unit}.json"
    if key and path.is_file():
        stored = json.loads(path.read_text())
        if stored.get("key") == key:
            return stored["value"], True
    value = json.loads(json.dumps(compute(), default=lambda a: np.asarray(a).tolist()))
    if key:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = partial_path(path)
        temp.write_text(json.dumps({"key": key, "value": value}))
        publish([temp], [path], "cached result")
    return value, False


# ------------------------------------------------------------------------------------------------ suite
def run(args) -> Report:
    timings = Timings()
    key = cache_key(args)
    results = {name: group_result(args, name, timings, key) for name in tqdm(args.groups, desc="groups", leave=False)}
    methods = [*(variant_label(v) for v in args.variants), *PEERS]

    def by_group(metric: str) -> pd.DataFrame:
        df = pd.DataFrame({m: {g: r["methods"][m][metric] for g, r in results.items()} for m in methods})
        df.index.name = "group"
        return df

    table = by_group("OWA")
    table.loc["mean of groups"] = table.mean()
    details = pd.DataFrame([{"group": g, "variant": v, **d} for g, r in results.items() for v, d in r["wta"].items()])
    details = details.set_index(["group", "variant"])
    dropped = "dropped (too short; corpus: a value <= 0)"
    groups = pd.DataFrame({g: {"series": r["series"], dropped: r["dropped"], "h": r["h"], "m": r["m"],
                               "MASE undefined": r["mase_undefined"]} for g, r in results.items()}).T
    groups.index.name = "group"

    wta = table[variant_label(args.variants[0])].drop("mean of groups")
    beats = {p: [g for g in wta.index if wta[g] < table.loc[g, p]] for p in ("naive", "ETS", "Theta")}
    notes = [f"SUBSET: the first {args.max_series or QUICK_SERIES} series of each group; not comparable."
             ] if args.quick or args.max_series else []
    reused = [f"{g}: {', '.join(r['reused'])}" for g, r in results.items() if r["reused"]]
    notes += [f"Read back from {args.cache_dir} (same commit and settings, an earlier run): {'; '.join(reused)}."
              ] if reused else []
    notes += [
        ("VALIDATION split: the last h points of each training part are held out and forecast from the points "
         "before them; the official test part is not read." if args.split == "validation" else
         "TEST split: the official holdouts, forecast from the whole training parts."),
        f"tsheads: WTAForecaster(h=h, random_state={args.seed}) with every other setting at its default "
        "(season_length='auto', anchor='auto', deseasonalise='auto', K = 8, relaxed WTA, 40 epochs x 50 "
        "batches with early stopping, the bundled encoder); its held-out check compares its median with the "
        "anchor on its own last 10 % of each series.",
        "OWA = (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2 over group means (series with an undefined MASE "
        "scale left out of both); naive = the last value repeated (random walk).",
        *(f"{variant_label(args.variants[0])} OWA below {p} in {len(g)} of {len(wta)} groups: {', '.join(g) or 'none'}."
          for p, g in beats.items()),
    ]
    return Report(
        suite=result_name(args), title=f"WTA forecaster with its defaults on M-competition sets ({args.split} split)",
        command=suite_command(SUITE, args.argv),
        parameters=parameters(args, n_jobs_effective=n_jobs(args)),
        tables={"OWA (vs Naive2)": table, "sMAPE (mean, %)": by_group("sMAPE"), "MASE (mean)": by_group("MASE"),
                "tsheads WTA: anchor, anchor weight, probabilistic scores": details, "Groups": groups},
        wall_times={f"{g} {k}": round(v, 3) for g, r in results.items() for k, v in r["seconds"].items()},
        notes=notes,
        extra={"results": results},
        model=model_info(load_model(args.model, args.seed, args.weights, warm_up=False), args),  # the backbone
        floatfmt={"sMAPE (mean, %)": ".2f", "Groups": ".0f"},
    )


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--split", choices=("validation", "test"), default="validation")
    p.add_argument("--groups", nargs="+", choices=(*GROUPS, CORPUS), default=list(GROUPS),
                   help=f"groups (default the M ones; {CORPUS}: validation only)")
    p.add_argument("--max-series", type=int, default=None, help=f"first N series per group (default all; "
                                                                  f"{QUICK_SERIES} with --quick)")
    p.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=["defaults"],
                   help="WTA rows: the defaults and ablations, each one change to them (the first gets the notes)")
    p.add_argument("--cache-dir", default=None, help="keep finished groups here and reuse them (clean tree only)")
    return p


def main(argv: list[str] | None = None) -> Report:
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
