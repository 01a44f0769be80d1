"""How many of a series' latest points ValidatedForecaster fits Theta (and ETS) on: chosen on validation windows.

statsforecast fits Theta by optimising over the whole series, so on long hourly series the classical
candidates, not the network (which reads at most 512 points), set the speed: 21 ms per M4-hourly series of 960
points against 0.6 ms per M3-monthly one. ``model_points`` fits (and runs forward) on the latest points only.
A series no longer than the cap is fitted exactly as without it, so only groups with longer series can move:
the suite runs on those by default (M4 hourly's training parts with their last 48 points held out, and long
hourly corpus series with their last week held out; official test parts never loaded).

Rule, fixed before the full run (as ``evaluation.backtest_choice``): score = pooled relative MASE + mean
absolute coverage error of the 80 and 95 % intervals; among the settings within 0.005 of the lowest score, the
fastest (pooled series per second).

    python -m evaluation.model_points_choice [--data-dir DIR] [--quick] [--max-series N] [--groups ...]
"""

from __future__ import annotations

from .backtest_choice import compare_settings
from .combination_choice import build_parser as validation_parser
from .common import suite_main
from .corpus_validation import NAME as CORPUS
from .report import Report

SUITE = "model_points_choice"
#: caps compared (None: the whole series)
CAPS = (None, 1024, 512, 256)
#: the validation groups with series longer than the smallest cap
LONG_GROUPS = ("m4_hourly", CORPUS)


def run(args) -> Report:
    """Run every cap on every group, pool, and apply the rule."""
    settings = {f"model_points={cap}": {"model_points": cap} for cap in CAPS}
    return compare_settings(args, settings, SUITE,
                            "Theta's fitting window in ValidatedForecaster on long-series validation windows")


def build_parser():
    """The options of ``evaluation.combination_choice``, with the long-series groups as the default."""
    p = validation_parser(__doc__.splitlines()[0])
    p.set_defaults(groups=list(LONG_GROUPS))
    return p


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.model_points_choice``: run, write ``model_points_choice.{md,json}``, print the tables."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
