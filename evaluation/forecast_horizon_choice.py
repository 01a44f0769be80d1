"""How far the detector's forecast head looks ahead from each origin: decided on dev data, never on a benchmark.

Issue 15 asks for 200 series of 50 to 500 points a second on a 2-core CPU with every head on; ``detect`` does
about 60. Since the embedding rows moved to the short network (``history_network_choice``), the forecast
head's rows take about half of ``detect``'s time (a profile of ``detection_speed``'s frame: 1.6 of 3.4 s):
one forward pass of the 512-point network from the points before every ``horizon``-th point. ``horizon`` (16
since the forecast head existed, never chosen on data) sets both how many rows there are and how far ahead
each forecast reaches, so a longer one is faster and sees a point from a forecast made up to ``horizon`` steps
before it. Candidates: ``horizon`` 16 (the default), 32 and 48.

Dev sets: ``power_choice``'s four (injected anomalies, generated cycles, injected corpus series pretraining held
out, quantized monitoring); each series fitted on its first 15 % with the default settings otherwise. Flag
stability: ``flag_stability``'s cases. Speed: ``evaluation.detection_speed``'s frame (200 series of 50 to 500
points), candidates timed in turn.

Rule, fixed before the run (``history_network_choice``'s): a candidate qualifies if its mean of the four sets'
mean VUS-PR is at least the default's minus 0.01, no set's mean falls by more than 0.03, its worst flag move
stays under 0.05, it flags at most 2 x 0.02 of the clean flag-stability series, and it is faster than the
default; the fastest qualifying candidate becomes the default (16 stays if none qualifies).

It ran at 75db117, before ``cycle_level_choice`` changed the cycle head and the votes; the profile quoted
above is an ad-hoc one, not committed.

    python -m evaluation.forecast_horizon_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

import pandas as pd

from .anomaly_settings_choice import FIT_FRACTION
from .common import base_parser, suite_main
from .cycle_head_choice import dev_report, run_on_dev, set_means, set_sizes
from .detector_network_choice import SET_TOLERANCE, TOLERANCE, scored, speeds
from .flag_stability import CONTAMINATION, FLAGGED_FACTOR, MAX_MOVE, within_flag_bounds, worst_move_of
from .rebuild_scale_choice import four_dev_sets
from .report import Report

SUITE = "forecast_horizon_choice"
CURRENT = "horizon 16"
CANDIDATES = {CURRENT: {"horizon": 16}, "horizon 32": {"horizon": 32}, "horizon 48": {"horizon": 48}}


def run(args) -> Report:
    return run_on_dev(args, _run)


def _run(args, model, weights, timings) -> Report:
    if args.weights is not None:
        raise SystemExit("the choice is for the bundled weights: run without --weights")
    seeds, n_speed, repeats = (1, 20, 1) if args.quick else (4, 200, 3)
    sets = four_dev_sets(args)
    rows = []
    for set_name, series in sets.items():
        rows += scored(CANDIDATES, series, lambda n: int(n * FIT_FRACTION), args.batch_size, timings, set_name)
    frame = pd.DataFrame(rows)
    table = set_means(frame, list(CANDIDATES), mean_of_sets=True)
    names = sorted(frame["set"].unique())
    moves, flagged = {}, {}
    for cand, params in CANDIDATES.items():
        with timings.time(f"flag stability: {cand}"):
            moves[cand], flagged[cand] = worst_move_of({**params, "batch_size": args.batch_size}, seeds)
    with timings.time("speed, 50-500 points"):
        rate = speeds(CANDIDATES, 50, 500, n_speed, repeats, args.batch_size)
    score = table["mean of the set means"]
    drops = {c: float((table.loc[CURRENT, names] - table.loc[c, names]).max()) for c in CANDIDATES}
    checks = {c: {"mean within tolerance": score[c] >= score[CURRENT] - TOLERANCE,
                  "no set falls too far": drops[c] <= SET_TOLERANCE,
                  "flags stable and share within bound": within_flag_bounds(moves[c], flagged[c]),
                  "faster": rate[c] > rate[CURRENT]} for c in CANDIDATES if c != CURRENT}
    qualified = [c for c, ch in checks.items() if all(ch.values())]
    chosen = max(qualified, key=lambda c: rate[c]) if qualified else CURRENT
    decision = pd.DataFrame({"mean of the set means": score, "largest set drop": pd.Series(drops),
                             "worst flag move": pd.Series(moves),
                             f"mean share flagged (contamination {CONTAMINATION})": pd.Series(flagged),
                             "series/s (200 of 50-500 points)": pd.Series(rate),
                             "chosen": pd.Series({c: c == chosen for c in CANDIDATES})}).rename_axis("candidate")
    sizes = set_sizes(frame)
    yes = lambda c: ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in c.items())  # noqa: E731
    notes = [f"{len(frame)} dev series ({sizes}); fit on the first {FIT_FRACTION:.0%} of each; mean VUS-PR "
             "(100-point buffer) of the default detector (bundled weights) with each horizon.",
             f"Rule, fixed before the run: a candidate qualifies if its mean of the set means is within {TOLERANCE} "
             f"of '{CURRENT}', no set falls by more than {SET_TOLERANCE}, its worst flag move stays under "
             f"{MAX_MOVE}, it flags at most {FLAGGED_FACTOR:g} x {CONTAMINATION} of the clean flag-stability series "
             "and it is faster; the fastest qualifying one becomes the default.",
             *[f"Checks, {c}: {yes(ch)}." for c, ch in checks.items()],
             f"CHOICE: horizon={CANDIDATES[chosen]['horizon']}.",
             f"Speed: candidates timed in turn each repeat, median; torch threads {args.threads or 'default'}."]
    return dev_report(SUITE, "How far the detector's forecast head looks ahead", args, frame,
                      {"Mean VUS-PR by candidate and dev set": table, "Decision": decision}, timings, notes, model,
                      {"default": chosen, "params": CANDIDATES[chosen]})


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.forecast_horizon_choice``: run, write ``forecast_horizon_choice.{md,json}``."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
