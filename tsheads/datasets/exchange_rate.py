"""Daily exchange rates of 8 countries (LSTNet collection), GluonTS dating and test protocol.

File: ``<data_dir>/exchange_rate/exchange_rate.txt.gz`` (7,588 rows x 8 columns, comma separated,
no header, no dates). See ``datasets/exchange_rate.md``.

Dates follow GluonTS's recipe (``gluonts.dataset.repository._lstnet``, entry ``exchange_rate``;
``exchange_rate_nips`` has the same 8 series, ``freq="B"``, prediction length 30 and 5 rolling
evaluations): ``pd.period_range(start="1990-01-01", freq="1B", periods=7588)``. The business-day
calendar is a convention, not the true calendar of the quotes.

Protocol: ``training_end = index[int(7588 * 0.8)]`` (row 6070) and the train series are sliced
*inclusive* of it, so train is rows ``[0, 6071)``; test window ``i`` (``i = 0..4``) forecasts rows
``[6071 + 30 i, 6101 + 30 i)`` given everything before. Rows from 6,221 on are not used.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ..errors import TsheadsError
from .base import Dataset, ensure_files, get_data_dir, join_url, read_csv

__all__ = ["EXCHANGE_RATE_BASE_URL", "EXCHANGE_RATE_SOURCE", "load_exchange_rate"]

EXCHANGE_RATE_SOURCE = "https://github.com/laiguokun/multivariate-time-series-data"
EXCHANGE_RATE_BASE_URL = "https://raw.githubusercontent.com/laiguokun/multivariate-time-series-data/master"
EXCHANGE_RATE_REL = "exchange_rate/exchange_rate.txt.gz"
START = "1990-01-01"
FREQ = "B"
PREDICTION_LENGTH = 30
ROLLING_EVALUATIONS = 5
TRAIN_FRACTION = 0.8


def load_exchange_rate(
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = False,
    base_url: str | None = None,
) -> Dataset:
    """Load the 8 exchange-rate series (``unique_id`` ``"0"``..``"7"``, GluonTS ``item_id`` order).

    ``ds`` are business days from 1990-01-01 (``freq="B"``), ``horizon=30``, ``seasonality=5``
    (GluonTS's default season for ``B``, used by MASE; the series have no real seasonality).
    ``train_df`` is rows ``[0, 6071)`` of each series; ``test_df`` holds the 5 rolling windows of 30
    rows (``[6071, 6221)``) with an extra ``window`` column (0..4). ``splits`` records the protocol.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        Data directory (default: ``$TSHEADS_DATA``, else ``~/.cache/tsheads``).
    download : bool, default False
        Fetch missing files from ``base_url`` instead of raising :class:`~tsheads.errors.DatasetNotFoundError`.
    base_url : str, optional
        Mirror of the LSTNet data repository's raw files (default :data:`EXCHANGE_RATE_BASE_URL`).

    Returns
    -------
    Dataset
        The 8 series with the GluonTS dating and split described above.
    """
    root = get_data_dir(data_dir)
    base = EXCHANGE_RATE_BASE_URL if base_url is None else base_url
    path = ensure_files(
        "exchange_rate", root, {EXCHANGE_RATE_REL: join_url(base, "exchange_rate/exchange_rate.txt.gz")},
        download=download, source=EXCHANGE_RATE_SOURCE, manifest="exchange_rate.md", data_dir_arg=data_dir,
    )[EXCHANGE_RATE_REL]
    values = read_csv(path, header=None).to_numpy(dtype=np.float64)
    if values.ndim != 2 or values.shape[0] < 2:
        raise TsheadsError(f"{path}: expected a numeric table without header, got shape {values.shape}")
    n_rows, n_series = values.shape
    ds = pd.date_range(START, periods=n_rows, freq=FREQ).to_numpy().astype("datetime64[ns]")
    ids = np.array([str(i) for i in range(n_series)], dtype=object)
    df = pd.DataFrame({
        "unique_id": np.repeat(ids, n_rows),
        "ds": np.tile(ds, n_series),
        "y": values.T.reshape(-1),
    })

    train_end = int(n_rows * TRAIN_FRACTION) + 1  # GluonTS slices ts[:training_end] inclusively
    windows = [(train_end + i * PREDICTION_LENGTH, train_end + (i + 1) * PREDICTION_LENGTH)
               for i in range(ROLLING_EVALUATIONS)]
    row = np.tile(np.arange(n_rows), n_series)
    train_df = df[row < train_end].reset_index(drop=True)
    test_mask = (row >= windows[0][0]) & (row < windows[-1][1])
    test_df = df[test_mask].reset_index(drop=True)
    test_df["window"] = ((row[test_mask] - train_end) // PREDICTION_LENGTH).astype(np.int64)

    splits = {
        "train": (0, train_end),
        "test_windows": windows,
        "test": (windows[0][0], windows[-1][1]),
        "unused": (windows[-1][1], n_rows),
        "prediction_length": PREDICTION_LENGTH,
        "rolling_evaluations": ROLLING_EVALUATIONS,
        "protocol": "GluonTS exchange_rate(_nips): train = first int(0.8 * T) + 1 rows; window i forecasts "
                    "30 rows starting at row train_end + 30 i from all rows before it",
    }
    meta = {
        "source": EXCHANGE_RATE_SOURCE,
        "url": join_url(EXCHANGE_RATE_BASE_URL, "exchange_rate/exchange_rate.txt.gz"),
        "licence": "no licence file in the source repository; distributed for research use",
        "citation": "Lai et al., 'Modeling Long- and Short-Term Temporal Patterns with Deep Neural "
                    "Networks' (LSTNet), SIGIR 2018",
        "data_dir": str(root),
        "n_series": n_series,
        "n_rows": n_rows,
        "start": START,
        "dating": "GluonTS convention: business days from 1990-01-01 (not the true quote dates)",
        "gluonts_names": ["exchange_rate", "exchange_rate_nips"],
        "countries": "Australia, British, Canada, Switzerland, China, Japan, New Zealand, Singapore "
                     "(per the LSTNet paper; the column order is not documented)",
        "metrics": ["CRPS", "CRPS-sum", "MSE", "ND", "NRMSE"],
    }
    return Dataset(name="exchange_rate", df=df, freq=FREQ, horizon=PREDICTION_LENGTH, seasonality=5,
                   train_df=train_df, test_df=test_df, splits=splits, meta=meta)
