"""How the detector's defaults were chosen: synthetic anomalies injected into series that are not test data.

The NAB and KDD-TSAD suites are the test; choosing ``smoothing`` or the ``auto`` rule there would tune on
test. Here the series are ETTh1's *training* block (rows < 8,640, 7 channels cut into two halves) and the
exchange-rate training part (8 series), so no anomaly benchmark is touched. Each series gets three
anomalies of random kinds (spike, level shift, pattern change, noise burst, flat line) after its first 15 %,
which is the fit data; labels cover each injected segment (a spike: 21 points around it).

    python -m evaluation.anomaly_settings_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsheads.datasets import ETTH1_SPLITS, load_exchange_rate
from tsheads.estimators.anomaly import TriangulationDetector
from tsheads.metrics.anomaly import vus_pr
from tsheads.scoring.combine import agreement_weights, combine, reference_rank_mean

from .anomaly_detection import PEERS
from .common import base_parser, etth1_normalised, parameters, suite_main
from .report import Report, Timings, suite_command

SUITE = "anomaly_settings_choice"
KINDS = ("spike", "level_shift", "pattern_change", "noise_burst", "flat_line")
FIT_FRACTION = 0.15
THREE = ("time", "fft", "forecast")
#: weights of the beyond-the-fit tail in ``auto`` (:data:`tsheads.scoring.combine.TAIL_WEIGHT`) compared at the
#: detector's default settings; 1.0 without the log is the raw excess
TAIL_WEIGHTS = (0.0, 0.001, 0.01, 0.05, 0.2, 1.0)


def inject(x: np.ndarray, rng: np.random.Generator, n: int = 3, start: int = 0) -> tuple[np.ndarray, np.ndarray, list]:
    """``x`` with ``n`` anomalies of random kinds in ``[start, len)``; returns (series, 0/1 labels, kinds)."""
    x = x.astype(np.float64).copy()
    t = len(x)
    labels = np.zeros(t, dtype=np.int64)
    sd = np.std(np.diff(x)) * 3 + 1e-12  # a scale of the series' local movement
    spread = np.std(x) + 1e-12
    slots = np.linspace(start, t, n + 1).astype(int)
    kinds = []
    for a, b in zip(slots[:-1], slots[1:]):
        kind = KINDS[rng.integers(len(KINDS))]
        length = int(rng.integers(40, 120))
        s = int(rng.integers(a + 30, max(a + 31, b - length - 30)))
        e = min(s + length, t)
        if kind == "spike":
            x[s] += rng.choice([-1, 1]) * (2 * sd + spread)
            labels[max(s - 10, 0):s + 11] = 1
        else:
            if kind == "level_shift":
                x[s:e] += rng.choice([-1, 1]) * 0.8 * spread
            elif kind == "pattern_change":  # the segment replayed twice as fast
                src = np.clip(s + 2 * np.arange(e - s), 0, t - 1)
                x[s:e] = x[src] - x[src[0]] + x[s]
            elif kind == "noise_burst":
                x[s:e] += rng.standard_normal(e - s) * sd
            else:  # flat line: the sensor sticks
                x[s:e] = x[s]
            labels[s:e] = 1
        kinds.append(kind)
    return x, labels, kinds


def dev_series(data_dir, quick: bool, seed: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    values, names, _ = etth1_normalised(data_dir)
    train_end = ETTH1_SPLITS["train"][1]
    raw = [(f"ETTh1/{name}/{half}", values[half * train_end // 2:(half + 1) * train_end // 2, j])
           for j, name in enumerate(names) for half in (0, 1)]
    ex = load_exchange_rate(data_dir)
    for uid, g in ex.train_df.groupby("unique_id", sort=True):
        raw.append((f"exchange_rate/{uid}", g["y"].to_numpy()))
    if quick:
        raw = raw[:2]
    out = []
    for name, x in raw:
        y, lab, _ = inject(x, rng, start=int(len(x) * FIT_FRACTION))
        out.append((name, y, lab))
    return out


def rule_scores(det: TriangulationDetector, x: np.ndarray, n_fit: int) -> dict:
    """Every head alone and every combination rule, over all heads and over the three model heads."""
    heads = det.score_heads(x)
    fit_heads = det.score_heads(x[:n_fit])
    scores = {h: heads[h].to_numpy() for h in heads.columns}
    order = list(heads.columns)
    for label, names in (("", list(heads.columns)), (" (3 heads)", list(THREE))):
        stacked = heads[names].to_numpy().T  # (H, T)
        for rule in ("max", "mean"):
            scores[rule + label] = combine(stacked, rule)
        reference = det.head_reference_[[order.index(n) for n in names]][:, :1]  # univariate: channel 0
        scores["auto" + label] = reference_rank_mean(stacked[:, None, :], reference)[0]
        scores["rank" + label] = combine(stacked, "rank")
        scores["agreement" + label] = combine(stacked, "weighted", agreement_weights(fit_heads[names].to_numpy().T))
    return scores


def run(args) -> Report:
    timings = Timings()
    series = dev_series(args.data_dir, args.quick, args.seed)
    grid = [("spread", e, s) for e in ("squared", "absolute") for s in ((8,) if args.quick else (8, 32, 64, 128))]
    grid += [("block", "squared", s) for s in ((8,) if args.quick else (32, 64))]
    rules = ("time", "fft", "forecast", "embedding", *(r + lab for lab in ("", " (3 heads)")
                                                       for r in ("auto", "rank", "agreement", "max", "mean")))
    rows, at_defaults = [], []
    defaults = TriangulationDetector().get_params()
    for mask, error, smoothing in grid:
        with timings.time(f"mask={mask} error={error} smoothing={smoothing}"):
            vus = {r: [] for r in rules}
            for name, x, lab in series:
                n_fit = int(len(x) * FIT_FRACTION)
                det = TriangulationDetector(smoothing=smoothing, mask=mask, error=error, weights=args.weights,
                                            batch_size=args.batch_size).fit(x[:n_fit])
                for r, s in rule_scores(det, x, n_fit).items():
                    vus[r].append(vus_pr(lab, s))
                if (mask, error, smoothing) == (defaults["mask"], defaults["error"], defaults["smoothing"]):
                    at_defaults.append((det.score_heads(x).to_numpy().T, det.head_reference_[:, :1], lab))
            rows.append({"mask": mask, "error": error, "smoothing": smoothing,
                         **{r: float(np.mean(v)) for r, v in vus.items()}})
    table = pd.DataFrame(rows).set_index(["mask", "error", "smoothing"])
    tails = pd.DataFrame({"VUS-PR": {
        ("raw excess" if w == 1.0 else f"{w:g} x log1p"): float(np.mean([
            vus_pr(lab, (reference_rank_mean(h[:, None], ref, 0.0)[0] + np.mean(np.maximum(h - ref[:, 0, -1:], 0), 0))
                   if w == 1.0 else reference_rank_mean(h[:, None], ref, w)[0]) for h, ref, lab in at_defaults]))
        for w in TAIL_WEIGHTS}}).rename_axis("tail term") if at_defaults else pd.DataFrame()
    peers = {}
    for name, make in PEERS.items():
        with timings.time(name):
            peers[name] = float(np.mean([vus_pr(lab, make(args.seed).fit(x[:int(len(x) * FIT_FRACTION)])
                                                .decision_function(x)) for _, x, lab in series]))
    best = table.stack().idxmax()
    notes = [f"{len(series)} series, 3 injected anomalies each, fit on the first {FIT_FRACTION:.0%}; mean VUS-PR "
             f"(100-point buffer). Best cell: mask={best[0]}, error={best[1]}, smoothing={best[2]}, rule={best[3]} "
             f"({table.stack().max():.3f}); best peer {max(peers, key=peers.get)} ({max(peers.values()):.3f}).",
             "'auto' is the mean over heads of each point's rank among the head's fit-data scores "
             "(TriangulationDetector's default since 0.2); 'rank' the mean of each head's rank within the scored "
             "series (the default before); 'agreement' weighs calibrated scores by the heads' agreement on the "
             "fit data. "
             "'(3 heads)': time, fft and forecast only; the other rules use all four heads."]
    return Report(
        suite=SUITE, title="Anomaly detector settings, chosen on injected anomalies (dev data, not a benchmark)",
        command=suite_command(SUITE, args.argv), parameters=parameters(args, n_series=len(series)),
        tables={"Mean VUS-PR of tsheads by setting and combination rule": table,
                "auto at the default settings: weight of the beyond-the-fit tail": tails,
                "Mean VUS-PR of the peers on the same series": pd.Series(peers, name="VUS-PR").to_frame()},
        wall_times={k: round(v, 2) for k, v in timings.seconds.items()}, notes=notes)


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv=None) -> Report:
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
