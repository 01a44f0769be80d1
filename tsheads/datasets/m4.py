"""M4 competition, hourly subset (414 series, horizon 48, seasonality 24).

Files: ``<data_dir>/m4/Hourly-train.csv`` and ``<data_dir>/m4/Hourly-test.csv`` (M4-methods
``Dataset/Train`` and ``Dataset/Test``): wide CSVs, first column ``V1`` the id (``H1``..``H414``),
then the values left-aligned and padded with empty cells. See ``datasets/m4_hourly.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TsheadsError
from .base import Dataset, ensure_files, get_data_dir, join_url, ragged_to_long, read_csv

__all__ = ["M4_BASE_URL", "M4_SOURCE", "load_m4_hourly"]

M4_SOURCE = "https://github.com/Mcompetitions/M4-methods"
M4_BASE_URL = "https://raw.githubusercontent.com/Mcompetitions/M4-methods/master"
M4_HOURLY_HORIZON = 48
M4_HOURLY_SEASONALITY = 24


def _read_wide(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, values [n, max_len] with NaN padding, lengths) of an M4 wide CSV."""
    wide = read_csv(path, dtype={"V1": str})
    ids = wide.iloc[:, 0].astype(str).to_numpy(dtype=object)
    values = wide.iloc[:, 1:].to_numpy(dtype=np.float64)
    present = ~np.isnan(values)
    lengths = present.sum(axis=1)
    # values must be left-aligned: no hole before a series' last value
    if not np.array_equal(present, np.arange(values.shape[1])[None, :] < lengths[:, None]):
        raise TsheadsError(f"{path}: values are not left-aligned (missing values inside a series)")
    return ids, values, lengths


def _to_long(ids: np.ndarray, values: np.ndarray, lengths: np.ndarray, first_ds) -> pd.DataFrame:
    """Long frame of the left-aligned rows of ``values`` (padded [n, max_len] array of _read_wide)."""
    mask = np.arange(values.shape[1])[None, :] < lengths[:, None]
    return ragged_to_long(ids, values[mask], lengths, first_ds)  # row-major: series by series


def load_m4_hourly(
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = False,
    base_url: str | None = None,
) -> Dataset:
    """Load M4 hourly: ``df`` = train followed by test for each series.

    ``ds`` is an integer time index (``int64``) ``1..T`` over the training part and
    ``T+1..T+48`` over the test part (``freq=1``); the CSVs carry no dates (the start dates of
    ``M4-info.csv`` are not used). Series keep the file order ``H1..H414``.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        Data directory (default: ``$TSHEADS_DATA``, else ``~/.cache/tsheads``).
    download : bool, default False
        Fetch missing files from ``base_url`` instead of raising :class:`~tsheads.errors.DatasetNotFoundError`.
    base_url : str, optional
        Mirror of the M4-methods repository's raw files (default :data:`M4_BASE_URL`).

    Returns
    -------
    Dataset
        414 series, ``horizon=48``, ``seasonality=24``; ``train_df`` / ``test_df`` are the two CSVs.
    """
    root = get_data_dir(data_dir)
    base = M4_BASE_URL if base_url is None else base_url
    files = {
        "m4/Hourly-train.csv": join_url(base, "Dataset/Train/Hourly-train.csv"),
        "m4/Hourly-test.csv": join_url(base, "Dataset/Test/Hourly-test.csv"),
    }
    paths = ensure_files("M4 hourly", root, files, download=download, source=M4_SOURCE,
                         manifest="m4_hourly.md", data_dir_arg=data_dir)
    tr_ids, tr_values, tr_len = _read_wide(paths["m4/Hourly-train.csv"])
    te_ids, te_values, te_len = _read_wide(paths["m4/Hourly-test.csv"])
    if not np.array_equal(tr_ids, te_ids):
        raise TsheadsError("M4 hourly: train and test files list different series ids (or in another order)")
    train_df = _to_long(tr_ids, tr_values, tr_len, 1)
    test_df = _to_long(te_ids, te_values, te_len, tr_len + 1)
    order = np.argsort(
        np.concatenate([np.repeat(np.arange(len(tr_ids)), tr_len), np.repeat(np.arange(len(te_ids)), te_len)]),
        kind="stable",
    )
    df = pd.concat([train_df, test_df], ignore_index=True).iloc[order].reset_index(drop=True)
    meta = {
        "source": M4_SOURCE,
        "url": join_url(M4_BASE_URL, "Dataset"),
        "licence": "no licence file in the source repository; distributed for research use",
        "citation": "Makridakis, Spiliotis & Assimakopoulos, 'The M4 Competition: 100,000 time series and "
                    "61 forecasting methods', IJF 36(1), 2020",
        "data_dir": str(root),
        "n_series": len(tr_ids),
        "train_lengths": (int(tr_len.min()), int(tr_len.max())),
        "test_length": M4_HOURLY_HORIZON,
        "metrics": ["sMAPE", "MASE (m=24)", "OWA vs Naive2"],
        "ds": "integer index 1..T (train), T+1..T+48 (test); no calendar dates",
    }
    splits = {"protocol": "holdout: the last 48 points of each series (Hourly-test.csv)",
              "test_length": M4_HOURLY_HORIZON}
    return Dataset(name="m4_hourly", df=df, freq=1, horizon=M4_HOURLY_HORIZON,
                   seasonality=M4_HOURLY_SEASONALITY, train_df=train_df, test_df=test_df,
                   splits=splits, meta=meta)
