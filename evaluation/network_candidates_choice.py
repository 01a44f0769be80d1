"""Whether ValidatedForecaster adds the short network as a second network candidate: chosen on validation windows.

The 128-point companion network (``tsheads-encoder-short-v1``) already forecasts series of at most 128 points.
On longer series it can forecast from their last 128 points beside the 512-point network: a second network,
trained apart, whose errors differ from the first's, for the backtest to pick or weight. It costs about a
fifth of the 512-point network's time.

Validation windows, scores and the rule as in ``evaluation.backtest_choice`` (each series' M1 / M3 /
M4-hourly *training* part with its last ``h`` points held out, and long hourly corpus series with their last
week held out; score = pooled relative MASE + mean absolute coverage error of the 80 and 95 % intervals;
among the settings within 0.005 of the lowest score, the fastest). Every other setting is the default.

    python -m evaluation.network_candidates_choice [--data-dir DIR] [--quick] [--max-series N] [--groups ...]
"""

from __future__ import annotations

from tsheads.estimators.validated import DEFAULT_CANDIDATES

from .backtest_choice import build_parser, compare_settings
from .common import suite_main
from .report import Report

SUITE = "network_candidates_choice"
#: setting name -> ValidatedForecaster keyword arguments; the first is the default before this choice
SETTINGS = {
    "network + classical": {"candidates": tuple(c for c in DEFAULT_CANDIDATES if c != "short_network")},
    "network + short network + classical": {"candidates": tuple(dict.fromkeys(DEFAULT_CANDIDATES
                                                                              + ("short_network",)))},
}


def run(args) -> Report:
    """Every setting on every validation group, pooled; the rule of ``evaluation.backtest_choice``."""
    return compare_settings(args, SETTINGS, SUITE,
                            "Network candidates of ValidatedForecaster on M1 / M3 / M4-hourly validation windows")


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.network_candidates_choice``: run, write its ``.md``/``.json``, print the tables."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
