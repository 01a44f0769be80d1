"""Whether the cycle head compares cycles free of their level, and the heads' votes: chosen together on dev data,
never on a benchmark.

``head_votes_choice`` (clean b541849) found every vote that leans less on the two reconstruction heads better on
the dev data (0.403 to 0.440 against 0.385) but each flagged more than the contamination (0.1) of clean cyclic
series fit on 2.2 to 3 cycles (12.3 to 16.5 %, the default 8.9 %), so none was adopted. Those flags come from the
generated series, whose level drifts slowly: the cycle head compared raw cycles, so a later clean cycle a little
above or below every fit cycle was a deviation (above their fit data's 90 % quantile: the cycle head 41 to 43 %
of later points at 2.5 and 3 cycles, the embedding head 29 to 33 %). With ``LEVEL_FREE_CYCLES`` the head compares
shapes: each pair's mean difference taken out (:func:`tsheads.scoring.cycles.nearest_rms`); the anomalies it is
there for (a flat, peakless, shifted or damped cycle) change a cycle's shape. An ad-hoc check on the short-fit
series alone (not the dev sets) put their flags at 5.9 % for equal votes and 7.4 to 9.9 % for the others (the
run: 6.0 %, 7.5 %, 9.9 % and 10.2 %). The shares above the heads' fit quantiles quoted above are from an ad-hoc
check too, not committed. The run made ``LEVEL_FREE_CYCLES`` and one reconstruction vote the defaults.

Candidates: the level kept (the default then) or taken out, times ``head_votes_choice``'s four votes. Dev sets, flag
checks and rule as in ``head_votes_choice`` (fixed before this run): among the candidates whose worst flag move
is under 0.05, that flag at most 2 x 0.02 of the clean flag-stability series, at most 0.1 of the clean short-fit
series at contamination 0.1, and whose mean VUS-PR falls on no dev set by more than 0.03 against the default
(level kept, equal votes), the highest mean of the four sets' mean VUS-PR wins; one within 0.005 of the default
does not replace it.

    python -m evaluation.cycle_level_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

from itertools import product
from unittest.mock import patch

import numpy as np
import pandas as pd

import tsheads.estimators.anomaly as anomaly_module
from tsheads.estimators.anomaly import vote_weights
from tsheads.metrics.anomaly import vus_pr
from tsheads.scoring.combine import reference_rank_mean

from .combine_rule_choice import calibrated_dev_series
from .common import base_parser, suite_main
from .cycle_count_choice import bounded_choice, bounded_rule_note, decision_table, flag_checks
from .cycle_head_choice import dev_report, run_on_dev, set_means, set_sizes
from .head_votes_choice import CANDIDATES as VOTES
from .rebuild_scale_choice import four_dev_sets

SUITE = "cycle_level_choice"
CANDIDATES = tuple(product((False, True), VOTES))
CURRENT = (False, "equal")


def _label(candidate: tuple) -> str:
    free, votes = candidate
    return f"{'level free' if free else 'level kept'}, {votes}"


def level_free(on: bool):
    """Detectors fitted inside compare cycles free of their level (``on``) or not."""
    return patch.object(anomaly_module, "LEVEL_FREE_CYCLES", on)


def run(args):
    return run_on_dev(args, _run)


def _run(args, model, weights, timings):
    sets = four_dev_sets(args)
    rows = {}
    for free in (False, True):
        with level_free(free):
            for set_name, name, x, lab, det, calibrated in calibrated_dev_series(args, weights, timings, None, sets):
                heads = list(det._heads())
                stacked = np.stack([calibrated[h] for h in heads])
                row = rows.setdefault(name, {"set": set_name, "series": name})
                row[f"cycle ({'level free' if free else 'level kept'})"] = vus_pr(lab, calibrated["cycle"][0])
                for votes_name, votes in VOTES.items():
                    combined = reference_rank_mean(stacked, det.head_reference_, weights=vote_weights(votes, heads))
                    row[_label((free, votes_name))] = vus_pr(lab, combined.max(0))
    frame = pd.DataFrame(list(rows.values()))
    labels = [_label(c) for c in CANDIDATES]
    table = set_means(frame, [c for c in frame.columns if c not in ("set", "series")], mean_of_sets=True)
    def checks_of(candidate):
        free, votes_name = candidate
        params = {"votes": VOTES[votes_name], "weights": weights, "batch_size": args.batch_size}
        with timings.time(f"flag checks, {_label(candidate)}"), level_free(free):
            return flag_checks(params, args.quick)

    score, chosen, rows = bounded_choice(table, CANDIDATES, _label, CURRENT, checks_of)
    decision = decision_table(CANDIDATES, _label, rows)
    sizes = set_sizes(frame)
    notes = [f"{len(frame)} dev series ({sizes}); fit on the first 15% of each; mean VUS-PR (100-point buffer); "
             "each candidate combines the calibrated head scores of the default detector with its cycle head.",
             bounded_rule_note(_label(CURRENT), _label(chosen), score, CURRENT, chosen),
             "Votes: " + ", ".join(f"{k}: {v or 'all 1'}" for k, v in VOTES.items()) + "."]
    tables = {"Mean VUS-PR by candidate and dev set": table.loc[labels],
              "Mean VUS-PR of the cycle head by dev set": table.loc[[c for c in table.index if c.startswith("cycle")]],
              "Decision": decision}
    return dev_report(SUITE, "Cycles compared free of their level, and the heads' votes", args, frame, tables,
                      timings, notes, model, {"level_free": chosen[0], "votes": VOTES[chosen[1]]})


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv: list[str] | None = None):
    """``python -m evaluation.cycle_level_choice``: run, write ``cycle_level_choice.{md,json}``."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
