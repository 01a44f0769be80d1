"""Validation windows of long hourly series, for choices the M competitions cannot inform.

The M1 / M3 / M4-hourly training parts hold no long multi-seasonal series like Taylor's demand or ETTh1. The
staged pretraining corpus (``../shared/pretraining``, read through :mod:`tsheads.pretrain.staged`; never an
evaluation set: the leakage check excludes every copy) has hourly electricity load (PJM), wind power, weather
and air quality. The shipped v1 network was not pretrained on it. Each series gives its last
:data:`HISTORY` + :data:`HORIZON` points: twelve weeks of history and one week held out, as Taylor in the
benchmark. At most :data:`PER_SOURCE` series per source, the longest first, so no source dominates.
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


def corpus_group(max_series: int | None = None) -> Group:
    """The group: hourly corpus series with ``HISTORY + HORIZON`` points, stamped hourly from 2000-01-03."""
    per_source = staged_series()
    if not per_source:
        raise DatasetNotFoundError("corpus_hourly needs the staged pretraining corpus (../shared/pretraining or "
                                   "$TSHEADS_PRETRAINING). Skipped")
    ids, train, test, frames = [], [], [], []
    stamps = pd.date_range("2000-01-03", periods=HISTORY, freq="h")
    for source in sorted(per_source):
        long = [s.values for s in per_source[source]
                if s.step_seconds == STEP_SECONDS and len(s.values) >= HISTORY + HORIZON
                and np.isfinite(s.values[-(HISTORY + HORIZON):]).all()]
        for k, values in enumerate(sorted(long, key=len, reverse=True)[:PER_SOURCE]):
            y = np.asarray(values[-(HISTORY + HORIZON):], dtype=np.float64)
            uid = f"{source}#{k}"
            ids.append(uid)
            train.append(y[:HISTORY])
            test.append(y[HISTORY:])
            frames.append(pd.DataFrame({"unique_id": uid, "ds": stamps, "y": y[:HISTORY]}))
    if max_series:
        ids, train, test, frames = ids[:max_series], train[:max_series], test[:max_series], frames[:max_series]
    return Group(NAME, ids, train, np.stack(test), pd.concat(frames, ignore_index=True), 24)


def load_validation(name: str, data_dir, max_series: int | None) -> Group:
    """A validation group by name: an M group's training part (its last h held out), or :data:`NAME`."""
    return corpus_group(max_series) if name == NAME else validation_group(name, data_dir, max_series)[0]


def season_arg(group: Group):
    """Season lengths for ValidatedForecaster: the M group's m; the corpus' day and week from its stamps."""
    return None if group.name == NAME else group.m
