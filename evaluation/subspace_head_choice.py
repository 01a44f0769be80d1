"""Whether the subspace head (Sub-PCA's view: sliding windows of the fit data's period against the principal
subspace of its windows) joins the default heads, and with which vote: dev data only, never a benchmark.

Sub-PCA beats the default detector on NAB (0.464 against 0.413 VUS-PR at 2840aa9) and scored above every rule
over the network's heads on two of the dev sets in ``combine_rule_choice`` (corpus 0.386, injected 0.375). The
issue asks for a triangulation that beats the classical detectors, so this suite asks whether the triangulation
should hold that view itself (:mod:`tsheads.scoring.subspace`). An ad-hoc look (not committed) on the four dev sets,
with Sub-PCA's own scores calibrated as a head: the default's mean of the set means 0.452, with the head at vote
0.5 / 1 / 2: 0.464 / 0.471 / 0.474, higher on every set. The head as built scores the fit data's own windows by
models fitted on the other half of the fit data (cross-fitted, :func:`~tsheads.scoring.subspace.fit_subspace`):
scored in-sample, as in that look, a quick run of this suite flagged 29 % of the standing 2.2-cycle case's clean
points (bound 10 %); cross-fitted, 0 % (ad-hoc, not committed).

Candidates: the default heads, and the default heads plus ``subspace`` with a vote of 1, 2 or 3 (the other votes at
their defaults, ``power`` 2). Every candidate is scored from the same fitted detectors (all six heads; each head's
calibration and reference are its own, so the default's scores are the default detector's). Dev sets and flag
checks as in ``coarse_head_choice``. Rule, fixed before this run: among the candidates whose worst flag move over
``flag_stability``'s cases is under 0.05, that flag at most 2 x 0.02 of those clean series, at most 0.1 of the
clean short-fit series at contamination 0.1, under 0.1 of the rest of the standing 2.2-cycle case's series, and
whose mean VUS-PR falls on no dev set by more than 0.03 against the default, the highest mean of the four sets'
mean VUS-PR wins; one within 0.005 of the default does not replace it.

    python -m evaluation.subspace_head_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

from contextlib import nullcontext

import pandas as pd

from tsheads.estimators.anomaly import DEFAULT_HEADS, DEFAULT_VOTES
from tsheads.metrics.anomaly import vus_pr

from .coarse_head_choice import _combined
from .combine_rule_choice import calibrated_dev_series
from .common import base_parser, suite_main
from .cycle_count_bank_choice import standing_bounded_choice
from .cycle_count_choice import SHORT_FIT_BOUND, bounded_rule_note, decision_table
from .cycle_head_choice import dev_report, run_on_dev, set_means, set_sizes
from .rebuild_scale_choice import four_dev_sets

SUITE = "subspace_head_choice"
WITH_SUBSPACE = (*DEFAULT_HEADS, "subspace")
#: a candidate: the subspace head's vote, None for the default heads without it
CANDIDATES = (None, 1.0, 2.0, 3.0)
CURRENT = None


def _label(candidate) -> str:
    return "default heads" if candidate is None else f"default heads + subspace (vote {candidate:g})"


def _votes(candidate) -> dict:
    return {**DEFAULT_VOTES, "subspace": candidate}


def _params(candidate, weights, batch_size) -> dict:
    if candidate is None:
        return {"weights": weights, "batch_size": batch_size}
    return {"heads": WITH_SUBSPACE, "votes": _votes(candidate), "weights": weights, "batch_size": batch_size}


def run(args):
    return run_on_dev(args, _run)


def _run(args, model, weights, timings):
    rows = []
    for set_name, name, x, lab, det, calibrated in calibrated_dev_series(
            args, weights, timings, {"heads": WITH_SUBSPACE}, four_dev_sets(args)):
        row = {"set": set_name, "series": name, "subspace head alone": vus_pr(lab, calibrated["subspace"][0]),
               "subspace head flat": float(det._subspace_width() is None)}
        row[_label(None)] = vus_pr(lab, _combined(det, calibrated, list(DEFAULT_HEADS)).max(0))
        for vote in CANDIDATES[1:]:
            det.votes_ = det.__dict__["votes_"] | {"subspace": vote}
            row[_label(vote)] = vus_pr(lab, _combined(det, calibrated, list(WITH_SUBSPACE)).max(0))
        rows.append(row)
    frame = pd.DataFrame(rows)
    labels = [_label(c) for c in CANDIDATES]
    table = set_means(frame, [c for c in frame.columns if c not in ("set", "series")], mean_of_sets=True)
    score, chosen, decided = standing_bounded_choice(
        table, CANDIDATES, _label, CURRENT, lambda c: _params(c, weights, args.batch_size),
        lambda c: nullcontext(), timings, args.quick)
    notes = [f"{len(frame)} dev series ({set_sizes(frame)}); fit on the first 15% of each with the default settings "
             "and the subspace head; mean VUS-PR (100-point buffer); every candidate combines the same calibrated "
             "head scores (the default heads' votes as by default). 'subspace head flat': the share of series whose "
             "fit data was too short for the head's window.",
             bounded_rule_note(_label(CURRENT), _label(chosen), score, CURRENT, chosen,
                               f", the standing 2.2-cycle case under {SHORT_FIT_BOUND:g}")]
    tables = {"Mean VUS-PR by candidate and dev set": table.loc[labels],
              "The subspace head alone (mean VUS-PR) and the share of series where it was flat":
                  table.loc[["subspace head alone", "subspace head flat"]],
              "Decision": decision_table(CANDIDATES, _label, decided)}
    return dev_report(SUITE, "The subspace head in the default heads, and its vote", args, frame, tables, timings,
                      notes, model, {"subspace_vote": chosen})


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv: list[str] | None = None):
    """``python -m evaluation.subspace_head_choice``: run, write ``subspace_head_choice.{md,json}``."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
