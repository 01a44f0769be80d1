"""Whether ValidatedForecaster adds the seasonal median candidate: chosen on validation windows.

The seasonal median forecasts each step by the median of its position in the last three cycles
(:func:`tsheads.candidates.seasonal_median`), at every period the series shows. Where seasonal naive copies
one odd cycle (a holiday, an outage, a spike), the median of three ignores it. Its form (the median, of three
cycles) was picked by looking at validation windows only (an ad-hoc check of each form alone, mean scaled
error): on the Taylor-like half-hourly windows the median of three weeks scored 0.950 against the weekly
seasonal naive's 1.028 (mean of two 0.971, of three 0.951, of four 0.969); on the hourly corpus windows 1.089
against 2.074 (means of two to four 1.325 to 1.603); on M4 hourly and M3 monthly it was worse than seasonal
naive (7.5 against 4.1 weekly, 1.35 against 1.13), so it can only help where the backtests pick it.

Validation windows and scores as in ``evaluation.backtest_choice`` (each series' M1 / M3 / M4-hourly
*training* part with its last ``h`` points held out, the long hourly corpus series with their last week held
out, and the Taylor-like half-hourly windows; score = pooled relative MASE + mean absolute coverage error of
the 80 and 95 % intervals). Rule, fixed before the run: the setting with the lowest pooled score. Speed is not
in the rule, unlike the other choices, because the candidate fits nothing: it is a median of three past
values per step, against model fits for Theta and the network's forward passes. Every other setting is the
default.

    python -m evaluation.seasonal_median_choice [--data-dir DIR] [--quick] [--max-series N] [--groups ...]
"""

from __future__ import annotations

import pandas as pd

from tsheads.estimators.validated import DEFAULT_CANDIDATES

from .backtest_choice import build_parser, compare_settings
from .common import suite_main
from .report import Report

SUITE = "seasonal_median_choice"
BEFORE = tuple(c for c in DEFAULT_CANDIDATES if c != "seasonal_median")
#: setting name -> ValidatedForecaster keyword arguments; the first is the default before this choice
SETTINGS = {
    "without the seasonal median": {"candidates": BEFORE},
    "with the seasonal median": {"candidates": BEFORE + ("seasonal_median",)},
}


def lowest_score(summary: pd.DataFrame) -> str:
    """This suite's rule: the setting with the lowest pooled score (ties to the one listed first)."""
    return summary["score"].idxmin()


def run(args) -> Report:
    """Both settings on every validation group, pooled; the lowest score wins."""
    return compare_settings(args, SETTINGS, SUITE, "The seasonal median candidate of ValidatedForecaster on "
                            "validation windows", choose=lowest_score)


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.seasonal_median_choice``: run, write its ``.md``/``.json``, print the tables."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
