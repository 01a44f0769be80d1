"""Flag stability: how far the share of a series that the detector flags moves when the fit part grows by 1 %.

An operator cannot act on flags that jump with small changes of the fit data (issue 17: fit on 300 or 302
points of one series, contamination 0.02, flagged 19.2 % and 3.2 % of it). Here: noisy sines (random period)
and random walks of 1,000 points, synthetic, so no benchmark is touched; each is fitted on its first ``n``
points and on its first ``1.01 n``, then ``predict`` runs on the whole series. Reported per combination rule:
the flag shares, the move between the two fits, and the share flagged inside the fit part (where
``contamination`` says what to expect).

    python -m evaluation.flag_stability [--quick] [--seeds N]
"""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd

from tsheads.estimators.anomaly import TriangulationDetector

from .common import base_parser, estimator_weights, model_from_args, model_info, parameters, suite_main
from .report import Report, Timings, suite_command

SUITE = "flag_stability"
LENGTH, CONTAMINATION, GROWTH = 1000, 0.02, 1.01
FIT_LENGTHS = (300, 600)
RULES = ("auto", "probe", "rank")
#: issue 17's stability bound on the largest move of the flagged share (held by a test for the default)
MAX_MOVE = 0.05
#: a new detector default may flag at most this many times ``CONTAMINATION`` of the clean series (since
#: ``evaluation.tail_weight_choice``)
FLAGGED_FACTOR = 2.0


def within_flag_bounds(move: float, flagged: float) -> bool:
    """Whether a detector's worst flag move and mean flagged share (:func:`worst_move_of`) keep both bounds
    every detector default must keep: the move under :data:`MAX_MOVE`, the share at most
    :data:`FLAGGED_FACTOR` x :data:`CONTAMINATION`."""
    return move < MAX_MOVE and flagged <= FLAGGED_FACTOR * CONTAMINATION


def synthetic(kind: str, seed: int) -> np.ndarray:
    """A noisy sine with a random period (20 to 79 steps) or a Gaussian random walk, ``LENGTH`` points."""
    rng = np.random.default_rng(seed)
    t = np.arange(LENGTH)
    if kind == "sine":
        return np.sin(2 * np.pi * t / rng.integers(20, 80)) + 0.2 * rng.standard_normal(LENGTH)
    return rng.standard_normal(LENGTH).cumsum()


def run(args) -> Report:
    timings = Timings()
    model = model_from_args(args)
    with tempfile.TemporaryDirectory() as folder:
        cases = pd.DataFrame(measure(args, estimator_weights(args, model, folder), timings))
    summary = cases.groupby("combine", sort=False).agg(
        cases=("move", "size"), **{"max move": ("move", "max"), "median move": ("move", "median"),
                                   "mean flagged": ("flagged (fit n)", "mean"),
                                   "mean fit part flagged": ("fit part flagged (fit n)", "mean")})
    notes = [f"{LENGTH}-point series, contamination {CONTAMINATION}, fit on the first n and on the first "
             f"{GROWTH:.2f} n points; 'move' is the absolute change of the share of the whole series flagged.",
             "'auto' (the default) ranks each point among the fit data's scores per head and averages the ranks "
             "with the votes (time and fft one vote between them); 'probe' is 'auto' with the heads weighted by "
             "how well each found anomalies planted in copies of the fit data (fit parts of 512 points or more; "
             "shorter ones take 'auto''s votes); 'rank' "
             "ranks within the scored series (the default before version 0.2)."]
    return Report(
        suite=SUITE, title="Flag stability when the fit part grows by 1 % (synthetic series)",
        command=suite_command(SUITE, args.argv), parameters=parameters(args), model=model_info(model, args),
        tables={"Summary by combination rule": summary, "Every case": cases.set_index(["combine", "series", "fit n"])},
        wall_times={k: round(v, 2) for k, v in timings.seconds.items()}, notes=notes)


def worst_moves(rules, weights, batch_size: int, seeds: int = 4) -> dict:
    """The largest flag move of each rule over this suite's full set of cases (used by the choosing suites)."""
    from argparse import Namespace

    rows = measure(Namespace(quick=False, seeds=seeds, batch_size=batch_size), weights, Timings(), rules)
    return {rule: max(r["move"] for r in rows if r["combine"] == rule) for rule in rules}


def measure(args, weights, timings: Timings, rules=RULES) -> list[dict]:
    """One row per (rule, series, fit length): the flag shares after the two fits and their move."""
    rows = []
    seeds = range(1 if args.quick else args.seeds)
    fit_lengths = FIT_LENGTHS[:1] if args.quick else FIT_LENGTHS
    for rule in rules:
        with timings.time(f"combine={rule}"):
            for seed in seeds:
                for kind in ("sine", "walk"):
                    for n in fit_lengths:
                        rows.append(case(rule, kind, seed, n, weights, args.batch_size))
    return rows


def worst_move_of(params: dict, seeds: int = 4, fit_lengths=FIT_LENGTHS) -> tuple[float, float]:
    """The largest flag move of a detector with ``params`` over the full set of cases (or those with other
    ``fit_lengths``), and its mean flagged share."""
    if "contamination" in params:
        raise ValueError(f"the flag cases use contamination {CONTAMINATION}; leave it out of params")
    rows = [case(params.get("combine", "auto"), kind, seed, n, params.get("weights"), params.get("batch_size", 512),
                 {k: v for k, v in params.items() if k not in ("combine", "weights", "batch_size")})
            for seed in range(seeds) for kind in ("sine", "walk") for n in fit_lengths]
    return max(r["move"] for r in rows), float(np.mean([r["flagged (fit n)"] for r in rows]))


def case(rule: str, kind: str, seed: int, n: int, weights, batch_size: int, params: dict | None = None) -> dict:
    """Flag shares of one synthetic series fitted on its first ``n`` and ``GROWTH * n`` points, and the move.

    ``params``: further detector settings (say ``window``)."""
    y = synthetic(kind, seed)
    shares = {}
    for label, k in (("n", n), ("1.01 n", int(n * GROWTH))):
        det = TriangulationDetector(contamination=CONTAMINATION, combine=rule, weights=weights,
                                    batch_size=batch_size, **(params or {})).fit(y[:k])
        flags = det.predict(y)
        shares[label] = (flags.mean(), flags[:k].mean())
    return {"combine": rule, "series": f"{kind} {seed}", "fit n": n,
            "flagged (fit n)": shares["n"][0], "flagged (fit 1.01 n)": shares["1.01 n"][0],
            "move": abs(shares["n"][0] - shares["1.01 n"][0]), "fit part flagged (fit n)": shares["n"][1]}


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=4, help="series of each kind (default 4; 1 with --quick)")
    return p


def main(argv: list[str] | None = None) -> Report:
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
