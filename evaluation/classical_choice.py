"""Which forms of the Theta and ETS candidates ValidatedForecaster runs: chosen on validation windows only.

Theta and ETS are most of the validated forecaster's time (on M3 monthly about 7 ms per series for
statsforecast's AutoETS search over the six non-seasonal forms and 4 ms for its Theta, which tests and
decomposes the season again at every origin, against about 3 ms for the network's rows). Cheaper forms:
Theta on the seasonally adjusted series that ETS already uses, ETS restricted to additive errors, to the
damped additive trend (the M4 "Damped" benchmark) or to simple exponential smoothing, or no ETS at all.

Validation windows, scores and the rule as in ``evaluation.backtest_choice`` (each series' M1 / M3 /
M4-hourly *training* part with its last ``h`` points held out, and long hourly corpus series with their last
week held out; score = pooled relative MASE + mean absolute coverage error of the 80 and 95 % intervals;
among the settings within 0.005 of the lowest score, the fastest). Every other setting is the default.

    python -m evaluation.classical_choice [--data-dir DIR] [--quick] [--max-series N] [--groups ...]
"""

from __future__ import annotations

from tsheads.estimators.validated import DEFAULT_CANDIDATES

from .backtest_choice import build_parser, compare_settings
from .common import suite_main
from .report import Report

SUITE = "classical_choice"
#: the families this choice compared: the defaults and ETS (not the short network, compared later)
CANDIDATES = DEFAULT_CANDIDATES + ("ets",)
#: setting name -> ValidatedForecaster keyword arguments; the first was the default before this choice
SETTINGS = {
    "ETS ZZN, Theta seasonal": {"ets_model": "ZZN", "theta_model": "seasonal", "candidates": CANDIDATES},
    "ETS ZZN, Theta adjusted": {"ets_model": "ZZN", "theta_model": "adjusted", "candidates": CANDIDATES},
    "ETS AZN, Theta adjusted": {"ets_model": "AZN", "theta_model": "adjusted", "candidates": CANDIDATES},
    "ETS AAdN, Theta adjusted": {"ets_model": "AAdN", "theta_model": "adjusted", "candidates": CANDIDATES},
    "ETS ANN, Theta adjusted": {"ets_model": "ANN", "theta_model": "adjusted", "candidates": CANDIDATES},
    "no ETS, Theta adjusted": {"theta_model": "adjusted", "candidates": tuple(c for c in CANDIDATES if c != "ets")},
}


def run(args) -> Report:
    """Every setting on every validation group, pooled; the rule of ``evaluation.backtest_choice``."""
    return compare_settings(args, SETTINGS, SUITE,
                            "Theta and ETS forms of ValidatedForecaster on M1 / M3 / M4-hourly validation windows")


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.classical_choice``: run, write ``classical_choice.{md,json}``, print the tables."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
