"""Which pretrained encoder forecasts the M-competition series, on validation windows only.

Candidates are model files or training checkpoints (``--candidates name=path``; the bundled v1 is always in).
Each forecasts every series of M1, M3 and M4 hourly from its *training* part with the last ``h`` points held
out (``evaluation.point_choice.validation_group``; the official holdouts are never read), v2 networks with
the resolution the group's name states. ``--route short=long`` also scores the rule "series with at most
``T`` points of history go to ``short``, the rest to ``long``" for every ``T`` in ``--thresholds``.

Rule, fixed before the numbers: the candidate or route with the lowest relative MASE (0.5-quantile point,
the package default) pooled over every validation series is chosen; per-group rows, and v2 networks run
without the resolution (as for a frame with integer time steps), are shown as a check.

    python -m evaluation.encoder_choice --candidates v2_short=runs/v2-short/final --route v2_short=v1
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsheads import SeasonalNaive
from tsheads.nn.config import RESOLUTIONS
from tsheads.pretrain.validate import load_any

from .common import base_parser, model_from_args, model_info, parameters, suite_main, weights_digest
from .mcomp_zero_shot import GROUPS, aggregate, group_resolution, library_forecast, tsheads_forecast
from .mcomp_zero_shot import series_scores as scores_of
from .point_choice import validation_group
from .report import Report, Timings, suite_command

SUITE = "encoder_choice"
THRESHOLDS = (64, 128, 256, 512)


def candidate_models(args) -> tuple[dict, dict]:
    """``{"v1": bundled model, name: model from path, ...}`` in the order given, and what identifies each."""
    models = {"v1": model_from_args(args)}
    info = {"v1": model_info(models["v1"], args)}
    for spec in args.candidates:
        name, _, path = spec.partition("=")
        if not name or not path or name in models:
            raise SystemExit(f"--candidates takes distinct name=path pairs, got {spec!r}")
        models[name] = load_any(path)
        info[name] = {"path": path, "parameters": int(models[name].n_parameters()),
                      "weights_sha256": weights_digest(models[name]),
                      "config": models[name].config.to_dict()}
    return models, info


def routed(forecasts: dict, lengths: np.ndarray, short: str, long: str, threshold: int) -> np.ndarray:
    """Per series: the ``short`` model's forecast where the history has at most ``threshold`` points."""
    return np.where((lengths <= threshold)[:, None], forecasts[short], forecasts[long])


def run(args) -> Report:
    timings = Timings()
    models, info = candidate_models(args)
    routes = [tuple(r.split("=", 1)) for r in args.route]
    for pair in routes:
        if len(pair) != 2 or not set(pair) <= set(models):
            raise SystemExit(f"--route takes short=long with both among the candidates {sorted(models)}, got {pair}")
    max_series = args.max_series if args.max_series is not None else (20 if args.quick else None)
    per_group, sizes = {}, {}
    for name in args.groups:
        group, dropped = validation_group(name, args.data_dir, max_series)
        lengths = np.array([len(y) for y in group.train])
        fc = {}
        for label, model in models.items():
            with timings.time(f"{label} {name}"):
                _, fc[label] = tsheads_forecast(model, group, args.batch_size, group_resolution(name))
            if model.config.n_resolutions:  # what a frame with integer time steps (no dates) gets
                _, fc[f"{label} (resolution unknown)"] = tsheads_forecast(model, group, args.batch_size,
                                                                          RESOLUTIONS.index("unknown"))
        for short, long in routes:
            for t in args.thresholds:
                fc[f"{short} if history <= {t}, else {long}"] = routed(fc, lengths, short, long, t)
        fc["snaive"] = library_forecast(SeasonalNaive(season_length=group.m), group)
        per_group[name] = scores_of(group, fc)
        sizes[name] = {"series": len(group.ids), "dropped": dropped, "h": group.h, "m": group.m,
                       "median history": float(np.median(lengths))}
    methods = list(next(iter(per_group.values())))
    pooled = {m: {k: np.concatenate([per_group[g][m][k] for g in per_group]) for k in ("smape", "mase", "mae")}
              for m in methods}
    agg = {g: aggregate(s) for g, s in per_group.items()}
    agg["all"] = aggregate(pooled)
    shown = [m for m in methods if m != "snaive"]
    rel = pd.DataFrame({m: {g: agg[g][m]["rel_mase"] for g in agg} for m in shown}).T
    rel.index.name = "candidate"
    smape = pd.DataFrame({m: {g: agg[g][m]["smape"] for g in agg} for m in shown}).T
    smape.index.name = "candidate"
    best = rel["all"][[m for m in shown if "(resolution unknown)" not in m]].idxmin()
    groups = pd.DataFrame(sizes).T
    groups.index.name = "group"
    notes = [f"SUBSET: first {max_series} series per group; not comparable with full-set numbers."
             ] if max_series else []
    notes += [
        "VALIDATION split: the last h points of each training part are held out; the official test part is not read.",
        "Point forecast: the 0.5 quantile (the package default). Relative MASE: geometric mean over series of "
        "MAE / MAE of seasonal naive; 'all' pools every series.",
        "v2 networks get the resolution the group's name states (monthly, quarterly, yearly, hourly; m3_other: "
        "unknown), as ZeroShotForecaster does for a frame with dates; '(resolution unknown)' rows show what a frame "
        "with integer time steps gets (the M files have no dates). v1 has no resolution input.",
        f"Chosen by the rule (lowest pooled relative MASE): {best} ({rel.loc[best, 'all']:.3f}).",
    ]
    return Report(
        suite=SUITE, title="Encoder choice on M-competition validation windows",
        command=suite_command(SUITE, args.argv), parameters=parameters(args, max_series_effective=max_series),
        tables={"Relative MASE (vs seasonal naive, geometric mean)": rel, "sMAPE (mean, %)": smape,
                "Groups": groups},
        wall_times={k: round(v, 3) for k, v in timings.seconds.items()}, notes=notes,
        model=info["v1"], extra={"chosen": best, "candidates": info},
        floatfmt={"Groups": ".0f"},
    )


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    p.add_argument("--candidates", nargs="*", default=[], help="name=path of a model stem or a checkpoint file")
    p.add_argument("--route", nargs="*", default=[], help="short=long pairs of candidate names")
    p.add_argument("--thresholds", nargs="+", type=int, default=list(THRESHOLDS))
    p.add_argument("--max-series", type=int, default=None, help="first N series per group (default: all)")
    return p


def main(argv: list[str] | None = None) -> Report:
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
