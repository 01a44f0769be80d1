"""How much each head counts in the default rule's mean over heads: decided on dev data, never on a benchmark.

``combine="auto"`` averaged five heads' ranks alike when this suite ran, but two of them, ``time`` and ``fft``, are
two readings of one reconstruction pass (the same masked windows rebuilt, in time and in frequency), so the evidence
of that pass counts twice; and on the dev data the heads that compare the scored series with the fit data's own
shapes (``embedding``: 64-point subsequences; ``cycle``: whole cycles) score highest alone (0.415 and 0.348 mean dev
VUS-PR against 0.28 to 0.29 for the others, ``power_choice``). Candidates (``votes``):

- ``equal``: every head 1 (the default when this suite ran);
- ``one reconstruction vote``: ``time`` and ``fft`` 0.5 each;
- ``one reconstruction vote, embedding 2``: and the embedding head 2;
- ``one reconstruction vote, embedding and cycle 2``: and both comparing heads 2.

The grid came from an ad-hoc look at these dev sets (equal 0.385, the one-vote reconstruction 0.403, with both
comparing heads at 2 0.440; those two alone 0.480 but 0.067 lower on the injected set), never at a benchmark.

Dev sets: ``power_choice``'s four; each series fit on its first 15 % with the default settings; each candidate
combines the same calibrated head scores.

Rule, fixed before the run: among the candidates whose worst flag move over ``flag_stability``'s cases is under
0.05, that flag at most 2 x 0.02 of those clean series, at most 0.1 of clean cyclic series fit on 2.2 to 3 cycles
(contamination 0.1, ``cycle_count_choice.short_fit_flags``), and whose mean VUS-PR falls on no dev set by more
than 0.03 against ``equal``, the highest mean of the four sets' mean VUS-PR wins; one within 0.005 of
``equal`` does not replace it.

It ran at b541849, with the cycle head comparing levels; ``cycle_level_choice`` then chose level-free cycles
and one reconstruction vote, so a run at a later commit fits with those defaults and differs.

    python -m evaluation.head_votes_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

import pandas as pd

from tsheads.estimators.anomaly import vote_weights
from tsheads.scoring.combine import reference_rank_mean

from .combine_rule_choice import combined_dev_rows
from .common import base_parser, suite_main
from .cycle_count_choice import bounded_choice, bounded_rule_note, flag_checks
from .cycle_head_choice import dev_report, run_on_dev, set_means, set_sizes
from .rebuild_scale_choice import four_dev_sets

SUITE = "head_votes_choice"
CURRENT = "equal"
CANDIDATES = {CURRENT: {}, "one reconstruction vote": {"time": 0.5, "fft": 0.5},
              "one reconstruction vote, embedding 2": {"time": 0.5, "fft": 0.5, "embedding": 2.0},
              "one reconstruction vote, embedding and cycle 2": {"time": 0.5, "fft": 0.5, "embedding": 2.0,
                                                                 "cycle": 2.0}}


def run(args):
    return run_on_dev(args, _run)


def _run(args, model, weights, timings):
    def combine(det, heads, stacked):
        return {cand: reference_rank_mean(stacked, det.head_reference_, weights=vote_weights(votes, heads))
                for cand, votes in CANDIDATES.items()}

    frame = combined_dev_rows(args, weights, timings, four_dev_sets(args), combine)
    labels = list(CANDIDATES)
    table = set_means(frame, [c for c in frame.columns if c not in ("set", "series")], mean_of_sets=True)
    def checks_of(cand):
        with timings.time(f"flag checks, {cand}"):
            return flag_checks({"votes": CANDIDATES[cand], "weights": weights, "batch_size": args.batch_size},
                               args.quick)

    score, chosen, rows = bounded_choice(table, labels, str, CURRENT, checks_of)
    decision = pd.DataFrame([{"candidate": c, "votes": CANDIDATES[c] or "all 1", **row} for c, row in zip(labels, rows)]
                            ).set_index("candidate")
    sizes = set_sizes(frame)
    notes = [f"{len(frame)} dev series ({sizes}); fit on the first 15% of each; mean VUS-PR (100-point buffer); "
             "every candidate combines the same calibrated head scores of the default detector.",
             bounded_rule_note(CURRENT, chosen, score, CURRENT, chosen),
             "The grid came from an ad-hoc look at these dev sets, never at a benchmark."]
    tables = {"Mean VUS-PR by candidate and dev set": table.loc[labels],
              "Mean VUS-PR of each head by dev set": table.drop(index=labels), "Decision": decision}
    return dev_report(SUITE, "How much each head counts in the default rule's mean", args, frame, tables, timings,
                      notes, model, {"default": chosen, "votes": CANDIDATES[chosen]})


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv: list[str] | None = None):
    """``python -m evaluation.head_votes_choice``: run, write ``head_votes_choice.{md,json}``."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
