"""Whether ValidatedForecaster adds a second network candidate: chosen on validation windows.

The network candidate is routed by length: series of at most 128 points go to the 128-point companion
(``tsheads-encoder-short-v1``), longer ones to the 512-point network. The second network candidate is the
other one: the 512-point network on short series, the companion on the last 128 points of long ones. It was
trained apart, so its errors differ from the first's, for the backtest to pick or weight. The log network
candidate is the routed network on the logarithm of each context (series with every value above 0): on M4
hourly validation windows the network alone scored OWA 0.726 on the logs against 0.779 (an ad-hoc check), and
WTAForecaster's log transform helped there too, but hurt yearly series; the backtests weigh it per series.

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
    "network + classical": {"candidates": tuple(c for c in DEFAULT_CANDIDATES if c != "second_network")},
    "network + second network + classical": {"candidates": tuple(dict.fromkeys(DEFAULT_CANDIDATES
                                                                              + ("second_network",)))},
    "network + log network + classical": {"candidates": tuple(dict.fromkeys(DEFAULT_CANDIDATES
                                                                           + ("log_network",)))},
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
