"""Which network and window the detector uses by default: decided on the three dev sets, never on a benchmark.

Issue 15 asks for 200 series of 50 to 500 points a second on a 2-core CPU with every head on; the 512-point
network does about 50, because each row (a 64-point subsequence, a 16-step forecast, a masked window) costs a
whole 512-point forward pass. The short-window network (``python -m tsheads.pretrain --arch detect-short``: a
128-point context in v1's patches at v1's width, 20 tokens against 68) runs about 5.7 times as many rows a
second. Candidates:

- ``v1, window 512``: the default before this suite;
- ``v1, window 128``: the same network with 128-point windows (separates the window from the network);
- ``short, window 128``: the short-window network (the bundled one, or ``--short-weights``).

Each is scored with the default rule (``auto``) on the dev sets of ``evaluation.combine_rule_choice`` (injected
anomalies, generated cycles, injected corpus series; fit on the first 15 %), its worst flag move measured as in
``evaluation.flag_stability``, and its speed on ``evaluation.detection_speed``'s frame (200 series of 50 to 500
points), the candidates timed in turn, repeat by repeat.

Rule, fixed before the short network finished training: ``short, window 128`` becomes the default if (a) its mean
of the three sets' mean VUS-PR is at least the current default's minus :data:`TOLERANCE`, (b) no set's mean falls
by more than :data:`SET_TOLERANCE`, (c) its worst flag move stays under the bound of ``flag_stability`` (0.05),
and (d) it is faster on the speed frame. Otherwise the default stays, and the short network serves windows of at
most 128 points on request.

    python -m evaluation.detector_network_choice [--data-dir DIR] [--quick] [--short-weights STEM]
"""

from __future__ import annotations

import statistics
import time

import pandas as pd

from tsheads.estimators.anomaly import TriangulationDetector
from tsheads.metrics.anomaly import vus_pr
from tsheads.nn.weights import load_model
from tsheads.pretrained import DEFAULT, DETECT_SHORT, pretrained_path

from .anomaly_settings_choice import FIT_FRACTION
from .combine_rule_choice import dev_sets
from .common import base_parser, suite_main, weights_digest
from .cycle_head_choice import dev_report, run_on_dev, set_means
from .detection_speed import long_frame, mixed_series
from .flag_stability import MAX_MOVE, worst_move_of
from .report import Report

SUITE = "detector_network_choice"
CURRENT, SHORT = "v1, window 512", "short, window 128"
#: how much mean dev VUS-PR the speed may cost (over the three sets, and on any one set)
TOLERANCE, SET_TOLERANCE = 0.01, 0.03


def candidates(args) -> dict:
    """Detector settings of each candidate, every network named by its file (no routing decides what is measured)."""
    v1 = args.weights or str(pretrained_path(DEFAULT))
    short = args.short_weights or str(pretrained_path(DETECT_SHORT))  # WeightsError when it does not ship
    return {CURRENT: {"weights": v1}, "v1, window 128": {"window": 128, "weights": v1},
            SHORT: {"window": 128, "weights": short}}


def speeds(settings: dict, n_series: int, repeats: int, batch_size: int) -> dict:
    """Median series per second of ``detect`` on the speed frame, the candidates timed in turn each repeat."""
    frame = long_frame(mixed_series(n_series, 50, 500, 0))
    detectors = {name: TriangulationDetector(batch_size=batch_size, **params) for name, params in settings.items()}
    for det in detectors.values():  # load and warm up each network
        det.detect(frame[frame["unique_id"] == frame["unique_id"].iloc[0]])
    seconds = {name: [] for name in detectors}
    for _ in range(repeats):
        for name, det in detectors.items():
            start = time.perf_counter()
            det.detect(frame)
            seconds[name].append(time.perf_counter() - start)
    return {name: n_series / statistics.median(s) for name, s in seconds.items()}


def run(args) -> Report:
    return run_on_dev(args, _run)


def _run(args, model, weights, timings) -> Report:
    settings = candidates(args)
    rows = []
    for set_name, series in dev_sets(args).items():
        for name, x, lab in series:
            n_fit = int(len(x) * FIT_FRACTION)
            row = {"set": set_name, "series": name}
            for cand, params in settings.items():
                with timings.time(cand):
                    det = TriangulationDetector(batch_size=args.batch_size, **params).fit(x[:n_fit])
                    row[cand] = vus_pr(lab, det.decision_function(x))
            rows.append(row)
    frame = pd.DataFrame(rows)
    table = set_means(frame, list(settings))
    sets = [c for c in table.columns if c != "all dev series"]
    table["mean of the set means"] = table[sets].mean(axis=1)
    moves, flagged = {}, {}
    for cand, params in settings.items():
        with timings.time(f"flag stability: {cand}"):
            moves[cand], flagged[cand] = worst_move_of({**params, "batch_size": args.batch_size},
                                                       1 if args.quick else 4)
    with timings.time("speed"):
        rate = speeds(settings, 20 if args.quick else 200, 1 if args.quick else 3, args.batch_size)
    score = table["mean of the set means"]
    drop = (table.loc[CURRENT, sets] - table.loc[SHORT, sets]).max()
    checks = {"mean within tolerance": score[SHORT] >= score[CURRENT] - TOLERANCE,
              "no set falls too far": drop <= SET_TOLERANCE,
              "flags stable": moves[SHORT] < MAX_MOVE,
              "faster": rate[SHORT] > rate[CURRENT]}
    chosen = SHORT if all(checks.values()) else CURRENT
    decision = pd.DataFrame({"mean of the set means": score, "worst flag move": pd.Series(moves),
                             "mean share flagged (contamination 0.02)": pd.Series(flagged),
                             "series/s (200 of 50-500 points)": pd.Series(rate),
                             "chosen": pd.Series({c: c == chosen for c in settings})}).rename_axis("candidate")
    sizes = ", ".join(f"{s}: {n}" for s, n in frame["set"].value_counts(sort=False).items())
    notes = [f"{len(frame)} dev series ({sizes}); fit on the first {FIT_FRACTION:.0%} of each; mean VUS-PR "
             "(100-point buffer) of the default rule (auto).",
             f"Rule, fixed before the short network finished training: '{SHORT}' becomes the default if its mean of "
             f"the set means is within {TOLERANCE} of '{CURRENT}', no set falls by more than {SET_TOLERANCE}, its "
             f"worst flag move stays under {MAX_MOVE}, and it is faster. Checks: "
             + ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in checks.items())
             + f" (largest set drop {drop:.3f}). CHOICE: {chosen}.",
             "Speed: evaluation.detection_speed's frame, candidates timed in turn each repeat, median; torch threads "
             f"{args.threads or 'default'}.",
             f"Short-window network: {settings[SHORT]['weights']} (weights sha256 "
             f"{weights_digest(load_model(settings[SHORT]['weights']))})."]
    return dev_report(SUITE, "The detector's default network and window", args, frame,
                      {"Mean VUS-PR by candidate and dev set": table, "Decision": decision}, timings, notes,
                      model, chosen)


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--short-weights", default=None,
                   help="path stem of the short-window network (default: the bundled one)")
    return p


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.detector_network_choice``: run, write ``detector_network_choice.{md,json}``."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
