"""The power of the default rule's mean over heads, again, now that the cycle head compares shapes: dev data only.

``power_choice`` (clean 3f3fc54) chose 4 (mean dev VUS-PR 0.440 against 0.385) but it was not adopted: clean
short fits flagged far more than the contamination, through the cycle head's miscalibration on two or three fit
cycles, and ``cycle_count_choice`` (clean b6a635c) found that at power 4 they still flagged 12.6 % (bound 10 %).
``cycle_level_choice`` (clean 1ce943c) then made the cycle head compare shapes (level-free) and gave ``time`` and
``fft`` one vote between them: clean short fits now flag 7.5 % at power 1. Power 4 was never measured with them.

Candidates: ``power`` 1 (the default), 2 and 4, with every other setting at its default (level-free cycles, one
reconstruction vote). Dev sets and rule as in ``cycle_level_choice`` (fixed before this run): among the
candidates whose worst flag move over ``flag_stability``'s cases is under 0.05, that flag at most 2 x 0.02 of
those clean series, at most 0.1 of the clean short-fit series at contamination 0.1, and whose mean VUS-PR falls
on no dev set by more than 0.03 against power 1, the highest mean of the four sets' mean VUS-PR wins; one within
0.005 of power 1 does not replace it.

    python -m evaluation.power_level_free_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

import pandas as pd

from tsheads.scoring.combine import reference_rank_mean

from .combine_rule_choice import TIE, combined_dev_rows
from .common import base_parser, suite_main
from .cycle_count_choice import SHORT_FIT_BOUND, SHORT_FIT_CONTAMINATION, bounded_choice, flag_checks
from .cycle_head_choice import dev_report, run_on_dev, set_means, set_sizes
from .detector_network_choice import SET_TOLERANCE
from .flag_stability import CONTAMINATION
from .rebuild_scale_choice import four_dev_sets

SUITE = "power_level_free_choice"
POWERS = (1.0, 2.0, 4.0)
CURRENT = 1.0


def _label(power: float) -> str:
    return f"power {power:g}"


def run(args):
    return run_on_dev(args, lambda *a: power_choice_report(*a, powers=POWERS, current=CURRENT, suite=SUITE,
                                                         settings="level-free cycles, one reconstruction vote"))


def power_choice_report(args, model, weights, timings, *, powers: tuple, current: float, suite: str, settings: str):
    """The dev rows, tables and decision of a choice of ``power`` among ``powers`` (``current`` the default), every
    other setting at its default (``settings`` says which in the notes), by the rule in this module's docstring."""
    def combine(det, heads, stacked):
        return {_label(p): reference_rank_mean(stacked, det.head_reference_, weights=det._auto_weights(heads), power=p)
                for p in powers}

    frame = combined_dev_rows(args, weights, timings, four_dev_sets(args), combine)
    labels = [_label(p) for p in powers]
    table = set_means(frame, [c for c in frame.columns if c not in ("set", "series")], mean_of_sets=True)
    def checks_of(p):
        with timings.time(f"flag checks, {_label(p)}"):
            return flag_checks({"power": p, "weights": weights, "batch_size": args.batch_size}, args.quick)

    score, chosen, rows = bounded_choice(table, powers, _label, current, checks_of)
    decision = pd.DataFrame([{"power": p, **row} for p, row in zip(powers, rows)]).set_index("power")
    sizes = set_sizes(frame)
    notes = [f"{len(frame)} dev series ({sizes}); fit on the first 15% of each with the default settings "
             f"({settings}); mean VUS-PR (100-point buffer); every power combines "
             "the same calibrated head scores with the default votes.",
             "Rule, fixed before the run: the highest mean of the set means among the powers within the flag "
             f"bounds (worst move under 0.05, clean flag-stability series at most 2 x {CONTAMINATION} flagged, clean "
             f"short fits at most {SHORT_FIT_BOUND:g} flagged at contamination {SHORT_FIT_CONTAMINATION:g}) and no "
             f"set more than {SET_TOLERANCE} below {_label(current)}; within {TIE} of {_label(current)} it stays. "
             f"CHOICE: {_label(chosen)} ({score[chosen]:.3f}; {_label(current)} {score[current]:.3f})."]
    tables = {"Mean VUS-PR by power and dev set": table.loc[labels],
              "Mean VUS-PR of each head by dev set": table.drop(index=labels), "Decision": decision}
    return dev_report(suite, f"The power of the mean over heads, with {settings}", args, frame, tables,
                      timings, notes, model, {"power": chosen})


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv: list[str] | None = None):
    """``python -m evaluation.power_level_free_choice``: run, write ``power_level_free_choice.{md,json}``."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
