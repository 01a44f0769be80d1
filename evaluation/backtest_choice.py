"""How many backtest origins ValidatedForecaster uses, and how far apart: chosen on validation windows only.

Each origin costs one network row per series and one classical forecast per candidate, so the number of
origins sets the speed. Validation windows as in ``evaluation.combination_choice`` (each series' M1 / M3 /
M4-hourly *training* part with its last ``h`` points held out, the official test parts never loaded; long
hourly corpus series with their last week held out; and Taylor-like half-hourly corpus windows, each fitted
alone as each Taylor origin is: :mod:`evaluation.corpus_validation`). Every
setting runs ``ValidatedForecaster`` with its other defaults (combination rule and intervals, chosen in
``evaluation.combination_choice``) on the same windows; scores: relative MASE pooled over every series, coverage
of the 80 and 95 % intervals, series per second (fit + predict).

Rule (set after a 20-series smoke run showed that a first rule, two separate tolerances, could select nothing;
before any full run): score = pooled relative MASE + mean absolute coverage error of the 80 and 95 % intervals;
among the settings whose score is within 0.005 of the lowest, the fastest (pooled series per second).

    python -m evaluation.backtest_choice [--data-dir DIR] [--quick] [--max-series N] [--groups ...]
"""

from __future__ import annotations

import tempfile
import time

import numpy as np
import pandas as pd

from tsheads.estimators.validated import ValidatedForecaster

from .combination_choice import GROUPS, LEVELS
from .combination_choice import build_parser as validation_parser
from .common import estimator_weights, model_from_args, model_info, parameters, suite_main
from .corpus_validation import HALF_HOURLY, frames_of, load_validation, season_arg, validation_groups
from .mcomp_zero_shot import aggregate, series_scores
from .report import Report, Timings, suite_command
from .validated_forecasting import in_order, seasonal_naive

SUITE = "backtest_choice"
#: (n_windows, step_size) pairs compared; step 0 stands for max(1, h // n_windows) (origins spread over a horizon)
SETTINGS = ((10, 1), (5, 1), (5, 0), (3, 0), (2, 0))
#: the combination suite's groups and the Taylor-like half-hourly windows (each fitted alone), each once: the
#: half-hourly group joined ``GROUPS`` too at 6490aa3, and until 81b014c it was run and pooled twice here
CHOICE_GROUPS = tuple(dict.fromkeys(GROUPS + (HALF_HOURLY,)))


def setting_name(n_windows: int, step: int) -> str:
    return f"{n_windows} origins, step {step if step else 'h/n'}"


def settings_of(pairs=SETTINGS) -> dict[str, dict]:
    """Setting name -> ``ValidatedForecaster`` keyword arguments (``step_size=None`` spreads over a horizon)."""
    return {setting_name(n, step): {"n_windows": n, "step_size": step or None} for n, step in pairs}


def run_setting(group, name: str, kwargs: dict, weights, args, timings: Timings) -> tuple[np.ndarray, dict, float]:
    """Point forecasts in group order, per-series hits of the 80 / 95 % bands, and series/s."""
    start, parts = time.perf_counter(), []
    with timings.time(f"{group.name} {name}"):
        for frame in frames_of(group):
            est = ValidatedForecaster(season_length=season_arg(group), weights=weights, batch_size=args.batch_size,
                                      **kwargs)
            parts.append(est.fit(frame).predict(group.h, level=list(LEVELS)))
    fc = pd.concat(parts, ignore_index=True)
    speed = len(group.ids) / (time.perf_counter() - start)
    name = est.model_name
    hits = {level: ((group.test >= in_order(fc, group, f"{name}-lo-{level}"))
                    & (group.test <= in_order(fc, group, f"{name}-hi-{level}"))).mean(axis=1) for level in LEVELS}
    return in_order(fc, group, name), hits, speed


def run(args) -> Report:
    """Run every setting on every group, pool, and apply the rule."""
    return compare_settings(args, settings_of(), SUITE,
                            "Backtest origins of ValidatedForecaster on M1 / M3 / M4-hourly validation windows")


