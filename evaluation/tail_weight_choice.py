"""How much the ``auto`` rule weighs scores beyond everything in the fit data: decided on the three dev sets.

``auto`` ranks each point among the fit data's scores of each head and adds ``TAIL_WEIGHT * log1p`` of how far
it lies beyond the largest (:func:`tsheads.scoring.combine.reference_rank_mean`). 0.05 was chosen on the 22
injected series alone (``evaluation.anomaly_settings_choice``); ``evaluation.combine_rule_choice`` later found
``max`` ahead of ``auto`` on the three dev sets, with flags too unstable to take. A larger tail weight moves
``auto`` towards ``max`` for points past the fit data while keeping ranks for the rest.

Every dev series of ``evaluation.combine_rule_choice`` is fitted once with the default detector; each weight
combines the same calibrated head scores. Flags are measured as in ``evaluation.flag_stability``, with the
weight in place.

Rule, fixed before the run: among the :data:`WEIGHTS` that score more than 0.005 above the current weight (mean
of the three sets' mean VUS-PR) and keep the worst flag move under the bound of ``flag_stability`` (0.05) and the
mean share flagged of its clean series (contamination 0.02) at most ``FLAGGED_FACTOR`` (2) times the
contamination, the best-scoring one; the current weight if none is.

    python -m evaluation.tail_weight_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pandas as pd

import tsheads.scoring.combine as combine_module
from tsheads.estimators.anomaly import TriangulationDetector
from tsheads.metrics.anomaly import vus_pr
from tsheads.scoring.combine import reference_rank_mean

from .anomaly_settings_choice import FIT_FRACTION
from .combine_rule_choice import TIE, calibrated_dev_series
from .common import base_parser, suite_main
from .cycle_head_choice import dev_report, run_on_dev, set_means, set_sizes
from .flag_stability import CONTAMINATION, FLAGGED_FACTOR, MAX_MOVE, within_flag_bounds, worst_move_of
from .report import Report

SUITE = "tail_weight_choice"
CURRENT = combine_module.TAIL_WEIGHT
WEIGHTS = tuple(sorted({CURRENT, 0.05, 0.2, 0.5, 1.0, 2.0}))


@contextmanager
def tail_weight(w: float):
    """Within: ``auto`` uses tail weight ``w``."""
    saved = combine_module.TAIL_WEIGHT
    combine_module.TAIL_WEIGHT = w
    try:
        yield
    finally:
        combine_module.TAIL_WEIGHT = saved


def run(args) -> Report:
    return run_on_dev(args, _run)


def _run(args, model, weights, timings) -> Report:
    rows = []
    for set_name, name, _, lab, det, calibrated in calibrated_dev_series(args, weights, timings):
        stacked = np.stack([calibrated[h] for h in det._heads()])
        row = {"set": set_name, "series": name}
        for w in WEIGHTS:
            row[w] = vus_pr(lab, reference_rank_mean(stacked, det.head_reference_, w)[0])
        rows.append(row)
    frame = pd.DataFrame(rows)
    table = set_means(frame, list(WEIGHTS), mean_of_sets=True)
    score = table["mean of the set means"]
    moves, flagged = {}, {}
    for w in [w for w in WEIGHTS if w == CURRENT or score[w] > score[CURRENT] + TIE]:
        with timings.time(f"flag stability, {w}"), tail_weight(w):
            moves[w], flagged[w] = worst_move_of({"weights": weights, "batch_size": args.batch_size},
                                                 1 if args.quick else 4)
    ok = [w for w in moves if w != CURRENT and within_flag_bounds(moves[w], flagged[w])]
    chosen = max(ok, key=lambda w: score[w]) if ok else CURRENT
    decision = pd.DataFrame({"mean of the set means": score, "worst flag move": pd.Series(moves),
                             f"mean share flagged (contamination {CONTAMINATION})": pd.Series(flagged),
                             "chosen": pd.Series({w: w == chosen for w in WEIGHTS})}).rename_axis("tail weight")
    table.index.name = "tail weight"
    sizes = set_sizes(frame)
    notes = [f"{len(frame)} dev series ({sizes}); fit on the first {FIT_FRACTION:.0%} of each; mean VUS-PR "
             "(100-point buffer) of 'auto' with each tail weight, on the same calibrated head scores.",
             f"Rule, fixed before the run: the highest mean of the set means; within {TIE} of the current "
             f"{CURRENT} it stays; a new weight must keep the worst flag move under {MAX_MOVE} and the mean share "
             f"flagged at most {FLAGGED_FACTOR:g} x {CONTAMINATION}. Flags were measured for the current weight "
             f"and for those scoring above it. CHOICE: {chosen} ({score[chosen]:.3f}).",
             f"Detector: the defaults (window {TriangulationDetector().window}, combine auto)."]
    frame.columns = [str(c) for c in frame.columns]
    return dev_report(SUITE, "The auto rule's weight beyond the fit data", args, frame,
                      {"Mean VUS-PR by tail weight and dev set": table, "Decision": decision}, timings, notes,
                      model, chosen)


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.tail_weight_choice``: run, write ``tail_weight_choice.{md,json}``."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
