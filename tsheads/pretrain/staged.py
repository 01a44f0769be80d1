"""The staged real pretraining corpus: one long-format Parquet file per source, read from a data folder.

The files (``MANIFEST.md`` beside them lists source, licence, domain and frequency) are never copied into
the repository. The folder is, in order: the ``root=`` argument, ``$TSHEADS_PRETRAINING``,
``$TSHEADS_DATA/../pretraining``, then ``../shared/pretraining`` next to the repository checkout.
A missing folder is not an error for the pretraining loop (it trains on the other sources), so
:func:`staged_root` returns ``None`` there and :func:`staged_series` an empty dict.

Each series comes with its median time step in seconds (:func:`tsheads.timegrid.resolution_index` maps it to
a resolution bucket); sources whose ``ds`` is an integer step carry no calendar, so their step is NaN.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

PRETRAINING_ENV = "TSHEADS_PRETRAINING"

class StagedSeries(NamedTuple):
    values: np.ndarray   # float32, finite
    step_seconds: float  # median time step; NaN where ``ds`` is an integer step


def staged_root(root: str | os.PathLike | None = None) -> Path | None:
    """The folder holding the staged Parquet files, or ``None`` when none of the candidates exists."""
    candidates = [root] if root is not None else [
        os.environ.get(PRETRAINING_ENV),
        os.environ.get("TSHEADS_DATA") and Path(os.environ["TSHEADS_DATA"]) / ".." / "pretraining",
        Path(__file__).resolve().parents[3] / "shared" / "pretraining",
    ]
    for c in candidates:
        if c and Path(c).expanduser().is_dir() and any(Path(c).expanduser().glob("*.parquet")):
            return Path(c).expanduser().resolve()
    return None


def staged_sources(root: str | os.PathLike | None = None) -> list[Path]:
    """Every source file of the staged corpus, sorted by name (empty when there is no corpus)."""
    folder = staged_root(root)
    return [] if folder is None else sorted(folder.glob("*.parquet"))


def median_step_seconds(ds: np.ndarray) -> float:
    """Median step of one series' time stamps in seconds; NaN for integer steps."""
    ds = np.asarray(ds)
    if not np.issubdtype(ds.dtype, np.datetime64) or len(ds) < 2:
        return float("nan")
    return float(np.median(np.diff(ds.astype("datetime64[s]").astype(np.int64))))


def read_source(path: Path) -> list[StagedSeries]:
    """Series of one staged file in file order, each with its median time step."""
    from .leakage import KNOWN_OVERLAPS  # copies of evaluation series found by the leakage check: skipped

    df = pd.read_parquet(path, columns=["unique_id", "ds", "y"])
    out = []
    for uid, g in df.groupby("unique_id", sort=False, observed=True):
        if uid in KNOWN_OVERLAPS.get(path.stem, ()):
            continue
        y = g["y"].to_numpy(np.float32)
        if len(y) and np.isfinite(y).all():
            out.append(StagedSeries(y, median_step_seconds(g["ds"].to_numpy())))
    return out


def staged_series(root: str | os.PathLike | None = None, sources: list[str] | None = None
                  ) -> dict[str, list[StagedSeries]]:
    """Every staged series grouped by source (file stem); ``sources`` keeps only those stems."""
    out = {}
    for path in staged_sources(root):
        if sources is None or path.stem in sources:
            out[path.stem] = read_source(path)
    return out
