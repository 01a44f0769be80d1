"""How the WTA forecaster's M4-hourly settings are chosen, on validation windows only.

The official M4 test part is never read: only each series' *training* part is used (``train_df``, from
``Hourly-train.csv``), with its last h = 48 points held out. Every candidate is fitted on the points before
them (its own early stopping and kernel calibration use the last 10 % of those, as always) and forecasts
the 48 held-out points. Scores as in ``evaluation.wta_forecasting``: OWA vs Naive2, sMAPE, MASE, CRPS (mean
weighted quantile loss over 0.05..0.95) and 80/95 % coverage; seasonal naive and Naive2 on the same windows
are shown for reference. Every candidate gets the same training budget (``--epochs`` x ``--steps-per-epoch``)
and seed.

Candidates (:data:`CANDIDATES`, each a change to ``wta_forecasting.M4_SETTINGS``): the settings the README's
trial runs settled on (seasonal-naive anchor of 24 h, K = 8, heads' rate 3e-4, the estimator's encoder rate:
0 now, 3e-5 before); no anchor (hypotheses learned whole); K = 4; the heads' rate 1e-3 and 1e-4;
the encoder fine-tuned at 3e-5.

Rule, fixed before the numbers: the candidate with the lowest validation OWA is chosen; a tie goes to the one
listed first. The choice goes into the JSON result (``choice``), from which the test-set suite takes it::

    python -m evaluation.wta_settings_choice [--data-dir DIR] [--quick] [--candidates committed no_anchor ...]
    python -m evaluation.wta_forecasting --m4-settings-from evaluation/results/wta_settings_choice.json
"""

from __future__ import annotations

import pandas as pd

from tsheads.estimators.wta import WTAForecaster

from .common import base_parser, load_model, model_info, parameters, suite_main
from .point_choice import validation_group
from .report import Report, Timings, suite_command
from .wta_forecasting import (
    M4_SETTINGS,
    add_training_arguments,
    fit_predict_wta,
    m4_baselines,
    m4_table,
    training_defaults,
    training_summary,
)

SUITE = "wta_settings_choice"
CANDIDATES = {  # name -> change to M4_SETTINGS; the first is what the README's trial runs settled on
    "committed": {},
    "no_anchor": {"season_length": None},
    "k4": {"n_hypotheses": 4},
    "lr_1e-3": {"learning_rate": 1e-3},
    "lr_1e-4": {"learning_rate": 1e-4},
    "tuned_encoder": {"backbone_learning_rate": 3e-5},
}
DEFAULTS = {k: v for k, v in WTAForecaster(h=1).get_params().items()  # the estimator's own, shown in the table
            if k in ("learning_rate", "backbone_learning_rate")}
QUICK_SERIES = 4
FLOATFMT = {"sMAPE": ".2f", "heads lr": ".0e", "encoder lr": ".0e", "train s": ".1f", "predict s": ".2f"}


def candidate_settings(name: str) -> dict:
    """The full M4 settings of a candidate."""
    return {**M4_SETTINGS, **CANDIDATES[name]}


def settings_table(names) -> pd.DataFrame:
    """What each candidate sets: anchor period (0 = none), K and the two learning rates."""
    rows = {}
    for name in names:
        s = {**DEFAULTS, **candidate_settings(name)}
        rows[name] = {"season_length (0 = no anchor)": int(s["season_length"] or 0), "K": int(s["n_hypotheses"]),
                      "heads lr": float(s["learning_rate"]), "encoder lr": float(s["backbone_learning_rate"])}
    return pd.DataFrame(rows).T.astype({"season_length (0 = no anchor)": int, "K": int})


def run(args) -> Report:
    """Fit every candidate on the training parts less their last 48 points, score those points, apply the rule."""
    timings, notes = Timings(), []
    args.candidates = [c for c in CANDIDATES if c in args.candidates]  # the listed order decides ties
    max_series = args.max_series or (QUICK_SERIES if args.quick else None)
    with timings.time("load (training parts only)"):
        group, dropped = validation_group("m4_hourly", args.data_dir, max_series)
    points, quants, times = m4_baselines(group.train_df, group.h, group.m, group.ids, timings)
    for name in args.candidates:
        wta, points[name], quants[name] = fit_predict_wta(args, candidate_settings(name), group.train_df, group.ids,
                                                          timings, name)
        times[name] = (timings.seconds[f"{name} fit"], timings.seconds[f"{name} predict"])
        notes.append(f"{name}: {training_summary(wta)}.")
    scores = m4_table(group.test, group.train, group.m, points, quants, times)
    table = settings_table(args.candidates).join(scores.loc[list(args.candidates)])
    table.index.name = "candidate"
    best = str(table["OWA"].astype(float).idxmin())  # the first of equal minima: ties go to the earlier candidate
    complete = not (args.quick or args.max_series) and list(args.candidates) == list(CANDIDATES)
    notes.insert(0, f"CHOICE (the rule: lowest validation OWA): {best} (OWA {table.loc[best, 'OWA']:.4f}), "
                    f"settings {candidate_settings(best)}. Use it on the test set with: python -m "
                    "evaluation.wta_forecasting --m4-settings-from <this JSON file>.")
    if not complete:
        notes.insert(1, "SUBSET (--quick, --max-series or --candidates): not the published choice; "
                        "evaluation.wta_forecasting refuses it for a full run.")
    notes += [
        f"{len(group.ids)} M4 hourly series ({dropped} dropped as too short); validation window = the last {group.h} "
        "points of each series' training part, forecast from the points before them. The official test part "
        "(Hourly-test.csv) is not used.",
        f"Training budget of every candidate: at most {args.epochs} epochs x {args.steps_per_epoch} batches, early "
        "stopping on the last 10 % of each fitted history; seed "
        f"{args.seed}. OWA = (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2 over dataset means; MASE scale = "
        "the in-sample seasonal naive error (m = 24) of the fitted history.",
    ]
    tables = {"Candidates on the validation windows (last 48 points of each training part)": table,
              "Reference on the same windows": scores.drop(index=list(args.candidates))}
    return Report(
        suite=SUITE, title="WTA forecaster settings for M4 hourly, chosen on validation windows (training parts only)",
        command=suite_command(SUITE, args.argv), parameters=parameters(args, n_series=len(group.ids)),
        tables=tables,
        wall_times={k: round(v, 3) for k, v in timings.seconds.items()}, notes=notes,
        model=model_info(load_model(args.model, args.seed, args.weights, warm_up=False), args),  # the backbone
        extra={"choice": {"candidate": best, "settings": candidate_settings(best), "complete": complete,
                          "rule": "lowest validation OWA; ties to the candidate listed first"}},
        floatfmt={caption: FLOATFMT for caption in tables},
    )


def build_parser():
    """Suite options: the training budget, the M4 subset and which candidates to fit."""
    p = base_parser(__doc__.splitlines()[0])
    add_training_arguments(p)
    p.add_argument("--candidates", nargs="+", choices=list(CANDIDATES), default=list(CANDIDATES),
                   help="candidates to fit (default: all; a subset is not a publishable choice)")
    return p


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.wta_settings_choice``: run, write ``wta_settings_choice.{md,json}``, print the table."""
    def run_with_defaults(args):
        training_defaults(args)
        return run(args)

    return suite_main(build_parser, run_with_defaults, argv)


if __name__ == "__main__":
    main()