def fastest_near_best(summary: pd.DataFrame) -> str:
    """This suite's rule: among settings whose score is within 0.005 of the lowest, the fastest."""
    near = summary[summary["score"] <= summary["score"].min() + 0.005]
    return near["series/s"].idxmax()


def compare_settings(args, settings: dict[str, dict], suite: str, title: str, choose=fastest_near_best) -> Report:
    """Every setting (name -> ``ValidatedForecaster`` keyword arguments) on every validation group; ``choose``
    picks one from the pooled summary (score = relative MASE + mean absolute coverage error)."""
    timings, notes, rows, pooled, hits, seconds, sizes = Timings(), [], {}, {}, {}, {}, {}
    with timings.time("load model"):
        model = model_from_args(args)
    max_series = args.max_series if args.max_series is not None else (20 if args.quick else None)
    names = list(settings)
    with tempfile.TemporaryDirectory() as folder:
        weights = estimator_weights(args, model, folder)
        with timings.time("warm-up (numba compiles statsforecast's models on first use)"):
            for name, kwargs in settings.items():
                run_setting(load_validation(args.groups[0], args.data_dir, 5), name, kwargs, weights, args,
                            Timings())
        for group in validation_groups(args.groups, args.data_dir, max_series, notes):
            group_name = group.name
            forecasts, sizes[group_name] = {}, len(group.ids)
            for name, kwargs in settings.items():
                forecasts[name], h, speed = run_setting(group, name, kwargs, weights, args, timings)
                for level in LEVELS:
                    hits.setdefault((name, level), []).append(h[level])
                seconds[name] = seconds.get(name, 0.0) + len(group.ids) / speed
                rows.setdefault(group_name, {})[f"{name} series/s"] = speed
            forecasts["snaive"] = seasonal_naive(group)
            scores = series_scores(group, forecasts)
            agg = aggregate(scores)
            rows[group_name].update({name: agg[name]["rel_mase"] for name in names})
            for k, s in scores.items():
                pooled.setdefault(k, []).append(s)
    summary, choice = pd.DataFrame(), None
    if sizes:
        merged = {k: {s: np.concatenate([p[s] for p in parts]) for s in ("smape", "mase", "mae")}
                  for k, parts in pooled.items()}
        agg = aggregate(merged)
        total = sum(sizes.values())
        summary = pd.DataFrame({name: {"relative MASE": agg[name]["rel_mase"],
                                       "cover 80": float(np.mean(np.concatenate(hits[(name, 80)]))),
                                       "cover 95": float(np.mean(np.concatenate(hits[(name, 95)]))),
                                       "series/s": total / seconds[name]} for name in names}).T
        summary["coverage error"] = ((summary["cover 80"] - 0.80).abs() + (summary["cover 95"] - 0.95).abs()) / 2
        summary = summary.astype(float)
        summary["score"] = summary["relative MASE"] + summary["coverage error"]
        choice = choose(summary)
        notes.append(f"CHOICE: {choice} (pooled relative MASE {summary.loc[choice, 'relative MASE']:.4f}, "
                     f"{summary.loc[choice, 'series/s']:.1f} series/s).")
    if args.max_series or args.quick:
        notes.append("SUBSET: not every series of each group; the choice is not the published one.")
    notes.append("series/s: ValidatedForecaster fit + predict with 80 / 95 % intervals, backtest included, on this "
                 "machine while other jobs may run; compare settings within the run, not across runs.")
    per_group = pd.DataFrame(rows).T.rename_axis("group")
    per_group.insert(0, "series", pd.Series(sizes))
    return Report(
        suite=suite, title=title, command=suite_command(suite, args.argv), parameters=parameters(args),
        tables={"Pooled over every validation series": summary.rename_axis("setting"),
                "Per group: relative MASE and series/s": per_group},
        wall_times={k: round(v, 3) for k, v in timings.seconds.items()}, notes=notes,
        model=model_info(model, args), extra={"choice": choice},
    )


def build_parser():
    """The options of ``evaluation.combination_choice``: which groups and how many series of each."""
    return validation_parser(__doc__.splitlines()[0], CHOICE_GROUPS)


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.backtest_choice``: run, write ``backtest_choice.{md,json}``, print the tables."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
