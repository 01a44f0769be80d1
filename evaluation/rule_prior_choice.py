"""ValidatedForecaster's combination rule and frame prior, chosen together on validation windows.

Until this suite the rule (``evaluation.combination_choice``: lowest pooled relative MASE) and the prior
(``evaluation.frame_prior_choice``: lowest relative MASE + coverage error) were chosen in turns, each at the
other's default, and the turns did not settle (12 with ``inverse2_top3``, then ``inverse_top3`` at 12, then 16
with it; the README has the sequence). Here every pair of a rule of :data:`tsheads.combine.RULES` and a prior of
:data:`evaluation.frame_prior_choice.STRENGTHS` is scored by one number on the same windows.

Validation windows as in ``evaluation.backtest_choice`` (each series' M1 / M3 / M4-hourly *training* part with its
last ``h`` points held out, the official test parts never loaded; long hourly corpus series with their last week
held out; the Taylor-like half-hourly windows, each fitted alone, where the prior has nothing to lean on).
``ValidatedForecaster`` runs once per frame with its defaults (and once more at prior 0 when the pooled linear
candidate is a default, as its forecasts change there); every pair then re-weights the same backtests
(:func:`tsheads.estimators.validated.combine_candidates`, the estimator's own combination step), and the bands
are the default normalised conformal ones from that pair's own backtest residuals, as the estimator would build
them.

Rule, fixed before the run: score = pooled relative MASE + mean absolute coverage error of the 80 and 95 %
intervals (the score of ``evaluation.frame_prior_choice`` and ``evaluation.backtest_choice``); the lowest wins;
pairs within 0.0005 of the lowest go to the weaker prior, then to the earlier rule in ``RULES``.

    python -m evaluation.rule_prior_choice [--data-dir DIR] [--quick] [--max-series N] [--groups ...]
"""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd

from tsheads.combine import DEFAULT_RULE, RULES
from tsheads.estimators.validated import (
    DEFAULT_CANDIDATES,
    DEFAULT_FRAME_PRIOR,
    ValidatedForecaster,
    combine_candidates,
    interval_bands,
)

from .backtest_choice import build_parser
from .combination_choice import LEVELS
from .common import estimator_weights, model_from_args, model_info, parameters, suite_main
from .corpus_validation import frames_of, season_arg, validation_groups
from .frame_prior_choice import STRENGTHS
from .mcomp_zero_shot import aggregate, series_scores
from .report import Report, Timings, suite_command
from .validated_forecasting import seasonal_naive

SUITE = "rule_prior_choice"
#: the pair the defaults held before this suite's first run (clean 70214a7 chose ``inverse_top3`` at 16)
PREVIOUS = ("evidence0.33_top3", 8.0)
#: how close to the lowest score counts as a tie (as in ``evaluation.frame_prior_choice``)
TIE = 0.0005


def pair_name(rule: str, prior: float) -> str:
    return f"{rule}, prior {prior:g}"


def frame_outputs(est: ValidatedForecaster, h: int) -> dict:
    """What re-weighting needs from one fitted and run estimator."""
    names = list(est.backtest_errors_.columns)
    return dict(ids=list(est.chosen_.index), names=names, errors=est.backtest_errors_.to_numpy(),
                final=est.candidate_forecasts_, back=est.backtest_forecasts_, actuals=est.backtest_actuals_,
                points=est.chosen_["origins"].to_numpy() * h, quants=est.network_quantiles_,
                levels=est.model_.config.quantiles, spread=est.network_spread_, model=est.model_name)


def reweighted(out: dict, rule: str, prior: float) -> tuple[np.ndarray, dict]:
    """One frame's point forecasts and 80 / 95 % bands under ``rule`` and ``prior``."""
    _, point, residuals = combine_candidates(out["errors"], out["names"], out["final"], out["back"],
                                             out["actuals"], rule, prior, out["points"])
    no_choice = ~np.isfinite(out["errors"]).any(axis=1)
    bands = interval_bands("normalized", out["model"], point, residuals, no_choice, out["quants"], out["levels"],
                           out["spread"], list(LEVELS), [])
    return point, bands


def group_pairs(group, outputs: list, pairs: list) -> tuple[dict, dict]:
    """Per pair: point forecasts in group order, and per-series hits of the 80 / 95 % bands."""
    points, hits = {}, {}
    for rule, prior in pairs:
        rows, fc, band = {}, [], {level: [] for level in LEVELS}
        for out in outputs:
            point, bands = reweighted(out, rule, prior)
            for r, uid in enumerate(out["ids"]):
                rows[uid] = (len(fc), r)
            fc.append(point)
            for level in LEVELS:
                band[level].append((bands[f"{out['model']}-lo-{level}"], bands[f"{out['model']}-hi-{level}"]))
        order = [rows[i] for i in group.ids]
        name = pair_name(rule, prior)
        points[name] = np.stack([fc[f][r] for f, r in order])
        hits[name] = {}
        for level in LEVELS:
            lo = np.stack([band[level][f][0][r] for f, r in order])
            hi = np.stack([band[level][f][1][r] for f, r in order])
            hits[name][level] = ((group.test >= lo) & (group.test <= hi)).mean(axis=1)
    return points, hits


def stored_priors() -> tuple:
    """The priors the estimator runs at: the default, whose backtests every pair with a prior re-weights, and 0
    too where a default candidate's forecasts change at 0 (the pooled linear model fits one model per series
    there, so pairs at prior 0 re-weight those backtests instead)."""
    return (DEFAULT_FRAME_PRIOR, 0.0) if "linear" in DEFAULT_CANDIDATES else (DEFAULT_FRAME_PRIOR,)


