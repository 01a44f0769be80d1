"""The power of the default rule's mean over heads, now that the subspace head is a default head: dev data only.

Higher powers rank more like ``max`` (one head that alone places a point beyond its fit data counts for more), and
the dev data has preferred them each time (``power_bank_choice``: 3 scored 0.475 against 0.452), but each time the
standing regression case failed: a clean cyclic series fit on 2.2 cycles flagged 19.0 % of the rest at power 3
(bound 10 %), because the cycle head's few fit cycles make its reference too narrow. The subspace head scores the
fit data cross-fitted, which is pessimistic on short fits, and with it in the defaults the standing case flagged 0 %
at power 2 (``subspace_head_choice``, against 6.8 % before), so the bound may no longer hold the power back.

Candidates: ``power`` 2 (the default), 3, 4 and 6, every other setting at its default. Dev sets and flag checks as in
``subspace_head_choice``. Rule, fixed before this run (``subspace_head_choice``'s): among the powers whose worst flag
move over ``flag_stability``'s cases is under 0.05, that flag at most 2 x 0.02 of those clean series, at most 0.1 of
the clean short-fit series at contamination 0.1, under 0.1 of the rest of the standing 2.2-cycle case's series, and
whose mean VUS-PR falls on no dev set by more than 0.03 against power 2, the highest mean of the four sets' mean
VUS-PR wins; one within 0.005 of power 2 does not replace it.

    python -m evaluation.power_subspace_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

from contextlib import nullcontext

from tsheads.scoring.combine import reference_rank_mean

from .combine_rule_choice import combined_dev_rows
from .common import base_parser, suite_main
from .cycle_count_bank_choice import standing_bounded_choice
from .cycle_count_choice import SHORT_FIT_BOUND, bounded_rule_note, decision_table
from .cycle_head_choice import dev_report, run_on_dev, set_means, set_sizes
from .rebuild_scale_choice import four_dev_sets

SUITE = "power_subspace_choice"
#: the votes of when this choice was made, pinned so that a re-run compares the same settings
#: (``votes_subspace_choice`` changed them after it)
PINNED_VOTES = {"time": 0.5, "fft": 0.5}
POWERS = (2.0, 3.0, 4.0, 6.0)
CURRENT = 2.0


def _label(power: float) -> str:
    return f"power {power:g}"


def run(args):
    return run_on_dev(args, _run)


def _run(args, model, weights, timings):
    def combine(det, heads, stacked):
        return {_label(p): reference_rank_mean(stacked, det.head_reference_, weights=det._auto_weights(heads), power=p)
                for p in POWERS}

    frame = combined_dev_rows(args, weights, timings, four_dev_sets(args), combine, params={"votes": PINNED_VOTES})
    labels = [_label(p) for p in POWERS]
    table = set_means(frame, [c for c in frame.columns if c not in ("set", "series")], mean_of_sets=True)
    score, chosen, rows = standing_bounded_choice(
        table, POWERS, _label, CURRENT,
        lambda p: {"power": p, "votes": PINNED_VOTES, "weights": weights, "batch_size": args.batch_size},
        lambda p: nullcontext(), timings, args.quick)
    notes = [f"{len(frame)} dev series ({set_sizes(frame)}); fit on the first 15% of each with the default settings "
             "(six heads, the subspace head's windows level-free); mean VUS-PR (100-point buffer); every power "
             "combines the same calibrated head scores with the votes of then (time and fft 0.5, the others 1).",
             bounded_rule_note(_label(CURRENT), _label(chosen), score, CURRENT, chosen,
                               f", the standing 2.2-cycle case under {SHORT_FIT_BOUND:g}")]
    tables = {"Mean VUS-PR by power and dev set": table.loc[labels],
              "Mean VUS-PR of each head by dev set": table.drop(index=labels),
              "Decision": decision_table(POWERS, _label, rows)}
    return dev_report(SUITE, "The power of the mean over heads, with the subspace head", args, frame, tables,
                      timings, notes, model, {"power": chosen})


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv: list[str] | None = None):
    """``python -m evaluation.power_subspace_choice``: run, write ``power_subspace_choice.{md,json}``."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
