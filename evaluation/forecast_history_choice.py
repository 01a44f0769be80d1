"""How much history the forecast head sees: decided on dev data, never on NAB or KDD-TSAD.

``detect`` spent its network rows on three jobs: masked reconstruction, forecasts from the whole window
before every origin (every 16 points) and the embedding of every 64-point subsequence alone (every 16
points). Forecasting from the 64 points of a subsequence instead lets one forward pass serve both the
forecast and the embedding head (200 series of 50 to 500 points: 8,288 rows become 5,560). This compares
the two on the dev sets of ``evaluation.cycle_head_choice`` (injected anomalies in ETTh1 / exchange-rate
training data, and generated cycles with whole-cycle anomalies), every series fitted on its first 15 %, with
the default heads and rule.

Rule: ``forecast_history=64`` (shared passes) becomes the default when the default detector's mean
VUS-PR over all dev series and on each dev set is at most 0.01 below that of forecasts from the whole
window. (The bound was set after a first look at these dev sets with an earlier draft of the code, which
moved them by -0.002 and -0.009; the benchmarks were not looked at.)

    python -m evaluation.forecast_history_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

import pandas as pd

from tsheads.estimators.anomaly import TriangulationDetector
from tsheads.metrics.anomaly import vus_pr
from tsheads.scoring.heads import EMBED_WIDTH

from .anomaly_detection import calibrated_heads
from .anomaly_settings_choice import FIT_FRACTION
from .common import base_parser, suite_main
from .cycle_head_choice import dev_report, dev_sets, run_on_dev, set_means
from .report import Report

SUITE = "forecast_history_choice"
#: how much the shared passes may lose (mean VUS-PR, overall and per dev set) and still become the default
MAX_LOSS = 0.01
CANDIDATES = {"whole window (separate embedding passes)": None, f"{EMBED_WIDTH} points (shared passes)": EMBED_WIDTH}


def run(args) -> Report:
    return run_on_dev(args, _run)


def _run(args, model, weights, timings) -> Report:
    sets = dev_sets(args)
    rows = []
    for set_name, series in sets.items():
        for name, x, lab in series:
            n_fit = int(len(x) * FIT_FRACTION)
            row = {"set": set_name, "series": name}
            for label, points in CANDIDATES.items():
                with timings.time(label):
                    det = TriangulationDetector(weights=weights, batch_size=args.batch_size,
                                                forecast_history=points).fit(x[:n_fit])
                    row[f"default detector, {label}"] = vus_pr(lab, det.decision_function(x))
                    calibrated = calibrated_heads(det, x)
                for head in ("forecast", "embedding"):
                    row[f"{head} head, {label}"] = vus_pr(lab, calibrated[head][0])
            rows.append(row)
    frame = pd.DataFrame(rows)
    metric_cols = [c for c in frame.columns if c not in ("set", "series")]
    table = set_means(frame, metric_cols)
    old, new = (f"default detector, {label}" for label in CANDIDATES)
    margins = table.loc[new] - table.loc[old]
    chosen = list(CANDIDATES)[1] if (margins >= -MAX_LOSS).all() else list(CANDIDATES)[0]
    notes = [f"{len(frame)} dev series; fit on the first {FIT_FRACTION:.0%} of each; mean VUS-PR (100-point buffer); "
             "default heads and combination rule.",
             f"Rule: forecast_history=64 (shared passes) becomes the default when the default detector's mean "
             f"VUS-PR over all dev series and on each dev set is at most {MAX_LOSS} below forecasts from the "
             "whole window.",
             "Margins (shared - whole window, default detector): "
             + ", ".join(f"{k} {v:+.3f}" for k, v in margins.items()) + f". Chosen: {chosen}.",
             "Wall times include fitting and scoring every dev series (one thread per process as set by --threads)."]
    return dev_report(SUITE, "The forecast head's history: the whole window, or the embedded subsequence?", args,
                      frame, {"Mean VUS-PR by forecast history and dev set": table}, timings, notes, model, chosen)


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv=None) -> Report:
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
