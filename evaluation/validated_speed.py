"""Throughput of the self-validated forecaster: series per second, warm, median of repeats, bare network beside.

``evaluation.validated_forecasting`` times each group once, in the middle of a long run (its first group right
after loading); this suite times ``ValidatedForecaster().fit(df).predict(h, level=[80, 95])`` (the defaults,
backtest and intervals included) on whole M-competition groups after an untimed warm-up on the same group,
``--repeats`` times, and reports the median and the fastest, with the bare network's
``tsheads.forecast(df, h, method="network")`` timed the same way in the same process, so a slow phase of the
machine shows in both. The goal of issue 16 is 300 series/s on M3 monthly on the 2-core CPU.

    python -m evaluation.validated_speed [--groups m3_monthly m4_hourly] [--repeats 3]
"""

from __future__ import annotations

import statistics
import tempfile

import pandas as pd

import tsheads
from tsheads.estimators.validated import ValidatedForecaster

from .common import base_parser, estimator_weights, model_from_args, model_info, parameters, suite_main
from .detection_speed import timed
from .mcomp_zero_shot import load_group
from .report import Report, Timings, suite_command

SUITE = "validated_speed"
GROUPS = ("m3_monthly", "m3_quarterly", "m1_monthly", "m4_hourly")  # the default; any M group can be named
CHOICES = ("m3_monthly", "m3_quarterly", "m3_yearly", "m3_other", "m1_monthly", "m1_quarterly", "m1_yearly",
           "m4_hourly")
LEVELS = [80, 95]


def run(args) -> Report:
    timings = Timings()
    with timings.time("load model"):
        model = model_from_args(args)
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        weights = estimator_weights(args, model, folder)
        for name in args.groups:
            group = load_group(name, args.data_dir, 40 if args.quick else None)
            paths = {
                "validated (defaults)": lambda g=group: ValidatedForecaster(
                    season_length=g.m, weights=weights, batch_size=args.batch_size).fit(g.train_df).predict(
                    g.h, level=LEVELS),
                "network alone": lambda g=group: tsheads.forecast(g.train_df, g.h, method="network", level=LEVELS,
                                                                  weights=weights, batch_size=args.batch_size),
            }
            for path, fn in paths.items():
                fn()  # warm-up: the same group, untimed
                with timings.time(f"{name} {path}"):
                    secs = timed(fn, repeats)[0]
                rows[(name, path)] = {"series": len(group.ids), "repeats": repeats,
                                      "median s": statistics.median(secs), "min s": min(secs),
                                      "series/s (median)": len(group.ids) / statistics.median(secs),
                                      "series/s (fastest)": len(group.ids) / min(secs)}
    table = pd.DataFrame(rows).T.rename_axis(["group", "path"])
    notes = ["fit + predict with 80 / 95 % intervals on each group's training parts (the official holdouts are "
             "not read); torch's threads as set by --threads; ValidatedForecaster's classical candidates run in "
             "worker processes beside the network (n_jobs=-1)."]
    if args.quick:
        notes.append("SUBSET: 40 series per group.")
    return Report(
        suite=SUITE, title="Self-validated forecaster throughput (CPU)", command=suite_command(SUITE, args.argv),
        parameters=parameters(args, repeats_effective=repeats), tables={"Throughput": table},
        wall_times={k: round(v, 2) for k, v in timings.seconds.items()}, notes=notes, model=model_info(model, args),
        floatfmt={"Throughput": {"series": ".0f", "repeats": ".0f", "median s": ".2f", "min s": ".2f",
                                 "series/s (median)": ".1f", "series/s (fastest)": ".1f"}},
    )


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--groups", nargs="+", choices=CHOICES, default=list(GROUPS))
    p.add_argument("--repeats", type=int, default=None, help="timed runs per path (default 3; 1 with --quick)")
    return p


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.validated_speed``: run, write ``validated_speed.{md,json}``, print the table."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
