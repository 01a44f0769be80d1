"""Whether the cycle head's ranks count its fit cycles, and the power of the default rule's mean, decided together
on dev data, never on a benchmark.

``power_choice`` (clean 3f3fc54) chose a power mean of 4 over the heads' ranks (mean dev VUS-PR 0.440 against
0.385), but it was not adopted: a clean cyclic series fit on 2.2 cycles (contamination 0.1) then flagged 11.7 % of
the rest. The cause is the cycle head's reference: on two or three cycles it comes from a handful of cycle pairs,
so 72 % of later clean points lay beyond its largest fit score, ranked 1, and a power mean lets that one head
decide. Counting the ``k`` fit cycles scored that do not overlap, the head's ranks are scaled by ``k / (k + 1)``
(``COUNT_FIT_CYCLES``, the chance that a new cycle from the same law is not beyond all ``k``; see
:func:`tsheads.scoring.combine.size_factor`).

The first run (clean babe6bc, kept as ``cycle_count_choice_first_run``) counted every scored fit cycle, and
those start every period / 16 points (2.2 cycles: 9, ten cycles: 145), and scaled only the share below the
rank's tail term; a review found both, and the count and the scaling were corrected before this run. The
rule is unchanged.

Candidates: the count off or on, times the powers of ``power_choice`` (1, 2, 4, 8). Dev sets: ``power_choice``'s
four; each series fit on its first 15 % with the default settings; each candidate combines the same calibrated
head scores.

Rule, fixed before the run: among the candidates with (a) the worst flag move of ``evaluation.flag_stability``'s
cases under 0.05, (b) at most 2 x 0.02 of those clean series flagged, and (c) at most the contamination (0.1)
flagged on average of clean cyclic series fit on 2.2, 2.5 and 3 cycles (:func:`short_fit_flags`: generated
ones, and the standing regression test's recipe with other noise draws), the highest mean of the four sets'
mean VUS-PR wins; a candidate within 0.005 of the default before this suite (count off, power 1) does not
replace it.

Both runs used the defaults of their commits (cycles compared with their level, equal votes); a run after
``cycle_level_choice`` (level-free cycles, one reconstruction vote) fits with those and differs.

    python -m evaluation.cycle_count_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

from itertools import product
from unittest.mock import patch

import numpy as np
import pandas as pd

import tsheads.estimators.anomaly as anomaly_module
from tsheads.estimators.anomaly import TriangulationDetector
from tsheads.scoring.combine import reference_rank_mean

from .combine_rule_choice import TIE, best_within, combined_dev_rows
from .common import base_parser, suite_main
from .cycle_head_choice import dev_report, run_on_dev, set_means, set_sizes
from .detector_network_choice import SET_TOLERANCE
from .flag_stability import CONTAMINATION, MAX_MOVE, within_flag_bounds, worst_move_of
from .power_choice import POWERS
from .rebuild_scale_choice import four_dev_sets

SUITE = "cycle_count_choice"
#: candidates: (count the fit cycles, power)
CANDIDATES = tuple(product((False, True), POWERS))
#: the default before this suite ran
CURRENT = (False, 1.0)
#: the short-fit clean cases: fit cycles, contamination (the standing regression test's) and its bound
SHORT_FIT_CYCLES, SHORT_FIT_CONTAMINATION = (2.2, 2.5, 3.0), 0.1
SHORT_FIT_BOUND = SHORT_FIT_CONTAMINATION


def _label(candidate: tuple) -> str:
    count, power = candidate
    return f"{'count' if count else 'no count'}, power {power:g}"


def counting(on: bool):
    """Detectors fitted inside count their fit cycles (``on``) or do not."""
    return patch.object(anomaly_module, "COUNT_FIT_CYCLES", on)


def clean_cycles(seed: int, kind: str, n_cycles: int = 12) -> tuple[np.ndarray, int]:
    """A clean cyclic series and its period: ``"generated"`` (``cycle_head_choice``'s recipe without anomalies:
    random period and harmonics, a slow drift) or ``"two harmonics"`` (the standing regression test's: period 96)."""
    rng = np.random.default_rng(10_000 + seed)
    period = int(rng.integers(24, 289)) if kind == "generated" else 96
    t = np.arange(n_cycles * period)
    phase = 2 * np.pi * t / period
    if kind == "generated":
        shape = sum(rng.uniform(0.2, 1.0) * np.sin(k * phase + rng.uniform(0, 2 * np.pi)) for k in (1, 2, 3))
        return shape + 0.1 * rng.standard_normal(len(t)) + np.cumsum(rng.standard_normal(len(t))) * 0.002, period
    return np.sin(phase) + 0.5 * np.sin(2 * phase + 1.0) + 0.1 * rng.standard_normal(len(t)), period


def short_fit_flags(params: dict, seeds: int = 4) -> float:
    """Mean share flagged after the fit part of clean cyclic series (``seeds`` of each kind of
    :func:`clean_cycles`) fit on :data:`SHORT_FIT_CYCLES` cycles."""
    shares = []
    for seed, kind in product(range(seeds), ("generated", "two harmonics")):
        x, period = clean_cycles(seed, kind)
        for cycles in SHORT_FIT_CYCLES:
            n = int(cycles * period)
            det = TriangulationDetector(contamination=SHORT_FIT_CONTAMINATION, **params).fit(x[:n])
            shares.append(float(det.predict(x)[n:].mean()))
    return float(np.mean(shares))


def flag_checks(params: dict, quick: bool) -> tuple[float, float, float]:
    """A detector with ``params``: the worst flag move and the mean share flagged over ``flag_stability``'s cases,
    and the mean share flagged of the clean short fits (:func:`short_fit_flags`)."""
    seeds = 1 if quick else 4
    move, flagged = worst_move_of(params, seeds=seeds)
    return move, flagged, short_fit_flags(params, seeds=seeds)


def within_bounds(checks: tuple, drop: float | None = None) -> bool:
    """Whether :func:`flag_checks`' three results keep every detector default's bounds (move, flag share, short
    fits), and the largest fall of a dev set's mean VUS-PR (``drop``; None: not checked) stays within
    ``detector_network_choice``'s tolerance."""
    move, flagged, short = checks
    return within_flag_bounds(move, flagged) and short <= SHORT_FIT_BOUND and (drop is None or drop <= SET_TOLERANCE)


def bounded_choice(table: pd.DataFrame, candidates, label, current, checks_of, extra=None, also=None) -> tuple:
    """The detector-default choice rule over a dev table (rows by ``label(candidate)``, a column per set and
    "mean of the set means"): each candidate's score, its largest set drop against ``current``, its
    :func:`flag_checks` (``checks_of(candidate)``, in candidate order) and whether it keeps :func:`within_bounds`
    (and ``also(candidate)``, a bound of the suite's own); the adopted one (:func:`best_within`).

    Returns ``(score, chosen, rows)``: the scores by candidate, the chosen candidate and one row of the decision
    table per candidate (``extra(candidate)``'s columns before "within the bounds")."""
    names = [c for c in table.columns if c not in ("all dev series", "mean of the set means")]
    score = {c: float(table.loc[label(c), "mean of the set means"]) for c in candidates}
    drops = {c: float((table.loc[label(current), names] - table.loc[label(c), names]).max()) for c in candidates}
    checks = {c: checks_of(c) for c in candidates}
    within = {c: within_bounds(checks[c], drops[c]) and (also is None or also(c)) for c in candidates}
    chosen = best_within(score, within, current)
    rows = [{"mean of the set means": score[c], "largest set drop": drops[c], "worst flag move": checks[c][0],
             f"mean share flagged (contamination {CONTAMINATION})": checks[c][1],
             f"short fits flagged (contamination {SHORT_FIT_CONTAMINATION})": checks[c][2],
             **(extra(c) if extra else {}), "within the bounds": within[c], "chosen": c == chosen}
            for c in candidates]
    return score, chosen, rows


def decision_table(candidates, label, rows: list) -> pd.DataFrame:
    """:func:`bounded_choice`'s decision rows as a table, one per candidate (indexed by ``label(candidate)``)."""
    return pd.DataFrame([{"candidate": label(c), **row} for c, row in zip(candidates, rows)]).set_index("candidate")


def bounded_rule_note(current: str, chosen: str, score: dict, current_key, chosen_key, extra_bound: str = "") -> str:
    """The report note that states :func:`bounded_choice`'s rule and its choice (``current`` and ``chosen`` are
    labels, ``score`` keyed by candidate; ``extra_bound``: a suite's own bound, inside the bounds' parentheses)."""
    return ("Rule, fixed before the run: the highest mean of the set means among the candidates within the flag "
            f"bounds (worst move under 0.05, clean flag-stability series at most 2 x {CONTAMINATION} flagged, clean "
            f"short fits at most {SHORT_FIT_BOUND:g} flagged at contamination {SHORT_FIT_CONTAMINATION:g}"
            f"{extra_bound}) and no set more than {SET_TOLERANCE} below '{current}'; within {TIE} of it, it stays. "
            f"CHOICE: {chosen} ({score[chosen_key]:.3f}; {current} {score[current_key]:.3f}).")


def run(args):
    return run_on_dev(args, _run)


def _run(args, model, weights, timings):
    def combine(det, heads, stacked):
        return {_label((count, p)): reference_rank_mean(stacked, det.head_reference_, power=p,
                                                        sizes=det._reference_sizes(heads) if count else None)
                for count, p in CANDIDATES}

    def fit_cycles(det):
        return {"independent fit cycles": None if det.cycle_fit_cycles_ is None else det.cycle_fit_cycles_[0]}

    with counting(True):
        frame = combined_dev_rows(args, weights, timings, four_dev_sets(args), combine, fit_cycles)
    labels = [_label(c) for c in CANDIDATES]
    table = set_means(frame, [c for c in frame.columns if c not in ("set", "series", "independent fit cycles")],
                      mean_of_sets=True)
    score = {c: float(table.loc[_label(c), "mean of the set means"]) for c in CANDIDATES}
    checks = {}
    for count, p in CANDIDATES:
        params = {"power": p, "weights": weights, "batch_size": args.batch_size}
        with timings.time(f"flag checks, {_label((count, p))}"), counting(count):
            checks[(count, p)] = flag_checks(params, args.quick)
    within = {c: within_bounds(checks[c]) for c in CANDIDATES}
    chosen = best_within(score, within, CURRENT)
    decision = pd.DataFrame([{"candidate": _label(c), "mean of the set means": score[c],
                              "worst flag move": checks[c][0],
                              f"mean share flagged (contamination {CONTAMINATION})": checks[c][1],
                              f"short fits flagged (contamination {SHORT_FIT_CONTAMINATION})": checks[c][2],
                              "within the bounds": within[c], "chosen": c == chosen} for c in CANDIDATES]
                            ).set_index("candidate")
    sizes = set_sizes(frame)
    notes = [f"{len(frame)} dev series ({sizes}); fit on the first 15% of each; mean VUS-PR (100-point buffer); "
             "every candidate combines the same calibrated head scores of the default detector.",
             f"Rule: the highest mean of the set means with the worst flag move under {MAX_MOVE}, the clean "
             f"flag-stability series flagged within their bound, and clean cyclic series fit on "
             f"{', '.join(f'{c:g}' for c in SHORT_FIT_CYCLES)} cycles flagged at most {SHORT_FIT_BOUND:g} on average "
             f"(contamination {SHORT_FIT_CONTAMINATION:g}); within {TIE} of {_label(CURRENT)} it stays. "
             f"CHOICE: {_label(chosen)} ({score[chosen]:.3f}; {_label(CURRENT)} {score[CURRENT]:.3f}).",
             "Candidates and rule were written before the run; the powers are power_choice's grid."]
    tables = {"Mean VUS-PR by candidate and dev set": table.loc[labels],
              "Mean VUS-PR of each head by dev set": table.drop(index=labels), "Decision": decision}
    return dev_report(SUITE, "Counting the cycle head's fit cycles, and the power of the mean over heads", args,
                      frame, tables, timings, notes, model, {"count_fit_cycles": chosen[0], "power": chosen[1]})


def build_parser():
    return base_parser(__doc__.splitlines()[0])


def main(argv: list[str] | None = None):
    """``python -m evaluation.cycle_count_choice``: run, write ``cycle_count_choice.{md,json}``."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
