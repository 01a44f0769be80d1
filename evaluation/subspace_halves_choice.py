"""Which subspace scores the data after the fit data: the one of every fit window, or the two half subspaces that
score the fit data itself: dev data only.

The subspace head scores each fit window with a subspace fitted on the other half of the fit data (cross-fitted,
:func:`tsheads.scoring.subspace.fit_subspace`), so a short fit does not look more normal than later clean data.
Later data is scored by the subspace of every fit window, fitted on twice as many windows, so clean later windows
lie closer to it than fit windows lie to theirs: on the demo's Taylor series the head's calibrated scores fall to
-1 to -2 after the fit part (an ad-hoc look at the demo's plot, not committed), which makes the head less
sensitive there. Scoring later windows with the mean of the two half subspaces' residuals puts them on the fit
data's footing.

Candidates: later data scored by the subspace of every fit window (the default) or by the two halves
(:data:`tsheads.estimators.anomaly.SUBSPACE_HALVES`), every other setting at its default. Each fits its own
detectors on the four dev sets of ``subspace_head_choice``. Rule (``subspace_head_choice``'s), fixed before the run:
among the candidates whose worst flag move over ``flag_stability``'s cases is under 0.05, that flag at most 2 x 0.02
of those clean series, at most 0.1 of the clean short-fit series at contamination 0.1, under 0.1 of the rest of the
standing 2.2-cycle case's series, and whose mean VUS-PR falls on no dev set by more than 0.03 against the default,
the highest mean of the four sets' mean VUS-PR wins; one within 0.005 of the default does not replace it.

The run (clean c988402) kept the subspace of every fit window: the halves scored 0.509 against 0.523 (generated
cycles 0.713 against 0.755, the 0.042 drop over the 0.03 allowed) and flagged 85 % of the standing 2.2-cycle case
(12.8 % of the clean short fits): on a short fit each half subspace is fitted on a few windows, and later clean
windows lie as far from both as fit windows lie from the other half, but their mean residual varies less, so the
head's scores bunch above the fit data's median. The head alone scored 0.338 against 0.325.

    python -m evaluation.subspace_halves_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

from unittest.mock import patch

import pandas as pd

import tsheads.estimators.anomaly as anomaly_module
from tsheads.metrics.anomaly import vus_pr

from .combine_rule_choice import calibrated_dev_series
from .common import base_parser, suite_main
from .cycle_count_bank_choice import standing_bounded_choice
from .cycle_count_choice import SHORT_FIT_BOUND, bounded_rule_note, decision_table
from .cycle_head_choice import dev_report, run_on_dev, set_means, set_sizes
from .rebuild_scale_choice import four_dev_sets

SUITE = "subspace_halves_choice"
CURRENT = False
CANDIDATES = (False, True)


def _label(halves: bool) -> str:
    return "later data: both half subspaces" if halves else "later data: the subspace of every fit window"


def halves_setting(on: bool):
    """Detectors fitted inside score later data with the half subspaces (``on``) or the whole one."""
    return patch.object(anomaly_module, "SUBSPACE_HALVES", on)


def run(args):
    return run_on_dev(args, _run)


def _run(args, model, weights, timings):
    sets = four_dev_sets(args)
    rows = {}
    for halves in CANDIDATES:
        with halves_setting(halves):
            for set_name, name, x, lab, det, calibrated in calibrated_dev_series(args, weights, timings, None, sets):
                row = rows.setdefault(name, {"set": set_name, "series": name})
                row[_label(halves)] = vus_pr(lab, det._assemble(calibrated)["score"].max(0))
                row[f"subspace head alone, {'halves' if halves else 'whole'}"] = vus_pr(lab, calibrated["subspace"][0])
    frame = pd.DataFrame(list(rows.values()))
    labels = [_label(c) for c in CANDIDATES]
    table = set_means(frame, [c for c in frame.columns if c not in ("set", "series")], mean_of_sets=True)
    score, chosen, decided = standing_bounded_choice(
        table, CANDIDATES, _label, CURRENT, lambda c: {"weights": weights, "batch_size": args.batch_size},
        halves_setting, timings, args.quick)
    notes = [f"{len(frame)} dev series ({set_sizes(frame)}); fit on the first 15% of each with the default settings; "
             "mean VUS-PR (100-point buffer) of the default rule.",
             bounded_rule_note(_label(CURRENT), _label(chosen), score, CURRENT, chosen,
                               f", the standing 2.2-cycle case under {SHORT_FIT_BOUND:g}")]
    tables = {"Mean VUS-PR by candidate and dev set": table.loc[labels],
              "The subspace head alone": table.drop(index=labels),
              "Decision": decision_table(CANDIDATES, _label, decided)}
    return dev_report(SUITE, "Which subspace scores the data after the fit data", args, frame, tables, timings,
                      notes, model, {"subspace_halves": chosen})


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv: list[str] | None = None):
    """``python -m evaluation.subspace_halves_choice``: run, write ``subspace_halves_choice.{md,json}``."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
