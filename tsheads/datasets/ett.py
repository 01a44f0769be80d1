"""ETTh1 (Electricity Transformer Temperature, hourly) with the standard 12/4/4-month split.

File: ``<data_dir>/ett/ETTh1.csv`` (``date,HUFL,HULL,MUFL,MULL,LUFL,LULL,OT``, 17,420 hourly rows).
See ``datasets/etth1.md``.

Split convention (Informer / Autoformer / PatchTST code, ``Dataset_ETT_hour``): months of 30 days,
train rows ``[0, 8640)``, validation ``[8640, 11520)``, test ``[11520, 14400)``; rows from 14,400 on
are not used. Windows that *forecast* into validation/test take their input from the ``context``
(``seq_len``) rows before the boundary, so the validation frame is ``[8640 - context, 11520)`` and
the test frame ``[11520 - context, 14400)``: :func:`etth1_split_bounds` returns those bounds.
Per-channel z-scores are fitted on the train rows only.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ..errors import MissingColumnError, TsheadsError
from .base import Dataset, ensure_files, get_data_dir, join_url, read_csv

__all__ = ["ETTH1_SPLITS", "ETT_BASE_URL", "ETT_SOURCE", "etth1_split_bounds", "load_etth1"]

ETT_SOURCE = "https://github.com/zhouhaoyi/ETDataset"
ETT_BASE_URL = "https://raw.githubusercontent.com/zhouhaoyi/ETDataset/main"
ETTH1_REL = "ett/ETTh1.csv"
ETTH1_COLUMNS = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
_HOURS_PER_MONTH = 30 * 24
#: row boundaries of the standard split: train [0, 8640), val [8640, 11520), test [11520, 14400)
ETTH1_SPLITS = {
    "train": (0, 12 * _HOURS_PER_MONTH),
    "val": (12 * _HOURS_PER_MONTH, 16 * _HOURS_PER_MONTH),
    "test": (16 * _HOURS_PER_MONTH, 20 * _HOURS_PER_MONTH),
}
ETTH1_HORIZONS = (96, 192, 336, 720)


def etth1_split_bounds(context: int = 0) -> dict:
    """Row bounds ``{"train", "val", "test"}: (start, end)`` with ``context`` rows of look-back.

    The validation and test parts start ``context`` rows before their boundary (8,640 / 11,520),
    as in the reference implementations (``border1s = [0, 8640 - seq_len, 11520 - seq_len]``), so
    the first forecast window of each part starts exactly at the boundary. ``context=0`` gives the
    plain boundaries of :data:`ETTH1_SPLITS`.

    Parameters
    ----------
    context : int, default 0
        Look-back rows (the models' ``seq_len``), at most 8,640.

    Returns
    -------
    dict
        ``{"train": (start, end), "val": ..., "test": ...}``, half-open row ranges.
    """
    context = int(context)
    if context < 0 or context > ETTH1_SPLITS["train"][1]:
        raise TsheadsError(f"context must be in [0, {ETTH1_SPLITS['train'][1]}], got {context}")
    return {
        "train": ETTH1_SPLITS["train"],
        "val": (ETTH1_SPLITS["val"][0] - context, ETTH1_SPLITS["val"][1]),
        "test": (ETTH1_SPLITS["test"][0] - context, ETTH1_SPLITS["test"][1]),
    }


def load_etth1(
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = False,
    base_url: str | None = None,
) -> Dataset:
    """Load ETTh1 as 7 series (one per channel) in long format.

    ``df`` holds every row of the file (17,420 per channel); ``unique_id`` is the channel name in
    file order (``HUFL, HULL, MUFL, MULL, LUFL, LULL, OT``; ``OT`` is the usual univariate target),
    ``ds`` datetime64, ``freq="h"``. ``dataset.to_wide()`` returns the original multivariate frame
    (``ds`` index, the 7 channels as columns). ``train_df`` is rows ``[0, 8640)``, ``test_df`` rows
    ``[11520, 14400)`` without look-back (use :func:`etth1_split_bounds` for context-extended
    bounds). ``splits`` records the boundaries.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        Data directory (default: ``$TSHEADS_DATA``, else ``~/.cache/tsheads``).
    download : bool, default False
        Fetch missing files from ``base_url`` instead of raising :class:`~tsheads.errors.DatasetNotFoundError`.
    base_url : str, optional
        Mirror of the ETDataset repository's raw files (default :data:`ETT_BASE_URL`).

    Returns
    -------
    Dataset
        ``horizon=96`` (the shortest of 96/192/336/720), ``seasonality=24``.
    """
    root = get_data_dir(data_dir)
    base = ETT_BASE_URL if base_url is None else base_url
    path = ensure_files(
        "ETTh1", root, {ETTH1_REL: join_url(base, "ETT-small/ETTh1.csv")},
        download=download, source=ETT_SOURCE, manifest="etth1.md", data_dir_arg=data_dir,
    )[ETTH1_REL]
    wide = read_csv(path)
    missing = [c for c in ["date", *ETTH1_COLUMNS] if c not in wide.columns]
    if missing:
        raise MissingColumnError(f"{path}: missing column(s) {missing}; found {list(wide.columns)}")
    ds = pd.to_datetime(wide["date"]).to_numpy().astype("datetime64[ns]")
    values = wide[ETTH1_COLUMNS].to_numpy(dtype=np.float64)
    n_rows, n_ch = values.shape
    df = pd.DataFrame({
        "unique_id": np.repeat(np.array(ETTH1_COLUMNS, dtype=object), n_rows),
        "ds": np.tile(ds, n_ch),
        "y": values.T.reshape(-1),
    })
    row = np.tile(np.arange(n_rows), n_ch)
    train_end = ETTH1_SPLITS["train"][1]
    test_start, test_end = ETTH1_SPLITS["test"]
    train_df = df[row < train_end].reset_index(drop=True)
    test_df = df[(row >= test_start) & (row < test_end)].reset_index(drop=True)
    splits = {
        **ETTH1_SPLITS,
        "unused": (ETTH1_SPLITS["test"][1], n_rows),
        "n_rows": n_rows,
        "border1s": [0, ETTH1_SPLITS["val"][0], ETTH1_SPLITS["test"][0]],
        "border2s": [ETTH1_SPLITS["train"][1], ETTH1_SPLITS["val"][1], ETTH1_SPLITS["test"][1]],
        "context_convention": "val/test windows start `context` (seq_len) rows before their boundary: "
                              "val [8640 - context, 11520), test [11520 - context, 14400); "
                              "see tsheads.datasets.etth1_split_bounds",
        "normalisation": "per-channel z-score fitted on train rows [0, 8640)",
        "horizons": list(ETTH1_HORIZONS),
    }
    meta = {
        "source": ETT_SOURCE,
        "url": join_url(ETT_BASE_URL, "ETT-small/ETTh1.csv"),
        "licence": "CC BY-ND 4.0",
        "citation": "Zhou et al., 'Informer: Beyond Efficient Transformer for Long Sequence Time-Series "
                    "Forecasting', AAAI 2021",
        "data_dir": str(root),
        "n_series": n_ch,
        "n_rows": n_rows,
        "columns": list(ETTH1_COLUMNS),
        "target": "OT",
        "horizons": list(ETTH1_HORIZONS),
        "metrics": ["MSE", "MAE"],
    }
    return Dataset(name="etth1", df=df, freq="h", horizon=ETTH1_HORIZONS[0], seasonality=24,
                   train_df=train_df, test_df=test_df, splits=splits, meta=meta)
