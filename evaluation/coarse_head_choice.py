"""Whether the coarse head (the time head's rebuild of the series averaged over blocks of points) joins the default
heads, and with how many points per block: dev data only, never a benchmark.

Issue 17 asks for scores at every time scale, "multi-resolution scoring (the encoder on a downsampled series)"
among them. The point-level heads see at most a 512-point window; a change slower than that (a level shift over
hours of 5-minute data) fills the window and looks normal to them. The coarse head
(:mod:`tsheads.scoring.coarse`) rebuilds the series averaged over blocks of ``COARSE_FACTOR`` points.

Candidates: the default heads (no coarse head), and the default heads plus the coarse head with blocks of 8 or 16
points; ``power`` 2 (the default) for all, every other setting at its default. Each factor fits its own detectors
(with every head); the default's scores are those detectors' scores without the coarse head (each head's
calibration and reference are its own, so they are the default detector's). Dev sets and flag checks as in
``bank_stride_choice``, plus the standing 2.2-cycle regression case as a bound of its own
(:func:`~evaluation.cycle_count_bank_choice.standing_case_flags`). Rule, fixed before this run: among the candidates
whose worst flag move over ``flag_stability``'s cases is under 0.05, that flag at most 2 x 0.02 of those clean
series, at most 0.1 of the clean short-fit series at contamination 0.1, under 0.1 of the rest of the standing
case's series, and whose mean VUS-PR falls on no dev set by more than 0.03 against the default, the highest mean
of the four sets' mean VUS-PR wins; one within 0.005 of the default does not replace it.

The run (clean f4f7a55) kept the default heads (0.452): with the coarse head the mean fell to 0.387 (blocks of 8)
and 0.412 (blocks of 16), lower on every dev set (by up to 0.092 and 0.048, over the 0.03 allowed); the head alone
scored 0.164. A first run (clean 7519f64, the coarse head on the network its own window selected, which a saved
detector did not restore) gave 0.397 and 0.407.

    python -m evaluation.coarse_head_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

from unittest.mock import patch

import pandas as pd

import tsheads.estimators.anomaly as anomaly_module
from tsheads.estimators.anomaly import DEFAULT_HEADS
from tsheads.metrics.anomaly import vus_pr

from .anomaly_detection import auto_over
from .combine_rule_choice import calibrated_dev_series
from .common import base_parser, suite_main
from .cycle_count_bank_choice import standing_bounded_choice
from .cycle_count_choice import SHORT_FIT_BOUND, bounded_rule_note, decision_table
from .cycle_head_choice import dev_report, run_on_dev, set_means, set_sizes
from .rebuild_scale_choice import four_dev_sets

SUITE = "coarse_head_choice"
FACTORS = (8, 16)
#: a candidate: points per block of the coarse head, None for the default heads without it
CANDIDATES = (None, *FACTORS)
CURRENT = None
#: the heads each block size fits: the defaults and the coarse head
WITH_COARSE = (*DEFAULT_HEADS, "coarse")


def _label(candidate) -> str:
    return "default heads" if candidate is None else f"default heads + coarse (blocks of {candidate})"


def coarse_factor(factor: int):
    """Detectors fitted inside average blocks of ``factor`` points for their coarse head."""
    return patch.object(anomaly_module, "COARSE_FACTOR", factor)


def _params(candidate, weights, batch_size) -> dict:
    heads = DEFAULT_HEADS if candidate is None else WITH_COARSE
    return {"heads": heads, "weights": weights, "batch_size": batch_size}


def run(args):
    return run_on_dev(args, _run)


def _run(args, model, weights, timings):
    sets = four_dev_sets(args)
    rows = {}
    for factor in FACTORS:
        with coarse_factor(factor):
            for set_name, name, x, lab, det, calibrated in calibrated_dev_series(
                    args, weights, timings, {"heads": WITH_COARSE}, sets):
                row = rows.setdefault(name, {"set": set_name, "series": name})
                row[f"coarse head alone (blocks of {factor})"] = vus_pr(lab, calibrated["coarse"][0])
                row[f"coarse head flat (blocks of {factor})"] = float(det._coarse_window() is None)
                row[_label(factor)] = vus_pr(lab, auto_over(det, calibrated, WITH_COARSE).max(0))
                default = vus_pr(lab, auto_over(det, calibrated, DEFAULT_HEADS).max(0))
                if _label(None) in row and abs(row[_label(None)] - default) > 1e-9:
                    raise RuntimeError(f"{name}: the default heads scored differently with blocks of {factor}")
                row[_label(None)] = default
    frame = pd.DataFrame(list(rows.values()))
    labels = [_label(c) for c in CANDIDATES]
    table = set_means(frame, [c for c in frame.columns if c not in ("set", "series")], mean_of_sets=True)
    score, chosen, rows = standing_bounded_choice(
        table, CANDIDATES, _label, CURRENT, lambda c: _params(c, weights, args.batch_size),
        lambda c: coarse_factor(c or FACTORS[0]), timings, args.quick)
    decision = decision_table(CANDIDATES, _label, rows)
    sizes = set_sizes(frame)
    notes = [f"{len(frame)} dev series ({sizes}); fit on the first 15% of each with the default settings; mean "
             "VUS-PR (100-point buffer); each block size fits its own detectors with every head, and the default's "
             "scores are theirs without the coarse head (checked equal for both block sizes). 'coarse head flat' "
             "rows: the share of series whose fit data held too few blocks, so the head was flat.",
             bounded_rule_note(_label(CURRENT), _label(chosen), score, CURRENT, chosen,
                               f", the standing 2.2-cycle case under {SHORT_FIT_BOUND:g}")]
    tables = {"Mean VUS-PR by candidate and dev set": table.loc[labels],
              "The coarse head alone (mean VUS-PR) and the share of series where it was flat":
                  table.loc[[c for c in table.index if c.startswith("coarse head")]],
              "Decision": decision}
    return dev_report(SUITE, "The coarse head in the default heads, and its block size", args, frame, tables,
                      timings, notes, model, {"coarse_factor": chosen})


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv: list[str] | None = None):
    """``python -m evaluation.coarse_head_choice``: run, write ``coarse_head_choice.{md,json}``."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