def choose(summary: pd.DataFrame, pairs: list) -> str:
    """The rule: the lowest score; within :data:`TIE` of it, the weaker prior, then the earlier rule."""
    near = [p for p in pairs if summary.loc[pair_name(*p), "score"] <= summary["score"].min() + TIE]
    rule, prior = min(near, key=lambda p: (p[1], RULES.index(p[0])))
    return pair_name(rule, prior)


def run(args) -> Report:
    """Run the estimator once per frame, re-weight every pair, pool, and apply the rule."""
    timings, notes, sizes, per_group = Timings(), [], {}, {}
    pairs = [(rule, float(prior)) for prior in STRENGTHS for rule in RULES]
    pooled: dict = {}
    hits_all: dict = {}
    with timings.time("load model"):
        model = model_from_args(args)
    max_series = args.max_series if args.max_series is not None else (20 if args.quick else None)
    with tempfile.TemporaryDirectory() as folder:
        weights = estimator_weights(args, model, folder)
        for group in validation_groups(args.groups, args.data_dir, max_series, notes):
            name = group.name
            with timings.time(f"validated {name}"):
                outputs = {prior: [] for prior in stored_priors()}
                for frame in frames_of(group):
                    for prior, runs in outputs.items():
                        est = ValidatedForecaster(season_length=season_arg(group), weights=weights,
                                                  batch_size=args.batch_size, frame_prior=prior)
                        est.fit(frame).predict(group.h)
                        runs.append(frame_outputs(est, group.h))
            with timings.time(f"re-weight {name}"):
                points, hits = {}, {}
                for prior, runs in outputs.items():
                    wanted = [p for p in pairs if (p[1] == 0) == (prior == 0)]
                    part = group_pairs(group, runs, wanted)
                    points.update(part[0])
                    hits.update(part[1])
            points["snaive"] = seasonal_naive(group)
            scores = series_scores(group, points)
            agg = aggregate(scores)
            per_group[name] = {k: agg[k]["rel_mase"] for k in points if k != "snaive"}
            sizes[name] = len(group.ids)
            for k, s in scores.items():
                pooled.setdefault(k, []).append(s)
            for k, h in hits.items():
                for level in LEVELS:
                    hits_all.setdefault((k, level), []).append(h[level])
    summary, choice = pd.DataFrame(), None
    if sizes:
        merged = {k: {s: np.concatenate([p[s] for p in parts]) for s in ("smape", "mase", "mae")}
                  for k, parts in pooled.items()}
        agg = aggregate(merged)
        names = [pair_name(*p) for p in pairs]
        summary = pd.DataFrame({n: {"relative MASE": agg[n]["rel_mase"],
                                    "cover 80": float(np.mean(np.concatenate(hits_all[(n, 80)]))),
                                    "cover 95": float(np.mean(np.concatenate(hits_all[(n, 95)])))}
                                for n in names}).T.astype(float)
        summary["coverage error"] = ((summary["cover 80"] - 0.80).abs() + (summary["cover 95"] - 0.95).abs()) / 2
        summary["score"] = summary["relative MASE"] + summary["coverage error"]
        choice = choose(summary, pairs)
        default, previous = pair_name(DEFAULT_RULE, DEFAULT_FRAME_PRIOR), pair_name(*PREVIOUS)
        notes.append(f"CHOICE: {choice} (score {summary.loc[choice, 'score']:.4f}, pooled relative MASE "
                     f"{summary.loc[choice, 'relative MASE']:.4f}); the default of this run, {default}: score "
                     f"{summary.loc[default, 'score']:.4f}, relative MASE {summary.loc[default, 'relative MASE']:.4f}; "
                     f"the pair before the first run, {previous}: score {summary.loc[previous, 'score']:.4f}.")
    if args.max_series or args.quick:
        notes.append("SUBSET: not every series of each group; the choice is not the published one.")
    tables = {}
    if len(summary):
        grid = pd.DataFrame({"rule": [p[0] for p in pairs], "prior": [p[1] for p in pairs],
                             "score": summary.loc[[pair_name(*p) for p in pairs], "score"].to_numpy()})
        tables["Score (relative MASE + coverage error) of every rule (rows) and prior (columns)"] = grid.pivot(
            index="rule", columns="prior", values="score").loc[list(RULES)]
        best = summary.sort_values("score").head(15)
        keep = list(dict.fromkeys([*best.index, choice, default, previous]))
        tables["The fifteen best pairs, the choice, the run's default and the pair before the first run"] = \
            summary.loc[keep].rename_axis("pair")
        shown = list(dict.fromkeys([choice, default, previous]))
        table = pd.DataFrame({g: {n: per_group[g][n] for n in shown} for g in per_group}).T.rename_axis("group")
        table.insert(0, "series", pd.Series(sizes))
        tables["Per group: relative MASE of the choice, the run's default and the pair before the first run"] = table
    return Report(
        suite=SUITE, title="Combination rule and frame prior of ValidatedForecaster, chosen together on "
                           "validation windows",
        command=suite_command(SUITE, args.argv), parameters=parameters(args), tables=tables,
        wall_times={k: round(v, 3) for k, v in timings.seconds.items()}, notes=notes,
        model=model_info(model, args), extra={"choice": choice},
    )


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.rule_prior_choice``: run, write ``rule_prior_choice.{md,json}``, print the tables."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
