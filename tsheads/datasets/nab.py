"""Numenta Anomaly Benchmark (NAB): univariate series with labelled anomaly windows.

Files (``<data_dir>/nab/``): ``data/<category>/<name>.csv`` (``timestamp,value``) and
``labels/combined_windows.json`` (``{"<category>/<name>.csv": [[start, end], ...]}``).
Every point whose timestamp lies in a window ``[start, end]`` (both ends inclusive) gets
``is_anomaly = 1``. See ``datasets/nab.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from ..errors import DatasetNotFoundError, TsheadsError
from .base import Dataset, ensure_files, get_data_dir, join_url, read_csv, read_json

__all__ = ["NAB_BASE_URL", "NAB_SOURCE", "load_nab"]

NAB_SOURCE = "https://github.com/numenta/NAB"
NAB_BASE_URL = "https://raw.githubusercontent.com/numenta/NAB/master"
LABELS_REL = "nab/labels/combined_windows.json"
POINT_LABELS_REL = "nab/labels/combined_labels.json"
#: share of each series NAB's scorer treats as the probationary (unscored) prefix
PROBATIONARY_FRACTION = 0.15


def load_nab(
    data_dir: str | os.PathLike | None = None,
    categories: Iterable[str] | None = None,
    *,
    download: bool = False,
    base_url: str | None = None,
    drop_duplicates: bool = False,
) -> Dataset:
    """Load NAB series with point labels from ``combined_windows.json``.

    Parameters
    ----------
    data_dir : path, optional
        Data directory (default: ``$TSHEADS_DATA`` or ``~/.cache/tsheads``).
    categories : iterable of str, optional
        NAB categories (folder names such as ``"realTraffic"``). ``None``: every category listed in
        the labels file whose folder exists under ``nab/data/`` (all of them when downloading into
        an empty directory).
    download : bool
        Fetch missing files (labels first, then every data file the labels list for the chosen
        categories) from ``base_url``.
    base_url : str, optional
        Mirror of the NAB repository root (default :data:`NAB_BASE_URL`).
    drop_duplicates : bool
        A few NAB files repeat a timestamp; by default rows are kept as published (NAB scores every
        row). ``True`` keeps the first row of each repeated ``(unique_id, ds)``.

    Returns
    -------
    Dataset
        ``df`` columns ``unique_id`` (``"<category>/<name>"``), ``ds`` (datetime64), ``y`` (float64),
        ``is_anomaly`` (int 0/1). ``freq`` is ``None`` (sampling differs between series and some
        are irregular; ``meta["series_freq"]`` gives each one's median step). ``meta["windows"]``
        maps ids to their ``(start, end)`` windows.
    """
    root = get_data_dir(data_dir)
    base = NAB_BASE_URL if base_url is None else base_url
    labels_path = ensure_files(
        "NAB labels", root, {LABELS_REL: join_url(base, "labels/combined_windows.json")},
        download=download, source=NAB_SOURCE, manifest="nab.md", data_dir_arg=data_dir,
    )[LABELS_REL]
    raw_windows: dict = read_json(labels_path)
    listed = sorted(raw_windows)
    all_categories = sorted({key.split("/", 1)[0] for key in listed})

    if categories is None:
        present = [c for c in all_categories if (root / "nab" / "data" / c).is_dir()]
        chosen = present if present else (all_categories if download else [])
        if not chosen:
            raise DatasetNotFoundError(
                f"NAB data not found: expected folders {root / 'nab' / 'data'}/<category>/ "
                f"(categories {', '.join(all_categories)}). Set TSHEADS_DATA (or data_dir=) to a folder "
                f"with the layout of datasets/nab.md, or pass download=True to fetch from "
                f"{join_url(base, 'data')} (original source: {NAB_SOURCE})."
            )
    else:
        chosen = [categories] if isinstance(categories, str) else list(categories)
        unknown = [c for c in chosen if c not in all_categories]
        if unknown:
            raise TsheadsError(
                f"unknown NAB categor{'y' if len(unknown) == 1 else 'ies'} {unknown}; "
                f"the labels file lists {all_categories}"
            )
    keys = [k for k in listed if k.split("/", 1)[0] in chosen]
    files = {f"nab/data/{k}": join_url(base, f"data/{k}") for k in keys}
    paths = ensure_files(
        "NAB data file", root, files, download=download, source=NAB_SOURCE, manifest="nab.md",
        data_dir_arg=data_dir,
    )

    frames, windows, series_freq, n_dupes = [], {}, {}, {}
    for key in keys:
        uid = key.removesuffix(".csv")
        raw = read_csv(paths[f"nab/data/{key}"])
        if list(raw.columns[:2]) != ["timestamp", "value"]:
            raise TsheadsError(f"{paths[f'nab/data/{key}']}: expected columns timestamp,value, got {list(raw.columns)}")
        ts = pd.to_datetime(raw["timestamp"]).astype("datetime64[ns]")
        y = raw["value"].to_numpy(dtype=np.float64)
        dup = ts.duplicated().to_numpy()
        n_dupes[uid] = int(dup.sum())
        if drop_duplicates and n_dupes[uid]:
            ts, y = ts[~dup].reset_index(drop=True), y[~dup]
        wins = [(pd.Timestamp(s), pd.Timestamp(e)) for s, e in raw_windows[key]]
        windows[uid] = wins
        t = ts.to_numpy()
        label = np.zeros(len(t), dtype=bool)
        for start, end in wins:
            label |= (t >= start.to_datetime64()) & (t <= end.to_datetime64())
        step = pd.Series(t).diff().median()
        series_freq[uid] = to_offset(step).freqstr if pd.notna(step) and step > pd.Timedelta(0) else None
        frames.append(pd.DataFrame({"unique_id": uid, "ds": t, "y": y, "is_anomaly": label.astype(np.int64)}))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"unique_id": pd.Series(dtype=object), "ds": pd.Series(dtype="datetime64[ns]"),
         "y": pd.Series(dtype=np.float64), "is_anomaly": pd.Series(dtype=np.int64)})
    df["unique_id"] = df["unique_id"].astype(object)

    point_labels = None
    point_path = root / POINT_LABELS_REL
    if point_path.is_file():
        point_labels = {k[:-4]: [pd.Timestamp(x) for x in v] for k, v in read_json(point_path).items()
                        if k in raw_windows and k.split("/", 1)[0] in chosen}

    ids = [k[:-4] for k in keys]
    meta = {
        "source": NAB_SOURCE,
        "url": NAB_BASE_URL,
        "licence": "AGPL-3.0 (numenta/NAB LICENSE.txt)",
        "citation": "Lavin & Ahmad, 'Evaluating Real-time Anomaly Detection Algorithms - the Numenta "
                    "Anomaly Benchmark', IEEE ICMLA 2015",
        "data_dir": str(root),
        "n_series": len(ids),
        "categories": chosen,
        "category_of": {uid: uid.split("/", 1)[0] for uid in ids},
        "windows": windows,
        "n_windows": int(sum(len(w) for w in windows.values())),
        "label_rule": "is_anomaly = 1 for every row with start <= ds <= end of a combined_windows.json window",
        "anomaly_points": point_labels,
        "series_freq": series_freq,
        "n_duplicate_timestamps": n_dupes,
        "probationary_fraction": PROBATIONARY_FRACTION,
    }
    return Dataset(name="nab", df=df, freq=None, horizon=None, seasonality=None,
                   splits={"probationary_fraction": PROBATIONARY_FRACTION}, meta=meta)

