"""Whether ValidatedForecaster adds the pooled linear candidate: chosen on validation windows.

The candidate (:mod:`tsheads.pooled_linear`) is a ridge autoregression fitted on the windows of every series
of the frame at once, standardised per window, direct over the horizon and averaged over the lookbacks h, 2h
and 3h: the "global" model the other candidates, each reading one series, lack. Its form (standardisation by
the window's mean and deviation, those lookbacks, one model per frame) was picked by looking at validation
windows only, in ad-hoc checks of the candidate alone (relative MASE): standardising scored 0.861 / 0.729 /
0.772 on M3 monthly / M3 quarterly / M1 monthly against 0.986 / 0.769 / 0.851 when centred on the last value
and 0.881 / 0.792 / 0.773 when divided by the level (lookback 36); averaged over h, 2h and 3h it scored M3
monthly 0.828, M3 quarterly 0.774, M3 yearly 0.968, M3 other 0.608, M1 monthly 0.766, M1 quarterly 0.656,
M1 yearly 0.651, M4 hourly 1.075, hourly corpus 0.770, against 0.875, 0.728, 0.996, 0.598, 0.786, 0.631,
1.496, 1.035, 0.812 over 2h to 7h (N-BEATS' lookbacks; the long ones fail on short yearly series).

Validation windows and scores as in ``evaluation.backtest_choice`` (each series' M1 / M3 / M4-hourly
*training* part with its last ``h`` points held out, the long hourly corpus series with their last week held
out, and the Taylor-like half-hourly windows; score = pooled relative MASE + mean absolute coverage error of
the 80 and 95 % intervals). Rule, fixed before the run: the setting with the lowest pooled score. The issue
also asks for 300 series/s on M3 monthly: if the winner adds the candidate, ``evaluation.validated_speed`` is
run again with it, and it is adopted only if M3 monthly stays at or above 300 series/s there. Every other
setting is the default.

    python -m evaluation.linear_candidate_choice [--data-dir DIR] [--quick] [--max-series N] [--groups ...]
"""

from __future__ import annotations

from tsheads.estimators.validated import DEFAULT_CANDIDATES

from .backtest_choice import build_parser, compare_settings
from .common import suite_main
from .report import Report
from .seasonal_median_choice import lowest_score

SUITE = "linear_candidate_choice"
BEFORE = tuple(c for c in DEFAULT_CANDIDATES if c != "linear")  # the default set without it, as before the choice
#: setting name -> ValidatedForecaster keyword arguments; the first is the default before this choice
SETTINGS = {
    "without the pooled linear model": {"candidates": BEFORE},
    "with the pooled linear model": {"candidates": BEFORE + ("linear",)},
}


def run(args) -> Report:
    """Both settings on every validation group, pooled; the lowest score wins."""
    return compare_settings(args, SETTINGS, SUITE, "The pooled linear candidate of ValidatedForecaster on "
                            "validation windows", choose=lowest_score)


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.linear_candidate_choice``: run, write its ``.md``/``.json``, print the tables."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
