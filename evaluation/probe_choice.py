"""Whether planted anomalies weigh the heads (``combine="probe"``): decided on dev data, never on NAB or KDD-TSAD.

``auto`` averages the heads' ranks with equal weights, so a head that sees nothing in a series dilutes the
one that does (a missing daily cycle is plain to the cycle head and invisible to the rest). ``probe`` weighs
each head by its average precision on anomalies planted in two copies of the fit data
(:mod:`tsheads.scoring.probes`). This compares them on the dev sets of ``evaluation.cycle_head_choice``
(injected anomalies in ETTh1 / exchange-rate training data, and generated cycles with whole-cycle anomalies),
every series fitted on its first 15 %, with the default heads.

Caveat: the planted kinds are generic families that overlap the dev sets' injected kinds (spikes, level
shifts, noise bursts, flat and sped-up stretches; flattened and half-period-shifted cycles), so the dev
numbers can flatter ``probe``; NAB and KDD-TSAD (``evaluation.anomaly_detection``) are the independent check.

Rule, as in ``evaluation.cycle_head_choice``: the default rule is the one with the highest mean VUS-PR over
all dev series, among those that lose at most 0.01 against today's default (``auto``) on the injected set
and whose flagged share moves by under 0.05 when the fit part grows by 1 % (issue 17's stability bound, on
the synthetic series of ``evaluation.flag_stability``). (A first look at these dev sets with a prototype
gave 0.364 against 0.366 on the injected set and 0.429 against 0.349 overall; a first version of the
probes planted anomalies that moved with the fit length and broke the stability bound, 0.052, which is
why the bound is part of the rule.)

    python -m evaluation.probe_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsheads.estimators.anomaly import TriangulationDetector
from tsheads.metrics.anomaly import vus_pr

from .anomaly_settings_choice import FIT_FRACTION
from .common import base_parser, suite_main
from .cycle_head_choice import dev_report, dev_sets, run_on_dev, set_means
from .flag_stability import FIT_LENGTHS, case
from .report import Report

SUITE = "probe_choice"
#: how much a new default may lose on the injected set against today's (mean VUS-PR)
MAX_LOSS = 0.01
#: issue 17's bound on how far the flagged share may move when the fit part grows by 1 %
MAX_MOVE = 0.05
#: today's default first
CANDIDATES = ("auto", "probe", "fisher")


def run(args) -> Report:
    return run_on_dev(args, _run)


def _run(args, model, weights, timings) -> Report:
    sets = dev_sets(args)
    rows = []
    for set_name, series in sets.items():
        for name, x, lab in series:
            n_fit = int(len(x) * FIT_FRACTION)
            row = {"set": set_name, "series": name}
            for rule in CANDIDATES:
                with timings.time(rule):
                    det = TriangulationDetector(weights=weights, batch_size=args.batch_size, combine=rule)
                    row[rule] = vus_pr(lab, det.fit(x[:n_fit]).decision_function(x))
                if rule == "probe":
                    quality = det.probe_quality_ or {}
                    row.update({f"probe quality, {h}": quality.get(h, np.nan) for h in det._heads()})
            rows.append(row)
    frame = pd.DataFrame(rows)
    metric_cols = [c for c in frame.columns if c not in ("set", "series")]
    table = set_means(frame, metric_cols)
    first, current = "injected (anomaly_settings_choice)", CANDIDATES[0]
    with timings.time("flag stability"):
        moves = pd.DataFrame([case(rule, kind, seed, n, weights, args.batch_size) for rule in CANDIDATES
                              for seed in range(1 if args.quick else 4) for kind in ("sine", "walk")
                              for n in FIT_LENGTHS]).groupby("combine")["move"].agg(["max", "median"])
    table["max flag move (flag_stability)"] = np.nan
    for rule in CANDIDATES:
        table.loc[rule, "max flag move (flag_stability)"] = moves.loc[rule, "max"]
    allowed = [r for r in CANDIDATES if table.loc[r, first] >= table.loc[current, first] - MAX_LOSS
               and moves.loc[r, "max"] < MAX_MOVE]
    chosen = max(allowed, key=lambda r: (table.loc[r, "all dev series"], -CANDIDATES.index(r))) if allowed \
        else current  # nothing qualifies: today's default stays
    notes = [f"{len(frame)} dev series; fit on the first {FIT_FRACTION:.0%} of each; mean VUS-PR (100-point buffer); "
             "default heads. 'probe quality, <head>': the head's mean average precision on the planted anomalies "
             "(fit data only).",
             f"Rule: among {list(CANDIDATES)}, the highest mean VUS-PR over all dev series, among those that lose "
             f"at most {MAX_LOSS} against the current default ({current}) on the injected set and whose flagged "
             f"share moves by under {MAX_MOVE} when the fit part grows by 1 % (16 synthetic cases of "
             "evaluation.flag_stability).",
             f"Chosen: {chosen} ({table.loc[chosen, 'all dev series']:.3f} against "
             f"{table.loc[current, 'all dev series']:.3f} for {current}; injected set "
             f"{table.loc[chosen, first]:.3f} against {table.loc[current, first]:.3f}).",
             "The planted kinds overlap the dev sets' kinds (see the module docstring): NAB and KDD-TSAD are the "
             "independent check."]
    return dev_report(SUITE, "Heads weighted by planted anomalies (combine='probe')?", args, frame,
                      {"Mean VUS-PR by rule and dev set": table}, timings, notes, model, chosen)


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv=None) -> Report:
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
