"""Probe copies of the fit data: known anomalies injected, so each head's eye for this series can be measured.

Which head sees an anomaly depends on the series: a spike on a smooth signal stands out to the time head, a
missing daily cycle only to the cycle head, an odd shape among regular ones to the embedding head. Without
labels, a detector can still ask how well each head separates anomalies it planted itself: the ``probe``
combination weights every head by its average precision on such copies (pure numpy; the caller scores them).

Kinds (each in one channel of one slot of the copy): a spike, a level shift, a noise burst, a flat stretch
(a stuck sensor), a stretch replayed twice as fast, and with a cycle length, a whole cycle flattened or
shifted by half a period. They mirror the generic anomaly families of the detection literature; they are
not drawn from any benchmark's labels.
"""

from __future__ import annotations

import numpy as np

POINT_KINDS = ("spike", "level_shift", "noise_burst", "flat", "faster")
CYCLE_KINDS = ("cycle_flat", "cycle_shift")
#: fit points per planted anomaly (at most :data:`MAX_PER_COPY` per copy, at least one)
POINTS_PER_ANOMALY, MAX_PER_COPY = 400, 6
#: labels around a spike: the smoothed heads spread a one-point anomaly over its neighbours
SPIKE_HALF_WIDTH = 5
#: shortest fit data copies are made of (one full window): in a shorter part a planted anomaly changes every
#: window, so each copy costs as much as the fit itself, and one anomaly gives a noisy weight; shorter fit
#: parts leave the heads at ``"auto"``'s weights (``combine="probe"`` then scores as ``"auto"``)
MIN_PROBE_LENGTH = 512


def probe_copies(x: np.ndarray, observed: np.ndarray, period: int | None, n_copies: int,
                 seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n_copies`` copies of ``x`` ``(C, T)`` with planted anomalies, and their 0/1 labels ``(T,)``.

    The copies keep ``observed`` (nothing is planted on or read from unobserved points). Anomalies sit one
    per slot, so they never overlap; slots are :func:`slot_width` points from the start and each slot's
    anomaly is drawn from its own seed, so fit data that grows by a little keeps the same anomalies (the
    head weights, and with them the flags, do not jump). ``period`` (the cycle head's) adds the whole-cycle
    kinds when a cycle fits in a slot. Copies without a planted point are left out.
    """
    c, t = x.shape
    if t < MIN_PROBE_LENGTH:
        return []
    width = slot_width(t)
    out = []
    for copy in range(n_copies):
        y, labels = np.array(x, dtype=np.float64), np.zeros(t, dtype=bool)
        for slot, a in enumerate(range(0, t - width + 1, width)):
            rng = np.random.default_rng([seed, copy, slot])
            _plant(y, labels, observed, rng, a, a + width, period)
        if labels.any() and not labels.all():
            out.append((y, labels))
    return out


def slot_width(length: int) -> int:
    """Points per planted anomaly: :data:`POINTS_PER_ANOMALY`, doubled as often as needed to keep at most
    :data:`MAX_PER_COPY` slots (so it changes only when the length doubles)."""
    width = POINTS_PER_ANOMALY
    while length // width > MAX_PER_COPY:
        width *= 2
    return width


def _plant(y: np.ndarray, labels: np.ndarray, observed: np.ndarray, rng: np.random.Generator, a: int, b: int,
           period: int | None) -> None:
    """One anomaly of a random kind in ``[a, b)`` of a random channel (in place)."""
    ch = int(rng.integers(len(y)))
    seen = observed[ch]
    values = y[ch][a:b][seen[a:b]]  # the slot's own scale: a longer fit does not change it
    if len(values) < 3:
        return
    step = 3.0 * np.std(np.diff(values)) + 1e-12  # the series' local movement
    spread = np.std(values) + 1e-12
    cycle_fits = period is not None and b - a > period + 2
    kinds = POINT_KINDS + (CYCLE_KINDS if cycle_fits else ())
    kind = kinds[int(rng.integers(len(kinds)))]
    length = period if kind in CYCLE_KINDS else int(rng.integers(8, max(9, min(128, (b - a) // 2))))
    reach = 2 * length - 1 if kind == "faster" else 1 if kind == "spike" else length  # points read or written
    if b - a <= reach + 2:
        return
    s = int(rng.integers(a + 1, b - reach))
    e = s + (1 if kind == "spike" else length)
    if not seen[s:s + reach].all():  # nothing is planted on, or read from, an unobserved point
        return
    row = y[ch]
    if kind == "spike":
        row[s] += rng.choice([-1.0, 1.0]) * (2.0 * step + spread)
        lo, hi = max(s - SPIKE_HALF_WIDTH, 0), s + SPIKE_HALF_WIDTH + 1
    else:
        if kind == "level_shift":
            row[s:e] += rng.choice([-1.0, 1.0]) * 0.8 * spread
        elif kind == "noise_burst":
            row[s:e] += rng.standard_normal(e - s) * step
        elif kind == "flat":
            row[s:e] = row[s]
        elif kind == "faster":  # the stretch replayed twice as fast (inside the slot), joined at its start
            row[s:e] = row[s + 2 * np.arange(e - s)]
        elif kind == "cycle_flat":
            row[s:e] = np.mean(row[s:e])
        else:  # cycle_shift: the cycle shifted by half a period
            row[s:e] = np.roll(row[s:e], length // 2)
        lo, hi = s, e
    labels[lo:hi] |= seen[lo:hi]


def separation(labels: np.ndarray, score: np.ndarray) -> float:
    """Average precision of ``score`` ``(T,)`` for the planted ``labels`` (sklearn's step-wise definition)."""
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(labels, score))
